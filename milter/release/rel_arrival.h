/*
 * NAME
 *	rel_arrival - confirm holds by their queue files (rel_arrival.c)
 */
#ifndef REL_ARRIVAL_H
#define REL_ARRIVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "release/rel.h"
#include "release/rel_outbox.h"

/* Holds examined per pass (bounded work; the next pass takes the rest). */
#define REL_ARRIVAL_MAX 10000
/* How long after end of message a never-arrived hold is still looked
 * for (a file committed later than [release] arrival_timeout). */
#define REL_ARRIVAL_LATE_S 86400

typedef struct rel_arrival_opts {
	rel_backend *be;
	const char *actor;		/* audit actor: "milter", "reconcile" */
	long long timeout;		/* [release] arrival_timeout, seconds */
	time_t closed_since;		/* never-arrived holds created since
					 * then are looked for too; 0: not */
	bool check_header;		/* read X-Sendguard-Hold (needs root) */
	rel_log_fn log;			/* may be NULL */
	void *log_ctx;
} rel_arrival_opts;

typedef struct rel_arrival_stats {
	size_t confirmed, late, never, waiting, failed;
} rel_arrival_stats;

rel_rc rel_arrival_run(st_store *st, const rel_arrival_opts *o,
		       rel_arrival_stats *stats, sg_buf *err);

#endif
