/* A report re-derived from its own capture (replay.h). What the report
 * says was sent is taken as given: which probes, their exchange's SPI and
 * IP ID, when each attempt went, when each was given up, what this machine
 * refused. Everything that came back is taken from the capture only. */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ikeprobe/audit.h"
#include "ikeprobe/ike_session.h"
#include "ikeprobe/match.h"
#include "ikeprobe/replay.h"
#include "ikeprobe/report.h"
#include "ikeprobe/sstp_session.h"

#define REPLAY_MAX	(1 + DOC_MAX_OTHERS)

struct replay {
	struct ike_session sess[REPLAY_MAX];
	struct sstp_session sstp[REPLAY_MAX];
	bool		 has_sstp[REPLAY_MAX];
	struct session	*ss[2 * REPLAY_MAX];
	int		 n, n_ss;
	struct report	 rep[REPLAY_MAX];
	struct report	*rp[REPLAY_MAX];
	struct host_info host[REPLAY_MAX];
	struct ingest	 in;
	struct io	 io;		/* unused by the sessions' frame() */
};

static usec_t
at_ms(const struct doc *d, double ms)
{
	return d->started_us.v + llround(ms * 1000.0);
}

static int
kind_of(const char *s)
{
	for (int k = PROBE_SA; k <= PROBE_CLOSE; k++)
		if (s && strcmp(probe_kind_name((enum probe_kind)k), s) == 0)
			return k;
	return PROBE_STATELESS;
}

static int
purpose_of(const char *s)
{
	for (int p = PURPOSE_REACH; p <= PURPOSE_AUDIT; p++)
		if (s && strcmp(probe_purpose_name((enum probe_purpose)p), s) == 0)
			return p;
	return PURPOSE_REACH;
}

static int
result_of(const char *s)
{
	for (int r = PROBE_PENDING; r <= PROBE_SEND_FAILED; r++)
		if (s && strcmp(probe_result_name((enum probe_result)r), s) == 0)
			return r;
	return PROBE_PENDING;
}

static int
errno_of(const struct doc_str *s)
{
	static const int known[] = { EMSGSIZE, ENOBUFS, EAGAIN, EINVAL,
	    ENOTSUP, EPERM, EACCES, ENETUNREACH, EHOSTUNREACH, ENETDOWN,
	    EADDRINUSE, ECONNREFUSED, ETIMEDOUT, ECONNRESET, ECONNABORTED,
	    EADDRNOTAVAIL, EMFILE };

	for (size_t i = 0; s->st == DOC_SET && i < sizeof(known) / sizeof(known[0]); i++)
		if (strerrorname_np(known[i]) && strcmp(strerrorname_np(known[i]), s->s) == 0)
			return known[i];
	return s->st == DOC_SET ? EIO : 0;
}

static bool
unhex(const char *h, uint8_t *out, size_t n)
{
	if (h == NULL || strlen(h) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (uint8_t)v;
	}
	return true;
}

/* A protected probe's exchange as the report gives it: the IKE SA's
 * responder SPI, the message, and the keys (a replay has no private key
 * to make them again). */
