/*
 * NAME
 *	eng_pd_person - the name finder of the personal-data detectors
 * DESCRIPTION
 *	See eng_pd_person.h. Special-care words and birth dates are
 *	personal data only about a person (POLICY.md); Japanese business
 *	mail names people as 林 彩, 鈴木 さくら, 佐藤太郎, 中村様, in a 氏名
 *	column. A family-name list plus the shape of a given name finds
 *	them with few false alarms on ordinary mail; MeCab's IPAdic was
 *	measured against it (tests/bench/names_eval.c) and lost on false
 *	alarms (石川県, 森林) and on hiragana given names, and costs a
 *	dictionary per engine.
 *
 *	Must never: read past len, or loop without a bound (every loop
 *	below advances through the text or runs over a fixed list).
 */
#include "engine/eng_pd_person.h"
#include "util/sg_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* A family name is at most this many characters (長谷川, 佐久間: 3). */
#define PERSON_MAX_SURNAME 4
#define PERSON_MAX_NAMES 100000
#define PERSON_LINE_MAX 4096

typedef enum { CH_OTHER, CH_HAN, CH_HIRA, CH_KATA, CH_SPACE } ch_class;

/* One code point at i (U+FFFD for a broken sequence): its length. */
static size_t person_cp(const char *t, size_t len, size_t i, int32_t *cp)
{
	utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)t + i,
					      (utf8proc_ssize_t)(len - i), cp);

	if (n <= 0) {
		*cp = 0xFFFD;
		return 1;
	}
	return (size_t)n;
}

static ch_class person_class(int32_t c)
{
	if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
	    (c >= 0xF900 && c <= 0xFAFF) || c == 0x3005 || c == 0x30F6)
		return CH_HAN;		/* 々 and ヶ are parts of names */
	if (c >= 0x3041 && c <= 0x3096)
		return CH_HIRA;
	if ((c >= 0x30A1 && c <= 0x30FA) || c == 0x30FC)
		return CH_KATA;
	if (c == ' ' || c == 0x3000)
		return CH_SPACE;
	return CH_OTHER;
}

static ch_class person_class_at(const char *t, size_t len, size_t i, size_t *n)
{
	int32_t c;

	if (i >= len) {
		*n = 0;
		return CH_OTHER;
	}
	*n = person_cp(t, len, i, &c);
	return person_class(c);
}

/* The start of the character before i (i > 0). */
static size_t person_prev(const char *t, size_t i)
{
	do
		i--;
	while (i > 0 && ((unsigned char)t[i] & 0xC0) == 0x80);
	return i;
}

/* A run of one class from i, at most max characters: end offset, and
 * the number of characters in *nch. */
static size_t person_run(const char *t, size_t len, size_t i, ch_class k,
			 unsigned max, unsigned *nch)
{
	size_t n;

	*nch = 0;
	while (*nch < max && person_class_at(t, len, i, &n) == k) {
		i += n;
		(*nch)++;
	}
	return i;
}

/* A run of kanji that stops before an honorific kanji (佐藤恵子様は:
 * the name is 佐藤恵子). */
static size_t person_han_run(const char *t, size_t len, size_t i, unsigned max,
			     unsigned *nch)
{
	size_t n;
	int32_t c;

	*nch = 0;
	while (*nch < max && i < len) {
		n = person_cp(t, len, i, &c);
		if (person_class(c) != CH_HAN || c == 0x69D8 /* 様 */ ||
		    c == 0x6C0F /* 氏 */ || c == 0x6BBF /* 殿 */ || c == 0x541B /* 君 */)
			break;
		i += n;
		(*nch)++;
	}
	return i;
}

static bool person_starts(const char *t, size_t len, size_t i, const char *w)
{
	size_t n = strlen(w);

	return i + n <= len && memcmp(t + i, w, n) == 0;
}

static const char *const honorifics[] = { "様", "さん", "さま", "ちゃん", "くん",
	"氏", "殿", "君" };

