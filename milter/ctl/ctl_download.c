/*
 * NAME
 *	ctl_download - `sendguardctl serve-downloads`: the root side of
 *	attachment downloads from the hold page
 * DESCRIPTION
 *	Issue 18: an approver may open an attachment before deciding. The
 *	page runs as the store's owner and cannot read Postfix's hold queue
 *	(and must not: whole messages stay with the MTA). This root process
 *	listens on [web] download_socket and, for each request of the page
 *	(protocol in rel_download.c), only when:
 *	  - the peer is the store's owner or root (SO_PEERCRED);
 *	  - the hold exists and is pending (a decided hold serves nothing);
 *	  - the attachment is in the hold's inventory and no
 *	    dangerous-attachment finding is on it, inside it or on the
 *	    archive that holds it;
 *	  - the queue file of the hold's queue id carries an
 *	    X-Sendguard-Hold header naming this hold (the milter removes any
 *	    that arrive with a message, so only it ties a file to a hold);
 *	  - the file, read out of the message by the engine's own walk
 *	    (eng_extract), is not dangerous by content and not larger than
 *	    [web] max_download,
 *	it answers "OK SIZE<TAB>NAME" and the bytes. It writes nothing: the
 *	page records the download in the audit log before it streams.
 *
 *	The bytes are written to the socket from the engine's decoded copy
 *	during its walk (eng_extract's sink), so the root side holds the
 *	queue file and that copy, not a third one of up to max_download.
 *	With [web] allow_download = no it runs and refuses every request.
 *
 *	One request at a time, each bounded by a 30 s socket timeout (the
 *	page's requests are rare: a person clicks a link). Run by
 *	sendguard-downloads.service, which make install enables.
 * DIAGNOSTICS
 *	Runs until SIGTERM or SIGINT (exit 0); exit 64 usage, 77 not root
 *	or cannot listen, 78 configuration.
 */
#include "ctl/ctl.h"
#include "util/sg_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_DL_TIMEOUT 30

void ctl_serve_downloads_help(void)
{
	printf("usage: sendguardctl [-c CONF] serve-downloads\n"
	       "\n"
	       "The root side of attachment downloads from the hold page ([web]\n"
	       "allow_download): listens on [web] download_socket and serves an\n"
	       "attachment of a pending hold from the MTA's hold queue, after it\n"
	       "checks the queue file's X-Sendguard-Hold header, never a dangerous\n"
	       "one. Only the store's owner (the page) and root may ask. Runs in\n"
	       "the foreground until stopped (SIGTERM: exit 0); the unit\n"
	       "sendguard-downloads.service runs it.\n"
	       "承認ページからの添付ファイルのダウンロードを、保留キューから\n"
	       "提供します (root で実行)。\n"
	       "\n"
	       "exit status: 64 usage, 77 not root or cannot listen, 78 configuration.\n");
}

typedef struct ctl_dl {
	const sg_conf *conf;
	st_store *st;
	rel_backend *be;
	eng_engine *eng;
	uid_t owner;
	unsigned long long max;
} ctl_dl;

static void ctl_dl_err(int fd, const char *code, const char *text)
{
	sg_buf b;

	sg_buf_init(&b, REL_DL_LINE);
	sg_buf_printf(&b, "ERR %s %s\n", code, text);
	(void)rel_dl_write_all(fd, b.data, b.len);
	sg_buf_free(&b);
}

/* The name on the answer line: no tab, newline or control character. */
static void ctl_dl_name(sg_buf *out, const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		sg_buf_putc(out, *p < 0x20 || *p == 0x7f ? '_' : *p);
}

/* What the walk's sink did with the wanted file. */
typedef struct ctl_dl_req {
	ctl_dl *d;
	int fd;
	const char *id, *path;
	bool answered;
} ctl_dl_req;

/* The engine's sink (eng_extract): refuses a file dangerous by content
 * or over [web] max_download, else writes the answer line and the bytes
 * straight from the walk's decoded copy. The root side so holds the
 * queue file and that one decoded copy, never a third. */
static void ctl_dl_sink(void *arg, const char *name, bool danger,
			const unsigned char *data, size_t len)
{
	ctl_dl_req *q = arg;
	sg_buf line;

	q->answered = true;
	if (danger) {
		fprintf(stderr, "serve-downloads: hold %s: %s is dangerous by content:"
			" refused\n", q->id, q->path);
		ctl_dl_err(q->fd, "dangerous", "dangerous by content: never served");
		return;
	}
	if ((unsigned long long)len > q->d->max) {
		fprintf(stderr, "serve-downloads: hold %s: %s is %zu bytes, over [web]"
			" max_download (%llu): refused\n", q->id, q->path, len, q->d->max);
		ctl_dl_err(q->fd, "toobig", "larger than [web] max_download");
		return;
	}
	sg_buf_init(&line, REL_DL_LINE);
	sg_buf_printf(&line, "OK %zu\t", len);
	ctl_dl_name(&line, name);
	sg_buf_putc(&line, '\n');
	if (line.toobig) {
		ctl_dl_err(q->fd, "error", "the file name is too long");
		sg_buf_free(&line);
		return;
	}
	if (rel_dl_write_all(q->fd, line.data, line.len) == 0 &&
	    rel_dl_write_all(q->fd, data ? (const void *)data : "", len) == 0)
		printf("serve-downloads: hold %s: served %s (%zu bytes)\n", q->id,
		       q->path, len);
	else
		fprintf(stderr, "serve-downloads: hold %s: %s: the page stopped reading"
			" (%s)\n", q->id, q->path, strerror(errno));
	fflush(stdout);
	sg_buf_free(&line);
}

