/*
 * NAME
 *	st_util - hold ids, times, status names: small helpers of the store
 * SYNOPSIS
 *	#include "store/st.h"
 *
 *	int st_new_id(char id[ST_ID_SIZE]);
 *	void st_now_iso(char buf[ST_TIME_SIZE]);
 * DESCRIPTION
 *	A hold id travels in the X-Sendguard-Hold header, in notices and
 *	in web links, so whoever sees one id must not be able to guess
 *	another: 128 bits from getrandom(2) (never rand(3) or the time),
 *	base32 (RFC 4648 alphabet, lower case: no ambiguity with case-
 *	folding mail software), prefixed "h".
 *
 *	Times are ISO 8601 with the numeric local offset written with a
 *	colon (+09:00), the format ARCHITECTURE.md requires everywhere.
 * DIAGNOSTICS
 *	st_new_id() returns -1 with errno set when the kernel gives no
 *	random bytes; it never falls back to weaker randomness.
 */
#include "store/st_int.h"

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static const char *const st_status_names[] = {
	"pending", "approved", "rejected", "withdrawn", "expired", "arriving",
	"never-arrived"
};

const char *st_status_name(st_status s)
{
	if ((unsigned)s >= sizeof(st_status_names) / sizeof(st_status_names[0]))
		return "unknown";
	return st_status_names[s];
}

const char *st_hold_state_name(const st_hold *h)
{
	return h->orphaned_at ? "orphaned" : st_status_name(h->status);
}

int st_status_parse(const char *name, st_status *out)
{
	for (size_t i = 0; i < sizeof(st_status_names) / sizeof(st_status_names[0]); i++) {
		if (name && strcmp(name, st_status_names[i]) == 0) {
			*out = (st_status)i;
			return 0;
		}
	}
	return -1;
}

const char *st_rc_name(st_rc rc)
{
	static const char *const names[] = {
		"ok", "not found", "conflict", "busy", "corrupt",
		"invalid argument", "error", "store lost"
	};

	if ((unsigned)rc >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[rc];
}

void st_time_iso(time_t t, char buf[ST_TIME_SIZE])
{
	struct tm tm;
	size_t n;

	if (localtime_r(&t, &tm) == NULL ||
	    (n = strftime(buf, ST_TIME_SIZE, "%Y-%m-%dT%H:%M:%S%z", &tm)) < 5) {
		snprintf(buf, ST_TIME_SIZE, "1970-01-01T00:00:00+00:00");
		return;
	}
	/* strftime gives +0900; ISO 8601 extended format wants +09:00. */
	memmove(buf + n - 1, buf + n - 2, 3);
	buf[n - 2] = ':';
}

void st_now_iso(char buf[ST_TIME_SIZE])
{
	st_time_iso(time(NULL), buf);
}

static int st_random(unsigned char *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(p + got, n - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

int st_new_id(char id[ST_ID_SIZE])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char r[16];
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	if (st_random(r, sizeof(r)) < 0)
		return -1;
	id[o++] = 'h';
	for (size_t i = 0; i < sizeof(r); i++) {
		acc = (acc << 8) | r[i];
		bits += 8;
		while (bits >= 5) {
			id[o++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	/* 128 = 25 * 5 + 3: the last character carries 3 bits. */
	id[o++] = alphabet[(acc << (5 - bits)) & 31];
	id[o] = '\0';
	return 0;
}

bool st_id_valid(const char *id)
{
	size_t n = 0;

	if (id == NULL || id[0] != 'h')
		return false;
	for (const char *p = id + 1; *p; p++, n++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '2' && *p <= '7')) || n >= 26)
			return false;
	return n == 26;
}

/* The name is looked up once per user id: the milter's audit thread
 * asks on every flush, and getpwuid_r reads /etc/passwd each time. */
void st_effective_user(char *buf, size_t size)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static uid_t known_uid = (uid_t)-1;
	static char known[128];
	struct passwd pw, *res = NULL;
	char tmp[1024];
	uid_t uid = geteuid();

	pthread_mutex_lock(&mu);
	if (uid != known_uid || known[0] == '\0') {
		if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
			snprintf(known, sizeof(known), "%s", res->pw_name);
		else
			snprintf(known, sizeof(known), "uid %lu", (unsigned long)uid);
		known_uid = uid;
	}
	snprintf(buf, size, "%s", known);
	pthread_mutex_unlock(&mu);
}
