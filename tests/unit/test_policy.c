/*
 * The engine's policy: scope, exposed-recipients, classification
 * markings, scan limits and the verdict, as POLICY.md states them.
 */
#include "sg_test_eng.h"
#include "engine/eng.h"

#define BASE_CONF "[policy]\ninternal_domains = example.lg.jp\n"

static eng_result res;

/* Scans msg with a configuration of BASE_CONF plus `extra`. */
static void scan_rcpts(const char *extra, const char *msg, size_t len,
		       const char *const *rcpts, size_t nrcpts)
{
	eng_envelope env = { "tanaka@example.lg.jp", rcpts, nrcpts, NULL, NULL };
	char *text = sg_test_conf_join(BASE_CONF, extra);

	sg_test_scan(text, &env, msg, len, &res);
	free(text);
}

static void scan(const char *extra, const char *msg)
{
	scan_rcpts(extra, msg, strlen(msg), NULL, 0);
}

static const eng_finding *find(eng_category cat, const char *rule)
{
	for (size_t i = 0; i < res.nfindings; i++)
		if (res.findings[i].cat == cat &&
		    (rule == NULL || strcmp(res.findings[i].rule, rule) == 0))
			return &res.findings[i];
	return NULL;
}

#define HDRS(to, subject) \
	"From: tanaka@example.lg.jp\r\nTo: " to "\r\nSubject: " subject \
	"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"

START_TEST(test_internal_only_mail_is_accepted_whatever_it_contains)
{
	scan(NULL, HDRS("suzuki@example.lg.jp, sato@mail.example.lg.jp",
			"機密性3 名簿") "取扱注意\r\n");
	ck_assert(!res.outbound);
	ck_assert_int_eq(res.verdict, ENG_ACT_ACCEPT);
	ck_assert_uint_eq(res.nfindings, 0);
}
END_TEST

START_TEST(test_lookalike_domain_is_external)
{
	scan(NULL, HDRS("a@badexample.lg.jp", "機密性3") "x\r\n");
	ck_assert(res.outbound);
	ck_assert_int_eq(res.verdict, ENG_ACT_REJECT);
}
END_TEST

START_TEST(test_one_external_party_is_not_exposed)
{
	scan(NULL, HDRS("a@partner.co.jp, b@partner.co.jp, c@example.lg.jp",
			"打合せ") "本文\r\n");
	ck_assert(res.outbound);
	ck_assert_ptr_null(find(ENG_CAT_EXPOSED, NULL));
	ck_assert_int_eq(res.verdict, ENG_ACT_ACCEPT);
}
END_TEST

START_TEST(test_two_citizens_at_one_free_mail_domain_are_two_parties)
{
	const eng_finding *f;

	scan(NULL, HDRS("a@gmail.com, b@gmail.com", "説明会のご案内") "本文\r\n");
	f = find(ENG_CAT_EXPOSED, "visible-external-parties");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->count, 2);
	ck_assert_str_eq(f->where, "header:To");
	/* Addresses are personal data: never whole in the evidence. */
	ck_assert_ptr_null(strstr(f->evidence, "a@gmail.com"));
	ck_assert_ptr_nonnull(strstr(f->evidence, "a***@gmail.com"));
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
}
END_TEST

START_TEST(test_two_companies_in_to_and_cc_are_exposed)
{
	const char *msg = "From: tanaka@example.lg.jp\r\nTo: a@alpha.co.jp\r\n"
			  "Cc: b@beta.co.jp, boss@example.lg.jp\r\nSubject: x\r\n\r\nbody\r\n";
	const eng_finding *f;

	scan(NULL, msg);
	f = find(ENG_CAT_EXPOSED, NULL);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->where, "header:To,Cc");
	ck_assert_uint_eq(f->count, 2);
}
END_TEST

START_TEST(test_ten_addresses_of_one_party_fire_by_count)
{
	char to[2048] = "";
	char msg[4096];

	for (int i = 0; i < 10; i++) {
		char a[64];
		snprintf(a, sizeof(a), "%sstaff%d@partner.co.jp", i ? ", " : "", i);
		strcat(to, a);
	}
	snprintf(msg, sizeof(msg), "To: %s\r\nSubject: x\r\n\r\nbody\r\n", to);
	scan(NULL, msg);
	ck_assert_ptr_nonnull(find(ENG_CAT_EXPOSED, "visible-external-count"));
	ck_assert_uint_eq(find(ENG_CAT_EXPOSED, NULL)->count, 10);
	/* Nine is under the default threshold. */
	scan("[exposed_recipients]\nmax_visible_external = 11\n", msg);
	ck_assert_ptr_null(find(ENG_CAT_EXPOSED, NULL));
}
END_TEST

