/*
 * NAME
 *	eng_recip - scope (internal, external, trusted) and exposed-recipients
 * DESCRIPTION
 *	Scope decides whether the content rules apply at all: only mail
 *	with at least one external recipient is outbound. The envelope
 *	recipients decide; an offline check without them uses To/Cc/Bcc.
 *	A message with no recipient at all is treated as outbound: we do
 *	not know where it goes, so we fail closed.
 *
 *	exposed-recipients: citizens' addresses are personal data, and
 *	"985 applicants' addresses sent visibly to all" is the incident.
 *	A party is one external domain, except that each address at a
 *	consumer, free-mail or carrier domain is its own party. The rule
 *	fires when To+Cc show external addresses of min_parties parties,
 *	or max_visible_external external addresses. Bcc is fine.
 */
#include "engine/eng_int.h"
#include "engine/eng_addr.h"
#include "util/sg_addr.h"
#include "util/sg_mem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void eng_mask_address(const char *addr, sg_buf *out)
{
	const char *at = strrchr(addr, '@');

	if (at == NULL || at == addr) {
		sg_buf_puts(out, "***");
		return;
	}
	/* Keep one character: enough to tell two addresses apart. */
	sg_buf_append(out, addr, (*addr & 0x80) ? 0 : 1);
	sg_buf_puts(out, "***");
	sg_buf_puts(out, at);
}

static bool eng_is_consumer(const eng_engine *eng, const char *domain)
{
	for (size_t i = 0; i < eng->nconsumer; i++)
		if (eng_addr_domain_matches(domain, eng->consumer[i]))
			return true;
	return false;
}

static void eng_parse_into(eng_ctx *ctx, const sg_buf *raw, eng_addr_list *l,
			   const char *hname)
{
	if (raw->len == 0)
		return;
	eng_addr_parse(sg_buf_cstr(raw), raw->len, l);
	if (l->truncated) {
		char where[64];
		snprintf(where, sizeof(where), "header:%s", hname);
		eng_scan_limit(ctx, "addresses", "宛先が多すぎて全部は検査できません",
			       "Too many addresses to inspect", where, "");
	}
}

/* An external recipient is trusted when it is a plain address (no
 * relaying local part) in a trusted domain, and the MTA resolved it
 * into a trusted domain as well: "user%gmail.com@partner" is not. */
static bool eng_rcpt_trusted(const eng_engine *eng, const char *given,
			     const char *resolved)
{
	sg_addr a;
	bool t = false;

	if (sg_addr_parse(given, &a) < 0)
		return false;
	if (*a.local && !sg_addr_local_relays(a.local) && !a.literal)
		t = eng_domain_trusted(eng, a.domain);
	sg_addr_free(&a);
	if (t && resolved && strchr(resolved, '@')) {
		if (sg_addr_parse(resolved, &a) < 0)
			return false;
		t = eng_domain_trusted(eng, a.domain);
		sg_addr_free(&a);
	}
	return t;
}

void eng_recip_scope(eng_ctx *ctx, const eng_envelope *env, const eng_hdrs *h)
{
	const eng_engine *eng = ctx->eng;
	eng_addr_list l;
	size_t external = 0, trusted = 0;

	eng_addr_list_init(&l, eng->lim.addresses);
	if (env && env->nrcpts > 0) {
		/* The RCPT arguments are addresses, not header text: read
		 * each whole (sg_addr), never through the header parser. */
		for (size_t i = 0; i < env->nrcpts && i < eng->lim.addresses; i++) {
			const char *res = env->rcpts_resolved ?
					  env->rcpts_resolved[i] : NULL;

			if (eng_rcpt_is_internal(eng, env->rcpts[i], res))
				continue;
			external++;
			if (eng_rcpt_trusted(eng, env->rcpts[i], res))
				trusted++;
		}
		ctx->res->outbound = external > 0;
		ctx->all_external_trusted = external > 0 && trusted == external;
		eng_addr_list_free(&l);
		return;
	}
	eng_parse_into(ctx, &h->to, &l, "To");
	eng_parse_into(ctx, &h->cc, &l, "Cc");
	eng_parse_into(ctx, &h->bcc, &l, "Bcc");
	for (size_t i = 0; i < l.n; i++) {
		if (eng_addr_is_internal(eng, l.v[i].addr))
			continue;
		external++;
		if (eng_rcpt_trusted(eng, l.v[i].addr, NULL))
			trusted++;
	}
	ctx->res->outbound = external > 0 || l.n == 0;
	ctx->all_external_trusted = external > 0 && trusted == external;
	eng_addr_list_free(&l);
}

typedef struct eng_party_count {
	char **addrs;		/* distinct external addresses, lower-case */
	size_t naddrs;
	char **parties;		/* distinct party keys */
	size_t nparties;
	bool in_to, in_cc;
} eng_party_count;

