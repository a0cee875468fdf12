/*
 * NAME
 *	ctl_apply - `sendguardctl apply`: the root step that carries out
 *	decisions on the MTA's queue
 * DESCRIPTION
 *	For every hold that is decided but not applied: find its queue
 *	file, check that its X-Sendguard-Hold header names the hold, act
 *	through the [release] backend (rel_backend; Postfix: approve is
 *	postsuper -H + postqueue -i, or -r when held long, reject,
 *	withdraw and expire are postsuper -d ID hold; Sendmail: approve
 *	unquarantines and runs the item, the others delete it), then record it
 *	(st_hold_set_applied) and tell the sender. Queue first, then the
 *	record (ARCHITECTURE.md): a crash in between leaves a hold that
 *	the next apply, or reconcile, finds already done in the queue and
 *	only records. So applying twice delivers once:
 *
 *	- file on hold, header ours: act, record;
 *	- file gone from every queue: already done (or removed by hand):
 *	  record, with an audit note saying so;
 *	- approved and file in another queue: already released: record;
 *	- not approved and file in another queue (released behind our
 *	  back): put it back on hold (postsuper -h, sendmail -Q), then
 *	  delete it from hold, so that a rejected message never leaves;
 *	- header missing or naming another hold: refuse, touch nothing,
 *	  record it once in the audit log (apply-note "refused: ..."),
 *	  and say so on every run until an administrator looks (apply
 *	  --daemon: with backoff, below).
 *
 *	A delayed mail whose queue file is in no queue when its delay
 *	ends (removed by hand) is closed as expired, as reconcile closes a
 *	pending hold without a file, not "approved" and retried.
 *
 *	A delayed mail (送信ディレイ) that has left, at the end of its
 *	delay or by its sender's send now, gets an audit record "sent"
 *	and, as [notify] notify_sent says, the notice sent_sender,
 *	recorded for the milter's notifier to build (never rendered
 *	here). A file found gone is not "sent": nobody knows it left.
 *
 *	apply --daemon retries what was refused or failed with backoff
 *	(30 s, doubling, at most hourly for a refusal and every 5
 *	minutes for a failure), with one log line per try, instead of on
 *	every pass; SIGHUP reads the configuration again (a bad one is
 *	logged with its file, line and key, and the old one kept).
 *
 *	Runs as root (the MTA's queue needs it) under the apply lock; opens the
 *	store as root but never creates it (ctl_wf.c explains the -wal
 *	and -shm ownership). The environment variable SG_FAULT=after-queue
 *	makes it exit right after the first queue action, before the
 *	store update: the crash that tests and reconcile must survive.
 * DIAGNOSTICS
 *	Exit 0 all done, 1 some hold refused (header mismatch), 66 no
 *	store, 70 internal, 75 busy or an MTA command failed (retry),
 *	78 configuration.
 */
#include "ctl/ctl.h"
#include "util/sg_json.h"
#include "util/sg_mem.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CTL_LOCK_WAIT 60
/* A delayed mail released more than this after its time is late
 * (apply --daemon was down, or the machine): logged, audited
 * (late_s), and its sender told ([notify] notify_sent = late). */
#define CTL_LATE_S 10

void ctl_apply_help(void)
{
	printf("usage: sendguardctl [-c CONF] apply [--daemon]\n"
	       "\n"
	       "Carry out every decided hold on the MTA's queue ([release] backend),\n"
	       "and release delayed mail whose delay has ended ([hold] delay).\n"
	       "--daemon: stay up and do so as soon as a decision is recorded or a\n"
	       "delay ends (the store is looked at twice a second); notices are left\n"
	       "to the milter's notifier. SIGTERM stops it; SIGHUP reads the\n"
	       "configuration again (a bad one is logged and the old one kept). A hold\n"
	       "that cannot be carried out is tried again with backoff (at most hourly).\n"
	       "Postfix ([release] postfix_config_dir): approved mail is released\n"
	       "(postsuper -H, then postqueue -i; postsuper -r when held longer than\n"
	       "requeue_fraction of the queue lifetime), rejected, withdrawn and\n"
	       "expired mail is deleted (postsuper -d ID hold). Sendmail ([release]\n"
	       "sendmail_config): approved mail is unquarantined and run (sendmail\n"
	       "-qQ -qIID -Q, then -qIID), the rest is deleted (its hf and df files,\n"
	       "under Sendmail's lock). Each only after the queue file's\n"
	       "X-Sendguard-Hold header has been checked; then the store records it\n"
	       "and the sender is told. Safe to run twice or concurrently (a lock\n"
	       "next to the store). Run as root: by the sendguard-apply path unit\n"
	       "or timer, or by hand. 承認・却下をキューに反映します (root で実行)。\n"
	       "\n"
	       "exit status: 0 done, 1 some hold refused (queue file not ours),\n"
	       "66 no store, 70 internal error, 75 busy or the MTA's command failed\n"
	       "(retry), 78 configuration error.\n");
}

