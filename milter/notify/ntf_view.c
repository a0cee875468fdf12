/*
 * NAME
 *	ntf_view - the hold as a notice shows it (ntf_hold_view)
 * SYNOPSIS
 *	#include "notify/ntf.h"
 * DESCRIPTION
 *	Notices are sent by the milter right after a scan and by the
 *	workflow (approve, reject, expire) days later from the store, so
 *	the notice code reads plain owned strings, never an eng_result.
 *	ntf_view_from_result() is the milter's adapter: it copies what a
 *	notice shows (masked evidence only: the engine never keeps data
 *	values unmasked) and marks each envelope recipient internal or
 *	external by [policy] internal_domains, as POLICY.md defines.
 *
 *	The sender is the envelope sender, lower-cased without <>, or the
 *	AUTH login when the envelope sender is empty; a caller with another
 *	rule replaces v->sender afterwards. A classified finding whose rule
 *	is class-3, or whose action is reject, adds the category
 *	"classified-3" (its own advice and its own [approvers] key).
 * DIAGNOSTICS
 *	None: these functions cannot fail (allocation failure does not
 *	return).
 */
#include "notify/ntf.h"
#include "engine/eng.h"
#include "engine/eng_addr.h"
#include "util/sg_addr.h"
#include "util/sg_mem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define NTF_VIEW_DEPTH_MAX	16	/* archive nesting copied */

static char *ntf_dup(const char *s)
{
	return s ? sg_xstrdup(s) : NULL;
}

void ntf_view_init(ntf_hold_view *v)
{
	memset(v, 0, sizeof(*v));
}

static void ntf_att_free(ntf_attachment_view *a)
{
	for (size_t i = 0; i < a->nentries; i++)
		ntf_att_free(&a->entries[i]);
	free(a->entries);
	free(a->name);
	free(a->type);
	free(a->note);
	free(a->path);
	free(a->where);
}

static void ntf_strs_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void ntf_view_free(ntf_hold_view *v)
{
	free(v->hold_id);
	free(v->queue_id);
	free(v->sender);
	free(v->sender_name);
	free(v->from);
	free(v->auth_login);
	free(v->subject);
	for (size_t i = 0; i < v->nrcpts; i++) {
		free(v->rcpts[i].addr);
		free(v->rcpts[i].name);
	}
	free(v->rcpts);
	ntf_strs_free(v->categories, v->ncategories);
	for (size_t i = 0; i < v->nfindings; i++) {
		ntf_finding_view *f = &v->findings[i];

		free(f->category);
		free(f->rule);
		free(f->label_ja);
		free(f->label_en);
		free(f->where);
		free(f->evidence);
	}
	free(v->findings);
	for (size_t i = 0; i < v->natts; i++)
		ntf_att_free(&v->atts[i]);
	free(v->atts);
	ntf_strs_free(v->approvers, v->napprovers);
	free(v->decided_by);
	free(v->comment);
	ntf_view_init(v);
}

void ntf_view_add_category(ntf_hold_view *v, const char *cat)
{
	for (size_t i = 0; i < v->ncategories; i++)
		if (strcmp(v->categories[i], cat) == 0)
			return;
	v->categories = sg_xreallocarray(v->categories, v->ncategories + 1, sizeof(char *));
	v->categories[v->ncategories++] = sg_xstrdup(cat);
}

void ntf_view_add_approver(ntf_hold_view *v, const char *addr)
{
	v->approvers = sg_xreallocarray(v->approvers, v->napprovers + 1, sizeof(char *));
	v->approvers[v->napprovers++] = sg_xstrdup(addr);
}

/* ------------------------------------------------- from an eng_result */

