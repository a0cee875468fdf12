/*
 * NAME
 *	rel_report - the ledger of outbound mail (`sendguardctl report`)
 * DESCRIPTION
 *	One row per outbound message with a verdict in the period (the
 *	milter's "verdict" audit records), joined with its hold when it was
 *	held; holds in the period without a verdict record (an older
 *	milter, a rebuilt store) are listed too. Since issue 18 the verdict
 *	record carries the subject, the recipients and the attachments of
 *	every message, so accepted and rejected rows have them as well;
 *	records written before that have those cells empty.
 *
 *	Two forms:
 *	  for people (default): headers in Japanese (or English, --lang
 *	  en), times as 2026-11-23 10:00 in [policy] timezone, words for
 *	  places, types, categories and outcomes; with --month, totals per
 *	  category and outcome after the rows;
 *	  for scripts (--csv): the stable column keys (columns are added
 *	  at the end, never renamed or moved), ISO 8601 times with offset,
 *	  the engine's own terms; no totals.
 *	Both are RFC 4180 CSV in UTF-8 with a byte order mark and CRLF
 *	line ends: Excel on Japanese Windows then reads UTF-8 instead of
 *	guessing CP932, and LibreOffice with filter options 44,34,76. A
 *	cell that starts with = + - @, a tab or a carriage return gets a
 *	leading apostrophe, so that a subject chosen by a stranger never
 *	becomes a formula (CSV injection).
 *
 *	Approvers, comments and checklist come from the hold's recorded
 *	approvals (schema 5: one per approval or reject, with the items
 *	the approver ticked); a hold decided before that has its
 *	decision's comment and no ticks.
 * DIAGNOSTICS
 *	rel_report() returns 0, or -1 with err filled (the store failed).
 */
#include "release/rel.h"
#include "util/sg_mem.h"
#include "util/sg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REL_LIST_MAX 500	/* recipients / attachments / findings per cell */
#define REL_TREE_DEPTH 8	/* archive levels named in a cell */

/* Outcomes in the order of the totals' columns. */
enum { O_SENT, O_REJECT, O_APPROVED, O_REJECTED, O_WITHDRAWN, O_EXPIRED,
       O_PENDING, O_OTHER, O_COUNT };

static const char *const rel_outcome_ja[O_COUNT] = {
	"送信", "送信拒否", "承認", "却下", "取り下げ", "期限切れ", "承認待ち", "その他"
};
static const char *const rel_outcome_en[O_COUNT] = {
	"sent", "refused", "approved", "rejected", "withdrawn", "expired",
	"pending", "other"
};

typedef struct rel_total {
	char *cat;		/* NULL: the total row */
	size_t n[O_COUNT + 1];	/* + the row's total */
} rel_total;

typedef struct rel_rep {
	const rel_report_opts *o;
	FILE *out;
	st_store *st;
	char (*done)[ST_ID_SIZE];	/* holds already printed */
	size_t ndone, rows;
	rel_total *tot;
	size_t ntot;
} rel_rep;

/* One row, whichever record it came from. Strings owned. */
typedef struct rel_row {
	time_t t;
	char *ts, *queue_id, *hold_id, *sender, *ext, *all, *subject, *cats;
	char *verdict, *decision, *decided_by, *decided_at, *unix_user;
	char *delay, *attachments, *findings, *approvers, *comment, *checklist;
	char *assigned;
	char *gateway;		/* whose queue kept the mail (issue 20) */
	char **catv;
	size_t ncat;
	int outcome;
} rel_row;

static void rel_row_free(rel_row *r)
{
	char **f[] = { &r->ts, &r->queue_id, &r->hold_id, &r->sender, &r->ext,
		       &r->all, &r->subject, &r->cats, &r->verdict, &r->decision,
		       &r->decided_by, &r->decided_at, &r->unix_user, &r->delay,
		       &r->attachments, &r->findings, &r->approvers, &r->comment,
		       &r->checklist, &r->assigned, &r->gateway };

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		free(*f[i]);
	for (size_t i = 0; i < r->ncat; i++)
		free(r->catv[i]);
	free(r->catv);
}

static void rel_cell(rel_rep *r, const char *v, bool last)
{
	if (v == NULL)
		v = "";
	putc('"', r->out);
	if (v[0] != '\0' && strchr("=+-@\t\r", v[0]) != NULL)
		putc('\'', r->out);
	for (const char *p = v; *p; p++) {
		if (*p == '"')
			putc('"', r->out);
		putc(*p, r->out);
	}
	fputs(last ? "\"\r\n" : "\",", r->out);
}

