/*
 * NAME
 *	web_page - the hold page and the list of pending holds
 * SYNOPSIS
 *	#include "web/web.h"
 * DESCRIPTION
 *	The hold page shows what a second person must see before mail
 *	leaves (SOURCES.md: the 225-address list, the wrong file inside a
 *	zip): sender, recipients with the external ones marked, subject,
 *	every attachment with its type by content, size, whether it is
 *	encrypted and, for archives, what is inside, every finding with
 *	where it is and its masked evidence, the age and the expiry, who
 *	was asked, and the decision once there is one. Below that the
 *	person's own choices: approve or reject with a comment (an
 *	assigned approver), withdraw (the sender). Japanese first, English
 *	beside it, as in the notices.
 *
 *	Every value from the hold goes through web_esc(); the only markup
 *	is this file's own. Archive entries are shown WEB_ATT_DEPTH levels
 *	deep, as far as the stored inventory goes (rel_view.c bounds it).
 * DIAGNOSTICS
 *	None: these only append to a buffer.
 */
#include "web/web.h"
#include "notify/ntf.h"
#include "util/sg_time.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define WEB_ATT_DEPTH 4

/* "<label ja> <span class=en>label en</span>" */
static void web_bi(sg_buf *b, const char *ja, const char *en)
{
	web_esc(b, ja);
	sg_buf_puts(b, " <span class=\"en\">");
	web_esc(b, en);
	sg_buf_puts(b, "</span>");
}

static void web_dt(sg_buf *b, const char *ja, const char *en)
{
	sg_buf_puts(b, "<dt>");
	web_bi(b, ja, en);
	sg_buf_puts(b, "</dt><dd>");
}

static void web_size(sg_buf *b, unsigned long long n)
{
	if (n < 1024)
		sg_buf_printf(b, "%llu B", n);
	else if (n < 1024ULL * 1024)
		sg_buf_printf(b, "%.1f KB", (double)n / 1024);
	else
		sg_buf_printf(b, "%.1f MB", (double)n / (1024.0 * 1024));
}

/* "2日3時間 / 2 d 3 h" or "3時間12分 / 3 h 12 min", with words after
 * each language's part ("前", "ago"). */
static void web_duration(sg_buf *b, long long s, const char *ja, const char *en)
{
	long long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;

	sg_buf_puts(b, "<span class=\"dur\">");
	if (d > 0)
		sg_buf_printf(b, "%lld日%lld時間%s / %lld d %lld h%s%s", d, h, ja, d, h,
			      *en ? " " : "", en);
	else
		sg_buf_printf(b, "%lld時間%lld分%s / %lld h %lld min%s%s", h, m, ja, h, m,
			      *en ? " " : "", en);
	sg_buf_puts(b, "</span>");
}

static void web_badge(sg_buf *b, const char *cls, const char *ja, const char *en)
{
	sg_buf_printf(b, "<span class=\"badge %s\">", cls);
	web_esc(b, ja);
	sg_buf_puts(b, " / ");
	web_esc(b, en);
	sg_buf_puts(b, "</span>");
}

/* ------------------------------------------------------------ status */

static const char *web_status_ja(st_status s)
{
	static const char *const ja[] = { "承認待ち", "承認済み", "却下", "取り下げ",
					  "期限切れ", "到着確認中", "未着" };
	return (unsigned)s <= ST_NEVER_ARRIVED ? ja[s] : "?";
}

/* What happens next, once decided: apply runs within a minute. */
static void web_status_next(sg_buf *b, const st_hold *h)
{
	if (h->status == ST_APPROVED && !h->applied)
		web_bi(b, "メールは1分以内に送信されます（送信者に通知されます）。",
		       "The message will be sent within a minute, and the sender told.");
	else if (h->status == ST_APPROVED)
		web_bi(b, "メールは送信されました。", "The message has been sent.");
	else if (!h->applied)
		web_bi(b, "メールは1分以内に削除され、送信者に通知されます。",
		       "The message will be deleted within a minute, and the sender told.");
	else
		web_bi(b, "メールは削除されました（送信されていません）。",
		       "The message has been deleted (it was not sent).");
}

static void web_done_banner(sg_buf *b, const st_hold *h, const char *done)
{
	static const char *const acts[] = { "approve", "reject", "withdraw", "release" };
	static const st_status want[] = { ST_APPROVED, ST_REJECTED, ST_WITHDRAWN,
					  ST_APPROVED };

	if (done && strcmp(done, "approve") == 0 && h->status == ST_PENDING && !h->delay) {
		/* Several approvers (issue 18): recorded, still held. */
		sg_buf_puts(b, "<section class=\"box done\" id=\"done\"><h2>");
		web_bi(b, "承認を記録しました", "Approval recorded");
		sg_buf_printf(b, "</h2><p id=\"partial\">あと %u 人の承認が必要です。"
			      "メールはそれまで保留されます。 <span class=\"en\">%u more"
			      " approval%s needed; the message stays held until then.</span></p>"
			      "</section>\n",
			      h->required > h->napproved ? h->required - h->napproved : 0,
			      h->required > h->napproved ? h->required - h->napproved : 0,
			      h->required - h->napproved == 1 ? " is" : "s are");
		return;
	}
	if (done && strcmp(done, "delegate") == 0) {
		sg_buf_puts(b, "<section class=\"box done\" id=\"done\"><h2>");
		web_bi(b, "代理人を指定しました", "Delegate named");
		sg_buf_puts(b, "</h2><p>");
		web_bi(b, "代理人に、あなたの承認待ちのメールの承認依頼を送ります。",
		       "Your delegate is sent an approval request for each message "
		       "waiting for you.");
		sg_buf_puts(b, "</p></section>\n");
		return;
	}
	for (size_t i = 0; done && i < 4; i++)
		if (strcmp(done, acts[i]) == 0 && h->status == want[i]) {
			sg_buf_puts(b, "<section class=\"box done\" id=\"done\"><h2>");
			web_bi(b, "記録しました", "Recorded");
			sg_buf_puts(b, "</h2><p>");
			web_status_next(b, h);
			sg_buf_puts(b, "</p></section>\n");
		}
}

