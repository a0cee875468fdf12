/*
 * NAME
 *	rel - the approval workflow: who may decide, expiry, and the
 *	Postfix release backend
 * SYNOPSIS
 *	#include "release/rel.h"
 * DESCRIPTION
 *	Policy (rel_policy.c). A hold is decided once. approve and
 *	reject are open only to an approver the milter assigned to that
 *	hold (its stored approvers list, computed with
 *	ntf_approvers_for()), and never to the sender: the canonical
 *	sender, the From address, the AUTH login, or login@ the sender's
 *	domain (four eyes, ARCHITECTURE.md "Who is who"). withdraw is open
 *	only to the sender (any of those identities). A hold that nobody
 *	may approve (empty list: [approvers] named only the sender) is
 *	decided by an administrator with sendguardctl: then any --by
 *	other than the sender may approve or reject, and the audit record
 *	says so. Addresses compare case-insensitively, angle brackets
 *	and surrounding blanks ignored. release ("send now", issue 19)
 *	is open only to the sender and only for a hold of kind delay: a
 *	hold for approval is never released by its sender.
 *
 *	Expiry (rel_expire.c). A pending hold past its expiry time becomes
 *	expired (by "expire"); a pending hold past half of its lifetime
 *	gets one reminder, claimed in the store (st_hold_mark_reminded),
 *	so that concurrent or repeated runs remind once. Notices go
 *	through a callback, so that the rules can be tested without a
 *	mail system.
 *
 *	Commands (rel_cmd.c). External programs run with posix_spawn, no
 *	shell, stdin from /dev/null, stdout and stderr captured up to a
 *	bound, killed (process group) after a timeout.
 *
 *	Postfix (rel_postfix.c). A queue file is tied to a hold by its
 *	X-Sendguard-Hold header (read with postcat -hq); the queue is
 *	changed only after that header names the hold. approve is
 *	postsuper -H then postqueue -i, or postsuper -r for mail held a
 *	large part of the queue lifetime (postsuper(1): -H keeps the
 *	arrival time, so qmgr would bounce it at the first deferral; a
 *	requeued message gets a new queue id and, per postsuper(1), is not
 *	given to the milters again). reject, withdraw and expire are
 *	postsuper -d ID hold. A file already gone or already released is
 *	reported as such (REL_GONE, REL_RELEASED), never retried forever.
 *
 *	Sendmail (rel_sendmail.c). A held message is a quarantined queue
 *	item (its control file is hf<ID>, not qf<ID>, op.me 2.3.6), tied
 *	to its hold by the X-Sendguard-Hold H line of that file. approve
 *	is sendmail -qQ -qI<ID> -Q (unquarantine) then -qI<ID> (run it);
 *	reject, withdraw and expire remove hf<ID> and df<ID> under the
 *	control file's lock, as qtool.pl(8) -Q -d does: Sendmail has no
 *	command that deletes a queue item.
 *
 *	Backends (rel_backend.c). sendguardctl apply and reconcile reach
 *	the MTA only through rel_backend, chosen by [release] backend, so
 *	that the rules of apply and reconcile are written once.
 *
 *	Arrival (rel_arrival.c, rel_arrival.h). The milter's notifier and
 *	reconcile confirm arriving holds by their queue files (issue 15),
 *	through the same backend: its list operation, which the
 *	unprivileged milter may run (postqueue -j; the Sendmail queue
 *	directory).
 * DIAGNOSTICS
 *	rel_rc values; `err` (when not NULL) says why in words for
 *	people, Japanese and English for refusals.
 */
#ifndef REL_H
#define REL_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <time.h>

#include "notify/ntf.h"
#include "store/st.h"
#include "util/sg_buf.h"
#include "util/sg_conf.h"

typedef enum rel_rc {
	REL_OK = 0,
	REL_REFUSED,	/* policy or header check says no */
	REL_NOTFOUND,	/* no such hold */
	REL_BUSY,	/* store locked past its timeout */
	REL_INVALID,	/* bad argument */
	REL_GONE,	/* the queue file no longer exists */
	REL_RELEASED,	/* the queue file is no longer on hold */
	REL_ERROR	/* anything else */
} rel_rc;

