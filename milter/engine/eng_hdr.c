/*
 * NAME
 *	eng_hdr - decode header values, MIME parameters and file names
 * SYNOPSIS
 *	#include "engine/eng_hdr.h"
 * DESCRIPTION
 *	The interface is described in eng_hdr.h. Notes on the choices:
 *
 *	Encoded words are found anywhere "=?" starts a well-formed word,
 *	not only at word boundaries: Outlook and several Japanese clients
 *	glue them to text and put them inside quoted strings, and a file
 *	name that escapes decoding also escapes the dangerous-extension
 *	rule. A run of encoded words in one charset is decoded as one byte
 *	string because clients cut words at byte counts, not characters.
 *
 *	Parameter values are unfolded first, then tokenised (quoted
 *	strings, comments, semicolons inside quotes). In a quoted value a
 *	backslash that follows a Shift_JIS lead byte is data, not an
 *	escape: clients that write raw CP932 names (0x95 0x5C is "表") do
 *	not escape it.
 * DIAGNOSTICS
 *	eng_hdr_decode and eng_hdr_value_token return 0, or -1 when out
 *	reached its maximum (what fitted was appended, cut at a character
 *	boundary). eng_hdr_param returns 1 when found, 0 when absent.
 */
#include "engine/eng_hdr.h"
#include "engine/eng_charset.h"
#include "util/sg_buf.h"
#include "util/sg_b64.h"
#include "util/sg_mem.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CS_MAX	64	/* longest charset name taken from a header */
#define SEG_MAX	100	/* RFC 2231 continuation segments kept (name*0..99) */

/* Input positions that make a word: the cursor over one header value. */
typedef struct hcur {
	const char *s;
	size_t n;
	size_t i;
} hcur;

