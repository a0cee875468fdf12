/*
 * NAME
 *	st_outbox - the notice outbox: record, claim with a lease, mark
 *	sent, retry, give up, list
 * SYNOPSIS
 *	#include "store/st.h"
 * DESCRIPTION
 *	Notices used to be submitted inside the milter's end-of-message
 *	callback: a slow or broken submission path (a setgid postdrop under
 *	NoNewPrivileges, issue 16) held every message for minutes, and a
 *	kill in the middle sent empty or partial notices (issue 15). Now
 *	the hold transaction records each notice here, and a drainer (a
 *	thread of the milter, `sendguardctl apply`, the web service) sends
 *	it afterwards.
 *
 *	Claiming is one BEGIN IMMEDIATE transaction: the due rows whose
 *	lease is free or ran out get this drainer's owner string and a
 *	lease time. SQLite serialises writers, so two drainers can never
 *	claim the same row while a lease runs; a drainer that died leaves
 *	its rows to be claimed again when the lease ends, and they are sent
 *	again (delivery is at least once, with the row's fixed Message-ID).
 *
 *	Marking a row sent writes its audit record in the same
 *	transaction, once: a second "sent" for a row already sent (two
 *	drainers after a lease ran out) adds nothing, so every notice sent
 *	has exactly one audit record. The content of a sent notice is
 *	dropped: the store keeps no more of a message than it must.
 * DIAGNOSTICS
 *	st_rc codes as in st.h; err names the store and the row.
 */
#include "store/st_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sg_mem.h"

/* ------------------------------------------------------------- add */

st_rc st_outbox_insert_tx(st_store *st, const char *hold_id, const char *queue_id,
			  const st_notice_new *n, size_t count, bool waiting,
			  sg_buf *err)
{
	sqlite3_stmt *s;
	char now[ST_TIME_SIZE];
	time_t t = time(NULL);
	st_rc rc = ST_OK;

	if (count == 0)
		return ST_OK;
	s = st_prepare(st, st->db, "INSERT INTO outbox (hold_id, queue_id, kind,"
		       " rcpt, message_id, head, body, state, created, created_t,"
		       " next_t) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
		       " ON CONFLICT DO NOTHING", err);
	if (s == NULL)
		return ST_ERROR;
	st_time_iso(t, now);
	for (size_t i = 0; i < count && rc == ST_OK; i++) {
		if (!st_notice_ok(&n[i], hold_id)) {
			rc = st_notice_bad(st, err);
			break;
		}
		sqlite3_reset(s);
		st_bind_text(s, 1, hold_id);
		st_bind_text(s, 2, queue_id);
		st_bind_text(s, 3, n[i].kind);
		st_bind_text(s, 4, n[i].rcpt);
		st_bind_text(s, 5, n[i].message_id);
		st_bind_text(s, 6, n[i].head ? n[i].head : "");
		st_bind_text(s, 7, n[i].body ? n[i].body : "");
		st_bind_text(s, 8, waiting ? "waiting" : "ready");
		st_bind_text(s, 9, now);
		sqlite3_bind_int64(s, 10, (sqlite3_int64)t);
		sqlite3_bind_int64(s, 11, (sqlite3_int64)t);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = st_sqlerr(st, st->db, "insert notice", err);
	}
	sqlite3_finalize(s);
	return rc;
}

struct st_add {
	const char *hold_id, *queue_id;
	const st_notice_new *n;
	size_t count;
};

static st_rc st_add_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_add *a = arg;

	return st_outbox_insert_tx(st, a->hold_id, a->queue_id, a->n, a->count,
				   false, err);
}

st_rc st_sql_outbox_add(st_store *st, const char *hold_id, const char *queue_id,
		    const st_notice_new *n, size_t count, sg_buf *err)
{
	struct st_add a = { hold_id, queue_id, n, count };

	if (count == 0)
		return ST_OK;
	return st_tx(st, st_add_step, &a, err);
}

/* ----------------------------------------------------------- claim */

#define ST_NOTICE_COLS "id, hold_id, queue_id, kind, rcpt, message_id, head," \
	" body, state, created, created_t, next_t, attempts, last_error, sent_t"

