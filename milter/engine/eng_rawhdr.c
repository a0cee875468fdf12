/*
 * NAME
 *	eng_rawhdr - bound header fields on the raw bytes, before GMime
 * DESCRIPTION
 *	GMime parses every address header (From, To, Cc, Bcc, Reply-To,
 *	Sender and their Resent- forms) of the message and of every
 *	forwarded message inside it while it builds the tree, before the
 *	engine sees anything, and no deadline can stop it there:
 *	  - a ~100 KB "To: x,x,x,..." (the most Postfix's default
 *	    header_size_limit lets through) costs about 8 s of CPU, the
 *	    quadratic part inside GMime;
 *	  - "To: x:x:x:..." opens one group per colon and GMime's address
 *	    parser recurses per group: 50,000 of them (100 KB) overflow an
 *	    8 MB stack, 5,000 a 512 KB one (SIGSEGV; the milter and every
 *	    message in it die, and Postfix retries the same mail).
 *	So this pass runs first, over the raw message, line by line
 *	(linear, one bounded pass). A field is removed from what GMime
 *	reads, and reported as a scan-limit finding (hold), when
 *	  - it belongs to the top-level header block and is longer than
 *	    [limits] max_header_size (header-size; an unstructured field
 *	    such as Subject is cut there instead, its start still read), or
 *	  - it is an address field anywhere (top level, a forwarded
 *	    message's header, or a header-like line) and is longer than
 *	    max_header_size or lists more than [limits] max_addresses items
 *	    or more than ENG_RAWHDR_MAX_GROUPS groups (addresses).
 *	A removed top-level To, Cc or Bcc that fits max_header_size still
 *	goes to our own address parser (eng_addr.c: iterative, bounded by
 *	max_addresses), so exposed-recipients counts it; a longer one
 *	leaves the recipients unknown, and eng_scan() then treats the
 *	message as outbound unless the envelope says otherwise.
 *
 *	Must never: hand GMime a field it was asked to keep away from it,
 *	or copy the message unless a field is removed (hostile mail only).
 */
#include "engine/eng_rawhdr.h"
#include "engine/eng_pages.h"
#include "util/sg_mem.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 5322 groups do not nest, and a real To has a handful of them;
 * GMime recurses once per colon (see above). */
#define ENG_RAWHDR_MAX_GROUPS 100
/* The deadline is looked at every this many lines. */
#define ENG_RAWHDR_DEADLINE_LINES 65536

static const char *const eng_addr_fields[] = {
	"From", "Sender", "Reply-To", "To", "Cc", "Bcc",
	"Resent-From", "Resent-Sender", "Resent-Reply-To", "Resent-To",
	"Resent-Cc", "Resent-Bcc",
};

static size_t eng_line_end(const unsigned char *m, size_t len, size_t i)
{
	const unsigned char *nl = memchr(m + i, '\n', len - i);

	return nl ? (size_t)(nl - m) + 1 : len;
}

/* Length of the field name at m[i..e) when the line is "Name:" (RFC
 * 5322 ftext, blanks before the colon allowed as GMime does), else 0. */
static size_t eng_field_name(const unsigned char *m, size_t i, size_t e)
{
	size_t k = i;

	while (k < e && m[k] > 32 && m[k] < 127 && m[k] != ':')
		k++;
	if (k == i)
		return 0;
	for (size_t j = k; j < e; j++) {
		if (m[j] == ':')
			return k - i;
		if (m[j] != ' ' && m[j] != '\t')
			return 0;
	}
	return 0;
}

static const char *eng_addr_field(const unsigned char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(eng_addr_fields) / sizeof(eng_addr_fields[0]); i++)
		if (strlen(eng_addr_fields[i]) == n &&
		    strncasecmp((const char *)name, eng_addr_fields[i], n) == 0)
			return eng_addr_fields[i];
	return NULL;
}

