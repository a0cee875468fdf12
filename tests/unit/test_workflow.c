/*
 * Approval workflow (issue 7): who may decide a hold, once; expiry and
 * the half-time reminder; the helpers of the release backend. Driven
 * directly against a temporary store, without a mail system.
 */
#include "sg_test.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "release/rel.h"
#include "store/st.h"

static char tmpdir[64];
static st_store *st;

static void setup(void)
{
	char path[128];
	sg_buf err;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sg_wf_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/store.db", tmpdir);
	sg_buf_init(&err, 4096);
	st = st_create(path, &err);
	ck_assert_msg(st != NULL, "%s", sg_buf_cstr(&err));
	sg_buf_free(&err);
}

static void teardown(void)
{
	char cmd[128];

	st_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *const two_approvers[] = {
	"kacho@example.lg.jp", "kakaricho@example.lg.jp"
};

/* Approvals the next make_hold() asks (issue 18); 0: one. */
static unsigned next_required;

/* A hold by taro (From taro.yamada@, AUTH login "taro") to a vendor. */
static void make_hold(char id[ST_ID_SIZE], const char *const *approvers,
		      size_t napprovers, time_t created, time_t expires)
{
	static const char *const cats[] = { "personal-data" };
	st_rcpt rcpts[2] = { { "sales@vendor.example", true },
			     { "hanako@example.lg.jp", false } };
	st_hold_new h = { 0 };
	sg_buf err;

	h.queue_id = "4jYFhz2pjRz884N";
	h.sender = "Taro@Example.lg.jp";
	h.auth_login = "taro";
	h.from_addr = "taro.yamada@example.lg.jp";
	h.rcpts = rcpts;
	h.nrcpts = 2;
	h.subject = "名簿の送付";
	h.size = 1234;
	h.categories = cats;
	h.ncategories = 1;
	h.verdict = "hold";
	h.findings_json = "[{\"category\":\"personal-data\",\"rule\":\"my-number\","
			  "\"where\":\"body\",\"count\":2,\"evidence\":\"1234-****-****\"}]";
	h.attachments_json = "[{\"path\":\"2\",\"name\":\"meibo.zip\",\"type\":"
			     "\"application/zip\",\"size\":999,\"encrypted\":false,"
			     "\"entries\":[{\"name\":\"meibo.xlsx\",\"type\":\"xlsx\","
			     "\"size\":500,\"encrypted\":false,\"entries\":[]}]}]";
	h.approvers = approvers;
	h.napprovers = napprovers;
	h.required = next_required;
	next_required = 0;
	h.created = created;
	h.expires = expires;
	sg_buf_init(&err, 4096);
	ck_assert_msg(st_hold_create(st, &h, id, &err) == ST_OK, "%s", sg_buf_cstr(&err));
	sg_buf_free(&err);
}

static rel_rc decide(const char *id, rel_action a, const char *by)
{
	sg_buf err;
	rel_rc rc;

	sg_buf_init(&err, 4096);
	rc = rel_decide(st, NULL, id, a, by, "ok", "tester", &err);
	sg_buf_free(&err);
	return rc;
}

static st_status status_of(const char *id)
{
	st_hold *h = NULL;
	sg_buf err;
	st_status s;

	sg_buf_init(&err, 4096);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	s = h->status;
	st_hold_free(h);
	sg_buf_free(&err);
	return s;
}

START_TEST(test_addresses_compare_without_case_and_brackets)
{
	ck_assert(rel_addr_eq("<Kacho@Example.LG.JP>", " kacho@example.lg.jp"));
	ck_assert(!rel_addr_eq("kacho@example.lg.jp", "kacho@example.lg.jp.evil"));
	ck_assert(!rel_addr_eq("", ""));
	ck_assert(!rel_addr_eq(NULL, "a@b"));
}
END_TEST

START_TEST(test_sender_may_never_approve_own_mail)
{
	char id[ST_ID_SIZE];
	/* Even when [approvers] listed the sender, four eyes win. */
	const char *const self[] = { "taro@example.lg.jp", "kacho@example.lg.jp" };

	make_hold(id, self, 2, 0, 0);
	ck_assert_int_eq(decide(id, REL_APPROVE, "taro@example.lg.jp"), REL_REFUSED);
	ck_assert_int_eq(decide(id, REL_APPROVE, "TARO.YAMADA@example.lg.jp"), REL_REFUSED);
	ck_assert_int_eq(decide(id, REL_REJECT, "taro"), REL_REFUSED);
	ck_assert_int_eq(decide(id, REL_APPROVE, "taro@example.lg.jp "), REL_REFUSED);
	ck_assert_int_eq(status_of(id), ST_PENDING);
}
END_TEST

START_TEST(test_login_at_sender_domain_is_the_sender)
{
	char id[ST_ID_SIZE];
	st_hold *h = NULL;
	sg_buf err;

	make_hold(id, two_approvers, 2, 0, 0);
	sg_buf_init(&err, 4096);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert(rel_is_sender(h, NULL, "taro@example.lg.jp"));
	ck_assert(!rel_is_sender(h, NULL, "kacho@example.lg.jp"));
	st_hold_free(h);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_only_an_assigned_approver_may_approve)
{
	char id[ST_ID_SIZE];
	sg_buf why;

	make_hold(id, two_approvers, 2, 0, 0);
	ck_assert_int_eq(decide(id, REL_APPROVE, "bucho@example.lg.jp"), REL_REFUSED);
	ck_assert_int_eq(decide(id, REL_REJECT, "security-officer@example.lg.jp"),
			 REL_REFUSED);
	ck_assert_int_eq(status_of(id), ST_PENDING);
	ck_assert_int_eq(decide(id, REL_APPROVE, "Kakaricho@example.lg.jp"), REL_OK);
	ck_assert_int_eq(status_of(id), ST_APPROVED);
	sg_buf_init(&why, 4096);
	ck_assert_int_eq(rel_decide(st, NULL, id, REL_APPROVE, "nobody", NULL, NULL, &why),
			 REL_REFUSED);
	sg_buf_free(&why);
}
END_TEST

START_TEST(test_refusal_says_why_in_japanese_and_english)
{
	char id[ST_ID_SIZE];
	sg_buf err;

	make_hold(id, two_approvers, 2, 0, 0);
	sg_buf_init(&err, 4096);
	ck_assert_int_eq(rel_decide(st, NULL, id, REL_APPROVE, "taro@example.lg.jp", NULL,
				    NULL, &err), REL_REFUSED);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "送信者"));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "four eyes"));
	sg_buf_free(&err);
}
END_TEST

