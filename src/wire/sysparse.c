/* Netlink is host-endian, so its headers are copied out of the cursor
 * whole rather than read field by field as network bytes are. */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "ikeprobe/cursor.h"
#include "ikeprobe/sysparse.h"
#include "ikeprobe/utf8.h"

/* Copy the next sizeof(*hdr) bytes without consuming them. */
static bool
peek(const struct cursor *c, void *hdr, size_t len)
{
	struct cursor p = *c;

	return cur_copy(&p, hdr, len);
}

/* Netlink pads each message and attribute to 4 bytes; the last may end
 * without its padding. */
static void
skip_pad(struct cursor *c, size_t len, size_t aligned)
{
	size_t pad = aligned - len;

	cur_skip(c, pad < cur_left(c) ? pad : cur_left(c));
}

static bool
route_attrs(struct cursor *msg, int family, struct ip_addr *gw)
{
	struct ip_addr found = { .family = family };
	struct rtattr ra;
	struct rtmsg rt;
	struct cursor a;
	bool have = false;

	if (!cur_copy(msg, &rt, sizeof(rt)) || rt.rtm_family != family)
		return false;
	skip_pad(msg, sizeof(rt), NLMSG_ALIGN(sizeof(rt)));
	while (peek(msg, &ra, sizeof(ra))) {
		if (ra.rta_len < sizeof(ra) || !cur_sub(msg, ra.rta_len, &a))
			break;
		skip_pad(msg, ra.rta_len, RTA_ALIGN((size_t)ra.rta_len));
		if (ra.rta_type != RTA_GATEWAY || !cur_skip(&a, RTA_LENGTH(0)) ||
		    cur_left(&a) != ip_addr_len(&found))
			continue;
		have = cur_copy(&a, found.a, ip_addr_len(&found));
	}
	if (have)
		*gw = found;
	return have;
}

bool
sys_route_gateway(const uint8_t *buf, size_t n, int family, struct ip_addr *gw)
{
	struct nlmsghdr nh;
	struct cursor c, msg;

	if (family != AF_INET && family != AF_INET6)
		return false;
	cur_init(&c, buf, n);
	while (peek(&c, &nh, sizeof(nh))) {
		if (nh.nlmsg_len < NLMSG_HDRLEN || !cur_sub(&c, nh.nlmsg_len, &msg))
			return false;
		skip_pad(&c, nh.nlmsg_len, NLMSG_ALIGN((size_t)nh.nlmsg_len));
		if (nh.nlmsg_type == NLMSG_ERROR || nh.nlmsg_type == NLMSG_DONE)
			return false;
		if (nh.nlmsg_type != RTM_NEWROUTE)
			continue;
		/* The first route is the answer; its gateway, if any. */
		cur_skip(&msg, NLMSG_HDRLEN);
		return route_attrs(&msg, family, gw);
	}
	return false;
}

bool
sys_os_release(const char *text, size_t n, const char *key, char *out,
    size_t len)
{
	size_t klen = strlen(key), vlen;
	const uint8_t *line, *nl, *v;
	struct cursor c;
	bool found = false;

	if (len == 0)
		return false;
	cur_init(&c, text, n);
	while (cur_left(&c) > 0) {
		nl = memchr(cur_here(&c), '\n', cur_left(&c));
		vlen = nl ? (size_t)(nl - cur_here(&c)) : cur_left(&c);
		line = cur_take(&c, vlen);
		cur_skip(&c, nl ? 1 : 0);
		if (vlen <= klen || memcmp(line, key, klen) != 0 ||
		    line[klen] != '=')
			continue;
		v = line + klen + 1;
		vlen -= klen + 1;
		if (vlen > 0 && v[vlen - 1] == '\r')	/* written on Windows */
			vlen--;
		if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') &&
		    v[vlen - 1] == v[0]) {
			v++;
			vlen -= 2;
		}
		/* An empty value leaves what was there (uname's name). */
		if (vlen == 0)
			continue;
		utf8_copy(out, len, (const char *)v, vlen);
		found = true;
	}
	return found;
}
