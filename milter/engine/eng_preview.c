/*
 * NAME
 *	eng_preview - a bounded preview of a message, for its approvers
 * SYNOPSIS
 *	#include "engine/eng.h"
 *
 *	int eng_preview(const eng_engine *eng, const eng_envelope *env,
 *			const void *msg, size_t len, size_t body_max,
 *			sg_buf *json);
 * DESCRIPTION
 *	A second person can only catch what the approval page shows
 *	(issue 18: a 課長 who sees findings but not the mail approves
 *	blind). The page and `sendguardctl show` cannot read the MTA's
 *	hold queue, so the milter builds this preview at hold time and the
 *	store keeps it, encrypted, until the hold is decided.
 *
 *	It is the message as the recipient will see it: From, To and Cc
 *	decoded but not NFKC-normalised (「（案）①」 stays as written),
 *	Bcc (the envelope recipients in neither To nor Cc: clients remove
 *	the Bcc header), the Subject as written, the text of each body
 *	part (HTML rendered to text by the engine's own converter, so no
 *	markup is ever kept) up to `body_max` bytes in all, and for each
 *	attachment or archive entry (by its inventory path) what can be
 *	shown without opening it: spreadsheets (xlsx, xlsm) their sheet
 *	names, row and column counts and first rows; CSV and plain text
 *	their first rows or lines; Word documents (docx) their first
 *	lines; PDFs their page count; images a note that no thumbnail is
 *	made.
 *
 *	It runs the same MIME walk and archive reader as eng_scan(), with
 *	the same limits and deadline, but no detector: the detectors ran
 *	already, and what a limit stopped here is simply not in the
 *	preview. Everything it keeps is bounded (ENG_PV_* below), so a
 *	preview is at most about body_max + ENG_PV_DETAIL_MAX bytes of
 *	JSON whatever the message.
 *
 *	The JSON (one object):
 *	  {"v":1,"from":S,"to":S,"cc":S,"bcc":[S..],"subject":S,
 *	   "bodies":[{"where":S,"html":B,"text":S,"cut":B}..],
 *	   "files":[{"path":S,"kind":"sheet"|"csv"|"text"|"pdf"|"image",
 *	             "sheets":[{"name":S,"rows":N,"cols":N,
 *	                        "first":[[S..]..]}..],
 *	             "rows":N,"first":[[S..]..],"lines":[S..],"pages":N}..],
 *	   "cut":B}
 *	"cut" says that something was left out for the bounds.
 * DIAGNOSTICS
 *	Returns 0 (json filled), or -1 when the message could not be
 *	parsed at all (json gets a preview with the headers it has).
 */
#include "engine/eng_int.h"
#include "engine/eng_addr.h"
#include "engine/eng_archive.h"
#include "engine/eng_attach.h"
#include "engine/eng_charset.h"
#include "engine/eng_content.h"
#include "engine/eng_hdr.h"
#include "engine/eng_sniff.h"
#include "util/sg_json.h"
#include "util/sg_mem.h"

#include "engine/eng_pdf.h"

#include <qpdf/qpdf-c.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ENG_PV_HDR_MAX		(16 * 1024)	/* bytes of From, To, Cc each */
#define ENG_PV_BODIES		8		/* body parts kept */
#define ENG_PV_FILES		200		/* files with details */
#define ENG_PV_DETAIL_MAX	(256 * 1024)	/* JSON of all file details */
#define ENG_PV_SHEETS		32		/* sheet names per workbook */
#define ENG_PV_SHEET_ROWS	4		/* sheets whose rows are read */
#define ENG_PV_ROWS		5		/* first rows or lines */
#define ENG_PV_COLS		12		/* cells per row */
#define ENG_PV_CELL		200		/* bytes per cell or line */
#define ENG_PV_MEMBER_MAX	(16u * 1024 * 1024)	/* one sheet's XML */
#define ENG_PV_TEXT_MAX		(64 * 1024)	/* text read for first rows */
#define ENG_PV_BCC		1000		/* Bcc addresses listed */

