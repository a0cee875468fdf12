/*
 * NAME
 *	eng_crypt - is it encrypted? CMS and OpenPGP judged by their bytes
 * DESCRIPTION
 *	See eng_crypt.h. Why our own small BER walker rather than GnuTLS's
 *	PKCS #7 API: the encryption proof needs the contentType of any
 *	ContentInfo (EnvelopedData, AuthEnvelopedData, EncryptedData, which
 *	gnutls_pkcs7_import refuses: it reads SignedData only), RFC 3274
 *	CompressedData needs the same walk, and a BER stream of
 *	`openssl cms -stream` (indefinite lengths, content in constructed
 *	OCTET STRING chunks) must be read the same way whatever the
 *	library version. The walk reads only what it needs, verifies
 *	nothing, and every read is checked against the element's length.
 *
 *	Must never: decide "encrypted" from a label, allocate more than the
 *	caller's buffer allows, or recurse without a depth bound.
 */
#include "engine/eng_crypt.h"
#include "util/sg_b64.h"

#define ZLIB_CONST
#include <bzlib.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

/* Packets of one OpenPGP message, compressed packets inside each other,
 * armour header lines: far above what any real message has. */
#define PGP_MAX_PACKETS 4096
#define PGP_MAX_NEST 4
#define ARMOR_MAX_HEADERS 64

enum { CR_OK = 0, CR_BAD = -1, CR_BIG = -2 };

static eng_crypt_kind broken(eng_crypt_info *info, const char *why, int rc)
{
	if (info) {
		info->why = rc == CR_BIG ? "content over the size limit" : why;
		info->toobig = rc == CR_BIG;
	}
	return ENG_CRYPT_BROKEN;
}

static void label(eng_crypt_info *info, const char *what)
{
	if (info)
		info->what = what;
}

static int put(sg_buf *out, const void *p, size_t n)
{
	if (out == NULL || n == 0)
		return CR_OK;
	return sg_buf_append(out, p, n) < 0 ? CR_BIG : CR_OK;
}

/* ---- decompression, bounded by out's maximum -------------------------- */

static int inflate_to(const unsigned char *in, size_t n, int wbits, sg_buf *out)
{
	z_stream zs;
	unsigned char chunk[16384];
	int ret, rc = CR_BAD;

	if (n > UINT_MAX)
		return CR_BAD;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, wbits) != Z_OK)
		return CR_BAD;
	zs.next_in = in;
	zs.avail_in = (uInt)n;
	for (;;) {
		uInt before = zs.avail_in;
		size_t got;

		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		ret = inflate(&zs, Z_NO_FLUSH);
		got = sizeof(chunk) - zs.avail_out;
		if (put(out, chunk, got) != CR_OK) {
			rc = CR_BIG;
			break;
		}
		if (ret == Z_STREAM_END) {
			rc = CR_OK;
			break;
		}
		/* Each round consumes input or produces output (which the
		 * buffer's maximum bounds); anything else is the end. */
		if (ret != Z_OK || (got == 0 && zs.avail_in == before))
			break;
	}
	inflateEnd(&zs);
	return rc;
}

static int bunzip_to(const unsigned char *in, size_t n, sg_buf *out)
{
	bz_stream bs;
	char chunk[16384];
	int ret, rc = CR_BAD;

	if (n > UINT_MAX)
		return CR_BAD;
	memset(&bs, 0, sizeof(bs));
	if (BZ2_bzDecompressInit(&bs, 0, 0) != BZ_OK)
		return CR_BAD;
	bs.next_in = (char *)(uintptr_t)in;	/* bzlib does not write it */
	bs.avail_in = (unsigned)n;
	for (;;) {
		unsigned before = bs.avail_in;
		size_t got;

		bs.next_out = chunk;
		bs.avail_out = sizeof(chunk);
		ret = BZ2_bzDecompress(&bs);
		got = sizeof(chunk) - bs.avail_out;
		if (put(out, chunk, got) != CR_OK) {
			rc = CR_BIG;
			break;
		}
		if (ret == BZ_STREAM_END) {
			rc = CR_OK;
			break;
		}
		if (ret != BZ_OK || (got == 0 && bs.avail_in == before))
			break;
	}
	BZ2_bzDecompressEnd(&bs);
	return rc;
}

/* ---- BER ---------------------------------------------------------------- */

typedef struct ber_tlv {
	unsigned cls;		/* 0 universal, 2 context-specific */
	bool cons;
	unsigned long tag;
	const unsigned char *val;
	size_t len;		/* content, without an indefinite form's EOC */
	size_t total;		/* header + content (+ EOC) */
} ber_tlv;

#define BER_SEQUENCE(t) ((t)->cls == 0 && (t)->tag == 16 && (t)->cons)
#define BER_SET(t) ((t)->cls == 0 && (t)->tag == 17 && (t)->cons)
#define BER_CTX(t, n) ((t)->cls == 2 && (t)->tag == (n))

