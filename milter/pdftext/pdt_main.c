/*
 * NAME
 *	sendguard-pdftext - the PDF text worker (poppler, GLib API)
 * SYNOPSIS
 *	sendguard-pdftext	(started by the pool of pdfpool/pdp_pool.c, never by hand)
 * DESCRIPTION
 *	Reads requests on stdin and answers on stdout (protocol:
 *	pdftext/pdt_proto.h), one document after another, for as long as
 *	its client keeps stdin open. poppler opens the PDF from memory
 *	(poppler_document_new_from_bytes, no password: a PDF with only an
 *	owner password opens as it does for any reader) and gives the text
 *	of each page, CID fonts and ToUnicode maps included
 *	(poppler_page_get_text), rebuilt in the rows a reader sees from the
 *	glyph boxes (pdt_rows.c: a LibreOffice table comes out of poppler
 *	column by column). A page without text that draws images is
 *	flagged, so that a scanned document is said to be image only.
 *
 *	Why a process of its own: poppler cannot be cancelled inside a page,
 *	and a crash in it must not take down the milter and every message it
 *	is scanning (nor again when the client retries the same mail). The
 *	client keeps a few of these alive, kills one whose document passes
 *	its deadline, and starts another. Each document runs under
 *	RLIMIT_AS (max_memory) and RLIMIT_CPU (cpu_seconds more than the
 *	worker has used so far), set before poppler sees it. Limits are
 *	applied between pages too: at most max_pages pages, at most
 *	max_text bytes of text.
 *
 *	The protocol goes out on a duplicate of stdout; stdout itself then
 *	points at stderr, so that nothing a library prints can corrupt an
 *	answer. The worker retires (exits after saying so) after
 *	PDT_MAX_DOCS documents, so that what poppler and the allocator keep
 *	cannot grow without bound.
 *
 *	Test hook (tests/faults/pdf.sh, tests/check/run.sh): with SG_FAULT
 *	containing "pdf-marker" in its environment, a page whose text holds
 *	SG-FAULT-CRASH makes the worker die of SIGSEGV, and SG-FAULT-HANG
 *	makes it spin until it is killed, as a poppler bug would. Without
 *	SG_FAULT the markers are plain text.
 *
 *	Must never: write to a file, open the network, or read more than a
 *	request says.
 * DIAGNOSTICS
 *	Exit 0 at the end of its input or when it retires; 2 for a request
 *	it does not understand (the client then starts another).
 */
#include "pdftext/pdt_proto.h"
#include "pdftext/pdt_rows.h"

#include <errno.h>
#include <fcntl.h>
#include <poppler.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define PDT_MAX_DOCS 200
/* A request larger than this is not ours (the milter's largest message
 * is 4 GiB). */
#define PDT_MAX_LEN (4ULL << 30)

static int pdt_out = -1;
static bool pdt_fault;

static int pdt_read_full(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return got == 0 && r == 0 ? 0 : -1;
		got += (size_t)r;
	}
	return 1;
}

static void pdt_write_full(const void *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(pdt_out, (const char *)p + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(0);	/* the client went away */
		done += (size_t)w;
	}
}

static void pdt_send(uint32_t type, uint32_t page, uint32_t flags,
		     const char *data, size_t len)
{
	pdt_p_rec r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.page = page;
	r.flags = flags;
	r.len = len;
	pdt_write_full(&r, sizeof(r));
	if (len)
		pdt_write_full(data, len);
}

/* RLIMIT_AS for this document; RLIMIT_CPU: what was used so far plus
 * this document's share, so that a long-lived worker is not charged for
 * the documents before. SIGXCPU's default action ends the worker. */
static void pdt_limits(const pdt_p_req *rq)
{
	struct rlimit rl;
	struct rusage ru;

#if !defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer reserves terabytes of address space: under it
	 * (the test build) only the CPU limit and the client's deadline
	 * apply. */
	if (getrlimit(RLIMIT_AS, &rl) == 0) {
		rlim_t want = (rlim_t)rq->max_memory;

		if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
			want = rl.rlim_max;
		rl.rlim_cur = want;
		(void)setrlimit(RLIMIT_AS, &rl);
	}
#endif
	if (getrusage(RUSAGE_SELF, &ru) == 0 && getrlimit(RLIMIT_CPU, &rl) == 0) {
		rlim_t want = (rlim_t)ru.ru_utime.tv_sec + (rlim_t)ru.ru_stime.tv_sec +
			      rq->cpu_seconds + 1;

		if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
			want = rl.rlim_max;
		rl.rlim_cur = want;
		(void)setrlimit(RLIMIT_CPU, &rl);
	}
}

