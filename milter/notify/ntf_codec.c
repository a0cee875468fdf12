/*
 * NAME
 *	ntf_codec - base64, base64url and constant-time comparison
 * SYNOPSIS
 *	#include "notify/ntf.h"
 * DESCRIPTION
 *	Our own small codec rather than nettle's: nettle's decoder insists
 *	on padding, and tokens and MACs are unpadded base64url
 *	(ARCHITECTURE.md). ntf_b64url_decode() is strict (one encoding per
 *	value, so a token cannot be varied without changing its bytes);
 *	ntf_b64_decode_lenient() is for key files written by people.
 * DIAGNOSTICS
 *	Decoders return 0, or -1 for malformed input (out then holds a
 *	prefix of no meaning).
 */
#include "notify/ntf.h"

#include <nettle/memops.h>
#include <string.h>

static const char ntf_b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char ntf_b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Encodes one group of up to three bytes; n < 3 gives n + 1 characters. */
static void ntf_b64_group(const unsigned char *p, size_t n, const char *alpha,
			  char out[4], size_t *nout)
{
	unsigned long v = (unsigned long)p[0] << 16;

	if (n > 1)
		v |= (unsigned long)p[1] << 8;
	if (n > 2)
		v |= p[2];
	out[0] = alpha[(v >> 18) & 63];
	out[1] = alpha[(v >> 12) & 63];
	out[2] = alpha[(v >> 6) & 63];
	out[3] = alpha[v & 63];
	*nout = n + 1;
}

void ntf_b64url_encode(const void *data, size_t len, sg_buf *out)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i += 3) {
		char g[4];
		size_t n;

		ntf_b64_group(p + i, len - i < 3 ? len - i : 3, ntf_b64_url, g, &n);
		sg_buf_append(out, g, n);
	}
}

void ntf_b64_encode(const void *data, size_t len, size_t line_len, sg_buf *out)
{
	const unsigned char *p = data;
	size_t col = 0;

	for (size_t i = 0; i < len; i += 3) {
		char g[4];
		size_t n;

		ntf_b64_group(p + i, len - i < 3 ? len - i : 3, ntf_b64_std, g, &n);
		for (; n < 4; n++)
			g[n] = '=';
		if (line_len && col + 4 > line_len) {
			sg_buf_putc(out, '\n');
			col = 0;
		}
		sg_buf_append(out, g, 4);
		col += 4;
	}
	if (line_len && col)
		sg_buf_putc(out, '\n');
}

/* Value of a base64 character in either alphabet, or -1. */
static int ntf_b64_value(unsigned char c, bool url_only)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '_')
		return c == '-' ? 62 : 63;
	if (!url_only && (c == '+' || c == '/'))
		return c == '+' ? 62 : 63;
	return -1;
}

/* Decodes the characters of s accepted by `skip`-free rules; shared by
 * both decoders. strict: url alphabet only, no '=', no white space,
 * the unused low bits of the last character must be zero. */
static int ntf_b64_decode(const char *s, size_t len, bool strict, sg_buf *out)
{
	unsigned long acc = 0;
	unsigned bits = 0;
	size_t pad = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int v;

		if (!strict && (c == ' ' || c == '\t' || c == '\r' || c == '\n'))
			continue;
		if (!strict && c == '=') {
			pad++;
			continue;
		}
		if (pad)
			return -1;	/* data after padding */
		if ((v = ntf_b64_value(c, strict)) < 0)
			return -1;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			sg_buf_putc(out, (int)((acc >> bits) & 0xff));
		}
	}
	/* 6 leftover bits cannot come from any byte string. */
	if (bits >= 6 || pad > 2)
		return -1;
	if (strict && (acc & ((1UL << bits) - 1)) != 0)
		return -1;
	return 0;
}

int ntf_b64url_decode(const char *s, size_t len, sg_buf *out)
{
	return ntf_b64_decode(s, len, true, out);
}

int ntf_b64_decode_lenient(const char *s, size_t len, sg_buf *out)
{
	return ntf_b64_decode(s, len, false, out);
}

bool ntf_mem_eq(const void *a, const void *b, size_t n)
{
	/* nettle's memeql_sec takes time independent of where they differ:
	 * a MAC compared with memcmp leaks its prefix to a timing attacker. */
	return memeql_sec(a, b, n) != 0;
}
