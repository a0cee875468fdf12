/*
 * The personal-data detectors of POLICY.md through the engine: the
 * confidence model, the hard negatives (wrong check digits, 法人番号,
 * invoice numbers, ISBN, the signature, an all-staff notice, ordinary
 * dates), masking, the rule file's errors, and attachment text.
 */
#include "sg_test_eng.h"
#include "engine/eng.h"
#include "engine/eng_content.h"
#include "engine/eng_int.h"
#include "engine/eng_pd.h"
#include "engine/eng_pd_person.h"
#include "engine/eng_xlsx.h"

#include <iconv.h>
#include <sys/stat.h>

#define BASE_CONF "[policy]\ninternal_domains = example.lg.jp\n"

static eng_result res;

static void scan_conf(const char *extra, const char *rules_dir, const char *msg,
		      size_t len)
{
	eng_envelope env = { "tanaka@example.lg.jp", NULL, 0, NULL, NULL };
	char *text;

	if (rules_dir) {
		char body[4096];
		snprintf(body, sizeof(body), "%s%s\n[rules]\ndir = %s\n", BASE_CONF,
			 extra ? extra : "", rules_dir);
		text = strdup(body);
	} else {
		text = sg_test_conf_join(BASE_CONF, extra);
	}
	sg_test_scan(text, &env, msg, len, &res);
	free(text);
}

static void scan(const char *extra, const char *msg)
{
	scan_conf(extra, NULL, msg, strlen(msg));
}

static const eng_finding *find(const char *rule)
{
	for (size_t i = 0; i < res.nfindings; i++)
		if (res.findings[i].cat == ENG_CAT_PERSONAL &&
		    strcmp(res.findings[i].rule, rule) == 0)
			return &res.findings[i];
	return NULL;
}

static size_t npersonal(void)
{
	size_t n = 0;

	for (size_t i = 0; i < res.nfindings; i++)
		n += res.findings[i].cat == ENG_CAT_PERSONAL;
	return n;
}

/* The JSON output must not hold s anywhere. */
static void assert_hidden(const char *s)
{
	sg_buf out;

	sg_buf_init(&out, SG_BUF_UNLIMITED);
	eng_result_json(&res, &out);
	ck_assert_msg(strstr(out.data, s) == NULL, "%s is in the output: %s", s, out.data);
	sg_buf_free(&out);
}

#define MAIL(subject, body) \
	"From: tanaka@example.lg.jp\r\nTo: t.yamada@sakura-sys.example\r\n" \
	"Subject: " subject "\r\nMIME-Version: 1.0\r\n" \
	"Content-Type: text/plain; charset=UTF-8\r\n\r\n" body

/* A valid My Number from 11 digits, by POLICY.md's formula. */
static void mynumber(const char *d11, char out[13])
{
	unsigned sum = 0, r;

	memcpy(out, d11, 11);
	for (unsigned n = 1; n <= 11; n++)
		sum += (unsigned)(d11[11 - n] - '0') * (n <= 6 ? n + 1 : n - 5);
	r = sum % 11;
	out[11] = (char)('0' + (r <= 1 ? 0 : 11 - r));
	out[12] = '\0';
}

START_TEST(test_mynumber_check_digit_follows_the_policy_formula)
{
	char n[13];

	mynumber("12345678901", n);
	ck_assert_str_eq(n, "123456789018");
	ck_assert(eng_pd_mynumber_ok(n, 12));
	n[11] = n[11] == '9' ? '0' : (char)(n[11] + 1);
	ck_assert(!eng_pd_mynumber_ok(n, 12));
	ck_assert(!eng_pd_mynumber_ok("000000000000", 12));
	ck_assert(!eng_pd_mynumber_ok("12345678901", 11));
	for (int i = 0; i < 200; i++) {
		char d[12];
		snprintf(d, sizeof(d), "%011d", i * 48611 + 7);
		mynumber(d, n);
		ck_assert(eng_pd_mynumber_ok(n, 12));
	}
}
END_TEST

START_TEST(test_card_needs_luhn_and_a_known_issuer)
{
	ck_assert(eng_pd_card_ok("4111111111111111", 16));
	ck_assert(eng_pd_card_ok("5555555555554444", 16));
	ck_assert(eng_pd_card_ok("378282246310005", 15));
	ck_assert(eng_pd_card_ok("3530111333300000", 16));	/* JCB */
	ck_assert(!eng_pd_card_ok("4111111111111112", 16));	/* Luhn */
	ck_assert(!eng_pd_card_ok("9111111111111119", 16));	/* issuer */
}
END_TEST

START_TEST(test_valid_mynumber_with_keyword_is_high_and_masked)
{
	const eng_finding *f;

	scan(NULL, MAIL("委託業務の件", "山田様\r\n\r\n対象者のマイナンバーは 1234 5678 9018 です。\r\n"));
	f = find("mynumber");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->where, "body");
	ck_assert_uint_eq(f->count, 1);
	ck_assert_ptr_nonnull(strstr(f->evidence, "1234 **** **18"));
	ck_assert_ptr_nonnull(strstr(f->evidence, "high"));
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	assert_hidden("5678");
	assert_hidden("123456789018");
}
END_TEST

START_TEST(test_two_valid_numbers_alone_are_medium_one_is_low)
{
	char a[13], b[13], body[512], msg[1024];

	mynumber("45678901234", a);
	mynumber("98765432109", b);
	snprintf(body, sizeof(body), "整理票 %s\r\n整理票 %s\r\n", a, b);
	snprintf(msg, sizeof(msg), MAIL("資料送付", "%s"), body);
	scan(NULL, msg);
	ck_assert_ptr_nonnull(find("mynumber"));
	ck_assert_uint_eq(find("mynumber")->count, 2);
	ck_assert_ptr_nonnull(strstr(find("mynumber")->evidence, "medium"));
	/* The same number twice is one instance: low, not reported. */
	snprintf(body, sizeof(body), "整理票 %s\r\n再掲 %s\r\n", a, a);
	snprintf(msg, sizeof(msg), MAIL("資料送付", "%s"), body);
	scan(NULL, msg);
	ck_assert_ptr_null(find("mynumber"));
	scan("[personal_data]\nmin_confidence = low\n", msg);
	ck_assert_ptr_nonnull(find("mynumber"));
	ck_assert_ptr_nonnull(strstr(find("mynumber")->evidence, "low"));
}
END_TEST

/* Keywords are searched only in the window around an instance: the
 * window's edges, both sides, are exact. */
static const char *pd_conf_of(const char *before, size_t nfill_before,
			      const char *after, size_t nfill_after)
{
	static char msg[16384];
	char body[12288], n[13];
	size_t o = 0;

	mynumber("45678901234", n);
	o += (size_t)snprintf(body + o, sizeof(body) - o, "%s", before);
	for (size_t i = 0; i < nfill_before; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o, "あ");
	o += (size_t)snprintf(body + o, sizeof(body) - o, " %s ", n);
	for (size_t i = 0; i < nfill_after; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o, "い");
	snprintf(body + o, sizeof(body) - o, "%s\r\n", after);
	snprintf(msg, sizeof(msg), MAIL("資料送付", "%s"), body);
	scan("[personal_data]\nmin_confidence = low\n", msg);
	if (find("mynumber") == NULL)
		return "none";
	return strstr(find("mynumber")->evidence, "high") ? "high" : "low";
}

