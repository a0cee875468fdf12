/*
 * NAME
 *	ntf_approvers - who approves a hold ([approvers] routing)
 * SYNOPSIS
 *	#include "notify/ntf.h"
 * DESCRIPTION
 *	A second person must check outgoing mail, and checking your own
 *	mail twice does not count (SOURCES.md: the training quiz marks it
 *	wrong). So the sender is never among the approvers, under any of
 *	the names they go by: envelope sender, From address, AUTH login,
 *	and login@ the sender's domain when the login is a bare user name
 *	(ARCHITECTURE.md, "Who is who").
 *
 *	Order: every `category:NAME` line for a category the hold has (a
 *	class-2 marking goes to the security officer whoever sent it),
 *	then the first sender glob that matches, else `default`. When the
 *	exclusions leave nobody (a section head whose own mail matches his
 *	own glob), `default` is asked instead. When even that leaves nobody
 *	the list is empty: the hold stays and the caller logs it (ntf.h).
 *
 *	ntf_approvers_check() runs at start-up, so that a typo in an
 *	approver's address is found by the administrator, not by a held
 *	mail nobody is told about.
 * DIAGNOSTICS
 *	ntf_approvers_check() returns -1 with
 *	"FILE:LINE: [approvers] KEY: what is wrong".
 */
#include "notify/ntf.h"
#include "util/sg_mem.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NTF_CATEGORY_PREFIX	"category:"
#define NTF_APPROVERS_MAX	1000	/* approvers of one hold */
#define NTF_EXCLUDE_MAX		4

static const char *const ntf_categories[] = {
	"unencrypted-attachment", "personal-data", "exposed-recipients",
	"dangerous-attachment", "classified", "scan-limit", "classified-3",
};

bool ntf_category_valid(const char *name)
{
	for (size_t i = 0; i < sizeof(ntf_categories) / sizeof(ntf_categories[0]); i++)
		if (strcmp(ntf_categories[i], name) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------ ntf_strv */

void ntf_strv_init(ntf_strv *sv)
{
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

void ntf_strv_free(ntf_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	ntf_strv_init(sv);
}

void ntf_strv_add(ntf_strv *sv, const char *s)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = sg_xreallocarray(sv->v, sv->cap, sizeof(*sv->v));
	}
	sv->v[sv->n++] = sg_xstrdup(s ? s : "");
}

bool ntf_strv_has_ci(const ntf_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcasecmp(sv->v[i], s) == 0)
			return true;
	return false;
}

/* --------------------------------------------------------------- check */

static void ntf_conf_error(sg_buf *err, const sg_conf *conf, const sg_conf_entry *e,
			   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void ntf_conf_error(sg_buf *err, const sg_conf *conf, const sg_conf_entry *e,
			   const char *fmt, ...)
{
	va_list ap;

	sg_buf_printf(err, "%s:%u: [approvers] %s: ", conf->path ? conf->path : "?",
		      e->line, e->key);
	va_start(ap, fmt);
	sg_buf_vprintf(err, fmt, ap);
	va_end(ap);
}

/* local@domain with no blanks, controls, brackets or commas. */
static bool ntf_addr_valid(const char *a)
{
	const char *at = strchr(a, '@');

	if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@') ||
	    strlen(a) > NTF_PERSON_MAX)
		return false;
	for (; *a; a++)
		if ((unsigned char)*a <= ' ' || *a == 0x7f || strchr("<>(),;:\"\\", *a))
			return false;
	return true;
}

/* fnmatch has no compile step: reject what it would treat oddly (an
 * unclosed bracket matches a literal '[', a trailing backslash nothing)
 * so that a typo is an error, not a rule that never fires. */
static const char *ntf_glob_problem(const char *g)
{
	if (*g == '\0')
		return "empty pattern";
	for (size_t i = 0; g[i]; i++) {
		unsigned char c = (unsigned char)g[i];

		if (c <= ' ' || c == 0x7f)
			return "white space or control character in the pattern";
		if (c == '\\' && g[++i] == '\0')
			return "pattern ends with a backslash";
		if (c != '[')
			continue;
		i += (g[i + 1] == '!' || g[i + 1] == '^') ? 2 : 1;
		if (g[i] == ']')
			i++;
		while (g[i] && g[i] != ']')
			i++;
		if (g[i] == '\0')
			return "unclosed '[' in the pattern";
	}
	return NULL;
}

static int ntf_check_key(const sg_conf *conf, const sg_conf_entry *e, sg_buf *err)
{
	const char *problem;

	if (strncmp(e->key, NTF_CATEGORY_PREFIX, strlen(NTF_CATEGORY_PREFIX)) == 0) {
		const char *name = e->key + strlen(NTF_CATEGORY_PREFIX);

		if (ntf_category_valid(name))
			return 0;
		ntf_conf_error(err, conf, e, "unknown category \"%s\" (expected one of "
			       "unencrypted-attachment, personal-data, exposed-recipients, "
			       "dangerous-attachment, classified, scan-limit, classified-3)",
			       name);
		return -1;
	}
	if (strcmp(e->key, "default") == 0)
		return 0;
	if ((problem = ntf_glob_problem(e->key)) == NULL)
		return 0;
	ntf_conf_error(err, conf, e, "%s", problem);
	return -1;
}

