/*
 * NAME
 *	eng_result - findings, the attachment inventory, and their output
 * DESCRIPTION
 *	A result owns every string in it. The verdict is the strongest
 *	action among the findings (reject > hold > bcc > log > accept), as
 *	POLICY.md defines it; eng_add_finding keeps it current.
 *
 *	The JSON form is the `sendguardctl check --json` contract of
 *	ARCHITECTURE.md; the text form is for people: Japanese first, with
 *	English, one finding a line with where it was found.
 */
#include "engine/eng_int.h"
#include "util/sg_json.h"
#include "util/sg_mem.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Archives in archives: the engine bounds the depth when it builds the
 * inventory; this bound keeps a corrupted result from recursing. */
#define ENG_JSON_DEPTH 32

/* A message with more findings than this is held anyway; the cap
 * keeps a hostile message from growing the result without bound. */
#define ENG_MAX_FINDINGS 1000
#define ENG_MAX_ATTACHMENTS 10000
#define ENG_MAX_NOTES 100

void eng_result_init(eng_result *res)
{
	memset(res, 0, sizeof(*res));
}

void eng_attachment_free(eng_attachment *a)
{
	free(a->path);
	free(a->name);
	free(a->where);
	free(a->type);
	free(a->declared_type);
	free(a->charset);
	free(a->disposition);
	free(a->content_id);
	free(a->note);
	for (size_t i = 0; i < a->nentries; i++)
		eng_attachment_free(&a->entries[i]);
	free(a->entries);
}

void eng_result_drop_findings(eng_result *res)
{
	for (size_t i = 0; i < res->nfindings; i++) {
		eng_finding *f = &res->findings[i];
		free(f->rule);
		free(f->label_ja);
		free(f->label_en);
		free(f->where);
		free(f->evidence);
	}
	free(res->findings);
	res->findings = NULL;
	res->nfindings = res->capf = 0;
	res->verdict = ENG_ACT_ACCEPT;
	res->bcc_rewrite = false;
}

void eng_result_free(eng_result *res)
{
	eng_result_drop_findings(res);
	for (size_t i = 0; i < res->natts; i++)
		eng_attachment_free(&res->atts[i]);
	free(res->atts);
	for (size_t i = 0; i < res->nnotes; i++) {
		free(res->notes[i].where);
		free(res->notes[i].text);
	}
	free(res->notes);
	free(res->subject);
	free(res->from);
	for (size_t i = 0; i < res->nnames; i++) {
		free(res->names[i].addr);
		free(res->names[i].display);
	}
	free(res->names);
	free(res->group);
	eng_result_init(res);
}

eng_finding *eng_add_finding(eng_result *res, eng_category cat,
			     const char *rule, const char *label_ja,
			     const char *label_en, const char *where,
			     unsigned long count, const char *evidence,
			     eng_action action)
{
	eng_finding *f;

	if (action > res->verdict)
		res->verdict = action;
	if (cat == ENG_CAT_EXPOSED && action == ENG_ACT_BCC)
		res->bcc_rewrite = true;
	/* The same rule at the same place once: multipart/alternative gives
	 * the body twice (plain and HTML), and that is one finding. */
	for (size_t i = 0; i < res->nfindings; i++) {
		f = &res->findings[i];
		if (f->cat == cat && strcmp(f->rule, rule) == 0 &&
		    strcmp(f->where, where) == 0) {
			if (count > f->count)
				f->count = count;
			return f;
		}
	}
	if (res->nfindings >= ENG_MAX_FINDINGS)
		return NULL;
	if (res->nfindings == res->capf) {
		res->capf = res->capf ? res->capf * 2 : 8;
		res->findings = sg_xreallocarray(res->findings, res->capf,
						 sizeof(*f));
	}
	f = &res->findings[res->nfindings++];
	f->cat = cat;
	f->rule = sg_xstrdup(rule);
	f->label_ja = sg_xstrdup(label_ja);
	f->label_en = sg_xstrdup(label_en);
	f->where = sg_xstrdup(where);
	f->count = count;
	f->evidence = sg_xstrdup(evidence ? evidence : "");
	f->action = action;
	f->class3 = false;
	return f;
}

eng_attachment *eng_add_attachment(eng_result *res)
{
	eng_attachment *a;

	if (res->natts >= ENG_MAX_ATTACHMENTS)
		return NULL;
	if (res->natts == res->capa) {
		res->capa = res->capa ? res->capa * 2 : 8;
		res->atts = sg_xreallocarray(res->atts, res->capa, sizeof(*a));
	}
	a = &res->atts[res->natts++];
	memset(a, 0, sizeof(*a));
	return a;
}

