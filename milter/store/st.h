/*
 * NAME
 *	st - the sendguard store: holds, the audit log, notice nonces
 * SYNOPSIS
 *	#include "store/st.h"
 * DESCRIPTION
 *	One SQLite file (`[store] path`) keeps the decision state of held
 *	mail and an append-only, hash-chained audit log. It never keeps an
 *	unencrypted or unbounded copy of a message: the MTA's hold queue
 *	keeps the message (ARCHITECTURE.md); the store keeps, while a hold
 *	waits, only its bounded preview sealed by the milter (st_preview.c).
 *	Evidence reaches the store only as the engine masked it.
 *
 *	The file is opened in WAL mode with synchronous=FULL (the audit
 *	log is evidence: a committed record survives a power cut), a busy
 *	timeout of ST_BUSY_TIMEOUT_MS and foreign keys on. The schema
 *	version lives in the meta table and is migrated one step at a time
 *	when the file is opened; a file from a newer sendguard is refused.
 *	A new file is created mode 0600: it holds subjects, addresses and
 *	masked findings (least privilege; the WAL and shm files inherit
 *	the mode).
 *
 *	Threads: a handle may be shared by any number of threads. It owns
 *	one connection used under an internal mutex (SQLite serialises
 *	writers anyway, and every call is short); st_hold_list() and
 *	st_audit_verify() read through a private connection of their own,
 *	so a long listing neither blocks the milter's threads nor
 *	deadlocks when its callback calls the store again.
 *
 *	Processes: the milter and sendguardctl write the same file. Every
 *	write is one BEGIN IMMEDIATE transaction, retried as a whole on
 *	SQLITE_BUSY until the busy timeout has passed, so no record is
 *	lost and the audit chain never forks. A handle must not cross
 *	fork(): the child opens its own.
 *
 *	Times are ISO 8601 with the local offset
 *	(2026-11-23T10:00:00+09:00); holds and audit records also keep the
 *	Unix time beside them (`*_t` fields) so that expiry and reports
 *	compare numbers, not strings.
 *
 *	Hold ids are 128 random bits from getrandom(2), base32 lower-case,
 *	prefixed "h" (27 characters): they appear in mail headers and web
 *	links, so they must not be guessable or enumerable.
 *
 *	The audit hash of record n is the hex SHA-256 of its prev_hash
 *	(record n-1's hash, or ST_AUDIT_GENESIS for the first) followed by
 *	the fields seq, ts, ts_t, event, hold_id, queue_id, actor,
 *	unix_user and detail, each as "<length>:<bytes>" ("~" for NULL),
 *	so that no two different records hash alike. Triggers refuse
 *	UPDATE and DELETE on the audit table.
 * DIAGNOSTICS
 *	Functions returning st_rc fill `err` (when not NULL; its previous
 *	content is replaced) with what failed and the store's path:
 *	ST_NOTFOUND	no such hold;
 *	ST_CONFLICT	the hold's state forbids the change (already
 *			decided, not yet decided, already reminded);
 *	ST_BUSY		another writer held the lock past the busy timeout
 *			(nothing was written; the caller may retry later);
 *	ST_CORRUPT	st_audit_verify(): the chain is broken;
 *	ST_INVALID	the caller passed a bad argument (nothing written);
 *	ST_LOST		the file at the store's path is no longer the store
 *			this handle opened (deleted, replaced, truncated,
 *			its -wal file removed): nothing is read or written
 *			through the handle again (st_check in st_db.c);
 *	ST_ERROR	anything else (I/O, disk full, getrandom, SQLite).
 *	A failed call writes nothing: every write is one transaction.
 *	Allocation failure is fatal (sg_xmalloc).
 */
#ifndef ST_H
#define ST_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/sg_buf.h"
#include "util/sg_gateway.h"

#define ST_SCHEMA_VERSION 7
#define ST_BUSY_TIMEOUT_MS 10000
#define ST_ID_SIZE 32		/* "h" + 26 base32 + NUL fits */
#define ST_TIME_SIZE 32		/* 2026-11-23T10:00:00+09:00 + NUL */
/* prev_hash of the first audit record. */
#define ST_AUDIT_GENESIS \
	"0000000000000000000000000000000000000000000000000000000000000000"