static int ber_read(const unsigned char *d, size_t n, unsigned depth, ber_tlv *t)
{
	size_t i = 1, len;
	unsigned char l;

	if (depth > ENG_CRYPT_MAX_DEPTH || n < 2)
		return CR_BAD;
	t->cls = d[0] >> 6;
	t->cons = (d[0] & 0x20) != 0;
	t->tag = d[0] & 0x1f;
	if (t->tag == 0x1f) {
		t->tag = 0;
		for (unsigned k = 0;; k++) {
			if (i >= n || k >= 4)
				return CR_BAD;
			t->tag = t->tag << 7 | (d[i] & 0x7f);
			if (!(d[i++] & 0x80))
				break;
		}
	}
	if (i >= n)
		return CR_BAD;
	l = d[i++];
	if (l == 0x80) {
		/* Indefinite: the children up to an end-of-contents (00 00);
		 * each child takes at least two bytes, so this ends. */
		size_t off = i;

		if (!t->cons)
			return CR_BAD;
		for (;;) {
			ber_tlv c;

			if (n - off < 2)
				return CR_BAD;
			if (d[off] == 0 && d[off + 1] == 0)
				break;
			if (ber_read(d + off, n - off, depth + 1, &c) != CR_OK)
				return CR_BAD;
			off += c.total;
		}
		t->val = d + i;
		t->len = off - i;
		t->total = off + 2;
		return CR_OK;
	}
	if (l < 0x80) {
		len = l;
	} else {
		unsigned nb = l & 0x7f;

		if (nb > 4 || nb > n - i)
			return CR_BAD;
		len = 0;
		for (unsigned k = 0; k < nb; k++)
			len = len << 8 | d[i++];
	}
	if (len > n - i)
		return CR_BAD;
	t->val = d + i;
	t->len = len;
	t->total = i + len;
	return CR_OK;
}

typedef struct ber_it {
	const unsigned char *p;
	size_t n;
	unsigned depth;
} ber_it;

static void ber_into(ber_it *it, const ber_tlv *t, unsigned depth)
{
	it->p = t->val;
	it->n = t->len;
	it->depth = depth + 1;
}

/* 1 and the next child in t, 0 at the end, CR_BAD. */
static int ber_next(ber_it *it, ber_tlv *t)
{
	if (it->n == 0)
		return 0;
	if (ber_read(it->p, it->n, it->depth, t) != CR_OK)
		return CR_BAD;
	it->p += t->total;
	it->n -= t->total;
	return 1;
}

/* An OCTET STRING, primitive or constructed (BER chunks, nested), into out. */
static int ber_octets(const ber_tlv *t, unsigned depth, sg_buf *out)
{
	ber_it it;
	ber_tlv c;
	int r;

	if (t->cls != 0 || t->tag != 4 || depth > ENG_CRYPT_MAX_DEPTH)
		return CR_BAD;
	if (!t->cons)
		return put(out, t->val, t->len);
	ber_into(&it, t, depth);
	while ((r = ber_next(&it, &c)) == 1)
		if ((r = ber_octets(&c, depth + 1, out)) != CR_OK)
			return r;
	return r == 0 ? CR_OK : CR_BAD;
}

static const unsigned char OID_PKCS7[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07 };
static const unsigned char OID_SMIME_CT[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
					      0x01, 0x09, 0x10, 0x01 };
static const unsigned char OID_ZLIB[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
					  0x09, 0x10, 0x03, 0x08 };

enum cms_type {
	CMS_OTHER, CMS_DATA, CMS_SIGNED, CMS_ENVELOPED, CMS_ENCRYPTED,
	CMS_AUTH_ENVELOPED, CMS_COMPRESSED
};

static enum cms_type cms_oid(const ber_tlv *t)
{
	if (t->cls != 0 || t->tag != 6 || t->cons)
		return CMS_OTHER;
	if (t->len == sizeof(OID_PKCS7) + 1 &&
	    memcmp(t->val, OID_PKCS7, sizeof(OID_PKCS7)) == 0) {
		switch (t->val[sizeof(OID_PKCS7)]) {
		case 1: return CMS_DATA;
		case 2: return CMS_SIGNED;
		case 3: return CMS_ENVELOPED;
		case 6: return CMS_ENCRYPTED;
		default: return CMS_OTHER;
		}
	}
	if (t->len == sizeof(OID_SMIME_CT) + 1 &&
	    memcmp(t->val, OID_SMIME_CT, sizeof(OID_SMIME_CT)) == 0) {
		if (t->val[sizeof(OID_SMIME_CT)] == 23)
			return CMS_AUTH_ENVELOPED;
		if (t->val[sizeof(OID_SMIME_CT)] == 9)
			return CMS_COMPRESSED;
	}
	return CMS_OTHER;
}

/* Whether d starts like a ContentInfo: a SEQUENCE whose first element
 * is a PKCS #7 or S/MIME content-type OID; the OID's offset, or 0. Past
 * this, a failure to read is BROKEN, not "not CMS". */
