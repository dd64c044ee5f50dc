/* Matching a decoded packet to what a session sent. The packet was
 * dispatched to this session because it is from or about the session's
 * target (engine/dispatch.c); here it is decided what it is. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ikeprobe/match.h"

static bool
our_sport(const struct probe_set *s, uint16_t port)
{
	for (int i = 0; i < s->n_ports; i++)
		if (s->ports[i].sport == port)
			return true;
	return false;
}

/* Where the IKE message starts in a UDP payload: after the non-ESP marker
 * when it comes from the NAT-T port and has one (RFC 3948), else at once. */
static size_t
ike_offset(const struct pkt *pk)
{
	const uint8_t *m = pk->udp_data;

	if (ike_marker_len(pk->sport) == 0 ||
	    pk->udp_len < IKE_NONESP_MARKER_LEN || (m[0] | m[1] | m[2] | m[3]))
		return 0;
	return IKE_NONESP_MARKER_LEN;
}

/* A COOKIE answer carrying the very COOKIE a retry echoed answers the
 * retry's parent: a retransmission of it that crossed the retry (a gateway
 * that took the echo answers in full, one whose secret changed sends a
 * new COOKIE). Without this, a late copy ends the retry before its full
 * answer comes. */
static bool
cookie_again(const struct probe *p, const uint8_t *ike, size_t len)
{
	struct ike_reply *r = calloc(1, sizeof(*r));
	bool same;

	if (r == NULL)
		return false;
	ike_parse(ike, len, r);
	same = r->kind == IKE_REPLY_COOKIE && r->cookie_len == p->ex.cookie_len &&
	    memcmp(r->cookie, p->ex.cookie, r->cookie_len) == 0;
	free(r);
	return same;
}

/* A candidate's rank for a message with its SPI: the exchange it answers
 * (message ID, responder SPI) first, pending before finished among those;
 * then a pending one it does not answer (it will be flagged as a malformed
 * answer). The IKE_SA_INIT, IKE_AUTH and closing probes of one IKE SA
 * share the SPI: a late copy of one's answer is not the next one's. */
static int
spi_rank(const struct probe *p, const uint8_t *ike, size_t len)
{
	enum exch_match m = ike ? exchange_match(&p->ex, ike, len) : EXCH_ANSWER;

	if (ike && m == EXCH_ANSWER && p->ex.cookie_len > 0 &&
	    cookie_again(p, ike, len))
		m = EXCH_SAME_SA;
	return (m == EXCH_ANSWER ? 2 : 0) + (p->result == PROBE_PENDING ? 1 : 0);
}

static int
find_spi(const struct probe_set *s, const uint8_t *spi, usec_t ts,
    const uint8_t *ike, size_t len)
{
	int best = -1, best_rank = -1;

	/* A COOKIE retry shares its parent's SPI: the newest first. */
	for (int i = s->n - 1; i >= 0; i--) {
		const struct probe *p = &s->p[i];
		int rank;

		if (!probe_sent_by(p, ts) ||
		    memcmp(p->ex.spi_i, spi, IKE_SPI_LEN) != 0)
			continue;
		rank = spi_rank(p, ike, len);
		if (rank > best_rank) {
			best = i;
			best_rank = rank;
		}
	}
	return best < 0 ? -1 : s->p[best].id;
}

int
match_spi(const struct probe_set *s, const uint8_t spi[IKE_SPI_LEN], usec_t ts)
{
	return find_spi(s, spi, ts, NULL, 0);
}

/* The probe whose SPI the datagram carries, whatever port it came from;
 * -1 if none (or too short to say). */
static int
reply_owner(const struct probe_set *s, const struct pkt *pk, size_t off,
    usec_t ts)
{
	uint8_t spi[IKE_SPI_LEN];

	if (!ike_peek_spi(pk->udp_data + off, pk->udp_len - off, spi))
		return -1;
	return find_spi(s, spi, ts, pk->udp_data + off, pk->udp_len - off);
}

static void
on_ike(const struct match_ctx *c, const struct pkt *pk, usec_t ts,
    struct observation *o)
{
	const struct probe_set *s = &c->set;
	size_t off = ike_offset(pk);
	const struct probe *p;
	int id;

	if (!our_sport(s, pk->dport)) {
		o->kind = OBS_OTHER;
		return;
	}
	if ((id = reply_owner(s, pk, off, ts)) < 0) {
		/* To the right port and shaped like IKE, with no SPI of
		 * ours; on the NAT-T port without the marker it is ESP. */
		if (probe_set_sport(s, pk->sport) == pk->dport &&
		    (off || ike_marker_len(pk->sport) == 0))
			o->kind = OBS_UNMATCHED_IKE;
		else
			o->kind = OBS_OTHER;
		return;
	}
	p = probe_set_get(s, id);
	o->probe = id;
	o->from = pk->src;
	o->sport = pk->sport;
	if (p->dport != pk->sport || probe_set_sport(s, p->dport) != pk->dport) {
		o->kind = OBS_STRAY;
		o->why = STRAY_PORT;
		return;
	}
	if (ike_marker_len(p->dport) != off) {
		o->kind = OBS_STRAY;
		o->why = STRAY_MARKER;
		return;
	}
	o->kind = OBS_ANSWER;
	o->ike = pk->udp_data + off;
	o->ike_len = pk->udp_len - off;
	o->ip_frags = pk->reasm_frags;
	o->ip_id = pk->ip_id;
}

