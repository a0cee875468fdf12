/*
 * Store: schema and migration, holds, the hash-chained audit log,
 * concurrent writers (threads and processes), decisions, nonces.
 */
#include "sg_test.h"

#include <dirent.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "engine/eng.h"
#include "store/st.h"
#include "util/sg_clock.h"

static char tmpdir[64], dbpath[128];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sg_store_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/sendguard.db", tmpdir);
}

/* Everything in the test directory: the store, its -wal and -shm, and
 * the copies saved when it was lost (st_rescue.c). */
static void teardown(void)
{
	char p[512];
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(tmpdir);
}

/* Opens the test store, creating it (st_create, as `store init`
 * does) the first time: st_open never creates one. */
static st_store *open_ok(void)
{
	sg_buf err;
	st_store *st;

	sg_buf_init(&err, 4096);
	st = access(dbpath, F_OK) == 0 ? st_open(dbpath, &err) : st_create(dbpath, &err);
	ck_assert_msg(st != NULL, "st_open: %s", sg_buf_cstr(&err));
	sg_buf_free(&err);
	return st;
}

/* A raw connection, as an attacker or an administrator with sqlite3(1). */
static sqlite3 *raw_open(void)
{
	sqlite3 *db = NULL;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	return db;
}

static void raw_exec(const char *sql)
{
	sqlite3 *db = raw_open();
	char *msg = NULL;

	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK,
		      "%s: %s", sql, msg ? msg : "");
	sqlite3_close(db);
}

static long long raw_int(const char *sql)
{
	sqlite3 *db = raw_open();
	sqlite3_stmt *s;
	long long v;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Copies the first column of the first row. */
static char *raw_text(const char *sql)
{
	sqlite3 *db = raw_open();
	sqlite3_stmt *s;
	char *v;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = strdup(sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0) : "(null)");
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Schema 7 (gateways) undone, for the tests that take a store back to
 * an older version: triggers and index first (they name the columns). */
#define V7_DOWN "DROP TRIGGER holds_orphaned; DROP TRIGGER approvals_orphaned;" \
	" DROP INDEX holds_gateway; ALTER TABLE holds DROP COLUMN orphaned_at;" \
	" ALTER TABLE holds DROP COLUMN gateway;"

static void expect_open_error(const char *what)
{
	sg_buf err;

	sg_buf_init(&err, 4096);
	ck_assert_ptr_null(st_open(dbpath, &err));
	ck_assert_msg(strstr(sg_buf_cstr(&err), dbpath) != NULL,
		      "error \"%s\" does not name the path", sg_buf_cstr(&err));
	ck_assert_msg(strstr(sg_buf_cstr(&err), what) != NULL,
		      "error \"%s\" does not say \"%s\"", sg_buf_cstr(&err), what);
	sg_buf_free(&err);
}

/* ---- schema ---- */

START_TEST(test_new_store_is_current_wal_private_and_reopens)
{
	st_store *st = open_ok();
	struct stat sb;
	char *mode;

	ck_assert_int_eq(st_schema_version(st), ST_SCHEMA_VERSION);
	ck_assert_str_eq(st_path(st), dbpath);
	st_close(st);
	ck_assert_int_eq(stat(dbpath, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	mode = raw_text("PRAGMA journal_mode");
	ck_assert_str_eq(mode, "wal");
	free(mode);
	st = open_ok();
	ck_assert_int_eq(st_schema_version(st), ST_SCHEMA_VERSION);
	st_close(st);
	ck_assert_int_eq(raw_int("SELECT value FROM meta WHERE key = 'schema_version'"),
			 ST_SCHEMA_VERSION);
	/* audit_no_update, audit_no_delete; previews_decided, previews_hold_deleted;
	 * approvals_hold_deleted; holds_orphaned, approvals_orphaned */
	ck_assert_int_eq(raw_int("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"), 7);
}
END_TEST

START_TEST(test_empty_file_is_refused_never_migrated)
{
	/* An empty file is what a truncated store looks like: opening it
	 * must not make a new, empty store in its place (issue 15). */
	FILE *fp = fopen(dbpath, "w");
	struct stat sb;

	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	expect_open_error("is empty");
	ck_assert_int_eq(stat(dbpath, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0);
}
END_TEST

START_TEST(test_open_never_creates_a_store)
{
	sg_buf err;

	sg_buf_init(&err, 4096);
	ck_assert_ptr_null(st_open(dbpath, &err));
	ck_assert_msg(strstr(sg_buf_cstr(&err), "does not exist") &&
		      strstr(sg_buf_cstr(&err), "store init"),
		      "error \"%s\" does not say what to do", sg_buf_cstr(&err));
	ck_assert_int_ne(access(dbpath, F_OK), 0);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_create_writes_a_store_id_and_refuses_to_overwrite)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE], *stored;
	sg_buf err;
	struct stat sb;

	snprintf(id, sizeof(id), "%s", st_id(st));
	ck_assert_int_eq(strlen(id), 27);
	ck_assert_int_eq(id[0], 's');
	st_close(st);
	/* In the database file itself, not only in the WAL. */
	ck_assert_int_eq(stat(dbpath, &sb), 0);
	ck_assert_int_gt(sb.st_size, 0);
	stored = raw_text("SELECT value FROM meta WHERE key = 'store_id'");
	ck_assert_str_eq(stored, id);
	free(stored);
	sg_buf_init(&err, 4096);
	ck_assert_ptr_null(st_create(dbpath, &err));
	ck_assert_msg(strstr(sg_buf_cstr(&err), "already exists"), "%s", sg_buf_cstr(&err));
	st = open_ok();
	ck_assert_str_eq(st_id(st), id);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_create_refuses_a_wal_left_by_an_old_store)
{
	char wal[160];
	FILE *fp;
	sg_buf err;

	snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	ck_assert_ptr_nonnull(fp = fopen(wal, "w"));
	fputs("frames of a store that was deleted", fp);
	fclose(fp);
	sg_buf_init(&err, 4096);
	ck_assert_ptr_null(st_create(dbpath, &err));
	ck_assert_msg(strstr(sg_buf_cstr(&err), "move it aside"), "%s", sg_buf_cstr(&err));
	ck_assert_int_ne(access(dbpath, F_OK), 0);
	sg_buf_free(&err);
	unlink(wal);
}
END_TEST

START_TEST(test_store_of_an_older_sendguard_gets_an_id)
{
	st_store *st = open_ok();
	char *id;

	st_close(st);
	raw_exec("DELETE FROM meta WHERE key = 'store_id'");
	st = open_ok();
	id = raw_text("SELECT value FROM meta WHERE key = 'store_id'");
	ck_assert_str_eq(id, st_id(st));
	free(id);
	st_close(st);
}
END_TEST

START_TEST(test_meta_at_version_0_is_migrated_step_by_step)
{
	st_store *st;

	raw_exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
		 "INSERT INTO meta VALUES ('schema_version', '0')");
	st = open_ok();
	ck_assert_int_eq(st_schema_version(st), ST_SCHEMA_VERSION);
	st_close(st);
}
END_TEST

START_TEST(test_newer_schema_is_refused_with_clear_error)
{
	raw_exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
		 "INSERT INTO meta VALUES ('schema_version', '99')");
	expect_open_error("schema version 99 is newer");
	/* Refusing must not have touched it. */
	ck_assert_int_eq(raw_int("SELECT value FROM meta"), 99);
}
END_TEST

START_TEST(test_foreign_database_is_refused)
{
	raw_exec("CREATE TABLE mailbox (x)");
	expect_open_error("not a sendguard store");
}
END_TEST

START_TEST(test_file_that_is_not_sqlite_is_refused)
{
	FILE *fp = fopen(dbpath, "w");

	ck_assert_ptr_nonnull(fp);
	fputs("this is not a database, it is a text file of some length....\n", fp);
	fclose(fp);
	expect_open_error("not a database");
}
END_TEST

START_TEST(test_unwritable_path_names_the_path)
{
	sg_buf err;

	snprintf(dbpath, sizeof(dbpath), "%s/missing/dir/sendguard.db", tmpdir);
	expect_open_error("does not exist");
	sg_buf_init(&err, 4096);
	ck_assert_ptr_null(st_create(dbpath, &err));
	ck_assert_msg(strstr(sg_buf_cstr(&err), dbpath), "%s", sg_buf_cstr(&err));
	sg_buf_free(&err);
	snprintf(dbpath, sizeof(dbpath), "%s/sendguard.db", tmpdir);
}
END_TEST

/* ---- identity: the store is the store (issue 15) ---- */

static void create_ok(st_store *st, const char *qid, char id[ST_ID_SIZE]);

static st_rc append_one(st_store *st, sg_buf *err)
{
	return st_audit_append(st, "verdict", NULL, "Q1", "milter", NULL, "{}", err);
}

/* The next transaction and the next read fail with ST_LOST, saying
 * `what`; the loss is reported once, and stays. */
static void expect_lost(st_store *st, const char *what)
{
	st_hold *h = NULL;
	sg_buf err;

	sg_buf_init(&err, 4096);
	ck_assert_ptr_null(st_lost_why(st));
	ck_assert_int_eq(append_one(st, &err), ST_LOST);
	ck_assert_msg(strstr(sg_buf_cstr(&err), what) && strstr(sg_buf_cstr(&err), dbpath),
		      "error \"%s\" does not say \"%s\" and the path", sg_buf_cstr(&err), what);
	ck_assert_ptr_nonnull(st_lost_why(st));
	ck_assert(st_lost_first(st));
	ck_assert(!st_lost_first(st));
	ck_assert_int_eq(st_hold_get(st, "hnosuchhold", &h, &err), ST_LOST);
	ck_assert_int_eq(append_one(st, &err), ST_LOST);
	ck_assert_int_ne(st_hold_list(st, NULL, NULL, NULL, &err), ST_OK);
	sg_buf_free(&err);
}

/* The copy saved when the store was lost under the process: one file
 * beside the path, 0600, a whole database (no -wal of its own) with
 * `records` audit records, named in the loss's message. */
