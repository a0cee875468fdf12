/*
 * NAME
 *	ctl_decide - `sendguardctl approve|reject|withdraw ID --by ADDR`
 * DESCRIPTION
 *	Records a decision; it does not touch the queue. The root step
 *	(sendguardctl apply, run by the systemd path unit or timer) carries
 *	it out and tells the sender, so that this command, the web page
 *	and the milter never need root (ARCHITECTURE.md, least privilege).
 *	Who may decide is rel_may_decide() (release/rel.h): four eyes,
 *	assigned approvers only, withdraw by the sender only, once.
 *
 *	Approvers decide on the web page, whose signed links prove who
 *	they are. A decision made here is an administrator's (issue 14):
 *	only root and the store's owner may make one (the store file is
 *	0600, so nobody else could open it anyway, and the refusal says
 *	why instead of a SQLite error); --by names the person on whose
 *	behalf the administrator acts, and the decision is recorded as
 *	"administrator USER on behalf of ADDR" (USER from the real uid,
 *	SUDO_USER beside it as a claim), in the hold (show, report,
 *	notices) and in the audit log. --by is checked with the rules of
 *	the person it names: never the sender for approve and reject.
 *	A reject needs a reason: the sender is told it.
 * DIAGNOSTICS
 *	Exit 0 decided, 1 refused (with the reason in Japanese and
 *	English; also: the caller is neither root nor the store's owner),
 *	64 usage (also: reject without --comment), 66 no such hold, 75 store busy, 77 permission,
 *	78 configuration.
 */
#include "ctl/ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* At most this many checklist items are ticked at once. */
#define CTL_TICKS_MAX 64

static void ctl_decide_help(const char *cmd, const char *comment, const char *what)
{
	printf("usage: sendguardctl [-c CONF] %s ID --by ADDR%s\n"
	       "\n"
	       "%s\n"
	       "Only root and the store's owner may run it: it is an administrator's\n"
	       "decision on behalf of ADDR, recorded as \"administrator USER on behalf\n"
	       "of ADDR\" (USER: the real uid; SUDO_USER is kept beside it as a claim).\n"
	       "Approvers decide on the approval page. 管理者による代理の判断として記録されます。\n"
	       "The decision is recorded now; `sendguardctl apply` (the root step, run\n"
	       "by the timer) carries it out on the MTA's queue and tells the sender.\n"
	       "\n"
	       "  --by ADDR       the person on whose behalf you decide (e-mail address)\n"
	       "%s"
	       "\n"
	       "exit status: 0 recorded, 1 refused (not allowed, not root or the store's\n"
	       "owner, or already decided), 64 usage, 66 no such hold, 75 store busy\n"
	       "(retry), 77 permission, 78 configuration error.\n",
	       cmd, comment ? comment : "", what,
	       comment == NULL ? "" : comment[1] == '-'
	       ? "  --comment TEXT  the reason, for the sender and the audit log (required)\n"
	       : "  --comment TEXT  a note for the sender and the audit log\n");
}

void ctl_approve_help(void)
{
	ctl_decide_help("approve", " --checked all|N,... [--comment TEXT]",
			"Approve a held message: it will be delivered once the approvals it\n"
			"needs ([approval] required, required_<category>) are recorded, each by\n"
			"a different assigned approver. Only an approver assigned to this hold\n"
			"(or their delegate) may approve, never its sender (four eyes).\n"
			"--checked: the [approval] checklist items confirmed, \"all\" or their\n"
			"numbers as `show` lists them; approving needs every one.\n"
			"保留メールを承認します (割り当てられた承認者のみ、送信者本人は不可。"
			"確認項目をすべて確認してください)。");
}

void ctl_reject_help(void)
{
	ctl_decide_help("reject", " --comment TEXT",
			"Reject a held message: it will be deleted and the sender told,\n"
			"with the comment (the reason: required). Only an approver assigned\n"
			"to this hold may reject, never its sender.\n"
			"保留メールを却下します (割り当てられた承認者のみ、理由が必要です)。");
}

void ctl_withdraw_help(void)
{
	ctl_decide_help("withdraw", NULL,
			"Withdraw a held message: the sender takes it back; it will be\n"
			"deleted. Only the sender may withdraw.\n"
			"送信者が保留メールを取り下げます (送信者本人のみ)。");
}

/* --checked: "all", or the items by number (1, 2, ...: the order of
 * [approval] checklist, as `show` lists them) or by their sentence,
 * separated by commas. 0, or -1 after a usage message. */
