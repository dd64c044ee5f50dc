/* IKE SA keys and the SK payload, from OpenSSL's primitives. One table per
 * transform type says which primitive and how many bytes; the functions
 * below only arrange the bytes as RFC 7296 2.13-2.14 and 3.14 say. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "ikeprobe/ikecrypto.h"
#include "ikeprobe/kex.h"

struct prf_alg {
	uint16_t	 id;
	const EVP_MD	*(*md)(void);
};

static const struct prf_alg prfs[] = {
	{ IKE_PRF_HMAC_SHA1, EVP_sha1 },
	{ IKE_PRF_HMAC_SHA2_256, EVP_sha256 },
	{ IKE_PRF_HMAC_SHA2_384, EVP_sha384 },
	{ IKE_PRF_HMAC_SHA2_512, EVP_sha512 },
};

struct integ_alg {
	uint16_t	 id;
	const EVP_MD	*(*md)(void);
	size_t		 key, icv;
};

static const struct integ_alg integs[] = {
	{ IKE_INTEG_AUTH_HMAC_SHA1_96, EVP_sha1, 20, 12 },
	{ IKE_INTEG_AUTH_HMAC_SHA2_256_128, EVP_sha256, 32, 16 },
	{ IKE_INTEG_AUTH_HMAC_SHA2_384_192, EVP_sha384, 48, 24 },
	{ IKE_INTEG_AUTH_HMAC_SHA2_512_256, EVP_sha512, 64, 32 },
};

struct encr_alg {
	uint16_t	 id;
	int		 bits;		/* 0: any of 128, 192, 256 */
	bool		 aead;
	size_t		 iv, block, icv;
};

static const struct encr_alg encrs[] = {
	{ IKE_ENCR_AES_CBC, 0, false, 16, 16, 0 },
	{ IKE_ENCR_3DES, 192, false, 8, 8, 0 },
	/* RFC 5282: an 8-byte IV after a 4-byte salt from the keys */
	{ IKE_ENCR_AES_GCM_16, 0, true, 8, 1, 16 },
	/* RFC 7634: the same layout */
	{ IKE_ENCR_CHACHA20_POLY1305, 256, true, 8, 1, 16 },
};

#define AEAD_SALT	4

static const struct prf_alg *
find_prf(uint16_t id)
{
	for (size_t i = 0; i < sizeof(prfs) / sizeof(prfs[0]); i++)
		if (prfs[i].id == id)
			return &prfs[i];
	return NULL;
}

static const struct integ_alg *
find_integ(uint16_t id)
{
	for (size_t i = 0; i < sizeof(integs) / sizeof(integs[0]); i++)
		if (integs[i].id == id)
			return &integs[i];
	return NULL;
}

static const struct encr_alg *
find_encr(uint16_t id)
{
	for (size_t i = 0; i < sizeof(encrs) / sizeof(encrs[0]); i++)
		if (encrs[i].id == id)
			return &encrs[i];
	return NULL;
}

static const EVP_CIPHER *
cipher(const struct ike_algs *a)
{
	switch (a->encr) {
	case IKE_ENCR_AES_CBC:
		return a->encr_bits == 128 ? EVP_aes_128_cbc() :
		    a->encr_bits == 192 ? EVP_aes_192_cbc() :
		    a->encr_bits == 256 ? EVP_aes_256_cbc() : NULL;
	case IKE_ENCR_3DES:
		return EVP_des_ede3_cbc();
	case IKE_ENCR_AES_GCM_16:
		return a->encr_bits == 128 ? EVP_aes_128_gcm() :
		    a->encr_bits == 192 ? EVP_aes_192_gcm() :
		    a->encr_bits == 256 ? EVP_aes_256_gcm() : NULL;
	case IKE_ENCR_CHACHA20_POLY1305:
		return EVP_chacha20_poly1305();
	default:
		return NULL;
	}
}

