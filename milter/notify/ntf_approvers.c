/*
 * NAME
 *	ntf_approvers - who approves a hold ([approvers] routing)
 * SYNOPSIS
 *	#include "notify/ntf.h"
 * DESCRIPTION
 *	A second person must check outgoing mail, and checking your own
 *	mail twice does not count (SOURCES.md: the training quiz marks it
 *	wrong). So the sender is never among the approvers, under any of
 *	the identities they go by (util/sg_addr.h: envelope sender, every
 *	From address, the SASL login as a login and as login@ each
 *	internal domain, each compared with and without its address
 *	extension). Without SMTP AUTH those are claims, so the approvers
 *	the sender's (and the From addresses') own glob would pick are
 *	excluded as well: a forged envelope sender cannot route the hold
 *	to oneself.
 *
 *	Order: when the hold has a category with a `category:NAME` line,
 *	the first such category in [approval] category_order decides
 *	(classified-3, a sub-category, just before classified), and its
 *	approvers replace the others. Otherwise (also when a category's
 *	approvers are all the sender) the first sender glob that matches,
 *	else `default`. When the exclusions leave nobody,
 *	`default` is asked instead. When even that leaves nobody the list
 *	is empty: the hold stays and the caller logs it (ntf.h).
 *
 *	ntf_approvers_check() runs at start-up, so that a typo in an
 *	approver's address is found by the administrator, not by a held
 *	mail nobody is told about.
 * DIAGNOSTICS
 *	ntf_approvers_check() returns -1 with
 *	"FILE:LINE: [approvers] KEY: what is wrong".
 */
#include "notify/ntf.h"
#include "store/st.h"
#include "util/sg_addr.h"
#include "util/sg_mem.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NTF_CATEGORY_PREFIX	"category:"
#define NTF_APPROVERS_MAX	1000	/* approvers of one hold */

