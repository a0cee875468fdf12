/*
 * NAME
 *	test_hdr - unit tests for eng_hdr (RFC 2047 / RFC 2231 decoding)
 * DESCRIPTION
 *	Encoded test vectors are the real bytes Japanese clients send,
 *	computed with Python's codecs (iso-2022-jp, cp932, utf-8) and
 *	base64; the expected strings are exact.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/eng_charset.h"
#include "engine/eng_hdr.h"
#include "util/sg_buf.h"

/* ---- helpers ------------------------------------------------------ */

static void expect_decode(const char *raw, size_t len, const char *want,
			  int line)
{
	sg_buf out;
	int rc;

	sg_buf_init(&out, SG_BUF_UNLIMITED);
	rc = eng_hdr_decode(raw, len, &out);
	ck_assert_msg(rc == 0, "line %d: rc %d", line, rc);
	ck_assert_msg(strcmp(sg_buf_cstr(&out), want) == 0,
		      "line %d: decode gave [%s], want [%s]", line,
		      sg_buf_cstr(&out), want);
	sg_buf_free(&out);
}

#define DEC(raw, want) expect_decode(raw, sizeof(raw) - 1, want, __LINE__)

static void expect_param(const char *raw, const char *name, const char *want,
			 int line)
{
	sg_buf out;
	int found;

	sg_buf_init(&out, SG_BUF_UNLIMITED);
	found = eng_hdr_param(raw, strlen(raw), name, &out);
	if (want == NULL) {
		ck_assert_msg(found == 0 && out.len == 0,
			      "line %d: %s should be absent, got [%s]", line,
			      name, sg_buf_cstr(&out));
	} else {
		ck_assert_msg(found == 1, "line %d: %s not found", line, name);
		ck_assert_msg(strcmp(sg_buf_cstr(&out), want) == 0,
			      "line %d: %s gave [%s], want [%s]", line, name,
			      sg_buf_cstr(&out), want);
	}
	sg_buf_free(&out);
}

#define PARAM(raw, name, want) expect_param(raw, name, want, __LINE__)

static void expect_token(const char *raw, const char *want, int line)
{
	sg_buf out;

	sg_buf_init(&out, SG_BUF_UNLIMITED);
	ck_assert_int_eq(eng_hdr_value_token(raw, strlen(raw), &out), 0);
	ck_assert_msg(strcmp(sg_buf_cstr(&out), want) == 0,
		      "line %d: token gave [%s], want [%s]", line,
		      sg_buf_cstr(&out), want);
	sg_buf_free(&out);
}

#define TOKEN(raw, want) expect_token(raw, want, __LINE__)

/* Valid UTF-8, no NUL, no control character other than tab. */
static void assert_clean(const sg_buf *b)
{
	size_t i;

	ck_assert(eng_cs_is_utf8(sg_buf_cstr(b), b->len));
	ck_assert_uint_eq(strlen(sg_buf_cstr(b)), b->len);
	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		ck_assert(c == '\t' || (c >= 0x20 && c != 0x7F));
	}
}

static unsigned long rng_state;

static unsigned char rnd(void)
{
	rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned char)(rng_state >> 33);
}

static char *random_bytes(size_t n, unsigned long seed)
{
	char *p = malloc(n);
	size_t i;

	ck_assert_ptr_nonnull(p);
	rng_state = seed;
	for (i = 0; i < n; i++)
		p[i] = (char)rnd();
	return p;
}

/* Header-like garbage: mostly the characters parsers care about. */
static char *random_syntax(size_t n, unsigned long seed)
{
	static const char alpha[] = "=?BQbq_\"\\();:,<>@*'%0123456789AF \t\r\n"
				    "abcxyz\x1b\x95\x5c\xe3\x81";
	char *p = malloc(n);
	size_t i;

	ck_assert_ptr_nonnull(p);
	rng_state = seed;
	for (i = 0; i < n; i++)
		p[i] = alpha[rnd() % (sizeof alpha - 1)];
	return p;
}

static char *repeat(const char *unit, size_t times)
{
	size_t u = strlen(unit), i;
	char *p = malloc(u * times + 1);

	ck_assert_ptr_nonnull(p);
	for (i = 0; i < times; i++)
		memcpy(p + i * u, unit, u);
	p[u * times] = '\0';
	return p;
}

