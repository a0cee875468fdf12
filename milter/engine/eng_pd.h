/*
 * NAME
 *	eng_pd - personal-data detectors (rules/personal-data)
 * SYNOPSIS
 *	#include "engine/eng_pd.h"
 * DESCRIPTION
 *	eng_pd_load() reads the rule file into the engine: one detector a
 *	section, patterns compiled once (JIT when available). The file's
 *	own header comment is the reference of its keys.
 *
 *	eng_pd_scan() runs every detector over one piece of NFKC text (a
 *	body, the Subject, an attachment's extracted text) and adds one
 *	personal-data finding per detector and place whose confidence
 *	reaches [personal_data] min_confidence. The confidence model is
 *	POLICY.md's: high = a validated instance with a keyword in the
 *	window; medium = two or more validated instances, a keyword
 *	detector with its keyword, a roster or a personal-field table;
 *	low = one validated instance alone. In a body ("body", "x.eml/body")
 *	the sender's signature block is not read.
 *
 *	Evidence is always masked: no full number, date or address leaves
 *	this module. The scan never runs unbounded: matches per detector
 *	are capped and every match runs under PCRE2 match and depth limits
 *	(a pathological text ends as a scan-limit finding, not a hang).
 *
 *	The validators and the signature finder are exported for the unit
 *	tests.
 * DIAGNOSTICS
 *	eng_pd_load() returns 0, or -1 with err "FILE:LINE: [rule] key:
 *	what is wrong".
 */
#ifndef ENG_PD_H
#define ENG_PD_H

#include "engine/eng_int.h"

/* Confidence levels, ordered; ENG_CONF_NONE means nothing found. */
enum {
	ENG_CONF_NONE = 0,
	ENG_CONF_LOW,
	ENG_CONF_MEDIUM,
	ENG_CONF_HIGH
};

typedef enum {
	ENG_PD_VALIDATED,	/* pattern + validator, keywords raise confidence */
	ENG_PD_KEYWORD,		/* pattern counted only with a keyword nearby */
	ENG_PD_ROSTER,		/* min_count distinct matches */
	ENG_PD_TABLE		/* header row of personal fields, data rows */
} eng_pd_kind;

typedef enum {
	ENG_PD_VAL_NONE,
	ENG_PD_VAL_MYNUMBER,
	ENG_PD_VAL_LUHN,
	ENG_PD_VAL_CARD
} eng_pd_validator;

typedef enum {
	ENG_PD_MASK_NONE,	/* a word that is not data (生活保護) */
	ENG_PD_MASK_MYNUMBER,	/* 1234 **** **12 */
	ENG_PD_MASK_CARD,	/* **** **** **** 1234 */
	ENG_PD_MASK_LAST2,	/* digits but the last two */
	ENG_PD_MASK_LAST4,
	ENG_PD_MASK_DATE,	/* 昭和**年**月**日 */
	ENG_PD_MASK_ADDRESS	/* a***@example.jp */
} eng_pd_mask;

struct eng_pd_rule {
	char *id;
	char *label_ja;
	char *label_en;
	unsigned line;		/* of the section header, for errors */
	int kind;		/* eng_pd_kind, -1 until set */
	eng_pd_validator validator;
	eng_pd_mask mask;
	pcre2_code *re;		/* pattern */
	pcre2_code *kw_re;	/* keywords and keyword_pattern, joined */
	pcre2_code *not_after;
	pcre2_code *exclude;
	char **keywords;	/* plain keywords (table headers) */
	size_t nkeywords;
	char *kw_pattern;	/* keyword_pattern source, joined at the end */
	unsigned long window;	/* characters */
	unsigned long min_count;/* 0: the kind's default */
	unsigned long person_window;	/* 0: no person needed */
	pcre2_code *person_re;	/* person_pattern: a person too (氏名 X) */
	pcre2_code *not_in_line;	/* a line that names a place, a notice */
	pcre2_code *not_before;	/* a date that opens a range (から) */
	char *columns[2];	/* columns: headings whose values, "A-B", are one */
};

/* "low", "medium" or "high" to a level; -1 for anything else. */
int eng_pd_conf_parse(const char *s);

int eng_pd_load(eng_engine *eng, const char *path, sg_buf *err);
void eng_pd_free(eng_engine *eng);

void eng_pd_scan(eng_ctx *ctx, const char *text, size_t len, const char *where);

/* Validators on a string of ASCII digits of length n. */
bool eng_pd_mynumber_ok(const char *digits, size_t n);
bool eng_pd_luhn_ok(const char *digits, size_t n);
bool eng_pd_card_ok(const char *digits, size_t n);

/* Offset where the signature block of a mail body starts (len when
 * there is none). */
size_t eng_pd_signature_start(const char *text, size_t len);

#endif
