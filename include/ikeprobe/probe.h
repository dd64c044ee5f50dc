/* Probes and what was observed of them. A probe is one IKE_SA_INIT
 * datagram (possibly in fragments), retransmitted bit-identically until it
 * is answered, refused by ICMP, or given up. */
#ifndef IKEPROBE_PROBE_H
#define IKEPROBE_PROBE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "ikeprobe/ike_msg.h"
#include "ikeprobe/kex.h"
#include "ikeprobe/net.h"
#include "ikeprobe/packet.h"
#include "ikeprobe/reasm.h"

#define PROBE_MAX_FRAGS	64
#define PROBE_MAX	96
#define MAX_PORTS	8
#define MAX_SIZES	16

enum probe_kind {
	PROBE_SA,		/* a request a gateway may answer with a full SA */
	PROBE_STATELESS,	/* KE group left out of the proposals: the
				 * gateway answers INVALID_KE_PAYLOAD and keeps
				 * no half-open SA */
};

/* Why a probe was sent: what its result is evidence for. */
enum probe_purpose {
	PURPOSE_REACH,		/* is the port open */
	PURPOSE_FOLLOW_UP,	/* the responder's offer (INVALID_KE, COOKIE) */
	PURPOSE_PMTU,		/* DF set, sent whole: does this size cross */
	PURPOSE_FRAG,		/* fragmented by us: reassembled at the gateway? */
	PURPOSE_CONTROL,	/* small: does the gateway still answer */
};

enum probe_result {
	PROBE_PENDING,
	PROBE_ANSWERED,
	PROBE_ICMP,
	PROBE_LOST,
	PROBE_SEND_FAILED,	/* the local stack refused it (e.g. EMSGSIZE) */
};

struct icmp_obs {
	bool		 seen;
	uint8_t		 type, code;
	uint16_t	 mtu;
	struct ip_addr	 from;
};

struct probe {
	int		 id;
	int		 parent;	/* probe this one follows up, or -1 */
	enum probe_kind	 kind;
	enum probe_purpose purpose;
	bool		 confirm;	/* repeats a lost size with a fresh probe */
	size_t		 frag_size;	/* IP bytes per fragment when fragmented */
	uint16_t	 dport, sport;
	size_t		 size;		/* IP datagram bytes */
	bool		 df;
	uint16_t	 ip_id;
	uint8_t		 spi_i[IKE_SPI_LEN];
	uint8_t		 nonce[IKE_NONCE_MAX];
	size_t		 nonce_len;
	uint16_t	 ke_group;
	bool		 with_cookie;

	struct wbuf	 wire[PROBE_MAX_FRAGS];	/* packets as sent */
	int		 fragments;

	int		 max_attempts;
	double		 rto;		/* first retransmission timeout, s */
	double		 backoff;	/* each wait this much longer than the last */
	int		 attempts;
	int		 sent_ok;	/* attempts the local stack accepted */
	double		 first_sent, last_sent;	/* wall clock, as pcap */
	double		 last_wire;	/* capture time of our last attempt */
	double		 next_due;	/* monotonic */
	double		 created, finished;	/* monotonic */
	enum probe_result result;
	double		 rtt_ms;	/* < 0 unknown */
	int		 send_errno;

	struct ike_reply reply;
	int		 replies;	/* answers matched, duplicates included */
	struct icmp_obs	 icmp;
};

struct probe_spec {
	enum probe_kind	 kind;
	enum probe_purpose purpose;
	bool		 confirm;
	uint16_t	 dport, sport;
	size_t		 size;		/* 0: natural size, no padding */
	bool		 df;
	const struct kex_value *kex;
	const uint8_t	*cookie;
	size_t		 cookie_len;
	const uint8_t	*spi_i;		/* reuse (COOKIE retry), or NULL: fresh */
	const uint8_t	*nonce;		/* reuse, or NULL: fresh */
	size_t		 nonce_len;
	size_t		 frag_payload;	/* fragment by us to this IP payload
					 * size per fragment; 0: one packet */
};