typedef enum st_rc {
	ST_OK = 0,
	ST_NOTFOUND,
	ST_CONFLICT,
	ST_BUSY,
	ST_CORRUPT,
	ST_INVALID,
	ST_ERROR,
	ST_LOST
} st_rc;

typedef enum st_status {
	ST_PENDING,
	ST_APPROVED,
	ST_REJECTED,
	ST_WITHDRAWN,
	ST_EXPIRED,
	ST_ARRIVING,		/* recorded at end of message, queue file not
				 * yet seen on hold (issue 15) */
	ST_NEVER_ARRIVED	/* closed: its queue file never appeared */
} st_status;

typedef struct st_store st_store;

typedef struct st_rcpt {
	const char *addr;
	bool external;
} st_rcpt;

/* What the milter knows when it holds a message. Strings are UTF-8;
 * NULL is allowed where noted. The JSON fields come from
 * eng_findings_json() / eng_attachments_json() (or any valid JSON;
 * invalid JSON is ST_INVALID). */
typedef struct st_hold_new {
	const char *queue_id;		/* Postfix queue id (macro i) */
	const char *sender;		/* canonical; lower-cased by the store */
	const char *auth_login;		/* or NULL */
	const char *from_addr;		/* or NULL */
	/* [{"addr":..,"name":..}]: display names the mail gives (issue 18
	 * item 6, eng_names_json); NULL: none */
	const char *names_json;
	const char *client_addr;	/* or NULL */
	const st_rcpt *rcpts;
	size_t nrcpts;
	const char *subject;		/* decoded, or NULL */
	unsigned long long size;
	const char *const *categories;
	size_t ncategories;
	const char *verdict;		/* "hold" */
	const char *findings_json;	/* masked; NULL -> [] */
	const char *attachments_json;	/* NULL -> [] */
	const char *const *approvers;
	size_t napprovers;
	time_t created;			/* 0: now */
	time_t expires;			/* absolute; 0: never */
	const char *actor;		/* audit actor; NULL: "milter" */
	const char *unix_user;		/* NULL: the effective user */
	/* NULL: a new random id. Set only by `reconcile --rebuild`, which
	 * recreates a lost record under the id its queue file's
	 * X-Sendguard-Hold header carries (so that notices and web links
	 * already sent still name it); must look like an id st_new_id()
	 * makes, else ST_INVALID. */
	const char *id;
	/* Notices recorded in the outbox in the same transaction as the
	 * hold (a hold never exists without its notices, nor the
	 * reverse). */
	const struct st_notice_new *notices;
	size_t nnotices;
	bool arriving;			/* status arriving, notices waiting */
	/* The gateway whose queue keeps the mail (issue 20); NULL: the
	 * handle's (st_gateway). Not a gateway name: ST_INVALID. */
	const char *gateway;
	/* The sealed preview (ntf_pv_seal(), "p1...."), stored with the
	 * hold in the same transaction, or NULL: none. */
	const char *preview;
	/* Delayed send (issue 19): a hold of kind delay, which nobody
	 * approves: it leaves by itself at release_t (absolute), or
	 * earlier when its sender says "send now" (st_hold_release). */
	bool delay;
	time_t release_t;
	/* Approvals needed (issue 18: [approval] required and
	 * required_<category>), at most ST_REQUIRED_MAX; 0: 1. */
	unsigned required;
} st_hold_new;

#define ST_REQUIRED_MAX 16

/* A hold as stored. Every string is owned by the hold; NULL when
 * unset (auth_login, decided_by, ...). The *_json fields are the
 * stored JSON; rcpts, categories and approvers are the same data
 * parsed. */
