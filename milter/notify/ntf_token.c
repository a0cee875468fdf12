/*
 * NAME
 *	ntf_token - per-hold, per-person web tokens for notice links
 * SYNOPSIS
 *	#include "notify/ntf.h"
 * DESCRIPTION
 *	A token is base64url("kid.hold.person.expiry") "." base64url(mac),
 *	mac = HMAC-SHA256(key kid, "sendguard-token\n" payload). The link
 *	in an approval request lets exactly one person act on exactly one
 *	hold until the expiry (ARCHITECTURE.md, issue 8); hold "*" is the
 *	per-person token of an approver's list page, which shows that
 *	person's pending holds, each row linking with its own per-hold
 *	token. A token names its key, so tokens made before a key rotation
 *	keep working while the old key file is kept.
 *
 *	The payload is split at its first two dots (kid and hold id hold
 *	no dots) and its last one (the expiry is digits), so the person's
 *	address may contain dots. Every part is checked before the MAC is
 *	computed, and the MAC is compared in constant time.
 * DIAGNOSTICS
 *	ntf_token_make() returns -1 with err for a hold id or person that
 *	could not be verified later; ntf_token_verify() returns an
 *	ntf_token_result and fills nothing unless it is NTF_TOKEN_OK.
 */
#include "notify/ntf.h"
#include "util/sg_mem.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NTF_TOKEN_MAX	1024	/* characters of a token */

const char *ntf_token_result_name(ntf_token_result r)
{
	static const char *const names[] = { "ok", "malformed", "unknown key id",
					     "bad mac", "expired" };
	return r <= NTF_TOKEN_EXPIRED ? names[r] : "?";
}

bool ntf_hold_id_valid(const char *hold_id)
{
	/* Same alphabet as a key id: no dots, nothing to escape in a URL. */
	return ntf_kid_valid(hold_id);
}

/* An address as a person: one '@' inside, printable ASCII or UTF-8,
 * no blanks, no dots at the ends of the payload part that matters. */
static bool ntf_person_valid(const char *p)
{
	size_t n = strlen(p);
	const char *at = strchr(p, '@');

	if (n == 0 || n > NTF_PERSON_MAX || at == NULL || at == p || at[1] == '\0' ||
	    strchr(at + 1, '@'))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= ' ' || p[i] == 0x7f || p[i] == '<' || p[i] == '>')
			return false;
	return true;
}

static void ntf_token_mac(const ntf_keys *keys, const char *kid, const sg_buf *payload,
			  uint8_t mac[NTF_MAC_LEN], int *rc)
{
	sg_buf m;

	sg_buf_init(&m, SG_BUF_UNLIMITED);
	sg_buf_puts(&m, "sendguard-token\n");
	sg_buf_append(&m, payload->data, payload->len);
	*rc = ntf_keys_hmac(keys, kid, m.data, m.len, mac);
	sg_buf_free(&m);
}

int ntf_token_make(const ntf_keys *keys, const char *hold_id, const char *person,
		   time_t expiry, sg_buf *out, sg_buf *err)
{
	const char *kid = ntf_keys_signing_kid(keys);
	uint8_t mac[NTF_MAC_LEN];
	sg_buf payload;
	int rc;

	if (strcmp(hold_id, NTF_TOKEN_ANY_HOLD) != 0 && !ntf_hold_id_valid(hold_id)) {
		sg_buf_printf(err, "token: bad hold id \"%s\"", hold_id);
		return -1;
	}
	if (!ntf_person_valid(person) || expiry < 0) {
		sg_buf_printf(err, "token: bad person \"%s\" or expiry", person);
		return -1;
	}
	sg_buf_init(&payload, SG_BUF_UNLIMITED);
	sg_buf_printf(&payload, "%s.%s.%s.%lld", kid, hold_id, person, (long long)expiry);
	ntf_token_mac(keys, kid, &payload, mac, &rc);
	if (rc == 0) {
		ntf_b64url_encode(payload.data, payload.len, out);
		sg_buf_putc(out, '.');
		ntf_b64url_encode(mac, sizeof(mac), out);
	}
	sg_buf_free(&payload);
	return rc;
}

typedef struct ntf_token_parts {
	char kid[NTF_KID_MAX + 1];
	char hold[NTF_HOLD_ID_MAX + 1];
	char person[NTF_PERSON_MAX + 1];
	long long expiry;
} ntf_token_parts;

