/*
 * NAME
 *	st_pg_outbox - the notice outbox on PostgreSQL
 * SYNOPSIS
 *	#include "store/st.h"
 * DESCRIPTION
 *	What st_outbox.c does on SQLite (its comment is the specification),
 *	with the same states, leases, return codes and audit records (the
 *	details come from st_common.c).
 *
 *	Races. Several gateways' drainers claim at once, and PostgreSQL,
 *	unlike SQLite, lets their transactions run together. A claim picks
 *	its rows with SELECT ... FOR UPDATE SKIP LOCKED and leases them in
 *	the same statement: a row another drainer is claiming is skipped,
 *	not waited for, and a row it has just leased fails the lease test
 *	when PostgreSQL re-reads it under the lock, so no row is claimed by
 *	two drainers while a lease runs. Sent and failed read their row
 *	FOR UPDATE first, so that two drainers finishing the same row (a
 *	lease that ran out) write one audit record between them; retry and
 *	unlease are single conditional UPDATEs.
 * DIAGNOSTICS
 *	As st.h.
 */
#include "store/st_int.h"
#include "store/st_pg_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/sg_mem.h"

/* ------------------------------------------------------------- add */

st_rc st_pg_outbox_insert_tx(st_store *st, const char *hold_id, const char *queue_id,
			     const st_notice_new *n, size_t count, bool waiting,
			     sg_buf *err)
{
	char now[ST_TIME_SIZE], now_t[32];
	const char *p[10];
	time_t t = time(NULL);
	st_rc rc = ST_OK;

	if (count == 0)
		return ST_OK;
	st_time_iso(t, now);
	st_pg_num(now_t, (long long)t);
	for (size_t i = 0; i < count && rc == ST_OK; i++) {
		if (!st_notice_ok(&n[i], hold_id))
			return st_notice_bad(st, err);
		p[0] = hold_id;
		p[1] = queue_id;
		p[2] = n[i].kind;
		p[3] = n[i].rcpt;
		p[4] = n[i].message_id;
		p[5] = n[i].head ? n[i].head : "";
		p[6] = n[i].body ? n[i].body : "";
		p[7] = waiting ? "waiting" : "ready";
		p[8] = now;
		p[9] = now_t;
		/* A notice recorded already (the same Message-ID, or the same
		 * hold, kind and recipient) is left as it is, as on SQLite. */
		rc = st_pg_exec(st, "INSERT INTO outbox (hold_id, queue_id, kind, rcpt,"
				" message_id, head, body, state, created, created_t,"
				" next_t) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
				" $10::bigint, $10::bigint) ON CONFLICT DO NOTHING", 10, p,
				NULL, "insert notice", err);
	}
	return rc;
}

struct st_pg_add {
	const char *hold_id, *queue_id;
	const st_notice_new *n;
	size_t count;
};

static st_rc st_pg_add_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_pg_add *a = arg;

	return st_pg_outbox_insert_tx(st, a->hold_id, a->queue_id, a->n, a->count,
				      false, err);
}

st_rc st_pg_outbox_add(st_store *st, const char *hold_id, const char *queue_id,
		       const st_notice_new *n, size_t count, sg_buf *err)
{
	struct st_pg_add a = { hold_id, queue_id, n, count };

	if (count == 0)
		return ST_OK;
	return st_pg_tx(st, st_pg_add_step, &a, err);
}

/* ----------------------------------------------------------- claim */

#define ST_PG_NOTICE_COLS "id, hold_id, queue_id, kind, rcpt, message_id, head," \
	" body, state, created, created_t, next_t, attempts, last_error, sent_t"

static char *st_pg_dup(const PGresult *r, int i, int col)
{
	const char *v = st_pg_val(r, i, col);

	return v ? sg_xstrdup(v) : NULL;
}