START_TEST(test_keyword_window_edges_are_exact)
{
	ck_assert_str_eq(pd_conf_of("マイナンバー", 290, "", 0), "high");
	ck_assert_str_eq(pd_conf_of("マイナンバー", 310, "", 0), "low");
	ck_assert_str_eq(pd_conf_of("", 0, "個人番号", 290), "high");
	ck_assert_str_eq(pd_conf_of("", 0, "個人番号", 310), "low");
	/* Far from any keyword, with keywords far on both sides. */
	ck_assert_str_eq(pd_conf_of("個人番号", 2000, "番号確認", 2000), "low");
}
END_TEST

START_TEST(test_min_confidence_high_drops_medium_findings)
{
	scan("[personal_data]\nmin_confidence = high\n",
	     MAIL("口座", "振込先: さくら銀行 桜町支店 普通 1234567\r\n"));
	ck_assert_ptr_null(find("bank-account"));
}
END_TEST

START_TEST(test_full_width_grouped_mynumber_is_found)
{
	/* ４５６７－８９０１－２３４x, hyphen as U+FF0D and U+2212. */
	char n[13], fw[256], msg[1024];
	size_t k = 0;

	mynumber("45678901234", n);
	for (int i = 0; i < 12; i++) {
		if (i == 4)
			k += (size_t)snprintf(fw + k, sizeof(fw) - k, "－");
		if (i == 8)
			k += (size_t)snprintf(fw + k, sizeof(fw) - k, "−");
		k += (size_t)snprintf(fw + k, sizeof(fw) - k, "%s",
				      (const char *[]){ "０", "１", "２", "３", "４",
							"５", "６", "７", "８", "９" }[n[i] - '0']);
	}
	snprintf(msg, sizeof(msg), MAIL("個人番号の確認", "個人番号：%s\r\n"), fw);
	scan(NULL, msg);
	ck_assert_ptr_nonnull(find("mynumber"));
	ck_assert_ptr_nonnull(strstr(find("mynumber")->evidence, "4567 **** **"));
}
END_TEST

START_TEST(test_hard_negatives_are_not_individual_numbers)
{
	char bad[13];

	mynumber("12345678901", bad);
	bad[11] = bad[11] == '9' ? '0' : (char)(bad[11] + 1);
	scan(NULL, MAIL("発注の件",
		"個人番号の記載は不要です。\r\n"
		"注文番号 123456789017 / 伝票番号 2024-0401-0012\r\n"
		"法人番号 1234567890123\r\n"
		"適格請求書発行事業者登録番号 T1234567890123\r\n"
		"ISBN 978-4-12-345678-9 / JAN 4901234567894\r\n"
		"口座振替日 2024年4月26日\r\n"));
	ck_assert_uint_eq(npersonal(), 0);
	/* Inside a longer digit run (a card or a 16-digit id). */
	scan(NULL, MAIL("x", "個人番号 1234-5678-9018-3456\r\n"));
	ck_assert_ptr_null(find("mynumber"));
}
END_TEST

START_TEST(test_card_numbers_are_found_and_masked)
{
	scan(NULL, MAIL("決済", "クレジットカード番号: 4111-1111-1111-1111 有効期限 12/27\r\n"));
	ck_assert_ptr_nonnull(find("payment-card"));
	ck_assert_ptr_nonnull(strstr(find("payment-card")->evidence, "**** **** **** 1111"));
	assert_hidden("4111-1111");
	scan(NULL, MAIL("x", "カード番号 4111-1111-1111-1112\r\n"));
	ck_assert_ptr_null(find("payment-card"));
}
END_TEST

START_TEST(test_bank_account_and_japan_post_need_their_words)
{
	scan(NULL, MAIL("振込先", "振込先は以下のとおりです。\r\nさくら銀行 桜町支店 普通 1234567 ヤマダ タロウ\r\n"));
	ck_assert_ptr_nonnull(find("bank-account"));
	ck_assert_ptr_nonnull(strstr(find("bank-account")->evidence, "*****67"));
	assert_hidden("1234567");
	scan(NULL, MAIL("x", "ゆうちょ銀行 記号 12340 番号 12345671\r\n"));
	ck_assert_ptr_nonnull(find("japan-post-account"));
	assert_hidden("12345671");
	/* A 7-digit number without bank words, a postal code. */
	scan(NULL, MAIL("x", "受付番号 1234567 で承りました。〒123-4567\r\n"));
	ck_assert_uint_eq(npersonal(), 0);
}
END_TEST

START_TEST(test_birth_dates_in_western_and_era_forms)
{
	const char *forms[] = { "生年月日：昭和50年1月2日", "生年月日 S50.1.2",
				"令和元年5月1日生まれ", "生年月日 1975/01/02",
				"生年月日 Ｈ２．３．４" };

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char msg[512];
		snprintf(msg, sizeof(msg), MAIL("申請者情報", "申請者 林 彩\r\n%s\r\n"), forms[i]);
		scan(NULL, msg);
		ck_assert_msg(find("date-of-birth") != NULL, "%s", forms[i]);
	}
	scan(NULL, MAIL("x", "中村様 生年月日：昭和50年1月2日\r\n"));
	ck_assert_ptr_nonnull(strstr(find("date-of-birth")->evidence, "昭和**年**月**日"));
	scan(NULL, MAIL("x", "鈴木 さくら 令和元年5月1日生まれ\r\n"));
	assert_hidden("元年");
}
END_TEST

/* Issue 17 item 6: abbreviated forms, next to a person. */
START_TEST(test_abbreviated_birth_dates_next_to_a_person)
{
	const char *forms[] = { "林 彩（S58.4.12生）", "鈴木 さくら 昭58・4・12生まれ",
				"中村 一郎様 H1.1.8生", "佐藤 太郎 1983/4/12生",
				"氏名 醍醐 茜\r\n生年月日 S58.4.12" };

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char msg[512];
		snprintf(msg, sizeof(msg), MAIL("x", "%s\r\n"), forms[i]);
		scan(NULL, msg);
		ck_assert_msg(find("date-of-birth") != NULL, "%s", forms[i]);
		assert_hidden("58.4.12");
	}
}
END_TEST

/* Issue 17: a 生年月日 column. Under a title line that reads like a
 * header (受給者一覧: a name word), the real header still gives the
 * record its columns; in PDF text of a spreadsheet the rows are broken
 * over lines, and a 生年月日 cell heads the dates below it. */
