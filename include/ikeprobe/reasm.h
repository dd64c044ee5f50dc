/* IPv4 reassembly of fragmented replies, bounded in slots and bytes: a
 * flood of fragments evicts old slots, it never grows memory. */
#ifndef IKEPROBE_REASM_H
#define IKEPROBE_REASM_H

#include "ikeprobe/packet.h"

#define REASM_SLOTS	8

struct reasm_slot;

struct reasm {
	struct reasm_slot *slots[REASM_SLOTS];
	unsigned long	 evicted;	/* incomplete datagrams given up */
	unsigned long	 invalid;	/* oversized, misaligned or conflicting-end fragments (overlaps overwrite) */
};

void	 reasm_init(struct reasm *);
void	 reasm_free(struct reasm *);
/* Add a decoded fragment. Returns 1 with the whole datagram in out when
 * complete, 0 while pending, -1 if the fragment is invalid. */
int	 reasm_add(struct reasm *, const struct pkt *, double now, struct wbuf *out);

#endif
