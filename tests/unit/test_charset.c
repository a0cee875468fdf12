/*
 * NAME
 *	test_charset - unit tests for eng_charset
 * DESCRIPTION
 *	Each test is a sentence of POLICY.md "personal-data: charsets" or of
 *	the eng_charset.h contract. Inputs are byte literals built by hand
 *	(python's iso2022_jp rejects NEC row 13, glibc's ISO-2022-JP too) and
 *	checked against Python's cp932/euc_jp codecs; outputs are compared
 *	byte for byte.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "engine/eng_charset.h"
#include "util/sg_buf.h"

#define REPL "\xef\xbf\xbd"

static eng_cs_status st;

/* Decodes with no limit; returns a malloc'd copy, status in st. */
static char *dec(const char *cs, const char *in, size_t len)
{
	sg_buf b;

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	st = eng_cs_to_utf8(cs, in, len, &b);
	ck_assert(eng_cs_is_utf8(sg_buf_cstr(&b), b.len));
	ck_assert_uint_eq(strlen(sg_buf_cstr(&b)), b.len);	/* no NUL */
	return sg_buf_steal(&b);
}

#define DEC(cs, lit) dec((cs), (lit), sizeof(lit) - 1)

#define EXPECT(cs, lit, want, want_st)                 \
	do {                                           \
		char *got_ = DEC((cs), (lit));         \
		ck_assert_str_eq(got_, (want));        \
		ck_assert_int_eq(st, (want_st));       \
		free(got_);                            \
	} while (0)

/* ------------------------------------------------------- ISO-2022-JP */

START_TEST(test_iso2022jp_plain_hiragana_decodes)
{
	EXPECT("ISO-2022-JP", "\x1b$B$3$s$K$A$O\x1b(B abc", "こんにちは abc",
	       ENG_CS_OK);
}
END_TEST

START_TEST(test_iso2022jp_kanji_decodes_through_cp932)
{
	EXPECT("iso-2022-jp", "\x1b$B3t<02q<R\x1b(B", "株式会社", ENG_CS_OK);
}
END_TEST

START_TEST(test_iso2022jp_nec_row13_circled_digit_decodes)
{
	/* ① is JIS 0x2D21 (CP932 0x8740); glibc's ISO-2022-JP refuses it */
	EXPECT("ISO-2022-JP", "\x1b$B-!3t<02q<R\x1b(B", "①株式会社", ENG_CS_OK);
}
END_TEST

START_TEST(test_iso2022jp_nec_row13_kabu_and_heisei_decode)
{
	/* ㈱ 0x2D6A (CP932 0x878A), ㍻ 0x2D5F (CP932 0x877E) */
	EXPECT("ISO-2022-JP", "\x1b$B-j-_\x1b(B", "㈱㍻", ENG_CS_OK);
}
END_TEST

START_TEST(test_iso2022jp_ibm_extension_rows_89_92_decode)
{
	/* CP50220 writes 髙 as row 92 (0x7C62 = CP932 0xEEE0) and 﨑 as
	 * row 89 (0x7975 = CP932 0xED95) */
	EXPECT("ISO-2022-JP", "\x1b$B|byu\x1b(B", "髙﨑", ENG_CS_OK);
	EXPECT("CP50220", "\x1b$B|byu\x1b(B", "髙﨑", ENG_CS_OK);
}
END_TEST

START_TEST(test_iso2022jp_esc_dollar_at_is_jisx0208_too)
{
	EXPECT("ISO-2022-JP", "\x1b$@$3\x1b(J!", "こ!", ENG_CS_OK);
}
END_TEST

START_TEST(test_iso2022jp_halfwidth_katakana_escape_decodes)
{
	/* ESC ( I: JIS X 0201 katakana 0x21..0x5F -> U+FF61..U+FF9F */
	EXPECT("ISO-2022-JP", "\x1b(I10^\x1b(B", "ｱｰﾞ", ENG_CS_OK);
	EXPECT("ISO-2022-JP", "\x1b(I!_\x1b(B", "｡ﾟ", ENG_CS_OK);
}
END_TEST

START_TEST(test_iso2022jp_so_si_katakana_decodes_as_cp50221)
{
	EXPECT("CP50221", "a\x0e" "12\x0f" "b", "aｱｲb", ENG_CS_OK);
}
END_TEST

START_TEST(test_iso2022jp_jisx0212_decodes)
{
	/* 丂 is JIS X 0212 0x3021 (EUC-JP 8F B0 A1) */
	EXPECT("ISO-2022-JP-2", "\x1b$(D0!\x1b(B", "丂", ENG_CS_OK);
}
END_TEST

