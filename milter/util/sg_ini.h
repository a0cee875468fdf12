/*
 * NAME
 *	sg_ini - our own small INI reader
 * SYNOPSIS
 *	#include "util/sg_ini.h"
 * DESCRIPTION
 *	Reads `[section]` and `key = value` lines and hands each to a
 *	callback with its line number. Comments start with ';' or '#' as
 *	the first non-blank character of a line; elsewhere those characters
 *	are part of the value (a value may hold '#'). Keys and values are
 *	trimmed. Lines are at most SG_INI_LINE_MAX bytes.
 *
 *	Debian's libinih (r55) cuts values at about 180 bytes without an
 *	error and reports errors on the wrong line; a 12-domain
 *	internal_domains line must not be silently cut, hence this reader.
 *	It is used for sendguard.conf and for the rule files.
 * DIAGNOSTICS
 *	sg_ini_parse() returns 0, or -1 with `err` set to
 *	"FILE:LINE: [section] key: what is wrong". A callback that returns
 *	non-zero stops the parse; it writes its own message to err (see
 *	sg_ini_error).
 */
#ifndef SG_INI_H
#define SG_INI_H

#include <stddef.h>

#include "util/sg_buf.h"

#define SG_INI_LINE_MAX 4096

typedef struct sg_ini_pos {
	const char *file;
	unsigned line;
	const char *section;	/* "" before the first section header */
} sg_ini_pos;

/* key == NULL: a section header was read (pos->section is the new one). */
typedef int (*sg_ini_cb)(void *ctx, const sg_ini_pos *pos, const char *key,
			 const char *value, sg_buf *err);

int sg_ini_parse(const char *path, sg_ini_cb cb, void *ctx, sg_buf *err);
int sg_ini_parse_mem(const char *name, const char *text, size_t len,
		     sg_ini_cb cb, void *ctx, sg_buf *err);
/* Writes "FILE:LINE: [section] key: message" into err. */
void sg_ini_error(sg_buf *err, const sg_ini_pos *pos, const char *key,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