/* Lower-case, without <> and blanks. */
static char *ntf_canon_addr(const char *a)
{
	size_t b = 0, e = strlen(a);
	char *s;

	while (b < e && isspace((unsigned char)a[b]))
		b++;
	while (e > b && isspace((unsigned char)a[e - 1]))
		e--;
	if (e - b >= 2 && a[b] == '<' && a[e - 1] == '>')
		b++, e--;
	s = sg_xstrndup(a + b, e - b);
	for (char *c = s; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return s;
}

/* The engine's rule (issue 13), on both forms of the recipient. */
static bool ntf_is_internal(const char *given, const char *resolved,
			    const sg_conf *conf)
{
	size_t n;
	char *const *dom = SG_CONF_LIST(conf, policy_internal_domains, &n);

	return sg_addr_rcpt_internal(given, resolved, dom, n);
}

static void ntf_copy_att(ntf_attachment_view *dst, const eng_attachment *src, int depth)
{
	dst->name = sg_xstrdup(src->where && *src->where ? src->where :
			       src->name ? src->name : "");
	dst->type = sg_xstrdup(src->type ? src->type : "");
	dst->size = src->size;
	dst->encrypted = src->encrypted;
	dst->note = ntf_dup(src->note);
	dst->path = ntf_dup(src->path);
	dst->where = ntf_dup(src->where);
	if (depth >= NTF_VIEW_DEPTH_MAX || src->nentries == 0)
		return;
	dst->entries = sg_xcalloc(src->nentries, sizeof(*dst->entries));
	dst->nentries = src->nentries;
	for (size_t i = 0; i < src->nentries; i++)
		ntf_copy_att(&dst->entries[i], &src->entries[i], depth + 1);
}

static bool ntf_is_class3(const eng_finding *f)
{
	return f->cat == ENG_CAT_CLASSIFIED && (f->class3 || f->action == ENG_ACT_REJECT);
}

static void ntf_copy_findings(ntf_hold_view *v, const eng_result *res)
{
	v->findings = sg_xcalloc(res->nfindings ? res->nfindings : 1, sizeof(*v->findings));
	v->nfindings = res->nfindings;
	for (size_t i = 0; i < res->nfindings; i++) {
		const eng_finding *f = &res->findings[i];
		ntf_finding_view *d = &v->findings[i];

		d->category = sg_xstrdup(eng_category_name(f->cat));
		d->rule = sg_xstrdup(f->rule ? f->rule : "");
		d->label_ja = sg_xstrdup(f->label_ja ? f->label_ja : "");
		d->label_en = sg_xstrdup(f->label_en ? f->label_en : "");
		d->where = sg_xstrdup(f->where ? f->where : "");
		d->count = f->count;
		d->evidence = sg_xstrdup(f->evidence ? f->evidence : "");
		ntf_view_add_category(v, ntf_is_class3(f) ? "classified-3" : d->category);
	}
}

static void ntf_copy_rcpts(ntf_hold_view *v, const eng_envelope *env, const sg_conf *conf)
{
	v->rcpts = sg_xcalloc(env->nrcpts ? env->nrcpts : 1, sizeof(*v->rcpts));
	for (size_t i = 0; i < env->nrcpts; i++) {
		char *a = ntf_canon_addr(env->rcpts[i]);

		v->rcpts[v->nrcpts].addr = a;
		v->rcpts[v->nrcpts++].external =
			!ntf_is_internal(env->rcpts[i], env->rcpts_resolved ?
					 env->rcpts_resolved[i] : NULL, conf);
	}
}

void ntf_view_from_result(ntf_hold_view *v, const struct eng_result *res,
			  const struct eng_envelope *env, const sg_conf *conf,
			  const char *hold_id, const char *queue_id,
			  time_t created, time_t expires)
{
	ntf_view_init(v);
	v->hold_id = ntf_dup(hold_id);
	v->queue_id = ntf_dup(queue_id);
	if (env->mail_from && *env->mail_from && strcmp(env->mail_from, "<>") != 0)
		v->sender = ntf_canon_addr(env->mail_from);
	else if (env->auth_login)
		v->sender = ntf_canon_addr(env->auth_login);
	v->auth_login = ntf_dup(env->auth_login);
	v->from = ntf_dup(res->from);
	v->subject = ntf_dup(res->subject);
	ntf_copy_rcpts(v, env, conf);
	/* People as the mail names them (issue 18 item 6). */
	v->sender_name = ntf_dup(eng_name_of(res, v->sender));
	for (size_t i = 0; i < v->nrcpts; i++)
		v->rcpts[i].name = ntf_dup(eng_name_of(res, v->rcpts[i].addr));
	ntf_copy_findings(v, res);
	v->atts = sg_xcalloc(res->natts ? res->natts : 1, sizeof(*v->atts));
	v->natts = res->natts;
	for (size_t i = 0; i < res->natts; i++)
		ntf_copy_att(&v->atts[i], &res->atts[i], 0);
	v->created = created;
	v->expires = expires;
}