START_TEST(test_birth_date_columns)
{
	const char *tables[] = {
		"障害福祉サービス 受給者一覧\r\nNo.,氏名,カナ氏名,生年月日,区分\r\n"
		"1,斎藤 結衣,サイトウ ユイ,1951-12-08,区分1\r\n2,加藤 幸子,カトウ サチコ,S3/6/24,区分4\r\n",
		"受講者名簿\r\n氏名\r\n生年月日\t住所\r\nNo.\r\n1 柴田 清\r\n080-6834-4910\r\n"
		"渡辺 浩二\r\n長野県北山町若宮\r\n2\r\n1934-03-09\r\n" };
	const char *not_births[] = {
		/* a column header, but no one named near the date */
		"受講者名簿\r\n生年月日\t住所\r\n1934-03-09\r\n",
		/* a blank line ends the table: the date below is not its */
		"氏名\t生年月日\r\n柴田 清\r\n\r\n柴田 清 提出日 2025-03-09\r\n" };

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char msg[1024];
		snprintf(msg, sizeof(msg), MAIL("x", "%s"), tables[i]);
		scan(NULL, msg);
		ck_assert_msg(find("date-of-birth") != NULL, "%s", tables[i]);
	}
	for (size_t i = 0; i < sizeof(not_births) / sizeof(not_births[0]); i++) {
		char msg[1024];
		snprintf(msg, sizeof(msg), MAIL("x", "%s"), not_births[i]);
		scan(NULL, msg);
		ck_assert_msg(find("date-of-birth") == NULL, "%s", not_births[i]);
	}
}
END_TEST

/* Issue 17: the name column as forms head it (お名前, カナ氏名). */
START_TEST(test_roster_table_name_headers_as_forms_write_them)
{
	scan(NULL, MAIL("x", "No.,お名前,カナ氏名,記号\r\n1,杉 まどか,スギ マドカ,16420\r\n"
			     "2,大森 健,オオモリ ケン,11370\r\n"));
	ck_assert(find("roster-table") != NULL);
}
END_TEST

/* Issue 17: 記号 and 番号 in columns of their own (a CSV; a table row of
 * a document or PDF, cells tab-separated): the two values of one row
 * are one Japan Post account (rules: columns = 記号, 番号), and the 番号
 * is not a bank account. Other values under such headings are not. */
START_TEST(test_japan_post_symbol_and_number_in_columns_are_one_account)
{
	scan(NULL, MAIL("x", "振込先（ゆうちょ銀行）\r\nNo.,氏名,記号,番号\r\n1,岩田 修,12340,1234567\r\n"
			     "2,森下 さやか,17720,23456781\r\n"));
	ck_assert_ptr_nonnull(find("japan-post-account"));
	ck_assert_uint_eq(find("japan-post-account")->count, 2);
	ck_assert_ptr_null(find("bank-account"));
	assert_hidden("1234567");
	assert_hidden("23456781");
	scan(NULL, MAIL("x", "受取口座一覧\r\n氏名\t記号(5桁)\t番号(8桁)\r\n大野 健太\t13570\t76543210\r\n"));
	ck_assert_ptr_nonnull(find("japan-post-account"));
	/* part numbers, a 記号 that is no account's, no 記号 column */
	scan(NULL, MAIL("x", "品名\t記号\t番号\r\nボルト\tA-1\t100\r\nナット\t25000\t1234567\r\n"
			     "受付\t番号\r\n1\t1234567\r\n"));
	ck_assert_ptr_null(find("japan-post-account"));
}
END_TEST

/* ... and only about a person (POLICY.md). */
START_TEST(test_birth_date_about_no_one_is_not_personal_data)
{
	const char *texts[] = {
		"生年月日 1975/01/02",
		"S58.4.12生",
		"さくら区のマスコット「サクラちゃん」の誕生日は2010年4月1日です。",
		"保護者の皆様\r\n平成31年4月2日から令和2年4月1日までに生まれたお子さんが対象です。",
		"4月1日までに生まれたお子さんは保健センターで受けられます。",
		"株式会社さくら\r\n山本 一郎様\r\n\r\n生年月日 1975/01/02 の欄は削除しました。" };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char msg[1024];
		snprintf(msg, sizeof(msg), MAIL("x", "%s\r\n"), texts[i]);
		scan(NULL, msg);
		ck_assert_msg(find("date-of-birth") == NULL, "%s", texts[i]);
	}
}
END_TEST

/* Issue 17 item 4: people as Japanese mail names them. */
START_TEST(test_names_as_japanese_mail_writes_them)
{
	static const char *const yes[] = { "林 彩", "林彩さん", "鈴木 さくら", "鈴木さくらさん",
		"佐藤太郎", "中村様の件", "林 さん", "長谷川 真由美", "高橋 ハナコ", "醍醐様から",
		"グエンさん", "原 翔太くん", "山田\t要介護2", "1. 山田 090-1234-5678",
		"楠 さくら様の既往歴", "ケース記録 泉ハル 生活保護受給中", "泉ハル" };
	static const char *const no[] = { "石川県庁", "森林の保全", "林業課", "中村区役所",
		"皆様", "ご担当者様", "保護者の皆さん", "お子さん", "職員さん", "息子さん",
		"マスコットのサクラちゃん", "記入例 山田 太郎", "東京都", "中村から連絡",
		"株式会社さくら\n山本 一郎様\n", "前田建設", "森ビル 3階", "東ホール 03-1234-5678",
		"西エリアの", "担当 みなさま" };
	char *text = sg_test_conf_join(BASE_CONF, NULL), *path = sg_test_write(text);
	sg_buf err;
	sg_conf *conf;
	eng_engine *eng;
	size_t s, e;

	sg_buf_init(&err, 8192);
	conf = sg_conf_load(path, &err);
	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	eng = eng_engine_new(conf, &err);
	ck_assert_msg(eng != NULL, "%s", sg_buf_cstr(&err));
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(eng_pd_person_next(eng, yes[i], strlen(yes[i]), 0,
						 strlen(yes[i]), &s, &e), "not found: %s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(!eng_pd_person_next(eng, no[i], strlen(no[i]), 0,
						  strlen(no[i]), &s, &e), "found: %s (%.*s)",
			      no[i], (int)(e - s), no[i] + s);
	eng_engine_free(eng);
	sg_conf_free(conf);
	sg_buf_free(&err);
	unlink(path);
	free(path);
	free(text);
}
END_TEST

/* Issue 17 item 5: special-care phrasing about a named person, and the
 * same words in a notice, a form or statistics. */
START_TEST(test_special_care_phrasing_about_a_named_person)
{
	const char *yes[] = { "林 彩さんは要介護3です。", "鈴木 さくら様は認知症と診断されました。",
		"鈴木さくらさんは精神科に通院中です。", "氏名 林 彩\r\n既往歴 高血圧",
		"山本 一郎 健康診断の結果 血圧 158/96 要精密検査", "中村様 服薬中",
		"対象者 醍醐 茜\r\n障害支援区分 4" };
	const char *no[] = { "認知症の方への対応について研修を行います。",
		"要介護3以上の方は施設に入所できます。",
		"令和6年の要介護認定者数は1,234人でした。",
		"氏名：＿＿＿＿\r\n既往歴：□あり □なし\r\n服薬中の薬：",
		"認知症サポーター養成講座のご案内",
		"株式会社さくら\r\n山本 一郎様\r\n\r\n精神科の医師が講師です。" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		char msg[1024];
		snprintf(msg, sizeof(msg), MAIL("x", "%s\r\n"), yes[i]);
		scan(NULL, msg);
		ck_assert_msg(find("special-care") != NULL, "%s", yes[i]);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		char msg[1024];
		snprintf(msg, sizeof(msg), MAIL("x", "%s\r\n"), no[i]);
		scan(NULL, msg);
		ck_assert_msg(find("special-care") == NULL, "%s", no[i]);
	}
}
END_TEST

