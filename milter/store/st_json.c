/*
 * NAME
 *	st_json - what a hold records of the engine's result
 * SYNOPSIS
 *	#include "engine/eng.h"
 *	#include "store/st.h"
 *
 *	size_t st_result_categories(const eng_result *res, const char *out[]);
 * DESCRIPTION
 *	The only file of the store that sees the engine: the rest of the
 *	store takes JSON and strings. The findings and attachments a hold
 *	stores are the engine's own JSON (eng_findings_json,
 *	eng_attachments_json), the shapes of `sendguardctl check --json`,
 *	so an approver sees in `show` what an administrator saw in `check`.
 *	Evidence is stored exactly as the engine masked it.
 */
#include "engine/eng.h"
#include "store/st.h"

#include <string.h>

size_t st_result_categories(const eng_result *res,
			    const char *out[ST_MAX_CATEGORIES])
{
	size_t n = 0;

	for (size_t i = 0; i < res->nfindings; i++) {
		/* A class-3 marking that is held ([actions] classified-3 =
		 * hold) carries its sub-category too: category:classified-3
		 * routes it, and list, show and the report name it. */
		const char *names[2] = { eng_category_name(res->findings[i].cat),
					 res->findings[i].class3 ? "classified-3" : NULL };

		for (size_t k = 0; k < 2 && names[k]; k++) {
			size_t j = 0;

			while (j < n && strcmp(out[j], names[k]) != 0)
				j++;
			if (j == n && n < ST_MAX_CATEGORIES)
				out[n++] = names[k];
		}
	}
	return n;
}