typedef struct st_hold {
	char id[ST_ID_SIZE];
	char *queue_id, *sender, *auth_login, *from_addr, *client_addr;
	char *subject, *verdict;
	unsigned long long size;
	char *recipients_json, *categories_json, *findings_json;
	char *attachments_json, *approvers_json;
	st_rcpt *rcpts;
	size_t nrcpts;
	char **categories;
	size_t ncategories;
	char **approvers;
	size_t napprovers;
	st_status status;
	bool applied;
	char *created, *expires;	/* ISO 8601; expires NULL: never */
	time_t created_t, expires_t;	/* expires_t 0: never */
	char *decided_by, *decided_at, *decision_comment;
	char *new_queue_id, *reminded_at;
	bool delay;			/* kind delay, not approval (issue 19) */
	time_t release_t;		/* delay: when it leaves by itself */
	/* Several approvers (issue 18): approvals needed, approvals so
	 * far, and every approval and reject recorded, oldest first, as
	 * a JSON array of {"verdict", "approver" (the assigned approver
	 * it counts for), "by" (as recorded: "X", "D on behalf of X",
	 * "administrator U on behalf of X"), "checked" (the checklist
	 * items ticked, as shown), "comment", "at"}. */
	unsigned required, napproved;
	char *approvals_json;
	char *names_json;		/* display names, [{"addr","name"}] */
	char *escalated_at;		/* the escalation notice was claimed */
	char *gateway;			/* whose queue keeps the mail (issue 20) */
	/* When `gateway retire` orphaned it (its gateway and the mail with
	 * it are gone), or NULL. An orphaned hold can no longer be decided,
	 * voted on, released or applied: the store refuses it. */
	char *orphaned_at;
} st_hold;

/* One audit record, for st_audit_list(). Strings may be NULL. */
typedef struct st_audit_rec {
	long long seq;
	const char *ts;
	time_t ts_t;
	const char *event, *hold_id, *queue_id, *actor, *unix_user;
	const char *detail;		/* JSON */
	const char *prev_hash, *hash;
} st_audit_rec;

/* ------------------------------------------------------------ outbox
 *
 * A notice is a row: its recipient, its headers and body as built
 * (without Date and X-Sendguard-Notice, which the sender adds and
 * signs when it sends), and its Message-ID, fixed for the row so that
 * a notice sent twice after a crash is recognisably the same one.
 * States: waiting (its hold is not confirmed yet), ready, sent,
 * failed (undeliverable for [notify] max_age), cancelled (its hold
 * never arrived). A drainer claims ready rows whose next attempt is
 * due with a lease (owner, until): two drainers never hold the same
 * row at once; a drainer that dies leaves the lease to run out, and
 * the row is sent again by someone else (at least once). */
typedef struct st_notice_new {
	const char *kind;		/* ntf_kind_name() */
	const char *rcpt;
	const char *message_id;		/* "<...>" */
	const char *head;		/* header lines, LF ends, no Date */
	const char *body;		/* as sent (base64 lines) */
	/* head and body NULL: built from the stored hold when sent (the
	 * milter leaves the work out of end of message). */
} st_notice_new;

typedef enum st_notice_state {
	ST_NOTICE_WAITING,
	ST_NOTICE_READY,
	ST_NOTICE_SENT,
	ST_NOTICE_FAILED,
	ST_NOTICE_CANCELLED
} st_notice_state;

typedef struct st_notice {
	long long id;
	char *hold_id, *queue_id;	/* may be NULL (a rejection) */
	char *kind, *rcpt, *message_id, *head, *body;
	st_notice_state state;
	char *created;
	time_t created_t, next_t, sent_t;
	unsigned attempts;
	char *last_error;
} st_notice;

const char *st_notice_state_name(st_notice_state s);
void st_notice_free(st_notice *n);		/* NULL is fine */
/* Adds notices without a hold record (a rejection) or for a hold
 * that exists (outcomes, reminders), state ready. */
st_rc st_outbox_add(st_store *st, const char *hold_id, const char *queue_id,
		    const st_notice_new *n, size_t count, sg_buf *err);
/* Claims at most max ready rows due at `now` whose lease is free or
 * ran out: lease_owner = owner, lease_until = now + lease_s.
 * *out: an array of *nout notices, oldest first (free each with
 * st_notice_free, then the array). */
st_rc st_outbox_claim(st_store *st, const char *owner, time_t now,
		      long lease_s, size_t max, st_notice ***out, size_t *nout,
		      sg_buf *err);
