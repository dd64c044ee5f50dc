/* Matching: captured packets against what one session sent, through the
 * path a live run and a replay take (src/wire/ingest.c for the link
 * header and reassembly, then match_frame in src/match/: ike_match or
 * ike_match_fragment, then observe), on arbitrary packet sequences with
 * capture times, against a fixed set of sent probes:
 *
 *   #0 IKE_SA_INIT for a full SA, UDP 500, sent twice
 *   #1 stateless IKE_SA_INIT, UDP 500      #2 the same on UDP 4500
 *   #3 2500 bytes in IP fragments of 1280  #4 1400 bytes with DF
 *   #5 the COOKIE echo of #0 (its SPI, another IP ID)
 *   #6 IKE_AUTH in #0's IKE SA (message 1, SK with known keys)
 *   #7 INFORMATIONAL closing it (message 2)
 *
 * Addresses: 192.0.2.10 (this machine) and 198.51.100.10 (the target).
 * Probe i's SPI is 1c 0e 9b 00 00 00 00 i (#5-#7 share #0's); its IP ID
 * is 0x1000 + 16 i (all fragments of #3 carry it); the responder SPI of #0's SA is
 * 8 bytes of 0x22, the keys as in fuzz_sk.c.
 *
 * Input: records of
 *	2 bytes	packet length, big-endian (cut to what is left)
 *	1 byte	clock step: below 200 in ms, else (n - 199) s, so that
 *		reassembly's timeout (15 s) is within reach
 *	1 byte	bit 7: first give up probe (bits 0-2) at this time, as
 *		the run's timer does
 *	...	an IPv4 datagram (or IPv6), no link header
 * The clock starts 100 ms before the first probe went out.
 *
 * Checked after every packet: an observation names a probe that exists,
 * or none; nothing is taken as an answer, ICMP error or fragment of a
 * probe not yet sent; an answer lies within the packet; each packet moves
 * the counters by exactly what its kind says; the probes' replies add up
 * to the session's; a probe that ended did so after it went out. */
#include <sys/socket.h>

#include "fuzz.h"
#include "ikeprobe/ikecrypto.h"
#include "ikeprobe/kex.h"
#include "ikeprobe/match.h"

#define N_PROBES	8
#define T0		1000000000LL		/* us: the first probe's send */

static struct ip_addr local, target;
static struct kex_value kv;
static struct probe tmpl[N_PROBES];
static const struct port_pair ports[2] = { { 500, 500, 0 }, { 4500, 4500, 0 } };

static const struct ike_algs suite = { IKE_ENCR_AES_CBC, 256,
	IKE_PRF_HMAC_SHA2_256, IKE_INTEG_AUTH_HMAC_SHA2_256_128,
	IKE_DH_CURVE25519 };

static void
spi_of(int i, uint8_t spi[IKE_SPI_LEN])
{
	static const uint8_t base[IKE_SPI_LEN] = { 0x1c, 0x0e, 0x9b };

	memcpy(spi, base, IKE_SPI_LEN);
	spi[7] = (uint8_t)i;
}

