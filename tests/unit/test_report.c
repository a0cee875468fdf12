/*
 * The ledger (issue 18 item 5): times in [policy] timezone, the report
 * for people and for scripts, its month totals, opened by LibreOffice
 * Calc; the retention purge and the audit chain's anchor.
 */
#include "sg_test.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "release/rel.h"
#include "store/st.h"
#include "util/sg_time.h"

static char tmpdir[64], dbpath[128];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sg_report_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/sendguard.db", tmpdir);
}

static void teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static st_store *create_store(void)
{
	sg_buf err;
	st_store *st;

	sg_buf_init(&err, 4096);
	st = st_create(dbpath, &err);
	ck_assert_msg(st != NULL, "%s", sg_buf_cstr(&err));
	sg_buf_free(&err);
	return st;
}

static void raw_exec(const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql,
		      msg ? msg : "");
	sqlite3_close(db);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 20);

	ck_assert_ptr_nonnull(f);
	*n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

/* ------------------------------------------------------------ times */

START_TEST(test_times_in_the_policy_zone)
{
	char b[SG_TIME_SIZE];
	time_t t = 1796652480;	/* 2026-12-07T14:08:00Z = 23:08 in Tokyo */
	struct tm tm;

	sg_time_ja("Asia/Tokyo", t, b);
	ck_assert_str_eq(b, "2026年12月7日(月) 23:08");
	sg_time_ja(NULL, t, b);		/* the default zone is Tokyo */
	ck_assert_str_eq(b, "2026年12月7日(月) 23:08");
	sg_time_iso("Asia/Tokyo", t, b);
	ck_assert_str_eq(b, "2026-12-07T23:08:00+09:00");
	sg_time_sheet("Asia/Tokyo", t, b);
	ck_assert_str_eq(b, "2026-12-07 23:08");
	sg_time_en("Asia/Tokyo", t, b);
	ck_assert_str_eq(b, "Mon 7 Dec 2026 23:08 (+09:00)");
	sg_time_iso("UTC", t, b);
	ck_assert_str_eq(b, "2026-12-07T14:08:00+00:00");
	/* A zone with daylight saving: both offsets of the same year. */
	sg_time_iso("America/New_York", 1783000000, b);	/* July 2026 */
	ck_assert_str_eq(b + 19, "-04:00");
	sg_time_iso("America/New_York", t, b);
	ck_assert_str_eq(b, "2026-12-07T09:08:00-05:00");
	/* Back: midnight of a day in the zone. */
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 126;
	tm.tm_mon = 10;
	tm.tm_mday = 1;
	ck_assert_int_eq(sg_tz_mktime("Asia/Tokyo", &tm), 1793458800);	/* 2026-10-31T15:00Z */
	ck_assert(sg_tz_valid("Asia/Tokyo"));
	ck_assert(!sg_tz_valid("Asia/Nowhere"));
	ck_assert(!sg_tz_valid("../../etc/passwd"));
	ck_assert(!sg_tz_valid("/etc/localtime"));
}
END_TEST

START_TEST(test_timezone_is_checked_by_the_configuration)
{
	char *text = sg_test_conf_text("[policy]\ninternal_domains = example.lg.jp\n"
				       "timezone = Mars/Olympus\n");
	char *path = sg_test_write(text);
	sg_buf err;
	sg_conf *c;

	sg_buf_init(&err, 4096);
	c = sg_conf_load(path, &err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(sg_buf_cstr(&err), "[policy] timezone") != NULL, "%s",
		      sg_buf_cstr(&err));
	unlink(path);
	free(path);
	free(text);
	text = sg_test_conf_text("[policy]\ninternal_domains = example.lg.jp\n");
	path = sg_test_write(text);
	c = sg_conf_load(path, &err);
	ck_assert_msg(c != NULL, "%s", sg_buf_cstr(&err));
	ck_assert_str_eq(sg_conf_str(c, "policy", "timezone"), "Asia/Tokyo");
	ck_assert_int_eq(sg_conf_num(c, "store", "retention"), 400 * 86400LL);
	sg_conf_free(c);
	unlink(path);
	free(path);
	free(text);
	sg_buf_free(&err);
}
END_TEST

