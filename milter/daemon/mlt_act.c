/*
 * NAME
 *	mlt_act - carry out the engine's verdict at end of message
 * DESCRIPTION
 *	Order matters for "no hold without a record, no record without a
 *	hold": the hold record is written first; only when that succeeded
 *	are the X-Sendguard-Hold header and the quarantine requested. The
 *	record is written "arriving", its notices "waiting": the MTA has
 *	not committed the queue file yet, and a kill, a tempfail or a
 *	`postfix stop` before it does leaves a record without mail (the
 *	client then sends the message again and gets a second hold). The
 *	notifier thread confirms the hold when its queue id shows on hold
 *	(rel_arrival.c), and only then are approvers asked; a phantom is
 *	closed as never-arrived without a notice. If the store cannot be
 *	written, the failure action (tempfail by default) leaves the mail
 *	with the sender's MTA.
 *
 *	SG_FAULT=eom-pause (tests only) sleeps 5 s between the record and
 *	the answer, so that a fault test can kill -9 the milter there.
 *
 *	Headers named X-Sendguard-Hold or X-Sendguard that arrive with a
 *	message are removed: only the milter may tie a queue file to a hold.
 *
 *	mode = monitor: the verdict is logged and recorded, nothing else.
 */
#include "daemon/mlt.h"
#include "daemon/mlt_auditq.h"
#include "util/sg_json.h"
#include "util/sg_mem.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

typedef struct mlt_job {
	mp_ctx *ctx;
	mlt_rt *rt;
	mlt_msg *m;
	const char *client;
	eng_result res;
	sg_buf cats;		/* "a,b" for log lines */
	sg_buf pv;		/* a hold's preview (JSON), sealed at store time */
	bool outage;		/* a store error counted in the outage (logged once) */
} mlt_job;

mp_status mlt_failure(mp_ctx *ctx, mlt_rt *rt, const char *why)
{
	mlt_fail_action act = rt ? rt->set.failure_action : MLT_FAIL_TEMPFAIL;

	/* why NULL: already said (a lost store is logged once). */
	if (why != NULL)
		mlt_log(LOG_ERR, "internal failure (%s): answering %s", why,
			rt ? rt->set.failure_action_name : "tempfail");
	if (act == MLT_FAIL_ACCEPT)
		return MP_ACCEPT;
	if (act == MLT_FAIL_REJECT) {
		mp_setreply(ctx, "550", "5.7.1",
			      "sendguard could not check this message");
		return MP_REJECT;
	}
	mp_setreply(ctx, "451", "4.7.1",
		      "sendguard could not check this message now, try again later");
	return MP_TEMPFAIL;
}