/* Sent: state sent, content dropped, one audit record "notice" (actor;
 * detail with kind, to, message_id) in the same transaction. A row
 * already sent is left alone (no second record): ST_OK. */
st_rc st_outbox_sent(st_store *st, long long id, const char *actor,
		     sg_buf *err);
/* Not sent: attempts + 1, next attempt at next_t, the error kept, the
 * lease released (only when owner still holds it). */
st_rc st_outbox_retry(st_store *st, long long id, const char *owner,
		      time_t next_t, const char *error, sg_buf *err);
/* Given up: state failed, audit record "notice-failed". */
st_rc st_outbox_fail(st_store *st, long long id, const char *actor,
		     const char *error, sg_buf *err);
/* Every row not sent (waiting, ready, failed), oldest first. */
typedef int (*st_notice_cb)(const st_notice *n, void *ctx);
st_rc st_outbox_list(st_store *st, bool all, st_notice_cb cb, void *ctx,
		     sg_buf *err);
/* The owners holding a lease on a ready row (each once), so that a
 * drainer can free the leases of a drainer it knows to be dead. */
typedef int (*st_owner_cb)(const char *owner, void *ctx);
st_rc st_outbox_lessees(st_store *st, st_owner_cb cb, void *ctx, sg_buf *err);
/* Ends every lease of owner at once; how many rows, or -1 (err). */
long st_outbox_unlease(st_store *st, const char *owner, sg_buf *err);
/* Earliest next_t of a ready row, leased or not (0: none): whether a
 * drainer has anything to look at, with a plain read. */
time_t st_outbox_next_due(st_store *st);

/* Callbacks return 0 to go on, anything else to stop (the list
 * function then returns ST_OK). They may call the store. */
typedef int (*st_hold_cb)(const st_hold *h, void *ctx);
typedef int (*st_audit_cb)(const st_audit_rec *r, void *ctx);

/* Opens an existing store; never creates one. NULL with err naming
 * the path (missing, empty, not a sendguard store, schema newer than
 * this program, unwritable, ...). A store of an older sendguard that
 * has no store id gets one here. */
st_store *st_open(const char *path, sg_buf *err);
/* Creates a new store at path (which must not exist, nor a -wal file
 * beside it): mode 0600, the current schema, a new random store id,
 * checkpointed so that the database file itself carries it. Returns
 * it open; NULL with err (naming the path; "already exists" when it
 * does). Only `sendguardctl store init` (and make install) call it. */
st_store *st_create(const char *path, sg_buf *err);
void st_close(st_store *st);			/* NULL is fine */
/* The store as configured ([store] backend, path, dsn): sqlite opens
 * or creates path as above; postgresql connects to dsn. Every other
 * function works the same on either. */
typedef struct st_config {
	const char *backend;		/* "sqlite" (NULL: sqlite), "postgresql" */
	const char *path;		/* sqlite */
	const char *dsn;		/* postgresql */
	/* [store] gateway (issue 20): this gateway's name (NULL: the host
	 * name). The handle's gateway: new holds record it, the queue work
	 * of st_hold_due, st_hold_work, st_hold_arrivals and
	 * st_hold_oldest_arriving is this gateway's only, and a migration
	 * to schema 7 gives it to every hold made before. */
	const char *gateway;
} st_config;
st_store *st_open_config(const st_config *c, sg_buf *err);
st_store *st_create_config(const st_config *c, sg_buf *err);
/* `sendguardctl store migrate`: a PostgreSQL store is migrated only
 * here (several gateways share it); *from gets the version found.
 * SQLite migrates whenever it is opened: this just opens it. */
st_store *st_migrate_config(const st_config *c, int *from, sg_buf *err);
/* "sqlite" or "postgresql". */
const char *st_backend_name(const st_store *st);
/* The handle's gateway (st_config.gateway, or the host name). */
const char *st_gateway(const st_store *st);
/* Whether the backend may carry the milter and the page (both are). */
bool st_backend_complete(const st_store *st);
/* A store on a server (PostgreSQL) whose last use found the server
 * unreachable: its connection is broken and the handle reconnects by
 * itself (at most one attempt at a time, spaced by a growing pause up
 * to ST_PG_RETRY_MAX_S; meanwhile calls fail at once with ST_ERROR).
 * False for SQLite, and again after a call that reached the server.
 * For callers that log an outage once rather than each failure. */
