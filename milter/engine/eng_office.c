/*
 * NAME
 *	eng_office - Office files: password encryption and VBA macros
 * DESCRIPTION
 *	See eng_office.h. Only the first bytes of the streams that hold the
 *	encryption flags are read (bounded); the documents themselves are
 *	never decrypted.
 */
#include "engine/eng_office.h"
#include "engine/eng_archive.h"

#include <gsf/gsf-infile-msole.h>
#include <gsf/gsf-infile.h>
#include <gsf/gsf-input-memory.h>
#include <gsf/gsf-input.h>
#include <nettle/aes.h>
#include <nettle/arcfour.h>
#include <nettle/cbc.h>
#include <nettle/md5.h>
#include <nettle/nettle-meta.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Excel's FILEPASS follows BOF at the start of the Workbook stream. */
#define ENG_XLS_HEAD 65536
/* eng_stream_head(): the stream is listed but cannot be read. */
#define ENG_OLE_UNREADABLE (-2)
#define ENG_DOC_TABLE_HEAD 4096
#define ENG_MANIFEST_MAX (4 * 1024 * 1024)
/* EncryptionInfo of an encrypted OOXML file: a few KiB in practice. */
#define ENG_ENCINFO_MAX (64 * 1024)
/* Agile key derivation rounds we spend on trying VelvetSweatshop: ten
 * times Office's 100000. Past this the file counts as encrypted
 * without the check (the format allows up to 10,000,000). */
#define ENG_AGILE_SPIN_MAX 1000000UL
/* Standard encryption's fixed round count (MS-OFFCRYPTO 2.3.4.7). */
#define ENG_STD_SPIN 50000UL

static const char eng_velvet[] = "VelvetSweatshop";

/* Stream bytes read by eng_stream_head for this scan's current file
 * (per thread, as a scan is): eng_office_ole gives it to the caller. */
static _Thread_local unsigned long long eng_ole_read;

static unsigned eng_le16(const unsigned char *p)
{
	return p[0] | (unsigned)p[1] << 8;
}

static unsigned long eng_le32(const unsigned char *p)
{
	return p[0] | (unsigned long)p[1] << 8 | (unsigned long)p[2] << 16 |
	       (unsigned long)p[3] << 24;
}

/* The default password as UTF-16LE, as every Office key derivation
 * takes it. */
static size_t eng_velvet_utf16(unsigned char *out)
{
	size_t n = sizeof(eng_velvet) - 1;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = (unsigned char)eng_velvet[i];
		out[2 * i + 1] = 0;
	}
	return 2 * n;
}

/* RC4 (Office 97/2000), MS-OFFCRYPTO 2.3.6.2: MD5 based, block 0. */
static bool eng_rc4_velvet(const unsigned char *salt, const unsigned char *ev,
			   const unsigned char *evh)
{
	unsigned char pw[64], h0[MD5_DIGEST_SIZE], h1[MD5_DIGEST_SIZE];
	unsigned char key[MD5_DIGEST_SIZE], dec[32], chk[MD5_DIGEST_SIZE];
	static const unsigned char block0[4] = { 0, 0, 0, 0 };
	struct md5_ctx md;
	struct arcfour_ctx rc4;
	size_t pwlen = eng_velvet_utf16(pw);

	md5_init(&md);
	md5_update(&md, pwlen, pw);
	md5_digest(&md, sizeof(h0), h0);
	md5_init(&md);
	for (int i = 0; i < 16; i++) {
		md5_update(&md, 5, h0);
		md5_update(&md, 16, salt);
	}
	md5_digest(&md, sizeof(h1), h1);
	md5_init(&md);
	md5_update(&md, 5, h1);
	md5_update(&md, 4, block0);
	md5_digest(&md, sizeof(key), key);
	arcfour_set_key(&rc4, sizeof(key), key);
	arcfour_crypt(&rc4, 16, dec, ev);
	arcfour_crypt(&rc4, 16, dec + 16, evh);
	md5_init(&md);
	md5_update(&md, 16, dec);
	md5_digest(&md, sizeof(chk), chk);
	return memcmp(chk, dec + 16, 16) == 0;
}

