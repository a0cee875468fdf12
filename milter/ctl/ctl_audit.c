/*
 * NAME
 *	ctl_audit - `sendguardctl audit verify`: check the audit log's chain
 * DESCRIPTION
 *	Every audit record is hash-chained to the one before (SOURCES.md:
 *	records are stored with their integrity ensured). verify recomputes
 *	the whole chain and names the first record that does not match:
 *	an edited field, a forged hash, a removed record. Removing the
 *	newest records cannot be seen from the chain alone: compare the
 *	count with the one printed last time (e.g. from a daily cron job's
 *	mail).
 */
#include "ctl/ctl.h"
#include "store/st.h"

#include <stdio.h>
#include <string.h>

void ctl_audit_help(void)
{
	printf("usage: sendguardctl [-c CONF] audit verify\n"
	       "\n"
	       "Recompute the hash chain of the audit log and report the first\n"
	       "record that does not verify. 監査ログの改ざん検査。\n"
	       "\n"
	       "exit status: 0 intact, 1 broken (the record is named), 66 no store,\n"
	       "75 store busy, 78 configuration error.\n");
}

int ctl_audit(const char *conf_path, int argc, char **argv)
{
	sg_conf *conf;
	st_store *st;
	size_t n = 0, bad = 0;
	sg_buf err;
	st_rc rc;
	int ex = 0;

	if (argc != 1 || strcmp(argv[0], "verify") != 0) {
		fprintf(stderr, "sendguardctl audit: expected: audit verify\n");
		return CTL_EX_USAGE;
	}
	if ((conf = ctl_load_conf(conf_path)) == NULL)
		return CTL_EX_CONFIG;
	if ((st = ctl_store_as_owner("audit", conf, &ex)) == NULL) {
		sg_conf_free(conf);
		return ex;
	}
	sg_buf_init(&err, 4096);
	rc = st_audit_verify(st, &n, &bad, &err);
	if (rc == ST_OK) {
		printf("監査ログは改ざんされていません audit log intact: %zu records\n", n);
	} else if (rc == ST_CORRUPT) {
		printf("監査ログが壊れています audit log BROKEN at record %zu: %s\n", bad,
		       sg_buf_cstr(&err));
		ex = CTL_EX_REFUSED;
	} else {
		fprintf(stderr, "sendguardctl audit: %s\n", sg_buf_cstr(&err));
		ex = rc == ST_BUSY ? CTL_EX_TEMPFAIL : CTL_EX_SOFTWARE;
	}
	sg_buf_free(&err);
	ctl_store_close(st, conf);
	sg_conf_free(conf);
	return ex;
}
