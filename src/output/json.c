/* The JSON report: the stable machine format, documented by
 * schema/report.schema.json. Built with json-c; keys are only ever added. */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ikeprobe/audit.h"
#include "ikeprobe/ikecrypto.h"
#include "ikeprobe/render.h"
#include "ikeprobe/report.h"

static json_object *
jstr_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *
jstr_nonempty(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static json_object *
jms(double ms)
{
	char buf[32];

	/* Three decimals: microseconds, what the capture resolves. The text
	 * form is given so json-c does not print binary noise digits. */
	if (ms < 0)
		return NULL;
	snprintf(buf, sizeof(buf), "%.3f", ms);
	return json_object_new_double_s(ms, buf);
}

static json_object *
jaddr(const struct ip_addr *a)
{
	char buf[IP_ADDR_STRLEN];

	return json_object_new_string(ip_addr_str(a, buf, sizeof(buf)));
}

static json_object *
j_icmp(const struct icmp_obs *i)
{
	json_object *o;

	if (!i->seen)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_int(i->type));
	json_object_object_add(o, "code", json_object_new_int(i->code));
	json_object_object_add(o, "from", jaddr(&i->from));
	json_object_object_add(o, "name", json_object_new_string(icmp_name(i->family, i->type, i->code)));
	json_object_object_add(o, "meaning", json_object_new_string(icmp_meaning_key(i->meaning)));
	if (i->meaning == ICMP_TOO_BIG)
		json_object_object_add(o, "mtu", json_object_new_int64(i->mtu));
	return o;
}

static json_object *
j_ports(const struct report *rep)
{
	json_object *o = json_object_new_object();
	char key[8];

	for (int i = 0; i < rep->n_ports; i++) {
		const struct port_verdict *v = &rep->ports[i];
		json_object *p = json_object_new_object();

		json_object_object_add(p, "state", json_object_new_string(port_state_name(v->state)));
		json_object_object_add(p, "reply", jstr_or_null(reply_json_name(v->reply)));
		json_object_object_add(p, "icmp", j_icmp(&v->icmp));
		json_object_object_add(p, "rtt_ms", jms(v->rtt_ms));
		json_object_object_add(p, "source_port", json_object_new_int(v->sport));
		json_object_object_add(p, "source_port_error", v->sport_substituted ?
		    jstr_or_null(v->sport_errno ? strerrorname_np(v->sport_errno) : NULL) : NULL);
		json_object_object_add(p, "attempts", json_object_new_int(v->attempts));
		json_object_object_add(p, "meaning", json_object_new_string(v->meaning));
		snprintf(key, sizeof(key), "%u", v->port);
		json_object_object_add(o, key, p);
	}
	return o;
}

/* A key-exchange group: {id, name}. */
static json_object *
j_group(uint16_t id)
{
	json_object *t = json_object_new_object();

	json_object_object_add(t, "id", json_object_new_int(id));
	json_object_object_add(t, "name", json_object_new_string(ike_dh_name(id)));
	return t;
}

static json_object *
j_responder(const struct report *rep)
{
	const struct ike_reply *r = rep->responder;
	json_object *o = json_object_new_object(), *a, *t;
	char hex[2 * IKE_VID_MAX + 1];
	bool full = r && r->kind == IKE_REPLY_SA;

	/* Whether fragmentation is offered is only known from a full SA. */
	json_object_object_add(o, "fragmentation_supported",
	    full ? json_object_new_boolean(r->frag_supported) : NULL);
	a = json_object_new_array();
	for (int i = 0; r && i < r->n_vids; i++) {
		t = json_object_new_object();
		hexstr(r->vids[i].data, r->vids[i].len, hex, sizeof(hex));
		json_object_object_add(t, "hex", json_object_new_string(hex));
		json_object_object_add(t, "name", jstr_or_null(ike_vid_name(r->vids[i].data, r->vids[i].len)));
		if (r->vids[i].full_len > r->vids[i].len)
			json_object_object_add(t, "length", json_object_new_int((int)r->vids[i].full_len));
		json_object_array_add(a, t);
	}
	json_object_object_add(o, "vendor_ids", a);
	a = json_object_new_array();
	for (int i = 0; r && i < r->n_notifies; i++)
		json_object_array_add(a, json_object_new_string(ike_notify_name(r->notifies[i])));
	json_object_object_add(o, "notifies", a);
	if (full && r->n_chosen) {
		a = json_object_new_array();
		for (int i = 0; i < r->n_chosen; i++) {
			t = json_object_new_object();
			json_object_object_add(t, "type", json_object_new_string(ike_transform_type_name(r->chosen[i].type)));
			json_object_object_add(t, "id", json_object_new_int(r->chosen[i].id));
			json_object_object_add(t, "name", json_object_new_string(ike_transform_name(r->chosen[i].type, r->chosen[i].id)));
			json_object_object_add(t, "key_length", r->chosen[i].key_length < 0 ? NULL : json_object_new_int(r->chosen[i].key_length));
			json_object_array_add(a, t);
		}
		json_object_object_add(o, "chosen", a);
	} else
		json_object_object_add(o, "chosen", NULL);
	json_object_object_add(o, "ke_group", r && r->has_ke ?
	    j_group(r->ke_group) : NULL);
	json_object_object_add(o, "invalid_ke_group",
	    r && r->kind == IKE_REPLY_INVALID_KE ?
	    j_group(r->invalid_ke_group) : NULL);
	json_object_object_add(o, "nonce_length", r && r->has_nonce ? json_object_new_int((int)r->nonce_len) : NULL);
	json_object_object_add(o, "certreq", json_object_new_int(r ? r->n_certreq : 0));
	json_object_object_add(o, "reply", jstr_or_null(r ? reply_json_name(r->kind) : NULL));
	return o;
}

