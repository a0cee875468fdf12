/*
 * NAME
 *	web_route - which page a path names
 * SYNOPSIS
 *	#include "web/web.h"
 * DESCRIPTION
 *	Exactly the paths the notices link to ({base_url}/hold/ID and
 *	{base_url}/holds, ntf_values.c), the stylesheet and an index. The
 *	reverse proxy strips base_url's path, so routes start at "/". A
 *	hold id must be one ntf_token_make() would sign (no dots, slashes
 *	or escapes), so nothing odd reaches the store or a page; anything
 *	else, including a trailing slash, is 404.
 * DIAGNOSTICS
 *	WEB_R_NOTFOUND for every path that is not a page.
 */
#include "web/web.h"

#include <string.h>

web_route_kind web_route(const char *path, char hold[NTF_HOLD_ID_MAX + 1])
{
	static const char hp[] = "/hold/";
	size_t n;

	hold[0] = '\0';
	if (path == NULL)
		return WEB_R_NOTFOUND;
	if (strcmp(path, "/") == 0)
		return WEB_R_INDEX;
	if (strcmp(path, WEB_CSS_PATH) == 0)
		return WEB_R_CSS;
	if (strcmp(path, "/holds") == 0)
		return WEB_R_LIST;
	if (strncmp(path, hp, sizeof(hp) - 1) != 0)
		return WEB_R_NOTFOUND;
	path += sizeof(hp) - 1;
	n = strnlen(path, NTF_HOLD_ID_MAX + 1);
	if (n > NTF_HOLD_ID_MAX || !ntf_hold_id_valid(path))
		return WEB_R_NOTFOUND;
	memcpy(hold, path, n + 1);
	return WEB_R_HOLD;
}