static const char *const rel_keys[] = {
	"date", "queue_id", "hold_id", "sender", "external_recipients",
	"subject", "categories", "verdict", "decision", "decided_by",
	"decided_at", "unix_user", "delay_min",
	/* issue 18: added, never renamed */
	"recipients", "attachments", "findings", "approvers", "comments",
	"checklist", "assigned_approvers",
	/* issue 20 */
	"gateway"
};
#define REL_NKEYS (sizeof(rel_keys) / sizeof(rel_keys[0]))

/* People's columns: [0] Japanese, [1] English. */
static const char *const rel_heads[][2] = {
	{ "日時", "Date and time" }, { "送信者", "Sender" }, { "宛先", "Recipients" },
	{ "外部の宛先", "External recipients" }, { "件名", "Subject" },
	{ "添付ファイル", "Attachments" }, { "検出内容", "Findings" },
	{ "区分", "Categories" }, { "判定", "Verdict" }, { "結果", "Outcome" },
	{ "決裁者", "Decided by" }, { "決裁日時", "Decided at" },
	{ "承認者", "Approved by" }, { "依頼先", "Asked" }, { "コメント", "Comments" },
	{ "確認項目", "Checklist" }, { "待ち時間(分)", "Waited (min)" },
	{ "保留ID", "Hold id" }, { "キューID", "Queue id" },
	{ "実行ユーザー", "Unix user" }, { "ゲートウェイ", "Gateway" }
};
#define REL_NHEADS (sizeof(rel_heads) / sizeof(rel_heads[0]))

static void rel_header(rel_rep *r)
{
	fputs("\xEF\xBB\xBF", r->out);
	if (r->o->csv) {
		for (size_t i = 0; i < REL_NKEYS; i++)
			rel_cell(r, rel_keys[i], i + 1 == REL_NKEYS);
		return;
	}
	for (size_t i = 0; i < REL_NHEADS; i++)
		rel_cell(r, rel_heads[i][r->o->en], i + 1 == REL_NHEADS);
}

static const char *rel_verdict_word(const char *v, bool ja)
{
	static const char *const w[][3] = {
		{ "accept", "送信", "sent" }, { "log", "送信 (記録)", "sent (logged)" },
		{ "bcc", "送信 (Bcc に変更)", "sent (changed to Bcc)" },
		{ "hold", "保留", "held" }, { "reject", "送信拒否", "refused" },
	};

	for (size_t i = 0; v && i < sizeof(w) / sizeof(w[0]); i++)
		if (strcmp(w[i][0], v) == 0)
			return w[i][ja ? 1 : 2];
	return v ? v : "";
}

static int rel_outcome(const char *verdict, const char *status)
{
	static const char *const st[] = { "approved", "rejected", "withdrawn",
					  "expired", "pending" };

	if (status && *status) {
		for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
			if (strcmp(st[i], status) == 0)
				return O_APPROVED + (int)i;
		return O_OTHER;
	}
	if (verdict && strcmp(verdict, "reject") == 0)
		return O_REJECT;
	if (verdict && strcmp(verdict, "hold") == 0)
		return O_OTHER;	/* held, but its hold is gone */
	return O_SENT;
}

static const char *rel_status_word(const char *status, bool ja)
{
	static const char *const w[][3] = {
		{ "pending", "承認待ち", "pending" }, { "approved", "承認 (送信)", "approved (sent)" },
		{ "rejected", "却下 (削除)", "rejected (deleted)" },
		{ "withdrawn", "取り下げ (削除)", "withdrawn (deleted)" },
		{ "expired", "期限切れ (削除)", "expired (deleted)" },
		{ "arriving", "受付中", "arriving" },
		{ "never-arrived", "未到着", "never arrived" },
	};

	for (size_t i = 0; status && i < sizeof(w) / sizeof(w[0]); i++)
		if (strcmp(w[i][0], status) == 0)
			return w[i][ja ? 1 : 2];
	return status ? status : "";
}

