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
 *	The JSON arrays (recipients, categories, approvers) are built and
 *	parsed by SQLite's own JSON functions, so what one program writes
 *	another reads back exactly.
 * DIAGNOSTICS
 *	See st.h: ST_NOTFOUND, ST_CONFLICT (with who decided what, when),
 *	ST_INVALID, ST_BUSY, ST_ERROR; err names the store and the hold.
 */
#include "store/st_int.h"

#include <ctype.h>
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
	" names"

/* Largest JSON a hold may carry; the engine caps findings and
 * attachments well below this. */
#define ST_JSON_MAX (16u << 20)

static void st_json_strings(sg_buf *out, const char *const *v, size_t n)
{
	sg_buf_putc(out, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			sg_buf_putc(out, ',');
		sg_json_str(out, v[i]);
	}
	sg_buf_putc(out, ']');
}

static void st_json_rcpts(sg_buf *out, const st_rcpt *r, size_t n)
{
	sg_buf_putc(out, '[');
	for (size_t i = 0; i < n; i++) {
		sg_buf_puts(out, i ? ",{" : "{");
		sg_json_key(out, "addr");
		sg_json_str(out, r[i].addr);
		sg_buf_printf(out, ",\"external\":%s}",
			      r[i].external ? "true" : "false");
	}
	sg_buf_putc(out, ']');
}

/* ---- create ---- */

struct st_create {
	const st_hold_new *in;
	const char *id, *sender;
	sg_buf rcpts, cats, apps, detail;
	char created[ST_TIME_SIZE], expires[ST_TIME_SIZE];
	time_t created_t;
};

static void st_create_detail(struct st_create *c)
{
	const st_hold_new *in = c->in;
	size_t ext = 0;

	for (size_t i = 0; i < in->nrcpts; i++)
		ext += in->rcpts[i].external;
	sg_buf_puts(&c->detail, "{\"verdict\":");
	sg_json_str(&c->detail, in->verdict);
	sg_buf_puts(&c->detail, ",\"categories\":");
	sg_buf_puts(&c->detail, sg_buf_cstr(&c->cats));
	sg_buf_puts(&c->detail, ",\"sender\":");
	sg_json_str(&c->detail, c->sender);
	sg_buf_printf(&c->detail, ",\"recipients\":%zu,\"external\":%zu,"
		      "\"size\":%llu,\"required\":%u,\"expires\":", in->nrcpts, ext,
		      in->size, in->required ? in->required : 1);
	sg_json_str(&c->detail, in->expires ? c->expires : NULL);
	if (in->delay) {
		char rel[ST_TIME_SIZE];

		st_time_iso(in->release_t, rel);
		sg_buf_puts(&c->detail, ",\"kind\":\"delay\",\"release\":");
		sg_json_str(&c->detail, rel);
	}
	sg_buf_putc(&c->detail, '}');
}

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
}