static st_notice *st_pg_notice_row(const PGresult *r, int i)
{
	st_notice *n = sg_xcalloc(1, sizeof(*n));

	n->id = atoll(PQgetvalue(r, i, 0));
	n->hold_id = st_pg_dup(r, i, 1);
	n->queue_id = st_pg_dup(r, i, 2);
	n->kind = st_pg_dup(r, i, 3);
	n->rcpt = st_pg_dup(r, i, 4);
	n->message_id = st_pg_dup(r, i, 5);
	n->head = st_pg_dup(r, i, 6);
	n->body = st_pg_dup(r, i, 7);
	n->state = st_notice_state_parse(st_pg_val(r, i, 8));
	n->created = st_pg_dup(r, i, 9);
	n->created_t = (time_t)atoll(PQgetvalue(r, i, 10));
	n->next_t = (time_t)atoll(PQgetvalue(r, i, 11));
	n->attempts = (unsigned)strtoul(PQgetvalue(r, i, 12), NULL, 10);
	n->last_error = st_pg_dup(r, i, 13);
	n->sent_t = (time_t)atoll(PQgetvalue(r, i, 14));	/* NULL: "" -> 0 */
	return n;
}

struct st_pg_claim {
	const char *owner;
	time_t now;
	long lease_s;
	size_t max;
	st_notice **v;
	size_t n;
};

static st_rc st_pg_claim_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_pg_claim *c = arg;
	char now[32], until[32], max[32];
	const char *p[4] = { c->owner, st_pg_num(now, (long long)c->now),
			     st_pg_num(until, (long long)c->now + c->lease_s),
			     st_pg_num(max, (long long)c->max) };
	PGresult *r = NULL;
	st_rc rc;
	int rows;

	st_notices_free(c->v, c->n);	/* a retried transaction starts afresh */
	c->v = NULL;
	c->n = 0;
	rc = st_pg_exec(st, "WITH due AS (SELECT id FROM outbox WHERE state = 'ready'"
			" AND next_t <= $2::bigint AND (lease_owner IS NULL OR"
			" lease_until <= $2::bigint) ORDER BY id LIMIT $4::bigint"
			" FOR UPDATE SKIP LOCKED), leased AS (UPDATE outbox o SET"
			" lease_owner = $1, lease_until = $3::bigint FROM due WHERE"
			" o.id = due.id RETURNING o.id, o.hold_id, o.queue_id, o.kind,"
			" o.rcpt, o.message_id, o.head, o.body, o.state, o.created,"
			" o.created_t, o.next_t, o.attempts, o.last_error, o.sent_t)"
			" SELECT * FROM leased ORDER BY id", 4, p, &r,
			"claim notices", err);
	if (rc != ST_OK)
		return rc;
	rows = PQntuples(r);
	if (rows > 0) {
		c->v = sg_xreallocarray(NULL, (size_t)rows, sizeof(*c->v));
		for (int i = 0; i < rows; i++)
			c->v[c->n++] = st_pg_notice_row(r, i);
	}
	PQclear(r);
	return ST_OK;
}

st_rc st_pg_outbox_claim(st_store *st, const char *owner, time_t now,
			 long lease_s, size_t max, st_notice ***out, size_t *nout,
			 sg_buf *err)
{
	struct st_pg_claim c = { owner, now, lease_s > 0 ? lease_s : 1,
				 st_claim_max(max), NULL, 0 };
	st_rc rc;

	*out = NULL;
	*nout = 0;
	if (owner == NULL || *owner == '\0') {
		st_seterr(err, "store %s: a claim needs an owner", st->path);
		return ST_INVALID;
	}
	rc = st_pg_tx(st, st_pg_claim_step, &c, err);
	if (rc != ST_OK) {
		st_notices_free(c.v, c.n);
		return rc;
	}
	*out = c.v;
	*nout = c.n;
	return ST_OK;
}

/* ------------------------------------------------------ outcomes */

struct st_pg_mark {
	long long id;
	const char *owner, *actor, *error;
	time_t next_t;
};

/* Locks the row (FOR UPDATE) and reads what its audit record names;
 * the state in *state. ST_NOTFOUND when there is none. */
