/*
 * NAME
 *	st_pg_hold - holds and their previews in the PostgreSQL store
 * SYNOPSIS
 *	#include "store/st.h"
 * DESCRIPTION
 *	st_hold.c and st_preview.c (SQLite) are the specification: the
 *	same codes, the same words, the same audit records with the same
 *	detail bytes (built by st_hold_com.c for both), the same JSON
 *	columns (util's writer; read back by util's reader).
 *
 *	Several gateways write at once. SQLite has one writer at a time,
 *	so its read-then-update transactions cannot interleave; here every
 *	such change first locks the hold's row (SELECT ... FOR UPDATE), so
 *	a second decider waits for the first to commit and then reads the
 *	decided state: one wins, the other gets ST_CONFLICT, as on SQLite.
 *	A release is one conditional UPDATE (PostgreSQL re-checks its WHERE
 *	on the row a concurrent writer committed). The row lock is always
 *	taken before the audit chain's advisory lock (st_pg_append_tx), in
 *	every function here, so the two cannot deadlock each other.
 *
 *	Reads run in one REPEATABLE READ transaction (a hold and its
 *	approvals from the same snapshot); st_hold_list() reads on a
 *	connection of its own through a cursor, so its callback may call
 *	the store and a long list is never held in memory at once.
 *
 *	Known differences from SQLite: holds created in the same second
 *	are listed (and found by queue id) in id order, not insertion order
 *	(PostgreSQL has no rowid); text that is not valid UTF-8 is refused
 *	by the database (ST_ERROR) where SQLite stores it.
 * DIAGNOSTICS
 *	As st.h; err names the store and the hold.
 */
#include "store/st_hold_int.h"
#include "store/st_pg_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sg_json.h"
#include "util/sg_mem.h"

/* Columns in the order st_pg_hold_row() reads them. */
#define ST_PG_HOLD_COLS "id, queue_id, sender, auth_login, from_addr," \
	" client_addr, subject, verdict, size, recipients, categories," \
	" findings, attachments, approvers, status, applied, created," \
	" created_t, expires, expires_t, decided_by, decided_at," \
	" decision_comment, new_queue_id, reminded_at, kind, release_t," \
	" required, escalated_at, names, gateway, orphaned_at"

/* Rows a list fetches from its cursor at a time. */
#define ST_PG_FETCH "200"

static char *st_pg_dup(const PGresult *r, int row, int col)
{
	const char *v = st_pg_val(r, row, col);

	return v ? sg_xstrdup(v) : NULL;
}

static long long st_pg_ll(const PGresult *r, int row, int col)
{
	const char *v = st_pg_val(r, row, col);

	return v ? atoll(v) : 0;
}

static st_hold *st_pg_hold_row(const PGresult *r, int i)
{
	st_hold *h = sg_xcalloc(1, sizeof(*h));
	const char *v;

	v = st_pg_val(r, i, 0);
	snprintf(h->id, sizeof(h->id), "%s", v ? v : "");
	h->queue_id = st_pg_dup(r, i, 1);
	h->sender = st_pg_dup(r, i, 2);
	h->auth_login = st_pg_dup(r, i, 3);
	h->from_addr = st_pg_dup(r, i, 4);
	h->client_addr = st_pg_dup(r, i, 5);
	h->subject = st_pg_dup(r, i, 6);
	h->verdict = st_pg_dup(r, i, 7);
	h->size = (unsigned long long)st_pg_ll(r, i, 8);
	h->recipients_json = st_pg_dup(r, i, 9);
	h->categories_json = st_pg_dup(r, i, 10);
	h->findings_json = st_pg_dup(r, i, 11);
	h->attachments_json = st_pg_dup(r, i, 12);
	h->approvers_json = st_pg_dup(r, i, 13);
	if (st_status_parse(st_pg_val(r, i, 14), &h->status) < 0)
		h->status = ST_PENDING;	/* unreachable: CHECK constraint */
	h->applied = st_pg_ll(r, i, 15) != 0;
	h->created = st_pg_dup(r, i, 16);
	h->created_t = (time_t)st_pg_ll(r, i, 17);
	h->expires = st_pg_dup(r, i, 18);
	h->expires_t = (time_t)st_pg_ll(r, i, 19);
	h->decided_by = st_pg_dup(r, i, 20);
	h->decided_at = st_pg_dup(r, i, 21);
	h->decision_comment = st_pg_dup(r, i, 22);
	h->new_queue_id = st_pg_dup(r, i, 23);
	h->reminded_at = st_pg_dup(r, i, 24);
	v = st_pg_val(r, i, 25);
	h->delay = v && strcmp(v, "delay") == 0;
	h->release_t = (time_t)st_pg_ll(r, i, 26);
	h->required = (unsigned)st_pg_ll(r, i, 27);
	h->escalated_at = st_pg_dup(r, i, 28);
	h->names_json = st_pg_dup(r, i, 29);
	h->gateway = st_pg_dup(r, i, 30);
	h->orphaned_at = st_pg_dup(r, i, 31);
	st_hold_parse(h);
	return h;
}

