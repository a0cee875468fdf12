/*
 * NAME
 *	eng_pd - personal-data detectors: matching, confidence, masking
 * DESCRIPTION
 *	See eng_pd.h for the contract and rules/personal-data for the
 *	rule keys. Per detector and piece of text: collect the pattern's
 *	instances (validated, not right after a not_after word, with or
 *	without a keyword in the window), count the distinct ones, grade
 *	the confidence as POLICY.md does, and add one finding when it
 *	reaches min_confidence. Tables (kind = table) are found by their
 *	header row instead of a pattern.
 *
 *	Why the signature is cut off: every mail from a ward office ends
 *	with the sender's own 〒, TEL and address; counting them would hold
 *	every mail, and staff would learn to ignore the hold.
 *
 *	Must never: put a whole value in a finding (masks below), or loop
 *	without a bound on its input (matches, keywords, lines are capped).
 */
#include "engine/eng_pd.h"
#include "engine/eng_addr.h"
#include "engine/eng_pd_person.h"
#include "util/sg_mem.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Matches read per detector and text; beyond, the count is a floor. */
#define ENG_PD_MAX_MATCHES 100000
/* Keyword occurrences remembered per detector and text. */
#define ENG_PD_MAX_KEYWORDS 100000
/* Masked examples shown in the evidence. */
#define ENG_PD_EXAMPLES 3
/* not_after looks this many characters before an instance. */
#define ENG_PD_NOT_AFTER_CHARS 16
/* Lines a table may have, and cells a row. */
#define ENG_PD_MAX_LINES 1000000
#define ENG_PD_MAX_CELLS 256
/* A header cell is a field name plus at most this much ("住所1",
 * "電話番号(自宅)"), in bytes. */
#define ENG_PD_HEADER_SLACK 18

typedef struct pd_span {
	size_t s, e;
} pd_span;

/* A table whose header names a person column (氏名): its rows are
 * records about people; kw when a header cell is the rule's keyword
 * (a 生年月日 column). */
typedef struct pd_rec {
	size_t s, e;
	bool kw;
} pd_rec;

typedef struct pd_inst {
	char *key;		/* what makes two instances the same */
	bool kw;		/* a keyword in the window */
} pd_inst;

typedef struct pd_scan {
	eng_ctx *ctx;
	const eng_pd_rule *r;
	const char *text;
	size_t len;
	const char *where;
	pd_span *kws;		/* keyword occurrences, in text order */
	size_t nkws;
	size_t kw_done;		/* every keyword starting before this is in kws */
	pcre2_match_data *kw_md;
	pd_inst *inst;
	size_t ninst, cap;
	sg_buf ev;		/* masked examples */
	char *ev_keys[ENG_PD_EXAMPLES];
	size_t nev;
	pd_span *pers;		/* people named, in text order (person_window) */
	size_t npers;
	size_t pers_done;	/* every person starting before this is in pers */
	pcre2_match_data *pers_md;
	pd_rec *recs;		/* record tables, computed on first need */
	size_t nrecs;
	bool recs_done;
	size_t col_done;	/* column keywords looked for up to here */
	size_t col_kw;		/* end of the last column keyword, if col_have */
	size_t col_blank;	/* end of the last blank line seen */
	bool col_have;
	unsigned long rows;	/* kind = table: data rows found */
	bool limit;		/* a PCRE2 limit was hit */
} pd_scan;

/* ---- validators ---------------------------------------------------- */

bool eng_pd_mynumber_ok(const char *d, size_t n)
{
	unsigned sum = 0, r;
	bool all_zero = true;

	if (n != 12)
		return false;
	for (size_t i = 0; i < 12; i++)
		all_zero &= d[i] == '0';
	/* 000000000000 passes the formula but is a placeholder. */
	if (all_zero)
		return false;
	/* P1..P11 counted from the right: P_n is d[11 - n]. */
	for (unsigned k = 1; k <= 11; k++) {
		unsigned q = k <= 6 ? k + 1 : k - 5;
		sum += (unsigned)(d[11 - k] - '0') * q;
	}
	r = sum % 11;
	return (unsigned)(d[11] - '0') == (r <= 1 ? 0 : 11 - r);
}

bool eng_pd_luhn_ok(const char *d, size_t n)
{
	unsigned sum = 0;

	if (n < 2)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned v = (unsigned)(d[n - 1 - i] - '0');
		if (i % 2 == 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

static unsigned pd_prefix(const char *d, size_t k)
{
	unsigned v = 0;

	for (size_t i = 0; i < k; i++)
		v = v * 10 + (unsigned)(d[i] - '0');
	return v;
}

/* Issuer prefixes and lengths of the brands used in Japan. */
bool eng_pd_card_ok(const char *d, size_t n)
{
	unsigned p2, p3, p4;
	bool ok;

	if (n < 13 || n > 19 || !eng_pd_luhn_ok(d, n))
		return false;
	p2 = pd_prefix(d, 2);
	p3 = pd_prefix(d, 3);
	p4 = pd_prefix(d, 4);
	ok = (d[0] == '4' && (n == 13 || n == 16 || n == 19)) ||	/* Visa */
	     (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && n == 16) ||
	     ((p2 == 34 || p2 == 37) && n == 15) ||			/* Amex */
	     (p4 >= 3528 && p4 <= 3589 && n >= 16) ||			/* JCB */
	     (((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39) &&
	      n >= 14) ||						/* Diners */
	     ((p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649)) && n >= 16) ||
	     (p2 == 62 && n >= 16);					/* UnionPay */
	return ok;
}

/* ---- text helpers --------------------------------------------------- */

static size_t pd_back(const char *t, size_t i, unsigned long n)
{
	while (n > 0 && i > 0) {
		i--;
		while (i > 0 && ((unsigned char)t[i] & 0xC0) == 0x80)
			i--;
		n--;
	}
	return i;
}

static size_t pd_fwd(const char *t, size_t len, size_t i, unsigned long n)
{
	while (n > 0 && i < len) {
		i++;
		while (i < len && ((unsigned char)t[i] & 0xC0) == 0x80)
			i++;
		n--;
	}
	return i;
}

static void pd_digits(const char *s, size_t n, sg_buf *out)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= '0' && s[i] <= '9')
			sg_buf_putc(out, s[i]);
}

