/*
 * NAME
 *	fuzz_pdf - the PDF encryption probe
 * DESCRIPTION
 *	eng_pdf_open_cost() (the count of what qpdf would inflate), then
 *	eng_pdf_check() on the raw file: qpdf's C API, the /Encrypt
 *	dictionary, whether an empty user password opens it, across xref
 *	streams and incremental updates. Seeds: the .pdf fixtures.
 */
#include "fz.h"
#include "engine/eng_pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long long used;
	sg_buf why;

	/* As the scan does: qpdf only gets what the count lets through
	 * (1 MiB here, so that an inflation bomb the fuzzer writes is
	 * stopped by the count, not by the fuzzer's memory limit). */
	if (eng_pdf_open_cost(data, size, 1 << 20, &used) != ENG_PDF_COUNT_OK)
		return 0;
	sg_buf_init(&why, 4096);
	eng_pdf_check(data, size, &why);
	sg_buf_free(&why);
	return 0;
}