int
ike_algs_from(const struct ike_transform *t, int n, struct ike_algs *a,
    char *err, size_t errlen)
{
	const struct encr_alg *e;

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < n; i++)
		switch (t[i].type) {
		case IKE_TT_ENCR:
			a->encr = t[i].id;
			a->encr_bits = t[i].key_length > 0 ? t[i].key_length : 0;
			break;
		case IKE_TT_PRF:
			a->prf = t[i].id;
			break;
		case IKE_TT_INTEG:
			a->integ = t[i].id;
			break;
		case IKE_TT_DH:
			a->dh = t[i].id;
			break;
		default:
			break;
		}
	if ((e = find_encr(a->encr)) == NULL) {
		snprintf(err, errlen, "the chosen cipher %s is not one ikeprobe "
		    "can use", ike_transform_name(IKE_TT_ENCR, a->encr));
		return -1;
	}
	if (e->bits)
		a->encr_bits = e->bits;
	if (cipher(a) == NULL) {
		snprintf(err, errlen, "%s with a %d-bit key is not one ikeprobe "
		    "can use", ike_transform_name(IKE_TT_ENCR, a->encr),
		    a->encr_bits);
		return -1;
	}
	if (find_prf(a->prf) == NULL) {
		snprintf(err, errlen, "the chosen PRF %s is not one ikeprobe can "
		    "use", ike_transform_name(IKE_TT_PRF, a->prf));
		return -1;
	}
	if (e->aead ? a->integ != IKE_INTEG_NONE : find_integ(a->integ) == NULL) {
		snprintf(err, errlen, "the chosen integrity %s does not go with "
		    "%s", ike_transform_name(IKE_TT_INTEG, a->integ),
		    ike_transform_name(IKE_TT_ENCR, a->encr));
		return -1;
	}
	return 0;
}

int
ike_prf(uint16_t prf, const uint8_t *key, size_t klen, const uint8_t *data,
    size_t len, uint8_t *out, size_t *out_len)
{
	const struct prf_alg *p = find_prf(prf);
	unsigned int n = 0;

	if (p == NULL || HMAC(p->md(), key, (int)klen, data, len, out, &n) == NULL)
		return -1;
	*out_len = n;
	return 0;
}