/* RC4 CryptoAPI, MS-OFFCRYPTO 2.3.5.2: SHA-1 based; a 40-bit key is
 * padded to 128 bits with zeros. */
static bool eng_cryptoapi_velvet(const unsigned char *salt, unsigned long keybits,
				 const unsigned char *ev, const unsigned char *evh)
{
	unsigned char pw[64], h0[SHA1_DIGEST_SIZE], hf[SHA1_DIGEST_SIZE];
	unsigned char key[16] = { 0 }, dec[36], chk[SHA1_DIGEST_SIZE];
	static const unsigned char block0[4] = { 0, 0, 0, 0 };
	struct sha1_ctx sh;
	struct arcfour_ctx rc4;
	size_t pwlen = eng_velvet_utf16(pw), klen;

	if (keybits == 0)
		keybits = 40;
	if (keybits < 40 || keybits > 128 || keybits % 8)
		return false;
	sha1_init(&sh);
	sha1_update(&sh, 16, salt);
	sha1_update(&sh, pwlen, pw);
	sha1_digest(&sh, sizeof(h0), h0);
	sha1_init(&sh);
	sha1_update(&sh, sizeof(h0), h0);
	sha1_update(&sh, 4, block0);
	sha1_digest(&sh, sizeof(hf), hf);
	klen = keybits / 8;
	memcpy(key, hf, klen);
	arcfour_set_key(&rc4, keybits == 40 ? 16 : klen, key);
	arcfour_crypt(&rc4, 16, dec, ev);
	arcfour_crypt(&rc4, 20, dec + 16, evh);
	sha1_init(&sh);
	sha1_update(&sh, 16, dec);
	sha1_digest(&sh, sizeof(chk), chk);
	return memcmp(chk, dec + 16, 20) == 0;
}

/* XOR obfuscation verifier, MS-OFFCRYPTO 2.3.7.1 (Method 1). */
static unsigned eng_xor_verifier(void)
{
	unsigned char arr[32];
	size_t n = sizeof(eng_velvet) - 1;
	unsigned v = 0;

	arr[0] = (unsigned char)n;
	memcpy(arr + 1, eng_velvet, n);
	for (size_t i = n + 1; i-- > 0;) {
		unsigned i1 = (v & 0x4000) ? 1 : 0;
		unsigned i2 = (v * 2) & 0x7fff;
		v = (i1 | i2) ^ arr[i];
	}
	return (v ^ 0xce4b) & 0xffff;
}

/* p starts at EncryptionVersionInfo (RC4 or RC4 CryptoAPI header, as
 * in .xls FILEPASS after its type and at the start of a .doc table
 * stream). True when VelvetSweatshop verifies. */
static bool eng_velvet_verifies(const unsigned char *p, size_t n)
{
	unsigned major, minor;
	unsigned long hsize, keybits;
	const unsigned char *v;

	if (n < 4)
		return false;
	major = eng_le16(p);
	minor = eng_le16(p + 2);
	if (major == 1 && minor == 1)
		return n >= 4 + 48 && eng_rc4_velvet(p + 4, p + 20, p + 36);
	if (major < 2 || major > 4 || minor != 2 || n < 12)
		return false;
	hsize = eng_le32(p + 8);
	if (hsize < 32 || hsize > n || 12 + hsize + 60 > n)
		return false;
	keybits = eng_le32(p + 12 + 16);
	v = p + 12 + hsize;
	if (eng_le32(v) != 16 || eng_le32(v + 36) != 20)
		return false;
	return eng_cryptoapi_velvet(v + 4, keybits, v + 20, v + 40);
}

