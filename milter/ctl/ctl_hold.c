/*
 * NAME
 *	ctl_hold - `sendguardctl list` and `sendguardctl show ID`
 * DESCRIPTION
 *	list prints the holds, oldest first, as a table or (--json) as the
 *	array ARCHITECTURE.md promises: id, queue_id, status, applied,
 *	sender, recipients, categories, attachments, created and more. The
 *	stored JSON (recipients, categories, attachments, findings) is
 *	copied as it is: the store wrote it and keeps it valid.
 *
 *	show prints what an approver needs to decide: who sent what to
 *	whom (recipients split internal / external), the attachments with
 *	their types by content, encryption and archive entries, every
 *	finding with where it is and its masked evidence, the age and the
 *	expiry, who was asked, and the decision so far. Evidence is shown
 *	only as the engine masked it.
 *
 *	Both run as the store's owner and only read.
 * DIAGNOSTICS
 *	Exit 0, 64 usage, 66 no such hold, 70 internal, 77 permission,
 *	78 configuration.
 */
#include "ctl/ctl.h"
#include "util/sg_json.h"
#include "util/sg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CTL_SHOW_DEPTH 4

void ctl_list_help(void)
{
	printf("usage: sendguardctl [-c CONF] list [--status S] [--json] [--notices]\n"
	       "\n"
	       "List held messages, oldest first, with their subject (last column).\n"
	       "保留中のメールを件名とともに一覧表示します。\n"
	       "\n"
	       "  --status S  only pending, approved, rejected, withdrawn, expired,\n"
	       "              arriving (recorded, queue file not yet seen: nobody is\n"
	       "              asked yet) or never-arrived (closed: no queue file)\n"
	       "  --json      an array of objects: id, queue_id, new_queue_id, status,\n"
	       "              applied (true once carried out on the queue), sender,\n"
	       "              from, auth_login, recipients [{addr, external}], subject,\n"
	       "              size, categories, attachments, approvers, created,\n"
	       "              expires, decided_by, decided_at, comment, reminded_at,\n"
	       "              required, approved, approvals, escalated_at\n"
	       "  --notices   instead: the notices not sent yet (outbox: waiting for\n"
	       "              their hold, ready or being retried, failed after\n"
	       "              [notify] max_age) with attempts and the last error\n"
	       "              未送信の通知 (送信待ち・再試行中・断念) を表示します\n"
	       "\n"
	       "exit status: 0, 64 usage, 70 internal error, 77 permission,\n"
	       "78 configuration error.\n");
}

void ctl_show_help(void)
{
	printf("usage: sendguardctl [-c CONF] show ID [--json]\n"
	       "\n"
	       "Show one hold: sender, recipients (internal / external), subject,\n"
	       "attachments (type by content, encrypted or not, archive entries),\n"
	       "every finding with where it is and masked evidence, age, expiry,\n"
	       "who was asked to approve, and the decision; while the hold waits,\n"
	       "the message as the recipient will see it: From, To, Cc, Bcc, the\n"
	       "Subject as written, the body text and the first rows of\n"
	       "spreadsheets and CSV files (the preview kept, encrypted, with the\n"
	       "hold).\n"
	       "保留の詳細 (検出内容・添付・承認者・判断) と、判断までは受信者に\n"
	       "届く内容 (宛先・件名・本文・添付ファイルの中身の先頭) を表示します。\n"
	       "\n"
	       "  --json  one object, with the keys of list --json, and \"preview\":\n"
	       "          the message as the recipient will see it (from, to, cc,\n"
	       "          bcc, subject as written, bodies, files: sheets and first\n"
	       "          rows, CSV rows, page counts), or null, with\n"
	       "          \"preview_status\": shown, none (not kept, or deleted at\n"
	       "          the decision) or unreadable (its key is gone, or altered)\n"
	       "\n"
	       "exit status: 0, 64 usage, 66 no such hold, 70 internal error,\n"
	       "77 permission, 78 configuration error.\n");
}

/* ---------------------------------------------------------------- list */

struct ctl_list_ctx {
	bool json;
	size_t n;
	sg_buf out;
};

static void ctl_json_kv(sg_buf *b, const char *key, const char *val)
{
	sg_buf_putc(b, ',');
	sg_json_key(b, key);
	sg_json_str(b, val);
}

static void ctl_json_raw(sg_buf *b, const char *key, const char *raw)
{
	sg_buf_putc(b, ',');
	sg_json_key(b, key);
	sg_buf_puts(b, raw && *raw ? raw : "[]");
}

