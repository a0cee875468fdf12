/*
 * NAME
 *	st_pg_todo - the functions the PostgreSQL store does not have yet
 * DESCRIPTION
 *	Only st_data_version is left: it answers "no version" (-1) always,
 *	so `apply --daemon` sees another process's decision through
 *	st_hold_work at its retry interval, not at the next tick (issue 20
 *	item 1, remainder). Holds and previews are in st_pg_hold.c, votes,
 *	delegations and escalation in st_pg_vote.c, the outbox in
 *	st_pg_outbox.c, the purge in st_pg_purge.c.
 */
#include "store/st_int.h"
#include "store/st_pg_int.h"

long long st_pg_data_version(st_store *st)
{
	(void)st;
	return -1;
}

#define ST_OP_INIT_PG(ret, name, params, args) .name = st_pg_##name,
const st_ops st_pg_ops = {
	.name = "postgresql",
	.complete = false,		/* until this file is empty */
	.close = st_pg_close,
	ST_BACKEND_OPS(ST_OP_INIT_PG)
};
#undef ST_OP_INIT_PG
