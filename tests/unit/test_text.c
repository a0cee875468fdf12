/*
 * NAME
 *	test_text - unit tests for eng_text (NFKC normal form, HTML to text)
 * DESCRIPTION
 *	Each test is a sentence of POLICY.md ("full-width digits match like
 *	ASCII ones; dash variants count as '-'") or of eng_text.h. Outputs
 *	are compared byte for byte.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "engine/eng_charset.h"
#include "engine/eng_text.h"
#include "util/sg_buf.h"

#define REPL "\xef\xbf\xbd"

static int rc;

static char *norm(const char *in, size_t len)
{
	sg_buf b;

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	rc = eng_text_normalize(in, len, &b);
	ck_assert(eng_cs_is_utf8(sg_buf_cstr(&b), b.len));
	return sg_buf_steal(&b);
}

static char *html(const char *in, size_t len)
{
	sg_buf b;

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	rc = eng_html_to_text(in, len, &b);
	return sg_buf_steal(&b);
}

#define EXPECT_FN(fn, lit, want)                       \
	do {                                           \
		char *got_ = fn((lit), sizeof(lit) - 1); \
		ck_assert_str_eq(got_, (want));        \
		ck_assert_int_eq(rc, 0);               \
		free(got_);                            \
	} while (0)

#define NORM(lit, want) EXPECT_FN(norm, lit, want)
#define HTML(lit, want) EXPECT_FN(html, lit, want)

/* ---------------------------------------------------------- normalize */

START_TEST(test_fullwidth_digits_become_ascii)
{
	NORM("１２３４－５６７８", "1234-5678");
}
END_TEST

START_TEST(test_fullwidth_letters_and_space_become_ascii)
{
	NORM("ＡＢＣ　ｘｙｚ＠ｅｘａｍｐｌｅ．ｊｐ", "ABC xyz@example.jp");
}
END_TEST

START_TEST(test_halfwidth_katakana_becomes_fullwidth)
{
	NORM("ﾃﾞｰﾀ ｺﾍﾞﾂ", "データ コベツ");
}
END_TEST

START_TEST(test_parenthesised_kabu_becomes_three_characters)
{
	NORM("㈱サンプル①", "(株)サンプル1");
}
END_TEST

START_TEST(test_circled_secret_becomes_a_bracketed_stamp)
{
	/* ㊙ is a stamp; NFKC alone would make it a bare 秘 (a word's kanji) */
	NORM("㊙資料", "(秘)資料");
	NORM("㊙\xef\xb8\x8f 人事", "(秘) 人事");	/* U+FE0F, emoji style */
	NORM("㊗", "祝");			/* the other circled ideographs: NFKC */
}
END_TEST

START_TEST(test_variation_selectors_are_dropped)
{
	NORM("葛\xf3\xa0\x84\x80飾区", "葛飾区");	/* U+E0100, an IVS */
	NORM("1\xef\xb8\x8e" "2", "12");		/* U+FE0E between digits */
}
END_TEST

START_TEST(test_combining_mark_composes)
{
	NORM("e\xcc\x81", "\xc3\xa9");
	NORM("か\xe3\x82\x99", "が");
}
END_TEST

START_TEST(test_dash_variants_fold_to_hyphen_minus)
{
	/* U+2010 U+2011 U+2012 U+2013 U+2014 U+2015 U+2212 U+FF0D */
	NORM("1‐2‑3‒4–5—6―7−8－9", "1-2-3-4-5-6-7-8-9");
	NORM("a—b", "a-b");	/* these fold everywhere, not only in numbers */
}
END_TEST

START_TEST(test_long_vowel_mark_between_digits_is_a_dash)
{
	NORM("1234ー5678ー9012", "1234-5678-9012");
	NORM("０３ｰ１２３４ｰ５６７８", "03-1234-5678");	/* U+FF70 */
}
END_TEST

START_TEST(test_long_vowel_mark_in_words_stays)
{
	NORM("データー", "データー");
	NORM("1ーa", "1ーa");
	NORM("aー1", "aー1");
	NORM("1ーー2", "1ーー2");
	NORM("12ー", "12ー");
	NORM("ー", "ー");
}
END_TEST

