/* Probes: one IKE exchange sent for a purpose, and what was observed of
 * it. A probe is created from a complete spec the plan returns (plan.h);
 * only the session that runs it writes to it (its transmissions), and
 * observations (match.h) decide its outcome. */
#ifndef IKEPROBE_PROBE_H
#define IKEPROBE_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "ikeprobe/clock.h"
#include "ikeprobe/exchange.h"
#include "ikeprobe/ike_msg.h"
#include "ikeprobe/obs.h"

#define PROBE_MAX_FRAGS	XMIT_MAX_DGRAMS
#define PROBE_MAX	160
#define PROBE_MAX_ATTEMPTS 20
#define MAX_PORTS	8
#define MAX_SIZES	16

enum probe_kind {
	PROBE_SA,		/* a request a gateway may answer with a full SA */
	PROBE_STATELESS,	/* KE group left out of the proposals: the
				 * gateway answers INVALID_KE_PAYLOAD and keeps
				 * no half-open SA */
	PROBE_AUTH,		/* IKE_AUTH in the SA of an SA probe */
	PROBE_CLOSE,		/* ends that SA: see authplan.c */
};

/* Why a probe was sent: what its result is evidence for. */
enum probe_purpose {
	PURPOSE_REACH,		/* is the port open */
	PURPOSE_FOLLOW_UP,	/* the responder's offer (INVALID_KE, COOKIE) */
	PURPOSE_PMTU,		/* DF set, sent whole: does this size cross */
	PURPOSE_FRAG,		/* fragmented by us: reassembled at the gateway? */
	PURPOSE_CONTROL,	/* small: does the gateway still answer */
	PURPOSE_AUTH_SA,	/* an SA without RFC 7383, for IKE_AUTH */
	PURPOSE_AUTH,		/* the gateway's IKE_AUTH answer: its
				 * certificate, and does it reach us */
	PURPOSE_CLOSE,		/* leave nothing on the gateway */
	PURPOSE_AUDIT,		/* one offer of the proposal audit (audit.h) */
};

enum probe_result {
	PROBE_PENDING,
	PROBE_ANSWERED,
	PROBE_ICMP,
	PROBE_LOST,
	PROBE_SEND_FAILED,	/* the local stack refused it (e.g. EMSGSIZE) */
};

/* Everything a probe is, decided by the plan before it exists. */
struct probe_spec {
	enum probe_kind	 kind;
	enum probe_purpose purpose;
	bool		 confirm;	/* repeats a lost size with a fresh probe */
	uint16_t	 dport, sport;
	size_t		 size;		/* IP datagram bytes; 0: natural size */
	bool		 df;
	size_t		 frag_size;	/* IP bytes per fragment, fragmented by
					 * us; 0: one datagram */
	uint16_t	 ke_group;	/* the KE payload's group */
	int		 parent;	/* the probe this one follows, or -1 */
	bool		 reuse_parent;	/* the parent's SPI and nonce (COOKIE echo) */
	uint8_t		 cookie[IKE_COOKIE_MAX];
	size_t		 cookie_len;	/* 0: no COOKIE */
	bool		 no_fragmentation;	/* IKE_SA_INIT without RFC 7383 */
	bool		 close_by_delete;	/* CLOSE: INFORMATIONAL DELETE, not
					 * an empty IKE_AUTH (authplan.c) */
	int		 sa;		/* AUTH, CLOSE: the SA probe whose IKE
					 * SA it works in, else -1 */
	int		 offer;		/* AUDIT: its audit_offers[] index, else -1 */
	/* retransmission: attempts at 0, rto, rto + rto*backoff, ... */
	int		 max_attempts;
	double		 rto;		/* s */
	double		 backoff;
};

struct probe {
	int		 id;
	int		 parent;	/* probe this one follows up, or -1 */
	enum probe_kind	 kind;
	enum probe_purpose purpose;
	bool		 confirm;
	size_t		 frag_size;	/* IP bytes per fragment when fragmented */
	uint16_t	 dport, sport;
	size_t		 size;		/* IP datagram bytes */
	bool		 df;
	int		 fragments;	/* datagrams per transmission */
	uint16_t	 ke_group;
	bool		 with_cookie;
	int		 max_attempts;
	double		 rto, backoff;
	bool		 no_fragmentation;
	bool		 close_by_delete;
	int		 sa;
	int		 offer;

