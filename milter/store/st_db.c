/*
 * NAME
 *	st_db - open the store, migrate its schema, run write transactions
 * SYNOPSIS
 *	#include "store/st.h"
 *
 *	st_store *st_open(const char *path, sg_buf *err);
 *	void st_close(st_store *st);
 * DESCRIPTION
 *	Owns the connection settings (WAL, synchronous=FULL, busy timeout,
 *	foreign keys), the schema and its migrations, and st_tx(), the one
 *	way the store writes. Schema steps are applied in order inside one
 *	BEGIN IMMEDIATE transaction, so a milter and a sendguardctl that
 *	open a new file at the same moment cannot both create it, and a
 *	failed migration leaves the file as it was.
 *
 *	To add schema version N: append a step { N, st_schema_vN } to
 *	st_steps[] and raise ST_SCHEMA_VERSION in st.h.
 * DIAGNOSTICS
 *	st_open() returns NULL with err naming the path and what failed.
 */
#include "store/st_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/sg_mem.h"

/* Version 1: holds, the audit chain, notice nonces. The CHECKs make
 * the database itself refuse a status we do not know or JSON that
 * would break `list --json`; the triggers make the audit log
 * append-only for anyone who writes through SQLite. */
static const char st_schema_v1_sql[] =
	"CREATE TABLE holds ("
	" id TEXT PRIMARY KEY,"
	" queue_id TEXT NOT NULL,"
	" sender TEXT NOT NULL,"
	" auth_login TEXT, from_addr TEXT, client_addr TEXT,"
	" recipients TEXT NOT NULL CHECK (json_valid(recipients)"
	"   AND json_type(recipients) = 'array'),"
	" subject TEXT,"
	" size INTEGER NOT NULL DEFAULT 0,"
	" categories TEXT NOT NULL CHECK (json_valid(categories)"
	"   AND json_type(categories) = 'array'),"
	" verdict TEXT NOT NULL,"
	" findings TEXT NOT NULL CHECK (json_valid(findings)),"
	" attachments TEXT NOT NULL CHECK (json_valid(attachments)),"
	" approvers TEXT NOT NULL CHECK (json_valid(approvers)"
	"   AND json_type(approvers) = 'array'),"
	" status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN"
	"   ('pending','approved','rejected','withdrawn','expired')),"
	" applied INTEGER NOT NULL DEFAULT 0 CHECK (applied IN (0, 1)),"
	" created TEXT NOT NULL, created_t INTEGER NOT NULL,"
	" expires TEXT, expires_t INTEGER NOT NULL DEFAULT 0,"
	" decided_by TEXT, decided_at TEXT, decided_t INTEGER,"
	" decision_comment TEXT, new_queue_id TEXT, reminded_at TEXT);"
	"CREATE INDEX holds_queue_id ON holds(queue_id);"
	"CREATE INDEX holds_status ON holds(status, expires_t);"
	"CREATE TABLE audit ("
	" seq INTEGER PRIMARY KEY,"
	" ts TEXT NOT NULL, ts_t INTEGER NOT NULL,"
	" event TEXT NOT NULL, hold_id TEXT, queue_id TEXT,"
	" actor TEXT, unix_user TEXT,"
	" detail TEXT NOT NULL CHECK (json_valid(detail)),"
	" prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
	"CREATE INDEX audit_hold_id ON audit(hold_id);"
	"CREATE INDEX audit_ts_t ON audit(ts_t);"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TABLE nonces (nonce TEXT PRIMARY KEY,"
	" expires_t INTEGER NOT NULL);"
	"CREATE INDEX nonces_expires_t ON nonces(expires_t);";

static st_rc st_schema_v1(st_store *st, sg_buf *err)
{
	if (sqlite3_exec(st->db, st_schema_v1_sql, NULL, NULL, NULL) != SQLITE_OK)
		return st_sqlerr(st, st->db, "create schema version 1", err);
	return ST_OK;
}

static const struct st_step {
	int to;
	st_rc (*fn)(st_store *st, sg_buf *err);
} st_steps[] = {
	{ 1, st_schema_v1 },
};

void st_seterr(sg_buf *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	sg_buf_reset(err);
	va_start(ap, fmt);
	sg_buf_vprintf(err, fmt, ap);
	va_end(ap);
}

st_rc st_sqlerr(st_store *st, sqlite3 *db, const char *what, sg_buf *err)
{
	int code = sqlite3_extended_errcode(db);

	st_seterr(err, "store %s: %s: %s", st->path, what, sqlite3_errmsg(db));
	switch (code & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ST_BUSY;
	default:
		/* A CHECK (bad status, invalid JSON) is the caller's
		 * argument, not a broken store. */
		return code == SQLITE_CONSTRAINT_CHECK ? ST_INVALID : ST_ERROR;
	}
}

sqlite3_stmt *st_prepare(st_store *st, sqlite3 *db, const char *sql, sg_buf *err)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		st_sqlerr(st, db, "prepare", err);
		return NULL;
	}
	return s;
}

