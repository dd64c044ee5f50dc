/* From probes to verdicts. Each verdict's text names the evidence it rests
 * on: which reply, which ICMP message from which router, how many tries. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ikeprobe/report.h"

struct finding *
add_finding(struct report *rep, enum severity sev, const char *code,
    const char *advice, const char *fmt, ...)
{
	struct finding *f;
	va_list ap;

	if (rep->n_findings == MAX_FINDINGS)
		return NULL;
	f = &rep->findings[rep->n_findings++];
	f->severity = sev;
	snprintf(f->code, sizeof(f->code), "%s", code);
	snprintf(f->advice, sizeof(f->advice), "%s", advice ? advice : "");
	va_start(ap, fmt);
	vsnprintf(f->summary, sizeof(f->summary), fmt, ap);
	va_end(ap);
	return f;
}

/* Rank replies by what they tell: a full SA shows the most. */
static int
reply_rank(enum ike_reply_kind k)
{
	switch (k) {
	case IKE_REPLY_SA:		return 6;
	case IKE_REPLY_COOKIE:		return 5;
	case IKE_REPLY_INVALID_KE:	return 4;
	case IKE_REPLY_NO_PROPOSAL:	return 3;
	case IKE_REPLY_ERROR:		return 2;
	case IKE_REPLY_OTHER:		return 1;
	case IKE_REPLY_NONE:		return 0;
	}
	return 0;
}

static const char *
reply_words(enum ike_reply_kind k)
{
	switch (k) {
	case IKE_REPLY_SA:
		return "a full IKE_SA_INIT response";
	case IKE_REPLY_COOKIE:
		return "a COOKIE challenge (the gateway is guarding against "
		    "half-open SAs; the request still arrived whole)";
	case IKE_REPLY_INVALID_KE:
		return "INVALID_KE_PAYLOAD (it asks for another key-exchange "
		    "group; the request arrived whole)";
	case IKE_REPLY_NO_PROPOSAL:
		return "NO_PROPOSAL_CHOSEN (reachable, but it accepts none of "
		    "the common cipher suites offered)";
	case IKE_REPLY_ERROR:
		return "an IKE error notify";
	case IKE_REPLY_OTHER:
	case IKE_REPLY_NONE:
		break;
	}
	return "an IKE message";
}