bool st_unreachable(const st_store *st);
/* A store on a server: a statement that gets no answer for ms (a
 * server that hangs without closing the connection) fails with
 * ST_ERROR and the connection is dropped and redialled on the next
 * use; 0 (the default) waits as long as it takes. Set by the milter
 * and the page, whose threads queue behind one connection; left at 0
 * by sendguardctl, whose purge or migration may rightly run long.
 * Nothing for SQLite (its busy timeout bounds its waits). */
void st_set_patience(st_store *st, unsigned ms);
const char *st_path(const st_store *st);
/* The id written at creation ("s" + 26 base32 characters). */
const char *st_id(const st_store *st);
/* Every transaction and read first checks that the file at the path
 * is still this store: same device and inode, no smaller than seen,
 * the same store id, the same -wal file. Once that fails the handle
 * is lost for good (ST_LOST): reopen after the store is repaired.
 * st_lost_why() is NULL while the store is fine; st_lost_first() is
 * true exactly once per handle, for whoever should log the loss. */
const char *st_lost_why(st_store *st);
bool st_lost_first(st_store *st);
/* Schema version of the open file (ST_SCHEMA_VERSION after st_open). */
int st_schema_version(st_store *st);

/* Holds. id_out receives the new id. */
st_rc st_hold_create(st_store *st, const st_hold_new *in,
		     char id_out[ST_ID_SIZE], sg_buf *err);
st_rc st_hold_get(st_store *st, const char *id, st_hold **out, sg_buf *err);
/* The newest hold for a queue id (queue_id, not new_queue_id). */
st_rc st_hold_find_queue_id(st_store *st, const char *queue_id,
			    st_hold **out, sg_buf *err);
void st_hold_free(st_hold *h);			/* NULL is fine */
/* Oldest first; status NULL: all. */
st_rc st_hold_list(st_store *st, const st_status *status, st_hold_cb cb,
		   void *ctx, sg_buf *err);
/* pending -> approved|rejected|withdrawn|expired, with its audit record
 * (event approve|reject|withdraw|expire; actor `by`) in the same
 * transaction. ST_NOTFOUND; ST_CONFLICT when not pending (err says
 * who decided what, when); ST_INVALID for new_status pending or an
 * empty `by`. comment and unix_user may be NULL (unix_user NULL:
 * the effective user). Policy (who may decide) is the caller's. */
st_rc st_hold_decide(st_store *st, const char *id, st_status new_status,
		     const char *by, const char *comment,
		     const char *unix_user, sg_buf *err);
/* The decision was carried out on the queue: applied = 1, new_queue_id
 * (or NULL) recorded, "apply" audit record by actor (NULL: "apply").
 * Idempotent: ST_OK without a second record when already applied.
 * ST_CONFLICT while pending. */
st_rc st_hold_set_applied(st_store *st, const char *id,
			  const char *new_queue_id, const char *actor,
			  const char *unix_user, sg_buf *err);
/* Delayed send (issue 19). Each outcome of a delayed hold is one
 * conditional UPDATE (pending, kind delay, and for ST_RELEASE_DUE
 * release_t <= now), so that "send now", the end of the delay, a
 * cancel (st_hold_decide withdraw) and an administrator's reject
 * race to exactly one outcome: the loser gets ST_CONFLICT.
 *   ST_RELEASE_SENDER: the sender's "send now"; audit "release".
 *   ST_RELEASE_DUE: the delay ended; audit "delay-end" by "delay",
 *   with how late (seconds past release_t) in the detail.
 * Both set status approved (decided_by `by`). A hold of kind approval
 * is never released here: ST_CONFLICT, whatever its state. */
