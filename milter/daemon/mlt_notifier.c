/*
 * NAME
 *	mlt_notifier - the milter's thread that sends the outbox's notices
 * DESCRIPTION
 *	End of message records a hold's notices in the store and wakes
 *	this thread; it sends them after Postfix has its answer, so the
 *	time from DATA to the 250 reply no longer grows with the number of
 *	approvers or with a slow submission path (issue 16). Between
 *	wake-ups it looks at the outbox once a second: notices recorded
 *	by `sendguardctl` (outcomes, reminders) or due for a retry are
 *	sent by whichever drainer comes first (rel_outbox.c, leases).
 *
 *	The notifier borrows the runtime's keys and templates; it is made
 *	again when a reload (SIGUSR1) swaps the runtime, and it holds a
 *	reference to the runtime for the length of each pass.
 * DIAGNOSTICS
 *	One log line per notice (rel_outbox.c).
 */
#include "daemon/mlt.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <syslog.h>
#include <time.h>

#define MLT_NOTIFIER_TICK_MS 1000

static pthread_mutex_t mlt_nt_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mlt_nt_cv;
static bool mlt_nt_woken, mlt_nt_stopping, mlt_nt_running;
static pthread_t mlt_nt_tid;

static void mlt_nt_log(int prio, const char *msg, void *ctx)
{
	(void)ctx;
	mlt_log(prio, "%s", msg);
}

/* Waits for a wake-up, the stop, or one tick; false when stopping. */
static bool mlt_nt_wait(void)
{
	struct timespec until;
	bool go;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += (long)MLT_NOTIFIER_TICK_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&mlt_nt_mu);
	while (!mlt_nt_woken && !mlt_nt_stopping)
		if (pthread_cond_timedwait(&mlt_nt_cv, &mlt_nt_mu, &until) == ETIMEDOUT)
			break;
	mlt_nt_woken = false;
	go = !mlt_nt_stopping;
	pthread_mutex_unlock(&mlt_nt_mu);
	return go;
}

static void *mlt_nt_main(void *arg)
{
	rel_notifier *n = NULL;
	unsigned long gen = 0;

	(void)arg;
	while (mlt_nt_wait()) {
		mlt_rt *rt = mlt_rt_get();
		bool more;
		time_t due;
		sg_buf err;

		if (rt == NULL)
			continue;
		if (n == NULL || gen != rt->generation) {
			rel_notifier_free(n);
			sg_buf_init(&err, 4096);
			n = rel_notifier_new(rt->conf, rt->ntf, "milter", mlt_nt_log, NULL,
					     &err);
			if (n == NULL)
				mlt_log(LOG_ERR, "notices: %s", sg_buf_cstr(&err));
			sg_buf_free(&err);
			gen = rt->generation;
		}
		/* A plain read first: an idle outbox costs no write lock
		 * (a store that is full or read-only must be left alone). */
		due = st_outbox_next_due(rt->store);
		more = due != 0 && due <= time(NULL);

		for (int i = 0; n && more && i < 100; i++) {
			rel_notifier_drain(n, rt->store, time(NULL), &more);
			pthread_mutex_lock(&mlt_nt_mu);
			more = more && !mlt_nt_stopping;
			pthread_mutex_unlock(&mlt_nt_mu);
		}
		mlt_rt_put(rt);
	}
	rel_notifier_free(n);
	return NULL;
}

int mlt_notifier_start(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&mlt_nt_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&mlt_nt_tid, NULL, mlt_nt_main, NULL) != 0) {
		mlt_log(LOG_ERR, "cannot start the notifier thread");
		return -1;
	}
	mlt_nt_running = true;
	return 0;
}

void mlt_notifier_wake(void)
{
	pthread_mutex_lock(&mlt_nt_mu);
	mlt_nt_woken = true;
	pthread_cond_signal(&mlt_nt_cv);
	pthread_mutex_unlock(&mlt_nt_mu);
}

void mlt_notifier_stop(void)
{
	if (!mlt_nt_running)
		return;
	pthread_mutex_lock(&mlt_nt_mu);
	mlt_nt_stopping = true;
	pthread_cond_signal(&mlt_nt_cv);
	pthread_mutex_unlock(&mlt_nt_mu);
	pthread_join(mlt_nt_tid, NULL);
	mlt_nt_running = false;
}
