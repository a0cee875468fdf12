/*
 * NAME
 *	sg_conf - sendguard.conf: the option table, loader and printer
 * SYNOPSIS
 *	#include "util/sg_conf.h"
 * DESCRIPTION
 *	One table (sg_options[], in sg_options.c) lists every key with its
 *	section, type, default and help text. The loader, `sendguardctl
 *	config` and README's configuration reference all come from it, so
 *	they cannot disagree (as OpenDKIM's configuration table does).
 *
 *	sg_conf_load() reads the INI file, checks every key against the
 *	table, converts values to their types, applies defaults and checks
 *	required keys. Relative paths (type SG_OPT_PATH) are taken relative
 *	to the directory of the configuration file.
 *
 *	Code names an option by its id (sg_options.def): SG_CONF_NUM(conf,
 *	limits_max_message_size) indexes the values directly, and a
 *	misspelt id, or an accessor of the wrong type (SG_CONF_NUM on a
 *	string), is a compile error. The string lookups (sg_conf_str(conf,
 *	"milter", "socket") ...) remain for names made at run time
 *	("required_" + a category); there a key that is not in the table
 *	is a programming error and aborts.
 * DIAGNOSTICS
 *	sg_conf_load() returns NULL and sets err to "FILE:LINE: [section]
 *	key: what is wrong" (LINE 0 for a missing required key). Callers
 *	exit 78 (EX_CONFIG).
 */
#ifndef SG_CONF_H
#define SG_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util/sg_buf.h"

typedef enum {
	SG_OPT_STRING,
	SG_OPT_BOOL,	/* yes/no, true/false, on/off, 1/0 */
	SG_OPT_INT,	/* decimal, within [min, max] */
	SG_OPT_SIZE,	/* bytes, with K/M/G suffix (1024-based) */
	SG_OPT_DURATION,/* seconds, with s/m/h/d suffix */
	SG_OPT_LIST,	/* comma-separated strings */
	SG_OPT_DOMAINS,	/* comma-separated domain names, lower-cased */
	SG_OPT_ENUM,	/* one of `choices` ("a|b|c") */
	SG_OPT_PATH,	/* a file or directory */
	SG_OPT_SHARE,	/* "PERCENT%, SIZE": a share and a byte count
			 * (num: the bytes, share: the percent 0..100) */
} sg_opt_type;

typedef struct sg_option {
	const char *section;
	const char *key;
	sg_opt_type type;
	const char *def;	/* default as written in the file; NULL: required */
	const char *choices;	/* SG_OPT_ENUM: "a|b|c" */
	long long min, max;	/* SG_OPT_INT/SIZE/DURATION */
	const char *help;	/* one or two sentences, English */
} sg_option;

extern const sg_option sg_options[];
extern const size_t sg_noptions;

/* Option ids: SG_O_<section>_<key> with '-' as '_', the index of the
 * option in sg_options[] and in sg_conf.values. */
typedef enum sg_opt_id {
#define SG_OPTION(id, ...) SG_O_##id,
#include "util/sg_options.def"
#undef SG_OPTION
	SG_O_COUNT
} sg_opt_id;

/* Each option's type as a constant (SG_OT_<id>), for the compile-time
 * type checks of the SG_CONF_* accessors below. */
enum {
#define SG_OPTION(id, section, key, type, ...) SG_OT_##id = type,
#include "util/sg_options.def"
#undef SG_OPTION
};

typedef struct sg_value {
	char *text;		/* normalised text form */
	long long num;		/* INT, SIZE, DURATION (seconds), BOOL, SHARE */
	long long share;	/* SHARE: the percent */
	char **list;		/* LIST, DOMAINS */
	size_t nlist;
	unsigned line;		/* 0 when the default applies */
} sg_value;

/* Sections whose keys the administrator chooses ([approvers]): every
 * "key = list" line is kept, in file order. */
typedef struct sg_free_section {
	const char *section;
	const char *help;	/* for README */
} sg_free_section;

extern const sg_free_section sg_free_sections[];
extern const size_t sg_nfree_sections;

typedef struct sg_conf_entry {
	char *section;
	char *key;
	char **list;		/* the value, split at commas, trimmed */
	size_t nlist;
	unsigned line;
} sg_conf_entry;

/* A sender group (issue 19): `[group.NAME]` with `senders = glob, ...`
 * (the [approvers] matcher, sg_addr_sender_in), optional `approvers =
 * a@x, ...` (they replace the sender globs' approvers for its members)
 * and any key of a section sg_conf_groupable() allows, overriding the
 * value outside the group for its members only. */
typedef struct sg_conf_group {
	char *name;		/* NAME of [group.NAME] */
	unsigned line;		/* line of its section header */
	sg_value *values;	/* parallel to sg_options[]; line 0: not set
				 * in this group (the global value applies) */
	sg_value senders;	/* globs; line: where set */
	sg_value approvers;	/* addresses; nlist 0: none */
} sg_conf_group;

#define SG_CONF_GROUPS_MAX 100

typedef struct sg_conf {
	char *path;
	char *dir;		/* directory of path, for relative paths */
	sg_value *values;	/* parallel to sg_options[] */
	sg_conf_entry *entries;	/* lines of free-form sections, in order */
	size_t nentries;
	sg_conf_group *groups;	/* in file order: the first match wins */
	size_t ngroups;
} sg_conf;