static int ctl_ticks(const sg_conf *conf, const char *arg, const char **ticked,
		     size_t *nticked)
{
	size_t n = 0;
	char *const *items = sg_conf_list(conf, "approval", "checklist", &n);
	const char *p = arg;

	*nticked = 0;
	if (arg == NULL)
		return 0;
	if (strcmp(arg, "all") == 0) {
		for (size_t i = 0; i < n && i < CTL_TICKS_MAX; i++)
			ticked[(*nticked)++] = items[i];
		return 0;
	}
	while (*p && *nticked < CTL_TICKS_MAX) {
		size_t len = strcspn(p, ","), k;
		char *end;
		long num;

		while (len && *p == ' ')
			p++, len--;
		num = strtol(p, &end, 10);
		if (end == p + len && num >= 1 && (size_t)num <= n)
			k = (size_t)num - 1;
		else
			for (k = 0; k < n && !(strlen(items[k]) == len &&
					       strncmp(items[k], p, len) == 0); k++)
				;
		if (k >= n) {
			fprintf(stderr, "sendguardctl approve: --checked: \"%.*s\" is not"
				" an item of [approval] checklist (sendguardctl show ID"
				" lists them; --checked all ticks every one)\n",
				(int)(len > 200 ? 200 : len), p);
			return -1;
		}
		ticked[(*nticked)++] = items[k];
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int ctl_decide(const char *cmd, rel_action act, const char *conf_path,
		      int argc, char **argv)
{
	static const char *const opts[] = { "--by", "--comment", "--checked" };
	const char *vals[3] = { NULL, NULL, NULL }, *pos[1] = { NULL };
	const char *ticked[CTL_TICKS_MAX];
	size_t nticked = 0;
	rel_vote_outcome out = REL_DECIDED;
	rel_decision d;
	bool sender_act = act == REL_WITHDRAW || act == REL_RELEASE;
	ctl_argspec spec = { opts, vals, sender_act ? 1 : act == REL_APPROVE ? 3 : 2,
			     NULL, NULL, 0, pos, 1 };
	sg_conf *conf;
	st_store *st;
	sg_buf err;
	int ex = 0;
	rel_rc rc;

	if (ctl_parse_args(cmd, argc, argv, &spec) != 1 || vals[0] == NULL) {
		fprintf(stderr, "usage: sendguardctl %s ID --by ADDR%s\n", cmd,
			sender_act ? "" : act == REL_REJECT ? " --comment TEXT"
			: " --checked all|N,... [--comment TEXT]");
		return CTL_EX_USAGE;
	}
	if (vals[1] && strlen(vals[1]) > REL_COMMENT_MAX) {
		fprintf(stderr, "sendguardctl %s: --comment is longer than %d bytes\n",
			cmd, REL_COMMENT_MAX);
		return CTL_EX_USAGE;
	}
	if ((conf = ctl_load_conf(conf_path)) == NULL)
		return CTL_EX_CONFIG;
	if (ctl_ticks(conf, vals[2], ticked, &nticked) < 0) {
		sg_conf_free(conf);
		return CTL_EX_USAGE;
	}
	if (ctl_may_administer(cmd, conf) < 0) {
		sg_conf_free(conf);
		return CTL_EX_REFUSED;
	}
	if ((st = ctl_store_as_owner(cmd, conf, &ex)) == NULL) {
		sg_conf_free(conf);
		return ex;
	}
	sg_buf_init(&err, 8192);
	d = (rel_decision){ pos[0], act, vals[0], ctl_admin_name(), vals[1],
			    ctl_unix_user(), ticked, nticked };
	rc = rel_decide_ex(st, conf, &d, &out, &err);
	if (rc == REL_OK && out == REL_PARTIAL)
		printf("hold %s: approval by administrator %s on behalf of %s recorded;"
		       " the hold stays held until its other approvers approve"
		       " (sendguardctl show %s)\n", pos[0], ctl_admin_name(), vals[0],
		       pos[0]);
	else if (rc == REL_OK)
		printf("hold %s: %s by administrator %s on behalf of %s (recorded;"
		       " `sendguardctl apply` carries it out)\n",
		       pos[0], rel_action_name(act), ctl_admin_name(), vals[0]);
	else
		fprintf(stderr, "sendguardctl %s: %s: %s\n", cmd,
			rc == REL_REFUSED || rc == REL_INVALID ? "refused / 拒否" :
			rel_rc_name(rc),
			err.len ? sg_buf_cstr(&err) : "bad argument");
	sg_buf_free(&err);
	ctl_store_close(st, conf);
	sg_conf_free(conf);
	return ctl_exit_of(rc);
}

int ctl_approve(const char *conf_path, int argc, char **argv)
{
	return ctl_decide("approve", REL_APPROVE, conf_path, argc, argv);
}

int ctl_reject(const char *conf_path, int argc, char **argv)
{
	return ctl_decide("reject", REL_REJECT, conf_path, argc, argv);
}

void ctl_release_help(void)
{
	ctl_decide_help("release", NULL,
			"Send a delayed message now (delayed send, [hold] delay): the\n"
			"sender's \"send now\". Only the sender may, and only for delayed\n"
			"mail: a message held for approval is refused (exit 1).\n"
			"送信ディレイ中のメールを今すぐ送信します (送信者本人のみ。承認待ちは不可)。");
}

int ctl_release(const char *conf_path, int argc, char **argv)
{
	return ctl_decide("release", REL_RELEASE, conf_path, argc, argv);
}

int ctl_withdraw(const char *conf_path, int argc, char **argv)
{
	return ctl_decide("withdraw", REL_WITHDRAW, conf_path, argc, argv);
}