static void
judge_port(struct report *rep, struct port_verdict *v)
{
	const struct probe *best = NULL, *icmp = NULL, *first = NULL;
	int lost = 0, failed = 0, pending = 0;
	double span = 0;
	char from[IP_ADDR_STRLEN];
	const char *who;

	v->state = PORT_SILENT;
	v->reply = IKE_REPLY_NONE;
	v->rtt_ms = -1;
	v->probe = -1;
	for (int i = 0; i < rep->set.n; i++) {
		const struct probe *p = &rep->set.p[i];

		/* The audit's answers are about proposals, and come after
		 * the port is decided. */
		if (p->dport != v->port || p->purpose == PURPOSE_AUDIT)
			continue;
		if (first == NULL)
			first = p;
		v->attempts += p->attempts;
		switch (p->result) {
		case PROBE_ANSWERED:
			if (best == NULL || reply_rank(p->reply.kind) >
			    reply_rank(best->reply.kind))
				best = p;
			if (v->rtt_ms < 0)
				v->rtt_ms = p->rtt_ms;
			break;
		case PROBE_ICMP:
			if (icmp == NULL)
				icmp = p;
			break;
		case PROBE_LOST:
			lost++;
			/* From the first transmission to the last (what the
			 * capture shows, so a replay of it says the same). */
			if (p->attempts > 0 && (double)(p->sent[p->attempts - 1] -
			    p->sent[0]) / 1e6 > span)
				span = (double)(p->sent[p->attempts - 1] -
				    p->sent[0]) / 1e6;
			break;
		case PROBE_SEND_FAILED:
			failed++;
			break;
		case PROBE_PENDING:
			pending++;
			break;
		}
	}

	if (best) {
		v->state = PORT_OPEN;
		v->reply = best->reply.kind;
		v->probe = best->id;
		snprintf(v->meaning, sizeof(v->meaning), "IKEv2 answers on UDP "
		    "%u from this network: the gateway replied to probe #%d "
		    "with %s.", v->port, best->id,
		    reply_words(best->reply.kind));
		return;
	}
	if (icmp) {
		v->icmp = icmp->icmp;
		v->probe = icmp->id;
		ip_addr_str(&icmp->icmp.from, from, sizeof(from));
		who = ip_addr_eq(&icmp->icmp.from, &rep->target) ?
		    "The gateway" : "Router";
		if (icmp->icmp.meaning == ICMP_PORT_UNREACH) {
			v->state = PORT_CLOSED;
			snprintf(v->meaning, sizeof(v->meaning), "%s %s answered "
			    "probe #%d with ICMP port unreachable: the host is "
			    "reachable but nothing listens on UDP %u (IKE "
			    "service stopped, or not on this address).", who,
			    from, icmp->id, v->port);
		} else {
			v->state = PORT_FILTERED;
			snprintf(v->meaning, sizeof(v->meaning), "%s %s refused "
			    "probe #%d with %s %s (type %u code %u): %s",
			    who, from, icmp->id, icmp->icmp.family == AF_INET6 ?
			    "ICMPv6" : "ICMP", icmp_name(icmp->icmp.family,
			    icmp->icmp.type, icmp->icmp.code), icmp->icmp.type,
			    icmp->icmp.code, icmp->icmp.meaning == ICMP_ADMIN_PROHIBITED ?
			    "a firewall on the path blocks this port." :
			    "the path to the gateway is broken for this port.");
		}
		return;
	}
	if (pending && !lost) {
		v->state = PORT_UNTESTED;
		snprintf(v->meaning, sizeof(v->meaning), "Not decided: the run "
		    "stopped before UDP %u answered or timed out.", v->port);
		return;
	}
	if (failed && !lost) {
		snprintf(v->meaning, sizeof(v->meaning), "Nothing could be sent "
		    "to UDP %u: this machine refused (%s).", v->port,
		    first ? strerror(first->send_errno) : "?");
		return;
	}
	snprintf(v->meaning, sizeof(v->meaning), "No answer to %d attempts "
	    "over %.1f s: something on the path drops UDP %u silently, or "
	    "the gateway ignores this address.", v->attempts, span, v->port);
}

/* Windows Server's IKEv2 fragmentation: in Windows Server 2019 and later
 * (and the semi-annual Windows Server 1803 on), off by default; Windows
 * 10/11 clients use it from 1803 on (docs/REPORTS.md cites the sources). */
const char diag_gateway_fragmentation[] = GATEWAY_FRAGMENTATION_HOWTO;

#define STATE(s)	(1u << (s))

/* "500", "500 and 4500", "500, 1000 and 4500": the ports in one of the
 * states of the mask, into buf (cut, never past len); their count. */
static int
port_list(const struct report *rep, unsigned states, char *buf, size_t len)
{
	int n = 0, k = 0;
	size_t at = 0;

	for (int i = 0; i < rep->n_ports; i++)
		n += (STATE(rep->ports[i].state) & states) != 0;
	buf[0] = '\0';
	for (int i = 0; i < rep->n_ports && at < len; i++) {
		if (!(STATE(rep->ports[i].state) & states))
			continue;
		k++;
		at += (size_t)snprintf(buf + at, len - at, "%s%u", k == 1 ? "" :
		    k == n ? " and " : ", ", rep->ports[i].port);
	}
	return n;
}