START_TEST(test_crlf_and_lone_cr_become_lf)
{
	NORM("a\r\nb\rc\nd\r\r\ne\r", "a\nb\nc\nd\n\ne\n");
}
END_TEST

START_TEST(test_invalid_utf8_and_nul_become_replacement)
{
	char *got = norm("a\xff" "b\0c\xe3\x81", 7);

	ck_assert_str_eq(got, "a" REPL "b" REPL "c" REPL REPL);
	ck_assert_int_eq(rc, 0);
	free(got);
}
END_TEST

START_TEST(test_normalize_empty_input)
{
	NORM("", "");
}
END_TEST

START_TEST(test_normalize_limit_returns_minus_one_with_prefix)
{
	sg_buf b;

	sg_buf_init(&b, 5);
	ck_assert_int_eq(eng_text_normalize("１２３４５６", 18, &b), -1);
	ck_assert_str_eq(sg_buf_cstr(&b), "12345");
	ck_assert(b.toobig);
	sg_buf_free(&b);

	sg_buf_init(&b, 4);
	ck_assert_int_eq(eng_text_normalize("個人番号", 12, &b), -1);
	ck_assert_str_eq(sg_buf_cstr(&b), "個");
	sg_buf_free(&b);
}
END_TEST

START_TEST(test_huge_input_is_normalized_in_chunks_across_lines)
{
	const char *line = "１２３４ー５６７８\r\n";	/* 29 bytes */
	size_t n = 20000, ll = strlen(line), i;
	char *in = malloc(n * ll), *got;

	for (i = 0; i < n; i++)
		memcpy(in + i * ll, line, ll);
	got = norm(in, n * ll);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(strlen(got), n * 10);
	for (i = 0; i < n; i++)
		ck_assert(memcmp(got + i * 10, "1234-5678\n", 10) == 0);
	free(in);
	free(got);
}
END_TEST

START_TEST(test_dash_fold_survives_a_chunk_cut_in_a_long_line)
{
	/* 100000 x "1ー" then "2" on one line: cuts fall before a digit,
	 * right after a pending ー */
	size_t n = 100000, i;
	char *in = malloc(n * 4 + 1), *got;

	for (i = 0; i < n; i++)
		memcpy(in + i * 4, "1ー", 4);
	in[n * 4] = '2';
	got = norm(in, n * 4 + 1);
	ck_assert_uint_eq(strlen(got), n * 2 + 1);
	for (i = 0; i < n; i++)
		ck_assert(memcmp(got + i * 2, "1-", 2) == 0);
	ck_assert_int_eq(got[n * 2], '2');
	free(in);
	free(got);
}
END_TEST

START_TEST(test_long_run_of_combining_marks_stays_bounded)
{
	/* zalgo: 'a' and 200000 combining acute accents, no line break */
	size_t n = 200000, i;
	char *in = malloc(1 + n * 2), *got;

	in[0] = 'a';
	for (i = 0; i < n; i++)
		memcpy(in + 1 + i * 2, "\xcc\x81", 2);
	got = norm(in, 1 + n * 2);
	ck_assert_int_eq(rc, 0);
	ck_assert(strncmp(got, "\xc3\xa1", 2) == 0);	/* á */
	free(in);
	free(got);
}
END_TEST

/* --------------------------------------------------------------- HTML */

START_TEST(test_html_paragraphs_become_lines)
{
	HTML("<p>Hello</p><p>World</p>", "Hello\nWorld\n");
	HTML("<div><b><i>太字</i></b>と<u>下線</u></div>", "太字と下線\n");
}
END_TEST

START_TEST(test_html_br_always_breaks)
{
	HTML("a<br>b<br/>c<BR />d<br><br>e", "a\nb\nc\nd\n\ne");
}
END_TEST

START_TEST(test_html_table_cells_become_tabs_and_rows_lines)
{
	HTML("<table><tr><th>氏名</th><th>住所</th></tr>"
	     "<tr><td>山田</td><td>東京</td></tr></table>",
	     "氏名\t住所\n山田\t東京\n");
}
END_TEST

