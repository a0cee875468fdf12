/*
 * NAME
 *	ctl - sendguardctl, the administrators' tool
 * DESCRIPTION
 *	Exit statuses follow sysexits(3) for errors, so that scripts can
 *	tell a usage mistake (64) from unreadable input (66), an internal
 *	error (70) and a configuration error (78). `check` exits 0 for
 *	accept or log, 1 for hold or bcc, 2 for reject.
 */
#ifndef CTL_H
#define CTL_H

#include <stdbool.h>

#include "engine/eng.h"
#include "pdfpool/pdp.h"
#include "release/rel.h"
#include "release/rel_outbox.h"
#include "store/st.h"
#include "util/sg_conf.h"

#define CTL_EX_REFUSED 1	/* hold commands: the rules say no */
#define CTL_EX_USAGE 64
#define CTL_EX_NOINPUT 66
#define CTL_EX_SOFTWARE 70
#define CTL_EX_CANTCREAT 73
#define CTL_EX_TEMPFAIL 75
#define CTL_EX_NOPERM 77
#define CTL_EX_CONFIG 78

typedef struct ctl_cmd {
	const char *name;
	const char *summary;	/* one line, English / Japanese */
	int (*run)(const char *conf_path, int argc, char **argv);
	void (*help)(void);
} ctl_cmd;

int ctl_check(const char *conf_path, int argc, char **argv);
void ctl_check_help(void);
int ctl_explain(const char *conf_path, int argc, char **argv);
void ctl_explain_help(void);
/* The PDF text workers of one sendguardctl run: one worker, started on
 * the first PDF; attached to eng. NULL (and a warning on stderr) when
 * the worker cannot be run: PDFs are then held as scan limits. */
pdp_pool *ctl_pdfpool(eng_engine *eng);
int ctl_config(const char *conf_path, int argc, char **argv);
void ctl_config_help(void);

int ctl_keygen(const char *conf_path, int argc, char **argv);
/* ctl_doctor.c: verify a deployment (exit 1 with a line per problem). */
int ctl_doctor(const char *conf_path, int argc, char **argv);
void ctl_doctor_help(void);
int ctl_audit(const char *conf_path, int argc, char **argv);
void ctl_audit_help(void);
void ctl_keygen_help(void);

/* ctl_priv.c: as root, become the store's owner (0, or -1 said). */
int ctl_become_store_owner(const sg_conf *conf);
/* The real uid's user, with environment claims beside it, for the
 * audit log: "root (uid 0)", "root (uid 0; claimed by the environment:
 * SUDO_USER=alice, SUDO_UID=1000)". */
const char *ctl_unix_user(void);
/* The real uid's user name ("uid N" when it has none). */
const char *ctl_admin_name(void);
/* 0 when the real uid is root or the store's owner ([milter] user
 * before the store exists); -1 after a refusal message. Decisions
 * from the command line are administrators' (issue 14). */
int ctl_may_administer(const char *cmd, const sg_conf *conf);

/* ctl_priv.c: remember who ran the command, without switching user
 * (apply and reconcile keep root). */
void ctl_note_invoker(void);

/* Hold administration (issue 7): ctl_hold.c, ctl_decide.c,
 * ctl_apply.c, ctl_expire.c, ctl_reconcile.c, ctl_report.c. */
int ctl_list(const char *conf_path, int argc, char **argv);
void ctl_list_help(void);
int ctl_show(const char *conf_path, int argc, char **argv);
void ctl_show_help(void);
int ctl_approve(const char *conf_path, int argc, char **argv);
void ctl_approve_help(void);
int ctl_reject(const char *conf_path, int argc, char **argv);
void ctl_reject_help(void);
int ctl_withdraw(const char *conf_path, int argc, char **argv);
int ctl_release(const char *conf_path, int argc, char **argv);
void ctl_release_help(void);
int ctl_delegate(const char *conf_path, int argc, char **argv);
void ctl_delegate_help(void);
void ctl_withdraw_help(void);
int ctl_apply(const char *conf_path, int argc, char **argv);
void ctl_apply_help(void);
int ctl_serve_downloads(const char *conf_path, int argc, char **argv);
void ctl_serve_downloads_help(void);
int ctl_expire(const char *conf_path, int argc, char **argv);
void ctl_expire_help(void);
int ctl_reconcile(const char *conf_path, int argc, char **argv);
void ctl_reconcile_help(void);
int ctl_report(const char *conf_path, int argc, char **argv);
void ctl_report_help(void);
/* ctl_store.c: `store init`, the only command that creates the store. */
int ctl_store(const char *conf_path, int argc, char **argv);
void ctl_store_help(void);

