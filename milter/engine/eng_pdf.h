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
 *
 *	eng_pdf_open_cost() tells, before qpdf runs, how many bytes qpdf
 *	would inflate in the caller's memory when it opens the file and
 *	resolves its objects: the data of cross-reference streams (/Type
 *	/XRef, read at open) and object streams (/ObjStm), found by their
 *	dictionaries (name escapes undone), inflated here into nothing
 *	but a count that stops past cap. qpdf cannot be interrupted or
 *	bounded, so a PDF whose count is over the caller's budget
 *	(ENG_PDF_COUNT_OVER), or whose such stream has a filter other
 *	than /FlateDecode (ENG_PDF_COUNT_FILTER: ASCIIHex, LZW, chains
 *	could multiply it unseen; no real writer uses them there), is
 *	not handed to qpdf: the caller holds it as a scan limit. The text
 *	is read by a worker process (milter/pdfpool), under its own memory
 *	and CPU limits.
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

typedef enum {
	ENG_PDF_COUNT_OK,
	ENG_PDF_COUNT_OVER,
	ENG_PDF_COUNT_FILTER
} eng_pdf_count;

eng_pdf_status eng_pdf_check(const unsigned char *data, size_t len, sg_buf *why);
eng_pdf_count eng_pdf_open_cost(const unsigned char *data, size_t len,
				unsigned long long cap, unsigned long long *bytes);

#endif