static size_t cms_looks(const unsigned char *d, size_t n)
{
	if (n < 16 || d[0] != 0x30)
		return 0;
	for (size_t off = 2; off <= 6 && off + 13 <= n; off++)
		if ((d[off] == 0x06 && d[off + 1] == 0x09 &&
		     memcmp(d + off + 2, OID_PKCS7, sizeof(OID_PKCS7)) == 0) ||
		    (d[off] == 0x06 && d[off + 1] == 0x0b &&
		     memcmp(d + off + 2, OID_SMIME_CT, sizeof(OID_SMIME_CT)) == 0))
			return off;
	return 0;
}

static const char *cms_name(enum cms_type t)
{
	switch (t) {
	case CMS_DATA: return "CMS Data";
	case CMS_SIGNED: return "CMS SignedData";
	case CMS_ENVELOPED: return "CMS EnvelopedData";
	case CMS_ENCRYPTED: return "CMS EncryptedData";
	case CMS_AUTH_ENVELOPED: return "CMS AuthEnvelopedData";
	case CMS_COMPRESSED: return "CMS CompressedData";
	default: return "CMS";
	}
}

/* EnvelopedData, AuthEnvelopedData, EncryptedData: version, (originator
 * info,) recipient infos (not for EncryptedData), then an
 * EncryptedContentInfo { contentType, contentEncryptionAlgorithm, ... }. */
static bool cms_encrypted_body(const ber_tlv *body, enum cms_type type)
{
	ber_it it;
	ber_tlv c, e;
	int r;

	if (!BER_SEQUENCE(body))
		return false;
	ber_into(&it, body, 1);
	if (ber_next(&it, &c) != 1 || c.cls != 0 || c.tag != 2)
		return false;
	if ((r = ber_next(&it, &c)) != 1)
		return false;
	if (type != CMS_ENCRYPTED) {
		if (BER_CTX(&c, 0) && (r = ber_next(&it, &c)) != 1)
			return false;
		if (!BER_SET(&c) || c.len == 0)
			return false;
		if ((r = ber_next(&it, &c)) != 1)
			return false;
	}
	if (!BER_SEQUENCE(&c))
		return false;
	ber_into(&it, &c, 2);
	if (ber_next(&it, &e) != 1 || e.cls != 0 || e.tag != 6)
		return false;
	return ber_next(&it, &e) == 1 && BER_SEQUENCE(&e);
}

/* EncapsulatedContentInfo { eContentType, [0] EXPLICIT OCTET STRING } of
 * SignedData and CompressedData: 1 with the content in out, 0 when
 * there is none (a detached signature). */
static int cms_encap(const ber_tlv *eci, sg_buf *out)
{
	ber_it it;
	ber_tlv c, o;
	int r;

	if (!BER_SEQUENCE(eci))
		return CR_BAD;
	ber_into(&it, eci, 3);
	if (ber_next(&it, &c) != 1 || c.cls != 0 || c.tag != 6)
		return CR_BAD;
	if ((r = ber_next(&it, &c)) == 0)
		return 0;
	if (r < 0 || !BER_CTX(&c, 0) || !c.cons)
		return CR_BAD;
	ber_into(&it, &c, 4);
	if (ber_next(&it, &o) != 1)
		return CR_BAD;
	r = ber_octets(&o, 5, out);
	return r == CR_OK ? 1 : r;
}

static eng_crypt_kind cms_signed(const ber_tlv *body, sg_buf *out,
				 eng_crypt_info *info)
{
	ber_it it;
	ber_tlv c;
	int r;

	if (!BER_SEQUENCE(body))
		return broken(info, "SignedData is not a SEQUENCE", CR_BAD);
	ber_into(&it, body, 1);
	if (ber_next(&it, &c) != 1 || c.cls != 0 || c.tag != 2)
		return broken(info, "SignedData without a version", CR_BAD);
	if (ber_next(&it, &c) != 1 || !BER_SET(&c))
		return broken(info, "SignedData without digest algorithms", CR_BAD);
	if (ber_next(&it, &c) != 1)
		return broken(info, "SignedData without content info", CR_BAD);
	r = cms_encap(&c, out);
	if (r == 0)
		return ENG_CRYPT_SIGNATURE;
	if (r < 0)
		return broken(info, "the signed content cannot be read", r);
	return ENG_CRYPT_READABLE;
}

/* RFC 3274: version, compressionAlgorithm (zlib), encapContentInfo. */
static eng_crypt_kind cms_compressed(const ber_tlv *body, sg_buf *out,
				     eng_crypt_info *info)
{
	ber_it it, ai;
	ber_tlv c, alg;
	sg_buf z;
	int r;

	if (!BER_SEQUENCE(body))
		return broken(info, "CompressedData is not a SEQUENCE", CR_BAD);
	ber_into(&it, body, 1);
	if (ber_next(&it, &c) != 1 || c.cls != 0 || c.tag != 2)
		return broken(info, "CompressedData without a version", CR_BAD);
	if (ber_next(&it, &c) != 1 || !BER_SEQUENCE(&c))
		return broken(info, "CompressedData without an algorithm", CR_BAD);
	ber_into(&ai, &c, 2);
	if (ber_next(&ai, &alg) != 1 || alg.cls != 0 || alg.tag != 6 ||
	    alg.len != sizeof(OID_ZLIB) || memcmp(alg.val, OID_ZLIB, sizeof(OID_ZLIB)) != 0)
		return broken(info, "unknown compression algorithm", CR_BAD);
	if (ber_next(&it, &c) != 1)
		return broken(info, "CompressedData without content info", CR_BAD);
	if (out == NULL)
		return ENG_CRYPT_READABLE;
	/* The compressed bytes are part of the input: bounded by it. */
	sg_buf_init(&z, c.len);
	r = cms_encap(&c, &z);
	if (r == 1)
		r = inflate_to((const unsigned char *)z.data, z.len, 15, out);
	else if (r == 0)
		r = CR_BAD;
	sg_buf_free(&z);
	if (r != CR_OK)
		return broken(info, "the compressed content cannot be read", r);
	return ENG_CRYPT_READABLE;
}

