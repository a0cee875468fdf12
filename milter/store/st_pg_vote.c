/*
 * NAME
 *	st_pg_vote - approvals by several approvers, proxies, escalation,
 *	on PostgreSQL
 * SYNOPSIS
 *	#include "store/st.h"
 * DESCRIPTION
 *	What st_vote.c does on SQLite (its comment is the specification),
 *	with the same return codes, audit events and detail bytes (the
 *	details come from st_common.c).
 *
 *	Races. SQLite has one writer at a time, so st_vote.c may read and
 *	then write. PostgreSQL runs the gateways' transactions at once
 *	(READ COMMITTED): two approvers inserting the last two approvals
 *	would each count only their own and leave the hold pending with
 *	both. So a vote first locks its hold's row (SELECT ... FOR UPDATE):
 *	votes on one hold run one after the other, each sees the ones
 *	committed before it, and a vote racing a decision or the expiry
 *	finds the hold decided. The unique indexes of approvals keep "the
 *	same person counts once" besides. Escalation and revocation are
 *	single conditional UPDATEs, which PostgreSQL re-checks against the
 *	row as committed by whoever changed it first: one winner.
 * DIAGNOSTICS
 *	As st.h.
 */
#include "store/st_int.h"
#include "store/st_pg_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/sg_mem.h"

struct st_pg_vote_tx {
	const char *id;
	const st_vote *v;
	time_t now;
	st_vote_out out;
};

/* The hold is pending and for approval, but this principal or actor
 * has voted (the insert changed nothing): who, when. */
static st_rc st_pg_vote_voted(st_store *st, const struct st_pg_vote_tx *t,
			      sg_buf *err)
{
	const char *p[3] = { t->id, t->v->principal, t->v->actor };
	PGresult *r = NULL;
	st_rc rc;

	rc = st_pg_exec(st, "SELECT recorded_as, at FROM approvals WHERE hold_id = $1"
			" AND (principal = $2 OR actor = $3) ORDER BY seq LIMIT 1",
			3, p, &r, "read approvals", err);
	if (rc != ST_OK)
		return rc;
	rc = st_vote_refused(st, t->id, "pending", "approval", NULL, NULL,
			     PQntuples(r) == 1, PQntuples(r) == 1 ? st_pg_val(r, 0, 0)
			     : NULL, PQntuples(r) == 1 ? st_pg_val(r, 0, 1) : NULL, err);
	PQclear(r);
	return rc;
}

/* Inserts the approvals row and decides when it is a reject or the
 * approvals reach required; the hold row is locked by the caller.
 * *decided, *count of approvals. */
static st_rc st_pg_vote_record(st_store *st, struct st_pg_vote_tx *t,
			       unsigned required, bool *decided, unsigned *count,
			       sg_buf *err)
{
	const st_vote *v = t->v;
	char now[ST_TIME_SIZE], now_t[32];
	const char *p[10];
	PGresult *r = NULL;
	st_rc rc;
	long n;

	st_time_iso(t->now, now);
	p[0] = t->id;
	p[1] = v->approve ? "approve" : "reject";
	p[2] = v->principal;
	p[3] = v->actor;
	p[4] = v->recorded_as;
	p[5] = v->checked_json ? v->checked_json : "[]";
	p[6] = v->comment;
	p[7] = now;
	p[8] = st_pg_num(now_t, (long long)t->now);
	p[9] = v->unix_user;
	rc = st_pg_exec(st, "INSERT INTO approvals (hold_id, verdict, principal,"
			" actor, recorded_as, checked, comment, at, at_t, unix_user)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::bigint, $10)"
			" ON CONFLICT DO NOTHING", 10, p, &r, "record approval", err);
	if (rc != ST_OK)
		return rc;
	n = st_pg_changes(r);
	PQclear(r);
	if (n != 1)
		return st_pg_vote_voted(st, t, err);
	rc = st_pg_exec(st, "SELECT count(*) FROM approvals WHERE hold_id = $1"
			" AND verdict = 'approve'", 1, p, &r, "count approvals", err);
	if (rc != ST_OK)
		return rc;
	*count = (unsigned)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	*decided = !v->approve || *count >= required;
	if (!*decided)
		return ST_OK;
	p[1] = v->approve ? "approved" : "rejected";
	p[2] = v->recorded_as;
	p[3] = now;
	p[4] = now_t;
	p[5] = v->comment;
	rc = st_pg_exec(st, "UPDATE holds SET status = $2, decided_by = $3,"
			" decided_at = $4, decided_t = $5::bigint, decision_comment = $6"
			" WHERE id = $1 AND status = 'pending'", 6, p, &r,
			"decide hold", err);
	if (rc != ST_OK)
		return rc;
	n = st_pg_changes(r);
	PQclear(r);
	if (n != 1) {			/* cannot be: the row is locked */
		st_seterr(err, "store %s: hold %s changed under its lock", st->path,
			  t->id);
		return ST_ERROR;
	}
	return ST_OK;
}