/* Length of an honorific at i (after at most one space), or 0. */
static size_t person_honorific(const char *t, size_t len, size_t i)
{
	size_t sp = i < len && t[i] == ' ' ? 1 : 0;

	for (size_t k = 0; k < sizeof(honorifics) / sizeof(honorifics[0]); k++)
		if (person_starts(t, len, i + sp, honorifics[k])) {
			size_t e = i + sp + strlen(honorifics[k]), n;
			/* 氏名, 様式, 殿堂: a word, not an honorific. */
			if (honorifics[k][0] != "さ"[0] && person_class_at(t, len, e, &n) == CH_HAN)
				return 0;
			return sp + strlen(honorifics[k]);
		}
	return 0;
}

static int person_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool person_surname(const eng_engine *eng, const char *s, size_t n)
{
	char key[PERSON_MAX_SURNAME * 4 + 1];
	const char *k = key;

	if (n >= sizeof(key) || eng->nsurnames == 0)
		return false;
	memcpy(key, s, n);
	key[n] = '\0';
	return bsearch(&k, eng->surnames, eng->nsurnames, sizeof(char *),
		       person_cmp) != NULL;
}

int eng_pd_person_load(eng_engine *eng, const char *path, sg_buf *err)
{
	FILE *fp = fopen(path, "r");
	char line[PERSON_LINE_MAX];
	unsigned lineno = 0;
	size_t w = 0;

	if (fp == NULL) {
		sg_buf_printf(err, "%s: cannot open", path);
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		size_t n = strcspn(line, "\r\n");
		unsigned nch = 0;

		lineno++;
		line[n] = '\0';
		while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		person_run(line, n, 0, CH_HAN, PERSON_MAX_SURNAME + 1, &nch);
		if (nch == 0 || nch > PERSON_MAX_SURNAME ||
		    strlen(line) != n || eng->nsurnames >= PERSON_MAX_NAMES ||
		    person_run(line, n, 0, CH_HAN, PERSON_MAX_SURNAME, &nch) != n) {
			sg_buf_printf(err, "%s:%u: not a family name of 1-%d kanji",
				      path, lineno, PERSON_MAX_SURNAME);
			fclose(fp);
			return -1;
		}
		eng->surnames = sg_xreallocarray(eng->surnames, eng->nsurnames + 1,
						 sizeof(char *));
		eng->surnames[eng->nsurnames++] = sg_xstrdup(line);
	}
	fclose(fp);
	qsort(eng->surnames, eng->nsurnames, sizeof(char *), person_cmp);
	/* Duplicates are harmless but pointless. */
	for (size_t r = 0; r < eng->nsurnames; r++) {
		if (w > 0 && strcmp(eng->surnames[w - 1], eng->surnames[r]) == 0) {
			free(eng->surnames[r]);
			continue;
		}
		eng->surnames[w++] = eng->surnames[r];
	}
	eng->nsurnames = w;
	return 0;
}

void eng_pd_person_free(eng_engine *eng)
{
	for (size_t i = 0; i < eng->nsurnames; i++)
		free(eng->surnames[i]);
	free(eng->surnames);
	eng->surnames = NULL;
	eng->nsurnames = 0;
}

/* Hiragana that are words, not given names (中村 から連絡). */
static const char *const hira_words[] = { "から", "まで", "より", "など", "です",
	"でした", "ます", "ので", "こと", "もの", "ため", "よう", "して", "した",
	"する", "には", "とは", "では", "へは", "にて", "だけ", "ほど", "しか",
	"でも", "とか", "なら", "および", "または", "ほか", "ごと", "ずつ", "また",
	"みな" };
/* What may follow a hiragana given name inside a word run. */
static const char *const hira_after[] = { "さん", "さま", "ちゃん", "くん", "は",
	"が", "の", "を", "に", "と", "も", "へ" };

static bool person_in(const char *s, size_t n, const char *const *list, size_t nl)
{
	for (size_t k = 0; k < nl; k++)
		if (strlen(list[k]) == n && memcmp(s, list[k], n) == 0)
			return true;
	return false;
}

/* A hiragana given name of 2-4 characters at i, ending the run or
 * followed by an honorific or a particle: its end, or 0. */
