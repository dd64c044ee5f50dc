/* Matching, without root: real requests built as a run builds them, and
 * the packets a gateway, a router or a forger could send back, each
 * decoded and matched at a given capture time. What is an answer, to
 * which probe; which ICMP error is believed; what is only counted. Then
 * observe(): what a probe becomes, in which order evidence may arrive. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "ikeprobe/match.h"

#define T0	1000000000000LL		/* capture clock, us */

static struct ip_addr local, target, other, router;
static struct ip_addr local6, target6;
static struct kex_value kv;
static struct probe probes[8];
static struct port_pair ports[2] = { { 500, 500, 0 }, { 4500, 4500, 0 } };
static struct match_ctx ctx;

static void
build(struct probe *p, int id, uint16_t port, bool stateless, size_t size,
    size_t frag_size, const struct probe *reuse, usec_t sent,
    const struct ip_addr *src, const struct ip_addr *dst)
{
	struct sa_init_params sp;
	struct probe_spec spec;
	char err[128];

	memset(&spec, 0, sizeof(spec));
	spec.kind = stateless ? PROBE_STATELESS : PROBE_SA;
	spec.dport = spec.sport = port;
	spec.parent = -1;
	spec.max_attempts = 5;
	probe_init(p, id, &spec);
	memset(&sp, 0, sizeof(sp));
	sp.src = src;
	sp.dst = dst;
	sp.sport = sp.dport = port;
	sp.kex = &kv;
	sp.stateless = stateless;
	sp.size = size;
	sp.frag_size = frag_size;
	if (reuse) {
		sp.spi_i = reuse->ex.spi_i;
		sp.nonce = reuse->ex.nonce;
		sp.nonce_len = reuse->ex.nonce_len;
		sp.cookie = (const uint8_t *)"cookie-cookie";
		sp.cookie_len = 13;
	}
	CHECK(exchange_sa_init(&p->ex, &sp, err, sizeof(err)) == 0);
	p->size = p->ex.unit.size;
	p->fragments = p->ex.unit.n;
	p->attempts = p->sent_ok = 1;
	p->sent[0] = sent;
}

/* An IKE_SA_INIT response with INVALID_KE_PAYLOAD from the IKE header on;
 * after a non-ESP marker when mk. */
static size_t
ike_reply(uint8_t *b, const uint8_t *spi, bool mk)
{
	size_t o = mk ? 4 : 0;

	memset(b, 0, 48);
	memcpy(b + o, spi, 8);
	memset(b + o + 8, 0x77, 8);
	b[o + 16] = IKE_PL_NOTIFY;
	b[o + 17] = IKE_VERSION_2;
	b[o + 18] = IKE_EXCH_IKE_SA_INIT;
	b[o + 19] = IKE_FLAG_RESPONSE;
	b[o + 27] = 38;
	b[o + 30] = 0; b[o + 31] = 10;	/* notify: length 10 */
	b[o + 34] = 0; b[o + 35] = IKE_N_INVALID_KE_PAYLOAD;
	b[o + 36] = 0; b[o + 37] = 19;
	return o + 38;
}

/* A COOKIE answer (the responder's SPI zero, RFC 7296 2.6). */
static size_t
cookie_reply(uint8_t *b, const uint8_t *spi, const char *cookie)
{
	size_t n = strlen(cookie);

	memset(b, 0, 64);
	memcpy(b, spi, 8);
	b[16] = IKE_PL_NOTIFY;
	b[17] = IKE_VERSION_2;
	b[18] = IKE_EXCH_IKE_SA_INIT;
	b[19] = IKE_FLAG_RESPONSE;
	b[27] = (uint8_t)(36 + n);
	b[30] = 0; b[31] = (uint8_t)(8 + n);
	b[34] = IKE_N_COOKIE >> 8; b[35] = IKE_N_COOKIE & 0xff;
	memcpy(b + 36, cookie, n);
	return 36 + n;
}

/* A UDP datagram, decoded; buf keeps the bytes the packet points into. */
static void
udp(struct wbuf *w, struct pkt *pk, const struct ip_addr *src, uint16_t sport,
    const struct ip_addr *dst, uint16_t dport, const uint8_t *data, size_t len)
{
	struct udp_spec u = { .src = *src, .dst = *dst, .sport = sport,
	    .dport = dport, .ip_id = 0x4444, .payload = data, .len = len };

	wb_init(w);
	pkt_build_udp(w, &u);
	CHECK(pkt_decode_ip(w->buf, w->len, pk) == PKT_OK);
}

