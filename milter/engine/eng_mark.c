/*
 * NAME
 *	eng_mark - classification markings (rules/classification)
 * DESCRIPTION
 *	Each rule's pattern runs over NFKC text, so "機密性３Ａ" and
 *	"機密性3A" are one marking. A match is a label or a mention
 *	(POLICY.md, issue 17):
 *
 *	- a label marks this mail or its document: in a file name;
 *	  bracketed (【機密性3】, 会議資料（機密性 3）); written as a label
 *	  (機密性：3, 機密性3A); at the start of the Subject or of a line or
 *	  a table cell (a document's header or footer is a line of its
 *	  text); or in a sentence whose subject is the document itself
 *	  (本資料は機密性3です, 部外秘の検討資料です, 関係者限りでお願いし
 *	  ます). The label keeps its rule and action (class 3 rejects).
 *	- any other match inside running text is a mention (「機密性3の情報
 *	  はメールで送信できません」 in a training notice): one finding of the
 *	  rule marked `context = mention` (classification-mention, held, a
 *	  person looks), never its own rule's action. A mention after which
 *	  the text talks about a kind of information (の情報は, 以上, とは,
 *	  a list of classes) is a mention even at the start of a line.
 *	  A rule labelled in a text has no mentions there.
 *
 *	The contexts are the mention rule's patterns (label_before,
 *	label_after, mention_after), so an administrator tunes them in the
 *	rule file. One finding per rule and place, with the number of
 *	occurrences and the first marking as evidence (a marking is not
 *	personal data: the approver must see it). A rule marked
 *	trusted_exempt is skipped when every external recipient is in
 *	trusted_domains (機密性2 over LGWAN is allowed).
 *
 *	A match that ends in anything but a match or "no match" (a match,
 *	heap or JIT-stack limit, no memory) did not look at the rest of the
 *	text: that is a scan-limit finding, never "no marking". Markings
 *	found before it are reported as well.
 */
#include "engine/eng_int.h"
#include "util/sg_mem.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Occurrences counted per rule and place; more adds nothing. */
#define ENG_MARK_MAX_COUNT 10000
/* How far the contexts look, in bytes (about 20 kanji). */
#define ENG_MARK_CONTEXT 64
/* A bracket this close (bytes) before or after makes a label. */
#define ENG_MARK_BRACKET 4
/* A line with at most this many bytes (about 20 kanji) before a marking
 * that ends it is a header or a title, not a sentence. */
#define ENG_MARK_TERSE 60
/* At most this many bytes (separators, brackets) between two markings
 * written together. */
#define ENG_MARK_JOIN 8

typedef enum { MARK_TEXT, MARK_SUBJECT, MARK_NAME } mark_kind;

typedef struct mark_hits {
	unsigned long labels, mentions;
	char ev[128];		/* the first label, else the first mention */
	char mev[128];		/* the first mention */
	bool limit;
} mark_hits;

static size_t mark_back(const char *t, size_t i, size_t bytes)
{
	size_t lo = i > bytes ? i - bytes : 0;

	while (lo > 0 && lo < i && ((unsigned char)t[lo] & 0xC0) == 0x80)
		lo++;
	return lo;
}

static size_t mark_fwd(const char *t, size_t len, size_t i, size_t bytes)
{
	size_t hi = len - i > bytes ? i + bytes : len;

	while (hi < len && ((unsigned char)t[hi] & 0xC0) == 0x80)
		hi--;
	return hi;
}

/* The length of the member of set that starts at i, 0 for none. */
static size_t mark_one_of(const char *t, size_t len, size_t i, const char *const *set)
{
	for (; *set; set++) {
		size_t n = strlen(*set);
		if (i + n <= len && memcmp(t + i, *set, n) == 0)
			return n;
	}
	return 0;
}

static const char *const mark_open[] = { "【", "［", "[", "(", "（", "〔", "《", "〈",
	"「", "『", "<", "<", "≪", NULL };
static const char *const mark_close[] = { "】", "］", "]", ")", "）", "〕", "》", "〉",
	"」", "』", ">", "≫", NULL };