/* A time for people: 2026年12月7日(月) 23:08 in [policy] timezone, the
 * ISO 8601 value (with offset) in the element's datetime. */
static void web_time(sg_buf *b, time_t t, const char *iso)
{
	char ja[SG_TIME_SIZE];

	if (t <= 0) {
		sg_buf_puts(b, "—");
		return;
	}
	sg_time_ja(NULL, t, ja);
	sg_buf_puts(b, "<time datetime=\"");
	web_esc(b, iso ? iso : "");
	sg_buf_puts(b, "\">");
	web_esc(b, ja);
	sg_buf_puts(b, "</time>");
}

static void web_status_box(sg_buf *b, const st_hold *h, time_t now)
{
	sg_buf_printf(b, "<section class=\"box %s\" id=\"status\"><h2>",
		      h->status == ST_PENDING ? "pending" : "done");
	web_bi(b, web_status_ja(h->status), st_status_name(h->status));
	sg_buf_puts(b, "</h2>");
	if (h->status == ST_PENDING && h->delay) {
		/* Delayed send (issue 19): it leaves by itself. */
		sg_buf_puts(b, "<p id=\"delay\">");
		if (h->release_t > now) {
			web_bi(b, "送信ディレイ中: 何もしなければ自動で送信されます。残り",
			       "Delayed send: it leaves by itself unless cancelled. Left:");
			sg_buf_puts(b, " ");
			web_duration(b, (long long)(h->release_t - now), "", "");
		} else {
			web_bi(b, "まもなく送信されます。", "It is being sent.");
		}
		sg_buf_puts(b, "</p>");
	} else if (h->status == ST_PENDING) {
		if (h->required > 1)
			sg_buf_printf(b, "<p id=\"approvals\">承認 %u / %u 人"
				      " <span class=\"en\">Approvals: %u of %u</span></p>",
				      h->napproved, h->required, h->napproved, h->required);
		sg_buf_puts(b, "<p>");
		if (h->expires_t > now) {
			web_bi(b, "期限までに判断がない場合、メールは削除されます。残り",
			       "Deleted unless decided before the expiry. Left:");
			sg_buf_puts(b, " ");
			web_duration(b, (long long)(h->expires_t - now), "", "");
		} else {
			web_bi(b, "期限を過ぎています。", "Past its expiry.");
		}
		sg_buf_puts(b, "</p>");
	} else {
		sg_buf_puts(b, "<p>");
		web_bi(b, "判断者", "Decided by");
		sg_buf_puts(b, ": <span class=\"mono\">");
		web_esc(b, h->decided_by ? h->decided_by : "—");
		sg_buf_puts(b, "</span> (");
		web_time(b, rel_parse_time(h->decided_at), h->decided_at);
		sg_buf_puts(b, ")</p>");
		if (h->decision_comment && *h->decision_comment) {
			sg_buf_puts(b, "<p>");
			web_bi(b, "コメント", "Comment");
			sg_buf_puts(b, ": <span class=\"ev\" id=\"comment\">");
			web_esc(b, h->decision_comment);
			sg_buf_puts(b, "</span></p>");
		}
		sg_buf_puts(b, "<p>");
		web_status_next(b, h);
		sg_buf_puts(b, "</p>");
	}
	sg_buf_puts(b, "</section>\n");
}

/* ------------------------------------------------------------- facts */

/* Categories by their names (個人情報 personal data), as notices name
 * them, never the identifiers of the rules (issue 18 item 6). */
static void web_categories(sg_buf *b, char *const *cats, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sg_buf_puts(b, i ? "、" : "");
		web_bi(b, ntf_category_label(cats[i], true), ntf_category_label(cats[i], false));
	}
	if (n == 0)
		sg_buf_puts(b, "—");
}

/* A person as the mail names them: 山田 太郎 <yamada@...>, the address
 * alone when the mail gives no display name (issue 18 item 6). */
static void web_person(sg_buf *b, const char *addr, const char *name)
{
	if (name && *name) {
		web_esc(b, name);
		sg_buf_puts(b, " <span class=\"mono\">&lt;");
		web_esc(b, addr ? addr : "");
		sg_buf_puts(b, "&gt;</span>");
	} else {
		sg_buf_puts(b, "<span class=\"mono\">");
		web_esc(b, addr ? addr : "");
		sg_buf_puts(b, "</span>");
	}
}

static void web_facts_people(sg_buf *b, const st_hold *h, const ntf_hold_view *v)
{
	web_dt(b, "送信者", "Sender");
	sg_buf_puts(b, "<span id=\"sender\">");
	web_person(b, h->sender, v->sender_name);
	sg_buf_puts(b, "</span>");
	if (h->from_addr && strcasecmp(h->from_addr, h->sender ? h->sender : "") != 0) {
		sg_buf_puts(b, "<br>From: <span class=\"mono\">");
		web_esc(b, h->from_addr);
		sg_buf_puts(b, "</span>");
	}
	if (h->auth_login && *h->auth_login) {
		sg_buf_puts(b, "<br>");
		web_bi(b, "ログイン", "Login");
		sg_buf_puts(b, ": <span class=\"mono\">");
		web_esc(b, h->auth_login);
		sg_buf_puts(b, "</span>");
	}
	sg_buf_puts(b, "</dd>\n");
	web_dt(b, "宛先", "Recipients");
	sg_buf_puts(b, "<ul id=\"rcpts\">");
	for (size_t i = 0; i < h->nrcpts; i++) {
		sg_buf_puts(b, "<li>");
		/* v->rcpts is h->rcpts in order (rel_view_from_hold). */
		web_person(b, h->rcpts[i].addr, i < v->nrcpts ? v->rcpts[i].name : NULL);
		if (h->rcpts[i].external)
			web_badge(b, "ext", "外部", "external");
		sg_buf_puts(b, "</li>");
	}
	sg_buf_puts(b, "</ul></dd>\n");
}

