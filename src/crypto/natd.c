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

/* 1 if the hash of a:port matches none of hashes[], 0 if one does, -1 if
 * there are none to compare with. */
static int
rewritten(const uint8_t spi_i[IKE_SPI_LEN], const uint8_t spi_r[IKE_SPI_LEN],
    const struct ip_addr *a, uint16_t port, const uint8_t (*hashes)[IKE_NATD_LEN],
    int n)
{
	uint8_t want[IKE_NATD_LEN];

	if (n == 0 || natd_hash(spi_i, spi_r, a, port, want) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (memcmp(hashes[i], want, IKE_NATD_LEN) == 0)
			return 0;
	return 1;
}

void
natd_judge(const uint8_t spi_i[IKE_SPI_LEN], const struct ike_reply *r,
    const struct ip_addr *local, uint16_t sport, const struct ip_addr *target,
    uint16_t dport, struct natd_seen *s)
{
	/* The destination hash is over our address as the gateway saw it;
	 * the source hashes over the addresses the gateway answers from. */
	s->client = rewritten(spi_i, r->spi_r, local, sport,
	    r->has_natd_dst ? &r->natd_dst : NULL, r->has_natd_dst ? 1 : 0);
	s->gateway = rewritten(spi_i, r->spi_r, target, dport,
	    (const uint8_t (*)[IKE_NATD_LEN])r->natd_src, r->n_natd_src);
}

bool
natd_nat(const struct natd_seen *s)
{
	return s->client == 1 || s->gateway == 1;
}
