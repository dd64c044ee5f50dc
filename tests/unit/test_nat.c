/* NAT detection (RFC 7296 2.23): the SHA-1 hash against values computed
 * independently (Python's hashlib), the hashes a probe carries, the parser
 * keeping the gateway's, and the diagnosis on hand-made replies: matching,
 * rewritten on our side, on the gateway's side, missing, of a wrong length. */
#include <string.h>

#include "check.h"
#include "ikeprobe/natd.h"
#include "ikeprobe/report.h"

static const uint8_t spi_i[IKE_SPI_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t spi_r[IKE_SPI_LEN] = {
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
};
static const uint8_t zero[IKE_SPI_LEN];

static int
unhex(const char *h, uint8_t *out)
{
	size_t n = strlen(h) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)n;
}

static void
test_hash(void)
{
	struct ip_addr a, b, v6;
	uint8_t got[IKE_NATD_LEN], want[IKE_NATD_LEN];

	ip_addr_parse("192.0.2.10", &a);
	ip_addr_parse("198.51.100.10", &b);
	/* hashlib.sha1(spi_i + 8 zero bytes + inet_aton(a) + pack('>H', 500)) */
	CHECK(natd_hash(spi_i, zero, &a, 500, got) == 0);
	unhex("9cdaf8713cea81e287d3c0bacb7db468691dfe58", want);
	CHECK(memcmp(got, want, IKE_NATD_LEN) == 0);
	CHECK(natd_hash(spi_i, spi_r, &b, 4500, got) == 0);
	unhex("af64b7141e01e3461ac2b2c4b82165ff1e939de1", want);
	CHECK(memcmp(got, want, IKE_NATD_LEN) == 0);
	/* Another port, another hash: a NAT that keeps the address but
	 * changes the port is found too. */
	CHECK(natd_hash(spi_i, spi_r, &b, 4501, got) == 0);
	CHECK(memcmp(got, want, IKE_NATD_LEN) != 0);
	CHECK(ip_addr_parse("2001:db8::1", &v6));
	CHECK(natd_hash(spi_i, zero, &v6, 500, got) == 0);
	memset(&v6, 0, sizeof(v6));
	CHECK(natd_hash(spi_i, zero, &v6, 500, got) < 0);
}

/* The notify data of a request, by type; NULL if absent. */
static const uint8_t *
notify_data(const uint8_t *ike, size_t len, uint16_t want, size_t *dlen)
{
	struct cursor c, pl;
	uint8_t np;

	cur_init(&c, ike, len);
	cur_skip(&c, 16);
	np = cur_u8(&c);
	cur_skip(&c, 11);
	while (np && cur_ok(&c)) {
		uint8_t type = np;
		uint16_t plen;

		np = cur_u8(&c);
		cur_skip(&c, 1);
		plen = cur_be16(&c);
		if (plen < 4 || !cur_sub(&c, plen - 4u, &pl))
			return NULL;
		if (type == IKE_PL_NOTIFY) {
			cur_skip(&pl, 2);
			if (cur_be16(&pl) == want) {
				*dlen = cur_left(&pl);
				return cur_here(&pl);
			}
		}
	}
	return NULL;
}