static st_rc st_pg_vote_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_pg_vote_tx *t = arg;
	const st_vote *v = t->v;
	const char *p[1] = { t->id };
	unsigned count = 0, required;
	bool decided = false;
	PGresult *r = NULL;
	char *qid;
	sg_buf detail;
	st_rc rc;

	rc = st_pg_exec(st, "SELECT status, kind, decided_by, decided_at, queue_id,"
			" required FROM holds WHERE id = $1 FOR UPDATE", 1, p, &r,
			"read hold", err);
	if (rc != ST_OK)
		return rc;
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "pending") != 0 ||
	    strcmp(PQgetvalue(r, 0, 1), "approval") != 0) {
		bool row = PQntuples(r) == 1;

		rc = st_vote_refused(st, t->id, row ? st_pg_val(r, 0, 0) : NULL,
				     row ? st_pg_val(r, 0, 1) : NULL,
				     row ? st_pg_val(r, 0, 2) : NULL,
				     row ? st_pg_val(r, 0, 3) : NULL, false, NULL,
				     NULL, err);
		PQclear(r);
		return rc;
	}
	qid = sg_xstrdup(PQgetvalue(r, 0, 4));
	required = (unsigned)strtoul(PQgetvalue(r, 0, 5), NULL, 10);
	PQclear(r);
	rc = st_pg_vote_record(st, t, required, &decided, &count, err);
	if (rc == ST_OK) {
		t->out = decided ? ST_VOTE_DECIDED : ST_VOTE_PARTIAL;
		sg_buf_init(&detail, ST_VOTE_JSON_MAX);
		st_vote_detail(&detail, v, decided, count, required);
		rc = st_pg_append_tx(st, &(struct st_pg_append){
			st_vote_event(v, decided), t->id, qid, v->recorded_as,
			v->unix_user, sg_buf_cstr(&detail) }, err);
		sg_buf_free(&detail);
	}
	free(qid);
	return rc;
}

st_rc st_pg_hold_vote(st_store *st, const char *id, const st_vote *v,
		      st_vote_out *out, sg_buf *err)
{
	struct st_pg_vote_tx t = { id, v, time(NULL), ST_VOTE_PARTIAL };
	st_rc rc;

	if ((rc = st_vote_args(st, id, v, err)) != ST_OK)
		return rc;
	rc = st_pg_tx(st, st_pg_vote_step, &t, err);
	if (rc == ST_OK && out)
		*out = t.out;
	return rc;
}

/* ---- the record, for show and the report ---- */

struct st_pg_appr_list {
	st_approval_cb cb;
	void *ctx;
};

static int st_pg_appr_row(const PGresult *r, int i, void *ctx)
{
	struct st_pg_appr_list *l = ctx;
	st_approval a;

	a.seq = atoll(PQgetvalue(r, i, 0));
	a.hold_id = st_pg_val(r, i, 1);
	a.verdict = st_pg_val(r, i, 2);
	a.principal = st_pg_val(r, i, 3);
	a.actor = st_pg_val(r, i, 4);
	a.recorded_as = st_pg_val(r, i, 5);
	a.checked_json = st_pg_val(r, i, 6);
	a.comment = st_pg_val(r, i, 7);
	a.at = st_pg_val(r, i, 8);
	a.at_t = (time_t)atoll(PQgetvalue(r, i, 9));
	a.unix_user = st_pg_val(r, i, 10);
	return l->cb(&a, l->ctx);
}

