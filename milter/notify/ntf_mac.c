/*
 * NAME
 *	ntf_mac - sign and verify the X-Sendguard-Notice header
 * SYNOPSIS
 *	#include "notify/ntf.h"
 * DESCRIPTION
 *	The milter lets its own notices through when this header verifies,
 *	so the MAC must cover everything that makes one mail another: the
 *	body (hashed in canonical form), the envelope recipients and the
 *	Date, plus a fresh nonce the milter remembers (a whole notice
 *	resent is a replay). The canonical string is described in ntf.h.
 *
 *	Canonical forms absorb only what the mail system itself changes:
 *	LF becomes CRLF on the way into Postfix and the milter, trailing
 *	blank lines may be added or lost, envelope recipients come as
 *	"<a@B>" from libmilter and as a@b on the sendmail command line.
 *	Nothing else is normalised.
 * DIAGNOSTICS
 *	ntf_notice_sign() returns 0, or -1 when a recipient or the Date
 *	holds a line break (it could not be verified the same way later).
 *	ntf_notice_verify() returns an ntf_verify_result.
 */
#include "notify/ntf.h"
#include "util/sg_mem.h"

#include <ctype.h>
#include <errno.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define NTF_NONCE_BYTES	16	/* 128 bits: never repeats by chance */
#define NTF_NONCE_MIN	16	/* characters accepted when verifying */
#define NTF_RCPTS_MAX	10000	/* envelope recipients covered */
#define NTF_HDR_MAX	1024	/* bytes of a header value we parse */

const char *ntf_verify_name(ntf_verify_result r)
{
	static const char *const names[] = { "ok", "bad format", "unknown key id",
					     "bad mac" };
	return r <= NTF_VERIFY_BAD_MAC ? names[r] : "?";
}

/* SHA-256 of the body with line endings as CRLF and trailing white
 * space and blank lines dropped, as lower-case hex. */
