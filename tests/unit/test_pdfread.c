/*
 * The engine's PDF reader contract (eng.h, eng_engine_set_pdf_reader):
 * the engine reads no PDF itself, its caller gives it a reader. Here
 * readers in this process answer as a broken or hostile one would
 * (pages out of order, more text than asked for, pages past the limit,
 * every way a reading can end), and the engine must turn each into the
 * finding POLICY.md asks for, never an accept of what was not read.
 * The last tests run the real reader, milter/pdfpool with the test
 * build's sendguard-pdftext, through the same interface.
 */
#include "sg_test_eng.h"
#include "engine/eng.h"
#include "pdfpool/pdp.h"

#include <stdio.h>
#include <string.h>

#define CONF "[policy]\ninternal_domains = example.lg.jp\n[limits]\nmax_pdf_pages = 5\n"

static eng_result res;

/* What the fake reader does: its pages, then how it ends. */
typedef struct fake_page {
	unsigned page;
	const char *text;
} fake_page;

typedef struct fake_reader {
	const fake_page *pages;
	size_t npages;
	size_t pad;		/* this many more bytes of 'a' after page 1 */
	eng_pdf_end end;
	unsigned doc_pages;
	const char *detail;
	unsigned calls;
	int refused;		/* page() returned -1 this many times */
	eng_pdf_limits seen;	/* what the engine asked for */
} fake_reader;

static void fake_read(void *arg, const unsigned char *pdf, size_t len,
		      const eng_pdf_limits *lim, const struct timespec *until,
		      eng_pdf_page_fn page, void *page_arg, eng_pdf_outcome *out)
{
	fake_reader *f = arg;

	(void)until;
	ck_assert(len > 4 && memcmp(pdf, "%PDF", 4) == 0);
	f->calls++;
	f->seen = *lim;
	for (size_t i = 0; i < f->npages; i++) {
		const fake_page *p = &f->pages[i];
		size_t n = strlen(p->text) + (i == 0 ? f->pad : 0);
		char *t = malloc(n + 1);

		memset(t, 'a', n);
		memcpy(t, p->text, strlen(p->text));
		t[n] = '\0';
		if (page(page_arg, p->page, t, n, false) < 0) {
			f->refused++;
			free(t);
			break;
		}
		free(t);
	}
	out->end = f->end;
	out->npages = f->doc_pages;
	snprintf(out->detail, sizeof(out->detail), "%s", f->detail ? f->detail : "");
}

static char *slurp_pdf_mail(const char *name, size_t *len)
{
	return sg_test_slurp("tests/fixtures/pdf", name, len);
}

/* Scans a PDF fixture mail with the reader given (NULL: none). */
static void scan_with(eng_pdf_read_fn fn, void *reader, const char *fixture)
{
	eng_envelope env = { "tanaka@example.lg.jp", NULL, 0, NULL, NULL };
	char *text = sg_test_conf_join(CONF, NULL);
	char *path = sg_test_write(text);
	sg_buf err;
	sg_conf *conf;
	eng_engine *eng;
	size_t len;
	char *msg = slurp_pdf_mail(fixture, &len);

	sg_buf_init(&err, 8192);
	conf = sg_conf_load(path, &err);
	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	eng = eng_engine_new(conf, &err);
	ck_assert_msg(eng != NULL, "%s", sg_buf_cstr(&err));
	eng_engine_set_pdf_reader(eng, fn, reader);
	eng_result_free(&res);
	ck_assert_int_eq(eng_scan(eng, &env, msg, len, &res), 0);
	eng_engine_free(eng);
	sg_conf_free(conf);
	sg_buf_free(&err);
	unlink(path);
	free(path);
	free(text);
	free(msg);
}

static const eng_finding *find(eng_category cat, const char *rule)
{
	for (size_t i = 0; i < res.nfindings; i++)
		if (res.findings[i].cat == cat && strcmp(res.findings[i].rule, rule) == 0)
			return &res.findings[i];
	return NULL;
}

static size_t nlimits(void)
{
	size_t n = 0;

	for (size_t i = 0; i < res.nfindings; i++)
		n += res.findings[i].cat == ENG_CAT_SCANLIMIT;
	return n;
}

/* The fixture whose PDF says nothing (lo_clean.eml): whatever the
 * findings say came from the reader. */
#define CLEAN "lo_clean.eml"