static void ctl_dl_serve(ctl_dl *d, int fd, const char *id, const char *path)
{
	st_hold *h = NULL;
	rel_item it;
	sg_buf err;
	ctl_dl_req q = { d, fd, id, path, false };
	int got;

	sg_buf_init(&err, 4096);
	rel_item_init(&it);
	if (!sg_conf_bool(d->conf, "web", "allow_download")) {
		ctl_dl_err(fd, "error", "downloads are off ([web] allow_download = no)");
		goto done;
	}
	if (st_hold_get(d->st, id, &h, &err) != ST_OK || h->status != ST_PENDING) {
		ctl_dl_err(fd, "gone", "no pending hold with this id");
		goto done;
	}
	if ((got = rel_att_dangerous(h, path, NULL)) != 0) {
		ctl_dl_err(fd, got < 0 ? "nofile" : "dangerous", got < 0 ?
			   "no such attachment in the hold" :
			   "a dangerous attachment is never served");
		goto done;
	}
	if (rel_be_item(d->be, h->queue_id, &it, &err) != REL_OK) {
		ctl_dl_err(fd, "gone", "the message is not in the queue");
		goto done;
	}
	if (!rel_dl_header_ok(it.msg.data ? it.msg.data : "", it.msg.len, h->id)) {
		fprintf(stderr, "serve-downloads: hold %s: queue file %s does not carry "
			"X-Sendguard-Hold: %s: refused\n", h->id, h->queue_id, h->id);
		ctl_dl_err(fd, "header", "the queue file is not this hold's");
		goto done;
	}
	got = eng_extract(d->eng, it.msg.data, it.msg.len, path, ctl_dl_sink, &q);
	if (!q.answered)
		ctl_dl_err(fd, got == 0 ? "nofile" : "error", got == 0 ?
			   "the attachment is not in the message" :
			   "the message or the attachment cannot be read");
done:
	st_hold_free(h);
	rel_item_free(&it);
	sg_buf_free(&err);
}

static void ctl_dl_client(ctl_dl *d, int fd)
{
	struct ucred cr = { 0, (uid_t)-1, (gid_t)-1 };
	socklen_t cl = sizeof(cr);
	struct timeval tv = { CTL_DL_TIMEOUT, 0 };
	sg_buf line;
	char *tab;
	int got;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* The request line is read (bounded, under the timeout) before any
	 * answer, refusals included: a unix socket closed with unread
	 * bytes resets the peer, which would then lose the answer. */
	sg_buf_init(&line, REL_DL_LINE + 2);
	got = rel_dl_read_line(fd, &line, REL_DL_LINE);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 ||
	    (cr.uid != 0 && cr.uid != d->owner)) {
		fprintf(stderr, "serve-downloads: refused a client of uid %ld (only the "
			"store's owner and root)\n", (long)cr.uid);
		ctl_dl_err(fd, "error", "not allowed");
	} else if (got < 0 || (tab = strchr(sg_buf_cstr(&line), '\t')) == NULL)
		ctl_dl_err(fd, "error", "malformed request");
	else {
		*tab = '\0';
		if (!st_id_valid(line.data))
			ctl_dl_err(fd, "error", "not a hold id");
		else
			ctl_dl_serve(d, fd, line.data, tab + 1);
	}
	sg_buf_free(&line);
}

/* The socket's directory is root's alone: made (0755) when missing, and
 * refused when it is a link or another user could write it, since the
 * socket is created and then given to the store's group by its path
 * (a socket cannot be chown'ed through its descriptor), and nobody may
 * swap that path for a link to another file in between. */
static int ctl_dl_dir(const char *path)
{
	char *dir = sg_xstrdup(path), *slash = strrchr(dir, '/');
	struct stat sb;
	int ret = -1;

	if (slash == NULL || slash == dir) {
		fprintf(stderr, "sendguardctl serve-downloads: [web] download_socket %s:"
			" give an absolute path in a directory of its own\n", path);
		goto out;
	}
	*slash = '\0';
	if (lstat(dir, &sb) < 0 && errno == ENOENT && mkdir(dir, 0755) < 0 &&
	    errno != EEXIST) {
		fprintf(stderr, "sendguardctl serve-downloads: cannot make %s: %s\n", dir,
			strerror(errno));
		goto out;
	}
	if (lstat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != 0 ||
	    (sb.st_mode & 0022) != 0) {
		fprintf(stderr, "sendguardctl serve-downloads: %s must be a directory of "
			"root that nobody else may write (not a link)\n", dir);
		goto out;
	}
	ret = 0;
out:
	free(dir);
	return ret;
}

