/*
 * NAME
 *	sg_args - the command line shared by the daemons (see sg_args.h)
 */
#include "util/sg_args.h"

#include <string.h>

int sg_daemon_args(int argc, char **argv, const char *prog,
		   void (*usage)(FILE *fp), sg_daemon_opts *o)
{
	o->conf_path = SG_DEFAULT_CONF;
	o->foreground = o->check = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("%s %s\n", prog, SG_VERSION);
			return 0;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			o->conf_path = argv[++i];
		} else if (strcmp(argv[i], "-f") == 0) {
			o->foreground = true;
		} else if (strcmp(argv[i], "--check") == 0) {
			o->check = true;
		} else {
			fprintf(stderr, "%s: unknown argument: %s\n", prog, argv[i]);
			usage(stderr);
			return 64;
		}
	}
	return -1;
}
