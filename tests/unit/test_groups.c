/*
 * Sender groups and the policy step (issue 19): [group.NAME] sections,
 * first match in file order, overrides and defaults, the group chosen
 * from the envelope sender and the SMTP AUTH login, errors that name
 * file, line, group and key; the private-recipient category.
 */
#include "sg_test_eng.h"
#include "engine/eng.h"
#include "notify/ntf.h"

#define BASE "[policy]\ninternal_domains = example.lg.jp\n"

/* Two groups that both match a contractor: the first one decides. */
#define GROUPS \
	"[group.contractors]\nsenders = *@partner.example, c-*@example.lg.jp\n" \
	"personal-data = reject\nunencrypted-attachment = accept\n" \
	"[group.everyone-at-partner]\nsenders = *@partner.example\n" \
	"personal-data = log\n" \
	"[group.welfare]\nsenders = welfare-*@example.lg.jp\n" \
	"min_confidence = low\nmax_message_size = 2K\nclassified-3 = hold\n" \
	"private-recipient = accept\n" \
	"approvers = kacho@example.lg.jp, bucho@example.lg.jp\n"

static eng_result res;

static void scan_as(const char *extra, const char *from, const char *login,
		    const char *rcpt, const char *msg)
{
	const char *rcpts[1] = { rcpt };
	eng_envelope env = { from, rcpts, rcpt ? 1 : 0, login, NULL };
	char *text = sg_test_conf_join(BASE, extra);

	sg_test_scan(text, &env, msg, strlen(msg), &res);
	free(text);
}

static const eng_finding *find(eng_category cat)
{
	for (size_t i = 0; i < res.nfindings; i++)
		if (res.findings[i].cat == cat)
			return &res.findings[i];
	return NULL;
}

#define HDRS(to, subject) \
	"From: someone@example.lg.jp\r\nTo: " to "\r\nSubject: " subject \
	"\r\nMIME-Version: 1.0\r\n"

/* 12 people's e-mail addresses: a roster (personal data, medium). */
#define ROSTER_BODY \
	"Content-Type: text/plain; charset=UTF-8\r\n\r\n申込者一覧\r\n" \
	"a01@gmail.com\r\na02@gmail.com\r\na03@gmail.com\r\na04@gmail.com\r\n" \
	"a05@gmail.com\r\na06@gmail.com\r\na07@gmail.com\r\na08@gmail.com\r\n" \
	"a09@gmail.com\r\na10@gmail.com\r\na11@gmail.com\r\na12@gmail.com\r\n"

#define ROSTER(to) HDRS(to, "名簿") ROSTER_BODY

#define ATTACHED(to) HDRS(to, "資料") \
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" \
	"Content-Type: text/plain; charset=UTF-8\r\n\r\nご確認ください\r\n--b\r\n" \
	"Content-Type: text/plain; charset=UTF-8; name=memo.txt\r\n" \
	"Content-Disposition: attachment; filename=memo.txt\r\n" \
	"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8K\r\n--b--\r\n"

START_TEST(test_first_matching_group_in_file_order_decides)
{
	scan_as(GROUPS, "yamada@partner.example", NULL, "info@city.example",
		ROSTER("info@city.example"));
	ck_assert_str_eq(res.group, "contractors");
	ck_assert_int_eq(find(ENG_CAT_PERSONAL)->action, ENG_ACT_REJECT);
	ck_assert_int_eq(res.verdict, ENG_ACT_REJECT);
}
END_TEST

START_TEST(test_group_overrides_only_what_it_sets)
{
	scan_as(GROUPS, "c-01@example.lg.jp", NULL, "info@city.example",
		ATTACHED("info@city.example"));
	ck_assert_str_eq(res.group, "contractors");
	/* unencrypted-attachment = accept in the group */
	ck_assert_int_eq(find(ENG_CAT_UNENCRYPTED)->action, ENG_ACT_ACCEPT);
	ck_assert_int_eq(res.verdict, ENG_ACT_ACCEPT);
}
END_TEST

START_TEST(test_sender_in_no_group_gets_the_defaults)
{
	scan_as(GROUPS, "tanaka@example.lg.jp", NULL, "info@city.example",
		ATTACHED("info@city.example"));
	ck_assert_str_eq(res.group, "");
	ck_assert_int_eq(find(ENG_CAT_UNENCRYPTED)->action, ENG_ACT_HOLD);
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	scan_as(GROUPS, "tanaka@example.lg.jp", NULL, "info@city.example",
		ROSTER("info@city.example"));
	ck_assert_int_eq(find(ENG_CAT_PERSONAL)->action, ENG_ACT_HOLD);
}
END_TEST

