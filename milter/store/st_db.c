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
 *	To add schema version N: append a step { N, st_schema_vN_sql,
 *	NULL } to st_steps[] (a function for what SQL alone cannot do in
 *	place of NULL) and raise ST_SCHEMA_VERSION in st.h.
 *
 *	Only st_create() makes a store (sendguardctl store init, make
 *	install): st_open() of a missing or empty file fails, so that a
 *	tool run after the store was lost says so instead of making an
 *	empty one and reporting "no holds" (issue 15).
 *
 *	Identity (st_check). A process that has the store open must notice
 *	when the file at its path is no longer that store: deleted (SQLite
 *	would go on writing into the unlinked inode), replaced, truncated,
 *	or its -wal file removed (the process would go on writing into the
 *	unlinked WAL, which nobody else can read and which is gone when the
 *	process dies: the records it holds are written back at once,
 *	st_lose_wal). Before every transaction and every read: stat() of
 *	the path (same device and inode, not smaller than seen: sendguard
 *	never VACUUMs and a WAL checkpoint only grows the file), stat() of
 *	PATH-wal (same inode: in WAL mode every open connection holds a
 *	SHARED lock on the database, so SQLite never deletes the WAL of a
 *	store someone has open), and, inside the transaction, the store id
 *	in meta. The file is never opened outside SQLite: closing a second
 *	descriptor of the database would drop SQLite's POSIX locks.
 * DIAGNOSTICS
 *	st_open() returns NULL with err naming the path and what failed.
 */
#include "store/st_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "util/sg_clock.h"
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

/* Version 2: the notice outbox (issue 16: notices are recorded with
 * the hold and sent after end of message), and the hold states of a
 * hold not yet confirmed by its queue file (issue 15): arriving and
 * never-arrived. SQLite cannot change a CHECK in place, so holds is
 * copied into a table with the new CHECK. */
static const char st_schema_v2_sql[] =
	"ALTER TABLE holds RENAME TO holds_v1;"
	"DROP INDEX IF EXISTS holds_queue_id;"
	"DROP INDEX IF EXISTS holds_status;"
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
	"   ('pending','approved','rejected','withdrawn','expired',"
	"    'arriving','never-arrived')),"
	" applied INTEGER NOT NULL DEFAULT 0 CHECK (applied IN (0, 1)),"
	" created TEXT NOT NULL, created_t INTEGER NOT NULL,"
	" expires TEXT, expires_t INTEGER NOT NULL DEFAULT 0,"
	" decided_by TEXT, decided_at TEXT, decided_t INTEGER,"
	" decision_comment TEXT, new_queue_id TEXT, reminded_at TEXT);"
	"INSERT INTO holds SELECT * FROM holds_v1;"
	"DROP TABLE holds_v1;"
	"CREATE INDEX holds_queue_id ON holds(queue_id);"
	"CREATE INDEX holds_status ON holds(status, expires_t);"
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY,"
	" hold_id TEXT, queue_id TEXT,"
	" kind TEXT NOT NULL,"
	" rcpt TEXT NOT NULL,"
	" message_id TEXT NOT NULL UNIQUE,"
	" head TEXT NOT NULL, body TEXT NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'ready' CHECK (state IN"
	"   ('waiting','ready','sent','failed','cancelled')),"
	" created TEXT NOT NULL, created_t INTEGER NOT NULL,"
	" next_t INTEGER NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" lease_owner TEXT, lease_until INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT, sent_t INTEGER);"
	"CREATE INDEX outbox_due ON outbox(state, next_t);"
	"CREATE INDEX outbox_hold ON outbox(hold_id);"
	/* One notice of a kind per hold and person: expire and apply (or
	 * two runs of either) may both try to record "expired"; the first
	 * wins (issue 15: every expired hold's sender got two). */
	"CREATE UNIQUE INDEX outbox_once ON outbox(hold_id, kind, rcpt)"
	" WHERE hold_id IS NOT NULL;";

/* Version 3: previews (issue 18). The body and first rows of a held
 * message, sealed (AES-256-GCM, ntf_pvseal.c) by the milter at hold
 * time, so that the page and `sendguardctl show`, which cannot read
 * the MTA's hold queue, show the approver what leaves. One row per
 * hold, kept only while the hold waits: the triggers delete it when
 * the hold is decided, expires, never arrives or its row is deleted
 * (a retention purge); st_preview_purge() also deletes previews past
 * their hold's expiry or without a hold, for rows the triggers never
 * saw. No foreign key: a later migration that copies holds (as
 * version 2 did) would drop or re-point it; such a migration must
 * create these two triggers again on the new table. */
