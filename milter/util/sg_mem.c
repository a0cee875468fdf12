/*
 * NAME
 *	sg_mem - allocation that either succeeds or does not return
 */
#include "util/sg_mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sg_mem_fatal(size_t n)
{
	fprintf(stderr, "sendguard: fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

void *sg_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		sg_mem_fatal(n);
	return p;
}

void *sg_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		sg_mem_fatal(n * size);
	return p;
}

void *sg_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		sg_mem_fatal(n);
	return q;
}

void *sg_xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		sg_mem_fatal(SIZE_MAX);
	return sg_xrealloc(p, n * size);
}

char *sg_xstrdup(const char *s)
{
	return sg_xmemdup(s, strlen(s) + 1);
}

char *sg_xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = sg_xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void *sg_xmemdup(const void *p, size_t n)
{
	void *q = sg_xmalloc(n);

	if (n)
		memcpy(q, p, n);
	return q;
}
