/* Matching: one decoded packet, with its capture time, against what one
 * session sent, yields an observation; observing it updates the probes.
 * Neither reads a clock or touches a socket, so a live run and a saved
 * capture go through exactly this code (engine/replay.c), and both can be
 * tested without root (tests/unit/test_match.c).
 *
 * Replies are matched by (SPIi, SPIr, message ID) to the exchange they
 * answer; ICMP errors by the datagram they quote: addresses, ports and the
 * SPI for a whole datagram or first fragment, the ID and offset for a
 * later fragment, so that an error about someone else's packet is never
 * believed. */
#ifndef IKEPROBE_MATCH_H
#define IKEPROBE_MATCH_H

#include "ikeprobe/ingest.h"
#include "ikeprobe/obs.h"
#include "ikeprobe/probe.h"

/* What was sent: one session's probes, from where to where. */
struct match_ctx {
	const struct ip_addr *local;
	const struct ip_addr *target;
	struct probe_set set;
};

void	 ike_match(const struct match_ctx *, const struct pkt *, usec_t ts,
	    struct observation *);

/* A fragment from the target held for reassembly: which probe's answer
 * it is a piece of (OBS_FRAGMENT), so that an answer whose later
 * fragments never come is still evidence. */
void	 ike_match_fragment(const struct match_ctx *, const struct pkt *,
	    usec_t ts, struct observation *);

/* The probe with this initiator SPI that a packet at ts may be about (one
 * sent by then; a pending one first: a COOKIE retry shares its parent's
 * SPI), or -1. */
int	 match_spi(const struct probe_set *, const uint8_t spi[IKE_SPI_LEN],
	    usec_t ts);

/* What observing changed. */
enum observed {
	OBSERVED_NOTHING,
	OBSERVED_COUNTED,	/* a counter, no probe */
	OBSERVED_PROBE,		/* a probe's transmissions (its wire time) */
	OBSERVED_ENDED,		/* a probe's outcome: the plan may react */
};

/* Apply an observation to the probes and counters of a session. */
enum observed observe(struct probe *probes, int n_probes, struct run_stats *,
	    const struct observation *);

/* One frame as ingest hands it over (a whole datagram, maybe put
 * together, or a fragment held for reassembly): matched, observed, and
 * counted in stats. The live run and a replay both go through here
 * (engine/ike_session.c), and so does fuzz/fuzz_match.c. o says what it
 * was (OBS_OTHER for a held fragment of no answer, OBS_MALFORMED). */
enum observed match_frame(const struct match_ctx *, struct probe *probes,
	    int n_probes, struct run_stats *, enum frame_kind,
	    const struct pkt *, usec_t ts, struct observation *o);

/* A probe that nothing answered by its last timer: given up at ts, as
 * lost, or as never sent when the local stack refused every attempt. */
void	 observe_give_up(struct probe *, usec_t ts);
/* The local stack refused a transmission: EMSGSIZE ends the probe (too
 * big for our own link: retrying cannot help). True if it ended. */
bool	 observe_send_error(struct probe *, int err, usec_t ts);

#endif