/* Issue 17 item 8: ten facilities' numbers are no roster of people. */
START_TEST(test_facility_phones_are_not_a_roster_people_phones_are)
{
	static const char *const fac[] = { "本庁舎", "第二庁舎", "中央図書館", "桜台図書館",
		"桜町保育園", "若葉保育園", "中央公民館", "緑町児童館", "総合体育館",
		"保健センター", "北出張所" };
	static const char *const who[] = { "林 彩", "鈴木 さくら", "佐藤 太郎", "中村 一郎",
		"高橋 美咲", "伊藤 健太", "渡辺 由美", "小林 恵子", "加藤 大輔", "吉田 翔",
		"山口 誠" };
	sg_buf b;

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	sg_buf_puts(&b, MAIL("x", "連絡先です。\r\n"));
	for (size_t i = 0; i < 11; i++)
		sg_buf_printf(&b, "%s 03-5%03zu-%04zu\r\n", fac[i], 100 + i, 1000 + i * 7);
	scan(NULL, sg_buf_cstr(&b));
	ck_assert_ptr_null(find("roster-phone"));
	sg_buf_reset(&b);
	sg_buf_puts(&b, MAIL("x", "連絡先です。\r\n"));
	for (size_t i = 0; i < 11; i++)
		sg_buf_printf(&b, "%s 090-5%03zu-%04zu\r\n", who[i], 100 + i, 1000 + i * 7);
	scan(NULL, sg_buf_cstr(&b));
	ck_assert_ptr_nonnull(find("roster-phone"));
	ck_assert_uint_eq(find("roster-phone")->count, 11);
	sg_buf_free(&b);
}
END_TEST

static const eng_finding *find_classified(const char *rule)
{
	for (size_t i = 0; i < res.nfindings; i++)
		if (res.findings[i].cat == ENG_CAT_CLASSIFIED &&
		    strcmp(res.findings[i].rule, rule) == 0)
			return &res.findings[i];
	return NULL;
}

/* Issue 17 item 7: a label keeps its rule (class 3 rejects); a mention
 * in running text is held as classification-mention, never rejected. */
START_TEST(test_marking_labels_and_mentions)
{
	static const char *const labels[] = { "本資料は機密性3です。", "添付ファイルは機密性3Aです。",
		"機密性：3", "【機密性3】移行データ", "会議資料（機密性 3）をお送りします。",
		"報告書\r\n機密性3\r\n第1章", "項目\t機密性3\t備考" };
	static const char *const mentions[] = {
		"研修のご案内です。\r\n機密性3の情報はメールで送信できません。",
		"研修では、機密性3の情報はメールで送信できないことを説明します。",
		"委託先には機密性3以上の情報を渡さないでください。",
		"情報は機密性1から機密性3に分類されます。",
		"新しいガイドラインでは機密性3を3A、3B、3Cに細分化しました。" };

	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		char msg[1024];
		snprintf(msg, sizeof(msg), MAIL("x", "%s\r\n"), labels[i]);
		scan(NULL, msg);
		ck_assert_msg(find_classified("class-3") != NULL, "%s", labels[i]);
		ck_assert_msg(find_classified("classification-mention") == NULL, "%s", labels[i]);
		ck_assert_int_eq(res.verdict, ENG_ACT_REJECT);
	}
	for (size_t i = 0; i < sizeof(mentions) / sizeof(mentions[0]); i++) {
		char msg[1024];
		snprintf(msg, sizeof(msg), MAIL("x", "%s\r\n"), mentions[i]);
		scan(NULL, msg);
		ck_assert_msg(find_classified("class-3") == NULL, "%s", mentions[i]);
		ck_assert_msg(find_classified("classification-mention") != NULL, "%s", mentions[i]);
		ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	}
	/* The Subject's start is a label; a marking later in it, in prose, is not. */
	scan(NULL, MAIL("機密性3 移行データ", "移行データです。\r\n"));
	ck_assert_ptr_nonnull(find_classified("class-3"));
	scan(NULL, MAIL("研修：機密性3の情報の取扱い", "研修のご案内です。\r\n"));
	ck_assert_ptr_null(find_classified("class-3"));
	ck_assert_ptr_nonnull(find_classified("classification-mention"));
}
END_TEST

/* The classified rules found, in finding order, joined by ','. */
static const char *classified_rules(void)
{
	static char buf[256];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < res.nfindings; i++) {
		if (res.findings[i].cat != ENG_CAT_CLASSIFIED)
			continue;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "," : "",
				      res.findings[i].rule);
		if (n >= sizeof(buf))
			break;
	}
	return buf;
}

/* Issue 17 item 7 for the stamp words (取扱注意, 部外秘/社外秘/庁外秘,
 * 関係者限り, 極秘/秘/㊙): in label form they keep their rule; in a
 * running sentence they are classification-mention. Both sides, and
 * the forms that are neither sentence nor bracket: a run of markings
 * written together, a short header line that ends with the stamp. */
