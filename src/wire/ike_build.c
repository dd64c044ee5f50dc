/* The IKE_SA_INIT request ikeprobe sends. Its proposals are broad on purpose:
 * a gateway should find something it accepts, so that it answers with a real
 * SA (or a stateless INVALID_KE_PAYLOAD) rather than NO_PROPOSAL_CHOSEN. */
#include <string.h>

#include "config.h"
#include "ikeprobe/ike.h"
#include "ikeprobe/ike_msg.h"

/* AEAD suites of modern gateways. No INTEG transform (RFC 5282). */
static const struct ike_xform aead_xforms[] = {
	{ IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 256 },
	{ IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 128 },
	{ IKE_TT_ENCR, IKE_ENCR_CHACHA20_POLY1305, 0 },
	{ IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0 },
	{ IKE_TT_PRF, IKE_PRF_HMAC_SHA2_384, 0 },
	{ IKE_TT_PRF, IKE_PRF_HMAC_SHA2_512, 0 },
};

/* CBC suites, including the Windows RRAS and Always On VPN defaults
 * (3DES/AES-CBC with SHA-1/SHA-256 and MODP 1024/2048). */
static const struct ike_xform cbc_xforms[] = {
	{ IKE_TT_ENCR, IKE_ENCR_AES_CBC, 256 },
	{ IKE_TT_ENCR, IKE_ENCR_AES_CBC, 128 },
	{ IKE_TT_ENCR, IKE_ENCR_3DES, 0 },
	{ IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0 },
	{ IKE_TT_PRF, IKE_PRF_HMAC_SHA2_384, 0 },
	{ IKE_TT_PRF, IKE_PRF_HMAC_SHA2_512, 0 },
	{ IKE_TT_PRF, IKE_PRF_HMAC_SHA1, 0 },
	{ IKE_TT_INTEG, IKE_INTEG_AUTH_HMAC_SHA2_256_128, 0 },
	{ IKE_TT_INTEG, IKE_INTEG_AUTH_HMAC_SHA2_384_192, 0 },
	{ IKE_TT_INTEG, IKE_INTEG_AUTH_HMAC_SHA2_512_256, 0 },
	{ IKE_TT_INTEG, IKE_INTEG_AUTH_HMAC_SHA1_96, 0 },
};

/* Groups offered in both proposals, strongest and cheapest first. */
static const uint16_t groups[] = {
	IKE_DH_CURVE25519, IKE_DH_ECP_256, IKE_DH_ECP_384, IKE_DH_ECP_521,
	IKE_DH_MODP_2048, IKE_DH_MODP_2048_256, IKE_DH_MODP_1024,
};

/* RFC 7427 hash algorithms: SHA2-256, SHA2-384, SHA2-512. */
static const uint16_t sig_hashes[] = { 2, 3, 4 };

static const char vendor_id[] = "ikeprobe/" IKEPROBE_VERSION;

/* Start a payload: generic header with the length patched by pl_end. The
 * next-payload byte of the previous payload is patched when the next one
 * starts, so callers list payloads in order and never track types. */
struct pl_chain {
	struct wbuf	*w;
	size_t		 prev_np;	/* offset of the previous next-payload byte */
	size_t		 start;
};

static void
pl_begin(struct pl_chain *c, uint8_t type)
{
	wb_patch_u8(c->w, c->prev_np, type);
	c->start = c->w->len;
	c->prev_np = c->w->len;
	wb_u8(c->w, IKE_PL_NONE);
	wb_u8(c->w, 0);		/* critical bit clear, reserved */
	wb_be16(c->w, 0);	/* length, patched */
}

static void
pl_end(struct pl_chain *c)
{
	wb_patch_be16(c->w, c->start + 2, (uint16_t)(c->w->len - c->start));
}

static void
add_transform(struct wbuf *w, const struct ike_xform *x, bool last)
{
	wb_u8(w, last ? 0 : 3);
	wb_u8(w, 0);
	wb_be16(w, x->keylen ? 12 : 8);
	wb_u8(w, x->type);
	wb_u8(w, 0);
	wb_be16(w, x->id);
	if (x->keylen) {
		wb_be16(w, IKE_ATTR_TV | IKE_ATTR_KEY_LENGTH);
		wb_be16(w, x->keylen);
	}
}