START_TEST(test_pages_read_are_detected_and_a_marking_names_its_page)
{
	fake_page pg[] = { { 1, "議事次第\n" }, { 2, "【機密性3】\n検討会資料\n" } };
	fake_reader f = { pg, 2, 0, ENG_PDF_READ_ALL, 2, NULL, 0, 0, { 0 } };
	const eng_finding *m;

	scan_with(fake_read, &f, CLEAN);
	ck_assert_uint_eq(f.calls, 1);
	/* the engine asks with its own limits */
	ck_assert_uint_eq(f.seen.max_pages, 5);
	ck_assert(f.seen.max_text > 0 && f.seen.max_memory > 0 && f.seen.seconds > 0);
	m = find(ENG_CAT_CLASSIFIED, "class-3");
	ck_assert_msg(m != NULL, "the marking on page 2 was not found");
	ck_assert_msg(strstr(m->where, "#page=2") != NULL, "where: %s", m->where);
	ck_assert_int_eq(res.verdict, ENG_ACT_REJECT);
	ck_assert_uint_eq(nlimits(), 0);
}
END_TEST

START_TEST(test_pages_out_of_order_end_the_reading_as_a_crash)
{
	fake_page pg[] = { { 2, "二ページ目\n" }, { 1, "【機密性3】\n" } };
	fake_reader f = { pg, 2, 0, ENG_PDF_READ_ALL, 2, NULL, 0, 0, { 0 } };
	const eng_finding *c;

	scan_with(fake_read, &f, CLEAN);
	ck_assert_int_eq(f.refused, 1);
	c = find(ENG_CAT_SCANLIMIT, "pdf-crash");
	ck_assert_msg(c != NULL, "a reader that broke the order was trusted");
	ck_assert_int_ne(res.verdict, ENG_ACT_ACCEPT);
}
END_TEST

START_TEST(test_a_page_past_the_limit_or_the_text_budget_is_refused)
{
	fake_page past[] = { { 6, "六ページ目\n" } };	/* max_pdf_pages = 5 */
	fake_reader f = { past, 1, 0, ENG_PDF_READ_ALL, 6, NULL, 0, 0, { 0 } };
	fake_page big[] = { { 1, "x" } };
	fake_reader g = { big, 1, 0, ENG_PDF_READ_ALL, 1, NULL, 0, 0, { 0 } };

	scan_with(fake_read, &f, CLEAN);
	ck_assert_int_eq(f.refused, 1);
	ck_assert(find(ENG_CAT_SCANLIMIT, "pdf-crash") != NULL);
	/* one byte more than the engine asked for */
	scan_with(fake_read, &g, CLEAN);	/* learn the budget */
	g.pad = g.seen.max_text;
	g.refused = 0;
	scan_with(fake_read, &g, CLEAN);
	ck_assert_int_eq(g.refused, 1);
	ck_assert(find(ENG_CAT_SCANLIMIT, "pdf-crash") != NULL);
}
END_TEST

START_TEST(test_every_end_of_a_reading_but_all_is_a_scan_limit)
{
	static const struct {
		eng_pdf_end end;
		const char *rule;
	} t[] = {
		{ ENG_PDF_READ_PAGES, "pdf-pages" },
		{ ENG_PDF_READ_TEXT, "pdf-text-size" },
		{ ENG_PDF_READ_UNREADABLE, "pdf-unreadable" },
		{ ENG_PDF_READ_PASSWORD, "pdf-unreadable" },
		{ ENG_PDF_READ_TIMEOUT, "pdf-timeout" },
		{ ENG_PDF_READ_CRASH, "pdf-crash" },
		{ ENG_PDF_READ_NONE, "pdf-extractor" },
	};
	fake_page pg[] = { { 1, "本文\n" } };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fake_reader f = { pg, 1, 0, t[i].end, 40, "what the reader said", 0, 0, { 0 } };
		const eng_finding *l;

		scan_with(fake_read, &f, CLEAN);
		l = find(ENG_CAT_SCANLIMIT, t[i].rule);
		ck_assert_msg(l != NULL, "end %d: no %s", (int)t[i].end, t[i].rule);
		ck_assert_int_ne(res.verdict, ENG_ACT_ACCEPT);
		if (t[i].end == ENG_PDF_READ_PAGES)
			ck_assert_str_eq(l->evidence, "1 of 40 pages read");
		else if (t[i].end != ENG_PDF_READ_TEXT)
			ck_assert_str_eq(l->evidence, "what the reader said");
	}
}
END_TEST

