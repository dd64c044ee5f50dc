/* The IKE_AUTH part of the diagnosis: does the gateway's large IKE_AUTH
 * answer reach this network (the return direction), does a load balancer
 * keep a client's UDP 4500 with its UDP 500, and what a Windows client
 * would make of the gateway's certificate. Each sentence names the probes
 * it rests on. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ikeprobe/ikecrypto.h"
#include "ikeprobe/plan.h"
#include "ikeprobe/report.h"

static const char cert_advice[] =
    "Renew or replace the VPN server's certificate (on RRAS: the certificate "
    "bound to IKEv2 in Routing and Remote Access, or Set-VpnAuthProtocol "
    "-RootCertificateNameToAccept; strongSwan: local certs).";

static const struct probe *
probe_at(const struct report *rep, int id)
{
	return probe_set_get(&rep->set, id);
}

static bool
rfc7383(const struct report *rep, const struct probe *p)
{
	const struct probe *sa = probe_at(rep, p->sa);

	return sa && sa->reply.frag_supported && !sa->no_fragmentation;
}

static void
collect(struct report *rep)
{
	struct auth_report *a = &rep->auth;

	for (int i = 0; i < rep->set.n && a->n < MAX_AUTH; i++) {
		const struct probe *p = &rep->set.p[i];
		struct auth_attempt *t;

		if (p->kind != PROBE_AUTH)
			continue;
		t = &a->att[a->n++];
		t->probe = p->id;
		t->port = p->dport;
		t->rfc7383 = rfc7383(rep, p);
		t->answer = probe_auth_answer(p);
		for (int k = 0; k < p->ex.inner.n_notifies && !t->error; k++)
			if (p->ex.inner.notifies[k] <= IKE_NOTIFY_ERROR_MAX)
				t->error = p->ex.inner.notifies[k];
		t->eap_type = p->ex.inner.eap_type;
		if (p->result == PROBE_ANSWERED) {
			t->reply_bytes = p->ex.rx_bytes;
			t->ike_fragments = p->ex.rx_total ? p->ex.rx_total : 1;
			t->ip_fragments = p->rx_ip_frags;
		}
		t->partial = p->partial;
		/* The SA's end: an error answer to any IKE_AUTH in it ends it
		 * (RFC 7296 2.21.2), an answered close does; a close that went
		 * unanswered leaves it to the gateway's own timeout. */
		t->deleted = TRI_NULL;
		t->close_probe = -1;
		for (int k = 0; k < rep->set.n; k++) {
			const struct probe *d = &rep->set.p[k];
			enum auth_answer da;

			if (d->sa != p->sa || t->deleted == TRI_TRUE)
				continue;
			da = probe_auth_answer(d);
			if (d->kind == PROBE_AUTH && (da == AUTH_ANSWER_FAILED ||
			    da == AUTH_ANSWER_ERROR)) {
				t->deleted = TRI_TRUE;
				t->closed_by = "error";
			} else if (d->kind == PROBE_CLOSE) {
				t->close_probe = d->id;
				if (d->result == PROBE_ANSWERED) {
					t->deleted = TRI_TRUE;
					t->closed_by = d->close_by_delete ? "delete" : "close";
				} else if (d->result != PROBE_PENDING)
					t->deleted = TRI_FALSE;
			}
		}
	}
}

static void
kb(char *buf, size_t len, size_t bytes)
{
	snprintf(buf, len, "%zu bytes", bytes);
}

/* The close sent after p in its SA on p's port, answered: the gateway took
 * message 2 there, so it had taken (and answered) p's message 1. Its id,
 * or -1. */
static int
close_answered(const struct report *rep, const struct probe *p)
{
	for (int i = 0; i < rep->set.n; i++) {
		const struct probe *q = &rep->set.p[i];

		if (q->kind == PROBE_CLOSE && q->sa == p->sa && q->id > p->id &&
		    q->dport == p->dport)
			return q->result == PROBE_ANSWERED ? q->id : -1;
	}
	return -1;
}

static void lost_samples(struct report *, const struct auth_attempt *, char *,
    size_t);

/* Gateway to client: the answers that came (or would have come) as one
 * IP-fragmented datagram decide; one that came decides over one lost (on
 * another port, or in another SA). */
