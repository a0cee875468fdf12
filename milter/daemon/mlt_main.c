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
 *	Root never follows a path the service user could have changed
 *	(issue 14): directories are opened component by component with
 *	O_NOFOLLOW (a symbolic link is followed only where root alone could
 *	have placed it: in a root-owned directory nobody else may write)
 *	and changed through the descriptor (fchown, fchmod); the socket is
 *	created 0660 under a umask and given away with AT_SYMLINK_NOFOLLOW.
 *	When [milter] socket_group does not exist the milter refuses to
 *	start (71) instead of making the socket world-writable.
 *
 *	Signals: SIGTERM, SIGINT and SIGHUP stop it cleanly (a message at
 *	its end gets its answer; mp.h); SIGUSR1 reloads the configuration
 *	and rules without dropping connections.
 * DIAGNOSTICS
 *	Exit 0 after a clean stop, 64 usage, 78 configuration (named file,
 *	line and key), 71 for a system error (socket, user, socket group,
 *	a directory reached through a link the service user could move).
 */
#include "daemon/mlt.h"
#include "util/sg_args.h"
#include "util/sg_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#define MLT_EX_USAGE 64
#define MLT_EX_OSERR 71
#define MLT_EX_CONFIG 78

/* Largest milter packet accepted: Postfix passes headers up to
 * header_size_limit (100 KB), past the protocol's 64 KB body chunks. */
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

/* Opens directory `path` (creating its last component with `mode`
 * when missing) without following a symbolic link that anyone but
 * root could have placed: each component is opened with O_NOFOLLOW,
 * and a link is followed only when the directory holding it belongs to
 * root and nobody else may write it (Debian's /var/run -> /run). The
 * last component is never a link. A descriptor, or -1 said. */