static void expect_rescued(st_store *st, long long records)
{
	char found[512] = "", p[600];
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	struct stat sb;
	sqlite3 *db = NULL;
	sqlite3_stmt *s;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "sendguard.db.rescued-", 21) == 0) {
			snprintf(found, sizeof(found), "%s/%s", tmpdir, e->d_name);
			n++;
		}
	closedir(d);
	ck_assert_int_eq(n, 1);
	ck_assert_msg(strstr(st_lost_why(st), found) != NULL, "%s", st_lost_why(st));
	ck_assert_int_eq(stat(found, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	snprintf(p, sizeof(p), "%s-wal", found);
	ck_assert_int_ne(access(p, F_OK), 0);
	ck_assert_int_eq(sqlite3_open_v2(found, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM audit", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int64(s, 0), records);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

START_TEST(test_deleted_store_is_lost_on_the_next_transaction)
{
	st_store *st = open_ok();
	sg_buf err;

	sg_buf_init(&err, 4096);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(append_one(st, &err), ST_OK);
	ck_assert_int_eq(unlink(dbpath), 0);
	expect_lost(st, "deleted");
	/* What it held went nowhere but this process: saved beside. */
	expect_rescued(st, 3);
	st_close(st);
	/* Nothing was made in its place. */
	ck_assert_int_ne(access(dbpath, F_OK), 0);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_replaced_store_is_lost)
{
	st_store *st = open_ok(), *other;
	char path2[160];
	sg_buf err;

	sg_buf_init(&err, 4096);
	snprintf(path2, sizeof(path2), "%s/other.db", tmpdir);
	ck_assert_ptr_nonnull(other = st_create(path2, &err));
	st_close(other);
	ck_assert_int_eq(append_one(st, &err), ST_OK);
	ck_assert_int_eq(rename(path2, dbpath), 0);
	expect_lost(st, "replaced");
	expect_rescued(st, 1);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_truncated_store_is_lost)
{
	st_store *st = open_ok();
	sg_buf err;

	sg_buf_init(&err, 4096);
	ck_assert_int_eq(append_one(st, &err), ST_OK);
	ck_assert_int_eq(truncate(dbpath, 0), 0);
	expect_lost(st, "truncated");
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_removed_wal_is_lost)
{
	st_store *st = open_ok();
	char wal[160];
	sg_buf err;

	sg_buf_init(&err, 4096);
	ck_assert_int_eq(append_one(st, &err), ST_OK);
	snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	ck_assert_int_eq(unlink(wal), 0);
	expect_lost(st, "WAL");
	sg_buf_free(&err);
	st_close(st);
}
END_TEST

/* In a child process: the store opened, 20 records written (in its
 * WAL), the WAL removed, and the next write finding the loss and
 * writing the records back. The store handle, or NULL on any failure
 * (said on stderr). */
static st_store *child_loses_its_wal(void)
{
	st_store *st = st_open(dbpath, NULL);
	char wal[160];
	sg_buf err;
	int ok = st != NULL;

	snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	sg_buf_init(&err, 4096);
	for (int i = 0; ok && i < 20; i++)
		ok = append_one(st, &err) == ST_OK;
	ok = ok && unlink(wal) == 0;
	ok = ok && append_one(st, &err) == ST_LOST &&
	     strstr(sg_buf_cstr(&err), "written back") != NULL;
	if (!ok)
		fprintf(stderr, "child: %s\n", sg_buf_cstr(&err));
	sg_buf_free(&err);
	return ok ? st : NULL;
}

/* The records in a removed WAL survive the process that held them
 * dying without a clean close (kill -9, a stop past its timeout): they
 * are written back when the removal is first seen. */
START_TEST(test_removed_wal_records_survive_a_hard_exit)
{
	int status;
	pid_t pid;

	st_close(open_ok());
	if ((pid = fork()) == 0)
		_exit(child_loses_its_wal() ? 0 : 1);	/* no st_close: as if killed */
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed");
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit"), 20);
}
END_TEST

/* After a removed WAL was written back, another process makes a WAL of
 * its own and writes; the process that lost its WAL then closes: its
 * close must not checkpoint (it would copy the other's frame numbers
 * from its removed file over the store) nor remove the other's WAL. */
START_TEST(test_removed_wal_close_leaves_another_writer_alone)
{
	int ready[2], go[2], status;
	char c = 0;
	pid_t pid;

	st_close(open_ok());
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
	if ((pid = fork()) == 0) {
		st_store *st = child_loses_its_wal();
		int ok = st != NULL && write(ready[1], "r", 1) == 1 &&
			 read(go[0], &c, 1) == 1;

		st_close(st);
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	{
		st_store *other = open_ok();
		sg_buf err;

		sg_buf_init(&err, 4096);
		for (int i = 0; i < 5; i++)
			ck_assert_msg(append_one(other, &err) == ST_OK, "%s", sg_buf_cstr(&err));
		st_close(other);
		sg_buf_free(&err);
	}
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed");
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit"), 25);
	{
		char *ic = raw_text("PRAGMA integrity_check");

		ck_assert_str_eq(ic, "ok");
		free(ic);
	}
}
END_TEST

/* What happens every day must not look like a loss: other processes
 * open, write, checkpoint and close the store; lists open readers. */
static int count_cb(const st_hold *h, void *ctx)
{
	(void)h;
	(*(int *)ctx)++;
	return 0;
}

START_TEST(test_other_connections_and_checkpoints_are_not_a_loss)
{
	st_store *st = open_ok(), *second;
	char id[ST_ID_SIZE];
	sg_buf err;
	int n = 0;

	sg_buf_init(&err, 4096);
	create_ok(st, "Q1", id);
	for (int i = 0; i < 20; i++) {
		second = open_ok();
		ck_assert_int_eq(append_one(second, &err), ST_OK);
		st_close(second);
		raw_exec("INSERT INTO nonces VALUES ('n', 0); DELETE FROM nonces;"
			 " PRAGMA wal_checkpoint(TRUNCATE)");
		ck_assert_int_eq(append_one(st, &err), ST_OK);
	}
	ck_assert_int_eq(st_hold_list(st, NULL, count_cb, &n, &err), ST_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_null(st_lost_why(st));
	ck_assert(!st_lost_first(st));
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

/* ---- holds ---- */

static const char subject_ja[] = "【至急】住民票の写し（３名分）について";
static const char atts_json[] =
	"[{\"path\":\"2\",\"name\":\"名簿.zip\",\"type\":\"application/zip\","
	"\"size\":1234,\"encrypted\":false,\"entries\":[{\"path\":\"2:名簿.xlsx\","
	"\"name\":\"名簿.xlsx\",\"type\":\"application/vnd.openxmlformats-"
	"officedocument.spreadsheetml.sheet\",\"size\":999,\"encrypted\":false,"
	"\"entries\":[]}]}]";
static const char findings_json[] =
	"[{\"category\":\"personal-data\",\"rule\":\"mynumber\",\"where\":"
	"\"名簿.zip/名簿.xlsx\",\"count\":3,\"evidence\":\"7788********\"}]";

static void fill_hold(st_hold_new *in, st_rcpt rcpts[3], const char *qid)
{
	static const char *const cats[] = { "personal-data", "unencrypted-attachment" };
	static const char *const apps[] = { "kacho@example.lg.jp", "ciso@example.lg.jp" };

	rcpts[0] = (st_rcpt){ "vendor@example.com", true };
	rcpts[1] = (st_rcpt){ "tanaka@example.lg.jp", false };
	rcpts[2] = (st_rcpt){ "\"odd\"@example.net", true };
	memset(in, 0, sizeof(*in));
	in->queue_id = qid;
	in->sender = "Suzuki@Example.LG.JP";
	in->auth_login = "suzuki";
	in->from_addr = "suzuki@example.lg.jp";
	in->client_addr = "192.0.2.10";
	in->rcpts = rcpts;
	in->nrcpts = 3;
	in->subject = subject_ja;
	in->size = 123456;
	in->categories = cats;
	in->ncategories = 2;
	in->verdict = "hold";
	in->findings_json = findings_json;
	in->attachments_json = atts_json;
	in->approvers = apps;
	in->napprovers = 2;
	in->created = 1795395600;		/* 2026-11-23T10:00:00+09:00 */
	in->expires = in->created + 72 * 3600;
}

static void create_ok(st_store *st, const char *qid, char id[ST_ID_SIZE])
{
	st_hold_new in;
	st_rcpt rcpts[3];
	sg_buf err;

	fill_hold(&in, rcpts, qid);
	sg_buf_init(&err, 4096);
	ck_assert_msg(st_hold_create(st, &in, id, &err) == ST_OK, "%s",
		      sg_buf_cstr(&err));
	sg_buf_free(&err);
}

static void check_round_trip(const st_hold *h, const char *id)
{
	ck_assert_str_eq(h->id, id);
	ck_assert_str_eq(h->queue_id, "4XyZ1234abcd");
	ck_assert_str_eq(h->sender, "suzuki@example.lg.jp");
	ck_assert_str_eq(h->auth_login, "suzuki");
	ck_assert_str_eq(h->client_addr, "192.0.2.10");
	ck_assert_str_eq(h->subject, subject_ja);
	ck_assert_uint_eq(h->size, 123456);
	ck_assert_str_eq(h->verdict, "hold");
	ck_assert_str_eq(h->attachments_json, atts_json);
	ck_assert_str_eq(h->findings_json, findings_json);
	ck_assert_uint_eq(h->nrcpts, 3);
	ck_assert_str_eq(h->rcpts[0].addr, "vendor@example.com");
	ck_assert(h->rcpts[0].external);
	ck_assert(!h->rcpts[1].external);
	ck_assert_str_eq(h->rcpts[2].addr, "\"odd\"@example.net");
	ck_assert_uint_eq(h->ncategories, 2);
	ck_assert_str_eq(h->categories[1], "unencrypted-attachment");
	ck_assert_uint_eq(h->napprovers, 2);
	ck_assert_str_eq(h->approvers[1], "ciso@example.lg.jp");
	ck_assert_int_eq(h->status, ST_PENDING);
	ck_assert(!h->applied);
	ck_assert_int_eq(h->created_t, 1795395600);
	ck_assert_int_eq(h->expires_t, 1795395600 + 72 * 3600);
	ck_assert_ptr_null(h->decided_by);
	ck_assert_ptr_null(h->reminded_at);
}

START_TEST(test_hold_round_trip_keeps_japanese_subject_and_inventory)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE], *v;
	st_hold *h = NULL;
	sg_buf err;

	sg_buf_init(&err, 4096);
	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	create_ok(st, "4XyZ1234abcd", id);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	check_round_trip(h, id);
	ck_assert_str_eq(h->created, "2026-11-23T10:00:00+09:00");
	ck_assert_str_eq(h->expires, "2026-11-26T10:00:00+09:00");
	st_hold_free(h);
	ck_assert_int_eq(st_hold_find_queue_id(st, "4XyZ1234abcd", &h, &err), ST_OK);
	ck_assert_str_eq(h->id, id);
	st_hold_free(h);
	ck_assert_int_eq(st_hold_find_queue_id(st, "nosuch", &h, &err), ST_NOTFOUND);
	ck_assert_ptr_null(h);
	ck_assert_int_eq(st_hold_get(st, "hzzzz", &h, &err), ST_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), dbpath));
	st_close(st);
	/* The hold and its audit record are written together; the record
	 * carries categories, not evidence. */
	v = raw_text("SELECT detail FROM audit WHERE event = 'hold'");
	ck_assert_ptr_nonnull(strstr(v, "\"personal-data\""));
	ck_assert_ptr_null(strstr(v, "7788"));
	free(v);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit"), 1);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_invalid_json_is_refused_and_nothing_written)
{
	st_store *st = open_ok();
	st_hold_new in;
	st_rcpt rcpts[3];
	char id[ST_ID_SIZE];
	sg_buf err;

	sg_buf_init(&err, 4096);
	fill_hold(&in, rcpts, "Q1");
	in.findings_json = "[{\"category\":";
	ck_assert_int_eq(st_hold_create(st, &in, id, &err), ST_INVALID);
	fill_hold(&in, rcpts, "");
	ck_assert_int_eq(st_hold_create(st, &in, id, &err), ST_INVALID);
	ck_assert_int_eq(st_audit_append(st, "notice", NULL, NULL, "milter", NULL,
					 "{not json", &err), ST_INVALID);
	st_close(st);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM holds"), 0);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit"), 0);
	sg_buf_free(&err);
}
END_TEST

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(test_ids_are_128_random_bits_in_lower_base32)
{
	enum { N = 1000 };
	char *ids[N];

	for (int i = 0; i < N; i++) {
		char id[ST_ID_SIZE];
		ck_assert_int_eq(st_new_id(id), 0);
		ck_assert_uint_eq(strlen(id), 27);
		ck_assert_int_eq(id[0], 'h');
		ck_assert_uint_eq(strspn(id + 1, "abcdefghijklmnopqrstuvwxyz234567"), 26);
		/* 128 bits: the last character holds 3, its low 2 are 0. */
		ck_assert_ptr_nonnull(strchr("aeimquy4", id[26]));
		ids[i] = strdup(id);
	}
	qsort(ids, N, sizeof(ids[0]), cmp_str);
	for (int i = 1; i < N; i++)
		ck_assert_str_ne(ids[i - 1], ids[i]);
	for (int i = 0; i < N; i++)
		free(ids[i]);
}
END_TEST

START_TEST(test_hold_create_ids_are_distinct)
{
	st_store *st = open_ok();
	char a[ST_ID_SIZE], b[ST_ID_SIZE];

	create_ok(st, "Q1", a);
	create_ok(st, "Q2", b);
	ck_assert_str_ne(a, b);
	ck_assert_uint_eq(strlen(a), 27);
	st_close(st);
}
END_TEST

/* ---- engine result JSON ---- */

START_TEST(test_engine_result_json_is_stored_as_given)
{
	eng_attachment inner = { .path = "2:申請書.xlsx", .name = "申請書.xlsx",
		.where = "書類.zip/申請書.xlsx", .type = "application/xlsx",
		.declared_type = "", .size = 10, .disposition = "" };
	eng_attachment outer = { .path = "2", .name = "書類.zip",
		.where = "書類.zip", .type = "application/zip",
		.declared_type = "application/zip", .size = 20, .encrypted = true,
		.disposition = "attachment", .entries = &inner, .nentries = 1 };
	eng_finding f[2] = {
		{ .cat = ENG_CAT_PERSONAL, .rule = "mynumber", .label_ja = "マイナンバー",
		  .label_en = "My Number", .where = "body", .count = 2,
		  .evidence = "1234 **** ****", .action = ENG_ACT_HOLD },
		{ .cat = ENG_CAT_PERSONAL, .rule = "phone\"x", .label_ja = "",
		  .label_en = "", .where = "body", .count = 1,
		  .evidence = "03-****-****", .action = ENG_ACT_HOLD },
	};
	eng_result res = { .findings = f, .nfindings = 2, .atts = &outer, .natts = 1 };
	const char *cats[ST_MAX_CATEGORIES];
	sg_buf fj, aj, err;
	st_hold_new in;
	st_rcpt rcpts[3];
	char id[ST_ID_SIZE], sql[512], *v;
	st_store *st = open_ok();

	sg_buf_init(&fj, 1 << 20);
	sg_buf_init(&aj, 1 << 20);
	sg_buf_init(&err, 4096);
	eng_findings_json(&res, &fj);
	eng_attachments_json(&res, &aj);
	ck_assert_uint_eq(st_result_categories(&res, cats), 1);
	ck_assert_str_eq(cats[0], "personal-data");
	fill_hold(&in, rcpts, "Q1");
	in.findings_json = sg_buf_cstr(&fj);
	in.attachments_json = sg_buf_cstr(&aj);
	ck_assert_msg(st_hold_create(st, &in, id, &err) == ST_OK, "%s", sg_buf_cstr(&err));
	st_close(st);
	snprintf(sql, sizeof(sql), "SELECT json_extract(attachments,"
		 " '$[0].entries[0].name') || '|' || json_extract(attachments,"
		 " '$[0].encrypted') || '|' || json_extract(findings, '$[1].rule')"
		 " || '|' || json_extract(findings, '$[0].evidence') FROM holds"
		 " WHERE id = '%s'", id);
	v = raw_text(sql);
	ck_assert_str_eq(v, "申請書.xlsx|1|phone\"x|1234 **** ****");
	free(v);
	sg_buf_free(&fj);
	sg_buf_free(&aj);
	sg_buf_free(&err);
}
END_TEST

/* ---- audit ---- */

static void append_n(st_store *st, int n, const char *actor)
{
	sg_buf err;

	sg_buf_init(&err, 4096);
	for (int i = 0; i < n; i++)
		ck_assert_msg(st_audit_append(st, "verdict", NULL, "Q", actor, "mail",
					      "{\"verdict\":\"accept\"}", &err) == ST_OK,
			      "%s", sg_buf_cstr(&err));
	sg_buf_free(&err);
}

static st_rc verify(size_t *n, size_t *bad, sg_buf *err)
{
	st_store *st = open_ok();
	st_rc rc = st_audit_verify(st, n, bad, err);

	st_close(st);
	return rc;
}

START_TEST(test_audit_chain_verifies)
{
	st_store *st = open_ok();
	size_t n = 99, bad = 99;
	sg_buf err;
	char *v;

	sg_buf_init(&err, 4096);
	ck_assert_int_eq(st_audit_verify(st, &n, &bad, &err), ST_OK);
	ck_assert_uint_eq(n, 0);
	append_n(st, 10, "milter");
	ck_assert_int_eq(st_audit_verify(st, &n, &bad, &err), ST_OK);
	ck_assert_uint_eq(n, 10);
	ck_assert_uint_eq(bad, 0);
	st_close(st);
	v = raw_text("SELECT prev_hash FROM audit WHERE seq = 1");
	ck_assert_str_eq(v, ST_AUDIT_GENESIS);
	free(v);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit a JOIN audit b ON"
				 " b.seq = a.seq + 1 WHERE b.prev_hash = a.hash"), 9);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_edited_record_is_named_by_verify)
{
	st_store *st = open_ok();
	size_t n, bad;
	sg_buf err;

	sg_buf_init(&err, 4096);
	append_n(st, 5, "milter");
	st_close(st);
	raw_exec("DROP TRIGGER audit_no_update;"
		 "UPDATE audit SET actor = 'someone-else' WHERE seq = 3");
	ck_assert_int_eq(verify(&n, &bad, &err), ST_CORRUPT);
	ck_assert_uint_eq(bad, 3);
	ck_assert_uint_eq(n, 2);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "audit record 3"));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), dbpath));
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_rehashed_record_breaks_the_next_link)
{
	st_store *st = open_ok();
	size_t n, bad;
	sg_buf err;

	sg_buf_init(&err, 4096);
	append_n(st, 5, "milter");
	st_close(st);
	/* A forger who recomputes the edited record's own hash still
	 * breaks the link from the record after it. */
	raw_exec("DROP TRIGGER audit_no_update;"
		 "UPDATE audit SET hash = (SELECT hash FROM audit WHERE seq = 1)"
		 " WHERE seq = 2");
	ck_assert_int_eq(verify(&n, &bad, &err), ST_CORRUPT);
	ck_assert_uint_eq(bad, 2);
	raw_exec("UPDATE audit SET hash = (SELECT prev_hash FROM audit WHERE seq = 3)"
		 " WHERE seq = 2;"
		 "UPDATE audit SET prev_hash = 'x' WHERE seq = 4");
	ck_assert_int_eq(verify(&n, &bad, &err), ST_CORRUPT);
	ck_assert_uint_eq(bad, 4);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_deleted_record_is_named_by_verify)
{
	st_store *st = open_ok();
	size_t n, bad;
	sg_buf err;

	sg_buf_init(&err, 4096);
	append_n(st, 5, "milter");
	st_close(st);
	raw_exec("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 2");
	ck_assert_int_eq(verify(&n, &bad, &err), ST_CORRUPT);
	ck_assert_uint_eq(bad, 3);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "missing"));
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_audit_update_and_delete_are_refused)
{
	st_store *st = open_ok();
	sqlite3 *db;
	char *msg = NULL;

	append_n(st, 2, "milter");
	st_close(st);
	db = raw_open();
	ck_assert_int_ne(sqlite3_exec(db, "UPDATE audit SET actor = 'x'", NULL, NULL, &msg),
			 SQLITE_OK);
	ck_assert_ptr_nonnull(strstr(msg, "append-only"));
	sqlite3_free(msg);
	msg = NULL;
	ck_assert_int_ne(sqlite3_exec(db, "DELETE FROM audit", NULL, NULL, &msg), SQLITE_OK);
	ck_assert_ptr_nonnull(strstr(msg, "append-only"));
	sqlite3_free(msg);
	sqlite3_close(db);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE actor = 'milter'"), 2);
}
END_TEST

