/*
 * NAME
 *	eng_sniff - the type of a file by its content
 * SYNOPSIS
 *	#include "engine/eng_sniff.h"
 * DESCRIPTION
 *	eng_sniff() names what `len` bytes of `data` are, from magic numbers
 *	and structure only: the declared Content-Type and the file name are
 *	what a sender (or an attacker) chose, the content is what opens.
 *
 *	ZIP containers are looked into (entry names through libarchive):
 *	OOXML by [Content_Types].xml and its part folders, macro-enabled
 *	OOXML by a vbaProject.bin part, ODF by its "mimetype" member.
 *
 *	eng_ftype_info() gives a type's MIME name, an English label for
 *	evidence, and flags: ENG_FT_F_ARCHIVE (libarchive opens it),
 *	ENG_FT_F_DANGER (dangerous by content, POLICY.md), ENG_FT_F_IMAGE.
 * DIAGNOSTICS
 *	None: unknown content is ENG_FT_UNKNOWN.
 */
#ifndef ENG_SNIFF_H
#define ENG_SNIFF_H

#include <stddef.h>

typedef enum {
	ENG_FT_UNKNOWN,
	ENG_FT_TEXT,
	ENG_FT_ICS,
	ENG_FT_ZIP,
	ENG_FT_7Z,
	ENG_FT_RAR,
	ENG_FT_GZIP,
	ENG_FT_BZIP2,
	ENG_FT_XZ,
	ENG_FT_TAR,
	ENG_FT_OLE,
	ENG_FT_DOCX,
	ENG_FT_XLSX,
	ENG_FT_PPTX,
	ENG_FT_DOCM,
	ENG_FT_XLSM,
	ENG_FT_PPTM,
	ENG_FT_OOXML,		/* another OOXML package */
	ENG_FT_OOXML_MACRO,	/* another OOXML package with vbaProject.bin */
	ENG_FT_ODF,
	ENG_FT_PDF,
	ENG_FT_PE,
	ENG_FT_ELF,
	ENG_FT_MACHO,
	ENG_FT_LNK,
	ENG_FT_ISO9660,
	ENG_FT_UDF,
	ENG_FT_PNG,
	ENG_FT_JPEG,
	ENG_FT_GIF,
	ENG_FT_BMP,
	ENG_FT_WEBP,
	ENG_FT_TIFF,
	ENG_FT_P7M,		/* CMS Enveloped/AuthEnveloped/EncryptedData, BER or DER (eng_crypt) */
	ENG_FT_P7S,		/* CMS SignedData: a detached or an opaque signature */
	ENG_FT_PGP,		/* OpenPGP message proven encrypted, binary or armoured */
	ENG_FT_PGP_SIG,		/* OpenPGP signature */
	ENG_FT_COUNT
} eng_ftype;

#define ENG_FT_F_ARCHIVE 0x1u
#define ENG_FT_F_DANGER	 0x2u
#define ENG_FT_F_IMAGE	 0x4u
#define ENG_FT_F_MACRO	 0x8u

typedef struct eng_ftype_desc {
	const char *mime;
	const char *label;	/* English, for evidence */
	unsigned flags;
} eng_ftype_desc;

eng_ftype eng_sniff(const unsigned char *data, size_t len);
const eng_ftype_desc *eng_ftype_info(eng_ftype t);
/* The type whose MIME name is `mime`, ENG_FT_UNKNOWN when none. */
eng_ftype eng_ftype_by_mime(const char *mime);

#endif
