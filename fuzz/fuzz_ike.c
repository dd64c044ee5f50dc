/* The IKE parser on an IKE message as a gateway might send it: header,
 * payload chain, SA proposals and transforms, notifies, Vendor IDs. The
 * input is also read as a NAT-T payload when it starts with the non-ESP
 * marker, as ikeprobe does for replies on port 4500. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_ike(data, size);
	return 0;
}
