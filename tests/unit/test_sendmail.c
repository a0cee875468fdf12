/*
 * NAME
 *	test_sendmail - the Sendmail release backend without a Sendmail
 * DESCRIPTION
 *	rel_sendmail.c on a queue directory made here: control files with
 *	H lines as Sendmail writes them (qf/hf, "H??Name: value", folded
 *	values), a .cf that names the directory, and /bin/true in place of
 *	the sendmail binary, so that a command "succeeds" without doing
 *	anything. The end-to-end tests (tests/sendmail/run.sh) use a real
 *	Sendmail; these cover what a real one rarely shows: a locked
 *	control file, a foreign header, a queue id inside another, queue
 *	groups, a command that leaves the item quarantined.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "release/rel.h"
#include "release/rel_arrival.h"
#include "sg_test.h"

#define QID "6ANJVD4c016357"
#define HID "hw4ytreg5tzonxvzk74ej3dbv34"

static char qdir[64], cf[128];

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", qdir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

static bool exists(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", qdir, name);
	return access(path, F_OK) == 0;
}

/* A quarantined item as Sendmail 8.17 writes it after smfi_quarantine. */
static void put_held(const char *qid, const char *hid)
{
	char name[64], text[1024];

	snprintf(text, sizeof(text),
		 "V8\nT1795462273\nK1795462273\nN0\nP38665\n"
		 "qsendguard hold %s\nFbs\n$_localhost [127.0.0.1]\n"
		 "S<sato@example.lg.jp>\nRPFD:<uketsuke@kenshin.example>\n"
		 "H?P?Return-Path: <\xe7g>\n"
		 "H??Received: from vm (localhost [127.0.0.1])\n"
		 "\tby gw.sendguard.test (8.17.1.9/8.17.1.9) with ESMTP id %s\n"
		 "H??To: =?utf-8?b?5YGl6Ki644K744Oz44K/44O8IOWPl+S7mA==?=\n"
		 " <uketsuke@kenshin.example>\n"
		 "H??X-Sendguard-Hold: %s\n.\n", hid, qid, hid);
	snprintf(name, sizeof(name), "hf%s", qid);
	put(name, text);
	snprintf(name, sizeof(name), "df%s", qid);
	put(name, "body\n");
}

static rel_backend *open_backend(const char *cf_text, sg_buf *err)
{
	char body[512], *text, *path;
	sg_conf *conf;
	rel_backend *be;
	FILE *fp = fopen(cf, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(cf_text, fp);
	fclose(fp);
	snprintf(body, sizeof(body),
		 "[policy]\ninternal_domains = example.lg.jp\n"
		 "[release]\nbackend = sendmail\nsendmail = /bin/true\n"
		 "sendmail_config = %s\ncommand_timeout = 10s\n", cf);
	text = sg_test_conf_text(body);
	path = sg_test_write(text);
	conf = sg_conf_load(path, err);
	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(err));
	be = rel_backend_new(conf, err);
	sg_conf_free(conf);
	unlink(path);
	free(path);
	free(text);
	return be;
}

static rel_backend *open_ok(void)
{
	char text[256];
	sg_buf err;
	rel_backend *be;

	sg_buf_init(&err, 4096);
	snprintf(text, sizeof(text), "V10/Berkeley\nO QueueDirectory=%s\n", qdir);
	be = open_backend(text, &err);
	ck_assert_msg(be != NULL, "%s", sg_buf_cstr(&err));
	sg_buf_free(&err);
	return be;
}

