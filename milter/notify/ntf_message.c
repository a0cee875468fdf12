/*
 * NAME
 *	ntf_message - the notice context and complete notice messages
 * SYNOPSIS
 *	#include "notify/ntf.h"
 * DESCRIPTION
 *	ntf_ctx_new() is the start-up step: it loads and checks every
 *	template and [approvers], so that the milter refuses to start on a
 *	broken configuration instead of failing at the first hold.
 *
 *	ntf_build_message() renders the Japanese template, then the English
 *	one below it, in one text/plain part: readers are Japanese staff,
 *	and a single part shows the same in every client (no
 *	multipart/alternative that a client might choose badly). The body
 *	is base64 so that no relay re-encodes it: the MAC covers the body
 *	as sent. The Subject is RFC 2047 B encoded UTF-8 in words that keep
 *	every header line under 76 characters. Auto-Submitted (RFC 3834)
 *	and X-Auto-Response-Suppress keep vacation replies from answering
 *	a notice.
 * DIAGNOSTICS
 *	ntf_ctx_new() returns NULL with "FILE:LINE: ..." in err;
 *	ntf_build_message() returns -1 with err for an unusable address.
 */
#include "notify/ntf.h"
#include "util/sg_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define NTF_MESSAGE_MAX		(4 * 1024 * 1024)	/* bytes of a notice */
#define NTF_SUBJECT_CHUNK	39	/* raw bytes per encoded word: 52
					 * base64 characters, a 64-character
					 * word, 73 with "Subject: " */
#define NTF_BODY_LINE		76	/* RFC 2045 base64 line length */

struct ntf_ctx {
	const ntf_keys *keys;
	ntf_template *tpl[NTF_KIND_COUNT][2];	/* [kind][0 ja, 1 en] */
	char *from;
	char *base_url;
	char *sendmail;
	char *zone;		/* [policy] timezone: times for people */
};

static const char *const ntf_kind_names[NTF_KIND_COUNT] = {
	"hold_sender", "approval_request", "approval_reminder", "reject_sender",
	"approved_sender", "rejected_sender", "expired_sender", "withdrawn_sender",
	"delay_sender", "sent_sender", "decided_approver", "escalation",
};

static const char *const ntf_langs[2] = { "ja", "en" };

const char *ntf_kind_name(ntf_kind kind)
{
	return kind < NTF_KIND_COUNT ? ntf_kind_names[kind] : "?";
}

/* -------------------------------------------------------------- dates */

static void ntf_localtime(time_t t, struct tm *tm, long *off_min)
{
	localtime_r(&t, tm);
	*off_min = tm->tm_gmtoff / 60;
}

void ntf_date_rfc5322(time_t t, sg_buf *out)
{
	/* Names in English whatever the locale (RFC 5322 section 3.3). */
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
					    "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
					      "Jun", "Jul", "Aug", "Sep", "Oct",
					      "Nov", "Dec" };
	struct tm tm;
	long off;

	ntf_localtime(t, &tm, &off);
	sg_buf_printf(out, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
		      days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
		      tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
		      off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

void ntf_date_iso8601(time_t t, sg_buf *out)
{
	struct tm tm;
	long off;

	ntf_localtime(t, &tm, &off);
	sg_buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
		      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		      tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 60,
		      labs(off) % 60);
}

/* ------------------------------------------------------------ subject */

/* Bytes of s that fit in max without cutting a UTF-8 character. */
static size_t ntf_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	if (n == len)
		return n;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n ? n : (len < max ? len : max);
}

void ntf_encode_subject(const char *utf8, sg_buf *out)
{
	size_t len = strlen(utf8), off = 0;

	if (len == 0)
		return;
	while (off < len) {
		size_t n = ntf_utf8_cut(utf8 + off, len - off, NTF_SUBJECT_CHUNK);

		/* Folding white space between encoded words is not part of
		 * the text (RFC 2047 section 6.2). */
		if (off)
			sg_buf_puts(out, "\n ");
		sg_buf_puts(out, "=?UTF-8?B?");
		ntf_b64_encode(utf8 + off, n, 0, out);
		sg_buf_puts(out, "?=");
		off += n;
	}
}

/* ------------------------------------------------------------ context */

