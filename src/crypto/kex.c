/* X25519 from libsodium; the classic ECP and MODP groups from OpenSSL's
 * libcrypto, which libsodium lacks. The private half is kept in the
 * kex_value until kex_free(): IKE_AUTH derives its keys from it. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>
#include <string.h>

#include "ikeprobe/ike.h"
#include "ikeprobe/kex.h"

struct group_info {
	uint16_t	 group;
	const char	*ossl_type;	/* "EC" or "DH"; NULL: libsodium */
	const char	*ossl_name;	/* curve or named FFC group */
	size_t		 len;		/* public value bytes in the KE payload */
};

static const struct group_info group_infos[] = {
	{ IKE_DH_CURVE25519, NULL, NULL, 32 },
	{ IKE_DH_ECP_256, "EC", "P-256", 64 },
	{ IKE_DH_ECP_384, "EC", "P-384", 96 },
	{ IKE_DH_ECP_521, "EC", "P-521", 132 },
	/* RFC 6954; the proposal audit's KE (audit.h) */
	{ IKE_DH_ECP_256_BP, "EC", "brainpoolP256r1", 64 },
	{ IKE_DH_MODP_1024, "DH", NULL, 128 },	/* RFC 2409 group 2, see below */
	{ IKE_DH_MODP_1536, "DH", "modp_1536", 192 },
	{ IKE_DH_MODP_2048, "DH", "modp_2048", 256 },
	{ IKE_DH_MODP_3072, "DH", "modp_3072", 384 },
	{ IKE_DH_MODP_4096, "DH", "modp_4096", 512 },
	{ IKE_DH_MODP_2048_256, "DH", "dh_2048_256", 256 },
};

static const struct group_info *
find(uint16_t g)
{
	for (size_t i = 0; i < sizeof(group_infos) / sizeof(group_infos[0]); i++)
		if (group_infos[i].group == g)
			return &group_infos[i];
	return NULL;
}

bool
kex_supported(uint16_t group)
{
	return find(group) != NULL;
}

int
crypto_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void
random_bytes(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

/* OpenSSL has no name for the 1024-bit Oakley group, so build it from the
 * RFC 2409 prime that libcrypto ships. */
static EVP_PKEY *
modp1024_params(void)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *p = BN_get_rfc2409_prime_1024(NULL), *g = BN_new();

	if (bld && p && g && BN_set_word(g, 2) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) &&
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL)) &&
	    EVP_PKEY_fromdata_init(ctx) > 0)
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEY_PARAMETERS, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(p);
	BN_free(g);
	return pkey;
}

static int
ossl_generate(const struct group_info *gi, struct kex_value *kv)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL, *params = NULL;
	BIGNUM *pub = NULL;
	uint8_t buf[1 + 2 * 66];
	size_t blen = 0;
	int rc = -1;

	if (gi->ossl_name == NULL) {
		if ((params = modp1024_params()) == NULL)
			goto out;
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
		if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0)
			goto out;
	} else {
		/* Curves and named FFC groups share the "group" key. */
		OSSL_PARAM p[2] = {
			OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
			    (char *)(uintptr_t)gi->ossl_name, 0),
			OSSL_PARAM_construct_end(),
		};

		ctx = EVP_PKEY_CTX_new_from_name(NULL, gi->ossl_type, NULL);
		if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
		    EVP_PKEY_CTX_set_params(ctx, p) <= 0)
			goto out;
	}
	if (EVP_PKEY_generate(ctx, &pkey) <= 0)
		goto out;

	if (strcmp(gi->ossl_type, "EC") == 0) {
		/* IKE carries x | y without the 0x04 prefix (RFC 5903). */
		if (!EVP_PKEY_get_octet_string_param(pkey,
		    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf, sizeof(buf), &blen) ||
		    blen != gi->len + 1 || buf[0] != 0x04)
			goto out;
		memcpy(kv->pub, buf + 1, gi->len);
	} else {
		if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, &pub) ||
		    BN_bn2binpad(pub, kv->pub, (int)gi->len) < 0)
			goto out;
	}
	kv->len = gi->len;
	kv->pkey = pkey;	/* kept: the exchange derives from it later */
	pkey = NULL;
	rc = 0;
out:
	BN_free(pub);
	EVP_PKEY_free(pkey);
	EVP_PKEY_free(params);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

