/*
 * NAME
 *	sg_conf - sendguard.conf loader and printer (see sg_conf.h)
 */
#include "util/sg_conf.h"
#include "util/sg_addr.h"
#include "util/sg_dsn.h"
#include "util/sg_gateway.h"
#include "util/sg_ini.h"
#include "util/sg_mem.h"
#include "util/sg_time.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Bounds a list value: a config list longer than this is a typo. */
#define SG_CONF_LIST_MAX 1000

static int sg_conf_find(const char *section, const char *key)
{
	for (size_t i = 0; i < sg_noptions; i++)
		if (strcmp(sg_options[i].section, section) == 0 &&
		    strcmp(sg_options[i].key, key) == 0)
			return (int)i;
	return -1;
}

int sg_conf_option_index(const char *section, const char *key)
{
	return sg_conf_find(section, key);
}

bool sg_conf_groupable(const sg_option *o)
{
	static const char *const sections[] = {
		"actions", "exposed_recipients", "personal_data", "limits",
	};

	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strcmp(o->section, sections[i]) == 0)
			return true;
	return (strcmp(o->section, "policy") == 0 &&
		strcmp(o->key, "trusted_domains") == 0) ||
	       (strcmp(o->section, "hold") == 0 && strcmp(o->key, "delay") == 0);
}

#define SG_GROUP_PREFIX "group."
#define SG_GROUP_NAME_MAX 64

static bool sg_conf_section_free(const char *section)
{
	for (size_t i = 0; i < sg_nfree_sections; i++)
		if (strcmp(sg_free_sections[i].section, section) == 0)
			return true;
	return false;
}

static bool sg_conf_section_known(const char *section)
{
	for (size_t i = 0; i < sg_noptions; i++)
		if (strcmp(sg_options[i].section, section) == 0)
			return true;
	return sg_conf_section_free(section);
}

static void sg_value_clear(sg_value *v)
{
	free(v->text);
	for (size_t i = 0; i < v->nlist; i++)
		free(v->list[i]);
	free(v->list);
	memset(v, 0, sizeof(*v));
}

static int sg_parse_bool(const char *s, long long *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return (*out = 1), 0;
		if (strcasecmp(s, no[i]) == 0)
			return (*out = 0), 0;
	}
	return -1;
}

/* A decimal number with an optional unit suffix from `units`
 * ("KMG" or "smhd"); the multiplier of each is in `mult`. */
static int sg_parse_scaled(const char *s, const char *units,
			   const long long *mult, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -1;
	while (*end == ' ')
		end++;
	if (*end) {
		const char *u = strchr(units, toupper((unsigned char)*end)) ?
		    strchr(units, toupper((unsigned char)*end)) :
		    strchr(units, tolower((unsigned char)*end));
		size_t idx;

		if (u == NULL)
			return -1;
		idx = (size_t)(u - units);
		end++;
		/* Accept "K", "KB", "KiB" alike for sizes. */
		if (mult[0] == 1024 && (strcasecmp(end, "b") == 0 ||
					strcasecmp(end, "ib") == 0))
			end += strlen(end);
		if (*end)
			return -1;
		if (v > LLONG_MAX / mult[idx])
			return -1;
		v *= mult[idx];
	}
	*out = v;
	return 0;
}