static bool eng_strv_has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static void eng_strv_add(char ***v, size_t *n, const char *s)
{
	*v = sg_xreallocarray(*v, *n + 1, sizeof(char *));
	(*v)[(*n)++] = sg_xstrdup(s);
}

static void eng_count_list(const eng_engine *eng, const eng_addr_list *l,
			   eng_party_count *pc, bool *seen)
{
	for (size_t i = 0; i < l->n; i++) {
		const eng_mailbox *m = &l->v[i];
		char *lower;

		if (*m->domain == '\0' || eng_addr_is_internal(eng, m->addr))
			continue;
		lower = sg_xstrdup(m->addr);
		for (char *p = lower; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (!eng_strv_has(pc->addrs, pc->naddrs, lower)) {
			/* An internal domain here is a relaying local part
			 * ("user%gmail.com@ours"): it goes elsewhere, alone. */
			const char *party = eng_is_consumer(eng, m->domain) ||
					    eng_domain_internal(eng, m->domain) ?
					    lower : m->domain;
			eng_strv_add(&pc->addrs, &pc->naddrs, lower);
			if (!eng_strv_has(pc->parties, pc->nparties, party))
				eng_strv_add(&pc->parties, &pc->nparties, party);
		}
		*seen = true;
		free(lower);
	}
}

/* "外部 5 件 (3 者): t***@gmail.com, example.co.jp ×2, ..." */
static void eng_exposed_evidence(const eng_engine *eng, const eng_party_count *pc,
				 sg_buf *out)
{
	sg_buf_printf(out, "外部 %zu 件 (%zu 者) external addresses (parties): ",
		      pc->naddrs, pc->nparties);
	for (size_t i = 0; i < pc->nparties && i < 5; i++) {
		const char *p = pc->parties[i];

		if (i)
			sg_buf_puts(out, ", ");
		if (strchr(p, '@')) {
			eng_mask_address(p, out);
		} else {
			size_t n = 0;
			for (size_t j = 0; j < pc->naddrs; j++) {
				const char *at = strrchr(pc->addrs[j], '@');
				if (at && strcmp(at + 1, p) == 0)
					n++;
			}
			sg_buf_printf(out, "%s ×%zu", p, n);
		}
	}
	if (pc->nparties > 5)
		sg_buf_printf(out, ", ... (+%zu)", pc->nparties - 5);
	(void)eng;
}

void eng_recip_exposed(eng_ctx *ctx, const eng_hdrs *h)
{
	const eng_engine *eng = ctx->eng;
	eng_party_count pc = { 0 };
	eng_addr_list to, cc;
	const char *rule = NULL, *where;
	sg_buf ev;

	eng_addr_list_init(&to, eng->lim.addresses);
	eng_addr_list_init(&cc, eng->lim.addresses);
	eng_parse_into(ctx, &h->to, &to, "To");
	eng_parse_into(ctx, &h->cc, &cc, "Cc");
	eng_count_list(eng, &to, &pc, &pc.in_to);
	eng_count_list(eng, &cc, &pc, &pc.in_cc);
	if ((long)pc.nparties >= eng->min_parties)
		rule = "visible-external-parties";
	else if ((long)pc.naddrs >= eng->max_visible)
		rule = "visible-external-count";
	if (rule) {
		where = pc.in_to && pc.in_cc ? "header:To,Cc" :
			pc.in_to ? "header:To" : "header:Cc";
		sg_buf_init(&ev, 4096);
		eng_exposed_evidence(eng, &pc, &ev);
		eng_add_finding(ctx->res, ENG_CAT_EXPOSED, rule,
				"複数の外部の宛先が To/Cc で互いに見えます (Bcc を使ってください)",
				"Several external recipients can see each other's "
				"addresses in To/Cc (use Bcc)",
				where, pc.naddrs, sg_buf_cstr(&ev),
				eng->actions[ENG_CAT_EXPOSED]);
		sg_buf_free(&ev);
	}
	for (size_t i = 0; i < pc.naddrs; i++)
		free(pc.addrs[i]);
	for (size_t i = 0; i < pc.nparties; i++)
		free(pc.parties[i]);
	free(pc.addrs);
	free(pc.parties);
	eng_addr_list_free(&to);
	eng_addr_list_free(&cc);
}

int eng_bcc_rewrite(const eng_engine *eng, const char *raw, bool is_to,
		    sg_buf *out)
{
	eng_addr_list l;
	size_t kept = 0;

	eng_addr_list_init(&l, eng->lim.addresses);
	eng_addr_parse(raw, strlen(raw), &l);
	for (size_t i = 0; i < l.n; i++) {
		if (*l.v[i].domain == '\0' || !eng_addr_is_internal(eng, l.v[i].addr))
			continue;
		sg_buf_printf(out, "%s%s", kept ? ", " : "", l.v[i].addr);
		kept++;
	}
	if (kept == l.n && !l.truncated) {
		eng_addr_list_free(&l);
		sg_buf_reset(out);
		return 0;	/* nothing external here: leave it as written */
	}
	eng_addr_list_free(&l);
	if (kept == 0 && is_to)
		sg_buf_puts(out, "undisclosed-recipients:;");
	return 1;
}

bool eng_addr_is_internal(const eng_engine *eng, const char *addr)
{
	return sg_addr_internal(addr, eng->internal, eng->ninternal);
}

bool eng_rcpt_is_internal(const eng_engine *eng, const char *given,
			  const char *resolved)
{
	return sg_addr_rcpt_internal(given, resolved, eng->internal, eng->ninternal);
}

/* ---------------------------------------------------- private-recipient */

/* Consumer domains among the recipients, each with its count and the
 * first address (masked in the evidence). */
typedef struct eng_private {
	char **dom, **first;
	unsigned long *count;
	size_t n;
} eng_private;

static void eng_private_add(const eng_engine *eng, eng_private *p,
			    const char *addr)
{
	sg_addr a;

	if (addr == NULL || sg_addr_parse(addr, &a) < 0)
		return;
	if (!a.literal && *a.domain && eng_is_consumer(eng, a.domain)) {
		size_t i;

		for (i = 0; i < p->n && strcmp(p->dom[i], a.domain) != 0; i++)
			;
		if (i == p->n) {
			p->dom = sg_xreallocarray(p->dom, p->n + 1, sizeof(*p->dom));
			p->first = sg_xreallocarray(p->first, p->n + 1, sizeof(*p->first));
			p->count = sg_xreallocarray(p->count, p->n + 1, sizeof(*p->count));
			p->dom[i] = sg_xstrdup(a.domain);
			p->first[i] = sg_xstrdup(addr);
			p->count[i] = 0;
			p->n++;
		}
		p->count[i]++;
	}
	sg_addr_free(&a);
}

/* Issue 19 (釜石市: residents' data mailed to a home PC; 小谷村: no
 * work mail to private PCs): an attachment, or personal data already
 * found, going to a consumer, free-mail or carrier address
 * (rules/consumer-domains, the list exposed-recipients uses). The
 * envelope decides, as it does the scope: the address as given and as
 * the MTA resolved it ("user%gmail.com@ours" goes to gmail.com). */
void eng_recip_private(eng_ctx *ctx, const eng_envelope *env, const eng_hdrs *h)
{
	const eng_engine *eng = ctx->eng;
	eng_private p = { 0 };
	bool personal = false;

	for (size_t i = 0; i < ctx->res->nfindings && !personal; i++)
		personal = ctx->res->findings[i].cat == ENG_CAT_PERSONAL;
	if (!personal && !ctx->has_attachment)
		return;
	if (env && env->nrcpts > 0) {
		for (size_t i = 0; i < env->nrcpts && i < eng->lim.addresses; i++) {
			const char *res = env->rcpts_resolved ?
					  env->rcpts_resolved[i] : NULL;
			size_t before = p.n;

			if (eng_rcpt_is_internal(eng, env->rcpts[i], res))
				continue;
			eng_private_add(eng, &p, env->rcpts[i]);
			if (p.n == before && res && strchr(res, '@'))
				eng_private_add(eng, &p, res);
		}
	} else {
		eng_addr_list l;
		const sg_buf *hdr[3] = { &h->to, &h->cc, &h->bcc };

		/* Reading too many addresses was reported by the scope. */
		eng_addr_list_init(&l, eng->lim.addresses);
		for (size_t k = 0; k < 3; k++)
			if (hdr[k]->len)
				eng_addr_parse(sg_buf_cstr(hdr[k]), hdr[k]->len, &l);
		for (size_t i = 0; i < l.n; i++)
			if (!eng_addr_is_internal(eng, l.v[i].addr))
				eng_private_add(eng, &p, l.v[i].addr);
		eng_addr_list_free(&l);
	}
	for (size_t i = 0; i < p.n; i++) {
		sg_buf where, ev;

		sg_buf_init(&where, 512);
		sg_buf_init(&ev, 1024);
		sg_buf_printf(&where, "recipient:%s", p.dom[i]);
		eng_mask_address(p.first[i], &ev);
		if (p.count[i] > 1)
			sg_buf_printf(&ev, " (+%lu)", p.count[i] - 1);
		sg_buf_puts(&ev, personal ? " 個人情報 personal data" :
				 " 添付ファイル attachment");
		eng_add_finding(ctx->res, ENG_CAT_PRIVATE, "private-recipient",
				"個人用 (フリーメール・携帯) のアドレスに添付ファイルや"
				"個人情報を送ろうとしています",
				"Attachment or personal data to a private (free-mail "
				"or carrier) address",
				sg_buf_cstr(&where), p.count[i], sg_buf_cstr(&ev),
				eng->actions[ENG_CAT_PRIVATE]);
		sg_buf_free(&where);
		sg_buf_free(&ev);
		free(p.dom[i]);
		free(p.first[i]);
	}
	free(p.dom);
	free(p.first);
	free(p.count);
}