typedef enum rel_action {
	REL_APPROVE,
	REL_REJECT,
	REL_WITHDRAW,
	REL_RELEASE	/* delayed send: the sender's "send now" (issue 19) */
} rel_action;

const char *rel_rc_name(rel_rc rc);
const char *rel_action_name(rel_action a);
rel_rc rel_from_st(st_rc rc);

/* ------------------------------------------------------------ policy */

/* Equal addresses: case-insensitive, <> and blanks ignored. */
bool rel_addr_eq(const char *a, const char *b);
/* addr is the sender of h under any of its identities (envelope
 * sender, From addresses, AUTH login and login@ each internal domain;
 * with and without the address extension: sg_idset_sender). conf
 * gives [policy] recipient_delimiter and internal_domains; NULL: "+"
 * and none. */
bool rel_is_sender(const st_hold *h, const sg_conf *conf, const char *addr);
/* addr is one of the approvers assigned at hold time (canonical,
 * exact: an extension is not the approver). */
bool rel_is_assigned(const st_hold *h, const char *addr);
/* The person a recorded decision (decided_by) was made as: X of
 * "administrator USER on behalf of X" or of a delegate's "D on behalf
 * of X", else decided_by itself. */
const char *rel_decided_for(const char *decided_by);
/* Whether any recorded approval or reject of h (approvals_json) counts
 * for, or was made by, one of the sender's identities: apply's last
 * gate of four eyes (issue 18: several approvers and proxies). */
bool rel_voted_by_sender(const st_hold *h, const sg_conf *conf);
/* REL_OK or REL_REFUSED (why says why, ja + en). Pure: no store. */
rel_rc rel_may_decide(const st_hold *h, const sg_conf *conf, rel_action a,
		      const char *by, sg_buf *why);
/* True when h's recorded decision says its mail is to be deleted
 * (reject, withdraw, expiry by "expire"); false for approved, pending
 * and holds closed without a decision (reconcile's "queue file gone"). */
bool rel_decision_deletes(const st_hold *h);
/* As rel_may_decide, and with a store: also a delegate of an assigned
 * approver (a delegation in force now) may approve or reject. */
rel_rc rel_may_decide_st(st_store *st, const st_hold *h, const sg_conf *conf,
			 rel_action a, const char *by, sg_buf *why);
/* by is not assigned to h but acts for an assigned approver whose
 * delegation to by is in force at now (issue 18, proxies). */
bool rel_is_delegate(st_store *st, const st_hold *h, const char *by, time_t now);
/* A new delegation (sendguardctl delegate, the page): records in the
 * outbox an approval request to `to` for every pending hold that
 * waits for `from` (assigned) and is not `to`'s own mail; built from
 * the stored hold when sent. How many were recorded. */
size_t rel_delegate_requests(st_store *st, const sg_conf *conf, const char *from,
			     const char *to);
/* The end of a delegation: YYYY-MM-DD (the end of that local day) or
 * ISO 8601 with a time; 0 when malformed. */
time_t rel_parse_until(const char *s);
/* A delegation may last at most this long (a standing assignment
 * belongs in [approvers]). */
#define REL_DELEGATE_MAX_S (366L * 86400)
/* Longest decision comment (bytes), for sendguardctl and the web page. */
#define REL_COMMENT_MAX 2000
/* Reads the hold, checks rel_may_decide, records the decision with
 * its audit record. REL_NOTFOUND, REL_REFUSED (also: already
 * decided), REL_BUSY, REL_INVALID (also: a reject without a reason,
 * a comment that is not blank; err says so), REL_ERROR. */
rel_rc rel_decide(st_store *st, const sg_conf *conf, const char *id, rel_action a,
		  const char *by, const char *comment, const char *unix_user,
		  sg_buf *err);
