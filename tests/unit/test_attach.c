/*
 * The attachment rules of POLICY.md, driven through the engine with
 * the fixtures of tests/fixtures/attach/ (make-attach-fixtures.sh):
 * unencrypted-attachment, dangerous-attachment, archive scan limits,
 * and type sniffing by content.
 */
#include "sg_test.h"
#include "engine/eng.h"
#include "engine/eng_sniff.h"

#define BASE_CONF "[policy]\ninternal_domains = example.lg.jp\n"

static eng_result res;

static char *slurp(const char *rel, size_t *len)
{
	char path[4096];
	FILE *fp;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/fixtures/attach/%s", sg_test_srcdir(), rel);
	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "%s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void scan_conf(const char *extra, const char *fixture)
{
	char body[4096];
	char *text, *path, *msg;
	size_t len;
	sg_buf err;
	sg_conf *conf;
	eng_engine *eng;
	eng_envelope env = { "tanaka@example.lg.jp", NULL, 0, NULL };

	snprintf(body, sizeof(body), "%s%s", BASE_CONF, extra ? extra : "");
	text = sg_test_conf_text(body);
	path = sg_test_write(text);
	sg_buf_init(&err, 8192);
	conf = sg_conf_load(path, &err);
	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	eng = eng_engine_new(conf, &err);
	ck_assert_msg(eng != NULL, "%s", sg_buf_cstr(&err));
	msg = slurp(fixture, &len);
	eng_result_free(&res);
	ck_assert_int_eq(eng_scan(eng, &env, msg, len, &res), 0);
	free(msg);
	eng_engine_free(eng);
	sg_conf_free(conf);
	sg_buf_free(&err);
	unlink(path);
	free(path);
	free(text);
}

static void scan(const char *fixture)
{
	scan_conf(NULL, fixture);
}

static size_t count(eng_category cat, const char *rule)
{
	size_t n = 0;

	for (size_t i = 0; i < res.nfindings; i++)
		if (res.findings[i].cat == cat &&
		    (rule == NULL || strcmp(res.findings[i].rule, rule) == 0))
			n++;
	return n;
}

static const eng_finding *find(eng_category cat, const char *rule)
{
	for (size_t i = 0; i < res.nfindings; i++)
		if (res.findings[i].cat == cat &&
		    (rule == NULL || strcmp(res.findings[i].rule, rule) == 0))
			return &res.findings[i];
	return NULL;
}

START_TEST(test_encrypted_zip_to_external_address_is_accepted)
{
	scan("zip_enc.eml");
	ck_assert(res.outbound);
	ck_assert_int_eq(res.verdict, ENG_ACT_ACCEPT);
	ck_assert_uint_eq(res.nfindings, 0);
	ck_assert_uint_eq(res.natts, 1);
	ck_assert(res.atts[0].encrypted);
}
END_TEST

START_TEST(test_aes_zip_is_encrypted)
{
	scan("zip_aes.eml");
	ck_assert_int_eq(res.verdict, ENG_ACT_ACCEPT);
}
END_TEST

START_TEST(test_plain_zip_is_unencrypted)
{
	scan("zip_plain.eml");
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	ck_assert_str_eq(find(ENG_CAT_UNENCRYPTED, NULL)->where, "名簿.zip");
}
END_TEST

START_TEST(test_plain_entry_in_zip_is_unencrypted_and_named)
{
	scan("zip_partial.eml");
	ck_assert_uint_eq(count(ENG_CAT_UNENCRYPTED, NULL), 1);
	ck_assert_str_eq(find(ENG_CAT_UNENCRYPTED, "unencrypted-entry")->where,
			 "資料一式.zip/説明資料.txt");
}
END_TEST

START_TEST(test_plain_zip_of_encrypted_archives_is_encrypted)
{
	scan("zip_recursive_enc.eml");
	ck_assert_uint_eq(res.nfindings, 0);
}
END_TEST

START_TEST(test_7z_with_encrypted_headers_is_encrypted_names_hidden)
{
	scan("7z_enc_headers.eml");
	ck_assert_uint_eq(res.nfindings, 0);
	ck_assert(res.atts[0].encrypted);
	ck_assert_str_eq(res.atts[0].note, "names hidden");
}
END_TEST

START_TEST(test_cp932_entry_names_decode)
{
	scan("zip_cp932_names.eml");
	ck_assert_uint_eq(res.atts[0].nentries, 1);
	ck_assert_str_eq(res.atts[0].entries[0].name, "申請者一覧.csv");
}
END_TEST

START_TEST(test_exe_in_nested_zip_names_the_chain)
{
	const eng_finding *f;

	scan("zip_nested_exe.eml");
	f = find(ENG_CAT_DANGEROUS, "executable");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->where, "申請書.zip/内部/tool.exe");
}
END_TEST

