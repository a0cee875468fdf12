/*
 * NAME
 *	sg_ini - our own small INI reader (see sg_ini.h)
 */
#include "util/sg_ini.h"
#include "util/sg_mem.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sg_ini_error(sg_buf *err, const sg_ini_pos *pos, const char *key,
		  const char *fmt, ...)
{
	va_list ap;

	sg_buf_reset(err);
	sg_buf_printf(err, "%s:%u: ", pos->file, pos->line);
	if (pos->section && *pos->section)
		sg_buf_printf(err, "[%s] ", pos->section);
	if (key && *key)
		sg_buf_printf(err, "%s: ", key);
	va_start(ap, fmt);
	sg_buf_vprintf(err, fmt, ap);
	va_end(ap);
}

static char *sg_ini_trim(char *s, char *end)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

/* For an over-long line we still name the key, when there is one. */
static void sg_ini_long_line(const sg_ini_pos *pos, const char *line,
			     size_t len, sg_buf *err)
{
	const char *eq = memchr(line, '=', len < 256 ? len : 256);
	char key[256] = "";

	if (eq) {
		size_t n = (size_t)(eq - line);
		memcpy(key, line, n);
		key[n] = '\0';
	}
	sg_ini_error(err, pos, sg_ini_trim(key, key + strlen(key)),
		     "line is longer than %d bytes", SG_INI_LINE_MAX);
}

static int sg_ini_line(char *line, size_t len, sg_ini_pos *pos,
		       char *section, sg_ini_cb cb, void *ctx, sg_buf *err)
{
	char *s, *eq, *key, *val;

	if (memchr(line, '\0', len) != NULL) {
		sg_ini_error(err, pos, NULL, "NUL byte in line");
		return -1;
	}
	s = sg_ini_trim(line, line + len);
	if (*s == '\0' || *s == ';' || *s == '#')
		return 0;
	if (*s == '[') {
		char *close = strchr(s, ']');
		if (close == NULL || close[1] != '\0') {
			sg_ini_error(err, pos, NULL,
				     "section header must be \"[name]\"");
			return -1;
		}
		key = sg_ini_trim(s + 1, close);
		if (*key == '\0' || strlen(key) >= SG_INI_LINE_MAX) {
			sg_ini_error(err, pos, NULL, "empty section name");
			return -1;
		}
		strcpy(section, key);
		return cb(ctx, pos, NULL, NULL, err);
	}
	eq = strchr(s, '=');
	if (eq == NULL) {
		sg_ini_error(err, pos, s, "expected \"key = value\"");
		return -1;
	}
	key = sg_ini_trim(s, eq);
	val = sg_ini_trim(eq + 1, eq + 1 + strlen(eq + 1));
	if (*key == '\0') {
		sg_ini_error(err, pos, NULL, "missing key before '='");
		return -1;
	}
	return cb(ctx, pos, key, val, err);
}

int sg_ini_parse_mem(const char *name, const char *text, size_t len,
		     sg_ini_cb cb, void *ctx, sg_buf *err)
{
	char section[SG_INI_LINE_MAX + 1] = "";
	char *line = sg_xmalloc(SG_INI_LINE_MAX + 1);
	sg_ini_pos pos = { name, 0, section };
	size_t off = 0;
	int rc = 0;

	while (off < len && rc == 0) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;

		pos.line++;
		if (n > 0 && text[off + n - 1] == '\r')
			n--;
		if (n > SG_INI_LINE_MAX) {
			sg_ini_long_line(&pos, text + off, n, err);
			rc = -1;
			break;
		}
		memcpy(line, text + off, n);
		line[n] = '\0';
		rc = sg_ini_line(line, n, &pos, section, cb, ctx, err) ? -1 : 0;
		off += (nl ? (size_t)(nl - (text + off)) + 1 : len - off);
	}
	free(line);
	return rc;
}

int sg_ini_parse(const char *path, sg_ini_cb cb, void *ctx, sg_buf *err)
{
	sg_buf data;
	char chunk[8192];
	FILE *fp = fopen(path, "rb");
	size_t n;
	int rc;

	if (fp == NULL) {
		sg_buf_reset(err);
		sg_buf_printf(err, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	/* Configuration and rule files are small; 16 MiB is a typo guard. */
	sg_buf_init(&data, 16u << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (sg_buf_append(&data, chunk, n) < 0)
			break;
	}
	if (ferror(fp) || data.toobig) {
		sg_buf_reset(err);
		sg_buf_printf(err, "%s: %s", path, data.toobig ?
			      "file is larger than 16 MiB" : "read error");
		fclose(fp);
		sg_buf_free(&data);
		return -1;
	}
	fclose(fp);
	rc = sg_ini_parse_mem(path, sg_buf_cstr(&data), data.len, cb, ctx, err);
	sg_buf_free(&data);
	return rc;
}