/*
 * OOXML encrypted with VelvetSweatshop: Excel opens such a file without
 * asking (the trick of the write-protected workbook, and of many
 * malicious xlsx since 2018), so it is no more encrypted than the legacy
 * files above. Both ECMA-376 schemes Office writes are checked:
 * agile (EncryptionInfo 4.4, XML descriptor; 2.3.4.10-2.3.4.13) and
 * standard (x.2 with fAES; 2.3.4.5-2.3.4.9). RC4 CryptoAPI (x.2
 * without fAES) has the layout eng_velvet_verifies() reads.
 */

/* The value of attribute `name` in the element p[0..n) (no entities in
 * what it is used for: numbers, algorithm names, base64); NULL when
 * absent. Returns a malloc'd string. */
static char *eng_xml_attr(const char *p, size_t n, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 1; i + nl + 2 < n; i++) {
		const char *v, *e;

		if (!strchr(" \t\r\n", p[i - 1]) || memcmp(p + i, name, nl) != 0 ||
		    p[i + nl] != '=' || (p[i + nl + 1] != '"' && p[i + nl + 1] != '\''))
			continue;
		v = p + i + nl + 2;
		e = memchr(v, p[i + nl + 1], n - (size_t)(v - p));
		return e ? strndup(v, (size_t)(e - v)) : NULL;
	}
	return NULL;
}

/* The password key encryptor of an agile descriptor: the element named
 * encryptedKey (any namespace prefix), its attributes up to '>'. */
static const char *eng_agile_key_elem(const char *x, size_t n, size_t *len)
{
	for (const char *p = x; (p = memmem(p, n - (size_t)(p - x), "encryptedKey", 12)); p += 12) {
		const char *e;

		if (p == x || (p[-1] != ':' && p[-1] != '<') || p + 12 >= x + n ||
		    !strchr(" \t\r\n", p[12]))
			continue;
		e = memchr(p, '>', n - (size_t)(p - x));
		if (e == NULL)
			return NULL;
		*len = (size_t)(e - p);
		return p;
	}
	return NULL;
}

static const struct nettle_hash *eng_hash_by_name(const char *n)
{
	if (n == NULL)
		return NULL;
	if (strcmp(n, "SHA512") == 0)
		return &nettle_sha512;
	if (strcmp(n, "SHA384") == 0)
		return &nettle_sha384;
	if (strcmp(n, "SHA256") == 0)
		return &nettle_sha256;
	if (strcmp(n, "SHA1") == 0 || strcmp(n, "SHA-1") == 0)
		return &nettle_sha1;
	return NULL;
}

static const struct nettle_cipher *eng_aes_by_bits(unsigned long bits)
{
	return bits == 128 ? &nettle_aes128 : bits == 192 ? &nettle_aes192 :
	       bits == 256 ? &nettle_aes256 : NULL;
}

static unsigned char *eng_b64(const char *s, size_t *len)
{
	gsize n = 0;
	unsigned char *d = s ? g_base64_decode(s, &n) : NULL;

	*len = d ? (size_t)n : 0;
	return d;
}

/* Agile, 2.3.4.11-2.3.4.13: H0 = H(salt || password), spin rounds of
 * H(LE32(i) || H), then per block key H(H || blockKey) cut (or padded
 * with 0x36) to keyBits/8; the verifier input and its hash, both
 * AES-CBC with the salt as IV, must agree. */