/* The header of one element: tag class, form and number, header size,
 * and the content length it states (indefinite: *indef). Unlike
 * ber_read, the content need not be there: for a file cut short. */
static int ber_head(const unsigned char *d, size_t n, ber_tlv *t, size_t *hdr,
		    bool *indef)
{
	size_t i = 1, len = 0;

	if (n < 2 || (d[0] & 0x1f) == 0x1f)
		return CR_BAD;
	t->cls = d[0] >> 6;
	t->cons = (d[0] & 0x20) != 0;
	t->tag = d[0] & 0x1f;
	*indef = d[1] == 0x80;
	if (d[1] < 0x80 || *indef) {
		len = *indef ? 0 : d[1];
		i = 2;
	} else {
		unsigned nb = d[1] & 0x7f;

		if (nb > 4 || nb > n - 2)
			return CR_BAD;
		i = 2;
		for (unsigned k = 0; k < nb; k++)
			len = len << 8 | d[i++];
	}
	if (*indef && !t->cons)
		return CR_BAD;
	t->val = d + i;
	t->len = len;
	t->total = i + len;
	*hdr = i;
	return CR_OK;
}

/*
 * A SignedData cut short after its encapsulated content: what is lost
 * is certificates, CRLs and signer infos, never content (mikel/mail's
 * fixtures keep the first lines of real detached signatures; a mailer
 * that truncates a .p7s does the same). Read when the ContentInfo, its
 * [0] and the SignedData run past the end of the input (indefinite, or
 * stating more than is there), the version, digest algorithms and the
 * whole EncapsulatedContentInfo are there, and what follows them starts
 * like the next field ([0] certificates, [1] crls, SET signerInfos) or
 * is nothing. Anything else cut short (the content itself, an
 * EnvelopedData) stays BROKEN: a scan limit.
 */
static eng_crypt_kind cms_signed_cut(const unsigned char *d, size_t n, sg_buf *out,
				     eng_crypt_info *info)
{
	const unsigned char *p = d;
	size_t left = n, hdr;
	ber_tlv t;
	bool indef;
	int r;

	/* ContentInfo SEQUENCE, contentType, [0], SignedData SEQUENCE */
	if (ber_head(p, left, &t, &hdr, &indef) != CR_OK || !BER_SEQUENCE(&t) ||
	    (!indef && t.total <= left))
		return ENG_CRYPT_BROKEN;
	p += hdr, left -= hdr;
	if (ber_read(p, left, 1, &t) != CR_OK || cms_oid(&t) != CMS_SIGNED)
		return ENG_CRYPT_BROKEN;
	p += t.total, left -= t.total;
	for (int k = 0; k < 2; k++) {
		if (ber_head(p, left, &t, &hdr, &indef) != CR_OK ||
		    (k == 0 ? !BER_CTX(&t, 0) || !t.cons : !BER_SEQUENCE(&t)) ||
		    (!indef && t.total <= left))
			return ENG_CRYPT_BROKEN;
		p += hdr, left -= hdr;
	}
	/* version, digestAlgorithms, encapContentInfo: whole */
	if (ber_read(p, left, 3, &t) != CR_OK || t.cls != 0 || t.tag != 2)
		return ENG_CRYPT_BROKEN;
	p += t.total, left -= t.total;
	if (ber_read(p, left, 3, &t) != CR_OK || !BER_SET(&t))
		return ENG_CRYPT_BROKEN;
	p += t.total, left -= t.total;
	if (ber_read(p, left, 3, &t) != CR_OK)
		return ENG_CRYPT_BROKEN;
	p += t.total, left -= t.total;
	if (left > 0 && p[0] != 0xa0 && p[0] != 0xa1 && p[0] != 0x31)
		return ENG_CRYPT_BROKEN;
	r = cms_encap(&t, out);
	if (r == 0)
		return ENG_CRYPT_SIGNATURE;
	if (r < 0)
		return broken(info, "the signed content cannot be read", r);
	return ENG_CRYPT_READABLE;
}

static bool only_space(const unsigned char *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r\n", d[i]))	/* NUL included */
			return false;
	return true;
}