char *mlt_sender(const mlt_msg *m)
{
	char *s = sg_xstrdup(m->mail_from ? m->mail_from : "");

	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* " group=NAME" for a sender in a [group.NAME] (issue 19). */
#define MLT_GROUP_LOG(j) ((j)->res.group && *(j)->res.group ? " group=" : ""), \
	((j)->res.group ? (j)->res.group : "")

static void mlt_cats(mlt_job *j)
{
	const char *cats[ST_MAX_CATEGORIES];
	size_t n = st_result_categories(&j->res, cats);

	for (size_t i = 0; i < n; i++)
		sg_buf_printf(&j->cats, "%s%s", i ? "," : "", cats[i]);
}

/* The accept records' queue (mlt_audit_start below), or NULL. */
static mlt_aq *mlt_audit_q;

/*
 * An outage of a store on a server (PostgreSQL, issue 20): while the
 * database is unreachable every message that needs the store gets
 * failure_action (tempfail: the client keeps it and retries) and the
 * store reconnects by itself (st_pg.c). That is logged once when it
 * starts ("store unreachable") and once when a write works again
 * ("store back after N s, M messages tempfailed"), not once per
 * message: a database restart under load would otherwise write a line
 * per message and per retry.
 */
static pthread_mutex_t mlt_outage_mu = PTHREAD_MUTEX_INITIALIZER;
static bool mlt_outage_on;
static struct timespec mlt_outage_since;	/* CLOCK_MONOTONIC */
static unsigned long mlt_outage_msgs;		/* answered failure_action */
static char mlt_outage_act[16];			/* "tempfail", ... at the start */

/* A store error: if it is the store being unreachable, the outage is
 * logged (when it starts) and, with a message, counted; true then. */
static bool mlt_outage_begin(mlt_rt *rt, const sg_buf *err, bool message)
{
	if (!st_unreachable(rt->store))
		return false;
	pthread_mutex_lock(&mlt_outage_mu);
	if (!mlt_outage_on) {
		mlt_outage_on = true;
		mlt_outage_msgs = 0;
		clock_gettime(CLOCK_MONOTONIC, &mlt_outage_since);
		snprintf(mlt_outage_act, sizeof(mlt_outage_act), "%s",
			 rt->set.failure_action_name);
		mlt_log(LOG_ERR, "store unreachable (%s): answering %s to every message"
			" that needs the store, reconnecting; one line more when it is"
			" back", sg_buf_cstr(err), mlt_outage_act);
	}
	if (message)
		mlt_outage_msgs++;
	pthread_mutex_unlock(&mlt_outage_mu);
	return true;
}

/* A write to the store worked: the end of an outage, if one was on. */
static void mlt_outage_end(void)
{
	struct timespec now;

	pthread_mutex_lock(&mlt_outage_mu);
	if (mlt_outage_on) {
		mlt_outage_on = false;
		clock_gettime(CLOCK_MONOTONIC, &now);
		/* tempfailed, rejected, accepted */
		mlt_log(LOG_NOTICE, "store back after %lld s, %lu message%s %sed",
			(long long)(now.tv_sec - mlt_outage_since.tv_sec), mlt_outage_msgs,
			mlt_outage_msgs == 1 ? "" : "s", mlt_outage_act);
	}
	pthread_mutex_unlock(&mlt_outage_mu);
}

/* A write on the message path worked or failed: the queue takes no
 * new record while the store is known to fail (mlt_auditq.h). */
static void mlt_audit_store_ok(bool ok)
{
	if (ok)
		mlt_outage_end();
	if (mlt_audit_q != NULL)
		mlt_aq_set_failing(mlt_audit_q, !ok);
}

/* A lost store (deleted, replaced, truncated, its WAL removed:
 * st_check) fails every message until it is repaired and the milter
 * restarted: that is logged once, as critical, not once per message. */
static void mlt_store_lost(mlt_rt *rt, const sg_buf *err)
{
	if (st_lost_first(rt->store))
		mlt_log(LOG_CRIT, "%s; answering %s to every message that needs"
			" the store until it is repaired and the milter"
			" restarted", sg_buf_cstr(err),
			rt->set.failure_action_name);
}

static void mlt_store_error(mlt_job *j, const char *what, st_rc rc,
			    const sg_buf *err)
{
	if (rc != ST_INVALID)
		mlt_audit_store_ok(false);
	if (rc == ST_LOST) {
		mlt_store_lost(j->rt, err);
		return;
	}
	if (rc != ST_INVALID && mlt_outage_begin(j->rt, err, true)) {
		j->outage = true;
		return;
	}
	mlt_log(LOG_ERR, "queue_id=%s: %s: %s", j->m->queue_id, what, sg_buf_cstr(err));
}

/* The why for mlt_failure: NULL when the loss or the outage was logged
 * already. */
static const char *mlt_store_why(mlt_job *j, const char *why)
{
	return st_lost_why(j->rt->store) || j->outage ? NULL : why;
}

static void mlt_hold_recipients(mlt_job *j, st_rcpt *r);

/* {"verdict":..,"mode":..,"categories":[..],"sender":..,"rcpts":N,
 * "size":N,"client":..,"findings":[..],"subject":..,"recipients":
 * [{"addr":..,"external":..}],"attachments":[..]}. Issue 18: the
 * ledger has the subject, recipients and attachments of every
 * verdict, not only of held mail ([store] retention bounds how long);
 * the findings are masked, as everywhere in the store. */
static void mlt_verdict_detail(mlt_job *j, sg_buf *out)
{
	st_rcpt *r = sg_xcalloc(j->m->nrcpts + 1, sizeof(*r));

	const char *cats[ST_MAX_CATEGORIES];
	size_t n = st_result_categories(&j->res, cats);
	char *sender = mlt_sender(j->m);

	sg_buf_puts(out, "{\"verdict\":");
	sg_json_str(out, eng_action_name(j->res.verdict));
	sg_buf_printf(out, ",\"mode\":\"%s\",\"categories\":[",
		      j->res.monitor ? "monitor" : "enforce");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sg_buf_putc(out, ',');
		sg_json_str(out, cats[i]);
	}
	sg_buf_puts(out, "],\"sender\":");
	sg_json_str(out, sender);
	sg_buf_printf(out, ",\"rcpts\":%zu,\"size\":%zu,\"client\":", j->m->nrcpts,
		      j->m->body_len + j->m->head.len);
	sg_json_str(out, j->client);
	sg_buf_puts(out, ",\"findings\":");
	eng_findings_json(&j->res, out);
	sg_buf_puts(out, ",\"subject\":");
	sg_json_str(out, j->res.subject);
	sg_buf_puts(out, ",\"recipients\":[");
	mlt_hold_recipients(j, r);
	for (size_t i = 0; i < j->m->nrcpts; i++) {
		sg_buf_puts(out, i ? ",{\"addr\":" : "{\"addr\":");
		sg_json_str(out, r[i].addr);
		sg_buf_printf(out, ",\"external\":%s}", r[i].external ? "true" : "false");
	}
	sg_buf_puts(out, "],\"attachments\":");
	eng_attachments_json(&j->res, out);
	/* which gateway's queue the mail went through (issue 20: the
	 * ledger of several gateways on one store) */
	sg_buf_puts(out, ",\"gateway\":");
	sg_json_str(out, SG_CONF_STR(j->rt->conf, store_gateway));
	sg_buf_putc(out, '}');
	free(r);
	free(sender);
}

