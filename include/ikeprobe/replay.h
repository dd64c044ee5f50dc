/* A run re-derived from its own capture: the probes as its report says
 * they were sent (exchange identifiers, transmission and give-up times),
 * the packets as the capture has them, through the same ingest, dispatch,
 * matching and observation code as the live run, then the same diagnosis.
 * The replay-equals-live lab check rests on this: if matching were welded
 * to live I/O or read a clock, the two would differ. */
#ifndef IKEPROBE_REPLAY_H
#define IKEPROBE_REPLAY_H

#include <stddef.h>

#include "ikeprobe/doc.h"

struct json_object;

/* The report re-derived from d (a report read back) and the pcap file
 * path: 0 with *out (a json-c object for the caller to put), or -1 with
 * one line in err. */
int	 replay_report(const struct doc *d, const char *pcap_path,
	    struct json_object **out, int *exit_status, char *err, size_t errlen);

#endif
