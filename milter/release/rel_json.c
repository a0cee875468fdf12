/*
 * NAME
 *	rel_json - read the JSON arrays a hold stores
 * SYNOPSIS
 *	#include "release/rel.h"
 * DESCRIPTION
 *	Findings, attachments (with archive entries) and `postqueue -j`
 *	lines are JSON. They are read with util's reader (sg_json_each),
 *	whatever the store's backend: the release layer needs no
 *	database to read JSON.
 * DIAGNOSTICS
 *	rel_json_each() returns the number of elements visited, or -1 when
 *	the text is not valid JSON (or more than 16 keys are asked for).
 */
#include "release/rel.h"
#include "util/sg_json.h"

int rel_json_each(const char *json, const char *const *keys, size_t nkeys,
		  size_t max, rel_json_cb cb, void *ctx)
{
	return sg_json_each(json, keys, nkeys, max, cb, ctx);
}
