/* NAT between this machine and the gateway, from the NAT_DETECTION
 * notifies (RFC 7296 2.23). Each request carries our hashes; a full SA
 * reply carries the gateway's, computed over the addresses and ports it
 * saw. We recompute them over what we sent (our address and source port,
 * the gateway's address and port) with the reply's SPIs: a mismatch means
 * something rewrote them on the way. */
#include <stdio.h>
#include <string.h>

#include "ikeprobe/natd.h"
#include "ikeprobe/report.h"

static const char advice_4500[] =
    "Ask whoever runs this network (hotel, guest or carrier Wi-Fi, site "
    "firewall) to allow outbound UDP 4500 to the VPN gateway: behind a NAT "
    "the VPN cannot work without it. Until then, use another network or a "
    "TLS-based fallback such as SSTP.";

/* The first reply that carries the gateway's hashes, a clean one first. */
static const struct probe *
natd_reply(const struct probe_set *set)
{
	const struct probe *any = NULL;

	for (int i = 0; i < set->n; i++) {
		const struct probe *p = &set->p[i];

		if (p->result != PROBE_ANSWERED ||
		    (p->reply.n_natd_src == 0 && !p->reply.has_natd_dst))
			continue;
		if (p->reply.status == IKE_PARSE_OK)
			return p;
		if (any == NULL)
			any = p;
	}
	return any;
}

static const struct probe *
full_reply(const struct probe_set *set)
{
	for (int i = 0; i < set->n; i++)
		if (set->p[i].result == PROBE_ANSWERED &&
		    set->p[i].reply.kind == IKE_REPLY_SA)
			return &set->p[i];
	return NULL;
}

static void
nat_evidence(struct report *rep, const struct probe *p)
{
	struct nat_report *n = &rep->nat;
	char me[IP_ADDR_STRLEN], gw[IP_ADDR_STRLEN];
	size_t len = 0;

	ip_addr_str(&rep->local.addr, me, sizeof(me));
	ip_addr_str(&rep->target, gw, sizeof(gw));
	if (n->detected == TRI_FALSE)
		len = (size_t)snprintf(n->evidence, sizeof(n->evidence), "The "
		    "NAT_DETECTION notifies in the gateway's reply to probe #%d "
		    "match %s port %u and %s port %u, the addresses and ports "
		    "used: no NAT between here and the gateway.", p->id, me,
		    p->sport, gw, p->dport);
	if (n->client_side == TRI_TRUE)
		len += (size_t)snprintf(n->evidence, sizeof(n->evidence), "The "
		    "gateway saw probe #%d come from another address or port "
		    "than %s port %u, where it was sent from "
		    "(NAT_DETECTION_DESTINATION_IP does not match): a NAT "
		    "between here and the gateway rewrites them.", p->id, me,
		    p->sport);
	if (n->gateway_side == TRI_TRUE && len < sizeof(n->evidence))
		len += (size_t)snprintf(n->evidence + len, sizeof(n->evidence) -
		    len, "%sThe gateway's NAT_DETECTION_SOURCE_IP in its reply "
		    "to probe #%d does not match %s port %u, the address "
		    "probed: the gateway itself sits behind a NAT (port "
		    "forwarding or a 1:1 NAT in front of it).", len ? " " : "",
		    p->id, gw, p->dport);
	if (n->detected == TRI_NULL && p->reply.has_natd_dst &&
	    p->reply.n_natd_src > 0)
		len = (size_t)snprintf(n->evidence, sizeof(n->evidence), "The "
		    "gateway's reply to probe #%d carries both NAT_DETECTION "
		    "notifies, but this machine could not compute the hashes "
		    "to compare (SHA-1 failed).", p->id);
	else if (n->detected == TRI_NULL)
		len = (size_t)snprintf(n->evidence, sizeof(n->evidence), "The "
		    "gateway's reply to probe #%d carries only one of the two "
		    "NAT_DETECTION notifies, and it matches: a NAT cannot be "
		    "ruled out.", p->id);
	/* A verdict from a malformed reply says so. */
	if (p->reply.status != IKE_PARSE_OK && len < sizeof(n->evidence))
		snprintf(n->evidence + len, sizeof(n->evidence) - len, " (The "
		    "reply is malformed: %s.)", p->reply.problem);
}

/* The verdict on UDP port, or NULL if it was not probed. */
static const struct port_verdict *
port_verdict(const struct report *rep, uint16_t port)
{
	for (int i = 0; i < rep->n_ports; i++)
		if (rep->ports[i].port == port)
			return &rep->ports[i];
	return NULL;
}

void
diagnose_nat(struct report *rep)
{
	struct nat_report *n = &rep->nat;
	const struct probe *p = natd_reply(&rep->set), *sa;
	const struct port_verdict *v;
	struct natd_seen seen;

	memset(n, 0, sizeof(*n));
	n->detected = n->client_side = n->gateway_side = TRI_NULL;
	n->probe = -1;
	if (p == NULL) {
		if ((sa = full_reply(&rep->set)) != NULL)
			snprintf(n->evidence, sizeof(n->evidence), "The "
			    "gateway's full reply to probe #%d carries no "
			    "NAT_DETECTION notifies: it does not do NAT "
			    "traversal, or something on the way removed them.",
			    sa->id);
		else
			snprintf(n->evidence, sizeof(n->evidence), "Not known: "
			    "only a full IKE_SA_INIT reply carries the "
			    "NAT_DETECTION notifies, and none came back.");
		return;
	}
	n->probe = p->id;
	natd_judge(p->ex.spi_i, &p->reply, &rep->local.addr, p->sport,
	    &rep->target, p->dport, &seen);
	n->client_side = (enum tristate)seen.client;
	n->gateway_side = (enum tristate)seen.gateway;
	if (n->client_side == TRI_TRUE || n->gateway_side == TRI_TRUE)
		n->detected = TRI_TRUE;
	else if (n->client_side == TRI_FALSE && n->gateway_side == TRI_FALSE)
		n->detected = TRI_FALSE;
	nat_evidence(rep, p);

	if (n->detected != TRI_TRUE)
		return;
	v = port_verdict(rep, 4500);
	snprintf(n->consequence, sizeof(n->consequence), "UDP 4500 is needed%s%s",
	    v == NULL || v->state == PORT_UNTESTED ? "; it was not tested" :
	    v->state == PORT_OPEN ? ", and it is open" : ", and it is ",
	    v && v->state != PORT_OPEN && v->state != PORT_UNTESTED ?
	    port_state_name(v->state) : "");
	/* Blocked only on evidence: a port that was tested and not open. */
	if ((v = port_verdict(rep, 4500)) != NULL && v->state != PORT_OPEN &&
	    v->state != PORT_UNTESTED)
		add_finding(rep, SEV_ERROR, "nat-udp4500-blocked", advice_4500,
		    "A NAT is between this machine and the gateway, so the VPN "
		    "needs UDP 4500 (IKE moves there after IKE_SA_INIT and "
		    "carries ESP inside it), but UDP 4500 is %s from here. %s",
		    port_state_name(v->state), n->evidence);
	else if (v != NULL && v->state == PORT_OPEN)
		add_finding(rep, SEV_INFO, "nat-detected", "Nothing to do: UDP "
		    "4500 is open, and VPN clients switch to it behind a NAT "
		    "(NAT traversal, RFC 3948).", "%s", n->evidence);
	else
		add_finding(rep, SEV_INFO, "nat-detected", "Probe UDP 4500 too "
		    "(run without --ports, and let the run finish): behind a "
		    "NAT the VPN needs it.", "%s UDP 4500 was not tested.",
		    n->evidence);
}
