#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ikeprobe/net.h"

socklen_t
ip_addr_to_sockaddr(const struct ip_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->a, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	memcpy(&s4->sin_addr, a->a, 4);
	return sizeof(*s4);
}

void
ip_addr_from_sockaddr(const struct sockaddr *sa, struct ip_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		a->family = AF_INET;
		memcpy(a->a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		a->family = AF_INET6;
		memcpy(a->a, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	}
}

static enum net_err
iface_for_addr(const struct ip_addr *addr, char *ifname, char *err, size_t errlen)
{
	struct ifaddrs *ifs, *i;
	struct ip_addr a;
	char buf[IP_ADDR_STRLEN];

	if (getifaddrs(&ifs) < 0) {
		snprintf(err, errlen, "cannot list interfaces: %s", strerror(errno));
		return NET_ERR_ENV;
	}
	for (i = ifs; i; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		ip_addr_from_sockaddr(i->ifa_addr, &a);
		if (a.family && ip_addr_eq(&a, addr)) {
			snprintf(ifname, IF_NAMESIZE, "%s", i->ifa_name);
			freeifaddrs(ifs);
			return NET_OK;
		}
	}
	freeifaddrs(ifs);
	snprintf(err, errlen, "source address %s is not on any interface: "
	    "give one of this machine's addresses with --source",
	    ip_addr_str(addr, buf, sizeof(buf)));
	return NET_ERR_USAGE;
}

static bool
if_is_up(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool up = true;		/* if we cannot tell, let the route decide */

	if (fd < 0)
		return up;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		up = (ifr.ifr_flags & IFF_UP) != 0;
	close(fd);
	return up;
}

enum net_err
route_lookup(const struct ip_addr *target, const char *ifname,
    const struct ip_addr *source, struct local_info *li, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct ifreq ifr;
	char tbuf[IP_ADDR_STRLEN];
	int fd;
	enum net_err e;

	memset(li, 0, sizeof(*li));
	ip_addr_str(target, tbuf, sizeof(tbuf));
	if (ifname) {
		if (if_nametoindex(ifname) == 0) {
			snprintf(err, errlen, "interface `%s' does not exist: "
			    "list them with `ip link'", ifname);
			return NET_ERR_USAGE;
		}
		if (!if_is_up(ifname)) {
			snprintf(err, errlen, "interface `%s' is down: bring it "
			    "up (ip link set %s up) or choose another", ifname,
			    ifname);
			return NET_ERR_ENV;
		}
	}
	if ((fd = socket(target->family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "cannot open a UDP socket: %s", strerror(errno));
		return NET_ERR_ENV;
	}
	/* Binding to the device asks the kernel for a route through it; this
	 * needs no privilege to read, only to send. */
	if (ifname && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
	    (socklen_t)strlen(ifname)) < 0 && errno != EPERM) {
		snprintf(err, errlen, "cannot use interface `%s': %s", ifname,
		    strerror(errno));
		close(fd);
		return NET_ERR_ENV;
	}
	if (source && source->family) {
		if (source->family != target->family) {
			close(fd);
			snprintf(err, errlen, "--source is of another address "
			    "family than the target %s: give an address of "
			    "the same family", tbuf);
			return NET_ERR_USAGE;
		}
		sl = ip_addr_to_sockaddr(source, 0, &ss);
		if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
			snprintf(err, errlen, "cannot send from --source %s: %s "
			    "(give one of this machine's addresses, see `ip "
			    "addr')", ip_addr_str(source, tbuf, sizeof(tbuf)),
			    strerror(errno));
			close(fd);
			return NET_ERR_USAGE;
		}
	}
	sl = ip_addr_to_sockaddr(target, 500, &ss);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		snprintf(err, errlen, "no route to %s%s%s: %s; check the "
		    "network connection (`ip route get %s')", tbuf,
		    ifname ? " via " : "", ifname ? ifname : "",
		    strerror(errno), tbuf);
		close(fd);
		return NET_ERR_ENV;
	}
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	close(fd);
	ip_addr_from_sockaddr((struct sockaddr *)&ss, &li->addr);

	if (ifname)
		snprintf(li->ifname, sizeof(li->ifname), "%s", ifname);
	else if ((e = iface_for_addr(&li->addr, li->ifname, err, errlen)) != NET_OK)
		return e;

	/* The MTU bounds what leaves unfragmented; a down link is an error
	 * the user can fix, so say it rather than report every port silent. */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", li->ifname);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0) {
		if (ioctl(fd, SIOCGIFMTU, &ifr) == 0)
			li->mtu = ifr.ifr_mtu;
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
			close(fd);
			snprintf(err, errlen, "interface `%s' is down: bring it "
			    "up (`ip link set %s up') or pick another with "
			    "--interface", li->ifname, li->ifname);
			return NET_ERR_ENV;
		}
		close(fd);
	}
	return NET_OK;
}

