/* Which session a captured frame belongs to, by its signature (scamper's
 * scamper_task_find): the peer's address, in whichever direction, or an
 * ICMP error quoting a datagram to the peer; failing those, a session
 * that recognises one of its own identifiers in it. */
#include "ikeprobe/session.h"

static bool
from_or_to(const struct session *s, const struct pkt *pk)
{
	if (ip_addr_eq(&pk->src, &s->peer))
		return true;
	return ip_addr_eq(&pk->src, &s->local) && ip_addr_eq(&pk->dst, &s->peer);
}

int
session_dispatch(struct session *const *ss, int n, enum frame_kind kind,
    const struct pkt *pk, usec_t ts)
{
	if (pk == NULL)
		return -1;
	for (int i = 0; i < n; i++)
		if (from_or_to(ss[i], pk))
			return i;
	if (kind != FRAME_PACKET)
		return -1;
	if (pk->is_icmp && pk->quote.valid)
		for (int i = 0; i < n; i++)
			if (ip_addr_eq(&pk->quote.dst, &ss[i]->peer) &&
			    ip_addr_eq(&pk->quote.src, &ss[i]->local))
				return i;
	for (int i = 0; i < n; i++)
		if (ss[i]->ops->claims && ss[i]->ops->claims(ss[i], pk, ts))
			return i;
	return -1;
}
