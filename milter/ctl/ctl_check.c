/*
 * NAME
 *	ctl_check - `sendguardctl check`: scan one message offline
 * DESCRIPTION
 *	Runs the same engine and policy as the milter on a file or standard
 *	input and prints the verdict (JSON with --json, per the contract in
 *	ARCHITECTURE.md). It reports what the policy decides whatever the
 *	mode; in monitor mode the output says so.
 *
 *	The sender group (issue 19) is chosen as the milter chooses it at
 *	MAIL FROM, from --from and --auth (the SMTP AUTH login), so that
 *	check and the milter give one verdict per group. `explain` prints
 *	the group, every setting a group may change with where its value
 *	came from, and then the verdict.
 */
#include "ctl/ctl.h"
#include "engine/eng.h"
#include "util/sg_buf.h"
#include "util/sg_mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* More recipients than an SMTP server accepts for one message. */
#define CTL_MAX_RCPTS 10000

void ctl_check_help(void)
{
	printf("usage: sendguardctl [-c CONF] check [--from ADDR] [--auth LOGIN]\n"
	       "                    [--rcpt ADDR]... [--json | --preview] FILE|-\n"
	       "\n"
	       "Scan one message (RFC 5322 file, or - for standard input) with the\n"
	       "full engine and policy, and print the verdict and findings.\n"
	       "メールを 1 通検査し、判定と検出内容を表示します。\n"
	       "\n"
	       "  --from ADDR  envelope sender (with --auth, it picks the sender\n"
	       "               group as the milter does)\n"
	       "  --auth LOGIN SMTP AUTH login of the sender\n"
	       "  --rcpt ADDR  envelope recipient (repeat for each); without any,\n"
	       "               the To, Cc and Bcc headers decide who is external\n"
	       "  --json       one JSON object: verdict, mode, findings, attachments\n"
	       "  --preview    one JSON object: the preview a hold keeps for its\n"
	       "               approvers (headers as written, Bcc, body text up to\n"
	       "               [hold] preview_bytes, first rows of spreadsheets)\n"
	       "\n"
	       "exit status: 0 accept or log, 1 hold or bcc, 2 reject, 64 usage,\n"
	       "66 unreadable input, 70 internal error, 78 configuration error.\n");
}

static int ctl_read_input(const char *path, size_t max, sg_buf *out)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;

	/* Read one byte past the limit so that the engine sees the message
	 * is too large (and holds it) rather than a silently cut copy. The
	 * buffer is initialised first: the caller frees it on failure too. */
	sg_buf_init(out, max + 1);
	if (fp == NULL) {
		fprintf(stderr, "sendguardctl check: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (sg_buf_append(out, chunk, n) < 0) {
			sg_buf_append(out, chunk, out->max - out->len);
			break;
		}
	if (ferror(fp)) {
		fprintf(stderr, "sendguardctl check: %s: read error: %s\n", path,
			strerror(errno));
		if (fp != stdin)
			fclose(fp);
		return -1;
	}
	if (fp != stdin)
		fclose(fp);
	return 0;
}

static int ctl_exit_for(eng_action verdict)
{
	switch (verdict) {
	case ENG_ACT_ACCEPT:
	case ENG_ACT_LOG:
		return 0;
	case ENG_ACT_BCC:
	case ENG_ACT_HOLD:
		return 1;
	case ENG_ACT_REJECT:
		return 2;
	}
	return CTL_EX_SOFTWARE;
}

typedef struct ctl_check_args {
	const char *from;
	const char *auth;
	const char **rcpts;
	size_t nrcpts;
	int json;
	int preview;
	const char *file;
} ctl_check_args;

