/*
 * NAME
 *	ntf_mac - sign and verify the X-Sendguard-Notice header
 * SYNOPSIS
 *	#include "notify/ntf.h"
 * DESCRIPTION
 *	The milter lets its own notices through when this header verifies,
 *	so the MAC must cover everything that makes one mail another: the
 *	body (hashed in canonical form), the envelope recipients, every
 *	header the gateway lets through unchecked (From, To, Cc, Subject,
 *	Date, Message-ID, MIME-Version, Content-Type,
 *	Content-Transfer-Encoding: a notice whose Subject, To or
 *	Content-Type was changed, or that gained a Cc, is another mail),
 *	plus a fresh nonce the milter remembers (a whole notice resent is a
 *	replay). The milter remembers nonces for a bounded time, so the
 *	Date must also be recent: a notice older than the window
 *	([notify] max_notice_age, generous enough for a notice deferred in
 *	Postfix's queue) or dated in the future is refused (issue 14). The
 *	canonical string is described in ntf.h.
 *
 *	Canonical forms absorb only what the mail system itself changes:
 *	LF becomes CRLF on the way into Postfix and the milter, trailing
 *	blank lines may be added or lost, envelope recipients come as
 *	"<a@B>" from libmilter and as a@b on the sendmail command line,
 *	header lines may be refolded and libmilter hands values without
 *	the blank after the colon: header names are lower-cased, values
 *	unfolded, runs of blanks made one space, and trimmed.
 * DIAGNOSTICS
 *	ntf_notice_sign() returns 0, or -1 when a recipient holds a line
 *	break, the header block has no Date or is past its bounds (it
 *	could not be verified the same way later).
 *	ntf_notice_verify() returns an ntf_verify_result.
 */
#include "notify/ntf.h"
#include "util/sg_mem.h"

#include <ctype.h>
#include <errno.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#define NTF_NONCE_BYTES	16	/* 128 bits: never repeats by chance */
#define NTF_NONCE_MIN	16	/* characters accepted when verifying */
#define NTF_RCPTS_MAX	10000	/* envelope recipients covered */
#define NTF_HDR_MAX	1024	/* bytes of a header value we parse */
#define NTF_HEAD_MAX	(256 * 1024)	/* header block bytes we read */
#define NTF_HEAD_LINES	2000	/* header fields we read */
#define NTF_FUTURE_SKEW	900	/* seconds a Date may be ahead of us */

/* The headers the MAC covers, in the order of the canonical string:
 * everything the gateway lets through unchecked on a verified notice. */
static const char *const ntf_covered[] = {
	"from", "to", "cc", "subject", "date", "message-id", "mime-version",
	"content-type", "content-transfer-encoding"
};
#define NTF_NCOVERED (sizeof(ntf_covered) / sizeof(ntf_covered[0]))