static void
inbound(struct report *rep)
{
	struct auth_report *a = &rep->auth;
	char size[32], *e = a->inbound_evidence;
	size_t elen = sizeof(a->inbound_evidence);
	const struct auth_attempt *frag_ok = NULL, *t = NULL;
	const struct probe *p;

	a->inbound = FRAG_UNKNOWN;
	a->inbound_probe = -1;
	for (int i = 0; i < a->n; i++)
		if (a->att[i].rfc7383 && a->att[i].answer == AUTH_ANSWER_EAP)
			frag_ok = &a->att[i];
	for (int pass = 0; pass < 2 && t == NULL; pass++)
		for (int i = 0; i < a->n && t == NULL; i++) {
			p = probe_at(rep, a->att[i].probe);
			if (!a->att[i].rfc7383 && p &&
			    (pass == 1 || p->result == PROBE_ANSWERED))
				t = &a->att[i];
		}
	if (t == NULL) {
		if (frag_ok)
			snprintf(e, elen, "Only an IKE_AUTH answer in IKEv2 "
			    "fragments (probe #%d) was tested: the gateway sends "
			    "those below the path MTU, so IP fragments from it were "
			    "not needed.", frag_ok->probe);
		else if (a->tested)
			snprintf(e, elen, "No IKE_AUTH answer came as one large "
			    "datagram.");
		else
			snprintf(e, elen, "Not tested: %s", a->why);
		return;
	}
	p = probe_at(rep, t->probe);
	a->inbound_probe = t->probe;
	if (p->result == PROBE_ANSWERED) {
		kb(size, sizeof(size), t->reply_bytes);
		if (t->answer == AUTH_ANSWER_FAILED || t->answer == AUTH_ANSWER_ERROR)
			snprintf(e, elen, "The gateway answered IKE_AUTH (probe #%d) "
			    "with %s and no certificate: its answer is too small to "
			    "tell whether IP fragments from it reach this network.",
			    t->probe, ike_notify_name(t->error));
		else if (t->ip_fragments > 1) {
			a->inbound = FRAG_PASS;
			snprintf(e, elen, "The gateway's IKE_AUTH answer to probe #%d "
			    "(%s, one datagram in %d IP fragments) reached this "
			    "machine whole.", t->probe, size, t->ip_fragments);
		} else
			snprintf(e, elen, "The gateway's IKE_AUTH answer to probe #%d "
			    "(%s) came in one unfragmented datagram: nothing to test "
			    "in this direction.", t->probe, size);
		return;
	}
	if (p->result == PROBE_PENDING) {
		snprintf(e, elen, "Undecided: the run stopped before the gateway's "
		    "IKE_AUTH answer (probe #%d) came or timed out.", t->probe);
		return;
	}
	lost_samples(rep, frag_ok, e, elen);
}

/* What one lost IKE_AUTH without RFC 7383 shows of its answer, into e (a
 * clause); NONE, FIRSTS (first fragments came alone, the later ones
 * never: what a firewall that drops non-first fragments leaves), or
 * CLOSED (nothing came, but the gateway answered the next message in the
 * SA, which it takes only once it has answered this one). */
enum sample { SAMPLE_NONE, SAMPLE_FIRSTS, SAMPLE_CLOSED };

static enum sample
lost_sample(const struct report *rep, const struct auth_attempt *t, char *e,
    size_t elen)
{
	const struct probe *p = probe_at(rep, t->probe);
	int ctl;

	if (t->partial.firsts > t->partial.whole && t->partial.others == 0) {
		snprintf(e, elen, "the first IP fragment of the gateway's %zu-byte "
		    "IKE_AUTH answer to probe #%d arrived %d time%s in %d "
		    "transmission%s, its other fragments never did", t->partial.size,
		    t->probe, t->partial.firsts - t->partial.whole,
		    t->partial.firsts - t->partial.whole == 1 ? "" : "s",
		    p->attempts, p->attempts == 1 ? "" : "s");
		return SAMPLE_FIRSTS;
	}
	if (t->partial.firsts == 0 && t->partial.others == 0 &&
	    (ctl = close_answered(rep, p)) >= 0) {
		snprintf(e, elen, "nothing of the gateway's IKE_AUTH answer to "
		    "probe #%d came back (%d transmissions, no IP fragment of it), "
		    "though the gateway answered the next message in the same IKE "
		    "SA on the same port (probe #%d, the closing IKE_AUTH: message "
		    "2, which a gateway takes only once it has answered message 1)",
		    t->probe, p->attempts, ctl);
		return SAMPLE_CLOSED;
	}
	snprintf(e, elen, "nothing that shows where IKE_AUTH probe #%d's answer "
	    "was lost came back (%d transmissions)", t->probe, p->attempts);
	return SAMPLE_NONE;
}

