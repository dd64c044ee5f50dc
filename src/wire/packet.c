#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ikeprobe/packet.h"

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

static void
ip4_header(struct wbuf *w, const struct udp_spec *s, uint16_t total,
    uint16_t frag_field, size_t *cksum_at)
{
	wb_u8(w, 0x45);
	wb_u8(w, 0);
	wb_be16(w, total);
	wb_be16(w, s->ip_id);
	wb_be16(w, frag_field);
	wb_u8(w, s->ttl ? s->ttl : 64);
	wb_u8(w, 17);
	*cksum_at = w->len;
	wb_be16(w, 0);
	wb_bytes(w, s->src.a, 4);
	wb_bytes(w, s->dst.a, 4);
}

void
pkt_build_udp4(struct wbuf *w, const struct udp_spec *s)
{
	size_t start = w->len, ck, udp;
	size_t total = IPV4_HDR_LEN + UDP_HDR_LEN + s->len;
	uint8_t pseudo[12];
	uint32_t sum = 0;

	if (total > 65535) {
		w->failed = true;
		return;
	}
	ip4_header(w, s, (uint16_t)total, s->df ? 0x4000 : 0, &ck);
	udp = w->len;
	wb_be16(w, s->sport);
	wb_be16(w, s->dport);
	wb_be16(w, (uint16_t)(UDP_HDR_LEN + s->len));
	wb_be16(w, 0);
	wb_bytes(w, s->payload, s->len);
	if (w->failed)
		return;

	wb_patch_be16(w, ck, inet_cksum(w->buf + start, IPV4_HDR_LEN, 0));
	memcpy(pseudo, s->src.a, 4);
	memcpy(pseudo + 4, s->dst.a, 4);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = (uint8_t)((UDP_HDR_LEN + s->len) >> 8);
	pseudo[11] = (uint8_t)(UDP_HDR_LEN + s->len);
	for (size_t i = 0; i < sizeof(pseudo); i += 2)
		sum += (uint32_t)(pseudo[i] << 8 | pseudo[i + 1]);
	uint16_t uck = inet_cksum(w->buf + udp, UDP_HDR_LEN + s->len, sum);
	wb_patch_be16(w, udp + 6, uck ? uck : 0xffff);
}

int
pkt_fragment4(const uint8_t *dg, size_t len, size_t frag_payload,
    struct wbuf *out, int max)
{
	struct cursor c;
	size_t hlen, off = 0, chunk;
	int n = 0;