static int mlt_open_dir(const char *path, mode_t mode)
{
	char *copy = strdup(path), *save = NULL, *comp, *next;
	int fd, nfd;

	if (copy == NULL)
		return -1;
	fd = open(path[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (comp = strtok_r(copy, "/", &save); fd >= 0 && comp; comp = next) {
		struct stat ps, ls;
		bool link;

		next = strtok_r(NULL, "/", &save);
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && next == NULL &&
		    (mkdirat(fd, comp, mode) == 0 || errno == EEXIST))
			nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* O_DIRECTORY|O_NOFOLLOW on a link fails with ENOTDIR or ELOOP. */
		link = nfd < 0 && (errno == ELOOP || errno == ENOTDIR) &&
		       fstatat(fd, comp, &ls, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(ls.st_mode);
		if (link && next != NULL && fstat(fd, &ps) == 0 && ps.st_uid == 0 &&
		    (ps.st_mode & (S_IWGRP | S_IWOTH)) == 0)
			nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		else if (link)
			errno = ELOOP;
		if (nfd < 0)
			mlt_log(LOG_ERR, "cannot open %s safely at \"%s\": %s%s", path, comp,
				strerror(errno), link ? " (a symbolic link where someone"
				" other than root could have put it, or the last part of"
				" the path)" : "");
		close(fd);
		fd = nfd;
	}
	free(copy);
	return fd;
}

/* A directory only `pw` may enter (spool, unix socket). */
static int mlt_private_dir(const char *dir, const struct passwd *pw, mode_t mode)
{
	int fd = mlt_open_dir(dir, mode), rc = -1;
	struct stat sb;

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || !S_ISDIR(sb.st_mode))
		mlt_log(LOG_ERR, "%s is not a directory", dir);
	else if (pw && fchown(fd, pw->pw_uid, pw->pw_gid) < 0)
		mlt_log(LOG_ERR, "cannot chown %s: %s", dir, strerror(errno));
	else if (fchmod(fd, mode) < 0)
		mlt_log(LOG_ERR, "cannot chmod %s: %s", dir, strerror(errno));
	else
		rc = 0;
	close(fd);
	return rc;
}

static bool mlt_is_unix(const char *sock)
{
	return strncmp(sock, "unix:", 5) == 0 || strncmp(sock, "local:", 6) == 0;
}

static int mlt_socket_dir(const char *sock, const struct passwd *pw)
{
	char *dir, *slash;
	int rc;

	if (!mlt_is_unix(sock))
		return 0;
	dir = strdup(strchr(sock, ':') + 1);
	if (dir == NULL)
		return -1;
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

/* The group the MTA reaches a unix socket through; -1 said when it
 * does not exist: without it only a world-writable socket would do,
 * and any local user could then speak the milter protocol (or block
 * it). */
static int mlt_socket_gid(const sg_conf *conf, gid_t *gid)
{
	const char *sock = SG_CONF_STR(conf, milter_socket);
	const char *name = SG_CONF_STR(conf, milter_socket_group);
	struct group *gr;

	if (!mlt_is_unix(sock) || geteuid() != 0)
		return 0;	/* not root: the socket keeps our own group */
	if ((gr = getgrnam(name)) == NULL) {
		mlt_log(LOG_ERR, "[milter] socket_group %s does not exist: the unix"
			" socket %s would have to be world-writable for the MTA to"
			" reach it, so the milter does not start. Install Postfix"
			" (it creates group postfix), set [milter] socket_group to the"
			" MTA's group, or use inet:PORT@127.0.0.1", name, sock);
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

/* The unix socket, created 0660 (mlt_setup_milter's umask): reachable
 * by the socket group (Postfix's smtpd and cleanup), by nobody else.
 * It lies in a directory the service user owns, so it is given away
 * without following a link put in its place. inet sockets need
 * nothing. */
static int mlt_socket_perms(const char *sock, const struct passwd *pw, gid_t gid)
{
	const char *path = strchr(sock, ':') + 1, *base = strrchr(path, '/');
	char *dir;
	struct stat sb;
	int dfd, rc = -1;

	if (!mlt_is_unix(sock) || geteuid() != 0)
		return 0;
	dir = base && base != path ? strndup(path, (size_t)(base - path))
				   : strdup(base ? "/" : ".");
	base = base ? base + 1 : path;
	dfd = dir ? mlt_open_dir(dir, 0755) : -1;
	if (dfd < 0)
		;
	else if (fstatat(dfd, base, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISSOCK(sb.st_mode))
		mlt_log(LOG_ERR, "%s is not the socket just made", path);
	else if (fchownat(dfd, base, pw ? pw->pw_uid : 0, gid, AT_SYMLINK_NOFOLLOW) < 0)
		mlt_log(LOG_ERR, "cannot chown %s: %s", path, strerror(errno));
	else
		rc = 0;
	if (dfd >= 0)
		close(dfd);
	free(dir);
	return rc;
}

static struct passwd *mlt_service_user(const sg_conf *conf)
{
	const char *user = SG_CONF_STR(conf, milter_user);
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
	char *spool = SG_CONF_PATH(conf, milter_spool_dir);
	int rc = 0;

	if (mlt_private_dir(spool, pw, 0700) < 0 ||
	    mlt_socket_dir(SG_CONF_STR(conf, milter_socket), pw) < 0)
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

/* The listening socket, before the privileges go (a unix socket is
 * then given to the service user and socket_group). */
static int mlt_listen_fd = -1;

static int mlt_setup_milter(const sg_conf *conf)
{
	const char *sock = SG_CONF_STR(conf, milter_socket);
	sg_buf err;
	/* bind(2) creates a unix socket with this umask: 0660 from the
	 * start, never a moment world-writable. */
	mode_t old = umask(0117);

	sg_buf_init(&err, 1024);
	mlt_listen_fd = mp_open(sock, SOMAXCONN, &err);
	umask(old);
	if (mlt_listen_fd < 0) {
		mlt_log(LOG_ERR, "cannot open the milter socket: %s", sg_buf_cstr(&err));
		sg_buf_free(&err);
		return -1;
	}
	sg_buf_free(&err);
	return 0;
}

static void mlt_pid_file(const sg_conf *conf, bool create)
{
	char *path = SG_CONF_PATH(conf, milter_pid_file);
	FILE *fp;

	if (*path && create && (fp = fopen(path, "w")) != NULL) {
		fprintf(fp, "%ld\n", (long)getpid());
		fclose(fp);
	} else if (*path && !create) {
		unlink(path);
	}
	free(path);
}

/* The socket as start-up will open it: a unix socket's directory is
 * created by mlt_socket_dir() (one level), so its parent must exist,
 * and the path must fit a sockaddr_un; an inet socket needs a port. */
static int mlt_check_socket(const char *sock, sg_buf *err)
{
	struct sockaddr_un sun;
	const char *path, *at;
	char *dir, *slash;
	struct stat st;
	long port;
	int rc = 0;

	if (strncmp(sock, "unix:", 5) == 0 || strncmp(sock, "local:", 6) == 0) {
		path = strchr(sock, ':') + 1;
		if (*path != '/') {
			sg_buf_printf(err, "[milter] socket %s: a unix socket needs "
				       "an absolute path", sock);
			return -1;
		}
		if (strlen(path) >= sizeof(sun.sun_path)) {
			sg_buf_printf(err, "[milter] socket %s: path longer than %zu "
				       "bytes", sock, sizeof(sun.sun_path) - 1);
			return -1;
		}
		dir = sg_xstrdup(path);
		slash = strrchr(dir, '/');
		*slash = '\0';
		if (*dir && stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
			sg_buf_printf(err, "[milter] socket %s: %s is not a directory",
				       sock, dir);
			rc = -1;
		} else if (*dir && stat(dir, &st) < 0) {
			/* start-up creates the socket's directory, not its parent */
			slash = strrchr(dir, '/');
			if (slash && slash != dir)
				*slash = '\0';
			else
				strcpy(dir, "/");
			if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
				sg_buf_printf(err, "[milter] socket %s: directory %s "
					       "does not exist", sock, dir);
				rc = -1;
			}
		}
		free(dir);
		return rc;
	}
	if (strncmp(sock, "inet:", 5) == 0 || strncmp(sock, "inet6:", 6) == 0) {
		char *end;

		at = strchr(sock, ':') + 1;
		errno = 0;
		port = strtol(at, &end, 10);
		if (end != at && (*end == '@' || *end == '\0') && errno == 0 &&
		    port > 0 && port < 65536)
			return 0;
	}
	sg_buf_printf(err, "[milter] socket %s: not unix:/PATH, "
		       "inet:PORT@HOST or inet6:PORT@HOST", sock);
	return -1;
}

/* The store as the service user will open it. Nothing but
 * `sendguardctl store init` creates it (issue 15): a missing store is
 * an error here as at start-up, and so is a file the user cannot
 * write (made by root, say). */
static int mlt_check_store(const sg_conf *conf, const struct passwd *pw,
			   sg_buf *err)
{
	char *path = SG_CONF_PATH(conf, store_path);
	struct stat st;
	int rc = 0;

	if (stat(path, &st) == 0) {
		if (pw && st.st_uid != pw->pw_uid) {
			/* getpwuid() may reuse the buffer pw points into */
			char *user = sg_xstrdup(pw->pw_name);
			struct passwd *owner = getpwuid(st.st_uid);

			sg_buf_printf(err, "store %s belongs to %s, not to [milter] "
				      "user %s (chown it, and its -wal and -shm files)",
				      path, owner ? owner->pw_name : "an unknown uid",
				      user);
			free(user);
			rc = -1;
		} else if (!S_ISREG(st.st_mode)) {
			sg_buf_printf(err, "store %s is not a file", path);
			rc = -1;
		} else if (access(path, R_OK | W_OK) < 0) {
			sg_buf_printf(err, "store %s: cannot open: %s", path,
				       strerror(errno));
			rc = -1;
		}
	} else if (errno != ENOENT) {
		sg_buf_printf(err, "store %s: %s", path, strerror(errno));
		rc = -1;
	} else {
		sg_buf_printf(err, "store %s does not exist: sendguardctl store init"
			      " creates it (nothing else does; README: when the store"
			      " is lost)", path);
		rc = -1;
	}
	free(path);
	return rc;
}

/* --check: everything start-up checks, in its order and as the user it
 * runs as, with the same messages (ExecStartPre runs it, so a unit never
 * starts a milter that would stop at once), without opening the socket
 * or creating anything. */
static int mlt_check(const char *conf_path)
{
	sg_buf err;
	sg_conf *conf;
	struct passwd *pw;
	int rc = MLT_EX_CONFIG;

	sg_buf_init(&err, 8192);
	if ((conf = sg_conf_load(conf_path, &err)) == NULL ||
	    ntf_approvers_check(conf, &err) < 0) {
		mlt_log(LOG_ERR, "configuration error: %s", sg_buf_cstr(&err));
		goto out;
	}
	pw = mlt_service_user(conf);
	if (geteuid() == 0 && pw == NULL)
		goto out;
	if (mlt_check_socket(SG_CONF_STR(conf, milter_socket), &err) < 0 ||
	    mlt_check_store(conf, pw, &err) < 0) {
		mlt_log(LOG_ERR, "configuration error: %s", sg_buf_cstr(&err));
		goto out;
	}
	/* Keys and the store are read as the service user (a key only root
	 * can read is an error at start-up, so it is one here). */
	if (mlt_drop_privileges(pw) < 0) {
		rc = MLT_EX_OSERR;
		goto out;
	}
	if (pw && mlt_check_store(conf, NULL, &err) < 0) {
		mlt_log(LOG_ERR, "configuration error: %s", sg_buf_cstr(&err));
		goto out;
	}
	if (mlt_rt_check(conf_path, &err) < 0 || mlt_pdf_check(&err) < 0) {
		mlt_log(LOG_ERR, "configuration error: %s", sg_buf_cstr(&err));
		goto out;
	}
	printf("%s: configuration, rules, templates, keys, store and socket "
	       "are valid\n", conf_path);
	rc = 0;
out:
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
	gid_t sock_gid = 0;
	int rc;

	/* Blocked from the start, not only once mp_run runs: the socket
	 * listens before the store is open, and a SIGTERM in that window
	 * (a test or an init system that stops a just-started milter) used
	 * to kill the process in the middle of creating the store. Held
	 * pending, it reaches mp_run's signal thread and stops cleanly. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	{
		sigset_t all = usr1;
		sigaddset(&all, SIGTERM);
		sigaddset(&all, SIGINT);
		sigaddset(&all, SIGHUP);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	sg_buf_init(&err, 8192);
	if ((conf = sg_conf_load(conf_path, &err)) == NULL) {
		mlt_log(LOG_ERR, "configuration error: %s", sg_buf_cstr(&err));
		sg_buf_free(&err);
		return MLT_EX_CONFIG;
	}
	pw = mlt_service_user(conf);
	/* The socket is opened as root, so that it can be given to group
	 * postfix; everything after runs as the service user. */
	if ((geteuid() == 0 && pw == NULL) || mlt_socket_gid(conf, &sock_gid) < 0 ||
	    mlt_prepare_dirs(conf, pw) < 0 || mlt_setup_milter(conf) < 0 ||
	    mlt_socket_perms(SG_CONF_STR(conf, milter_socket), pw, sock_gid) < 0) {
		sg_conf_free(conf);
		sg_buf_free(&err);
		return MLT_EX_OSERR;
	}
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
	if (!foreground && daemon(0, 0) < 0) {
		mlt_log(LOG_ERR, "cannot detach: %s", strerror(errno));
		sg_conf_free(conf);
		sg_buf_free(&err);
		return MLT_EX_OSERR;
	}
	/* The PDF workers are our children: started after daemon() (its
	 * parent exits) and before the first thread, as the service user. */
	if (mlt_pdf_start(conf, &err) < 0) {
		mlt_log(LOG_ERR, "%s", sg_buf_cstr(&err));
		sg_conf_free(conf);
		sg_buf_free(&err);
		return MLT_EX_OSERR;
	}
	sg_buf_free(&err);
	mlt_pid_file(conf, true);
	/* Every thread started from here inherits the mask set above. SIGUSR1 goes
	 * to the reload thread only; TERM, INT and HUP to mp_run's signal
	 * thread (it sigwaits them), never to a thread where the
	 * default action would kill the process without a clean stop. A
	 * peer that goes away must not kill us either (SIGPIPE). */
	signal(SIGPIPE, SIG_IGN);
	pthread_create(&tid, NULL, mlt_reload_thread, &usr1);
	pthread_detach(tid);
	mlt_notifier_start();
	mlt_audit_start(conf);
	mlt_log(LOG_INFO, "sendguard-milter %s listening on %s", SG_VERSION,
		SG_CONF_STR(conf, milter_socket));
	{
		mp_desc d = mlt_proto_desc;

		d.timeout = (unsigned)SG_CONF_NUM(conf, milter_timeout);
		d.max_packet = MLT_MAX_DATA;
		rc = mp_run(mlt_listen_fd, &d) == 0 ? 0 : MLT_EX_OSERR;
	}
	/* Before the runtime goes: the queued accept records are written
	 * (SIGTERM loses none); a message still finishing afterwards
	 * writes its record itself. */
	mlt_audit_stop();
	mlt_notifier_stop();
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
