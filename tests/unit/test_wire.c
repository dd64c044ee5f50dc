/* The IKE_SA_INIT builder against golden bytes and RFC 7296's rules, and the
 * parser against hand-made replies that lie about their lengths. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ikeprobe/audit.h"
#include "ikeprobe/ike.h"
#include "ikeprobe/ike_msg.h"
#include "ikeprobe/probe.h"

static uint8_t nonce[IKE_NONCE_MAX];
static uint8_t ke[32];
static uint8_t natd_src[IKE_NATD_LEN], natd_dst[IKE_NATD_LEN];

static void
fixed_request(struct ike_sa_init_req *r, bool stateless, size_t pad)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 8; i++)
		r->spi_i[i] = (uint8_t)(i + 1);
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)i;
	memset(ke, 0xaa, sizeof(ke));
	r->nonce = nonce;
	r->nonce_len = 32;
	r->ke_group = IKE_DH_CURVE25519;
	r->ke = ke;
	r->ke_len = sizeof(ke);
	r->omit = stateless;
	r->omit_group = IKE_DH_CURVE25519;
	r->pad_len = pad;
	memset(natd_src, 0x5a, sizeof(natd_src));
	memset(natd_dst, 0xa5, sizeof(natd_dst));
	r->natd_src = natd_src;
	r->natd_dst = natd_dst;
}

static int
unhex(const char *path, uint8_t *out, size_t max)
{
	FILE *f = fopen(path, "r");
	int ch, hi = -1;
	size_t n = 0;

	if (f == NULL)
		return -1;
	while ((ch = fgetc(f)) != EOF) {
		int v = ch >= '0' && ch <= '9' ? ch - '0' :
		    ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;

		if (v < 0)
			continue;
		if (hi < 0)
			hi = v;
		else if (n < max) {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	fclose(f);
	return (int)n;
}

/* Byte-for-byte against a reviewed golden file: any change to what goes on
 * the wire must be deliberate (regenerate with IKEPROBE_WRITE_GOLDEN=1). */
static void
test_golden(void)
{
	struct ike_sa_init_req r;
	struct wbuf w;
	uint8_t golden[2048];
	int n;

	fixed_request(&r, false, 0);
	wb_init(&w);
	ike_build_sa_init(&w, &r);
	CHECK(!w.failed);
	if (getenv("IKEPROBE_WRITE_GOLDEN")) {
		FILE *f = fopen("golden/sa_init_x25519.hex", "w");

		for (size_t i = 0; f && i < w.len; i++)
			fprintf(f, "%02x%s", w.buf[i], i % 16 == 15 ? "\n" : "");
		if (f)
			fclose(f);
	}
	n = unhex("golden/sa_init_x25519.hex", golden, sizeof(golden));
	CHECK_EQ(n, (long long)w.len);
	CHECK(n > 0 && memcmp(golden, w.buf, w.len) == 0);
	wb_free(&w);
}

struct walked {
	int		 n_payloads;
	uint8_t		 order[32];
	int		 n_proposals;
	bool		 props_ok;
	bool		 group_offered;
	bool		 aead_has_integ;
	bool		 cbc_has_integ;
	size_t		 pad_len;
	size_t		 nonce_len;
	int		 n_natd_src, n_natd_dst;
	bool		 natd_len_ok;
	uint16_t	 notify[32];	/* notify type by payload position; 0 */
};

