/*
 * NAME
 *	eng_pdf - does a PDF need a password to open?
 * DESCRIPTION
 *	See eng_pdf.h. qpdf reads the trailer chain and the encryption
 *	dictionary when it opens the file, and checks the password then;
 *	objects are loaded lazily, so this costs little even for a big PDF.
 */
#include "engine/eng_pdf.h"

#include <qpdf/qpdf-c.h>

eng_pdf_status eng_pdf_check(const unsigned char *data, size_t len, sg_buf *why)
{
	qpdf_data q = qpdf_init();
	eng_pdf_status st;
	int rc;

	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	rc = qpdf_read_memory(q, "attachment", (const char *)data,
			      (unsigned long long)len, "");
	if (rc & QPDF_ERRORS) {
		qpdf_error e = qpdf_get_error(q);
		enum qpdf_error_code_e code = e ? qpdf_get_error_code(q, e) : qpdf_e_internal;

		if (code == qpdf_e_password) {
			st = ENG_PDF_ENCRYPTED;
		} else {
			st = ENG_PDF_UNREADABLE;
			if (e)
				sg_buf_puts(why, qpdf_get_error_message_detail(q, e));
		}
	} else {
		st = qpdf_is_encrypted(q) ? ENG_PDF_OWNER_ONLY : ENG_PDF_PLAIN;
	}
	/* Warnings (recovered damage) are dropped with the object. */
	while (qpdf_more_warnings(q))
		(void)qpdf_next_warning(q);
	qpdf_cleanup(&q);
	return st;
}
