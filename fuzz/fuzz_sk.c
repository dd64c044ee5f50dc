/* The decoder of protected answers: exchange_take() on IKE_AUTH answers in
 * an IKE SA with known keys, then the inner payload parser. Byte 0 picks
 * the SA's transforms (bits 0-1) and how the rest is read (bit 2):
 *
 *  raw     a series of messages, each behind a 2-byte length, taken as
 *          they come: the header, SK and SKF framing, the ICV check and
 *          the fragment bookkeeping on hostile bytes;
 *  sealed  [first payload type][fragment length (2)][order seed], then
 *          inner payloads that ikeprobe's own sealing encrypts as the
 *          gateway would, whole or cut into SKF fragments taken in an
 *          order from the seed, with duplicates: the decoder then reaches
 *          decryption, padding, reassembly and ike_parse_inner.
 *
 * Checked: what the exchange and the inner decoding hand back lies within
 * what they own and respects every count. */
#include "fuzz.h"
#include "ikeprobe/exchange.h"

static const struct ike_algs suites[4] = {
	{ IKE_ENCR_AES_CBC, 256, IKE_PRF_HMAC_SHA2_256,
	    IKE_INTEG_AUTH_HMAC_SHA2_256_128, IKE_DH_CURVE25519 },
	{ IKE_ENCR_AES_CBC, 128, IKE_PRF_HMAC_SHA1, IKE_INTEG_AUTH_HMAC_SHA1_96,
	    IKE_DH_MODP_2048 },
	{ IKE_ENCR_AES_GCM_16, 256, IKE_PRF_HMAC_SHA2_384, IKE_INTEG_NONE,
	    IKE_DH_ECP_384 },
	{ IKE_ENCR_AES_GCM_16, 128, IKE_PRF_HMAC_SHA2_256, IKE_INTEG_NONE,
	    IKE_DH_ECP_256 },
};

static void
setup(struct exchange *ex, int suite)
{
	memset(ex, 0, sizeof(*ex));
	ex->type = IKE_EXCH_IKE_AUTH;
	ex->msgid = 1;
	memset(ex->spi_i, 0x11, IKE_SPI_LEN);
	memset(ex->spi_r, 0x22, IKE_SPI_LEN);
	FZ_CHECK(ike_keys_init(&ex->keys, &suites[suite]) == 0);
	memset(ex->keys.sk_ei, 0x31, ex->keys.encr_len);
	memset(ex->keys.sk_er, 0x32, ex->keys.encr_len);
	memset(ex->keys.sk_ai, 0x33, ex->keys.integ_len);
	memset(ex->keys.sk_ar, 0x34, ex->keys.integ_len);
	memset(ex->keys.sk_pr, 0x35, ex->keys.prf_len);
	ex->has_keys = true;
}

static void
check_inner(const struct exchange *ex)
{
	const struct ike_inner *in = &ex->inner;
	const uint8_t *b = ex->plain.buf;
	size_t n = ex->plain.len;

	FZ_CHECK(memchr(in->problem, 0, sizeof(in->problem)) != NULL);
	FZ_CHECK(in->n_notifies >= 0 && in->n_notifies <= IKE_MAX_NOTIFIES);
	FZ_CHECK(in->n_certs >= 0 && in->n_certs <= IKE_MAX_CERTS);
	FZ_CHECK(in->n_certs <= in->n_certs_total);
	FZ_CHECK((size_t)in->n_payloads <= n / IKE_GENERIC_HDR_LEN + 1);
	for (int i = 0; i < in->n_certs; i++) {
		FZ_CHECK(in->cert[i].off + in->cert[i].len <= n);
		fz_touch(b + in->cert[i].off, in->cert[i].len);
	}
	if (in->has_idr) {
		FZ_CHECK(in->idr.off + in->idr.len <= n);
		fz_touch(b + in->idr.off, in->idr.len);
	}
	if (in->has_auth) {
		FZ_CHECK(in->auth.off + in->auth.len <= n);
		fz_touch(b + in->auth.off, in->auth.len);
	}
	for (int i = 0; i < in->n_notifies; i++)
		fz_name(ike_notify_name(in->notifies[i]));
	fz_name(ike_eap_name(in->eap_type));
}

static void
take(struct exchange *ex, const uint8_t *m, size_t len)
{
	char err[160];
	enum exch_take t = exchange_take(ex, m, len, err, sizeof(err));

	FZ_CHECK(memchr(err, 0, sizeof(err)) != NULL || t != EXCH_TAKE_BAD);
	FZ_CHECK(ex->rx_total <= EXCH_MAX_RX_FRAGS);
	if (t == EXCH_TAKE_DONE) {
		FZ_CHECK(ex->state == EXCH_ANSWERED);
		check_inner(ex);
	}
}

static void
raw(struct exchange *ex, const uint8_t *d, size_t n)
{
	while (n >= 2) {
		size_t len = (size_t)d[0] << 8 | d[1];

		d += 2, n -= 2;
		if (len > n)
			len = n;
		take(ex, d, len);
		d += len, n -= len;
	}
}

static void
sealed(struct exchange *ex, const uint8_t *d, size_t n)
{
	struct wbuf msg, frags[EXCH_MAX_RX_FRAGS];
	struct ike_hdr h;
	size_t flen;
	uint8_t first, seed;
	int k;

	if (n < 4)
		return;
	first = d[0];
	flen = (size_t)d[1] << 8 | d[2];
	seed = d[3];
	d += 4, n -= 4;
	memset(&h, 0, sizeof(h));
	memcpy(h.spi_i, ex->spi_i, IKE_SPI_LEN);
	memcpy(h.spi_r, ex->spi_r, IKE_SPI_LEN);
	h.exchange = IKE_EXCH_IKE_AUTH;
	h.flags = IKE_FLAG_RESPONSE;
	h.msgid = 1;
	if (flen < 100) {
		wb_init(&msg);
		if (ike_seal(&ex->keys, true, &h, first, d, n, NULL, &msg) == 0)
			take(ex, msg.buf, msg.len);
		wb_free(&msg);
		return;
	}
	/* The sealing of fragments is the initiator's; the decoder takes
	 * the responder's: swap the directions' keys for the test. */
	{
		struct ike_keys rk = ex->keys;

		memcpy(rk.sk_ei, ex->keys.sk_er, sizeof(rk.sk_ei));
		memcpy(rk.sk_ai, ex->keys.sk_ar, sizeof(rk.sk_ai));
		h.flags = IKE_FLAG_RESPONSE;
		memset(frags, 0, sizeof(frags));
		k = ike_seal_fragments(&rk, &h, first, d, n, flen, frags,
		    EXCH_MAX_RX_FRAGS);
	}
	/* Every fragment once, from the seed's on, then copies of some. */
	for (int i = 0; k > 0 && i < 2 * k; i++) {
		int f = i < k ? (i + seed) % k : (i * seed) % k;

		take(ex, frags[f].buf, frags[f].len);
	}
	for (int i = 0; i < EXCH_MAX_RX_FRAGS; i++)
		wb_free(&frags[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct exchange ex;

	if (size < 1)
		return 0;
	setup(&ex, data[0] & 3);
	if (data[0] & 4)
		sealed(&ex, data + 1, size - 1);
	else
		raw(&ex, data + 1, size - 1);
	exchange_free(&ex);
	return 0;
}
