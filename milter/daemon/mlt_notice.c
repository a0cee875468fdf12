/*
 * NAME
 *	mlt_notice - notices the milter sends, and recognising them again
 * DESCRIPTION
 *	Hold notices, approval requests and rejection notices are built
 *	here and recorded in the store's outbox (a hold's notices in the
 *	hold's own transaction); the notifier thread (mlt_notifier.c) sends
 *	them after end of message. They pass through Postfix, and so through
 *	this milter, again. They are recognised by their X-Sendguard-Notice
 *	MAC (body, envelope recipients, the headers let through unchecked,
 *	nonce), a Date within [notify] max_notice_age and a nonce seen only
 *	once, never by a sender address that anybody could type.
 *
 *	A notice that cannot be sent is retried, then logged and recorded
 *	(rel_outbox.c); the hold stays (the approval page and sendguardctl
 *	still show it). Notices go to internal addresses only
 *	(rel_notice_allowed).
 */
#include "daemon/mlt.h"
#include "util/sg_addr.h"
#include "util/sg_json.h"
#include "util/sg_mem.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

/* A notice is delivered within minutes; a week covers queued retries.
 * A nonce must be remembered at least as long as its notice's Date is
 * accepted ([notify] max_notice_age), or a replay past the nonce's
 * lifetime would pass. */
#define MLT_NONCE_TTL (7 * 86400L)

static const unsigned char *mlt_body_of(const unsigned char *data, size_t len,
					size_t *blen)
{
	const unsigned char *p = memmem(data, len, "\r\n\r\n", 4);

	if (p == NULL) {
		*blen = 0;
		return data + len;
	}
	p += 4;
	*blen = len - (size_t)(p - data);
	return p;
}

bool mlt_notice_verified(mlt_rt *rt, const mlt_msg *m, const unsigned char *data,
			 size_t len)
{
	char nonce[NTF_NONCE_MAX + 1] = "";
	size_t blen;
	const unsigned char *body = mlt_body_of(data, len, &blen);
	long max_age = (long)rt->set.max_notice_age;
	long ttl = max_age + 86400L > MLT_NONCE_TTL ? max_age + 86400L : MLT_NONCE_TTL;
	ntf_verify_result vr;
	sg_buf err;
	int fresh;

	vr = ntf_notice_verify(rt->keys, m->notice_hdr, (const char *)data,
			       (size_t)(body - data), body, blen,
			       (const char *const *)m->rcpts, m->nrcpts, time(NULL),
			       max_age, nonce);
	if (vr != NTF_VERIFY_OK) {
		mlt_log(LOG_WARNING, "queue_id=%s: X-Sendguard-Notice does not verify "
			"(%s): scanned like any mail", m->queue_id, ntf_verify_name(vr));
		return false;
	}
	sg_buf_init(&err, 4096);
	fresh = st_nonce_use(rt->store, nonce, time(NULL), ttl, &err);
	if (fresh != 1)
		mlt_log(LOG_WARNING, "queue_id=%s: notice nonce %s: scanned like any "
			"mail", m->queue_id, fresh == 0 ? "replayed" : sg_buf_cstr(&err));
	sg_buf_free(&err);
	return fresh == 1;
}

void mlt_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

char **mlt_approvers(mlt_rt *rt, const mlt_msg *m, const eng_result *res,
		     size_t *n)
{
	const char *cats[ST_MAX_CATEGORIES];
	size_t ncat = st_result_categories(res, cats);
	char *sender = mlt_sender(m);
	ntf_strv sv;
	char **out;

	ntf_strv_init(&sv);
	ntf_route_approvers(&rt->set.routing, sender, res->from, m->auth_login, cats, ncat, &sv);
	out = sg_xcalloc(sv.n + 1, sizeof(char *));
	for (size_t i = 0; i < sv.n; i++)
		out[i] = sg_xstrdup(sv.v[i]);
	*n = sv.n;
	ntf_strv_free(&sv);
	free(sender);
	return out;
}