/* One PCRE2 match from off within [0, len); rc of pcre2_match. Any
 * result but a match or "no match" (match, depth, heap or JIT-stack
 * limit, no memory, an internal error) is remembered: the detector
 * then reports a scan limit, never "nothing found". */
static int pd_match(pd_scan *sc, const pcre2_code *re, size_t len, size_t off,
		    pcre2_match_data *md)
{
	int rc = pcre2_match(re, (PCRE2_SPTR)sc->text, len, off,
			     PCRE2_NO_UTF_CHECK, md, sc->ctx->eng->mctx);

	if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
		sc->limit = true;
	return rc;
}

/* Next search offset after a match: past it, or one character on. */
static size_t pd_next(const char *t, size_t len, const PCRE2_SIZE *ov)
{
	if (ov[1] > ov[0])
		return ov[1];
	return pd_fwd(t, len, ov[1], 1) + (ov[1] >= len);
}

/* ---- masks ------------------------------------------------------------ */

static void pd_mask_grouped(const char *d, size_t n, size_t keep, sg_buf *out)
{
	/* Grouped in fours from the right: "**** **** **** 1234". */
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 4 == 0)
			sg_buf_putc(out, ' ');
		sg_buf_putc(out, i >= n - keep ? d[i] : '*');
	}
}

static void pd_mask_tail(const char *s, size_t n, size_t keep, sg_buf *out)
{
	size_t digits = 0, seen = 0;

	for (size_t i = 0; i < n; i++)
		digits += s[i] >= '0' && s[i] <= '9';
	for (size_t i = 0; i < n; i++) {
		bool dg = s[i] >= '0' && s[i] <= '9';
		if (dg)
			seen++;
		sg_buf_putc(out, dg && seen + keep <= digits ? '*' : s[i]);
	}
}

/* Each run of digits, and 元 (元年), becomes "**". */
static void pd_mask_date(const char *s, size_t n, sg_buf *out)
{
	for (size_t i = 0; i < n;) {
		if (s[i] >= '0' && s[i] <= '9') {
			while (i < n && s[i] >= '0' && s[i] <= '9')
				i++;
			sg_buf_puts(out, "**");
		} else if (n - i >= 3 && memcmp(s + i, "元", 3) == 0) {
			sg_buf_puts(out, "**");
			i += 3;
		} else {
			sg_buf_putc(out, s[i++]);
		}
	}
}

static void pd_mask(const eng_pd_rule *r, const char *s, size_t n,
		    const char *digits, size_t nd, sg_buf *out)
{
	char *addr;

	switch (r->mask) {
	case ENG_PD_MASK_MYNUMBER:
		if (nd == 12) {
			sg_buf_printf(out, "%.4s **** **%.2s", digits, digits + 10);
			break;
		}
		pd_mask_grouped(digits, nd, 2, out);
		break;
	case ENG_PD_MASK_CARD:
		pd_mask_grouped(digits, nd, nd > 12 ? 4 : 0, out);
		break;
	case ENG_PD_MASK_LAST2:
	case ENG_PD_MASK_LAST4:
		pd_mask_tail(s, n, r->mask == ENG_PD_MASK_LAST2 ? 2 : 4, out);
		break;
	case ENG_PD_MASK_DATE:
		pd_mask_date(s, n, out);
		break;
	case ENG_PD_MASK_ADDRESS:
		addr = sg_xstrndup(s, n);
		eng_mask_address(addr, out);
		free(addr);
		break;
	case ENG_PD_MASK_NONE:
		sg_buf_append(out, s, n);
		break;
	}
}

/* ---- instances --------------------------------------------------------- */

/* Keywords are looked for only around instances: most text has none,
 * and a keyword pattern (a name with 様) run over a whole 10 MB text
 * would cost as much as all the detectors. Each part of the text is
 * searched once, in order; the subject ends a little past the window
 * so that a keyword starting in it is read whole. */
#define ENG_PD_KW_SLACK 64

static void pd_keywords_upto(pd_scan *sc, size_t lo, size_t hi)
{
	size_t from, end, off;

	if (sc->r->kw_re == NULL || hi <= sc->kw_done)
		return;
	/* A keyword may start before the window and reach into it. */
	from = pd_back(sc->text, lo, ENG_PD_KW_SLACK);
	if (from < sc->kw_done)
		from = sc->kw_done;
	end = pd_fwd(sc->text, sc->len, hi, ENG_PD_KW_SLACK);
	if (sc->kw_md == NULL)
		sc->kw_md = pcre2_match_data_create_from_pattern(sc->r->kw_re, NULL);
	off = from;
	while (off <= end && sc->nkws < ENG_PD_MAX_KEYWORDS) {
		PCRE2_SIZE *ov;

		if (pd_match(sc, sc->r->kw_re, end, off, sc->kw_md) < 0)
			break;
		ov = pcre2_get_ovector_pointer(sc->kw_md);
		if (ov[0] >= hi)
			break;	/* found again by the next window */
		if (sc->nkws % 256 == 0)
			sc->kws = sg_xreallocarray(sc->kws, sc->nkws + 256, sizeof(pd_span));
		sc->kws[sc->nkws].s = ov[0];
		sc->kws[sc->nkws++].e = ov[1];
		off = pd_next(sc->text, sc->len, ov);
	}
	sc->kw_done = off > hi ? off : hi;
}

static bool pd_keyword_near(pd_scan *sc, size_t s, size_t e)
{
	size_t lo = pd_back(sc->text, s, sc->r->window);
	size_t hi = pd_fwd(sc->text, sc->len, e, sc->r->window);
	size_t a = 0, b;

	pd_keywords_upto(sc, lo, hi);
	b = sc->nkws;
	/* First keyword ending after lo (ends are in order too). */
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (sc->kws[m].e <= lo)
			a = m + 1;
		else
			b = m;
	}
	return a < sc->nkws && sc->kws[a].s < hi;
}