static void ctl_hold_json(sg_buf *b, const st_hold *h)
{
	sg_buf_putc(b, '{');
	sg_json_key(b, "id");
	sg_json_str(b, h->id);
	ctl_json_kv(b, "queue_id", h->queue_id);
	ctl_json_kv(b, "new_queue_id", h->new_queue_id);
	ctl_json_kv(b, "status", st_status_name(h->status));
	sg_buf_printf(b, ",\"applied\":%s", h->applied ? "true" : "false");
	/* Issue 20: whose queue keeps the mail; orphaned_at when its
	 * gateway was retired (nothing can be decided any more). */
	ctl_json_kv(b, "gateway", h->gateway);
	sg_buf_printf(b, ",\"orphaned\":%s", h->orphaned_at ? "true" : "false");
	ctl_json_kv(b, "orphaned_at", h->orphaned_at);
	ctl_json_kv(b, "sender", h->sender);
	ctl_json_kv(b, "from", h->from_addr);
	ctl_json_kv(b, "auth_login", h->auth_login);
	ctl_json_raw(b, "recipients", h->recipients_json);
	ctl_json_kv(b, "subject", h->subject);
	sg_buf_printf(b, ",\"size\":%llu", h->size);
	ctl_json_raw(b, "categories", h->categories_json);
	ctl_json_raw(b, "attachments", h->attachments_json);
	ctl_json_raw(b, "approvers", h->approvers_json);
	ctl_json_kv(b, "created", h->created);
	ctl_json_kv(b, "expires", h->expires);
	/* Delayed send (issue 19): "delay" or "approval", and when a
	 * delayed mail leaves by itself. */
	ctl_json_kv(b, "kind", h->delay ? "delay" : "approval");
	if (h->delay) {
		char rel[ST_TIME_SIZE];

		st_time_iso(h->release_t, rel);
		ctl_json_kv(b, "release", rel);
	} else {
		ctl_json_kv(b, "release", NULL);
	}
	ctl_json_kv(b, "decided_by", h->decided_by);
	ctl_json_kv(b, "decided_at", h->decided_at);
	ctl_json_kv(b, "comment", h->decision_comment);
	ctl_json_kv(b, "reminded_at", h->reminded_at);
	/* Issue 18: approvals needed and recorded (each with its
	 * checklist ticks, "on behalf of" as recorded), escalation. */
	sg_buf_printf(b, ",\"required\":%u,\"approved\":%u", h->required,
		      h->napproved);
	ctl_json_raw(b, "approvals", h->approvals_json);
	ctl_json_kv(b, "escalated_at", h->escalated_at);
	sg_buf_putc(b, '}');
}