int
kex_generate(uint16_t group, struct kex_value *kv)
{
	const struct group_info *gi = find(group);

	memset(kv, 0, sizeof(*kv));
	if (gi == NULL)
		return -1;
	kv->group = group;
	if (gi->ossl_type != NULL)
		return ossl_generate(gi, kv);
	randombytes_buf(kv->x25519, sizeof(kv->x25519));
	kv->len = gi->len;
	return crypto_scalarmult_base(kv->pub, kv->x25519) == 0 ? 0 : -1;
}

int
kex_x25519_from(const uint8_t scalar[32], struct kex_value *kv)
{
	memset(kv, 0, sizeof(*kv));
	kv->group = IKE_DH_CURVE25519;
	kv->len = 32;
	memcpy(kv->x25519, scalar, 32);
	return crypto_scalarmult_base(kv->pub, kv->x25519) == 0 ? 0 : -1;
}

/* The peer's public value as an OpenSSL key of our key's group. */
static EVP_PKEY *
peer_key(const struct kex_value *kv, const struct group_info *gi,
    const uint8_t *peer, size_t len)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *p = NULL, *g = NULL, *pub = NULL;
	uint8_t pt[1 + 2 * 66];
	char group[64];
	size_t glen = 0;

	if (len != gi->len || (bld = OSSL_PARAM_BLD_new()) == NULL)
		return NULL;
	if (strcmp(gi->ossl_type, "EC") == 0) {
		/* RFC 5903: x | y; OpenSSL wants the uncompressed point. */
		pt[0] = 0x04;
		memcpy(pt + 1, peer, len);
		if (!OSSL_PARAM_BLD_push_utf8_string(bld,
		    OSSL_PKEY_PARAM_GROUP_NAME, gi->ossl_name, 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
		    pt, len + 1))
			goto out;
	} else {
		/* The domain of our own key (named, or the RFC 2409 prime
		 * given whole), and the peer's y. */
		if ((pub = BN_bin2bn(peer, (int)len, NULL)) == NULL ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, pub))
			goto out;
		if (EVP_PKEY_get_utf8_string_param(kv->pkey,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen)) {
			if (!OSSL_PARAM_BLD_push_utf8_string(bld,
			    OSSL_PKEY_PARAM_GROUP_NAME, group, 0))
				goto out;
		} else if (!EVP_PKEY_get_bn_param(kv->pkey, OSSL_PKEY_PARAM_FFC_P, &p) ||
		    !EVP_PKEY_get_bn_param(kv->pkey, OSSL_PKEY_PARAM_FFC_G, &g) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g))
			goto out;
	}
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, gi->ossl_type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pk = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(p);
	BN_free(g);
	BN_free(pub);
	return pk;
}

int
kex_shared(const struct kex_value *kv, const uint8_t *peer, size_t len,
    uint8_t *out, size_t *out_len)
{
	const struct group_info *gi = find(kv->group);
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk;
	size_t n = KEX_SHARED_MAX;
	int rc = -1;

	if (gi == NULL || len != gi->len)
		return -1;
	if (gi->ossl_type == NULL) {
		/* libsodium refuses a low-order point (an all-zero result). */
		if (crypto_scalarmult(out, kv->x25519, peer) != 0)
			return -1;
		*out_len = 32;
		return 0;
	}
	if (kv->pkey == NULL || (pk = peer_key(kv, gi, peer, len)) == NULL)
		return -1;
	/* The public-key check rejects a point off the curve and a y that
	 * is not in the group. */
	if ((ctx = EVP_PKEY_CTX_new(kv->pkey, NULL)) != NULL &&
	    EVP_PKEY_derive_init(ctx) > 0 &&
	    (strcmp(gi->ossl_type, "DH") != 0 ||
	    EVP_PKEY_CTX_set_dh_pad(ctx, 1) > 0) &&
	    EVP_PKEY_derive_set_peer_ex(ctx, pk, 1) > 0 &&
	    EVP_PKEY_derive(ctx, out, &n) > 0) {
		*out_len = n;
		rc = 0;
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return rc;
}

void
kex_free(struct kex_value *kv)
{
	EVP_PKEY_free(kv->pkey);
	sodium_memzero(kv->x25519, sizeof(kv->x25519));
	kv->pkey = NULL;
}
