/* The IPv4 decoder on a datagram as the capture hands it over after the
 * link header: UDP with an IKE payload (parsed further), ICMP errors with
 * the quoted request, fragments, and headers that lie about their lengths. */
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