/*
 * Group commit (issue 21): the verdict record of mail that leaves now
 * (accept, log, bcc; no delay) goes to a bounded queue that one thread
 * appends in batches, one transaction and one fsync per batch, off the
 * message path. Every other record (hold, delay, reject, a monitored
 * verdict that would have held or rejected) is written here, before
 * the answer, as before: a hold is never acknowledged before its
 * record is on disk. A full queue tempfails the mail; a stopped one,
 * one whose store is failing (the mail then gets failure_action while
 * the synchronous write fails, as before), or [milter] audit_queue = 0
 * means the synchronous write.
 */
static unsigned long mlt_audit_fails;	/* flusher thread only */

#define MLT_AUDIT_RETRY_MS 200
/* SIGTERM, reload: past one busy timeout (10 s), within the 30 s the
 * tests and a service manager allow a stop. */
#define MLT_AUDIT_DRAIN_MS 15000

static int mlt_audit_flush(void *arg, const mlt_aq_rec *recs, size_t n)
{
	mlt_rt *rt = mlt_rt_get();
	st_audit_new *v;
	sg_buf err;
	st_rc rc;

	(void)arg;
	if (rt == NULL)
		return -1;	/* shut down already: mlt_audit_stop reports */
	v = sg_xcalloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		v[i].event = recs[i].event;
		v[i].queue_id = recs[i].queue_id;
		v[i].actor = recs[i].actor;
		v[i].detail_json = recs[i].detail;
	}
	sg_buf_init(&err, 4096);
	rc = st_audit_append_batch(rt->store, v, n, &err);
	/* Logged on the first failure and then every 50th retry (about
	 * every 10 s), and once when it recovers, not 5 times a second; a
	 * lost store once in all, as on the message path. */
	if (rc == ST_LOST) {
		if (mlt_audit_fails++ == 0)
			mlt_log(LOG_ERR, "cannot write %zu queued accept record%s: the"
				" store is lost", n, n == 1 ? "" : "s");
		mlt_store_lost(rt, &err);
	} else if (rc != ST_OK && mlt_outage_begin(rt, &err, false)) {
		/* The database is unreachable: the outage's two lines say
		 * it; the records stay queued and are retried. */
		mlt_audit_fails++;
	} else if (rc != ST_OK) {
		if (mlt_audit_fails++ % 50 == 0)
			mlt_log(LOG_ERR, "cannot write %zu queued accept record%s (kept,"
				" retried; meanwhile new mail gets failure_action): %s",
				n, n == 1 ? "" : "s", sg_buf_cstr(&err));
	} else if (mlt_audit_fails > 0) {
		mlt_log(LOG_NOTICE, "queued accept records written again after %lu"
			" failed attempt%s", mlt_audit_fails,
			mlt_audit_fails == 1 ? "" : "s");
		mlt_audit_fails = 0;
		mlt_outage_end();
	}
	sg_buf_free(&err);
	free(v);
	mlt_rt_put(rt);
	return rc == ST_OK ? 0 : -1;
}