START_TEST(test_stamp_words_labels_and_mentions)
{
	static const struct {
		const char *subject, *body, *rules;
	} cases[] = {
		/* labels */
		{ "【取扱注意】予算要求資料", "資料を送ります。", "handle-with-care" },
		{ "取扱注意：予算要求資料", "資料を送ります。", "handle-with-care" },
		{ "予算要求資料の送付（社外秘）", "資料を送ります。", "internal-only" },
		{ "x", "資料を送ります。\r\n部外秘\r\n第1章 概要", "internal-only" },
		{ "x", "庁外秘 令和8年度 組織改正案\r\n", "internal-only" },
		{ "x", "本資料は取扱注意です。", "handle-with-care" },
		{ "x", "資料を送ります。添付ファイルは社外秘です。", "internal-only" },
		{ "x", "資料を送ります。お送りする資料は関係者限りです。", "parties-only" },
		{ "x", "本日の打合せ資料です。関係者限りでお願いします。", "parties-only" },
		{ "x", "本日の打合せ資料です。添付の部外秘資料をご確認ください。", "internal-only" },
		{ "x", "本日の打合せ資料（取扱注意）を添付します。", "handle-with-care" },
		{ "x", "打合せ資料です。\r\n人事課 検討用 部外秘\r\n", "internal-only" },
		{ "x", "打合せ資料です。\r\n機密性2・取扱注意\r\n", "class-2,handle-with-care" },
		{ "［機密性2］極秘 組織改正案", "資料です。", "class-2,secret-mark" },
		{ "x", "打合せ資料です。\r\n㊙\r\n", "secret-mark" },
		{ "x", "打合せ資料です。\r\n丸秘\r\n", "secret-mark" },
		{ "x", "打合せ資料です。\r\n秘\r\n", "secret-mark" },
		{ "x", "打合せ資料です。【秘】組織改正案を添付します。", "secret-mark" },
		/* mentions */
		{ "x", "研修のご案内です。極秘扱いの文書は複写しないでください。",
		  "classification-mention" },
		{ "x", "研修のご案内です。取扱注意と表示された書類は施錠保管します。",
		  "classification-mention" },
		{ "x", "研修のご案内です。\r\n取扱注意と表示された書類は施錠保管します。",
		  "classification-mention" },
		{ "x", "研修では、部外秘の資料や関係者限りの資料の保管方法を説明します。",
		  "classification-mention" },
		{ "x", "研修のご案内です。「社外秘」の文書は持ち出せません。",
		  "classification-mention" },
		{ "x", "研修のご案内です。【取扱注意】と書かれた封筒は開封しないでください。",
		  "classification-mention" },
		{ "x", "研修のご案内です。(秘)の印がある書類は回収します。",
		  "classification-mention" },
		{ "x", "研修のご案内です。\r\n取扱注意・部外秘の文書は施錠保管してください。",
		  "classification-mention" },
		{ "x", "研修のご案内です。マル秘の書類はシュレッダーで処分します。",
		  "classification-mention" },
		/* 秘 inside words, and words near the stamps: nothing */
		{ "秘書課からの連絡", "秘書が便秘で休み、容疑者は黙秘した。秘密保持契約を結ぶ。\r\n秘匿", "" },
		{ "x", "関係者以外は立入禁止です。部外者は受付へ。取扱説明書を読んでください。", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[1024];

		snprintf(msg, sizeof(msg),
			 "From: tanaka@example.lg.jp\r\nTo: t.yamada@sakura-sys.example\r\n"
			 "Subject: %s\r\nMIME-Version: 1.0\r\n"
			 "Content-Type: text/plain; charset=UTF-8\r\n\r\n%s\r\n",
			 cases[i].subject, cases[i].body);
		scan(NULL, msg);
		ck_assert_msg(strcmp(classified_rules(), cases[i].rules) == 0,
			      "%s | %s: got \"%s\", want \"%s\"", cases[i].subject, cases[i].body,
			      classified_rules(), cases[i].rules);
		/* a stamp word is never rejected, label or mention */
		ck_assert_int_ne(res.verdict, ENG_ACT_REJECT);
	}
}
END_TEST

START_TEST(test_ordinary_dates_are_not_birth_dates)
{
	scan(NULL, MAIL("提出のお願い",
		"申請書に生年月日をご記入のうえ、令和6年4月1日までに提出してください。\r\n"
		"次回の打合せは2024/05/10です。\r\n"));
	ck_assert_uint_eq(npersonal(), 0);
}
END_TEST

START_TEST(test_special_care_about_a_person_is_found)
{
	scan(NULL, MAIL("ケース記録",
		"保健福祉課です。\r\n鈴木一郎様は生活保護を受給中で、身体障害者手帳2級をお持ちです。\r\n"));
	ck_assert_ptr_nonnull(find("special-care"));
	ck_assert_uint_eq(find("special-care")->count, 2);
	assert_hidden("鈴木");
}
END_TEST

START_TEST(test_all_staff_health_check_notice_is_not_special_care)
{
	scan(NULL, MAIL("定期健康診断のお知らせ",
		"職員各位\r\n\r\n令和6年度の定期健康診断を下記のとおり実施します。\r\n"
		"健康診断の結果は後日、皆様に個別に通知します。要再検査となった方は受診してください。\r\n"));
	ck_assert_uint_eq(npersonal(), 0);
	/* No name at all: a general statement, not about a person. */
	scan(NULL, MAIL("x", "生活保護の制度についてご案内します。\r\n"));
	ck_assert_uint_eq(npersonal(), 0);
}
END_TEST

START_TEST(test_ten_addresses_are_a_roster_nine_are_not)
{
	char body[2048] = "", msg[4096];

	for (int i = 0; i < 10; i++) {
		char l[64];
		snprintf(l, sizeof(l), "participant%02d@gmail.com\r\n", i);
		strcat(body, l);
	}
	snprintf(msg, sizeof(msg), MAIL("参加者一覧", "%s"), body);
	scan(NULL, msg);
	ck_assert_ptr_nonnull(find("roster-email"));
	ck_assert_uint_eq(find("roster-email")->count, 10);
	assert_hidden("participant00@gmail.com");
	strstr(body, "participant09")[0] = '\0';
	snprintf(msg, sizeof(msg), MAIL("参加者一覧", "%s"), body);
	scan(NULL, msg);
	ck_assert_ptr_null(find("roster-email"));
}
END_TEST

START_TEST(test_table_with_personal_columns_is_a_roster)
{
	scan(NULL, MAIL("名簿", "No\t氏名\t住所\t電話番号\r\n1\t山田太郎\t東京都さくら区1-2-3\t03-1111-2222\r\n"
			"2\t佐藤花子\t東京都さくら区4-5-6\t03-3333-4444\r\n"));
	ck_assert_ptr_nonnull(find("roster-table"));
	ck_assert_uint_eq(find("roster-table")->count, 2);
	ck_assert_ptr_nonnull(strstr(find("roster-table")->evidence, "氏名"));
	assert_hidden("山田太郎");
	/* The same words in a sentence are no table. */
	scan(NULL, MAIL("x", "氏名、住所、電話番号を記入してください。\r\n"));
	ck_assert_ptr_null(find("roster-table"));
}
END_TEST

/* Issue 13: cells are split at tabs, commas, '|' or runs of spaces,
 * never at the single space between two English words; a full-width
 * space (a single space after NFKC) still separates Japanese columns. */
START_TEST(test_english_prose_is_no_table_and_spaced_tables_are)
{
	scan(NULL, MAIL("Seminar", "Please register on our web page.\r\n"
			"Your name and email address will not be shared.\r\n"
			"We look forward to seeing you.\r\n"));
	ck_assert_ptr_null(find("roster-table"));
	scan(NULL, MAIL("List", "Name          Address             Phone\r\n"
			"Taro Yamada   1-2-3 Sakura Tokyo  03-1111-2222\r\n"
			"Hanako Sato   4-5-6 Sakura Tokyo  03-3333-4444\r\n"));
	ck_assert_ptr_nonnull(find("roster-table"));
	ck_assert_uint_eq(find("roster-table")->count, 2);
	scan(NULL, MAIL("名簿", "氏名\xe3\x80\x80住所\xe3\x80\x80電話番号\r\n"
			"山田太郎\xe3\x80\x80東京都さくら区1-2-3\xe3\x80\x80" "03-1111-2222\r\n"
			"佐藤花子\xe3\x80\x80東京都さくら区4-5-6\xe3\x80\x80" "03-3333-4444\r\n"));
	ck_assert_ptr_nonnull(find("roster-table"));
	ck_assert_uint_eq(find("roster-table")->count, 2);
}
END_TEST

static const char *const signature =
	"\r\n━━━━━━━━━━━━━━━━━━━━\r\n"
	"さくら区 保健福祉部 保健福祉課\r\n田中 花子\r\n"
	"〒123-4567 東京都さくら区桜町1-2-3\r\n"
	"TEL: 03-1234-5678 (内線 1234) FAX: 03-1234-5679\r\n"
	"E-mail: tanaka@example.lg.jp\r\n━━━━━━━━━━━━━━━━━━━━\r\n";

START_TEST(test_sender_signature_is_not_personal_data)
{
	char msg[2048];
	const char *text = "本文\n\n--\nさくら区 田中\nTEL 03-1234-5678\n";

	ck_assert_uint_eq(eng_pd_signature_start(text, strlen(text)), 8);
	snprintf(msg, sizeof(msg), MAIL("ご連絡", "山田様\r\n資料をお送りします。\r\n%s"), signature);
	scan(NULL, msg);
	ck_assert_uint_eq(npersonal(), 0);
	text = "本文です。\nTEL 03-1111-1111\nTEL 03-2222-2222\n";
	/* Prose ends a signature: what stands above it is read. */
	ck_assert_uint_lt(eng_pd_signature_start(text, strlen(text)), strlen(text));
}
END_TEST

START_TEST(test_personal_data_in_the_subject_counts)
{
	scan(NULL, MAIL("=?UTF-8?B?5YCL5Lq655Wq5Y+3IDEyMzQ1Njc4OTAxOA==?=", "本文\r\n"));
	ck_assert_ptr_nonnull(find("mynumber"));
	ck_assert_str_eq(find("mynumber")->where, "header:Subject");
}
END_TEST

START_TEST(test_pathological_text_ends_in_bounded_time)
{
	size_t n = 2000000;
	char *msg = malloc(n + 256);
	size_t k = (size_t)snprintf(msg, 256, MAIL("x", ""));

	for (size_t i = 0; i < n; i++)
		msg[k + i] = "1 -"[i % 3 == 2 ? 1 : 0];
	msg[k + n] = '\0';
	scan_conf(NULL, NULL, msg, k + n);
	free(msg);
	ck_assert(res.outbound);
}
END_TEST

/* Issue 13, class 6: a pattern that hits a PCRE2 limit did not read the
 * text; that is a scan limit (hold), never "no match". The engine's
 * match limit is forced down to 1 so that every pattern hits it. */
START_TEST(test_pcre2_limit_is_a_scan_limit_not_no_match)
{
	static const char msg[] = MAIL("x", "機密性3A\r\n個人番号 123456789018\r\n");
	eng_envelope env = { .mail_from = "tanaka@example.lg.jp" };
	char *text = sg_test_conf_join(BASE_CONF, NULL), *path = sg_test_write(text);
	sg_buf err;
	sg_conf *conf;
	eng_engine *eng;
	bool mark = false, pd = false;

	sg_buf_init(&err, 8192);
	conf = sg_conf_load(path, &err);
	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	eng = eng_engine_new(conf, &err);
	ck_assert_msg(eng != NULL, "%s", sg_buf_cstr(&err));
	pcre2_set_match_limit(eng->mctx, 1);
	eng_result_free(&res);
	ck_assert_int_eq(eng_scan(eng, &env, msg, sizeof(msg) - 1, &res), 0);
	for (size_t i = 0; i < res.nfindings; i++) {
		const eng_finding *f = &res.findings[i];

		ck_assert(f->cat != ENG_CAT_CLASSIFIED && f->cat != ENG_CAT_PERSONAL);
		if (f->cat == ENG_CAT_SCANLIMIT && strcmp(f->rule, "pattern-limit") == 0 &&
		    strcmp(f->where, "body") == 0) {
			mark |= strcmp(f->evidence, "class-3") == 0;
			pd |= strcmp(f->evidence, "class-3") != 0;
		}
	}
	/* One finding per limit and place: the first rule that hit it (a
	 * marking: they run first) is its evidence, and it holds. */
	ck_assert(mark);
	ck_assert(!pd);
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	eng_engine_free(eng);
	sg_conf_free(conf);
	sg_buf_free(&err);
	unlink(path);
	free(path);
	free(text);
}
END_TEST

/* The same limit inside the personal-data detectors alone: the
 * classification rules are set aside for this scan. */
START_TEST(test_pcre2_limit_in_personal_data_is_a_scan_limit)
{
	static const char msg[] = MAIL("x", "個人番号 123456789018\r\n");
	eng_envelope env = { .mail_from = "tanaka@example.lg.jp" };
	char *text = sg_test_conf_join(BASE_CONF, NULL), *path = sg_test_write(text);
	sg_buf err;
	sg_conf *conf;
	eng_engine *eng;
	bool limit = false;
	size_t nmarks;

	sg_buf_init(&err, 8192);
	conf = sg_conf_load(path, &err);
	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	eng = eng_engine_new(conf, &err);
	ck_assert_msg(eng != NULL, "%s", sg_buf_cstr(&err));
	nmarks = eng->nmarks;
	eng->nmarks = 0;
	pcre2_set_match_limit(eng->mctx, 1);
	eng_result_free(&res);
	ck_assert_int_eq(eng_scan(eng, &env, msg, sizeof(msg) - 1, &res), 0);
	eng->nmarks = nmarks;
	for (size_t i = 0; i < res.nfindings; i++)
		limit |= res.findings[i].cat == ENG_CAT_SCANLIMIT &&
			 strcmp(res.findings[i].rule, "pattern-limit") == 0 &&
			 strcmp(res.findings[i].where, "body") == 0;
	ck_assert(limit);
	ck_assert(find("mynumber") == NULL);
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	eng_engine_free(eng);
	sg_conf_free(conf);
	sg_buf_free(&err);
	unlink(path);
	free(path);
	free(text);
}
END_TEST

/* A rules dir holding the tree's files and a broken personal-data. */
static char *broken_rules(const char *pd)
{
	char *dir = strdup("/tmp/sg_pd_XXXXXX"), src[1024], dst[1024];
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (int i = 0; i < 4; i++) {
		const char *names[] = { "consumer-domains", "classification",
					"dangerous-extensions", "surnames" };
		snprintf(src, sizeof(src), "%s/rules/%s", sg_test_srcdir(), names[i]);
		snprintf(dst, sizeof(dst), "%s/%s", dir, names[i]);
		(void)symlink(src, dst);
	}
	snprintf(dst, sizeof(dst), "%s/personal-data", dir);
	fp = fopen(dst, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(pd, fp);
	fclose(fp);
	return dir;
}

static void expect_rule_error(const char *pd, const char *want)
{
	char *dir = broken_rules(pd), *text, *path;
	size_t n = strlen(dir) + 128;
	sg_buf err;
	sg_conf *conf;

	text = malloc(n);
	snprintf(text, n, BASE_CONF "[rules]\ndir = %s\n", dir);
	path = sg_test_write(text);
	sg_buf_init(&err, 8192);
	conf = sg_conf_load(path, &err);
	ck_assert_ptr_nonnull(conf);
	ck_assert_ptr_null(eng_engine_new(conf, &err));
	ck_assert_msg(strstr(sg_buf_cstr(&err), want) != NULL, "%s", sg_buf_cstr(&err));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "personal-data"));
	sg_conf_free(conf);
	sg_buf_free(&err);
	unlink(path);
	free(path);
	free(text);
	free(dir);
}