START_TEST(test_forged_envelope_sender_cannot_pick_a_group_its_login_is_not_in)
{
	/* tanaka authenticated, but writes a contractor's address */
	scan_as(GROUPS, "c-01@example.lg.jp", "tanaka", "info@city.example",
		ATTACHED("info@city.example"));
	ck_assert_str_eq(res.group, "");
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	/* with a realm that is only the claimed domain */
	scan_as(GROUPS, "yamada@partner.example", "tanaka@example.lg.jp",
		"info@city.example", ATTACHED("info@city.example"));
	ck_assert_str_eq(res.group, "");
	/* the contractor's own login (bare, as login@internal domain) */
	scan_as(GROUPS, "c-01@example.lg.jp", "c-01", "info@city.example",
		ATTACHED("info@city.example"));
	ck_assert_str_eq(res.group, "contractors");
	ck_assert_int_eq(res.verdict, ENG_ACT_ACCEPT);
}
END_TEST

START_TEST(test_group_matches_canonical_sender_without_extension)
{
	scan_as(GROUPS, "<Welfare-A+kyuufu@Example.LG.JP>", NULL, "info@city.example",
		HDRS("info@city.example", "【機密性3】") "Content-Type: text/plain\r\n\r\nx\r\n");
	ck_assert_str_eq(res.group, "welfare");
	/* the group holds class-3 instead of rejecting it */
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	scan_as(GROUPS, "tanaka@example.lg.jp", NULL, "info@city.example",
		HDRS("info@city.example", "【機密性3】") "Content-Type: text/plain\r\n\r\nx\r\n");
	ck_assert_int_eq(res.verdict, ENG_ACT_REJECT);
}
END_TEST

START_TEST(test_group_limits_and_min_confidence_apply_to_its_scan)
{
	/* one valid My Number without a keyword: low confidence */
	const char *one = HDRS("info@city.example", "連絡")
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n314159260008\r\n";
	char big[4096];

	scan_as(GROUPS, "welfare-a@example.lg.jp", NULL, "info@city.example", one);
	ck_assert_ptr_nonnull(find(ENG_CAT_PERSONAL));
	scan_as(GROUPS, "tanaka@example.lg.jp", NULL, "info@city.example", one);
	ck_assert_ptr_null(find(ENG_CAT_PERSONAL));

	/* max_message_size = 2K for the group only */
	snprintf(big, sizeof(big), "%s%s", HDRS("info@city.example", "長文")
		 "Content-Type: text/plain\r\n\r\n", "");
	memset(big + strlen(big), 'x', 3000);
	big[sizeof(big) - 1] = '\0';
	scan_as(GROUPS, "welfare-a@example.lg.jp", NULL, "info@city.example", big);
	ck_assert_ptr_nonnull(find(ENG_CAT_SCANLIMIT));
	scan_as(GROUPS, "tanaka@example.lg.jp", NULL, "info@city.example", big);
	ck_assert_ptr_null(find(ENG_CAT_SCANLIMIT));
}
END_TEST

START_TEST(test_roster_to_gmail_is_private_recipient)
{
	const eng_finding *f;

	scan_as(NULL, "tanaka@example.lg.jp", NULL, "yamada@gmail.com",
		ROSTER("yamada@gmail.com"));
	f = find(ENG_CAT_PRIVATE);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->rule, "private-recipient");
	ck_assert_str_eq(f->where, "recipient:gmail.com");
	ck_assert_ptr_null(strstr(f->evidence, "yamada"));
	ck_assert_int_eq(f->action, ENG_ACT_HOLD);
	ck_assert_ptr_nonnull(find(ENG_CAT_PERSONAL));
}
END_TEST

START_TEST(test_roster_to_partner_company_is_not_private_but_still_held)
{
	scan_as(NULL, "tanaka@example.lg.jp", NULL, "info@partner.co.jp",
		ROSTER("info@partner.co.jp"));
	ck_assert_ptr_null(find(ENG_CAT_PRIVATE));
	ck_assert_ptr_nonnull(find(ENG_CAT_PERSONAL));
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
}
END_TEST

START_TEST(test_attachment_to_carrier_address_is_private_recipient)
{
	scan_as("[actions]\nunencrypted-attachment = accept\n", "tanaka@example.lg.jp",
		NULL, "yamada@docomo.ne.jp", ATTACHED("yamada@docomo.ne.jp"));
	ck_assert_ptr_nonnull(find(ENG_CAT_PRIVATE));
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	/* the resolved address counts: user%gmail.com@ours goes to gmail */
}
END_TEST