START_TEST(test_html_script_style_head_content_is_dropped)
{
	HTML("<html><head><title>件名</title><style>p{color:red}</style>"
	     "<meta charset=\"utf-8\"></head><body>本文</body></html>",
	     "本文\n");
	HTML("a<script type=\"text/javascript\">var s = '<p>1234</p>';"
	     "</SCRIPT >b", "ab");
	HTML("a<STYLE>b{}</style>c", "ac");
}
END_TEST

START_TEST(test_html_comments_doctype_and_pi_are_dropped)
{
	HTML("<!DOCTYPE html><?xml version=\"1.0\"?>a<!-- 秘密 <b>x</b> -->b",
	     "ab");
}
END_TEST

START_TEST(test_html_unclosed_comment_is_read_as_text)
{
	HTML("a<!-- 1234-5678", "a<!-- 1234-5678");
}
END_TEST

START_TEST(test_html_unclosed_script_is_read_as_text)
{
	HTML("a<script>1234", "a1234");
}
END_TEST

START_TEST(test_html_named_entities_decode)
{
	HTML("&lt;&gt;&amp;&quot;&apos;x&nbsp;y&copy;&reg;&yen;&middot;"
	     "&hellip;&mdash;&ndash;&laquo;&raquo;",
	     "<>&\"'x y©®¥·…—–«»");
	HTML("&ensp;&emsp;&thinsp;&zwnj;&zwj;&trade;&times;&minus;",
	     "\xe2\x80\x82\xe2\x80\x83\xe2\x80\x89\xe2\x80\x8c\xe2\x80\x8d"
	     "™×−");
}
END_TEST

START_TEST(test_html_legacy_entities_without_semicolon_decode)
{
	HTML("a&amp b&lt;c&nbsp d", "a& b<c  d");
}
END_TEST

START_TEST(test_html_unknown_entity_stays_literal)
{
	HTML("&unknown; &copy &ampx; & &; &#; &#x;",
	     "&unknown; &copy &ampx; & &; &#; &#x;");
}
END_TEST

START_TEST(test_html_numeric_references_decode)
{
	HTML("&#26666;&#x5F0F;&#X4F1A;&#31038", "株式会社");
	HTML("&#150;&#x80;", "–€");	/* windows-1252, as browsers do */
}
END_TEST

START_TEST(test_html_invalid_numeric_references_are_replacement)
{
	HTML("&#0;&#xD800;&#x110000;&#99999999999999999999;",
	     REPL REPL REPL REPL);
}
END_TEST

START_TEST(test_html_whitespace_collapses_like_a_browser)
{
	HTML("  a \n\t b  <p>  c  </p>  d  ", "a b\nc\nd");
}
END_TEST

/* A multi-byte character right after collapsed whitespace is kept whole
 * (it once came out as U+00E6 plus stray continuation bytes). */
START_TEST(test_html_whitespace_before_multibyte_text)
{
	HTML("<p>x 機密性2</p><p>生年月日 \n 昭和50年</p>", "x 機密性2\n生年月日 昭和50年\n");
}
END_TEST

START_TEST(test_html_pre_keeps_whitespace)
{
	HTML("<pre>a  b\n c</pre>d", "a  b\n c\nd");
}
END_TEST

START_TEST(test_html_gt_inside_quoted_attribute_does_not_end_tag)
{
	HTML("<a title=\"x>y\" href='>'>link</a> <img alt = \"a>b\">z",
	     "link z");
}
END_TEST

START_TEST(test_html_unclosed_tag_at_end_is_read_as_text)
{
	HTML("text <a href=", "text <a href=");
	HTML("x<b", "x<b");
}
END_TEST

START_TEST(test_html_stray_less_than_is_text)
{
	HTML("1 < 2 and 3<4 <= 5", "1 < 2 and 3<4 <= 5");
}
END_TEST

START_TEST(test_html_unclosed_quote_ends_tag_at_first_gt)
{
	HTML("<a title=\"oops>text", "text");
}
END_TEST

START_TEST(test_html_limit_returns_minus_one_with_prefix)
{
	sg_buf b;

	sg_buf_init(&b, 3);
	ck_assert_int_eq(eng_html_to_text("<p>abcdef</p>", 13, &b), -1);
	ck_assert_str_eq(sg_buf_cstr(&b), "abc");
	sg_buf_free(&b);
}
END_TEST