void eng_scan_limit(eng_ctx *ctx, const char *rule, const char *label_ja,
		    const char *label_en, const char *where,
		    const char *evidence)
{
	/* One finding per limit and place is enough for the approver. */
	for (size_t i = 0; i < ctx->res->nfindings; i++) {
		eng_finding *f = &ctx->res->findings[i];
		if (f->cat == ENG_CAT_SCANLIMIT && strcmp(f->rule, rule) == 0 &&
		    strcmp(f->where, where) == 0) {
			f->count++;
			return;
		}
	}
	eng_add_finding(ctx->res, ENG_CAT_SCANLIMIT, rule, label_ja, label_en,
			where, 1, evidence, ctx->eng->actions[ENG_CAT_SCANLIMIT]);
}

void eng_add_note(eng_result *res, const char *where, const char *note)
{
	if (res->nnotes >= ENG_MAX_NOTES)
		return;
	if (res->nnotes == res->capn) {
		res->capn = res->capn ? res->capn * 2 : 4;
		res->notes = sg_xreallocarray(res->notes, res->capn,
					      sizeof(*res->notes));
	}
	res->notes[res->nnotes].where = sg_xstrdup(where);
	res->notes[res->nnotes].text = sg_xstrdup(note);
	res->nnotes++;
}

/*
 * Undecodable text (issue 13, class 4). Real Japanese mail has a stray
 * byte or two no charset reads (an extension character in a part
 * labelled ISO-2022-JP): that byte becomes U+FFFD, the rest is read,
 * and a note says so. Only text whose best decoding still replaces
 * more than [limits] max_undecodable (its share of the bytes and its
 * byte count, both) was not really read: a scan limit, held.
 */
void eng_undecodable(eng_ctx *ctx, const char *where, const char *charset,
		     size_t replaced, size_t len)
{
	const eng_limits *lim = &ctx->eng->lim;
	sg_buf ev;

	if (replaced == 0 || !ctx->inspect)
		return;
	sg_buf_init(&ev, 256);
	/* The label is the sender's text: cut, and cleaned with the rest. */
	if (charset && *charset)
		sg_buf_printf(&ev, "%zu of %zu bytes undecodable (declared %.40s)",
			      replaced, len, charset);
	else
		sg_buf_printf(&ev, "%zu of %zu bytes undecodable (no charset declared)",
			      replaced, len);
	/* replaced/len > pct/100, without overflow for any size_t len */
	if (replaced > lim->undecodable_bytes &&
	    (double)replaced * 100.0 > (double)lim->undecodable_pct * (double)len)
		eng_scan_limit(ctx, "undecodable",
			       "文字コードを判別できず本文の一部を読めません",
			       "Part of the text could not be decoded in any charset",
			       where, sg_buf_cstr(&ev));
	else
		eng_add_note(ctx->res, where, sg_buf_cstr(&ev));
	sg_buf_free(&ev);
}

/*
 * Control characters in names. A file name or an archive entry name is
 * the sender's text: "a.pdf\r\nApproved-By: boss" or an ESC sequence
 * in a ZIP entry forges lines in the signed approval request, in
 * `sendguardctl show` and on terminals. Every string of a result is
 * cleaned once, at the end of the scan, before anything stores, mails
 * or prints it: C0 controls, DEL and C1 controls (U+0080..U+009F, in
 * UTF-8 C2 80..C2 9F) become U+FFFD, a tab a space. Bytes that are not
 * controls are left as they are.
 */
char *eng_clean_str(char *s)
{
	sg_buf out;
	bool dirty = false;

	if (s == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			dirty = true;
	if (!dirty)
		return s;
	sg_buf_init(&out, SG_BUF_UNLIMITED);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\t')
			sg_buf_putc(&out, ' ');
		else if (*p < 0x20 || *p == 0x7f)
			sg_buf_puts(&out, "\xef\xbf\xbd");
		else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			sg_buf_puts(&out, "\xef\xbf\xbd");
			p++;
		} else
			sg_buf_putc(&out, *p);
	}
	free(s);
	return sg_buf_steal(&out);
}

#define ENG_CLEAN(field) ((field) = eng_clean_str(field))