/* ----------------------------------------------------------- report */

static const char atts_json[] =
	"[{\"path\":\"名簿.zip\",\"name\":\"名簿.zip\",\"where\":\"名簿.zip\","
	"\"type\":\"application/zip\",\"size\":2048,\"encrypted\":false,\"entries\":"
	"[{\"path\":\"名簿.zip/住民.xlsx\",\"name\":\"住民.xlsx\",\"where\":"
	"\"名簿.zip/住民.xlsx\",\"type\":\"application/vnd.openxmlformats-"
	"officedocument.spreadsheetml.sheet\",\"size\":900,\"encrypted\":false,"
	"\"entries\":[]}]}]";
static const char findings_json[] =
	"[{\"category\":\"personal-data\",\"rule\":\"my-number\",\"label_ja\":"
	"\"個人番号\",\"label_en\":\"My Number\",\"where\":\"名簿.zip/住民.xlsx\","
	"\"count\":3,\"evidence\":\"1234********\",\"action\":\"hold\"}]";

static void verdict(st_store *st, const char *qid, const char *v, const char *cats,
		    const char *subject, const char *findings)
{
	sg_buf d, err;

	sg_buf_init(&d, SG_BUF_UNLIMITED);
	sg_buf_init(&err, 4096);
	sg_buf_printf(&d, "{\"verdict\":\"%s\",\"mode\":\"enforce\",\"categories\":%s,"
		      "\"sender\":\"suzuki@example.lg.jp\",\"rcpts\":2,\"size\":10,"
		      "\"client\":\"192.0.2.1\",\"findings\":%s,\"subject\":\"%s\","
		      "\"recipients\":[{\"addr\":\"vendor@example.com\",\"external\":true},"
		      "{\"addr\":\"tanaka@example.lg.jp\",\"external\":false}],"
		      "\"attachments\":%s,\"gateway\":\"gw-tokyo1\"}", v, cats, findings, subject,
		      strcmp(v, "accept") == 0 ? "[]" : atts_json);
	ck_assert_int_eq(st_audit_append(st, "verdict", NULL, qid, "milter", NULL,
					 sg_buf_cstr(&d), &err), ST_OK);
	sg_buf_free(&d);
	sg_buf_free(&err);
}

static void hold(st_store *st, const char *qid, st_status decide, const char *comment,
		 char id[ST_ID_SIZE])
{
	static const char *const cats[] = { "personal-data", "unencrypted-attachment" };
	static const char *const apps[] = { "kacho@example.lg.jp" };
	st_rcpt r[2] = { { "vendor@example.com", true }, { "tanaka@example.lg.jp", false } };
	st_hold_new in;
	sg_buf err;

	memset(&in, 0, sizeof(in));
	sg_buf_init(&err, 4096);
	in.queue_id = qid;
	in.sender = "suzuki@example.lg.jp";
	in.rcpts = r;
	in.nrcpts = 2;
	in.subject = "（案）①住民名簿の送付";
	in.categories = cats;
	in.ncategories = 2;
	in.verdict = "hold";
	in.findings_json = findings_json;
	in.attachments_json = atts_json;
	in.approvers = apps;
	in.napprovers = 1;
	ck_assert_msg(st_hold_create(st, &in, id, &err) == ST_OK, "%s", sg_buf_cstr(&err));
	if (decide == ST_APPROVED || decide == ST_REJECTED) {
		/* As the page and approve --checked record it (schema 5). */
		st_vote v = { decide == ST_APPROVED, "kacho@example.lg.jp",
			      "kacho@example.lg.jp", "kacho@example.lg.jp",
			      decide == ST_APPROVED ? "[\"宛先は正しい\",\"添付ファイルを確認した\"]"
						    : NULL, comment, NULL, NULL };
		st_vote_out out;

		ck_assert_msg(st_hold_vote(st, id, &v, &out, &err) == ST_OK, "%s",
			      sg_buf_cstr(&err));
		ck_assert_int_eq(out, ST_VOTE_DECIDED);
	} else if (decide != ST_PENDING) {
		ck_assert_int_eq(st_hold_decide(st, id, decide, "kacho@example.lg.jp",
						comment, NULL, &err), ST_OK);
	}
	sg_buf_free(&err);
}

