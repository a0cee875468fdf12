/*
 * NAME
 *	st_pg - the PostgreSQL store: connection, schema, the audit chain
 * SYNOPSIS
 *	#include "store/st.h"
 *
 *	st_store *st_open_config(&(st_config){ "postgresql", NULL, dsn }, err);
 * DESCRIPTION
 *	The backend for several gateways that share one decision store
 *	(issue 20). One libpq connection per handle, used under the
 *	handle's mutex (as the SQLite backend does); every write is one
 *	transaction.
 *
 *	Schema. The same tables as the SQLite store's version
 *	ST_SCHEMA_VERSION (st_db.c), created in one transaction by
 *	st_create_config() (`sendguardctl store init`); the version lives
 *	in meta. st_open_config() refuses a database whose schema is
 *	newer than this program, and one that is older until `sendguardctl
 *	store migrate` has brought it up (st_pg_migrate): several gateways
 *	share the database, so no milter migrates it behind the others'
 *	backs. JSON columns are TEXT, not jsonb: jsonb reorders keys and
 *	the audit chain hashes the bytes util's JSON writer produced.
 *
 *	The audit chain. Appends are serialised by the database, not by a
 *	process: each appending transaction first takes a transaction-level
 *	advisory lock (pg_advisory_xact_lock, released at COMMIT or
 *	ROLLBACK, also when the client dies), then reads the head and
 *	inserts the next record; seq is the primary key besides, so two
 *	writers can never chain to the same record. The hash is computed in
 *	C by st_audit_hash() from the bytes stored, exactly as on SQLite,
 *	so `audit verify` gives the same answer on a chain copied between
 *	backends.
 *
 *	What lives here: opening, creating and migrating the store, the
 *	schema version check, the audit log (append, verify from the
 *	newest retention anchor, list) and notice nonces; holds and
 *	previews (st_pg_hold.c), votes, delegations and escalation
 *	(st_pg_vote.c), the notice outbox (st_pg_outbox.c) and the
 *	retention purge (st_pg_purge.c) beside it. Every function of st.h
 *	is there: the milter, apply and the page run on it.
 * DIAGNOSTICS
 *	As st.h; err names "store postgresql (DSN without secrets)" and
 *	libpq's message.
 */
#include "store/st_int.h"
#include "store/st_pg_int.h"

#include <libpq-fe.h>
#include <poll.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sg_clock.h"
#include "util/sg_json.h"
#include "util/sg_mem.h"

/* Keys of the transaction-level advisory locks (one key space per
 * database): audit appends (ST_PG_AUDIT_LOCK, st_pg_int.h), and schema
 * creation and migration. Fixed for every sendguard that shares a
 * database. */
#define ST_PG_SCHEMA_LOCK "20200002"

PGconn *st_pg_conn(st_store *st)
{
	return ((st_pg *)st->pg)->conn;
}

/* err = "store NAME: what: libpq's message"; ST_BUSY for the SQLSTATEs
 * that mean "try again" (serialization failure, deadlock, lock not
 * available), ST_INVALID for a CHECK, ST_ERROR otherwise. */
st_rc st_pg_err(st_store *st, const PGresult *r, const char *what,
		sg_buf *err)
{
	const char *msg = r ? PQresultErrorMessage(r) : "";
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	size_t n;

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(st_pg_conn(st));
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	st_seterr(err, "store %s: %s: %.*s", st->path, what, (int)n, msg);
	if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
		      strcmp(state, "55P03") == 0))
		return ST_BUSY;
	/* A CHECK is the caller's argument, not a broken store (as
	 * st_sqlerr says of SQLite's). */
	if (state && strcmp(state, "23514") == 0)
		return ST_INVALID;
	/* A trigger's RAISE EXCEPTION (an orphaned hold, schema 7) is the
	 * hold's state, as SQLite's RAISE(ABORT). */
	if (state && strcmp(state, "P0001") == 0 && strstr(msg, ST_ORPHANED_MSG))
		return ST_CONFLICT;
	return ST_ERROR;
}

/* Sends sql (simple: PQsendQuery, several statements allowed) and
 * waits at most st->patience_ms for its results; the last result, or
 * the first error (as PQexec gives). Without patience: PQexec and
 * PQexecParams, which wait for ever. A server that takes the query and
 * then answers nothing (a stopped process, a stalled disk) would hold
 * the handle's mutex, and every session thread queued on it, for as
 * long as it hangs: past the patience the connection is dropped
 * (*timed_out), so that the callers fail and the next use redials. */
