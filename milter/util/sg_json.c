/*
 * NAME
 *	sg_json - write JSON values into an sg_buf (see sg_json.h)
 */
#include "util/sg_json.h"

#include <stdbool.h>
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

/* ------------------------------------------------------------ reader
 *
 * A cursor over the text. Every loop below consumes at least one byte
 * per turn, so each is bounded by the text's length; recursion (arrays
 * and objects) is bounded by SG_JSON_MAX_DEPTH. */

typedef enum {
	JT_NULL, JT_FALSE, JT_TRUE, JT_NUMBER, JT_STRING, JT_ARRAY, JT_OBJECT
} jt;

typedef struct jp {
	const unsigned char *p, *end;
} jp;

static void jp_ws(jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int jp_hex4(jp *j, unsigned long *cp)
{
	*cp = 0;
	if (j->end - j->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned c = *j->p++;
		unsigned v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -1;
		*cp = (*cp << 4) | v;
	}
	return 0;
}

/* \uXXXX after the backslash and 'u': a surrogate pair is joined; a
 * lone surrogate becomes U+FFFD (it has no UTF-8 form). */
static int jp_escape_u(jp *j, sg_buf *out)
{
	unsigned long cp, lo;

	if (jp_hex4(j, &cp) < 0)
		return -1;
	if (cp >= 0xD800 && cp < 0xDC00) {
		const unsigned char *save = j->p;

		if (j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
			j->p += 2;
			if (jp_hex4(j, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000)
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			else {
				/* Not a low half: read again as its own escape. */
				j->p = save;
				cp = 0xFFFD;
			}
		} else
			cp = 0xFFFD;
	} else if (cp >= 0xDC00 && cp < 0xE000)
		cp = 0xFFFD;
	if (out != NULL) {
		if (cp == 0)
			sg_buf_putc(out, 0);
		else
			sg_buf_put_utf8(out, cp);
	}
	return 0;
}

/* A string at j->p (its opening quote); out: the unescaped bytes. */
static int jp_string(jp *j, sg_buf *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";

	j->p++;
	while (j->p < j->end) {
		unsigned c = *j->p++;
		const char *e;

		if (c == '"')
			return 0;
		if (c < 0x20)
			return -1;		/* raw control characters are not JSON */
		if (c != '\\') {
			if (out != NULL)
				sg_buf_putc(out, (int)c);
			continue;
		}
		if (j->p >= j->end)
			return -1;
		c = *j->p++;
		if (c == 'u') {
			if (jp_escape_u(j, out) < 0)
				return -1;
		} else if (c != 0 && (e = strchr(from, (int)c)) != NULL) {
			if (out != NULL)
				sg_buf_putc(out, to[e - from]);
		} else
			return -1;
	}
	return -1;
}

static bool jp_digit(jp *j)
{
	return j->p < j->end && *j->p >= '0' && *j->p <= '9';
}

static int jp_number(jp *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (!jp_digit(j))
		return -1;
	if (*j->p == '0')
		j->p++;				/* no leading zeros */
	else
		while (jp_digit(j))
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!jp_digit(j))
			return -1;
		while (jp_digit(j))
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!jp_digit(j))
			return -1;
		while (jp_digit(j))
			j->p++;
	}
	return 0;
}

static int jp_literal(jp *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return -1;
	j->p += n;
	return 0;
}

static int jp_value(jp *j, unsigned depth, jt *type);

/* The members of an object or elements of an array after its opening
 * bracket, through its closing one. */
static int jp_compound(jp *j, unsigned depth, bool object)
{
	int close = object ? '}' : ']';

	if (depth >= SG_JSON_MAX_DEPTH)
		return -1;
	j->p++;
	jp_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	while (j->p < j->end) {
		if (object) {
			jp_ws(j);
			if (j->p >= j->end || *j->p != '"' || jp_string(j, NULL) < 0)
				return -1;
			jp_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return -1;
			j->p++;
		}
		if (jp_value(j, depth + 1, NULL) < 0)
			return -1;
		jp_ws(j);
		if (j->p >= j->end)
			return -1;
		if (*j->p == close) {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',')
			return -1;
	}
	return -1;
}

static int jp_value(jp *j, unsigned depth, jt *type)
{
	jt t;
	int rc;

	jp_ws(j);
	if (j->p >= j->end)
		return -1;
	switch (*j->p) {
	case '{':
		t = JT_OBJECT;
		rc = jp_compound(j, depth, true);
		break;
	case '[':
		t = JT_ARRAY;
		rc = jp_compound(j, depth, false);
		break;
	case '"':
		t = JT_STRING;
		rc = jp_string(j, NULL);
		break;
	case 't':
		t = JT_TRUE;
		rc = jp_literal(j, "true");
		break;
	case 'f':
		t = JT_FALSE;
		rc = jp_literal(j, "false");
		break;
	case 'n':
		t = JT_NULL;
		rc = jp_literal(j, "null");
		break;
	default:
		t = JT_NUMBER;
		rc = jp_number(j);
		break;
	}
	if (type != NULL)
		*type = t;
	return rc;
}

bool sg_json_valid(const char *text, size_t n)
{
	jp j;

	if (text == NULL || n > SG_JSON_MAX_TEXT)
		return false;
	j.p = (const unsigned char *)text;
	j.end = j.p + n;
	if (jp_value(&j, 0, NULL) < 0)
		return false;
	jp_ws(&j);
	return j.p == j.end;
}

