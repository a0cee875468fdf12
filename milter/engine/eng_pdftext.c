/*
 * NAME
 *	eng_pdftext - the text of a PDF, as the detectors read it
 * DESCRIPTION
 *	See eng_pdftext.h and eng.h (PDF text). The pages come from the
 *	reader the caller gave the engine (milter/pdfpool: processes that
 *	run poppler); this file trusts none of it beyond the limits it
 *	asked for, makes one normalised text of the pages (with where
 *	each page starts, so that a marking's finding can name its page),
 *	runs the detectors over it and turns every cut into a scan-limit
 *	finding.
 *
 *	Must never accept a PDF whose text was not read in full without a
 *	scan-limit finding.
 */
#include "engine/eng_pdftext.h"
#include "engine/eng_text.h"
#include "util/sg_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void eng_engine_set_pdf_reader(eng_engine *eng, eng_pdf_read_fn read,
			       void *reader)
{
	eng->pdf_read = read;
	eng->pdf_reader = reader;
}

/* One document's answer, as the detectors need it. */
typedef struct pdf_doc {
	sg_buf norm;		/* normalised text of every page read */
	size_t *page_at;	/* offset in norm where page i+1 starts */
	size_t npage_at;
	unsigned text_pages, image_pages;
	size_t text_left;	/* of the limit asked for */
	unsigned max_pages;
	bool norm_cut;		/* normalised text over max_text_size */
	bool broken;		/* the reader gave what was not asked for */
} pdf_doc;

