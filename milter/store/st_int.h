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

struct st_store {
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
	bool lost_told;			/* st_lost_first() said it */
};

typedef st_rc (*st_tx_fn)(st_store *st, void *arg, sg_buf *err);

st_rc st_tx(st_store *st, st_tx_fn fn, void *arg, sg_buf *err);
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
/* The effective user's name, or "uid N". */
void st_effective_user(char *buf, size_t size);

#endif