START_TEST(test_no_reader_is_a_scan_limit)
{
	scan_with(NULL, NULL, CLEAN);
	ck_assert(find(ENG_CAT_SCANLIMIT, "pdf-extractor") != NULL);
	ck_assert_int_ne(res.verdict, ENG_ACT_ACCEPT);
}
END_TEST

/* ---- the real reader: milter/pdfpool and sendguard-pdftext ---------------- */

static pdp_pool *real_pool(bool start_now)
{
	char worker[4096];
	sg_buf err;
	pdp_pool *pool;

	snprintf(worker, sizeof(worker), "%s/build/test/sendguard-pdftext", sg_test_srcdir());
	sg_buf_init(&err, 1024);
	pool = pdp_new(worker, 1, start_now, &err);
	ck_assert_msg(pool != NULL, "%s", sg_buf_cstr(&err));
	sg_buf_free(&err);
	return pool;
}

START_TEST(test_the_worker_pool_reads_a_pdf_through_the_interface)
{
	pdp_pool *pool = real_pool(false);
	const eng_finding *m;

	scan_with(pdp_read, pool, "lo_kimitsu3_ascii.eml");
	m = find(ENG_CAT_CLASSIFIED, "class-3");
	ck_assert_msg(m != NULL, "the pool read no marking");
	ck_assert_str_eq(m->where, "検討会資料.pdf#page=1");
	ck_assert_uint_eq(nlimits(), 0);
	/* the same pool, a second document: the worker is reused */
	scan_with(pdp_read, pool, CLEAN);
	ck_assert_uint_eq(nlimits(), 0);
	ck_assert(find(ENG_CAT_CLASSIFIED, "class-3") == NULL);
	pdp_free(pool);
}
END_TEST

START_TEST(test_a_worker_that_crashes_is_a_scan_limit_and_replaced)
{
	pdp_pool *pool;

	/* the worker's test hook (pdt_main.c): SG-FAULT-CRASH is a SIGSEGV */
	setenv("SG_FAULT", "pdf-marker", 1);
	pool = real_pool(true);

	scan_with(pdp_read, pool, "fault_crash.eml");
	ck_assert(find(ENG_CAT_SCANLIMIT, "pdf-crash") != NULL);
	ck_assert_str_eq(find(ENG_CAT_SCANLIMIT, "pdf-crash")->evidence,
			 "worker died of signal 11");
	scan_with(pdp_read, pool, "lo_kimitsu3_ascii.eml");
	ck_assert(find(ENG_CAT_CLASSIFIED, "class-3") != NULL);
	ck_assert_uint_eq(nlimits(), 0);
	pdp_free(pool);
	unsetenv("SG_FAULT");
}
END_TEST

START_TEST(test_a_missing_worker_program_is_refused_by_name)
{
	sg_buf err;

	sg_buf_init(&err, 1024);
	ck_assert_ptr_null(pdp_new("/nonexistent/sendguard-pdftext", 1, false, &err));
	ck_assert_msg(strstr(sg_buf_cstr(&err), "/nonexistent/sendguard-pdftext") != NULL,
		      "%s", sg_buf_cstr(&err));
	sg_buf_free(&err);
}
END_TEST

static Suite *pdfread_suite(void)
{
	Suite *s = suite_create("pdfread");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_pages_read_are_detected_and_a_marking_names_its_page);
	tcase_add_test(tc, test_pages_out_of_order_end_the_reading_as_a_crash);
	tcase_add_test(tc, test_a_page_past_the_limit_or_the_text_budget_is_refused);
	tcase_add_test(tc, test_every_end_of_a_reading_but_all_is_a_scan_limit);
	tcase_add_test(tc, test_no_reader_is_a_scan_limit);
	tcase_add_test(tc, test_the_worker_pool_reads_a_pdf_through_the_interface);
	tcase_add_test(tc, test_a_worker_that_crashes_is_a_scan_limit_and_replaced);
	tcase_add_test(tc, test_a_missing_worker_program_is_refused_by_name);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int failed;
	SRunner *sr = srunner_create(pdfread_suite());

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	eng_result_free(&res);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