/* No IKE_AUTH without RFC 7383 answered: the gateway's IP fragments are
 * dropped on the way here only when two IKE SAs show it, each with its
 * own evidence (as a lost size counts only when lost twice); seen once,
 * or with fragments that came and went (random loss), it is undecided. */
static void
lost_samples(struct report *rep, const struct auth_attempt *frag_ok, char *e,
    size_t elen)
{
	struct auth_report *a = &rep->auth;
	const struct auth_attempt *used[2] = { NULL, NULL };
	char one[2][420];
	enum sample kind[2] = { SAMPLE_NONE, SAMPLE_NONE };
	int n = 0, seen = 0, sa_seen[2] = { -1, -1 };

	for (int i = 0; i < a->n && n < 2; i++) {
		const struct auth_attempt *t = &a->att[i];
		const struct probe *p = probe_at(rep, t->probe);

		if (t->rfc7383 || p == NULL || p->result == PROBE_PENDING ||
		    p->sa == sa_seen[0])
			continue;
		/* One sample per IKE SA: its last IKE_AUTH (a retry on the
		 * SA's own port, if one went). */
		for (int k = i + 1; k < a->n; k++)
			if (probe_at(rep, a->att[k].probe)->sa == p->sa)
				t = &a->att[k];
		sa_seen[n] = p->sa;
		used[n] = t;
		if ((kind[n] = lost_sample(rep, t, one[n], sizeof(one[n]))) !=
		    SAMPLE_NONE)
			seen++;
		n++;
	}
	if (n == 2 && seen == 2 && kind[0] == SAMPLE_FIRSTS &&
	    kind[1] == SAMPLE_FIRSTS) {
		/* The usual case, said once rather than twice. */
		a->inbound = FRAG_DROPPED;
		snprintf(e, elen, "In two IKE SAs without IKEv2 fragmentation, "
		    "only the first IP fragment of the gateway's %zu-byte "
		    "IKE_AUTH answer arrived (probe #%d: %d time%s in %d "
		    "transmissions; probe #%d: %d in %d), its other fragments "
		    "never did: IP fragments from the gateway are dropped on the way "
		    "to this machine.%s", used[0]->partial.size, used[0]->probe,
		    used[0]->partial.firsts - used[0]->partial.whole,
		    used[0]->partial.firsts - used[0]->partial.whole == 1 ? "" :
		    "s", probe_at(rep, used[0]->probe)->attempts, used[1]->probe,
		    used[1]->partial.firsts - used[1]->partial.whole,
		    probe_at(rep, used[1]->probe)->attempts, frag_ok ? " The same "
		    "answer in IKEv2 fragments (RFC 7383) came through." : "");
		return;
	}
	if (n == 2 && seen == 2 && kind[0] == SAMPLE_CLOSED &&
	    kind[1] == SAMPLE_CLOSED) {
		/* Every fragment dropped (not only the later ones): the
		 * closing message answered in each SA is the control. */
		const struct probe *p0 = probe_at(rep, used[0]->probe);
		const struct probe *p1 = probe_at(rep, used[1]->probe);

		a->inbound = FRAG_DROPPED;
		snprintf(e, elen, "In two IKE SAs without IKEv2 fragmentation, "
		    "nothing of the gateway's IKE_AUTH answer came back, not one "
		    "IP fragment (probe #%d: %d transmissions; probe #%d: %d), "
		    "though in each SA the gateway answered the next message on "
		    "the same port (probes #%d and #%d, the closing IKE_AUTH: "
		    "message 2, which a gateway takes only once it has answered "
		    "message 1): IP fragments from the gateway are dropped on the "
		    "way to this machine.%s", p0->id, p0->attempts, p1->id,
		    p1->attempts, close_answered(rep, p0), close_answered(rep, p1),
		    frag_ok ? " The same answer in IKEv2 fragments (RFC 7383) "
		    "came through." : "");
		return;
	}
	if (n == 2 && seen == 2) {
		a->inbound = FRAG_DROPPED;
		snprintf(e, elen, "In two IKE SAs without IKEv2 fragmentation, %s; "
		    "and %s: IP fragments from the gateway are dropped on the way "
		    "to this machine.%s", one[0], one[1], frag_ok ? " The same "
		    "answer in IKEv2 fragments (RFC 7383) came through." : "");
		return;
	}
	a->inbound = FRAG_INCONCLUSIVE;
	snprintf(e, elen, "Undecided: %s%s%s. A loss of the gateway's fragments "
	    "counts only when two IKE SAs show it.", one[0], n == 2 ? "; and " :
	    "", n == 2 ? one[1] : "; no second IKE SA was tried");
}

