/*
 * NAME
 *	eng_pd_rules - load rules/personal-data
 * DESCRIPTION
 *	INI-style, one [detector-id] section a detector; the keys are
 *	documented at the top of the shipped rules/personal-data, which is
 *	what administrators read. Patterns are compiled once (UTF, UCP,
 *	caseless; JIT when available). Keywords become one alternation
 *	with the keyword_pattern, so that the scan runs one regex per
 *	detector for them. ASCII keywords match whole words only: "DOB"
 *	must not fire on "Adobe".
 *
 *	Every mistake stops the start-up with the file, line and rule: a
 *	detector that silently does not load is a hole nobody sees.
 */
#include "engine/eng_pd.h"
#include "util/sg_ini.h"
#include "util/sg_mem.h"

#include <stdlib.h>
#include <string.h>

/* Sanity bounds on what a rule may ask for. */
#define ENG_PD_MAX_WINDOW 10000
#define ENG_PD_MAX_MIN_COUNT 1000000
#define ENG_PD_MAX_RULES 1000
#define ENG_PD_MAX_KEYWORDS 1000

typedef struct pd_loader {
	eng_engine *eng;
	eng_pd_rule *cur;
	const char *path;
} pd_loader;

int eng_pd_conf_parse(const char *s)
{
	if (strcmp(s, "low") == 0)
		return ENG_CONF_LOW;
	if (strcmp(s, "medium") == 0)
		return ENG_CONF_MEDIUM;
	if (strcmp(s, "high") == 0)
		return ENG_CONF_HIGH;
	return -1;
}

static pcre2_code *eng_pd_compile(const char *src, sg_buf *emsg)
{
	int ec;
	PCRE2_SIZE off;
	char msg[256];
	pcre2_code *re;

	re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
			   PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &ec, &off, NULL);
	if (re == NULL) {
		pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof(msg));
		sg_buf_printf(emsg, "bad pattern at offset %zu: %s", (size_t)off, msg);
		return NULL;
	}
	/* JIT is an optimisation: without it the interpreter still works.
	 * `make valgrind` builds without it: memcheck cannot follow the
	 * generated code and reports its reads as uninitialised. */
#ifndef SG_NO_PCRE2_JIT
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
#endif
	return re;
}

static int eng_pd_regex_key(pcre2_code **slot, const sg_ini_pos *pos,
			    const char *key, const char *value, sg_buf *err)
{
	sg_buf emsg;

	if (*slot) {
		sg_ini_error(err, pos, key, "given twice (join alternatives with |)");
		return -1;
	}
	sg_buf_init(&emsg, 512);
	*slot = eng_pd_compile(value, &emsg);
	if (*slot == NULL)
		sg_ini_error(err, pos, key, "%s", sg_buf_cstr(&emsg));
	sg_buf_free(&emsg);
	return *slot ? 0 : -1;
}

/* Splits a comma list, trimmed; empty items are a mistake. */
static int eng_pd_keywords(eng_pd_rule *r, const sg_ini_pos *pos,
			   const char *value, sg_buf *err)
{
	const char *p = value;

	while (*p) {
		const char *e = strchr(p, ','), *s = p, *t;

		if (e == NULL)
			e = p + strlen(p);
		t = e;
		while (s < t && (*s == ' ' || *s == '\t'))
			s++;
		while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if (t == s || r->nkeywords >= ENG_PD_MAX_KEYWORDS) {
			sg_ini_error(err, pos, "keywords", "empty item or too many");
			return -1;
		}
		r->keywords = sg_xreallocarray(r->keywords, r->nkeywords + 1,
					       sizeof(char *));
		r->keywords[r->nkeywords++] = sg_xstrndup(s, (size_t)(t - s));
		p = *e ? e + 1 : e;
	}
	return 0;
}

