/* IP (both families), UDP and ICMP/ICMPv6: our datagrams built, captured
 * ones decoded. Every read goes through the cursor; a header that lies is
 * reported in pkt.problem, never followed. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ikeprobe/packet.h"

#define PROTO_HOPOPT	0
#define PROTO_ICMP	1
#define PROTO_TCP	6
#define PROTO_UDP	17
#define PROTO_ROUTING	43
#define PROTO_FRAGMENT	44
#define PROTO_AH	51
#define PROTO_ICMPV6	58
#define PROTO_DSTOPTS	60
/* Extension headers walked before the transport: a chain longer than this
 * is not a packet anyone sends (RFC 7045 leaves the number open). */
#define IPV6_EXT_MAX	8

size_t
ip_addr_len(const struct ip_addr *a)
{
	return a->family == AF_INET6 ? 16 : 4;
}

bool
ip_addr_eq(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family &&
	    memcmp(a->a, b->a, ip_addr_len(a)) == 0;
}

const char *
ip_addr_str(const struct ip_addr *a, char *buf, size_t len)
{
	if (a->family == 0 || inet_ntop(a->family, a->a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

bool
ip_addr_parse(const char *s, struct ip_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->a) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, a->a) == 1)
		a->family = AF_INET6;
	return a->family != 0;
}

const char *
ip_family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : family == AF_INET ? "IPv4" : "?";
}

const char *
ip_family_key(int family)
{
	return family == AF_INET6 ? "ipv6" : "ipv4";
}

size_t
ip_hdr_len(int family)
{
	return family == AF_INET6 ? IPV6_HDR_LEN : IPV4_HDR_LEN;
}

bool
ip_has_id(int family, bool fragmented)
{
	return family == AF_INET || fragmented;
}

uint32_t
ip_id_wire(int family, uint32_t id)
{
	return family == AF_INET ? id & 0xffff : id;
}

bool
ip_path_fragments(int family, bool df)
{
	return family == AF_INET && !df;
}

size_t
ip_min_mtu(int family)
{
	return family == AF_INET6 ? 1280 : 576;
}

uint16_t
inet_cksum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The pseudo-header sum of RFC 768 (IPv4) and RFC 8200 8.1 (IPv6). */
static uint32_t
pseudo_sum(const struct ip_addr *src, const struct ip_addr *dst,
    uint8_t proto, size_t len)
{
	size_t n = ip_addr_len(src);
	uint32_t sum = 0;

	for (size_t i = 0; i < n; i += 2) {
		sum += (uint32_t)(src->a[i] << 8 | src->a[i + 1]);
		sum += (uint32_t)(dst->a[i] << 8 | dst->a[i + 1]);
	}
	sum += proto;
	sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	return sum;
}

static void
udp_header(struct wbuf *w, const struct udp_spec *s)
{
	size_t udp = w->len, ulen = UDP_HDR_LEN + s->len;
	uint16_t ck;

	wb_be16(w, s->sport);
	wb_be16(w, s->dport);
	wb_be16(w, (uint16_t)ulen);
	wb_be16(w, 0);
	wb_bytes(w, s->payload, s->len);
	if (w->failed)
		return;
	ck = inet_cksum(w->buf + udp, ulen, pseudo_sum(&s->src, &s->dst,
	    PROTO_UDP, ulen));
	wb_patch_be16(w, udp + 6, ck ? ck : 0xffff);
}