/* CJK scripts and punctuation that Japanese text sets in a CJK font. */
static bool pdf_cjk(unsigned long cp)
{
	return (cp >= 0x3001 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
	       (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	       (cp >= 0xFF01 && cp <= 0xFFEF);
}

static bool pdf_latin(unsigned long cp)
{
	return (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') ||
	       (cp >= 'a' && cp <= 'z');
}

/* The code point at s (valid UTF-8 after eng_text_normalize), its
 * length in *n. */
static unsigned long pdf_cp(const unsigned char *s, size_t left, size_t *n)
{
	size_t k = sg_utf8_len(s, left);
	unsigned long cp;

	if (k <= 1) {
		*n = 1;
		return s[0];
	}
	cp = s[0] & (0x7F >> k);
	for (size_t i = 1; i < k; i++)
		cp = (cp << 6) | (s[i] & 0x3F);
	*n = k;
	return cp;
}

/*
 * Spaces between a CJK character and a Latin letter or digit are
 * dropped: LibreOffice sets the two scripts in different fonts, and
 * poppler puts a space at each font change ("【機密性 3】", "令和 7 年"),
 * where the document has none. Dropping them here keeps every pattern
 * as it is for text from other sources. Tabs (cells) and line breaks
 * stay.
 */
static int pdf_join_scripts(const char *in, size_t len, sg_buf *out)
{
	const unsigned char *s = (const unsigned char *)in;
	unsigned long prev = 0;
	size_t i = 0;

	while (i < len) {
		size_t n, j;
		unsigned long next;

		if (s[i] != ' ') {
			prev = pdf_cp(s + i, len - i, &n);
			if (sg_buf_append(out, s + i, n) < 0)
				return -1;
			i += n;
			continue;
		}
		for (j = i; j < len && s[j] == ' '; j++)
			;
		next = j < len ? pdf_cp(s + j, len - j, &n) : 0;
		if (!((pdf_cjk(prev) && pdf_latin(next)) ||
		      (pdf_latin(prev) && pdf_cjk(next))) &&
		    sg_buf_append(out, s + i, j - i) < 0)
			return -1;
		prev = ' ';
		i = j;
	}
	return 0;
}

static bool pdf_has_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r\n\f\v", s[i]))
			return true;
	return false;
}

static void pdf_page_text(pdf_doc *doc, const char *raw, size_t len, size_t max)
{
	sg_buf tmp;

	if (doc->npage_at % 64 == 0)
		doc->page_at = sg_xreallocarray(doc->page_at, doc->npage_at + 64,
						sizeof(size_t));
	doc->page_at[doc->npage_at++] = doc->norm.len;
	sg_buf_init(&tmp, max);
	if (eng_text_normalize(raw, len, &tmp) < 0)
		doc->norm_cut = true;
	if (pdf_join_scripts(sg_buf_cstr(&tmp), tmp.len, &doc->norm) < 0 ||
	    sg_buf_putc(&doc->norm, '\n') < 0)
		doc->norm_cut = true;
	sg_buf_free(&tmp);
}

/* The reader's page callback: pages in order, within the limits the
 * engine asked for; anything else ends the reading as a crash. */
static int pdf_page(void *arg, unsigned page, const char *text, size_t len,
		    bool images)
{
	pdf_doc *doc = arg;

	if (page == 0 || page > doc->max_pages || page <= doc->npage_at ||
	    len > doc->text_left) {
		doc->broken = true;
		return -1;
	}
	doc->text_left -= len;
	/* pages the reader skipped (none in practice) count as empty */
	while (doc->npage_at + 1 < page)
		pdf_page_text(doc, "", 0, doc->norm.max);
	pdf_page_text(doc, text, len, doc->norm.max);
	if (images)
		doc->image_pages++;
	else if (pdf_has_text(text, len))
		doc->text_pages++;
	return 0;
}

static void pdf_limit(eng_ctx *ctx, const char *where, const char *rule,
		      const char *ja, const char *en, const char *ev)
{
	eng_scan_limit(ctx, rule, ja, en, where, ev);
}

static void pdf_note(eng_attachment *node, const char *note)
{
	sg_buf b;

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	if (node->note && *node->note)
		sg_buf_printf(&b, "%s; ", node->note);
	sg_buf_puts(&b, note);
	free(node->note);
	node->note = sg_buf_steal(&b);
}

/* A marking's finding names the first page it is on: the evidence of a
 * marking is the marking itself, as found in this text. */
static void pdf_pages_of_markings(eng_ctx *ctx, const char *where, size_t first,
				  const pdf_doc *doc)
{
	for (size_t i = first; i < ctx->res->nfindings; i++) {
		eng_finding *f = &ctx->res->findings[i];
		const char *hit;
		size_t off, pg = 0;
		sg_buf w;

		if (f->cat != ENG_CAT_CLASSIFIED || strcmp(f->where, where) != 0 ||
		    f->evidence == NULL || *f->evidence == '\0')
			continue;
		hit = memmem(sg_buf_cstr(&doc->norm), doc->norm.len, f->evidence,
			     strlen(f->evidence));
		if (hit == NULL)
			continue;
		off = (size_t)(hit - sg_buf_cstr(&doc->norm));
		while (pg + 1 < doc->npage_at && doc->page_at[pg + 1] <= off)
			pg++;
		sg_buf_init(&w, SG_BUF_UNLIMITED);
		sg_buf_printf(&w, "%s#page=%zu", where, pg + 1);
		free(f->where);
		f->where = sg_buf_steal(&w);
	}
}

static void pdf_report(eng_ctx *ctx, eng_attachment *node, pdf_doc *doc,
		       const eng_pdf_outcome *o)
{
	const char *where = node->where;
	char ev[64];

	switch (o->end) {
	case ENG_PDF_READ_ALL:
		break;
	case ENG_PDF_READ_PAGES:
		snprintf(ev, sizeof(ev), "%u of %u pages read",
			 (unsigned)doc->npage_at, o->npages);
		pdf_limit(ctx, where, "pdf-pages",
			  "PDF のページが多すぎて全部は検査できません",
			  "PDF has too many pages to inspect in full", ev);
		break;
	case ENG_PDF_READ_TEXT:
		doc->norm_cut = true;
		break;
	case ENG_PDF_READ_TIMEOUT:
		pdf_limit(ctx, where, "pdf-timeout",
			  "PDF の読み取りが時間内に終わりませんでした",
			  "Reading the PDF did not finish in time", o->detail);
		break;
	case ENG_PDF_READ_CRASH:
		pdf_limit(ctx, where, "pdf-crash",
			  "PDF の読み取り中に読み取り処理が異常終了しました",
			  "The PDF reader crashed on this PDF", o->detail);
		break;
	case ENG_PDF_READ_NONE:
		pdf_limit(ctx, where, "pdf-extractor",
			  "PDF の文字を読み取れませんでした (読み取り処理を使えません)",
			  "The PDF text reader was not available", o->detail);
		break;
	case ENG_PDF_READ_PASSWORD:
		/* qpdf opened it without a password, the reader did not:
		 * what a reader sees is unknown. */
	case ENG_PDF_READ_UNREADABLE:
	default:
		pdf_limit(ctx, where, "pdf-unreadable", "PDF を読み取れません",
			  "The PDF could not be read", o->detail);
		break;
	}
	if (doc->norm_cut)
		pdf_limit(ctx, where, "pdf-text-size",
			  "PDF の文字が多すぎて全部は検査できません",
			  "PDF text too large to inspect in full", "");
	if (doc->npage_at > 0 && doc->text_pages == 0 && doc->image_pages > 0)
		pdf_note(node, "画像のみ / image only: no text layer, nothing was read");
	else if (doc->image_pages > 0) {
		char note[128];

		snprintf(note, sizeof(note), "画像のみのページ %u / image-only pages: %u",
			 doc->image_pages, doc->image_pages);
		pdf_note(node, note);
	}
}

void eng_pdf_text(eng_ctx *ctx, eng_attachment *node, const unsigned char *data,
		  size_t len)
{
	const eng_engine *eng = ctx->eng;
	eng_pdf_limits lim;
	eng_pdf_outcome o;
	pdf_doc doc;

	if (!ctx->inspect || eng_deadline_passed(ctx))
		return;
	if (eng->pdf_read == NULL) {
		pdf_limit(ctx, node->where, "pdf-extractor",
			  "PDF の文字を読み取る仕組みがありません",
			  "No PDF text reader is running", "");
		return;
	}
	lim.max_text = eng->lim.text_size;
	lim.max_memory = eng->lim.pdf_memory;
	lim.max_pages = eng->lim.pdf_pages;
	lim.seconds = eng->lim.pdf_timeout;
	memset(&doc, 0, sizeof(doc));
	sg_buf_init(&doc.norm, eng->lim.text_size);
	doc.text_left = lim.max_text;
	doc.max_pages = lim.max_pages;
	memset(&o, 0, sizeof(o));
	eng->pdf_read(eng->pdf_reader, data, len, &lim, &ctx->deadline, pdf_page, &doc,
		      &o);
	o.detail[sizeof(o.detail) - 1] = '\0';
	if (doc.broken && o.end != ENG_PDF_READ_TIMEOUT) {
		o.end = ENG_PDF_READ_CRASH;
		snprintf(o.detail, sizeof(o.detail), "the reader broke the protocol");
	}
	if (doc.norm.len > 0) {
		size_t first = ctx->res->nfindings;

		eng_content_detect_text(ctx, node->where, sg_buf_cstr(&doc.norm),
					doc.norm.len);
		pdf_pages_of_markings(ctx, node->where, first, &doc);
	}
	pdf_report(ctx, node, &doc, &o);
	free(doc.page_at);
	sg_buf_free(&doc.norm);
}