struct eng_pv {
	size_t body_max, body_used;
	size_t nbodies, nfiles;
	sg_buf bodies;		/* JSON array elements, comma-separated */
	sg_buf files;
	bool cut;
	/* eng_extract(): the one file wanted, by inventory path; no
	 * preview is built then. */
	const char *want;
	size_t want_len;
	eng_extract_sink sink;
	void *sink_arg;
	int found;		/* 0 not seen, 1 handed to the sink, -1 no data */
	bool inner_danger;	/* an entry inside it is dangerous by content */
};

/* ---- small helpers --------------------------------------------------- */

/* s[0..n) as a JSON string of at most max bytes (cut on a character),
 * control characters (C0 but tab and newline, DEL, C1) made blanks: the
 * text reaches terminals (sendguardctl show) and pages as it is. */
static void pv_str_cut(sg_buf *out, const char *s, size_t n, size_t max)
{
	sg_buf t;

	sg_buf_init(&t, max);
	(void)sg_buf_append_cut(&t, s, n);
	for (size_t i = 0; i < t.len; i++) {
		unsigned char c = (unsigned char)t.data[i];

		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			t.data[i] = ' ';
		else if (c == 0xc2 && i + 1 < t.len &&
			 (unsigned char)t.data[i + 1] >= 0x80 &&
			 (unsigned char)t.data[i + 1] <= 0x9f) {
			t.data[i] = ' ';
			t.data[++i] = ' ';
		}
	}
	sg_json_strn(out, sg_buf_cstr(&t), t.len);
	sg_buf_free(&t);
}

/* XML attribute `name="..."` inside the tag t[0..n), entities decoded
 * (the five named ones and numeric references). */
static bool pv_xml_attr(const char *t, size_t n, const char *name, sg_buf *out)
{
	size_t k = strlen(name);

	sg_buf_reset(out);
	for (size_t i = 0; i + k + 2 <= n; i++) {
		size_t e;

		if ((i > 0 && t[i - 1] != ' ' && t[i - 1] != '\t' && t[i - 1] != '\n' &&
		     t[i - 1] != '\r' && t[i - 1] != ':') ||
		    memcmp(t + i, name, k) != 0 || t[i + k] != '=' ||
		    (t[i + k + 1] != '"' && t[i + k + 1] != '\''))
			continue;
		for (e = i + k + 2; e < n && t[e] != t[i + k + 1]; e++)
			;
		for (size_t p = i + k + 2; p < e; p++) {
			static const struct { const char *ent; char c; } ents[] = {
				{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
				{ "&quot;", '"' }, { "&apos;", '\'' }
			};
			bool done = false;

			for (size_t j = 0; j < 5 && !done; j++) {
				size_t el = strlen(ents[j].ent);
				if (p + el <= e && memcmp(t + p, ents[j].ent, el) == 0) {
					sg_buf_putc(out, ents[j].c);
					p += el - 1;
					done = true;
				}
			}
			if (!done && t[p] == '&' && p + 2 < e && t[p + 1] == '#') {
				char *end;
				bool hex = t[p + 2] == 'x' || t[p + 2] == 'X';
				unsigned long cp = strtoul(t + p + (hex ? 3 : 2), &end,
							   hex ? 16 : 10);
				if (end < t + e && *end == ';') {
					sg_buf_put_utf8(out, cp);
					p = (size_t)(end - t);
					done = true;
				}
			}
			if (!done)
				sg_buf_putc(out, t[p]);
		}
		return true;
	}
	return false;
}

/* Calls fn for each start tag <tag ...> (not <tagX) in x[0..n). */
static void pv_xml_tags(const char *x, size_t n, const char *tag,
			void (*fn)(void *arg, const char *t, size_t tn), void *arg,
			size_t max)
{
	size_t k = strlen(tag), seen = 0;
	const char *p = x, *end = x + n;

	while (p < end && seen < max) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		const char *gt;

		if (lt == NULL || (size_t)(end - lt) < k + 2)
			return;
		p = lt + 1;
		if (memcmp(p, tag, k) != 0 ||
		    !(p[k] == ' ' || p[k] == '/' || p[k] == '>' || p[k] == '\t' ||
		      p[k] == '\n' || p[k] == '\r'))
			continue;
		gt = memchr(p, '>', (size_t)(end - p));
		if (gt == NULL)
			return;
		fn(arg, p, (size_t)(gt - p));
		p = gt + 1;
		seen++;
	}
}