void
pkt_build_udp(struct wbuf *w, const struct udp_spec *s)
{
	size_t start = w->len;

	if (s->src.family != s->dst.family ||
	    UDP_HDR_LEN + s->len > 65535 - (s->src.family == AF_INET ?
	    IPV4_HDR_LEN : 0)) {
		w->failed = true;
		return;
	}
	if (s->src.family == AF_INET) {
		wb_u8(w, 0x45);
		wb_u8(w, 0);
		wb_be16(w, (uint16_t)(IPV4_HDR_LEN + UDP_HDR_LEN + s->len));
		wb_be16(w, (uint16_t)s->ip_id);
		wb_be16(w, s->df ? 0x4000 : 0);
		wb_u8(w, s->ttl ? s->ttl : 64);
		wb_u8(w, PROTO_UDP);
		wb_be16(w, 0);
		wb_bytes(w, s->src.a, 4);
		wb_bytes(w, s->dst.a, 4);
		udp_header(w, s);
		if (!w->failed)
			wb_patch_be16(w, start + 10, inet_cksum(w->buf + start,
			    IPV4_HDR_LEN, 0));
	} else if (s->src.family == AF_INET6) {
		/* No DF in IPv6: routers never fragment, only we do. */
		wb_be32(w, 0x60000000);
		wb_be16(w, (uint16_t)(UDP_HDR_LEN + s->len));
		wb_u8(w, PROTO_UDP);
		wb_u8(w, s->ttl ? s->ttl : 64);
		wb_bytes(w, s->src.a, 16);
		wb_bytes(w, s->dst.a, 16);
		udp_header(w, s);
	} else
		w->failed = true;
}

size_t
pkt_frag_payload(int family, size_t frag_size)
{
	size_t hdr = family == AF_INET6 ? IPV6_HDR_LEN + IPV6_FRAG_LEN :
	    IPV4_HDR_LEN;

	return frag_size > hdr ? (frag_size - hdr) & ~(size_t)7 : 0;
}

static int
fragment4(const uint8_t *dg, size_t len, size_t frag_payload,
    struct wbuf *out, int max)
{
	size_t hlen, off = 0, chunk;
	int n = 0;

	if (len < IPV4_HDR_LEN || (dg[0] & 0x0f) * 4u < IPV4_HDR_LEN)
		return -1;
	hlen = (dg[0] & 0x0fu) * 4u;
	if (hlen > len)
		return -1;
	while (off < len - hlen) {
		struct wbuf *w;
		uint16_t field;

		if (n == max)
			return -1;
		w = &out[n++];
		chunk = len - hlen - off;
		if (chunk > frag_payload)
			chunk = frag_payload;
		field = (uint16_t)(off / 8);
		if (off + chunk < len - hlen)
			field |= 0x2000;	/* more fragments */
		wb_bytes(w, dg, hlen);
		wb_patch_be16(w, 2, (uint16_t)(hlen + chunk));
		wb_patch_be16(w, 6, field);
		wb_patch_be16(w, 10, 0);
		wb_bytes(w, dg + hlen + off, chunk);
		if (w->failed)
			return -1;
		wb_patch_be16(w, 10, inet_cksum(w->buf, hlen, 0));
		off += chunk;
	}
	return n;
}

/* Our IPv6 datagrams have no extension headers: the Fragment header goes
 * right after the fixed one (RFC 8200 4.5). */
static int
fragment6(const uint8_t *dg, size_t len, size_t frag_payload, uint32_t id,
    struct wbuf *out, int max)
{
	size_t off = 0, chunk, body;
	int n = 0;

	if (len < IPV6_HDR_LEN || dg[0] >> 4 != 6)
		return -1;
	body = len - IPV6_HDR_LEN;
	while (off < body) {
		struct wbuf *w;
		uint16_t field;

		if (n == max)
			return -1;
		w = &out[n++];
		chunk = body - off;
		if (chunk > frag_payload)
			chunk = frag_payload;
		field = (uint16_t)(off & ~(size_t)7);
		if (off + chunk < body)
			field |= 1;	/* M: more fragments */
		wb_bytes(w, dg, IPV6_HDR_LEN);
		wb_patch_be16(w, 4, (uint16_t)(IPV6_FRAG_LEN + chunk));
		wb_patch_u8(w, 6, PROTO_FRAGMENT);
		wb_u8(w, dg[6]);	/* what the fragments carry */
		wb_u8(w, 0);
		wb_be16(w, field);
		wb_be32(w, id);
		wb_bytes(w, dg + IPV6_HDR_LEN + off, chunk);
		if (w->failed)
			return -1;
		off += chunk;
	}
	return n;
}