const char *ntf_verify_name(ntf_verify_result r)
{
	static const char *const names[] = { "ok", "bad format", "unknown key id",
					     "bad mac", "date outside the window" };
	return r <= NTF_VERIFY_STALE ? names[r] : "?";
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

/* One header field as found in the block: name and raw value (with
 * its folding), pointers into the caller's bytes. */
typedef struct ntf_field {
	const char *name, *val;
	size_t nlen, vlen;
} ntf_field;

static bool ntf_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits a header block (LF or CRLF lines; continuation lines start
 * with a blank; it ends at an empty line or its end) into fields.
 * -1 past the bounds or for a line that is neither a field nor a
 * continuation. */
static int ntf_fields(const char *head, size_t len, ntf_field **out, size_t *n)
{
	ntf_field *f;
	size_t i = 0, k = 0;

	*out = NULL;
	*n = 0;
	if (len > NTF_HEAD_MAX)
		return -1;
	f = sg_xcalloc(NTF_HEAD_LINES, sizeof(*f));
	while (i < len) {
		size_t e = i, le;

		while (e < len && head[e] != '\n')
			e++;
		le = e > i && head[e - 1] == '\r' ? e - 1 : e;
		if (le == i)
			break;			/* the empty line: the body follows */
		if (ntf_wsp(head[i])) {
			if (k == 0)
				goto bad;
			f[k - 1].vlen = le - (size_t)(f[k - 1].val - head);
		} else {
			const char *c = memchr(head + i, ':', le - i);
			size_t ne;

			if (c == NULL || c == head + i || k >= NTF_HEAD_LINES)
				goto bad;
			for (ne = (size_t)(c - head); ne > i && ntf_wsp(head[ne - 1]); ne--)
				;
			f[k].name = head + i;
			f[k].nlen = ne - i;
			f[k].val = c + 1;
			f[k].vlen = le - (size_t)(c + 1 - head);
			k++;
		}
		i = e + 1;
	}
	*out = f;
	*n = k;
	return 0;
bad:
	free(f);
	return -1;
}

static bool ntf_name_is(const ntf_field *f, const char *name)
{
	return f->nlen == strlen(name) && strncasecmp(f->name, name, f->nlen) == 0;
}

/* A value unfolded (CR and LF dropped), every run of blanks one
 * space, surrounding blanks trimmed. */
static void ntf_value_canon(const char *v, size_t len, sg_buf *out)
{
	bool blank = false, any = false;

	for (size_t i = 0; i < len; i++) {
		if (v[i] == '\r' || v[i] == '\n')
			continue;
		if (ntf_wsp(v[i])) {
			blank = true;
			continue;
		}
		if (blank && any)
			sg_buf_putc(out, ' ');
		blank = false;
		any = true;
		sg_buf_putc(out, v[i]);
	}
}

/* "h=name:value\n" for each covered header, in ntf_covered order and,
 * within one name, in the order found (a second Subject added on the
 * way changes the string as much as a changed one). */
static void ntf_headers_canon(const ntf_field *f, size_t n, sg_buf *out)
{
	for (size_t c = 0; c < NTF_NCOVERED; c++)
		for (size_t i = 0; i < n; i++) {
			if (!ntf_name_is(&f[i], ntf_covered[c]))
				continue;
			sg_buf_printf(out, "\nh=%s:", ntf_covered[c]);
			ntf_value_canon(f[i].val, f[i].vlen, out);
		}
}

/* The MAC input; see ntf.h. */
static int ntf_canon(const char *kid, const ntf_field *f, size_t nf, const void *body,
		     size_t bodylen, const char *const *rcpts, size_t nrcpts,
		     const char *nonce, sg_buf *out)
{
	char hex[2 * SHA256_DIGEST_SIZE + 1];

	ntf_body_hash(body, bodylen, hex);
	sg_buf_printf(out, "sendguard-notice\nv=2\nkid=%s\nbody=%s\nrcpt=", kid, hex);
	if (ntf_rcpts_canon(rcpts, nrcpts, out) < 0)
		return -1;
	ntf_headers_canon(f, nf, out);
	sg_buf_printf(out, "\nn=%s", nonce);
	return out->toobig ? -1 : 0;
}

static int ntf_mac_of(const ntf_keys *keys, const char *kid, const ntf_field *f,
		      size_t nf, const void *body, size_t bodylen,
		      const char *const *rcpts, size_t nrcpts, const char *nonce,
		      uint8_t mac[NTF_MAC_LEN])
{
	sg_buf c;
	int rc;

	sg_buf_init(&c, SG_BUF_UNLIMITED);
	rc = ntf_canon(kid, f, nf, body, bodylen, rcpts, nrcpts, nonce, &c);
	if (rc == 0)
		rc = ntf_keys_hmac(keys, kid, c.data, c.len, mac);
	sg_buf_free(&c);
	return rc;
}

/* The one Date field, or NULL when there is none or more than one. */
static const ntf_field *ntf_date_field(const ntf_field *f, size_t n)
{
	const ntf_field *d = NULL;

	for (size_t i = 0; i < n; i++)
		if (ntf_name_is(&f[i], "date")) {
			if (d != NULL)
				return NULL;
			d = &f[i];
		}
	return d;
}

/* ------------------------------------------------------- the Date */

static const char *ntf_skip_cfws(const char *p, const char *e)
{
	int depth = 0;

	for (; p < e; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && !ntf_wsp(*p) && *p != '\r' && *p != '\n')
			break;
	}
	return p;
}

