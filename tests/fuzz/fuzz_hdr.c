/*
 * NAME
 *	fuzz_hdr - header value and file-name decoding
 * DESCRIPTION
 *	eng_hdr_param() (RFC 2231 continuations and charsets, RFC 2047 in
 *	quoted names, Outlook's raw CP932), eng_hdr_decode() (RFC 2047
 *	encoded words) and eng_hdr_value_token() on one raw header value,
 *	as eng_mime.c calls them for Content-Type and Content-Disposition.
 */
#include "fz.h"
#include "engine/eng_hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const params[] = { "filename", "name", "charset",
					      "boundary" };
	const char *raw = (const char *)data;
	sg_buf out;

	/* The engine hands header values as C strings: the same here, so
	 * that a NUL cuts the value exactly where GMime would. */
	sg_buf_init(&out, 1024 * 1024);
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		sg_buf_reset(&out);
		eng_hdr_param(raw, size, params[i], &out);
	}
	sg_buf_reset(&out);
	eng_hdr_decode(raw, size, &out);
	sg_buf_reset(&out);
	eng_hdr_value_token(raw, size, &out);
	sg_buf_free(&out);
	return 0;
}
