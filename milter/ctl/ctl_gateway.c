/*
 * NAME
 *	ctl_gateway - gateways (issue 20): whose holds a command acts on
 * DESCRIPTION
 *	Several gateways may share one PostgreSQL store; each hold records
 *	the gateway whose queue keeps its mail ([store] gateway of the
 *	milter that took it). Only that gateway can carry out a decision
 *	on the mail: apply, apply --daemon and reconcile act on their own
 *	gateway's holds and leave the others' alone (they are neither
 *	carried out, nor repaired, nor reported as missing from the
 *	queue). An orphaned hold (its gateway retired) is nobody's.
 */
#include "ctl/ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/sg_gateway.h"

bool ctl_gateway_owns(const char *gateway, const st_hold *h)
{
	return gateway != NULL && h->gateway != NULL && h->orphaned_at == NULL &&
	       strcmp(h->gateway, gateway) == 0;
}

/* ------------------------------------------------------------ retire
 *
 * `gateway retire NAME`: the gateway NAME is decommissioned and the
 * mail in its queue is gone with it. Its undecided holds can never be
 * released, so they are marked orphaned (st_gateway_retire: the store
 * then refuses to decide, vote on, release or apply them; the page
 * and list show 「廃止されたゲートウェイ」 / orphaned), their notices
 * not yet sent are cancelled (nobody could act on them), one audit
 * record is written, and the administrators ([approvers] default and
 * [approval] escalate_to) are told through the notice outbox, in the
 * same transaction. Retiring the gateway the command runs on needs
 * --force: that is almost always a wrong name.
 */
#define CTL_RETIRE_LIST 50	/* hold ids named in the notice */

struct ctl_retire {
	const char *gateway;
	size_t n;
	sg_buf ids;		/* the first CTL_RETIRE_LIST, one a line */
};

void ctl_gateway_help(void)
{
	printf("usage: sendguardctl [-c CONF] gateway retire NAME [--force]\n"
	       "\n"
	       "A gateway that shared the store is decommissioned: every hold of it\n"
	       "that is not decided (pending or arriving) is marked orphaned, since its\n"
	       "mail was in that gateway's queue; it can no longer be approved or\n"
	       "released, and its notices not yet sent are cancelled. Writes an audit\n"
	       "record (gateway-retire) and tells the administrators ([approvers]\n"
	       "default, [approval] escalate_to).\n"
	       "廃止したゲートウェイの未判断の保留を「廃止されたゲートウェイ」にし、\n"
	       "未送信の通知を取り消します。\n"
	       "--force: retire this host's own gateway ([store] gateway) too.\n"
	       "exit status: 0 done, 1 refused (own gateway without --force),\n"
	       "64 usage, 66 no store, 70 internal, 75 busy, 77 not root or the\n"
	       "store's owner, 78 configuration.\n");
}

static int ctl_retire_collect(const st_hold *h, void *ctx)
{
	struct ctl_retire *r = ctx;

	if (h->orphaned_at != NULL || h->gateway == NULL ||
	    strcmp(h->gateway, r->gateway) != 0 ||
	    (h->status != ST_PENDING && h->status != ST_ARRIVING))
		return 0;
	if (r->n++ < CTL_RETIRE_LIST)
		sg_buf_printf(&r->ids, "  %s  %s  %s\n", h->id, h->sender ? h->sender : "",
			      h->queue_id ? h->queue_id : "");
	return 0;
}

static void ctl_retire_text(const struct ctl_retire *r, sg_buf *t)
{
	sg_buf_printf(t, "ゲートウェイ %s は廃止されました (sendguardctl gateway retire,"
		      " 実行者 %s)。\nこのゲートウェイで保留中だったメール %zu 件は"
		      "ゲートウェイとともに失われたため、承認も送信もできません"
		      "（「廃止されたゲートウェイ」）。\n必要なら送信者に送り直しを"
		      "依頼してください。\n\n", r->gateway, ctl_unix_user(), r->n);
	sg_buf_printf(t, "The gateway %s was retired (sendguardctl gateway retire,"
		      " by %s).\nIts %zu held messages were in its queue and are gone"
		      " with it: they can no longer\nbe approved or released"
		      " (orphaned). Ask their senders to send them again if\nneeded.\n\n",
		      r->gateway, ctl_unix_user(), r->n);
	sg_buf_puts(t, "保留 / Holds (id, sender, queue id):\n");
	sg_buf_puts(t, r->n ? sg_buf_cstr(&r->ids) : "  (なし / none)\n");
	if (r->n > CTL_RETIRE_LIST)
		sg_buf_printf(t, "  ... (ほか %zu 件 / %zu more: sendguardctl list)\n",
			      r->n - CTL_RETIRE_LIST, r->n - CTL_RETIRE_LIST);
}

/* The administrators: [approvers] default, then [approval]
 * escalate_to, each address once. */
static size_t ctl_retire_admins(const sg_conf *conf, const char **v, size_t max)
{
	const char *esc = SG_CONF_STR(conf, approval_escalate_to);
	size_t n = 0;

	for (size_t i = 0; i < conf->nentries && n < max; i++) {
		const sg_conf_entry *e = &conf->entries[i];

		if (strcmp(e->section, "approvers") != 0 || strcmp(e->key, "default") != 0)
			continue;
		for (size_t j = 0; j < e->nlist && n < max; j++)
			v[n++] = e->list[j];
	}
	for (size_t i = 0; esc && *esc && i < n; i++)
		if (strcasecmp(v[i], esc) == 0)
			esc = NULL;
	if (esc && *esc && n < max)
		v[n++] = esc;
	return n;
}

#define CTL_RETIRE_ADMINS 32

