/*
 * NAME
 *	fuzz_charset - charset decoding, HTML to text, NFKC
 * DESCRIPTION
 *	The first byte picks the declared charset (the ones Japanese
 *	clients write, a lying one, none); the rest is the text. Then
 *	what eng_mime.c does with a body: HTML to text and NFKC.
 */
#include "fz.h"
#include "engine/eng_charset.h"
#include "engine/eng_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const cs[] = {
		NULL, "utf-8", "iso-2022-jp", "shift_jis", "cp932", "euc-jp",
		"utf-16", "utf-16le", "utf-16be", "iso-8859-1", "us-ascii",
		"x-unknown", "windows-31j", "iso-2022-jp-3", "utf-7", "",
	};
	sg_buf utf8, text, norm;

	if (size == 0)
		return 0;
	sg_buf_init(&utf8, 1024 * 1024);
	sg_buf_init(&text, 1024 * 1024);
	sg_buf_init(&norm, 1024 * 1024);
	eng_cs_to_utf8(cs[data[0] % (sizeof(cs) / sizeof(cs[0]))], data + 1,
		       size - 1, &utf8);
	eng_cs_is_utf8(data + 1, size - 1);
	eng_html_to_text(sg_buf_cstr(&utf8), utf8.len, &text);
	eng_text_normalize(sg_buf_cstr(&text), text.len, &norm);
	sg_buf_free(&utf8);
	sg_buf_free(&text);
	sg_buf_free(&norm);
	return 0;
}
