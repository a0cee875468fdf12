/*
 * NAME
 *	st_int - what the store's files share, never included outside
 *	milter/store/
 * DESCRIPTION
 *	st_tx() is the only way to write: it runs a step function inside
 *	BEGIN IMMEDIATE ... COMMIT under the handle's mutex and retries
 *	the whole transaction on SQLITE_BUSY until the busy timeout. A
 *	step returns ST_BUSY (from st_sqlerr) to ask for the retry, any
 *	other non-OK code to roll back and give up.
 */
#ifndef ST_INT_H
#define ST_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <sys/types.h>

#include "store/st.h"

/* The backend interface. Every public function of st.h that touches
 * the database is one entry: X(return type, name, parameters,
 * arguments). st_be.c defines st_NAME() as a call through the
 * handle's table; SQLite's implementations are st_sql_NAME() (st_db.c,
 * st_hold.c, ...), PostgreSQL's st_pg_NAME() (st_pg*.c). A new store
 * function is added here, and to each backend. */
#define ST_BACKEND_OPS(X) \
	X(int, schema_version, (st_store *st), (st)) \
	X(st_rc, hold_create, (st_store *st, const st_hold_new *in, char id_out[ST_ID_SIZE], sg_buf *err), (st, in, id_out, err)) \
	X(st_rc, hold_get, (st_store *st, const char *id, st_hold **out, sg_buf *err), (st, id, out, err)) \
	X(st_rc, hold_find_queue_id, (st_store *st, const char *queue_id, st_hold **out, sg_buf *err), (st, queue_id, out, err)) \
	X(st_rc, hold_list, (st_store *st, const st_status *status, st_hold_cb cb, void *ctx, sg_buf *err), (st, status, cb, ctx, err)) \
	X(st_rc, hold_decide, (st_store *st, const char *id, st_status new_status, const char *by, const char *comment, const char *unix_user, sg_buf *err), (st, id, new_status, by, comment, unix_user, err)) \
	X(st_rc, hold_set_applied, (st_store *st, const char *id, const char *new_queue_id, const char *actor, const char *unix_user, sg_buf *err), (st, id, new_queue_id, actor, unix_user, err)) \
	X(st_rc, hold_release, (st_store *st, const char *id, st_release_why why, const char *by, const char *unix_user, time_t now, sg_buf *err), (st, id, why, by, unix_user, now, err)) \
	X(st_rc, hold_due, (st_store *st, time_t now, size_t max, char (**out)[ST_ID_SIZE], size_t *nout, sg_buf *err), (st, now, max, out, nout, err)) \
	X(bool, hold_work, (st_store *st, time_t now), (st, now)) \
	X(long long, data_version, (st_store *st), (st)) \
	X(st_rc, hold_confirm, (st_store *st, const char *id, const char *actor, const char *detail_json, sg_buf *err), (st, id, actor, detail_json, err)) \
	X(st_rc, hold_never_arrived, (st_store *st, const char *id, const char *actor, const char *detail_json, sg_buf *err), (st, id, actor, detail_json, err)) \
	X(st_rc, preview_get, (st_store *st, const char *id, time_t now, char **out, sg_buf *err), (st, id, now, out, err)) \
	X(st_rc, preview_purge, (st_store *st, time_t now, size_t *n, sg_buf *err), (st, now, n, err)) \
	X(st_rc, preview_count, (st_store *st, size_t *n, sg_buf *err), (st, n, err)) \
	X(st_rc, hold_arrivals, (st_store *st, time_t closed_since, size_t max, st_arrival **out, size_t *nout, sg_buf *err), (st, closed_since, max, out, nout, err)) \
	X(time_t, hold_oldest_arriving, (st_store *st), (st)) \
	X(st_rc, hold_mark_reminded, (st_store *st, const char *id, sg_buf *err), (st, id, err)) \
	X(st_rc, hold_vote, (st_store *st, const char *id, const st_vote *v, st_vote_out *out, sg_buf *err), (st, id, v, out, err)) \
	X(st_rc, approval_list, (st_store *st, const char *hold_id, st_approval_cb cb, void *ctx, sg_buf *err), (st, hold_id, cb, ctx, err)) \
	X(st_rc, hold_mark_escalated, (st_store *st, const char *id, const char *detail_json, sg_buf *err), (st, id, detail_json, err)) \
	X(st_rc, delegate_add, (st_store *st, const char *principal, const char *delegate, time_t since_t, time_t until_t, const char *created_by, const char *unix_user, long long *id_out, sg_buf *err), (st, principal, delegate, since_t, until_t, created_by, unix_user, id_out, err)) \
	X(st_rc, delegate_revoke, (st_store *st, long long id, const char *by, const char *unix_user, sg_buf *err), (st, id, by, unix_user, err)) \
	X(st_rc, delegate_list, (st_store *st, const char *principal, time_t now, st_delegation_cb cb, void *ctx, sg_buf *err), (st, principal, now, cb, ctx, err)) \
	X(bool, delegate_active, (st_store *st, const char *principal, const char *delegate, time_t now), (st, principal, delegate, now)) \
	X(st_rc, audit_append, (st_store *st, const char *event, const char *hold_id, const char *queue_id, const char *actor, const char *unix_user, const char *detail_json, sg_buf *err), (st, event, hold_id, queue_id, actor, unix_user, detail_json, err)) \
	X(st_rc, audit_append_batch, (st_store *st, const st_audit_new *recs, size_t n, sg_buf *err), (st, recs, n, err)) \
	X(st_rc, audit_verify, (st_store *st, size_t *nrecords, size_t *bad_seq, sg_buf *err), (st, nrecords, bad_seq, err)) \
	X(st_rc, purge, (st_store *st, time_t before, st_purge_counts *n, sg_buf *err), (st, before, n, err)) \
	X(st_rc, audit_list, (st_store *st, const char *hold_id, time_t since, st_audit_cb cb, void *ctx, sg_buf *err), (st, hold_id, since, cb, ctx, err)) \
	X(int, nonce_use, (st_store *st, const char *nonce, time_t now, long ttl, sg_buf *err), (st, nonce, now, ttl, err)) \
	X(st_rc, outbox_add, (st_store *st, const char *hold_id, const char *queue_id, const st_notice_new *n, size_t count, sg_buf *err), (st, hold_id, queue_id, n, count, err)) \
	X(st_rc, outbox_claim, (st_store *st, const char *owner, time_t now, long lease_s, size_t max, st_notice ***out, size_t *nout, sg_buf *err), (st, owner, now, lease_s, max, out, nout, err)) \
	X(st_rc, outbox_sent, (st_store *st, long long id, const char *actor, sg_buf *err), (st, id, actor, err)) \
	X(st_rc, outbox_retry, (st_store *st, long long id, const char *owner, time_t next_t, const char *error, sg_buf *err), (st, id, owner, next_t, error, err)) \
	X(st_rc, outbox_fail, (st_store *st, long long id, const char *actor, const char *error, sg_buf *err), (st, id, actor, error, err)) \
	X(st_rc, outbox_list, (st_store *st, bool all, st_notice_cb cb, void *ctx, sg_buf *err), (st, all, cb, ctx, err)) \
	X(st_rc, outbox_lessees, (st_store *st, st_owner_cb cb, void *ctx, sg_buf *err), (st, cb, ctx, err)) \
	X(long, outbox_unlease, (st_store *st, const char *owner, sg_buf *err), (st, owner, err)) \
	X(time_t, outbox_next_due, (st_store *st), (st)) \
	X(st_rc, gateway_retire, (st_store *st, const st_retire *r, size_t *count, sg_buf *err), (st, r, count, err))

