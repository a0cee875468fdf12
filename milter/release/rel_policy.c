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
#include "util/sg_json.h"
#include "util/sg_mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>


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
	static const char mid[] = " on behalf of ";
	const char *m;

	/* An administrator's or a delegate's decision (issue 18): the
	 * same wording, the person after the last " on behalf of ". */
	if (decided_by == NULL || (m = strstr(decided_by, mid)) == NULL)
		return decided_by;
	for (const char *n; (n = strstr(m + 1, mid)) != NULL;)
		m = n;
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

static rel_rc rel_may_judge(st_store *st, const st_hold *h, const sg_conf *conf,
			    rel_action a, const char *by, sg_buf *why)
{
	if (rel_is_sender(h, conf, by))
		return rel_refuse(why, "送信者は自分のメールを承認・却下できません"
				  " (ダブルチェック)。取り下げは withdraw で行えます。"
				  " %s is the sender of hold %s and may not %s it"
				  " (four eyes); the sender may only withdraw.",
				  by, h->id, rel_action_name(a));
	if (h->napprovers == 0 || rel_is_assigned(h, by) ||
	    (st != NULL && rel_is_delegate(st, h, by, time(NULL))))
		return REL_OK;
	return rel_refuse(why, "%s はこの保留の承認者に割り当てられていません。"
			  " %s is not an approver assigned to hold %s"
			  " (assigned: %zu approver%s, see sendguardctl show).",
			  by, by, h->id, h->napprovers, h->napprovers == 1 ? "" : "s");
}

rel_rc rel_may_decide(const st_hold *h, const sg_conf *conf, rel_action a,
		      const char *by, sg_buf *why)
{
	return rel_may_decide_st(NULL, h, conf, a, by, why);
}

rel_rc rel_may_decide_st(st_store *st, const st_hold *h, const sg_conf *conf,
			 rel_action a, const char *by, sg_buf *why)
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
	return rel_may_judge(st, h, conf, a, by, why);
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

/* ------------------------------------------------ checklist (issue 18) */

/* Every [approval] checklist item is among the ticked ones (compared
 * as written); the ticked ones go into *json as a JSON array, in the
 * checklist's order. false: why says which item is missing. */
static bool rel_checklist_ok(const sg_conf *conf, const char *const *ticked,
			     size_t nticked, sg_buf *json, sg_buf *why)
{
	size_t n = 0;
	char *const *items = conf ? SG_CONF_LIST(conf, approval_checklist, &n) : NULL;

	sg_buf_putc(json, '[');
	for (size_t i = 0; i < n; i++) {
		bool have = false;

		for (size_t k = 0; k < nticked && !have; k++)
			have = ticked[k] != NULL && strcmp(ticked[k], items[i]) == 0;
		if (!have) {
			if (why != NULL) {
				sg_buf_reset(why);
				sg_buf_printf(why, "承認するには確認項目をすべて確認してください"
					      " (未確認: %s)。 Approving needs every checklist"
					      " item ticked (not ticked: %s).", items[i], items[i]);
			}
			return false;
		}
		if (i)
			sg_buf_putc(json, ',');
		sg_json_str(json, items[i]);
	}
	sg_buf_putc(json, ']');
	return true;
}

/* --------------------------------------------------- proxies (issue 18) */

/* The assigned approver `by` acts for: themself when assigned, else the
 * first assigned approver whose delegation to `by` is in force now;
 * NULL: neither. */
static const char *rel_principal_of(st_store *st, const st_hold *h, const char *by,
				    time_t now, bool *proxy)
{
	char *canon;
	const char *p = NULL;

	*proxy = false;
	for (size_t i = 0; i < h->napprovers; i++)
		if (sg_addr_same_exact(h->approvers[i], by))
			return h->approvers[i];
	if (st == NULL || (canon = sg_addr_identity(by, NULL, false)) == NULL)
		return NULL;
	for (size_t i = 0; i < h->napprovers && p == NULL; i++)
		if (st_delegate_active(st, h->approvers[i], canon, now))
			p = h->approvers[i];
	free(canon);
	*proxy = p != NULL;
	return p;
}