/* Issue 14: one identity per person. kacho+x@ is kacho@; a login is
 * the person at every internal domain. */
START_TEST(test_extensions_and_logins_are_the_sender)
{
	char id[ST_ID_SIZE], *path;
	const char *const self[] = { "taro@city.example.jp", "kacho@example.lg.jp" };
	sg_conf *conf;
	sg_buf err;

	sg_buf_init(&err, 4096);
	path = sg_test_write("[policy]\ninternal_domains = example.lg.jp, city.example.jp\n"
			     "recipient_delimiter = +-\n[approval]\nchecklist =\n");
	conf = sg_conf_load(path, &err);
	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	make_hold(id, self, 2, 0, 0);
	sg_buf_reset(&err);
	ck_assert_int_eq(rel_decide(st, conf, id, REL_APPROVE, "taro+x@example.lg.jp", NULL,
				    NULL, &err), REL_REFUSED);
	ck_assert_int_eq(rel_decide(st, conf, id, REL_APPROVE, "Taro.Yamada-memo@Example.LG.JP",
				    NULL, NULL, &err), REL_REFUSED);
	/* The login at another internal domain, assigned or not. */
	ck_assert_int_eq(rel_decide(st, conf, id, REL_APPROVE, "taro@city.example.jp", NULL,
				    NULL, &err), REL_REFUSED);
	/* An extension of an assigned approver is not the approver. */
	ck_assert_int_eq(rel_decide(st, conf, id, REL_APPROVE, "kacho+x@example.lg.jp", NULL,
				    NULL, &err), REL_REFUSED);
	ck_assert_int_eq(status_of(id), ST_PENDING);
	ck_assert_int_eq(rel_decide(st, conf, id, REL_APPROVE, "<KACHO@example.lg.jp>", NULL,
				    NULL, &err), REL_OK);
	sg_conf_free(conf);
	unlink(path);
	free(path);
	sg_buf_free(&err);
}
END_TEST

static int find_decision(const st_audit_rec *r, void *ctx)
{
	int *found = ctx;

	if (strcmp(r->event, "approve") == 0) {
		ck_assert_str_eq(r->actor, "kacho@example.lg.jp");
		ck_assert_str_eq(r->unix_user, "tester");
		*found = 1;
	}
	return 0;
}

START_TEST(test_decision_is_audited_with_by_and_unix_user)
{
	char id[ST_ID_SIZE];
	sg_buf err;
	int found = 0;
	size_t n, bad;

	make_hold(id, two_approvers, 2, 0, 0);
	ck_assert_int_eq(decide(id, REL_APPROVE, "kacho@example.lg.jp"), REL_OK);
	sg_buf_init(&err, 4096);
	ck_assert_int_eq(st_audit_list(st, id, 0, find_decision, &found, &err), ST_OK);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(st_audit_verify(st, &n, &bad, &err), ST_OK);
	sg_buf_free(&err);
}
END_TEST

static int find_admin_decision(const st_audit_rec *r, void *ctx)
{
	int *found = ctx;

	if (strcmp(r->event, "reject") == 0) {
		ck_assert_str_eq(r->actor, "administrator root on behalf of kacho@example.lg.jp");
		ck_assert_str_eq(r->unix_user, "root (uid 0; claimed by the environment: SUDO_USER=kacho)");
		*found = 1;
	}
	return 0;
}

