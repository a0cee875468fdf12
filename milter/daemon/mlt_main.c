/*
 * NAME
 *	sendguard-milter - the milter daemon (Postfix, Sendmail)
 * SYNOPSIS
 *	sendguard-milter -c CONF [-f]
 * DESCRIPTION
 *	Started as root, it prepares its directories (spool, and a unix
 *	socket's directory), then switches to [milter] user before it opens
 *	the store or the keys, so that every file it creates belongs to
 *	that user. -f stays in the foreground and logs to stderr as well.
 *
 *	Signals: SIGTERM and SIGINT stop it cleanly (libmilter finishes the
 *	current exchanges); SIGUSR1 reloads the configuration and rules
 *	without dropping connections; libmilter itself treats SIGHUP as stop.
 * DIAGNOSTICS
 *	Exit 0 after a clean stop, 64 usage, 78 configuration (named file,
 *	line and key), 71 for a system error (socket, user).
 */
#include "daemon/mlt.h"
#include "util/sg_args.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define MLT_EX_USAGE 64
#define MLT_EX_OSERR 71
#define MLT_EX_CONFIG 78

/* Largest milter packet accepted: Postfix passes headers up to
 * header_size_limit (100 KB), past libmilter's default 64 KB. */
#define MLT_MAX_DATA 1048575

static void mlt_usage(FILE *fp)
{
	fprintf(fp, "usage: sendguard-milter [-c CONF] [-f]\n"
		"  -c CONF    configuration (default /etc/sendguard/sendguard.conf)\n"
		"  -f         stay in the foreground, log to stderr as well\n"
		"  --check    check the configuration and rules, then exit\n"
		"  --version  print the version\n"
		"Signals: TERM stops, USR1 reloads configuration and rules.\n");
}

static void *mlt_reload_thread(void *arg)
{
	sigset_t *set = arg;

	for (;;) {
		int sig;
		sg_buf err;

		if (sigwait(set, &sig) != 0)
			continue;
		sg_buf_init(&err, 8192);
		if (mlt_rt_reload(&err) == 0)
			mlt_log(LOG_INFO, "reloaded configuration and rules from %s",
				mlt_conf_path());
		else
			mlt_log(LOG_ERR, "reload failed, keeping the running "
				"configuration: %s", sg_buf_cstr(&err));
		sg_buf_free(&err);
	}
	return NULL;
}