st_rc st_pg_approval_list(st_store *st, const char *hold_id, st_approval_cb cb,
			  void *ctx, sg_buf *err)
{
	struct st_pg_appr_list l = { cb, ctx };
	const char *p[2] = { hold_id, NULL };

	return st_pg_pages(st, "SELECT seq, hold_id, verdict, principal, actor,"
			   " recorded_as, checked, comment, at, at_t, unix_user"
			   " FROM approvals WHERE ($1::text IS NULL OR hold_id = $1)"
			   " AND seq > $2::bigint ORDER BY seq LIMIT 1000", 2, p,
			   st_pg_appr_row, &l, "list approvals", err);
}

/* ---- escalation ---- */

struct st_pg_esc {
	const char *id, *detail;
};

static st_rc st_pg_escalate_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_pg_esc *e = arg;
	char now[ST_TIME_SIZE];
	const char *p[2] = { now, e->id };
	PGresult *r = NULL;
	char *qid;
	st_rc rc;

	st_now_iso(now);
	/* One conditional UPDATE claims it: a second run, or a decision
	 * in between, changes nothing. */
	rc = st_pg_exec(st, "UPDATE holds SET escalated_at = $1 WHERE id = $2 AND"
			" status = 'pending' AND escalated_at IS NULL RETURNING queue_id",
			2, p, &r, "escalate hold", err);
	if (rc != ST_OK)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		st_seterr(err, "store %s: hold %s: already escalated or no longer"
			  " pending", st->path, e->id);
		return ST_CONFLICT;
	}
	qid = sg_xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	rc = st_pg_append_tx(st, &(struct st_pg_append){ "escalate", e->id, qid,
		"expire", NULL, e->detail ? e->detail : "{}" }, err);
	free(qid);
	return rc;
}

st_rc st_pg_hold_mark_escalated(st_store *st, const char *id,
				const char *detail_json, sg_buf *err)
{
	struct st_pg_esc e = { id ? id : "", detail_json };

	return st_pg_tx(st, st_pg_escalate_step, &e, err);
}

/* ---- delegations ---- */

struct st_pg_deleg_tx {
	const char *principal, *delegate, *by, *unix_user;
	time_t since_t, until_t;
	long long id;
};

static st_rc st_pg_deleg_add_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_pg_deleg_tx *d = arg;
	char now[ST_TIME_SIZE], until[ST_TIME_SIZE], since_t[32], until_t[32];
	char *principal = sg_xstrdup(d->principal), *delegate = sg_xstrdup(d->delegate);
	const char *p[7];
	PGresult *r = NULL;
	sg_buf detail;
	st_rc rc;

	st_now_iso(now);
	st_time_iso(d->until_t, until);
	st_ascii_lower(principal);
	st_ascii_lower(delegate);
	p[0] = principal;
	p[1] = delegate;
	p[2] = st_pg_num(since_t, (long long)d->since_t);
	p[3] = st_pg_num(until_t, (long long)d->until_t);
	p[4] = until;
	p[5] = now;
	p[6] = d->by;
	rc = st_pg_exec(st, "INSERT INTO delegations (principal, delegate, since_t,"
			" until_t, until, created, created_by) VALUES ($1, $2,"
			" $3::bigint, $4::bigint, $5, $6, $7) RETURNING id", 7, p, &r,
			"record delegation", err);
	free(principal);
	free(delegate);
	if (rc != ST_OK)
		return rc;
	d->id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	sg_buf_init(&detail, 8192);
	st_deleg_detail(&detail, d->id, d->principal, d->delegate, until);
	rc = st_pg_append_tx(st, &(struct st_pg_append){ "delegate", NULL, NULL,
		d->by, d->unix_user, sg_buf_cstr(&detail) }, err);
	sg_buf_free(&detail);
	return rc;
}

st_rc st_pg_delegate_add(st_store *st, const char *principal, const char *delegate,
			 time_t since_t, time_t until_t, const char *created_by,
			 const char *unix_user, long long *id_out, sg_buf *err)
{
	struct st_pg_deleg_tx d = { principal, delegate, created_by, unix_user,
				    since_t, until_t, 0 };
	st_rc rc;

	if ((rc = st_deleg_args(st, principal, delegate, since_t, until_t,
				created_by, err)) != ST_OK)
		return rc;
	rc = st_pg_tx(st, st_pg_deleg_add_step, &d, err);
	if (rc == ST_OK && id_out)
		*id_out = d.id;
	return rc;
}

struct st_pg_revoke_tx {
	long long id;
	const char *by, *unix_user;
};

