/*
 * NAME
 *	eng_rules - build an engine: settings and rule files
 * DESCRIPTION
 *	Copies what the scan needs out of the configuration, and loads the
 *	rule files of [rules] dir:
 *
 *	consumer-domains: one domain a line ('#' comments). At these
 *	free-mail and carrier domains each address is its own party.
 *
 *	classification: INI-style, one [rule-id] section a marking, keys
 *	label_ja, label_en, action (a key of [actions]: classified or
 *	classified-3), pattern (PCRE2, UTF, matched against NFKC text) and
 *	trusted_exempt (yes: allowed when every external recipient is in
 *	trusted_domains, as POLICY.md allows for 機密性2 over LGWAN). One
 *	rule may have context = mention and, instead of a pattern, the
 *	patterns label_before, label_after, mention_after and sign_after
 *	that tell a label from a mention in running text (eng_mark.c).
 *
 *	personal-data: the detectors, loaded by eng_pd_rules.c.
 *
 *	surnames: family names of the name finder (eng_pd_person.c).
 *
 *	dangerous-extensions: one extension a line, loaded by eng_attach.c.
 *
 *	Patterns are compiled once, with JIT when available. A bad line,
 *	key or pattern is an error naming the file, line and rule.
 */
#include "engine/eng_int.h"
#include "engine/eng_addr.h"
#include "engine/eng_attach.h"
#include "engine/eng_pd.h"
#include "engine/eng_pd_person.h"
#include "util/sg_ini.h"
#include "util/sg_mem.h"

#include <ctype.h>
#include <errno.h>
#include <gmime/gmime.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pcre2_match limits of every pattern: a pathological text must not
 * hang the scan, and hitting one is a scan-limit finding, never "no
 * match" (with JIT the depth limit is not used; the JIT stack is
 * PCRE2's default 32 KiB, and running out of it is reported alike). */
#define ENG_MATCH_LIMIT 1000000
#define ENG_DEPTH_LIMIT 10000
#define ENG_HEAP_LIMIT_KIB 20480

/* Rule files are read whole; a larger one is a mistake. */
#define ENG_RULE_LIST_MAX 100000

static const char *const eng_cat_names[ENG_CAT_COUNT] = {
	"unencrypted-attachment", "personal-data", "exposed-recipients",
	"dangerous-attachment", "classified", "scan-limit", "private-recipient",
};

const char *eng_category_name(eng_category cat)
{
	return cat < ENG_CAT_COUNT ? eng_cat_names[cat] : "?";
}

const char *eng_action_name(eng_action act)
{
	static const char *const names[] = { "accept", "log", "bcc", "hold", "reject" };
	return act <= ENG_ACT_REJECT ? names[act] : "?";
}

const char *eng_action_label_ja(eng_action act)
{
	static const char *const names[] = { "送信許可", "記録", "Bcc に変更",
					      "保留", "拒否" };
	return act <= ENG_ACT_REJECT ? names[act] : "?";
}

/* Rule ids go into the 5.7.1 reply, log lines and notices: a long or
 * non-ASCII one once overflowed the reply buffer. NULL when id is fine. */
const char *eng_rule_id_problem(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > ENG_RULE_ID_MAX)
		return "a rule id has 1 to 64 bytes";
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80)
			if (!strchr("-_.:", *p))
				return "a rule id is ASCII letters, digits, '-', '_', '.' "
				       "and ':' only";
	return NULL;
}

static eng_action eng_action_parse(const char *s)
{
	static const char *const names[] = { "accept", "log", "bcc", "hold", "reject" };

	for (int i = 0; i <= ENG_ACT_REJECT; i++)
		if (strcmp(s, names[i]) == 0)
			return (eng_action)i;
	return ENG_ACT_HOLD;	/* the table allows no other value */
}

static char **eng_strv_dup(char *const *v, size_t n)
{
	char **out = sg_xcalloc(n ? n : 1, sizeof(char *));

	for (size_t i = 0; i < n; i++)
		out[i] = sg_xstrdup(v[i]);
	return out;
}

