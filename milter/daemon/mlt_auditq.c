/*
 * NAME
 *	mlt_auditq - group commit of the accept records (issue 21)
 * DESCRIPTION
 *	See mlt_auditq.h. The queue is one array of max records allocated
 *	at start: the flusher hands out v[0..k) without the lock while
 *	pushers append at v[n..], so neither moves the other's records;
 *	only after the flush, under the lock, are the flushed ones freed
 *	and the rest moved down. Pushers signal the flusher only when the
 *	queue turns non-empty: under load the flusher never sleeps on the
 *	condition, it finds the next batch waiting.
 */
#include "daemon/mlt_auditq.h"
#include "util/sg_mem.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mlt_aq {
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* flusher: records came, or stop */
	pthread_cond_t done;	/* drainers: a flush ended, or the thread */
	pthread_t tid;
	mlt_aq_rec *v;
	size_t n, max, bytes;
	unsigned interval_ms, retry_ms;
	mlt_aq_flush_fn fn;
	void *arg;
	unsigned long long pushed, flushed;
	unsigned long failures;
	bool stopping, exited;
	bool failing;		/* the last write to the store failed */
	struct timespec stop_by;	/* stopping: give up retrying then */
};

static struct timespec mlt_aq_after(unsigned ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += (time_t)(ms / 1000);
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static bool mlt_aq_passed(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec ||
	       (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static size_t mlt_aq_size(const mlt_aq_rec *r)
{
	return (r->event ? strlen(r->event) : 0) +
	       (r->queue_id ? strlen(r->queue_id) : 0) +
	       (r->actor ? strlen(r->actor) : 0) +
	       (r->detail ? strlen(r->detail) : 0);
}

static void mlt_aq_rec_free(mlt_aq_rec *r)
{
	free(r->event);
	free(r->queue_id);
	free(r->actor);
	free(r->detail);
}

/* Under q->mu: the first k records are on disk. */
static void mlt_aq_remove(mlt_aq *q, size_t k)
{
	for (size_t i = 0; i < k; i++) {
		q->bytes -= mlt_aq_size(&q->v[i]);
		mlt_aq_rec_free(&q->v[i]);
	}
	memmove(q->v, q->v + k, (q->n - k) * sizeof(*q->v));
	q->n -= k;
	q->flushed += k;
}

static void *mlt_aq_main(void *arg)
{
	mlt_aq *q = arg;
	struct timespec next = { 0, 0 };
	bool flushed_once = false;

	pthread_mutex_lock(&q->mu);
	/* Ends when stopping and empty, or stopping and out of time. */
	for (;;) {
		size_t k;
		int ok;

		while (q->n == 0 && !q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->n == 0)
			break;
		/* The window: records that arrive in it share the next
		 * transaction. A stop does not wait for it. */
		while (flushed_once && !q->stopping && !mlt_aq_passed(&next))
			pthread_cond_timedwait(&q->cv, &q->mu, &next);
		k = q->n < MLT_AQ_MAX_BATCH ? q->n : MLT_AQ_MAX_BATCH;
		next = mlt_aq_after(q->interval_ms);
		flushed_once = true;
		pthread_mutex_unlock(&q->mu);
		ok = q->fn(q->arg, q->v, k) == 0;
		pthread_mutex_lock(&q->mu);
		q->failing = !ok;
		if (ok) {
			mlt_aq_remove(q, k);
			pthread_cond_broadcast(&q->done);
			continue;
		}
		/* Kept at the head, in order; retried after retry_ms. */
		q->failures++;
		if (q->stopping && mlt_aq_passed(&q->stop_by))
			break;
		{
			struct timespec retry = mlt_aq_after(q->retry_ms);

			if (q->stopping && !mlt_aq_passed(&q->stop_by) &&
			    (retry.tv_sec > q->stop_by.tv_sec ||
			     (retry.tv_sec == q->stop_by.tv_sec &&
			      retry.tv_nsec > q->stop_by.tv_nsec)))
				retry = q->stop_by;
			pthread_cond_timedwait(&q->cv, &q->mu, &retry);
		}
	}
	q->exited = true;
	pthread_cond_broadcast(&q->done);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

mlt_aq *mlt_aq_start(size_t max, unsigned interval_ms, unsigned retry_ms,
		     mlt_aq_flush_fn fn, void *arg)
{
	mlt_aq *q = sg_xcalloc(1, sizeof(*q));
	pthread_condattr_t ca;

	q->max = max ? max : 1;
	q->v = sg_xcalloc(q->max, sizeof(*q->v));
	q->interval_ms = interval_ms;
	q->retry_ms = retry_ms ? retry_ms : 1;
	q->fn = fn;
	q->arg = arg;
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_cond_init(&q->done, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&q->tid, NULL, mlt_aq_main, q) != 0) {
		q->exited = true;	/* nothing to join */
		mlt_aq_free(q);
		return NULL;
	}
	return q;
}

static char *mlt_aq_dup(const char *s)
{
	return s ? sg_xstrdup(s) : NULL;
}

mlt_aq_rc mlt_aq_push(mlt_aq *q, const char *event, const char *queue_id,
		      const char *actor, const char *detail)
{
	/* Copied before the lock: the pushers' critical section is a
	 * few stores. */
	mlt_aq_rec r = { mlt_aq_dup(event), mlt_aq_dup(queue_id),
			 mlt_aq_dup(actor), mlt_aq_dup(detail) };
	size_t size = mlt_aq_size(&r);
	mlt_aq_rc rc;

	pthread_mutex_lock(&q->mu);
	if (q->stopping || q->exited) {
		rc = MLT_AQ_STOPPED;
	} else if (q->failing) {
		rc = MLT_AQ_FAILING;
	} else if (q->n >= q->max || q->bytes + size > MLT_AQ_MAX_BYTES) {
		rc = MLT_AQ_FULL;
	} else {
		q->v[q->n++] = r;
		q->bytes += size;
		q->pushed++;
		if (q->n == 1)
			pthread_cond_signal(&q->cv);
		rc = MLT_AQ_QUEUED;
	}
	pthread_mutex_unlock(&q->mu);
	if (rc != MLT_AQ_QUEUED)
		mlt_aq_rec_free(&r);
	return rc;
}

int mlt_aq_drain(mlt_aq *q, unsigned timeout_ms)
{
	struct timespec by = mlt_aq_after(timeout_ms);
	unsigned long long want;
	int rc;

	pthread_mutex_lock(&q->mu);
	want = q->pushed;
	/* Ends when flushed, when the thread is gone, or at the time limit
	 * (timedwait returns ETIMEDOUT then, and mlt_aq_passed agrees). */
	while (q->flushed < want && !q->exited && !mlt_aq_passed(&by))
		pthread_cond_timedwait(&q->done, &q->mu, &by);
	rc = q->flushed >= want ? 0 : -1;
	pthread_mutex_unlock(&q->mu);
	return rc;
}

size_t mlt_aq_stop(mlt_aq *q, unsigned timeout_ms)
{
	size_t left;
	bool join;

	pthread_mutex_lock(&q->mu);
	join = !q->stopping && !q->exited;
	if (!q->stopping) {
		q->stopping = true;
		q->stop_by = mlt_aq_after(timeout_ms);
	}
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	if (join)
		pthread_join(q->tid, NULL);
	pthread_mutex_lock(&q->mu);
	q->exited = true;
	left = q->n;
	pthread_mutex_unlock(&q->mu);
	return left;
}

void mlt_aq_free(mlt_aq *q)
{
	if (q == NULL)
		return;
	if (!q->exited)
		mlt_aq_stop(q, 0);
	for (size_t i = 0; i < q->n; i++)
		mlt_aq_rec_free(&q->v[i]);
	free(q->v);
	pthread_cond_destroy(&q->cv);
	pthread_cond_destroy(&q->done);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

void mlt_aq_set_failing(mlt_aq *q, bool failing)
{
	pthread_mutex_lock(&q->mu);
	q->failing = failing;
	pthread_mutex_unlock(&q->mu);
}

size_t mlt_aq_pending(mlt_aq *q)
{
	size_t n;

	pthread_mutex_lock(&q->mu);
	n = q->n;
	pthread_mutex_unlock(&q->mu);
	return n;
}

unsigned long mlt_aq_failures(mlt_aq *q)
{
	unsigned long n;

	pthread_mutex_lock(&q->mu);
	n = q->failures;
	pthread_mutex_unlock(&q->mu);
	return n;
}
