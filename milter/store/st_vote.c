/*
 * NAME
 *	st_vote - approvals by several approvers, proxies, escalation
 * SYNOPSIS
 *	#include "store/st.h"
 * DESCRIPTION
 *	Issue 18 items 2-4 (schema version 5, st_db.c). A hold of kind
 *	approval needs `required` approvals by distinct people; each
 *	approval or reject is a row of approvals with the checklist items
 *	its approver ticked. The two unique indexes of approvals (one per
 *	hold and assigned approver counted, one per hold and person who
 *	acted) make "the same person twice counts once" a property of the
 *	database, not of the caller's care.
 *
 *	Races. Every write here runs in st_tx (BEGIN IMMEDIATE), and each
 *	transition is one conditional statement: the approvals row is
 *	inserted only while the hold is pending, and the hold is decided
 *	by one UPDATE conditional on pending and on the count of approvals
 *	reaching required. Two approvers racing for the last approval, or
 *	an approval racing a reject or the expiry, give exactly one
 *	outcome: the loser inserts nothing and gets ST_CONFLICT.
 * DIAGNOSTICS
 *	As st.h; err names the store, the hold and, for a conflict, who
 *	decided or approved what, when.
 */
#include "store/st_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/sg_mem.h"

struct st_vote_tx {
	const char *id;
	const st_vote *v;
	time_t now;
	st_vote_out out;
};

/* Column i's text while s is on a row, else NULL. */
static const char *st_coltext(sqlite3_stmt *s, bool row, int i)
{
	return row ? (const char *)sqlite3_column_text(s, i) : NULL;
}

/* Why a vote changed nothing: the hold is gone or decided, or this
 * principal or actor has voted already (st_vote_refused says it). */
static st_rc st_vote_conflict(st_store *st, const struct st_vote_tx *t,
			      sg_buf *err)
{
	sqlite3_stmt *s, *a = NULL;
	bool row, voted;
	st_rc rc;
	int step;

	s = st_prepare(st, st->db, "SELECT status, kind, decided_by, decided_at"
		       " FROM holds WHERE id = ?", err);
	if (s == NULL)
		return ST_ERROR;
	st_bind_text(s, 1, t->id);
	step = sqlite3_step(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		rc = st_sqlerr(st, st->db, "read hold", err);
		sqlite3_finalize(s);
		return rc;
	}
	if (step == SQLITE_ROW) {
		a = st_prepare(st, st->db, "SELECT recorded_as, at FROM approvals"
			       " WHERE hold_id = ?1 AND (principal = ?2 OR actor = ?3)"
			       " ORDER BY seq LIMIT 1", err);
		if (a == NULL) {
			sqlite3_finalize(s);
			return ST_ERROR;
		}
		st_bind_text(a, 1, t->id);
		st_bind_text(a, 2, t->v->principal);
		st_bind_text(a, 3, t->v->actor);
	}
	row = step == SQLITE_ROW;
	voted = a && sqlite3_step(a) == SQLITE_ROW;
	rc = st_vote_refused(st, t->id, st_coltext(s, row, 0), st_coltext(s, row, 1),
			     st_coltext(s, row, 2), st_coltext(s, row, 3), voted,
			     st_coltext(a, voted, 0), st_coltext(a, voted, 1), err);
	sqlite3_finalize(a);
	sqlite3_finalize(s);
	return rc;
}

/* The approvals row, only while the hold is a pending approval hold
 * and neither its principal nor its actor has voted (the unique
 * indexes; OR IGNORE turns that into "no row"). 1 inserted, 0 not,
 * -2 an orphaned hold, -1 error. */
static int st_vote_insert(st_store *st, const struct st_vote_tx *t,
			  const char *now_iso, sg_buf *err)
{
	const st_vote *v = t->v;
	sqlite3_stmt *s;
	int ok;

	s = st_prepare(st, st->db, "INSERT OR IGNORE INTO approvals (hold_id,"
		       " verdict, principal, actor, recorded_as, checked, comment,"
		       " at, at_t, unix_user) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
		       " ?9, ?10 FROM holds WHERE id = ?1 AND status = 'pending'"
		       " AND kind = 'approval'", err);
	if (s == NULL)
		return -1;
	st_bind_text(s, 1, t->id);
	st_bind_text(s, 2, v->approve ? "approve" : "reject");
	st_bind_text(s, 3, v->principal);
	st_bind_text(s, 4, v->actor);
	st_bind_text(s, 5, v->recorded_as);
	st_bind_text(s, 6, v->checked_json ? v->checked_json : "[]");
	st_bind_text(s, 7, v->comment);
	st_bind_text(s, 8, now_iso);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)t->now);
	st_bind_text(s, 10, v->unix_user);
	if (sqlite3_step(s) != SQLITE_DONE) {
		/* -2: refused by the orphaned-hold trigger (ST_CONFLICT). */
		ok = st_sqlerr(st, st->db, "record approval", err) == ST_CONFLICT ? -2 : -1;
	} else
		ok = sqlite3_changes(st->db) == 1;
	sqlite3_finalize(s);
	return ok;
}