START_TEST(test_duplicate_addresses_count_once)
{
	scan(NULL, HDRS("A@gmail.com, a@GMAIL.com", "x") "body\r\n");
	ck_assert_ptr_null(find(ENG_CAT_EXPOSED, NULL));
}
END_TEST

START_TEST(test_bcc_recipients_are_not_exposed)
{
	scan(NULL, "From: tanaka@example.lg.jp\r\nTo: tanaka@example.lg.jp\r\n"
		   "Bcc: a@gmail.com, b@yahoo.co.jp, c@docomo.ne.jp\r\nSubject: x\r\n\r\nb\r\n");
	ck_assert(res.outbound);
	ck_assert_ptr_null(find(ENG_CAT_EXPOSED, NULL));
	ck_assert_int_eq(res.verdict, ENG_ACT_ACCEPT);
}
END_TEST

START_TEST(test_group_syntax_counts_its_members)
{
	scan(NULL, HDRS("=?UTF-8?B?6Kqs5piO5Lya5Y+C5Yqg6ICF?=: a@gmail.com, "
			"\"Sato, Hanako\" <b@yahoo.co.jp>;", "x") "b\r\n");
	ck_assert_ptr_nonnull(find(ENG_CAT_EXPOSED, NULL));
	ck_assert_uint_eq(find(ENG_CAT_EXPOSED, NULL)->count, 2);
}
END_TEST

START_TEST(test_envelope_recipients_decide_the_scope)
{
	const char *rcpt[] = { "<suzuki@example.lg.jp>" };

	/* To names outsiders, but the envelope goes only inside. */
	scan_rcpts(NULL, HDRS("a@gmail.com, b@yahoo.co.jp", "機密性3") "b\r\n",
		   strlen(HDRS("a@gmail.com, b@yahoo.co.jp", "機密性3") "b\r\n"), rcpt, 1);
	ck_assert(!res.outbound);
	ck_assert_int_eq(res.verdict, ENG_ACT_ACCEPT);
}
END_TEST

START_TEST(test_message_without_any_recipient_is_treated_as_outbound)
{
	scan(NULL, "Subject: 機密性2\r\n\r\nbody\r\n");
	ck_assert(res.outbound);
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
}
END_TEST

START_TEST(test_bcc_action_rewrites_even_when_held)
{
	scan("[actions]\nexposed-recipients = bcc\n",
	     HDRS("a@gmail.com, b@yahoo.co.jp", "x") "b\r\n");
	ck_assert_int_eq(res.verdict, ENG_ACT_BCC);
	ck_assert(res.bcc_rewrite);
	scan("[actions]\nexposed-recipients = bcc\n",
	     HDRS("a@gmail.com, b@yahoo.co.jp", "取扱注意") "b\r\n");
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	ck_assert(res.bcc_rewrite);
}
END_TEST

START_TEST(test_monitor_mode_reports_the_policy_verdict)
{
	scan("mode = monitor\n", HDRS("a@gmail.com", "機密性3") "b\r\n");
	ck_assert(res.monitor);
	ck_assert_int_eq(res.verdict, ENG_ACT_REJECT);
}
END_TEST

START_TEST(test_class3_subject_is_rejected)
{
	const eng_finding *f;

	scan(NULL, HDRS("a@partner.co.jp", "【機密性3】住民情報") "b\r\n");
	f = find(ENG_CAT_CLASSIFIED, "class-3");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->where, "header:Subject");
	ck_assert_str_eq(f->evidence, "機密性3");
	ck_assert_int_eq(res.verdict, ENG_ACT_REJECT);
}
END_TEST

START_TEST(test_full_width_class3b_in_iso2022jp_subject_is_rejected)
{
	/* "機密性３Ｂ" in ISO-2022-JP, as Outlook encodes a subject. */
	scan(NULL, "To: a@partner.co.jp\r\n"
		   "Subject: =?ISO-2022-JP?B?GyRCNSFMKUAtIzMjQhsoQg==?=\r\n\r\nb\r\n");
	ck_assert_str_eq(res.subject, "機密性3B");
	ck_assert_ptr_nonnull(find(ENG_CAT_CLASSIFIED, "class-3"));
	ck_assert_int_eq(res.verdict, ENG_ACT_REJECT);
}
END_TEST

START_TEST(test_class2_to_trusted_domain_only_is_allowed)
{
	const char *conf = "trusted_domains = pref.lgwan.jp\n";

	scan(conf, HDRS("kikaku@pref.lgwan.jp", "機密性2 資料") "b\r\n");
	ck_assert_ptr_null(find(ENG_CAT_CLASSIFIED, "class-2"));
	ck_assert_int_eq(res.verdict, ENG_ACT_ACCEPT);
	scan(conf, HDRS("kikaku@pref.lgwan.jp, x@partner.co.jp", "機密性2 資料") "b\r\n");
	ck_assert_ptr_nonnull(find(ENG_CAT_CLASSIFIED, "class-2"));
	/* Other markings still apply over a trusted line. */
	scan(conf, HDRS("kikaku@pref.lgwan.jp", "取扱注意") "b\r\n");
	ck_assert_ptr_nonnull(find(ENG_CAT_CLASSIFIED, "handle-with-care"));
}
END_TEST