static void setup(void)
{
	snprintf(qdir, sizeof(qdir), "/tmp/sg_sm_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(qdir));
	snprintf(cf, sizeof(cf), "%s.cf", qdir);
}

static void teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", qdir, cf);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_quarantined_item_is_on_hold_with_its_header)
{
	rel_backend *be = open_ok();
	char queue[16], hid[64];
	sg_buf err;

	sg_buf_init(&err, 4096);
	put_held(QID, HID);
	ck_assert_int_eq(rel_be_queue_of(be, QID, queue, &err), REL_OK);
	ck_assert_str_eq(queue, REL_QUEUE_HOLD);
	ck_assert_int_eq(rel_be_check_header(be, QID, HID, &err), REL_OK);
	ck_assert_int_eq(rel_be_header_of(be, QID, hid, &err), REL_OK);
	ck_assert_str_eq(hid, HID);
	ck_assert_int_eq(rel_be_requeue_after(be, &err), -1);
	ck_assert_str_eq(rel_be_name(be), "sendmail");
	sg_buf_free(&err);
	rel_backend_free(be);
}
END_TEST

START_TEST(test_header_naming_another_hold_is_refused_and_item_kept)
{
	rel_backend *be = open_ok();
	sg_buf err;

	sg_buf_init(&err, 4096);
	put_held(QID, HID);
	ck_assert_int_eq(rel_be_check_header(be, QID, "hotherholdid000000000000000", &err),
			 REL_REFUSED);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "does not carry X-Sendguard-Hold"));
	ck_assert_int_eq(rel_be_delete(be, QID, "hotherholdid000000000000000", &err),
			 REL_REFUSED);
	ck_assert(exists("hf" QID) && exists("df" QID));
	sg_buf_free(&err);
	rel_backend_free(be);
}
END_TEST

START_TEST(test_delete_removes_control_and_data_file_once)
{
	rel_backend *be = open_ok();
	char queue[16];
	sg_buf err;

	sg_buf_init(&err, 4096);
	put_held(QID, HID);
	ck_assert_int_eq(rel_be_delete(be, QID, HID, &err), REL_OK);
	ck_assert(!exists("hf" QID) && !exists("df" QID));
	ck_assert_int_eq(rel_be_delete(be, QID, HID, &err), REL_GONE);
	ck_assert_int_eq(rel_be_queue_of(be, QID, queue, &err), REL_GONE);
	sg_buf_free(&err);
	rel_backend_free(be);
}
END_TEST

START_TEST(test_item_sendmail_has_locked_is_not_deleted)
{
	rel_backend *be = open_ok();
	char path[256];
	sg_buf err;
	int fd;

	sg_buf_init(&err, 4096);
	put_held(QID, HID);
	snprintf(path, sizeof(path), "%s/hf" QID, qdir);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	/* What a Sendmail process working on the item holds. */
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	ck_assert_int_eq(rel_be_delete(be, QID, HID, &err), REL_ERROR);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "locked"));
	ck_assert(exists("hf" QID) && exists("df" QID));
	close(fd);
	sg_buf_reset(&err);
	ck_assert_int_eq(rel_be_delete(be, QID, HID, &err), REL_OK);
	sg_buf_free(&err);
	rel_backend_free(be);
}
END_TEST

START_TEST(test_release_that_leaves_item_quarantined_is_an_error)
{
	rel_backend *be = open_ok();
	sg_buf err;

	sg_buf_init(&err, 4096);
	put_held(QID, HID);
	/* /bin/true "runs" sendmail -qQ -qI -Q and changes nothing. */
	ck_assert_int_eq(rel_be_release(be, QID, HID, &err), REL_ERROR);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "still quarantined"));
	ck_assert(exists("hf" QID));
	sg_buf_free(&err);
	rel_backend_free(be);
}
END_TEST

START_TEST(test_queue_id_inside_another_is_refused)
{
	rel_backend *be = open_ok();
	sg_buf err;

	sg_buf_init(&err, 4096);
	/* pid 101635 and 1016357 in the same second: ids ...101635 and
	 * ...1016357, and -qI selects by substring. */
	put_held("6ANJVD4c101635", HID);
	put("qf6ANJVD4c1016357", "V8\n.\n");
	ck_assert_int_eq(rel_be_release(be, "6ANJVD4c101635", HID, &err), REL_REFUSED);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "6ANJVD4c1016357"));
	ck_assert(exists("hf6ANJVD4c101635"));
	sg_buf_free(&err);
	rel_backend_free(be);
}
END_TEST

