/*
 * NAME
 *	pdt_rows - a page's text in visual rows, from its glyph boxes
 * DESCRIPTION
 *	poppler_page_get_text gives a page's text in poppler's reading
 *	order: block by block. A table that LibreOffice writes (Writer
 *	tables, Calc sheets exported to PDF) comes out as blocks of
 *	columns, so that "氏名" is followed by the names and "住所" by the
 *	addresses, and no line holds a header row or a record: the table
 *	detectors (a header row over data rows) never see one. A person
 *	reads rows; so does this:
 *	1. pieces: runs of glyphs that poppler gave one after another
 *	   without a blank and that sit side by side on one line (or
 *	   stacked in one column of vertical writing);
 *	2. rows: pieces whose vertical extents overlap by more than half
 *	   the smaller height, in order of their vertical centre;
 *	3. cells: within a row, pieces left to right; a gap wider than
 *	   PDT_CELL_GAP heights, or an overlap (Calc lets a long value run
 *	   under its neighbour), starts a new cell (a tab), a smaller gap
 *	   is a space (a full-width space between family and given name is
 *	   about 0.77 of a glyph's height in LibreOffice's fonts; the
 *	   narrowest column gap measured in its tables about 0.92);
 *	4. wrapped cells: a row that continues the row above it (a Writer
 *	   cell too narrow for "パーキンソン病" wraps it onto a second line,
 *	   and a My Number onto two) is joined back into the row above's
 *	   cells; see pdt_continues for when a row is taken for that.
 *	Every loop is bounded by the page's glyph count.
 */
#include "pdftext/pdt_rows.h"

#include <stdlib.h>
#include <string.h>

/* A cell break: a gap wider than this many glyph heights. */
#define PDT_CELL_GAP 0.85
/* A narrower gap is a cell break where the next piece starts at a
 * column (pdt_cells); a half-width space between words is narrower. */
#define PDT_COL_GAP 0.25
/* A wrapped line of a cell is at most this many heights below the
 * line before it (one line pitch; a table's next row is about as close,
 * so the other tests of pdt_continues decide). */
#define PDT_WRAP_PITCH 1.6
/* A cell wrapped when its text ends within this many heights of the
 * next column. */
#define PDT_WRAP_FULL 1.6

typedef struct pdt_piece {
	const char *s, *e;	/* its bytes in poppler's text */
	double x1, y1, x2, y2;
	bool vert;		/* stacked glyphs: vertical writing */
	guint ord;		/* its place in poppler's order */
} pdt_piece;

typedef struct pdt_cell {
	GString *txt;
	double x1;		/* left edge of its first line */
	double lx2;		/* right edge of its last line */
} pdt_cell;

typedef struct pdt_row {
	pdt_cell *cells;
	guint n;
	double y1;		/* top of its last line */
	double h;		/* glyph height */
	bool vert;
} pdt_row;

static double pdt_h(const PopplerRectangle *a)
{
	return a->y2 - a->y1;
}

static double pdt_w(const PopplerRectangle *a)
{
	return a->x2 - a->x1;
}

static double pdt_min(double a, double b)
{
	return a < b ? a : b;
}

static double pdt_max(double a, double b)
{
	return a > b ? a : b;
}

/* A blank between glyphs: poppler's spaces and line breaks, and the
 * ideographic space U+3000 (a gap to measure, like any space). */
static bool pdt_blank_glyph(const char *s, const char *e)
{
	if (e - s == 1)
		return *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n';
	return e - s == 3 && memcmp(s, "\xe3\x80\x80", 3) == 0;
}

/* Vertical overlap of a and b over the smaller height. */
static bool pdt_one_line(double ay1, double ay2, double by1, double by2)
{
	double h = pdt_min(ay2 - ay1, by2 - by1);

	return h > 0 && pdt_min(ay2, by2) - pdt_max(ay1, by1) > h / 2;
}