static void rel_print(rel_rep *r, rel_row *w)
{
	bool ja = !r->o->en;

	if (r->o->csv) {
		const char *v[] = { w->ts, w->queue_id, w->hold_id, w->sender, w->ext,
				    w->subject, w->cats, w->verdict, w->decision,
				    w->decided_by, w->decided_at, w->unix_user, w->delay,
				    w->all, w->attachments, w->findings, w->approvers,
				    w->comment, w->checklist, w->assigned, w->gateway };

		for (size_t i = 0; i < REL_NKEYS; i++)
			rel_cell(r, v[i], i + 1 == REL_NKEYS);
	} else {
		char when[SG_TIME_SIZE] = "", dec[SG_TIME_SIZE] = "";
		time_t dt = rel_parse_time(w->decided_at);
		sg_buf cats;
		const char *v[REL_NHEADS];

		sg_buf_init(&cats, SG_BUF_UNLIMITED);
		for (size_t i = 0; i < w->ncat; i++) {
			if (i)
				sg_buf_puts(&cats, "; ");
			sg_buf_puts(&cats, ntf_category_label(w->catv[i], ja));
		}
		if (w->t > 0)
			sg_time_sheet(r->o->zone, w->t, when);
		if (dt > 0)
			sg_time_sheet(r->o->zone, dt, dec);
		v[0] = when;
		v[1] = w->sender;
		v[2] = w->all;
		v[3] = w->ext;
		v[4] = w->subject;
		v[5] = w->attachments;
		v[6] = w->findings;
		v[7] = sg_buf_cstr(&cats);
		v[8] = rel_verdict_word(w->verdict, ja);
		v[9] = w->decision && *w->decision ? rel_status_word(w->decision, ja)
			: ja ? rel_outcome_ja[w->outcome] : rel_outcome_en[w->outcome];
		v[10] = w->decided_by;
		v[11] = dec;
		v[12] = w->approvers;
		v[13] = w->assigned;
		v[14] = w->comment;
		v[15] = w->checklist;
		v[16] = w->delay;
		v[17] = w->hold_id;
		v[18] = w->queue_id;
		v[19] = w->unix_user;
		v[20] = w->gateway;
		for (size_t i = 0; i < REL_NHEADS; i++)
			rel_cell(r, v[i], i + 1 == REL_NHEADS);
		sg_buf_free(&cats);
	}
	r->rows++;
}

/* ------------------------------------------------------------ totals */

static rel_total *rel_total_for(rel_rep *r, const char *cat)
{
	for (size_t i = 0; i < r->ntot; i++)
		if ((cat == NULL) == (r->tot[i].cat == NULL) &&
		    (cat == NULL || strcmp(cat, r->tot[i].cat) == 0))
			return &r->tot[i];
	r->tot = sg_xreallocarray(r->tot, r->ntot + 1, sizeof(*r->tot));
	memset(&r->tot[r->ntot], 0, sizeof(*r->tot));
	r->tot[r->ntot].cat = cat ? sg_xstrdup(cat) : NULL;
	return &r->tot[r->ntot++];
}

static void rel_count(rel_rep *r, const rel_row *w)
{
	rel_total *t;

	/* A message with two categories counts in both rows, once in the
	 * total row; one with none counts under "(none)". */
	for (size_t i = 0; i < w->ncat; i++) {
		t = rel_total_for(r, w->catv[i]);
		t->n[w->outcome]++;
		t->n[O_COUNT]++;
	}
	if (w->ncat == 0) {
		t = rel_total_for(r, "");
		t->n[w->outcome]++;
		t->n[O_COUNT]++;
	}
	t = rel_total_for(r, NULL);
	t->n[w->outcome]++;
	t->n[O_COUNT]++;
}

static void rel_totals(rel_rep *r)
{
	bool ja = !r->o->en;
	char num[32];

	/* An empty line, then a table of its own (its own header). */
	fputs("\r\n", r->out);
	rel_cell(r, ja ? "集計 (区分別・結果別の件数)" : "Totals (messages by category and outcome)", true);
	rel_cell(r, ja ? "区分" : "Category", false);
	for (int i = 0; i < O_COUNT; i++)
		rel_cell(r, ja ? rel_outcome_ja[i] : rel_outcome_en[i], false);
	rel_cell(r, ja ? "合計" : "Total", true);
	/* Categories first (in the order met), the "(none)" row, then the
	 * total row; the total row exists even for an empty month. */
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < r->ntot; i++) {
			const rel_total *t = &r->tot[i];
			int kind = t->cat == NULL ? 2 : *t->cat == '\0' ? 1 : 0;

			if (kind != pass)
				continue;
			rel_cell(r, kind == 2 ? (ja ? "合計" : "Total")
				 : kind == 1 ? (ja ? "(検出なし)" : "(no finding)")
				 : ntf_category_label(t->cat, ja), false);
			for (int k = 0; k <= O_COUNT; k++) {
				snprintf(num, sizeof(num), "%zu", t->n[k]);
				rel_cell(r, num, k == O_COUNT);
			}
		}
}