START_TEST(test_html_many_unclosed_constructs_stay_linear)
{
	/* 100000 "<script>" and "<!--" without ends: must not be quadratic */
	size_t n = 100000, i;
	char *in = malloc(n * 12), *got;

	for (i = 0; i < n; i++)
		memcpy(in + i * 12, "<script><!--", 12);
	got = html(in, n * 12);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(strlen(got), n * 4);	/* every "<!--" as text */
	free(in);
	free(got);
}
END_TEST

START_TEST(test_html_appends_after_existing_content)
{
	sg_buf b;

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	sg_buf_puts(&b, "x\n");
	ck_assert_int_eq(eng_html_to_text("<p>a</p>", 8, &b), 0);
	ck_assert_str_eq(sg_buf_cstr(&b), "x\na\n");
	sg_buf_free(&b);
}
END_TEST

static Suite *text_suite(void)
{
	Suite *s = suite_create("eng_text");
	TCase *nf = tcase_create("normalize");
	TCase *h = tcase_create("html");

	tcase_set_timeout(nf, 30);
	tcase_add_test(nf, test_fullwidth_digits_become_ascii);
	tcase_add_test(nf, test_fullwidth_letters_and_space_become_ascii);
	tcase_add_test(nf, test_halfwidth_katakana_becomes_fullwidth);
	tcase_add_test(nf, test_parenthesised_kabu_becomes_three_characters);
	tcase_add_test(nf, test_circled_secret_becomes_a_bracketed_stamp);
	tcase_add_test(nf, test_variation_selectors_are_dropped);
	tcase_add_test(nf, test_combining_mark_composes);
	tcase_add_test(nf, test_dash_variants_fold_to_hyphen_minus);
	tcase_add_test(nf, test_long_vowel_mark_between_digits_is_a_dash);
	tcase_add_test(nf, test_long_vowel_mark_in_words_stays);
	tcase_add_test(nf, test_crlf_and_lone_cr_become_lf);
	tcase_add_test(nf, test_invalid_utf8_and_nul_become_replacement);
	tcase_add_test(nf, test_normalize_empty_input);
	tcase_add_test(nf, test_normalize_limit_returns_minus_one_with_prefix);
	tcase_add_test(nf, test_huge_input_is_normalized_in_chunks_across_lines);
	tcase_add_test(nf, test_dash_fold_survives_a_chunk_cut_in_a_long_line);
	tcase_add_test(nf, test_long_run_of_combining_marks_stays_bounded);
	suite_add_tcase(s, nf);

	tcase_set_timeout(h, 30);
	tcase_add_test(h, test_html_paragraphs_become_lines);
	tcase_add_test(h, test_html_br_always_breaks);
	tcase_add_test(h, test_html_table_cells_become_tabs_and_rows_lines);
	tcase_add_test(h, test_html_script_style_head_content_is_dropped);
	tcase_add_test(h, test_html_comments_doctype_and_pi_are_dropped);
	tcase_add_test(h, test_html_unclosed_comment_is_read_as_text);
	tcase_add_test(h, test_html_unclosed_script_is_read_as_text);
	tcase_add_test(h, test_html_named_entities_decode);
	tcase_add_test(h, test_html_legacy_entities_without_semicolon_decode);
	tcase_add_test(h, test_html_unknown_entity_stays_literal);
	tcase_add_test(h, test_html_numeric_references_decode);
	tcase_add_test(h, test_html_invalid_numeric_references_are_replacement);
	tcase_add_test(h, test_html_whitespace_collapses_like_a_browser);
	tcase_add_test(h, test_html_whitespace_before_multibyte_text);
	tcase_add_test(h, test_html_pre_keeps_whitespace);
	tcase_add_test(h, test_html_gt_inside_quoted_attribute_does_not_end_tag);
	tcase_add_test(h, test_html_unclosed_tag_at_end_is_read_as_text);
	tcase_add_test(h, test_html_stray_less_than_is_text);
	tcase_add_test(h, test_html_unclosed_quote_ends_tag_at_first_gt);
	tcase_add_test(h, test_html_limit_returns_minus_one_with_prefix);
	tcase_add_test(h, test_html_many_unclosed_constructs_stay_linear);
	tcase_add_test(h, test_html_appends_after_existing_content);
	suite_add_tcase(s, h);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(text_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
