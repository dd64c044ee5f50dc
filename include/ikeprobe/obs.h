/* Observations: what matching makes of one captured packet, in terms of
 * the probes that were sent (match.h), before anything is concluded. */
#ifndef IKEPROBE_OBS_H
#define IKEPROBE_OBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikeprobe/clock.h"
#include "ikeprobe/packet.h"

/* An ICMP or ICMPv6 error about one of our datagrams. The type and code
 * are kept for the report; everything that decides uses the meaning. */
struct icmp_obs {
	bool		 seen;
	enum icmp_meaning meaning;
	int		 family;
	uint8_t		 type, code;
	uint32_t	 mtu;		/* of a "too big", else 0 */
	struct ip_addr	 from;		/* the router or host that sent it */
};

/* Why a datagram carrying one of our SPIs was not taken as an answer: a
 * VPN client (and any NAT on the way) would drop it as well. One row each:
 * the enum, its key in the report's `capture', its finding code. */
#define STRAY_TABLE(X) \
	/* from another address than the one probed */ \
	X(STRAY_ADDRESS, "wrong_address", "reply-wrong-address") \
	/* from the gateway, but from another UDP port */ \
	X(STRAY_PORT, "wrong_port", "reply-wrong-port") \
	/* on the NAT-T port without the non-ESP marker */ \
	X(STRAY_MARKER, "without_marker", "reply-without-marker")

#define STRAY_ENUM(e, key, code)	e,
enum stray_why {
	STRAY_TABLE(STRAY_ENUM)
	STRAY_N,
};
#undef STRAY_ENUM

const char *stray_key(enum stray_why);
const char *stray_code(enum stray_why);

enum obs_kind {
	OBS_SENT,		/* one of our datagrams, seen leaving */
	OBS_ANSWER,		/* an IKE message answering a probe */
	OBS_FRAGMENT,		/* a fragment of an answer, held for reassembly */
	OBS_ICMP,		/* an ICMP error quoting a probe */
	OBS_ICMP_IGNORED,	/* about a probe, but not about its loss (redirect) */
	OBS_STRAY,		/* carries a probe's SPI, in a way no client accepts */
	OBS_UNMATCHED_IKE,	/* IKE from the target, not one of our SPIs */
	OBS_UNMATCHED_ICMP,	/* an ICMP error quoting what we never sent */
	OBS_MALFORMED,		/* could not be decoded (or reassembled) */
	OBS_OTHER,		/* not ours to judge */
};

struct observation {
	enum obs_kind	 kind;
	int		 probe;		/* the probe's id, or -1 */
	usec_t		 ts;		/* capture time */
	/* OBS_ANSWER: the IKE message (after any non-ESP marker), which
	 * points into the packet, and the IP fragments it came in (0:
	 * whole); OBS_SENT: ours, when it left whole */
	const uint8_t	*ike;
	size_t		 ike_len;
	int		 ip_frags;
	/* OBS_FRAGMENT: which, and what its first says of the datagram;
	 * OBS_ANSWER: the datagram's ID */
	uint32_t	 ip_id;
	bool		 first;
	size_t		 size;
	/* OBS_ICMP */
	struct icmp_obs	 icmp;
	/* OBS_STRAY, and OBS_OTHER when it carries one of our SPIs */
	enum stray_why	 why;
	struct ip_addr	 from;
	uint16_t	 sport;
};

/* Counts of what the capture saw, per session. */
struct stray_replies {
	unsigned long	 count;		/* also counted in run_stats.other */
	int		 probe;		/* whose SPI the first one carried */
	struct ip_addr	 from;		/* the first one's source */
	uint16_t	 sport;
};

struct run_stats {
	unsigned long	 captured;
	unsigned long	 own;		/* our probes seen leaving */
	unsigned long	 replies;
	unsigned long	 duplicates;
	unsigned long	 unmatched;	/* IKE from the target, not our SPI */
	unsigned long	 malformed;
	unsigned long	 icmp_matched;
	unsigned long	 icmp_unmatched;	/* quoted a packet we did not send */
	unsigned long	 other;
	struct stray_replies stray[STRAY_N];
	unsigned long	 reasm_expired;	/* fragments forgotten after REASM_TIMEOUT */
	long		 dropped;	/* by libpcap/kernel, -1 unknown */
	unsigned long	 packets_sent;	/* accepted by the local stack */
	unsigned long	 bytes_sent;
};

#endif