static const char *const ntf_categories[] = {
	"unencrypted-attachment", "personal-data", "exposed-recipients",
	"dangerous-attachment", "classified", "scan-limit", "classified-3",
	"private-recipient",
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

static int ntf_check_key(const sg_conf *conf, const sg_conf_entry *e, sg_buf *err)
{
	const char *problem;

	if (strncmp(e->key, NTF_CATEGORY_PREFIX, strlen(NTF_CATEGORY_PREFIX)) == 0) {
		const char *name = e->key + strlen(NTF_CATEGORY_PREFIX);

		if (ntf_category_valid(name))
			return 0;
		ntf_conf_error(err, conf, e, "unknown category \"%s\" (expected one of "
			       "unencrypted-attachment, personal-data, exposed-recipients, "
			       "dangerous-attachment, classified, scan-limit, classified-3, "
			       "private-recipient)",
			       name);
		return -1;
	}
	if (strcmp(e->key, "default") == 0)
		return 0;
	if ((problem = sg_addr_glob_problem(e->key)) == NULL)
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

/* The first glob (not default, not category:) that matches addr, as
 * written or as its canonical identity with or without extension, so
 * that kacho+x@ is routed (and excluded) like kacho@; the matcher is
 * sg_addr's, the one [group.NAME] senders use too. */
static const sg_conf_entry *ntf_find_glob(const sg_conf *conf, const char *addr)
{
	if (addr == NULL || *addr == '\0')
		return NULL;
	for (size_t i = 0; i < conf->nentries; i++) {
		const sg_conf_entry *e = &conf->entries[i];

		if (strcmp(e->section, "approvers") != 0 || strcmp(e->key, "default") == 0 ||
		    strncmp(e->key, NTF_CATEGORY_PREFIX, strlen(NTF_CATEGORY_PREFIX)) == 0)
			continue;
		if (sg_addr_glob_match(e->key, addr, sg_addr_delims(conf)))
			return e;
	}
	return NULL;
}

static const sg_conf_entry *ntf_find_key(const sg_conf *conf, const char *key)
{
	for (size_t i = 0; i < conf->nentries; i++)
		if (strcmp(conf->entries[i].section, "approvers") == 0 &&
		    strcmp(conf->entries[i].key, key) == 0)
			return &conf->entries[i];
	return NULL;
}

/* Whoever the sender's own glob routes to. Without SMTP AUTH the
 * envelope sender and From are claims: the 課長 who writes his
 * subordinate's address would otherwise have the hold routed to
 * himself (issue 14). */
static void ntf_exclude_routing_cb(const char *addr, void *arg)
{
	void **a = arg;
	const sg_conf_entry *e = ntf_find_glob(a[0], addr);

	for (size_t i = 0; e && i < e->nlist; i++)
		sg_idset_add(a[1], e->list[i]);
}

static bool ntf_has_cat(const char *name, const char *const *cats, size_t ncat)
{
	for (size_t i = 0; i < ncat; i++)
		if (cats[i] && strcmp(cats[i], name) == 0)
			return true;
	return false;
}

static size_t ntf_add_entry(const sg_conf_entry *e, const sg_idset *ex, ntf_strv *out)
{
	size_t before = out->n;

	for (size_t i = 0; e && i < e->nlist && out->n < NTF_APPROVERS_MAX; i++) {
		bool dup = sg_idset_has(ex, e->list[i]);

		for (size_t j = 0; j < out->n && !dup; j++)
			dup = sg_addr_same_exact(out->v[j], e->list[i]);
		if (!dup)
			ntf_strv_add(out, e->list[i]);
	}
	return out->n - before;
}

/* The category that decides: the first of [approval] category_order
 * that the hold has and that has approvers left after the exclusions;
 * classified-3 (a sub-category) is tried just before classified. */
static bool ntf_add_category(const sg_conf *conf, const char *const *cats, size_t ncat,
			     const sg_idset *ex, ntf_strv *out)
{
	size_t n;
	char *const *order = sg_conf_list(conf, "approval", "category_order", &n);
	sg_buf key;
	bool done = false;

	sg_buf_init(&key, 256);
	for (size_t i = 0; i < n && !done; i++) {
		const char *try[2] = { NULL, order[i] };

		if (strcmp(order[i], "classified") == 0)
			try[0] = "classified-3";
		for (size_t k = 0; k < 2 && !done; k++) {
			if (try[k] == NULL || !ntf_has_cat(try[k], cats, ncat))
				continue;
			sg_buf_reset(&key);
			sg_buf_printf(&key, NTF_CATEGORY_PREFIX "%s", try[k]);
			done = ntf_add_entry(ntf_find_key(conf, sg_buf_cstr(&key)), ex, out) > 0;
		}
	}
	sg_buf_free(&key);
	return done;
}

size_t ntf_approvers_for(const sg_conf *conf, const char *sender,
			 const char *from_addr, const char *auth_login,
			 const char *const *categories, size_t ncat, ntf_strv *out)
{
	const sg_conf_entry *def = ntf_find_key(conf, "default");
	size_t before = out->n;
	sg_idset ex;

	int gi = sg_conf_group_for(conf, sender, auth_login);
	const sg_value *gapp = gi >= 0 && conf->groups[gi].approvers.nlist ?
			       &conf->groups[gi].approvers : NULL;

	sg_idset_sender(&ex, conf, sender, from_addr, auth_login);
	if (auth_login == NULL || *auth_login == '\0') {
		void *arg[2] = { (void *)conf, &ex };

		ntf_exclude_routing_cb(sender ? sender : "", arg);
		sg_addr_split(from_addr, SG_IDSET_MAX, ntf_exclude_routing_cb, arg);
		/* The group was picked from the same claims. */
		for (size_t i = 0; gapp && i < gapp->nlist; i++)
			sg_idset_add(&ex, gapp->list[i]);
	}
	/* A category's approvers replace the defaults: the security
	 * officer's check of a 取扱注意 mail is not shared with the
	 * sender's own section (issue 14). */
	if (!ntf_add_category(conf, categories, ncat, &ex, out)) {
		const sg_conf_entry *glob = ntf_find_glob(conf, sender);

		/* A sender group's approvers replace the sender globs for
		 * its members (issue 19). */
		if (gapp) {
			sg_conf_entry ge = { NULL, NULL, gapp->list, gapp->nlist,
					     gapp->line };

			ntf_add_entry(&ge, &ex, out);
		} else {
			ntf_add_entry(glob ? glob : def, &ex, out);
		}
	}
	if (out->n == before)
		ntf_add_entry(def, &ex, out);
	sg_idset_free(&ex);
	return out->n;
}

/* Issue 18: approvals needed for a hold of these categories: the
 * largest [approval] required_<category> among them (0 there: as
 * required), never less than [approval] required. */
unsigned ntf_required_for(const sg_conf *conf, const char *const *cats, size_t ncat)
{
	long long req = sg_conf_num(conf, "approval", "required");
	sg_buf key;

	sg_buf_init(&key, 256);
	for (size_t i = 0; i < ncat && i < ST_MAX_CATEGORIES; i++) {
		long long c;

		sg_buf_reset(&key);
		sg_buf_printf(&key, "required_%s", cats[i]);
		if (sg_conf_option_index("approval", sg_buf_cstr(&key)) < 0)
			continue;
		c = sg_conf_num(conf, "approval", sg_buf_cstr(&key));
		if (c > req)
			req = c;
	}
	sg_buf_free(&key);
	return req < 1 ? 1u : req > ST_REQUIRED_MAX ? ST_REQUIRED_MAX : (unsigned)req;
}

/* The escalation address of a hold: escalate_<category> of the first
 * of its categories in [approval] category_order that has one (the
 * category that decides its approvers decides this too), else
 * escalate_to; NULL: none. */
const char *ntf_escalation_for(const sg_conf *conf, const char *const *cats,
			       size_t ncat)
{
	size_t n;
	char *const *order = sg_conf_list(conf, "approval", "category_order", &n);
	const char *to = NULL;
	sg_buf key;

	sg_buf_init(&key, 256);
	for (size_t i = 0; i < n && to == NULL; i++) {
		const char *try[2] = { NULL, order[i] };

		if (strcmp(order[i], "classified") == 0)
			try[0] = "classified-3";
		for (size_t k = 0; k < 2 && to == NULL; k++) {
			const char *v;

			if (try[k] == NULL || !ntf_has_cat(try[k], cats, ncat))
				continue;
			sg_buf_reset(&key);
			sg_buf_printf(&key, "escalate_%s", try[k]);
			if (sg_conf_option_index("approval", sg_buf_cstr(&key)) >= 0 &&
			    (v = sg_conf_str(conf, "approval", sg_buf_cstr(&key))) && *v)
				to = v;
		}
	}
	sg_buf_free(&key);
	if (to == NULL && (to = sg_conf_str(conf, "approval", "escalate_to")) && !*to)
		to = NULL;
	return to;
}