static st_notice *st_notice_from_row(sqlite3_stmt *s)
{
	st_notice *n = sg_xcalloc(1, sizeof(*n));

	n->id = sqlite3_column_int64(s, 0);
	n->hold_id = st_col_dup(s, 1);
	n->queue_id = st_col_dup(s, 2);
	n->kind = st_col_dup(s, 3);
	n->rcpt = st_col_dup(s, 4);
	n->message_id = st_col_dup(s, 5);
	n->head = st_col_dup(s, 6);
	n->body = st_col_dup(s, 7);
	n->state = st_notice_state_parse((const char *)sqlite3_column_text(s, 8));
	n->created = st_col_dup(s, 9);
	n->created_t = (time_t)sqlite3_column_int64(s, 10);
	n->next_t = (time_t)sqlite3_column_int64(s, 11);
	n->attempts = (unsigned)sqlite3_column_int(s, 12);
	n->last_error = st_col_dup(s, 13);
	n->sent_t = (time_t)sqlite3_column_int64(s, 14);
	return n;
}

struct st_claim {
	const char *owner;
	time_t now;
	long lease_s;
	size_t max;
	st_notice **v;
	size_t n;
};

static void st_claim_drop(struct st_claim *c)
{
	st_notices_free(c->v, c->n);
	c->v = NULL;
	c->n = 0;
}

static st_rc st_claim_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_claim *c = arg;
	sqlite3_stmt *sel, *upd;
	st_rc rc = ST_OK;
	int step;

	st_claim_drop(c);	/* a retried transaction starts afresh */
	sel = st_prepare(st, st->db, "SELECT " ST_NOTICE_COLS " FROM outbox"
			 " WHERE state = 'ready' AND next_t <= ?1 AND"
			 " (lease_owner IS NULL OR lease_until <= ?1)"
			 " ORDER BY id LIMIT ?2", err);
	if (sel == NULL)
		return ST_ERROR;
	upd = st_prepare(st, st->db, "UPDATE outbox SET lease_owner = ?1,"
			 " lease_until = ?2 WHERE id = ?3", err);
	if (upd == NULL) {
		sqlite3_finalize(sel);
		return ST_ERROR;
	}
	sqlite3_bind_int64(sel, 1, (sqlite3_int64)c->now);
	sqlite3_bind_int64(sel, 2, (sqlite3_int64)c->max);
	while ((step = sqlite3_step(sel)) == SQLITE_ROW && rc == ST_OK) {
		st_notice *n = st_notice_from_row(sel);

		c->v = sg_xreallocarray(c->v, c->n + 1, sizeof(*c->v));
		c->v[c->n++] = n;
		sqlite3_reset(upd);
		st_bind_text(upd, 1, c->owner);
		sqlite3_bind_int64(upd, 2, (sqlite3_int64)(c->now + c->lease_s));
		sqlite3_bind_int64(upd, 3, n->id);
		if (sqlite3_step(upd) != SQLITE_DONE)
			rc = st_sqlerr(st, st->db, "claim notice", err);
	}
	if (rc == ST_OK && step != SQLITE_DONE && step != SQLITE_ROW)
		rc = st_sqlerr(st, st->db, "claim notices", err);
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	return rc;
}

st_rc st_sql_outbox_claim(st_store *st, const char *owner, time_t now,
		      long lease_s, size_t max, st_notice ***out, size_t *nout,
		      sg_buf *err)
{
	struct st_claim c = { owner, now, lease_s > 0 ? lease_s : 1,
			      st_claim_max(max),
			      NULL, 0 };
	st_rc rc;

	*out = NULL;
	*nout = 0;
	if (owner == NULL || *owner == '\0') {
		st_seterr(err, "store %s: a claim needs an owner", st->path);
		return ST_INVALID;
	}
	rc = st_tx(st, st_claim_step, &c, err);
	if (rc != ST_OK) {
		st_claim_drop(&c);
		return rc;
	}
	*out = c.v;
	*nout = c.n;
	return ST_OK;
}

/* ------------------------------------------------------ outcomes */

struct st_mark {
	long long id;
	const char *owner, *actor, *error;
	time_t next_t;
};

/* kind, rcpt, message_id, hold_id, queue_id, state of one row. */
struct st_row {
	char *kind, *rcpt, *message_id, *hold_id, *queue_id;
	st_notice_state state;
};

static void st_row_free(struct st_row *r)
{
	free(r->kind);
	free(r->rcpt);
	free(r->message_id);
	free(r->hold_id);
	free(r->queue_id);
}

