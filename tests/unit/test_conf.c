/*
 * Configuration loader: the option table, types, defaults and the
 * errors that must name the file, line and key.
 */
#include "sg_test.h"

static sg_conf *load(const char *text, sg_buf *err, char **pathp)
{
	char *path = sg_test_write(text);
	sg_conf *conf;

	sg_buf_init(err, 8192);
	conf = sg_conf_load(path, err);
	if (pathp)
		*pathp = path;
	else {
		unlink(path);
		free(path);
	}
	return conf;
}

/* The error must name file:line, the section and the key. */
static void expect_error(const char *text, unsigned line, const char *key,
			 const char *what)
{
	sg_buf err;
	char *path, want[512];
	sg_conf *conf = load(text, &err, &path);

	ck_assert_ptr_null(conf);
	snprintf(want, sizeof(want), "%s:%u:", path, line);
	ck_assert_msg(strncmp(sg_buf_cstr(&err), want, strlen(want)) == 0,
		      "error \"%s\" does not start with \"%s\"", sg_buf_cstr(&err), want);
	if (key)
		ck_assert_msg(strstr(sg_buf_cstr(&err), key) != NULL,
			      "error \"%s\" does not name key %s", sg_buf_cstr(&err), key);
	if (what)
		ck_assert_msg(strstr(sg_buf_cstr(&err), what) != NULL,
			      "error \"%s\" does not say \"%s\"", sg_buf_cstr(&err), what);
	unlink(path);
	free(path);
	sg_buf_free(&err);
}

START_TEST(test_minimal_config_gets_every_default)
{
	sg_buf err;
	sg_conf *conf = load("[policy]\ninternal_domains = example.lg.jp\n", &err, NULL);
	size_t n;
	char *const *v;

	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	v = sg_conf_list(conf, "policy", "internal_domains", &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0], "example.lg.jp");
	ck_assert_str_eq(sg_conf_str(conf, "policy", "mode"), "enforce");
	ck_assert_str_eq(sg_conf_str(conf, "actions", "classified-3"), "reject");
	ck_assert_str_eq(sg_conf_str(conf, "actions", "exposed-recipients"), "hold");
	ck_assert_int_eq(sg_conf_num(conf, "exposed_recipients", "min_parties"), 2);
	ck_assert_int_eq(sg_conf_num(conf, "exposed_recipients", "max_visible_external"), 10);
	ck_assert_int_eq(sg_conf_num(conf, "limits", "max_message_size"), 64LL << 20);
	ck_assert_int_eq(sg_conf_num(conf, "limits", "scan_timeout"), 60);
	ck_assert(!sg_conf_bool(conf, "policy", "log_internal"));
	sg_conf_free(conf);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_long_domain_list_is_not_cut)
{
	/* libinih cut such a line at ~180 bytes without an error. */
	char text[4096] = "[policy]\ninternal_domains = ";
	sg_buf err;
	sg_conf *conf;
	size_t n;
	char *const *v;

	for (int i = 0; i < 12; i++) {
		char d[64];
		snprintf(d, sizeof(d), "%sdepartment%02d.city.example.lg.jp", i ? ", " : "", i);
		strcat(text, d);
	}
	strcat(text, "\n");
	conf = load(text, &err, NULL);
	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	v = sg_conf_list(conf, "policy", "internal_domains", &n);
	ck_assert_uint_eq(n, 12);
	ck_assert_str_eq(v[11], "department11.city.example.lg.jp");
	sg_conf_free(conf);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_values_are_typed_and_normalised)
{
	sg_buf err;
	sg_conf *conf = load("# comment\n; another\n[policy]\n"
			     "internal_domains = Example.LG.JP. , city.example.jp\n"
			     "log_internal = Yes\nmode = monitor\n"
			     "[limits]\nmax_message_size = 10M\nscan_timeout = 2m\n"
			     "max_header_size = 512KiB\n"
			     "[actions]\nexposed-recipients = bcc\n", &err, NULL);
	size_t n;
	char *const *v;

	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	v = sg_conf_list(conf, "policy", "internal_domains", &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0], "example.lg.jp");
	ck_assert(sg_conf_bool(conf, "policy", "log_internal"));
	ck_assert_int_eq(sg_conf_num(conf, "limits", "max_message_size"), 10LL << 20);
	ck_assert_int_eq(sg_conf_num(conf, "limits", "scan_timeout"), 120);
	ck_assert_int_eq(sg_conf_num(conf, "limits", "max_header_size"), 512 * 1024);
	ck_assert_str_eq(sg_conf_str(conf, "actions", "exposed-recipients"), "bcc");
	sg_conf_free(conf);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_hash_inside_a_value_is_not_a_comment)
{
	sg_buf err;
	sg_conf *conf = load("[policy]\ninternal_domains = example.lg.jp\n"
			     "[rules]\ndir = /srv/rules#1\n", &err, NULL);

	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	ck_assert_str_eq(sg_conf_str(conf, "rules", "dir"), "/srv/rules#1");
	sg_conf_free(conf);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_relative_path_is_relative_to_the_config_file)
{
	sg_buf err;
	sg_conf *conf = load("[policy]\ninternal_domains = example.lg.jp\n"
			     "[rules]\ndir = ../rules\n", &err, NULL);
	char *p;

	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	p = sg_conf_path(conf, "rules", "dir");
	ck_assert_str_eq(p, "/tmp/../rules");
	free(p);
	sg_conf_free(conf);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_unknown_key_names_file_line_and_key)
{
	expect_error("[policy]\ninternal_domains = example.lg.jp\n\nmdoe = monitor\n",
		     4, "mdoe", "unknown key");
}
END_TEST