static st_rc st_create_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_create *c = arg;
	sqlite3_stmt *s = st_prepare(st, st->db, "INSERT INTO holds (id,"
		" queue_id, sender, auth_login, from_addr, client_addr,"
		" recipients, subject, size, categories, verdict, findings,"
		" attachments, approvers, created, created_t, expires,"
		" expires_t, status, kind, release_t, required, names)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,json(?))",
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

static st_rc st_create_check(st_store *st, const st_hold_new *in, sg_buf *err)
{
	const char *what = NULL;

	if (in->queue_id == NULL || *in->queue_id == '\0')
		what = "queue id";
	else if (in->sender == NULL)
		what = "sender";
	else if (in->verdict == NULL || *in->verdict == '\0')
		what = "verdict";
	else if (in->nrcpts && in->rcpts == NULL)
		what = "recipients";
	else if (in->required > ST_REQUIRED_MAX)
		what = "sensible number of required approvals";
	if (what == NULL)
		return ST_OK;
	st_seterr(err, "store %s: hold without a %s", st->path, what);
	return ST_INVALID;
}

static char *st_lower(const char *s)
{
	char *p = sg_xstrdup(s);

	for (char *q = p; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return p;
}

st_rc st_sql_hold_create(st_store *st, const st_hold_new *in,
		     char id_out[ST_ID_SIZE], sg_buf *err)
{
	struct st_create c;
	char id[ST_ID_SIZE], *sender;
	st_rc rc;

	if ((rc = st_create_check(st, in, err)) != ST_OK)
		return rc;
	if (in->id != NULL) {
		if (!st_id_valid(in->id)) {
			st_seterr(err, "store %s: not a hold id: %.40s", st->path, in->id);
			return ST_INVALID;
		}
		snprintf(id, sizeof(id), "%s", in->id);
	} else if (st_new_id(id) < 0) {
		st_seterr(err, "store %s: getrandom: no random bytes for a hold id",
			  st->path);
		return ST_ERROR;
	}
	memset(&c, 0, sizeof(c));
	c.in = in;
	c.id = id;
	c.sender = sender = st_lower(in->sender);
	c.created_t = in->created ? in->created : time(NULL);
	st_time_iso(c.created_t, c.created);
	st_time_iso(in->expires, c.expires);
	sg_buf_init(&c.rcpts, ST_JSON_MAX);
	sg_buf_init(&c.cats, ST_JSON_MAX);
	sg_buf_init(&c.apps, ST_JSON_MAX);
	sg_buf_init(&c.detail, ST_JSON_MAX);
	st_json_rcpts(&c.rcpts, in->rcpts, in->nrcpts);
	st_json_strings(&c.cats, in->categories, in->ncategories);
	st_json_strings(&c.apps, in->approvers, in->napprovers);
	st_create_detail(&c);
	rc = st_tx(st, st_create_step, &c, err);
	if (rc == ST_OK)
		memcpy(id_out, id, sizeof(id));
	sg_buf_free(&c.rcpts);
	sg_buf_free(&c.cats);
	sg_buf_free(&c.apps);
	sg_buf_free(&c.detail);
	free(sender);
	return rc;
}

/* ---- read ---- */

static char **st_parse_strings(st_store *st, sqlite3 *db, const char *json,
			       size_t *n, sg_buf *err)
{
	sqlite3_stmt *s = st_prepare(st, db, "SELECT value FROM json_each(?)", err);
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (s == NULL)
		return NULL;
	st_bind_text(s, 1, json);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (*n + 1 >= cap)
			v = sg_xreallocarray(v, cap = cap ? cap * 2 : 4, sizeof(*v));
		v[(*n)++] = st_col_dup(s, 0);
	}
	sqlite3_finalize(s);
	return v;
}

static st_rcpt *st_parse_rcpts(st_store *st, sqlite3 *db, const char *json,
			       size_t *n, sg_buf *err)
{
	sqlite3_stmt *s = st_prepare(st, db, "SELECT json_extract(value, '$.addr'),"
				     " json_extract(value, '$.external')"
				     " FROM json_each(?)", err);
	st_rcpt *v = NULL;
	size_t cap = 0;

	*n = 0;
	if (s == NULL)
		return NULL;
	st_bind_text(s, 1, json);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (*n + 1 >= cap)
			v = sg_xreallocarray(v, cap = cap ? cap * 2 : 4, sizeof(*v));
		v[*n].addr = st_col_dup(s, 0);
		v[*n].external = sqlite3_column_int(s, 1) != 0;
		(*n)++;
	}
	sqlite3_finalize(s);
	return v;
}

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
}

static st_hold *st_hold_from_row(st_store *st, sqlite3 *db, sqlite3_stmt *s,
				 sg_buf *err)
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
	h->rcpts = st_parse_rcpts(st, db, h->recipients_json, &h->nrcpts, err);
	h->categories = st_parse_strings(st, db, h->categories_json,
					 &h->ncategories, err);
	h->approvers = st_parse_strings(st, db, h->approvers_json,
					&h->napprovers, err);
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
		*out = st_hold_from_row(st, st->db, s, err);
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
		h->reminded_at, h->escalated_at, h->approvals_json, h->names_json
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
		st_hold *h = st_hold_from_row(st, db, s, err);
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

/* Current state of a hold inside a transaction. */
struct st_state {
	st_status status;
	bool applied;
	char *queue_id, *decided_by, *decided_at, *reminded_at;
};

static void st_state_free(struct st_state *s)
{
	free(s->queue_id);
	free(s->decided_by);
	free(s->decided_at);
	free(s->reminded_at);
}