int
ike_prf_plus(uint16_t prf, const uint8_t *key, size_t klen,
    const uint8_t *seed, size_t slen, uint8_t *out, size_t n)
{
	uint8_t t[IKE_PRF_MAX], buf[IKE_PRF_MAX + 1024 + 1];
	size_t tlen = 0, done = 0, blen;
	unsigned round = 1;

	if (slen > 1024)
		return -1;
	/* T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n) */
	while (done < n) {
		if (round > 255)
			return -1;
		memcpy(buf, t, tlen);
		memcpy(buf + tlen, seed, slen);
		buf[tlen + slen] = (uint8_t)round++;
		blen = tlen + slen + 1;
		if (ike_prf(prf, key, klen, buf, blen, t, &tlen) < 0)
			return -1;
		memcpy(out + done, t, n - done < tlen ? n - done : tlen);
		done += n - done < tlen ? n - done : tlen;
	}
	OPENSSL_cleanse(t, sizeof(t));
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

int
ike_keys_init(struct ike_keys *k, const struct ike_algs *a)
{
	const struct encr_alg *e = find_encr(a->encr);
	const struct integ_alg *ig = find_integ(a->integ);
	const struct prf_alg *pf = find_prf(a->prf);

	memset(k, 0, sizeof(*k));
	if (e == NULL || pf == NULL || (!e->aead && ig == NULL) ||
	    a->encr_bits < 0 || (size_t)a->encr_bits / 8 + AEAD_SALT > IKE_KEY_MAX)
		return -1;
	k->algs = *a;
	k->aead = e->aead;
	k->iv_len = e->iv;
	k->block = e->block;
	k->icv_len = e->aead ? e->icv : ig->icv;
	k->integ_len = e->aead ? 0 : ig->key;
	k->encr_len = (size_t)a->encr_bits / 8 + (e->aead ? AEAD_SALT : 0);
	k->prf_len = (size_t)EVP_MD_get_size(pf->md());
	return 0;
}

int
ike_derive(struct ike_keys *k, const struct ike_algs *a,
    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
    const uint8_t *gir, size_t gir_len, const uint8_t spi_i[IKE_SPI_LEN],
    const uint8_t spi_r[IKE_SPI_LEN])
{
	uint8_t nonces[2 * IKE_NONCE_MAX], seed[2 * IKE_NONCE_MAX + 2 * IKE_SPI_LEN];
	uint8_t keymat[7 * IKE_KEY_MAX];
	size_t n, off = 0, need;

	if (ike_keys_init(k, a) < 0 || ni_len > IKE_NONCE_MAX ||
	    nr_len > IKE_NONCE_MAX)
		return -1;
	memcpy(nonces, ni, ni_len);
	memcpy(nonces + ni_len, nr, nr_len);
	/* SKEYSEED = prf(Ni | Nr, g^ir) */
	if (ike_prf(a->prf, nonces, ni_len + nr_len, gir, gir_len, k->skeyseed,
	    &k->prf_len) < 0)
		return -1;
	memcpy(seed, nonces, ni_len + nr_len);
	n = ni_len + nr_len;
	memcpy(seed + n, spi_i, IKE_SPI_LEN);
	memcpy(seed + n + IKE_SPI_LEN, spi_r, IKE_SPI_LEN);
	n += 2 * IKE_SPI_LEN;
	/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} */
	need = 3 * k->prf_len + 2 * k->integ_len + 2 * k->encr_len;
	if (ike_prf_plus(a->prf, k->skeyseed, k->prf_len, seed, n, keymat,
	    need) < 0)
		return -1;
	memcpy(k->sk_d, keymat + off, k->prf_len), off += k->prf_len;
	memcpy(k->sk_ai, keymat + off, k->integ_len), off += k->integ_len;
	memcpy(k->sk_ar, keymat + off, k->integ_len), off += k->integ_len;
	memcpy(k->sk_ei, keymat + off, k->encr_len), off += k->encr_len;
	memcpy(k->sk_er, keymat + off, k->encr_len), off += k->encr_len;
	memcpy(k->sk_pi, keymat + off, k->prf_len), off += k->prf_len;
	memcpy(k->sk_pr, keymat + off, k->prf_len);
	OPENSSL_cleanse(keymat, sizeof(keymat));
	return 0;
}

/* Encrypt or decrypt with the SA's cipher. For an AEAD the tag is made
 * (or checked) over aad; for CBC there is no padding of OpenSSL's own:
 * RFC 7296's is in the plaintext. */