/* Build the datagram(s) of a probe; 0, or -1 with a reason in err. */
int	 probe_build(struct probe *, const struct probe_spec *,
	    const struct ip_addr *src, const struct ip_addr *dst,
	    char *err, size_t errlen);
void	 probe_free(struct probe *);
/* Bytes of non-ESP marker before IKE to this port: 0 on 500, else 4 (any
 * other port is treated as the NAT-T port, RFC 3948). */
size_t	 probe_marker_len(uint16_t dport);
const char *probe_result_name(enum probe_result);
const char *probe_kind_name(enum probe_kind);
const char *probe_purpose_name(enum probe_purpose);
/* Bytes of one fragment's IP payload for fragments of frag_size bytes. */
size_t	 frag_payload_for(size_t frag_size);

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

struct stray_replies {
	unsigned long	 count;		/* also counted in run_stats.other */
	int		 probe;		/* whose SPI the first one carried */
	struct ip_addr	 from;		/* the first one's source */
	uint16_t	 sport;
};

/* Counts of what the capture saw that was not an answer to a probe. */
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
	long		 dropped;	/* by libpcap/kernel, -1 unknown */
	unsigned long	 packets_sent;	/* accepted by the local stack */
	unsigned long	 bytes_sent;
};

/* What the size part of a run (fragments, path MTU) is to try. */
struct size_config {
	bool		 enabled;	/* false with --quick */
	bool		 stateful;	/* size probes ask for a full SA */
	size_t		 sizes[MAX_SIZES];	/* IP datagram sizes, ascending */
	int		 n_sizes;	/* 0: defaults for the interface MTU */
	size_t		 frag_size;	/* 0: default */
};

/* Where the size plan stands; decisions are re-derived from the probes
 * each time (sizes.c), this only records what was started. */
struct size_state {
	bool		 started;
	int		 pmtu_port;	/* index into run.ports, or -1 */
	bool		 frag_port[MAX_PORTS];
	enum probe_kind	 kind[MAX_PORTS];
	size_t		 df_sizes[MAX_SIZES], frag_sizes[MAX_SIZES];
	int		 n_df, n_frag;
	size_t		 frag_size;
	size_t		 natural;	/* smallest request, for controls */
	double		 rto;		/* per attempt, from the round trip */
};

struct port_src {
	uint16_t	 dport;
	uint16_t	 sport;
	int		 fd;		/* held UDP socket */
};

/* The state one run needs: what to send from where, and what came back. */
struct run {
	struct ip_addr	 target;
	struct local_info local;
	int		 rawfd;
	struct capture	 cap;
	struct port_src	 ports[MAX_PORTS];
	int		 n_ports;
	struct kex_value kex[4];	/* generated groups, first is default */
	int		 n_kex;

	struct probe	 probes[PROBE_MAX];
	int		 n_probes;
	struct reasm	 reasm;
	struct run_stats stats;

	double		 rto;		/* first retransmission timeout, s */
	int		 max_attempts;
	double		 pace;		/* s between new probes to one port */
	double		 last_new[MAX_PORTS];	/* monotonic, first sends */
	struct size_config sz_cfg;
	struct size_state sz;
	volatile sig_atomic_t *stop;	/* set by a signal: end early */
	bool		 interrupted;
	/* This machine's network failed under the run (interface down, route
	 * gone): the run stopped there, and says why. */
	bool		 faulted;
	char		 fault[200];
	double		 fault_after;	/* s into the run */
	double		 started;	/* monotonic */
};

/* The probing plan: which probes to start and which to add as answers
 * arrive (plan.c). */
void	 plan_start(struct run *);
void	 plan_react(struct run *, struct probe *);
/* Called when nothing is pending: start or advance the size plan. True if
 * it added probes. */
bool	 sizes_step(struct run *);
struct probe *run_add_probe(struct run *, const struct probe_spec *);
const struct kex_value *run_kex(struct run *, uint16_t group);
uint16_t run_sport(const struct run *, uint16_t dport);

/* Drive sending, retransmission and receiving until every probe is done. */
int	 run_probes(struct run *);
void	 run_free(struct run *);

double	 mono_now(void);
double	 wall_now(void);

#endif
