/*
 * NAME
 *	ntf_pvseal - encrypt a hold's preview for the store (AES-256-GCM)
 * SYNOPSIS
 *	#include "notify/ntf.h"
 * DESCRIPTION
 *	A preview holds the body and first rows of held mail: personal data
 *	that the store would otherwise keep in clear beside the masked
 *	evidence. ARCHITECTURE.md allows no unencrypted copy, so it is
 *	sealed with AES-256-GCM (nettle) under a key derived from the
 *	signing key of [keys] dir: HMAC-SHA256(key, "sendguard-preview-key
 *	v1"), so that the HMAC key itself is never used as a cipher key.
 *	A copy of the store file alone (a backup, a stolen disk image)
 *	then reads nothing; the key files are root's and the service's.
 *
 *	The associated data is "sendguard-preview\n" and the hold id: a
 *	sealed preview moved to another hold's row does not open. Each
 *	seal takes a fresh 96-bit nonce from getrandom(2).
 *
 *	Sealed form (text, fits a TEXT column):
 *	  "p1." KID "." base64url(nonce) "." base64url(ciphertext || tag)
 *	Keys rotate like the MAC keys: the kid says which key opens it.
 * DIAGNOSTICS
 *	ntf_pv_seal() returns 0, or -1 (no signing key, getrandom failed);
 *	ntf_pv_unseal() returns 0, or -1 when the text is malformed, its key
 *	is gone, or it was altered (tag mismatch): nothing is written to
 *	out then.
 */
#include "notify/ntf.h"
#include "util/sg_mem.h"

#include <nettle/gcm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define NTF_SEAL_NONCE	12
#define NTF_SEAL_TAG	16
#define NTF_SEAL_MAX	(64u * 1024 * 1024)	/* bytes of a sealed text */

static const char ntf_seal_kdf[] = "sendguard-preview-key v1";

static int ntf_seal_key(const ntf_keys *keys, const char *kid,
			uint8_t key[NTF_MAC_LEN])
{
	return ntf_keys_hmac(keys, kid, ntf_seal_kdf, sizeof(ntf_seal_kdf) - 1, key);
}

/* One update call: nettle's GCM takes associated data in pieces that
 * are whole blocks but for the last. */
static void ntf_seal_aad(struct gcm_aes256_ctx *g, const char *hold_id)
{
	sg_buf aad;

	sg_buf_init(&aad, SG_BUF_UNLIMITED);
	sg_buf_printf(&aad, "sendguard-preview\n%s", hold_id);
	gcm_aes256_update(g, aad.len, (const uint8_t *)aad.data);
	sg_buf_free(&aad);
}

int ntf_pv_seal(const ntf_keys *keys, const char *hold_id, const void *data,
	     size_t len, sg_buf *out)
{
	const char *kid = ntf_keys_signing_kid(keys);
	uint8_t key[NTF_MAC_LEN], nonce[NTF_SEAL_NONCE], tag[NTF_SEAL_TAG];
	struct gcm_aes256_ctx g;
	uint8_t *ct;
	size_t got = 0;

	if (kid == NULL || ntf_seal_key(keys, kid, key) < 0)
		return -1;
	while (got < sizeof(nonce)) {
		ssize_t n = getrandom(nonce + got, sizeof(nonce) - got, 0);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	ct = sg_xmalloc(len + NTF_SEAL_TAG + 1);
	gcm_aes256_set_key(&g, key);
	gcm_aes256_set_iv(&g, sizeof(nonce), nonce);
	ntf_seal_aad(&g, hold_id);
	gcm_aes256_encrypt(&g, len, ct, data);
	gcm_aes256_digest(&g, sizeof(tag), tag);
	memcpy(ct + len, tag, sizeof(tag));
	sg_buf_printf(out, "p1.%s.", kid);
	ntf_b64url_encode(nonce, sizeof(nonce), out);
	sg_buf_putc(out, '.');
	ntf_b64url_encode(ct, len + sizeof(tag), out);
	memset(key, 0, sizeof(key));
	memset(&g, 0, sizeof(g));
	free(ct);
	return 0;
}

int ntf_pv_unseal(const ntf_keys *keys, const char *hold_id, const char *sealed,
	       sg_buf *out)
{
	const char *p, *dot1, *dot2;
	char kid[NTF_KID_MAX + 1];
	uint8_t key[NTF_MAC_LEN], tag[NTF_SEAL_TAG];
	struct gcm_aes256_ctx g;
	sg_buf nonce, ct;
	int rc = -1;

	if (sealed == NULL || strncmp(sealed, "p1.", 3) != 0 ||
	    strlen(sealed) > NTF_SEAL_MAX)
		return -1;
	p = sealed + 3;
	if ((dot1 = strchr(p, '.')) == NULL || (size_t)(dot1 - p) > NTF_KID_MAX ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL)
		return -1;
	memcpy(kid, p, (size_t)(dot1 - p));
	kid[dot1 - p] = '\0';
	if (!ntf_kid_valid(kid) || ntf_seal_key(keys, kid, key) < 0)
		return -1;
	sg_buf_init(&nonce, 64);
	sg_buf_init(&ct, NTF_SEAL_MAX);
	if (ntf_b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &nonce) < 0 ||
	    nonce.len != NTF_SEAL_NONCE ||
	    ntf_b64url_decode(dot2 + 1, strlen(dot2 + 1), &ct) < 0 ||
	    ct.len < NTF_SEAL_TAG)
		goto done;
	gcm_aes256_set_key(&g, key);
	gcm_aes256_set_iv(&g, nonce.len, (const uint8_t *)nonce.data);
	ntf_seal_aad(&g, hold_id);
	{
		size_t n = ct.len - NTF_SEAL_TAG;
		uint8_t *plain = sg_xmalloc(n + 1);

		gcm_aes256_decrypt(&g, n, plain, (const uint8_t *)ct.data);
		gcm_aes256_digest(&g, sizeof(tag), tag);
		if (ntf_mem_eq(tag, ct.data + n, sizeof(tag))) {
			sg_buf_append(out, plain, n);
			rc = 0;
		}
		memset(plain, 0, n);
		free(plain);
	}
done:
	memset(key, 0, sizeof(key));
	memset(&g, 0, sizeof(g));
	sg_buf_free(&nonce);
	sg_buf_free(&ct);
	return rc;
}
