/* The probing plan: given what has been observed (a read-only probe_set),
 * which probes to add now, as complete specs. The plan sends nothing,
 * builds nothing and writes no probe: the session that runs it adds what
 * it returns and asks again when something changed. So the plan can be
 * driven through whole scenarios with made-up observations and a fake
 * clock (tests/unit/test_plan.c). */
#ifndef IKEPROBE_PLAN_H
#define IKEPROBE_PLAN_H

#include <stdbool.h>

#include "ikeprobe/probe.h"

/* What the size part of a run is to try. */
struct size_config {
	bool		 enabled;	/* false with --quick */
	bool		 stateful;	/* size probes ask for a full SA */
	size_t		 sizes[MAX_SIZES];	/* IP datagram sizes, ascending */
	int		 n_sizes;	/* 0: defaults for the interface MTU */
	size_t		 frag_size;	/* 0: default */
};

struct plan_config {
	double		 rto;		/* first retransmission timeout, s */
	int		 max_attempts;
	double		 backoff;	/* each wait this much longer than the last */
	uint16_t	 group;		/* the KE group first offered */
	struct size_config sizes;
	bool		 auth;		/* the IKE_AUTH probe (not --quick,
					 * not --no-auth) */
	bool		 audit;		/* the proposal audit (--audit) */
	/* kex_supported(), as the session can generate them */
	bool		 (*group_ok)(uint16_t);
};

/* What the plan started, so it does not start it twice: the fragment and
 * path-MTU ladders and the probe kind per port, chosen when the size
 * tests begin from what reachability found. */
struct plan_state {
	bool		 reach_started;
	bool		 sizes_started;
	bool		 audit_started;
	int		 pmtu_port;	/* index into the probe_set's ports, -1 */
	bool		 frag_port[MAX_PORTS];
	enum probe_kind	 kind[MAX_PORTS];
	size_t		 df_sizes[MAX_SIZES], frag_sizes[MAX_SIZES];
	int		 n_df, n_frag;
	size_t		 frag_size;
	double		 rto;		/* of size probes, from the round trip */
};

struct plan_view {
	struct probe_set set;		/* what was sent and observed */
	const struct plan_config *cfg;
	bool		 stopping;	/* interrupted or faulted: add nothing */
};

#define PLAN_BATCH	(2 * MAX_PORTS + MAX_SIZES)

void	 plan_init(struct plan_state *);
/* The probes to add now, in order, into out (room for PLAN_BATCH): how
 * many. Call again after adding them and whenever a probe ends, until it
 * returns 0 with nothing pending: then the session is done. */
int	 plan_next(const struct plan_view *, struct plan_state *,
	    struct probe_spec *out);

/* The size part alone (sizeplan.c), called when nothing is pending. */
int	 plan_sizes(const struct plan_view *, struct plan_state *,
	    struct probe_spec *out);
/* The IKE_AUTH part (authplan.c), once reachability is settled. */
int	 plan_auth(const struct plan_view *, struct probe_spec *out);
/* The proposal audit (auditplan.c), once the size tests are done. */
int	 plan_audit(const struct plan_view *, struct probe_spec *out);
/* The reachability answer the audit starts from (its port, its round
 * trip): one that shows the gateway picking a proposal (INVALID_KE_PAYLOAD,
 * then a full SA) if any, else any IKE answer; NULL if none. */
const struct probe *plan_audit_base(const struct probe_set *);
/* Does it show the gateway picking a proposal (the positive control)? */
bool	 plan_audit_chose(const struct probe *);
/* Is the probe part of the IKE_AUTH test (its SA, IKE_AUTH, DELETE)? */
bool	 plan_is_auth(const struct probe *);
/* A spec for the plan's parts to complete: the port pair, our group, no
 * parent or SA, the configured retransmission. */
struct probe_spec plan_spec(const struct plan_view *, enum probe_kind,
	    enum probe_purpose, uint16_t dport);
/* A retransmission timeout from an answered probe's round trip: four of
 * them, at least 50 ms, at most the configured first timeout. */
double	 plan_rtt_rto(const struct plan_view *, const struct probe *answered);
/* Has a probe been followed up (a retry, a COOKIE echo)? */
bool	 plan_has_child(const struct probe_set *, const struct probe *);
/* RFC 7296 2.6: the spec echoes the COOKIE of answered, with its SPI and
 * nonce, as its child. */
void	 plan_echo_cookie(struct probe_spec *, const struct probe *answered);
/* The full SA answer IKE_AUTH works in: the first reachability or
 * follow-up request answered with SA, KE and nonce; NULL if none. */
const struct probe *plan_full_sa(const struct probe_set *);

#endif