#define ST_OP_FIELD(ret, name, params, args) ret (*name) params;
typedef struct st_ops {
	const char *name;		/* "sqlite", "postgresql" */
	bool complete;			/* every function works (st_backend_complete) */
	void (*close)(st_store *st);
	ST_BACKEND_OPS(ST_OP_FIELD)
} st_ops;
#undef ST_OP_FIELD

#define ST_OP_DECL_SQL(ret, name, params, args) ret st_sql_##name params;
ST_BACKEND_OPS(ST_OP_DECL_SQL)
#undef ST_OP_DECL_SQL
void st_sql_close(st_store *st);
extern const st_ops st_sql_ops;

#define ST_OP_DECL_PG(ret, name, params, args) ret st_pg_##name params;
ST_BACKEND_OPS(ST_OP_DECL_PG)
#undef ST_OP_DECL_PG
void st_pg_close(st_store *st);
extern const st_ops st_pg_ops;
/* st_pg.c: connect to dsn; open refuses a schema older or newer than
 * ST_SCHEMA_VERSION, create makes it in an empty database (and opens
 * an existing one as open does), migrate brings an older one up
 * (*from: the version found). */
st_store *st_pg_open(const char *dsn, sg_buf *err);
st_store *st_pg_create(const char *dsn, sg_buf *err);
st_store *st_pg_migrate(const char *dsn, const char *gateway, int *from,
			 sg_buf *err);