/* columns = A, B: two headings, each a non-empty item. */
static int eng_pd_columns(eng_pd_rule *r, const sg_ini_pos *pos,
			  const char *value, sg_buf *err)
{
	const char *c = strchr(value, ','), *a = value, *ae, *b, *be;

	ae = c ? c : value;
	b = c ? c + 1 : value;
	be = b + strlen(b);
	while (a < ae && (*a == ' ' || *a == '\t'))
		a++;
	while (ae > a && (ae[-1] == ' ' || ae[-1] == '\t'))
		ae--;
	while (b < be && (*b == ' ' || *b == '\t'))
		b++;
	while (be > b && (be[-1] == ' ' || be[-1] == '\t'))
		be--;
	if (c == NULL || strchr(b, ',') || a == ae || b == be) {
		sg_ini_error(err, pos, "columns", "expected two headings: A, B");
		return -1;
	}
	free(r->columns[0]);
	free(r->columns[1]);
	r->columns[0] = sg_xstrndup(a, (size_t)(ae - a));
	r->columns[1] = sg_xstrndup(b, (size_t)(be - b));
	return 0;
}

static int eng_pd_number(unsigned long *slot, const sg_ini_pos *pos,
			 const char *key, const char *value, unsigned long min,
			 unsigned long max, sg_buf *err)
{
	char *end;
	unsigned long v;

	if (*value < '0' || *value > '9') {
		sg_ini_error(err, pos, key, "expected a number");
		return -1;
	}
	v = strtoul(value, &end, 10);
	if (*end != '\0' || v < min || v > max) {
		sg_ini_error(err, pos, key, "expected a number from %lu to %lu",
			     min, max);
		return -1;
	}
	*slot = v;
	return 0;
}

/* key = one of names[]: its index, or -1 with the error written. */
static int eng_pd_choice(const char *const *names, int n, const sg_ini_pos *pos,
			 const char *key, const char *value, sg_buf *err)
{
	sg_buf list;

	for (int i = 0; i < n; i++)
		if (strcmp(value, names[i]) == 0)
			return i;
	sg_buf_init(&list, 512);
	for (int i = 0; i < n; i++)
		sg_buf_printf(&list, "%s%s", i ? "|" : "", names[i]);
	sg_ini_error(err, pos, key, "expected %s", sg_buf_cstr(&list));
	sg_buf_free(&list);
	return -1;
}

static int eng_pd_enum_key(eng_pd_rule *r, const sg_ini_pos *pos,
			   const char *key, const char *value, sg_buf *err)
{
	static const char *const kinds[] = { "validated", "keyword", "roster", "table" };
	static const char *const vals[] = { "none", "mynumber", "luhn", "card" };
	static const char *const masks[] = { "none", "mynumber", "card", "last2",
					     "last4", "date", "address" };
	int i;

	if (strcmp(key, "kind") == 0) {
		i = eng_pd_choice(kinds, 4, pos, key, value, err);
		r->kind = i;
	} else if (strcmp(key, "validator") == 0) {
		i = eng_pd_choice(vals, 4, pos, key, value, err);
		r->validator = (eng_pd_validator)(i < 0 ? 0 : i);
	} else {
		i = eng_pd_choice(masks, 7, pos, key, value, err);
		r->mask = (eng_pd_mask)(i < 0 ? 0 : i);
	}
	return i < 0 ? -1 : 0;
}

static int eng_pd_string_key(eng_pd_rule *r, const char *key, const char *value)
{
	char **slot = NULL;

	if (strcmp(key, "label_ja") == 0)
		slot = &r->label_ja;
	else if (strcmp(key, "label_en") == 0)
		slot = &r->label_en;
	if (slot == NULL)
		return -1;
	free(*slot);
	*slot = sg_xstrdup(value);
	return 0;
}

