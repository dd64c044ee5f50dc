/* What a capture says happened (analysis.h), in the live run's words and
 * finding codes where the meaning is the same: which direction lost what,
 * with the frames that show it. Only what the capture shows: a request
 * answered every time is the network's success, whatever failed after. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ikeprobe/analysis.h"
#include "ikeprobe/tlsrec.h"

static const char frag_advice[] =
    "Enable IKEv2 fragmentation (RFC 7383) on both sides: Windows clients "
    "use it from 1803 on; " GATEWAY_FRAGMENTATION_HOWTO ". Or ask the "
    "network's owner to pass IP fragments, or use SSTP from this network.";

static struct an_finding *
add(struct analysis *a, int conv, enum severity sev, const char *code,
    const char *advice, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static struct an_finding *
add(struct analysis *a, int conv, enum severity sev, const char *code,
    const char *advice, const char *fmt, ...)
{
	struct an_finding *f;
	va_list ap;

	if (a->n_findings == AN_FINDINGS)
		return NULL;
	f = &a->findings[a->n_findings++];
	memset(f, 0, sizeof(*f));
	f->conv = conv;
	f->f.severity = sev;
	snprintf(f->f.code, sizeof(f->f.code), "%s", code);
	snprintf(f->f.advice, sizeof(f->f.advice), "%s", advice ? advice : "");
	va_start(ap, fmt);
	vsnprintf(f->f.summary, sizeof(f->f.summary), fmt, ap);
	va_end(ap);
	return f;
}

static void
evidence(struct an_finding *f, const struct an_frames *fr)
{
	if (f == NULL)
		return;
	for (int i = 0; i < fr->count && i < AN_FRAMES; i++) {
		int k;

		for (k = 0; k < f->frames.count && f->frames.n[k] != fr->n[i]; k++)
			;
		if (k == f->frames.count && f->frames.count < AN_FRAMES)
			f->frames.n[f->frames.count++] = fr->n[i];
	}
}

/* "frame 4", "frames 4, 6 and 8", "frames 4-9", with "and N more" past
 * those kept. */
static const char *
frames_str(const struct an_frames *f, char *buf, size_t len)
{
	char run[AN_FRAMES][24];
	int kept = f->count < AN_FRAMES ? f->count : AN_FRAMES, n = 0;
	size_t o;

	for (int i = 0; i < kept; i++) {
		int j = i;

		while (j + 1 < kept && f->n[j + 1] == f->n[j] + 1)
			j++;
		if (j >= i + 2) {
			snprintf(run[n++], sizeof(run[0]), "%u-%u", f->n[i], f->n[j]);
			i = j;
		} else
			snprintf(run[n++], sizeof(run[0]), "%u", f->n[i]);
	}
	o = (size_t)snprintf(buf, len, "%s", f->count == 1 ? "frame " : "frames ");
	for (int i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i == 0 ? "" :
		    i == n - 1 && f->count <= kept ? " and " : ", ", run[i]);
	if (f->count > kept && o < len)
		snprintf(buf + o, len - o, " and %d more", f->count - kept);
	return buf;
}

static const char *
kb(size_t n, char *buf, size_t len)
{
	if (n >= 1000)
		snprintf(buf, len, "%.1f KB", (double)n / 1000.0);
	else
		snprintf(buf, len, "%zu bytes", n);
	return buf;
}

static const char *
times(int n)
{
	static char b[4][24];
	static int k;

	k = (k + 1) % 4;
	if (n == 1)
		return "once";
	if (n == 2)
		return "twice";
	snprintf(b[k], sizeof(b[k]), "%d times", n);
	return b[k];
}

static const struct an_exchange *
first_of(const struct an_sa *s, uint8_t type)
{
	for (int i = 0; i < s->n_ex; i++)
		if (s->ex[i].type == type && s->ex[i].asked == AN_TO_GATEWAY)
			return &s->ex[i];
	return NULL;
}

static const struct an_exchange *
last_of(const struct an_sa *s, uint8_t type)
{
	for (int i = s->n_ex - 1; i >= 0; i--)
		if (s->ex[i].type == type && s->ex[i].asked == AN_TO_GATEWAY)
			return &s->ex[i];
	return NULL;
}

/* The gateway's datagrams that came in part: a first fragment without
 * the rest is the classic (RFC 7383's reason to be). */
static int
incomplete_from_gateway(const struct analysis *a, int ci, usec_t after,
    struct an_frames *fr, int *firsts, size_t *size)
{
	int n = 0;

	*firsts = 0;
	*size = 0;
	for (int i = 0; i < a->n_dgram; i++) {
		const struct an_dgram *g = &a->dgram[i];

		if (g->complete || g->conv != ci || g->dir != AN_FROM_GATEWAY ||
		    g->last_ts < after)
			continue;
		n++;
		*firsts += g->firsts;
		for (int k = 0; k < g->frames.count && k < AN_FRAMES; k++)
			if (fr->count < AN_FRAMES)
				fr->n[fr->count++] = g->frames.n[k];
			else
				fr->count++;
		if (g->total > *size)
			*size = g->total;
	}
	return n;
}

/* The client's datagrams the capture saw in part: a capture on the
 * gateway's side of a network that drops fragments to it. */
static int
incomplete_to_gateway(const struct analysis *a, int ci, usec_t after,
    struct an_frames *fr)
{
	int n = 0;

	for (int i = 0; i < a->n_dgram; i++) {
		const struct an_dgram *g = &a->dgram[i];

		if (g->complete || g->conv != ci || g->dir != AN_TO_GATEWAY ||
		    g->last_ts < after || (g->dport != 500 && g->dport != 4500 &&
		    g->firsts > 0))
			continue;
		n++;
		for (int k = 0; k < g->frames.count && k < AN_FRAMES; k++)
			an_frames_add(fr, g->frames.n[k]);
	}
	return n;
}

/* Did the gateway answer anything of this conversation from this port?
 * Then the port is not what is blocked. */
