/*
 * NAME
 *	ctl_reconcile - `sendguardctl reconcile`: make the store and
 *	the MTA's queue agree
 * DESCRIPTION
 *	The queue is acted on first, the store second (ARCHITECTURE.md),
 *	so after a crash, a restore or a hand-made postsuper (or sendmail
 *	-Q) the two may
 *	disagree. Each disagreement is repaired in the direction that can
 *	never send mail nobody approved, printed, and recorded in the
 *	audit log (event "reconcile", actor "reconcile"):
 *
 *	- decided, not applied: what apply does (ctl_apply_hold): a file
 *	  already gone or released is recorded as done, else the decision
 *	  is carried out;
 *	- decided and applied, but the file is still on hold with our
 *	  header (the store was updated, the queue was not): an approved
 *	  one is released (never deleted); one whose recorded decision
 *	  says delete (rel_decision_deletes: reject, withdraw, expiry) is
 *	  deleted, put back on hold first when found outside the hold
 *	  queue; one closed without a decision (its file was not seen, and
 *	  turned up later) is put back on hold if need be and left for an
 *	  administrator, never deleted;
 *	- pending, older than the grace at the snapshot, and its file is
 *	  in no queue, neither in the snapshot nor when asked again just
 *	  before (deleted by hand, or the MTA never committed it): the
 *	  hold can never be released, so it is closed as expired by
 *	  "reconcile" and marked applied. That closes the record only:
 *	  no mail is deleted;
 *	- pending, but its file was released behind our back: it goes back
 *	  on hold (postsuper -h, sendmail -Q) to wait for its decision;
 *	- a file on hold with an X-Sendguard-Hold header and no record: it
 *	  is left on hold (never released without a decision, never deleted
 *	  without one), reported and audited, and the exit status is 1: the
 *	  store cannot re-create a record with the header's id, so an
 *	  administrator decides by hand (rel_be_hint, README).
 *
 *	- arriving (recorded at end of message, its queue file not yet
 *	  seen on hold) and never-arrived holds are the arrival pass's
 *	  (rel_arrival.c), which reconcile runs first as the milter's
 *	  notifier does, but as root: it confirms a hold only when its
 *	  file is on hold and its X-Sendguard-Hold header names it, and
 *	  closes one as never-arrived only when its queue id is in no
 *	  queue [release] arrival_timeout after it was recorded. Such a
 *	  hold is never decided, applied, deleted or closed as expired
 *	  here, and its file is no orphan.
 *
 *	Order (issue 15): the store is read first, the queue snapshot is
 *	taken after, and a pending hold's age is taken at the snapshot. A
 *	hold recorded before the snapshot whose file the MTA commits
 *	after it is then younger than [release] reconcile_grace, whose
 *	least value (6m, the option table) is the MTA's default milter
 *	timeout plus the commit: the milter records a hold inside end of
 *	message, before the MTA commits the file. A held file whose
 *	record was made after the store was read names a record with its
 *	queue id and is not an orphan.
 *	Runs as root under the apply lock, like apply. Every queue action
 *	goes through the [release] backend (rel_backend), Postfix or
 *	Sendmail alike.
 * DIAGNOSTICS
 *	Exit 0 agree (after repairs), 1 something needs a person (orphan
 *	or foreign header), 66 no store, 75 busy or the MTA failed, 78
 *	configuration.
 */
#include "ctl/ctl.h"
#include "release/rel_arrival.h"
#include "util/sg_json.h"
#include "util/sg_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define CTL_LOCK_WAIT 60
#define CTL_MAX_QUEUE 1000000
#define CTL_MAX_HOLDS 1000000