START_TEST(test_malformed_rule_is_a_start_up_error_with_file_line_rule)
{
	expect_rule_error("[a]\nlabel_ja = あ\nlabel_en = a\nkind = keyword\n"
			  "keywords = x\npattern = ([0-9]\n", ":6: [a] pattern: bad pattern");
	expect_rule_error("[b]\nlabel_ja = い\nlabel_en = b\nkind = validated\n"
			  "pattern = [0-9]{12}\n", ":1: [b]: a validated rule needs a validator");
	expect_rule_error("[c]\nkind = sometimes\n", ":2: [c] kind: expected");
	expect_rule_error("[d]\nwindow = -3\n", ":2: [d] window");
	expect_rule_error("[e]\ncolour = blue\n", ":2: [e] colour: unknown key");
}
END_TEST

/* ---- attachments ------------------------------------------------------ */

static char *to_cp932(const char *utf8, size_t *outlen)
{
	iconv_t cd = iconv_open("CP932", "UTF-8");
	size_t inl = strlen(utf8), outl = inl * 2 + 16;
	char *out = malloc(outl), *in = (char *)utf8, *o = out;

	ck_assert(cd != (iconv_t)-1);
	ck_assert(iconv(cd, &in, &inl, &o, &outl) != (size_t)-1);
	iconv_close(cd);
	*outlen = (size_t)(o - out);
	return out;
}

