/*
 * NAME
 *	st_hold - hold records: create, read, list, decide, apply, remind
 * SYNOPSIS
 *	#include "store/st.h"
 * DESCRIPTION
 *	A hold is the decision state of one message that sits in the MTA's
 *	hold queue: who sent it to whom, what the engine found (masked),
 *	the attachment inventory, who may approve it, and what became of
 *	it. Every change of a hold and its audit record are written in one
 *	transaction, so the log can never miss a change nor record one
 *	that did not happen.
 *
 *	State machine: pending -> approved | rejected | withdrawn |
 *	expired, once (st_hold_decide refuses a second decision even when
 *	two approvers race: the UPDATE is conditional on pending inside
 *	the writer's lock). applied goes 0 -> 1 once the release step has
 *	carried the decision out on the queue. Who may decide is policy
 *	and lives above the store (issue 7: four eyes, assignment).
 *
 *	The JSON arrays (recipients, categories, approvers), the audit
 *	details and the refusals come from st_hold_com.c, which the
 *	PostgreSQL backend (st_pg_hold.c) shares: util's JSON writer and
 *	reader, so both backends write and read back the same bytes.
 * DIAGNOSTICS
 *	See st.h: ST_NOTFOUND, ST_CONFLICT (with who decided what, when),
 *	ST_INVALID, ST_BUSY, ST_ERROR; err names the store and the hold.
 */
#include "store/st_hold_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sg_json.h"
#include "util/sg_mem.h"

/* Columns in the order st_hold_from_row() reads them. */
#define ST_HOLD_COLS "id, queue_id, sender, auth_login, from_addr," \
	" client_addr, subject, verdict, size, recipients, categories," \
	" findings, attachments, approvers, status, applied, created," \
	" created_t, expires, expires_t, decided_by, decided_at," \
	" decision_comment, new_queue_id, reminded_at, kind, release_t," \
	" required, escalated_at, (SELECT count(*) FROM approvals a" \
	" WHERE a.hold_id = holds.id AND a.verdict = 'approve')," \
	" (SELECT json_group_array(json(j)) FROM (SELECT json_object(" \
	"'verdict', verdict, 'approver', principal, 'by', recorded_as," \
	" 'checked', json(checked), 'comment', comment, 'at', at) AS j" \
	" FROM approvals a WHERE a.hold_id = holds.id ORDER BY seq))," \
	" names, gateway, orphaned_at"

/* ---- create ---- */

static void st_bind_create(sqlite3_stmt *s, const struct st_create *c)
{
	const st_hold_new *in = c->in;

	st_bind_text(s, 1, c->id);
	st_bind_text(s, 2, in->queue_id);
	st_bind_text(s, 3, c->sender);
	st_bind_text(s, 4, in->auth_login);
	st_bind_text(s, 5, in->from_addr);
	st_bind_text(s, 6, in->client_addr);
	st_bind_text(s, 7, sg_buf_cstr(&c->rcpts));
	st_bind_text(s, 8, in->subject);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)in->size);
	st_bind_text(s, 10, sg_buf_cstr(&c->cats));
	st_bind_text(s, 11, in->verdict);
	st_bind_text(s, 12, in->findings_json ? in->findings_json : "[]");
	st_bind_text(s, 13, in->attachments_json ? in->attachments_json : "[]");
	st_bind_text(s, 14, sg_buf_cstr(&c->apps));
	st_bind_text(s, 15, c->created);
	sqlite3_bind_int64(s, 16, (sqlite3_int64)c->created_t);
	st_bind_text(s, 17, in->expires ? c->expires : NULL);
	sqlite3_bind_int64(s, 18, (sqlite3_int64)in->expires);
	st_bind_text(s, 19, in->arriving ? "arriving" : "pending");
	st_bind_text(s, 20, in->delay ? "delay" : "approval");
	sqlite3_bind_int64(s, 21, (sqlite3_int64)(in->delay ? in->release_t : 0));
	sqlite3_bind_int(s, 22, in->required ? (int)in->required : 1);
	st_bind_text(s, 23, in->names_json && *in->names_json ? in->names_json : "[]");
	st_bind_text(s, 24, c->gateway);
}

