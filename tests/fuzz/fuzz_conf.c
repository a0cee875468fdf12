/*
 * NAME
 *	fuzz_conf - loading sendguard.conf
 * DESCRIPTION
 *	sg_conf_load() on the input as a file (our own INI reader: 4 KiB
 *	lines, typed values, free-form [approvers]), then every accessor
 *	and the printer over what it loaded. Seeds: conf/sendguard.conf.
 */
#include "fz.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fz_write("fuzz.conf", data, size);
	sg_buf err;
	sg_conf *conf;

	sg_buf_init(&err, 4096);
	conf = sg_conf_load(path, &err);
	if (conf) {
		FILE *null = fopen("/dev/null", "w");
		size_t n;

		sg_conf_list(conf, "policy", "internal_domains", &n);
		sg_conf_count_entries(conf, "approvers");
		free(sg_conf_path(conf, "rules", "dir"));
		if (null) {
			sg_conf_print(conf, null);
			fclose(null);
		}
	}
	sg_conf_free(conf);
	sg_buf_free(&err);
	return 0;
}
