/* An analysis as JSON (schema/analysis.schema.json): what was in the
 * capture, as the tracker decoded it, and the judgement. json-c escapes
 * every string. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ikeprobe/analysis.h"
#include "ikeprobe/render.h"
#include "ikeprobe/tlsrec.h"

static json_object *
jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *
jaddr(const struct ip_addr *a)
{
	char b[IP_ADDR_STRLEN];

	return json_object_new_string(ip_addr_str(a, b, sizeof(b)));
}

static json_object *
jtime(usec_t us)
{
	char b[40], frac[16];
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (us == 0 || gmtime_r(&t, &tm) == NULL)
		return NULL;
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(frac, sizeof(frac), ".%06lldZ", (long long)(us % 1000000));
	return json_object_new_string(strcat(b, frac));
}

static json_object *
jframes(const struct an_frames *f)
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < f->count && i < AN_FRAMES; i++)
		json_object_array_add(a, json_object_new_int64(f->n[i]));
	return a;
}

static json_object *
jspi(const uint8_t *spi)
{
	char b[2 * IKE_SPI_LEN + 1];

	hexstr(spi, IKE_SPI_LEN, b, sizeof(b));
	return json_object_new_string(b);
}

static json_object *
jtri(int v)
{
	return v < 0 ? NULL : json_object_new_boolean(v == 1);
}

static json_object *
msg_json(const struct an_msg *m, bool response)
{
	json_object *o, *n;

	if (!m->seen)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "frames", jframes(&m->frames));
	json_object_object_add(o, "frames_total", json_object_new_int(m->frames.count));
	json_object_object_add(o, "copies", json_object_new_int(m->copies));
	json_object_object_add(o, "sport", json_object_new_int(m->sport));
	json_object_object_add(o, "dport", json_object_new_int(m->dport));
	json_object_object_add(o, "ike_bytes", json_object_new_int64((int64_t)m->ike_len));
	json_object_object_add(o, "ip_bytes", json_object_new_int64((int64_t)m->ip_len));
	json_object_object_add(o, "ip_fragments", json_object_new_int(m->ip_frags));
	json_object_object_add(o, "encrypted", json_object_new_boolean(m->has_sk));
	json_object_object_add(o, "kind", response ?
	    jstr(reply_json_name(m->kind)) : NULL);
	n = json_object_new_array();
	for (int i = 0; i < m->n_notifies; i++)
		json_object_array_add(n, jstr(ike_notify_name(m->notifies[i])));
	json_object_object_add(o, "notifies", n);
	json_object_object_add(o, "fragmentation_supported",
	    json_object_new_boolean(m->frag_supported));
	json_object_object_add(o, "cookie", json_object_new_boolean(m->cookie));
	json_object_object_add(o, "ke_group", m->ke_group ?
	    jstr(ike_dh_name(m->ke_group)) : NULL);
	if (m->skf) {
		json_object *k = json_object_new_object(), *h = json_object_new_array();

		for (int i = 0; i < 64; i++)
			if (m->skf_have & (1ULL << i))
				json_object_array_add(h, json_object_new_int(i + 1));
		json_object_object_add(k, "total", json_object_new_int(m->skf_total));
		json_object_object_add(k, "seen", h);
		json_object_object_add(o, "ikev2_fragments", k);
	} else
		json_object_object_add(o, "ikev2_fragments", NULL);
	json_object_object_add(o, "malformed", m->malformed ? jstr(m->problem) : NULL);
	if (m->decrypted || m->decrypt_error[0]) {
		json_object *d = json_object_new_object(), *in = json_object_new_array();

		json_object_object_add(d, "ok", json_object_new_boolean(m->decrypted));
		json_object_object_add(d, "error", m->decrypt_error[0] ?
		    jstr(m->decrypt_error) : NULL);
		for (int i = 0; i < m->n_inner_notifies; i++)
			json_object_array_add(in, jstr(ike_notify_name(m->inner_notifies[i])));
		json_object_object_add(d, "notifies", in);
		json_object_object_add(d, "eap", m->eap_code ?
		    jstr(m->eap_code == 1 ? "request" : m->eap_code == 2 ? "response" :
		    m->eap_code == 3 ? "success" : m->eap_code == 4 ? "failure" :
		    "other") : NULL);
		json_object_object_add(d, "eap_type", m->eap_type ?
		    jstr(ike_eap_name(m->eap_type)) : NULL);
		json_object_object_add(d, "certificates", json_object_new_int(m->n_certs));
		json_object_object_add(d, "auth", json_object_new_boolean(m->has_auth));
		json_object_object_add(d, "delete", json_object_new_boolean(m->has_delete));
		json_object_object_add(o, "decrypted", d);
	} else
		json_object_object_add(o, "decrypted", NULL);
	return o;
}

/* The gateway's certificate from a decrypted IKE_AUTH answer, judged at
 * the time of the capture. */