static bool is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool same_ci(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i;

	if (an != bn)
		return false;
	for (i = 0; i < an; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

/*
 * RFC 5322 unfolding: a line break followed by WSP is removed and the
 * WSP kept. A trailing line break (as milters sometimes pass) goes too;
 * any other CR or LF stays and later becomes a space.
 */
static void unfold(const char *raw, size_t len, sg_buf *u)
{
	size_t i = 0, eol;

	while (i < len) {
		eol = 0;
		if (raw[i] == '\r' && i + 1 < len && raw[i + 1] == '\n')
			eol = 2;
		else if (raw[i] == '\n')
			eol = 1;
		if (eol && (i + eol == len || is_wsp(raw[i + eol]))) {
			i += eol;
			continue;
		}
		sg_buf_putc(u, raw[i]);
		i++;
	}
}

/*
 * Appends valid UTF-8 with control characters turned into spaces (a
 * NUL or a bare CR must not reach logs, hold notices or rule matching).
 * Past the maximum, appends what fits up to a character boundary.
 */
static int put_clean(sg_buf *out, const char *s, size_t n)
{
	size_t avail = out->max - out->len, i, start = 0;
	int rc = 0;

	if (n > avail) {
		n = avail;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		rc = -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7F) {
			sg_buf_append(out, s + start, i - start);
			sg_buf_putc(out, ' ');
			start = i + 1;
		}
	}
	sg_buf_append(out, s + start, n - start);
	if (rc)
		out->toobig = true;
	return rc;
}

/* Decodes bytes in a charset (NULL: guess) and appends them cleaned. */
static int put_charset(sg_buf *out, const char *cs, const char *s, size_t n)
{
	sg_buf tmp;
	int rc;

	if (n == 0)
		return 0;
	/* No charset makes more than 4 bytes of UTF-8 out of one byte;
	 * the caller's limit is applied by put_clean, at a character. */
	sg_buf_init(&tmp, n * 4 + 16);
	(void)eng_cs_to_utf8(cs, s, n, &tmp);
	rc = put_clean(out, sg_buf_cstr(&tmp), tmp.len);
	sg_buf_free(&tmp);
	return rc;
}

/*
 * Text that is not encoded: UTF-8 as is (RFC 6532), anything else
 * (raw CP932 or EUC-JP from old clients, raw ISO-2022-JP escapes) by
 * guessing.
 */
static int put_literal(sg_buf *out, const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (eng_cs_is_utf8(s, n) && memchr(s, 0x1B, n) == NULL)
		return put_clean(out, s, n);
	return put_charset(out, NULL, s, n);
}

/* ------------------------------------------------------------------ */
/* RFC 2047 encoded words                                              */
/* ------------------------------------------------------------------ */

typedef struct ew {
	const char *cs;		/* charset, without an RFC 2231 *lang */
	size_t cslen;
	int enc;		/* 'b' or 'q' */
	const char *text;
	size_t textlen;
	size_t end;		/* offset just past "?=" */
} ew;

/* Charset and encoding letter of "=?cs?E?" at s[i]; false if not one. */
static bool ew_head(const char *s, size_t n, size_t i, ew *w)
{
	size_t p = i + 2, q;
	const char *star;

	if (i + 2 > n || s[i] != '=' || s[i + 1] != '?')
		return false;
	for (q = p; q < n && q - p <= CS_MAX && s[q] != '?'; q++)
		if ((unsigned char)s[q] <= ' ' || (unsigned char)s[q] >= 0x7F)
			return false;
	if (q >= n || s[q] != '?' || q == p || q - p > CS_MAX)
		return false;
	w->cs = s + p;
	w->cslen = q - p;
	star = memchr(w->cs, '*', w->cslen);
	if (star)
		w->cslen = (size_t)(star - w->cs);
	if (w->cslen == 0 || q + 2 >= n || s[q + 2] != '?')
		return false;
	w->enc = lower((unsigned char)s[q + 1]);
	if (w->enc != 'b' && w->enc != 'q')
		return false;
	w->text = s + q + 3;
	return true;
}

/*
 * Where an earlier scan for "?=" ran into a blank or the end: a later
 * word whose text starts inside that stretch cannot end in it either.
 * Without this, "=?x?B?A=?x?B?A..." would cost quadratic time.
 */
typedef struct ew_memo {
	size_t from, to;
} ew_memo;

/* Finds an encoded word at s[i]: head, text without blanks, "?=". */
static bool ew_parse(const char *s, size_t n, size_t i, ew *w, ew_memo *m)
{
	size_t p, t;

	if (!ew_head(s, n, i, w))
		return false;
	t = (size_t)(w->text - s);
	if (t >= m->from && t < m->to)
		return false;
	for (p = t; p + 1 < n; p++) {
		unsigned char c = (unsigned char)s[p];

		if (c == '?' && s[p + 1] == '=') {
			w->textlen = p - t;
			w->end = p + 2;
			return true;
		}
		/* A blank means the "?=" was lost: do not swallow text. */
		if (c <= ' ' || c == 0x7F)
			break;
	}
	m->from = t;
	m->to = p;
	return false;
}

/* Missing padding is accepted (clients drop it); anything else not. */
static bool b64_decode(const char *s, size_t n, sg_buf *out)
{
	unsigned long acc = 0;
	size_t i, data = 0, pad = 0;
	int bits = 0, v;

	for (i = 0; i < n; i++) {
		if (s[i] == '=') {
			pad++;
			continue;
		}
		v = sg_b64val((unsigned char)s[i]);
		if (v < 0 || pad)
			return false;
		data++;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			sg_buf_putc(out, (int)((acc >> bits) & 0xFF));
		}
		acc &= (1UL << bits) - 1;
	}
	return data % 4 != 1 && pad <= 2;
}

static void q_decode(const char *s, size_t n, sg_buf *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '_') {
			sg_buf_putc(out, ' ');
			continue;
		}
		if (s[i] == '=' && i + 2 < n) {
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi >= 0 && lo >= 0) {
				sg_buf_putc(out, hi * 16 + lo);
				i += 2;
				continue;
			}
		}
		sg_buf_putc(out, s[i]);
	}
}

static bool ew_decode(const ew *w, sg_buf *bytes)
{
	if (w->enc == 'b')
		return b64_decode(w->text, w->textlen, bytes);
	q_decode(w->text, w->textlen, bytes);
	return true;
}

/* A run of adjacent encoded words in one charset, not yet decoded. */
typedef struct ew_run {
	char cs[CS_MAX + 1];
	sg_buf bytes;
	bool open;
} ew_run;

static int run_flush(ew_run *r, sg_buf *out)
{
	int rc = 0;

	if (r->open)
		rc = put_charset(out, r->cs, sg_buf_cstr(&r->bytes),
				 r->bytes.len);
	sg_buf_reset(&r->bytes);
	r->open = false;
	return rc;
}

static bool all_wsp(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_wsp(s[i]))
			return false;
	return true;
}

