/*
 * NAME
 *	eng_office - Office files: password encryption and VBA macros
 * SYNOPSIS
 *	#include "engine/eng_office.h"
 * DESCRIPTION
 *	eng_office_ole() reads an OLE compound file from memory with libgsf
 *	and says what POLICY.md needs of it:
 *	- encrypted: an OOXML file encrypted with a password (streams
 *	  EncryptionInfo and EncryptedPackage); a .doc whose FIB has
 *	  fEncrypted; a .xls whose Workbook stream has a FILEPASS record; a
 *	  .ppt whose CurrentUserAtom carries the encrypted header token.
 *	  A .doc/.xls encrypted with the well-known default password
 *	  "VelvetSweatshop" opens without asking for one, so it is not
 *	  encrypted (default_password is set): the stored verifier is
 *	  checked against that password for RC4, RC4 CryptoAPI and XOR
 *	  obfuscation (MS-OFFCRYPTO 2.3.5-2.3.7; MD5, SHA-1 and RC4 from
 *	  nettle). The same holds for encrypted OOXML, which Excel also
 *	  opens silently with that password: ECMA-376 agile (4.4, AES and
 *	  SHA-1/SHA-2, spinCount up to 1,000,000 tried; more counts as
 *	  encrypted unchecked) and standard (x.2 with AES, SHA-1, 50000
 *	  rounds) verifiers are checked too (2.3.4.7-2.3.4.13).
 *	- vba: a VBA project storage ("Macros" in Word, "_VBA_PROJECT_CUR"
 *	  in Excel, "VBA" in a bare vbaProject.bin or PowerPoint).
 *	- mime: the kind of document, for the inventory.
 *
 *	eng_odf_encrypted() is true when an ODF package's manifest has
 *	encryption-data (a password-protected ODF file).
 * DIAGNOSTICS
 *	eng_office_ole() returns 0, or -1 when libgsf cannot read the
 *	compound file (the caller reports a scan limit).
 *
 *	eng_ole_embedded() reads the file an embedded OLE object carries
 *	(a docx's word/embeddings/oleObject1.bin): the packaged file of an
 *	Ole10Native stream (Word's "Package" object: any file dropped
 *	into a document, its label into name), the document of a
 *	"Package" stream, or a "CONTENTS" stream. The stream is read only
 *	when it fits out's maximum (the caller's budget). Returns 0 with
 *	the file in out, 1 when it does not fit, -1 when the stream
 *	cannot be read or parsed, -2 when the object carries none of
 *	these.
 */
#ifndef ENG_OFFICE_H
#define ENG_OFFICE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/sg_buf.h"

typedef struct eng_office_info {
	bool encrypted;
	bool default_password;	/* encrypted with VelvetSweatshop: opens */
	bool vba;
	bool unreadable;	/* a stream that decides it could not be read,
				 * or libgsf refused part of the file */
	unsigned long long read;	/* stream bytes read (bounded heads) */
	const char *mime;	/* static string */
	const char *method;	/* "ECMA-376 agile", "RC4", ... or NULL */
} eng_office_info;

int eng_office_ole(const unsigned char *data, size_t len, eng_office_info *out);
bool eng_odf_encrypted(const unsigned char *data, size_t len);
int eng_ole_embedded(const unsigned char *data, size_t len, sg_buf *out, sg_buf *name);

#endif