/* A probe carries the hashes of the addresses and ports it is sent with. */
static void
test_probe_carries(void)
{
	struct kex_value kv;
	struct exchange ex;
	struct sa_init_params s;
	struct ip_addr src, dst;
	uint8_t want[IKE_NATD_LEN];
	const uint8_t *d;
	size_t dlen = 0, mk;
	char err[128];

	CHECK(crypto_init() == 0);
	CHECK(kex_generate(IKE_DH_CURVE25519, &kv) == 0);
	ip_addr_parse("192.0.2.10", &src);
	ip_addr_parse("198.51.100.10", &dst);
	for (int port = 0; port < 2; port++) {
		memset(&s, 0, sizeof(s));
		s.src = &src;
		s.dst = &dst;
		s.stateless = true;
		s.dport = port ? 4500 : 500;
		s.sport = port ? 4500 : 501;	/* a substituted source port */
		s.kex = &kv;
		s.size = 1400;
		CHECK(exchange_sa_init(&ex, &s, err, sizeof(err)) == 0);
		mk = port ? IKE_NONESP_MARKER_LEN : 0;
		d = notify_data(ex.unit.dgram[0].buf + 28 + mk,
		    ex.unit.dgram[0].len - 28 - mk,
		    IKE_N_NAT_DETECTION_SOURCE_IP, &dlen);
		CHECK(d != NULL && dlen == IKE_NATD_LEN);
		natd_hash(ex.spi_i, zero, &src, s.sport, want);
		CHECK(d && memcmp(d, want, IKE_NATD_LEN) == 0);
		d = notify_data(ex.unit.dgram[0].buf + 28 + mk,
		    ex.unit.dgram[0].len - 28 - mk,
		    IKE_N_NAT_DETECTION_DESTINATION_IP, &dlen);
		CHECK(d != NULL && dlen == IKE_NATD_LEN);
		natd_hash(ex.spi_i, zero, &dst, s.dport, want);
		CHECK(d && memcmp(d, want, IKE_NATD_LEN) == 0);
		CHECK_EQ(ex.unit.size, 1400);
		exchange_free(&ex);
	}
}

/* An IKE_SA_INIT response (SA, KE, Nr) with the given NAT notifies. */
static size_t
response(uint8_t *b, const uint8_t *src, int n_src, const uint8_t *dst,
    size_t dst_len)
{
	struct wbuf w;
	size_t np_at, n;

	wb_init(&w);
	wb_bytes(&w, spi_i, 8);
	wb_bytes(&w, spi_r, 8);
	wb_u8(&w, IKE_PL_SA);
	wb_u8(&w, 0x20);
	wb_u8(&w, IKE_EXCH_IKE_SA_INIT);
	wb_u8(&w, IKE_FLAG_RESPONSE);
	wb_be32(&w, 0);
	wb_be32(&w, 0);
	/* SA: one proposal, one transform */
	wb_u8(&w, IKE_PL_KE); wb_u8(&w, 0); wb_be16(&w, 4 + 8 + 8);
	wb_u8(&w, 0); wb_u8(&w, 0); wb_be16(&w, 16);
	wb_u8(&w, 1); wb_u8(&w, 1); wb_u8(&w, 0); wb_u8(&w, 1);
	wb_u8(&w, 0); wb_u8(&w, 0); wb_be16(&w, 8);
	wb_u8(&w, IKE_TT_DH); wb_u8(&w, 0); wb_be16(&w, IKE_DH_CURVE25519);
	/* KE */
	wb_u8(&w, IKE_PL_NONCE); wb_u8(&w, 0); wb_be16(&w, 8 + 32);
	wb_be16(&w, IKE_DH_CURVE25519); wb_be16(&w, 0); wb_zero(&w, 32);
	np_at = w.len;
	/* Nr */
	wb_u8(&w, 0); wb_u8(&w, 0); wb_be16(&w, 4 + 32); wb_zero(&w, 32);
	for (int i = 0; i < n_src + (dst ? 1 : 0); i++) {
		bool is_dst = i == n_src;

		wb_patch_u8(&w, np_at, IKE_PL_NOTIFY);
		np_at = w.len;
		wb_u8(&w, 0); wb_u8(&w, 0);
		wb_be16(&w, (uint16_t)(8 + (is_dst ? dst_len : IKE_NATD_LEN)));
		wb_u8(&w, 0); wb_u8(&w, 0);
		wb_be16(&w, is_dst ? IKE_N_NAT_DETECTION_DESTINATION_IP :
		    IKE_N_NAT_DETECTION_SOURCE_IP);
		wb_bytes(&w, is_dst ? dst : src + i * IKE_NATD_LEN,
		    is_dst ? dst_len : IKE_NATD_LEN);
	}
	wb_patch_be16(&w, 26, (uint16_t)w.len);
	n = w.len;
	memcpy(b, w.buf, n);
	wb_free(&w);
	return n;
}