static int eng_pd_key(pd_loader *ld, const sg_ini_pos *pos, const char *key,
		      const char *value, sg_buf *err)
{
	eng_pd_rule *r = ld->cur;

	if (r == NULL) {
		sg_ini_error(err, pos, key, "key outside a [rule] section");
		return -1;
	}
	if (eng_pd_string_key(r, key, value) == 0)
		return 0;
	if (!strcmp(key, "kind") || !strcmp(key, "validator") || !strcmp(key, "mask"))
		return eng_pd_enum_key(r, pos, key, value, err);
	if (strcmp(key, "pattern") == 0)
		return eng_pd_regex_key(&r->re, pos, key, value, err);
	if (strcmp(key, "not_after") == 0)
		return eng_pd_regex_key(&r->not_after, pos, key, value, err);
	if (strcmp(key, "exclude") == 0)
		return eng_pd_regex_key(&r->exclude, pos, key, value, err);
	if (strcmp(key, "person_pattern") == 0)
		return eng_pd_regex_key(&r->person_re, pos, key, value, err);
	if (strcmp(key, "not_in_line") == 0)
		return eng_pd_regex_key(&r->not_in_line, pos, key, value, err);
	if (strcmp(key, "not_before") == 0)
		return eng_pd_regex_key(&r->not_before, pos, key, value, err);
	if (strcmp(key, "person_window") == 0)
		return eng_pd_number(&r->person_window, pos, key, value, 1,
				     ENG_PD_MAX_WINDOW, err);
	if (strcmp(key, "keyword_pattern") == 0) {
		/* Compiled alone first, so that a mistake names its line. */
		pcre2_code *probe = NULL;
		if (r->kw_pattern || eng_pd_regex_key(&probe, pos, key, value, err) < 0) {
			if (r->kw_pattern)
				sg_ini_error(err, pos, key, "given twice");
			return -1;
		}
		pcre2_code_free(probe);
		r->kw_pattern = sg_xstrdup(value);
		return 0;
	}
	if (strcmp(key, "keywords") == 0)
		return eng_pd_keywords(r, pos, value, err);
	if (strcmp(key, "columns") == 0)
		return eng_pd_columns(r, pos, value, err);
	if (strcmp(key, "window") == 0)
		return eng_pd_number(&r->window, pos, key, value, 1, ENG_PD_MAX_WINDOW, err);
	if (strcmp(key, "min_count") == 0)
		return eng_pd_number(&r->min_count, pos, key, value, 1,
				     ENG_PD_MAX_MIN_COUNT, err);
	sg_ini_error(err, pos, key, "unknown key");
	return -1;
}