/* The month of now in Tokyo: the verdict records are written now. */
static void this_month(rel_report_opts *o, char ym[16])
{
	struct tm tm;

	sg_tz_local("Asia/Tokyo", time(NULL), &tm);
	snprintf(ym, 16, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	o->since = sg_tz_mktime("Asia/Tokyo", &tm);
	tm.tm_mon++;
	o->until = sg_tz_mktime("Asia/Tokyo", &tm);
}

static char *report(st_store *st, rel_report_opts *o, const char *name, size_t *n)
{
	char path[256];
	sg_buf err;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	sg_buf_init(&err, 4096);
	ck_assert_msg(rel_report(st, o, f, &err) == 0, "%s", sg_buf_cstr(&err));
	fclose(f);
	sg_buf_free(&err);
	/* SG_REPORT_KEEP=DIR keeps a copy to look at (or open in Calc). */
	if (getenv("SG_REPORT_KEEP")) {
		char cmd[1024];

		snprintf(cmd, sizeof(cmd), "cp '%s' '%s/'", path, getenv("SG_REPORT_KEEP"));
		ck_assert_int_eq(system(cmd), 0);
	}
	return slurp(path, n);
}

static void seed(st_store *st)
{
	char id[ST_ID_SIZE];

	verdict(st, "Q1", "accept", "[]", "=HYPERLINK(\\\"http://evil\\\")", "[]");
	verdict(st, "Q2", "reject", "[\"classified-3\"]", "機密性3 資料", "[]");
	verdict(st, "Q3", "hold", "[\"personal-data\",\"unencrypted-attachment\"]",
		"（案）①住民名簿の送付", findings_json);
	hold(st, "Q3", ST_APPROVED, NULL, id);
	verdict(st, "Q4", "hold", "[\"personal-data\"]", "（案）①住民名簿の送付", findings_json);
	hold(st, "Q4", ST_REJECTED, "宛先が違います", id);
}

START_TEST(test_report_for_people_and_scripts)
{
	st_store *st = create_store();
	rel_report_opts o;
	char ym[16], *out;
	size_t n;

	seed(st);
	memset(&o, 0, sizeof(o));
	this_month(&o, ym);
	o.zone = "Asia/Tokyo";
	o.max_rows = 1000;
	o.totals = true;
	out = report(st, &o, "ja.csv", &n);
	ck_assert_msg(n > 3 && memcmp(out, "\xEF\xBB\xBF", 3) == 0, "no BOM");
	ck_assert_msg(strncmp(out + 3, "\"日時\",\"送信者\",\"宛先\",", 30) == 0, "%.200s", out);
	ck_assert(strstr(out, "\"件名\"") && strstr(out, "\"待ち時間(分)\""));
	/* Every row has subject and recipients, accepted and refused too. */
	ck_assert_msg(strstr(out, "\"'=HYPERLINK(\"\"http://evil\"\")\"") != NULL, "%s", out);
	ck_assert(strstr(out, "\"機密性3 資料\""));
	ck_assert(strstr(out, "\"vendor@example.com; tanaka@example.lg.jp\""));
	/* Words for people: places, types, outcomes, categories. */
	ck_assert_msg(strstr(out, "個人番号（添付ファイル「名簿.zip/住民.xlsx」） x3"), "%s", out);
	ck_assert(strstr(out, "名簿.zip (ZIP 圧縮ファイル) [住民.xlsx (Excel ブック)]"));
	ck_assert(strstr(out, "\"承認 (送信)\"") && strstr(out, "\"却下 (削除)\""));
	ck_assert(strstr(out, "\"送信拒否\""));
	ck_assert_msg(strstr(out, "\"kacho@example.lg.jp (却下)\",\"kacho@example.lg.jp\","
			      "\"kacho@example.lg.jp: 宛先が違います\""), "%s", out);
	/* The checklist as the approver ticked it. */
	ck_assert(strstr(out, "\"kacho@example.lg.jp: 宛先は正しい / 添付ファイルを確認した\""));
	ck_assert(strstr(out, "個人情報; 暗号化されていない添付ファイル"));
	/* Totals: per category and outcome, then the total row. */
	ck_assert(strstr(out, "\"集計 (区分別・結果別の件数)\"\r\n"));
	ck_assert_msg(strstr(out, "\"個人情報\",\"0\",\"0\",\"1\",\"1\",\"0\",\"0\",\"0\",\"0\",\"2\"\r\n"),
		      "%s", out);
	ck_assert(strstr(out, "\"(検出なし)\",\"1\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"0\",\"1\"\r\n"));
	ck_assert(strstr(out, "\"合計\",\"1\",\"1\",\"1\",\"1\",\"0\",\"0\",\"0\",\"0\",\"4\"\r\n"));
	free(out);

	o.en = true;
	out = report(st, &o, "en.csv", &n);
	ck_assert(strncmp(out + 3, "\"Date and time\",\"Sender\",\"Recipients\",", 38) == 0);
	ck_assert(strstr(out, "My Number (attachment \"\"名簿.zip/住民.xlsx\"\") x3"));
	ck_assert(strstr(out, "\"Total\",\"1\",\"1\",\"1\",\"1\","));
	free(out);

	/* --csv: the stable keys first, as before issue 18, new ones after;
	 * ISO times; engine terms; no totals. */
	o.en = false;
	o.csv = true;
	out = report(st, &o, "keys.csv", &n);
	ck_assert(memcmp(out, "\xEF\xBB\xBF", 3) == 0);
	{
		static const char keys[] = "\"date\",\"queue_id\",\"hold_id\",\"sender\","
			      "\"external_recipients\",\"subject\",\"categories\",\"verdict\","
			      "\"decision\",\"decided_by\",\"decided_at\",\"unix_user\","
			      "\"delay_min\",\"recipients\",\"attachments\",\"findings\","
			      "\"approvers\",\"comments\",\"checklist\",\"assigned_approvers\","
			      "\"gateway\"\r\n";

		ck_assert_msg(strncmp(out + 3, keys, strlen(keys)) == 0, "%.300s", out);
	}
	ck_assert(strstr(out, "personal-data/my-number@名簿.zip/住民.xlsx x3"));
	ck_assert(strstr(out, "\"rejected\",\"kacho@example.lg.jp\",\"20"));
	ck_assert(strstr(out, "+09:00\"") || strstr(out, "+00:00\""));
	ck_assert(strstr(out, "集計") == NULL);
	/* issue 20: each row names its gateway, the milter's verdict
	 * records and the holds (the store's gateway) alike */
	ck_assert_msg(strstr(out, "\"gw-tokyo1\"\r\n") != NULL, "%.600s", out);
	{
		char want[160];

		snprintf(want, sizeof(want), "\"%s\"\r\n", st_gateway(st));
		ck_assert_msg(st_gateway(st)[0] != '\0' && strstr(out, want) != NULL, "%s", want);
	}
	free(out);
	st_close(st);
}
END_TEST

/* Runs a shell command; its exit status. */
static int sh(const char *cmd)
{
	int rc = system(cmd);

	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

START_TEST(test_month_report_opens_in_libreoffice_calc)
{
	st_store *st = create_store();
	rel_report_opts o;
	char ym[16], cmd[2048], *xml;
	size_t n;

	if (access("/usr/bin/soffice", X_OK) != 0) {
		/* make deps installs libreoffice-calc-nogui; without it this
		 * test cannot run, and says so instead of passing quietly. */
		ck_abort_msg("soffice not installed (make deps)");
	}
	seed(st);
	memset(&o, 0, sizeof(o));
	this_month(&o, ym);
	o.zone = "Asia/Tokyo";
	o.max_rows = 1000;
	o.totals = true;
	free(report(st, &o, "ledger.csv", &n));
	st_close(st);
	/* Filter options 44,34,76: comma, double quote, UTF-8 (as README
	 * tells people to open it); a private profile, so that parallel
	 * runs and a user's own LibreOffice do not meet. */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && HOME='%s' timeout 180 soffice -env:UserInstallation=file://%s/lo"
		 " --headless --norestore --infilter=CSV:44,34,76 --convert-to ods"
		 " --outdir '%s' ledger.csv >lo.out 2>&1 && unzip -p ledger.ods content.xml"
		 " > content.xml", tmpdir, tmpdir, tmpdir, tmpdir);
	ck_assert_msg(sh(cmd) == 0, "soffice failed: see %s/lo.out", tmpdir);
	snprintf(cmd, sizeof(cmd), "%s/content.xml", tmpdir);
	xml = slurp(cmd, &n);
	/* Read back: Japanese headers, the rows, the totals. */
	ck_assert_msg(strstr(xml, "<text:p>日時</text:p>") != NULL, "%.2000s", xml);
	ck_assert(strstr(xml, "<text:p>件名</text:p>") && strstr(xml, "<text:p>宛先</text:p>"));
	ck_assert(strstr(xml, "<text:p>（案）①住民名簿の送付</text:p>"));
	ck_assert(strstr(xml, "<text:p>集計 (区分別・結果別の件数)</text:p>"));
	ck_assert(strstr(xml, "<text:p>合計</text:p>"));
	/* The BOM did not become part of the first header. */
	ck_assert(strstr(xml, "\xEF\xBB\xBF") == NULL);
	/* Times are dates and the totals numbers, for sorting and sums. */
	ck_assert(strstr(xml, "office:value-type=\"date\""));
	ck_assert(strstr(xml, "office:value-type=\"float\" office:value=\"4\""));
	/* The subject that looks like a formula stays text. */
	ck_assert(strstr(xml, "table:formula") == NULL);
	ck_assert(strstr(xml, "HYPERLINK(&quot;http://evil&quot;)"));
	free(xml);
	/* And the Excel format. */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && HOME='%s' timeout 180 soffice -env:UserInstallation=file://%s/lo"
		 " --headless --norestore --infilter=CSV:44,34,76 --convert-to xlsx"
		 " --outdir '%s' ledger.csv >lo.out 2>&1 && unzip -p ledger.xlsx"
		 " xl/sharedStrings.xml > shared.xml", tmpdir, tmpdir, tmpdir, tmpdir);
	ck_assert_msg(sh(cmd) == 0, "soffice xlsx failed: see %s/lo.out", tmpdir);
	if (getenv("SG_REPORT_KEEP")) {
		snprintf(cmd, sizeof(cmd), "cp '%s/ledger.xlsx' '%s/ledger.ods' '%s/'", tmpdir,
			 tmpdir, getenv("SG_REPORT_KEEP"));
		ck_assert_int_eq(system(cmd), 0);
	}
	snprintf(cmd, sizeof(cmd), "%s/shared.xml", tmpdir);
	xml = slurp(cmd, &n);
	ck_assert(strstr(xml, ">日時<") && strstr(xml, ">合計<"));
	free(xml);
}
END_TEST