static void ctl_apply_note(ctl_applier *a, const st_hold *h, const char *what)
{
	sg_buf d, err;

	sg_buf_init(&d, 4096);
	sg_buf_init(&err, 4096);
	sg_buf_puts(&d, "{\"note\":");
	sg_json_str(&d, what);
	sg_buf_putc(&d, '}');
	if (st_audit_append(a->st, "apply-note", h->id, h->queue_id, "apply",
			    ctl_unix_user(), sg_buf_cstr(&d), &err) != ST_OK)
		fprintf(stderr, "sendguardctl apply: %s\n", sg_buf_cstr(&err));
	sg_buf_free(&d);
	sg_buf_free(&err);
}

struct ctl_note_seek {
	const char *detail;
	bool found;
};

static int ctl_note_seen(const st_audit_rec *r, void *ctx)
{
	struct ctl_note_seek *k = ctx;

	if (r->event && strcmp(r->event, "apply-note") == 0 && r->detail &&
	    strcmp(r->detail, k->detail) == 0)
		k->found = true;
	return 0;
}

/* An apply-note that says the same each time (a refusal) is recorded
 * once per hold, not on every run or pass: the audit log says what
 * happened, the log says it is still so. */
static void ctl_apply_note_once(ctl_applier *a, const st_hold *h, const char *what)
{
	struct ctl_note_seek k = { NULL, false };
	sg_buf d, err;

	sg_buf_init(&d, 4096);
	sg_buf_init(&err, 4096);
	sg_buf_puts(&d, "{\"note\":");
	sg_json_str(&d, what);
	sg_buf_putc(&d, '}');
	k.detail = sg_buf_cstr(&d);
	if (st_audit_list(a->st, h->id, 0, ctl_note_seen, &k, &err) != ST_OK || !k.found)
		ctl_apply_note(a, h, what);
	sg_buf_free(&d);
	sg_buf_free(&err);
}

/* A delayed mail has left: audit "sent" (how, and how late after the
 * time its delay notice gave), a log line, and the sender's notice
 * as [notify] notify_sent says. after: the hold as now stored. */
static void ctl_apply_sent(ctl_applier *a, const st_hold *h, const st_hold *after,
			   const char *qid)
{
	long long late = (long long)(time(NULL) - h->release_t);
	bool by_delay = h->decided_by && strcmp(h->decided_by, "delay") == 0;
	const char *mode = sg_conf_str(a->conf, "notify", "notify_sent");
	sg_buf d, err;

	sg_buf_init(&d, 4096);
	sg_buf_init(&err, 4096);
	sg_buf_puts(&d, "{\"queue_id\":");
	sg_json_str(&d, qid);
	sg_buf_puts(&d, ",\"by\":");
	sg_json_str(&d, by_delay ? "delay" : "send-now");
	sg_buf_printf(&d, ",\"release_t\":%lld,\"late_s\":%lld}",
		      (long long)h->release_t, late > 0 ? late : 0);
	if (st_audit_append(a->st, "sent", h->id, h->queue_id, "apply", ctl_unix_user(),
			    sg_buf_cstr(&d), &err) != ST_OK)
		fprintf(stderr, "sendguardctl apply: hold %s: %s\n", h->id, sg_buf_cstr(&err));
	printf("hold %s: delayed mail sent (%s%s%s)\n", h->id,
	       by_delay ? "end of delay" : "send now by ",
	       by_delay ? "" : h->decided_by ? h->decided_by : "?",
	       late > CTL_LATE_S ? ", late" : "");
	if (mode && (strcmp(mode, "yes") == 0 ||
		     (strcmp(mode, "late") == 0 && late > CTL_LATE_S)))
		ctl_notice_sent(a->notices, a->st, after);
	sg_buf_free(&d);
	sg_buf_free(&err);
}

static void ctl_fault(const char *point)
{
	const char *f = getenv("SG_FAULT");

	if (f && strcmp(f, point) == 0) {
		fprintf(stderr, "sendguardctl apply: SG_FAULT=%s: exiting\n", point);
		_exit(CTL_EX_TEMPFAIL);
	}
}

/* Records the hold as applied and tells the sender. sent: the mail
 * was released by us or found already released (not: file gone). */
