/*
 * NAME
 *	sendguard-milter - the milter daemon (Postfix, Sendmail)
 * DESCRIPTION
 *	The libmilter glue arrives with the milter issue; until then this
 *	program checks its configuration and rules like the daemon will,
 *	so that an installation can be validated, and says it is not yet
 *	a milter.
 */
#include "engine/eng.h"
#include "util/sg_conf.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *path = "/etc/sendguard/sendguard.conf";
	sg_buf err;
	sg_conf *conf;
	eng_engine *eng;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("sendguard-milter %s\n", SG_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
	}
	sg_buf_init(&err, 8192);
	if ((conf = sg_conf_load(path, &err)) == NULL ||
	    (eng = eng_engine_new(conf, &err)) == NULL) {
		fprintf(stderr, "sendguard-milter: configuration error: %s\n",
			sg_buf_cstr(&err));
		sg_conf_free(conf);
		sg_buf_free(&err);
		return 78;
	}
	eng_engine_free(eng);
	sg_conf_free(conf);
	sg_buf_free(&err);
	printf("sendguard-milter %s: configuration and rules are valid; "
	       "the milter protocol is not built yet\n", SG_VERSION);
	return 0;
}