int
pkt_fragment(int family, const uint8_t *dg, size_t len, size_t frag_payload,
    uint32_t id, struct wbuf *out, int max)
{
	frag_payload &= ~(size_t)7;
	if (frag_payload == 0)
		return -1;
	if (family == AF_INET)
		return fragment4(dg, len, frag_payload, out, max);
	if (family == AF_INET6)
		return fragment6(dg, len, frag_payload, id, out, max);
	return -1;
}

/* ICMP meanings. One row per type and code; a code of -1 is every code of
 * that type not listed before it. */
struct icmp_row {
	int		 family, type, code;
	enum icmp_meaning meaning;
	const char	*name;
};

static const struct icmp_row icmp_rows[] = {
	{ AF_INET, 3, 0, ICMP_UNREACH, "network unreachable" },
	{ AF_INET, 3, 1, ICMP_UNREACH, "host unreachable" },
	{ AF_INET, 3, 2, ICMP_UNREACH, "protocol unreachable" },
	{ AF_INET, 3, 3, ICMP_PORT_UNREACH, "port unreachable" },
	{ AF_INET, 3, 4, ICMP_TOO_BIG, "fragmentation needed" },
	{ AF_INET, 3, 5, ICMP_UNREACH, "source route failed" },
	{ AF_INET, 3, 6, ICMP_UNREACH, "destination network unknown" },
	{ AF_INET, 3, 7, ICMP_UNREACH, "destination host unknown" },
	{ AF_INET, 3, 9, ICMP_ADMIN_PROHIBITED, "network administratively prohibited" },
	{ AF_INET, 3, 10, ICMP_ADMIN_PROHIBITED, "host administratively prohibited" },
	{ AF_INET, 3, 11, ICMP_UNREACH, "network unreachable for TOS" },
	{ AF_INET, 3, 12, ICMP_UNREACH, "host unreachable for TOS" },
	{ AF_INET, 3, 13, ICMP_ADMIN_PROHIBITED, "communication administratively prohibited" },
	{ AF_INET, 3, 14, ICMP_UNREACH, "host precedence violation" },
	{ AF_INET, 3, 15, ICMP_UNREACH, "precedence cutoff in effect" },
	{ AF_INET, 3, -1, ICMP_UNREACH, "destination unreachable" },
	{ AF_INET, 4, -1, ICMP_NOT_LOSS, "source quench" },
	{ AF_INET, 5, -1, ICMP_NOT_LOSS, "redirect" },
	{ AF_INET, 11, 0, ICMP_TTL_EXCEEDED, "TTL exceeded in transit" },
	{ AF_INET, 11, 1, ICMP_REASM_TIMEOUT, "fragment reassembly time exceeded" },
	{ AF_INET, 11, -1, ICMP_TTL_EXCEEDED, "time exceeded" },
	{ AF_INET, 12, -1, ICMP_PARAM_PROBLEM, "parameter problem" },
	{ AF_INET6, 1, 0, ICMP_UNREACH, "no route to destination" },
	{ AF_INET6, 1, 1, ICMP_ADMIN_PROHIBITED, "communication administratively prohibited" },
	{ AF_INET6, 1, 2, ICMP_UNREACH, "beyond scope of source address" },
	{ AF_INET6, 1, 3, ICMP_UNREACH, "address unreachable" },
	{ AF_INET6, 1, 4, ICMP_PORT_UNREACH, "port unreachable" },
	{ AF_INET6, 1, 5, ICMP_ADMIN_PROHIBITED, "source address failed ingress/egress policy" },
	{ AF_INET6, 1, 6, ICMP_ADMIN_PROHIBITED, "reject route to destination" },
	{ AF_INET6, 1, -1, ICMP_UNREACH, "destination unreachable" },
	{ AF_INET6, 2, -1, ICMP_TOO_BIG, "packet too big" },
	{ AF_INET6, 3, 0, ICMP_TTL_EXCEEDED, "hop limit exceeded in transit" },
	{ AF_INET6, 3, 1, ICMP_REASM_TIMEOUT, "fragment reassembly time exceeded" },
	{ AF_INET6, 3, -1, ICMP_TTL_EXCEEDED, "time exceeded" },
	{ AF_INET6, 4, 0, ICMP_PARAM_PROBLEM, "erroneous header field" },
	{ AF_INET6, 4, 1, ICMP_PARAM_PROBLEM, "unrecognized next header" },
	{ AF_INET6, 4, 2, ICMP_PARAM_PROBLEM, "unrecognized IPv6 option" },
	{ AF_INET6, 4, -1, ICMP_PARAM_PROBLEM, "parameter problem" },
};

