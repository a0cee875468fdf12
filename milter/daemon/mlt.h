/*
 * NAME
 *	mlt - the milter daemon's internal interface
 * DESCRIPTION
 *	The daemon adapts the milter protocol (mp.h) to the engine: it
 *	collects the envelope and the message, calls eng_scan() at end of
 *	message, and carries out the verdict (accept, reject, Bcc rewrite,
 *	hold) through the protocol,
 *	the store and notices. It never parses MIME itself.
 *
 *	mlt_rt: the configuration, engine, store and keys in force. Each
 *	message takes a reference; SIGUSR1 builds a new one and swaps it in,
 *	so a reload never disturbs a message being scanned.
 */
#ifndef MLT_H
#define MLT_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/mp.h"
#include "engine/eng.h"
#include "notify/ntf.h"
#include "release/rel_outbox.h"
#include "store/st.h"
#include "util/sg_buf.h"
#include "util/sg_conf.h"

/* [milter] failure_action. */
typedef enum mlt_fail_action {
	MLT_FAIL_TEMPFAIL,
	MLT_FAIL_ACCEPT,
	MLT_FAIL_REJECT,
} mlt_fail_action;

/*
 * The settings the message path reads, resolved once when a runtime is
 * built (issue 21): a message reads fields, never looks a name up or
 * allocates a path. They live and are swapped with their runtime, so a
 * message sees one configuration from MAIL FROM to its end. What a
 * sender group may override (actions, limits, trusted_domains, hold
 * delay) is not here: the engine resolves it per group at load
 * (eng_group_for, eng_scan_group).
 */
typedef struct mlt_settings {
	size_t keep_max;	/* the largest [limits] max_message_size of the
				 * defaults and every group, + 1: the group is
				 * chosen after the message starts, and the
				 * engine then compares with its own limit */
	size_t memory_limit;	/* [milter] memory_limit */
	char *spool_dir;	/* [milter] spool_dir, resolved */
	mlt_fail_action failure_action;
	const char *failure_action_name;	/* for logs */
	bool add_header;	/* [milter] add_header */
	bool log_internal;	/* [policy] log_internal */
	bool notify_sender;	/* [notify] notify_sender */
	bool notify_approvers;	/* [notify] notify_approvers */
	size_t preview_bytes;	/* [hold] preview_bytes */
	long long expire_after;	/* [hold] expire_after, seconds */
	long long max_notice_age;	/* [notify] max_notice_age, seconds */
	const char *recipient_delimiter;	/* [policy], in conf */
	ntf_routing routing;	/* [approval], [approvers]: held mail */
} mlt_settings;

typedef struct mlt_rt {
	sg_conf *conf;
	mlt_settings set;	/* resolved from conf (mlt_runtime.c) */
	eng_engine *eng;
	st_store *store;
	ntf_keys *keys;
	ntf_ctx *ntf;
	unsigned refs;		/* guarded by the runtime lock */
	unsigned long generation;
} mlt_rt;

/* mlt_runtime.c */
int mlt_rt_init(const char *conf_path, sg_buf *err);
/* --check: builds what mlt_rt_init() builds (engine, keys, templates,
 * approvers) but the store, with the same errors; 0 or -1. */
int mlt_rt_check(const char *conf_path, sg_buf *err);
/* The PDF text workers: started once (after the daemon detached, before
 * any thread), given to every runtime built from then on, reloads
 * included; pdf_workers is read here only. 0, or -1 with err. */
int mlt_pdf_start(const sg_conf *conf, sg_buf *err);
/* --check: whether the worker next to this program can be run. */
int mlt_pdf_check(sg_buf *err);
mlt_rt *mlt_rt_get(void);
void mlt_rt_put(mlt_rt *rt);
int mlt_rt_reload(sg_buf *err);
void mlt_rt_shutdown(void);
const char *mlt_conf_path(void);