static void
add_proposal(struct wbuf *w, uint8_t num, bool last, const struct ike_xform *xs,
    size_t nxs, const struct ike_sa_init_req *r)
{
	size_t start = w->len, ncount = nxs, i, ng = 0;
	const uint16_t *gl[sizeof(groups) / sizeof(groups[0])];

	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (!r->omit || groups[i] != r->omit_group)
			gl[ng++] = &groups[i];
	ncount += ng;

	wb_u8(w, last ? 0 : 2);
	wb_u8(w, 0);
	wb_be16(w, 0);		/* length, patched */
	wb_u8(w, num);
	wb_u8(w, IKE_PROTO_IKE);
	wb_u8(w, 0);		/* SPI size: none in IKE_SA_INIT */
	wb_u8(w, (uint8_t)ncount);
	for (i = 0; i < nxs; i++)
		add_transform(w, &xs[i], false);
	for (i = 0; i < ng; i++) {
		struct ike_xform x = { IKE_TT_DH, *gl[i], 0 };
		add_transform(w, &x, i + 1 == ng);
	}
	wb_patch_be16(w, start + 2, (uint16_t)(w->len - start));
}

/* An offer as given: no group left out (its KE names none of its groups). */
static void
add_offer(struct wbuf *w, const struct ike_offer *o)
{
	int np = o->n < IKE_OFFER_PROPS ? o->n : IKE_OFFER_PROPS;

	for (int p = 0; p < np; p++) {
		const struct ike_offer_prop *pr = &o->prop[p];
		size_t start = w->len;
		int n = pr->n < IKE_OFFER_XFORMS ? pr->n : IKE_OFFER_XFORMS;

		wb_u8(w, p + 1 == np ? 0 : 2);
		wb_u8(w, 0);
		wb_be16(w, 0);		/* length, patched */
		wb_u8(w, (uint8_t)(p + 1));
		wb_u8(w, IKE_PROTO_IKE);
		wb_u8(w, 0);
		wb_u8(w, (uint8_t)n);
		for (int i = 0; i < n; i++)
			add_transform(w, &pr->x[i], i + 1 == n);
		wb_patch_be16(w, start + 2, (uint16_t)(w->len - start));
	}
}

static void
add_notify(struct pl_chain *c, uint16_t type, const void *data, size_t len)
{
	pl_begin(c, IKE_PL_NOTIFY);
	wb_u8(c->w, 0);		/* protocol: none, about the IKE SA */
	wb_u8(c->w, 0);		/* SPI size */
	wb_be16(c->w, type);
	if (len)
		wb_bytes(c->w, data, len);
	pl_end(c);
}

