/*
 * NAME
 *	sg_time - times for people in `[policy] timezone` (see sg_time.h)
 * DESCRIPTION
 *	The TZif reader takes the 64-bit (version 2+) block when there is
 *	one, else the version 1 block; every count is bounded and checked
 *	against the file's size before it is used, so a damaged zone file
 *	is refused, never read past.
 */
#include "util/sg_time.h"
#include "util/sg_mem.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SG_TZ_DIR "/usr/share/zoneinfo/"
#define SG_TZ_MAX_FILE (256 * 1024)
#define SG_TZ_MAX_TRANS 4000
#define SG_TZ_MAX_TYPES 256
#define SG_TZ_CACHE 8

typedef struct sg_tz {
	char name[128];
	bool ok;
	size_t ntrans;
	int64_t *at;		/* transition times, ascending */
	unsigned char *idx;	/* local time type after each */
	size_t ntypes;
	int32_t off[SG_TZ_MAX_TYPES];
	unsigned char dst[SG_TZ_MAX_TYPES];
} sg_tz;

static pthread_mutex_t sg_tz_mu = PTHREAD_MUTEX_INITIALIZER;
static char sg_tz_default[128] = SG_TIME_DEFAULT_ZONE;	/* under sg_tz_mu */
static sg_tz sg_tz_cache[SG_TZ_CACHE];
static size_t sg_tz_ncache;

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* A zone name is a relative path of letters, digits and _+-/ without
 * "..": nothing else under or outside the zone directory is opened. */
static bool sg_tz_name_ok(const char *z)
{
	size_t n = strlen(z);

	if (n == 0 || n >= sizeof(((sg_tz *)0)->name) || z[0] == '/' || strstr(z, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((z[i] >= 'A' && z[i] <= 'Z') || (z[i] >= 'a' && z[i] <= 'z') ||
		      (z[i] >= '0' && z[i] <= '9') || strchr("_+-/", z[i])))
			return false;
	return true;
}

/* One data block: tsize is 4 (v1) or 8 (v2+). Returns the bytes the
 * block takes, 0 when it does not fit in len. */
static size_t sg_tz_block(const unsigned char *p, size_t len, int tsize,
			  sg_tz *z, bool keep)
{
	uint32_t isut, isstd, leap, timecnt, typecnt, charcnt;
	size_t need, pos = 44;

	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return 0;
	isut = be32(p + 20);
	isstd = be32(p + 24);
	leap = be32(p + 28);
	timecnt = be32(p + 32);
	typecnt = be32(p + 36);
	charcnt = be32(p + 40);
	if (timecnt > SG_TZ_MAX_TRANS || typecnt == 0 || typecnt > SG_TZ_MAX_TYPES ||
	    isut > typecnt || isstd > typecnt || leap > 10000 || charcnt > 10000)
		return 0;
	need = pos + (size_t)timecnt * ((size_t)tsize + 1) + (size_t)typecnt * 6 +
	       charcnt + (size_t)leap * ((size_t)tsize + 4) + isstd + isut;
	if (need > len)
		return 0;
	if (!keep)
		return need;
	z->ntrans = timecnt;
	z->at = sg_xreallocarray(NULL, timecnt ? timecnt : 1, sizeof(*z->at));
	z->idx = sg_xmalloc(timecnt ? timecnt : 1);
	for (size_t i = 0; i < timecnt; i++, pos += (size_t)tsize)
		z->at[i] = tsize == 8 ? be64(p + pos) : (int32_t)be32(p + pos);
	for (size_t i = 0; i < timecnt; i++, pos++) {
		if (p[pos] >= typecnt)
			return 0;
		z->idx[i] = p[pos];
	}
	z->ntypes = typecnt;
	for (size_t i = 0; i < typecnt; i++, pos += 6) {
		z->off[i] = (int32_t)be32(p + pos);
		z->dst[i] = p[pos + 4];
		/* Offsets beyond +-26 h are not a zone: refuse the file. */
		if (z->off[i] < -93600 || z->off[i] > 93600)
			return 0;
	}
	return need;
}

static void sg_tz_load(sg_tz *z, const char *name)
{
	char path[sizeof(SG_TZ_DIR) + sizeof(z->name)];
	unsigned char *buf;
	size_t len, used;
	FILE *f;

	memset(z, 0, sizeof(*z));
	snprintf(z->name, sizeof(z->name), "%s", name);
	if (!sg_tz_name_ok(name))
		return;
	snprintf(path, sizeof(path), "%s%s", SG_TZ_DIR, name);
	if ((f = fopen(path, "rb")) == NULL)
		return;
	buf = sg_xmalloc(SG_TZ_MAX_FILE);
	len = fread(buf, 1, SG_TZ_MAX_FILE, f);
	fclose(f);
	if (len >= 44 && buf[4] >= '2') {
		/* Skip the v1 block, read the 64-bit one after it. */
		used = sg_tz_block(buf, len, 4, z, false);
		z->ok = used > 0 && sg_tz_block(buf + used, len - used, 8, z, true) > 0;
	} else {
		z->ok = sg_tz_block(buf, len, 4, z, true) > 0;
	}
	free(buf);
	if (!z->ok) {
		free(z->at);
		free(z->idx);
		z->at = NULL;
		z->idx = NULL;
	}
}

/* The offset (seconds east of UTC) of zone at t; false: unknown zone. */
static bool sg_tz_offset(const char *zone, time_t t, long *off)
{
	sg_tz *z = NULL;
	bool ok;

	pthread_mutex_lock(&sg_tz_mu);
	if (zone == NULL || *zone == '\0')
		zone = sg_tz_default;
	for (size_t i = 0; i < sg_tz_ncache; i++)
		if (strcmp(sg_tz_cache[i].name, zone) == 0)
			z = &sg_tz_cache[i];
	if (z == NULL) {
		/* A full cache reuses its last slot: zones are one or two
		 * per process, the bound only keeps a bad caller finite. */
		z = &sg_tz_cache[sg_tz_ncache < SG_TZ_CACHE ? sg_tz_ncache++ : SG_TZ_CACHE - 1];
		free(z->at);
		free(z->idx);
		sg_tz_load(z, zone);
	}
	ok = z->ok;
	if (ok) {
		size_t type = 0, lo = 0, hi = z->ntrans;

		/* Before the first transition: the first standard type
		 * (RFC 8536 3.2). */
		for (size_t i = 0; i < z->ntypes; i++)
			if (!z->dst[i]) {
				type = i;
				break;
			}
		/* The last transition at or before t (binary search). */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (z->at[mid] <= (int64_t)t)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > 0)
			type = z->idx[lo - 1];
		*off = z->off[type];
	}
	pthread_mutex_unlock(&sg_tz_mu);
	return ok;
}

