/*
 * NAME
 *	rel_arrival - a hold is confirmed by its queue file (issue 15)
 * SYNOPSIS
 *	#include "release/rel_arrival.h"
 *
 *	rel_rc rel_arrival_run(st_store *st, const rel_arrival_opts *o,
 *			       rel_arrival_stats *stats, sg_buf *err);
 * DESCRIPTION
 *	The milter records a hold inside end of message, before the MTA
 *	has committed the queue file: a kill, a tempfail or `postfix stop`
 *	in that window leaves a record without mail, and the client sends
 *	the message again. So the record is made "arriving" and its
 *	notices "waiting"; this pass, run every second or so by the
 *	milter's notifier thread (and once by reconcile), looks at the
 *	MTA's queue through the release backend and
 *
 *	- confirms a hold whose queue id is on hold (pending, notices
 *	  released, audit "confirm");
 *	- closes as never-arrived a hold whose queue id is in no queue
 *	  o->timeout seconds after it was recorded (notices cancelled,
 *	  audit "never-arrived", no notice to anybody);
 *	- leaves any other hold alone (young; or its file is queued but
 *	  not on hold: released by hand, reconcile's business).
 *
 *	A never-arrived hold created since o->closed_since whose file
 *	turns up on hold after all (a commit slower than the timeout) is
 *	confirmed late, with a warning.
 *
 *	The store is read first and the queue listed after: a file
 *	committed after the listing belongs to a hold younger than the
 *	timeout at the listing (the MTA commits within its milter timeout
 *	of the record), so it is never closed by mistake; a file in the
 *	listing is there. One listing serves every hold of the pass.
 *
 *	What the listing proves. The milter runs unprivileged: Postfix's
 *	`postqueue -j` is open to any user (authorized_mailq_users,
 *	default static:anyone) but postcat is not (the queue directories
 *	belong to postfix), so the milter matches by queue id only: with
 *	enable_long_queue_ids (the shipped snippet) a queue id is never
 *	reused, and a phantom's id (its incoming file removed by cleanup)
 *	never appears. o->check_header (reconcile, as root) also reads the
 *	file's X-Sendguard-Hold header and confirms only when it names the
 *	hold. On Sendmail the listing is the queue directory: the milter's
 *	user must be able to read it (README).
 *
 *	A failed listing closes nothing: holds stay arriving, mail stays
 *	on hold, nobody is asked, and the error is returned for the log.
 * DIAGNOSTICS
 *	REL_OK; REL_ERROR (err) when the store could not be read or the
 *	queue could not be listed; per-hold store failures are logged
 *	through o->log and counted in stats->failed.
 */
#include "release/rel_arrival.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "util/sg_json.h"
#include "util/sg_mem.h"

#define REL_ARRIVAL_QUEUE_MAX 1000000	/* queue entries listed per pass */

static int rel_arr_qcmp(const void *a, const void *b)
{
	return strcmp(((const rel_qentry *)a)->queue_id,
		      ((const rel_qentry *)b)->queue_id);
}

static const rel_qentry *rel_arr_find(const rel_qentry *q, size_t nq, const char *qid)
{
	rel_qentry key;

	if (nq == 0 || qid == NULL || *qid == '\0')
		return NULL;
	snprintf(key.queue_id, sizeof(key.queue_id), "%s", qid);
	return bsearch(&key, q, nq, sizeof(*q), rel_arr_qcmp);
}