static void eng_clean_attachment(eng_attachment *a, int depth)
{
	ENG_CLEAN(a->path);
	ENG_CLEAN(a->name);
	ENG_CLEAN(a->where);
	ENG_CLEAN(a->type);
	ENG_CLEAN(a->declared_type);
	ENG_CLEAN(a->disposition);
	ENG_CLEAN(a->content_id);
	ENG_CLEAN(a->note);
	for (size_t i = 0; i < a->nentries && depth < ENG_JSON_DEPTH; i++)
		eng_clean_attachment(&a->entries[i], depth + 1);
}

void eng_result_clean(eng_result *res)
{
	ENG_CLEAN(res->subject);
	ENG_CLEAN(res->from);
	for (size_t i = 0; i < res->nfindings; i++) {
		eng_finding *f = &res->findings[i];

		ENG_CLEAN(f->rule);
		ENG_CLEAN(f->label_ja);
		ENG_CLEAN(f->label_en);
		ENG_CLEAN(f->where);
		ENG_CLEAN(f->evidence);
	}
	for (size_t i = 0; i < res->natts; i++)
		eng_clean_attachment(&res->atts[i], 0);
	for (size_t i = 0; i < res->nnotes; i++) {
		ENG_CLEAN(res->notes[i].where);
		ENG_CLEAN(res->notes[i].text);
	}
}

static void eng_json_kv(sg_buf *out, const char *key, const char *v, bool comma)
{
	if (comma)
		sg_buf_putc(out, ',');
	sg_json_key(out, key);
	sg_json_str(out, v);
}

static void eng_json_attachment(const eng_attachment *a, int depth, sg_buf *out)
{
	sg_buf_putc(out, '{');
	eng_json_kv(out, "path", a->path, false);
	eng_json_kv(out, "name", a->name, true);
	eng_json_kv(out, "where", a->where, true);
	eng_json_kv(out, "type", a->type, true);
	eng_json_kv(out, "declared_type", a->declared_type, true);
	eng_json_kv(out, "disposition", a->disposition, true);
	if (a->note)
		eng_json_kv(out, "note", a->note, true);
	sg_buf_printf(out, ",\"size\":%llu,\"encrypted\":%s,\"entries\":[",
		      a->size, a->encrypted ? "true" : "false");
	for (size_t i = 0; i < a->nentries && depth < ENG_JSON_DEPTH; i++) {
		if (i)
			sg_buf_putc(out, ',');
		eng_json_attachment(&a->entries[i], depth + 1, out);
	}
	sg_buf_puts(out, "]}");
}

static void eng_json_finding(const eng_finding *f, sg_buf *out)
{
	sg_buf_putc(out, '{');
	eng_json_kv(out, "category", eng_category_name(f->cat), false);
	eng_json_kv(out, "rule", f->rule, true);
	eng_json_kv(out, "label_ja", f->label_ja, true);
	eng_json_kv(out, "label_en", f->label_en, true);
	eng_json_kv(out, "where", f->where, true);
	sg_buf_printf(out, ",\"count\":%lu", f->count);
	eng_json_kv(out, "evidence", f->evidence, true);
	eng_json_kv(out, "action", eng_action_name(f->action), true);
	sg_buf_putc(out, '}');
}

void eng_findings_json(const eng_result *res, sg_buf *out)
{
	sg_buf_putc(out, '[');
	for (size_t i = 0; i < res->nfindings; i++) {
		if (i)
			sg_buf_putc(out, ',');
		eng_json_finding(&res->findings[i], out);
	}
	sg_buf_putc(out, ']');
}

void eng_names_json(const eng_result *res, sg_buf *out)
{
	sg_buf_putc(out, '[');
	for (size_t i = 0; i < res->nnames; i++) {
		sg_buf_puts(out, i ? ",{\"addr\":" : "{\"addr\":");
		sg_json_str(out, res->names[i].addr);
		sg_buf_puts(out, ",\"name\":");
		sg_json_str(out, res->names[i].display);
		sg_buf_putc(out, '}');
	}
	sg_buf_putc(out, ']');
}

const char *eng_name_of(const eng_result *res, const char *addr)
{
	for (size_t i = 0; addr && i < res->nnames; i++)
		if (strcasecmp(res->names[i].addr, addr) == 0)
			return res->names[i].display;
	return NULL;
}

