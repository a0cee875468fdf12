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