static st_rc st_row_read(st_store *st, long long id, struct st_row *r, sg_buf *err)
{
	sqlite3_stmt *s = st_prepare(st, st->db, "SELECT kind, rcpt, message_id,"
				     " hold_id, queue_id, state FROM outbox"
				     " WHERE id = ?", err);
	st_rc rc = ST_OK;
	int step;

	memset(r, 0, sizeof(*r));
	if (s == NULL)
		return ST_ERROR;
	sqlite3_bind_int64(s, 1, id);
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		r->kind = st_col_dup(s, 0);
		r->rcpt = st_col_dup(s, 1);
		r->message_id = st_col_dup(s, 2);
		r->hold_id = st_col_dup(s, 3);
		r->queue_id = st_col_dup(s, 4);
		r->state = st_notice_state_parse((const char *)sqlite3_column_text(s, 5));
	} else if (step == SQLITE_DONE) {
		st_seterr(err, "store %s: no notice %lld", st->path, id);
		rc = ST_NOTFOUND;
	} else {
		rc = st_sqlerr(st, st->db, "read notice", err);
	}
	sqlite3_finalize(s);
	return rc;
}

static st_rc st_exec_id(st_store *st, const char *sql, long long id,
			const char *text, sqlite3_int64 num, sg_buf *err)
{
	sqlite3_stmt *s = st_prepare(st, st->db, sql, err);
	st_rc rc = ST_OK;

	if (s == NULL)
		return ST_ERROR;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_bind_parameter_count(s) >= 2)
		st_bind_text(s, 2, text);
	if (sqlite3_bind_parameter_count(s) >= 3)
		sqlite3_bind_int64(s, 3, num);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = st_sqlerr(st, st->db, "update notice", err);
	sqlite3_finalize(s);
	return rc;
}

static st_rc st_notice_audit(st_store *st, const struct st_row *r,
			     const char *event, const char *actor,
			     const char *error, sg_buf *err)
{
	sg_buf d;
	st_rc rc;

	sg_buf_init(&d, 16384);
	st_notice_detail(&d, r->kind, r->rcpt, r->message_id, error);
	rc = st_audit_append_tx(st, event, r->hold_id, r->queue_id, actor, NULL,
				sg_buf_cstr(&d), err);
	sg_buf_free(&d);
	return rc;
}

static st_rc st_sent_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_mark *m = arg;
	struct st_row r;
	st_rc rc = st_row_read(st, m->id, &r, err);

	if (rc == ST_OK && r.state != ST_NOTICE_SENT) {
		rc = st_exec_id(st, "UPDATE outbox SET state = 'sent', head = '',"
				" body = '', lease_owner = NULL, lease_until = 0,"
				" sent_t = ?3, last_error = ?2 WHERE id = ?1",
				m->id, NULL, (sqlite3_int64)time(NULL), err);
		if (rc == ST_OK)
			rc = st_notice_audit(st, &r, "notice", m->actor, NULL, err);
	}
	st_row_free(&r);
	return rc;
}

st_rc st_sql_outbox_sent(st_store *st, long long id, const char *actor, sg_buf *err)
{
	struct st_mark m = { id, NULL, actor ? actor : "notifier", NULL, 0 };

	return st_tx(st, st_sent_step, &m, err);
}

static st_rc st_retry_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_mark *m = arg;
	sqlite3_stmt *s = st_prepare(st, st->db, "UPDATE outbox SET attempts ="
				     " attempts + 1, next_t = ?2, last_error = ?3,"
				     " lease_owner = NULL, lease_until = 0"
				     " WHERE id = ?1 AND state = 'ready' AND"
				     " lease_owner = ?4", err);
	st_rc rc = ST_OK;

	if (s == NULL)
		return ST_ERROR;
	sqlite3_bind_int64(s, 1, m->id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)m->next_t);
	st_bind_text(s, 3, m->error);
	st_bind_text(s, 4, m->owner);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = st_sqlerr(st, st->db, "reschedule notice", err);
	sqlite3_finalize(s);
	return rc;
}

st_rc st_sql_outbox_retry(st_store *st, long long id, const char *owner,
		      time_t next_t, const char *error, sg_buf *err)
{
	struct st_mark m = { id, owner ? owner : "", NULL, error, next_t };

	return st_tx(st, st_retry_step, &m, err);
}

