/*
 * NAME
 *	eng_hdr - decode header values, MIME parameters and file names
 * SYNOPSIS
 *	#include "engine/eng_hdr.h"
 * DESCRIPTION
 *	Works on raw (still folded, still encoded) header values as they
 *	are in the message, so that every charset goes through eng_charset
 *	(GMime's own decoding uses glibc iconv, which rejects the NEC
 *	characters Outlook writes in ISO-2022-JP).
 *
 *	eng_hdr_decode() unfolds a raw unstructured value (Subject, display
 *	names) and decodes RFC 2047 encoded words to UTF-8. Adjacent encoded
 *	words in the same charset are joined as bytes before the charset is
 *	decoded (clients split a multi-byte character or an ISO-2022-JP
 *	escape sequence across words); whitespace between encoded words is
 *	dropped as RFC 2047 says. Encoded words are also accepted where
 *	RFC 2047 forbids them but clients put them: inside quoted strings and
 *	glued to other text. Raw 8-bit bytes are taken as UTF-8 when valid,
 *	else guessed (CP932, EUC-JP). Q and B encodings, any case, with an
 *	RFC 2231 language suffix (=?ISO-2022-JP*ja?B?...?=). A malformed
 *	encoded word is kept as literal text.
 *
 *	eng_hdr_param() finds parameter `name` (case-insensitive) in a raw
 *	Content-Type or Content-Disposition value and decodes it to UTF-8:
 *	plain (token or quoted string), RFC 2231 extended (name*=cs'lang'%XX),
 *	RFC 2231 continuations (name*0, name*1*, ... in any order, joined as
 *	bytes before decoding), and encoded words inside the value (Outlook's
 *	name="=?ISO-2022-JP?B?...?="), also split across continuations.
 *	Returns 1 and appends the value when found, 0 when absent.
 *
 *	eng_hdr_value_token() appends the first token of a raw structured
 *	value (the "text/plain" of a Content-Type, the "attachment" of a
 *	Content-Disposition), lower-cased, comments and whitespace skipped.
 *
 *	All loops are bounded by the input length; no call fails on any
 *	input. Output is valid UTF-8 with control characters (other than
 *	tab) replaced by a space; NUL never appears.
 * DIAGNOSTICS
 *	eng_hdr_decode and eng_hdr_value_token return 0, or -1 when out
 *	reached its maximum (what fitted was appended, cut at a character
 *	boundary). eng_hdr_param returns 1 also when the value was cut.
 *	Inside a decoded charset, a NUL byte becomes U+FFFD (eng_charset).
 */
#ifndef ENG_HDR_H
#define ENG_HDR_H

#include <stddef.h>

#include "util/sg_buf.h"

int eng_hdr_decode(const char *raw, size_t len, sg_buf *out);
int eng_hdr_param(const char *raw, size_t len, const char *name, sg_buf *out);
int eng_hdr_value_token(const char *raw, size_t len, sg_buf *out);

#endif