/* Cells of a line, separated by sep (a CSV's ',' honours "quotes"). */
static void pv_row(sg_buf *out, const char *s, size_t n, char sep, bool quotes)
{
	sg_buf cell;
	size_t ncells = 0;
	bool inq = false, more = false;

	sg_buf_init(&cell, ENG_PV_CELL);
	sg_buf_putc(out, '[');
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : sep;

		if (quotes && c == '"') {
			if (inq && i + 1 < n && s[i + 1] == '"') {
				(void)sg_buf_append_cut(&cell, "\"", 1);
				i++;
			} else {
				inq = !inq;
			}
			continue;
		}
		if (c == sep && (!inq || i == n)) {
			if (ncells < ENG_PV_COLS) {
				if (ncells++)
					sg_buf_putc(out, ',');
				pv_str_cut(out, sg_buf_cstr(&cell), cell.len, ENG_PV_CELL);
			} else {
				more = true;
			}
			sg_buf_reset(&cell);
			continue;
		}
		if (c != '\r')
			(void)sg_buf_append_cut(&cell, &c, 1);
	}
	(void)more;
	sg_buf_putc(out, ']');
	sg_buf_free(&cell);
}

/* Up to ENG_PV_ROWS lines of text, each as a row (sep != 0) or a
 * string; *nlines (when not NULL) gets the number of lines in all. */
