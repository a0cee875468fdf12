/*
 * NAME
 *	pg_store - the PostgreSQL store against a real server
 * SYNOPSIS
 *	pg_store unit DSN
 *	pg_store writers DSN K N
 * DESCRIPTION
 *	Run by tests/pg/run.sh against its own cluster (never a database
 *	someone else uses: `unit` drops and recreates the schema).
 *
 *	unit: store init makes the schema and a store id and is idempotent;
 *	the schema version is checked at open (newer refused, older
 *	refused until `store migrate`); audit append, list and verify; a
 *	record changed behind the store's back (triggers disabled by the
 *	superuser) is found at its seq; the same records copied from an
 *	SQLite store verify on PostgreSQL with the same count (the hashed
 *	bytes are the stored bytes); notice nonces; a DSN with a password
 *	is refused by libpq's own parse too; a function the backend does
 *	not have yet says so.
 *
 *	writers: K processes each append N records at once, each detail
 *	{"w":W,"n":I}; then every (W, I) is in the log exactly once and
 *	the chain verifies.
 *
 *	Output: "ok ..." / "not ok ..." lines, "P passed, F failed" last;
 *	exit 1 on any failure.
 */
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/st.h"
#include "util/sg_buf.h"

static int passed, failed;

static void check(int cond, const char *what, const char *detail)
{
	if (cond) {
		passed++;
		printf("ok %d %s\n", passed + failed, what);
	} else {
		failed++;
		printf("not ok %d %s%s%s\n", passed + failed, what,
		       detail ? ": " : "", detail ? detail : "");
	}
	fflush(stdout);
}

#define ST_PG_STR1(x) #x
#define ST_PG_STR(x) ST_PG_STR1(x)

/* Runs q on its own connection; false (and the error on stderr) when
 * it failed. */
static bool sql(const char *dsn, const char *q)
{
	PGconn *c = PQconnectdb(dsn);
	PGresult *r = PQexec(c, q);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
		  PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "pg_store: %s: %s", q, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok;
}

static st_store *pg_open(const char *dsn, sg_buf *err)
{
	st_config c = { "postgresql", NULL, dsn, NULL };

	return st_open_config(&c, err);
}

struct copy {
	const char *dsn;
	PGconn *c;
	size_t n;
};

/* Copies one SQLite record, bytes as stored, into the PostgreSQL log
 * (triggers off for the copy: it inserts seq as given). */
