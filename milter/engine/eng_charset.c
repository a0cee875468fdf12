/*
 * NAME
 *	eng_charset - decode text in the charsets Japanese mail uses to UTF-8
 * DESCRIPTION
 *	See eng_charset.h for the contract. How it is met:
 *
 *	Every decoder emits code points through one small staging area
 *	(struct cs_ctx) that encodes UTF-8, replaces NUL, counts
 *	replacements and stops at out's maximum; so "valid UTF-8, no NUL,
 *	bounded" is enforced in one place, not per charset.
 *
 *	ISO-2022-JP is decoded by our own state machine because glibc's
 *	rejects the NEC row-13 and IBM extension characters that Outlook
 *	(CP50220/CP50221) writes: each JIS X 0208 pair is turned into its
 *	Shift_JIS code and decoded through glibc's CP932 table. UTF-8 and
 *	UTF-16 are decoded here too (simple, and we control the recovery).
 *	Everything else goes through iconv with "U+FFFD, skip one byte,
 *	go on" recovery.
 *
 *	Thread safety: iconv descriptors are opened per call (struct
 *	cs_ctx) and closed before returning; nothing global is mutable
 *	except the _Thread_local name buffer of eng_cs_canonical().
 * DIAGNOSTICS
 *	See eng_charset.h.
 */
#include "engine/eng_charset.h"
#include "util/sg_buf.h"
#include "util/sg_mem.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <utf8proc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CS_REPL		0xFFFDul
#define CS_STAGE	4096
#define CS_NAME_MAX	48

/* Secondary charsets the ISO-2022-JP machine and the guesser need. */
enum cs_cd {
	CD_CP932,
	CD_EUCJP,
	CD_GB2312,
	CD_KSC5601,
	CD_GREEK,
	CD_COUNT
};

static const char *const cd_names[CD_COUNT][2] = {
	[CD_CP932] = {"CP932", NULL},
	[CD_EUCJP] = {"EUC-JP-MS", "EUC-JP"},
	[CD_GB2312] = {"EUC-CN", "GB2312"},
	[CD_KSC5601] = {"EUC-KR", NULL},
	[CD_GREEK] = {"ISO-8859-7", NULL},
};

typedef struct cs_ctx {
	sg_buf *out;		/* NULL: only count (guessing) */
	unsigned char stage[CS_STAGE];
	size_t n;
	size_t replaced;	/* U+FFFD we produced */
	size_t halfkana;	/* U+FF61..U+FF9F produced (guess tie-break) */
	bool toobig;
	bool jp_only;		/* guess among Japanese charsets only */
	iconv_t cd[CD_COUNT];
	bool cd_tried[CD_COUNT];
} cs_ctx;

static void ctx_init(cs_ctx *c, sg_buf *out)
{
	memset(c, 0, sizeof(*c));
	c->out = out;
	for (int i = 0; i < CD_COUNT; i++)
		c->cd[i] = (iconv_t)-1;
}

static void ctx_close(cs_ctx *c)
{
	for (int i = 0; i < CD_COUNT; i++)
		if (c->cd[i] != (iconv_t)-1)
			iconv_close(c->cd[i]);
}

/*
 * Append what fits. sg_buf_append is all-or-nothing, but the contract
 * says "what fitted was appended", so on refusal the longest prefix
 * ending on a character boundary goes in.
 */
static void put_bytes(cs_ctx *c, const unsigned char *p, size_t n)
{
	if (c->toobig || n == 0)
		return;
	if (sg_buf_append_cut(c->out, p, n) < 0)
		c->toobig = true;
}

static void flush(cs_ctx *c)
{
	if (c->out)
		put_bytes(c, c->stage, c->n);
	c->n = 0;
}

static void emit(cs_ctx *c, unsigned long cp)
{
	unsigned char *u;

	if (c->toobig)
		return;
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = CS_REPL;
	if (cp >= 0xFF61 && cp <= 0xFF9F)
		c->halfkana++;
	if (c->n + 4 > sizeof(c->stage))
		flush(c);
	u = c->stage + c->n;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		c->n += 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		c->n += 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		c->n += 3;
	} else {
		u[0] = (unsigned char)(0xF0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		c->n += 4;
	}
}

static void emit_repl(cs_ctx *c)
{
	c->replaced++;
	emit(c, CS_REPL);
}

/* NUL is legal input but must not reach C-string consumers. */
static void emit_in(cs_ctx *c, unsigned long cp)
{
	if (cp == 0)
		emit_repl(c);
	else
		emit(c, cp);
}

/* ---------------------------------------------------------------- UTF-8 */

/*
 * Length of the valid UTF-8 sequence at p (1..4) and its code point, or
 * 0 when the bytes there are not one (overlong, surrogate, > U+10FFFF,
 * truncated).
 */