static json_object *
cert_obj(const struct cert_info *ci, uint32_t frame)
{
	json_object *o;

	o = json_object_new_object();
	json_object_object_add(o, "frame", json_object_new_int64(frame));
	json_object_object_add(o, "parsed", json_object_new_boolean(ci->parsed));
	json_object_object_add(o, "problem", ci->parsed ? NULL : jstr(ci->problem));
	if (!ci->parsed)
		return o;
	report_json_cert(o, ci);
	return o;
}

static json_object *
cert_json(const struct an_conv *c)
{
	return c->has_cert ? cert_obj(&c->cert, c->cert_frame) : NULL;
}

static json_object *
sa_json(const struct an_sa *s)
{
	json_object *o = json_object_new_object(), *x = json_object_new_array();
	static const uint8_t zero[IKE_SPI_LEN];

	json_object_object_add(o, "spi_i", jspi(s->spi_i));
	json_object_object_add(o, "spi_r", memcmp(s->spi_r, zero, IKE_SPI_LEN) ?
	    jspi(s->spi_r) : NULL);
	json_object_object_add(o, "first_frame", json_object_new_int64(s->first_frame));
	json_object_object_add(o, "last_frame", json_object_new_int64(s->last_frame));
	json_object_object_add(o, "nat_t", json_object_new_boolean(s->floated));
	if (s->icmp) {
		json_object *i = json_object_new_object();

		json_object_object_add(i, "count", json_object_new_int64((int64_t)s->icmp));
		json_object_object_add(i, "frame", json_object_new_int64(s->icmp_frame));
		json_object_object_add(i, "from", jaddr(&s->icmp_from));
		json_object_object_add(i, "type", json_object_new_int(s->icmp_type));
		json_object_object_add(i, "code", json_object_new_int(s->icmp_code));
		json_object_object_add(i, "meaning", jstr(icmp_meaning_key(s->icmp_meaning)));
		json_object_object_add(i, "port", json_object_new_int(s->icmp_port));
		json_object_object_add(o, "icmp", i);
	} else
		json_object_object_add(o, "icmp", NULL);
	if (s->natd_known) {
		json_object *n = json_object_new_object();

		json_object_object_add(n, "client_side", jtri(s->natd.client));
		json_object_object_add(n, "gateway_side", jtri(s->natd.gateway));
		json_object_object_add(o, "nat", n);
	} else
		json_object_object_add(o, "nat", NULL);
	for (int i = 0; i < s->n_ex; i++) {
		const struct an_exchange *e = &s->ex[i];
		json_object *j = json_object_new_object();

		json_object_object_add(j, "type", jstr(ike_exchange_name(e->type)));
		json_object_object_add(j, "message_id", json_object_new_int64(e->msgid));
		json_object_object_add(j, "asked_by", jstr(e->asked == AN_TO_GATEWAY ?
		    "client" : "gateway"));
		json_object_object_add(j, "request", msg_json(&e->req, false));
		json_object_object_add(j, "response", msg_json(&e->resp, true));
		json_object_array_add(x, j);
	}
	json_object_object_add(o, "exchanges", x);
	json_object_object_add(o, "exchanges_total", json_object_new_int(s->n_ex_total));
	return o;
}

