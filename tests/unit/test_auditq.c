/*
 * Unit tests: the accept records' group commit (issue 21,
 * milter/daemon/mlt_auditq.c) and the store's batch append
 * (st_audit_append_batch): a full queue answers FULL (the milter
 * tempfails), a failed flush keeps the records in order and retries
 * (and the queue takes no new record until the store works again),
 * a stop drains, and batches chain so that `audit verify` passes.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/mlt_auditq.h"
#include "store/st.h"

/* A flush function that records what it was given, fails its first
 * `fail_first` calls (or always), and can be held shut by a gate. */
typedef struct fake {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool gate_shut;
	bool in_flush;
	int fail_first;
	bool fail_always;
	unsigned calls, ok_calls;
	char got[256][16];
	size_t ngot;
} fake;

static void fake_init(fake *f)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
}

static void fake_free(fake *f)
{
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
}

static int fake_flush(void *arg, const mlt_aq_rec *recs, size_t n)
{
	fake *f = arg;
	int rc = 0;

	pthread_mutex_lock(&f->mu);
	f->in_flush = true;
	pthread_cond_broadcast(&f->cv);
	while (f->gate_shut)
		pthread_cond_wait(&f->cv, &f->mu);
	f->calls++;
	if (f->fail_always || f->fail_first > 0) {
		f->fail_first--;
		rc = -1;
	} else {
		f->ok_calls++;
		for (size_t i = 0; i < n && f->ngot < 256; i++)
			snprintf(f->got[f->ngot++], sizeof(f->got[0]), "%s",
				 recs[i].queue_id);
	}
	f->in_flush = false;
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static void fake_gate(fake *f, bool shut)
{
	pthread_mutex_lock(&f->mu);
	f->gate_shut = shut;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

/* Waits (bounded) until the flusher is inside the flush function. */
static void fake_wait_in_flush(fake *f)
{
	pthread_mutex_lock(&f->mu);
	for (int i = 0; i < 500 && !f->in_flush; i++) {
		pthread_mutex_unlock(&f->mu);
		usleep(10000);
		pthread_mutex_lock(&f->mu);
	}
	ck_assert(f->in_flush);
	pthread_mutex_unlock(&f->mu);
}

static mlt_aq_rc push_n(mlt_aq *q, const char *prefix, int i)
{
	char id[16];

	snprintf(id, sizeof(id), "%s%d", prefix, i);
	return mlt_aq_push(q, "verdict", id, "milter", "{\"verdict\":\"accept\"}");
}

static void assert_in_order(const fake *f, int n)
{
	char id[16];

	ck_assert_uint_eq(f->ngot, (size_t)n);
	for (int i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "q%d", i);
		ck_assert_str_eq(f->got[i], id);
	}
}

START_TEST(test_full_queue_answers_full_until_flushed)
{
	fake f;
	mlt_aq *q;

	fake_init(&f);
	fake_gate(&f, true);
	q = mlt_aq_start(8, 0, 10, fake_flush, &f);
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(push_n(q, "q", 0), MLT_AQ_QUEUED);
	/* The flusher holds record 0 in a flush that has not ended: it
	 * still counts against the bound. */
	fake_wait_in_flush(&f);
	for (int i = 1; i < 8; i++)
		ck_assert_int_eq(push_n(q, "q", i), MLT_AQ_QUEUED);
	ck_assert_uint_eq(mlt_aq_pending(q), 8);
	ck_assert_int_eq(push_n(q, "x", 8), MLT_AQ_FULL);
	ck_assert_int_eq(push_n(q, "x", 9), MLT_AQ_FULL);
	ck_assert_uint_eq(mlt_aq_pending(q), 8);
	fake_gate(&f, false);
	ck_assert_int_eq(mlt_aq_drain(q, 10000), 0);
	ck_assert_uint_eq(mlt_aq_pending(q), 0);
	/* Room again; the refused records were never queued. */
	ck_assert_int_eq(push_n(q, "q", 8), MLT_AQ_QUEUED);
	ck_assert_uint_eq(mlt_aq_stop(q, 10000), 0);
	assert_in_order(&f, 9);
	mlt_aq_free(q);
	fake_free(&f);
}
END_TEST

START_TEST(test_failed_flush_keeps_records_in_order_and_retries)
{
	fake f;
	mlt_aq *q;

	fake_init(&f);
	f.fail_first = 3;
	fake_gate(&f, true);
	q = mlt_aq_start(64, 1, 5, fake_flush, &f);
	ck_assert_ptr_nonnull(q);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(push_n(q, "q", i), MLT_AQ_QUEUED);
	fake_wait_in_flush(&f);
	fake_gate(&f, false);
	ck_assert_int_eq(mlt_aq_drain(q, 10000), 0);
	ck_assert_uint_ge(mlt_aq_failures(q), 3);
	/* Each record once, in push order, though three flushes failed. */
	assert_in_order(&f, 20);
	ck_assert_uint_eq(mlt_aq_stop(q, 1000), 0);
	mlt_aq_free(q);
	fake_free(&f);
}
END_TEST

START_TEST(test_drain_times_out_while_the_store_fails_and_keeps_them)
{
	fake f;
	mlt_aq *q;

	fake_init(&f);
	f.fail_always = true;
	fake_gate(&f, true);
	q = mlt_aq_start(16, 1, 5, fake_flush, &f);
	ck_assert_ptr_nonnull(q);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(push_n(q, "q", i), MLT_AQ_QUEUED);
	fake_wait_in_flush(&f);
	fake_gate(&f, false);
	ck_assert_int_eq(mlt_aq_drain(q, 100), -1);
	ck_assert_uint_eq(mlt_aq_pending(q), 5);
	/* Known to fail: a new record is the caller's to write (and its
	 * mail to tempfail); the queue does not grow. */
	ck_assert_int_eq(push_n(q, "x", 5), MLT_AQ_FAILING);
	ck_assert_uint_eq(mlt_aq_pending(q), 5);
	/* The store comes back: the same records, in order. */
	pthread_mutex_lock(&f.mu);
	f.fail_always = false;
	f.fail_first = 0;
	pthread_mutex_unlock(&f.mu);
	ck_assert_int_eq(mlt_aq_drain(q, 10000), 0);
	assert_in_order(&f, 5);
	ck_assert_int_eq(push_n(q, "q", 5), MLT_AQ_QUEUED);
	/* Flushed first: a flush that succeeds clears the mark (the store
	 * works), and one still running would race with the mark below. */
	ck_assert_int_eq(mlt_aq_drain(q, 10000), 0);
	/* The caller's own failed write marks it failing, a good one not. */
	mlt_aq_set_failing(q, true);
	ck_assert_int_eq(push_n(q, "x", 6), MLT_AQ_FAILING);
	mlt_aq_set_failing(q, false);
	ck_assert_int_eq(push_n(q, "q", 6), MLT_AQ_QUEUED);
	ck_assert_uint_eq(mlt_aq_stop(q, 1000), 0);
	assert_in_order(&f, 7);
	mlt_aq_free(q);
	fake_free(&f);
}
END_TEST

START_TEST(test_stop_drains_everything_then_refuses)
{
	fake f;
	mlt_aq *q;

	fake_init(&f);
	/* A long window: without the stop the records would still wait. */
	q = mlt_aq_start(256, 1000, 5, fake_flush, &f);
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(push_n(q, "q", 0), MLT_AQ_QUEUED);
	ck_assert_int_eq(mlt_aq_drain(q, 10000), 0);
	for (int i = 1; i < 100; i++)
		ck_assert_int_eq(push_n(q, "q", i), MLT_AQ_QUEUED);
	ck_assert_uint_eq(mlt_aq_stop(q, 10000), 0);
	assert_in_order(&f, 100);
	/* Stopped: the caller writes the record itself. */
	ck_assert_int_eq(push_n(q, "q", 100), MLT_AQ_STOPPED);
	mlt_aq_free(q);
	fake_free(&f);
}
END_TEST

START_TEST(test_stop_with_a_failing_store_says_how_many_are_left)
{
	fake f;
	mlt_aq *q;

	fake_init(&f);
	f.fail_always = true;
	fake_gate(&f, true);
	q = mlt_aq_start(16, 1, 20, fake_flush, &f);
	ck_assert_ptr_nonnull(q);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(push_n(q, "q", i), MLT_AQ_QUEUED);
	fake_wait_in_flush(&f);
	fake_gate(&f, false);
	ck_assert_uint_eq(mlt_aq_stop(q, 200), 3);
	ck_assert_uint_ge(f.calls, 2);		/* retried before giving up */
	mlt_aq_free(q);				/* frees the three */
	fake_free(&f);
}
END_TEST

START_TEST(test_records_of_a_window_share_one_flush)
{
	fake f;
	mlt_aq *q;

	fake_init(&f);
	fake_gate(&f, true);
	q = mlt_aq_start(256, 200, 5, fake_flush, &f);
	ck_assert_ptr_nonnull(q);
	/* The first flush starts at once; the 99 pushed while it and its
	 * window run go together in the next one. */
	ck_assert_int_eq(push_n(q, "q", 0), MLT_AQ_QUEUED);
	fake_wait_in_flush(&f);
	for (int i = 1; i < 100; i++)
		ck_assert_int_eq(push_n(q, "q", i), MLT_AQ_QUEUED);
	fake_gate(&f, false);
	ck_assert_int_eq(mlt_aq_drain(q, 10000), 0);
	ck_assert_uint_eq(f.ok_calls, 2);
	assert_in_order(&f, 100);
	ck_assert_uint_eq(mlt_aq_stop(q, 1000), 0);
	mlt_aq_free(q);
	fake_free(&f);
}
END_TEST

/* --- with the real store --- */

static char tmpdir[64], dbpath[128];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sg_auditq_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/sendguard.db", tmpdir);
}