/* A client behind a NAT sends IKE_AUTH on UDP 4500: a balancer that does
 * not keep 4500 with the 500 of the same client sends it to a backend
 * with no such IKE SA, which stays silent. */
static void
load_balancer(struct report *rep)
{
	struct auth_report *a = &rep->auth;
	const struct auth_attempt *first = a->n ? &a->att[0] : NULL, *retry = NULL;
	const struct probe *sa, *p, *stateless = NULL, *close = NULL;

	if (first == NULL || first->port != 4500 || first->answer != AUTH_ANSWER_NONE ||
	    first->partial.firsts > 0 || (p = probe_at(rep, first->probe)) == NULL ||
	    p->result == PROBE_PENDING || (sa = probe_at(rep, p->sa)) == NULL ||
	    sa->dport == 4500)
		return;
	for (int i = 1; i < a->n; i++)
		if (probe_at(rep, a->att[i].probe)->sa == p->sa &&
		    a->att[i].port == sa->dport)
			retry = &a->att[i];
	for (int i = 0; i < rep->set.n && stateless == NULL; i++)
		if (rep->set.p[i].dport == 4500 && rep->set.p[i].result == PROBE_ANSWERED &&
		    rep->set.p[i].kind == PROBE_STATELESS)
			stateless = &rep->set.p[i];
	for (int i = 0; i < rep->set.n && close == NULL; i++)
		if (rep->set.p[i].kind == PROBE_CLOSE && rep->set.p[i].sa == p->sa &&
		    rep->set.p[i].dport == 4500)
			close = &rep->set.p[i];
	if (retry == NULL || retry->answer == AUTH_ANSWER_NONE || stateless == NULL ||
	    (close && close->result == PROBE_ANSWERED))
		return;
	a->lb_no_affinity = true;
	snprintf(a->lb_evidence, sizeof(a->lb_evidence), "UDP 4500 answers "
	    "IKE_SA_INIT (probe #%d), yet IKE_AUTH for the IKE SA made on UDP "
	    "%u (probe #%d) got no answer on 4500 in %d transmissions (probe "
	    "#%d)%s, while the same IKE_AUTH on UDP %u was answered (probe #%d): "
	    "what arrives on 4500 goes to a gateway that does not know the SA.",
	    stateless->id, sa->dport, sa->id, p->attempts, first->probe,
	    close ? ", nor did the next message in it there" : "", sa->dport,
	    retry->probe);
}

/* The octets the responder signs (RFC 7296 2.15): its IKE_SA_INIT
 * message, our nonce, and prf(SK_pr, IDr's body). */