bool rel_is_delegate(st_store *st, const st_hold *h, const char *by, time_t now)
{
	bool proxy;

	return rel_principal_of(st, h, by, now, &proxy) != NULL && proxy;
}

/* The person acting, for "the same person counts once": the identity
 * without extension (kacho+a and kacho+b are one), or the
 * administrator. */
static char *rel_actor_of(const sg_conf *conf, const char *by, const char *admin)
{
	const char *delims = conf ? SG_CONF_STR(conf, policy_recipient_delimiter) : "+";
	char *id;
	sg_buf b;

	if (admin != NULL) {
		sg_buf_init(&b, 1024);
		sg_buf_printf(&b, "administrator %s", admin);
		id = sg_xstrdup(sg_buf_cstr(&b));
		sg_buf_free(&b);
		return id;
	}
	id = sg_addr_identity(by, delims, true);
	return id ? id : sg_xstrdup(by);
}

/* The hold was decided by `principal` (or their proxy): every other
 * assigned approver gets a short notice that nothing is needed from
 * them any more (issue 18), built from the stored hold when sent. */
static void rel_tell_coapprovers(st_store *st, const sg_conf *conf, const st_hold *h,
				 const char *principal)
{
	char *from;

	if (conf == NULL || !SG_CONF_BOOL(conf, notify_notify_approvers))
		return;
	from = ntf_from_address(conf);
	for (size_t i = 0; i < h->napprovers && i < 256; i++) {
		st_notice_new n;
		sg_buf msgid;

		if (sg_addr_same_exact(h->approvers[i], principal))
			continue;
		sg_buf_init(&msgid, 512);
		ntf_message_id(from, &msgid);
		memset(&n, 0, sizeof(n));
		n.kind = ntf_kind_name(NTF_DECIDED_APPROVER);
		n.rcpt = h->approvers[i];
		n.message_id = sg_buf_cstr(&msgid);
		/* Not fatal: the decision stands; outbox_once keeps one a
		 * person. */
		st_outbox_add(st, h->id, h->queue_id, &n, 1, NULL);
		sg_buf_free(&msgid);
	}
	free(from);
}

/* An approve or reject of a hold held for approval: one vote
 * (st_hold_vote), counted for the assigned approver `by` is or acts
 * for. */
static rel_rc rel_vote(st_store *st, const sg_conf *conf, const st_hold *h,
		       const rel_decision *d, const char *record_as,
		       rel_vote_outcome *out, sg_buf *err)
{
	const char *principal = d->by;
	bool proxy = false;
	sg_buf as, checks, detail;
	st_vote v;
	st_vote_out vo = ST_VOTE_PARTIAL;
	char *actor;
	rel_rc rc;

	if (h->napprovers > 0 &&
	    (principal = rel_principal_of(st, h, d->by, time(NULL), &proxy)) == NULL)
		return REL_REFUSED;	/* rel_may_decide said so already */
	sg_buf_init(&as, 2048);
	sg_buf_init(&checks, 16384);
	sg_buf_init(&detail, 2048);
	if (d->act == REL_APPROVE &&
	    !rel_checklist_ok(conf, d->ticked, d->nticked, &checks, err)) {
		sg_buf_free(&as);
		sg_buf_free(&checks);
		sg_buf_free(&detail);
		return REL_INVALID;
	}
	if (d->act != REL_APPROVE)
		sg_buf_puts(&checks, "[]");
	/* A proxy's decision reads like an administrator's: "D on behalf
	 * of P" (issue 14's wording, the same column). */
	if (proxy)
		sg_buf_printf(&as, "%s on behalf of %s", record_as, principal);
	else
		sg_buf_puts(&as, record_as);
	sg_buf_puts(&detail, "{\"via\":");
	sg_json_str(&detail, d->admin ? "cli" : "web");
	if (proxy) {
		sg_buf_puts(&detail, ",\"on_behalf_of\":");
		sg_json_str(&detail, principal);
		sg_buf_puts(&detail, ",\"delegate\":");
		sg_json_str(&detail, d->by);
	}
	sg_buf_putc(&detail, '}');
	actor = rel_actor_of(conf, d->by, d->admin);
	v = (st_vote){ d->act == REL_APPROVE, principal, actor, sg_buf_cstr(&as),
		       sg_buf_cstr(&checks), d->comment, d->unix_user,
		       sg_buf_cstr(&detail) };
	rc = rel_from_st(st_hold_vote(st, h->id, &v, &vo, err));
	if (rc == REL_OK && out != NULL)
		*out = vo == ST_VOTE_DECIDED ? REL_DECIDED : REL_PARTIAL;
	if (rc == REL_OK && vo == ST_VOTE_DECIDED && h->napprovers > 1)
		rel_tell_coapprovers(st, conf, h, principal);
	free(actor);
	sg_buf_free(&as);
	sg_buf_free(&checks);
	sg_buf_free(&detail);
	return rc;
}