static st_rc st_pg_row_lock(st_store *st, long long id, PGresult **r,
			    st_notice_state *state, sg_buf *err)
{
	char idb[32];
	const char *p[1] = { st_pg_num(idb, id) };
	st_rc rc;

	rc = st_pg_exec(st, "SELECT kind, rcpt, message_id, hold_id, queue_id, state"
			" FROM outbox WHERE id = $1::bigint FOR UPDATE", 1, p, r,
			"read notice", err);
	if (rc != ST_OK)
		return rc;
	if (PQntuples(*r) != 1) {
		PQclear(*r);
		*r = NULL;
		st_seterr(err, "store %s: no notice %lld", st->path, id);
		return ST_NOTFOUND;
	}
	*state = st_notice_state_parse(st_pg_val(*r, 0, 5));
	return ST_OK;
}

/* The audit record of a notice sent or given up, from its locked row. */
static st_rc st_pg_notice_audit(st_store *st, const PGresult *r, const char *event,
				const char *actor, const char *error, sg_buf *err)
{
	sg_buf d;
	st_rc rc;

	sg_buf_init(&d, 16384);
	st_notice_detail(&d, st_pg_val(r, 0, 0), st_pg_val(r, 0, 1),
			 st_pg_val(r, 0, 2), error);
	rc = st_pg_append_tx(st, &(struct st_pg_append){ event, st_pg_val(r, 0, 3),
		st_pg_val(r, 0, 4), actor, NULL, sg_buf_cstr(&d) }, err);
	sg_buf_free(&d);
	return rc;
}

static st_rc st_pg_sent_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_pg_mark *m = arg;
	char idb[32], now[32];
	const char *p[2] = { st_pg_num(idb, m->id), st_pg_num(now, (long long)time(NULL)) };
	st_notice_state state;
	PGresult *r = NULL;
	st_rc rc = st_pg_row_lock(st, m->id, &r, &state, err);

	if (rc == ST_OK && state != ST_NOTICE_SENT) {
		rc = st_pg_exec(st, "UPDATE outbox SET state = 'sent', head = '',"
				" body = '', lease_owner = NULL, lease_until = 0,"
				" sent_t = $2::bigint, last_error = NULL WHERE"
				" id = $1::bigint", 2, p, NULL, "update notice", err);
		if (rc == ST_OK)
			rc = st_pg_notice_audit(st, r, "notice", m->actor, NULL, err);
	}
	PQclear(r);
	return rc;
}

st_rc st_pg_outbox_sent(st_store *st, long long id, const char *actor, sg_buf *err)
{
	struct st_pg_mark m = { id, NULL, actor ? actor : "notifier", NULL, 0 };

	return st_pg_tx(st, st_pg_sent_step, &m, err);
}

static st_rc st_pg_retry_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_pg_mark *m = arg;
	char idb[32], next[32];
	const char *p[4] = { st_pg_num(idb, m->id), st_pg_num(next, (long long)m->next_t),
			     m->error, m->owner };

	return st_pg_exec(st, "UPDATE outbox SET attempts = attempts + 1, next_t ="
			  " $2::bigint, last_error = $3, lease_owner = NULL,"
			  " lease_until = 0 WHERE id = $1::bigint AND state = 'ready'"
			  " AND lease_owner = $4", 4, p, NULL, "reschedule notice", err);
}

st_rc st_pg_outbox_retry(st_store *st, long long id, const char *owner,
			 time_t next_t, const char *error, sg_buf *err)
{
	struct st_pg_mark m = { id, owner ? owner : "", NULL, error, next_t };

	return st_pg_tx(st, st_pg_retry_step, &m, err);
}

