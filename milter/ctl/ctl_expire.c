/*
 * NAME
 *	ctl_expire - `sendguardctl expire`: expire undecided holds, remind
 *	approvers at half-time
 * DESCRIPTION
 *	Mail on hold never expires in Postfix; this command is our clock
 *	(rel_expire.c has the rules). It runs as the store's owner: an
 *	expired hold is a decision like any other, and the root step
 *	(sendguardctl apply) deletes the queue file afterwards. The
 *	shipped timer runs expire, then apply. The sender is told at once
 *	that the mail expired; the approvers get one reminder each at
 *	half-time. Then `[store] retention`: rows older than that leave
 *	the store (st_purge.c), with an anchor record in the audit log.
 * DIAGNOSTICS
 *	Exit 0, 66 no store, 70 internal, 75 busy or some hold failed,
 *	77 permission, 78 configuration.
 */
#include "ctl/ctl.h"

#include <stdio.h>
#include <time.h>

void ctl_expire_help(void)
{
	printf("usage: sendguardctl [-c CONF] expire\n"
	       "\n"
	       "Expire pending holds older than [hold] expire_after (the sender is\n"
	       "told; `sendguardctl apply` then deletes the message) and send one\n"
	       "reminder to the approvers of holds past half that time. Safe to run\n"
	       "at any time and as often as wanted; run by the sendguard-expire\n"
	       "timer. Then delete what the store keeps about mail older than\n"
	       "[store] retention (closed holds, their notices, audit records; an\n"
	       "anchor record keeps `audit verify` working).\n"
	       "期限切れの保留を失効させ、半分の時点で承認者にリマインダーを送り、\n"
	       "保存期間 ([store] retention) を過ぎた記録を削除します。\n"
	       "\n"
	       "exit status: 0 done, 66 no store, 70 internal error, 75 busy or a\n"
	       "hold could not be handled (retry), 77 permission, 78 configuration.\n");
}

struct ctl_expire_ctx {
	ctl_notices *notices;
	st_store *st;
};

static void ctl_expire_notice(const st_hold *h, ntf_kind kind, void *ctx)
{
	struct ctl_expire_ctx *c = ctx;

	printf("hold %s: %s\n", h->id, kind == NTF_APPROVAL_REMINDER
	       ? "reminder to its approvers" : "expired, sender to be told");
	ctl_notice(c->notices, c->st, h, kind);
}

/* [store] retention: the purge runs after expiry, so a hold that
 * just expired is not yet applied and stays until a later run. */
static int ctl_expire_purge(st_store *st, const sg_conf *conf)
{
	long long keep = sg_conf_num(conf, "store", "retention");
	st_purge_counts n;
	sg_buf err;
	st_rc rc;

	if (keep <= 0)
		return 0;
	sg_buf_init(&err, 4096);
	rc = st_purge(st, time(NULL) - (time_t)keep, &n, &err);
	if (rc != ST_OK)
		fprintf(stderr, "sendguardctl expire: retention purge: %s\n", sg_buf_cstr(&err));
	else if (n.holds || n.notices || n.records || n.delegations)
		printf("retention: %zu holds, %zu notices, %zu audit records, %zu "
		       "delegations deleted\n", n.holds, n.notices, n.records, n.delegations);
	sg_buf_free(&err);
	return rc == ST_OK ? 0 : rc == ST_BUSY ? CTL_EX_TEMPFAIL : CTL_EX_SOFTWARE;
}

static void ctl_escalate_notice(const st_hold *h, const char *to, void *ctx)
{
	struct ctl_expire_ctx *c = ctx;

	printf("hold %s: escalated to %s (nobody decided within [approval]"
	       " escalate_after)\n", h->id, to);
	ctl_notice_to(c->notices, c->st, h, NTF_ESCALATION, to);
}

int ctl_expire(const char *conf_path, int argc, char **argv)
{
	struct ctl_expire_ctx c = { NULL, NULL };
	rel_expire_stats stats;
	sg_conf *conf;
	sg_buf err;
	int ex = 0;
	rel_rc rc;

	if (argc > 0) {
		fprintf(stderr, "sendguardctl expire: unexpected argument: %s\n", argv[0]);
		return CTL_EX_USAGE;
	}
	if ((conf = ctl_load_conf(conf_path)) == NULL)
		return CTL_EX_CONFIG;
	if ((c.st = ctl_store_as_owner("expire", conf, &ex)) == NULL) {
		sg_conf_free(conf);
		return ex;
	}
	sg_buf_init(&err, 8192);
	c.notices = ctl_notices_new(conf, "expire", &err);
	if (c.notices == NULL) {
		fprintf(stderr, "sendguardctl expire: configuration error: %s\n",
			sg_buf_cstr(&err));
		ex = CTL_EX_CONFIG;
	} else {
		size_t escalated = 0;

		rc = rel_expire_run(c.st, time(NULL), ctl_unix_user(), ctl_expire_notice,
				    &c, &stats, &err);
		if (rc != REL_OK)
			fprintf(stderr, "sendguardctl expire: %s\n", sg_buf_cstr(&err));
		/* The same timer path as the half-time reminders. */
		if (rc == REL_OK &&
		    (rc = rel_escalate_run(c.st, conf, time(NULL), ctl_escalate_notice, &c,
					   &escalated, &err)) != REL_OK)
			fprintf(stderr, "sendguardctl expire: escalation: %s\n",
				sg_buf_cstr(&err));
		if (escalated)
			printf("expire: %zu escalated\n", escalated);
		ctl_notices_drain(c.notices, c.st);
		printf("expire: %zu expired, %zu reminded, %zu failed\n", stats.expired,
		       stats.reminded, stats.failed);
		ex = rc != REL_OK ? ctl_exit_of(rc) : stats.failed ? CTL_EX_TEMPFAIL : 0;
		if (ex == 0)
			ex = ctl_expire_purge(c.st, conf);
	}
	ctl_notices_free(c.notices);
	sg_buf_free(&err);
	ctl_store_close(c.st, conf);
	sg_conf_free(conf);
	return ex;
}