/* ---- concurrency ---- */

enum { THREADS = 8, PER_THREAD = 200, PROCS = 2, PER_PROC = 200 };

struct writer {
	st_store *st;
	int fails;
};

static void *thread_writer(void *arg)
{
	struct writer *w = arg;
	sg_buf err;

	sg_buf_init(&err, 4096);
	for (int i = 0; i < PER_THREAD; i++)
		if (st_audit_append(w->st, "verdict", NULL, "Q", "thread", NULL,
				    "{}", &err) != ST_OK)
			w->fails++;
	sg_buf_free(&err);
	return NULL;
}

/* A second process (sendguardctl beside the milter) with its own handle;
 * it starts when the parent closes the pipe. */
static pid_t spawn_writer(int go_fd, int close_fd)
{
	pid_t pid = fork();
	char c;
	sg_buf err;
	st_store *st;
	int fails = 0;

	ck_assert_int_ge(pid, 0);
	if (pid > 0)
		return pid;
	close(close_fd);
	sg_buf_init(&err, 4096);
	if ((st = st_open(dbpath, &err)) == NULL) {
		fprintf(stderr, "writer: %s\n", sg_buf_cstr(&err));
		_exit(2);
	}
	while (read(go_fd, &c, 1) > 0)
		;
	for (int i = 0; i < PER_PROC; i++)
		if (st_audit_append(st, "verdict", NULL, "Q", "process", NULL,
				    "{}", &err) != ST_OK && fails++ == 0)
			fprintf(stderr, "writer: %s\n", sg_buf_cstr(&err));
	st_close(st);
	sg_buf_free(&err);
	_exit(fails ? 1 : 0);
}

START_TEST(test_concurrent_threads_and_processes_lose_no_record)
{
	st_store *st = open_ok();
	struct writer w[THREADS];
	pthread_t t[THREADS];
	pid_t pids[PROCS];
	int go[2], status;
	size_t n, bad;
	sg_buf err;

	ck_assert_int_eq(pipe(go), 0);
	for (int i = 0; i < PROCS; i++)
		pids[i] = spawn_writer(go[0], go[1]);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct writer){ st, 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, thread_writer, &w[i]), 0);
	}
	close(go[1]);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(w[i].fails, 0);
	}
	for (int i = 0; i < PROCS; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "writer process failed: status %d", status);
	}
	close(go[0]);
	sg_buf_init(&err, 4096);
	ck_assert_msg(st_audit_verify(st, &n, &bad, &err) == ST_OK, "%s",
		      sg_buf_cstr(&err));
	ck_assert_uint_eq(n, THREADS * PER_THREAD + PROCS * PER_PROC);
	st_close(st);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE actor = 'process'"),
			 PROCS * PER_PROC);
	ck_assert_int_eq(raw_int("SELECT max(seq) FROM audit"),
			 THREADS * PER_THREAD + PROCS * PER_PROC);
	sg_buf_free(&err);
}
END_TEST

static void *hold_lock(void *arg)
{
	sqlite3 *db = arg;
	struct timespec ts = { 0, 500 * 1000000L };

	nanosleep(&ts, NULL);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return NULL;
}

START_TEST(test_writer_waits_for_another_process_lock)
{
	st_store *st = open_ok();
	sqlite3 *db = raw_open();
	pthread_t t;
	sg_buf err;

	sg_buf_init(&err, 4096);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	pthread_create(&t, NULL, hold_lock, db);
	ck_assert_msg(st_audit_append(st, "notice", NULL, NULL, "milter", NULL,
				      NULL, &err) == ST_OK, "%s", sg_buf_cstr(&err));
	pthread_join(t, NULL);
	sqlite3_close(db);
	st_close(st);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit"), 1);
	sg_buf_free(&err);
}
END_TEST

/* Three threads of one process write while another process holds the
 * write lock for good: each gives up within one busy timeout of its
 * own call (the milter's answer to a message is bounded by it), not
 * after the timeouts of the threads queued before it. */
typedef struct busy_writer {
	st_store *st;
	st_rc rc;
	long ms;
	char err[256];
} busy_writer;

static void *busy_write(void *arg)
{
	busy_writer *w = arg;
	struct timespec t0;
	sg_buf err;

	sg_buf_init(&err, 4096);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	w->rc = st_audit_append(w->st, "notice", NULL, NULL, "milter", NULL, NULL, &err);
	w->ms = sg_ms_since(&t0);
	snprintf(w->err, sizeof(w->err), "%s", sg_buf_cstr(&err));
	sg_buf_free(&err);
	return NULL;
}

START_TEST(test_locked_store_fails_each_writer_within_one_timeout)
{
	st_store *st = open_ok();
	sqlite3 *db = raw_open();
	busy_writer w[3];
	pthread_t t[3];

	ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < 3; i++) {
		w[i] = (busy_writer){ .st = st };
		ck_assert_int_eq(pthread_create(&t[i], NULL, busy_write, &w[i]), 0);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	for (int i = 0; i < 3; i++) {
		ck_assert_msg(w[i].rc == ST_BUSY, "writer %d: rc %d: %s", i, w[i].rc, w[i].err);
		ck_assert_msg(strstr(w[i].err, "nothing was written") != NULL, "%s", w[i].err);
		/* 10 s budget; 3 s of slack for a loaded machine, far from
		 * the 20 and 30 s of waiting in turn. */
		ck_assert_msg(w[i].ms >= ST_BUSY_TIMEOUT_MS - 100 &&
			      w[i].ms < ST_BUSY_TIMEOUT_MS + 3000,
			      "writer %d answered after %ld ms", i, w[i].ms);
	}
	st_close(st);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit"), 0);
}
END_TEST

/* ---- decisions ---- */

START_TEST(test_decide_twice_is_a_conflict)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE];
	st_hold *h;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_ok(st, "Q1", id);
	ck_assert_int_eq(st_hold_decide(st, id, ST_APPROVED, "kacho@example.lg.jp",
					"確認しました", "admin", &err), ST_OK);
	ck_assert_int_eq(st_hold_decide(st, id, ST_REJECTED, "ciso@example.lg.jp",
					NULL, "admin", &err), ST_CONFLICT);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "already approved (by kacho@example.lg.jp"));
	ck_assert_int_eq(st_hold_decide(st, "hnosuch", ST_REJECTED, "x@y", NULL,
					NULL, &err), ST_NOTFOUND);
	ck_assert_int_eq(st_hold_decide(st, id, ST_PENDING, "x@y", NULL, NULL, &err),
			 ST_INVALID);
	ck_assert_int_eq(st_hold_decide(st, id, ST_REJECTED, "", NULL, NULL, &err),
			 ST_INVALID);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_int_eq(h->status, ST_APPROVED);
	ck_assert_str_eq(h->decided_by, "kacho@example.lg.jp");
	ck_assert_str_eq(h->decision_comment, "確認しました");
	ck_assert_ptr_nonnull(h->decided_at);
	st_hold_free(h);
	st_close(st);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE event = 'approve'"
				 " AND unix_user = 'admin' AND actor = 'kacho@example.lg.jp'"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE event = 'reject'"), 0);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_failed_audit_write_undoes_the_hold_change)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE], id2[ST_ID_SIZE] = "";
	st_hold_new in;
	st_rcpt rcpts[3];
	st_hold *h;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_ok(st, "Q1", id);
	/* A disk that refuses the audit record: the change must not stay. */
	raw_exec("CREATE TRIGGER audit_fail BEFORE INSERT ON audit"
		 " BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
	ck_assert_int_eq(st_hold_decide(st, id, ST_APPROVED, "k@example.lg.jp", NULL,
					NULL, &err), ST_ERROR);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "disk says no"));
	fill_hold(&in, rcpts, "Q2");
	ck_assert_int_eq(st_hold_create(st, &in, id2, &err), ST_ERROR);
	ck_assert_str_eq(id2, "");
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_int_eq(h->status, ST_PENDING);
	ck_assert_ptr_null(h->decided_by);
	st_hold_free(h);
	st_close(st);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM holds"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit"), 1);
	sg_buf_free(&err);
}
END_TEST