static ntf_template *ntf_ctx_load_one(const char *dir, ntf_kind k, int lang, sg_buf *err)
{
	sg_buf path;
	ntf_template *t;

	sg_buf_init(&path, SG_BUF_UNLIMITED);
	sg_buf_printf(&path, "%s/%s/%s.txt", dir, ntf_langs[lang], ntf_kind_names[k]);
	t = ntf_template_load(sg_buf_cstr(&path), err);
	sg_buf_free(&path);
	return t;
}

/* [notify] from, else sendguard@ the first internal domain. */
char *ntf_from_address(const sg_conf *conf)
{
	const char *from = SG_CONF_STR(conf, notify_from);
	size_t n;
	char *const *dom = SG_CONF_LIST(conf, policy_internal_domains, &n);
	sg_buf b;

	if (from && *from)
		return sg_xstrdup(from);
	sg_buf_init(&b, SG_BUF_UNLIMITED);
	sg_buf_printf(&b, "sendguard@%s", n ? dom[0] : "localhost");
	return sg_buf_steal(&b);
}

ntf_ctx *ntf_ctx_new(const sg_conf *conf, const ntf_keys *keys, sg_buf *err)
{
	ntf_ctx *ctx = sg_xcalloc(1, sizeof(*ctx));
	char *dir = SG_CONF_PATH(conf, notify_templates);
	size_t n;

	ctx->keys = keys;
	for (int k = 0; k < NTF_KIND_COUNT; k++)
		for (int l = 0; l < 2; l++)
			if ((ctx->tpl[k][l] = ntf_ctx_load_one(dir, (ntf_kind)k, l, err)) == NULL)
				goto fail;
	if (ntf_approvers_check(conf, err) < 0)
		goto fail;
	ctx->from = ntf_from_address(conf);
	ctx->sendmail = sg_xstrdup(SG_CONF_STR(conf, notify_sendmail));
	ctx->base_url = sg_xstrdup(SG_CONF_STR(conf, web_base_url));
	ctx->zone = sg_xstrdup(SG_CONF_STR(conf, policy_timezone));
	n = strlen(ctx->base_url);
	while (n > 0 && ctx->base_url[n - 1] == '/')
		ctx->base_url[--n] = '\0';
	free(dir);
	return ctx;
fail:
	free(dir);
	ntf_ctx_free(ctx);
	return NULL;
}

void ntf_ctx_free(ntf_ctx *ctx)
{
	if (ctx == NULL)
		return;
	for (int k = 0; k < NTF_KIND_COUNT; k++)
		for (int l = 0; l < 2; l++)
			ntf_template_free(ctx->tpl[k][l]);
	free(ctx->from);
	free(ctx->base_url);
	free(ctx->zone);
	free(ctx->sendmail);
	free(ctx);
}

const char *ntf_ctx_from(const ntf_ctx *ctx)
{
	return ctx->from;
}

const char *ntf_ctx_sendmail(const ntf_ctx *ctx)
{
	return ctx->sendmail;
}

const char *ntf_ctx_base_url(const ntf_ctx *ctx)
{
	return ctx->base_url;
}

const char *ntf_ctx_zone(const ntf_ctx *ctx)
{
	return ctx->zone;
}

const ntf_keys *ntf_ctx_keys(const ntf_ctx *ctx)
{
	return ctx->keys;
}

/* ------------------------------------------------------------ message */

/* An address that may go into a header and onto a command line. */
static bool ntf_header_addr_ok(const char *a)
{
	const char *at = a ? strrchr(a, '@') : NULL;

	if (at == NULL || at == a || at[1] == '\0' || strlen(a) > NTF_PERSON_MAX)
		return false;
	for (; *a; a++)
		if ((unsigned char)*a <= ' ' || *a == 0x7f || *a == '<' || *a == '>' ||
		    *a == ',')
			return false;
	return true;
}

/* Japanese, a rule, English; subjects joined by " / ". */
static int ntf_render_both(const ntf_ctx *ctx, ntf_kind kind, const ntf_hold_view *v,
			   const char *to, time_t now, sg_buf *subject, sg_buf *text)
{
	int rc = 0;

	for (int l = 0; l < 2 && rc == 0; l++) {
		ntf_strv vals;
		ntf_var vars[64];
		size_t nv = 0;

		ntf_strv_init(&vals);
		ntf_view_values(ctx, v, ntf_langs[l], to, now, &vals);
		for (size_t i = 0; i < ntf_nvar_names && nv < 64; i++)
			vars[nv++] = (ntf_var){ ntf_var_names[i], vals.v[i] };
		if (l == 1) {
			sg_buf_puts(subject, " / ");
			sg_buf_puts(text, "\n------------------------------------------------"
				    "------------\n\n");
		}
		rc = ntf_template_render(ctx->tpl[kind][l], vars, nv, subject, text);
		ntf_strv_free(&vals);
	}
	return rc;
}

