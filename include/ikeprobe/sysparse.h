/* Parsers of what this machine says about itself: the kernel's answer to
 * a route query (netlink) and an os-release file. Both are input from
 * outside ikeprobe, read with the cursor and every length checked; they
 * take bytes and do no I/O, so the unit tests and fuzz/fuzz_host.c reach
 * them (src/net/context.c does the asking and reading). */
#ifndef IKEPROBE_SYSPARSE_H
#define IKEPROBE_SYSPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikeprobe/packet.h"

/* The gateway (RTA_GATEWAY) of the first RTM_NEWROUTE of family in an
 * RTM_GETROUTE answer of n bytes. False when there is none (on-link), the
 * answer is an error, or it is malformed; gw is then untouched. */
bool	 sys_route_gateway(const uint8_t *buf, size_t n, int family,
	    struct ip_addr *gw);

/* The value of KEY= in os-release text (os-release(5)): the last line
 * that sets it, unquoted, as valid UTF-8 without control characters or
 * bidirectional marks (utf8_copy), cut to fit len bytes (empty when its
 * first character does not fit). False when no line gives it a non-empty value; out is
 * then untouched. */
bool	 sys_os_release(const char *text, size_t n, const char *key, char *out,
	    size_t len);

#endif