static void
build(int id, uint16_t port, enum probe_kind kind, size_t size,
    size_t frag_size, bool df, int spi_from, usec_t sent, int attempts)
{
	static const uint8_t nonce[32] = { 0x4e };
	struct probe *p = &tmpl[id];
	struct sa_init_params sp;
	struct probe_spec spec;
	uint8_t spi[IKE_SPI_LEN];
	char err[128];

	memset(&spec, 0, sizeof(spec));
	spec.kind = kind;
	spec.dport = spec.sport = port;
	spec.parent = spi_from == id ? -1 : spi_from;
	spec.max_attempts = 5;
	probe_init(p, id, &spec);
	spi_of(spi_from, spi);
	memset(&sp, 0, sizeof(sp));
	sp.src = &local;
	sp.dst = &target;
	sp.sport = sp.dport = port;
	sp.kex = &kv;
	sp.stateless = kind == PROBE_STATELESS;
	sp.spi_i = spi;
	sp.nonce = nonce;
	sp.nonce_len = sizeof(nonce);
	sp.size = size;
	sp.df = df;
	sp.frag_size = frag_size;
	if (id == 5) {
		sp.cookie = (const uint8_t *)"cookie-cookie";
		sp.cookie_len = 13;
	}
	FZ_CHECK(exchange_sa_init(&p->ex, &sp, err, sizeof(err)) == 0);
	/* Known IDs, so that inputs can name them (the fragments of one
	 * datagram keep sharing theirs). */
	for (int k = p->ex.unit.n - 1; k >= 0; k--)
		p->ex.unit.dgram_id[k] = p->ex.unit.dgram_id[k] ==
		    p->ex.unit.ip_id ? 0x1000u + 16u * (unsigned)id :
		    0x1000u + 16u * (unsigned)id + (unsigned)k;
	p->ex.unit.ip_id = 0x1000u + 16u * (unsigned)id;
	p->size = p->ex.unit.size;
	p->fragments = p->ex.unit.n;
	p->df = df;
	p->attempts = p->sent_ok = attempts;
	for (int k = 0; k < attempts; k++)
		p->sent[k] = sent + k * 500000;
	if (kind == PROBE_AUTH || kind == PROBE_CLOSE) {
		/* In #0's IKE SA, with keys known to the input's author. */
		p->ex.type = kind == PROBE_AUTH ? IKE_EXCH_IKE_AUTH :
		    IKE_EXCH_INFORMATIONAL;
		p->ex.msgid = kind == PROBE_AUTH ? 1 : 2;
		memset(p->ex.spi_r, 0x22, IKE_SPI_LEN);
		FZ_CHECK(ike_keys_init(&p->ex.keys, &suite) == 0);
		memset(p->ex.keys.sk_ei, 0x31, p->ex.keys.encr_len);
		memset(p->ex.keys.sk_er, 0x32, p->ex.keys.encr_len);
		memset(p->ex.keys.sk_ai, 0x33, p->ex.keys.integ_len);
		memset(p->ex.keys.sk_ar, 0x34, p->ex.keys.integ_len);
		memset(p->ex.keys.sk_pr, 0x35, p->ex.keys.prf_len);
		p->ex.has_keys = true;
	}
}

static void
setup(void)
{
	static const uint8_t scalar[32] = { 0x40, 0x41, 0x42 };

	FZ_CHECK(crypto_init() == 0);
	FZ_CHECK(kex_x25519_from(scalar, &kv) == 0);
	ip_addr_parse("192.0.2.10", &local);
	ip_addr_parse("198.51.100.10", &target);
	build(0, 500, PROBE_SA, 0, 0, false, 0, T0, 2);
	build(1, 500, PROBE_STATELESS, 0, 0, false, 1, T0 + 10000, 1);
	build(2, 4500, PROBE_STATELESS, 0, 0, false, 2, T0 + 20000, 1);
	build(3, 500, PROBE_STATELESS, 2500, 1280, false, 3, T0 + 1000000, 3);
	build(4, 500, PROBE_STATELESS, 1400, 0, true, 4, T0 + 1100000, 1);
	build(5, 500, PROBE_SA, 0, 0, false, 0, T0 + 1200000, 1);
	build(6, 500, PROBE_AUTH, 0, 0, false, 0, T0 + 2000000, 2);
	build(7, 500, PROBE_CLOSE, 0, 0, false, 0, T0 + 3000000, 1);
	FZ_CHECK(tmpl[3].fragments == 2);
}

struct state {
	struct probe	*probes;
	struct match_ctx ctx;
	struct run_stats st;
	int		 packets;
};

static unsigned long
moved(const struct run_stats *s)
{
	return s->own + s->replies + s->unmatched + s->icmp_matched +
	    s->icmp_unmatched + s->other;
}

