/* From captured frames to packets: the link header, the IP decoder, and
 * reassembly of fragments from the other side (our own fragments are
 * passed on as they are: each is a transmission seen leaving). Used alike
 * by the live capture and by a saved one. */
#ifndef IKEPROBE_INGEST_H
#define IKEPROBE_INGEST_H

#include "ikeprobe/clock.h"
#include "ikeprobe/packet.h"
#include "ikeprobe/reasm.h"

#define INGEST_LOCAL_MAX	4

enum frame_kind {
	FRAME_PACKET,		/* a whole datagram (maybe reassembled) */
	FRAME_HELD,		/* a fragment kept until its datagram is whole */
	FRAME_MALFORMED,	/* pkt is set when its addresses are known */
	FRAME_NOT_IP,
};

typedef void frame_fn(void *arg, enum frame_kind, const struct pkt *, usec_t ts);

struct ingest {
	struct reasm	 reasm;
	struct ip_addr	 local[INGEST_LOCAL_MAX];
	int		 n_local;
	unsigned long	 frames;
};

void	 ingest_init(struct ingest *);
void	 ingest_free(struct ingest *);
void	 ingest_local(struct ingest *, const struct ip_addr *);
/* Decode one frame seen at ts and hand what it is to fn. */
void	 ingest_frame(struct ingest *, int link, const uint8_t *, size_t,
	    usec_t ts, frame_fn *, void *arg);

#endif
