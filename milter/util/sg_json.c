/*
 * NAME
 *	sg_json - write JSON values into an sg_buf (see sg_json.h)
 */
#include "util/sg_json.h"

#include <string.h>

void sg_json_strn(sg_buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	sg_buf_putc(out, '"');
	while (i < n) {
		unsigned c = p[i];
		size_t len;

		if (c == '"' || c == '\\') {
			sg_buf_putc(out, '\\');
			sg_buf_putc(out, (int)c);
			i++;
		} else if (c < 0x20 || c == 0x7F) {
			static const char esc[] = "btn\0fr";
			if (c >= 8 && c <= 13 && c != 11 && esc[c - 8])
				sg_buf_printf(out, "\\%c", esc[c - 8]);
			else
				sg_buf_printf(out, "\\u%04x", c);
			i++;
		} else if ((len = sg_utf8_len(p + i, n - i)) == 0) {
			sg_buf_puts(out, "\xEF\xBF\xBD");
			i++;
		} else {
			sg_buf_append(out, p + i, len);
			i += len;
		}
	}
	sg_buf_putc(out, '"');
}

void sg_json_str(sg_buf *out, const char *s)
{
	if (s == NULL)
		sg_buf_puts(out, "null");
	else
		sg_json_strn(out, s, strlen(s));
}

void sg_json_key(sg_buf *out, const char *key)
{
	sg_json_str(out, key);
	sg_buf_putc(out, ':');
}
