/*
 * NAME
 *	eng_scan - scan one message: scope, header rules, the MIME walk
 * DESCRIPTION
 *	The one function the milter and `sendguardctl check` share. Order:
 *	size limit, parse, scope; for outbound mail the header rules
 *	(exposed-recipients, markings in the Subject), then every part
 *	(markings in body text and attachment names; the attachment and
 *	personal-data rules plug in here). Internal-only mail is accepted
 *	whatever it contains, but its attachments are still listed.
 *
 *	Mail over max_message_size is scanned up to the limit and held
 *	(scan-limit): its headers still decide the scope.
 */
#include "engine/eng_int.h"
#include "engine/eng_addr.h"
#include "engine/eng_archive.h"
#include "engine/eng_attach.h"
#include "engine/eng_hdr.h"
#include "engine/eng_pd.h"
#include "engine/eng_text.h"
#include "util/sg_mem.h"

#include <ctype.h>
#include <strings.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool eng_domain_internal(const eng_engine *eng, const char *domain)
{
	for (size_t i = 0; i < eng->ninternal; i++)
		if (eng_addr_domain_matches(domain, eng->internal[i]))
			return true;
	return false;
}

bool eng_domain_trusted(const eng_engine *eng, const char *domain)
{
	for (size_t i = 0; i < eng->ntrusted; i++)
		if (eng_addr_domain_matches(domain, eng->trusted[i]))
			return true;
	return false;
}

bool eng_deadline_passed(eng_ctx *ctx)
{
	struct timespec now;

	if (ctx->timed_out)
		return true;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > ctx->deadline.tv_sec ||
	    (now.tv_sec == ctx->deadline.tv_sec &&
	     now.tv_nsec >= ctx->deadline.tv_nsec)) {
		ctx->timed_out = true;
		eng_scan_limit(ctx, "scan-timeout", "検査が時間内に終わりませんでした",
			       "The scan did not finish in time", "message", "");
	}
	return ctx->timed_out;
}

static void eng_on_text(eng_ctx *ctx, const char *where, const char *text,
			size_t len)
{
	if (!ctx->inspect || eng_deadline_passed(ctx))
		return;
	eng_mark_scan(ctx, text, len, where);
	eng_pd_scan(ctx, text, len, where);
}

/* A forwarded message's Subject is read like the outer one: a marking
 * at its start is a label (where ends in header:Subject, eng_mark.c),
 * and personal data in it counts. Its Content-Description too (a
 * sentence people read); display names are not markings (not given). */
static void eng_on_header(eng_ctx *ctx, const char *where, const char *text,
			  size_t len)
{
	if (!ctx->inspect || eng_deadline_passed(ctx))
		return;
	eng_mark_scan(ctx, text, len, where);
	eng_pd_scan(ctx, text, len, where);
}

static void eng_on_attachment(eng_ctx *ctx, eng_attachment *att,
			      const unsigned char *data, size_t len)
{
	if (!ctx->inspect || eng_deadline_passed(ctx))
		return;
	/* A marking in a file name ("【秘】名簿.xlsx") marks the file. */
	if (*att->name) {
		sg_buf norm;

		sg_buf_init(&norm, ctx->eng->lim.header_size);
		eng_text_normalize(att->name, strlen(att->name), &norm);
		eng_mark_scan_name(ctx, sg_buf_cstr(&norm), norm.len, att->where);
		sg_buf_free(&norm);
	}
	/* Its readable text (CSV, xlsx, docx...): markings and personal
	 * data inside the file, with the file as where. */
	eng_content_text_cs(ctx, att->where, att->name, att->charset, data, len, 0);
	/* Type, encryption, archive entries, dangerous-attachment. */
	eng_attach_inspect(ctx, att, data, len);
}

#define ENG_FROM_MAX 16	/* From addresses kept as sender identities */

static void eng_read_from(eng_result *res, const eng_hdrs *h)
{
	eng_addr_list l;

	if (h->from_raw == NULL)
		return;
	/* Every From address: each is one of the sender's identities, and
	 * none of them may approve (issue 14). The list is the store's
	 * from_addr, read back by sg_idset_add_list(). */
	eng_addr_list_init(&l, ENG_FROM_MAX);
	eng_addr_parse(h->from_raw, strlen(h->from_raw), &l);
	if (l.n > 0) {
		sg_buf b;

		sg_buf_init(&b, SG_BUF_UNLIMITED);
		for (size_t i = 0; i < l.n; i++)
			sg_buf_printf(&b, "%s%s", i ? ", " : "", l.v[i].addr);
		res->from = sg_buf_steal(&b);
	}
	eng_addr_list_free(&l);
}

#define ENG_NAMES_MAX	200	/* display names kept */
#define ENG_NAME_BYTES	128	/* bytes of one display name */

/* The display names From, To and Cc give their mailboxes (decoded from
 * RFC 2047 in any charset by eng_addr_parse): notices, the page and
 * `show` name people as 山田 太郎 <yamada@...> (issue 18 item 6). A
 * name is the sender's text: control characters, tabs and newlines
 * become blanks and <, > and " are dropped, so a name can neither
 * forge a line nor pass for an address of its own; it is cut at
 * ENG_NAME_BYTES on a character boundary. The first name an address
 * is given wins; a name that is the address itself adds nothing. */