static size_t utf8_seq(const unsigned char *p, size_t left, unsigned long *cp)
{
	unsigned char b = p[0];
	size_t n;
	unsigned long v, min;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xC2 && b <= 0xDF) {
		n = 2, v = b & 0x1F, min = 0x80;
	} else if (b >= 0xE0 && b <= 0xEF) {
		n = 3, v = b & 0x0F, min = 0x800;
	} else if (b >= 0xF0 && b <= 0xF4) {
		n = 4, v = b & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

int eng_cs_is_utf8(const void *in, size_t len)
{
	const unsigned char *p = in;
	size_t i = 0, n;
	unsigned long cp;

	while (i < len) {
		if ((n = utf8_seq(p + i, len - i, &cp)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

static void dec_utf8(cs_ctx *c, const unsigned char *p, size_t len)
{
	size_t i = 0, n;
	unsigned long cp;

	/* A BOM says nothing to a reader; keeping it would split words. */
	if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		i = 3;
	while (i < len && !c->toobig) {
		if ((n = utf8_seq(p + i, len - i, &cp)) == 0) {
			emit_repl(c);
			i++;
		} else {
			emit_in(c, cp);
			i += n;
		}
	}
}

/* --------------------------------------------------------------- UTF-16 */

static unsigned rd16(const unsigned char *p, bool le)
{
	return le ? (unsigned)(p[0] | (p[1] << 8)) : (unsigned)((p[0] << 8) | p[1]);
}

/* How much a code point looks like text: ASCII text, Latin, Greek,
 * Cyrillic, punctuation, kana and full-width forms 2; kanji 1 (a fifth of
 * all code points: a unit read the wrong way round often lands there);
 * anything else 0. */
static unsigned utf16_plausible(unsigned u)
{
	if (u == 0x09 || u == 0x0A || u == 0x0D || (u >= 0x20 && u <= 0x7E) ||
	    (u >= 0xA0 && u <= 0x52F) || (u >= 0x2000 && u <= 0x206F) ||
	    (u >= 0x3000 && u <= 0x30FF) || (u >= 0xFF00 && u <= 0xFFEF))
		return 2;
	return u >= 0x4E00 && u <= 0x9FFF;
}

/* Units looked at to tell the byte order of UTF-16 without a BOM. */
#define CS_UTF16_PROBE 32768

/*
 * UTF-16 without a BOM ("UTF-16" in a label or an encoded word, a
 * Windows "Unicode" file): the byte order is whichever reads as more
 * plausible text; on a tie little-endian, as Windows writes it and as
 * WHATWG decodes it (RFC 2781's big-endian default is what no sender
 * means, and read the wrong way round the text is lost).
 */
static bool utf16_little_endian(const unsigned char *p, size_t len)
{
	size_t le = 0, be = 0;

	for (size_t i = 0; i + 1 < len && i / 2 < CS_UTF16_PROBE; i += 2) {
		le += utf16_plausible(rd16(p + i, true));
		be += utf16_plausible(rd16(p + i, false));
	}
	return le >= be;
}

/* bom: -1 little-endian declared, +1 big-endian declared, 0 "UTF-16". */
static void dec_utf16(cs_ctx *c, const unsigned char *p, size_t len, int bom)
{
	bool le = bom < 0;
	size_t i = 0;

	if (len >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) ||
			 (p[0] == 0xFE && p[1] == 0xFF))) {
		if (bom == 0)
			le = p[0] == 0xFF;
		if (le == (p[0] == 0xFF))
			i = 2;
	} else if (bom == 0) {
		le = utf16_little_endian(p, len);
	}
	while (i + 1 < len && !c->toobig) {
		unsigned u = rd16(p + i, le), u2;

		i += 2;
		if (u < 0xD800 || u > 0xDFFF) {
			emit_in(c, u);
		} else if (u <= 0xDBFF && i + 1 < len &&
			   (u2 = rd16(p + i, le)) >= 0xDC00 && u2 <= 0xDFFF) {
			i += 2;
			emit(c, 0x10000ul + (((unsigned long)u - 0xD800) << 10) +
			     (u2 - 0xDC00));
		} else {
			emit_repl(c);
		}
	}
	if (i < len)		/* odd trailing byte */
		emit_repl(c);
}

/* ---------------------------------------------------------------- iconv */

static iconv_t ctx_cd(cs_ctx *c, enum cs_cd which)
{
	if (!c->cd_tried[which]) {
		c->cd_tried[which] = true;
		for (int k = 0; k < 2 && cd_names[which][k]; k++) {
			c->cd[which] = iconv_open("UTF-8", cd_names[which][k]);
			if (c->cd[which] != (iconv_t)-1)
				break;
		}
	}
	return c->cd[which];
}

/* iconv's UTF-8 is trusted for structure, but NUL must still go. */
static void emit_utf8_run(cs_ctx *c, const unsigned char *p, size_t len)
{
	size_t i = 0, n;
	unsigned long cp;

	while (i < len && !c->toobig) {
		if ((n = utf8_seq(p + i, len - i, &cp)) == 0) {
			emit_repl(c);
			i++;
		} else {
			emit_in(c, cp);
			i += n;
		}
	}
}

/*
 * Whole-buffer conversion with the recovery the header promises. On
 * EILSEQ/EINVAL the state is reset, because a stateful converter may be
 * mid-shift and the skipped byte may have been the shift.
 */
static void dec_iconv(cs_ctx *c, iconv_t cd, const unsigned char *p, size_t len)
{
	char obuf[CS_STAGE];
	char *ip = (char *)p;
	size_t ileft = len;

	iconv(cd, NULL, NULL, NULL, NULL);
	while (!c->toobig) {
		char *op = obuf;
		size_t oleft = sizeof(obuf);
		size_t r = ileft ? iconv(cd, &ip, &ileft, &op, &oleft)
				 : iconv(cd, NULL, NULL, &op, &oleft);
		int err = r == (size_t)-1 ? errno : 0;

		emit_utf8_run(c, (unsigned char *)obuf, (size_t)(op - obuf));
		if (err == E2BIG)
			continue;
		if (err == EILSEQ || err == EINVAL) {
			emit_repl(c);
			ip++;
			ileft--;
			iconv(cd, NULL, NULL, NULL, NULL);
			continue;
		}
		if (ileft == 0 && r != (size_t)-1 && op == obuf)
			break;
		if (err)	/* EBADF and the like: nothing sane left */
			break;
	}
}

/* One character (e.g. a JIS pair as CP932); U+FFFD if it does not map. */
static void dec_one(cs_ctx *c, enum cs_cd which, const unsigned char *b,
		    size_t n)
{
	iconv_t cd = ctx_cd(c, which);
	char obuf[16], *op = obuf, *ip = (char *)b;
	size_t ileft = n, oleft = sizeof(obuf);

	if (cd == (iconv_t)-1) {
		emit_repl(c);
		return;
	}
	iconv(cd, NULL, NULL, NULL, NULL);
	if (iconv(cd, &ip, &ileft, &op, &oleft) == (size_t)-1 || ileft != 0 ||
	    op == obuf) {
		emit_repl(c);
		return;
	}
	emit_utf8_run(c, (unsigned char *)obuf, (size_t)(op - obuf));
}

static void dec_named(cs_ctx *c, enum cs_cd which, const unsigned char *p,
		      size_t len)
{
	iconv_t cd = ctx_cd(c, which);

	if (cd == (iconv_t)-1) {	/* glibc without the module: still safe */
		dec_utf8(c, p, len);
		return;
	}
	dec_iconv(c, cd, p, len);
}

/* ---------------------------------------------------------- ISO-2022-JP */

enum jis_g0 {
	G0_ASCII,
	G0_KANA,	/* JIS X 0201 katakana, ESC ( I */
	G0_X0208,	/* via CP932, so NEC/IBM extensions work */
	G0_X0212,
	G0_GB2312,	/* ISO-2022-JP-2 */
	G0_KSC5601,	/* ISO-2022-JP-2 */
	G0_UNKNOWN
};

enum jis_g2 { G2_NONE, G2_LATIN1, G2_GREEK };

typedef struct jis_state {
	enum jis_g0 g0;
	enum jis_g2 g2;
	bool so;	/* SO: katakana as CP50221/CP50222 write it */
} jis_state;

static const struct jis_esc {
	const char *seq;	/* bytes after ESC */
	int g0;			/* -1: G2 designation or no-op */
	int g2;
} jis_escs[] = {
	{"(B", G0_ASCII, 0}, {"(J", G0_ASCII, 0}, {"(H", G0_ASCII, 0},
	{"(I", G0_KANA, 0},
	{"$@", G0_X0208, 0}, {"$B", G0_X0208, 0}, {"$(B", G0_X0208, 0},
	{"$(@", G0_X0208, 0},
	/* JIS X 0213 plane 1 is a superset; its 0208 part is what matters */
	{"$(O", G0_X0208, 0}, {"$(Q", G0_X0208, 0},
	{"$(D", G0_X0212, 0},
	{"$A", G0_GB2312, 0}, {"$(C", G0_KSC5601, 0},
	{".A", -1, G2_LATIN1}, {".F", -1, G2_GREEK},
	{"&@", -1, G2_NONE},	/* JIS X 0208-1990 announcer: ignore */
};

/*
 * Length of the escape sequence at p (ESC, up to 3 intermediates
 * 0x20..0x2F, one final 0x30..0x7E), or 0 when it is not complete.
 */
static size_t esc_len(const unsigned char *p, size_t left)
{
	size_t i = 1;

	while (i < left && i < 4 && p[i] >= 0x20 && p[i] <= 0x2F)
		i++;
	if (i < left && p[i] >= 0x30 && p[i] <= 0x7E)
		return i + 1;
	return 0;
}

static void jis_escape(cs_ctx *c, jis_state *st, const unsigned char *p,
		       size_t n)
{
	for (size_t k = 0; k < sizeof(jis_escs) / sizeof(jis_escs[0]); k++) {
		const struct jis_esc *e = &jis_escs[k];

		if (strlen(e->seq) == n - 1 && memcmp(e->seq, p + 1, n - 1) == 0) {
			if (e->g0 >= 0) {
				st->g0 = (enum jis_g0)e->g0;
				st->so = false;
			} else if (e->g2 != G2_NONE) {
				st->g2 = (enum jis_g2)e->g2;
			}
			return;
		}
	}
	/* A designation we do not know (a typo, JIS X 0213 plane 2...):
	 * say so once and read on in the likeliest set, a double-byte one
	 * for "ESC $ ...", else ASCII. Reading its bytes as U+FFFD instead
	 * would drop the rest of the part up to the next escape, markings
	 * included. */
	emit_repl(c);
	st->g0 = n >= 2 && p[1] == '$' ? G0_X0208 : G0_ASCII;
	st->so = false;
}

/* The standard JIS row/cell to Shift_JIS transform. */
static void jis_to_sjis(unsigned j1, unsigned j2, unsigned char s[2])
{
	s[0] = (unsigned char)(((j1 + 1) >> 1) + (j1 <= 0x5E ? 0x70 : 0xB0));
	if (j1 & 1)
		s[1] = (unsigned char)(j2 + (j2 >= 0x60 ? 0x20 : 0x1F));
	else
		s[1] = (unsigned char)(j2 + 0x7E);
}

static void jis_pair(cs_ctx *c, enum jis_g0 g0, unsigned j1, unsigned j2)
{
	unsigned char b[3];

	switch (g0) {
	case G0_X0208:
		jis_to_sjis(j1, j2, b);
		dec_one(c, CD_CP932, b, 2);
		break;
	case G0_X0212:
		b[0] = 0x8F, b[1] = (unsigned char)(j1 | 0x80);
		b[2] = (unsigned char)(j2 | 0x80);
		dec_one(c, CD_EUCJP, b, 3);
		break;
	case G0_GB2312:
	case G0_KSC5601:
		b[0] = (unsigned char)(j1 | 0x80), b[1] = (unsigned char)(j2 | 0x80);
		dec_one(c, g0 == G0_GB2312 ? CD_GB2312 : CD_KSC5601, b, 2);
		break;
	default:
		emit_repl(c);
		break;
	}
}

static bool g0_double(enum jis_g0 g)
{
	return g == G0_X0208 || g == G0_X0212 || g == G0_GB2312 ||
	       g == G0_KSC5601;
}

/* ESC N: one G2 character (ISO-2022-JP-2). */
static size_t jis_single_shift(cs_ctx *c, const jis_state *st,
			       const unsigned char *p, size_t left)
{
	unsigned char b;

	if (left < 3 || p[2] < 0x20 || p[2] > 0x7F || st->g2 == G2_NONE) {
		emit_repl(c);
		return left < 3 ? 2 : 3;
	}
	b = (unsigned char)(p[2] | 0x80);
	if (st->g2 == G2_LATIN1)
		emit(c, b);
	else
		dec_one(c, CD_GREEK, &b, 1);
	return 3;
}

/* One graphic byte (0x21..0x7E) or a pair in the current G0; returns used. */
static size_t jis_graphic(cs_ctx *c, const jis_state *st,
			  const unsigned char *p, size_t left)
{
	unsigned b = p[0];

	if (st->so || st->g0 == G0_KANA) {
		if (b <= 0x5F)
			emit(c, 0xFF61ul + (b - 0x21));
		else
			emit_repl(c);
		return 1;
	}
	if (g0_double(st->g0)) {
		if (left < 2 || p[1] < 0x21 || p[1] > 0x7E) {
			emit_repl(c);	/* half a character */
			return 1;
		}
		jis_pair(c, st->g0, b, p[1]);
		return 2;
	}
	if (st->g0 == G0_UNKNOWN)
		emit_repl(c);
	else
		emit(c, b);
	return 1;
}

static void dec_iso2022jp(cs_ctx *c, const unsigned char *p, size_t len)
{
	jis_state st = {G0_ASCII, G2_NONE, false};
	size_t i = 0, n;

	while (i < len && !c->toobig) {
		unsigned b = p[i];

		if (b == 0x1B) {
			if (i + 1 < len && p[i + 1] == 'N') {
				i += jis_single_shift(c, &st, p + i, len - i);
			} else if ((n = esc_len(p + i, len - i)) != 0) {
				jis_escape(c, &st, p + i, n);
				i += n;
			} else {
				emit_repl(c);	/* stray ESC */
				i++;
			}
		} else if (b == 0x0E || b == 0x0F) {
			st.so = b == 0x0E;
			i++;
		} else if (b >= 0x80) {
			emit_repl(c);
			i++;
		} else if (b >= 0x21 && b <= 0x7E) {
			i += jis_graphic(c, &st, p + i, len - i);
		} else if (b == 0x7F && st.g0 != G0_ASCII) {
			emit_repl(c);
			i++;
		} else {
			emit_in(c, b);	/* controls and space in any set */
			i++;
		}
	}
}

/* ---------------------------------------------------------------- names */

enum cs_kind {
	K_GUESS,
	K_UTF8,
	K_CP932,
	K_JIS,
	K_EUCJP,
	K_UTF16,
	K_UTF16LE,
	K_UTF16BE,
	K_ICONV
};

static const struct cs_alias {
	const char *name;
	enum cs_kind kind;
	const char *iconv_name;	/* K_ICONV: what to open */
} cs_aliases[] = {
	{"utf-8", K_UTF8, NULL}, {"utf8", K_UTF8, NULL},
	/* us-ascii is the MIME default, so mislabelled Japanese lands here */
	{"us-ascii", K_GUESS, NULL}, {"ascii", K_GUESS, NULL},
	{"us", K_GUESS, NULL}, {"ansi_x3.4-1968", K_GUESS, NULL},
	{"csascii", K_GUESS, NULL}, {"iso646-us", K_GUESS, NULL},
	{"shift_jis", K_CP932, NULL}, {"shift-jis", K_CP932, NULL},
	{"sjis", K_CP932, NULL}, {"x-sjis", K_CP932, NULL},
	{"ms_kanji", K_CP932, NULL}, {"csshiftjis", K_CP932, NULL},
	{"windows-31j", K_CP932, NULL}, {"cp932", K_CP932, NULL},
	{"ms932", K_CP932, NULL}, {"x-ms-cp932", K_CP932, NULL},
	{"cswindows31j", K_CP932, NULL}, {"sjis-win", K_CP932, NULL},
	{"iso-2022-jp", K_JIS, NULL}, {"csiso2022jp", K_JIS, NULL},
	{"iso-2022-jp-ms", K_JIS, NULL}, {"cp50220", K_JIS, NULL},
	{"cp50221", K_JIS, NULL}, {"cp50222", K_JIS, NULL},
	{"iso-2022-jp-1", K_JIS, NULL}, {"iso-2022-jp-2", K_JIS, NULL},
	{"csiso2022jp2", K_JIS, NULL}, {"iso-2022-jp-3", K_JIS, NULL},
	{"iso-2022-jp-2004", K_JIS, NULL}, {"jis", K_JIS, NULL},
	{"euc-jp", K_EUCJP, NULL}, {"x-euc-jp", K_EUCJP, NULL},
	{"eucjp", K_EUCJP, NULL}, {"cseucpkdfmtjapanese", K_EUCJP, NULL},
	{"euc-jp-ms", K_EUCJP, NULL}, {"eucjp-ms", K_EUCJP, NULL},
	{"eucjp-win", K_EUCJP, NULL},
	{"utf-16", K_UTF16, NULL}, {"utf16", K_UTF16, NULL},
	{"utf-16le", K_UTF16LE, NULL}, {"utf-16be", K_UTF16BE, NULL},
	/* Names mail uses that glibc lacks, or where a superset is meant */
	{"ks_c_5601-1987", K_ICONV, "CP949"}, {"gb2312", K_ICONV, "GB18030"},
	{"gbk", K_ICONV, "GB18030"}, {"x-gbk", K_ICONV, "GB18030"},
	{"iso-8859-1", K_ICONV, "WINDOWS-1252"},
	{"latin1", K_ICONV, "WINDOWS-1252"}, {"latin-1", K_ICONV, "WINDOWS-1252"},
	{"iso8859-1", K_ICONV, "WINDOWS-1252"}, {"iso_8859-1", K_ICONV, "WINDOWS-1252"},
	{"l1", K_ICONV, "WINDOWS-1252"}, {"cp819", K_ICONV, "WINDOWS-1252"},
};

static const char *const kind_names[] = {
	[K_GUESS] = NULL, [K_UTF8] = "UTF-8", [K_CP932] = "CP932",
	[K_JIS] = "ISO-2022-JP", [K_EUCJP] = "EUC-JP", [K_UTF16] = "UTF-16",
	[K_UTF16LE] = "UTF-16LE", [K_UTF16BE] = "UTF-16BE", [K_ICONV] = NULL,
};

/*
 * Trimmed, lower-cased copy of a MIME charset name; false when it cannot
 * be a charset name (so that "//TRANSLIT" and paths never reach iconv).
 */
static bool clean_name(const char *cs, char *buf, size_t size)
{
	size_t n = 0;

	while (*cs == ' ' || *cs == '\t' || *cs == '"' || *cs == '\'')
		cs++;
	for (; *cs && n + 1 < size; cs++) {
		unsigned char ch = (unsigned char)*cs;

		if (ch == ' ' || ch == '\t' || ch == '"' || ch == '\'')
			break;
		if (!isalnum(ch) && !strchr("-_.:+()", ch))
			return false;
		buf[n++] = (char)tolower(ch);
	}
	if (*cs && *cs != ' ' && *cs != '\t' && *cs != '"' && *cs != '\'')
		return false;	/* too long */
	buf[n] = '\0';
	return n > 0;
}

static bool iconv_knows(const char *name)
{
	iconv_t cd = iconv_open("UTF-8", name);

	if (cd == (iconv_t)-1)
		return false;
	iconv_close(cd);
	return true;
}

/* Kind for a name; for K_ICONV *iname gets the name to open. */
static enum cs_kind classify(const char *charset, const char **iname)
{
	static _Thread_local char upper[CS_NAME_MAX];
	char lower[CS_NAME_MAX];

	*iname = NULL;
	if (charset == NULL || !clean_name(charset, lower, sizeof(lower)))
		return K_GUESS;
	for (size_t k = 0; k < sizeof(cs_aliases) / sizeof(cs_aliases[0]); k++) {
		if (strcmp(lower, cs_aliases[k].name) == 0) {
			*iname = cs_aliases[k].iconv_name;
			return cs_aliases[k].kind;
		}
	}
	for (size_t k = 0; lower[k]; k++)
		upper[k] = (char)toupper((unsigned char)lower[k]);
	upper[strlen(lower)] = '\0';
	if (!iconv_knows(upper))
		return K_GUESS;
	*iname = upper;
	return K_ICONV;
}

const char *eng_cs_canonical(const char *charset)
{
	const char *iname;
	enum cs_kind k = classify(charset, &iname);

	return k == K_ICONV ? iname : kind_names[k];
}

/* ---------------------------------------------------------------- guess */

static bool has_jis_escape(const unsigned char *p, size_t len)
{
	static const char *const seqs[] = {"$B", "$@", "(B", "(J", "(I", "$(D"};
	const unsigned char *e = p, *end = p + len;

	while ((e = memchr(e, 0x1B, (size_t)(end - e))) != NULL) {
		for (size_t k = 0; k < sizeof(seqs) / sizeof(seqs[0]); k++) {
			size_t n = strlen(seqs[k]);

			if ((size_t)(end - e) > n && memcmp(e + 1, seqs[k], n) == 0)
				return true;
		}
		e++;
	}
	return false;
}

/* Decode as `which` without output, to score it. */
static void score(enum cs_cd which, const unsigned char *p, size_t len,
		  size_t *repl, size_t *kana)
{
	cs_ctx *c = sg_xmalloc(sizeof(*c));

	ctx_init(c, NULL);
	dec_named(c, which, p, len);
	*repl = c->replaced;
	*kana = c->halfkana;
	ctx_close(c);
	free(c);
}

/*
 * CP932 versus EUC-JP. Fewer errors wins. On a tie, fewer half-width
 * katakana wins: EUC-JP kana and kanji bytes (0xA1..0xFE pairs) also read
 * as valid CP932, as a run of half-width katakana nobody writes.
 */
static enum cs_cd guess_sjis_euc(const unsigned char *p, size_t len,
				 size_t *repl)
{
	size_t r_sj, k_sj, r_euc, k_euc;

	score(CD_CP932, p, len, &r_sj, &k_sj);
	score(CD_EUCJP, p, len, &r_euc, &k_euc);
	*repl = r_euc < r_sj ? r_euc : r_sj;
	if (r_euc != r_sj)
		return r_euc < r_sj ? CD_EUCJP : CD_CP932;
	return k_euc < k_sj ? CD_EUCJP : CD_CP932;
}

/*
 * Undeclared 8-bit text that no Japanese charset reads (a Russian or
 * a French .txt, a body labelled us-ascii): the single-byte charsets
 * mail outside Japan uses. Why this is safe for detection: the
 * detectors look for Japanese and for digits and ASCII; the latter are
 * the same bytes in all of these charsets, and a single-byte charset
 * can only be chosen when the high bytes do not have the shape of
 * Japanese (Shift_JIS and EUC-JP write every kana and kanji as a pair
 * of bytes, mostly both high, so Japanese text is long runs of high
 * bytes, and its Shift_JIS trail bytes are ASCII letters next to high
 * ones). A Latin reading allows few runs of three high bytes or more;
 * a Cyrillic or Greek one needs letters only, no letter next to an
 * ASCII letter and the case pattern of words (a capital after a small
 * letter inside a word is what the wrong Cyrillic table gives).
 * Japanese with a few invalid bytes put in still has those shapes and
 * is read as Japanese, its replacements counted (max_undecodable).
 */
enum { SB_LATIN, SB_OTHER };

static const struct cs_single {
	const char *name;
	int script;
} cs_singles[] = {
	{"WINDOWS-1252", SB_LATIN}, {"WINDOWS-1250", SB_LATIN},
	{"WINDOWS-1251", SB_OTHER}, {"KOI8-R", SB_OTHER},
	{"ISO-8859-5", SB_OTHER}, {"ISO-8859-7", SB_OTHER},
};

#define SB_NONE 0xFFFFFFFFul

/* table[b - 0x80]: the code point of byte b, SB_NONE when undefined. */
static bool sb_table(const char *name, unsigned long table[128])
{
	iconv_t cd = iconv_open("UTF-32LE", name);

	if (cd == (iconv_t)-1)
		return false;
	for (unsigned b = 0x80; b <= 0xFF; b++) {
		char in[1] = { (char)b }, o[8];
		char *ip = in, *op = o;
		size_t il = 1, ol = sizeof(o);

		iconv(cd, NULL, NULL, NULL, NULL);
		table[b - 0x80] = SB_NONE;
		if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1 && op - o == 4)
			table[b - 0x80] = (unsigned long)(unsigned char)o[0] |
					  (unsigned long)(unsigned char)o[1] << 8 |
					  (unsigned long)(unsigned char)o[2] << 16 |
					  (unsigned long)(unsigned char)o[3] << 24;
	}
	iconv_close(cd);
	return true;
}

static bool sb_letter(unsigned long cp)
{
	utf8proc_category_t k = utf8proc_category((utf8proc_int32_t)cp);

	/* Marks too: Thai and Hebrew vowels are part of their words. */
	return k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LL ||
	       k == UTF8PROC_CATEGORY_LT || k == UTF8PROC_CATEGORY_LM ||
	       k == UTF8PROC_CATEGORY_LO || k == UTF8PROC_CATEGORY_MN ||
	       k == UTF8PROC_CATEGORY_MC;
}

static bool sb_ascii_letter(unsigned char b)
{
	return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
}

/* How badly p reads in this table (lower is better), or SIZE_MAX when
 * it does not read as text of its script at all. One pass over p. */
static size_t sb_judge(const unsigned long table[128], int script,
		       const unsigned char *p, size_t len)
{
	size_t high = 0, letters = 0, in_runs = 0, run = 0, touching = 0,
	       midcap = 0;
	bool prev_small = false;

	for (size_t i = 0; i <= len; i++) {
		unsigned long cp;
		utf8proc_category_t k;

		if (i == len || p[i] < 0x80) {
			if (run >= 3)
				in_runs += run;
			run = 0;
			prev_small = i < len && p[i] >= 'a' && p[i] <= 'z';
			continue;
		}
		cp = table[p[i] - 0x80];
		if (cp == SB_NONE || (cp >= 0x80 && cp <= 0x9F))
			return SIZE_MAX;	/* undefined, or a C1 control */
		k = utf8proc_category((utf8proc_int32_t)cp);
		if (k == UTF8PROC_CATEGORY_CC || k == UTF8PROC_CATEGORY_CO ||
		    k == UTF8PROC_CATEGORY_CN)
			return SIZE_MAX;
		high++;
		run++;
		if (sb_letter(cp)) {
			letters++;
			if ((i > 0 && sb_ascii_letter(p[i - 1])) ||
			    (i + 1 < len && sb_ascii_letter(p[i + 1])))
				touching++;
			if (k == UTF8PROC_CATEGORY_LU && prev_small)
				midcap++;
			prev_small = k == UTF8PROC_CATEGORY_LL;
		} else {
			prev_small = false;
		}
	}
	if (high == 0)
		return SIZE_MAX;
	if (script == SB_LATIN)
		return in_runs * 10 <= high ? in_runs : SIZE_MAX;
	if (letters * 100 < high * 95 || touching * 20 > letters ||
	    midcap * 20 > letters)
		return SIZE_MAX;
	return midcap + touching;
}

/*
 * A declared single-byte label is a claim too: Shift_JIS labelled
 * iso-8859-1 decodes without one error into accented letters and hides
 * every kanji. True when `name` is a single-byte charset whose reading
 * of p has the shape of no script (sb_judge) while a Japanese charset
 * reads p without a replacement: then the Japanese reading is kept.
 */
static bool sb_label_lies(const char *name, const unsigned char *p, size_t len)
{
	unsigned long table[128];
	size_t repl, defined = 0;
	bool high = false;

	for (size_t i = 0; i < len && !high; i++)
		high = p[i] >= 0x80;
	if (!high || !sb_table(name, table))
		return false;
	/* A multi-byte charset (GB18030, Big5) reads few lone high bytes;
	 * a single-byte one all but a few (windows-1252 lacks five). */
	for (unsigned b = 0; b < 128; b++)
		defined += table[b] != SB_NONE;
	if (defined < 100)
		return false;
	if (sb_judge(table, SB_LATIN, p, len) != SIZE_MAX ||
	    sb_judge(table, SB_OTHER, p, len) != SIZE_MAX)
		return false;
	(void)guess_sjis_euc(p, len, &repl);
	return repl == 0;
}

/* The single-byte charset p reads best in, or NULL. */
static const char *guess_single(const unsigned char *p, size_t len)
{
	unsigned long table[128];
	size_t best = SIZE_MAX;
	const char *name = NULL;

	for (size_t k = 0; k < sizeof(cs_singles) / sizeof(cs_singles[0]); k++) {
		size_t v;

		if (!sb_table(cs_singles[k].name, table))
			continue;
		v = sb_judge(table, cs_singles[k].script, p, len);
		if (v < best) {
			best = v;
			name = cs_singles[k].name;
		}
	}
	return name;
}

/* A quarter of the bytes NUL: UTF-16 (of mostly Latin text) without a
 * BOM; no 8-bit Japanese charset has NUL bytes in text. */
static bool looks_utf16(const unsigned char *p, size_t len)
{
	size_t nul = 0, n = len < 2 * CS_UTF16_PROBE ? len : 2 * CS_UTF16_PROBE;

	for (size_t i = 0; i < n; i++)
		nul += p[i] == 0;
	return n >= 4 && nul * 4 >= n;
}

static void dec_guess(cs_ctx *c, const unsigned char *p, size_t len)
{
	if ((len >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) ||
			  (p[0] == 0xFE && p[1] == 0xFF))) || looks_utf16(p, len))
		dec_utf16(c, p, len, 0);
	else if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		dec_utf8(c, p, len);
	else if (has_jis_escape(p, len))
		dec_iso2022jp(c, p, len);
	else if (eng_cs_is_utf8(p, len))
		dec_utf8(c, p, len);
	else {
		size_t repl;
		enum cs_cd jp = guess_sjis_euc(p, len, &repl);
		const char *single = repl > 0 && !c->jp_only ? guess_single(p, len) : NULL;
		iconv_t cd = single ? iconv_open("UTF-8", single) : (iconv_t)-1;

		if (cd != (iconv_t)-1) {
			dec_iconv(c, cd, p, len);
			iconv_close(cd);
		} else {
			dec_named(c, jp, p, len);
		}
	}
}