static const struct icmp_row *
icmp_row(int family, int type, int code)
{
	for (size_t i = 0; i < sizeof(icmp_rows) / sizeof(icmp_rows[0]); i++) {
		const struct icmp_row *r = &icmp_rows[i];

		if (r->family == family && r->type == type &&
		    (r->code == code || r->code == -1))
			return r;
	}
	return NULL;
}

enum icmp_meaning
icmp_classify(int family, uint8_t type, uint8_t code)
{
	const struct icmp_row *r = icmp_row(family, type, code);

	return r ? r->meaning : ICMP_OTHER;
}

const char *
icmp_name(int family, int type, int code)
{
	const struct icmp_row *r = icmp_row(family, type, code);

	return r ? r->name : family == AF_INET6 ? "unknown ICMPv6 error" :
	    "unknown ICMP error";
}

const char *
icmp_meaning_key(enum icmp_meaning m)
{
#define ICMP_MEANING_KEY(e, key)	[e] = key,
	static const char *const keys[] = { ICMP_MEANING_LIST(ICMP_MEANING_KEY) };
#undef ICMP_MEANING_KEY

	return (unsigned)m < sizeof(keys) / sizeof(keys[0]) ? keys[m] : "?";
}

static enum pkt_status
bad(struct pkt *p, enum pkt_status st, const char *why)
{
	snprintf(p->problem, sizeof(p->problem), "%s", why);
	return st;
}

/* What follows the IP header of a quote: the UDP ports, when quoted, or
 * TCP's (the first 4 of the 8 bytes RFC 792 promises). */
static void
quote_transport(struct cursor *c, struct pkt_quote *q)
{
	if (q->proto == PROTO_UDP && q->frag_off == 0 &&
	    cur_left(c) >= UDP_HDR_LEN) {
		q->sport = cur_be16(c);
		q->dport = cur_be16(c);
		cur_skip(c, 4);
		q->has_ports = true;
		q->data = cur_here(c);
		q->data_len = cur_left(c);
	} else if (q->proto == PROTO_TCP && q->frag_off == 0 &&
	    cur_left(c) >= 8) {
		q->sport = cur_be16(c);
		q->dport = cur_be16(c);
		q->has_ports = true;
	}
}

/* The quoted IPv4 header: at least the header and, per RFC 792, 8 bytes of
 * what followed; RFC 1812 routers quote more. */
static void
quote4(struct cursor *c, struct pkt_quote *q)
{
	struct cursor ip;
	uint8_t vhl;
	size_t hl;
	uint16_t ff;

	if (cur_left(c) < IPV4_HDR_LEN)
		return;
	vhl = cur_here(c)[0];
	hl = (vhl & 0x0fu) * 4u;
	if (vhl >> 4 != 4 || hl < IPV4_HDR_LEN || !cur_sub(c, hl, &ip))
		return;
	cur_skip(&ip, 2);
	q->ip_len = cur_be16(&ip);
	q->ip_id = cur_be16(&ip);
	q->has_id = true;
	ff = cur_be16(&ip);
	q->df = ff & 0x4000;
	q->frag_off = (uint16_t)((ff & 0x1fff) * 8);
	cur_skip(&ip, 1);
	q->proto = cur_u8(&ip);
	cur_skip(&ip, 2);
	q->src.family = q->dst.family = AF_INET;
	cur_copy(&ip, q->src.a, 4);
	cur_copy(&ip, q->dst.a, 4);
	q->valid = cur_ok(&ip);
	if (q->valid)
		quote_transport(c, q);
}