/* What may stand before a label at the start of a line or cell. */
static const char *const mark_lead[] = { " ", "\t", "\r", "・", "●", "○", "■", "□",
	"◆", "◇", "※", "★", "☆", "*", "-", ">", "|", ",", ":", "_", NULL };

/* The start of the character before i (i > 0). */
static size_t mark_prev(const char *t, size_t i)
{
	do
		i--;
	while (i > 0 && ((unsigned char)t[i] & 0xC0) == 0x80);
	return i;
}

/* An opening bracket right before s or a closing one right after e
 * (blanks between), or the match itself starts with a bracket. */
static bool mark_bracketed(const char *t, size_t len, size_t s, size_t e)
{
	size_t i = s, j = e;

	if (mark_one_of(t, len, s, mark_open) > 0)
		return true;
	while (i > 0 && s - i < ENG_MARK_BRACKET && t[i - 1] == ' ')
		i--;
	if (i > 0 && mark_one_of(t, len, mark_prev(t, i), mark_open) > 0)
		return true;
	while (j < len && j - e < ENG_MARK_BRACKET && t[j] == ' ')
		j++;
	return mark_one_of(t, len, j, mark_close) > 0;
}

/* Only blanks, bullets and cell separators between the start of the
 * line (or cell) and s. */
static bool mark_line_start(const char *t, size_t s)
{
	size_t i = s, steps = 0;

	while (i > 0 && t[i - 1] != '\n' && steps++ < 16) {
		size_t p = mark_prev(t, i);
		if (t[p] == '\t' || t[p] == '|')
			return true;	/* a table cell starts here */
		if (mark_one_of(t, s, p, mark_lead) == 0)
			return false;
		i = p;
	}
	return i == 0 || t[i - 1] == '\n';
}

/* The start of a Subject after Re:, Fw:, 転送: and blanks. */
static size_t mark_subject_start(const char *t, size_t len)
{
	static const char *const prefixes[] = { "re:", "fw:", "fwd:", "転送:",
		"返信:", "re ", "fw ", NULL };
	size_t i = 0, rounds = 0;
	bool again = true;

	while (again && rounds++ < 16) {
		again = false;
		while (i < len && (t[i] == ' ' || t[i] == '\t'))
			i++;
		for (size_t k = 0; prefixes[k]; k++) {
			size_t n = strlen(prefixes[k]);
			if (i + n <= len && strncasecmp(t + i, prefixes[k], n) == 0) {
				i += n;
				again = true;
				break;
			}
		}
	}
	return i;
}

static int mark_match(const eng_ctx *ctx, const pcre2_code *re, const char *t,
		      size_t len, size_t off, uint32_t opts,
		      pcre2_match_data *md, mark_hits *h)
{
	int rc = pcre2_match(re, (PCRE2_SPTR)t, len, off,
			     PCRE2_NO_UTF_CHECK | opts, md, ctx->eng->mctx);

	if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
		h->limit = true;
	return rc;
}

/* The mention rule's context patterns: before (ends where the marking
 * starts, on its line) or after (anchored where it ends). */
static bool mark_ctx_before(const eng_ctx *ctx, const pcre2_code *re,
			    const char *t, size_t s, pcre2_match_data *md,
			    mark_hits *h)
{
	size_t lo = mark_back(t, s, ENG_MARK_CONTEXT);
	const char *nl;

	if (re == NULL)
		return false;
	while ((nl = memchr(t + lo, '\n', s - lo)) != NULL)
		lo = (size_t)(nl - t) + 1;
	return mark_match(ctx, re, t, s, lo, 0, md, h) >= 0;
}

static bool mark_ctx_after(const eng_ctx *ctx, const pcre2_code *re,
			   const char *t, size_t len, size_t e,
			   pcre2_match_data *md, mark_hits *h)
{
	if (re == NULL)
		return false;
	return mark_match(ctx, re, t, mark_fwd(t, len, e, ENG_MARK_CONTEXT), e,
			  PCRE2_ANCHORED, md, h) >= 0;
}

/* A marking that ends a short line that is no sentence: 「庁内限り・部外秘」
 * in a print header, 「研修資料 取扱注意」 as a title. Only blanks or
 * closing brackets after it on its line, and no sentence punctuation and
 * at most ENG_MARK_TERSE bytes of text before it on the line. */
