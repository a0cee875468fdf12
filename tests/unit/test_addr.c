/*
 * NAME
 *	test_addr - unit tests for eng_addr (address-list parsing)
 * DESCRIPTION
 *	Address lists as real clients write them, including what Outlook
 *	and Japanese clients get wrong. exposed-recipients counts what
 *	this parser finds, so counts are checked exactly.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/eng_addr.h"
#include "util/sg_addr.h"

/* ---- helpers ------------------------------------------------------ */

static eng_addr_list L;

static void setup(void)
{
	eng_addr_list_init(&L, 0);
}

static void teardown(void)
{
	eng_addr_list_free(&L);
}

static size_t parse(const char *raw)
{
	return eng_addr_parse(raw, strlen(raw), &L);
}

static const char *nz(const char *s)
{
	return s ? s : "(null)";
}

/* Checks mailbox i; NULL for display or group means: none. */
static void expect_mb(size_t i, const char *addr, const char *domain,
		      const char *display, const char *group, int line)
{
	const eng_mailbox *m;

	ck_assert_msg(i < L.n, "line %d: only %zu mailboxes", line, L.n);
	m = &L.v[i];
	ck_assert_msg(strcmp(nz(m->addr), addr) == 0,
		      "line %d: addr [%s], want [%s]", line, nz(m->addr), addr);
	ck_assert_msg(strcmp(nz(m->domain), domain) == 0,
		      "line %d: domain [%s], want [%s]", line, nz(m->domain),
		      domain);
	ck_assert_msg(strcmp(nz(m->display), nz(display)) == 0,
		      "line %d: display [%s], want [%s]", line,
		      nz(m->display), nz(display));
	ck_assert_msg(strcmp(nz(m->group), nz(group)) == 0,
		      "line %d: group [%s], want [%s]", line, nz(m->group),
		      nz(group));
}

#define MB(i, addr, domain, display, group) \
	expect_mb(i, addr, domain, display, group, __LINE__)

static void expect_count(const char *raw, size_t want, int line)
{
	eng_addr_list l;
	size_t got;

	eng_addr_list_init(&l, 0);
	got = eng_addr_parse(raw, strlen(raw), &l);
	ck_assert_msg(got == want && l.n == want,
		      "line %d: [%s] gave %zu mailboxes, want %zu", line, raw,
		      got, want);
	eng_addr_list_free(&l);
}

#define COUNT(raw, want) expect_count(raw, want, __LINE__)

static unsigned long rng_state;

static unsigned char rnd(void)
{
	rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned char)(rng_state >> 33);
}