static struct ike_session run;
static struct report rep;

/* One answered probe from 192.0.2.10:500 to 198.51.100.10:500 whose reply
 * carries the given hashes; then the NAT diagnosis. */
static void
diagnose_with(const uint8_t *src, int n_src, const uint8_t *dst,
    size_t dst_len, enum ike_parse_status want_status)
{
	uint8_t b[1024];
	size_t n = response(b, src, n_src, dst, dst_len);
	struct probe *p = &run.probes[0];

	memset(&run, 0, sizeof(run));
	memset(&rep, 0, sizeof(rep));
	ip_addr_parse("192.0.2.10", &run.local.addr);
	ip_addr_parse("198.51.100.10", &run.target);
	run.n_probes = 1;
	p->id = 0;
	p->dport = 500;
	p->sport = 500;
	memcpy(p->ex.spi_i, spi_i, 8);
	p->result = PROBE_ANSWERED;
	ike_parse(b, n, &p->reply);
	ike_check_sa_init_response(&p->reply);
	CHECK_EQ(p->reply.status, want_status);
	rep.local = run.local;
	rep.target = run.target;
	rep.n_ports = 2;
	rep.ports[0].port = 500;
	rep.ports[1].port = 4500;
	rep.ports[0].state = rep.ports[1].state = PORT_OPEN;
	rep.set = ike_session_set(&run);
	diagnose_nat(&rep);
}

static bool
has_finding(const char *code)
{
	for (int i = 0; i < rep.n_findings; i++)
		if (strcmp(rep.findings[i].code, code) == 0)
			return true;
	return false;
}