/* ---------------------------------------------------- cells from JSON */

struct rel_list {
	sg_buf *out;
	bool ja, people, external_only;
	const char *sep;
	int depth;
};

static void rel_sep(struct rel_list *l)
{
	if (l->out->len)
		sg_buf_puts(l->out, l->sep);
}

/* [{"addr":..,"external":..}] or ["addr", ...] */
static void rel_rcpt_cb(const char *const *vals, const char *elem, void *ctx)
{
	struct rel_list *l = ctx;
	const char *a = vals[0];

	if (a == NULL && elem && elem[0] != '{')
		a = elem;
	if (a == NULL || (l->external_only && (vals[1] == NULL || strcmp(vals[1], "1") != 0)))
		return;
	rel_sep(l);
	sg_buf_puts(l->out, a);
}

static char *rel_rcpts(const char *json, bool external_only, const char *sep)
{
	static const char *const keys[] = { "addr", "external" };
	sg_buf b;
	struct rel_list l = { &b, true, true, external_only, sep, 0 };

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	rel_json_each(json, keys, 2, REL_LIST_MAX, rel_rcpt_cb, &l);
	return sg_buf_steal(&b);
}

static void rel_att_cb(const char *const *vals, const char *elem, void *ctx);

static void rel_att_list(const char *json, struct rel_list *l)
{
	static const char *const keys[] = { "name", "path", "type", "encrypted", "entries" };

	rel_json_each(json, keys, 5, REL_LIST_MAX, rel_att_cb, l);
}

/* name (type, 暗号化) [entries] — for people; name [entries] for --csv. */
static void rel_att_cb(const char *const *vals, const char *elem, void *ctx)
{
	struct rel_list *l = ctx;
	const char *name = vals[0] && *vals[0] ? vals[0] : vals[1] ? vals[1] : "";

	(void)elem;
	if (l->depth == 0)
		rel_sep(l);
	else if (l->out->len && l->out->data[l->out->len - 1] != '[')
		sg_buf_puts(l->out, ", ");
	sg_buf_puts(l->out, name);
	if (l->people) {
		sg_buf_printf(l->out, " (%s", ntf_type_label(vals[2], l->ja));
		if (vals[3] && strcmp(vals[3], "1") == 0)
			sg_buf_puts(l->out, l->ja ? "、暗号化" : ", encrypted");
		sg_buf_putc(l->out, ')');
	}
	if (vals[4] && strcmp(vals[4], "[]") != 0 && l->depth < REL_TREE_DEPTH) {
		sg_buf_puts(l->out, " [");
		l->depth++;
		rel_att_list(vals[4], l);
		l->depth--;
		sg_buf_putc(l->out, ']');
	}
}

static char *rel_atts(const char *json, bool people, bool ja)
{
	sg_buf b;
	struct rel_list l = { &b, ja, people, false, "; ", 0 };

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	rel_att_list(json, &l);
	return sg_buf_steal(&b);
}

/* 個人番号 (本文) x2 for people; personal-data/mynumber@body x2 for --csv. */
static void rel_finding_cb(const char *const *vals, const char *elem, void *ctx)
{
	struct rel_list *l = ctx;
	const char *label = l->ja ? vals[2] : vals[3];

	(void)elem;
	rel_sep(l);
	if (l->people) {
		sg_buf_puts(l->out, label && *label ? label : ntf_category_label(vals[0], l->ja));
		sg_buf_puts(l->out, l->ja ? "（" : " (");
		ntf_where_text(vals[4], l->ja, l->out);
		sg_buf_puts(l->out, l->ja ? "）" : ")");
	} else {
		sg_buf_printf(l->out, "%s/%s@%s", vals[0] ? vals[0] : "",
			      vals[1] ? vals[1] : "", vals[4] ? vals[4] : "");
	}
	if (vals[5] && strcmp(vals[5], "1") != 0)
		sg_buf_printf(l->out, " x%s", vals[5]);
}

