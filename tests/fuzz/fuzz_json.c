/*
 * NAME
 *	fuzz_json - util's JSON reader and the DSN check
 * DESCRIPTION
 *	sg_json_valid() and sg_json_each() (every layer reads the store's
 *	JSON and `postqueue -j` lines through it) on the input as it is,
 *	with the keys callers ask for and with keys taken from the input;
 *	each value handed to the callback is read to its end (ASan sees an
 *	unterminated one) and, when it looks like JSON, read again as an
 *	array, as rel_report.c and rel_preview.c do with nested values.
 *	sg_dsn_check() on the input as a connection string.
 */
#include "fz.h"
#include "util/sg_dsn.h"
#include "util/sg_json.h"

#include <stdlib.h>
#include <string.h>

static size_t fz_sink;

static void fz_json_cb(const char *const *vals, const char *elem, void *ctx)
{
	int depth = *(int *)ctx;

	for (size_t i = 0; i < 4; i++)
		if (vals[i] != NULL)
			fz_sink += strlen(vals[i]);
	if (elem != NULL) {
		fz_sink += strlen(elem);
		if (depth < 2 && (elem[0] == '[' || elem[0] == '{')) {
			int d = depth + 1;
			static const char *const keys[4] = { "a", "path", "name", "entries" };

			(void)sg_json_each(elem, keys, 4, 64, fz_json_cb, &d);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[4] = { "verdict", "approver", "checked", "at" };
	char *text = malloc(size + 1);
	int depth = 0;
	sg_buf why;

	memcpy(text, data, size);
	text[size] = '\0';
	(void)sg_json_valid(text, size);
	(void)sg_json_each(text, keys, 4, 1000, fz_json_cb, &depth);
	/* Keys from the input: the first line's words. */
	{
		const char *k[4] = { "", "", "", "" };
		char *dup = strdup(text), *save = NULL, *w;
		size_t n = 0;

		for (w = strtok_r(dup, " \n", &save); w != NULL && n < 4;
		     w = strtok_r(NULL, " \n", &save))
			k[n++] = w;
		(void)sg_json_each(text, k, 4, 1000, fz_json_cb, &depth);
		free(dup);
	}
	sg_buf_init(&why, 1024);
	(void)sg_dsn_check(text, &why);
	sg_buf_free(&why);
	free(text);
	return 0;
}