void eng_attachments_json(const eng_result *res, sg_buf *out)
{
	sg_buf_putc(out, '[');
	for (size_t i = 0; i < res->natts; i++) {
		if (i)
			sg_buf_putc(out, ',');
		eng_json_attachment(&res->atts[i], 0, out);
	}
	sg_buf_putc(out, ']');
}

void eng_result_json(const eng_result *res, sg_buf *out)
{
	sg_buf_puts(out, "{\"verdict\":");
	sg_json_str(out, eng_action_name(res->verdict));
	sg_buf_printf(out, ",\"mode\":\"%s\",\"outbound\":%s,\"bcc_rewrite\":%s,"
		      "\"encrypted_message\":%s,",
		      res->monitor ? "monitor" : "enforce",
		      res->outbound ? "true" : "false",
		      res->bcc_rewrite ? "true" : "false",
		      res->encrypted_whole ? "true" : "false");
	/* The sender group whose settings decided (null: the defaults). */
	sg_json_key(out, "group");
	sg_json_str(out, res->group && *res->group ? res->group : NULL);
	/* Delayed send: seconds the mail waits (0: leaves at once). */
	sg_buf_printf(out, ",\"delay\":%ld,", res->delay);
	sg_json_key(out, "subject");
	sg_json_str(out, res->subject);
	sg_buf_puts(out, ",\"findings\":");
	eng_findings_json(res, out);
	sg_buf_puts(out, ",\"attachments\":");
	eng_attachments_json(res, out);
	sg_buf_puts(out, ",\"notes\":[");
	for (size_t i = 0; i < res->nnotes; i++) {
		sg_buf_puts(out, i ? ",{" : "{");
		eng_json_kv(out, "where", res->notes[i].where, false);
		eng_json_kv(out, "note", res->notes[i].text, true);
		sg_buf_putc(out, '}');
	}
	sg_buf_puts(out, "]}\n");
}

static void eng_text_attachment(const eng_attachment *a, int depth, sg_buf *out)
{
	sg_buf_printf(out, "  %*s%s  %s  %s  %llu bytes  %s\n", depth * 2, "",
		      a->path, *a->where ? a->where : "(名前なし no name)",
		      a->type, a->size,
		      a->encrypted ? "暗号化あり encrypted" : "暗号化なし not encrypted");
	for (size_t i = 0; i < a->nentries && depth < 16; i++)
		eng_text_attachment(&a->entries[i], depth + 1, out);
}

void eng_result_text(const eng_result *res, sg_buf *out)
{
	sg_buf_printf(out, "判定 verdict: %s %s%s\n",
		      eng_action_label_ja(res->verdict),
		      eng_action_name(res->verdict),
		      res->monitor ? " (監視モード: 実際には保留・拒否しません "
				     "monitor mode: nothing is held or rejected)" : "");
	if (res->group && *res->group)
		sg_buf_printf(out, "送信者グループ sender group: %s\n", res->group);
	if (res->delay > 0)
		sg_buf_printf(out, "送信ディレイ delayed send: %ld 秒待ってから送信 "
			      "(waits %ld s before it leaves)%s\n", res->delay, res->delay,
			      res->monitor ? " (監視モード: 記録のみ monitor mode: "
					     "logged only)" : "");
	if (!res->outbound)
		sg_buf_puts(out, "宛先はすべて内部です: 検査の対象外 "
			    "(all recipients are internal: not inspected)\n");
	if (res->subject)
		sg_buf_printf(out, "件名 subject: %s\n", res->subject);
	if (res->nfindings == 0)
		sg_buf_puts(out, "検出なし no findings\n");
	for (size_t i = 0; i < res->nfindings; i++) {
		const eng_finding *f = &res->findings[i];
		sg_buf_printf(out, "[%s %s] %s / %s (%s, %s) 場所 where: %s  "
			      "件数 count: %lu%s%s\n",
			      eng_action_label_ja(f->action), eng_action_name(f->action),
			      f->label_ja, f->label_en, eng_category_name(f->cat),
			      f->rule, f->where, f->count,
			      *f->evidence ? "  根拠 evidence: " : "", f->evidence);
	}
	if (res->natts) {
		sg_buf_puts(out, "添付ファイル attachments:\n");
		for (size_t i = 0; i < res->natts; i++)
			eng_text_attachment(&res->atts[i], 0, out);
	}
	for (size_t i = 0; i < res->nnotes; i++)
		sg_buf_printf(out, "注記 note: %s: %s\n", res->notes[i].where,
			      res->notes[i].text);
}