static const struct an_msg *
gateway_answered(const struct analysis *a, int ci, uint16_t port)
{
	const struct an_conv *c = &a->conv[ci];

	for (int i = 0; i < c->n_sa; i++)
		for (int k = 0; k < c->sa[i].n_ex; k++) {
			const struct an_exchange *x = &c->sa[i].ex[k];

			if (x->asked == AN_TO_GATEWAY && x->resp.seen &&
			    x->resp.sport == port)
				return &x->resp;
		}
	return NULL;
}

/* In a file cut short, what seems missing after these frames may only be
 * cut off: no verdict on it. */
static bool
cut_off(const struct analysis *a, const struct an_frames *f)
{
	int k = f->count < AN_FRAMES ? f->count : AN_FRAMES;

	return a->truncated && k > 0 && f->n[k - 1] + 3 >= a->frames;
}

static void
judge_sa(struct analysis *a, int ci, const struct an_sa *s, bool any_full)
{
	const struct an_conv *c = &a->conv[ci];
	const struct an_exchange *init = last_of(s, IKE_EXCH_IKE_SA_INIT);
	const struct an_exchange *auth0 = first_of(s, IKE_EXCH_IKE_AUTH);
	const struct an_exchange *auth = last_of(s, IKE_EXCH_IKE_AUTH);
	struct an_finding *f;
	char fb[200], fb2[200];
	int auth_rounds = 0, answered = 0, asked = 0;

	for (int i = 0; i < s->n_ex; i++) {
		const struct an_exchange *x = &s->ex[i];

		if (x->type == IKE_EXCH_IKE_AUTH && x->asked == AN_TO_GATEWAY)
			auth_rounds++;
		if (x->req.seen)
			asked++;
		if (x->req.seen && x->resp.seen)
			answered++;
	}

	if (init && init->req.seen && !init->resp.seen && cut_off(a, &init->req.frames))
		return;
	if (init && init->req.seen && !init->resp.seen) {
		uint16_t port = init->req.dport;
		const struct an_msg *other = gateway_answered(a, ci, port);
		struct an_frames inc = { .count = 0 };
		int firsts;
		size_t size;

		if (incomplete_from_gateway(a, ci, init->req.first_ts, &inc,
		    &firsts, &size) > 0) {
			f = add(a, ci, SEV_ERROR, "return-fragments-dropped",
			    frag_advice, "IP fragments from the gateway are "
			    "dropped on this network: %s hold part of its answer to "
			    "IKE_SA_INIT (%s), the rest never came. Windows shows "
			    "error 809.", frames_str(&inc, fb, sizeof(fb)),
			    frames_str(&init->req.frames, fb2, sizeof(fb2)));
			evidence(f, &inc);
			evidence(f, &init->req.frames);
			return;
		}
		if (s->icmp == 0 && other) {
			/* Not the port: the gateway answers on it. */
			f = add(a, ci, SEV_WARNING, "ike-sa-init-unanswered", "If this "
			    "repeats, look at the gateway's limits on half-open IKE SAs "
			    "and at its log.", "This IKE SA's IKE_SA_INIT went %s (%s) "
			    "and was not answered, while the gateway answered other "
			    "requests on UDP %u (%s): the port is open; the gateway "
			    "ignored these ones.", times(init->req.copies),
			    frames_str(&init->req.frames, fb, sizeof(fb)), port,
			    frames_str(&other->frames, fb2, sizeof(fb2)));
			evidence(f, &init->req.frames);
			return;
		}
		if (s->icmp > 0) {
			char from[IP_ADDR_STRLEN], code[24];
			bool gw = ip_addr_eq(&s->icmp_from, &c->gateway);

			/* The gateway's own port unreachable is a closed port;
			 * any other, or one from a router, a firewall's. */
			bool closed = s->icmp_meaning == ICMP_PORT_UNREACH && gw;

			snprintf(code, sizeof(code), closed ? "udp%u-closed" :
			    "udp%u-filtered", port);

			f = add(a, ci, SEV_ERROR, code, closed ? "Start the IKE "
			    "service on the gateway (RRAS: RemoteAccess; strongSwan: "
			    "charon) and check that it listens on this address." :
			    "Allow UDP 500 and 4500 to the gateway on this network's "
			    "firewall, or use SSTP from here.", "The client's "
			    "IKE_SA_INIT to UDP %u (%s) was refused: ICMP %s from %s "
			    "%s (frame %u)%s. Windows shows error 809.", port, frames_str(&init->req.frames,
			    fb, sizeof(fb)), icmp_name(c->client.family,
			    s->icmp_type, s->icmp_code), gw ? "the gateway" :
			    "router", ip_addr_str(&s->icmp_from, from, sizeof(from)),
			    s->icmp_frame, closed ? ": nothing listens there" : "");
		} else {
			char code[24];

			snprintf(code, sizeof(code), "udp%u-silent", port);
			f = add(a, ci, SEV_ERROR, code, "Allow UDP 500 and 4500 to "
			    "the gateway on this network's firewall (and check that "
			    "the gateway runs), or use SSTP from here.", "The client "
			    "sent IKE_SA_INIT to UDP %u %s (%s) and nothing came "
			    "back: UDP %u to the gateway is blocked on the way, or "
			    "the gateway does not answer. Windows shows error 809.",
			    port, times(init->req.copies), frames_str(&init->req.frames,
			    fb, sizeof(fb)), port);
		}
		evidence(f, &init->req.frames);
		return;
	}
	if (init && init->resp.seen && init->resp.kind == IKE_REPLY_NO_PROPOSAL &&
	    any_full) {
		f = add(a, ci, SEV_INFO, "no-proposal-chosen", NULL, "The gateway "
		    "refused the proposals of one IKE SA (NO_PROPOSAL_CHOSEN in "
		    "clear, %s) and took another's in this conversation.",
		    frames_str(&init->resp.frames, fb, sizeof(fb)));
		evidence(f, &init->resp.frames);
		return;
	}
	if (init && init->resp.seen && init->resp.kind == IKE_REPLY_NO_PROPOSAL) {
		f = add(a, ci, SEV_ERROR, "no-proposal-chosen", "Make the client's "
		    "IKE proposals and the gateway's meet (on Windows: "
		    "Set-VpnConnectionIPsecConfiguration, or the profile's "
		    "CryptographySuite; on RRAS: Set-VpnServerConfiguration "
		    "-CustomPolicy).", "The gateway refused every proposal of the "
		    "client: NO_PROPOSAL_CHOSEN in clear (%s), answering %s. This is "
		    "configuration, not the network: the network carried both "
		    "ways. Windows shows error 13868 (ERROR_IPSEC_IKE_POLICY_MATCH).",
		    frames_str(&init->resp.frames, fb, sizeof(fb)),
		    frames_str(&init->req.frames, fb2, sizeof(fb2)));
		evidence(f, &init->req.frames);
		evidence(f, &init->resp.frames);
		return;
	}
	/* An answer cut short (by the capture's snap length) is an answer,
	 * of a kind not known. */
	if (init && init->resp.seen && init->resp.kind != IKE_REPLY_SA &&
	    init->resp.kind != IKE_REPLY_COOKIE && !init->resp.malformed &&
	    init->resp.kind != IKE_REPLY_INVALID_KE) {
		f = add(a, ci, SEV_ERROR, "ike-sa-init-refused", "See what the "
		    "notify means in the gateway's log; the network carried both "
		    "ways.", "The gateway answered IKE_SA_INIT with %s in clear "
		    "(%s), not with an SA: the attempt ends there.",
		    init->resp.n_notifies ? ike_notify_name(init->resp.notifies[0]) :
		    "a message without an SA", frames_str(&init->resp.frames, fb,
		    sizeof(fb)));
		evidence(f, &init->resp.frames);
		return;
	}
	if (init == NULL || !init->resp.seen)
		return;
	if (init->resp.kind == IKE_REPLY_COOKIE ||
	    init->resp.kind == IKE_REPLY_INVALID_KE) {
		/* A round the client did not follow up in the capture. */
		if (!any_full) {
			f = add(a, ci, SEV_WARNING, "ike-sa-init-not-retried", "Capture "
			    "a whole attempt, from before the client starts until it "
			    "gives up.", "The gateway answered IKE_SA_INIT with %s "
			    "(%s), and the capture holds no retry of the client: the "
			    "attempt is cut short or the client gave up there.",
			    init->resp.kind == IKE_REPLY_COOKIE ? "a COOKIE" :
			    "INVALID_KE_PAYLOAD (another Diffie-Hellman group)",
			    frames_str(&init->resp.frames, fb, sizeof(fb)));
			evidence(f, &init->resp.frames);
		}
		return;
	}

	/* A full IKE_SA_INIT answer: the network carries 500 both ways. */
	if (s->natd_known && (s->natd.client == 1 || s->natd.gateway == 1)) {
		f = add(a, ci, SEV_INFO, "nat-detected", NULL, "NAT between the "
		    "capture and the %s: the NAT_DETECTION hashes of the "
		    "IKE_SA_INIT answer (%s) do not match the captured %s address "
		    "and port, so IKE moves to UDP 4500 (NAT-T) for IKE_AUTH.",
		    s->natd.client == 1 ? "gateway" : "client",
		    frames_str(&init->resp.frames, fb, sizeof(fb)),
		    s->natd.client == 1 ? "client's" : "gateway's");
		evidence(f, &init->resp.frames);
	}
	if (auth0 == NULL) {
		struct an_frames part = { .count = 0 };

		/* Seen from the gateway's side: the client's next request
		 * (IKE_AUTH with its certificates) arrived in part only. */
		if (incomplete_to_gateway(a, ci, init->resp.first_ts, &part) > 0) {
			f = add(a, ci, SEV_ERROR, "fragments-dropped", frag_advice,
			    "IP fragments to the gateway are dropped before this "
			    "capture: %s hold part of the client's datagram after "
			    "IKE_SA_INIT was answered (%s), the rest never came, so "
			    "its IKE_AUTH never arrives whole. Windows shows error "
			    "809.", frames_str(&part, fb, sizeof(fb)),
			    frames_str(&init->resp.frames, fb2, sizeof(fb2)));
			evidence(f, &part);
			return;
		}
		f = add(a, ci, SEV_INFO, "ike-sa-init-answered", NULL, "The gateway "
		    "answered IKE_SA_INIT on UDP %u (%s): the network carries IKE "
		    "both ways there; the capture holds no IKE_AUTH of this SA.",
		    init->resp.sport, frames_str(&init->resp.frames, fb, sizeof(fb)));
		evidence(f, &init->resp.frames);
		return;
	}

	if (auth && auth->req.seen && !auth->resp.seen && cut_off(a, &auth->req.frames))
		return;
	if (auth && auth->req.seen && !auth->resp.seen) {
		struct an_frames inc = { .count = 0 };
		int firsts;
		size_t size;
		int n_inc = incomplete_from_gateway(a, ci, auth->req.first_ts, &inc,
		    &firsts, &size);
		bool req_frag = auth->req.ip_frags > 1;
		/* 4500 is blocked only if nothing ever came back from it. */
		bool on4500 = auth->req.dport == 4500 && init->req.dport == 500 &&
		    gateway_answered(a, ci, 4500) == NULL;
		char sz[24];

		if (n_inc > 0) {
			char icmp[240] = "";

			if (c->reasm_icmp.count > 0)
				snprintf(icmp, sizeof(icmp), "; the client's own "
				    "system gave up waiting for the rest (ICMP "
				    "reassembly time exceeded, %s)", frames_str(
				    &c->reasm_icmp, fb2, sizeof(fb2)));
			f = add(a, ci, SEV_ERROR, "return-fragments-dropped",
			    frag_advice, "IP fragments from the gateway are "
			    "dropped on this network: %s hold %s of the "
			    "gateway's %s reply (it came %s), the rest never "
			    "came%s, so its IKE_AUTH answer (with its "
			    "certificates) never arrives. Windows shows error "
			    "809.", frames_str(&inc, fb, sizeof(fb)), firsts > 0 ?
			    "the first fragment" : "fragments", size ? kb(size,
			    sz, sizeof(sz)) : "fragmented", times(firsts > 0 ?
			    firsts : n_inc), icmp);
			evidence(f, &inc);
			evidence(f, &c->reasm_icmp);
			evidence(f, &auth->req.frames);
		} else if (req_frag) {
			f = add(a, ci, SEV_ERROR, "fragments-dropped", frag_advice,
			    "The client's IKE_AUTH request (%s, in %d IP fragments) "
			    "went %s (%s) and was never answered, while IKE_SA_INIT "
			    "was (%s): fragments to the gateway are dropped on the "
			    "way. Windows shows error 809.", kb(auth->req.ip_len, sz,
			    sizeof(sz)), auth->req.ip_frags, times(auth->req.copies),
			    frames_str(&auth->req.frames, fb, sizeof(fb)),
			    frames_str(&init->resp.frames, fb2, sizeof(fb2)));
			evidence(f, &auth->req.frames);
		} else if (on4500) {
			f = add(a, ci, SEV_ERROR, s->natd.client == 1 ||
			    s->natd.gateway == 1 ? "nat-udp4500-blocked" :
			    "udp4500-silent", "Allow UDP 4500 to the gateway on this "
			    "network's firewall, or use SSTP from here.", "IKE_SA_INIT "
			    "on UDP 500 was answered (%s), then IKE_AUTH on UDP 4500 "
			    "went %s (%s) without an answer: UDP 4500 is blocked on "
			    "the way. Windows shows error 809.",
			    frames_str(&init->resp.frames, fb, sizeof(fb)),
			    times(auth->req.copies), frames_str(&auth->req.frames,
			    fb2, sizeof(fb2)));
			evidence(f, &auth->req.frames);
		} else {
			f = add(a, ci, SEV_ERROR, "auth-unanswered", frag_advice,
			    "IKE_AUTH went %s (%s) and no answer reached the capture, "
			    "while IKE_SA_INIT was answered (%s). The gateway's "
			    "IKE_AUTH answer carries its certificates and is usually "
			    "IP-fragmented: where no fragment of it arrives either, "
			    "a firewall that drops fragments drops all of it. "
			    "Windows shows error 809.", times(auth->req.copies),
			    frames_str(&auth->req.frames, fb, sizeof(fb)),
			    frames_str(&init->resp.frames, fb2, sizeof(fb2)));
			evidence(f, &auth->req.frames);
		}
		if (!init->resp.frag_supported && init->req.frag_supported)
			add(a, ci, SEV_WARNING, "gateway-no-ikev2-fragmentation",
			    frag_advice, "The client offered IKEv2 fragmentation "
			    "(%s) and the gateway did not take it (no "
			    "IKEV2_FRAGMENTATION_SUPPORTED in %s): large IKE_AUTH "
			    "messages go as IP fragments.",
			    frames_str(&init->req.frames, fb, sizeof(fb)),
			    frames_str(&init->resp.frames, fb2, sizeof(fb2)));
		return;
	}
	if (auth && auth->resp.skf && cut_off(a, &auth->resp.frames))
		return;
	if (auth && auth->resp.skf && auth->resp.skf_total > 0 &&
	    auth->resp.skf_have != (auth->resp.skf_total >= 64 ? ~0ULL :
	    (1ULL << auth->resp.skf_total) - 1)) {
		f = add(a, ci, SEV_ERROR, "ikev2-fragments-missing", "Look for "
		    "what drops some UDP datagrams from the gateway (a rate limit, "
		    "a size limit).", "Of the gateway's IKE_AUTH answer in %u "
		    "IKEv2 fragments, some never came (%s).", auth->resp.skf_total,
		    frames_str(&auth->resp.frames, fb, sizeof(fb)));
		evidence(f, &auth->resp.frames);
		return;
	}

	/* With --keys: what either side said inside, in the order said. */
	for (int i = 0; i < s->n_ex; i++) {
		const struct an_exchange *x = &s->ex[i];

		if (x->type != IKE_EXCH_IKE_AUTH && x->type != IKE_EXCH_INFORMATIONAL)
			continue;
		for (int side = 0; side < 2; side++) {
			const struct an_msg *m = side ? &x->resp : &x->req;
			/* The request's sender asked; the answer is the other's. */
			bool from_gw = (x->asked == AN_FROM_GATEWAY) == !side;
			uint16_t err = 0;

			if (!m->decrypted)
				continue;
			for (int k = 0; k < m->n_inner_notifies && !err; k++)
				if (m->inner_notifies[k] < 16384)
					err = m->inner_notifies[k];
			if (from_gw && (m->eap_code == 4 || (m->eap_code == 1 &&
			    m->eap_type == IKE_EAP_MSCHAPV2 && m->eap_op == 4))) {
				f = add(a, ci, SEV_ERROR, "eap-failure", "Check the "
				    "user's name and password, and the NPS network "
				    "policy that should let them in.", "EAP failed: "
				    "the gateway's IKE_AUTH message %s (decrypted) "
				    "carries %s after %d IKE_AUTH round(s): the user's "
				    "credentials were refused. The network carried the "
				    "attempt. Windows shows error 691.",
				    frames_str(&m->frames, fb, sizeof(fb)),
				    m->eap_code == 4 ? "EAP-Failure" :
				    "an EAP-MSCHAPv2 Failure", auth_rounds);
				evidence(f, &m->frames);
				return;
			}
			if (err == IKE_N_AUTHENTICATION_FAILED) {
				f = add(a, ci, SEV_ERROR, "auth-failed", from_gw ?
				    "Check the user's credentials (EAP: the password, "
				    "the account in NPS), or the client's certificate "
				    "and the gateway's trust in it." : "Check the "
				    "gateway's certificate (the client must trust its "
				    "root, and its name and EKU) or the EAP method.",
				    "The %s refused the %s's authentication: "
				    "AUTHENTICATION_FAILED inside %s (decrypted with "
				    "the keys given), after %d IKE_AUTH round(s). The "
				    "network carried the attempt: the cause is the "
				    "credentials. Windows shows error 691 (EAP) or "
				    "13801 (certificates).", from_gw ? "gateway" :
				    "client", from_gw ? "client" : "gateway",
				    frames_str(&m->frames, fb, sizeof(fb)), auth_rounds);
				evidence(f, &m->frames);
				return;
			}
			if (err) {
				f = add(a, ci, SEV_ERROR, "ike-auth-refused", "See why "
				    "in the gateway's log (RRAS: the RemoteAccess "
				    "events; strongSwan: charon's log): the network "
				    "carried the attempt.", "The %s sent %s inside %s "
				    "(%s, decrypted): the attempt ends there, past the "
				    "network (policy or configuration).", from_gw ?
				    "gateway" : "client", ike_notify_name(err),
				    ike_exchange_name(x->type), frames_str(&m->frames,
				    fb, sizeof(fb)));
				evidence(f, &m->frames);
				return;
			}
		}
	}
	if (auth->resp.decrypted && auth->resp.has_auth) {
		f = add(a, ci, SEV_INFO, "ike-established", NULL, "IKEv2 connected: "
		    "IKE_SA_INIT (%s) and IKE_AUTH in %d round(s) were answered, "
		    "the last with the gateway's AUTH (%s, decrypted). The network "
		    "carried this connection.", frames_str(&init->resp.frames, fb,
		    sizeof(fb)), auth_rounds, frames_str(&auth->resp.frames, fb2,
		    sizeof(fb2)));
		evidence(f, &auth->resp.frames);
		return;
	}

	/* Every request answered: the network carried the attempt. */
	if (c->esp[AN_TO_GATEWAY] > 0 || c->esp[AN_FROM_GATEWAY] > 0) {
		f = add(a, ci, SEV_INFO, "ike-established", NULL, "IKEv2 connected: "
		    "IKE_SA_INIT (%s) and IKE_AUTH in %d round(s) were answered, "
		    "then ESP flowed (%lu packets to the gateway from frame %u, %lu "
		    "back). The network carried this connection.", frames_str(
		    &init->resp.frames, fb, sizeof(fb)), auth_rounds,
		    c->esp[AN_TO_GATEWAY], c->esp_first[AN_TO_GATEWAY],
		    c->esp[AN_FROM_GATEWAY]);
		evidence(f, &init->resp.frames);
		return;
	}
	f = add(a, ci, SEV_WARNING, "failed-past-network", "Look in the "
	    "gateway's log (RRAS: the RemoteAccess and NPS events; strongSwan: "
	    "charon's log) for why it ended the SA; with --keys FILE the "
	    "encrypted answers become evidence here too.", "The network carried "
	    "the attempt both ways: %d of %d requests were answered, IKE_AUTH "
	    "in %d round(s)%s, the last answer %s. No ESP followed in the "
	    "capture, and what IKE_AUTH said is encrypted: if the tunnel did "
	    "not come up, the cause is past the network (authentication or "
	    "policy, e.g. a wrong EAP password: Windows error 691, or 13801), "
	    "not a network problem.", answered, asked, auth_rounds,
	    auth_rounds > 2 ? " (EAP)" : "", frames_str(&auth->resp.frames, fb,
	    sizeof(fb)));
	evidence(f, &auth->resp.frames);
}