/* h->approvals_json and napproved: what SQLite's json_group_array of
 * json_object(...) makes of the approvals rows, built in C. */
static st_rc st_pg_approvals(st_store *st, st_hold *h, sg_buf *err)
{
	const char *p[1] = { h->id };
	PGresult *r = NULL;
	sg_buf out;
	st_rc rc;
	int n;

	rc = st_pg_exec(st, "SELECT verdict, principal, recorded_as, checked,"
			" comment, at FROM approvals WHERE hold_id = $1 ORDER BY seq",
			1, p, &r, "read approvals", err);
	if (rc != ST_OK)
		return rc;
	sg_buf_init(&out, ST_JSON_MAX);
	sg_buf_putc(&out, '[');
	n = PQntuples(r);
	/* Bounded by the rows (one per approver of the hold). */
	for (int i = 0; i < n; i++) {
		const char *verdict = st_pg_val(r, i, 0);
		const char *checked = st_pg_val(r, i, 3);

		if (verdict && strcmp(verdict, "approve") == 0)
			h->napproved++;
		sg_buf_puts(&out, i ? ",{" : "{");
		sg_json_key(&out, "verdict");
		sg_json_str(&out, verdict);
		sg_buf_putc(&out, ',');
		sg_json_key(&out, "approver");
		sg_json_str(&out, st_pg_val(r, i, 1));
		sg_buf_putc(&out, ',');
		sg_json_key(&out, "by");
		sg_json_str(&out, st_pg_val(r, i, 2));
		sg_buf_putc(&out, ',');
		sg_json_key(&out, "checked");
		if (st_json_compact(checked, &out) < 0)
			sg_buf_puts(&out, "[]");	/* unreachable: CHECK constraint */
		sg_buf_putc(&out, ',');
		sg_json_key(&out, "comment");
		sg_json_str(&out, st_pg_val(r, i, 4));
		sg_buf_putc(&out, ',');
		sg_json_key(&out, "at");
		sg_json_str(&out, st_pg_val(r, i, 5));
		sg_buf_putc(&out, '}');
	}
	sg_buf_putc(&out, ']');
	PQclear(r);
	h->approvals_json = sg_buf_steal(&out);
	sg_buf_free(&out);
	return ST_OK;
}

/* A read-only transaction that sees one snapshot throughout. */
static st_rc st_pg_snapshot(st_store *st, sg_buf *err)
{
	return st_pg_simple(st, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"
			    " READ ONLY", "begin read", err);
}

/* ---- create ---- */

struct st_pg_create {
	struct st_create c;
	char *names;			/* compact, as SQLite's json(?) */
};

static st_rc st_pg_preview_insert(st_store *st, const char *hold_id,
				  const char *sealed, time_t created_t,
				  time_t expires_t, sg_buf *err)
{
	char ct[32], et[32];
	const char *p[4] = { hold_id, sealed, ct, et };

	snprintf(ct, sizeof(ct), "%lld", (long long)created_t);
	snprintf(et, sizeof(et), "%lld", (long long)expires_t);
	return st_pg_exec(st, "INSERT INTO previews (hold_id, sealed, created_t,"
			  " expires_t) VALUES ($1, $2, $3::bigint, $4::bigint)", 4, p,
			  NULL, "insert preview", err);
}

static st_rc st_pg_create_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_pg_create *pc = arg;
	const struct st_create *c = &pc->c;
	const st_hold_new *in = c->in;
	char size[32], ct[32], et[32], rt[32], req[16];
	const char *p[24];
	struct st_pg_append a;
	st_rc rc;

	snprintf(size, sizeof(size), "%llu", in->size);
	snprintf(ct, sizeof(ct), "%lld", (long long)c->created_t);
	snprintf(et, sizeof(et), "%lld", (long long)in->expires);
	snprintf(rt, sizeof(rt), "%lld", (long long)(in->delay ? in->release_t : 0));
	snprintf(req, sizeof(req), "%u", in->required ? in->required : 1);
	p[0] = c->id;
	p[1] = in->queue_id;
	p[2] = c->sender;
	p[3] = in->auth_login;
	p[4] = in->from_addr;
	p[5] = in->client_addr;
	p[6] = sg_buf_cstr(&c->rcpts);
	p[7] = in->subject;
	p[8] = size;
	p[9] = sg_buf_cstr(&c->cats);
	p[10] = in->verdict;
	p[11] = in->findings_json ? in->findings_json : "[]";
	p[12] = in->attachments_json ? in->attachments_json : "[]";
	p[13] = sg_buf_cstr(&c->apps);
	p[14] = c->created;
	p[15] = ct;
	p[16] = in->expires ? c->expires : NULL;
	p[17] = et;
	p[18] = in->arriving ? "arriving" : "pending";
	p[19] = in->delay ? "delay" : "approval";
	p[20] = rt;
	p[21] = req;
	p[22] = pc->names;
	p[23] = c->gateway;
	rc = st_pg_exec(st, "INSERT INTO holds (id, queue_id, sender, auth_login,"
			" from_addr, client_addr, recipients, subject, size, categories,"
			" verdict, findings, attachments, approvers, created, created_t,"
			" expires, expires_t, status, kind, release_t, required, names,"
			" gateway)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::bigint, $10, $11,"
			" $12, $13, $14, $15, $16::bigint, $17, $18::bigint, $19, $20,"
			" $21::bigint, $22::integer, $23, $24)", 24, p, NULL, "insert hold",
			err);
	if (rc != ST_OK)
		return rc;
	a = (struct st_pg_append){ "hold", c->id, in->queue_id,
				   in->actor ? in->actor : "milter", in->unix_user,
				   sg_buf_cstr(&c->detail) };
	rc = st_pg_append_tx(st, &a, err);
	if (rc == ST_OK)
		rc = st_pg_outbox_insert_tx(st, c->id, in->queue_id, in->notices,
					    in->nnotices, in->arriving, err);
	if (rc == ST_OK && in->preview != NULL)
		rc = st_pg_preview_insert(st, c->id, in->preview, c->created_t,
					  in->expires, err);
	return rc;
}