static st_rc st_create_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_create *c = arg;
	sqlite3_stmt *s = st_prepare(st, st->db, "INSERT INTO holds (id,"
		" queue_id, sender, auth_login, from_addr, client_addr,"
		" recipients, subject, size, categories, verdict, findings,"
		" attachments, approvers, created, created_t, expires,"
		" expires_t, status, kind, release_t, required, names, gateway)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,json(?),?)",
		err);
	st_rc rc = ST_OK;

	if (s == NULL)
		return ST_ERROR;
	st_bind_create(s, c);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = st_sqlerr(st, st->db, "insert hold", err);
	sqlite3_finalize(s);
	if (rc == ST_OK)
		rc = st_audit_append_tx(st, "hold", c->id, c->in->queue_id,
					c->in->actor ? c->in->actor : "milter",
					c->in->unix_user,
					sg_buf_cstr(&c->detail), err);
	if (rc == ST_OK)
		rc = st_outbox_insert_tx(st, c->id, c->in->queue_id, c->in->notices,
					 c->in->nnotices, c->in->arriving, err);
	if (rc == ST_OK && c->in->preview != NULL)
		rc = st_preview_insert_tx(st, c->id, c->in->preview, c->created_t,
					  c->in->expires, err);
	return rc;
}

st_rc st_sql_hold_create(st_store *st, const st_hold_new *in,
		     char id_out[ST_ID_SIZE], sg_buf *err)
{
	struct st_create c;
	st_rc rc = st_create_prepare(st, in, &c, err);

	if (rc != ST_OK)
		return rc;
	rc = st_tx(st, st_create_step, &c, err);
	if (rc == ST_OK)
		memcpy(id_out, c.id, sizeof(c.id));
	st_create_done(&c);
	return rc;
}

/* ---- read ---- */

static void st_hold_strings(st_hold *h, sqlite3_stmt *s)
{
	const unsigned char *id = sqlite3_column_text(s, 0);

	snprintf(h->id, sizeof(h->id), "%s", id ? (const char *)id : "");
	h->queue_id = st_col_dup(s, 1);
	h->sender = st_col_dup(s, 2);
	h->auth_login = st_col_dup(s, 3);
	h->from_addr = st_col_dup(s, 4);
	h->client_addr = st_col_dup(s, 5);
	h->subject = st_col_dup(s, 6);
	h->verdict = st_col_dup(s, 7);
	h->recipients_json = st_col_dup(s, 9);
	h->categories_json = st_col_dup(s, 10);
	h->findings_json = st_col_dup(s, 11);
	h->attachments_json = st_col_dup(s, 12);
	h->approvers_json = st_col_dup(s, 13);
	h->created = st_col_dup(s, 16);
	h->expires = st_col_dup(s, 18);
	h->decided_by = st_col_dup(s, 20);
	h->decided_at = st_col_dup(s, 21);
	h->decision_comment = st_col_dup(s, 22);
	h->new_queue_id = st_col_dup(s, 23);
	h->reminded_at = st_col_dup(s, 24);
	h->escalated_at = st_col_dup(s, 28);
	h->approvals_json = st_col_dup(s, 30);
	h->names_json = st_col_dup(s, 31);
	h->gateway = st_col_dup(s, 32);
	h->orphaned_at = st_col_dup(s, 33);
}

static st_hold *st_hold_from_row(sqlite3_stmt *s)
{
	st_hold *h = sg_xcalloc(1, sizeof(*h));

	st_hold_strings(h, s);
	h->size = (unsigned long long)sqlite3_column_int64(s, 8);
	if (st_status_parse((const char *)sqlite3_column_text(s, 14), &h->status) < 0)
		h->status = ST_PENDING;	/* unreachable: CHECK constraint */
	h->applied = sqlite3_column_int(s, 15) != 0;
	h->created_t = (time_t)sqlite3_column_int64(s, 17);
	h->expires_t = (time_t)sqlite3_column_int64(s, 19);
	h->delay = sqlite3_column_text(s, 25) &&
		   strcmp((const char *)sqlite3_column_text(s, 25), "delay") == 0;
	h->release_t = (time_t)sqlite3_column_int64(s, 26);
	h->required = (unsigned)sqlite3_column_int(s, 27);
	h->napproved = (unsigned)sqlite3_column_int(s, 29);
	st_hold_parse(h);
	return h;
}