/* Only the ports not open here need asking for. */
static void
advice_blocked(const struct report *rep, char *buf, size_t len)
{
	/* Room for every port with its separator, so nothing is cut. */
	char ports[MAX_PORTS * (5 + 5) + 1];

	port_list(rep, ~(STATE(PORT_OPEN) | STATE(PORT_UNTESTED)), ports,
	    sizeof(ports));
	snprintf(buf, len, "Ask whoever runs this network (hotel, guest or "
	    "carrier Wi-Fi, site firewall) to allow outbound UDP %s to the VPN "
	    "gateway. Until then, use another network or a TLS-based fallback "
	    "such as SSTP.", ports);
}

static void
port_findings(struct report *rep, const struct port_verdict *v)
{
	char code[40], from[IP_ADDR_STRLEN], advice[400];
	enum severity sev = v->port == 500 ? SEV_ERROR : SEV_WARNING;
	/* What a client meets: it starts on 500, and moves to 4500 behind a
	 * NAT. */
	const char *why = v->port == 4500 ? " IKEv2 moves to UDP 4500 when a "
	    "NAT is in the path (almost every hotel and home network), so "
	    "clients behind one fail here with error 809." : v->port == 500 ?
	    " Clients start IKEv2 on UDP 500, so every connection from this "
	    "network fails (error 809)." : "";

	advice_blocked(rep, advice, sizeof(advice));

	switch (v->state) {
	case PORT_OPEN:
		if (v->reply == IKE_REPLY_NO_PROPOSAL) {
			snprintf(code, sizeof(code), "udp%u-no-proposal", v->port);
			add_finding(rep, SEV_WARNING, code, "Compare the "
			    "gateway's IKE proposals with the client's: the "
			    "gateway may allow only unusual or legacy suites.",
			    "UDP %u is open, but the gateway accepted none of "
			    "the common IKEv2 proposals (NO_PROPOSAL_CHOSEN to "
			    "probe #%d).", v->port, v->probe);
		}
		return;
	case PORT_SILENT:
		snprintf(code, sizeof(code), "udp%u-silent", v->port);
		add_finding(rep, sev, code, advice, "UDP %u gets no answer "
		    "after %d attempts: blocked silently on the path, or the "
		    "gateway is not answering this address.%s", v->port,
		    v->attempts, why);
		return;
	case PORT_FILTERED:
		ip_addr_str(&v->icmp.from, from, sizeof(from));
		snprintf(code, sizeof(code), "udp%u-filtered", v->port);
		add_finding(rep, sev, code, advice, "UDP %u is refused by %s "
		    "with %s %s (probe #%d).%s", v->port, from,
		    v->icmp.family == AF_INET6 ? "ICMPv6" : "ICMP",
		    icmp_name(v->icmp.family, v->icmp.type, v->icmp.code),
		    v->probe, why);
		return;
	case PORT_CLOSED:
		snprintf(code, sizeof(code), "udp%u-closed", v->port);
		add_finding(rep, SEV_ERROR, code, "Check that the VPN service "
		    "runs on the gateway (Windows RRAS: the RemoteAccess "
		    "service; strongSwan: charon) and that the name resolves "
		    "to the gateway's current address.", "The gateway answers "
		    "but has no IKE service on UDP %u (ICMP port unreachable "
		    "to probe #%d).%s", v->port, v->probe, why);
		return;
	case PORT_UNTESTED:
		return;
	}
}

static void
responder_findings(struct report *rep)
{
	const struct ike_reply *r = rep->responder;
	char advice[600];

	if (r == NULL)
		return;
	/* Where fragments were dropped, that finding says it, once. */
	if (r->kind == IKE_REPLY_SA && !r->frag_supported &&
	    rep->frag.outbound != FRAG_DROPPED && rep->auth.inbound != FRAG_DROPPED) {
		snprintf(advice, sizeof(advice), "Enable IKEv2 fragmentation "
		    "(RFC 7383) on the gateway: %s.", diag_gateway_fragmentation);
		add_finding(rep, SEV_WARNING, "gateway-no-ikev2-fragmentation",
		    advice, "The gateway does not offer IKEv2 fragmentation "
		    "(no IKEV2_FRAGMENTATION_SUPPORTED in its reply): IKE_AUTH "
		    "messages with certificates will be IP-fragmented, which "
		    "fails (error 809) on networks that drop fragments.");
	}
	if (r->has_redirect)
		add_finding(rep, SEV_INFO, "gateway-redirect", "Probe the "
		    "gateway named in the REDIRECT as well.", "The gateway "
		    "redirects new clients to another gateway (REDIRECT).");
}