START_TEST(test_iso2022jp_aliases_all_decode_nec_characters)
{
	static const char *const names[] = {
		"ISO-2022-JP", "iso-2022-jp", "ISO-2022-JP-MS", "CP50220",
		"CP50221", "CP50222", "csISO2022JP", "ISO-2022-JP-2",
		"\"iso-2022-jp\"",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		EXPECT(names[i], "\x1b$B-!-j\x1b(B", "①㈱", ENG_CS_OK);
}
END_TEST

START_TEST(test_iso2022jp_keeps_lines_and_controls)
{
	EXPECT("ISO-2022-JP", "\x1b$B$3\x1b(B\r\n\x1b$B$s\x1b(B\n",
	       "こ\r\nん\n", ENG_CS_OK);
}
END_TEST

START_TEST(test_iso2022jp_8bit_byte_is_replaced)
{
	EXPECT("ISO-2022-JP", "a\x82\xa0" "b", "a" REPL REPL "b",
	       ENG_CS_REPLACED);
}
END_TEST

START_TEST(test_iso2022jp_stray_esc_is_replaced_and_text_kept)
{
	EXPECT("ISO-2022-JP", "a\x1b" "\x01" "b", "a" REPL "\x01" "b",
	       ENG_CS_REPLACED);
	EXPECT("ISO-2022-JP", "abc\x1b", "abc" REPL, ENG_CS_REPLACED);
}
END_TEST

START_TEST(test_iso2022jp_unterminated_escape_is_replaced)
{
	EXPECT("ISO-2022-JP", "ab\x1b$", "ab" REPL "$", ENG_CS_REPLACED);
	EXPECT("ISO-2022-JP", "ab\x1b$(", "ab" REPL "$(", ENG_CS_REPLACED);
}
END_TEST

START_TEST(test_iso2022jp_unknown_escape_is_one_replacement_and_text_is_read_on)
{
	/* ESC $ ( Z is no set we know: one U+FFFD for the escape, then its
	 * bytes read as JIS X 0208 (issue 13: the rest is never dropped) */
	EXPECT("ISO-2022-JP", "\x1b$(Zab\x1b(Bc", REPL "痰" "c", ENG_CS_REPLACED);
	/* ESC ( Z: a single-byte set we do not know, read as ASCII */
	EXPECT("ISO-2022-JP", "\x1b(Zabc", REPL "abc", ENG_CS_REPLACED);
	/* a marking after a bad designation is still there */
	EXPECT("ISO-2022-JP", "\x1b$(P!!\x1b$B5!L)@-\x1b(B3A", REPL "\xe3\x80\x80" "機密性3A",
	       ENG_CS_REPLACED);
}
END_TEST

/* Issue 13: real mail has a stray byte (an extension character) in
 * ISO-2022-JP: one U+FFFD, the label kept, the rest decoded. */
START_TEST(test_iso2022jp_one_stray_byte_keeps_the_rest)
{
	size_t n = 0;
	sg_buf out;
	static const char in[] = "\x1b$B5!L)@-\x1b(B3A \x85 \x1b$B$3$s$K$A$O\x1b(B";

	sg_buf_init(&out, 4096);
	ck_assert_int_eq(eng_cs_decode("ISO-2022-JP", in, sizeof(in) - 1, &out, &n),
			 ENG_CS_REPLACED);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(sg_buf_cstr(&out), "機密性3A " REPL " こんにちは");
	sg_buf_free(&out);
}
END_TEST

/* Issue 13: a wrong label (Shift_JIS sent as ISO-2022-JP) is decoded
 * again by guessing, and nothing is left to replace. */
START_TEST(test_wrong_label_is_decoded_by_guessing)
{
	size_t n = 9;
	sg_buf out;
	/* 機密性3A の名簿です (CP932) */
	static const char in[] = "\x8b\x40\x96\xa7\x90\xab" "3A \x82\xcc\x96\xbc\x95\xeb\x82\xc5\x82\xb7";

	sg_buf_init(&out, 4096);
	ck_assert_int_eq(eng_cs_decode("ISO-2022-JP", in, sizeof(in) - 1, &out, &n),
			 ENG_CS_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(sg_buf_cstr(&out), "機密性3A の名簿です");
	sg_buf_free(&out);
}
END_TEST

/* Issue 13: UTF-16 without a BOM takes the byte order that reads as
 * text, little-endian on a tie (as Windows writes it). */
START_TEST(test_utf16_without_bom_finds_its_byte_order)
{
	EXPECT("UTF-16", "a\0b\0", "ab", ENG_CS_OK);
	EXPECT("UTF-16", "\0a\0b", "ab", ENG_CS_OK);
	/* 機密性 little- and big-endian */
	EXPECT("UTF-16", "\x5f\x6a\xc6\x5b\x27\x60", "機密性", ENG_CS_OK);
	EXPECT("UTF-16", "\x6a\x5f\x5b\xc6\x60\x27", "機密性", ENG_CS_OK);
	/* unlabelled, NUL-heavy: UTF-16 without BOM */
	EXPECT(NULL, "\x5f\x6a\xc6\x5b\x27\x60" "3\0A\0 \0", "機密性3A ", ENG_CS_OK);
}
END_TEST

START_TEST(test_iso2022jp_truncated_pair_at_end_is_replaced)
{
	EXPECT("ISO-2022-JP", "\x1b$B$3$", "こ" REPL, ENG_CS_REPLACED);
}
END_TEST

START_TEST(test_iso2022jp_unassigned_jis_row_is_replaced)
{
	/* row 15 (0x2F21) is unassigned in JIS X 0208 and in CP932 */
	EXPECT("ISO-2022-JP", "\x1b$B/!$3\x1b(B", REPL "こ", ENG_CS_REPLACED);
}
END_TEST

START_TEST(test_iso2022jp_nul_becomes_replacement)
{
	static const char in[] = "a\0b";

	char *got = dec("ISO-2022-JP", in, 3);
	ck_assert_str_eq(got, "a" REPL "b");
	ck_assert_int_eq(st, ENG_CS_REPLACED);
	free(got);
}
END_TEST

/* -------------------------------------------------------------- CP932 */

START_TEST(test_cp932_817c_is_fullwidth_hyphen_minus)
{
	EXPECT("CP932", "\x81\x7c", "\xef\xbc\x8d", ENG_CS_OK);	/* U+FF0D */
}
END_TEST

START_TEST(test_shift_jis_declared_decodes_as_cp932)
{
	/* glibc's SHIFT_JIS says U+2212 and U+005C for these; Windows means
	 * U+FF0D and U+FF3C */
	EXPECT("Shift_JIS", "\x81\x7c\x81\x5f", "－＼", ENG_CS_OK);
	EXPECT("shift-jis", "\x87\x40\x87\x8a", "①㈱", ENG_CS_OK);
	EXPECT("x-sjis", "\x83\x65\x83\x58\x83\x67", "テスト", ENG_CS_OK);
}
END_TEST

START_TEST(test_cp932_aliases_all_map_to_cp932)
{
	static const char *const names[] = {
		"shift_jis", "SHIFT-JIS", "sjis", "x-sjis", "ms_kanji",
		"csShiftJIS", "windows-31j", "cp932", "MS932", "x-ms-cp932",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ck_assert_str_eq(eng_cs_canonical(names[i]), "CP932");
		EXPECT(names[i], "\x81\x7c", "－", ENG_CS_OK);
	}
}
END_TEST

START_TEST(test_cp932_ibm_and_nec_selected_extensions_decode)
{
	/* 髙: IBM 0xFBFC and NEC-selected 0xEEE0; 﨑: 0xFAB1 and 0xED95 */
	EXPECT("Shift_JIS", "\xfb\xfc\xee\xe0\xfa\xb1\xed\x95", "髙髙﨑﨑",
	       ENG_CS_OK);
}
END_TEST

START_TEST(test_cp932_halfwidth_katakana_decodes)
{
	EXPECT("CP932", "\xb1\xb2\xde", "ｱｲﾞ", ENG_CS_OK);
}
END_TEST

START_TEST(test_cp932_truncated_lead_byte_at_end_is_replaced)
{
	EXPECT("CP932", "\x8c\xc2\x90", "個" REPL, ENG_CS_REPLACED);
}
END_TEST

START_TEST(test_cp932_invalid_bytes_are_replaced_one_byte_at_a_time)
{
	/* 0x85 is an unassigned lead: it goes, 0x40 is then '@' */
	EXPECT("CP932", "a\x85\x40" "b\xa0\xfd" "c", "a" REPL "@b" REPL REPL "c",
	       ENG_CS_REPLACED);
	/* a lead byte before a space: the space survives */
	EXPECT("CP932", "\x81 x", REPL " x", ENG_CS_REPLACED);
}
END_TEST

START_TEST(test_cp932_nul_becomes_replacement)
{
	static const char in[] = "\x83\x65\0\x83\x67";

	char *got = dec("CP932", in, 5);
	ck_assert_str_eq(got, "テ" REPL "ト");
	ck_assert_int_eq(st, ENG_CS_REPLACED);
	free(got);
}
END_TEST

START_TEST(test_cp932_long_input_decodes_completely)
{
	size_t n = 60000;	/* far past the 4 KiB conversion buffer */
	char *in = malloc(n * 2), *got;

	for (size_t i = 0; i < n; i++)
		memcpy(in + 2 * i, "\x8c\xc2", 2);	/* 個 */
	got = dec("CP932", in, n * 2);
	ck_assert_uint_eq(strlen(got), n * 3);
	for (size_t i = 0; i < n; i++)
		ck_assert(memcmp(got + 3 * i, "個", 3) == 0);
	ck_assert_int_eq(st, ENG_CS_OK);
	free(in);
	free(got);
}
END_TEST

/* ------------------------------------------------------------- EUC-JP */

START_TEST(test_eucjp_decodes_with_nec_row13_and_kana)
{
	/* 日本語, ① (0xADA1, EUC-JP-MS), ｱ (0x8E 0xB1) */
	EXPECT("EUC-JP", "\xc6\xfc\xcb\xdc\xb8\xec\xad\xa1\x8e\xb1", "日本語①ｱ",
	       ENG_CS_OK);
}
END_TEST

START_TEST(test_eucjp_jisx0212_three_byte_decodes)
{
	EXPECT("x-euc-jp", "\x8f\xb0\xa1", "丂", ENG_CS_OK);
}
END_TEST

START_TEST(test_eucjp_aliases_are_canonical_eucjp)
{
	ck_assert_str_eq(eng_cs_canonical("euc-jp"), "EUC-JP");
	ck_assert_str_eq(eng_cs_canonical("X-EUC-JP"), "EUC-JP");
	ck_assert_str_eq(eng_cs_canonical("eucjp"), "EUC-JP");
	ck_assert_str_eq(eng_cs_canonical("csEUCPkdFmtJapanese"), "EUC-JP");
	EXPECT("eucjp", "\xb8\xc4\xbf\xcd", "個人", ENG_CS_OK);
}
END_TEST

START_TEST(test_eucjp_truncated_at_end_is_replaced)
{
	EXPECT("EUC-JP", "\xb8\xc4\xbf", "個" REPL, ENG_CS_REPLACED);
}
END_TEST

/* -------------------------------------------------------------- UTF-8 */

START_TEST(test_utf8_decodes_unchanged)
{
	EXPECT("UTF-8", "個人番号 123", "個人番号 123", ENG_CS_OK);
	EXPECT("utf8", "\xf0\xa0\xae\xb7", "\xf0\xa0\xae\xb7", ENG_CS_OK);
}
END_TEST

START_TEST(test_utf8_bom_is_dropped)
{
	EXPECT("utf-8", "\xef\xbb\xbf" "abc", "abc", ENG_CS_OK);
}
END_TEST

START_TEST(test_utf8_invalid_sequences_are_replaced_per_byte)
{
	/* overlong '/', a surrogate, a stray continuation, truncated end */
	EXPECT("UTF-8", "\xc0\xaf" "a\xed\xa0\x80" "b\x80" "c\xe5\x80",
	       REPL REPL "a" REPL REPL REPL "b" REPL "c" REPL REPL,
	       ENG_CS_REPLACED);
	EXPECT("UTF-8", "\xf4\x90\x80\x80", REPL REPL REPL REPL,
	       ENG_CS_REPLACED);
}
END_TEST

START_TEST(test_utf8_nul_becomes_replacement)
{
	char *got = dec("UTF-8", "a\0b", 3);

	ck_assert_str_eq(got, "a" REPL "b");
	ck_assert_int_eq(st, ENG_CS_REPLACED);
	free(got);
}
END_TEST

START_TEST(test_is_utf8_rejects_overlongs_and_surrogates)
{
	ck_assert(eng_cs_is_utf8("", 0));
	ck_assert(eng_cs_is_utf8("個人", 6));
	ck_assert(eng_cs_is_utf8("\xf4\x8f\xbf\xbf", 4));
	ck_assert(!eng_cs_is_utf8("\xc0\x80", 2));
	ck_assert(!eng_cs_is_utf8("\xe0\x80\xaf", 3));
	ck_assert(!eng_cs_is_utf8("\xed\xa0\x80", 3));
	ck_assert(!eng_cs_is_utf8("\xf4\x90\x80\x80", 4));
	ck_assert(!eng_cs_is_utf8("\xe5\x80", 2));
	ck_assert(!eng_cs_is_utf8("\x8c\xc2", 2));
}
END_TEST

/* ------------------------------------------------------------- UTF-16 */

START_TEST(test_utf16le_with_bom_decodes)
{
	char *got = dec("UTF-16", "\xff\xfe\x0b\x50\xba\x4e\x42\xd8\xb7\xdf", 10);

	ck_assert_str_eq(got, "個人\xf0\xa0\xae\xb7");
	ck_assert_int_eq(st, ENG_CS_OK);
	free(got);
	got = dec("UTF-16LE", "\xff\xfe\x0b\x50", 4);
	ck_assert_str_eq(got, "個");
	free(got);
}
END_TEST

START_TEST(test_utf16be_with_bom_decodes)
{
	char *got = dec("utf-16", "\xfe\xff\x50\x0b\x4e\xba", 6);

	ck_assert_str_eq(got, "個人");
	ck_assert_int_eq(st, ENG_CS_OK);
	free(got);
	got = dec("UTF-16BE", "\xfe\xff\x50\x0b", 4);
	ck_assert_str_eq(got, "個");
	free(got);
}
END_TEST

START_TEST(test_utf16_without_bom_is_big_endian)
{
	char *got = dec("UTF-16", "\x50\x0b\x00\x31", 4);

	ck_assert_str_eq(got, "個1");
	free(got);
	got = dec("UTF-16LE", "\x0b\x50\x31\x00", 4);
	ck_assert_str_eq(got, "個1");
	free(got);
}
END_TEST

START_TEST(test_utf16_lone_surrogate_odd_byte_and_nul_are_replaced)
{
	char *got = dec("UTF-16BE", "\xd8\x42\x00\x41\x00\x00\x00", 7);

	ck_assert_str_eq(got, REPL "A" REPL REPL);
	ck_assert_int_eq(st, ENG_CS_REPLACED);
	free(got);
}
END_TEST

/* -------------------------------------------------------------- other */

START_TEST(test_other_charsets_go_through_iconv)
{
	EXPECT("iso-8859-1", "caf\xe9", "café", ENG_CS_OK);
	EXPECT("windows-1252", "\x80" "5", "€5", ENG_CS_OK);
	EXPECT("gb2312", "\xd6\xd0\xce\xc4", "中文", ENG_CS_OK);
	EXPECT("KOI8-R", "\xf0\xd2\xc9", "При", ENG_CS_OK);
}
END_TEST

START_TEST(test_other_charset_invalid_byte_is_replaced)
{
	/* 0xFF is a lead byte with no valid trail in GB18030 */
	EXPECT("gbk", "a\xff" "b", "a" REPL "b", ENG_CS_REPLACED);
}
END_TEST

START_TEST(test_canonical_names)
{
	ck_assert_str_eq(eng_cs_canonical("UTF-8"), "UTF-8");
	ck_assert_str_eq(eng_cs_canonical("utf8"), "UTF-8");
	ck_assert_str_eq(eng_cs_canonical("ISO-2022-JP-MS"), "ISO-2022-JP");
	ck_assert_str_eq(eng_cs_canonical("CP50220"), "ISO-2022-JP");
	ck_assert_str_eq(eng_cs_canonical(" Shift_JIS "), "CP932");
	ck_assert_str_eq(eng_cs_canonical("UTF-16"), "UTF-16");
	ck_assert_str_eq(eng_cs_canonical("koi8-r"), "KOI8-R");
	ck_assert_ptr_null(eng_cs_canonical(NULL));
	ck_assert_ptr_null(eng_cs_canonical(""));
	ck_assert_ptr_null(eng_cs_canonical("us-ascii"));
	ck_assert_ptr_null(eng_cs_canonical("x-no-such-charset"));
	ck_assert_ptr_null(eng_cs_canonical("utf-8//TRANSLIT"));
	ck_assert_ptr_null(eng_cs_canonical("../../etc/passwd"));
}
END_TEST

/* -------------------------------------------------------------- guess */

START_TEST(test_guess_iso2022jp_by_escape)
{
	EXPECT(NULL, "\x1b$B-!3t<02q<R\x1b(B", "①株式会社", ENG_CS_OK);
}
END_TEST

START_TEST(test_guess_us_ascii_label_with_iso2022jp_escapes)
{
	EXPECT("us-ascii", "\x1b$B$3\x1b(B", "こ", ENG_CS_OK);
}
END_TEST

START_TEST(test_guess_valid_utf8)
{
	EXPECT("", "個人番号", "個人番号", ENG_CS_OK);
	EXPECT(NULL, "\xef\xbb\xbf個", "個", ENG_CS_OK);
}
END_TEST

START_TEST(test_guess_utf16_by_bom)
{
	char *got = dec(NULL, "\xff\xfe\x0b\x50", 4);

	ck_assert_str_eq(got, "個");
	free(got);
	got = dec("x-unknown", "\xfe\xff\x50\x0b", 4);
	ck_assert_str_eq(got, "個");
	free(got);
}
END_TEST

START_TEST(test_guess_cp932_text)
{
	/* 個人番号: 8CC2 906C 94D4 8D86, EUC-JP cannot read 0x8C.. leads */
	EXPECT(NULL, "\x8c\xc2\x90\x6c\x94\xd4\x8d\x86", "個人番号", ENG_CS_OK);
}
END_TEST

START_TEST(test_guess_eucjp_text)
{
	EXPECT(NULL, "\xb8\xc4\xbf\xcd\xc8\xd6\xb9\xe6", "個人番号", ENG_CS_OK);
}
END_TEST

START_TEST(test_guess_eucjp_hiragana_that_also_reads_as_cp932_kana)
{
	/* あいうえお: every byte pair is also valid CP932 half-width kana */
	EXPECT(NULL, "\xa4\xa2\xa4\xa4\xa4\xa6\xa4\xa8\xa4\xaa", "あいうえお",
	       ENG_CS_OK);
}
END_TEST

START_TEST(test_guess_us_ascii_with_8bit_bytes)
{
	EXPECT("us-ascii", "\x83\x65\x83\x58\x83\x67", "テスト", ENG_CS_OK);
}
END_TEST

START_TEST(test_unknown_charset_name_is_guessed)
{
	EXPECT("x-no-such-charset", "\x8c\xc2\x90\x6c", "個人", ENG_CS_OK);
	EXPECT("utf-8//TRANSLIT", "\x8c\xc2\x90\x6c", "個人", ENG_CS_OK);
}
END_TEST

START_TEST(test_guess_garbage_never_fails)
{
	char buf[256];
	char *got;

	for (int i = 0; i < 256; i++)
		buf[i] = (char)(255 - i);
	got = dec(NULL, buf, sizeof(buf));
	ck_assert_int_eq(st, ENG_CS_REPLACED);
	free(got);
}
END_TEST


/* Issue 13: 8-bit text that no Japanese charset reads is read in the
 * single-byte charset it fits (Russian, French), not held undecodable;
 * Japanese with invalid bytes put in is still read as Japanese. */
#define RU_KOI8 "\xfa\xc4\xd2\xc1\xd7\xd3\xd4\xd7\xd5\xca\xd4\xc5, \xe9\xd7\xc1\xce \xf0\xc5\xd4\xd2\xcf\xd7\xc9\xde! \xef\xd4\xd0\xd2\xc1\xd7\xcc\xd1\xc0 \xd7\xc1\xcd \xcf\xd4\xde\xa3\xd4 \xda\xc1 \xd4\xd2\xc5\xd4\xc9\xca \xcb\xd7\xc1\xd2\xd4\xc1\xcc, \xd4\xc5\xcc. 8-916-123-45-67.\x0a"
#define RU_1251 "\xc7\xe4\xf0\xe0\xe2\xf1\xf2\xe2\xf3\xe9\xf2\xe5, \xc8\xe2\xe0\xed \xcf\xe5\xf2\xf0\xee\xe2\xe8\xf7! \xce\xf2\xef\xf0\xe0\xe2\xeb\xff\xfe \xe2\xe0\xec \xee\xf2\xf7\xb8\xf2 \xe7\xe0 \xf2\xf0\xe5\xf2\xe8\xe9 \xea\xe2\xe0\xf0\xf2\xe0\xeb, \xf2\xe5\xeb. 8-916-123-45-67.\x0a"
#define RU_8859_5 "\xb7\xd4\xe0\xd0\xd2\xe1\xe2\xd2\xe3\xd9\xe2\xd5, \xb8\xd2\xd0\xdd \xbf\xd5\xe2\xe0\xde\xd2\xd8\xe7! \xbe\xe2\xdf\xe0\xd0\xd2\xdb\xef\xee \xd2\xd0\xdc \xde\xe2\xe7\xf1\xe2 \xd7\xd0 \xe2\xe0\xd5\xe2\xd8\xd9 \xda\xd2\xd0\xe0\xe2\xd0\xdb, \xe2\xd5\xdb. 8-916-123-45-67.\x0a"
#define FR_LATIN1 "Bonjour Am\xe9lie, voil\xe0 le rapport. \xc0 bient\xf4t, Fran\xe7ois, caf\xe9 cr\xe8me.\x0a"
#define RU_UTF8 "\xd0\x97\xd0\xb4\xd1\x80\xd0\xb0\xd0\xb2\xd1\x81\xd1\x82\xd0\xb2\xd1\x83\xd0\xb9\xd1\x82\xd0\xb5, \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd \xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2\xd0\xb8\xd1\x87! \xd0\x9e\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd1\x8f\xd1\x8e \xd0\xb2\xd0\xb0\xd0\xbc \xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82 \xd0\xb7\xd0\xb0 \xd1\x82\xd1\x80\xd0\xb5\xd1\x82\xd0\xb8\xd0\xb9 \xd0\xba\xd0\xb2\xd0\xb0\xd1\x80\xd1\x82\xd0\xb0\xd0\xbb, \xd1\x82\xd0\xb5\xd0\xbb. 8-916-123-45-67.\x0a"
#define FR_UTF8 "Bonjour Am\xc3\xa9lie, voil\xc3\xa0 le rapport. \xc3\x80 bient\xc3\xb4t, Fran\xc3\xa7ois, caf\xc3\xa9 cr\xc3\xa8me.\x0a"

START_TEST(test_guess_cyrillic_and_latin_single_byte)
{
	EXPECT(NULL, RU_KOI8, RU_UTF8, ENG_CS_OK);
	EXPECT(NULL, RU_1251, RU_UTF8, ENG_CS_OK);
	EXPECT(NULL, RU_8859_5, RU_UTF8, ENG_CS_OK);
	EXPECT(NULL, FR_LATIN1, FR_UTF8, ENG_CS_OK);
	/* us-ascii is a guess too; latin-1 is a known label */
	EXPECT("us-ascii", RU_1251, RU_UTF8, ENG_CS_OK);
	EXPECT("latin-1", FR_LATIN1, FR_UTF8, ENG_CS_OK);
	EXPECT("koi8-r", RU_KOI8, RU_UTF8, ENG_CS_OK);
}
END_TEST

START_TEST(test_guess_damaged_japanese_stays_japanese)
{
	/* Shift_JIS with every seventh byte made 0xFF: no single-byte
	 * reading hides its kanji; the replacements are counted. */
	char *got = DEC(NULL, "\xffR\x93" "c\x91\xbe\x98Y\x97l\x81" "A\x8fZ\xff\x8a\x82\xcd\x93\x8c\x8b\xff\x93s\x90\xe7\x91\xe3\xff" "c\x8b\xe6\x88\xea\x92\xff\x96\xda\x82\xc5\x82\xb7\xff" "B\x82\xe6\x82\xeb\x82\xff\x82\xad\x82\xa8\x8a\xe8\xff\xa2\x82\xa2\x82\xbd\x82\xff\x82\xdc\x82\xb7\x81" "B");

	ck_assert_int_eq(st, ENG_CS_REPLACED);
	ck_assert_ptr_nonnull(strstr(got, "\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e"));	/* 田太郎 */
	free(got);
}
END_TEST

/* ------------------------------------------------------------- limits */

START_TEST(test_output_limit_gives_toobig_and_a_valid_prefix)
{
	sg_buf b;

	sg_buf_init(&b, 10);
	/* 個人番号 is 12 bytes in UTF-8: only three characters fit */
	ck_assert_int_eq(eng_cs_to_utf8("CP932", "\x8c\xc2\x90\x6c\x94\xd4\x8d\x86",
					8, &b), ENG_CS_TOOBIG);
	ck_assert_str_eq(sg_buf_cstr(&b), "個人番");
	ck_assert(b.toobig);
	sg_buf_free(&b);

	sg_buf_init(&b, 4);
	ck_assert_int_eq(eng_cs_to_utf8("ISO-2022-JP", "\x1b$B-!-j\x1b(B", 10,
					&b), ENG_CS_TOOBIG);
	ck_assert_str_eq(sg_buf_cstr(&b), "①");
	sg_buf_free(&b);

	sg_buf_init(&b, 2);
	ck_assert_int_eq(eng_cs_to_utf8("UTF-8", "abc", 3, &b), ENG_CS_TOOBIG);
	ck_assert_str_eq(sg_buf_cstr(&b), "ab");
	sg_buf_free(&b);
}
END_TEST

START_TEST(test_output_appends_after_existing_content)
{
	sg_buf b;

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	sg_buf_puts(&b, "x:");
	ck_assert_int_eq(eng_cs_to_utf8("CP932", "\x8c\xc2", 2, &b), ENG_CS_OK);
	ck_assert_str_eq(sg_buf_cstr(&b), "x:個");
	sg_buf_free(&b);
}
END_TEST

START_TEST(test_empty_input_is_ok)
{
	EXPECT(NULL, "", "", ENG_CS_OK);
	EXPECT("ISO-2022-JP", "", "", ENG_CS_OK);
	EXPECT("CP932", "", "", ENG_CS_OK);
}
END_TEST

static Suite *charset_suite(void)
{
	Suite *s = suite_create("eng_charset");
	TCase *jis = tcase_create("iso2022jp");
	TCase *sj = tcase_create("cp932");
	TCase *other = tcase_create("other");
	TCase *guess = tcase_create("guess");

	tcase_add_test(jis, test_iso2022jp_plain_hiragana_decodes);
	tcase_add_test(jis, test_iso2022jp_kanji_decodes_through_cp932);
	tcase_add_test(jis, test_iso2022jp_nec_row13_circled_digit_decodes);
	tcase_add_test(jis, test_iso2022jp_nec_row13_kabu_and_heisei_decode);
	tcase_add_test(jis, test_iso2022jp_ibm_extension_rows_89_92_decode);
	tcase_add_test(jis, test_iso2022jp_esc_dollar_at_is_jisx0208_too);
	tcase_add_test(jis, test_iso2022jp_halfwidth_katakana_escape_decodes);
	tcase_add_test(jis, test_iso2022jp_so_si_katakana_decodes_as_cp50221);
	tcase_add_test(jis, test_iso2022jp_jisx0212_decodes);
	tcase_add_test(jis, test_iso2022jp_aliases_all_decode_nec_characters);
	tcase_add_test(jis, test_iso2022jp_keeps_lines_and_controls);
	tcase_add_test(jis, test_iso2022jp_8bit_byte_is_replaced);
	tcase_add_test(jis, test_iso2022jp_stray_esc_is_replaced_and_text_kept);
	tcase_add_test(jis, test_iso2022jp_unterminated_escape_is_replaced);
	tcase_add_test(jis, test_iso2022jp_unknown_escape_is_one_replacement_and_text_is_read_on);
	tcase_add_test(jis, test_iso2022jp_one_stray_byte_keeps_the_rest);
	tcase_add_test(jis, test_wrong_label_is_decoded_by_guessing);
	tcase_add_test(jis, test_utf16_without_bom_finds_its_byte_order);
	tcase_add_test(jis, test_iso2022jp_truncated_pair_at_end_is_replaced);
	tcase_add_test(jis, test_iso2022jp_unassigned_jis_row_is_replaced);
	tcase_add_test(jis, test_iso2022jp_nul_becomes_replacement);
	suite_add_tcase(s, jis);

	tcase_add_test(sj, test_cp932_817c_is_fullwidth_hyphen_minus);
	tcase_add_test(sj, test_shift_jis_declared_decodes_as_cp932);
	tcase_add_test(sj, test_cp932_aliases_all_map_to_cp932);
	tcase_add_test(sj, test_cp932_ibm_and_nec_selected_extensions_decode);
	tcase_add_test(sj, test_cp932_halfwidth_katakana_decodes);
	tcase_add_test(sj, test_cp932_truncated_lead_byte_at_end_is_replaced);
	tcase_add_test(sj, test_cp932_invalid_bytes_are_replaced_one_byte_at_a_time);
	tcase_add_test(sj, test_cp932_nul_becomes_replacement);
	tcase_add_test(sj, test_cp932_long_input_decodes_completely);
	suite_add_tcase(s, sj);

	tcase_add_test(other, test_eucjp_decodes_with_nec_row13_and_kana);
	tcase_add_test(other, test_eucjp_jisx0212_three_byte_decodes);
	tcase_add_test(other, test_eucjp_aliases_are_canonical_eucjp);
	tcase_add_test(other, test_eucjp_truncated_at_end_is_replaced);
	tcase_add_test(other, test_utf8_decodes_unchanged);
	tcase_add_test(other, test_utf8_bom_is_dropped);
	tcase_add_test(other, test_utf8_invalid_sequences_are_replaced_per_byte);
	tcase_add_test(other, test_utf8_nul_becomes_replacement);
	tcase_add_test(other, test_is_utf8_rejects_overlongs_and_surrogates);
	tcase_add_test(other, test_utf16le_with_bom_decodes);
	tcase_add_test(other, test_utf16be_with_bom_decodes);
	tcase_add_test(other, test_utf16_without_bom_is_big_endian);
	tcase_add_test(other, test_utf16_lone_surrogate_odd_byte_and_nul_are_replaced);
	tcase_add_test(other, test_other_charsets_go_through_iconv);
	tcase_add_test(other, test_other_charset_invalid_byte_is_replaced);
	tcase_add_test(other, test_canonical_names);
	tcase_add_test(other, test_output_limit_gives_toobig_and_a_valid_prefix);
	tcase_add_test(other, test_output_appends_after_existing_content);
	tcase_add_test(other, test_empty_input_is_ok);
	suite_add_tcase(s, other);

	tcase_add_test(guess, test_guess_iso2022jp_by_escape);
	tcase_add_test(guess, test_guess_us_ascii_label_with_iso2022jp_escapes);
	tcase_add_test(guess, test_guess_valid_utf8);
	tcase_add_test(guess, test_guess_utf16_by_bom);
	tcase_add_test(guess, test_guess_cp932_text);
	tcase_add_test(guess, test_guess_eucjp_text);
	tcase_add_test(guess, test_guess_eucjp_hiragana_that_also_reads_as_cp932_kana);
	tcase_add_test(guess, test_guess_us_ascii_with_8bit_bytes);
	tcase_add_test(guess, test_unknown_charset_name_is_guessed);
	tcase_add_test(guess, test_guess_garbage_never_fails);
	tcase_add_test(guess, test_guess_cyrillic_and_latin_single_byte);
	tcase_add_test(guess, test_guess_damaged_japanese_stays_japanese);
	suite_add_tcase(s, guess);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(charset_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