static st_rc st_hold_query(st_store *st, const char *where, const char *key,
			   const char *what, st_hold **out, sg_buf *err)
{
	char sql[1024];
	sqlite3_stmt *s;
	st_rc rc = ST_OK;
	int step;

	*out = NULL;
	snprintf(sql, sizeof(sql), "SELECT " ST_HOLD_COLS " FROM holds WHERE %s",
		 where);
	pthread_mutex_lock(&st->mu);
	if ((rc = st_check(st, st->db, err)) != ST_OK) {
		pthread_mutex_unlock(&st->mu);
		return rc;
	}
	if ((s = st_prepare(st, st->db, sql, err)) == NULL) {
		pthread_mutex_unlock(&st->mu);
		return ST_ERROR;
	}
	st_bind_text(s, 1, key);
	if ((step = sqlite3_step(s)) == SQLITE_ROW)
		*out = st_hold_from_row(s);
	else if (step == SQLITE_DONE) {
		st_seterr(err, "store %s: no hold with %s %s", st->path, what, key);
		rc = ST_NOTFOUND;
	} else
		rc = st_sqlerr(st, st->db, "read hold", err);
	sqlite3_finalize(s);
	pthread_mutex_unlock(&st->mu);
	return rc;
}

st_rc st_sql_hold_get(st_store *st, const char *id, st_hold **out, sg_buf *err)
{
	return st_hold_query(st, "id = ?", id ? id : "", "id", out, err);
}

st_rc st_sql_hold_find_queue_id(st_store *st, const char *queue_id,
			    st_hold **out, sg_buf *err)
{
	return st_hold_query(st, "queue_id = ? ORDER BY created_t DESC,"
			     " rowid DESC LIMIT 1", queue_id ? queue_id : "",
			     "queue id", out, err);
}

static void st_free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void st_hold_free(st_hold *h)
{
	if (h == NULL)
		return;
	char *strs[] = {
		h->queue_id, h->sender, h->auth_login, h->from_addr,
		h->client_addr, h->subject, h->verdict, h->recipients_json,
		h->categories_json, h->findings_json, h->attachments_json,
		h->approvers_json, h->created, h->expires, h->decided_by,
		h->decided_at, h->decision_comment, h->new_queue_id,
		h->reminded_at, h->escalated_at, h->approvals_json, h->names_json,
		h->gateway, h->orphaned_at
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(strs[i]);
	for (size_t i = 0; i < h->nrcpts; i++)
		free((void *)h->rcpts[i].addr);
	free(h->rcpts);
	st_free_strings(h->categories, h->ncategories);
	st_free_strings(h->approvers, h->napprovers);
	free(h);
}

static st_rc st_hold_each(st_store *st, sqlite3 *db, sqlite3_stmt *s,
			  st_hold_cb cb, void *ctx, sg_buf *err)
{
	int step;

	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		st_hold *h = st_hold_from_row(s);
		int stop = cb(h, ctx);

		st_hold_free(h);
		if (stop)
			return ST_OK;
	}
	return step == SQLITE_DONE ? ST_OK : st_sqlerr(st, db, "list holds", err);
}

st_rc st_sql_hold_list(st_store *st, const st_status *status, st_hold_cb cb,
		   void *ctx, sg_buf *err)
{
	sqlite3 *db = st_open_reader(st, err);
	sqlite3_stmt *s;
	st_rc rc;

	if (db == NULL)
		return ST_ERROR;
	s = st_prepare(st, db, "SELECT " ST_HOLD_COLS " FROM holds WHERE"
		       " ?1 IS NULL OR status = ?1 ORDER BY created_t, rowid", err);
	if (s == NULL) {
		st_close_reader(db);
		return ST_ERROR;
	}
	st_bind_text(s, 1, status ? st_status_name(*status) : NULL);
	rc = st_hold_each(st, db, s, cb, ctx, err);
	sqlite3_finalize(s);
	st_close_reader(db);
	return rc;
}

/* ---- state changes ---- */

