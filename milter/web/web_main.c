/*
 * NAME
 *	sendguard-web - the approval web page
 * SYNOPSIS
 *	sendguard-web [-c CONF] [-f] [--check]
 * DESCRIPTION
 *	Serves the approval page (web.h) on [web] listen, by default
 *	127.0.0.1:8025, behind the organisation's reverse proxy with TLS.
 *	Started as root (systemd), it first becomes [web] user, or the
 *	store's owner when that is empty (or [milter] user before a store
 *	exists), so that the store, its -wal and -shm files stay the
 *	milter's; it never serves as root (ARCHITECTURE.md, least
 *	privilege). The queue is never touched here: `sendguardctl apply`
 *	does that as root.
 *
 *	-f stays in the foreground and logs to stderr as well. --check
 *	loads the configuration and exits. A trusted_user_header without a
 *	proxy that can prove itself (proxy_secret_file, or a unix socket
 *	with proxy_uid) is a configuration error (78). SIGTERM and SIGINT stop it;
 *	key rotation needs no signal (web_app.c).
 * DIAGNOSTICS
 *	Exit 0 after a clean stop, 64 usage, 71 cannot switch user or
 *	listen, 77 would run as root, 78 configuration (store or keys).
 */
#include "web/web.h"
#include "util/sg_args.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define WEB_EX_USAGE 64
#define WEB_EX_OSERR 71
#define WEB_EX_NOPERM 77
#define WEB_EX_CONFIG 78

static void web_usage(FILE *fp)
{
	fprintf(fp, "usage: sendguard-web [-c CONF] [-f] [--check]\n"
		"\n"
		"The approval web page of sendguard: approvers see held mail and\n"
		"approve or reject it; senders withdraw their own. Listens on [web]\n"
		"listen (default 127.0.0.1:8025) behind a reverse proxy with TLS.\n"
		"保留メールの承認ページを提供します。\n"
		"\n"
		"  -c CONF    configuration (default /etc/sendguard/sendguard.conf)\n"
		"  -f         stay in the foreground, log to stderr as well\n"
		"  --check    check the configuration and exit\n"
		"\n"
		"exit status: 0 stopped, 64 usage, 71 cannot listen or switch user,\n"
		"77 refuses to run as root, 78 configuration error.\n");
}

/* The account to run as: [web] user, else the store's owner, else
 * [milter] user (before the milter made the store). */
static struct passwd *web_target_user(const sg_conf *conf)
{
	const char *name = sg_conf_str(conf, "web", "user");
	char *store = sg_conf_path(conf, "store", "path");
	struct stat sb;
	struct passwd *pw;

	if (*name)
		pw = getpwnam(name);
	else if (stat(store, &sb) == 0)
		pw = getpwuid(sb.st_uid);
	else
		pw = getpwnam(name = sg_conf_str(conf, "milter", "user"));
	if (pw == NULL)
		web_log(LOG_ERR, "cannot find the user to run as (%s%s)",
			*name ? "user " : "owner of ", *name ? name : store);
	free(store);
	return pw;
}

static int web_drop_root(const sg_conf *conf)
{
	struct passwd *pw;

	if (geteuid() != 0 && getuid() != 0)
		return 0;
	if ((pw = web_target_user(conf)) == NULL)
		return WEB_EX_OSERR;
	if (pw->pw_uid == 0) {
		web_log(LOG_ERR, "refusing to serve as root: set [web] user to an "
			"unprivileged account (the store's owner, e.g. sendguard)");
		return WEB_EX_NOPERM;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0 || setuid(0) == 0) {
		web_log(LOG_ERR, "cannot become %s: %s", pw->pw_name, strerror(errno));
		return WEB_EX_OSERR;
	}
	return 0;
}

/* Blocks until SIGTERM or SIGINT. */
static void web_wait_for_stop(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	for (int i = 0; sig != SIGTERM && sig != SIGINT; i++) {
		if (sigwait(&set, &sig) != 0)
			break;
		if (sig == SIGHUP)
			web_log(LOG_INFO, "SIGHUP: nothing to reload (keys reload by themselves)");
	}
}

static int web_serve(const sg_conf *conf, bool foreground)
{
	web_app *app;
	web_server *srv;
	sg_buf err;
	sigset_t set;
	int rc = 0;

	sg_buf_init(&err, 4096);
	if (web_proxy_check(conf, &err) < 0 || (app = web_app_new(conf, &err)) == NULL) {
		web_log(LOG_ERR, "%s", sg_buf_cstr(&err));
		sg_buf_free(&err);
		return WEB_EX_CONFIG;
	}
	if (!foreground && daemon(0, 0) < 0) {
		web_log(LOG_ERR, "cannot detach: %s", strerror(errno));
		web_app_free(app);
		sg_buf_free(&err);
		return WEB_EX_OSERR;
	}
	/* The server thread inherits this mask: only sigwait takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((srv = web_server_start(app, conf, &err)) == NULL) {
		web_log(LOG_ERR, "%s", sg_buf_cstr(&err));
		rc = WEB_EX_OSERR;
	} else {
		web_log(LOG_INFO, "sendguard-web %s listening on %s as uid %u", SG_VERSION,
			sg_conf_str(conf, "web", "listen"), (unsigned)getuid());
		web_wait_for_stop();
		web_server_stop(srv);
		web_log(LOG_INFO, "sendguard-web stopped");
	}
	web_app_free(app);
	sg_buf_free(&err);
	return rc;
}

/* --check: the configuration loads, the store and keys open as the
 * user it will run as, and [web] listen parses. */
static int web_check(const sg_conf *conf)
{
	struct sockaddr_storage ss;
	unsigned len;
	bool loop;
	sg_buf err;
	web_app *app;
	int rc = WEB_EX_CONFIG;

	sg_buf_init(&err, 4096);
	app = web_app_new(conf, &err);
	if (app == NULL)
		web_log(LOG_ERR, "%s", sg_buf_cstr(&err));
	else if (strncmp(sg_conf_str(conf, "web", "listen"), "unix:", 5) != 0 &&
		 web_parse_listen(sg_conf_str(conf, "web", "listen"), &ss, &len, &loop) < 0)
		web_log(LOG_ERR, "[web] listen: \"%s\" is not ADDRESS:PORT or unix:PATH",
			sg_conf_str(conf, "web", "listen"));
	else if (web_proxy_check(conf, &err) < 0)
		web_log(LOG_ERR, "%s", sg_buf_cstr(&err));
	else {
		printf("sendguard-web: configuration OK\n");
		rc = 0;
	}
	web_app_free(app);
	sg_buf_free(&err);
	return rc;
}

int main(int argc, char **argv)
{
	sg_daemon_opts o;
	sg_conf *conf;
	sg_buf err;
	int rc = sg_daemon_args(argc, argv, "sendguard-web", web_usage, &o);
	const char *conf_path = o.conf_path;
	bool foreground = o.foreground, check = o.check;

	if (rc >= 0)
		return rc;
	web_log_init(foreground || check);
	sg_buf_init(&err, 4096);
	conf = sg_conf_load(conf_path, &err);
	if (conf == NULL) {
		web_log(LOG_ERR, "configuration error: %s", sg_buf_cstr(&err));
		sg_buf_free(&err);
		return WEB_EX_CONFIG;
	}
	sg_buf_free(&err);
	rc = web_drop_root(conf);
	if (rc == 0)
		rc = check ? web_check(conf) : web_serve(conf, foreground);
	sg_conf_free(conf);
	return rc;
}
