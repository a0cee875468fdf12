/*
 * NAME
 *	eng_pdftext - the text of a PDF, as the detectors read it
 * SYNOPSIS
 *	#include "engine/eng_pdftext.h"
 * DESCRIPTION
 *	The engine reads no PDF itself: the reader is the caller's
 *	(eng.h, eng_engine_set_pdf_reader; the milter's and sendguardctl's
 *	is the worker pool of milter/pdfpool). An engine without a reader
 *	cannot read PDF text, and says so (scan-limit pdf-extractor):
 *	never an accept of what was not read.
 *
 *	eng_pdf_text() reads the text of one PDF that opens without a
 *	password (eng_pdf_check() said plain or owner password only) and
 *	runs the detectors of every attachment's text over it
 *	(eng_content_detect_text), `where` the file; a marking's finding
 *	names the first page it is on (報告書.pdf#page=2, the PDF open
 *	parameter every reader understands). It sets the attachment's
 *	inventory note when no page has text but pages draw images (a
 *	scan: "画像のみ / image only"), so that the approver knows nothing
 *	was read; that alone is not a finding (POLICY.md).
 *
 *	Every cut is a scan-limit finding on the file: pdf-pages (more than
 *	max_pdf_pages pages), pdf-text-size (more than max_text_size bytes
 *	of text), pdf-timeout (the reading passed pdf_timeout, or its CPU
 *	limit), pdf-crash (the reader died, a poppler crash or its memory
 *	limit, or gave pages that were not asked for), pdf-unreadable
 *	(poppler could not open it), pdf-extractor (no reader, or none
 *	could take it before the scan's own deadline).
 */
#ifndef ENG_PDFTEXT_H
#define ENG_PDFTEXT_H

#include "engine/eng_int.h"

void eng_pdf_text(eng_ctx *ctx, eng_attachment *node, const unsigned char *data,
		  size_t len);

#endif