int st_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT)
		 : sqlite3_bind_null(s, i);
}

char *st_col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v ? sg_xstrdup((const char *)v) : NULL;
}

static long st_elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Short, growing sleeps with jitter so that writers that collided do
 * not collide again in lock step. */
static void st_backoff(unsigned attempt)
{
	unsigned ms = attempt < 5 ? 1u << attempt : 32;
	struct timespec ts;

	ms += (unsigned)(getpid() + attempt * 7) % 5;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)ms * 1000000;
	nanosleep(&ts, NULL);
}

static st_rc st_tx_once(st_store *st, st_tx_fn fn, void *arg, sg_buf *err)
{
	st_rc rc;

	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return st_sqlerr(st, st->db, "begin transaction", err);
	rc = fn(st, arg, err);
	if (rc == ST_OK &&
	    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = st_sqlerr(st, st->db, "commit", err);
	if (rc != ST_OK && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* SQLite's busy handler already waits on BEGIN IMMEDIATE, but WAL
 * recovery and a few other paths return SQLITE_BUSY at once; those are
 * retried here, as a whole transaction, within the same timeout. */
st_rc st_tx(st_store *st, st_tx_fn fn, void *arg, sg_buf *err)
{
	struct timespec t0;
	st_rc rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&st->mu);
	for (unsigned attempt = 0;; attempt++) {
		rc = st_tx_once(st, fn, arg, err);
		if (rc != ST_BUSY || st_elapsed_ms(&t0) >= ST_BUSY_TIMEOUT_MS)
			break;
		st_backoff(attempt);
	}
	pthread_mutex_unlock(&st->mu);
	if (rc == ST_BUSY && err)
		sg_buf_printf(err, " (gave up after %d s; nothing was written)",
			      ST_BUSY_TIMEOUT_MS / 1000);
	return rc;
}

/* -1: not a sendguard store, -2: SQLite error; else the version. */
static int st_read_version(st_store *st, sg_buf *err)
{
	sqlite3_stmt *s;
	int meta = 0, others = 0, v = -2;

	s = st_prepare(st, st->db, "SELECT name = 'meta' FROM sqlite_master"
		       " WHERE type = 'table' AND name NOT LIKE 'sqlite_%'", err);
	if (s == NULL)
		return -2;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (sqlite3_column_int(s, 0))
			meta++;
		else
			others++;
	}
	sqlite3_finalize(s);
	if (!meta)
		return others ? -1 : 0;
	s = st_prepare(st, st->db, "SELECT value FROM meta"
		       " WHERE key = 'schema_version'", err);
	if (s == NULL)
		return -2;
	v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	return v;
}

static st_rc st_write_version(st_store *st, int v, sg_buf *err)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS meta (key TEXT"
		 " PRIMARY KEY, value TEXT NOT NULL); INSERT OR REPLACE INTO"
		 " meta VALUES ('schema_version', '%d')", v);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return st_sqlerr(st, st->db, "record schema version", err);
	return ST_OK;
}