START_TEST(test_admin_decision_is_recorded_as_on_behalf_never_as_the_approver)
{
	char id[ST_ID_SIZE];
	st_hold *h = NULL;
	sg_buf err;
	int found = 0;

	make_hold(id, two_approvers, 2, 0, 0);
	sg_buf_init(&err, 4096);
	ck_assert_int_eq(rel_decide_admin(st, NULL, id, REL_REJECT, "kacho@example.lg.jp", "root",
					  "暗号化してください",
					  "root (uid 0; claimed by the environment: SUDO_USER=kacho)",
					  &err), REL_OK);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_str_eq(h->decided_by, "administrator root on behalf of kacho@example.lg.jp");
	st_hold_free(h);
	ck_assert_int_eq(st_audit_list(st, id, 0, find_admin_decision, &found, &err), ST_OK);
	ck_assert_int_eq(found, 1);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_admin_may_not_decide_on_behalf_of_the_sender_or_unassigned)
{
	static const char *const senders[] = {
		"taro@example.lg.jp", "TARO.YAMADA@example.lg.jp", "taro", "<taro@example.lg.jp>"
	};
	char id[ST_ID_SIZE];
	sg_buf err;

	make_hold(id, two_approvers, 2, 0, 0);
	sg_buf_init(&err, 4096);
	for (size_t i = 0; i < sizeof(senders) / sizeof(senders[0]); i++)
		ck_assert_int_eq(rel_decide_admin(st, NULL, id, REL_APPROVE, senders[i], "root",
						  NULL, "root (uid 0)", &err), REL_REFUSED);
	ck_assert_int_eq(rel_decide_admin(st, NULL, id, REL_APPROVE, "bucho@example.lg.jp", "root",
					  NULL, "root (uid 0)", &err), REL_REFUSED);
	ck_assert_int_eq(status_of(id), ST_PENDING);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_admin_reject_needs_a_reason)
{
	char id[ST_ID_SIZE];
	sg_buf err;

	make_hold(id, two_approvers, 2, 0, 0);
	sg_buf_init(&err, 4096);
	ck_assert_int_eq(rel_decide_admin(st, NULL, id, REL_REJECT, "kacho@example.lg.jp", "root",
					  NULL, "root (uid 0)", &err), REL_INVALID);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "reason"));
	ck_assert_int_eq(rel_decide_admin(st, NULL, id, REL_REJECT, "kacho@example.lg.jp", "root",
					  " \t\n", "root (uid 0)", &err), REL_INVALID);
	ck_assert_int_eq(status_of(id), ST_PENDING);
	ck_assert_int_eq(rel_decide_admin(st, NULL, id, REL_REJECT, "kacho@example.lg.jp", "root",
					  "個人番号を削除してください", "root (uid 0)", &err), REL_OK);
	ck_assert_int_eq(status_of(id), ST_REJECTED);
	sg_buf_free(&err);
}
END_TEST


/* ---- issue 18: checklist, several approvers, proxies, escalation ---- */

static sg_conf *conf18(const char *extra)
{
	sg_buf err;
	char *path, text[2048];
	sg_conf *conf;

	snprintf(text, sizeof(text), "[policy]\ninternal_domains = example.lg.jp\n"
		 "[approval]\nchecklist = 宛先は正しい, 添付ファイルは正しい\n%s", extra);
	path = sg_test_write(text);
	sg_buf_init(&err, 4096);
	conf = sg_conf_load(path, &err);
	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	unlink(path);
	free(path);
	sg_buf_free(&err);
	return conf;
}

static rel_rc decide18(const sg_conf *conf, const char *id, rel_action a, const char *by,
		       const char *admin, size_t nticks, const char *comment,
		       rel_vote_outcome *out, sg_buf *err)
{
	static const char *const all[] = { "宛先は正しい", "添付ファイルは正しい" };
	rel_decision d = { id, a, by, admin, comment, "tester", all, nticks };

	return rel_decide_ex(st, conf, &d, out, err);
}

