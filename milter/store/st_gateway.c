/*
 * NAME
 *	st_gateway - retiring a gateway on the SQLite store (issue 20)
 * SYNOPSIS
 *	#include "store/st.h"
 *
 *	st_rc st_gateway_retire(st_store *st, const st_retire *r,
 *				size_t *count, sg_buf *err);
 * DESCRIPTION
 *	One transaction: every undecided hold (pending or arriving) of the
 *	gateway gets orphaned_at (the schema-7 triggers then refuse any
 *	change of its state), their previews are deleted (nothing is left
 *	to approve), their notices not yet sent are cancelled (an approver
 *	asked to decide what nobody can decide any more, a sender told of
 *	a hold whose mail went with the gateway), the audit record "gateway-retire" is appended and the
 *	administrators' notices are recorded in the outbox. Either all of
 *	it is written or none. The PostgreSQL twin is st_pg_gateway.c.
 */
#include "store/st_hold_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

struct st_retire_tx {
	const st_retire *r;
	size_t count;
};

static st_rc st_retire_update(st_store *st, const char *sql, const char *gw,
			      const char *now, sg_buf *err)
{
	sqlite3_stmt *s = st_prepare(st, st->db, sql, err);
	st_rc rc = ST_OK;

	if (s == NULL)
		return ST_ERROR;
	st_bind_text(s, 1, gw);
	st_bind_text(s, 2, now);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = st_sqlerr(st, st->db, "retire gateway", err);
	sqlite3_finalize(s);
	return rc;
}

static st_rc st_retire_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_retire_tx *t = arg;
	char now[ST_TIME_SIZE];
	sg_buf d;
	st_rc rc;

	st_now_iso(now);
	rc = st_retire_update(st, "UPDATE holds SET orphaned_at = ?2 WHERE"
			      " gateway = ?1 AND orphaned_at IS NULL AND status"
			      " IN ('pending', 'arriving')", t->r->gateway, now, err);
	if (rc != ST_OK)
		return rc;
	t->count = (size_t)sqlite3_changes(st->db);
	rc = st_retire_update(st, "DELETE FROM previews WHERE hold_id IN (SELECT id"
			      " FROM holds WHERE gateway = ?1 AND orphaned_at = ?2)",
			      t->r->gateway, now, err);
	if (rc == ST_OK)
		rc = st_retire_update(st, ST_RETIRE_CANCEL_SQL("?1", "?2"),
				      t->r->gateway, now, err);
	if (rc != ST_OK)
		return rc;
	sg_buf_init(&d, 4096);
	st_retire_detail(&d, t->r->gateway, t->count);
	rc = st_audit_append_tx(st, "gateway-retire", NULL, NULL, t->r->actor,
				t->r->unix_user, sg_buf_cstr(&d), err);
	sg_buf_free(&d);
	if (rc == ST_OK)
		rc = st_outbox_insert_tx(st, NULL, NULL, t->r->notices, t->r->nnotices,
					 false, err);
	return rc;
}

st_rc st_sql_gateway_retire(st_store *st, const st_retire *r, size_t *count,
			    sg_buf *err)
{
	struct st_retire_tx t = { r, 0 };
	st_rc rc = st_retire_args(st, r, err);

	if (rc == ST_OK)
		rc = st_tx(st, st_retire_step, &t, err);
	if (count != NULL)
		*count = rc == ST_OK ? t.count : 0;
	return rc;
}