/* Issue 18. A decision with its checklist ticks: approve needs every
 * [approval] checklist item among `ticked` (REL_INVALID otherwise, err
 * names the missing one); approve and reject of a hold for approval
 * are votes (st_hold_vote): the hold is released after its `required`
 * approvals by distinct people (*out REL_PARTIAL until then,
 * REL_DECIDED when this decision decided it), one reject ends it. A
 * person who is not assigned but holds a delegation in force from an
 * assigned approver P decides for P, recorded "D on behalf of P".
 * admin NULL: the person `by` decides (the web page); else an
 * administrator decides on behalf of `by` (rel_decide_admin). */
typedef enum rel_vote_outcome {
	REL_DECIDED,
	REL_PARTIAL
} rel_vote_outcome;
typedef struct rel_decision {
	const char *id;
	rel_action act;
	const char *by;
	const char *admin;
	const char *comment, *unix_user;
	const char *const *ticked;
	size_t nticked;
} rel_decision;
rel_rc rel_decide_ex(st_store *st, const sg_conf *conf, const rel_decision *d,
		     rel_vote_outcome *out, sg_buf *err);
/* An administrator's decision (sendguardctl): the rules are those of
 * on_behalf (an approver, or the sender for withdraw; never the sender
 * for approve or reject), and it is recorded, in the hold, the audit
 * log, the report and the notices, as "administrator ADMIN on behalf
 * of ON_BEHALF", never as on_behalf's own. A reject needs a reason,
 * as in rel_decide. */
rel_rc rel_decide_admin(st_store *st, const sg_conf *conf, const char *id,
			rel_action a, const char *on_behalf, const char *admin,
			const char *comment, const char *unix_user, sg_buf *err);

/* ------------------------------------------------------------ expiry */

/* Called once per notice to send; h is the hold after the change. */
typedef void (*rel_notice_fn)(const st_hold *h, ntf_kind kind, void *ctx);

typedef struct rel_expire_stats {
	size_t expired, reminded, failed;
	size_t previews;	/* previews purged (st_preview_purge) */
} rel_expire_stats;

/* Holds are examined at most REL_EXPIRE_MAX per run (bounded work;
 * the timer runs again). */
#define REL_EXPIRE_MAX 100000
rel_rc rel_expire_run(st_store *st, time_t now, const char *unix_user,
		      rel_notice_fn fn, void *ctx, rel_expire_stats *stats,
		      sg_buf *err);

/* Escalation (issue 18): a pending hold for approval that nobody has
 * approved or rejected [approval] escalate_after after it was held
 * gets one notice to its escalation address (ntf_escalation_for),
 * claimed in the store (st_hold_mark_escalated) so that it is sent
 * once. fn gets the hold and the address. escalate_after 0: nothing. */
typedef void (*rel_escalate_fn)(const st_hold *h, const char *to, void *ctx);
rel_rc rel_escalate_run(st_store *st, const sg_conf *conf, time_t now,
			rel_escalate_fn fn, void *ctx, size_t *escalated,
			sg_buf *err);

/* ---------------------------------------------------------- commands */

#define REL_MAX_WORDS 32

typedef struct rel_result {
	int status;		/* exit status; -1: signal or not run */
	bool timed_out;
	sg_buf out, err;	/* captured, each up to max_out */
} rel_result;

void rel_result_init(rel_result *r, size_t max_out);
void rel_result_free(rel_result *r);
/* Splits a command setting into words (blanks; no quoting); at most
 * REL_MAX_WORDS - 1. Returns the count, 0 when empty or too long. */
size_t rel_split_words(char *s, char *words[REL_MAX_WORDS]);
/* 0 when the program ran (whatever its status: see r), -1 with err
 * when it could not be started or its output could not be read. */
int rel_run(char *const argv[], int timeout_s, rel_result *r, sg_buf *err);

/* ----------------------------------------------------------- postfix */

typedef struct rel_postfix rel_postfix;

/* From [release]: postfix_config_dir, postsuper, postqueue, postcat,
 * postconf, command_timeout, requeue_fraction. NULL with err. */
