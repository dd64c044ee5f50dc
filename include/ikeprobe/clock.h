/* Two clocks. Evidence (when a datagram left, when an answer came, when a
 * probe was given up) is on the capture's clock: microseconds since the
 * epoch, as the kernel stamps packets and a saved capture keeps them, so a
 * run and a replay of its capture compare the same numbers. Timers run on
 * the monotonic clock, which no clock step can move. */
#ifndef IKEPROBE_CLOCK_H
#define IKEPROBE_CLOCK_H

#include <stdint.h>

typedef int64_t usec_t;

#define USEC_NONE	((usec_t)-1)	/* never happened */

double	 mono_now(void);	/* seconds */
usec_t	 wall_usec_now(void);	/* the capture's clock: CLOCK_REALTIME */

static inline double
usec_to_ms(usec_t d)
{
	return (double)d / 1000.0;
}

#endif
