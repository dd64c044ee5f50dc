/* The report's context: this machine and the route the probes take. */
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ikeprobe/context.h"
#include "ikeprobe/sysparse.h"
#include "ikeprobe/utf8.h"

/* An os-release file, whole: it is a few hundred bytes; more is not one. */
static bool
os_release(const char *path, char *out, size_t len)
{
	char buf[16384];
	size_t n;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return sys_os_release(buf, n, "PRETTY_NAME", out, len);
}

void
host_info_read(struct host_info *h)
{
	struct utsname u;
	char name[2 * sizeof(u.release) + 2];

	memset(h, 0, sizeof(*h));
	/* What the system says goes into reports as valid UTF-8 text. */
	name[sizeof(name) - 1] = '\0';	/* POSIX leaves a cut name open */
	if (gethostname(name, sizeof(name) - 1) == 0)
		utf8_copy(h->hostname, sizeof(h->hostname), name, strlen(name));
	if (uname(&u) == 0) {
		snprintf(name, sizeof(name), "%s %s", u.sysname, u.release);
		utf8_copy(h->kernel, sizeof(h->kernel), name, strlen(name));
		utf8_copy(h->os, sizeof(h->os), u.sysname, strlen(u.sysname));
	}
	if (!os_release("/etc/os-release", h->os, sizeof(h->os)))
		os_release("/usr/lib/os-release", h->os, sizeof(h->os));
}

static void
add_attr(uint8_t *buf, size_t *len, size_t cap, unsigned short type,
    const void *data, size_t dlen)
{
	struct rtattr ra;

	if (*len + RTA_SPACE(dlen) > cap)
		return;
	ra.rta_type = type;
	ra.rta_len = (unsigned short)RTA_LENGTH(dlen);
	memcpy(buf + *len, &ra, sizeof(ra));
	memcpy(buf + *len + RTA_LENGTH(0), data, dlen);
	*len += RTA_SPACE(dlen);
}

static void
nexthop(const struct ip_addr *target, const struct local_info *li,
    struct path_info *pi)
{
	uint8_t req[NLMSG_SPACE(sizeof(struct rtmsg)) + 3 * RTA_SPACE(16)];
	uint8_t resp[8192];
	struct nlmsghdr nh;
	struct rtmsg rt;
	struct timeval tv = { 1, 0 };
	size_t len = NLMSG_LENGTH(sizeof(rt));
	unsigned int oif = if_nametoindex(li->ifname);
	ssize_t n;
	int fd;

	memset(req, 0, sizeof(req));
	memset(&rt, 0, sizeof(rt));
	rt.rtm_family = (unsigned char)target->family;
	rt.rtm_dst_len = (unsigned char)(8 * ip_addr_len(target));
	memcpy(req + NLMSG_LENGTH(0), &rt, sizeof(rt));
	add_attr(req, &len, sizeof(req), RTA_DST, target->a,
	    ip_addr_len(target));
	if (li->addr.family == target->family)
		add_attr(req, &len, sizeof(req), RTA_SRC, li->addr.a,
		    ip_addr_len(target));
	if (oif)
		add_attr(req, &len, sizeof(req), RTA_OIF, &oif, sizeof(oif));
	memset(&nh, 0, sizeof(nh));
	nh.nlmsg_len = (unsigned int)len;
	nh.nlmsg_type = RTM_GETROUTE;
	nh.nlmsg_flags = NLM_F_REQUEST;
	nh.nlmsg_seq = 1;
	memcpy(req, &nh, sizeof(nh));

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, req, len, 0) == (ssize_t)len &&
	    (n = recv(fd, resp, sizeof(resp), 0)) > 0)
		pi->has_nexthop = sys_route_gateway(resp, (size_t)n,
		    target->family, &pi->nexthop);
	close(fd);
}

static void
subnet(const struct local_info *li, struct path_info *pi)
{
	struct ifaddrs *ifs, *i;
	struct ip_addr a, m;

	if (getifaddrs(&ifs) < 0)
		return;
	for (i = ifs; i; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_netmask == NULL ||
		    strcmp(i->ifa_name, li->ifname) != 0)
			continue;
		ip_addr_from_sockaddr(i->ifa_addr, &a);
		ip_addr_from_sockaddr(i->ifa_netmask, &m);
		if (!ip_addr_eq(&a, &li->addr) || m.family != a.family)
			continue;
		pi->network.family = a.family;
		pi->prefix_len = 0;
		for (size_t k = 0; k < ip_addr_len(&a); k++) {
			pi->network.a[k] = a.a[k] & m.a[k];
			for (int b = 7; b >= 0 && (m.a[k] >> b & 1); b--)
				pi->prefix_len++;
		}
		pi->has_network = true;
		break;
	}
	freeifaddrs(ifs);
}

void
path_info_read(const struct ip_addr *target, const struct local_info *li,
    struct path_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	nexthop(target, li, pi);
	subnet(li, pi);
}