rel_postfix *rel_postfix_new(const sg_conf *conf, sg_buf *err);
void rel_postfix_free(rel_postfix *pf);
/* A syntactically valid Postfix queue id (so that nothing from the
 * store can become an option of postsuper). */
bool rel_queue_id_valid(const char *qid);
/* The queue ("hold", "deferred", ...) the file is in: REL_OK,
 * REL_GONE when it is in none, REL_ERROR (postqueue failed). */
rel_rc rel_pf_queue_of(rel_postfix *pf, const char *qid, char queue[16],
		       sg_buf *err);
/* REL_OK when the file's X-Sendguard-Hold headers name hold_id (all
 * of them, at least one); REL_REFUSED otherwise (err names what was
 * found); REL_GONE; REL_ERROR. */
rel_rc rel_pf_check_header(rel_postfix *pf, const char *qid,
			   const char *hold_id, sg_buf *err);
/* Seconds after which approve requeues instead of releasing. */
long long rel_pf_requeue_after(rel_postfix *pf, sg_buf *err);
/* postsuper -H ID hold, then postqueue -i ID. REL_OK, REL_GONE (it
 * was not on hold), REL_ERROR. A failed postqueue -i is only a
 * warning in err: the message is in the deferred queue anyway. */
rel_rc rel_pf_release(rel_postfix *pf, const char *qid, sg_buf *err);
/* postsuper -r ID hold; new_qid receives the new queue id when it
 * could be found (else ""). REL_OK, REL_GONE, REL_ERROR. */
rel_rc rel_pf_requeue(rel_postfix *pf, const char *qid, const char *hold_id,
		      const char *sender, char new_qid[64], sg_buf *err);
/* postsuper -d ID hold. REL_OK, REL_GONE, REL_ERROR. */
rel_rc rel_pf_delete(rel_postfix *pf, const char *qid, sg_buf *err);
/* postsuper -h ID: put a released message back on hold. */
rel_rc rel_pf_rehold(rel_postfix *pf, const char *qid, sg_buf *err);

/* What reconcile --rebuild reads of a queue item: the message as
 * queued (headers, our X-Sendguard-Hold among them, and body), its
 * envelope sender, recipients (one per line) and arrival time. */
typedef struct rel_item {
	sg_buf msg;
	sg_buf sender;
	sg_buf rcpts;
	time_t arrival;		/* 0: unknown */
} rel_item;
#define REL_ITEM_MAX (256u << 20)	/* the largest message read back */
void rel_item_init(rel_item *it);
void rel_item_free(rel_item *it);
/* postcat -bhq ID (the message) and postcat -eq ID (sender:,
 * recipient:, message_arrival_time: records). REL_OK, REL_GONE,
 * REL_ERROR. */
rel_rc rel_pf_item(rel_postfix *pf, const char *qid, rel_item *it, sg_buf *err);

/* A queue file on hold, for reconcile. */
typedef struct rel_qentry {
	char queue_id[64];
	char queue[16];
	char *sender;
} rel_qentry;

/* Every message in the queue (at most max); caller frees with
 * rel_qentries_free. -1 with err. */
int rel_pf_list(rel_postfix *pf, rel_qentry **out, size_t *n, size_t max,
		sg_buf *err);
void rel_qentries_free(rel_qentry *v, size_t n);
/* The X-Sendguard-Hold value of a queue file ("" when none):
 * REL_OK, REL_GONE, REL_ERROR. */
rel_rc rel_pf_header_of(rel_postfix *pf, const char *qid, char hold_id[64],
			sg_buf *err);

/* ---------------------------------------------------------- backends */

/* The queue name every backend gives a message on hold. */
#define REL_QUEUE_HOLD "hold"

/*
 * What apply and reconcile need from an MTA. Every function acts on one
 * queue item named by its queue id; hold_id is passed so that a backend
 * can check the item's X-Sendguard-Hold header (again) at the moment it
 * acts. Return values as the rel_pf_* functions below: REL_OK, REL_GONE
 * (no such item, or not in the state the action needs), REL_REFUSED
 * (header), REL_ERROR with err.
 */
