/*
 * NAME
 *	ntf_values - the values of template variables, in Japanese and English
 * SYNOPSIS
 *	#include "notify/ntf.h"
 * DESCRIPTION
 *	Notices speak to staff, not to mail experts (SOURCES.md): say what
 *	was found and where, and what to do. The advice texts below follow
 *	the procedures the rules come from: important data goes encrypted
 *	in an attachment with the password sent another way (the
 *	government stopped password-ZIP-plus-password-by-the-same-route,
 *	PPAP, in 2020); several citizens are addressed with Bcc; class-3
 *	information is never e-mailed and class 2 needs the security
 *	officer's approval; executables and macros are not sent.
 *
 *	Lists are bounded (NTF_LINES_MAX lines each) so that a message with
 *	ten thousand findings gives a readable notice, with a line saying
 *	how many more there are.
 * DIAGNOSTICS
 *	None: these functions cannot fail.
 */
#include "notify/ntf.h"
#include "util/sg_mem.h"
#include "util/sg_time.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define NTF_LINES_MAX	200	/* lines of one list in a notice */
#define NTF_DEPTH_MAX	8	/* archive levels shown */
#define NTF_TOKEN_DEFAULT_TTL	(7 * 86400)	/* when the hold has no expiry */

typedef struct ntf_lang {
	bool ja;
	const char *bullet;
	const char *zone;	/* [policy] timezone */
} ntf_lang;

typedef struct ntf_advice {
	const char *category;
	const char *ja, *en;
} ntf_advice;

static const ntf_advice ntf_advices[] = {
	{ "unencrypted-attachment",
	  "・添付ファイルを暗号化してください。パスワード付きZIPでも、パスワードを"
	  "同じメールや同じ経路で送るのでは不十分です（この方式（PPAP）は政府が2020年に"
	  "廃止しました）。パスワードは電話や事前に取り決めた方法など、別の経路で伝えて"
	  "ください。",
	  "- Encrypt the attachment. A password-protected ZIP is not enough when the "
	  "password follows by the same route (the government stopped this, \"PPAP\", "
	  "in 2020): give the password another way, e.g. by phone or as agreed in "
	  "advance." },
	{ "personal-data",
	  "・個人情報（マイナンバー、口座番号など）はメール本文に書かないでください。"
	  "本文から番号を削除するか、暗号化した添付ファイルにして送ってください。"
	  "個人情報のメール送信は原則禁止です。やむを得ない場合は責任者にも送付して"
	  "ください。",
	  "- Do not write personal data (My Number, bank accounts, ...) in the body. "
	  "Remove the number from the body, or send it as an encrypted attachment. "
	  "Personal data by e-mail is forbidden in principle; when it cannot be "
	  "avoided, also send it to the responsible manager." },
	{ "exposed-recipients",
	  "・複数の外部の方のメールアドレスが宛先（To/Cc）で互いに見えます。メール"
	  "アドレスも個人情報です。外部の方を Bcc に入れて送り直してください。",
	  "- Several outside people can see each other's addresses in To/Cc. E-mail "
	  "addresses are personal data: send it again with them in Bcc." },
	{ "dangerous-attachment",
	  "・実行ファイル（exe、scr、lnk など）やマクロ付きの Office ファイルは送らない"
	  "でください。マクロなしの形式（.xlsx、.docx、PDF など）で保存し直してください。",
	  "- Do not send programs (exe, scr, lnk, ...) or Office files with macros. "
	  "Save the document without macros (.xlsx, .docx, PDF) instead." },
	{ "classified",
	  "・機密性2（取扱注意・部外秘などを含む）の情報は原則としてメールで送れません。"
	  "LGWAN や専用回線を使うか、情報セキュリティ管理者の承認を得て暗号化して送って"
	  "ください。",
	  "- Class-2 information (also marked 取扱注意, 部外秘, ...) may not be e-mailed "
	  "in principle: use LGWAN or a dedicated line, or send it encrypted with the "
	  "security officer's approval." },
	{ "classified-3",
	  "・機密性3の情報はメールで送信できません。このメールは送信されていません。"
	  "送付の方法は情報セキュリティ管理者に相談してください。",
	  "- Class-3 information may never be e-mailed. This message was not sent; ask "
	  "the security officer how it may be delivered." },
	{ "private-recipient",
	  "・個人用のアドレス（フリーメール、携帯電話など）に添付ファイルや個人情報を"
	  "送ることはできません。業務のメールは相手の組織のアドレスに送ってください。"
	  "自宅のパソコンなどへ業務の情報を送らないでください。",
	  "- Attachments and personal data may not go to private addresses (free "
	  "mail, mobile carriers). Send work mail to the recipient's organisation's "
	  "address, and never work data to a home computer." },
	{ "scan-limit",
	  "・メールの一部（大きすぎる、壊れている、何重にも圧縮されているなど）を最後まで"
	  "確認できませんでした。承認者が内容を確認します。",
	  "- Part of the message could not be read in full (too large, damaged, or "
	  "archives nested too deeply). An approver will check it." },
};

