/*
 * NAME
 *	ctl_delegate - `sendguardctl delegate FROM TO --until DATE`, --list,
 *	--revoke ID
 * DESCRIPTION
 *	Proxies (issue 18 item 4). An approver away for a period names a
 *	delegate: until DATE the delegate may approve or reject what FROM
 *	was assigned, and each such decision is recorded as "TO on behalf
 *	of FROM" (the record and wording of issue 14's administrator
 *	decisions). The delegate gets an approval request for every hold
 *	now waiting for FROM; holds held later get one from the milter.
 *	A delegation is audited ("delegate", "delegate-revoke") and ends
 *	by itself at DATE. It never makes anyone an approver of their own
 *	mail: the four-eyes rule refuses the sender whoever they act for.
 *
 *	An administrator's command, like approve (root or the store's
 *	owner); approvers can also name a delegate on the hold page.
 * DIAGNOSTICS
 *	Exit 0 recorded, 1 refused, 64 usage, 75 store busy, 77
 *	permission, 78 configuration.
 */
#include "ctl/ctl.h"
#include "util/sg_addr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ctl_delegate_help(void)
{
	printf("usage: sendguardctl [-c CONF] delegate FROM TO --until DATE\n"
	       "       sendguardctl [-c CONF] delegate --list [--all]\n"
	       "       sendguardctl [-c CONF] delegate --revoke ID\n"
	       "\n"
	       "Names TO as FROM's proxy until DATE (YYYY-MM-DD: to the end of that\n"
	       "day; or ISO 8601 with a time): TO may approve or reject what FROM was\n"
	       "assigned, recorded as \"TO on behalf of FROM\". TO gets an approval\n"
	       "request for each hold now waiting for FROM. Never for TO's own mail\n"
	       "(four eyes). Audited; it ends by itself at DATE. At most 366 days.\n"
	       "承認者の代理人を期間を決めて指定します (代理の判断は「TO on behalf of FROM」と記録)。\n"
	       "Only root and the store's owner may run it (approvers can also name a\n"
	       "delegate on the approval page).\n"
	       "\n"
	       "  --until DATE  end of the delegation\n"
	       "  --list        delegations in force (--all: every one ever made)\n"
	       "  --revoke ID   end a delegation now\n"
	       "\n"
	       "exit status: 0 recorded, 1 refused, 64 usage, 75 store busy,\n"
	       "77 permission, 78 configuration error.\n");
}

static int ctl_delegation_print(const st_delegation *d, void *ctx)
{
	time_t now = *(const time_t *)ctx;

	printf("%lld\t%s\t->\t%s\tuntil %s\t(by %s at %s)%s\n", d->id, d->principal,
	       d->delegate, d->until, d->created_by, d->created,
	       d->revoked_t ? "\trevoked" : d->until_t <= now ? "\tended" : "");
	return 0;
}