static st_rc st_state_read(st_store *st, const char *id, struct st_state *out,
			   sg_buf *err)
{
	sqlite3_stmt *s = st_prepare(st, st->db, "SELECT status, applied,"
				     " queue_id, decided_by, decided_at,"
				     " reminded_at, orphaned_at IS NOT NULL FROM holds"
				     " WHERE id = ?", err);
	st_rc rc = ST_OK;
	int step;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return ST_ERROR;
	st_bind_text(s, 1, id);
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		st_status_parse((const char *)sqlite3_column_text(s, 0), &out->status);
		out->applied = sqlite3_column_int(s, 1) != 0;
		out->queue_id = st_col_dup(s, 2);
		out->decided_by = st_col_dup(s, 3);
		out->decided_at = st_col_dup(s, 4);
		out->reminded_at = st_col_dup(s, 5);
		out->orphaned = sqlite3_column_int(s, 6) != 0;
	} else if (step == SQLITE_DONE) {
		st_seterr(err, "store %s: no hold with id %s", st->path, id);
		rc = ST_NOTFOUND;
	} else
		rc = st_sqlerr(st, st->db, "read hold", err);
	sqlite3_finalize(s);
	return rc;
}

/* Runs an UPDATE whose parameters are all text (NULL allowed). */
static st_rc st_update(st_store *st, const char *sql, const char *const *v,
		       size_t n, sg_buf *err)
{
	sqlite3_stmt *s = st_prepare(st, st->db, sql, err);
	st_rc rc = ST_OK;

	if (s == NULL)
		return ST_ERROR;
	for (size_t i = 0; i < n; i++)
		st_bind_text(s, (int)i + 1, v[i]);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = st_sqlerr(st, st->db, "update hold", err);
	sqlite3_finalize(s);
	return rc;
}

struct st_decide {
	const char *id, *by, *comment, *unix_user;
	st_status status;
};

static st_rc st_decide_apply(st_store *st, const struct st_decide *d,
			     const char *queue_id, sg_buf *err)
{
	char now[ST_TIME_SIZE], t[32];
	const char *v[6];
	sg_buf detail;
	st_rc rc;

	st_now_iso(now);
	snprintf(t, sizeof(t), "%lld", (long long)time(NULL));
	v[0] = st_status_name(d->status), v[1] = d->by, v[2] = now;
	v[3] = t, v[4] = d->comment, v[5] = d->id;
	/* An approval of a hold that needs several is st_hold_vote's
	 * (st_vote.c): a single decision here would skip the others. */
	rc = st_update(st, "UPDATE holds SET status = ?1, decided_by = ?2,"
		       " decided_at = ?3, decided_t = CAST(?4 AS INTEGER),"
		       " decision_comment = ?5 WHERE id = ?6"
		       " AND status = 'pending' AND (?1 <> 'approved'"
		       " OR required <= 1)", v, 6, err);
	if (rc != ST_OK)
		return rc;
	if (sqlite3_changes(st->db) != 1)
		return st_decide_several(st, d->id, err);
	sg_buf_init(&detail, ST_JSON_MAX);
	st_decide_detail(&detail, d->status, d->comment);
	rc = st_audit_append_tx(st, st_event_of(d->status), d->id, queue_id,
				d->by, d->unix_user, sg_buf_cstr(&detail), err);
	sg_buf_free(&detail);
	return rc;
}

static st_rc st_decide_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_decide *d = arg;
	struct st_state cur;
	st_rc rc = st_state_read(st, d->id, &cur, err);

	if (rc == ST_OK)
		rc = st_decide_refuse(st, d->id, &cur, err);
	if (rc == ST_OK)
		rc = st_decide_apply(st, d, cur.queue_id, err);
	st_state_free(&cur);
	return rc;
}

st_rc st_sql_hold_decide(st_store *st, const char *id, st_status new_status,
		     const char *by, const char *comment,
		     const char *unix_user, sg_buf *err)
{
	struct st_decide d = { id, by, comment, unix_user, new_status };
	st_rc rc = st_decide_args(st, id, new_status, by, err);

	if (rc != ST_OK)
		return rc;
	return st_tx(st, st_decide_step, &d, err);
}

struct st_applied {
	const char *id, *new_queue_id, *actor, *unix_user;
};

static st_rc st_applied_write(st_store *st, const struct st_applied *a,
			      const struct st_state *cur, sg_buf *err)
{
	const char *v[2] = { a->new_queue_id, a->id };
	sg_buf detail;
	st_rc rc;

	rc = st_update(st, "UPDATE holds SET applied = 1, new_queue_id ="
		       " COALESCE(?1, new_queue_id) WHERE id = ?2", v, 2, err);
	if (rc != ST_OK)
		return rc;
	sg_buf_init(&detail, ST_JSON_MAX);
	st_applied_detail(&detail, cur->status, a->new_queue_id);
	rc = st_audit_append_tx(st, "apply", a->id, cur->queue_id,
				a->actor ? a->actor : "apply", a->unix_user,
				sg_buf_cstr(&detail), err);
	sg_buf_free(&detail);
	return rc;
}