static char *rel_findings(const char *json, bool people, bool ja)
{
	static const char *const keys[] = { "category", "rule", "label_ja", "label_en",
					    "where", "count" };
	sg_buf b;
	struct rel_list l = { &b, ja, people, false, "; ", 0 };

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	rel_json_each(json, keys, 6, REL_LIST_MAX, rel_finding_cb, &l);
	return sg_buf_steal(&b);
}

static void rel_cat_cb(const char *const *vals, const char *elem, void *ctx)
{
	rel_row *w = ctx;

	(void)vals;
	if (elem == NULL || w->ncat >= ST_MAX_CATEGORIES * 2)
		return;
	w->catv = sg_xreallocarray(w->catv, w->ncat + 1, sizeof(*w->catv));
	w->catv[w->ncat++] = sg_xstrdup(elem);
}

static void rel_set_cats(rel_row *w, const char *json)
{
	sg_buf b;

	rel_json_each(json, NULL, 0, ST_MAX_CATEGORIES * 2, rel_cat_cb, w);
	sg_buf_init(&b, SG_BUF_UNLIMITED);
	for (size_t i = 0; i < w->ncat; i++) {
		if (i)
			sg_buf_putc(&b, ' ');
		sg_buf_puts(&b, w->catv[i]);
	}
	w->cats = sg_buf_steal(&b);
}

/* -------------------------------------------------------------- rows */

static int rel_decider_cb(const st_audit_rec *a, void *ctx)
{
	char **user = ctx;

	if (a->event && (strcmp(a->event, "approve") == 0 || strcmp(a->event, "reject") == 0 ||
			 strcmp(a->event, "withdraw") == 0 || strcmp(a->event, "expire") == 0)) {
		free(*user);
		*user = sg_xstrdup(a->unix_user ? a->unix_user : "");
	}
	return 0;
}

/* The hold's approvals_json: [{"verdict","approver","by","checked",
 * "comment","at"}]. */
struct rel_appr {
	sg_buf *by, *comments, *checks;
	bool people, ja;
};

static void rel_check_cb(const char *const *vals, const char *elem, void *ctx)
{
	sg_buf *b = ctx;

	(void)vals;
	if (elem == NULL)
		return;
	if (b->len && b->data[b->len - 1] != ' ')
		sg_buf_puts(b, " / ");
	sg_buf_puts(b, elem);
}

static void rel_appr_cb(const char *const *vals, const char *elem, void *ctx)
{
	struct rel_appr *a = ctx;
	const char *by = vals[2] && *vals[2] ? vals[2] : vals[1] ? vals[1] : "";
	bool reject = vals[0] && strcmp(vals[0], "reject") == 0;

	(void)elem;
	if (a->by->len)
		sg_buf_puts(a->by, "; ");
	sg_buf_puts(a->by, by);
	if (reject)
		sg_buf_puts(a->by, a->people ? (a->ja ? " (却下)" : " (rejected)") : " (reject)");
	if (vals[4] && *vals[4]) {
		if (a->comments->len)
			sg_buf_puts(a->comments, "; ");
		sg_buf_printf(a->comments, "%s: %s", by, vals[4]);
	}
	if (vals[3] && strcmp(vals[3], "[]") != 0) {
		if (a->checks->len)
			sg_buf_puts(a->checks, "; ");
		sg_buf_printf(a->checks, "%s: ", by);
		rel_json_each(vals[3], NULL, 0, REL_LIST_MAX, rel_check_cb, a->checks);
	}
}

static void rel_approvals(rel_row *w, const st_hold *h, bool people, bool ja)
{
	static const char *const keys[] = { "verdict", "approver", "by", "checked", "comment" };
	sg_buf by, comments, checks;
	struct rel_appr a = { &by, &comments, &checks, people, ja };

	sg_buf_init(&by, SG_BUF_UNLIMITED);
	sg_buf_init(&comments, SG_BUF_UNLIMITED);
	sg_buf_init(&checks, SG_BUF_UNLIMITED);
	if (h->approvals_json)
		rel_json_each(h->approvals_json, keys, 5, REL_LIST_MAX, rel_appr_cb, &a);
	/* A hold decided without recorded approvals (before schema 5,
	 * or withdrawn, expired): its decision's comment. */
	if (comments.len == 0 && h->decision_comment && *h->decision_comment)
		sg_buf_puts(&comments, h->decision_comment);
	w->approvers = sg_buf_steal(&by);
	w->comment = sg_buf_steal(&comments);
	w->checklist = sg_buf_steal(&checks);
	sg_buf_free(&by);
	sg_buf_free(&comments);
	sg_buf_free(&checks);
}

