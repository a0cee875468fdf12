/*
 * NAME
 *	web_http - libmicrohttpd glue for the approval page
 * SYNOPSIS
 *	#include "web/web.h"
 * DESCRIPTION
 *	Adapts libmicrohttpd to web_handle(): collects the request (path,
 *	the t and done query values, the form body up to [web]
 *	max_request_size, the few headers the page reads) and sends the
 *	response with the same security headers on every answer:
 *
 *	  Content-Security-Policy: default-src 'none'; style-src 'self';
 *	    form-action 'self'; base-uri 'none'; frame-ancestors 'none'
 *	  X-Frame-Options: DENY, X-Content-Type-Options: nosniff,
 *	  Referrer-Policy: no-referrer (tokens are in URLs),
 *	  Cache-Control: no-store (pages show personal data)
 *
 *	The trusted user header ([web] trusted_user_header) is passed on
 *	only from a proxy that proves itself (issue 14): a loopback
 *	connection whose request carries [web] proxy_secret_header with
 *	the secret of [web] proxy_secret_file (a file only the service user
 *	may read), or a connection on the unix socket [web] listen =
 *	unix:PATH whose peer (SO_PEERCRED) has uid [web] proxy_uid.
 *	Loopback alone proves nothing: every local account can connect
 *	there. From anyone else the header is ignored (and logged), so
 *	that nobody can name themselves an approver.
 *
 *	One internal polling thread serves every connection: requests are
 *	short (a store read or one write) and the store serialises writers
 *	anyway. Under load (issue 14): connections are limited in number
 *	([web] max_connections), per client ([web]
 *	max_connections_per_client: the peer address, or for a proven
 *	proxy the client it reports in [web] proxy_client_header), idle
 *	time ([web] timeout) and header memory. libmicrohttpd's timeout is
 *	an idle timeout that every byte resets, so a watchdog thread also
 *	cuts (shutdown(2)) a connection that has not sent a whole request
 *	head within [web] head_timeout of its accept (on a kept-alive
 *	connection: within timeout + head_timeout of its previous answer):
 *	a client that trickles one byte a second is cut all the same. When the table is full, the
 *	oldest connection still reading its head makes room for a new one,
 *	so idle connections from many addresses cannot lock the approvers
 *	out. Bodies larger than max_request_size are answered 413 without
 *	being read.
 * DIAGNOSTICS
 *	web_server_start() returns NULL with err (address in use, bad
 *	[web] listen). libmicrohttpd's own messages go to web_log().
 */
#include "web/web.h"
#include "util/sg_mem.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define WEB_SECRET_MIN 32	/* bytes of a proxy secret */
#define WEB_SECRET_MAX 4096
#define WEB_CLIENT_MAX 64	/* bytes of a client key */
#define WEB_WATCH_MS 250	/* how often the head deadline is checked */

/* One open connection, for the per-client limit and the head deadline.
 * Guarded by web_server.lock: the watchdog thread reads it. */
typedef struct web_track {
	struct web_track *prev, *next;
	int fd;
	struct timespec since;		/* accept, or the last answer */
	bool head_done;			/* a whole request head arrived */
	bool served;			/* answered before (kept alive) */
	bool cut;			/* shut down by us */
	bool proxy_uid;			/* unix peer with [web] proxy_uid */
	bool loopback;
	char peer[WEB_CLIENT_MAX];	/* address, or "uid N" on the unix socket */
	char client[WEB_CLIENT_MAX];	/* the proxy's client, in a request */
} web_track;

struct web_server {
	struct MHD_Daemon *d;
	web_app *app;
	size_t max_body;
	/* the proxy's proof */
	char *secret;			/* NULL: no secret configured */
	size_t secret_len;
	const char *secret_header, *client_header;
	bool unix_listen;
	long long proxy_uid;		/* -1: none */
	char *unix_path;
	int listen_fd;
	/* load */
	unsigned max_conns, per_client;
	long long head_timeout;		/* seconds */
	long long idle_timeout;		/* [web] timeout, seconds */
	pthread_mutex_t lock;
	web_track *tracks;
	size_t ntracks;
	pthread_t watchdog;
	bool watching, stopping;
};

/* Per request: the body as it arrives. */
typedef struct web_conn {
	sg_buf body;
	bool toobig;
	bool proven;			/* the proxy proved itself */
	char client[WEB_CLIENT_MAX];	/* for logs and the per-client limit */
} web_conn;