enum net_err
rawsock_open(int *fdp, int family, const char *ifname, char *err, size_t errlen)
{
	int fd, pmtu;

	/* IPPROTO_RAW implies IP_HDRINCL: we write the IP header ourselves, to
	 * control DF, the IP ID and our own fragmentation. */
	fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0) {
		if (errno == EPERM || errno == EACCES) {
			snprintf(err, errlen, "raw sockets need CAP_NET_RAW: run "
			    "with sudo, or once: sudo setcap " NET_SETCAP_CAPS
			    " %s", self_path());
			return NET_ERR_PRIV;
		}
		snprintf(err, errlen, "cannot open a raw socket: %s", strerror(errno));
		return NET_ERR_ENV;
	}
	if (ifname && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
	    (socklen_t)strlen(ifname)) < 0) {
		snprintf(err, errlen, "cannot send through `%s': %s", ifname,
		    strerror(errno));
		close(fd);
		return NET_ERR_ENV;
	}
	/* Size probes must leave at their size whatever the kernel learnt
	 * of the path before (an ICMP from an earlier run lowers its cached
	 * path MTU for ten minutes): only the interface MTU may stop them. */
	pmtu = family == AF_INET6 ? IPV6_PMTUDISC_PROBE : IP_PMTUDISC_PROBE;
	if (setsockopt(fd, family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
	    family == AF_INET6 ? IPV6_MTU_DISCOVER : IP_MTU_DISCOVER, &pmtu,
	    sizeof(pmtu)) < 0) {
		snprintf(err, errlen, "cannot set path-MTU discovery on the "
		    "raw socket: %s", strerror(errno));
		close(fd);
		return NET_ERR_ENV;
	}
	*fdp = fd;
	return NET_OK;
}

int
rawsock_send(int fd, const uint8_t *buf, size_t len, const struct ip_addr *dst)
{
	struct sockaddr_storage ss;
	socklen_t sl = ip_addr_to_sockaddr(dst, 0, &ss);
	ssize_t n;

	n = sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

enum net_err
udp_hold(const struct ip_addr *src, uint16_t port, int *why, int *fdp,
    uint16_t *got, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	if ((fd = socket(src->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "cannot open a UDP socket: %s", strerror(errno));
		return NET_ERR_ENV;
	}
	/* [::]:500 must not take 0.0.0.0:500 too (the exporter holds
	 * both). */
	if (src->family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &(int){ 1 },
		    sizeof(int));
	sl = ip_addr_to_sockaddr(src, port, &ss);
	*why = 0;
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		/* Taken (a local IKE daemon), or not ours to bind (below
		 * 1024 without CAP_NET_BIND_SERVICE): any free port will
		 * do, a NAT rewrites the source port anyway; the report
		 * says which. */
		*why = errno;
		sl = ip_addr_to_sockaddr(src, 0, &ss);
		if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
			snprintf(err, errlen, "cannot bind a UDP socket: %s",
			    strerror(errno));
			close(fd);
			return NET_ERR_ENV;
		}
	}
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*got = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	*fdp = fd;
	return NET_OK;
}

void
udp_drain(int fd)
{
	uint8_t buf[2048];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}