/* The extension headers after an IPv6 header, up to the transport: its
 * protocol, and the Fragment header's fields if there is one. False if the
 * chain is cut short or too long. */
struct ext6 {
	uint8_t		 proto;
	bool		 frag;
	uint32_t	 id;
	uint16_t	 off;
	bool		 mf;
};

static bool
walk_ext6(struct cursor *c, uint8_t nh, struct ext6 *e)
{
	memset(e, 0, sizeof(*e));
	for (int i = 0; i < IPV6_EXT_MAX; i++) {
		uint8_t next, len;
		uint16_t f;

		switch (nh) {
		case PROTO_HOPOPT:
		case PROTO_ROUTING:
		case PROTO_DSTOPTS:
			next = cur_u8(c);
			len = cur_u8(c);
			if (!cur_skip(c, (size_t)len * 8 + 6))
				return false;
			nh = next;
			break;
		case PROTO_AH:
			next = cur_u8(c);
			len = cur_u8(c);
			if (!cur_skip(c, ((size_t)len + 2) * 4 - 2))
				return false;
			nh = next;
			break;
		case PROTO_FRAGMENT:
			if (e->frag)
				return false;	/* two Fragment headers */
			next = cur_u8(c);
			cur_skip(c, 1);
			f = cur_be16(c);
			e->id = cur_be32(c);
			if (!cur_ok(c))
				return false;
			e->frag = true;
			e->off = f & 0xfff8;
			e->mf = f & 1;
			/* What follows is the fragmentable part: in a later
			 * fragment, data, not headers. The datagram put back
			 * together is walked again. */
			e->proto = next;
			return true;
		default:
			e->proto = nh;
			return true;
		}
	}
	return false;
}

static void
quote6(struct cursor *c, struct pkt_quote *q)
{
	struct ext6 e;
	uint8_t nh;
	uint16_t plen;

	if (cur_left(c) < IPV6_HDR_LEN || cur_here(c)[0] >> 4 != 6)
		return;
	cur_skip(c, 4);
	plen = cur_be16(c);
	nh = cur_u8(c);
	cur_skip(c, 1);
	q->src.family = q->dst.family = AF_INET6;
	cur_copy(c, q->src.a, 16);
	cur_copy(c, q->dst.a, 16);
	if (!cur_ok(c) || !walk_ext6(c, nh, &e))
		return;
	q->ip_len = (uint32_t)plen + IPV6_HDR_LEN;
	q->proto = e.proto;
	q->has_id = e.frag;
	q->ip_id = e.id;
	q->frag_off = e.off;
	q->df = true;		/* no router fragments an IPv6 datagram */
	q->valid = true;
	quote_transport(c, q);
}

/* ICMP or ICMPv6: type, code, the meaning, and the quote of an error. */
static void
decode_icmp(struct pkt *p, struct cursor *c)
{
	p->icmp_type = cur_u8(c);
	p->icmp_code = cur_u8(c);
	cur_skip(c, 2);		/* checksum, unused */
	if (p->family == AF_INET) {
		cur_skip(c, 2);
		p->icmp_mtu = cur_be16(c);
	} else
		p->icmp_mtu = cur_be32(c);
	if (!cur_ok(c))
		return;
	p->is_icmp = true;
	/* Only errors quote a packet: ICMPv6 types below 128, and ICMP's
	 * unreachable, quench, redirect, time exceeded, parameter problem. */
	if (p->family == AF_INET6 ? p->icmp_type >= 128 :
	    !(p->icmp_type == 3 || p->icmp_type == 4 || p->icmp_type == 5 ||
	    p->icmp_type == 11 || p->icmp_type == 12))
		return;
	p->icmp_meaning = icmp_classify(p->family, p->icmp_type, p->icmp_code);
	if (p->icmp_meaning != ICMP_TOO_BIG)
		p->icmp_mtu = 0;
	if (p->family == AF_INET)
		quote4(c, &p->quote);
	else
		quote6(c, &p->quote);
}