/* Times on the capture's clock, as ms since the run's start. */
static json_object *
jat(const struct report *rep, usec_t t)
{
	return t == USEC_NONE ? NULL : jms(usec_to_ms(t - rep->sess->started));
}

static json_object *
jhex(const uint8_t *b, size_t n)
{
	char hex[2 * IKE_KEY_MAX + 1];

	hexstr(b, n, hex, sizeof(hex));
	return json_object_new_string(hex);
}

/* A protected exchange: the SA it works in, how its answer came, and the
 * IKE SA's keys. The keys are of ikeprobe's own throw-away SA, deleted at
 * once, with no credentials in it: they let the capture be decrypted
 * again (Wireshark's ikev2_decryption_table, a replay of the run). */
static void
j_protected(json_object *o, const struct probe *p)
{
	const struct ike_keys *k = &p->ex.keys;
	json_object *kj;
	char algs[120];

	json_object_object_add(o, "sa", json_object_new_int(p->sa));
	json_object_object_add(o, "spi_r", jhex(p->ex.spi_r, IKE_SPI_LEN));
	json_object_object_add(o, "exchange", json_object_new_string(
	    ike_exchange_name(p->ex.type)));
	json_object_object_add(o, "message_id", json_object_new_int64(p->ex.msgid));
	json_object_object_add(o, "answer", json_object_new_string(
	    auth_answer_name(probe_auth_answer(p))));
	json_object_object_add(o, "ike_fragments", p->result == PROBE_ANSWERED ?
	    json_object_new_int(p->ex.rx_total ? p->ex.rx_total : 1) : NULL);
	json_object_object_add(o, "ip_fragments", p->result == PROBE_ANSWERED ?
	    json_object_new_int(p->rx_ip_frags) : NULL);
	json_object_object_add(o, "reply_bytes", p->result == PROBE_ANSWERED ?
	    json_object_new_int64((int64_t)p->ex.rx_bytes) : NULL);
	if (p->partial.firsts > p->partial.whole || (p->partial.others &&
	    p->partial.whole == 0)) {
		kj = json_object_new_object();
		json_object_object_add(kj, "first_fragments", json_object_new_int(p->partial.firsts));
		json_object_object_add(kj, "completed", json_object_new_int(p->partial.whole));
		json_object_object_add(kj, "later_fragments", json_object_new_int(p->partial.others));
		json_object_object_add(kj, "size", json_object_new_int64((int64_t)p->partial.size));
		json_object_object_add(o, "incomplete_answer", kj);
	}
	if (p->problem[0] && p->result != PROBE_ANSWERED)
		json_object_object_add(o, "problem", json_object_new_string(p->problem));
	if (!p->ex.has_keys)
		return;
	kj = json_object_new_object();
	ike_algs_str(&k->algs, algs, sizeof(algs));
	json_object_object_add(kj, "transforms", json_object_new_string(algs));
	json_object_object_add(kj, "encr", json_object_new_int(k->algs.encr));
	json_object_object_add(kj, "encr_bits", json_object_new_int(k->algs.encr_bits));
	json_object_object_add(kj, "integ", json_object_new_int(k->algs.integ));
	json_object_object_add(kj, "prf", json_object_new_int(k->algs.prf));
	json_object_object_add(kj, "dh", json_object_new_int(k->algs.dh));
	json_object_object_add(kj, "sk_ei", jhex(k->sk_ei, k->encr_len));
	json_object_object_add(kj, "sk_er", jhex(k->sk_er, k->encr_len));
	json_object_object_add(kj, "sk_ai", jhex(k->sk_ai, k->integ_len));
	json_object_object_add(kj, "sk_ar", jhex(k->sk_ar, k->integ_len));
	json_object_object_add(kj, "sk_pr", jhex(k->sk_pr, k->prf_len));
	json_object_object_add(o, "keys", kj);
}

/* What identifies the probe's exchange on the wire and when it went:
 * with these a saved capture can be matched to the probes again, as the
 * run matched them (and Wireshark finds them: ikev2.ispi, ip.id). */
static void
j_exchange(json_object *o, const struct report *rep, const struct probe *p)
{
	char hex[2 * IKE_SPI_LEN + 1];
	json_object *a = json_object_new_array();

	hexstr(p->ex.spi_i, IKE_SPI_LEN, hex, sizeof(hex));
	json_object_object_add(o, "spi_i", json_object_new_string(hex));
	json_object_object_add(o, "ip_id", json_object_new_int64(p->ex.unit.ip_id));
	for (int i = 0; i < p->attempts && i < PROBE_MAX_ATTEMPTS; i++)
		json_object_array_add(a, jat(rep, p->sent[i]));
	json_object_object_add(o, "sent_ms", a);
	json_object_object_add(o, "ended_ms", jat(rep, p->ended));
	if (p->no_fragmentation)
		json_object_object_add(o, "no_fragmentation", json_object_new_boolean(true));
	if (p->kind == PROBE_AUTH || p->kind == PROBE_CLOSE)
		j_protected(o, p);
}