static void teardown(void)
{
	char p[160];
	const char *sfx[] = { "", "-wal", "-shm", "-journal" };

	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", dbpath, sfx[i]);
		unlink(p);
	}
	rmdir(tmpdir);
}

static st_store *store_new(void)
{
	sg_buf err;
	st_store *st;

	sg_buf_init(&err, 4096);
	st = st_create(dbpath, &err);
	ck_assert_msg(st != NULL, "st_create: %s", sg_buf_cstr(&err));
	sg_buf_free(&err);
	return st;
}

static void assert_verifies(st_store *st, size_t want)
{
	size_t n = 0, bad = 0;
	sg_buf err;

	sg_buf_init(&err, 4096);
	ck_assert_msg(st_audit_verify(st, &n, &bad, &err) == ST_OK, "verify: %s",
		      sg_buf_cstr(&err));
	ck_assert_uint_eq(n, want);
	ck_assert_uint_eq(bad, 0);
	sg_buf_free(&err);
}

static int list_ids(const st_audit_rec *r, void *ctx)
{
	sg_buf *out = ctx;

	sg_buf_printf(out, "%s,", r->queue_id ? r->queue_id : "-");
	return 0;
}

START_TEST(test_batch_chains_with_single_appends_and_verifies)
{
	st_store *st = store_new();
	st_audit_new v[3] = {
		{ "verdict", NULL, "A", "milter", NULL, "{\"verdict\":\"accept\"}" },
		{ "verdict", NULL, "B", "milter", NULL, NULL },
		{ "verdict", NULL, "C", "milter", "someone", "{}" },
	};
	st_audit_new bad[2] = {
		{ "verdict", NULL, "D", "milter", NULL, NULL },
		{ "", NULL, "E", "milter", NULL, NULL },
	};
	sg_buf err, ids;

	sg_buf_init(&err, 4096);
	sg_buf_init(&ids, SG_BUF_UNLIMITED);
	ck_assert_int_eq(st_audit_append(st, "verdict", NULL, "0", "milter", NULL,
					 NULL, &err), ST_OK);
	ck_assert_int_eq(st_audit_append_batch(st, v, 3, &err), ST_OK);
	ck_assert_int_eq(st_audit_append(st, "verdict", NULL, "Z", "milter", NULL,
					 NULL, &err), ST_OK);
	/* All or nothing: a bad record keeps its good neighbour out. */
	ck_assert_int_eq(st_audit_append_batch(st, bad, 2, &err), ST_INVALID);
	ck_assert_int_eq(st_audit_append_batch(st, v, 0, &err), ST_OK);
	assert_verifies(st, 5);
	ck_assert_int_eq(st_audit_list(st, NULL, 0, list_ids, &ids, &err), ST_OK);
	ck_assert_str_eq(sg_buf_cstr(&ids), "0,A,B,C,Z,");
	sg_buf_free(&ids);
	sg_buf_free(&err);
	st_close(st);
}
END_TEST