static const char *b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(const unsigned char *d, size_t n, sg_buf *out)
{
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)d[i] << 16 | (i + 1 < n ? (unsigned)d[i + 1] << 8 : 0) |
			     (i + 2 < n ? d[i + 2] : 0);
		sg_buf_putc(out, b64[v >> 18 & 63]);
		sg_buf_putc(out, b64[v >> 12 & 63]);
		sg_buf_putc(out, i + 1 < n ? b64[v >> 6 & 63] : '=');
		sg_buf_putc(out, i + 2 < n ? b64[v & 63] : '=');
		if (i % 57 == 54)
			sg_buf_puts(out, "\r\n");
	}
	sg_buf_puts(out, "\r\n");
}

START_TEST(test_cp932_csv_attachment_with_personal_columns_is_found)
{
	size_t n;
	char *csv = to_cp932("氏名,フリガナ,住所,生年月日\r\n山田太郎,ヤマダタロウ,東京都さくら区1-2-3,1975/01/02\r\n"
			     "佐藤花子,サトウハナコ,東京都さくら区4-5-6,1980/03/04\r\n", &n);
	sg_buf msg;

	sg_buf_init(&msg, SG_BUF_UNLIMITED);
	sg_buf_puts(&msg, "To: t.yamada@sakura-sys.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
		    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
		    "Content-Type: text/plain; charset=UTF-8\r\n\r\n名簿を送ります。\r\n--b\r\n"
		    "Content-Type: application/octet-stream\r\n"
		    "Content-Disposition: attachment; filename=\"meibo.csv\"\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n");
	base64((const unsigned char *)csv, n, &msg);
	sg_buf_puts(&msg, "--b--\r\n");
	scan_conf(NULL, NULL, msg.data, msg.len);
	ck_assert_ptr_nonnull(find("roster-table"));
	ck_assert_str_eq(find("roster-table")->where, "meibo.csv");
	ck_assert_uint_eq(find("roster-table")->count, 2);
	assert_hidden("山田太郎");
	free(csv);
	sg_buf_free(&msg);
}
END_TEST

START_TEST(test_xml_text_keeps_rows_and_cells)
{
	sg_buf out;
	const char *docx = "<w:document><w:body><w:p><w:r><w:t>個人番号 &amp; 氏名</w:t></w:r></w:p>"
			   "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>氏名</w:t></w:r></w:p></w:tc>"
			   "<w:tc><w:p><w:r><w:t>住所</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
			   "<w:p><w:r><w:instrText>HYPERLINK</w:instrText><w:t>&#x6A5F;密性3</w:t></w:r></w:p>";
	const char *shared = "<sst><si><t>氏名</t></si><si><r><t>住</t></r><r><t>所</t></r>"
			     "<rPh><t>ジュウショ</t></rPh></si></sst>";
	const char *sheet = "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c>"
			    "<c r=\"B1\" t=\"s\"><v>1</v></c></row><row r=\"2\"><c r=\"A2\" t=\"inlineStr\">"
			    "<is><t>山田</t></is></c><c r=\"B2\"><f>1+1</f><v>123456789018</v></c></row>"
			    "</sheetData></worksheet>";

	sg_buf_init(&out, SG_BUF_UNLIMITED);
	ck_assert_int_eq(eng_xml_text(docx, strlen(docx), &out), 0);
	ck_assert_str_eq(out.data, "個人番号 & 氏名\n氏名 \t住所 \t\n機密性3\n\n");
	sg_buf_reset(&out);
	ck_assert_int_eq(eng_xlsx_text(shared, strlen(shared), sheet, strlen(sheet), &out), 0);
	ck_assert_str_eq(out.data, "氏名\t住所\n山田\t123456789018\n\n");
	sg_buf_free(&out);
}
END_TEST

/* Issue 17 item 2: a number is a date only through its cell format. */
START_TEST(test_xlsx_dates_through_styles)
{
	sg_buf out;
	const char *styles = "<styleSheet><numFmts count=\"3\">"
		"<numFmt numFmtId=\"176\" formatCode=\"yyyy/m/d\"/>"
		"<numFmt numFmtId=\"177\" formatCode=\"[$-411]ggge&quot;年&quot;m&quot;月&quot;d&quot;日&quot;\"/>"
		"<numFmt numFmtId=\"178\" formatCode=\"#,##0.00E+00\"/></numFmts>"
		"<cellStyleXfs count=\"1\"><xf numFmtId=\"14\"/></cellStyleXfs>"
		"<cellXfs count=\"8\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"176\"/>"
		"<xf numFmtId=\"177\"/><xf numFmtId=\"3\"/><xf numFmtId=\"178\"/><xf numFmtId=\"57\"/>"
		"<xf numFmtId=\"20\"/></cellXfs></styleSheet>";
	const char *sheet = "<worksheet><sheetData><row>"
		"<c s=\"0\"><v>30418</v></c><c s=\"1\"><v>30418</v></c><c s=\"2\"><v>30418.75</v></c>"
		"<c s=\"3\" t=\"n\"><v>30418</v></c><c s=\"4\"><v>30418</v></c><c s=\"5\"><v>30418</v></c>"
		"<c s=\"6\"><v>32516</v></c><c s=\"7\"><v>0.5</v></c><c s=\"99\"><v>30418</v></c>"
		"<c><v>1.23456789012E+11</v></c><c t=\"d\"><v>1983-04-12T00:00:00</v></c>"
		"</row></sheetData><headerFooter><oddHeader>&amp;L&amp;\"ＭＳ ゴシック,太字\"&amp;14機密性３"
		"&amp;C&amp;KFF0000取扱注意&amp;R&amp;P / &amp;N &amp;&amp; 課</oddHeader></headerFooter></worksheet>";
	const char *wb1904 = "<workbook><workbookPr date1904=\"1\"/><sheets><sheet name=\"機密性３\" sheetId=\"1\"/>"
		"<sheet name=\"A&amp;B\" sheetId=\"2\"/></sheets></workbook>";
	eng_xlsx_book *b;

	sg_buf_init(&out, SG_BUF_UNLIMITED);
	b = eng_xlsx_book_new(NULL, 0, styles, strlen(styles), NULL, 0, SG_BUF_UNLIMITED);
	ck_assert_int_eq(eng_xlsx_sheet(b, sheet, strlen(sheet), &out), 0);
	/* General, 14, custom y/m/d (time dropped), custom era, #,##0,
	 * scientific, built-in 57 (era: 1989/01/08 is 平成1年), time-only
	 * 0.5 (no date), an s beyond cellXfs, a long integer in E notation,
	 * t="d"; then the header's three sections as lines. */
	ck_assert_str_eq(out.data, "30418\t1983/04/12\t1983/04/12\t昭和58年4月12日\t30418\t30418\t"
			 "平成1年1月8日\t0.5\t30418\t123456789012\t1983/04/12\n"
			 "\n\n機密性３\n取扱注意\n /  & 課\n\n");
	eng_xlsx_book_free(b);
	sg_buf_reset(&out);
	/* date1904: serial 0 is 1904-01-01; the sheet names are lines. */
	b = eng_xlsx_book_new(NULL, 0, styles, strlen(styles), wb1904, strlen(wb1904), SG_BUF_UNLIMITED);
	ck_assert_int_eq(eng_xlsx_names(b, &out), 0);
	ck_assert_str_eq(out.data, "機密性３\nA&B\n");
	sg_buf_reset(&out);
	ck_assert_int_eq(eng_xlsx_date(28956, true, false, &out), 0);
	ck_assert_str_eq(out.data, "1983/04/12");
	eng_xlsx_book_free(b);
	/* the 1900 system's edges: day 1, Excel's 1900-02-29, day 61 */
	sg_buf_reset(&out);
	ck_assert_int_eq(eng_xlsx_date(1, false, false, &out), 0);
	ck_assert_int_eq(eng_xlsx_date(60, false, false, &out), 0);
	ck_assert_int_eq(eng_xlsx_date(61, false, false, &out), 0);
	ck_assert_int_eq(eng_xlsx_date(43586, false, true, &out), 0);
	ck_assert_str_eq(out.data, "1900/01/011900/02/291900/03/01令和1年5月1日");
	ck_assert_int_eq(eng_xlsx_date(0, false, false, &out), -1);
	ck_assert_int_eq(eng_xlsx_date(2958466, false, false, &out), -1);
	sg_buf_free(&out);
}
END_TEST