/* A conversation's verdict: its worst finding (the first of those). */
static json_object *
verdict_json(const struct analysis *a, int ci)
{
	const struct an_finding *w = NULL;
	json_object *o;

	for (int i = 0; i < a->n_findings; i++) {
		const struct an_finding *f = &a->findings[i];

		if (f->conv == ci && (w == NULL || f->f.severity > w->f.severity))
			w = f;
	}
	if (w == NULL)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "code", jstr(w->f.code));
	json_object_object_add(o, "severity", jstr(severity_name(w->f.severity)));
	json_object_object_add(o, "summary", jstr(w->f.summary));
	return o;
}

static json_object *
conv_json(const struct analysis *a, int ci)
{
	const struct an_conv *c = &a->conv[ci];
	json_object *o = json_object_new_object(), *e = json_object_new_object();
	json_object *sas = json_object_new_array();

	json_object_object_add(o, "client", jaddr(&c->client));
	json_object_object_add(o, "gateway", jaddr(&c->gateway));
	json_object_object_add(o, "family", jstr(ip_family_key(c->client.family)));
	json_object_object_add(o, "first_frame", json_object_new_int64(c->first_frame));
	json_object_object_add(o, "last_frame", json_object_new_int64(c->last_frame));
	json_object_object_add(o, "ike_messages", json_object_new_int64((int64_t)c->ike_msgs));
	json_object_object_add(e, "to_gateway", json_object_new_int64((int64_t)c->esp[AN_TO_GATEWAY]));
	json_object_object_add(e, "from_gateway", json_object_new_int64((int64_t)c->esp[AN_FROM_GATEWAY]));
	json_object_object_add(e, "first_frame_to_gateway", c->esp[AN_TO_GATEWAY] ?
	    json_object_new_int64(c->esp_first[AN_TO_GATEWAY]) : NULL);
	json_object_object_add(e, "first_frame_from_gateway", c->esp[AN_FROM_GATEWAY] ?
	    json_object_new_int64(c->esp_first[AN_FROM_GATEWAY]) : NULL);
	json_object_object_add(o, "esp", e);
	json_object_object_add(o, "nat_keepalives", json_object_new_int64((int64_t)c->keepalives));
	json_object_object_add(o, "malformed", json_object_new_int64((int64_t)c->malformed));
	json_object_object_add(o, "certificate", cert_json(c));
	for (int i = 0; i < c->n_sa; i++)
		json_object_array_add(sas, sa_json(&c->sa[i]));
	json_object_object_add(o, "ike_sas", sas);
	json_object_object_add(o, "ike_sas_total", json_object_new_int(c->n_sa_total));
	json_object_object_add(o, "verdict", verdict_json(a, ci));
	return o;
}

static json_object *
dgram_json(const struct an_dgram *g)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "src", jaddr(&g->src));
	json_object_object_add(o, "dst", jaddr(&g->dst));
	json_object_object_add(o, "conversation", g->conv >= 0 ?
	    json_object_new_int(g->conv + 1) : NULL);
	json_object_object_add(o, "direction", g->conv >= 0 ?
	    jstr(an_dir_name(g->dir)) : NULL);
	json_object_object_add(o, "ip_id", json_object_new_int64(g->id));
	json_object_object_add(o, "protocol", json_object_new_int(g->proto));
	json_object_object_add(o, "sport", g->firsts ? json_object_new_int(g->sport) : NULL);
	json_object_object_add(o, "dport", g->firsts ? json_object_new_int(g->dport) : NULL);
	json_object_object_add(o, "frames", jframes(&g->frames));
	json_object_object_add(o, "fragments", json_object_new_int(g->n_frags));
	json_object_object_add(o, "first_fragments", json_object_new_int(g->firsts));
	json_object_object_add(o, "bytes_seen", json_object_new_int64(g->have));
	json_object_object_add(o, "bytes_total", g->total ?
	    json_object_new_int64(g->total) : NULL);
	json_object_object_add(o, "complete", json_object_new_boolean(g->complete));
	return o;
}