static size_t person_hira_given(const char *t, size_t len, size_t i, bool spaced)
{
	unsigned nch;
	size_t run = person_run(t, len, i, CH_HIRA, 8, &nch);
	size_t ends[9], p = i, n;

	if (nch < 2)
		return 0;
	for (unsigned k = 0; k <= nch && k < 9; k++) {
		ends[k] = p;
		if (k < nch) {
			person_class_at(t, len, p, &n);
			p += n;
		}
	}
	for (unsigned k = nch < 4 ? nch : 4; k >= 2; k--) {
		size_t e = ends[k];
		bool ok = false;

		if (person_in(t + i, e - i, hira_words, sizeof(hira_words) / sizeof(hira_words[0])))
			continue;
		if (e == run)
			ok = spaced || person_honorific(t, len, e) > 0;
		for (size_t a = 0; !ok && a < sizeof(hira_after) / sizeof(hira_after[0]); a++)
			if (person_starts(t, len, e, hira_after[a]))
				ok = spaced || a < 4;	/* unspaced: an honorific only */
		if (ok)
			return e;
	}
	return 0;
}

/* Kanji that begin a place, an office or a company, not a given name
 * (石川県, 中村区役所, 前田建設, 林業). */
static const char non_given[] =
	"県市区町村郡課部局係室署所駅線橋港園館院校社店業製建工商銀病医科家宅邸組"
	"会党派地方側道府都島湾川山屋株式内外中上下前後先長法協財団庁省様殿氏達等";

static bool person_non_given(const char *t, size_t len, size_t i)
{
	int32_t c;
	size_t n = person_cp(t, len, i, &c);
	char u[8];

	if (n >= sizeof(u))
		return true;
	memcpy(u, t + i, n);
	u[n] = '\0';
	return strstr(non_given, u) != NULL;
}

/* [s, e) stands alone: after the start of a line, a blank, a tab, a
 * list number or a separator, and before a blank followed by a digit,
 * a tab, a separator or the end of the line. */
static bool person_alone(const char *t, size_t len, size_t s, size_t e)
{
	static const char *const after[] = { "\t", "\n", "\r", ",", "、", "|",
		"(", "(", ":", NULL };
	unsigned char b = s > 0 ? (unsigned char)t[s - 1] : '\n';
	bool before_ok = b == '\n' || b == ' ' || b == '\t' || b == ',' ||
			 b == '|' || b == '.';

	if (!before_ok)
		return false;
	if (e == len)
		return true;
	for (size_t k = 0; after[k]; k++)
		if (person_starts(t, len, e, after[k]))
			return true;
	return t[e] == ' ' && e + 1 < len && t[e + 1] >= '0' && t[e + 1] <= '9';
}

/* Katakana as a given name has no long vowel mark and no small kana
 * (ハル, キヨ, トメ); loanwords after a family-name kanji mostly do
 * (森ビル is the exception the word test below must carry). */
static bool person_kana_given(const char *t, size_t s, size_t e)
{
	static const char *const loan[] = { "ー", "ァ", "ィ", "ゥ", "ェ", "ォ",
		"ッ", "ャ", "ュ", "ョ", "ヮ", "ヴ" };

	for (size_t i = s; i < e; i += 3)
		for (size_t k = 0; k < sizeof(loan) / sizeof(loan[0]); k++)
			if (memcmp(t + i, loan[k], 3) == 0)
				return false;
	return true;
}

/* [s, e) is a word of its own in running text: after a line start or
 * a blank, before a blank and a word (not a number: 北エリア 2階), a
 * comma, 、 or the end of the line. */
static bool person_word(const char *t, size_t len, size_t s, size_t e)
{
	unsigned char b = s > 0 ? (unsigned char)t[s - 1] : '\n';

	if (b != '\n' && b != ' ')
		return false;
	if (e == len || t[e] == '\n' || t[e] == '\r' || t[e] == ',' ||
	    person_starts(t, len, e, "、"))
		return true;
	return t[e] == ' ' && e + 1 < len && !(t[e + 1] >= '0' && t[e + 1] <= '9') &&
	       t[e + 1] != '\t';
}

/* A family name of the list at i followed by a given name or an
 * honorific: the name's end, or 0. */
