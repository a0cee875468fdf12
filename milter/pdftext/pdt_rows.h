/*
 * NAME
 *	pdt_rows - a page's text in visual rows, from its glyph boxes
 * SYNOPSIS
 *	#include "pdftext/pdt_rows.h"
 *
 *	bool pdt_rows(const char *const *at, const PopplerRectangle *r,
 *		      guint n, GString *out)
 * DESCRIPTION
 *	at[0..n] are the starts of the n characters of a page's text as
 *	poppler_page_get_text gives it (at[n] its end), r[i] the box of
 *	character i (poppler_page_get_text_layout). Appends to out the
 *	page's text rebuilt as a reader sees it: one line per visual row,
 *	top to bottom, left to right, cells of a table separated by a tab,
 *	and the wrapped lines of a table cell joined back into their cell.
 *	Returns false, appending nothing, for a page written mostly
 *	vertically (縦書き), whose rows are columns: the caller keeps
 *	poppler's own order for it.
 */
#ifndef PDT_ROWS_H
#define PDT_ROWS_H

#include <poppler.h>
#include <stdbool.h>

bool pdt_rows(const char *const *at, const PopplerRectangle *r, guint n,
	      GString *out);

#endif
