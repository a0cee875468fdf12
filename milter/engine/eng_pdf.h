/*
 * NAME
 *	eng_pdf - does a PDF need a password to open?
 * SYNOPSIS
 *	#include "engine/eng_pdf.h"
 * DESCRIPTION
 *	eng_pdf_check() opens the PDF from memory with libqpdf's C API and
 *	the empty user password, as a reader would: qpdf follows
 *	cross-reference streams and incremental updates (the /Encrypt of
 *	the last trailer is the one that counts), which a byte search for
 *	"/Encrypt" gets wrong both ways.
 *	- ENG_PDF_PLAIN: not encrypted;
 *	- ENG_PDF_OWNER_ONLY: encrypted, but the empty user password opens
 *	  it (an owner password only restricts printing or copying):
 *	  unencrypted under POLICY.md;
 *	- ENG_PDF_ENCRYPTED: a user password is needed;
 *	- ENG_PDF_UNREADABLE: qpdf could not read it even with recovery
 *	  (why says what it said): a scan limit.
 *	qpdf's errors and warnings are silenced and collected, never
 *	printed; its exceptions stay inside the C API.
 */
#ifndef ENG_PDF_H
#define ENG_PDF_H

#include <stddef.h>

#include "util/sg_buf.h"

typedef enum {
	ENG_PDF_PLAIN,
	ENG_PDF_OWNER_ONLY,
	ENG_PDF_ENCRYPTED,
	ENG_PDF_UNREADABLE
} eng_pdf_status;

eng_pdf_status eng_pdf_check(const unsigned char *data, size_t len, sg_buf *why);

#endif