static void web_facts_times(sg_buf *b, const st_hold *h, time_t now)
{
	/* Issue 20: the gateway whose queue keeps the mail; a retired
	 * one's hold can no longer be decided. */
	web_dt(b, "ゲートウェイ", "Gateway");
	sg_buf_puts(b, "<span class=\"mono\" id=\"gateway\">");
	web_esc(b, h->gateway ? h->gateway : "?");
	sg_buf_puts(b, "</span>");
	if (h->orphaned_at != NULL) {
		sg_buf_puts(b, " <strong id=\"orphaned\">");
		web_bi(b, "廃止されたゲートウェイ（メールはもうありません）",
		       "orphaned: the gateway was retired and the mail is gone");
		sg_buf_puts(b, "</strong>");
	}
	sg_buf_puts(b, "</dd>\n");
	web_dt(b, "受付", "Received");
	web_time(b, h->created_t, h->created);
	sg_buf_puts(b, " (");
	web_duration(b, (long long)(now > h->created_t ? now - h->created_t : 0), "前", "ago");
	sg_buf_puts(b, ")</dd>\n");
	web_dt(b, "期限", "Expires");
	web_time(b, h->expires_t, h->expires);
	sg_buf_puts(b, "</dd>\n");
	web_dt(b, "承認者", "Approvers asked");
	if (h->napprovers == 0)
		web_bi(b, "なし（管理者が判断します）", "nobody (an administrator decides)");
	for (size_t i = 0; i < h->napprovers; i++) {
		sg_buf_puts(b, i ? ", <span class=\"mono\">" : "<span class=\"mono\">");
		web_esc(b, h->approvers[i]);
		sg_buf_puts(b, "</span>");
	}
	sg_buf_puts(b, "</dd>\n");
}

static void web_facts(sg_buf *b, const st_hold *h, const ntf_hold_view *v, time_t now)
{
	sg_buf_puts(b, "<section class=\"box\"><dl class=\"facts\">\n");
	web_dt(b, "件名", "Subject");
	sg_buf_puts(b, "<span id=\"subject\">");
	web_esc(b, h->subject && *h->subject ? h->subject : "（件名なし / no subject）");
	sg_buf_puts(b, "</span></dd>\n");
	web_facts_people(b, h, v);
	web_dt(b, "大きさ", "Size");
	web_size(b, h->size);
	sg_buf_puts(b, "</dd>\n");
	web_dt(b, "検出の種類", "Categories");
	sg_buf_puts(b, "<span id=\"categories\">");
	web_categories(b, h->categories, h->ncategories);
	sg_buf_puts(b, "</span></dd>\n");
	web_facts_times(b, h, now);
	web_dt(b, "保留番号", "Hold id");
	sg_buf_puts(b, "<span class=\"mono\">");
	web_esc(b, h->id);
	sg_buf_puts(b, "</span></dd>\n</dl></section>\n");
}

/* ---------------------------------------------------------- evidence */

static void web_findings(sg_buf *b, const ntf_hold_view *v)
{
	sg_buf_puts(b, "<section class=\"box\" id=\"findings\"><h2>");
	web_bi(b, "見つかったもの", "What was found");
	sg_buf_puts(b, "</h2>\n");
	if (v->nfindings == 0) {
		sg_buf_puts(b, "<p>");
		web_bi(b, "なし", "nothing");
		sg_buf_puts(b, "</p>");
	}
	for (size_t i = 0; i < v->nfindings; i++) {
		const ntf_finding_view *f = &v->findings[i];

		sg_buf_puts(b, "<div class=\"finding\"><strong>");
		web_esc(b, f->label_ja && *f->label_ja ? f->label_ja : f->category);
		sg_buf_puts(b, "</strong> <span class=\"en\">");
		web_esc(b, f->label_en && *f->label_en ? f->label_en : f->rule);
		sg_buf_puts(b, "</span> <span class=\"badge ext\">");
		web_esc(b, f->category);
		sg_buf_puts(b, "</span><br>場所 / where: <span class=\"where\">");
		{
			sg_buf w;

			/* 本文, 件名, 添付ファイル「…」; the English beside it. */
			sg_buf_init(&w, SG_BUF_UNLIMITED);
			ntf_where_text(f->where, true, &w);
			web_esc(b, sg_buf_cstr(&w));
			sg_buf_puts(b, "</span> <span class=\"en\">(");
			sg_buf_reset(&w);
			ntf_where_text(f->where, false, &w);
			web_esc(b, sg_buf_cstr(&w));
			sg_buf_puts(b, ")");
			sg_buf_free(&w);
		}
		sg_buf_printf(b, "</span><br>件数 / count: %lu", f->count);
		if (ntf_evidence_is_type(f->evidence)) {
			/* The file's type in words, not a MIME type. */
			sg_buf_puts(b, "<br>種類 / type: <span class=\"ev\">");
			web_esc(b, ntf_type_label(f->evidence, true));
			sg_buf_puts(b, "</span> <span class=\"en\">(");
			web_esc(b, ntf_type_label(f->evidence, false));
			sg_buf_puts(b, ")</span>");
		} else if (f->evidence && *f->evidence) {
			sg_buf_puts(b, "<br>該当箇所（" NTF_MASKED_JA "） / evidence ("
				    NTF_MASKED_EN "): <span class=\"ev\">");
			web_esc(b, f->evidence);
			sg_buf_puts(b, "</span>");
		}
		sg_buf_puts(b, "</div>\n");
	}
	sg_buf_puts(b, "</section>\n");
}

