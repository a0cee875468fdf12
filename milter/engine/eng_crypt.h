/*
 * NAME
 *	eng_crypt - is it encrypted? CMS and OpenPGP judged by their bytes
 * SYNOPSIS
 *	#include "engine/eng_crypt.h"
 *
 *	eng_crypt_kind eng_crypt_cms(const unsigned char *d, size_t n,
 *				     sg_buf *out, eng_crypt_info *info);
 *	eng_crypt_kind eng_crypt_pgp(const unsigned char *d, size_t n,
 *				     sg_buf *out, eng_crypt_info *info);
 *	eng_crypt_kind eng_crypt_armor(const unsigned char *d, size_t n,
 *				       sg_buf *out, eng_crypt_info *info);
 *	bool eng_crypt_encrypted(const unsigned char *d, size_t n);
 * DESCRIPTION
 *	A header that says multipart/encrypted or smime-type=enveloped-data
 *	is a claim; these functions decide from the content (POLICY.md,
 *	"Encrypted means"), and extract what a signed or compressed
 *	wrapper carries, since anybody can read that.
 *
 *	eng_crypt_cms() reads a CMS ContentInfo in BER or DER (indefinite
 *	lengths as `openssl cms -stream` and Thunderbird write them).
 *	EnvelopedData (1.2.840.113549.1.7.3), AuthEnvelopedData
 *	(1.2.840.113549.1.9.16.1.23) and EncryptedData (1.2.840.113549.1.7.6)
 *	are ENG_CRYPT_ENCRYPTED. SignedData (1.2.840.113549.1.7.2) with an
 *	encapsulated content, CompressedData (1.2.840.113549.1.9.16.1.9,
 *	RFC 3274, zlib) and Data (1.2.840.113549.1.7.1) are
 *	ENG_CRYPT_READABLE: the content is appended to out. A SignedData
 *	without content is a detached signature, ENG_CRYPT_SIGNATURE.
 *	Nothing is verified: a signature does not make content secret.
 *
 *	eng_crypt_pgp() reads a binary OpenPGP message (RFC 4880 and 9580,
 *	old and new packet headers, partial body lengths). Public-key or
 *	symmetric-key encrypted session keys (tags 1, 3) followed by
 *	encrypted data (tags 9, 18, 20) are ENG_CRYPT_ENCRYPTED. One-pass
 *	signatures, signatures, markers, compressed data (uncompressed,
 *	ZIP, ZLIB, BZip2) and literal data (what `gpg --sign` writes) are
 *	ENG_CRYPT_READABLE: the literal data go to out. Signatures alone
 *	are ENG_CRYPT_SIGNATURE.
 *
 *	eng_crypt_armor() finds the "-----BEGIN PGP MESSAGE-----" blocks
 *	of a text (at the start of a line; at most ENG_CRYPT_MAX_BLOCKS),
 *	removes the ASCII armour and judges each: ENG_CRYPT_ENCRYPTED when
 *	every block is encrypted, ENG_CRYPT_READABLE when some block is
 *	readable (their contents appended to out, a newline between), and
 *	ENG_CRYPT_NONE when there is no block.
 *
 *	eng_crypt_encrypted() is true when d is, as a whole, an encrypted
 *	CMS or OpenPGP message (binary, or one armoured block): what
 *	eng_sniff calls P7M and PGP.
 *
 *	out may be NULL (judge only). Its maximum bounds everything that is
 *	extracted, decompressed data included; info (may be NULL) gets a
 *	label for evidence and, for ENG_CRYPT_BROKEN, the reason.
 *
 *	Bounds: BER nesting ENG_CRYPT_MAX_DEPTH, packets per message,
 *	compressed packets inside each other, armour blocks and header
 *	lines; all input is read through length-checked cursors.
 * DIAGNOSTICS
 *	ENG_CRYPT_NONE: neither CMS nor OpenPGP. ENG_CRYPT_BROKEN: it is
 *	CMS or OpenPGP, but cannot be read (truncated, bad lengths, an
 *	unknown compression, content over out's maximum): the caller
 *	holds it as a scan limit.
 */
#ifndef ENG_CRYPT_H
#define ENG_CRYPT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/sg_buf.h"

#define ENG_CRYPT_MAX_DEPTH 32		/* BER nesting */
#define ENG_CRYPT_MAX_BLOCKS 64		/* armour blocks in one text */

typedef enum eng_crypt_kind {
	ENG_CRYPT_NONE,		/* neither CMS nor OpenPGP */
	ENG_CRYPT_ENCRYPTED,	/* opening it needs a key or a password */
	ENG_CRYPT_READABLE,	/* signed or compressed: content in out */
	ENG_CRYPT_SIGNATURE,	/* a detached signature: no content */
	ENG_CRYPT_BROKEN,	/* CMS or OpenPGP that cannot be read */
} eng_crypt_kind;

typedef struct eng_crypt_info {
	const char *what;	/* "CMS SignedData", "OpenPGP message"... */
	const char *why;	/* ENG_CRYPT_BROKEN: what went wrong */
	bool toobig;		/* BROKEN because out's maximum was reached */
} eng_crypt_info;

eng_crypt_kind eng_crypt_cms(const unsigned char *d, size_t n, sg_buf *out,
			     eng_crypt_info *info);
eng_crypt_kind eng_crypt_pgp(const unsigned char *d, size_t n, sg_buf *out,
			     eng_crypt_info *info);
eng_crypt_kind eng_crypt_armor(const unsigned char *d, size_t n, sg_buf *out,
			       eng_crypt_info *info);
bool eng_crypt_encrypted(const unsigned char *d, size_t n);

#endif