static void eng_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void eng_settings_load(eng_settings *st, const sg_conf *conf,
			      const sg_conf_group *g)
{
#define ENG_V(sec, key) sg_conf_gvalue(conf, g, sec, key)
	const sg_value *v = ENG_V("policy", "trusted_domains");

	st->trusted = eng_strv_dup(v->list, v->nlist);
	st->ntrusted = v->nlist;
	for (int c = 0; c < ENG_CAT_COUNT; c++)
		st->actions[c] = eng_action_parse(ENG_V("actions", eng_cat_names[c])->text);
	st->action_class3 = eng_action_parse(ENG_V("actions", "classified-3")->text);
	st->min_parties = (long)ENG_V("exposed_recipients", "min_parties")->num;
	st->max_visible = (long)ENG_V("exposed_recipients", "max_visible_external")->num;
	st->lim.message_size = (size_t)ENG_V("limits", "max_message_size")->num;
	st->lim.mime_depth = (unsigned)ENG_V("limits", "max_mime_depth")->num;
	st->lim.parts = (unsigned)ENG_V("limits", "max_parts")->num;
	st->lim.header_size = (size_t)ENG_V("limits", "max_header_size")->num;
	st->lim.addresses = (size_t)ENG_V("limits", "max_addresses")->num;
	st->lim.text_size = (size_t)ENG_V("limits", "max_text_size")->num;
	st->lim.scan_timeout = (unsigned)ENG_V("limits", "scan_timeout")->num;
	st->lim.archive_depth = (unsigned)ENG_V("limits", "max_archive_depth")->num;
	st->lim.archive_entries = (size_t)ENG_V("limits", "max_archive_entries")->num;
	st->lim.expanded_size = (size_t)ENG_V("limits", "max_expanded_size")->num;
	st->lim.undecodable_pct = (unsigned)ENG_V("limits", "max_undecodable")->share;
	st->lim.undecodable_bytes = (size_t)ENG_V("limits", "max_undecodable")->num;
	st->lim.expansion_ratio = (unsigned)ENG_V("limits", "max_expansion_ratio")->num;
	st->lim.pdf_pages = (unsigned)ENG_V("limits", "max_pdf_pages")->num;
	st->lim.pdf_timeout = (unsigned)ENG_V("limits", "pdf_timeout")->num;
	st->lim.pdf_memory = (unsigned long long)ENG_V("limits", "pdf_memory")->num;
	st->pd_min_conf = eng_pd_conf_parse(ENG_V("personal_data", "min_confidence")->text);
	st->delay = (long)ENG_V("hold", "delay")->num;
#undef ENG_V
}

static void eng_copy_settings(eng_engine *eng, const sg_conf *conf)
{
	char *const *v;
	size_t n;

	v = sg_conf_list(conf, "policy", "internal_domains", &n);
	eng->internal = eng_strv_dup(v, n);
	eng->ninternal = n;
	eng->monitor = strcmp(sg_conf_str(conf, "policy", "mode"), "monitor") == 0;
	eng->delims = sg_xstrdup(sg_conf_str(conf, "policy", "recipient_delimiter"));
	eng->defaults.name = sg_xstrdup("");
	eng->defaults.senders = eng_strv_dup(NULL, 0);
	eng_settings_load(&eng->defaults.set, conf, NULL);
	eng->groups = sg_xcalloc(conf->ngroups ? conf->ngroups : 1, sizeof(eng_group));
	for (size_t i = 0; i < conf->ngroups; i++) {
		const sg_conf_group *cg = &conf->groups[i];
		eng_group *g = &eng->groups[i];

		g->name = sg_xstrdup(cg->name);
		g->senders = eng_strv_dup(cg->senders.list, cg->senders.nlist);
		g->nsenders = cg->senders.nlist;
		eng_settings_load(&g->set, conf, cg);
	}
	eng->ngroups = conf->ngroups;
	/* The engine's own fields are the defaults' (eng_int.h). */
	eng_group_view(eng, &eng->defaults, eng);
	eng->trusted = eng_strv_dup(eng->defaults.set.trusted, eng->defaults.set.ntrusted);
}