st_rc st_pg_hold_create(st_store *st, const st_hold_new *in,
			char id_out[ST_ID_SIZE], sg_buf *err)
{
	struct st_pg_create pc;
	sg_buf names;
	st_rc rc = st_create_prepare(st, in, &pc.c, err);

	if (rc != ST_OK)
		return rc;
	/* SQLite's CHECK (json_valid(...)) refuses these as ST_INVALID;
	 * PostgreSQL's cast in its CHECK fails before the check itself,
	 * with another error, so they are checked here. */
	if ((in->findings_json && !sg_json_valid(in->findings_json,
						  strlen(in->findings_json))) ||
	    (in->attachments_json && !sg_json_valid(in->attachments_json,
						     strlen(in->attachments_json)))) {
		st_seterr(err, "store %s: insert hold: findings or attachments are"
			  " not valid JSON", st->path);
		st_create_done(&pc.c);
		return ST_INVALID;
	}
	sg_buf_init(&names, ST_JSON_MAX);
	if (st_json_compact(in->names_json && *in->names_json ? in->names_json : "[]",
			    &names) < 0) {
		/* SQLite's json(?) fails the insert the same way. */
		st_seterr(err, "store %s: insert hold: names are not valid JSON",
			  st->path);
		rc = ST_ERROR;
	}
	pc.names = (char *)sg_buf_cstr(&names);
	if (rc == ST_OK)
		rc = st_pg_tx(st, st_pg_create_step, &pc, err);
	if (rc == ST_OK)
		memcpy(id_out, pc.c.id, sizeof(pc.c.id));
	sg_buf_free(&names);
	st_create_done(&pc.c);
	return rc;
}

/* ---- read ---- */

struct st_pg_get {
	const char *sql, *key, *what;
	st_hold *h;
};

static st_rc st_pg_get_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_pg_get *g = arg;
	const char *p[1] = { g->key };
	PGresult *r = NULL;
	st_rc rc;

	st_hold_free(g->h);		/* a retried transaction starts over */
	g->h = NULL;
	if ((rc = st_pg_snapshot(st, err)) != ST_OK)
		return rc;
	if ((rc = st_pg_exec(st, g->sql, 1, p, &r, "read hold", err)) != ST_OK)
		return rc;
	if (PQntuples(r) == 0) {
		st_seterr(err, "store %s: no hold with %s %s", st->path, g->what, g->key);
		PQclear(r);
		return ST_NOTFOUND;
	}
	g->h = st_pg_hold_row(r, 0);
	PQclear(r);
	return st_pg_approvals(st, g->h, err);
}

static st_rc st_pg_hold_query(st_store *st, const char *sql, const char *key,
			      const char *what, st_hold **out, sg_buf *err)
{
	struct st_pg_get g = { sql, key, what, NULL };
	st_rc rc = st_pg_tx(st, st_pg_get_step, &g, err);

	if (rc != ST_OK) {
		st_hold_free(g.h);
		g.h = NULL;
	}
	*out = g.h;
	return rc;
}

st_rc st_pg_hold_get(st_store *st, const char *id, st_hold **out, sg_buf *err)
{
	return st_pg_hold_query(st, "SELECT " ST_PG_HOLD_COLS " FROM holds"
				" WHERE id = $1", id ? id : "", "id", out, err);
}

st_rc st_pg_hold_find_queue_id(st_store *st, const char *queue_id,
			       st_hold **out, sg_buf *err)
{
	/* SQLite breaks a tie of created_t by rowid; PostgreSQL has none. */
	return st_pg_hold_query(st, "SELECT " ST_PG_HOLD_COLS " FROM holds"
				" WHERE queue_id = $1 ORDER BY created_t DESC, id DESC"
				" LIMIT 1", queue_id ? queue_id : "", "queue id", out,
				err);
}

/* A connection of its own for a long read (as SQLite's
 * st_open_reader): a list's callback may use the store meanwhile. */
struct st_pg_reader {
	st_store rd;
	st_pg pg;
};

