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
 *	The trusted user header is passed on only when [web]
 *	trusted_user_header is set and the connection comes from loopback,
 *	where the reverse proxy is; from anywhere else it is ignored (and
 *	logged), so that nobody can name themselves an approver.
 *
 *	One internal polling thread serves every connection: requests are
 *	short (a store read or one write) and the store serialises writers
 *	anyway. Connections are limited in number ([web] max_connections),
 *	idle time ([web] timeout) and header memory; bodies larger than
 *	max_request_size are answered 413 without being read.
 * DIAGNOSTICS
 *	web_server_start() returns NULL with err (address in use, bad
 *	[web] listen). libmicrohttpd's own messages go to web_log().
 */
#include "web/web.h"
#include "util/sg_mem.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <arpa/inet.h>

struct web_server {
	struct MHD_Daemon *d;
	web_app *app;
	size_t max_body;
};

/* Per request: the body as it arrives. */
typedef struct web_conn {
	sg_buf body;
	bool toobig;
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

static enum MHD_Result web_send(struct MHD_Connection *conn, web_resp *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

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

/* The proxy's header, when it is on and the peer is loopback. */
static const char *web_user_header(web_server *srv, struct MHD_Connection *conn,
				   bool loopback, const char *client)
{
	const char *name = web_app_header(srv->app), *v;

	if (*name == '\0' ||
	    (v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name)) == NULL)
		return NULL;
	if (!loopback) {
		web_log(LOG_WARNING, "ignored %s from %s: the user header is trusted only "
			"from loopback (the reverse proxy)", name, client);
		return NULL;
	}
	return v;
}

static enum MHD_Result web_dispatch(web_server *srv, struct MHD_Connection *conn,
				    const char *url, web_method m, web_conn *wc)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	char client[INET6_ADDRSTRLEN + 1];
	web_req req;
	web_resp r;
	enum MHD_Result ret;

	web_sa_text(sa, client, sizeof(client));
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
	req.user_header = web_user_header(srv, conn, web_sa_loopback(sa), client);
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
		if (m == WEB_POST && web_declared_too_big(srv, conn))
			return web_too_big(conn);
		wc = sg_xcalloc(1, sizeof(*wc));
		sg_buf_init(&wc->body, srv->max_body);
		*con_cls = wc;
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
	web_conn *wc = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
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

web_server *web_server_start(web_app *app, const sg_conf *conf, sg_buf *err)
{
	const char *listen = sg_conf_str(conf, "web", "listen");
	struct sockaddr_storage ss;
	unsigned len;
	bool loop;
	web_server *srv;
	size_t max = (size_t)sg_conf_num(conf, "web", "max_request_size");

	if (web_parse_listen(listen, &ss, &len, &loop) < 0) {
		sg_buf_printf(err, "[web] listen: \"%s\" is not ADDRESS:PORT or [IPv6]:PORT"
			      " (numeric address)", listen);
		return NULL;
	}
	if (!loop)
		web_log(LOG_WARNING, "[web] listen %s is not loopback: put the page behind "
			"a reverse proxy with TLS", listen);
	srv = sg_xcalloc(1, sizeof(*srv));
	srv->app = app;
	srv->max_body = max;
	srv->d = MHD_start_daemon(
		MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
			(ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
		0, NULL, NULL, web_access, srv,
		/* first, or libmicrohttpd logs the rest of the options itself */
		MHD_OPTION_EXTERNAL_LOGGER, web_mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)sg_conf_num(conf, "web", "max_connections"),
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)sg_conf_num(conf, "web", "timeout"),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, max * 2 > 32768 ? max * 2 : (size_t)32768,
		MHD_OPTION_NOTIFY_COMPLETED, web_completed, NULL,
		MHD_OPTION_END);
	if (srv->d == NULL) {
		sg_buf_printf(err, "cannot listen on %s (address in use, or not this host's)",
			      listen);
		free(srv);
		return NULL;
	}
	return srv;
}

void web_server_stop(web_server *srv)
{
	if (srv == NULL)
		return;
	MHD_stop_daemon(srv->d);
	free(srv);
}