/* mlt_log.c: syslog (mail facility), and stderr in the foreground */
void mlt_log_init(bool foreground);
void mlt_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* mlt_msg.c: one message as it arrives */
typedef struct mlt_msg {
	sg_buf head;		/* reconstructed header block, CRLF */
	sg_buf mem;		/* body while under memory_limit */
	int spool_fd;		/* unlinked spool file once over it, or -1 */
	size_t body_len;	/* body bytes received */
	size_t total;		/* header + body bytes kept */
	size_t keep_max;	/* max_message_size + 1: beyond, drop */
	size_t memory_limit;
	const char *spool_dir;	/* the runtime's, held with it */
	char *mail_from;
	char **rcpts;		/* RCPT arguments, as given */
	char **rcpts_resolved;	/* parallel: {rcpt_addr}, or NULL */
	size_t nrcpts;
	char *auth_login;
	const eng_group *group;	/* sender group chosen at MAIL FROM, in
				 * the engine of the runtime the message
				 * holds (issue 19) */
	char *queue_id;
	char **to_vals, **cc_vals;	/* every To / Cc value, for the Bcc rewrite */
	size_t nto, ncc;
	int own_hold_hdrs;		/* X-Sendguard-Hold on input (removed) */
	int own_verdict_hdrs;		/* X-Sendguard on input (removed) */
	char *notice_hdr;		/* X-Sendguard-Notice value, if any */
	char *date_hdr;
	bool failed;		/* spool error: apply failure_action */
} mlt_msg;

/* The message holds a reference to the runtime whose settings these
 * are (mlt_cb.c) until mlt_msg_free. */
void mlt_msg_init(mlt_msg *m, const mlt_settings *set);
void mlt_msg_free(mlt_msg *m);
void mlt_msg_reset_message(mlt_msg *m);	/* keep connection data */
int mlt_msg_header(mlt_msg *m, const char *name, const char *value);
int mlt_msg_body(mlt_msg *m, const unsigned char *p, size_t n);
/* The whole message as one buffer: *data valid until mlt_msg_release. */
int mlt_msg_map(mlt_msg *m, const unsigned char **data, size_t *len,
		void **cookie);
void mlt_msg_release(mlt_msg *m, void *cookie);

/* Bounds the To/Cc occurrences remembered for a rewrite. */
#define MLT_MAX_ADDR_HEADERS 100

/* mlt_act.c: carry out the verdict at end of message */
mp_status mlt_act(mp_ctx *ctx, mlt_rt *rt, mlt_msg *m, const char *client_addr);
mp_status mlt_failure(mp_ctx *ctx, mlt_rt *rt, const char *why);
/* The accept records' group commit (mlt_auditq.h): started once with
 * [milter] audit_queue and audit_flush_ms (read at start only), drained
 * before a reload swaps the runtime and unproven after it (the next
 * record is written synchronously), stopped (drained) at exit. */
int mlt_audit_start(const sg_conf *conf);
void mlt_audit_drain(void);
void mlt_audit_unproven(void);
void mlt_audit_stop(void);

/* mlt_notice.c: notices sendguard sends, and recognising them */
bool mlt_notice_verified(mlt_rt *rt, const mlt_msg *m, const unsigned char *data,
			 size_t len);
/* Approvers for a hold (never the sender); caller frees with
 * mlt_strv_free. */
char **mlt_approvers(mlt_rt *rt, const mlt_msg *m, const eng_result *res,
		     size_t *n);
void mlt_strv_free(char **v, size_t n);
/* The hold's notices, for st_hold_create (same transaction). */
void mlt_notice_hold(mlt_rt *rt, const mlt_msg *m, const char *hold_id,
		     char *const *approvers, size_t napprovers, rel_nlist *out);
/* Records the rejection notice in the outbox. */
bool mlt_notice_reject(mlt_rt *rt, const mlt_msg *m, const eng_result *res);

/* mlt_notifier.c: the thread that drains the outbox. */
int mlt_notifier_start(void);
void mlt_notifier_wake(void);
void mlt_notifier_stop(void);
/* The canonical sender: envelope sender, lower-cased ("" for <>). */
char *mlt_sender(const mlt_msg *m);

/* The callbacks; mlt_main.c adds the timeout and the packet limit. */
extern const mp_desc mlt_proto_desc;

#endif