/* An instance right after 法人番号, ISBN... is something else. */
static bool pd_after_excluded(pd_scan *sc, size_t s, pcre2_match_data *md)
{
	size_t lo;

	if (sc->r->not_after == NULL || s == 0)
		return false;
	lo = pd_back(sc->text, s, ENG_PD_NOT_AFTER_CHARS);
	return pd_match(sc, sc->r->not_after, s, lo, md) >= 0;
}

/* A date followed by から, 〜 or まで opens a range, not a birth. */
#define ENG_PD_NOT_BEFORE_CHARS 16

static bool pd_before_excluded(pd_scan *sc, size_t e, pcre2_match_data *md)
{
	size_t hi;

	if (sc->r->not_before == NULL)
		return false;
	hi = pd_fwd(sc->text, sc->len, e, ENG_PD_NOT_BEFORE_CHARS);
	return pcre2_match(sc->r->not_before, (PCRE2_SPTR)sc->text, hi, e,
			   PCRE2_NO_UTF_CHECK | PCRE2_ANCHORED, md,
			   sc->ctx->eng->mctx) >= 0;
}

/* Line bounds around [s, e), at most ENG_PD_LINE_CHARS either way. */
#define ENG_PD_LINE_CHARS 200

static void pd_line_bounds(const pd_scan *sc, size_t s, size_t e, size_t *ls,
			   size_t *le)
{
	size_t lo = pd_back(sc->text, s, ENG_PD_LINE_CHARS);
	size_t hi = pd_fwd(sc->text, sc->len, e, ENG_PD_LINE_CHARS);
	const char *nl;

	*ls = s;
	while (*ls > lo && sc->text[*ls - 1] != '\n')
		(*ls)--;
	nl = memchr(sc->text + e, '\n', hi - e);
	*le = nl ? (size_t)(nl - sc->text) : hi;
}

static bool pd_person_in(pd_scan *sc, size_t lo, size_t hi);

/* not_in_line: an instance on a line that names a facility or a
 * statistic is not one, unless the line names a person too (a roster
 * of 庁舎 and 図書館 numbers is not a roster of people). */
static bool pd_line_excluded(pd_scan *sc, size_t s, size_t e,
			     pcre2_match_data *md)
{
	size_t ls, le;

	if (sc->r->not_in_line == NULL)
		return false;
	pd_line_bounds(sc, s, e, &ls, &le);
	if (pd_match(sc, sc->r->not_in_line, le, ls, md) < 0)
		return false;
	return !pd_person_in(sc, ls, le);
}

/* ---- people -------------------------------------------------------- */

static void pd_add_person(pd_scan *sc, size_t s, size_t e)
{
	if (sc->npers >= ENG_PD_MAX_KEYWORDS)
		return;
	if (sc->npers % 256 == 0)
		sc->pers = sg_xreallocarray(sc->pers, sc->npers + 256, sizeof(pd_span));
	sc->pers[sc->npers].s = s;
	sc->pers[sc->npers++].e = e;
}

static int pd_span_cmp(const void *a, const void *b)
{
	const pd_span *x = a, *y = b;

	return x->s < y->s ? -1 : x->s > y->s;
}

/* People named in [lo, hi), each part of the text read once, as for
 * keywords: names (eng_pd_person.c) and the rule's person_pattern. */
static void pd_persons_upto(pd_scan *sc, size_t lo, size_t hi)
{
	size_t from, end, off, first = sc->npers, ps, pe;

	if (hi <= sc->pers_done)
		return;
	from = pd_back(sc->text, lo, ENG_PD_KW_SLACK);
	if (from < sc->pers_done)
		from = sc->pers_done;
	end = pd_fwd(sc->text, sc->len, hi, ENG_PD_KW_SLACK);
	off = from;
	while (off < hi && sc->npers < ENG_PD_MAX_KEYWORDS &&
	       eng_pd_person_next(sc->ctx->eng, sc->text, end, off, hi, &ps, &pe)) {
		pd_add_person(sc, ps, pe);
		off = pe > ps ? pe : ps + 1;
	}
	if (sc->r->person_re) {
		if (sc->pers_md == NULL)
			sc->pers_md = pcre2_match_data_create_from_pattern(sc->r->person_re, NULL);
		off = from;
		while (off <= end && sc->npers < ENG_PD_MAX_KEYWORDS) {
			PCRE2_SIZE *ov;

			if (pd_match(sc, sc->r->person_re, end, off, sc->pers_md) < 0)
				break;
			ov = pcre2_get_ovector_pointer(sc->pers_md);
			if (ov[0] >= hi)
				break;
			pd_add_person(sc, ov[0], ov[1]);
			off = pd_next(sc->text, sc->len, ov);
		}
	}
	if (sc->npers > first)
		qsort(sc->pers + first, sc->npers - first, sizeof(pd_span), pd_span_cmp);
	sc->pers_done = hi;
}

/* Whether a person is named in [lo, hi). Spans are sorted by start;
 * a name is short, so one ending in the range starts at most a line
 * before it. */
static bool pd_person_in(pd_scan *sc, size_t lo, size_t hi)
{
	size_t a = 0, b;

	pd_persons_upto(sc, lo, hi);
	b = sc->npers;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (sc->pers[m].s < lo)
			a = m + 1;
		else
			b = m;
	}
	/* One that starts a little before lo and reaches into it. */
	if (a > 0 && sc->pers[a - 1].e > lo)
		return true;
	return a < sc->npers && sc->pers[a].s < hi;
}

static void pd_records(pd_scan *sc);