void
ike_build_sa_init(struct wbuf *w, const struct ike_sa_init_req *r)
{
	struct pl_chain c = { w, 16, 0 };
	size_t hdr = w->len, i;
	uint8_t hashes[sizeof(sig_hashes)];

	c.prev_np = hdr + 16;
	wb_bytes(w, r->spi_i, IKE_SPI_LEN);
	wb_zero(w, IKE_SPI_LEN);
	wb_u8(w, IKE_PL_NONE);	/* first payload, patched */
	wb_u8(w, IKE_VERSION_2);
	wb_u8(w, IKE_EXCH_IKE_SA_INIT);
	wb_u8(w, IKE_FLAG_INITIATOR);
	wb_be32(w, 0);		/* message ID */
	wb_be32(w, 0);		/* length, patched */

	/* RFC 7296 2.6: an echoed COOKIE must be the first payload. */
	if (r->cookie)
		add_notify(&c, IKE_N_COOKIE, r->cookie, r->cookie_len);

	pl_begin(&c, IKE_PL_SA);
	if (r->offer)
		add_offer(w, r->offer);
	else {
		add_proposal(w, 1, false, aead_xforms,
		    sizeof(aead_xforms) / sizeof(aead_xforms[0]), r);
		add_proposal(w, 2, true, cbc_xforms,
		    sizeof(cbc_xforms) / sizeof(cbc_xforms[0]), r);
	}
	pl_end(&c);

	pl_begin(&c, IKE_PL_KE);
	wb_be16(w, r->ke_group);
	wb_be16(w, 0);
	wb_bytes(w, r->ke, r->ke_len);
	pl_end(&c);

	pl_begin(&c, IKE_PL_NONCE);
	wb_bytes(w, r->nonce, r->nonce_len);
	pl_end(&c);

	/* RFC 7296 2.23: both hashes in every request, so that the gateway
	 * answers with its own and the report can tell whether a NAT sits
	 * between the two (and whether UDP 4500 will be needed). */
	if (r->natd_src && r->natd_dst) {
		add_notify(&c, IKE_N_NAT_DETECTION_SOURCE_IP, r->natd_src,
		    IKE_NATD_LEN);
		add_notify(&c, IKE_N_NAT_DETECTION_DESTINATION_IP, r->natd_dst,
		    IKE_NATD_LEN);
	}

	if (!r->no_fragmentation)
		add_notify(&c, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	for (i = 0; i < sizeof(sig_hashes) / sizeof(sig_hashes[0]); i++) {
		hashes[2 * i] = (uint8_t)(sig_hashes[i] >> 8);
		hashes[2 * i + 1] = (uint8_t)sig_hashes[i];
	}
	add_notify(&c, IKE_N_SIGNATURE_HASH_ALGORITHMS, hashes, sizeof(hashes));

	pl_begin(&c, IKE_PL_VENDOR_ID);
	wb_bytes(w, vendor_id, sizeof(vendor_id) - 1);
	pl_end(&c);

	/* Padding goes last so that everything a responder reads first is the
	 * same whatever the probe size. Unknown status notifies MUST be
	 * ignored (RFC 7296 3.10.1), and unlike a Vendor ID they are not
	 * printed in full in gateway logs. */
	if (r->pad_len >= IKE_PAD_MIN) {
		pl_begin(&c, IKE_PL_NOTIFY);
		wb_u8(w, 0);
		wb_u8(w, 0);
		wb_be16(w, IKE_N_IKEPROBE_PADDING);
		wb_zero(w, r->pad_len - IKE_PAD_MIN);
		pl_end(&c);
	}

	if (w->len - hdr > UINT32_MAX)
		w->failed = true;
	else {
		uint32_t len = (uint32_t)(w->len - hdr);

		wb_patch_be16(w, hdr + 24, (uint16_t)(len >> 16));
		wb_patch_be16(w, hdr + 26, (uint16_t)len);
	}
}

/* IKE_AUTH: what a Windows user tunnel sends before EAP (RFC 7296 2.16):
 * IDi, CERTREQ, CP, SAi2, TSi, TSr and no AUTH, which asks the gateway
 * for EAP. No INITIAL_CONTACT: it would tell the gateway to drop other SAs
 * of this identity. */
static void
add_ts(struct pl_chain *c, uint8_t type, int family)
{
	size_t alen = family == 6 ? 16 : 4;

	pl_begin(c, type);
	wb_u8(c->w, 1);		/* one selector */
	wb_zero(c->w, 3);
	wb_u8(c->w, family == 6 ? IKE_TS_IPV6_ADDR_RANGE : IKE_TS_IPV4_ADDR_RANGE);
	wb_u8(c->w, 0);		/* any protocol */
	wb_be16(c->w, (uint16_t)(8 + 2 * alen));
	wb_be16(c->w, 0);
	wb_be16(c->w, 65535);
	wb_zero(c->w, alen);
	for (size_t i = 0; i < alen; i++)
		wb_u8(c->w, 0xff);
	pl_end(c);
}

/* ESP proposals a client offers: AES-GCM, then AES-CBC with SHA-2. */
static void
add_esp_sa(struct pl_chain *c, const uint8_t spi[4])
{
	static const struct ike_xform gcm[] = {
		{ IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 256 },
		{ IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 128 },
		{ IKE_TT_ESN, 0, 0 },
	};
	static const struct ike_xform cbc[] = {
		{ IKE_TT_ENCR, IKE_ENCR_AES_CBC, 256 },
		{ IKE_TT_ENCR, IKE_ENCR_AES_CBC, 128 },
		{ IKE_TT_INTEG, IKE_INTEG_AUTH_HMAC_SHA2_256_128, 0 },
		{ IKE_TT_INTEG, IKE_INTEG_AUTH_HMAC_SHA1_96, 0 },
		{ IKE_TT_ESN, 0, 0 },
	};
	const struct { const struct ike_xform *x; size_t n; } props[] = {
		{ gcm, sizeof(gcm) / sizeof(gcm[0]) },
		{ cbc, sizeof(cbc) / sizeof(cbc[0]) },
	};

	pl_begin(c, IKE_PL_SA);
	for (size_t p = 0; p < 2; p++) {
		size_t start = c->w->len;

		wb_u8(c->w, p + 1 < 2 ? 2 : 0);
		wb_u8(c->w, 0);
		wb_be16(c->w, 0);
		wb_u8(c->w, (uint8_t)(p + 1));
		wb_u8(c->w, IKE_PROTO_ESP);
		wb_u8(c->w, 4);		/* SPI size */
		wb_u8(c->w, (uint8_t)props[p].n);
		wb_bytes(c->w, spi, 4);
		for (size_t i = 0; i < props[p].n; i++)
			add_transform(c->w, &props[p].x[i], i + 1 == props[p].n);
		wb_patch_be16(c->w, start + 2, (uint16_t)(c->w->len - start));
	}
	pl_end(c);
}

void
ike_build_auth(struct wbuf *w, const struct ike_auth_req *r, uint8_t *first)
{
	struct pl_chain c = { w, 0, 0 };
	size_t first_at;

	/* The first payload's type goes in the SK header, not here: a
	 * placeholder byte that the chain patches, then dropped. */
	first_at = w->len;
	wb_u8(w, 0);
	c.prev_np = first_at;

	pl_begin(&c, IKE_PL_IDi);
	wb_u8(w, r->id_type);
	wb_zero(w, 3);
	wb_bytes(w, r->id, r->id_len);
	pl_end(&c);

	if (r->cert) {
		pl_begin(&c, IKE_PL_CERT);
		wb_u8(w, IKE_CERT_X509_SIGNATURE);
		wb_bytes(w, r->cert, r->cert_len);
		pl_end(&c);
	}

	/* RFC 7296 3.7: SHA-1 hashes of the public keys of the CAs we trust;
	 * none at all still says "send your certificate". */
	pl_begin(&c, IKE_PL_CERTREQ);
	wb_u8(w, IKE_CERT_X509_SIGNATURE);
	wb_bytes(w, r->ca_hashes, r->n_ca_hashes * 20);
	pl_end(&c);

	if (r->auth) {
		pl_begin(&c, IKE_PL_AUTH);
		wb_u8(w, r->auth_method);
		wb_zero(w, 3);
		wb_bytes(w, r->auth, r->auth_len);
		pl_end(&c);
	}

	/* An address for the tunnel and DNS servers, as Windows asks. */
	pl_begin(&c, IKE_PL_CP);
	wb_u8(w, IKE_CP_REQUEST);
	wb_zero(w, 3);
	wb_be16(w, r->family == 6 ? IKE_CFG_INTERNAL_IP6_ADDRESS :
	    IKE_CFG_INTERNAL_IP4_ADDRESS);
	wb_be16(w, 0);
	wb_be16(w, r->family == 6 ? IKE_CFG_INTERNAL_IP6_DNS :
	    IKE_CFG_INTERNAL_IP4_DNS);
	wb_be16(w, 0);
	pl_end(&c);

	add_esp_sa(&c, r->esp_spi);
	add_ts(&c, IKE_PL_TSi, r->family);
	add_ts(&c, IKE_PL_TSr, r->family);

	*first = w->failed ? IKE_PL_NONE : w->buf[first_at];
	/* Drop the placeholder. */
	if (!w->failed) {
		memmove(w->buf + first_at, w->buf + first_at + 1,
		    w->len - first_at - 1);
		w->len--;
	}
}

void
ike_build_delete(struct wbuf *w, uint8_t *first)
{
	/* RFC 7296 3.11: the IKE SA itself (protocol IKE, no SPIs listed). */
	wb_u8(w, IKE_PL_NONE);
	wb_u8(w, 0);
	wb_be16(w, 8);
	wb_u8(w, IKE_PROTO_IKE);
	wb_u8(w, 0);
	wb_be16(w, 0);
	*first = IKE_PL_DELETE;
}