static bool mark_line_end(const char *t, size_t len, size_t cs, size_t ce)
{
	size_t i = ce, ls = cs;

	while (i < len && t[i] != '\n') {
		size_t n = mark_one_of(t, len, i, mark_close);

		if (t[i] == ' ' || t[i] == '\t' || t[i] == '\r')
			i++;
		else if (n > 0)
			i += n;	/* 【部外秘】, （取扱注意） */
		else
			return false;
		if (i - ce > ENG_MARK_CONTEXT)
			return false;	/* a long run of blanks: not one line's end */
	}
	while (ls > 0 && t[ls - 1] != '\n') {
		if (cs - ls >= ENG_MARK_TERSE)
			return false;	/* a long line: running text */
		ls--;
	}
	for (size_t k = ls; k < cs; k++)
		if (t[k] == '.' || t[k] == ',' || t[k] == '!' || t[k] == '?')
			return false;
	for (size_t k = ls; k + 3 <= cs; k++)
		if (memcmp(t + k, "。", 3) == 0 || memcmp(t + k, "、", 3) == 0)
			return false;
	return true;
}

/* One match of a marking rule. Markings written together (機密性2・取扱
 * 注意, 【秘】 部外秘) are a run: the run's start and end are the
 * marking's place in its line and sentence. */
typedef struct mark_span {
	size_t s, e;		/* the match, trailing blanks trimmed */
	size_t rule;		/* index in ctx->eng->marks */
	size_t cs, ce;		/* its run */
	bool listed;		/* mention_after follows it (機密性3の情報は) */
	bool run_listed;	/* ... or another marking of its run (機密性2・機密性3) */
} mark_span;

static bool mark_is_label(const eng_ctx *ctx, const eng_marking *mr,
			  const char *t, size_t len, const mark_span *sp,
			  mark_kind kind, pcre2_match_data *md, mark_hits *h)
{
	size_t s = sp->s, e = sp->e, cs = sp->cs, ce = sp->ce;

	if (kind == MARK_NAME || mr == NULL)
		return true;	/* a file name is a label; no mention rule: as before */
	if (mark_ctx_before(ctx, mr->label_before, t, cs, md, h))
		return true;	/* 本資料は機密性3です */
	if (sp->listed)
		return false;	/* 機密性3の情報は..., 「部外秘」と表示された */
	if (mark_bracketed(t, len, s, e))
		return true;	/* 【取扱注意】, ［機密性3］ */
	if (sp->run_listed)
		return false;	/* 機密性2・機密性3 */
	if (mark_bracketed(t, len, cs, ce))
		return true;	/* 【機密性2・取扱注意】 */
	for (size_t i = s; i < e; i++)
		if (t[i] == ':' || t[i] == '=')
			return true;	/* 機密性:3 */
	for (size_t i = cs; i > 0 && cs - i < ENG_MARK_BRACKET; i--) {
		if (t[i - 1] == ':')
			return true;	/* 資料区分:機密性3, the value of a field */
		if (t[i - 1] != ' ')
			break;
	}
	if (e > s && ((t[e - 1] >= 'A' && t[e - 1] <= 'C') ||
		      (t[e - 1] >= 'a' && t[e - 1] <= 'c')))
		return true;	/* 機密性3A */
	if (kind == MARK_SUBJECT ? cs == mark_subject_start(t, len) ||
				   mark_line_start(t, cs) : mark_line_start(t, cs))
		return true;
	if (mark_line_end(t, len, cs, ce))
		return true;	/* 庁内限り・部外秘 as a header line */
	return mark_ctx_after(ctx, mr->label_after, t, len, ce, md, h);
}

static void mark_copy_ev(char *ev, size_t cap, const char *t, size_t s, size_t e)
{
	size_t n = e - s;

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)t[s + n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(ev, t + s, n);
	ev[n] = '\0';
}

typedef struct mark_spans {
	mark_span *v;
	size_t n, cap;
} mark_spans;