static void eng_read_names(eng_result *res, const eng_hdrs *h)
{
	const char *raw[3] = { h->from_raw, h->to.len ? h->to.data : NULL,
			       h->cc.len ? h->cc.data : NULL };
	eng_addr_list l;

	eng_addr_list_init(&l, ENG_NAMES_MAX);
	for (size_t k = 0; k < 3; k++)
		if (raw[k])
			eng_addr_parse(raw[k], strlen(raw[k]), &l);
	for (size_t i = 0; i < l.n && res->nnames < ENG_NAMES_MAX; i++) {
		const eng_mailbox *m = &l.v[i];
		sg_buf d;
		size_t a, b;

		if (m->display == NULL || m->addr == NULL || strchr(m->addr, '@') == NULL ||
		    eng_name_of(res, m->addr) != NULL)
			continue;
		sg_buf_init(&d, ENG_NAME_BYTES);
		for (const unsigned char *p = (const unsigned char *)m->display; *p;) {
			size_t n = *p < 0x80 ? 1 : sg_utf8_len(p, strlen((const char *)p));
			bool blank = *p < 0x20 || *p == 0x7f ||
				     (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f);

			if (n == 0) {		/* not UTF-8: dropped */
				p++;
				continue;
			}
			if (blank || *p == ' ') {
				if (d.len > 0 && d.data[d.len - 1] != ' ' &&
				    sg_buf_putc(&d, ' ') < 0)
					break;
			} else if (*p != '<' && *p != '>' && *p != '"' &&
				   sg_buf_append(&d, p, n) < 0)
				break;		/* cut on a character */
			p += n;
		}
		a = 0;
		b = d.len;
		while (b > a && d.data[b - 1] == ' ')
			b--;
		if (b > a && !(b - a == strlen(m->addr) &&
			       strncasecmp(d.data + a, m->addr, b - a) == 0)) {
			eng_name *nv = sg_xrealloc(res->names, (res->nnames + 1) * sizeof(*nv));
			char *lower = sg_xstrdup(m->addr);

			for (char *q = lower; *q; q++)
				*q = (char)tolower((unsigned char)*q);
			res->names = nv;
			nv[res->nnames].addr = lower;
			nv[res->nnames].display = sg_xstrndup(d.data + a, b - a);
			res->nnames++;
		}
		sg_buf_free(&d);
	}
	eng_addr_list_free(&l);
}

int eng_scan(const eng_engine *eng, const eng_envelope *env,
	     const void *msg, size_t len, eng_result *res)
{
	const eng_group *g = eng_group_for(eng, env ? env->mail_from : NULL,
					   env ? env->auth_login : NULL);

	return eng_scan_group(eng, g, env, msg, len, res);
}

int eng_scan_group(const eng_engine *base, const eng_group *group,
		   const eng_envelope *env, const void *msg, size_t len,
		   eng_result *res)
{
	static const eng_walk_cb cb = { eng_on_text, eng_on_attachment, eng_on_header };
	eng_ctx ctx = { 0 };
	eng_hdrs h;
	eng_mime *mime;
	eng_engine view;
	const eng_engine *eng = &view;
	bool oversize;

	/* The group's settings for this scan (eng_policy.c). */
	eng_group_view(base, group ? group : &base->defaults, &view);
	oversize = len > eng->lim.message_size;
	eng_result_init(res);
	res->monitor = eng->monitor;
	res->group = sg_xstrdup(eng_group_name(group ? group : &base->defaults));
	ctx.eng = eng;
	ctx.res = res;
	clock_gettime(CLOCK_MONOTONIC, &ctx.deadline);
	ctx.deadline.tv_sec += eng->lim.scan_timeout;
	eng_hdrs_init(&h, eng->lim.header_size);
	/* Side reads counted before this scan (sendguardctl, a preview)
	 * are not this message's. */
	eng_side_take(NULL);

	mime = eng_mime_parse(&ctx, msg, oversize ? eng->lim.message_size : len, &h);
	eng_recip_scope(&ctx, env, &h);
	/* A To/Cc/Bcc too long to read: we do not know where the mail goes
	 * unless the envelope says it, so we fail closed. */
	if (h.rcpt_unread && !(env && env->nrcpts > 0))
		res->outbound = true;
	ctx.inspect = res->outbound;
	res->subject = h.subject ? sg_xstrdup(h.subject) : NULL;
	eng_read_from(res, &h);
	eng_read_names(res, &h);
	if (ctx.inspect) {
		if (oversize)
			eng_scan_limit(&ctx, "message-size",
				       "メールが大きすぎて全部は検査できません",
				       "Message too large to inspect in full", "message", "");
		eng_recip_exposed(&ctx, &h);
		if (h.subject) {
			eng_mark_scan(&ctx, h.subject, strlen(h.subject), "header:Subject");
			/* Personal data in a subject counts like in the body. */
			eng_pd_scan(&ctx, h.subject, strlen(h.subject), "header:Subject");
		}
	}
	if (mime)
		eng_mime_walk(&ctx, mime, &cb);
	/* Side reads (type sniffing, an ODF manifest) after the last
	 * budgeted read: over the budget is over the budget. */
	eng_side_take(&ctx);
	if (ctx.inspect && !ctx.arch_bomb &&
	    ctx.arch_expanded > eng->lim.expanded_size)
		eng_scan_limit(&ctx, "archive-size",
			       "圧縮ファイルの展開後の大きさが上限を超えました",
			       "Archive contents exceed the expanded size limit",
			       "message", "");
	/* After the walk: an HTML body may reference an image before it. */
	eng_attach_finish(&ctx);
	if (ctx.inspect)
		eng_recip_private(&ctx, env, &h);
	if (!ctx.inspect) {
		/* Internal-only: accepted whatever it contains (POLICY.md);
		 * parse problems found on the way do not matter either. */
		eng_result_drop_findings(res);
	}
	/* Detection ends here; the policy step decides. */
	eng_policy_decide(eng, res);
	eng_result_clean(res);
	eng_mime_free(mime);
	eng_hdrs_free(&h);
	for (size_t i = 0; i < ctx.ncid_refs; i++)
		free(ctx.cid_refs[i]);
	free(ctx.cid_refs);
	return 0;
}
