/*
 * NAME
 *	rel_preview - open a hold's stored preview and read it
 * SYNOPSIS
 *	#include "release/rel.h"
 * DESCRIPTION
 *	Issue 18: the hold page and `sendguardctl show` present the
 *	message as the recipient will see it, from the preview the milter
 *	sealed at hold time (eng_preview.c builds it, ntf_pvseal.c seals
 *	it, st_preview.c keeps it while the hold waits).
 *
 *	rel_preview_load() fetches the sealed text and opens it with the
 *	keys of [keys] dir (bound to the hold id: a preview copied to
 *	another hold's row does not open). rel_preview_parse() reads the
 *	JSON (the contract in eng_preview.c) with SQLite's JSON functions,
 *	as the rest of release/ does, into plain owned strings, every list
 *	bounded by the bounds eng_preview() wrote it with (REL_PV_*), so a
 *	forged or damaged preview costs bounded work.
 * DIAGNOSTICS
 *	rel_preview_load() returns 1 (json filled), 0 (no preview: none
 *	was made, or the hold was decided or expired), -1 (the store
 *	failed, or the preview does not open: its key is gone or it was
 *	altered; err says which).
 */
#include "release/rel.h"

#include <stdlib.h>
#include <string.h>

#include "util/sg_mem.h"

#define REL_PV_BODIES	16
#define REL_PV_FILES	400
#define REL_PV_SHEETS	64
#define REL_PV_ROWS	16
#define REL_PV_CELLS	32
#define REL_PV_BCC	2000

static char *rel_pv_dup(const char *s)
{
	return s ? sg_xstrdup(s) : NULL;
}

static bool rel_pv_true(const char *s)
{
	return s != NULL && strcmp(s, "1") == 0;
}

/* ---- arrays of strings and of rows ---- */

struct rel_pv_strs {
	char **v;
	size_t n;
};

static void rel_pv_str_cb(const char *const *vals, const char *elem, void *ctx)
{
	struct rel_pv_strs *s = ctx;

	(void)vals;
	s->v = sg_xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = sg_xstrdup(elem ? elem : "");
}

static void rel_pv_strings(const char *json, size_t max, char ***v, size_t *n)
{
	struct rel_pv_strs s = { NULL, 0 };

	if (json != NULL)
		(void)rel_json_each(json, NULL, 0, max, rel_pv_str_cb, &s);
	*v = s.v;
	*n = s.n;
}

struct rel_pv_rows {
	rel_pv_row *v;
	size_t n;
};

static void rel_pv_row_cb(const char *const *vals, const char *elem, void *ctx)
{
	struct rel_pv_rows *r = ctx;
	rel_pv_row *row;

	(void)vals;
	r->v = sg_xreallocarray(r->v, r->n + 1, sizeof(*r->v));
	row = &r->v[r->n++];
	rel_pv_strings(elem, REL_PV_CELLS, &row->cells, &row->n);
}

static void rel_pv_rows(const char *json, rel_pv_row **v, size_t *n)
{
	struct rel_pv_rows r = { NULL, 0 };

	if (json != NULL)
		(void)rel_json_each(json, NULL, 0, REL_PV_ROWS, rel_pv_row_cb, &r);
	*v = r.v;
	*n = r.n;
}

/* ---- sheets, files, bodies ---- */

static void rel_pv_sheet_cb(const char *const *vals, const char *elem, void *ctx)
{
	rel_pv_file *f = ctx;
	rel_pv_sheet *s;

	(void)elem;
	f->sheets = sg_xreallocarray(f->sheets, f->nsheets + 1, sizeof(*f->sheets));
	s = &f->sheets[f->nsheets++];
	memset(s, 0, sizeof(*s));
	s->name = sg_xstrdup(vals[0] ? vals[0] : "");
	s->rows = vals[1] ? strtol(vals[1], NULL, 10) : -1;
	s->cols = vals[2] ? strtol(vals[2], NULL, 10) : -1;
	rel_pv_rows(vals[3], &s->first, &s->nfirst);
}