static st_rc st_pg_reader_open(st_store *st, struct st_pg_reader *r,
			       sg_buf *err)
{
	memset(r, 0, sizeof(*r));
	r->rd.be = st->be;
	r->rd.pg = &r->pg;
	r->rd.path = st->path;
	r->pg.conn = st_pg_dial(((st_pg *)st->pg)->dsn, st->path, err);
	return r->pg.conn != NULL ? ST_OK : ST_ERROR;
}

static void st_pg_reader_close(struct st_pg_reader *r)
{
	PQfinish(r->pg.conn);
	r->pg.conn = NULL;
}

st_rc st_pg_hold_list(st_store *st, const st_status *status, st_hold_cb cb,
		      void *ctx, sg_buf *err)
{
	struct st_pg_reader rdr;
	st_store *rd = &rdr.rd;
	const char *p[1] = { status ? st_status_name(*status) : NULL };
	bool stop = false;
	st_rc rc = st_pg_reader_open(st, &rdr, err);

	if (rc != ST_OK)
		return rc;
	rc = st_pg_simple(rd, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
			  "begin read", err);
	if (rc == ST_OK)
		rc = st_pg_exec(rd, "DECLARE holds_list NO SCROLL CURSOR FOR SELECT "
				ST_PG_HOLD_COLS " FROM holds WHERE $1::text IS NULL OR"
				" status = $1::text ORDER BY created_t, id", 1, p, NULL,
				"list holds", err);
	/* One page at a time until the cursor runs dry: bounded by the
	 * rows of the snapshot. */
	while (rc == ST_OK && !stop) {
		PGresult *r = NULL;
		int n;

		rc = st_pg_exec(rd, "FETCH " ST_PG_FETCH " FROM holds_list", 0,
					NULL, &r, "list holds", err);
		if (rc != ST_OK)
			break;
		n = PQntuples(r);
		for (int i = 0; i < n && rc == ST_OK && !stop; i++) {
			st_hold *h = st_pg_hold_row(r, i);

			rc = st_pg_approvals(rd, h, err);
			if (rc == ST_OK)
				stop = cb(h, ctx) != 0;
			st_hold_free(h);
		}
		PQclear(r);
		if (n < atoi(ST_PG_FETCH))
			break;
	}
	(void)st_pg_simple(rd, rc == ST_OK ? "COMMIT" : "ROLLBACK", "end read", NULL);
	st_pg_reader_close(&rdr);
	return rc;
}

/* ---- state changes ---- */

/* Inside a transaction: the hold's state, its row locked to COMMIT so
 * that no other gateway changes it between this read and our update. */
static st_rc st_pg_state_lock(st_store *st, const char *id,
			      struct st_state *out, sg_buf *err)
{
	const char *p[1] = { id };
	PGresult *r = NULL;
	st_rc rc;

	memset(out, 0, sizeof(*out));
	rc = st_pg_exec(st, "SELECT status, applied, queue_id, decided_by,"
			" decided_at, reminded_at, orphaned_at IS NOT NULL FROM holds"
			" WHERE id = $1 FOR UPDATE",
			1, p, &r, "read hold", err);
	if (rc != ST_OK)
		return rc;
	if (PQntuples(r) == 0) {
		st_seterr(err, "store %s: no hold with id %s", st->path, id);
		PQclear(r);
		return ST_NOTFOUND;
	}
	st_status_parse(st_pg_val(r, 0, 0), &out->status);
	out->applied = st_pg_ll(r, 0, 1) != 0;
	out->queue_id = st_pg_dup(r, 0, 2);
	out->decided_by = st_pg_dup(r, 0, 3);
	out->decided_at = st_pg_dup(r, 0, 4);
	out->reminded_at = st_pg_dup(r, 0, 5);
	out->orphaned = st_pg_val(r, 0, 6) && strcmp(st_pg_val(r, 0, 6), "t") == 0;
	PQclear(r);
	return ST_OK;
}

/* An UPDATE with text parameters; *changed: rows it changed. */
static st_rc st_pg_update(st_store *st, const char *sql, int n,
			  const char *const *p, long long *changed, sg_buf *err)
{
	PGresult *r = NULL;
	st_rc rc = st_pg_exec(st, sql, n, p, &r, "update hold", err);

	if (rc != ST_OK)
		return rc;
	if (changed)
		*changed = atoll(PQcmdTuples(r));
	PQclear(r);
	return ST_OK;
}

struct st_pg_decide {
	const char *id, *by, *comment, *unix_user;
	st_status status;
};