int mlt_audit_start(const sg_conf *conf)
{
	long long max = SG_CONF_NUM(conf, milter_audit_queue);

	if (max <= 0)
		return 0;	/* every record written before the answer */
	mlt_audit_q = mlt_aq_start((size_t)max,
				   (unsigned)SG_CONF_NUM(conf, milter_audit_flush_ms),
				   MLT_AUDIT_RETRY_MS, mlt_audit_flush, NULL);
	if (mlt_audit_q == NULL) {
		mlt_log(LOG_ERR, "cannot start the audit flusher thread: every"
			" record is written before the answer");
		return -1;
	}
	/* Not known to work yet (a store opened read-only, say): the
	 * first record is written before its answer, and only once a
	 * write worked does the queue take records. */
	mlt_aq_set_failing(mlt_audit_q, true);
	return 0;
}

void mlt_audit_drain(void)
{
	if (mlt_audit_q == NULL)
		return;
	if (mlt_aq_drain(mlt_audit_q, MLT_AUDIT_DRAIN_MS) < 0)
		mlt_log(LOG_ERR, "%zu accept records still queued (store not"
			" writable); they stay queued and are retried",
			mlt_aq_pending(mlt_audit_q));
}

void mlt_audit_unproven(void)
{
	/* A new runtime's store is not known to work yet either: until a
	 * write worked, records go synchronously to their own message's
	 * store. */
	mlt_audit_store_ok(false);
}

void mlt_audit_stop(void)
{
	size_t left;

	if (mlt_audit_q == NULL)
		return;
	left = mlt_aq_stop(mlt_audit_q, MLT_AUDIT_DRAIN_MS);
	if (left > 0)
		mlt_log(LOG_CRIT, "%zu accept record%s could not be written to the"
			" audit log before stopping (store not writable): that mail"
			" left without its record", left, left == 1 ? "" : "s");
	mlt_aq_free(mlt_audit_q);
	mlt_audit_q = NULL;
}

/* Mail that leaves now, whose record may follow it by a window. */
static bool mlt_verdict_queued(const mlt_job *j)
{
	return j->res.delay <= 0 &&
	       (j->res.verdict == ENG_ACT_ACCEPT || j->res.verdict == ENG_ACT_LOG ||
		j->res.verdict == ENG_ACT_BCC);
}

/* 0 recorded (or queued), -1 store error (failure_action), -2 the
 * queue is full (tempfail). */
static int mlt_audit_verdict(mlt_job *j)
{
	sg_buf detail, err;
	st_rc rc = ST_OK;
	mlt_aq_rc q = MLT_AQ_STOPPED;

	sg_buf_init(&detail, SG_BUF_UNLIMITED);
	sg_buf_init(&err, 4096);
	mlt_verdict_detail(j, &detail);
	if (mlt_audit_q != NULL && mlt_verdict_queued(j))
		q = mlt_aq_push(mlt_audit_q, "verdict", j->m->queue_id, "milter",
				sg_buf_cstr(&detail));
	if (q == MLT_AQ_FULL)
		mlt_log(LOG_WARNING, "queue_id=%s: audit queue full (%zu records not"
			" yet written): answering tempfail", j->m->queue_id,
			mlt_aq_pending(mlt_audit_q));
	if (q == MLT_AQ_STOPPED || q == MLT_AQ_FAILING) {
		rc = st_audit_append(j->rt->store, "verdict", NULL, j->m->queue_id,
				     "milter", NULL, sg_buf_cstr(&detail), &err);
		if (rc != ST_OK)
			mlt_store_error(j, "cannot record the verdict", rc, &err);
		else if (q == MLT_AQ_FAILING)
			mlt_audit_store_ok(true);
	}
	sg_buf_free(&detail);
	sg_buf_free(&err);
	if (q == MLT_AQ_FULL)
		return -2;
	return rc == ST_OK ? 0 : -1;
}

static void mlt_strip_own_headers(mlt_job *j)
{
	for (int i = j->m->own_hold_hdrs; i >= 1; i--)
		mp_chgheader(j->ctx, "X-Sendguard-Hold", i, NULL);
	for (int i = j->m->own_verdict_hdrs; i >= 1; i--)
		mp_chgheader(j->ctx, "X-Sendguard", i, NULL);
}

static void mlt_rewrite_list(mlt_job *j, const char *name, char **vals,
			     size_t n, bool is_to)
{
	sg_buf v;

	sg_buf_init(&v, SG_BUF_UNLIMITED);
	for (size_t i = 0; i < n; i++) {
		sg_buf_reset(&v);
		if (eng_bcc_rewrite(j->rt->eng, vals[i], is_to, &v) == 0)
			continue;
		mp_chgheader(j->ctx, name, (int)i + 1,
			       v.len ? sg_buf_cstr(&v) : NULL);
	}
	sg_buf_free(&v);
}

