/*
 * NAME
 *	rel_outbox - notices through the store's outbox: who may get one,
 *	building them for the outbox, and the drainer that sends them
 * SYNOPSIS
 *	#include "release/rel_outbox.h"
 * DESCRIPTION
 *	The milter, `sendguardctl apply`/`expire` and the web service all
 *	record notices in the outbox (st_outbox.c) and may all drain it.
 *	This is the one place that says who may receive a notice and the
 *	one loop that sends them.
 *
 *	Who (issue 13, class 7): a notice is only ever addressed to an
 *	internal address. A sender notice to an external or null sender
 *	is not made (the approvers and the log learn of the hold); an
 *	approver outside internal_domains gets nothing either (a notice
 *	carries the subject, file names and masked findings, which must
 *	not leave). rel_notice_allowed() decides; rel_nlist_add() applies
 *	it, so no caller can forget.
 *
 *	Sending: `[notify] smtp` (HOST:PORT or a unix socket path) over
 *	one kept connection, else `[notify] sendmail` (a complete file as
 *	its stdin). Each row is claimed with a lease, sealed (Date and
 *	the MAC added now) and sent; sent rows are marked and audited in
 *	one transaction; a failure is retried with back-off (5 s doubling
 *	to 5 min); a row still unsent after `[notify] max_age` is given
 *	up, logged and audited ("notice-failed"), and stays visible in
 *	`sendguardctl list --notices`.
 * DIAGNOSTICS
 *	Every notice sent, retried or given up produces one log line
 *	through the caller's log function.
 */
#ifndef REL_OUTBOX_H
#define REL_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "engine/eng.h"
#include "notify/ntf.h"
#include "store/st.h"
#include "util/sg_buf.h"
#include "util/sg_conf.h"

/* Whether a notice may go to addr: a non-empty internal address. */
bool rel_notice_allowed(const eng_engine *eng, const char *addr);

/* Notices built for the outbox; every string is owned by the list. */
typedef struct rel_nlist {
	st_notice_new *v;
	size_t n;
	size_t refused;		/* recipients refused by rel_notice_allowed */
} rel_nlist;

void rel_nlist_init(rel_nlist *l);
void rel_nlist_free(rel_nlist *l);
/* 1 added, 0 not allowed (counted in l->refused), -1 with err (the
 * notice could not be built). */
int rel_nlist_add(rel_nlist *l, const eng_engine *eng, const ntf_ctx *ntf,
		  ntf_kind kind, const ntf_hold_view *v, const char *to,
		  time_t now, sg_buf *err);

/* Like rel_nlist_add, but only the kind, the person and a Message-ID:
 * the drainer builds the notice from the stored hold when it sends it,
 * so that end of message does no per-notice work. */
int rel_nlist_add_later(rel_nlist *l, const eng_engine *eng, const ntf_ctx *ntf,
			ntf_kind kind, const char *to);

/* The drainer. actor names it in the audit log and the log lines
 * ("milter", "apply", "web"). */
typedef struct rel_notifier rel_notifier;
typedef void (*rel_log_fn)(int prio, const char *msg, void *ctx);

/* ntf (its keys, from and sendmail) must outlive the notifier. */
rel_notifier *rel_notifier_new(const sg_conf *conf, const ntf_ctx *ntf,
			       const char *actor, rel_log_fn log, void *log_ctx,
			       sg_buf *err);
void rel_notifier_free(rel_notifier *n);	/* QUIT, free; NULL is fine */
/* One pass over what is due: returns how many were sent; *pending
 * (may be NULL) receives whether due rows were left (claim limit). */
size_t rel_notifier_drain(rel_notifier *n, st_store *st, time_t now,
			  bool *more);
/* Drains until nothing is due or `seconds` have passed. */
size_t rel_notifier_drain_for(rel_notifier *n, st_store *st, int seconds);

#endif
