/*
 * NAME
 *	st_audit - the append-only, hash-chained audit log
 * SYNOPSIS
 *	#include "store/st.h"
 *
 *	st_rc st_audit_append(st, event, hold_id, queue_id, actor,
 *			      unix_user, detail_json, err);
 *	st_rc st_audit_append_batch(st, recs, n, err);
 *	st_rc st_audit_verify(st, &nrecords, &bad_seq, err);
 *	st_rc st_audit_list(st, hold_id, since, cb, ctx, err);
 * DESCRIPTION
 *	Every verdict on outbound mail and every change of a hold is one
 *	record. A record's hash covers the previous record's hash and its
 *	own fields (st.h says exactly how), so that changing, inserting or
 *	removing a record in the middle breaks the chain at that record.
 *	The next seq and prev_hash are read inside the writer's BEGIN
 *	IMMEDIATE transaction: two writers, threads or processes, can
 *	never chain to the same record.
 *
 *	This module must never store evidence: detail is what the caller
 *	passes, and callers pass categories, counts and masked values only.
 * DIAGNOSTICS
 *	See st.h. st_audit_verify() names the first bad record and why.
 */
#include "store/st_int.h"

#include <inttypes.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>

/* "<length>:<bytes>" keeps fields apart whatever bytes they hold; "~"
 * (no colon) marks NULL, which is thereby distinct from "". */
static void st_hash_field(struct sha256_ctx *c, const char *v)
{
	char len[32];

	if (v == NULL) {
		sha256_update(c, 1, (const uint8_t *)"~");
		return;
	}
	snprintf(len, sizeof(len), "%zu:", strlen(v));
	sha256_update(c, strlen(len), (const uint8_t *)len);
	sha256_update(c, strlen(v), (const uint8_t *)v);
}

void st_audit_hash(const char *prev_hash, const st_audit_rec *r, char hex[65])
{
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];
	char num[32];

	sha256_init(&c);
	st_hash_field(&c, prev_hash);
	snprintf(num, sizeof(num), "%lld", r->seq);
	st_hash_field(&c, num);
	st_hash_field(&c, r->ts);
	snprintf(num, sizeof(num), "%lld", (long long)r->ts_t);
	st_hash_field(&c, num);
	st_hash_field(&c, r->event);
	st_hash_field(&c, r->hold_id);
	st_hash_field(&c, r->queue_id);
	st_hash_field(&c, r->actor);
	st_hash_field(&c, r->unix_user);
	st_hash_field(&c, r->detail);
	sha256_digest(&c, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* The chain's head: last seq and hash, or 0 and the genesis value. */
static st_rc st_audit_head(st_store *st, long long *seq, char prev[65], sg_buf *err)
{
	sqlite3_stmt *s = st_cached(st, st->db, "SELECT seq, hash FROM audit"
				    " ORDER BY seq DESC LIMIT 1", err);
	int r;

	if (s == NULL)
		return ST_ERROR;
	*seq = 0;
	snprintf(prev, 65, "%s", ST_AUDIT_GENESIS);
	if ((r = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(s, 1);

		/* A NULL hash (tampering) still chains: verify will tell. */
		*seq = sqlite3_column_int64(s, 0);
		snprintf(prev, 65, "%s", h ? (const char *)h : "");
	}
	st_cached_done(st, st->db, s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return st_sqlerr(st, st->db, "read the audit chain's head", err);
	return ST_OK;
}

static st_rc st_audit_insert(st_store *st, const st_audit_rec *r, sg_buf *err)
{
	sqlite3_stmt *s = st_cached(st, st->db, "INSERT INTO audit (seq, ts,"
				    " ts_t, event, hold_id, queue_id, actor,"
				    " unix_user, detail, prev_hash, hash)"
				    " VALUES (?,?,?,?,?,?,?,?,?,?,?)", err);
	st_rc rc = ST_OK;

	if (s == NULL)
		return ST_ERROR;
	sqlite3_bind_int64(s, 1, r->seq);
	st_bind_text(s, 2, r->ts);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)r->ts_t);
	st_bind_text(s, 4, r->event);
	st_bind_text(s, 5, r->hold_id);
	st_bind_text(s, 6, r->queue_id);
	st_bind_text(s, 7, r->actor);
	st_bind_text(s, 8, r->unix_user);
	st_bind_text(s, 9, r->detail);
	st_bind_text(s, 10, r->prev_hash);
	st_bind_text(s, 11, r->hash);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = st_sqlerr(st, st->db, "append an audit record", err);
	st_cached_done(st, st->db, s);
	return rc;
}

st_rc st_audit_append_tx(st_store *st, const char *event, const char *hold_id,
			 const char *queue_id, const char *actor,
			 const char *unix_user, const char *detail_json,
			 sg_buf *err)
{
	char prev[65], hash[65], ts[ST_TIME_SIZE], user[128];
	st_audit_rec r;
	st_rc rc;

	memset(&r, 0, sizeof(r));
	if ((rc = st_audit_head(st, &r.seq, prev, err)) != ST_OK)
		return rc;
	if (unix_user == NULL)
		st_effective_user(user, sizeof(user));
	r.seq++;
	r.ts_t = time(NULL);
	st_time_iso(r.ts_t, ts);
	r.ts = ts;
	r.event = event;
	r.hold_id = hold_id;
	r.queue_id = queue_id;
	r.actor = actor;
	r.unix_user = unix_user ? unix_user : user;
	r.detail = detail_json ? detail_json : "{}";
	r.prev_hash = prev;
	st_audit_hash(prev, &r, hash);
	r.hash = hash;
	return st_audit_insert(st, &r, err);
}

struct st_append_args {
	const char *event, *hold_id, *queue_id, *actor, *unix_user, *detail;
};

static st_rc st_audit_append_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_append_args *a = arg;

	return st_audit_append_tx(st, a->event, a->hold_id, a->queue_id,
				  a->actor, a->unix_user, a->detail, err);
}