/* An ICMP (IPv4) error from src quoting the first qlen bytes of quoted. */
static void
icmp4(struct wbuf *w, struct pkt *pk, const struct ip_addr *src, uint8_t type,
    uint8_t code, uint16_t mtu, const uint8_t *quoted, size_t qlen)
{
	wb_init(w);
	wb_u8(w, 0x45); wb_u8(w, 0); wb_be16(w, (uint16_t)(20 + 8 + qlen));
	wb_be16(w, 1); wb_be16(w, 0); wb_u8(w, 64); wb_u8(w, 1); wb_be16(w, 0);
	wb_bytes(w, src->a, 4);
	wb_bytes(w, local.a, 4);
	wb_u8(w, type); wb_u8(w, code); wb_be16(w, 0);
	wb_be16(w, 0); wb_be16(w, mtu);
	wb_bytes(w, quoted, qlen);
	CHECK(pkt_decode_ip(w->buf, w->len, pk) == PKT_OK);
}

static struct observation
match_at(const struct pkt *pk, usec_t ts)
{
	struct observation o;

	ike_match(&ctx, pk, ts, &o);
	return o;
}

static void
setup(void)
{
	CHECK(crypto_init() == 0);
	CHECK(kex_generate(IKE_DH_CURVE25519, &kv) == 0);
	ip_addr_parse("192.0.2.10", &local);
	ip_addr_parse("198.51.100.10", &target);
	ip_addr_parse("198.51.100.11", &other);
	ip_addr_parse("192.0.2.1", &router);
	ip_addr_parse("2001:db8:1::10", &local6);
	ip_addr_parse("2001:db8:2::10", &target6);
	/* #0 full SA on 500; #1 stateless on 4500; #2 2500 bytes in
	 * fragments on 500; #3 the COOKIE echo of #0, sent later. */
	build(&probes[0], 0, 500, false, 0, 0, NULL, T0, &local, &target);
	build(&probes[1], 1, 4500, true, 0, 0, NULL, T0 + 10, &local, &target);
	build(&probes[2], 2, 500, true, 2500, 1280, NULL, T0 + 20, &local, &target);
	build(&probes[3], 3, 500, false, 0, 0, &probes[0], T0 + 5000, &local, &target);
	probes[3].parent = 0;
	CHECK_EQ(probes[2].fragments, 2);
	CHECK(memcmp(probes[3].ex.spi_i, probes[0].ex.spi_i, 8) == 0);
	CHECK(probes[3].ex.unit.ip_id != probes[0].ex.unit.ip_id);
	ctx = (struct match_ctx){ &local, &target,
	    { probes, 4, ports, 2, AF_INET, 1500, &local, &target } };
}

static void
own_datagrams(void)
{
	struct observation o;
	struct pkt pk;
	const struct xmit_unit *u;

	/* Whole: by ID, ports and SPI. The COOKIE echo shares #0's SPI and
	 * ports; the ID tells them apart, even once both were sent. */
	for (int i = 0; i < 4; i++) {
		u = &probes[i].ex.unit;
		CHECK(pkt_decode_ip(u->dgram[0].buf, u->dgram[0].len, &pk) == PKT_OK);
		o = match_at(&pk, T0 + 6000);
		CHECK_EQ(o.kind, OBS_SENT);
		CHECK_EQ(o.probe, i);
	}
	/* Before the echo was sent, #0's datagram is #0's, whatever IDs
	 * say (over IPv6 there are none): a probe owns only what left
	 * after it was first sent. */
	u = &probes[0].ex.unit;
	CHECK(pkt_decode_ip(u->dgram[0].buf, u->dgram[0].len, &pk) == PKT_OK);
	CHECK_EQ(match_at(&pk, T0 + 30).probe, 0);
	u = &probes[3].ex.unit;
	CHECK(pkt_decode_ip(u->dgram[0].buf, u->dgram[0].len, &pk) == PKT_OK);
	CHECK_EQ(match_at(&pk, T0 + 30).probe, -1);
	/* A later fragment shows no ports: counted, not placed. */
	u = &probes[2].ex.unit;
	CHECK(pkt_decode_ip(u->dgram[1].buf, u->dgram[1].len, &pk) == PKT_OK);
	o = match_at(&pk, T0 + 30);
	CHECK_EQ(o.kind, OBS_SENT);
	CHECK_EQ(o.probe, -1);
}