static char *rel_join(const char *const *v, size_t n, const char *sep)
{
	sg_buf b;

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	for (size_t i = 0; i < n; i++) {
		if (i)
			sg_buf_puts(&b, sep);
		sg_buf_puts(&b, v[i]);
	}
	return sg_buf_steal(&b);
}

static char *rel_hold_rcpts(const st_hold *h, bool external_only, const char *sep)
{
	sg_buf b;

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	for (size_t i = 0; i < h->nrcpts; i++) {
		if (external_only && !h->rcpts[i].external)
			continue;
		if (b.len)
			sg_buf_puts(&b, sep);
		sg_buf_puts(&b, h->rcpts[i].addr);
	}
	return sg_buf_steal(&b);
}

static void rel_hold_row(rel_rep *r, const st_hold *h, const char *ts, time_t t)
{
	bool people = !r->o->csv, ja = !r->o->en;
	const char *sep = people ? "; " : " ";
	time_t decided = rel_parse_time(h->decided_at);
	rel_row w;
	sg_buf err;
	char delay[32] = "";

	memset(&w, 0, sizeof(w));
	sg_buf_init(&err, 4096);
	st_audit_list(r->st, h->id, 0, rel_decider_cb, &w.unix_user, &err);
	if (decided > 0)
		snprintf(delay, sizeof(delay), "%lld", (long long)(decided - h->created_t) / 60);
	w.t = t ? t : h->created_t;
	w.ts = sg_xstrdup(ts ? ts : h->created);
	w.queue_id = sg_xstrdup(h->queue_id);
	w.hold_id = sg_xstrdup(h->id);
	w.sender = sg_xstrdup(h->sender);
	w.ext = rel_hold_rcpts(h, true, sep);
	w.all = rel_hold_rcpts(h, false, sep);
	w.subject = sg_xstrdup(h->subject ? h->subject : "");
	for (size_t i = 0; i < h->ncategories && i < ST_MAX_CATEGORIES * 2; i++) {
		w.catv = sg_xreallocarray(w.catv, w.ncat + 1, sizeof(*w.catv));
		w.catv[w.ncat++] = sg_xstrdup(h->categories[i]);
	}
	w.cats = rel_join((const char *const *)h->categories, h->ncategories, " ");
	w.verdict = sg_xstrdup(h->verdict ? h->verdict : "hold");
	w.decision = sg_xstrdup(st_status_name(h->status));
	w.decided_by = sg_xstrdup(h->decided_by ? h->decided_by : "");
	w.decided_at = sg_xstrdup(h->decided_at ? h->decided_at : "");
	if (w.unix_user == NULL)
		w.unix_user = sg_xstrdup("");
	w.delay = sg_xstrdup(delay);
	w.attachments = rel_atts(h->attachments_json, people, ja);
	w.findings = rel_findings(h->findings_json, people, ja);
	w.assigned = rel_join((const char *const *)h->approvers, h->napprovers, sep);
	w.gateway = sg_xstrdup(h->gateway ? h->gateway : "");
	rel_approvals(&w, h, people, ja);
	w.outcome = rel_outcome(w.verdict, w.decision);
	rel_print(r, &w);
	rel_count(r, &w);
	rel_row_free(&w);
	sg_buf_free(&err);
}

struct rel_vals {
	char **v;
	size_t n;
};

static void rel_vdetail_cb(const char *const *vals, const char *elem, void *ctx)
{
	struct rel_vals *d = ctx;

	(void)elem;
	for (size_t i = 0; i < d->n; i++)
		d->v[i] = sg_xstrdup(vals[i] ? vals[i] : "");
}