/* Checks the rules for `by` and records the decision as `record_as`
 * (the same person on the web page; "administrator ... on behalf of
 * by" from sendguardctl). */
static rel_rc rel_record(st_store *st, const sg_conf *conf, const rel_decision *d,
			 const char *record_as, rel_vote_outcome *out, sg_buf *err)
{
	const char *id = d->id, *by = d->by, *comment = d->comment;
	rel_action a = d->act;
	st_hold *h = NULL;
	st_rc src;
	rel_rc rc;

	if (out != NULL)
		*out = REL_DECIDED;
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
	rc = rel_may_decide_st(st, h, conf, a, by, err);
	if (a == REL_RELEASE) {
		/* One conditional UPDATE (pending, kind delay): it loses
		 * cleanly to the end of the delay or a cancel. */
		if (rc == REL_OK)
			rc = rel_from_st(st_hold_release(st, id, ST_RELEASE_SENDER,
							 record_as, d->unix_user, 0, err));
		st_hold_free(h);
		return rc;
	}
	if (rc == REL_OK && a != REL_WITHDRAW && !h->delay) {
		/* Approve and reject of a hold for approval: votes (issue
		 * 18), with the checklist; nobody assigned is noted. */
		rel_decision nd = *d;
		sg_buf c;

		sg_buf_init(&c, 8192);
		if (h->napprovers == 0) {
			sg_buf_printf(&c, "[no approver was assigned: administrator decision]%s%s",
				      comment && *comment ? " " : "", comment ? comment : "");
			nd.comment = sg_buf_cstr(&c);
		}
		rc = rel_vote(st, conf, h, &nd, record_as, out, err);
		sg_buf_free(&c);
	} else if (rc == REL_OK && a != REL_WITHDRAW && h->napprovers == 0) {
		/* An unassigned decision is legal only for a hold nobody was
		 * asked about; say so in the record so that a reviewer sees it. */
		sg_buf c;

		sg_buf_init(&c, 8192);
		sg_buf_printf(&c, "[no approver was assigned: administrator decision]%s%s",
			      comment && *comment ? " " : "", comment ? comment : "");
		rc = rel_from_st(st_hold_decide(st, id, rel_status_of(a), record_as,
						sg_buf_cstr(&c), d->unix_user, err));
		sg_buf_free(&c);
	} else if (rc == REL_OK) {
		rc = rel_from_st(st_hold_decide(st, id, rel_status_of(a), record_as,
						comment, d->unix_user, err));
	}
	st_hold_free(h);
	return rc;
}

rel_rc rel_decide_ex(st_store *st, const sg_conf *conf, const rel_decision *d,
		     rel_vote_outcome *out, sg_buf *err)
{
	sg_buf as;
	rel_rc rc;

	if (d == NULL)
		return REL_INVALID;
	if (d->admin == NULL)
		return rel_record(st, conf, d, d->by, out, err);
	if (*d->admin == '\0' || d->by == NULL || *d->by == '\0')
		return REL_INVALID;
	sg_buf_init(&as, 1024);
	sg_buf_printf(&as, "administrator %s on behalf of %s", d->admin, d->by);
	rc = rel_record(st, conf, d, sg_buf_cstr(&as), out, err);
	sg_buf_free(&as);
	return rc;
}