static json_object *
j_probes(const struct report *rep)
{
	json_object *a = json_object_new_array(), *o;

	for (int i = 0; i < rep->set.n; i++) {
		const struct probe *p = &rep->set.p[i];

		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int(p->id));
		json_object_object_add(o, "port", json_object_new_int(p->dport));
		json_object_object_add(o, "kind", json_object_new_string(probe_kind_name(p->kind)));
		json_object_object_add(o, "purpose", json_object_new_string(probe_purpose_name(p->purpose)));
		json_object_object_add(o, "size", json_object_new_int((int)p->size));
		json_object_object_add(o, "df", json_object_new_boolean(p->df));
		json_object_object_add(o, "fragments", json_object_new_int(p->fragments));
		json_object_object_add(o, "fragment_size", p->frag_size ? json_object_new_int((int)p->frag_size) : NULL);
		if (p->confirm)
			json_object_object_add(o, "repeat", json_object_new_boolean(true));
		json_object_object_add(o, "attempts", json_object_new_int(p->attempts));
		json_object_object_add(o, "result", json_object_new_string(probe_result_name(p->result)));
		json_object_object_add(o, "rtt_ms", jms(p->result == PROBE_ANSWERED ? p->rtt_ms : -1));
		json_object_object_add(o, "reply", jstr_or_null(p->result == PROBE_ANSWERED ? reply_json_name(p->reply.kind) : NULL));
		json_object_object_add(o, "ke_group", json_object_new_int(p->ke_group));
		json_object_object_add(o, "icmp", j_icmp(&p->icmp));
		if (p->parent >= 0)
			json_object_object_add(o, "follows", json_object_new_int(p->parent));
		if (p->purpose == PURPOSE_AUDIT && p->offer >= 0 && p->offer < audit_n_offers)
			json_object_object_add(o, "offer", json_object_new_string(audit_offers[p->offer].name));
		if (p->result == PROBE_ANSWERED && p->reply.status != IKE_PARSE_OK)
			json_object_object_add(o, "problem", json_object_new_string(p->reply.problem));
		if (p->result == PROBE_SEND_FAILED && p->send_errno) {
			json_object_object_add(o, "send_error", json_object_new_string(strerror(p->send_errno)));
			json_object_object_add(o, "send_errno", jstr_or_null(strerrorname_np(p->send_errno)));
		}
		j_exchange(o, rep, p);
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *
jsize(size_t v)
{
	return v ? json_object_new_int((int)v) : NULL;
}

/* The IKE_AUTH answers on one port: how many came and how, how many
 * never did (null: no IKE_AUTH went to it). */
static json_object *
j_inbound_port(const struct report *rep, uint16_t port)
{
	const struct auth_report *a = &rep->auth;
	const struct auth_attempt *big = NULL;
	int answered = 0, lost = 0, firsts = 0;
	json_object *o;

	for (int i = 0; i < a->n; i++) {
		const struct auth_attempt *t = &a->att[i];

		if (t->port != port)
			continue;
		if (t->reply_bytes) {
			answered++;
			if (big == NULL || t->reply_bytes > big->reply_bytes)
				big = t;
		} else
			lost++;
		firsts += t->partial.firsts - t->partial.whole;
	}
	if (answered + lost == 0)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "answered", json_object_new_int(answered));
	json_object_object_add(o, "lost", json_object_new_int(lost));
	json_object_object_add(o, "largest_bytes", big ? json_object_new_int64((int64_t)big->reply_bytes) : NULL);
	json_object_object_add(o, "largest_ip_fragments", big ? json_object_new_int(big->ip_fragments) : NULL);
	json_object_object_add(o, "largest_ike_fragments", big ? json_object_new_int(big->ike_fragments) : NULL);
	json_object_object_add(o, "first_fragments_only", json_object_new_int(firsts));
	return o;
}

static json_object *
j_fragments(const struct report *rep)
{
	const struct frag_report *f = &rep->frag;
	json_object *o = json_object_new_object(), *ports, *p;
	char key[8];

	json_object_object_add(o, "tested", json_object_new_boolean(f->tested));
	json_object_object_add(o, "outbound", json_object_new_string(frag_outcome_name(f->outbound)));
	json_object_object_add(o, "inbound", json_object_new_string(rep->auth.tested ?
	    frag_outcome_name(rep->auth.inbound) : "untested"));
	json_object_object_add(o, "inbound_evidence", json_object_new_string(rep->auth.inbound_evidence));
	json_object_object_add(o, "inbound_probe", rep->auth.inbound_probe >= 0 ?
	    json_object_new_int(rep->auth.inbound_probe) : NULL);
	json_object_object_add(o, "largest_answered", jsize(f->largest_answered));
	json_object_object_add(o, "smallest_lost", jsize(f->smallest_lost));
	json_object_object_add(o, "fragment_size", f->tested ? jsize(f->fragment_size) : NULL);
	json_object_object_add(o, "evidence", json_object_new_string(f->evidence));
	ports = json_object_new_object();
	for (int i = 0; i < rep->set.n_ports; i++) {
		const struct frag_assess *a = &rep->sizes.frag[i];

		if (!a->tested)
			continue;
		p = json_object_new_object();
		json_object_object_add(p, "outbound", json_object_new_string(frag_outcome_name(a->outcome)));
		json_object_object_add(p, "largest_answered", jsize(a->largest_answered));
		json_object_object_add(p, "smallest_lost", jsize(a->smallest_lost));
		json_object_object_add(p, "lost_probe", a->lost_probe >= 0 ? json_object_new_int(a->lost_probe) : NULL);
		json_object_object_add(p, "control_probe", a->control >= 0 ? json_object_new_int(a->control) : NULL);
		json_object_object_add(p, "inbound", j_inbound_port(rep, a->port));
		snprintf(key, sizeof(key), "%u", a->port);
		json_object_object_add(ports, key, p);
	}
	json_object_object_add(o, "ports", ports);
	return o;
}