static const pd_rec *pd_record_at(pd_scan *sc, size_t s)
{
	size_t a = 0, b;

	if (!sc->recs_done)
		pd_records(sc);
	b = sc->nrecs;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (sc->recs[m].e <= s)
			a = m + 1;
		else
			b = m;
	}
	return a < sc->nrecs && sc->recs[a].s <= s ? &sc->recs[a] : NULL;
}

static bool pd_record_kw(pd_scan *sc, size_t s)
{
	const pd_rec *rec;

	if (sc->r->person_window == 0)
		return false;
	rec = pd_record_at(sc, s);
	return rec && rec->kw;
}

/* How far below a column header (a cell that is the keyword alone:
 * 生年月日 over a column of dates) its values are read as that field,
 * in bytes: a page of a table. A blank line ends the table sooner. */
#define ENG_PD_COLUMN_REACH 3000

static bool pd_cell_edge(const char *t, size_t len, size_t i, bool before)
{
	unsigned char c;

	if (before ? i == 0 : i >= len)
		return true;
	c = (unsigned char)t[before ? i - 1 : i];
	return c == '\n' || c == '\t' || c == '|' || c == ',' || c == ' ' ||
	       (!before && (c == '(' || c == '\r'));
}

/*
 * A column header of the rule's keyword above s: a keyword that is a
 * whole cell (between line starts, tabs, '|', commas or blanks), at
 * most ENG_PD_COLUMN_REACH bytes before s with no blank line between.
 * A table whose rows are broken over lines (PDF text of a spreadsheet:
 * "生年月日" on its own line, the dates lines below) is not a record
 * table, but its dates are still that column's. Instances come in text
 * order, so the text is searched once, forward (col_done).
 */
static bool pd_column_kw(pd_scan *sc, size_t s, pcre2_match_data *md)
{
	size_t from, off;

	if (sc->r->kw_re == NULL || sc->r->person_window == 0)
		return false;
	from = s > ENG_PD_COLUMN_REACH ? s - ENG_PD_COLUMN_REACH : 0;
	if (from < sc->col_done)
		from = sc->col_done;
	for (size_t i = from; i + 1 < s; i++) {
		const char *nl = memchr(sc->text + i, '\n', s - 1 - i);

		if (nl == NULL)
			break;
		i = (size_t)(nl - sc->text);
		/* "\n\n", or a line of blanks only */
		for (size_t j = i + 1; j < s && strchr(" \t\r\n", sc->text[j]); j++)
			if (sc->text[j] == '\n') {
				sc->col_blank = j + 1;
				break;
			}
	}
	off = from;
	while (off < s) {
		PCRE2_SIZE *ov;

		if (pd_match(sc, sc->r->kw_re, s, off, md) < 0)
			break;
		ov = pcre2_get_ovector_pointer(md);
		if (pd_cell_edge(sc->text, sc->len, ov[0], true) &&
		    pd_cell_edge(sc->text, sc->len, ov[1], false)) {
			sc->col_kw = ov[1];
			sc->col_have = true;
		}
		off = pd_next(sc->text, sc->len, ov);
	}
	sc->col_done = s > sc->col_done ? s : sc->col_done;
	return sc->col_have && sc->col_kw >= sc->col_blank &&
	       s - sc->col_kw <= ENG_PD_COLUMN_REACH;
}

/* About a person: a row of a record table, or a person named within
 * person_window characters. */
static bool pd_person_near(pd_scan *sc, size_t s, size_t e)
{
	if (pd_record_at(sc, s))
		return true;
	return pd_person_in(sc, pd_back(sc->text, s, sc->r->person_window),
			    pd_fwd(sc->text, sc->len, e, sc->r->person_window));
}

static bool pd_validate(const eng_pd_rule *r, const char *d, size_t n)
{
	switch (r->validator) {
	case ENG_PD_VAL_MYNUMBER:
		return eng_pd_mynumber_ok(d, n);
	case ENG_PD_VAL_LUHN:
		return eng_pd_luhn_ok(d, n);
	case ENG_PD_VAL_CARD:
		return eng_pd_card_ok(d, n);
	case ENG_PD_VAL_NONE:
		break;
	}
	return true;
}

/* The identity of an instance: its digits when it has any (so that
 * "1234-5678-9012" and "123456789012" are one), else its text. */
static char *pd_key(const eng_pd_rule *r, const char *s, size_t n,
		    const sg_buf *digits)
{
	char *k;

	if (digits->len > 0 && r->mask != ENG_PD_MASK_ADDRESS &&
	    r->mask != ENG_PD_MASK_DATE)
		return sg_xstrdup(sg_buf_cstr(digits));
	k = sg_xstrndup(s, n);
	for (char *p = k; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return k;
}

static void pd_example(pd_scan *sc, const char *key, const char *s, size_t n,
		       const sg_buf *digits)
{
	if (sc->nev >= ENG_PD_EXAMPLES)
		return;
	for (size_t i = 0; i < sc->nev; i++)
		if (strcmp(sc->ev_keys[i], key) == 0)
			return;
	sc->ev_keys[sc->nev++] = sg_xstrdup(key);
	if (sc->ev.len)
		sg_buf_puts(&sc->ev, ", ");
	pd_mask(sc->r, s, n, sg_buf_cstr(digits), digits->len, &sc->ev);
}

static void pd_add_instance(pd_scan *sc, size_t s, size_t e, pcre2_match_data *md)
{
	const eng_pd_rule *r = sc->r;
	sg_buf digits;
	bool kw;

	sg_buf_init(&digits, 64);
	pd_digits(sc->text + s, e - s, &digits);
	if ((r->kind == ENG_PD_VALIDATED &&
	     !pd_validate(r, sg_buf_cstr(&digits), digits.len)) ||
	    pd_after_excluded(sc, s, md)) {
		sg_buf_free(&digits);
		return;
	}
	if (pd_before_excluded(sc, e, md) || pd_line_excluded(sc, s, e, md)) {
		sg_buf_free(&digits);
		return;
	}
	kw = r->kind != ENG_PD_ROSTER && (pd_keyword_near(sc, s, e) ||
					  pd_record_kw(sc, s) ||
					  pd_column_kw(sc, s, md));
	if ((r->kind == ENG_PD_KEYWORD && !kw && r->kw_re != NULL) ||
	    (r->person_window && !pd_person_near(sc, s, e))) {
		/* POLICY.md: without a validator, never without a keyword;
		 * special-care and birth dates only about a person. */
		sg_buf_free(&digits);
		return;
	}
	if (sc->ninst == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 16;
		sc->inst = sg_xreallocarray(sc->inst, sc->cap, sizeof(pd_inst));
	}
	sc->inst[sc->ninst].key = pd_key(r, sc->text + s, e - s, &digits);
	sc->inst[sc->ninst].kw = kw;
	pd_example(sc, sc->inst[sc->ninst].key, sc->text + s, e - s, &digits);
	sc->ninst++;
	sg_buf_free(&digits);
}

static void pd_collect_instances(pd_scan *sc)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(sc->r->re, NULL);
	pcre2_match_data *md2 = pcre2_match_data_create(4, NULL);
	size_t off = 0, n = 0;

	while (off <= sc->len && n++ < ENG_PD_MAX_MATCHES) {
		PCRE2_SIZE *ov;

		if (pd_match(sc, sc->r->re, sc->len, off, md) < 0)
			break;
		ov = pcre2_get_ovector_pointer(md);
		if (ov[1] > ov[0])
			pd_add_instance(sc, ov[0], ov[1], md2);
		off = pd_next(sc->text, sc->len, ov);
	}
	pcre2_match_data_free(md);
	pcre2_match_data_free(md2);
}

