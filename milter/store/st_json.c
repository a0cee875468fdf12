/*
 * NAME
 *	st_json - the engine's result in the JSON a hold stores
 * SYNOPSIS
 *	#include "engine/eng.h"
 *	#include "store/st.h"
 *
 *	void st_result_findings_json(const eng_result *res, sg_buf *out);
 *	void st_result_attachments_json(const eng_result *res, sg_buf *out);
 *	size_t st_result_categories(const eng_result *res, const char *out[]);
 * DESCRIPTION
 *	The only file of the store that sees the engine: the rest of the
 *	store takes JSON and strings, so that sendguardctl and the web
 *	page can link the store without the engine's libraries in mind.
 *
 *	The shapes are those of `sendguardctl check --json`
 *	(ARCHITECTURE.md), so an approver sees in `show` what an
 *	administrator saw in `check`. Evidence is stored exactly as the
 *	engine masked it; this file must never add anything from the
 *	message beyond what eng_result carries.
 * DIAGNOSTICS
 *	None: output grows through `out`, whose maximum the caller sets.
 */
#include "engine/eng.h"
#include "store/st.h"
#include "util/sg_json.h"

#include <string.h>

/* Archives in archives: the engine bounds the depth; this bound only
 * keeps a corrupted result from recursing without end. */
#define ST_JSON_DEPTH 32

static void st_json_kv(sg_buf *out, const char *key, const char *v, int comma)
{
	if (comma)
		sg_buf_putc(out, ',');
	sg_json_key(out, key);
	sg_json_str(out, v);
}

static void st_json_finding(const eng_finding *f, sg_buf *out)
{
	sg_buf_putc(out, '{');
	st_json_kv(out, "category", eng_category_name(f->cat), 0);
	st_json_kv(out, "rule", f->rule, 1);
	st_json_kv(out, "label_ja", f->label_ja, 1);
	st_json_kv(out, "label_en", f->label_en, 1);
	st_json_kv(out, "where", f->where, 1);
	sg_buf_printf(out, ",\"count\":%lu", f->count);
	st_json_kv(out, "evidence", f->evidence, 1);
	st_json_kv(out, "action", eng_action_name(f->action), 1);
	sg_buf_putc(out, '}');
}

void st_result_findings_json(const eng_result *res, sg_buf *out)
{
	sg_buf_putc(out, '[');
	for (size_t i = 0; i < res->nfindings; i++) {
		if (i)
			sg_buf_putc(out, ',');
		st_json_finding(&res->findings[i], out);
	}
	sg_buf_putc(out, ']');
}

static void st_json_attachment(const eng_attachment *a, int depth, sg_buf *out)
{
	sg_buf_putc(out, '{');
	st_json_kv(out, "path", a->path, 0);
	st_json_kv(out, "name", a->name, 1);
	st_json_kv(out, "where", a->where, 1);
	st_json_kv(out, "type", a->type, 1);
	st_json_kv(out, "declared_type", a->declared_type, 1);
	st_json_kv(out, "disposition", a->disposition, 1);
	if (a->note)
		st_json_kv(out, "note", a->note, 1);
	sg_buf_printf(out, ",\"size\":%llu,\"encrypted\":%s,\"entries\":[",
		      a->size, a->encrypted ? "true" : "false");
	for (size_t i = 0; i < a->nentries && depth < ST_JSON_DEPTH; i++) {
		if (i)
			sg_buf_putc(out, ',');
		st_json_attachment(&a->entries[i], depth + 1, out);
	}
	sg_buf_puts(out, "]}");
}

void st_result_attachments_json(const eng_result *res, sg_buf *out)
{
	sg_buf_putc(out, '[');
	for (size_t i = 0; i < res->natts; i++) {
		if (i)
			sg_buf_putc(out, ',');
		st_json_attachment(&res->atts[i], 0, out);
	}
	sg_buf_putc(out, ']');
}

size_t st_result_categories(const eng_result *res,
			    const char *out[ST_MAX_CATEGORIES])
{
	size_t n = 0;

	for (size_t i = 0; i < res->nfindings; i++) {
		const char *name = eng_category_name(res->findings[i].cat);
		size_t j = 0;

		while (j < n && strcmp(out[j], name) != 0)
			j++;
		if (j == n && n < ST_MAX_CATEGORIES)
			out[n++] = name;
	}
	return n;
}