/* A name with several addresses of the probed family is a load-balanced
 * cluster or a set of gateways: one member can fail while the others work,
 * which users see as a fault that comes and goes. */
static void
target_findings(struct report *rep)
{
	char list[300] = "", a[IP_ADDR_STRLEN];
	size_t len = 0;
	int n = 0;

	for (int i = 0; i < rep->n_addrs; i++) {
		if (rep->addrs[i].family != rep->target.family)
			continue;
		n++;
		if (len < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len,
			    "%s%s", len ? ", " : "",
			    ip_addr_str(&rep->addrs[i], a, sizeof(a)));
	}
	if (!(rep->cluster = n > 1))
		return;
	ip_addr_str(&rep->target, a, sizeof(a));
	add_finding(rep, SEV_INFO, "gateway-several-addresses",
	    rep->all_addresses ? "Compare the reports of the addresses: "
	    "ikeprobe compare REPORT.json puts them side by side." : "Probe "
	    "each with --all-addresses: one member can fail while the others "
	    "work, which users see as a fault that comes and goes.", "%s "
	    "resolves to %d %s addresses (%s): a load-balanced cluster or "
	    "several gateways. %s %s%s.", rep->target_name, n,
	    rep->target.family == AF_INET6 ? "IPv6" : "IPv4", list,
	    rep->all_addresses ? "Each was probed; this report is about" :
	    "This report is about", a, rep->all_addresses ? "" : " only");
}

/* Beyond this an IKE_SA_INIT response is not what a gateway sends (they
 * are under 2 KB with a dozen payloads, certificate requests included). */
#define REPLY_ODD_BYTES		8192
#define REPLY_ODD_PAYLOADS	64
/* Answers to one request beyond its transmissions: a network may
 * duplicate a datagram now and then, not more. */
#define REPLY_FLOOD_SURPLUS	2

static void
reply_findings(struct report *rep)
{
	const struct probe_set *set = &rep->set;

	const struct probe *flood = NULL, *big = NULL;
	unsigned long surplus = 0;

	for (int i = 0; i < set->n; i++) {
		const struct probe *p = &set->p[i];

		if (p->result == PROBE_ANSWERED && p->reply.status != IKE_PARSE_OK) {
			add_finding(rep, SEV_WARNING, "reply-malformed", "Keep "
			    "the capture (--pcap) for the gateway's vendor: a "
			    "conforming gateway never sends this.",
			    "The reply to probe %d on UDP %u is %s: %s.", p->id,
			    p->dport, p->reply.status == IKE_PARSE_TRUNCATED ?
			    "truncated" : "malformed", p->reply.problem);
			break;
		}
	}
	for (int i = 0; i < set->n; i++) {
		const struct probe *p = &set->p[i];

		if (p->replies > p->attempts) {
			surplus += (unsigned long)(p->replies - p->attempts);
			if (flood == NULL || p->replies - p->attempts >
			    flood->replies - flood->attempts)
				flood = p;
		}
		if (big == NULL && p->result == PROBE_ANSWERED &&
		    p->reply.status == IKE_PARSE_OK &&
		    (p->reply.length > REPLY_ODD_BYTES ||
		    p->reply.n_payloads > REPLY_ODD_PAYLOADS))
			big = p;
	}
	if (flood && flood->replies - flood->attempts > REPLY_FLOOD_SURPLUS)
		add_finding(rep, SEV_WARNING, "reply-flood", "A responder that "
		    "multiplies its answers can be abused to flood others: "
		    "report it to the gateway's vendor, or look for a loop or "
		    "a mirroring device between here and the gateway (--pcap "
		    "shows the copies).", "Probe %d on UDP %u was sent %d "
		    "time(s) and got %d replies; %lu replies in all answered "
		    "no request. Only the first answer to each probe counts.",
		    flood->id, flood->dport, flood->attempts, flood->replies,
		    surplus);
	if (big)
		add_finding(rep, SEV_WARNING, "reply-oversized", "Keep the "
		    "capture (--pcap) for the gateway's vendor: a gateway that "
		    "answers a small unauthenticated request with a large "
		    "reply can be abused to amplify attacks, and replies this "
		    "large reach clients only in IP fragments.", "The reply "
		    "to probe %d on UDP %u is %u bytes with %d payloads "
		    "(%d notifies, %d Vendor IDs): an IKE_SA_INIT response is "
		    "normally under 2 KB with a dozen payloads. The report "
		    "lists the first %d notifies and %d Vendor IDs.",
		    big->id, big->dport, big->reply.length,
		    big->reply.n_payloads, big->reply.n_notifies_total,
		    big->reply.n_vids_total, IKE_MAX_NOTIFIES, IKE_MAX_VIDS);
}

