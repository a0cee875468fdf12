/*
 * NAME
 *	sg_time - times for people in `[policy] timezone`
 * SYNOPSIS
 *	#include "util/sg_time.h"
 * DESCRIPTION
 *	People read times in the organisation's zone (default Asia/Tokyo)
 *	whatever TZ the process runs under (a systemd unit or CI is often
 *	UTC). The zone's offset is read from its TZif file under
 *	/usr/share/zoneinfo (RFC 8536), not by setting TZ: the milter and
 *	the page are threaded, and setenv(3) there is not safe. Files are
 *	read once per zone and kept (a small cache under a mutex).
 *	Past the file's last transition its last local time type holds
 *	(Japan has had no change since 1951; for a zone with daylight
 *	saving this is right until 2037 with Debian's tzdata).
 *	An unknown or unreadable zone falls back to the process's local
 *	time (localtime_r), so a time is always written.
 *
 *	sg_time_ja:	2026年12月7日(月) 23:08
 *	sg_time_en:	Mon 7 Dec 2026 23:08 (+09:00)
 *	sg_time_sheet:	2026-12-07 23:08 (a cell a spreadsheet reads as a
 *			date and time)
 *	sg_time_iso:	2026-12-07T23:08:00+09:00
 */
#ifndef SG_TIME_H
#define SG_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define SG_TIME_DEFAULT_ZONE "Asia/Tokyo"
#define SG_TIME_SIZE 64

/* The zone used where a caller passes NULL: sg_conf_load() sets it
 * from [policy] timezone (every program loads its configuration before
 * it renders a time), so that pages and notices need not carry it.
 * Thread-safe. */
void sg_time_set_zone(const char *zone);
/* Broken-down time of t in zone (NULL or "": the process's zone,
 * above; Asia/Tokyo until set), with
 * tm_gmtoff set. False when the zone could not be read (then *out is
 * the process's local time). */
bool sg_tz_local(const char *zone, time_t t, struct tm *out);
/* The time_t of a wall-clock time in zone (tm_year, tm_mon, tm_mday,
 * tm_hour, tm_min, tm_sec; normalised like mktime). */
time_t sg_tz_mktime(const char *zone, const struct tm *tm);
/* Whether zone names a readable zone file ("UTC" included). */
bool sg_tz_valid(const char *zone);

void sg_time_ja(const char *zone, time_t t, char buf[SG_TIME_SIZE]);
void sg_time_en(const char *zone, time_t t, char buf[SG_TIME_SIZE]);
void sg_time_sheet(const char *zone, time_t t, char buf[SG_TIME_SIZE]);
void sg_time_iso(const char *zone, time_t t, char buf[SG_TIME_SIZE]);

#endif
