/*
 * NAME
 *	eng_mark - classification markings (rules/classification)
 * DESCRIPTION
 *	Each rule's pattern runs over NFKC text, so "機密性３Ａ" and
 *	"機密性3A" are one marking. One finding per rule and place, with
 *	the number of occurrences and the first marking as evidence (a
 *	marking is not personal data: the approver must see it). A rule
 *	marked trusted_exempt is skipped when every external recipient is
 *	in trusted_domains (機密性2 over LGWAN is allowed).
 *
 *	A match that ends in anything but a match or "no match" (a match,
 *	heap or JIT-stack limit, no memory) did not look at the rest of the
 *	text: that is a scan-limit finding, never "no marking". Markings
 *	found before it are reported as well.
 */
#include "engine/eng_int.h"

#include <string.h>

/* Occurrences counted per rule and place; more adds nothing. */
#define ENG_MARK_MAX_COUNT 10000

static void eng_mark_one(eng_ctx *ctx, const eng_marking *m, const char *text,
			 size_t len, const char *where)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(m->re, NULL);
	PCRE2_SIZE off = 0;
	unsigned long count = 0;
	char ev[128] = "";

	while (off <= len && count < ENG_MARK_MAX_COUNT) {
		int rc = pcre2_match(m->re, (PCRE2_SPTR)text, len, off,
				     PCRE2_NO_UTF_CHECK, md, ctx->eng->mctx);
		PCRE2_SIZE *ov;

		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0) {
			eng_scan_limit(ctx, "pattern-limit",
				       "表示 (機密性) の検査が複雑すぎて終わりませんでした",
				       "Marking scan hit its match limit", where, m->id);
			break;
		}
		ov = pcre2_get_ovector_pointer(md);
		if (count == 0) {
			size_t n = ov[1] - ov[0];
			if (n >= sizeof(ev)) {
				n = sizeof(ev) - 1;
				while (n > 0 && ((unsigned char)text[ov[0] + n] & 0xC0) == 0x80)
					n--;
			}
			memcpy(ev, text + ov[0], n);
			ev[n] = '\0';
		}
		count++;
		if (ov[1] == ov[0]) {
			/* Step over one whole UTF-8 character after an empty match. */
			off = ov[1] + 1;
			while (off < len && ((unsigned char)text[off] & 0xC0) == 0x80)
				off++;
		} else {
			off = ov[1];
		}
	}
	pcre2_match_data_free(md);
	if (count > 0) {
		eng_finding *f = eng_add_finding(ctx->res, ENG_CAT_CLASSIFIED, m->id,
						 m->label_ja, m->label_en, where,
						 count, ev, m->action);

		if (f)
			f->class3 = m->class3;
	}
}

void eng_mark_scan(eng_ctx *ctx, const char *text, size_t len, const char *where)
{
	for (size_t i = 0; i < ctx->eng->nmarks; i++) {
		const eng_marking *m = &ctx->eng->marks[i];

		if (m->trusted_exempt && ctx->all_external_trusted)
			continue;
		eng_mark_one(ctx, m, text, len, where);
	}
}