/* b follows a on one line, as the next glyph of a word does. */
static bool pdt_side_by_side(const PopplerRectangle *a, const PopplerRectangle *b)
{
	double h = pdt_min(pdt_h(a), pdt_h(b)), gap = b->x1 - a->x2;

	return pdt_one_line(a->y1, a->y2, b->y1, b->y2) && gap >= -h / 4 && gap <= h / 2;
}

/* b is below a in one column of vertical writing. */
static bool pdt_stacked(const PopplerRectangle *a, const PopplerRectangle *b)
{
	double w = pdt_min(pdt_w(a), pdt_w(b)), gap = b->y1 - a->y2;
	double l = pdt_max(a->x1, b->x1), rt = pdt_min(a->x2, b->x2);

	return w > 0 && rt - l > w / 2 && gap >= -w / 4 && gap <= w / 2;
}

static int pdt_by_centre(const void *pa, const void *pb)
{
	const pdt_piece *a = pa, *b = pb;
	double ca = a->y1 + a->y2, cb = b->y1 + b->y2;

	if (ca != cb)
		return ca < cb ? -1 : 1;
	return a->ord < b->ord ? -1 : a->ord > b->ord;
}

static int pdt_by_x(const void *pa, const void *pb)
{
	const pdt_piece *a = pa, *b = pb;

	if (a->x1 != b->x1)
		return a->x1 < b->x1 ? -1 : 1;
	return a->ord < b->ord ? -1 : a->ord > b->ord;
}

/* Pieces of the page; *vertical when most glyph pairs are stacked. */
static guint pdt_pieces(const char *const *at, const PopplerRectangle *r,
			guint n, pdt_piece *p, bool *vertical)
{
	guint np = 0;
	long last = -1;		/* the last glyph of the open piece */
	unsigned long hpairs = 0, vpairs = 0;

	for (guint i = 0; i < n; i++) {
		const PopplerRectangle *g = &r[i];

		if (pdt_blank_glyph(at[i], at[i + 1])) {
			last = -1;
			continue;
		}
		if (last >= 0) {
			const PopplerRectangle *pg = &r[last];
			pdt_piece *cur = &p[np - 1];

			if (pdt_h(g) <= 0 || pdt_w(g) <= 0) {
				/* no box to place it by: it stays with its word */
				cur->e = at[i + 1];
				continue;
			}
			if (!cur->vert && pdt_side_by_side(pg, g)) {
				hpairs++;
			} else if ((cur->vert || cur->s == at[last]) && pdt_stacked(pg, g)) {
				vpairs++;
				cur->vert = true;
			} else {
				last = -1;
			}
			if (last >= 0) {
				cur->e = at[i + 1];
				cur->x1 = pdt_min(cur->x1, g->x1);
				cur->y1 = pdt_min(cur->y1, g->y1);
				cur->x2 = pdt_max(cur->x2, g->x2);
				cur->y2 = pdt_max(cur->y2, g->y2);
				last = (long)i;
				continue;
			}
		}
		p[np].s = at[i];
		p[np].e = at[i + 1];
		p[np].x1 = g->x1;
		p[np].y1 = g->y1;
		p[np].x2 = g->x2;
		p[np].y2 = g->y2;
		p[np].vert = false;
		p[np].ord = np;
		np++;
		last = (long)i;
	}
	*vertical = vpairs > hpairs;
	return np;
}

/* Whether the two ASCII letters or digits around a join need the
 * space that a line wrap took (words of Latin text); CJK text and
 * digits of one number ("8205504100" + "09") join without one. */
static bool pdt_join_space(const GString *a, const char *b)
{
	unsigned char x = a->len ? (unsigned char)a->str[a->len - 1] : 0;
	unsigned char y = (unsigned char)*b;
	bool xl = ((x | 0x20) >= 'a' && (x | 0x20) <= 'z') || x == ',' || x == '.';
	bool yl = (y | 0x20) >= 'a' && (y | 0x20) <= 'z';

	return xl && yl;
}

static bool pdt_digit(const char *s)
{
	return *s >= '0' && *s <= '9';
}