/* The gateway's certificate, as its decrypted IKE_AUTH answer carried
 * it, at the time of the capture: the live run's codes. */
static void
cert_findings(struct analysis *a, int ci)
{
	const struct an_conv *c = &a->conv[ci];
	const struct cert_info *k = &c->cert;
	struct an_frames fr = { { c->cert_frame }, 1 };
	struct an_finding *f = NULL;

	if (k->expired)
		f = add(a, ci, SEV_ERROR, "cert-expired", "Renew the gateway's "
		    "certificate and bind the new one (RRAS: Set-VpnAuthProtocol "
		    "-RootCertificateNameToAccept / the server certificate; "
		    "strongSwan: swanctl --load-creds).", "The gateway's certificate "
		    "\"%s\" had expired when this was captured (%lld day(s) "
		    "before, frame %u): clients refuse it with 0x800B0101 "
		    "(CERT_E_EXPIRED) or 13801.", k->subject,
		    (long long)-k->days_left, c->cert_frame);
	else if (k->not_yet_valid)
		f = add(a, ci, SEV_ERROR, "cert-not-yet-valid", "Check the "
		    "gateway's clock and the certificate's dates.", "The gateway's "
		    "certificate \"%s\" was not yet valid when this was captured "
		    "(frame %u): clients refuse it (13801).", k->subject,
		    c->cert_frame);
	else if (k->days_left < 30)
		f = add(a, ci, SEV_WARNING, "cert-expires-soon", "Renew the "
		    "gateway's certificate before it expires.", "The gateway's "
		    "certificate \"%s\" had %lld day(s) left when this was "
		    "captured (frame %u).", k->subject, (long long)k->days_left,
		    c->cert_frame);
	evidence(f, &fr);
	if (!k->server_auth)
		evidence(add(a, ci, SEV_WARNING, "cert-no-server-auth-eku", "Issue "
		    "the gateway a certificate with the Server Authentication EKU.",
		    "The gateway's certificate \"%s\" (frame %u) has no Server "
		    "Authentication EKU: Windows clients refuse it (0x800B0110, "
		    "CERT_E_WRONG_USAGE).", k->subject, c->cert_frame), &fr);
	if (k->sha1)
		evidence(add(a, ci, SEV_WARNING, "cert-sha1-signature", "Reissue "
		    "the chain with SHA-256 signatures.", "The gateway's chain "
		    "(frame %u) is signed with SHA-1, which current clients refuse.",
		    c->cert_frame), &fr);
	if (k->weak_key)
		evidence(add(a, ci, SEV_WARNING, "cert-weak-key", "Reissue the "
		    "certificate with RSA 2048 or ECDSA P-256 or stronger.", "The "
		    "gateway's certificate \"%s\" (frame %u) has a weak key (%s).",
		    k->subject, c->cert_frame, k->key), &fr);
}