/* An independent walk over a request, checking RFC 7296 3.3 structure. */
static bool
walk_request(const uint8_t *b, size_t len, uint16_t ke_group, struct walked *wk)
{
	struct cursor c, pl, prop;
	uint8_t np;

	memset(wk, 0, sizeof(*wk));
	wk->props_ok = true;
	wk->natd_len_ok = true;
	cur_init(&c, b, len);
	cur_skip(&c, 16);
	np = cur_u8(&c);
	if (cur_u8(&c) != 0x20 || cur_u8(&c) != 34 || cur_u8(&c) != 0x08 ||
	    cur_be32(&c) != 0 || cur_be32(&c) != len)
		return false;
	while (np) {
		uint8_t type = np;
		uint16_t plen;

		if (wk->n_payloads < 32)
			wk->order[wk->n_payloads] = type;
		wk->n_payloads++;
		np = cur_u8(&c);
		if (cur_u8(&c) != 0)
			return false;		/* critical bit must be clear */
		plen = cur_be16(&c);
		if (plen < 4 || !cur_sub(&c, plen - 4u, &pl))
			return false;
		if (type == IKE_PL_SA) {
			uint8_t last = 2;
			int num = 0;

			while (last == 2 && cur_left(&pl)) {
				uint16_t prl;
				uint8_t nx, xlast = 3;
				bool integ = false, encr = false, prf = false, dh = false;

				last = cur_u8(&pl);
				cur_skip(&pl, 1);
				prl = cur_be16(&pl);
				if (!cur_sub(&pl, prl - 4u, &prop))
					return false;
				num++;
				if (cur_u8(&prop) != num || cur_u8(&prop) != 1 ||
				    cur_u8(&prop) != 0)
					wk->props_ok = false;
				nx = cur_u8(&prop);
				for (int i = 0; i < nx; i++) {
					uint16_t xl, id;
					uint8_t tt;

					if (xlast != 3)
						wk->props_ok = false;
					xlast = cur_u8(&prop);
					cur_skip(&prop, 1);
					xl = cur_be16(&prop);
					tt = cur_u8(&prop);
					cur_skip(&prop, 1);
					id = cur_be16(&prop);
					cur_skip(&prop, xl - 8u);
					integ |= tt == IKE_TT_INTEG;
					encr |= tt == IKE_TT_ENCR;
					prf |= tt == IKE_TT_PRF;
					dh |= tt == IKE_TT_DH;
					if (tt == IKE_TT_DH && id == ke_group)
						wk->group_offered = true;
				}
				if (xlast != 0 || cur_left(&prop) != 0 ||
				    !encr || !prf || !dh || !cur_ok(&prop))
					wk->props_ok = false;
				if (num == 1)
					wk->aead_has_integ = integ;
				else
					wk->cbc_has_integ = integ;
			}
			wk->n_proposals = num;
			if (last != 0 || cur_left(&pl) != 0)
				wk->props_ok = false;
		} else if (type == IKE_PL_NONCE) {
			wk->nonce_len = cur_left(&pl);
		} else if (type == IKE_PL_NOTIFY) {
			uint8_t proto = cur_u8(&pl), spisize = cur_u8(&pl);
			uint16_t nt = cur_be16(&pl);

			if (wk->n_payloads <= 32)
				wk->notify[wk->n_payloads - 1] = nt;
			if (nt == IKE_N_IKEPROBE_PADDING)
				wk->pad_len = plen;
			/* RFC 7296 3.10: about the IKE SA, so no protocol and
			 * no SPI; the data is a SHA-1 hash (2.23). */
			if (nt == IKE_N_NAT_DETECTION_SOURCE_IP ||
			    nt == IKE_N_NAT_DETECTION_DESTINATION_IP) {
				if (nt == IKE_N_NAT_DETECTION_SOURCE_IP)
					wk->n_natd_src++;
				else
					wk->n_natd_dst++;
				wk->natd_len_ok &= proto == 0 && spisize == 0 &&
				    cur_left(&pl) == IKE_NATD_LEN;
			}
		}
	}
	return cur_left(&c) == 0 && cur_ok(&c);
}