static int ctl_list_one(const st_hold *h, void *ctx)
{
	struct ctl_list_ctx *c = ctx;

	if (c->json) {
		sg_buf_reset(&c->out);
		ctl_hold_json(&c->out, h);
		printf("%s%s", c->n ? ",\n" : "[\n", sg_buf_cstr(&c->out));
	} else {
		char created[SG_TIME_SIZE];

		/* People read it in the organisation's zone ([policy]
		 * timezone), as on the page and in notices; --json keeps the
		 * stored UTC time for programs. */
		if (h->created_t > 0)
			sg_time_iso(NULL, h->created_t, created);
		else
			snprintf(created, sizeof(created), "%s", h->created ? h->created : "");
		if (c->n == 0)
			printf("%-27s %-9s %-7s %-16s %-25s %-30s %-40s %s\n", "ID",
			       "STATUS", "APPLIED", "GATEWAY", "CREATED", "SENDER",
			       "CATEGORIES", "SUBJECT");
		printf("%-27s %-9s %-7s %-16s %-25s %-30s %-40s ", h->id,
		       st_hold_state_name(h), h->applied ? "yes" : "no",
		       h->gateway ? h->gateway : "",
		       created, h->sender ? h->sender : "",
		       h->categories_json ? h->categories_json : "[]");
		/* The subject last (it has spaces), on this one line: a
		 * stranger's control characters cannot forge a row. */
		for (const char *p = h->subject ? h->subject : ""; *p; p++)
			putchar((unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p);
		putchar('\n');
	}
	c->n++;
	return 0;
}

/* --notices: the outbox rows not sent yet (waiting, ready, failed). */
static int ctl_notice_one(const st_notice *n, void *ctx)
{
	struct ctl_list_ctx *c = ctx;

	if (c->json) {
		sg_buf_reset(&c->out);
		sg_buf_printf(&c->out, "{\"id\":%lld", n->id);
		ctl_json_kv(&c->out, "hold_id", n->hold_id);
		ctl_json_kv(&c->out, "queue_id", n->queue_id);
		ctl_json_kv(&c->out, "kind", n->kind);
		ctl_json_kv(&c->out, "to", n->rcpt);
		ctl_json_kv(&c->out, "message_id", n->message_id);
		ctl_json_kv(&c->out, "state", st_notice_state_name(n->state));
		ctl_json_kv(&c->out, "created", n->created);
		sg_buf_printf(&c->out, ",\"attempts\":%u", n->attempts);
		ctl_json_kv(&c->out, "last_error", n->last_error);
		sg_buf_putc(&c->out, '}');
		printf("%s%s", c->n ? ",\n" : "[\n", sg_buf_cstr(&c->out));
	} else {
		if (c->n == 0)
			printf("%-6s %-8s %-27s %-20s %-30s %-8s %s\n", "ID", "STATE",
			       "HOLD", "KIND", "TO", "ATTEMPTS", "LAST ERROR");
		printf("%-6lld %-8s %-27s %-20s %-30s %-8u %s\n", n->id,
		       st_notice_state_name(n->state), n->hold_id ? n->hold_id : "-",
		       n->kind, n->rcpt, n->attempts, n->last_error ? n->last_error : "");
	}
	c->n++;
	return 0;
}

int ctl_list(const char *conf_path, int argc, char **argv)
{
	static const char *const opts[] = { "--status" };
	static const char *const flags[] = { "--json", "--notices" };
	const char *vals[1] = { NULL };
	bool set[2] = { false, false };
	ctl_argspec spec = { opts, vals, 1, flags, set, 2, NULL, 0 };
	struct ctl_list_ctx c = { false, 0, { 0 } };
	st_status status;
	sg_conf *conf;
	st_store *st;
	sg_buf err;
	int ex = 0;

	if (ctl_parse_args("list", argc, argv, &spec) < 0 ||
	    (vals[0] && st_status_parse(vals[0], &status) < 0)) {
		fprintf(stderr, "usage: sendguardctl list [--status pending|approved|"
			"rejected|withdrawn|expired|arriving|never-arrived] [--json]"
			" [--notices]\n");
		return CTL_EX_USAGE;
	}
	if ((conf = ctl_load_conf(conf_path)) == NULL)
		return CTL_EX_CONFIG;
	if ((st = ctl_store_as_owner("list", conf, &ex)) == NULL) {
		sg_conf_free(conf);
		return ex;
	}
	c.json = set[0];
	sg_buf_init(&c.out, SG_BUF_UNLIMITED);
	sg_buf_init(&err, 4096);
	if ((set[1] ? st_outbox_list(st, false, ctl_notice_one, &c, &err)
		    : st_hold_list(st, vals[0] ? &status : NULL, ctl_list_one, &c,
				   &err)) != ST_OK) {
		fprintf(stderr, "sendguardctl list: %s\n", sg_buf_cstr(&err));
		ex = CTL_EX_SOFTWARE;
	}
	if (c.json)
		printf("%s]\n", c.n ? "\n" : "[");
	else if (c.n == 0)
		printf(set[1] ? "no unsent notices / 未送信の通知はありません\n"
			      : "no holds / 保留はありません\n");
	sg_buf_free(&c.out);
	sg_buf_free(&err);
	ctl_store_close(st, conf);
	sg_conf_free(conf);
	return ex;
}

/* ---------------------------------------------------------------- show */

static void ctl_show_rcpts(const st_hold *h, const ntf_hold_view *v, bool external)
{
	size_t n = 0;
	sg_buf p;

	printf("%s:\n", external ? "外部宛先 / External recipients"
				 : "内部宛先 / Internal recipients");
	sg_buf_init(&p, SG_BUF_UNLIMITED);
	for (size_t i = 0; i < h->nrcpts; i++)
		if (h->rcpts[i].external == external) {
			/* 山田 太郎 <yamada@...> when the mail names them
			 * (v->rcpts is h->rcpts in order). */
			sg_buf_reset(&p);
			ntf_person(h->rcpts[i].addr, i < v->nrcpts ? v->rcpts[i].name : NULL, &p);
			printf("  %s\n", sg_buf_cstr(&p));
			n++;
		}
	sg_buf_free(&p);
	if (n == 0)
		printf("  (なし / none)\n");
}

/* Text from the message for a terminal: control characters (but the
 * newline, which `nl` replaces by a newline and indent) become blanks,
 * so that no escape sequence in a body or cell reaches the terminal. */
static void ctl_show_text(const char *s, const char *nl)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			fputs(nl, stdout);
		else
			putchar(c < 0x20 || c == 0x7f ? ' ' : c);
	}
}