static void ctl_apply_done(ctl_applier *a, const st_hold *h, const char *new_qid,
			   bool sent)
{
	sg_buf err;
	st_hold *after = NULL;
	st_rc rc;

	sg_buf_init(&err, 4096);
	rc = st_hold_set_applied(a->st, h->id, new_qid && *new_qid ? new_qid : NULL,
				 "apply", ctl_unix_user(), &err);
	if (rc != ST_OK) {
		fprintf(stderr, "sendguardctl apply: hold %s: queue done, store not"
			" updated (reconcile will): %s\n", h->id, sg_buf_cstr(&err));
		a->failed++;
	} else {
		a->applied++;
		printf("hold %s: %s applied (queue id %s%s%s)\n", h->id,
		       st_status_name(h->status), h->queue_id,
		       new_qid && *new_qid ? ", now " : "", new_qid ? new_qid : "");
		/* A delayed mail that left (send now, end of delay) is not
		 * "approved": its own record and notice (notify_sent). */
		if (st_hold_get(a->st, h->id, &after, &err) != ST_OK)
			;
		else if (h->delay && h->status == ST_APPROVED && sent)
			ctl_apply_sent(a, h, after, new_qid && *new_qid ? new_qid : h->queue_id);
		else if (!(h->delay && h->status == ST_APPROVED))
			ctl_notice(a->notices, a->st, after, ctl_outcome_kind(h->status));
		st_hold_free(after);
	}
	sg_buf_free(&err);
}

static rel_rc ctl_apply_act(ctl_applier *a, const st_hold *h, const char *qid,
			    char new_qid[64], sg_buf *err)
{
	time_t held = time(NULL) - h->created_t;

	new_qid[0] = '\0';
	if (h->status != ST_APPROVED)
		return rel_be_delete(a->be, qid, h->id, err);
	if (a->requeue_after >= 0 && held >= a->requeue_after)
		return rel_be_requeue(a->be, qid, h->id, h->sender, new_qid, err);
	return rel_be_release(a->be, qid, h->id, err);
}

/* The file is on hold and carries our header. */
static void ctl_apply_on_hold(ctl_applier *a, const st_hold *h, const char *qid)
{
	char new_qid[64];
	sg_buf err;
	rel_rc rc;

	sg_buf_init(&err, 8192);
	rc = ctl_apply_act(a, h, qid, new_qid, &err);
	if (err.len)
		fprintf(stderr, "sendguardctl apply: hold %s: %s\n", h->id, sg_buf_cstr(&err));
	if (rc == REL_OK || rc == REL_GONE)
		ctl_fault("after-queue");
	if (rc == REL_GONE)
		ctl_apply_note(a, h, "queue file left the hold queue meanwhile");
	if (rc == REL_OK && h->status == ST_APPROVED && a->requeue_after >= 0 &&
	    !new_qid[0] && time(NULL) - h->created_t >= a->requeue_after)
		ctl_apply_note(a, h, "requeued; new queue id not seen before"
			       " delivery");
	if (rc == REL_OK || rc == REL_GONE)
		ctl_apply_done(a, h, new_qid, rc == REL_OK);
	else
		a->failed++;
	sg_buf_free(&err);
}

/* Released behind our back though not approved: back on hold, delete. */
static void ctl_apply_recall(ctl_applier *a, const st_hold *h, const char *qid)
{
	sg_buf err;
	rel_rc rc;

	sg_buf_init(&err, 8192);
	rc = rel_be_rehold(a->be, qid, h->id, &err);
	if (rc == REL_OK) {
		ctl_apply_note(a, h, "was released outside sendguard though not"
			       " approved: put back on hold and deleted");
		ctl_apply_on_hold(a, h, qid);
	} else {
		fprintf(stderr, "sendguardctl apply: hold %s: %s message %s is not on"
			" hold and could not be put back: %s\n", h->id,
			st_status_name(h->status), qid, sg_buf_cstr(&err));
		a->failed++;
	}
	sg_buf_free(&err);
}

/* Closed without a decision (reconcile found no queue file) but the
 * file is there: it was committed late, or came back. Nobody decided
 * to delete it, so it is never deleted; mail outside the hold queue
 * goes back on hold, since nobody approved it either. Said on every
 * run (exit 1) until an administrator decides by hand. */