sg_conf *sg_conf_load(const char *path, sg_buf *err);
void sg_conf_free(sg_conf *conf);

/* The value of option id (no search: an index). */
static inline const sg_value *sg_conf_v(const sg_conf *conf, sg_opt_id id)
{
	return &conf->values[id];
}

/* A compile error unless cond (a constant) holds: C11 allows a static
 * assertion inside a struct, and sizeof makes it an expression. */
#define SG_CONF_ASSERT_(cond, what) \
	((void)sizeof(struct { _Static_assert(cond, what); int sg_unused_; }))
#define SG_CONF_IS_(id, t) ((int)SG_OT_##id == (int)SG_OPT_##t)

/* Typed accessors by id: SG_CONF_NUM(conf, limits_max_message_size). */
#define SG_CONF_STR(conf, id) \
	(SG_CONF_ASSERT_(SG_CONF_IS_(id, STRING) || SG_CONF_IS_(id, ENUM) || \
			 SG_CONF_IS_(id, PATH), "SG_CONF_STR: not a string option"), \
	 (const char *)sg_conf_v(conf, SG_O_##id)->text)
#define SG_CONF_NUM(conf, id) \
	(SG_CONF_ASSERT_(SG_CONF_IS_(id, INT) || SG_CONF_IS_(id, SIZE) || \
			 SG_CONF_IS_(id, DURATION) || SG_CONF_IS_(id, SHARE), \
			 "SG_CONF_NUM: not a numeric option"), \
	 sg_conf_v(conf, SG_O_##id)->num)
#define SG_CONF_SHARE(conf, id) \
	(SG_CONF_ASSERT_(SG_CONF_IS_(id, SHARE), "SG_CONF_SHARE: not a share"), \
	 sg_conf_v(conf, SG_O_##id)->share)
#define SG_CONF_BOOL(conf, id) \
	(SG_CONF_ASSERT_(SG_CONF_IS_(id, BOOL), "SG_CONF_BOOL: not a yes/no option"), \
	 sg_conf_v(conf, SG_O_##id)->num != 0)
/* LIST and DOMAINS: the items; *n their number. */
#define SG_CONF_LIST(conf, id, n) \
	(SG_CONF_ASSERT_(SG_CONF_IS_(id, LIST) || SG_CONF_IS_(id, DOMAINS), \
			 "SG_CONF_LIST: not a list option"), \
	 sg_conf_list_id(conf, SG_O_##id, n))
/* PATH: resolved against the configuration's directory; caller frees. */
#define SG_CONF_PATH(conf, id) \
	(SG_CONF_ASSERT_(SG_CONF_IS_(id, PATH), "SG_CONF_PATH: not a path option"), \
	 sg_conf_path_id(conf, SG_O_##id))
/* The value in force for a member of group g (sg_conf_gvalue). */
#define SG_CONF_GVALUE(conf, g, id) sg_conf_gvalue_id(conf, g, SG_O_##id)

char *const *sg_conf_list_id(const sg_conf *conf, sg_opt_id id, size_t *n);
char *sg_conf_path_id(const sg_conf *conf, sg_opt_id id);
const sg_value *sg_conf_gvalue_id(const sg_conf *conf, const sg_conf_group *g,
				  sg_opt_id id);

const char *sg_conf_str(const sg_conf *conf, const char *section, const char *key);
long long sg_conf_num(const sg_conf *conf, const char *section, const char *key);
/* SG_OPT_SHARE: the percent (the byte count is sg_conf_num). */
long long sg_conf_share(const sg_conf *conf, const char *section, const char *key);
bool sg_conf_bool(const sg_conf *conf, const char *section, const char *key);
char *const *sg_conf_list(const sg_conf *conf, const char *section,
			  const char *key, size_t *n);
/* The entries of free-form `section`, in file order: entries[*first]
 * .. entries[*first + n - 1] are not contiguous in general, so callers
 * iterate conf->entries and compare section; this counts them. */
size_t sg_conf_count_entries(const sg_conf *conf, const char *section);

/* Index of [section] key in sg_options[], or -1. */
int sg_conf_option_index(const char *section, const char *key);
/* Whether a [group.NAME] may set this option: every key of [actions],
 * [exposed_recipients], [personal_data] and [limits], [policy]
 * trusted_domains and [hold] delay (issue 19). */
bool sg_conf_groupable(const sg_option *o);
/* The group of a sender (issue 19): the index of the first group, in
 * file order, whose senders match the canonical envelope sender and,
 * with SMTP AUTH, the login as well (sg_addr_sender_in); -1 when none
 * does (the defaults apply). */
int sg_conf_group_for(const sg_conf *conf, const char *sender, const char *login);
/* The value in force for a member of group g (NULL: the defaults):
 * the group's own when set there, else the global one. Aborts on a key
 * not in the table, as the other lookups do. */
const sg_value *sg_conf_gvalue(const sg_conf *conf, const sg_conf_group *g,
			       const char *section, const char *key);

/* A PATH option resolved against the configuration's directory;
 * caller frees. */
char *sg_conf_path(const sg_conf *conf, const char *section, const char *key);

/* The effective configuration as a valid INI file, each key with the
 * place its value came from. */
void sg_conf_print(const sg_conf *conf, FILE *fp);
/* The reference table (Markdown) for README. */
void sg_conf_print_reference(FILE *fp);

#endif
