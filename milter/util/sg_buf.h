/*
 * NAME
 *	sg_buf - bounded, growable byte buffer
 * SYNOPSIS
 *	#include "util/sg_buf.h"
 * DESCRIPTION
 *	Every string that sendguard builds from input grows through this one
 *	type. A buffer carries its own hard maximum (like curl's dynbuf
 *	"toobig"): an append that would pass it appends nothing, sets
 *	`toobig` and returns -1, so an oversized input becomes a result the
 *	caller reports (a scan-limit finding), never unbounded memory.
 *	The data is always NUL-terminated (the NUL is not counted in len).
 * DIAGNOSTICS
 *	Allocation failure is fatal (sg_xmalloc): these functions either
 *	succeed, return -1 for the limit, or do not return.
 */
#ifndef SG_BUF_H
#define SG_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct sg_buf {
	char *data;	/* NUL-terminated; NULL until the first append */
	size_t len;	/* bytes in use, without the NUL */
	size_t cap;	/* bytes allocated */
	size_t max;	/* hard maximum of len */
	bool toobig;	/* an append was refused for the maximum */
} sg_buf;

#define SG_BUF_UNLIMITED ((size_t)-1 / 4)

void sg_buf_init(sg_buf *b, size_t max);
int sg_buf_append(sg_buf *b, const void *p, size_t n);
int sg_buf_puts(sg_buf *b, const char *s);
int sg_buf_putc(sg_buf *b, int c);
int sg_buf_printf(sg_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int sg_buf_vprintf(sg_buf *b, const char *fmt, va_list ap);
/* Like sg_buf_append, but when the maximum refuses the whole run the
 * longest prefix that ends on a UTF-8 character boundary goes in (and
 * -1 says it was cut): text outputs promise "what fitted was appended". */
int sg_buf_append_cut(sg_buf *b, const void *p, size_t n);
/* Length of the valid UTF-8 sequence at s (at most n bytes); 0 when it
 * is invalid (overlong, surrogate, beyond U+10FFFF, cut short). */
size_t sg_utf8_len(const unsigned char *s, size_t n);
/* Appends the UTF-8 encoding of code point cp (U+FFFD if invalid). */
int sg_buf_put_utf8(sg_buf *b, unsigned long cp);
const char *sg_buf_cstr(const sg_buf *b);	/* "" when empty */
void sg_buf_reset(sg_buf *b);			/* len = 0, keeps memory */
void sg_buf_truncate(sg_buf *b, size_t len);
char *sg_buf_steal(sg_buf *b);			/* caller frees; b reset */
void sg_buf_free(sg_buf *b);

#endif