static void pv_lines(sg_buf *out, const char *t, size_t n, char sep, bool quotes,
		     bool skip_blank)
{
	const char *p = t, *end = t + n;
	size_t kept = 0;

	sg_buf_putc(out, '[');
	while (p < end && kept < ENG_PV_ROWS) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ln = nl ? (size_t)(nl - p) : (size_t)(end - p);
		bool blank = true;

		for (size_t i = 0; i < ln && blank; i++)
			blank = p[i] == ' ' || p[i] == '\t' || p[i] == '\r';
		if (!(skip_blank && blank)) {
			if (kept++)
				sg_buf_putc(out, ',');
			if (sep)
				pv_row(out, p, ln, sep, quotes);
			else
				pv_str_cut(out, p, ln && p[ln - 1] == '\r' ? ln - 1 : ln,
					   ENG_PV_CELL);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	sg_buf_putc(out, ']');
}

/* ---- spreadsheets -------------------------------------------------------- */

typedef struct pv_sheet {
	char *name, *rid, *target;
} pv_sheet;

typedef struct pv_book {
	pv_sheet *v;
	size_t n;
	bool more;
} pv_book;

static void pv_on_sheet(void *arg, const char *t, size_t n)
{
	pv_book *b = arg;
	sg_buf name, rid;

	if (b->n >= ENG_PV_SHEETS) {
		b->more = true;
		return;
	}
	sg_buf_init(&name, 1024);
	sg_buf_init(&rid, 256);
	if (pv_xml_attr(t, n, "name", &name)) {
		(void)pv_xml_attr(t, n, "id", &rid);	/* r:id, any prefix */
		b->v = sg_xreallocarray(b->v, b->n + 1, sizeof(*b->v));
		b->v[b->n].name = sg_buf_steal(&name);
		b->v[b->n].rid = sg_buf_steal(&rid);
		b->v[b->n].target = NULL;
		b->n++;
	}
	sg_buf_free(&name);
	sg_buf_free(&rid);
}

static void pv_on_rel(void *arg, const char *t, size_t n)
{
	pv_book *b = arg;
	sg_buf id, target;

	sg_buf_init(&id, 256);
	sg_buf_init(&target, 1024);
	if (pv_xml_attr(t, n, "Id", &id) && pv_xml_attr(t, n, "Target", &target))
		for (size_t i = 0; i < b->n; i++)
			if (b->v[i].target == NULL && strcmp(b->v[i].rid, sg_buf_cstr(&id)) == 0) {
				sg_buf full;
				const char *tg = sg_buf_cstr(&target);

				sg_buf_init(&full, 2048);
				if (*tg == '/')
					sg_buf_puts(&full, tg + 1);
				else
					sg_buf_printf(&full, "xl/%s", tg);
				b->v[i].target = sg_buf_steal(&full);
			}
	sg_buf_free(&id);
	sg_buf_free(&target);
}

/* "AB12" -> column 28, row 12. */
static void pv_cellref(const char *s, size_t n, unsigned long *col, unsigned long *row)
{
	size_t i = 0;

	*col = *row = 0;
	for (; i < n && i < 4 && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')); i++)
		*col = *col * 26 + (unsigned long)((s[i] | 0x20) - 'a' + 1);
	for (; i < n && i < 12 && s[i] >= '0' && s[i] <= '9'; i++)
		*row = *row * 10 + (unsigned long)(s[i] - '0');
}

typedef struct pv_dim {
	unsigned long rows, cols;
	bool found;
	size_t nrows;		/* <row> tags, when no dimension */
} pv_dim;

static void pv_on_dim(void *arg, const char *t, size_t n)
{
	pv_dim *d = arg;
	sg_buf ref;

	sg_buf_init(&ref, 64);
	if (!d->found && pv_xml_attr(t, n, "ref", &ref)) {
		const char *r = sg_buf_cstr(&ref), *colon = strchr(r, ':');
		unsigned long c1, r1, c2, r2;

		pv_cellref(r, colon ? (size_t)(colon - r) : ref.len, &c1, &r1);
		if (colon)
			pv_cellref(colon + 1, strlen(colon + 1), &c2, &r2);
		else
			c2 = c1, r2 = r1;
		if (c2 >= c1 && r2 >= r1 && r1 > 0 && c1 > 0) {
			d->rows = r2 - r1 + 1;
			d->cols = c2 - c1 + 1;
			d->found = true;
		}
	}
	sg_buf_free(&ref);
}

static void pv_on_row(void *arg, const char *t, size_t n)
{
	(void)t;
	(void)n;
	((pv_dim *)arg)->nrows++;
}

static void pv_sheet_json(eng_ctx *ctx, const unsigned char *data, size_t len,
			  const pv_sheet *s, const sg_buf *shared, bool rows, sg_buf *out)
{
	sg_buf xml, text;
	pv_dim d = { 0, 0, false, 0 };

	sg_buf_puts(out, "{\"name\":");
	pv_str_cut(out, s->name, strlen(s->name), 512);
	sg_buf_init(&xml, ENG_PV_MEMBER_MAX);
	if (s->target == NULL || eng_deadline_passed(ctx) ||
	    eng_zip_member(data, len, s->target, ENG_PV_MEMBER_MAX, &xml) < 0) {
		sg_buf_puts(out, "}");
		sg_buf_free(&xml);
		return;
	}
	pv_xml_tags(xml.data, xml.len, "dimension", pv_on_dim, &d, 1);
	if (!d.found)
		pv_xml_tags(xml.data, xml.len, "row", pv_on_row, &d, (size_t)-1);
	sg_buf_printf(out, ",\"rows\":%lu", d.found ? d.rows : (unsigned long)d.nrows);
	if (d.found)
		sg_buf_printf(out, ",\"cols\":%lu", d.cols);
	if (rows) {
		/* eng_xlsx_text's output is capped: only the first rows matter,
		 * and a cut there is expected, not a failure. */
		sg_buf_init(&text, ENG_PV_TEXT_MAX);
		(void)eng_xlsx_text(shared->len ? shared->data : NULL, shared->len,
				    xml.data, xml.len, &text);
		sg_buf_puts(out, ",\"first\":");
		pv_lines(out, sg_buf_cstr(&text), text.len, '\t', false, true);
		sg_buf_free(&text);
	}
	sg_buf_putc(out, '}');
	sg_buf_free(&xml);
}

static void pv_xlsx(eng_ctx *ctx, const unsigned char *data, size_t len, sg_buf *out)
{
	pv_book b = { NULL, 0, false };
	sg_buf wb, rels, shared;

	sg_buf_init(&wb, ENG_PV_MEMBER_MAX);
	sg_buf_init(&rels, ENG_PV_MEMBER_MAX);
	sg_buf_init(&shared, ENG_PV_MEMBER_MAX);
	sg_buf_puts(out, "\"kind\":\"sheet\",\"sheets\":[");
	if (eng_zip_member(data, len, "xl/workbook.xml", ENG_PV_MEMBER_MAX, &wb) == 0) {
		pv_xml_tags(wb.data, wb.len, "sheet", pv_on_sheet, &b, ENG_PV_SHEETS + 1);
		if (eng_zip_member(data, len, "xl/_rels/workbook.xml.rels",
				   ENG_PV_MEMBER_MAX, &rels) == 0)
			pv_xml_tags(rels.data, rels.len, "Relationship", pv_on_rel, &b,
				    4 * ENG_PV_SHEETS);
		if (eng_zip_member(data, len, "xl/sharedStrings.xml", ENG_PV_MEMBER_MAX,
				   &shared) < 0)
			sg_buf_reset(&shared);
	}
	for (size_t i = 0; i < b.n; i++) {
		if (i)
			sg_buf_putc(out, ',');
		pv_sheet_json(ctx, data, len, &b.v[i], &shared, i < ENG_PV_SHEET_ROWS, out);
	}
	sg_buf_printf(out, "],\"more_sheets\":%s", b.more ? "true" : "false");
	for (size_t i = 0; i < b.n; i++) {
		free(b.v[i].name);
		free(b.v[i].rid);
		free(b.v[i].target);
	}
	free(b.v);
	sg_buf_free(&wb);
	sg_buf_free(&rels);
	sg_buf_free(&shared);
}

/* ---- other kinds ------------------------------------------------------------- */

static bool pv_name_ends(const char *name, const char *ext)
{
	size_t n = strlen(name), k = strlen(ext);

	return n > k && strcasecmp(name + n - k, ext) == 0;
}

static void pv_textfile(const eng_attachment *node, const unsigned char *data,
			size_t len, sg_buf *out)
{
	bool csv = pv_name_ends(node->name, ".csv") ||
		   strcmp(node->declared_type, "text/csv") == 0;
	bool tsv = pv_name_ends(node->name, ".tsv") ||
		   strcmp(node->declared_type, "text/tab-separated-values") == 0;
	sg_buf text;
	size_t lines = 0;

	sg_buf_init(&text, ENG_PV_TEXT_MAX);
	(void)eng_cs_to_utf8(NULL, data, len < ENG_PV_TEXT_MAX ? len : ENG_PV_TEXT_MAX,
			     &text);
	for (size_t i = 0; i < len; i++)
		lines += data[i] == '\n';
	if (len > 0 && data[len - 1] != '\n')
		lines++;
	if (csv || tsv) {
		sg_buf_printf(out, "\"kind\":\"csv\",\"rows\":%zu,\"first\":", lines);
		pv_lines(out, sg_buf_cstr(&text), text.len, tsv ? '\t' : ',', csv, false);
	} else {
		sg_buf_printf(out, "\"kind\":\"text\",\"rows\":%zu,\"lines\":", lines);
		pv_lines(out, sg_buf_cstr(&text), text.len, 0, false, true);
	}
	sg_buf_free(&text);
}

static void pv_docx(const unsigned char *data, size_t len, sg_buf *out)
{
	sg_buf xml, text;

	sg_buf_init(&xml, ENG_PV_MEMBER_MAX);
	sg_buf_init(&text, ENG_PV_TEXT_MAX);
	if (eng_zip_member(data, len, "word/document.xml", ENG_PV_MEMBER_MAX, &xml) == 0)
		(void)eng_xml_text(xml.data, xml.len, &text);
	sg_buf_puts(out, "\"kind\":\"text\",\"lines\":");
	pv_lines(out, sg_buf_cstr(&text), text.len, 0, false, true);
	sg_buf_free(&xml);
	sg_buf_free(&text);
}

/* The page count; -1 when qpdf cannot open it without a password. */
static long pv_pdf_pages(const unsigned char *data, size_t len,
			 unsigned long long cap)
{
	qpdf_data q;
	long pages = -1;
	unsigned long long used;

	/* qpdf inflates object streams to count pages: not past what the
	 * scan allows (eng_pdf_open_cost; the scan held such a PDF). */
	if (eng_pdf_open_cost(data, len, cap, &used) != ENG_PDF_COUNT_OK)
		return -1;
	q = qpdf_init();
	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	if ((qpdf_read_memory(q, "attachment", (const char *)data,
			      (unsigned long long)len, NULL) & QPDF_ERRORS) == 0) {
		int n = qpdf_get_num_pages(q);
		pages = n >= 0 ? (long)n : -1;
	}
	while (qpdf_more_warnings(q))
		(void)qpdf_next_warning(q);
	qpdf_cleanup(&q);
	return pages;
}

/* A place or path as the scan's result stores it (eng_result_clean),
 * so that the page finds a file's details by its inventory path. */
static void pv_json_clean(sg_buf *out, const char *s)
{
	char *c = eng_clean_str(sg_xstrdup(s ? s : ""));

	sg_json_str(out, c);
	free(c);
}

/* ---- the walk's hooks ------------------------------------------------------ */

void eng_pv_text(eng_ctx *ctx, const char *where, const char *text, size_t len,
		 bool html)
{
	eng_pv *pv = ctx->pv;
	size_t room;

	if (pv->want != NULL)
		return;
	if (pv->nbodies >= ENG_PV_BODIES) {
		pv->cut = true;
		return;
	}
	room = pv->body_max > pv->body_used ? pv->body_max - pv->body_used : 0;
	if (pv->nbodies++)
		sg_buf_putc(&pv->bodies, ',');
	sg_buf_puts(&pv->bodies, "{\"where\":");
	pv_json_clean(&pv->bodies, where);
	sg_buf_printf(&pv->bodies, ",\"html\":%s,\"text\":", html ? "true" : "false");
	pv_str_cut(&pv->bodies, text, len, room);
	sg_buf_printf(&pv->bodies, ",\"cut\":%s}", len > room ? "true" : "false");
	pv->body_used += len < room ? len : room;
	if (len > room)
		pv->cut = true;
}

void eng_pv_file(eng_ctx *ctx, const eng_attachment *node, int ftype,
		 const unsigned char *data, size_t len)
{
	eng_pv *pv = ctx->pv;
	eng_ftype ft = (eng_ftype)ftype;
	sg_buf one;

	if (pv->want != NULL) {
		bool danger = (eng_ftype_info(ft)->flags & ENG_FT_F_DANGER) != 0;

		if (pv->found != 0 || node->path == NULL)
			return;
		/* An archive's entries are walked before the archive itself
		 * reaches this hook: an entry of the wanted file that is
		 * dangerous by content makes the file dangerous too (the
		 * approver would unpack it on their own desk). */
		if (strncmp(node->path, pv->want, pv->want_len) == 0 &&
		    node->path[pv->want_len] == ':') {
			pv->inner_danger |= danger;
			return;
		}
		if (strcmp(node->path, pv->want) != 0)
			return;
		if (data == NULL) {
			pv->found = -1;
			return;
		}
		pv->found = 1;
		/* The decoded bytes go to the sink as they lie in the walk's
		 * memory: no second copy of a file of up to max_download. */
		pv->sink(pv->sink_arg, node->name ? node->name : "",
			 danger || pv->inner_danger, data, len);
		return;
	}
	if (data == NULL || node->encrypted)
		return;
	if (pv->nfiles >= ENG_PV_FILES || pv->files.len >= ENG_PV_DETAIL_MAX ||
	    eng_deadline_passed(ctx)) {
		pv->cut = true;
		return;
	}
	sg_buf_init(&one, SG_BUF_UNLIMITED);
	sg_buf_puts(&one, "{\"path\":");
	pv_json_clean(&one, node->path);
	sg_buf_putc(&one, ',');
	if (ft == ENG_FT_XLSX || ft == ENG_FT_XLSM)
		pv_xlsx(ctx, data, len, &one);
	else if (ft == ENG_FT_DOCX || ft == ENG_FT_DOCM)
		pv_docx(data, len, &one);
	else if (ft == ENG_FT_TEXT)
		pv_textfile(node, data, len, &one);
	else if (ft == ENG_FT_PDF)
		sg_buf_printf(&one, "\"kind\":\"pdf\",\"pages\":%ld", pv_pdf_pages(data, len,
								     ctx->eng->lim.expanded_size));
	else if (eng_ftype_info(ft)->flags & ENG_FT_F_IMAGE)
		sg_buf_puts(&one, "\"kind\":\"image\"");
	else
		sg_buf_reset(&one);
	if (one.len > 0) {
		sg_buf_putc(&one, '}');
		if (pv->files.len + one.len + 1 <= ENG_PV_DETAIL_MAX) {
			if (pv->nfiles++)
				sg_buf_putc(&pv->files, ',');
			sg_buf_append(&pv->files, one.data, one.len);
		} else {
			pv->cut = true;
		}
	}
	sg_buf_free(&one);
}

/* ---- the preview ------------------------------------------------------------ */

static void pv_walk_att(eng_ctx *ctx, eng_attachment *att, const unsigned char *data,
			size_t len)
{
	/* Type, encryption and archive entries: eng_attach_file calls
	 * eng_pv_file for the file and each entry. */
	eng_attach_inspect(ctx, att, data, len);
}

static void pv_header(sg_buf *out, const char *key, const char *raw)
{
	sg_buf dec;

	sg_json_key(out, key);
	if (raw == NULL || *raw == '\0') {
		sg_buf_puts(out, "null,");
		return;
	}
	while (*raw == ' ' || *raw == '\t' || *raw == '\r' || *raw == '\n')
		raw++;
	sg_buf_init(&dec, ENG_PV_HDR_MAX);
	(void)eng_hdr_decode(raw, strlen(raw), &dec);
	pv_str_cut(out, sg_buf_cstr(&dec), dec.len, ENG_PV_HDR_MAX);
	sg_buf_putc(out, ',');
	sg_buf_free(&dec);
}

static bool pv_listed(const eng_addr_list *l, const char *addr)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i].addr, addr) == 0)
			return true;
	return false;
}