/* ----------------------------------------------------------------- main */

static void dec_iconv_name(cs_ctx *c, const char *name, const unsigned char *p,
			   size_t len)
{
	iconv_t cd = iconv_open("UTF-8", name);

	if (cd == (iconv_t)-1) {
		dec_guess(c, p, len);
		return;
	}
	dec_iconv(c, cd, p, len);
	iconv_close(cd);
}

/* One decoding of p as `kind` into c. */
static void dec_kind(cs_ctx *c, enum cs_kind kind, const char *iname,
		     const unsigned char *p, size_t len)
{
	switch (kind) {
	case K_UTF8: dec_utf8(c, p, len); break;
	case K_CP932: dec_named(c, CD_CP932, p, len); break;
	case K_JIS: dec_iso2022jp(c, p, len); break;
	case K_EUCJP: dec_named(c, CD_EUCJP, p, len); break;
	case K_UTF16: dec_utf16(c, p, len, 0); break;
	case K_UTF16LE: dec_utf16(c, p, len, -1); break;
	case K_UTF16BE: dec_utf16(c, p, len, 1); break;
	case K_ICONV: dec_iconv_name(c, iname, p, len); break;
	default: dec_guess(c, p, len); break;
	}
	flush(c);
}

/*
 * A label is a claim: when the declared charset does not decode (bad
 * escapes, stray 8-bit bytes in ISO-2022-JP, Shift_JIS labelled EUC-JP),
 * the bytes are decoded again by guessing. A stray byte or two is what
 * real mail has (an extension character in ISO-2022-JP): the label
 * stays. Past that (more than 2 replacements and 5 % of the input), the
 * guess is kept when it is clearly better: fewer than a quarter of the
 * replacements, half-width katakana counted as replacements
 * (CP932 reads almost any byte soup as them).
 */