struct racer {
	st_store *st;
	const char *id;
	st_rc rc;
};

static void *race_decide(void *arg)
{
	struct racer *r = arg;
	sg_buf err;
	st_store *own;

	/* Separate handles, as separate processes would have. */
	sg_buf_init(&err, 4096);
	own = st_open(dbpath, &err);
	r->rc = own ? st_hold_decide(own, r->id, ST_REJECTED, "a@example.lg.jp",
				     NULL, NULL, &err) : ST_ERROR;
	st_close(own);
	sg_buf_free(&err);
	return NULL;
}

START_TEST(test_racing_decisions_only_one_wins)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE];
	struct racer r[6];
	pthread_t t[6];
	int ok = 0;

	create_ok(st, "Q1", id);
	for (int i = 0; i < 6; i++) {
		r[i] = (struct racer){ st, id, ST_ERROR };
		pthread_create(&t[i], NULL, race_decide, &r[i]);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		ck_assert(r[i].rc == ST_OK || r[i].rc == ST_CONFLICT);
		ok += r[i].rc == ST_OK;
	}
	ck_assert_int_eq(ok, 1);
	st_close(st);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE event = 'reject'"), 1);
}
END_TEST

/* ---- delayed send (issue 19) ---- */

static void create_delay(st_store *st, const char *qid, time_t release_t,
			 char id[ST_ID_SIZE])
{
	st_hold_new in;
	st_rcpt rcpts[3];
	sg_buf err;

	fill_hold(&in, rcpts, qid);
	in.delay = true;
	in.release_t = release_t;
	in.approvers = NULL;
	in.napprovers = 0;
	in.ncategories = 0;
	in.expires = 0;
	in.verdict = "accept";
	sg_buf_init(&err, 4096);
	ck_assert_msg(st_hold_create(st, &in, id, &err) == ST_OK, "%s",
		      sg_buf_cstr(&err));
	sg_buf_free(&err);
}

START_TEST(test_delay_hold_round_trip_and_due_list)
{
	st_store *st = open_ok();
	char a[ST_ID_SIZE], d1[ST_ID_SIZE], d2[ST_ID_SIZE], (*due)[ST_ID_SIZE];
	size_t n;
	st_hold *h;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_ok(st, "Q1", a);
	create_delay(st, "Q2", 1000, d1);
	create_delay(st, "Q3", 2000, d2);
	ck_assert_int_eq(st_hold_get(st, d1, &h, &err), ST_OK);
	ck_assert(h->delay);
	ck_assert_int_eq((long long)h->release_t, 1000);
	ck_assert_int_eq(h->status, ST_PENDING);
	st_hold_free(h);
	ck_assert_int_eq(st_hold_get(st, a, &h, &err), ST_OK);
	ck_assert(!h->delay);
	ck_assert_int_eq((long long)h->release_t, 0);
	st_hold_free(h);
	ck_assert_int_eq(st_hold_due(st, 999, 10, &due, &n, &err), ST_OK);
	ck_assert_uint_eq(n, 0);
	free(due);
	ck_assert(!st_hold_work(st, 999));
	ck_assert(st_hold_work(st, 1500));
	ck_assert_int_eq(st_hold_due(st, 1500, 10, &due, &n, &err), ST_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(due[0], d1);
	free(due);
	ck_assert_int_eq(st_hold_due(st, 5000, 1, &due, &n, &err), ST_OK);
	ck_assert_uint_eq(n, 1);		/* bounded by max */
	free(due);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_version_3_store_is_migrated_to_hold_kinds)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE];
	st_hold *h;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_ok(st, "Q3", id);
	st_close(st);
	raw_exec(V7_DOWN "ALTER TABLE holds DROP COLUMN names;"
		 "DROP TRIGGER approvals_hold_deleted; DROP TABLE approvals;"
		 "DROP TABLE delegations; ALTER TABLE holds DROP COLUMN required;"
		 "ALTER TABLE holds DROP COLUMN escalated_at;"
		 "DROP INDEX holds_release; ALTER TABLE holds DROP COLUMN kind;"
		 "ALTER TABLE holds DROP COLUMN release_t;"
		 "UPDATE meta SET value = '3' WHERE key = 'schema_version'");
	st = open_ok();
	ck_assert_int_eq(st_schema_version(st), ST_SCHEMA_VERSION);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert(!h->delay);			/* every older hold: approval */
	ck_assert_int_eq((long long)h->release_t, 0);
	st_hold_free(h);
	/* previews (3) untouched: its triggers still there */
	ck_assert_int_eq(raw_int("SELECT count(*) FROM sqlite_master WHERE name IN"
				 " ('previews_decided', 'previews_hold_deleted')"), 2);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_delay_release_rules)
{
	st_store *st = open_ok();
	char a[ST_ID_SIZE], d[ST_ID_SIZE];
	st_hold *h;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_ok(st, "Q1", a);
	create_delay(st, "Q2", 2000, d);
	/* A hold for approval is never released by a delay or its sender. */
	ck_assert_int_eq(st_hold_release(st, a, ST_RELEASE_SENDER, "suzuki@example.lg.jp",
					 NULL, 3000, &err), ST_CONFLICT);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "approval"));
	ck_assert_int_eq(st_hold_release(st, a, ST_RELEASE_DUE, "delay", NULL, 3000,
					 &err), ST_CONFLICT);
	/* Not due yet. */
	ck_assert_int_eq(st_hold_release(st, d, ST_RELEASE_DUE, "delay", NULL, 1999,
					 &err), ST_CONFLICT);
	ck_assert_int_eq(st_hold_release(st, "hnosuch", ST_RELEASE_DUE, "delay", NULL,
					 1999, &err), ST_NOTFOUND);
	ck_assert_int_eq(st_hold_release(st, d, ST_RELEASE_DUE, "delay", NULL, 2005,
					 &err), ST_OK);
	ck_assert_int_eq(st_hold_release(st, d, ST_RELEASE_SENDER, "suzuki@example.lg.jp",
					 NULL, 2006, &err), ST_CONFLICT);
	ck_assert_int_eq(st_hold_decide(st, d, ST_WITHDRAWN, "suzuki@example.lg.jp",
					NULL, NULL, &err), ST_CONFLICT);
	ck_assert_int_eq(st_hold_get(st, d, &h, &err), ST_OK);
	ck_assert_int_eq(h->status, ST_APPROVED);
	ck_assert_str_eq(h->decided_by, "delay");
	st_hold_free(h);
	ck_assert_int_eq(st_hold_get(st, a, &h, &err), ST_OK);
	ck_assert_int_eq(h->status, ST_PENDING);
	st_hold_free(h);
	st_close(st);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE event = 'delay-end'"
				 " AND detail LIKE '%\"late_s\":5%'"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE event = 'release'"), 0);
	sg_buf_free(&err);
}
END_TEST

struct release_racer {
	const char *id;
	int kind;		/* 0 send now, 1 end of delay, 2 cancel, 3 reject */
	st_rc rc;
};

static void *race_release(void *arg)
{
	struct release_racer *r = arg;
	sg_buf err;
	st_store *own;

	sg_buf_init(&err, 4096);
	own = st_open(dbpath, &err);
	if (own == NULL)
		r->rc = ST_ERROR;
	else if (r->kind == 0)
		r->rc = st_hold_release(own, r->id, ST_RELEASE_SENDER,
					"suzuki@example.lg.jp", NULL, 0, &err);
	else if (r->kind == 1)
		r->rc = st_hold_release(own, r->id, ST_RELEASE_DUE, "delay", NULL, 0, &err);
	else
		r->rc = st_hold_decide(own, r->id, r->kind == 2 ? ST_WITHDRAWN : ST_REJECTED,
				       r->kind == 2 ? "suzuki@example.lg.jp" : "admin",
				       NULL, NULL, &err);
	st_close(own);
	sg_buf_free(&err);
	return NULL;
}

START_TEST(test_delay_racing_outcomes_only_one_applies)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE];
	struct release_racer r[8];
	pthread_t t[8];
	int ok = 0;

	create_delay(st, "Q1", 1, id);	/* long due */
	for (int i = 0; i < 8; i++) {
		r[i] = (struct release_racer){ id, i % 4, ST_ERROR };
		pthread_create(&t[i], NULL, race_release, &r[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		ck_assert(r[i].rc == ST_OK || r[i].rc == ST_CONFLICT);
		ok += r[i].rc == ST_OK;
	}
	ck_assert_int_eq(ok, 1);
	st_close(st);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE event IN ('release',"
				 " 'delay-end', 'withdraw', 'reject')"), 1);
}
END_TEST

START_TEST(test_apply_needs_a_decision_and_is_idempotent)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE];
	st_hold *h;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_ok(st, "Q1", id);
	ck_assert_int_eq(st_hold_set_applied(st, id, NULL, NULL, "root", &err), ST_CONFLICT);
	ck_assert_int_eq(st_hold_set_applied(st, "hnosuch", NULL, NULL, "root", &err),
			 ST_NOTFOUND);
	ck_assert_int_eq(st_hold_decide(st, id, ST_APPROVED, "k@example.lg.jp", NULL,
					NULL, &err), ST_OK);
	ck_assert_int_eq(st_hold_set_applied(st, id, "5AbC", NULL, "root", &err), ST_OK);
	ck_assert_int_eq(st_hold_set_applied(st, id, "6DeF", NULL, "root", &err), ST_OK);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert(h->applied);
	ck_assert_str_eq(h->new_queue_id, "5AbC");
	st_hold_free(h);
	st_close(st);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE event = 'apply'"), 1);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_reminder_is_claimed_once)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE];
	st_hold *h;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_ok(st, "Q1", id);
	ck_assert_int_eq(st_hold_mark_reminded(st, id, &err), ST_OK);
	ck_assert_int_eq(st_hold_mark_reminded(st, id, &err), ST_CONFLICT);
	ck_assert_int_eq(st_hold_mark_reminded(st, "hnosuch", &err), ST_NOTFOUND);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_ptr_nonnull(h->reminded_at);
	st_hold_free(h);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

/* Issue 18 item 6: the display names of a hold are kept with it as
 * given; a hold without any has "[]", and JSON that is not an array is
 * refused by the store itself. */
START_TEST(test_names_are_kept_with_the_hold)
{
	st_store *st = open_ok();
	st_hold_new in;
	st_rcpt rcpts[3];
	st_hold *h = NULL;
	char id[ST_ID_SIZE];
	sg_buf err;

	sg_buf_init(&err, 4096);
	fill_hold(&in, rcpts, "QN");
	in.names_json = "[{\"addr\":\"tanaka@example.lg.jp\",\"name\":\"山田 太郎\"}]";
	ck_assert_msg(st_hold_create(st, &in, id, &err) == ST_OK, "%s", sg_buf_cstr(&err));
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_str_eq(h->names_json, in.names_json);
	st_hold_free(h);
	fill_hold(&in, rcpts, "QN2");
	ck_assert_msg(st_hold_create(st, &in, id, &err) == ST_OK, "%s", sg_buf_cstr(&err));
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_str_eq(h->names_json, "[]");
	st_hold_free(h);
	fill_hold(&in, rcpts, "QN3");
	in.names_json = "{\"a\":1}";
	ck_assert(st_hold_create(st, &in, id, &err) != ST_OK);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

/* ---- gateways (issue 20) ---- */

static st_store *open_gw(const char *gateway)
{
	st_config c = { "sqlite", dbpath, NULL, gateway };
	sg_buf err;
	st_store *st;

	sg_buf_init(&err, 4096);
	st = access(dbpath, F_OK) == 0 ? st_open_config(&c, &err)
				       : st_create_config(&c, &err);
	ck_assert_msg(st != NULL, "open: %s", sg_buf_cstr(&err));
	sg_buf_free(&err);
	return st;
}

static char *hold_gateway(st_store *st, const char *id)
{
	st_hold *h = NULL;
	char *g;

	ck_assert_int_eq(st_hold_get(st, id, &h, NULL), ST_OK);
	g = strdup(h->gateway ? h->gateway : "(null)");
	st_hold_free(h);
	return g;
}

START_TEST(test_hold_records_the_gateway_that_took_it)
{
	st_store *st = open_gw("gw-a.example");
	char id[ST_ID_SIZE], host[SG_GATEWAY_SIZE], *g;
	st_hold_new in;
	st_rcpt rcpts[3];
	sg_buf err;

	sg_buf_init(&err, 4096);
	ck_assert_str_eq(st_gateway(st), "gw-a.example");
	create_ok(st, "QG1", id);
	ck_assert_str_eq((g = hold_gateway(st, id)), "gw-a.example");
	free(g);
	fill_hold(&in, rcpts, "QG2");
	in.gateway = "gw_b-2";
	ck_assert_int_eq(st_hold_create(st, &in, id, &err), ST_OK);
	ck_assert_str_eq((g = hold_gateway(st, id)), "gw_b-2");
	free(g);
	g = raw_text("SELECT detail FROM audit WHERE event = 'hold' ORDER BY seq DESC");
	ck_assert_ptr_nonnull(strstr(g, "\"gateway\":\"gw_b-2\""));
	free(g);
	fill_hold(&in, rcpts, "QG3");
	in.gateway = "gw b";
	ck_assert_int_eq(st_hold_create(st, &in, id, &err), ST_INVALID);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "gateway"));
	st_close(st);
	/* No gateway given: the host name. */
	st = open_ok();
	sg_gateway_default(host);
	ck_assert_str_eq(st_gateway(st), host);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