/* ---------------------------------------------------------- preview */

/* Findings at `where` (a body part or an attachment's display path):
 * a badge per finding, so the approver sees where to look. */
static size_t web_hits(sg_buf *b, const ntf_hold_view *v, const char *where)
{
	size_t n = 0;

	for (size_t i = 0; where && i < v->nfindings; i++) {
		const ntf_finding_view *f = &v->findings[i];

		if (f->where == NULL || strcmp(f->where, where) != 0)
			continue;
		sg_buf_puts(b, n++ ? " " : "<span class=\"hits\">");
		sg_buf_puts(b, "<span class=\"badge found\">検出 / found: ");
		web_esc(b, f->label_ja && *f->label_ja ? f->label_ja : f->category);
		sg_buf_puts(b, "</span>");
	}
	if (n)
		sg_buf_puts(b, "</span>");
	return n;
}

static void web_pv_row(sg_buf *b, const rel_pv_row *r)
{
	sg_buf_puts(b, "<tr>");
	for (size_t k = 0; k < r->n; k++) {
		sg_buf_puts(b, "<td>");
		web_esc(b, r->cells[k]);
		sg_buf_puts(b, "</td>");
	}
	sg_buf_puts(b, "</tr>");
}

/* First rows in a table that scrolls inside its own box: a wide sheet
 * never makes the page scroll sideways on a phone. */
static void web_pv_rows(sg_buf *b, const rel_pv_row *r, size_t n)
{
	if (n == 0)
		return;
	sg_buf_puts(b, "<div class=\"rows\"><table class=\"cells\">");
	for (size_t i = 0; i < n; i++)
		web_pv_row(b, &r[i]);
	sg_buf_puts(b, "</table></div>");
}

/* What the preview knows of one attachment or archive entry. */
static void web_pv_file(sg_buf *b, const rel_pv_file *f)
{
	if (f == NULL)
		return;
	sg_buf_puts(b, "<div class=\"pvfile\">");
	for (size_t i = 0; i < f->nsheets; i++) {
		const rel_pv_sheet *sh = &f->sheets[i];

		sg_buf_puts(b, "<div class=\"sheet\">シート <span class=\"en\">sheet</span>: "
			    "<strong class=\"sheetname\">");
		web_esc(b, sh->name);
		sg_buf_printf(b, "</strong> <span class=\"en\">%ld 行 × %ld 列 / %ld rows × "
			      "%ld columns</span>", sh->rows, sh->cols, sh->rows, sh->cols);
		web_pv_rows(b, sh->first, sh->nfirst);
		sg_buf_puts(b, "</div>");
	}
	if (f->more_sheets) {
		sg_buf_puts(b, "<p>");
		web_bi(b, "ほかにもシートがあります。", "More sheets follow.");
		sg_buf_puts(b, "</p>");
	}
	if (strcmp(f->kind, "csv") == 0) {
		sg_buf_printf(b, "<div class=\"sheet\">CSV <span class=\"en\">%ld 行 / %ld rows"
			      "</span>", f->rows, f->rows);
		web_pv_rows(b, f->first, f->nfirst);
		sg_buf_puts(b, "</div>");
	}
	if (f->nlines) {
		sg_buf_puts(b, "<pre class=\"lines\">");
		for (size_t i = 0; i < f->nlines; i++) {
			web_esc(b, f->lines[i]);
			sg_buf_puts(b, "\n");
		}
		sg_buf_puts(b, "</pre>");
	}
	if (strcmp(f->kind, "pdf") == 0 && f->pages >= 0)
		sg_buf_printf(b, "<p>PDF: %ld ページ <span class=\"en\">%ld pages</span></p>",
			      f->pages, f->pages);
	if (strcmp(f->kind, "image") == 0) {
		sg_buf_puts(b, "<p>");
		web_bi(b, "画像です（縮小表示は作りません）。", "An image (no thumbnail is made).");
		sg_buf_puts(b, "</p>");
	}
	sg_buf_puts(b, "</div>");
}

/* The visible part of a masked evidence ("7788********" -> "7788"):
 * where it occurs in the body, it is marked. Shorter than 4 bytes
 * would mark too much. */
static size_t web_ev_prefix(const char *ev)
{
	size_t n = 0;

	while (ev && ev[n] && ev[n] != '*' && n < 256)
		n++;
	while (n > 0 && (ev[n - 1] == ' ' || ev[n - 1] == '-'))
		n--;
	return n >= 4 ? n : 0;
}

#define WEB_MARKS 16	/* needles per body part (bounded work) */

/* The body text, escaped, with the visible parts of its findings'
 * evidence in <mark>. O(text x needles), both bounded. */
