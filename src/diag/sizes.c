/* The size part of the diagnosis: do fragmented IKE messages reach the
 * gateway, what is the path MTU, and so: is IKEv2 fragmentation (RFC 7383)
 * needed on this network. Each sentence names the probes it rests on. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ikeprobe/report.h"


static const struct probe *
probe_at(const struct report *rep, int id)
{
	return probe_set_get(&rep->set, id);
}

/* Worst port first: dropped, inconclusive, pass, unknown. */
static int
outcome_rank(enum frag_outcome o)
{
	switch (o) {
	case FRAG_DROPPED:	return 3;
	case FRAG_INCONCLUSIVE:	return 2;
	case FRAG_PASS:		return 1;
	case FRAG_UNKNOWN:	return 0;
	}
	return 0;
}

static void
frag_report(struct report *rep)
{
	struct frag_report *f = &rep->frag;
	const struct frag_assess *w = NULL;
	const struct probe *lp, *cp;
	char from[IP_ADDR_STRLEN];
	size_t n = 0;

	f->worst_port = -1;
	f->fragment_size = rep->sizes.frag_size;
	for (int i = 0; i < rep->set.n_ports; i++) {
		const struct frag_assess *a = &rep->sizes.frag[i];

		if (!a->tested)
			continue;
		f->tested = true;
		if (a->largest_answered > f->largest_answered)
			f->largest_answered = a->largest_answered;
		if (a->smallest_lost && (f->smallest_lost == 0 ||
		    a->smallest_lost < f->smallest_lost))
			f->smallest_lost = a->smallest_lost;
		if (w == NULL || outcome_rank(a->outcome) > outcome_rank(w->outcome)) {
			w = a;
			f->worst_port = i;
		}
	}
	f->outbound = w ? w->outcome : FRAG_UNKNOWN;
	if (w == NULL) {
		snprintf(f->evidence, sizeof(f->evidence), "Not tested.");
		return;
	}
	/* One clause per port, worst first. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < rep->set.n_ports; i++) {
			const struct frag_assess *a = &rep->sizes.frag[i];

			if (!a->tested || (pass == 0) != (a == w))
				continue;
			lp = probe_at(rep, a->lost_probe);
			cp = probe_at(rep, a->control);
			if (n >= sizeof(f->evidence))
				break;
			switch (a->outcome) {
			case FRAG_PASS:
				n += (size_t)snprintf(f->evidence + n,
				    sizeof(f->evidence) - n, "%sUDP %u: %zu "
				    "bytes in %d fragments of %zu answered.",
				    n ? " " : "", a->port, a->largest_answered,
				    a->answered_frags, f->fragment_size);
				break;
			case FRAG_DROPPED:
			case FRAG_INCONCLUSIVE:
				if (lp == NULL)
					break;
				n += (size_t)snprintf(f->evidence + n,
				    sizeof(f->evidence) - n, "%sUDP %u: %zu "
				    "bytes in %d fragments (probe #%d) ", n ? " " :
				    "", a->port, a->smallest_lost, a->lost_frags,
				    lp->id);
				if (n >= sizeof(f->evidence))
					break;
				if (lp->result == PROBE_ICMP)
					n += (size_t)snprintf(f->evidence + n,
					    sizeof(f->evidence) - n, "drew %s "
					    "%s from %s%s", lp->icmp.family ==
					    AF_INET6 ? "ICMPv6" : "ICMP",
					    icmp_name(lp->icmp.family, lp->icmp.type,
					    lp->icmp.code), ip_addr_str(&lp->icmp.from,
					    from, sizeof(from)), a->reasm_timeout ?
					    ": the first fragment arrived, the rest "
					    "never did; later fragments are lost on "
					    "the way" : a->icmp_refused ? ": "
					    "fragments are refused" : "");
				else
					n += (size_t)snprintf(f->evidence + n,
					    sizeof(f->evidence) - n, "got no "
					    "answer to %d attempts%s", lp->attempts,
					    lp->confirm ? ", nor did the same size "
					    "sent once before" : "");
				if (n >= sizeof(f->evidence))
					break;
				if (a->largest_answered)
					n += (size_t)snprintf(f->evidence + n,
					    sizeof(f->evidence) - n, "; %zu bytes "
					    "in %d fragments were answered",
					    a->largest_answered, a->answered_frags);
				if (n >= sizeof(f->evidence))
					break;
				if (cp)
					n += (size_t)snprintf(f->evidence + n,
					    sizeof(f->evidence) - n, "; the "
					    "gateway still answered probe #%d "
					    "(%zu bytes, unfragmented) sent after.",
					    cp->id, cp->size);
				else if (lp->result != PROBE_ICMP)
					n += (size_t)snprintf(f->evidence + n,
					    sizeof(f->evidence) - n, "; the "
					    "gateway answered nothing sent after "
					    "it%s, so the loss may be the "
					    "gateway's.", a->unresponsive ?
					    ", not even a small control probe" :
					    "");
				else
					n += (size_t)snprintf(f->evidence + n,
					    sizeof(f->evidence) - n, ".");
				break;
			case FRAG_UNKNOWN:
				break;
			}
		}
}

static void
pmtu_report(struct report *rep)
{
	const struct ike_session *run = rep->sess;
	const struct pmtu_assess *a = &rep->sizes.pmtu;
	struct pmtu_report *m = &rep->pmtu;
	const struct probe *hp = probe_at(rep, a->hi_probe);
	const struct probe *lo = probe_at(rep, a->lo_probe);
	const struct probe *ip = probe_at(rep, a->icmp_probe);
	const struct probe *cp = probe_at(rep, a->control);
	char from[IP_ADDR_STRLEN];

	m->tested = a->tested;
	m->icmp = a->icmp;
	if (!a->tested) {
		snprintf(m->evidence, sizeof(m->evidence), "Not tested.");
		return;
	}
	if (ip) {
		m->has_router = true;
		m->router = a->router;
		m->router_mtu = (int)a->icmp_mtu;
	}
	if (a->done) {
		m->value = a->value;
		m->source = a->source;
	} else
		m->inconclusive = true;
	m->black_hole = a->done && a->source == PMTU_SRC_PROBING &&
	    a->icmp == PMTU_ICMP_FILTERED;

	if (!a->done && (run->interrupted || run->faulted)) {
		snprintf(m->evidence, sizeof(m->evidence), "Undecided: the run "
		    "stopped first.");
		return;
	}
	if (!a->done) {
		snprintf(m->evidence, sizeof(m->evidence), "Undecided: DF probes "
		    "above %zu bytes (last #%d) were lost and the gateway "
		    "answered nothing sent after them.", a->lo,
		    a->lost_probe >= 0 ? a->lost_probe : a->hi_probe);
		return;
	}
	switch (a->source) {
	case PMTU_SRC_ICMP:
		snprintf(m->evidence, sizeof(m->evidence), "Router %s answered "
		    "probe #%d (%zu bytes, DF) with %s, next-hop MTU %u; probe "
		    "#%d of %d bytes was answered.",
		    ip_addr_str(&a->router, from, sizeof(from)), ip ? ip->id : -1,
		    ip ? ip->size : 0, ip && ip->icmp.family == AF_INET6 ?
		    "ICMPv6 packet too big" : "ICMP fragmentation needed",
		    a->icmp_mtu, lo ? lo->id : -1, a->value);
		break;
	case PMTU_SRC_LOCAL:
		if (a->local_emsgsize)
			snprintf(m->evidence, sizeof(m->evidence), "This "
			    "machine refused to send %zu bytes (probe #%d, "
			    "EMSGSIZE); %zu bytes went out and were answered.",
			    a->hi, hp ? hp->id : -1, a->lo);
		else
			snprintf(m->evidence, sizeof(m->evidence), "Probe #%d "
			    "of %d bytes with DF, the interface MTU, was "
			    "answered: the path carries all this machine sends.",
			    lo ? lo->id : -1, a->value);
		break;
	case PMTU_SRC_PROBING:
		if (m->black_hole)
			snprintf(m->evidence, sizeof(m->evidence), "DF probes of "
			    "%zu bytes and more (#%d) got no answer and no ICMP "
			    "error, while probe #%d of %zu bytes was answered%s",
			    a->hi, hp ? hp->id : -1, lo ? lo->id : -1, a->lo,
			    cp ? " and so was a probe sent after the losses, #" :
			    ".");
		else
			snprintf(m->evidence, sizeof(m->evidence), "Probe #%d of "
			    "%zu bytes with DF was answered.", lo ? lo->id : -1,
			    a->lo);
		if (m->black_hole && cp) {
			size_t l = strlen(m->evidence);

			snprintf(m->evidence + l, sizeof(m->evidence) - l,
			    "%d.", cp->id);
		}
		break;
	case PMTU_SRC_NONE:
		break;
	}
}

static void
verdict(struct report *rep)
{
	const struct ike_session *run = rep->sess;
	struct verdict *v = &rep->verdict;
	const struct frag_report *f = &rep->frag;
	const struct pmtu_report *m = &rep->pmtu;
	const struct ike_reply *r = rep->responder;
	int offered = r && r->kind == IKE_REPLY_SA ? r->frag_supported : -1;
	bool any_open = false;
	char pmtu[200] = "";

	for (int i = 0; i < rep->n_ports; i++)
		any_open |= rep->ports[i].state == PORT_OPEN;
	v->frag_needed = TRI_NULL;
	if (!run->cfg.sizes.enabled) {
		snprintf(v->reason, sizeof(v->reason), "Fragmentation and path "
		    "MTU were not tested (--quick).");
		return;
	}
	if (!any_open) {
		snprintf(v->reason, sizeof(v->reason), "Fragmentation and path "
		    "MTU could not be tested: IKE does not reach the gateway on "
		    "any port from this network.");
		return;
	}
	if (f->outbound == FRAG_DROPPED) {
		v->frag_needed = TRI_TRUE;
		snprintf(v->brief, sizeof(v->brief), "%s (error 809): this "
		    "network drops fragments to the gateway%s", offered == 1 ?
		    "Clients without IKEv2 fragmentation fail" : offered == 0 ?
		    "Every client fails" : "Clients may fail",
		    offered == 0 ? ", which does NOT offer IKEv2 fragmentation." :
		    ".");
		snprintf(v->reason, sizeof(v->reason), "IKEv2 fragmentation is "
		    "needed on this network: fragmented IKE messages (%zu bytes) "
		    "do not reach the gateway, so IKE_AUTH with certificates "
		    "fails without it; %s", f->smallest_lost,
		    offered == 1 ? "the gateway offers it, so clients that "
		    "support it (Windows 10 1803 and later) connect and older "
		    "ones fail." : offered == 0 ? "the gateway does NOT offer "
		    "it, so every client fails here until it is enabled on the "
		    "gateway or this network passes fragments." :
		    "whether the gateway offers it is unknown (no full "
		    "IKE_SA_INIT reply).");
		return;
	}
	if (rep->auth.inbound == FRAG_DROPPED) {
		v->frag_needed = TRI_TRUE;
		snprintf(v->brief, sizeof(v->brief), "%s (error 809): the "
		    "gateway's IP fragments are dropped here%s",
		    offered == 1 ? "Clients without IKEv2 fragmentation fail" :
		    offered == 0 ? "Every client fails" : "Clients may fail",
		    offered == 0 ? "; it does NOT offer IKEv2 fragmentation." :
		    ".");
		snprintf(v->reason, sizeof(v->reason), "IKE_AUTH replies from the "
		    "gateway cannot reach this network in IP fragments: clients "
		    "fail with error 809 unless IKEv2 fragmentation is enabled on "
		    "both sides; %s", offered == 1 ? "this gateway offers it, so "
		    "clients that use it (Windows 10 1803 and later) connect." :
		    offered == 0 ? "this gateway does NOT offer it." :
		    "whether the gateway offers it is unknown.");
		return;
	}
	if (m->black_hole) {
		v->frag_needed = TRI_TRUE;
		snprintf(v->brief, sizeof(v->brief), "Clients may fail here "
		    "(error 809): packets over %d bytes vanish without an ICMP "
		    "error (a path-MTU black hole).", m->value);
		snprintf(v->reason, sizeof(v->reason), "IKEv2 fragmentation "
		    "(with fragments of at most %d bytes) or a lower MTU is "
		    "needed on this network: datagrams larger than %d bytes "
		    "vanish without an ICMP error (path-MTU black hole).",
		    m->value, m->value);
		return;
	}
	if (f->outbound == FRAG_PASS && m->value) {
		v->frag_needed = TRI_FALSE;
		snprintf(v->brief, sizeof(v->brief), "The VPN can connect from "
		    "this network: IKEv2 answers, and fragments pass %s.",
		    rep->auth.inbound == FRAG_PASS ? "both ways" : "to the gateway");
		if (m->source == PMTU_SRC_ICMP)
			snprintf(pmtu, sizeof(pmtu), "path MTU %d, reported by "
			    "the router", m->value);
		else
			snprintf(pmtu, sizeof(pmtu), "path MTU %d", m->value);
		snprintf(v->reason, sizeof(v->reason), "IKEv2 fragmentation is "
		    "not needed on this network: fragmented IKE messages of "
		    "%zu bytes reach the gateway whole (%s)%s.",
		    f->largest_answered, pmtu, rep->auth.inbound == FRAG_PASS ?
		    ", and the gateway's fragmented IKE_AUTH answer reaches this "
		    "machine" : "");
		return;
	}
	snprintf(v->brief, sizeof(v->brief), "IKEv2 answers from this network; "
	    "whether fragments pass is undecided%s", run->interrupted ||
	    run->faulted ? ": the run stopped first." : ": run again.");
	if (run->interrupted || run->faulted)
		snprintf(v->reason, sizeof(v->reason), "Whether IKEv2 "
		    "fragmentation is needed here is undecided: the run %s "
		    "before the size tests finished.", run->interrupted ?
		    "was interrupted" : "stopped (this machine's network "
		    "failed)");
	else if (f->outbound == FRAG_INCONCLUSIVE || m->inconclusive)
		snprintf(v->reason, sizeof(v->reason), "Whether IKEv2 "
		    "fragmentation is needed here is undecided: the gateway "
		    "stopped answering during the %s tests (a small probe sent "
		    "after the lost ones got no answer either), so the losses "
		    "may be its own doing (rate limit, outage); run again.",
		    f->outbound == FRAG_INCONCLUSIVE && m->inconclusive ?
		    "fragment and path-MTU" : f->outbound == FRAG_INCONCLUSIVE ?
		    "fragment" : "path-MTU");
	else
		snprintf(v->reason, sizeof(v->reason), "Whether IKEv2 "
		    "fragmentation is needed here is undecided: the tests did "
		    "not finish.");
}

static void
findings(struct report *rep)
{
	const struct ike_session *run = rep->sess;
	const struct frag_report *f = &rep->frag;
	const struct pmtu_report *m = &rep->pmtu;
	const struct ike_reply *r = rep->responder;
	int offered = r && r->kind == IKE_REPLY_SA ? r->frag_supported : -1;
	char advice[1000], from[IP_ADDR_STRLEN];
	/* A stopped run says so in its own finding. */
	bool stopped = run->interrupted || run->faulted;

	if (f->outbound == FRAG_DROPPED) {
		if (offered == 1)
			snprintf(advice, sizeof(advice), "The gateway offers "
			    "IKEv2 fragmentation: make sure clients use it "
			    "(Windows 10 1803 or later; strongSwan "
			    "fragmentation = yes). Or ask the network's owner "
			    "to pass IP fragments to the gateway.");
		else
			snprintf(advice, sizeof(advice), "%s IKEv2 "
			    "fragmentation on the gateway: %s. Or ask the "
			    "network's owner to pass IP fragments to the "
			    "gateway.", offered == 0 ? "Enable" : "Make sure "
			    "the gateway offers", diag_gateway_fragmentation);
		/* The evidence is fragments.evidence's, said once. */
		add_finding(rep, SEV_ERROR, "fragments-dropped", advice,
		    "Fragmented IKE datagrams of %zu bytes do not reach the "
		    "gateway, while unfragmented ones do: %s fail with error 809.",
		    f->smallest_lost, offered == 0 ? "every client's IKE_AUTH "
		    "with certificates will" : "clients without IKEv2 "
		    "fragmentation");
	} else if (f->outbound == FRAG_INCONCLUSIVE && !stopped)
		add_finding(rep, SEV_WARNING, "fragments-inconclusive", "Run "
		    "again in a minute: the gateway may rate-limit new IKE "
		    "requests from one address.", "Whether fragments reach "
		    "the gateway is undecided. %s", f->evidence);

	if (m->black_hole) {
		snprintf(advice, sizeof(advice), "Allow ICMP type 3 code 4 "
		    "(fragmentation needed) back to clients on the firewall, so "
		    "path-MTU discovery works. Until then, lower the client's "
		    "MTU to %d (Windows: netsh interface ipv4 set subinterface "
		    "\"Wi-Fi\" mtu=%d store=persistent; Linux: ip link set dev "
		    "IFACE mtu %d) and use IKEv2 fragmentation with fragments "
		    "no larger than that (strongSwan: charon.fragment_size = "
		    "%d).", m->value, m->value, m->value, m->value);
		add_finding(rep, SEV_ERROR, "path-mtu-black-hole", advice,
		    "Path-MTU black hole: datagrams larger than %d bytes are "
		    "lost without an ICMP error, so path-MTU discovery cannot "
		    "work here; large IKE_AUTH messages fail (error 809).",
		    m->value);
	} else if (m->inconclusive && !stopped)
		add_finding(rep, SEV_WARNING, "path-mtu-inconclusive", "Run "
		    "again in a minute.", "The path MTU is undecided. %s",
		    m->evidence);
	else if (m->value && m->source == PMTU_SRC_ICMP && m->has_router)
		add_finding(rep, SEV_INFO, "path-mtu-reduced", "Nothing to do: "
		    "path-MTU discovery works on this path.", "The path MTU is "
		    "%d bytes, below this machine's %d: router %s says so with "
		    "ICMP fragmentation needed.", m->value, rep->local.mtu,
		    ip_addr_str(&m->router, from, sizeof(from)));
	else if (m->value && m->source == PMTU_SRC_LOCAL &&
	    rep->sizes.pmtu.local_emsgsize)
		add_finding(rep, SEV_INFO, "path-mtu-local", "Check the MTU of "
		    "this machine's interface and route.", "This machine's own "
		    "link is the limit: %s", m->evidence);

	/* What the return direction could not tell is fragments.inbound's
	 * to say (the Return line): no finding (before 0.3,
	 * return-direction-untested said it in every report). */
}

void
diagnose_sizes(struct report *rep)
{
	sizes_assess(&rep->set, &rep->sizes);
	frag_report(rep);
	pmtu_report(rep);
	verdict(rep);
	findings(rep);
}
