/*
 * NAME
 *	web_app - what the page keeps while it runs: configuration, the
 *	store, the keys; logging
 * SYNOPSIS
 *	#include "web/web.h"
 * DESCRIPTION
 *	The store is opened once, by the unprivileged user the server
 *	already runs as (web_main.c switches first), so nothing it writes
 *	can be root's. The keys are read again whenever `[keys] dir`
 *	changes (sendguardctl keygen adds a file, an administrator removes
 *	an old one): a rotation takes effect without a restart, and links
 *	signed with a key that is still there keep working (overlap).
 *	When a reload fails (a file with bad permissions), the keys
 *	already loaded stay in use and the error is logged.
 * DIAGNOSTICS
 *	web_app_new() returns NULL with err naming the store or the keys.
 */
#include "web/web.h"
#include "util/sg_mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>

#include "util/sg_log.h"
#include "web/web_int.h"

void web_log_init(bool to_stderr)
{
	sg_log_open("sendguard-web", "sendguard-web", to_stderr);
}

void web_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sg_log_v(prio, fmt, ap);
	va_end(ap);
}

/* The path of base_url ("https://host/sendguard/" -> "/sendguard"). */
static char *web_prefix_of(const char *base_url)
{
	const char *p = strstr(base_url, "://");
	size_t n;

	p = p ? strchr(p + 3, '/') : NULL;
	if (p == NULL)
		return sg_xstrdup("");
	n = strcspn(p, "?#");
	while (n > 0 && p[n - 1] == '/')
		n--;
	return sg_xstrndup(p, n);
}

static bool web_keys_changed(web_app *app, struct timespec *mtime)
{
	struct stat sb;

	if (stat(app->keys_dir, &sb) < 0)
		return false;
	*mtime = sb.st_mtim;
	return sb.st_mtim.tv_sec != app->keys_mtime.tv_sec ||
	       sb.st_mtim.tv_nsec != app->keys_mtime.tv_nsec;
}

const ntf_keys *web_app_keys(web_app *app)
{
	struct timespec mt;
	ntf_keys *k;
	sg_buf err;

	if (app->keys != NULL && !web_keys_changed(app, &mt))
		return app->keys;
	if (app->keys == NULL)
		web_keys_changed(app, &mt);
	sg_buf_init(&err, 4096);
	k = ntf_keys_load(app->keys_dir, &err);
	if (k == NULL) {
		web_log(LOG_ERR, "cannot load the keys, keeping those loaded: %s",
			sg_buf_cstr(&err));
	} else {
		if (app->keys != NULL)
			web_log(LOG_INFO, "keys reloaded from %s: %zu key(s), signing with %s",
				app->keys_dir, ntf_keys_count(k), ntf_keys_signing_kid(k));
		ntf_keys_free(app->keys);
		app->keys = k;
	}
	app->keys_mtime = mt;	/* do not retry a bad directory on every request */
	sg_buf_free(&err);
	return app->keys;
}

web_app *web_app_new(const sg_conf *conf, sg_buf *err)
{
	web_app *app = sg_xcalloc(1, sizeof(*app));
	char *store = sg_conf_path(conf, "store", "path");

	app->conf = conf;
	app->keys_dir = sg_conf_path(conf, "keys", "dir");
	app->prefix = web_prefix_of(sg_conf_str(conf, "web", "base_url"));
	app->header = sg_conf_str(conf, "web", "trusted_user_header");
	app->token_lifetime = sg_conf_num(conf, "web", "token_lifetime");
	app->keys = ntf_keys_load(app->keys_dir, err);
	if (app->keys != NULL) {
		web_keys_changed(app, &app->keys_mtime);
		st_config sc = { sg_conf_str(conf, "store", "backend"), store,
				 sg_conf_str(conf, "store", "dsn"),
				 SG_CONF_STR(conf, store_gateway) };

		app->st = st_open_config(&sc, err);
		/* As the milter (mlt_runtime.c): a hung database server
		 * fails a request after 20 s instead of holding every one. */
		if (app->st != NULL)
			st_set_patience(app->st, 20000);
		if (app->st != NULL && !st_backend_complete(app->st)) {
			sg_buf_reset(err);
			sg_buf_printf(err, "store %s: the %s store does not keep holds"
				      " yet: the page needs [store] backend = sqlite",
				      st_path(app->st), st_backend_name(app->st));
			st_close(app->st);
			app->st = NULL;
		}
	}
	free(store);
	if (app->st == NULL) {
		web_app_free(app);
		return NULL;
	}
	return app;
}

void web_app_free(web_app *app)
{
	if (app == NULL)
		return;
	st_close(app->st);
	ntf_keys_free(app->keys);
	free(app->keys_dir);
	free(app->prefix);
	free(app);
}

const char *web_app_header(const web_app *app)
{
	return app->header ? app->header : "";
}

/* A numeric IPv4 or IPv6 address and a port into ss. */
static int web_fill_addr(const char *host, unsigned short port,
			 struct sockaddr_storage *ss, unsigned *len, bool *loopback)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof(*in4);
		*loopback = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		*loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
		return 0;
	}
	return -1;
}

int web_parse_listen(const char *s, struct sockaddr_storage *ss, unsigned *len,
		     bool *loopback)
{
	char host[64];
	const char *colon, *h = s;
	size_t hl;
	char *end;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (s == NULL || (colon = strrchr(s, ':')) == NULL)
		return -1;
	hl = (size_t)(colon - s);
	if (*s == '[') {	/* [IPv6]:port */
		if (hl < 3 || s[hl - 1] != ']')
			return -1;
		h = s + 1;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port < 1 || port > 65535)
		return -1;
	return web_fill_addr(host, (unsigned short)port, ss, len, loopback);
}