static bool ntf_view_has_category(const ntf_hold_view *v, const char *cat)
{
	for (size_t i = 0; i < v->ncategories; i++)
		if (strcmp(v->categories[i], cat) == 0)
			return true;
	return false;
}

/* Where the findings of a category are: in the message's own body or
 * headers, in attachments, or both (issue 18: advice follows the
 * place; a roster in an attachment is about the attachment). */
static void ntf_places(const ntf_hold_view *v, const char *cat, bool *text, bool *att)
{
	*text = *att = false;
	for (size_t i = 0; i < v->nfindings; i++) {
		const ntf_finding_view *f = &v->findings[i];

		if (f->category == NULL || strcmp(f->category, cat) != 0)
			continue;
		if (ntf_where_is_attachment(f->where))
			*att = true;
		else
			*text = true;
	}
}

/* Whether an attachment at `where` is itself dangerous or holds a
 * dangerous entry: encrypting it is not the advice (it must not be
 * sent at all). */
static bool ntf_dangerous_at(const ntf_hold_view *v, const char *where)
{
	size_t n = where ? strlen(where) : 0;

	for (size_t i = 0; n && i < v->nfindings; i++) {
		const ntf_finding_view *f = &v->findings[i];

		if (f->category && strcmp(f->category, "dangerous-attachment") == 0 && f->where &&
		    strncmp(f->where, where, n) == 0 && (f->where[n] == '\0' || f->where[n] == '/'))
			return true;
	}
	return false;
}

/* The unencrypted-attachment advice only when some unencrypted file is
 * not a program (an .exe gets "do not send programs", never "please
 * encrypt"). A view without findings (an older caller) keeps it. */
static bool ntf_encrypt_advice(const ntf_hold_view *v)
{
	bool seen = false;

	for (size_t i = 0; i < v->nfindings; i++) {
		const ntf_finding_view *f = &v->findings[i];

		if (f->category == NULL || strcmp(f->category, "unencrypted-attachment") != 0)
			continue;
		seen = true;
		if (!ntf_dangerous_at(v, f->where))
			return true;
	}
	return !seen;
}

static const char ntf_pd_attachment_ja[] =
	"・添付ファイルに個人情報（名簿、マイナンバーなど）が含まれています。"
	"送る必要があるか確認し、必要な場合は添付ファイルを暗号化して、パスワードは"
	"電話など別の経路で伝えてください。個人情報のメール送信は原則禁止です。"
	"やむを得ない場合は責任者にも送付してください。";
static const char ntf_pd_attachment_en[] =
	"- An attachment holds personal data (a roster, My Numbers, ...). Check "
	"that it must be sent; if so, encrypt the attachment and give the password "
	"another way, e.g. by phone. Personal data by e-mail is forbidden in "
	"principle; when it cannot be avoided, also send it to the responsible "
	"manager.";