st_rc st_sql_audit_append(st_store *st, const char *event, const char *hold_id,
		      const char *queue_id, const char *actor,
		      const char *unix_user, const char *detail_json,
		      sg_buf *err)
{
	struct st_append_args a = { event, hold_id, queue_id, actor,
				    unix_user, detail_json };

	if (event == NULL || *event == '\0') {
		st_seterr(err, "store %s: audit record without an event",
			  st->path);
		return ST_INVALID;
	}
	return st_tx(st, st_audit_append_step, &a, err);
}

struct st_batch_args {
	const st_audit_new *recs;
	size_t n;
};

/* The head is read once (the transaction holds the write lock, so it
 * cannot move), then the records chain on one another in their order. */
static st_rc st_audit_batch_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_batch_args *a = arg;
	char prev[65], hash[65], ts[ST_TIME_SIZE], user[128];
	long long seq;
	st_audit_rec r;
	st_rc rc;

	if ((rc = st_audit_head(st, &seq, prev, err)) != ST_OK)
		return rc;
	st_effective_user(user, sizeof(user));
	for (size_t i = 0; i < a->n; i++) {
		const st_audit_new *in = &a->recs[i];

		memset(&r, 0, sizeof(r));
		r.seq = ++seq;
		r.ts_t = time(NULL);
		st_time_iso(r.ts_t, ts);
		r.ts = ts;
		r.event = in->event;
		r.hold_id = in->hold_id;
		r.queue_id = in->queue_id;
		r.actor = in->actor;
		r.unix_user = in->unix_user ? in->unix_user : user;
		r.detail = in->detail_json ? in->detail_json : "{}";
		r.prev_hash = prev;
		st_audit_hash(prev, &r, hash);
		r.hash = hash;
		if ((rc = st_audit_insert(st, &r, err)) != ST_OK)
			return rc;
		memcpy(prev, hash, sizeof(prev));
	}
	return ST_OK;
}

st_rc st_sql_audit_append_batch(st_store *st, const st_audit_new *recs, size_t n,
				sg_buf *err)
{
	struct st_batch_args a = { recs, n };

	if (n == 0)
		return ST_OK;
	/* Checked before the transaction: one bad record must not cost
	 * the others a rollback after they were hashed. */
	for (size_t i = 0; i < n; i++)
		if (recs[i].event == NULL || *recs[i].event == '\0') {
			st_seterr(err, "store %s: audit record without an event",
				  st->path);
			return ST_INVALID;
		}
	return st_tx(st, st_audit_batch_step, &a, err);
}

