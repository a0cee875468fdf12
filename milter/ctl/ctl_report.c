/*
 * NAME
 *	ctl_report - `sendguardctl report --since DATE [--until DATE]
 *	[--csv]`: the ledger a security officer reviews
 * DESCRIPTION
 *	One row per outbound message with a verdict in the period (the
 *	milter's "verdict" audit records), joined with its hold when it
 *	was held: date, queue id, hold id, sender, external recipients,
 *	subject, categories, verdict, decision, decided by, decided at,
 *	the Unix user who ran the deciding command, and the delay in
 *	minutes. SOURCES.md (audit): every dispatch recorded with who
 *	decided, when, on what evidence; the evidence itself is in
 *	`sendguardctl show ID`. Holds in the period without a verdict
 *	record (an older milter) are listed too. Subjects and recipients
 *	of mail that was not held are not stored (data minimisation), so
 *	those cells are empty.
 *
 *	--csv writes RFC 4180 CSV in UTF-8 with a byte order mark and CRLF
 *	line ends: Excel (Japanese Windows included) then opens it with
 *	the right encoding instead of guessing CP932. A cell that starts
 *	with = + - @ or a tab gets a leading apostrophe, so that a subject
 *	chosen by a stranger cannot become a formula (CSV injection).
 *
 *	DATE is YYYY-MM-DD (local time; --until includes that whole day)
 *	or ISO 8601 with offset. Runs as the store's owner, read-only.
 * DIAGNOSTICS
 *	Exit 0, 64 usage (bad date), 70 internal, 77 permission, 78
 *	configuration.
 */
#include "ctl/ctl.h"
#include "util/sg_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CTL_REPORT_MAX 10000000

void ctl_report_help(void)
{
	printf("usage: sendguardctl [-c CONF] report --since DATE [--until DATE] [--csv]\n"
	       "\n"
	       "The ledger of outbound mail for the period: one row per message with\n"
	       "a verdict, and for held mail its decision: date, queue_id, hold_id,\n"
	       "sender, external_recipients, subject, categories, verdict, decision,\n"
	       "decided_by, decided_at, unix_user, delay_min. DATE is YYYY-MM-DD (local\n"
	       "time; --until includes that day) or ISO 8601 (2026-11-23T10:00:00+09:00).\n"
	       "--csv: UTF-8 with BOM and CRLF, for Excel; cells starting with = + - @\n"
	       "are prefixed with ' so they never run as formulas.\n"
	       "送信メールの台帳 (監査用)。--csv は BOM 付き UTF-8 で Excel で開けます。\n"
	       "\n"
	       "exit status: 0, 64 usage, 70 internal error, 77 permission,\n"
	       "78 configuration error.\n");
}

static time_t ctl_parse_date(const char *s, bool end_of_day)
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
	tm.tm_isdst = -1;
	if (end_of_day)
		tm.tm_mday++;
	return mktime(&tm);
}

typedef struct ctl_rep {
	bool csv;
	time_t since, until;
	st_store *st;
	char (*done)[ST_ID_SIZE];	/* holds already printed */
	size_t ndone, rows;
} ctl_rep;

static void ctl_cell(ctl_rep *r, const char *v, bool last)
{
	if (v == NULL)
		v = "";
	if (!r->csv) {
		printf("%s%s", v, last ? "\n" : " | ");
		return;
	}
	putchar('"');
	if (strchr("=+-@\t", v[0]) != NULL && v[0] != '\0')
		putchar('\'');
	for (const char *p = v; *p; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	fputs(last ? "\"\r\n" : "\",", stdout);
}

static void ctl_report_header(ctl_rep *r)
{
	static const char *const cols[] = {
		"date", "queue_id", "hold_id", "sender", "external_recipients",
		"subject", "categories", "verdict", "decision", "decided_by",
		"decided_at", "unix_user", "delay_min"
	};
	size_t n = sizeof(cols) / sizeof(cols[0]);

	if (r->csv)
		fputs("\xEF\xBB\xBF", stdout);
	for (size_t i = 0; i < n; i++)
		ctl_cell(r, cols[i], i + 1 == n);
}

static int ctl_decider_cb(const st_audit_rec *a, void *ctx)
{
	char **user = ctx;

	if (a->event && (strcmp(a->event, "approve") == 0 || strcmp(a->event, "reject") == 0 ||
			 strcmp(a->event, "withdraw") == 0 || strcmp(a->event, "expire") == 0)) {
		free(*user);
		*user = sg_xstrdup(a->unix_user ? a->unix_user : "");
	}
	return 0;
}

static void ctl_join(const char *const *v, size_t n, bool external_only,
		     const st_rcpt *rc, sg_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (external_only && !rc[i].external)
			continue;
		if (out->len)
			sg_buf_putc(out, ' ');
		sg_buf_puts(out, rc ? rc[i].addr : v[i]);
	}
}