START_TEST(test_unknown_section_is_an_error)
{
	expect_error("[policy]\ninternal_domains = a.jp\n[polcy]\nmode = enforce\n",
		     3, "polcy", "unknown section");
}
END_TEST

START_TEST(test_bad_enum_value_is_an_error)
{
	expect_error("[policy]\ninternal_domains = a.jp\n[actions]\nclassified = quarantine\n",
		     4, "classified", "accept|log|hold|reject");
}
END_TEST

START_TEST(test_bcc_is_only_for_exposed_recipients)
{
	expect_error("[policy]\ninternal_domains = a.jp\n[actions]\npersonal-data = bcc\n",
		     4, "personal-data", "bad value");
}
END_TEST

START_TEST(test_bad_numbers_sizes_and_durations_are_errors)
{
	expect_error("[policy]\ninternal_domains = a.jp\n[exposed_recipients]\nmin_parties = two\n",
		     4, "min_parties", "whole number");
	expect_error("[policy]\ninternal_domains = a.jp\n[exposed_recipients]\nmin_parties = 1\n",
		     4, "min_parties", "out of range");
	expect_error("[policy]\ninternal_domains = a.jp\n[limits]\nmax_message_size = 10X\n",
		     4, "max_message_size", "size");
	expect_error("[policy]\ninternal_domains = a.jp\n[limits]\nscan_timeout = soon\n",
		     4, "scan_timeout", "duration");
	expect_error("[policy]\ninternal_domains = a.jp\n[limits]\nmax_parts = 99999999999999999999\n",
		     4, "max_parts", "whole number");
	expect_error("[policy]\ninternal_domains = a.jp\nlog_internal = maybe\n",
		     3, "log_internal", "yes or no");
}
END_TEST

/* issue 15: a reconcile that treats a just-recorded hold as "file gone"
 * destroyed mail; the least grace is the MTA's milter timeout plus the
 * commit, and the error says so instead of a bare "out of range". */
START_TEST(test_reconcile_grace_below_the_commit_time_names_the_minimum)
{
	expect_error("[policy]\ninternal_domains = a.jp\n[release]\nreconcile_grace = 0s\n",
		     4, "reconcile_grace", "at least 360s");
	expect_error("[policy]\ninternal_domains = a.jp\n[release]\nreconcile_grace = 5m\n",
		     4, "reconcile_grace", "at least 360s");
}
END_TEST