static void
test_rfc_rules(void)
{
	struct ike_sa_init_req r;
	struct wbuf w;
	struct walked wk;
	uint8_t cookie[16];

	for (int stateless = 0; stateless < 2; stateless++) {
		fixed_request(&r, stateless, 0);
		wb_init(&w);
		ike_build_sa_init(&w, &r);
		CHECK(walk_request(w.buf, w.len, IKE_DH_CURVE25519, &wk));
		/* SA, KE, Ni, N(NATD_S), N(NATD_D), N(FRAG), N(SIG_HASH), V */
		CHECK_EQ(wk.n_payloads, 8);
		CHECK_EQ(wk.order[0], IKE_PL_SA);
		CHECK_EQ(wk.order[1], IKE_PL_KE);
		CHECK_EQ(wk.order[2], IKE_PL_NONCE);
		CHECK_EQ(wk.order[7], IKE_PL_VENDOR_ID);
		/* RFC 7296 2.23: one of each NAT_DETECTION notify, right
		 * after Ni as in the RFC's IKE_SA_INIT (1.2). */
		CHECK_EQ(wk.n_natd_src, 1);
		CHECK_EQ(wk.n_natd_dst, 1);
		CHECK(wk.natd_len_ok);
		CHECK_EQ(wk.notify[3], IKE_N_NAT_DETECTION_SOURCE_IP);
		CHECK_EQ(wk.notify[4], IKE_N_NAT_DETECTION_DESTINATION_IP);
		CHECK_EQ(wk.n_proposals, 2);
		CHECK(wk.props_ok);
		CHECK(!wk.aead_has_integ);
		CHECK(wk.cbc_has_integ);
		/* The stateless probe's KE group is deliberately not offered. */
		CHECK_EQ(wk.group_offered, !stateless);
		CHECK_EQ(wk.nonce_len, 32);
		wb_free(&w);
	}

	/* RFC 7296 2.6: an echoed COOKIE is the first payload. */
	fixed_request(&r, false, 0);
	memset(cookie, 0x5c, sizeof(cookie));
	r.cookie = cookie;
	r.cookie_len = sizeof(cookie);
	wb_init(&w);
	ike_build_sa_init(&w, &r);
	CHECK(walk_request(w.buf, w.len, IKE_DH_CURVE25519, &wk));
	CHECK_EQ(wk.order[0], IKE_PL_NOTIFY);
	CHECK_EQ(wk.order[1], IKE_PL_SA);
	CHECK_EQ(w.buf[28 + 6], IKE_N_COOKIE >> 8);
	CHECK_EQ(w.buf[28 + 7], IKE_N_COOKIE & 0xff);
	wb_free(&w);

	/* The padding notify is last and exactly as long as asked. */
	fixed_request(&r, false, 1000);
	wb_init(&w);
	ike_build_sa_init(&w, &r);
	CHECK(walk_request(w.buf, w.len, IKE_DH_CURVE25519, &wk));
	CHECK_EQ(wk.order[wk.n_payloads - 1], IKE_PL_NOTIFY);
	CHECK_EQ(wk.pad_len, 1000);
	wb_free(&w);
}

/* Every size from the natural one up must come out exact. */
static void
test_exact_sizes(void)
{
	struct kex_value kv;
	struct exchange ex;
	struct sa_init_params s;
	struct ip_addr src, dst;
	char err[128];
	size_t natural = 0;
	bool all_exact = true, all_valid = true;

	CHECK(crypto_init() == 0);
	CHECK(kex_generate(IKE_DH_CURVE25519, &kv) == 0);
	ip_addr_parse("192.0.2.10", &src);
	ip_addr_parse("198.51.100.10", &dst);
	for (int port = 0; port < 2; port++) {
		memset(&s, 0, sizeof(s));
		s.src = &src;
		s.dst = &dst;
		s.dport = s.sport = port ? 4500 : 500;
		s.kex = &kv;
		CHECK(exchange_sa_init(&ex, &s, err, sizeof(err)) == 0);
		natural = ex.unit.size;
		exchange_free(&ex);
		/* Below the natural size is refused, not silently enlarged. */
		s.size = natural - 1;
		CHECK(exchange_sa_init(&ex, &s, err, sizeof(err)) < 0);
		for (size_t sz = natural; sz < natural + 300; sz++) {
			struct walked wk;
			size_t mk = port ? 4 : 0;

			s.size = sz;
			if (exchange_sa_init(&ex, &s, err, sizeof(err)) < 0) {
				all_exact = false;
				continue;
			}
			all_exact &= ex.unit.size == sz && ex.unit.dgram[0].len == sz &&
			    ex.unit.n == 1;
			all_valid &= walk_request(ex.unit.dgram[0].buf + 28 + mk,
			    sz - 28 - mk, IKE_DH_CURVE25519, &wk) &&
			    wk.nonce_len >= 16 && wk.nonce_len <= 256;
			/* The request kept is the one sent. */
			all_valid &= ex.request.len == sz - 28 - mk &&
			    memcmp(ex.request.buf, ex.unit.dgram[0].buf + 28 + mk,
			    ex.request.len) == 0;
			exchange_free(&ex);
		}
	}
	kex_free(&kv);
	CHECK(all_exact);
	CHECK(all_valid);
	CHECK(natural > 400 && natural < 520);
}

