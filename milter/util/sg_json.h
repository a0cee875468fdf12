/*
 * NAME
 *	sg_json - write JSON values into an sg_buf, and read arrays back
 * DESCRIPTION
 *	Strings are written as UTF-8 with the characters JSON requires
 *	escaped; bytes that are not valid UTF-8 become U+FFFD, so the
 *	output is always valid JSON whatever a message contained.
 *
 *	The reader (sg_json_each) is a small strict RFC 8259 parser of our
 *	own: the store's backends, the release layer and the web page read
 *	the JSON the store keeps through it, so no layer needs a database
 *	to read JSON (the SQLite store once lent its JSON functions to the
 *	release layer; a PostgreSQL store cannot). Nesting deeper than
 *	SG_JSON_MAX_DEPTH, or text longer than SG_JSON_MAX_TEXT, is
 *	refused as invalid: every loop is bounded by the text's length
 *	and the recursion by the depth.
 */
#ifndef SG_JSON_H
#define SG_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "util/sg_buf.h"

void sg_json_str(sg_buf *out, const char *s);	/* NULL -> null */
void sg_json_strn(sg_buf *out, const char *s, size_t n);
void sg_json_key(sg_buf *out, const char *key);	/* "key": */

#define SG_JSON_MAX_DEPTH 256
#define SG_JSON_MAX_TEXT (256u * 1024 * 1024)
#define SG_JSON_MAX_KEYS 16

/* Whether text[0..n) is one valid JSON value (whitespace around it
 * allowed). */
bool sg_json_valid(const char *text, size_t n);

/* Calls cb once per element of the JSON array `json` (a top-level
 * object: once per member value; a scalar: once) with, for each of
 * keys[0..nkeys), the element's member of that name (the first one
 * when repeated) as text: strings unescaped, numbers as written,
 * true/false as "1"/"0", arrays and objects as compact JSON, NULL when
 * absent, null, or the element is no object; and the element itself
 * (a string unescaped, an array or object as compact JSON, null as
 * NULL). At most max elements. Returns how many were visited, 0 for
 * json NULL, -1 when json is not valid JSON or nkeys passes
 * SG_JSON_MAX_KEYS. An escaped NUL (\u0000) ends the C string there. */
typedef void (*sg_json_cb)(const char *const *vals, const char *elem,
			   void *ctx);
int sg_json_each(const char *json, const char *const *keys, size_t nkeys,
		 size_t max, sg_json_cb cb, void *ctx);

#endif