typedef enum st_release_why {
	ST_RELEASE_SENDER,
	ST_RELEASE_DUE
} st_release_why;
st_rc st_hold_release(st_store *st, const char *id, st_release_why why,
		      const char *by, const char *unix_user, time_t now,
		      sg_buf *err);
/* Pending delayed holds of the handle's gateway whose release_t <=
 * now, oldest first, at most max: ids into *out (free()). */
st_rc st_hold_due(st_store *st, time_t now, size_t max,
		  char (**out)[ST_ID_SIZE], size_t *nout, sg_buf *err);
/* Whether any hold of the handle's gateway waits for the root step:
 * decided and not applied, or delayed and due at now. A plain read
 * (the daemon polls it). Orphaned holds never wait. */
bool st_hold_work(st_store *st, time_t now);
/* SQLite's PRAGMA data_version of the handle's connection: it changes
 * when another connection (the milter, the page, sendguardctl) has
 * committed, so a poller knows cheaply that something was recorded.
 * PostgreSQL: the audit chain's head, which also moves for the
 * handle's own commits. -1 on error. */
long long st_data_version(st_store *st);

/* Issue 15: a hold is confirmed by its queue file. arriving ->
 * pending, its waiting notices released (ready), audit "confirm",
 * in one transaction. ST_CONFLICT when not arriving (confirmed
 * already: harmless). */
st_rc st_hold_confirm(st_store *st, const char *id, const char *actor,
		      const char *detail_json, sg_buf *err);
/* Also never-arrived -> pending ("late": a queue file committed after
 * its hold was closed), its cancelled notices released again. */
/* arriving -> never-arrived: its queue file never appeared. Its
 * notices are cancelled (never sent), audit "never-arrived".
 * ST_CONFLICT when not arriving. */
st_rc st_hold_never_arrived(st_store *st, const char *id, const char *actor,
			    const char *detail_json, sg_buf *err);
/* Previews (issue 18). st_preview_get: the sealed preview of a hold
 * that is still pending or arriving and not past its expiry (*out
 * owned by the caller), ST_NOTFOUND when there is none (never stored,
 * or deleted: decided, expired, purged). st_preview_purge deletes
 * previews whose hold is decided, gone or past its expiry at `now`
 * (the triggers do this at the decision; this catches the rest);
 * *n (when not NULL) gets how many. */
st_rc st_preview_get(st_store *st, const char *id, time_t now, char **out,
		     sg_buf *err);
st_rc st_preview_purge(st_store *st, time_t now, size_t *n, sg_buf *err);
/* How many previews the store holds (tests, doctor). */
st_rc st_preview_count(st_store *st, size_t *n, sg_buf *err);

/* A hold waiting for its queue file, for whoever confirms holds. */
typedef struct st_arrival {
	char id[ST_ID_SIZE];
	char queue_id[64];
	time_t created_t;
	bool closed;			/* never-arrived (a late file revives it) */
} st_arrival;
/* Every arriving hold of the handle's gateway (only its queue can
 * confirm them), and the never-arrived ones created at or after
 * closed_since (0: none), oldest first, at most max. *out: free(). */
st_rc st_hold_arrivals(st_store *st, time_t closed_since, size_t max,
		       st_arrival **out, size_t *nout, sg_buf *err);
/* created_t of the handle's gateway's oldest arriving hold (0: none), with a plain read:
 * whether anyone has to look at the MTA's queue at all. */
time_t st_hold_oldest_arriving(st_store *st);
/* Claims the half-time reminder: ST_OK when this call set reminded_at
 * (send the reminder), ST_CONFLICT when already reminded or no longer
 * pending (do not send), so two expiry runs remind once. */
st_rc st_hold_mark_reminded(st_store *st, const char *id, sg_buf *err);