/* st_db.c: st_open() and st_create() for a gateway (NULL: the host
 * name), which a migration to schema 7 gives the holds made before. */
st_store *st_sql_open_gw(const char *path, const char *gateway, sg_buf *err);
st_store *st_sql_create_gw(const char *path, const char *gateway, sg_buf *err);
/* st_be.c: st->gateway = gateway, or the host name for NULL; -1 (err
 * filled) when gateway is not a gateway name. */
int st_set_gateway(st_store *st, const char *gateway, sg_buf *err);

/* st_rescue.c: copy the store as st->db still reads it to a new file
 * PATH.rescued-STAMP-PID beside the path; 0 and saved = that path, or
 * -1 and saved = why (no file left). Under st->mu, outside a
 * transaction. */
int st_rescue_copy(st_store *st, sg_buf *saved);

/* Statements kept prepared per store (st_cached). */
#define ST_CACHE_MAX 8

struct st_store {
	const st_ops *be;		/* the backend that opened it */
	void *pg;			/* st_pg.c's connection state, or NULL */
	sqlite3 *db;
	char *path;
	pthread_mutex_t mu;
	/* Identity (st_db.c, st_check): what was opened, so that a store
	 * deleted, replaced, truncated or stripped of its WAL under a
	 * running process is noticed on the next transaction. */
	char id[ST_ID_SIZE];		/* meta store_id */
	dev_t dev, wal_dev;
	ino_t ino, wal_ino;
	bool wal_known;
	bool ident;			/* the above are set: check them */
	long long max_size;		/* the file never shrinks (no VACUUM) */
	char *lost;			/* why it is not ours any more, or NULL */
	/* st_config.gateway or the host name (st_be.c, st_set_gateway). */
	char gateway[SG_GATEWAY_SIZE];
	bool lost_told;			/* st_lost_first() said it */
	/* PostgreSQL: the server was not reached on the last try
	 * (st_unreachable); read without the mutex, hence atomic. */
	_Atomic bool unreachable;
	/* PostgreSQL: how long a statement may go without an answer
	 * before the connection is dropped (st_set_patience); 0: wait. */
	unsigned patience_ms;
	/* SQLite: statements of every transaction, prepared once
	 * (st_cached); used and reset under mu, finalised at close. */
	struct st_cache_ent {
		const char *sql;	/* a string literal: keyed by address */
		sqlite3_stmt *s;
	} cache[ST_CACHE_MAX];
	size_t ncache;
};

/* What the schema-7 triggers say when a write touches an orphaned
 * hold (st_sqlerr, st_pg_err: ST_CONFLICT). */
#define ST_ORPHANED_MSG "hold is orphaned: its gateway was retired"

typedef st_rc (*st_tx_fn)(st_store *st, void *arg, sg_buf *err);

st_rc st_tx(st_store *st, st_tx_fn fn, void *arg, sg_buf *err);
/* Like st_prepare, but on st->db (under st->mu) the statement for SQL,
 * a string literal, is prepared once and kept: the per-message ones
 * (the audit chain's head and insert, the store id check) were
 * re-parsed by every transaction. Give it back with st_cached_done
 * (reset, bindings cleared; finalised when not kept). */
sqlite3_stmt *st_cached(st_store *st, sqlite3 *db, const char *sql, sg_buf *err);
void st_cached_done(st_store *st, sqlite3 *db, sqlite3_stmt *s);
/* Under st->mu (or on a private reader connection): ST_OK while the
 * file at st->path is still the store that was opened, ST_LOST (err
 * says why, and st->lost remembers it) when not. */
st_rc st_check(st_store *st, sqlite3 *db, sg_buf *err);
/* Fills err with "store PATH: what: sqlite message" and maps the
 * SQLite code: BUSY/LOCKED -> ST_BUSY, everything else ST_ERROR. */