static bool
protected_from(const struct doc_probe *dp, struct probe *p, char *err,
    size_t errlen)
{
	const struct doc_keys *k = &dp->keys;
	struct ike_algs algs;

	p->ex.type = doc_is(&dp->exchange, "INFORMATIONAL") ?
	    IKE_EXCH_INFORMATIONAL : IKE_EXCH_IKE_AUTH;
	p->ex.msgid = (uint32_t)dp->message_id.v;
	if (!unhex(dp->spi_r.s, p->ex.spi_r, IKE_SPI_LEN)) {
		snprintf(err, errlen, "probe %d: no spi_r", p->id);
		return false;
	}
	if (k->st != DOC_SET)
		return true;	/* never built: nothing to decrypt */
	memset(&algs, 0, sizeof(algs));
	algs.encr = (uint16_t)k->encr.v;
	algs.encr_bits = (int)k->encr_bits.v;
	algs.integ = (uint16_t)k->integ.v;
	algs.prf = (uint16_t)k->prf.v;
	algs.dh = (uint16_t)k->dh.v;
	if (ike_keys_init(&p->ex.keys, &algs) < 0 ||
	    !unhex(k->sk_ei.s, p->ex.keys.sk_ei, p->ex.keys.encr_len) ||
	    !unhex(k->sk_er.s, p->ex.keys.sk_er, p->ex.keys.encr_len) ||
	    !unhex(k->sk_ai.s, p->ex.keys.sk_ai, p->ex.keys.integ_len) ||
	    !unhex(k->sk_ar.s, p->ex.keys.sk_ar, p->ex.keys.integ_len) ||
	    !unhex(k->sk_pr.s, p->ex.keys.sk_pr, p->ex.keys.prf_len)) {
		snprintf(err, errlen, "probe %d: its keys do not fit its "
		    "transforms", p->id);
		return false;
	}
	p->ex.has_keys = true;
	return true;
}

/* One probe as the report says it was sent. What it became is left to the
 * capture, but for what this machine decided: when it gave up (lost), or
 * that it refused to send (send_failed). */
static bool
probe_from(const struct doc *d, const struct doc_probe *dp, int id,
    int family, uint16_t sport, struct probe *p, char *err, size_t errlen)
{
	struct probe_spec sp;
	int res = result_of(dp->result.s);

	if (dp->spi_i.st != DOC_SET || dp->n_sent_ms < 0 || dp->ip_id.st != DOC_SET) {
		snprintf(err, errlen, "probe %d has no exchange identifiers "
		    "(a report from before ikeprobe 0.3)", id);
		return false;
	}
	memset(&sp, 0, sizeof(sp));
	sp.kind = (enum probe_kind)kind_of(dp->kind.s);
	sp.purpose = (enum probe_purpose)purpose_of(dp->purpose.s);
	sp.confirm = dp->repeat.st == DOC_SET && dp->repeat.v;
	sp.dport = (uint16_t)dp->port.v;
	sp.sport = sport;
	sp.size = (size_t)dp->size.v;
	sp.df = dp->df.v;
	sp.frag_size = dp->fragment_size.st == DOC_SET ? (size_t)dp->fragment_size.v : 0;
	sp.ke_group = (uint16_t)dp->ke_group.v;
	sp.parent = dp->follows.st == DOC_SET ? (int)dp->follows.v : -1;
	sp.max_attempts = (int)dp->attempts.v;
	sp.sa = dp->sa.st == DOC_SET ? (int)dp->sa.v : -1;
	sp.no_fragmentation = dp->no_fragmentation.v;
	sp.close_by_delete = doc_is(&dp->exchange, "INFORMATIONAL");
	sp.offer = sp.purpose == PURPOSE_AUDIT ? audit_offer_index(dp->offer.s) : -1;
	probe_init(p, id, &sp);
	if ((sp.kind == PROBE_AUTH || sp.kind == PROBE_CLOSE) &&
	    !protected_from(dp, p, err, errlen))
		return false;
	if (sp.kind == PROBE_SA || sp.kind == PROBE_STATELESS)
		p->ex.type = IKE_EXCH_IKE_SA_INIT;
	p->fragments = dp->fragments.st == DOC_SET ? (int)dp->fragments.v : 1;
	p->ex.unit.family = family;
	p->ex.unit.n = p->fragments;
	p->ex.unit.size = p->size;
	p->ex.unit.df = p->df;
	p->ex.unit.ip_id = (uint32_t)dp->ip_id.v;
	for (int i = 0; i < p->fragments && i < XMIT_MAX_DGRAMS; i++)
		p->ex.unit.dgram_id[i] = p->ex.unit.ip_id;
	p->ex.unit.frag_payload = p->fragments > 1 ?
	    pkt_frag_payload(family, p->frag_size) : 0;
	p->ex.sport = p->sport;
	p->ex.dport = p->dport;
	if (!unhex(dp->spi_i.s, p->ex.spi_i, IKE_SPI_LEN)) {
		snprintf(err, errlen, "probe %d: spi_i `%.40s' is not 16 hex "
		    "digits", id, dp->spi_i.s);
		return false;
	}
	p->attempts = dp->n_sent_ms < (int)dp->attempts.v ? dp->n_sent_ms :
	    (int)dp->attempts.v;
	for (int i = 0; i < p->attempts && i < PROBE_MAX_ATTEMPTS; i++)
		p->sent[i] = at_ms(d, dp->sent_ms[i]);
	/* The live run counts an attempt the stack took as sent_ok; what it
	 * refused ended the probe as send_failed. */
	p->sent_ok = res == PROBE_SEND_FAILED ? 0 : p->attempts;
	p->send_errno = errno_of(&dp->send_errno);
	return true;
}