static json_object *
j_path_mtu(const struct report *rep)
{
	const struct pmtu_report *m = &rep->pmtu;
	const struct pmtu_assess *a = &rep->sizes.pmtu;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "tested", json_object_new_boolean(m->tested));
	json_object_object_add(o, "value", m->value ? json_object_new_int(m->value) : NULL);
	json_object_object_add(o, "source", jstr_or_null(pmtu_source_name(m->source)));
	json_object_object_add(o, "icmp", m->tested ? json_object_new_string(pmtu_icmp_name(m->icmp)) : NULL);
	json_object_object_add(o, "router", m->has_router ? jaddr(&m->router) : NULL);
	json_object_object_add(o, "router_mtu", m->router_mtu ? json_object_new_int(m->router_mtu) : NULL);
	json_object_object_add(o, "black_hole", json_object_new_boolean(m->black_hole));
	json_object_object_add(o, "largest_answered", m->tested ? jsize(a->lo) : NULL);
	json_object_object_add(o, "smallest_failed", m->tested ? jsize(a->hi) : NULL);
	json_object_object_add(o, "port", m->tested ? json_object_new_int(a->port) : NULL);
	json_object_object_add(o, "evidence", json_object_new_string(m->evidence));
	return o;
}

static json_object *
jtri(enum tristate t)
{
	return t == TRI_NULL ? NULL : json_object_new_boolean(t == TRI_TRUE);
}

static json_object *
j_verdict(const struct report *rep)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ikev2_fragmentation_needed",
	    jtri(rep->verdict.frag_needed));
	json_object_object_add(o, "reason", json_object_new_string(rep->verdict.reason));
	json_object_object_add(o, "in_headline", json_object_new_boolean(rep->verdict.in_headline));
	return o;
}

static json_object *
j_traffic(const struct report *rep)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "probes", json_object_new_int(rep->set.n));
	json_object_object_add(o, "packets_sent", json_object_new_int64((int64_t)rep->stats->packets_sent));
	json_object_object_add(o, "bytes_sent", json_object_new_int64((int64_t)rep->stats->bytes_sent));
	json_object_object_add(o, "full_sa_replies",
	    json_object_new_int(rep->full_sa_replies));
	return o;
}

static json_object *
j_findings(const struct report *rep)
{
	json_object *a = json_object_new_array(), *o;

	for (int i = 0; i < rep->n_findings; i++) {
		const struct finding *f = &rep->findings[i];

		o = json_object_new_object();
		json_object_object_add(o, "code", json_object_new_string(f->code));
		json_object_object_add(o, "severity", json_object_new_string(severity_name(f->severity)));
		json_object_object_add(o, "summary", json_object_new_string(f->summary));
		json_object_object_add(o, "advice", json_object_new_string(f->advice));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *
j_nat(const struct report *rep)
{
	const struct nat_report *n = &rep->nat;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "detected", jtri(n->detected));
	json_object_object_add(o, "client_side", jtri(n->client_side));
	json_object_object_add(o, "gateway_side", jtri(n->gateway_side));
	json_object_object_add(o, "probe", n->probe >= 0 ? json_object_new_int(n->probe) : NULL);
	json_object_object_add(o, "evidence", json_object_new_string(n->evidence));
	json_object_object_add(o, "consequence", jstr_nonempty(n->consequence));
	return o;
}


static json_object *
j_target(const struct report *rep)
{
	json_object *o = json_object_new_object(), *a;

	json_object_object_add(o, "name", json_object_new_string(rep->target_name));
	json_object_object_add(o, "address", jaddr(&rep->target));
	json_object_object_add(o, "family", json_object_new_string(ip_family_key(rep->target.family)));
	a = json_object_new_array();
	for (int i = 0; i < rep->n_addrs; i++)
		json_object_array_add(a, jaddr(&rep->addrs[i]));
	json_object_object_add(o, "addresses", a);
	a = json_object_new_array();
	for (int i = 0; i < rep->n_addrs; i++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "address", jaddr(&rep->addrs[i]));
		json_object_object_add(e, "family", json_object_new_string(ip_family_key(rep->addrs[i].family)));
		json_object_object_add(e, "probed", json_object_new_boolean(rep->probed[i]));
		json_object_object_add(e, "reason", jstr_or_null(rep->why_not[i]));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "resolved", a);
	json_object_object_add(o, "cluster", json_object_new_boolean(rep->cluster));
	return o;
}