/* ---- eng_hdr_decode ----------------------------------------------- */

START_TEST(test_plain_ascii_subject_is_unchanged)
{
	DEC("Hello world", "Hello world");
	DEC("", "");
	DEC("  leading and trailing  ", "  leading and trailing  ");
}
END_TEST

START_TEST(test_iso2022jp_b_subject_decodes)
{
	/* "機密" in ISO-2022-JP, as Outlook and Thunderbird write it */
	DEC("=?ISO-2022-JP?B?GyRCNSFMKRsoQg==?=", "機密");
	DEC("Re: =?ISO-2022-JP?B?GyRCN29MPiVGJTklSBsoQg==?= (1)",
	    "Re: 件名テスト (1)");
	DEC("=?iso-2022-jp?b?GyRCNSFMKRsoQg==?=", "機密");
}
END_TEST

START_TEST(test_iso2022jp_nec_extension_decodes)
{
	/* "①会議": ① is NEC row 13, which glibc's ISO-2022-JP rejects */
	DEC("=?ISO-2022-JP?B?GyRCLSEycTVEGyhC?=", "①会議");
}
END_TEST

START_TEST(test_utf8_b_and_q_decode)
{
	DEC("=?UTF-8?B?5pel5pys6Kqe?=", "日本語");
	DEC("=?utf-8?b?5pel5pys6Kqe?=", "日本語");
	DEC("=?UTF-8?Q?=E6=97=A5=E6=9C=AC_test?=", "日本 test");
	DEC("=?utf-8?q?=e6=97=a5=e6=9c=ac?=", "日本");
	DEC("=?UTF-8?Q?100=25?=", "100%");
}
END_TEST

START_TEST(test_shift_jis_declared_decodes_as_cp932)
{
	DEC("=?Shift_JIS?B?lfGNkI+R?=", "報告書");
	/* "ソフト": 0x83 0x5C, the byte that is also a backslash */
	DEC("=?SHIFT_JIS?B?g1yDdINn?=", "ソフト");
}
END_TEST

START_TEST(test_rfc2231_language_suffix_in_encoded_word)
{
	DEC("=?ISO-2022-JP*ja?B?GyRCNSFMKRsoQg==?=", "機密");
	DEC("=?UTF-8*en-us?Q?abc?=", "abc");
}
END_TEST

START_TEST(test_character_split_across_words_is_joined)
{
	/* "報告書" in UTF-8 cut after 4 bytes, in the middle of "告" */
	DEC("=?UTF-8?B?5aCx5Q==?= =?UTF-8?B?kYrmm7g=?=", "報告書");
	/* "会議資料": ISO-2022-JP cut after the escape and one character,
	 * the second word has no escape sequence of its own */
	DEC("=?ISO-2022-JP?B?GyRCMnE=?=\r\n =?ISO-2022-JP?B?NUQ7cU5BGyhC?=",
	    "会議資料");
	/* case of the charset name does not break the run */
	DEC("=?utf-8?B?5aCx5Q==?= =?UTF-8?B?kYrmm7g=?=", "報告書");
}
END_TEST

START_TEST(test_words_in_different_charsets_decode_separately)
{
	DEC("=?UTF-8?B?5pel5pys6Kqe?= =?ISO-2022-JP?B?GyRCNSFMKRsoQg==?=",
	    "日本語機密");
	DEC("=?Shift_JIS?B?lfGNkI+R?==?UTF-8?B?5pel5pys6Kqe?=",
	    "報告書日本語");
}
END_TEST

START_TEST(test_whitespace_between_encoded_words_is_dropped_only)
{
	DEC("=?UTF-8?Q?a?=  \t =?UTF-8?Q?b?=", "ab");
	DEC("=?UTF-8?Q?a?==?UTF-8?Q?b?=", "ab");
	DEC("=?UTF-8?Q?a?= x =?UTF-8?Q?b?=", "a x b");
	DEC("a =?UTF-8?B?5pel5pys6Kqe?= b", "a 日本語 b");
	DEC("=?UTF-8?Q?a_?= =?UTF-8?Q?_b?=", "a  b");
}
END_TEST

START_TEST(test_folded_header_is_unfolded)
{
	DEC("Hello\r\n world", "Hello world");
	DEC("a\n\tb", "a\tb");
	DEC("=?UTF-8?B?5pel?=\r\n\t=?UTF-8?B?5pys6Kqe?=", "日本語");
	DEC("trailing\r\n", "trailing");
	/* a bare line break that is not a fold is a control: a space */
	DEC("a\r\nb", "a  b");
}
END_TEST

