/*
 * NAME
 *	st_pg_todo - the PostgreSQL backend's table, and st_data_version
 * DESCRIPTION
 *	Every function of st.h is implemented for PostgreSQL: holds and
 *	previews in st_pg_hold.c, votes, delegations and escalation in
 *	st_pg_vote.c, the outbox in st_pg_outbox.c, the purge in
 *	st_pg_purge.c, the rest in st_pg.c and here. `complete` is true:
 *	the milter and the page run on it end to end (tests/pg/e2e.sh: a
 *	private PostgreSQL and a private Postfix, mail held, approved on
 *	the page, released by apply, delivered once, the chain intact).
 */
#include "store/st_int.h"
#include "store/st_pg_int.h"

#include <stdlib.h>

/* What SQLite's PRAGMA data_version tells a poller, in PostgreSQL's
 * terms: every change the daemon waits for (a hold, a decision, a
 * vote, an arrival) appends an audit record in its own transaction, so
 * the head of the chain moves when anything was recorded. Unlike the
 * PRAGMA it also moves for this handle's own commits: a poller then
 * makes one pass more, which finds nothing to do. -1 on error. */
long long st_pg_data_version(st_store *st)
{
	PGresult *r = NULL;
	long long v = -1;

	if (st_pg_read(st, "SELECT coalesce(max(seq), 0) FROM audit", 0, NULL, &r,
		       "read the audit chain's head", NULL) == ST_OK) {
		if (PQntuples(r) == 1)
			v = atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	return v;
}

#define ST_OP_INIT_PG(ret, name, params, args) .name = st_pg_##name,
const st_ops st_pg_ops = {
	.name = "postgresql",
	.complete = true,		/* see DESCRIPTION */
	.close = st_pg_close,
	ST_BACKEND_OPS(ST_OP_INIT_PG)
};
#undef ST_OP_INIT_PG