static json_object *
j_local(const struct report *rep)
{
	const struct host_info *h = rep->host;
	json_object *o = json_object_new_object();
	char net[IP_ADDR_STRLEN + 8], a[IP_ADDR_STRLEN];

	json_object_object_add(o, "address", jaddr(&rep->local.addr));
	json_object_object_add(o, "interface", json_object_new_string(rep->local.ifname));
	json_object_object_add(o, "mtu", rep->local.mtu > 0 ? json_object_new_int(rep->local.mtu) : NULL);
	json_object_object_add(o, "source_port", json_object_new_int(rep->n_ports ? rep->ports[0].sport : 0));
	json_object_object_add(o, "gateway", rep->path.has_nexthop ? jaddr(&rep->path.nexthop) : NULL);
	if (rep->path.has_network) {
		snprintf(net, sizeof(net), "%s/%d", ip_addr_str(&rep->path.network,
		    a, sizeof(a)), rep->path.prefix_len);
		json_object_object_add(o, "network", json_object_new_string(net));
	} else
		json_object_object_add(o, "network", NULL);
	json_object_object_add(o, "label", jstr_nonempty(rep->label));
	json_object_object_add(o, "hostname", jstr_nonempty(h ? h->hostname : NULL));
	json_object_object_add(o, "os", jstr_nonempty(h ? h->os : NULL));
	json_object_object_add(o, "kernel", jstr_nonempty(h ? h->kernel : NULL));
	return o;
}

static json_object *
j_capture(const struct run_stats *s, unsigned long unrelated)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "packets", json_object_new_int64((int64_t)s->captured));
	json_object_object_add(o, "sent_seen", json_object_new_int64((int64_t)s->own));
	json_object_object_add(o, "replies", json_object_new_int64((int64_t)s->replies));
	json_object_object_add(o, "duplicates", json_object_new_int64((int64_t)s->duplicates));
	json_object_object_add(o, "unmatched_ike", json_object_new_int64((int64_t)s->unmatched));
	json_object_object_add(o, "unmatched_icmp", json_object_new_int64((int64_t)s->icmp_unmatched));
	json_object_object_add(o, "malformed", json_object_new_int64((int64_t)s->malformed));
	json_object_object_add(o, "other", json_object_new_int64((int64_t)s->other));
	for (int i = 0; i < STRAY_N; i++)
		json_object_object_add(o, stray_key((enum stray_why)i),
		    json_object_new_int64((int64_t)s->stray[i].count));
	json_object_object_add(o, "reasm_expired", json_object_new_int64((int64_t)s->reasm_expired));
	json_object_object_add(o, "unrelated", json_object_new_int64((int64_t)unrelated));
	json_object_object_add(o, "dropped", s->dropped < 0 ? NULL : json_object_new_int64(s->dropped));
	return o;
}


/* A server's end-entity certificate, as a Windows client judges it: the
 * IKE gateway's (with its probe and AUTH) and the SSTP server's. */
static json_object *
j_cert(const struct report *rep, const struct cert_info *c, int probe,
    bool ike)
{
	const struct auth_report *a = &rep->auth;
	json_object *o;

	o = json_object_new_object();
	json_object_object_add(o, "probe", probe >= 0 ? json_object_new_int(probe) : NULL);
	json_object_object_add(o, "parsed", json_object_new_boolean(c->parsed));
	if (!c->parsed) {
		json_object_object_add(o, "problem", json_object_new_string(c->problem));
		return o;
	}
	report_json_cert(o, c);
	json_object_object_add(o, "trusted", c->trusted == CERT_TRUST_UNKNOWN ? NULL :
	    json_object_new_boolean(c->trusted == CERT_TRUST_YES));
	json_object_object_add(o, "trust_error", jstr_nonempty(c->trust_error));
	json_object_object_add(o, "trust_store", json_object_new_string(
	    rep->ca_file ? rep->ca_file : "system"));
	json_object_object_add(o, "chain_incomplete", json_object_new_boolean(c->chain_incomplete));
	json_object_object_add(o, "auth_verified", ike ? jtri(a->auth_verified) : NULL);
	json_object_object_add(o, "auth_error", ike ? jstr_nonempty(a->auth_error) : NULL);
	return o;
}

static json_object *
j_certificate(const struct report *rep)
{
	if (!rep->auth.has_cert)
		return NULL;
	return j_cert(rep, &rep->auth.cert, rep->auth.cert_probe, true);
}

/* The certificates as sent, base64 DER: the evidence for the ticket (the
 * bundle writes them as PEM) and what a replay judges again. */
static json_object *
j_der(const struct sstp_answers *a)
{
	json_object *arr = json_object_new_array();

	for (int i = 0; i < a->n_der; i++) {
		size_t n = 4 * ((a->der_len[i] + 2) / 3) + 1;
		unsigned char *b64 = malloc(n);

		if (b64 == NULL)
			break;
		EVP_EncodeBlock(b64, a->der[i], (int)a->der_len[i]);
		json_object_array_add(arr, json_object_new_string((char *)b64));
		free(b64);
	}
	return arr;
}