START_TEST(test_words_glued_to_text_and_in_quotes_decode)
{
	DEC("foo=?UTF-8?B?5pel5pys6Kqe?=bar", "foo日本語bar");
	DEC("\"=?UTF-8?B?5pel5pys6Kqe?=\"", "\"日本語\"");
	DEC("[=?ISO-2022-JP?B?GyRCNSFMKRsoQg==?=]", "[機密]");
}
END_TEST

START_TEST(test_malformed_words_are_kept_literally)
{
	DEC("=?UTF-8?B?5pel!!?=", "=?UTF-8?B?5pel!!?=");
	DEC("=?UTF-8?B?5pel5pys6Kqe", "=?UTF-8?B?5pel5pys6Kqe");
	DEC("=?UTF-8?X?abc?=", "=?UTF-8?X?abc?=");
	DEC("=?UTF-8?B?5pel 5pys?=", "=?UTF-8?B?5pel 5pys?=");
	DEC("=??B?5pel?=", "=??B?5pel?=");
	DEC("=?UTF-8?B?A?=", "=?UTF-8?B?A?=");
	DEC("=?UTF-8?B?@@?= =?UTF-8?B?5pel5pys6Kqe?=",
	    "=?UTF-8?B?@@?= 日本語");
	DEC("a=?b", "a=?b");
	DEC("=?", "=?");
}
END_TEST

START_TEST(test_control_characters_become_spaces)
{
	DEC("a\x01" "b\x7f" "c\td", "a b c\td");
	DEC("a\0b", "a b");
	DEC("a\rb", "a b");
	/* NUL is U+FFFD from eng_charset, CR a control */
	DEC("=?UTF-8?Q?x=00y=0Dz?=", "x" "\xEF\xBF\xBD" "y z");
}
END_TEST

START_TEST(test_raw_8bit_text_is_kept_or_guessed)
{
	DEC("件名 テスト", "件名 テスト");
	/* raw CP932 "報告" */
	DEC("\x95\xf1\x8d\x90", "報告");
	/* raw ISO-2022-JP "機密", as very old clients send */
	DEC("\x1b$B5!L)\x1b(B", "機密");
	DEC("Re: \x95\xf1\x8d\x90 =?UTF-8?B?5pel5pys6Kqe?=",
	    "Re: 報告 日本語");
}
END_TEST

START_TEST(test_output_limit_cuts_at_character_boundary)
{
	static const char raw[] = "=?UTF-8?B?5pel5pys6Kqe?=";
	sg_buf out;

	sg_buf_init(&out, 5);
	ck_assert_int_eq(eng_hdr_decode(raw, sizeof raw - 1, &out), -1);
	ck_assert_str_eq(sg_buf_cstr(&out), "日");
	ck_assert(out.toobig);
	sg_buf_free(&out);
}
END_TEST

START_TEST(test_decode_survives_garbage)
{
	size_t n = 100 * 1024;
	unsigned long seed;
	sg_buf out;
	char *p;

	for (seed = 1; seed <= 4; seed++) {
		p = seed % 2 ? random_bytes(n, seed) : random_syntax(n, seed);
		sg_buf_init(&out, SG_BUF_UNLIMITED);
		ck_assert_int_eq(eng_hdr_decode(p, n, &out), 0);
		assert_clean(&out);
		sg_buf_free(&out);
		free(p);
	}
}
END_TEST

START_TEST(test_unterminated_words_stay_literal)
{
	/* many "=?" starts without any "?=": literal, and no rescanning */
	char *p = repeat("=?x?B?A", 20000);
	sg_buf out;

	sg_buf_init(&out, SG_BUF_UNLIMITED);
	ck_assert_int_eq(eng_hdr_decode(p, strlen(p), &out), 0);
	ck_assert_str_eq(sg_buf_cstr(&out), p);
	sg_buf_free(&out);
	free(p);
}
END_TEST