static PGresult *st_pg_run(st_store *st, const char *sql, int n,
			   const char *const *params, bool simple, bool *timed_out)
{
	PGconn *c = st_pg_conn(st);
	PGresult *r, *last = NULL;
	struct timespec end;
	int sent;

	*timed_out = false;
	if (st->patience_ms == 0 || c == NULL)
		return simple ? PQexec(c, sql) :
		       PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	sent = simple ? PQsendQuery(c, sql) :
	       PQsendQueryParams(c, sql, n, NULL, params, NULL, NULL, 0);
	if (!sent)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += st->patience_ms / 1000;
	end.tv_nsec += (long)(st->patience_ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	/* One result per statement: bounded by the SQL we send (the
	 * schema is the longest, well under this). */
	for (int i = 0; i < 10000; i++) {
		/* Bounded by the deadline. */
		while (PQisBusy(c)) {
			struct pollfd pf = { PQsocket(c), POLLIN, 0 };
			int left = sg_ms_until(&end), k;

			k = left > 0 ? poll(&pf, 1, left) : 0;
			if (k < 0 && errno == EINTR)
				continue;
			if (k == 0) {
				PQclear(last);
				PQfinish(c);
				((st_pg *)st->pg)->conn = NULL;
				st->unreachable = true;
				*timed_out = true;
				return NULL;
			}
			if (k < 0 || !PQconsumeInput(c))
				break;	/* broken: PQgetResult says so */
		}
		if ((r = PQgetResult(c)) == NULL)
			break;
		if (last != NULL && PQresultStatus(last) == PGRES_FATAL_ERROR) {
			PQclear(r);
			continue;
		}
		PQclear(last);
		last = r;
	}
	return last;
}

static st_rc st_pg_timeout(st_store *st, const char *what, sg_buf *err)
{
	st_seterr(err, "store %s: %s: no answer from the server in %u s (connection"
		  " dropped; the next use reconnects)", st->path, what,
		  st->patience_ms / 1000);
	return ST_ERROR;
}

/* Runs sql with text parameters (NULL: SQL NULL). *out (when not
 * NULL) gets the result of a query, to PQclear(). */
st_rc st_pg_exec(st_store *st, const char *sql, int n,
		 const char *const *params, PGresult **out,
		 const char *what, sg_buf *err)
{
	bool timed_out;
	PGresult *r = st_pg_run(st, sql, n, params, false, &timed_out);
	ExecStatusType s = PQresultStatus(r);
	st_rc rc = ST_OK;

	if (timed_out)
		return st_pg_timeout(st, what, err);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		rc = st_pg_err(st, r, what, err);
	if (rc == ST_OK && out != NULL) {
		*out = r;
		return ST_OK;
	}
	PQclear(r);
	return rc;
}

/* Fixed SQL without parameters; may hold several statements (the
 * schema), which only PQexec takes. */
st_rc st_pg_simple(st_store *st, const char *sql, const char *what,
		   sg_buf *err)
{
	bool timed_out;
	PGresult *r = st_pg_run(st, sql, 0, NULL, true, &timed_out);
	ExecStatusType s = PQresultStatus(r);
	st_rc rc = ST_OK;

	if (timed_out)
		return st_pg_timeout(st, what, err);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		rc = st_pg_err(st, r, what, err);
	PQclear(r);
	return rc;
}

/* ---------------------------------------------------------- connecting */

/* The DSN as given, with connect_timeout and tcp_user_timeout before it
 * (the DSN's own win) and client_encoding after it (ours wins: times
 * and numbers come back as text in our own formats). tcp_user_timeout:
 * a server that vanishes from the network without a reset (a failed
 * host, a cut link) fails the statement being sent after that long,
 * instead of holding the handle's mutex, and every thread waiting for
 * it, for the kernel's retransmission time (about 15 minutes). */
PGconn *st_pg_dial(const char *dsn, const char *name, sg_buf *err)
{
	const char *const keys[] = { "connect_timeout", "tcp_user_timeout", "dbname",
				     "client_encoding", NULL };
	const char *const vals[] = { ST_PG_CONNECT_TIMEOUT, ST_PG_TCP_USER_TIMEOUT, dsn,
				     "UTF8", NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	PGresult *r;

	if (c != NULL && PQstatus(c) == CONNECTION_OK) {
		r = PQexec(c, "SET client_min_messages = warning");
		if (PQresultStatus(r) == PGRES_COMMAND_OK) {
			PQclear(r);
			return c;
		}
		PQclear(r);
	}
	{
		const char *m = c ? PQerrorMessage(c) : "out of memory";
		size_t n = strlen(m);

		while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		st_seterr(err, "store %s: cannot connect: %.*s", name, (int)n, m);
	}
	PQfinish(c);
	return NULL;
}

static bool st_pg_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Under st->mu: ST_OK when the handle's connection is up, else one
 * attempt to replace it. A broken connection (the server restarted or
 * went away) is redialled by one thread at a time, with the mutex
 * released while it dials (up to connect_timeout), so that the other
 * threads are not held: they fail at once, as they do during the pause
 * after a failed dial. The pause grows 1, 2, 4 s (ST_PG_RETRY_MAX_S):
 * a server that is down costs one refused connect per pause, not one
 * per message. The mutex is held again on return. */
static st_rc st_pg_ready(st_store *st, sg_buf *err)
{
	st_pg *pg = st->pg;
	struct timespec now;
	PGconn *c;
	sg_buf why;

	if (PQstatus(pg->conn) == CONNECTION_OK)
		return ST_OK;
	st->unreachable = true;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (pg->dialling || st_pg_before(&now, &pg->next_dial)) {
		st_seterr(err, "store %s: unreachable (reconnecting)", st->path);
		return ST_ERROR;
	}
	pg->dialling = true;
	pthread_mutex_unlock(&st->mu);
	sg_buf_init(&why, 1024);
	c = st_pg_dial(pg->dsn, st->path, &why);
	pthread_mutex_lock(&st->mu);
	pg->dialling = false;
	if (c == NULL) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		pg->pause_s = pg->pause_s == 0 ? 1 :
			      pg->pause_s * 2 > ST_PG_RETRY_MAX_S ? ST_PG_RETRY_MAX_S :
			      pg->pause_s * 2;
		pg->next_dial = now;
		pg->next_dial.tv_sec += pg->pause_s;
		st_seterr(err, "%s", sg_buf_cstr(&why));
		sg_buf_free(&why);
		return ST_ERROR;
	}
	sg_buf_free(&why);
	PQfinish(pg->conn);
	pg->conn = c;
	pg->pause_s = 0;
	st->unreachable = false;
	return ST_OK;
}

/* After a failed statement: was it the connection? (libpq marks it bad
 * when the server ended the session or the socket failed.) */
static bool st_pg_broken(st_store *st)
{
	if (PQstatus(st_pg_conn(st)) == CONNECTION_OK)
		return false;
	st->unreachable = true;
	return true;
}

/* ------------------------------------------------------- transactions */

/* One transaction under the handle's mutex: BEGIN, fn, COMMIT, or
 * ROLLBACK when fn fails. A serialization failure or deadlock is
 * retried as a whole, a bounded number of times. A broken connection
 * is redialled (st_pg_ready); a connection found dead at BEGIN (the
 * server restarted since the last use: nothing was sent yet) is
 * redialled and the transaction run once more. A connection lost after
 * BEGIN is not retried here: whether COMMIT reached the server is not
 * known, and the caller's failure action (tempfail) is the safe answer. */
st_rc st_pg_tx(st_store *st, st_pg_fn fn, void *arg, sg_buf *err)
{
	st_rc rc = ST_ERROR;
	bool redialled = false;

	pthread_mutex_lock(&st->mu);
	for (int attempt = 0; attempt < 20; attempt++) {
		if ((rc = st_pg_ready(st, err)) != ST_OK)
			break;
		rc = st_pg_simple(st, "BEGIN", "begin", err);
		if (rc != ST_OK && st_pg_broken(st) && !redialled) {
			redialled = true;
			rc = ST_BUSY;	/* once more, on a new connection */
			continue;
		}
		if (rc == ST_OK)
			rc = fn(st, arg, err);
		if (rc == ST_OK)
			rc = st_pg_simple(st, "COMMIT", "commit", err);
		else if (!st_pg_broken(st))
			(void)st_pg_simple(st, "ROLLBACK", "rollback", NULL);
		if (rc != ST_OK)
			(void)st_pg_broken(st);
		else
			st->unreachable = false;
		if (rc != ST_BUSY)
			break;
	}
	pthread_mutex_unlock(&st->mu);
	return rc;
}

/* A read outside any transaction of ours (one statement is its own
 * snapshot), under the handle's mutex; a broken connection is redialled
 * first (st_pg_ready), and a read that finds the connection dead is
 * redialled and run once more (a read changes nothing). */
st_rc st_pg_read(st_store *st, const char *sql, int n,
		 const char *const *params, PGresult **out, const char *what,
		 sg_buf *err)
{
	st_rc rc;

	pthread_mutex_lock(&st->mu);
	rc = st_pg_ready(st, err);
	if (rc == ST_OK)
		rc = st_pg_exec(st, sql, n, params, out, what, err);
	if (rc != ST_OK && st_pg_broken(st) && st_pg_ready(st, err) == ST_OK)
		rc = st_pg_exec(st, sql, n, params, out, what, err);
	if (rc == ST_OK)
		st->unreachable = false;
	else
		(void)st_pg_broken(st);
	pthread_mutex_unlock(&st->mu);
	return rc;
}

/* Pages of at most ST_PG_PAGE rows, each one st_pg_read, keyed by
 * column 0 (a bigint the SQL orders by and starts after, as its last
 * parameter): no long list is ever held in memory at once, and the
 * callbacks run without the handle's mutex, so they may call the store
 * (as on SQLite, whose lists read through a connection of their own).
 * A row committed meanwhile past the key is seen, one before it not:
 * a list is a live view, not a snapshot. */
st_rc st_pg_pages(st_store *st, const char *sql, int n,
		  const char *const *params, st_pg_row_fn fn, void *ctx,
		  const char *what, sg_buf *err)
{
	char after[32] = "0";
	const char *p[ST_PG_PAGE_PARAMS];
	bool stop = false;
	st_rc rc = ST_OK;

	if (n < 1 || n > ST_PG_PAGE_PARAMS) {
		st_seterr(err, "store %s: %s: %d parameters", st->path, what, n);
		return ST_INVALID;
	}
	for (int i = 0; i < n - 1; i++)
		p[i] = params[i];
	p[n - 1] = after;
	/* Each page starts after the last key seen: bounded by the rows. */
	while (rc == ST_OK && !stop) {
		PGresult *r = NULL;
		int rows;

		rc = st_pg_read(st, sql, n, p, &r, what, err);
		if (rc != ST_OK)
			break;
		rows = PQntuples(r);
		for (int i = 0; i < rows && !stop; i++) {
			snprintf(after, sizeof(after), "%s", PQgetvalue(r, i, 0));
			stop = fn(r, i, ctx) != 0;
		}
		PQclear(r);
		if (rows < ST_PG_PAGE)
			break;
	}
	return rc;
}

long st_pg_changes(PGresult *r)
{
	return r ? atol(PQcmdTuples(r)) : 0;
}

const char *st_pg_num(char buf[32], long long v)
{
	snprintf(buf, 32, "%lld", v);
	return buf;
}

/* ------------------------------------------------------------ schema */

/* Version 5 as SQLite's st_db.c has it after its steps to 5, in
 * PostgreSQL's words; st_pg_steps[] brings a new store, like an old
 * one, to ST_SCHEMA_VERSION. Keep the two in step: a migration adds a
 * step to both. */
static const char st_pg_schema_sql[] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE holds ("
	" id TEXT PRIMARY KEY,"
	" queue_id TEXT NOT NULL,"
	" sender TEXT NOT NULL,"
	" auth_login TEXT, from_addr TEXT, client_addr TEXT,"
	" recipients TEXT NOT NULL CHECK (jsonb_typeof(recipients::jsonb) = 'array'),"
	" subject TEXT,"
	" size BIGINT NOT NULL DEFAULT 0,"
	" categories TEXT NOT NULL CHECK (jsonb_typeof(categories::jsonb) = 'array'),"
	" verdict TEXT NOT NULL,"
	" findings TEXT NOT NULL CHECK (findings::jsonb IS NOT NULL),"
	" attachments TEXT NOT NULL CHECK (attachments::jsonb IS NOT NULL),"
	" approvers TEXT NOT NULL CHECK (jsonb_typeof(approvers::jsonb) = 'array'),"
	" status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN"
	"   ('pending','approved','rejected','withdrawn','expired',"
	"    'arriving','never-arrived')),"
	" applied INTEGER NOT NULL DEFAULT 0 CHECK (applied IN (0, 1)),"
	" created TEXT NOT NULL, created_t BIGINT NOT NULL,"
	" expires TEXT, expires_t BIGINT NOT NULL DEFAULT 0,"
	" decided_by TEXT, decided_at TEXT, decided_t BIGINT,"
	" decision_comment TEXT, new_queue_id TEXT, reminded_at TEXT,"
	" kind TEXT NOT NULL DEFAULT 'approval' CHECK (kind IN ('approval','delay')),"
	" release_t BIGINT NOT NULL DEFAULT 0,"
	" required INTEGER NOT NULL DEFAULT 1 CHECK (required BETWEEN 1 AND 16),"
	" escalated_at TEXT);"
	"CREATE INDEX holds_queue_id ON holds(queue_id);"
	"CREATE INDEX holds_status ON holds(status, expires_t);"
	"CREATE INDEX holds_release ON holds(kind, status, release_t);"
	"CREATE TABLE audit ("
	" seq BIGINT PRIMARY KEY,"
	" ts TEXT NOT NULL, ts_t BIGINT NOT NULL,"
	" event TEXT NOT NULL, hold_id TEXT, queue_id TEXT,"
	" actor TEXT, unix_user TEXT,"
	" detail TEXT NOT NULL CHECK (detail::jsonb IS NOT NULL),"
	" prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
	"CREATE INDEX audit_hold_id ON audit(hold_id);"
	"CREATE INDEX audit_ts_t ON audit(ts_t);"
	"CREATE FUNCTION sendguard_append_only() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ BEGIN"
	" RAISE EXCEPTION 'audit log is append-only'; END $$;"
	"CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit"
	" FOR EACH ROW EXECUTE FUNCTION sendguard_append_only();"
	"CREATE TABLE nonces (nonce TEXT PRIMARY KEY, expires_t BIGINT NOT NULL);"
	"CREATE INDEX nonces_expires_t ON nonces(expires_t);"
	"CREATE TABLE outbox ("
	" id BIGSERIAL PRIMARY KEY,"
	" hold_id TEXT, queue_id TEXT,"
	" kind TEXT NOT NULL,"
	" rcpt TEXT NOT NULL,"
	" message_id TEXT NOT NULL UNIQUE,"
	" head TEXT NOT NULL, body TEXT NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'ready' CHECK (state IN"
	"   ('waiting','ready','sent','failed','cancelled')),"
	" created TEXT NOT NULL, created_t BIGINT NOT NULL,"
	" next_t BIGINT NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" lease_owner TEXT, lease_until BIGINT NOT NULL DEFAULT 0,"
	" last_error TEXT, sent_t BIGINT);"
	"CREATE INDEX outbox_due ON outbox(state, next_t);"
	"CREATE INDEX outbox_hold ON outbox(hold_id);"
	"CREATE UNIQUE INDEX outbox_once ON outbox(hold_id, kind, rcpt)"
	" WHERE hold_id IS NOT NULL;"
	"CREATE TABLE previews ("
	" hold_id TEXT PRIMARY KEY,"
	" sealed TEXT NOT NULL CHECK (substr(sealed, 1, 3) = 'p1.'),"
	" created_t BIGINT NOT NULL,"
	" expires_t BIGINT NOT NULL DEFAULT 0);"
	"CREATE INDEX previews_expires_t ON previews(expires_t);"
	"CREATE FUNCTION sendguard_previews_gone() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ BEGIN"
	" IF TG_OP = 'DELETE' THEN DELETE FROM previews WHERE hold_id = OLD.id;"
	" ELSIF NEW.status NOT IN ('pending', 'arriving') THEN"
	" DELETE FROM previews WHERE hold_id = NEW.id; END IF;"
	" RETURN NULL; END $$;"
	"CREATE TRIGGER previews_gone AFTER UPDATE OF status OR DELETE ON holds"
	" FOR EACH ROW EXECUTE FUNCTION sendguard_previews_gone();"
	"CREATE TABLE approvals ("
	" seq BIGSERIAL PRIMARY KEY,"
	" hold_id TEXT NOT NULL REFERENCES holds(id) ON DELETE CASCADE,"
	" verdict TEXT NOT NULL CHECK (verdict IN ('approve','reject')),"
	" principal TEXT NOT NULL,"
	" actor TEXT NOT NULL,"
	" recorded_as TEXT NOT NULL,"
	" checked TEXT NOT NULL DEFAULT '[]'"
	"   CHECK (jsonb_typeof(checked::jsonb) = 'array'),"
	" comment TEXT,"
	" at TEXT NOT NULL, at_t BIGINT NOT NULL,"
	" unix_user TEXT);"
	"CREATE UNIQUE INDEX approvals_principal ON approvals(hold_id, principal);"
	"CREATE UNIQUE INDEX approvals_actor ON approvals(hold_id, actor);"
	"CREATE TABLE delegations ("
	" id BIGSERIAL PRIMARY KEY,"
	" principal TEXT NOT NULL,"
	" delegate TEXT NOT NULL,"
	" since_t BIGINT NOT NULL,"
	" until_t BIGINT NOT NULL,"
	" until TEXT NOT NULL,"
	" created TEXT NOT NULL,"
	" created_by TEXT NOT NULL,"
	" revoked_t BIGINT NOT NULL DEFAULT 0,"
	" CHECK (principal <> delegate), CHECK (until_t > since_t));"
	"CREATE INDEX delegations_delegate ON delegations(delegate, until_t);"
	"CREATE INDEX delegations_principal ON delegations(principal, until_t);";

/* Migrations of a PostgreSQL store: { from version, SQL } in order.
 * The first PostgreSQL schema is SQLite's version 5; a later version
 * appends its step here and to st_db.c's st_steps[]. */
static const struct st_pg_step {
	int to;
	const char *sql;
	/* Then, with $1 the migrating gateway's name (none when the store
	 * is being created: it has no holds yet), or NULL. */
	const char *fill;
} st_pg_steps[] = {
	{ 5, NULL, NULL },		/* created whole by st_pg_schema_sql */
	/* As st_db.c's version 6: the display names of a held mail. */
	{ 6, "ALTER TABLE holds ADD COLUMN names TEXT CHECK (names IS NULL"
	     " OR jsonb_typeof(names::jsonb) = 'array')", NULL },
	/* As st_db.c's version 7: gateways, orphaned holds. The holds made
	 * before are the migrating gateway's (README: Gateways). */
	{ 7, "ALTER TABLE holds ADD COLUMN gateway TEXT NOT NULL DEFAULT '';"
	     "ALTER TABLE holds ADD COLUMN orphaned_at TEXT;"
	     "CREATE INDEX holds_gateway ON holds(gateway, status);"
	     "CREATE FUNCTION sendguard_orphaned() RETURNS trigger"
	     " LANGUAGE plpgsql AS $$ BEGIN"
	     " RAISE EXCEPTION '" ST_ORPHANED_MSG "'; END $$;"
	     "CREATE TRIGGER holds_orphaned BEFORE UPDATE OF status, applied ON holds"
	     " FOR EACH ROW WHEN (OLD.orphaned_at IS NOT NULL)"
	     " EXECUTE FUNCTION sendguard_orphaned();"
	     "CREATE FUNCTION sendguard_approval_orphaned() RETURNS trigger"
	     " LANGUAGE plpgsql AS $$ BEGIN"
	     " IF (SELECT orphaned_at FROM holds WHERE id = NEW.hold_id) IS NOT NULL"
	     " THEN RAISE EXCEPTION '" ST_ORPHANED_MSG "';"
	     " END IF; RETURN NEW; END $$;"
	     "CREATE TRIGGER approvals_orphaned BEFORE INSERT ON approvals"
	     " FOR EACH ROW EXECUTE FUNCTION sendguard_approval_orphaned();",
	  "UPDATE holds SET gateway = $1" },
};

/* -1: no meta table (not a sendguard store, or empty), else the
 * version; ST_ERROR in *rc on a database error. */
static int st_pg_version(st_store *st, st_rc *rc, sg_buf *err)
{
	PGresult *r = NULL;
	int v = -1;

	/* Whether meta exists first: a query that names a missing table
	 * fails as a whole, whatever its WHERE says. */
	*rc = st_pg_exec(st, "SELECT to_regclass('meta') IS NOT NULL", 0, NULL,
			 &r, "look for the schema", err);
	if (*rc != ST_OK)
		return -1;
	v = strcmp(PQgetvalue(r, 0, 0), "t") == 0 ? 0 : -1;
	PQclear(r);
	if (v < 0)
		return -1;
	v = -1;
	*rc = st_pg_exec(st, "SELECT (SELECT value FROM meta WHERE key ="
			 " 'schema_version'), (SELECT value FROM meta WHERE key ="
			 " 'store_id')", 0, NULL, &r, "read the schema version", err);
	if (*rc != ST_OK)
		return -1;
	if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
		v = atoi(PQgetvalue(r, 0, 0));
		if (!PQgetisnull(r, 0, 1))
			snprintf(st->id, sizeof(st->id), "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return v;
}

/* Takes the migration lock for this transaction, so that two `store
 * init` or `store migrate` runs never interleave their steps. */
static st_rc st_pg_schema_lock(st_store *st, sg_buf *err)
{
	return st_pg_simple(st, "SELECT pg_advisory_xact_lock(" ST_PG_SCHEMA_LOCK ")",
			    "lock the schema", err);
}

struct st_pg_open {
	bool create, migrate;
	int from;			/* out: version found */
	const char *gateway;		/* migrate: the holds' gateway (NULL: host) */
};

/* One step: its SQL, its fill with the migrating gateway's name, the
 * version recorded. */
static st_rc st_pg_step_run(st_store *st, const struct st_pg_step *step,
			    const char *gateway, sg_buf *err)
{
	char ver[16], host[SG_GATEWAY_SIZE];
	const char *p[1] = { ver };
	st_rc rc;

	if ((rc = st_pg_simple(st, step->sql, "migrate", err)) != ST_OK)
		return rc;
	if (step->fill != NULL) {
		if (gateway == NULL)
			sg_gateway_default(host);
		p[0] = gateway ? gateway : host;
		if ((rc = st_pg_exec(st, step->fill, 1, p, NULL, "migrate",
				     err)) != ST_OK)
			return rc;
	}
	snprintf(ver, sizeof(ver), "%d", step->to);
	p[0] = ver;
	return st_pg_exec(st, "UPDATE meta SET value = $1 WHERE key ="
			  " 'schema_version'", 1, p, NULL,
			  "record the schema version", err);
}

static st_rc st_pg_open_tx(st_store *st, void *arg, sg_buf *err)
{
	struct st_pg_open *o = arg;
	st_rc rc = st_pg_schema_lock(st, err);
	bool migrate = o->migrate;
	int v;

	if (rc != ST_OK)
		return rc;
	v = st_pg_version(st, &rc, err);
	o->from = v;
	if (rc != ST_OK)
		return rc;
	if (v < 0 && o->create) {
		const char *p[2];
		char ver[16];

		if (st_new_id(st->id) < 0) {
			st_seterr(err, "store %s: getrandom failed", st->path);
			return ST_ERROR;
		}
		st->id[0] = 's';
		/* The first PostgreSQL schema, then every later step below,
		 * as a store made before them would be migrated. */
		snprintf(ver, sizeof(ver), "%d", st_pg_steps[0].to);
		p[0] = ver;
		p[1] = st->id;
		if ((rc = st_pg_simple(st, st_pg_schema_sql, "create the schema",
				       err)) != ST_OK)
			return rc;
		if ((rc = st_pg_exec(st, "INSERT INTO meta VALUES ('schema_version', $1),"
				     " ('store_id', $2)", 2, p, NULL,
				     "record the schema version", err)) != ST_OK)
			return rc;
		v = st_pg_steps[0].to;
		migrate = true;
	}
	if (v < 0) {
		st_seterr(err, "store %s: no sendguard schema in this database"
			  " (sendguardctl store init creates it)", st->path);
		return ST_ERROR;
	}
	if (v > ST_SCHEMA_VERSION) {
		st_seterr(err, "store %s: schema version %d is newer than this"
			  " sendguard's (%d): upgrade sendguard on this gateway",
			  st->path, v, ST_SCHEMA_VERSION);
		return ST_ERROR;
	}
	if (v < st_pg_steps[0].to) {
		st_seterr(err, "store %s: schema version %d is not a PostgreSQL"
			  " store's", st->path, v);
		return ST_ERROR;
	}
	if (v < ST_SCHEMA_VERSION && !migrate) {
		st_seterr(err, "store %s: schema version %d, this sendguard needs"
			  " %d: run sendguardctl store migrate (once, with every"
			  " gateway's sendguard upgraded)", st->path, v,
			  ST_SCHEMA_VERSION);
		return ST_ERROR;
	}
	for (size_t i = 0; i < sizeof(st_pg_steps) / sizeof(st_pg_steps[0]); i++) {
		if (st_pg_steps[i].to <= v || st_pg_steps[i].sql == NULL)
			continue;
		if ((rc = st_pg_step_run(st, &st_pg_steps[i], o->gateway, err)) != ST_OK)
			return rc;
	}
	return ST_OK;
}

/* "postgresql (host=... dbname=...)" without any password: the name
 * errors and `doctor` show. The DSN holds none (sg_dsn_check), and
 * libpq's parse is checked again here. */
static char *st_pg_name(const char *dsn, sg_buf *err)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(dsn, &perr);
	sg_buf name;

	if (opts == NULL) {
		st_seterr(err, "store postgresql: [store] dsn: %s",
			  perr ? perr : "cannot be parsed");
		PQfreemem(perr);
		return NULL;
	}
	sg_buf_init(&name, 1024);
	sg_buf_puts(&name, "postgresql (");
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || *o->val == '\0')
			continue;
		if (strcmp(o->keyword, "password") == 0) {
			st_seterr(err, "store postgresql: [store] dsn holds a password:"
				  " use a password file (~/.pgpass, passfile=)");
			PQconninfoFree(opts);
			sg_buf_free(&name);
			return NULL;
		}
		if (strcmp(o->keyword, "host") == 0 || strcmp(o->keyword, "port") == 0 ||
		    strcmp(o->keyword, "dbname") == 0 || strcmp(o->keyword, "user") == 0)
			sg_buf_printf(&name, "%s%s=%s", name.len > 12 ? " " : "",
				      o->keyword, o->val);
	}
	sg_buf_putc(&name, ')');
	PQconninfoFree(opts);
	return sg_buf_steal(&name);
}

