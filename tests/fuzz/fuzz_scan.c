/*
 * NAME
 *	fuzz_scan - the whole engine on one message
 * DESCRIPTION
 *	eng_scan() with the shipped rules, as the milter calls it, for an
 *	external recipient (so that every content rule runs), and both
 *	output forms, which walk every finding and attachment the scan
 *	made. Seeds: the .eml files of tests/fixtures and tests/corpus.
 */
#include "fz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const rcpts[] = { "t.yamada@sakura-sys.example",
					     "kacho@example.lg.jp" };
	const eng_envelope env = { "tanaka@example.lg.jp", rcpts, 2, NULL, NULL };
	eng_result res;
	sg_buf out;

	if (eng_scan(fz_engine(), &env, data, size, &res) == 0) {
		sg_buf_init(&out, SG_BUF_UNLIMITED);
		eng_result_json(&res, &out);
		eng_result_text(&res, &out);
		sg_buf_free(&out);
	}
	eng_result_free(&res);
	return 0;
}