void ctl_reconcile_help(void)
{
	printf("usage: sendguardctl [-c CONF] reconcile [--rebuild]\n"
	       "\n"
	       "Compare the store with the MTA's queue ([release] backend) and make\n"
	       "them agree, e.g.\n"
	       "after a crash between the queue action and the store update. Each\n"
	       "repair is printed and recorded in the audit log: decisions not yet\n"
	       "recorded as carried out are carried out or recorded; a message\n"
	       "released without approval goes back on hold; a pending hold whose\n"
	       "message is gone is closed as expired; a held message with our header\n"
	       "but no record is left on hold and reported. Holds still arriving (their\n"
	       "queue file not yet seen) are confirmed when their file is on hold with\n"
	       "their header, closed as never-arrived when it is in no queue after\n"
	       "[release] arrival_timeout, and otherwise left alone. Run as root.\n"
	       "\n"
	       "--rebuild: after a lost store and `store init`, first recreate a\n"
	       "pending hold for every held message with an X-Sendguard-Hold header\n"
	       "and no record, under that id, from the message read back and scanned\n"
	       "again (audit record \"rebuild\"); its approvers are asked again (the\n"
	       "decision, if any, was lost with the store; the sender is not told).\n"
	       "キューと保留記録の不一致を修復します (root で実行)。\n"
	       "\n"
	       "exit status: 0 consistent, 1 something needs an administrator\n"
	       "(reported), 66 no store, 75 busy or the MTA's command failed\n"
	       "(retry), 78 configuration error.\n");
}

typedef struct ctl_rec {
	ctl_applier a;
	const sg_conf *conf;
	rel_qentry *q;
	size_t nq;
	bool *seen;		/* parallel to q: a record claims it */
	long long grace;
	time_t snap_t;		/* when the queue snapshot was started */
	size_t repairs, attention;
} ctl_rec;

static int ctl_qcmp(const void *a, const void *b)
{
	return strcmp(((const rel_qentry *)a)->queue_id, ((const rel_qentry *)b)->queue_id);
}

static rel_qentry *ctl_qfind(ctl_rec *r, const char *qid)
{
	rel_qentry key;
	rel_qentry *e;

	/* qsort and bsearch want a non-NULL base even for no elements. */
	if (qid == NULL || r->nq == 0)
		return NULL;
	snprintf(key.queue_id, sizeof(key.queue_id), "%s", qid);
	e = bsearch(&key, r->q, r->nq, sizeof(*r->q), ctl_qcmp);
	if (e)
		r->seen[e - r->q] = true;
	return e;
}

static void ctl_rec_audit(ctl_rec *r, const char *hold_id, const char *qid,
			  const char *what)
{
	sg_buf d, err;

	printf("reconcile: %s%s%s: %s\n", hold_id ? "hold " : "queue file ",
	       hold_id ? hold_id : "", hold_id ? "" : qid, what);
	sg_buf_init(&d, 4096);
	sg_buf_init(&err, 4096);
	sg_buf_puts(&d, "{\"repair\":");
	sg_json_str(&d, what);
	sg_buf_putc(&d, '}');
	if (st_audit_append(r->a.st, "reconcile", hold_id, qid, "reconcile",
			    ctl_unix_user(), sg_buf_cstr(&d), &err) != ST_OK)
		fprintf(stderr, "sendguardctl reconcile: %s\n", sg_buf_cstr(&err));
	sg_buf_free(&d);
	sg_buf_free(&err);
}

/* Pending and its file is in no queue: close it. */
static void ctl_rec_gone(ctl_rec *r, const st_hold *h)
{
	sg_buf err;
	st_rc rc;

	sg_buf_init(&err, 4096);
	rc = st_hold_decide(r->a.st, h->id, ST_EXPIRED, "reconcile",
			    "queue file gone (removed outside sendguard, or never"
			    " committed by the MTA)", ctl_unix_user(), &err);
	if (rc == ST_OK)
		rc = st_hold_set_applied(r->a.st, h->id, NULL, "reconcile",
					 ctl_unix_user(), &err);
	if (rc == ST_OK) {
		ctl_rec_audit(r, h->id, h->queue_id, "pending, but its queue file is"
			      " gone: closed as expired");
		r->repairs++;
	} else if (rc != ST_CONFLICT) {
		fprintf(stderr, "sendguardctl reconcile: hold %s: %s\n", h->id,
			sg_buf_cstr(&err));
		r->a.failed++;
	}
	sg_buf_free(&err);
}

