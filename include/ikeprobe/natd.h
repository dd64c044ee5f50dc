/* NAT detection (RFC 7296 2.23): each side hashes the SPIs with the address
 * and port it sends from and the one it sends to; a hash that does not
 * match what the other side sees means a NAT rewrote them on the way. */
#ifndef IKEPROBE_NATD_H
#define IKEPROBE_NATD_H

#include <stdbool.h>
#include <stdint.h>

#include "ikeprobe/ike_msg.h"
#include "ikeprobe/packet.h"

/* SHA-1(SPIi | SPIr | address | port), with OpenSSL's libcrypto. SPIr is
 * all zero in a request. 0, or -1 if the digest failed. */
int	 natd_hash(const uint8_t spi_i[IKE_SPI_LEN],
	    const uint8_t spi_r[IKE_SPI_LEN], const struct ip_addr *,
	    uint16_t port, uint8_t out[IKE_NATD_LEN]);

/* What a full IKE_SA_INIT answer's NAT_DETECTION notifies say of the way
 * from local:sport to target:dport, recomputed with the answer's SPIs:
 * 1 rewritten (a NAT), 0 as sent, -1 not known (no such hash, or the
 * digest failed). client: our side (NAT_DETECTION_DESTINATION_IP),
 * gateway: the gateway's (NAT_DETECTION_SOURCE_IP). */
struct natd_seen {
	int		 client, gateway;
};

void	 natd_judge(const uint8_t spi_i[IKE_SPI_LEN], const struct ike_reply *,
	    const struct ip_addr *local, uint16_t sport,
	    const struct ip_addr *target, uint16_t dport, struct natd_seen *);
/* Either side rewritten. */
bool	 natd_nat(const struct natd_seen *);

#endif