static st_rc st_pg_decide_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_pg_decide *d = arg;
	char now[ST_TIME_SIZE], t[32];
	const char *p[6];
	struct st_pg_append a;
	struct st_state cur;
	long long changed = 0;
	sg_buf detail;
	st_rc rc = st_pg_state_lock(st, d->id, &cur, err);

	if (rc == ST_OK)
		rc = st_decide_refuse(st, d->id, &cur, err);
	if (rc != ST_OK) {
		st_state_free(&cur);
		return rc;
	}
	st_now_iso(now);
	snprintf(t, sizeof(t), "%lld", (long long)time(NULL));
	p[0] = st_status_name(d->status), p[1] = d->by, p[2] = now;
	p[3] = t, p[4] = d->comment, p[5] = d->id;
	/* An approval of a hold that needs several is st_hold_vote's: a
	 * single decision here would skip the others. */
	rc = st_pg_update(st, "UPDATE holds SET status = $1, decided_by = $2,"
			  " decided_at = $3, decided_t = $4::bigint, decision_comment = $5"
			  " WHERE id = $6 AND status = 'pending' AND ($1 <> 'approved'"
			  " OR required <= 1)", 6, p, &changed, err);
	if (rc == ST_OK && changed != 1)
		rc = st_decide_several(st, d->id, err);
	if (rc == ST_OK) {
		sg_buf_init(&detail, ST_JSON_MAX);
		st_decide_detail(&detail, d->status, d->comment);
		a = (struct st_pg_append){ st_event_of(d->status), d->id, cur.queue_id,
					   d->by, d->unix_user, sg_buf_cstr(&detail) };
		rc = st_pg_append_tx(st, &a, err);
		sg_buf_free(&detail);
	}
	st_state_free(&cur);
	return rc;
}

st_rc st_pg_hold_decide(st_store *st, const char *id, st_status new_status,
			const char *by, const char *comment,
			const char *unix_user, sg_buf *err)
{
	struct st_pg_decide d = { id, by, comment, unix_user, new_status };
	st_rc rc = st_decide_args(st, id, new_status, by, err);

	if (rc != ST_OK)
		return rc;
	return st_pg_tx(st, st_pg_decide_step, &d, err);
}

struct st_pg_applied {
	const char *id, *new_queue_id, *actor, *unix_user;
};

static st_rc st_pg_applied_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_pg_applied *a = arg;
	const char *p[2] = { a->new_queue_id, a->id };
	struct st_pg_append ap;
	struct st_state cur;
	sg_buf detail;
	st_rc rc = st_pg_state_lock(st, a->id, &cur, err);

	if (rc == ST_OK)
		rc = st_applied_refuse(st, a->id, &cur, err);
	/* Applied once: a second call changes nothing and says ST_OK. */
	if (rc == ST_OK && !cur.applied) {
		rc = st_pg_update(st, "UPDATE holds SET applied = 1, new_queue_id ="
				  " COALESCE($1, new_queue_id) WHERE id = $2", 2, p,
				  NULL, err);
		if (rc == ST_OK) {
			sg_buf_init(&detail, ST_JSON_MAX);
			st_applied_detail(&detail, cur.status, a->new_queue_id);
			ap = (struct st_pg_append){ "apply", a->id, cur.queue_id,
						    a->actor ? a->actor : "apply",
						    a->unix_user, sg_buf_cstr(&detail) };
			rc = st_pg_append_tx(st, &ap, err);
			sg_buf_free(&detail);
		}
	}
	st_state_free(&cur);
	return rc;
}

st_rc st_pg_hold_set_applied(st_store *st, const char *id,
			     const char *new_queue_id, const char *actor,
			     const char *unix_user, sg_buf *err)
{
	struct st_pg_applied a = { id ? id : "", new_queue_id, actor, unix_user };

	return st_pg_tx(st, st_pg_applied_step, &a, err);
}

static st_rc st_pg_reminded_step(st_store *st, void *arg, sg_buf *err)
{
	const char *id = arg;
	char now[ST_TIME_SIZE];
	const char *p[2] = { now, id };
	struct st_pg_append a;
	struct st_state cur;
	st_rc rc = st_pg_state_lock(st, id, &cur, err);

	if (rc == ST_OK)
		rc = st_reminded_refuse(st, id, &cur, err);
	st_now_iso(now);
	if (rc == ST_OK)
		rc = st_pg_update(st, "UPDATE holds SET reminded_at = $1 WHERE id = $2",
				  2, p, NULL, err);
	if (rc == ST_OK) {
		a = (struct st_pg_append){ "remind", id, cur.queue_id, "expire", NULL,
					   "{}" };
		rc = st_pg_append_tx(st, &a, err);
	}
	st_state_free(&cur);
	return rc;
}

st_rc st_pg_hold_mark_reminded(st_store *st, const char *id, sg_buf *err)
{
	return st_pg_tx(st, st_pg_reminded_step, (void *)(id ? id : ""), err);
}

/* ---- arrival (issue 15) ---- */

struct st_pg_arrival {
	const char *id, *actor, *detail;
	bool confirmed;
};