static void ctl_apply_undecided(ctl_applier *a, const st_hold *h,
				const char *qid, const char *queue)
{
	sg_buf err;

	sg_buf_init(&err, 8192);
	if (strcmp(queue, REL_QUEUE_HOLD) != 0 &&
	    rel_be_rehold(a->be, qid, h->id, &err) != REL_OK) {
		fprintf(stderr, "sendguardctl apply: hold %s: %s message %s is not on"
			" hold and could not be put back: %s\n", h->id,
			st_status_name(h->status), qid, sg_buf_cstr(&err));
		a->failed++;
	} else {
		fprintf(stderr, "sendguardctl apply: hold %s: closed as %s by %s without"
			" a decision, but its queue file %s exists: left on hold, never"
			" deleted; an administrator decides (%s)\n", h->id,
			st_status_name(h->status), h->decided_by ? h->decided_by : "?",
			qid, rel_be_hint(a->be));
		a->refused++;
	}
	sg_buf_free(&err);
}

void ctl_apply_hold(ctl_applier *a, const st_hold *h)
{
	const char *qid = h->new_queue_id ? h->new_queue_id : h->queue_id;
	char queue[16];
	sg_buf err;
	rel_rc rc;

	/* Another gateway's hold: its mail is in that gateway's queue, and
	 * only that gateway carries it out (issue 20). Never counted. */
	if (!ctl_gateway_owns(st_gateway(a->st), h))
		return;
	/* The last gate of four eyes: whatever wrote the store (an older
	 * version, a hand edit, a path that forgot the check), an approval
	 * by one of the sender's own identities is never carried out
	 * (except the sender's "send now" of a delayed mail, which no
	 * approver was asked about: kind delay, issue 19). The hold stays
	 * approved and on hold for an administrator to look at. */
	if (h->status == ST_APPROVED && h->decided_by && !h->delay &&
	    (rel_is_sender(h, a->conf, rel_decided_for(h->decided_by)) ||
	     rel_voted_by_sender(h, a->conf))) {
		a->refused++;
		fprintf(stderr, "sendguardctl apply: hold %s: refused: approved by %s, "
			"one of its sender's identities (four eyes); not released\n",
			h->id, h->decided_by);
		ctl_apply_note_once(a, h, "refused: approved by one of the sender's"
				    " own identities (four eyes); not released");
		return;
	}
	sg_buf_init(&err, 8192);
	rc = rel_be_queue_of(a->be, qid, queue, &err);
	if (rc == REL_OK)
		rc = rel_be_check_header(a->be, qid, h->id, &err);
	if (rc == REL_GONE) {
		a->gone++;
		ctl_apply_note(a, h, "queue file not found: already carried out (a"
			       " crash after the queue action) or removed outside"
			       " sendguard");
		ctl_apply_done(a, h, NULL, false);
	} else if (rc == REL_REFUSED) {
		sg_buf why;

		a->refused++;
		fprintf(stderr, "sendguardctl apply: hold %s: refused: %s\n", h->id,
			sg_buf_cstr(&err));
		sg_buf_init(&why, 8192);
		sg_buf_printf(&why, "refused, queue untouched: %s", sg_buf_cstr(&err));
		ctl_apply_note_once(a, h, sg_buf_cstr(&why));
		sg_buf_free(&why);
	} else if (rc != REL_OK) {
		a->failed++;
		fprintf(stderr, "sendguardctl apply: hold %s: %s\n", h->id, sg_buf_cstr(&err));
	} else if (h->status != ST_APPROVED && !rel_decision_deletes(h)) {
		ctl_apply_undecided(a, h, qid, queue);
	} else if (strcmp(queue, REL_QUEUE_HOLD) == 0) {
		ctl_apply_on_hold(a, h, qid);
	} else if (h->status == ST_APPROVED) {
		ctl_apply_note(a, h, "already released (found in the queue, no"
			       " longer on hold)");
		ctl_apply_done(a, h, NULL, true);
	} else {
		ctl_apply_recall(a, h, qid);
	}
	sg_buf_free(&err);
}

/* ------------------------------------------------------------ command */

typedef struct ctl_idv {
	const char *gateway;	/* this gateway's holds only (issue 20) */
	char (*v)[ST_ID_SIZE];
	size_t n;
} ctl_idv;

/* Decided: not pending, and not a hold waiting for its queue file or
 * closed because it never arrived (issue 15): those have nothing to
 * carry out, and their queue file is nobody's decision. */
bool ctl_decided(const st_hold *h)
{
	return h->status != ST_PENDING && h->status != ST_ARRIVING &&
	       h->status != ST_NEVER_ARRIVED;
}

static int ctl_collect_undone(const st_hold *h, void *ctx)
{
	ctl_idv *ids = ctx;

	if (!ctl_decided(h) || h->applied || ids->n >= REL_EXPIRE_MAX ||
	    !ctl_gateway_owns(ids->gateway, h))
		return 0;
	ids->v = sg_xreallocarray(ids->v, ids->n + 1, sizeof(*ids->v));
	memcpy(ids->v[ids->n++], h->id, ST_ID_SIZE);
	return 0;
}