START_TEST(test_approving_needs_every_checklist_item_and_keeps_the_ticks)
{
	sg_conf *conf = conf18("");
	char id[ST_ID_SIZE];
	rel_vote_outcome out;
	st_hold *h = NULL;
	sg_buf err;

	sg_buf_init(&err, 4096);
	make_hold(id, two_approvers, 2, 0, 0);
	ck_assert_int_eq(decide18(conf, id, REL_APPROVE, "kacho@example.lg.jp", NULL, 0,
				  NULL, &out, &err), REL_INVALID);
	ck_assert_int_eq(decide18(conf, id, REL_APPROVE, "kacho@example.lg.jp", NULL, 1,
				  NULL, &out, &err), REL_INVALID);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "添付ファイルは正しい"));
	/* the old entry points tick nothing: refused too */
	ck_assert_int_eq(rel_decide(st, conf, id, REL_APPROVE, "kacho@example.lg.jp", NULL,
				    NULL, &err), REL_INVALID);
	ck_assert_int_eq(status_of(id), ST_PENDING);
	ck_assert_int_eq(decide18(conf, id, REL_APPROVE, "kacho@example.lg.jp", NULL, 2,
				  NULL, &out, &err), REL_OK);
	ck_assert_int_eq(out, REL_DECIDED);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_int_eq(h->status, ST_APPROVED);
	ck_assert_ptr_nonnull(strstr(h->approvals_json, "\"checked\":[\"宛先は正しい\","
				     "\"添付ファイルは正しい\"]"));
	st_hold_free(h);
	sg_conf_free(conf);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_two_required_distinct_approvers_one_reject_ends_it)
{
	sg_conf *conf = conf18("");
	char id[ST_ID_SIZE], id2[ST_ID_SIZE];
	rel_vote_outcome out;
	st_hold *h = NULL;
	sg_buf err;

	sg_buf_init(&err, 4096);
	next_required = 2;
	make_hold(id, two_approvers, 2, 0, 0);
	ck_assert_int_eq(decide18(conf, id, REL_APPROVE, "kacho@example.lg.jp", NULL, 2,
				  NULL, &out, &err), REL_OK);
	ck_assert_int_eq(out, REL_PARTIAL);
	ck_assert_int_eq(status_of(id), ST_PENDING);
	/* the same person under an extension counts once */
	ck_assert_int_eq(decide18(conf, id, REL_APPROVE, "kacho+again@example.lg.jp", NULL,
				  2, NULL, &out, &err), REL_REFUSED);
	ck_assert_int_eq(status_of(id), ST_PENDING);
	ck_assert_int_eq(decide18(conf, id, REL_APPROVE, "kakaricho@example.lg.jp", NULL, 2,
				  "確認しました", &out, &err), REL_OK);
	ck_assert_int_eq(out, REL_DECIDED);
	ck_assert_int_eq(status_of(id), ST_APPROVED);
	/* the co-approver who did not decide is told (kacho approved
	 * first, so kacho is the other one here) */
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_uint_eq(h->napproved, 2);
	st_hold_free(h);
	/* a reject needs a reason, and one reject ends it */
	next_required = 2;
	make_hold(id2, two_approvers, 2, 0, 0);
	ck_assert_int_eq(decide18(conf, id2, REL_APPROVE, "kacho@example.lg.jp", NULL, 2,
				  NULL, &out, &err), REL_OK);
	ck_assert_int_eq(decide18(conf, id2, REL_REJECT, "kakaricho@example.lg.jp", NULL, 0,
				  NULL, &out, &err), REL_INVALID);
	ck_assert_int_eq(decide18(conf, id2, REL_REJECT, "kakaricho@example.lg.jp", NULL, 0,
				  "宛先が違います", &out, &err), REL_OK);
	ck_assert_int_eq(status_of(id2), ST_REJECTED);
	sg_conf_free(conf);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_delegate_decides_on_behalf_of_never_for_own_mail)
{
	sg_conf *conf = conf18("");
	char id[ST_ID_SIZE];
	time_t now = time(NULL);
	rel_vote_outcome out;
	st_hold *h = NULL;
	sg_buf err;

	sg_buf_init(&err, 4096);
	make_hold(id, two_approvers, 2, 0, 0);
	/* not delegated yet: refused */
	ck_assert_int_eq(decide18(conf, id, REL_APPROVE, "hosa@example.lg.jp", NULL, 2,
				  NULL, &out, &err), REL_REFUSED);
	ck_assert_int_eq(st_delegate_add(st, "kacho@example.lg.jp", "hosa@example.lg.jp",
					 now - 5, now + 3600, "kacho@example.lg.jp", NULL,
					 NULL, &err), ST_OK);
	/* the sender named as a delegate still may not approve */
	ck_assert_int_eq(st_delegate_add(st, "kakaricho@example.lg.jp", "taro@example.lg.jp",
					 now - 5, now + 3600, "root", NULL, NULL, &err), ST_OK);
	ck_assert_int_eq(decide18(conf, id, REL_APPROVE, "taro@example.lg.jp", NULL, 2,
				  NULL, &out, &err), REL_REFUSED);
	ck_assert_int_eq(decide18(conf, id, REL_APPROVE, "hosa@example.lg.jp", NULL, 2,
				  NULL, &out, &err), REL_OK);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_int_eq(h->status, ST_APPROVED);
	ck_assert_str_eq(h->decided_by, "hosa@example.lg.jp on behalf of kacho@example.lg.jp");
	ck_assert_str_eq(rel_decided_for(h->decided_by), "kacho@example.lg.jp");
	st_hold_free(h);
	sg_conf_free(conf);
	sg_buf_free(&err);
}
END_TEST

static void count_esc(const st_hold *h, const char *to, void *ctx)
{
	(void)h;
	ck_assert_str_eq(to, "jinji-bucho@example.lg.jp");
	(*(int *)ctx)++;
}

START_TEST(test_escalation_once_after_escalate_after_with_nobody_deciding)
{
	sg_conf *conf = conf18("escalate_after = 1h\nescalate_personal-data ="
			       " jinji-bucho@example.lg.jp\n");
	char id[ST_ID_SIZE], id2[ST_ID_SIZE];
	time_t t0 = time(NULL);
	size_t n = 0;
	int told = 0;
	sg_buf err;

	sg_buf_init(&err, 4096);
	make_hold(id, two_approvers, 2, t0, t0 + 72 * 3600);
	next_required = 2;
	make_hold(id2, two_approvers, 2, t0, t0 + 72 * 3600);
	ck_assert_int_eq(decide18(conf, id2, REL_APPROVE, "kacho@example.lg.jp", NULL, 2,
				  NULL, NULL, &err), REL_OK);	/* someone is deciding */
	ck_assert_int_eq(rel_escalate_run(st, conf, t0 + 1800, count_esc, &told, &n, &err),
			 REL_OK);
	ck_assert_int_eq(told, 0);
	ck_assert_int_eq(rel_escalate_run(st, conf, t0 + 3601, count_esc, &told, &n, &err),
			 REL_OK);
	ck_assert_int_eq(told, 1);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(rel_escalate_run(st, conf, t0 + 7200, count_esc, &told, &n, &err),
			 REL_OK);
	ck_assert_int_eq(told, 1);		/* once */
	sg_conf_free(conf);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_required_of_categories_is_the_largest)
{
	sg_conf *conf = conf18("required_classified = 2\nrequired_scan-limit = 3\n");
	const char *const a[] = { "personal-data" };
	const char *const b[] = { "personal-data", "classified" };
	const char *const c[] = { "scan-limit", "classified" };

	ck_assert_uint_eq(ntf_required_for(conf, a, 1), 1);
	ck_assert_uint_eq(ntf_required_for(conf, b, 2), 2);
	ck_assert_uint_eq(ntf_required_for(conf, c, 2), 3);
	sg_conf_free(conf);
}
END_TEST