typedef struct rel_backend_ops {
	const char *name;		/* the [release] backend value */
	/* What to tell an administrator about an item nobody claims. */
	const char *manual_hint;
	void *(*open)(const sg_conf *conf, sg_buf *err);
	void (*close)(void *impl);
	rel_rc (*queue_of)(void *impl, const char *qid, char queue[16], sg_buf *err);
	rel_rc (*check_header)(void *impl, const char *qid, const char *hold_id,
			       sg_buf *err);
	rel_rc (*header_of)(void *impl, const char *qid, char hold_id[64],
			    sg_buf *err);
	/* Seconds on hold after which approve requeues; -1: never. */
	long long (*requeue_after)(void *impl, sg_buf *err);
	rel_rc (*release)(void *impl, const char *qid, const char *hold_id,
			  sg_buf *err);
	rel_rc (*requeue)(void *impl, const char *qid, const char *hold_id,
			  const char *sender, char new_qid[64], sg_buf *err);
	rel_rc (*remove)(void *impl, const char *qid, const char *hold_id,
			 sg_buf *err);
	rel_rc (*rehold)(void *impl, const char *qid, const char *hold_id,
			 sg_buf *err);
	int (*list)(void *impl, rel_qentry **out, size_t *n, size_t max,
		    sg_buf *err);
	/* The message and envelope of an item (reconcile --rebuild). */
	rel_rc (*item)(void *impl, const char *qid, rel_item *it, sg_buf *err);
} rel_backend_ops;

typedef struct rel_backend {
	const rel_backend_ops *ops;
	void *impl;
} rel_backend;

extern const rel_backend_ops rel_postfix_ops;
extern const rel_backend_ops rel_sendmail_ops;

/* The backend [release] backend names, opened. NULL with err. */
rel_backend *rel_backend_new(const sg_conf *conf, sg_buf *err);
void rel_backend_free(rel_backend *be);
const char *rel_be_name(const rel_backend *be);
const char *rel_be_hint(const rel_backend *be);
rel_rc rel_be_queue_of(rel_backend *be, const char *qid, char queue[16],
		       sg_buf *err);
rel_rc rel_be_check_header(rel_backend *be, const char *qid,
			   const char *hold_id, sg_buf *err);
rel_rc rel_be_header_of(rel_backend *be, const char *qid, char hold_id[64],
			sg_buf *err);
long long rel_be_requeue_after(rel_backend *be, sg_buf *err);
rel_rc rel_be_release(rel_backend *be, const char *qid, const char *hold_id,
		      sg_buf *err);
rel_rc rel_be_requeue(rel_backend *be, const char *qid, const char *hold_id,
		      const char *sender, char new_qid[64], sg_buf *err);
rel_rc rel_be_delete(rel_backend *be, const char *qid, const char *hold_id,
		     sg_buf *err);
rel_rc rel_be_rehold(rel_backend *be, const char *qid, const char *hold_id,
		     sg_buf *err);
int rel_be_list(rel_backend *be, rel_qentry **out, size_t *n,
		size_t max, sg_buf *err);
rel_rc rel_be_item(rel_backend *be, const char *qid, rel_item *it, sg_buf *err);

/* -------------------------------------------------------------- json */

/* Calls cb once per element of the JSON array `json` with the text of
 * each key (NULL when absent; booleans as "1"/"0") and the element's
 * JSON text (util/sg_json.h: sg_json_each). At most
 * max elements; -1 when json is not valid. */
typedef void (*rel_json_cb)(const char *const *vals, const char *elem,
			    void *ctx);
int rel_json_each(const char *json, const char *const *keys, size_t nkeys,
		  size_t max, rel_json_cb cb, void *ctx);

/* ------------------------------------------------------------ report */