/* A version 6 store (before gateways) with a hold is migrated to 7:
 * the hold is the migrating gateway's, and it can still be decided. */
START_TEST(test_version_6_store_is_migrated_to_gateways)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE], *g;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_ok(st, "Q6", id);
	st_close(st);
	raw_exec(V7_DOWN "UPDATE meta SET value = '6' WHERE key = 'schema_version'");
	st = open_gw("gw-old");
	ck_assert_int_eq(st_schema_version(st), 7);
	ck_assert_str_eq((g = hold_gateway(st, id)), "gw-old");
	free(g);
	ck_assert_int_eq(st_hold_decide(st, id, ST_APPROVED, "kacho@example.lg.jp",
					NULL, NULL, &err), ST_OK);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

/* Two gateways on one store: each sees only its own queue work
 * (decided holds to carry out, delays that ended, arrivals). */
START_TEST(test_queue_work_is_each_gateways_own)
{
	st_store *a = open_gw("gw-a"), *b = open_gw("gw-b");
	char id[ST_ID_SIZE], (*due)[ST_ID_SIZE] = NULL;
	st_arrival *v = NULL;
	st_hold_new in;
	st_rcpt rcpts[3];
	size_t n = 0;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_ok(b, "QB1", id);
	ck_assert_int_eq(st_hold_decide(a, id, ST_APPROVED, "kacho@example.lg.jp",
					NULL, NULL, &err), ST_OK);
	ck_assert(!st_hold_work(a, time(NULL)));
	ck_assert(st_hold_work(b, time(NULL)));
	fill_hold(&in, rcpts, "QB2");
	in.delay = true;
	in.release_t = 1000;
	ck_assert_int_eq(st_hold_create(b, &in, id, &err), ST_OK);
	ck_assert_int_eq(st_hold_due(a, 2000, 10, &due, &n, &err), ST_OK);
	ck_assert_uint_eq(n, 0);
	free(due);
	ck_assert_int_eq(st_hold_due(b, 2000, 10, &due, &n, &err), ST_OK);
	ck_assert_uint_eq(n, 1);
	free(due);
	fill_hold(&in, rcpts, "QB3");
	in.arriving = true;
	ck_assert_int_eq(st_hold_create(b, &in, id, &err), ST_OK);
	ck_assert_int_eq(st_hold_oldest_arriving(a), 0);
	ck_assert(st_hold_oldest_arriving(b) != 0);
	ck_assert_int_eq(st_hold_arrivals(a, 0, 10, &v, &n, &err), ST_OK);
	ck_assert_uint_eq(n, 0);
	free(v);
	ck_assert_int_eq(st_hold_arrivals(b, 0, 10, &v, &n, &err), ST_OK);
	ck_assert_uint_eq(n, 1);
	free(v);
	st_close(a);
	st_close(b);
	sg_buf_free(&err);
}
END_TEST

/* ---- previews (issue 18) ---- */

static const char sealed_a[] = "p1.k1.AAAAAAAAAAAAAAAA.c2VhbGVkIGJvZHk";

static void create_with_preview(st_store *st, const char *qid, const char *sealed,
				time_t expires, char id[ST_ID_SIZE])
{
	st_hold_new in;
	st_rcpt rcpts[3];
	sg_buf err;

	fill_hold(&in, rcpts, qid);
	in.preview = sealed;
	in.created = time(NULL);
	in.expires = expires;
	sg_buf_init(&err, 4096);
	ck_assert_msg(st_hold_create(st, &in, id, &err) == ST_OK, "%s",
		      sg_buf_cstr(&err));
	sg_buf_free(&err);
}

static size_t preview_rows(void)
{
	return (size_t)raw_int("SELECT count(*) FROM previews");
}

/* The preview is stored with the hold, read back as stored while the
 * hold waits, and deleted by the trigger at each kind of decision. */
START_TEST(test_preview_is_kept_while_waiting_and_deleted_at_the_decision)
{
	static const st_status ends[] = { ST_APPROVED, ST_REJECTED, ST_WITHDRAWN,
					  ST_EXPIRED };
	st_store *st = open_ok();
	time_t now = time(NULL);
	char id[ST_ID_SIZE], *got = NULL;
	sg_buf err;

	sg_buf_init(&err, 4096);
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		create_with_preview(st, "QP", sealed_a, now + 3600, id);
		ck_assert_uint_eq(preview_rows(), 1);
		ck_assert_int_eq(st_preview_get(st, id, now, &got, &err), ST_OK);
		ck_assert_str_eq(got, sealed_a);
		free(got);
		ck_assert_int_eq(st_hold_decide(st, id, ends[i], "kacho@example.lg.jp",
						NULL, NULL, &err), ST_OK);
		ck_assert_msg(preview_rows() == 0, "a %s hold keeps its preview",
			      st_status_name(ends[i]));
		ck_assert_int_eq(st_preview_get(st, id, now, &got, &err), ST_NOTFOUND);
		ck_assert_ptr_null(got);
	}
	/* A hold without a preview has none. */
	create_ok(st, "QN", id);
	ck_assert_int_eq(st_preview_get(st, id, now, &got, &err), ST_NOTFOUND);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

/* Deleting a hold row (a retention purge) deletes its preview; an
 * arriving hold that never arrives loses it too. */
START_TEST(test_preview_goes_with_a_deleted_or_never_arrived_hold)
{
	st_store *st = open_ok();
	time_t now = time(NULL);
	char id[ST_ID_SIZE], id2[ST_ID_SIZE], sql[256];
	st_hold_new in;
	st_rcpt rcpts[3];
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_with_preview(st, "QD", sealed_a, now + 3600, id);
	snprintf(sql, sizeof(sql), "DELETE FROM holds WHERE id = '%s'", id);
	raw_exec(sql);
	ck_assert_uint_eq(preview_rows(), 0);

	fill_hold(&in, rcpts, "QA");
	in.preview = sealed_a;
	in.arriving = true;
	in.expires = now + 3600;
	ck_assert_int_eq(st_hold_create(st, &in, id2, &err), ST_OK);
	ck_assert_uint_eq(preview_rows(), 1);
	ck_assert_int_eq(st_hold_never_arrived(st, id2, "reconcile", NULL, &err), ST_OK);
	ck_assert_uint_eq(preview_rows(), 0);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

/* Past its expiry a preview is never shown, and the purge (run by
 * `sendguardctl expire`) deletes it and any the triggers missed. */
START_TEST(test_preview_past_expiry_is_not_shown_and_is_purged)
{
	st_store *st = open_ok();
	time_t now = time(NULL);
	char id[ST_ID_SIZE], keep[ST_ID_SIZE], *got = NULL;
	size_t n = 99;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_with_preview(st, "QE", sealed_a, now - 1, id);
	create_with_preview(st, "QK", sealed_a, now + 3600, keep);
	ck_assert_int_eq(st_preview_get(st, id, now, &got, &err), ST_NOTFOUND);
	/* A row the triggers could not see: its hold no longer waits. */
	raw_exec("DROP TRIGGER previews_decided");
	ck_assert_int_eq(st_hold_decide(st, keep, ST_APPROVED, "kacho@example.lg.jp",
					NULL, NULL, &err), ST_OK);
	ck_assert_uint_eq(preview_rows(), 2);
	ck_assert_int_eq(st_preview_get(st, keep, now, &got, &err), ST_NOTFOUND);
	ck_assert_int_eq(st_preview_purge(st, now, &n, &err), ST_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(preview_rows(), 0);
	ck_assert_int_eq(st_preview_count(st, &n, &err), ST_OK);
	ck_assert_uint_eq(n, 0);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

/* Only sealed text is accepted (the CHECK); a failed insert undoes the
 * hold (one transaction). */
START_TEST(test_unsealed_preview_is_refused_with_its_hold)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE];
	st_hold_new in;
	st_rcpt rcpts[3];
	sg_buf err;

	sg_buf_init(&err, 4096);
	fill_hold(&in, rcpts, "QU");
	in.preview = "{\"text\":\"plain body\"}";
	ck_assert_int_ne(st_hold_create(st, &in, id, &err), ST_OK);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM holds"), 0);
	ck_assert_uint_eq(preview_rows(), 0);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

/* A version 2 store (before previews) with a hold is migrated to 3:
 * the hold stays, the table and triggers appear. */
START_TEST(test_version_2_store_is_migrated_to_previews)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE], *got;
	st_hold *h;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_ok(st, "Q2", id);
	st_close(st);
	/* Back to version 2: without previews (3) and hold kinds (4). */
	raw_exec(V7_DOWN "ALTER TABLE holds DROP COLUMN names;"
		 "DROP TRIGGER approvals_hold_deleted; DROP TABLE approvals;"
		 "DROP TABLE delegations; ALTER TABLE holds DROP COLUMN required;"
		 "ALTER TABLE holds DROP COLUMN escalated_at;"
		 "DROP TRIGGER previews_decided; DROP TRIGGER previews_hold_deleted;"
		 "DROP TABLE previews; DROP INDEX holds_release;"
		 "ALTER TABLE holds DROP COLUMN kind;"
		 "ALTER TABLE holds DROP COLUMN release_t;"
		 "UPDATE meta SET value = '2' WHERE key = 'schema_version'");
	st = open_ok();
	ck_assert_int_eq(st_schema_version(st), ST_SCHEMA_VERSION);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	st_hold_free(h);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM sqlite_master WHERE name IN"
				 " ('previews', 'previews_decided', 'previews_hold_deleted')"), 3);
	ck_assert_int_eq(st_preview_get(st, id, time(NULL), &got, &err), ST_NOTFOUND);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST


/* ---- several approvers, checklist, proxies (schema 5) ---- */

static void create_required(st_store *st, const char *qid, unsigned required,
			    char id[ST_ID_SIZE])
{
	st_hold_new in;
	st_rcpt rcpts[3];
	sg_buf err;

	fill_hold(&in, rcpts, qid);
	in.required = required;
	sg_buf_init(&err, 4096);
	ck_assert_msg(st_hold_create(st, &in, id, &err) == ST_OK, "%s",
		      sg_buf_cstr(&err));
	sg_buf_free(&err);
}

static st_rc vote(st_store *st, const char *id, bool approve, const char *who,
		  const char *actor, st_vote_out *out, sg_buf *err)
{
	st_vote v = { approve, who, actor ? actor : who, who,
		      "[\"宛先は正しい\",\"添付ファイルは正しい\"]",
		      approve ? NULL : "宛先違い", NULL, NULL };

	return st_hold_vote(st, id, &v, out, err);
}

/* A version 4 store (before issue 18's approvals) with a pending hold
 * is migrated to 5: the hold needs one approval, has none, and the
 * approval, once made, keeps its ticks. */
START_TEST(test_version_4_store_is_migrated_to_approvals)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE];
	st_vote_out out = ST_VOTE_PARTIAL;
	st_hold *h;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_ok(st, "Q4", id);
	st_close(st);
	raw_exec(V7_DOWN "ALTER TABLE holds DROP COLUMN names;"
		 "DROP TRIGGER approvals_hold_deleted; DROP TABLE approvals;"
		 "DROP TABLE delegations; ALTER TABLE holds DROP COLUMN required;"
		 "ALTER TABLE holds DROP COLUMN escalated_at;"
		 "UPDATE meta SET value = '4' WHERE key = 'schema_version'");
	st = open_ok();
	ck_assert_int_eq(st_schema_version(st), ST_SCHEMA_VERSION);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_uint_eq(h->required, 1);
	ck_assert_uint_eq(h->napproved, 0);
	ck_assert_str_eq(h->approvals_json, "[]");
	ck_assert_ptr_null(h->escalated_at);
	st_hold_free(h);
	ck_assert_int_eq(vote(st, id, true, "kacho@example.lg.jp", NULL, &out, &err),
			 ST_OK);
	ck_assert_int_eq(out, ST_VOTE_DECIDED);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_int_eq(h->status, ST_APPROVED);
	ck_assert_ptr_nonnull(strstr(h->approvals_json, "宛先は正しい"));
	st_hold_free(h);
	/* previews (3) and kinds (4) untouched */
	ck_assert_int_eq(raw_int("SELECT count(*) FROM sqlite_master WHERE name IN"
				 " ('previews_decided', 'holds_release')"), 2);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