static json_object *
alert_json(const struct tls_side *t)
{
	json_object *o;

	if (t->alerts == 0)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "frame", json_object_new_int64(t->alert_frame));
	json_object_object_add(o, "encrypted", json_object_new_boolean(
	    t->alert_level == 0));
	json_object_object_add(o, "level", t->alert_level ?
	    jstr(t->alert_level == 2 ? "fatal" : "warning") : NULL);
	json_object_object_add(o, "description", t->alert_level ?
	    jstr(tls_alert_name(t->alert_desc)) : NULL);
	return o;
}

static json_object *
tcp_json(const struct an_tcp *t)
{
	const struct tls_side *cl = &t->tls[AN_TO_GATEWAY];
	const struct tls_side *sv = &t->tls[AN_FROM_GATEWAY];
	json_object *o = json_object_new_object(), *l, *r;
	char hex[8];

	json_object_object_add(o, "client", jaddr(&t->client));
	json_object_object_add(o, "server", jaddr(&t->server));
	json_object_object_add(o, "client_port", json_object_new_int(t->cport));
	json_object_object_add(o, "server_port", json_object_new_int(t->sport));
	json_object_object_add(o, "first_frame", json_object_new_int64(t->first_frame));
	json_object_object_add(o, "last_frame", json_object_new_int64(t->last_frame));
	json_object_object_add(o, "syn_frames", jframes(&t->syn));
	json_object_object_add(o, "synack_frame", t->synack_frame ?
	    json_object_new_int64(t->synack_frame) : NULL);
	if (t->reset) {
		r = json_object_new_object();
		json_object_object_add(r, "frame", json_object_new_int64(t->reset_frame));
		json_object_object_add(r, "by", jstr(t->reset_dir == AN_TO_GATEWAY ?
		    "client" : "server"));
		json_object_object_add(o, "reset", r);
	} else
		json_object_object_add(o, "reset", NULL);
	l = json_object_new_object();
	json_object_object_add(l, "sni", cl->sni[0] ? jstr(cl->sni) : NULL);
	json_object_object_add(l, "client_hello_frame", cl->client_hello ?
	    json_object_new_int64(cl->hello_frame) : NULL);
	json_object_object_add(l, "server_hello_frame", sv->server_hello ?
	    json_object_new_int64(sv->hello_frame) : NULL);
	json_object_object_add(l, "version", sv->server_hello ?
	    jstr(tls_version_name(tls_side_version(sv))) : NULL);
	snprintf(hex, sizeof(hex), "0x%04X", sv->cipher);
	json_object_object_add(l, "cipher_id", sv->server_hello ? jstr(hex) : NULL);
	json_object_object_add(l, "cipher", sv->server_hello ?
	    jstr(an_cipher_name(sv->cipher)) : NULL);
	json_object_object_add(l, "certificates", json_object_new_int(sv->n_certs));
	json_object_object_add(l, "client_alert", alert_json(cl));
	json_object_object_add(l, "server_alert", alert_json(sv));
	json_object_object_add(l, "records_to_server", json_object_new_int64((int64_t)cl->records));
	json_object_object_add(l, "records_from_server", json_object_new_int64((int64_t)sv->records));
	json_object_object_add(l, "data_to_server", json_object_new_int64((int64_t)cl->app_records));
	json_object_object_add(l, "data_from_server", json_object_new_int64((int64_t)sv->app_records));
	json_object_object_add(l, "problem", cl->broken ? jstr(cl->problem) :
	    sv->broken ? jstr(sv->problem) : NULL);
	json_object_object_add(o, "tls", l);
	json_object_object_add(o, "gap", json_object_new_boolean(t->gap[0] || t->gap[1]));
	json_object_object_add(o, "certificate", t->has_cert ?
	    cert_obj(&t->cert, sv->cert_frame) : NULL);
	return o;
}

static int
n_used(const struct analysis *a)
{
	int n = 0;

	for (int i = 0; i < a->n_keys; i++)
		n += a->keys[i].used;
	return n;
}