eng_crypt_kind eng_crypt_cms(const unsigned char *d, size_t n, sg_buf *out,
			     eng_crypt_info *info)
{
	ber_tlv top, oid, ctx, body;
	ber_it it;
	enum cms_type type;
	size_t at;

	if (d == NULL || (at = cms_looks(d, n)) == 0)
		return ENG_CRYPT_NONE;
	/* Named before anything can fail: "SignedData: truncated" tells an
	 * approver more than "CMS". */
	if (ber_read(d + at, n - at, 1, &oid) == CR_OK)
		label(info, cms_name(cms_oid(&oid)));
	if (ber_read(d, n, 0, &top) != CR_OK || !BER_SEQUENCE(&top)) {
		eng_crypt_kind k = cms_signed_cut(d, n, out, info);

		/* labelled "CMS SignedData" above, as a whole one is */
		if (k != ENG_CRYPT_BROKEN || (info && info->why))
			return k;
		return broken(info, "truncated or bad lengths", CR_BAD);
	}
	/* Bytes after the structure are nobody's content: a "proof" with
	 * plain text appended to it proves nothing. */
	if (!only_space(d + top.total, n - top.total))
		return broken(info, "data after the CMS structure", CR_BAD);
	ber_into(&it, &top, 0);
	if (ber_next(&it, &oid) != 1)
		return broken(info, "no content type", CR_BAD);
	type = cms_oid(&oid);
	if (ber_next(&it, &ctx) != 1 || !BER_CTX(&ctx, 0) || !ctx.cons)
		return broken(info, "no content", CR_BAD);
	ber_into(&it, &ctx, 1);
	if (ber_next(&it, &body) != 1)
		return broken(info, "empty content", CR_BAD);
	switch (type) {
	case CMS_ENVELOPED:
	case CMS_AUTH_ENVELOPED:
	case CMS_ENCRYPTED:
		if (!cms_encrypted_body(&body, type))
			return broken(info, "encrypted content without recipients or algorithm",
				      CR_BAD);
		return ENG_CRYPT_ENCRYPTED;
	case CMS_SIGNED:
		return cms_signed(&body, out, info);
	case CMS_COMPRESSED:
		return cms_compressed(&body, out, info);
	case CMS_DATA: {
		int r;

		if ((r = ber_octets(&body, 2, out)) != CR_OK)
			return broken(info, "the content cannot be read", r);
		return ENG_CRYPT_READABLE;
	}
	default:
		return broken(info, "unsupported content type", CR_BAD);
	}
}

/* ---- OpenPGP ------------------------------------------------------------ */

typedef struct pgp_pkt {
	unsigned tag;
	const unsigned char *body;	/* definite: in the input; partial: in tmp */
	size_t len;
	size_t total;			/* bytes of input used */
} pgp_pkt;

/* The bodies that are read (compressed and literal data); of the others
 * only the first bytes matter (a version), and an encrypted packet of
 * many megabytes is not worth a copy. */
static bool pgp_body_needed(unsigned tag)
{
	return tag == 8 || tag == 11;
}

static unsigned long be32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
	       (unsigned long)p[2] << 8 | p[3];
}

/* Tags whose bodies may come in partial lengths (RFC 9580 4.2.1.4). */
static bool pgp_partial_ok(unsigned tag)
{
	return tag == 8 || tag == 9 || tag == 11 || tag == 18 || tag == 20;
}

/* Reads the packet at d[0..n). A partial-length body is joined into tmp
 * (reset first; its maximum is the input's size) when pgp_body_needed;
 * otherwise body and len are its first chunk. */
static int pgp_read(const unsigned char *d, size_t n, pgp_pkt *p, sg_buf *tmp)
{
	size_t i = 1, len;

	if (n < 2 || !(d[0] & 0x80))
		return CR_BAD;
	if (!(d[0] & 0x40)) {	/* old format: length type in the low bits */
		static const unsigned char nb[] = { 1, 2, 4, 0 };
		unsigned lt = d[0] & 3;

		p->tag = (d[0] >> 2) & 0x0f;
		if (lt == 3) {
			len = n - 1;
		} else {
			if (nb[lt] > n - i)
				return CR_BAD;
			len = 0;
			for (unsigned k = 0; k < nb[lt]; k++)
				len = len << 8 | d[i++];
		}
		if (len > n - i)
			return CR_BAD;
		p->body = d + i;
		p->len = len;
		p->total = i + len;
		return CR_OK;
	}
	p->tag = d[0] & 0x3f;
	sg_buf_reset(tmp);
	p->body = NULL;
	p->len = 0;
	for (bool partial = false;;) {
		unsigned o1;

		if (i >= n)
			return CR_BAD;
		o1 = d[i];
		if (o1 < 192) {
			len = o1;
			i += 1;
		} else if (o1 < 224) {
			if (n - i < 2)
				return CR_BAD;
			len = ((size_t)(o1 - 192) << 8) + d[i + 1] + 192;
			i += 2;
		} else if (o1 == 255) {
			if (n - i < 5)
				return CR_BAD;
			len = be32(d + i + 1);
			i += 5;
		} else {
			/* A partial chunk: 2^k bytes, then another length. */
			size_t chunk = (size_t)1 << (o1 & 0x1f);

			if (!pgp_partial_ok(p->tag) || chunk > n - i - 1)
				return CR_BAD;
			if (!partial) {
				p->body = d + i + 1;
				p->len = chunk;
			}
			if (pgp_body_needed(p->tag) &&
			    sg_buf_append(tmp, d + i + 1, chunk) < 0)
				return CR_BAD;
			i += 1 + chunk;
			partial = true;
			continue;
		}
		if (len > n - i)
			return CR_BAD;
		if (partial && pgp_body_needed(p->tag)) {
			if (sg_buf_append(tmp, d + i, len) < 0)
				return CR_BAD;
			p->body = (const unsigned char *)sg_buf_cstr(tmp);
			p->len = tmp->len;
		} else if (!partial) {
			p->body = d + i;
			p->len = len;
		}
		p->total = i + len;
		return CR_OK;
	}
}