static st_rc st_pg_fail_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_pg_mark *m = arg;
	char idb[32];
	const char *p[2] = { st_pg_num(idb, m->id), m->error };
	st_notice_state state;
	PGresult *r = NULL;
	st_rc rc = st_pg_row_lock(st, m->id, &r, &state, err);

	if (rc == ST_OK && (state == ST_NOTICE_READY || state == ST_NOTICE_WAITING)) {
		rc = st_pg_exec(st, "UPDATE outbox SET state = 'failed', lease_owner ="
				" NULL, lease_until = 0, last_error = $2 WHERE"
				" id = $1::bigint", 2, p, NULL, "update notice", err);
		if (rc == ST_OK)
			rc = st_pg_notice_audit(st, r, "notice-failed", m->actor,
						m->error, err);
	}
	PQclear(r);
	return rc;
}

st_rc st_pg_outbox_fail(st_store *st, long long id, const char *actor,
			const char *error, sg_buf *err)
{
	struct st_pg_mark m = { id, NULL, actor ? actor : "notifier",
				error ? error : "given up", 0 };

	return st_pg_tx(st, st_pg_fail_step, &m, err);
}

/* ------------------------------------------------------------ list */

struct st_pg_nlist {
	st_notice_cb cb;
	void *ctx;
};

static int st_pg_notice_list_row(const PGresult *r, int i, void *ctx)
{
	struct st_pg_nlist *l = ctx;
	st_notice *n = st_pg_notice_row(r, i);
	int stop = l->cb(n, l->ctx);

	st_notice_free(n);
	return stop;
}

st_rc st_pg_outbox_list(st_store *st, bool all, st_notice_cb cb, void *ctx,
			sg_buf *err)
{
	struct st_pg_nlist l = { cb, ctx };
	const char *p[2] = { all ? "t" : "f", NULL };

	return st_pg_pages(st, "SELECT " ST_PG_NOTICE_COLS " FROM outbox WHERE"
			   " ($1::boolean OR state IN ('waiting','ready','failed'))"
			   " AND id > $2::bigint ORDER BY id LIMIT 1000", 2, p,
			   st_pg_notice_list_row, &l, "list notices", err);
}

time_t st_pg_outbox_next_due(st_store *st)
{
	PGresult *r = NULL;
	time_t t = 0;

	/* A leased row counts: its drainer may be dead, and only a drain
	 * pass frees such leases (rel_outbox.c). next_t 0 is "due now",
	 * not "none". */
	if (st_pg_read(st, "SELECT min(greatest(next_t, 1)) FROM outbox WHERE"
		       " state = 'ready'", 0, NULL, &r, "read the outbox", NULL) == ST_OK) {
		if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
			t = (time_t)atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	return t;
}

st_rc st_pg_outbox_lessees(st_store *st, st_owner_cb cb, void *ctx, sg_buf *err)
{
	PGresult *r = NULL;
	st_rc rc;
	int rows;

	/* At most 1000 owners, as on SQLite: read at once, called without
	 * the mutex (the callback unleases through the store). */
	rc = st_pg_read(st, "SELECT DISTINCT lease_owner FROM outbox WHERE state ="
			" 'ready' AND lease_owner IS NOT NULL LIMIT 1000", 0, NULL, &r,
			"list leases", err);
	if (rc != ST_OK)
		return rc;
	rows = PQntuples(r);
	for (int i = 0; i < rows; i++)
		if (cb(PQgetvalue(r, i, 0), ctx))
			break;
	PQclear(r);
	return ST_OK;
}

struct st_pg_unlease {
	const char *owner;
	long n;
};

static st_rc st_pg_unlease_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_pg_unlease *u = arg;
	const char *p[1] = { u->owner };
	PGresult *r = NULL;
	st_rc rc;

	rc = st_pg_exec(st, "UPDATE outbox SET lease_owner = NULL, lease_until = 0"
			" WHERE lease_owner = $1", 1, p, &r, "end leases", err);
	if (rc == ST_OK) {
		u->n = st_pg_changes(r);
		PQclear(r);
	}
	return rc;
}

long st_pg_outbox_unlease(st_store *st, const char *owner, sg_buf *err)
{
	struct st_pg_unlease u = { owner ? owner : "", 0 };

	return st_pg_tx(st, st_pg_unlease_step, &u, err) == ST_OK ? u.n : -1;
}