void
ike_match_fragment(const struct match_ctx *c, const struct pkt *pk, usec_t ts,
    struct observation *o)
{
	const struct probe_set *s = &c->set;
	struct cursor cur;
	uint16_t sport, dport;
	size_t mk;
	int id;

	memset(o, 0, sizeof(*o));
	o->probe = -1;
	o->ts = ts;
	o->kind = OBS_OTHER;
	if (!ip_addr_eq(&pk->src, c->target) || !pkt_is_fragment(pk) || !pk->has_id)
		return;
	o->ip_id = pk->ip_id;
	if (pk->frag_off != 0) {
		/* Known only by the ID its first fragment showed. */
		for (int i = 0; i < s->n; i++)
			for (int k = 0; k < s->p[i].partial.n_ids; k++)
				if (s->p[i].partial.ids[k] == pk->ip_id) {
					o->kind = OBS_FRAGMENT;
					o->probe = s->p[i].id;
				}
		return;
	}
	if (pk->proto != 17)
		return;
	cur_init(&cur, pk->l4, pk->l4_len);
	sport = cur_be16(&cur);
	dport = cur_be16(&cur);
	cur_skip(&cur, 4);
	mk = ike_marker_len(sport);
	if (!cur_ok(&cur) || !our_sport(s, dport) || !cur_skip(&cur, mk) ||
	    cur_left(&cur) < IKE_HDR_LEN)
		return;
	if ((id = find_spi(s, cur_here(&cur), ts, cur_here(&cur),
	    cur_left(&cur))) < 0)
		return;
	o->kind = OBS_FRAGMENT;
	o->probe = id;
	o->first = true;
	/* The IKE header's length: the whole message the datagram carries. */
	cur_skip(&cur, 24);
	o->size = cur_be32(&cur);
}

/* Does the datagram an ICMP error quotes show this probe as it was sent?
 * (Addresses and protocol are checked by the caller.) */
static bool
quote_matches(const struct probe *p, const struct pkt_quote *q, usec_t ts)
{
	static const uint8_t zero[IKE_NONESP_MARKER_LEN];
	const struct xmit_unit *u = &p->ex.unit;
	size_t mk = ike_marker_len(p->dport), n;
	/* Both carry an ID (IPv4, or fragments of IPv6): it must agree. */
	bool id_known = q->has_id && ip_has_id(u->family, u->n > 1);

	if (!probe_sent_by(p, ts) || (id_known && !unit_has_id(u, q->ip_id)))
		return false;
	/* A later fragment quotes no UDP header, so its place must vouch for
	 * it: one of the offsets we sent, or, for a datagram we sent whole
	 * (an IPv4 router on the way may fragment it), a piece inside it. A
	 * datagram sent with DF (or over IPv6) is never fragmented on the
	 * way. */
	if (q->frag_off != 0) {
		if (!id_known)
			return false;
		if (u->n == 1)
			return ip_path_fragments(u->family, p->df) &&
			    q->ip_len > ip_hdr_len(u->family) &&
			    (size_t)q->frag_off + q->ip_len <= p->size;
		for (int i = 1; i < u->n; i++)
			if ((size_t)i * u->frag_payload == q->frag_off)
				return true;
		return false;
	}
	/* The whole datagram or its first fragment: RFC 792 and RFC 4443
	 * quote the UDP header too, and it must show our ports. An error
	 * that quotes less cannot be told from a forgery that guessed the
	 * ID. */
	if (!q->has_ports || q->sport != p->sport || q->dport != p->dport)
		return false;
	/* What is quoted of the non-ESP marker and the SPI must be ours. */
	n = q->data_len < mk ? q->data_len : mk;
	if (memcmp(q->data, zero, n) != 0)
		return false;
	if (q->data_len > mk) {
		n = q->data_len - mk < IKE_SPI_LEN ? q->data_len - mk : IKE_SPI_LEN;
		if (memcmp(q->data + mk, p->ex.spi_i, n) != 0)
			return false;
	}
	return true;
}

static void
on_icmp(const struct match_ctx *c, const struct pkt *pk, usec_t ts,
    struct observation *o)
{
	const struct pkt_quote *q = &pk->quote;
	const struct probe_set *s = &c->set;
	const struct probe *p = NULL;