static int ctl_delegate_add(st_store *st, const sg_conf *conf, const char *from_in,
			    const char *to_in, const char *until_s)
{
	size_t nd;
	char *const *dom = sg_conf_list(conf, "policy", "internal_domains", &nd);
	char *from = sg_addr_identity(from_in, NULL, false);
	char *to = sg_addr_identity(to_in, NULL, false);
	time_t now = time(NULL), until = rel_parse_until(until_s);
	const char *delims = sg_conf_str(conf, "policy", "recipient_delimiter");
	long long id = 0;
	sg_buf err;
	int ex = 0;

	sg_buf_init(&err, 4096);
	if (from == NULL || to == NULL || !sg_addr_internal(from, dom, nd) ||
	    !sg_addr_internal(to, dom, nd)) {
		fprintf(stderr, "sendguardctl delegate: refused / 拒否: FROM and TO must be"
			" addresses in an internal domain / 内部ドメインのアドレスを指定してください\n");
		ex = CTL_EX_REFUSED;
	} else if (sg_addr_same_person(from, to, delims)) {
		fprintf(stderr, "sendguardctl delegate: refused / 拒否: %s cannot be their"
			" own proxy / 本人を代理人にはできません\n", from);
		ex = CTL_EX_REFUSED;
	} else if (until <= now || until - now > REL_DELEGATE_MAX_S) {
		fprintf(stderr, "sendguardctl delegate: --until %s: not a date in the next"
			" 366 days (YYYY-MM-DD or ISO 8601)\n", until_s);
		ex = CTL_EX_USAGE;
	} else if (st_delegate_add(st, from, to, now, until, ctl_admin_name(),
				   ctl_unix_user(), &id, &err) != ST_OK) {
		fprintf(stderr, "sendguardctl delegate: %s\n", sg_buf_cstr(&err));
		ex = CTL_EX_SOFTWARE;
	} else {
		char iso[ST_TIME_SIZE];

		st_time_iso(until, iso);
		printf("delegation %lld: %s -> %s until %s (recorded by administrator %s)\n",
		       id, from, to, iso, ctl_admin_name());
		/* Sent by the milter's notifier, like every notice. */
		printf("approval requests to %s: %zu\n", to,
		       rel_delegate_requests(st, conf, from, to));
	}
	sg_buf_free(&err);
	free(from);
	free(to);
	return ex;
}

int ctl_delegate(const char *conf_path, int argc, char **argv)
{
	static const char *const opts[] = { "--until", "--revoke" };
	static const char *const flags[] = { "--list", "--all" };
	const char *vals[2] = { NULL, NULL }, *pos[2] = { NULL, NULL };
	bool set[2] = { false, false };
	ctl_argspec spec = { opts, vals, 2, flags, set, 2, pos, 2 };
	int npos = ctl_parse_args("delegate", argc, argv, &spec), ex = 0;
	sg_conf *conf;
	st_store *st;
	sg_buf err;

	if (npos < 0 || (!set[0] && vals[1] == NULL && (npos != 2 || vals[0] == NULL))) {
		fprintf(stderr, "usage: sendguardctl delegate FROM TO --until DATE |"
			" --list [--all] | --revoke ID\n");
		return CTL_EX_USAGE;
	}
	if ((conf = ctl_load_conf(conf_path)) == NULL)
		return CTL_EX_CONFIG;
	if (ctl_may_administer("delegate", conf) < 0) {
		sg_conf_free(conf);
		return CTL_EX_REFUSED;
	}
	if ((st = ctl_store_as_owner("delegate", conf, &ex)) == NULL) {
		sg_conf_free(conf);
		return ex;
	}
	sg_buf_init(&err, 4096);
	if (set[0]) {
		time_t now = time(NULL);

		if (st_delegate_list(st, NULL, set[1] ? 0 : now, ctl_delegation_print,
				     &now, &err) != ST_OK) {
			fprintf(stderr, "sendguardctl delegate: %s\n", sg_buf_cstr(&err));
			ex = CTL_EX_SOFTWARE;
		}
	} else if (vals[1] != NULL) {
		char *end;
		long long id = strtoll(vals[1], &end, 10);
		st_rc rc = *end || id <= 0 ? ST_INVALID
			   : st_delegate_revoke(st, id, ctl_admin_name(), ctl_unix_user(), &err);

		if (rc == ST_OK)
			printf("delegation %lld revoked\n", id);
		else {
			fprintf(stderr, "sendguardctl delegate: --revoke %s: %s\n", vals[1],
				rc == ST_INVALID ? "not a delegation id" : sg_buf_cstr(&err));
			ex = rc == ST_NOTFOUND || rc == ST_INVALID ? CTL_EX_REFUSED
			     : CTL_EX_SOFTWARE;
		}
	} else {
		ex = ctl_delegate_add(st, conf, pos[0], pos[1], vals[0]);
	}
	sg_buf_free(&err);
	ctl_store_close(st, conf);
	sg_conf_free(conf);
	return ex;
}