void sg_time_set_zone(const char *zone)
{
	pthread_mutex_lock(&sg_tz_mu);
	snprintf(sg_tz_default, sizeof(sg_tz_default), "%s",
		 zone && *zone ? zone : SG_TIME_DEFAULT_ZONE);
	pthread_mutex_unlock(&sg_tz_mu);
}

bool sg_tz_valid(const char *zone)
{
	long off;

	return zone != NULL && *zone != '\0' && sg_tz_offset(zone, 0, &off);
}

bool sg_tz_local(const char *zone, time_t t, struct tm *out)
{
	long off;

	if (!sg_tz_offset(zone, t, &off)) {
		localtime_r(&t, out);
		return false;
	}
	t += off;
	gmtime_r(&t, out);
	out->tm_gmtoff = off;
	out->tm_isdst = 0;
	return true;
}

time_t sg_tz_mktime(const char *zone, const struct tm *tm)
{
	struct tm c = *tm;
	time_t guess;
	long off;

	c.tm_isdst = 0;
	guess = timegm(&c);
	if (!sg_tz_offset(zone, guess, &off)) {
		c = *tm;
		c.tm_isdst = -1;
		return mktime(&c);
	}
	/* The offset at the result, not at the wall-clock value read as
	 * UTC: they differ only within hours of a transition. */
	{
		long at;

		if (sg_tz_offset(zone, guess - off, &at))
			off = at;
	}
	return guess - off;
}

static void sg_time_off(long off, char *buf, size_t n)
{
	/* Zone offsets are within +-26 h (sg_tz_block refuses others). */
	int a = (int)((off < 0 ? -off : off) % 100000);

	snprintf(buf, n, "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600 % 100, a / 60 % 60);
}

void sg_time_ja(const char *zone, time_t t, char buf[SG_TIME_SIZE])
{
	static const char *const wd[] = { "日", "月", "火", "水", "木", "金", "土" };
	struct tm tm;

	sg_tz_local(zone, t, &tm);
	snprintf(buf, SG_TIME_SIZE, "%d年%d月%d日(%s) %02d:%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, wd[tm.tm_wday % 7], tm.tm_hour, tm.tm_min);
}

void sg_time_en(const char *zone, time_t t, char buf[SG_TIME_SIZE])
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	char off[24];

	sg_tz_local(zone, t, &tm);
	sg_time_off(tm.tm_gmtoff, off, sizeof(off));
	snprintf(buf, SG_TIME_SIZE, "%s %d %s %d %02d:%02d (%s)", wd[tm.tm_wday % 7],
		 tm.tm_mday, mo[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
		 tm.tm_min, off);
}

void sg_time_sheet(const char *zone, time_t t, char buf[SG_TIME_SIZE])
{
	struct tm tm;

	sg_tz_local(zone, t, &tm);
	snprintf(buf, SG_TIME_SIZE, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
}

void sg_time_iso(const char *zone, time_t t, char buf[SG_TIME_SIZE])
{
	struct tm tm;
	char off[24];

	sg_tz_local(zone, t, &tm);
	sg_time_off(tm.tm_gmtoff, off, sizeof(off));
	snprintf(buf, SG_TIME_SIZE, "%04d-%02d-%02dT%02d:%02d:%02d%s", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, off);
}