/* Replies that carry one of our SPIs, so the gateway did answer, but in a
 * way a VPN client drops: they are not counted as answers. */
static void
stray_findings(struct report *rep)
{
	static const char *const advice[STRAY_N] = {
		[STRAY_ADDRESS] = "Make the gateway answer from the address "
		    "clients use (on a gateway with several addresses: bind "
		    "IKE to that one, or fix the source routing; behind a load "
		    "balancer: return traffic through it).",
		[STRAY_PORT] = "Check the gateway's NAT or port forwarding: IKE "
		    "must answer from the port the request went to.",
		[STRAY_MARKER] = "Report it to the gateway's vendor: RFC 3948 "
		    "requires the marker on the NAT-T port.",
	};
	char from[IP_ADDR_STRLEN], target[IP_ADDR_STRLEN], what[256];

	ip_addr_str(&rep->target, target, sizeof(target));
	for (int w = 0; w < STRAY_N; w++) {
		const struct stray_replies *st = &rep->stats->stray[w];
		const struct probe *p = probe_set_get(&rep->set, st->probe);

		if (st->count == 0 || p == NULL)
			continue;
		switch ((enum stray_why)w) {
		case STRAY_ADDRESS:
			snprintf(what, sizeof(what), "carrying our SPIs came "
			    "from %s port %u, not from %s, the address probed "
			    "(the first answers probe %d on UDP %u)",
			    ip_addr_str(&st->from, from, sizeof(from)),
			    st->sport, target, p->id, p->dport);
			break;
		case STRAY_PORT:
			snprintf(what, sizeof(what), "carrying our SPIs came "
			    "from UDP port %u of %s, not from the port probed "
			    "(the first answers probe %d on UDP %u)", st->sport,
			    target, p->id, p->dport);
			break;
		case STRAY_MARKER:
		case STRAY_N:
			snprintf(what, sizeof(what), "on UDP %u came without "
			    "the four zero bytes (non-ESP marker) that set IKE "
			    "apart from ESP on the NAT-T port (the first answers "
			    "probe %d)", st->sport, p->id);
			break;
		}
		add_finding(rep, SEV_WARNING, stray_code((enum stray_why)w),
		    advice[w], "%lu IKE repl%s %s. %s, so they are not counted "
		    "as answers.", st->count, st->count == 1 ? "y" : "ies",
		    what, w == STRAY_MARKER ? "A VPN client reads them as ESP "
		    "and drops them" : "A VPN client and any NAT on the way "
		    "drop them");
	}
}

