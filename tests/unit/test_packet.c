/* IP, UDP and ICMP decoding from hex tables (as scamper's unit tests), our
 * own datagrams' checksums, and fragmentation with reassembly. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "ikeprobe/packet.h"
#include "ikeprobe/reasm.h"

static size_t
hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *s && n < max; s++) {
		int v = *s >= '0' && *s <= '9' ? *s - '0' :
		    *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;

		if (v < 0)
			continue;
		if (hi < 0)
			hi = v;
		else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

struct icmp_case {
	const char	*name;
	const char	*hex;		/* IPv4 packet */
	enum pkt_status	 status;
	int		 type, code, mtu;
	bool		 quote_valid, has_ports;
	int		 quote_id, sport, dport;
	size_t		 data_len;
};

/* ICMP errors from 192.0.2.1 to 192.0.2.10 quoting a probe to
 * 198.51.100.10 (IP ID 0x1234, UDP 500 -> 500). */
static const struct icmp_case icmp_cases[] = {
	{ "admin prohibited, RFC 792 quote",
	  "4500 0038 0000 0000 4001 0000 c000 0201 c000 020a"
	  "030d 0000 0000 0000"
	  "4500 01c8 1234 0000 4011 0000 c000 020a c633 640a"
	  "01f4 01f4 01b4 0000",
	  PKT_OK, 3, 13, 0, true, true, 0x1234, 500, 500, 0 },
	{ "fragmentation needed with MTU and the SPI quoted",
	  "4500 0040 0000 0000 4001 0000 c000 0201 c000 020a"
	  "0304 0000 0000 0578"
	  "4500 05dc 1234 4000 4011 0000 c000 020a c633 640a"
	  "01f4 01f4 05c8 0000 0102 0304 0506 0708",
	  PKT_OK, 3, 4, 1400, true, true, 0x1234, 500, 500, 8 },
	{ "quote of a non-first fragment has no ports",
	  "4500 0038 0000 0000 4001 0000 c000 0201 c000 020a"
	  "0b01 0000 0000 0000"
	  "4500 0100 1234 00b9 4011 0000 c000 020a c633 640a"
	  "0000 0000 0000 0000",
	  PKT_OK, 11, 1, 0, true, false, 0x1234, 0, 0, 0 },
	{ "quote cut inside the IP header",
	  "4500 0024 0000 0000 4001 0000 c000 0201 c000 020a"
	  "0303 0000 0000 0000 4500 01c8 1234 0000",
	  PKT_OK, 3, 3, 0, false, false, 0, 0, 0, 0 },
	{ "quoted header length lies",
	  "4500 0030 0000 0000 4001 0000 c000 0201 c000 020a"
	  "0303 0000 0000 0000"
	  "4f00 01c8 1234 0000 4011 0000 c000 020a c633 640a",
	  PKT_OK, 3, 3, 0, false, false, 0, 0, 0, 0 },
	{ "IP total length beyond the capture",
	  "4500 0100 0000 0000 4001 0000 c000 0201 c000 020a 0303 0000",
	  PKT_TRUNCATED, 0, 0, 0, false, false, 0, 0, 0, 0 },
	{ "IP header length below 20",
	  "4400 0014 0000 0000 4001 0000 c000 0201 c000 020a",
	  PKT_MALFORMED, 0, 0, 0, false, false, 0, 0, 0, 0 },
};

