/*
 * NAME
 *	eng_sniff - the type of a file by its content
 * DESCRIPTION
 *	See eng_sniff.h. Every check reads at fixed offsets or a bounded
 *	prefix; only ZIP containers cost more (their entry names, bounded
 *	by eng_zip_names).
 */
#include "engine/eng_sniff.h"
#include "engine/eng_archive.h"
#include "engine/eng_charset.h"
#include "engine/eng_crypt.h"

#include <string.h>

static const eng_ftype_desc eng_ft[ENG_FT_COUNT] = {
	[ENG_FT_UNKNOWN] = { "application/octet-stream", "unknown", 0 },
	[ENG_FT_TEXT] = { "text/plain", "text", 0 },
	[ENG_FT_ICS] = { "text/calendar", "calendar", 0 },
	[ENG_FT_ZIP] = { "application/zip", "ZIP archive", ENG_FT_F_ARCHIVE },
	[ENG_FT_7Z] = { "application/x-7z-compressed", "7z archive", ENG_FT_F_ARCHIVE },
	[ENG_FT_RAR] = { "application/vnd.rar", "RAR archive", ENG_FT_F_ARCHIVE },
	[ENG_FT_GZIP] = { "application/gzip", "gzip", ENG_FT_F_ARCHIVE },
	[ENG_FT_BZIP2] = { "application/x-bzip2", "bzip2", ENG_FT_F_ARCHIVE },
	[ENG_FT_XZ] = { "application/x-xz", "xz", ENG_FT_F_ARCHIVE },
	[ENG_FT_TAR] = { "application/x-tar", "tar archive", ENG_FT_F_ARCHIVE },
	[ENG_FT_OLE] = { "application/x-ole-storage", "OLE compound file", 0 },
	[ENG_FT_DOCX] = { "application/vnd.openxmlformats-officedocument."
			  "wordprocessingml.document", "Word document", 0 },
	[ENG_FT_XLSX] = { "application/vnd.openxmlformats-officedocument."
			  "spreadsheetml.sheet", "Excel workbook", 0 },
	[ENG_FT_PPTX] = { "application/vnd.openxmlformats-officedocument."
			  "presentationml.presentation", "PowerPoint presentation", 0 },
	[ENG_FT_DOCM] = { "application/vnd.ms-word.document.macroEnabled.12",
			  "Word document with macros (vbaProject.bin)",
			  ENG_FT_F_DANGER | ENG_FT_F_MACRO },
	[ENG_FT_XLSM] = { "application/vnd.ms-excel.sheet.macroEnabled.12",
			  "Excel workbook with macros (vbaProject.bin)",
			  ENG_FT_F_DANGER | ENG_FT_F_MACRO },
	[ENG_FT_PPTM] = { "application/vnd.ms-powerpoint.presentation.macroEnabled.12",
			  "PowerPoint presentation with macros (vbaProject.bin)",
			  ENG_FT_F_DANGER | ENG_FT_F_MACRO },
	[ENG_FT_OOXML] = { "application/x-ooxml", "OOXML package", 0 },
	[ENG_FT_OOXML_MACRO] = { "application/x-ooxml-macro",
				 "OOXML package with macros (vbaProject.bin)",
				 ENG_FT_F_DANGER | ENG_FT_F_MACRO },
	[ENG_FT_ODF] = { "application/vnd.oasis.opendocument", "ODF document", 0 },
	[ENG_FT_PDF] = { "application/pdf", "PDF", 0 },
	[ENG_FT_PE] = { "application/vnd.microsoft.portable-executable",
			"Windows executable (PE)", ENG_FT_F_DANGER },
	[ENG_FT_ELF] = { "application/x-elf", "ELF executable", ENG_FT_F_DANGER },
	[ENG_FT_MACHO] = { "application/x-mach-binary", "Mach-O executable",
			   ENG_FT_F_DANGER },
	[ENG_FT_LNK] = { "application/x-ms-shortcut", "Windows shortcut (LNK)",
			 ENG_FT_F_DANGER },
	[ENG_FT_ISO9660] = { "application/x-iso9660-image", "ISO 9660 disk image",
			     ENG_FT_F_DANGER },
	[ENG_FT_UDF] = { "application/x-udf-image", "UDF disk image", ENG_FT_F_DANGER },
	[ENG_FT_PNG] = { "image/png", "PNG image", ENG_FT_F_IMAGE },
	[ENG_FT_JPEG] = { "image/jpeg", "JPEG image", ENG_FT_F_IMAGE },
	[ENG_FT_GIF] = { "image/gif", "GIF image", ENG_FT_F_IMAGE },
	[ENG_FT_BMP] = { "image/bmp", "BMP image", ENG_FT_F_IMAGE },
	[ENG_FT_WEBP] = { "image/webp", "WebP image", ENG_FT_F_IMAGE },
	[ENG_FT_TIFF] = { "image/tiff", "TIFF image", ENG_FT_F_IMAGE },
	[ENG_FT_P7M] = { "application/pkcs7-mime", "CMS encrypted data", 0 },
	[ENG_FT_P7S] = { "application/pkcs7-signature", "CMS signature", 0 },
	[ENG_FT_PGP] = { "application/pgp-encrypted", "OpenPGP message", 0 },
	[ENG_FT_PGP_SIG] = { "application/pgp-signature", "OpenPGP signature", 0 },
};