static st_store *st_pg_connect(const char *dsn, struct st_pg_open *o,
			       sg_buf *err)
{
	char *name = dsn ? st_pg_name(dsn, err) : NULL;
	st_store *st;
	st_pg *pg;
	st_rc rc;

	if (name == NULL) {
		if (dsn == NULL)
			st_seterr(err, "store postgresql: no [store] dsn");
		return NULL;
	}
	st = sg_xcalloc(1, sizeof(*st));
	pg = sg_xcalloc(1, sizeof(*pg));
	st->be = &st_pg_ops;
	st->pg = pg;
	st->path = name;
	pthread_mutex_init(&st->mu, NULL);
	pg->dsn = sg_xstrdup(dsn);
	/* Times and numbers come back as text in our own formats; the
	 * session must not reinterpret them (st_pg_dial). */
	if ((pg->conn = st_pg_dial(dsn, st->path, err)) == NULL) {
		st_close(st);
		return NULL;
	}
	rc = st_pg_tx(st, st_pg_open_tx, o, err);
	if (rc != ST_OK) {
		st_close(st);
		return NULL;
	}
	st->ident = false;
	return st;
}

st_store *st_pg_open(const char *dsn, sg_buf *err)
{
	struct st_pg_open o = { false, false, 0, NULL };

	return st_pg_connect(dsn, &o, err);
}