/* Whether the first packet is what starts an OpenPGP message, with a
 * version this format knows: otherwise the bytes are something else
 * (a JPEG starts with a byte that is also a packet header). */
static bool pgp_first_ok(const pgp_pkt *p)
{
	const unsigned char *b = p->body;

	if (p->len == 0 || b == NULL)
		return false;
	switch (p->tag) {
	case 1: return b[0] == 3 || b[0] == 6;			/* PKESK */
	case 2: return b[0] >= 3 && b[0] <= 6;			/* signature */
	case 3: return b[0] >= 4 && b[0] <= 6;			/* SKESK */
	case 4: return b[0] == 3 || b[0] == 6;			/* one-pass sig */
	case 8: return b[0] <= 3;				/* compressed */
	case 10: return p->len == 3 && memcmp(b, "PGP", 3) == 0;	/* marker */
	case 11: return strchr("btu1lm", b[0]) != NULL && b[0];	/* literal */
	default: return false;
	}
}

static eng_crypt_kind pgp_seq(const unsigned char *d, size_t n, unsigned nest,
			      sg_buf *out, eng_crypt_info *info);

/* Compressed data packet: algorithm byte, then the stream; the result is
 * itself a packet sequence. */
static eng_crypt_kind pgp_compressed(const pgp_pkt *p, unsigned nest, sg_buf *out,
				     eng_crypt_info *info)
{
	sg_buf plain;
	eng_crypt_kind k;
	int r;

	if (out == NULL)
		return ENG_CRYPT_READABLE;
	if (p->len < 1)
		return broken(info, "empty compressed packet", CR_BAD);
	/* Whatever is decompressed is later extracted into out: the same
	 * maximum bounds both. */
	sg_buf_init(&plain, out->max);
	switch (p->body[0]) {
	case 0:
		r = put(&plain, p->body + 1, p->len - 1);
		break;
	case 1:
		r = inflate_to(p->body + 1, p->len - 1, -15, &plain);
		break;
	case 2:
		r = inflate_to(p->body + 1, p->len - 1, 15, &plain);
		break;
	case 3:
		r = bunzip_to(p->body + 1, p->len - 1, &plain);
		break;
	default:
		sg_buf_free(&plain);
		return broken(info, "unknown compression algorithm", CR_BAD);
	}
	if (r != CR_OK) {
		sg_buf_free(&plain);
		return broken(info, "the compressed data cannot be read", r);
	}
	k = pgp_seq((const unsigned char *)sg_buf_cstr(&plain), plain.len, nest + 1,
		    out, info);
	sg_buf_free(&plain);
	return k;
}

/* Literal data: format, file name, date, then the data. */
static int pgp_literal(const pgp_pkt *p, sg_buf *out)
{
	size_t skip;

	if (p->len < 6)
		return CR_BAD;
	skip = 2 + (size_t)p->body[1] + 4;
	if (skip > p->len)
		return CR_BAD;
	return put(out, p->body + skip, p->len - skip);
}

/* A readable packet sequence (signed, compressed, literal), or, at the
 * top, session keys and encrypted data. */