START_TEST(test_entry_names_of_encrypted_zip_are_checked)
{
	scan("zip_enc_exe_names.eml");
	ck_assert_uint_eq(count(ENG_CAT_UNENCRYPTED, NULL), 0);
	ck_assert_str_eq(find(ENG_CAT_DANGEROUS, "dangerous-extension")->where,
			 "資料.zip/内部/tool.exe");
}
END_TEST

START_TEST(test_double_extension_and_bidi_names_are_dangerous)
{
	scan("zip_deceptive_names.eml");
	ck_assert_ptr_nonnull(find(ENG_CAT_DANGEROUS, "double-extension"));
	ck_assert_str_eq(find(ENG_CAT_DANGEROUS, "bidi-name")->evidence, "U+202E");
}
END_TEST

START_TEST(test_owner_password_only_pdf_is_unencrypted)
{
	scan("pdf_owner_only.eml");
	ck_assert_uint_eq(count(ENG_CAT_UNENCRYPTED, NULL), 1);
	ck_assert(!res.atts[0].encrypted);
}
END_TEST

START_TEST(test_user_password_pdf_with_xref_stream_is_encrypted)
{
	scan("pdf_user_password_xrefstream.eml");
	ck_assert_uint_eq(res.nfindings, 0);
}
END_TEST

START_TEST(test_pdf_whose_text_says_encrypt_is_unencrypted)
{
	scan("pdf_plain_text_says_encrypt.eml");
	ck_assert_uint_eq(count(ENG_CAT_UNENCRYPTED, NULL), 1);
}
END_TEST

START_TEST(test_velvetsweatshop_xls_is_unencrypted)
{
	scan("xls_velvetsweatshop.eml");
	ck_assert_uint_eq(count(ENG_CAT_UNENCRYPTED, NULL), 1);
	ck_assert(!res.atts[0].encrypted);
}
END_TEST

START_TEST(test_password_xls_is_encrypted)
{
	scan("xls_password.eml");
	ck_assert_uint_eq(res.nfindings, 0);
}
END_TEST

START_TEST(test_macro_docm_named_docx_is_dangerous)
{
	scan("docm_macro_named_docx.eml");
	ck_assert_ptr_nonnull(find(ENG_CAT_DANGEROUS, "macro"));
}
END_TEST

START_TEST(test_ole_vba_storage_is_dangerous)
{
	scan("doc_vba_storage.eml");
	ck_assert_ptr_nonnull(find(ENG_CAT_DANGEROUS, "macro"));
}
END_TEST

START_TEST(test_pe_named_pdf_is_dangerous)
{
	scan("exe_named_pdf.eml");
	ck_assert_ptr_nonnull(find(ENG_CAT_DANGEROUS, "executable"));
}
END_TEST

START_TEST(test_inline_cid_logo_is_exempt)
{
	scan("inline_logo_cid.eml");
	ck_assert_uint_eq(res.nfindings, 0);
}
END_TEST

START_TEST(test_inline_cid_logo_that_is_an_exe_is_not_exempt)
{
	scan("inline_logo_cid_is_exe.eml");
	ck_assert_ptr_nonnull(find(ENG_CAT_DANGEROUS, NULL));
	ck_assert_ptr_nonnull(find(ENG_CAT_UNENCRYPTED, NULL));
}
END_TEST

START_TEST(test_calendar_is_exempt_only_when_it_is_one)
{
	scan("calendar_invite.eml");
	ck_assert_uint_eq(res.nfindings, 0);
	scan("calendar_is_zip.eml");
	ck_assert_uint_eq(count(ENG_CAT_UNENCRYPTED, NULL), 1);
}
END_TEST

START_TEST(test_trusted_recipients_lift_only_the_unencrypted_rule)
{
	scan_conf("trusted_domains = sakura-sys.example\n", "zip_plain.eml");
	ck_assert_uint_eq(res.nfindings, 0);
	scan_conf("trusted_domains = sakura-sys.example\n", "zip_nested_exe.eml");
	ck_assert_uint_eq(count(ENG_CAT_UNENCRYPTED, NULL), 0);
	ck_assert_ptr_nonnull(find(ENG_CAT_DANGEROUS, "executable"));
}
END_TEST

START_TEST(test_42_zip_style_bomb_is_a_scan_limit)
{
	scan("bomb_42.eml");
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	ck_assert_ptr_nonnull(find(ENG_CAT_SCANLIMIT, "archive-ratio"));
	ck_assert_uint_le(count(ENG_CAT_SCANLIMIT, NULL), 3);
}
END_TEST