	cur_init(&c, dg, len);
	if (len < IPV4_HDR_LEN || (dg[0] & 0x0f) * 4u < IPV4_HDR_LEN)
		return -1;
	hlen = (dg[0] & 0x0fu) * 4u;
	if (hlen > len)
		return -1;
	frag_payload &= ~(size_t)7;
	if (frag_payload == 0)
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

static enum pkt_status
bad(struct pkt *p, enum pkt_status st, const char *why)
{
	snprintf(p->problem, sizeof(p->problem), "%s", why);
	return st;
}

/* The quoted header in an ICMP error: at least the IP header and, per
 * RFC 792, 8 bytes of what followed; RFC 1812 routers quote more. */
static void
decode_quote(struct cursor *c, struct pkt_quote *q)
{
	struct cursor ip;
	uint8_t vhl;
	size_t hl;
	uint16_t ff;

	memset(q, 0, sizeof(*q));
	if (cur_left(c) < IPV4_HDR_LEN)
		return;
	vhl = cur_here(c)[0];
	hl = (vhl & 0x0fu) * 4u;
	if (vhl >> 4 != 4 || hl < IPV4_HDR_LEN || !cur_sub(c, hl, &ip))
		return;
	cur_skip(&ip, 2);
	q->ip_len = cur_be16(&ip);
	q->ip_id = cur_be16(&ip);
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
	if (q->valid && q->proto == 17 && q->frag_off == 0 &&
	    cur_left(c) >= UDP_HDR_LEN) {
		q->sport = cur_be16(c);
		q->dport = cur_be16(c);
		cur_skip(c, 4);
		q->has_ports = true;
		q->data = cur_here(c);
		q->data_len = cur_left(c);
	}
}

static void
decode_l4(struct pkt *p)
{
	struct cursor c;
	uint16_t ulen;

	cur_init(&c, p->l4, p->l4_len);
	if (p->proto == 17) {
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
	} else if (p->proto == 1) {
		p->icmp_type = cur_u8(&c);
		p->icmp_code = cur_u8(&c);
		cur_skip(&c, 4);	/* checksum, unused */
		p->icmp_mtu = cur_be16(&c);
		if (!cur_ok(&c))
			return;
		p->is_icmp = true;
		/* Only errors quote a packet (types 3, 4, 5, 11, 12). */
		switch (p->icmp_type) {
		case 3: case 4: case 5: case 11: case 12:
			decode_quote(&c, &p->quote);
			break;
		default:
			break;
		}
	}
}

enum pkt_status
pkt_decode_ip(const uint8_t *buf, size_t len, struct pkt *p)
{
	struct cursor c;
	uint8_t vhl;
	size_t hl;
	uint16_t ff;

	memset(p, 0, sizeof(*p));
	cur_init(&c, buf, len);
	vhl = cur_u8(&c);
	if (!cur_ok(&c))
		return bad(p, PKT_TRUNCATED, "empty IP packet");
	if (vhl >> 4 != 4)
		return bad(p, PKT_NOT_IP, "not IPv4");
	hl = (vhl & 0x0fu) * 4u;
	if (hl < IPV4_HDR_LEN)
		return bad(p, PKT_MALFORMED, "IPv4 header length below 20");
	if (len < hl)
		return bad(p, PKT_TRUNCATED, "IPv4 header cut short");
	cur_skip(&c, 1);
	p->ip_len = cur_be16(&c);
	p->ip_id = cur_be16(&c);
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
	p->l4 = buf + hl;
	p->l4_len = p->ip_len - hl;
	if (!pkt_is_fragment(p))
		decode_l4(p);
	return PKT_OK;
}

enum pkt_status
pkt_decode_frame(int link, const uint8_t *buf, size_t len, struct pkt *p)
{
	struct cursor c;
	uint16_t et = 0;

	memset(p, 0, sizeof(*p));
	cur_init(&c, buf, len);
	switch (link) {
	case LINK_EN10MB:
		cur_skip(&c, 12);
		et = cur_be16(&c);
		while (cur_ok(&c) && (et == 0x8100 || et == 0x88a8)) {
			cur_skip(&c, 2);
			et = cur_be16(&c);
		}
		break;
	case LINK_SLL:
		cur_skip(&c, 14);
		et = cur_be16(&c);
		break;
	case LINK_SLL2:
		et = cur_be16(&c);
		cur_skip(&c, 18);
		break;
	case LINK_NULL: {
		const uint8_t *f = cur_take(&c, 4);

		/* host byte order AF_INET (2) in either endianness */
		et = f && (f[0] == 2 || f[3] == 2) ? 0x0800 : 0;
		break;
	}
	case LINK_RAW:
	case LINK_RAW_ALT:
	case LINK_IPV4:
		et = len && buf[0] >> 4 == 4 ? 0x0800 : 0;
		break;
	default:
		return bad(p, PKT_NOT_IP, "unsupported link type");
	}
	if (!cur_ok(&c))
		return bad(p, PKT_TRUNCATED, "link header cut short");
	if (et != 0x0800)
		return bad(p, PKT_NOT_IP, "not IPv4");
	return pkt_decode_ip(cur_here(&c), cur_left(&c), p);
}

struct icmp_code_name {
	int		 type, code;
	const char	*name;
};

static const struct icmp_code_name icmp_names[] = {
	{ 3, 0, "network unreachable" },
	{ 3, 1, "host unreachable" },
	{ 3, 2, "protocol unreachable" },
	{ 3, 3, "port unreachable" },
	{ 3, 4, "fragmentation needed" },
	{ 3, 5, "source route failed" },
	{ 3, 6, "destination network unknown" },
	{ 3, 7, "destination host unknown" },
	{ 3, 9, "network administratively prohibited" },
	{ 3, 10, "host administratively prohibited" },
	{ 3, 11, "network unreachable for TOS" },
	{ 3, 12, "host unreachable for TOS" },
	{ 3, 13, "communication administratively prohibited" },
	{ 3, 14, "host precedence violation" },
	{ 3, 15, "precedence cutoff in effect" },
	{ 11, 0, "TTL exceeded in transit" },
	{ 11, 1, "fragment reassembly time exceeded" },
	{ 12, 0, "parameter problem" },
	{ 4, 0, "source quench" },
	{ 5, 0, "redirect" },
};

const char *
icmp_name(int type, int code)
{
	for (size_t i = 0; i < sizeof(icmp_names) / sizeof(icmp_names[0]); i++)
		if (icmp_names[i].type == type && icmp_names[i].code == code)
			return icmp_names[i].name;
	return "unknown ICMP error";
}