static st_rc st_pg_arrival_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_pg_arrival *a = arg;
	const char *p[2] = { a->confirmed ? "pending" : "never-arrived", a->id };
	const char *np[2] = { a->confirmed ? "ready" : "cancelled", a->id };
	struct st_pg_append ap;
	struct st_state cur;
	bool late = false;
	st_rc rc = st_pg_state_lock(st, a->id, &cur, err);

	if (rc == ST_OK)
		rc = st_arrival_refuse(st, a->id, a->confirmed, &cur, &late, err);
	if (rc == ST_OK)
		rc = st_pg_update(st, "UPDATE holds SET status = $1 WHERE id = $2"
				  " AND status IN ('arriving', 'never-arrived')", 2, p,
				  NULL, err);
	/* The hold's notices go with it: released when it is confirmed,
	 * cancelled when it never arrived (and back for a late one). */
	if (rc == ST_OK)
		rc = st_pg_update(st, late ? "UPDATE outbox SET state = $1, next_t = 0"
				  " WHERE hold_id = $2 AND state = 'cancelled'"
				  : "UPDATE outbox SET state = $1, next_t = 0"
				  " WHERE hold_id = $2 AND state = 'waiting'", 2, np,
				  NULL, err);
	if (rc == ST_OK) {
		ap = (struct st_pg_append){ a->confirmed ? "confirm" : "never-arrived",
					    a->id, cur.queue_id, a->actor, NULL,
					    a->detail ? a->detail : "{}" };
		rc = st_pg_append_tx(st, &ap, err);
	}
	st_state_free(&cur);
	return rc;
}

st_rc st_pg_hold_confirm(st_store *st, const char *id, const char *actor,
			 const char *detail_json, sg_buf *err)
{
	struct st_pg_arrival a = { id ? id : "", actor ? actor : "apply",
				   detail_json, true };

	return st_pg_tx(st, st_pg_arrival_step, &a, err);
}

st_rc st_pg_hold_never_arrived(st_store *st, const char *id, const char *actor,
			       const char *detail_json, sg_buf *err)
{
	struct st_pg_arrival a = { id ? id : "", actor ? actor : "apply",
				   detail_json, false };

	return st_pg_tx(st, st_pg_arrival_step, &a, err);
}

/* ---- waiting for queue files (issue 15) ---- */

struct st_pg_oldest {
	time_t t;
};

static st_rc st_pg_oldest_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_pg_oldest *o = arg;
	PGresult *r = NULL;
	/* created_t 0 still counts: it is 1 here. */
	const char *p[1] = { st->gateway };
	st_rc rc = st_pg_exec(st, "SELECT MIN(GREATEST(created_t, 1)) FROM holds"
			      " WHERE status = 'arriving' AND gateway = $1"
			      " AND orphaned_at IS NULL", 1, p, &r,
			      "oldest arriving hold", err);

	if (rc != ST_OK)
		return rc;
	o->t = (time_t)st_pg_ll(r, 0, 0);
	PQclear(r);
	return ST_OK;
}

time_t st_pg_hold_oldest_arriving(st_store *st)
{
	struct st_pg_oldest o = { 0 };

	if (st_pg_tx(st, st_pg_oldest_step, &o, NULL) != ST_OK)
		return 0;
	return o.t;
}

/* LIMIT's parameter: max, within bigint. */
static void st_pg_limit(size_t max, char buf[32])
{
	snprintf(buf, 32, "%lld", max > (size_t)LLONG_MAX ? LLONG_MAX : (long long)max);
}

struct st_pg_arrivals {
	time_t since;
	size_t max;
	st_arrival *v;
	size_t n;
};

static st_rc st_pg_arrivals_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_pg_arrivals *a = arg;
	char since[32], lim[32];
	const char *p[3] = { since, lim, st->gateway };
	PGresult *r = NULL;
	st_rc rc;
	int n;

	free(a->v);			/* a retried transaction starts over */
	a->v = NULL;
	a->n = 0;
	snprintf(since, sizeof(since), "%lld", (long long)a->since);
	st_pg_limit(a->max, lim);
	rc = st_pg_exec(st, "SELECT id, queue_id, created_t, status FROM holds"
			" WHERE (status = 'arriving' OR ($1::bigint > 0 AND status ="
			" 'never-arrived' AND created_t >= $1::bigint)) AND gateway = $3"
			" AND orphaned_at IS NULL"
			" ORDER BY created_t, id LIMIT $2::bigint", 3, p, &r,
			"list arriving holds", err);
	if (rc != ST_OK)
		return rc;
	n = PQntuples(r);
	/* Bounded by LIMIT max. */
	if (n > 0)
		a->v = sg_xcalloc((size_t)n, sizeof(*a->v));
	for (int i = 0; i < n; i++) {
		const char *id = st_pg_val(r, i, 0), *qid = st_pg_val(r, i, 1);
		const char *status = st_pg_val(r, i, 3);
		st_arrival *v = &a->v[a->n++];

		snprintf(v->id, sizeof(v->id), "%s", id ? id : "");
		snprintf(v->queue_id, sizeof(v->queue_id), "%s", qid ? qid : "");
		v->created_t = (time_t)st_pg_ll(r, i, 2);
		v->closed = status && strcmp(status, "never-arrived") == 0;
	}
	PQclear(r);
	return ST_OK;
}

st_rc st_pg_hold_arrivals(st_store *st, time_t closed_since, size_t max,
			  st_arrival **out, size_t *nout, sg_buf *err)
{
	struct st_pg_arrivals a = { closed_since, max, NULL, 0 };
	st_rc rc = st_pg_tx(st, st_pg_arrivals_step, &a, err);

	if (rc != ST_OK) {
		free(a.v);
		a.v = NULL;
		a.n = 0;
	}
	*out = a.v;
	*nout = a.n;
	return rc;
}