static char *random_text(size_t n, unsigned long seed, const char *alpha)
{
	size_t an = alpha ? strlen(alpha) : 0, i;
	char *p = malloc(n + 1);

	ck_assert_ptr_nonnull(p);
	rng_state = seed;
	for (i = 0; i < n; i++)
		p[i] = alpha ? alpha[rnd() % an] : (char)rnd();
	p[n] = '\0';
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

/* ---- mailboxes ---------------------------------------------------- */

START_TEST(test_name_angle_addr)
{
	ck_assert_uint_eq(parse("Yamada <yamada@city.example.lg.jp>"), 1);
	MB(0, "yamada@city.example.lg.jp", "city.example.lg.jp", "Yamada",
	   NULL);
}
END_TEST

START_TEST(test_quoted_display_name_with_comma_is_one_mailbox)
{
	ck_assert_uint_eq(parse("\"Yamada, Taro\" <t@Example.LG.JP.>, "
				"\"Sato, Hanako\" <h@x.jp>"), 2);
	MB(0, "t@Example.LG.JP.", "example.lg.jp", "Yamada, Taro", NULL);
	MB(1, "h@x.jp", "x.jp", "Sato, Hanako", NULL);
}
END_TEST

START_TEST(test_quoted_display_name_with_specials_and_escapes)
{
	ck_assert_uint_eq(parse("\"a <b@c.jp>, \\\"q\\\"\" <real@x.jp>"), 1);
	MB(0, "real@x.jp", "x.jp", "a <b@c.jp>, \"q\"", NULL);
}
END_TEST

START_TEST(test_encoded_japanese_display_name_decodes)
{
	ck_assert_uint_eq(parse("=?UTF-8?B?5bGx55SwIOWkqumDjg==?= "
				"<yamada@example.jp>, "
				"=?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= "
				"<t.yamada@example.jp>, "
				"\"=?UTF-8?B?6Yi05pyo?=\" <suzuki@example.jp>, "
				"=?UTF-8?B?6Yi05pyo?= =?UTF-8?B?6Iqx5a2Q?= "
				"<hanako@example.jp>"), 4);
	MB(0, "yamada@example.jp", "example.jp", "山田 太郎", NULL);
	MB(1, "t.yamada@example.jp", "example.jp", "山田 太郎", NULL);
	MB(2, "suzuki@example.jp", "example.jp", "鈴木", NULL);
	MB(3, "hanako@example.jp", "example.jp", "鈴木花子", NULL);
}
END_TEST

START_TEST(test_bare_and_commented_addresses)
{
	ck_assert_uint_eq(parse("a@b.jp, c@d.jp (Name), <e@f.jp>, "
				"(a (b) c) g@h.jp (note)"), 4);
	MB(0, "a@b.jp", "b.jp", NULL, NULL);
	MB(1, "c@d.jp", "d.jp", "Name", NULL);
	MB(2, "e@f.jp", "f.jp", NULL, NULL);
	MB(3, "g@h.jp", "h.jp", "a (b) c", NULL);
}
END_TEST

START_TEST(test_comment_inside_name_is_not_the_name)
{
	ck_assert_uint_eq(parse("Yamada (Somu-ka) Taro <t@x.jp>"), 1);
	MB(0, "t@x.jp", "x.jp", "Yamada Taro", NULL);
}
END_TEST

START_TEST(test_source_route_is_dropped)
{
	ck_assert_uint_eq(parse("Route <@r1.jp,@r2.jp:a@B.jp>, c@d.jp"), 2);
	MB(0, "a@B.jp", "b.jp", "Route", NULL);
	MB(1, "c@d.jp", "d.jp", NULL, NULL);
}
END_TEST

START_TEST(test_group_members_carry_group_name)
{
	ck_assert_uint_eq(parse("Team: a@x.jp, \"B, C\" <b@y.jp>;"), 2);
	MB(0, "a@x.jp", "x.jp", NULL, "Team");
	MB(1, "b@y.jp", "y.jp", "B, C", "Team");
}
END_TEST

START_TEST(test_undisclosed_recipients_is_empty)
{
	COUNT("undisclosed-recipients:;", 0);
	COUNT("undisclosed-recipients: ;", 0);
	COUNT("=?ISO-2022-JP?B?GyRCNSFMKRsoQg==?=:;", 0);
}
END_TEST

START_TEST(test_several_groups_and_mailboxes)
{
	ck_assert_uint_eq(parse("G1: a@x.jp; G2: b@y.jp, c@z.jp;, d@w.jp, "
				"=?UTF-8?B?5pel5pys6Kqe?=: e@v.jp;"), 5);
	MB(0, "a@x.jp", "x.jp", NULL, "G1");
	MB(1, "b@y.jp", "y.jp", NULL, "G2");
	MB(2, "c@z.jp", "z.jp", NULL, "G2");
	MB(3, "d@w.jp", "w.jp", NULL, NULL);
	MB(4, "e@v.jp", "v.jp", NULL, "日本語");
}
END_TEST

START_TEST(test_missing_commas_between_angle_addrs)
{
	ck_assert_uint_eq(parse("<a@x.jp> <b@y.jp>"), 2);
	MB(0, "a@x.jp", "x.jp", NULL, NULL);
	MB(1, "b@y.jp", "y.jp", NULL, NULL);
	COUNT("A <a@x.jp> B <b@y.jp> \"C\" <c@z.jp>", 3);
	COUNT("<a@x.jp> junk words", 1);
	COUNT("\"Yamada\" <a@x.jp> Somu-ka", 1);
	COUNT("<a@x.jp> (comment), b@y.jp", 2);
	COUNT("<a@x.jp> b@y.jp", 2);
}
END_TEST

START_TEST(test_empty_elements_and_stray_commas)
{
	COUNT(", a@x.jp,, ,b@y.jp,", 2);
	COUNT("", 0);
	COUNT(" , ; ,", 0);
	COUNT("<>", 0);
	COUNT("\"Display only\"", 0);
	COUNT("Yamada Taro", 0);
}
END_TEST

START_TEST(test_quoted_local_part_and_domain_literal)
{
	ck_assert_uint_eq(parse("\"john doe\"@x.jp, a@[192.0.2.1], "
				"\"a@b\"@Y.JP"), 3);
	MB(0, "\"john doe\"@x.jp", "x.jp", NULL, NULL);
	MB(1, "a@[192.0.2.1]", "[192.0.2.1]", NULL, NULL);
	MB(2, "\"a@b\"@Y.JP", "y.jp", NULL, NULL);
}
END_TEST

START_TEST(test_element_without_at_is_kept_with_empty_domain)
{
	ck_assert_uint_eq(parse("postmaster, <root>, admin (Kanri)"), 3);
	MB(0, "postmaster", "", NULL, NULL);
	MB(1, "root", "", NULL, NULL);
	MB(2, "admin", "", "Kanri", NULL);
}
END_TEST

START_TEST(test_missing_angle_brackets_take_glued_words)
{
	ck_assert_uint_eq(parse("Yamada yamada@x.jp"), 1);
	MB(0, "yamada@x.jp", "x.jp", "Yamada", NULL);
}
END_TEST

START_TEST(test_domain_is_normalised_and_addr_trimmed)
{
	ck_assert_uint_eq(parse("  A@EXAMPLE.JP.  ,\r\n\tB@Sub.Example.Jp"), 2);
	MB(0, "A@EXAMPLE.JP.", "example.jp", NULL, NULL);
	MB(1, "B@Sub.Example.Jp", "sub.example.jp", NULL, NULL);
}
END_TEST

START_TEST(test_unclosed_quote_bracket_or_comment_reads_what_it_can)
{
	ck_assert_uint_eq(parse("a@x.jp, \"unclosed <b@y.jp>"), 1);
	MB(0, "a@x.jp", "x.jp", NULL, NULL);
	eng_addr_list_free(&L);
	ck_assert_uint_eq(parse("Name <a@x.jp"), 1);
	MB(0, "a@x.jp", "x.jp", "Name", NULL);
	eng_addr_list_free(&L);
	ck_assert_uint_eq(parse("a@x.jp (unclosed (comment"), 1);
	MB(0, "a@x.jp", "x.jp", "unclosed (comment", NULL);
	eng_addr_list_free(&L);
	ck_assert_uint_eq(parse("a@[192.0.2.1"), 1);
	MB(0, "a@[192.0.2.1", "[192.0.2.1", NULL, NULL);
	COUNT("Team: a@x.jp, b@y.jp", 2);
	COUNT("a@x.jp>, b@y.jp)", 2);
}
END_TEST

START_TEST(test_twelve_address_list_counts_twelve)
{
	const char *raw =
	    "\"=?UTF-8?B?5bGx55SwIOWkqumDjg==?=\" <taro@gmail.com>, "
	    "hanako@yahoo.co.jp, \"Sato, Ichiro\" <ichiro@docomo.ne.jp>, "
	    "<jiro@ezweb.ne.jp>, saburo@softbank.ne.jp (Saburo), "
	    "shiro@icloud.com, Goro <goro@example.com> "
	    "<rokuro@example.net>, nana@example.org,, "
	    "\"Hachi\" <hachi@city.example.lg.jp>, "
	    "kyu@pref.example.lg.jp, Ju <ju@example.co.jp>";

	ck_assert_uint_eq(parse(raw), 12);
	ck_assert(!L.truncated);
	MB(0, "taro@gmail.com", "gmail.com", "山田 太郎", NULL);
	MB(2, "ichiro@docomo.ne.jp", "docomo.ne.jp", "Sato, Ichiro", NULL);
	MB(7, "rokuro@example.net", "example.net", NULL, NULL);
	MB(11, "ju@example.co.jp", "example.co.jp", "Ju", NULL);
}
END_TEST

START_TEST(test_list_keeps_at_most_max_and_says_truncated)
{
	eng_addr_list l;
	char *p = repeat("a@x.jp, ", 12);

	eng_addr_list_init(&l, 10);
	ck_assert_uint_eq(eng_addr_parse(p, strlen(p), &l), 10);
	ck_assert_uint_eq(l.n, 10);
	ck_assert(l.truncated);
	/* a second header into the same full list adds nothing */
	ck_assert_uint_eq(eng_addr_parse("b@y.jp", 6, &l), 0);
	eng_addr_list_free(&l);
	free(p);

	p = repeat("a@x.jp,", 20000);
	ck_assert_uint_eq(parse(p), ENG_ADDR_MAX);
	ck_assert(L.truncated);
	free(p);
}
END_TEST

START_TEST(test_parse_appends_to_existing_list)
{
	ck_assert_uint_eq(parse("a@x.jp"), 1);
	ck_assert_uint_eq(parse("G: b@y.jp, c@z.jp;"), 2);
	ck_assert_uint_eq(L.n, 3);
	MB(2, "c@z.jp", "z.jp", NULL, "G");
}
END_TEST

START_TEST(test_garbage_input_finishes)
{
	static const char *alphas[] = {
		NULL, "\"(),:;<>@[]\\ a.\r\n\t=?B", "<<<<>", "((((()",
		"\"\"\"\\", ":::;;,", "@@@@a.", "[[[[]",
	};
	size_t n = 100 * 1024, k, i;
	eng_addr_list l;
	char *p;

	for (k = 0; k < sizeof alphas / sizeof alphas[0]; k++) {
		p = random_text(n, 1000 + k, alphas[k]);
		eng_addr_list_init(&l, 0);
		(void)eng_addr_parse(p, n, &l);
		for (i = 0; i < l.n; i++) {
			ck_assert_ptr_nonnull(l.v[i].addr);
			ck_assert_ptr_nonnull(l.v[i].domain);
		}
		eng_addr_list_free(&l);
		free(p);
	}
	ck_assert_uint_eq(eng_addr_parse(NULL, 0, &L), 0);
}
END_TEST

START_TEST(test_very_long_single_elements_finish)
{
	char *p = repeat("\"x, ", 25000);

	ck_assert_uint_eq(parse(p), 0);
	free(p);
	p = repeat("<@r,", 25000);
	COUNT(p, 0);
	free(p);
	p = repeat("=?UTF-8?B?5pel5pys6Kqe?= ", 4000);
	p[strlen(p) - 1] = '\0';
	COUNT(p, 0);
	free(p);
}
END_TEST

/* ---- domain matching ---------------------------------------------- */

START_TEST(test_domain_matches_equal_or_subdomain_only)
{
	ck_assert(eng_addr_domain_matches("example.lg.jp", "example.lg.jp"));
	ck_assert(eng_addr_domain_matches("x.example.lg.jp", "example.lg.jp"));
	ck_assert(eng_addr_domain_matches("a.b.example.lg.jp",
					  "example.lg.jp"));
	ck_assert(eng_addr_domain_matches("X.EXAMPLE.LG.JP.", "example.lg.jp"));
	ck_assert(eng_addr_domain_matches("x.example.lg.jp", "Example.LG.JP."));
	ck_assert(!eng_addr_domain_matches("badexample.lg.jp",
					   "example.lg.jp"));
	ck_assert(!eng_addr_domain_matches("example.lg.jp", "x.example.lg.jp"));
	ck_assert(!eng_addr_domain_matches("example.lg.jp.evil.com",
					   "example.lg.jp"));
	ck_assert(!eng_addr_domain_matches("example.lg.jp", ""));
	ck_assert(!eng_addr_domain_matches("example.lg.jp", "."));
	ck_assert(!eng_addr_domain_matches("", "example.lg.jp"));
	ck_assert(!eng_addr_domain_matches("", ""));
	ck_assert(!eng_addr_domain_matches(NULL, "example.lg.jp"));
}
END_TEST

/* ---- sg_addr: where an address goes, who it is --------------------- */

static char *const OURS[] = { "example.lg.jp" };

static bool internal(const char *given)
{
	return sg_addr_internal(given, OURS, 1);
}

START_TEST(test_relaying_local_parts_are_never_internal)
{
	static const char *const leave[] = {
		"user%gmail.com@example.lg.jp", "\"user@gmail.com\"@example.lg.jp",
		"gmail.com!user@example.lg.jp", "user@gmail.com@example.lg.jp",
		"user\\@gmail.com@example.lg.jp", "\"user%gmail.com\"@example.lg.jp",
		"\"gmail.com!user\"@example.lg.jp", "<USER%GMAIL.COM@EXAMPLE.LG.JP>",
		"user%gmail.com%example.lg.jp@example.lg.jp",
		"@a.example,@b.example:user@gmail.com", "@example.lg.jp:user@gmail.com",
		"\"@gmail.com:user\"@example.lg.jp", "user@[192.0.2.1]",
		"user%gmail.com", "\"user@gmail.com\"", "@example.lg.jp", "",
		"<>", "@a.example,@b.example", "user@badexample.lg.jp",
	};
	for (size_t i = 0; i < sizeof(leave) / sizeof(leave[0]); i++)
		ck_assert_msg(!internal(leave[i]), "%s counted as internal", leave[i]);
}
END_TEST

START_TEST(test_legitimate_forms_stay_internal)
{
	static const char *const stay[] = {
		"tanaka@example.lg.jp", "tanaka+tag@example.lg.jp",
		"\"john doe\"@example.lg.jp", "o'brien@example.lg.jp",
		"taro.yamada-x@hoken.example.lg.jp", "<TANAKA@EXAMPLE.LG.JP.>",
		" <tanaka@example.lg.jp> ", "@relay.example:tanaka@example.lg.jp",
		"@[192.0.2.1],@b.example:tanaka@example.lg.jp",
		"tanaka@ＥＸＡＭＰＬＥ.lg.jp", "\"tanaka\"@example.lg.jp",
	};
	for (size_t i = 0; i < sizeof(stay) / sizeof(stay[0]); i++)
		ck_assert_msg(internal(stay[i]), "%s counted as external", stay[i]);
}
END_TEST

/* Both forms: Postfix's {rcpt_addr} (mydestination rewrites) and the
 * argument as given (relay_domains: the next MTA rewrites). */
START_TEST(test_envelope_recipient_needs_both_forms_internal)
{
	ck_assert(sg_addr_rcpt_internal("tanaka@example.lg.jp", "tanaka@example.lg.jp", OURS, 1));
	ck_assert(sg_addr_rcpt_internal("tanaka@example.lg.jp", NULL, OURS, 1));
	ck_assert(sg_addr_rcpt_internal("tanaka@example.lg.jp", "tanaka", OURS, 1));
	ck_assert(!sg_addr_rcpt_internal("user%gmail.com@example.lg.jp", "user@gmail.com", OURS, 1));
	ck_assert(!sg_addr_rcpt_internal("user%gmail.com@example.lg.jp",
					 "user%gmail.com@example.lg.jp", OURS, 1));
	/* A virtual alias or canonical map that sends it out. */
	ck_assert(!sg_addr_rcpt_internal("tanaka@example.lg.jp", "tanaka@gmail.com", OURS, 1));
	ck_assert(!sg_addr_rcpt_internal("tanaka@example.lg.jp", "tanaka@[192.0.2.1]", OURS, 1));
	ck_assert(sg_addr_rcpt_internal("\"john doe\"@example.lg.jp", "john doe@example.lg.jp",
					OURS, 1));
}
END_TEST

START_TEST(test_parse_removes_route_and_quotes)
{
	sg_addr a;

	ck_assert_int_eq(sg_addr_parse("<@a.example,@b.example:\"user@x\"@Example.LG.JP.>", &a), 0);
	ck_assert_str_eq(a.local, "user@x");
	ck_assert_str_eq(a.domain, "example.lg.jp");
	ck_assert(a.routed);
	ck_assert(!a.literal);
	sg_addr_free(&a);
	ck_assert_int_eq(sg_addr_parse("a\\\"b@[IPv6:::1]", &a), 0);
	ck_assert_str_eq(a.local, "a\"b");
	ck_assert_str_eq(a.domain, "[ipv6:::1]");
	ck_assert(a.literal);
	sg_addr_free(&a);
	ck_assert_int_eq(sg_addr_parse("tanaka", &a), 0);
	ck_assert_str_eq(a.domain, "");
	sg_addr_free(&a);
	ck_assert_int_eq(sg_addr_parse("  ", &a), -1);
}
END_TEST

START_TEST(test_idn_domains_have_one_form)
{
	char *a = sg_addr_domain_canon("日本語.example.JP.");
	char *b = sg_addr_domain_canon("XN--WGV71A119E.example.jp");
	char *c = sg_addr_domain_canon("日本語．ｅｘａｍｐｌｅ．ｊｐ");
	char *d = sg_addr_domain_canon("Example.LG.JP");

	ck_assert_str_eq(a, "xn--wgv71a119e.example.jp");
	ck_assert_str_eq(b, a);
	ck_assert_str_eq(c, a);
	ck_assert_str_eq(d, "example.lg.jp");
	free(a);
	free(b);
	free(c);
	free(d);
}
END_TEST

START_TEST(test_identity_is_lower_case_and_without_extension)
{
	char *e = sg_addr_identity("<Kacho+X@City.Example.LG.JP>", "+", false);
	char *s = sg_addr_identity("<Kacho+X@City.Example.LG.JP>", "+", true);
	char *m = sg_addr_identity("a-b+c@x.jp", "+-", true);
	char *l = sg_addr_identity("Kacho", "+", true);

	ck_assert_str_eq(e, "kacho+x@city.example.lg.jp");
	ck_assert_str_eq(s, "kacho@city.example.lg.jp");
	ck_assert_str_eq(m, "a@x.jp");
	ck_assert_str_eq(l, "kacho");
	ck_assert_ptr_null(sg_addr_identity("", "+", true));
	free(e);
	free(s);
	free(m);
	free(l);
}
END_TEST

START_TEST(test_same_person_compares_exact_and_stripped)
{
	ck_assert(sg_addr_same_person("kacho+x@example.lg.jp", "KACHO@example.lg.jp", "+"));
	ck_assert(sg_addr_same_person("kacho@example.lg.jp", "kacho+y@EXAMPLE.lg.jp.", "+"));
	ck_assert(sg_addr_same_person("\"kacho\"@example.lg.jp", "kacho@example.lg.jp", "+"));
	ck_assert(!sg_addr_same_person("kacho-x@example.lg.jp", "kacho@example.lg.jp", "+"));
	/* With '-', jinji-ka and jinji are refused as one: the safe side. */
	ck_assert(sg_addr_same_person("jinji-ka@example.lg.jp", "jinji@example.lg.jp", "-"));
	ck_assert(sg_addr_same_person("ｋａｃｈｏ@example.lg.jp", "kacho@example.lg.jp", "+"));
	ck_assert(!sg_addr_same_person("kacho@example.lg.jp", "kakaricho@example.lg.jp", "+"));
	ck_assert(!sg_addr_same_person("", "", "+"));
	/* Granting is strict: an extension is another address. */
	ck_assert(!sg_addr_same_exact("kacho+x@example.lg.jp", "kacho@example.lg.jp"));
	ck_assert(sg_addr_same_exact("<Kacho@Example.LG.JP>", "kacho@example.lg.jp"));
}
END_TEST

START_TEST(test_idset_holds_every_identity_of_the_sender)
{
	sg_idset s;
	char *const doms[] = { "example.lg.jp", "city.example.jp" };

	sg_idset_init(&s, "+");
	sg_idset_add(&s, "Kakaricho+x@example.lg.jp");
	sg_idset_add_list(&s, "\"Yamada, T\"@example.lg.jp, kacho@example.lg.jp");
	sg_idset_add_login(&s, "sasl-user", doms, 2);
	ck_assert(sg_idset_has(&s, "kakaricho@example.lg.jp"));
	ck_assert(sg_idset_has(&s, "kakaricho+other@example.lg.jp"));
	ck_assert(sg_idset_has(&s, "\"yamada, t\"@example.lg.jp"));
	ck_assert(sg_idset_has(&s, "KACHO@example.lg.jp"));
	ck_assert(sg_idset_has(&s, "sasl-user"));
	ck_assert(sg_idset_has(&s, "sasl-user@city.example.jp"));
	ck_assert(sg_idset_has(&s, "sasl-user+x@example.lg.jp"));
	ck_assert(!sg_idset_has(&s, "security-officer@example.lg.jp"));
	ck_assert(!sg_idset_has(&s, ""));
	sg_idset_free(&s);
}
END_TEST

START_TEST(test_header_parser_keeps_glued_at_in_local_part)
{
	ck_assert_uint_eq(parse("user@gmail.com@example.lg.jp"), 1);
	ck_assert_str_eq(L.v[0].addr, "user@gmail.com@example.lg.jp");
	ck_assert_str_eq(L.v[0].domain, "example.lg.jp");
	ck_assert(!internal(L.v[0].addr));
}
END_TEST

static Suite *addr_suite(void)
{
	Suite *s = suite_create("eng_addr");
	TCase *p = tcase_create("parse");
	TCase *d = tcase_create("domain");
	TCase *r = tcase_create("sg_addr");

	tcase_add_checked_fixture(p, setup, teardown);
	tcase_set_timeout(p, 60);
	tcase_add_test(p, test_name_angle_addr);
	tcase_add_test(p, test_quoted_display_name_with_comma_is_one_mailbox);
	tcase_add_test(p, test_quoted_display_name_with_specials_and_escapes);
	tcase_add_test(p, test_encoded_japanese_display_name_decodes);
	tcase_add_test(p, test_bare_and_commented_addresses);
	tcase_add_test(p, test_comment_inside_name_is_not_the_name);
	tcase_add_test(p, test_source_route_is_dropped);
	tcase_add_test(p, test_group_members_carry_group_name);
	tcase_add_test(p, test_undisclosed_recipients_is_empty);
	tcase_add_test(p, test_several_groups_and_mailboxes);
	tcase_add_test(p, test_missing_commas_between_angle_addrs);
	tcase_add_test(p, test_empty_elements_and_stray_commas);
	tcase_add_test(p, test_quoted_local_part_and_domain_literal);
	tcase_add_test(p, test_element_without_at_is_kept_with_empty_domain);
	tcase_add_test(p, test_missing_angle_brackets_take_glued_words);
	tcase_add_test(p, test_domain_is_normalised_and_addr_trimmed);
	tcase_add_test(p, test_unclosed_quote_bracket_or_comment_reads_what_it_can);
	tcase_add_test(p, test_twelve_address_list_counts_twelve);
	tcase_add_test(p, test_list_keeps_at_most_max_and_says_truncated);
	tcase_add_test(p, test_parse_appends_to_existing_list);
	tcase_add_test(p, test_garbage_input_finishes);
	tcase_add_test(p, test_very_long_single_elements_finish);
	tcase_add_test(p, test_header_parser_keeps_glued_at_in_local_part);
	suite_add_tcase(s, p);

	tcase_add_test(r, test_relaying_local_parts_are_never_internal);
	tcase_add_test(r, test_legitimate_forms_stay_internal);
	tcase_add_test(r, test_envelope_recipient_needs_both_forms_internal);
	tcase_add_test(r, test_parse_removes_route_and_quotes);
	tcase_add_test(r, test_idn_domains_have_one_form);
	tcase_add_test(r, test_identity_is_lower_case_and_without_extension);
	tcase_add_test(r, test_same_person_compares_exact_and_stripped);
	tcase_add_test(r, test_idset_holds_every_identity_of_the_sender);
	suite_add_tcase(s, r);

	tcase_add_test(d, test_domain_matches_equal_or_subdomain_only);
	suite_add_tcase(s, d);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(addr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