static bool web_sa_loopback(const struct sockaddr *sa)
{
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

static void web_sa_text(const struct sockaddr *sa, char *buf, size_t size)
{
	snprintf(buf, size, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)size);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			  (socklen_t)size);
}

static void web_security_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'none'; style-src 'self'; form-action 'self'; "
				"base-uri 'none'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
}

/* A download streams from the root side's socket (issue 18). */
static ssize_t web_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	int fd = (int)(intptr_t)cls;
	ssize_t n;

	(void)pos;
	do
		n = read(fd, buf, max);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void web_stream_free(void *cls)
{
	close((int)(intptr_t)cls);
}

/* An attachment never renders on the approval origin: an opaque type
 * the browser must not sniff, saved not shown, and sandboxed should
 * anything open it in place anyway (an HTML or SVG file). */
static enum MHD_Result web_send_stream(struct MHD_Connection *conn, web_resp *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_callback(r->stream_size, 32 * 1024, web_stream_read,
						 (void *)(intptr_t)r->stream_fd,
						 web_stream_free);
	if (resp == NULL)
		return MHD_NO;
	r->stream_fd = -1;	/* the response closes it */
	MHD_add_response_header(resp, "Content-Security-Policy", "sandbox");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(resp, "Content-Disposition", sg_buf_cstr(&r->disposition));
	ret = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result web_send(struct MHD_Connection *conn, web_resp *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (r->stream_fd >= 0)
		return web_send_stream(conn, r);
	resp = MHD_create_response_from_buffer(r->body.len, r->body.data ? r->body.data : "",
					       MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	web_security_headers(resp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (r->location.len)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location.data);
	if (r->status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
					r->allow_post ? "GET, HEAD, POST" : "GET, HEAD");
	ret = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result web_too_big(struct MHD_Connection *conn)
{
	web_resp r;
	enum MHD_Result ret;

	web_resp_init(&r);
	r.status = 413;
	web_page_error(&r.body, "", "送信できません", "Request too large",
		       "送信された内容が大きすぎます。コメントを短くしてください。",
		       "The request is too large. Please shorten the comment.");
	ret = web_send(conn, &r);
	web_resp_free(&r);
	return ret;
}

static web_method web_method_of(const char *m)
{
	if (strcmp(m, MHD_HTTP_METHOD_GET) == 0)
		return WEB_GET;
	if (strcmp(m, MHD_HTTP_METHOD_HEAD) == 0)
		return WEB_HEAD;
	if (strcmp(m, MHD_HTTP_METHOD_POST) == 0)
		return WEB_POST;
	return WEB_OTHER;
}

static double web_elapsed(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) + (now.tv_nsec - since->tv_nsec) / 1e9;
}

static web_track *web_track_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* The proxy proved itself on this request: its unix peer uid, or the
 * shared secret on a loopback connection. */
static bool web_proxy_proven(web_server *srv, struct MHD_Connection *conn,
			     const web_track *t)
{
	const char *v;

	if (t == NULL)
		return false;
	if (t->proxy_uid)
		return true;
	if (srv->secret == NULL || !t->loopback ||
	    (v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, srv->secret_header)) == NULL)
		return false;
	return strlen(v) == srv->secret_len && ntf_mem_eq(v, srv->secret, srv->secret_len);
}

/* The proxy's header, when it is on and the proxy proved itself. */
static const char *web_user_header(web_server *srv, struct MHD_Connection *conn,
				   bool proven, const char *client)
{
	const char *name = web_app_header(srv->app), *v;

	if (*name == '\0' ||
	    (v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name)) == NULL)
		return NULL;
	if (!proven) {
		web_log(LOG_WARNING, "ignored %s from %s: the user header is trusted only "
			"from the reverse proxy (proxy_secret_file or proxy_uid)", name, client);
		return NULL;
	}
	return v;
}

/* A client key the proxy reported: short, printable, no blanks. */
static bool web_client_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n >= WEB_CLIENT_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(".:-_[]", s[i]))
			return false;
	return true;
}

/* Requests in progress for client (the proxy's connections carry many
 * clients, one request at a time each). */
static unsigned web_client_busy(web_server *srv, const char *client)
{
	unsigned n = 0;

	for (web_track *t = srv->tracks; t; t = t->next)
		if (t->head_done && strcmp(t->client, client) == 0)
			n++;
	return n;
}

static enum MHD_Result web_busy(struct MHD_Connection *conn)
{
	web_resp r;
	enum MHD_Result ret;