static const char st_schema_v3_sql[] =
	"CREATE TABLE previews ("
	" hold_id TEXT PRIMARY KEY,"
	" sealed TEXT NOT NULL CHECK (substr(sealed, 1, 3) = 'p1.'),"
	" created_t INTEGER NOT NULL,"
	" expires_t INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX previews_expires_t ON previews(expires_t);"
	"CREATE TRIGGER previews_decided AFTER UPDATE OF status ON holds"
	" WHEN NEW.status NOT IN ('pending', 'arriving')"
	" BEGIN DELETE FROM previews WHERE hold_id = NEW.id; END;"
	"CREATE TRIGGER previews_hold_deleted AFTER DELETE ON holds"
	" BEGIN DELETE FROM previews WHERE hold_id = OLD.id; END;";

/* Version 4: delayed send (issue 19, 送信ディレイ). A hold has a kind:
 * 'approval' (every hold before this version) or 'delay' (clean
 * external mail of a group with a delay, waiting for release_t, the
 * Unix time at which it leaves by itself). Columns are added, not
 * copied, so that this step needs nothing from the other steps and
 * keeps every trigger and index on holds. */
static const char st_schema_v4_sql[] =
	"ALTER TABLE holds ADD COLUMN kind TEXT NOT NULL DEFAULT 'approval'"
	" CHECK (kind IN ('approval','delay'));"
	"ALTER TABLE holds ADD COLUMN release_t INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX holds_release ON holds(kind, status, release_t);";

/* Version 5: several approvers, the checklist, proxies, escalation
 * (issue 18 items 2-4). Each approval or reject is a row of
 * approvals, with the checklist items the approver ticked: a hold
 * needs `required` approvals (stored with the hold at hold time, as
 * its approvers are: a later [approval] edit changes no held mail)
 * by distinct people: one row per assigned approver counted
 * (principal) and one per person who acted (actor, the canonical
 * identity without extension, or "administrator USER"), so that
 * nobody counts twice, not even as someone's delegate. delegations
 * are the proxies an approver names for a period. escalated_at
 * claims the one escalation notice as reminded_at claims the
 * reminder. Rows of a hold go with it (the retention purge). */
static const char st_schema_v5_sql[] =
	"ALTER TABLE holds ADD COLUMN required INTEGER NOT NULL DEFAULT 1"
	" CHECK (required BETWEEN 1 AND 16);"
	"ALTER TABLE holds ADD COLUMN escalated_at TEXT;"
	"CREATE TABLE approvals ("
	" seq INTEGER PRIMARY KEY,"
	" hold_id TEXT NOT NULL,"
	" verdict TEXT NOT NULL CHECK (verdict IN ('approve','reject')),"
	" principal TEXT NOT NULL,"
	" actor TEXT NOT NULL,"
	" recorded_as TEXT NOT NULL,"
	" checked TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(checked)"
	"   AND json_type(checked) = 'array'),"
	" comment TEXT,"
	" at TEXT NOT NULL, at_t INTEGER NOT NULL,"
	" unix_user TEXT);"
	"CREATE UNIQUE INDEX approvals_principal ON approvals(hold_id, principal);"
	"CREATE UNIQUE INDEX approvals_actor ON approvals(hold_id, actor);"
	"CREATE TRIGGER approvals_hold_deleted AFTER DELETE ON holds"
	" BEGIN DELETE FROM approvals WHERE hold_id = OLD.id; END;"
	"CREATE TABLE delegations ("
	" id INTEGER PRIMARY KEY,"
	" principal TEXT NOT NULL,"
	" delegate TEXT NOT NULL,"
	" since_t INTEGER NOT NULL,"
	" until_t INTEGER NOT NULL,"
	" until TEXT NOT NULL,"
	" created TEXT NOT NULL,"
	" created_by TEXT NOT NULL,"
	" revoked_t INTEGER NOT NULL DEFAULT 0,"
	" CHECK (principal <> delegate), CHECK (until_t > since_t));"
	"CREATE INDEX delegations_delegate ON delegations(delegate, until_t);"
	"CREATE INDEX delegations_principal ON delegations(principal, until_t);";