static void ntf_body_hash(const void *body, size_t len, char hex[2 * SHA256_DIGEST_SIZE + 1])
{
	const unsigned char *p = body;
	uint8_t d[SHA256_DIGEST_SIZE];
	struct sha256_ctx ctx;
	size_t end = len, start = 0;

	while (end > 0 && (p[end - 1] == ' ' || p[end - 1] == '\t' ||
			   p[end - 1] == '\r' || p[end - 1] == '\n'))
		end--;
	sha256_init(&ctx);
	for (size_t i = 0; i < end; i++) {
		if (p[i] != '\n' || (i > 0 && p[i - 1] == '\r'))
			continue;
		/* A bare LF: hash what came before it, then CRLF. */
		sha256_update(&ctx, i - start, p + start);
		sha256_update(&ctx, 2, (const uint8_t *)"\r\n");
		start = i + 1;
	}
	sha256_update(&ctx, end - start, p + start);
	sha256_digest(&ctx, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* One recipient without <> and surrounding blanks, lower-cased. */
static char *ntf_rcpt_canon(const char *r)
{
	size_t b = 0, e = strlen(r);
	char *s;

	while (b < e && isspace((unsigned char)r[b]))
		b++;
	while (e > b && isspace((unsigned char)r[e - 1]))
		e--;
	if (e - b >= 2 && r[b] == '<' && r[e - 1] == '>')
		b++, e--;
	s = sg_xstrndup(r + b, e - b);
	for (char *c = s; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return s;
}

static int ntf_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, de-duplicated, joined by ','; -1 for a line break. */
static int ntf_rcpts_canon(const char *const *rcpts, size_t n, sg_buf *out)
{
	char **v;
	int rc = 0;

	if (n > NTF_RCPTS_MAX)
		return -1;
	v = sg_xcalloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		v[i] = ntf_rcpt_canon(rcpts[i]);
		if (strpbrk(v[i], "\r\n"))
			rc = -1;
	}
	qsort(v, n, sizeof(*v), ntf_cmp_str);
	for (size_t i = 0, k = 0; i < n; i++) {
		if (i > 0 && strcmp(v[i], v[i - 1]) == 0)
			continue;
		if (k++)
			sg_buf_putc(out, ',');
		sg_buf_puts(out, v[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return rc;
}

/* Date unfolded (CR and LF dropped), surrounding blanks trimmed. */
static void ntf_date_canon(const char *date, sg_buf *out)
{
	size_t b = 0, e = date ? strlen(date) : 0;

	while (b < e && isspace((unsigned char)date[b]))
		b++;
	while (e > b && isspace((unsigned char)date[e - 1]))
		e--;
	for (size_t i = b; i < e; i++)
		if (date[i] != '\r' && date[i] != '\n')
			sg_buf_putc(out, date[i]);
}

/* The MAC input; see ntf.h. */
static int ntf_canon(const char *kid, const void *body, size_t bodylen,
		     const char *const *rcpts, size_t nrcpts, const char *date,
		     const char *nonce, sg_buf *out)
{
	char hex[2 * SHA256_DIGEST_SIZE + 1];

	ntf_body_hash(body, bodylen, hex);
	sg_buf_printf(out, "sendguard-notice\nv=1\nkid=%s\nbody=%s\nrcpt=", kid, hex);
	if (ntf_rcpts_canon(rcpts, nrcpts, out) < 0)
		return -1;
	sg_buf_puts(out, "\ndate=");
	ntf_date_canon(date, out);
	sg_buf_printf(out, "\nn=%s", nonce);
	return out->toobig ? -1 : 0;
}

static int ntf_mac_of(const ntf_keys *keys, const char *kid, const void *body,
		      size_t bodylen, const char *const *rcpts, size_t nrcpts,
		      const char *date, const char *nonce, uint8_t mac[NTF_MAC_LEN])
{
	sg_buf c;
	int rc;

	sg_buf_init(&c, SG_BUF_UNLIMITED);
	rc = ntf_canon(kid, body, bodylen, rcpts, nrcpts, date, nonce, &c);
	if (rc == 0)
		rc = ntf_keys_hmac(keys, kid, c.data, c.len, mac);
	sg_buf_free(&c);
	return rc;
}

int ntf_notice_sign(const ntf_keys *keys, const void *body, size_t bodylen,
		    const char *const *rcpts, size_t nrcpts, const char *date,
		    sg_buf *header_value)
{
	const char *kid = ntf_keys_signing_kid(keys);
	unsigned char raw[NTF_NONCE_BYTES];
	uint8_t mac[NTF_MAC_LEN];
	sg_buf nonce;
	int rc = -1;

	sg_buf_init(&nonce, 64);
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		goto out;
	ntf_b64url_encode(raw, sizeof(raw), &nonce);
	if (ntf_mac_of(keys, kid, body, bodylen, rcpts, nrcpts, date,
		       sg_buf_cstr(&nonce), mac) < 0)
		goto out;
	sg_buf_printf(header_value, "v=1; kid=%s; n=%s; mac=", kid, sg_buf_cstr(&nonce));
	ntf_b64url_encode(mac, sizeof(mac), header_value);
	rc = 0;
out:
	sg_buf_free(&nonce);
	return rc;
}

/* ------------------------------------------------------------ verify */

typedef struct ntf_tags {
	char v[8], kid[NTF_KID_MAX + 1], n[NTF_NONCE_MAX + 1], mac[64];
} ntf_tags;

static bool ntf_nonce_valid(const char *n)
{
	size_t len = strlen(n);

	if (len < NTF_NONCE_MIN || len > NTF_NONCE_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(isalnum((unsigned char)n[i]) || n[i] == '-' || n[i] == '_'))
			return false;
	return true;
}

/* Stores one "tag=value" into t; -1 for an unknown or repeated tag or
 * a value too long for its slot. */
static int ntf_tag_put(ntf_tags *t, const char *tag, size_t tlen,
		       const char *val, size_t vlen)
{
	static const char *const names[] = { "v", "kid", "n", "mac" };
	char *slots[] = { t->v, t->kid, t->n, t->mac };
	size_t sizes[] = { sizeof(t->v), sizeof(t->kid), sizeof(t->n), sizeof(t->mac) };

	for (size_t i = 0; i < 4; i++) {
		if (strlen(names[i]) != tlen || memcmp(names[i], tag, tlen) != 0)
			continue;
		if (slots[i][0] || vlen == 0 || vlen >= sizes[i])
			return -1;
		memcpy(slots[i], val, vlen);
		slots[i][vlen] = '\0';
		return 0;
	}
	return -1;
}

static bool ntf_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* "v=1; kid=K; n=NONCE; mac=M" in any order, blanks (and folding)
 * around the parts allowed; each tag exactly once, nothing else. */
static int ntf_tags_parse(const char *s, ntf_tags *t)
{
	size_t len = strlen(s), i = 0;

	memset(t, 0, sizeof(*t));
	if (len > NTF_HDR_MAX)
		return -1;
	while (i < len) {
		size_t ts, te, vs, ve;

		while (i < len && (ntf_is_blank(s[i]) || s[i] == ';'))
			i++;
		if (i >= len)
			break;
		for (ts = te = i; te < len && s[te] != '=' && s[te] != ';' &&
		     !ntf_is_blank(s[te]); te++)
			;
		if (te >= len || s[te] != '=')
			return -1;
		for (vs = ve = te + 1; ve < len && s[ve] != ';' && !ntf_is_blank(s[ve]); ve++)
			;
		if (ntf_tag_put(t, s + ts, te - ts, s + vs, ve - vs) < 0)
			return -1;
		i = ve;
		while (i < len && ntf_is_blank(s[i]))
			i++;
		if (i < len && s[i] != ';')
			return -1;
	}
	return t->v[0] && t->kid[0] && t->n[0] && t->mac[0] ? 0 : -1;
}

ntf_verify_result ntf_notice_verify(const ntf_keys *keys, const char *header_value,
				    const void *body, size_t bodylen,
				    const char *const *rcpts, size_t nrcpts,
				    const char *date, char nonce_out[NTF_NONCE_MAX + 1])
{
	uint8_t want[NTF_MAC_LEN];
	ntf_tags t;
	sg_buf got;
	ntf_verify_result r;

	if (nonce_out)
		nonce_out[0] = '\0';
	if (header_value == NULL || ntf_tags_parse(header_value, &t) < 0 ||
	    strcmp(t.v, "1") != 0 || !ntf_kid_valid(t.kid) || !ntf_nonce_valid(t.n))
		return NTF_VERIFY_FORMAT;
	sg_buf_init(&got, 64);
	if (ntf_b64url_decode(t.mac, strlen(t.mac), &got) < 0 || got.len != NTF_MAC_LEN) {
		sg_buf_free(&got);
		return NTF_VERIFY_FORMAT;
	}
	if (nonce_out)
		snprintf(nonce_out, NTF_NONCE_MAX + 1, "%s", t.n);
	if (ntf_mac_of(keys, t.kid, body, bodylen, rcpts, nrcpts, date, t.n, want) < 0)
		r = ntf_keys_hmac(keys, t.kid, "", 0, want) < 0 ? NTF_VERIFY_UNKNOWN_KID
								  : NTF_VERIFY_BAD_MAC;
	else
		r = ntf_mem_eq(want, got.data, NTF_MAC_LEN) ? NTF_VERIFY_OK
							    : NTF_VERIFY_BAD_MAC;
	sg_buf_free(&got);
	return r;
}