/* Header check for a file outside the hold queue; true when ours. */
static bool ctl_rec_ours(ctl_rec *r, const st_hold *h, const char *qid)
{
	sg_buf err;
	rel_rc rc;

	sg_buf_init(&err, 4096);
	rc = rel_be_check_header(r->a.be, qid, h->id, &err);
	if (rc == REL_REFUSED) {
		fprintf(stderr, "sendguardctl reconcile: hold %s: %s\n", h->id,
			sg_buf_cstr(&err));
		r->attention++;
	}
	sg_buf_free(&err);
	return rc == REL_OK;
}

static void ctl_rec_rehold(ctl_rec *r, const st_hold *h, const char *qid)
{
	sg_buf err;

	sg_buf_init(&err, 4096);
	if (rel_be_rehold(r->a.be, qid, h->id, &err) == REL_OK) {
		ctl_rec_audit(r, h->id, qid, "pending, but released outside sendguard:"
			      " put back on hold");
		r->repairs++;
	} else {
		fprintf(stderr, "sendguardctl reconcile: hold %s: cannot put %s back on"
			" hold: %s\n", h->id, qid, sg_buf_cstr(&err));
		r->a.failed++;
	}
	sg_buf_free(&err);
}

/* Not in the snapshot: ask the MTA again, now, before closing the
 * record. True only when the file is in no queue. */
static bool ctl_rec_still_gone(ctl_rec *r, const st_hold *h)
{
	char queue[16];
	sg_buf err;
	rel_rc rc;

	sg_buf_init(&err, 4096);
	rc = rel_be_queue_of(r->a.be, h->queue_id, queue, &err);
	if (rc != REL_OK && rc != REL_GONE) {
		fprintf(stderr, "sendguardctl reconcile: hold %s: %s\n", h->id,
			sg_buf_cstr(&err));
		r->a.failed++;
	}
	sg_buf_free(&err);
	return rc == REL_GONE;
}

static void ctl_rec_pending(ctl_rec *r, const st_hold *h)
{
	rel_qentry *e = ctl_qfind(r, h->queue_id);

	/* The age at the snapshot: a file committed after it is not in
	 * it, and such a hold is younger than the grace there. */
	if ((long long)(r->snap_t - h->created_t) < r->grace)
		return;
	if (e == NULL) {
		if (ctl_rec_still_gone(r, h))
			ctl_rec_gone(r, h);
	} else if (strcmp(e->queue, REL_QUEUE_HOLD) != 0 && ctl_rec_ours(r, h, e->queue_id)) {
		ctl_rec_rehold(r, h, e->queue_id);
	}
}

/* Applied in the store; the queue should agree. */
static void ctl_rec_applied(ctl_rec *r, const st_hold *h)
{
	const char *qid = h->new_queue_id ? h->new_queue_id : h->queue_id;
	rel_qentry *e = ctl_qfind(r, qid);
	bool on_hold = e && strcmp(e->queue, REL_QUEUE_HOLD) == 0;
	sg_buf err;
	rel_rc rc;

	bool del = h->status != ST_APPROVED && rel_decision_deletes(h);

	if (e == NULL || (!on_hold && h->status == ST_APPROVED) ||
	    !ctl_rec_ours(r, h, qid))
		return;
	sg_buf_init(&err, 4096);
	if (!on_hold)
		rc = rel_be_rehold(r->a.be, qid, h->id, &err);
	else
		rc = REL_OK;
	if (rc == REL_OK && h->status != ST_APPROVED && !del) {
		sg_buf_free(&err);
		sg_buf_init(&err, 4096);
		sg_buf_printf(&err, "closed as %s by %s without a decision, but its queue"
			      " file is %s: left on hold for an administrator, never"
			      " deleted (%s)", st_status_name(h->status),
			      h->decided_by ? h->decided_by : "?",
			      on_hold ? "on hold" : "queued (put back on hold)",
			      rel_be_hint(r->a.be));
		ctl_rec_audit(r, h->id, qid, sg_buf_cstr(&err));
		r->attention++;
		sg_buf_free(&err);
		return;
	}
	if (rc == REL_OK)
		rc = h->status == ST_APPROVED ? rel_be_release(r->a.be, qid, h->id, &err)
					      : rel_be_delete(r->a.be, qid, h->id, &err);
	if (rc == REL_OK) {
		ctl_rec_audit(r, h->id, qid, h->status == ST_APPROVED
			      ? "recorded as applied but still on hold: released"
			      : "recorded as applied but still queued: deleted");
		r->repairs++;
	} else {
		fprintf(stderr, "sendguardctl reconcile: hold %s: %s\n", h->id,
			sg_buf_cstr(&err));
		r->a.failed++;
	}
	sg_buf_free(&err);
}