/* The one UPDATE that decides: a reject at once, an approval when the
 * approvals reach required. *decided, and the queue id for the
 * audit record. */
static st_rc st_vote_decide(st_store *st, const struct st_vote_tx *t,
			    const char *now_iso, bool *decided,
			    unsigned *count, unsigned *required, char **qid,
			    sg_buf *err)
{
	sqlite3_stmt *s;
	st_rc rc = ST_OK;

	s = st_prepare(st, st->db, "UPDATE holds SET status = ?2, decided_by = ?3,"
		       " decided_at = ?4, decided_t = ?5, decision_comment = ?6"
		       " WHERE id = ?1 AND status = 'pending' AND (?2 = 'rejected'"
		       " OR (SELECT count(*) FROM approvals WHERE hold_id = ?1"
		       " AND verdict = 'approve') >= required)", err);
	if (s == NULL)
		return ST_ERROR;
	st_bind_text(s, 1, t->id);
	st_bind_text(s, 2, t->v->approve ? "approved" : "rejected");
	st_bind_text(s, 3, t->v->recorded_as);
	st_bind_text(s, 4, now_iso);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)t->now);
	st_bind_text(s, 6, t->v->comment);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = st_sqlerr(st, st->db, "decide hold", err);
	*decided = sqlite3_changes(st->db) == 1;
	sqlite3_finalize(s);
	if (rc != ST_OK)
		return rc;
	s = st_prepare(st, st->db, "SELECT queue_id, required, (SELECT count(*)"
		       " FROM approvals WHERE hold_id = ?1 AND verdict = 'approve')"
		       " FROM holds WHERE id = ?1", err);
	if (s == NULL)
		return ST_ERROR;
	st_bind_text(s, 1, t->id);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*qid = st_col_dup(s, 0);
		*required = (unsigned)sqlite3_column_int(s, 1);
		*count = (unsigned)sqlite3_column_int(s, 2);
	} else
		rc = st_sqlerr(st, st->db, "read hold", err);
	sqlite3_finalize(s);
	return rc;
}

static st_rc st_vote_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_vote_tx *t = arg;
	const st_vote *v = t->v;
	char now[ST_TIME_SIZE], *qid = NULL;
	unsigned count = 0, required = 1;
	bool decided = false;
	sg_buf detail;
	int ins;
	st_rc rc;

	st_time_iso(t->now, now);
	if ((ins = st_vote_insert(st, t, now, err)) < 0)
		return ins == -2 ? ST_CONFLICT : ST_ERROR;
	if (ins == 0)
		return st_vote_conflict(st, t, err);
	rc = st_vote_decide(st, t, now, &decided, &count, &required, &qid, err);
	if (rc != ST_OK) {
		free(qid);
		return rc;
	}
	t->out = decided ? ST_VOTE_DECIDED : ST_VOTE_PARTIAL;
	sg_buf_init(&detail, ST_VOTE_JSON_MAX);
	st_vote_detail(&detail, v, decided, count, required);
	rc = st_audit_append_tx(st, st_vote_event(v, decided), t->id, qid,
				v->recorded_as, v->unix_user, sg_buf_cstr(&detail),
				err);
	sg_buf_free(&detail);
	free(qid);
	return rc;
}

st_rc st_sql_hold_vote(st_store *st, const char *id, const st_vote *v,
		   st_vote_out *out, sg_buf *err)
{
	struct st_vote_tx t = { id, v, time(NULL), ST_VOTE_PARTIAL };
	st_rc rc;

	if ((rc = st_vote_args(st, id, v, err)) != ST_OK)
		return rc;
	rc = st_tx(st, st_vote_step, &t, err);
	if (rc == ST_OK && out)
		*out = t.out;
	return rc;
}

/* ---- the record, for show and the report ---- */