static int copy_one(const st_audit_rec *r, void *ctx)
{
	struct copy *cp = ctx;
	char seq[32], tst[32];
	const char *p[11];
	PGresult *res;

	snprintf(seq, sizeof(seq), "%lld", r->seq);
	snprintf(tst, sizeof(tst), "%lld", (long long)r->ts_t);
	p[0] = seq; p[1] = r->ts; p[2] = tst; p[3] = r->event; p[4] = r->hold_id;
	p[5] = r->queue_id; p[6] = r->actor; p[7] = r->unix_user; p[8] = r->detail;
	p[9] = r->prev_hash; p[10] = r->hash;
	res = PQexecParams(cp->c, "INSERT INTO audit VALUES ($1,$2,$3,$4,$5,$6,$7,"
			   "$8,$9,$10,$11)", 11, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		cp->n++;
	else
		fprintf(stderr, "pg_store: copy: %s", PQerrorMessage(cp->c));
	PQclear(res);
	return 0;
}

static void unit_copy_from_sqlite(const char *dsn)
{
	char dir[] = "/tmp/pg_store_XXXXXX", path[256];
	st_store *lite, *pg;
	size_t n = 0, bad = 0, m = 0;
	struct copy cp = { dsn, NULL, 0 };
	sg_buf err;
	st_rc rc;

	sg_buf_init(&err, 4096);
	if (mkdtemp(dir) == NULL)
		return;
	snprintf(path, sizeof(path), "%s/s.db", dir);
	lite = st_create(path, &err);
	check(lite != NULL, "sqlite store for the copy", sg_buf_cstr(&err));
	if (lite == NULL)
		return;
	/* Details as util's writer makes them, with text that jsonb would
	 * reorder or rewrite: keys out of order, escapes, Japanese. */
	st_audit_append(lite, "hold", "h1", "Q1", "milter", "sendguard",
			"{\"z\":1,\"a\":\"\\u0001\",\"件名\":\"会議資料\"}", &err);
	st_audit_append(lite, "approve", "h1", "Q1", "kacho@example.lg.jp", NULL,
			"{\"b\":[3,1],\"a\":{\"y\":null,\"x\":true}}", &err);
	st_audit_append(lite, "apply", "h1", "Q1", NULL, NULL, NULL, &err);
	sql(dsn, "ALTER TABLE audit DISABLE TRIGGER USER; DELETE FROM audit;"
		 " ALTER TABLE audit ENABLE TRIGGER USER");
	cp.c = PQconnectdb(dsn);
	(void)st_audit_list(lite, NULL, 0, copy_one, &cp, &err);
	PQfinish(cp.c);
	rc = st_audit_verify(lite, &m, &bad, &err);
	pg = pg_open(dsn, &err);
	check(pg != NULL, "reopen after the copy", sg_buf_cstr(&err));
	if (pg != NULL) {
		rc = st_audit_verify(pg, &n, &bad, &err);
		check(rc == ST_OK && n == m && m == 3,
		      "a chain copied from SQLite verifies on PostgreSQL, same count",
		      sg_buf_cstr(&err));
		/* And the chain goes on from the copied head. */
		rc = st_audit_append(pg, "expire", "h2", NULL, "expire", NULL, "{}", &err);
		rc = rc == ST_OK ? st_audit_verify(pg, &n, &bad, &err) : rc;
		check(rc == ST_OK && n == 4, "appends continue the copied chain",
		      sg_buf_cstr(&err));
	}
	st_close(pg);
	st_close(lite);
	unlink(path);
	snprintf(path, sizeof(path), "%s/s.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/s.db-shm", dir);
	unlink(path);
	rmdir(dir);
	sg_buf_free(&err);
}

static int count_cb(const st_audit_rec *r, void *ctx)
{
	(void)r;
	(*(size_t *)ctx)++;
	return 0;
}

static int unit(const char *dsn)
{
	st_config c = { "postgresql", NULL, dsn, NULL };
	st_store *st;
	sg_buf err;
	size_t n = 0, bad = 0;
	char id[ST_ID_SIZE];
	int from = -1;
	st_rc rc;

	sg_buf_init(&err, 4096);
	sql(dsn, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
	st = st_open_config(&c, &err);
	check(st == NULL && strstr(sg_buf_cstr(&err), "store init") != NULL,
	      "open of an empty database says to run store init", sg_buf_cstr(&err));
	st_close(st);
	st = st_create_config(&c, &err);
	check(st != NULL && st_schema_version(st) == ST_SCHEMA_VERSION &&
	      st_id(st)[0] == 's', "store init creates the schema and a store id",
	      sg_buf_cstr(&err));
	if (st == NULL) {
		sg_buf_free(&err);
		return 1;
	}
	snprintf(id, sizeof(id), "%s", st_id(st));
	check(strcmp(st_backend_name(st), "postgresql") == 0 &&
	      strstr(st_path(st), "dbname=") != NULL, "the store names its backend",
	      st_path(st));
	st_close(st);
	st = st_create_config(&c, &err);
	check(st != NULL && strcmp(st_id(st), id) == 0,
	      "store init again leaves the store as it is", sg_buf_cstr(&err));
	st_close(st);

	/* Schema version at open. */
	sql(dsn, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
	st = pg_open(dsn, &err);
	check(st == NULL && strstr(sg_buf_cstr(&err), "newer") != NULL,
	      "a newer schema is refused", sg_buf_cstr(&err));
	st_close(st);
	sql(dsn, "UPDATE meta SET value = '4' WHERE key = 'schema_version'");
	st = pg_open(dsn, &err);
	check(st == NULL && strstr(sg_buf_cstr(&err), "not a PostgreSQL") != NULL,
	      "a version no PostgreSQL store had is refused", sg_buf_cstr(&err));
	st_close(st);
	sql(dsn, "UPDATE meta SET value = '" ST_PG_STR(ST_SCHEMA_VERSION)
	    "' WHERE key = 'schema_version'");
	st = st_migrate_config(&c, &from, &err);
	check(st != NULL && from == ST_SCHEMA_VERSION, "store migrate of a current"
	      " schema does nothing", sg_buf_cstr(&err));
	st_close(st);
	/* A store made at version 5 (the first PostgreSQL schema) is
	 * refused until migrated, and migrate brings it to the current
	 * version with the columns added since. */
	sql(dsn, "ALTER TABLE holds DROP COLUMN names");
	/* and without version 7's gateways */
	sql(dsn, "DROP TRIGGER holds_orphaned ON holds; DROP TRIGGER"
	    " approvals_orphaned ON approvals; DROP FUNCTION sendguard_orphaned();"
	    " DROP FUNCTION sendguard_approval_orphaned(); DROP INDEX holds_gateway;"
	    " ALTER TABLE holds DROP COLUMN gateway, DROP COLUMN orphaned_at");
	sql(dsn, "UPDATE meta SET value = '5' WHERE key = 'schema_version'");
	st = pg_open(dsn, &err);
	check(st == NULL && strstr(sg_buf_cstr(&err), "store migrate") != NULL,
	      "an older schema is refused until migrated", sg_buf_cstr(&err));
	st_close(st);
	st = st_migrate_config(&c, &from, &err);
	check(st != NULL && from == 5 && st_schema_version(st) == ST_SCHEMA_VERSION,
	      "store migrate from version 5", sg_buf_cstr(&err));
	st_close(st);
	check(sql(dsn, "SELECT names FROM holds LIMIT 1"),
	      "the migrated store has the names column", "");
	check(sql(dsn, "SELECT gateway, orphaned_at FROM holds LIMIT 1"),
	      "the migrated store has the gateway columns", "");

	st = pg_open(dsn, &err);
	check(st != NULL, "open", sg_buf_cstr(&err));
	if (st == NULL) {
		sg_buf_free(&err);
		return 1;
	}
	/* The audit log. */
	rc = st_audit_verify(st, &n, &bad, &err);
	check(rc == ST_OK && n == 0, "an empty log verifies", sg_buf_cstr(&err));
	for (int i = 0; i < 20 && rc == ST_OK; i++)
		rc = st_audit_append(st, "hold", "h1", "Q1", "milter", NULL,
				     "{\"categories\":[\"personal-data\"],\"n\":1}", &err);
	check(rc == ST_OK, "20 appends", sg_buf_cstr(&err));
	{
		/* st_data_version moves when something was recorded (the
		 * apply daemon's cheap "did anyone commit?"). */
		long long v0 = st_data_version(st), v1;

		st_audit_append(st, "hold", "h0", "Q0", "milter", NULL, "{}", &err);
		v1 = st_data_version(st);
		check(v0 >= 20 && v1 > v0, "data_version moves with a commit", "");
		check(st_data_version(st) == v1, "data_version stays without one", "");
	}
	rc = st_audit_verify(st, &n, &bad, &err);
	check(rc == ST_OK && n == 21, "21 records verify", sg_buf_cstr(&err));
	check(st_audit_append(st, "x", NULL, NULL, NULL, NULL, "{not json", &err) ==
	      ST_INVALID, "invalid detail JSON is refused", sg_buf_cstr(&err));
	check(st_audit_append(st, "", NULL, NULL, NULL, NULL, NULL, &err) ==
	      ST_INVALID, "an empty event is refused", NULL);
	n = 0;
	check(st_audit_list(st, "h1", 0, count_cb, &n, &err) == ST_OK && n == 20,
	      "audit list by hold", sg_buf_cstr(&err));
	sql(dsn, "UPDATE audit SET actor = 'mallory' WHERE seq = 7");
	rc = st_audit_verify(st, &n, &bad, &err);
	check(rc == ST_OK, "the append-only trigger refuses UPDATE", sg_buf_cstr(&err));
	sql(dsn, "ALTER TABLE audit DISABLE TRIGGER USER;"
		 " UPDATE audit SET actor = 'mallory' WHERE seq = 7;"
		 " ALTER TABLE audit ENABLE TRIGGER USER");
	rc = st_audit_verify(st, &n, &bad, &err);
	check(rc == ST_CORRUPT && bad == 7 && n == 6,
	      "a record changed behind the store is found at its seq", sg_buf_cstr(&err));
	sql(dsn, "ALTER TABLE audit DISABLE TRIGGER USER;"
		 " DELETE FROM audit WHERE seq = 12;"
		 " UPDATE audit SET actor = 'milter' WHERE seq = 7;"
		 " ALTER TABLE audit ENABLE TRIGGER USER");
	rc = st_audit_verify(st, &n, &bad, &err);
	check(rc == ST_CORRUPT && bad == 13, "a removed record is found",
	      sg_buf_cstr(&err));

	/* Nonces. */
	check(st_nonce_use(st, "n1", 1000, 60, &err) == 1, "a nonce is new once", NULL);
	check(st_nonce_use(st, "n1", 1010, 60, &err) == 0, "then seen", NULL);
	check(st_nonce_use(st, "n1", 2000, 60, &err) == 1,
	      "and new again once it has expired", NULL);

	/* Holds are there now (tests/pg/pg_hold.c): a missing one is
	 * ST_NOTFOUND, no longer "not in the PostgreSQL store yet". */
	{
		st_hold *h = NULL;

		rc = st_hold_get(st, "h1", &h, &err);
		check(rc == ST_NOTFOUND && h == NULL, "a missing hold is not found",
		      sg_buf_cstr(&err));
	}
	st_close(st);

	/* A password in the DSN: libpq's own parse refuses it too. */
	{
		sg_buf_reset(&err);
		char bad_dsn[512];

		snprintf(bad_dsn, sizeof(bad_dsn), "%s password=hunter2", dsn);
		st = pg_open(bad_dsn, &err);
		check(st == NULL && strstr(sg_buf_cstr(&err), "password") &&
		      !strstr(sg_buf_cstr(&err), "hunter2"),
		      "a DSN with a password is refused, without echoing it",
		      sg_buf_cstr(&err));
		st_close(st);
	}
	unit_copy_from_sqlite(dsn);
	sg_buf_free(&err);
	return 0;
}

struct seen {
	int k, n;
	unsigned char *hits;
	size_t total, dup, odd;
};

static int seen_cb(const st_audit_rec *r, void *ctx)
{
	struct seen *s = ctx;
	int w, i;

	s->total++;
	if (r->event == NULL || strcmp(r->event, "writer") != 0)
		return 0;
	if (r->detail == NULL || sscanf(r->detail, "{\"w\":%d,\"n\":%d}", &w, &i) != 2 ||
	    w < 0 || w >= s->k || i < 0 || i >= s->n) {
		s->odd++;
		return 0;
	}
	if (s->hits[(size_t)w * (size_t)s->n + (size_t)i]++)
		s->dup++;
	return 0;
}

static int writers(const char *dsn, int k, int n)
{
	struct seen s = { k, n, calloc((size_t)k * (size_t)n, 1), 0, 0, 0 };
	size_t got = 0, bad = 0, missing = 0;
	sg_buf err;
	st_store *st;
	int fails = 0;

	for (int w = 0; w < k; w++) {
		pid_t p = fork();

		if (p == 0) {
			sg_buf e;
			st_store *own;
			int rc = 0;

			sg_buf_init(&e, 4096);
			if ((own = pg_open(dsn, &e)) == NULL) {
				fprintf(stderr, "writer %d: %s\n", w, sg_buf_cstr(&e));
				_exit(2);
			}
			for (int i = 0; i < n && rc == 0; i++) {
				char d[64];

				snprintf(d, sizeof(d), "{\"w\":%d,\"n\":%d}", w, i);
				if (st_audit_append(own, "writer", NULL, NULL, "pg_store",
						    NULL, d, &e) != ST_OK) {
					fprintf(stderr, "writer %d: %s\n", w, sg_buf_cstr(&e));
					rc = 1;
				}
			}
			st_close(own);
			sg_buf_free(&e);
			_exit(rc);
		}
	}
	for (int w = 0; w < k; w++) {
		int status;

		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fails++;
	}
	check(fails == 0, "every writer process appended all its records", NULL);
	sg_buf_init(&err, 4096);
	st = pg_open(dsn, &err);
	if (st == NULL) {
		check(0, "open after the writers", sg_buf_cstr(&err));
		free(s.hits);
		sg_buf_free(&err);
		return 1;
	}
	check(st_audit_list(st, NULL, 0, seen_cb, &s, &err) == ST_OK, "list", NULL);
	for (size_t i = 0; i < (size_t)k * (size_t)n; i++)
		missing += s.hits[i] == 0;
	{
		char msg[128];

		snprintf(msg, sizeof(msg), "%zu missing, %zu duplicated, %zu odd",
			 missing, s.dup, s.odd);
		check(missing == 0 && s.dup == 0 && s.odd == 0,
		      "no record lost or duplicated", msg);
	}
	check(st_audit_verify(st, &got, &bad, &err) == ST_OK && got == s.total,
	      "the chain verifies after the concurrent writers", sg_buf_cstr(&err));
	st_close(st);
	free(s.hits);
	sg_buf_free(&err);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "unit") == 0)
		unit(argv[2]);
	else if (argc == 5 && strcmp(argv[1], "writers") == 0)
		writers(argv[2], atoi(argv[3]), atoi(argv[4]));
	else {
		fprintf(stderr, "usage: pg_store unit DSN | writers DSN K N\n");
		return 64;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
