/*
 * NAME
 *	ctl_report - `sendguardctl report`: the ledger a security officer
 *	reviews
 * SYNOPSIS
 *	sendguardctl report (--month YYYY-MM | --since DATE [--until DATE])
 *	    [--lang ja|en] [--csv]
 * DESCRIPTION
 *	One row per outbound message with a verdict in the period, with
 *	its hold's decision when it was held (rel_report.c says what is in
 *	each column and where it comes from). SOURCES.md (audit): every
 *	dispatch recorded with who decided, when, on what evidence; the
 *	evidence itself is in `sendguardctl show ID`.
 *
 *	By default the ledger is for people: Japanese headers (--lang en:
 *	English), times in [policy] timezone, and with --month the totals
 *	per category and outcome. --csv is for scripts: the stable column
 *	keys and ISO 8601 times. Both are CSV in UTF-8 with a byte order
 *	mark and CRLF, formula-safe.
 *
 *	DATE is YYYY-MM-DD (a day in [policy] timezone; --until includes
 *	that whole day) or ISO 8601 with offset; --month is that calendar
 *	month in [policy] timezone. Runs as the store's owner, read-only.
 * DIAGNOSTICS
 *	Exit 0, 64 usage (bad date), 70 internal, 77 permission, 78
 *	configuration.
 */
#include "ctl/ctl.h"
#include "util/sg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CTL_REPORT_MAX 10000000

void ctl_report_help(void)
{
	printf("usage: sendguardctl [-c CONF] report (--month YYYY-MM | --since DATE\n"
	       "       [--until DATE]) [--lang ja|en] [--csv]\n"
	       "\n"
	       "The ledger of outbound mail for the period: one row per message with\n"
	       "a verdict, and for held mail its decision: date and time, sender,\n"
	       "recipients, subject, attachments, findings, categories, verdict,\n"
	       "outcome, who decided and when, approvers, comments, checklist, how\n"
	       "long it waited. For people by default: Japanese headers (--lang en:\n"
	       "English), times in [policy] timezone; --month adds the totals per\n"
	       "category and outcome after the rows.\n"
	       "--csv, for scripts: the stable column keys date, queue_id, hold_id,\n"
	       "sender, external_recipients, subject, categories, verdict, decision,\n"
	       "decided_by, decided_at, unix_user, delay_min, recipients, attachments,\n"
	       "findings, approvers, comments, checklist, assigned_approvers (new\n"
	       "keys are only ever added at the end), ISO 8601 times with offset,\n"
	       "no totals.\n"
	       "Both: CSV in UTF-8 with BOM and CRLF (Excel and LibreOffice read it);\n"
	       "cells starting with = + - @ are prefixed with ' (never formulas).\n"
	       "DATE is YYYY-MM-DD (--until includes that day) or ISO 8601\n"
	       "(2026-11-23T10:00:00+09:00).\n"
	       "送信メールの台帳 (監査用)。既定は日本語の見出し、--month で月の集計付き。\n"
	       "\n"
	       "exit status: 0, 64 usage, 70 internal error, 77 permission,\n"
	       "78 configuration error.\n");
}

/* YYYY-MM-DD as the start of that day in zone (end_of_day: the start
 * of the next day), or ISO 8601 with offset; 0 when malformed. */
static time_t ctl_parse_date(const char *s, bool end_of_day, const char *zone)
{
	struct tm tm;
	const char *e;

	if (s == NULL)
		return 0;
	if (strlen(s) > 10)
		return rel_parse_time(s);
	memset(&tm, 0, sizeof(tm));
	e = strptime(s, "%Y-%m-%d", &tm);
	if (e == NULL || *e != '\0')
		return 0;
	if (end_of_day)
		tm.tm_mday++;
	return sg_tz_mktime(zone, &tm);
}

/* YYYY-MM: [first day, first day of the next month) in zone. */
static int ctl_parse_month(const char *s, const char *zone, time_t *since, time_t *until)
{
	struct tm tm;
	const char *e;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strlen(s) != 7 || (e = strptime(s, "%Y-%m", &tm)) == NULL || *e)
		return -1;
	tm.tm_mday = 1;
	*since = sg_tz_mktime(zone, &tm);
	tm.tm_mon++;
	*until = sg_tz_mktime(zone, &tm);
	return *since > 0 && *until > *since ? 0 : -1;
}

static int ctl_report_usage(void)
{
	fprintf(stderr, "usage: sendguardctl report (--month YYYY-MM | --since YYYY-MM-DD"
		" [--until YYYY-MM-DD]) [--lang ja|en] [--csv]\n");
	return CTL_EX_USAGE;
}

int ctl_report(const char *conf_path, int argc, char **argv)
{
	static const char *const opts[] = { "--since", "--until", "--month", "--lang" };
	static const char *const flags[] = { "--csv" };
	const char *vals[4] = { NULL, NULL, NULL, NULL };
	bool set[1] = { false };
	ctl_argspec spec = { opts, vals, 4, flags, set, 1, NULL, 0 };
	rel_report_opts o;
	st_store *st;
	sg_conf *conf;
	sg_buf err;
	int ex = 0;

	memset(&o, 0, sizeof(o));
	if (ctl_parse_args("report", argc, argv, &spec) < 0 ||
	    (vals[0] == NULL) == (vals[2] == NULL) || (vals[2] && vals[1]) ||
	    (vals[3] && strcmp(vals[3], "ja") != 0 && strcmp(vals[3], "en") != 0))
		return ctl_report_usage();
	/* The zone comes from the configuration, which is read after the
	 * arguments: load it first, then read the dates in it. */
	if ((conf = ctl_load_conf(conf_path)) == NULL)
		return CTL_EX_CONFIG;
	o.zone = sg_conf_str(conf, "policy", "timezone");
	if (vals[2] ? ctl_parse_month(vals[2], o.zone, &o.since, &o.until) < 0
		    : ((o.since = ctl_parse_date(vals[0], false, o.zone)) == 0 ||
		       (vals[1] && (o.until = ctl_parse_date(vals[1], true, o.zone)) == 0))) {
		sg_conf_free(conf);
		return ctl_report_usage();
	}
	if (o.until == 0)
		o.until = time(NULL) + 1;
	o.csv = set[0];
	o.en = vals[3] && strcmp(vals[3], "en") == 0;
	o.totals = vals[2] != NULL;
	o.max_rows = CTL_REPORT_MAX;
	if ((st = ctl_store_as_owner("report", conf, &ex)) == NULL) {
		sg_conf_free(conf);
		return ex;
	}
	sg_buf_init(&err, 4096);
	if (rel_report(st, &o, stdout, &err) < 0) {
		fprintf(stderr, "sendguardctl report: %s\n", sg_buf_cstr(&err));
		ex = CTL_EX_SOFTWARE;
	}
	sg_buf_free(&err);
	ctl_store_close(st, conf);
	sg_conf_free(conf);
	return ex;
}