START_TEST(test_plain_note_to_gmail_is_not_private_recipient)
{
	scan_as(NULL, "tanaka@example.lg.jp", NULL, "yamada@gmail.com",
		HDRS("yamada@gmail.com", "日程") "Content-Type: text/plain\r\n\r\nok\r\n");
	ck_assert_ptr_null(find(ENG_CAT_PRIVATE));
	ck_assert_int_eq(res.verdict, ENG_ACT_ACCEPT);
}
END_TEST

START_TEST(test_help_desk_group_may_accept_private_recipient)
{
	scan_as(GROUPS "[actions]\nunencrypted-attachment = accept\n",
		"welfare-b@example.lg.jp", NULL, "yamada@gmail.com",
		ATTACHED("yamada@gmail.com"));
	ck_assert_int_eq(find(ENG_CAT_PRIVATE)->action, ENG_ACT_ACCEPT);
	ck_assert_int_eq(res.verdict, ENG_ACT_ACCEPT);
}
END_TEST

static void load_fails(const char *extra, const char *expect)
{
	char *text = sg_test_conf_join(BASE, extra);
	char *path = sg_test_write(text);
	sg_buf err;
	sg_conf *conf;
	char want[512];

	sg_buf_init(&err, 8192);
	conf = sg_conf_load(path, &err);
	ck_assert_ptr_null(conf);
	snprintf(want, sizeof(want), "%s:%s", path, expect);
	ck_assert_msg(strstr(sg_buf_cstr(&err), want), "got: %s, want: %s",
		      sg_buf_cstr(&err), want);
	sg_buf_free(&err);
	unlink(path);
	free(path);
	free(text);
}

START_TEST(test_group_errors_name_file_line_group_and_key)
{
	load_fails("[group.a]\nsenders = *\nsocket = x\n", "5: [group.a] socket: not a key");
	load_fails("[group.a]\nsenders = *\npersonal-data = maybe\n",
		   "5: [group.a] personal-data: bad value");
	load_fails("[group.a]\nsenders = a[b\n", "4: [group.a] senders: \"a[b\": unclosed");
	load_fails("[group.a]\npersonal-data = hold\n", "3: [group.a] senders: required");
	load_fails("[group.a]\nsenders = *\n[group.a]\nsenders = *\n",
		   "5: [group.a] group defined twice");
	load_fails("[group.a]\nsenders = *\napprovers = k@gmail.com\n",
		   "5: [group.a] approvers: \"k@gmail.com\"");
	load_fails("[group.a]\nsenders = *\nmax_parts = 0\n",
		   "5: [group.a] max_parts: bad value \"0\"");
}
END_TEST

START_TEST(test_group_approvers_replace_the_sender_globs)
{
	char *text = sg_test_conf_join(BASE, GROUPS
		"[approvers]\nwelfare-*@example.lg.jp = kakaricho@example.lg.jp\n"
		"default = admin@example.lg.jp\n");
	char *path = sg_test_write(text);
	sg_buf err;
	sg_conf *conf;
	ntf_strv out;
	const char *cats[1] = { "personal-data" };

	sg_buf_init(&err, 8192);
	conf = sg_conf_load(path, &err);
	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	ntf_strv_init(&out);
	ntf_approvers_for(conf, "welfare-a@example.lg.jp", NULL, "welfare-a", cats, 1,
			  &out);
	ck_assert_uint_eq(out.n, 2);
	ck_assert_str_eq(out.v[0], "kacho@example.lg.jp");
	ck_assert_str_eq(out.v[1], "bucho@example.lg.jp");
	ntf_strv_free(&out);
	/* Without SMTP AUTH the group is the sender's claim: not asked. */
	ntf_approvers_for(conf, "welfare-a@example.lg.jp", NULL, NULL, cats, 1, &out);
	ck_assert_uint_eq(out.n, 1);
	ck_assert_str_eq(out.v[0], "admin@example.lg.jp");
	ntf_strv_free(&out);
	sg_conf_free(conf);
	sg_buf_free(&err);
	unlink(path);
	free(path);
	free(text);
}
END_TEST

START_TEST(test_json_names_the_group)
{
	sg_buf out;

	scan_as(GROUPS, "yamada@partner.example", NULL, "info@city.example",
		ROSTER("info@city.example"));
	sg_buf_init(&out, SG_BUF_UNLIMITED);
	eng_result_json(&res, &out);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&out), "\"group\":\"contractors\""));
	sg_buf_free(&out);
	scan_as(GROUPS, "tanaka@example.lg.jp", NULL, "info@city.example",
		ROSTER("info@city.example"));
	sg_buf_init(&out, SG_BUF_UNLIMITED);
	eng_result_json(&res, &out);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&out), "\"group\":null"));
	sg_buf_free(&out);
}
END_TEST