static st_rc st_pg_deleg_revoke_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_pg_revoke_tx *v = arg;
	char now[32], id[32], detail[64];
	const char *p[2] = { st_pg_num(now, (long long)time(NULL)),
			     st_pg_num(id, v->id) };
	PGresult *r = NULL;
	st_rc rc;
	long n;

	rc = st_pg_exec(st, "UPDATE delegations SET revoked_t = $1::bigint WHERE"
			" id = $2::bigint AND revoked_t = 0 AND until_t > $1::bigint",
			2, p, &r, "revoke delegation", err);
	if (rc != ST_OK)
		return rc;
	n = st_pg_changes(r);
	PQclear(r);
	if (n != 1) {
		st_seterr(err, "store %s: no delegation %lld in force", st->path, v->id);
		return ST_NOTFOUND;
	}
	st_revoke_detail(detail, v->id);
	return st_pg_append_tx(st, &(struct st_pg_append){ "delegate-revoke", NULL,
		NULL, v->by, v->unix_user, detail }, err);
}

st_rc st_pg_delegate_revoke(st_store *st, long long id, const char *by,
			    const char *unix_user, sg_buf *err)
{
	struct st_pg_revoke_tx v = { id, by, unix_user };

	if (by == NULL || !*by) {
		st_seterr(err, "store %s: revoking a delegation needs who revokes it",
			  st->path);
		return ST_INVALID;
	}
	return st_pg_tx(st, st_pg_deleg_revoke_step, &v, err);
}

struct st_pg_deleg_list {
	st_delegation_cb cb;
	void *ctx;
};

static int st_pg_deleg_row(const PGresult *r, int i, void *ctx)
{
	struct st_pg_deleg_list *l = ctx;
	st_delegation d;

	d.id = atoll(PQgetvalue(r, i, 0));
	d.principal = st_pg_val(r, i, 1);
	d.delegate = st_pg_val(r, i, 2);
	d.since_t = (time_t)atoll(PQgetvalue(r, i, 3));
	d.until_t = (time_t)atoll(PQgetvalue(r, i, 4));
	d.until = st_pg_val(r, i, 5);
	d.created = st_pg_val(r, i, 6);
	d.created_by = st_pg_val(r, i, 7);
	d.revoked_t = (time_t)atoll(PQgetvalue(r, i, 8));
	return l->cb(&d, l->ctx);
}

st_rc st_pg_delegate_list(st_store *st, const char *principal, time_t now,
			  st_delegation_cb cb, void *ctx, sg_buf *err)
{
	struct st_pg_deleg_list l = { cb, ctx };
	char *lower = principal ? sg_xstrdup(principal) : NULL;
	char nowbuf[32];
	const char *p[3] = { lower, st_pg_num(nowbuf, (long long)now), NULL };
	st_rc rc;

	st_ascii_lower(lower);
	rc = st_pg_pages(st, "SELECT id, principal, delegate, since_t, until_t,"
			 " until, created, created_by, revoked_t FROM delegations"
			 " WHERE ($1::text IS NULL OR principal = $1) AND"
			 " ($2::bigint = 0 OR (since_t <= $2::bigint AND"
			 " until_t > $2::bigint AND revoked_t = 0)) AND id > $3::bigint"
			 " ORDER BY id LIMIT 1000", 3, p, st_pg_deleg_row, &l,
			 "list delegations", err);
	free(lower);
	return rc;
}

bool st_pg_delegate_active(st_store *st, const char *principal,
			   const char *delegate, time_t now)
{
	char *pr, *de, nowbuf[32];
	const char *p[3];
	PGresult *r = NULL;
	bool yes = false;

	if (principal == NULL || delegate == NULL)
		return false;
	pr = sg_xstrdup(principal);
	de = sg_xstrdup(delegate);
	st_ascii_lower(pr);
	st_ascii_lower(de);
	p[0] = pr;
	p[1] = de;
	p[2] = st_pg_num(nowbuf, (long long)now);
	if (st_pg_read(st, "SELECT 1 FROM delegations WHERE principal = $1 AND"
		       " delegate = $2 AND since_t <= $3::bigint AND until_t >"
		       " $3::bigint AND revoked_t = 0 LIMIT 1", 3, p, &r,
		       "read delegations", NULL) == ST_OK) {
		yes = PQntuples(r) == 1;
		PQclear(r);
	}
	free(pr);
	free(de);
	return yes;
}