static void web_pv_text(sg_buf *b, const char *t, const ntf_hold_view *v,
			const char *where)
{
	const char *needle[WEB_MARKS];
	size_t nlen[WEB_MARKS], nn = 0;

	for (size_t i = 0; i < v->nfindings && nn < WEB_MARKS; i++) {
		const ntf_finding_view *f = &v->findings[i];
		size_t k = web_ev_prefix(f->evidence);

		if (k && f->where && strcmp(f->where, where) == 0) {
			needle[nn] = f->evidence;
			nlen[nn++] = k;
		}
	}
	for (const char *p = t; *p;) {
		size_t hit = 0;

		for (size_t i = 0; i < nn && !hit; i++)
			if (strncmp(p, needle[i], nlen[i]) == 0)
				hit = nlen[i];
		if (hit) {
			sg_buf_puts(b, "<mark>");
			web_esc_n(b, p, hit);
			sg_buf_puts(b, "</mark>");
			p += hit;
			continue;
		}
		/* one UTF-8 character at a time (never split a sequence) */
		{
			size_t k = 1;

			while (p[k] && ((unsigned char)p[k] & 0xc0) == 0x80 && k < 4)
				k++;
			web_esc_n(b, p, k);
			p += k;
		}
	}
}

static void web_pv_dd(sg_buf *b, const char *ja, const char *en, const char *id,
		      const char *val)
{
	web_dt(b, ja, en);
	sg_buf_printf(b, "<span id=\"%s\">", id);
	if (val && *val)
		web_esc(b, val);
	else
		web_bi(b, "なし", "none");
	sg_buf_puts(b, "</span></dd>\n");
}

static void web_preview_head(sg_buf *b, const rel_preview *pv)
{
	sg_buf_puts(b, "<dl class=\"facts\">\n");
	web_pv_dd(b, "差出人", "From", "pv-from", pv->from);
	web_pv_dd(b, "宛先", "To", "pv-to", pv->to);
	web_pv_dd(b, "CC", "Cc", "pv-cc", pv->cc);
	web_dt(b, "BCC（宛先にもCCにもない受信者）", "Bcc (recipients in neither To nor Cc)");
	sg_buf_puts(b, "<span id=\"pv-bcc\">");
	for (size_t i = 0; i < pv->nbcc; i++) {
		sg_buf_puts(b, i ? ", <span class=\"mono\">" : "<span class=\"mono\">");
		web_esc(b, pv->bcc[i]);
		sg_buf_puts(b, "</span>");
	}
	if (pv->nbcc == 0)
		web_bi(b, "なし", "none");
	sg_buf_puts(b, "</span></dd>\n");
	web_pv_dd(b, "件名（書かれたとおり）", "Subject (as written)", "pv-subject",
		  pv->subject);
	sg_buf_puts(b, "</dl>\n");
}

static void web_preview_bodies(sg_buf *b, const rel_preview *pv, const ntf_hold_view *v)
{
	sg_buf_puts(b, "<h3>");
	web_bi(b, "本文", "Body");
	sg_buf_puts(b, "</h3>\n");
	if (pv->nbodies == 0) {
		sg_buf_puts(b, "<p>");
		web_bi(b, "本文のテキストはありません。", "No body text.");
		sg_buf_puts(b, "</p>");
	}
	for (size_t i = 0; i < pv->nbodies; i++) {
		const rel_pv_body *bd = &pv->bodies[i];
		sg_buf hits;
		size_t nh;

		sg_buf_init(&hits, SG_BUF_UNLIMITED);
		nh = web_hits(&hits, v, bd->where);
		sg_buf_printf(b, "<div class=\"bodypart%s\">", nh ? " hit" : "");
		if (pv->nbodies > 1 || bd->html || nh) {
			sg_buf_puts(b, "<p class=\"en\">");
			web_esc(b, bd->where);
			if (bd->html) {
				sg_buf_puts(b, " · ");
				web_bi(b, "HTML メールをテキストで表示しています",
				       "HTML mail shown as text");
			}
			sg_buf_puts(b, "</p>");
			sg_buf_puts(b, sg_buf_cstr(&hits));
		}
		sg_buf_puts(b, "<pre class=\"body\">");
		web_pv_text(b, bd->text, v, bd->where);
		sg_buf_puts(b, "</pre>");
		if (bd->cut) {
			sg_buf_puts(b, "<p class=\"cut\">");
			web_bi(b, "（ここまで。続きは表示の上限を超えるため省略）",
			       "(cut here: the rest is past the preview's bound)");
			sg_buf_puts(b, "</p>");
		}
		sg_buf_puts(b, "</div>\n");
		sg_buf_free(&hits);
	}
}

/* The message as the recipient will see it (issue 18). Shown only on
 * this page, which only the hold's sender and approvers reach. */
static void web_preview(sg_buf *b, const st_hold *h, const ntf_hold_view *v,
			const web_hold_ctx *c)
{
	sg_buf_puts(b, "<section class=\"box\" id=\"preview\"><h2>");
	web_bi(b, "受信者に届く内容", "As the recipient will see it");
	sg_buf_puts(b, "</h2>\n");
	if (c->pv == NULL) {
		sg_buf_puts(b, "<p id=\"pv-none\">");
		if (c->pv_status && strcmp(c->pv_status, "unreadable") == 0)
			web_bi(b, "内容は保存されていますが、開けません（鍵が変更されました）。"
				  "管理者に連絡してください。",
			       "The content is kept but cannot be opened (its key was "
			       "removed). Ask the administrator.");
		else if (h->status == ST_PENDING || h->status == ST_ARRIVING)
			web_bi(b, "このメールの内容は保存されていません。",
			       "No content was kept for this message.");
		else
			web_bi(b, "判断済みのため、内容は削除されました。",
			       "Decided: the content has been deleted.");
		sg_buf_puts(b, "</p></section>\n");
		return;
	}
	web_preview_head(b, c->pv);
	web_preview_bodies(b, c->pv, v);
	if (c->pv->cut) {
		sg_buf_puts(b, "<p class=\"cut\">");
		web_bi(b, "一部は表示の上限のため省略しています。",
		       "Some of the message is left out for the preview's bounds.");
		sg_buf_puts(b, "</p>");
	}
	sg_buf_puts(b, "</section>\n");
}

