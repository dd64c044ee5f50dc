/* What this machine says about itself, parsed from bytes: the kernel's
 * RTM_GETROUTE answer as the kernel lays it out, and os-release files as
 * distributions (and hostile or broken ones) write them; then the UTF-8
 * copy every such string goes through before it enters a report. */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "ikeprobe/sysparse.h"
#include "ikeprobe/utf8.h"

struct nlbuf {
	uint8_t	 b[1024];
	size_t	 len;
	size_t	 msg;		/* where the open message starts */
};

static void
nl_msg(struct nlbuf *nb, unsigned short type, int family)
{
	struct nlmsghdr nh = { .nlmsg_type = type };
	struct rtmsg rt = { .rtm_family = (unsigned char)family };

	nb->msg = nb->len;
	memcpy(nb->b + nb->len, &nh, sizeof(nh));
	nb->len += NLMSG_HDRLEN;
	memcpy(nb->b + nb->len, &rt, sizeof(rt));
	nb->len += NLMSG_ALIGN(sizeof(rt));
}

static void
nl_attr(struct nlbuf *nb, unsigned short type, const void *data, size_t n)
{
	struct rtattr ra = { .rta_type = type,
	    .rta_len = (unsigned short)RTA_LENGTH(n) };

	memcpy(nb->b + nb->len, &ra, sizeof(ra));
	memcpy(nb->b + nb->len + RTA_LENGTH(0), data, n);
	nb->len += RTA_SPACE(n);
}

static void
nl_end(struct nlbuf *nb)
{
	uint32_t len = (uint32_t)(nb->len - nb->msg);

	memcpy(nb->b + nb->msg, &len, sizeof(len));
}

