/*
 * NAME
 *	eng_content - readable text of an attachment, for the detectors
 * DESCRIPTION
 *	See eng_content.h. Why: the incidents behind POLICY.md are Excel
 *	files (4,000 staff records, 32,000 residents, 624 My Numbers) and
 *	an unneeded list of 225 addresses; a name check alone finds none
 *	of them. The extractor is tolerant (broken XML is read as far as it
 *	goes) and bounded: members, their sizes and the text produced all
 *	have caps, and reaching one is a scan-limit finding, never a silent
 *	accept.
 *
 *	Must never: read a document through the file system, or produce
 *	text for the detectors without normalising it first.
 */
#include "engine/eng_content.h"
#include "engine/eng_archive.h"
#include "engine/eng_charset.h"
#include "engine/eng_int.h"
#include "engine/eng_pd.h"
#include "engine/eng_sniff.h"
#include "engine/eng_text.h"
#include "util/sg_mem.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Shared strings of one workbook. */
#define ENG_CT_MAX_SHARED 2000000
/* Bytes of the start of a file looked at to decide it is text. */
#define ENG_CT_SNIFF 65536

typedef enum {
	CT_NONE, CT_TEXT, CT_HTML, CT_ZIPDOC
} ct_kind;

/* ---- XML tokens ------------------------------------------------------- */

typedef enum { XT_TEXT, XT_OPEN, XT_CLOSE, XT_EMPTY } xt_type;

typedef struct xml_tok {
	xt_type type;
	const char *s;		/* text, or the tag's local name */
	size_t n;
	const char *attrs;	/* tags: what follows the name */
	size_t nattrs;
} xml_tok;

static size_t ct_find(const char *x, size_t len, size_t from, const char *w)
{
	const char *p = from < len ? memmem(x + from, len - from, w, strlen(w)) : NULL;
	return p ? (size_t)(p - x) : len;
}

/* Comments, processing instructions, doctype: skipped. CDATA is text. */
static bool xml_markup(const char *x, size_t len, size_t *pos, xml_tok *t)
{
	size_t i = *pos, e;

	if (len - i >= 9 && memcmp(x + i, "<![CDATA[", 9) == 0) {
		e = ct_find(x, len, i + 9, "]]>");
		t->type = XT_TEXT;
		t->s = x + i + 9;
		t->n = e - (i + 9);
		*pos = e < len ? e + 3 : len;
		return true;
	}
	if (len - i >= 4 && memcmp(x + i, "<!--", 4) == 0)
		e = ct_find(x, len, i + 4, "-->") + 3;
	else
		e = ct_find(x, len, i, ">") + 1;
	*pos = e < len ? e : len;
	return false;
}

static void xml_tag(const char *x, size_t i, size_t e, xml_tok *t)
{
	size_t a = i + 1, b;
	bool close = a < e && x[a] == '/';

	if (close)
		a++;
	for (b = a; b < e && !strchr(" \t\r\n/>", x[b]); b++)
		;
	t->s = x + a;
	t->n = b - a;
	for (size_t k = a; k < b; k++)
		if (x[k] == ':') {
			t->s = x + k + 1;
			t->n = b - k - 1;
		}
	t->attrs = x + b;
	t->nattrs = e > b ? e - b : 0;
	t->type = close ? XT_CLOSE : (e > i && x[e - 1] == '/') ? XT_EMPTY : XT_OPEN;
}

/* The next token from *pos; false at the end. */
static bool xml_next(const char *x, size_t len, size_t *pos, xml_tok *t)
{
	while (*pos < len) {
		size_t i = *pos, e;

		if (x[i] != '<') {
			const char *lt = memchr(x + i, '<', len - i);
			e = lt ? (size_t)(lt - x) : len;
			t->type = XT_TEXT;
			t->s = x + i;
			t->n = e - i;
			*pos = e;
			return true;
		}
		if (i + 1 < len && (x[i + 1] == '!' || x[i + 1] == '?')) {
			if (xml_markup(x, len, pos, t))
				return true;
			continue;
		}
		e = ct_find(x, len, i, ">");
		xml_tag(x, i, e, t);
		*pos = e < len ? e + 1 : len;
		return true;
	}
	return false;
}