static bool eng_agile_velvet(const char *xml, size_t n)
{
	static const unsigned char bk_in[8] = { 0xfe, 0xa7, 0xd2, 0x76, 0x3b, 0x4b, 0x9e, 0x79 };
	static const unsigned char bk_val[8] = { 0xd7, 0xaa, 0x0f, 0x6d, 0x30, 0x61, 0x34, 0x4e };
	size_t elen = 0, slen, vlen, hlen;
	const char *el = eng_agile_key_elem(xml, n, &elen);
	char *a_spin, *a_bits, *a_hash, *a_alg, *a_chain, *a_salt, *a_vin, *a_vval;
	unsigned char *salt = NULL, *vin = NULL, *vval = NULL;
	const struct nettle_hash *h;
	const struct nettle_cipher *c;
	unsigned long spin, bits;
	bool ok = false;

	if (el == NULL)
		return false;
	a_spin = eng_xml_attr(el, elen, "spinCount");
	a_bits = eng_xml_attr(el, elen, "keyBits");
	a_hash = eng_xml_attr(el, elen, "hashAlgorithm");
	a_alg = eng_xml_attr(el, elen, "cipherAlgorithm");
	a_chain = eng_xml_attr(el, elen, "cipherChaining");
	a_salt = eng_xml_attr(el, elen, "saltValue");
	a_vin = eng_xml_attr(el, elen, "encryptedVerifierHashInput");
	a_vval = eng_xml_attr(el, elen, "encryptedVerifierHashValue");
	spin = a_spin ? strtoul(a_spin, NULL, 10) : 0;
	bits = a_bits ? strtoul(a_bits, NULL, 10) : 0;
	h = eng_hash_by_name(a_hash);
	c = eng_aes_by_bits(bits);
	salt = eng_b64(a_salt, &slen);
	vin = eng_b64(a_vin, &vlen);
	vval = eng_b64(a_vval, &hlen);
	if (h && c && a_alg && strcmp(a_alg, "AES") == 0 && a_chain &&
	    strcmp(a_chain, "ChainingModeCBC") == 0 && spin <= ENG_AGILE_SPIN_MAX &&
	    slen == 16 && vlen >= 16 && vlen % 16 == 0 && vlen <= 64 &&
	    hlen >= h->digest_size && hlen % 16 == 0 && hlen <= 128) {
		unsigned char pw[64], hv[SHA512_DIGEST_SIZE], hk[SHA512_DIGEST_SIZE];
		unsigned char key[32], iv[16], vdec[64], hdec[128], vhash[SHA512_DIGEST_SIZE];
		unsigned char ictx[512], cctx[512];	/* nettle contexts */
		size_t pwlen = eng_velvet_utf16(pw), klen = bits / 8;

		if (h->context_size <= sizeof(ictx) && c->context_size <= sizeof(cctx)) {
			h->init(ictx);
			h->update(ictx, slen, salt);
			h->update(ictx, pwlen, pw);
			h->digest(ictx, h->digest_size, hv);
			for (unsigned long i = 0; i < spin; i++) {
				unsigned char le[4] = { (unsigned char)i, (unsigned char)(i >> 8),
							(unsigned char)(i >> 16), (unsigned char)(i >> 24) };
				h->init(ictx);
				h->update(ictx, 4, le);
				h->update(ictx, h->digest_size, hv);
				h->digest(ictx, h->digest_size, hv);
			}
			for (int k = 0; k < 2; k++) {
				h->init(ictx);
				h->update(ictx, h->digest_size, hv);
				h->update(ictx, 8, k == 0 ? bk_in : bk_val);
				h->digest(ictx, h->digest_size, hk);
				memset(key, 0x36, sizeof(key));
				memcpy(key, hk, klen < h->digest_size ? klen : h->digest_size);
				c->set_decrypt_key(cctx, key);
				memcpy(iv, salt, 16);
				if (k == 0)
					cbc_decrypt(cctx, c->decrypt, 16, iv, vlen, vdec, vin);
				else
					cbc_decrypt(cctx, c->decrypt, 16, iv, hlen, hdec, vval);
			}
			/* the verifier is saltSize (16) bytes */
			h->init(ictx);
			h->update(ictx, 16, vdec);
			h->digest(ictx, h->digest_size, vhash);
			ok = memcmp(vhash, hdec, h->digest_size) == 0;
		}
	}
	free(a_spin), free(a_bits), free(a_hash), free(a_alg), free(a_chain);
	free(a_salt), free(a_vin), free(a_vval);
	g_free(salt), g_free(vin), g_free(vval);
	return ok;
}

/* Standard (AES), 2.3.4.7-2.3.4.9: SHA-1 over salt || password, 50000
 * rounds, H(H || LE32(0)), then the 0x36/0x5c derivation; the verifier
 * and its SHA-1, AES-ECB, must agree. p is the whole EncryptionInfo. */
