/*
 * NAME
 *	web_int - the web_app structure, for the web module's own files
 * DESCRIPTION
 *	Only web_app.c and web_handle.c look inside; everything else goes
 *	through web.h.
 */
#ifndef WEB_INT_H
#define WEB_INT_H

#include <time.h>

#include "web/web.h"

struct web_app {
	const sg_conf *conf;		/* borrowed: outlives the app */
	st_store *st;
	ntf_keys *keys;
	char *keys_dir;
	struct timespec keys_mtime;	/* of keys_dir when last loaded */
	char *prefix;			/* path of base_url, "" or "/x" */
	const char *header;		/* trusted_user_header, "" when off */
	long long token_lifetime;	/* seconds */
};

#endif