START_TEST(test_long_encoded_subject_decodes)
{
	char *body = repeat("5pel", 25000), *raw;
	char *want = repeat("日", 25000);
	size_t n = strlen(body) + 16;
	sg_buf out;

	raw = malloc(n + 1);
	ck_assert_ptr_nonnull(raw);
	snprintf(raw, n + 1, "=?UTF-8?B?%s?=", body);
	sg_buf_init(&out, SG_BUF_UNLIMITED);
	ck_assert_int_eq(eng_hdr_decode(raw, strlen(raw), &out), 0);
	ck_assert_str_eq(sg_buf_cstr(&out), want);
	sg_buf_free(&out);
	free(raw);
	free(body);
	free(want);
}
END_TEST

/* ---- eng_hdr_param ------------------------------------------------ */

START_TEST(test_plain_token_and_quoted_parameters)
{
	PARAM("text/plain; charset=ISO-2022-JP", "charset", "ISO-2022-JP");
	PARAM("text/plain; CharSet=\"utf-8\"", "charset", "utf-8");
	PARAM("attachment; FILENAME=\"A.TXT\"", "filename", "A.TXT");
	PARAM("attachment; filename=my file.txt", "filename", "my file.txt");
	PARAM("attachment; filename=report(1).pdf", "filename",
	      "report(1).pdf");
	PARAM("attachment; filename=\"a\\\"b\\\\c.txt\"", "filename",
	      "a\"b\\c.txt");
	PARAM("attachment; filename=\"\"", "filename", "");
}
END_TEST

START_TEST(test_name_does_not_match_filename)
{
	PARAM("attachment; filename=\"a.exe\"", "name", NULL);
	PARAM("application/octet-stream; filename=a.txt; name=b.txt", "name",
	      "b.txt");
	PARAM("application/octet-stream; filename=a.txt; name=b.txt",
	      "filename", "a.txt");
	PARAM("application/octet-stream; names=x; name2=y", "name", NULL);
	PARAM("text/plain", "charset", NULL);
	PARAM("", "name", NULL);
}
END_TEST

START_TEST(test_quotes_and_comments_do_not_split)
{
	PARAM("attachment; filename=\"a;b.txt\"; size=3", "filename",
	      "a;b.txt");
	PARAM("attachment; x=\"filename=evil.exe;\"; filename=ok.txt",
	      "filename", "ok.txt");
	PARAM("attachment (c; filename=no.exe); filename=(c) \"x.txt\" (t)",
	      "filename", "x.txt");
	PARAM("(comment) attachment ; filename = x.txt", "filename", "x.txt");
	PARAM("attachment; filename=\"unclosed", "filename", "unclosed");
}
END_TEST

START_TEST(test_folded_parameter_is_unfolded)
{
	PARAM("attachment;\r\n\tfilename=\"very long\r\n name.txt\"",
	      "filename", "very long name.txt");
}
END_TEST

START_TEST(test_rfc2231_extended_filename_decodes)
{
	PARAM("attachment; filename*=UTF-8''%E5%A0%B1%E5%91%8A.pdf",
	      "filename", "報告.pdf");
	PARAM("attachment; filename*=utf-8'ja'%e5%a0%b1%e5%91%8a.pdf",
	      "filename", "報告.pdf");
	PARAM("attachment; filename*=ISO-2022-JP'ja'%1B%24BJs9p%1B%28B.pdf",
	      "filename", "報告.pdf");
	PARAM("attachment; filename*=Shift_JIS''%95%F1%8D%90.xls",
	      "filename", "報告.xls");
	/* quoted extended value, which some clients write */
	PARAM("attachment; filename*=\"UTF-8''%E5%A0%B1.txt\"", "filename",
	      "報.txt");
	/* a stray '%' stays */
	PARAM("attachment; filename*=UTF-8''100%.txt", "filename",
	      "100%.txt");
}
END_TEST

START_TEST(test_rfc2231_missing_charset_is_guessed)
{
	PARAM("attachment; filename*=''%E5%A0%B1.txt", "filename", "報.txt");
	PARAM("attachment; filename*=%95%F1%8D%90.txt", "filename",
	      "報告.txt");
}
END_TEST

START_TEST(test_extended_form_is_preferred_to_plain)
{
	PARAM("attachment; filename=\"fallback.pdf\"; "
	      "filename*=UTF-8''%E5%A0%B1%E5%91%8A.pdf", "filename",
	      "報告.pdf");
	PARAM("attachment; filename*=UTF-8''%E5%A0%B1%E5%91%8A.pdf; "
	      "filename=\"fallback.pdf\"", "filename", "報告.pdf");
}
END_TEST