static void web_form_open(sg_buf *b, const st_hold *h, const web_hold_ctx *c);

/* A download button (issue 18) for an approver, never for an
 * attachment with a dangerous-attachment finding on it, inside it or
 * on the archive holding it (the server checks again, by content too). */
static void web_download_button(sg_buf *b, const st_hold *h, const web_hold_ctx *c,
				const ntf_attachment_view *a)
{
	if (c->download != 1 || a->path == NULL || rel_att_dangerous(h, a->path, NULL) != 0)
		return;
	web_form_open(b, h, c);
	sg_buf_puts(b, "<input type=\"hidden\" name=\"path\" value=\"");
	web_esc(b, a->path);
	sg_buf_puts(b, "\"><button class=\"dl\" type=\"submit\" name=\"action\" "
		    "value=\"download\">ダウンロード <span class=\"en\">Download</span>"
		    "</button></form>");
}

static void web_atts(sg_buf *b, const ntf_attachment_view *a, size_t n, int depth,
		     const ntf_hold_view *v, const st_hold *h, const web_hold_ctx *c)
{
	const rel_preview *pv = c->pv;

	if (n == 0 || depth >= WEB_ATT_DEPTH)
		return;
	sg_buf_puts(b, "<ul>");
	for (size_t i = 0; i < n; i++) {
		sg_buf_puts(b, "<li><span class=\"mono name\">");
		web_esc(b, a[i].name && *a[i].name ? a[i].name : "(名前なし / no name)");
		/* The type by content in words (Excel ブック), not a MIME
		 * type; the English beside it. */
		sg_buf_puts(b, "</span> <span class=\"type\">");
		web_esc(b, ntf_type_label(a[i].type, true));
		sg_buf_puts(b, "</span> <span class=\"en\">(");
		web_esc(b, ntf_type_label(a[i].type, false));
		sg_buf_puts(b, "), ");
		web_size(b, a[i].size);
		sg_buf_puts(b, "</span>");
		if (a[i].encrypted)
			web_badge(b, "enc", "暗号化あり", "encrypted");
		else
			web_badge(b, "plain", "暗号化なし", "NOT encrypted");
		if (a[i].note && *a[i].note) {
			sg_buf_puts(b, " <span class=\"en\">(");
			web_esc(b, a[i].note);
			sg_buf_puts(b, ")</span>");
		}
		(void)web_hits(b, v, a[i].where);
		web_download_button(b, h, c, &a[i]);
		if (pv != NULL)
			web_pv_file(b, rel_preview_file(pv, a[i].path));
		web_atts(b, a[i].entries, a[i].nentries, depth + 1, v, h, c);
		sg_buf_puts(b, "</li>\n");
	}
	sg_buf_puts(b, "</ul>");
}

static void web_attachments(sg_buf *b, const ntf_hold_view *v, const st_hold *h,
			    const web_hold_ctx *c)
{
	sg_buf_puts(b, "<section class=\"box\" id=\"attachments\"><h2>");
	web_bi(b, "添付ファイル（圧縮ファイルの中身を含む）",
	       "Attachments (with what archives contain)");
	sg_buf_puts(b, "</h2>\n");
	if (v->natts == 0) {
		sg_buf_puts(b, "<p>");
		web_bi(b, "なし", "none");
		sg_buf_puts(b, "</p>");
	}
	if (c->download == 2) {
		sg_buf_puts(b, "<p id=\"dl-elsewhere\">");
		web_bi(b, "添付ファイルのダウンロードは、ゲートウェイの承認ページからだけ行えます。",
		       "Attachments can be downloaded only on the gateway's own approval page.");
		sg_buf_puts(b, " ");
		web_bi(b, "このメールがあるゲートウェイ:", "This mail is on gateway:");
		sg_buf_puts(b, " <span class=\"mono\">");
		web_esc(b, h->gateway ? h->gateway : "?");
		sg_buf_puts(b, "</span></p>");
	}
	web_atts(b, v->atts, v->natts, 0, v, h, c);
	sg_buf_puts(b, "</section>\n");
}

/* ----------------------------------------------------------- actions */

static void web_form_open(sg_buf *b, const st_hold *h, const web_hold_ctx *c)
{
	sg_buf_puts(b, "<form method=\"post\" action=\"");
	web_esc(b, c->prefix);
	sg_buf_puts(b, "/hold/");
	web_esc(b, h->id);
	sg_buf_puts(b, "\">\n<input type=\"hidden\" name=\"t\" value=\"");
	web_esc(b, c->token);
	sg_buf_puts(b, "\">\n<input type=\"hidden\" name=\"csrf\" value=\"");
	web_esc(b, c->csrf);
	sg_buf_puts(b, "\">\n");
}

/* The checklist (issue 18): one box per [approval] checklist item,
 * named check1..checkN. Not `required` in HTML: the same form rejects,
 * and the server refuses an approval without every box ticked. */
static void web_checklist(sg_buf *b, const web_hold_ctx *c)
{
	if (c->nchecklist == 0)
		return;
	sg_buf_puts(b, "<fieldset id=\"checklist\"><legend>確認項目 <span class=\"en\">"
		    "Checklist (approving needs every item)</span></legend>\n");
	for (size_t i = 0; i < c->nchecklist; i++) {
		sg_buf_printf(b, "<label class=\"check\"><input type=\"checkbox\""
			      " name=\"check%zu\" id=\"check%zu\" value=\"1\"> ", i + 1, i + 1);
		web_esc(b, c->checklist[i]);
		sg_buf_puts(b, "</label>\n");
	}
	sg_buf_puts(b, "</fieldset>\n");
}

