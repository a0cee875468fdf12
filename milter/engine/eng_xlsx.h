/*
 * NAME
 *	eng_xlsx - the text of an xlsx workbook as a person reads it
 * SYNOPSIS
 *	#include "engine/eng_xlsx.h"
 * DESCRIPTION
 *	eng_xlsx_book_new() reads the parts that every sheet needs: shared
 *	strings (xl/sharedStrings.xml), cell formats (xl/styles.xml) and
 *	the workbook (xl/workbook.xml: sheet names, workbookPr date1904).
 *	Any of them may be NULL.
 *
 *	eng_xlsx_sheet() writes one worksheet as lines: a row a line,
 *	cells separated by tabs; then the print header and footer
 *	(headerFooter: &L, &C and &R sections each a line, field codes
 *	such as &P or &"font" dropped). A number cell is a date only
 *	through its style (s -> cellXfs -> numFmtId): the built-in date
 *	formats 14-22 and the Japanese ones 27-36 and 50-58, or a custom
 *	numFmt whose code has date letters (y, m without h or s, d, g, e);
 *	it is written 1983/04/12, or 昭和58年4月12日 when the format shows
 *	the Japanese era (g, or e under [$-411]); date1904 moves the
 *	epoch. Other numbers are written as stored (1.2E+11 spelled out
 *	when it is an integer).
 *
 *	eng_xlsx_names() writes the sheet names, one a line (a sheet
 *	named 機密性3 marks the workbook).
 *
 *	eng_xlsx_date() writes serial day `serial` of the 1900 or 1904
 *	system, Gregorian or with the era; exported for the unit tests.
 * DIAGNOSTICS
 *	The writers return 0, or -1 when out reached its maximum.
 *	eng_xlsx_date() returns -1 also for a serial outside 1..2958465
 *	(out untouched).
 */
#ifndef ENG_XLSX_H
#define ENG_XLSX_H

#include <stdbool.h>
#include <stddef.h>

#include "util/sg_buf.h"

typedef struct eng_xlsx_book eng_xlsx_book;

eng_xlsx_book *eng_xlsx_book_new(const char *shared, size_t slen, const char *styles,
				 size_t stlen, const char *workbook, size_t wlen,
				 size_t max);
int eng_xlsx_sheet(const eng_xlsx_book *b, const char *sheet, size_t len, sg_buf *out);
int eng_xlsx_names(const eng_xlsx_book *b, sg_buf *out);
void eng_xlsx_book_free(eng_xlsx_book *b);
int eng_xlsx_date(double serial, bool date1904, bool era, sg_buf *out);

#endif