START_TEST(test_bad_domain_is_an_error)
{
	expect_error("[policy]\ninternal_domains = example.lg.jp; other.jp\n",
		     2, "internal_domains", "not a domain");
	expect_error("[policy]\ninternal_domains = a..jp\n", 2, "internal_domains", NULL);
}
END_TEST

START_TEST(test_missing_required_key_is_an_error)
{
	expect_error("[policy]\nmode = enforce\n", 0, "internal_domains", "required");
}
END_TEST

START_TEST(test_empty_required_list_is_an_error)
{
	expect_error("[policy]\ninternal_domains = ,\n", 2, "internal_domains", "at least one");
}
END_TEST

START_TEST(test_key_set_twice_is_an_error)
{
	expect_error("[policy]\ninternal_domains = a.jp\nmode = enforce\nmode = monitor\n",
		     4, "mode", "first at line 3");
}
END_TEST

START_TEST(test_over_long_line_names_line_and_key)
{
	size_t n = 5000;
	char *text = malloc(n + 100);

	strcpy(text, "[policy]\ninternal_domains = ");
	memset(text + strlen(text), 'a', n);
	strcpy(text + strlen("[policy]\ninternal_domains = ") + n, ".jp\n");
	expect_error(text, 2, "internal_domains", "longer than 4096");
	free(text);
}
END_TEST

START_TEST(test_garbage_lines_are_errors)
{
	expect_error("[policy]\ninternal_domains = a.jp\njust words\n", 3, NULL, "key = value");
	expect_error("internal_domains = a.jp\n", 1, "internal_domains", "outside");
	expect_error("[policy\ninternal_domains = a.jp\n", 1, NULL, "section header");
	expect_error("[policy]\n= value\n", 2, NULL, "missing key");
}
END_TEST

START_TEST(test_missing_file_is_an_error)
{
	sg_buf err;
	sg_conf *conf;

	sg_buf_init(&err, 1024);
	conf = sg_conf_load("/nonexistent/sendguard.conf", &err);
	ck_assert_ptr_null(conf);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "/nonexistent/sendguard.conf"));
	sg_buf_free(&err);
}
END_TEST

/* Issue 14: signed approval requests must not go outside, and notice
 * links must lead to a web page. */
START_TEST(test_approvers_outside_or_not_addresses_name_file_line_and_key)
{
#define P "[policy]\ninternal_domains = example.lg.jp, city.example.jp\n"
	expect_error(P "[approvers]\ndefault = 課長\n", 4, "[approvers] default",
		     "not an address in an internal domain");
	expect_error(P "[approvers]\n\n*@example.lg.jp = kacho@example.lg.jp, "
		     "kakaricho@example\n", 5, "[approvers] *@example.lg.jp",
		     "\"kakaricho@example\"");
	expect_error(P "[approvers]\ncategory:classified = so@gmail.com\n", 4,
		     "category:classified", "not an address in an internal domain");
	expect_error(P "[approvers]\ndefault = so%gmail.com@example.lg.jp\n", 4,
		     "default", "internal domain");
	expect_error(P "[approvers]\ndefault = Officer <so@example.lg.jp>\n", 4,
		     "default", "internal domain");
	/* Subdomains and every internal domain are fine. */
	{
		sg_buf err;
		sg_conf *conf = load(P "[approvers]\ndefault = so@hoken.example.lg.jp, "
				     "kacho@city.example.jp\n", &err, NULL);

		ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
		sg_conf_free(conf);
		sg_buf_free(&err);
	}
}
END_TEST