/* Decodes an already unfolded value; the core of eng_hdr_decode. */
static int decode_unfolded(const char *s, size_t n, sg_buf *out)
{
	ew_run run;
	ew_memo memo = { 0, 0 };
	sg_buf word;
	size_t i = 0, lit = 0;
	int rc = 0;
	ew w;

	sg_buf_init(&run.bytes, n + 1);
	sg_buf_init(&word, n + 1);
	run.open = false;
	while (i < n) {
		sg_buf_reset(&word);
		if (s[i] != '=' || !ew_parse(s, n, i, &w, &memo) ||
		    !ew_decode(&w, &word)) {
			i++;
			continue;
		}
		/* RFC 2047 6.2: only blanks between two words are dropped. */
		if (!run.open || !all_wsp(s + lit, i - lit)) {
			rc |= run_flush(&run, out);
			rc |= put_literal(out, s + lit, i - lit);
		}
		if (run.open && !same_ci(run.cs, strlen(run.cs), w.cs, w.cslen))
			rc |= run_flush(&run, out);
		if (!run.open) {
			memcpy(run.cs, w.cs, w.cslen);
			run.cs[w.cslen] = '\0';
			run.open = true;
		}
		sg_buf_append(&run.bytes, word.data, word.len);
		i = lit = w.end;
	}
	rc |= run_flush(&run, out);
	rc |= put_literal(out, s + lit, n - lit);
	sg_buf_free(&run.bytes);
	sg_buf_free(&word);
	return rc ? -1 : 0;
}