START_TEST(test_rfc2231_continuations_join_in_index_order)
{
	/* "名簿一覧.csv", segments out of order */
	PARAM("attachment; filename*1*=%E4%B8%80%E8%A6%A7.csv; "
	      "filename*0*=UTF-8''%E5%90%8D%E7%B0%BF", "filename",
	      "名簿一覧.csv");
	/* only *N* segments are percent-decoded */
	PARAM("attachment; filename*0*=UTF-8''%E5%90%8D%E7%B0%BF; "
	      "filename*1=\"-100%41.csv\"", "filename", "名簿-100%41.csv");
	/* ISO-2022-JP split inside the escape-bracketed run */
	PARAM("attachment;\r\n filename*0*=ISO-2022-JP''%1B%24BL;\r\n"
	      " filename*1*=%3EJm%1B%28B.txt", "filename", "名簿.txt");
	PARAM("attachment; filename*0=\"long\"; filename*2=\".txt\"; "
	      "filename*1=name", "filename", "longname.txt");
	/* a ten-segment name: 10 sorts after 9, not after 1 */
	PARAM("a; n*10=k; n*9=j; n*8=i; n*7=h; n*6=g; n*5=f; n*4=e; n*3=d; "
	      "n*2=c; n*1=b; n*0=a", "n", "abcdefghijk");
	/* indexes past the limit are ignored, not an overflow */
	PARAM("a; n*0=a; n*100=x; n*99999999999999999999=y", "n", "a");
}
END_TEST

START_TEST(test_outlook_encoded_word_in_quoted_name_decodes)
{
	PARAM("application/vnd.ms-excel;\r\n\tname=\"=?ISO-2022-JP?B?"
	      "GyRCO3FOQRsoQg==?=.xlsx\"", "name", "資料.xlsx");
	PARAM("attachment; filename=\"=?UTF-8?B?5aCx5Q==?= "
	      "=?UTF-8?B?kYrmm7g=?=.docx\"", "filename", "報告書.docx");
}
END_TEST

START_TEST(test_encoded_word_split_across_continuations_decodes)
{
	/* Becky!: one encoded word cut in the middle of its base64 */
	PARAM("application/octet-stream;\r\n"
	      " name*0=\"=?ISO-2022-JP?B?GyRCOEQ/TT5wSnMbKEIueGxz\";\r\n"
	      " name*1=\"eA==?=\"", "name", "個人情報.xlsx");
	/* Thunderbird: whole words per segment */
	PARAM("application/octet-stream;\r\n"
	      " name*0=\"=?UTF-8?B?6Yi05pyo?=\";\r\n"
	      " name*1=\"=?UTF-8?B?6Iqx5a2Q?=.txt\"", "name", "鈴木花子.txt");
}
END_TEST

START_TEST(test_raw_cp932_quoted_filename_is_guessed)
{
	/* "予定表.xls": both 予 and 表 end in 0x5C, unescaped */
	PARAM("attachment; filename=\"\x97\x5c\x92\xe8\x95\x5c.xls\"",
	      "filename", "予定表.xls");
	PARAM("attachment; filename=\x95\xf1\x8d\x90.txt", "filename",
	      "報告.txt");
	/* raw UTF-8 still honours an escaped quote */
	PARAM("attachment; filename=\"日本\\\"語.txt\"", "filename",
	      "日本\"語.txt");
}
END_TEST

START_TEST(test_param_survives_garbage)
{
	static const char *names[] = { "name", "filename", "charset", "" };
	size_t n = 100 * 1024, k;
	unsigned long seed;
	sg_buf out;
	char *p;

	for (seed = 11; seed <= 14; seed++) {
		p = seed % 2 ? random_bytes(n, seed) : random_syntax(n, seed);
		for (k = 0; k < 4; k++) {
			sg_buf_init(&out, SG_BUF_UNLIMITED);
			(void)eng_hdr_param(p, n, names[k], &out);
			assert_clean(&out);
			sg_buf_free(&out);
		}
		free(p);
	}
	p = repeat("(((\"", 25000);
	sg_buf_init(&out, SG_BUF_UNLIMITED);
	ck_assert_int_eq(eng_hdr_param(p, strlen(p), "name", &out), 0);
	sg_buf_free(&out);
	free(p);
	p = repeat("; name*5*=%E5%A0%B1\\", 5000);
	sg_buf_init(&out, SG_BUF_UNLIMITED);
	ck_assert_int_eq(eng_hdr_param(p, strlen(p), "name", &out), 1);
	assert_clean(&out);
	sg_buf_free(&out);
	free(p);
}
END_TEST