START_TEST(test_list_gives_quarantined_and_queued_items)
{
	rel_backend *be = open_ok();
	rel_qentry *v = NULL;
	size_t n = 0;
	int hold = 0, queued = 0;
	sg_buf err;

	sg_buf_init(&err, 4096);
	put_held(QID, HID);
	put("qf6ANJVD4c016358", "V8\n.\n");
	put("df6ANJVD4c016358", "body\n");
	put("xf6ANJVD4c016359", "transcript\n");
	ck_assert_int_eq(rel_be_list(be, &v, &n, 100, &err), 0);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		hold += strcmp(v[i].queue, REL_QUEUE_HOLD) == 0 && strcmp(v[i].queue_id, QID) == 0;
		queued += strcmp(v[i].queue, "queued") == 0;
	}
	ck_assert_int_eq(hold, 1);
	ck_assert_int_eq(queued, 1);
	rel_qentries_free(v, n);
	sg_buf_free(&err);
	rel_backend_free(be);
}
END_TEST

START_TEST(test_queue_groups_are_refused_at_start)
{
	char text[256];
	sg_buf err;

	sg_buf_init(&err, 4096);
	snprintf(text, sizeof(text), "O QueueDirectory=%s\nQgroup1, P=%s/g1, R=2\n",
		 qdir, qdir);
	ck_assert_ptr_null(open_backend(text, &err));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "queue groups"));
	sg_buf_reset(&err);
	snprintf(text, sizeof(text), "O QueueDirectory=%s/q*\n", qdir);
	ck_assert_ptr_null(open_backend(text, &err));
	sg_buf_reset(&err);
	ck_assert_ptr_null(open_backend("O QueueDirectory=/nonexistent/mqueue\n", &err));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "not a directory"));
	sg_buf_free(&err);
}
END_TEST

/* An arriving hold for qid, created `age` seconds ago. */
static void arriving(st_store *st, const char *qid, time_t age, char id[ST_ID_SIZE])
{
	st_rcpt r = { "uketsuke@kenshin.example", true };
	st_hold_new in;
	sg_buf err;

	memset(&in, 0, sizeof(in));
	sg_buf_init(&err, 4096);
	in.queue_id = qid;
	in.sender = "sato@example.lg.jp";
	in.rcpts = &r;
	in.nrcpts = 1;
	in.verdict = "hold";
	in.created = time(NULL) - age;
	in.expires = in.created + 86400;
	in.arriving = true;
	ck_assert_msg(st_hold_create(st, &in, id, &err) == ST_OK, "%s", sg_buf_cstr(&err));
	sg_buf_free(&err);
}

static st_status status_of(st_store *st, const char *id)
{
	st_hold *h = NULL;
	st_status s;

	ck_assert_int_eq(st_hold_get(st, id, &h, NULL), ST_OK);
	s = h->status;
	st_hold_free(h);
	return s;
}

/* Issue 15 on Sendmail's quarantine: the arrival pass confirms a hold
 * whose hf file is there (its header read, as reconcile does), closes
 * one whose item is in no queue past the timeout, waits for a young
 * one, and confirms late a closed one whose item turned up. */