/* Envelope recipients in neither To nor Cc: what the sender put in Bcc
 * (or a list expansion); the header itself never reaches the MTA. */
static void pv_bcc(sg_buf *out, const eng_envelope *env, const eng_hdrs *h)
{
	eng_addr_list l;
	size_t kept = 0;
	sg_buf a;

	eng_addr_list_init(&l, 0);
	eng_addr_parse(h->to.data ? h->to.data : "", h->to.len, &l);
	eng_addr_parse(h->cc.data ? h->cc.data : "", h->cc.len, &l);
	sg_buf_init(&a, 1024);
	sg_buf_puts(out, "\"bcc\":[");
	for (size_t i = 0; env && i < env->nrcpts && kept < ENG_PV_BCC; i++) {
		const char *r = env->rcpts[i];
		size_t n = strlen(r);

		sg_buf_reset(&a);
		if (n >= 2 && r[0] == '<' && r[n - 1] == '>')
			sg_buf_append(&a, r + 1, n - 2);
		else
			sg_buf_append(&a, r, n);
		if (a.len == 0 || pv_listed(&l, sg_buf_cstr(&a)))
			continue;
		if (kept++)
			sg_buf_putc(out, ',');
		pv_str_cut(out, sg_buf_cstr(&a), a.len, 1024);
	}
	sg_buf_puts(out, "],");
	sg_buf_free(&a);
	eng_addr_list_free(&l);
}

