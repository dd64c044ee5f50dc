/* An IKE probing session against one gateway address: the plan's probes
 * (plan.h) built into exchanges, sent through the shared I/O, retransmitted
 * until answered or given up, and matched against what the capture sees
 * (match.h). The session is the only writer of its probes. */
#ifndef IKEPROBE_IKE_SESSION_H
#define IKEPROBE_IKE_SESSION_H

#include "ikeprobe/io.h"
#include "ikeprobe/kex.h"
#include "ikeprobe/net.h"
#include "ikeprobe/plan.h"
#include "ikeprobe/probe.h"

#define SESSION_KEX_MAX	6

struct ike_session {
	struct session	 base;
	struct ip_addr	 target;
	struct local_info local;
	struct port_pair ports[MAX_PORTS];
	int		 n_ports;
	struct kex_value kex[SESSION_KEX_MAX];	/* generated groups */
	int		 n_kex;
	struct kex_value audit_kex;	/* without the group in OpenSSL */

	struct plan_config cfg;
	struct plan_state plan;
	struct probe	 probes[PROBE_MAX];
	int		 n_probes;
	struct run_stats stats;

	double		 pace;		/* s between new probes to one port */
	double		 last_new[MAX_PORTS];	/* monotonic, first sends */

	/* How it ended: copied from the I/O when the loop stops. */
	bool		 interrupted;
	int		 stop_signal;	/* that interrupted it, 0: none known */
	bool		 faulted;
	char		 fault[200];
	double		 fault_after;
	usec_t		 started;	/* capture clock */
	double		 started_mono;
	double		 duration;	/* s */
	FILE		*trace;
};

/* A session to target from local, on the ports (source ports as held). */
void	 ike_session_init(struct ike_session *, const struct ip_addr *target,
	    const struct local_info *, const struct port_pair *, int n_ports,
	    const struct plan_config *);
void	 ike_session_free(struct ike_session *);
/* The probes as the plan, the reading of size probes and the diagnosis
 * see them. */
struct probe_set ike_session_set(const struct ike_session *);
/* After the loop: how the run ended, and what it cost. */
void	 ike_session_finish(struct ike_session *, const struct io *);

extern const struct session_ops ike_session_ops;

#endif