/* ------------------------------------------------------------ backoff */

/* apply --daemon: a hold whose last try was refused (header not ours,
 * four eyes) or failed (an MTA command) is not tried on every pass
 * (every arrival commits to the store and starts one) but after a
 * wait that doubles from CTL_BACKOFF_FIRST up to CTL_BACKOFF_REFUSED
 * or CTL_BACKOFF_FAILED, with one log line per try. Never given up:
 * an administrator may fix the queue or the store at any time. A
 * table bounded at CTL_BACKOFF_HOLDS; past that, a hold is tried on
 * every pass as before. */
#define CTL_BACKOFF_FIRST 30
#define CTL_BACKOFF_REFUSED 3600
#define CTL_BACKOFF_FAILED 300
#define CTL_BACKOFF_HOLDS 1000

struct ctl_backoff {
	char id[ST_ID_SIZE];
	time_t next;		/* not tried before */
	long wait;		/* seconds from this try to the next */
	unsigned tries;
	bool seen;		/* still undone in this pass */
};

static struct ctl_backoff *ctl_bo_find(ctl_applier *a, const char *id)
{
	for (size_t i = 0; i < a->nbo; i++)
		if (strcmp(a->bo[i].id, id) == 0)
			return &a->bo[i];
	return NULL;
}

static void ctl_bo_failed(ctl_applier *a, const st_hold *h, struct ctl_backoff *b,
			  bool refused, time_t now)
{
	long cap = refused ? CTL_BACKOFF_REFUSED : CTL_BACKOFF_FAILED;

	if (b == NULL) {
		if (a->nbo >= CTL_BACKOFF_HOLDS)
			return;
		a->bo = sg_xreallocarray(a->bo, a->nbo + 1, sizeof(*a->bo));
		b = &a->bo[a->nbo++];
		memset(b, 0, sizeof(*b));
		snprintf(b->id, sizeof(b->id), "%s", h->id);
		b->wait = CTL_BACKOFF_FIRST;
	} else {
		b->wait = b->wait * 2 > cap ? cap : b->wait * 2;
	}
	b->tries++;
	b->seen = true;
	b->next = now + b->wait;
	fprintf(stderr, "sendguardctl apply --daemon: hold %s: %s (try %u); next try"
		" in %ld s, then less often (at most every %ld s)%s%s\n", h->id,
		refused ? "not carried out, queue untouched" : "failed", b->tries,
		b->wait, cap, refused ? "; an administrator decides: " : "",
		refused ? rel_be_hint(a->be) : "");
}

/* A hold waiting for its next try has come to it: a pass now, not at
 * the next 30 s tick. */
static bool ctl_bo_due(const ctl_applier *a, time_t now)
{
	for (size_t i = 0; i < a->nbo; i++)
		if (now >= a->bo[i].next)
			return true;
	return false;
}

static void ctl_bo_drop(ctl_applier *a, struct ctl_backoff *b)
{
	size_t i = (size_t)(b - a->bo);

	memmove(&a->bo[i], &a->bo[i + 1], (a->nbo - i - 1) * sizeof(*a->bo));
	a->nbo--;
}

/* Tries one undone hold, or not while it waits for its next try. */
static void ctl_apply_one(ctl_applier *a, const st_hold *h, time_t now)
{
	struct ctl_backoff *b = a->backoff ? ctl_bo_find(a, h->id) : NULL;
	size_t refused = a->refused, failed = a->failed;

	if (b != NULL && now < b->next) {
		b->seen = true;
		return;
	}
	ctl_apply_hold(a, h);
	if (!a->backoff)
		return;
	if (a->refused > refused || a->failed > failed)
		ctl_bo_failed(a, h, b, a->refused > refused, now);
	else if (b != NULL) {
		printf("apply --daemon: hold %s: carried out after %u failed tr%s\n",
		       h->id, b->tries, b->tries == 1 ? "y" : "ies");
		ctl_bo_drop(a, b);
	}
}

