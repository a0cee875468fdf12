/*
 * NAME
 *	ctl_keygen - `sendguardctl keygen`: a new HMAC key
 * DESCRIPTION
 *	Writes a new 32-byte key into [keys] dir, mode 0600, owned by the
 *	store's owner (the milter's user). The newest key signs notices and
 *	web links from the next reload on; older keys still verify, so
 *	rotate by running keygen, reloading (SIGUSR1), and deleting the old
 *	file once its links have expired.
 */
#include "ctl/ctl.h"
#include "notify/ntf.h"
#include "util/sg_buf.h"

#include <stdio.h>
#include <stdlib.h>

void ctl_keygen_help(void)
{
	printf("usage: sendguardctl [-c CONF] keygen\n"
	       "\n"
	       "Create a new HMAC key in [keys] dir (mode 0600, owned by the milter's\n"
	       "user). The newest key signs notices and approval links; older keys\n"
	       "keep verifying until you delete their files. Reload the milter\n"
	       "(SIGUSR1) afterwards. 署名鍵を作成します。\n");
}

int ctl_keygen(const char *conf_path, int argc, char **argv)
{
	sg_conf *conf;
	char kid[NTF_KID_MAX + 1];
	char *dir;
	sg_buf err;
	int rc = 0;

	if (argc > 0) {
		fprintf(stderr, "sendguardctl keygen: unexpected argument: %s\n", argv[0]);
		return CTL_EX_USAGE;
	}
	if ((conf = ctl_load_conf(conf_path)) == NULL)
		return CTL_EX_CONFIG;
	if (ctl_become_store_owner(conf) < 0) {
		sg_conf_free(conf);
		return CTL_EX_NOPERM;
	}
	dir = sg_conf_path(conf, "keys", "dir");
	sg_buf_init(&err, 4096);
	if (ntf_keygen(dir, kid, &err) < 0) {
		fprintf(stderr, "sendguardctl keygen: %s\n", sg_buf_cstr(&err));
		rc = CTL_EX_CANTCREAT;
	} else {
		printf("new key %s in %s\n", kid, dir);
	}
	sg_buf_free(&err);
	free(dir);
	sg_conf_free(conf);
	return rc;
}