static void ntf_advice_text(const ntf_hold_view *v, ntf_lang l, sg_buf *out)
{
	for (size_t i = 0; i < sizeof(ntf_advices) / sizeof(ntf_advices[0]); i++) {
		const char *cat = ntf_advices[i].category;
		bool text = true, att = false;

		if (!ntf_view_has_category(v, cat))
			continue;
		if (strcmp(cat, "unencrypted-attachment") == 0 && !ntf_encrypt_advice(v))
			continue;
		if (strcmp(cat, "personal-data") == 0) {
			ntf_places(v, cat, &text, &att);
			if (!text && !att)
				text = true;	/* no findings listed: as before */
			if (att) {
				sg_buf_puts(out, l.ja ? ntf_pd_attachment_ja : ntf_pd_attachment_en);
				sg_buf_putc(out, '\n');
			}
			if (!text)
				continue;
		}
		sg_buf_puts(out, l.ja ? ntf_advices[i].ja : ntf_advices[i].en);
		sg_buf_putc(out, '\n');
	}
}

static void ntf_more(sg_buf *out, ntf_lang l, size_t more)
{
	if (more)
		sg_buf_printf(out, l.ja ? "%sほか %zu 件\n" : "%sand %zu more\n",
			      l.bullet, more);
}

static void ntf_findings_text(const ntf_hold_view *v, ntf_lang l, sg_buf *out)
{
	size_t i;

	for (i = 0; i < v->nfindings && i < NTF_LINES_MAX; i++) {
		const ntf_finding_view *f = &v->findings[i];
		const char *ev = f->evidence ? f->evidence : "";

		sg_buf_printf(out, "%s%s — %s", l.bullet, l.ja ? f->label_ja : f->label_en,
			      l.ja ? "場所: " : "where: ");
		ntf_where_text(f->where, l.ja, out);
		sg_buf_printf(out, l.ja ? " — %lu 件" : " — count: %lu", f->count);
		if (ntf_evidence_is_type(ev))
			sg_buf_printf(out, l.ja ? " — 種類: %s" : " — type: %s",
				      ntf_type_label(ev, l.ja));
		else if (*ev)
			sg_buf_printf(out, l.ja ? " — 該当箇所（" NTF_MASKED_JA "）: %s"
					      : " — evidence (" NTF_MASKED_EN "): %s", ev);
		sg_buf_putc(out, '\n');
	}
	ntf_more(out, l, v->nfindings - i);
}

static void ntf_size_text(unsigned long long n, ntf_lang l, sg_buf *out)
{
	if (n >= 1024 * 1024)
		sg_buf_printf(out, "%.1f MB", (double)n / (1024.0 * 1024.0));
	else if (n >= 1024)
		sg_buf_printf(out, "%.1f KB", (double)n / 1024.0);
	else
		sg_buf_printf(out, l.ja ? "%llu バイト" : "%llu bytes", n);
}

static void ntf_att_line(const ntf_attachment_view *a, int depth, ntf_lang l,
			 size_t *lines, sg_buf *out)
{
	if (++*lines > NTF_LINES_MAX)
		return;
	sg_buf_printf(out, "%*s%s%s (%s, ", depth * 2, "", depth ? "└ " : l.bullet,
		      a->name && *a->name ? a->name : (l.ja ? "（名前なし）" : "(no name)"),
		      ntf_type_label(a->type, l.ja));
	ntf_size_text(a->size, l, out);
	sg_buf_puts(out, a->encrypted ? (l.ja ? ", 暗号化あり" : ", encrypted")
				      : (l.ja ? ", 暗号化なし" : ", not encrypted"));
	if (a->note && *a->note)
		sg_buf_printf(out, ", %s", a->note);
	sg_buf_puts(out, ")\n");
	for (size_t i = 0; i < a->nentries && depth < NTF_DEPTH_MAX; i++)
		ntf_att_line(&a->entries[i], depth + 1, l, lines, out);
}

static void ntf_atts_text(const ntf_hold_view *v, ntf_lang l, sg_buf *out)
{
	size_t lines = 0;

	for (size_t i = 0; i < v->natts; i++)
		ntf_att_line(&v->atts[i], 0, l, &lines, out);
	if (v->natts == 0)
		sg_buf_printf(out, "%s%s\n", l.bullet, l.ja ? "なし" : "none");
	ntf_more(out, l, lines > NTF_LINES_MAX ? lines - NTF_LINES_MAX : 0);
}

