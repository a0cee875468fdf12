/*
 * NAME
 *	eng_text - normalise text for matching; HTML to text
 * DESCRIPTION
 *	See eng_text.h for the contract. How it is met:
 *
 *	eng_text_normalize() works in chunks of at most TX_CHUNK input
 *	bytes, cut where NFKC cannot reach across the cut (after a line
 *	break, or before a character that never composes with what precedes
 *	it), so memory stays bounded whatever the input size. Each chunk is
 *	first made valid UTF-8 (U+FFFD for bad bytes and NUL), and runs of
 *	more than TX_MAX_NONSTARTERS combining marks get U+034F (CGJ) as
 *	UAX #15's Stream-Safe Text Format says: libutf8proc reorders marks
 *	with a quadratic sort, and zalgo text must not become a CPU sink.
 *	The dash fold and line-break fold then run as a stream whose state
 *	crosses chunk boundaries.
 *
 *	eng_html_to_text() is one pass over the input. A construct that is
 *	not closed before the end (tag, comment, <script>) is read as text:
 *	for a data-loss filter, text we fail to hide is a false positive at
 *	worst, text we hide is a leak. Searches for end markers remember
 *	where they failed, so that many unclosed constructs stay linear.
 * DIAGNOSTICS
 *	See eng_text.h.
 */
#include "engine/eng_text.h"
#include "util/sg_buf.h"
#include "util/sg_mem.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#define TX_CHUNK		65536
#define TX_MAX_NONSTARTERS	30
#define TX_REPL			0xFFFDul

/* Output with a staging area; "what fitted was appended" on the limit. */
typedef struct tx_out {
	sg_buf *out;
	unsigned char stage[4096];
	size_t n;
	bool toobig;
} tx_out;

static void tx_put(tx_out *o, const unsigned char *p, size_t n)
{
	if (o->toobig || n == 0)
		return;
	if (sg_buf_append_cut(o->out, p, n) < 0)
		o->toobig = true;
}

static void tx_flush(tx_out *o)
{
	tx_put(o, o->stage, o->n);
	o->n = 0;
}