static bool eng_standard_velvet(const unsigned char *p, size_t n)
{
	unsigned long hsize, bits;
	const unsigned char *v;
	const struct nettle_cipher *c;
	unsigned char pw[64], hv[SHA1_DIGEST_SIZE], x[2 * SHA1_DIGEST_SIZE], buf[64];
	unsigned char cctx[512], vdec[16], hdec[32], vhash[SHA1_DIGEST_SIZE];
	static const unsigned char zero4[4] = { 0, 0, 0, 0 };
	struct sha1_ctx sh;
	size_t pwlen = eng_velvet_utf16(pw);

	if (n < 12)
		return false;
	hsize = eng_le32(p + 8);
	if (hsize < 32 || hsize > n - 12 || n - 12 - hsize < 4 + 16 + 16 + 4 + 32)
		return false;
	bits = eng_le32(p + 12 + 16);
	c = eng_aes_by_bits(bits);
	v = p + 12 + hsize;
	if (c == NULL || c->context_size > sizeof(cctx) || eng_le32(v) != 16 ||
	    eng_le32(v + 36) != 20)
		return false;
	sha1_init(&sh);
	sha1_update(&sh, 16, v + 4);
	sha1_update(&sh, pwlen, pw);
	sha1_digest(&sh, sizeof(hv), hv);
	for (unsigned long i = 0; i < ENG_STD_SPIN; i++) {
		unsigned char le[4] = { (unsigned char)i, (unsigned char)(i >> 8),
					(unsigned char)(i >> 16), (unsigned char)(i >> 24) };
		sha1_init(&sh);
		sha1_update(&sh, 4, le);
		sha1_update(&sh, sizeof(hv), hv);
		sha1_digest(&sh, sizeof(hv), hv);
	}
	sha1_init(&sh);
	sha1_update(&sh, sizeof(hv), hv);
	sha1_update(&sh, 4, zero4);
	sha1_digest(&sh, sizeof(hv), hv);
	for (int k = 0; k < 2; k++) {
		memset(buf, k == 0 ? 0x36 : 0x5c, sizeof(buf));
		for (size_t i = 0; i < sizeof(hv); i++)
			buf[i] ^= hv[i];
		sha1_init(&sh);
		sha1_update(&sh, sizeof(buf), buf);
		sha1_digest(&sh, SHA1_DIGEST_SIZE, x + k * SHA1_DIGEST_SIZE);
	}
	c->set_decrypt_key(cctx, x);	/* the first keyBits/8 bytes of X1 || X2 */
	c->decrypt(cctx, 16, vdec, v + 20);
	c->decrypt(cctx, 32, hdec, v + 40);
	sha1_init(&sh);
	sha1_update(&sh, 16, vdec);
	sha1_digest(&sh, sizeof(vhash), vhash);
	return memcmp(vhash, hdec, SHA1_DIGEST_SIZE) == 0;
}

static long eng_stream_head(GsfInfile *ole, const char *name, unsigned char *buf,
			    size_t max);

/* ECMA-376 encryption: which scheme, and whether VelvetSweatshop opens it. */
static void eng_ooxml_encrypted(GsfInfile *ole, eng_office_info *o)
{
	unsigned char *info = g_malloc(ENG_ENCINFO_MAX);
	long n = eng_stream_head(ole, "EncryptionInfo", info, ENG_ENCINFO_MAX);
	unsigned major, minor;

	o->encrypted = true;
	o->method = "ECMA-376";
	o->mime = "application/x-ooxml-encrypted";
	if (n >= 8) {
		major = eng_le16(info);
		minor = eng_le16(info + 2);
		if (major == 4 && minor == 4) {
			o->method = "ECMA-376 agile";
			o->default_password = eng_agile_velvet((const char *)info + 8, (size_t)n - 8);
		} else if (major >= 2 && major <= 4 && minor == 2) {
			if (eng_le32(info + 4) & 0x20) {
				o->method = "ECMA-376 standard";
				o->default_password = eng_standard_velvet(info, (size_t)n);
			} else {
				o->method = "RC4 CryptoAPI";
				o->default_password = eng_velvet_verifies(info, (size_t)n);
			}
		}
	}
	g_free(info);
}

