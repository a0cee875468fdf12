/*
 * NAME
 *	sg_test - small helpers shared by the Check unit tests
 * DESCRIPTION
 *	Temporary configuration files, and an engine built from the
 *	tree's own rules/ ($SG_SRCDIR, set by the Makefile).
 */
#ifndef SG_TEST_H
#define SG_TEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/sg_buf.h"
#include "util/sg_conf.h"

static inline const char *sg_test_srcdir(void)
{
	const char *d = getenv("SG_SRCDIR");
	return d && *d ? d : ".";
}

/* Writes text to a new temporary file; returns its malloc'd path. */
static inline char *sg_test_write(const char *text)
{
	char *path = strdup("/tmp/sg_test_XXXXXX");
	int fd = mkstemp(path);
	FILE *fp;

	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* The bytes of $SG_SRCDIR/dir/name (malloc'd, NUL and 63 spare bytes
 * after them: some readers look a little past the end of what they
 * are given); a missing file fails the test, naming it. */
static inline char *sg_test_slurp(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	FILE *fp;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s/%s", sg_test_srcdir(), dir, name);
	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "%s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	ck_assert_int_ge(n, 0);
	buf = calloc(1, (size_t)n + 64);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* A configuration: `body` plus [rules] dir pointing at the tree. */
static inline char *sg_test_conf_text(const char *body)
{
	size_t n = strlen(body) + strlen(sg_test_srcdir()) + 64;
	char *text = malloc(n);

	snprintf(text, n, "%s\n[rules]\ndir = %s/rules\n", body, sg_test_srcdir());
	return text;
}

#endif