/* The SSTP check: TCP, TLS, the listener, the call, the certificate. */
static json_object *
j_sstp(const struct report *rep)
{
	const struct sstp_report *r = &rep->sstp;
	json_object *o, *t, *h, *arr, *l, *k;

	if (!r->tested)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "port", json_object_new_int(r->port));
	json_object_object_add(o, "state", json_object_new_string(port_state_name(r->state)));
	json_object_object_add(o, "meaning", json_object_new_string(r->meaning));
	json_object_object_add(o, "connect_ms", jms(r->connect_ms));
	json_object_object_add(o, "source_port", r->sport ? json_object_new_int(r->sport) : NULL);
	json_object_object_add(o, "syns", json_object_new_int(r->syns));
	json_object_object_add(o, "reset_from", r->reset ? jaddr(&r->reset_from) : NULL);
	json_object_object_add(o, "icmp", j_icmp(&r->icmp));
	json_object_object_add(o, "reached", json_object_new_string(sstp_stage_name(r->reached)));
	json_object_object_add(o, "connect_error", r->sess->conn[0].connect_errno ?
	    json_object_new_string(strerrorname_np(r->sess->conn[0].connect_errno) ?
	    strerrorname_np(r->sess->conn[0].connect_errno) : "EIO") : NULL);
	json_object_object_add(o, "timed_out", json_object_new_boolean(r->timed_out));
	json_object_object_add(o, "error", jstr_nonempty(r->error));
	if (r->tls_ok || r->reached >= SSTP_STAGE_TLS) {
		t = json_object_new_object();
		json_object_object_add(t, "version", jstr_nonempty(r->tls_version));
		json_object_object_add(t, "cipher", jstr_nonempty(r->tls_cipher));
		arr = json_object_new_array();
		l = json_object_new_array();
		for (int i = 0; i < 2; i++) {
			const struct sstp_legacy *g = &r->legacy[i];
			const struct sstp_conn *c = &r->sess->conn[1 + i];

			if (g->accepted == TRI_TRUE)
				json_object_array_add(arr, json_object_new_string(g->version));
			if (!c->started)
				continue;
			k = json_object_new_object();
			json_object_object_add(k, "version", json_object_new_string(g->version));
			json_object_object_add(k, "accepted", jtri(g->accepted));
			json_object_object_add(k, "source_port", c->sport ?
			    json_object_new_int(c->sport) : NULL);
			json_object_object_add(k, "connect_error", c->connect_errno ?
			    json_object_new_string(strerrorname_np(c->connect_errno) ?
			    strerrorname_np(c->connect_errno) : "EIO") : NULL);
			json_object_object_add(k, "timed_out", json_object_new_boolean(c->timed_out));
			json_object_object_add(k, "error", jstr_nonempty(c->error));
			json_object_object_add(k, "cipher", jstr_nonempty(c->tls_cipher));
			json_object_array_add(l, k);
		}
		json_object_object_add(t, "legacy_versions_accepted", arr);
		json_object_object_add(t, "legacy", l);
		json_object_object_add(o, "tls", t);
	} else
		json_object_object_add(o, "tls", NULL);
	if (r->has_http) {
		h = json_object_new_object();
		json_object_object_add(h, "status", json_object_new_int(r->http->status));
		json_object_object_add(h, "reason", json_object_new_string(r->http->reason));
		json_object_object_add(h, "server", jstr_nonempty(r->http->server));
		json_object_object_add(h, "content_length", r->http->has_length ?
		    json_object_new_string(r->http->length) : NULL);
		json_object_object_add(h, "sstp_length", json_object_new_boolean(r->http->length_sstp));
		json_object_object_add(o, "http", h);
	} else
		json_object_object_add(o, "http", NULL);
	json_object_object_add(o, "listener", jtri(r->listener));
	json_object_object_add(o, "call_connect", jstr_or_null(r->call_connect));
	if (r->has_ctrl) {
		k = json_object_new_object();
		json_object_object_add(k, "message_type", json_object_new_int(r->ctrl->msg_type));
		json_object_object_add(k, "message", jstr_or_null(sstp_msg_name(r->ctrl->msg_type)));
		json_object_object_add(k, "hash_protocols", r->ctrl->has_binding_req ?
		    json_object_new_int(r->ctrl->hash_protocols) : NULL);
		json_object_object_add(k, "status", r->ctrl->has_status ?
		    json_object_new_int64(r->ctrl->status) : NULL);
		json_object_object_add(k, "status_attribute", r->ctrl->has_status ?
		    json_object_new_int(r->ctrl->status_attr) : NULL);
		json_object_object_add(o, "call_connect_answer", k);
	} else
		json_object_object_add(o, "call_connect_answer", NULL);
	json_object_object_add(o, "certificate", r->has_cert ?
	    j_cert(rep, &r->cert, -1, false) : NULL);
	json_object_object_add(o, "chain_der", j_der(&r->sess->ans));
	json_object_object_add(o, "duration_ms", jms(r->sess->duration * 1000.0));
	return o;
}