/* Items (commas + 1) and groups (colons) outside quoted strings,
 * comments and domain literals, as an address parser would see them. */
static void eng_count_items(const unsigned char *v, size_t n, size_t *items,
			    size_t *groups)
{
	bool quoted = false, lit = false;
	size_t comment = 0;

	*items = 1;
	*groups = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = v[i];

		if (c == '\\' && (quoted || comment)) {
			i++;
		} else if (quoted) {
			quoted = c != '"';
		} else if (comment) {
			comment += c == '(';
			comment -= c == ')';
		} else if (lit) {
			lit = c != ']';
		} else if (c == '"') {
			quoted = true;
		} else if (c == '(') {
			comment = 1;
		} else if (c == '[') {
			lit = true;
		} else if (c == ',') {
			(*items)++;
		} else if (c == ':') {
			(*groups)++;
		}
	}
}

typedef struct eng_rawhdr_pass {
	eng_ctx *ctx;
	const unsigned char *m;
	size_t len;
	eng_hdrs *h;
	sg_buf out;		/* the copy, once a field is removed */
	bool copying;
	size_t copied;		/* m[0..copied) is accounted for in out */
} eng_rawhdr_pass;

static void eng_drop(eng_rawhdr_pass *p, size_t s, size_t e)
{
	if (!p->copying) {
		sg_buf_init(&p->out, SG_BUF_UNLIMITED);
		p->copying = true;
	}
	sg_buf_append(&p->out, p->m + p->copied, s - p->copied);
	p->copied = e;
}

/* Keep the start of a too-long unstructured top-level field (Subject,
 * Comments, ...): up to max_header_size bytes, cut at the last blank so
 * no encoded word is split, so a marking before the cut is still read. */
static void eng_cut(eng_rawhdr_pass *p, size_t s, size_t e, size_t keep)
{
	size_t c = s + keep;

	while (c > s && p->m[c] != ' ' && p->m[c] != '\t')
		c--;
	if (c == s)
		c = s + keep;
	while (c > s && (p->m[c - 1] == '\r' || p->m[c - 1] == '\n' ||
			 p->m[c - 1] == ' ' || p->m[c - 1] == '\t'))
		c--;
	eng_drop(p, c, e);
	sg_buf_puts(&p->out, "\r\n");
}

/* The raw value of a removed top-level To/Cc/Bcc, for our own parser. */
static void eng_keep_value(eng_rawhdr_pass *p, const char *field,
			   const unsigned char *v, size_t n)
{
	sg_buf *b = strcmp(field, "To") == 0 ? &p->h->to :
		    strcmp(field, "Cc") == 0 ? &p->h->cc :
		    strcmp(field, "Bcc") == 0 ? &p->h->bcc : NULL;

	if (b == NULL)
		return;
	if (b->len)
		sg_buf_putc(b, ',');
	if (sg_buf_append(b, v, n) < 0)
		p->h->rcpt_unread = true;
}

/* One field m[s..e) (continuation lines included), name length nl. */
static void eng_field(eng_rawhdr_pass *p, size_t s, size_t e, size_t nl, bool top)
{
	const eng_limits *lim = &p->ctx->eng->lim;
	const char *addr = eng_addr_field(p->m + s, nl);
	const unsigned char *v = (const unsigned char *)memchr(p->m + s, ':', e - s) + 1;
	size_t vn = (size_t)(p->m + e - v), items = 0, groups = 0;
	bool toolong = e - s > lim->header_size;
	char where[128];

	if (!(top && toolong) && addr == NULL)
		return;
	if (addr && !toolong)
		eng_count_items(v, vn, &items, &groups);
	if (!toolong && items <= lim->addresses && groups <= ENG_RAWHDR_MAX_GROUPS)
		return;
	snprintf(where, sizeof(where), "header:%.*s", (int)(nl > 100 ? 100 : nl),
		 (const char *)p->m + s);
	if (toolong)
		eng_scan_limit(p->ctx, "header-size",
			       "ヘッダが長すぎて検査できません",
			       "Header too long to inspect", where,
			       top ? "" : "forwarded message");
	else
		eng_scan_limit(p->ctx, "addresses",
			       "宛先が多すぎて検査できません",
			       "Too many addresses to inspect", where,
			       top ? "" : "forwarded message");
	if (top && addr && !toolong)
		eng_keep_value(p, addr, v, vn);
	else if (top && addr && (!strcmp(addr, "To") || !strcmp(addr, "Cc") ||
				 !strcmp(addr, "Bcc")))
		p->h->rcpt_unread = true;
	if (top && addr == NULL)
		eng_cut(p, s, e, lim->header_size > 2 ? lim->header_size - 2 : 0);
	else
		eng_drop(p, s, e);
}

