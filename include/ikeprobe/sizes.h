/* What the size probes of a session show: do fragmented IKE datagrams
 * reach the gateway, and how large a datagram crosses the path whole. One
 * reading of the probes serves both the plan (what to send next) and the
 * diagnosis (what to report), so the two can never disagree. It reads the
 * probes alone (a probe_set), so a replayed capture reads the same. */
#ifndef IKEPROBE_SIZES_H
#define IKEPROBE_SIZES_H

#include "ikeprobe/probe.h"

/* Default sizes: whole datagrams with DF across the common path MTUs up to
 * the interface MTU, and fragmented datagrams the size of IKE_AUTH with a
 * certificate chain (2-5 KB). */
#define SIZES_DF_DEFAULT	{ 1280, 1400, 1450 }
#define SIZES_FRAG_DEFAULT	{ 2500, 4500 }
#define FRAG_SIZE_DEFAULT	1280	/* passes any link an IKE VPN uses */
/* What --sizes and --fragment-size accept: from the smallest datagram an
 * IPv4 link must carry (RFC 791) to what fits in one UDP datagram. */
#define PROBE_SIZE_MIN		576
#define PROBE_SIZE_MAX		65000
#define PMTU_PRECISION		8	/* bytes, when found by probing */

enum frag_outcome {
	FRAG_UNKNOWN,		/* not tested */
	FRAG_PASS,		/* every fragmented size answered */
	FRAG_DROPPED,		/* a size lost twice; the gateway still answered */
	FRAG_INCONCLUSIVE,	/* lost, but the gateway stopped answering */
};

struct frag_assess {
	bool		 tested;
	uint16_t	 port;
	enum frag_outcome outcome;
	size_t		 largest_answered;	/* 0 none */
	int		 answered_frags;	/* fragments of that probe */
	size_t		 smallest_lost;		/* 0 none */
	int		 lost_frags;
	int		 lost_probe;		/* id, or -1 */
	int		 control;		/* id of the answered probe that
						 * proves the gateway alive, -1 */
	bool		 reasm_timeout;		/* ICMP reassembly time exceeded */
	bool		 icmp_refused;		/* ICMP unreachable for fragments */
	struct icmp_obs	 icmp;
	bool		 pending;		/* probes still open */
	bool		 unresponsive;		/* a control was lost */
};

enum pmtu_source {
	PMTU_SRC_NONE,
	PMTU_SRC_ICMP,		/* a router's "fragmentation needed" */
	PMTU_SRC_PROBING,	/* DF probes, no ICMP: a black hole */
	PMTU_SRC_LOCAL,		/* this machine's interface is the limit */
};

enum pmtu_icmp {
	PMTU_ICMP_NONE,		/* nothing too big was lost: none was due */
	PMTU_ICMP_SEEN,
	PMTU_ICMP_FILTERED,	/* too-big probes vanished without ICMP */
};

struct pmtu_assess {
	bool		 tested;
	uint16_t	 port;
	int		 value;		/* 0 unknown */
	enum pmtu_source source;
	enum pmtu_icmp	 icmp;
	bool		 done;		/* nothing more to probe */
	bool		 inconclusive;	/* losses the gateway may have caused */
	size_t		 lo;		/* largest DF size answered */
	size_t		 hi;		/* smallest DF size failed, 0 none */
	int		 lo_probe, hi_probe;	/* ids, or -1 */
	bool		 hi_confirmed;	/* the failure at hi was seen twice */
	uint32_t	 icmp_mtu;	/* smallest next-hop MTU reported, 0 */
	struct ip_addr	 router;	/* who reported it */
	int		 icmp_probe;	/* id, or -1 */
	int		 local_mtu;
	bool		 local_emsgsize;
	int		 lost_probe;	/* latest DF loss above lo, or -1 */
	int		 control;	/* id proving the gateway alive, -1 */
	bool		 unresponsive;	/* a control after the losses was lost */
};

struct sizes_assess {
	struct frag_assess frag[MAX_PORTS];	/* by probe_set.ports index */
	struct pmtu_assess pmtu;
	size_t		 frag_size;	/* of the fragment probes, 0: none */
};

void	 sizes_assess(const struct probe_set *, struct sizes_assess *);

/* An answered probe on p's port, sent after p was given up: the gateway
 * was still answering, so p's loss was the path's doing. Its id, or -1. */
int	 sizes_alive_after(const struct probe_set *, const struct probe *p);

const char *frag_outcome_name(enum frag_outcome);
const char *pmtu_source_name(enum pmtu_source);
const char *pmtu_icmp_name(enum pmtu_icmp);

#endif