	web_resp_init(&r);
	r.status = 429;
	web_page_error(&r.body, "", "混み合っています", "Too many connections",
		       "同時に開いている接続が多すぎます。しばらくしてからもう一度お試しください。",
		       "Too many connections from your address. Please try again in a moment.");
	ret = web_send(conn, &r);
	web_resp_free(&r);
	return ret;
}

static enum MHD_Result web_dispatch(web_server *srv, struct MHD_Connection *conn,
				    const char *url, web_method m, web_conn *wc)
{
	char client[WEB_CLIENT_MAX];
	web_req req;
	web_resp r;
	enum MHD_Result ret;

	snprintf(client, sizeof(client), "%s", wc->client);
	memset(&req, 0, sizeof(req));
	req.method = m;
	req.path = url;
	req.token = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "t");
	req.done = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "done");
	req.body = wc->body.data;
	req.body_len = wc->body.len;
	req.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_CONTENT_TYPE);
	req.fetch_site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
	req.user_header = web_user_header(srv, conn, wc->proven, client);
	req.client = client;
	web_resp_init(&r);
	web_handle(srv->app, &req, &r, time(NULL));
	ret = web_send(conn, &r);
	web_resp_free(&r);
	return ret;
}

/* A declared body larger than the limit is refused before it is read. */
static bool web_declared_too_big(web_server *srv, struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);

	return cl && strtoull(cl, NULL, 10) > srv->max_body;
}

static enum MHD_Result web_access(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **con_cls)
{
	web_server *srv = cls;
	web_conn *wc = *con_cls;
	web_method m = web_method_of(method);

	(void)version;
	if (wc == NULL) {
		web_track *t = web_track_of(conn);
		const char *rep;
		bool over = false;

		wc = sg_xcalloc(1, sizeof(*wc));
		sg_buf_init(&wc->body, srv->max_body);
		*con_cls = wc;
		pthread_mutex_lock(&srv->lock);
		wc->proven = web_proxy_proven(srv, conn, t);
		snprintf(wc->client, sizeof(wc->client), "%s", t ? t->peer : "?");
		if (t != NULL) {
			/* Behind the proxy every peer is the proxy: count the
			 * client it reports instead. */
			if (wc->proven && (rep = MHD_lookup_connection_value(
				    conn, MHD_HEADER_KIND, srv->client_header)) != NULL &&
			    web_client_ok(rep))
				snprintf(wc->client, sizeof(wc->client), "%s", rep);
			snprintf(t->client, sizeof(t->client), "%s", wc->client);
			t->head_done = true;
			over = wc->proven && web_client_busy(srv, wc->client) > srv->per_client;
		}
		pthread_mutex_unlock(&srv->lock);
		if (over) {
			web_log(LOG_NOTICE, "client %s: more than %u requests at once through"
				" the proxy: 429", wc->client, srv->per_client);
			return web_busy(conn);
		}
		if (m == WEB_POST && web_declared_too_big(srv, conn))
			return web_too_big(conn);
		return MHD_YES;
	}
	if (*upload_size != 0) {	/* more of the body */
		if (sg_buf_append(&wc->body, upload, *upload_size) < 0)
			wc->toobig = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (wc->toobig)
		return web_too_big(conn);
	return web_dispatch(srv, conn, url, m, wc);
}

static void web_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			  enum MHD_RequestTerminationCode toe)
{
	web_server *srv = cls;
	web_conn *wc = *con_cls;
	web_track *t = web_track_of(conn);

	(void)toe;
	if (t != NULL) {
		/* A kept-alive connection gets the same deadline for its
		 * next request head, counted from this answer. */
		pthread_mutex_lock(&srv->lock);
		t->head_done = false;
		t->served = true;
		t->client[0] = '\0';
		clock_gettime(CLOCK_MONOTONIC, &t->since);
		pthread_mutex_unlock(&srv->lock);
	}
	if (wc == NULL)
		return;
	sg_buf_free(&wc->body);
	free(wc);
	*con_cls = NULL;
}

static void web_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	web_log(LOG_WARNING, "libmicrohttpd: %s", msg);
}

/* ------------------------------------------------- connections */

static void web_cut(web_track *t, const char *why)
{
	if (t->cut)
		return;
	t->cut = true;
	/* MHD's thread then reads end of file and closes the connection. */
	shutdown(t->fd, SHUT_RDWR);
	web_log(LOG_NOTICE, "connection from %s cut: %s", t->peer, why);
}