/* An assigned approver names a proxy for a period (issue 18). */
static void web_delegate_form(sg_buf *b, const st_hold *h, const web_hold_ctx *c)
{
	sg_buf_puts(b, "<section class=\"box\" id=\"delegate\"><h2>");
	web_bi(b, "代理人の指定", "Name a delegate");
	sg_buf_puts(b, "</h2><p>");
	web_bi(b, "不在の間、指定した人があなたの代わりに承認・却下できます"
		  "（「代理人 on behalf of あなた」と記録されます）。",
	       "While you are away, the person you name may approve or reject for "
	       "you (recorded as \"delegate on behalf of you\").");
	sg_buf_puts(b, "</p>\n");
	web_form_open(b, h, c);
	sg_buf_puts(b, "<label for=\"to\">代理人のアドレス <span class=\"en\">Delegate's"
		    " address</span></label>\n<input type=\"email\" id=\"to\" name=\"to\""
		    " maxlength=\"254\">\n<label for=\"until\">期限（この日まで） <span"
		    " class=\"en\">Until (this day included)</span></label>\n<input"
		    " type=\"date\" id=\"until\" name=\"until\">\n<div class=\"actions\">"
		    "<button class=\"withdraw\" type=\"submit\" name=\"action\""
		    " value=\"delegate\" id=\"delegate-submit\">代理人を指定する / Name"
		    " delegate</button></div>\n</form></section>\n");
}

static void web_actions_approver(sg_buf *b, const st_hold *h, const web_hold_ctx *c)
{
	sg_buf_puts(b, "<section class=\"box\" id=\"decide\"><h2>");
	web_bi(b, "承認・却下", "Approve or reject");
	sg_buf_puts(b, "</h2>");
	if (c->on_behalf) {
		sg_buf_puts(b, "<p id=\"proxy\">");
		web_bi(b, "あなたは代理人として判断します。記録: あなた on behalf of",
		       "You decide as a delegate, recorded as you on behalf of");
		sg_buf_puts(b, " <span class=\"mono\">");
		web_esc(b, c->on_behalf);
		sg_buf_puts(b, "</span></p>");
	}
	if (c->voted) {
		sg_buf_printf(b, "<p id=\"voted\">あなたは承認済みです。ほかの承認者を待っています"
			      "（%u / %u 人）。 <span class=\"en\">You have approved; waiting"
			      " for the other approvers (%u of %u).</span></p></section>\n",
			      h->napproved, h->required, h->napproved, h->required);
		return;
	}
	if (h->required > 1)
		sg_buf_printf(b, "<p>このメールは %u 人の承認で送信されます（いま %u 人）。"
			      "却下は1人でできます。 <span class=\"en\">It is sent after %u"
			      " approvals (%u so far); one reject ends it.</span></p>",
			      h->required, h->napproved, h->required, h->napproved);
	sg_buf_puts(b, "<p>");
	web_bi(b, "承認するとメールは1分以内に送信されます。却下するとメールは削除され、"
		  "送信者にコメントとともに通知されます。却下には理由をコメントに書いてください。",
	       "Approved mail is sent within a minute. Rejected mail is deleted and "
	       "the sender is told, with your comment. A reject needs a reason in "
	       "the comment.");
	sg_buf_puts(b, "</p>\n");
	web_form_open(b, h, c);
	web_checklist(b, c);
	sg_buf_printf(b, "<label for=\"comment\">コメント <span class=\"en\">Comment"
		      " (required to reject; the sender sees it)</span></label>\n"
		      "<textarea id=\"comment\" name=\"comment\" maxlength=\"%d\"></textarea>\n"
		      "<div class=\"actions\">"
		      "<button class=\"approve\" type=\"submit\" name=\"action\" "
		      "value=\"approve\" id=\"approve\">承認する / Approve</button>"
		      "<button class=\"reject\" type=\"submit\" name=\"action\" "
		      "value=\"reject\" id=\"reject\">却下する / Reject</button>"
		      "</div>\n</form></section>\n", WEB_COMMENT_MAX);
}

static void web_actions_sender(sg_buf *b, const st_hold *h, const web_hold_ctx *c)
{
	sg_buf_puts(b, "<section class=\"box\" id=\"decide\"><h2>");
	web_bi(b, "取り下げ", "Withdraw");
	sg_buf_puts(b, "</h2><p>");
	web_bi(b, "取り下げるとメールは送信されずに削除されます。修正したメールを送るときは、"
		  "先にこのメールを取り下げてください。",
	       "A withdrawn message is deleted without being sent. To send a corrected "
	       "message, withdraw this one first.");
	sg_buf_puts(b, "</p>\n");
	web_form_open(b, h, c);
	sg_buf_puts(b, "<div class=\"actions\"><button class=\"withdraw\" type=\"submit\" "
		    "name=\"action\" value=\"withdraw\" id=\"withdraw\">"
		    "取り下げる / Withdraw</button></div>\n</form></section>\n");
}

/* Delayed send (issue 19): the sender's two buttons, each the target
 * of one link in the notice (#send, #cancel). A GET only shows them:
 * mail scanners open links, a POST with the page's CSRF value acts. */