	struct exchange ex;		/* SPIs, messages, the unit sent */

	/* Transmissions. Times on the capture's clock: when the datagram was
	 * seen leaving, or (not seen) when it was handed to the kernel. */
	int		 attempts;
	int		 sent_ok;	/* attempts the local stack accepted */
	usec_t		 sent[PROBE_MAX_ATTEMPTS];
	usec_t		 first_wire, last_wire;	/* seen leaving; USEC_NONE */
	int		 wire_seen;	/* transmissions seen leaving */
	double		 next_due;	/* monotonic */
	double		 last_send;	/* monotonic */
	/* Its waits were shortened to the round trip another answer on the
	 * path measured (ike_session.c): that answer's, in s, and what
	 * gave it; 0 and "" on the fixed schedule. */
	double		 path_rtt;
	char		 path_from[16];

	/* Outcome. */
	enum probe_result result;
	usec_t		 ended;		/* answer, error, refusal or give-up */
	double		 rtt_ms;	/* < 0 unknown */
	int		 send_errno;
	struct ike_reply reply;
	int		 replies;	/* answers matched, duplicates included */
	struct icmp_obs	 icmp;
	char		 problem[160];	/* the last answer not believed */

	/* How the answer came (a protected exchange's): the IP fragments of
	 * its largest datagram, and the fragments seen of answers that never
	 * became whole, from their first fragment on (which shows the SPI). */
	int		 rx_ip_frags;
	struct rx_partial {
		uint32_t	 ids[8];	/* IP IDs of the copies seen */
		int		 n_ids;
		int		 firsts;	/* first fragments seen */
		int		 others;	/* later ones, of those IDs */
		int		 whole;		/* of those IDs, put together */
		size_t		 size;		/* the datagram's, from UDP */
	}		 partial;
};

/* What the answer to an IKE_AUTH (or closing) probe says. */
enum auth_answer {
	AUTH_ANSWER_NONE,	/* no answer (yet) */
	AUTH_ANSWER_EAP,	/* IDr, CERT, AUTH and an EAP request */
	AUTH_ANSWER_FAILED,	/* AUTHENTICATION_FAILED: no EAP here */
	AUTH_ANSWER_ERROR,	/* another error notify */
	AUTH_ANSWER_OTHER,	/* something else (no EAP, no error) */
	AUTH_ANSWER_EMPTY,	/* no payloads (the answer to a DELETE) */
};

enum auth_answer probe_auth_answer(const struct probe *);
const char *auth_answer_name(enum auth_answer);

/* A probe record from its spec, nothing sent yet (no exchange built). */
void	 probe_init(struct probe *, int id, const struct probe_spec *);
void	 probe_free(struct probe *);
/* When it first went out (capture time if seen), USEC_NONE if not yet. */
usec_t	 probe_sent_at(const struct probe *);
/* Was it sent by time ts (a packet then may be about it)? */
bool	 probe_sent_by(const struct probe *, usec_t ts);

/* The ports of a session: to which, and from which (the held socket's). */
struct port_pair {
	uint16_t	 dport, sport;
	int		 sport_errno;	/* why sport is not dport (udp_hold) */
};

/* One session's probes, read-only: what the plan, the reading of size
 * probes and the diagnosis look at. */
struct probe_set {
	const struct probe *p;
	int		 n;
	const struct port_pair *ports;
	int		 n_ports;
	int		 family;
	int		 local_mtu;
	const struct ip_addr *local, *target;	/* the addresses used */
};

const struct probe *probe_set_get(const struct probe_set *, int id);
uint16_t probe_set_sport(const struct probe_set *, uint16_t dport);

const char *probe_result_name(enum probe_result);
const char *probe_kind_name(enum probe_kind);
const char *probe_purpose_name(enum probe_purpose);

#endif