int eng_preview(const eng_engine *eng, const eng_envelope *env, const void *msg,
		size_t len, size_t body_max, sg_buf *json)
{
	static const eng_walk_cb cb = { NULL, pv_walk_att, NULL };
	eng_result scratch;
	eng_ctx ctx = { 0 };
	eng_pv pv;
	eng_hdrs h;
	eng_mime *mime;

	memset(&pv, 0, sizeof(pv));
	pv.body_max = body_max;
	sg_buf_init(&pv.bodies, SG_BUF_UNLIMITED);
	sg_buf_init(&pv.files, SG_BUF_UNLIMITED);
	eng_result_init(&scratch);
	ctx.eng = eng;
	ctx.res = &scratch;
	ctx.pv = &pv;
	ctx.inspect = false;	/* no detector: the scan ran them */
	clock_gettime(CLOCK_MONOTONIC, &ctx.deadline);
	ctx.deadline.tv_sec += eng->lim.scan_timeout;
	eng_hdrs_init(&h, eng->lim.header_size);
	mime = eng_mime_parse(&ctx, msg, len > eng->lim.message_size ?
			      eng->lim.message_size : len, &h);
	if (mime)
		eng_mime_walk(&ctx, mime, &cb);
	eng_attach_finish(&ctx);

	sg_buf_puts(json, "{\"v\":1,");
	pv_header(json, "from", h.from_raw);
	pv_header(json, "to", h.to.len ? h.to.data : NULL);
	pv_header(json, "cc", h.cc.len ? h.cc.data : NULL);
	pv_bcc(json, env, &h);
	sg_json_key(json, "subject");
	if (h.subject_shown)
		pv_str_cut(json, h.subject_shown, strlen(h.subject_shown),
			   ENG_PV_HDR_MAX);
	else
		sg_buf_puts(json, "null");
	sg_buf_puts(json, ",\"bodies\":[");
	sg_buf_append(json, pv.bodies.data, pv.bodies.len);
	sg_buf_puts(json, "],\"files\":[");
	sg_buf_append(json, pv.files.data, pv.files.len);
	sg_buf_printf(json, "],\"cut\":%s}", pv.cut || ctx.timed_out ? "true" : "false");

	eng_mime_free(mime);
	eng_hdrs_free(&h);
	for (size_t i = 0; i < ctx.ncid_refs; i++)
		free(ctx.cid_refs[i]);
	free(ctx.cid_refs);
	eng_result_free(&scratch);
	sg_buf_free(&pv.bodies);
	sg_buf_free(&pv.files);
	return mime ? 0 : -1;
}

