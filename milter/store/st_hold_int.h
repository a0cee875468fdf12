/*
 * NAME
 *	st_hold_int - what both backends' hold code shares (st_hold_com.c)
 * SYNOPSIS
 *	#include "store/st_hold_int.h"
 * DESCRIPTION
 *	The hold functions of st.h exist once per backend (st_hold.c on
 *	SQLite, st_pg_hold.c on PostgreSQL), but everything that decides
 *	what they write or answer without touching a database lives here
 *	once: the checks of a new hold, the JSON columns and audit details
 *	(the audit chain hashes their bytes, so both backends must produce
 *	the same ones), the refusals of a state change in a given state
 *	with their words, and the parse of the stored JSON arrays.
 */
#ifndef ST_HOLD_INT_H
#define ST_HOLD_INT_H

#include "store/st_int.h"

/* Largest JSON a hold may carry; the engine caps findings and
 * attachments well below this. */
#define ST_JSON_MAX (16u << 20)

/* A new hold, checked and turned into the columns both backends store. */
struct st_create {
	const st_hold_new *in;
	char id[ST_ID_SIZE];
	char *sender;			/* lower-cased */
	const char *gateway;		/* in->gateway or the handle's */
	sg_buf rcpts, cats, apps, detail;
	char created[ST_TIME_SIZE], expires[ST_TIME_SIZE];
	time_t created_t;
};

/* Checks in and fills c (id given or new, JSON columns, the audit
 * detail). ST_INVALID or ST_ERROR with err; on success
 * st_create_done() frees c. */
st_rc st_create_prepare(st_store *st, const st_hold_new *in,
			struct st_create *c, sg_buf *err);
void st_create_done(struct st_create *c);

/* A hold's state as a transaction read it. */
struct st_state {
	st_status status;
	bool applied;
	char *queue_id, *decided_by, *decided_at, *reminded_at;
	bool orphaned;			/* its gateway was retired */
};

void st_state_free(struct st_state *s);

/* The refusals of each change in the state cur: ST_OK when the change
 * may go ahead, else ST_CONFLICT with err. */
st_rc st_decide_args(st_store *st, const char *id, st_status status,
		     const char *by, sg_buf *err);
st_rc st_decide_refuse(st_store *st, const char *id,
		       const struct st_state *cur, sg_buf *err);
/* The conditional UPDATE of a decision changed nothing: the hold
 * needs several approvals (the state was checked before). */
st_rc st_decide_several(st_store *st, const char *id, sg_buf *err);
st_rc st_applied_refuse(st_store *st, const char *id,
			const struct st_state *cur, sg_buf *err);
st_rc st_reminded_refuse(st_store *st, const char *id,
			 const struct st_state *cur, sg_buf *err);
/* *late: a never-arrived hold whose queue file turned up after all. */
st_rc st_arrival_refuse(st_store *st, const char *id, bool confirmed,
			const struct st_state *cur, bool *late, sg_buf *err);
st_rc st_release_args(st_store *st, const char *id, const char *by,
		      sg_buf *err);
/* Why a release changed nothing, from the hold's kind, status and
 * decided_by (any NULL: unknown). */
void st_release_conflict(st_store *st, const char *id, const char *kind,
			 const char *status, const char *by, sg_buf *err);

/* Audit events and details. */
const char *st_event_of(st_status s);
void st_decide_detail(sg_buf *out, st_status s, const char *comment);
void st_applied_detail(sg_buf *out, st_status s, const char *new_queue_id);
void st_release_detail(char *buf, size_t size, st_release_why why,
		       time_t now, long long release_t);

/* gateway retire (st_gateway.c, st_pg_gateway.c): the checks, and the
 * audit detail both backends hash alike. */
st_rc st_retire_args(st_store *st, const st_retire *r, sg_buf *err);
void st_retire_detail(sg_buf *d, const char *gateway, size_t holds);
/* Retiring a gateway, on both backends: the notices of the holds just
 * orphaned (GW the gateway's parameter, AT orphaned_at's) that were not
 * yet sent are cancelled; nothing confirms an orphaned hold, so none is
 * released again. */
#define ST_RETIRE_CANCEL_SQL(GW, AT) \
	"UPDATE outbox SET state = 'cancelled' WHERE state IN ('waiting', 'ready')" \
	" AND hold_id IN (SELECT id FROM holds WHERE gateway = " GW \
	" AND orphaned_at = " AT ")"

/* h->rcpts, categories and approvers from h's JSON columns (util's
 * reader: the same parse on both backends). */
void st_hold_parse(st_hold *h);
/* json as compact JSON (what SQLite's json() makes of our writer's
 * output) into out; -1 when it is not valid JSON. */
int st_json_compact(const char *json, sg_buf *out);

#endif