rel_rc rel_decide(st_store *st, const sg_conf *conf, const char *id, rel_action a,
		  const char *by, const char *comment, const char *unix_user,
		  sg_buf *err)
{
	rel_decision d = { id, a, by, NULL, comment, unix_user, NULL, 0 };

	return rel_decide_ex(st, conf, &d, NULL, err);
}

rel_rc rel_decide_admin(st_store *st, const sg_conf *conf, const char *id,
			rel_action a, const char *on_behalf, const char *admin,
			const char *comment, const char *unix_user, sg_buf *err)
{
	rel_decision d = { id, a, on_behalf, admin, comment, unix_user, NULL, 0 };

	if (admin == NULL || *admin == '\0')
		return REL_INVALID;
	return rel_decide_ex(st, conf, &d, NULL, err);
}

/* ------------------------------------- requests to a new delegate */

struct rel_dreq {
	st_store *st;
	const sg_conf *conf;
	const char *from, *to, *notice_from;
	size_t n;
};

static int rel_dreq_one(const st_hold *h, void *ctx)
{
	struct rel_dreq *r = ctx;
	st_notice_new n;
	sg_buf msgid;

	if (h->delay || !rel_is_assigned(h, r->from) || rel_is_sender(h, r->conf, r->to))
		return 0;
	sg_buf_init(&msgid, 512);
	ntf_message_id(r->notice_from, &msgid);
	memset(&n, 0, sizeof(n));
	n.kind = ntf_kind_name(NTF_APPROVAL_REQUEST);
	n.rcpt = r->to;
	n.message_id = sg_buf_cstr(&msgid);
	/* One request a hold and person (outbox_once): a second
	 * delegation to the same person adds nothing. */
	if (st_outbox_add(r->st, h->id, h->queue_id, &n, 1, NULL) == ST_OK)
		r->n++;
	sg_buf_free(&msgid);
	return 0;
}

size_t rel_delegate_requests(st_store *st, const sg_conf *conf, const char *from,
			     const char *to)
{
	size_t nd;
	char *const *dom = SG_CONF_LIST(conf, policy_internal_domains, &nd);
	char *nfrom = ntf_from_address(conf);
	st_status pending = ST_PENDING;
	struct rel_dreq r = { st, conf, from, to, nfrom, 0 };

	/* Requests carry signed links: internal addresses only, as for
	 * approvers (issue 14). */
	if (sg_addr_internal(to, dom, nd) && SG_CONF_BOOL(conf, notify_notify_approvers))
		st_hold_list(st, &pending, rel_dreq_one, &r, NULL);
	free(nfrom);
	return r.n;
}

time_t rel_parse_until(const char *s)
{
	struct tm tm;
	char *end;

	if (s == NULL || *s == '\0')
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end != NULL && *end == '\0') {
		tm.tm_mday += 1;	/* the next midnight: the whole day counts */
		tm.tm_isdst = -1;
		return mktime(&tm);
	}
	return rel_parse_time(s);
}

/* ------------------------------------------ apply's last gate (issue 18) */

struct rel_self {
	const st_hold *h;
	const sg_conf *conf;
	bool found;
};

static void rel_self_one(const char *const *vals, const char *elem, void *ctx)
{
	static const char mid[] = " on behalf of ";
	struct rel_self *c = ctx;
	const char *m;

	(void)elem;
	if (vals[0] && rel_is_sender(c->h, c->conf, vals[0]))
		c->found = true;
	/* The acting person of "D on behalf of P" (an administrator is
	 * nobody's sender identity). */
	if (vals[1] && strncmp(vals[1], "administrator ", 14) != 0 &&
	    (m = strstr(vals[1], mid)) != NULL) {
		char *d = sg_xstrndup(vals[1], (size_t)(m - vals[1]));

		if (rel_is_sender(c->h, c->conf, d))
			c->found = true;
		free(d);
	}
}

bool rel_voted_by_sender(const st_hold *h, const sg_conf *conf)
{
	static const char *const keys[] = { "approver", "by" };
	struct rel_self c = { h, conf, false };

	if (h->approvals_json)
		rel_json_each(h->approvals_json, keys, 2, 256, rel_self_one, &c);
	return c.found;
}
