/*
 * NAME
 *	null_milter - a milter that does nothing, for tests/bench/targets.sh
 * SYNOPSIS
 *	null-milter -c SENDGUARD.CONF [-f]
 * DESCRIPTION
 *	Listens on the [milter] socket of the configuration (read by the
 *	milter's own loader, sg_conf), negotiates
 *	the protocol steps and actions sendguard asks for
 *	(daemon/mlt_steps.h), reads every packet through the same protocol
 *	code (mp_proto, mp_server), adds the X-Sendguard header sendguard
 *	adds by default, and accepts. It scans, stores and logs nothing:
 *	the rate Postfix reaches through it is the most any milter asking
 *	for these steps can reach on the machine, so the bench can tell
 *	Postfix's milter client from sendguard's own work. -f is accepted
 *	and ignored (it always stays in the foreground). Stops on SIGTERM.
 *	Not installed; a bench tool.
 */
#include "daemon/mlt_steps.h"
#include "daemon/mp.h"
#include "util/sg_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static mp_status null_eom(mp_ctx *c)
{
	return mp_addheader(c, "X-Sendguard", "accept") == 0 ? MP_CONTINUE : MP_TEMPFAIL;
}

int main(int argc, char **argv)
{
	mp_desc d = { .negotiate = mlt_steps_negotiate, .eom = null_eom,
		      .timeout = 300, .max_packet = 1048575 /* as the milter */ };
	const char *path = NULL;
	char *sock, *slash;
	sg_conf *conf;
	sg_buf err;
	int fd, opt, rc;

	while ((opt = getopt(argc, argv, "c:f")) != -1) {
		if (opt == 'c')
			path = optarg;
		else if (opt != 'f')
			return 2;
	}
	if (path == NULL) {
		fprintf(stderr, "null-milter: usage: null-milter -c CONF\n");
		return 2;
	}
	/* The milter's own loader: the same socket the milter would use. */
	sg_buf_init(&err, 4096);
	if ((conf = sg_conf_load(path, &err)) == NULL) {
		fprintf(stderr, "null-milter: %s\n", sg_buf_cstr(&err));
		return 78;
	}
	sock = strdup(SG_CONF_STR(conf, milter_socket));
	sg_conf_free(conf);
	if (sock == NULL)
		return 71;
	/* Postfix's user connects to a unix socket: the bench runs this
	 * as root, so the socket is made for everyone. */
	if (strncmp(sock, "unix:", 5) == 0 && (slash = strrchr(sock, '/')) != NULL) {
		*slash = '\0';
		if (mkdir(sock + 5, 0755) < 0 && errno != EEXIST)
			fprintf(stderr, "null-milter: mkdir %s: %s\n", sock + 5, strerror(errno));
		*slash = '/';
	}
	umask(0);
	fd = mp_open(sock, 1024, &err);
	if (fd < 0) {
		fprintf(stderr, "null-milter: %s\n", sg_buf_cstr(&err));
		return 1;
	}
	rc = mp_run(fd, &d);
	sg_buf_free(&err);
	free(sock);
	return rc;
}
