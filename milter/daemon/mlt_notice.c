/*
 * NAME
 *	mlt_notice - notices the milter sends, and recognising them again
 * DESCRIPTION
 *	Hold notices, approval requests and rejection notices are submitted
 *	through [notify] sendmail and pass through Postfix, and so through
 *	this milter, again. They are recognised by their X-Sendguard-Notice
 *	MAC (body, envelope recipients, the headers let through unchecked,
 *	nonce), a Date within [notify] max_notice_age and a nonce seen only
 *	once, never by a sender address that anybody could type.
 *
 *	A notice that cannot be sent is logged and recorded; the hold stays
 *	(the approval page and sendguardctl still show it).
 */
#include "daemon/mlt.h"
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
#define MLT_SUBMIT_TIMEOUT 60

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
	long max_age = (long)sg_conf_num(rt->conf, "notify", "max_notice_age");
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
	ntf_approvers_for(rt->conf, sender, res->from, m->auth_login, cats, ncat, &sv);
	out = sg_xcalloc(sv.n + 1, sizeof(char *));
	for (size_t i = 0; i < sv.n; i++)
		out[i] = sg_xstrdup(sv.v[i]);
	*n = sv.n;
	ntf_strv_free(&sv);
	free(sender);
	return out;
}

static void mlt_record_notice(mlt_rt *rt, const ntf_hold_view *v, const char *kind,
			      const char *to, const char *error)
{
	sg_buf d, err;

	sg_buf_init(&d, 4096);
	sg_buf_init(&err, 4096);
	sg_buf_puts(&d, "{\"kind\":");
	sg_json_str(&d, kind);
	sg_buf_puts(&d, ",\"to\":");
	sg_json_str(&d, to);
	sg_buf_puts(&d, ",\"error\":");
	sg_json_str(&d, error);
	sg_buf_putc(&d, '}');
	if (st_audit_append(rt->store, error ? "notice-failed" : "notice", v->hold_id,
			    v->queue_id, "milter", NULL, sg_buf_cstr(&d), &err) != ST_OK)
		mlt_log(LOG_ERR, "cannot record a notice: %s", sg_buf_cstr(&err));
	sg_buf_free(&d);
	sg_buf_free(&err);
}

static void mlt_send(mlt_rt *rt, const ntf_hold_view *v, ntf_kind kind,
		     const char *to)
{
	sg_buf msg, err;
	const char *rcpt[1] = { to };
	ntf_submit_result r;
	int status = 0;

	sg_buf_init(&msg, SG_BUF_UNLIMITED);
	sg_buf_init(&err, 4096);
	if (ntf_build_message(rt->ntf, kind, v, to, time(NULL), &msg, &err) < 0) {
		r = NTF_SUBMIT_USAGE;
	} else {
		r = ntf_submit(ntf_ctx_sendmail(rt->ntf), ntf_ctx_from(rt->ntf), rcpt, 1,
			       msg.data, msg.len, MLT_SUBMIT_TIMEOUT, &status, &err);
	}
	if (r != NTF_SUBMIT_OK)
		mlt_log(LOG_ERR, "hold=%s: %s notice to %s not sent: %s",
			v->hold_id ? v->hold_id : "-", ntf_kind_name(kind), to,
			sg_buf_cstr(&err));
	mlt_record_notice(rt, v, ntf_kind_name(kind), to,
			  r == NTF_SUBMIT_OK ? NULL : sg_buf_cstr(&err));
	sg_buf_free(&msg);
	sg_buf_free(&err);
}

static void mlt_view(mlt_rt *rt, const mlt_msg *m, const eng_result *res,
		     const char *hold_id, ntf_hold_view *v)
{
	eng_envelope env = { m->mail_from, (const char *const *)m->rcpts, m->nrcpts,
			     m->auth_login, (const char *const *)m->rcpts_resolved };
	time_t now = time(NULL);

	ntf_view_init(v);
	ntf_view_from_result(v, res, &env, rt->conf, hold_id, m->queue_id, now,
			     hold_id ? now + (time_t)sg_conf_num(rt->conf, "hold",
							   "expire_after") : 0);
}

void mlt_notice_hold(mlt_rt *rt, const mlt_msg *m, const eng_result *res,
		     const char *hold_id, char *const *approvers, size_t napprovers)
{
	ntf_hold_view v;
	char *sender = mlt_sender(m);

	mlt_view(rt, m, res, hold_id, &v);
	for (size_t i = 0; i < napprovers; i++)
		ntf_view_add_approver(&v, approvers[i]);
	if (sg_conf_bool(rt->conf, "notify", "notify_sender") && *sender)
		mlt_send(rt, &v, NTF_HOLD_SENDER, sender);
	if (sg_conf_bool(rt->conf, "notify", "notify_approvers"))
		for (size_t i = 0; i < napprovers; i++)
			mlt_send(rt, &v, NTF_APPROVAL_REQUEST, approvers[i]);
	ntf_view_free(&v);
	free(sender);
}

void mlt_notice_reject(mlt_rt *rt, const mlt_msg *m, const eng_result *res)
{
	ntf_hold_view v;
	char *sender = mlt_sender(m);

	if (sg_conf_bool(rt->conf, "notify", "notify_sender") && *sender) {
		mlt_view(rt, m, res, NULL, &v);
		mlt_send(rt, &v, NTF_REJECT_SENDER, sender);
		ntf_view_free(&v);
	}
	free(sender);
}
