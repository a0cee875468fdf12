/*
 * NAME
 *	rel_view - an ntf_hold_view from a stored hold
 * SYNOPSIS
 *	#include "release/rel.h"
 * DESCRIPTION
 *	Outcome notices and reminders are rendered from the hold as the
 *	store keeps it (the message itself stays in the MTA's queue and is
 *	never read back for a notice). Findings and the attachment
 *	inventory are parsed from the stored JSON; archive entries are
 *	followed REL_VIEW_DEPTH levels deep and at most REL_VIEW_MAX
 *	elements per level (bounded work).
 * DIAGNOSTICS
 *	None: malformed JSON gives an empty list (the store only keeps
 *	valid JSON).
 */
#include "release/rel.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/sg_mem.h"

#define REL_VIEW_DEPTH 4
#define REL_VIEW_MAX 10000

static char *rel_dup(const char *s)
{
	return s ? sg_xstrdup(s) : NULL;
}

time_t rel_parse_time(const char *s)
{
	struct tm tm;
	const char *end;
	long off;

	if (s == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S%z", &tm);
	if (end == NULL || *end != '\0')
		return 0;
	/* timegm() normalises tm and clears tm_gmtoff: read it first. */
	off = tm.tm_gmtoff;
	return timegm(&tm) - off;
}

static void rel_add_finding(const char *const *vals, const char *elem, void *ctx)
{
	ntf_hold_view *v = ctx;
	ntf_finding_view *f;

	(void)elem;
	v->findings = sg_xreallocarray(v->findings, v->nfindings + 1, sizeof(*f));
	f = &v->findings[v->nfindings++];
	memset(f, 0, sizeof(*f));
	f->category = sg_xstrdup(vals[0] ? vals[0] : "");
	f->rule = sg_xstrdup(vals[1] ? vals[1] : "");
	f->where = sg_xstrdup(vals[2] ? vals[2] : "");
	f->count = vals[3] ? strtoul(vals[3], NULL, 10) : 1;
	f->evidence = sg_xstrdup(vals[4] ? vals[4] : "");
	f->label_ja = rel_dup(vals[5]);
	f->label_en = rel_dup(vals[6]);
}

struct rel_att_ctx {
	ntf_attachment_view **v;
	size_t *n;
	int depth;
};

static void rel_add_attachment(const char *const *vals, const char *elem, void *ctx);

static void rel_parse_attachments(const char *json, ntf_attachment_view **v,
				  size_t *n, int depth)
{
	static const char *const keys[] = {
		"name", "type", "size", "encrypted", "note", "entries", "path", "where"
	};
	struct rel_att_ctx c = { v, n, depth };

	if (depth < REL_VIEW_DEPTH)
		rel_json_each(json, keys, 8, REL_VIEW_MAX, rel_add_attachment, &c);
}

static void rel_add_attachment(const char *const *vals, const char *elem, void *ctx)
{
	struct rel_att_ctx *c = ctx;
	ntf_attachment_view *a;

	(void)elem;
	*c->v = sg_xreallocarray(*c->v, *c->n + 1, sizeof(**c->v));
	a = &(*c->v)[(*c->n)++];
	memset(a, 0, sizeof(*a));
	a->name = sg_xstrdup(vals[0] ? vals[0] : vals[6] ? vals[6] : "");
	a->type = sg_xstrdup(vals[1] ? vals[1] : "");
	a->size = vals[2] ? strtoull(vals[2], NULL, 10) : 0;
	a->encrypted = vals[3] && strcmp(vals[3], "1") == 0;
	a->note = rel_dup(vals[4]);
	a->path = rel_dup(vals[6]);
	a->where = rel_dup(vals[7]);
	if (vals[5])
		rel_parse_attachments(vals[5], &a->entries, &a->nentries, c->depth + 1);
}

static void rel_view_lists(ntf_hold_view *v, const st_hold *h)
{
	static const char *const fkeys[] = {
		"category", "rule", "where", "count", "evidence", "label_ja", "label_en"
	};

	v->rcpts = sg_xcalloc(h->nrcpts + 1, sizeof(*v->rcpts));
	for (size_t i = 0; i < h->nrcpts; i++) {
		v->rcpts[i].addr = sg_xstrdup(h->rcpts[i].addr ? h->rcpts[i].addr : "");
		v->rcpts[i].external = h->rcpts[i].external;
	}
	v->nrcpts = h->nrcpts;
	for (size_t i = 0; i < h->ncategories; i++)
		ntf_view_add_category(v, h->categories[i]);
	for (size_t i = 0; i < h->napprovers; i++)
		ntf_view_add_approver(v, h->approvers[i]);
	rel_json_each(h->findings_json, fkeys, 7, REL_VIEW_MAX, rel_add_finding, v);
	rel_parse_attachments(h->attachments_json, &v->atts, &v->natts, 0);
}

/* One {"addr","name"} of the hold's names: the sender's and each
 * recipient's display name, matched by address (case-insensitive). */
static void rel_add_name(const char *const *vals, const char *elem, void *ctx)
{
	ntf_hold_view *v = ctx;

	(void)elem;
	if (vals[0] == NULL || vals[1] == NULL || *vals[1] == '\0')
		return;
	if (v->sender && v->sender_name == NULL && strcasecmp(v->sender, vals[0]) == 0)
		v->sender_name = sg_xstrdup(vals[1]);
	for (size_t i = 0; i < v->nrcpts; i++)
		if (v->rcpts[i].name == NULL && strcasecmp(v->rcpts[i].addr, vals[0]) == 0)
			v->rcpts[i].name = sg_xstrdup(vals[1]);
}

void rel_view_from_hold(ntf_hold_view *v, const st_hold *h)
{
	static const char *const nkeys[] = { "addr", "name" };

	ntf_view_init(v);
	v->hold_id = sg_xstrdup(h->id);
	v->queue_id = rel_dup(h->queue_id);
	v->sender = rel_dup(h->sender);
	v->from = rel_dup(h->from_addr);
	v->auth_login = rel_dup(h->auth_login);
	v->subject = rel_dup(h->subject);
	v->size = h->size;
	v->created = h->created_t;
	v->expires = h->expires_t;
	v->release_at = h->delay ? h->release_t : 0;
	v->decided_by = rel_dup(h->decided_by);
	v->decided_at = rel_parse_time(h->decided_at);
	v->comment = rel_dup(h->decision_comment);
	rel_view_lists(v, h);
	if (h->names_json)
		rel_json_each(h->names_json, nkeys, 2, REL_VIEW_MAX, rel_add_name, v);
}

struct rel_name_find {
	const char *addr;
	char *name;
};

static void rel_find_name(const char *const *vals, const char *elem, void *ctx)
{
	struct rel_name_find *f = ctx;

	(void)elem;
	if (f->name == NULL && vals[0] && vals[1] && *vals[1] &&
	    strcasecmp(vals[0], f->addr) == 0)
		f->name = sg_xstrdup(vals[1]);
}

char *rel_hold_name(const st_hold *h, const char *addr)
{
	static const char *const nkeys[] = { "addr", "name" };
	struct rel_name_find f = { addr, NULL };

	if (h->names_json && addr && *addr)
		rel_json_each(h->names_json, nkeys, 2, REL_VIEW_MAX, rel_find_name, &f);
	return f.name;
}

/* ---- downloads ---- */

static const ntf_attachment_view *rel_att_find(const ntf_attachment_view *a, size_t n,
					       const char *path, int depth)
{
	for (size_t i = 0; i < n && depth < REL_VIEW_DEPTH; i++) {
		const ntf_attachment_view *f;

		if (a[i].path && strcmp(a[i].path, path) == 0)
			return &a[i];
		if ((f = rel_att_find(a[i].entries, a[i].nentries, path, depth + 1)))
			return f;
	}
	return NULL;
}

/* a is b, or inside it ("x.zip/y.exe" in "x.zip"), by display path. */
static bool rel_where_within(const char *a, const char *b)
{
	size_t n = strlen(b);

	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

int rel_att_dangerous(const st_hold *h, const char *path, sg_buf *where_out)
{
	ntf_hold_view v;
	const ntf_attachment_view *a;
	int ret = -1;

	rel_view_from_hold(&v, h);
	a = path ? rel_att_find(v.atts, v.natts, path, 0) : NULL;
	if (a != NULL) {
		const char *w = a->where ? a->where : a->name;

		ret = 0;
		if (where_out)
			sg_buf_puts(where_out, w ? w : "");
		for (size_t i = 0; w && i < v.nfindings; i++) {
			const ntf_finding_view *f = &v.findings[i];

			if (strcmp(f->category, "dangerous-attachment") == 0 && f->where &&
			    (rel_where_within(f->where, w) || rel_where_within(w, f->where)))
				ret = 1;
		}
	}
	ntf_view_free(&v);
	return ret;
}
