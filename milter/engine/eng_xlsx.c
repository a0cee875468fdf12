/*
 * NAME
 *	eng_xlsx - the text of an xlsx workbook as a person reads it
 * DESCRIPTION
 *	See eng_xlsx.h. Why: a roster with its dates of birth stored as
 *	Excel serial numbers (30418 is 1983/04/12 in a date cell) showed
 *	no date to the detectors; the print header (&C機密性３), a sheet
 *	named 機密性3 and the cell comments were not read at all. Excel
 *	shows a number as a date only through the cell's format, so the
 *	same is done here: a plain 30418 stays a number.
 *
 *	Bounded: shared strings, cell formats and custom number formats
 *	have caps (more are ignored: their cells are written as stored);
 *	every loop moves forward over its input.
 */
#include "engine/eng_xlsx.h"
#include "engine/eng_xml.h"
#include "util/sg_mem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Shared strings of one workbook. */
#define XL_MAX_SHARED 2000000
/* Cell formats (cellXfs) and custom number formats kept. Excel's own
 * limit is 64,000 formats. */
#define XL_MAX_XF 65536
#define XL_MAX_NUMFMT 4096
/* The last valid serial day, 9999-12-31 (1900 system). */
#define XL_SERIAL_MAX 2958465.0

typedef enum { XF_NUMBER, XF_DATE, XF_ERA } xf_kind;

struct eng_xlsx_book {
	sg_buf text;		/* shared strings, NUL-separated */
	size_t *off;		/* start of string i in text */
	size_t n;
	unsigned char *xf;	/* xf_kind of cellXfs entry i */
	size_t nxf;
	bool date1904;
	sg_buf names;		/* sheet names, a line each */
};