START_TEST(test_words_containing_hi_are_not_markings)
{
	scan(NULL, HDRS("a@partner.co.jp", "秘密保持契約の件") "秘書課より。機密性1 の資料です。\r\n");
	ck_assert_uint_eq(res.nfindings, 0);
	ck_assert_int_eq(res.verdict, ENG_ACT_ACCEPT);
}
END_TEST

START_TEST(test_markings_in_body_and_attachment_name_are_found)
{
	const char *msg =
	    "To: a@partner.co.jp\r\nSubject: 資料\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n関係者限り\r\n"
	    "--b\r\nContent-Type: application/pdf\r\n"
	    "Content-Disposition: attachment; filename*=UTF-8''%E3%80%90%E7%A7%98%E3%80%91%E5%90%8D%E7%B0%BF.pdf\r\n"
	    "\r\n%PDF-1.4\r\n--b--\r\n";

	scan(NULL, msg);
	ck_assert_ptr_nonnull(find(ENG_CAT_CLASSIFIED, "parties-only"));
	ck_assert_str_eq(find(ENG_CAT_CLASSIFIED, "parties-only")->where, "body");
	ck_assert_ptr_nonnull(find(ENG_CAT_CLASSIFIED, "secret-mark"));
	ck_assert_str_eq(find(ENG_CAT_CLASSIFIED, "secret-mark")->where, "【秘】名簿.pdf");
	ck_assert_uint_eq(res.natts, 1);
	ck_assert_str_eq(res.atts[0].path, "2");
}
END_TEST

START_TEST(test_forwarded_message_is_an_attachment_and_is_read)
{
	const char *msg =
	    "To: a@partner.co.jp\r\nSubject: 転送\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n"
	    "--o\r\nContent-Type: text/plain\r\n\r\nsee below\r\n"
	    "--o\r\nContent-Type: message/rfc822\r\n\r\n"
	    "Subject: inner\r\nContent-Type: multipart/mixed; boundary=\"i\"\r\n\r\n"
	    "--i\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n部外秘\r\n"
	    "--i\r\nContent-Type: text/csv; name=list.csv\r\n\r\na,b\r\n--i--\r\n"
	    "--o--\r\n";

	scan(NULL, msg);
	ck_assert_uint_eq(res.natts, 2);
	ck_assert_str_eq(res.atts[0].name, "inner.eml");
	ck_assert_str_eq(res.atts[0].path, "2");
	ck_assert_str_eq(res.atts[1].path, "2.2");
	ck_assert_str_eq(res.atts[1].where, "inner.eml/list.csv");
	ck_assert_ptr_nonnull(find(ENG_CAT_CLASSIFIED, "internal-only"));
	ck_assert_str_eq(find(ENG_CAT_CLASSIFIED, "internal-only")->where, "inner.eml/body");
}
END_TEST

