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
 *
 *	Arrival (issue 15). End of message records a hold as arriving,
 *	before the MTA has committed its queue file. While any hold is
 *	arriving (one plain read of the store tells), each pass lists the
 *	MTA's queue through the release backend ([release] backend:
 *	postqueue -j, or the Sendmail queue directory) and confirms the
 *	holds whose queue id is on hold, which releases their notices, or
 *	closes those whose file never appeared within [release]
 *	arrival_timeout (rel_arrival.c). The ticks are shorter then
 *	(MLT_ARRIVAL_TICK_MS), so a hold is confirmed within a second or
 *	so of its commit. Once a minute the pass also looks for the file
 *	of a hold closed as never-arrived in the last day (a commit slower
 *	than the timeout).
 * DIAGNOSTICS
 *	One log line per notice (rel_outbox.c), per confirmed or closed
 *	hold (rel_arrival.c); a queue that cannot be listed is logged at
 *	most once a minute, and nothing is closed meanwhile.
 */
#include "daemon/mlt.h"
#include "release/rel_arrival.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define MLT_NOTIFIER_TICK_MS 1000
#define MLT_ARRIVAL_TICK_MS 300		/* while holds wait for their files */
#define MLT_ARRIVAL_FULL_S 60		/* look for late files this often */
#define MLT_ARRIVAL_LOG_S 60		/* a failing listing, logged this often */

static pthread_mutex_t mlt_nt_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mlt_nt_cv;
static bool mlt_nt_woken, mlt_nt_stopping, mlt_nt_running;
static bool mlt_nt_fast;	/* notifier thread only: holds are arriving */
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
	until.tv_nsec += (long)(mlt_nt_fast ? MLT_ARRIVAL_TICK_MS
				: MLT_NOTIFIER_TICK_MS) * 1000000L;
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

/* The arrival part of a pass. The backend is opened once per
 * runtime generation; *be_failed remembers that it could not be. */
struct mlt_arr {
	rel_backend *be;
	bool be_failed;
	time_t last_full, last_log;
	struct timespec last_run;
};

/* At most one look at the queue per MLT_ARRIVAL_TICK_MS: the pass is
 * also made between outbox batches, which may follow each other fast. */
static bool mlt_nt_arr_due(struct mlt_arr *a)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(now.tv_sec - a->last_run.tv_sec) * 1000 +
	     (now.tv_nsec - a->last_run.tv_nsec) / 1000000;
	if (a->last_run.tv_sec != 0 && ms >= 0 && ms < MLT_ARRIVAL_TICK_MS)
		return false;
	a->last_run = now;
	return true;
}

static void mlt_nt_arrivals(struct mlt_arr *a, mlt_rt *rt, bool reopen)
{
	time_t now = time(NULL);
	rel_arrival_opts o;
	rel_arrival_stats stats;
	bool full = now - a->last_full >= MLT_ARRIVAL_FULL_S;
	sg_buf err;

	if (reopen) {
		rel_backend_free(a->be);
		a->be = NULL;
		a->be_failed = false;
	} else if (!mlt_nt_arr_due(a)) {
		return;
	}
	/* A plain read first: no arriving hold, no look at the queue
	 * (except the once-a-minute look for late files). */
	mlt_nt_fast = st_hold_oldest_arriving(rt->store) != 0;
	if (!mlt_nt_fast && !full)
		return;
	sg_buf_init(&err, 4096);
	if (a->be == NULL && !a->be_failed) {
		a->be = rel_backend_new(rt->conf, &err);
		if (a->be == NULL) {
			a->be_failed = true;
			mlt_log(LOG_ERR, "arrival: cannot open the [release] backend (%s):"
				" held mail stays unconfirmed and nobody is notified until"
				" the configuration is fixed and reloaded", sg_buf_cstr(&err));
		}
	}
	if (a->be == NULL) {
		sg_buf_free(&err);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.be = a->be;
	o.actor = "milter";
	o.timeout = SG_CONF_NUM(rt->conf, release_arrival_timeout);
	o.closed_since = full ? now - REL_ARRIVAL_LATE_S : 0;
	o.log = mlt_nt_log;
	if (full)
		a->last_full = now;
	/* An unreachable database is the outage's to log (mlt_act.c):
	 * once, not once a minute. */
	if (rel_arrival_run(rt->store, &o, &stats, &err) != REL_OK &&
	    !st_unreachable(rt->store) && now - a->last_log >= MLT_ARRIVAL_LOG_S) {
		a->last_log = now;
		mlt_log(LOG_ERR, "arrival: cannot check the %s queue (%s): held mail"
			" stays unconfirmed (no notices) and nothing is closed until it"
			" can (README: arriving holds)", rel_be_name(a->be), sg_buf_cstr(&err));
	}
	sg_buf_free(&err);
}

static void *mlt_nt_main(void *arg)
{
	rel_notifier *n = NULL;
	unsigned long gen = 0;
	struct mlt_arr arr = { NULL, false, 0, 0, { 0, 0 } };

	(void)arg;
	while (mlt_nt_wait()) {
		mlt_rt *rt = mlt_rt_get();
		bool more;
		time_t due;
		sg_buf err;

		bool reopen;

		if (rt == NULL)
			continue;
		reopen = n == NULL || gen != rt->generation;
		if (reopen) {
			rel_notifier_free(n);
			sg_buf_init(&err, 4096);
			n = rel_notifier_new(rt->conf, rt->ntf, "milter", mlt_nt_log, NULL,
					     &err);
			if (n == NULL)
				mlt_log(LOG_ERR, "notices: %s", sg_buf_cstr(&err));
			sg_buf_free(&err);
			gen = rt->generation;
		}
		/* Before the outbox: a confirmation releases notices. */
		mlt_nt_arrivals(&arr, rt, reopen);
		/* A plain read first: an idle outbox costs no write lock
		 * (a store that is full or read-only must be left alone). */
		due = st_outbox_next_due(rt->store);
		more = due != 0 && due <= time(NULL);

		for (int i = 0; n && more && i < 100; i++) {
			rel_notifier_drain(n, rt->store, time(NULL), &more);
			/* A long drain must not hold up confirmations. */
			mlt_nt_arrivals(&arr, rt, false);
			pthread_mutex_lock(&mlt_nt_mu);
			more = more && !mlt_nt_stopping;
			pthread_mutex_unlock(&mlt_nt_mu);
		}
		mlt_rt_put(rt);
	}
	rel_notifier_free(n);
	rel_backend_free(arr.be);
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