/* ---- eng_hdr_value_token ------------------------------------------ */

START_TEST(test_value_token_is_first_token_lower_cased)
{
	TOKEN(" Text/Plain ; charset=iso-2022-jp", "text/plain");
	TOKEN("(comment) attachment; filename=x", "attachment");
	TOKEN("(a (nested) comment)inline", "inline");
	TOKEN("\r\n\tmultipart/MIXED;\r\n boundary=\"b\"", "multipart/mixed");
	TOKEN("APPLICATION/PKCS7-MIME; smime-type=enveloped-data",
	      "application/pkcs7-mime");
	TOKEN("", "");
	TOKEN("   ; x=y", "");
	TOKEN("(unclosed attachment", "");
	TOKEN("\"quoted\"", "");
}
END_TEST

START_TEST(test_value_token_survives_garbage)
{
	size_t n = 100 * 1024;
	sg_buf out;
	char *p = random_bytes(n, 99);

	sg_buf_init(&out, SG_BUF_UNLIMITED);
	ck_assert_int_eq(eng_hdr_value_token(p, n, &out), 0);
	assert_clean(&out);
	sg_buf_free(&out);
	free(p);
}
END_TEST

static Suite *hdr_suite(void)
{
	Suite *s = suite_create("eng_hdr");
	TCase *d = tcase_create("decode");
	TCase *p = tcase_create("param");
	TCase *t = tcase_create("token");

	tcase_set_timeout(d, 60);
	tcase_set_timeout(p, 60);
	tcase_add_test(d, test_plain_ascii_subject_is_unchanged);
	tcase_add_test(d, test_iso2022jp_b_subject_decodes);
	tcase_add_test(d, test_iso2022jp_nec_extension_decodes);
	tcase_add_test(d, test_utf8_b_and_q_decode);
	tcase_add_test(d, test_shift_jis_declared_decodes_as_cp932);
	tcase_add_test(d, test_rfc2231_language_suffix_in_encoded_word);
	tcase_add_test(d, test_character_split_across_words_is_joined);
	tcase_add_test(d, test_words_in_different_charsets_decode_separately);
	tcase_add_test(d, test_whitespace_between_encoded_words_is_dropped_only);
	tcase_add_test(d, test_folded_header_is_unfolded);
	tcase_add_test(d, test_words_glued_to_text_and_in_quotes_decode);
	tcase_add_test(d, test_malformed_words_are_kept_literally);
	tcase_add_test(d, test_control_characters_become_spaces);
	tcase_add_test(d, test_raw_8bit_text_is_kept_or_guessed);
	tcase_add_test(d, test_output_limit_cuts_at_character_boundary);
	tcase_add_test(d, test_decode_survives_garbage);
	tcase_add_test(d, test_unterminated_words_stay_literal);
	tcase_add_test(d, test_long_encoded_subject_decodes);
	suite_add_tcase(s, d);

	tcase_add_test(p, test_plain_token_and_quoted_parameters);
	tcase_add_test(p, test_name_does_not_match_filename);
	tcase_add_test(p, test_quotes_and_comments_do_not_split);
	tcase_add_test(p, test_folded_parameter_is_unfolded);
	tcase_add_test(p, test_rfc2231_extended_filename_decodes);
	tcase_add_test(p, test_rfc2231_missing_charset_is_guessed);
	tcase_add_test(p, test_extended_form_is_preferred_to_plain);
	tcase_add_test(p, test_rfc2231_continuations_join_in_index_order);
	tcase_add_test(p, test_outlook_encoded_word_in_quoted_name_decodes);
	tcase_add_test(p, test_encoded_word_split_across_continuations_decodes);
	tcase_add_test(p, test_raw_cp932_quoted_filename_is_guessed);
	tcase_add_test(p, test_param_survives_garbage);
	suite_add_tcase(s, p);

	tcase_add_test(t, test_value_token_is_first_token_lower_cased);
	tcase_add_test(t, test_value_token_survives_garbage);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hdr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
