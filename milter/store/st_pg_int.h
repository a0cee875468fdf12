/*
 * NAME
 *	st_pg_int - what the PostgreSQL store's files share
 * SYNOPSIS
 *	#include "store/st_int.h"
 *	#include "store/st_pg_int.h"
 * DESCRIPTION
 *	st_pg.c owns the connection, the transactions and the audit chain;
 *	st_pg_*.c implement the rest of st.h on them. Every write is one
 *	st_pg_tx() (BEGIN, fn, COMMIT; retried on serialization failure
 *	or deadlock); an audit record that belongs to a change is appended
 *	by st_pg_append_tx() inside the same transaction, so the change and
 *	its record commit or roll back together, as on SQLite.
 */
#ifndef ST_PG_INT_H
#define ST_PG_INT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

#include "store/st_int.h"

typedef struct st_pg {
	PGconn *conn;
	char *dsn;		/* for reconnecting and the reader connections */
	/* Reconnecting (st_pg_ready), under st->mu: one thread dials
	 * with the mutex released while the others fail at once. */
	bool dialling;
	struct timespec next_dial;	/* CLOCK_MONOTONIC: no dial before */
	unsigned pause_s;		/* the next pause after a failed dial */
} st_pg;

/* A dial that fails waits 1 s, then 2, 4, ... up to this, before the
 * next one: a server that is down costs one refused connect per pause,
 * and one that comes back is found within this many seconds. */
#define ST_PG_RETRY_MAX_S 4
/* connect_timeout when the DSN has none (libpq's default is to wait
 * for ever: a host that drops packets would hold every thread that
 * waits for the store). */
#define ST_PG_CONNECT_TIMEOUT "5"
/* tcp_user_timeout (ms) when the DSN has none (st_pg_dial). */
#define ST_PG_TCP_USER_TIMEOUT "15000"

/* A new connection to dsn, set up as the store expects (UTF8, warnings
 * only); NULL with err = "store NAME: cannot connect: ...". */
PGconn *st_pg_dial(const char *dsn, const char *name, sg_buf *err);

/* The handle's connection (use under st->mu: inside st_pg_tx). */
PGconn *st_pg_conn(st_store *st);
/* err = "store NAME: what: libpq's message"; ST_BUSY for serialization
 * failure, deadlock and lock not available, ST_INVALID for a CHECK
 * violation (as SQLite), else ST_ERROR. */
st_rc st_pg_err(st_store *st, const PGresult *r, const char *what, sg_buf *err);
/* sql with n text parameters (NULL: SQL NULL; cast in the SQL:
 * $1::bigint). *out (when not NULL) gets a query's result, to
 * PQclear(). */
st_rc st_pg_exec(st_store *st, const char *sql, int n, const char *const *params,
		 PGresult **out, const char *what, sg_buf *err);
/* Fixed SQL without parameters (PQexec; several statements allowed). */
st_rc st_pg_simple(st_store *st, const char *sql, const char *what, sg_buf *err);

typedef st_rc (*st_pg_fn)(st_store *st, void *arg, sg_buf *err);
/* One transaction under the handle's mutex: fn between BEGIN and
 * COMMIT, ROLLBACK when it fails; ST_BUSY outcomes retried as a whole,
 * a bounded number of times. fn must be safe to run again. */
st_rc st_pg_tx(st_store *st, st_pg_fn fn, void *arg, sg_buf *err);

/* The advisory lock key that serialises audit appends (and the
 * retention purge's read of the chain). */
#define ST_PG_AUDIT_LOCK "20200001"

struct st_pg_append {
	const char *event, *hold_id, *queue_id, *actor, *unix_user, *detail;
};
/* Inside st_pg_tx: the next audit record of the chain (advisory lock
 * held to COMMIT). */
st_rc st_pg_append_tx(st_store *st, const struct st_pg_append *a, sg_buf *err);
/* A read outside st_pg_tx (one statement), under the handle's mutex. */
st_rc st_pg_read(st_store *st, const char *sql, int n, const char *const *params,
		 PGresult **out, const char *what, sg_buf *err);
/* A long list in pages of ST_PG_PAGE rows keyed by column 0 (a bigint
 * the SQL orders by ascending and starts after: its last parameter
 * $n, which st_pg_pages supplies; params[0..n-1) are the others;
 * "LIMIT 1000"). fn(result, row, ctx) per row, outside the mutex;
 * non-zero stops. */
#define ST_PG_PAGE 1000
#define ST_PG_PAGE_PARAMS 8
typedef int (*st_pg_row_fn)(const PGresult *r, int row, void *ctx);
st_rc st_pg_pages(st_store *st, const char *sql, int n, const char *const *params,
		  st_pg_row_fn fn, void *ctx, const char *what, sg_buf *err);
/* Rows a command changed (PQcmdTuples). */
long st_pg_changes(PGresult *r);
/* v as decimal text in buf: a parameter ($1::bigint). */
const char *st_pg_num(char buf[32], long long v);
/* A column's text, NULL for SQL NULL. */
const char *st_pg_val(const PGresult *r, int row, int col);

/* Inside st_pg_tx: adds notices to the outbox, state waiting (the hold
 * is not confirmed yet) or ready; as st_outbox_insert_tx on SQLite
 * (st_pg_outbox.c). */
st_rc st_pg_outbox_insert_tx(st_store *st, const char *hold_id, const char *queue_id,
			     const st_notice_new *n, size_t count, bool waiting,
			     sg_buf *err);

#endif