static st_rc st_state_read(st_store *st, const char *id, struct st_state *out,
			   sg_buf *err)
{
	sqlite3_stmt *s = st_prepare(st, st->db, "SELECT status, applied,"
				     " queue_id, decided_by, decided_at,"
				     " reminded_at FROM holds WHERE id = ?", err);
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

static const char *st_event_of(st_status s)
{
	static const char *const ev[] = {
		NULL, "approve", "reject", "withdraw", "expire"
	};
	return (unsigned)s < sizeof(ev) / sizeof(ev[0]) ? ev[s] : NULL;
}

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
	if (sqlite3_changes(st->db) != 1) {
		st_seterr(err, "store %s: hold %s needs approvals by several"
			  " approvers (st_hold_vote)", st->path, d->id);
		return ST_CONFLICT;
	}
	sg_buf_init(&detail, ST_JSON_MAX);
	sg_buf_puts(&detail, "{\"status\":");
	sg_json_str(&detail, st_status_name(d->status));
	sg_buf_puts(&detail, ",\"comment\":");
	sg_json_str(&detail, d->comment);
	sg_buf_putc(&detail, '}');
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

	if (rc == ST_OK && cur.status == ST_ARRIVING) {
		st_seterr(err, "store %s: hold %s is not confirmed yet (its queue"
			  " file has not been seen on hold): nothing can be decided",
			  st->path, d->id);
		rc = ST_CONFLICT;
	} else if (rc == ST_OK && cur.status != ST_PENDING) {
		st_seterr(err, "store %s: hold %s is already %s (by %s at %s)",
			  st->path, d->id, st_status_name(cur.status),
			  cur.decided_by ? cur.decided_by : "?",
			  cur.decided_at ? cur.decided_at : "?");
		rc = ST_CONFLICT;
	}
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

	if (id == NULL || by == NULL || *by == '\0' ||
	    st_event_of(new_status) == NULL) {
		st_seterr(err, "store %s: a decision needs a hold id, who decides"
			  " and a status other than pending", st->path);
		return ST_INVALID;
	}
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
	sg_buf_puts(&detail, "{\"status\":");
	sg_json_str(&detail, st_status_name(cur->status));
	sg_buf_puts(&detail, ",\"new_queue_id\":");
	sg_json_str(&detail, a->new_queue_id);
	sg_buf_putc(&detail, '}');
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

	if (rc == ST_OK && (cur.status == ST_PENDING || cur.status == ST_ARRIVING ||
			    cur.status == ST_NEVER_ARRIVED)) {
		st_seterr(err, "store %s: hold %s is %s: nothing to apply", st->path,
			  a->id, st_status_name(cur.status));
		rc = ST_CONFLICT;
	}
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

	if (rc == ST_OK && (cur.status != ST_PENDING || cur.reminded_at)) {
		st_seterr(err, "store %s: hold %s: %s", st->path, id,
			  cur.reminded_at ? "already reminded" : "no longer pending");
		rc = ST_CONFLICT;
	}
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

	/* A queue file committed after its hold was closed as never
	 * arrived (a commit slower than [release] arrival_timeout) still
	 * confirms it: the mail is on hold and must reach its approvers. */
	bool late = a->confirmed && rc == ST_OK && cur.status == ST_NEVER_ARRIVED;

	if (rc == ST_OK && cur.status != ST_ARRIVING && !late) {
		st_seterr(err, "store %s: hold %s is %s, not arriving", st->path, a->id,
			  st_status_name(cur.status));
		rc = ST_CONFLICT;
	}
	if (rc == ST_OK)
		rc = st_update(st, "UPDATE holds SET status = ?1 WHERE id = ?2"
			       " AND status IN ('arriving', 'never-arrived')", v, 2, err);
	/* Cancelled rows are only ever those of a never-arrived hold. */
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
		       " WHERE status = 'arriving'", NULL);	/* created_t 0 still counts */
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
		       " WHERE status = 'arriving' OR (?1 > 0 AND status ="
		       " 'never-arrived' AND created_t >= ?1)"
		       " ORDER BY created_t, rowid LIMIT ?2", err);
	if (s == NULL) {
		st_close_reader(db);
		return ST_ERROR;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)closed_since);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
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
static void st_release_conflict(st_store *st, const struct st_release *r,
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
	if (kind && strcmp(kind, "delay") != 0)
		st_seterr(err, "store %s: hold %s is held for approval, not delayed:"
			  " only an approver can release it", st->path, r->id);
	else if (status && strcmp(status, "pending") != 0)
		st_seterr(err, "store %s: hold %s is already %s (by %s)", st->path,
			  r->id, status, by ? by : "?");
	else
		st_seterr(err, "store %s: hold %s: its delay has not ended", st->path,
			  r->id);
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
			st_release_conflict(st, r, err);
			rc = ST_CONFLICT;
		}
		return rc;
	}
	if (rc == ST_OK) {
		snprintf(detail, sizeof(detail), "{\"status\":\"approved\",\"late_s\":%lld}",
			 r->why == ST_RELEASE_DUE && r->now > release_t ?
			 (long long)(r->now - release_t) : 0LL);
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

	if (id == NULL || by == NULL || *by == '\0') {
		st_seterr(err, "store %s: a release needs a hold id and who releases",
			  st->path);
		return ST_INVALID;
	}
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
		       " status = 'pending' AND release_t <= ?1"
		       " ORDER BY release_t, rowid LIMIT ?2", err);
	if (s == NULL) {
		st_close_reader(db);
		return ST_ERROR;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
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
		       " (applied = 0 AND status IN ('approved','rejected',"
		       "'withdrawn','expired')) OR (kind = 'delay' AND status ="
		       " 'pending' AND release_t <= ?1))", NULL);
	if (s) {
		sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
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