eng_cs_status eng_cs_decode(const char *charset, const void *in, size_t len,
			    sg_buf *out, size_t *replaced)
{
	const unsigned char *p = in;
	const char *iname;
	enum cs_kind kind;
	size_t start = out->len;
	bool was_toobig = out->toobig;
	cs_ctx *c;
	eng_cs_status st;

	if (replaced)
		*replaced = 0;
	/* An empty part (GMime gives a NULL array then) decodes to nothing. */
	if (len == 0 || in == NULL)
		return ENG_CS_OK;
	c = sg_xmalloc(sizeof(*c));	/* 4 KiB staging: off the stack */
	ctx_init(c, out);
	kind = classify(charset, &iname);
	if (kind == K_ICONV && sb_label_lies(iname, p, len))
		kind = K_GUESS;
	dec_kind(c, kind, iname, p, len);
	if (kind != K_GUESS && c->replaced > 2 && c->replaced * 20 >= len) {
		cs_ctx *g = sg_xmalloc(sizeof(*g));
		sg_buf alt;

		sg_buf_init(&alt, out->max > start ? out->max - start : 0);
		ctx_init(g, &alt);
		/* Text labelled Japanese that does not decode is judged as
		 * Japanese: no single-byte charset hides its bytes. */
		g->jp_only = kind == K_CP932 || kind == K_JIS || kind == K_EUCJP;
		dec_kind(g, K_GUESS, NULL, p, len);
		if ((g->replaced + g->halfkana) * 4 < c->replaced &&
		    (!g->toobig || c->toobig)) {
			sg_buf_truncate(out, start);
			out->toobig = was_toobig;
			if (alt.len)
				sg_buf_append(out, alt.data, alt.len);
			c->replaced = g->replaced;
			c->toobig = g->toobig;
		}
		ctx_close(g);
		free(g);
		sg_buf_free(&alt);
	}
	st = c->toobig ? ENG_CS_TOOBIG : c->replaced ? ENG_CS_REPLACED : ENG_CS_OK;
	if (replaced)
		*replaced = c->replaced;
	ctx_close(c);
	free(c);
	return st;
}

eng_cs_status eng_cs_to_utf8(const char *charset, const void *in, size_t len,
			     sg_buf *out)
{
	return eng_cs_decode(charset, in, len, out, NULL);
}