static void mlt_bcc_rewrite(mlt_job *j)
{
	if (!j->res.bcc_rewrite)
		return;
	/* Cc first: deleting a Cc does not renumber the To headers. */
	mlt_rewrite_list(j, "Cc", j->m->cc_vals, j->m->ncc, false);
	mlt_rewrite_list(j, "To", j->m->to_vals, j->m->nto, true);
}

static void mlt_add_verdict_header(mlt_job *j)
{
	sg_buf v;

	if (!j->rt->set.add_header)
		return;
	sg_buf_init(&v, SG_BUF_UNLIMITED);
	sg_buf_printf(&v, "%s%s%s%s", eng_action_name(j->res.verdict),
		      j->res.monitor ? " (monitor)" : "", j->cats.len ? "; " : "",
		      sg_buf_cstr(&j->cats));
	mp_addheader(j->ctx, "X-Sendguard", sg_buf_cstr(&v));
	sg_buf_free(&v);
}

/*
 * The reply text goes back to the sender in the upstream MTA's bounce,
 * possibly outside: it names categories and rule ids only (rule ids are
 * ASCII of at most ENG_RULE_ID_MAX bytes, checked at load), never the
 * subject, a file name or evidence. Each category/rule pair once; past
 * MLT_REPLY_MAX the list ends in "..." (mp_setreply refuses a reply over
 * 980 bytes, as libmilter did; RFC 5321 lines end at 512).
 */
#define MLT_REPLY_MAX 400

static void mlt_reject_text(const eng_result *res, bool noticed, sg_buf *out)
{
	sg_buf item;
	size_t listed = 0;

	sg_buf_init(&item, SG_BUF_UNLIMITED);
	sg_buf_puts(out, "Message refused by sendguard (outgoing mail policy):");
	for (size_t i = 0; i < res->nfindings; i++) {
		const eng_finding *f = &res->findings[i];
		bool seen = false;

		if (f->action != ENG_ACT_REJECT)
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = res->findings[k].action == ENG_ACT_REJECT &&
			       res->findings[k].cat == f->cat &&
			       strcmp(res->findings[k].rule, f->rule) == 0;
		if (seen)
			continue;
		sg_buf_reset(&item);
		sg_buf_printf(&item, " %s/%s", eng_category_name(f->cat), f->rule);
		if (out->len + item.len > MLT_REPLY_MAX) {
			sg_buf_puts(out, " ...");
			break;
		}
		sg_buf_append(out, item.data, item.len);
		listed++;
	}
	if (listed == 0)
		sg_buf_puts(out, " policy");
	/* True in every case: a notice is made only for an internal,
	 * non-null sender with notify_sender on, and only once it is in
	 * the outbox may the reply say one is coming (issue 13). */
	sg_buf_puts(out, noticed ? ". A notice to the sender has been queued."
			       : ". No notice was sent.");
	sg_buf_free(&item);
}

static mp_status mlt_reject(mlt_job *j)
{
	sg_buf text;

	sg_buf_init(&text, SG_BUF_UNLIMITED);
	mlt_reject_text(&j->res, mlt_notice_reject(j->rt, j->m, &j->res), &text);
	mlt_log(LOG_NOTICE, "queue_id=%s verdict=reject categories=%s rcpts=%zu%s%s",
		j->m->queue_id, sg_buf_cstr(&j->cats), j->m->nrcpts,
		MLT_GROUP_LOG(j));
	mp_setreply(j->ctx, "550", "5.7.1", sg_buf_cstr(&text));
	sg_buf_free(&text);
	return MP_REJECT;
}

static void mlt_hold_recipients(mlt_job *j, st_rcpt *r)
{
	for (size_t i = 0; i < j->m->nrcpts; i++) {
		r[i].addr = j->m->rcpts[i];
		r[i].external = !eng_rcpt_is_internal(j->rt->eng, j->m->rcpts[i],
						      j->m->rcpts_resolved[i]);
	}
}

/* The preview sealed for the store under the hold's id (ntf_pvseal.c),
 * or NULL: none built ([hold] preview_bytes = 0) or no key to seal it
 * with. A preview is never stored in clear, and a hold never fails for
 * want of one: the approver then sees findings and the inventory, as
 * before issue 18. */