static void rel_pv_file_cb(const char *const *vals, const char *elem, void *ctx)
{
	static const char *const skeys[] = { "name", "rows", "cols", "first" };
	rel_preview *pv = ctx;
	rel_pv_file *f;

	(void)elem;
	pv->files = sg_xreallocarray(pv->files, pv->nfiles + 1, sizeof(*pv->files));
	f = &pv->files[pv->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = sg_xstrdup(vals[0] ? vals[0] : "");
	f->kind = sg_xstrdup(vals[1] ? vals[1] : "");
	if (vals[2])
		(void)rel_json_each(vals[2], skeys, 4, REL_PV_SHEETS, rel_pv_sheet_cb, f);
	f->more_sheets = rel_pv_true(vals[3]);
	f->rows = vals[4] ? strtol(vals[4], NULL, 10) : -1;
	rel_pv_rows(vals[5], &f->first, &f->nfirst);
	rel_pv_strings(vals[6], REL_PV_ROWS, &f->lines, &f->nlines);
	f->pages = vals[7] ? strtol(vals[7], NULL, 10) : -1;
}

static void rel_pv_body_cb(const char *const *vals, const char *elem, void *ctx)
{
	rel_preview *pv = ctx;
	rel_pv_body *b;

	(void)elem;
	pv->bodies = sg_xreallocarray(pv->bodies, pv->nbodies + 1, sizeof(*pv->bodies));
	b = &pv->bodies[pv->nbodies++];
	b->where = sg_xstrdup(vals[0] ? vals[0] : "");
	b->html = rel_pv_true(vals[1]);
	b->text = sg_xstrdup(vals[2] ? vals[2] : "");
	b->cut = rel_pv_true(vals[3]);
}

static void rel_pv_top_cb(const char *const *vals, const char *elem, void *ctx)
{
	static const char *const bkeys[] = { "where", "html", "text", "cut" };
	static const char *const fkeys[] = { "path", "kind", "sheets", "more_sheets",
					     "rows", "first", "lines", "pages" };
	rel_preview *pv = ctx;

	(void)elem;
	if (pv->ok)
		return;		/* one object only */
	pv->ok = true;
	pv->from = rel_pv_dup(vals[0]);
	pv->to = rel_pv_dup(vals[1]);
	pv->cc = rel_pv_dup(vals[2]);
	rel_pv_strings(vals[3], REL_PV_BCC, &pv->bcc, &pv->nbcc);
	pv->subject = rel_pv_dup(vals[4]);
	if (vals[5])
		(void)rel_json_each(vals[5], bkeys, 4, REL_PV_BODIES, rel_pv_body_cb, pv);
	if (vals[6])
		(void)rel_json_each(vals[6], fkeys, 8, REL_PV_FILES, rel_pv_file_cb, pv);
	pv->cut = rel_pv_true(vals[7]);
}

int rel_preview_parse(const char *json, rel_preview *pv)
{
	static const char *const keys[] = { "from", "to", "cc", "bcc", "subject",
					    "bodies", "files", "cut" };
	sg_buf arr;

	memset(pv, 0, sizeof(*pv));
	if (json == NULL)
		return -1;
	/* rel_json_each walks arrays: the object becomes its only element. */
	sg_buf_init(&arr, SG_BUF_UNLIMITED);
	sg_buf_printf(&arr, "[%s]", json);
	(void)rel_json_each(sg_buf_cstr(&arr), keys, 8, 1, rel_pv_top_cb, pv);
	sg_buf_free(&arr);
	return pv->ok ? 0 : -1;
}

static void rel_pv_rows_free(rel_pv_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < v[i].n; k++)
			free(v[i].cells[k]);
		free(v[i].cells);
	}
	free(v);
}

static void rel_pv_strs_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void rel_preview_free(rel_preview *pv)
{
	if (pv == NULL)
		return;
	free(pv->from);
	free(pv->to);
	free(pv->cc);
	free(pv->subject);
	rel_pv_strs_free(pv->bcc, pv->nbcc);
	for (size_t i = 0; i < pv->nbodies; i++) {
		free(pv->bodies[i].where);
		if (pv->bodies[i].text)
			memset(pv->bodies[i].text, 0, strlen(pv->bodies[i].text));
		free(pv->bodies[i].text);
	}
	free(pv->bodies);
	for (size_t i = 0; i < pv->nfiles; i++) {
		rel_pv_file *f = &pv->files[i];

		free(f->path);
		free(f->kind);
		for (size_t k = 0; k < f->nsheets; k++) {
			free(f->sheets[k].name);
			rel_pv_rows_free(f->sheets[k].first, f->sheets[k].nfirst);
		}
		free(f->sheets);
		rel_pv_rows_free(f->first, f->nfirst);
		rel_pv_strs_free(f->lines, f->nlines);
	}
	free(pv->files);
	memset(pv, 0, sizeof(*pv));
}

const rel_pv_file *rel_preview_file(const rel_preview *pv, const char *path)
{
	for (size_t i = 0; path != NULL && i < pv->nfiles; i++)
		if (strcmp(pv->files[i].path, path) == 0)
			return &pv->files[i];
	return NULL;
}

int rel_preview_load(st_store *st, const ntf_keys *keys, const char *hold_id,
		     time_t now, sg_buf *json, sg_buf *err)
{
	char *sealed = NULL;
	st_rc rc = st_preview_get(st, hold_id, now, &sealed, err);
	int ret;

	if (rc == ST_NOTFOUND)
		return 0;
	if (rc != ST_OK)
		return -1;
	if (keys == NULL || ntf_pv_unseal(keys, hold_id, sealed, json) < 0) {
		sg_buf_reset(err);
		sg_buf_printf(err, "the preview of hold %s does not open (its key "
			      "is no longer in [keys] dir, or it was altered)", hold_id);
		ret = -1;
	} else
		ret = 1;
	free(sealed);
	return ret;
}