static int ctl_check_parse(int argc, char **argv, ctl_check_args *a)
{
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if ((strcmp(arg, "--from") == 0 || strcmp(arg, "--rcpt") == 0 ||
		     strcmp(arg, "--auth") == 0)) {
			if (i + 1 >= argc) {
				fprintf(stderr, "sendguardctl check: %s needs an address\n", arg);
				return -1;
			}
			if (arg[2] == 'f') {
				a->from = argv[++i];
			} else if (arg[2] == 'a') {
				a->auth = argv[++i];
			} else if (a->nrcpts >= CTL_MAX_RCPTS) {
				fprintf(stderr, "sendguardctl check: more than %d --rcpt\n",
					CTL_MAX_RCPTS);
				return -1;
			} else {
				a->rcpts[a->nrcpts++] = argv[++i];
			}
		} else if (strcmp(arg, "--json") == 0) {
			a->json = 1;
		} else if (strcmp(arg, "--preview") == 0) {
			a->preview = 1;
		} else if (arg[0] == '-' && arg[1] != '\0') {
			fprintf(stderr, "sendguardctl check: unknown option: %s\n", arg);
			return -1;
		} else if (a->file) {
			fprintf(stderr, "sendguardctl check: only one message at a time\n");
			return -1;
		} else {
			a->file = arg;
		}
	}
	if (a->file == NULL) {
		fprintf(stderr, "sendguardctl check: no message given (FILE or -)\n");
		return -1;
	}
	return 0;
}

static const char *ctl_or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* explain: the group and each setting a group may change, with where
 * its value came from (the group's line, the global line, or the
 * built-in default). */
static void ctl_explain_settings(const sg_conf *conf, const ctl_check_args *a,
				 FILE *fp)
{
	int gi = sg_conf_group_for(conf, a->from ? a->from : "", a->auth);
	const sg_conf_group *g = gi >= 0 ? &conf->groups[gi] : NULL;

	fprintf(fp, "送信者 sender: %s  ログイン login: %s\n", ctl_or_dash(a->from),
		ctl_or_dash(a->auth));
	if (g) {
		fprintf(fp, "グループ group: %s  (%s:%u, senders =", g->name, conf->path,
			g->line);
		for (size_t i = 0; i < g->senders.nlist; i++)
			fprintf(fp, "%s %s", i ? "," : "", g->senders.list[i]);
		fprintf(fp, ")\n");
	} else {
		fprintf(fp, "グループ group: (なし none: the defaults apply; %zu group%s "
			"tried)\n", conf->ngroups, conf->ngroups == 1 ? "" : "s");
	}
	fprintf(fp, "設定 settings:\n");
	for (size_t i = 0; i < sg_noptions; i++) {
		const sg_option *o = &sg_options[i];
		const sg_value *v;
		sg_buf where;

		if (!sg_conf_groupable(o))
			continue;
		v = sg_conf_gvalue(conf, g, o->section, o->key);
		sg_buf_init(&where, 4096);
		if (g && v == &g->values[i])
			sg_buf_printf(&where, "[group.%s] %s:%u", g->name, conf->path, v->line);
		else if (v->line)
			sg_buf_printf(&where, "[%s] %s:%u", o->section, conf->path, v->line);
		else
			sg_buf_puts(&where, "default");
		fprintf(fp, "  [%s] %s = ", o->section, o->key);
		if (o->type == SG_OPT_LIST || o->type == SG_OPT_DOMAINS)
			for (size_t k = 0; k < v->nlist; k++)
				fprintf(fp, "%s%s", k ? ", " : "", v->list[k]);
		else
			fputs(v->text, fp);
		fprintf(fp, "    # %s\n", sg_buf_cstr(&where));
		sg_buf_free(&where);
	}
	if (g && g->approvers.nlist) {
		fprintf(fp, "  approvers =");
		for (size_t k = 0; k < g->approvers.nlist; k++)
			fprintf(fp, "%s %s", k ? "," : "", g->approvers.list[k]);
		fprintf(fp, "    # [group.%s] %s:%u\n", g->name, conf->path,
			g->approvers.line);
	}
}

pdp_pool *ctl_pdfpool(eng_engine *eng)
{
	char *worker = pdp_default_worker();
	sg_buf err;
	pdp_pool *pool;

	sg_buf_init(&err, 1024);
	pool = pdp_new(worker, 1, false, &err);
	if (pool == NULL)
		fprintf(stderr, "sendguardctl: warning: %s: PDF text cannot be read "
			"(PDFs are held as scan limits)\n", sg_buf_cstr(&err));
	pdp_attach(eng, pool);
	sg_buf_free(&err);
	free(worker);
	return pool;
}

