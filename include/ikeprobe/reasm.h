/* Reassembly of fragmented datagrams from the gateway, both families,
 * bounded in slots and bytes: a flood of fragments evicts old slots, it
 * never grows memory. Time is the capture's: a fragment older than
 * REASM_TIMEOUT is forgotten, so a new datagram that reuses its ID (a slow
 * gateway, a flood, a late duplicate) is never joined with it. */
#ifndef IKEPROBE_REASM_H
#define IKEPROBE_REASM_H

#include "ikeprobe/packet.h"

#define REASM_SLOTS	8
/* RFC 791's suggested lower bound. Linux waits 30 s, RFC 8200 60 s; a run
 * gives each probe a few seconds, and the pieces of one reply arrive
 * within milliseconds of each other, so anything older is not part of an
 * answer but a trap for the next datagram with its ID. */
#define REASM_TIMEOUT	15.0	/* seconds */

struct reasm_slot;

struct reasm {
	struct reasm_slot *slots[REASM_SLOTS];
	unsigned long	 evicted;	/* incomplete datagrams pushed out by newer ones */
	unsigned long	 expired;	/* incomplete datagrams older than REASM_TIMEOUT */
	unsigned long	 invalid;	/* oversized, misaligned or conflicting-end fragments (overlaps overwrite) */
	int		 last_frags;	/* fragments of the last datagram completed */
};

void	 reasm_init(struct reasm *);
void	 reasm_free(struct reasm *);
/* Add a decoded fragment seen at time ts (seconds, the capture's clock).
 * Returns 1 with the whole datagram in out when complete, 0 while pending,
 * -1 if the fragment is invalid. */
int	 reasm_add(struct reasm *, const struct pkt *, double ts, struct wbuf *out);

#endif
