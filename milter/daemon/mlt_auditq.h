/*
 * NAME
 *	mlt_auditq - group commit of the accept records (issue 21)
 * SYNOPSIS
 *	#include "daemon/mlt_auditq.h"
 * DESCRIPTION
 *	A bounded FIFO of audit records and one flusher thread that hands
 *	them, oldest first, to a flush function (the milter's appends them
 *	in one store transaction: one fsync for the batch). It knows
 *	nothing of the milter protocol or the store, so that the unit tests drive it
 *	with a flush function of their own.
 *
 *	- Order: records are flushed in the order they were pushed; the
 *	  audit chain's order is the flush order.
 *	- A failed flush keeps its records at the head of the queue and
 *	  is retried after retry_ms; records are never dropped. Until a
 *	  flush succeeds again the queue is "failing" and push answers
 *	  MLT_AQ_FAILING: the caller writes that record itself (and so
 *	  tempfails the mail while the store stays unwritable), so that a
 *	  store known to be failing never collects a backlog of mail that
 *	  left without its record. mlt_aq_set_failing() lets the caller
 *	  report its own writes (a failed hold record marks the store
 *	  failing before any flush did; a good write clears it).
 *	- Full (max records or MLT_AQ_MAX_BYTES of detail): push answers
 *	  MLT_AQ_FULL and the caller tempfails the mail.
 *	- Flushes start at most every interval_ms: the records that arrive
 *	  meanwhile share the next transaction. A record waits at most
 *	  about one window (interval_ms plus one flush) before it is on
 *	  disk; that window is what a kill -9 can lose.
 *	- mlt_aq_drain() waits until everything pushed before it is
 *	  flushed (reload); mlt_aq_stop() refuses new records
 *	  (MLT_AQ_STOPPED: the caller writes synchronously), flushes the
 *	  rest, retrying within a time limit, and joins the thread.
 */
#ifndef MLT_AUDITQ_H
#define MLT_AUDITQ_H

#include <stdbool.h>
#include <stddef.h>

/* Bounds the memory the queue may hold (detail JSON carries subjects
 * and recipient lists), whatever max says. */
#define MLT_AQ_MAX_BYTES (64u * 1024 * 1024)
/* Most records in one transaction: a long one would hold the store's
 * write lock against sendguardctl and the hold path. */
#define MLT_AQ_MAX_BATCH 512

typedef struct mlt_aq_rec {
	char *event, *queue_id, *actor, *detail;
} mlt_aq_rec;

/* 0: all n records are written; -1: none are (the queue keeps them). */
typedef int (*mlt_aq_flush_fn)(void *arg, const mlt_aq_rec *recs, size_t n);

typedef enum mlt_aq_rc {
	MLT_AQ_QUEUED = 0,
	MLT_AQ_FULL,		/* tempfail the mail: nothing was queued */
	MLT_AQ_STOPPED,		/* not running: write it synchronously */
	MLT_AQ_FAILING		/* the store failed: write it synchronously */
} mlt_aq_rc;

typedef struct mlt_aq mlt_aq;

/* max >= 1 records; NULL when the thread cannot be started. */
mlt_aq *mlt_aq_start(size_t max, unsigned interval_ms, unsigned retry_ms,
		     mlt_aq_flush_fn fn, void *arg);
/* Copies the strings (queue_id, actor, detail may be NULL). */
mlt_aq_rc mlt_aq_push(mlt_aq *q, const char *event, const char *queue_id,
		      const char *actor, const char *detail);
/* Waits until every record pushed before the call is flushed, or
 * timeout_ms passed: 0, or -1 on timeout (the records stay queued). */
int mlt_aq_drain(mlt_aq *q, unsigned timeout_ms);
/* Stops: no new record; the queued ones are flushed, failures retried
 * for up to timeout_ms. Returns how many could not be written (they
 * are freed with the queue: the caller says so loudly). */
size_t mlt_aq_stop(mlt_aq *q, unsigned timeout_ms);
void mlt_aq_free(mlt_aq *q);
/* The caller's own write to the same store failed (true) or worked. */
void mlt_aq_set_failing(mlt_aq *q, bool failing);
/* Records queued now, and flushes that failed so far (tests, logs). */
size_t mlt_aq_pending(mlt_aq *q);
unsigned long mlt_aq_failures(mlt_aq *q);

#endif