static int pd_inst_cmp(const void *a, const void *b)
{
	return strcmp(((const pd_inst *)a)->key, ((const pd_inst *)b)->key);
}

/* Distinct instances; *any_kw when one of them has a keyword. */
static unsigned long pd_distinct(pd_scan *sc, bool *any_kw)
{
	unsigned long n = 0;

	*any_kw = false;
	if (sc->ninst == 0)
		return 0;
	qsort(sc->inst, sc->ninst, sizeof(pd_inst), pd_inst_cmp);
	for (size_t i = 0; i < sc->ninst; i++) {
		*any_kw |= sc->inst[i].kw;
		if (i == 0 || strcmp(sc->inst[i].key, sc->inst[i - 1].key) != 0)
			n++;
	}
	return n;
}

/* ---- tables ------------------------------------------------------------ */

typedef struct pd_cell {
	const char *s;
	size_t n;
} pd_cell;

/* Whether a line has a Latin letter: words of English (or romaji)
 * are separated by single spaces, Japanese words are not. */
static bool pd_has_latin(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] | 0x20) >= 'a' && ((unsigned char)s[i] | 0x20) <= 'z')
			return true;
	return false;
}

/* Whether s[i] ends a cell: the separator; a space only in a run of
 * two or more unless `single`. */
static bool pd_is_sep(const char *s, size_t n, size_t i, char sep, bool single)
{
	if (s[i] != sep)
		return false;
	if (single)
		return true;
	return (i + 1 < n && s[i + 1] == ' ') || (i > 0 && s[i - 1] == ' ');
}

/* Splits a line into cells at tabs, commas or '|' (the first of these
 * present; an HTML table's cells arrive tab-separated), else at runs of
 * two or more spaces. A single space separates cells only in a line
 * without Latin letters, where it is a column break (a full-width space
 * after NFKC) and not the gap between two words: "Your name and email
 * address will not be shared." is prose, not a table with the columns
 * name and address (issue 13). Cells trimmed, quotes removed. */
static size_t pd_cells(const char *s, size_t n, pd_cell *cells, size_t max)
{
	char sep = memchr(s, '\t', n) ? '\t' : memchr(s, ',', n) ? ',' :
		   memchr(s, '|', n) ? '|' : ' ';
	bool single = sep != ' ' || !pd_has_latin(s, n);
	size_t nc = 0, i = 0;

	while (i <= n && nc < max) {
		size_t a = i, b;

		while (i < n && !pd_is_sep(s, n, i, sep, single))
			i++;
		b = i;
		while (a < b && (s[a] == ' ' || s[a] == '"'))
			a++;
		while (b > a && (s[b - 1] == ' ' || s[b - 1] == '"'))
			b--;
		if (b > a || sep != ' ') {
			cells[nc].s = s + a;
			cells[nc++].n = b - a;
		}
		i++;
	}
	return nc;
}

/* A column of counts or rates ("利用者数", "メール件数", "回答率"):
 * a statistic, not a personal field. */
static bool pd_count_cell(const pd_cell *c)
{
	return c->n >= 3 && (memcmp(c->s + c->n - 3, "数", 3) == 0 ||
			     memcmp(c->s + c->n - 3, "率", 3) == 0);
}

/* Index of the keyword this header cell names, or -1. */
static long pd_header_field(const eng_pd_rule *r, const pd_cell *c)
{
	if (pd_count_cell(c))
		return -1;
	for (size_t k = 0; k < r->nkeywords; k++) {
		size_t kl = strlen(r->keywords[k]);
		if (c->n >= kl && c->n <= kl + ENG_PD_HEADER_SLACK &&
		    strncasecmp(c->s, r->keywords[k], kl) == 0)
			return (long)k;
	}
	return -1;
}

/* Header cells naming distinct personal fields; names go to ev. */
static unsigned long pd_header(const eng_pd_rule *r, const pd_cell *cells,
			       size_t nc, sg_buf *ev)
{
	unsigned long n = 0;
	long seen[ENG_PD_MAX_CELLS];

	for (size_t i = 0; i < nc; i++) {
		long k = pd_header_field(r, &cells[i]);
		bool dup = false;

		for (unsigned long j = 0; j < n && k >= 0; j++)
			dup |= seen[j] == k;
		if (k < 0 || dup)
			continue;
		seen[n++] = k;
		if (ev) {
			sg_buf_puts(ev, ev->len ? ", " : "");
			sg_buf_append(ev, cells[i].s, cells[i].n);
		}
	}
	return n;
}