static bool sg_domain_ok(const char *d)
{
	size_t label = 0;

	if (*d == '\0' || *d == '.' || strlen(d) > 253)
		return false;
	for (; *d; d++) {
		if (*d == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum((unsigned char)*d) || *d == '-' || *d == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

static bool sg_enum_ok(const char *choices, const char *s);

static int sg_parse_list(const sg_option *opt, const char *s, sg_value *v,
			 const char **bad)
{
	while (*s) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		char *item;

		while (n && isspace((unsigned char)*s))
			s++, n--;
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		if (n) {
			if (v->nlist >= SG_CONF_LIST_MAX)
				return (*bad = "too many list items"), -1;
			item = sg_xstrndup(s, n);
			if (opt->type == SG_OPT_LIST && opt->choices &&
			    !sg_enum_ok(opt->choices, item)) {
				free(item);
				return (*bad = "not one of"), -1;
			}
			if (opt->type == SG_OPT_DOMAINS) {
				/* One form per domain, the one addresses are
				 * compared in (an IDN in punycode). */
				char *canon = sg_addr_domain_canon(item);

				free(item);
				item = canon;
				if (!sg_domain_ok(item)) {
					free(item);
					return (*bad = "not a domain name"), -1;
				}
			}
			v->list = sg_xreallocarray(v->list, v->nlist + 1,
						   sizeof(char *));
			v->list[v->nlist++] = item;
		}
		s = comma ? comma + 1 : s + n + strlen(s + n);
	}
	return 0;
}

static bool sg_enum_ok(const char *choices, const char *s)
{
	size_t n = strlen(s);

	for (const char *c = choices; c && *c;) {
		const char *bar = strchr(c, '|');
		size_t len = bar ? (size_t)(bar - c) : strlen(c);

		if (len == n && strncmp(c, s, n) == 0)
			return true;
		c = bar ? bar + 1 : c + len;
	}
	return false;
}

/* "PERCENT%, SIZE" (SG_OPT_SHARE): both parts required. */
static int sg_parse_share(const char *s, const long long *size_mult, sg_value *v)
{
	const char *comma = strchr(s, ',');
	char pct[32];
	size_t n;

	if (comma == NULL)
		return -1;
	n = (size_t)(comma - s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n < 2 || n >= sizeof(pct) || s[n - 1] != '%')
		return -1;
	memcpy(pct, s, n - 1);
	pct[n - 1] = '\0';
	if (sg_parse_scaled(pct, "", NULL, &v->share) < 0 || v->share < 0 ||
	    v->share > 100)
		return -1;
	comma++;
	while (isspace((unsigned char)*comma))
		comma++;
	return sg_parse_scaled(comma, "KMG", size_mult, &v->num);
}

/* Returned by sg_value_set for a number outside [min, max]: the
 * caller then names the range, so that an administrator reads the
 * limit (e.g. the least reconcile_grace) in the error itself. */
static const char sg_out_of_range[] = "value out of range";

static const char *sg_range_unit(const sg_option *o)
{
	return o->type == SG_OPT_DURATION ? "s" :
	       o->type == SG_OPT_SIZE || o->type == SG_OPT_SHARE ? " bytes" : "";
}

/* Converts `s` for `opt` into v; returns NULL or what is wrong. */
static const char *sg_value_set(const sg_option *opt, const char *s, sg_value *v)
{
	static const long long size_mult[] = { 1024, 1024 * 1024, 1024LL * 1024 * 1024 };
	static const long long dur_mult[] = { 1, 60, 3600, 86400 };
	const char *bad = NULL;

	sg_value_clear(v);
	switch (opt->type) {
	case SG_OPT_BOOL:
		if (sg_parse_bool(s, &v->num) < 0)
			return "expected yes or no";
		break;
	case SG_OPT_INT:
		if (sg_parse_scaled(s, "", NULL, &v->num) < 0)
			return "expected a whole number";
		break;
	case SG_OPT_SIZE:
		if (sg_parse_scaled(s, "KMG", size_mult, &v->num) < 0)
			return "expected a size such as 512K, 10M or 1G";
		break;
	case SG_OPT_DURATION:
		if (sg_parse_scaled(s, "smhd", dur_mult, &v->num) < 0)
			return "expected a duration such as 30s, 10m, 72h or 3d";
		break;
	case SG_OPT_ENUM:
		if (!sg_enum_ok(opt->choices, s))
			return "expected one of the listed values";
		break;
	case SG_OPT_LIST:
	case SG_OPT_DOMAINS:
		if (sg_parse_list(opt, s, v, &bad) < 0)
			return bad;
		break;
	case SG_OPT_SHARE:
		if (sg_parse_share(s, size_mult, v) < 0)
			return "expected a share and a size such as 2%, 64";
		break;
	case SG_OPT_STRING:
	case SG_OPT_PATH:
		break;
	}
	if ((opt->type == SG_OPT_INT || opt->type == SG_OPT_SIZE ||
	     opt->type == SG_OPT_DURATION || opt->type == SG_OPT_SHARE) &&
	    (v->num < opt->min || v->num > opt->max))
		return sg_out_of_range;
	v->text = sg_xstrdup(s);
	return NULL;
}

static int sg_conf_add_entry(sg_conf *conf, const sg_ini_pos *pos,
			     const char *key, const char *value, sg_buf *err)
{
	static const sg_option list_opt = { "", "", SG_OPT_LIST, "", NULL, 0, 0, "" };
	sg_value v = { 0 };
	sg_conf_entry *e;
	const char *bad = NULL;

	for (size_t i = 0; i < conf->nentries; i++)
		if (strcmp(conf->entries[i].section, pos->section) == 0 &&
		    strcasecmp(conf->entries[i].key, key) == 0) {
			sg_ini_error(err, pos, key, "set twice (first at line %u)",
				     conf->entries[i].line);
			return -1;
		}
	if (conf->nentries >= SG_CONF_LIST_MAX ||
	    sg_parse_list(&list_opt, value, &v, &bad) < 0) {
		sg_ini_error(err, pos, key, "%s", bad ? bad : "too many entries");
		sg_value_clear(&v);
		return -1;
	}
	conf->entries = sg_xreallocarray(conf->entries, conf->nentries + 1,
					 sizeof(*e));
	e = &conf->entries[conf->nentries++];
	e->section = sg_xstrdup(pos->section);
	e->key = sg_xstrdup(key);
	e->list = v.list;
	e->nlist = v.nlist;
	e->line = pos->line;
	return 0;
}

size_t sg_conf_count_entries(const sg_conf *conf, const char *section)
{
	size_t n = 0;

	for (size_t i = 0; i < conf->nentries; i++)
		n += strcmp(conf->entries[i].section, section) == 0;
	return n;
}

typedef struct sg_conf_ctx {
	sg_conf *conf;
	bool section_ok;
	sg_conf_group *group;	/* in a [group.NAME] section */
} sg_conf_ctx;

static void sg_value_error(sg_buf *err, const sg_ini_pos *pos, const char *key,
			   const sg_option *o, const char *value, const char *bad)
{
	if (bad == sg_out_of_range)
		sg_ini_error(err, pos, key, "bad value \"%.200s\": %s: at least"
			     " %lld%s, at most %lld%s", value, bad, o->min,
			     sg_range_unit(o), o->max, sg_range_unit(o));
	else
		sg_ini_error(err, pos, key, "bad value \"%.200s\": %s%s%s", value,
			     bad, o->choices ? " " : "", o->choices ? o->choices : "");
}

/* A [group.NAME] header: NAME is 1-64 letters, digits, '-' or '_'
 * (it goes into logs, the store and JSON), each name once. */
static int sg_conf_group_start(sg_conf_ctx *ctx, const sg_ini_pos *pos, sg_buf *err)
{
	const char *name = pos->section + strlen(SG_GROUP_PREFIX);
	sg_conf *conf = ctx->conf;
	sg_conf_group *g;
	size_t n = strlen(name);

	if (n == 0 || n > SG_GROUP_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789-_") != n) {
		sg_ini_error(err, pos, NULL, "group name must be 1-%d ASCII letters, "
			     "digits, '-' or '_'", SG_GROUP_NAME_MAX);
		return -1;
	}
	for (size_t i = 0; i < conf->ngroups; i++)
		if (strcmp(conf->groups[i].name, name) == 0) {
			sg_ini_error(err, pos, NULL, "group defined twice (first at "
				     "line %u)", conf->groups[i].line);
			return -1;
		}
	if (conf->ngroups >= SG_CONF_GROUPS_MAX) {
		sg_ini_error(err, pos, NULL, "more than %d groups", SG_CONF_GROUPS_MAX);
		return -1;
	}
	conf->groups = sg_xreallocarray(conf->groups, conf->ngroups + 1, sizeof(*g));
	g = &conf->groups[conf->ngroups++];
	memset(g, 0, sizeof(*g));
	g->name = sg_xstrdup(name);
	g->line = pos->line;
	g->values = sg_xcalloc(sg_noptions, sizeof(sg_value));
	ctx->group = g;
	return 0;
}

/* A key inside [group.NAME]: senders, approvers, or an option a group
 * may override, written as in its own section (personal-data = reject,
 * min_confidence = low, max_message_size = 10M). */
static int sg_conf_group_key(sg_conf_ctx *ctx, const sg_ini_pos *pos,
			     const char *key, const char *value, sg_buf *err)
{
	static const sg_option senders_opt = { "group", "senders", SG_OPT_LIST,
					       "", NULL, 0, 0, "" };
	sg_conf_group *g = ctx->group;
	sg_value *v = NULL;
	const sg_option *o = NULL;
	const char *bad;
	int i = -1;

	if (strcmp(key, "senders") == 0 || strcmp(key, "approvers") == 0) {
		o = &senders_opt;
		v = key[0] == 's' ? &g->senders : &g->approvers;
	} else {
		for (size_t k = 0; k < sg_noptions && i < 0; k++)
			if (sg_conf_groupable(&sg_options[k]) &&
			    strcmp(sg_options[k].key, key) == 0)
				i = (int)k;
		if (i < 0) {
			sg_ini_error(err, pos, key, "not a key a group may set (senders, "
				     "approvers, and the keys of [actions], "
				     "[exposed_recipients], [personal_data], [limits], "
				     "[policy] trusted_domains and [hold] delay)");
			return -1;
		}
		o = &sg_options[i];
		v = &g->values[i];
	}
	if (v->line) {
		sg_ini_error(err, pos, key, "set twice (first at line %u)", v->line);
		return -1;
	}
	if ((bad = sg_value_set(o, value, v))) {
		sg_value_error(err, pos, key, o, value, bad);
		return -1;
	}
	if (o == &senders_opt) {
		for (size_t k = 0; k < v->nlist; k++) {
			const char *problem = key[0] == 's' ?
					      sg_addr_glob_problem(v->list[k]) : NULL;

			if (problem == NULL && v->nlist > 0)
				continue;
			sg_ini_error(err, pos, key, "\"%.200s\": %s", v->list[k], problem);
			return -1;
		}
		if (v->nlist == 0) {
			sg_ini_error(err, pos, key, "must name at least one value");
			return -1;
		}
	}
	v->line = pos->line;
	return 0;
}

static int sg_conf_cb(void *vctx, const sg_ini_pos *pos, const char *key,
		      const char *value, sg_buf *err)
{
	sg_conf_ctx *ctx = vctx;
	const char *bad;
	int i;

	if (key == NULL) {
		ctx->group = NULL;
		if (strncmp(pos->section, SG_GROUP_PREFIX, strlen(SG_GROUP_PREFIX)) == 0)
			return sg_conf_group_start(ctx, pos, err);
		ctx->section_ok = sg_conf_section_known(pos->section);
		if (!ctx->section_ok) {
			sg_ini_error(err, pos, NULL, "unknown section [%s]",
				     pos->section);
			return -1;
		}
		return 0;
	}
	if (*pos->section == '\0') {
		sg_ini_error(err, pos, key, "key outside any [section]");
		return -1;
	}
	if (ctx->group)
		return sg_conf_group_key(ctx, pos, key, value, err);
	if (sg_conf_section_free(pos->section))
		return sg_conf_add_entry(ctx->conf, pos, key, value, err);
	if ((i = sg_conf_find(pos->section, key)) < 0) {
		sg_ini_error(err, pos, key, "unknown key");
		return -1;
	}
	if (ctx->conf->values[i].line) {
		sg_ini_error(err, pos, key, "set twice (first at line %u)",
			     ctx->conf->values[i].line);
		return -1;
	}
	if ((bad = sg_value_set(&sg_options[i], value, &ctx->conf->values[i]))) {
		sg_value_error(err, pos, key, &sg_options[i], value, bad);
		return -1;
	}
	ctx->conf->values[i].line = pos->line;
	return 0;
}

static int sg_conf_defaults(sg_conf *conf, sg_buf *err)
{
	for (size_t i = 0; i < sg_noptions; i++) {
		const sg_option *o = &sg_options[i];
		const char *bad;

		if (conf->values[i].line)
			continue;
		if (o->def == NULL) {
			sg_buf_reset(err);
			sg_buf_printf(err, "%s:0: [%s] %s: required key is missing",
				      conf->path, o->section, o->key);
			return -1;
		}
		if ((bad = sg_value_set(o, o->def, &conf->values[i]))) {
			sg_buf_reset(err);
			sg_buf_printf(err, "built-in default of [%s] %s: %s",
				      o->section, o->key, bad);
			return -1;
		}
	}
	return 0;
}

/* Required domain lists must not be empty either. */
static int sg_conf_check_required(sg_conf *conf, sg_buf *err)
{
	for (size_t i = 0; i < sg_noptions; i++) {
		const sg_option *o = &sg_options[i];

		if (o->def == NULL && (o->type == SG_OPT_DOMAINS ||
				       o->type == SG_OPT_LIST) &&
		    conf->values[i].nlist == 0) {
			sg_buf_reset(err);
			sg_buf_printf(err, "%s:%u: [%s] %s: must name at least one value",
				      conf->path, conf->values[i].line,
				      o->section, o->key);
			return -1;
		}
	}
	return 0;
}

/* An approver receives signed approval requests: one outside the
 * organisation ("kakaricho@example", a typo) or no address at all
 * ("課長") would send them elsewhere or nowhere (issue 14). */
static bool sg_approver_ok(const sg_conf *conf, const char *a)
{
	size_t n;
	char *const *dom = SG_CONF_LIST(conf, policy_internal_domains, &n);

	if (strlen(a) > SG_ADDR_MAX)
		return false;
	for (const char *p = a; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("<>(),;:\"\\[]", *p))
			return false;
	return sg_addr_internal(a, dom, n);
}

static int sg_conf_check_approvers(const sg_conf *conf, sg_buf *err)
{
	for (size_t i = 0; i < conf->nentries; i++) {
		const sg_conf_entry *e = &conf->entries[i];

		if (strcmp(e->section, "approvers") != 0)
			continue;
		for (size_t j = 0; j < e->nlist; j++) {
			if (sg_approver_ok(conf, e->list[j]))
				continue;
			sg_buf_reset(err);
			sg_buf_printf(err, "%s:%u: [approvers] %s: \"%.200s\" is not an "
				      "address in an internal domain (expected local@domain "
				      "with a domain of [policy] internal_domains)",
				      conf->path, e->line, e->key, e->list[j]);
			return -1;
		}
	}
	return 0;
}

/* Escalation addresses ([approval] escalate_*) receive notices about
 * held mail, like approvers: internal addresses only. */
static int sg_conf_check_escalation(const sg_conf *conf, sg_buf *err)
{
	for (size_t i = 0; i < sg_noptions; i++) {
		const sg_option *o = &sg_options[i];
		const sg_value *v = &conf->values[i];

		if (strcmp(o->section, "approval") != 0 ||
		    strncmp(o->key, "escalate_", 9) != 0 || o->type != SG_OPT_STRING ||
		    v->text == NULL || *v->text == '\0' || sg_approver_ok(conf, v->text))
			continue;
		sg_buf_reset(err);
		sg_buf_printf(err, "%s:%u: [approval] %s: \"%.200s\" is not an address"
			      " in an internal domain (expected local@domain with a"
			      " domain of [policy] internal_domains)", conf->path,
			      v->line, o->key, v->text);
		return -1;
	}
	return 0;
}

/* Every group names its senders, and its approvers are internal
 * addresses like those of [approvers]. */
static int sg_conf_check_groups(const sg_conf *conf, sg_buf *err)
{
	for (size_t i = 0; i < conf->ngroups; i++) {
		const sg_conf_group *g = &conf->groups[i];

		sg_buf_reset(err);
		if (g->senders.line == 0) {
			sg_buf_printf(err, "%s:%u: [group.%s] senders: required key is "
				      "missing (who belongs to the group)", conf->path,
				      g->line, g->name);
			return -1;
		}
		for (size_t j = 0; j < g->approvers.nlist; j++) {
			if (sg_approver_ok(conf, g->approvers.list[j]))
				continue;
			sg_buf_printf(err, "%s:%u: [group.%s] approvers: \"%.200s\" is not "
				      "an address in an internal domain (expected "
				      "local@domain with a domain of [policy] "
				      "internal_domains)", conf->path, g->approvers.line,
				      g->name, g->approvers.list[j]);
			return -1;
		}
	}
	return 0;
}

/* Notice links must lead to a web page: http(s)://host[:port][/path]. */
static int sg_conf_check_base_url(const sg_conf *conf, sg_buf *err)
{
	int i = SG_O_web_base_url;
	const char *u = conf->values[i].text, *host;
	size_t hl;

	if (strncasecmp(u, "https://", 8) == 0)
		host = u + 8;
	else if (strncasecmp(u, "http://", 7) == 0)
		host = u + 7;
	else
		host = NULL;
	hl = host ? strcspn(host, "/?#") : 0;
	for (const char *p = u; host && *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '"' || *p == '<' ||
		    *p == '>' || *p == '\\')
			host = NULL;
	if (host && hl > 0 && host[0] != ':' && memchr(host, '@', hl) == NULL)
		return 0;
	sg_buf_reset(err);
	sg_buf_printf(err, "%s:%u: [web] base_url: \"%.200s\" is not an http(s) URL "
		      "(expected http://host[:port][/path] or https://...)",
		      conf->path, conf->values[i].line, u);
	return -1;
}

/* [policy] timezone names a zone file (sg_time.c). A host without
 * tzdata at all still starts (times then fall back to local time):
 * only a name that is not there beside UTC is refused. A good one
 * becomes the process's zone for times people read. */
static int sg_conf_check_timezone(const sg_conf *conf, sg_buf *err)
{
	int i = SG_O_policy_timezone;
	const char *z = conf->values[i].text;

	if (sg_tz_valid(z) || (access("/usr/share/zoneinfo/UTC", R_OK) != 0 &&
			       strspn(z, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				      "0123456789_+-/") == strlen(z))) {
		sg_time_set_zone(z);
		return 0;
	}
	sg_buf_reset(err);
	sg_buf_printf(err, "%s:%u: [policy] timezone: \"%.100s\" is not a time zone "
		      "of /usr/share/zoneinfo (e.g. Asia/Tokyo, UTC)",
		      conf->path, conf->values[i].line, z);
	return -1;
}

/* [store] backend = postgresql needs a connection string, and the
 * string must hold no password and reach another host only with
 * sslmode=verify-full (util/sg_dsn.h). The string itself is never
 * repeated in the error: it may hold the password it is refused for. */
static int sg_conf_check_store(const sg_conf *conf, sg_buf *err)
{
	int b = SG_O_store_backend, d = SG_O_store_dsn;
	const char *dsn = conf->values[d].text;
	sg_buf why;
	int rc = 0;

	if (*dsn == '\0') {
		if (strcmp(conf->values[b].text, "postgresql") != 0)
			return 0;
		sg_buf_reset(err);
		sg_buf_printf(err, "%s:%u: [store] dsn: required when [store] backend "
			      "= postgresql (a libpq connection string)", conf->path,
			      conf->values[d].line ? conf->values[d].line
						   : conf->values[b].line);
		return -1;
	}
	sg_buf_init(&why, 1024);
	if (sg_dsn_check(dsn, &why) < 0) {
		sg_buf_reset(err);
		sg_buf_printf(err, "%s:%u: [store] dsn: %s", conf->path,
			      conf->values[d].line, sg_buf_cstr(&why));
		rc = -1;
	}
	sg_buf_free(&why);
	return rc;
}

/* [store] gateway names this gateway in every hold it takes: empty is
 * the host name, resolved here once so that every reader (the milter,
 * apply, reconcile, the page, `sendguardctl config`) sees the same
 * name. A name that would need quoting in the store, the log or the
 * page is refused, the host name as much as a written one. */
static int sg_conf_check_gateway(sg_conf *conf, sg_buf *err)
{
	sg_value *v = &conf->values[SG_O_store_gateway];
	char host[SG_GATEWAY_SIZE];

	if (*v->text == '\0') {
		sg_gateway_default(host);
		free(v->text);
		v->text = sg_xstrdup(host);
	}
	if (sg_gateway_valid(v->text))
		return 0;
	sg_buf_reset(err);
	if (v->line)
		sg_buf_printf(err, "%s:%u: [store] gateway: \"%.100s\" is not a gateway"
			      " name (letters, digits, '.', '-', '_'; at most %d)",
			      conf->path, v->line, v->text, SG_GATEWAY_MAX);
	else
		sg_buf_printf(err, "%s: [store] gateway: not set, and the host name"
			      " \"%.100s\" is not a gateway name (letters, digits,"
			      " '.', '-', '_'; at most %d): set one", conf->path,
			      v->text, SG_GATEWAY_MAX);
	return -1;
}

sg_conf *sg_conf_load(const char *path, sg_buf *err)
{
	sg_conf *conf = sg_xcalloc(1, sizeof(*conf));
	sg_conf_ctx ctx = { conf, false, NULL };
	const char *slash;

	conf->path = sg_xstrdup(path);
	slash = strrchr(path, '/');
	conf->dir = slash ? sg_xstrndup(path, (size_t)(slash - path + (slash == path)))
			  : sg_xstrdup(".");
	conf->values = sg_xcalloc(sg_noptions, sizeof(sg_value));
	if (sg_ini_parse(path, sg_conf_cb, &ctx, err) < 0 ||
	    sg_conf_defaults(conf, err) < 0 ||
	    sg_conf_check_required(conf, err) < 0 ||
	    sg_conf_check_approvers(conf, err) < 0 ||
	    sg_conf_check_escalation(conf, err) < 0 ||
	    sg_conf_check_groups(conf, err) < 0 ||
	    sg_conf_check_base_url(conf, err) < 0 ||
	    sg_conf_check_timezone(conf, err) < 0 ||
	    sg_conf_check_store(conf, err) < 0 ||
	    sg_conf_check_gateway(conf, err) < 0) {
		sg_conf_free(conf);
		return NULL;
	}
	return conf;
}

void sg_conf_free(sg_conf *conf)
{
	if (conf == NULL)
		return;
	for (size_t i = 0; i < sg_noptions; i++)
		sg_value_clear(&conf->values[i]);
	free(conf->values);
	for (size_t i = 0; i < conf->nentries; i++) {
		for (size_t j = 0; j < conf->entries[i].nlist; j++)
			free(conf->entries[i].list[j]);
		free(conf->entries[i].list);
		free(conf->entries[i].section);
		free(conf->entries[i].key);
	}
	free(conf->entries);
	for (size_t i = 0; i < conf->ngroups; i++) {
		sg_conf_group *g = &conf->groups[i];

		for (size_t k = 0; k < sg_noptions; k++)
			sg_value_clear(&g->values[k]);
		free(g->values);
		sg_value_clear(&g->senders);
		sg_value_clear(&g->approvers);
		free(g->name);
	}
	free(conf->groups);
	free(conf->path);
	free(conf->dir);
	free(conf);
}

static const sg_value *sg_conf_get(const sg_conf *conf, const char *section,
				   const char *key)
{
	int i = sg_conf_find(section, key);

	if (i < 0) {
		fprintf(stderr, "sendguard: internal error: no option [%s] %s\n",
			section, key);
		abort();
	}
	return &conf->values[i];
}

int sg_conf_group_for(const sg_conf *conf, const char *sender, const char *login)
{
	size_t nd;
	char *const *dom = SG_CONF_LIST(conf, policy_internal_domains, &nd);

	for (size_t i = 0; i < conf->ngroups; i++) {
		const sg_conf_group *g = &conf->groups[i];

		if (sg_addr_sender_in(g->senders.list, g->senders.nlist, sender, login,
				      dom, nd, sg_addr_delims(conf)))
			return (int)i;
	}
	return -1;
}

const sg_value *sg_conf_gvalue_id(const sg_conf *conf, const sg_conf_group *g,
				  sg_opt_id id)
{
	if (g && g->values[id].line)
		return &g->values[id];
	return &conf->values[id];
}

const sg_value *sg_conf_gvalue(const sg_conf *conf, const sg_conf_group *g,
			       const char *section, const char *key)
{
	const sg_value *v = sg_conf_get(conf, section, key);

	return sg_conf_gvalue_id(conf, g, (sg_opt_id)(v - conf->values));
}

const char *sg_conf_str(const sg_conf *conf, const char *section, const char *key)
{
	return sg_conf_get(conf, section, key)->text;
}

long long sg_conf_num(const sg_conf *conf, const char *section, const char *key)
{
	return sg_conf_get(conf, section, key)->num;
}

long long sg_conf_share(const sg_conf *conf, const char *section, const char *key)
{
	return sg_conf_get(conf, section, key)->share;
}

bool sg_conf_bool(const sg_conf *conf, const char *section, const char *key)
{
	return sg_conf_get(conf, section, key)->num != 0;
}

char *const *sg_conf_list_id(const sg_conf *conf, sg_opt_id id, size_t *n)
{
	*n = conf->values[id].nlist;
	return conf->values[id].list;
}

char *const *sg_conf_list(const sg_conf *conf, const char *section,
			  const char *key, size_t *n)
{
	const sg_value *v = sg_conf_get(conf, section, key);

	*n = v->nlist;
	return v->list;
}

char *sg_conf_path_id(const sg_conf *conf, sg_opt_id id)
{
	const char *p = conf->values[id].text;
	sg_buf b;

	if (*p == '/' || *p == '\0')
		return sg_xstrdup(p);
	sg_buf_init(&b, SG_BUF_UNLIMITED);
	sg_buf_printf(&b, "%s/%s", conf->dir, p);
	return sg_buf_steal(&b);
}

char *sg_conf_path(const sg_conf *conf, const char *section, const char *key)
{
	return sg_conf_path_id(conf, (sg_opt_id)(sg_conf_get(conf, section, key) -
						   conf->values));
}

static const char *sg_type_name(const sg_option *o)
{
	static const char *names[] = {
		"string", "yes/no", "number", "size", "duration", "list",
		"domain list", "choice", "path", "share, size",
	};
	return names[o->type];
}

static void sg_print_value(FILE *fp, const sg_option *o, const sg_value *v)
{
	if (o->type == SG_OPT_LIST || o->type == SG_OPT_DOMAINS) {
		fprintf(fp, "%s =", o->key);
		for (size_t j = 0; j < v->nlist; j++)
			fprintf(fp, "%s %s", j ? "," : "", v->list[j]);
		fputc('\n', fp);
	} else {
		fprintf(fp, "%s = %s\n", o->key, v->text);
	}
}

static void sg_print_list(FILE *fp, const sg_conf *conf, const char *key,
			  const sg_value *v)
{
	fprintf(fp, "# %s:%u\n%s =", conf->path, v->line, key);
	for (size_t j = 0; j < v->nlist; j++)
		fprintf(fp, "%s %s", j ? "," : "", v->list[j]);
	fputc('\n', fp);
}

void sg_conf_print(const sg_conf *conf, FILE *fp)
{
	const char *section = "";

	fprintf(fp, "# effective configuration of %s\n", conf->path);
	for (size_t i = 0; i < sg_noptions; i++) {
		const sg_option *o = &sg_options[i];
		const sg_value *v = &conf->values[i];

		if (strcmp(section, o->section) != 0) {
			section = o->section;
			fprintf(fp, "\n[%s]\n", section);
		}
		if (v->line)
			fprintf(fp, "# %s:%u\n", conf->path, v->line);
		else
			fprintf(fp, "# default\n");
		sg_print_value(fp, o, v);
	}
	for (size_t f = 0; f < sg_nfree_sections; f++) {
		fprintf(fp, "\n[%s]\n", sg_free_sections[f].section);
		for (size_t i = 0; i < conf->nentries; i++) {
			const sg_conf_entry *e = &conf->entries[i];

			if (strcmp(e->section, sg_free_sections[f].section) != 0)
				continue;
			fprintf(fp, "# %s:%u\n%s =", conf->path, e->line, e->key);
			for (size_t j = 0; j < e->nlist; j++)
				fprintf(fp, "%s %s", j ? "," : "", e->list[j]);
			fputc('\n', fp);
		}
	}
	for (size_t gi = 0; gi < conf->ngroups; gi++) {
		const sg_conf_group *g = &conf->groups[gi];

		fprintf(fp, "\n# %s:%u\n[group.%s]\n", conf->path, g->line, g->name);
		sg_print_list(fp, conf, "senders", &g->senders);
		if (g->approvers.line)
			sg_print_list(fp, conf, "approvers", &g->approvers);
		for (size_t i = 0; i < sg_noptions; i++)
			if (g->values[i].line) {
				fprintf(fp, "# %s:%u\n", conf->path, g->values[i].line);
				sg_print_value(fp, &sg_options[i], &g->values[i]);
			}
	}
}

void sg_conf_print_reference(FILE *fp)
{
	fprintf(fp, "| section | key | type | default | meaning |\n");
	fprintf(fp, "| --- | --- | --- | --- | --- |\n");
	for (size_t i = 0; i < sg_noptions; i++) {
		const sg_option *o = &sg_options[i];

		fprintf(fp, "| `[%s]` | `%s` | %s%s%s | %s%s%s | %s |\n",
			o->section, o->key, sg_type_name(o),
			o->choices ? ": " : "", o->choices ? o->choices : "",
			o->def ? "`" : "", o->def ? (*o->def ? o->def : "(empty)")
			: "**required**", o->def ? "`" : "", o->help);
	}
	for (size_t f = 0; f < sg_nfree_sections; f++)
		fprintf(fp, "| `[%s]` | *(your keys)* | list | | %s |\n",
			sg_free_sections[f].section, sg_free_sections[f].help);
	fprintf(fp, "| `[group.NAME]` | `senders` | list | **required** | A sender "
		"group: globs as in [approvers], on the canonical envelope sender and, "
		"with SMTP AUTH, the login too; groups are tried in file order, the "
		"first match wins; senders in no group get the values above. |\n");
	fprintf(fp, "| `[group.NAME]` | `approvers` | list | (none) | The group's "
		"approvers: they replace the [approvers] sender globs for its members "
		"(category: lines and default still apply). |\n");
	fprintf(fp, "| `[group.NAME]` | *(a key of [actions], [exposed_recipients], "
		"[personal_data], [limits], or trusted_domains)* | as there | the "
		"value outside the group | Overrides that key for the group's members "
		"only. |\n");
}