static st_rc st_applied_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_applied *a = arg;
	struct st_state cur;
	st_rc rc = st_state_read(st, a->id, &cur, err);

	if (rc == ST_OK)
		rc = st_applied_refuse(st, a->id, &cur, err);
	if (rc == ST_OK && !cur.applied)
		rc = st_applied_write(st, a, &cur, err);
	st_state_free(&cur);
	return rc;
}

st_rc st_sql_hold_set_applied(st_store *st, const char *id,
			  const char *new_queue_id, const char *actor,
			  const char *unix_user, sg_buf *err)
{
	struct st_applied a = { id ? id : "", new_queue_id, actor, unix_user };

	return st_tx(st, st_applied_step, &a, err);
}

static st_rc st_reminded_step(st_store *st, void *arg, sg_buf *err)
{
	const char *id = arg;
	struct st_state cur;
	char now[ST_TIME_SIZE];
	const char *v[2] = { now, id };
	st_rc rc = st_state_read(st, id, &cur, err);

	if (rc == ST_OK)
		rc = st_reminded_refuse(st, id, &cur, err);
	st_now_iso(now);
	if (rc == ST_OK)
		rc = st_update(st, "UPDATE holds SET reminded_at = ?1"
			       " WHERE id = ?2", v, 2, err);
	if (rc == ST_OK)
		rc = st_audit_append_tx(st, "remind", id, cur.queue_id, "expire",
					NULL, "{}", err);
	st_state_free(&cur);
	return rc;
}

st_rc st_sql_hold_mark_reminded(st_store *st, const char *id, sg_buf *err)
{
	return st_tx(st, st_reminded_step, (void *)(id ? id : ""), err);
}

/* ---- arrival (issue 15) ---- */

struct st_arrival_chg {
	const char *id, *actor, *detail;
	bool confirmed;
};

static st_rc st_arrival_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_arrival_chg *a = arg;
	struct st_state cur;
	const char *v[2] = { a->confirmed ? "pending" : "never-arrived", a->id };
	const char *nv[2] = { a->confirmed ? "ready" : "cancelled", a->id };
	st_rc rc = st_state_read(st, a->id, &cur, err);
	bool late = false;

	if (rc == ST_OK)
		rc = st_arrival_refuse(st, a->id, a->confirmed, &cur, &late, err);
	if (rc == ST_OK)
		rc = st_update(st, "UPDATE holds SET status = ?1 WHERE id = ?2"
			       " AND status IN ('arriving', 'never-arrived')", v, 2, err);
	/* Cancelled rows are those of a never-arrived hold, or of an
	 * orphaned one, which nothing confirms (the triggers refuse it). */
	if (rc == ST_OK)
		rc = st_update(st, late ? "UPDATE outbox SET state = ?1, next_t = 0"
			       " WHERE hold_id = ?2 AND state = 'cancelled'"
			       : "UPDATE outbox SET state = ?1, next_t = 0"
			       " WHERE hold_id = ?2 AND state = 'waiting'", nv, 2, err);
	if (rc == ST_OK)
		rc = st_audit_append_tx(st, a->confirmed ? "confirm" : "never-arrived",
					a->id, cur.queue_id, a->actor, NULL,
					a->detail ? a->detail : "{}", err);
	st_state_free(&cur);
	return rc;
}

st_rc st_sql_hold_confirm(st_store *st, const char *id, const char *actor,
		      const char *detail_json, sg_buf *err)
{
	struct st_arrival_chg a = { id ? id : "", actor ? actor : "apply", detail_json, true };

	return st_tx(st, st_arrival_step, &a, err);
}

st_rc st_sql_hold_never_arrived(st_store *st, const char *id, const char *actor,
			    const char *detail_json, sg_buf *err)
{
	struct st_arrival_chg a = { id ? id : "", actor ? actor : "apply", detail_json, false };

	return st_tx(st, st_arrival_step, &a, err);
}

/* ---- waiting for queue files (issue 15) ---- */