static void web_actions_delay(sg_buf *b, const st_hold *h, const web_hold_ctx *c)
{
	sg_buf_puts(b, "<section class=\"box\" id=\"decide\"><h2>");
	web_bi(b, "今すぐ送信・送信取り消し", "Send now or cancel");
	sg_buf_puts(b, "</h2><p>");
	web_bi(b, "宛先と添付に誤りがなければ「今すぐ送信」で直ちに送信されます。"
		  "誤りがあれば「送信取り消し」でメールは送信されずに削除されます。",
	       "If the recipients and attachments are right, Send now sends it at "
	       "once. If not, Cancel deletes it without sending.");
	sg_buf_puts(b, "</p>\n");
	web_form_open(b, h, c);
	sg_buf_puts(b, "<div class=\"actions\"><button class=\"approve\" type=\"submit\" "
		    "name=\"action\" value=\"release\" id=\"send\">"
		    "今すぐ送信 / Send now</button>"
		    "<button class=\"withdraw\" type=\"submit\" "
		    "name=\"action\" value=\"withdraw\" id=\"cancel\">"
		    "送信取り消し / Cancel</button></div>\n</form></section>\n");
}

static void web_actions(sg_buf *b, const st_hold *h, const web_hold_ctx *c)
{
	if (h->status != ST_PENDING)
		return;
	if (c->is_approver) {
		web_actions_approver(b, h, c);
		if (c->may_delegate)
			web_delegate_form(b, h, c);
	} else if (c->is_sender && h->delay)
		web_actions_delay(b, h, c);
	else if (c->is_sender)
		web_actions_sender(b, h, c);
}

static void web_whoami(sg_buf *b, const web_hold_ctx *c)
{
	sg_buf_puts(b, "<p class=\"en\">");
	web_bi(b, "あなた", "You");
	sg_buf_puts(b, ": <span class=\"mono\" id=\"person\">");
	web_esc(b, c->person);
	sg_buf_puts(b, "</span> (");
	if (c->on_behalf)
		web_bi(b, "代理の承認者", "approver's delegate");
	else if (c->is_approver)
		web_bi(b, "承認者", "approver");
	else
		web_bi(b, "送信者", "sender");
	sg_buf_puts(b, ") · <a id=\"list\" href=\"");
	web_esc(b, c->prefix);
	sg_buf_puts(b, "/holds");
	if (c->list_token && *c->list_token) {
		sg_buf_puts(b, "?t=");
		web_url_esc(b, c->list_token);
	}
	sg_buf_puts(b, "\">");
	web_bi(b, "保留の一覧", "list of pending holds");
	sg_buf_puts(b, "</a></p>\n");
}

void web_page_hold(sg_buf *b, const st_hold *h, const web_hold_ctx *c)
{
	ntf_hold_view v;

	rel_view_from_hold(&v, h);
	web_page_begin(b, c->prefix, "保留中のメール", "Held message");
	web_whoami(b, c);
	web_done_banner(b, h, c->done);
	web_status_box(b, h, c->now);
	web_facts(b, h, &v, c->now);
	web_preview(b, h, &v, c);
	web_findings(b, &v);
	web_attachments(b, &v, h, c);
	web_actions(b, h, c);
	web_page_end(b);
	ntf_view_free(&v);
}

/* -------------------------------------------------------------- list */

static void web_list_row_html(sg_buf *b, const char *prefix, const web_list_row *r)
{
	sg_buf_puts(b, "<tr><td>");
	/* 2026年12月7日(月) 23:08, as on the hold page and in notices; the
	 * ISO 8601 value stays in the element's datetime. */
	web_time(b, r->created_t, r->created);
	sg_buf_puts(b, "</td><td>");
	web_person(b, r->sender, r->sender_name);
	sg_buf_puts(b, "</td><td><a href=\"");
	web_esc(b, prefix);
	sg_buf_puts(b, "/hold/");
	web_esc(b, r->id);
	if (r->token && *r->token) {
		sg_buf_puts(b, "?t=");
		web_url_esc(b, r->token);
	}
	sg_buf_puts(b, "\">");
	web_esc(b, r->subject && *r->subject ? r->subject : "（件名なし / no subject）");
	sg_buf_puts(b, "</a></td><td>");
	web_categories(b, r->categories, r->ncategories);
	sg_buf_puts(b, "</td><td>");
	if (r->mine)
		web_bi(b, "送信者", "your mail");
	else
		web_bi(b, "承認者", "to approve");
	sg_buf_puts(b, "</td></tr>\n");
}

void web_page_list(sg_buf *b, const char *prefix, const char *person,
		   const web_list_row *rows, size_t n, bool truncated)
{
	web_page_begin(b, prefix, "承認待ちの一覧", "Pending holds");
	sg_buf_puts(b, "<p class=\"en\">");
	web_bi(b, "あなた", "You");
	sg_buf_puts(b, ": <span class=\"mono\" id=\"person\">");
	web_esc(b, person);
	sg_buf_puts(b, "</span></p>\n<section class=\"box\">");
	if (n == 0) {
		sg_buf_puts(b, "<p id=\"empty\">");
		web_bi(b, "判断を待っている保留はありません。", "Nothing is waiting for you.");
		sg_buf_puts(b, "</p></section>\n");
		web_page_end(b);
		return;
	}
	sg_buf_puts(b, "<table class=\"list\"><thead><tr><th>受付 / Received</th>"
		    "<th>送信者 / Sender</th><th>件名 / Subject</th>"
		    "<th>種類 / Categories</th><th>あなた / You</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < n; i++)
		web_list_row_html(b, prefix, &rows[i]);
	sg_buf_puts(b, "</tbody></table>");
	if (truncated)
		sg_buf_printf(b, "<p>最初の %d 件だけを表示しています。 <span class=\"en\">"
			      "Only the oldest %d are shown.</span></p>", WEB_LIST_MAX,
			      WEB_LIST_MAX);
	sg_buf_puts(b, "</section>\n");
	web_page_end(b);
}
