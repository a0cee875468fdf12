/*
 * NAME
 *	eng_text - normalise text for matching; HTML to text
 * SYNOPSIS
 *	#include "engine/eng_text.h"
 * DESCRIPTION
 *	Detectors match one normal form, so that "１２３４－５６７８",
 *	"1234ー5678" and "1234-5678" are the same to a rule.
 *
 *	eng_text_normalize() appends to `out` the NFKC form (libutf8proc)
 *	of valid UTF-8 `in`, then folds the dash variants of POLICY.md to
 *	'-': U+2010..U+2015, U+2212, U+FF0D (NFKC already gives '-'), and
 *	U+30FC / U+FF70 when between two digits. Line breaks are kept (CRLF
 *	and CR become LF) so that windows and signature blocks still work.
 *
 *	eng_html_to_text() appends the text of an HTML document (UTF-8):
 *	tags removed; <script>, <style>, <head> and comments dropped with
 *	their content; <br>, <p>, <div>, <li>, <tr>, <h1>..<h6> and block
 *	ends become line breaks, <td>/<th> a tab; character references
 *	decoded (decimal, hex, and the common named ones). Malformed HTML
 *	(unclosed tags, stray '<') never fails: it is read as text; so is
 *	the rest of a comment or <script>/<style> that is never closed, as
 *	hiding it could hide personal data.
 * DIAGNOSTICS
 *	Both return 0, or -1 when out reached its maximum (what fitted
 *	was appended). Invalid UTF-8 (and NUL) given to eng_text_normalize
 *	is replaced by U+FFFD, never a failure.
 */
#ifndef ENG_TEXT_H
#define ENG_TEXT_H

#include <stddef.h>

#include "util/sg_buf.h"

int eng_text_normalize(const char *in, size_t len, sg_buf *out);
int eng_html_to_text(const char *in, size_t len, sg_buf *out);

#endif
