/* The NAT_DETECTION hash, from libcrypto's SHA-1: no hand-written copy. */
#include <openssl/evp.h>
#include <string.h>
#include <sys/socket.h>

#include "ikeprobe/natd.h"

int
natd_hash(const uint8_t spi_i[IKE_SPI_LEN], const uint8_t spi_r[IKE_SPI_LEN],
    const struct ip_addr *a, uint16_t port, uint8_t out[IKE_NATD_LEN])
{
	uint8_t buf[2 * IKE_SPI_LEN + 16 + 2];
	size_t alen = ip_addr_len(a), n = 0;
	unsigned int olen = 0;

	if (a->family != AF_INET && a->family != AF_INET6)
		return -1;
	memcpy(buf, spi_i, IKE_SPI_LEN);
	n += IKE_SPI_LEN;
	memcpy(buf + n, spi_r, IKE_SPI_LEN);
	n += IKE_SPI_LEN;
	memcpy(buf + n, a->a, alen);
	n += alen;
	buf[n++] = (uint8_t)(port >> 8);
	buf[n++] = (uint8_t)port;
	if (EVP_Digest(buf, n, out, &olen, EVP_sha1(), NULL) != 1 ||
	    olen != IKE_NATD_LEN)
		return -1;
	return 0;
}
