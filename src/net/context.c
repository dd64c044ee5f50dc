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

/* Copy at most len - 1 bytes: a long value is cut, not an error (and
 * unlike snprintf, -Wformat-truncation does not object). */
static void
copy_cut(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The value of KEY= in an os-release file, unquoted; false if absent. */
static bool
os_release(const char *path, const char *key, char *out, size_t len)
{
	char line[512], *v, *e;
	size_t klen = strlen(key);
	FILE *f = fopen(path, "re");
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) != 0 || line[klen] != '=')
			continue;
		v = line + klen + 1;
		v[strcspn(v, "\n")] = '\0';
		if ((*v == '"' || *v == '\'') && (e = strrchr(v + 1, *v)) != NULL) {
			*e = '\0';
			v++;
		}
		/* An empty value leaves what was there (uname's name). */
		if ((found = *v != '\0'))
			copy_cut(out, len, v);
	}
	fclose(f);
	return found;
}

void
host_info_read(struct host_info *h)
{
	struct utsname u;

	memset(h, 0, sizeof(*h));
	if (gethostname(h->hostname, sizeof(h->hostname) - 1) < 0)
		h->hostname[0] = '\0';
	if (uname(&u) == 0) {
		snprintf(h->kernel, sizeof(h->kernel), "%s %s", u.sysname, u.release);
		copy_cut(h->os, sizeof(h->os), u.sysname);
	}
	if (!os_release("/etc/os-release", "PRETTY_NAME", h->os, sizeof(h->os)))
		os_release("/usr/lib/os-release", "PRETTY_NAME", h->os, sizeof(h->os));
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

/* The gateway attribute of the kernel's answer, read with every length
 * checked against what arrived. */
static void
read_route(const uint8_t *buf, size_t n, int family, struct path_info *pi)
{
	const size_t hdr = NLMSG_LENGTH(sizeof(struct rtmsg));
	size_t off = 0, a, end;
	struct nlmsghdr nh;
	struct rtattr ra;
	struct ip_addr gw = { .family = family };

	while (n - off >= sizeof(nh)) {
		memcpy(&nh, buf + off, sizeof(nh));
		if (nh.nlmsg_len < sizeof(nh) || nh.nlmsg_len > n - off)
			return;
		if (nh.nlmsg_type == RTM_NEWROUTE && nh.nlmsg_len >= hdr) {
			end = off + nh.nlmsg_len;
			for (a = off + NLMSG_ALIGN(hdr); a < end &&
			    end - a >= sizeof(ra); a += RTA_ALIGN((size_t)ra.rta_len)) {
				memcpy(&ra, buf + a, sizeof(ra));
				if (ra.rta_len < sizeof(ra) || ra.rta_len > end - a)
					break;
				if (ra.rta_type == RTA_GATEWAY &&
				    ra.rta_len - RTA_LENGTH(0) == ip_addr_len(&gw)) {
					memcpy(gw.a, buf + a + RTA_LENGTH(0),
					    ip_addr_len(&gw));
					pi->nexthop = gw;
					pi->has_nexthop = true;
				}
			}
			return;
		}
		if (nh.nlmsg_type == NLMSG_ERROR || nh.nlmsg_type == NLMSG_DONE)
			return;
		off += NLMSG_ALIGN((size_t)nh.nlmsg_len);
		if (off > n)
			return;
	}
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
		read_route(resp, (size_t)n, target->family, pi);
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
