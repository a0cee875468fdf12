/*
 * NAME
 *	sg_test_eng - scan a message through the whole engine in a test
 * DESCRIPTION
 *	sg_test_scan() writes conf_text to a temporary file, loads it and
 *	its rules as the milter would, scans msg into *res (freed first)
 *	and cleans up. Any failure to load is a test failure with the
 *	loader's message.
 */
#ifndef SG_TEST_ENG_H
#define SG_TEST_ENG_H

#include "sg_test.h"
#include "engine/eng.h"

static inline void sg_test_scan(const char *conf_text, const eng_envelope *env,
				const void *msg, size_t len, eng_result *res)
{
	char *path = sg_test_write(conf_text);
	sg_buf err;
	sg_conf *conf;
	eng_engine *eng;

	sg_buf_init(&err, 8192);
	conf = sg_conf_load(path, &err);
	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	eng = eng_engine_new(conf, &err);
	ck_assert_msg(eng != NULL, "%s", sg_buf_cstr(&err));
	eng_result_free(res);
	ck_assert_int_eq(eng_scan(eng, env, msg, len, res), 0);
	eng_engine_free(eng);
	sg_conf_free(conf);
	sg_buf_free(&err);
	unlink(path);
	free(path);
}

/* conf_text of `base` + `extra` with [rules] dir = the tree's rules. */
static inline char *sg_test_conf_join(const char *base, const char *extra)
{
	char body[4096];

	snprintf(body, sizeof(body), "%s%s", base, extra ? extra : "");
	return sg_test_conf_text(body);
}

#endif