/* ------------------------------------------ approvals (issue 18, 2-4)
 *
 * st_hold_vote records one approver's approve or reject of a pending
 * hold of kind approval, with its audit record, in one transaction
 * whose writes are conditional on the hold being pending:
 *   approve: an approvals row (principal, actor, checked, comment);
 *     when the hold then has `required` approvals, one conditional
 *     UPDATE decides it (status approved, decided_by = recorded_as,
 *     audit "approve", *out ST_VOTE_DECIDED); otherwise it stays
 *     pending (audit "approve-partial", *out ST_VOTE_PARTIAL).
 *   reject: an approvals row and the hold rejected (audit "reject",
 *     *out ST_VOTE_DECIDED): one reject ends it.
 * ST_CONFLICT: the hold is not pending (decided meanwhile: two
 * approvers racing get exactly one outcome), or this principal or
 * this actor has already approved it (the same person counts once;
 * err says who and when). ST_INVALID: missing principal, actor or
 * recorded_as, checked not a JSON array. Who may vote is the
 * caller's policy (release/rel_policy.c). */
typedef struct st_vote {
	bool approve;			/* else reject */
	const char *principal;		/* the assigned approver counted */
	const char *actor;		/* the person acting (canonical) */
	const char *recorded_as;	/* decided_by / audit actor */
	const char *checked_json;	/* ticked items; NULL: [] */
	const char *comment;		/* or NULL */
	const char *unix_user;		/* NULL: the effective user */
	const char *detail_json;	/* extra audit fields (object) or NULL */
} st_vote;

typedef enum st_vote_out {
	ST_VOTE_PARTIAL,
	ST_VOTE_DECIDED
} st_vote_out;

st_rc st_hold_vote(st_store *st, const char *id, const st_vote *v,
		   st_vote_out *out, sg_buf *err);

/* One recorded approval or reject (the report's approvers and
 * checklist columns). Strings owned by the store for the call. */
typedef struct st_approval {
	long long seq;
	const char *hold_id, *verdict, *principal, *actor, *recorded_as;
	const char *checked_json;	/* JSON array of the ticked items */
	const char *comment, *at, *unix_user;
	time_t at_t;
} st_approval;
typedef int (*st_approval_cb)(const st_approval *a, void *ctx);
/* Oldest first; hold_id NULL: every hold's. */
st_rc st_approval_list(st_store *st, const char *hold_id, st_approval_cb cb,
		       void *ctx, sg_buf *err);

/* Claims the one escalation notice ([approval] escalate_after): ST_OK
 * when this call set escalated_at, ST_CONFLICT when already escalated
 * or no longer pending. Audit "escalate" by "expire". */
st_rc st_hold_mark_escalated(st_store *st, const char *id,
			     const char *detail_json, sg_buf *err);

/* Proxies (issue 18 item 4). A delegation lets `delegate` decide, from
 * since_t until until_t, what `principal` was assigned; it is audited
 * ("delegate", "delegate-revoke"). Addresses are stored lower-cased
 * as given (callers pass canonical identities). */
typedef struct st_delegation {
	long long id;
	const char *principal, *delegate, *until, *created, *created_by;
	time_t since_t, until_t, revoked_t;
} st_delegation;
typedef int (*st_delegation_cb)(const st_delegation *d, void *ctx);
st_rc st_delegate_add(st_store *st, const char *principal, const char *delegate,
		      time_t since_t, time_t until_t, const char *created_by,
		      const char *unix_user, long long *id_out, sg_buf *err);
/* ST_NOTFOUND when no such delegation is in force. */
st_rc st_delegate_revoke(st_store *st, long long id, const char *by,
			 const char *unix_user, sg_buf *err);
/* In force at now (since_t <= now < until_t, not revoked), or every
 * one (now 0); principal NULL: all principals. Oldest first. */
st_rc st_delegate_list(st_store *st, const char *principal, time_t now,
		       st_delegation_cb cb, void *ctx, sg_buf *err);
/* Whether principal's delegation to delegate is in force at now. */
bool st_delegate_active(st_store *st, const char *principal,
			const char *delegate, time_t now);

/* Retiring a gateway (issue 20, `sendguardctl gateway retire`): its
 * host and the mail in its queue are gone. In one transaction every
 * undecided hold (pending, arriving) of the gateway is orphaned
 * (orphaned_at; nothing can decide, vote on, release or apply it any
 * more: the store refuses with ST_CONFLICT), their previews are
 * deleted, one audit record "gateway-retire" (actor; detail
 * {"gateway","holds"}) is appended and the notices given (to the
 * administrators: without a hold, head and body built) are recorded
 * in the outbox. *count: how many holds were orphaned. ST_INVALID for
 * a gateway that is no name or an empty actor. Retiring again orphans
 * nothing more but is recorded again. */