st_rc st_sqlerr(st_store *st, sqlite3 *db, const char *what, sg_buf *err);
void st_seterr(sg_buf *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Opens a second connection for a long read (list, verify). */
sqlite3 *st_open_reader(st_store *st, sg_buf *err);
void st_close_reader(sqlite3 *db);

/* sqlite3_prepare_v2 with the error filled in. NULL on error. */
sqlite3_stmt *st_prepare(st_store *st, sqlite3 *db, const char *sql,
			 sg_buf *err);
/* Binds NULL for a NULL string. */
int st_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Copies column i (NULL stays NULL). */
char *st_col_dup(sqlite3_stmt *s, int i);

/* Inside a transaction: appends one audit record to the chain. */
st_rc st_audit_append_tx(st_store *st, const char *event,
			 const char *hold_id, const char *queue_id,
			 const char *actor, const char *unix_user,
			 const char *detail_json, sg_buf *err);
/* Inside a transaction: adds notices to the outbox, state waiting
 * (the hold is not confirmed yet) or ready. */
st_rc st_outbox_insert_tx(st_store *st, const char *hold_id,
			  const char *queue_id, const st_notice_new *n,
			  size_t count, bool waiting, sg_buf *err);
/* Inside a transaction: the hold's sealed preview (st_preview.c). */
st_rc st_preview_insert_tx(st_store *st, const char *hold_id,
			   const char *sealed, time_t created_t,
			   time_t expires_t, sg_buf *err);
/* The audit chain's starting point: the newest retention anchor's
 * seq and hash (st_purge.c), or 0 and the genesis value. */
st_rc st_audit_anchor(st_store *st, sqlite3 *db, long long *seq,
		      char hash[65], sg_buf *err);
/* Hex SHA-256 of a record's prev_hash and canonical fields. */
void st_audit_hash(const char *prev_hash, const st_audit_rec *r,
		   char hex[65]);
/* st_common.c: what both backends check and write alike (the audit
 * details are hashed bytes: one writer for both). */
#define ST_VOTE_JSON_MAX (1u << 20)
#define ST_CLAIM_MAX 256		/* notices claimed per transaction */
/* ST_INVALID (err filled) for a vote without hold id, principal,
 * actor or recorded_as, or with ticks that are not an array. */
st_rc st_vote_args(st_store *st, const char *id, const st_vote *v, sg_buf *err);
/* "approve", "approve-partial" or "reject". */
const char *st_vote_event(const st_vote *v, bool decided);
void st_vote_detail(sg_buf *d, const st_vote *v, bool decided, unsigned count,
		    unsigned required);
/* Why a vote changed nothing, from the hold as read (status NULL: no
 * such hold, ST_NOTFOUND) and the earlier vote of this principal or
 * actor (voted): ST_CONFLICT. */
st_rc st_vote_refused(st_store *st, const char *id, const char *status,
		      const char *kind, const char *decided_by,
		      const char *decided_at, bool voted, const char *voted_as,
		      const char *voted_at, sg_buf *err);
st_rc st_deleg_args(st_store *st, const char *principal, const char *delegate,
		    time_t since_t, time_t until_t, const char *created_by,
		    sg_buf *err);
void st_deleg_detail(sg_buf *d, long long id, const char *principal,
		     const char *delegate, const char *until);
void st_revoke_detail(char buf[64], long long id);
/* A-Z to a-z in place, as SQLite's lower(). */
void st_ascii_lower(char *s);
st_notice_state st_notice_state_parse(const char *s);
/* Frees v[0..n) and v. */
void st_notices_free(st_notice **v, size_t n);
/* Whether a new notice has what it needs; st_notice_bad() says not. */
bool st_notice_ok(const st_notice_new *n, const char *hold_id);
st_rc st_notice_bad(st_store *st, sg_buf *err);
void st_notice_detail(sg_buf *d, const char *kind, const char *rcpt,
		      const char *message_id, const char *error);
/* max of a claim: 0 or more than ST_CLAIM_MAX is ST_CLAIM_MAX. */
size_t st_claim_max(size_t max);
/* The retention anchor's detail (st_purge.c, st_pg_purge.c). */
void st_purge_detail(sg_buf *d, time_t before, long long through_seq,
		     const char *through_hash, const st_purge_counts *n);

/* The effective user's name, or "uid N". */
void st_effective_user(char *buf, size_t size);

#endif