st_store *st_pg_create(const char *dsn, sg_buf *err)
{
	struct st_pg_open o = { true, false, 0, NULL };

	return st_pg_connect(dsn, &o, err);
}

st_store *st_pg_migrate(const char *dsn, const char *gateway, int *from,
			 sg_buf *err)
{
	struct st_pg_open o = { false, true, 0, gateway };
	st_store *st = st_pg_connect(dsn, &o, err);

	*from = o.from;
	return st;
}

void st_pg_close(st_store *st)
{
	st_pg *pg = st->pg;

	if (pg != NULL) {
		PQfinish(pg->conn);
		free(pg->dsn);
	}
	free(pg);
	pthread_mutex_destroy(&st->mu);
	free(st->lost);
	free(st->path);
	free(st);
}

int st_pg_schema_version(st_store *st)
{
	st_rc rc;
	int v;

	pthread_mutex_lock(&st->mu);
	v = st_pg_version(st, &rc, NULL);
	pthread_mutex_unlock(&st->mu);
	return rc == ST_OK ? v : -1;
}

/* --------------------------------------------------------------- audit */

/* Inside a transaction: the chain's advisory lock (held to COMMIT, so
 * the next appender reads what this transaction adds as its head) and
 * the head itself: *seq 0 and the genesis value when there is none (a
 * retention purge leaves its anchor, so that is a new store only). */