/* -------------------------------------------------------- retention */

START_TEST(test_purge_keeps_the_chain_verifiable)
{
	st_store *st = create_store();
	char done[ST_ID_SIZE], waiting[ST_ID_SIZE], unapplied[ST_ID_SIZE];
	st_purge_counts n;
	size_t nrec = 0, bad = 0;
	sg_buf err;
	st_hold *h = NULL;

	sg_buf_init(&err, 4096);
	seed(st);
	hold(st, "Q5", ST_APPROVED, NULL, done);
	ck_assert_int_eq(st_hold_set_applied(st, done, NULL, NULL, NULL, &err), ST_OK);
	hold(st, "Q6", ST_PENDING, NULL, waiting);
	hold(st, "Q7", ST_REJECTED, "x", unapplied);
	/* A delegation that ended an hour ago, one still in force. */
	ck_assert_int_eq(st_delegate_add(st, "kacho@example.lg.jp", "hosa@example.lg.jp",
					 time(NULL) - 7200, time(NULL) - 3600, "root", NULL,
					 NULL, &err), ST_OK);
	ck_assert_int_eq(st_delegate_add(st, "kacho@example.lg.jp", "hosa@example.lg.jp",
					 time(NULL) - 60, time(NULL) + 86400, "root", NULL,
					 NULL, &err), ST_OK);
	/* Nothing is older than a time before everything. */
	ck_assert_int_eq(st_purge(st, time(NULL) - 3600, &n, &err), ST_OK);
	ck_assert_uint_eq(n.records + n.holds + n.notices, 0);
	ck_assert_int_eq(st_audit_verify(st, &nrec, &bad, &err), ST_OK);
	/* Everything so far is old. */
	ck_assert_int_eq(st_purge(st, time(NULL) + 1, &n, &err), ST_OK);
	ck_assert_uint_gt(n.records, 5);
	ck_assert_uint_eq(n.holds, 1);		/* only the applied one */
	ck_assert_uint_eq(n.delegations, 1);	/* only the one that ended */
	ck_assert_int_eq(st_hold_get(st, done, &h, &err), ST_NOTFOUND);
	ck_assert_int_eq(st_hold_get(st, waiting, &h, &err), ST_OK);
	st_hold_free(h);
	ck_assert_int_eq(st_hold_get(st, unapplied, &h, &err), ST_OK);
	st_hold_free(h);
	ck_assert_msg(st_audit_verify(st, &nrec, &bad, &err) == ST_OK, "%s", sg_buf_cstr(&err));
	ck_assert_uint_eq(nrec, 1);		/* the anchor */
	/* The log goes on after the anchor and verifies. */
	verdict(st, "Q8", "accept", "[]", "after", "[]");
	ck_assert_msg(st_audit_verify(st, &nrec, &bad, &err) == ST_OK, "%s", sg_buf_cstr(&err));
	ck_assert_uint_eq(nrec, 2);
	/* A second purge chains to the first. */
	ck_assert_int_eq(st_purge(st, time(NULL) + 1, &n, &err), ST_OK);
	ck_assert_uint_eq(n.records, 2);
	verdict(st, "Q9", "accept", "[]", "later", "[]");
	ck_assert_msg(st_audit_verify(st, &nrec, &bad, &err) == ST_OK, "%s", sg_buf_cstr(&err));
	/* The log still refuses DELETE outside a purge. */
	{
		sqlite3 *db = NULL;

		ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
		sqlite3_busy_timeout(db, 10000);
		ck_assert_int_ne(sqlite3_exec(db, "DELETE FROM audit", NULL, NULL, NULL),
				 SQLITE_OK);
		sqlite3_close(db);
	}
	/* An anchor changed by hand breaks the chain at the anchor. */
	raw_exec("DROP TRIGGER audit_no_update; UPDATE audit SET detail ="
		 " json_set(detail, '$.through_hash', '00') WHERE event = 'purge';");
	ck_assert_int_eq(st_audit_verify(st, &nrec, &bad, &err), ST_CORRUPT);
	sg_buf_free(&err);
	st_close(st);
}
END_TEST

START_TEST(test_purge_of_a_prefix_is_seen_without_an_anchor)
{
	st_store *st = create_store();
	size_t nrec = 0, bad = 0;
	sg_buf err;

	sg_buf_init(&err, 4096);
	seed(st);
	st_close(st);
	/* Someone deletes the oldest records by hand: no anchor covers
	 * them, so the chain does not verify. */
	raw_exec("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq <= 2;");
	sg_buf_init(&err, 4096);
	st = st_open(dbpath, &err);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(st_audit_verify(st, &nrec, &bad, &err), ST_CORRUPT);
	ck_assert_uint_eq(bad, 3);
	sg_buf_free(&err);
	st_close(st);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_times_in_the_policy_zone);
	tcase_add_test(tc, test_timezone_is_checked_by_the_configuration);
	tcase_add_test(tc, test_report_for_people_and_scripts);
	tcase_add_test(tc, test_month_report_opens_in_libreoffice_calc);
	tcase_add_test(tc, test_purge_keeps_the_chain_verifiable);
	tcase_add_test(tc, test_purge_of_a_prefix_is_seen_without_an_anchor);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