static bool xml_is(const xml_tok *t, const char *name)
{
	return t->n == strlen(name) && memcmp(t->s, name, t->n) == 0;
}

/* Value of attribute `name` (no namespace) into out; false if absent. */
static bool xml_attr(const xml_tok *t, const char *name, sg_buf *out)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i + nl + 2 <= t->nattrs; i++) {
		const char *a = t->attrs + i;
		if ((i == 0 || strchr(" \t\r\n", a[-1])) && memcmp(a, name, nl) == 0 &&
		    a[nl] == '=' && (a[nl + 1] == '"' || a[nl + 1] == '\'')) {
			const char *v = a + nl + 2;
			const char *q = memchr(v, a[nl + 1], t->nattrs - i - nl - 2);
			sg_buf_reset(out);
			sg_buf_append(out, v, q ? (size_t)(q - v) : 0);
			return true;
		}
	}
	return false;
}

static unsigned long xml_entity_cp(const char *s, size_t n)
{
	static const struct { const char *name; unsigned long cp; } ents[] = {
		{ "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "quot", '"' },
		{ "apos", '\'' }, { "nbsp", 0xA0 },
	};

	if (n > 1 && s[0] == '#') {
		bool hex = s[1] == 'x' || s[1] == 'X';
		char *end;
		char num[16];
		if (n - 1 - hex == 0 || n - 1 - hex >= sizeof(num))
			return 0;
		memcpy(num, s + 1 + hex, n - 1 - hex);
		num[n - 1 - hex] = '\0';
		unsigned long v = strtoul(num, &end, hex ? 16 : 10);
		return *end ? 0 : v;
	}
	for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (strlen(ents[i].name) == n && memcmp(ents[i].name, s, n) == 0)
			return ents[i].cp;
	return 0;
}

/* Character data with entities decoded; an unknown one stays as is. */
static int xml_put_text(const char *s, size_t n, sg_buf *out)
{
	size_t i = 0;

	while (i < n) {
		const char *amp = memchr(s + i, '&', n - i);
		size_t a = amp ? (size_t)(amp - s) : n;
		const char *semi;
		unsigned long cp;

		if (sg_buf_append(out, s + i, a - i) < 0)
			return -1;
		if (a == n)
			break;
		semi = memchr(s + a, ';', n - a < 12 ? n - a : 12);
		cp = semi ? xml_entity_cp(s + a + 1, (size_t)(semi - s) - a - 1) : 0;
		if (cp == 0) {
			if (sg_buf_putc(out, '&') < 0)
				return -1;
			i = a + 1;
			continue;
		}
		if (sg_buf_put_utf8(out, cp) < 0)
			return -1;
		i = (size_t)(semi - s) + 1;
	}
	return 0;
}

/* ---- XML to text: docx, pptx, ODF --------------------------------------- */

static bool xml_in(const xml_tok *t, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (xml_is(t, names[i]))
			return true;
	return false;
}

/* Elements whose text is not document text: field codes, formulas,
 * phonetic guides (furigana would double every name). */
static const char *const xml_skip[] = { "instrText", "delInstrText", "f", "rPh" };
static const char *const xml_cell[] = { "tc", "table-cell", "covered-table-cell" };
static const char *const xml_line[] = { "p", "h", "tr", "table-row", "br", "cr" };

typedef struct xml_state {
	unsigned skip;		/* depth inside xml_skip elements */
	unsigned cell;		/* depth inside table cells */
} xml_state;

static int xml_text_tag(const xml_tok *t, xml_state *st, sg_buf *out)
{
	bool open = t->type == XT_OPEN, end = t->type != XT_OPEN;

	if (xml_in(t, xml_skip, 4)) {
		if (open)
			st->skip++;
		else if (t->type == XT_CLOSE && st->skip)
			st->skip--;
		return 0;
	}
	if (xml_in(t, xml_cell, 3)) {
		if (open)
			st->cell++;
		else if (t->type == XT_CLOSE && st->cell)
			st->cell--;
		return end ? sg_buf_putc(out, '\t') : 0;
	}
	if (end && (xml_is(t, "tab")))
		return sg_buf_putc(out, '\t');
	if (end && (xml_is(t, "s")))
		return sg_buf_putc(out, ' ');
	if (end && xml_in(t, xml_line, 6))
		return sg_buf_putc(out, st->cell && !xml_is(t, "tr") &&
				   !xml_is(t, "table-row") ? ' ' : '\n');
	return 0;
}

int eng_xml_text(const char *xml, size_t len, sg_buf *out)
{
	xml_state st = { 0, 0 };
	size_t pos = 0;
	xml_tok t;

	while (xml_next(xml, len, &pos, &t)) {
		int rc = 0;

		if (t.type == XT_TEXT) {
			if (st.skip == 0)
				rc = xml_put_text(t.s, t.n, out);
		} else {
			rc = xml_text_tag(&t, &st, out);
		}
		if (rc < 0)
			return -1;
	}
	return sg_buf_putc(out, '\n');
}

/* ---- xlsx --------------------------------------------------------------- */

typedef struct xl_shared {
	sg_buf text;		/* every string, NUL-separated */
	size_t *off;		/* start of string i in text */
	size_t n;
} xl_shared;

static void xl_shared_push(xl_shared *ss, const sg_buf *cur)
{
	if (ss->n >= ENG_CT_MAX_SHARED)
		return;
	if (ss->n % 1024 == 0)
		ss->off = sg_xreallocarray(ss->off, ss->n + 1024, sizeof(size_t));
	ss->off[ss->n++] = ss->text.len;
	sg_buf_append(&ss->text, cur->data ? cur->data : "", cur->len);
	sg_buf_putc(&ss->text, '\0');
}

/* <si> items: the <t> text of each, phonetic runs (<rPh>) left out. */
static void xl_shared_parse(const char *x, size_t len, xl_shared *ss, size_t max)
{
	sg_buf cur;
	size_t pos = 0;
	unsigned rph = 0;
	bool in_t = false;
	xml_tok t;

	sg_buf_init(&cur, max);
	while (xml_next(x, len, &pos, &t)) {
		if (t.type == XT_TEXT) {
			if (in_t && rph == 0)
				xml_put_text(t.s, t.n, &cur);
		} else if (xml_is(&t, "rPh")) {
			if (t.type == XT_OPEN)
				rph++;
			else if (t.type == XT_CLOSE && rph)
				rph--;
		} else if (xml_is(&t, "t")) {
			in_t = t.type == XT_OPEN;
		} else if (xml_is(&t, "si") && t.type == XT_OPEN) {
			sg_buf_reset(&cur);
		} else if (xml_is(&t, "si")) {
			xl_shared_push(ss, &cur);
		}
	}
	sg_buf_free(&cur);
}

typedef struct xl_cell {
	sg_buf type;		/* t="s", "inlineStr", "str", "b", "" (number) */
	sg_buf val;
	bool in_v, in_t, first;
	unsigned rph;
} xl_cell;

static int xl_emit_cell(xl_cell *c, const xl_shared *ss, sg_buf *out)
{
	const char *v = sg_buf_cstr(&c->val);
	int rc = 0;

	if (!c->first)
		rc = sg_buf_putc(out, '\t');
	c->first = false;
	if (strcmp(sg_buf_cstr(&c->type), "s") == 0) {
		char *end;
		unsigned long i = strtoul(v, &end, 10);
		if (*v && *end == '\0' && i < ss->n)
			return rc | sg_buf_puts(out, ss->text.data + ss->off[i]);
		return rc;
	}
	return rc | sg_buf_append(out, v, c->val.len);
}

static int xl_sheet_tag(const xml_tok *t, xl_cell *c, const xl_shared *ss,
			sg_buf *out)
{
	bool open = t->type == XT_OPEN;

	if (xml_is(t, "c")) {
		if (t->type != XT_CLOSE) {
			if (!xml_attr(t, "t", &c->type))
				sg_buf_reset(&c->type);
			sg_buf_reset(&c->val);
		}
		if (t->type == XT_CLOSE)
			return xl_emit_cell(c, ss, out);
	} else if (xml_is(t, "v")) {
		c->in_v = open;
	} else if (xml_is(t, "t")) {
		c->in_t = open;
	} else if (xml_is(t, "rPh")) {
		c->rph = open;
	} else if (xml_is(t, "row") && t->type != XT_OPEN) {
		c->first = true;
		return sg_buf_putc(out, '\n');
	}
	return 0;
}

int eng_xlsx_text(const char *shared, size_t slen, const char *sheet,
		  size_t len, sg_buf *out)
{
	xl_shared ss = { { 0 }, NULL, 0 };
	xl_cell c;
	size_t pos = 0;
	xml_tok t;
	int rc = 0;

	sg_buf_init(&ss.text, out->max);
	if (shared)
		xl_shared_parse(shared, slen, &ss, out->max);
	memset(&c, 0, sizeof(c));
	sg_buf_init(&c.type, 64);
	sg_buf_init(&c.val, out->max);
	c.first = true;
	while (rc == 0 && xml_next(sheet, len, &pos, &t)) {
		if (t.type != XT_TEXT)
			rc = xl_sheet_tag(&t, &c, &ss, out);
		else if ((c.in_v || c.in_t) && !c.rph)
			xml_put_text(t.s, t.n, &c.val);
	}
	if (rc == 0)
		rc = sg_buf_putc(out, '\n');
	sg_buf_free(&c.type);
	sg_buf_free(&c.val);
	sg_buf_free(&ss.text);
	free(ss.off);
	return rc < 0 ? -1 : 0;
}

/* ---- reading the package ------------------------------------------------- */

typedef struct ct_member {
	char *name;
	sg_buf data;
} ct_member;

typedef struct ct_pkg {
	ct_member *m;
	size_t n;
} ct_pkg;

static bool ct_prefix_suffix(const char *s, const char *pre, const char *suf)
{
	size_t n = strlen(s), p = strlen(pre), q = strlen(suf);

	return n >= p + q && strncmp(s, pre, p) == 0 && strcmp(s + n - q, suf) == 0;
}

/* Members whose text is the document's. */
/* A document embedded in an OOXML one (an xlsx table pasted into a
 * docx is stored whole as word/embeddings/Microsoft_Excel_Worksheet.xlsx):
 * a file inside the package, read like a file inside an archive. */
static bool ct_embedded(const char *name)
{
	return strncmp(name, "word/embeddings/", 16) == 0 ||
	       strncmp(name, "xl/embeddings/", 14) == 0 ||
	       strncmp(name, "ppt/embeddings/", 15) == 0;
}

static bool ct_wanted(const char *name)
{
	return strcmp(name, "word/document.xml") == 0 || ct_embedded(name) ||
	       ct_prefix_suffix(name, "word/header", ".xml") ||
	       ct_prefix_suffix(name, "word/footer", ".xml") ||
	       strcmp(name, "word/footnotes.xml") == 0 ||
	       strcmp(name, "word/endnotes.xml") == 0 ||
	       strcmp(name, "word/comments.xml") == 0 ||
	       strcmp(name, "xl/sharedStrings.xml") == 0 ||
	       ct_prefix_suffix(name, "xl/worksheets/sheet", ".xml") ||
	       ct_prefix_suffix(name, "ppt/slides/slide", ".xml") ||
	       ct_prefix_suffix(name, "ppt/notesSlides/notesSlide", ".xml") ||
	       strcmp(name, "content.xml") == 0 || strcmp(name, "styles.xml") == 0;
}

static void ct_got_member(void *arg, const char *name, sg_buf *data)
{
	ct_pkg *pkg = arg;
	ct_member *m;

	if (pkg->n % 16 == 0)
		pkg->m = sg_xreallocarray(pkg->m, pkg->n + 16, sizeof(ct_member));
	m = &pkg->m[pkg->n++];
	m->name = sg_xstrdup(name);
	m->data = *data;		/* stolen: the reader frees an empty one */
	sg_buf_init(data, 0);
}

static void ct_pkg_free(ct_pkg *pkg)
{
	for (size_t i = 0; i < pkg->n; i++) {
		free(pkg->m[i].name);
		sg_buf_free(&pkg->m[i].data);
	}
	free(pkg->m);
}

static const ct_member *ct_member_named(const ct_pkg *pkg, const char *name)
{
	for (size_t i = 0; i < pkg->n; i++)
		if (strcmp(pkg->m[i].name, name) == 0)
			return &pkg->m[i];
	return NULL;
}

/* sheet2.xml before sheet10.xml, as Excel shows them. */
static int ct_member_cmp(const void *va, const void *vb)
{
	const ct_member *a = va, *b = vb;
	size_t la = strlen(a->name), lb = strlen(b->name);

	return la != lb ? (la < lb ? -1 : 1) : strcmp(a->name, b->name);
}

static int ct_pkg_text(ct_pkg *pkg, sg_buf *out)
{
	const ct_member *ss;
	int rc = 0;

	if (pkg->n == 0)
		return 0;
	qsort(pkg->m, pkg->n, sizeof(ct_member), ct_member_cmp);
	ss = ct_member_named(pkg, "xl/sharedStrings.xml");
	for (size_t i = 0; i < pkg->n && rc == 0; i++) {
		const ct_member *m = &pkg->m[i];

		if (m == ss || ct_embedded(m->name))
			continue;
		if (strncmp(m->name, "xl/worksheets/", 14) == 0)
			rc = eng_xlsx_text(ss ? ss->data.data : NULL, ss ? ss->data.len : 0,
					   sg_buf_cstr(&m->data), m->data.len, out);
		else
			rc = eng_xml_text(sg_buf_cstr(&m->data), m->data.len, out);
	}
	return rc;
}

/* ---- what kind of file ----------------------------------------------------- */

static bool ct_ext(const char *name, const char *const *exts, size_t n)
{
	const char *dot = name ? strrchr(name, '.') : NULL;

	for (size_t i = 0; dot && i < n; i++)
		if (strcasecmp(dot + 1, exts[i]) == 0)
			return true;
	return false;
}

static bool ct_magic(const unsigned char *d, size_t len, const char *m, size_t n)
{
	return len >= n && memcmp(d, m, n) == 0;
}

/* Text when no NUL (but UTF-16 with a BOM), few control bytes, and no
 * binary signature. A PDF is text-like but not readable this way. */
static bool ct_looks_text(const unsigned char *d, size_t len)
{
	size_t n = len < ENG_CT_SNIFF ? len : ENG_CT_SNIFF, ctl = 0;

	if (ct_magic(d, len, "\xFF\xFE", 2) || ct_magic(d, len, "\xFE\xFF", 2))
		return true;
	if (ct_magic(d, len, "%PDF", 4) || ct_magic(d, len, "{\\rtf", 5))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (d[i] == 0)
			return false;
		ctl += d[i] < 0x20 && !strchr("\t\r\n\f\x1b", d[i]);
	}
	return ctl * 100 <= n;
}