static size_t person_listed(const eng_engine *eng, const char *t, size_t len,
			    size_t i)
{
	size_t ends[PERSON_MAX_SURNAME + 1], p = i, n;
	unsigned nch = 0;

	while (nch < PERSON_MAX_SURNAME && person_class_at(t, len, p, &n) == CH_HAN) {
		p += n;
		ends[++nch] = p;
	}
	for (unsigned k = nch; k >= 1; k--) {
		size_t se = ends[k], q, ge, h;
		unsigned g;
		bool sp;

		if (!person_surname(eng, t + i, se - i))
			continue;
		/* 中村様, 林 さん: the family name and an honorific. */
		if ((h = person_honorific(t, len, se)) > 0)
			return se + h;
		/* A family name of two or more kanji standing alone as an
		 * item of a list or a cell (山田 090-..., 山田\t要介護2). */
		if (k >= 2 && k == nch && person_alone(t, len, i, se))
			return se;
		sp = se < len && t[se] == ' ';
		q = se + sp;
		switch (person_class_at(t, len, q, &n)) {
		case CH_HAN:
			ge = person_han_run(t, len, q, 4, &g);
			if (g >= 1 && g <= 3 && person_honorific(t, len, ge) > 0)
				return ge;	/* 林彩さん, 林 真由美様 */
			if (sp && g >= 1 && g <= 3 && !person_non_given(t, len, q))
				return ge;	/* 林 彩 */
			/* 佐藤太郎: unspaced only after a family name of two
			 * or more kanji, and never a place or a company. */
			if (!sp && k >= 2 && g >= 1 && g <= 2 &&
			    !person_non_given(t, len, q))
				return ge;
			break;
		case CH_HIRA:
			if ((ge = person_hira_given(t, len, q, sp)) > 0)
				return ge;
			break;
		case CH_KATA:
			ge = person_run(t, len, q, CH_KATA, 7, &g);
			if (g >= 2 && g <= 6 && (sp || person_honorific(t, len, ge) > 0))
				return ge;
			/* 泉ハル, 森キヨ: a listed family name and a short
			 * katakana given name written together, standing as
			 * a word of its own (ケース記録 泉ハル 生活保護...). */
			if (!sp && g >= 2 && g <= 3 && person_kana_given(t, q, ge) &&
			    person_word(t, len, i, ge))
				return ge;
			break;
		default:
			break;
		}
	}
	return 0;
}

/* Words with an honorific that name no one in particular. */
static const char *const role_words[] = { "息子", "家族", "祖父", "祖母", "両親",
	"皆様", "各位", "御中", "先方", "貴殿", "貴社", "本人", "相手", "親御",
	"子供", "子ども", "奥", "ママ", "パパ", "スタッフ", "メンバー", "ボランティア",
	"ヘルパー", "ドクター", "ゲスト", "ユーザー", "オーナー", "ファン", "ナース",
	"ケアマネ", "サポーター", "キャラクター", "マスコット", "ユーザ", "オペレーター" };
/* The last kanji of a role (ご担当者様, 職員さん, 区長様, 会社様). */
static const char role_end[] = "者員民方族位人中家側客生師士会社所課部局係室長様殿";

/* Whether the kanji word [i, e) ends in a role's kanji (担当者, 職員). */
static bool person_role_end(const char *t, size_t len, size_t i, size_t e)
{
	size_t n, last = i;
	char u[8];

	for (size_t p = i; p < e; p += n) {
		person_class_at(t, len, p, &n);
		if (n == 0)
			return true;
		last = p;
	}
	if (e - last >= sizeof(u))
		return true;
	memcpy(u, t + last, e - last);
	u[e - last] = '\0';
	return strstr(role_end, u) != NULL;
}

/* After a family name ending at e: one blank, a given name (2-4
 * hiragana, 2-6 katakana, 1-3 kanji) and an honorific: the end of the
 * honorific, or 0. */
static size_t person_full_honored(const char *t, size_t len, size_t e)
{
	size_t q = e + 1, n, ge = 0, h;
	unsigned g;

	if (e >= len || t[e] != ' ')
		return 0;
	switch (person_class_at(t, len, q, &n)) {
	case CH_HIRA:
		ge = person_hira_given(t, len, q, false);
		break;
	case CH_KATA:
		ge = person_run(t, len, q, CH_KATA, 7, &g);
		if (g < 2 || g > 6)
			ge = 0;
		break;
	case CH_HAN:
		ge = person_han_run(t, len, q, 4, &g);
		if (g < 1 || g > 3 || person_non_given(t, len, q))
			ge = 0;
		break;
	default:
		break;
	}
	if (ge == 0 || (h = person_honorific(t, len, ge)) == 0)
		return 0;
	return ge + h;
}