struct appr_seen {
	int n;
	char checked[256];
};

static int appr_cb(const st_approval *a, void *ctx)
{
	struct appr_seen *s = ctx;

	if (s->n++ == 0)
		snprintf(s->checked, sizeof(s->checked), "%s", a->checked_json);
	return 0;
}

START_TEST(test_two_required_first_keeps_held_second_decides)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE];
	st_vote_out out = ST_VOTE_DECIDED;
	struct appr_seen seen = { 0, "" };
	st_hold *h;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_required(st, "Q2R", 2, id);
	ck_assert_int_eq(vote(st, id, true, "kacho@example.lg.jp", NULL, &out, &err),
			 ST_OK);
	ck_assert_int_eq(out, ST_VOTE_PARTIAL);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_int_eq(h->status, ST_PENDING);
	ck_assert_uint_eq(h->napproved, 1);
	ck_assert_uint_eq(h->required, 2);
	st_hold_free(h);
	/* the same person again, or as someone's proxy: counts once */
	ck_assert_int_eq(vote(st, id, true, "kacho@example.lg.jp", NULL, &out, &err),
			 ST_CONFLICT);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "counts once"));
	ck_assert_int_eq(vote(st, id, true, "bucho@example.lg.jp",
			      "kacho@example.lg.jp", &out, &err), ST_CONFLICT);
	/* a single decision cannot skip the second approver */
	ck_assert_int_eq(st_hold_decide(st, id, ST_APPROVED, "x@example.lg.jp", NULL,
					NULL, &err), ST_CONFLICT);
	ck_assert_int_eq(vote(st, id, true, "ciso@example.lg.jp", NULL, &out, &err),
			 ST_OK);
	ck_assert_int_eq(out, ST_VOTE_DECIDED);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_int_eq(h->status, ST_APPROVED);
	ck_assert_str_eq(h->decided_by, "ciso@example.lg.jp");
	ck_assert_uint_eq(h->napproved, 2);
	st_hold_free(h);
	/* a third comes too late */
	ck_assert_int_eq(vote(st, id, false, "bucho@example.lg.jp", NULL, &out, &err),
			 ST_CONFLICT);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "already approved"));
	ck_assert_int_eq(st_approval_list(st, id, appr_cb, &seen, &err), ST_OK);
	ck_assert_int_eq(seen.n, 2);
	ck_assert_str_eq(seen.checked, "[\"宛先は正しい\",\"添付ファイルは正しい\"]");
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE event ="
				 " 'approve-partial'"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE event = 'approve'"), 1);
	ck_assert_int_eq(st_audit_verify(st, NULL, NULL, &err), ST_OK);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_one_reject_ends_a_partly_approved_hold)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE];
	st_vote_out out;
	st_hold *h;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_required(st, "Q2X", 2, id);
	ck_assert_int_eq(vote(st, id, true, "kacho@example.lg.jp", NULL, &out, &err),
			 ST_OK);
	ck_assert_int_eq(vote(st, id, false, "ciso@example.lg.jp", NULL, &out, &err),
			 ST_OK);
	ck_assert_int_eq(out, ST_VOTE_DECIDED);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_int_eq(h->status, ST_REJECTED);
	ck_assert_str_eq(h->decision_comment, "宛先違い");
	st_hold_free(h);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

struct vote_race {
	const char *id, *who;
	st_rc rc;
	st_vote_out out;
};

static void *vote_thread(void *arg)
{
	struct vote_race *r = arg;
	st_store *own = st_open(dbpath, NULL);
	sg_buf err;

	sg_buf_init(&err, 4096);
	r->rc = own ? vote(own, r->id, true, r->who, NULL, &r->out, &err) : ST_ERROR;
	st_close(own);
	sg_buf_free(&err);
	return NULL;
}

/* Two approvers racing for the last approval, each with its own
 * connection: exactly one decides, the other gets a conflict. */
START_TEST(test_racing_last_approvals_decide_once)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE];
	st_vote_out out;
	sg_buf err;

	sg_buf_init(&err, 4096);
	for (int round = 0; round < 20; round++) {
		struct vote_race r[2] = {
			{ id, "a@example.lg.jp", ST_ERROR, ST_VOTE_PARTIAL },
			{ id, "b@example.lg.jp", ST_ERROR, ST_VOTE_PARTIAL }
		};
		pthread_t t[2];
		int ok = 0, decided = 0;

		create_required(st, "QRACE", 2, id);
		ck_assert_int_eq(vote(st, id, true, "c@example.lg.jp", NULL, &out, &err),
				 ST_OK);
		for (int i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, vote_thread, &r[i]);
		for (int i = 0; i < 2; i++) {
			pthread_join(t[i], NULL);
			ok += r[i].rc == ST_OK;
			decided += r[i].rc == ST_OK && r[i].out == ST_VOTE_DECIDED;
			ck_assert(r[i].rc == ST_OK || r[i].rc == ST_CONFLICT);
		}
		ck_assert_int_eq(ok, 1);
		ck_assert_int_eq(decided, 1);
	}
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE event = 'approve'"), 20);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_escalation_is_claimed_once)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE];
	st_hold *h;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_ok(st, "QESC", id);
	ck_assert_int_eq(st_hold_mark_escalated(st, id, "{\"to\":\"boss@example.lg.jp\"}",
						&err), ST_OK);
	ck_assert_int_eq(st_hold_mark_escalated(st, id, NULL, &err), ST_CONFLICT);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_ptr_nonnull(h->escalated_at);
	st_hold_free(h);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE event = 'escalate'"), 1);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

static int deleg_count(const st_delegation *d, void *ctx)
{
	(void)d;
	(*(int *)ctx)++;
	return 0;
}

START_TEST(test_delegation_is_audited_expires_and_can_be_revoked)
{
	st_store *st = open_ok();
	long long did = 0;
	int n = 0;
	sg_buf err;

	sg_buf_init(&err, 4096);
	ck_assert_int_eq(st_delegate_add(st, "Kacho@example.lg.jp", "hosa@example.lg.jp",
					 1000, 2000, "kacho@example.lg.jp", NULL, &did,
					 &err), ST_OK);
	ck_assert(did > 0);
	ck_assert(st_delegate_active(st, "kacho@example.lg.jp", "hosa@example.lg.jp", 1500));
	ck_assert(!st_delegate_active(st, "kacho@example.lg.jp", "hosa@example.lg.jp", 2000));
	ck_assert(!st_delegate_active(st, "kacho@example.lg.jp", "hosa@example.lg.jp", 999));
	ck_assert(!st_delegate_active(st, "hosa@example.lg.jp", "kacho@example.lg.jp", 1500));
	ck_assert_int_eq(st_delegate_list(st, "kacho@example.lg.jp", 1500, deleg_count,
					  &n, &err), ST_OK);
	ck_assert_int_eq(n, 1);
	/* nobody is their own proxy; an end before the start is nonsense */
	ck_assert_int_eq(st_delegate_add(st, "a@example.lg.jp", "A@example.lg.jp", 1,
					 2, "a@example.lg.jp", NULL, NULL, &err),
			 ST_INVALID);
	ck_assert_int_eq(st_delegate_add(st, "a@example.lg.jp", "b@example.lg.jp", 2,
					 2, "a@example.lg.jp", NULL, NULL, &err),
			 ST_INVALID);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE event = 'delegate'"), 1);
	/* revoking: a delegation still in force (now is past 2000 here,
	 * so make one that is) */
	ck_assert_int_eq(st_delegate_add(st, "kacho@example.lg.jp", "hosa@example.lg.jp",
					 time(NULL) - 10, time(NULL) + 3600,
					 "kacho@example.lg.jp", NULL, &did, &err), ST_OK);
	ck_assert(st_delegate_active(st, "kacho@example.lg.jp", "hosa@example.lg.jp",
				     time(NULL)));
	ck_assert_int_eq(st_delegate_revoke(st, did, "kacho@example.lg.jp", NULL, &err),
			 ST_OK);
	ck_assert(!st_delegate_active(st, "kacho@example.lg.jp", "hosa@example.lg.jp",
				      time(NULL)));
	ck_assert_int_eq(st_delegate_revoke(st, did, "kacho@example.lg.jp", NULL, &err),
			 ST_NOTFOUND);
	ck_assert_int_eq(st_audit_verify(st, NULL, NULL, &err), ST_OK);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_approvals_go_with_a_deleted_hold)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE];
	st_vote_out out;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_required(st, "QDEL", 2, id);
	ck_assert_int_eq(vote(st, id, true, "kacho@example.lg.jp", NULL, &out, &err),
			 ST_OK);
	st_close(st);
	raw_exec("DELETE FROM holds");
	ck_assert_int_eq(raw_int("SELECT count(*) FROM approvals"), 0);
	sg_buf_free(&err);
}
END_TEST

/* ---- list ---- */

struct listing {
	st_store *st;
	int n, refetched;
};

static int count_and_refetch(const st_hold *h, void *ctx)
{
	struct listing *l = ctx;
	st_hold *again;

	l->n++;
	/* The callback may use the store: no lock is held across it. */
	if (st_hold_get(l->st, h->id, &again, NULL) == ST_OK) {
		l->refetched += strcmp(again->id, h->id) == 0;
		st_hold_free(again);
	}
	return 0;
}