/* A ZIP whose members make a document. Any other ZIP is an archive:
 * eng_archive walks it and calls back here for each file in it. */
static bool ct_zipdoc(const unsigned char *d, size_t len)
{
	switch (eng_sniff(d, len)) {
	case ENG_FT_DOCX: case ENG_FT_DOCM: case ENG_FT_XLSX: case ENG_FT_XLSM:
	case ENG_FT_PPTX: case ENG_FT_PPTM: case ENG_FT_OOXML:
	case ENG_FT_OOXML_MACRO: case ENG_FT_ODF:
		return true;
	default:
		return false;
	}
}

static ct_kind ct_classify(const char *name, const unsigned char *d, size_t len)
{
	static const char *const html[] = { "htm", "html", "xhtml" };
	static const char *const text[] = { "txt", "csv", "tsv", "text", "log", "md" };

	if (ct_magic(d, len, "PK\x03\x04", 4))
		return ct_zipdoc(d, len) ? CT_ZIPDOC : CT_NONE;
	if (ct_ext(name, html, 3) && ct_looks_text(d, len))
		return CT_HTML;
	if (ct_ext(name, text, 6) || ct_looks_text(d, len))
		return ct_looks_text(d, len) ? CT_TEXT : CT_NONE;
	return CT_NONE;
}