/* What the IKE_AUTH probe sent and what came back. */
static json_object *
j_auth(const struct report *rep)
{
	const struct auth_report *a = &rep->auth;
	json_object *o = json_object_new_object(), *arr, *e;

	json_object_object_add(o, "tested", json_object_new_boolean(a->tested));
	json_object_object_add(o, "what", json_object_new_string(a->why));
	json_object_object_add(o, "port", a->tested ? json_object_new_int(a->port) : NULL);
	json_object_object_add(o, "proposal", jstr_nonempty(a->proposal));
	json_object_object_add(o, "answer", a->tested ?
	    json_object_new_string(auth_answer_name(a->answer)) : NULL);
	json_object_object_add(o, "deleted", jtri(a->deleted));
	json_object_object_add(o, "certificate_auth_only", json_object_new_boolean(a->cert_auth_only));
	json_object_object_add(o, "load_balancer_no_affinity", json_object_new_boolean(a->lb_no_affinity));
	json_object_object_add(o, "load_balancer_evidence", jstr_nonempty(a->lb_evidence));
	arr = json_object_new_array();
	for (int i = 0; i < a->n; i++) {
		const struct auth_attempt *t = &a->att[i];

		e = json_object_new_object();
		json_object_object_add(e, "probe", json_object_new_int(t->probe));
		json_object_object_add(e, "port", json_object_new_int(t->port));
		json_object_object_add(e, "ikev2_fragmentation", json_object_new_boolean(t->rfc7383));
		json_object_object_add(e, "answer", json_object_new_string(auth_answer_name(t->answer)));
		json_object_object_add(e, "error", t->error ? json_object_new_string(ike_notify_name(t->error)) : NULL);
		json_object_object_add(e, "eap", t->eap_type ? json_object_new_string(ike_eap_name(t->eap_type)) : NULL);
		json_object_object_add(e, "reply_bytes", t->reply_bytes ? json_object_new_int64((int64_t)t->reply_bytes) : NULL);
		json_object_object_add(e, "ike_fragments", json_object_new_int(t->ike_fragments));
		json_object_object_add(e, "ip_fragments", json_object_new_int(t->ip_fragments));
		json_object_object_add(e, "first_fragments_only", json_object_new_int(
		    t->partial.firsts - t->partial.whole));
		json_object_object_add(e, "deleted", jtri(t->deleted));
		json_object_object_add(e, "closed_by", jstr_or_null(t->closed_by));
		json_object_object_add(e, "close_probe", t->close_probe >= 0 ?
		    json_object_new_int(t->close_probe) : NULL);
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "exchanges", arr);
	return o;
}

/* The run's outcome in one word, its exit status and the worst finding:
 * what a script asks first (`verdict' is about fragmentation only). */
static void
j_status(json_object *root, const struct report *rep)
{
	enum severity worst = SEV_INFO;
	/* What the process exits with for this report (main.c). */
	int exit_status = rep->sess->faulted ? 3 : rep->sess->interrupted &&
	    rep->sess->stop_signal ? 128 + rep->sess->stop_signal :
	    rep->exit_status;

	for (int i = 0; i < rep->n_findings; i++)
		if (rep->findings[i].severity > worst)
			worst = rep->findings[i].severity;
	json_object_object_add(root, "status", json_object_new_string(
	    !rep->complete ? "incomplete" : exit_status ? "problem" : "ok"));
	json_object_object_add(root, "exit_status", json_object_new_int(exit_status));
	json_object_object_add(root, "worst_severity", json_object_new_string(
	    severity_name(worst)));
}

/* What the run was asked to do. */
static json_object *
j_options(const struct report *rep)
{
	const struct plan_config *c = &rep->sess->cfg;
	json_object *o = json_object_new_object(), *a;

	a = json_object_new_array();
	for (int i = 0; i < rep->sess->n_ports; i++)
		json_object_array_add(a, json_object_new_int(rep->sess->ports[i].dport));
	json_object_object_add(o, "ports", a);
	json_object_object_add(o, "quick", json_object_new_boolean(!c->sizes.enabled));
	json_object_object_add(o, "stateful", json_object_new_boolean(c->sizes.stateful));
	json_object_object_add(o, "attempts", json_object_new_int(c->max_attempts));
	json_object_object_add(o, "rto_ms", jms(c->rto * 1000.0));
	if (c->sizes.n_sizes) {
		a = json_object_new_array();
		for (int i = 0; i < c->sizes.n_sizes; i++)
			json_object_array_add(a, json_object_new_int((int)c->sizes.sizes[i]));
		json_object_object_add(o, "sizes", a);
	} else
		json_object_object_add(o, "sizes", NULL);
	json_object_object_add(o, "fragment_size", jsize(c->sizes.frag_size));
	json_object_object_add(o, "all_addresses", json_object_new_boolean(rep->all_addresses));
	json_object_object_add(o, "auth", json_object_new_boolean(c->auth));
	json_object_object_add(o, "audit", json_object_new_boolean(c->audit));
	json_object_object_add(o, "sstp", json_object_new_boolean(rep->sstp.tested));
	json_object_object_add(o, "sstp_port", rep->sstp.tested ?
	    json_object_new_int(rep->sstp.port) : NULL);
	json_object_object_add(o, "ca", jstr_or_null(rep->ca_file));
	return o;
}

/* Why the run ended early, if it did. */
static json_object *
j_stopped(const struct report *rep)
{
	const struct ike_session *s = rep->sess;
	json_object *o;

	if (!s->interrupted && !s->faulted)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "reason", json_object_new_string(s->faulted ?
	    "fault" : s->base.deadline_hit ? "deadline" : "interrupted"));
	json_object_object_add(o, "error", s->faulted ? json_object_new_string(s->fault) : NULL);
	json_object_object_add(o, "after_ms", s->faulted ? jms(s->fault_after * 1000.0) : NULL);
	json_object_object_add(o, "signal", s->interrupted && s->stop_signal ?
	    json_object_new_int(s->stop_signal) : NULL);
	return o;
}