START_TEST(test_list_filters_by_status)
{
	st_store *st = open_ok();
	char a[ST_ID_SIZE], b[ST_ID_SIZE], c[ST_ID_SIZE];
	struct listing l = { st, 0, 0 };
	st_status pending = ST_PENDING, approved = ST_APPROVED;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_ok(st, "Q1", a);
	create_ok(st, "Q2", b);
	create_ok(st, "Q3", c);
	ck_assert_int_eq(st_hold_decide(st, b, ST_APPROVED, "k@example.lg.jp", NULL,
					NULL, &err), ST_OK);
	ck_assert_int_eq(st_hold_list(st, NULL, count_and_refetch, &l, &err), ST_OK);
	ck_assert_int_eq(l.n, 3);
	ck_assert_int_eq(l.refetched, 3);
	l.n = 0;
	ck_assert_int_eq(st_hold_list(st, &pending, count_and_refetch, &l, &err), ST_OK);
	ck_assert_int_eq(l.n, 2);
	l.n = 0;
	ck_assert_int_eq(st_hold_list(st, &approved, count_and_refetch, &l, &err), ST_OK);
	ck_assert_int_eq(l.n, 1);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

static int count_audit(const st_audit_rec *r, void *ctx)
{
	(*(int *)ctx)++;
	ck_assert_ptr_nonnull(r->hash);
	return 0;
}

START_TEST(test_audit_list_by_hold)
{
	st_store *st = open_ok();
	char a[ST_ID_SIZE], b[ST_ID_SIZE];
	int n = 0;
	sg_buf err;

	sg_buf_init(&err, 4096);
	create_ok(st, "Q1", a);
	create_ok(st, "Q2", b);
	ck_assert_int_eq(st_hold_decide(st, a, ST_WITHDRAWN, "suzuki@example.lg.jp",
					NULL, NULL, &err), ST_OK);
	ck_assert_int_eq(st_audit_list(st, a, 0, count_audit, &n, &err), ST_OK);
	ck_assert_int_eq(n, 2);
	n = 0;
	ck_assert_int_eq(st_audit_list(st, NULL, 0, count_audit, &n, &err), ST_OK);
	ck_assert_int_eq(n, 3);
	n = 0;
	ck_assert_int_eq(st_audit_list(st, NULL, time(NULL) + 3600, count_audit, &n,
				       &err), ST_OK);
	ck_assert_int_eq(n, 0);
	st_close(st);
	sg_buf_free(&err);
}
END_TEST

/* ---- nonces, times ---- */

START_TEST(test_nonce_replay_is_detected)
{
	st_store *st = open_ok();
	sg_buf err;

	sg_buf_init(&err, 4096);
	ck_assert_int_eq(st_nonce_use(st, "n-1", 1000, 60, &err), 1);
	ck_assert_int_eq(st_nonce_use(st, "n-1", 1010, 60, &err), 0);
	ck_assert_int_eq(st_nonce_use(st, "n-2", 1020, 60, &err), 1);
	ck_assert_int_eq(st_nonce_use(st, "", 1020, 60, &err), -1);
	/* Past their lifetime, old nonces are purged. */
	ck_assert_int_eq(st_nonce_use(st, "n-3", 5000, 60, &err), 1);
	st_close(st);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM nonces"), 1);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_times_are_iso_8601_with_colon_offset)
{
	char buf[ST_TIME_SIZE];

	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	st_time_iso(1795395600, buf);
	ck_assert_str_eq(buf, "2026-11-23T10:00:00+09:00");
	setenv("TZ", "UTC", 1);
	tzset();
	st_time_iso(0, buf);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00+00:00");
	setenv("TZ", "America/St_Johns", 1);	/* a half-hour offset */
	tzset();
	st_time_iso(1795395600, buf);
	ck_assert_str_eq(buf, "2026-11-22T21:30:00-03:30");
	st_now_iso(buf);
	ck_assert_uint_eq(strlen(buf), 25);
	unsetenv("TZ");
	tzset();
}
END_TEST

START_TEST(test_status_names_round_trip)
{
	st_status s;

	for (int i = ST_PENDING; i <= ST_EXPIRED; i++) {
		ck_assert_int_eq(st_status_parse(st_status_name((st_status)i), &s), 0);
		ck_assert_int_eq(s, i);
	}
	ck_assert_int_eq(st_status_parse("approve", &s), -1);
	ck_assert_str_eq(st_rc_name(ST_CONFLICT), "conflict");
}
END_TEST

/* ---- outbox ---- */

static st_notice_new mk_notice(const char *kind, const char *rcpt, char *mid,
			       size_t midsz, int i)
{
	snprintf(mid, midsz, "<%d.test.%s@example.lg.jp>", i, kind);
	return (st_notice_new){ kind, rcpt, mid,
				"From: sendguard <sendguard@example.lg.jp>\nTo: x\n",
				"5L+d55WZ\n" };
}

static void add_notices(st_store *st, const char *hold, int from, int count)
{
	sg_buf err;

	sg_buf_init(&err, 4096);
	for (int i = from; i < from + count; i++) {
		char mid[96], rcpt[64];
		st_notice_new n;

		snprintf(rcpt, sizeof(rcpt), "person%d@example.lg.jp", i);
		n = mk_notice("approval_request", rcpt, mid, sizeof(mid), i);
		ck_assert_msg(st_outbox_add(st, hold, "QID", &n, 1, &err) == ST_OK,
			      "%s", sg_buf_cstr(&err));
	}
	sg_buf_free(&err);
}

static size_t claim(st_store *st, const char *owner, time_t now, long lease,
		    size_t max, long long *ids)
{
	st_notice **v = NULL;
	size_t n = 0;
	sg_buf err;

	sg_buf_init(&err, 4096);
	ck_assert_msg(st_outbox_claim(st, owner, now, lease, max, &v, &n, &err) == ST_OK,
		      "%s", sg_buf_cstr(&err));
	for (size_t i = 0; i < n; i++) {
		if (ids)
			ids[i] = v[i]->id;
		ck_assert_str_eq(v[i]->body, "5L+d55WZ\n");
		st_notice_free(v[i]);
	}
	free(v);
	sg_buf_free(&err);
	return n;
}

START_TEST(test_hold_and_its_notices_are_one_transaction)
{
	st_store *st = open_ok();
	st_hold_new in;
	st_rcpt rcpts[3];
	st_notice_new n[3];
	char mids[3][96], id[ST_ID_SIZE];
	sg_buf err;

	sg_buf_init(&err, 4096);
	fill_hold(&in, rcpts, "QHOLD1");
	n[0] = mk_notice("hold_sender", "suzuki@example.lg.jp", mids[0], 96, 0);
	n[1] = mk_notice("approval_request", "kacho@example.lg.jp", mids[1], 96, 1);
	n[2] = mk_notice("approval_request", "ciso@example.lg.jp", mids[2], 96, 2);
	in.notices = n;
	in.nnotices = 3;
	ck_assert_int_eq(st_hold_create(st, &in, id, &err), ST_OK);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM outbox WHERE state = 'ready'"
				 " AND queue_id = 'QHOLD1'"), 3);
	/* A notice without a body: neither the hold nor any notice. */
	fill_hold(&in, rcpts, "QHOLD2");
	n[2].body = NULL;
	in.notices = n;
	in.nnotices = 3;
	ck_assert_int_eq(st_hold_create(st, &in, id, &err), ST_INVALID);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM holds WHERE queue_id = 'QHOLD2'"), 0);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM outbox WHERE queue_id = 'QHOLD2'"), 0);
	/* An arriving hold's notices wait: nobody may claim them. */
	fill_hold(&in, rcpts, "QHOLD3");
	n[2].body = "5L+d55WZ\n";
	snprintf(mids[0], 96, "<a1@x>");
	snprintf(mids[1], 96, "<a2@x>");
	snprintf(mids[2], 96, "<a3@x>");
	in.notices = n;
	in.nnotices = 3;
	in.arriving = true;
	ck_assert_int_eq(st_hold_create(st, &in, id, &err), ST_OK);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM outbox WHERE state = 'waiting'"), 3);
	ck_assert_int_eq(claim(st, "a", time(NULL), 60, 0, NULL), 3);	/* QHOLD1's */
	ck_assert_int_eq(claim(st, "b", time(NULL) + 3600, 60, 0, NULL), 3);
	sg_buf_free(&err);
	st_close(st);
}
END_TEST

/* An arriving hold with three notices (issue 15). */
static void arriving_hold(st_store *st, const char *qid, int seq, char id[ST_ID_SIZE])
{
	st_hold_new in;
	st_rcpt rcpts[3];
	st_notice_new n[3];
	char mids[3][96];
	sg_buf err;

	sg_buf_init(&err, 4096);
	fill_hold(&in, rcpts, qid);
	in.created = time(NULL) - 30;
	in.expires = in.created + 3600;
	n[0] = mk_notice("hold_sender", "suzuki@example.lg.jp", mids[0], 96, seq);
	n[1] = mk_notice("approval_request", "kacho@example.lg.jp", mids[1], 96, seq + 1);
	n[2] = mk_notice("approval_request", "ciso@example.lg.jp", mids[2], 96, seq + 2);
	in.notices = n;
	in.nnotices = 3;
	in.arriving = true;
	ck_assert_msg(st_hold_create(st, &in, id, &err) == ST_OK, "%s", sg_buf_cstr(&err));
	sg_buf_free(&err);
}

static long long hold_int(const char *fmt, const char *id)
{
	char sql[512];

	snprintf(sql, sizeof(sql), fmt, id);
	return raw_int(sql);
}

START_TEST(test_arriving_hold_is_confirmed_by_its_queue_file)
{
	st_store *st = open_ok();
	char id[ST_ID_SIZE];
	st_hold *h = NULL;
	st_arrival *v = NULL;
	size_t nv = 0;
	sg_buf err;

	sg_buf_init(&err, 4096);
	ck_assert_int_eq(st_hold_oldest_arriving(st), 0);
	arriving_hold(st, "QARR1", 0, id);
	ck_assert(st_hold_oldest_arriving(st) != 0);
	ck_assert_int_eq(st_hold_arrivals(st, 0, 100, &v, &nv, &err), ST_OK);
	ck_assert_uint_eq(nv, 1);
	ck_assert_str_eq(v[0].id, id);
	ck_assert_str_eq(v[0].queue_id, "QARR1");
	ck_assert(!v[0].closed);
	free(v);
	/* Not confirmed: nothing may be decided, applied or sent. */
	ck_assert_int_eq(st_hold_decide(st, id, ST_APPROVED, "kacho@example.lg.jp",
					NULL, NULL, &err), ST_CONFLICT);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "not confirmed"));
	ck_assert_int_eq(st_hold_set_applied(st, id, NULL, "apply", NULL, &err),
			 ST_CONFLICT);
	ck_assert_int_eq(st_hold_mark_reminded(st, id, &err), ST_CONFLICT);
	ck_assert_int_eq(claim(st, "a", time(NULL) + 3600, 60, 0, NULL), 0);
	/* Confirmed: pending, notices ready, one audit record. */
	ck_assert_int_eq(st_hold_confirm(st, id, "milter", "{\"queue\":\"hold\"}", &err),
			 ST_OK);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_int_eq(h->status, ST_PENDING);
	st_hold_free(h);
	ck_assert_int_eq(hold_int("SELECT count(*) FROM outbox WHERE hold_id = '%s'"
				  " AND state = 'ready'", id), 3);
	ck_assert_int_eq(hold_int("SELECT count(*) FROM audit WHERE hold_id = '%s'"
				  " AND event = 'confirm' AND actor = 'milter'", id), 1);
	ck_assert_int_eq(st_hold_oldest_arriving(st), 0);
	/* Twice (notifier and reconcile): a conflict, no second record. */
	ck_assert_int_eq(st_hold_confirm(st, id, "reconcile", NULL, &err), ST_CONFLICT);
	ck_assert_int_eq(st_hold_never_arrived(st, id, "milter", NULL, &err), ST_CONFLICT);
	ck_assert_int_eq(hold_int("SELECT count(*) FROM audit WHERE hold_id = '%s'"
				  " AND event IN ('confirm', 'never-arrived')", id), 1);
	ck_assert_int_eq(claim(st, "a", time(NULL), 60, 0, NULL), 3);
	ck_assert_int_eq(st_hold_decide(st, id, ST_APPROVED, "kacho@example.lg.jp",
					NULL, NULL, &err), ST_OK);
	sg_buf_free(&err);
	st_close(st);
}
END_TEST

START_TEST(test_phantom_is_closed_silently_and_a_late_file_revives_it)
{
	st_store *st = open_ok();
	char ph[ST_ID_SIZE], retry[ST_ID_SIZE];
	st_arrival *v = NULL;
	size_t nv = 0;
	st_hold *h = NULL;
	sg_buf err;

	sg_buf_init(&err, 4096);
	/* A kill between the record and the commit, then the client's
	 * retry: two records for one message, one of them a phantom. */
	arriving_hold(st, "QPHANTOM", 10, ph);
	arriving_hold(st, "QRETRY", 20, retry);
	ck_assert_int_eq(st_hold_never_arrived(st, ph, "milter", "{\"age_s\":600}", &err),
			 ST_OK);
	ck_assert_int_eq(st_hold_confirm(st, retry, "milter", NULL, &err), ST_OK);
	ck_assert_int_eq(hold_int("SELECT count(*) FROM outbox WHERE hold_id = '%s'"
				  " AND state = 'cancelled'", ph), 3);
	ck_assert_int_eq(hold_int("SELECT count(*) FROM audit WHERE hold_id = '%s'"
				  " AND event = 'never-arrived'", ph), 1);
	/* Approvers see one request: the retry's. */
	ck_assert_int_eq(claim(st, "a", time(NULL), 60, 0, NULL), 3);
	ck_assert_int_eq(hold_int("SELECT count(*) FROM outbox WHERE hold_id = '%s'"
				  " AND lease_owner IS NOT NULL", ph), 0);
	/* Closed: nobody decides it; the listing only looks for it when
	 * asked to (late files). */
	ck_assert_int_eq(st_hold_decide(st, ph, ST_APPROVED, "kacho@example.lg.jp",
					NULL, NULL, &err), ST_CONFLICT);
	ck_assert_int_eq(st_hold_arrivals(st, 0, 100, &v, &nv, &err), ST_OK);
	ck_assert_uint_eq(nv, 0);
	free(v);
	ck_assert_int_eq(st_hold_arrivals(st, time(NULL) - 86400, 100, &v, &nv, &err), ST_OK);
	ck_assert_uint_eq(nv, 1);
	ck_assert_str_eq(v[0].id, ph);
	ck_assert(v[0].closed);
	free(v);
	/* Its file turned up after all: confirmed late, notices back. */
	ck_assert_int_eq(st_hold_confirm(st, ph, "milter", "{\"late\":true}", &err), ST_OK);
	ck_assert_int_eq(st_hold_get(st, ph, &h, &err), ST_OK);
	ck_assert_int_eq(h->status, ST_PENDING);
	st_hold_free(h);
	ck_assert_int_eq(hold_int("SELECT count(*) FROM outbox WHERE hold_id = '%s'"
				  " AND state = 'ready'", ph), 3);
	/* A closure only from arriving. */
	ck_assert_int_eq(st_hold_never_arrived(st, ph, "milter", NULL, &err), ST_CONFLICT);
	sg_buf_free(&err);
	st_close(st);
}
END_TEST

START_TEST(test_claimed_rows_are_leased_to_one_drainer_until_the_lease_ends)
{
	st_store *st = open_ok();
	time_t t;
	long long a[8], b[8];

	add_notices(st, NULL, 0, 5);
	/* After the rows exist: each is due from the second it was added
	 * (a loaded machine may cross a second while adding them). */
	t = time(NULL);
	ck_assert_int_eq(claim(st, "drainer-a", t, 60, 3, a), 3);
	ck_assert_int_eq(claim(st, "drainer-b", t, 60, 10, b), 2);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 2; j++)
			ck_assert(a[i] != b[j]);
	ck_assert_int_eq(claim(st, "drainer-c", t + 59, 60, 10, NULL), 0);
	/* a drainer that died: its rows are claimed again after the lease */
	ck_assert_int_eq(claim(st, "drainer-c", t + 60, 60, 10, NULL), 5);
	st_close(st);
}
END_TEST

