/*
 * NAME
 *	st_pg_todo - the functions the PostgreSQL store does not have yet
 * DESCRIPTION
 *	Each says so (ST_ERROR, "not in the PostgreSQL store yet") instead
 *	of half-working: holds, votes, delegations, previews, the outbox
 *	and the purge are still SQLite-only (issue 20 item 1, remainder).
 *	Plain reads that cannot report an error answer "nothing": no work,
 *	no version. When a function is implemented in st_pg.c, its stub
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

st_rc st_pg_hold_vote(st_store *st, const char *id, const st_vote *v, st_vote_out *out, sg_buf *err)
{
	(void)id;
	(void)v;
	(void)out;
	return st_pg_missing(st, "st_hold_vote", err);
}

st_rc st_pg_approval_list(st_store *st, const char *hold_id, st_approval_cb cb, void *ctx, sg_buf *err)
{
	(void)hold_id;
	(void)cb;
	(void)ctx;
	return st_pg_missing(st, "st_approval_list", err);
}

st_rc st_pg_hold_mark_escalated(st_store *st, const char *id, const char *detail_json, sg_buf *err)
{
	(void)id;
	(void)detail_json;
	return st_pg_missing(st, "st_hold_mark_escalated", err);
}

st_rc st_pg_delegate_add(st_store *st, const char *principal, const char *delegate, time_t since_t, time_t until_t, const char *created_by, const char *unix_user, long long *id_out, sg_buf *err)
{
	(void)principal;
	(void)delegate;
	(void)since_t;
	(void)until_t;
	(void)created_by;
	(void)unix_user;
	(void)id_out;
	return st_pg_missing(st, "st_delegate_add", err);
}

st_rc st_pg_delegate_revoke(st_store *st, long long id, const char *by, const char *unix_user, sg_buf *err)
{
	(void)id;
	(void)by;
	(void)unix_user;
	return st_pg_missing(st, "st_delegate_revoke", err);
}

st_rc st_pg_delegate_list(st_store *st, const char *principal, time_t now, st_delegation_cb cb, void *ctx, sg_buf *err)
{
	(void)principal;
	(void)now;
	(void)cb;
	(void)ctx;
	return st_pg_missing(st, "st_delegate_list", err);
}

bool st_pg_delegate_active(st_store *st, const char *principal, const char *delegate, time_t now)
{
	(void)principal;
	(void)delegate;
	(void)now;
	(void)st;
	return false;
}

st_rc st_pg_purge(st_store *st, time_t before, st_purge_counts *n, sg_buf *err)
{
	(void)before;
	(void)n;
	return st_pg_missing(st, "st_purge", err);
}

st_rc st_pg_outbox_add(st_store *st, const char *hold_id, const char *queue_id, const st_notice_new *n, size_t count, sg_buf *err)
{
	(void)hold_id;
	(void)queue_id;
	(void)n;
	(void)count;
	return st_pg_missing(st, "st_outbox_add", err);
}

st_rc st_pg_outbox_claim(st_store *st, const char *owner, time_t now, long lease_s, size_t max, st_notice ***out, size_t *nout, sg_buf *err)
{
	(void)owner;
	(void)now;
	(void)lease_s;
	(void)max;
	(void)out;
	(void)nout;
	return st_pg_missing(st, "st_outbox_claim", err);
}

st_rc st_pg_outbox_sent(st_store *st, long long id, const char *actor, sg_buf *err)
{
	(void)id;
	(void)actor;
	return st_pg_missing(st, "st_outbox_sent", err);
}

st_rc st_pg_outbox_retry(st_store *st, long long id, const char *owner, time_t next_t, const char *error, sg_buf *err)
{
	(void)id;
	(void)owner;
	(void)next_t;
	(void)error;
	return st_pg_missing(st, "st_outbox_retry", err);
}

st_rc st_pg_outbox_fail(st_store *st, long long id, const char *actor, const char *error, sg_buf *err)
{
	(void)id;
	(void)actor;
	(void)error;
	return st_pg_missing(st, "st_outbox_fail", err);
}

st_rc st_pg_outbox_list(st_store *st, bool all, st_notice_cb cb, void *ctx, sg_buf *err)
{
	(void)all;
	(void)cb;
	(void)ctx;
	return st_pg_missing(st, "st_outbox_list", err);
}

st_rc st_pg_outbox_lessees(st_store *st, st_owner_cb cb, void *ctx, sg_buf *err)
{
	(void)cb;
	(void)ctx;
	return st_pg_missing(st, "st_outbox_lessees", err);
}

long st_pg_outbox_unlease(st_store *st, const char *owner, sg_buf *err)
{
	(void)owner;
	(void)st_pg_missing(st, "st_outbox_unlease", err);
	return -1;
}

time_t st_pg_outbox_next_due(st_store *st)
{
	(void)st;
	return 0;
}

#define ST_OP_INIT_PG(ret, name, params, args) .name = st_pg_##name,
const st_ops st_pg_ops = {
	.name = "postgresql",
	.complete = false,		/* until this file is empty */
	.close = st_pg_close,
	ST_BACKEND_OPS(ST_OP_INIT_PG)
};
#undef ST_OP_INIT_PG

st_rc st_pg_outbox_insert_tx(st_store *st, const char *hold_id, const char *queue_id,
			     const st_notice_new *n, size_t count, bool waiting,
			     sg_buf *err)
{
	(void)hold_id;
	(void)queue_id;
	(void)n;
	(void)waiting;
	if (count == 0)
		return ST_OK;
	return st_pg_missing(st, "st_outbox_insert_tx", err);
}