/* One audited transform or client suite, as the audit found it. */
static json_object *
j_audit_entry(const struct audit_report *a, int i)
{
	const struct audit_offer_def *d = &audit_offers[i];
	const struct audit_result *r = &a->r[i];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "offer", json_object_new_string(d->name));
	if (d->role == AUDIT_TRANSFORM) {
		json_object_object_add(o, "type", json_object_new_string(ike_transform_type_name(d->x.type)));
		json_object_object_add(o, "id", json_object_new_int(d->x.id));
		json_object_object_add(o, "key_length", d->x.keylen ? json_object_new_int(d->x.keylen) : NULL);
		json_object_object_add(o, "rfc8247", json_object_new_string(rfc8247_name(d->level)));
		json_object_object_add(o, "weak", json_object_new_boolean(rfc8247_weak(d->level)));
	} else {
		json_object_object_add(o, "label", json_object_new_string(d->label));
		json_object_object_add(o, "source", json_object_new_string(d->source));
	}
	json_object_object_add(o, "answer", json_object_new_string(audit_answer_name(r->answer)));
	json_object_object_add(o, "probe", r->probe >= 0 ? json_object_new_int(r->probe) : NULL);
	json_object_object_add(o, "group", r->answer == AUDIT_ACCEPTED && r->group ?
	    json_object_new_string(ike_dh_name(r->group)) : NULL);
	json_object_object_add(o, "note", r->note[0] ? json_object_new_string(r->note) : NULL);
	return o;
}

/* null without --audit. */
static json_object *
j_audit(const struct report *rep)
{
	const struct audit_report *a = &rep->audit;
	json_object *o, *acc, *ref, *una, *cli, *c;

	if (!a->tested)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "port", a->port ? json_object_new_int(a->port) : NULL);
	json_object_object_add(o, "requests", json_object_new_int(a->requests));
	json_object_object_add(o, "full_sa_answers", json_object_new_int(a->full_sa_answers));
	json_object_object_add(o, "duration_ms", jms(a->requests ? a->duration_ms : -1));
	json_object_object_add(o, "conclusive", json_object_new_boolean(a->conclusive));
	json_object_object_add(o, "reason", a->reason[0] ? json_object_new_string(a->reason) : NULL);
	json_object_object_add(o, "verified_order", jstr_or_null(a->verified_order));
	c = json_object_new_object();
	json_object_object_add(c, "positive_probe", a->base_probe >= 0 ? json_object_new_int(a->base_probe) : NULL);
	json_object_object_add(c, "negative_probe", a->control_probe >= 0 ? json_object_new_int(a->control_probe) : NULL);
	json_object_object_add(c, "negative_answer", a->control_probe >= 0 ?
	    json_object_new_string(audit_answer_name(a->r[0].answer)) : NULL);
	json_object_object_add(o, "controls", c);
	acc = json_object_new_array();
	ref = json_object_new_array();
	una = json_object_new_array();
	cli = json_object_new_array();
	for (int i = 1; i < audit_n_offers && i < AUDIT_MAX_OFFERS; i++) {
		json_object *e = j_audit_entry(a, i);

		if (audit_offers[i].role == AUDIT_CLIENT)
			json_object_array_add(cli, e);
		else if (a->r[i].answer == AUDIT_ACCEPTED)
			json_object_array_add(acc, e);
		else if (a->r[i].answer == AUDIT_REFUSED)
			json_object_array_add(ref, e);
		else
			json_object_array_add(una, e);
	}
	json_object_object_add(o, "accepted", acc);
	json_object_object_add(o, "refused", ref);
	json_object_object_add(o, "unanswered", una);
	json_object_object_add(o, "clients", cli);
	json_object_object_add(o, "windows_default", a->windows_default != AUDIT_NOT_ASKED ?
	    json_object_new_string(audit_answer_name(a->windows_default)) : NULL);
	return o;
}

json_object *
report_json(const struct report *rep)
{
	json_object *root = json_object_new_object();
	char ts[32];

	json_object_object_add(root, "schema", json_object_new_string(REPORT_SCHEMA));
	json_object_object_add(root, "tool", render_json_tool());
	rfc3339(rep->started, ts, sizeof(ts));
	json_object_object_add(root, "started", json_object_new_string(ts));
	json_object_object_add(root, "duration_ms", json_object_new_int64((int64_t)(rep->duration_ms + 0.5)));
	json_object_object_add(root, "started_us", json_object_new_int64(rep->sess->started));
	json_object_object_add(root, "complete", json_object_new_boolean(rep->complete));
	json_object_object_add(root, "stopped", j_stopped(rep));
	json_object_object_add(root, "options", j_options(rep));
	json_object_object_add(root, "headline", json_object_new_string(rep->headline));
	j_status(root, rep);
	json_object_object_add(root, "target", j_target(rep));
	json_object_object_add(root, "local", j_local(rep));
	json_object_object_add(root, "ports", j_ports(rep));
	json_object_object_add(root, "nat", j_nat(rep));
	json_object_object_add(root, "responder", j_responder(rep));
	json_object_object_add(root, "verdict", j_verdict(rep));
	json_object_object_add(root, "auth", j_auth(rep));
	json_object_object_add(root, "certificate", j_certificate(rep));
	json_object_object_add(root, "audit", j_audit(rep));
	json_object_object_add(root, "sstp", j_sstp(rep));
	json_object_object_add(root, "fragments", j_fragments(rep));
	json_object_object_add(root, "path_mtu", j_path_mtu(rep));
	json_object_object_add(root, "probes", j_probes(rep));
	json_object_object_add(root, "findings", j_findings(rep));
	json_object_object_add(root, "capture", j_capture(rep->stats, rep->unrelated));
	json_object_object_add(root, "traffic", j_traffic(rep));
	return root;
}
