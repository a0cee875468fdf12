/*
 * NAME
 *	eng_content - readable text of an attachment, for the detectors
 * SYNOPSIS
 *	#include "engine/eng_content.h"
 * DESCRIPTION
 *	eng_content_text() (declared in eng_int.h, the entry point for the
 *	walk and the archive reader) extracts the text of one file and
 *	runs the classification markings and the personal-data detectors
 *	over it, with `where` naming the file.
 *
 *	Read: plain text, CSV and TSV in any charset eng_cs_to_utf8 can
 *	guess (CP932 is the common case), HTML, OOXML (docx body, headers,
 *	footers, notes, comments and text boxes; xlsx through eng_xlsx:
 *	every sheet row by row with tab-separated cells so that a header
 *	row is a line, dates through cell formats, sheet names, print
 *	headers and footers, comments, drawings; pptx slides, notes,
 *	masters and comments) and ODF content.xml and styles.xml, both
 *	through libarchive from memory. XML becomes text with paragraphs
 *	and rows as lines, cells as tabs, entities decoded (eng_xml).
 *	A ZIP document package that lacks its main member is a scan limit.
 *
 *	Not read here: PDF, legacy binary Office (.doc/.xls/.ppt), images,
 *	and ordinary archives (those are walked by eng_archive, which calls
 *	back here for each entry).
 *
 *	eng_xml_text() and eng_xlsx_text() are the converters, exported for
 *	the unit tests.
 * DIAGNOSTICS
 *	Text beyond [limits] max_text_size, or a document member that
 *	cannot be read to its end, is a scan-limit finding naming the file.
 *	The converters return 0, or -1 when out reached its maximum.
 */
#ifndef ENG_CONTENT_H
#define ENG_CONTENT_H

#include <stddef.h>

#include "util/sg_buf.h"

int eng_xml_text(const char *xml, size_t len, sg_buf *out);
/* shared: xl/sharedStrings.xml (may be empty); sheet: one worksheet. */
int eng_xlsx_text(const char *shared, size_t slen, const char *sheet,
		  size_t len, sg_buf *out);

#endif
