/* Key exchange: the public value for the KE payload, and the private one
 * kept for as long as the exchange that uses it lives, so that a later
 * exchange (IKE_AUTH) can derive the shared secret. The public values
 * must be real, or gateways reject them (strongSwan checks ECP points). */
#ifndef IKEPROBE_KEX_H
#define IKEPROBE_KEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikeprobe/ike_msg.h"

#define KEX_SHARED_MAX	IKE_KE_MAX

struct kex_value {
	uint16_t	 group;
	size_t		 len;
	uint8_t		 pub[IKE_KE_MAX];
	/* The private half: an OpenSSL key (EVP_PKEY) for the ECP and MODP
	 * groups, or the X25519 scalar (libsodium). */
	void		*pkey;
	uint8_t		 x25519[32];
};

bool	 kex_supported(uint16_t group);
/* 0, or -1 if the group is unsupported or key generation failed. */
int	 kex_generate(uint16_t group, struct kex_value *);
/* The shared secret with the peer's public value as carried in its KE
 * payload (RFC 7296 2.14: g^ir, big-endian, or the X coordinate for ECP
 * (RFC 5903), or the X25519 output (RFC 8031)). 0, or -1 if the peer's
 * value is invalid for the group. */
int	 kex_shared(const struct kex_value *, const uint8_t *peer, size_t len,
	    uint8_t *out, size_t *out_len);
/* X25519 from a given scalar (for tests with published vectors). */
int	 kex_x25519_from(const uint8_t scalar[32], struct kex_value *);
void	 kex_free(struct kex_value *);
int	 crypto_init(void);
void	 random_bytes(void *, size_t);

#endif
