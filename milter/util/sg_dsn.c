/*
 * NAME
 *	sg_dsn - check a PostgreSQL connection string (see sg_dsn.h)
 */
#include "util/sg_dsn.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DSN_FIELD 512		/* a key or value; a config line is 4 KiB */

typedef struct dsn_facts {
	bool password;
	bool verify_full;
	char remote[DSN_FIELD];	/* the first host that is not local */
	char passfile[DSN_FIELD];	/* passfile=, or "" */
} dsn_facts;

static bool dsn_host_local(const char *h, size_t n)
{
	char buf[DSN_FIELD];

	if (n == 0 || h[0] == '/' || h[0] == '@')
		return true;		/* default socket, socket dir, abstract */
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, h, n);
	buf[n] = '\0';
	if (strcasecmp(buf, "localhost") == 0 || strcmp(buf, "::1") == 0 ||
	    strcmp(buf, "[::1]") == 0)
		return true;
	/* 127.0.0.0/8 in dotted form. */
	if (strncmp(buf, "127.", 4) == 0 &&
	    strspn(buf + 4, "0123456789.") == strlen(buf + 4))
		return true;
	return false;
}

/* host and hostaddr may list several, separated by commas. */
static void dsn_hosts(dsn_facts *f, const char *v)
{
	while (*f->remote == '\0') {
		size_t n = strcspn(v, ",");

		if (!dsn_host_local(v, n)) {
			size_t k = n < sizeof(f->remote) - 1 ? n : sizeof(f->remote) - 1;

			memcpy(f->remote, v, k);
			f->remote[k] = '\0';
		}
		if (v[n] == '\0')
			break;
		v += n + 1;
	}
}

static void dsn_pair(dsn_facts *f, const char *k, const char *v)
{
	if (strcmp(k, "password") == 0)
		f->password = true;
	else if (strcmp(k, "host") == 0 || strcmp(k, "hostaddr") == 0)
		dsn_hosts(f, v);
	else if (strcmp(k, "sslmode") == 0)
		f->verify_full = strcmp(v, "verify-full") == 0;
	else if (strcmp(k, "passfile") == 0)
		snprintf(f->passfile, sizeof(f->passfile), "%s", v);
}

/* keyword = value ... (libpq: spaces around '=' allowed; a value in
 * single quotes may hold spaces; a backslash escapes the next byte). */
static int dsn_keywords(dsn_facts *f, const char *p, sg_buf *why)
{
	char key[DSN_FIELD], val[DSN_FIELD];

	while (*p) {
		size_t kn = 0, vn = 0;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		while (*p && *p != '=' && !isspace((unsigned char)*p)) {
			if (kn < sizeof(key) - 1)
				key[kn++] = *p;
			p++;
		}
		key[kn] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=' || kn == 0) {
			sg_buf_printf(why, "\"%.60s\" is not keyword = value (libpq "
				      "connection string)", key);
			return -1;
		}
		p++;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\'') {
			p++;
			while (*p && *p != '\'') {
				if (*p == '\\' && p[1])
					p++;
				if (vn < sizeof(val) - 1)
					val[vn++] = *p;
				p++;
			}
			if (*p != '\'') {
				sg_buf_printf(why, "the value of %s has no closing quote", key);
				return -1;
			}
			p++;
		} else {
			while (*p && !isspace((unsigned char)*p)) {
				if (*p == '\\' && p[1])
					p++;
				if (vn < sizeof(val) - 1)
					val[vn++] = *p;
				p++;
			}
		}
		val[vn] = '\0';
		dsn_pair(f, key, val);
	}
	return 0;
}

static int dsn_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..n) into out (cut at its size). */
static void dsn_unescape(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o < size - 1; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n &&
		    (hi = dsn_hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = dsn_hexval((unsigned char)s[i + 2])) >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
}

/* postgresql://[user[:password]@][host[:port][,...]][/db][?k=v&...] */
static void dsn_uri(dsn_facts *f, const char *p)
{
	size_t an = strcspn(p, "/?");
	const char *at = NULL, *q;
	char val[DSN_FIELD];

	for (const char *c = p; c < p + an; c++)
		if (*c == '@')
			at = c;
	if (at != NULL) {
		if (memchr(p, ':', (size_t)(at - p)) != NULL)
			f->password = true;
		an -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	/* Hosts: each "host[:port]" or "[v6]:port", comma-separated. */
	for (size_t i = 0; i <= an && *f->remote == '\0';) {
		size_t n = 0, hn;

		while (i + n < an && p[i + n] != ',')
			n++;
		if (n > 0 && p[i] == '[') {
			const char *rb = memchr(p + i, ']', n);

			hn = rb ? (size_t)(rb - (p + i)) + 1 : n;
		} else {
			const char *colon = memchr(p + i, ':', n);

			hn = colon ? (size_t)(colon - (p + i)) : n;
		}
		dsn_unescape(p + i, hn, val, sizeof(val));
		if (!dsn_host_local(val, strlen(val)))
			dsn_hosts(f, val);
		i += n + 1;
	}
	q = strchr(p + an, '?');
	while (q != NULL && *q) {
		char key[DSN_FIELD];
		size_t n = strcspn(++q, "&"), kn = strcspn(q, "=&");

		dsn_unescape(q, kn, key, sizeof(key));
		if (kn < n)
			dsn_unescape(q + kn + 1, n - kn - 1, val, sizeof(val));
		else
			val[0] = '\0';
		dsn_pair(f, key, val);
		q += n;
	}
}

static int dsn_parse(dsn_facts *f, const char *dsn, sg_buf *why)
{
	memset(f, 0, sizeof(*f));
	if (strncmp(dsn, "postgresql://", 13) == 0)
		dsn_uri(f, dsn + 13);
	else if (strncmp(dsn, "postgres://", 11) == 0)
		dsn_uri(f, dsn + 11);
	else if (dsn_keywords(f, dsn, why) < 0)
		return -1;
	return 0;
}

int sg_dsn_passfile(const char *dsn, char *out, size_t size)
{
	dsn_facts f;
	sg_buf why;
	int rc;

	sg_buf_init(&why, 1024);
	rc = dsn_parse(&f, dsn, &why);
	sg_buf_free(&why);
	if (rc < 0)
		return -1;
	if (f.passfile[0] == '\0')
		return 0;
	if (strlen(f.passfile) >= size || strlen(f.passfile) >= sizeof(f.passfile) - 1)
		return -1;
	snprintf(out, size, "%s", f.passfile);
	return 1;
}

int sg_dsn_check(const char *dsn, sg_buf *why)
{
	dsn_facts f;

	sg_buf_reset(why);
	if (dsn_parse(&f, dsn, why) < 0)
		return -1;
	if (f.password) {
		sg_buf_puts(why, "a password in the connection string: put it in a "
			    "password file instead (~/.pgpass of the store's user, "
			    "or passfile=PATH, mode 0600)");
		return -1;
	}
	if (*f.remote && !f.verify_full) {
		sg_buf_printf(why, "host %.200s is not this machine: it needs "
			      "sslmode=verify-full (the server proves its name) or a "
			      "unix socket", f.remote);
		return -1;
	}
	return 0;
}