/* Every match of rule ri (at most ENG_MARK_MAX_COUNT) into sp. */
static void mark_collect(const eng_ctx *ctx, size_t ri, const char *text, size_t len,
			 mark_spans *sp, mark_hits *h)
{
	const eng_marking *m = &ctx->eng->marks[ri];
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(m->re, NULL);
	PCRE2_SIZE off = 0;
	unsigned long n = 0;

	while (off <= len && n++ < ENG_MARK_MAX_COUNT) {
		int rc = mark_match(ctx, m->re, text, len, off, 0, md, h);
		PCRE2_SIZE *ov;

		if (rc < 0)
			break;
		ov = pcre2_get_ovector_pointer(md);
		if (ov[1] > ov[0]) {
			/* Blanks a pattern's \s* took at the end (a line break)
			 * belong to neither the marking nor its evidence. */
			size_t e = ov[1];

			while (e > ov[0] && strchr(" \t\r\n", text[e - 1]))
				e--;
			if (sp->n == sp->cap) {
				sp->cap = sp->cap ? sp->cap * 2 : 16;
				sp->v = sg_xreallocarray(sp->v, sp->cap, sizeof(*sp->v));
			}
			sp->v[sp->n++] = (mark_span){ .s = ov[0], .e = e, .rule = ri };
		}
		if (ov[1] == ov[0]) {
			/* Step over one whole UTF-8 character after an empty match. */
			off = ov[1] + 1;
			while (off < len && ((unsigned char)text[off] & 0xC0) == 0x80)
				off++;
		} else {
			off = ov[1];
		}
	}
	pcre2_match_data_free(md);
}

static int mark_span_cmp(const void *a, const void *b)
{
	const mark_span *x = a, *y = b;

	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return 0;
}

/* What may stand between two markings of one run: blanks, list
 * separators (・ 、 , / &) and brackets (［機密性3］極秘), at most
 * ENG_MARK_JOIN bytes of them. */