/* A client's alert about the server's certificate is what Windows shows
 * as a certificate error. */
static const char *
alert_hresult(uint8_t desc)
{
	switch (desc) {
	case 45:	return " (Windows: 0x800B0101, CERT_E_EXPIRED)";
	case 48:	return " (Windows: 0x800B0109, CERT_E_UNTRUSTEDROOT)";
	case 42: case 46:
			return " (Windows: a certificate error, e.g. 0x800B010F "
			    "CERT_E_CN_NO_MATCH)";
	default:	return "";
	}
}

/* The server's certificate of an SSTP connection, in the live run's
 * codes. */
static void
sstp_cert_findings(struct analysis *a, const struct an_tcp *t)
{
	const struct cert_info *k = &t->cert;
	struct an_frames fr = { { t->tls[AN_FROM_GATEWAY].cert_frame }, 1 };
	uint32_t no = fr.n[0];

	if (!k->parsed)
		return;
	if (k->expired)
		evidence(add(a, -1, SEV_ERROR, "sstp-cert-expired", "Renew the "
		    "SSTP server's certificate and bind it (RRAS: netsh http show "
		    "sslcert; Set-RemoteAccess -SslCertificate).", "The SSTP "
		    "server's certificate \"%s\" had expired when this was "
		    "captured (frame %u): every SSTP client fails with "
		    "-2146762495 (0x800B0101, CERT_E_EXPIRED).", k->subject, no), &fr);
	else if (k->days_left < 30 && !k->not_yet_valid)
		evidence(add(a, -1, SEV_WARNING, "sstp-cert-expires-soon", "Renew "
		    "the SSTP server's certificate before it expires.", "The SSTP "
		    "server's certificate \"%s\" had %lld day(s) left when this "
		    "was captured (frame %u).", k->subject, (long long)k->days_left,
		    no), &fr);
	if (k->name_checked && !k->name_matches)
		evidence(add(a, -1, SEV_ERROR, "sstp-cert-name-mismatch", "Give "
		    "the SSTP server a certificate for the name clients use.",
		    "The SSTP server's certificate \"%s\" (frame %u) is not for "
		    "%s, the name the client asked for: clients fail with "
		    "0x800B010F (CERT_E_CN_NO_MATCH).", k->subject, no, k->name), &fr);
	if (!k->server_auth)
		evidence(add(a, -1, SEV_ERROR, "sstp-cert-wrong-usage", "Issue "
		    "the SSTP server a certificate with the Server Authentication "
		    "EKU.", "The SSTP server's certificate \"%s\" (frame %u) has "
		    "no Server Authentication EKU: clients fail with 0x800B0110 "
		    "(CERT_E_WRONG_USAGE).", k->subject, no), &fr);
	if (k->sha1)
		evidence(add(a, -1, SEV_WARNING, "sstp-cert-sha1", "Reissue the "
		    "chain with SHA-256 signatures.", "The SSTP server's chain "
		    "(frame %u) is signed with SHA-1.", no), &fr);
	if (k->weak_key)
		evidence(add(a, -1, SEV_WARNING, "sstp-cert-weak-key", "Reissue "
		    "the certificate with RSA 2048 or ECDSA P-256 or stronger.",
		    "The SSTP server's certificate \"%s\" (frame %u) has a weak "
		    "key (%s).", k->subject, no, k->key), &fr);
}