/* Reads the first max bytes of stream `name` (case-insensitive, at the
 * root); returns the count, -1 when there is no such stream, or
 * ENG_OLE_UNREADABLE when it is listed but cannot be read (a broken or
 * cyclic sector chain: libgsf refuses it), which must not pass for
 * "not encrypted". */
static long eng_stream_head(GsfInfile *ole, const char *name, unsigned char *buf,
			    size_t max)
{
	int n = gsf_infile_num_children(ole);

	for (int i = 0; i < n; i++) {
		const char *cn = gsf_infile_name_by_index(ole, i);
		GsfInput *in;
		gsf_off_t size;
		size_t want;
		long got = -1;

		if (cn == NULL || strcasecmp(cn, name) != 0)
			continue;
		in = gsf_infile_child_by_index(ole, i);
		if (in == NULL)
			return ENG_OLE_UNREADABLE;
		size = gsf_input_size(in);
		want = size < 0 ? 0 : (size_t)size < max ? (size_t)size : max;
		if (want == 0 || gsf_input_read(in, want, buf) != NULL)
			got = (long)want;
		else
			got = ENG_OLE_UNREADABLE;
		eng_ole_read += want;
		g_object_unref(in);
		return got;
	}
	return -1;
}

static bool eng_has_child(GsfInfile *ole, const char *name)
{
	int n = gsf_infile_num_children(ole);

	for (int i = 0; i < n; i++) {
		const char *cn = gsf_infile_name_by_index(ole, i);
		if (cn && strcasecmp(cn, name) == 0)
			return true;
	}
	return false;
}

/* .xls: FILEPASS (0x002F) in the globals substream, before its EOF. */
static void eng_xls(GsfInfile *ole, eng_office_info *o)
{
	unsigned char *head = g_malloc(ENG_XLS_HEAD);
	long n = eng_stream_head(ole, "Workbook", head, ENG_XLS_HEAD);
	size_t off = 0;

	if (n == -1)
		n = eng_stream_head(ole, "Book", head, ENG_XLS_HEAD);
	o->mime = "application/vnd.ms-excel";
	o->unreadable = n == ENG_OLE_UNREADABLE;
	while (n > 0 && off + 4 <= (size_t)n) {
		unsigned type = eng_le16(head + off), len = eng_le16(head + off + 2);
		const unsigned char *p = head + off + 4;

		if (off + 4 + len > (size_t)n || type == 0x000a)
			break;
		if (type == 0x002f) {
			o->encrypted = true;
			if (len >= 6 && eng_le16(p) == 0) {
				o->method = "XOR";
				o->default_password = eng_le16(p + 4) == eng_xor_verifier();
			} else if (len >= 2) {
				o->method = "RC4";
				o->default_password = eng_velvet_verifies(p + 2, len - 2u);
			}
			break;
		}
		off += 4 + len;
	}
	g_free(head);
}

/* .doc: FibBase flags fEncrypted (0x0100), fWhichTblStm (0x0200),
 * fObfuscated (0x8000); lKey at offset 14. */
static void eng_doc(GsfInfile *ole, eng_office_info *o)
{
	unsigned char fib[32], tbl[ENG_DOC_TABLE_HEAD];
	long n = eng_stream_head(ole, "WordDocument", fib, sizeof(fib)), tn;
	unsigned flags;

	o->mime = "application/msword";
	o->unreadable = n == ENG_OLE_UNREADABLE;
	if (n < 18)
		return;
	flags = eng_le16(fib + 10);
	if (!(flags & 0x0100))
		return;
	o->encrypted = true;
	if (flags & 0x8000) {
		o->method = "XOR";
		o->default_password = (eng_le32(fib + 14) & 0xffff) == eng_xor_verifier();
		return;
	}
	o->method = "RC4";
	tn = eng_stream_head(ole, (flags & 0x0200) ? "1Table" : "0Table", tbl, sizeof(tbl));
	if (tn > 0)
		o->default_password = eng_velvet_verifies(tbl, (size_t)tn);
}

