/* The IKE SA's keys and the SK payload (RFC 7296 2.13-2.14, 3.14), with
 * RFC 5282 (AES-GCM), RFC 7634 (ChaCha20-Poly1305) and RFC 7383 (SKF
 * fragments). Every primitive is OpenSSL's libcrypto; this file only
 * arranges what RFC 7296 says goes where. Every transform ikeprobe offers
 * in IKE_SA_INIT is one it can finish here. */
#ifndef IKEPROBE_IKECRYPTO_H
#define IKEPROBE_IKECRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikeprobe/cursor.h"
#include "ikeprobe/ike.h"
#include "ikeprobe/ike_msg.h"

#define IKE_PRF_MAX	64	/* SHA-512 */
#define IKE_KEY_MAX	68	/* AES-256 key and the 4-byte AEAD salt */

/* The transforms of the IKE SA, as the responder chose them. */
struct ike_algs {
	uint16_t	 encr;
	int		 encr_bits;	/* key length, or 0 where the cipher fixes it */
	uint16_t	 prf;
	uint16_t	 integ;		/* IKE_INTEG_NONE with an AEAD cipher */
	uint16_t	 dh;
};

struct ike_keys {
	struct ike_algs	 algs;
	size_t		 prf_len;	/* output = SK_d, SK_p* length */
	size_t		 encr_len;	/* SK_e* length: key, and salt for AEAD */
	size_t		 integ_len;	/* SK_a* length, 0 for AEAD */
	size_t		 icv_len;	/* bytes of the ICV (tag) */
	size_t		 iv_len;	/* bytes of IV in every SK payload */
	size_t		 block;		/* plaintext is padded to this */
	bool		 aead;
	uint8_t		 skeyseed[IKE_PRF_MAX];
	uint8_t		 sk_d[IKE_PRF_MAX], sk_pi[IKE_PRF_MAX], sk_pr[IKE_PRF_MAX];
	uint8_t		 sk_ai[IKE_PRF_MAX], sk_ar[IKE_PRF_MAX];
	uint8_t		 sk_ei[IKE_KEY_MAX], sk_er[IKE_KEY_MAX];
};

/* The algorithms of a full IKE_SA_INIT answer's chosen proposal: 0, or
 * -1 with a reason (a transform ikeprobe cannot finish). */
int	 ike_algs_from(const struct ike_transform *, int n, struct ike_algs *,
	    char *err, size_t errlen);

/* The key and block lengths of these algorithms, keys zero (set them by
 * hand, as a replay does from a report): 0, or -1 when not supported. */
int	 ike_keys_init(struct ike_keys *, const struct ike_algs *);

/* prf(key, data) of RFC 7296 2.13: HMAC with the PRF's hash. */
int	 ike_prf(uint16_t prf, const uint8_t *key, size_t klen,
	    const uint8_t *data, size_t len, uint8_t *out, size_t *out_len);
/* prf+ (RFC 7296 2.13): n bytes of T1 | T2 | ... */
int	 ike_prf_plus(uint16_t prf, const uint8_t *key, size_t klen,
	    const uint8_t *seed, size_t slen, uint8_t *out, size_t n);

/* SKEYSEED = prf(Ni | Nr, g^ir) and the seven keys from prf+(SKEYSEED,
 * Ni | Nr | SPIi | SPIr). 0, or -1. */
int	 ike_derive(struct ike_keys *, const struct ike_algs *,
	    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
	    const uint8_t *gir, size_t gir_len,
	    const uint8_t spi_i[IKE_SPI_LEN], const uint8_t spi_r[IKE_SPI_LEN]);

/* A protected message (RFC 7296 3.14): the IKE header, then one SK payload
 * carrying the inner payloads (first_np names the first). */
struct ike_hdr {
	uint8_t		 spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
	uint8_t		 exchange;
	uint8_t		 flags;
	uint32_t	 msgid;
};

/* The whole message into out, sealed with the initiator's keys (or the
 * responder's: from_responder, for tests); iv (iv_len bytes) is used as
 * given, NULL for random. 0, or -1. */
int	 ike_seal(const struct ike_keys *, bool from_responder,
	    const struct ike_hdr *, uint8_t first_np, const uint8_t *inner,
	    size_t len, const uint8_t *iv, struct wbuf *out);
/* The same cut into RFC 7383 SKF fragments, each a whole message of at
 * most frag_len bytes (IKE header on): their count in out[], or -1. */
int	 ike_seal_fragments(const struct ike_keys *, const struct ike_hdr *,
	    uint8_t first_np, const uint8_t *inner, size_t len, size_t frag_len,
	    struct wbuf *out, int max);

/* Check and decrypt the SK or SKF payload of a received message: msg is
 * the whole IKE message, sk_off the offset of the payload's generic header
 * (it must be the last payload). The inner payloads (without padding) go
 * into plain. 0, or -1 with a reason (the ICV does not verify, the
 * lengths lie). */
int	 ike_open(const struct ike_keys *, bool from_responder,
	    const uint8_t *msg, size_t len, size_t sk_off, bool skf,
	    struct wbuf *plain, char *err, size_t errlen);

/* The name of what the keys use, e.g. "AES_GCM_16-256/PRF_HMAC_SHA2_256". */
void	 ike_algs_str(const struct ike_algs *, char *, size_t);

#endif