static void
verify_auth(struct report *rep, const struct probe *p)
{
	struct auth_report *a = &rep->auth;
	const struct probe *sa = probe_at(rep, p->sa);
	const struct ike_inner *in = &p->ex.inner;
	const uint8_t *plain = p->ex.plain.buf;
	struct ike_reply req;
	uint8_t signed_[8192], mac[IKE_PRF_MAX];
	size_t n = 0, mlen = 0;
	int rc;

	a->auth_verified = TRI_NULL;
	if (!in->has_auth || !in->has_idr || in->n_certs == 0 || sa == NULL ||
	    sa->ex.response.len == 0 || sa->ex.request.len == 0) {
		snprintf(a->auth_error, sizeof(a->auth_error), "%s",
		    !in->has_auth ? "no AUTH payload" : "not enough to check it");
		return;
	}
	ike_parse(sa->ex.request.buf, sa->ex.request.len, &req);
	if (!req.has_nonce || sa->ex.response.len + req.nonce_len + IKE_PRF_MAX >
	    sizeof(signed_) || ike_prf(p->ex.keys.algs.prf, p->ex.keys.sk_pr,
	    p->ex.keys.prf_len, plain + in->idr.off, in->idr.len, mac, &mlen) < 0) {
		snprintf(a->auth_error, sizeof(a->auth_error), "cannot rebuild "
		    "the signed octets");
		return;
	}
	memcpy(signed_, sa->ex.response.buf, sa->ex.response.len);
	n = sa->ex.response.len;
	memcpy(signed_ + n, sa->ex.request.buf + req.nonce_off, req.nonce_len);
	n += req.nonce_len;
	memcpy(signed_ + n, mac, mlen);
	n += mlen;
	rc = cert_verify_auth(plain + in->cert[0].off, in->cert[0].len,
	    in->auth_method, plain + in->auth.off, in->auth.len, signed_, n,
	    a->auth_error, sizeof(a->auth_error));
	a->auth_verified = rc < 0 ? TRI_NULL : rc ? TRI_TRUE : TRI_FALSE;
	if (rc == 1)
		a->auth_error[0] = '\0';
}

static void
certificate(struct report *rep)
{
	struct auth_report *a = &rep->auth;
	const uint8_t *der[IKE_MAX_CERTS];
	size_t len[IKE_MAX_CERTS];
	int n = 0;

	a->cert_probe = -1;
	for (int i = 0; i < a->n && a->cert_probe < 0; i++) {
		const struct probe *p = probe_at(rep, a->att[i].probe);

		if (p->result == PROBE_ANSWERED && p->ex.inner.n_certs > 0)
			a->cert_probe = p->id;
	}
	if (a->cert_probe < 0)
		return;
	{
		const struct probe *p = probe_at(rep, a->cert_probe);
		const struct ike_inner *in = &p->ex.inner;

		for (int i = 0; i < in->n_certs; i++)
			if (in->cert_encoding[i] == IKE_CERT_X509_SIGNATURE) {
				der[n] = p->ex.plain.buf + in->cert[i].off;
				len[n++] = in->cert[i].len;
			}
		if (n == 0)
			return;
		a->has_cert = true;
		cert_check(der, len, n, rep->target_name, rep->trust,
		    (time_t)rep->started, &a->cert);
		verify_auth(rep, p);
	}
}

/* The one sentence that leads the report when this breaks every client
 * (the first that does). */
static void __attribute__((format(printf, 2, 3)))
lead(struct report *rep, const char *fmt, ...)
{
	va_list ap;

	if (rep->auth.headline[0])
		return;
	va_start(ap, fmt);
	vsnprintf(rep->auth.headline, sizeof(rep->auth.headline), fmt, ap);
	va_end(ap);
}

