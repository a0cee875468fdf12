/*
 * NAME
 *	st_pg_todo - the functions the PostgreSQL store does not have yet
 * DESCRIPTION
 *	Each says so (ST_ERROR, "not in the PostgreSQL store yet") instead
 *	of half-working: holds and previews are still SQLite-only (issue 20
 *	item 1, remainder; votes, delegations and escalation are in
 *	st_pg_vote.c, the outbox in st_pg_outbox.c, the purge in
 *	st_pg_purge.c).
 *	Plain reads that cannot report an error answer "nothing": no work,
 *	no version. When a function is implemented in st_pg*.c, its stub
 *	goes from here.
 */
#include "store/st_int.h"
#include "store/st_pg_int.h"

static st_rc st_pg_missing(st_store *st, const char *what, sg_buf *err)
{
	st_seterr(err, "store %s: %s is not in the PostgreSQL store yet"
		  " (backend = sqlite has it)", st->path, what);
	return ST_ERROR;
}

st_rc st_pg_hold_create(st_store *st, const st_hold_new *in, char id_out[ST_ID_SIZE], sg_buf *err)
{
	(void)in;
	(void)id_out;
	return st_pg_missing(st, "st_hold_create", err);
}

st_rc st_pg_hold_get(st_store *st, const char *id, st_hold **out, sg_buf *err)
{
	(void)id;
	(void)out;
	return st_pg_missing(st, "st_hold_get", err);
}

st_rc st_pg_hold_find_queue_id(st_store *st, const char *queue_id, st_hold **out, sg_buf *err)
{
	(void)queue_id;
	(void)out;
	return st_pg_missing(st, "st_hold_find_queue_id", err);
}

st_rc st_pg_hold_list(st_store *st, const st_status *status, st_hold_cb cb, void *ctx, sg_buf *err)
{
	(void)status;
	(void)cb;
	(void)ctx;
	return st_pg_missing(st, "st_hold_list", err);
}

st_rc st_pg_hold_decide(st_store *st, const char *id, st_status new_status, const char *by, const char *comment, const char *unix_user, sg_buf *err)
{
	(void)id;
	(void)new_status;
	(void)by;
	(void)comment;
	(void)unix_user;
	return st_pg_missing(st, "st_hold_decide", err);
}

st_rc st_pg_hold_set_applied(st_store *st, const char *id, const char *new_queue_id, const char *actor, const char *unix_user, sg_buf *err)
{
	(void)id;
	(void)new_queue_id;
	(void)actor;
	(void)unix_user;
	return st_pg_missing(st, "st_hold_set_applied", err);
}

st_rc st_pg_hold_release(st_store *st, const char *id, st_release_why why, const char *by, const char *unix_user, time_t now, sg_buf *err)
{
	(void)id;
	(void)why;
	(void)by;
	(void)unix_user;
	(void)now;
	return st_pg_missing(st, "st_hold_release", err);
}

st_rc st_pg_hold_due(st_store *st, time_t now, size_t max, char (**out)[ST_ID_SIZE], size_t *nout, sg_buf *err)
{
	(void)now;
	(void)max;
	(void)out;
	(void)nout;
	return st_pg_missing(st, "st_hold_due", err);
}

bool st_pg_hold_work(st_store *st, time_t now)
{
	(void)now;
	(void)st;
	return false;
}

long long st_pg_data_version(st_store *st)
{
	(void)st;
	return -1;
}

st_rc st_pg_hold_confirm(st_store *st, const char *id, const char *actor, const char *detail_json, sg_buf *err)
{
	(void)id;
	(void)actor;
	(void)detail_json;
	return st_pg_missing(st, "st_hold_confirm", err);
}

st_rc st_pg_hold_never_arrived(st_store *st, const char *id, const char *actor, const char *detail_json, sg_buf *err)
{
	(void)id;
	(void)actor;
	(void)detail_json;
	return st_pg_missing(st, "st_hold_never_arrived", err);
}

st_rc st_pg_preview_get(st_store *st, const char *id, time_t now, char **out, sg_buf *err)
{
	(void)id;
	(void)now;
	(void)out;
	return st_pg_missing(st, "st_preview_get", err);
}

st_rc st_pg_preview_purge(st_store *st, time_t now, size_t *n, sg_buf *err)
{
	(void)now;
	(void)n;
	return st_pg_missing(st, "st_preview_purge", err);
}

st_rc st_pg_preview_count(st_store *st, size_t *n, sg_buf *err)
{
	(void)n;
	return st_pg_missing(st, "st_preview_count", err);
}

st_rc st_pg_hold_arrivals(st_store *st, time_t closed_since, size_t max, st_arrival **out, size_t *nout, sg_buf *err)
{
	(void)closed_since;
	(void)max;
	(void)out;
	(void)nout;
	return st_pg_missing(st, "st_hold_arrivals", err);
}

time_t st_pg_hold_oldest_arriving(st_store *st)
{
	(void)st;
	return 0;
}

st_rc st_pg_hold_mark_reminded(st_store *st, const char *id, sg_buf *err)
{
	(void)id;
	return st_pg_missing(st, "st_hold_mark_reminded", err);
}

#define ST_OP_INIT_PG(ret, name, params, args) .name = st_pg_##name,
const st_ops st_pg_ops = {
	.name = "postgresql",
	.complete = false,		/* until this file is empty */
	.close = st_pg_close,
	ST_BACKEND_OPS(ST_OP_INIT_PG)
};
#undef ST_OP_INIT_PG
