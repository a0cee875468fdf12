/*
 * NAME
 *	eng_xml - a tolerant XML tokenizer for Office documents
 * SYNOPSIS
 *	#include "engine/eng_xml.h"
 * DESCRIPTION
 *	eng_xml_next() returns the next token of x[0..len) from *pos:
 *	character data (entities not decoded), or a tag with its local
 *	name (namespace prefix dropped) and its attribute text. Comments,
 *	processing instructions and doctypes are skipped; CDATA is text.
 *	Broken XML is read as far as it goes: an unclosed tag ends the
 *	input. Every call advances *pos, so a loop over it is bounded by
 *	len.
 *
 *	eng_xml_is() compares a tag's local name. eng_xml_attr() copies
 *	the raw value of an attribute (name with its prefix, as written:
 *	"table:name") into out; eng_xml_attr_text() decodes its entities.
 *	eng_xml_put_text() appends character data with entities decoded
 *	(an unknown entity stays as written).
 *
 *	eng_xml_text() (declared in eng_content.h) turns the XML of a docx,
 *	pptx or ODF member into lines of text: paragraphs, rows, comments
 *	and text boxes are lines, table cells tabs; field codes, formulas,
 *	phonetic guides and the fallback copy of a text box (mc:Fallback)
 *	are left out; an ODF spreadsheet's table names are lines, and a
 *	date cell without displayed text gives its office:date-value.
 * DIAGNOSTICS
 *	eng_xml_put_text() and eng_xml_text() return 0, or -1 when out
 *	reached its maximum.
 */
#ifndef ENG_XML_H
#define ENG_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "util/sg_buf.h"

typedef enum { XT_TEXT, XT_OPEN, XT_CLOSE, XT_EMPTY } xt_type;

typedef struct xml_tok {
	xt_type type;
	const char *s;		/* text, or the tag's local name */
	size_t n;
	const char *attrs;	/* tags: what follows the name */
	size_t nattrs;
} xml_tok;

bool eng_xml_next(const char *x, size_t len, size_t *pos, xml_tok *t);
bool eng_xml_is(const xml_tok *t, const char *name);
bool eng_xml_attr(const xml_tok *t, const char *name, sg_buf *out);
bool eng_xml_attr_text(const xml_tok *t, const char *name, sg_buf *out);
int eng_xml_put_text(const char *s, size_t n, sg_buf *out);

#endif
