/*
 * NAME
 *	sg_options - the table of every sendguard.conf key
 * DESCRIPTION
 *	The single source for the loader, `sendguardctl config` and the
 *	README reference, expanded from sg_options.def (where each issue
 *	that implements a key adds it, with a safe default); the option ids
 *	of sg_conf.h come from the same list, in the same order.
 */
#include "util/sg_conf.h"

#define ACTIONS "accept|log|hold|reject"
#define MIB (1024LL * 1024)

const sg_option sg_options[] = {
#define SG_OPTION(id, section, key, type, def, choices, min, max, help) \
	{ section, key, type, def, choices, min, max, help },
#include "util/sg_options.def"
#undef SG_OPTION
};

const sg_free_section sg_free_sections[] = {
	{ "approvers",
	  "Who approves whose mail: `sender-glob = approver, approver` "
	  "(case-insensitive glob on the sender, first match in file order), "
	  "`category:NAME = ...` (holds with that category, ahead of the "
	  "globs) and `default = ...`. The sender is never among their own "
	  "approvers." },
};

const size_t sg_nfree_sections = sizeof(sg_free_sections) / sizeof(sg_free_sections[0]);

const size_t sg_noptions = sizeof(sg_options) / sizeof(sg_options[0]);

/* The ids index sg_options[] and sg_conf.values: one list makes both,
 * so this only fails if someone writes an entry here by hand. */
_Static_assert(sizeof(sg_options) / sizeof(sg_options[0]) == SG_O_COUNT,
	       "sg_options[] and sg_opt_id disagree");