START_TEST(test_base_url_must_be_http_or_https)
{
	expect_error(P "[web]\nbase_url = ftp://mail.example.lg.jp/\n", 4,
		     "[web] base_url", "not an http(s) URL");
	expect_error(P "[web]\nbase_url = mail.example.lg.jp/sendguard\n", 4,
		     "base_url", "not an http(s) URL");
	expect_error(P "[web]\nbase_url = javascript:alert(1)\n", 4, "base_url", NULL);
	expect_error(P "[web]\nbase_url = https://\n", 4, "base_url", NULL);
	expect_error(P "[web]\nbase_url = https://user@evil.example/\n", 4, "base_url", NULL);
	{
		sg_buf err;
		sg_conf *conf = load(P "[web]\nbase_url = HTTPS://mail.example.lg.jp:8443/sg\n",
				     &err, NULL);

		ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
		sg_conf_free(conf);
		sg_buf_free(&err);
	}
}
END_TEST

/* [store] dsn (issue 20): never a password; another host only with
 * sslmode=verify-full; the error names file, line and key and does
 * not repeat the string. */
static void expect_dsn_ok(const char *dsn)
{
	char text[1024];
	sg_buf err;
	sg_conf *conf;

	snprintf(text, sizeof(text), P "[store]\nbackend = postgresql\ndsn = %s\n", dsn);
	conf = load(text, &err, NULL);
	ck_assert_msg(conf != NULL, "%s: %s", dsn, sg_buf_cstr(&err));
	sg_conf_free(conf);
	sg_buf_free(&err);
}

static void expect_dsn_bad(const char *dsn, const char *what)
{
	char text[1024];

	snprintf(text, sizeof(text), P "[store]\nbackend = postgresql\ndsn = %s\n", dsn);
	expect_error(text, 5, "[store] dsn", what);
}

START_TEST(test_store_dsn_has_no_password_and_verifies_remote_hosts)
{
	expect_dsn_ok("host=/var/run/postgresql dbname=sendguard user=sendguard");
	expect_dsn_ok("dbname=sendguard");
	expect_dsn_ok("host=127.0.0.1 port=5433 dbname=sg passfile=/etc/sendguard/pgpass");
	expect_dsn_ok("host = localhost dbname = 'send guard'");
	expect_dsn_ok("host=db.pref.example.lg.jp sslmode=verify-full dbname=sg");
	expect_dsn_ok("postgresql:///sendguard?host=/var/run/postgresql");
	expect_dsn_ok("postgresql://sendguard@localhost:5432/sendguard");
	expect_dsn_ok("postgresql://sg@db.example.lg.jp/sg?sslmode=verify-full");
	expect_dsn_ok("postgresql://sg@%2Fvar%2Frun%2Fpostgresql/sg");
	expect_dsn_bad("host=localhost password=secret dbname=sg", "password");
	expect_dsn_bad("host=localhost password = 'a b' dbname=sg", "password");
	expect_dsn_bad("postgresql://sg:secret@localhost/sg", "password");
	expect_dsn_bad("postgres://sg:@localhost/sg", "password");
	expect_dsn_bad("postgresql://sg@localhost/sg?password=x", "password");
	expect_dsn_bad("host=db.example.lg.jp dbname=sg", "verify-full");
	expect_dsn_bad("host=db.example.lg.jp sslmode=require dbname=sg", "verify-full");
	expect_dsn_bad("host=localhost,db2.example.lg.jp dbname=sg", "db2.example.lg.jp");
	expect_dsn_bad("hostaddr=192.0.2.7 dbname=sg", "verify-full");
	expect_dsn_bad("postgresql://sg@db.example.lg.jp/sg", "verify-full");
	expect_dsn_bad("postgresql://sg@[2001:db8::1]:5432/sg?sslmode=prefer", "verify-full");
	expect_dsn_bad("dbname", "keyword = value");
	expect_dsn_bad("dbname='sg", "quote");
	/* The password is never echoed back. */
	{
		sg_buf err;
		sg_conf *conf = load(P "[store]\nbackend = postgresql\n"
				     "dsn = host=localhost password=hunter2\n", &err, NULL);

		ck_assert_ptr_null(conf);
		ck_assert_ptr_null(strstr(sg_buf_cstr(&err), "hunter2"));
		sg_buf_free(&err);
	}
	/* postgresql without a dsn; sqlite ignores an empty one. */
	expect_error(P "[store]\nbackend = postgresql\n", 4, "[store] dsn", "required");
	expect_error(P "[store]\nbackend = mysql\n", 4, "[store] backend", NULL);
}
END_TEST