static void st_audit_row(sqlite3_stmt *s, st_audit_rec *r)
{
	r->seq = sqlite3_column_int64(s, 0);
	r->ts = (const char *)sqlite3_column_text(s, 1);
	r->ts_t = (time_t)sqlite3_column_int64(s, 2);
	r->event = (const char *)sqlite3_column_text(s, 3);
	r->hold_id = (const char *)sqlite3_column_text(s, 4);
	r->queue_id = (const char *)sqlite3_column_text(s, 5);
	r->actor = (const char *)sqlite3_column_text(s, 6);
	r->unix_user = (const char *)sqlite3_column_text(s, 7);
	r->detail = (const char *)sqlite3_column_text(s, 8);
	r->prev_hash = (const char *)sqlite3_column_text(s, 9);
	r->hash = (const char *)sqlite3_column_text(s, 10);
}

#define ST_AUDIT_COLS "seq, ts, ts_t, event, hold_id, queue_id, actor," \
		      " unix_user, detail, prev_hash, hash"

/* NULL when the record verifies against the expected seq and link,
 * else why not. */
static const char *st_audit_check(const st_audit_rec *r, long long want_seq,
				  const char *want_prev)
{
	char hex[65];

	if (r->seq != want_seq)
		return "sequence gap (a record before it is missing)";
	if (r->prev_hash == NULL || strcmp(r->prev_hash, want_prev) != 0)
		return "prev_hash does not match the previous record";
	st_audit_hash(want_prev, r, hex);
	if (r->hash == NULL || strcmp(r->hash, hex) != 0)
		return "hash does not match its fields (record changed)";
	return NULL;
}

static st_rc st_audit_walk(st_store *st, sqlite3 *db, size_t *n, size_t *bad,
			   sg_buf *err)
{
	sqlite3_stmt *s = st_prepare(st, db, "SELECT " ST_AUDIT_COLS
				     " FROM audit ORDER BY seq", err);
	char prev[65];
	long long base;
	st_audit_rec r;
	const char *why = NULL;
	int step;

	if (s == NULL)
		return ST_ERROR;
	/* After a retention purge the chain starts after the newest
	 * anchor's record (st_purge.c), else at the genesis value. */
	if (st_audit_anchor(st, db, &base, prev, err) != ST_OK) {
		sqlite3_finalize(s);
		return ST_ERROR;
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		st_audit_row(s, &r);
		if ((why = st_audit_check(&r, base + (long long)*n + 1, prev)) != NULL) {
			*bad = r.seq > 0 ? (size_t)r.seq : (size_t)base + *n + 1;
			st_seterr(err, "store %s: audit record %lld: %s", st->path,
				  r.seq, why);
			break;
		}
		snprintf(prev, sizeof(prev), "%s", r.hash);	/* checked non-NULL */
		(*n)++;
	}
	sqlite3_finalize(s);
	if (why)
		return ST_CORRUPT;
	if (step != SQLITE_DONE)
		return st_sqlerr(st, db, "read the audit log", err);
	return ST_OK;
}

st_rc st_sql_audit_verify(st_store *st, size_t *nrecords, size_t *bad_seq,
		      sg_buf *err)
{
	sqlite3 *db = st_open_reader(st, err);
	size_t n = 0, bad = 0;
	st_rc rc;

	if (db == NULL)
		return ST_ERROR;
	/* One read transaction: a consistent snapshot while writers go on. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		rc = st_sqlerr(st, db, "begin read", err);
	else
		rc = st_audit_walk(st, db, &n, &bad, err);
	st_close_reader(db);
	if (nrecords)
		*nrecords = n;
	if (bad_seq)
		*bad_seq = bad;
	return rc;
}

st_rc st_sql_audit_list(st_store *st, const char *hold_id, time_t since,
		    st_audit_cb cb, void *ctx, sg_buf *err)
{
	sqlite3 *db = st_open_reader(st, err);
	sqlite3_stmt *s;
	st_audit_rec r;
	st_rc rc = ST_OK;
	int step;

	if (db == NULL)
		return ST_ERROR;
	s = st_prepare(st, db, "SELECT " ST_AUDIT_COLS " FROM audit WHERE"
		       " (?1 IS NULL OR hold_id = ?1) AND ts_t >= ?2"
		       " ORDER BY seq", err);
	if (s == NULL) {
		st_close_reader(db);
		return ST_ERROR;
	}
	st_bind_text(s, 1, hold_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)since);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		st_audit_row(s, &r);
		if (cb(&r, ctx) != 0)
			break;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = st_sqlerr(st, db, "read the audit log", err);
	sqlite3_finalize(s);
	st_close_reader(db);
	return rc;
}