static size_t pd_line_end(const char *t, size_t len, size_t i)
{
	const char *nl = memchr(t + i, '\n', len - i);
	return nl ? (size_t)(nl - t) : len;
}

/* Rows under a header at line [s, e): lines with two or more cells,
 * up to an empty line. */
static unsigned long pd_data_rows(const char *t, size_t len, size_t e,
				  size_t *after)
{
	unsigned long rows = 0;
	pd_cell cells[ENG_PD_MAX_CELLS];
	size_t i = e < len ? e + 1 : len;

	while (i < len && rows < ENG_PD_MAX_LINES) {
		size_t le = pd_line_end(t, len, i);
		size_t nc = pd_cells(t + i, le - i, cells, ENG_PD_MAX_CELLS);
		size_t filled = 0;

		for (size_t c = 0; c < nc; c++)
			filled += cells[c].n > 0;
		if (filled < 2)
			break;
		rows++;
		i = le + 1;
	}
	*after = i;
	return rows;
}

static void pd_tables(pd_scan *sc)
{
	pd_cell cells[ENG_PD_MAX_CELLS];
	unsigned long need = sc->r->min_count ? sc->r->min_count : 2, rows = 0;
	size_t i = 0, lines = 0;

	while (i < sc->len && lines++ < ENG_PD_MAX_LINES) {
		size_t le = pd_line_end(sc->text, sc->len, i), after;
		size_t nc = pd_cells(sc->text + i, le - i, cells, ENG_PD_MAX_CELLS);
		unsigned long r;

		if (nc >= 2 && pd_header(sc->r, cells, nc, NULL) >= need &&
		    (r = pd_data_rows(sc->text, sc->len, le, &after)) > 0) {
			if (rows == 0)
				pd_header(sc->r, cells, nc, &sc->ev);
			rows += r;
			i = after;
			continue;
		}
		i = le + 1;
	}
	if (rows)
		sg_buf_printf(&sc->ev, " (%lu 行 rows)", rows);
	sc->rows = rows;
}

/* Header cells that name a person column. */
static const char *const pd_name_headers[] = { "氏名", "名前", "お名前",
	"フリガナ", "ふりがな", "Name", "世帯主", "児童名", "利用者名", "対象者名",
	"患者名", "受給者名", "申請者名", "被保険者名", "対象者", "利用者", "申請者",
	"相談者", "患者", "受給者", "被保険者", "職員名", "生徒名" };

static bool pd_name_cell(const pd_cell *c)
{
	for (size_t k = 0; k < sizeof(pd_name_headers) / sizeof(pd_name_headers[0]); k++) {
		size_t kl = strlen(pd_name_headers[k]);
		if (c->n >= kl && c->n <= kl + ENG_PD_HEADER_SLACK &&
		    strncasecmp(c->s, pd_name_headers[k], kl) == 0)
			return true;
	}
	return false;
}

static bool pd_kw_cell(pd_scan *sc, const pd_cell *c, pcre2_match_data *md)
{
	int rc;

	if (sc->r->kw_re == NULL || c->n == 0 || c->n > 64)
		return false;
	rc = pcre2_match(sc->r->kw_re, (PCRE2_SPTR)c->s, c->n, 0,
			 PCRE2_NO_UTF_CHECK, md, sc->ctx->eng->mctx);
	return rc >= 0;
}

/* A title line above the header reads like a header (受給者一覧 has a
 * name word): the first lines of a record are read as headers too, so
 * that the real header under a title gives the record its columns. */
#define ENG_PD_TITLE_LINES 3

/* Record tables: a header row with a name column and the data rows
 * under it (the header row included: 病名 in it is about the rows). */
static void pd_records(pd_scan *sc)
{
	pd_cell cells[ENG_PD_MAX_CELLS];
	pcre2_match_data *md = pcre2_match_data_create(4, NULL);
	size_t i = 0, lines = 0, cap = 0, inrec = 0;

	sc->recs_done = true;
	while (i < sc->len && lines++ < ENG_PD_MAX_LINES) {
		size_t le = pd_line_end(sc->text, sc->len, i), after;
		size_t nc = pd_cells(sc->text + i, le - i, cells, ENG_PD_MAX_CELLS);
		pd_rec *last = sc->nrecs ? &sc->recs[sc->nrecs - 1] : NULL;
		bool name = false, kw = false, within = last && i < last->e;

		if (within && inrec++ >= ENG_PD_TITLE_LINES) {
			/* Past a record's first lines: the rest is its rows
			 * (each line is read once; no quadratic rescans). */
			i = last->e;
			continue;
		}
		for (size_t c = 0; c < nc && nc >= 2; c++) {
			name |= pd_name_cell(&cells[c]);
			kw |= pd_kw_cell(sc, &cells[c], md);
		}
		if (name && pd_data_rows(sc->text, sc->len, le, &after) > 0) {
			if (within) {
				/* One record: the title's and this header's. */
				if (after > last->e)
					last->e = after;
				last->kw |= kw;
			} else {
				if (sc->nrecs == cap) {
					cap = cap ? cap * 2 : 8;
					sc->recs = sg_xreallocarray(sc->recs, cap, sizeof(pd_rec));
				}
				sc->recs[sc->nrecs].s = i;
				sc->recs[sc->nrecs].e = after;
				sc->recs[sc->nrecs++].kw = kw;
				inrec = 1;
			}
		}
		i = le + 1;
	}
	pcre2_match_data_free(md);
}

/* ---- values in two columns ---------------------------------------------- */

/* Whether header cell c is the heading h (plus a little: "記号(5桁)"). */
static bool pd_heading(const pd_cell *c, const char *h)
{
	size_t hl = strlen(h);

	return c->n >= hl && c->n <= hl + ENG_PD_HEADER_SLACK &&
	       strncasecmp(c->s, h, hl) == 0;
}