static st_rc st_fail_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_mark *m = arg;
	struct st_row r;
	st_rc rc = st_row_read(st, m->id, &r, err);

	if (rc == ST_OK && (r.state == ST_NOTICE_READY || r.state == ST_NOTICE_WAITING)) {
		rc = st_exec_id(st, "UPDATE outbox SET state = 'failed',"
				" lease_owner = NULL, lease_until = 0,"
				" last_error = ?2 WHERE id = ?1", m->id, m->error, 0, err);
		if (rc == ST_OK)
			rc = st_notice_audit(st, &r, "notice-failed", m->actor,
					     m->error, err);
	}
	st_row_free(&r);
	return rc;
}

st_rc st_sql_outbox_fail(st_store *st, long long id, const char *actor,
		     const char *error, sg_buf *err)
{
	struct st_mark m = { id, NULL, actor ? actor : "notifier",
			     error ? error : "given up", 0 };

	return st_tx(st, st_fail_step, &m, err);
}

/* ------------------------------------------------------------ list */

st_rc st_sql_outbox_list(st_store *st, bool all, st_notice_cb cb, void *ctx,
		     sg_buf *err)
{
	sqlite3 *db = st_open_reader(st, err);
	sqlite3_stmt *s;
	st_rc rc = ST_OK;
	int step;

	if (db == NULL)
		return ST_ERROR;
	s = st_prepare(st, db, "SELECT " ST_NOTICE_COLS " FROM outbox WHERE ?1"
		       " OR state IN ('waiting','ready','failed') ORDER BY id", err);
	if (s == NULL) {
		st_close_reader(db);
		return ST_ERROR;
	}
	sqlite3_bind_int(s, 1, all ? 1 : 0);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		st_notice *n = st_notice_from_row(s);
		int stop = cb(n, ctx);

		st_notice_free(n);
		if (stop)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = st_sqlerr(st, db, "list notices", err);
	sqlite3_finalize(s);
	st_close_reader(db);
	return rc;
}

time_t st_sql_outbox_next_due(st_store *st)
{
	sqlite3_stmt *s;
	time_t t = 0;

	pthread_mutex_lock(&st->mu);
	/* A leased row counts: its drainer may be dead, and only a
	 * drain pass frees such leases (rel_outbox.c). */
	s = st_prepare(st, st->db, "SELECT MIN(MAX(next_t, 1)) FROM outbox WHERE"
		       " state = 'ready'", NULL);	/* next_t 0: due now, not "none" */
	if (s && sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_type(s, 0) != SQLITE_NULL)
		t = (time_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	pthread_mutex_unlock(&st->mu);
	return t;
}

st_rc st_sql_outbox_lessees(st_store *st, st_owner_cb cb, void *ctx, sg_buf *err)
{
	sqlite3 *db = st_open_reader(st, err);
	sqlite3_stmt *s;
	st_rc rc = ST_OK;
	int step;

	if (db == NULL)
		return ST_ERROR;
	s = st_prepare(st, db, "SELECT DISTINCT lease_owner FROM outbox WHERE"
		       " state = 'ready' AND lease_owner IS NOT NULL LIMIT 1000", err);
	if (s == NULL) {
		st_close_reader(db);
		return ST_ERROR;
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW)
		if (cb((const char *)sqlite3_column_text(s, 0), ctx))
			break;
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = st_sqlerr(st, db, "list leases", err);
	sqlite3_finalize(s);
	st_close_reader(db);
	return rc;
}

struct st_unlease {
	const char *owner;
	long n;
};

static st_rc st_unlease_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_unlease *u = arg;
	sqlite3_stmt *s = st_prepare(st, st->db, "UPDATE outbox SET lease_owner ="
				     " NULL, lease_until = 0 WHERE lease_owner = ?", err);
	st_rc rc = ST_OK;

	if (s == NULL)
		return ST_ERROR;
	st_bind_text(s, 1, u->owner);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = st_sqlerr(st, st->db, "end leases", err);
	else
		u->n = sqlite3_changes(st->db);
	sqlite3_finalize(s);
	return rc;
}

long st_sql_outbox_unlease(st_store *st, const char *owner, sg_buf *err)
{
	struct st_unlease u = { owner ? owner : "", 0 };

	return st_tx(st, st_unlease_step, &u, err) == ST_OK ? u.n : -1;
}
