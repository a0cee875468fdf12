/*
 * NAME
 *	eng_xml - a tolerant XML tokenizer for Office documents
 * DESCRIPTION
 *	See eng_xml.h. Why not libxml2: the documents are attacker's bytes
 *	and often broken (a truncated member is still read for markings);
 *	only text and a few attributes are needed, so a scanner that builds
 *	no tree and always moves forward is enough and cannot blow up.
 */
#include "engine/eng_xml.h"
#include "engine/eng_content.h"

#include <stdlib.h>
#include <string.h>

/* ---- tokens ---------------------------------------------------------- */

static size_t xml_find(const char *x, size_t len, size_t from, const char *w)
{
	const char *p = from < len ? memmem(x + from, len - from, w, strlen(w)) : NULL;
	return p ? (size_t)(p - x) : len;
}

/* Comments, processing instructions, doctype: skipped. CDATA is text. */
static bool xml_markup(const char *x, size_t len, size_t *pos, xml_tok *t)
{
	size_t i = *pos, e;

	if (len - i >= 9 && memcmp(x + i, "<![CDATA[", 9) == 0) {
		e = xml_find(x, len, i + 9, "]]>");
		t->type = XT_TEXT;
		t->s = x + i + 9;
		t->n = e - (i + 9);
		*pos = e < len ? e + 3 : len;
		return true;
	}
	if (len - i >= 4 && memcmp(x + i, "<!--", 4) == 0)
		e = xml_find(x, len, i + 4, "-->") + 3;
	else
		e = xml_find(x, len, i, ">") + 1;
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

bool eng_xml_next(const char *x, size_t len, size_t *pos, xml_tok *t)
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
		e = xml_find(x, len, i, ">");
		xml_tag(x, i, e, t);
		*pos = e < len ? e + 1 : len;
		return true;
	}
	return false;
}

bool eng_xml_is(const xml_tok *t, const char *name)
{
	return t->n == strlen(name) && memcmp(t->s, name, t->n) == 0;
}

/* The raw value of attribute `name`: start and length; false if absent. */
static bool xml_attr_raw(const xml_tok *t, const char *name, const char **v, size_t *vn)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i + nl + 2 <= t->nattrs; i++) {
		const char *a = t->attrs + i;
		if ((i == 0 || strchr(" \t\r\n", a[-1])) && memcmp(a, name, nl) == 0 &&
		    a[nl] == '=' && (a[nl + 1] == '"' || a[nl + 1] == '\'')) {
			const char *q;

			*v = a + nl + 2;
			q = memchr(*v, a[nl + 1], t->nattrs - i - nl - 2);
			*vn = q ? (size_t)(q - *v) : 0;
			return true;
		}
	}
	return false;
}

bool eng_xml_attr(const xml_tok *t, const char *name, sg_buf *out)
{
	const char *v;
	size_t n;

	if (!xml_attr_raw(t, name, &v, &n))
		return false;
	sg_buf_reset(out);
	sg_buf_append(out, v, n);
	return true;
}

bool eng_xml_attr_text(const xml_tok *t, const char *name, sg_buf *out)
{
	const char *v;
	size_t n;

	if (!xml_attr_raw(t, name, &v, &n))
		return false;
	sg_buf_reset(out);
	eng_xml_put_text(v, n, out);
	return true;
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

int eng_xml_put_text(const char *s, size_t n, sg_buf *out)
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

/* ---- XML to text: docx, pptx, ODF, xlsx comments and drawings ---------- */

static bool xml_in(const xml_tok *t, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (eng_xml_is(t, names[i]))
			return true;
	return false;
}

/* Elements whose text is not document text: field codes, formulas,
 * phonetic guides (furigana would double every name), and the copy of
 * a text box that Word keeps for old readers (mc:Fallback repeats the
 * mc:Choice it follows: every marking and name would count twice). */
static const char *const xml_skip[] = { "instrText", "delInstrText", "f", "rPh", "Fallback" };
static const char *const xml_cell[] = { "tc", "table-cell", "covered-table-cell" };
static const char *const xml_line[] = { "p", "h", "tr", "table-row", "br", "cr",
					"comment", "author" };
/* An ODF comment's author and time stamp (dc:creator, dc:date): who
 * commented when, not document text; a time stamp beside a name would
 * read like a date of birth. */
static const char *const xml_annot_meta[] = { "creator", "date", "creator-initials" };
/* A text box is a block of its own: its first line starts a line even
 * when its anchor sits in the middle of a paragraph (a marking alone
 * in a text box is a label, eng_mark.c). */
static const char *const xml_box[] = { "txbxContent", "text-box", "txBody", "annotation" };

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

typedef struct xml_state {
	unsigned skip;		/* depth inside xml_skip elements */
	unsigned cell;		/* depth inside table cells */
	bool sheet;		/* inside office:spreadsheet (ODF) */
	unsigned annot;		/* depth inside office:annotation */
	size_t cell_start;	/* out->len where the outermost cell began */
	sg_buf date;		/* its office:date-value */
	sg_buf tmp;
} xml_state;

/* Nothing but blanks in s[0..n). */
static bool xml_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r\n", s[i]))
			return false;
	return true;
}