/* Build a reply: header, then the given payload bytes. */
static size_t
reply(uint8_t *b, uint8_t first, const uint8_t *pl, size_t plen, uint32_t hdrlen)
{
	memset(b, 0, 28);
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(i + 1);
	b[8] = 0x99;
	b[16] = first;
	b[17] = 0x20;
	b[18] = 34;
	b[19] = 0x20;
	b[24] = (uint8_t)(hdrlen >> 24);
	b[25] = (uint8_t)(hdrlen >> 16);
	b[26] = (uint8_t)(hdrlen >> 8);
	b[27] = (uint8_t)hdrlen;
	memcpy(b + 28, pl, plen);
	return 28 + plen;
}

static void
test_parse_lies(void)
{
	uint8_t b[256];
	struct ike_reply r;
	size_t n;
	static const uint8_t invalid_ke[] = {
		0, 0, 0, 10, 0, 0, 0, 17, 0, 14,
	};
	static const uint8_t zero_len[] = { 0, 0, 0, 0, 0, 0, 0, 17 };
	static const uint8_t short_len[] = { 0, 0, 0, 3, 0, 0, 0, 17 };
	static const uint8_t long_len[] = { 0, 0, 0x40, 0, 0, 0, 0, 17 };
	static const uint8_t chain_loop[] = {	/* next points at itself */
		41, 0, 0, 8, 0, 0, 0x40, 0x0e, 41, 0, 0, 8, 0, 0, 0x40, 0x0e,
	};
	static const uint8_t big_cookie[] = {
		0, 0, 0, 8 + 65, 0, 0, 0x40, 0x06,
	};
	uint8_t cookie_pl[8 + 65];

	n = reply(b, IKE_PL_NOTIFY, invalid_ke, sizeof(invalid_ke), 38);
	ike_parse(b, n, &r);
	CHECK_EQ(r.status, IKE_PARSE_OK);
	CHECK_EQ(r.kind, IKE_REPLY_INVALID_KE);
	CHECK_EQ(r.invalid_ke_group, 14);

	n = reply(b, IKE_PL_NOTIFY, zero_len, sizeof(zero_len), 36);
	ike_parse(b, n, &r);
	CHECK_EQ(r.status, IKE_PARSE_MALFORMED);

	n = reply(b, IKE_PL_NOTIFY, short_len, sizeof(short_len), 36);
	ike_parse(b, n, &r);
	CHECK_EQ(r.status, IKE_PARSE_MALFORMED);

	n = reply(b, IKE_PL_NOTIFY, long_len, sizeof(long_len), 36);
	ike_parse(b, n, &r);
	CHECK_EQ(r.status, IKE_PARSE_MALFORMED);

	/* A chain that "loops" still ends: each payload moves forward, and
	 * the last one announces a payload the message does not hold. */
	n = reply(b, IKE_PL_NOTIFY, chain_loop, sizeof(chain_loop), 44);
	ike_parse(b, n, &r);
	CHECK_EQ(r.status, IKE_PARSE_MALFORMED);
	CHECK(strstr(r.problem, "chain ends") != NULL);
	CHECK_EQ(r.n_notifies, 2);

	/* Header longer than the datagram: truncated, yet the first payload
	 * still names the reply. */
	n = reply(b, IKE_PL_NOTIFY, invalid_ke, sizeof(invalid_ke), 500);
	ike_parse(b, n, &r);
	CHECK_EQ(r.status, IKE_PARSE_TRUNCATED);
	CHECK_EQ(r.kind, IKE_REPLY_INVALID_KE);

	/* Header shorter than itself. */
	n = reply(b, IKE_PL_NOTIFY, invalid_ke, sizeof(invalid_ke), 12);
	ike_parse(b, n, &r);
	CHECK_EQ(r.status, IKE_PARSE_MALFORMED);

	/* COOKIE over 64 bytes is refused (RFC 7296 2.6). */
	memset(cookie_pl, 0x11, sizeof(cookie_pl));
	memcpy(cookie_pl, big_cookie, sizeof(big_cookie));
	n = reply(b, IKE_PL_NOTIFY, cookie_pl, sizeof(cookie_pl), 28 + sizeof(cookie_pl));
	ike_parse(b, n, &r);
	CHECK_EQ(r.status, IKE_PARSE_MALFORMED);
	CHECK_EQ(r.cookie_len, 0);

	/* Every truncation of a valid reply is reported, never trusted. */
	n = reply(b, IKE_PL_NOTIFY, invalid_ke, sizeof(invalid_ke), 38);
	for (size_t cut = 0; cut < n; cut++) {
		ike_parse(b, cut, &r);
		CHECK(r.status != IKE_PARSE_OK);
	}

	/* Not IKEv2. */
	n = reply(b, IKE_PL_NOTIFY, invalid_ke, sizeof(invalid_ke), 38);
	b[17] = 0x10;
	ike_parse(b, n, &r);
	CHECK_EQ(r.status, IKE_PARSE_MALFORMED);
}

