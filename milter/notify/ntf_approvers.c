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

/* Each category with its [approval] options, by id (sg_options.def):
 * ntf_routing_init() reads them once per configuration. */
static const struct {
	const char *name;
	sg_opt_id required, escalate;
} ntf_categories[NTF_NCATEGORIES] = {
	{ "unencrypted-attachment", SG_O_approval_required_unencrypted_attachment,
	  SG_O_approval_escalate_unencrypted_attachment },
	{ "personal-data", SG_O_approval_required_personal_data,
	  SG_O_approval_escalate_personal_data },
	{ "exposed-recipients", SG_O_approval_required_exposed_recipients,
	  SG_O_approval_escalate_exposed_recipients },
	{ "dangerous-attachment", SG_O_approval_required_dangerous_attachment,
	  SG_O_approval_escalate_dangerous_attachment },
	{ "classified", SG_O_approval_required_classified,
	  SG_O_approval_escalate_classified },
	{ "scan-limit", SG_O_approval_required_scan_limit,
	  SG_O_approval_escalate_scan_limit },
	{ "classified-3", SG_O_approval_required_classified_3,
	  SG_O_approval_escalate_classified_3 },
	{ "private-recipient", SG_O_approval_required_private_recipient,
	  SG_O_approval_escalate_private_recipient },
};

/* The index of a category in ntf_categories, or -1. */
static int ntf_category_index(const char *name)
{
	for (int i = 0; name && i < NTF_NCATEGORIES; i++)
		if (strcmp(ntf_categories[i].name, name) == 0)
			return i;
	return -1;
}

