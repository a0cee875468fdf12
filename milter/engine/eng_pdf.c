/*
 * NAME
 *	eng_pdf - does a PDF need a password to open?
 * DESCRIPTION
 *	See eng_pdf.h. qpdf reads the trailer chain and the encryption
 *	dictionary when it opens the file, and checks the password then;
 *	objects are loaded lazily, so this costs little even for a big PDF.
 */
#include "engine/eng_pdf.h"
#include "engine/eng_pages.h"

#include <qpdf/qpdf-c.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* The dictionary of a stream is read back to its "obj" at most this far
 * (longer ones are read from their last this many bytes: enough for
 * /Type and /Filter of any real one; a padded one is judged by its end,
 * where a hidden /Type would be missed, so such a stream counts as
 * special when a /Filter other than /FlateDecode is anywhere in it). */
#define PDF_DICT_MAX 4096
#define PDF_CHUNK 65536

static bool pdf_delim(unsigned char c)
{
	return c == 0 || strchr(" \t\r\n\f/<>[]()%{}", c) != NULL;
}

static int pdf_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A dictionary's bytes with the #hh escapes of names undone (a name
 * /X#52ef is /XRef to qpdf); at most PDF_DICT_MAX bytes out. */
static size_t pdf_unescape(const unsigned char *d, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o < PDF_DICT_MAX; i++) {
		int h, l;

		if (d[i] == '#' && i + 2 < n && (h = pdf_hex(d[i + 1])) >= 0 &&
		    (l = pdf_hex(d[i + 2])) >= 0) {
			out[o++] = (char)(h << 4 | l);
			i += 2;
		} else {
			out[o++] = d[i] ? (char)d[i] : ' ';
		}
	}
	out[o] = '\0';
	return o;
}

/* Whether name (with its '/') appears as a whole name in dict. */
static bool pdf_has_name(const char *dict, size_t n, const char *name)
{
	size_t k = strlen(name);

	for (const char *p = dict; (p = memmem(p, n - (size_t)(p - dict), name, k)) != NULL; p++)
		if ((size_t)(p - dict) + k >= n || pdf_delim((unsigned char)p[k]))
			return true;
	return false;
}

/* A name at p (after its '/'): its length. */
static size_t pdf_name_len(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && !pdf_delim((unsigned char)*q))
		q++;
	return (size_t)(q - p);
}

static bool pdf_is_flate(const char *p, size_t k)
{
	return (k == 11 && memcmp(p, "FlateDecode", 11) == 0) ||
	       (k == 2 && memcmp(p, "Fl", 2) == 0);
}

/* The dictionary has no /Filter, or exactly one: /FlateDecode, alone
 * or as the one name of an array. Anything else (another filter, a
 * chain, an indirect reference) is not counted, and not ok. */
static bool pdf_flate_only(const char *dict, size_t n)
{
	const char *end = dict + n, *p = dict;
	size_t k;

	for (;;) {
		p = memmem(p, (size_t)(end - p), "/Filter", 7);
		if (p == NULL)
			return true;
		p += 7;
		if (p >= end || pdf_delim((unsigned char)*p))
			break;
	}
	while (p < end && strchr(" \t\r\n\f", *p))
		p++;
	if (p < end && *p == '[') {
		p++;
		while (p < end && strchr(" \t\r\n\f", *p))
			p++;
		if (p >= end || *p != '/')
			return false;
		k = pdf_name_len(p + 1, end);
		if (!pdf_is_flate(p + 1, k))
			return false;
		p += 1 + k;
		while (p < end && strchr(" \t\r\n\f", *p))
			p++;
		return p < end && *p == ']';
	}
	if (p >= end || *p != '/')
		return false;
	k = pdf_name_len(p + 1, end);
	return pdf_is_flate(p + 1, k);
}

/* Bytes a zlib stream at d inflates to, counting (never keeping) the
 * output, stopping past cap: cap + 1 then. */
static unsigned long long pdf_inflated(const unsigned char *d, size_t n,
				       unsigned long long cap)
{
	unsigned char out[PDF_CHUNK];
	unsigned long long total = 0;
	z_stream z;
	int rc = Z_OK;

	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return 0;
	z.next_in = (unsigned char *)(uintptr_t)d;
	/* uInt: a PDF over 4 GiB is no mail attachment */
	z.avail_in = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
	/* Each round makes output or ends: inflate returns Z_BUF_ERROR
	 * when it can make no progress. */
	while (rc == Z_OK && total <= cap) {
		z.next_out = out;
		z.avail_out = sizeof(out);
		rc = inflate(&z, Z_NO_FLUSH);
		total += sizeof(out) - z.avail_out;
		if (rc == Z_OK && z.avail_out == sizeof(out))
			break;
	}
	inflateEnd(&z);
	return total > cap ? cap + 1 : total;
}