static int ctl_apply_all(ctl_applier *a)
{
	ctl_idv ids = { st_gateway(a->st), NULL, 0 };
	sg_buf err;
	st_hold *h;
	time_t now = time(NULL);

	sg_buf_init(&err, 4096);
	if (st_hold_list(a->st, NULL, ctl_collect_undone, &ids, &err) != ST_OK) {
		fprintf(stderr, "sendguardctl apply: %s\n", sg_buf_cstr(&err));
		sg_buf_free(&err);
		return CTL_EX_TEMPFAIL;
	}
	for (size_t i = 0; i < a->nbo; i++)
		a->bo[i].seen = false;
	for (size_t i = 0; i < ids.n; i++) {
		h = NULL;
		/* Read again: only what is still undone under the lock. */
		if (st_hold_get(a->st, ids.v[i], &h, &err) == ST_OK &&
		    ctl_decided(h) && !h->applied)
			ctl_apply_one(a, h, now);
		st_hold_free(h);
	}
	/* Done meanwhile by someone else (a one-shot apply, reconcile):
	 * forgotten. Bounded by the table's size. */
	for (size_t i = a->nbo; i > 0; i--)
		if (!a->bo[i - 1].seen)
			ctl_bo_drop(a, &a->bo[i - 1]);
	free(ids.v);
	sg_buf_free(&err);
	return a->failed ? CTL_EX_TEMPFAIL : a->refused ? CTL_EX_REFUSED : 0;
}

/* Sets up the applier: the MTA backend, notices, requeue threshold. */
int ctl_applier_init(ctl_applier *a, const char *cmd, const sg_conf *conf,
		     st_store *st)
{
	sg_buf err;

	memset(a, 0, sizeof(*a));
	a->st = st;
	a->conf = conf;
	sg_buf_init(&err, 8192);
	a->be = rel_backend_new(conf, &err);
	if (a->be != NULL)
		a->notices = ctl_notices_new(conf, cmd, &err);
	if (a->be == NULL || a->notices == NULL) {
		fprintf(stderr, "sendguardctl %s: configuration error: %s\n", cmd,
			sg_buf_cstr(&err));
		sg_buf_free(&err);
		return -1;
	}
	sg_buf_reset(&err);
	a->requeue_after = rel_be_requeue_after(a->be, &err);
	/* -1 without a reason: the backend never requeues (Sendmail). */
	if (a->requeue_after < 0 && err.len)
		fprintf(stderr, "sendguardctl %s: warning: %s: releasing without"
			" requeue\n", cmd, sg_buf_cstr(&err));
	sg_buf_free(&err);
	return 0;
}

void ctl_applier_free(ctl_applier *a)
{
	free(a->bo);
	rel_backend_free(a->be);
	ctl_notices_free(a->notices);
}

/* ------------------------------------------------------ delayed send */

/* Delays that have ended become approved (one conditional UPDATE
 * each: a send-now or cancel that came first wins). A release later
 * than CTL_LATE_S after its time (apply --daemon was down, or the
 * machine) says so, on stderr (the journal) and in the audit log
 * (delay-end's late_s): the mail leaves late, never lost. */
#define CTL_DUE_MAX 1000

/* A delay that ended for a mail whose queue file is in no queue (it
 * was removed by hand: a pending hold's file was seen on hold when
 * it arrived): nothing can leave, and "approved" would read as sent.
 * Closed as reconcile closes a pending hold without a file (expired,
 * applied, no mail deleted), said once in the log and the audit
 * log; never tried again. True when closed so. */
static bool ctl_due_gone(ctl_applier *a, const st_hold *h)
{
	const char *qid = h->new_queue_id ? h->new_queue_id : h->queue_id;
	char queue[16];
	sg_buf err;
	st_rc rc;

	sg_buf_init(&err, 4096);
	if (rel_be_queue_of(a->be, qid, queue, &err) != REL_GONE) {
		sg_buf_free(&err);
		return false;
	}
	sg_buf_reset(&err);
	rc = st_hold_decide(a->st, h->id, ST_EXPIRED, "delay", "queue file gone at"
			    " the end of the delay (removed outside sendguard): not sent",
			    ctl_unix_user(), &err);
	if (rc == ST_OK)
		rc = st_hold_set_applied(a->st, h->id, NULL, "apply", ctl_unix_user(), &err);
	if (rc == ST_OK) {
		fprintf(stderr, "sendguardctl apply: hold %s: delayed mail not sent: its"
			" queue file %s is in no queue (removed outside sendguard);"
			" closed as expired\n", h->id, qid);
		ctl_apply_note(a, h, "delay ended, but the queue file is in no queue"
			       " (removed outside sendguard): closed as expired, not sent");
	} else if (rc != ST_CONFLICT) {
		fprintf(stderr, "sendguardctl apply: hold %s: %s\n", h->id, sg_buf_cstr(&err));
		a->failed++;
	}
	sg_buf_free(&err);
	return true;
}