/* A directory only `pw` may enter (spool, unix socket). */
static int mlt_private_dir(const char *dir, const struct passwd *pw, mode_t mode)
{
	if (mkdir(dir, mode) < 0 && errno != EEXIST) {
		mlt_log(LOG_ERR, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (pw && chown(dir, pw->pw_uid, pw->pw_gid) < 0) {
		mlt_log(LOG_ERR, "cannot chown %s: %s", dir, strerror(errno));
		return -1;
	}
	if (chmod(dir, mode) < 0) {
		mlt_log(LOG_ERR, "cannot chmod %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int mlt_socket_dir(const char *sock, const struct passwd *pw)
{
	char *dir, *slash;
	int rc;

	if (strncmp(sock, "unix:", 5) != 0 && strncmp(sock, "local:", 6) != 0)
		return 0;
	dir = strdup(strchr(sock, ':') + 1);
	slash = strrchr(dir, '/');
	rc = 0;
	if (slash && slash != dir) {
		*slash = '\0';
		/* Postfix's smtpd (group postfix) must reach the socket. */
		rc = mlt_private_dir(dir, pw, 0755);
	}
	free(dir);
	return rc;
}

/* The unix socket: reachable by Postfix's smtpd and cleanup (group
 * postfix), by nobody else. inet sockets need nothing. */
static void mlt_socket_perms(const char *sock, const struct passwd *pw)
{
	const char *path = strchr(sock, ':') + 1;
	struct group *gr = getgrnam("postfix");

	if (strncmp(sock, "unix:", 5) != 0 && strncmp(sock, "local:", 6) != 0)
		return;
	if (geteuid() == 0 && chown(path, pw ? pw->pw_uid : 0,
				    gr ? gr->gr_gid : (pw ? pw->pw_gid : 0)) < 0)
		mlt_log(LOG_WARNING, "cannot chown %s: %s", path, strerror(errno));
	if (chmod(path, gr ? 0660 : 0666) < 0)
		mlt_log(LOG_WARNING, "cannot chmod %s: %s", path, strerror(errno));
}

static struct passwd *mlt_service_user(const sg_conf *conf)
{
	const char *user = sg_conf_str(conf, "milter", "user");
	struct passwd *pw;

	if (geteuid() != 0)
		return NULL;
	if ((pw = getpwnam(user)) == NULL)
		mlt_log(LOG_ERR, "[milter] user %s does not exist", user);
	return pw;
}

/* As root: the spool and socket directories, owned by the service user. */
static int mlt_prepare_dirs(const sg_conf *conf, const struct passwd *pw)
{
	char *spool = sg_conf_path(conf, "milter", "spool_dir");
	int rc = 0;

	if (mlt_private_dir(spool, pw, 0700) < 0 ||
	    mlt_socket_dir(sg_conf_str(conf, "milter", "socket"), pw) < 0)
		rc = -1;
	free(spool);
	return rc;
}

static int mlt_drop_privileges(const struct passwd *pw)
{
	if (pw && (initgroups(pw->pw_name, pw->pw_gid) < 0 ||
		   setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)) {
		mlt_log(LOG_ERR, "cannot become %s: %s", pw->pw_name, strerror(errno));
		return -1;
	}
	return 0;
}

static int mlt_setup_milter(const sg_conf *conf)
{
	const char *sock = sg_conf_str(conf, "milter", "socket");

	smfi_setmaxdatasize(MLT_MAX_DATA);
	if (smfi_register(mlt_desc) == MI_FAILURE ||
	    smfi_setconn((char *)sock) == MI_FAILURE ||
	    smfi_settimeout((int)sg_conf_num(conf, "milter", "timeout")) == MI_FAILURE) {
		mlt_log(LOG_ERR, "cannot register the milter on %s", sock);
		return -1;
	}
	if (smfi_opensocket(1) == MI_FAILURE) {
		mlt_log(LOG_ERR, "cannot open the milter socket %s", sock);
		return -1;
	}
	return 0;
}

static void mlt_pid_file(const sg_conf *conf, bool create)
{
	char *path = sg_conf_path(conf, "milter", "pid_file");
	FILE *fp;

	if (*path && create && (fp = fopen(path, "w")) != NULL) {
		fprintf(fp, "%ld\n", (long)getpid());
		fclose(fp);
	} else if (*path && !create) {
		unlink(path);
	}
	free(path);
}

/* The configuration and rule files, as a reload would read them. */
static int mlt_check(const char *conf_path)
{
	sg_buf err;
	sg_conf *conf;
	eng_engine *eng = NULL;
	int rc = 0;

	sg_buf_init(&err, 8192);
	if ((conf = sg_conf_load(conf_path, &err)) == NULL ||
	    ntf_approvers_check(conf, &err) < 0 ||
	    (eng = eng_engine_new(conf, &err)) == NULL) {
		fprintf(stderr, "sendguard-milter: configuration error: %s\n",
			sg_buf_cstr(&err));
		rc = MLT_EX_CONFIG;
	} else {
		printf("%s: configuration and rules are valid\n", conf_path);
	}
	eng_engine_free(eng);
	sg_conf_free(conf);
	sg_buf_free(&err);
	return rc;
}

static int mlt_run(const char *conf_path, bool foreground)
{
	static sigset_t usr1;
	struct passwd *pw;
	sg_buf err;
	sg_conf *conf;
	pthread_t tid;
	int rc;

	sg_buf_init(&err, 8192);
	if ((conf = sg_conf_load(conf_path, &err)) == NULL) {
		mlt_log(LOG_ERR, "configuration error: %s", sg_buf_cstr(&err));
		sg_buf_free(&err);
		return MLT_EX_CONFIG;
	}
	pw = mlt_service_user(conf);
	/* The socket is opened as root, so that it can be given to group
	 * postfix; everything after runs as the service user. */
	if ((geteuid() == 0 && pw == NULL) || mlt_prepare_dirs(conf, pw) < 0 ||
	    mlt_setup_milter(conf) < 0) {
		sg_conf_free(conf);
		sg_buf_free(&err);
		return MLT_EX_OSERR;
	}
	mlt_socket_perms(sg_conf_str(conf, "milter", "socket"), pw);
	if (mlt_drop_privileges(pw) < 0) {
		sg_conf_free(conf);
		sg_buf_free(&err);
		return MLT_EX_OSERR;
	}
	if (mlt_rt_init(conf_path, &err) < 0) {
		mlt_log(LOG_ERR, "configuration error: %s", sg_buf_cstr(&err));
		sg_conf_free(conf);
		sg_buf_free(&err);
		return MLT_EX_CONFIG;
	}
	sg_buf_free(&err);
	if (!foreground && daemon(0, 0) < 0) {
		mlt_log(LOG_ERR, "cannot detach: %s", strerror(errno));
		sg_conf_free(conf);
		return MLT_EX_OSERR;
	}
	mlt_pid_file(conf, true);
	/* Every thread started from here inherits this mask. SIGUSR1 goes
	 * to the reload thread only; TERM, INT and HUP to libmilter's own
	 * signal thread (it sigwaits them), never to a thread where the
	 * default action would kill the process without a clean stop. A
	 * peer that goes away must not kill us either (SIGPIPE). */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	{
		sigset_t all = usr1;
		sigaddset(&all, SIGTERM);
		sigaddset(&all, SIGINT);
		sigaddset(&all, SIGHUP);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	signal(SIGPIPE, SIG_IGN);
	pthread_create(&tid, NULL, mlt_reload_thread, &usr1);
	pthread_detach(tid);
	mlt_log(LOG_INFO, "sendguard-milter %s listening on %s", SG_VERSION,
		sg_conf_str(conf, "milter", "socket"));
	rc = smfi_main() == MI_SUCCESS ? 0 : MLT_EX_OSERR;
	mlt_log(LOG_INFO, "sendguard-milter stopped");
	mlt_pid_file(conf, false);
	sg_conf_free(conf);
	mlt_rt_shutdown();
	return rc;
}

int main(int argc, char **argv)
{
	sg_daemon_opts o;
	int rc = sg_daemon_args(argc, argv, "sendguard-milter", mlt_usage, &o);

	if (rc >= 0)
		return rc;
	mlt_log_init(o.foreground || o.check);
	if (o.check)
		return mlt_check(o.conf_path);
	return mlt_run(o.conf_path, o.foreground);
}