/* .ppt: CurrentUserAtom.headerToken 0xF3D1C4DF means encrypted. */
static void eng_ppt(GsfInfile *ole, eng_office_info *o)
{
	unsigned char cu[16];
	long n = eng_stream_head(ole, "Current User", cu, sizeof(cu));

	o->mime = "application/vnd.ms-powerpoint";
	o->unreadable = n == ENG_OLE_UNREADABLE;
	if ((n >= 16 && eng_le32(cu + 12) == 0xf3d1c4dfUL) ||
	    eng_has_child(ole, "EncryptedSummary")) {
		o->encrypted = true;
		o->method = "RC4 CryptoAPI";
	}
}

/*
 * libgsf refuses what it cannot trust with a g_return_if_fail, a
 * CRITICAL of domain "libgsf:msole" (a directory entry larger than the
 * file, a bad sector), and goes on without it: the entry, a stream that
 * decides encryption among them, silently vanishes. Such a file was
 * not read in full, which the caller holds as office-unreadable; the
 * message goes to our flag, not to stderr. GLib calls a handler in the
 * thread that logs, so the flag is per thread, as a scan is; so is the
 * count of stream bytes read (eng_stream_head), which the caller adds
 * to the message's expanded bytes.
 */
static _Thread_local bool eng_gsf_refused;
static pthread_once_t eng_gsf_log_once = PTHREAD_ONCE_INIT;

static void eng_gsf_log(const gchar *domain, GLogLevelFlags level,
			const gchar *msg, gpointer unused)
{
	(void)domain;
	(void)level;
	(void)msg;
	(void)unused;
	eng_gsf_refused = true;
}

static void eng_gsf_log_init(void)
{
	/* WARNING: a broken sector chain it cut ("we might still be able
	 * to extract some data"): the stream was not read in full. */
	g_log_set_handler("libgsf:msole", G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING,
			  eng_gsf_log, NULL);
}

int eng_office_ole(const unsigned char *data, size_t len, eng_office_info *o)
{
	GsfInput *mem = gsf_input_memory_new(data, (gsf_off_t)len, FALSE);
	GError *err = NULL;
	GsfInfile *ole;

	memset(o, 0, sizeof(*o));
	o->mime = "application/x-ole-storage";
	pthread_once(&eng_gsf_log_once, eng_gsf_log_init);
	eng_gsf_refused = false;
	eng_ole_read = 0;
	ole = mem ? gsf_infile_msole_new(mem, &err) : NULL;
	if (err)
		g_error_free(err);
	if (ole == NULL) {
		if (mem)
			g_object_unref(mem);
		return -1;
	}
	o->vba = eng_has_child(ole, "Macros") || eng_has_child(ole, "_VBA_PROJECT_CUR") ||
		 eng_has_child(ole, "VBA");
	if (eng_has_child(ole, "EncryptionInfo") && eng_has_child(ole, "EncryptedPackage"))
		eng_ooxml_encrypted(ole, o);
	else if (eng_has_child(ole, "WordDocument"))
		eng_doc(ole, o);
	else if (eng_has_child(ole, "Workbook") || eng_has_child(ole, "Book"))
		eng_xls(ole, o);
	else if (eng_has_child(ole, "PowerPoint Document"))
		eng_ppt(ole, o);
	o->unreadable |= eng_gsf_refused;
	o->read = eng_ole_read;
	g_object_unref(ole);
	g_object_unref(mem);
	return 0;
}

bool eng_odf_encrypted(const unsigned char *data, size_t len)
{
	sg_buf m;
	bool enc;

	sg_buf_init(&m, ENG_MANIFEST_MAX);
	enc = eng_zip_member(data, len, "META-INF/manifest.xml", ENG_MANIFEST_MAX, &m) == 0 &&
	      memmem(m.data ? m.data : "", m.len, "encryption-data", 15) != NULL;
	sg_buf_free(&m);
	return enc;
}