/* The value [start, end) of type t as the reader's callers see it;
 * false for null (no text). The value was validated already. */
static bool jp_render(const unsigned char *start, const unsigned char *end,
		      jt t, sg_buf *out)
{
	bool in_str = false, esc = false;
	jp j;

	sg_buf_reset(out);
	switch (t) {
	case JT_NULL:
		return false;
	case JT_TRUE:
	case JT_FALSE:
		sg_buf_putc(out, t == JT_TRUE ? '1' : '0');
		return true;
	case JT_NUMBER:
		sg_buf_append(out, start, (size_t)(end - start));
		return true;
	case JT_STRING:
		j.p = start;
		j.end = end;
		(void)jp_string(&j, out);
		return true;
	default:
		break;
	}
	/* Arrays and objects: compact, strings copied as written. */
	for (const unsigned char *p = start; p < end; p++) {
		if (in_str) {
			if (esc)
				esc = false;
			else if (*p == '\\')
				esc = true;
			else if (*p == '"')
				in_str = false;
		} else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			continue;
		else
			in_str = *p == '"';
		sg_buf_putc(out, *p);
	}
	return true;
}

/* Fills vals[] from the object at [start, end) (validated). */
static void jp_members(const unsigned char *start, const unsigned char *end,
		       const char *const *keys, size_t nkeys, sg_buf *key,
		       sg_buf *vbuf, bool *seen, const char **vals)
{
	jp j = { start + 1, end };

	while (j.p < j.end) {
		const unsigned char *vs;
		jt t;

		jp_ws(&j);
		if (*j.p == '}')
			return;
		sg_buf_reset(key);
		if (jp_string(&j, key) < 0)
			return;
		jp_ws(&j);
		j.p++;				/* ':' */
		jp_ws(&j);
		vs = j.p;
		if (jp_value(&j, 1, &t) < 0)
			return;
		for (size_t i = 0; i < nkeys; i++) {
			/* The first member of a name counts; a key with a NUL
			 * in it matches no caller's key. */
			if (seen[i] ||
			    key->len != strlen(keys[i]) ||
			    (key->len > 0 && memcmp(key->data, keys[i], key->len) != 0))
				continue;
			seen[i] = true;
			if (jp_render(vs, j.p, t, &vbuf[i]))
				vals[i] = sg_buf_cstr(&vbuf[i]);
		}
		jp_ws(&j);
		if (j.p < j.end && *j.p == ',')
			j.p++;
	}
}

int sg_json_each(const char *json, const char *const *keys, size_t nkeys,
		 size_t max, sg_json_cb cb, void *ctx)
{
	sg_buf vbuf[SG_JSON_MAX_KEYS], ebuf, key;
	const char *vals[SG_JSON_MAX_KEYS];
	bool seen[SG_JSON_MAX_KEYS];
	size_t len;
	int n = 0;
	bool compound;
	jp j;

	if (json == NULL)
		return 0;
	len = strlen(json);
	if (nkeys > SG_JSON_MAX_KEYS || !sg_json_valid(json, len))
		return -1;
	j.p = (const unsigned char *)json;
	j.end = j.p + len;
	jp_ws(&j);
	compound = *j.p == '[' || *j.p == '{';
	for (size_t i = 0; i < nkeys; i++)
		sg_buf_init(&vbuf[i], SG_BUF_UNLIMITED);
	sg_buf_init(&ebuf, SG_BUF_UNLIMITED);
	sg_buf_init(&key, SG_BUF_UNLIMITED);
	if (compound) {
		bool object = *j.p == '{';

		j.p++;
		jp_ws(&j);
		if (*j.p == ']' || *j.p == '}')
			j.p = j.end;		/* empty */
		while (j.p < j.end && (size_t)n < max) {
			const unsigned char *vs;
			jt t;

			if (object) {
				(void)jp_string(&j, NULL);
				jp_ws(&j);
				j.p++;		/* ':' */
			}
			jp_ws(&j);
			vs = j.p;
			(void)jp_value(&j, 1, &t);
			for (size_t i = 0; i < nkeys; i++) {
				vals[i] = NULL;
				seen[i] = false;
			}
			if (t == JT_OBJECT)
				jp_members(vs, j.p, keys, nkeys, &key, vbuf, seen, vals);
			cb(vals, jp_render(vs, j.p, t, &ebuf) ? sg_buf_cstr(&ebuf) : NULL,
			   ctx);
			n++;
			jp_ws(&j);
			if (*j.p != ',')
				break;
			j.p++;
			jp_ws(&j);
		}
	} else if (max > 0) {
		const unsigned char *vs = j.p;
		jt t;

		(void)jp_value(&j, 0, &t);
		for (size_t i = 0; i < nkeys; i++)
			vals[i] = NULL;
		cb(vals, jp_render(vs, j.p, t, &ebuf) ? sg_buf_cstr(&ebuf) : NULL, ctx);
		n = 1;
	}
	for (size_t i = 0; i < nkeys; i++)
		sg_buf_free(&vbuf[i]);
	sg_buf_free(&ebuf);
	sg_buf_free(&key);
	return n;
}
