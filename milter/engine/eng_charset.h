/*
 * NAME
 *	eng_charset - decode text in the charsets Japanese mail uses to UTF-8
 * SYNOPSIS
 *	#include "engine/eng_charset.h"
 * DESCRIPTION
 *	eng_cs_to_utf8() appends to `out` the UTF-8 form of `len` bytes of
 *	`in`, declared to be in `charset` (a MIME charset name, any case;
 *	NULL or "" means: not declared, guess).
 *
 *	Japanese mail arrives in ISO-2022-JP written by Windows clients
 *	(with the NEC row-13 and IBM extension characters of CP50220, which
 *	glibc's ISO-2022-JP rejects), Shift_JIS that is really CP932,
 *	EUC-JP, UTF-8 and UTF-16. Shift_JIS and its aliases are decoded as
 *	CP932 (glibc's SHIFT_JIS maps 0x817C to U+2212 where Windows means
 *	U+FF0D); ISO-2022-JP's JIS X 0208 pairs are mapped to CP932 codes
 *	and decoded through CP932's table, so ①, ㈱ and IBM kanji come out
 *	right. Other names go to iconv; an unknown name is guessed as for
 *	an undeclared charset.
 *
 *	Guessing (undeclared, unknown, or US-ASCII, the MIME default that
 *	mislabelled Japanese mail carries): a UTF-16 BOM selects UTF-16, a
 *	UTF-8 BOM UTF-8 (the BOM is dropped); else ISO-2022-JP when an
 *	escape sequence is present, UTF-8 when the bytes are valid UTF-8,
 *	else CP932 or EUC-JP by which decodes with fewer errors (on a tie,
 *	the one giving fewer half-width katakana; then CP932). When neither
 *	decodes without errors, a single-byte charset (windows-1252/1250,
 *	windows-1251, KOI8-R, ISO-8859-5/7) whose reading has the shape of
 *	its script is used instead (Russian or French text); Japanese bytes
 *	never have that shape. A declared single-byte charset whose reading
 *	has no script's shape, on bytes that CP932 or EUC-JP read cleanly,
 *	is a lie: the Japanese reading is kept.
 *
 *	A label is a claim: when the declared charset needs replacements,
 *	the bytes are decoded again by guessing and the decoding with fewer
 *	replacements is kept. UTF-16 without a BOM takes the byte order
 *	that reads as more plausible text, little-endian on a tie.
 *
 *	Broken input never fails the call: each undecodable byte becomes
 *	U+FFFD and decoding resumes at the next byte; an unknown
 *	ISO-2022-JP escape is one U+FFFD, and the text after it is read on. The output is always
 *	valid UTF-8 without NUL bytes (NUL becomes U+FFFD too).
 * DIAGNOSTICS
 *	Returns ENG_CS_OK, ENG_CS_REPLACED (some input was replaced by
 *	U+FFFD) or ENG_CS_TOOBIG (out reached its maximum; what fitted was
 *	appended).
 */
#ifndef ENG_CHARSET_H
#define ENG_CHARSET_H

#include <stddef.h>

#include "util/sg_buf.h"

typedef enum {
	ENG_CS_OK = 0,
	ENG_CS_REPLACED = 1,
	ENG_CS_TOOBIG = 2,
} eng_cs_status;

eng_cs_status eng_cs_to_utf8(const char *charset, const void *in, size_t len,
			     sg_buf *out);
/* The same, and *replaced (when not NULL) gets the number of U+FFFD
 * the kept decoding put in for undecodable input. */
eng_cs_status eng_cs_decode(const char *charset, const void *in, size_t len,
			    sg_buf *out, size_t *replaced);

/* True when the bytes are valid UTF-8 (no overlongs, no surrogates). */
int eng_cs_is_utf8(const void *in, size_t len);

/* Canonical name eng_cs_to_utf8 will use for `charset` ("UTF-8",
 * "CP932", "ISO-2022-JP", "EUC-JP", "UTF-16", "UTF-16LE", "UTF-16BE",
 * another iconv name, or NULL when it will guess). For logs and tests.
 * An other iconv name lives in a per-thread buffer that the thread's
 * next call overwrites. */
const char *eng_cs_canonical(const char *charset);

#endif