/* What a hostile gateway sends with our SPI is still an answer: it always
 * gets a kind (never NONE, which would leave an open port without a
 * reply), and what cannot answer IKE_SA_INIT is flagged. */
static void
test_parse_hostile(void)
{
	uint8_t b[256];
	struct ike_reply r;
	size_t n;
	static const uint8_t invalid_ke[] = {
		0, 0, 0, 10, 0, 0, 0, 17, 0, 14,
	};

	n = reply(b, IKE_PL_NOTIFY, invalid_ke, sizeof(invalid_ke), 38);
	for (size_t cut = 0; cut < IKE_HDR_LEN; cut++) {
		ike_parse(b, cut, &r);
		CHECK_EQ(r.status, IKE_PARSE_TRUNCATED);
		CHECK_EQ(r.kind, IKE_REPLY_OTHER);
	}
	b[17] = 0x10;		/* IKEv1 */
	ike_parse(b, n, &r);
	CHECK_EQ(r.kind, IKE_REPLY_OTHER);
	b[17] = 0x20;

	ike_parse(b, n, &r);
	ike_check_sa_init_response(&r);
	CHECK_EQ(r.status, IKE_PARSE_OK);
	CHECK_EQ(r.kind, IKE_REPLY_INVALID_KE);

	b[18] = 37;		/* INFORMATIONAL */
	ike_parse(b, n, &r);
	CHECK_EQ(r.status, IKE_PARSE_OK);	/* a valid message... */
	ike_check_sa_init_response(&r);		/* ...but not an answer */
	CHECK_EQ(r.status, IKE_PARSE_MALFORMED);
	CHECK(strstr(r.problem, "INFORMATIONAL") != NULL);
	CHECK_EQ(r.kind, IKE_REPLY_INVALID_KE);	/* still read */
	b[18] = 34;

	b[19] = 0x08;		/* a request, not a response */
	ike_parse(b, n, &r);
	ike_check_sa_init_response(&r);
	CHECK_EQ(r.status, IKE_PARSE_MALFORMED);
	CHECK(strstr(r.problem, "response flag") != NULL);
	b[19] = 0x20;

	b[23] = 1;		/* message ID 1 */
	ike_parse(b, n, &r);
	ike_check_sa_init_response(&r);
	CHECK_EQ(r.status, IKE_PARSE_MALFORMED);
	CHECK(strstr(r.problem, "message ID 1") != NULL);
	b[23] = 0;

	/* The first problem is kept: truncation, not the exchange type. */
	b[18] = 37;
	ike_parse(b, n - 1, &r);
	ike_check_sa_init_response(&r);
	CHECK_EQ(r.status, IKE_PARSE_TRUNCATED);
}

