/*
 * NAME
 *	rel_expire - expire undecided holds, remind approvers at half-time
 * SYNOPSIS
 *	#include "release/rel.h"
 * DESCRIPTION
 *	Mail on hold never expires in Postfix (ARCHITECTURE.md): expiry is
 *	ours. A pending hold whose expiry time has passed is decided
 *	"expired" by "expire"; the queue file is deleted later by the root
 *	step (sendguardctl apply), like any other decision. A pending hold
 *	past half its lifetime gets one reminder to its approvers: the
 *	store's st_hold_mark_reminded() claims it atomically, so two
 *	concurrent runs, or a run repeated by the timer, remind once.
 *
 *	The ids are collected first and each hold is read again before it
 *	is changed, so a decision made meanwhile wins (the store refuses
 *	to decide a decided hold: ST_CONFLICT is not an error here).
 * DIAGNOSTICS
 *	REL_OK, or the first store error that stopped the run (err);
 *	per-hold failures are counted in stats->failed and the run goes
 *	on.
 */
#include "release/rel.h"

#include <stdlib.h>
#include <string.h>

#include "util/sg_json.h"
#include "util/sg_mem.h"

typedef struct rel_ids {
	char (*v)[ST_ID_SIZE];
	size_t n, cap;
} rel_ids;

static int rel_collect(const st_hold *h, void *ctx)
{
	rel_ids *ids = ctx;

	if (ids->n >= REL_EXPIRE_MAX)
		return 1;
	if (ids->n == ids->cap) {
		ids->cap = ids->cap ? ids->cap * 2 : 64;
		ids->v = sg_xreallocarray(ids->v, ids->cap, sizeof(*ids->v));
	}
	memcpy(ids->v[ids->n++], h->id, ST_ID_SIZE);
	return 0;
}

static bool rel_due_expiry(const st_hold *h, time_t now)
{
	return h->expires_t > 0 && now >= h->expires_t;
}

static bool rel_due_reminder(const st_hold *h, time_t now)
{
	time_t half;

	if (h->expires_t <= h->created_t || h->reminded_at != NULL)
		return false;
	half = h->created_t + (h->expires_t - h->created_t) / 2;
	return now >= half;
}

static void rel_expire_one(st_store *st, const st_hold *h, const char *unix_user,
			   rel_notice_fn fn, void *ctx, rel_expire_stats *stats)
{
	sg_buf err;
	st_hold *after = NULL;
	st_rc rc;

	sg_buf_init(&err, 4096);
	rc = st_hold_decide(st, h->id, ST_EXPIRED, "expire",
			    "not decided within [hold] expire_after", unix_user, &err);
	if (rc == ST_OK) {
		stats->expired++;
		if (fn && st_hold_get(st, h->id, &after, &err) == ST_OK)
			fn(after, NTF_EXPIRED_SENDER, ctx);
		st_hold_free(after);
	} else if (rc != ST_CONFLICT) {
		stats->failed++;
	}
	sg_buf_free(&err);
}

static void rel_remind_one(st_store *st, const st_hold *h, rel_notice_fn fn,
			   void *ctx, rel_expire_stats *stats)
{
	sg_buf err;
	st_rc rc;

	sg_buf_init(&err, 4096);
	rc = st_hold_mark_reminded(st, h->id, &err);
	if (rc == ST_OK) {
		stats->reminded++;
		if (fn)
			fn(h, NTF_APPROVAL_REMINDER, ctx);
	} else if (rc != ST_CONFLICT) {
		stats->failed++;
	}
	sg_buf_free(&err);
}