static void
cert_findings(struct report *rep)
{
	const struct auth_report *a = &rep->auth;
	const struct cert_info *c = &a->cert;
	char win[] = "Windows clients fail with error 13801 (IKE authentication "
	    "credentials are unacceptable)";
	char na[32];

	if (!a->has_cert)
		return;
	rfc3339((double)c->not_after, na, sizeof(na));
	if (!c->parsed) {
		add_finding(rep, SEV_ERROR, "cert-untrusted", cert_advice, "The "
		    "gateway's certificate (probe #%d) does not parse: %s. %s.",
		    a->cert_probe, c->problem, win);
		return;
	}
	if (c->expired)
		lead(rep, "The VPN gateway's certificate expired on %.10s: every "
		    "client fails (error 13801; SSTP 0x800B0101).", na);
	else if (c->not_yet_valid)
		lead(rep, "The VPN gateway's certificate is not valid yet: every "
		    "client fails (error 13801).");
	else if (c->name_checked && !c->name_matches)
		lead(rep, "The VPN gateway's certificate does not carry %s, the "
		    "name dialled: clients fail (error 13801).",
		    c->name);
	else if (!c->server_auth)
		lead(rep, "The VPN gateway's certificate lacks the Server "
		    "Authentication EKU: Windows clients fail (error 13801).");
	else if (c->trusted == CERT_TRUST_NO)
		lead(rep, "The VPN gateway's certificate does not chain to a "
		    "trusted root%s: clients fail (error 13801).",
		    c->chain_incomplete ? " (intermediate CA not sent)" : "");
	else if (a->auth_verified == TRI_FALSE)
		lead(rep, "The VPN gateway's AUTH does not verify with its "
		    "certificate's key: clients fail (error 13801).");
	if (c->expired)
		add_finding(rep, SEV_ERROR, "cert-expired", cert_advice, "The "
		    "gateway's certificate \"%s\" expired on %.10s, %lld full "
		    "day(s) ago (not after %s): %s; SSTP clients with it show "
		    "-2146762495 (0x800B0101, CERT_E_EXPIRED).", c->subject, na,
		    (long long)(((int64_t)rep->started - c->not_after) / 86400),
		    na, win);
	if (c->not_yet_valid)
		add_finding(rep, SEV_ERROR, "cert-not-yet-valid", "Check the "
		    "gateway's certificate dates and both clocks.", "The gateway's "
		    "certificate \"%s\" is not valid yet: %s.", c->subject, win);
	if (!c->expired && c->days_left < 30)
		add_finding(rep, SEV_WARNING, "cert-expires-soon", cert_advice,
		    "The gateway's certificate \"%s\" expires in %lld day(s); "
		    "then every client fails (error 13801).", c->subject,
		    (long long)c->days_left);
	if (c->name_checked && !c->name_matches)
		add_finding(rep, SEV_ERROR, "cert-name-mismatch", "Give the "
		    "gateway a certificate with the name clients dial in its "
		    "subject alternative names (or have clients dial a name it "
		    "has).", "The gateway's certificate does not carry %s, the "
		    "name dialled (subject \"%s\", %d alternative name(s)): %s; "
		    "SSTP clients show 0x800B010F (CERT_E_CN_NO_MATCH).", c->name,
		    c->subject, c->n_san, win);
	if (!c->server_auth)
		add_finding(rep, SEV_ERROR, "cert-no-server-auth-eku", "Issue the "
		    "gateway's certificate with the Server Authentication EKU "
		    "(and, for Windows, IP security IKE intermediate).", "The "
		    "gateway's certificate has %s: Windows requires Server "
		    "Authentication; %s; SSTP clients show 0x800B0110 "
		    "(CERT_E_WRONG_USAGE).", c->has_eku ? "no Server "
		    "Authentication EKU" : "no extended key usage at all", win);
	if (c->trusted == CERT_TRUST_NO && c->chain_incomplete)
		add_finding(rep, SEV_ERROR, "cert-chain-incomplete", "Make the "
		    "gateway send its intermediate CA certificate with its own "
		    "(or install it on every client).", "The gateway sends %d "
		    "certificate(s) without the one that issued its own (\"%s\"): "
		    "clients that do not have it fail (error 13801).",
		    c->n_chain, c->issuer);
	else if (c->trusted == CERT_TRUST_NO)
		add_finding(rep, SEV_ERROR, "cert-untrusted", rep->ca_file ?
		    "Check that --ca names the CA your clients trust." : "Install "
		    "the issuing root CA on the clients (or give ikeprobe --ca "
		    "FILE to check against it).", "The gateway's certificate "
		    "does not chain to a trusted root (%s, checked against %s): "
		    "%s; SSTP clients show 0x800B0109 (CERT_E_UNTRUSTEDROOT).",
		    c->trust_error, rep->ca_file ? rep->ca_file :
		    "this machine's trust store", win);
	if (c->weak_key)
		add_finding(rep, SEV_WARNING, "cert-weak-key", cert_advice, "The "
		    "gateway's certificate key is %s: too weak (RSA below 2048 "
		    "bits, EC below 256).", c->key);
	if (c->sha1)
		add_finding(rep, SEV_WARNING, "cert-sha1-signature", cert_advice,
		    "The gateway's certificate chain is signed with SHA-1 (%s), "
		    "which Windows no longer trusts for server authentication.",
		    c->signature);
	if (a->auth_verified == TRI_FALSE)
		add_finding(rep, SEV_ERROR, "gateway-signature-invalid", "Keep the "
		    "capture (--pcap) for the gateway's vendor: a gateway's AUTH "
		    "must be signed with its certificate's key.", "The "
		    "gateway's AUTH payload (probe #%d) does not verify with the "
		    "key of its certificate (%s): it does not prove it holds that "
		    "key; clients fail (error 13801).", a->cert_probe,
		    a->auth_error);
}