START_TEST(test_sent_is_audited_once_and_drops_the_content)
{
	st_store *st = open_ok();
	long long id[1];
	sg_buf err;

	sg_buf_init(&err, 4096);
	add_notices(st, "h1", 0, 1);
	ck_assert_int_eq(claim(st, "a", time(NULL), 60, 1, id), 1);
	ck_assert_int_eq(st_outbox_sent(st, id[0], "milter", &err), ST_OK);
	/* a second drainer whose lease ran out sent it too */
	ck_assert_int_eq(st_outbox_sent(st, id[0], "apply", &err), ST_OK);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE event = 'notice'"
				 " AND hold_id = 'h1'"), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM outbox WHERE state = 'sent'"
				 " AND head = '' AND body = ''"), 1);
	ck_assert_int_eq(claim(st, "b", time(NULL) + 86400, 60, 1, NULL), 0);
	sg_buf_free(&err);
	st_close(st);
}
END_TEST

static int notice_count_cb(const st_notice *n, void *ctx)
{
	size_t *c = ctx;

	if (n->state == ST_NOTICE_FAILED) {
		ck_assert_str_eq(n->last_error, "connection refused");
		c[1]++;
	}
	c[0]++;
	return 0;
}

START_TEST(test_retry_waits_for_its_time_and_a_failure_is_listed)
{
	st_store *st = open_ok();
	time_t t = time(NULL);
	long long id[1];
	size_t c[2] = { 0, 0 };
	sg_buf err;

	sg_buf_init(&err, 4096);
	add_notices(st, "h2", 0, 1);
	ck_assert_int_eq(claim(st, "a", t, 60, 1, id), 1);
	/* only the lease holder reschedules */
	ck_assert_int_eq(st_outbox_retry(st, id[0], "other", t + 50, "x", &err), ST_OK);
	ck_assert_int_eq(raw_int("SELECT attempts FROM outbox"), 0);
	ck_assert_int_eq(st_outbox_retry(st, id[0], "a", t + 50, "connection refused",
					 &err), ST_OK);
	ck_assert_int_eq(raw_int("SELECT attempts FROM outbox"), 1);
	ck_assert_int_eq(claim(st, "b", t + 10, 60, 1, NULL), 0);
	ck_assert_int_eq(claim(st, "b", t + 50, 60, 1, id), 1);
	ck_assert_int_eq(st_outbox_fail(st, id[0], "milter", "connection refused", &err),
			 ST_OK);
	ck_assert_int_eq(st_outbox_fail(st, id[0], "milter", "again", &err), ST_OK);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE event ="
				 " 'notice-failed'"), 1);
	ck_assert_int_eq(st_outbox_list(st, false, notice_count_cb, c, &err), ST_OK);
	ck_assert_uint_eq(c[0], 1);
	ck_assert_uint_eq(c[1], 1);
	ck_assert_int_eq(claim(st, "c", t + 86400, 60, 1, NULL), 0);
	sg_buf_free(&err);
	st_close(st);
}
END_TEST

START_TEST(test_one_notice_of_a_kind_per_hold_and_person)
{
	st_store *st = open_ok();
	char m1[96], m2[96];
	st_notice_new a = mk_notice("expired_sender", "s@example.lg.jp", m1, 96, 1);
	st_notice_new b = mk_notice("expired_sender", "s@example.lg.jp", m2, 96, 2);
	sg_buf err;

	sg_buf_init(&err, 4096);
	ck_assert_int_eq(st_outbox_add(st, "h3", "Q", &a, 1, &err), ST_OK);
	ck_assert_int_eq(st_outbox_add(st, "h3", "Q", &b, 1, &err), ST_OK);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM outbox WHERE hold_id = 'h3'"), 1);
	/* a rejection has no hold: each is its own notice */
	a = mk_notice("reject_sender", "s@example.lg.jp", m1, 96, 3);
	b = mk_notice("reject_sender", "s@example.lg.jp", m2, 96, 4);
	ck_assert_int_eq(st_outbox_add(st, NULL, "Q", &a, 1, &err), ST_OK);
	ck_assert_int_eq(st_outbox_add(st, NULL, "Q", &b, 1, &err), ST_OK);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM outbox WHERE hold_id IS NULL"), 2);
	sg_buf_free(&err);
	st_close(st);
}
END_TEST

#define DRAINERS 4
#define DRAIN_ROWS 60

/* Child: claims and marks sent until nothing is left; writes the ids
 * it sent to fd. */
static void drain_child(int fd, int k)
{
	sg_buf err;
	st_store *st;
	char owner[32];

	sg_buf_init(&err, 4096);
	st = st_open(dbpath, &err);
	if (st == NULL)
		_exit(3);
	snprintf(owner, sizeof(owner), "child-%d", k);
	for (int round = 0; round < 1000; round++) {
		st_notice **v = NULL;
		size_t n = 0;

		if (st_outbox_claim(st, owner, time(NULL), 600, 3, &v, &n, &err) != ST_OK)
			_exit(4);
		for (size_t i = 0; i < n; i++) {
			long long id = v[i]->id;

			if (write(fd, &id, sizeof(id)) != (ssize_t)sizeof(id) ||
			    st_outbox_sent(st, id, owner, &err) != ST_OK)
				_exit(5);
			st_notice_free(v[i]);
		}
		free(v);
		if (n == 0)
			break;
	}
	st_close(st);
	_exit(0);
}

START_TEST(test_concurrent_drainers_never_claim_a_row_twice)
{
	st_store *st = open_ok();
	int p[2], status;
	pid_t pids[DRAINERS];
	long long id, seen[DRAIN_ROWS + 1] = { 0 };
	size_t total = 0;

	add_notices(st, "hc", 0, DRAIN_ROWS);
	st_close(st);
	ck_assert_int_eq(pipe(p), 0);
	for (int k = 0; k < DRAINERS; k++) {
		pids[k] = fork();
		ck_assert_int_ge(pids[k], 0);
		if (pids[k] == 0) {
			close(p[0]);
			drain_child(p[1], k);
		}
	}
	close(p[1]);
	while (read(p[0], &id, sizeof(id)) == (ssize_t)sizeof(id)) {
		ck_assert(id >= 1 && id <= DRAIN_ROWS);
		ck_assert_msg(seen[id] == 0, "notice %lld claimed twice", id);
		seen[id] = 1;
		total++;
	}
	close(p[0]);
	for (int k = 0; k < DRAINERS; k++) {
		ck_assert_int_eq(waitpid(pids[k], &status, 0), pids[k]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "drainer %d failed (%d)", k, status);
	}
	ck_assert_uint_eq(total, DRAIN_ROWS);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE event = 'notice'"),
			 DRAIN_ROWS);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM outbox WHERE state = 'sent'"),
			 DRAIN_ROWS);
}
END_TEST

static TCase *tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	return tc;
}

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase("schema");

	tcase_add_test(tc, test_new_store_is_current_wal_private_and_reopens);
	tcase_add_test(tc, test_empty_file_is_refused_never_migrated);
	tcase_add_test(tc, test_open_never_creates_a_store);
	tcase_add_test(tc, test_create_writes_a_store_id_and_refuses_to_overwrite);
	tcase_add_test(tc, test_create_refuses_a_wal_left_by_an_old_store);
	tcase_add_test(tc, test_store_of_an_older_sendguard_gets_an_id);
	tcase_add_test(tc, test_meta_at_version_0_is_migrated_step_by_step);
	tcase_add_test(tc, test_newer_schema_is_refused_with_clear_error);
	tcase_add_test(tc, test_foreign_database_is_refused);
	tcase_add_test(tc, test_file_that_is_not_sqlite_is_refused);
	tcase_add_test(tc, test_unwritable_path_names_the_path);
	suite_add_tcase(s, tc);
	tc = tcase("identity");
	tcase_add_test(tc, test_deleted_store_is_lost_on_the_next_transaction);
	tcase_add_test(tc, test_replaced_store_is_lost);
	tcase_add_test(tc, test_truncated_store_is_lost);
	tcase_add_test(tc, test_removed_wal_is_lost);
	tcase_add_test(tc, test_removed_wal_records_survive_a_hard_exit);
	tcase_add_test(tc, test_removed_wal_close_leaves_another_writer_alone);
	tcase_add_test(tc, test_other_connections_and_checkpoints_are_not_a_loss);
	suite_add_tcase(s, tc);
	tc = tcase("holds");
	tcase_add_test(tc, test_hold_round_trip_keeps_japanese_subject_and_inventory);
	tcase_add_test(tc, test_invalid_json_is_refused_and_nothing_written);
	tcase_add_test(tc, test_ids_are_128_random_bits_in_lower_base32);
	tcase_add_test(tc, test_hold_create_ids_are_distinct);
	tcase_add_test(tc, test_engine_result_json_is_stored_as_given);
	tcase_add_test(tc, test_decide_twice_is_a_conflict);
	tcase_add_test(tc, test_racing_decisions_only_one_wins);
	tcase_add_test(tc, test_delay_hold_round_trip_and_due_list);
	tcase_add_test(tc, test_delay_release_rules);
	tcase_add_test(tc, test_version_3_store_is_migrated_to_hold_kinds);
	tcase_add_test(tc, test_delay_racing_outcomes_only_one_applies);
	tcase_add_test(tc, test_failed_audit_write_undoes_the_hold_change);
	tcase_add_test(tc, test_apply_needs_a_decision_and_is_idempotent);
	tcase_add_test(tc, test_reminder_is_claimed_once);
	tcase_add_test(tc, test_list_filters_by_status);
	suite_add_tcase(s, tc);
	tc = tcase("audit");
	tcase_add_test(tc, test_audit_chain_verifies);
	tcase_add_test(tc, test_edited_record_is_named_by_verify);
	tcase_add_test(tc, test_rehashed_record_breaks_the_next_link);
	tcase_add_test(tc, test_deleted_record_is_named_by_verify);
	tcase_add_test(tc, test_audit_update_and_delete_are_refused);
	tcase_add_test(tc, test_audit_list_by_hold);
	tcase_add_test(tc, test_concurrent_threads_and_processes_lose_no_record);
	tcase_add_test(tc, test_writer_waits_for_another_process_lock);
	tcase_add_test(tc, test_locked_store_fails_each_writer_within_one_timeout);
	suite_add_tcase(s, tc);
	tc = tcase("misc");
	tcase_add_test(tc, test_nonce_replay_is_detected);
	tcase_add_test(tc, test_times_are_iso_8601_with_colon_offset);
	tcase_add_test(tc, test_status_names_round_trip);
	suite_add_tcase(s, tc);
	tc = tcase("outbox");
	tcase_add_test(tc, test_hold_and_its_notices_are_one_transaction);
	tcase_add_test(tc, test_arriving_hold_is_confirmed_by_its_queue_file);
	tcase_add_test(tc, test_phantom_is_closed_silently_and_a_late_file_revives_it);
	tcase_add_test(tc, test_claimed_rows_are_leased_to_one_drainer_until_the_lease_ends);
	tcase_add_test(tc, test_sent_is_audited_once_and_drops_the_content);
	tcase_add_test(tc, test_retry_waits_for_its_time_and_a_failure_is_listed);
	tcase_add_test(tc, test_one_notice_of_a_kind_per_hold_and_person);
	tcase_add_test(tc, test_concurrent_drainers_never_claim_a_row_twice);
	suite_add_tcase(s, tc);
	tc = tcase("previews");
	tcase_add_test(tc, test_preview_is_kept_while_waiting_and_deleted_at_the_decision);
	tcase_add_test(tc, test_names_are_kept_with_the_hold);
	tcase_add_test(tc, test_hold_records_the_gateway_that_took_it);
	tcase_add_test(tc, test_version_6_store_is_migrated_to_gateways);
	tcase_add_test(tc, test_queue_work_is_each_gateways_own);
	tcase_add_test(tc, test_preview_goes_with_a_deleted_or_never_arrived_hold);
	tcase_add_test(tc, test_preview_past_expiry_is_not_shown_and_is_purged);
	tcase_add_test(tc, test_unsealed_preview_is_refused_with_its_hold);
	tcase_add_test(tc, test_version_2_store_is_migrated_to_previews);
	suite_add_tcase(s, tc);
	tc = tcase("approvals");
	tcase_add_test(tc, test_version_4_store_is_migrated_to_approvals);
	tcase_add_test(tc, test_two_required_first_keeps_held_second_decides);
	tcase_add_test(tc, test_one_reject_ends_a_partly_approved_hold);
	tcase_add_test(tc, test_racing_last_approvals_decide_once);
	tcase_add_test(tc, test_escalation_is_claimed_once);
	tcase_add_test(tc, test_delegation_is_audited_expires_and_can_be_revoked);
	tcase_add_test(tc, test_approvals_go_with_a_deleted_hold);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