START_TEST(test_deep_nesting_is_a_scan_limit)
{
	char msg[16384] = "To: a@partner.co.jp\r\nSubject: x\r\n";
	int depth = 40;

	for (int i = 0; i < depth; i++) {
		char h[128];
		snprintf(h, sizeof(h), "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i);
		strcat(msg, h);
	}
	strcat(msg, "Content-Type: text/plain\r\n\r\nhello\r\n");
	for (int i = depth - 1; i >= 0; i--) {
		char h[64];
		snprintf(h, sizeof(h), "--b%d--\r\n", i);
		strcat(msg, h);
	}
	scan(NULL, msg);
	ck_assert_ptr_nonnull(find(ENG_CAT_SCANLIMIT, NULL));
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	scan("[limits]\nmax_mime_depth = 64\n", msg);
	ck_assert_ptr_null(find(ENG_CAT_SCANLIMIT, "mime-depth"));
}
END_TEST

START_TEST(test_too_many_parts_is_a_scan_limit)
{
	static char msg[65536];
	size_t n = 0;

	n += (size_t)snprintf(msg, sizeof(msg), "To: a@partner.co.jp\r\n"
			      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n,
				      "--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i);
	snprintf(msg + n, sizeof(msg) - n, "--b--\r\n");
	scan("[limits]\nmax_parts = 10\n", msg);
	ck_assert_ptr_nonnull(find(ENG_CAT_SCANLIMIT, "mime-parts"));
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
}
END_TEST

START_TEST(test_oversized_message_is_held_but_headers_still_decide_scope)
{
	static char msg[8192];

	memset(msg, 'x', sizeof(msg) - 1);
	memcpy(msg, "To: a@partner.co.jp\r\nSubject: big\r\n\r\n", 37);
	scan("[limits]\nmax_message_size = 1K\n", msg);
	ck_assert_ptr_nonnull(find(ENG_CAT_SCANLIMIT, "message-size"));
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	memcpy(msg, "To: a@example.lg.jp\r\nSubject: big\r\n\r\n", 37);
	scan("[limits]\nmax_message_size = 1K\n", msg);
	ck_assert(!res.outbound);
	ck_assert_int_eq(res.verdict, ENG_ACT_ACCEPT);
}
END_TEST

START_TEST(test_unparseable_input_is_held_not_accepted)
{
	scan_rcpts(NULL, "", 0, NULL, 0);
	ck_assert(res.outbound);
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	ck_assert_ptr_nonnull(find(ENG_CAT_SCANLIMIT, NULL));
}
END_TEST

START_TEST(test_verdict_is_the_strongest_action)
{
	scan("[actions]\nclassified = log\n", HDRS("a@partner.co.jp", "取扱注意") "b\r\n");
	ck_assert_int_eq(res.verdict, ENG_ACT_LOG);
	scan("[actions]\nclassified = log\n",
	     HDRS("a@partner.co.jp, b@other.co.jp", "取扱注意") "b\r\n");
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	scan("[actions]\nclassified-3 = hold\n", HDRS("a@partner.co.jp", "機密性3") "b\r\n");
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
}
END_TEST

START_TEST(test_json_output_has_the_contract_keys)
{
	sg_buf out;

	scan(NULL, HDRS("a@gmail.com, b@gmail.com", "\"quote\" \\ 機密性2") "b\r\n");
	sg_buf_init(&out, SG_BUF_UNLIMITED);
	eng_result_json(&res, &out);
	ck_assert_ptr_nonnull(strstr(out.data, "\"verdict\":\"hold\""));
	ck_assert_ptr_nonnull(strstr(out.data, "\"mode\":\"enforce\""));
	ck_assert_ptr_nonnull(strstr(out.data, "\"category\":\"exposed-recipients\""));
	ck_assert_ptr_nonnull(strstr(out.data, "\"count\":2,"));
	ck_assert_ptr_nonnull(strstr(out.data, "\\\"quote\\\" \\\\ 機密性2"));
	ck_assert_ptr_nonnull(strstr(out.data, "\"attachments\":[]"));
	sg_buf_free(&out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("engine");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_internal_only_mail_is_accepted_whatever_it_contains);
	tcase_add_test(tc, test_lookalike_domain_is_external);
	tcase_add_test(tc, test_one_external_party_is_not_exposed);
	tcase_add_test(tc, test_two_citizens_at_one_free_mail_domain_are_two_parties);
	tcase_add_test(tc, test_two_companies_in_to_and_cc_are_exposed);
	tcase_add_test(tc, test_ten_addresses_of_one_party_fire_by_count);
	tcase_add_test(tc, test_duplicate_addresses_count_once);
	tcase_add_test(tc, test_bcc_recipients_are_not_exposed);
	tcase_add_test(tc, test_group_syntax_counts_its_members);
	tcase_add_test(tc, test_envelope_recipients_decide_the_scope);
	tcase_add_test(tc, test_message_without_any_recipient_is_treated_as_outbound);
	tcase_add_test(tc, test_bcc_action_rewrites_even_when_held);
	tcase_add_test(tc, test_monitor_mode_reports_the_policy_verdict);
	tcase_add_test(tc, test_class3_subject_is_rejected);
	tcase_add_test(tc, test_full_width_class3b_in_iso2022jp_subject_is_rejected);
	tcase_add_test(tc, test_class2_to_trusted_domain_only_is_allowed);
	tcase_add_test(tc, test_words_containing_hi_are_not_markings);
	tcase_add_test(tc, test_markings_in_body_and_attachment_name_are_found);
	tcase_add_test(tc, test_forwarded_message_is_an_attachment_and_is_read);
	tcase_add_test(tc, test_deep_nesting_is_a_scan_limit);
	tcase_add_test(tc, test_too_many_parts_is_a_scan_limit);
	tcase_add_test(tc, test_oversized_message_is_held_but_headers_still_decide_scope);
	tcase_add_test(tc, test_unparseable_input_is_held_not_accepted);
	tcase_add_test(tc, test_verdict_is_the_strongest_action);
	tcase_add_test(tc, test_json_output_has_the_contract_keys);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	eng_result_free(&res);
	return failed ? 1 : 0;
}