static void ctl_show_rows(const rel_pv_row *r, size_t n, int indent)
{
	for (size_t i = 0; i < n; i++) {
		printf("%*s| ", indent, "");
		for (size_t k = 0; k < r[i].n; k++) {
			ctl_show_text(r[i].cells[k], " ");
			fputs(" | ", stdout);
		}
		putchar('\n');
	}
}

/* What the preview knows of one attachment or archive entry. */
static void ctl_show_file(const rel_pv_file *f, int indent)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->nsheets; i++) {
		const rel_pv_sheet *sh = &f->sheets[i];

		printf("%*sシート / Sheet: ", indent, "");
		ctl_show_text(sh->name, " ");
		printf(" (%ld 行 × %ld 列 / %ld rows × %ld columns)\n", sh->rows, sh->cols,
		       sh->rows, sh->cols);
		ctl_show_rows(sh->first, sh->nfirst, indent + 2);
	}
	if (f->more_sheets)
		printf("%*s(ほかにもシートがあります / more sheets)\n", indent, "");
	if (strcmp(f->kind, "csv") == 0) {
		printf("%*sCSV: %ld 行 / rows\n", indent, "", f->rows);
		ctl_show_rows(f->first, f->nfirst, indent + 2);
	}
	for (size_t i = 0; i < f->nlines; i++) {
		printf("%*s> ", indent, "");
		ctl_show_text(f->lines[i], " ");
		putchar('\n');
	}
	if (strcmp(f->kind, "pdf") == 0)
		printf("%*sPDF: %ld ページ / pages\n", indent, "", f->pages);
	if (strcmp(f->kind, "image") == 0)
		printf("%*s(画像: 縮小表示は作りません / image: no thumbnail is made)\n",
		       indent, "");
}

static void ctl_show_atts(const ntf_attachment_view *a, size_t n, int depth,
			  const rel_preview *pv)
{
	for (size_t i = 0; i < n && depth < CTL_SHOW_DEPTH; i++) {
		printf("%*s- %s  [%s (%s), %llu バイト / bytes, %s]%s%s\n", 2 + depth * 4, "",
		       a[i].name && *a[i].name ? a[i].name : "(名前なし / no name)",
		       ntf_type_label(a[i].type ? a[i].type : "?", true),
		       ntf_type_label(a[i].type ? a[i].type : "?", false), a[i].size,
		       a[i].encrypted ? "暗号化あり / encrypted"
				      : "暗号化なし / NOT encrypted",
		       a[i].note ? "  " : "", a[i].note ? a[i].note : "");
		if (pv != NULL)
			ctl_show_file(rel_preview_file(pv, a[i].path), 6 + depth * 4);
		ctl_show_atts(a[i].entries, a[i].nentries, depth + 1, pv);
	}
}