static void rel_expire_id(st_store *st, const char *id, time_t now,
			  const char *unix_user, rel_notice_fn fn, void *ctx,
			  rel_expire_stats *stats)
{
	st_hold *h = NULL;
	sg_buf err;

	sg_buf_init(&err, 4096);
	if (st_hold_get(st, id, &h, &err) != ST_OK) {
		stats->failed++;
	} else if (h->status == ST_PENDING && h->orphaned_at == NULL) {
		/* An orphaned hold (gateway retired) neither expires nor
		 * reminds: nothing about it can change any more. */
		if (rel_due_expiry(h, now))
			rel_expire_one(st, h, unix_user, fn, ctx, stats);
		else if (rel_due_reminder(h, now))
			rel_remind_one(st, h, fn, ctx, stats);
	}
	st_hold_free(h);
	sg_buf_free(&err);
}

rel_rc rel_expire_run(st_store *st, time_t now, const char *unix_user,
		      rel_notice_fn fn, void *ctx, rel_expire_stats *stats,
		      sg_buf *err)
{
	st_status pending = ST_PENDING;
	rel_ids ids = { NULL, 0, 0 };
	st_rc rc;

	memset(stats, 0, sizeof(*stats));
	rc = st_hold_list(st, &pending, rel_collect, &ids, err);
	if (rc == ST_OK)
		for (size_t i = 0; i < ids.n; i++)
			rel_expire_id(st, ids.v[i], now, unix_user, fn, ctx, stats);
	free(ids.v);
	/* Previews past their expiry or without a waiting hold (the
	 * schema's triggers delete them at the decision; this catches
	 * any the triggers could not see). Not fatal: a preview left is
	 * never shown (st_preview_get checks the hold). */
	if (rc == ST_OK && st_preview_purge(st, now, &stats->previews, NULL) != ST_OK)
		stats->previews = 0;
	return rel_from_st(rc);
}

/* ------------------------------------------------ escalation (issue 18) */

struct rel_esc_ctx {
	const sg_conf *conf;
	time_t now, after;
	rel_ids ids;
};

static int rel_esc_collect(const st_hold *h, void *ctx)
{
	struct rel_esc_ctx *c = ctx;

	/* Nobody has decided: no approval yet (a partial approval is a
	 * decision in progress), not delayed, not escalated, old enough,
	 * not already past its expiry (expired by the run before). */
	if (h->delay || h->napproved > 0 || h->escalated_at != NULL ||
	    h->orphaned_at != NULL ||
	    c->now < h->created_t + c->after ||
	    (h->expires_t > 0 && c->now >= h->expires_t))
		return 0;
	return rel_collect(h, &c->ids);
}

rel_rc rel_escalate_run(st_store *st, const sg_conf *conf, time_t now,
			rel_escalate_fn fn, void *ctx, size_t *escalated,
			sg_buf *err)
{
	st_status pending = ST_PENDING;
	struct rel_esc_ctx c = { conf, now, 0, { NULL, 0, 0 } };
	st_rc rc;

	*escalated = 0;
	c.after = (time_t)sg_conf_num(conf, "approval", "escalate_after");
	if (c.after <= 0)
		return REL_OK;
	rc = st_hold_list(st, &pending, rel_esc_collect, &c, err);
	for (size_t i = 0; rc == ST_OK && i < c.ids.n; i++) {
		st_hold *h = NULL;
		const char *to;
		sg_buf detail;

		if (st_hold_get(st, c.ids.v[i], &h, NULL) != ST_OK)
			continue;
		to = ntf_escalation_for(conf, (const char *const *)h->categories,
					h->ncategories);
		sg_buf_init(&detail, 4096);
		sg_buf_puts(&detail, "{\"to\":");
		sg_json_str(&detail, to);
		sg_buf_putc(&detail, '}');
		/* Claimed once even without an address: the record says
		 * nobody was told, and no later run tries again. */
		if (st_hold_mark_escalated(st, h->id, sg_buf_cstr(&detail), NULL) == ST_OK) {
			(*escalated)++;
			if (fn && to)
				fn(h, to, ctx);
		}
		sg_buf_free(&detail);
		st_hold_free(h);
	}
	free(c.ids.v);
	return rel_from_st(rc);
}
