/*
 * NAME
 *	ntf_smtp - a small SMTP client that keeps one connection for many
 *	notices
 * SYNOPSIS
 *	#include "notify/ntf.h"
 * DESCRIPTION
 *	`[notify] smtp = HOST:PORT` submits notices to the gateway's own
 *	listener (where the milter recognises each one by its MAC and lets
 *	it pass) instead of through sendmail(1): Postfix's sendmail needs
 *	the setgid postdrop, which a service under NoNewPrivileges cannot
 *	run (issue 16).
 *
 *	A notice is sent whole or not at all: DATA ends with "." on a line
 *	of its own, and a connection that breaks before the server's reply
 *	to it leaves nothing queued (RFC 5321 section 4.1.1.4: the server
 *	takes responsibility only with its 250). Lines are sent with CRLF
 *	and dot-stuffed (section 4.5.2). The connection is kept between
 *	notices (RSET after a refused one, a fresh one after any error or
 *	when the server closed it), closed with QUIT by ntf_smtp_close().
 *
 *	Every read and write waits at most the timeout given to
 *	ntf_smtp_new(); replies are read in bounded lines, at most
 *	NTF_SMTP_LINES continuation lines.
 * DIAGNOSTICS
 *	ntf_smtp_send() returns NTF_SUBMIT_OK, NTF_SUBMIT_USAGE (a bad
 *	address: retrying will not help), NTF_SUBMIT_STATUS (the server
 *	refused; err has its reply; permanent when *permanent is set, a 5xx),
 *	NTF_SUBMIT_EXEC (no connection) or NTF_SUBMIT_TIMEOUT.
 */
#include "notify/ntf.h"
#include "util/sg_mem.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define NTF_SMTP_LINE	1024	/* bytes of one reply line kept */
#define NTF_SMTP_LINES	100	/* continuation lines of one reply */
#define NTF_SMTP_IN	8192

struct ntf_smtp {
	char *host, *port;	/* port NULL: host is a unix socket path */
	char *helo;
	int fd;
	int timeout_ms;
	char in[NTF_SMTP_IN];
	size_t inlen;
};

