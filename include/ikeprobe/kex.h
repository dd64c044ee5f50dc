/* Key-exchange public values for the KE payload. We never finish an
 * exchange, so private keys are dropped at once; the public values must
 * still be real, or gateways reject them (strongSwan checks ECP points). */
#ifndef IKEPROBE_KEX_H
#define IKEPROBE_KEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikeprobe/ike_msg.h"

struct kex_value {
	uint16_t	 group;
	size_t		 len;
	uint8_t		 pub[IKE_KE_MAX];
};

bool	 kex_supported(uint16_t group);
/* 0, or -1 if the group is unsupported or key generation failed. */
int	 kex_generate(uint16_t group, struct kex_value *);
int	 crypto_init(void);
void	 random_bytes(void *, size_t);

#endif