/* The message as the recipient will see it (issue 18). */
static void ctl_show_preview(const rel_preview *pv)
{
	printf("受信者に届く内容 / As the recipient will see it:\n");
	printf("  差出人 / From: ");
	ctl_show_text(pv->from ? pv->from : "", " ");
	printf("\n  宛先 / To: ");
	ctl_show_text(pv->to ? pv->to : "", " ");
	printf("\n  CC / Cc: ");
	ctl_show_text(pv->cc ? pv->cc : "", " ");
	printf("\n  BCC（宛先にもCCにもない受信者） / Bcc (envelope recipients in neither"
	       " To nor Cc): ");
	for (size_t i = 0; i < pv->nbcc; i++) {
		ctl_show_text(pv->bcc[i], " ");
		fputs(i + 1 < pv->nbcc ? ", " : "", stdout);
	}
	printf("%s\n  件名 / Subject: ", pv->nbcc ? "" : "(なし / none)");
	ctl_show_text(pv->subject ? pv->subject : "", " ");
	printf("\n");
	for (size_t i = 0; i < pv->nbodies; i++) {
		const rel_pv_body *b = &pv->bodies[i];

		sg_buf w;

		sg_buf_init(&w, SG_BUF_UNLIMITED);
		/* The place only when it is not the message's own body. */
		if (b->where && strcmp(b->where, "body") != 0)
			ntf_where_text(b->where, true, &w);
		printf("  本文 / Body%s%s%s%s:\n    ", w.len || b->html ? " (" : "",
		       sg_buf_cstr(&w), b->html ? (w.len ? ", " : "") : "",
		       b->html ? "HTML をテキストで表示 / HTML shown as text)" : w.len ? ")" : "");
		sg_buf_free(&w);
		ctl_show_text(b->text, "\n    ");
		printf("\n%s", b->cut ? "    [... 以下省略 / cut at [hold] preview_bytes]\n" : "");
	}
	if (pv->nbodies == 0)
		printf("  本文 / Body: (テキストなし / no text)\n");
	if (pv->cut)
		printf("  (一部は表示の上限のため省略 / some of the message is left out of"
		       " this preview for its bounds)\n");
}

static void ctl_show_findings(const ntf_hold_view *v)
{
	printf("検出内容 / Findings:\n");
	if (v->nfindings == 0)
		printf("  (なし / none)\n");
	for (size_t i = 0; i < v->nfindings; i++) {
		const ntf_finding_view *f = &v->findings[i];

		printf("  - %s%s%s [%s, %s]", f->label_ja ? f->label_ja : "",
		       f->label_ja && f->label_en ? " / " : "",
		       f->label_en ? f->label_en : "", f->category, f->rule);
		{
			sg_buf w;

			/* 本文 / 件名 / 添付ファイル「…」, and the engine's own
			 * name of the place for whoever greps it. */
			sg_buf_init(&w, SG_BUF_UNLIMITED);
			ntf_where_text(f->where, true, &w);
			printf(" x%lu\n    場所 / where: %s (%s)\n", f->count, sg_buf_cstr(&w),
			       f->where);
			sg_buf_free(&w);
		}
		if (ntf_evidence_is_type(f->evidence))
			printf("    種類 / type: %s / %s (%s)\n",
			       ntf_type_label(f->evidence, true),
			       ntf_type_label(f->evidence, false), f->evidence);
		else if (f->evidence && *f->evidence)
			printf("    該当箇所（" NTF_MASKED_JA "） / evidence (" NTF_MASKED_EN "): %s\n",
			       f->evidence);
	}
}

/* A time for people (2026年12月7日(月) 23:08, [policy] timezone), the
 * ISO 8601 value after it for whoever greps or compares. */
static void ctl_show_time(const char *label, time_t t, const char *iso)
{
	char ja[SG_TIME_SIZE];

	sg_time_ja(NULL, t, ja);
	printf("%s: %s (%s)", label, t > 0 ? ja : "?", iso ? iso : "?");
}

static void ctl_show_age(const st_hold *h)
{
	time_t now = time(NULL);
	long long age = (long long)(now - h->created_t);

	ctl_show_time("保留日時 / Created", h->created_t, h->created);
	printf(", %lld時間%02lld分前 / %lldh %02lldm ago\n", age / 3600, age % 3600 / 60,
	       age / 3600, age % 3600 / 60);
	if (h->expires_t > 0) {
		ctl_show_time("期限 / Expires", h->expires_t, h->expires);
		printf(", %s\n", now >= h->expires_t ? "期限切れ / past" : "期限前 / in the future");
	}
	if (h->delay) {
		char rel[ST_TIME_SIZE];

		st_time_iso(h->release_t, rel);
		ctl_show_time("送信ディレイ / Delayed send: 自動で送信 / leaves by itself",
			      h->release_t, rel);
		printf(", %s\n", now >= h->release_t ? "送信時刻到来 / due" : "送信前 / in the future");
	}
}