bool ntf_category_valid(const char *name)
{
	return ntf_category_index(name) >= 0;
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

/* [approval] and [approvers] resolved once per configuration (issue
 * 21): a held mail's routing compares addresses and categories, and
 * looks no option or [approvers] key up by name. */
void ntf_routing_init(ntf_routing *r, const sg_conf *conf)
{
	size_t n;
	char *const *order = SG_CONF_LIST(conf, approval_category_order, &n);

	memset(r, 0, sizeof(*r));
	r->conf = conf;
	r->required = SG_CONF_NUM(conf, approval_required);
	r->escalate_to = SG_CONF_STR(conf, approval_escalate_to);
	for (int c = 0; c < NTF_NCATEGORIES; c++) {
		r->required_cat[c] = sg_conf_v(conf, ntf_categories[c].required)->num;
		r->escalate_cat[c] = sg_conf_v(conf, ntf_categories[c].escalate)->text;
	}
	/* category_order as the categories tried, in turn: classified-3
	 * (a sub-category) just before classified. The loader allowed
	 * only category names; anything else is skipped. */
	r->order = sg_xreallocarray(NULL, 2 * n + 1, sizeof(*r->order));
	for (size_t i = 0; i < n; i++) {
		int c = ntf_category_index(order[i]);

		if (c < 0)
			continue;
		if (strcmp(order[i], "classified") == 0)
			r->order[r->norder++] = ntf_category_index("classified-3");
		r->order[r->norder++] = c;
	}
	/* [approvers]: default, category:NAME, and the sender globs in
	 * file order (the first that matches routes). */
	r->globs = sg_xreallocarray(NULL, conf->nentries + 1, sizeof(*r->globs));
	for (size_t i = 0; i < conf->nentries; i++) {
		const sg_conf_entry *e = &conf->entries[i];

		if (strcmp(e->section, "approvers") != 0)
			continue;
		if (strcmp(e->key, "default") == 0) {
			if (r->def == NULL)
				r->def = e;
		} else if (strncmp(e->key, NTF_CATEGORY_PREFIX,
				   strlen(NTF_CATEGORY_PREFIX)) == 0) {
			int c = ntf_category_index(e->key + strlen(NTF_CATEGORY_PREFIX));

			if (c >= 0 && r->category[c] == NULL)
				r->category[c] = e;
		} else {
			r->globs[r->nglobs++] = e;
		}
	}
	r->delims = SG_CONF_STR(conf, policy_recipient_delimiter);
}

void ntf_routing_free(ntf_routing *r)
{
	free(r->order);
	free(r->globs);
	memset(r, 0, sizeof(*r));
}

/* The first glob (not default, not category:) that matches addr, as
 * written or as its canonical identity with or without extension, so
 * that kacho+x@ is routed (and excluded) like kacho@; the matcher is
 * sg_addr's, the one [group.NAME] senders use too. */
static const sg_conf_entry *ntf_find_glob(const ntf_routing *r, const char *addr)
{
	if (addr == NULL || *addr == '\0')
		return NULL;
	for (size_t i = 0; i < r->nglobs; i++)
		if (sg_addr_glob_match(r->globs[i]->key, addr, r->delims))
			return r->globs[i];
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

/* The categories of a hold as a set of ntf_categories indices; names
 * that are no category are not in it (no option or key has them). */
static unsigned ntf_cat_set(const char *const *cats, size_t ncat)
{
	unsigned set = 0;

	for (size_t i = 0; i < ncat; i++) {
		int c = ntf_category_index(cats[i]);

		if (c >= 0)
			set |= 1u << c;
	}
	return set;
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
static bool ntf_add_category(const ntf_routing *r, unsigned cats,
			     const sg_idset *ex, ntf_strv *out)
{
	for (size_t i = 0; i < r->norder; i++) {
		int c = r->order[i];

		if ((cats & (1u << c)) && ntf_add_entry(r->category[c], ex, out) > 0)
			return true;
	}
	return false;
}

size_t ntf_route_approvers(const ntf_routing *r, const char *sender,
			   const char *from_addr, const char *auth_login,
			   const char *const *categories, size_t ncat, ntf_strv *out)
{
	const sg_conf *conf = r->conf;
	size_t before = out->n;
	sg_idset ex;

	int gi = sg_conf_group_for(conf, sender, auth_login);
	const sg_value *gapp = gi >= 0 && conf->groups[gi].approvers.nlist ?
			       &conf->groups[gi].approvers : NULL;

	sg_idset_sender(&ex, conf, sender, from_addr, auth_login);
	if (auth_login == NULL || *auth_login == '\0') {
		void *arg[2] = { (void *)r, &ex };

		ntf_exclude_routing_cb(sender ? sender : "", arg);
		sg_addr_split(from_addr, SG_IDSET_MAX, ntf_exclude_routing_cb, arg);
		/* The group was picked from the same claims. */
		for (size_t i = 0; gapp && i < gapp->nlist; i++)
			sg_idset_add(&ex, gapp->list[i]);
	}
	/* A category's approvers replace the defaults: the security
	 * officer's check of a 取扱注意 mail is not shared with the
	 * sender's own section (issue 14). */
	if (!ntf_add_category(r, ntf_cat_set(categories, ncat), &ex, out)) {
		const sg_conf_entry *glob = ntf_find_glob(r, sender);

		/* A sender group's approvers replace the sender globs for
		 * its members (issue 19). */
		if (gapp) {
			sg_conf_entry ge = { NULL, NULL, gapp->list, gapp->nlist,
					     gapp->line };

			ntf_add_entry(&ge, &ex, out);
		} else {
			ntf_add_entry(glob ? glob : r->def, &ex, out);
		}
	}
	if (out->n == before)
		ntf_add_entry(r->def, &ex, out);
	sg_idset_free(&ex);
	return out->n;
}

/* Issue 18: approvals needed for a hold of these categories: the
 * largest [approval] required_<category> among them (0 there: as
 * required), never less than [approval] required. */
unsigned ntf_route_required(const ntf_routing *r, const char *const *cats, size_t ncat)
{
	long long req = r->required;

	for (size_t i = 0; i < ncat && i < ST_MAX_CATEGORIES; i++) {
		int c = ntf_category_index(cats[i]);

		if (c >= 0 && r->required_cat[c] > req)
			req = r->required_cat[c];
	}
	return req < 1 ? 1u : req > ST_REQUIRED_MAX ? ST_REQUIRED_MAX : (unsigned)req;
}

/* The escalation address of a hold: escalate_<category> of the first
 * of its categories in [approval] category_order that has one (the
 * category that decides its approvers decides this too), else
 * escalate_to; NULL: none. */
const char *ntf_route_escalation(const ntf_routing *r, const char *const *cats,
				 size_t ncat)
{
	unsigned set = ntf_cat_set(cats, ncat);

	for (size_t i = 0; i < r->norder; i++) {
		int c = r->order[i];

		if ((set & (1u << c)) && r->escalate_cat[c] && *r->escalate_cat[c])
			return r->escalate_cat[c];
	}
	return r->escalate_to && *r->escalate_to ? r->escalate_to : NULL;
}

/* The same for callers that hold only a configuration (sendguardctl,
 * the expiry run): resolved for the one call. */
size_t ntf_approvers_for(const sg_conf *conf, const char *sender,
			 const char *from_addr, const char *auth_login,
			 const char *const *categories, size_t ncat, ntf_strv *out)
{
	ntf_routing r;
	size_t n;

	ntf_routing_init(&r, conf);
	n = ntf_route_approvers(&r, sender, from_addr, auth_login, categories, ncat, out);
	ntf_routing_free(&r);
	return n;
}

unsigned ntf_required_for(const sg_conf *conf, const char *const *cats, size_t ncat)
{
	ntf_routing r;
	unsigned n;

	ntf_routing_init(&r, conf);
	n = ntf_route_required(&r, cats, ncat);
	ntf_routing_free(&r);
	return n;
}

const char *ntf_escalation_for(const sg_conf *conf, const char *const *cats,
			       size_t ncat)
{
	ntf_routing r;
	const char *to;

	ntf_routing_init(&r, conf);
	to = ntf_route_escalation(&r, cats, ncat);
	ntf_routing_free(&r);
	return to;	/* a string of conf's */
}