/* Where the keyword kw (whole word) is next, from d + at; n when none.
 * The search reads through win: a 10 MB PDF that is a mapped file is
 * searched through the file, not mapped in (eng_pages.h; issue 21), and
 * a search that goes on from its last match uses the same window. */
static size_t pdf_find(eng_pages_win *win, const unsigned char *d, size_t n,
		       size_t at, const char *kw)
{
	size_t k = strlen(kw), given = at;

	while (at < n) {
		size_t w, i;
		const unsigned char *v = eng_pages_win_get(win, d + at, k, d + n, &w);
		const unsigned char *p = memmem(v, w, kw, k);

		if (p == NULL) {
			if (at + w >= n)
				return n;
			/* windows overlap by k - 1: a keyword across two */
			at += w - (k - 1);
			if (at - given >= ENG_PAGES_STEP) {
				eng_pages_done(d + given, at - given);
				given = at;
			}
			continue;
		}
		i = at + (size_t)(p - v);
		if ((i == 0 || pdf_delim(d[i - 1])) && (i + k >= n || pdf_delim(d[i + k])))
			return i;
		at = i + 1;
	}
	return n;
}

eng_pdf_count eng_pdf_open_cost(const unsigned char *d, size_t n,
				unsigned long long cap, unsigned long long *bytes)
{
	char *dict = malloc(PDF_DICT_MAX + 1);
	size_t from = 0, at = 0;
	eng_pdf_count rc = ENG_PDF_COUNT_OK;
	eng_pages_win win;

	*bytes = 0;
	if (dict == NULL)
		return ENG_PDF_COUNT_OVER;
	eng_pages_win_init(&win);
	/* One pass over the "stream" keywords; each dictionary is the text
	 * since the previous stream's data (or the start): disjoint
	 * slices, so the whole pass reads each byte a bounded number of
	 * times. */
	while (rc == ENG_PDF_COUNT_OK && (at = pdf_find(&win, d, n, at, "stream")) < n) {
		size_t ds = from, dn, data = at + 6, o;

		if (at - ds > PDF_DICT_MAX)
			ds = at - PDF_DICT_MAX;
		for (o = ds; o + 3 <= at; o++)
			if (memcmp(d + o, "obj", 3) == 0)
				ds = o + 3;
		dn = pdf_unescape(d + ds, at - ds, dict);
		if (data < n && d[data] == '\r')
			data++;
		if (data < n && d[data] == '\n')
			data++;
		from = at = data;
		if (!pdf_has_name(dict, dn, "/XRef") && !pdf_has_name(dict, dn, "/ObjStm"))
			continue;
		/* What qpdf inflates when it opens the file or resolves an
		 * object: only /FlateDecode (what every writer uses) is
		 * counted; any other filter could multiply it unseen. */
		if (!pdf_flate_only(dict, dn)) {
			rc = ENG_PDF_COUNT_FILTER;
			break;
		}
		if (memmem(dict, dn, "/Filter", 7) == NULL) {
			size_t e = pdf_find(&win, d, n, data, "endstream");

			/* the end of line before "endstream" is no data */
			if (e > data && d[e - 1] == '\n')
				e--;
			if (e > data && d[e - 1] == '\r')
				e--;
			*bytes += e - data;
		} else {
			*bytes += pdf_inflated(d + data, n - data, cap - *bytes);
		}
		if (*bytes > cap)
			rc = ENG_PDF_COUNT_OVER;
	}
	eng_pages_win_free(&win);
	free(dict);
	return rc;
}

eng_pdf_status eng_pdf_check(const unsigned char *data, size_t len, sg_buf *why)
{
	qpdf_data q = qpdf_init();
	eng_pdf_status st;
	int rc;

	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	rc = qpdf_read_memory(q, "attachment", (const char *)data,
			      (unsigned long long)len, "");
	if (rc & QPDF_ERRORS) {
		qpdf_error e = qpdf_get_error(q);
		enum qpdf_error_code_e code = e ? qpdf_get_error_code(q, e) : qpdf_e_internal;

		if (code == qpdf_e_password) {
			st = ENG_PDF_ENCRYPTED;
		} else {
			st = ENG_PDF_UNREADABLE;
			if (e)
				sg_buf_puts(why, qpdf_get_error_message_detail(q, e));
		}
	} else {
		st = qpdf_is_encrypted(q) ? ENG_PDF_OWNER_ONLY : ENG_PDF_PLAIN;
	}
	/* Warnings (recovered damage) are dropped with the object. */
	while (qpdf_more_warnings(q))
		(void)qpdf_next_warning(q);
	qpdf_cleanup(&q);
	return st;
}