/* A TCP 443 connection is SSTP's when it goes to a gateway of the
 * capture's IKE, or when the capture has no IKE at all. */
static bool
sstp_server(const struct analysis *a, const struct an_tcp *t)
{
	if (a->n_conv == 0)
		return true;
	for (int i = 0; i < a->n_conv; i++)
		if (ip_addr_eq(&a->conv[i].gateway, &t->server))
			return true;
	return false;
}

/* One TCP 443 connection: did SSTP's TLS get through, and if not, who
 * stopped it. */
static void
judge_tcp(struct analysis *a, const struct an_tcp *t)
{
	const struct tls_side *cl = &t->tls[AN_TO_GATEWAY];
	const struct tls_side *sv = &t->tls[AN_FROM_GATEWAY];
	char srv[IP_ADDR_STRLEN], fb[200];
	const char *ver = tls_version_name(tls_side_version(sv));
	const char *ciph = sv->server_hello ? an_cipher_name(sv->cipher) : NULL;
	struct an_finding *f;

	ip_addr_str(&t->server, srv, sizeof(srv));
	/* HTTPS to anyone else (a browser, telemetry) is not SSTP: listed,
	 * not judged. */
	if (!sstp_server(a, t))
		return;
	if (t->syn.count > 0 && t->synack_frame == 0 &&
	    t->bytes[AN_FROM_GATEWAY] == 0) {
		if (t->reset && t->reset_dir == AN_FROM_GATEWAY)
			f = add(a, -1, SEV_WARNING, "sstp-tcp443-blocked", "If "
			    "clients need the SSTP fallback, check that SSTP is "
			    "enabled on the server and TCP 443 allowed to it.", "SSTP "
			    "cannot connect: TCP %u of %s answered the client's SYN "
			    "(%s) with a reset (frame %u).", t->sport, srv,
			    frames_str(&t->syn, fb, sizeof(fb)), t->reset_frame);
		else
			f = add(a, -1, SEV_WARNING, "sstp-tcp443-blocked", "If "
			    "clients need the SSTP fallback, allow TCP 443 to the "
			    "server on this network's firewall.", "SSTP cannot "
			    "connect: the client's SYN to TCP %u of %s went %s (%s) "
			    "and nothing came back.", t->sport, srv,
			    times(t->syn.count), frames_str(&t->syn, fb, sizeof(fb)));
		evidence(f, &t->syn);
		return;
	}
	if (t->has_cert)
		sstp_cert_findings(a, t);
	if (cl->alert_level && !cl->alert_encrypted) {
		struct an_frames fr = { { cl->alert_frame }, 1 };
		const char *n = tls_alert_name(cl->alert_desc);

		evidence(add(a, -1, SEV_ERROR, "sstp-tls-alert", "See the server's "
		    "certificate findings; on the client, the CAPI2 event log says "
		    "which check failed.", "The client ended TLS with %s alert %s "
		    "(frame %u): it refused the SSTP server %s%s.",
		    cl->alert_level == 2 ? "a fatal" : "an", n ? n : "of an "
		    "unknown kind", cl->alert_frame, srv, alert_hresult(cl->alert_desc)),
		    &fr);
		return;
	}
	if (sv->alert_level && !sv->alert_encrypted && sv->alert_desc != 0) {
		struct an_frames fr = { { sv->alert_frame }, 1 };
		const char *n = tls_alert_name(sv->alert_desc);

		evidence(add(a, -1, SEV_ERROR, "sstp-tls-alert", "Check the TLS "
		    "set-up of the SSTP server (protocols, cipher suites, its "
		    "certificate binding).", "The SSTP server %s ended TLS with %s "
		    "alert %s (frame %u)%s.", srv, sv->alert_level == 2 ? "a fatal" :
		    "an", n ? n : "of an unknown kind", sv->alert_frame,
		    sv->alert_desc == 70 ? ": it does not speak the client's TLS "
		    "version" : ""), &fr);
		return;
	}
	/* TLS 1.3 sends everything after ServerHello as application data,
	 * the server's certificates and a client's refusal too: data both
	 * ways means the client's Finished and then more, answered. */
	if (cl->app_records > (tls_side_version(sv) == 0x0304 ? 1u : 0u) &&
	    sv->app_records > 0 && (tls_side_version(sv) != 0x0304 ||
	    sv->app_last > cl->app_frame)) {
		struct an_frames fr = { { sv->app_frame }, 1 };

		evidence(add(a, -1, SEV_INFO, "sstp-connected", NULL, "TCP %u of "
		    "%s: %s%s%s%s, then data both ways (from frame %u): the "
		    "network carries SSTP%s.", t->sport, srv,
		    ver ? ver : "TLS", ciph ? " (" : "", ciph ? ciph : "", ciph ? ")" :
		    "", sv->app_frame, tls_side_version(sv) == 0x0304 ? "; TLS 1.3 "
		    "keeps the server's certificate encrypted" : ""), &fr);
		return;
	}
	if (t->gap[AN_FROM_GATEWAY] || t->gap[AN_TO_GATEWAY]) {
		enum an_dir d = t->gap[AN_FROM_GATEWAY] ? AN_FROM_GATEWAY : AN_TO_GATEWAY;
		struct an_frames fr = { { t->gap_frame[d] }, 1 };

		evidence(add(a, -1, SEV_WARNING, "sstp-unread", "Capture again, "
		    "with whole frames and nothing lost by the capture.", "TLS to "
		    "%s could not be read to its end: %s (frame %u), before TLS "
		    "carried data both ways.", srv, t->gap_cut[d] ? "the capture "
		    "cut a segment at its snap length" : "a segment is missing "
		    "from the capture", t->gap_frame[d]), &fr);
		return;
	}
	if (t->reset) {
		struct an_frames fr = { { t->reset_frame }, 1 };

		evidence(add(a, -1, SEV_WARNING, "sstp-reset", "Look for what "
		    "resets TLS on this network (a proxy, TLS inspection) or on "
		    "the server.", "The TCP 443 connection to %s was reset by the "
		    "%s (frame %u) before TLS carried data both ways.", srv,
		    t->reset_dir == AN_FROM_GATEWAY ? "server (or something in "
		    "its name)" : "client", t->reset_frame), &fr);
	}
}