static int ctl_check_scan(const sg_conf *conf, const ctl_check_args *a,
			  bool explain)
{
	pdp_pool *pool;
	sg_buf err, msg, out;
	eng_engine *eng;
	eng_envelope env = { a->from, a->rcpts, a->nrcpts, a->auth, NULL };
	eng_result res;
	int rc;

	sg_buf_init(&err, 8192);
	eng = eng_engine_new(conf, &err);
	if (eng == NULL) {
		fprintf(stderr, "sendguardctl: rule error: %s\n", sg_buf_cstr(&err));
		sg_buf_free(&err);
		return CTL_EX_CONFIG;
	}
	sg_buf_free(&err);
	pool = ctl_pdfpool(eng);
	if (ctl_read_input(a->file, (size_t)sg_conf_num(conf, "limits",
			   "max_message_size"), &msg) < 0) {
		eng_engine_free(eng);
		pdp_free(pool);
		sg_buf_free(&msg);
		return CTL_EX_NOINPUT;
	}
	if (eng_scan(eng, &env, sg_buf_cstr(&msg), msg.len, &res) < 0) {
		fprintf(stderr, "sendguardctl check: internal error while scanning\n");
		rc = CTL_EX_SOFTWARE;
	} else {
		sg_buf_init(&out, SG_BUF_UNLIMITED);
		if (explain)
			ctl_explain_settings(conf, a, stdout);
		if (a->preview) {
			/* What the milter stores with a hold for its approvers. */
			(void)eng_preview(eng, &env, sg_buf_cstr(&msg), msg.len,
					  (size_t)sg_conf_num(conf, "hold", "preview_bytes"),
					  &out);
			sg_buf_putc(&out, '\n');
		} else if (a->json)
			eng_result_json(&res, &out);
		else
			eng_result_text(&res, &out);
		fwrite(out.data, 1, out.len, stdout);
		sg_buf_free(&out);
		rc = ctl_exit_for(res.verdict);
	}
	eng_result_free(&res);
	eng_engine_free(eng);
	pdp_free(pool);
	sg_buf_free(&msg);
	return rc;
}

static int ctl_check_run(const char *conf_path, int argc, char **argv,
			 bool explain)
{
	ctl_check_args a = { 0 };
	sg_conf *conf;
	int rc;

	a.rcpts = sg_xcalloc((size_t)argc + 1, sizeof(char *));
	if (ctl_check_parse(argc, argv, &a) < 0) {
		free(a.rcpts);
		fprintf(stderr, "see: sendguardctl %s --help\n",
			explain ? "explain" : "check");
		return CTL_EX_USAGE;
	}
	if ((conf = ctl_load_conf(conf_path)) == NULL) {
		free(a.rcpts);
		return CTL_EX_CONFIG;
	}
	if (explain && a.json) {
		fprintf(stderr, "sendguardctl explain: --json is check's; use check "
			"--json\n");
		rc = CTL_EX_USAGE;
	} else {
		rc = ctl_check_scan(conf, &a, explain);
	}
	sg_conf_free(conf);
	free(a.rcpts);
	return fflush(stdout) == 0 ? rc : CTL_EX_SOFTWARE;
}

int ctl_check(const char *conf_path, int argc, char **argv)
{
	return ctl_check_run(conf_path, argc, argv, false);
}

int ctl_explain(const char *conf_path, int argc, char **argv)
{
	return ctl_check_run(conf_path, argc, argv, true);
}

void ctl_explain_help(void)
{
	printf("usage: sendguardctl [-c CONF] explain --from ADDR [--auth LOGIN]\n"
	       "                    [--rcpt ADDR]... FILE|-\n"
	       "\n"
	       "Like check, and first says which sender group ([group.NAME]) the\n"
	       "sender is in (the first whose senders match the envelope sender and,\n"
	       "with --auth, the login), each setting a group may change with where\n"
	       "its value came from, then the verdict and findings.\n"
	       "送信者グループ、各設定とその出所、判定を表示します。\n"
	       "\n"
	       "exit status: as check (0 accept or log, 1 hold or bcc, 2 reject, ...).\n");
}