/* The gateway made the IKE SA but answered nothing in it: no IKE_AUTH,
 * no fragment of an answer, no closing message. Where a client stops. */
static bool
unanswered(struct report *rep)
{
	const struct auth_report *a = &rep->auth;
	char ids[64] = "", ports[32] = "";
	bool on[2] = { false, false };	/* 500, 4500 */
	size_t n = 0;
	int sa = -1;

	if (!a->tested || a->lb_no_affinity)
		return false;
	for (int i = 0; i < a->n; i++) {
		const struct auth_attempt *t = &a->att[i];
		const struct probe *p = probe_at(rep, t->probe);

		if (p == NULL || p->result == PROBE_PENDING ||
		    t->answer != AUTH_ANSWER_NONE || t->partial.firsts ||
		    t->partial.others || t->deleted == TRI_TRUE)
			return false;
		sa = p->sa;
		if (n < sizeof(ids))
			n += (size_t)snprintf(ids + n, sizeof(ids) - n, "%s#%d",
			    i ? ", " : "", t->probe);
		on[t->port != 500] = true;
	}
	snprintf(ports, sizeof(ports), "%s%s%s", on[0] ? "500" : "",
	    on[0] && on[1] ? " and " : "", on[1] ? "4500" : "");
	if (a->n == 0)
		return false;
	lead(rep, "The VPN gateway answers IKE_SA_INIT but not IKE_AUTH from "
	    "this network: clients fail with error 809.");
	add_finding(rep, SEV_ERROR, "auth-unanswered", "Look in the gateway's "
	    "log for IKE_AUTH from this address (RRAS: event 20227 or none at "
	    "all; strongSwan: charon's log). Run again in a minute: gateways "
	    "limit new IKE SAs per address.", "The gateway made the IKE SA of "
	    "probe #%d but answered nothing in it: IKE_AUTH (probe %s on UDP %s) "
	    "and the message after it went unanswered, and no fragment of an "
	    "answer came. Clients stop at this step (error 809): something drops "
	    "IKE_AUTH or the gateway's answer to it, or the gateway ignores this "
	    "client.", sa, ids, ports);
	return true;
}

/* The size of the gateway's IKE_AUTH answer: as it came (in SKF
 * fragments), or as its first IP fragment announced it. */
static size_t
inbound_size(const struct report *rep)
{
	const struct auth_report *a = &rep->auth;
	size_t n = 0;

	for (int i = 0; i < a->n; i++) {
		if (a->att[i].reply_bytes > n)
			n = a->att[i].reply_bytes;
		if (a->att[i].partial.size > n)
			n = a->att[i].partial.size;
	}
	return n;
}