static void ctl_release_due(ctl_applier *a, time_t now)
{
	char (*ids)[ST_ID_SIZE] = NULL;
	size_t n = 0;
	sg_buf err;
	st_hold *h;
	st_rc rc;

	sg_buf_init(&err, 4096);
	if (st_hold_due(a->st, now, CTL_DUE_MAX, &ids, &n, &err) != ST_OK) {
		fprintf(stderr, "sendguardctl apply: %s\n", sg_buf_cstr(&err));
		a->failed++;
	}
	for (size_t i = 0; i < n; i++) {
		h = NULL;
		if (st_hold_get(a->st, ids[i], &h, &err) != ST_OK) {
			st_hold_free(h);
			continue;
		}
		if (ctl_due_gone(a, h)) {
			st_hold_free(h);
			continue;
		}
		rc = st_hold_release(a->st, ids[i], ST_RELEASE_DUE, "delay", ctl_unix_user(),
				     now, &err);
		if (rc == ST_OK && now - h->release_t > CTL_LATE_S)
			fprintf(stderr, "sendguardctl apply: hold %s: delayed mail released"
				" %lld s late (its delay ended at %lld; was apply --daemon"
				" down?)\n", ids[i], (long long)(now - h->release_t),
				(long long)h->release_t);
		else if (rc == ST_OK)
			printf("hold %s: delay ended, released\n", ids[i]);
		else if (rc != ST_CONFLICT) {	/* conflict: someone chose first */
			fprintf(stderr, "sendguardctl apply: hold %s: %s\n", ids[i],
				sg_buf_cstr(&err));
			a->failed++;
		}
		st_hold_free(h);
	}
	free(ids);
	sg_buf_free(&err);
}

/* ------------------------------------------------------------ daemon */

#define CTL_DAEMON_TICK_MS 500	/* how often the store is looked at */
#define CTL_DAEMON_RETRY_S 30	/* undone work that did not change */

static volatile sig_atomic_t ctl_stop, ctl_reload;

static void ctl_on_term(int sig)
{
	(void)sig;
	ctl_stop = 1;
}

static void ctl_on_hup(int sig)
{
	(void)sig;
	ctl_reload = 1;
}

/* SIGHUP: the configuration read again, and an applier made from it
 * (backend, notices, requeue threshold), both before anything is
 * swapped: a file that does not load, or an applier that cannot be
 * made from it, is logged (sg_conf_load's "FILE:LINE: [section] key:
 * ...") and the daemon goes on with what it had. So is one with
 * another [store] path: the store and its apply lock stay the ones
 * opened at start until a restart. Holds waiting for a retry keep
 * their backoff. */
static void ctl_daemon_reload(ctl_applier *a, const char *conf_path, sg_conf **confp)
{
	sg_buf err;
	sg_conf *nc;
	ctl_applier na;
	char *was, *now;

	sg_buf_init(&err, 8192);
	nc = sg_conf_load(conf_path, &err);
	if (nc == NULL) {
		fprintf(stderr, "sendguardctl apply --daemon: SIGHUP: configuration not"
			" reloaded, the previous one stays in use: %s\n", sg_buf_cstr(&err));
		sg_buf_free(&err);
		return;
	}
	sg_buf_free(&err);
	was = sg_conf_path(*confp, "store", "path");
	now = sg_conf_path(nc, "store", "path");
	if (strcmp(was, now) != 0) {
		fprintf(stderr, "sendguardctl apply --daemon: SIGHUP: configuration not"
			" reloaded: [store] path changed from %s to %s, which needs a"
			" restart; the previous configuration stays in use\n", was, now);
		free(was);
		free(now);
		sg_conf_free(nc);
		return;
	}
	free(was);
	free(now);
	if (ctl_applier_init(&na, "apply", nc, a->st) < 0) {
		fprintf(stderr, "sendguardctl apply --daemon: SIGHUP: configuration not"
			" reloaded (see above), the previous one stays in use\n");
		ctl_applier_free(&na);
		sg_conf_free(nc);
		return;
	}
	ctl_notices_later(na.notices);
	na.backoff = true;
	na.bo = a->bo;
	na.nbo = a->nbo;
	a->bo = NULL;
	ctl_applier_free(a);
	*a = na;
	sg_conf_free(*confp);
	*confp = nc;
	printf("apply --daemon: configuration reloaded from %s\n", conf_path);
	fflush(stdout);
}

/* One pass under the apply lock (a path or timer unit, reconcile or
 * a second daemon may run beside it): due delays, then every decided
 * hold. The counters are per pass. */
static int ctl_daemon_pass(ctl_applier *a, const sg_conf *conf, time_t now)
{
	int lock = ctl_lock_apply("apply", conf, 5), ex;

	if (lock < 0)
		return CTL_EX_TEMPFAIL;
	a->applied = a->gone = a->refused = a->failed = 0;
	ctl_release_due(a, now);
	ex = ctl_apply_all(a);
	if (a->applied || a->failed || a->refused)
		printf("apply: %zu applied (%zu already done in the queue), %zu refused,"
		       " %zu failed\n", a->applied, a->gone, a->refused, a->failed);
	fflush(stdout);
	close(lock);
	return ex;
}