static bool eng_pd_ascii_word(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* Keywords as one alternation: literal text, ASCII ones as words. */
static void eng_pd_kw_source(const eng_pd_rule *r, sg_buf *src)
{
	for (size_t i = 0; i < r->nkeywords; i++) {
		const char *k = r->keywords[i];
		bool word = eng_pd_ascii_word(k);

		sg_buf_puts(src, src->len ? "|" : "");
		sg_buf_puts(src, word ? "(?<![A-Za-z0-9])" : "");
		for (; *k; k++) {
			if (strchr("\\^$.|?*+()[]{}#/-", *k))
				sg_buf_putc(src, '\\');
			if (*k == ' ')
				sg_buf_puts(src, "\\s+");
			else
				sg_buf_putc(src, *k);
		}
		sg_buf_puts(src, word ? "(?![A-Za-z0-9])" : "");
	}
	if (r->kw_pattern)
		sg_buf_printf(src, "%s(?:%s)", src->len ? "|" : "", r->kw_pattern);
}

static const char *eng_pd_check(const eng_pd_rule *r)
{
	if (r->label_ja == NULL || r->label_en == NULL || r->kind < 0)
		return "rule needs label_ja, label_en and kind";
	if (r->kind != ENG_PD_TABLE && r->re == NULL)
		return "rule needs a pattern";
	if (r->kind == ENG_PD_TABLE && r->nkeywords == 0)
		return "a table rule needs keywords (the personal-field headers)";
	if (r->kind == ENG_PD_VALIDATED && r->validator == ENG_PD_VAL_NONE)
		return "a validated rule needs a validator";
	if (r->kind == ENG_PD_KEYWORD && r->nkeywords == 0 && r->kw_pattern == NULL &&
	    r->person_window == 0)
		return "a keyword rule needs keywords, keyword_pattern or person_window";
	if (r->person_re && r->person_window == 0)
		return "person_pattern needs person_window";
	if (r->columns[0] && r->kind != ENG_PD_KEYWORD && r->kind != ENG_PD_VALIDATED)
		return "columns is for validated and keyword rules";
	return NULL;
}

static int eng_pd_finish(pd_loader *ld, sg_buf *err)
{
	eng_pd_rule *r = ld->cur;
	const char *why;
	sg_buf src, emsg;

	if (r == NULL)
		return 0;
	ld->cur = NULL;
	why = eng_pd_check(r);
	sg_buf_init(&src, SG_BUF_UNLIMITED);
	sg_buf_init(&emsg, 512);
	eng_pd_kw_source(r, &src);
	if (why == NULL && src.len && r->kind != ENG_PD_TABLE) {
		r->kw_re = eng_pd_compile(sg_buf_cstr(&src), &emsg);
		why = r->kw_re ? NULL : sg_buf_cstr(&emsg);
	}
	if (why) {
		sg_buf_reset(err);
		sg_buf_printf(err, "%s:%u: [%s]: %s", ld->path, r->line, r->id, why);
	}
	sg_buf_free(&src);
	sg_buf_free(&emsg);
	return why ? -1 : 0;
}

static int eng_pd_cb(void *vld, const sg_ini_pos *pos, const char *key,
		     const char *value, sg_buf *err)
{
	pd_loader *ld = vld;
	eng_engine *eng = ld->eng;
	eng_pd_rule *r;

	if (key != NULL)
		return eng_pd_key(ld, pos, key, value, err);
	if (eng_pd_finish(ld, err) < 0)
		return -1;
	if (eng_rule_id_problem(pos->section)) {
		sg_ini_error(err, pos, NULL, "%s",
			     eng_rule_id_problem(pos->section));
		return -1;
	}
	for (size_t i = 0; i < eng->npd; i++)
		if (strcmp(eng->pd[i].id, pos->section) == 0) {
			sg_ini_error(err, pos, NULL, "rule [%s] defined twice",
				     pos->section);
			return -1;
		}
	if (eng->npd >= ENG_PD_MAX_RULES) {
		sg_ini_error(err, pos, NULL, "too many rules");
		return -1;
	}
	eng->pd = sg_xreallocarray(eng->pd, eng->npd + 1, sizeof(eng_pd_rule));
	r = ld->cur = &eng->pd[eng->npd++];
	memset(r, 0, sizeof(*r));
	r->id = sg_xstrdup(pos->section);
	r->kind = -1;
	r->window = 300;	/* POLICY.md's default */
	r->line = pos->line;
	return 0;
}

int eng_pd_load(eng_engine *eng, const char *path, sg_buf *err)
{
	pd_loader ld = { eng, NULL, path };

	if (sg_ini_parse(path, eng_pd_cb, &ld, err) < 0)
		return -1;
	return eng_pd_finish(&ld, err);
}

void eng_pd_free(eng_engine *eng)
{
	for (size_t i = 0; i < eng->npd; i++) {
		eng_pd_rule *r = &eng->pd[i];

		free(r->id);
		free(r->label_ja);
		free(r->label_en);
		pcre2_code_free(r->re);
		pcre2_code_free(r->kw_re);
		pcre2_code_free(r->not_after);
		pcre2_code_free(r->exclude);
		pcre2_code_free(r->person_re);
		pcre2_code_free(r->not_in_line);
		pcre2_code_free(r->not_before);
		for (size_t k = 0; k < r->nkeywords; k++)
			free(r->keywords[k]);
		free(r->keywords);
		free(r->kw_pattern);
		free(r->columns[0]);
		free(r->columns[1]);
	}
	free(eng->pd);
	eng->pd = NULL;
	eng->npd = 0;
}