/* Version 6: the display names a held mail gives its sender and
 * recipients in From, To and Cc (issue 18 item 6: notices, the page and
 * `show` name people as 山田 太郎 <yamada@...>), a JSON array of
 * {"addr","name"}; NULL for holds made before. A column added, not a
 * table copied: the triggers on holds stay. */
static const char st_schema_v6_sql[] =
	"ALTER TABLE holds ADD COLUMN names TEXT CHECK (names IS NULL OR"
	" (json_valid(names) AND json_type(names) = 'array'));";

/* Version 7: gateways (issue 20). Each hold records the gateway whose
 * queue keeps its mail, so that several gateways sharing a store each
 * carry out only their own holds; the holds made before are this
 * gateway's (the one that migrates: on SQLite, the only one). A hold
 * whose gateway was retired is orphaned (orphaned_at): the mail went
 * with the host, so the database itself refuses any change of its
 * state or a vote on it, whoever writes. The previews of orphaned
 * holds are deleted by `gateway retire` (nothing left to approve). */
static const char st_schema_v7_sql[] =
	"ALTER TABLE holds ADD COLUMN gateway TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE holds ADD COLUMN orphaned_at TEXT;"
	"CREATE INDEX holds_gateway ON holds(gateway, status);"
	"CREATE TRIGGER holds_orphaned BEFORE UPDATE OF status, applied ON holds"
	" WHEN OLD.orphaned_at IS NOT NULL"
	" BEGIN SELECT RAISE(ABORT, '" ST_ORPHANED_MSG "'); END;"
	"CREATE TRIGGER approvals_orphaned BEFORE INSERT ON approvals"
	" WHEN (SELECT orphaned_at FROM holds WHERE id = NEW.hold_id) IS NOT NULL"
	" BEGIN SELECT RAISE(ABORT, '" ST_ORPHANED_MSG "'); END;";

/* The holds made before are the migrating gateway's. */
static st_rc st_schema_v7_fill(st_store *st, sg_buf *err)
{
	sqlite3_stmt *s;
	int step;

	if ((s = st_prepare(st, st->db, "UPDATE holds SET gateway = ?", err)) == NULL)
		return ST_ERROR;
	st_bind_text(s, 1, st->gateway);
	step = sqlite3_step(s);
	sqlite3_finalize(s);
	if (step != SQLITE_DONE)
		return st_sqlerr(st, st->db, "migrate to schema version 7: gateway", err);
	return ST_OK;
}

/* Migrations of a SQLite store: { to version, SQL, then what SQL alone
 * cannot do (or NULL) }, in order. */
static const struct st_step {
	int to;
	const char *sql;
	st_rc (*fill)(st_store *st, sg_buf *err);
} st_steps[] = {
	{ 1, st_schema_v1_sql, NULL },
	{ 2, st_schema_v2_sql, NULL },
	{ 3, st_schema_v3_sql, NULL },
	{ 4, st_schema_v4_sql, NULL },
	{ 5, st_schema_v5_sql, NULL },
	{ 6, st_schema_v6_sql, NULL },
	{ 7, st_schema_v7_sql, st_schema_v7_fill },
};