/*
 * Whether row c is the wrapped lines of row r's cells, not a row of
 * its own: r is a table row (two cells or more), c has fewer cells,
 * sits within PDT_WRAP_PITCH heights of r's last line, and each of its
 * cells starts where one of r's cells starts (a column's left edge),
 * left to right, under a cell that was full (it ends within
 * PDT_WRAP_FULL heights of the next column, or is the last), and ends
 * before the next column. A next record with empty cells starts in the
 * first column under a cell that is not full, or with the next number
 * of a No. column, and stays a row. Calc rows are as close as wrapped
 * lines, and touching cells come out as one piece, so that a Calc row
 * may have fewer cells than the row above: such a piece runs past the
 * next column, and the row stays a row. map[k] is
 * the cell of r that c's cell k continues.
 */
static bool pdt_continues(const pdt_row *r, const pdt_row *c, guint *map)
{
	guint k = 0;
	double h = pdt_min(r->h, c->h);

	if (r->vert || c->vert || r->n < 2 || c->n == 0 || c->n >= r->n ||
	    c->y1 - r->y1 > PDT_WRAP_PITCH * h || c->y1 <= r->y1)
		return false;
	for (guint j = 0; j < c->n; j++) {
		while (k < r->n && r->cells[k].x1 < c->cells[j].x1 - h / 2)
			k++;
		if (k == r->n || r->cells[k].x1 > c->cells[j].x1 + h / 2)
			return false;
		/* r's cell was full, and c's stays inside its column (a
		 * piece of a Calc row that runs over two columns is a row's
		 * text, not a wrapped line) */
		if (k + 1 < r->n && (r->cells[k + 1].x1 - r->cells[k].lx2 > PDT_WRAP_FULL * h ||
				     c->cells[j].lx2 > r->cells[k + 1].x1 + h / 4))
			return false;
		/* "2" under "1" in the first column: the next record */
		if (k == 0 && pdt_digit(r->cells[0].txt->str) && pdt_digit(c->cells[j].txt->str))
			return false;
		map[j] = k++;
	}
	return true;
}

static void pdt_emit(pdt_row *r, GString *out)
{
	for (guint k = 0; k < r->n; k++) {
		if (k)
			g_string_append_c(out, '\t');
		g_string_append_len(out, r->cells[k].txt->str, (gssize)r->cells[k].txt->len);
		g_string_free(r->cells[k].txt, TRUE);
	}
	g_string_append_c(out, '\n');
	r->n = 0;
}

/* Whether a gap between two pieces of a row is a cell break by
 * itself: wider than PDT_CELL_GAP heights, or an overlap. */
static bool pdt_wide(const pdt_piece *a, const pdt_piece *b)
{
	double h = pdt_min(a->y2 - a->y1, b->y2 - b->y1), gap = b->x1 - a->x2;

	return gap > PDT_CELL_GAP * h || gap < -h / 4;
}

static int pdt_by_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return a < b ? -1 : a > b;
}

/* Whether x is within tol of one of the sorted col[0..n). */
static bool pdt_at_column(const double *col, guint n, double x, double tol)
{
	guint lo = 0, hi = n;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;

		if (col[mid] < x - tol)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && col[lo] <= x + tol;
}

/*
 * The row of the pieces p[0..n) (sorted by x) in cells. A narrower gap
 * than PDT_CELL_GAP is a cell break too where the piece after it
 * starts at a column of the page (col: where pieces after a wide gap
 * start, in any row): a narrow Writer column puts "昭和31年8" and the
 * My Number of the next column closer than a full-width space, but
 * the number starts where "個人番号" above it does.
 */