int eng_hdr_decode(const char *raw, size_t len, sg_buf *out)
{
	sg_buf u;
	int rc;

	sg_buf_init(&u, len + 1);
	unfold(raw, len, &u);
	rc = decode_unfolded(sg_buf_cstr(&u), u.len, out);
	sg_buf_free(&u);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Structured values: comments, quoted strings, tokens                 */
/* ------------------------------------------------------------------ */

static bool is_lws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* At '(': skips a comment, nested, with quoted pairs; or to the end. */
static void skip_comment(hcur *c)
{
	size_t depth = 0;

	for (; c->i < c->n; c->i++) {
		char ch = c->s[c->i];

		if (ch == '\\') {
			c->i++;
		} else if (ch == '(') {
			depth++;
		} else if (ch == ')' && --depth == 0) {
			c->i++;
			return;
		}
	}
	c->i = c->n;
}

static void skip_cfws(hcur *c)
{
	while (c->i < c->n) {
		if (is_lws(c->s[c->i]))
			c->i++;
		else if (c->s[c->i] == '(')
			skip_comment(c);
		else
			break;
	}
}

static bool is_sjis_lead(unsigned char c)
{
	return (c >= 0x81 && c <= 0x9F) || (c >= 0xE0 && c <= 0xFC);
}

/*
 * True when the bytes end with a Shift_JIS lead byte that is not the
 * end of a complete UTF-8 character: the next byte is its trail byte.
 */
static bool ends_in_sjis_lead(const char *p, size_t n)
{
	size_t k;

	if (n == 0 || !is_sjis_lead((unsigned char)p[n - 1]))
		return false;
	for (k = 1; k <= 4 && k <= n; k++)
		if (((unsigned char)p[n - k] & 0xC0) != 0x80)
			return !eng_cs_is_utf8(p + n - k, k);
	return true;
}

/* At '"': appends the unescaped content; an unclosed one to the end. */
static void read_quoted(hcur *c, sg_buf *val)
{
	for (c->i++; c->i < c->n; c->i++) {
		char ch = c->s[c->i];

		if (ch == '"') {
			c->i++;
			return;
		}
		if (ch == '\\' && c->i + 1 < c->n &&
		    !ends_in_sjis_lead(sg_buf_cstr(val), val->len))
			ch = c->s[++c->i];
		sg_buf_putc(val, ch);
	}
}

/*
 * An unquoted value runs to ';'. Clients write unquoted names with
 * blanks and parentheses ("report(1).pdf"), so only a '(' after a
 * blank starts a comment; trailing blanks are dropped.
 */
static void read_token(hcur *c, sg_buf *val)
{
	for (; c->i < c->n && c->s[c->i] != ';'; c->i++) {
		char ch = c->s[c->i];

		if (ch == '(' && c->i > 0 && is_lws(c->s[c->i - 1]))
			break;
		sg_buf_putc(val, ch);
	}
	while (val->len > 0 && is_lws(val->data[val->len - 1]))
		sg_buf_truncate(val, val->len - 1);
}

/* Skips to just past the next ';' that is outside quotes and comments. */
static void skip_past_semi(hcur *c, sg_buf *scratch)
{
	while (c->i < c->n) {
		char ch = c->s[c->i];

		if (ch == ';') {
			c->i++;
			return;
		}
		if (ch == '"')
			read_quoted(c, scratch);
		else if (ch == '(')
			skip_comment(c);
		else
			c->i++;
	}
}

/* ------------------------------------------------------------------ */
/* MIME parameters (RFC 2045, RFC 2231)                                */
/* ------------------------------------------------------------------ */

typedef struct seg {
	char *v;
	size_t n;
	bool ext;
} seg;

typedef struct pfound {
	char *plain;		/* name=... */
	size_t plain_n;
	char *ext;		/* name*=... */
	size_t ext_n;
	seg segs[SEG_MAX];	/* name*N= and name*N*= */
	bool any_seg;
} pfound;

enum { P_NONE, P_PLAIN, P_EXT, P_SEG };

/*
 * Classifies attribute `a` against `name`: the whole attribute must be
 * the name (so "name" never matches "filename"), optionally followed
 * by "*" or "*N" or "*N*".
 */
static int classify(const char *a, size_t an, const char *name, size_t nn,
		    size_t *idx, bool *ext)
{
	size_t i, k = 0;

	if (an < nn || !same_ci(a, nn, name, nn))
		return P_NONE;
	if (an == nn)
		return P_PLAIN;
	if (a[nn] != '*')
		return P_NONE;
	if (an == nn + 1)
		return P_EXT;
	*idx = 0;
	for (i = nn + 1; i < an && a[i] >= '0' && a[i] <= '9'; i++) {
		if (++k > 3)
			return P_NONE;
		*idx = *idx * 10 + (size_t)(a[i] - '0');
	}
	*ext = i < an && a[i] == '*';
	if (k == 0 || i + (*ext ? 1 : 0) != an || *idx >= SEG_MAX)
		return P_NONE;
	return P_SEG;
}

/* Keeps the first occurrence of each form: later ones are duplicates. */
static void store(pfound *f, int kind, size_t idx, bool ext, const sg_buf *v)
{
	char *copy;

	if ((kind == P_PLAIN && f->plain) || (kind == P_EXT && f->ext) ||
	    (kind == P_SEG && f->segs[idx].v))
		return;
	copy = sg_xmemdup(sg_buf_cstr(v), v->len + 1);
	if (kind == P_PLAIN) {
		f->plain = copy;
		f->plain_n = v->len;
	} else if (kind == P_EXT) {
		f->ext = copy;
		f->ext_n = v->len;
	} else {
		f->segs[idx].v = copy;
		f->segs[idx].n = v->len;
		f->segs[idx].ext = ext;
		f->any_seg = true;
	}
}

/* One "attr = value" of the list; the cursor ends past its ';'. */
static void scan_param(hcur *c, const char *name, pfound *f, sg_buf *val)
{
	size_t a0, a1, idx = 0;
	bool ext = false;
	int kind;

	skip_cfws(c);
	for (a0 = c->i; c->i < c->n; c->i++) {
		char ch = c->s[c->i];

		if (ch == '=' || ch == ';' || ch == '"' || ch == '(' ||
		    is_lws(ch))
			break;
	}
	a1 = c->i;
	skip_cfws(c);
	if (a1 > a0 && c->i < c->n && c->s[c->i] == '=') {
		c->i++;
		skip_cfws(c);
		sg_buf_reset(val);
		if (c->i < c->n && c->s[c->i] == '"')
			read_quoted(c, val);
		else
			read_token(c, val);
		kind = classify(c->s + a0, a1 - a0, name, strlen(name),
				&idx, &ext);
		if (kind != P_NONE)
			store(f, kind, idx, ext, val);
	}
	sg_buf_reset(val);
	skip_past_semi(c, val);
}

static void pct_decode(const char *s, size_t n, sg_buf *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		hi = lo = -1;
		if (s[i] == '%' && i + 2 < n) {
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
		}
		if (hi >= 0 && lo >= 0) {
			sg_buf_putc(out, hi * 16 + lo);
			i += 2;
		} else {
			sg_buf_putc(out, s[i]);
		}
	}
}

