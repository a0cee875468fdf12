/*
 * NAME
 *	fuzz_pdf - the PDF encryption probe
 * DESCRIPTION
 *	eng_pdf_check() on the raw file: qpdf's C API, the /Encrypt
 *	dictionary, whether an empty user password opens it, across xref
 *	streams and incremental updates. Seeds: the .pdf fixtures.
 */
#include "fz.h"
#include "engine/eng_pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sg_buf why;

	sg_buf_init(&why, 4096);
	eng_pdf_check(data, size, &why);
	sg_buf_free(&why);
	return 0;
}
