/*
 * NAME
 *	sg_buf - bounded, growable byte buffer (see sg_buf.h)
 */
#include "util/sg_buf.h"
#include "util/sg_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sg_buf_init(sg_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->toobig = false;
}

static int sg_buf_reserve(sg_buf *b, size_t n)
{
	size_t need, ncap;

	if (n > b->max - b->len) {
		b->toobig = true;
		return -1;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SG_BUF_UNLIMITED ? need : ncap * 2;
	b->data = sg_xrealloc(b->data, ncap);
	b->cap = ncap;
	return 0;
}

int sg_buf_append(sg_buf *b, const void *p, size_t n)
{
	if (sg_buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int sg_buf_puts(sg_buf *b, const char *s)
{
	return sg_buf_append(b, s, strlen(s));
}

int sg_buf_putc(sg_buf *b, int c)
{
	char ch = (char)c;

	return sg_buf_append(b, &ch, 1);
}

int sg_buf_vprintf(sg_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -1;
	if (sg_buf_reserve(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int sg_buf_printf(sg_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sg_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int sg_buf_append_cut(sg_buf *b, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t room;

	if (sg_buf_append(b, p, n) == 0)
		return 0;
	room = b->max > b->len ? b->max - b->len : 0;
	if (room < n) {
		while (room > 0 && (c[room] & 0xC0) == 0x80)
			room--;
		if (room > 0)
			(void)sg_buf_append(b, p, room);
	}
	b->toobig = true;
	return -1;
}

size_t sg_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

int sg_buf_put_utf8(sg_buf *b, unsigned long cp)
{
	unsigned char u[4];
	size_t n;

	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return sg_buf_append(b, u, n);
}

const char *sg_buf_cstr(const sg_buf *b)
{
	return b->data ? b->data : "";
}

void sg_buf_reset(sg_buf *b)
{
	b->len = 0;
	b->toobig = false;
	if (b->data)
		b->data[0] = '\0';
}

void sg_buf_truncate(sg_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

char *sg_buf_steal(sg_buf *b)
{
	char *p = b->data ? b->data : sg_xstrdup("");

	sg_buf_init(b, b->max);
	return p;
}

void sg_buf_free(sg_buf *b)
{
	free(b->data);
	sg_buf_init(b, b->max);
}