static void ntf_rcpts_text(const ntf_hold_view *v, ntf_lang l, sg_buf *out)
{
	size_t i;

	for (i = 0; i < v->nrcpts && i < NTF_LINES_MAX; i++) {
		sg_buf_puts(out, l.bullet);
		ntf_person(v->rcpts[i].addr, v->rcpts[i].name, out);
		sg_buf_printf(out, "%s\n", !v->rcpts[i].external ? "" : l.ja ? "（外部）" :
			      " (external)");
	}
	ntf_more(out, l, v->nrcpts - i);
}

static void ntf_approvers_text(const ntf_hold_view *v, ntf_lang l, sg_buf *out)
{
	for (size_t i = 0; i < v->napprovers && i < NTF_LINES_MAX; i++)
		sg_buf_printf(out, "%s%s\n", l.bullet, v->approvers[i]);
	if (v->napprovers == 0)
		sg_buf_printf(out, "%s%s\n", l.bullet,
			      l.ja ? "承認者が設定されていません。システム管理者が確認します。"
				   : "No approver is configured; the mail administrator "
				     "will check it.");
}

/* ------------------------------------------------------------ the set */

static void ntf_set(ntf_strv *vals, const char *name, const char *value)
{
	for (size_t i = 0; i < ntf_nvar_names; i++)
		if (strcmp(ntf_var_names[i], name) == 0) {
			free(vals->v[i]);
			vals->v[i] = sg_xstrdup(value ? value : "");
			return;
		}
	abort();	/* a name not in ntf_var_names: a programming error */
}

typedef void (*ntf_list_fn)(const ntf_hold_view *, ntf_lang, sg_buf *);

static void ntf_set_list(ntf_strv *vals, const char *name, ntf_list_fn fn,
			 const ntf_hold_view *v, ntf_lang l)
{
	sg_buf b;

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	fn(v, l, &b);
	/* The template supplies the line end after a list. */
	if (b.len && b.data[b.len - 1] == '\n')
		sg_buf_truncate(&b, b.len - 1);
	ntf_set(vals, name, sg_buf_cstr(&b));
	sg_buf_free(&b);
}

/* Times for people, in [policy] timezone: 2026年12月7日(月) 23:08 in
 * the Japanese part, Mon 7 Dec 2026 23:08 (+09:00) in the English. */
static void ntf_set_time(ntf_strv *vals, const char *name, time_t t, ntf_lang l)
{
	char b[SG_TIME_SIZE] = "";

	if (t) {
		if (l.ja)
			sg_time_ja(l.zone, t, b);
		else
			sg_time_en(l.zone, t, b);
	}
	ntf_set(vals, name, b);
}