/* The ledger (rel_report.c): since <= time < until. */
typedef struct rel_report_opts {
	time_t since, until;
	bool csv;		/* stable keys, ISO times, engine terms */
	bool en;		/* people's form in English */
	bool totals;		/* people's form: totals after the rows */
	const char *zone;	/* [policy] timezone */
	size_t max_rows;
} rel_report_opts;
int rel_report(st_store *st, const rel_report_opts *o, FILE *out, sg_buf *err);

/* -------------------------------------------------------------- view */

/* Fills an ntf_hold_view (initialised here) from a stored hold. */
void rel_view_from_hold(ntf_hold_view *v, const st_hold *h);
/* The display name the held mail gives addr (From, To, Cc), to free();
 * NULL when it gives none. */
char *rel_hold_name(const st_hold *h, const char *addr);
/* ISO 8601 with offset -> Unix time; 0 when s is NULL or malformed. */
time_t rel_parse_time(const char *s);

/* ----------------------------------------------------------- preview */

/* A hold's preview (issue 18; the JSON of eng_preview.c) as owned
 * strings. Counts of -1: not given. */
typedef struct rel_pv_row {
	char **cells;
	size_t n;
} rel_pv_row;

typedef struct rel_pv_sheet {
	char *name;
	long rows, cols;
	rel_pv_row *first;
	size_t nfirst;
} rel_pv_sheet;

typedef struct rel_pv_file {
	char *path;		/* inventory path, as ntf_attachment_view.path */
	char *kind;		/* sheet, csv, text, pdf, image */
	rel_pv_sheet *sheets;
	size_t nsheets;
	bool more_sheets;
	long rows, pages;
	rel_pv_row *first;	/* csv */
	size_t nfirst;
	char **lines;		/* text, docx */
	size_t nlines;
} rel_pv_file;

typedef struct rel_pv_body {
	char *where, *text;
	bool html, cut;
} rel_pv_body;

typedef struct rel_preview {
	bool ok;
	char *from, *to, *cc, *subject;	/* as written; NULL: none */
	char **bcc;
	size_t nbcc;
	rel_pv_body *bodies;
	size_t nbodies;
	rel_pv_file *files;
	size_t nfiles;
	bool cut;
} rel_preview;

/* 1 json filled with the opened preview, 0 none stored (or no longer:
 * decided, expired), -1 store error or it does not open (err). */
int rel_preview_load(st_store *st, const ntf_keys *keys, const char *hold_id,
		     time_t now, sg_buf *json, sg_buf *err);
/* 0, or -1 when json is not a preview object (pv is empty then). */
int rel_preview_parse(const char *json, rel_preview *pv);
void rel_preview_free(rel_preview *pv);	/* NULL is fine */
/* The file details for an inventory path, or NULL. */
const rel_pv_file *rel_preview_file(const rel_preview *pv, const char *path);

/* ---------------------------------------------------------- download */

/* The page <-> root side of a download (rel_download.c). */
#define REL_DL_LINE 8192
int rel_dl_connect(const char *sock_path, int timeout_s, sg_buf *err);
int rel_dl_read_line(int fd, sg_buf *line, size_t max);
int rel_dl_write_all(int fd, const void *p, size_t n);
/* The descriptor positioned at the file's first byte (size, name), or
 * -1 with err ("ERR CODE TEXT" or why the socket failed). */
int rel_dl_request(const char *sock_path, const char *hold_id, const char *path,
		   int timeout_s, unsigned long long *size, sg_buf *name,
		   sg_buf *err);
/* The message's header block carries exactly one X-Sendguard-Hold
 * header and it names id (the root side's check before it serves). */
bool rel_dl_header_ok(const char *msg, size_t len, const char *id);
/* Whether the attachment at inventory path is dangerous by the hold's
 * findings (a dangerous-attachment finding on it, inside it or on the
 * archive holding it); where_out (when not NULL) gets its display
 * path. -1: no such attachment in the inventory. */
int rel_att_dangerous(const st_hold *h, const char *path, sg_buf *where_out);

#endif