json_object *
analysis_json(const struct analysis *a)
{
	json_object *root = json_object_new_object(), *f = json_object_new_object();
	json_object *arr, *c = json_object_new_object();

	json_object_object_add(root, "schema", jstr(AN_SCHEMA));
	json_object_object_add(root, "tool", render_json_tool());
	json_object_object_add(f, "name", jstr(a->file));
	json_object_object_add(f, "format", jstr(a->format));
	json_object_object_add(f, "link_type", jstr(a->link_name));
	json_object_object_add(f, "frames", json_object_new_int64((int64_t)a->frames));
	json_object_object_add(f, "bytes", json_object_new_int64((int64_t)a->bytes));
	json_object_object_add(f, "first", jtime(a->first_ts));
	json_object_object_add(f, "last", jtime(a->last_ts));
	json_object_object_add(f, "duration_ms", a->frames ?
	    json_object_new_double((double)(a->last_ts - a->first_ts) / 1000.0) : NULL);
	json_object_object_add(f, "truncated", json_object_new_boolean(a->truncated));
	json_object_object_add(f, "error", a->read_error[0] ? jstr(a->read_error) : NULL);
	json_object_object_add(f, "keys", a->keys_file[0] ? jstr(a->keys_file) : NULL);
	json_object_object_add(f, "keys_used", json_object_new_int(n_used(a)));
	json_object_object_add(root, "file", f);
	json_object_object_add(root, "headline", jstr(a->headline));
	json_object_object_add(root, "status", jstr(a->worst == SEV_ERROR ?
	    "problem" : a->n_conv == 0 && a->n_tcp == 0 ? "no-ike" : "ok"));
	json_object_object_add(root, "exit_status", json_object_new_int(a->exit_status));
	json_object_object_add(root, "worst_severity", jstr(severity_name(a->worst)));
	json_object_object_add(c, "ike_messages", json_object_new_int64((int64_t)a->ike));
	json_object_object_add(c, "not_ip", json_object_new_int64((int64_t)a->not_ip));
	json_object_object_add(c, "malformed", json_object_new_int64((int64_t)a->malformed));
	json_object_object_add(c, "other", json_object_new_int64((int64_t)a->other));
	json_object_object_add(c, "conversations_dropped",
	    json_object_new_int64((int64_t)a->convs_dropped));
	json_object_object_add(c, "fragmented_dropped",
	    json_object_new_int64((int64_t)a->dgrams_dropped));
	json_object_object_add(c, "tcp_dropped", json_object_new_int64((int64_t)a->tcp_dropped));
	json_object_object_add(c, "ikev1_messages", json_object_new_int64((int64_t)a->ikev1));
	json_object_object_add(c, "keys_left_out", json_object_new_int(a->keys_left_out));
	json_object_object_add(root, "counts", c);
	arr = json_object_new_array();
	for (int i = 0; i < a->n_conv; i++)
		json_object_array_add(arr, conv_json(a, i));
	json_object_object_add(root, "conversations", arr);
	arr = json_object_new_array();
	for (int i = 0; i < a->n_dgram; i++)
		json_object_array_add(arr, dgram_json(&a->dgram[i]));
	json_object_object_add(root, "ip_fragmented", arr);
	arr = json_object_new_array();
	for (int i = 0; i < a->n_tcp; i++)
		json_object_array_add(arr, tcp_json(&a->tcp[i]));
	json_object_object_add(root, "sstp", arr);
	arr = json_object_new_array();
	for (int i = 0; i < a->n_findings; i++) {
		const struct an_finding *x = &a->findings[i];
		json_object *j = json_object_new_object();

		json_object_object_add(j, "code", jstr(x->f.code));
		json_object_object_add(j, "severity", jstr(severity_name(x->f.severity)));
		json_object_object_add(j, "summary", jstr(x->f.summary));
		json_object_object_add(j, "advice", x->f.advice[0] ? jstr(x->f.advice) : NULL);
		json_object_object_add(j, "frames", jframes(&x->frames));
		json_object_object_add(j, "conversation", x->conv >= 0 ?
		    json_object_new_int(x->conv + 1) : NULL);
		json_object_array_add(arr, j);
	}
	json_object_object_add(root, "findings", arr);
	return root;
}
