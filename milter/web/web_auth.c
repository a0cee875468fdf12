/*
 * NAME
 *	web_auth - who is asking: signed links, the proxy's header, CSRF
 * SYNOPSIS
 *	#include "web/web.h"
 * DESCRIPTION
 *	A signed link (ntf_token_verify) is the normal proof: the notice
 *	went to that person's mailbox, and the token names that person
 *	and one hold. The proxy's header is the other, only when an
 *	administrator turned it on and only on loopback (web_http.c
 *	decides whether to pass it here): a header any client could send
 *	would otherwise let anyone be the approver.
 *
 *	CSRF. A form carries csrf = "kid.expiry.b64url(mac)", mac =
 *	HMAC-SHA256(kid, "sendguard-csrf\n" person "\n" hold "\n" token
 *	"\n" expiry). The prefix keeps a CSRF MAC from ever verifying as a
 *	link token or a notice MAC (ntf.h); binding the person, the hold
 *	and the page's token means a value taken from one form is useless
 *	in any other; the key id lets it survive a key rotation like the
 *	links do.
 * DIAGNOSTICS
 *	web_identify() returns a web_id_rc; web_csrf_check() true or false.
 */
#include "web/web.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEB_CSRF_MAX 256

static void web_lower_copy(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < size && src[i]; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

/* What the proxy may name: one e-mail address, no blanks or brackets. */
static bool web_header_person_ok(const char *s)
{
	size_t n = strlen(s);
	const char *at = strchr(s, '@');

	if (n == 0 || n > NTF_PERSON_MAX || at == NULL || at == s || at[1] == '\0' ||
	    strchr(at + 1, '@') || !web_utf8_valid(s, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f || strchr("<>\"'(),;:\\", s[i]))
			return false;
	return true;
}

static web_id_rc web_id_of_token(ntf_token_result r)
{
	switch (r) {
	case NTF_TOKEN_OK:
		return WEB_ID_OK;
	case NTF_TOKEN_UNKNOWN_KID:
		return WEB_ID_UNKNOWN_KID;
	case NTF_TOKEN_BAD_MAC:
		return WEB_ID_BAD_MAC;
	case NTF_TOKEN_EXPIRED:
		return WEB_ID_EXPIRED;
	default:
		return WEB_ID_MALFORMED;
	}
}

web_id_rc web_identify(const ntf_keys *keys, const char *token,
		       const char *header_value, time_t now, web_ident *out)
{
	sg_buf hold, person;
	web_id_rc rc;

	memset(out, 0, sizeof(*out));
	if (token == NULL || *token == '\0') {
		if (header_value == NULL)
			return WEB_ID_NONE;
		if (!web_header_person_ok(header_value))
			return WEB_ID_BAD_HEADER;
		web_lower_copy(out->person, sizeof(out->person), header_value);
		out->via_header = true;
		return WEB_ID_OK;
	}
	if (keys == NULL)
		return WEB_ID_UNKNOWN_KID;
	sg_buf_init(&hold, NTF_HOLD_ID_MAX);
	sg_buf_init(&person, NTF_PERSON_MAX);
	rc = web_id_of_token(ntf_token_verify(keys, token, now, &hold, &person, NULL));
	if (rc == WEB_ID_OK) {
		web_lower_copy(out->person, sizeof(out->person), sg_buf_cstr(&person));
		snprintf(out->hold, sizeof(out->hold), "%s", sg_buf_cstr(&hold));
	}
	sg_buf_free(&hold);
	sg_buf_free(&person);
	return rc;
}

static int web_csrf_mac(const ntf_keys *keys, const char *kid, const char *person,
			const char *hold, const char *token, long long expiry,
			uint8_t mac[NTF_MAC_LEN])
{
	sg_buf m;
	int rc;

	sg_buf_init(&m, SG_BUF_UNLIMITED);
	sg_buf_printf(&m, "sendguard-csrf\n%s\n%s\n%s\n%lld", person, hold,
		      token ? token : "", expiry);
	rc = ntf_keys_hmac(keys, kid, m.data, m.len, mac);
	sg_buf_free(&m);
	return rc;
}

void web_csrf_make(const ntf_keys *keys, const char *person, const char *hold,
		   const char *token, time_t expiry, sg_buf *out)
{
	const char *kid = ntf_keys_signing_kid(keys);
	uint8_t mac[NTF_MAC_LEN];

	if (web_csrf_mac(keys, kid, person, hold, token, (long long)expiry, mac) < 0)
		return;		/* the signing key is always loaded */
	sg_buf_printf(out, "%s.%lld.", kid, (long long)expiry);
	ntf_b64url_encode(mac, sizeof(mac), out);
}

/* Splits "kid.expiry.mac"; -1 when malformed. */
static int web_csrf_split(const char *csrf, char kid[NTF_KID_MAX + 1],
			  long long *expiry, const char **mac)
{
	const char *d1 = strchr(csrf, '.'), *d2;
	char *e;

	if (d1 == NULL || (size_t)(d1 - csrf) > NTF_KID_MAX || d1 == csrf ||
	    (d2 = strchr(d1 + 1, '.')) == NULL || d2 - d1 < 2 || d2 - d1 > 20)
		return -1;
	memcpy(kid, csrf, (size_t)(d1 - csrf));
	kid[d1 - csrf] = '\0';
	if (!ntf_kid_valid(kid) || !isdigit((unsigned char)d1[1]))
		return -1;
	errno = 0;
	*expiry = strtoll(d1 + 1, &e, 10);
	if (errno || e != d2)
		return -1;
	*mac = d2 + 1;
	return 0;
}

bool web_csrf_check(const ntf_keys *keys, const char *person, const char *hold,
		    const char *token, const char *csrf, time_t now)
{
	char kid[NTF_KID_MAX + 1];
	uint8_t want[NTF_MAC_LEN];
	const char *mac;
	long long expiry;
	sg_buf got;
	bool ok;

	if (keys == NULL || csrf == NULL || strnlen(csrf, WEB_CSRF_MAX + 1) > WEB_CSRF_MAX ||
	    web_csrf_split(csrf, kid, &expiry, &mac) < 0 ||
	    web_csrf_mac(keys, kid, person, hold, token, expiry, want) < 0)
		return false;
	sg_buf_init(&got, WEB_CSRF_MAX);
	ok = ntf_b64url_decode(mac, strlen(mac), &got) == 0 && got.len == NTF_MAC_LEN &&
	     ntf_mem_eq(want, got.data, NTF_MAC_LEN) && (long long)now < expiry;
	sg_buf_free(&got);
	return ok;
}