static const char *mlt_seal_preview(mlt_job *j, const char *id, sg_buf *sealed)
{
	if (j->pv.len == 0)
		return NULL;
	if (ntf_pv_seal(j->rt->keys, id, j->pv.data, j->pv.len, sealed) < 0) {
		mlt_log(LOG_WARNING, "queue_id=%s hold=%s: cannot seal the preview "
			"(no signing key or no random bytes): stored without one",
			j->m->queue_id, id);
		sg_buf_reset(sealed);
		return NULL;
	}
	/* The clear text is not needed again: wipe it now. */
	memset(j->pv.data, 0, j->pv.len);
	return sg_buf_cstr(sealed);
}

/* Builds the preview while the message is mapped: only for a hold that
 * will be stored (enforced, outbound), within the engine's limits. */
static void mlt_build_preview(mlt_job *j, const eng_envelope *env,
			      const unsigned char *data, size_t len)
{
	size_t max = j->rt->set.preview_bytes;

	if (max == 0 || !j->res.outbound || j->res.monitor ||
	    j->res.verdict != ENG_ACT_HOLD)
		return;
	if (eng_preview(j->rt->eng, env, data, len, max, &j->pv) < 0)
		mlt_log(LOG_INFO, "queue_id=%s: the preview has headers only (the "
			"message could not be parsed)", j->m->queue_id);
}

/* The fault tests' window between the record and the MTA's commit. */
static void mlt_fault_pause(void)
{
	const char *f = getenv("SG_FAULT");

	if (f != NULL && strcmp(f, "eom-pause") == 0)
		sleep(5);
}

static int mlt_store_hold(mlt_job *j, const char *id, char **approvers,
			  size_t napprovers, const rel_nlist *notices, bool delay)
{
	const char *cats[ST_MAX_CATEGORIES];
	st_rcpt *r = sg_xcalloc(j->m->nrcpts + 1, sizeof(*r));
	sg_buf fj, aj, nj, err;
	char *sender = mlt_sender(j->m);
	st_hold_new h = { 0 };
	char stored_id[ST_ID_SIZE];
	sg_buf sealed;
	st_rc rc;

	sg_buf_init(&sealed, SG_BUF_UNLIMITED);
	sg_buf_init(&fj, SG_BUF_UNLIMITED);
	sg_buf_init(&aj, SG_BUF_UNLIMITED);
	sg_buf_init(&err, 4096);
	eng_findings_json(&j->res, &fj);
	eng_attachments_json(&j->res, &aj);
	sg_buf_init(&nj, SG_BUF_UNLIMITED);
	eng_names_json(&j->res, &nj);
	mlt_hold_recipients(j, r);
	h.queue_id = j->m->queue_id;
	h.sender = sender;
	h.auth_login = j->m->auth_login;
	h.from_addr = j->res.from;
	h.names_json = sg_buf_cstr(&nj);
	h.client_addr = j->client;
	h.rcpts = r;
	h.nrcpts = j->m->nrcpts;
	h.subject = j->res.subject;
	h.size = j->m->body_len + j->m->head.len;
	h.ncategories = st_result_categories(&j->res, cats);
	h.categories = cats;
	/* A delayed hold keeps the verdict the mail would have had. */
	h.verdict = delay ? eng_action_name(j->res.verdict) : "hold";
	h.findings_json = sg_buf_cstr(&fj);
	h.attachments_json = sg_buf_cstr(&aj);
	h.approvers = (const char *const *)approvers;
	h.napprovers = napprovers;
	/* Issue 18: fixed with the hold, like its approvers. More than
	 * are assigned could never be met: then every assigned approver
	 * (README: several approvers). */
	h.required = ntf_route_required(&j->rt->set.routing, cats, h.ncategories);
	if (napprovers > 0 && h.required > napprovers) {
		mlt_log(LOG_WARNING, "hold=%s: [approval] asks %u approvals but %zu"
			" approver%s assigned: all of them must approve", id,
			h.required, napprovers, napprovers == 1 ? " is" : "s are");
		h.required = (unsigned)napprovers;
	}
	h.created = time(NULL);
	h.expires = h.created + (time_t)j->rt->set.expire_after;
	if (delay) {
		/* Nobody approves it and it never expires: it leaves at
		 * release_t, late if apply --daemon is down, never lost. */
		h.delay = true;
		h.release_t = h.created + (time_t)j->res.delay;
		h.expires = 0;
	}
	h.id = id;
	h.notices = notices->v;
	h.nnotices = notices->n;
	h.preview = mlt_seal_preview(j, id, &sealed);
	h.arriving = true;	/* confirmed by its queue file: rel_arrival.c */
	rc = st_hold_create(j->rt->store, &h, stored_id, &err);
	sg_buf_free(&sealed);
	if (rc != ST_OK)
		mlt_store_error(j, "cannot record the hold", rc, &err);
	else
		mlt_audit_store_ok(true);
	sg_buf_free(&fj);
	sg_buf_free(&aj);
	sg_buf_free(&nj);
	sg_buf_free(&err);
	free(r);
	free(sender);
	return rc == ST_OK ? 0 : -1;
}

