/* Which session a captured frame belongs to, by its signature (scamper's
 * scamper_task_find): the peer's address, in whichever direction, or an
 * ICMP error quoting a datagram to the peer; failing those, a session
 * that recognises one of its own identifiers in it. A peer has one
 * session per transport (IKE over UDP, SSTP over TCP). */
#include <stdio.h>

#include "ikeprobe/session.h"

void
peer_path_note(struct peer_path *pp, double rtt, const char *proto,
    uint16_t port)
{
	if (pp == NULL || rtt < 0)
		return;
	/* The longest: a timeout from it waits for the slowest answer. */
	if (rtt > pp->rtt || pp->from[0] == '\0') {
		pp->rtt = rtt;
		snprintf(pp->from, sizeof(pp->from), "%s %u", proto, port);
	}
}

static bool
from_or_to(const struct session *s, const struct pkt *pk)
{
	if (ip_addr_eq(&pk->src, &s->peer))
		return true;
	return ip_addr_eq(&pk->src, &s->local) && ip_addr_eq(&pk->dst, &s->peer);
}

/* The transport a frame is about: an ICMP error's quoted one, else its
 * own; a fragment past the first is UDP's (we fragment only IKE, and TCP
 * segments are sent whole). */
static uint8_t
transport(const struct pkt *pk)
{
	if (pk->is_icmp && pk->quote.valid)
		return pk->quote.proto == IP_PROTO_TCP ? IP_PROTO_TCP : IP_PROTO_UDP;
	return pk->proto == IP_PROTO_TCP && !pkt_is_fragment(pk) ?
	    IP_PROTO_TCP : IP_PROTO_UDP;
}

static bool
proto_fits(const struct session *s, uint8_t proto)
{
	return s->proto == 0 || s->proto == proto;
}

int
session_dispatch(struct session *const *ss, int n, enum frame_kind kind,
    const struct pkt *pk, usec_t ts)
{
	uint8_t proto;
	int any = -1;

	if (pk == NULL)
		return -1;
	proto = transport(pk);
	for (int i = 0; i < n; i++)
		if (from_or_to(ss[i], pk)) {
			if (proto_fits(ss[i], proto))
				return i;
			if (any < 0)
				any = i;
		}
	if (any >= 0)
		return any;
	if (kind != FRAME_PACKET)
		return -1;
	if (pk->is_icmp && pk->quote.valid)
		for (int i = 0; i < n; i++)
			if (ip_addr_eq(&pk->quote.dst, &ss[i]->peer) &&
			    ip_addr_eq(&pk->quote.src, &ss[i]->local) &&
			    proto_fits(ss[i], proto))
				return i;
	for (int i = 0; i < n; i++)
		if (ss[i]->ops->claims && ss[i]->ops->claims(ss[i], pk, ts))
			return i;
	return -1;
}