/* ctl_wf.c: shared by the hold commands. */
int ctl_exit_of(rel_rc rc);
st_store *ctl_store_as_owner(const char *cmd, const sg_conf *conf, int *ex);
st_store *ctl_store_as_root(const char *cmd, const sg_conf *conf, int *ex);
void ctl_store_close(st_store *st, const sg_conf *conf);
/* flock on "<store>.apply.lock", waiting up to wait_s; fd or -1. */
int ctl_lock_apply(const char *cmd, const sg_conf *conf, int wait_s);
typedef struct ctl_notices ctl_notices;
/* actor names the command in the audit records of notices it sends. */
ctl_notices *ctl_notices_new(const sg_conf *conf, const char *actor, sg_buf *err);
void ctl_notices_free(ctl_notices *n);
/* Records a notice in the outbox: reminders to the approvers,
 * everything else to the sender (internal addresses only). */
void ctl_notice(ctl_notices *n, st_store *st, const st_hold *h, ntf_kind kind);
/* Delayed send: the sender's "it has left" notice (sent_sender), always
 * recorded without content for the milter's notifier to build. */
void ctl_notice_sent(ctl_notices *n, st_store *st, const st_hold *h);
void ctl_notice_to(ctl_notices *n, st_store *st, const st_hold *h, ntf_kind kind,
		   const char *to);
/* From now on ctl_notice() only records who gets which notice; the
 * milter's notifier builds it from the stored hold and sends it. */
void ctl_notices_later(ctl_notices *n);
/* A notice whose text the caller wrote, to `to` (internal addresses
 * only), built into *out (strings to free): 1, 0 when `to` may not
 * get one, -1 with err. */
int ctl_notice_text(ctl_notices *n, const char *kind, const char *to,
		    const char *subject, const char *text, st_notice_new *out,
		    sg_buf *err);
/* Sends what is due in the outbox (bounded time); how many were sent. */
size_t ctl_notices_drain(ctl_notices *n, st_store *st);
/* Approval requests for a hold about to be recorded (reconcile
 * --rebuild): only who gets one, added to out, built when sent. */
void ctl_notices_requests(ctl_notices *n, char *const *approvers, size_t napprovers,
			  rel_nlist *out);
ntf_kind ctl_outcome_kind(st_status s);
typedef struct ctl_argspec {
	const char *const *opts;	/* "--by", ... (take a value) */
	const char **vals;
	size_t nopts;
	const char *const *flags;	/* "--json", ... */
	bool *set;
	size_t nflags;
	const char **pos;
	size_t npos;
} ctl_argspec;
int ctl_parse_args(const char *cmd, int argc, char **argv, const ctl_argspec *spec);
/* ctl_apply.c: carry out one decided hold on the queue (apply and
 * reconcile). */
typedef struct ctl_applier {
	st_store *st;
	const sg_conf *conf;		/* identities: recipient_delimiter, domains */
	rel_backend *be;		/* [release] backend: Postfix or Sendmail */
	ctl_notices *notices;
	long long requeue_after;	/* seconds; -1: never requeue */
	size_t applied, gone, refused, failed;
	/* apply --daemon only (backoff true): holds whose last try was
	 * refused or failed, tried again with backoff (ctl_apply.c) */
	bool backoff;
	struct ctl_backoff *bo;
	size_t nbo;
} ctl_applier;
void ctl_apply_hold(ctl_applier *a, const st_hold *h);
/* h carries a decision apply may carry out (not pending, arriving or
 * never-arrived). */
bool ctl_decided(const st_hold *h);
/* 0, or -1 after a message (configuration); free in both cases. */
int ctl_applier_init(ctl_applier *a, const char *cmd, const sg_conf *conf,
		     st_store *st);
void ctl_applier_free(ctl_applier *a);
/* ctl_rebuild.c: reconcile --rebuild, records for held mail whose
 * record was lost; 0, or an exit status (configuration). */
int ctl_rebuild(ctl_applier *a, const sg_conf *conf);

/* ctl_gateway.c (issue 20): whether h is gateway's to carry out: its
 * mail is in this gateway's queue, and it is not orphaned. */
bool ctl_gateway_owns(const char *gateway, const st_hold *h);
/* `sendguardctl gateway retire NAME [--force]`. */
int ctl_gateway(const char *conf_path, int argc, char **argv);
void ctl_gateway_help(void);

/* Loads the configuration or prints the error; NULL means exit 78. */
sg_conf *ctl_load_conf(const char *path);
/* True when argv[i] is -h or --help. */
int ctl_is_help(const char *arg);

#endif