/* The session of one report. */
static bool
session_from(const struct doc *d, struct ike_session *s, char *err,
    size_t errlen)
{
	struct plan_config cfg;
	struct local_info local;
	struct port_pair ports[MAX_PORTS];
	struct ip_addr target;
	int n_ports = 0;

	if (d->started_us.st != DOC_SET || d->options.st != DOC_SET) {
		snprintf(err, errlen, "%s: the report has no started_us or "
		    "options (a report from before ikeprobe 0.3)",
		    d->target.address.s);
		return false;
	}
	memset(&local, 0, sizeof(local));
	if (!ip_addr_parse(d->target.address.s, &target) ||
	    !ip_addr_parse(d->local.address.s, &local.addr)) {
		snprintf(err, errlen, "the report's addresses do not parse");
		return false;
	}
	snprintf(local.ifname, sizeof(local.ifname), "%s", d->local.interface.s);
	local.mtu = d->local.mtu.st == DOC_SET ? (int)d->local.mtu.v : 0;
	for (int i = 0; i < d->n_ports && n_ports < MAX_PORTS; i++) {
		ports[n_ports].dport = (uint16_t)d->ports[i].port;
		ports[n_ports].sport_errno = errno_of(&d->ports[i].source_port_error);
		ports[n_ports++].sport = (uint16_t)d->ports[i].source_port.v;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.rto = d->options.rto_ms.v / 1000.0;
	cfg.max_attempts = (int)d->options.attempts.v;
	cfg.backoff = 1.5;
	cfg.group = IKE_DH_CURVE25519;
	cfg.auth = d->options.auth.v;
	cfg.audit = d->options.audit.v;
	cfg.sizes.enabled = !d->options.quick.v;
	cfg.sizes.stateful = d->options.stateful.v;
	cfg.sizes.frag_size = d->options.fragment_size.st == DOC_SET ?
	    (size_t)d->options.fragment_size.v : 0;
	for (int i = 0; i < d->options.n_sizes && i < MAX_SIZES; i++)
		cfg.sizes.sizes[cfg.sizes.n_sizes++] = (size_t)d->options.sizes[i];
	ike_session_init(s, &target, &local, ports, n_ports, &cfg);
	s->started = d->started_us.v;
	s->duration = (double)d->duration_ms.v / 1000.0;
	s->stats.dropped = d->capture.dropped.st == DOC_SET ? d->capture.dropped.v : -1;
	if (d->stopped.st == DOC_SET) {
		s->faulted = doc_is(&d->stopped.reason, "fault");
		s->interrupted = !s->faulted;
		s->stop_signal = d->stopped.signal.st == DOC_SET ? (int)d->stopped.signal.v : 0;
		snprintf(s->fault, sizeof(s->fault), "%s", doc_s(&d->stopped.error, ""));
		s->fault_after = d->stopped.after_ms.v / 1000.0;
	}
	if (d->n_probes > PROBE_MAX) {
		snprintf(err, errlen, "%d probes, more than a run sends", d->n_probes);
		return false;
	}
	for (int i = 0; i < d->n_probes; i++) {
		struct probe_set set = ike_session_set(s);

		if (!probe_from(d, &d->probes[i], i, target.family,
		    probe_set_sport(&set, (uint16_t)d->probes[i].port.v),
		    &s->probes[i], err, errlen))
			return false;
		s->n_probes = i + 1;
	}
	/* What it cost is what was sent: the report's to say. */
	s->stats.packets_sent = (unsigned long)d->traffic.packets_sent.v;
	s->stats.bytes_sent = (unsigned long)d->traffic.bytes_sent.v;
	return true;
}

/* Base64 (the report's chain_der) back to DER; its length, or 0. */
static size_t
unbase64(const char *b64, uint8_t **out)
{
	size_t n = strlen(b64), pad = 0;
	int got;

	*out = NULL;
	if (n == 0 || n % 4 != 0 || n / 4 * 3 > CERT_MAX_DER + 2 ||
	    (*out = malloc(n / 4 * 3)) == NULL)
		return 0;
	if ((got = EVP_DecodeBlock(*out, (const unsigned char *)b64, (int)n)) < 0) {
		free(*out);
		*out = NULL;
		return 0;
	}
	/* EVP_DecodeBlock counts the padding's zero bytes. */
	pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
	return (size_t)got - pad;
}

/* A string of the report as it was: "" for null or absent. */
static const char *
str_of(const struct doc_str *s)
{
	return s->st == DOC_SET ? s->s : "";
}

/* The SSTP check as the report says its sockets went: each connection's
 * source port, how far it got and why it stopped, what TLS, HTTP and the
 * Call Connect answer said, the chain as sent. What the capture shows of
 * each connection (SYNs, SYN-ACK, reset, ICMP) is left to the capture. */
static void
sstp_from(const struct doc *d, const struct ike_session *ike,
    struct sstp_session *s)
{
	const struct doc_sstp *t = &d->sstp;
	struct sstp_conn *c = &s->conn[0];
	struct sstp_answers *a = &s->ans;
	int st;

	sstp_session_init(s, &ike->target, &ike->local.addr, (uint16_t)t->port.v,
	    str_of(&d->target.name));
	s->started = ike->started;
	s->duration = t->duration_ms.v / 1000.0;
	s->interrupted = ike->interrupted || ike->faulted;
	c->started = !doc_is(&t->state, "untested") || t->source_port.st == DOC_SET;
	c->finished = true;
	c->sport = (uint16_t)t->source_port.v;
	c->stage = (st = sstp_stage_of(t->reached.s)) >= 0 ?
	    (enum sstp_stage)st : SSTP_STAGE_CONNECT;
	c->connect_errno = errno_of(&t->connect_error);
	c->timed_out = t->timed_out.v;
	snprintf(c->error, sizeof(c->error), "%s", str_of(&t->error));
	snprintf(c->tls_version, sizeof(c->tls_version), "%s", str_of(&t->tls_version));
	snprintf(c->tls_cipher, sizeof(c->tls_cipher), "%s", str_of(&t->tls_cipher));
	for (int i = 0; i < t->n_legacy && i + 1 < SSTP_CONNS; i++) {
		const struct doc_sstp_legacy *l = &t->legacy[i];
		struct sstp_conn *k = &s->conn[1 + i];

		k->started = k->finished = true;
		k->sport = (uint16_t)l->source_port.v;
		k->connect_errno = errno_of(&l->connect_error);
		k->timed_out = l->timed_out.v;
		snprintf(k->error, sizeof(k->error), "%s", str_of(&l->error));
		if (l->accepted.st == DOC_SET && l->accepted.v) {
			snprintf(k->tls_version, sizeof(k->tls_version), "%s",
			    tls_profile_version(k->profile));
			snprintf(k->tls_cipher, sizeof(k->tls_cipher), "%s",
			    str_of(&l->cipher));
		}
	}
	if ((a->has_http = t->http_st == DOC_SET)) {
		a->http.status = (int)t->http_status.v;
		snprintf(a->http.reason, sizeof(a->http.reason), "%s", str_of(&t->http_reason));
		snprintf(a->http.server, sizeof(a->http.server), "%s", str_of(&t->http_server));
		a->http.has_length = t->http_content_length.st == DOC_SET;
		snprintf(a->http.length, sizeof(a->http.length), "%s",
		    str_of(&t->http_content_length));
		a->http.length_sstp = t->http_sstp_length.v;
	}
	if ((a->has_ctrl = t->answer_st == DOC_SET)) {
		a->ctrl.msg_type = (uint16_t)t->answer_type.v;
		a->ctrl.has_binding_req = t->answer_hash.st == DOC_SET;
		a->ctrl.hash_protocols = (uint8_t)t->answer_hash.v;
		a->ctrl.has_status = t->answer_status.st == DOC_SET;
		a->ctrl.status = (uint32_t)t->answer_status.v;
		a->ctrl.status_attr = (uint8_t)t->answer_status_attr.v;
	}
	for (int i = 0; i < t->n_chain_der && a->n_der < CERT_MAX_CHAIN; i++)
		if ((a->der_len[a->n_der] = unbase64(str_of(&t->chain_der[i]),
		    &a->der[a->n_der])) > 0)
			a->n_der++;
}

/* The give-ups the live run decided (lost, or refused), up to time ts. */
static void
give_ups(struct replay *r, const struct doc *const *docs, usec_t ts)
{
	for (int k = 0; k < r->n; k++) {
		const struct doc *d = docs[k];
		struct ike_session *s = &r->sess[k];

		for (int i = 0; i < s->n_probes; i++) {
			const struct doc_probe *dp = &d->probes[i];
			struct probe *p = &s->probes[i];
			int res = result_of(dp->result.s);
			usec_t t;

			if ((res != PROBE_LOST && res != PROBE_SEND_FAILED) ||
			    dp->ended_ms.st != DOC_SET ||
			    p->result != PROBE_PENDING ||
			    (t = at_ms(d, dp->ended_ms.v)) > ts)
				continue;
			observe_give_up(p, t);
		}
	}
}

static void
deliver(void *arg, enum frame_kind kind, const struct pkt *pk, usec_t ts)
{
	struct replay *r = arg;
	int i = session_dispatch(r->ss, r->n_ss, kind, pk, ts);

	r->ss[i < 0 ? 0 : i]->ops->frame(r->ss[i < 0 ? 0 : i], &r->io, kind, pk, ts);
}

/* The report's context (where, who, what resolved), as the live one had
 * it, around the re-derived diagnosis. */
static void
report_from(const struct doc *top, const struct doc *d,
    const struct ike_session *s, const struct sstp_session *sstp,
    struct cert_store *trust, struct report *rep, struct host_info *host)
{
	memset(rep, 0, sizeof(*rep));
	memset(host, 0, sizeof(*host));
	rep->started = (double)s->started / 1e6;
	rep->duration_ms = s->duration * 1000.0;
	rep->target_name = d->target.name.s;
	rep->target = s->target;
	rep->local = s->local;
	for (int i = 0; i < d->target.n_addresses && i < MAX_ADDRS; i++)
		if (ip_addr_parse(d->target.addresses[i].s, &rep->addrs[rep->n_addrs])) {
			rep->probed[rep->n_addrs] = d->target.probed[i];
			rep->why_not[rep->n_addrs] = d->target.reasons ?
			    d->target.reasons[i] : NULL;
			rep->n_addrs++;
		}
	rep->all_addresses = top->options.all_addresses.v;
	rep->ca_file = top->options.ca.st == DOC_SET ? top->options.ca.s : NULL;
	rep->trust = trust;
	rep->sstp.sess = sstp;
	rep->label = d->local.label.st == DOC_SET ? d->local.label.s : NULL;
	snprintf(host->hostname, sizeof(host->hostname), "%s", doc_s(&d->local.hostname, ""));
	snprintf(host->os, sizeof(host->os), "%s", doc_s(&d->local.os, ""));
	snprintf(host->kernel, sizeof(host->kernel), "%s", doc_s(&d->local.kernel, ""));
	rep->host = host;
	if (d->local.gateway.st == DOC_SET)
		rep->path.has_nexthop = ip_addr_parse(d->local.gateway.s, &rep->path.nexthop);
	if (d->local.network.st == DOC_SET) {
		char net[IP_ADDR_STRLEN + 8], *slash;

		snprintf(net, sizeof(net), "%s", d->local.network.s);
		if ((slash = strchr(net, '/')) != NULL) {
			*slash = '\0';
			rep->path.prefix_len = atoi(slash + 1);
			rep->path.has_network = ip_addr_parse(net, &rep->path.network);
		}
	}
	diagnose(rep, s);
}

int
replay_report(const struct doc *d, const char *pcap_path, json_object **out,
    int *exit_status, char *err, size_t errlen)
{
	static struct replay r;
	const struct doc *docs[REPLAY_MAX];
	struct capture cap;
	struct capture_pkt cp;
	struct cert_store *trust = NULL;
	json_object *others = NULL;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	*out = NULL;
	*exit_status = 0;
	ingest_init(&r.in);
	io_init(&r.io);
	docs[0] = d;
	for (int i = 0; i < d->n_others && i + 1 < REPLAY_MAX; i++)
		docs[i + 1] = &d->others[i];
	for (r.n = 0; r.n < 1 + d->n_others && r.n < REPLAY_MAX; r.n++) {
		if (!session_from(docs[r.n], &r.sess[r.n], err, errlen))
			goto out;
		r.ss[r.n] = &r.sess[r.n].base;
		ingest_local(&r.in, &r.sess[r.n].local.addr);
	}
	/* The SSTP sessions after the IKE ones, as in the live run. */
	r.n_ss = r.n;
	for (int i = 0; i < r.n; i++)
		if ((r.has_sstp[i] = docs[i]->sstp.st == DOC_SET)) {
			sstp_from(docs[i], &r.sess[i], &r.sstp[i]);
			r.ss[r.n_ss++] = &r.sstp[i].base;
		}
	if (capture_open_file(&cap, pcap_path, err, errlen) != NET_OK)
		goto out;
	while ((rc = capture_next(&cap, &cp)) == 1) {
		give_ups(&r, docs, cp.ts);
		ingest_frame(&r.in, cap.link, cp.data, cp.caplen, cp.ts, deliver, &r);
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", pcap_path, capture_error(&cap));
		capture_close(&cap);
		goto out;
	}
	capture_close(&cap);
	give_ups(&r, docs, INT64_MAX);
	r.sess[0].stats.reasm_expired = r.in.reasm.expired;
	/* The certificate is judged again against the same roots (a --ca
	 * file must still be there). */
	rc = -1;
	if ((d->options.auth.v || d->sstp.st == DOC_SET) && (trust = cert_store_open(d->options.ca.st ==
	    DOC_SET ? d->options.ca.s : NULL, err, errlen)) == NULL &&
	    d->options.ca.st == DOC_SET)
		goto out;
	for (int i = 0; i < r.n; i++) {
		report_from(d, docs[i], &r.sess[i], r.has_sstp[i] ? &r.sstp[i] :
		    NULL, trust, &r.rep[i], &r.host[i]);
		r.rp[i] = &r.rep[i];
	}
	diagnose_families(r.rp, r.n);
	others = json_object_new_array();
	for (int i = 0; i < r.n; i++) {
		json_object *j = report_json(&r.rep[i]);
		int st = r.sess[i].faulted ? 3 : r.rep[i].exit_status;

		if (st > *exit_status)
			*exit_status = st;
		if (i == 0)
			*out = j;
		else
			json_object_array_add(others, j);
	}
	json_object_object_add(*out, "others", others);
	rc = 0;
out:
	cert_store_free(trust);
	for (int i = 0; i < r.n; i++) {
		ike_session_free(&r.sess[i]);
		if (r.has_sstp[i])
			sstp_session_free(&r.sstp[i]);
	}
	ingest_free(&r.in);
	return rc;
}