static st_rc st_step_run(st_store *st, const struct st_step *step, sg_buf *err)
{
	char what[48];

	if (sqlite3_exec(st->db, step->sql, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(what, sizeof(what), "%s schema version %d",
			 step->to == 1 ? "create" : "migrate to", step->to);
		return st_sqlerr(st, st->db, what, err);
	}
	return step->fill != NULL ? step->fill(st, err) : ST_OK;
}

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

/*
 * SQLite says "disk I/O error" for a write that found no space where it
 * needed a new page of the -shm or -wal (a full disk at start-up reads
 * like a broken one), and "database or disk is full" for either. An
 * administrator needs to know which: the free space of the store's
 * file system is added when the write failed for want of it.
 */
static void st_space_note(const st_store *st, sqlite3 *db, sg_buf *err)
{
	int code = sqlite3_extended_errcode(db) & 0xff;
	int sys = sqlite3_system_errno(db);
	char dir[PATH_MAX];
	struct statvfs vfs;
	char *slash;
	unsigned long long avail;

	if (err == NULL || (code != SQLITE_FULL && code != SQLITE_IOERR))
		return;
	snprintf(dir, sizeof(dir), "%s", st->path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (statvfs(dir, &vfs) < 0)
		return;
	avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
	if (sys == ENOSPC || sys == EDQUOT || avail < 64 * 1024)
		sg_buf_printf(err, " (no space left: the file system of %s has"
			      " %llu KiB free)", dir, avail / 1024);
}

st_rc st_sqlerr(st_store *st, sqlite3 *db, const char *what, sg_buf *err)
{
	int code = sqlite3_extended_errcode(db);

	st_seterr(err, "store %s: %s: %s", st->path, what, sqlite3_errmsg(db));
	st_space_note(st, db, err);
	switch (code & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ST_BUSY;
	default:
		/* A CHECK (bad status, invalid JSON) is the caller's
		 * argument, not a broken store; the orphaned-hold
		 * triggers' refusal (schema 7) is the hold's state. */
		if (code == SQLITE_CONSTRAINT_CHECK)
			return ST_INVALID;
		return code == SQLITE_CONSTRAINT_TRIGGER &&
		       strstr(sqlite3_errmsg(db), ST_ORPHANED_MSG) ? ST_CONFLICT : ST_ERROR;
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

sqlite3_stmt *st_cached(st_store *st, sqlite3 *db, const char *sql, sg_buf *err)
{
	sqlite3_stmt *s = NULL;

	if (db != st->db)
		return st_prepare(st, db, sql, err);
	for (size_t i = 0; i < st->ncache; i++)
		if (st->cache[i].sql == sql)
			return st->cache[i].s;
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
			       NULL) != SQLITE_OK) {
		st_sqlerr(st, db, "prepare", err);
		sqlite3_finalize(s);
		return NULL;
	}
	if (st->ncache < ST_CACHE_MAX) {
		st->cache[st->ncache].sql = sql;
		st->cache[st->ncache++].s = s;
	}
	return s;
}

void st_cached_done(st_store *st, sqlite3 *db, sqlite3_stmt *s)
{
	if (s == NULL)
		return;
	if (db == st->db)
		for (size_t i = 0; i < st->ncache; i++)
			if (st->cache[i].s == s) {
				sqlite3_reset(s);
				sqlite3_clear_bindings(s);
				return;
			}
	sqlite3_finalize(s);
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

/* ------------------------------------------------------- identity */

static void st_wal_path(const st_store *st, char *buf, size_t size)
{
	snprintf(buf, size, "%s-wal", st->path);
}

/* Marks the handle lost for good; err and st->lost say why. */
static st_rc st_lose(st_store *st, sg_buf *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static st_rc st_lose(st_store *st, sg_buf *err, const char *fmt, ...)
{
	sg_buf why;
	va_list ap;

	sg_buf_init(&why, 4096);
	sg_buf_printf(&why, "store %s: ", st->path);
	va_start(ap, fmt);
	sg_buf_vprintf(&why, fmt, ap);
	va_end(ap);
	sg_buf_puts(&why, "; nothing more is read or written through it"
		    " (README: when the store is lost)");
	if (st->lost == NULL)
		st->lost = sg_xstrdup(sg_buf_cstr(&why));
	st_seterr(err, "%s", st->lost);
	sg_buf_free(&why);
	return ST_LOST;
}

/* Deleted or replaced: this connection still reads the old file,
 * which nobody else can any more; a copy of it is saved beside the
 * path (st_rescue.c) before the handle is given up. */
static st_rc st_lose_rescued(st_store *st, sg_buf *err, const char *what)
{
	sg_buf saved;
	st_rc rc;

	sg_buf_init(&saved, PATH_MAX + 512);
	if (st_rescue_copy(st, &saved) == 0)
		rc = st_lose(st, err, "%s; what this process still had of it"
			     " (holds, decisions, audit log) was saved to %s",
			     what, sg_buf_cstr(&saved));
	else
		rc = st_lose(st, err, "%s; no copy of what this process still"
			     " had of it could be saved (%s)", what,
			     sg_buf_cstr(&saved));
	sg_buf_free(&saved);
	return rc;
}

/*
 * The -wal file at the path was removed, but this connection still has
 * the removed one open: the records since the last checkpoint are in
 * it and nowhere else. They are written back into the database file
 * at once, when the loss is first seen, so that nothing depends on a
 * clean stop later (a kill -9, a crash or a stop past its timeout lost
 * them). No WAL at the path means no process opened the store since
 * (it would have made one, and cannot remove it while we hold ours):
 * the shared index still describes the removed file, and only its
 * frames are copied. Afterwards another process may make a WAL of its
 * own and write: then our close must not checkpoint (it would copy
 * the index's frames from the removed file, another's frame numbers
 * over our old pages), hence SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE.
 *
 * Replaced (a WAL of another process at the path): the index may
 * describe that file, so nothing is copied; the clean stop writes the
 * records back, as before. Called under st->mu, outside any
 * transaction of st->db.
 */
static st_rc st_lose_wal(st_store *st, sg_buf *err, const char *wal)
{
	int nlog = -1, nckpt = -1;
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_FULL,
					   &nlog, &nckpt);

	sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	if (rc == SQLITE_OK && nlog == nckpt)
		return st_lose(st, err, "its WAL file %s was removed while in use;"
			       " the %d page%s it still held %s written back into"
			       " the store file, nothing was lost (restart the"
			       " milter)", wal, nlog, nlog == 1 ? "" : "s",
			       nlog == 1 ? "was" : "were");
	/* Not all back: the close must try again. */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);
	return st_lose(st, err, "its WAL file %s was removed while in use, and"
		       " the records it still holds could not be written back"
		       " (%s; %d of %d pages): stop it cleanly, never with kill"
		       " -9, so that it writes them back", wal,
		       rc == SQLITE_OK ? "readers kept some" : sqlite3_errmsg(st->db),
		       nckpt, nlog);
}

/* The file checks: cheap, and done before SQLite touches the file. */
static st_rc st_check_file(st_store *st, sg_buf *err)
{
	char wal[PATH_MAX];
	struct stat sb;

	if (st->lost) {
		st_seterr(err, "%s", st->lost);
		return ST_LOST;
	}
	if (!st->ident)
		return ST_OK;
	if (stat(st->path, &sb) < 0) {
		if (errno == ENOENT)
			return st_lose_rescued(st, err, "the file was deleted while in use");
		st_seterr(err, "store %s: %s", st->path, strerror(errno));
		return ST_ERROR;
	}
	if (sb.st_dev != st->dev || sb.st_ino != st->ino) {
		char what[128];

		snprintf(what, sizeof(what), "the file was replaced by another one"
			 " (inode %llu, opened as %llu)", (unsigned long long)sb.st_ino,
			 (unsigned long long)st->ino);
		return st_lose_rescued(st, err, what);
	}
	if ((long long)sb.st_size < st->max_size)
		return st_lose(st, err, "the file was truncated (%lld bytes, it had"
			       " %lld)", (long long)sb.st_size, st->max_size);
	st->max_size = (long long)sb.st_size;
	if (!st->wal_known)
		return ST_OK;
	st_wal_path(st, wal, sizeof(wal));
	if (stat(wal, &sb) < 0) {
		if (errno == ENOENT)
			return st_lose_wal(st, err, wal);
		st_seterr(err, "store %s: %s: %s", st->path, wal, strerror(errno));
		return ST_ERROR;
	}
	if (sb.st_dev != st->wal_dev || sb.st_ino != st->wal_ino)
		return st_lose(st, err, "its WAL file %s was replaced while in use"
			       " (records since the last checkpoint are only in"
			       " this process: stop it cleanly so that it writes"
			       " them back)", wal);
	return ST_OK;
}

/* The store id in meta: NULL-terminated copy into id (ST_ID_SIZE);
 * 1 found, 0 absent, -1 SQLite error (err filled), -2 busy. */
static int st_read_id(st_store *st, sqlite3 *db, char id[ST_ID_SIZE], sg_buf *err)
{
	sqlite3_stmt *s;
	const unsigned char *v;
	int step, found = 0;

	if ((s = st_cached(st, db, "SELECT value FROM meta WHERE key = 'store_id'",
			   err)) == NULL)
		return (sqlite3_errcode(db) & 0xff) == SQLITE_BUSY ? -2 : -1;
	step = sqlite3_step(s);
	if (step == SQLITE_ROW && (v = sqlite3_column_text(s, 0)) != NULL) {
		snprintf(id, ST_ID_SIZE, "%s", (const char *)v);
		found = 1;
	} else if (step != SQLITE_DONE && step != SQLITE_ROW) {
		found = (step & 0xff) == SQLITE_BUSY ? -2 : -1;
		st_sqlerr(st, db, "read the store id", err);
	}
	st_cached_done(st, db, s);
	return found;
}

/* The store id part of st_check: inside a transaction, after the
 * file checks were done before it began. */
static st_rc st_check_id(st_store *st, sqlite3 *db, sg_buf *err)
{
	char id[ST_ID_SIZE];
	int got;

	if (!st->ident)
		return ST_OK;
	got = st_read_id(st, db, id, err);
	if (got == -2)
		return ST_BUSY;
	if (got < 0)
		return st_lose(st, err, "cannot read its store id (%s): truncated,"
			       " replaced or damaged", sqlite3_errmsg(db));
	if (got == 0)
		return st_lose(st, err, "it has no store id: replaced or damaged");
	if (strcmp(id, st->id) != 0)
		return st_lose(st, err, "it is another store (id %s, opened as %s)",
			       id, st->id);
	return ST_OK;
}

st_rc st_check(st_store *st, sqlite3 *db, sg_buf *err)
{
	st_rc rc = st_check_file(st, err);

	return rc != ST_OK ? rc : st_check_id(st, db, err);
}

const char *st_lost_why(st_store *st)
{
	const char *why;

	pthread_mutex_lock(&st->mu);
	why = st->lost;
	pthread_mutex_unlock(&st->mu);
	return why;
}

bool st_lost_first(st_store *st)
{
	bool first;

	pthread_mutex_lock(&st->mu);
	first = st->lost != NULL && !st->lost_told;
	if (first)
		st->lost_told = true;
	pthread_mutex_unlock(&st->mu);
	return first;
}

const char *st_id(const st_store *st)
{
	return st->id;
}

static st_rc st_tx_once(st_store *st, st_tx_fn fn, void *arg, sg_buf *err)
{
	st_rc rc;

	if ((rc = st_check_file(st, err)) != ST_OK)
		return rc;
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return st_sqlerr(st, st->db, "begin transaction", err);
	/* The file was checked just before; the id is read inside the
	 * transaction, which sees one state of the database. */
	rc = st_check_id(st, st->db, err);
	if (rc == ST_OK)
		rc = fn(st, arg, err);
	if (rc == ST_OK &&
	    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = st_sqlerr(st, st->db, "commit", err);
	if (rc != ST_OK && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/*
 * One budget for the whole write, ST_BUSY_TIMEOUT_MS from the call:
 * the wait for another thread of this process (st->mu: the audit
 * flusher, the notifier, other messages) and SQLite's busy handler
 * share it, so a message's end of data gets its answer (the failure
 * action) within the busy timeout, not after one full timeout per
 * thread queued before it. glibc's mutex is not fair: a thread that
 * runs one write after another while the store is locked could keep
 * a message waiting for as long as the lock lasts.
 *
 * SQLite's busy handler already waits on BEGIN IMMEDIATE, but WAL
 * recovery and a few other paths return SQLITE_BUSY at once; those are
 * retried here, as a whole transaction, within the same budget.
 */
st_rc st_tx(st_store *st, st_tx_fn fn, void *arg, sg_buf *err)
{
	struct timespec t0, by;
	long left;
	st_rc rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	by = t0;
	by.tv_sec += ST_BUSY_TIMEOUT_MS / 1000;
	if (pthread_mutex_clocklock(&st->mu, CLOCK_MONOTONIC, &by) != 0) {
		st_seterr(err, "store %s: other writes of this process held it"
			  " past the busy timeout", st->path);
		rc = ST_BUSY;
		goto busy;
	}
	for (unsigned attempt = 0;; attempt++) {
		left = ST_BUSY_TIMEOUT_MS - sg_ms_since(&t0);
		sqlite3_busy_timeout(st->db, left > 0 ? (int)left : 1);
		rc = st_tx_once(st, fn, arg, err);
		if (rc != ST_BUSY || sg_ms_since(&t0) >= ST_BUSY_TIMEOUT_MS)
			break;
		st_backoff(attempt);
	}
	/* The reads under st->mu wait the whole timeout, as before. */
	sqlite3_busy_timeout(st->db, ST_BUSY_TIMEOUT_MS);
	pthread_mutex_unlock(&st->mu);
busy:
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

/* No table at all: a new file, or what a truncated store reads as. */
static bool st_is_empty(st_store *st)
{
	sqlite3_stmt *s = st_prepare(st, st->db, "SELECT count(*) FROM sqlite_master",
				     NULL);
	bool empty = s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 0;

	sqlite3_finalize(s);
	return empty;
}

/* Gives a store without an id (new, or made by a sendguard before
 * issue 15) its id; fills st->id. */
static st_rc st_ensure_id(st_store *st, sg_buf *err)
{
	sqlite3_stmt *s;
	int got = st_read_id(st, st->db, st->id, err);

	if (got == -2)
		return ST_BUSY;
	if (got < 0)
		return ST_ERROR;
	if (got == 1)
		return ST_OK;
	if (st_new_id(st->id) < 0) {
		st_seterr(err, "store %s: getrandom: %s", st->path, strerror(errno));
		return ST_ERROR;
	}
	st->id[0] = 's';
	if ((s = st_prepare(st, st->db, "INSERT INTO meta VALUES ('store_id', ?)",
			    err)) == NULL)
		return ST_ERROR;
	st_bind_text(s, 1, st->id);
	if (sqlite3_step(s) != SQLITE_DONE) {
		sqlite3_finalize(s);
		return st_sqlerr(st, st->db, "record the store id", err);
	}
	sqlite3_finalize(s);
	return ST_OK;
}

static st_rc st_migrate_tx(st_store *st, void *arg, sg_buf *err)
{
	const bool *create = arg;
	int v = st_read_version(st, err);
	st_rc rc;

	if (v == -2)
		return sqlite3_errcode(st->db) == SQLITE_BUSY ? ST_BUSY : ST_ERROR;
	if (v == -1) {
		st_seterr(err, "store %s: not a sendguard store (no schema "
			  "version in a meta table)", st->path);
		return ST_ERROR;
	}
	if (v == 0 && !*create && st_is_empty(st)) {
		st_seterr(err, "store %s is empty: it was truncated, or never"
			  " created (sendguardctl store init creates a store;"
			  " README: when the store is lost)", st->path);
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
		if ((rc = st_step_run(st, &st_steps[i], err)) != ST_OK ||
		    (rc = st_write_version(st, st_steps[i].to, err)) != ST_OK)
			return rc;
		v = st_steps[i].to;
	}
	return st_ensure_id(st, err);
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

/* Records what was opened (after the first transaction: the
 * connection then has the WAL open). */
static int st_note_identity(st_store *st, sg_buf *err)
{
	char wal[PATH_MAX];
	struct stat sb;

	if (stat(st->path, &sb) < 0) {
		st_seterr(err, "store %s: %s", st->path, strerror(errno));
		return -1;
	}
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	st->max_size = (long long)sb.st_size;
	st_wal_path(st, wal, sizeof(wal));
	if (stat(wal, &sb) == 0) {
		st->wal_dev = sb.st_dev;
		st->wal_ino = sb.st_ino;
		st->wal_known = true;
	}
	st->ident = true;
	return 0;
}

/* A store at the current schema with its id needs no write: opening
 * it then never waits for the writer lock, which busy writers hold. */
static bool st_is_current(st_store *st)
{
	bool cur;

	if (st_read_version(st, NULL) != ST_SCHEMA_VERSION)
		return false;
	cur = st_read_id(st, st->db, st->id, NULL) == 1;
	if (!cur)
		st->id[0] = '\0';
	return cur;
}

static st_store *st_open_as(const char *path, bool create, const char *gateway,
			    sg_buf *err)
{
	struct stat sb;
	st_store *st;

	if (path == NULL || *path == '\0') {
		st_seterr(err, "store: no path ([store] path)");
		return NULL;
	}
	if (stat(path, &sb) < 0) {
		if (errno == ENOENT)
			st_seterr(err, "store %s does not exist: sendguardctl store"
				  " init creates it (nothing else does; README: when"
				  " the store is lost)", path);
		else
			st_seterr(err, "store %s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(sb.st_mode)) {
		st_seterr(err, "store %s: not a regular file", path);
		return NULL;
	}
	/* Refused before SQLite sees it: switching an empty file to WAL
	 * would write a database header into it. */
	if (!create && sb.st_size == 0) {
		st_seterr(err, "store %s is empty: it was truncated, or never"
			  " created (sendguardctl store init creates a store;"
			  " README: when the store is lost)", path);
		return NULL;
	}
	st = sg_xcalloc(1, sizeof(*st));
	st->be = &st_sql_ops;
	st->path = sg_xstrdup(path);
	pthread_mutex_init(&st->mu, NULL);
	if (st_set_gateway(st, gateway, err) < 0 ||
	    (st->db = st_connect(st, err)) == NULL ||
	    (!st_is_current(st) && st_tx(st, st_migrate_tx, &create, err) != ST_OK) ||
	    st_note_identity(st, err) < 0) {
		st_close(st);
		return NULL;
	}
	return st;
}

st_store *st_open(const char *path, sg_buf *err)
{
	return st_open_as(path, false, NULL, err);
}

st_store *st_sql_open_gw(const char *path, const char *gateway, sg_buf *err)
{
	return st_open_as(path, false, gateway, err);
}

st_store *st_create(const char *path, sg_buf *err)
{
	return st_sql_create_gw(path, NULL, err);
}

/* SQLite would create the file 0644 (less umask); the store holds
 * addresses and subjects, so it is created 0600 first, and SQLite
 * gives the -wal and -shm files the same mode. A -wal file left by a
 * store that was deleted would be replayed into the new one: refused. */
st_store *st_sql_create_gw(const char *path, const char *gateway, sg_buf *err)
{
	char wal[PATH_MAX];
	struct stat sb;
	st_store *st;
	int fd;

	if (path == NULL || *path == '\0') {
		st_seterr(err, "store: no path ([store] path)");
		return NULL;
	}
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (lstat(wal, &sb) == 0) {
		st_seterr(err, "store %s: %s is there, left by an earlier store: move"
			  " it aside first (with %s-shm), after stopping whatever"
			  " still has the old store open", path, wal, path);
		return NULL;
	}
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		st_seterr(err, "store %s: %s", path, errno == EEXIST
			  ? "already exists" : strerror(errno));
		return NULL;
	}
	close(fd);
	if ((st = st_open_as(path, true, gateway, err)) == NULL) {
		unlink(path);
		return NULL;
	}
	/* The schema and the id into the database file itself, so that it
	 * is never an empty file that a truncated one would look like. */
	if (sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_FULL, NULL,
				      NULL) != SQLITE_OK) {
		st_sqlerr(st, st->db, "checkpoint the new store", err);
		st_close(st);
		return NULL;
	}
	if (stat(path, &sb) == 0 && (long long)sb.st_size > st->max_size)
		st->max_size = (long long)sb.st_size;
	return st;
}

void st_sql_close(st_store *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].s);
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->mu);
	free(st->lost);
	free(st->path);
	free(st);
}

const char *st_path(const st_store *st)
{
	return st->path;
}

int st_sql_schema_version(st_store *st)
{
	int v;

	pthread_mutex_lock(&st->mu);
	v = st_read_version(st, NULL);
	pthread_mutex_unlock(&st->mu);
	return v;
}

sqlite3 *st_open_reader(st_store *st, sg_buf *err)
{
	sqlite3 *db;
	st_rc rc;

	pthread_mutex_lock(&st->mu);
	rc = st_check_file(st, err);
	pthread_mutex_unlock(&st->mu);
	if (rc != ST_OK || (db = st_connect(st, err)) == NULL)
		return NULL;
	pthread_mutex_lock(&st->mu);
	rc = st_check(st, db, err);
	pthread_mutex_unlock(&st->mu);
	if (rc != ST_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

void st_close_reader(sqlite3 *db)
{
	sqlite3_close(db);
}

/* The SQLite backend's table (st_int.h). */
#define ST_OP_INIT_SQL(ret, name, params, args) .name = st_sql_##name,
const st_ops st_sql_ops = {
	.name = "sqlite",
	.complete = true,
	.close = st_sql_close,
	ST_BACKEND_OPS(ST_OP_INIT_SQL)
};
#undef ST_OP_INIT_SQL
