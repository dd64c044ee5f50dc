/* What a capture says happened (analysis.h), in the live run's words and
 * finding codes where the meaning is the same: which direction lost what,
 * with the frames that show it. Only what the capture shows: a request
 * answered every time is the network's success, whatever failed after. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ikeprobe/analysis.h"

static const char frag_advice[] =
    "Enable IKEv2 fragmentation (RFC 7383) on both sides: Windows clients "
    "use it from 1803 on; Windows Server 2019 and later RRAS: registry "
    "HKLM\\SYSTEM\\CurrentControlSet\\Services\\RemoteAccess\\Parameters\\"
    "Ikev2, DWORD EnableServerFragmentation = 1, then restart RemoteAccess; "
    "strongSwan: fragmentation = yes. Or ask the network's owner to pass IP "
    "fragments, or use SSTP from this network.";

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

	if (init && init->req.seen && !init->resp.seen) {
		uint16_t port = init->req.dport;

		if (s->icmp > 0) {
			char from[IP_ADDR_STRLEN], code[24];
			bool gw = ip_addr_eq(&s->icmp_from, &c->gateway);

			snprintf(code, sizeof(code), "udp%u-%s", port,
			    s->icmp_meaning == ICMP_PORT_UNREACH && gw ? "closed" :
			    "filtered");
			bool closed = code[strlen(code) - 1] == 'd' &&
			    strstr(code, "closed") != NULL;

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
	if (init && init->resp.seen && init->resp.kind != IKE_REPLY_SA &&
	    init->resp.kind != IKE_REPLY_COOKIE &&
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
		f = add(a, ci, SEV_INFO, "ike-sa-init-answered", NULL, "The gateway "
		    "answered IKE_SA_INIT on UDP %u (%s): the network carries IKE "
		    "both ways there; the capture holds no IKE_AUTH of this SA.",
		    init->resp.sport, frames_str(&init->resp.frames, fb, sizeof(fb)));
		evidence(f, &init->resp.frames);
		return;
	}

	if (auth && auth->req.seen && !auth->resp.seen) {
		struct an_frames inc = { .count = 0 };
		int firsts;
		size_t size;
		int n_inc = incomplete_from_gateway(a, ci, auth->req.first_ts, &inc,
		    &firsts, &size);
		bool req_frag = auth->req.ip_frags > 1;
		bool on4500 = auth->req.dport == 4500 && init->req.dport == 500;
		char sz[24];

		if (n_inc > 0) {
			f = add(a, ci, SEV_ERROR, "return-fragments-dropped",
			    frag_advice, "%s: %s of the gateway's %s reply "
			    "arrived%s%s, the rest never: IP fragments from the "
			    "gateway are dropped on this network, so its IKE_AUTH "
			    "answer (with its certificates) never arrives. The "
			    "client asked %s (%s). Windows shows error 809.",
			    frames_str(&inc, fb, sizeof(fb)), firsts > 0 ?
			    "the first fragment" : "fragments", size ?
			    kb(size, sz, sizeof(sz)) : "IKE", firsts > 1 ? " " : "",
			    firsts > 1 ? times(firsts) : "",
			    times(auth->req.copies), frames_str(&auth->req.frames,
			    fb2, sizeof(fb2)));
			evidence(f, &inc);
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
	    "encrypted notifies become evidence here too.", "The network carried "
	    "the attempt both ways: %d of %d requests were answered, IKE_AUTH "
	    "in %d round(s)%s, last answer %s. Yet no ESP followed: the attempt "
	    "failed past the network (authentication or policy, e.g. a wrong "
	    "EAP password: Windows error 691, or 13801), not a network problem.",
	    answered, asked, auth_rounds, auth_rounds > 2 ? " (EAP)" : "",
	    frames_str(&auth->resp.frames, fb, sizeof(fb)));
	evidence(f, &auth->resp.frames);
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
		if (c->malformed) {
			struct an_finding *f = add(a, ci, SEV_WARNING,
			    "reply-malformed", NULL, "%lu IKE message(s) of this "
			    "conversation could not be decoded (the last: frame %u).",
			    c->malformed, c->malformed_frame);

			if (f)
				f->frames.n[f->frames.count++] = c->malformed_frame;
		}
	}
	/* Fragmented IKE datagrams of no conversation's failure: told, as
	 * evidence of the path. */
	if (a->truncated)
		add(a, -1, SEV_WARNING, "capture-truncated", "Capture again and "
		    "stop the capture before copying the file.", "The file ends "
		    "inside a record (%s): the %lu frames before are analysed.",
		    a->read_error, a->frames);
	if (a->convs_dropped)
		add(a, -1, SEV_INFO, "capture-too-many", NULL, "Only the first %d "
		    "conversations are analysed; %lu more were left out.",
		    AN_CONVS, a->convs_dropped);
	a->worst = SEV_INFO;
	for (int i = 0; i < a->n_findings; i++) {
		const struct an_finding *f = &a->findings[i];

		if (lead == NULL || rank(f->f.severity) > rank(lead->f.severity))
			lead = f;
		if (rank(f->f.severity) > rank(a->worst))
			a->worst = f->f.severity;
	}
	if (a->n_conv == 0)
		snprintf(a->headline, sizeof(a->headline), "No IKEv2 in this "
		    "capture: %lu frame(s), none to or from UDP 500 or 4500.",
		    a->frames);
	else if (lead == NULL)
		snprintf(a->headline, sizeof(a->headline), "IKEv2 traffic without "
		    "a complete attempt to judge (%s).", frames_str(&(struct
		    an_frames){ { a->conv[0].first_frame }, 1 }, fb, sizeof(fb)));
	else {
		/* The lead finding's first sentence. */
		const char *s = lead->f.summary, *dot = strstr(s, ". ");
		size_t n = strlen(s);

		if (dot && (size_t)(dot - s) + 1 < n)
			n = (size_t)(dot - s) + 1;
		snprintf(a->headline, sizeof(a->headline), "%.*s", (int)n, s);
	}
	a->exit_status = a->worst == SEV_ERROR || (a->n_conv == 0) ? 1 : 0;
}