static eng_crypt_kind pgp_seq(const unsigned char *d, size_t n, unsigned nest,
			      sg_buf *out, eng_crypt_info *info)
{
	sg_buf tmp;
	pgp_pkt p;
	size_t off = 0;
	unsigned npk = 0, nesk = 0, nsig = 0, nlit = 0;
	eng_crypt_kind k = ENG_CRYPT_NONE;

	if (nest > PGP_MAX_NEST)
		return broken(info, "compressed packets nested too deep", CR_BAD);
	sg_buf_init(&tmp, n);
	while (off < n && k == ENG_CRYPT_NONE) {
		if (++npk > PGP_MAX_PACKETS) {
			k = broken(info, "too many packets", CR_BAD);
			break;
		}
		if (pgp_read(d + off, n - off, &p, &tmp) != CR_OK) {
			k = npk == 1 && nest == 0 ? ENG_CRYPT_NONE :
			    broken(info, "truncated packet", CR_BAD);
			break;
		}
		if (npk == 1 && nest == 0 && !pgp_first_ok(&p))
			break;		/* not OpenPGP: NONE */
		off += p.total;
		switch (p.tag) {
		case 10:		/* marker: ignored by readers */
			break;
		case 1:
		case 3:
			if (nsig || nlit || nest) {
				k = broken(info, "session key after other packets", CR_BAD);
				break;
			}
			if (p.len == 0 || !(p.tag == 1 ? (p.body[0] == 3 || p.body[0] == 6) :
					   (p.body[0] >= 4 && p.body[0] <= 6))) {
				k = broken(info, "unknown session key version", CR_BAD);
				break;
			}
			nesk++;
			break;
		case 9:
		case 18:
		case 20:
			/* Encrypted data after the session keys, and nothing after
			 * it: an encrypted message. Without keys it is not one. */
			if (nesk == 0)
				k = broken(info, "encrypted data without a session key", CR_BAD);
			else if (off != n)
				k = broken(info, "data after the encrypted packet", CR_BAD);
			else if ((p.tag == 18 && (p.len == 0 || (p.body[0] != 1 && p.body[0] != 2))) ||
				 (p.tag == 20 && (p.len == 0 || p.body[0] != 1)))
				k = broken(info, "unknown encrypted data version", CR_BAD);
			else
				k = ENG_CRYPT_ENCRYPTED;
			break;
		default:
			if (nesk) {
				k = broken(info, "session key without encrypted data", CR_BAD);
				break;
			}
			if (out == NULL && nest == 0) {
				/* Judging only: whatever it holds, it is not encrypted. */
				k = p.tag == 2 ? ENG_CRYPT_SIGNATURE : ENG_CRYPT_READABLE;
				break;
			}
			if (p.tag == 4) {
				break;
			} else if (p.tag == 2) {
				nsig++;
			} else if (p.tag == 8) {
				eng_crypt_kind c = pgp_compressed(&p, nest, out, info);
				if (c == ENG_CRYPT_BROKEN || c == ENG_CRYPT_ENCRYPTED)
					k = c == ENG_CRYPT_BROKEN ? c :
					    broken(info, "encrypted data inside compressed data", CR_BAD);
				else if (c == ENG_CRYPT_READABLE)
					nlit++;
				else if (c == ENG_CRYPT_SIGNATURE)
					nsig++;
			} else if (p.tag == 11) {
				int r = pgp_literal(&p, out);
				if (r != CR_OK)
					k = broken(info, "bad literal data packet", r);
				nlit++;
			} else {
				k = broken(info, "unexpected packet in a message", CR_BAD);
			}
			break;
		}
	}
	sg_buf_free(&tmp);
	if (k != ENG_CRYPT_NONE)
		return k;
	if (npk == 0 || (nesk == 0 && nsig == 0 && nlit == 0)) {
		if (nest == 0 && npk <= 1)
			return ENG_CRYPT_NONE;
		return broken(info, "no content", CR_BAD);
	}
	if (nesk)
		return broken(info, "session key without encrypted data", CR_BAD);
	return nlit ? ENG_CRYPT_READABLE : ENG_CRYPT_SIGNATURE;
}

eng_crypt_kind eng_crypt_pgp(const unsigned char *d, size_t n, sg_buf *out,
			     eng_crypt_info *info)
{
	eng_crypt_kind k;

	if (d == NULL || n < 2)
		return ENG_CRYPT_NONE;
	k = pgp_seq(d, n, 0, out, info);
	if (k != ENG_CRYPT_NONE)
		label(info, k == ENG_CRYPT_ENCRYPTED ? "OpenPGP encrypted message" :
		      k == ENG_CRYPT_SIGNATURE ? "OpenPGP signature" :
		      "OpenPGP message");
	return k;
}

/* ---- ASCII armour ------------------------------------------------------- */

static const char ARMOR_BEGIN[] = "-----BEGIN PGP MESSAGE-----";
static const char ARMOR_END[] = "-----END PGP MESSAGE-----";

/* The end of the line at d[i] (the '\n' or n) and the start of the next. */
static size_t line_end(const unsigned char *d, size_t n, size_t i, size_t *next)
{
	const unsigned char *nl = memchr(d + i, '\n', n - i);
	size_t e = nl ? (size_t)(nl - d) : n;

	*next = nl ? e + 1 : n;
	while (e > i && (d[e - 1] == '\r' || d[e - 1] == ' ' || d[e - 1] == '\t'))
		e--;
	return e;
}

/* The next BEGIN line at or after *pos, at the start of a line; its
 * offset, or n. */
static size_t armor_find(const unsigned char *d, size_t n, size_t pos)
{
	size_t blen = sizeof(ARMOR_BEGIN) - 1;

	while (pos < n) {
		const unsigned char *hit = memmem(d + pos, n - pos, ARMOR_BEGIN, blen);
		size_t at;

		if (hit == NULL)
			return n;
		at = (size_t)(hit - d);
		if (at == 0 || d[at - 1] == '\n')
			return at;
		pos = at + blen;
	}
	return n;
}

/* Decodes one armoured block starting at the BEGIN line at d[at]; *end
 * gets the offset after its END line. */