static void
test_icmp_table(void)
{
	uint8_t b[256];
	struct pkt p;

	for (size_t i = 0; i < sizeof(icmp_cases) / sizeof(icmp_cases[0]); i++) {
		const struct icmp_case *c = &icmp_cases[i];
		size_t n = hex(c->hex, b, sizeof(b));
		enum pkt_status st = pkt_decode_ip(b, n, &p);

		fprintf(stderr, "case: %s\n", c->name);
		CHECK_EQ(st, c->status);
		if (st != PKT_OK)
			continue;
		CHECK(p.is_icmp);
		CHECK_EQ(p.icmp_type, c->type);
		CHECK_EQ(p.icmp_code, c->code);
		if (c->type == 3 && c->code == 4) {
			CHECK_EQ(p.icmp_mtu, c->mtu);
			CHECK_EQ(p.icmp_meaning, ICMP_TOO_BIG);
		}
		CHECK_EQ(p.quote.valid, c->quote_valid);
		CHECK_EQ(p.quote.has_ports, c->has_ports);
		if (c->quote_valid)
			CHECK_EQ(p.quote.ip_id, c->quote_id);
		if (c->has_ports) {
			CHECK_EQ(p.quote.sport, c->sport);
			CHECK_EQ(p.quote.dport, c->dport);
			CHECK_EQ(p.quote.data_len, c->data_len);
		}
	}
	/* Every truncation decodes without reading past the end. */
	for (size_t i = 0; i < sizeof(icmp_cases) / sizeof(icmp_cases[0]); i++) {
		size_t n = hex(icmp_cases[i].hex, b, sizeof(b));

		for (size_t cut = 0; cut <= n; cut++) {
			uint8_t *copy = malloc(cut ? cut : 1);

			memcpy(copy, b, cut);
			pkt_decode_ip(copy, cut, &p);
			free(copy);
		}
	}
}

static void
test_build_and_fragment(void)
{
	uint8_t payload[3000];
	struct udp_spec s;
	struct wbuf w, frags[8], whole;
	struct reasm r;
	struct pkt p;
	int n, done = 0;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	memset(&s, 0, sizeof(s));
	ip_addr_parse("192.0.2.10", &s.src);
	ip_addr_parse("198.51.100.10", &s.dst);
	s.sport = s.dport = 4500;
	s.ip_id = 0xbeef;
	s.payload = payload;
	s.len = sizeof(payload);
	wb_init(&w);
	pkt_build_udp(&w, &s);
	CHECK_EQ(w.len, 20 + 8 + sizeof(payload));
	CHECK_EQ(inet_cksum(w.buf, 20, 0), 0);	/* header checksum verifies */
	CHECK(pkt_decode_ip(w.buf, w.len, &p) == PKT_OK && p.is_udp);
	CHECK_EQ(p.udp_len, sizeof(payload));
	CHECK(!p.df);

	memset(frags, 0, sizeof(frags));
	n = pkt_fragment(AF_INET, w.buf, w.len, 1000, s.ip_id, frags, 8);
	CHECK_EQ(n, 4);		/* 3008 bytes of IP payload in 1000s */
	for (int i = 0; i < n; i++) {
		CHECK(frags[i].len <= 1020);
		CHECK_EQ(inet_cksum(frags[i].buf, 20, 0), 0);
	}
	/* Reassemble out of order, with a duplicate. */
	reasm_init(&r);
	int order[] = { 3, 1, 1, 0, 2 };
	for (int k = 0; k < 5; k++) {
		CHECK(pkt_decode_ip(frags[order[k]].buf, frags[order[k]].len, &p) == PKT_OK);
		CHECK(pkt_is_fragment(&p));
		wb_init(&whole);
		if (reasm_add(&r, &p, 1.0, &whole) == 1) {
			done++;
			CHECK_EQ(whole.len, w.len);
			CHECK(memcmp(whole.buf + 20, w.buf + 20, w.len - 20) == 0);
		}
		wb_free(&whole);
	}
	CHECK_EQ(done, 1);
	reasm_free(&r);
	for (int i = 0; i < n; i++)
		wb_free(&frags[i]);
	CHECK_EQ(pkt_fragment(AF_INET, w.buf, w.len, 1000, s.ip_id, frags, 2), -1);
	for (int i = 0; i < 2; i++)
		wb_free(&frags[i]);
	wb_free(&w);
}

