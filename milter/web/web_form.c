/*
 * NAME
 *	web_form - fields of an application/x-www-form-urlencoded body
 * SYNOPSIS
 *	#include "web/web.h"
 * DESCRIPTION
 *	The page's forms have four fields (t, csrf, action, comment), so a
 *	small strict reader does: a field given twice, a bad %XX escape or
 *	an encoded NUL makes the whole form malformed rather than letting
 *	the first or the last value win (a second "action" smuggled into a
 *	form must not turn a reject into an approve). Values are bounded
 *	by the caller's buffer maximum.
 * DIAGNOSTICS
 *	web_form_get() returns 1, 0 (absent) or -1 (malformed).
 */
#include "web/web.h"

#include <string.h>

static int web_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..n) into out; -1 on a bad escape, a NUL or overflow. */
static int web_form_decode(const char *s, size_t n, sg_buf *out)
{
	int hi, lo, c;

	for (size_t i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= n || (hi = web_hexval(s[i + 1])) < 0 ||
			    (lo = web_hexval(s[i + 2])) < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0 || sg_buf_putc(out, c) < 0)
			return -1;
	}
	return 0;
}

int web_form_get(const char *body, size_t len, const char *name, sg_buf *out)
{
	size_t nlen = strlen(name), flen;
	const char *p = body, *end = body + len, *amp, *eq;
	int found = 0;

	sg_buf_reset(out);
	while (body && p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		flen = amp ? (size_t)(amp - p) : (size_t)(end - p);
		eq = memchr(p, '=', flen);
		if (eq && (size_t)(eq - p) == nlen && memcmp(p, name, nlen) == 0) {
			if (found++ || web_form_decode(eq + 1, flen - nlen - 1, out) < 0)
				return -1;
		}
		p += flen + 1;
	}
	return found;
}