/* An instance made of two cells of a row (sc->r's pattern must match
 * the whole "A-B"); the headings are its keyword. [ls, le) is the row,
 * for a rule that needs a person. */
static void pd_add_pair(pd_scan *sc, const pd_cell *a, const pd_cell *b,
			size_t ls, size_t le, pcre2_match_data *md)
{
	const eng_pd_rule *r = sc->r;
	sg_buf v, digits;
	PCRE2_SIZE *ov;

	if (a->n == 0 || b->n == 0 || a->n + b->n > 64)
		return;
	sg_buf_init(&v, 160);
	sg_buf_append(&v, a->s, a->n);
	sg_buf_putc(&v, '-');
	sg_buf_append(&v, b->s, b->n);
	if (pcre2_match(r->re, (PCRE2_SPTR)v.data, v.len, 0, PCRE2_NO_UTF_CHECK, md,
			sc->ctx->eng->mctx) < 0 ||
	    (ov = pcre2_get_ovector_pointer(md), ov[0] != 0 || ov[1] != v.len)) {
		sg_buf_free(&v);
		return;
	}
	sg_buf_init(&digits, 64);
	pd_digits(v.data, v.len, &digits);
	if ((r->kind == ENG_PD_VALIDATED && !pd_validate(r, sg_buf_cstr(&digits), digits.len)) ||
	    (r->person_window && !pd_person_near(sc, ls, le))) {
		sg_buf_free(&digits);
		sg_buf_free(&v);
		return;
	}
	if (sc->ninst == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 16;
		sc->inst = sg_xreallocarray(sc->inst, sc->cap, sizeof(pd_inst));
	}
	sc->inst[sc->ninst].key = pd_key(r, v.data, v.len, &digits);
	sc->inst[sc->ninst].kw = true;
	pd_example(sc, sc->inst[sc->ninst].key, v.data, v.len, &digits);
	sc->ninst++;
	sg_buf_free(&digits);
	sg_buf_free(&v);
}

/*
 * columns = A, B: a header row with a cell A and a cell B (記号 and 番号
 * of a Japan Post account in columns of their own: a CSV, a spreadsheet,
 * a table in a document or a PDF) makes, in each data row under it,
 * the value under A and the value under B one instance "A-B", as if it
 * had been written 12345-1234567. Rows are lines with two cells or more,
 * as for tables; each line is read at most twice.
 */
static void pd_column_pairs(pd_scan *sc)
{
	pd_cell cells[ENG_PD_MAX_CELLS];
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(sc->r->re, NULL);
	size_t i = 0, lines = 0;
	long ca = -1, cb = -1;	/* the columns, while under a header */

	while (i < sc->len && lines++ < ENG_PD_MAX_LINES && sc->ninst < ENG_PD_MAX_MATCHES) {
		size_t le = pd_line_end(sc->text, sc->len, i), filled = 0;
		size_t nc = pd_cells(sc->text + i, le - i, cells, ENG_PD_MAX_CELLS);
		long a = -1, b = -1;

		for (size_t c = 0; c < nc; c++) {
			filled += cells[c].n > 0;
			if (a < 0 && pd_heading(&cells[c], sc->r->columns[0]))
				a = (long)c;
			else if (b < 0 && pd_heading(&cells[c], sc->r->columns[1]))
				b = (long)c;
		}
		if (a >= 0 && b >= 0) {
			ca = a;
			cb = b;
		} else if (filled < 2) {
			ca = cb = -1;
		} else if (ca >= 0 && (size_t)ca < nc && (size_t)cb < nc) {
			pd_add_pair(sc, &cells[ca], &cells[cb], i, le, md);
		}
		i = le + 1;
	}
	pcre2_match_data_free(md);
}

/* ---- grading and the finding ------------------------------------------- */

static const char *pd_conf_name(int c)
{
	return c == ENG_CONF_HIGH ? "高 high" : c == ENG_CONF_MEDIUM ?
	       "中 medium" : "低 low";
}

static int pd_grade(pd_scan *sc, unsigned long *count)
{
	const eng_pd_rule *r = sc->r;
	bool any_kw;
	unsigned long min;

	if (r->kind == ENG_PD_TABLE) {
		*count = sc->rows;
		return *count ? ENG_CONF_MEDIUM : ENG_CONF_NONE;
	}
	*count = pd_distinct(sc, &any_kw);
	min = r->min_count ? r->min_count : r->kind == ENG_PD_ROSTER ? 10 : 1;
	if (*count == 0 || *count < min)
		return ENG_CONF_NONE;
	if (r->kind != ENG_PD_VALIDATED)
		return ENG_CONF_MEDIUM;
	if (any_kw)
		return ENG_CONF_HIGH;
	return *count >= 2 ? ENG_CONF_MEDIUM : ENG_CONF_LOW;
}

/* One finding per detector and place: a second text with the same
 * where (the HTML alternative of a plain body) keeps the larger count. */
static void pd_report(pd_scan *sc, unsigned long count, int conf)
{
	eng_result *res = sc->ctx->res;
	sg_buf ev;

	for (size_t i = 0; i < res->nfindings; i++) {
		eng_finding *f = &res->findings[i];
		if (f->cat == ENG_CAT_PERSONAL && strcmp(f->rule, sc->r->id) == 0 &&
		    strcmp(f->where, sc->where) == 0) {
			if (count > f->count)
				f->count = count;
			return;
		}
	}
	sg_buf_init(&ev, SG_BUF_UNLIMITED);
	sg_buf_printf(&ev, "%s (確度 confidence: %s)", sg_buf_cstr(&sc->ev),
		      pd_conf_name(conf));
	eng_add_finding(res, ENG_CAT_PERSONAL, sc->r->id, sc->r->label_ja,
			sc->r->label_en, sc->where, count, sg_buf_cstr(&ev),
			sc->ctx->eng->actions[ENG_CAT_PERSONAL]);
	sg_buf_free(&ev);
}