static void
test_route(void)
{
	static const uint8_t v4[4] = { 192, 0, 2, 1 }, dst[4] = { 198, 51, 100, 10 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct ip_addr gw;
	struct nlbuf nb;
	uint32_t oif = 2;

	/* A route via a router: DST, OIF, GATEWAY, as the kernel answers. */
	memset(&nb, 0, sizeof(nb));
	nl_msg(&nb, RTM_NEWROUTE, AF_INET);
	nl_attr(&nb, RTA_DST, dst, 4);
	nl_attr(&nb, RTA_OIF, &oif, 4);
	nl_attr(&nb, RTA_GATEWAY, v4, 4);
	nl_end(&nb);
	memset(&gw, 0, sizeof(gw));
	CHECK(sys_route_gateway(nb.b, nb.len, AF_INET, &gw));
	CHECK(gw.family == AF_INET && memcmp(gw.a, v4, 4) == 0);
	/* The same answer cut anywhere: never past the end, and no gateway
	 * from an attribute that did not arrive whole. */
	for (size_t cut = 0; cut < nb.len; cut++) {
		struct nlmsghdr nh;

		memcpy(&nh, nb.b, sizeof(nh));
		nh.nlmsg_len = (uint32_t)cut;
		memcpy(nb.b, &nh, sizeof(nh));
		memset(&gw, 0, sizeof(gw));
		CHECK(!sys_route_gateway(nb.b, cut, AF_INET, &gw));
	}
	nl_end(&nb);
	/* Asked for IPv6, an IPv4 answer is not one. */
	CHECK(!sys_route_gateway(nb.b, nb.len, AF_INET6, &gw));

	/* On-link: no gateway attribute. */
	memset(&nb, 0, sizeof(nb));
	nl_msg(&nb, RTM_NEWROUTE, AF_INET);
	nl_attr(&nb, RTA_DST, dst, 4);
	nl_end(&nb);
	CHECK(!sys_route_gateway(nb.b, nb.len, AF_INET, &gw));

	/* A gateway of the wrong length is not taken. */
	memset(&nb, 0, sizeof(nb));
	nl_msg(&nb, RTM_NEWROUTE, AF_INET);
	nl_attr(&nb, RTA_GATEWAY, v6, 16);
	nl_end(&nb);
	CHECK(!sys_route_gateway(nb.b, nb.len, AF_INET, &gw));

	/* IPv6, after a message of another type. */
	memset(&nb, 0, sizeof(nb));
	nl_msg(&nb, RTM_NEWLINK, AF_INET6);
	nl_end(&nb);
	nl_msg(&nb, RTM_NEWROUTE, AF_INET6);
	nl_attr(&nb, RTA_GATEWAY, v6, 16);
	nl_end(&nb);
	memset(&gw, 0, sizeof(gw));
	CHECK(sys_route_gateway(nb.b, nb.len, AF_INET6, &gw));
	CHECK(gw.family == AF_INET6 && memcmp(gw.a, v6, 16) == 0);

	/* An error first ends it (no route to the target). */
	memset(&nb, 0, sizeof(nb));
	nl_msg(&nb, NLMSG_ERROR, AF_INET);
	nl_end(&nb);
	nl_msg(&nb, RTM_NEWROUTE, AF_INET);
	nl_attr(&nb, RTA_GATEWAY, v4, 4);
	nl_end(&nb);
	CHECK(!sys_route_gateway(nb.b, nb.len, AF_INET, &gw));

	/* A message claiming more than arrived, or less than its header. */
	memset(&nb, 0, sizeof(nb));
	nl_msg(&nb, RTM_NEWROUTE, AF_INET);
	nl_attr(&nb, RTA_GATEWAY, v4, 4);
	nl_end(&nb);
	nb.b[0] += 8;
	CHECK(!sys_route_gateway(nb.b, nb.len, AF_INET, &gw));
	nb.b[0] = 4;
	CHECK(!sys_route_gateway(nb.b, nb.len, AF_INET, &gw));
	CHECK(!sys_route_gateway(nb.b, 0, AF_INET, &gw));
}

static void
test_os_release(void)
{
	char out[16];
	const char *debian = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
	    "NAME=\"Debian GNU/Linux\"\n";
	char big[64];

	CHECK(sys_os_release(debian, strlen(debian), "NAME", big, sizeof(big)));
	CHECK(strcmp(big, "Debian GNU/Linux") == 0);
	CHECK(sys_os_release(debian, strlen(debian), "PRETTY_NAME", big,
	    sizeof(big)));
	CHECK(strcmp(big, "Debian GNU/Linux 12 (bookworm)") == 0);
	/* Cut to fit, terminated. */
	CHECK(sys_os_release(debian, strlen(debian), "PRETTY_NAME", out,
	    sizeof(out)));
	CHECK(strcmp(out, "Debian GNU/Linu") == 0);
	/* A key that only starts like it; an empty value; single quotes;
	 * the last line wins, as in a shell; no newline at the end; CRLF. */
	strcpy(out, "uname");
	CHECK(!sys_os_release("PRETTY_NAME_X=a\nPRETTY_NAME=\n", 28,
	    "PRETTY_NAME", out, sizeof(out)));
	CHECK(strcmp(out, "uname") == 0);
	CHECK(sys_os_release("PRETTY_NAME='Alpine'\nPRETTY_NAME=Arch", 37,
	    "PRETTY_NAME", out, sizeof(out)));
	CHECK(strcmp(out, "Arch") == 0);
	CHECK(sys_os_release("PRETTY_NAME=\"Fedora\"\r\n", 22, "PRETTY_NAME",
	    out, sizeof(out)));
	CHECK(strcmp(out, "Fedora") == 0);
	/* A lone quote stays; control characters and invalid UTF-8 do not
	 * reach a report; a character that does not fit is left out whole. */
	CHECK(sys_os_release("PRETTY_NAME=\"", 13, "PRETTY_NAME", out,
	    sizeof(out)));
	CHECK(strcmp(out, "\"") == 0);
	CHECK(sys_os_release("PRETTY_NAME=a\033[31mb\xff\n", 21, "PRETTY_NAME",
	    out, sizeof(out)));
	CHECK(strcmp(out, "a?[31mb?") == 0);
	CHECK(sys_os_release("P=abcdefghijklmn\xc3\xa9", 18, "P", out,
	    sizeof(out)));
	CHECK(strcmp(out, "abcdefghijklmn") == 0);
	/* Within its n bytes only: nothing after is read. */
	CHECK(!sys_os_release("PRETTY_NAME=x", 12, "PRETTY_NAME", out,
	    sizeof(out)));
}

static void
test_utf8(void)
{
	char out[8];

	CHECK_EQ(utf8_copy(out, sizeof(out), "Z\xc3\xbcrich", 7), 7);
	CHECK(strcmp(out, "Z\xc3\xbcrich") == 0);
	/* Overlong, surrogate, past U+10FFFF, truncated: each byte '?'. */
	utf8_copy(out, sizeof(out), "\xc0\xaf", 2);
	CHECK(strcmp(out, "??") == 0);
	utf8_copy(out, sizeof(out), "\xed\xa0\x80", 3);
	CHECK(strcmp(out, "???") == 0);
	utf8_copy(out, sizeof(out), "\xf4\x90\x80\x80", 4);
	CHECK(strcmp(out, "????") == 0);
	utf8_copy(out, sizeof(out), "a\xe2\x82", 3);
	CHECK(strcmp(out, "a??") == 0);
	CHECK_EQ(utf8_copy(out, 1, "abc", 3), 0);
	CHECK(out[0] == '\0');
}

int
main(void)
{
	test_route();
	test_os_release();
	test_utf8();
	return check_done();
}