/* consumer-domains: a plain list, so that administrators can append
 * their region's carriers without learning a syntax. */
static int eng_load_domains(eng_engine *eng, const char *path, sg_buf *err)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	unsigned lineno = 0;

	if (fp == NULL) {
		sg_buf_printf(err, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		char *s = line, *e;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			sg_buf_printf(err, "%s:%u: line is too long", path, lineno);
			fclose(fp);
			return -1;
		}
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '#' || *s == ';' || *s == '\0')
			continue;
		for (e = s; *e && !isspace((unsigned char)*e) && *e != '#'; e++)
			*e = (char)tolower((unsigned char)*e);
		*e = '\0';
		if (strchr(s, '.') == NULL || strchr(s, '@') != NULL ||
		    eng->nconsumer >= ENG_RULE_LIST_MAX) {
			sg_buf_printf(err, "%s:%u: %s: not a domain name", path,
				      lineno, s);
			fclose(fp);
			return -1;
		}
		eng->consumer = sg_xreallocarray(eng->consumer, eng->nconsumer + 1,
						 sizeof(char *));
		eng->consumer[eng->nconsumer++] = sg_xstrdup(s);
	}
	fclose(fp);
	return 0;
}

typedef struct eng_mark_load {
	eng_engine *eng;
	eng_marking *cur;
	unsigned cur_line;
	const char *path;
} eng_mark_load;

static int eng_mark_finish(eng_mark_load *ld, sg_buf *err)
{
	eng_marking *m = ld->cur;

	if (m == NULL)
		return 0;
	ld->cur = NULL;
	if ((m->re == NULL && !m->mention) || m->label_ja == NULL || m->label_en == NULL) {
		sg_buf_reset(err);
		sg_buf_printf(err, "%s:%u: [%s]: rule needs pattern, label_ja and "
			      "label_en", ld->path, ld->cur_line, m->id);
		return -1;
	}
	if ((m->mention && m->re) ||
	    (!m->mention && (m->label_before || m->label_after || m->mention_after ||
			     m->sign_after))) {
		sg_buf_reset(err);
		sg_buf_printf(err, "%s:%u: [%s]: a rule with context = mention has "
			      "label_before/label_after/mention_after/sign_after and no pattern; "
			      "other rules have a pattern only", ld->path, ld->cur_line, m->id);
		return -1;
	}
	if (m->mention && m->class3) {
		sg_buf_reset(err);
		sg_buf_printf(err, "%s:%u: [%s]: a mention is never class 3 (POLICY.md): "
			      "action = classified", ld->path, ld->cur_line, m->id);
		return -1;
	}
	for (size_t i = 0; m->mention && i + 1 < ld->eng->nmarks; i++)
		if (ld->eng->marks[i].mention) {
			sg_buf_reset(err);
			sg_buf_printf(err, "%s:%u: [%s]: only one rule may have "
				      "context = mention", ld->path, ld->cur_line, m->id);
			return -1;
		}
	return 0;
}

static int eng_mark_pattern(pcre2_code **slot, const sg_ini_pos *pos,
			    const char *key, const char *value, sg_buf *err)
{
	int ec;
	PCRE2_SIZE off;
	char msg[256];

	if (*slot) {
		sg_ini_error(err, pos, key, "one pattern per rule (use |)");
		return -1;
	}
	*slot = pcre2_compile((PCRE2_SPTR)value, PCRE2_ZERO_TERMINATED,
			      PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &ec, &off, NULL);
	if (*slot == NULL) {
		pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof(msg));
		sg_ini_error(err, pos, key, "bad pattern at offset %zu: %s",
			     (size_t)off, msg);
		return -1;
	}
	/* JIT is an optimisation: without it the interpreter still works.
	 * `make valgrind` builds without it: memcheck cannot follow the
	 * generated code and reports its reads as uninitialised. */
