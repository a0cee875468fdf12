/*
 * NAME
 *	ctl_config - `sendguardctl config`: the effective configuration
 * DESCRIPTION
 *	Prints every key with its value and where the value came from (a
 *	line of the file, or the default), as a valid configuration file.
 *	--reference prints the Markdown table of every key for README.
 */
#include "ctl/ctl.h"

#include <stdio.h>
#include <string.h>

void ctl_config_help(void)
{
	printf("usage: sendguardctl [-c CONF] config [--reference]\n"
	       "\n"
	       "Print the effective configuration: every key, its value, and the\n"
	       "file line it came from or \"default\". The output is itself a valid\n"
	       "sendguard.conf. 有効な設定 (既定値を含む) を表示します。\n"
	       "\n"
	       "  --reference  print the reference table of every key (Markdown),\n"
	       "               without reading a configuration file\n");
}

int ctl_config(const char *conf_path, int argc, char **argv)
{
	sg_conf *conf;

	if (argc == 1 && strcmp(argv[0], "--reference") == 0) {
		sg_conf_print_reference(stdout);
		return 0;
	}
	if (argc > 0) {
		fprintf(stderr, "sendguardctl config: unexpected argument: %s\n", argv[0]);
		return CTL_EX_USAGE;
	}
	if ((conf = ctl_load_conf(conf_path)) == NULL)
		return CTL_EX_CONFIG;
	sg_conf_print(conf, stdout);
	sg_conf_free(conf);
	return 0;
}
