/* Sessions: the measurements one run makes, each against one peer, all
 * driven by one I/O loop (io.h), as scamper's tasks are. A session says
 * when it next wants to run, sends through the shared I/O, and is handed
 * the captured packets whose signature (its peer's address; an SPI of its
 * own) it claims. A session with a descriptor of its own (a TCP
 * connection) is polled in the same loop. */
#ifndef IKEPROBE_SESSION_H
#define IKEPROBE_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "ikeprobe/clock.h"
#include "ikeprobe/ingest.h"
#include "ikeprobe/packet.h"

struct io;
struct session;

/* What the sessions to one address have measured of the path to it,
 * shared so that one session's silence can be judged by another's
 * answer: the longest round trip of a first answer (a UDP port's IKE
 * reply, TCP's SYN-ACK or reset), 0 while nothing has answered. */
struct peer_path {
	double		 rtt;		/* s */
	char		 from[16];	/* what answered: "UDP 500", "TCP 443" */
};

/* One round trip of an answer from proto/port (a sample: not a
 * retransmitted request's, which could be any of them). */
void	 peer_path_note(struct peer_path *, double rtt, const char *proto,
	    uint16_t port);

struct session_ops {
	const char	*kind;
	/* Send what is due; return the monotonic time it next wants to
	 * run (it is called again at the latest then, and after every
	 * packet it was given). Sets session.done when it has finished. */
	double		(*run)(struct session *, struct io *, double now);
	/* A frame dispatched here (ingest.h), at capture time ts. */
	void		(*frame)(struct session *, struct io *, enum frame_kind,
			    const struct pkt *, usec_t ts);
	/* Does a datagram from an address other than the peer's carry one
	 * of this session's identifiers (an IKE SPI)? */
	bool		(*claims)(const struct session *, const struct pkt *,
			    usec_t ts);
	/* Its own descriptor to poll, or -1; ready() when it is. */
	int		(*fd)(const struct session *, short *events);
	void		(*ready)(struct session *, struct io *, short revents,
			    double now);
};

struct session {
	const struct session_ops *ops;
	struct ip_addr	 local;		/* its signature: from where */
	struct ip_addr	 peer;		/* and to whom */
	uint8_t		 proto;		/* over which transport (IP_PROTO_*) */
	bool		 done;
	bool		 told;		/* io's on_done has been called */
	/* Where the captured frames dispatched here are also saved (a
	 * capture_sink: one gateway's capture.pcap of a run of several);
	 * NULL: nowhere of its own. */
	void		*sink;
	struct peer_path *path;		/* shared with its peer's others */
	/* When it must end, monotonic (the exporter's scrape timeout); 0:
	 * none. A session ended by it is incomplete, as if interrupted. */
	double		 deadline;
	bool		 deadline_hit;
};

/* The session a frame belongs to, by its signature: our own datagram to a
 * peer, a datagram from a peer, an ICMP error quoting one to a peer, or a
 * datagram from elsewhere that one session claims; of two sessions with
 * the same peer (IKE and SSTP), the one of the frame's transport (for an
 * ICMP error, the quoted one's; IP fragments carry UDP). -1: none. */
int	 session_dispatch(struct session *const *, int n, enum frame_kind,
	    const struct pkt *, usec_t ts);

#endif