/* ---- delayed send (issue 19) ---- */

struct st_pg_release {
	const char *id, *by, *unix_user;
	st_release_why why;
	time_t now;
};

/* Nothing was released: no such hold (ST_NOTFOUND), or its state
 * forbids it (ST_CONFLICT with why). */
static st_rc st_pg_release_why_not(st_store *st, const struct st_pg_release *rl,
				   sg_buf *err)
{
	const char *p[1] = { rl->id };
	PGresult *r = NULL;
	st_rc rc = st_pg_exec(st, "SELECT kind, status, decided_by FROM holds"
			      " WHERE id = $1", 1, p, &r, "read hold", err);

	if (rc != ST_OK)
		return rc;
	if (PQntuples(r) == 0) {
		st_seterr(err, "store %s: no hold with id %s", st->path, rl->id);
		rc = ST_NOTFOUND;
	} else {
		st_release_conflict(st, rl->id, st_pg_val(r, 0, 0), st_pg_val(r, 0, 1),
				    st_pg_val(r, 0, 2), err);
		rc = ST_CONFLICT;
	}
	PQclear(r);
	return rc;
}

static st_rc st_pg_release_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_pg_release *rl = arg;
	char now[ST_TIME_SIZE], nt[32], detail[128];
	const char *p[5];
	struct st_pg_append a;
	PGresult *r = NULL;
	long long release_t;
	char *qid;
	st_rc rc;

	st_now_iso(now);
	snprintf(nt, sizeof(nt), "%lld", (long long)rl->now);
	p[0] = rl->by, p[1] = now, p[2] = nt, p[3] = rl->id;
	p[4] = rl->why == ST_RELEASE_DUE ? "1" : "0";
	/* The one conditional UPDATE: whoever comes second finds the row
	 * no longer pending (PostgreSQL re-checks the WHERE on the row
	 * the first committed), changes nothing and is told ST_CONFLICT. */
	rc = st_pg_exec(st, "UPDATE holds SET status = 'approved', decided_by = $1,"
			" decided_at = $2, decided_t = $3::bigint, decision_comment = NULL"
			" WHERE id = $4 AND kind = 'delay' AND status = 'pending'"
			" AND ($5::integer = 0 OR release_t <= $3::bigint)"
			" RETURNING queue_id, release_t", 5, p, &r, "release hold", err);
	if (rc != ST_OK)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return st_pg_release_why_not(st, rl, err);
	}
	qid = st_pg_dup(r, 0, 0);
	release_t = st_pg_ll(r, 0, 1);
	PQclear(r);
	st_release_detail(detail, sizeof(detail), rl->why, rl->now, release_t);
	a = (struct st_pg_append){ rl->why == ST_RELEASE_DUE ? "delay-end" : "release",
				   rl->id, qid, rl->by, rl->unix_user, detail };
	rc = st_pg_append_tx(st, &a, err);
	free(qid);
	return rc;
}

st_rc st_pg_hold_release(st_store *st, const char *id, st_release_why why,
			 const char *by, const char *unix_user, time_t now,
			 sg_buf *err)
{
	struct st_pg_release r = { id, by, unix_user, why, now ? now : time(NULL) };
	st_rc rc = st_release_args(st, id, by, err);

	if (rc != ST_OK)
		return rc;
	return st_pg_tx(st, st_pg_release_step, &r, err);
}

struct st_pg_due {
	time_t now;
	size_t max;
	char (*v)[ST_ID_SIZE];
	size_t n;
};

static st_rc st_pg_due_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_pg_due *d = arg;
	char now[32], lim[32];
	const char *p[3] = { now, lim, st->gateway };
	PGresult *r = NULL;
	st_rc rc;
	int n;

	free(d->v);			/* a retried transaction starts over */
	d->v = NULL;
	d->n = 0;
	snprintf(now, sizeof(now), "%lld", (long long)d->now);
	st_pg_limit(d->max, lim);
	rc = st_pg_exec(st, "SELECT id FROM holds WHERE kind = 'delay' AND"
			" status = 'pending' AND release_t <= $1::bigint AND gateway = $3"
			" AND orphaned_at IS NULL"
			" ORDER BY release_t, created_t, id LIMIT $2::bigint", 3, p, &r,
			"list due delays", err);
	if (rc != ST_OK)
		return rc;
	n = PQntuples(r);
	/* Bounded by LIMIT max. */
	if (n > 0)
		d->v = sg_xcalloc((size_t)n, sizeof(*d->v));
	for (int i = 0; i < n; i++) {
		const char *id = st_pg_val(r, i, 0);

		snprintf(d->v[d->n++], ST_ID_SIZE, "%s", id ? id : "");
	}
	PQclear(r);
	return ST_OK;
}