static void ntf_set_printf(ntf_strv *vals, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ntf_set_printf(ntf_strv *vals, const char *name, const char *fmt, ...)
{
	sg_buf b;
	va_list ap;

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	va_start(ap, fmt);
	sg_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	ntf_set(vals, name, sg_buf_cstr(&b));
	sg_buf_free(&b);
}

static void ntf_set_plain(const ntf_hold_view *v, ntf_lang l, ntf_strv *vals)
{
	sg_buf b;

	ntf_set(vals, "subject", v->subject && *v->subject ? v->subject :
		l.ja ? "（件名なし）" : "(no subject)");
	/* The sender as the mail names them: 山田 太郎 <yamada@...>. */
	sg_buf_init(&b, 4096);
	ntf_person(v->sender, v->sender_name, &b);
	ntf_set(vals, "sender", v->sender ? sg_buf_cstr(&b) : NULL);
	sg_buf_free(&b);
	ntf_set(vals, "from", v->from);
	ntf_set(vals, "hold_id", v->hold_id);
	ntf_set(vals, "queue_id", v->queue_id);
	ntf_set_time(vals, "created", v->created, l);
	ntf_set_time(vals, "expires", v->expires, l);
	ntf_set_time(vals, "decided_at", v->decided_at, l);
	ntf_set_time(vals, "release_at", v->release_at, l);
	ntf_set(vals, "decided_by", v->decided_by);
	ntf_set(vals, "comment", v->comment && *v->comment ? v->comment :
		l.ja ? "（なし）" : "(none)");
	sg_buf_init(&b, SG_BUF_UNLIMITED);
	if (v->size)	/* 0: the filler did not know it */
		ntf_size_text(v->size, l, &b);
	ntf_set(vals, "size", v->size ? sg_buf_cstr(&b) : "—");
	sg_buf_reset(&b);
	for (size_t i = 0; i < v->ncategories; i++)
		sg_buf_printf(&b, "%s%s", i ? (l.ja ? "、" : ", ") : "",
			      ntf_category_label(v->categories[i], l.ja));
	ntf_set(vals, "categories", sg_buf_cstr(&b));
	sg_buf_free(&b);
}

/* Links and commands for this person and this hold (none without a
 * hold id: a rejected message was never held). */
static void ntf_set_links(const ntf_keys *keys, const char *base_url,
			  const ntf_hold_view *v, const char *person, time_t now,
			  ntf_strv *vals)
{
	time_t exp = v->expires > now ? v->expires : now + NTF_TOKEN_DEFAULT_TTL;
	sg_buf tok, list, err;

	ntf_set(vals, "base_url", base_url);
	ntf_set(vals, "person", person);
	if (v->hold_id == NULL || person == NULL || keys == NULL)
		return;
	sg_buf_init(&tok, SG_BUF_UNLIMITED);
	sg_buf_init(&list, SG_BUF_UNLIMITED);
	sg_buf_init(&err, 512);
	if (ntf_token_make(keys, v->hold_id, person, exp, &tok, &err) == 0 &&
	    ntf_token_make(keys, NTF_TOKEN_ANY_HOLD, person, exp, &list, &err) == 0) {
		ntf_set(vals, "token", sg_buf_cstr(&tok));
		ntf_set_printf(vals, "link", "%s/hold/%s?t=%s", base_url, v->hold_id,
			       sg_buf_cstr(&tok));
		ntf_set_printf(vals, "list_link", "%s/holds?t=%s", base_url,
			       sg_buf_cstr(&list));
		/* The page's own buttons act (a GET never does: mail
		 * scanners open links); the fragment scrolls to one. */
		ntf_set_printf(vals, "send_link", "%s/hold/%s?t=%s#send", base_url,
			       v->hold_id, sg_buf_cstr(&tok));
		ntf_set_printf(vals, "cancel_link", "%s/hold/%s?t=%s#cancel", base_url,
			       v->hold_id, sg_buf_cstr(&tok));
	}
	ntf_set_printf(vals, "release_command", "sendguardctl release %s --by %s",
		       v->hold_id, person);
	ntf_set_printf(vals, "approve_command", "sendguardctl approve %s --by %s",
		       v->hold_id, person);
	ntf_set_printf(vals, "reject_command", "sendguardctl reject %s --by %s "
		       "--comment '...'", v->hold_id, person);
	ntf_set_printf(vals, "withdraw_command", "sendguardctl withdraw %s --by %s",
		       v->hold_id, person);
	ntf_set_printf(vals, "show_command", "sendguardctl show %s", v->hold_id);
	sg_buf_free(&tok);
	sg_buf_free(&list);
	sg_buf_free(&err);
}

void ntf_view_values(const ntf_ctx *ctx, const ntf_hold_view *v, const char *lang,
		     const char *person, time_t now, ntf_strv *vals)
{
	ntf_lang l = { strcmp(lang, "ja") == 0, strcmp(lang, "ja") == 0 ? "・" : "- ",
		       ntf_ctx_zone(ctx) };

	ntf_strv_free(vals);
	for (size_t i = 0; i < ntf_nvar_names; i++)
		ntf_strv_add(vals, "");
	ntf_set_plain(v, l, vals);
	ntf_set_list(vals, "recipients", ntf_rcpts_text, v, l);
	ntf_set_list(vals, "findings", ntf_findings_text, v, l);
	ntf_set_list(vals, "attachments", ntf_atts_text, v, l);
	ntf_set_list(vals, "approvers", ntf_approvers_text, v, l);
	ntf_set_list(vals, "advice", ntf_advice_text, v, l);
	ntf_set_links(ntf_ctx_keys(ctx), ntf_ctx_base_url(ctx), v, person, now, vals);
}