static void ctl_rec_hold(ctl_rec *r, const st_hold *h)
{
	size_t before = r->a.applied;

	if (!ctl_gateway_owns(st_gateway(r->a.st), h))
		return;			/* read again: still another gateway's */
	if (h->status == ST_ARRIVING || h->status == ST_NEVER_ARRIVED) {
		/* The arrival pass's (ctl_rec_arrivals): only claim the file. */
		ctl_qfind(r, h->queue_id);
	} else if (h->status == ST_PENDING) {
		ctl_rec_pending(r, h);
	} else if (!h->applied) {
		ctl_qfind(r, h->new_queue_id ? h->new_queue_id : h->queue_id);
		ctl_apply_hold(&r->a, h);
		if (r->a.applied > before) {
			ctl_rec_audit(r, h->id, h->queue_id, "decided but not recorded as"
				      " applied: carried out / recorded");
			r->repairs++;
		}
	} else {
		ctl_rec_applied(r, h);
	}
}

/* A file on hold that no record claimed. */
static void ctl_rec_orphan(ctl_rec *r, const rel_qentry *e)
{
	char hid[64];
	sg_buf err, what;
	st_hold *h = NULL;

	sg_buf_init(&err, 4096);
	sg_buf_init(&what, 4096);
	if (rel_be_header_of(r->a.be, e->queue_id, hid, &err) == REL_OK && hid[0]) {
		/* Recorded after the store was read: not an orphan. */
		if (st_hold_get(r->a.st, hid, &h, &err) == ST_OK &&
		    (strcmp(h->queue_id, e->queue_id) == 0 ||
		     (h->new_queue_id && strcmp(h->new_queue_id, e->queue_id) == 0))) {
			st_hold_free(h);
			sg_buf_free(&err);
			sg_buf_free(&what);
			return;
		}
		if (h != NULL)
			sg_buf_printf(&what, "on hold with X-Sendguard-Hold: %s, whose record"
				      " names queue id %s: left on hold for an"
				      " administrator", hid, h->queue_id);
		else
			sg_buf_printf(&what, "on hold with X-Sendguard-Hold: %s but no such"
				      " record: left on hold for an administrator"
				      " (%s)", hid, rel_be_hint(r->a.be));
		ctl_rec_audit(r, NULL, e->queue_id, sg_buf_cstr(&what));
		r->attention++;
	}
	st_hold_free(h);
	sg_buf_free(&err);
	sg_buf_free(&what);
}

typedef struct ctl_ids {
	const char *gateway;	/* this gateway's holds only (issue 20) */
	char (*v)[ST_ID_SIZE];
	size_t n;
} ctl_ids;

static int ctl_rec_collect(const st_hold *h, void *ctx)
{
	ctl_ids *ids = ctx;

	if (ids->n >= CTL_MAX_HOLDS)
		return 1;
	/* Another gateway's hold is in that gateway's queue, not missing
	 * from ours: neither repaired nor reported here. */
	if (!ctl_gateway_owns(ids->gateway, h))
		return 0;
	ids->v = sg_xreallocarray(ids->v, ids->n + 1, sizeof(*ids->v));
	memcpy(ids->v[ids->n++], h->id, ST_ID_SIZE);
	return 0;
}

static void ctl_rec_log(int prio, const char *msg, void *ctx)
{
	(void)ctx;
	/* A confirmation is no repair: only closures and late files. */
	if (prio <= LOG_NOTICE)
		printf("reconcile: arrival: %s\n", msg);
}