START_TEST(test_decided_hold_cannot_be_decided_again)
{
	char id[ST_ID_SIZE];

	make_hold(id, two_approvers, 2, 0, 0);
	ck_assert_int_eq(decide(id, REL_REJECT, "kacho@example.lg.jp"), REL_OK);
	ck_assert_int_eq(decide(id, REL_APPROVE, "kakaricho@example.lg.jp"), REL_REFUSED);
	ck_assert_int_eq(decide(id, REL_REJECT, "kacho@example.lg.jp"), REL_REFUSED);
	ck_assert_int_eq(decide(id, REL_WITHDRAW, "taro@example.lg.jp"), REL_REFUSED);
	ck_assert_int_eq(status_of(id), ST_REJECTED);
}
END_TEST

START_TEST(test_only_the_sender_may_withdraw)
{
	char id[ST_ID_SIZE];

	make_hold(id, two_approvers, 2, 0, 0);
	ck_assert_int_eq(decide(id, REL_WITHDRAW, "kacho@example.lg.jp"), REL_REFUSED);
	ck_assert_int_eq(decide(id, REL_WITHDRAW, "hanako@example.lg.jp"), REL_REFUSED);
	ck_assert_int_eq(status_of(id), ST_PENDING);
	ck_assert_int_eq(decide(id, REL_WITHDRAW, "taro@example.lg.jp"), REL_OK);
	ck_assert_int_eq(status_of(id), ST_WITHDRAWN);
}
END_TEST

START_TEST(test_hold_nobody_was_asked_about_is_decided_by_admin_not_sender)
{
	char id[ST_ID_SIZE];
	st_hold *h = NULL;
	sg_buf err;

	make_hold(id, NULL, 0, 0, 0);
	ck_assert_int_eq(decide(id, REL_APPROVE, "taro@example.lg.jp"), REL_REFUSED);
	ck_assert_int_eq(decide(id, REL_APPROVE, "admin@example.lg.jp"), REL_OK);
	sg_buf_init(&err, 4096);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	ck_assert_ptr_nonnull(strstr(h->decision_comment, "administrator decision"));
	st_hold_free(h);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_unknown_hold_is_not_found)
{
	ck_assert_int_eq(decide("hnosuchhold", REL_APPROVE, "kacho@example.lg.jp"),
			 REL_NOTFOUND);
	ck_assert_int_eq(decide("", REL_APPROVE, "kacho@example.lg.jp"), REL_INVALID);
}
END_TEST

/* ---- expiry ---- */

struct notices {
	int expired, reminded;
};

static void count_notice(const st_hold *h, ntf_kind kind, void *ctx)
{
	struct notices *n = ctx;

	if (kind == NTF_EXPIRED_SENDER) {
		ck_assert_int_eq(h->status, ST_EXPIRED);
		n->expired++;
	} else if (kind == NTF_APPROVAL_REMINDER) {
		n->reminded++;
	}
}

START_TEST(test_hold_past_expiry_expires_and_sender_is_told)
{
	char old[ST_ID_SIZE], young[ST_ID_SIZE];
	time_t now = time(NULL);
	struct notices n = { 0, 0 };
	rel_expire_stats s;
	sg_buf err;

	make_hold(old, two_approvers, 2, now - 100, now - 1);
	make_hold(young, two_approvers, 2, now - 10, now + 1000);
	sg_buf_init(&err, 4096);
	ck_assert_int_eq(rel_expire_run(st, now, "tester", count_notice, &n, &s, &err),
			 REL_OK);
	ck_assert_uint_eq(s.expired, 1);
	ck_assert_int_eq(n.expired, 1);
	ck_assert_int_eq(status_of(old), ST_EXPIRED);
	ck_assert_int_eq(status_of(young), ST_PENDING);
	/* A second run does nothing more. */
	ck_assert_int_eq(rel_expire_run(st, now, "tester", count_notice, &n, &s, &err),
			 REL_OK);
	ck_assert_uint_eq(s.expired, 0);
	ck_assert_int_eq(n.expired, 1);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_decided_hold_does_not_expire)
{
	char id[ST_ID_SIZE];
	time_t now = time(NULL);
	struct notices n = { 0, 0 };
	rel_expire_stats s;
	sg_buf err;

	make_hold(id, two_approvers, 2, now - 100, now - 1);
	ck_assert_int_eq(decide(id, REL_APPROVE, "kacho@example.lg.jp"), REL_OK);
	sg_buf_init(&err, 4096);
	ck_assert_int_eq(rel_expire_run(st, now, NULL, count_notice, &n, &s, &err), REL_OK);
	ck_assert_int_eq(n.expired, 0);
	ck_assert_int_eq(status_of(id), ST_APPROVED);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_reminder_at_half_time_is_sent_once)
{
	char early[ST_ID_SIZE], half[ST_ID_SIZE];
	time_t now = time(NULL);
	struct notices n = { 0, 0 };
	rel_expire_stats s;
	sg_buf err;

	make_hold(early, two_approvers, 2, now - 10, now + 1000);
	make_hold(half, two_approvers, 2, now - 600, now + 400);
	sg_buf_init(&err, 4096);
	ck_assert_int_eq(rel_expire_run(st, now, NULL, count_notice, &n, &s, &err), REL_OK);
	ck_assert_uint_eq(s.reminded, 1);
	ck_assert_int_eq(n.reminded, 1);
	ck_assert_int_eq(rel_expire_run(st, now + 60, NULL, count_notice, &n, &s, &err),
			 REL_OK);
	ck_assert_uint_eq(s.reminded, 0);
	ck_assert_int_eq(n.reminded, 1);
	ck_assert_int_eq(status_of(half), ST_PENDING);
	sg_buf_free(&err);
}
END_TEST