static void ctl_hold_row(ctl_rep *r, const st_hold *h, const char *date)
{
	sg_buf ext, cats;
	char *user = NULL, delay[32] = "";
	sg_buf err;
	time_t decided = rel_parse_time(h->decided_at);

	sg_buf_init(&ext, SG_BUF_UNLIMITED);
	sg_buf_init(&cats, 4096);
	sg_buf_init(&err, 4096);
	ctl_join(NULL, h->nrcpts, true, h->rcpts, &ext);
	ctl_join((const char *const *)h->categories, h->ncategories, false, NULL, &cats);
	st_audit_list(r->st, h->id, 0, ctl_decider_cb, &user, &err);
	if (decided > 0)
		snprintf(delay, sizeof(delay), "%lld",
			 (long long)(decided - h->created_t) / 60);
	ctl_cell(r, date ? date : h->created, false);
	ctl_cell(r, h->queue_id, false);
	ctl_cell(r, h->id, false);
	ctl_cell(r, h->sender, false);
	ctl_cell(r, sg_buf_cstr(&ext), false);
	ctl_cell(r, h->subject, false);
	ctl_cell(r, sg_buf_cstr(&cats), false);
	ctl_cell(r, h->verdict ? h->verdict : "hold", false);
	ctl_cell(r, st_status_name(h->status), false);
	ctl_cell(r, h->decided_by, false);
	ctl_cell(r, h->decided_at, false);
	ctl_cell(r, user, false);
	ctl_cell(r, delay, true);
	free(user);
	sg_buf_free(&ext);
	sg_buf_free(&cats);
	sg_buf_free(&err);
	r->rows++;
}

static bool ctl_done(ctl_rep *r, const char *id)
{
	for (size_t i = 0; i < r->ndone; i++)
		if (strcmp(r->done[i], id) == 0)
			return true;
	return false;
}

static void ctl_mark_done(ctl_rep *r, const char *id)
{
	r->done = sg_xreallocarray(r->done, r->ndone + 1, sizeof(*r->done));
	snprintf(r->done[r->ndone++], ST_ID_SIZE, "%s", id);
}

/* Fields of a verdict record's detail JSON. */
struct ctl_vdetail {
	char *verdict, *sender, *cats;
};

static void ctl_vdetail_cb(const char *const *vals, const char *elem, void *ctx)
{
	struct ctl_vdetail *d = ctx;
	sg_buf c;

	(void)elem;
	d->verdict = sg_xstrdup(vals[0] ? vals[0] : "");
	d->sender = sg_xstrdup(vals[1] ? vals[1] : "");
	sg_buf_init(&c, 4096);
	for (const char *p = vals[2] ? vals[2] : ""; *p; p++)
		if (*p != '[' && *p != ']' && *p != '"')
			sg_buf_putc(&c, *p == ',' ? ' ' : *p);
	d->cats = sg_buf_steal(&c);
	sg_buf_free(&c);
}