static int armor_block(const unsigned char *d, size_t n, size_t at, sg_buf *bin,
		       size_t *end)
{
	size_t i, next, e, nhdr = 0;
	unsigned long acc = 0;
	unsigned nbits = 0;
	bool pad = false;

	line_end(d, n, at, &i);
	/* Armour headers ("Version: ...", "Comment: ...") up to a blank line;
	 * a block that starts with data at once is read as data. */
	for (size_t j = i; j < n; j = next) {
		e = line_end(d, n, j, &next);
		if (e == j) {
			i = next;
			break;
		}
		if (!memchr(d + j, ':', e - j) || ++nhdr > ARMOR_MAX_HEADERS)
			break;
		i = next;
	}
	for (; i < n; i = next) {
		e = line_end(d, n, i, &next);
		if (e - i >= sizeof(ARMOR_END) - 1 &&
		    memcmp(d + i, ARMOR_END, sizeof(ARMOR_END) - 1) == 0) {
			*end = next;
			return CR_OK;
		}
		if (e > i && d[i] == '=' && !pad) {
			/* The CRC-24 line "=XXXX"; the END line follows. */
			pad = true;
			continue;
		}
		if (pad)
			return CR_BAD;
		for (size_t k = i; k < e; k++) {
			int v;

			if (d[k] == '=') {
				/* Padding ends the data: "QQ==" */
				nbits = 0;
				continue;
			}
			if (d[k] == ' ' || d[k] == '\t')
				continue;
			if ((v = sg_b64val(d[k])) < 0)
				return CR_BAD;
			acc = (acc << 6 | (unsigned long)v) & 0xffffff;
			nbits += 6;
			if (nbits >= 8) {
				nbits -= 8;
				if (sg_buf_putc(bin, (int)((acc >> nbits) & 0xff)) < 0)
					return CR_BAD;	/* bounded by the text */
			}
		}
	}
	return CR_BAD;		/* no END line */
}

/* outside: whether anything but white space is outside the blocks. */
static eng_crypt_kind armor_scan(const unsigned char *d, size_t n, sg_buf *out,
				 eng_crypt_info *info, bool *outside)
{
	size_t pos = 0, at;
	unsigned nblocks = 0, nenc = 0, nread = 0, nsig = 0;
	bool bad = false;
	sg_buf bin;

	*outside = false;
	if (d == NULL)
		return ENG_CRYPT_NONE;
	sg_buf_init(&bin, n);
	while ((at = armor_find(d, n, pos)) < n) {
		size_t end;
		eng_crypt_kind k;

		*outside |= !only_space(d + pos, at - pos);
		if (++nblocks > ENG_CRYPT_MAX_BLOCKS) {
			broken(info, "too many armoured blocks", CR_BAD);
			bad = true;
			break;
		}
		sg_buf_reset(&bin);
		if (armor_block(d, n, at, &bin, &end) != CR_OK) {
			broken(info, "damaged ASCII armour", CR_BAD);
			bad = true;
			break;
		}
		pos = end;
		if (out && out->len && nread)
			(void)sg_buf_putc(out, '\n');
		k = eng_crypt_pgp((const unsigned char *)sg_buf_cstr(&bin), bin.len, out, info);
		if (k == ENG_CRYPT_ENCRYPTED)
			nenc++;
		else if (k == ENG_CRYPT_READABLE)
			nread++;
		else if (k == ENG_CRYPT_SIGNATURE)
			nsig++;
		else {
			if (k == ENG_CRYPT_NONE)
				broken(info, "the armour holds no OpenPGP message", CR_BAD);
			bad = true;
		}
	}
	if (!bad)
		*outside |= !only_space(d + pos, n - pos);
	sg_buf_free(&bin);
	if (nblocks == 0)
		return ENG_CRYPT_NONE;
	label(info, nread || bad ? "OpenPGP message (armoured)" :
	      nsig && !nenc ? "OpenPGP signature (armoured)" :
	      "OpenPGP encrypted message (armoured)");
	if (bad)
		return ENG_CRYPT_BROKEN;
	if (nread)
		return ENG_CRYPT_READABLE;
	return nenc ? ENG_CRYPT_ENCRYPTED : ENG_CRYPT_SIGNATURE;
}

eng_crypt_kind eng_crypt_armor(const unsigned char *d, size_t n, sg_buf *out,
			       eng_crypt_info *info)
{
	bool outside;

	return armor_scan(d, n, out, info, &outside);
}

bool eng_crypt_encrypted(const unsigned char *d, size_t n)
{
	size_t i = 0;
	bool outside;

	if (d == NULL || n == 0)
		return false;
	if (eng_crypt_cms(d, n, NULL, NULL) == ENG_CRYPT_ENCRYPTED ||
	    eng_crypt_pgp(d, n, NULL, NULL) == ENG_CRYPT_ENCRYPTED)
		return true;
	/* Armoured as a whole: one or more encrypted blocks and only white
	 * space around them (an .asc with a note under it is not). */
	if (n >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < n && i < 4096 && strchr(" \t\r\n", d[i]) && d[i])
		i++;
	if (n - i < sizeof(ARMOR_BEGIN) - 1 ||
	    memcmp(d + i, ARMOR_BEGIN, sizeof(ARMOR_BEGIN) - 1) != 0)
		return false;
	return armor_scan(d + i, n - i, NULL, NULL, &outside) == ENG_CRYPT_ENCRYPTED &&
	       !outside;
}
