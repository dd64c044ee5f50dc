/* NAT detection (RFC 7296 2.23): each side hashes the SPIs with the address
 * and port it sends from and the one it sends to; a hash that does not
 * match what the other side sees means a NAT rewrote them on the way. */
#ifndef IKEPROBE_NATD_H
#define IKEPROBE_NATD_H

#include <stdint.h>

#include "ikeprobe/ike_msg.h"
#include "ikeprobe/packet.h"

/* SHA-1(SPIi | SPIr | address | port), with OpenSSL's libcrypto. SPIr is
 * all zero in a request. 0, or -1 if the digest failed. */
int	 natd_hash(const uint8_t spi_i[IKE_SPI_LEN],
	    const uint8_t spi_r[IKE_SPI_LEN], const struct ip_addr *,
	    uint16_t port, uint8_t out[IKE_NATD_LEN]);

#endif