static int store_flush(void *arg, const mlt_aq_rec *recs, size_t n)
{
	st_audit_new v[MLT_AQ_MAX_BATCH];
	st_rc rc;

	ck_assert_uint_le(n, MLT_AQ_MAX_BATCH);
	for (size_t i = 0; i < n; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].event = recs[i].event;
		v[i].queue_id = recs[i].queue_id;
		v[i].actor = recs[i].actor;
		v[i].detail_json = recs[i].detail;
	}
	rc = st_audit_append_batch(arg, v, n, NULL);
	return rc == ST_OK ? 0 : -1;
}

/* Pushers on several threads, holds written synchronously between
 * them: the chain is whole and holds every record once. */
static void *pusher(void *arg)
{
	mlt_aq *q = arg;

	for (int i = 0; i < 50; i++) {
		char id[32];

		snprintf(id, sizeof(id), "t%p-%d", (void *)pthread_self(), i);
		while (mlt_aq_push(q, "verdict", id, "milter", "{}") == MLT_AQ_FULL)
			usleep(1000);
	}
	return NULL;
}

START_TEST(test_queue_into_the_store_verifies)
{
	st_store *st = store_new();
	mlt_aq *q = mlt_aq_start(64, 2, 10, store_flush, st);
	pthread_t t[4];
	sg_buf err;

	sg_buf_init(&err, 4096);
	ck_assert_ptr_nonnull(q);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, pusher, q), 0);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(st_audit_append(st, "hold-created", "h1", NULL,
						 "milter", NULL, NULL, &err), ST_OK);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_eq(mlt_aq_stop(q, 10000), 0);
	mlt_aq_free(q);
	assert_verifies(st, 210);
	sg_buf_free(&err);
	st_close(st);
}
END_TEST

static Suite *auditq_suite(void)
{
	Suite *s = suite_create("auditq");
	TCase *tc = tcase_create("queue");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_full_queue_answers_full_until_flushed);
	tcase_add_test(tc, test_failed_flush_keeps_records_in_order_and_retries);
	tcase_add_test(tc, test_drain_times_out_while_the_store_fails_and_keeps_them);
	tcase_add_test(tc, test_stop_drains_everything_then_refuses);
	tcase_add_test(tc, test_stop_with_a_failing_store_says_how_many_are_left);
	tcase_add_test(tc, test_records_of_a_window_share_one_flush);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_batch_chains_with_single_appends_and_verifies);
	tcase_add_test(tc, test_queue_into_the_store_verifies);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(auditq_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