/* A sum of 16-bit words, done here apart from inet_cksum. */
static uint16_t
sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | (i + 1 < n ? p[i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* IPv6, byte for byte: the fixed header (version 6, no flow label,
 * payload length, next header UDP, hop limit 64), the UDP checksum over
 * RFC 8200's pseudo-header (mandatory in IPv6); then our own Fragment
 * headers (RFC 8200 4.5: next header 44, then UDP, the offset in 8-byte
 * units with M, the 32-bit ID), and reassembly back to the datagram. */
static void
test_ipv6_golden(void)
{
	static const uint8_t hdr[40] = {
		0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x11, 0x40,
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
	};
	uint8_t payload[2000], pseudo[40];
	struct udp_spec sp;
	struct wbuf w, frags[4], whole;
	struct reasm r;
	struct pkt p;
	uint16_t ck;
	int n, done = 0;

	memset(&sp, 0, sizeof(sp));
	ip_addr_parse("2001:db8:1::10", &sp.src);
	ip_addr_parse("2001:db8:2::10", &sp.dst);
	sp.sport = sp.dport = 500;
	sp.payload = (const uint8_t *)"IKEv";
	sp.len = 4;
	wb_init(&w);
	pkt_build_udp(&w, &sp);
	CHECK_EQ(w.len, 40 + 8 + 4);
	CHECK(memcmp(w.buf, hdr, 40) == 0);
	CHECK(memcmp(w.buf + 40, "\x01\xf4\x01\xf4\x00\x0c", 6) == 0);
	memset(pseudo, 0, sizeof(pseudo));
	memcpy(pseudo, hdr + 8, 32);
	pseudo[35] = 12;	/* upper-layer length */
	pseudo[39] = 17;	/* next header */
	ck = sum16(pseudo, 40, 0);
	ck = sum16(w.buf + 40, 12, (uint16_t)~ck);
	CHECK_EQ(ck, 0);	/* the checksum in it makes the sum verify */
	CHECK(pkt_decode_ip(w.buf, w.len, &p) == PKT_OK && p.is_udp && !p.has_id);
	wb_free(&w);

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 13);
	sp.payload = payload;
	sp.len = sizeof(payload);
	wb_init(&w);
	pkt_build_udp(&w, &sp);
	memset(frags, 0, sizeof(frags));
	n = pkt_fragment(AF_INET6, w.buf, w.len, pkt_frag_payload(AF_INET6, 1280),
	    0xc0ffee01, frags, 4);
	CHECK_EQ(n, 2);		/* 2008 bytes of UDP in 1232s */
	CHECK_EQ(frags[0].len, 40 + 8 + 1232);
	CHECK_EQ(frags[1].len, 40 + 8 + 2008 - 1232);
	for (int i = 0; i < n; i++) {
		const uint8_t *f = frags[i].buf;

		CHECK_EQ(f[6], 44);				/* Fragment next */
		CHECK_EQ(f[4] << 8 | f[5], frags[i].len - 40);
		CHECK_EQ(f[40], 17);				/* then UDP */
		CHECK_EQ(f[41], 0);
		CHECK_EQ((f[42] << 8 | f[43]) & ~7, i ? 1232 : 0);	/* offset */
		CHECK_EQ(f[43] & 1, i == 0);			/* M */
		CHECK(memcmp(f + 44, "\xc0\xff\xee\x01", 4) == 0);	/* ID */
	}
	reasm_init(&r);
	for (int k = 1; k >= 0; k--) {
		CHECK(pkt_decode_ip(frags[k].buf, frags[k].len, &p) == PKT_OK);
		CHECK(pkt_is_fragment(&p) && p.has_id && p.ip_id == 0xc0ffee01);
		wb_init(&whole);
		if (reasm_add(&r, &p, 1.0, &whole) == 1) {
			done++;
			CHECK_EQ(whole.len, w.len);
			CHECK(memcmp(whole.buf + 40, w.buf + 40, w.len - 40) == 0);
		}
		wb_free(&whole);
	}
	CHECK_EQ(done, 1);
	reasm_free(&r);
	for (int i = 0; i < n; i++)
		wb_free(&frags[i]);
	wb_free(&w);
}

/* The largest datagram IPv4 carries (65535 bytes: 65507 of UDP data, as a
 * hostile gateway may send) reassembles; a fragment reaching past 65535
 * is refused, never written past the slot. */
static void
test_reasm_limits(void)
{
	static uint8_t payload[65535 - 28];
	static struct wbuf frags[64];
	struct udp_spec s;
	struct wbuf w, whole;
	struct reasm r;
	struct pkt p;
	int n, done = 0;

	memset(payload, 0x5a, sizeof(payload));
	memset(&s, 0, sizeof(s));
	ip_addr_parse("198.51.100.10", &s.src);
	ip_addr_parse("192.0.2.10", &s.dst);
	s.sport = s.dport = 500;
	s.ip_id = 0x1234;
	s.payload = payload;
	s.len = sizeof(payload);
	wb_init(&w);
	pkt_build_udp(&w, &s);
	CHECK_EQ(w.len, 65535);
	memset(frags, 0, sizeof(frags));
	n = pkt_fragment(AF_INET, w.buf, w.len, 1480, s.ip_id, frags, 64);
	CHECK_EQ(n, 45);
	reasm_init(&r);
	for (int i = n - 1; i >= 0; i--) {
		CHECK(pkt_decode_ip(frags[i].buf, frags[i].len, &p) == PKT_OK);
		wb_init(&whole);
		if (reasm_add(&r, &p, 1.0, &whole) == 1) {
			done++;
			CHECK_EQ(whole.len, 65535);
			CHECK(pkt_decode_ip(whole.buf, whole.len, &p) == PKT_OK);
			CHECK(p.is_udp && p.udp_len == sizeof(payload));
		}
		wb_free(&whole);
	}
	CHECK_EQ(done, 1);

	/* The last fragment, moved 8 bytes on: it would end at 65543. */
	wb_patch_be16(&frags[n - 1], 6,
	    (uint16_t)(((frags[n - 1].buf[6] << 8 | frags[n - 1].buf[7]) & 0x1fff) + 1));
	CHECK(pkt_decode_ip(frags[n - 1].buf, frags[n - 1].len, &p) == PKT_OK);
	wb_init(&whole);
	CHECK_EQ(reasm_add(&r, &p, 2.0, &whole), -1);
	wb_free(&whole);
	reasm_free(&r);
	for (int i = 0; i < n; i++)
		wb_free(&frags[i]);
	wb_free(&w);
}

/* The meanings both families share: one per error, from one table. */
static void
test_meanings(void)
{
	static const struct {
		int family, type, code;
		enum icmp_meaning m;
	} cases[] = {
		{ AF_INET, 3, 3, ICMP_PORT_UNREACH },
		{ AF_INET6, 1, 4, ICMP_PORT_UNREACH },
		{ AF_INET, 3, 13, ICMP_ADMIN_PROHIBITED },
		{ AF_INET, 3, 9, ICMP_ADMIN_PROHIBITED },
		{ AF_INET6, 1, 1, ICMP_ADMIN_PROHIBITED },
		{ AF_INET6, 1, 5, ICMP_ADMIN_PROHIBITED },
		{ AF_INET, 3, 1, ICMP_UNREACH },
		{ AF_INET6, 1, 3, ICMP_UNREACH },
		{ AF_INET6, 1, 0, ICMP_UNREACH },
		{ AF_INET, 3, 4, ICMP_TOO_BIG },
		{ AF_INET6, 2, 0, ICMP_TOO_BIG },
		{ AF_INET, 11, 1, ICMP_REASM_TIMEOUT },
		{ AF_INET6, 3, 1, ICMP_REASM_TIMEOUT },
		{ AF_INET, 11, 0, ICMP_TTL_EXCEEDED },
		{ AF_INET6, 3, 0, ICMP_TTL_EXCEEDED },
		{ AF_INET6, 4, 1, ICMP_PARAM_PROBLEM },
		{ AF_INET, 12, 0, ICMP_PARAM_PROBLEM },
		{ AF_INET, 5, 1, ICMP_NOT_LOSS },
		{ AF_INET, 4, 0, ICMP_NOT_LOSS },
		{ AF_INET, 3, 99, ICMP_UNREACH },
		{ AF_INET, 40, 0, ICMP_OTHER },
		{ AF_INET6, 100, 0, ICMP_OTHER },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_EQ(icmp_classify(cases[i].family, (uint8_t)cases[i].type,
		    (uint8_t)cases[i].code), cases[i].m);
	/* Each family in its own words. */
	CHECK(strcmp(icmp_name(AF_INET, 3, 4), "fragmentation needed") == 0);
	CHECK(strcmp(icmp_name(AF_INET6, 2, 0), "packet too big") == 0);
}

/* A fragment older than the reassembly timeout never joins a new datagram
 * that reuses its ID: the gateway's next reply with that ID would
 * otherwise be glued to a stale piece. */
static void
test_reasm_expiry(void)
{
	uint8_t payload[2000];
	struct udp_spec s;
	struct wbuf a, b, fa[4], fb[4], whole;
	struct reasm r;
	struct pkt p;
	int na, nb;

	memset(&s, 0, sizeof(s));
	ip_addr_parse("198.51.100.10", &s.src);
	ip_addr_parse("192.0.2.10", &s.dst);
	s.sport = s.dport = 500;
	s.ip_id = 0x4242;
	s.payload = payload;
	s.len = sizeof(payload);
	memset(payload, 0xaa, sizeof(payload));
	wb_init(&a);
	pkt_build_udp(&a, &s);
	memset(payload, 0xbb, sizeof(payload));
	wb_init(&b);
	pkt_build_udp(&b, &s);
	memset(fa, 0, sizeof(fa));
	memset(fb, 0, sizeof(fb));
	na = pkt_fragment(AF_INET, a.buf, a.len, 1000, s.ip_id, fa, 4);
	nb = pkt_fragment(AF_INET, b.buf, b.len, 1000, s.ip_id, fb, 4);
	CHECK(na == 3 && nb == 3);
	reasm_init(&r);
	/* The old datagram's first fragment at t=1 s; the new one's second
	 * and third at t=20 s, its first at t=20.1 s. */
	wb_init(&whole);
	CHECK(pkt_decode_ip(fa[0].buf, fa[0].len, &p) == PKT_OK);
	CHECK_EQ(reasm_add(&r, &p, 1.0, &whole), 0);
	for (int i = 1; i < 3; i++) {
		CHECK(pkt_decode_ip(fb[i].buf, fb[i].len, &p) == PKT_OK);
		CHECK_EQ(reasm_add(&r, &p, 20.0, &whole), 0);
	}
	CHECK_EQ(r.expired, 1);
	CHECK(pkt_decode_ip(fb[0].buf, fb[0].len, &p) == PKT_OK);
	CHECK_EQ(reasm_add(&r, &p, 20.1, &whole), 1);
	/* Every byte is the new datagram's. */
	CHECK_EQ(whole.len, b.len);
	CHECK(whole.len == b.len && memcmp(whole.buf + 28, b.buf + 28,
	    b.len - 28) == 0);
	wb_free(&whole);
	/* Within the timeout they would have joined: the clock decides. */
	reasm_free(&r);
	reasm_init(&r);
	wb_init(&whole);
	CHECK(pkt_decode_ip(fa[0].buf, fa[0].len, &p) == PKT_OK);
	reasm_add(&r, &p, 1.0, &whole);
	for (int i = 1; i < 3; i++) {
		CHECK(pkt_decode_ip(fb[i].buf, fb[i].len, &p) == PKT_OK);
		reasm_add(&r, &p, 2.0, &whole);
	}
	CHECK_EQ(r.expired, 0);
	CHECK_EQ(whole.len, b.len);
	CHECK(whole.len == b.len && whole.buf[28] == 0xaa);
	wb_free(&whole);
	reasm_free(&r);
	for (int i = 0; i < 3; i++) {
		wb_free(&fa[i]);
		wb_free(&fb[i]);
	}
	wb_free(&a);
	wb_free(&b);
}

static void
test_frames(void)
{
	uint8_t b[128], f[160];
	struct pkt p;
	size_t n = hex(icmp_cases[0].hex, b, sizeof(b));

	/* Ethernet with a VLAN tag */
	memset(f, 0, sizeof(f));
	f[12] = 0x81; f[13] = 0x00; f[16] = 0x08; f[17] = 0x00;
	memcpy(f + 18, b, n);
	CHECK_EQ(pkt_decode_frame(LINK_EN10MB, f, 18 + n, &p), PKT_OK);
	CHECK(p.is_icmp);
	/* Linux cooked v1 and v2 */
	memset(f, 0, sizeof(f));
	f[14] = 0x08;
	memcpy(f + 16, b, n);
	CHECK_EQ(pkt_decode_frame(LINK_SLL, f, 16 + n, &p), PKT_OK);
	memset(f, 0, sizeof(f));
	f[0] = 0x08;
	memcpy(f + 20, b, n);
	CHECK_EQ(pkt_decode_frame(LINK_SLL2, f, 20 + n, &p), PKT_OK);
	CHECK_EQ(pkt_decode_frame(LINK_RAW, b, n, &p), PKT_OK);
	/* ARP over Ethernet is not ours */
	memset(f, 0, sizeof(f));
	f[12] = 0x08; f[13] = 0x06;
	CHECK_EQ(pkt_decode_frame(LINK_EN10MB, f, 60, &p), PKT_NOT_IP);
	CHECK_EQ(pkt_decode_frame(LINK_EN10MB, f, 10, &p), PKT_TRUNCATED);
	CHECK_EQ(pkt_decode_frame(9999, f, 60, &p), PKT_NOT_IP);
}

/* A later IPv6 fragment whose Fragment header names Destination Options
 * next: the bytes behind it are data of the fragmentable part, not a
 * header to walk (they would claim a length past the end here). */
static void
test_ipv6_later_fragment_dstopts(void)
{
	uint8_t b[40 + 8 + 16];
	struct pkt pk;

	memset(b, 0xff, sizeof(b));
	memset(b, 0, 48);
	b[0] = 0x60;
	b[5] = 8 + 16;			/* payload length */
	b[6] = 44;			/* Fragment */
	b[7] = 64;
	b[8] = 0x20; b[9] = 0x01; b[10] = 0x0d; b[11] = 0xb8; b[23] = 0x10;
	b[24] = 0x20; b[25] = 0x01; b[26] = 0x0d; b[27] = 0xb8; b[39] = 0x20;
	b[40] = 60;			/* Destination Options */
	b[42] = 0x05; b[43] = 0xa8;	/* offset 1448 (8-byte units 181), last */
	b[44] = 0x12; b[45] = 0x34; b[46] = 0x56; b[47] = 0x78;
	CHECK(pkt_decode_ip(b, sizeof(b), &pk) == PKT_OK);
	CHECK(pkt_is_fragment(&pk));
	CHECK_EQ(pk.frag_off, 1448);
	CHECK(!pk.mf);
	CHECK_EQ(pk.l4_len, 16);
}

int
main(void)
{
	test_icmp_table();
	test_build_and_fragment();
	test_ipv6_golden();
	test_ipv6_later_fragment_dstopts();
	test_reasm_limits();
	test_meanings();
	test_reasm_expiry();
	test_frames();
	return check_done();
}