static void
decode_l4(struct pkt *p)
{
	struct cursor c;
	uint16_t ulen;

	cur_init(&c, p->l4, p->l4_len);
	if (p->proto == PROTO_UDP) {
		p->sport = cur_be16(&c);
		p->dport = cur_be16(&c);
		ulen = cur_be16(&c);
		cur_skip(&c, 2);
		if (!cur_ok(&c) || ulen < UDP_HDR_LEN || ulen > p->l4_len) {
			snprintf(p->problem, sizeof(p->problem),
			    "UDP length %u does not fit %zu bytes", ulen,
			    p->l4_len);
			return;
		}
		p->is_udp = true;
		p->udp_data = cur_here(&c);
		p->udp_len = ulen - UDP_HDR_LEN;
	} else if (p->proto == PROTO_TCP) {
		uint8_t off;

		p->sport = cur_be16(&c);
		p->dport = cur_be16(&c);
		p->tcp_seq = cur_be32(&c);
		cur_skip(&c, 4);		/* the ack number */
		off = (uint8_t)((cur_u8(&c) >> 4) * 4);
		p->tcp_flags = cur_u8(&c);
		if (!cur_ok(&c) || off < TCP_HDR_LEN || off > p->l4_len) {
			snprintf(p->problem, sizeof(p->problem),
			    "TCP header of %u bytes does not fit %zu", off,
			    p->l4_len);
			return;
		}
		p->is_tcp = true;
		p->tcp_payload = p->l4_len - off;
		p->tcp_data = p->l4 + off;
	} else if ((p->family == AF_INET && p->proto == PROTO_ICMP) ||
	    (p->family == AF_INET6 && p->proto == PROTO_ICMPV6))
		decode_icmp(p, &c);
}

static enum pkt_status
decode4(const uint8_t *buf, size_t len, struct pkt *p)
{
	struct cursor c;
	uint8_t vhl;
	size_t hl;
	uint16_t ff;

	cur_init(&c, buf, len);
	vhl = cur_u8(&c);
	hl = (vhl & 0x0fu) * 4u;
	if (hl < IPV4_HDR_LEN)
		return bad(p, PKT_MALFORMED, "IPv4 header length below 20");
	if (len < hl)
		return bad(p, PKT_TRUNCATED, "IPv4 header cut short");
	p->family = AF_INET;
	cur_skip(&c, 1);
	p->ip_len = cur_be16(&c);
	p->ip_id = cur_be16(&c);
	p->has_id = true;
	ff = cur_be16(&c);
	p->df = ff & 0x4000;
	p->mf = ff & 0x2000;
	p->frag_off = (uint16_t)((ff & 0x1fff) * 8);
	p->ttl = cur_u8(&c);
	p->proto = cur_u8(&c);
	cur_skip(&c, 2);
	p->src.family = p->dst.family = AF_INET;
	cur_copy(&c, p->src.a, 4);
	cur_copy(&c, p->dst.a, 4);
	if (p->ip_len < hl)
		return bad(p, PKT_MALFORMED, "IPv4 total length below header");
	if (p->ip_len > len)
		return bad(p, PKT_TRUNCATED, "IPv4 packet longer than captured");
	/* Ethernet pads short frames: trust the header's total length. */
	p->ip = buf;
	p->hdr_len = hl;
	p->l4 = buf + hl;
	p->l4_len = p->ip_len - hl;
	if (!pkt_is_fragment(p))
		decode_l4(p);
	return PKT_OK;
}

