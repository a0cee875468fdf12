/*
 * tests/unit/test_log.c - sg_log: stderr in the foreground, not when
 * stderr is the systemd journal; one whole line a write, also when
 * threads log at once; long lines cut with "...".
 */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "util/sg_log.h"

static char sg_err_path[] = "/tmp/sg_test_log_XXXXXX";

/* stderr to a new empty file (Check runs each test in its own fork). */
static void stderr_to_file(void)
{
	int fd = mkstemp(sg_err_path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	close(fd);
	unsetenv("JOURNAL_STREAM");
}

static void journal_is(int fd)
{
	struct stat st;
	char v[64];

	ck_assert_int_eq(fstat(fd, &st), 0);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
}

/* What stderr's file holds (malloc'd), its length in *n. */
static char *stderr_text(size_t *n)
{
	FILE *f = fopen(sg_err_path, "rb");
	char *buf = calloc(1, 1 << 20);

	ck_assert_ptr_nonnull(f);
	*n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	unlink(sg_err_path);
	return buf;
}

static void say(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sg_log_v(prio, fmt, ap);
	va_end(ap);
}

START_TEST(test_journal_is_recognised_by_device_and_inode)
{
	int other = open("/", O_RDONLY);

	stderr_to_file();
	ck_assert(!sg_log_stderr_is_journal());
	journal_is(STDERR_FILENO);
	ck_assert(sg_log_stderr_is_journal());
	journal_is(other);
	ck_assert(!sg_log_stderr_is_journal());
	setenv("JOURNAL_STREAM", "not-numbers", 1);
	ck_assert(!sg_log_stderr_is_journal());
	close(other);
	unlink(sg_err_path);
}
END_TEST

START_TEST(test_foreground_line_goes_to_stderr_whole)
{
	size_t n;
	char *t;

	stderr_to_file();
	sg_log_open("sg-test", "sendguard-test", true);
	say(LOG_INFO, "queue_id=%s verdict=%s rcpts=%d", "4Xb2", "accept", 3);
	t = stderr_text(&n);
	ck_assert_str_eq(t, "sendguard-test: queue_id=4Xb2 verdict=accept rcpts=3\n");
	free(t);
}
END_TEST

START_TEST(test_no_stderr_copy_when_stderr_is_the_journal)
{
	size_t n;
	char *t;

	stderr_to_file();
	journal_is(STDERR_FILENO);
	sg_log_open("sg-test", "sendguard-test", true);
	say(LOG_INFO, "queue_id=%s verdict=%s", "4Xb2", "accept");
	t = stderr_text(&n);
	ck_assert_uint_eq(n, 0);
	free(t);
}
END_TEST

START_TEST(test_no_stderr_copy_in_the_background)
{
	size_t n;
	char *t;

	stderr_to_file();
	sg_log_open("sg-test", "sendguard-test", false);
	say(LOG_INFO, "queue_id=%s", "4Xb2");
	t = stderr_text(&n);
	ck_assert_uint_eq(n, 0);
	free(t);
}
END_TEST

START_TEST(test_long_line_is_cut_with_dots)
{
	char *big = malloc(5001), *t;
	size_t n;

	memset(big, 'x', 5000);
	big[5000] = '\0';
	stderr_to_file();
	sg_log_open("sg-test", "sendguard-test", true);
	say(LOG_INFO, "detail=%s", big);
	t = stderr_text(&n);
	ck_assert_uint_eq(n, 2047);
	ck_assert(strncmp(t, "sendguard-test: detail=xxx", 26) == 0);
	ck_assert_str_eq(t + n - 5, "x...\n");
	ck_assert_ptr_null(memchr(t, '\n', n - 1));
	free(t);
	free(big);
}
END_TEST

static void *logger(void *arg)
{
	for (int i = 0; i < 300; i++)
		say(LOG_INFO, "thread=%ld line=%d %s", (long)(size_t)arg, i,
		    "queue_id=4Xb2Lk0c7Kz9 verdict=accept categories= rcpts=1");
	return NULL;
}

START_TEST(test_threads_logging_at_once_never_interleave)
{
	pthread_t t[4];
	size_t n, lines = 0;
	char *text, *p, *nl;

	stderr_to_file();
	/* appending, as a unit's or a shell's redirection does */
	ck_assert_int_ge(fcntl(STDERR_FILENO, F_SETFL, O_APPEND), 0);
	sg_log_open("sg-test", "sendguard-test", true);
	for (long i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, logger, (void *)(size_t)i), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	text = stderr_text(&n);
	for (p = text; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		long th;
		int ln, used = 0;

		*nl = '\0';
		ck_assert_msg(sscanf(p, "sendguard-test: thread=%ld line=%d %n", &th, &ln, &used) == 2 &&
			      used > 0 && strcmp(p + used, "queue_id=4Xb2Lk0c7Kz9 verdict=accept categories= rcpts=1") == 0,
			      "a line mixed with another: %s", p);
		lines++;
	}
	ck_assert_uint_eq(lines, 1200);
	free(text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_journal_is_recognised_by_device_and_inode);
	tcase_add_test(tc, test_foreground_line_goes_to_stderr_whole);
	tcase_add_test(tc, test_no_stderr_copy_when_stderr_is_the_journal);
	tcase_add_test(tc, test_no_stderr_copy_in_the_background);
	tcase_add_test(tc, test_long_line_is_cut_with_dots);
	tcase_add_test(tc, test_threads_logging_at_once_never_interleave);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