/* An ODF date cell that shows no text (a generator that writes the
 * value only): its office:date-value "1983-04-12[T...]" as 1983/04/12,
 * how a person reads it. */
static int xml_odf_date(xml_state *st, sg_buf *out)
{
	const char *d = sg_buf_cstr(&st->date);

	if (st->date.len < 10 || xml_blank(out->data ? out->data + st->cell_start : "",
					   out->len - st->cell_start) == false)
		return 0;
	if (d[4] != '-' || d[7] != '-')
		return 0;
	return sg_buf_printf(out, "%.4s/%.2s/%.2s", d, d + 5, d + 8) < 0 ? -1 : 0;
}

static int xml_cell_tag(const xml_tok *t, xml_state *st, sg_buf *out)
{
	int rc = 0;

	if (t->type == XT_EMPTY && st->cell == 0) {
		/* <table:table-cell office:date-value=".."/>: no text at all */
		st->cell_start = out->len;
		if (eng_xml_attr(t, "office:date-value", &st->date))
			rc = xml_odf_date(st, out);
		sg_buf_reset(&st->date);
		return rc < 0 ? -1 : sg_buf_putc(out, '\t');
	}
	if (t->type == XT_OPEN) {
		if (st->cell++ == 0) {
			st->cell_start = out->len;
			if (!eng_xml_attr(t, "office:date-value", &st->date))
				sg_buf_reset(&st->date);
		}
		return 0;
	}
	if (t->type == XT_CLOSE && st->cell) {
		if (--st->cell == 0)
			rc = xml_odf_date(st, out);
		sg_buf_reset(&st->date);
	}
	return rc < 0 ? -1 : sg_buf_putc(out, '\t');
}

static int xml_text_tag(const xml_tok *t, xml_state *st, sg_buf *out)
{
	bool open = t->type == XT_OPEN, end = t->type != XT_OPEN;

	if (eng_xml_is(t, "annotation")) {
		if (open)
			st->annot++;
		else if (t->type == XT_CLOSE && st->annot)
			st->annot--;
	}
	if (xml_in(t, xml_skip, N_OF(xml_skip)) ||
	    (st->annot && xml_in(t, xml_annot_meta, N_OF(xml_annot_meta)))) {
		if (open)
			st->skip++;
		else if (t->type == XT_CLOSE && st->skip)
			st->skip--;
		return 0;
	}
	if (st->skip)
		return 0;
	if (xml_in(t, xml_cell, N_OF(xml_cell)))
		return xml_cell_tag(t, st, out);
	if (eng_xml_is(t, "spreadsheet"))
		st->sheet = open;
	/* An ODF sheet's name is what its tab shows (機密性3 as a sheet
	 * name marks the workbook): a line of its own. */
	if (open && st->sheet && eng_xml_is(t, "table") &&
	    eng_xml_attr_text(t, "table:name", &st->tmp))
		return sg_buf_printf(out, "%s\n", sg_buf_cstr(&st->tmp)) < 0 ? -1 : 0;
	if (xml_in(t, xml_box, N_OF(xml_box)))
		return t->type == XT_EMPTY ? 0 : sg_buf_putc(out, '\n');
	if (end && (eng_xml_is(t, "tab")))
		return sg_buf_putc(out, '\t');
	if (end && (eng_xml_is(t, "s")))
		return sg_buf_putc(out, ' ');
	if (end && xml_in(t, xml_line, N_OF(xml_line)))
		return sg_buf_putc(out, st->cell && !eng_xml_is(t, "tr") &&
				   !eng_xml_is(t, "table-row") ? ' ' : '\n');
	return 0;
}

int eng_xml_text(const char *xml, size_t len, sg_buf *out)
{
	xml_state st;
	size_t pos = 0;
	xml_tok t;
	int rc = 0;

	memset(&st, 0, sizeof(st));
	sg_buf_init(&st.date, 64);
	sg_buf_init(&st.tmp, 4096);
	while (rc == 0 && eng_xml_next(xml, len, &pos, &t)) {
		if (t.type == XT_TEXT) {
			if (st.skip == 0)
				rc = eng_xml_put_text(t.s, t.n, out);
		} else {
			rc = xml_text_tag(&t, &st, out);
		}
	}
	sg_buf_free(&st.date);
	sg_buf_free(&st.tmp);
	return rc < 0 ? -1 : sg_buf_putc(out, '\n');
}