/* Text boxes start lines (a marking alone in one is a label); Word's
 * mc:Fallback copy is not read twice; ODF sheet names, date-value
 * cells without shown text, annotations without their author/date. */
START_TEST(test_xml_text_boxes_and_odf)
{
	sg_buf out;
	const char *docx = "<w:p><w:r><w:t>資料番号 12 </w:t></w:r><mc:AlternateContent><mc:Choice>"
		"<w:drawing><wps:txbx><w:txbxContent><w:p><w:r><w:t>機密性３</w:t></w:r></w:p>"
		"</w:txbxContent></wps:txbx></w:drawing></mc:Choice><mc:Fallback><w:pict><v:textbox>"
		"<w:txbxContent><w:p><w:r><w:t>機密性３</w:t></w:r></w:p></w:txbxContent></v:textbox>"
		"</w:pict></mc:Fallback></mc:AlternateContent></w:p>";
	const char *ods = "<office:body><office:spreadsheet><table:table table:name=\"機密性３\">"
		"<table:table-row><table:table-cell office:value-type=\"date\" office:date-value=\"1983-04-12\"/>"
		"<table:table-cell office:value-type=\"date\" office:date-value=\"1975-01-30\"></table:table-cell>"
		"<table:table-cell office:value-type=\"date\" office:date-value=\"1990-11-03T00:00:00\">"
		"<text:p>H2.11.3</text:p></table:table-cell></table:table-row></table:table>"
		"</office:spreadsheet></office:body>";
	const char *odt = "<text:p>本文<office:annotation><dc:creator>山田 太郎</dc:creator>"
		"<dc:date>2025-11-24T10:00:00</dc:date><text:p>関係者限り</text:p></office:annotation>続き</text:p>";

	sg_buf_init(&out, SG_BUF_UNLIMITED);
	ck_assert_int_eq(eng_xml_text(docx, strlen(docx), &out), 0);
	ck_assert_str_eq(out.data, "資料番号 12 \n機密性３\n\n\n\n");
	sg_buf_reset(&out);
	ck_assert_int_eq(eng_xml_text(ods, strlen(ods), &out), 0);
	ck_assert_str_eq(out.data, "機密性３\n1983/04/12\t1975/01/30\tH2.11.3 \t\n\n");
	sg_buf_reset(&out);
	ck_assert_int_eq(eng_xml_text(odt, strlen(odt), &out), 0);
	ck_assert_str_eq(out.data, "本文\n関係者限り\n\n続き\n\n");
	sg_buf_free(&out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("personal-data");
	TCase *tc = tcase_create("pd");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_mynumber_check_digit_follows_the_policy_formula);
	tcase_add_test(tc, test_card_needs_luhn_and_a_known_issuer);
	tcase_add_test(tc, test_valid_mynumber_with_keyword_is_high_and_masked);
	tcase_add_test(tc, test_two_valid_numbers_alone_are_medium_one_is_low);
	tcase_add_test(tc, test_min_confidence_high_drops_medium_findings);
	tcase_add_test(tc, test_keyword_window_edges_are_exact);
	tcase_add_test(tc, test_full_width_grouped_mynumber_is_found);
	tcase_add_test(tc, test_hard_negatives_are_not_individual_numbers);
	tcase_add_test(tc, test_card_numbers_are_found_and_masked);
	tcase_add_test(tc, test_bank_account_and_japan_post_need_their_words);
	tcase_add_test(tc, test_birth_dates_in_western_and_era_forms);
	tcase_add_test(tc, test_ordinary_dates_are_not_birth_dates);
	tcase_add_test(tc, test_abbreviated_birth_dates_next_to_a_person);
	tcase_add_test(tc, test_birth_date_about_no_one_is_not_personal_data);
	tcase_add_test(tc, test_birth_date_columns);
	tcase_add_test(tc, test_roster_table_name_headers_as_forms_write_them);
	tcase_add_test(tc, test_japan_post_symbol_and_number_in_columns_are_one_account);
	tcase_add_test(tc, test_names_as_japanese_mail_writes_them);
	tcase_add_test(tc, test_special_care_phrasing_about_a_named_person);
	tcase_add_test(tc, test_facility_phones_are_not_a_roster_people_phones_are);
	tcase_add_test(tc, test_marking_labels_and_mentions);
	tcase_add_test(tc, test_stamp_words_labels_and_mentions);
	tcase_add_test(tc, test_special_care_about_a_person_is_found);
	tcase_add_test(tc, test_all_staff_health_check_notice_is_not_special_care);
	tcase_add_test(tc, test_ten_addresses_are_a_roster_nine_are_not);
	tcase_add_test(tc, test_table_with_personal_columns_is_a_roster);
	tcase_add_test(tc, test_english_prose_is_no_table_and_spaced_tables_are);
	tcase_add_test(tc, test_sender_signature_is_not_personal_data);
	tcase_add_test(tc, test_personal_data_in_the_subject_counts);
	tcase_add_test(tc, test_pathological_text_ends_in_bounded_time);
	tcase_add_test(tc, test_pcre2_limit_is_a_scan_limit_not_no_match);
	tcase_add_test(tc, test_pcre2_limit_in_personal_data_is_a_scan_limit);
	tcase_add_test(tc, test_malformed_rule_is_a_start_up_error_with_file_line_rule);
	tcase_add_test(tc, test_cp932_csv_attachment_with_personal_columns_is_found);
	tcase_add_test(tc, test_xml_text_keeps_rows_and_cells);
	tcase_add_test(tc, test_xlsx_dates_through_styles);
	tcase_add_test(tc, test_xml_text_boxes_and_odf);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	eng_result_free(&res);
	return failed ? 1 : 0;
}
