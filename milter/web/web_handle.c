/*
 * NAME
 *	web_handle - one request in, one response out
 * SYNOPSIS
 *	#include "web/web.h"
 * DESCRIPTION
 *	Routing, identity, the checks on who may see and do what, and the
 *	decision itself, without any HTTP library (web_http.c adapts
 *	libmicrohttpd), so the unit tests drive the same code the server
 *	runs.
 *
 *	Order of the checks for a POST, cheapest and least revealing
 *	first: the route and method, the form's type and shape, the
 *	browser's own cross-site flag (Sec-Fetch-Site), the token or the
 *	proxy's header, the hold and the person's part in it, the CSRF
 *	value, and finally rel_decide(), which applies the four-eyes rules
 *	of sendguardctl and records the decision and its audit record in
 *	one transaction. A success answers 303 to the hold page (a reload
 *	never posts twice), which says that the message goes out within a
 *	minute: the root step `sendguardctl apply` carries the decision out
 *	and sends the sender the same outcome notice as for a decision
 *	taken with sendguardctl.
 *
 *	The audit record's actor is the person; its unix_user says the page
 *	acted and how the person was proven ("sendguard via sendguard-web,
 *	signed link" or "... proxy header X-Remote-User"), so a decision's
 *	record shows who decided, when, and through what.
 * DIAGNOSTICS
 *	Refusals and decisions are logged (web_log) with the client's
 *	address; tokens and CSRF values never are.
 */
#include "web/web.h"
#include "web/web_int.h"
#include "util/sg_addr.h"
#include "util/sg_json.h"
#include "util/sg_mem.h"

#include <pwd.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#define WEB_TOKEN_MAX	1024
#define WEB_CSRF_FIELD_MAX 256
#define WEB_CHECK_MAX	64	/* checklist boxes read from a form */
#define WEB_HTML	"text/html; charset=utf-8"

void web_resp_init(web_resp *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
	r->content_type = WEB_HTML;
	sg_buf_init(&r->body, SG_BUF_UNLIMITED);
	sg_buf_init(&r->location, 8192);
	r->stream_fd = -1;
	sg_buf_init(&r->disposition, 8192);
}

void web_resp_free(web_resp *r)
{
	sg_buf_free(&r->body);
	sg_buf_free(&r->location);
	sg_buf_free(&r->disposition);
	if (r->stream_fd >= 0)
		close(r->stream_fd);
	r->stream_fd = -1;
}

static void web_error(web_app *app, web_resp *r, int status, const char *head_ja,
		      const char *head_en, const char *text_ja, const char *text_en)
{
	r->status = status;
	r->content_type = WEB_HTML;
	sg_buf_reset(&r->body);
	web_page_error(&r->body, app->prefix, head_ja, head_en, text_ja, text_en);
}

static void web_refuse_id(web_app *app, web_resp *r, web_id_rc rc)
{
	static const char hj[] = "このリンクは使えません", he[] = "This link cannot be used";

	switch (rc) {
	case WEB_ID_EXPIRED:
		web_error(app, r, 403, "リンクの有効期限切れ", "This link has expired",
			  "このリンクの有効期限が切れています。新しい通知メールのリンクを開くか、"
			  "システム管理者に連絡してください。",
			  "The link has expired. Open the link of a newer notice, or ask "
			  "your mail administrator.");
		break;
	case WEB_ID_UNKNOWN_KID:
		web_error(app, r, 403, hj, he,
			  "このリンクは、現在使われていない鍵で署名されています。"
			  "システム管理者に新しいリンクを依頼してください。",
			  "The link was signed with a key that is no longer in use. Ask "
			  "your mail administrator for a new link.");
		break;
	case WEB_ID_NONE:
		web_error(app, r, 403, hj, he,
			  "このページを開くには、通知メールにあるリンクをそのまま開いてください。",
			  "Open this page with the link in your notice mail, as it is.");
		break;
	default:	/* malformed, forged, a bad header: say as little */
		web_error(app, r, 403, hj, he,
			  "このリンクは正しくありません（途中で切れているか、書き換えられています）。"
			  "通知メールのリンクをそのまま開いてください。",
			  "The link is not valid (cut short or altered). Open the link in "
			  "your notice mail exactly as it is.");
		break;
	}
}

static const char *web_id_name(web_id_rc rc)
{
	static const char *const n[] = { "ok", "no token", "malformed token",
					 "bad token mac", "unknown key id",
					 "expired token", "bad user header" };
	return (unsigned)rc <= WEB_ID_BAD_HEADER ? n[rc] : "?";
}