static int ctl_dl_listen(const char *path, gid_t group)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* Non-blocking: a client that hangs up between ppoll and accept
	 * leaves accept nothing to wait for. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	(void)unlink(path);
	/* root:owner's group 0660 from its creation: the page reaches it,
	 * other users do not (SO_PEERCRED checks again). */
	old = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || fchownat(AT_FDCWD, path, 0, group, AT_SYMLINK_NOFOLLOW) < 0 ||
	    listen(fd, 8) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static volatile sig_atomic_t ctl_dl_stop;

static void ctl_dl_on_signal(int sig)
{
	(void)sig;
	ctl_dl_stop = 1;
}

int ctl_serve_downloads(const char *conf_path, int argc, char **argv)
{
	ctl_dl d;
	sg_buf err;
	struct stat sb;
	char *sock, *dbpath;
	sigset_t block, waitmask;
	int ex = 0, lfd;

	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "usage: sendguardctl serve-downloads\n");
		return CTL_EX_USAGE;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "sendguardctl serve-downloads: must run as root (it reads "
			"the MTA's hold queue) / root で実行してください\n");
		return CTL_EX_NOPERM;
	}
	memset(&d, 0, sizeof(d));
	if ((d.conf = ctl_load_conf(conf_path)) == NULL)
		return CTL_EX_CONFIG;
	sg_buf_init(&err, 4096);
	dbpath = sg_conf_path(d.conf, "store", "path");
	sock = sg_conf_path(d.conf, "web", "download_socket");
	d.max = (unsigned long long)sg_conf_num(d.conf, "web", "max_download");
	if (stat(dbpath, &sb) < 0) {
		fprintf(stderr, "sendguardctl serve-downloads: store %s: %s\n", dbpath,
			strerror(errno));
		ex = CTL_EX_CONFIG;
		goto out;
	}
	d.owner = sb.st_uid;
	if ((d.st = ctl_store_as_root("serve-downloads", d.conf, &ex)) == NULL)
		goto out;
	if ((d.be = rel_backend_new(d.conf, &err)) == NULL ||
	    (d.eng = eng_engine_new(d.conf, &err)) == NULL) {
		fprintf(stderr, "sendguardctl serve-downloads: %s\n", sg_buf_cstr(&err));
		ex = CTL_EX_CONFIG;
		goto out;
	}
	if (ctl_dl_dir(sock) < 0) {
		ex = CTL_EX_NOPERM;
		goto out;
	}
	if ((lfd = ctl_dl_listen(sock, sb.st_gid)) < 0) {
		fprintf(stderr, "sendguardctl serve-downloads: cannot listen on %s: %s\n",
			sock, strerror(errno));
		ex = CTL_EX_NOPERM;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);	/* a page that hangs up is not fatal */
	/* SIGTERM (the unit's KillSignal) and SIGINT end the loop between
	 * requests, and it exits 0 with everything freed: they are blocked
	 * but inside ppoll, so none is lost between the check and the wait. */
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = ctl_dl_on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigemptyset(&block);
		sigaddset(&block, SIGTERM);
		sigaddset(&block, SIGINT);
		sigprocmask(SIG_BLOCK, &block, &waitmask);
		sigdelset(&waitmask, SIGTERM);
		sigdelset(&waitmask, SIGINT);
	}
	printf("serve-downloads: listening on %s (max_download %llu bytes%s)\n", sock,
	       d.max, sg_conf_bool(d.conf, "web", "allow_download") ? "" :
	       "; [web] allow_download = no: every request is refused");
	fflush(stdout);
	while (!ctl_dl_stop) {
		struct pollfd pfd = { lfd, POLLIN, 0 };
		int fd;

		if (ppoll(&pfd, 1, NULL, &waitmask) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "serve-downloads: poll: %s\n", strerror(errno));
			ex = CTL_EX_SOFTWARE;
			break;
		}
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
				continue;
			fprintf(stderr, "serve-downloads: accept: %s\n", strerror(errno));
			ex = CTL_EX_SOFTWARE;
			break;
		}
		ctl_dl_client(&d, fd);
		close(fd);
	}
	if (ctl_dl_stop)
		printf("serve-downloads: stopped\n");
	(void)unlink(sock);
	close(lfd);
out:
	if (d.eng)
		eng_engine_free(d.eng);
	if (d.be)
		rel_backend_free(d.be);
	if (d.st)
		ctl_store_close(d.st, d.conf);
	sg_conf_free((sg_conf *)d.conf);
	sg_buf_free(&err);
	free(sock);
	free(dbpath);
	return ex;
}