static void rel_arr_log(const rel_arrival_opts *o, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void rel_arr_log(const rel_arrival_opts *o, int prio, const char *fmt, ...)
{
	sg_buf b;
	va_list ap;

	if (o->log == NULL)
		return;
	sg_buf_init(&b, 2048);
	va_start(ap, fmt);
	sg_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	o->log(prio, sg_buf_cstr(&b), o->log_ctx);
	sg_buf_free(&b);
}

static void rel_arr_detail(sg_buf *d, const rel_arrival_opts *o,
			   const st_arrival *a, const char *queue, long long age)
{
	sg_buf_puts(d, "{\"queue_id\":");
	sg_json_str(d, a->queue_id);
	sg_buf_puts(d, ",\"queue\":");
	sg_json_str(d, queue);
	sg_buf_puts(d, ",\"backend\":");
	sg_json_str(d, rel_be_name(o->be));
	sg_buf_printf(d, ",\"age_s\":%lld,\"header_checked\":%s%s}", age,
		      o->check_header ? "true" : "false",
		      a->closed ? ",\"late\":true" : "");
}

/* On hold: confirm it (or confirm it late). */
static void rel_arr_confirm(const rel_arrival_opts *o, st_store *st,
			    const st_arrival *a, long long age,
			    rel_arrival_stats *stats)
{
	sg_buf d, err;
	st_rc rc;

	sg_buf_init(&err, 4096);
	if (o->check_header) {
		rel_rc hc = rel_be_check_header(o->be, a->queue_id, a->id, &err);

		/* Gone since the listing: released or deleted by hand, or
		 * the listing was stale; the next pass decides. */
		if (hc == REL_GONE) {
			stats->waiting++;
			sg_buf_free(&err);
			return;
		}
		if (hc != REL_OK) {
			rel_arr_log(o, LOG_WARNING, "hold=%s queue_id=%s: on hold, but"
				    " not confirmed: %s", a->id, a->queue_id,
				    sg_buf_cstr(&err));
			stats->failed++;
			sg_buf_free(&err);
			return;
		}
	}
	sg_buf_init(&d, 1024);
	rel_arr_detail(&d, o, a, REL_QUEUE_HOLD, age);
	rc = st_hold_confirm(st, a->id, o->actor, sg_buf_cstr(&d), &err);
	if (rc == ST_OK && a->closed) {
		stats->late++;
		rel_arr_log(o, LOG_WARNING, "hold=%s queue_id=%s: its queue file"
			    " turned up on hold %llds after end of message, after it"
			    " was closed as never arrived: confirmed late, notices"
			    " released ([release] arrival_timeout is too short for this"
			    " MTA)", a->id, a->queue_id, age);
	} else if (rc == ST_OK) {
		stats->confirmed++;
		rel_arr_log(o, LOG_INFO, "hold=%s queue_id=%s: confirmed (queue file"
			    " on hold after %llds): notices released", a->id,
			    a->queue_id, age);
	} else if (rc != ST_CONFLICT) {	/* conflict: someone else did it */
		stats->failed++;
		rel_arr_log(o, LOG_ERR, "hold=%s: cannot confirm: %s", a->id,
			    sg_buf_cstr(&err));
	}
	sg_buf_free(&d);
	sg_buf_free(&err);
}

static void rel_arr_never(const rel_arrival_opts *o, st_store *st,
			  const st_arrival *a, long long age,
			  rel_arrival_stats *stats)
{
	sg_buf d, err;
	st_rc rc;

	sg_buf_init(&d, 1024);
	sg_buf_init(&err, 4096);
	rel_arr_detail(&d, o, a, "", age);
	rc = st_hold_never_arrived(st, a->id, o->actor, sg_buf_cstr(&d), &err);
	if (rc == ST_OK) {
		stats->never++;
		rel_arr_log(o, LOG_NOTICE, "hold=%s queue_id=%s: never arrived (no"
			    " queue file %llds after end of message: the MTA did not"
			    " commit it, the client will send it again): closed,"
			    " nobody notified", a->id, a->queue_id, age);
	} else if (rc != ST_CONFLICT) {
		stats->failed++;
		rel_arr_log(o, LOG_ERR, "hold=%s: cannot close as never arrived: %s",
			    a->id, sg_buf_cstr(&err));
	}
	sg_buf_free(&d);
	sg_buf_free(&err);
}

rel_rc rel_arrival_run(st_store *st, const rel_arrival_opts *o,
		       rel_arrival_stats *stats, sg_buf *err)
{
	st_arrival *v = NULL;
	size_t n = 0, nq = 0;
	rel_qentry *q = NULL;
	time_t snap;

	memset(stats, 0, sizeof(*stats));
	/* The store first, the queue after (DESCRIPTION). */
	if (st_hold_arrivals(st, o->closed_since, REL_ARRIVAL_MAX, &v, &n, err) != ST_OK)
		return REL_ERROR;
	if (n == 0)
		return REL_OK;
	snap = time(NULL);
	if (rel_be_list(o->be, &q, &nq, REL_ARRIVAL_QUEUE_MAX, err) < 0) {
		rel_qentries_free(q, nq);
		free(v);
		return REL_ERROR;
	}
	if (nq > 0)
		qsort(q, nq, sizeof(*q), rel_arr_qcmp);
	for (size_t i = 0; i < n; i++) {
		const rel_qentry *e = rel_arr_find(q, nq, v[i].queue_id);
		long long age = (long long)(snap - v[i].created_t);

		if (e != NULL && strcmp(e->queue, REL_QUEUE_HOLD) == 0)
			rel_arr_confirm(o, st, &v[i], age, stats);
		else if (e == NULL && !v[i].closed && age >= o->timeout)
			rel_arr_never(o, st, &v[i], age, stats);
		else if (!v[i].closed)
			stats->waiting++;
	}
	rel_qentries_free(q, nq);
	free(v);
	return REL_OK;
}