const eng_ftype_desc *eng_ftype_info(eng_ftype t)
{
	return &eng_ft[t < ENG_FT_COUNT ? t : ENG_FT_UNKNOWN];
}

eng_ftype eng_ftype_by_mime(const char *mime)
{
	for (int t = ENG_FT_UNKNOWN + 1; t < ENG_FT_COUNT; t++)
		if (strcmp(eng_ft[t].mime, mime) == 0)
			return (eng_ftype)t;
	return ENG_FT_UNKNOWN;
}

static int eng_at(const unsigned char *d, size_t n, size_t off, const void *m,
		  size_t mlen)
{
	return off <= n && mlen <= n - off && memcmp(d + off, m, mlen) == 0;
}

static unsigned long eng_le32(const unsigned char *p)
{
	return p[0] | (unsigned long)p[1] << 8 | (unsigned long)p[2] << 16 |
	       (unsigned long)p[3] << 24;
}

static unsigned long eng_be32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
	       (unsigned long)p[2] << 8 | p[3];
}

/* PE: the DOS stub's e_lfanew must point at "PE\0\0" (a bare "MZ" is
 * any text file that starts with those letters). */
static int eng_is_pe(const unsigned char *d, size_t n)
{
	unsigned long off;

	if (!eng_at(d, n, 0, "MZ", 2) || n < 0x40)
		return 0;
	off = eng_le32(d + 0x3c);
	return off < n && eng_at(d, n, off, "PE\0\0", 4);
}

/* 0xCAFEBABE is both a fat Mach-O and a Java class: a fat header
 * counts its architectures (a few), a class file has its version
 * (45 and up) in the same place. */
