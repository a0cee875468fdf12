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
 *	One request at a time, each bounded by a 30 s socket timeout (the
 *	page's requests are rare: a person clicks a link).
 * DIAGNOSTICS
 *	Runs until killed; exit 64 usage, 77 not root or cannot listen,
 *	78 configuration.
 */
#include "ctl/ctl.h"
#include "util/sg_mem.h"

#include <errno.h>
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
	       "the foreground until stopped.\n"
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

/* The X-Sendguard-Hold header of the message's header block equals id
 * (folded lines joined; exactly one such header). */
static bool ctl_dl_header_ok(const char *msg, size_t len, const char *id)
{
	static const char name[] = "X-Sendguard-Hold:";
	size_t nl = sizeof(name) - 1, seen = 0;
	bool match = false;

	for (size_t i = 0; i < len;) {
		size_t e = i;

		while (e < len && msg[e] != '\n')
			e++;
		if (e == i || (e == i + 1 && msg[i] == '\r'))
			break;		/* end of the header block */
		if (e - i > nl && strncasecmp(msg + i, name, nl) == 0) {
			size_t a = i + nl, b = e;

			while (a < b && (msg[a] == ' ' || msg[a] == '\t'))
				a++;
			while (b > a && (msg[b - 1] == '\r' || msg[b - 1] == ' ' ||
					 msg[b - 1] == '\t'))
				b--;
			seen++;
			match = b - a == strlen(id) && memcmp(msg + a, id, b - a) == 0;
		}
		i = e + 1;
	}
	return seen == 1 && match;
}

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

static void ctl_dl_serve(ctl_dl *d, int fd, const char *id, const char *path)
{
	st_hold *h = NULL;
	rel_item it;
	sg_buf err, file, name, line;
	bool danger = false;
	int got;

	sg_buf_init(&err, 4096);
	rel_item_init(&it);
	sg_buf_init(&file, (size_t)d->max);
	sg_buf_init(&name, 4096);
	sg_buf_init(&line, REL_DL_LINE);
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
	if (!ctl_dl_header_ok(it.msg.data ? it.msg.data : "", it.msg.len, h->id)) {
		fprintf(stderr, "serve-downloads: hold %s: queue file %s does not carry "
			"X-Sendguard-Hold: %s: refused\n", h->id, h->queue_id, h->id);
		ctl_dl_err(fd, "header", "the queue file is not this hold's");
		goto done;
	}
	got = eng_extract(d->eng, it.msg.data, it.msg.len, path, &file, &name, &danger);
	if (got <= 0 || danger) {
		ctl_dl_err(fd, got == 0 ? "nofile" : danger ? "dangerous" : "toobig",
			   got == 0 ? "the attachment is not in the message" : danger ?
			   "dangerous by content: never served" :
			   "larger than [web] max_download, or unreadable");
		goto done;
	}
	sg_buf_printf(&line, "OK %zu\t", file.len);
	ctl_dl_name(&line, sg_buf_cstr(&name));
	sg_buf_putc(&line, '\n');
	if (rel_dl_write_all(fd, line.data, line.len) == 0)
		(void)rel_dl_write_all(fd, file.data ? file.data : "", file.len);
	printf("serve-downloads: hold %s: served %s (%zu bytes)\n", h->id, path, file.len);
	fflush(stdout);
done:
	st_hold_free(h);
	rel_item_free(&it);
	sg_buf_free(&err);
	sg_buf_free(&file);
	sg_buf_free(&name);
	sg_buf_free(&line);
}

static void ctl_dl_client(ctl_dl *d, int fd)
{
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	struct timeval tv = { CTL_DL_TIMEOUT, 0 };
	sg_buf line;
	char *tab;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 ||
	    (cr.uid != 0 && cr.uid != d->owner)) {
		fprintf(stderr, "serve-downloads: refused a client of uid %ld (only the "
			"store's owner and root)\n", (long)cr.uid);
		ctl_dl_err(fd, "error", "not allowed");
		return;
	}
	sg_buf_init(&line, REL_DL_LINE + 2);
	if (rel_dl_read_line(fd, &line, REL_DL_LINE) < 0 ||
	    (tab = strchr(sg_buf_cstr(&line), '\t')) == NULL)
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

static int ctl_dl_listen(const char *path, uid_t owner, gid_t group)
{
	struct sockaddr_un sa;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	(void)unlink(path);
	/* root:owner's group 0660: the page reaches it, other users do not
	 * (SO_PEERCRED checks again). */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chown(path, 0, group) < 0 || chmod(path, 0660) < 0 ||
	    listen(fd, 8) < 0) {
		close(fd);
		return -1;
	}
	(void)owner;
	return fd;
}

int ctl_serve_downloads(const char *conf_path, int argc, char **argv)
{
	ctl_dl d;
	sg_buf err;
	struct stat sb;
	char *sock, *dbpath;
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
	if ((lfd = ctl_dl_listen(sock, sb.st_uid, sb.st_gid)) < 0) {
		fprintf(stderr, "sendguardctl serve-downloads: cannot listen on %s: %s\n",
			sock, strerror(errno));
		ex = CTL_EX_NOPERM;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);	/* a page that hangs up is not fatal */
	printf("serve-downloads: listening on %s\n", sock);
	fflush(stdout);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "serve-downloads: accept: %s\n", strerror(errno));
			ex = CTL_EX_SOFTWARE;
			break;
		}
		ctl_dl_client(&d, fd);
		close(fd);
	}
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