st_rc st_sql_approval_list(st_store *st, const char *hold_id, st_approval_cb cb,
		       void *ctx, sg_buf *err)
{
	sqlite3 *db = st_open_reader(st, err);
	sqlite3_stmt *s;
	st_rc rc = ST_OK;
	int step;

	if (db == NULL)
		return ST_ERROR;
	s = st_prepare(st, db, "SELECT seq, hold_id, verdict, principal, actor,"
		       " recorded_as, checked, comment, at, at_t, unix_user"
		       " FROM approvals WHERE ?1 IS NULL OR hold_id = ?1"
		       " ORDER BY seq", err);
	if (s == NULL) {
		st_close_reader(db);
		return ST_ERROR;
	}
	st_bind_text(s, 1, hold_id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		st_approval a;

		a.seq = sqlite3_column_int64(s, 0);
		a.hold_id = (const char *)sqlite3_column_text(s, 1);
		a.verdict = (const char *)sqlite3_column_text(s, 2);
		a.principal = (const char *)sqlite3_column_text(s, 3);
		a.actor = (const char *)sqlite3_column_text(s, 4);
		a.recorded_as = (const char *)sqlite3_column_text(s, 5);
		a.checked_json = (const char *)sqlite3_column_text(s, 6);
		a.comment = (const char *)sqlite3_column_text(s, 7);
		a.at = (const char *)sqlite3_column_text(s, 8);
		a.at_t = (time_t)sqlite3_column_int64(s, 9);
		a.unix_user = (const char *)sqlite3_column_text(s, 10);
		if (cb(&a, ctx))
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = st_sqlerr(st, db, "list approvals", err);
	sqlite3_finalize(s);
	st_close_reader(db);
	return rc;
}

/* ---- escalation ---- */

struct st_esc {
	const char *id, *detail;
};

static st_rc st_escalate_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_esc *e = arg;
	char now[ST_TIME_SIZE], *qid = NULL;
	sqlite3_stmt *s;
	st_rc rc = ST_OK;

	st_now_iso(now);
	/* One conditional UPDATE claims it: a second run, or a decision
	 * in between, changes nothing. */
	s = st_prepare(st, st->db, "UPDATE holds SET escalated_at = ?1 WHERE"
		       " id = ?2 AND status = 'pending' AND escalated_at IS NULL"
		       " RETURNING queue_id", err);
	if (s == NULL)
		return ST_ERROR;
	st_bind_text(s, 1, now);
	st_bind_text(s, 2, e->id);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		qid = st_col_dup(s, 0);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = st_sqlerr(st, st->db, "escalate hold", err);
		break;
	case SQLITE_DONE:
		st_seterr(err, "store %s: hold %s: already escalated or no longer"
			  " pending", st->path, e->id);
		rc = ST_CONFLICT;
		break;
	default:
		rc = st_sqlerr(st, st->db, "escalate hold", err);
		break;
	}
	sqlite3_finalize(s);
	if (rc == ST_OK)
		rc = st_audit_append_tx(st, "escalate", e->id, qid, "expire", NULL,
					e->detail ? e->detail : "{}", err);
	free(qid);
	return rc;
}

st_rc st_sql_hold_mark_escalated(st_store *st, const char *id,
			     const char *detail_json, sg_buf *err)
{
	struct st_esc e = { id ? id : "", detail_json };

	return st_tx(st, st_escalate_step, &e, err);
}

/* ---- delegations ---- */

struct st_deleg_tx {
	const char *principal, *delegate, *by, *unix_user;
	time_t since_t, until_t;
	long long id;
};

static st_rc st_deleg_add_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_deleg_tx *d = arg;
	char now[ST_TIME_SIZE], until[ST_TIME_SIZE];
	sqlite3_stmt *s;
	sg_buf detail;
	st_rc rc = ST_OK;

	st_now_iso(now);
	st_time_iso(d->until_t, until);
	s = st_prepare(st, st->db, "INSERT INTO delegations (principal, delegate,"
		       " since_t, until_t, until, created, created_by) VALUES"
		       " (lower(?1), lower(?2), ?3, ?4, ?5, ?6, ?7)", err);
	if (s == NULL)
		return ST_ERROR;
	st_bind_text(s, 1, d->principal);
	st_bind_text(s, 2, d->delegate);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)d->since_t);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)d->until_t);
	st_bind_text(s, 5, until);
	st_bind_text(s, 6, now);
	st_bind_text(s, 7, d->by);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = st_sqlerr(st, st->db, "record delegation", err);
	d->id = (long long)sqlite3_last_insert_rowid(st->db);
	sqlite3_finalize(s);
	if (rc != ST_OK)
		return rc;
	sg_buf_init(&detail, 8192);
	st_deleg_detail(&detail, d->id, d->principal, d->delegate, until);
	rc = st_audit_append_tx(st, "delegate", NULL, NULL, d->by, d->unix_user,
				sg_buf_cstr(&detail), err);
	sg_buf_free(&detail);
	return rc;
}