static void rel_verdict_row(rel_rep *r, const st_audit_rec *a)
{
	static const char *const keys[] = { "verdict", "sender", "categories",
					    "subject", "recipients", "attachments",
					    "findings", "gateway" };
	bool people = !r->o->csv, ja = !r->o->en;
	char *v[8] = { NULL };
	sg_buf wrapped;
	rel_row w;

	memset(&w, 0, sizeof(w));
	sg_buf_init(&wrapped, SG_BUF_UNLIMITED);
	sg_buf_printf(&wrapped, "[%s]", a->detail ? a->detail : "{}");
	{
		struct rel_vals d = { v, 8 };

		rel_json_each(sg_buf_cstr(&wrapped), keys, 8, 1, rel_vdetail_cb, &d);
	}
	for (size_t i = 0; i < 8; i++)
		if (v[i] == NULL)
			v[i] = sg_xstrdup("");
	w.t = a->ts_t;
	w.ts = sg_xstrdup(a->ts ? a->ts : "");
	w.queue_id = sg_xstrdup(a->queue_id ? a->queue_id : "");
	w.hold_id = sg_xstrdup("");
	w.sender = v[1];
	w.ext = rel_rcpts(v[4], true, people ? "; " : " ");
	w.all = rel_rcpts(v[4], false, people ? "; " : " ");
	w.subject = v[3];
	rel_set_cats(&w, v[2]);
	w.verdict = v[0];
	w.decision = sg_xstrdup("");
	w.decided_by = sg_xstrdup("");
	w.decided_at = sg_xstrdup("");
	w.unix_user = sg_xstrdup("");
	w.delay = sg_xstrdup("");
	w.attachments = rel_atts(v[5], people, ja);
	w.findings = rel_findings(v[6], people, ja);
	w.approvers = sg_xstrdup("");
	w.assigned = sg_xstrdup("");
	w.comment = sg_xstrdup("");
	w.checklist = sg_xstrdup("");
	/* the milter's records name their gateway since issue 20 */
	w.gateway = v[7];
	w.outcome = rel_outcome(w.verdict, NULL);
	free(v[2]);
	free(v[4]);
	free(v[5]);
	free(v[6]);
	rel_print(r, &w);
	rel_count(r, &w);
	rel_row_free(&w);
	sg_buf_free(&wrapped);
}

static bool rel_done(rel_rep *r, const char *id)
{
	for (size_t i = 0; i < r->ndone; i++)
		if (strcmp(r->done[i], id) == 0)
			return true;
	return false;
}

static void rel_mark_done(rel_rep *r, const char *id)
{
	r->done = sg_xreallocarray(r->done, r->ndone + 1, sizeof(*r->done));
	snprintf(r->done[r->ndone++], ST_ID_SIZE, "%s", id);
}

static int rel_audit_cb(const st_audit_rec *a, void *ctx)
{
	rel_rep *r = ctx;
	st_hold *h = NULL;
	sg_buf err;

	if (a->ts_t >= r->o->until || r->rows >= r->o->max_rows)
		return 1;
	if (a->event == NULL || strcmp(a->event, "verdict") != 0)
		return 0;
	sg_buf_init(&err, 4096);
	if (a->queue_id && st_hold_find_queue_id(r->st, a->queue_id, &h, &err) == ST_OK) {
		if (!rel_done(r, h->id)) {
			rel_hold_row(r, h, a->ts, a->ts_t);
			rel_mark_done(r, h->id);
		}
	} else {
		rel_verdict_row(r, a);
	}
	st_hold_free(h);
	sg_buf_free(&err);
	return 0;
}

static int rel_hold_cb(const st_hold *h, void *ctx)
{
	rel_rep *r = ctx;

	if (h->created_t >= r->o->since && h->created_t < r->o->until && !rel_done(r, h->id))
		rel_hold_row(r, h, NULL, 0);
	return r->rows >= r->o->max_rows;
}

int rel_report(st_store *st, const rel_report_opts *o, FILE *out, sg_buf *err)
{
	rel_rep r;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.out = out;
	r.st = st;
	rel_header(&r);
	(void)rel_total_for(&r, NULL);	/* the total row, even when empty */
	if (st_audit_list(st, NULL, o->since, rel_audit_cb, &r, err) != ST_OK ||
	    st_hold_list(st, NULL, rel_hold_cb, &r, err) != ST_OK)
		rc = -1;
	if (rc == 0 && o->totals && !o->csv)
		rel_totals(&r);
	for (size_t i = 0; i < r.ntot; i++)
		free(r.tot[i].cat);
	free(r.tot);
	free(r.done);
	return rc;
}
