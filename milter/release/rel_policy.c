/*
 * NAME
 *	rel_policy - who may approve, reject or withdraw a hold
 * SYNOPSIS
 *	#include "release/rel.h"
 * DESCRIPTION
 *	The store records decisions; this file decides who may make them
 *	(rel.h). The checks use only what the milter stored with the hold
 *	(sender identities and the approvers it computed at hold time),
 *	never the configuration of today: an [approvers] edit must not
 *	hand yesterday's held mail to someone who was never asked.
 *
 *	The store's st_hold_decide() is conditional on "pending" inside
 *	the writer's lock, so two approvers racing cannot both decide.
 * DIAGNOSTICS
 *	Refusals fill err with one Japanese and one English sentence.
 */
#include "release/rel.h"
#include "util/sg_addr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


const char *rel_rc_name(rel_rc rc)
{
	static const char *const names[] = {
		"ok", "refused", "not found", "busy", "invalid", "gone",
		"released", "error"
	};
	return (unsigned)rc < sizeof(names) / sizeof(names[0]) ? names[rc] : "?";
}

const char *rel_action_name(rel_action a)
{
	return a == REL_APPROVE ? "approve" : a == REL_REJECT ? "reject" :
	       a == REL_RELEASE ? "release" : "withdraw";
}

rel_rc rel_from_st(st_rc rc)
{
	switch (rc) {
	case ST_OK:
		return REL_OK;
	case ST_NOTFOUND:
		return REL_NOTFOUND;
	case ST_CONFLICT:
		return REL_REFUSED;
	case ST_BUSY:
		return REL_BUSY;
	case ST_INVALID:
		return REL_INVALID;
	default:
		return REL_ERROR;
	}
}

/* Deleting mail is final, so it follows only a recorded decision:
 * a person's reject or withdraw, or the expiry run past [hold]
 * expire_after. A hold that reconcile (or anything else) closed because
 * its queue file was not seen is not such a decision: the file may
 * have been committed late, and nobody looked at it. */
bool rel_decision_deletes(const st_hold *h)
{
	switch (h->status) {
	case ST_REJECTED:
	case ST_WITHDRAWN:
		return true;
	case ST_EXPIRED:
		return h->decided_by != NULL && strcmp(h->decided_by, "expire") == 0;
	default:
		return false;
	}
}

/* The address without surrounding blanks and angle brackets. */
static void rel_addr_trim(const char *a, const char **start, size_t *len)
{
	const char *e;

	while (*a == ' ' || *a == '\t' || *a == '<')
		a++;
	e = a + strlen(a);
	while (e > a && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '>'))
		e--;
	*start = a;
	*len = (size_t)(e - a);
}

bool rel_addr_eq(const char *a, const char *b)
{
	const char *pa, *pb;
	size_t la, lb;

	if (a == NULL || b == NULL)
		return false;
	rel_addr_trim(a, &pa, &la);
	rel_addr_trim(b, &pb, &lb);
	return la > 0 && la == lb && strncasecmp(pa, pb, la) == 0;
}

/* One identity per person (util/sg_addr.h): the sender's identities
 * as stored with the hold, compared with and without the address
 * extension of [policy] recipient_delimiter. */
bool rel_is_sender(const st_hold *h, const sg_conf *conf, const char *addr)
{
	sg_idset ids;
	bool is;

	sg_idset_sender(&ids, conf, h->sender, h->from_addr, h->auth_login);
	is = sg_idset_has(&ids, addr);
	sg_idset_free(&ids);
	return is;
}

/* Granting is strict: only the canonical address the request went to. */
bool rel_is_assigned(const st_hold *h, const char *addr)
{
	for (size_t i = 0; i < h->napprovers; i++)
		if (sg_addr_same_exact(h->approvers[i], addr))
			return true;
	return false;
}

/* Who a recorded decision is by: the person an administrator decided
 * for ("administrator USER on behalf of X", rel_decide_admin), else the
 * record itself. */