static void
test_names(void)
{
	CHECK(strcmp(ike_notify_name(16430), "IKEV2_FRAGMENTATION_SUPPORTED") == 0);
	CHECK(strcmp(ike_notify_name(16390), "COOKIE") == 0);
	CHECK(strcmp(ike_notify_name(17), "INVALID_KE_PAYLOAD") == 0);
	CHECK(strcmp(ike_notify_name(12345), "<UNKNOWN:12345>") == 0);
	CHECK(strcmp(ike_transform_name(IKE_TT_DH, 31), "CURVE25519") == 0);
	CHECK(strcmp(ike_transform_name(IKE_TT_ENCR, 20), "ENCR_AES_GCM_16") == 0);
	CHECK(strcmp(ike_transform_name(IKE_TT_INTEG, 0), "INTEG_NONE") == 0);
	CHECK(strcmp(ike_payload_name(46), "SK") == 0);
	CHECK(ike_vid_name((const uint8_t *)"\x88\x2f\xe5\x6d\x6f\xd2\x0d\xbc"
	    "\x22\x51\x61\x3b\x2e\xbe\x5b\xeb", 16) != NULL);
	CHECK(ike_vid_name((const uint8_t *)"OE", 2) == NULL);
}


/* The proposal audit's offers (offers.c): the SA payload as built, byte
 * for byte for two of them, and what every offer must be. */