/*
 * apply --daemon: stays up (systemd restarts it) and carries out what
 * is recorded as soon as it is: every tick a plain read of the store
 * (PRAGMA data_version: did anyone commit? st_hold_due: has a delay
 * ended?), and a pass when either says so, or every CTL_DAEMON_RETRY_S
 * while undone work remains (an MTA command that failed). It renders
 * no notice (ctl_notices_later: the milter's notifier builds and sends
 * them) and reads no mail: only queue ids and X-Sendguard-Hold
 * headers, through the release backend, as the one-shot apply does.
 */
static int ctl_apply_daemon(ctl_applier *a, const char *conf_path, sg_conf **confp,
			    st_store *st)
{
	struct sigaction sa, hup;
	long long seen = -2;
	time_t last = 0;
	char (*ids)[ST_ID_SIZE];
	size_t n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ctl_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	memset(&hup, 0, sizeof(hup));
	hup.sa_handler = ctl_on_hup;
	sigaction(SIGHUP, &hup, NULL);
	ctl_notices_later(a->notices);
	a->backoff = true;
	printf("apply --daemon: started (store %s)\n", st_path(st));
	fflush(stdout);
	while (!ctl_stop) {
		struct timespec ts = { 0, CTL_DAEMON_TICK_MS * 1000000L };
		time_t now = time(NULL);
		long long v = st_data_version(st);
		bool due = false;

		if (ctl_reload) {
			ctl_reload = 0;
			ctl_daemon_reload(a, conf_path, confp);
		}
		if (st_lost_why(st) != NULL) {
			fprintf(stderr, "sendguardctl apply --daemon: %s: exiting (the"
				" unit restarts it)\n", st_lost_why(st));
			return CTL_EX_TEMPFAIL;
		}
		if (st_hold_due(st, now, 1, &ids, &n, NULL) == ST_OK)
			due = n > 0;
		free(ids);
		if (due || v != seen || ctl_bo_due(a, now) ||
		    (now - last >= CTL_DAEMON_RETRY_S && st_hold_work(st, now))) {
			ctl_daemon_pass(a, *confp, now);
			last = now;
			/* Our own commits do not change data_version; what
			 * others committed meanwhile is seen next tick. */
			seen = v;
		}
		nanosleep(&ts, NULL);
	}
	printf("apply --daemon: stopped\n");
	return 0;
}

int ctl_apply(const char *conf_path, int argc, char **argv)
{
	sg_conf *conf;
	st_store *st;
	ctl_applier a;
	int ex = 0, lock = -1;
	bool daemon = argc == 1 && strcmp(argv[0], "--daemon") == 0;

	if (argc > 0 && !daemon) {
		fprintf(stderr, "sendguardctl apply: unexpected argument: %s\n", argv[0]);
		return CTL_EX_USAGE;
	}
	if ((conf = ctl_load_conf(conf_path)) == NULL)
		return CTL_EX_CONFIG;
	if (geteuid() != 0)
		fprintf(stderr, "sendguardctl apply: warning: not root: the MTA's queue"
			" commands will refuse / root で実行してください\n");
	if ((st = ctl_store_as_root("apply", conf, &ex)) == NULL) {
		sg_conf_free(conf);
		return ex;
	}
	if (daemon) {
		if (ctl_applier_init(&a, "apply", conf, st) < 0)
			ex = CTL_EX_CONFIG;
		else
			ex = ctl_apply_daemon(&a, conf_path, &conf, st);
		ctl_applier_free(&a);
	} else if ((lock = ctl_lock_apply("apply", conf, CTL_LOCK_WAIT)) < 0) {
		ex = CTL_EX_TEMPFAIL;
	} else if (ctl_applier_init(&a, "apply", conf, st) < 0) {
		ex = CTL_EX_CONFIG;
		ctl_applier_free(&a);
	} else {
		ctl_release_due(&a, time(NULL));
		ex = ctl_apply_all(&a);
		/* Before the summary, which stays the last line (scripts). */
		ctl_notices_drain(a.notices, st);
		printf("apply: %zu applied (%zu already done in the queue), %zu refused,"
		       " %zu failed\n", a.applied, a.gone, a.refused, a.failed);
		ctl_applier_free(&a);
	}
	if (lock >= 0)
		close(lock);
	ctl_store_close(st, conf);
	sg_conf_free(conf);
	return ex;
}