/* Delayed send (issue 19): [hold] delay as default and per group; only
 * outbound mail that would leave (accept, log, bcc) waits; held or
 * internal mail does not; monitor mode still reports it (the milter
 * logs it and does not apply it). */
#define DELAYS \
	"[hold]\ndelay = 5m\n" \
	"[group.fast]\nsenders = fast-*@example.lg.jp\ndelay = 0\n" \
	"[group.slow]\nsenders = slow-*@example.lg.jp\ndelay = 20s\n"
#define CLEAN(to) HDRS(to, "日程") \
	"Content-Type: text/plain; charset=UTF-8\r\n\r\nよろしくお願いします\r\n"

START_TEST(test_delay_per_group_and_default)
{
	sg_buf out;

	scan_as(DELAYS, "slow-1@example.lg.jp", NULL, "info@city.example",
		CLEAN("info@city.example"));
	ck_assert_int_eq(res.verdict, ENG_ACT_ACCEPT);
	ck_assert_int_eq(res.delay, 20);
	sg_buf_init(&out, SG_BUF_UNLIMITED);
	eng_result_json(&res, &out);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&out), "\"delay\":20,"));
	sg_buf_free(&out);
	scan_as(DELAYS, "fast-1@example.lg.jp", NULL, "info@city.example",
		CLEAN("info@city.example"));
	ck_assert_int_eq(res.delay, 0);
	scan_as(DELAYS, "tanaka@example.lg.jp", NULL, "info@city.example",
		CLEAN("info@city.example"));
	ck_assert_int_eq(res.delay, 300);
	/* internal mail never waits */
	scan_as(DELAYS, "slow-1@example.lg.jp", NULL, "kacho@example.lg.jp",
		CLEAN("kacho@example.lg.jp"));
	ck_assert_int_eq(res.delay, 0);
	/* held mail waits for an approver, not for a delay */
	scan_as(DELAYS, "slow-1@example.lg.jp", NULL, "info@city.example",
		ATTACHED("info@city.example"));
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	ck_assert_int_eq(res.delay, 0);
	/* a logged finding still leaves, after the delay */
	scan_as(DELAYS "unencrypted-attachment = log\n", "slow-1@example.lg.jp", NULL,
		"info@city.example", ATTACHED("info@city.example"));
	ck_assert_int_eq(res.verdict, ENG_ACT_LOG);
	ck_assert_int_eq(res.delay, 20);
	/* monitor: reported (the milter logs it, does not apply it) */
	scan_as("[policy]\nmode = monitor\n" DELAYS, "slow-1@example.lg.jp", NULL,
		"info@city.example", CLEAN("info@city.example"));
	ck_assert(res.monitor);
	ck_assert_int_eq(res.delay, 20);
}
END_TEST

START_TEST(test_delay_errors_name_the_group)
{
	load_fails("[group.slow]\nsenders = s-*@example.lg.jp\ndelay = soon\n",
		   "5: [group.slow] delay: bad value");
	load_fails("[group.slow]\nsenders = s-*@example.lg.jp\ndelay = 2d\n",
		   "5: [group.slow] delay: bad value");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("groups");
	TCase *tc = tcase_create("groups");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_first_matching_group_in_file_order_decides);
	tcase_add_test(tc, test_group_overrides_only_what_it_sets);
	tcase_add_test(tc, test_sender_in_no_group_gets_the_defaults);
	tcase_add_test(tc, test_forged_envelope_sender_cannot_pick_a_group_its_login_is_not_in);
	tcase_add_test(tc, test_group_matches_canonical_sender_without_extension);
	tcase_add_test(tc, test_group_limits_and_min_confidence_apply_to_its_scan);
	tcase_add_test(tc, test_roster_to_gmail_is_private_recipient);
	tcase_add_test(tc, test_roster_to_partner_company_is_not_private_but_still_held);
	tcase_add_test(tc, test_attachment_to_carrier_address_is_private_recipient);
	tcase_add_test(tc, test_plain_note_to_gmail_is_not_private_recipient);
	tcase_add_test(tc, test_help_desk_group_may_accept_private_recipient);
	tcase_add_test(tc, test_group_errors_name_file_line_group_and_key);
	tcase_add_test(tc, test_group_approvers_replace_the_sender_globs);
	tcase_add_test(tc, test_json_names_the_group);
	tcase_add_test(tc, test_delay_per_group_and_default);
	tcase_add_test(tc, test_delay_errors_name_the_group);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	eng_result_free(&res);
	return failed ? 1 : 0;
}