static enum pkt_status
decode6(const uint8_t *buf, size_t len, struct pkt *p)
{
	struct cursor c;
	struct ext6 e;
	uint16_t plen;
	uint8_t nh;

	cur_init(&c, buf, len);
	if (len < IPV6_HDR_LEN)
		return bad(p, PKT_TRUNCATED, "IPv6 header cut short");
	p->family = AF_INET6;
	cur_skip(&c, 4);
	plen = cur_be16(&c);
	nh = cur_u8(&c);
	p->ttl = cur_u8(&c);
	p->src.family = p->dst.family = AF_INET6;
	cur_copy(&c, p->src.a, 16);
	cur_copy(&c, p->dst.a, 16);
	/* A jumbogram (length 0, RFC 2675) is nothing an IKE path carries. */
	if (plen == 0)
		return bad(p, PKT_MALFORMED, "IPv6 payload length 0");
	if ((size_t)plen + IPV6_HDR_LEN > len)
		return bad(p, PKT_TRUNCATED, "IPv6 packet longer than captured");
	p->ip_len = (uint32_t)plen + IPV6_HDR_LEN;
	cur_init(&c, buf + IPV6_HDR_LEN, plen);
	if (!walk_ext6(&c, nh, &e))
		return bad(p, cur_ok(&c) ? PKT_MALFORMED : PKT_TRUNCATED,
		    "IPv6 extension headers cut short or too many");
	p->proto = e.proto;
	p->has_id = e.frag;
	p->ip_id = e.id;
	p->frag_off = e.off;
	p->mf = e.mf;
	p->df = true;
	p->ip = buf;
	p->hdr_len = IPV6_HDR_LEN + c.off;
	p->l4 = buf + p->hdr_len;
	p->l4_len = plen - c.off;
	/* An atomic fragment (offset 0, no M, RFC 6946) is a whole datagram. */
	if (e.frag && e.off == 0 && !e.mf)
		p->mf = false;
	if (!pkt_is_fragment(p))
		decode_l4(p);
	return PKT_OK;
}

enum pkt_status
pkt_decode_ip(const uint8_t *buf, size_t len, struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	if (len == 0 || buf == NULL)
		return bad(p, PKT_TRUNCATED, "empty IP packet");
	if (buf[0] >> 4 == 4)
		return decode4(buf, len, p);
	if (buf[0] >> 4 == 6)
		return decode6(buf, len, p);
	return bad(p, PKT_NOT_IP, "not IPv4 or IPv6");
}

/* The IP version of a link header's protocol field: 0 for neither. */
static int
ethertype_version(uint16_t et)
{
	return et == 0x0800 ? 4 : et == 0x86dd ? 6 : 0;
}

/* Where the IP header starts in a frame, after its link header: 0 and
 * *off, or a status (with its reason in p) when there is none. */