/* Builds the notices (st_notice_new, freed by ctl_retire_free). */
static size_t ctl_retire_notices(const sg_conf *conf, const struct ctl_retire *r,
				 ctl_notices *nt, st_notice_new *out)
{
	const char *to[CTL_RETIRE_ADMINS];
	size_t nto = ctl_retire_admins(conf, to, CTL_RETIRE_ADMINS), n = 0;
	sg_buf text, subject, err;

	sg_buf_init(&text, 1u << 20);
	sg_buf_init(&subject, 1024);
	sg_buf_init(&err, 4096);
	ctl_retire_text(r, &text);
	sg_buf_printf(&subject, "[sendguard] ゲートウェイ %s の廃止: 保留 %zu 件 /"
		      " gateway %s retired: %zu holds orphaned", r->gateway, r->n,
		      r->gateway, r->n);
	for (size_t i = 0; nt != NULL && i < nto; i++) {
		int rc = ctl_notice_text(nt, "gateway-retired", to[i], sg_buf_cstr(&subject),
					 sg_buf_cstr(&text), &out[n], &err);

		if (rc > 0)
			n++;
		else
			fprintf(stderr, "sendguardctl gateway retire: no notice to %s: %s\n",
				to[i], rc < 0 ? sg_buf_cstr(&err) : "not an internal address");
	}
	if (nto == 0)
		fprintf(stderr, "sendguardctl gateway retire: warning: no administrator"
			" to tell ([approvers] default, [approval] escalate_to)\n");
	sg_buf_free(&text);
	sg_buf_free(&subject);
	sg_buf_free(&err);
	return n;
}

static void ctl_retire_free(st_notice_new *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)v[i].kind);
		free((char *)v[i].rcpt);
		free((char *)v[i].message_id);
		free((char *)v[i].head);
		free((char *)v[i].body);
	}
}

/* Reads the gateway's undecided holds, records the retirement with the
 * notices, sends them. An exit status. */
static int ctl_retire_run(const sg_conf *conf, st_store *st, const char *name)
{
	struct ctl_retire r = { name, 0, { 0 } };
	st_notice_new notices[CTL_RETIRE_ADMINS];
	ctl_notices *nt;
	size_t nn = 0, count = 0;
	sg_buf err;
	st_rc rc;

	sg_buf_init(&err, 4096);
	sg_buf_init(&r.ids, 1u << 20);
	rc = st_hold_list(st, NULL, ctl_retire_collect, &r, &err);
	if (rc == ST_OK) {
		if ((nt = ctl_notices_new(conf, "gateway", &err)) == NULL)
			fprintf(stderr, "sendguardctl gateway retire: warning: notices"
				" cannot be built: %s\n", sg_buf_cstr(&err));
		nn = ctl_retire_notices(conf, &r, nt, notices);
		sg_buf_reset(&err);
		rc = st_gateway_retire(st, &(st_retire){ name, ctl_admin_name(),
						       ctl_unix_user(), notices, nn },
				       &count, &err);
		ctl_retire_free(notices, nn);
		if (rc == ST_OK) {
			ctl_notices_drain(nt, st);
			printf("gateway %s retired: %zu holds orphaned, %zu administrator"
			       "%s told / ゲートウェイ %s を廃止しました (保留 %zu 件)\n",
			       name, count, nn, nn == 1 ? "" : "s", name, count);
		}
		ctl_notices_free(nt);
	}
	if (rc != ST_OK)
		fprintf(stderr, "sendguardctl gateway retire: %s\n", sg_buf_cstr(&err));
	sg_buf_free(&err);
	sg_buf_free(&r.ids);
	return rc == ST_OK ? 0 : rc == ST_BUSY ? CTL_EX_TEMPFAIL
	     : rc == ST_INVALID ? CTL_EX_USAGE : CTL_EX_SOFTWARE;
}

int ctl_gateway(const char *conf_path, int argc, char **argv)
{
	static const char *const flags[] = { "--force" };
	const char *pos[2] = { NULL, NULL };
	bool force = false;
	ctl_argspec spec = { NULL, NULL, 0, flags, &force, 1, pos, 2 };
	int npos = ctl_parse_args("gateway", argc, argv, &spec), ex = 0;
	sg_conf *conf;
	st_store *st;

	if (npos != 2 || strcmp(pos[0], "retire") != 0) {
		fprintf(stderr, "usage: sendguardctl gateway retire NAME [--force]\n");
		return CTL_EX_USAGE;
	}
	if (!sg_gateway_valid(pos[1])) {
		fprintf(stderr, "sendguardctl gateway retire: \"%.100s\" is not a gateway"
			" name (letters, digits, '.', '-', '_'; at most %d)\n", pos[1],
			SG_GATEWAY_MAX);
		return CTL_EX_USAGE;
	}
	if ((conf = ctl_load_conf(conf_path)) == NULL)
		return CTL_EX_CONFIG;
	if (strcmp(pos[1], SG_CONF_STR(conf, store_gateway)) == 0 && !force) {
		fprintf(stderr, "sendguardctl gateway retire: refused: %s is this host's"
			" own gateway ([store] gateway); its holds are in this queue."
			" Retire it from another gateway, or add --force / このホスト自身の"
			"ゲートウェイです\n", pos[1]);
		sg_conf_free(conf);
		return CTL_EX_REFUSED;
	}
	if (ctl_may_administer("gateway retire", conf) < 0) {
		sg_conf_free(conf);
		return CTL_EX_NOPERM;
	}
	if ((st = ctl_store_as_owner("gateway", conf, &ex)) != NULL) {
		ex = ctl_retire_run(conf, st, pos[1]);
		ctl_store_close(st, conf);
	}
	sg_conf_free(conf);
	return ex;
}