static void
run_findings(struct report *rep)
{
	const struct run_stats *s = rep->stats;
	const struct ike_session *run = rep->sess;

	reply_findings(rep);
	stray_findings(rep);
	rep->unrelated = s->unmatched + s->icmp_unmatched + s->other;
	if (s->unmatched || s->icmp_unmatched || s->other)
		add_finding(rep, SEV_INFO, "unrelated-packets", "Nothing to do "
		    "unless the counts are large: then something on this "
		    "network forges or replays traffic.", "Ignored: %lu IKE "
		    "message(s) with an SPI we never sent, %lu ICMP error(s) "
		    "quoting packets we never sent, and %lu other packet(s) "
		    "(not IKE, or from another address or port; %lu of them "
		    "carry our SPIs and have findings of their own).",
		    s->unmatched,
		    s->icmp_unmatched, s->other, s->stray[STRAY_ADDRESS].count +
		    s->stray[STRAY_PORT].count + s->stray[STRAY_MARKER].count);
	if (s->dropped > 0)
		add_finding(rep, SEV_WARNING, "capture-dropped", "Run again on a "
		    "less busy machine or interface.", "The capture lost %ld "
		    "packet(s): some answers may be missing.", s->dropped);
	if (run->interrupted && run->base.deadline_hit)
		add_finding(rep, SEV_WARNING, "run-incomplete", "Give the probe "
		    "more time (the scrape timeout of the Prometheus job).",
		    "The probe ran out of time after %.1f s: this report holds "
		    "only what was observed until then.", run->duration);
	else if (run->interrupted)
		add_finding(rep, SEV_WARNING, "run-incomplete", "Run again and "
		    "let it finish.", "The run was interrupted: this report "
		    "holds only what was observed until then.");
	if (run->faulted)
		add_finding(rep, SEV_ERROR, "run-aborted", "Check this "
		    "machine's connection (Wi-Fi, cable, a VPN client changing "
		    "routes) and run again.", "The run stopped after %.1f s "
		    "because this machine's network failed (%s): this report "
		    "holds only what was observed until then.",
		    run->fault_after, run->fault);
	for (int i = 0; i < rep->n_ports; i++) {
		const struct port_verdict *v = &rep->ports[i];

		if (!v->sport_substituted)
			continue;
		if (v->sport_errno == EACCES || v->sport_errno == EPERM)
			add_finding(rep, SEV_WARNING, "source-port-substituted",
			    "Run with sudo, or give the binary the right to "
			    "bind it: sudo setcap " NET_SETCAP_CAPS " \"$(command "
			    "-v ikeprobe)\".", "This machine did not let ikeprobe "
			    "bind UDP %u (a port below 1024 needs "
			    "CAP_NET_BIND_SERVICE): probes to UDP %u were sent "
			    "from port %u instead, which a VPN client does not "
			    "do; a firewall that allows only source port %u "
			    "would be missed.", v->port, v->port, v->sport, v->port);
		else
			add_finding(rep, SEV_INFO, "source-port-substituted",
			    "Stop the local IKE/VPN client for an exact test; "
			    "NAT gateways rewrite source ports anyway, so the "
			    "result usually holds.", "UDP %u is in use on this "
			    "machine (a local IKE daemon?): probes to UDP %u "
			    "were sent from port %u instead.", v->port, v->port,
			    v->sport);
	}
}

#define HEADLINE_MAX	120

bool
ike_connects(const struct report *rep)
{
	bool p500 = false, all = rep->n_ports > 0;

	for (int i = 0; i < rep->n_ports; i++) {
		if (rep->ports[i].state != PORT_OPEN)
			all = false;
		if (rep->ports[i].port == 500 && rep->ports[i].state == PORT_OPEN)
			p500 = true;
	}
	return all || (p500 && rep->nat.detected != TRI_TRUE);
}

/* One sentence of at most about 120 characters: what a client will see
 * from this network. The ports first; the rest once every port answered
 * (after the findings: see diagnose()). */