/* Any 2-4 kanji or 2-8 katakana word with an honorific (醍醐様, グエン
 * さん) that is not a role: the end of the word and honorific, or 0. */
static size_t person_honored(const char *t, size_t len, size_t i)
{
	size_t n, e, h, last = i;
	unsigned g;
	ch_class k = person_class_at(t, len, i, &n);

	if (k != CH_HAN && k != CH_KATA)
		return 0;
	e = k == CH_HAN ? person_han_run(t, len, i, 5, &g) :
			  person_run(t, len, i, k, 9, &g);
	if (k == CH_HAN && g >= 1 && g <= 3 && (h = person_full_honored(t, len, e)) > 0) {
		/* 楠 さくら様, 醍醐 真由美さん: a family name the list does
		 * not have, a given name and an honorific: the honorific
		 * after a full name says it is a person. */
		if (!person_role_end(t, len, i, e))
			return h;
	}
	if (g < 2 || g > (k == CH_HAN ? 4u : 8u) || (h = person_honorific(t, len, e)) == 0)
		return 0;
	if (person_in(t + i, e - i, role_words, sizeof(role_words) / sizeof(role_words[0])))
		return 0;
	if (k == CH_HAN) {
		char u[8];

		for (size_t p = i; p < e; p += n) {
			person_class_at(t, len, p, &n);
			last = p;
		}
		if (e - last >= sizeof(u))
			return 0;
		memcpy(u, t + last, e - last);
		u[e - last] = '\0';
		if (strstr(role_end, u))
			return 0;
	}
	return e + h;
}

static bool person_line_has(const char *t, size_t ls, size_t s, const char *w)
{
	size_t n = strlen(w);

	for (size_t i = ls; i + n <= s; i++)
		if (memcmp(t + i, w, n) == 0)
			return true;
	return false;
}

/* Not a data subject: the addressee block at the top of a letter (a
 * name with 様 ending one of its first four lines), an example name
 * (記入例), a mascot. */
static bool person_not_subject(const char *t, size_t len, size_t s, size_t e)
{
	size_t ls = s, lines = 0, le = e;

	while (ls > 0 && t[ls - 1] != '\n' && s - ls < PERSON_LINE_MAX)
		ls--;
	if (person_line_has(t, ls, s, "例") || person_line_has(t, ls, s, "マスコット") ||
	    person_line_has(t, ls, s, "キャラクター"))
		return true;
	/* The honorific may follow the span (山本 一郎 + 様). */
	le += person_honorific(t, len, le);
	if (!(le >= 3 && (memcmp(t + le - 3, "様", 3) == 0 || memcmp(t + le - 3, "殿", 3) == 0)))
		return false;
	while (le < len && (t[le] == ' ' || t[le] == '\r'))
		le++;
	if (le < len && t[le] != '\n')
		return false;
	for (size_t i = 0; i < ls && lines < 5; i++)
		lines += t[i] == '\n';
	return lines < 4;
}

bool eng_pd_person_next(const eng_engine *eng, const char *t, size_t len,
			size_t off, size_t end, size_t *s, size_t *e)
{
	size_t i = off, n;

	if (end > len)
		end = len;
	while (i < end) {
		ch_class k = person_class_at(t, len, i, &n);
		bool start = i == 0 || (k == CH_HAN &&
			person_class_at(t, len, person_prev(t, i), &(size_t){ 0 }) != CH_HAN) ||
			(k == CH_KATA &&
			person_class_at(t, len, person_prev(t, i), &(size_t){ 0 }) != CH_KATA);

		if (start && (k == CH_HAN || k == CH_KATA)) {
			size_t ne = k == CH_HAN ? person_listed(eng, t, len, i) : 0;

			if (ne == 0)
				ne = person_honored(t, len, i);
			if (ne > 0 && !person_not_subject(t, len, i, ne)) {
				*s = i;
				*e = ne;
				return true;
			}
		}
		i += n ? n : 1;
	}
	return false;
}
