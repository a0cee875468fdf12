/*
 * NAME
 *	rel_download - the page's side of an attachment download
 * SYNOPSIS
 *	#include "release/rel.h"
 * DESCRIPTION
 *	Issue 18: the page runs unprivileged and cannot read Postfix's hold
 *	queue; the root side (`sendguardctl serve-downloads`, ctl_download.c)
 *	can. They talk over a unix socket ([web] download_socket), one
 *	request per connection:
 *
 *	  request:  HOLD_ID TAB PATH LF          (at most REL_DL_LINE bytes)
 *	  answer:   "OK" SP SIZE TAB NAME LF, then exactly SIZE bytes
 *	        or  "ERR" SP CODE SP TEXT LF   (CODE: gone, dangerous,
 *	                                        nofile, header, toobig, error)
 *
 *	NAME is the decoded file name with tabs, newlines and control
 *	characters removed. The answer line is read a byte at a time so
 *	that the descriptor is left exactly at the first byte of the file,
 *	which the page then streams to the browser.
 * DIAGNOSTICS
 *	rel_dl_request() returns the connected descriptor positioned at the
 *	file, or -1 with err ("ERR CODE TEXT" from the root side, or why
 *	the socket could not be used).
 */
#include "release/rel.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int rel_dl_connect(const char *sock_path, int timeout_s, sg_buf *err)
{
	struct sockaddr_un sa;
	struct timeval tv = { timeout_s, 0 };
	int fd;

	if (strlen(sock_path) >= sizeof(sa.sun_path)) {
		sg_buf_printf(err, "download socket path too long: %s", sock_path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		sg_buf_printf(err, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock_path, strlen(sock_path));
	/* Every read and write is bounded: a stuck root side never holds
	 * the page's connection for longer than the timeout. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		sg_buf_printf(err, "cannot reach the download service at %s: %s",
			      sock_path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* One line, LF excluded, at most max bytes; -1 on EOF, error or a line
 * too long. */
int rel_dl_read_line(int fd, sg_buf *line, size_t max)
{
	sg_buf_reset(line);
	while (line->len <= max) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		if (c == '\n')
			return 0;
		sg_buf_putc(line, c);
	}
	return -1;
}

int rel_dl_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int rel_dl_request(const char *sock_path, const char *hold_id, const char *path,
		   int timeout_s, unsigned long long *size, sg_buf *name,
		   sg_buf *err)
{
	sg_buf req, line;
	int fd = rel_dl_connect(sock_path, timeout_s, err);
	char *end, *tab;

	if (fd < 0)
		return -1;
	sg_buf_init(&req, REL_DL_LINE + 2);
	sg_buf_init(&line, REL_DL_LINE + 2);
	sg_buf_printf(&req, "%s\t%s\n", hold_id, path);
	if (strchr(path, '\n') || strchr(path, '\t') || req.toobig ||
	    rel_dl_write_all(fd, req.data, req.len) < 0 ||
	    rel_dl_read_line(fd, &line, REL_DL_LINE) < 0) {
		sg_buf_puts(err, "the download service did not answer");
		goto fail;
	}
	if (strncmp(sg_buf_cstr(&line), "OK ", 3) != 0) {
		sg_buf_puts(err, sg_buf_cstr(&line));
		goto fail;
	}
	*size = strtoull(line.data + 3, &end, 10);
	if (end == line.data + 3 || *end != '\t' || (tab = end) == NULL) {
		sg_buf_puts(err, "the download service answered nonsense");
		goto fail;
	}
	sg_buf_puts(name, tab + 1);
	sg_buf_free(&req);
	sg_buf_free(&line);
	return fd;
fail:
	sg_buf_free(&req);
	sg_buf_free(&line);
	close(fd);
	return -1;
}

/* The message's header block (up to the first empty line) carries
 * exactly one X-Sendguard-Hold header and its value, unfolded and
 * without blanks, is id. The milter removes any such header a message
 * arrives with and adds its own, so only it ties a queue file to a
 * hold; two of them, or one in the body, tie it to nothing. */
bool rel_dl_header_ok(const char *msg, size_t len, const char *id)
{
	static const char name[] = "X-Sendguard-Hold:";
	size_t nl = sizeof(name) - 1, seen = 0, idl = strlen(id);
	bool match = false;

	for (size_t i = 0; i < len;) {
		size_t e = i;

		while (e < len && msg[e] != '\n')
			e++;
		if (e == i || (e == i + 1 && msg[i] == '\r'))
			break;		/* end of the header block */
		if (e - i >= nl && strncasecmp(msg + i, name, nl) == 0) {
			size_t k = 0;

			/* Unfold: the value runs on over lines that start
			 * with a blank; compare its non-blank bytes. */
			match = true;
			e = len;
			for (size_t a = i + nl; a < len; a++) {
				if (msg[a] == '\n' && (a + 1 >= len ||
							(msg[a + 1] != ' ' && msg[a + 1] != '\t'))) {
					e = a;
					break;
				}
				if (isspace((unsigned char)msg[a]))
					continue;
				if (k >= idl || msg[a] != id[k])
					match = false;
				k++;
			}
			match = match && k == idl;
			seen++;
		}
		i = e + 1;
	}
	return seen == 1 && match;
}