static void pdt_cells(const pdt_piece *p, guint n, const double *col, guint ncol,
		      pdt_row *row)
{
	row->n = 0;
	row->y1 = p[0].y1;
	row->h = p[0].y2 - p[0].y1;
	row->vert = false;
	for (guint i = 0; i < n; i++) {
		double h = p[i].y2 - p[i].y1;
		pdt_cell *c = row->n ? &row->cells[row->n - 1] : NULL;

		row->vert |= p[i].vert;
		if (!p[i].vert) {
			row->y1 = pdt_min(row->y1, p[i].y1);
			row->h = pdt_min(row->h, h);
		}
		if (c && !pdt_wide(&p[i - 1], &p[i]) &&
		    !(p[i].x1 - p[i - 1].x2 > PDT_COL_GAP * pdt_min(h, p[i - 1].y2 - p[i - 1].y1) &&
		      pdt_at_column(col, ncol, p[i].x1, h / 4))) {
			g_string_append_c(c->txt, ' ');
			g_string_append_len(c->txt, p[i].s, p[i].e - p[i].s);
			c->lx2 = pdt_max(c->lx2, p[i].x2);
			continue;
		}
		c = &row->cells[row->n++];
		c->txt = g_string_new_len(p[i].s, p[i].e - p[i].s);
		c->x1 = p[i].x1;
		c->lx2 = p[i].x2;
	}
}

bool pdt_rows(const char *const *at, const PopplerRectangle *r, guint n,
	      GString *out)
{
	pdt_piece *p;
	pdt_row rows[2];
	guint *map, *rend, np, nrow = 0, ncol = 0, i = 0;
	double *col;
	bool vertical;
	int cur = 0;

	if (n == 0)
		return true;
	p = g_new(pdt_piece, n);
	np = pdt_pieces(at, r, n, p, &vertical);
	if (vertical) {
		g_free(p);
		return false;
	}
	qsort(p, np, sizeof(*p), pdt_by_centre);
	/* Pass 1: the rows (pieces on the line of a row's first piece; a
	 * piece of vertical writing is a row of its own), each sorted by
	 * x, and the page's columns. */
	rend = g_new(guint, (gsize)np + 1);
	col = g_new(double, (gsize)np + 1);
	while (i < np) {
		guint j = i + 1;

		while (j < np && !p[i].vert && !p[j].vert &&
		       pdt_one_line(p[i].y1, p[i].y2, p[j].y1, p[j].y2))
			j++;
		qsort(p + i, j - i, sizeof(*p), pdt_by_x);
		for (guint k = i + 1; k < j; k++)
			if (pdt_wide(&p[k - 1], &p[k]))
				col[ncol++] = p[k].x1;
		rend[nrow++] = j;
		i = j;
	}
	qsort(col, ncol, sizeof(*col), pdt_by_double);
	/* Pass 2: cells, wrapped lines joined, out. */
	rows[0].cells = g_new(pdt_cell, (gsize)np + 1);
	rows[1].cells = g_new(pdt_cell, (gsize)np + 1);
	rows[0].n = rows[1].n = 0;
	map = g_new(guint, (gsize)np + 1);
	i = 0;
	for (guint q = 0; q < nrow; q++) {
		pdt_row *prev = &rows[cur], *row = &rows[!cur];

		pdt_cells(p + i, rend[q] - i, col, ncol, row);
		i = rend[q];
		if (prev->n && pdt_continues(prev, row, map)) {
			for (guint k = 0; k < row->n; k++) {
				pdt_cell *to = &prev->cells[map[k]];

				if (pdt_join_space(to->txt, row->cells[k].txt->str))
					g_string_append_c(to->txt, ' ');
				g_string_append_len(to->txt, row->cells[k].txt->str,
						    (gssize)row->cells[k].txt->len);
				to->lx2 = row->cells[k].lx2;
				g_string_free(row->cells[k].txt, TRUE);
			}
			prev->y1 = row->y1;
			row->n = 0;
			continue;
		}
		if (prev->n)
			pdt_emit(prev, out);
		cur = !cur;
	}
	if (rows[cur].n)
		pdt_emit(&rows[cur], out);
	g_free(map);
	g_free(col);
	g_free(rend);
	g_free(rows[0].cells);
	g_free(rows[1].cells);
	g_free(p);
	return true;
}