st_rc st_sql_delegate_add(st_store *st, const char *principal, const char *delegate,
		      time_t since_t, time_t until_t, const char *created_by,
		      const char *unix_user, long long *id_out, sg_buf *err)
{
	struct st_deleg_tx d = { principal, delegate, created_by, unix_user,
				 since_t, until_t, 0 };
	st_rc rc;

	if ((rc = st_deleg_args(st, principal, delegate, since_t, until_t,
				created_by, err)) != ST_OK)
		return rc;
	rc = st_tx(st, st_deleg_add_step, &d, err);
	if (rc == ST_OK && id_out)
		*id_out = d.id;
	return rc;
}

struct st_revoke_tx {
	long long id;
	const char *by, *unix_user;
};

static st_rc st_deleg_revoke_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_revoke_tx *r = arg;
	char detail[64];
	sqlite3_stmt *s;
	st_rc rc = ST_OK;
	time_t now = time(NULL);

	s = st_prepare(st, st->db, "UPDATE delegations SET revoked_t = ?1"
		       " WHERE id = ?2 AND revoked_t = 0 AND until_t > ?1", err);
	if (s == NULL)
		return ST_ERROR;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)r->id);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = st_sqlerr(st, st->db, "revoke delegation", err);
	else if (sqlite3_changes(st->db) != 1) {
		st_seterr(err, "store %s: no delegation %lld in force", st->path,
			  r->id);
		rc = ST_NOTFOUND;
	}
	sqlite3_finalize(s);
	st_revoke_detail(detail, r->id);
	if (rc == ST_OK)
		rc = st_audit_append_tx(st, "delegate-revoke", NULL, NULL, r->by,
					r->unix_user, detail, err);
	return rc;
}

st_rc st_sql_delegate_revoke(st_store *st, long long id, const char *by,
			 const char *unix_user, sg_buf *err)
{
	struct st_revoke_tx r = { id, by, unix_user };

	if (by == NULL || !*by) {
		st_seterr(err, "store %s: revoking a delegation needs who revokes it",
			  st->path);
		return ST_INVALID;
	}
	return st_tx(st, st_deleg_revoke_step, &r, err);
}

st_rc st_sql_delegate_list(st_store *st, const char *principal, time_t now,
		       st_delegation_cb cb, void *ctx, sg_buf *err)
{
	sqlite3 *db = st_open_reader(st, err);
	sqlite3_stmt *s;
	st_rc rc = ST_OK;
	int step;

	if (db == NULL)
		return ST_ERROR;
	s = st_prepare(st, db, "SELECT id, principal, delegate, since_t, until_t,"
		       " until, created, created_by, revoked_t FROM delegations"
		       " WHERE (?1 IS NULL OR principal = lower(?1)) AND (?2 = 0 OR"
		       " (since_t <= ?2 AND until_t > ?2 AND revoked_t = 0))"
		       " ORDER BY id", err);
	if (s == NULL) {
		st_close_reader(db);
		return ST_ERROR;
	}
	st_bind_text(s, 1, principal);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		st_delegation d;

		d.id = sqlite3_column_int64(s, 0);
		d.principal = (const char *)sqlite3_column_text(s, 1);
		d.delegate = (const char *)sqlite3_column_text(s, 2);
		d.since_t = (time_t)sqlite3_column_int64(s, 3);
		d.until_t = (time_t)sqlite3_column_int64(s, 4);
		d.until = (const char *)sqlite3_column_text(s, 5);
		d.created = (const char *)sqlite3_column_text(s, 6);
		d.created_by = (const char *)sqlite3_column_text(s, 7);
		d.revoked_t = (time_t)sqlite3_column_int64(s, 8);
		if (cb(&d, ctx))
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = st_sqlerr(st, db, "list delegations", err);
	sqlite3_finalize(s);
	st_close_reader(db);
	return rc;
}

bool st_sql_delegate_active(st_store *st, const char *principal,
			const char *delegate, time_t now)
{
	sqlite3_stmt *s;
	bool yes = false;

	if (principal == NULL || delegate == NULL)
		return false;
	pthread_mutex_lock(&st->mu);
	if (st_check(st, st->db, NULL) == ST_OK &&
	    (s = st_prepare(st, st->db, "SELECT 1 FROM delegations WHERE"
			    " principal = lower(?1) AND delegate = lower(?2)"
			    " AND since_t <= ?3 AND until_t > ?3 AND revoked_t = 0"
			    " LIMIT 1", NULL)) != NULL) {
		st_bind_text(s, 1, principal);
		st_bind_text(s, 2, delegate);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)now);
		yes = sqlite3_step(s) == SQLITE_ROW;
		sqlite3_finalize(s);
	}
	pthread_mutex_unlock(&st->mu);
	return yes;
}