static int ntf_copy_part(char *dst, size_t size, const char *s, size_t n)
{
	if (n == 0 || n >= size || memchr(s, '\0', n))
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* Splits "kid.hold.person.expiry" and checks every part. */
static int ntf_token_split(const sg_buf *payload, ntf_token_parts *p)
{
	const char *s = payload->data, *end = s + payload->len;
	const char *d1 = memchr(s, '.', payload->len), *d2, *d3 = end;
	char *e;

	if (d1 == NULL || (d2 = memchr(d1 + 1, '.', (size_t)(end - d1 - 1))) == NULL)
		return -1;
	while (d3 > d2 && d3[-1] != '.')
		d3--;
	if (d3 - 1 <= d2)	/* no separate expiry field */
		return -1;
	if (ntf_copy_part(p->kid, sizeof(p->kid), s, (size_t)(d1 - s)) < 0 ||
	    ntf_copy_part(p->hold, sizeof(p->hold), d1 + 1, (size_t)(d2 - d1 - 1)) < 0 ||
	    ntf_copy_part(p->person, sizeof(p->person), d2 + 1,
			  (size_t)(d3 - 1 - d2 - 1)) < 0)
		return -1;
	if (d3 == end || !isdigit((unsigned char)*d3) || end - d3 > 19)
		return -1;
	errno = 0;
	p->expiry = strtoll(d3, &e, 10);
	if (errno || e != end)
		return -1;
	if (!ntf_kid_valid(p->kid) || !ntf_person_valid(p->person) ||
	    (strcmp(p->hold, NTF_TOKEN_ANY_HOLD) != 0 && !ntf_hold_id_valid(p->hold)))
		return -1;
	return 0;
}

/* Decodes both halves; -1 when malformed. */
static int ntf_token_decode(const char *token, sg_buf *payload, sg_buf *mac)
{
	size_t len = strnlen(token, NTF_TOKEN_MAX + 1);
	const char *dot;

	if (len > NTF_TOKEN_MAX || (dot = memchr(token, '.', len)) == NULL)
		return -1;
	if (ntf_b64url_decode(token, (size_t)(dot - token), payload) < 0 ||
	    ntf_b64url_decode(dot + 1, len - (size_t)(dot + 1 - token), mac) < 0 ||
	    mac->len != NTF_MAC_LEN)
		return -1;
	return 0;
}

static ntf_token_result ntf_token_check(const ntf_keys *keys, const char *token,
					time_t now, ntf_token_parts *p)
{
	uint8_t want[NTF_MAC_LEN];
	sg_buf payload, mac;
	ntf_token_result r;
	int rc;

	sg_buf_init(&payload, NTF_TOKEN_MAX);
	sg_buf_init(&mac, NTF_TOKEN_MAX);
	if (ntf_token_decode(token, &payload, &mac) < 0 ||
	    ntf_token_split(&payload, p) < 0) {
		r = NTF_TOKEN_MALFORMED;
		goto out;
	}
	ntf_token_mac(keys, p->kid, &payload, want, &rc);
	if (rc < 0)
		r = NTF_TOKEN_UNKNOWN_KID;
	else if (!ntf_mem_eq(want, mac.data, NTF_MAC_LEN))
		r = NTF_TOKEN_BAD_MAC;
	else	/* expiry only after the MAC: an attacker learns nothing */
		r = (long long)now >= p->expiry ? NTF_TOKEN_EXPIRED : NTF_TOKEN_OK;
out:
	sg_buf_free(&payload);
	sg_buf_free(&mac);
	return r;
}

ntf_token_result ntf_token_verify(const ntf_keys *keys, const char *token, time_t now,
				  sg_buf *hold_out, sg_buf *person_out,
				  time_t *expiry_out)
{
	ntf_token_parts p;
	ntf_token_result r;

	if (token == NULL)
		return NTF_TOKEN_MALFORMED;
	r = ntf_token_check(keys, token, now, &p);
	if (r != NTF_TOKEN_OK)
		return r;
	if (hold_out)
		sg_buf_puts(hold_out, p.hold);
	if (person_out)
		sg_buf_puts(person_out, p.person);
	if (expiry_out)
		*expiry_out = (time_t)p.expiry;
	return NTF_TOKEN_OK;
}