static void
findings(struct report *rep)
{
	const struct auth_report *a = &rep->auth;
	char advice[800];
	const struct ike_session *s = rep->sess;
	bool stopped = s->interrupted || s->faulted;
	bool offered = false;

	for (int i = 0; i < a->n; i++)
		offered |= a->att[i].rfc7383;
	if (a->inbound == FRAG_DROPPED) {
		if (offered)
			snprintf(advice, sizeof(advice), "Make sure clients use "
			    "IKEv2 fragmentation (Windows 10/11 1803 and later "
			    "do, when the gateway offers it, as this one does; "
			    "strongSwan: fragmentation = yes). Or ask the "
			    "network's owner to pass IP fragments from the "
			    "gateway.");
		else
			snprintf(advice, sizeof(advice), "Enable IKEv2 "
			    "fragmentation (RFC 7383) on the gateway: %s; Windows "
			    "10/11 clients use it from 1803 on. Or ask the "
			    "network's owner to pass IP fragments from the "
			    "gateway.", diag_gateway_fragmentation);
		/* The evidence is fragments.inbound_evidence's, said once. */
		add_finding(rep, SEV_ERROR, "return-fragments-dropped", advice,
		    "The gateway's IKE_AUTH answers (about %zu bytes, with its "
		    "certificates) cannot reach this network as IP fragments: %s "
		    "with error 809.", inbound_size(rep), offered ? "clients that "
		    "do not use IKEv2 fragmentation fail" : "every client fails");
	}
	else if (unanswered(rep))
		;	/* says more than "inconclusive" */
	else if (a->inbound == FRAG_INCONCLUSIVE && !stopped)
		add_finding(rep, SEV_WARNING, "return-fragments-inconclusive",
		    "Run again in a minute: the gateway may rate-limit new IKE "
		    "SAs from one address.", "Whether the gateway's large answers "
		    "reach this network is undecided. %s", a->inbound_evidence);
	cert_findings(rep);
	if (a->lb_no_affinity) {
		lead(rep, "A load balancer sends UDP 4500 to another gateway than "
		    "UDP 500: clients behind a NAT fail at times (error 809).");
		add_finding(rep, SEV_ERROR, "load-balancer-no-affinity", "Give the "
		    "load balancer in front of the gateways source-IP affinity "
		    "(persistence) covering UDP 500 and 4500 together, or one "
		    "virtual server for both ports.", "A load balancer does not "
		    "keep a client's UDP 4500 with its UDP 500: %s Clients behind "
		    "a NAT fail intermittently (error 809).", a->lb_evidence);
	}
	if (a->cert_auth_only)
		add_finding(rep, SEV_INFO, "gateway-certificate-auth-only",
		    "Nothing to do for device tunnels (machine certificates). EAP "
		    "user tunnels need a gateway connection that allows EAP.",
		    "The gateway answered IKE_AUTH without AUTH (a request for "
		    "EAP, as Windows user tunnels send) with AUTHENTICATION_FAILED "
		    "and without its certificate (probe #%d): it does not offer "
		    "EAP to this client (it allows certificate or pre-shared key "
		    "authentication only). Its certificate and the return "
		    "direction were not tested.", a->att[0].probe);
}

void
diagnose_auth(struct report *rep)
{
	struct auth_report *a = &rep->auth;
	const struct ike_session *s = rep->sess;
	const struct probe *sa = plan_full_sa(&rep->set);
	struct ike_algs algs;
	char err[160];
	bool both = false;

	memset(a, 0, sizeof(*a));
	a->inbound_probe = a->cert_probe = -1;
	a->auth_verified = TRI_NULL;
	a->deleted = TRI_NULL;
	collect(rep);
	a->tested = a->n > 0;
	if (!a->tested) {
		snprintf(a->why, sizeof(a->why), "%s", !s->cfg.auth ?
		    (s->cfg.sizes.enabled ? "--no-auth" : "--quick") : sa == NULL ?
		    "no full IKE_SA_INIT answer came, and IKE_AUTH needs its IKE SA" :
		    "the run stopped first");
		snprintf(a->inbound_evidence, sizeof(a->inbound_evidence),
		    "Not tested: %s.", a->why);
		a->inbound = FRAG_UNKNOWN;
		return;
	}
	if (sa && ike_algs_from(sa->reply.chosen, sa->reply.n_chosen, &algs, err,
	    sizeof(err)) == 0) {
		algs.dh = sa->reply.ke_group;
		ike_algs_str(&algs, a->proposal, sizeof(a->proposal));
	}
	a->port = a->att[0].port;
	for (int i = 0; i < a->n && a->answer == AUTH_ANSWER_NONE; i++)
		a->answer = a->att[i].answer;
	/* The first answer that came (one before it may have been lost). */
	a->cert_auth_only = a->answer == AUTH_ANSWER_FAILED;
	/* Every SA that might be left on the gateway ended? */
	for (int i = 0; i < a->n; i++) {
		both |= a->att[i].rfc7383 != a->att[0].rfc7383;
		if (a->att[i].deleted == TRI_FALSE)
			a->deleted = TRI_FALSE;
		else if (a->att[i].deleted == TRI_TRUE && a->deleted != TRI_FALSE)
			a->deleted = TRI_TRUE;
	}
	snprintf(a->why, sizeof(a->why), "IKE_AUTH without AUTH (asking for "
	    "EAP), as a Windows user tunnel sends it, in the IKE SA of probe #%d "
	    "on UDP %u%s; then an empty IKE_AUTH (message 2, no EAP response), "
	    "which the gateway answers with AUTHENTICATION_FAILED and ends the "
	    "IKE SA", sa ? sa->id : -1, a->port, both ? ", and again in an "
	    "IKE SA without IKEv2 fragmentation" : "");
	inbound(rep);
	load_balancer(rep);
	certificate(rep);
	findings(rep);
}
