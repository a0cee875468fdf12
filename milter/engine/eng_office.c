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
#include <nettle/arcfour.h>
#include <nettle/md5.h>
#include <nettle/sha1.h>
#include <string.h>
#include <strings.h>

/* Excel's FILEPASS follows BOF at the start of the Workbook stream. */
#define ENG_XLS_HEAD 65536
#define ENG_DOC_TABLE_HEAD 4096
#define ENG_MANIFEST_MAX (4 * 1024 * 1024)

static const char eng_velvet[] = "VelvetSweatshop";

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

/* Reads the first max bytes of stream `name` (case-insensitive, at the
 * root); returns the count, or -1 when there is no such stream. */
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
			return -1;
		size = gsf_input_size(in);
		want = size < 0 ? 0 : (size_t)size < max ? (size_t)size : max;
		if (want == 0 || gsf_input_read(in, want, buf) != NULL)
			got = (long)want;
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

	if (n < 0)
		n = eng_stream_head(ole, "Book", head, ENG_XLS_HEAD);
	o->mime = "application/vnd.ms-excel";
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
	if ((n >= 16 && eng_le32(cu + 12) == 0xf3d1c4dfUL) ||
	    eng_has_child(ole, "EncryptedSummary")) {
		o->encrypted = true;
		o->method = "RC4 CryptoAPI";
	}
}

int eng_office_ole(const unsigned char *data, size_t len, eng_office_info *o)
{
	GsfInput *mem = gsf_input_memory_new(data, (gsf_off_t)len, FALSE);
	GError *err = NULL;
	GsfInfile *ole;

	memset(o, 0, sizeof(*o));
	o->mime = "application/x-ole-storage";
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
	if (eng_has_child(ole, "EncryptionInfo") && eng_has_child(ole, "EncryptedPackage")) {
		o->encrypted = true;
		o->method = "ECMA-376";
		o->mime = "application/x-ooxml-encrypted";
	} else if (eng_has_child(ole, "WordDocument"))
		eng_doc(ole, o);
	else if (eng_has_child(ole, "Workbook") || eng_has_child(ole, "Book"))
		eng_xls(ole, o);
	else if (eng_has_child(ole, "PowerPoint Document"))
		eng_ppt(ole, o);
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