START_TEST(test_category_order_names_categories_only)
{
	expect_error(P "[approval]\ncategory_order = classified, secret\n", 4,
		     "category_order", "secret");
#undef P
}
END_TEST

START_TEST(test_shipped_config_loads_as_given)
{
	char path[1024];
	sg_buf err;
	sg_conf *conf;

	snprintf(path, sizeof(path), "%s/conf/sendguard.conf", sg_test_srcdir());
	sg_buf_init(&err, 8192);
	conf = sg_conf_load(path, &err);
	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	/* Every key of the table is present in the shipped file. */
	for (size_t i = 0; i < sg_noptions; i++)
		ck_assert_msg(conf->values[i].line != 0, "conf/sendguard.conf lacks [%s] %s",
			      sg_options[i].section, sg_options[i].key);
	sg_conf_free(conf);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_effective_config_output_loads_again)
{
	sg_buf err;
	char *path, *out;
	sg_conf *conf = load("[policy]\ninternal_domains = a.jp, b.jp\nmode = monitor\n",
			     &err, &path), *again;
	FILE *fp;

	ck_assert_ptr_nonnull(conf);
	out = sg_test_write("");
	fp = fopen(out, "w");
	sg_conf_print(conf, fp);
	fclose(fp);
	again = sg_conf_load(out, &err);
	ck_assert_msg(again != NULL, "%s", sg_buf_cstr(&err));
	ck_assert_str_eq(sg_conf_str(again, "policy", "mode"), "monitor");
	sg_conf_free(again);
	sg_conf_free(conf);
	unlink(out);
	unlink(path);
	free(out);
	free(path);
	sg_buf_free(&err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("loader");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_minimal_config_gets_every_default);
	tcase_add_test(tc, test_long_domain_list_is_not_cut);
	tcase_add_test(tc, test_values_are_typed_and_normalised);
	tcase_add_test(tc, test_hash_inside_a_value_is_not_a_comment);
	tcase_add_test(tc, test_relative_path_is_relative_to_the_config_file);
	tcase_add_test(tc, test_unknown_key_names_file_line_and_key);
	tcase_add_test(tc, test_unknown_section_is_an_error);
	tcase_add_test(tc, test_bad_enum_value_is_an_error);
	tcase_add_test(tc, test_bcc_is_only_for_exposed_recipients);
	tcase_add_test(tc, test_bad_numbers_sizes_and_durations_are_errors);
	tcase_add_test(tc, test_bad_domain_is_an_error);
	tcase_add_test(tc, test_missing_required_key_is_an_error);
	tcase_add_test(tc, test_empty_required_list_is_an_error);
	tcase_add_test(tc, test_key_set_twice_is_an_error);
	tcase_add_test(tc, test_over_long_line_names_line_and_key);
	tcase_add_test(tc, test_garbage_lines_are_errors);
	tcase_add_test(tc, test_missing_file_is_an_error);
	tcase_add_test(tc, test_reconcile_grace_below_the_commit_time_names_the_minimum);
	tcase_add_test(tc, test_shipped_config_loads_as_given);
	tcase_add_test(tc, test_approvers_outside_or_not_addresses_name_file_line_and_key);
	tcase_add_test(tc, test_base_url_must_be_http_or_https);
	tcase_add_test(tc, test_store_dsn_has_no_password_and_verifies_remote_hosts);
	tcase_add_test(tc, test_category_order_names_categories_only);
	tcase_add_test(tc, test_effective_config_output_loads_again);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
