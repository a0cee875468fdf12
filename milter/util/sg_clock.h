/*
 * NAME
 *	sg_clock - milliseconds to and since a CLOCK_MONOTONIC time
 * SYNOPSIS
 *	#include "util/sg_clock.h"
 * DESCRIPTION
 *	Deadlines and elapsed times are measured on CLOCK_MONOTONIC, which
 *	a change of the wall clock (NTP, an administrator) does not move;
 *	times for people are sg_time's. The store, notify, the PDF pool and
 *	release each had their own copy of these; they now share this one.
 *	Must never: read the wall clock, fail (clock_gettime on
 *	CLOCK_MONOTONIC does not fail on Linux).
 */
#ifndef SG_CLOCK_H
#define SG_CLOCK_H

#include <time.h>

/* Milliseconds from now until t (CLOCK_MONOTONIC): 0 when t has
 * passed, at most INT_MAX, so that it can be given to poll(2) as it
 * is. Truncated: 0 only when less than a millisecond is left. */
int sg_ms_until(const struct timespec *t);
/* Milliseconds from t0 (CLOCK_MONOTONIC) until now; negative when t0
 * lies ahead. */
long sg_ms_since(const struct timespec *t0);

#endif