static bool pdt_blank(const char *t)
{
	for (; t && *t; t++)
		if (!strchr(" \t\r\n\f\v", *t))
			return false;
	return true;
}

static void pdt_fault_hook(const char *t)
{
	if (!pdt_fault || t == NULL)
		return;
	if (strstr(t, "SG-FAULT-CRASH")) {
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
	}
	if (strstr(t, "SG-FAULT-HANG")) {
		volatile unsigned long spin = 0;

		for (;;)
			spin++;
	}
}

/* The longest prefix of t[0..n) that ends on a UTF-8 boundary. */
static size_t pdt_utf8_cut(const char *t, size_t n)
{
	while (n > 0 && ((unsigned char)t[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* Whether rectangles a and b sit on one visual line: their vertical
 * extents overlap by more than half the smaller height. */
static bool pdt_same_line(const PopplerRectangle *a, const PopplerRectangle *b)
{
	double top = a->y1 > b->y1 ? a->y1 : b->y1;
	double bot = a->y2 < b->y2 ? a->y2 : b->y2;
	double ha = a->y2 - a->y1, hb = b->y2 - b->y1;
	double h = ha < hb ? ha : hb;

	return h > 0 && bot - top > h / 2;
}

/* ... or in one column of vertical writing (縦書き): their horizontal
 * extents overlap by more than half the narrower width. */
static bool pdt_same_column(const PopplerRectangle *a, const PopplerRectangle *b)
{
	double l = a->x1 > b->x1 ? a->x1 : b->x1;
	double rt = a->x2 < b->x2 ? a->x2 : b->x2;
	double wa = a->x2 - a->x1, wb = b->x2 - b->x1;
	double w = wa < wb ? wa : wb;

	return w > 0 && rt - l > w / 2;
}

static double pdt_height(const PopplerRectangle *a)
{
	return a->y2 - a->y1;
}

/*
 * The page's text as a reader sees it, from the glyph rectangles
 * (poppler_page_get_text_layout gives one per character of
 * poppler_page_get_text's text): in visual rows, table cells separated
 * by tabs and wrapped cells joined (pdt_rows.c). A page written mostly
 * vertically keeps poppler's reading order, with the gaps that it
 * drops put back:
 * - two glyphs on one line with a gap wider than half a character
 *   between them (table cells: "氏名" and "住所" come out as "氏名住所"),
 *   or on different lines and columns with nothing between them (the
 *   second line of a cell, then the next cell), get a tab between them,
 *   as cells do in the other extractors, so that a name never runs into
 *   the address next to it; glyphs of one column of vertical writing
 *   stay together;
 * - a space that spans more than a character's height is a tab too;
 * - a line break between two glyphs that continue one visual line
 *   (LibreOffice sets CJK and Latin runs in different fonts and
 *   baselines, and poppler may start a new line at the font change) is
 *   a space: "機密性" and "3" stay on one line.
 * Any mismatch between text and rectangles leaves the text as poppler
 * gave it.
 */
static bool pdt_blank_c(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void pdt_layout(PopplerPage *p, const char *t, GString *out)
{
	PopplerRectangle *r = NULL;
	guint nr = 0;
	const char **at;	/* start of character i in t */
	guint n = 0;
	long prev = -1;		/* the last glyph that is not blank */
	bool gap = false;	/* a blank since prev */

	if (!poppler_page_get_text_layout(p, &r, &nr) ||
	    (glong)nr != g_utf8_strlen(t, -1)) {
		g_free(r);
		g_string_append(out, t);
		return;
	}
	at = g_new(const char *, (gsize)nr + 1);
	for (const char *s = t; *s && n < nr; s = g_utf8_next_char(s))
		at[n++] = s;
	at[n] = t + strlen(t);
	/* Rows as a reader sees them (pdt_rows.c); a page of vertical
	 * writing keeps poppler's order, mended as below. */
	if (n == nr && pdt_rows(at, r, n, out)) {
		g_free(at);
		g_free(r);
		return;
	}
	for (guint i = 0; i < n; i++) {
		char c = *at[i];

		if (!pdt_blank_c(c)) {
			if (prev >= 0 && !gap &&
			    (pdt_same_line(&r[prev], &r[i]) ?
			     r[i].x1 - r[prev].x2 > pdt_height(&r[i]) / 2 :
			     !pdt_same_column(&r[prev], &r[i])))
				g_string_append_c(out, '\t');
			g_string_append_len(out, at[i], at[i + 1] - at[i]);
			prev = (long)i;
			gap = false;
			continue;
		}
		gap = true;
		if (c == '\n') {
			guint j = i + 1;

			while (j < n && pdt_blank_c(*at[j]))
				j++;
			/* The next glyph continues prev's line: not a break. */
			if (prev >= 0 && j < n && pdt_same_line(&r[prev], &r[j]) &&
			    r[j].x1 >= r[prev].x2 - pdt_height(&r[j]) / 4 &&
			    r[j].x1 - r[prev].x2 < pdt_height(&r[j]))
				c = ' ';
		} else if (c == ' ' && r[i].x2 - r[i].x1 > pdt_height(&r[i])) {
			c = '\t';
		}
		g_string_append_c(out, c);
	}
	g_free(at);
	g_free(r);
}

static uint32_t pdt_pages(PopplerDocument *doc, const pdt_p_req *rq)
{
	int n = poppler_document_get_n_pages(doc);
	uint64_t sent = 0;
	GString *txt = g_string_new(NULL);
	uint32_t st = PDT_P_ST_OK;

	for (int i = 0; i < n && st == PDT_P_ST_OK; i++) {
		PopplerPage *p;
		char *raw;
		const char *t;
		size_t len;
		uint32_t flags = 0;

		if ((uint32_t)i >= rq->max_pages) {
			st = PDT_P_ST_PAGES;
			break;
		}
		p = poppler_document_get_page(doc, i);
		if (p == NULL)
			continue;
		raw = poppler_page_get_text(p);
		pdt_fault_hook(raw);
		g_string_truncate(txt, 0);
		if (raw)
			pdt_layout(p, raw, txt);
		g_free(raw);
		t = txt->str;
		if (pdt_blank(t)) {
			GList *m = poppler_page_get_image_mapping(p);

			if (m)
				flags |= PDT_P_F_IMAGES;
			poppler_page_free_image_mapping(m);
		}
		len = txt->len;
		if (len > rq->max_text - sent) {
			len = pdt_utf8_cut(t, (size_t)(rq->max_text - sent));
			st = PDT_P_ST_TEXT;
		}
		pdt_send(PDT_P_PAGE, (uint32_t)i + 1, flags, t, len);
		sent += len;
		g_object_unref(p);
	}
	g_string_free(txt, TRUE);
	return st;
}

static void pdt_document(const pdt_p_req *rq, unsigned char *data,
			 uint32_t retire)
{
	GBytes *b = g_bytes_new_take(data, (gsize)rq->len);
	GError *e = NULL;
	PopplerDocument *doc = poppler_document_new_from_bytes(b, NULL, &e);
	uint32_t st, npages = 0;
	const char *msg = "";

	if (doc == NULL) {
		st = e && e->domain == POPPLER_ERROR && e->code == POPPLER_ERROR_ENCRYPTED ?
		     PDT_P_ST_PASSWORD : PDT_P_ST_UNREADABLE;
		msg = e && e->message ? e->message : "poppler could not open it";
	} else {
		int n = poppler_document_get_n_pages(doc);

		npages = n > 0 ? (uint32_t)n : 0;
		st = pdt_pages(doc, rq);
	}
	pdt_send(PDT_P_END, npages, st | retire, msg,
		 strnlen(msg, PDT_P_MSG_MAX));
	if (e)
		g_error_free(e);
	if (doc)
		g_object_unref(doc);
	g_bytes_unref(b);
}

int main(void)
{
	const char *f = getenv("SG_FAULT");

	pdt_fault = f && strstr(f, "pdf-marker");
	if ((pdt_out = fcntl(1, F_DUPFD_CLOEXEC, 3)) < 0 || dup2(2, 1) < 0)
		return 2;
	signal(SIGPIPE, SIG_DFL);
	for (unsigned served = 1;; served++) {
		pdt_p_req rq;
		unsigned char *data;
		int r = pdt_read_full(0, &rq, sizeof(rq));

		if (r == 0)
			_exit(0);
		if (r < 0 || rq.magic != PDT_P_MAGIC || rq.version != PDT_P_VERSION ||
		    rq.len == 0 || rq.len > PDT_MAX_LEN)
			_exit(2);
		if ((data = g_try_malloc((gsize)rq.len)) == NULL)
			_exit(2);
		if (pdt_read_full(0, data, (size_t)rq.len) != 1)
			_exit(2);
		pdt_limits(&rq);
		pdt_document(&rq, data, served >= PDT_MAX_DOCS ? PDT_P_F_RETIRE : 0);
		if (served >= PDT_MAX_DOCS)
			_exit(0);
	}
}