static size_t utf8_enc(unsigned long cp, unsigned char *u)
{
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = TX_REPL;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	u[0] = (unsigned char)(0xF0 | (cp >> 18));
	u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	u[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

static void tx_cp(tx_out *o, unsigned long cp)
{
	if (o->toobig)
		return;
	if (o->n + 4 > sizeof(o->stage))
		tx_flush(o);
	o->n += utf8_enc(cp, o->stage + o->n);
}

/* Last byte written (staged or in out); 0 when nothing yet. */
static unsigned char tx_last(const tx_out *o, size_t start)
{
	if (o->n)
		return o->stage[o->n - 1];
	if (o->out->len > start)
		return (unsigned char)o->out->data[o->out->len - 1];
	return 0;
}

/* Valid UTF-8 sequence length at p and its code point, 0 if invalid. */
static size_t utf8_dec(const unsigned char *p, size_t left, unsigned long *cp)
{
	unsigned char b = p[0];
	size_t n;
	unsigned long v, min;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xC2 && b <= 0xDF)
		n = 2, v = b & 0x1F, min = 0x80;
	else if (b >= 0xE0 && b <= 0xEF)
		n = 3, v = b & 0x0F, min = 0x800;
	else if (b >= 0xF0 && b <= 0xF4)
		n = 4, v = b & 0x07, min = 0x10000;
	else
		return 0;
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

/* ------------------------------------------------------------ normalize */

/*
 * True when NFKC cannot combine cp with anything before it and cp is
 * left alone by NFKC's context: ASCII, kana letters, CJK ideographs.
 * Conservative on purpose; other scripts rarely fill a 64 KiB line.
 */
static bool safe_cut_before(unsigned long cp)
{
	return cp < 0x80 || (cp >= 0x3041 && cp <= 0x3096) ||
	       (cp >= 0x30A1 && cp <= 0x30FA) || (cp >= 0x4E00 && cp <= 0x9FFF);
}

/* End of the next chunk starting at `start`. */
static size_t chunk_end(const unsigned char *p, size_t len, size_t start)
{
	size_t lim, i;
	unsigned long cp;

	if (len - start <= TX_CHUNK)
		return len;
	lim = start + TX_CHUNK;
	for (i = lim; i > start + TX_CHUNK / 2; i--)
		if (p[i - 1] == '\n')
			return i;
	for (i = lim; i > start + TX_CHUNK / 2; i--)
		if (utf8_dec(p + i, len - i, &cp) && safe_cut_before(cp))
			return i;
	/* No good cut: keep at least whole sequences together. */
	for (i = lim; i > lim - 4 && (p[i] & 0xC0) == 0x80; i--)
		;
	return i;
}

/* Variation selectors (U+FE00..FE0F, the ideographic ones U+E0100..
 * E01EF) only choose a glyph: "㊙️" (emoji style) and "葛󠄀" (an IVS)
 * mean what the base character means, and a selector left between two
 * characters would break every pattern across it. */
static bool is_variation_selector(unsigned long cp)
{
	return (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF);
}

/*
 * Valid UTF-8 for utf8proc, which rejects anything else outright.
 * Also, before NFKC: variation selectors are dropped, and the circled
 * ideograph ㊙ (U+3299, read マル秘: a secrecy stamp) becomes "(秘)".
 * NFKC would make it a bare 秘, which cannot be told from the word
 * (秘書, 秘密) it is part of; "(秘)" is how the parenthesised
 * ideographs ㈱ already come out, and it is a stamp to the rules.
 */
static void sanitize(const unsigned char *p, size_t len, sg_buf *dst)
{
	unsigned char u[4];
	size_t i = 0, n, nonstarters = 0;
	unsigned long cp;

	while (i < len) {
		if ((n = utf8_dec(p + i, len - i, &cp)) == 0 || cp == 0) {
			cp = TX_REPL;
			n = 1;
		}
		i += n;
		if (is_variation_selector(cp))
			continue;
		if (cp == 0x3299) {
			nonstarters = 0;
			(void)sg_buf_append(dst, "(\xe7\xa7\x98)", 5);
			continue;
		}
		if (utf8proc_get_property((utf8proc_int32_t)cp)->combining_class) {
			if (++nonstarters > TX_MAX_NONSTARTERS) {
				(void)sg_buf_append(dst, u, utf8_enc(0x034F, u));
				nonstarters = 1;
			}
		} else {
			nonstarters = 0;
		}
		(void)sg_buf_append(dst, u, utf8_enc(cp, u));
	}
}

typedef struct fold_state {
	bool prev_digit;
	bool choon_pending;	/* U+30FC after a digit, waiting for the next */
	bool prev_cr;
} fold_state;

static bool is_dash(unsigned long cp)
{
	return (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0xFF0D;
}

static void fold_cp(tx_out *o, fold_state *fs, unsigned long cp)
{
	bool digit = cp >= '0' && cp <= '9';

	if (fs->choon_pending) {
		tx_cp(o, digit ? '-' : 0x30FC);
		fs->choon_pending = false;
	}
	if (cp == '\n' && fs->prev_cr) {
		fs->prev_cr = false;
		return;		/* second half of CRLF */
	}
	fs->prev_cr = cp == '\r';
	if (cp == 0x30FC && fs->prev_digit) {
		fs->choon_pending = true;
		fs->prev_digit = false;
		return;
	}
	fs->prev_digit = digit;
	if (cp == '\r')
		cp = '\n';
	else if (is_dash(cp))
		cp = '-';
	tx_cp(o, cp);
}

static void fold_run(tx_out *o, fold_state *fs, const unsigned char *p,
		     size_t len)
{
	size_t i = 0, n;
	unsigned long cp;

	while (i < len && !o->toobig) {
		if ((n = utf8_dec(p + i, len - i, &cp)) == 0) {
			cp = TX_REPL;	/* cannot happen after utf8proc */
			n = 1;
		}
		fold_cp(o, fs, cp);
		i += n;
	}
}

static void normalize_chunk(tx_out *o, fold_state *fs, const unsigned char *p,
			    size_t len, sg_buf *tmp)
{
	utf8proc_uint8_t *dst = NULL;
	utf8proc_ssize_t r;

	sg_buf_reset(tmp);
	sanitize(p, len, tmp);
	if (tmp->len == 0)
		return;
	r = utf8proc_map((const utf8proc_uint8_t *)tmp->data,
			 (utf8proc_ssize_t)tmp->len, &dst,
			 UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
	if (r < 0) {
		/* Only out-of-memory is left after sanitize: fold unmapped. */
		fold_run(o, fs, (const unsigned char *)tmp->data, tmp->len);
		return;
	}
	fold_run(o, fs, dst, (size_t)r);
	free(dst);
}

int eng_text_normalize(const char *in, size_t len, sg_buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	tx_out *o = sg_xmalloc(sizeof(*o));
	fold_state fs = {false, false, false};
	sg_buf tmp;
	size_t start = 0, end;
	int rc;

	o->out = out, o->n = 0, o->toobig = false;
	sg_buf_init(&tmp, SG_BUF_UNLIMITED);
	while (start < len && !o->toobig) {
		end = chunk_end(p, len, start);
		normalize_chunk(o, &fs, p + start, end - start, &tmp);
		start = end;
	}
	if (fs.choon_pending)
		tx_cp(o, 0x30FC);
	tx_flush(o);
	rc = o->toobig ? -1 : 0;
	sg_buf_free(&tmp);
	free(o);
	return rc;
}

/* ------------------------------------------------------------ HTML text */

typedef struct html {
	const unsigned char *p;
	size_t len;
	size_t pos;
	size_t start;		/* out->len at entry: our output starts here */
	tx_out *o;
	bool ws;		/* collapsible whitespace seen, not yet written */
	int pre;		/* inside <pre>: whitespace is kept */
	size_t nofind[4];	/* end-marker searches known to fail from here */
	size_t gt_end;		/* no '>' at or after this index */
} html;

enum { NF_COMMENT, NF_SCRIPT, NF_STYLE, NF_TITLE };

static bool at_line_start(const html *h)
{
	unsigned char c = tx_last(h->o, h->start);

	return c == 0 || c == '\n';
}

/* Generated break: pending spaces before a break are not text. */
static void put_break(html *h, bool always)
{
	h->ws = false;
	if (always || !at_line_start(h))
		tx_cp(h->o, '\n');
}

/* The collapsed whitespace pending before text, as one space. */
static void put_pending_space(html *h)
{
	if (h->ws && !at_line_start(h) && tx_last(h->o, h->start) != '\t')
		tx_cp(h->o, ' ');
	h->ws = false;
}

static void put_text_cp(html *h, unsigned long cp)
{
	put_pending_space(h);
	tx_cp(h->o, cp);
}

static bool is_html_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(unsigned char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/* Case-insensitive search for s from `from`; len of haystack if absent. */
static size_t find_ci(const html *h, size_t from, const char *s)
{
	size_t n = strlen(s);
	const unsigned char *q;

	while (from + n <= h->len) {
		q = memchr(h->p + from, (unsigned char)s[0], h->len - from - n + 1);
		if (q == NULL)
			break;
		from = (size_t)(q - h->p);
		if (strncasecmp((const char *)q, s, n) == 0)
			return from;
		from++;
	}
	return h->len;
}

/*
 * Position of "</name" ending a raw-text element, searched from `from`;
 * h->len when absent. A miss is remembered: no later search can hit.
 */
static size_t find_end_tag(html *h, size_t from, const char *name, int nf)
{
	char pat[16];
	size_t at;

	if (from >= h->nofind[nf])
		return h->len;
	snprintf(pat, sizeof(pat), "</%s", name);
	for (at = find_ci(h, from, pat); at < h->len; at = find_ci(h, at + 1, pat)) {
		size_t k = at + strlen(pat);

		if (k >= h->len || is_html_space(h->p[k]) || h->p[k] == '/' ||
		    h->p[k] == '>')
			return at;
	}
	h->nofind[nf] = from;
	return h->len;
}

/* Index just after the '>' ending a tag whose name ends at i; 0 if none. */
static size_t tag_end(const html *h, size_t i)
{
	size_t lim;
	unsigned char q = 0;
	bool after_eq = false;
	const unsigned char *gt;

	if (i >= h->gt_end)
		return 0;
	lim = h->gt_end - i > 16384 ? i + 16384 : h->gt_end;
	for (; i < lim; i++) {
		unsigned char c = h->p[i];

		if (q) {
			if (c == q)
				q = 0;
		} else if (c == '>') {
			return i + 1;
		} else if (after_eq && (c == '"' || c == '\'')) {
			q = c;
		}
		if (!is_html_space(c))
			after_eq = !q && c == '=';
	}
	/* Unclosed quote or a giant tag: the first '>' ends it, as in HTML4 */
	gt = memchr(h->p + h->pos, '>', h->len - h->pos);
	return gt ? (size_t)(gt - h->p) + 1 : 0;
}

static const char *const block_tags[] = {
	"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table",
	"ul", "ol", "dl", "dt", "dd", "blockquote", "hr", "pre", "center",
	"section", "article", "header", "footer", "address", "form", "body",
	"caption", "thead", "tbody", "tfoot", "fieldset", "nav", "main",
};

static bool in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(name, list[k]) == 0)
			return true;
	return false;
}

/* Skip a raw-text element's content; false when it is never closed. */
static bool skip_raw(html *h, size_t after_tag, const char *name, int nf)
{
	size_t at = find_end_tag(h, after_tag, name, nf);
	const unsigned char *gt;

	if (at >= h->len) {
		h->pos = after_tag;	/* unclosed: its content is text */
		return false;
	}
	gt = memchr(h->p + at, '>', h->len - at);
	h->pos = gt ? (size_t)(gt - h->p) + 1 : h->len;
	return true;
}

static void tag_effect(html *h, const char *name, bool end, size_t after)
{
	h->pos = after;
	if (!end && strcmp(name, "script") == 0)
		(void)skip_raw(h, after, "script", NF_SCRIPT);
	else if (!end && strcmp(name, "style") == 0)
		(void)skip_raw(h, after, "style", NF_STYLE);
	else if (!end && strcmp(name, "title") == 0)
		(void)skip_raw(h, after, "title", NF_TITLE);
	else if (strcmp(name, "br") == 0)
		put_break(h, true);
	else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
		if (!end) {
			h->ws = false;
			if (!at_line_start(h))
				tx_cp(h->o, '\t');
		}
	} else if (in_list(name, block_tags, sizeof(block_tags) / sizeof(block_tags[0])))
		put_break(h, false);
	if (strcmp(name, "pre") == 0)
		h->pre += end ? (h->pre > 0 ? -1 : 0) : 1;
}

/* "<name" or "</name" at pos; false when it is not a tag (read as text). */
static bool do_tag(html *h)
{
	size_t i = h->pos + 1, after, n = 0;
	bool end = false;
	char name[16];

	if (i < h->len && h->p[i] == '/')
		end = true, i++;
	if (i >= h->len || !is_alpha(h->p[i]))
		return false;
	for (; i < h->len && (is_alnum(h->p[i]) || h->p[i] == '-' ||
			      h->p[i] == ':'); i++)
		if (n + 1 < sizeof(name))
			name[n++] = (char)(h->p[i] | 0x20);
	name[n] = '\0';
	if ((after = tag_end(h, i)) == 0)
		return false;
	tag_effect(h, name, end, after);
	return true;
}

/* Comments, <!DOCTYPE>, <![CDATA[..]]>, <?..?>: dropped when closed. */
static bool do_markup_decl(html *h)
{
	const unsigned char *p = h->p + h->pos;
	size_t left = h->len - h->pos, at;
	const unsigned char *gt;

	if (left >= 4 && memcmp(p, "<!--", 4) == 0) {
		if (h->pos + 4 >= h->nofind[NF_COMMENT])
			return false;
		at = find_ci(h, h->pos + 4, "-->");
		if (at >= h->len) {
			h->nofind[NF_COMMENT] = h->pos + 4;
			return false;
		}
		h->pos = at + 3;
		return true;
	}
	if (left >= 2 && (p[1] == '!' || p[1] == '?')) {
		if (h->pos >= h->gt_end || (gt = memchr(p, '>', left)) == NULL)
			return false;
		h->pos = (size_t)(gt - h->p) + 1;
		return true;
	}
	return false;
}

static const struct entity {
	const char *name;
	unsigned long cp;
} entities[] = {
	{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''},
	{"nbsp", ' '}, {"copy", 0xA9}, {"reg", 0xAE}, {"trade", 0x2122},
	{"yen", 0xA5}, {"middot", 0xB7}, {"hellip", 0x2026},
	{"mdash", 0x2014}, {"ndash", 0x2013}, {"minus", 0x2212},
	{"hyphen", 0x2010}, {"dash", 0x2010},
	{"laquo", 0xAB}, {"raquo", 0xBB}, {"lsquo", 0x2018},
	{"rsquo", 0x2019}, {"ldquo", 0x201C}, {"rdquo", 0x201D},
	{"ensp", 0x2002}, {"emsp", 0x2003}, {"thinsp", 0x2009},
	{"zwnj", 0x200C}, {"zwj", 0x200D}, {"shy", 0xAD}, {"bull", 0x2022},
	{"times", 0xD7}, {"divide", 0xF7}, {"deg", 0xB0}, {"plusmn", 0xB1},
	{"sect", 0xA7}, {"para", 0xB6}, {"euro", 0x20AC}, {"pound", 0xA3},
	{"cent", 0xA2}, {"larr", 0x2190}, {"rarr", 0x2192},
	{"uarr", 0x2191}, {"darr", 0x2193}, {"hArr", 0x21D4},
	{"rArr", 0x21D2}, {"loz", 0x25CA}, {"sup2", 0xB2}, {"sup3", 0xB3},
	{"frac12", 0xBD}, {"micro", 0xB5},
};

/* Names browsers accept without ';' (legacy), which mail still has. */
static bool legacy_entity(const char *name)
{
	return strcmp(name, "amp") == 0 || strcmp(name, "lt") == 0 ||
	       strcmp(name, "gt") == 0 || strcmp(name, "quot") == 0 ||
	       strcmp(name, "nbsp") == 0;
}

/* WHATWG: numeric references 0x80..0x9F mean windows-1252. */
static const unsigned short c1_1252[32] = {
	0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
	0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
};

/* &#123; &#x1F; at pos; 0 when not a numeric reference. */
static size_t numeric_ref(const html *h, unsigned long *cp)
{
	size_t i = h->pos + 2, digits = 0;
	bool hex = false;
	unsigned long v = 0;

	if (i < h->len && (h->p[i] == 'x' || h->p[i] == 'X'))
		hex = true, i++;
	for (; i < h->len; i++, digits++) {
		unsigned char c = h->p[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
			hex && c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			hex && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			break;
		if (v <= 0x10FFFF)	/* saturate: no overflow, still invalid */
			v = v * (hex ? 16 : 10) + (unsigned long)d;
	}
	if (digits == 0)
		return 0;
	if (i < h->len && h->p[i] == ';')
		i++;
	if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		v = TX_REPL;
	else if (v >= 0x80 && v <= 0x9F)
		v = c1_1252[v - 0x80];
	*cp = v;
	return i - h->pos;
}

/* &name; at pos; 0 when not one we know (then it stays literal). */
static size_t named_ref(const html *h, unsigned long *cp)
{
	size_t i = h->pos + 1, n = 0;
	char name[12];

	for (; i < h->len && is_alnum(h->p[i]) && n + 1 < sizeof(name); i++)
		name[n++] = (char)h->p[i];
	name[n] = '\0';
	if (n == 0 || (i < h->len && is_alnum(h->p[i])))
		return 0;
	for (size_t k = 0; k < sizeof(entities) / sizeof(entities[0]); k++) {
		if (strcmp(name, entities[k].name) != 0)
			continue;
		if (i < h->len && h->p[i] == ';')
			i++;
		else if (!legacy_entity(name))
			return 0;
		*cp = entities[k].cp;
		return i - h->pos;
	}
	return 0;
}

static void do_ref(html *h)
{
	unsigned long cp = '&';
	size_t n = 0;

	if (h->pos + 1 < h->len && h->p[h->pos + 1] == '#')
		n = numeric_ref(h, &cp);
	else
		n = named_ref(h, &cp);
	if (n == 0) {
		cp = '&';
		n = 1;
	}
	put_text_cp(h, cp);
	h->pos += n;
}

static void do_text_byte(html *h)
{
	unsigned char c = h->p[h->pos++];

	if (is_html_space(c) && !h->pre) {
		h->ws = true;
		return;
	}
	/* c is a byte, maybe the lead byte of a multi-byte character:
	 * staged as it is, never as a code point (U+00E6 for 0xE6). */
	put_pending_space(h);
	if (!h->o->toobig) {
		if (h->o->n + 1 > sizeof(h->o->stage))
			tx_flush(h->o);
		h->o->stage[h->o->n++] = c;
	}
}

int eng_html_to_text(const char *in, size_t len, sg_buf *out)
{
	tx_out *o = sg_xmalloc(sizeof(*o));
	const unsigned char *gt;
	html h;
	int rc;

	o->out = out, o->n = 0, o->toobig = false;
	memset(&h, 0, sizeof(h));
	h.p = (const unsigned char *)in, h.len = len, h.o = o;
	h.start = out->len;
	for (size_t k = 0; k < sizeof(h.nofind) / sizeof(h.nofind[0]); k++)
		h.nofind[k] = len + 1;
	gt = len ? memrchr(in, '>', len) : NULL;
	h.gt_end = gt ? (size_t)(gt - h.p) + 1 : 0;
	while (h.pos < h.len && !o->toobig) {
		unsigned char c = h.p[h.pos];

		if (c == '<' && (do_markup_decl(&h) || do_tag(&h)))
			continue;
		if (c == '&')
			do_ref(&h);
		else if (c == '<')
			put_text_cp(&h, h.p[h.pos++]);
		else
			do_text_byte(&h);
	}
	tx_flush(o);
	rc = o->toobig ? -1 : 0;
	free(o);
	return rc;
}