/* Arriving holds first (DESCRIPTION), with their own snapshot. */
static void ctl_rec_arrivals(ctl_rec *r)
{
	rel_arrival_opts o;
	rel_arrival_stats stats;
	sg_buf err;

	memset(&o, 0, sizeof(o));
	o.be = r->a.be;
	o.actor = "reconcile";
	o.timeout = sg_conf_num(r->conf, "release", "arrival_timeout");
	o.closed_since = time(NULL) - REL_ARRIVAL_LATE_S;
	o.check_header = true;
	o.log = ctl_rec_log;
	sg_buf_init(&err, 4096);
	if (rel_arrival_run(r->a.st, &o, &stats, &err) != REL_OK) {
		fprintf(stderr, "sendguardctl reconcile: arriving holds: %s\n",
			sg_buf_cstr(&err));
		r->a.failed++;
	}
	r->a.failed += stats.failed;
	r->repairs += stats.never + stats.late;
	sg_buf_free(&err);
}

static int ctl_rec_run(ctl_rec *r)
{
	ctl_ids ids = { st_gateway(r->a.st), NULL, 0 };
	sg_buf err;
	st_hold *h;
	st_rc rc;

	ctl_rec_arrivals(r);
	sg_buf_init(&err, 4096);
	/* The store first, the queue after: see DESCRIPTION. */
	rc = st_hold_list(r->a.st, NULL, ctl_rec_collect, &ids, &err);
	r->snap_t = time(NULL);
	if (rc != ST_OK || rel_be_list(r->a.be, &r->q, &r->nq, CTL_MAX_QUEUE, &err) < 0) {
		fprintf(stderr, "sendguardctl reconcile: %s\n", sg_buf_cstr(&err));
		sg_buf_free(&err);
		free(ids.v);
		return CTL_EX_TEMPFAIL;
	}
	if (r->nq > 0)
		qsort(r->q, r->nq, sizeof(*r->q), ctl_qcmp);
	r->seen = sg_xcalloc(r->nq + 1, sizeof(bool));
	for (size_t i = 0; i < ids.n; i++) {
		h = NULL;
		if (st_hold_get(r->a.st, ids.v[i], &h, &err) == ST_OK)
			ctl_rec_hold(r, h);
		st_hold_free(h);
	}
	for (size_t i = 0; i < r->nq; i++)
		if (!r->seen[i] && strcmp(r->q[i].queue, REL_QUEUE_HOLD) == 0)
			ctl_rec_orphan(r, &r->q[i]);
	free(ids.v);
	sg_buf_free(&err);
	return r->a.failed ? CTL_EX_TEMPFAIL
			   : r->attention || r->a.refused ? CTL_EX_REFUSED : 0;
}

int ctl_reconcile(const char *conf_path, int argc, char **argv)
{
	sg_conf *conf;
	st_store *st;
	ctl_rec r;
	int ex = 0, lock;
	bool rebuild = argc == 1 && strcmp(argv[0], "--rebuild") == 0;

	if (argc > 0 && !rebuild) {
		fprintf(stderr, "sendguardctl reconcile: unexpected argument: %s\n", argv[0]);
		return CTL_EX_USAGE;
	}
	if ((conf = ctl_load_conf(conf_path)) == NULL)
		return CTL_EX_CONFIG;
	if ((st = ctl_store_as_root("reconcile", conf, &ex)) == NULL) {
		sg_conf_free(conf);
		return ex;
	}
	memset(&r, 0, sizeof(r));
	r.conf = conf;
	r.grace = sg_conf_num(conf, "release", "reconcile_grace");
	if ((lock = ctl_lock_apply("reconcile", conf, CTL_LOCK_WAIT)) < 0) {
		ex = CTL_EX_TEMPFAIL;
	} else if (ctl_applier_init(&r.a, "reconcile", conf, st) < 0) {
		ex = CTL_EX_CONFIG;
	} else if (rebuild && (ex = ctl_rebuild(&r.a, conf)) != 0) {
		/* configuration: said */
	} else {
		ex = ctl_rec_run(&r);
		/* Outcome notices of repairs and rebuilt holds' requests;
		 * before the summary, which stays the last line. */
		ctl_notices_drain(r.a.notices, st);
		printf("reconcile: %zu repaired, %zu need an administrator, %zu failed\n",
		       r.repairs, r.attention + r.a.refused, r.a.failed);
	}
	ctl_applier_free(&r.a);
	rel_qentries_free(r.q, r.nq);
	free(r.seen);
	if (lock >= 0)
		close(lock);
	ctl_store_close(st, conf);
	sg_conf_free(conf);
	return ex;
}