/* Who asks, for hold `want` ("*": the list); false after a 403. */
static bool web_who(web_app *app, const web_req *req, web_resp *r, const char *token,
		    const char *want, time_t now, web_ident *id)
{
	const char *hdr = *app->header ? req->user_header : NULL;
	web_id_rc rc = web_identify(web_app_keys(app), token, hdr, now, id);

	if (rc != WEB_ID_OK) {
		web_log(LOG_NOTICE, "refused %s %s from %s: %s", req->method == WEB_POST ?
			"POST" : "GET", req->path, req->client ? req->client : "?",
			web_id_name(rc));
		web_refuse_id(app, r, rc);
		return false;
	}
	if (!id->via_header && strcmp(id->hold, want) != 0) {
		web_log(LOG_NOTICE, "refused %s from %s: the link of %s is for %s",
			req->path, req->client ? req->client : "?", id->person,
			strcmp(id->hold, "*") == 0 ? "the list" : "another hold");
		web_error(app, r, 403, "このリンクは使えません", "This link cannot be used",
			  "このリンクは別のページのためのものです。通知メールのリンクを開いてください。",
			  "This link is for another page. Open the link in your notice mail.");
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ holds */

/* Reads the hold; false after a 404 or 503. */
static bool web_load(web_app *app, web_resp *r, const char *id, st_hold **h)
{
	sg_buf err;
	st_rc rc;

	sg_buf_init(&err, 4096);
	rc = st_hold_get(app->st, id, h, &err);
	if (rc == ST_NOTFOUND)
		web_error(app, r, 404, "保留が見つかりません", "No such hold",
			  "この保留は見つかりません。", "This hold does not exist.");
	else if (rc != ST_OK) {
		web_log(LOG_ERR, "hold %s: %s", id, sg_buf_cstr(&err));
		web_error(app, r, 503, "一時的なエラー", "Temporary error",
			  "しばらくしてからもう一度開いてください。",
			  "Please try again in a moment.");
	}
	sg_buf_free(&err);
	return rc == ST_OK;
}

typedef struct web_role {
	bool sender, approver;
	bool delegate;		/* approver only as someone's proxy (issue 18) */
} web_role;

/* The person's part in the hold; false after a 403 (neither). A
 * delegate of an assigned approver (a delegation in force) is an
 * approver of the hold, never its sender. */
static bool web_role_of(web_app *app, web_resp *r, const st_hold *h,
			const web_ident *id, web_role *role)
{
	role->sender = rel_is_sender(h, app->conf, id->person);
	role->approver = !role->sender && rel_is_assigned(h, id->person);
	role->delegate = !role->sender && !role->approver && !h->delay &&
			 rel_is_delegate(app->st, h, id->person, time(NULL));
	role->approver = role->approver || role->delegate;
	if (role->sender || role->approver)
		return true;
	web_log(LOG_NOTICE, "refused hold %s: %s is neither its sender nor an approver",
		h->id, id->person);
	web_error(app, r, 403, "この保留は表示できません", "Not your hold",
		  "あなたはこのメールの送信者でも承認者でもありません。",
		  "You are neither the sender nor an approver of this message.");
	return false;
}

/* The hold's preview, opened with the page's keys: "shown" (pv
 * filled), "none", or "unreadable" (logged: a key removed too early,
 * or a row altered). Only called once the person is known to be the
 * hold's sender or one of its approvers. */
static const char *web_hold_preview(web_app *app, const st_hold *h, time_t now,
				    sg_buf *json, rel_preview *pv)
{
	sg_buf err;
	int got;

	sg_buf_init(&err, 4096);
	got = rel_preview_load(app->st, web_app_keys(app), h->id, now, json, &err);
	if (got > 0 && rel_preview_parse(sg_buf_cstr(json), pv) < 0) {
		sg_buf_reset(&err);
		sg_buf_puts(&err, "the opened preview is not a preview object");
		got = -1;
	}
	if (got < 0)
		web_log(LOG_WARNING, "hold %s: preview not shown: %s", h->id,
			sg_buf_cstr(&err));
	sg_buf_free(&err);
	return got > 0 ? "shown" : got == 0 ? "none" : "unreadable";
}

/* 0 no downloads here, 1 offered, 2 allowed but this host has no root
 * side (no download socket: a page on another host than the gateway). */
static int web_download_offer(const web_app *app, const st_hold *h, const web_role *role)
{
	char *sock;
	struct stat sb;
	int ret;

	if (!role->approver || h->status != ST_PENDING || h->orphaned_at != NULL ||
	    !sg_conf_bool(app->conf, "web", "allow_download"))
		return 0;
	/* Issue 20: the mail is in its own gateway's queue only. */
	if (h->gateway == NULL || strcmp(h->gateway, st_gateway(app->st)) != 0)
		return 2;
	sock = sg_conf_path(app->conf, "web", "download_socket");
	ret = stat(sock, &sb) == 0 && S_ISSOCK(sb.st_mode) ? 1 : 2;
	free(sock);
	return ret;
}

struct web_voted {
	const char *person;
	bool voted;
	const char *on_behalf;	/* a delegate: the approver it acts for */
};

static void web_voted_one(const char *const *vals, const char *elem, void *ctx)
{
	struct web_voted *w = ctx;
	size_t n = strlen(w->person);

	(void)elem;
	if (vals[0] == NULL || vals[1] == NULL)
		return;
	/* The person's own vote, or one they made as a proxy. */
	if (sg_addr_same_exact(vals[0], w->person) ||
	    (strncmp(vals[1], w->person, n) == 0 &&
	     strncmp(vals[1] + n, " on behalf of ", 14) == 0))
		w->voted = true;
}

/* The assigned approver a delegate acts for (the first in force). */
static const char *web_on_behalf(web_app *app, const st_hold *h, const char *person,
				 time_t now)
{
	for (size_t i = 0; i < h->napprovers; i++)
		if (st_delegate_active(app->st, h->approvers[i], person, now))
			return h->approvers[i];
	return NULL;
}

static void web_hold_page(web_app *app, web_resp *r, const st_hold *h,
			  const web_ident *id, const web_role *role,
			  const char *token, const char *done, time_t now)
{
	static const char *const vkeys[] = { "approver", "by" };
	struct web_voted w = { id->person, false, NULL };
	const ntf_keys *keys = web_app_keys(app);
	time_t exp = now + (time_t)app->token_lifetime;
	sg_buf csrf, list, err, pvjson;
	rel_preview pv = { 0 };
	const char *pv_status;
	web_hold_ctx c;

	sg_buf_init(&pvjson, SG_BUF_UNLIMITED);
	sg_buf_init(&csrf, 512);
	sg_buf_init(&list, 2048);
	sg_buf_init(&err, 512);
	web_csrf_make(keys, id->person, h->id, token ? token : "", exp, &csrf);
	if (!id->via_header)
		ntf_token_make(keys, NTF_TOKEN_ANY_HOLD, id->person, exp, &list, &err);
	pv_status = web_hold_preview(app, h, now, &pvjson, &pv);
	c = (web_hold_ctx){ app->prefix, id->person, role->sender, role->approver,
			    token ? token : "", sg_buf_cstr(&csrf), sg_buf_cstr(&list),
			    done, now, pv.ok ? &pv : NULL, pv_status,
			    web_download_offer(app, h, role), NULL, 0, NULL, false,
			    false };
	c.checklist = sg_conf_list(app->conf, "approval", "checklist", &c.nchecklist);
	if (h->approvals_json)
		rel_json_each(h->approvals_json, vkeys, 2, 64, web_voted_one, &w);
	c.voted = w.voted;
	c.on_behalf = role->delegate ? web_on_behalf(app, h, id->person, now) : NULL;
	c.may_delegate = role->approver && !role->delegate && !h->delay;
	web_page_hold(&r->body, h, &c);
	rel_preview_free(&pv);
	if (pvjson.data != NULL)
		memset(pvjson.data, 0, pvjson.len);
	sg_buf_free(&pvjson);
	sg_buf_free(&csrf);
	sg_buf_free(&list);
	sg_buf_free(&err);
}

static void web_get_hold(web_app *app, const web_req *req, web_resp *r,
			 const char *hold, time_t now)
{
	web_ident id;
	web_role role;
	st_hold *h = NULL;

	if (!web_who(app, req, r, req->token, hold, now, &id) || !web_load(app, r, hold, &h))
		return;
	if (web_role_of(app, r, h, &id, &role))
		web_hold_page(app, r, h, &id, &role, req->token, req->done, now);
	st_hold_free(h);
}

/* ------------------------------------------------------------- POST */

typedef struct web_form {
	sg_buf token, csrf, action, comment;
} web_form;

static void web_form_init(web_form *f)
{
	sg_buf_init(&f->token, WEB_TOKEN_MAX);
	sg_buf_init(&f->csrf, WEB_CSRF_FIELD_MAX);
	sg_buf_init(&f->action, 16);
	sg_buf_init(&f->comment, WEB_COMMENT_MAX);
}

static void web_form_free(web_form *f)
{
	sg_buf_free(&f->token);
	sg_buf_free(&f->csrf);
	sg_buf_free(&f->action);
	sg_buf_free(&f->comment);
}

/* Reads the form; false after a 400, 403 or 415. */
static bool web_read_form(web_app *app, const web_req *req, web_resp *r, web_form *f)
{
	static const char ct[] = "application/x-www-form-urlencoded";

	if (req->content_type == NULL || strncasecmp(req->content_type, ct, sizeof(ct) - 1) != 0) {
		web_error(app, r, 415, "送信できません", "Unsupported form",
			  "フォームの形式が正しくありません。", "The form's type is not accepted.");
		return false;
	}
	if (req->fetch_site && strcmp(req->fetch_site, "cross-site") == 0) {
		web_log(LOG_NOTICE, "refused POST %s from %s: cross-site", req->path,
			req->client ? req->client : "?");
		web_error(app, r, 403, "送信できません", "Refused",
			  "ほかのサイトからの送信は受け付けません。",
			  "A form sent from another site is refused.");
		return false;
	}
	if (web_form_get(req->body, req->body_len, "t", &f->token) < 0 ||
	    web_form_get(req->body, req->body_len, "csrf", &f->csrf) < 0 ||
	    web_form_get(req->body, req->body_len, "action", &f->action) < 0 ||
	    web_form_get(req->body, req->body_len, "comment", &f->comment) < 0 ||
	    !web_utf8_valid(f->comment.data ? f->comment.data : "", f->comment.len)) {
		web_error(app, r, 400, "送信できません", "Bad request",
			  "フォームの内容が正しくありません（コメントは2000バイトまで）。",
			  "The form is not valid (comments are at most 2000 bytes).");
		return false;
	}
	return true;
}

/* The action the form asks for, if this person may ask it here. */
static bool web_action_of(web_app *app, web_resp *r, const char *name,
			  const st_hold *h, const web_role *role, rel_action *act)
{
	/* "Send now" is the sender's only for delayed mail: a hold for
	 * approval is never released by its sender (issue 19). */
	if (strcmp(name, "release") == 0 && role->sender && h->delay)
		*act = REL_RELEASE;
	else if (strcmp(name, "release") == 0 && role->sender) {
		web_log(LOG_NOTICE, "refused release of hold %s by its sender: held for"
			" approval", h->id);
		web_error(app, r, 403, "この操作はできません", "Not allowed",
			  "このメールは承認待ちの保留です。送信者は送信できません（承認者の判断が必要です）。",
			  "This message is held for approval: its sender cannot send it; "
			  "an approver decides.");
		return false;
	} else if (strcmp(name, "approve") == 0 && role->approver)
		*act = REL_APPROVE;
	else if (strcmp(name, "reject") == 0 && role->approver)
		*act = REL_REJECT;
	else if (strcmp(name, "withdraw") == 0 && role->sender)
		*act = REL_WITHDRAW;
	else {
		web_error(app, r, 403, "この操作はできません", "Not allowed",
			  "承認・却下は割り当てられた承認者だけが、取り下げは送信者だけが行えます。",
			  "Only an assigned approver may approve or reject; only the sender "
			  "may withdraw.");
		return false;
	}
	return true;
}

static void web_unix_user(const web_app *app, const web_ident *id, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(geteuid());

	snprintf(buf, size, "%s via sendguard-web, %s%s", pw ? pw->pw_name : "?",
		 id->via_header ? "proxy header " : "signed link",
		 id->via_header ? app->header : "");
}

static void web_decided(web_app *app, web_resp *r, const char *hold, const char *what,
			const web_form *f)
{
	r->status = 303;
	sg_buf_puts(&r->location, app->prefix);
	sg_buf_printf(&r->location, "/hold/%s?", hold);
	if (f->token.len) {
		sg_buf_puts(&r->location, "t=");
		web_url_esc(&r->location, sg_buf_cstr(&f->token));
		sg_buf_putc(&r->location, '&');
	}
	sg_buf_printf(&r->location, "done=%s#done", what);
	sg_buf_reset(&r->body);
	web_page_error(&r->body, app->prefix, "記録しました", "Recorded",
		       "判断を記録しました。", "Your decision has been recorded.");
}

static void web_decide(web_app *app, const web_req *req, web_resp *r, const st_hold *h,
		       const web_ident *id, rel_action act, const web_form *f)
{
	const char *comment = act != REL_WITHDRAW && act != REL_RELEASE && f->comment.len ?
			      f->comment.data : NULL;
	char unix_user[128];
	sg_buf err;
	rel_rc rc;

	const char *ticked[WEB_CHECK_MAX];
	size_t nitems = 0, nticked = 0;
	char *const *items = sg_conf_list(app->conf, "approval", "checklist", &nitems);
	rel_vote_outcome out = REL_DECIDED;
	rel_decision d;
	sg_buf field, val;

	/* The checklist's boxes: check1..checkN, each ticked item by its
	 * sentence as configured (issue 18). */
	sg_buf_init(&field, 32);
	sg_buf_init(&val, 16);
	for (size_t i = 0; i < nitems && i < WEB_CHECK_MAX; i++) {
		sg_buf_reset(&field);
		sg_buf_printf(&field, "check%zu", i + 1);
		if (web_form_get(req->body, req->body_len, sg_buf_cstr(&field), &val) == 1 &&
		    strcmp(sg_buf_cstr(&val), "1") == 0)
			ticked[nticked++] = items[i];
	}
	sg_buf_free(&field);
	sg_buf_free(&val);
	web_unix_user(app, id, unix_user, sizeof(unix_user));
	sg_buf_init(&err, 4096);
	d = (rel_decision){ h->id, act, id->person, NULL, comment, unix_user, ticked,
			    nticked };
	rc = rel_decide_ex(app->st, app->conf, &d, &out, &err);
	web_log(rc == REL_OK ? LOG_INFO : LOG_NOTICE, "hold %s: %s%s by %s from %s: %s%s%s",
		h->id, rel_action_name(act), rc == REL_OK && out == REL_PARTIAL ?
		" (partial: the hold waits for more approvals)" : "", id->person,
		req->client ? req->client : "?",
		rel_rc_name(rc), err.len ? ": " : "", sg_buf_cstr(&err));
	if (rc == REL_OK)
		web_decided(app, r, h->id, rel_action_name(act), f);
	else if (rc == REL_REFUSED || rc == REL_INVALID)	/* e.g. a reject without a reason */
		web_error(app, r, 409, "記録できませんでした", "Not recorded",
			  sg_buf_cstr(&err), "");
	else if (rc == REL_BUSY)
		web_error(app, r, 503, "一時的なエラー", "Temporary error",
			  "混み合っています。しばらくしてからもう一度送信してください。",
			  "The store is busy. Please send the form again in a moment.");
	else
		web_error(app, r, rc == REL_NOTFOUND ? 404 : 500, "記録できませんでした",
			  "Not recorded", "システム管理者に連絡してください。",
			  "Please tell your mail administrator.");
	sg_buf_free(&err);
}

/* RFC 6266: an ASCII fallback filename and filename* in UTF-8, both
 * quoted or percent-encoded so that no name can add a parameter. */
static void web_disposition(sg_buf *b, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";

	sg_buf_puts(b, "attachment");
	if (*name == '\0')
		return;
	sg_buf_puts(b, "; filename=\"");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if ((*p & 0xc0) != 0x80)	/* one '_' per character, not per byte */
			sg_buf_putc(b, *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\' &&
				    *p != ';' ? *p : '_');
	sg_buf_puts(b, "\"; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("!#$&+-.^_`|~", *p))
			sg_buf_putc(b, *p);
		else
			sg_buf_printf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
}

/* An approver downloads one attachment (issue 18): refused for a
 * dangerous one, recorded in the audit log before a byte is sent, the
 * bytes streamed from the root side (ctl_download.c) as an
 * application/octet-stream attachment that never renders here. */
static void web_download(web_app *app, const web_req *req, web_resp *r, const st_hold *h,
			 const web_ident *id, const web_role *role, const char *path)
{
	char unix_user[128], *sock = NULL;
	sg_buf err, name, where, detail;
	unsigned long long size = 0;
	int fd = -1, danger;

	sg_buf_init(&err, 4096);
	sg_buf_init(&name, 4096);
	sg_buf_init(&where, 4096);
	sg_buf_init(&detail, SG_BUF_UNLIMITED);
	if (!role->approver || !sg_conf_bool(app->conf, "web", "allow_download")) {
		web_error(app, r, 403, "ダウンロードできません", "Not allowed",
			  "添付ファイルのダウンロードは、割り当てられた承認者だけが行えます。",
			  "Only an assigned approver may download an attachment.");
		goto out;
	}
	if (h->status != ST_PENDING) {
		web_error(app, r, 409, "ダウンロードできません", "Decided",
			  "判断済みのメールの添付ファイルはダウンロードできません。",
			  "The message has been decided: nothing to download.");
		goto out;
	}
	if (h->gateway == NULL || strcmp(h->gateway, st_gateway(app->st)) != 0) {
		web_error(app, r, 409, "ダウンロードできません", "Another gateway",
			  "このメールは別のゲートウェイにあります。そのゲートウェイの承認ページから"
			  "ダウンロードしてください。",
			  "This mail is on another gateway: download it on that gateway's"
			  " approval page.");
		goto out;
	}
	if ((danger = rel_att_dangerous(h, path, &where)) != 0) {
		web_log(LOG_NOTICE, "hold %s: download of %s by %s refused: %s", h->id, path,
			id->person, danger < 0 ? "no such attachment" : "dangerous");
		web_error(app, r, danger < 0 ? 404 : 403, "ダウンロードできません",
			  "Not downloadable", danger < 0 ? "この添付ファイルはありません。" :
			  "危険な添付ファイルはダウンロードできません。",
			  danger < 0 ? "No such attachment." :
			  "A dangerous attachment is never downloadable.");
		goto out;
	}
	sock = sg_conf_path(app->conf, "web", "download_socket");
	fd = rel_dl_request(sock, h->id, path, 30, &size, &name, &err);
	if (fd < 0) {
		web_log(LOG_WARNING, "hold %s: download of %s by %s failed: %s", h->id, path,
			id->person, sg_buf_cstr(&err));
		web_error(app, r, strncmp(sg_buf_cstr(&err), "ERR dangerous", 13) == 0 ? 403 : 503,
			  "ダウンロードできません", "Not available",
			  "この添付ファイルは今ダウンロードできません。ゲートウェイの承認ページ"
			  "からだけダウンロードできます。",
			  "This attachment cannot be downloaded now. Downloads work only on "
			  "the gateway's own approval page.");
		goto out;
	}
	web_unix_user(app, id, unix_user, sizeof(unix_user));
	sg_buf_puts(&detail, "{\"path\":");
	sg_json_str(&detail, path);
	sg_buf_puts(&detail, ",\"name\":");
	sg_json_str(&detail, sg_buf_cstr(&name));
	sg_buf_puts(&detail, ",\"where\":");
	sg_json_str(&detail, sg_buf_cstr(&where));
	sg_buf_printf(&detail, ",\"size\":%llu,\"client\":", size);
	sg_json_str(&detail, req->client ? req->client : "?");
	sg_buf_putc(&detail, '}');
	/* No record, no download: an auditor sees every copy that left. */
	if (st_audit_append(app->st, "download", h->id, h->queue_id, id->person, unix_user,
			    sg_buf_cstr(&detail), &err) != ST_OK) {
		web_log(LOG_ERR, "hold %s: download not recorded, not served: %s", h->id,
			sg_buf_cstr(&err));
		web_error(app, r, 503, "一時的なエラー", "Temporary error",
			  "しばらくしてからもう一度操作してください。",
			  "Please try again in a moment.");
		goto out;
	}
	web_log(LOG_INFO, "hold %s: %s downloaded %s (%llu bytes)", h->id, id->person,
		path, size);
	r->status = 200;
	r->content_type = "application/octet-stream";
	r->stream_fd = fd;
	r->stream_size = size;
	fd = -1;
	web_disposition(&r->disposition, sg_buf_cstr(&name));
out:
	if (fd >= 0)
		close(fd);
	free(sock);
	sg_buf_free(&err);
	sg_buf_free(&name);
	sg_buf_free(&where);
	sg_buf_free(&detail);
}

/* An assigned approver names a proxy (issue 18): recorded, audited,
 * and the proxy asked for every hold now waiting for the approver. */
static void web_delegate(web_app *app, const web_req *req, web_resp *r,
			 const st_hold *h, const web_ident *id, const web_role *role,
			 const web_form *f, time_t now)
{
	size_t nd;
	char *const *dom = sg_conf_list(app->conf, "policy", "internal_domains", &nd);
	const char *delims = sg_conf_str(app->conf, "policy", "recipient_delimiter");
	char unix_user[128], *to = NULL, *from = NULL;
	sg_buf tob, untilb, err;
	time_t until;
	long long did = 0;
	size_t asked;

	sg_buf_init(&tob, 2048);
	sg_buf_init(&untilb, 64);
	sg_buf_init(&err, 4096);
	if (!role->approver || role->delegate || h->delay) {
		web_error(app, r, 403, "この操作はできません", "Not allowed",
			  "代理人を指定できるのは、割り当てられた承認者だけです。",
			  "Only an assigned approver may name a delegate.");
		goto out;
	}
	if (web_form_get(req->body, req->body_len, "to", &tob) < 0 ||
	    web_form_get(req->body, req->body_len, "until", &untilb) < 0) {
		web_error(app, r, 400, "送信できません", "Bad request",
			  "フォームの内容が正しくありません。", "The form is not valid.");
		goto out;
	}
	to = sg_addr_identity(sg_buf_cstr(&tob), NULL, false);
	from = sg_addr_identity(id->person, NULL, false);
	until = rel_parse_until(sg_buf_cstr(&untilb));
	if (to == NULL || from == NULL || !sg_addr_internal(to, dom, nd) ||
	    sg_addr_same_person(to, from, delims) || rel_is_sender(h, app->conf, to)) {
		web_error(app, r, 409, "記録できませんでした", "Not recorded",
			  "代理人には、あなた以外の内部のアドレスを指定してください"
			  "（このメールの送信者は指定できません）。",
			  "The delegate must be an internal address other than yours "
			  "(and not this message's sender).");
		goto out;
	}
	if (until <= now || until - now > REL_DELEGATE_MAX_S) {
		web_error(app, r, 409, "記録できませんでした", "Not recorded",
			  "期限は今日から366日以内の日付を指定してください。",
			  "The end must be a date within the next 366 days.");
		goto out;
	}
	web_unix_user(app, id, unix_user, sizeof(unix_user));
	if (st_delegate_add(app->st, from, to, now, until, id->person, unix_user, &did,
			    &err) != ST_OK) {
		web_log(LOG_ERR, "hold %s: delegation by %s not recorded: %s", h->id,
			id->person, sg_buf_cstr(&err));
		web_error(app, r, 503, "一時的なエラー", "Temporary error",
			  "しばらくしてからもう一度操作してください。",
			  "Please try again in a moment.");
		goto out;
	}
	asked = rel_delegate_requests(app->st, app->conf, from, to);
	web_log(LOG_INFO, "delegation %lld: %s -> %s until %s (from the page of hold %s,"
		" client %s; %zu requests)", did, from, to, sg_buf_cstr(&untilb), h->id,
		req->client ? req->client : "?", asked);
	web_decided(app, r, h->id, "delegate", f);
out:
	free(to);
	free(from);
	sg_buf_free(&tob);
	sg_buf_free(&untilb);
	sg_buf_free(&err);
}

static void web_post_hold(web_app *app, const web_req *req, web_resp *r,
			  const char *hold, time_t now)
{
	web_form f;
	web_ident id;
	web_role role;
	st_hold *h = NULL;
	rel_action act;

	web_form_init(&f);
	if (!web_read_form(app, req, r, &f) ||
	    !web_who(app, req, r, sg_buf_cstr(&f.token), hold, now, &id) ||
	    !web_load(app, r, hold, &h))
		goto out;
	if (!web_role_of(app, r, h, &id, &role))
		goto out;
	if (!web_csrf_check(web_app_keys(app), id.person, h->id, sg_buf_cstr(&f.token),
			    sg_buf_cstr(&f.csrf), now)) {
		web_log(LOG_NOTICE, "refused POST %s from %s: bad CSRF value", req->path,
			req->client ? req->client : "?");
		web_error(app, r, 403, "送信できません", "Refused",
			  "フォームの確認コードがないか正しくありません。ページを開き直してから"
			  "もう一度操作してください。",
			  "The form's check value is missing or wrong. Open the page again "
			  "and try once more.");
		goto out;
	}
	if (strcmp(sg_buf_cstr(&f.action), "download") == 0) {
		sg_buf path;

		sg_buf_init(&path, 4096);
		if (web_form_get(req->body, req->body_len, "path", &path) < 0 || path.len == 0)
			web_error(app, r, 400, "送信できません", "Bad request",
				  "フォームの内容が正しくありません。", "The form is not valid.");
		else
			web_download(app, req, r, h, &id, &role, sg_buf_cstr(&path));
		sg_buf_free(&path);
	} else if (strcmp(sg_buf_cstr(&f.action), "delegate") == 0) {
		web_delegate(app, req, r, h, &id, &role, &f, now);
	} else if (web_action_of(app, r, sg_buf_cstr(&f.action), h, &role, &act))
		web_decide(app, req, r, h, &id, act, &f);
out:
	st_hold_free(h);
	web_form_free(&f);
}

/* ------------------------------------------------------------- list */

typedef struct web_list_ctx {
	web_app *app;
	const char *person;
	bool via_header;
	time_t expiry;
	web_list_row *rows;
	size_t n;
	bool truncated;
} web_list_ctx;

static int web_list_one(const st_hold *h, void *ctx)
{
	web_list_ctx *c = ctx;
	bool mine = rel_is_sender(h, c->app->conf, c->person);
	web_list_row *row;
	sg_buf tok, err;

	if (!mine && !rel_is_assigned(h, c->person) &&
	    (h->delay || !rel_is_delegate(c->app->st, h, c->person, time(NULL))))
		return 0;
	if (c->n >= WEB_LIST_MAX) {
		c->truncated = true;
		return 1;
	}
	row = &c->rows[c->n++];
	snprintf(row->id, sizeof(row->id), "%s", h->id);
	row->sender = sg_xstrdup(h->sender ? h->sender : "");
	row->sender_name = rel_hold_name(h, h->sender);
	row->subject = sg_xstrdup(h->subject ? h->subject : "");
	row->created = sg_xstrdup(h->created ? h->created : "");
	row->created_t = h->created_t;
	row->categories = sg_xcalloc(h->ncategories + 1, sizeof(char *));
	for (size_t i = 0; i < h->ncategories; i++)
		row->categories[row->ncategories++] = sg_xstrdup(h->categories[i]);
	row->mine = mine;
	sg_buf_init(&tok, 2048);
	sg_buf_init(&err, 512);
	if (!c->via_header)
		ntf_token_make(web_app_keys(c->app), h->id, c->person, c->expiry, &tok, &err);
	sg_buf_puts(&tok, "");
	row->token = sg_buf_steal(&tok);
	sg_buf_free(&err);
	return 0;
}

static void web_get_list(web_app *app, const web_req *req, web_resp *r, time_t now)
{
	web_ident id;
	st_status pending = ST_PENDING;
	web_list_ctx c = { app, NULL, false, now + (time_t)app->token_lifetime, NULL, 0,
			   false };
	sg_buf err;

	if (!web_who(app, req, r, req->token, NTF_TOKEN_ANY_HOLD, now, &id))
		return;
	c.person = id.person;
	c.via_header = id.via_header;
	c.rows = sg_xcalloc(WEB_LIST_MAX, sizeof(*c.rows));
	sg_buf_init(&err, 4096);
	if (st_hold_list(app->st, &pending, web_list_one, &c, &err) != ST_OK) {
		web_log(LOG_ERR, "list: %s", sg_buf_cstr(&err));
		web_error(app, r, 503, "一時的なエラー", "Temporary error",
			  "しばらくしてからもう一度開いてください。", "Please try again in a moment.");
	} else {
		web_page_list(&r->body, app->prefix, id.person, c.rows, c.n, c.truncated);
	}
	for (size_t i = 0; i < c.n; i++) {
		free(c.rows[i].sender);
		free(c.rows[i].sender_name);
		free(c.rows[i].subject);
		free(c.rows[i].created);
		for (size_t k = 0; k < c.rows[i].ncategories; k++)
			free(c.rows[i].categories[k]);
		free(c.rows[i].categories);
		free(c.rows[i].token);
	}
	free(c.rows);
	sg_buf_free(&err);
}

/* ------------------------------------------------------------ route */

static void web_index(web_app *app, web_resp *r)
{
	web_page_begin(&r->body, app->prefix, "送信前チェック 承認ページ",
		       "Outgoing mail approval");
	sg_buf_puts(&r->body, "<section class=\"box\"><p>保留されたメールの確認・承認には、"
		    "通知メールにあるあなた専用のリンクを開いてください。</p><p class=\"en\">"
		    "To see or decide a held message, open the personal link in your "
		    "notice mail.</p></section>\n");
	web_page_end(&r->body);
}

void web_handle(web_app *app, const web_req *req, web_resp *r, time_t now)
{
	char hold[NTF_HOLD_ID_MAX + 1];
	web_route_kind k = web_route(req->path, hold);
	bool get = req->method == WEB_GET || req->method == WEB_HEAD;

	if (k == WEB_R_NOTFOUND) {
		web_error(app, r, 404, "ページが見つかりません", "Not found",
			  "このアドレスのページはありません。", "There is no page at this address.");
	} else if (!get && !(k == WEB_R_HOLD && req->method == WEB_POST)) {
		r->allow_post = k == WEB_R_HOLD;
		web_error(app, r, 405, "この操作はできません", "Method not allowed",
			  "このページはこの方法では開けません。", "This page cannot be used that way.");
	} else if (k == WEB_R_CSS) {
		r->content_type = "text/css; charset=utf-8";
		sg_buf_puts(&r->body, web_css);
	} else if (k == WEB_R_INDEX) {
		web_index(app, r);
	} else if (k == WEB_R_LIST) {
		web_get_list(app, req, r, now);
	} else if (get) {
		web_get_hold(app, req, r, hold, now);
	} else {
		web_post_hold(app, req, r, hold, now);
	}
}
