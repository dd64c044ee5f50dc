/* The I/O every session of a run shares: the raw sockets our datagrams
 * leave by, the UDP ports held so the kernel stays quiet about replies,
 * the capture, one pacing budget for all traffic, and the one poll loop
 * that drives the sessions (session.h). Opened with privilege, used
 * after it is gone. */
#ifndef IKEPROBE_IO_H
#define IKEPROBE_IO_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "ikeprobe/ingest.h"
#include "ikeprobe/net.h"
#include "ikeprobe/obs.h"
#include "ikeprobe/session.h"

#define IO_MAX_HELD	16
/* Every session of a run: two per address (IKE, SSTP), two addresses per
 * gateway (IPv4, IPv6), for a run's 64 gateways. */
#define IO_MAX_SESSIONS	256

/* Datagrams per second for the whole run, and how many may go at once:
 * far above what one gateway's probes need (the largest round is a few
 * dozen datagrams), so one session never waits, yet a run against many
 * gateways stays a trickle, not a flood. */
#define IO_RATE		2000.0
#define IO_BURST	64.0

struct held_port {
	struct ip_addr	 local;
	uint16_t	 dport;		/* the port it stands in for */
	uint16_t	 sport;		/* the one we got */
	int		 why;		/* why not dport: the bind's errno */
	int		 fd;
};

struct io {
	int		 raw[2];	/* IPv4, IPv6; -1 when not open */
	struct held_port held[IO_MAX_HELD];
	int		 n_held;
	struct capture	 cap;
	bool		 cap_open;
	struct ingest	 in;

	double		 rate, burst, tokens, refilled;	/* the budget */

	struct session	*sessions[IO_MAX_SESSIONS];
	int		 n_sessions;
	/* What no session claimed: counted once, in the first session's
	 * report. */
	struct run_stats unclaimed;

	volatile sig_atomic_t *stop;	/* a signal's number: end early */
	int		 stop_signal;	/* the one that ended the run, or 0 */
	bool		 interrupted;
	/* This machine's network failed under the run (interface down,
	 * route gone): every session stopped there, and says why. */
	bool		 faulted;
	char		 fault[200];
	double		 fault_after;	/* s into the run */
	double		 started;	/* monotonic */
	usec_t		 started_wall;

	FILE		*trace;		/* -v: every packet, to stderr */

	/* Called once for each session as it finishes, from inside the
	 * loop (a gateway's report can go out while others still run). */
	void		(*on_done)(void *arg, struct session *);
	void		*on_done_arg;
	/* Set (by on_done) when a session must run again before the loop
	 * waits: the exporter answers a probe as soon as it ends. */
	bool		 again;
	const struct capture_pkt *frame;	/* the one being dispatched */
	bool		 frame_saved;
};

void	 io_init(struct io *);
/* The raw socket of a family (opened before privilege is dropped). */
enum net_err io_open_raw(struct io *, int family, const char *ifname,
	    char *, size_t);
/* Hold local:port (or a free port when it is taken); the port got. */
enum net_err io_hold(struct io *, const struct ip_addr *local, uint16_t port,
	    uint16_t *got, int *why, char *, size_t);
enum net_err io_open_capture(struct io *, const struct local_info *,
	    const char *filter, const char *pcap_path, char *, size_t);
/* A session into the loop (false: the loop is full). Sessions may be
 * added from inside the loop; io_remove() takes one out, from the run()
 * of the loop's first session or outside the loop (the exporter's
 * server is that first session), so that no index the loop holds moves. */
bool	 io_add(struct io *, struct session *);
void	 io_remove(struct io *, struct session *);

/* May n more datagrams go now? If so they are taken from the budget; if
 * not, *due is lowered to when they may. */
bool	 io_budget(struct io *, int n, double now, double *due);
/* Send one datagram: 0 or a negative errno. A failure that is not about
 * the datagram (the interface went down) faults the run. */
int	 io_send(struct io *, const struct ip_addr *dst, const uint8_t *, size_t);
void	 io_fault(struct io *, const char *what, int err);
bool	 io_stopping(const struct io *);
/* Must this session stop now: the run's stop, or its own deadline? */
bool	 session_stopping(const struct io *, struct session *, double now);

/* Drive every session until all are done, interrupted or faulted. */
void	 io_run(struct io *);
void	 io_close(struct io *);

#endif