const char *rel_decided_for(const char *decided_by)
{
	static const char pre[] = "administrator ", mid[] = " on behalf of ";
	const char *m;

	if (decided_by == NULL || strncmp(decided_by, pre, sizeof(pre) - 1) != 0 ||
	    (m = strstr(decided_by, mid)) == NULL)
		return decided_by;
	return m + sizeof(mid) - 1;
}

static rel_rc rel_refuse(sg_buf *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static rel_rc rel_refuse(sg_buf *why, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL) {
		sg_buf_reset(why);
		va_start(ap, fmt);
		sg_buf_vprintf(why, fmt, ap);
		va_end(ap);
	}
	return REL_REFUSED;
}

static rel_rc rel_may_withdraw(const st_hold *h, const sg_conf *conf,
				const char *by, sg_buf *why)
{
	if (rel_is_sender(h, conf, by))
		return REL_OK;
	return rel_refuse(why, "取り下げできるのは送信者 (%s) だけです。"
			  " Only the sender (%s) may withdraw hold %s; %s is not"
			  " the sender.", h->sender, h->sender, h->id, by);
}

/* Delayed send: the sender may send a delayed mail now; a hold for
 * approval never (four eyes). */
static rel_rc rel_may_release(const st_hold *h, const sg_conf *conf,
			      const char *by, sg_buf *why)
{
	if (!h->delay)
		return rel_refuse(why, "このメールは承認待ちの保留です。送信者は送信できません"
				  " (承認者の判断が必要です)。 Hold %s is held for approval,"
				  " not delayed: only an approver can release it.", h->id);
	if (rel_is_sender(h, conf, by))
		return REL_OK;
	return rel_refuse(why, "今すぐ送信できるのは送信者 (%s) だけです。"
			  " Only the sender (%s) may send hold %s now; %s is not"
			  " the sender.", h->sender, h->sender, h->id, by);
}

static rel_rc rel_may_judge(const st_hold *h, const sg_conf *conf, rel_action a,
			    const char *by, sg_buf *why)
{
	if (rel_is_sender(h, conf, by))
		return rel_refuse(why, "送信者は自分のメールを承認・却下できません"
				  " (ダブルチェック)。取り下げは withdraw で行えます。"
				  " %s is the sender of hold %s and may not %s it"
				  " (four eyes); the sender may only withdraw.",
				  by, h->id, rel_action_name(a));
	if (h->napprovers == 0 || rel_is_assigned(h, by))
		return REL_OK;
	return rel_refuse(why, "%s はこの保留の承認者に割り当てられていません。"
			  " %s is not an approver assigned to hold %s"
			  " (assigned: %zu approver%s, see sendguardctl show).",
			  by, by, h->id, h->napprovers, h->napprovers == 1 ? "" : "s");
}

rel_rc rel_may_decide(const st_hold *h, const sg_conf *conf, rel_action a,
		      const char *by, sg_buf *why)
{
	if (by == NULL || strchr(by, '@') == NULL)
		return rel_refuse(why, "--by にはメールアドレスを指定してください。"
				  " --by must be an e-mail address.");
	if (h->status == ST_ARRIVING)
		return rel_refuse(why, "この保留はまだ確認中です (キューファイル未確認)。"
				  " Hold %s is not confirmed yet: its queue file has"
				  " not been seen on hold, so nothing can be decided"
				  " (it is confirmed within seconds, or closed as never"
				  " arrived).", h->id);
	if (h->status != ST_PENDING)
		return rel_refuse(why, "この保留は既に %s です (%s, %s)。"
				  " Hold %s is already %s (by %s at %s): a decided"
				  " hold cannot be decided again.",
				  st_status_name(h->status),
				  h->decided_by ? h->decided_by : "?",
				  h->decided_at ? h->decided_at : "?", h->id,
				  st_status_name(h->status),
				  h->decided_by ? h->decided_by : "?",
				  h->decided_at ? h->decided_at : "?");
	if (a == REL_WITHDRAW)
		return rel_may_withdraw(h, conf, by, why);
	if (a == REL_RELEASE)
		return rel_may_release(h, conf, by, why);
	return rel_may_judge(h, conf, a, by, why);
}