static int
crypt(const struct ike_keys *k, bool enc, const uint8_t *key,
    const uint8_t *iv, const uint8_t *aad, size_t aad_len, const uint8_t *in,
    size_t len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t nonce[AEAD_SALT + 8];
	size_t klen = k->encr_len - (k->aead ? AEAD_SALT : 0);
	int n = 0, rc = -1;

	if (c == NULL)
		return -1;
	if (k->aead) {
		memcpy(nonce, key + klen, AEAD_SALT);
		memcpy(nonce + AEAD_SALT, iv, 8);
	}
	if (EVP_CipherInit_ex(c, cipher(&k->algs), NULL, NULL, NULL, enc) != 1 ||
	    (k->aead && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN,
	    sizeof(nonce), NULL) != 1) ||
	    EVP_CipherInit_ex(c, NULL, NULL, key, k->aead ? nonce : iv, enc) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) != 1)
		goto out;
	if (k->aead && (EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) != 1 ||
	    (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG,
	    (int)k->icv_len, tag) != 1)))
		goto out;
	if (EVP_CipherUpdate(c, out, &n, in, (int)len) != 1 ||
	    EVP_CipherFinal_ex(c, out + n, &n) != 1)
		goto out;
	if (k->aead && enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG,
	    (int)k->icv_len, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

static int
icv(const struct ike_keys *k, const uint8_t *key, const uint8_t *data,
    size_t len, uint8_t *out)
{
	const struct integ_alg *ig = find_integ(k->algs.integ);
	uint8_t full[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (ig == NULL || HMAC(ig->md(), key, (int)k->integ_len, data, len,
	    full, &n) == NULL || n < k->icv_len)
		return -1;
	memcpy(out, full, k->icv_len);
	return 0;
}

static void
header(struct wbuf *w, const struct ike_hdr *h, uint8_t np)
{
	wb_bytes(w, h->spi_i, IKE_SPI_LEN);
	wb_bytes(w, h->spi_r, IKE_SPI_LEN);
	wb_u8(w, np);
	wb_u8(w, IKE_VERSION_2);
	wb_u8(w, h->exchange);
	wb_u8(w, h->flags);
	wb_be32(w, h->msgid);
	wb_be32(w, 0);		/* length, patched */
}

/* One SK or SKF payload (number > 0) closing the message in w: the inner
 * bytes padded, encrypted and authenticated. */
static int
seal_payload(const struct ike_keys *k, bool from_responder, struct wbuf *w,
    uint8_t np, int number, int total, const uint8_t *inner, size_t len,
    const uint8_t *iv_in)
{
	const uint8_t *ke = from_responder ? k->sk_er : k->sk_ei;
	const uint8_t *ka = from_responder ? k->sk_ar : k->sk_ai;
	size_t pad = k->block > 1 ? k->block - (len + 1) % k->block : 0;
	size_t ct = len + pad + 1, start = w->len, ivat, total_len;
	uint8_t plain[65536], iv[16], tag[32];

	if (pad == k->block)
		pad = 0, ct = len + 1;
	if (ct > sizeof(plain))
		return -1;
	if (len)	/* an empty IKE_AUTH (the close) has no inner bytes */
		memcpy(plain, inner, len);
	memset(plain + len, 0, pad);
	plain[len + pad] = (uint8_t)pad;
	if (iv_in)
		memcpy(iv, iv_in, k->iv_len);
	else
		random_bytes(iv, k->iv_len);
	wb_u8(w, np);
	wb_u8(w, 0);
	wb_be16(w, 0);
	if (number) {
		wb_be16(w, (uint16_t)number);
		wb_be16(w, (uint16_t)total);
	}
	ivat = w->len;
	wb_bytes(w, iv, k->iv_len);
	wb_zero(w, ct + k->icv_len);
	if (w->failed || w->len - start > 65535 || w->len > UINT32_MAX)
		return -1;
	total_len = w->len;
	wb_patch_be16(w, start + 2, (uint16_t)(w->len - start));
	wb_patch_be16(w, 24, (uint16_t)(total_len >> 16));
	wb_patch_be16(w, 26, (uint16_t)total_len);
	if (crypt(k, true, ke, iv, w->buf, ivat, plain, ct, w->buf + ivat +
	    k->iv_len, tag) < 0)
		return -1;
	OPENSSL_cleanse(plain, ct);
	if (k->aead)
		memcpy(w->buf + w->len - k->icv_len, tag, k->icv_len);
	else if (icv(k, ka, w->buf, w->len - k->icv_len,
	    w->buf + w->len - k->icv_len) < 0)
		return -1;
	return 0;
}

int
ike_seal(const struct ike_keys *k, bool from_responder, const struct ike_hdr *h,
    uint8_t first_np, const uint8_t *inner, size_t len, const uint8_t *iv,
    struct wbuf *out)
{
	header(out, h, IKE_PL_SK);
	return seal_payload(k, from_responder, out, first_np, 0, 0, inner, len,
	    iv) < 0 || out->failed ? -1 : 0;
}

int
ike_seal_fragments(const struct ike_keys *k, const struct ike_hdr *h,
    uint8_t first_np, const uint8_t *inner, size_t len, size_t frag_len,
    struct wbuf *out, int max)
{
	/* Per fragment: the header, SKF's 8, the IV, the ICV, and at most a
	 * block of padding and the pad length (RFC 7383 2.5.1). */
	size_t overhead = IKE_HDR_LEN + 8 + k->iv_len + k->icv_len + k->block + 1;
	size_t room, off = 0;
	int total, i;

	if (frag_len <= overhead)
		return -1;
	room = frag_len - overhead;
	total = (int)((len + room - 1) / room);
	if (total < 1)
		total = 1;
	if (total > max || total > 65535)
		return -1;
	for (i = 0; i < total; i++) {
		size_t n = len - off < room ? len - off : room;

		header(&out[i], h, IKE_PL_SKF);
		if (seal_payload(k, false, &out[i], i == 0 ? first_np : 0,
		    i + 1, total, inner + off, n, NULL) < 0 || out[i].failed)
			return -1;
		off += n;
	}
	return total;
}

int
ike_open(const struct ike_keys *k, bool from_responder, const uint8_t *msg,
    size_t len, size_t sk_off, bool skf, struct wbuf *plain, char *err,
    size_t errlen)
{
	const uint8_t *ke = from_responder ? k->sk_er : k->sk_ei;
	const uint8_t *ka = from_responder ? k->sk_ar : k->sk_ai;
	size_t hdr = skf ? 8 : 4, plen, body, ct;
	uint8_t want[32], *out;
	struct cursor c;
	uint8_t pad;

	cur_init(&c, msg, len);
	if (!cur_skip(&c, sk_off + 2)) {
		snprintf(err, errlen, "encrypted payload outside the message");
		return -1;
	}
	plen = cur_be16(&c);
	if (!cur_ok(&c) || sk_off + plen != len || plen < hdr) {
		snprintf(err, errlen, "encrypted payload length %zu does not "
		    "end the %zu-byte message", plen, len);
		return -1;
	}
	body = plen - hdr;
	if (body < k->iv_len + k->icv_len + 1) {
		snprintf(err, errlen, "encrypted payload of %zu bytes is too "
		    "short for its IV and ICV", body);
		return -1;
	}
	ct = body - k->iv_len - k->icv_len;
	if (!k->aead && ct % k->block) {
		snprintf(err, errlen, "ciphertext of %zu bytes is not whole "
		    "blocks of %zu", ct, k->block);
		return -1;
	}
	if (!k->aead) {
		/* Verify before decrypting (RFC 7296 3.14). */
		if (icv(k, ka, msg, len - k->icv_len, want) < 0 ||
		    CRYPTO_memcmp(want, msg + len - k->icv_len, k->icv_len) != 0) {
			snprintf(err, errlen, "the integrity checksum does not "
			    "verify");
			return -1;
		}
	}
	wb_zero(plain, ct);
	if (plain->failed)
		return -1;
	out = plain->buf + plain->len - ct;
	if (crypt(k, false, ke, msg + sk_off + hdr, msg, sk_off + hdr, msg +
	    sk_off + hdr + k->iv_len, ct, out, (uint8_t *)(uintptr_t)(msg + len -
	    k->icv_len)) < 0) {
		snprintf(err, errlen, k->aead ? "the authentication tag does not "
		    "verify" : "decryption failed");
		plain->len -= ct;
		return -1;
	}
	pad = out[ct - 1];
	if ((size_t)pad + 1 > ct) {
		snprintf(err, errlen, "padding of %u bytes in %zu of plaintext",
		    pad, ct);
		plain->len -= ct;
		return -1;
	}
	plain->len -= (size_t)pad + 1;
	return 0;
}

void
ike_algs_str(const struct ike_algs *a, char *buf, size_t len)
{
	char bits[16] = "";
	int n;

	if (a->encr_bits && a->encr != IKE_ENCR_3DES &&
	    a->encr != IKE_ENCR_CHACHA20_POLY1305)
		snprintf(bits, sizeof(bits), "-%d", a->encr_bits);
	n = snprintf(buf, len, "%s%s", ike_transform_name(IKE_TT_ENCR, a->encr),
	    bits);
	if (n > 0 && (size_t)n < len && a->integ != IKE_INTEG_NONE)
		n += snprintf(buf + n, len - (size_t)n, "/%s",
		    ike_transform_name(IKE_TT_INTEG, a->integ));
	if (n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "/%s",
		    ike_transform_name(IKE_TT_PRF, a->prf));
	if (n > 0 && (size_t)n < len && a->dh)
		snprintf(buf + n, len - (size_t)n, "/%s", ike_dh_name(a->dh));
}
