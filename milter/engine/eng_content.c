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
#include "engine/eng_xlsx.h"
#include "util/sg_mem.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bytes of the start of a file looked at to decide it is text. */
#define ENG_CT_SNIFF 65536

typedef enum {
	CT_NONE, CT_TEXT, CT_HTML, CT_ZIPDOC
} ct_kind;

/* ---- xlsx --------------------------------------------------------------- */

int eng_xlsx_text(const char *shared, size_t slen, const char *sheet,
		  size_t len, sg_buf *out)
{
	eng_xlsx_book *b = eng_xlsx_book_new(shared, slen, NULL, 0, NULL, 0, out->max);
	int rc = eng_xlsx_sheet(b, sheet, len, out);

	eng_xlsx_book_free(b);
	return rc;
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
	       strncmp(name, "ppt/embeddings/", 15) == 0 ||
	       /* ODF: an OLE object is stored whole as "Object 1" */
	       (strncmp(name, "Object ", 7) == 0 && strchr(name, '/') == NULL);
}

/* Members whose text is the document's: bodies, headers and footers,
 * notes, comments, text boxes and shapes (xlsx drawings; a pptx's
 * masters, where a marking on every slide lives), sheet names and
 * the cell formats that make a number a date. */
static bool ct_wanted(const char *name)
{
	return strcmp(name, "word/document.xml") == 0 || ct_embedded(name) ||
	       ct_prefix_suffix(name, "word/header", ".xml") ||
	       ct_prefix_suffix(name, "word/footer", ".xml") ||
	       strcmp(name, "word/footnotes.xml") == 0 ||
	       strcmp(name, "word/endnotes.xml") == 0 ||
	       strcmp(name, "word/comments.xml") == 0 ||
	       strcmp(name, "xl/sharedStrings.xml") == 0 ||
	       strcmp(name, "xl/styles.xml") == 0 ||
	       strcmp(name, "xl/workbook.xml") == 0 ||
	       ct_prefix_suffix(name, "xl/worksheets/sheet", ".xml") ||
	       ct_prefix_suffix(name, "xl/comments", ".xml") ||
	       ct_prefix_suffix(name, "xl/threadedComments/", ".xml") ||
	       ct_prefix_suffix(name, "xl/drawings/drawing", ".xml") ||
	       ct_prefix_suffix(name, "ppt/slides/slide", ".xml") ||
	       ct_prefix_suffix(name, "ppt/notesSlides/notesSlide", ".xml") ||
	       ct_prefix_suffix(name, "ppt/slideMasters/slideMaster", ".xml") ||
	       ct_prefix_suffix(name, "ppt/comments/", ".xml") ||
	       strcmp(name, "content.xml") == 0 || strcmp(name, "styles.xml") == 0 ||
	       /* an ODF document embedded in one (a Calc table in Writer) */
	       ct_prefix_suffix(name, "Object ", "/content.xml");
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

static const char *ct_data(const ct_member *m)
{
	return m ? sg_buf_cstr(&m->data) : NULL;
}

static size_t ct_len(const ct_member *m)
{
	return m ? m->data.len : 0;
}

static int ct_pkg_text(ct_pkg *pkg, sg_buf *out)
{
	const ct_member *ss, *st, *wb;
	eng_xlsx_book *book = NULL;
	int rc = 0;

	if (pkg->n == 0)
		return 0;
	qsort(pkg->m, pkg->n, sizeof(ct_member), ct_member_cmp);
	ss = ct_member_named(pkg, "xl/sharedStrings.xml");
	st = ct_member_named(pkg, "xl/styles.xml");
	wb = ct_member_named(pkg, "xl/workbook.xml");
	book = eng_xlsx_book_new(ct_data(ss), ct_len(ss), ct_data(st), ct_len(st),
				 ct_data(wb), ct_len(wb), out->max);
	for (size_t i = 0; i < pkg->n && rc == 0; i++) {
		const ct_member *m = &pkg->m[i];

		if (m == ss || m == st || ct_embedded(m->name))
			continue;
		if (m == wb)
			rc = eng_xlsx_names(book, out);
		else if (strncmp(m->name, "xl/worksheets/", 14) == 0)
			rc = eng_xlsx_sheet(book, sg_buf_cstr(&m->data), m->data.len, out);
		else
			rc = eng_xml_text(sg_buf_cstr(&m->data), m->data.len, out);
	}
	eng_xlsx_book_free(book);
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

/* A package read in full that lacks what its kind cannot be without
 * (a workbook without workbook.xml or any sheet, a Word file without
 * its body, an ODF file without content.xml): a damaged file whose
 * text was not all seen. Returns what is missing, or NULL. */
static const char *ct_pkg_missing(const unsigned char *d, size_t len, const ct_pkg *pkg)
{
	bool sheet = false;

	switch (eng_sniff(d, len)) {
	case ENG_FT_XLSX: case ENG_FT_XLSM:
		for (size_t i = 0; i < pkg->n; i++)
			sheet |= strncmp(pkg->m[i].name, "xl/worksheets/", 14) == 0;
		if (ct_member_named(pkg, "xl/workbook.xml") == NULL)
			return "xl/workbook.xml missing";
		return sheet ? NULL : "no worksheet";
	case ENG_FT_DOCX: case ENG_FT_DOCM:
		return ct_member_named(pkg, "word/document.xml") ? NULL : "word/document.xml missing";
	case ENG_FT_ODF:
		return ct_member_named(pkg, "content.xml") ? NULL : "content.xml missing";
	default:
		return NULL;
	}
}

/* Embedded files, each at `depth` (its package's members' level):
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
		/* Read as an archive entry is, not only for its text: an
		 * OLE object's packaged exe, a signed .p7m, a zip (issue 13). */
		eng_attach_embedded(ctx, sg_buf_cstr(&w), base ? base + 1 : m->name,
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
		const char *missing = prc == ENG_PKG_OK ? ct_pkg_missing(data, len, &pkg) : NULL;

		rc = ct_pkg_text(&pkg, &text);
		if (prc == ENG_PKG_PARTIAL || missing)
			eng_scan_limit(ctx, "document-unreadable",
				       "文書の一部を読み取れず全部は検査できません",
				       "Part of the document could not be read", where,
				       missing ? missing : "");
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
