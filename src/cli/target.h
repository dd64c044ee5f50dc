/* One gateway of a run, from its name to its report: what the probing
 * command and the exporter share. Resolve it, route each family, start its
 * sessions in the shared loop, and when they have ended diagnose them into
 * the report's JSON. */
#ifndef IKEPROBE_CLI_TARGET_H
#define IKEPROBE_CLI_TARGET_H

#include <stdbool.h>

#include "ikeprobe/bundle.h"
#include "ikeprobe/ike_session.h"
#include "ikeprobe/io.h"
#include "ikeprobe/report.h"
#include "ikeprobe/sstp_session.h"
#include "options.h"

/* The addresses a name resolves to, in the resolver's order (it sorts
 * them by RFC 6724: IPv6 first where this machine has it, as a Windows
 * client tries them), each once. */
struct resolved {
	struct ip_addr	 all[MAX_ADDRS];
	int		 n_all;
	struct ip_addr	 probe[MAX_ADDRS];	/* the ones we probe */
	int		 n_probe;
	/* Why an address of the name is not probed, by all[] index ("" when
	 * it is, or when it is just one more of a family already probed). */
	char		 why_not[MAX_ADDRS][200];
};

/* What each family leaves from: its local address, interface and MTU,
 * and its held source ports. */
struct families {
	struct local_info local[2];	/* IPv4, IPv6 */
	bool		 used[2];
	struct port_pair ports[2][MAX_PORTS];
};

/* One gateway of the run: its addresses, what each family leaves from,
 * its sessions and, once they have all ended, its report. */
struct target_run {
	const char	*name;
	struct resolved	 t;
	struct families	 fam;
	/* One per probed address, made by target_start (an IKE session
	 * is a megabyte: a run of 64 gateways makes what it uses). */
	struct ike_session *sess;
	struct sstp_session *sstp;
	struct report	*reps;
	struct peer_path path[MAX_ADDRS];	/* each address's, shared */
	struct bundle	 b;
	char		 dir[4096];	/* the bundle's */
	void		*sink;		/* its capture.pcap, with --output */
	bool		 started;	/* its sessions are in the loop */
	bool		 finished;
	char		*json;		/* its report, once finished */
	int		 status;	/* what it exits with */
};

/* The exit status of a network error. */
int	 net_status(enum net_err);
/* family: AF_INET or AF_INET6 for -4 or -6, else 0 (both). 0, or an exit
 * status with one line in err. */
int	 target_resolve(const char *name, bool every, int family,
	    struct resolved *, char *err, size_t errlen);
int	 fam_index(int family);
int	 route_families(struct resolved *, struct families *,
	    const struct options *, const struct ip_addr *src, char *, size_t);
/* Size options checked against the interface MTU, known only now. */
int	 size_config(struct size_config *, const struct local_info *,
	    const struct options *, char *, size_t);
/* The plan of every session, from the options (sizes: size_config). */
void	 target_plan_config(struct plan_config *, const struct options *);
/* Its sessions, into the loop (the ports held, the routes known): 0, or
 * -1 out of memory. */
int	 target_start(struct target_run *, struct io *, const struct options *,
	    const struct plan_config *);
/* Are all its sessions done? */
bool	 target_done(const struct target_run *, const struct options *);
/* Its report, x->json, and x->status (the worst of its addresses); first:
 * the run's first gateway, whose report counts what no session claimed.
 * 0, or -1 out of memory. */
int	 target_report(struct target_run *, struct io *,
	    const struct options *, const struct host_info *,
	    struct cert_store *, bool first);
void	 target_free(struct target_run *, const struct options *);

#endif