st_rc st_pg_hold_due(st_store *st, time_t now, size_t max,
		     char (**out)[ST_ID_SIZE], size_t *nout, sg_buf *err)
{
	struct st_pg_due d = { now, max, NULL, 0 };
	st_rc rc = st_pg_tx(st, st_pg_due_step, &d, err);

	if (rc != ST_OK) {
		free(d.v);
		d.v = NULL;
		d.n = 0;
	}
	*out = d.v;
	*nout = d.n;
	return rc;
}

struct st_pg_work {
	time_t now;
	bool work;
};

static st_rc st_pg_work_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_pg_work *w = arg;
	char now[32];
	const char *p[2] = { now, st->gateway };
	PGresult *r = NULL;
	st_rc rc;

	snprintf(now, sizeof(now), "%lld", (long long)w->now);
	rc = st_pg_exec(st, "SELECT EXISTS (SELECT 1 FROM holds WHERE ((applied = 0"
			" AND status IN ('approved','rejected','withdrawn','expired'))"
			" OR (kind = 'delay' AND status = 'pending' AND release_t <="
			" $1::bigint)) AND gateway = $2 AND orphaned_at IS NULL)", 2, p,
			&r, "look for work", err);
	if (rc != ST_OK)
		return rc;
	w->work = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return ST_OK;
}

bool st_pg_hold_work(st_store *st, time_t now)
{
	struct st_pg_work w = { now, false };

	if (st_pg_tx(st, st_pg_work_step, &w, NULL) != ST_OK)
		return false;
	return w.work;
}

/* ---- previews (issue 18) ---- */

struct st_pg_pv {
	const char *id;
	time_t now;
	char *sealed;
};

static st_rc st_pg_pv_get_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_pg_pv *v = arg;
	char now[32];
	const char *p[2] = { v->id, now };
	PGresult *r = NULL;
	st_rc rc;

	free(v->sealed);		/* a retried transaction starts over */
	v->sealed = NULL;
	snprintf(now, sizeof(now), "%lld", (long long)v->now);
	/* A preview whose hold no longer waits, or past its expiry, is
	 * never shown, whether or not the trigger and purge got it yet. */
	rc = st_pg_exec(st, "SELECT p.sealed FROM previews p JOIN holds h"
			" ON h.id = p.hold_id WHERE p.hold_id = $1"
			" AND h.status IN ('pending', 'arriving')"
			" AND (p.expires_t = 0 OR p.expires_t > $2::bigint)", 2, p, &r,
			"read preview", err);
	if (rc != ST_OK)
		return rc;
	if (PQntuples(r) == 0) {
		st_seterr(err, "store %s: no preview for hold %s", st->path, v->id);
		rc = ST_NOTFOUND;
	} else
		v->sealed = st_pg_dup(r, 0, 0);
	PQclear(r);
	return rc;
}

st_rc st_pg_preview_get(st_store *st, const char *id, time_t now, char **out,
			sg_buf *err)
{
	struct st_pg_pv v = { id ? id : "", now, NULL };
	st_rc rc = st_pg_tx(st, st_pg_pv_get_step, &v, err);

	if (rc != ST_OK) {
		free(v.sealed);
		v.sealed = NULL;
	}
	*out = v.sealed;
	if (rc == ST_OK && *out == NULL)
		rc = ST_NOTFOUND;
	return rc;
}

struct st_pg_pv_purge {
	time_t now;
	size_t n;
};

static st_rc st_pg_pv_purge_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_pg_pv_purge *pp = arg;
	char now[32];
	const char *p[1] = { now };
	PGresult *r = NULL;
	st_rc rc;

	snprintf(now, sizeof(now), "%lld", (long long)pp->now);
	rc = st_pg_exec(st, "DELETE FROM previews WHERE (expires_t <> 0 AND"
			" expires_t <= $1::bigint) OR hold_id NOT IN (SELECT id FROM"
			" holds WHERE status IN ('pending', 'arriving'))", 1, p, &r,
			"purge previews", err);
	if (rc != ST_OK)
		return rc;
	pp->n = (size_t)atoll(PQcmdTuples(r));
	PQclear(r);
	return ST_OK;
}

st_rc st_pg_preview_purge(st_store *st, time_t now, size_t *n, sg_buf *err)
{
	struct st_pg_pv_purge pp = { now, 0 };
	st_rc rc = st_pg_tx(st, st_pg_pv_purge_step, &pp, err);

	if (n != NULL)
		*n = rc == ST_OK ? pp.n : 0;
	return rc;
}

static st_rc st_pg_pv_count_step(st_store *st, void *arg, sg_buf *err)
{
	size_t *n = arg;
	PGresult *r = NULL;
	st_rc rc = st_pg_exec(st, "SELECT count(*) FROM previews", 0, NULL, &r,
			      "count previews", err);

	if (rc != ST_OK)
		return rc;
	*n = (size_t)st_pg_ll(r, 0, 0);
	PQclear(r);
	return ST_OK;
}

st_rc st_pg_preview_count(st_store *st, size_t *n, sg_buf *err)
{
	*n = 0;
	return st_pg_tx(st, st_pg_pv_count_step, n, err);
}