/* The headline of a lead finding: what it means, for the person who
 * reads one line (the summary has the frames). */
static const struct {
	const char	*code, *line;
} headlines[] = {
	{ "udp500-silent", "UDP 500 to the gateway gets no answer from this "
	    "network: clients fail with error 809." },
	{ "udp4500-silent", "UDP 4500 to the gateway gets no answer from this "
	    "network: clients fail with error 809." },
	{ "udp500-filtered", "UDP 500 is refused on the way to the gateway: "
	    "clients fail with error 809." },
	{ "udp4500-filtered", "UDP 4500 is refused on the way to the gateway: "
	    "clients fail with error 809." },
	{ "udp500-closed", "Nothing listens on UDP 500 at the gateway: clients "
	    "fail with error 809." },
	{ "udp4500-closed", "Nothing listens on UDP 4500 at the gateway: "
	    "clients fail with error 809." },
	{ "no-proposal-chosen", "The gateway refuses the client's IKE proposals "
	    "(NO_PROPOSAL_CHOSEN, error 13868): configuration, not the network." },
	{ "return-fragments-dropped", "IP fragments from the gateway are dropped "
	    "on this network, so its IKE_AUTH answer never arrives: error 809." },
	{ "fragments-dropped", "IP fragments to the gateway are dropped on this "
	    "network, so the client's IKE_AUTH never arrives: error 809." },
	{ "nat-udp4500-blocked", "UDP 4500 is blocked after the NAT-T move, so "
	    "IKE_AUTH gets no answer: error 809." },
	{ "auth-unanswered", "The gateway's IKE_AUTH answer never reaches the "
	    "client: error 809." },
	{ "ikev2-fragments-missing", "Some IKEv2 fragments of the gateway's "
	    "IKE_AUTH answer never arrive." },
	{ "eap-failure", "EAP failed: the user's credentials were refused "
	    "(error 691); the network carried the attempt." },
	{ "auth-failed", "Authentication failed (AUTHENTICATION_FAILED): the "
	    "network carried the attempt, the credentials did not pass." },
	{ "ike-auth-refused", "IKE_AUTH was refused for a reason past the "
	    "network (policy or configuration)." },
	{ "cert-expired", "The gateway's certificate had expired when this was "
	    "captured: clients fail (13801)." },
	{ "ike-established", "IKEv2 connected: the network carried this "
	    "connection." },
	{ "failed-past-network", "The network carried the attempt both ways: if "
	    "it failed, the cause is past the network (--keys shows inside)." },
	{ "sstp-tcp443-blocked", "SSTP cannot connect: TCP 443 to the server "
	    "gets no connection." },
	{ "sstp-cert-expired", "The SSTP server's certificate had expired when "
	    "this was captured: every SSTP client fails (0x800B0101)." },
	{ "sstp-tls-alert", "TLS to the SSTP server ended with an alert." },
	{ "sstp-connected", "SSTP's TLS connects: the network carries SSTP." },
};

