/*
 * NAME
 *	st_pg_gateway - retiring a gateway on the PostgreSQL store (issue 20)
 * DESCRIPTION
 *	As st_gateway.c on SQLite, in one st_pg_tx: the undecided holds of
 *	the gateway orphaned, their previews deleted, their unsent notices
 *	cancelled, the audit record
 *	"gateway-retire" (its detail built by st_retire_detail, the same
 *	bytes as on SQLite) and the administrators' notices.
 */
#include "store/st_hold_int.h"
#include "store/st_pg_int.h"

#include <stdlib.h>

struct st_pg_retire_tx {
	const st_retire *r;
	size_t count;
};

static st_rc st_pg_retire_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_pg_retire_tx *t = arg;
	char now[ST_TIME_SIZE];
	const char *p[2] = { t->r->gateway, now };
	struct st_pg_append a;
	PGresult *r = NULL;
	sg_buf d;
	st_rc rc;

	st_now_iso(now);
	rc = st_pg_exec(st, "UPDATE holds SET orphaned_at = $2 WHERE gateway = $1"
			" AND orphaned_at IS NULL AND status IN ('pending', 'arriving')",
			2, p, &r, "retire gateway", err);
	if (rc != ST_OK)
		return rc;
	t->count = (size_t)st_pg_changes(r);
	PQclear(r);
	rc = st_pg_exec(st, "DELETE FROM previews WHERE hold_id IN (SELECT id FROM"
			" holds WHERE gateway = $1 AND orphaned_at = $2)", 2, p, NULL,
			"retire gateway", err);
	if (rc == ST_OK)
		rc = st_pg_exec(st, ST_RETIRE_CANCEL_SQL("$1", "$2"), 2, p, NULL,
				"retire gateway", err);
	if (rc != ST_OK)
		return rc;
	sg_buf_init(&d, 4096);
	st_retire_detail(&d, t->r->gateway, t->count);
	a = (struct st_pg_append){ "gateway-retire", NULL, NULL, t->r->actor,
				   t->r->unix_user, sg_buf_cstr(&d) };
	rc = st_pg_append_tx(st, &a, err);
	sg_buf_free(&d);
	if (rc == ST_OK)
		rc = st_pg_outbox_insert_tx(st, NULL, NULL, t->r->notices,
					    t->r->nnotices, false, err);
	return rc;
}

st_rc st_pg_gateway_retire(st_store *st, const st_retire *r, size_t *count,
			   sg_buf *err)
{
	struct st_pg_retire_tx t = { r, 0 };
	st_rc rc = st_retire_args(st, r, err);

	if (rc == ST_OK)
		rc = st_pg_tx(st, st_pg_retire_step, &t, err);
	if (count != NULL)
		*count = rc == ST_OK ? t.count : 0;
	return rc;
}
