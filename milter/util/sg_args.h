/*
 * NAME
 *	sg_args - the command line shared by the daemons
 * SYNOPSIS
 *	PROG [-c CONF] [-f] [--check] [--version] [-h]
 * DESCRIPTION
 *	sendguard-milter and sendguard-web take the same options, so they
 *	read them the same way. sg_daemon_args() returns -1 when the daemon
 *	should go on, else the exit status to return at once (0 after
 *	--help or --version, 64 after a usage error, said on stderr).
 */
#ifndef SG_ARGS_H
#define SG_ARGS_H

#include <stdbool.h>
#include <stdio.h>

#define SG_DEFAULT_CONF "/etc/sendguard/sendguard.conf"

typedef struct sg_daemon_opts {
	const char *conf_path;
	bool foreground;	/* -f */
	bool check;		/* --check: validate and exit */
} sg_daemon_opts;

int sg_daemon_args(int argc, char **argv, const char *prog,
		   void (*usage)(FILE *fp), sg_daemon_opts *o);

#endif
