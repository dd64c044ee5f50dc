/* What this machine says about itself (src/wire/sysparse.c): the kernel's
 * answer to a route query, and os-release text, through the parsers
 * src/net/context.c hands them to; and the UTF-8 copy every such string
 * takes into a report.
 *
 * Input: one byte, then the bytes the parser reads. Byte 0 bit 0: an
 * os-release file (else a netlink answer); bit 1: IPv6 (netlink) or the
 * key NAME rather than PRETTY_NAME; bits 2-7: the size of the buffer the
 * value goes into, 1 to 64. */
#include <sys/socket.h>

#include "fuzz.h"
#include "ikeprobe/sysparse.h"
#include "ikeprobe/utf8.h"

/* Valid UTF-8 with nothing utf8_unsafe, within len - 1 bytes. */
static void
fz_text(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n, k;
	uint32_t cp;

	FZ_CHECK(memchr(s, 0, len) != NULL);
	n = strlen(s);
	for (size_t i = 0; i < n; i += k) {
		k = utf8_char(u + i, n - i, &cp);
		FZ_CHECK(k > 0 && !utf8_unsafe(cp));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[65], copy[65];
	size_t len;
	struct ip_addr gw, before;

	if (size < 1)
		return 0;
	len = (size_t)(data[0] >> 2) + 1;
	if (data[0] & 1) {
		memset(out, 'x', sizeof(out));
		out[len - 1] = '\0';
		if (sys_os_release((const char *)data + 1, size - 1,
		    data[0] & 2 ? "NAME" : "PRETTY_NAME", out, len))
			/* Empty only when not even one character fits. */
			FZ_CHECK(out[0] != '\0' || len < 5);
		fz_text(out, len);
		/* The copy itself, on anything. */
		utf8_copy(copy, len, (const char *)data + 1, size - 1);
		fz_text(copy, len);
		return 0;
	}
	memset(&gw, 0xee, sizeof(gw));
	before = gw;
	if (sys_route_gateway(data + 1, size - 1, data[0] & 2 ? AF_INET6 :
	    AF_INET, &gw)) {
		FZ_CHECK(gw.family == (data[0] & 2 ? AF_INET6 : AF_INET));
		/* The address is bytes of the input. */
		FZ_CHECK(memmem(data + 1, size - 1, gw.a, ip_addr_len(&gw)) != NULL);
	} else
		FZ_CHECK(memcmp(&gw, &before, sizeof(gw)) == 0);
	return 0;
}
