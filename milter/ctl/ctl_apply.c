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
 *	  and say so on every run until an administrator looks.
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

void ctl_apply_help(void)
{
	printf("usage: sendguardctl [-c CONF] apply [--daemon]\n"
	       "\n"
	       "Carry out every decided hold on the MTA's queue ([release] backend),\n"
	       "and release delayed mail whose delay has ended ([hold] delay).\n"
	       "--daemon: stay up and do so as soon as a decision is recorded or a\n"
	       "delay ends (the store is looked at twice a second); notices are left\n"
	       "to the milter's notifier. SIGTERM stops it.\n"
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

static void ctl_fault(const char *point)
{
	const char *f = getenv("SG_FAULT");

	if (f && strcmp(f, point) == 0) {
		fprintf(stderr, "sendguardctl apply: SG_FAULT=%s: exiting\n", point);
		_exit(CTL_EX_TEMPFAIL);
	}
}

/* Records the hold as applied and tells the sender. */
static void ctl_apply_done(ctl_applier *a, const st_hold *h, const char *new_qid)
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
		/* A delayed mail that left (send now, end of delay) needs no
		 * notice: its sender was told when it would leave. */
		if (!(h->delay && h->status == ST_APPROVED) &&
		    st_hold_get(a->st, h->id, &after, &err) == ST_OK)
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
		ctl_apply_done(a, h, new_qid);
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

	/* The last gate of four eyes: whatever wrote the store (an older
	 * version, a hand edit, a path that forgot the check), an approval
	 * by one of the sender's own identities is never carried out
	 * (except the sender's "send now" of a delayed mail, which no
	 * approver was asked about: kind delay, issue 19). The hold stays
	 * approved and on hold for an administrator to look at. */
	if (h->status == ST_APPROVED && h->decided_by && !h->delay &&
	    rel_is_sender(h, a->conf, rel_decided_for(h->decided_by))) {
		a->refused++;
		fprintf(stderr, "sendguardctl apply: hold %s: refused: approved by %s, "
			"one of its sender's identities (four eyes); not released\n",
			h->id, h->decided_by);
		ctl_apply_note(a, h, "refused: approved by one of the sender's own"
			       " identities (four eyes); not released");
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
		ctl_apply_done(a, h, NULL);
	} else if (rc == REL_REFUSED) {
		a->refused++;
		fprintf(stderr, "sendguardctl apply: hold %s: refused: %s\n", h->id,
			sg_buf_cstr(&err));
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
		ctl_apply_done(a, h, NULL);
	} else {
		ctl_apply_recall(a, h, qid);
	}
	sg_buf_free(&err);
}

/* ------------------------------------------------------------ command */

typedef struct ctl_idv {
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

	if (!ctl_decided(h) || h->applied || ids->n >= REL_EXPIRE_MAX)
		return 0;
	ids->v = sg_xreallocarray(ids->v, ids->n + 1, sizeof(*ids->v));
	memcpy(ids->v[ids->n++], h->id, ST_ID_SIZE);
	return 0;
}

static int ctl_apply_all(ctl_applier *a)
{
	ctl_idv ids = { NULL, 0 };
	sg_buf err;
	st_hold *h;

	sg_buf_init(&err, 4096);
	if (st_hold_list(a->st, NULL, ctl_collect_undone, &ids, &err) != ST_OK) {
		fprintf(stderr, "sendguardctl apply: %s\n", sg_buf_cstr(&err));
		sg_buf_free(&err);
		return CTL_EX_TEMPFAIL;
	}
	for (size_t i = 0; i < ids.n; i++) {
		h = NULL;
		/* Read again: only what is still undone under the lock. */
		if (st_hold_get(a->st, ids.v[i], &h, &err) == ST_OK &&
		    ctl_decided(h) && !h->applied)
			ctl_apply_hold(a, h);
		st_hold_free(h);
	}
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
	rel_backend_free(a->be);
	ctl_notices_free(a->notices);
}

/* ------------------------------------------------------ delayed send */

/* Delays that have ended become approved (one conditional UPDATE
 * each: a send-now or cancel that came first wins). A release later
 * than CTL_LATE_S after its time (apply --daemon was down, or the
 * machine) says so, on stderr (the journal) and in the audit log
 * (delay-end's late_s): the mail leaves late, never lost. */
#define CTL_LATE_S 10
#define CTL_DUE_MAX 1000

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

static volatile sig_atomic_t ctl_stop;

static void ctl_on_term(int sig)
{
	(void)sig;
	ctl_stop = 1;
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
static int ctl_apply_daemon(ctl_applier *a, const sg_conf *conf, st_store *st)
{
	struct sigaction sa;
	long long seen = -2;
	time_t last = 0;
	char (*ids)[ST_ID_SIZE];
	size_t n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ctl_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	ctl_notices_later(a->notices);
	printf("apply --daemon: started (store %s)\n", st_path(st));
	fflush(stdout);
	while (!ctl_stop) {
		struct timespec ts = { 0, CTL_DAEMON_TICK_MS * 1000000L };
		time_t now = time(NULL);
		long long v = st_data_version(st);
		bool due = false;

		if (st_lost_why(st) != NULL) {
			fprintf(stderr, "sendguardctl apply --daemon: %s: exiting (the"
				" unit restarts it)\n", st_lost_why(st));
			return CTL_EX_TEMPFAIL;
		}
		if (st_hold_due(st, now, 1, &ids, &n, NULL) == ST_OK)
			due = n > 0;
		free(ids);
		if (due || v != seen ||
		    (now - last >= CTL_DAEMON_RETRY_S && st_hold_work(st, now))) {
			ctl_daemon_pass(a, conf, now);
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
			ex = ctl_apply_daemon(&a, conf, st);
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