static void
test_audit_offers(void)
{
	/* The control: one proposal, a private-use cipher no gateway has,
	 * PRF and INTEG SHA2-256, groups 14, 19, 31. */
	static const uint8_t control_sa[] = {
		0x22, 0x00, 0x00, 0x3c,			/* SA, next KE, 60 bytes */
		0x00, 0x00, 0x00, 0x38, 0x01, 0x01, 0x00, 0x06,
		0x03, 0x00, 0x00, 0x08, 0x01, 0x00, 0xfd, 0xe9,
		0x03, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x05,
		0x03, 0x00, 0x00, 0x08, 0x03, 0x00, 0x00, 0x0c,
		0x03, 0x00, 0x00, 0x08, 0x04, 0x00, 0x00, 0x0e,
		0x03, 0x00, 0x00, 0x08, 0x04, 0x00, 0x00, 0x13,
		0x00, 0x00, 0x00, 0x08, 0x04, 0x00, 0x00, 0x1f,
	};
	/* ENCR_AES_CBC_256's first transform, with its Key Length. */
	static const uint8_t aes256[] = {
		0x03, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x0c, 0x80, 0x0e, 0x01, 0x00,
	};
	struct ike_sa_init_req r;
	struct ike_offer o;
	struct wbuf w;
	int ctl = audit_offer_index("control"), aes = audit_offer_index("ENCR_AES_CBC_256");

	CHECK_EQ(ctl, 0);
	CHECK(aes > 0);
	CHECK(audit_n_offers <= AUDIT_MAX_OFFERS);
	CHECK_EQ(audit_offer_build(audit_n_offers, &o), -1);
	CHECK_EQ(audit_offer_index("no-such-offer"), -1);
	fixed_request(&r, false, 0);
	r.offer = &o;
	CHECK_EQ(audit_offer_build(ctl, &o), 0);
	wb_init(&w);
	ike_build_sa_init(&w, &r);
	CHECK(!w.failed && w.len > 28 + sizeof(control_sa));
	CHECK(w.len > 28 && w.buf[16] == IKE_PL_SA);
	CHECK(memcmp(w.buf + 28, control_sa, sizeof(control_sa)) == 0);
	wb_free(&w);
	CHECK_EQ(audit_offer_build(aes, &o), 0);
	wb_init(&w);
	ike_build_sa_init(&w, &r);
	CHECK(w.len > 40 && memcmp(w.buf + 28 + 4 + 8, aes256, sizeof(aes256)) == 0);
	wb_free(&w);

	for (int i = 0; i < audit_n_offers; i++) {
		const struct audit_offer_def *d = &audit_offers[i];
		struct ike_reply rep;

		CHECK_EQ(audit_offer_build(i, &o), 0);
		CHECK(o.n >= 1 && o.n <= IKE_OFFER_PROPS);
		/* a client suite whole: no proposal or transform cut */
		if (d->role == AUDIT_CLIENT) {
			CHECK_EQ(o.n, d->n_props);
			for (int k = 0; k < o.n && k < d->n_props; k++)
				CHECK_EQ(o.prop[k].n, d->props[k].n);
		}
		CHECK_EQ(audit_offer_index(d->name), i);
		for (int k = 0; k < o.n; k++) {
			const struct ike_offer_prop *p = &o.prop[k];
			int of_type[6] = { 0 }, varied = 0;
			bool aead = false;

			CHECK(p->n > 0 && p->n < IKE_OFFER_XFORMS);
			for (int x = 0; x < p->n; x++) {
				/* the audit's KE group is in no offer: every
				 * answer is stateless */
				CHECK(!(p->x[x].type == IKE_TT_DH &&
				    p->x[x].id == AUDIT_KE_GROUP));
				if (p->x[x].type < 6)
					of_type[p->x[x].type]++;
				aead |= p->x[x].type == IKE_TT_ENCR &&
				    (p->x[x].id == IKE_ENCR_AES_GCM_16 ||
				    p->x[x].id == IKE_ENCR_CHACHA20_POLY1305);
				varied += d->role == AUDIT_TRANSFORM &&
				    p->x[x].type == d->x.type && p->x[x].id == d->x.id &&
				    p->x[x].keylen == d->x.keylen;
			}
			CHECK(of_type[IKE_TT_ENCR] && of_type[IKE_TT_PRF] && of_type[IKE_TT_DH]);
			/* RFC 7296 3.3.3: no integrity with an AEAD cipher */
			CHECK(!aead || of_type[IKE_TT_INTEG] == 0);
			CHECK(aead || of_type[IKE_TT_INTEG] > 0);
			/* a transform offer: its transform, alone of its type */
			if (d->role == AUDIT_TRANSFORM) {
				CHECK_EQ(varied, 1);
				CHECK_EQ(of_type[d->x.type], 1);
			}
		}
		/* every offer fits a 1280-byte path with room to spare, and
		 * parses back */
		r.offer = &o;
		wb_init(&w);
		ike_build_sa_init(&w, &r);
		CHECK(!w.failed && w.len < 900);
		ike_parse(w.buf, w.len, &rep);
		CHECK_EQ(rep.status, IKE_PARSE_OK);
		CHECK_EQ(rep.n_proposals, o.n);
		wb_free(&w);
	}
}

/* A transform's level as the audit table gives it (ENCR by key length). */
static enum rfc8247_level
level_of(uint8_t type, uint16_t id, uint16_t keylen)
{
	for (int i = 0; i < audit_n_offers; i++) {
		const struct audit_offer_def *o = &audit_offers[i];

		if (o->role == AUDIT_TRANSFORM && o->x.type == type &&
		    o->x.id == id && (type != IKE_TT_ENCR || o->x.keylen == keylen))
			return o->level;
	}
	return RFC8247_UNLISTED;
}