/* ---- release helpers ---- */

START_TEST(test_view_from_hold_reads_findings_and_archive_entries)
{
	char id[ST_ID_SIZE];
	st_hold *h = NULL;
	ntf_hold_view v;
	sg_buf err;

	make_hold(id, two_approvers, 2, 0, 0);
	sg_buf_init(&err, 4096);
	ck_assert_int_eq(st_hold_get(st, id, &h, &err), ST_OK);
	rel_view_from_hold(&v, h);
	ck_assert_uint_eq(v.nfindings, 1);
	ck_assert_str_eq(v.findings[0].rule, "my-number");
	ck_assert_uint_eq(v.findings[0].count, 2);
	ck_assert_str_eq(v.findings[0].evidence, "1234-****-****");
	ck_assert_uint_eq(v.natts, 1);
	ck_assert_str_eq(v.atts[0].name, "meibo.zip");
	ck_assert(!v.atts[0].encrypted);
	ck_assert_uint_eq(v.atts[0].nentries, 1);
	ck_assert_str_eq(v.atts[0].entries[0].name, "meibo.xlsx");
	ck_assert_uint_eq(v.napprovers, 2);
	ck_assert_uint_eq(v.nrcpts, 2);
	ntf_view_free(&v);
	st_hold_free(h);
	sg_buf_free(&err);
}
END_TEST

static void json16_cb(const char *const *vals, const char *elem, void *ctx)
{
	int *seen = ctx;

	(void)elem;
	for (int i = 0; i < 16; i++) {
		char want[16];

		snprintf(want, sizeof(want), "v%d", i);
		ck_assert_ptr_nonnull(vals[i]);
		ck_assert_str_eq(vals[i], want);
	}
	(*seen)++;
}

/* 16 keys (the allowed maximum) need more than 1 KiB of SQL: the
 * statement once overflowed a fixed buffer (issue 13, class 8). */
START_TEST(test_json_reader_takes_sixteen_keys)
{
	static const char *const keys[16] = {
		"key_number_00", "key_number_01", "key_number_02", "key_number_03",
		"key_number_04", "key_number_05", "key_number_06", "key_number_07",
		"key_number_08", "key_number_09", "key_number_10", "key_number_11",
		"key_number_12", "key_number_13", "key_number_14", "key_number_15",
	};
	sg_buf json;
	int seen = 0;

	sg_buf_init(&json, SG_BUF_UNLIMITED);
	sg_buf_puts(&json, "[{");
	for (int i = 0; i < 16; i++)
		sg_buf_printf(&json, "%s\"%s\":\"v%d\"", i ? "," : "", keys[i], i);
	sg_buf_puts(&json, "}]");
	ck_assert_int_eq(rel_json_each(sg_buf_cstr(&json), keys, 16, 10,
				       json16_cb, &seen), 1);
	ck_assert_int_eq(seen, 1);
	ck_assert_int_eq(rel_json_each("[]", keys, 17, 10, json16_cb, &seen), -1);
	sg_buf_free(&json);
}
END_TEST

/* The reader that rel_json_each used before (SQLite's json_each and
 * json_extract), kept here as the oracle that util's reader must agree
 * with on what the store writes: elements, member values, booleans,
 * nesting, escapes, validity. */
static void oracle_row(sg_buf *out, const char *elem, const char *const *vals,
		       size_t nkeys)
{
	sg_buf_printf(out, "[%s]", elem ? elem : "\x01");
	for (size_t i = 0; i < nkeys; i++)
		sg_buf_printf(out, "<%s>", vals[i] ? vals[i] : "\x01");
	sg_buf_putc(out, ';');
}

static void oracle_cb(const char *const *vals, const char *elem, void *ctx)
{
	oracle_row(ctx, elem, vals, 3);
}

static int oracle_each(const char *json, const char *const *keys, sg_buf *out)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int n = -1;
	sg_buf sql;

	ck_assert_int_eq(sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE,
					 NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT json_valid(?1)", -1, &s,
					    NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 1)
		n = 0;
	sqlite3_finalize(s);
	sg_buf_init(&sql, SG_BUF_UNLIMITED);
	sg_buf_puts(&sql, "SELECT CASE WHEN type IN ('object','array') THEN"
			  " json(value) ELSE value END");
	for (int i = 0; i < 3; i++)
		sg_buf_printf(&sql, ", CASE WHEN type = 'object' THEN"
			      " json_extract(value, '$.\"%s\"') END", keys[i]);
	sg_buf_puts(&sql, " FROM json_each(?1)");
	if (n == 0) {
		ck_assert_int_eq(sqlite3_prepare_v2(db, sg_buf_cstr(&sql), -1, &s,
						    NULL), SQLITE_OK);
		sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *vals[3];

			for (int i = 0; i < 3; i++)
				vals[i] = (const char *)sqlite3_column_text(s, i + 1);
			oracle_row(out, (const char *)sqlite3_column_text(s, 0), vals, 3);
			n++;
		}
		sqlite3_finalize(s);
	}
	sg_buf_free(&sql);
	sqlite3_close(db);
	return n;
}

