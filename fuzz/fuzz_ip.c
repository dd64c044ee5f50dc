/* The IPv4 and IPv6 decoder on a datagram as the capture hands it over
 * after the link header: UDP with an IKE payload (parsed further), ICMP
 * and ICMPv6 errors with the quoted request, IPv6 extension header chains
 * and Fragment headers, fragments, and headers that lie about their
 * lengths. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt p;
	enum pkt_status st;

	st = pkt_decode_ip(data, size, &p);
	fz_pkt(st, &p, data, size);
	return 0;
}