static void web_peer_of(web_server *srv, struct MHD_Connection *conn, web_track *t)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	struct ucred cred;
	socklen_t cl = sizeof(cred);

	if (srv->unix_listen) {
		if (getsockopt(t->fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0) {
			snprintf(t->peer, sizeof(t->peer), "uid %lu", (unsigned long)cred.uid);
			t->proxy_uid = srv->proxy_uid >= 0 && (long long)cred.uid == srv->proxy_uid;
		} else {
			snprintf(t->peer, sizeof(t->peer), "unix");
		}
		return;
	}
	web_sa_text(sa, t->peer, sizeof(t->peer));
	t->loopback = web_sa_loopback(sa);
}

static void web_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		       enum MHD_ConnectionNotificationCode code)
{
	web_server *srv = cls;
	web_track *t = *socket_context;
	const union MHD_ConnectionInfo *fi;
	unsigned same = 0;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (t == NULL)
			return;
		pthread_mutex_lock(&srv->lock);
		if (t->prev)
			t->prev->next = t->next;
		else
			srv->tracks = t->next;
		if (t->next)
			t->next->prev = t->prev;
		srv->ntracks--;
		pthread_mutex_unlock(&srv->lock);
		free(t);
		*socket_context = NULL;
		return;
	}
	fi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	t = sg_xcalloc(1, sizeof(*t));
	t->fd = fi ? fi->connect_fd : -1;
	clock_gettime(CLOCK_MONOTONIC, &t->since);
	web_peer_of(srv, conn, t);
	pthread_mutex_lock(&srv->lock);
	for (web_track *o = srv->tracks; o; o = o->next)
		if (!o->cut && strcmp(o->peer, t->peer) == 0)
			same++;
	t->next = srv->tracks;
	if (srv->tracks)
		srv->tracks->prev = t;
	srv->tracks = t;
	srv->ntracks++;
	*socket_context = t;
	/* The proxy carries many clients on its connections: it is limited
	 * per reported client, after the head (web_access). */
	if (same >= srv->per_client && !t->proxy_uid &&
	    !(srv->secret != NULL && t->loopback)) {
		web_cut(t, "too many connections from this address");
	} else if (srv->ntracks + 1 >= srv->max_conns) {
		/* Keep a slot free: the oldest connection still sending its
		 * head gives way (idle ones, slow ones), not the next person. */
		web_track *old = NULL;

		for (web_track *o = srv->tracks; o; o = o->next)
			if (o != t && !o->head_done && !o->cut)
				old = o;	/* the list is newest first */
		if (old != NULL)
			web_cut(old, "the connection table is full and it sent no request");
	}
	pthread_mutex_unlock(&srv->lock);
}

/* Cuts connections that have not sent a whole request head within
 * [web] head_timeout (libmicrohttpd's own timeout is reset by every
 * byte, so a client trickling its head would be kept for ever). */