static int ntf_check_values(const sg_conf *conf, const sg_conf_entry *e, sg_buf *err)
{
	if (e->nlist == 0) {
		ntf_conf_error(err, conf, e, "no approver given");
		return -1;
	}
	for (size_t i = 0; i < e->nlist; i++) {
		if (ntf_addr_valid(e->list[i]))
			continue;
		ntf_conf_error(err, conf, e, "\"%s\" is not an e-mail address "
			       "(expected local@domain)", e->list[i]);
		return -1;
	}
	return 0;
}

/* Repeated keys are refused by the loader (sg_conf) already. */
int ntf_approvers_check(const sg_conf *conf, sg_buf *err)
{
	for (size_t i = 0; i < conf->nentries; i++) {
		const sg_conf_entry *e = &conf->entries[i];

		if (strcmp(e->section, "approvers") != 0)
			continue;
		if (ntf_check_key(conf, e, err) < 0 || ntf_check_values(conf, e, err) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- routing */

/* The names the sender goes by; see DESCRIPTION. */
static void ntf_excluded(const char *sender, const char *from_addr,
			 const char *auth_login, ntf_strv *ex)
{
	const char *at = sender ? strrchr(sender, '@') : NULL;

	if (sender && *sender)
		ntf_strv_add(ex, sender);
	if (from_addr && *from_addr)
		ntf_strv_add(ex, from_addr);
	if (auth_login && *auth_login) {
		ntf_strv_add(ex, auth_login);
		if (strchr(auth_login, '@') == NULL && at) {
			sg_buf b;

			sg_buf_init(&b, SG_BUF_UNLIMITED);
			sg_buf_printf(&b, "%s%s", auth_login, at);
			ntf_strv_add(ex, sg_buf_cstr(&b));
			sg_buf_free(&b);
		}
	}
}

static void ntf_add_entry(const sg_conf_entry *e, const ntf_strv *ex, ntf_strv *out)
{
	for (size_t i = 0; i < e->nlist && out->n < NTF_APPROVERS_MAX; i++)
		if (!ntf_strv_has_ci(ex, e->list[i]) && !ntf_strv_has_ci(out, e->list[i]))
			ntf_strv_add(out, e->list[i]);
}

static bool ntf_has_category(const char *key, const char *const *cats, size_t ncat)
{
	size_t plen = strlen(NTF_CATEGORY_PREFIX);

	if (strncmp(key, NTF_CATEGORY_PREFIX, plen) != 0)
		return false;
	for (size_t i = 0; i < ncat; i++)
		if (cats[i] && strcmp(cats[i], key + plen) == 0)
			return true;
	return false;
}

static const sg_conf_entry *ntf_find_default(const sg_conf *conf)
{
	for (size_t i = 0; i < conf->nentries; i++)
		if (strcmp(conf->entries[i].section, "approvers") == 0 &&
		    strcmp(conf->entries[i].key, "default") == 0)
			return &conf->entries[i];
	return NULL;
}

/* The first glob (not default, not category:) that matches sender. */
static const sg_conf_entry *ntf_find_glob(const sg_conf *conf, const char *sender)
{
	for (size_t i = 0; i < conf->nentries && sender; i++) {
		const sg_conf_entry *e = &conf->entries[i];

		if (strcmp(e->section, "approvers") != 0 || strcmp(e->key, "default") == 0 ||
		    strncmp(e->key, NTF_CATEGORY_PREFIX, strlen(NTF_CATEGORY_PREFIX)) == 0)
			continue;
		if (fnmatch(e->key, sender, FNM_CASEFOLD) == 0)
			return e;
	}
	return NULL;
}

size_t ntf_approvers_for(const sg_conf *conf, const char *sender,
			 const char *from_addr, const char *auth_login,
			 const char *const *categories, size_t ncat, ntf_strv *out)
{
	const sg_conf_entry *def = ntf_find_default(conf), *glob;
	size_t before = out->n;
	ntf_strv ex;

	ntf_strv_init(&ex);
	ntf_excluded(sender, from_addr, auth_login, &ex);
	for (size_t i = 0; i < conf->nentries; i++)
		if (strcmp(conf->entries[i].section, "approvers") == 0 &&
		    ntf_has_category(conf->entries[i].key, categories, ncat))
			ntf_add_entry(&conf->entries[i], &ex, out);
	glob = ntf_find_glob(conf, sender);
	if (glob == NULL)
		glob = def;
	if (glob)
		ntf_add_entry(glob, &ex, out);
	if (out->n == before && def)
		ntf_add_entry(def, &ex, out);
	ntf_strv_free(&ex);
	return out->n;
}