/* RFC 8247's levels (sections 3.1-3.4), as the report quotes them. */
static void
test_rfc8247(void)
{
	static const struct { uint8_t t; uint16_t id, kl; enum rfc8247_level l; } v[] = {
		{ IKE_TT_ENCR, IKE_ENCR_DES, 0, RFC8247_MUST_NOT },
		{ IKE_TT_ENCR, IKE_ENCR_3DES, 0, RFC8247_MAY },
		{ IKE_TT_ENCR, IKE_ENCR_AES_CBC, 128, RFC8247_MUST },
		{ IKE_TT_ENCR, IKE_ENCR_AES_CBC, 256, RFC8247_SHOULD },
		{ IKE_TT_ENCR, IKE_ENCR_AES_CBC, 192, RFC8247_MAY },
		{ IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 256, RFC8247_SHOULD },
		{ IKE_TT_ENCR, IKE_ENCR_CHACHA20_POLY1305, 0, RFC8247_SHOULD },
		{ IKE_TT_ENCR, IKE_ENCR_NULL, 0, RFC8247_UNLISTED },
		{ IKE_TT_PRF, IKE_PRF_HMAC_MD5, 0, RFC8247_MUST_NOT },
		{ IKE_TT_PRF, IKE_PRF_HMAC_SHA1, 0, RFC8247_MUST_MINUS },
		{ IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0, RFC8247_MUST },
		{ IKE_TT_PRF, IKE_PRF_HMAC_SHA2_512, 0, RFC8247_SHOULD_PLUS },
		{ IKE_TT_INTEG, IKE_INTEG_AUTH_HMAC_MD5_96, 0, RFC8247_MUST_NOT },
		{ IKE_TT_INTEG, IKE_INTEG_AUTH_HMAC_SHA1_96, 0, RFC8247_MUST_MINUS },
		{ IKE_TT_INTEG, IKE_INTEG_AUTH_HMAC_SHA2_256_128, 0, RFC8247_MUST },
		{ IKE_TT_INTEG, IKE_INTEG_AUTH_HMAC_SHA2_512_256, 0, RFC8247_SHOULD },
		{ IKE_TT_DH, IKE_DH_MODP_768, 0, RFC8247_MUST_NOT },
		{ IKE_TT_DH, IKE_DH_MODP_1024, 0, RFC8247_SHOULD_NOT },
		{ IKE_TT_DH, IKE_DH_MODP_1536, 0, RFC8247_SHOULD_NOT },
		{ IKE_TT_DH, IKE_DH_MODP_1024_160, 0, RFC8247_SHOULD_NOT },
		{ IKE_TT_DH, IKE_DH_MODP_2048_224, 0, RFC8247_SHOULD_NOT },
		{ IKE_TT_DH, IKE_DH_MODP_2048_256, 0, RFC8247_SHOULD_NOT },
		{ IKE_TT_DH, IKE_DH_MODP_2048, 0, RFC8247_MUST },
		{ IKE_TT_DH, IKE_DH_ECP_256, 0, RFC8247_SHOULD },
		{ IKE_TT_DH, IKE_DH_CURVE25519, 0, RFC8247_UNLISTED },
		{ IKE_TT_DH, IKE_DH_MODP_3072, 0, RFC8247_UNLISTED },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		enum rfc8247_level l = level_of(v[i].t, v[i].id, v[i].kl);

		if (l != v[i].l)
			fprintf(stderr, "rfc8247: type %u id %u: %s, want %s\n", v[i].t,
			    v[i].id, rfc8247_name(l), rfc8247_name(v[i].l));
		CHECK_EQ(l, v[i].l);
		CHECK_EQ(rfc8247_weak(l), l == RFC8247_MUST_NOT || l == RFC8247_SHOULD_NOT);
	}
	CHECK_STR(rfc8247_name(RFC8247_SHOULD_NOT), "SHOULD NOT");
	CHECK_STR(rfc8247_name(RFC8247_MUST_MINUS), "MUST-");
}

int
main(void)
{
	test_golden();
	test_audit_offers();
	test_rfc8247();
	test_rfc_rules();
	test_exact_sizes();
	test_parse_lies();
	test_parse_hostile();
	test_names();
	return check_done();
}