static st_rc st_migrate_tx(st_store *st, void *arg, sg_buf *err)
{
	int v = st_read_version(st, err);
	st_rc rc;

	(void)arg;
	if (v == -2)
		return sqlite3_errcode(st->db) == SQLITE_BUSY ? ST_BUSY : ST_ERROR;
	if (v == -1) {
		st_seterr(err, "store %s: not a sendguard store (no schema "
			  "version in a meta table)", st->path);
		return ST_ERROR;
	}
	if (v > ST_SCHEMA_VERSION) {
		st_seterr(err, "store %s: schema version %d is newer than this "
			  "sendguard understands (%d): upgrade sendguard",
			  st->path, v, ST_SCHEMA_VERSION);
		return ST_ERROR;
	}
	for (size_t i = 0; i < sizeof(st_steps) / sizeof(st_steps[0]); i++) {
		if (st_steps[i].to <= v)
			continue;
		if ((rc = st_steps[i].fn(st, err)) != ST_OK ||
		    (rc = st_write_version(st, st_steps[i].to, err)) != ST_OK)
			return rc;
		v = st_steps[i].to;
	}
	return ST_OK;
}

/* The PRAGMAs are per connection; journal_mode=WAL also converts the
 * file once. A file system without shared memory (some NFS) cannot do
 * WAL: refuse rather than silently run in another mode. */
static int st_configure(st_store *st, sqlite3 *db, sg_buf *err)
{
	sqlite3_stmt *s;
	int wal;

	sqlite3_busy_timeout(db, ST_BUSY_TIMEOUT_MS);
	if ((s = st_prepare(st, db, "PRAGMA journal_mode = WAL", err)) == NULL)
		return -1;
	wal = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) &&
	      strcmp((const char *)sqlite3_column_text(s, 0), "wal") == 0;
	sqlite3_finalize(s);
	if (!wal) {
		st_seterr(err, "store %s: cannot switch to WAL journal mode: %s",
			  st->path, sqlite3_errmsg(db));
		return -1;
	}
	if (sqlite3_exec(db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON",
			 NULL, NULL, NULL) != SQLITE_OK) {
		st_sqlerr(st, db, "set pragmas", err);
		return -1;
	}
	return 0;
}

static sqlite3 *st_connect(st_store *st, sg_buf *err)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(st->path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		st_seterr(err, "store %s: cannot open: %s", st->path,
			  db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	if (st_configure(st, db, err) < 0) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* SQLite would create the file 0644 (less umask); the store holds
 * addresses and subjects, so it is created 0600 first, and SQLite
 * gives the -wal and -shm files the same mode. */
static int st_precreate(const char *path, sg_buf *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		st_seterr(err, "store %s: cannot open or create: %s", path,
			  strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

st_store *st_open(const char *path, sg_buf *err)
{
	st_store *st;

	if (path == NULL || *path == '\0') {
		st_seterr(err, "store: no path ([store] path)");
		return NULL;
	}
	if (st_precreate(path, err) < 0)
		return NULL;
	st = sg_xcalloc(1, sizeof(*st));
	st->path = sg_xstrdup(path);
	pthread_mutex_init(&st->mu, NULL);
	if ((st->db = st_connect(st, err)) == NULL ||
	    st_tx(st, st_migrate_tx, NULL, err) != ST_OK) {
		st_close(st);
		return NULL;
	}
	return st;
}

void st_close(st_store *st)
{
	if (st == NULL)
		return;
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->mu);
	free(st->path);
	free(st);
}

const char *st_path(const st_store *st)
{
	return st->path;
}

int st_schema_version(st_store *st)
{
	int v;

	pthread_mutex_lock(&st->mu);
	v = st_read_version(st, NULL);
	pthread_mutex_unlock(&st->mu);
	return v;
}

sqlite3 *st_open_reader(st_store *st, sg_buf *err)
{
	return st_connect(st, err);
}

void st_close_reader(sqlite3 *db)
{
	sqlite3_close(db);
}