static void
answers(void)
{
	struct observation o;
	struct wbuf w;
	struct pkt pk;
	uint8_t b[64], unknown[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
	size_t n;

	/* To #0, before #3 went out: #0's. */
	n = ike_reply(b, probes[0].ex.spi_i, false);
	udp(&w, &pk, &target, 500, &local, 500, b, n);
	o = match_at(&pk, T0 + 1000);
	CHECK_EQ(o.kind, OBS_ANSWER);
	CHECK_EQ(o.probe, 0);
	CHECK(o.ike == pk.udp_data && o.ike_len == n);
	/* After #3 went out: the pending one of the two, #3. */
	o = match_at(&pk, T0 + 6000);
	CHECK_EQ(o.probe, 3);
	/* A copy of the COOKIE #3 echoes crossed #3: #0's, not #3's (whose
	 * full answer is still to come); a new COOKIE is #3's. */
	wb_free(&w);
	n = cookie_reply(b, probes[0].ex.spi_i, "cookie-cookie");
	udp(&w, &pk, &target, 500, &local, 500, b, n);
	o = match_at(&pk, T0 + 6000);
	CHECK_EQ(o.kind, OBS_ANSWER);
	CHECK_EQ(o.probe, 0);
	wb_free(&w);
	n = cookie_reply(b, probes[0].ex.spi_i, "cookie-second");
	udp(&w, &pk, &target, 500, &local, 500, b, n);
	o = match_at(&pk, T0 + 6000);
	CHECK_EQ(o.probe, 3);
	wb_free(&w);
	n = ike_reply(b, probes[0].ex.spi_i, false);
	udp(&w, &pk, &target, 500, &local, 500, b, n);
	/* Before anything was sent it answers nothing: it is IKE to our
	 * port with an SPI no probe had yet. */
	o = match_at(&pk, T0 - 1);
	CHECK_EQ(o.kind, OBS_UNMATCHED_IKE);
	CHECK_EQ(o.probe, -1);
	/* From the other IKE port: the gateway answered, as no client takes. */
	wb_free(&w);
	udp(&w, &pk, &target, 4500, &local, 500, b, n);
	o = match_at(&pk, T0 + 1000);
	CHECK_EQ(o.kind, OBS_STRAY);
	CHECK_EQ(o.why, STRAY_PORT);
	CHECK_EQ(o.probe, 0);
	/* From another address of the gateway. */
	wb_free(&w);
	udp(&w, &pk, &other, 500, &local, 500, b, n);
	o = match_at(&pk, T0 + 1000);
	CHECK_EQ(o.kind, OBS_STRAY);
	CHECK_EQ(o.why, STRAY_ADDRESS);
	CHECK(ip_addr_eq(&o.from, &other));
	/* An SPI we never sent; and IKE to a port we do not hold. */
	wb_free(&w);
	n = ike_reply(b, unknown, false);
	udp(&w, &pk, &target, 500, &local, 500, b, n);
	CHECK_EQ(match_at(&pk, T0 + 1000).kind, OBS_UNMATCHED_IKE);
	wb_free(&w);
	n = ike_reply(b, probes[0].ex.spi_i, false);
	udp(&w, &pk, &target, 500, &local, 9999, b, n);
	CHECK_EQ(match_at(&pk, T0 + 1000).kind, OBS_OTHER);
	wb_free(&w);
	/* On the NAT-T port: after the marker; without it, read as ESP by
	 * a client. */
	n = ike_reply(b, probes[1].ex.spi_i, true);
	udp(&w, &pk, &target, 4500, &local, 4500, b, n);
	o = match_at(&pk, T0 + 1000);
	CHECK_EQ(o.kind, OBS_ANSWER);
	CHECK_EQ(o.probe, 1);
	CHECK(o.ike == pk.udp_data + 4);
	wb_free(&w);
	n = ike_reply(b, probes[1].ex.spi_i, false);
	udp(&w, &pk, &target, 4500, &local, 4500, b, n);
	o = match_at(&pk, T0 + 1000);
	CHECK_EQ(o.kind, OBS_STRAY);
	CHECK_EQ(o.why, STRAY_MARKER);
	wb_free(&w);
}

static void
icmp_errors(void)
{
	const struct wbuf *d0 = &probes[0].ex.unit.dgram[0];
	const struct wbuf *f0 = &probes[2].ex.unit.dgram[0];
	const struct wbuf *f1 = &probes[2].ex.unit.dgram[1];
	struct observation o;
	struct wbuf w;
	struct pkt pk;
	uint8_t q[128];

	/* RFC 792: the header and 8 bytes: enough for the ports. */
	icmp4(&w, &pk, &target, 3, 3, 0, d0->buf, 28);
	o = match_at(&pk, T0 + 1000);
	CHECK_EQ(o.kind, OBS_ICMP);
	CHECK_EQ(o.probe, 0);
	CHECK_EQ(o.icmp.meaning, ICMP_PORT_UNREACH);
	CHECK(ip_addr_eq(&o.icmp.from, &target));
	wb_free(&w);
	/* A router's, quoting more (RFC 1812): the SPI must be ours too. */
	icmp4(&w, &pk, &router, 3, 13, 0, d0->buf, 48);
	o = match_at(&pk, T0 + 1000);
	CHECK_EQ(o.kind, OBS_ICMP);
	CHECK_EQ(o.icmp.meaning, ICMP_ADMIN_PROHIBITED);
	wb_free(&w);
	memcpy(q, d0->buf, 48);
	q[28 + 3] ^= 1;		/* a byte of the SPI */
	icmp4(&w, &pk, &router, 3, 13, 0, q, 48);
	CHECK_EQ(match_at(&pk, T0 + 1000).kind, OBS_UNMATCHED_ICMP);
	wb_free(&w);
	memcpy(q, d0->buf, 28);
	q[5] ^= 1;		/* the IP ID */
	icmp4(&w, &pk, &target, 3, 3, 0, q, 28);
	CHECK_EQ(match_at(&pk, T0 + 1000).kind, OBS_UNMATCHED_ICMP);
	wb_free(&w);
	/* Only the IP header: a forger could have guessed the ID. */
	icmp4(&w, &pk, &target, 3, 3, 0, d0->buf, 20);
	CHECK_EQ(match_at(&pk, T0 + 1000).kind, OBS_UNMATCHED_ICMP);
	wb_free(&w);
	/* About a datagram sent later than the error: not ours. */
	icmp4(&w, &pk, &target, 3, 3, 0, d0->buf, 28);
	CHECK_EQ(match_at(&pk, T0 - 5).kind, OBS_UNMATCHED_ICMP);
	wb_free(&w);
	/* The gateway's reassembly timer, quoting the first fragment. */
	icmp4(&w, &pk, &target, 11, 1, 0, f0->buf, 28);
	o = match_at(&pk, T0 + 30000000);
	CHECK_EQ(o.kind, OBS_ICMP);
	CHECK_EQ(o.probe, 2);
	CHECK_EQ(o.icmp.meaning, ICMP_REASM_TIMEOUT);
	wb_free(&w);
	/* A later fragment: its offset must be one we sent. */
	icmp4(&w, &pk, &router, 3, 13, 0, f1->buf, 28);
	o = match_at(&pk, T0 + 1000);
	CHECK_EQ(o.kind, OBS_ICMP);
	CHECK_EQ(o.probe, 2);
	wb_free(&w);
	memcpy(q, f1->buf, 28);
	q[7] = (uint8_t)(q[7] + 1);	/* 8 bytes further on */
	icmp4(&w, &pk, &router, 3, 13, 0, q, 28);
	CHECK_EQ(match_at(&pk, T0 + 1000).kind, OBS_UNMATCHED_ICMP);
	wb_free(&w);
	/* A redirect is about the probe, not about its loss. */
	icmp4(&w, &pk, &router, 5, 1, 0, d0->buf, 28);
	o = match_at(&pk, T0 + 1000);
	CHECK_EQ(o.kind, OBS_ICMP_IGNORED);
	CHECK_EQ(o.probe, 0);
	wb_free(&w);
}

/* IPv6: the same meanings from ICMPv6, a 32-bit MTU, quotes matched by
 * ports and SPI (a whole IPv6 datagram has no ID). */
static void
icmpv6(void)
{
	struct probe p6[1];
	struct match_ctx c6;
	const struct wbuf *d;
	struct observation o;
	struct wbuf w;
	struct pkt pk;

	build(&p6[0], 0, 500, true, 1400, 0, NULL, T0, &local6, &target6);
	c6 = (struct match_ctx){ &local6, &target6,
	    { p6, 1, ports, 2, AF_INET6, 1500, NULL, NULL } };
	d = &p6[0].ex.unit.dgram[0];
	CHECK_EQ(d->len, 1400);
	for (int k = 0; k < 2; k++) {
		wb_init(&w);
		wb_be32(&w, 0x60000000);
		wb_be16(&w, (uint16_t)(8 + 40 + 8 + 16));
		wb_u8(&w, 58);
		wb_u8(&w, 64);
		wb_bytes(&w, target6.a, 16);
		wb_bytes(&w, local6.a, 16);
		wb_u8(&w, k ? 2 : 1);	/* packet too big / unreachable */
		wb_u8(&w, k ? 0 : 4);	/* port unreachable */
		wb_be16(&w, 0);
		wb_be32(&w, k ? 1280 : 0);
		wb_bytes(&w, d->buf, 40 + 8 + 16);
		CHECK(pkt_decode_ip(w.buf, w.len, &pk) == PKT_OK);
		CHECK_EQ(pk.family, AF_INET6);
		ike_match(&c6, &pk, T0 + 100, &o);
		CHECK_EQ(o.kind, OBS_ICMP);
		CHECK_EQ(o.probe, 0);
		CHECK_EQ(o.icmp.family, AF_INET6);
		CHECK_EQ(o.icmp.meaning, k ? ICMP_TOO_BIG : ICMP_PORT_UNREACH);
		CHECK_EQ(o.icmp.mtu, k ? 1280 : 0);
		wb_free(&w);
	}
	probe_free(&p6[0]);
}

/* IPv6, a COOKIE echo and its parent: the same SPI and ports, and no ID
 * in a whole datagram. The parent's datagram is the parent's until the
 * echo was sent; after, the newer one's (the echo's retransmissions). */
static void
cookie_echo_v6(void)
{
	struct probe p6[2];
	struct match_ctx c6;
	struct observation o;
	struct pkt pk;

	build(&p6[0], 0, 500, false, 0, 0, NULL, T0, &local6, &target6);
	build(&p6[1], 1, 500, false, 0, 0, &p6[0], T0 + 5000, &local6, &target6);
	p6[1].parent = 0;
	c6 = (struct match_ctx){ &local6, &target6,
	    { p6, 2, ports, 2, AF_INET6, 1500, NULL, NULL } };
	CHECK(pkt_decode_ip(p6[0].ex.unit.dgram[0].buf, p6[0].ex.unit.dgram[0].len,
	    &pk) == PKT_OK);
	CHECK(!pk.has_id);
	ike_match(&c6, &pk, T0 + 1, &o);
	CHECK_EQ(o.kind, OBS_SENT);
	CHECK_EQ(o.probe, 0);
	CHECK(pkt_decode_ip(p6[1].ex.unit.dgram[0].buf, p6[1].ex.unit.dgram[0].len,
	    &pk) == PKT_OK);
	ike_match(&c6, &pk, T0 + 5001, &o);
	CHECK_EQ(o.probe, 1);
	probe_free(&p6[0]);
	probe_free(&p6[1]);
}

/* What a probe becomes, whatever order the evidence comes in. */
static void
observing(void)
{
	struct probe p[2];
	struct run_stats st;
	struct observation o;
	uint8_t b[64];

	memset(&st, 0, sizeof(st));
	memcpy(p, probes, sizeof(p[0]) * 2);
	for (int i = 0; i < 2; i++) {
		memset(&p[i].ex.request, 0, sizeof(struct wbuf));
		memset(&p[i].ex.response, 0, sizeof(struct wbuf));
		memset(&p[i].ex.unit.dgram, 0, sizeof(p[i].ex.unit.dgram));
	}
	/* Seen leaving, then answered: the round trip from the wire. */
	o = (struct observation){ .kind = OBS_SENT, .probe = 0, .ts = T0 + 50 };
	CHECK_EQ(observe(p, 2, &st, &o), OBSERVED_PROBE);
	CHECK_EQ(p[0].first_wire, T0 + 50);
	CHECK_EQ(p[0].sent[0], T0 + 50);
	o = (struct observation){ .kind = OBS_ANSWER, .probe = 0, .ts = T0 + 1550,
	    .ike = b, .ike_len = ike_reply(b, p[0].ex.spi_i, false) };
	CHECK_EQ(observe(p, 2, &st, &o), OBSERVED_ENDED);
	CHECK_EQ(p[0].result, PROBE_ANSWERED);
	CHECK_EQ(p[0].reply.kind, IKE_REPLY_INVALID_KE);
	CHECK_EQ(p[0].ended, T0 + 1550);
	CHECK(p[0].rtt_ms > 1.499 && p[0].rtt_ms < 1.501);
	CHECK_EQ(p[0].ex.response.len, o.ike_len);
	CHECK(memcmp(p[0].ex.spi_r, b + 8, 8) == 0);
	/* The same again: a duplicate, counted, nothing changes. */
	o.ts = T0 + 1600;
	CHECK_EQ(observe(p, 2, &st, &o), OBSERVED_COUNTED);
	CHECK_EQ(st.duplicates, 1);
	CHECK_EQ(p[0].ended, T0 + 1550);
	/* An ICMP error after the answer changes nothing either. */
	o = (struct observation){ .kind = OBS_ICMP, .probe = 0, .ts = T0 + 2000,
	    .icmp = { true, ICMP_PORT_UNREACH, AF_INET, 3, 3, 0, target } };
	CHECK_EQ(observe(p, 2, &st, &o), OBSERVED_COUNTED);
	CHECK_EQ(p[0].result, PROBE_ANSWERED);
	/* Given up, then an ICMP error long after: the error stands. */
	observe_give_up(&p[1], T0 + 3000000);
	CHECK_EQ(p[1].result, PROBE_LOST);
	o = (struct observation){ .kind = OBS_ICMP, .probe = 1, .ts = T0 + 30000000,
	    .icmp = { true, ICMP_REASM_TIMEOUT, AF_INET, 11, 1, 0, target } };
	CHECK_EQ(observe(p, 2, &st, &o), OBSERVED_ENDED);
	CHECK_EQ(p[1].result, PROBE_ICMP);
	CHECK_EQ(p[1].ended, T0 + 30000000);
	/* EMSGSIZE ends a probe at once; another error does not. */
	p[1].result = PROBE_PENDING;
	CHECK(!observe_send_error(&p[1], ENOBUFS, T0));
	CHECK_EQ(p[1].result, PROBE_PENDING);
	CHECK(observe_send_error(&p[1], EMSGSIZE, T0));
	CHECK_EQ(p[1].result, PROBE_SEND_FAILED);
	/* Answered with no transmission seen (the capture missed it), then
	 * a retransmission seen leaving after the answer: it is counted,
	 * but the probe still went out when it was sent, before its answer
	 * (fuzz_match found the answer dated before the send). */
	p[1].result = PROBE_ANSWERED;
	p[1].ended = T0 + 100;
	o = (struct observation){ .kind = OBS_SENT, .probe = 1, .ts = T0 + 200 };
	CHECK_EQ(observe(p, 2, &st, &o), OBSERVED_PROBE);
	CHECK_EQ(p[1].wire_seen, 1);
	CHECK_EQ(p[1].first_wire, USEC_NONE);
	CHECK(probe_sent_at(&p[1]) <= p[1].ended);
	/* Counters add up: every kind goes to one. */
	CHECK_EQ(st.replies, 2);
	CHECK_EQ(st.own, 2);
	CHECK_EQ(st.icmp_matched, 2);
	wb_free(&p[0].ex.response);
}

int
main(void)
{
	setup();
	own_datagrams();
	answers();
	icmp_errors();
	icmpv6();
	cookie_echo_v6();
	observing();
	for (int i = 0; i < 4; i++)
		probe_free(&probes[i]);
	kex_free(&kv);
	return check_done();
}