static st_status rel_status_of(rel_action a)
{
	return a == REL_APPROVE ? ST_APPROVED : a == REL_REJECT ? ST_REJECTED
			       : ST_WITHDRAWN;
}

/* A comment with something in it besides blanks. */
static bool rel_has_reason(const char *comment)
{
	for (const char *p = comment; p && *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return true;
	return false;
}

/* Checks the rules for `by` and records the decision as `record_as`
 * (the same person on the web page; "administrator ... on behalf of
 * by" from sendguardctl). */
static rel_rc rel_record(st_store *st, const sg_conf *conf, const char *id,
			 rel_action a, const char *by, const char *record_as,
			 const char *comment, const char *unix_user, sg_buf *err)
{
	st_hold *h = NULL;
	st_rc src;
	rel_rc rc;

	if (id == NULL || *id == '\0' || by == NULL || *by == '\0')
		return REL_INVALID;
	/* The sender is told why; an auditor reads it (issue 14). */
	if (a == REL_REJECT && !rel_has_reason(comment)) {
		if (err != NULL) {
			sg_buf_reset(err);
			sg_buf_puts(err, "却下には理由 (コメント) が必要です。送信者に伝わります。"
				    " A reject needs a reason (the comment): the sender"
				    " is told it.");
		}
		return REL_INVALID;
	}
	src = st_hold_get(st, id, &h, err);
	if (src != ST_OK)
		return rel_from_st(src);
	rc = rel_may_decide(h, conf, a, by, err);
	if (a == REL_RELEASE) {
		/* One conditional UPDATE (pending, kind delay): it loses
		 * cleanly to the end of the delay or a cancel. */
		if (rc == REL_OK)
			rc = rel_from_st(st_hold_release(st, id, ST_RELEASE_SENDER,
							 record_as, unix_user, 0, err));
		st_hold_free(h);
		return rc;
	}
	/* An unassigned decision is legal only for a hold nobody was asked
	 * about; say so in the record so that a reviewer sees it. */
	if (rc == REL_OK && a != REL_WITHDRAW && h->napprovers == 0) {
		sg_buf c;

		sg_buf_init(&c, 8192);
		sg_buf_printf(&c, "[no approver was assigned: administrator decision]%s%s",
			      comment && *comment ? " " : "", comment ? comment : "");
		rc = rel_from_st(st_hold_decide(st, id, rel_status_of(a), record_as,
						sg_buf_cstr(&c), unix_user, err));
		sg_buf_free(&c);
	} else if (rc == REL_OK) {
		rc = rel_from_st(st_hold_decide(st, id, rel_status_of(a), record_as,
						comment, unix_user, err));
	}
	st_hold_free(h);
	return rc;
}

rel_rc rel_decide(st_store *st, const sg_conf *conf, const char *id, rel_action a,
		  const char *by, const char *comment, const char *unix_user,
		  sg_buf *err)
{
	return rel_record(st, conf, id, a, by, by, comment, unix_user, err);
}

rel_rc rel_decide_admin(st_store *st, const sg_conf *conf, const char *id,
			rel_action a, const char *on_behalf, const char *admin,
			const char *comment, const char *unix_user, sg_buf *err)
{
	sg_buf as;
	rel_rc rc;

	if (admin == NULL || *admin == '\0' || on_behalf == NULL || *on_behalf == '\0')
		return REL_INVALID;
	sg_buf_init(&as, 1024);
	sg_buf_printf(&as, "administrator %s on behalf of %s", admin, on_behalf);
	rc = rel_record(st, conf, id, a, on_behalf, sg_buf_cstr(&as), comment, unix_user, err);
	sg_buf_free(&as);
	return rc;
}