static void ctl_show_decision(const st_hold *h)
{
	printf("承認者 / Approvers asked:");
	for (size_t i = 0; i < h->napprovers; i++)
		printf("%s %s", i ? "," : "", h->approvers[i]);
	printf("%s\n", h->napprovers ? "" : " (なし: 管理者が判断します / nobody: an"
	       " administrator decides)");
	if (h->orphaned_at) {
		printf("状態 / Status: 廃止されたゲートウェイ / orphaned (ゲートウェイ %s は"
		       "廃止され、メールはもうありません / gateway %s was retired and the"
		       " mail is gone with it), %s\n", h->gateway ? h->gateway : "?",
		       h->gateway ? h->gateway : "?", h->orphaned_at);
		return;
	}
	printf("状態 / Status: %s%s\n", st_status_name(h->status),
	       h->status == ST_PENDING ? "" : h->applied ? " (実施済み / carried out)"
	       : " (未実施 / not yet carried out: apply)");
	if (h->decided_by) {
		printf("判断者 / Decided by: %s, ", h->decided_by);
		ctl_show_time("日時 / at", rel_parse_time(h->decided_at), h->decided_at);
		putchar('\n');
	}
	if (h->decision_comment)
		printf("コメント / Comment: %s\n", h->decision_comment);
	if (h->reminded_at) {
		ctl_show_time("リマインダー / Reminded", rel_parse_time(h->reminded_at),
			      h->reminded_at);
		putchar('\n');
	}
	if (h->escalated_at) {
		ctl_show_time("エスカレーション / Escalated", rel_parse_time(h->escalated_at),
			      h->escalated_at);
		putchar('\n');
	}
}

static void ctl_show_approval(const char *const *vals, const char *elem, void *ctx)
{
	(void)elem;
	(void)ctx;
	printf("  %s %s: %s%s%s\n    確認 / checked: %s\n",
	       vals[4] ? vals[4] : "?", vals[0] && strcmp(vals[0], "reject") == 0
	       ? "却下 / reject" : "承認 / approve", vals[1] ? vals[1] : "?",
	       vals[3] ? ": " : "", vals[3] ? vals[3] : "",
	       vals[2] && strcmp(vals[2], "[]") != 0 ? vals[2] : "-");
}

/* Several approvers and the checklist (issue 18). */
static void ctl_show_approvals(const st_hold *h, const sg_conf *conf)
{
	static const char *const keys[] = { "verdict", "by", "checked", "comment", "at" };
	size_t n = 0;
	char *const *items = sg_conf_list(conf, "approval", "checklist", &n);

	if (h->delay)
		return;
	printf("承認 / Approvals: %u / %u%s\n", h->napproved, h->required,
	       h->status == ST_PENDING && h->napproved > 0 &&
	       h->napproved < h->required ? " (保留中 / still held)" : "");
	if (h->approvals_json)
		rel_json_each(h->approvals_json, keys, 5, 64, ctl_show_approval, NULL);
	if (h->status == ST_PENDING && n > 0) {
		printf("確認項目 / Checklist (approve --checked all, or their numbers):\n");
		for (size_t i = 0; i < n; i++)
			printf("  %zu. %s\n", i + 1, items[i]);
	}
}

static void ctl_show_hold(const st_hold *h, const sg_conf *conf,
			  const rel_preview *pv, const char *pv_status)
{
	ntf_hold_view v;

	rel_view_from_hold(&v, h);
	printf("保留番号 / Hold: %s\nキューID / Queue id: %s", h->id, h->queue_id);
	if (h->new_queue_id)
		printf(" (再投入 / requeued as %s)", h->new_queue_id);
	printf("\nゲートウェイ / Gateway: %s\n", h->gateway ? h->gateway : "?");
	{
		sg_buf p;

		sg_buf_init(&p, SG_BUF_UNLIMITED);
		ntf_person(h->sender, v.sender_name, &p);
		printf("送信者 / Sender: %s\n", sg_buf_cstr(&p));
		sg_buf_free(&p);
	}
	if (h->from_addr)
		printf("差出人 / From: %s\n", h->from_addr);
	if (h->auth_login)
		printf("ログイン / SMTP AUTH login: %s\n", h->auth_login);
	printf("件名 / Subject: %s\n大きさ / Size: %llu バイト / bytes\n検出の種類 / Categories:",
	       h->subject ? h->subject : "", h->size);
	/* By name (個人情報 / personal data), as notices name them. */
	for (size_t i = 0; i < h->ncategories; i++)
		printf("%s %s / %s", i ? "," : "", ntf_category_label(h->categories[i], true),
		       ntf_category_label(h->categories[i], false));
	printf("%s\n", h->ncategories ? "" : " (なし / none)");
	ctl_show_rcpts(h, &v, true);
	ctl_show_rcpts(h, &v, false);
	printf("添付ファイル / Attachments:\n");
	if (v.natts == 0)
		printf("  (なし / none)\n");
	ctl_show_atts(v.atts, v.natts, 0, pv);
	if (pv != NULL)
		ctl_show_preview(pv);
	else if (strcmp(pv_status, "unreadable") == 0)
		printf("内容 / Preview: 保存されていますが開けません / kept but does not open"
		       " (its key is no longer in [keys] dir)\n");
	else if (h->status == ST_PENDING || h->status == ST_ARRIVING)
		printf("内容 / Preview: 保存されていません / none kept ([hold] preview_bytes"
		       " = 0, or held before previews)\n");
	ctl_show_findings(&v);
	ctl_show_age(h);
	ctl_show_decision(h);
	ctl_show_approvals(h, conf);
	ntf_view_free(&v);
}