	o->kind = OBS_UNMATCHED_ICMP;
	if (!q->valid || q->proto != 17 || !ip_addr_eq(&q->src, c->local) ||
	    !ip_addr_eq(&q->dst, c->target))
		return;
	/* The first that matches, as sent; without an ID to tell them apart
	 * (whole IPv6 datagrams) a COOKIE retry and its parent quote alike,
	 * and the newer, pending one is the one still waiting. */
	for (int i = 0; i < s->n; i++) {
		if (!quote_matches(&s->p[i], q, ts))
			continue;
		if (p == NULL || (!q->has_id && s->p[i].result == PROBE_PENDING))
			p = &s->p[i];
	}
	if (p == NULL)
		return;
	o->probe = p->id;
	o->icmp = (struct icmp_obs){ true, pk->icmp_meaning, pk->family,
	    pk->icmp_type, pk->icmp_code, pk->icmp_mtu, pk->src };
	/* A redirect was sent while forwarding the probe, and source quench
	 * is obsolete (RFC 6633): neither says the probe was dropped. */
	o->kind = pk->icmp_meaning == ICMP_NOT_LOSS ? OBS_ICMP_IGNORED : OBS_ICMP;
}

/* Is the IKE header ours as this probe sent it: its exchange type and
 * message ID (an SA's probes share the SPI)? */
static bool
own_exchange(const struct probe *p, const uint8_t *hdr)
{
	uint32_t msgid = (uint32_t)hdr[20] << 24 | (uint32_t)hdr[21] << 16 |
	    (uint32_t)hdr[22] << 8 | hdr[23];
	uint8_t type = p->kind == PROBE_AUTH || p->kind == PROBE_CLOSE ?
	    p->ex.type : IKE_EXCH_IKE_SA_INIT;

	return hdr[18] == type && msgid == p->ex.msgid;
}

/* Our own datagram, seen leaving: which probe's (by ID, ports and SPI
 * where the datagram shows them). Later fragments show only the ID. */
static void
on_own(const struct match_ctx *c, const struct pkt *pk, usec_t ts,
    struct observation *o)
{
	const struct probe_set *s = &c->set;
	struct cursor cur;
	uint16_t sport = 0, dport = 0;
	const uint8_t *data = NULL;
	size_t len = 0;

	o->kind = OBS_SENT;
	if (pk->frag_off != 0)
		return;
	if (pk->is_udp) {
		sport = pk->sport;
		dport = pk->dport;
		data = pk->udp_data;
		len = pk->udp_len;
	} else if (pk->mf && pk->proto == 17) {
		/* The first fragment: its UDP header and what follows. */
		cur_init(&cur, pk->l4, pk->l4_len);
		sport = cur_be16(&cur);
		dport = cur_be16(&cur);
		cur_skip(&cur, 4);
		if (!cur_ok(&cur))
			return;
		data = cur_here(&cur);
		len = cur_left(&cur);
	} else
		return;
	for (int i = 0; i < s->n; i++) {
		const struct probe *p = &s->p[i];
		size_t mk = ike_marker_len(p->dport);

		/* Sent by then: a COOKIE echo shares its parent's SPI, and
		 * over IPv6 no ID tells their datagrams apart; the echo's
		 * first send (recorded before it left) is after the
		 * parent's. */
		if (p->attempts == 0 || !probe_sent_by(p, ts) ||
		    p->sport != sport || p->dport != dport ||
		    (pk->has_id && p->ex.unit.family == pk->family &&
		    ip_has_id(p->ex.unit.family, p->ex.unit.n > 1) &&
		    !unit_has_id(&p->ex.unit, pk->ip_id)) ||
		    len < mk + IKE_HDR_LEN ||
		    memcmp(data + mk, p->ex.spi_i, IKE_SPI_LEN) != 0 ||
		    !own_exchange(p, data + mk))
			continue;
		/* A COOKIE retry and its parent share the SPI: the ID told
		 * them apart above (IPv4); else the newer one sent. */
		o->probe = p->id;
		if (pk->is_udp) {
			o->ike = data + mk;
			o->ike_len = len - mk;
		}
	}
}

void
ike_match(const struct match_ctx *c, const struct pkt *pk, usec_t ts,
    struct observation *o)
{
	memset(o, 0, sizeof(*o));
	o->probe = -1;
	o->ts = ts;
	if (ip_addr_eq(&pk->src, c->local))
		on_own(c, pk, ts, o);
	else if (pk->is_udp && ip_addr_eq(&pk->src, c->target))
		on_ike(c, pk, ts, o);
	else if (pk->is_udp && ip_addr_eq(&pk->dst, c->local)) {
		/* A reply with our SPI from another address than the one
		 * probed: the gateway did answer, in a way no client takes. */
		o->kind = OBS_OTHER;
		if (our_sport(&c->set, pk->dport) &&
		    (o->probe = reply_owner(&c->set, pk, ike_offset(pk), ts)) >= 0) {
			o->kind = OBS_STRAY;
			o->why = STRAY_ADDRESS;
			o->from = pk->src;
			o->sport = pk->sport;
		}
	} else if (pk->is_icmp && ip_addr_eq(&pk->dst, c->local) &&
	    pk->icmp_meaning != ICMP_NONE)
		on_icmp(c, pk, ts, o);
	else
		o->kind = OBS_OTHER;
}
