/*
 * NAME
 *	sendguardctl - command-line tool for sendguard administrators
 * SYNOPSIS
 *	sendguardctl [-c CONF] COMMAND [ARGS]
 * DESCRIPTION
 *	Dispatches to one subcommand per ctl_*.c file. -c names the
 *	configuration file (default /etc/sendguard/sendguard.conf, or
 *	$SENDGUARD_CONF).
 */
#include "ctl/ctl.h"
#include "util/sg_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_DEFAULT_CONF "/etc/sendguard/sendguard.conf"

static const ctl_cmd ctl_cmds[] = {
	{ "check", "scan one message and print the verdict / メールを検査して判定を表示",
	  ctl_check, ctl_check_help },
	{ "explain", "sender group, settings and their origin, verdict / グループと設定の説明",
	  ctl_explain, ctl_explain_help },
	{ "config", "print the effective configuration / 有効な設定を表示",
	  ctl_config, ctl_config_help },
	{ "audit", "verify the audit log's hash chain / 監査ログの検証",
	  ctl_audit, ctl_audit_help },
	{ "keygen", "create a new signing key / 署名鍵を作成",
	  ctl_keygen, ctl_keygen_help },
	{ "doctor", "verify the deployment (root) / 導入状態の検査",
	  ctl_doctor, ctl_doctor_help },
	{ "list", "list held messages / 保留メールの一覧",
	  ctl_list, ctl_list_help },
	{ "show", "show one hold in full / 保留の詳細",
	  ctl_show, ctl_show_help },
	{ "approve", "approve a hold for an approver (root or store owner) / 代理承認",
	  ctl_approve, ctl_approve_help },
	{ "reject", "reject a hold for an approver, with a reason / 代理却下",
	  ctl_reject, ctl_reject_help },
	{ "withdraw", "withdraw a hold (its sender) / 送信者による取り下げ",
	  ctl_withdraw, ctl_withdraw_help },
	{ "release", "send delayed mail now (its sender) / 送信ディレイ中のメールを今すぐ送信",
	  ctl_release, ctl_release_help },
	{ "delegate", "name an approver's proxy for a period / 代理人の指定",
	  ctl_delegate, ctl_delegate_help },
	{ "apply", "carry out decisions on the queue (root) / 判断をキューに反映",
	  ctl_apply, ctl_apply_help },
	{ "serve-downloads", "attachments for the hold page's downloads (root) / 添付ファイルの提供",
	  ctl_serve_downloads, ctl_serve_downloads_help },
	{ "expire", "expire old holds, remind approvers / 期限切れ処理と再通知",
	  ctl_expire, ctl_expire_help },
	{ "reconcile", "repair store vs queue disagreements (root) / 不整合の修復",
	  ctl_reconcile, ctl_reconcile_help },
	{ "gateway", "gateway retire NAME: orphan a decommissioned gateway's holds / ゲートウェイの廃止",
	  ctl_gateway, ctl_gateway_help },
	{ "store", "store init or migrate: create or upgrade the store / 保留データベースの作成・更新",
	  ctl_store, ctl_store_help },
	{ "report", "ledger of outbound mail for audits / 監査用の台帳",
	  ctl_report, ctl_report_help },
};

static void ctl_usage(FILE *fp)
{
	fprintf(fp,
		"usage: sendguardctl [-c CONF] COMMAND [ARGS]\n"
		"\n"
		"sendguard: outbound mail gateway filter. This tool scans messages\n"
		"offline and administers sendguard.\n"
		"送信メールの検査ツールです。\n"
		"\n"
		"options:\n"
		"  -c CONF     configuration file (default %s,\n"
		"              or $SENDGUARD_CONF)\n"
		"  -h, --help  this help; COMMAND --help for a command's help\n"
		"  --version   print the version\n"
		"\n"
		"commands:\n", CTL_DEFAULT_CONF);
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		fprintf(fp, "  %-9s %s\n", ctl_cmds[i].name, ctl_cmds[i].summary);
	fprintf(fp,
		"\n"
		"exit status: 0 ok (check: accept or log), 1 check: hold or bcc,\n"
		"2 check: reject, 64 usage error, 66 unreadable input or no such hold,\n"
		"70 internal error, 73 cannot create, 75 busy (retry), 77 permission,\n"
		"78 configuration error; hold commands: 1 refused (see COMMAND --help).\n");
}

int ctl_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

sg_conf *ctl_load_conf(const char *path)
{
	sg_buf err;
	sg_conf *conf;

	sg_buf_init(&err, 8192);
	conf = sg_conf_load(path, &err);
	if (conf == NULL)
		fprintf(stderr, "sendguardctl: configuration error: %s\n",
			sg_buf_cstr(&err));
	sg_buf_free(&err);
	return conf;
}

int main(int argc, char **argv)
{
	const char *conf = getenv("SENDGUARD_CONF");
	int i = 1;

	if (conf == NULL || *conf == '\0')
		conf = CTL_DEFAULT_CONF;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			conf = argv[++i];
		} else if (ctl_is_help(argv[i])) {
			ctl_usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("sendguardctl %s\n", SG_VERSION);
			return 0;
		} else {
			fprintf(stderr, "sendguardctl: unknown option or missing "
				"argument: %s\n", argv[i]);
			ctl_usage(stderr);
			return CTL_EX_USAGE;
		}
	}
	if (i >= argc) {
		ctl_usage(stderr);
		return CTL_EX_USAGE;
	}
	for (size_t c = 0; c < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); c++) {
		if (strcmp(argv[i], ctl_cmds[c].name) != 0)
			continue;
		for (int j = i + 1; j < argc; j++)
			if (ctl_is_help(argv[j])) {
				ctl_cmds[c].help();
				return 0;
			}
		return ctl_cmds[c].run(conf, argc - i - 1, argv + i + 1);
	}
	fprintf(stderr, "sendguardctl: unknown command: %s\n", argv[i]);
	ctl_usage(stderr);
	return CTL_EX_USAGE;
}