static mp_status mlt_hold(mlt_job *j)
{
	char id[ST_ID_SIZE], reason[128];
	size_t napprovers = 0;
	char **approvers = mlt_approvers(j->rt, j->m, &j->res, &napprovers);
	rel_nlist notices;
	int stored;

	if (st_new_id(id) < 0) {
		mlt_strv_free(approvers, napprovers);
		return mlt_failure(j->ctx, j->rt, "no random bytes for a hold id");
	}
	/* The notices are built now (cheap) and recorded with the hold in
	 * one transaction; the notifier thread sends them afterwards. */
	rel_nlist_init(&notices);
	mlt_notice_hold(j->rt, j->m, id, approvers, napprovers, &notices);
	stored = mlt_store_hold(j, id, approvers, napprovers, &notices, false);
	rel_nlist_free(&notices);
	if (stored < 0) {
		mlt_strv_free(approvers, napprovers);
		return mlt_failure(j->ctx, j->rt, mlt_store_why(j, "store unwritable"));
	}
	mlt_fault_pause();
	mlt_bcc_rewrite(j);
	snprintf(reason, sizeof(reason), "sendguard hold %s", id);
	if (mp_addheader(j->ctx, "X-Sendguard-Hold", id) != 0 ||
	    mp_quarantine(j->ctx, reason) != 0) {
		mlt_strv_free(approvers, napprovers);
		return mlt_failure(j->ctx, j->rt, "quarantine refused by the MTA");
	}
	mlt_log(LOG_NOTICE, "queue_id=%s verdict=hold hold=%s categories=%s "
		"approvers=%zu rcpts=%zu%s%s", j->m->queue_id, id, sg_buf_cstr(&j->cats),
		napprovers, j->m->nrcpts, MLT_GROUP_LOG(j));
	if (napprovers == 0)
		mlt_log(LOG_WARNING, "hold=%s: nobody may approve it ([approvers] "
			"has no one but the sender); an administrator must decide", id);
	mlt_notifier_wake();
	mlt_strv_free(approvers, napprovers);
	return MP_CONTINUE;
}

/*
 * Delayed send (issue 19): mail that would leave now goes on hold as
 * a hold of kind delay, the same way as a hold for approval (record
 * first, then header and quarantine), with no approvers and one
 * notice to the sender (send now / cancel). `sendguardctl apply
 * --daemon` releases it when its time comes.
 */
static mp_status mlt_delay(mlt_job *j)
{
	char id[ST_ID_SIZE], reason[128];
	char *sender = mlt_sender(j->m);
	rel_nlist notices;
	int stored;

	if (st_new_id(id) < 0) {
		free(sender);
		return mlt_failure(j->ctx, j->rt, "no random bytes for a hold id");
	}
	rel_nlist_init(&notices);
	if (j->rt->set.notify_sender)
		rel_nlist_add_later(&notices, j->rt->eng, j->rt->ntf, NTF_DELAY_SENDER,
				    sender);
	if (notices.refused)
		mlt_log(LOG_NOTICE, "hold=%s: delay notice not made: the sender %s is"
			" not an internal address", id, *sender ? sender : "<>");
	stored = mlt_store_hold(j, id, NULL, 0, &notices, true);
	rel_nlist_free(&notices);
	free(sender);
	if (stored < 0)
		return mlt_failure(j->ctx, j->rt, mlt_store_why(j, "store unwritable"));
	mlt_bcc_rewrite(j);
	/* The same reason as a hold for approval: Sendmail's release
	 * backend unquarantines by this exact reason (-qQ"sendguard hold
	 * ID"), and reconcile reads it; the kind lives in the store. */
	snprintf(reason, sizeof(reason), "sendguard hold %s", id);
	if (mp_addheader(j->ctx, "X-Sendguard-Hold", id) != 0 ||
	    mp_quarantine(j->ctx, reason) != 0)
		return mlt_failure(j->ctx, j->rt, "quarantine refused by the MTA");
	mlt_log(LOG_NOTICE, "queue_id=%s verdict=%s delay=%lds hold=%s categories=%s "
		"rcpts=%zu%s%s", j->m->queue_id, eng_action_name(j->res.verdict),
		j->res.delay, id, sg_buf_cstr(&j->cats), j->m->nrcpts, MLT_GROUP_LOG(j));
	mlt_add_verdict_header(j);
	mlt_notifier_wake();
	return MP_CONTINUE;
}