#ifndef SG_NO_PCRE2_JIT
	(void)pcre2_jit_compile(*slot, PCRE2_JIT_COMPLETE);
#endif
	return 0;
}

static int eng_mark_key(eng_mark_load *ld, const sg_ini_pos *pos,
			const char *key, const char *value, sg_buf *err)
{
	eng_marking *m = ld->cur;
	char **slot = NULL;

	if (m == NULL) {
		sg_ini_error(err, pos, key, "key outside a [rule] section");
		return -1;
	}
	if (strcmp(key, "pattern") == 0)
		return eng_mark_pattern(&m->re, pos, key, value, err);
	if (strcmp(key, "label_before") == 0)
		return eng_mark_pattern(&m->label_before, pos, key, value, err);
	if (strcmp(key, "label_after") == 0)
		return eng_mark_pattern(&m->label_after, pos, key, value, err);
	if (strcmp(key, "mention_after") == 0)
		return eng_mark_pattern(&m->mention_after, pos, key, value, err);
	if (strcmp(key, "sign_after") == 0)
		return eng_mark_pattern(&m->sign_after, pos, key, value, err);
	if (strcmp(key, "context") == 0) {
		if (strcmp(value, "mention") && strcmp(value, "label") &&
		    strcmp(value, "always")) {
			sg_ini_error(err, pos, key, "expected label, always or mention");
			return -1;
		}
		m->mention = strcmp(value, "mention") == 0;
		m->always = strcmp(value, "always") == 0;
		return 0;
	}
	if (strcmp(key, "label_ja") == 0)
		slot = &m->label_ja;
	else if (strcmp(key, "label_en") == 0)
		slot = &m->label_en;
	if (slot) {
		free(*slot);
		*slot = sg_xstrdup(value);
		return 0;
	}
	if (strcmp(key, "action") == 0) {
		if (strcmp(value, "classified") == 0) {
			m->action = ld->eng->actions[ENG_CAT_CLASSIFIED];
			m->class3 = false;
		}
		else if (strcmp(value, "classified-3") == 0) {
			m->action = ld->eng->action_class3;
			m->class3 = true;
		}
		else {
			sg_ini_error(err, pos, key, "expected classified or classified-3");
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "trusted_exempt") == 0) {
		if (strcmp(value, "yes") && strcmp(value, "no")) {
			sg_ini_error(err, pos, key, "expected yes or no");
			return -1;
		}
		m->trusted_exempt = strcmp(value, "yes") == 0;
		return 0;
	}
	sg_ini_error(err, pos, key, "unknown key");
	return -1;
}

static int eng_mark_cb(void *vld, const sg_ini_pos *pos, const char *key,
		       const char *value, sg_buf *err)
{
	eng_mark_load *ld = vld;
	eng_engine *eng = ld->eng;

	if (key != NULL)
		return eng_mark_key(ld, pos, key, value, err);
	if (eng_mark_finish(ld, err) < 0)
		return -1;
	if (eng_rule_id_problem(pos->section)) {
		sg_ini_error(err, pos, NULL, "%s",
			     eng_rule_id_problem(pos->section));
		return -1;
	}
	for (size_t i = 0; i < eng->nmarks; i++)
		if (strcmp(eng->marks[i].id, pos->section) == 0) {
			sg_ini_error(err, pos, NULL, "rule [%s] defined twice",
				     pos->section);
			return -1;
		}
	eng->marks = sg_xreallocarray(eng->marks, eng->nmarks + 1,
				      sizeof(eng_marking));
	ld->cur = &eng->marks[eng->nmarks++];
	memset(ld->cur, 0, sizeof(*ld->cur));
	ld->cur->id = sg_xstrdup(pos->section);
	ld->cur->action = eng->actions[ENG_CAT_CLASSIFIED];
	ld->cur_line = pos->line;
	return 0;
}

