/*
 * NAME
 *	sg_json - write JSON values into an sg_buf
 * DESCRIPTION
 *	Strings are written as UTF-8 with the characters JSON requires
 *	escaped; bytes that are not valid UTF-8 become U+FFFD, so the
 *	output is always valid JSON whatever a message contained.
 */
#ifndef SG_JSON_H
#define SG_JSON_H

#include <stddef.h>

#include "util/sg_buf.h"

void sg_json_str(sg_buf *out, const char *s);	/* NULL -> null */
void sg_json_strn(sg_buf *out, const char *s, size_t n);
void sg_json_key(sg_buf *out, const char *key);	/* "key": */

#endif