static mp_status mlt_outbound(mlt_job *j)
{
	int recorded = mlt_audit_verdict(j);

	if (recorded == -2) {
		/* Not failure_action: the queue frees itself within a few
		 * flushes once the store is writable; the sender retries. */
		mp_setreply(j->ctx, "451", "4.7.1",
			      "sendguard is busy, try again later");
		return MP_TEMPFAIL;
	}
	if (recorded < 0)
		return mlt_failure(j->ctx, j->rt, mlt_store_why(j, "audit log unwritable"));
	if (j->res.monitor) {
		char delay[64] = "";

		/* A delay is logged, not applied (issue 19). */
		if (j->res.delay > 0)
			snprintf(delay, sizeof(delay), " delay=%lds (not applied)",
				 j->res.delay);
		mlt_log(LOG_INFO, "queue_id=%s verdict=%s mode=monitor categories=%s%s%s%s",
			j->m->queue_id, eng_action_name(j->res.verdict),
			sg_buf_cstr(&j->cats), MLT_GROUP_LOG(j), delay);
		mlt_add_verdict_header(j);
		return MP_CONTINUE;
	}
	if (j->res.delay > 0)
		return mlt_delay(j);
	switch (j->res.verdict) {
	case ENG_ACT_REJECT:
		return mlt_reject(j);
	case ENG_ACT_HOLD:
		return mlt_hold(j);
	case ENG_ACT_BCC:
		mlt_bcc_rewrite(j);
		break;
	default:
		break;
	}
	mlt_log(LOG_INFO, "queue_id=%s verdict=%s categories=%s rcpts=%zu%s%s",
		j->m->queue_id, eng_action_name(j->res.verdict), sg_buf_cstr(&j->cats),
		j->m->nrcpts, MLT_GROUP_LOG(j));
	mlt_add_verdict_header(j);
	return MP_CONTINUE;
}

mp_status mlt_act(mp_ctx *ctx, mlt_rt *rt, mlt_msg *m, const char *client)
{
	mlt_job j = { ctx, rt, m, client, { 0 }, { 0 }, { 0 }, false };
	const unsigned char *data;
	size_t len;
	void *cookie;
	eng_envelope env = { m->mail_from, (const char *const *)m->rcpts, m->nrcpts,
			     m->auth_login, (const char *const *)m->rcpts_resolved };
	mp_status rc;
	int scanned;

	if (mlt_msg_map(m, &data, &len, &cookie) < 0)
		return mlt_failure(ctx, rt, "cannot read the spooled message");
	mlt_strip_own_headers(&j);
	if (m->notice_hdr && mlt_notice_verified(rt, m, data, len)) {
		mlt_msg_release(m, cookie);
		mlt_log(LOG_INFO, "queue_id=%s verdict=accept notice=verified",
			m->queue_id);
		return MP_CONTINUE;
	}
	scanned = eng_scan_group(rt->eng, m->group, &env, data, len, &j.res);
	sg_buf_init(&j.pv, SG_BUF_UNLIMITED);
	if (scanned >= 0)
		mlt_build_preview(&j, &env, data, len);
	mlt_msg_release(m, cookie);
	if (scanned < 0) {
		eng_result_free(&j.res);
		sg_buf_free(&j.pv);
		return mlt_failure(ctx, rt, "engine error");
	}
	sg_buf_init(&j.cats, SG_BUF_UNLIMITED);
	mlt_cats(&j);
	if (!j.res.outbound) {
		if (rt->set.log_internal)
			mlt_log(LOG_INFO, "queue_id=%s verdict=accept internal", m->queue_id);
		rc = MP_CONTINUE;
	} else {
		rc = mlt_outbound(&j);
	}
	eng_result_free(&j.res);
	sg_buf_free(&j.cats);
	if (j.pv.data != NULL)
		memset(j.pv.data, 0, j.pv.len);
	sg_buf_free(&j.pv);
	return rc;
}