/* ---- the entry point ---------------------------------------------------- */

/* Raw text or HTML: charset guessed (CP932 for Windows CSV). */
static int ct_plain(eng_ctx *ctx, const char *where, const char *charset,
		    ct_kind kind, const unsigned char *d, size_t len, sg_buf *out)
{
	size_t replaced = 0;
	sg_buf utf8;
	int rc;

	sg_buf_init(&utf8, out->max);
	/* A text attachment's declared charset is its label, as a body
	 * part's is (a label that fails is guessed again: eng_charset). */
	rc = eng_cs_decode(charset, d, len, &utf8, &replaced) == ENG_CS_TOOBIG ? -1 : 0;
	eng_undecodable(ctx, where, charset, replaced, len);
	if (kind == CT_HTML)
		rc |= eng_html_to_text(sg_buf_cstr(&utf8), utf8.len, out);
	else
		rc |= sg_buf_append(out, sg_buf_cstr(&utf8), utf8.len);
	sg_buf_free(&utf8);
	return rc < 0 ? -1 : 0;
}

void eng_content_detect_text(eng_ctx *ctx, const char *where, const char *norm,
			     size_t len)
{
	eng_mark_scan(ctx, norm, len, where);
	eng_pd_scan(ctx, norm, len, where);
}

static void ct_detect(eng_ctx *ctx, const char *where, const sg_buf *text)
{
	sg_buf norm;

	sg_buf_init(&norm, ctx->eng->lim.text_size);
	if (eng_text_normalize(sg_buf_cstr(text), text->len, &norm) < 0)
		eng_scan_limit(ctx, "text-size", "添付ファイルの文字が多すぎて全部は検査できません",
			       "Attachment text too large to inspect in full", where, "");
	eng_content_detect_text(ctx, where, sg_buf_cstr(&norm), norm.len);
	sg_buf_free(&norm);
}