static void *web_watchdog(void *arg)
{
	web_server *srv = arg;
	struct timespec ts = { 0, WEB_WATCH_MS * 1000000L };

	for (;;) {
		pthread_mutex_lock(&srv->lock);
		if (srv->stopping) {
			pthread_mutex_unlock(&srv->lock);
			break;
		}
		/* A kept-alive connection may wait [web] timeout for its next
		 * request (libmicrohttpd closes it then), and then has
		 * head_timeout for that request's head: browsers keep
		 * connections open between pages, and a cut in the middle of
		 * one would cost them a failed request. */
		for (web_track *t = srv->tracks; t; t = t->next)
			if (!t->head_done && !t->cut &&
			    web_elapsed(&t->since) >= (double)(srv->head_timeout +
							       (t->served ? srv->idle_timeout : 0)))
				web_cut(t, "no complete request head in time ([web] head_timeout)");
		pthread_mutex_unlock(&srv->lock);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* ---------------------------------------------------------- the proxy */

/* The shared secret: a file only the service user may read. */
static int web_read_secret(web_server *srv, const char *path, sg_buf *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat sb;
	char buf[WEB_SECRET_MAX + 1];
	ssize_t n = -1;
	size_t b = 0, e;

	if (fd < 0) {
		sg_buf_printf(err, "[web] proxy_secret_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & 077) != 0) {
		sg_buf_printf(err, "[web] proxy_secret_file %s: must be a file of the user"
			      " sendguard-web runs as (uid %lu), mode 0600 or 0400:"
			      " readable by nobody else", path, (unsigned long)geteuid());
		close(fd);
		return -1;
	}
	n = read(fd, buf, WEB_SECRET_MAX);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	e = (size_t)n;
	while (b < e && isspace((unsigned char)buf[b]))
		b++;
	while (e > b && isspace((unsigned char)buf[e - 1]))
		e--;
	if (e - b < WEB_SECRET_MIN || memchr(buf + b, '\n', e - b) != NULL) {
		sg_buf_printf(err, "[web] proxy_secret_file %s: the secret must be one line"
			      " of at least %d characters (e.g. openssl rand -hex 32)", path,
			      WEB_SECRET_MIN);
		return -1;
	}
	for (size_t i = b; i < e; i++)
		if ((unsigned char)buf[i] < 0x21 || (unsigned char)buf[i] > 0x7e) {
			sg_buf_printf(err, "[web] proxy_secret_file %s: printable ASCII only"
				      " (it travels in an HTTP header)", path);
			return -1;
		}
	srv->secret = sg_xstrndup(buf + b, e - b);
	srv->secret_len = e - b;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* [web] proxy_uid: a user name or number; -1 when empty or unknown
 * (*known false for an unknown one). */
static long long web_proxy_uid(const sg_conf *conf, bool *known)
{
	const char *s = sg_conf_str(conf, "web", "proxy_uid");
	struct passwd *pw;
	char *end;
	unsigned long long v;

	*known = true;
	if (*s == '\0')
		return -1;
	if (isdigit((unsigned char)*s)) {
		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno == 0 && *end == '\0' && v < 4294967295ULL)
			return (long long)v;
	} else if ((pw = getpwnam(s)) != NULL) {
		return (long long)pw->pw_uid;
	}
	*known = false;
	return -1;
}

int web_proxy_check(const sg_conf *conf, sg_buf *err)
{
	const char *header = sg_conf_str(conf, "web", "trusted_user_header");
	const char *listen = sg_conf_str(conf, "web", "listen");
	const char *secret = sg_conf_str(conf, "web", "proxy_secret_file");
	bool known, unix_listen = strncmp(listen, "unix:", 5) == 0;
	long long uid = web_proxy_uid(conf, &known);

	if (!known) {
		sg_buf_printf(err, "[web] proxy_uid %s: no such user",
			      sg_conf_str(conf, "web", "proxy_uid"));
		return -1;
	}
	if (*header == '\0')
		return 0;
	if (*secret == '\0' && !(unix_listen && uid >= 0)) {
		sg_buf_printf(err, "[web] trusted_user_header %s: the reverse proxy must prove"
			      " itself, or any local account could name itself an approver:"
			      " set [web] proxy_secret_file, or listen = unix:PATH with"
			      " proxy_uid", header);
		return -1;
	}
	if (uid >= 0 && !unix_listen) {
		sg_buf_printf(err, "[web] proxy_uid needs listen = unix:PATH (a peer's uid is"
			      " known only on a unix socket)");
		return -1;
	}
	return 0;
}

/* [web] listen = unix:PATH: a socket every local user may connect to
 * (like loopback: signed links prove who is who); only the peer uid
 * proxy_uid is the proxy. */
static int web_unix_listen(web_server *srv, const char *path, sg_buf *err)
{
	struct sockaddr_un sun;
	struct stat sb;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path != '/' || strlen(path) >= sizeof(sun.sun_path)) {
		sg_buf_printf(err, "[web] listen unix:%s: an absolute path shorter than %zu"
			      " bytes", path, sizeof(sun.sun_path));
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	/* A socket left by a previous run; never anything else. */
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		sg_buf_printf(err, "[web] listen unix:%s: %s", path, strerror(errno));
		return -1;
	}
	old = umask(0111);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 64) < 0) {
		umask(old);
		sg_buf_printf(err, "[web] listen unix:%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	srv->listen_fd = fd;
	srv->unix_path = sg_xstrdup(path);
	return 0;
}

web_server *web_server_start(web_app *app, const sg_conf *conf, sg_buf *err)
{
	const char *listen = sg_conf_str(conf, "web", "listen");
	const char *secret_file = sg_conf_str(conf, "web", "proxy_secret_file");
	struct sockaddr_storage ss;
	unsigned len;
	bool loop;
	web_server *srv;
	size_t max = (size_t)sg_conf_num(conf, "web", "max_request_size");
	char *secret_path = NULL;

	if (web_proxy_check(conf, err) < 0)
		return NULL;
	srv = sg_xcalloc(1, sizeof(*srv));
	srv->app = app;
	srv->max_body = max;
	srv->listen_fd = -1;
	srv->proxy_uid = web_proxy_uid(conf, &loop);
	srv->secret_header = sg_conf_str(conf, "web", "proxy_secret_header");
	srv->client_header = sg_conf_str(conf, "web", "proxy_client_header");
	srv->max_conns = (unsigned)sg_conf_num(conf, "web", "max_connections");
	srv->per_client = (unsigned)sg_conf_num(conf, "web", "max_connections_per_client");
	srv->head_timeout = sg_conf_num(conf, "web", "head_timeout");
	srv->idle_timeout = sg_conf_num(conf, "web", "timeout");
	pthread_mutex_init(&srv->lock, NULL);
	if (*secret_file) {
		secret_path = sg_conf_path(conf, "web", "proxy_secret_file");
		if (web_read_secret(srv, secret_path, err) < 0)
			goto fail;
	}
	if (strncmp(listen, "unix:", 5) == 0) {
		srv->unix_listen = true;
		if (web_unix_listen(srv, listen + 5, err) < 0)
			goto fail;
		memset(&ss, 0, sizeof(ss));
	} else if (web_parse_listen(listen, &ss, &len, &loop) < 0) {
		sg_buf_printf(err, "[web] listen: \"%s\" is not ADDRESS:PORT, [IPv6]:PORT"
			      " (numeric address) or unix:PATH", listen);
		goto fail;
	} else if (!loop) {
		web_log(LOG_WARNING, "[web] listen %s is not loopback: put the page behind "
			"a reverse proxy with TLS", listen);
	}
	srv->d = srv->unix_listen
		? MHD_start_daemon(
			MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG,
			0, NULL, NULL, web_access, srv,
			MHD_OPTION_EXTERNAL_LOGGER, web_mhd_log, NULL,
			MHD_OPTION_LISTEN_SOCKET, srv->listen_fd,
			MHD_OPTION_CONNECTION_LIMIT, srv->max_conns,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)sg_conf_num(conf, "web", "timeout"),
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, max * 2 > 32768 ? max * 2 : (size_t)32768,
			MHD_OPTION_NOTIFY_COMPLETED, web_completed, srv,
			MHD_OPTION_NOTIFY_CONNECTION, web_notify, srv,
			MHD_OPTION_END)
		: MHD_start_daemon(
			MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
				(ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
			0, NULL, NULL, web_access, srv,
			/* first, or libmicrohttpd logs the rest of the options itself */
			MHD_OPTION_EXTERNAL_LOGGER, web_mhd_log, NULL,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			MHD_OPTION_CONNECTION_LIMIT, srv->max_conns,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)sg_conf_num(conf, "web", "timeout"),
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, max * 2 > 32768 ? max * 2 : (size_t)32768,
			MHD_OPTION_NOTIFY_COMPLETED, web_completed, srv,
			MHD_OPTION_NOTIFY_CONNECTION, web_notify, srv,
			MHD_OPTION_END);
	if (srv->d == NULL) {
		sg_buf_printf(err, "cannot listen on %s (address in use, or not this host's)",
			      listen);
		goto fail;
	}
	if (pthread_create(&srv->watchdog, NULL, web_watchdog, srv) != 0) {
		sg_buf_printf(err, "cannot start the connection watchdog");
		MHD_stop_daemon(srv->d);
		srv->d = NULL;
		goto fail;
	}
	srv->watching = true;
	srv->listen_fd = -1;	/* libmicrohttpd closes it at stop */
	free(secret_path);
	return srv;
fail:
	free(secret_path);
	web_server_stop(srv);
	return NULL;
}

void web_server_stop(web_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->watching) {
		pthread_mutex_lock(&srv->lock);
		srv->stopping = true;
		pthread_mutex_unlock(&srv->lock);
		pthread_join(srv->watchdog, NULL);
	}
	if (srv->d) {
		MHD_stop_daemon(srv->d);
		srv->listen_fd = -1;	/* closed by libmicrohttpd */
	}
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->unix_path)
		unlink(srv->unix_path);
	if (srv->secret) {
		explicit_bzero(srv->secret, srv->secret_len);
		free(srv->secret);
	}
	free(srv->unix_path);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