/* LF (and CRLF) to CRLF: base64 text is in canonical form (RFC 2045
 * section 6.8), whatever the template files use. */
static void ntf_crlf(const sg_buf *in, sg_buf *out)
{
	for (size_t i = 0; i < in->len; i++) {
		if (in->data[i] == '\r')
			continue;
		if (in->data[i] == '\n')
			sg_buf_putc(out, '\r');
		sg_buf_putc(out, in->data[i]);
	}
}

void ntf_message_id(const char *from, sg_buf *out)
{
	unsigned char r[12];
	const char *at = strrchr(from, '@');

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		memset(r, 0, sizeof(r));	/* still unique enough with the time */
	sg_buf_printf(out, "<%lld.", (long long)time(NULL));
	ntf_b64url_encode(r, sizeof(r), out);
	sg_buf_printf(out, ".sendguard@%s>", at ? at + 1 : "localhost");
}

void ntf_message_id_new(const ntf_ctx *ctx, sg_buf *out)
{
	ntf_message_id(ctx->from, out);
}

int ntf_kind_parse(const char *name, ntf_kind *out)
{
	for (int k = 0; k < NTF_KIND_COUNT; k++)
		if (name && strcmp(name, ntf_kind_names[k]) == 0) {
			*out = (ntf_kind)k;
			return 0;
		}
	return -1;
}

/* Everything but Date and the signature: those are added when the
 * notice is sent (ntf_seal), so that a notice that waited in the
 * outbox carries the time it was sent, which the MAC's Date window
 * checks. The Message-ID is fixed here, once per notice. */
static void ntf_headers(const ntf_ctx *ctx, const char *to, const sg_buf *subject,
			sg_buf *msgid, sg_buf *out)
{
	sg_buf_printf(out, "From: sendguard <%s>\nTo: %s\nSubject: ", ctx->from, to);
	ntf_encode_subject(sg_buf_cstr(subject), out);
	sg_buf_printf(out, "\nMessage-ID: %s", sg_buf_cstr(msgid));
	sg_buf_puts(out, "\nMIME-Version: 1.0\n"
		    "Content-Type: text/plain; charset=UTF-8\n"
		    "Content-Transfer-Encoding: base64\n"
		    "Auto-Submitted: auto-generated\n"
		    "X-Auto-Response-Suppress: All\n");
}

/* The signature line, folded before "mac=" to stay under 78 columns;
 * it covers the header block written since out's byte head_start
 * (MAC v=2 signs the header block as well as the body). */
static int ntf_sign_header(const ntf_keys *keys, const char *body, size_t blen,
			   const char *to, size_t head_start, sg_buf *out)
{
	const char *rcpts[1] = { to };
	sg_buf hv;
	char *mac;
	int rc;

	sg_buf_init(&hv, 1024);
	rc = ntf_notice_sign(keys, out->data ? out->data + head_start : "",
			     out->len - head_start, body, blen, rcpts, 1, &hv);
	if (rc == 0 && (mac = strstr(hv.data, " mac=")) != NULL) {
		sg_buf_puts(out, "X-Sendguard-Notice: ");
		sg_buf_append(out, hv.data, (size_t)(mac - hv.data));
		sg_buf_printf(out, "\n\t%s\n\n", mac + 1);
	} else
		rc = -1;
	sg_buf_free(&hv);
	return rc;
}

int ntf_seal(const ntf_keys *keys, const char *head, const char *body,
	     const char *to, time_t now, sg_buf *out, sg_buf *err)
{
	sg_buf date;
	size_t blen = body ? strlen(body) : 0;
	size_t head_start = out->len;
	int rc;

	if (head == NULL || *head == '\0' || blen == 0 || !ntf_header_addr_ok(to)) {
		sg_buf_printf(err, "notice to %s: nothing to send (no headers or no "
			      "body)", to ? to : "");
		return -1;
	}
	sg_buf_init(&date, 64);
	ntf_date_rfc5322(now, &date);
	sg_buf_puts(out, head);
	sg_buf_printf(out, "Date: %s\n", sg_buf_cstr(&date));
	rc = ntf_sign_header(keys, body, blen, to, head_start, out);
	if (rc < 0)
		sg_buf_printf(err, "notice to %s: cannot sign", to);
	else
		sg_buf_append(out, body, blen);
	if (rc == 0 && out->toobig) {
		sg_buf_printf(err, "notice to %s: output buffer full", to);
		rc = -1;
	}
	sg_buf_free(&date);
	return rc;
}