static void
check_probes(const struct state *z)
{
	unsigned long replies = 0;

	for (int i = 0; i < N_PROBES; i++) {
		const struct probe *p = &z->probes[i];
		usec_t at = probe_sent_at(p);

		replies += (unsigned long)p->replies;
		FZ_CHECK(p->partial.n_ids >= 0 && p->partial.n_ids <= 8);
		FZ_CHECK(memchr(p->problem, 0, sizeof(p->problem)) != NULL);
		if (p->result == PROBE_ANSWERED || p->result == PROBE_ICMP) {
			FZ_CHECK(at != USEC_NONE && p->ended >= at);
		}
		if (p->result == PROBE_ANSWERED)
			FZ_CHECK(p->rtt_ms >= 0 && p->replies > 0);
	}
	FZ_CHECK(replies == z->st.replies);
	FZ_CHECK(z->st.duplicates <= z->st.replies);
}

static void
deliver(void *arg, enum frame_kind kind, const struct pkt *pk, usec_t ts)
{
	struct state *z = arg;
	struct observation o;
	unsigned long before = moved(&z->st), captured = z->st.captured;
	const struct probe *p;

	match_frame(&z->ctx, z->probes, N_PROBES, &z->st, kind, pk, ts, &o);
	z->packets++;
	FZ_CHECK(z->st.captured == captured + 1);
	FZ_CHECK(o.probe >= -1 && o.probe < N_PROBES);
	FZ_CHECK(moved(&z->st) - before ==
	    (kind == FRAME_PACKET || kind == FRAME_NOT_IP ? 1u : 0u));
	p = o.probe >= 0 ? &z->probes[o.probe] : NULL;
	switch (o.kind) {
	case OBS_ANSWER:
		FZ_CHECK(p != NULL && kind == FRAME_PACKET);
		FZ_CHECK(fz_within(o.ike, o.ike_len, pk->udp_data, pk->udp_len));
		__attribute__((fallthrough));
	case OBS_ICMP:
	case OBS_ICMP_IGNORED:
	case OBS_FRAGMENT:
	case OBS_STRAY:
		/* Never about a probe that had not gone out by then. */
		FZ_CHECK(p != NULL && probe_sent_by(p, ts));
		break;
	case OBS_UNMATCHED_IKE:
	case OBS_UNMATCHED_ICMP:
	case OBS_MALFORMED:
		FZ_CHECK(p == NULL);
		break;
	case OBS_SENT:
	case OBS_OTHER:
		break;
	}
	check_probes(z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static struct probe work[N_PROBES];
	struct ingest in;
	struct state z;
	usec_t now = T0 - 100000;
	size_t off = 0;

	if (!ready) {
		setup();
		ready = true;
	}
	/* The sent probes afresh: what observing writes (answers, SKF
	 * pieces, plain text) starts empty and is this input's; the
	 * requests and datagrams sent are only read. */
	memcpy(work, tmpl, sizeof(work));
	memset(&z, 0, sizeof(z));
	z.probes = work;
	z.ctx = (struct match_ctx){ &local, &target,
	    { work, N_PROBES, ports, 2, AF_INET, 1500, &local, &target } };
	ingest_init(&in);
	ingest_local(&in, &local);
	while (size - off >= 4) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		uint8_t step = data[off + 2], op = data[off + 3];

		now += step < 200 ? step * 1000LL : (step - 199) * 1000000LL;
		off += 4;
		if (len > size - off)
			len = size - off;
		if (op & 0x80)
			observe_give_up(&work[op & 7], now);
		ingest_frame(&in, LINK_RAW, data + off, len, now, deliver, &z);
		off += len;
	}
	ingest_free(&in);
	/* For whoever writes seeds: what the input made of the probes. */
	if (getenv("FUZZ_MATCH_VERBOSE"))
		for (int i = 0; i < N_PROBES; i++)
			fprintf(stderr, "#%d %s replies %d icmp %d partial "
			    "%d/%d rx %s\n", i, probe_result_name(work[i].result),
			    work[i].replies, work[i].icmp.type,
			    work[i].partial.firsts, work[i].partial.others,
			    work[i].ex.inner.problem[0] ? work[i].ex.inner.problem :
			    work[i].problem);
	for (int i = 0; i < N_PROBES; i++) {
		wb_free(&work[i].ex.response);
		for (int k = 0; k < EXCH_MAX_RX_FRAGS; k++)
			wb_free(&work[i].ex.rx_piece[k]);
		wb_free(&work[i].ex.plain);
	}
	return 0;
}
