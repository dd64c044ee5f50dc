/* Where a run was made from, for the report's context: the machine and
 * the route to the gateway. People compare reports from one network with
 * another's ("works at HQ, fails at the hotel"), so each says where it was
 * made. Nothing here needs privilege. */
#ifndef IKEPROBE_CONTEXT_H
#define IKEPROBE_CONTEXT_H

#include <stdbool.h>

#include "ikeprobe/net.h"

struct host_info {
	char		 hostname[256];	/* "" when unknown */
	char		 os[128];	/* PRETTY_NAME of os-release, or uname */
	char		 kernel[2 * 65 + 1];	/* "Linux 6.1.0-18-amd64" */
};

struct path_info {
	bool		 has_nexthop;	/* false: on-link, or unknown */
	struct ip_addr	 nexthop;	/* the router the probes leave through */
	bool		 has_network;
	struct ip_addr	 network;	/* the local address's subnet */
	int		 prefix_len;
};

void	 host_info_read(struct host_info *);
/* The kernel's route to target through the interface of li (netlink
 * RTM_GETROUTE, so policy routing is honoured), and the subnet of li's
 * address. Fields it cannot learn stay unset; never an error. */
void	 path_info_read(const struct ip_addr *target, const struct local_info *li,
	    struct path_info *);

#endif