static void
headline(struct report *rep)
{
	char open[MAX_PORTS * 10 + 1], bad[MAX_PORTS * 6 + 1];
	char undecided[MAX_PORTS * 10 + 1], sstp[120];
	bool works;
	size_t n;
	const struct port_verdict *p500 = NULL;
	int n_open, n_bad, n_und;

	n_open = port_list(rep, STATE(PORT_OPEN), open, sizeof(open));
	n_und = port_list(rep, STATE(PORT_UNTESTED), undecided,
	    sizeof(undecided));
	/* Neither open nor undecided. */
	n_bad = 0;
	bad[0] = '\0';
	for (int i = 0, at = 0; i < rep->n_ports; i++) {
		const struct port_verdict *v = &rep->ports[i];

		if (v->port == 500)
			p500 = v;
		if (v->state == PORT_OPEN || v->state == PORT_UNTESTED)
			continue;
		n_bad++;
		at += snprintf(bad + at, sizeof(bad) - (size_t)at, "%s%u",
		    at ? "/" : "", v->port);
	}
	/* Where IKEv2 fails, SSTP is what is left: the headline says it. */
	works = sstp_headline_clause(rep, sstp, sizeof(sstp));
	if (n_und > 0)
		snprintf(rep->headline, sizeof(rep->headline), "Run cut short: "
		    "UDP %s %s not decided%s%s%s.", undecided, n_und > 1 ? "were" :
		    "was", n_open ? "; IKEv2 answers on UDP " : "", n_open ? open :
		    "", n_bad ? ", not on the others" : "");
	else if (n_bad == 0)
		snprintf(rep->headline, sizeof(rep->headline), "The VPN gateway's "
		    "IKEv2 service is reachable from this network on UDP %s.", open);
	else if (works && (n_open == 0 || (p500 && p500->state != PORT_OPEN) ||
	    rep->nat.detected == TRI_TRUE))
		snprintf(rep->headline, sizeof(rep->headline), "IKEv2 is blocked "
		    "here (%sUDP %s)%s", n_open && rep->nat.detected == TRI_TRUE &&
		    !(p500 && p500->state != PORT_OPEN) ? "NAT, " : "", n_open &&
		    p500 && p500->state != PORT_OPEN ? "500" : bad, sstp);
	else if (n_open == 0)
		snprintf(rep->headline, sizeof(rep->headline), "The VPN cannot "
		    "connect from this network (error 809): UDP %s %s blocked.%s",
		    bad, n_bad > 1 ? "are" : "is", sstp);
	else if (p500 && p500->state != PORT_OPEN)
		/* Clients start on 500: without it nothing begins. */
		snprintf(rep->headline, sizeof(rep->headline), "The VPN cannot "
		    "connect from this network (error 809): UDP 500 is blocked, "
		    "and clients start there.%s", sstp);
	else if (rep->nat.detected == TRI_TRUE)
		snprintf(rep->headline, sizeof(rep->headline), "The VPN cannot "
		    "connect from this network (error 809): it is behind a NAT, "
		    "and UDP %s is blocked.%s", bad, sstp);
	else
		snprintf(rep->headline, sizeof(rep->headline), "IKEv2 answers on "
		    "UDP %s but not on UDP %s: clients behind a NAT fail (error "
		    "809).", open, bad);
	/* One sentence a helpdesk reads aloud: where the ports make it too
	 * long for SSTP's clause, the findings say what it would. */
	n = strlen(rep->headline);
	if (sstp[0] && n > HEADLINE_MAX && n > strlen(sstp) &&
	    strcmp(rep->headline + n - strlen(sstp), sstp) == 0) {
		if (works)
			snprintf(rep->headline, sizeof(rep->headline), "IKEv2 is "
			    "blocked here%s", sstp);
		else
			rep->headline[n - strlen(sstp)] = '\0';
	}
}

/* Errors first, then warnings, then the rest; in the order found within
 * each (a stable insertion sort: a handful of findings). */
void
sort_findings(struct report *rep)
{
	static struct finding tmp;

	for (int i = 1; i < rep->n_findings; i++) {
		int j = i;

		tmp = rep->findings[i];
		while (j > 0 && rep->findings[j - 1].severity < tmp.severity) {
			rep->findings[j] = rep->findings[j - 1];
			j--;
		}
		rep->findings[j] = tmp;
	}
}