/* One attachment or archive entry of the message, by its inventory path
 * ("2", "2:dir/file.xlsx"), for a download (issue 18): the same walk,
 * limits and deadline as the preview, so it reaches exactly the files
 * the inventory lists. The sink gets it once, during the walk. */
int eng_extract(const eng_engine *eng, const void *msg, size_t len,
		const char *path, eng_extract_sink sink, void *arg)
{
	static const eng_walk_cb cb = { NULL, pv_walk_att, NULL };
	eng_result scratch;
	eng_ctx ctx = { 0 };
	eng_pv pv;
	eng_hdrs h;
	eng_mime *mime;

	memset(&pv, 0, sizeof(pv));
	pv.want = path;
	pv.want_len = strlen(path);
	pv.sink = sink;
	pv.sink_arg = arg;
	sg_buf_init(&pv.bodies, 16);
	sg_buf_init(&pv.files, 16);
	eng_result_init(&scratch);
	ctx.eng = eng;
	ctx.res = &scratch;
	ctx.pv = &pv;
	ctx.inspect = false;
	clock_gettime(CLOCK_MONOTONIC, &ctx.deadline);
	ctx.deadline.tv_sec += eng->lim.scan_timeout;
	eng_hdrs_init(&h, eng->lim.header_size);
	mime = eng_mime_parse(&ctx, msg, len > eng->lim.message_size ?
			      eng->lim.message_size : len, &h);
	if (mime)
		eng_mime_walk(&ctx, mime, &cb);
	eng_attach_finish(&ctx);
	eng_mime_free(mime);
	eng_hdrs_free(&h);
	for (size_t i = 0; i < ctx.ncid_refs; i++)
		free(ctx.cid_refs[i]);
	free(ctx.cid_refs);
	eng_result_free(&scratch);
	sg_buf_free(&pv.bodies);
	sg_buf_free(&pv.files);
	if (mime == NULL)
		return -1;
	return pv.found;
}