/* ---- dates -------------------------------------------------------------- */

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void xl_civil(long z, long *y, long *m, long *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

static const struct xl_era {
	const char *name;
	long start;		/* yyyymmdd of its first day */
} xl_eras[] = {
	{ "令和", 20190501 }, { "平成", 19890108 }, { "昭和", 19261225 },
	{ "大正", 19120730 }, { "明治", 18680908 },
};

int eng_xlsx_date(double serial, bool date1904, bool era, sg_buf *out)
{
	long s, y, m, d, ymd;

	if (!(serial >= (date1904 ? 0.0 : 1.0) && serial <= XL_SERIAL_MAX))
		return -1;
	s = (long)serial;	/* the time of day is not shown here */
	if (!date1904 && s == 60) {
		/* Excel's 1900-02-29 (Lotus's leap-year bug): as Excel shows it */
		y = 1900, m = 2, d = 29;
	} else {
		/* 25569 is 1970-01-01 in the 1900 system (before the fake
		 * leap day, one day less); 24107 in the 1904 system. */
		xl_civil(date1904 ? s - 24107 : s < 60 ? s - 25568 : s - 25569, &y, &m, &d);
	}
	ymd = y * 10000 + m * 100 + d;
	for (size_t i = 0; era && i < sizeof(xl_eras) / sizeof(xl_eras[0]); i++)
		if (ymd >= xl_eras[i].start)
			return sg_buf_printf(out, "%s%ld年%ld月%ld日", xl_eras[i].name,
					     y - xl_eras[i].start / 10000 + 1, m, d) < 0 ? -1 : 0;
	return sg_buf_printf(out, "%04ld/%02ld/%02ld", y, m, d) < 0 ? -1 : 0;
}

/* Built-in formats (ECMA-376 18.8.30; 27-36 and 50-58 as the Japanese
 * Excel defines them: ge.m.d and ggge"年"m"月"d"日" show the era). */
static xf_kind xl_builtin(unsigned long id)
{
	switch (id) {
	case 27: case 28: case 29: case 36: case 50: case 51: case 54: case 57: case 58:
		return XF_ERA;
	default:
		break;
	}
	if ((id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 50 && id <= 58))
		return XF_DATE;
	return XF_NUMBER;
}

/* A custom format code: date letters outside quoted text, escapes and
 * [...] (colours, conditions, locales; [$-411] is Japanese). E followed
 * by + or - is a scientific exponent; m alone is a month, beside h or s
 * minutes. */
static xf_kind xl_code_kind(const char *c)
{
	bool date = false, hs = false, mon = false, g = false, e = false, jp = false;

	for (size_t i = 0; c[i]; i++) {
		const char *q;
		char lc;

		switch (c[i]) {
		case '"':
			q = strchr(c + i + 1, '"');
			i = q ? (size_t)(q - c) : strlen(c) - 1;
			continue;
		case '\\': case '_': case '*':
			if (c[i + 1])
				i++;	/* the next character is literal */
			continue;
		case '[':
			q = strchr(c + i, ']');
			/* [$-411], [$-1030411] (LibreOffice), [$-ja-JP] */
			if (q && c[i + 1] == '$' &&
			    (memmem(c + i, (size_t)(q - c) - i, "411", 3) ||
			     memmem(c + i, (size_t)(q - c) - i, "ja-JP", 5)))
				jp = true;
			i = q ? (size_t)(q - c) : strlen(c) - 1;
			continue;
		default:
			break;
		}
		if (strncasecmp(c + i, "General", 7) == 0) {
			i += 6;
			continue;
		}
		if (strncasecmp(c + i, "AM/PM", 5) == 0 || strncasecmp(c + i, "A/P", 3) == 0) {
			hs = true;
			i += c[i + 1] == '/' ? 2 : 4;
			continue;
		}
		lc = (char)tolower((unsigned char)c[i]);
		if (lc == 'y' || lc == 'd')
			date = true;
		else if (lc == 'g')
			g = true;
		else if (lc == 'e' && c[i + 1] != '+' && c[i + 1] != '-')
			e = true;
		else if (lc == 'm')
			mon = true;
		else if (lc == 'h' || lc == 's')
			hs = true;
	}
	if (g || (e && jp))
		return XF_ERA;
	return date || e || (mon && !hs) ? XF_DATE : XF_NUMBER;
}

typedef struct xl_numfmt {
	unsigned long id;
	unsigned char kind;
} xl_numfmt;

static xf_kind xl_kind_of(const xl_numfmt *f, size_t nf, unsigned long id)
{
	for (size_t i = 0; i < nf; i++)
		if (f[i].id == id)
			return (xf_kind)f[i].kind;
	return xl_builtin(id);
}

/* styles.xml: custom numFmts (they come first), then cellXfs, whose
 * n-th xf is the cell's s="n". cellStyleXfs has xf elements too: not
 * the ones cells point at. */
static void xl_styles(eng_xlsx_book *b, const char *x, size_t len)
{
	xl_numfmt *f = NULL;
	size_t nf = 0, pos = 0;
	bool in_xfs = false;
	sg_buf v;
	xml_tok t;

	sg_buf_init(&v, 4096);
	while (eng_xml_next(x, len, &pos, &t)) {
		if (t.type == XT_TEXT)
			continue;
		if (eng_xml_is(&t, "cellXfs")) {
			in_xfs = t.type == XT_OPEN;
		} else if (eng_xml_is(&t, "numFmt") && t.type != XT_CLOSE && nf < XL_MAX_NUMFMT &&
			   eng_xml_attr(&t, "numFmtId", &v)) {
			unsigned long id = strtoul(sg_buf_cstr(&v), NULL, 10);

			if (eng_xml_attr_text(&t, "formatCode", &v)) {
				if (nf % 64 == 0)
					f = sg_xreallocarray(f, nf + 64, sizeof(*f));
				f[nf].id = id;
				f[nf++].kind = (unsigned char)xl_code_kind(sg_buf_cstr(&v));
			}
		} else if (in_xfs && eng_xml_is(&t, "xf") && t.type != XT_CLOSE &&
			   b->nxf < XL_MAX_XF) {
			unsigned long id = eng_xml_attr(&t, "numFmtId", &v) ?
					   strtoul(sg_buf_cstr(&v), NULL, 10) : 0;

			if (b->nxf % 256 == 0)
				b->xf = sg_xreallocarray(b->xf, b->nxf + 256, 1);
			b->xf[b->nxf++] = (unsigned char)xl_kind_of(f, nf, id);
		}
	}
	sg_buf_free(&v);
	free(f);
}

/* ---- shared strings and the workbook ----------------------------------- */

static void xl_shared_push(eng_xlsx_book *b, const sg_buf *cur)
{
	if (b->n >= XL_MAX_SHARED)
		return;
	if (b->n % 1024 == 0)
		b->off = sg_xreallocarray(b->off, b->n + 1024, sizeof(size_t));
	b->off[b->n++] = b->text.len;
	sg_buf_append(&b->text, cur->data ? cur->data : "", cur->len);
	sg_buf_putc(&b->text, '\0');
}

/* <si> items: the <t> text of each, phonetic runs (<rPh>) left out. */
static void xl_shared(eng_xlsx_book *b, const char *x, size_t len, size_t max)
{
	sg_buf cur;
	size_t pos = 0;
	unsigned rph = 0;
	bool in_t = false;
	xml_tok t;

	sg_buf_init(&cur, max);
	while (eng_xml_next(x, len, &pos, &t)) {
		if (t.type == XT_TEXT) {
			if (in_t && rph == 0)
				eng_xml_put_text(t.s, t.n, &cur);
		} else if (eng_xml_is(&t, "rPh")) {
			if (t.type == XT_OPEN)
				rph++;
			else if (t.type == XT_CLOSE && rph)
				rph--;
		} else if (eng_xml_is(&t, "t")) {
			in_t = t.type == XT_OPEN;
		} else if (eng_xml_is(&t, "si") && t.type == XT_OPEN) {
			sg_buf_reset(&cur);
		} else if (eng_xml_is(&t, "si")) {
			xl_shared_push(b, &cur);
		}
	}
	sg_buf_free(&cur);
}

/* workbook.xml: <sheet name="..."> in tab order; <workbookPr date1904>. */
static void xl_workbook(eng_xlsx_book *b, const char *x, size_t len)
{
	size_t pos = 0;
	sg_buf v;
	xml_tok t;

	sg_buf_init(&v, 4096);
	while (eng_xml_next(x, len, &pos, &t)) {
		if (t.type == XT_TEXT || t.type == XT_CLOSE)
			continue;
		if (eng_xml_is(&t, "workbookPr") && eng_xml_attr(&t, "date1904", &v))
			b->date1904 = strcmp(sg_buf_cstr(&v), "1") == 0 ||
				      strcasecmp(sg_buf_cstr(&v), "true") == 0;
		else if (eng_xml_is(&t, "sheet") && eng_xml_attr_text(&t, "name", &v))
			sg_buf_printf(&b->names, "%s\n", sg_buf_cstr(&v));
	}
	sg_buf_free(&v);
}

eng_xlsx_book *eng_xlsx_book_new(const char *shared, size_t slen, const char *styles,
				 size_t stlen, const char *workbook, size_t wlen,
				 size_t max)
{
	eng_xlsx_book *b = sg_xcalloc(1, sizeof(*b));

	sg_buf_init(&b->text, max);
	sg_buf_init(&b->names, max);
	if (shared)
		xl_shared(b, shared, slen, max);
	if (styles)
		xl_styles(b, styles, stlen);
	if (workbook)
		xl_workbook(b, workbook, wlen);
	return b;
}

void eng_xlsx_book_free(eng_xlsx_book *b)
{
	if (b == NULL)
		return;
	sg_buf_free(&b->text);
	sg_buf_free(&b->names);
	free(b->off);
	free(b->xf);
	free(b);
}

int eng_xlsx_names(const eng_xlsx_book *b, sg_buf *out)
{
	return sg_buf_append(out, b->names.data ? b->names.data : "", b->names.len);
}

/* ---- a worksheet ---------------------------------------------------------- */

typedef struct xl_cell {
	sg_buf type;		/* t="s", "inlineStr", "str", "b", "d", "" (number) */
	sg_buf style;		/* s="n": index into cellXfs */
	sg_buf val;
	sg_buf hf;		/* text of one header or footer element */
	bool in_v, in_t, in_hf, first;
	unsigned rph;
} xl_cell;

/* A number as stored, but 1.23456789012E+11 (how some writers store a
 * long integer) spelled out: a 12-digit number must look like one. */
static int xl_number(const char *v, size_t n, sg_buf *out)
{
	char *end;
	double d;

	if (memchr(v, 'E', n) || memchr(v, 'e', n)) {
		d = strtod(v, &end);
		if (*end == '\0' && d > -1e15 && d < 1e15 && d == (double)(long long)d)
			return sg_buf_printf(out, "%lld", (long long)d);
	}
	return sg_buf_append(out, v, n);
}

static int xl_emit_cell(xl_cell *c, const eng_xlsx_book *b, sg_buf *out)
{
	const char *v = sg_buf_cstr(&c->val), *type = sg_buf_cstr(&c->type);
	int rc = 0;

	if (!c->first)
		rc = sg_buf_putc(out, '\t');
	c->first = false;
	if (strcmp(type, "s") == 0) {
		char *end;
		unsigned long i = strtoul(v, &end, 10);
		if (*v && *end == '\0' && i < b->n)
			return rc | sg_buf_puts(out, b->text.data + b->off[i]);
		return rc;
	}
	if (strcmp(type, "d") == 0 && c->val.len >= 10 && v[4] == '-' && v[7] == '-')
		return rc | sg_buf_printf(out, "%.4s/%.2s/%.2s", v, v + 5, v + 8);
	if ((*type == '\0' || strcmp(type, "n") == 0) && c->style.len && c->val.len) {
		char *end;
		unsigned long s = strtoul(sg_buf_cstr(&c->style), &end, 10);
		double d = strtod(v, &end);

		if (*end == '\0' && s < b->nxf && b->xf[s] != XF_NUMBER &&
		    eng_xlsx_date(d, b->date1904, b->xf[s] == XF_ERA, out) == 0)
			return rc;
		return rc | xl_number(v, c->val.len, out);
	}
	if (*type == '\0' || strcmp(type, "n") == 0)
		return rc | xl_number(v, c->val.len, out);
	return rc | sg_buf_append(out, v, c->val.len);
}

/* A header or footer (&L, &C, &R sections; &&; codes for fonts, sizes,
 * colours, page numbers, file and sheet names dropped) as lines. */
static int xl_hf_emit(const char *s, size_t n, sg_buf *out)
{
	int rc = sg_buf_putc(out, '\n');

	for (size_t i = 0; i < n && rc == 0;) {
		const char *q;
		char c;

		if (s[i] != '&') {
			rc = sg_buf_putc(out, s[i++]);
			continue;
		}
		if (i + 1 >= n)
			break;
		c = s[i + 1];
		if (c == '&') {
			rc = sg_buf_putc(out, '&');
			i += 2;
		} else if (c == 'L' || c == 'C' || c == 'R') {
			rc = sg_buf_putc(out, '\n');
			i += 2;
		} else if (c == '"') {
			q = memchr(s + i + 2, '"', n - i - 2);
			i = q ? (size_t)(q - s) + 1 : n;
		} else if (c >= '0' && c <= '9') {
			for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
				;
		} else if (c == 'K') {
			i += n - i - 2 < 6 ? n - i : 8;	/* &KRRGGBB or &KTTSNNN */
		} else {
			i += 2;	/* &P &N &D &T &F &A &Z &G &B &I &U &E &S &X &Y &O &H */
		}
	}
	return rc < 0 ? -1 : sg_buf_putc(out, '\n');
}

static const char *const xl_hf_names[] = { "oddHeader", "oddFooter", "evenHeader",
					    "evenFooter", "firstHeader", "firstFooter" };

static bool xl_is_hf(const xml_tok *t)
{
	for (size_t i = 0; i < sizeof(xl_hf_names) / sizeof(xl_hf_names[0]); i++)
		if (eng_xml_is(t, xl_hf_names[i]))
			return true;
	return false;
}

static int xl_sheet_tag(const xml_tok *t, xl_cell *c, const eng_xlsx_book *b,
			sg_buf *out)
{
	bool open = t->type == XT_OPEN;

	if (eng_xml_is(t, "c")) {
		if (t->type != XT_CLOSE) {
			if (!eng_xml_attr(t, "t", &c->type))
				sg_buf_reset(&c->type);
			if (!eng_xml_attr(t, "s", &c->style))
				sg_buf_reset(&c->style);
			sg_buf_reset(&c->val);
		}
		if (t->type == XT_CLOSE)
			return xl_emit_cell(c, b, out);
	} else if (eng_xml_is(t, "v")) {
		c->in_v = open;
	} else if (eng_xml_is(t, "t")) {
		c->in_t = open;
	} else if (eng_xml_is(t, "rPh")) {
		c->rph = open;
	} else if (eng_xml_is(t, "row") && t->type != XT_OPEN) {
		c->first = true;
		return sg_buf_putc(out, '\n');
	} else if (xl_is_hf(t)) {
		c->in_hf = open;
		if (open)
			sg_buf_reset(&c->hf);
		else if (t->type == XT_CLOSE)
			return xl_hf_emit(sg_buf_cstr(&c->hf), c->hf.len, out);
	}
	return 0;
}

int eng_xlsx_sheet(const eng_xlsx_book *b, const char *sheet, size_t len, sg_buf *out)
{
	xl_cell c;
	size_t pos = 0;
	xml_tok t;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	sg_buf_init(&c.type, 64);
	sg_buf_init(&c.style, 64);
	sg_buf_init(&c.val, out->max);
	sg_buf_init(&c.hf, out->max);
	c.first = true;
	while (rc == 0 && eng_xml_next(sheet, len, &pos, &t)) {
		if (t.type != XT_TEXT)
			rc = xl_sheet_tag(&t, &c, b, out);
		else if (c.in_hf)
			eng_xml_put_text(t.s, t.n, &c.hf);
		else if ((c.in_v || c.in_t) && !c.rph)
			eng_xml_put_text(t.s, t.n, &c.val);
	}
	if (rc == 0)
		rc = sg_buf_putc(out, '\n');
	sg_buf_free(&c.type);
	sg_buf_free(&c.style);
	sg_buf_free(&c.val);
	sg_buf_free(&c.hf);
	return rc < 0 ? -1 : 0;
}