/*
 * Splits "charset'lang'value". Without both quotes the whole is the
 * value and the charset is guessed. Returns the offset of the value.
 */
static size_t ext_prefix(const char *s, size_t n, char cs[CS_MAX + 1])
{
	const char *q1 = memchr(s, '\'', n), *q2;
	size_t csn;

	cs[0] = '\0';
	if (q1 == NULL)
		return 0;
	q2 = memchr(q1 + 1, '\'', n - (size_t)(q1 + 1 - s));
	if (q2 == NULL)
		return 0;
	csn = (size_t)(q1 - s);
	if (csn <= CS_MAX) {
		memcpy(cs, s, csn);
		cs[csn] = '\0';
	}
	return (size_t)(q2 + 1 - s);
}

static int put_ext(const char *s, size_t n, sg_buf *out)
{
	char cs[CS_MAX + 1];
	size_t off = ext_prefix(s, n, cs);
	sg_buf bytes;
	int rc;

	sg_buf_init(&bytes, n + 1);
	pct_decode(s + off, n - off, &bytes);
	rc = put_charset(out, cs[0] ? cs : NULL, sg_buf_cstr(&bytes),
			 bytes.len);
	sg_buf_free(&bytes);
	return rc;
}

/*
 * RFC 2231 section 3: segments in index order, joined as bytes; the
 * charset is in segment 0; only "*N*" segments are percent-encoded.
 * Without any extended segment the joined value may still hold encoded
 * words split across segments (Becky!, Thunderbird).
 */
static int put_segs(const pfound *f, sg_buf *out)
{
	char cs[CS_MAX + 1] = "";
	bool any_ext = false;
	size_t i, off, total = 0;
	sg_buf bytes;
	int rc;

	for (i = 0; i < SEG_MAX; i++)
		total += f->segs[i].n;
	sg_buf_init(&bytes, total + 1);
	for (i = 0; i < SEG_MAX; i++) {
		const seg *g = &f->segs[i];

		if (g->v == NULL)
			continue;
		off = 0;
		if (g->ext) {
			if (i == 0)
				off = ext_prefix(g->v, g->n, cs);
			pct_decode(g->v + off, g->n - off, &bytes);
			any_ext = true;
		} else {
			sg_buf_append(&bytes, g->v, g->n);
		}
	}
	if (any_ext)
		rc = put_charset(out, cs[0] ? cs : NULL, sg_buf_cstr(&bytes),
				 bytes.len);
	else
		rc = decode_unfolded(sg_buf_cstr(&bytes), bytes.len, out);
	sg_buf_free(&bytes);
	return rc;
}

static void pfound_free(pfound *f)
{
	size_t i;

	free(f->plain);
	free(f->ext);
	for (i = 0; i < SEG_MAX; i++)
		free(f->segs[i].v);
}

int eng_hdr_param(const char *raw, size_t len, const char *name, sg_buf *out)
{
	pfound f;
	sg_buf u, val;
	hcur c;
	int found = 1;

	memset(&f, 0, sizeof f);
	sg_buf_init(&u, len + 1);
	sg_buf_init(&val, len + 1);
	unfold(raw, len, &u);
	c.s = sg_buf_cstr(&u);
	c.n = u.len;
	c.i = 0;
	skip_past_semi(&c, &val);	/* the value itself, "text/plain" */
	while (c.i < c.n)
		scan_param(&c, name, &f, &val);
	if (f.ext)
		(void)put_ext(f.ext, f.ext_n, out);
	else if (f.any_seg)
		(void)put_segs(&f, out);
	else if (f.plain)
		(void)decode_unfolded(f.plain, f.plain_n, out);
	else
		found = 0;
	pfound_free(&f);
	sg_buf_free(&u);
	sg_buf_free(&val);
	return found;
}

/* RFC 2045 token characters, with '/' for "type/subtype". */
static bool is_tchar(unsigned char c)
{
	return c > ' ' && c < 0x7F && strchr("()<>@,;:\\\"[]?=", c) == NULL;
}

int eng_hdr_value_token(const char *raw, size_t len, sg_buf *out)
{
	hcur c;
	int rc = 0;

	c.s = raw;
	c.n = len;
	c.i = 0;
	skip_cfws(&c);
	for (; c.i < c.n && is_tchar((unsigned char)c.s[c.i]); c.i++)
		if (sg_buf_putc(out, lower((unsigned char)c.s[c.i])) < 0)
			rc = -1;
	return rc;
}