typedef struct st_retire {
	const char *gateway, *actor, *unix_user;	/* unix_user NULL: effective */
	const st_notice_new *notices;
	size_t nnotices;
} st_retire;
st_rc st_gateway_retire(st_store *st, const st_retire *r, size_t *count,
			sg_buf *err);

/* Audit log. event is required; the others may be NULL; detail_json
 * must be valid JSON (NULL: {}) and must not carry unmasked evidence.
 * unix_user NULL: the effective user. */
st_rc st_audit_append(st_store *st, const char *event, const char *hold_id,
		      const char *queue_id, const char *actor,
		      const char *unix_user, const char *detail_json,
		      sg_buf *err);
/* Several records in one transaction (one fsync), chained in the
 * array's order; all or none are written. The fields are those of
 * st_audit_append(). The milter's accept records go this way
 * (mlt_auditq.c: group commit). */
typedef struct st_audit_new {
	const char *event, *hold_id, *queue_id, *actor, *unix_user;
	const char *detail_json;
} st_audit_new;
st_rc st_audit_append_batch(st_store *st, const st_audit_new *recs, size_t n,
			    sg_buf *err);
/* Recomputes the chain. ST_OK: intact, *nrecords counted, *bad_seq 0.
 * ST_CORRUPT: *bad_seq is the first record that does not verify (its
 * fields, its link or its sequence number), err says how. Removing
 * the newest records cannot be seen from the chain alone. After a
 * purge the chain is verified from the newest anchor's record on. */
st_rc st_audit_verify(st_store *st, size_t *nrecords, size_t *bad_seq,
		      sg_buf *err);
/* [store] retention (st_purge.c): deletes closed holds created
 * before `before` with their notices and approvals, delegations that
 * ended before it, and the audit records older than it, then appends an anchor record "purge" (actor "retention")
 * that st_audit_verify starts from. Pending and arriving holds stay.
 * Nothing old: nothing written. */
typedef struct st_purge_counts {
	size_t holds, notices, records, delegations;
} st_purge_counts;
st_rc st_purge(st_store *st, time_t before, st_purge_counts *n, sg_buf *err);
/* Records in seq order; hold_id NULL: all; since 0: from the start. */
st_rc st_audit_list(st_store *st, const char *hold_id, time_t since,
		    st_audit_cb cb, void *ctx, sg_buf *err);

/* Notice replay protection: 1 on first use (recorded until now + ttl
 * seconds), 0 if seen before, -1 on error (err filled). Expired
 * nonces are purged on the way. */
int st_nonce_use(st_store *st, const char *nonce, time_t now, long ttl,
		 sg_buf *err);

/* The distinct category names of the engine's result, in its order (at
 * most ST_MAX_CATEGORIES; returns how many). st_json.c is the one file
 * of the store that sees the engine. */
struct eng_result;
#define ST_MAX_CATEGORIES 16
size_t st_result_categories(const struct eng_result *res,
			    const char *out[ST_MAX_CATEGORIES]);

/* Helpers. */
const char *st_status_name(st_status s);	/* "pending", ... */
/* What people read of a hold's state: "orphaned" for a hold of a
 * retired gateway (whatever its status), else st_status_name(). */
const char *st_hold_state_name(const st_hold *h);
int st_status_parse(const char *name, st_status *out); /* 0 or -1 */
const char *st_rc_name(st_rc rc);
/* ISO 8601 with the local offset, e.g. 2026-11-23T10:00:00+09:00. */
void st_time_iso(time_t t, char buf[ST_TIME_SIZE]);
void st_now_iso(char buf[ST_TIME_SIZE]);
/* A new hold id: 0, or -1 when getrandom(2) fails (errno set). */
int st_new_id(char id[ST_ID_SIZE]);
/* id has the form st_new_id() gives ("h" + 26 base32 characters). */
bool st_id_valid(const char *id);

#endif