static bool ntf_num(const char **p, const char *e, int min_digits, int max_digits,
		    long *out)
{
	int n = 0;

	*out = 0;
	while (*p < e && n < max_digits && isdigit((unsigned char)**p)) {
		*out = *out * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n >= min_digits && !(*p < e && isdigit((unsigned char)**p));
}

/* RFC 5322 section 3.3 date-time (with the obsolete zone names of
 * section 4.3) to seconds since the epoch; -1 when it is not one. */
static time_t ntf_parse_date(const char *v, size_t len)
{
	static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun",
					      "jul", "aug", "sep", "oct", "nov", "dec" };
	static const struct { const char *name; int off; } zones[] = {
		{ "ut", 0 }, { "gmt", 0 }, { "z", 0 }, { "est", -500 }, { "edt", -400 },
		{ "cst", -600 }, { "cdt", -500 }, { "mst", -700 }, { "mdt", -600 },
		{ "pst", -800 }, { "pdt", -700 }
	};
	const char *p = v, *e = v + len, *w;
	long day, year, hh, mm, ss = 0, zone = 0;
	int mon = -1;
	struct tm tm;
	time_t t;

	p = ntf_skip_cfws(p, e);
	if (p < e && isalpha((unsigned char)*p)) {
		/* day-of-week "," */
		const char *c = memchr(p, ',', (size_t)(e - p) < 6 ? (size_t)(e - p) : 6);

		if (c == NULL)
			return -1;
		p = ntf_skip_cfws(c + 1, e);
	}
	if (!ntf_num(&p, e, 1, 2, &day))
		return -1;
	p = ntf_skip_cfws(p, e);
	for (size_t i = 0; i < 12 && e - p >= 3; i++)
		if (strncasecmp(p, months[i], 3) == 0)
			mon = (int)i;
	if (mon < 0)
		return -1;
	p = ntf_skip_cfws(p + 3, e);
	if (!ntf_num(&p, e, 4, 4, &year))
		return -1;
	p = ntf_skip_cfws(p, e);
	if (!ntf_num(&p, e, 2, 2, &hh) || p >= e || *p++ != ':' || !ntf_num(&p, e, 2, 2, &mm))
		return -1;
	if (p < e && *p == ':' && (p++, !ntf_num(&p, e, 2, 2, &ss)))
		return -1;
	p = ntf_skip_cfws(p, e);
	if (p < e && (*p == '+' || *p == '-')) {
		int sign = *p++ == '-' ? -1 : 1;

		if (!ntf_num(&p, e, 4, 4, &zone))
			return -1;
		zone *= sign;
	} else {
		for (w = p; w < e && isalpha((unsigned char)*w); w++)
			;
		if (w == p)
			return -1;	/* a date without a zone says no time */
		for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
			if ((size_t)(w - p) == strlen(zones[i].name) &&
			    strncasecmp(p, zones[i].name, (size_t)(w - p)) == 0) {
				zone = zones[i].off;
				p = w;
				break;
			}
		if (p != w)
			return -1;
	}
	if (ntf_skip_cfws(p, e) != e || day < 1 || day > 31 || hh > 23 || mm > 59 ||
	    ss > 60 || zone % 100 > 59 || -zone % 100 > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = (int)day;
	tm.tm_hour = (int)hh;
	tm.tm_min = (int)mm;
	tm.tm_sec = (int)ss;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	return t - (zone / 100 * 3600 + zone % 100 * 60);
}

time_t ntf_notice_date(const char *value)
{
	return value ? ntf_parse_date(value, strlen(value)) : -1;
}

int ntf_notice_sign(const ntf_keys *keys, const char *head, size_t headlen,
		    const void *body, size_t bodylen, const char *const *rcpts,
		    size_t nrcpts, sg_buf *header_value)
{
	const char *kid = ntf_keys_signing_kid(keys);
	unsigned char raw[NTF_NONCE_BYTES];
	uint8_t mac[NTF_MAC_LEN];
	ntf_field *f = NULL;
	const ntf_field *d;
	size_t nf = 0;
	sg_buf nonce;
	int rc = -1;

	sg_buf_init(&nonce, 64);
	/* A notice that the milter would refuse for its Date is not sent
	 * as one: sign only what can be verified. */
	if (ntf_fields(head, headlen, &f, &nf) < 0 || (d = ntf_date_field(f, nf)) == NULL ||
	    ntf_parse_date(d->val, d->vlen) < 0)
		goto out;
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		goto out;
	ntf_b64url_encode(raw, sizeof(raw), &nonce);
	if (ntf_mac_of(keys, kid, f, nf, body, bodylen, rcpts, nrcpts,
		       sg_buf_cstr(&nonce), mac) < 0)
		goto out;
	sg_buf_printf(header_value, "v=2; kid=%s; n=%s; mac=", kid, sg_buf_cstr(&nonce));
	ntf_b64url_encode(mac, sizeof(mac), header_value);
	rc = 0;
out:
	free(f);
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
				    const char *head, size_t headlen,
				    const void *body, size_t bodylen,
				    const char *const *rcpts, size_t nrcpts,
				    time_t now, long max_age,
				    char nonce_out[NTF_NONCE_MAX + 1])
{
	uint8_t want[NTF_MAC_LEN];
	ntf_field *f = NULL;
	const ntf_field *d;
	size_t nf = 0;
	time_t date;
	ntf_tags t;
	sg_buf got;
	ntf_verify_result r;

	if (nonce_out)
		nonce_out[0] = '\0';
	if (header_value == NULL || ntf_tags_parse(header_value, &t) < 0 ||
	    strcmp(t.v, "2") != 0 || !ntf_kid_valid(t.kid) || !ntf_nonce_valid(t.n))
		return NTF_VERIFY_FORMAT;
	if (ntf_fields(head ? head : "", head ? headlen : 0, &f, &nf) < 0)
		return NTF_VERIFY_FORMAT;
	sg_buf_init(&got, 64);
	if (ntf_b64url_decode(t.mac, strlen(t.mac), &got) < 0 || got.len != NTF_MAC_LEN) {
		r = NTF_VERIFY_FORMAT;
		goto out;
	}
	if (nonce_out)
		snprintf(nonce_out, NTF_NONCE_MAX + 1, "%s", t.n);
	if (ntf_mac_of(keys, t.kid, f, nf, body, bodylen, rcpts, nrcpts, t.n, want) < 0)
		r = ntf_keys_hmac(keys, t.kid, "", 0, want) < 0 ? NTF_VERIFY_UNKNOWN_KID
								  : NTF_VERIFY_BAD_MAC;
	else
		r = ntf_mem_eq(want, got.data, NTF_MAC_LEN) ? NTF_VERIFY_OK
							    : NTF_VERIFY_BAD_MAC;
	/* Only a genuine notice gets this far: its Date was signed, so an
	 * old one is a replay (or one queued past the window), never a
	 * forgery. The nonce store forgets after its own lifetime, which
	 * the milter keeps longer than the window. */
	if (r == NTF_VERIFY_OK &&
	    ((d = ntf_date_field(f, nf)) == NULL ||
	     (date = ntf_parse_date(d->val, d->vlen)) < 0 ||
	     date < now - max_age || date > now + NTF_FUTURE_SKEW))
		r = NTF_VERIFY_STALE;
out:
	free(f);
	sg_buf_free(&got);
	return r;
}