static void oracle_compare(const char *json)
{
	/* Keys as callers ask for them: plain ASCII. (SQLite compares a
	 * member's name as written, so it would not find "\u00fc" under
	 * "ü"; ours unescapes first.) */
	static const char *const keys[3] = { "a", "b", "c" };
	sg_buf want, got;
	int nw, ng;

	sg_buf_init(&want, SG_BUF_UNLIMITED);
	sg_buf_init(&got, SG_BUF_UNLIMITED);
	nw = oracle_each(json, keys, &want);
	ng = rel_json_each(json, keys, 3, 1000, oracle_cb, &got);
	ck_assert_msg(nw == ng, "%s: sqlite %d, ours %d", json, nw, ng);
	ck_assert_msg(strcmp(sg_buf_cstr(&want), sg_buf_cstr(&got)) == 0,
		      "%s:\n sqlite %s\n ours   %s", json, sg_buf_cstr(&want),
		      sg_buf_cstr(&got));
	sg_buf_free(&want);
	sg_buf_free(&got);
}

START_TEST(test_json_reader_agrees_with_sqlite)
{
	static const char *const samples[] = {
		"[]", " [ ] ", "{}", "[1,2,30]", "\"x\"", "12", "true", "null",
		"[{\"a\":\"x\",\"b\":[1, {\"c\" : \"d\"}],\"\\u00fc\":true}]",
		"[{\"a\":null,\"b\":false},{\"a\":{\"b\":\"\\\"q\\\\\"}},\"s\",7,[]]",
		"[\"\\u65e5\\u672c \\t\\n\\/\", \"日本語\", {\"a\":\"\\\\u\"}]",
		"{\"a\":1,\"b\":[2]}", "[{\"b\" :  [ 1 , \"a b\" ] , \"a\" : \"x\" }]",
		"[{\"a\":1,\"a\":2}]", "[{\"x\":{\"a\":1}}]", "[ true , false , null ]",
		"[\"\\\"\", \"a\\\\\"]", "[{\"a\":\"]\"}]",
	};
	static const char muts[] = "\"\\[]{},: xu1";

	/* A surrogate pair joins; not mutated: a lone half is U+FFFD for
	 * ours and three bytes that are no UTF-8 for SQLite. */
	oracle_compare("[\"\\ud83d\\ude00\"]");

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		size_t len = strlen(samples[i]);
		char *m = strdup(samples[i]);

		oracle_compare(samples[i]);
		/* Every prefix, and every byte replaced by each of muts:
		 * valid or not, both readers must say the same. */
		for (size_t k = 0; k < len; k++) {
			char save = m[k];

			m[k] = '\0';
			oracle_compare(m);
			for (const char *c = muts; *c; c++) {
				m[k] = *c;
				oracle_compare(m);
			}
			m[k] = save;
		}
		free(m);
	}
	/* Too deep for ours: refused, not a stack overflow. */
	{
		sg_buf deep;
		int seen = 0;

		sg_buf_init(&deep, SG_BUF_UNLIMITED);
		for (int i = 0; i < 100000; i++)
			sg_buf_putc(&deep, '[');
		ck_assert_int_eq(rel_json_each(sg_buf_cstr(&deep), NULL, 0, 10,
					       json16_cb, &seen), -1);
		sg_buf_free(&deep);
	}
}
END_TEST

START_TEST(test_queue_ids_that_could_be_options_are_refused)
{
	ck_assert(rel_queue_id_valid("4jYFhz2pjRz884N"));
	ck_assert(rel_queue_id_valid("3F2A1B4C5D"));
	ck_assert(!rel_queue_id_valid("-d"));
	ck_assert(!rel_queue_id_valid("ALL"));
	ck_assert(!rel_queue_id_valid("abc def"));
	ck_assert(!rel_queue_id_valid("../hold/x"));
	ck_assert(!rel_queue_id_valid(NULL));
}
END_TEST

START_TEST(test_iso_time_with_offset_parses)
{
	ck_assert_int_eq(rel_parse_time("2026-11-23T10:00:00+09:00"), 1795395600);
	ck_assert_int_eq(rel_parse_time("2026-11-23T01:00:00+00:00"), 1795395600);
	ck_assert_int_eq(rel_parse_time("yesterday"), 0);
}
END_TEST