time_t st_sql_hold_oldest_arriving(st_store *st)
{
	sqlite3_stmt *s;
	time_t t = 0;

	pthread_mutex_lock(&st->mu);
	s = st_prepare(st, st->db, "SELECT MIN(MAX(created_t, 1)) FROM holds"
		       " WHERE status = 'arriving' AND gateway = ?1"
		       " AND orphaned_at IS NULL", NULL);	/* created_t 0 still counts */
	if (s)
		st_bind_text(s, 1, st->gateway);
	if (s && sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_type(s, 0) != SQLITE_NULL)
		t = (time_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	pthread_mutex_unlock(&st->mu);
	return t;
}

st_rc st_sql_hold_arrivals(st_store *st, time_t closed_since, size_t max,
		       st_arrival **out, size_t *nout, sg_buf *err)
{
	sqlite3 *db = st_open_reader(st, err);
	sqlite3_stmt *s;
	st_arrival *v = NULL;
	size_t n = 0;
	int step;
	st_rc rc = ST_OK;

	*out = NULL;
	*nout = 0;
	if (db == NULL)
		return ST_ERROR;
	s = st_prepare(st, db, "SELECT id, queue_id, created_t, status FROM holds"
		       " WHERE (status = 'arriving' OR (?1 > 0 AND status ="
		       " 'never-arrived' AND created_t >= ?1)) AND gateway = ?3"
		       " AND orphaned_at IS NULL"
		       " ORDER BY created_t, rowid LIMIT ?2", err);
	if (s == NULL) {
		st_close_reader(db);
		return ST_ERROR;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)closed_since);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	st_bind_text(s, 3, st->gateway);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		const char *qid = (const char *)sqlite3_column_text(s, 1);
		const char *status = (const char *)sqlite3_column_text(s, 3);

		v = sg_xreallocarray(v, n + 1, sizeof(*v));
		memset(&v[n], 0, sizeof(v[n]));
		snprintf(v[n].id, sizeof(v[n].id), "%s", id ? id : "");
		snprintf(v[n].queue_id, sizeof(v[n].queue_id), "%s", qid ? qid : "");
		v[n].created_t = (time_t)sqlite3_column_int64(s, 2);
		v[n].closed = status && strcmp(status, "never-arrived") == 0;
		n++;
	}
	if (step != SQLITE_DONE) {
		rc = st_sqlerr(st, db, "list arriving holds", err);
		free(v);
		v = NULL;
		n = 0;
	}
	sqlite3_finalize(s);
	st_close_reader(db);
	*out = v;
	*nout = n;
	return rc;
}

/* ---- delayed send (issue 19) ---- */

struct st_release {
	const char *id, *by, *unix_user;
	st_release_why why;
	time_t now;
};

/* Why a release changed nothing, in words for err. */
static void st_release_why_not(st_store *st, const struct st_release *r,
			       sg_buf *err)
{
	sqlite3_stmt *s = st_prepare(st, st->db, "SELECT kind, status, release_t,"
				     " decided_by FROM holds WHERE id = ?", NULL);
	const char *kind = NULL, *status = NULL, *by = NULL;

	if (s != NULL) {
		st_bind_text(s, 1, r->id);
		if (sqlite3_step(s) == SQLITE_ROW) {
			kind = (const char *)sqlite3_column_text(s, 0);
			status = (const char *)sqlite3_column_text(s, 1);
			by = (const char *)sqlite3_column_text(s, 3);
		}
	}
	st_release_conflict(st, r->id, kind, status, by, err);
	sqlite3_finalize(s);
}