static bool pd_excluded(pd_scan *sc)
{
	pcre2_match_data *md;
	bool hit;

	if (sc->r->exclude == NULL)
		return false;
	md = pcre2_match_data_create(4, NULL);
	hit = pd_match(sc, sc->r->exclude, sc->len, 0, md) >= 0;
	pcre2_match_data_free(md);
	return hit;
}

static void pd_scan_free(pd_scan *sc)
{
	for (size_t i = 0; i < sc->ninst; i++)
		free(sc->inst[i].key);
	free(sc->inst);
	free(sc->kws);
	if (sc->kw_md)
		pcre2_match_data_free(sc->kw_md);
	free(sc->pers);
	free(sc->recs);
	if (sc->pers_md)
		pcre2_match_data_free(sc->pers_md);
	for (size_t i = 0; i < sc->nev; i++)
		free(sc->ev_keys[i]);
	sg_buf_free(&sc->ev);
}

static void pd_rule_scan(eng_ctx *ctx, const eng_pd_rule *r, const char *text,
			 size_t len, const char *where)
{
	pd_scan sc = { 0 };
	unsigned long count = 0;
	int conf;

	sc.ctx = ctx;
	sc.r = r;
	sc.text = text;
	sc.len = len;
	sc.where = where;
	sg_buf_init(&sc.ev, 4096);
	if (!pd_excluded(&sc)) {
		if (r->kind == ENG_PD_TABLE) {
			pd_tables(&sc);
		} else {
			pd_collect_instances(&sc);
			if (r->columns[0])
				pd_column_pairs(&sc);
		}
	}
	conf = pd_grade(&sc, &count);
	if (conf != ENG_CONF_NONE && conf >= ctx->eng->pd_min_conf)
		pd_report(&sc, count, conf);
	if (sc.limit)
		eng_scan_limit(ctx, "pattern-limit",
			       "個人情報の検査が複雑すぎて終わりませんでした",
			       "Personal-data scan hit its match limit", where, r->id);
	pd_scan_free(&sc);
}

/* ---- the signature ----------------------------------------------------- */

static bool pd_is_separator(const char *s, size_t n)
{
	size_t chars = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	for (size_t i = 0; i < n; chars++) {
		unsigned char c = (unsigned char)s[i];
		if (strchr("-=_*~#+", c) && c) {
			i++;
		} else if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x94) {
			i += 3;		/* U+2500..U+253F box drawing (━ ─) */
		} else if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
			   (unsigned char)s[i + 2] == 0xA5) {
			i += 3;		/* ‥ */
		} else {
			return false;
		}
	}
	return chars >= 4;
}

static bool pd_has(const char *s, size_t n, const char *w)
{
	return memmem(s, n, w, strlen(w)) != NULL;
}

static bool pd_contact_line(const char *s, size_t n)
{
	static const char *const marks[] = { "TEL", "Tel", "tel", "FAX", "Fax",
		"電話", "〒", "内線", "E-mail", "e-mail", "E-Mail", "Mail:", "mail:",
		"メール:" };

	size_t digits = 0;

	for (size_t i = 0; i < n; i++)
		digits += s[i] >= '0' && s[i] <= '9';
	/* A number or an address with it: "電話番号" in a header is not. */
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (pd_has(s, n, marks[i]))
			return digits >= 7 || memchr(s, '@', n) != NULL;
	return false;
}

/* An RFC 3676 "-- " line: the last one outside quoted text. */
static size_t pd_dashdash(const char *t, size_t len)
{
	size_t i = 0, found = len;

	while (i < len) {
		size_t e = pd_line_end(t, len, i);
		if ((e - i == 3 && memcmp(t + i, "-- ", 3) == 0) ||
		    (e - i == 2 && memcmp(t + i, "--", 2) == 0))
			found = i;
		i = e + 1;
	}
	return found;
}

/* Start of line that ends at e-1 (e = offset of its '\n' or len). */
static size_t pd_line_start(const char *t, size_t e)
{
	while (e > 0 && t[e - 1] != '\n')
		e--;
	return e;
}

/* A trailing block of at most 12 lines, up to an empty line or its
 * opening separator line, with contact lines (TEL, 〒...) and few
 * addresses: the sender's organisation. Prose (a line with 。) is not
 * part of it, and a list of ten people's phones is not one. */
static size_t pd_trailing_block(const char *t, size_t len)
{
	size_t e = len, start = len, lines = 0, contact = 0, at = 0;

	while (e > 0 && (t[e - 1] == '\n' || t[e - 1] == ' '))
		e--;
	while (e > 0 && lines < 13) {
		size_t s = pd_line_start(t, e);

		/* Prose and table rows are not a signature. */
		if (e == s || pd_has(t + s, e - s, "。") || memchr(t + s, '\t', e - s))
			break;
		if (pd_is_separator(t + s, e - s) && lines > 0) {
			start = s;	/* the opening frame */
			break;
		}
		contact += pd_contact_line(t + s, e - s);
		at += memchr(t + s, '@', e - s) != NULL;
		start = s;
		lines++;
		if (s == 0)
			break;
		e = s - 1;
	}
	if (contact == 0 || contact > 4 || at > 2 || lines > 12)
		return len;
	return start;
}

size_t eng_pd_signature_start(const char *text, size_t len)
{
	size_t d = pd_dashdash(text, len);

	if (d < len)
		return d;
	return pd_trailing_block(text, len);
}

static bool pd_is_body(const char *where)
{
	size_t n = strlen(where);

	return strcmp(where, "body") == 0 ||
	       (n > 5 && strcmp(where + n - 5, "/body") == 0);
}

void eng_pd_scan(eng_ctx *ctx, const char *text, size_t len, const char *where)
{
	if (pd_is_body(where))
		len = eng_pd_signature_start(text, len);
	for (size_t i = 0; i < ctx->eng->npd; i++) {
		if (eng_deadline_passed(ctx))
			return;
		pd_rule_scan(ctx, &ctx->eng->pd[i], text, len, where);
	}
}