START_TEST(test_commands_run_without_shell_and_time_out)
{
	char *argv1[] = { "/bin/echo", "a;b", "$(x)", NULL };
	char *argv2[] = { "/bin/sleep", "5", NULL };
	char *argv3[] = { "/nonexistent/prog", NULL };
	rel_result r;
	sg_buf err;
	time_t t0;

	sg_buf_init(&err, 4096);
	rel_result_init(&r, 1024);
	ck_assert_int_eq(rel_run(argv1, 5, &r, &err), 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(sg_buf_cstr(&r.out), "a;b $(x)\n");
	rel_result_free(&r);
	rel_result_init(&r, 1024);
	t0 = time(NULL);
	ck_assert_int_eq(rel_run(argv2, 1, &r, &err), 0);
	ck_assert(r.timed_out);
	ck_assert_int_le(time(NULL) - t0, 3);
	rel_result_free(&r);
	rel_result_init(&r, 1024);
	ck_assert_int_eq(rel_run(argv3, 1, &r, &err), -1);
	rel_result_free(&r);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_command_words_split_at_blanks)
{
	char s[] = "  /usr/sbin/postsuper   -v ";
	char *w[REL_MAX_WORDS];

	ck_assert_uint_eq(rel_split_words(s, w), 2);
	ck_assert_str_eq(w[0], "/usr/sbin/postsuper");
	ck_assert_str_eq(w[1], "-v");
	ck_assert_ptr_null(w[2]);
}
END_TEST

/* Issue 18: the root side serves a download only from a queue file whose
 * one X-Sendguard-Hold header names the hold, read in the header block
 * only, unfolded as apply reads it. */
START_TEST(test_download_header_check_names_exactly_this_hold)
{
	static const char id[] = "h0001";
	static const struct {
		const char *msg;
		bool ok;
	} cases[] = {
		{ "From: a@b\nX-Sendguard-Hold: h0001\nSubject: s\n\nbody\n", true },
		{ "x-sendguard-hold:h0001\r\n\r\nbody", true },
		{ "X-Sendguard-Hold:\n  h0001\nTo: c@d\n\n", true },		/* folded */
		{ "X-Sendguard-Hold: h0002\n\n", false },			/* another hold's */
		{ "X-Sendguard-Hold: h00011\n\n", false },
		{ "X-Sendguard-Hold: h000\n\n", false },
		{ "From: a@b\n\nX-Sendguard-Hold: h0001\n", false },		/* in the body */
		{ "X-Sendguard-Hold: h0001\nX-Sendguard-Hold: h0001\n\n", false }, /* two */
		{ "X-Sendguard-Hold: h0001\nX-Sendguard-Hold: h0002\n\n", false },
		{ "X-Sendguard-Holder: h0001\n\n", false },
		{ "X-Sendguard-Hold: h0001", true },				/* no newline at all */
		{ "", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(rel_dl_header_ok(cases[i].msg, strlen(cases[i].msg), id) == cases[i].ok,
			      "case %zu: %s", i, cases[i].msg);
	/* Bounded by len, not by a NUL. */
	ck_assert(!rel_dl_header_ok("X-Sendguard-Hold: h0001\n\n", 20, id));
}
END_TEST

static Suite *workflow_suite(void)
{
	Suite *s = suite_create("workflow");
	TCase *tc = tcase_create("decisions");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_addresses_compare_without_case_and_brackets);
	tcase_add_test(tc, test_sender_may_never_approve_own_mail);
	tcase_add_test(tc, test_login_at_sender_domain_is_the_sender);
	tcase_add_test(tc, test_only_an_assigned_approver_may_approve);
	tcase_add_test(tc, test_refusal_says_why_in_japanese_and_english);
	tcase_add_test(tc, test_extensions_and_logins_are_the_sender);
	tcase_add_test(tc, test_decision_is_audited_with_by_and_unix_user);
	tcase_add_test(tc, test_admin_decision_is_recorded_as_on_behalf_never_as_the_approver);
	tcase_add_test(tc, test_admin_may_not_decide_on_behalf_of_the_sender_or_unassigned);
	tcase_add_test(tc, test_admin_reject_needs_a_reason);
	tcase_add_test(tc, test_decided_hold_cannot_be_decided_again);
	tcase_add_test(tc, test_only_the_sender_may_withdraw);
	tcase_add_test(tc, test_hold_nobody_was_asked_about_is_decided_by_admin_not_sender);
	tcase_add_test(tc, test_unknown_hold_is_not_found);
	tcase_add_test(tc, test_hold_past_expiry_expires_and_sender_is_told);
	tcase_add_test(tc, test_decided_hold_does_not_expire);
	tcase_add_test(tc, test_reminder_at_half_time_is_sent_once);
	tcase_add_test(tc, test_view_from_hold_reads_findings_and_archive_entries);
	tcase_add_test(tc, test_json_reader_takes_sixteen_keys);
	tcase_add_test(tc, test_json_reader_agrees_with_sqlite);
	tcase_add_test(tc, test_queue_ids_that_could_be_options_are_refused);
	tcase_add_test(tc, test_iso_time_with_offset_parses);
	tcase_add_test(tc, test_commands_run_without_shell_and_time_out);
	tcase_add_test(tc, test_command_words_split_at_blanks);
	tcase_add_test(tc, test_approving_needs_every_checklist_item_and_keeps_the_ticks);
	tcase_add_test(tc, test_two_required_distinct_approvers_one_reject_ends_it);
	tcase_add_test(tc, test_delegate_decides_on_behalf_of_never_for_own_mail);
	tcase_add_test(tc, test_escalation_once_after_escalate_after_with_nobody_deciding);
	tcase_add_test(tc, test_required_of_categories_is_the_largest);
	tcase_add_test(tc, test_download_header_check_names_exactly_this_hold);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(workflow_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