START_TEST(test_arrival_pass_on_the_quarantine)
{
	rel_backend *be = open_ok();
	char dbp[128], on[ST_ID_SIZE], gone[ST_ID_SIZE], young[ST_ID_SIZE], late[ST_ID_SIZE];
	rel_arrival_opts o;
	rel_arrival_stats stats;
	st_store *st;
	sg_buf err;

	sg_buf_init(&err, 4096);
	snprintf(dbp, sizeof(dbp), "%s/store.db", qdir);
	st = st_create(dbp, &err);
	ck_assert_msg(st != NULL, "%s", sg_buf_cstr(&err));
	arriving(st, "6ANJVD4c016401", 5, on);
	arriving(st, "6ANJVD4c016402", 120, gone);
	arriving(st, "6ANJVD4c016403", 1, young);
	arriving(st, "6ANJVD4c016404", 300, late);
	put_held("6ANJVD4c016401", on);
	memset(&o, 0, sizeof(o));
	o.be = be;
	o.actor = "reconcile";
	o.timeout = 60;
	o.check_header = true;
	ck_assert_int_eq(rel_arrival_run(st, &o, &stats, &err), REL_OK);
	ck_assert_uint_eq(stats.confirmed, 1);
	ck_assert_uint_eq(stats.never, 2);	/* gone, and late (not yet there) */
	ck_assert_uint_eq(stats.waiting, 1);
	ck_assert_int_eq(status_of(st, on), ST_PENDING);
	ck_assert_int_eq(status_of(st, gone), ST_NEVER_ARRIVED);
	ck_assert_int_eq(status_of(st, young), ST_ARRIVING);
	ck_assert_int_eq(status_of(st, late), ST_NEVER_ARRIVED);
	/* The late item is committed after all: a pass that looks for
	 * closed holds confirms it; the others stay as they are. */
	put_held("6ANJVD4c016404", late);
	o.closed_since = time(NULL) - REL_ARRIVAL_LATE_S;
	ck_assert_int_eq(rel_arrival_run(st, &o, &stats, &err), REL_OK);
	ck_assert_uint_eq(stats.late, 1);
	ck_assert_int_eq(status_of(st, late), ST_PENDING);
	ck_assert_int_eq(status_of(st, gone), ST_NEVER_ARRIVED);
	ck_assert_int_eq(status_of(st, young), ST_ARRIVING);
	/* A header naming another hold confirms nothing. */
	put_held("6ANJVD4c016403", on);
	o.closed_since = 0;
	ck_assert_int_eq(rel_arrival_run(st, &o, &stats, &err), REL_OK);
	ck_assert_uint_eq(stats.failed, 1);
	ck_assert_int_eq(status_of(st, young), ST_ARRIVING);
	st_close(st);
	rel_backend_free(be);
	sg_buf_free(&err);
}
END_TEST

/* A queue directory that cannot be read closes nothing. */
START_TEST(test_arrival_pass_closes_nothing_when_the_queue_cannot_be_listed)
{
	rel_backend *be = open_ok();
	char dbp[128], id[ST_ID_SIZE];
	rel_arrival_opts o;
	rel_arrival_stats stats;
	st_store *st;
	sg_buf err;

	sg_buf_init(&err, 4096);
	snprintf(dbp, sizeof(dbp), "%s.db", qdir);
	st = st_create(dbp, &err);
	ck_assert_msg(st != NULL, "%s", sg_buf_cstr(&err));
	arriving(st, "6ANJVD4c016405", 3600, id);
	ck_assert_int_eq(rmdir(qdir), 0);	/* the queue is gone */
	memset(&o, 0, sizeof(o));
	o.be = be;
	o.actor = "milter";
	o.timeout = 60;
	ck_assert_int_eq(rel_arrival_run(st, &o, &stats, &err), REL_ERROR);
	ck_assert_int_eq(status_of(st, id), ST_ARRIVING);
	ck_assert_int_eq(mkdir(qdir, 0700), 0);
	st_close(st);
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "rm -f '%s.db' '%s.db-wal' '%s.db-shm'",
			 qdir, qdir, qdir);
		ck_assert_int_eq(system(cmd), 0);
	}
	rel_backend_free(be);
	sg_buf_free(&err);
}
END_TEST

static Suite *sendmail_suite(void)
{
	Suite *s = suite_create("sendmail");
	TCase *tc = tcase_create("release backend");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_quarantined_item_is_on_hold_with_its_header);
	tcase_add_test(tc, test_header_naming_another_hold_is_refused_and_item_kept);
	tcase_add_test(tc, test_delete_removes_control_and_data_file_once);
	tcase_add_test(tc, test_item_sendmail_has_locked_is_not_deleted);
	tcase_add_test(tc, test_release_that_leaves_item_quarantined_is_an_error);
	tcase_add_test(tc, test_queue_id_inside_another_is_refused);
	tcase_add_test(tc, test_list_gives_quarantined_and_queued_items);
	tcase_add_test(tc, test_queue_groups_are_refused_at_start);
	tcase_add_test(tc, test_arrival_pass_on_the_quarantine);
	tcase_add_test(tc, test_arrival_pass_closes_nothing_when_the_queue_cannot_be_listed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sendmail_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