static st_rc st_pg_chain_head(st_store *st, long long *seq, char prev[65], sg_buf *err)
{
	PGresult *r = NULL;
	st_rc rc;

	rc = st_pg_simple(st, "SELECT pg_advisory_xact_lock(" ST_PG_AUDIT_LOCK ")",
			  "lock the audit chain", err);
	if (rc == ST_OK)
		rc = st_pg_exec(st, "SELECT seq, hash FROM audit ORDER BY seq DESC"
				" LIMIT 1", 0, NULL, &r, "read the audit chain's head",
				err);
	if (rc != ST_OK)
		return rc;
	*seq = 0;
	snprintf(prev, 65, "%s", ST_AUDIT_GENESIS);
	if (PQntuples(r) == 1) {
		*seq = atoll(PQgetvalue(r, 0, 0));
		snprintf(prev, 65, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return ST_OK;
}

/* One record's eleven INSERT parameters, with the text they point to. */
typedef struct st_pg_arec {
	char seq[32], tst[32], ts[ST_TIME_SIZE], prev[65], hash[65];
	const char *p[11];
} st_pg_arec;

/* Record `seq` after the one whose hash is prev: its hash, its
 * parameters; prev becomes its hash for the next. */
static void st_pg_arec_make(st_pg_arec *o, long long seq, char prev[65],
			    const struct st_pg_append *a, const char *user)
{
	st_audit_rec rec;

	memset(&rec, 0, sizeof(rec));
	rec.seq = seq;
	rec.ts_t = time(NULL);
	st_time_iso(rec.ts_t, o->ts);
	rec.ts = o->ts;
	rec.event = a->event;
	rec.hold_id = a->hold_id;
	rec.queue_id = a->queue_id;
	rec.actor = a->actor;
	rec.unix_user = a->unix_user ? a->unix_user : user;
	rec.detail = a->detail ? a->detail : "{}";
	snprintf(o->prev, sizeof(o->prev), "%s", prev);
	rec.prev_hash = o->prev;
	st_audit_hash(o->prev, &rec, o->hash);
	memcpy(prev, o->hash, 65);
	snprintf(o->seq, sizeof(o->seq), "%lld", rec.seq);
	snprintf(o->tst, sizeof(o->tst), "%lld", (long long)rec.ts_t);
	o->p[0] = o->seq;
	o->p[1] = o->ts;
	o->p[2] = o->tst;
	o->p[3] = rec.event;
	o->p[4] = rec.hold_id;
	o->p[5] = rec.queue_id;
	o->p[6] = rec.actor;
	o->p[7] = rec.unix_user;
	o->p[8] = rec.detail;
	o->p[9] = o->prev;
	o->p[10] = o->hash;
}

/* Inside a transaction: records a[0..n) chained after the head, in
 * their order, with one INSERT. The hashes are computed here, in C, as
 * on SQLite, so a group commit costs three round trips, not three per
 * record. */
static st_rc st_pg_append_many(st_store *st, const struct st_pg_append *a, size_t n,
			       sg_buf *err)
{
	char prev[65], user[128];
	long long seq;
	st_pg_arec *o;
	const char **p;
	sg_buf sql;
	st_rc rc;

	if ((rc = st_pg_chain_head(st, &seq, prev, err)) != ST_OK)
		return rc;
	st_effective_user(user, sizeof(user));
	o = sg_xcalloc(n, sizeof(*o));
	p = sg_xcalloc(n * 11, sizeof(*p));
	sg_buf_init(&sql, SG_BUF_UNLIMITED);
	sg_buf_puts(&sql, "INSERT INTO audit (seq, ts, ts_t, event, hold_id, queue_id,"
		    " actor, unix_user, detail, prev_hash, hash) VALUES ");
	for (size_t i = 0; i < n; i++) {
		st_pg_arec_make(&o[i], seq + 1 + (long long)i, prev, &a[i], user);
		memcpy(p + i * 11, o[i].p, sizeof(o[i].p));
		sg_buf_printf(&sql, "%s(", i ? "," : "");
		for (size_t k = 0; k < 11; k++)
			sg_buf_printf(&sql, "%s$%zu", k ? "," : "", i * 11 + k + 1);
		sg_buf_putc(&sql, ')');
	}
	rc = st_pg_exec(st, sg_buf_cstr(&sql), (int)(n * 11), p, NULL,
			"append audit records", err);
	sg_buf_free(&sql);
	free(p);
	free(o);
	return rc;
}

st_rc st_pg_append_tx(st_store *st, const struct st_pg_append *a,
		      sg_buf *err)
{
	return st_pg_append_many(st, a, 1, err);
}

static st_rc st_pg_append_step(st_store *st, void *arg, sg_buf *err)
{
	return st_pg_append_tx(st, arg, err);
}

st_rc st_pg_audit_append(st_store *st, const char *event, const char *hold_id,
			 const char *queue_id, const char *actor,
			 const char *unix_user, const char *detail_json,
			 sg_buf *err)
{
	struct st_pg_append a = { event, hold_id, queue_id, actor, unix_user,
				  detail_json };

	if (event == NULL || *event == '\0') {
		st_seterr(err, "store %s: audit record without an event", st->path);
		return ST_INVALID;
	}
	if (detail_json != NULL && !sg_json_valid(detail_json, strlen(detail_json))) {
		st_seterr(err, "store %s: audit detail is not valid JSON", st->path);
		return ST_INVALID;
	}
	return st_pg_tx(st, st_pg_append_step, &a, err);
}

struct st_pg_batch {
	const st_audit_new *recs;
	size_t n;
};

/* The records chain on one another in their order, in one transaction
 * and one INSERT. */
static st_rc st_pg_batch_step(st_store *st, void *arg, sg_buf *err)
{
	const struct st_pg_batch *b = arg;
	struct st_pg_append *a = sg_xcalloc(b->n, sizeof(*a));
	st_rc rc;

	for (size_t i = 0; i < b->n; i++)
		a[i] = (struct st_pg_append){ b->recs[i].event, b->recs[i].hold_id,
					      b->recs[i].queue_id, b->recs[i].actor,
					      b->recs[i].unix_user, b->recs[i].detail_json };
	rc = st_pg_append_many(st, a, b->n, err);
	free(a);
	return rc;
}

/* The group commit of the milter's accept records (issue 21), as
 * st_sql_audit_append_batch on SQLite: all or none. */
st_rc st_pg_audit_append_batch(st_store *st, const st_audit_new *recs, size_t n,
			       sg_buf *err)
{
	struct st_pg_batch b = { recs, n };

	if (n == 0)
		return ST_OK;
	/* Checked before the transaction, as on SQLite. */
	for (size_t i = 0; i < n; i++) {
		if (recs[i].event == NULL || *recs[i].event == '\0') {
			st_seterr(err, "store %s: audit record without an event", st->path);
			return ST_INVALID;
		}
		if (recs[i].detail_json != NULL &&
		    !sg_json_valid(recs[i].detail_json, strlen(recs[i].detail_json))) {
			st_seterr(err, "store %s: audit detail is not valid JSON", st->path);
			return ST_INVALID;
		}
	}
	return st_pg_tx(st, st_pg_batch_step, &b, err);
}

#define ST_PG_AUDIT_COLS "seq, ts, ts_t, event, hold_id, queue_id, actor," \
			 " unix_user, detail, prev_hash, hash"

const char *st_pg_val(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static void st_pg_audit_row(const PGresult *r, int i, st_audit_rec *rec)
{
	rec->seq = atoll(PQgetvalue(r, i, 0));
	rec->ts = st_pg_val(r, i, 1);
	rec->ts_t = (time_t)atoll(PQgetvalue(r, i, 2));
	rec->event = st_pg_val(r, i, 3);
	rec->hold_id = st_pg_val(r, i, 4);
	rec->queue_id = st_pg_val(r, i, 5);
	rec->actor = st_pg_val(r, i, 6);
	rec->unix_user = st_pg_val(r, i, 7);
	rec->detail = st_pg_val(r, i, 8);
	rec->prev_hash = st_pg_val(r, i, 9);
	rec->hash = st_pg_val(r, i, 10);
}

/* Reads the audit records in pages of ST_PG_PAGE inside one REPEATABLE
 * READ transaction (a consistent snapshot while writers go on), so a
 * long chain is never held in memory at once. cb returns non-zero to
 * stop. */
typedef int (*st_pg_rec_fn)(const st_audit_rec *r, void *ctx);
/* Run on the reader's connection inside its snapshot, before the first
 * page (verify reads the anchor there). */
typedef st_rc (*st_pg_begin_fn)(st_store *rd, void *ctx, sg_buf *err);

static st_rc st_pg_audit_scan(st_store *st, const char *hold_id, time_t since,
			      st_pg_begin_fn begin, st_pg_rec_fn fn, void *ctx,
			      sg_buf *err)
{
	char after[32] = "0", sincebuf[32];
	st_rc rc;
	bool stop = false;
	/* A connection of its own (as SQLite's st_open_reader): the scan
	 * holds no lock of the handle, so its callback may call the store
	 * and the milter's threads go on writing meanwhile. */
	st_store rd;
	st_pg rpg;

	memset(&rd, 0, sizeof(rd));
	rd.be = st->be;
	rd.pg = &rpg;
	rd.path = st->path;
	rpg.dsn = NULL;
	if ((rpg.conn = st_pg_dial(((st_pg *)st->pg)->dsn, st->path, err)) == NULL)
		return ST_ERROR;
	st = &rd;

	snprintf(sincebuf, sizeof(sincebuf), "%lld", (long long)since);
	rc = st_pg_simple(st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
			  "begin read", err);
	if (rc == ST_OK && begin != NULL)
		rc = begin(st, ctx, err);
	/* Each page starts after the last seq seen: bounded by the number
	 * of records, one page at a time. */
	while (rc == ST_OK && !stop) {
		const char *p[3] = { after, hold_id, sincebuf };
		PGresult *r = NULL;
		int n;

		rc = st_pg_exec(st, "SELECT " ST_PG_AUDIT_COLS " FROM audit WHERE"
				" seq > $1::bigint AND ($2::text IS NULL OR hold_id = $2)"
				" AND ts_t >= $3::bigint ORDER BY seq LIMIT 1000", 3, p,
				&r, "read the audit log", err);
		if (rc != ST_OK)
			break;
		n = PQntuples(r);
		for (int i = 0; i < n && !stop; i++) {
			st_audit_rec rec;

			st_pg_audit_row(r, i, &rec);
			snprintf(after, sizeof(after), "%lld", rec.seq);
			stop = fn(&rec, ctx) != 0;
		}
		PQclear(r);
		if (n < ST_PG_PAGE)
			break;
	}
	(void)st_pg_simple(st, rc == ST_OK ? "COMMIT" : "ROLLBACK", "end read", NULL);
	PQfinish(rpg.conn);
	return rc;
}

struct st_pg_walk {
	st_store *st;
	long long base;
	char prev[65];
	size_t n, bad;
	const char *why;
	sg_buf *err;
};

static int st_pg_walk_one(const st_audit_rec *r, void *ctx)
{
	struct st_pg_walk *w = ctx;
	char hex[65];
	long long want = w->base + (long long)w->n + 1;

	if (r->seq != want)
		w->why = "sequence gap (a record before it is missing)";
	else if (r->prev_hash == NULL || strcmp(r->prev_hash, w->prev) != 0)
		w->why = "prev_hash does not match the previous record";
	else {
		st_audit_hash(w->prev, r, hex);
		if (r->hash == NULL || strcmp(r->hash, hex) != 0)
			w->why = "hash does not match its fields (record changed)";
	}
	if (w->why) {
		w->bad = r->seq > 0 ? (size_t)r->seq : (size_t)want;
		st_seterr(w->err, "store %s: audit record %lld: %s", w->st->path,
			  r->seq, w->why);
		return 1;
	}
	snprintf(w->prev, sizeof(w->prev), "%s", r->hash);
	w->n++;
	return 0;
}

/* After a retention purge the chain starts after the newest anchor's
 * record (st_pg_purge.c), else at the genesis value: the same anchor
 * SQLite's st_audit_anchor (st_purge.c) finds, the newest "purge"
 * record whose detail names a through_seq above 0, read from the same
 * snapshot as the records. A through_seq that is no number (a changed
 * anchor) is no anchor here; the walk then fails at the changed record
 * or at the gap. */
static st_rc st_pg_anchor(st_store *rd, void *ctx, sg_buf *err)
{
	struct st_pg_walk *w = ctx;
	PGresult *r = NULL;
	st_rc rc;

	rc = st_pg_exec(rd, "SELECT (detail::jsonb->>'through_seq')::bigint,"
			" detail::jsonb->>'through_hash' FROM audit WHERE event ="
			" 'purge' AND CASE WHEN detail::jsonb->>'through_seq' ~"
			" '^[0-9]{1,18}$' THEN (detail::jsonb->>'through_seq')::bigint"
			" > 0 ELSE false END ORDER BY seq DESC LIMIT 1", 0, NULL, &r,
			"read the audit log's anchor", err);
	if (rc != ST_OK)
		return rc;
	if (PQntuples(r) == 1) {
		const char *h = st_pg_val(r, 0, 1);

		w->base = atoll(PQgetvalue(r, 0, 0));
		snprintf(w->prev, sizeof(w->prev), "%s", h ? h : "");
	}
	PQclear(r);
	return ST_OK;
}

st_rc st_pg_audit_verify(st_store *st, size_t *nrecords, size_t *bad_seq,
			 sg_buf *err)
{
	struct st_pg_walk w;
	st_rc rc;

	memset(&w, 0, sizeof(w));
	w.st = st;
	w.err = err;
	snprintf(w.prev, sizeof(w.prev), "%s", ST_AUDIT_GENESIS);
	rc = st_pg_audit_scan(st, NULL, 0, st_pg_anchor, st_pg_walk_one, &w, err);
	if (nrecords)
		*nrecords = w.n;
	if (bad_seq)
		*bad_seq = w.bad;
	if (rc == ST_OK && w.why)
		return ST_CORRUPT;
	return rc;
}

struct st_pg_list {
	st_audit_cb cb;
	void *ctx;
};

static int st_pg_list_one(const st_audit_rec *r, void *ctx)
{
	struct st_pg_list *l = ctx;

	return l->cb(r, l->ctx);
}

st_rc st_pg_audit_list(st_store *st, const char *hold_id, time_t since,
		       st_audit_cb cb, void *ctx, sg_buf *err)
{
	struct st_pg_list l = { cb, ctx };

	return st_pg_audit_scan(st, hold_id, since, NULL, st_pg_list_one, &l, err);
}

/* -------------------------------------------------------------- nonces */

struct st_pg_nonce {
	const char *nonce;
	time_t now;
	long ttl;
	int fresh;
};

static st_rc st_pg_nonce_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_pg_nonce *n = arg;
	char now[32], exp[32];
	const char *p[2];
	PGresult *r = NULL;
	st_rc rc;

	snprintf(now, sizeof(now), "%lld", (long long)n->now);
	snprintf(exp, sizeof(exp), "%lld", (long long)n->now + n->ttl);
	p[0] = now;
	rc = st_pg_exec(st, "DELETE FROM nonces WHERE expires_t < $1::bigint", 1, p,
			NULL, "nonces", err);
	if (rc != ST_OK)
		return rc;
	p[0] = n->nonce;
	p[1] = exp;
	rc = st_pg_exec(st, "INSERT INTO nonces (nonce, expires_t) VALUES ($1,"
			" $2::bigint) ON CONFLICT (nonce) DO NOTHING", 2, p, &r,
			"nonces", err);
	if (rc == ST_OK) {
		n->fresh = strcmp(PQcmdTuples(r), "1") == 0;
		PQclear(r);
	}
	return rc;
}

int st_pg_nonce_use(st_store *st, const char *nonce, time_t now, long ttl,
		    sg_buf *err)
{
	struct st_pg_nonce n = { nonce, now, ttl, 0 };

	if (nonce == NULL || *nonce == '\0' || ttl < 0) {
		st_seterr(err, "store %s: empty nonce or negative lifetime", st->path);
		return -1;
	}
	if (st_pg_tx(st, st_pg_nonce_step, &n, err) != ST_OK)
		return -1;
	return n.fresh;
}