START_TEST(test_10000_entry_archive_is_a_scan_limit)
{
	scan("bomb_10000_entries.eml");
	ck_assert_ptr_nonnull(find(ENG_CAT_SCANLIMIT, "archive-entries"));
	ck_assert_uint_lt(res.atts[0].nentries, 5001);
}
END_TEST

START_TEST(test_deep_nesting_is_a_scan_limit)
{
	scan_conf("[limits]\nmax_archive_depth = 3\n", "zip_nested_twice.eml");
	ck_assert_ptr_null(find(ENG_CAT_SCANLIMIT, NULL));
	scan("bomb_deep.eml");
	ck_assert_ptr_nonnull(find(ENG_CAT_SCANLIMIT, "archive-depth"));
}
END_TEST

START_TEST(test_sniff_by_content)
{
	static const unsigned char lnk[] = "L\0\0\0\x01\x14\x02\0\0\0\0\0\xc0\0\0\0\0\0\0\x46";
	static const unsigned char macho[] = "\xca\xfe\xba\xbe\0\0\0\x02";
	static const unsigned char java[] = "\xca\xfe\xba\xbe\0\0\0\x34";
	unsigned char iso[0x9000] = { 0 };

	ck_assert_int_eq(eng_sniff(lnk, sizeof(lnk)), ENG_FT_LNK);
	ck_assert_int_eq(eng_sniff(macho, 8), ENG_FT_MACHO);
	ck_assert_int_ne(eng_sniff(java, 8), ENG_FT_MACHO);
	memcpy(iso + 0x8001, "CD001", 5);
	ck_assert_int_eq(eng_sniff(iso, sizeof(iso)), ENG_FT_ISO9660);
	memcpy(iso + 0x8001, "BEA01", 5);
	ck_assert_int_eq(eng_sniff(iso, sizeof(iso)), ENG_FT_UDF);
	ck_assert_int_eq(eng_sniff((const unsigned char *)"MZ plain text", 13), ENG_FT_TEXT);
	ck_assert_int_eq(eng_sniff((const unsigned char *)"-----BEGIN PGP MESSAGE-----\n", 28),
			 ENG_FT_PGP);
}
END_TEST

static Suite *attach_suite(void)
{
	Suite *s = suite_create("attach");
	TCase *tc = tcase_create("rules");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_encrypted_zip_to_external_address_is_accepted);
	tcase_add_test(tc, test_aes_zip_is_encrypted);
	tcase_add_test(tc, test_plain_zip_is_unencrypted);
	tcase_add_test(tc, test_plain_entry_in_zip_is_unencrypted_and_named);
	tcase_add_test(tc, test_plain_zip_of_encrypted_archives_is_encrypted);
	tcase_add_test(tc, test_7z_with_encrypted_headers_is_encrypted_names_hidden);
	tcase_add_test(tc, test_cp932_entry_names_decode);
	tcase_add_test(tc, test_exe_in_nested_zip_names_the_chain);
	tcase_add_test(tc, test_entry_names_of_encrypted_zip_are_checked);
	tcase_add_test(tc, test_double_extension_and_bidi_names_are_dangerous);
	tcase_add_test(tc, test_owner_password_only_pdf_is_unencrypted);
	tcase_add_test(tc, test_user_password_pdf_with_xref_stream_is_encrypted);
	tcase_add_test(tc, test_pdf_whose_text_says_encrypt_is_unencrypted);
	tcase_add_test(tc, test_velvetsweatshop_xls_is_unencrypted);
	tcase_add_test(tc, test_password_xls_is_encrypted);
	tcase_add_test(tc, test_macro_docm_named_docx_is_dangerous);
	tcase_add_test(tc, test_ole_vba_storage_is_dangerous);
	tcase_add_test(tc, test_pe_named_pdf_is_dangerous);
	tcase_add_test(tc, test_inline_cid_logo_is_exempt);
	tcase_add_test(tc, test_inline_cid_logo_that_is_an_exe_is_not_exempt);
	tcase_add_test(tc, test_calendar_is_exempt_only_when_it_is_one);
	tcase_add_test(tc, test_trusted_recipients_lift_only_the_unencrypted_rule);
	tcase_add_test(tc, test_42_zip_style_bomb_is_a_scan_limit);
	tcase_add_test(tc, test_10000_entry_archive_is_a_scan_limit);
	tcase_add_test(tc, test_deep_nesting_is_a_scan_limit);
	tcase_add_test(tc, test_sniff_by_content);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(attach_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	eng_result_free(&res);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