static void
test_diagnosis(void)
{
	struct ip_addr me, gw, router;
	uint8_t src[2 * IKE_NATD_LEN], dst[IKE_NATD_LEN], other[IKE_NATD_LEN];

	ip_addr_parse("192.0.2.10", &me);
	ip_addr_parse("198.51.100.10", &gw);
	ip_addr_parse("198.51.100.1", &router);
	natd_hash(spi_i, spi_r, &gw, 500, src);
	natd_hash(spi_i, spi_r, &me, 500, dst);

	/* Both match: no NAT. */
	diagnose_with(src, 1, dst, IKE_NATD_LEN, IKE_PARSE_OK);
	CHECK_EQ(run.probes[0].reply.n_natd_src, 1);
	CHECK(run.probes[0].reply.has_natd_dst);
	CHECK_EQ(rep.nat.detected, TRI_FALSE);
	CHECK_EQ(rep.nat.client_side, TRI_FALSE);
	CHECK_EQ(rep.nat.gateway_side, TRI_FALSE);
	CHECK_EQ(rep.nat.probe, 0);
	CHECK(strstr(rep.nat.evidence, "no NAT") != NULL);
	CHECK_EQ(rep.n_findings, 0);

	/* The gateway saw the router's address (masquerade): our side. */
	natd_hash(spi_i, spi_r, &router, 500, other);
	diagnose_with(src, 1, other, IKE_NATD_LEN, IKE_PARSE_OK);
	CHECK_EQ(rep.nat.detected, TRI_TRUE);
	CHECK_EQ(rep.nat.client_side, TRI_TRUE);
	CHECK_EQ(rep.nat.gateway_side, TRI_FALSE);
	CHECK(strstr(rep.nat.evidence, "NAT_DETECTION_DESTINATION_IP") != NULL);
	CHECK(has_finding("nat-detected"));
	CHECK(!has_finding("nat-udp4500-blocked"));

	/* ... with UDP 4500 not open: the VPN cannot work. */
	diagnose_with(src, 1, other, IKE_NATD_LEN, IKE_PARSE_OK);
	rep.ports[1].state = PORT_SILENT;
	rep.n_findings = 0;
	rep.set = ike_session_set(&run);
	diagnose_nat(&rep);
	CHECK(has_finding("nat-udp4500-blocked"));
	CHECK(rep.n_findings == 1 && rep.findings[0].severity == SEV_ERROR);
	CHECK(strstr(rep.findings[0].summary, "UDP 4500 is silent") != NULL);
	/* ... not probed at all, or the run ended first: no evidence that
	 * it is blocked, so no error; the info finding says it was not
	 * tested. */
	rep.n_ports = 1;
	rep.n_findings = 0;
	rep.set = ike_session_set(&run);
	diagnose_nat(&rep);
	CHECK(!has_finding("nat-udp4500-blocked"));
	CHECK(has_finding("nat-detected") && rep.n_findings == 1 &&
	    rep.findings[0].severity == SEV_INFO);
	CHECK(strstr(rep.findings[0].summary, "UDP 4500 was not tested") != NULL);
	rep.n_ports = 2;
	rep.ports[1].state = PORT_UNTESTED;
	rep.n_findings = 0;
	rep.set = ike_session_set(&run);
	diagnose_nat(&rep);
	CHECK(!has_finding("nat-udp4500-blocked") && has_finding("nat-detected"));

	/* The gateway hashes another address of its own: it is behind a NAT.
	 * A multihomed gateway may send several: one match is enough. */
	natd_hash(spi_i, spi_r, &router, 500, src);
	diagnose_with(src, 1, dst, IKE_NATD_LEN, IKE_PARSE_OK);
	CHECK_EQ(rep.nat.detected, TRI_TRUE);
	CHECK_EQ(rep.nat.client_side, TRI_FALSE);
	CHECK_EQ(rep.nat.gateway_side, TRI_TRUE);
	CHECK(strstr(rep.nat.evidence, "behind a NAT") != NULL);
	natd_hash(spi_i, spi_r, &gw, 500, src + IKE_NATD_LEN);
	diagnose_with(src, 2, dst, IKE_NATD_LEN, IKE_PARSE_OK);
	CHECK_EQ(rep.nat.gateway_side, TRI_FALSE);
	CHECK_EQ(rep.nat.detected, TRI_FALSE);

	/* No NAT notifies in a full reply: not known, and said why. */
	diagnose_with(NULL, 0, NULL, 0, IKE_PARSE_OK);
	CHECK_EQ(run.probes[0].reply.kind, IKE_REPLY_SA);
	CHECK_EQ(rep.nat.detected, TRI_NULL);
	CHECK_EQ(rep.nat.probe, -1);
	CHECK(strstr(rep.nat.evidence, "carries no NAT_DETECTION") != NULL);

	/* Only one of the two, matching: cannot rule a NAT out. */
	natd_hash(spi_i, spi_r, &gw, 500, src);
	diagnose_with(src, 1, NULL, 0, IKE_PARSE_OK);
	CHECK_EQ(rep.nat.detected, TRI_NULL);
	CHECK_EQ(rep.nat.gateway_side, TRI_FALSE);

	/* A hash of another length is malformed and not compared. */
	diagnose_with(src, 1, dst, 19, IKE_PARSE_MALFORMED);
	CHECK(strstr(run.probes[0].reply.problem, "NAT_DETECTION_DESTINATION_IP "
	    "of 19 bytes") != NULL);
	CHECK(!run.probes[0].reply.has_natd_dst);
	CHECK_EQ(rep.nat.detected, TRI_NULL);

	/* No answer at all. */
	memset(&run, 0, sizeof(run));
	memset(&rep, 0, sizeof(rep));
	rep.set = ike_session_set(&run);
	diagnose_nat(&rep);
	CHECK_EQ(rep.nat.detected, TRI_NULL);
	CHECK(strstr(rep.nat.evidence, "none came back") != NULL);
}

int
main(void)
{
	test_hash();
	test_probe_carries();
	test_diagnosis();
	return check_done();
}