int ntf_build_notice(const ntf_ctx *ctx, ntf_kind kind, const ntf_hold_view *v,
		     const char *to, time_t now, sg_buf *head, sg_buf *body,
		     sg_buf *msgid, sg_buf *err)
{
	sg_buf subject, text, crlf;
	int rc = -1;

	if (kind >= NTF_KIND_COUNT || !ntf_header_addr_ok(to) ||
	    !ntf_header_addr_ok(ctx->from)) {
		sg_buf_printf(err, "notice %s: unusable address \"%s\" or \"%s\"",
			      ntf_kind_name(kind), to ? to : "", ctx->from);
		return -1;
	}
	sg_buf_init(&subject, SG_BUF_UNLIMITED);
	sg_buf_init(&text, NTF_MESSAGE_MAX);
	sg_buf_init(&crlf, NTF_MESSAGE_MAX);
	if (ntf_render_both(ctx, kind, v, to, now, &subject, &text) < 0) {
		sg_buf_printf(err, "notice %s: larger than %d bytes", ntf_kind_name(kind),
			      NTF_MESSAGE_MAX);
		goto out;
	}
	ntf_crlf(&text, &crlf);
	ntf_b64_encode(crlf.data ? crlf.data : "", crlf.len, NTF_BODY_LINE, body);
	if (msgid->len == 0)
		ntf_message_id(ctx->from, msgid);
	ntf_headers(ctx, to, &subject, msgid, head);
	rc = head->toobig || body->toobig || body->len == 0 ? -1 : 0;
	if (rc < 0)
		sg_buf_printf(err, "notice %s: output buffer full or empty body",
			      ntf_kind_name(kind));
out:
	sg_buf_free(&subject);
	sg_buf_free(&text);
	sg_buf_free(&crlf);
	return rc;
}

int ntf_build_text_notice(const ntf_ctx *ctx, const char *to, const char *subject,
			  const char *text, sg_buf *head, sg_buf *body, sg_buf *msgid,
			  sg_buf *err)
{
	sg_buf subj, t, crlf;
	int rc;

	if (!ntf_header_addr_ok(to) || !ntf_header_addr_ok(ctx->from)) {
		sg_buf_printf(err, "notice: unusable address \"%s\" or \"%s\"",
			      to ? to : "", ctx->from);
		return -1;
	}
	sg_buf_init(&subj, SG_BUF_UNLIMITED);
	sg_buf_init(&t, NTF_MESSAGE_MAX);
	sg_buf_init(&crlf, NTF_MESSAGE_MAX);
	sg_buf_puts(&subj, subject);
	sg_buf_puts(&t, text);
	ntf_crlf(&t, &crlf);
	ntf_b64_encode(crlf.data ? crlf.data : "", crlf.len, NTF_BODY_LINE, body);
	if (msgid->len == 0)
		ntf_message_id(ctx->from, msgid);
	ntf_headers(ctx, to, &subj, msgid, head);
	rc = t.toobig || head->toobig || body->toobig || body->len == 0 ? -1 : 0;
	if (rc < 0)
		sg_buf_printf(err, "notice: larger than %d bytes, or empty", NTF_MESSAGE_MAX);
	sg_buf_free(&subj);
	sg_buf_free(&t);
	sg_buf_free(&crlf);
	return rc;
}

int ntf_build_message(const ntf_ctx *ctx, ntf_kind kind, const ntf_hold_view *v,
		      const char *to, time_t now, sg_buf *out, sg_buf *err)
{
	sg_buf head, body, msgid;
	int rc;

	sg_buf_init(&head, NTF_MESSAGE_MAX);
	sg_buf_init(&body, NTF_MESSAGE_MAX * 2);
	sg_buf_init(&msgid, 256);
	rc = ntf_build_notice(ctx, kind, v, to, now, &head, &body, &msgid, err);
	if (rc == 0)
		rc = ntf_seal(ctx->keys, sg_buf_cstr(&head), sg_buf_cstr(&body), to, now,
			      out, err);
	sg_buf_free(&head);
	sg_buf_free(&body);
	sg_buf_free(&msgid);
	return rc;
}