/* ---- what an embedded OLE object carries -------------------------------- */

/* Ole10Native (an "Package" object: a file dropped into a document):
 * u32 size, u16 flags, label\0, source path\0, u32, u32 n, temp path
 * (n bytes), u32 data size, data. Names at most this long. */
#define ENG_PKG_NAME_MAX 1024

static bool eng_cstr(const unsigned char *d, size_t n, size_t *at, sg_buf *out)
{
	const unsigned char *z;
	size_t k;

	if (*at >= n || (z = memchr(d + *at, 0, n - *at)) == NULL)
		return false;
	k = (size_t)(z - (d + *at));
	if (out)
		sg_buf_append(out, d + *at, k < ENG_PKG_NAME_MAX ? k : ENG_PKG_NAME_MAX);
	*at += k + 1;
	return true;
}

static int eng_native_parse(const unsigned char *d, size_t n, sg_buf *data, sg_buf *name)
{
	size_t at = 6, k;

	if (n < 6)
		return -1;
	if (!eng_cstr(d, n, &at, name) || !eng_cstr(d, n, &at, NULL) || n - at < 8)
		return -1;
	k = eng_le32(d + at + 4);
	at += 8;
	if (k > n - at)
		return -1;
	at += k;
	if (n - at < 4)
		return -1;
	k = eng_le32(d + at);
	at += 4;
	if (k > n - at)
		return -1;
	return sg_buf_append(data, d + at, k) < 0 ? 1 : 0;
}

int eng_ole_embedded(const unsigned char *d, size_t len, sg_buf *data, sg_buf *name)
{
	/* Ole10Native: a packaged file; Package: an Office 2007+ document
	 * embedded through OLE; CONTENTS: the file of some servers (a PDF
	 * from Acrobat). */
	static const char *const streams[] = { "\001Ole10Native", "Package", "CONTENTS" };
	GsfInput *mem = gsf_input_memory_new(d, (gsf_off_t)len, FALSE);
	GError *err = NULL;
	GsfInfile *ole;
	int rc = -2;

	pthread_once(&eng_gsf_log_once, eng_gsf_log_init);
	ole = mem ? gsf_infile_msole_new(mem, &err) : NULL;
	if (err)
		g_error_free(err);
	for (size_t s = 0; ole && rc == -2 && s < sizeof(streams) / sizeof(streams[0]); s++) {
		int n = gsf_infile_num_children(ole);

		for (int i = 0; i < n && rc == -2; i++) {
			const char *cn = gsf_infile_name_by_index(ole, i);
			GsfInput *in;
			gsf_off_t size;

			if (cn == NULL || strcmp(cn, streams[s]) != 0)
				continue;
			in = gsf_infile_child_by_index(ole, i);
			size = in ? gsf_input_size(in) : -1;
			/* data's maximum is what the budget has left: the
			 * stream is read only when it fits. */
			if (size < 0 || (unsigned long long)size > data->max) {
				rc = size < 0 ? -1 : 1;
			} else {
				guint8 *raw = g_try_malloc((gsize)size + 1);

				if (raw == NULL || (size > 0 && gsf_input_read(in, (size_t)size,
									       raw) == NULL)) {
					rc = -1;
				} else {
					eng_ole_read += (size_t)size;
					if (s == 0) {
						rc = eng_native_parse(raw, (size_t)size, data, name);
					} else {
						rc = sg_buf_append(data, raw, (size_t)size) < 0 ? 1 : 0;
						sg_buf_puts(name, s == 1 ? "Package" : "CONTENTS");
					}
				}
				g_free(raw);
			}
			if (in)
				g_object_unref(in);
		}
	}
	if (ole)
		g_object_unref(ole);
	if (mem)
		g_object_unref(mem);
	return rc;
}