/* Opens the hold's preview with the keys of [keys] dir: "shown" (pv
 * filled), "none" or "unreadable" (said on stderr). */
static const char *ctl_show_load_preview(st_store *st, const sg_conf *conf,
					 const st_hold *h, sg_buf *json,
					 rel_preview *pv)
{
	char *dir = sg_conf_path(conf, "keys", "dir");
	sg_buf err;
	ntf_keys *keys;
	int got;

	sg_buf_init(&err, 4096);
	keys = ntf_keys_load(dir, &err);
	got = rel_preview_load(st, keys, h->id, time(NULL), json, &err);
	if (got < 0 && keys == NULL)
		fprintf(stderr, "sendguardctl show: cannot load the keys to open the "
			"preview: %s\n", sg_buf_cstr(&err));
	else if (got < 0)
		fprintf(stderr, "sendguardctl show: %s\n", sg_buf_cstr(&err));
	if (got > 0 && rel_preview_parse(sg_buf_cstr(json), pv) < 0)
		got = -1;
	ntf_keys_free(keys);
	sg_buf_free(&err);
	free(dir);
	return got > 0 ? "shown" : got == 0 ? "none" : "unreadable";
}

int ctl_show(const char *conf_path, int argc, char **argv)
{
	static const char *const flags[] = { "--json" };
	const char *pos[1] = { NULL };
	bool json = false;
	ctl_argspec spec = { NULL, NULL, 0, flags, &json, 1, pos, 1 };
	sg_conf *conf;
	st_store *st;
	st_hold *h = NULL;
	sg_buf err, pvjson;
	rel_preview pv = { 0 };
	const char *pv_status = "none";
	int ex = 0;
	st_rc rc;

	if (ctl_parse_args("show", argc, argv, &spec) != 1) {
		fprintf(stderr, "usage: sendguardctl show ID [--json]\n");
		return CTL_EX_USAGE;
	}
	if ((conf = ctl_load_conf(conf_path)) == NULL)
		return CTL_EX_CONFIG;
	if ((st = ctl_store_as_owner("show", conf, &ex)) == NULL) {
		sg_conf_free(conf);
		return ex;
	}
	sg_buf_init(&err, 4096);
	sg_buf_init(&pvjson, SG_BUF_UNLIMITED);
	rc = st_hold_get(st, pos[0], &h, &err);
	if (rc == ST_OK)
		pv_status = ctl_show_load_preview(st, conf, h, &pvjson, &pv);
	if (rc == ST_OK && json) {
		sg_buf out;

		sg_buf_init(&out, SG_BUF_UNLIMITED);
		ctl_hold_json(&out, h);
		/* The object of list --json, with the preview appended. */
		out.len--;
		sg_buf_putc(&out, ',');
		sg_json_key(&out, "preview");
		sg_buf_puts(&out, pv.ok ? sg_buf_cstr(&pvjson) : "null");
		ctl_json_kv(&out, "preview_status", pv_status);
		sg_buf_putc(&out, '}');
		printf("%s\n", sg_buf_cstr(&out));
		sg_buf_free(&out);
	} else if (rc == ST_OK) {
		ctl_show_hold(h, conf, pv.ok ? &pv : NULL, pv_status);
	} else
		fprintf(stderr, "sendguardctl show: %s\n", sg_buf_cstr(&err));
	ex = ctl_exit_of(rel_from_st(rc));
	rel_preview_free(&pv);
	if (pvjson.data != NULL)
		memset(pvjson.data, 0, pvjson.len);
	sg_buf_free(&pvjson);
	st_hold_free(h);
	sg_buf_free(&err);
	ctl_store_close(st, conf);
	sg_conf_free(conf);
	return ex;
}