static void mlt_view(mlt_rt *rt, const mlt_msg *m, const eng_result *res,
		     const char *hold_id, ntf_hold_view *v)
{
	eng_envelope env = { m->mail_from, (const char *const *)m->rcpts, m->nrcpts,
			     m->auth_login, (const char *const *)m->rcpts_resolved };
	time_t now = time(NULL);

	ntf_view_init(v);
	ntf_view_from_result(v, res, &env, rt->conf, hold_id, m->queue_id, now,
			     hold_id ? now + (time_t)rt->set.expire_after : 0);
}

struct mlt_deleg {
	mlt_rt *rt;
	char *const *approvers;
	size_t napprovers;
	const char *sender;
	rel_nlist *out;
};

/* A delegation in force for one of the hold's approvers: its delegate
 * gets a request too (issue 18, proxies), never for their own mail. */
static int mlt_notice_delegate(const st_delegation *d, void *ctx)
{
	struct mlt_deleg *c = ctx;
	const char *delims = c->rt->set.recipient_delimiter;

	for (size_t i = 0; i < c->napprovers; i++)
		if (sg_addr_same_exact(c->approvers[i], d->principal) &&
		    !sg_addr_same_person(d->delegate, c->sender, delims)) {
			rel_nlist_add_later(c->out, c->rt->eng, c->rt->ntf,
					    NTF_APPROVAL_REQUEST, d->delegate);
			break;
		}
	return 0;
}

void mlt_notice_hold(mlt_rt *rt, const mlt_msg *m, const char *hold_id,
		     char *const *approvers, size_t napprovers, rel_nlist *out)
{
	char *sender = mlt_sender(m);

	/* Only who gets what: the notifier builds each notice from the
	 * stored hold when it sends it, so end of message does the same
	 * small work for one approver as for ten. */
	if (rt->set.notify_sender)
		rel_nlist_add_later(out, rt->eng, rt->ntf, NTF_HOLD_SENDER, sender);
	if (rt->set.notify_approvers)
		for (size_t i = 0; i < napprovers; i++)
			rel_nlist_add_later(out, rt->eng, rt->ntf, NTF_APPROVAL_REQUEST,
					    approvers[i]);
	if (rt->set.notify_approvers && napprovers > 0 &&
	    rt->store != NULL) {
		struct mlt_deleg c = { rt, approvers, napprovers, sender, out };

		st_delegate_list(rt->store, NULL, time(NULL), mlt_notice_delegate, &c,
				 NULL);
	}
	if (out->refused)
		mlt_log(LOG_NOTICE, "hold=%s: %zu notice(s) not made: the recipient "
			"(sender %s or an approver) is not an internal address",
			hold_id, out->refused, *sender ? sender : "<>");
	free(sender);
}

bool mlt_notice_reject(mlt_rt *rt, const mlt_msg *m, const eng_result *res)
{
	ntf_hold_view v;
	char *sender = mlt_sender(m);
	rel_nlist l;
	sg_buf err;
	bool queued = false;
	int rc;

	if (!rt->set.notify_sender) {
		free(sender);
		return false;
	}
	sg_buf_init(&err, 4096);
	rel_nlist_init(&l);
	mlt_view(rt, m, res, NULL, &v);
	rc = rel_nlist_add(&l, rt->eng, rt->ntf, NTF_REJECT_SENDER, &v, sender,
			   time(NULL), &err);
	if (rc < 0)
		mlt_log(LOG_ERR, "queue_id=%s: rejection notice to %s not made: %s",
			m->queue_id, sender, sg_buf_cstr(&err));
	else if (rc == 0)
		mlt_log(LOG_NOTICE, "queue_id=%s: no rejection notice: the sender %s "
			"is not an internal address", m->queue_id, *sender ? sender : "<>");
	else if (st_outbox_add(rt->store, NULL, m->queue_id, l.v, l.n, &err) != ST_OK)
		mlt_log(LOG_ERR, "queue_id=%s: rejection notice to %s not recorded: %s",
			m->queue_id, sender, sg_buf_cstr(&err));
	else {
		queued = true;
		mlt_notifier_wake();
	}
	rel_nlist_free(&l);
	ntf_view_free(&v);
	sg_buf_free(&err);
	free(sender);
	return queued;
}