/* Default Windows clients refused: what the helpdesk meets first when
 * nothing on the path is wrong. */
static bool
audit_headline(struct report *rep)
{
	for (int i = 0; i < rep->n_findings; i++)
		if (strcmp(rep->findings[i].code, "windows-default-refused") == 0) {
			snprintf(rep->headline, sizeof(rep->headline), "Windows "
			    "clients with default IKEv2 settings cannot connect "
			    "(error 13868): the gateway refuses their proposals.");
			return true;
		}
	return false;
}

static bool
all_open(const struct report *rep)
{
	for (int i = 0; i < rep->n_ports; i++)
		if (rep->ports[i].state != PORT_OPEN)
			return false;
	return rep->n_ports > 0;
}

void
diagnose(struct report *rep, const struct ike_session *run)
{
	const struct probe_set *set;
	int best = -1;

	rep->sess = run;
	rep->set = ike_session_set(run);
	rep->stats = &run->stats;
	set = &rep->set;
	rep->n_findings = 0;
	rep->n_ports = run->n_ports;
	rep->full_sa_replies = 0;
	for (int i = 0; i < set->n; i++)
		rep->full_sa_replies += set->p[i].result == PROBE_ANSWERED &&
		    set->p[i].reply.kind == IKE_REPLY_SA;
	rep->complete = !run->interrupted && !run->faulted;
	for (int i = 0; i < run->n_ports; i++) {
		struct port_verdict *v = &rep->ports[i];

		memset(v, 0, sizeof(*v));
		v->port = run->ports[i].dport;
		v->sport = run->ports[i].sport;
		v->sport_substituted = v->sport != v->port;
		v->sport_errno = run->ports[i].sport_errno;
		judge_port(rep, v);
	}
	for (int i = 0; i < set->n; i++) {
		const struct probe *p = &set->p[i];

		if (p->result == PROBE_ANSWERED && p->purpose != PURPOSE_AUDIT &&
		    (best < 0 ||
		    reply_rank(p->reply.kind) >
		    reply_rank(set->p[best].reply.kind)))
			best = i;
	}
	rep->responder = best >= 0 ? &set->p[best].reply : NULL;

	for (int i = 0; i < rep->n_ports; i++)
		port_findings(rep, &rep->ports[i]);
	diagnose_nat(rep);
	diagnose_sstp(rep);
	headline(rep);
	diagnose_auth(rep);
	diagnose_sizes(rep);
	diagnose_audit(rep);
	responder_findings(rep);
	target_findings(rep);
	run_findings(rep);

	/* Exit 1 whenever something needs a person's attention. */
	rep->exit_status = 0;
	for (int i = 0; i < rep->n_findings; i++)
		if (rep->findings[i].severity != SEV_INFO)
			rep->exit_status = 1;
	for (int i = 0; i < rep->n_ports; i++)
		if (rep->ports[i].state != PORT_OPEN)
			rep->exit_status = 1;
	sort_findings(rep);
	if (rep->exit_status == 0)
		add_finding(rep, SEV_INFO, "ike-reachable", "", "%s", rep->headline);
	/* Every port answers: what the helpdesk wants to know next is what
	 * breaks every client (the certificate, a load balancer), else the
	 * verdict on fragmentation, so it leads. */
	if (all_open(rep) && rep->auth.headline[0])
		snprintf(rep->headline, sizeof(rep->headline), "%s",
		    rep->auth.headline);
	else if (all_open(rep) && rep->sstp.lead[0])
		snprintf(rep->headline, sizeof(rep->headline), "%s",
		    rep->sstp.lead);
	else if (all_open(rep) && rep->verdict.frag_needed != TRI_TRUE &&
	    audit_headline(rep))
		;
	else if (all_open(rep) && run->cfg.sizes.enabled && rep->verdict.brief[0]) {
		snprintf(rep->headline, sizeof(rep->headline), "%s",
		    rep->verdict.brief);
		rep->verdict.in_headline = true;
	}
}