static bool mark_joined(const char *t, size_t a, size_t b)
{
	static const char *const sep[] = { " ", "\t", "・", "、", ",", "/", "&", NULL };
	size_t i = a;

	if (b <= a)
		return true;	/* overlapping or adjacent */
	if (b - a > ENG_MARK_JOIN)
		return false;
	while (i < b) {
		size_t n = mark_one_of(t, b, i, sep);

		if (n == 0)
			n = mark_one_of(t, b, i, mark_close);
		if (n == 0)
			n = mark_one_of(t, b, i, mark_open);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* mention_after where a marking ends, or after the closing quote of a
 * quoted marking (「部外秘」の資料は); sign_after there or after any
 * closing bracket: 【取扱注意】と書かれた封筒は is a mention. */
static bool mark_listed(const eng_ctx *ctx, const eng_marking *mr, const char *t,
			size_t len, size_t e, pcre2_match_data *md, mark_hits *h)
{
	static const char *const quote[] = { "」", "』", NULL };
	size_t q, b, j = e;

	if (mr == NULL)
		return false;
	while (j < len && j - e < ENG_MARK_BRACKET && t[j] == ' ')
		j++;
	q = mark_one_of(t, len, j, quote);
	b = mark_one_of(t, len, j, mark_close);
	return mark_ctx_after(ctx, mr->mention_after, t, len, e, md, h) ||
	       mark_ctx_after(ctx, mr->sign_after, t, len, e, md, h) ||
	       (q > 0 && mark_ctx_after(ctx, mr->mention_after, t, len, j + q, md, h)) ||
	       (b > 0 && mark_ctx_after(ctx, mr->sign_after, t, len, j + b, md, h));
}

/* Group the sorted spans into runs; a marking followed by mention_after
 * is listed, and so is its run (機密性2・機密性3: "・機密性" follows the
 * first; 機密性2・取扱注意の情報は: the run is followed by it). */
static void mark_runs(const eng_ctx *ctx, const eng_marking *mr, const char *t,
		      size_t len, mark_spans *sp, pcre2_match_data *md, mark_hits *h)
{
	for (size_t i = 0; i < sp->n;) {
		size_t j = i + 1, ce = sp->v[i].e;
		bool listed = false;

		while (j < sp->n && mark_joined(t, ce, sp->v[j].s)) {
			if (sp->v[j].e > ce)
				ce = sp->v[j].e;
			j++;
		}
		for (size_t k = i; k < j; k++) {
			sp->v[k].listed = mark_listed(ctx, mr, t, len, sp->v[k].e, md, h);
			listed = listed || sp->v[k].listed;
		}
		if (!listed)
			listed = mark_listed(ctx, mr, t, len, ce, md, h);
		for (size_t k = i; k < j; k++) {
			sp->v[k].cs = sp->v[i].s;
			sp->v[k].ce = ce;
			sp->v[k].run_listed = listed;
		}
		i = j;
	}
}

static void mark_scan(eng_ctx *ctx, const char *text, size_t len,
		      const char *where, mark_kind kind)
{
	const eng_marking *mr = NULL;
	size_t nm = ctx->eng->nmarks;
	mark_hits *hits = sg_xcalloc(nm ? nm : 1, sizeof(*hits));
	mark_hits lim = { 0 };
	mark_spans sp = { 0 };
	pcre2_match_data *cmd = pcre2_match_data_create(4, NULL);
	unsigned long mentions = 0;
	char mev[128] = "";
	const char *limit = NULL;	/* the first rule that hit a limit */

	for (size_t i = 0; i < nm; i++)
		if (ctx->eng->marks[i].mention)
			mr = &ctx->eng->marks[i];
	/* First every rule's matches, then each match in its run: a
	 * marking's place is that of the markings written with it. */
	for (size_t i = 0; i < nm; i++) {
		const eng_marking *m = &ctx->eng->marks[i];

		if (m->mention || (m->trusted_exempt && ctx->all_external_trusted))
			continue;
		mark_collect(ctx, i, text, len, &sp, &hits[i]);
	}
	if (sp.n > 1)
		qsort(sp.v, sp.n, sizeof(*sp.v), mark_span_cmp);
	mark_runs(ctx, mr, text, len, &sp, cmd, &lim);
	for (size_t k = 0; k < sp.n; k++) {
		const mark_span *x = &sp.v[k];
		mark_hits *h = &hits[x->rule];

		if (ctx->eng->marks[x->rule].always ||
		    mark_is_label(ctx, mr, text, len, x, kind, cmd, h)) {
			if (h->labels++ == 0)
				mark_copy_ev(h->ev, sizeof(h->ev), text, x->s, x->e);
		} else if (h->mentions++ == 0) {
			mark_copy_ev(h->mev, sizeof(h->mev), text, x->s, x->e);
		}
	}
	for (size_t i = 0; i < nm; i++) {
		const eng_marking *m = &ctx->eng->marks[i];
		const mark_hits *h = &hits[i];

		if (h->limit && limit == NULL)
			limit = m->id;
		if (h->labels > 0) {
			eng_finding *f = eng_add_finding(ctx->res, ENG_CAT_CLASSIFIED, m->id,
							 m->label_ja, m->label_en, where,
							 h->labels, h->ev, m->action);
			if (f)
				f->class3 = m->class3;
		} else if (h->mentions > 0) {
			if (mentions == 0)
				memcpy(mev, h->mev, sizeof(mev));
			mentions += h->mentions;
		}
	}
	if (lim.limit && limit == NULL)
		limit = mr ? mr->id : "classification";
	if (mentions > 0 && mr)
		eng_add_finding(ctx->res, ENG_CAT_CLASSIFIED, mr->id, mr->label_ja,
				mr->label_en, where, mentions, mev, mr->action);
	if (limit)
		eng_scan_limit(ctx, "pattern-limit",
			       "表示 (機密性) の検査が複雑すぎて終わりませんでした",
			       "Marking scan hit its match limit", where, limit);
	pcre2_match_data_free(cmd);
	free(sp.v);
	free(hits);
}

static bool mark_is_subject(const char *where)
{
	size_t n = strlen(where);

	return n >= 14 && strcmp(where + n - 14, "header:Subject") == 0;
}

void eng_mark_scan(eng_ctx *ctx, const char *text, size_t len, const char *where)
{
	mark_scan(ctx, text, len, where, mark_is_subject(where) ? MARK_SUBJECT : MARK_TEXT);
}

void eng_mark_scan_name(eng_ctx *ctx, const char *name, size_t len, const char *where)
{
	mark_scan(ctx, name, len, where, MARK_NAME);
}