static int eng_load_marks(eng_engine *eng, const char *path, sg_buf *err)
{
	eng_mark_load ld = { eng, NULL, 0, path };

	if (sg_ini_parse(path, eng_mark_cb, &ld, err) < 0)
		return -1;
	return eng_mark_finish(&ld, err);
}

static void eng_gmime_init_once(void)
{
	g_mime_init();
}

eng_engine *eng_engine_new(const sg_conf *conf, sg_buf *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	eng_engine *eng = sg_xcalloc(1, sizeof(*eng));
	char *dir = sg_conf_path(conf, "rules", "dir");
	sg_buf path;
	int rc;

	pthread_once(&once, eng_gmime_init_once);
	eng_copy_settings(eng, conf);
	eng->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(eng->mctx, ENG_MATCH_LIMIT);
	pcre2_set_depth_limit(eng->mctx, ENG_DEPTH_LIMIT);
	pcre2_set_heap_limit(eng->mctx, ENG_HEAP_LIMIT_KIB);
	sg_buf_init(&path, SG_BUF_UNLIMITED);
	sg_buf_printf(&path, "%s/consumer-domains", dir);
	rc = eng_load_domains(eng, sg_buf_cstr(&path), err);
	if (rc == 0) {
		sg_buf_reset(&path);
		sg_buf_printf(&path, "%s/classification", dir);
		rc = eng_load_marks(eng, sg_buf_cstr(&path), err);
	}
	if (rc == 0) {
		sg_buf_reset(&path);
		sg_buf_printf(&path, "%s/dangerous-extensions", dir);
		rc = eng_attach_load_extensions(eng, sg_buf_cstr(&path), err);
	}
	if (rc == 0) {
		/* personal-data: the detectors of eng_pd.c */
		sg_buf_reset(&path);
		sg_buf_printf(&path, "%s/personal-data", dir);
		rc = eng_pd_load(eng, sg_buf_cstr(&path), err);
	}
	if (rc == 0) {
		/* the family names of the name finder (eng_pd_person.c) */
		sg_buf_reset(&path);
		sg_buf_printf(&path, "%s/surnames", dir);
		rc = eng_pd_person_load(eng, sg_buf_cstr(&path), err);
	}
	sg_buf_free(&path);
	free(dir);
	if (rc < 0) {
		eng_engine_free(eng);
		return NULL;
	}
	return eng;
}

void eng_engine_free(eng_engine *eng)
{
	if (eng == NULL)
		return;
	eng_strv_free(eng->internal, eng->ninternal);
	eng_strv_free(eng->trusted, eng->ntrusted);
	for (size_t i = 0; i <= eng->ngroups; i++) {
		eng_group *g = i < eng->ngroups ? &eng->groups[i] : &eng->defaults;

		free(g->name);
		eng_strv_free(g->senders, g->nsenders);
		eng_strv_free(g->set.trusted, g->set.ntrusted);
	}
	free(eng->groups);
	free(eng->delims);
	eng_strv_free(eng->consumer, eng->nconsumer);
	eng_strv_free(eng->dangerous_ext, eng->ndangerous_ext);
	for (size_t i = 0; i < eng->nmarks; i++) {
		free(eng->marks[i].id);
		free(eng->marks[i].label_ja);
		free(eng->marks[i].label_en);
		pcre2_code_free(eng->marks[i].re);
		pcre2_code_free(eng->marks[i].label_before);
		pcre2_code_free(eng->marks[i].label_after);
		pcre2_code_free(eng->marks[i].mention_after);
		pcre2_code_free(eng->marks[i].sign_after);
	}
	free(eng->marks);
	eng_pd_free(eng);
	eng_pd_person_free(eng);
	pcre2_match_context_free(eng->mctx);
	free(eng);
}