static st_rc st_release_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_release *r = arg;
	char now[ST_TIME_SIZE], detail[128];
	sqlite3_stmt *s;
	sqlite3_int64 release_t = 0;
	char *qid = NULL;
	st_rc rc = ST_OK;

	/* The one conditional UPDATE: whoever comes second changes
	 * nothing (sqlite3_changes 0) and is told ST_CONFLICT. */
	s = st_prepare(st, st->db, "UPDATE holds SET status = 'approved',"
		       " decided_by = ?1, decided_at = ?2, decided_t = ?3,"
		       " decision_comment = NULL WHERE id = ?4 AND kind = 'delay'"
		       " AND status = 'pending' AND (?5 = 0 OR release_t <= ?3)"
		       " RETURNING queue_id, release_t", err);
	if (s == NULL)
		return ST_ERROR;
	st_now_iso(now);
	st_bind_text(s, 1, r->by);
	st_bind_text(s, 2, now);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)r->now);
	st_bind_text(s, 4, r->id);
	sqlite3_bind_int(s, 5, r->why == ST_RELEASE_DUE);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		qid = st_col_dup(s, 0);
		release_t = sqlite3_column_int64(s, 1);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = st_sqlerr(st, st->db, "release hold", err);
		break;
	case SQLITE_DONE:
		rc = ST_NOTFOUND;
		break;
	default:
		rc = st_sqlerr(st, st->db, "release hold", err);
		break;
	}
	sqlite3_finalize(s);
	if (rc == ST_NOTFOUND) {
		struct st_state cur;

		/* Nothing changed: no such hold, or its state forbids it. */
		rc = st_state_read(st, r->id, &cur, err);
		st_state_free(&cur);
		if (rc == ST_OK) {
			st_release_why_not(st, r, err);
			rc = ST_CONFLICT;
		}
		return rc;
	}
	if (rc == ST_OK) {
		st_release_detail(detail, sizeof(detail), r->why, r->now,
				  (long long)release_t);
		rc = st_audit_append_tx(st, r->why == ST_RELEASE_DUE ? "delay-end"
					: "release", r->id, qid, r->by, r->unix_user,
					detail, err);
	}
	free(qid);
	return rc;
}

st_rc st_sql_hold_release(st_store *st, const char *id, st_release_why why,
		      const char *by, const char *unix_user, time_t now,
		      sg_buf *err)
{
	struct st_release r = { id, by, unix_user, why, now ? now : time(NULL) };
	st_rc rc = st_release_args(st, id, by, err);

	if (rc != ST_OK)
		return rc;
	return st_tx(st, st_release_step, &r, err);
}

st_rc st_sql_hold_due(st_store *st, time_t now, size_t max,
		  char (**out)[ST_ID_SIZE], size_t *nout, sg_buf *err)
{
	sqlite3 *db = st_open_reader(st, err);
	sqlite3_stmt *s;
	char (*v)[ST_ID_SIZE] = NULL;
	size_t n = 0;
	int step;
	st_rc rc = ST_OK;

	*out = NULL;
	*nout = 0;
	if (db == NULL)
		return ST_ERROR;
	s = st_prepare(st, db, "SELECT id FROM holds WHERE kind = 'delay' AND"
		       " status = 'pending' AND release_t <= ?1 AND gateway = ?3"
		       " AND orphaned_at IS NULL"
		       " ORDER BY release_t, rowid LIMIT ?2", err);
	if (s == NULL) {
		st_close_reader(db);
		return ST_ERROR;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	st_bind_text(s, 3, st->gateway);
	/* Bounded by LIMIT max. */
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(s, 0);

		v = sg_xreallocarray(v, n + 1, sizeof(*v));
		snprintf(v[n++], ST_ID_SIZE, "%s", id ? (const char *)id : "");
	}
	if (step != SQLITE_DONE) {
		rc = st_sqlerr(st, db, "list due delays", err);
		free(v);
		v = NULL;
		n = 0;
	}
	sqlite3_finalize(s);
	st_close_reader(db);
	*out = v;
	*nout = n;
	return rc;
}

bool st_sql_hold_work(st_store *st, time_t now)
{
	sqlite3_stmt *s;
	bool work = false;

	pthread_mutex_lock(&st->mu);
	s = st_prepare(st, st->db, "SELECT EXISTS (SELECT 1 FROM holds WHERE"
		       " ((applied = 0 AND status IN ('approved','rejected',"
		       "'withdrawn','expired')) OR (kind = 'delay' AND status ="
		       " 'pending' AND release_t <= ?1)) AND gateway = ?2"
		       " AND orphaned_at IS NULL)", NULL);
	if (s) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
		st_bind_text(s, 2, st->gateway);
		if (sqlite3_step(s) == SQLITE_ROW)
			work = sqlite3_column_int(s, 0) != 0;
	}
	sqlite3_finalize(s);
	pthread_mutex_unlock(&st->mu);
	return work;
}

long long st_sql_data_version(st_store *st)
{
	sqlite3_stmt *s;
	long long v = -1;

	pthread_mutex_lock(&st->mu);
	s = st_prepare(st, st->db, "PRAGMA data_version", NULL);
	if (s && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	pthread_mutex_unlock(&st->mu);
	return v;
}