static const char *
headline_of(const char *code)
{
	for (size_t i = 0; i < sizeof(headlines) / sizeof(headlines[0]); i++)
		if (strcmp(headlines[i].code, code) == 0)
			return headlines[i].line;
	return NULL;
}

static int
rank(enum severity s)
{
	return s == SEV_ERROR ? 2 : s == SEV_WARNING ? 1 : 0;
}

void
analysis_judge(struct analysis *a)
{
	const struct an_finding *lead = NULL;
	char fb[200];

	for (int ci = 0; ci < a->n_conv; ci++) {
		const struct an_conv *c = &a->conv[ci];

		bool any_full = false;

		for (int i = 0; i < c->n_sa; i++) {
			const struct an_exchange *x = last_of(&c->sa[i],
			    IKE_EXCH_IKE_SA_INIT);

			if (x && x->resp.seen && x->resp.kind == IKE_REPLY_SA)
				any_full = true;
		}
		for (int i = 0; i < c->n_sa; i++)
			judge_sa(a, ci, &c->sa[i], any_full);
		if (c->has_cert && c->cert.parsed)
			cert_findings(a, ci);
		if (c->malformed) {
			struct an_finding *f = add(a, ci, SEV_WARNING,
			    "reply-malformed", NULL, "%lu IKE message(s) of this "
			    "conversation could not be decoded (the last: frame %u).",
			    c->malformed, c->malformed_frame);

			if (f)
				f->frames.n[f->frames.count++] = c->malformed_frame;
		}
	}
	for (int i = 0; i < a->n_tcp; i++)
		judge_tcp(a, &a->tcp[i]);
	if (a->truncated) {
		struct an_frames last = { { (uint32_t)a->frames }, a->frames > 0 };

		evidence(add(a, -1, SEV_WARNING, "capture-truncated", "Capture "
		    "again and stop the capture before copying the file.", "The "
		    "file ends inside a record (%s): the %lu frames before are "
		    "analysed, and an exchange unfinished at the end may only be "
		    "cut off.", a->read_error, a->frames), &last);
	}
	if (a->ikev1) {
		struct an_frames fr = { { a->ikev1_frame }, 1 };

		evidence(add(a, -1, SEV_INFO, "ikev1-not-analysed", NULL, "%lu IKEv1 "
		    "message(s) (L2TP/IPsec or an old client; the first: frame %u) "
		    "are counted, not analysed: ikeprobe reads IKEv2.", a->ikev1,
		    a->ikev1_frame), &fr);
	}
	if (a->keys_left_out)
		add(a, -1, SEV_INFO, "keys-left-out", "Keep only the IKE SAs of this "
		    "capture in the key table.", "The key table has more than %d "
		    "IKE SAs: %d were left out, and their messages stay encrypted.",
		    AN_KEYS, a->keys_left_out);
	if (a->cut)
		add(a, -1, SEV_WARNING, "capture-snaplen", "Capture with the whole "
		    "frames: tcpdump -s 0 (Wireshark's default); on Windows, pktmon "
		    "start -c --pkt-size 0 (pktmon keeps 128 bytes of each packet "
		    "by default).", "%lu frame(s) were cut by the capture's snap "
		    "length (the first, frame %u, at %zu bytes): what they carried "
		    "past it is not analysed.", a->cut, a->cut_frame, a->cut_at);
	if (a->convs_dropped || a->tcp_dropped)
		add(a, -1, SEV_INFO, "capture-too-many", NULL, "Only the first %d "
		    "IKE conversations and %d TCP 443 connections are analysed: "
		    "%lu IKE message(s) and %lu TCP segment(s) of others were left "
		    "out.", AN_CONVS, AN_TCP, a->convs_dropped, a->tcp_dropped);
	a->worst = SEV_INFO;
	for (int i = 0; i < a->n_findings; i++) {
		const struct an_finding *f = &a->findings[i];

		if (lead == NULL || rank(f->f.severity) > rank(lead->f.severity))
			lead = f;
		if (rank(f->f.severity) > rank(a->worst))
			a->worst = f->f.severity;
	}
	if (a->truncated)
		snprintf(a->headline, sizeof(a->headline), "The capture file is cut "
		    "short after frame %lu: what it holds is analysed, and what "
		    "seems missing at its end may only be cut off.", a->frames);
	else if (a->n_conv == 0 && a->n_tcp == 0 && a->ikev1 > 0)
		snprintf(a->headline, sizeof(a->headline), "Only IKEv1 in this "
		    "capture (L2TP/IPsec or an old client, from frame %u): ikeprobe "
		    "analyses IKEv2.", a->ikev1_frame);
	else if (a->n_conv == 0 && lead == NULL)
		snprintf(a->headline, sizeof(a->headline), "No IKEv2 in this "
		    "capture: %lu frame(s), none to or from UDP 500 or 4500.",
		    a->frames);
	else if (lead == NULL && a->n_conv > 0)
		snprintf(a->headline, sizeof(a->headline), "IKEv2 traffic without "
		    "a complete attempt to judge (%s).", frames_str(&(struct
		    an_frames){ { a->conv[0].first_frame }, 1 }, fb, sizeof(fb)));
	else if (headline_of(lead->f.code))
		snprintf(a->headline, sizeof(a->headline), "%s",
		    headline_of(lead->f.code));
	else {
		/* The lead finding's first sentence. */
		const char *s = lead->f.summary, *dot = strstr(s, ". ");
		size_t n = strlen(s);

		if (dot && (size_t)(dot - s) + 1 < n)
			n = (size_t)(dot - s) + 1;
		snprintf(a->headline, sizeof(a->headline), "%.*s", (int)n, s);
	}
	/* A file cut short is bad input (exit 2), analysed all the same. */
	a->exit_status = a->truncated ? 2 : a->worst == SEV_ERROR ||
	    (a->n_conv == 0 && a->n_tcp == 0) ? 1 : 0;
}