/* Embedded documents, each at `depth` (its package's members' level):
 * where names the chain, 台帳.docx/word/embeddings/名簿.xlsx. */
static void ct_embeddings(eng_ctx *ctx, const char *where, const ct_pkg *pkg,
			  unsigned depth)
{
	for (size_t i = 0; i < pkg->n; i++) {
		const ct_member *m = &pkg->m[i];
		const char *base = strrchr(m->name, '/');
		sg_buf w;

		if (!ct_embedded(m->name) || m->data.len == 0)
			continue;
		sg_buf_init(&w, SG_BUF_UNLIMITED);
		sg_buf_printf(&w, "%s/%s", where, m->name);
		eng_content_text(ctx, sg_buf_cstr(&w), base ? base + 1 : m->name,
				 (const unsigned char *)m->data.data, m->data.len, depth);
		sg_buf_free(&w);
	}
}

void eng_content_text(eng_ctx *ctx, const char *where, const char *name,
		      const unsigned char *data, size_t len, unsigned depth)
{
	eng_content_text_cs(ctx, where, name, NULL, data, len, depth);
}

void eng_content_text_cs(eng_ctx *ctx, const char *where, const char *name,
			 const char *charset, const unsigned char *data,
			 size_t len, unsigned depth)
{
	size_t max = ctx->eng->lim.text_size;
	ct_kind kind;
	ct_pkg pkg = { NULL, 0 };
	sg_buf text;
	int rc = 0;

	if (data == NULL || len == 0 || !ctx->inspect || eng_deadline_passed(ctx))
		return;
	kind = ct_classify(name, data, len);
	if (kind == CT_NONE)
		return;
	sg_buf_init(&text, max);
	if (kind == CT_ZIPDOC) {
		/* XML is several times its text: cap members accordingly.
		 * The members are entries one level below the document, and
		 * count against the message's archive limits. */
		eng_pkg_rc prc = eng_pkg_read(ctx, where, data, len, depth + 1,
					      max > SG_BUF_UNLIMITED / 8 ? max : max * 8,
					      ct_wanted, ct_got_member, &pkg);
		rc = ct_pkg_text(&pkg, &text);
		if (prc == ENG_PKG_PARTIAL)
			eng_scan_limit(ctx, "document-unreadable",
				       "文書の一部を読み取れず全部は検査できません",
				       "Part of the document could not be read", where, "");
		ct_embeddings(ctx, where, &pkg, depth + 1);
	} else {
		rc = ct_plain(ctx, where, charset, kind, data, len, &text);
	}
	if (rc < 0)
		eng_scan_limit(ctx, "text-size", "添付ファイルの文字が多すぎて全部は検査できません",
			       "Attachment text too large to inspect in full", where, "");
	if (text.len > 0)
		ct_detect(ctx, where, &text);
	ct_pkg_free(&pkg);
	sg_buf_free(&text);
}