unsigned char *eng_rawhdr_guard(eng_ctx *ctx, const unsigned char *msg,
				size_t len, eng_hdrs *h, size_t *outlen)
{
	eng_rawhdr_pass p = { ctx, msg, len, h, { 0 }, false, 0 };
	bool top = true;
	size_t i = 0, lines = 0, given = 0;
	eng_pages_win win;

	eng_pages_win_init(&win);

	while (i < len) {
		size_t e = eng_line_end(msg, len, i), nl, fe;

		/* What this pass has passed, back to the page cache when the
		 * message is a mapped file (eng_pages.h). */
		if (i > given && i - given >= ENG_PAGES_STEP) {
			eng_pages_done(msg + given, i - given);
			given = i;
		}

		if (++lines % ENG_RAWHDR_DEADLINE_LINES == 0 && eng_deadline_passed(ctx))
			break;
		if (top && (msg[i] == '\n' || (msg[i] == '\r' && e - i == 2))) {
			top = false;	/* the empty line ends the top header */
			i = e;
			continue;
		}
		/* Past the top header only fields matter, and a field's
		 * line has a colon: lines without one (the base64 of an
		 * attachment, most text) are skipped to the line of the
		 * next colon with one memchr instead of being looked at
		 * one by one (issue 21: this pass was 13% of a 10 MB
		 * mail). Each byte is still looked at a bounded number of
		 * times: the colon search never goes back past i. */
		if (!top) {
			const unsigned char *c = NULL, *nlp;
			size_t from = i, w;

			/* In windows read through the file when the message
			 * is a mapped one (eng_pages.h); what is passed is
			 * handed back as the search goes. */
			while (from < len) {
				const unsigned char *v = eng_pages_win_get(&win, msg + from, 1,
									   msg + len, &w);

				if ((c = memchr(v, ':', w)) != NULL) {
					c = msg + from + (c - v);
					break;
				}
				from += w;
				if (from - given >= ENG_PAGES_STEP) {
					eng_pages_done(msg + given, from - given);
					given = from;
				}
			}
			if (c == NULL) {
				i = len;
				break;
			}
			nlp = memrchr(msg + i, '\n', (size_t)(c - (msg + i)));
			if (nlp != NULL) {
				i = (size_t)(nlp - msg) + 1;
				e = eng_line_end(msg, len, i);
			}
		}
		nl = msg[i] == ' ' || msg[i] == '\t' ? 0 : eng_field_name(msg, i, e);
		if (nl == 0) {
			i = e;
			continue;
		}
		/* The field goes on over lines that start with a blank. */
		for (fe = e; fe < len && (msg[fe] == ' ' || msg[fe] == '\t');)
			fe = eng_line_end(msg, len, fe);
		eng_field(&p, i, fe, nl, top);
		i = fe;
	}
	eng_pages_win_free(&win);
	if (i > given)
		eng_pages_done(msg + given, i - given);
	if (!p.copying)
		return NULL;
	sg_buf_append(&p.out, msg + p.copied, len - p.copied);
	*outlen = p.out.len;
	return (unsigned char *)sg_buf_steal(&p.out);
}