static int eng_is_macho(const unsigned char *d, size_t n)
{
	static const unsigned char m[][4] = {
		{ 0xfe, 0xed, 0xfa, 0xce }, { 0xfe, 0xed, 0xfa, 0xcf },
		{ 0xce, 0xfa, 0xed, 0xfe }, { 0xcf, 0xfa, 0xed, 0xfe },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (eng_at(d, n, 0, m[i], 4))
			return 1;
	if ((eng_at(d, n, 0, "\xca\xfe\xba\xbe", 4) ||
	     eng_at(d, n, 0, "\xca\xfe\xba\xbf", 4)) && n >= 8)
		return eng_be32(d + 4) > 0 && eng_be32(d + 4) < 45;
	return 0;
}

/* ISO 9660 and UDF: volume descriptors start at 32 KiB, 2 KiB apart. */
static eng_ftype eng_sniff_image(const unsigned char *d, size_t n)
{
	for (size_t k = 0; k < 16; k++) {
		size_t off = 0x8001 + k * 0x800;
		if (eng_at(d, n, off, "NSR02", 5) || eng_at(d, n, off, "NSR03", 5) ||
		    eng_at(d, n, off, "BEA01", 5))
			return ENG_FT_UDF;
	}
	if (eng_at(d, n, 0x8001, "CD001", 5) || eng_at(d, n, 0x8801, "CD001", 5) ||
	    eng_at(d, n, 0x9001, "CD001", 5))
		return ENG_FT_ISO9660;
	return ENG_FT_UNKNOWN;
}

static eng_ftype eng_sniff_picture(const unsigned char *d, size_t n)
{
	if (eng_at(d, n, 0, "\x89PNG\r\n\x1a\n", 8))
		return ENG_FT_PNG;
	if (eng_at(d, n, 0, "\xff\xd8\xff", 3))
		return ENG_FT_JPEG;
	if (eng_at(d, n, 0, "GIF87a", 6) || eng_at(d, n, 0, "GIF89a", 6))
		return ENG_FT_GIF;
	if (eng_at(d, n, 0, "RIFF", 4) && eng_at(d, n, 8, "WEBP", 4))
		return ENG_FT_WEBP;
	if (eng_at(d, n, 0, "II*\0", 4) || eng_at(d, n, 0, "MM\0*", 4))
		return ENG_FT_TIFF;
	/* "BM" alone starts ordinary text: require a known DIB header size. */
	if (eng_at(d, n, 0, "BM", 2) && n >= 18) {
		unsigned long h = eng_le32(d + 14);
		if (h == 12 || h == 40 || h == 52 || h == 56 || h == 108 || h == 124)
			return ENG_FT_BMP;
	}
	return ENG_FT_UNKNOWN;
}

static eng_ftype eng_sniff_archive(const unsigned char *d, size_t n)
{
	if (eng_at(d, n, 0, "7z\xbc\xaf\x27\x1c", 6))
		return ENG_FT_7Z;
	if (eng_at(d, n, 0, "Rar!\x1a\x07\x00", 7) ||
	    eng_at(d, n, 0, "Rar!\x1a\x07\x01\x00", 8))
		return ENG_FT_RAR;
	if (eng_at(d, n, 0, "\x1f\x8b", 2))
		return ENG_FT_GZIP;
	if (eng_at(d, n, 0, "BZh", 3) && n > 3 && d[3] >= '1' && d[3] <= '9')
		return ENG_FT_BZIP2;
	if (eng_at(d, n, 0, "\xfd" "7zXZ\0", 6))
		return ENG_FT_XZ;
	if (eng_at(d, n, 257, "ustar", 5))
		return ENG_FT_TAR;
	return ENG_FT_UNKNOWN;
}

/* Binary OpenPGP: encrypted only when its packets prove it (session
 * keys, then encrypted data: eng_crypt), a detached signature when it
 * is signatures alone. A signed or compressed message is readable and
 * no type of its own: the MIME walk reads what it carries. */
static eng_ftype eng_sniff_pgp(const unsigned char *d, size_t n)
{
	switch (eng_crypt_pgp(d, n, NULL, NULL)) {
	case ENG_CRYPT_ENCRYPTED:
		return ENG_FT_PGP;
	case ENG_CRYPT_SIGNATURE:
		return ENG_FT_PGP_SIG;
	default:
		return ENG_FT_UNKNOWN;
	}
}

/* CMS (PKCS #7), BER or DER: EnvelopedData, AuthEnvelopedData and
 * EncryptedData that parse are encrypted; SignedData is a signature
 * (detached, or opaque: then the walk reads its content first). */
static eng_ftype eng_sniff_cms(const unsigned char *d, size_t n)
{
	eng_crypt_info info = { 0 };

	switch (eng_crypt_cms(d, n, NULL, &info)) {
	case ENG_CRYPT_ENCRYPTED:
		return ENG_FT_P7M;
	case ENG_CRYPT_SIGNATURE:
		return ENG_FT_P7S;
	case ENG_CRYPT_READABLE:
		return strcmp(info.what, "CMS SignedData") == 0 ? ENG_FT_P7S : ENG_FT_UNKNOWN;
	default:
		return ENG_FT_UNKNOWN;
	}
}

static const unsigned char *eng_skip_ws(const unsigned char *d, size_t n,
					size_t *left)
{
	size_t i = 0;

	if (eng_at(d, n, 0, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < n && i < 4096 && strchr(" \t\r\n", d[i]) && d[i])
		i++;
	*left = n - i;
	return d + i;
}

/* Text: no NUL and no other C0 control than whitespace, ESC (ISO-2022-JP)
 * and form feed in the first 8 KiB. */
static eng_ftype eng_sniff_text(const unsigned char *d, size_t n)
{
	size_t left, m = n < 8192 ? n : 8192;
	const unsigned char *p = eng_skip_ws(d, n, &left);

	/* Armoured: encrypted when its packets say so; a signed message
	 * (gpg --sign --armor) is text that the walk reads. */
	if (eng_at(p, left, 0, "-----BEGIN PGP MESSAGE-----", 27) &&
	    eng_crypt_encrypted(d, n))
		return ENG_FT_PGP;
	if (eng_at(p, left, 0, "-----BEGIN PGP SIGNATURE-----", 29))
		return ENG_FT_PGP_SIG;
	for (size_t i = 0; i < m; i++)
		if (d[i] < 0x20 && !strchr("\t\r\n\f\x1b", d[i]))
			return ENG_FT_UNKNOWN;
		else if (d[i] == 0x7f)
			return ENG_FT_UNKNOWN;
	if (left >= 15 && strncasecmp((const char *)p, "BEGIN:VCALENDAR", 15) == 0)
		return ENG_FT_ICS;
	return n ? ENG_FT_TEXT : ENG_FT_UNKNOWN;
}

typedef struct eng_zip_scan {
	int content_types, vba, word, xl, ppt, mimetype;
} eng_zip_scan;

static int eng_zip_name_cb(void *arg, const char *name)
{
	eng_zip_scan *s = arg;
	const char *base = strrchr(name, '/');

	base = base ? base + 1 : name;
	if (strcmp(name, "[Content_Types].xml") == 0)
		s->content_types = 1;
	else if (strcasecmp(base, "vbaProject.bin") == 0)
		s->vba = 1;
	else if (strcmp(name, "mimetype") == 0)
		s->mimetype = 1;
	s->word |= strncmp(name, "word/", 5) == 0;
	s->xl |= strncmp(name, "xl/", 3) == 0;
	s->ppt |= strncmp(name, "ppt/", 4) == 0;
	return 0;
}

static eng_ftype eng_sniff_zip(const unsigned char *d, size_t n)
{
	eng_zip_scan s = { 0 };
	sg_buf mt;
	eng_ftype t = ENG_FT_ZIP;

	eng_zip_names(d, n, eng_zip_name_cb, &s);
	if (s.content_types) {
		if (s.word)
			t = s.vba ? ENG_FT_DOCM : ENG_FT_DOCX;
		else if (s.xl)
			t = s.vba ? ENG_FT_XLSM : ENG_FT_XLSX;
		else if (s.ppt)
			t = s.vba ? ENG_FT_PPTM : ENG_FT_PPTX;
		else
			t = s.vba ? ENG_FT_OOXML_MACRO : ENG_FT_OOXML;
		return t;
	}
	if (s.mimetype) {
		sg_buf_init(&mt, 256);
		if (eng_zip_member(d, n, "mimetype", 200, &mt) == 0 &&
		    strncmp(sg_buf_cstr(&mt), "application/vnd.oasis.opendocument.", 35) == 0)
			t = ENG_FT_ODF;
		sg_buf_free(&mt);
	}
	return t;
}

eng_ftype eng_sniff(const unsigned char *d, size_t n)
{
	eng_ftype t;

	if (d == NULL || n == 0)
		return ENG_FT_UNKNOWN;
	if (eng_at(d, n, 0, "PK\3\4", 4) || eng_at(d, n, 0, "PK\5\6", 4) ||
	    eng_at(d, n, 0, "PK\7\x08", 4))
		return eng_sniff_zip(d, n);
	if (eng_at(d, n, 0, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8))
		return ENG_FT_OLE;
	if (eng_is_pe(d, n))
		return ENG_FT_PE;
	if (eng_at(d, n, 0, "\x7f" "ELF", 4))
		return ENG_FT_ELF;
	if (eng_is_macho(d, n))
		return ENG_FT_MACHO;
	if (eng_at(d, n, 0, "L\0\0\0\x01\x14\x02\0\0\0\0\0\xc0\0\0\0\0\0\0\x46", 20))
		return ENG_FT_LNK;
	if ((t = eng_sniff_archive(d, n)) != ENG_FT_UNKNOWN ||
	    (t = eng_sniff_image(d, n)) != ENG_FT_UNKNOWN ||
	    (t = eng_sniff_picture(d, n)) != ENG_FT_UNKNOWN)
		return t;
	/* Readers accept "%PDF-" anywhere in the first KiB. */
	if (memmem(d, n < 1024 ? n : 1024, "%PDF-", 5))
		return ENG_FT_PDF;
	if ((t = eng_sniff_cms(d, n)) != ENG_FT_UNKNOWN ||
	    (t = eng_sniff_pgp(d, n)) != ENG_FT_UNKNOWN)
		return t;
	return eng_sniff_text(d, n);
}