ntf_smtp *ntf_smtp_new(const char *hostport, const char *helo, int timeout_s,
		       sg_buf *err)
{
	ntf_smtp *c;
	const char *colon;

	if (hostport == NULL || *hostport == '\0') {
		sg_buf_puts(err, "[notify] smtp: empty");
		return NULL;
	}
	c = sg_xcalloc(1, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = (timeout_s > 0 ? timeout_s : 30) * 1000;
	c->helo = sg_xstrdup(helo && *helo ? helo : "localhost");
	if (hostport[0] == '/') {
		c->host = sg_xstrdup(hostport);
	} else if (hostport[0] == '[' && (colon = strstr(hostport, "]:")) != NULL) {
		c->host = sg_xstrndup(hostport + 1, (size_t)(colon - hostport - 1));
		c->port = sg_xstrdup(colon + 2);
	} else if ((colon = strrchr(hostport, ':')) != NULL && colon != hostport &&
		   colon[1] != '\0') {
		c->host = sg_xstrndup(hostport, (size_t)(colon - hostport));
		c->port = sg_xstrdup(colon + 1);
	} else {
		sg_buf_printf(err, "[notify] smtp = %s: not HOST:PORT, [IPv6]:PORT or "
			      "/path/to/socket", hostport);
		ntf_smtp_free(c);
		return NULL;
	}
	return c;
}

static void ntf_smtp_drop(ntf_smtp *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->inlen = 0;
}

void ntf_smtp_free(ntf_smtp *c)
{
	if (c == NULL)
		return;
	ntf_smtp_drop(c);
	free(c->host);
	free(c->port);
	free(c->helo);
	free(c);
}

/* -------------------------------------------------------------- I/O */

static int ntf_smtp_wait(ntf_smtp *c, short ev)
{
	struct pollfd p = { c->fd, ev, 0 };
	int n;

	do
		n = poll(&p, 1, c->timeout_ms);
	while (n < 0 && errno == EINTR);
	return n > 0 ? 0 : -1;
}

static int ntf_smtp_write(ntf_smtp *c, const char *p, size_t n, sg_buf *err)
{
	while (n > 0) {
		ssize_t w;

		if (ntf_smtp_wait(c, POLLOUT) < 0) {
			sg_buf_printf(err, "smtp %s: write timed out", c->host);
			return -1;
		}
		w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			sg_buf_printf(err, "smtp %s: write: %s", c->host,
				      w < 0 ? strerror(errno) : "closed");
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One line into line (CRLF removed, cut at NTF_SMTP_LINE); -1 on
 * timeout, error or a closed connection. */
static int ntf_smtp_line(ntf_smtp *c, sg_buf *line, sg_buf *err)
{
	sg_buf_reset(line);
	for (;;) {
		char *nl = memchr(c->in, '\n', c->inlen);
		ssize_t r;

		if (nl != NULL) {
			size_t n = (size_t)(nl - c->in);

			sg_buf_append(line, c->in, n && c->in[n - 1] == '\r' ? n - 1 : n);
			memmove(c->in, nl + 1, c->inlen - n - 1);
			c->inlen -= n + 1;
			return 0;
		}
		if (c->inlen == sizeof(c->in)) {	/* overlong: keep a prefix */
			sg_buf_append(line, c->in, c->inlen);
			c->inlen = 0;
		}
		if (ntf_smtp_wait(c, POLLIN) < 0) {
			sg_buf_printf(err, "smtp %s: no reply within %d s", c->host,
				      c->timeout_ms / 1000);
			return -1;
		}
		r = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			sg_buf_printf(err, "smtp %s: connection closed%s%s", c->host,
				      r < 0 ? ": " : "", r < 0 ? strerror(errno) : "");
			return -1;
		}
		c->inlen += (size_t)r;
	}
}

/* The reply code (e.g. 250) of a whole reply, -1 on I/O error; the
 * last line goes into text. */
static int ntf_smtp_reply(ntf_smtp *c, sg_buf *text, sg_buf *err)
{
	sg_buf line;
	int code = -1;

	sg_buf_init(&line, NTF_SMTP_LINE);
	for (int i = 0; i < NTF_SMTP_LINES; i++) {
		if (ntf_smtp_line(c, &line, err) < 0)
			break;
		if (line.len < 3 || line.data[0] < '2' || line.data[0] > '5') {
			sg_buf_printf(err, "smtp %s: not an SMTP reply: %.80s", c->host,
				      sg_buf_cstr(&line));
			break;
		}
		if (line.len == 3 || line.data[3] != '-') {
			code = atoi(line.data);
			sg_buf_reset(text);
			sg_buf_append(text, line.data, line.len);
			break;
		}
	}
	sg_buf_free(&line);
	return code;
}

/* Sends cmd (CRLF added) and reads the reply; the code, or -1. */
static int ntf_smtp_cmd(ntf_smtp *c, const char *cmd, sg_buf *text, sg_buf *err)
{
	sg_buf b;
	int rc;

	sg_buf_init(&b, 2048);
	sg_buf_printf(&b, "%s\r\n", cmd);
	rc = ntf_smtp_write(c, b.data, b.len, err) < 0 ? -1 : ntf_smtp_reply(c, text, err);
	sg_buf_free(&b);
	return rc;
}

static int ntf_smtp_connect(ntf_smtp *c, sg_buf *err)
{
	struct addrinfo hints = { 0 }, *ai = NULL, *a;
	int rc;

	if (c->port == NULL) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		if (strlen(c->host) >= sizeof(sun.sun_path)) {
			sg_buf_printf(err, "smtp %s: socket path too long", c->host);
			return -1;
		}
		memcpy(sun.sun_path, c->host, strlen(c->host) + 1);
		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd >= 0 && connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return 0;
		sg_buf_printf(err, "smtp %s: connect: %s", c->host, strerror(errno));
		ntf_smtp_drop(c);
		return -1;
	}
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(c->host, c->port, &hints, &ai)) != 0) {
		sg_buf_printf(err, "smtp %s:%s: %s", c->host, c->port, gai_strerror(rc));
		return -1;
	}
	for (a = ai; a; a = a->ai_next) {
		c->fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (c->fd >= 0 && connect(c->fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		ntf_smtp_drop(c);
	}
	freeaddrinfo(ai);
	if (c->fd < 0) {
		sg_buf_printf(err, "smtp %s:%s: connect: %s", c->host, c->port,
			      strerror(errno));
		return -1;
	}
	return 0;
}

/* A connection that has said EHLO, or -1 (dropped). */
static int ntf_smtp_open(ntf_smtp *c, sg_buf *err)
{
	sg_buf text, cmd;
	int code;

	if (c->fd >= 0)
		return 0;
	if (ntf_smtp_connect(c, err) < 0)
		return -1;
	sg_buf_init(&text, NTF_SMTP_LINE);
	sg_buf_init(&cmd, 1024);
	code = ntf_smtp_reply(c, &text, err);
	if (code == 220) {
		sg_buf_printf(&cmd, "EHLO %s", c->helo);
		code = ntf_smtp_cmd(c, sg_buf_cstr(&cmd), &text, err);
	}
	if (code != 250 && code > 0)
		sg_buf_printf(err, "smtp %s: greeting or EHLO refused: %s", c->host,
			      sg_buf_cstr(&text));
	sg_buf_free(&text);
	sg_buf_free(&cmd);
	if (code != 250) {
		ntf_smtp_drop(c);
		return -1;
	}
	return 0;
}

/* The message with CRLF line ends, dot-stuffed, ended by ".". */
static void ntf_smtp_data(const char *msg, size_t len, sg_buf *out)
{
	bool bol = true;

	for (size_t i = 0; i < len; i++) {
		if (bol && msg[i] == '.')
			sg_buf_putc(out, '.');
		bol = false;
		if (msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n')
			continue;	/* the LF below writes CRLF */
		if (msg[i] == '\n') {
			sg_buf_puts(out, "\r\n");
			bol = true;
			continue;
		}
		sg_buf_putc(out, msg[i]);
	}
	if (!bol)
		sg_buf_puts(out, "\r\n");
	sg_buf_puts(out, ".\r\n");
}

static bool ntf_smtp_addr_ok(const char *a)
{
	if (a == NULL || *a == '\0' || strlen(a) > NTF_PERSON_MAX)
		return false;
	for (; *a; a++)
		if ((unsigned char)*a <= ' ' || *a == 0x7f || *a == '<' || *a == '>')
			return false;
	return true;
}

/* One transaction on an open connection. */
static ntf_submit_result ntf_smtp_txn(ntf_smtp *c, const char *from,
				      const char *rcpt, const sg_buf *data,
				      bool *permanent, bool *at_mail, sg_buf *err)
{
	sg_buf text, cmd;
	int code;
	ntf_submit_result r = NTF_SUBMIT_STATUS;
	const char *step = "MAIL FROM";

	sg_buf_init(&text, NTF_SMTP_LINE);
	sg_buf_init(&cmd, 1024);
	sg_buf_printf(&cmd, "MAIL FROM:<%s>", from);
	code = ntf_smtp_cmd(c, sg_buf_cstr(&cmd), &text, err);
	if (code == 250) {
		step = "RCPT TO";
		sg_buf_reset(&cmd);
		sg_buf_printf(&cmd, "RCPT TO:<%s>", rcpt);
		code = ntf_smtp_cmd(c, sg_buf_cstr(&cmd), &text, err);
	}
	if (code == 250 || code == 251) {
		step = "DATA";
		code = ntf_smtp_cmd(c, "DATA", &text, err);
	}
	if (code == 354) {
		step = "end of data";
		code = ntf_smtp_write(c, data->data, data->len, err) < 0 ? -1
			: ntf_smtp_reply(c, &text, err);
		if (code == 250)
			r = NTF_SUBMIT_OK;
	}
	*at_mail = code < 0 && strcmp(step, "MAIL FROM") == 0;
	if (code < 0) {
		r = NTF_SUBMIT_TIMEOUT;
		ntf_smtp_drop(c);
	} else if (r != NTF_SUBMIT_OK) {
		*permanent = code >= 500;
		sg_buf_printf(err, "smtp %s: %s refused: %s", c->host, step,
			      sg_buf_cstr(&text));
		/* A refused transaction leaves the session usable. */
		if (ntf_smtp_cmd(c, "RSET", &text, err) != 250)
			ntf_smtp_drop(c);
	}
	sg_buf_free(&text);
	sg_buf_free(&cmd);
	return r;
}

ntf_submit_result ntf_smtp_send(ntf_smtp *c, const char *from, const char *rcpt,
				const void *message, size_t len, bool *permanent,
				sg_buf *err)
{
	sg_buf data;
	ntf_submit_result r = NTF_SUBMIT_EXEC;

	*permanent = false;
	if (!ntf_smtp_addr_ok(from) || !ntf_smtp_addr_ok(rcpt)) {
		sg_buf_puts(err, "notice: unusable envelope sender or recipient");
		*permanent = true;
		return NTF_SUBMIT_USAGE;
	}
	if (len == 0) {
		sg_buf_puts(err, "notice: empty message: not sent");
		*permanent = true;
		return NTF_SUBMIT_USAGE;
	}
	sg_buf_init(&data, SG_BUF_UNLIMITED);
	ntf_smtp_data(message, len, &data);
	/* A kept connection the server has closed meanwhile (its idle
	 * timeout) fails at the first command: try once more afresh. */
	for (int attempt = 0; attempt < 2; attempt++) {
		bool was_open = c->fd >= 0, at_mail = false;

		if (ntf_smtp_open(c, err) < 0) {
			r = NTF_SUBMIT_EXEC;
			break;
		}
		r = ntf_smtp_txn(c, from, rcpt, &data, permanent, &at_mail, err);
		/* Only a failure before anything was handed over is retried
		 * here: after the final "." the server may have queued it. */
		if (r != NTF_SUBMIT_TIMEOUT || !was_open || !at_mail)
			break;
		sg_buf_reset(err);
	}
	sg_buf_free(&data);
	return r;
}

void ntf_smtp_close(ntf_smtp *c)
{
	sg_buf text, err;

	if (c == NULL || c->fd < 0)
		return;
	sg_buf_init(&text, NTF_SMTP_LINE);
	sg_buf_init(&err, 1024);
	ntf_smtp_cmd(c, "QUIT", &text, &err);
	ntf_smtp_drop(c);
	sg_buf_free(&text);
	sg_buf_free(&err);
}
