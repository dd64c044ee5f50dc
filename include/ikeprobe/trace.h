/* -v: every datagram sent and every frame captured, with its decode and
 * what matching made of it, one line each on stderr, for people debugging
 * a run (or, later, a key derivation). Never part of the report. */
#ifndef IKEPROBE_TRACE_H
#define IKEPROBE_TRACE_H

#include <stdio.h>

#include "ikeprobe/ingest.h"
#include "ikeprobe/obs.h"
#include "ikeprobe/probe.h"

void	 trace_sent(FILE *, usec_t t0, const struct probe *, int dgram,
	    const struct wbuf *, int rc);
void	 trace_frame(FILE *, usec_t t0, enum frame_kind, const struct pkt *,
	    usec_t ts, const struct observation *, const struct probe *);
/* A TCP segment or an ICMP error about one (the SSTP check); what starts
 * with '>' for our own. */
void	 trace_tcp(FILE *, usec_t t0, const struct pkt *, usec_t ts,
	    const char *what);
/* A step of a session that is not a packet (a TLS handshake done). */
void	 trace_event(FILE *, usec_t t0, usec_t ts, const char *what,
	    const char *detail);
void	 trace_ended(FILE *, usec_t t0, const struct probe *, usec_t ts);

#endif