static enum pkt_status
frame_ip(int link, const uint8_t *buf, size_t len, struct pkt *p, size_t *off)
{
	struct cursor c;
	uint16_t et = 0;
	int ver = 0;

	cur_init(&c, buf, len);
	switch (link) {
	case LINK_EN10MB:
		cur_skip(&c, 12);
		et = cur_be16(&c);
		while (cur_ok(&c) && (et == 0x8100 || et == 0x88a8)) {
			cur_skip(&c, 2);
			et = cur_be16(&c);
		}
		ver = ethertype_version(et);
		break;
	case LINK_SLL:
		cur_skip(&c, 14);
		ver = ethertype_version(cur_be16(&c));
		break;
	case LINK_SLL2:
		ver = ethertype_version(cur_be16(&c));
		cur_skip(&c, 18);
		break;
	case LINK_NULL:
	case LINK_LOOP: {
		const uint8_t *f = cur_take(&c, 4);
		/* The address family in host (NULL) or network (LOOP) byte
		 * order: 2 is AF_INET everywhere; BSDs number AF_INET6 24,
		 * 28 or 30, Linux 10. */
		uint32_t af = f ? (link == LINK_LOOP || f[0] == 0 ?
		    (uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 |
		    (uint32_t)f[2] << 8 | f[3] :
		    (uint32_t)f[3] << 24 | (uint32_t)f[2] << 16 |
		    (uint32_t)f[1] << 8 | f[0]) : 0;

		ver = af == 2 ? 4 : af == 10 || af == 24 || af == 28 ||
		    af == 30 ? 6 : 0;
		break;
	}
	case LINK_RAW:
	case LINK_RAW_ALT:
		ver = len ? buf[0] >> 4 : 0;
		break;
	case LINK_IPV4:
		ver = len && buf[0] >> 4 == 4 ? 4 : 0;
		break;
	case LINK_IPV6:
		ver = len && buf[0] >> 4 == 6 ? 6 : 0;
		break;
	default:
		return bad(p, PKT_NOT_IP, "unsupported link type");
	}
	if (!cur_ok(&c))
		return bad(p, PKT_TRUNCATED, "link header cut short");
	if (ver != 4 && ver != 6)
		return bad(p, PKT_NOT_IP, "not IPv4 or IPv6");
	if (cur_left(&c) == 0 || cur_here(&c)[0] >> 4 != ver)
		return bad(p, PKT_MALFORMED, "IP version differs from the "
		    "link header's");
	*off = len - cur_left(&c);
	return PKT_OK;
}

enum pkt_status
pkt_decode_frame(int link, const uint8_t *buf, size_t len, struct pkt *p)
{
	enum pkt_status st;
	size_t off = 0;

	memset(p, 0, sizeof(*p));
	if ((st = frame_ip(link, buf, len, p, &off)) != PKT_OK)
		return st;
	return pkt_decode_ip(buf + off, len - off, p);
}

size_t
pkt_frame_ip_offset(int link, const uint8_t *buf, size_t len)
{
	struct pkt p;
	size_t off = 0;

	memset(&p, 0, sizeof(p));
	return frame_ip(link, buf, len, &p, &off) == PKT_OK ? off : len;
}

bool
pkt_rebuild(int family, const uint8_t *hdr, size_t hdr_len,
    const uint8_t *payload, size_t len, struct wbuf *out)
{
	struct cursor c;
	size_t at = 6, off;
	uint8_t nh;

	if (family == AF_INET) {
		if (hdr_len < IPV4_HDR_LEN || hdr_len + len > IP_MAXPACKET_)
			return false;
		wb_bytes(out, hdr, hdr_len);
		wb_patch_be16(out, 2, (uint16_t)(hdr_len + len));
		wb_patch_be16(out, 6, 0);
		wb_patch_be16(out, 10, 0);
		wb_bytes(out, payload, len);
		if (!out->failed)
			wb_patch_be16(out, 10, inet_cksum(out->buf, hdr_len, 0));
		return !out->failed;
	}
	if (family != AF_INET6 || hdr_len < IPV6_HDR_LEN + IPV6_FRAG_LEN)
		return false;
	/* Drop the Fragment header from the chain: the next-header field
	 * that named it names what it carried (RFC 8200 4.5). */
	cur_init(&c, hdr + IPV6_HDR_LEN, hdr_len - IPV6_HDR_LEN);
	nh = hdr[6];
	for (int i = 0; nh != PROTO_FRAGMENT; i++) {
		uint8_t type = nh, l;

		if (i == IPV6_EXT_MAX || (type != PROTO_HOPOPT &&
		    type != PROTO_ROUTING && type != PROTO_DSTOPTS &&
		    type != PROTO_AH))
			return false;
		at = IPV6_HDR_LEN + c.off;	/* its next-header byte */
		nh = cur_u8(&c);
		l = cur_u8(&c);
		if (!cur_skip(&c, type == PROTO_AH ? ((size_t)l + 2) * 4 - 2 :
		    (size_t)l * 8 + 6))
			return false;
	}
	off = IPV6_HDR_LEN + c.off;	/* the Fragment header */
	if (off + IPV6_FRAG_LEN != hdr_len ||
	    hdr_len - IPV6_FRAG_LEN + len > IP_MAXPACKET_)
		return false;
	wb_bytes(out, hdr, off);
	wb_patch_u8(out, at, hdr[off]);
	wb_patch_be16(out, 4, (uint16_t)(off - IPV6_HDR_LEN + len));
	wb_bytes(out, payload, len);
	return !out->failed;
}