static void ctl_verdict_row(ctl_rep *r, const st_audit_rec *a)
{
	static const char *const keys[] = { "verdict", "sender", "categories" };
	struct ctl_vdetail d = { NULL, NULL, NULL };
	sg_buf wrapped;

	sg_buf_init(&wrapped, SG_BUF_UNLIMITED);
	sg_buf_printf(&wrapped, "[%s]", a->detail ? a->detail : "{}");
	rel_json_each(sg_buf_cstr(&wrapped), keys, 3, 1, ctl_vdetail_cb, &d);
	ctl_cell(r, a->ts, false);
	ctl_cell(r, a->queue_id, false);
	ctl_cell(r, "", false);
	ctl_cell(r, d.sender, false);
	ctl_cell(r, "", false);
	ctl_cell(r, "", false);
	ctl_cell(r, d.cats, false);
	ctl_cell(r, d.verdict, false);
	for (int i = 0; i < 4; i++)
		ctl_cell(r, "", false);
	ctl_cell(r, "", true);
	r->rows++;
	free(d.verdict);
	free(d.sender);
	free(d.cats);
	sg_buf_free(&wrapped);
}

static int ctl_report_audit(const st_audit_rec *a, void *ctx)
{
	ctl_rep *r = ctx;
	st_hold *h = NULL;
	sg_buf err;

	if (a->ts_t >= r->until || r->rows >= CTL_REPORT_MAX)
		return 1;
	if (a->event == NULL || strcmp(a->event, "verdict") != 0)
		return 0;
	sg_buf_init(&err, 4096);
	if (a->queue_id && st_hold_find_queue_id(r->st, a->queue_id, &h, &err) == ST_OK &&
	    !ctl_done(r, h->id)) {
		ctl_hold_row(r, h, a->ts);
		ctl_mark_done(r, h->id);
	} else if (h == NULL) {
		ctl_verdict_row(r, a);
	}
	st_hold_free(h);
	sg_buf_free(&err);
	return 0;
}

static int ctl_report_hold(const st_hold *h, void *ctx)
{
	ctl_rep *r = ctx;

	if (h->created_t >= r->since && h->created_t < r->until && !ctl_done(r, h->id))
		ctl_hold_row(r, h, NULL);
	return r->rows >= CTL_REPORT_MAX;
}

int ctl_report(const char *conf_path, int argc, char **argv)
{
	static const char *const opts[] = { "--since", "--until" };
	static const char *const flags[] = { "--csv" };
	const char *vals[2] = { NULL, NULL };
	bool set[1] = { false };
	ctl_argspec spec = { opts, vals, 2, flags, set, 1, NULL, 0 };
	ctl_rep r;
	sg_conf *conf;
	sg_buf err;
	int ex = 0;

	memset(&r, 0, sizeof(r));
	if (ctl_parse_args("report", argc, argv, &spec) < 0 || vals[0] == NULL ||
	    (r.since = ctl_parse_date(vals[0], false)) == 0 ||
	    (vals[1] && (r.until = ctl_parse_date(vals[1], true)) == 0)) {
		fprintf(stderr, "usage: sendguardctl report --since YYYY-MM-DD"
			" [--until YYYY-MM-DD] [--csv]\n");
		return CTL_EX_USAGE;
	}
	if (vals[1] == NULL)
		r.until = time(NULL) + 1;
	r.csv = set[0];
	if ((conf = ctl_load_conf(conf_path)) == NULL)
		return CTL_EX_CONFIG;
	if ((r.st = ctl_store_as_owner("report", conf, &ex)) == NULL) {
		sg_conf_free(conf);
		return ex;
	}
	sg_buf_init(&err, 4096);
	ctl_report_header(&r);
	if (st_audit_list(r.st, NULL, r.since, ctl_report_audit, &r, &err) != ST_OK ||
	    st_hold_list(r.st, NULL, ctl_report_hold, &r, &err) != ST_OK) {
		fprintf(stderr, "sendguardctl report: %s\n", sg_buf_cstr(&err));
		ex = CTL_EX_SOFTWARE;
	}
	free(r.done);
	sg_buf_free(&err);
	ctl_store_close(r.st, conf);
	sg_conf_free(conf);
	return ex;
}
