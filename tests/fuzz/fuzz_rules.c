/*
 * NAME
 *	fuzz_rules - loading the rule files
 * DESCRIPTION
 *	The input is three rule files separated by NUL bytes:
 *	classification, personal-data, dangerous-extensions (a missing
 *	part is an empty file); consumer-domains and surnames are the shipped
 *	ones. They
 *	go into a temporary rules directory and eng_engine_new() loads
 *	them, as the milter does at start and on SIGUSR1. A bad file must
 *	be an error naming file and line, never a crash. The engine that
 *	loads is also run on one small message, so that what a rule
 *	compiles to is used at least once.
 */
#include "fz.h"

#include <stdio.h>
#include <string.h>

static const char *const fz_files[] = { "classification", "personal-data",
					"dangerous-extensions" };

static void fz_split(const uint8_t *data, size_t size)
{
	size_t off = 0;

	for (size_t i = 0; i < 3; i++) {
		const uint8_t *end = off < size ? memchr(data + off, 0, size - off) : NULL;
		size_t n = off >= size ? 0 : end ? (size_t)(end - (data + off)) : size - off;

		fz_write(fz_files[i], data + off, n);
		off += n + 1;
	}
}

static void fz_try(const eng_engine *eng)
{
	static const char msg[] =
		"From: a@example.lg.jp\r\nTo: b@sakura-sys.example\r\n"
		"Subject: =?UTF-8?B?5qmf5a+G5oCn77ySIOWAi+S6uueVquWPtw==?=\r\n\r\n"
		"個人番号 1234 5678 9018 機密性2 report.pdf.exe\r\n";
	static const char *const rcpts[] = { "b@sakura-sys.example" };
	const eng_envelope env = { "a@example.lg.jp", rcpts, 1, NULL, NULL };
	eng_result res;

	eng_scan(eng, &env, msg, sizeof(msg) - 1, &res);
	eng_result_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char rules[4096], conf_path[4096];
	sg_conf *conf;
	eng_engine *eng;
	sg_buf err;

	if (rules[0] == '\0') {
		FILE *in, *out;
		char line[4096];

		snprintf(rules, sizeof(rules), "%s", fz_dir());
		snprintf(conf_path, sizeof(conf_path), "%s",
			 fz_write("rules.conf", fz_conf_text(rules), strlen(fz_conf_text(rules))));
		for (int i = 0; i < 2; i++) {
			static const char *const shipped[] = { "consumer-domains", "surnames" };
			char src[4096];

			snprintf(src, sizeof(src), "%s/rules/%s", SG_FUZZ_SRCDIR, shipped[i]);
			in = fopen(src, "r");
			out = fopen(fz_write(shipped[i], "", 0), "w");
			while (in && out && fgets(line, sizeof(line), in))
				fputs(line, out);
			if (in)
				fclose(in);
			if (out)
				fclose(out);
		}
	}
	fz_split(data, size);
	sg_buf_init(&err, 4096);
	conf = sg_conf_load(conf_path, &err);
	eng = conf ? eng_engine_new(conf, &err) : NULL;
	if (eng)
		fz_try(eng);
	eng_engine_free(eng);
	sg_conf_free(conf);
	sg_buf_free(&err);
	return 0;
}
