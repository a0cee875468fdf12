/*
 * The approval web page (issue 8) without a server: HTML escaping of
 * what senders wrote, the form reader, routing, signed links and CSRF
 * values, and whole requests through web_handle() against a temporary
 * store and key directory.
 */
#include "sg_test.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "web/web.h"

static char tmpdir[64];
static sg_conf *conf;
static web_app *app;
static ntf_keys *keys;
static char hold_id[ST_ID_SIZE];

#define SENDER "taro@example.lg.jp"
#define KACHO "kacho@example.lg.jp"
#define XSS_SUBJECT "<script>alert(1)</script> 名簿"
#define XSS_NAME "<img src=x onerror=alert(1)>.xlsx"

static void write_key(const char *dir, const char *kid, const char *hex)
{
	char path[256];
	FILE *fp;

	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/%s", dir, kid);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "%s\n", hex);
	fclose(fp);
	chmod(path, 0600);
}

static ntf_keys *load(const char *sub)
{
	char dir[128];
	sg_buf err;
	ntf_keys *k;

	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, sub);
	sg_buf_init(&err, 4096);
	k = ntf_keys_load(dir, &err);
	ck_assert_msg(k != NULL, "%s", sg_buf_cstr(&err));
	sg_buf_free(&err);
	return k;
}

static void make_hold(void)
{
	static const char *const cats[] = { "unencrypted-attachment" };
	static const char *const approvers[] = { KACHO };
	st_rcpt rcpts[2] = { { "uketsuke@kenshin.example", true },
			     { "hanako@example.lg.jp", false } };
	st_hold_new h = { 0 };
	st_store *st;
	char path[128];
	sg_buf err;

	snprintf(path, sizeof(path), "%s/store.db", tmpdir);
	sg_buf_init(&err, 4096);
	st = st_create(path, &err);
	ck_assert_msg(st != NULL, "%s", sg_buf_cstr(&err));
	h.queue_id = "4jYFhz2pjRz884N";
	h.sender = SENDER;
	h.rcpts = rcpts;
	h.nrcpts = 2;
	h.subject = XSS_SUBJECT;
	h.size = 4321;
	h.categories = cats;
	h.ncategories = 1;
	h.verdict = "hold";
	h.findings_json = "[{\"category\":\"unencrypted-attachment\",\"rule\":\"office\","
			  "\"where\":\"attachment " XSS_NAME "\",\"count\":1,"
			  "\"evidence\":\"\"}]";
	h.attachments_json = "[{\"path\":\"2\",\"name\":\"" XSS_NAME "\",\"type\":"
			     "\"xlsx\",\"size\":999,\"encrypted\":false,\"entries\":[]}]";
	h.approvers = approvers;
	h.napprovers = 1;
	h.expires = time(NULL) + 3600;
	ck_assert_msg(st_hold_create(st, &h, hold_id, &err) == ST_OK, "%s", sg_buf_cstr(&err));
	st_close(st);
	sg_buf_free(&err);
}

static void setup(void)
{
	char text[1024], keydir[128], *body, *path;
	sg_buf err;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sg_web_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(keydir, sizeof(keydir), "%s/keys", tmpdir);
	write_key(keydir, "k1", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	snprintf(keydir, sizeof(keydir), "%s/forger", tmpdir);
	write_key(keydir, "k1", "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100");
	snprintf(keydir, sizeof(keydir), "%s/other", tmpdir);
	write_key(keydir, "k9", "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f");
	snprintf(text, sizeof(text),
		 "[policy]\ninternal_domains = example.lg.jp\n[store]\npath = %s/store.db\n"
		 "[keys]\ndir = %s/keys\n[web]\nbase_url = https://mail.example.lg.jp/sg/\n"
		 "trusted_user_header = X-Remote-User\n", tmpdir, tmpdir);
	body = sg_test_conf_text(text);
	path = sg_test_write(body);
	sg_buf_init(&err, 4096);
	conf = sg_conf_load(path, &err);
	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	make_hold();
	app = web_app_new(conf, &err);
	ck_assert_msg(app != NULL, "%s", sg_buf_cstr(&err));
	keys = load("keys");
	sg_buf_free(&err);
	unlink(path);
	free(path);
	free(body);
}

static void teardown(void)
{
	char cmd[128];

	ntf_keys_free(keys);
	web_app_free(app);
	sg_conf_free(conf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A token of `k` for hold and person, valid for `ttl` seconds. */
static char *token(const ntf_keys *k, const char *hold, const char *person, long ttl)
{
	sg_buf out, err;

	sg_buf_init(&out, 4096);
	sg_buf_init(&err, 512);
	ck_assert_int_eq(ntf_token_make(k, hold, person, time(NULL) + ttl, &out, &err), 0);
	sg_buf_free(&err);
	return sg_buf_steal(&out);
}

/* One request; the response stays in *r (web_resp_free by the caller). */
static void request(web_method m, const char *path, const char *tok, const char *body,
		    const char *header, web_resp *r)
{
	web_req q = { 0 };

	q.method = m;
	q.path = path;
	q.token = tok;
	q.body = body;
	q.body_len = body ? strlen(body) : 0;
	q.content_type = body ? "application/x-www-form-urlencoded" : NULL;
	q.user_header = header;
	q.client = "127.0.0.1";
	web_resp_init(r);
	web_handle(app, &q, r, time(NULL));
}

static char *hold_path(void)
{
	static char p[64];

	snprintf(p, sizeof(p), "/hold/%s", hold_id);
	return p;
}

static st_status status_now(void)
{
	char path[128];
	st_store *st;
	st_hold *h = NULL;
	st_status s;

	snprintf(path, sizeof(path), "%s/store.db", tmpdir);
	st = st_open(path, NULL);
	ck_assert_int_eq(st_hold_get(st, hold_id, &h, NULL), ST_OK);
	s = h->status;
	st_hold_free(h);
	st_close(st);
	return s;
}

/* A form body: t, csrf (made for person and hold), action, comment. */
static char *form(const char *tok, const char *person, const char *action,
		  const char *comment)
{
	sg_buf b, csrf;

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	sg_buf_init(&csrf, 512);
	web_csrf_make(keys, person, hold_id, tok, time(NULL) + 600, &csrf);
	sg_buf_puts(&b, "t=");
	web_url_esc(&b, tok);
	sg_buf_puts(&b, "&csrf=");
	web_url_esc(&b, sg_buf_cstr(&csrf));
	sg_buf_printf(&b, "&action=%s&comment=", action);
	web_url_esc(&b, comment);
	sg_buf_free(&csrf);
	return sg_buf_steal(&b);
}

/* ------------------------------------------------------------ escaping */

START_TEST(test_markup_in_message_strings_is_escaped)
{
	sg_buf b;

	sg_buf_init(&b, 4096);
	web_esc(&b, "<script>alert(1)</script>&\"'");
	ck_assert_str_eq(sg_buf_cstr(&b),
			 "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;");
	sg_buf_reset(&b);
	web_esc(&b, XSS_NAME);
	ck_assert_ptr_null(strchr(sg_buf_cstr(&b), '<'));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&b), "&lt;img src=x onerror=alert(1)&gt;"));
	sg_buf_free(&b);
}
END_TEST

START_TEST(test_invalid_utf8_and_controls_cannot_smuggle_markup)
{
	sg_buf b;

	sg_buf_init(&b, 4096);
	/* An overlong '<' (C0 BC) and a lone continuation byte. */
	web_esc(&b, "a\xC0\xBC" "b\x80" "c\x01\x1b[0m\td");
	ck_assert_str_eq(sg_buf_cstr(&b), "a\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c[0m\td");
	sg_buf_reset(&b);
	web_esc(&b, "名簿.xlsx");
	ck_assert_str_eq(sg_buf_cstr(&b), "名簿.xlsx");
	ck_assert(web_utf8_valid("名簿", strlen("名簿")));
	ck_assert(!web_utf8_valid("a\xC0\xBC", 3));
	ck_assert(!web_utf8_valid("a\0b", 3));
	sg_buf_free(&b);
}
END_TEST

START_TEST(test_query_values_are_percent_encoded)
{
	sg_buf b;

	sg_buf_init(&b, 4096);
	web_url_esc(&b, "a.b-c_d~e f&g=h/\"<");
	ck_assert_str_eq(sg_buf_cstr(&b), "a.b-c_d~e%20f%26g%3Dh%2F%22%3C");
	sg_buf_free(&b);
}
END_TEST

/* --------------------------------------------------------------- forms */

START_TEST(test_form_fields_decode_and_duplicates_are_refused)
{
	sg_buf v;
	const char *f = "t=abc&comment=%E7%A2%BA%E8%AA%8D+OK&action=approve";

	sg_buf_init(&v, 64);
	ck_assert_int_eq(web_form_get(f, strlen(f), "comment", &v), 1);
	ck_assert_str_eq(sg_buf_cstr(&v), "確認 OK");
	ck_assert_int_eq(web_form_get(f, strlen(f), "csrf", &v), 0);
	ck_assert_int_eq(web_form_get("action=reject&action=approve", 28, "action", &v), -1);
	ck_assert_int_eq(web_form_get("comment=%zz", 11, "comment", &v), -1);
	ck_assert_int_eq(web_form_get("comment=%4", 10, "comment", &v), -1);
	ck_assert_int_eq(web_form_get("comment=a%00b", 13, "comment", &v), -1);
	ck_assert_int_eq(web_form_get("tt=1&t=2", 8, "t", &v), 1);
	ck_assert_str_eq(sg_buf_cstr(&v), "2");
	sg_buf_free(&v);
}
END_TEST

START_TEST(test_form_value_longer_than_its_limit_is_refused)
{
	char body[200];
	sg_buf v;

	memset(body, 'x', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	memcpy(body, "comment=", 8);
	sg_buf_init(&v, 64);
	ck_assert_int_eq(web_form_get(body, strlen(body), "comment", &v), -1);
	sg_buf_free(&v);
}
END_TEST

/* -------------------------------------------------------------- routes */

START_TEST(test_only_the_notice_links_are_routes)
{
	char h[NTF_HOLD_ID_MAX + 1];

	ck_assert_int_eq(web_route("/holds", h), WEB_R_LIST);
	ck_assert_int_eq(web_route("/hold/habc123", h), WEB_R_HOLD);
	ck_assert_str_eq(h, "habc123");
	ck_assert_int_eq(web_route("/", h), WEB_R_INDEX);
	ck_assert_int_eq(web_route(WEB_CSS_PATH, h), WEB_R_CSS);
	ck_assert_int_eq(web_route("/hold/", h), WEB_R_NOTFOUND);
	ck_assert_int_eq(web_route("/hold/a/b", h), WEB_R_NOTFOUND);
	ck_assert_int_eq(web_route("/hold/../etc/passwd", h), WEB_R_NOTFOUND);
	ck_assert_int_eq(web_route("/hold/a.b", h), WEB_R_NOTFOUND);
	ck_assert_int_eq(web_route("/holds/", h), WEB_R_NOTFOUND);
	ck_assert_int_eq(web_route("/static/other.css", h), WEB_R_NOTFOUND);
	ck_assert_int_eq(web_route(NULL, h), WEB_R_NOTFOUND);
}
END_TEST

START_TEST(test_listen_address_parses_ipv4_and_ipv6)
{
	struct sockaddr_storage ss;
	unsigned len;
	bool loop;

	ck_assert_int_eq(web_parse_listen("127.0.0.1:8025", &ss, &len, &loop), 0);
	ck_assert(loop);
	ck_assert_int_eq(web_parse_listen("[::1]:8025", &ss, &len, &loop), 0);
	ck_assert(loop);
	ck_assert_int_eq(web_parse_listen("192.0.2.1:80", &ss, &len, &loop), 0);
	ck_assert(!loop);
	ck_assert_int_eq(web_parse_listen("localhost:8025", &ss, &len, &loop), -1);
	ck_assert_int_eq(web_parse_listen("127.0.0.1:0", &ss, &len, &loop), -1);
	ck_assert_int_eq(web_parse_listen("127.0.0.1", &ss, &len, &loop), -1);
	ck_assert_int_eq(web_parse_listen("127.0.0.1:80x", &ss, &len, &loop), -1);
}
END_TEST

/* ---------------------------------------------------- tokens and CSRF */

START_TEST(test_tokens_forged_expired_or_of_unknown_keys_are_refused)
{
	ntf_keys *forger = load("forger"), *other = load("other");
	char *good = token(keys, hold_id, KACHO, 600), *forged = token(forger, hold_id, KACHO, 600);
	char *old = token(keys, hold_id, KACHO, -10), *unknown = token(other, hold_id, KACHO, 600);
	web_ident id;

	ck_assert_int_eq(web_identify(keys, good, NULL, time(NULL), &id), WEB_ID_OK);
	ck_assert_str_eq(id.person, KACHO);
	ck_assert_str_eq(id.hold, hold_id);
	ck_assert_int_eq(web_identify(keys, forged, NULL, time(NULL), &id), WEB_ID_BAD_MAC);
	ck_assert_int_eq(web_identify(keys, old, NULL, time(NULL), &id), WEB_ID_EXPIRED);
	ck_assert_int_eq(web_identify(keys, unknown, NULL, time(NULL), &id), WEB_ID_UNKNOWN_KID);
	ck_assert_int_eq(web_identify(keys, "garbage", NULL, time(NULL), &id), WEB_ID_MALFORMED);
	ck_assert_int_eq(web_identify(keys, NULL, NULL, time(NULL), &id), WEB_ID_NONE);
	free(good);
	free(forged);
	free(old);
	free(unknown);
	ntf_keys_free(forger);
	ntf_keys_free(other);
}
END_TEST

START_TEST(test_proxy_header_names_one_address_only)
{
	web_ident id;

	ck_assert_int_eq(web_identify(keys, NULL, "Kacho@Example.LG.JP", time(NULL), &id),
			 WEB_ID_OK);
	ck_assert_str_eq(id.person, KACHO);
	ck_assert(id.via_header);
	ck_assert_int_eq(web_identify(keys, NULL, "kacho", time(NULL), &id), WEB_ID_BAD_HEADER);
	ck_assert_int_eq(web_identify(keys, NULL, "a@b, c@d", time(NULL), &id),
			 WEB_ID_BAD_HEADER);
	ck_assert_int_eq(web_identify(keys, NULL, "<a@b>", time(NULL), &id), WEB_ID_BAD_HEADER);
}
END_TEST

START_TEST(test_csrf_is_bound_to_person_hold_token_and_time)
{
	time_t now = time(NULL);
	sg_buf c;

	sg_buf_init(&c, 512);
	web_csrf_make(keys, KACHO, hold_id, "TOK", now + 60, &c);
	ck_assert(web_csrf_check(keys, KACHO, hold_id, "TOK", sg_buf_cstr(&c), now));
	ck_assert(!web_csrf_check(keys, SENDER, hold_id, "TOK", sg_buf_cstr(&c), now));
	ck_assert(!web_csrf_check(keys, KACHO, "hother", "TOK", sg_buf_cstr(&c), now));
	ck_assert(!web_csrf_check(keys, KACHO, hold_id, "TOK2", sg_buf_cstr(&c), now));
	ck_assert(!web_csrf_check(keys, KACHO, hold_id, "TOK", sg_buf_cstr(&c), now + 61));
	ck_assert(!web_csrf_check(keys, KACHO, hold_id, "TOK", "", now));
	ck_assert(!web_csrf_check(keys, KACHO, hold_id, "TOK", NULL, now));
	ck_assert(!web_csrf_check(keys, KACHO, hold_id, "TOK", "k1.99999999999.AAAA", now));
	/* A later expiry written into a real value breaks its MAC. */
	c.data[3] = c.data[3] == '9' ? '8' : '9';
	ck_assert(!web_csrf_check(keys, KACHO, hold_id, "TOK", sg_buf_cstr(&c), now));
	sg_buf_free(&c);
}
END_TEST

/* ------------------------------------------------------------ requests */

START_TEST(test_hold_page_shows_message_strings_as_text)
{
	char *t = token(keys, hold_id, KACHO, 600);
	web_resp r;
	const char *b;

	request(WEB_GET, hold_path(), t, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	b = sg_buf_cstr(&r.body);
	ck_assert_ptr_null(strstr(b, "<script>"));
	ck_assert_ptr_null(strstr(b, "<img"));
	ck_assert_ptr_nonnull(strstr(b, "&lt;script&gt;alert(1)&lt;/script&gt; 名簿"));
	ck_assert_ptr_nonnull(strstr(b, "&lt;img src=x onerror=alert(1)&gt;.xlsx"));
	ck_assert_ptr_nonnull(strstr(b, "uketsuke@kenshin.example</span><span class=\"badge ext\">"));
	ck_assert_ptr_nonnull(strstr(b, "NOT encrypted"));
	ck_assert_ptr_nonnull(strstr(b, "id=\"approve\""));
	ck_assert_ptr_null(strstr(b, "id=\"withdraw\""));
	ck_assert_ptr_nonnull(strstr(b, "href=\"/sg/static/sendguard.css\""));
	ck_assert_ptr_nonnull(strstr(b, "action=\"/sg/hold/"));
	{
		/* Issue 20: the hold's gateway (the store's: the host name). */
		char host[SG_GATEWAY_SIZE], want[SG_GATEWAY_SIZE + 64];

		sg_gateway_default(host);
		snprintf(want, sizeof(want), "id=\"gateway\">%s</span>", host);
		ck_assert_ptr_nonnull(strstr(b, want));
		ck_assert_ptr_null(strstr(b, "id=\"orphaned\""));
	}
	web_resp_free(&r);
	free(t);
}
END_TEST

START_TEST(test_a_link_works_only_for_its_own_hold)
{
	char *other = token(keys, "hsomeotherhold", KACHO, 600);
	char *list = token(keys, NTF_TOKEN_ANY_HOLD, KACHO, 600);
	char *stranger = token(keys, hold_id, "bucho@example.lg.jp", 600);
	web_resp r;

	request(WEB_GET, hold_path(), other, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	web_resp_free(&r);
	request(WEB_GET, hold_path(), list, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	web_resp_free(&r);
	request(WEB_GET, hold_path(), stranger, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	web_resp_free(&r);
	request(WEB_GET, hold_path(), NULL, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	web_resp_free(&r);
	request(WEB_GET, "/holds", other, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	web_resp_free(&r);
	free(other);
	free(list);
	free(stranger);
}
END_TEST

START_TEST(test_expired_and_forged_links_get_a_403_page_that_says_why)
{
	ntf_keys *forger = load("forger");
	char *old = token(keys, hold_id, KACHO, -1), *forged = token(forger, hold_id, KACHO, 600);
	web_resp r;

	request(WEB_GET, hold_path(), old, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&r.body), "有効期限"));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&r.body), "expired"));
	web_resp_free(&r);
	request(WEB_GET, hold_path(), forged, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&r.body), "not valid"));
	web_resp_free(&r);
	free(old);
	free(forged);
	ntf_keys_free(forger);
}
END_TEST

START_TEST(test_post_without_or_with_a_wrong_csrf_value_changes_nothing)
{
	char *t = token(keys, hold_id, KACHO, 600), body[4096], *f;
	web_resp r;

	snprintf(body, sizeof(body), "t=%s&action=approve", t);
	request(WEB_POST, hold_path(), NULL, body, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	web_resp_free(&r);
	/* A CSRF value made for the sender does not work for the approver. */
	f = form(t, SENDER, "approve", "");
	request(WEB_POST, hold_path(), NULL, f, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	web_resp_free(&r);
	ck_assert_int_eq(status_now(), ST_PENDING);
	free(f);
	free(t);
}
END_TEST

START_TEST(test_approver_approves_with_a_comment_and_is_redirected)
{
	char *t = token(keys, hold_id, KACHO, 600), *f0 = form(t, KACHO, "approve", "確認済み");
	char *f = malloc(strlen(f0) + 64);
	web_resp r;

	/* Issue 18: without every checklist box ticked, nothing is
	 * recorded; with them (check1..check3, the default list), it is. */
	request(WEB_POST, hold_path(), NULL, f0, NULL, &r);
	ck_assert_int_eq(r.status, 409);
	web_resp_free(&r);
	ck_assert_int_eq(status_now(), ST_PENDING);
	sprintf(f, "%s&check1=1&check2=1&check3=1", f0);
	free(f0);
	request(WEB_POST, hold_path(), NULL, f, NULL, &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&r.location), "/sg/hold/"));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&r.location), "done=approve"));
	web_resp_free(&r);
	ck_assert_int_eq(status_now(), ST_APPROVED);
	/* Once: a second post is refused by the workflow's rules. */
	request(WEB_POST, hold_path(), NULL, f, NULL, &r);
	ck_assert_int_eq(r.status, 409);
	web_resp_free(&r);
	request(WEB_GET, hold_path(), t, NULL, NULL, &r);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&r.body), "確認済み"));
	ck_assert_ptr_null(strstr(sg_buf_cstr(&r.body), "id=\"approve\""));
	web_resp_free(&r);
	free(f);
	free(t);
}
END_TEST

START_TEST(test_sender_may_withdraw_but_never_approve)
{
	char *t = token(keys, hold_id, SENDER, 600), *ap = form(t, SENDER, "approve", "");
	char *wd = form(t, SENDER, "withdraw", "");
	web_resp r;

	request(WEB_GET, hold_path(), t, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&r.body), "id=\"withdraw\""));
	ck_assert_ptr_null(strstr(sg_buf_cstr(&r.body), "id=\"approve\""));
	web_resp_free(&r);
	request(WEB_POST, hold_path(), NULL, ap, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	web_resp_free(&r);
	ck_assert_int_eq(status_now(), ST_PENDING);
	request(WEB_POST, hold_path(), NULL, wd, NULL, &r);
	ck_assert_int_eq(r.status, 303);
	web_resp_free(&r);
	ck_assert_int_eq(status_now(), ST_WITHDRAWN);
	free(ap);
	free(wd);
	free(t);
}
END_TEST

/* Delayed send (issue 19): a second hold, of kind delay, from the same
 * sender; hold_id names it afterwards. */
static void make_delay_hold(void)
{
	st_rcpt rcpts[1] = { { "uketsuke@kenshin.example", true } };
	st_hold_new h = { 0 };
	st_store *st;
	char path[128];
	sg_buf err;

	snprintf(path, sizeof(path), "%s/store.db", tmpdir);
	sg_buf_init(&err, 4096);
	st = st_open(path, &err);
	ck_assert_msg(st != NULL, "%s", sg_buf_cstr(&err));
	h.queue_id = "4jYFhz2pjRz884P";
	h.sender = SENDER;
	h.rcpts = rcpts;
	h.nrcpts = 1;
	h.subject = "日程";
	h.verdict = "accept";
	h.delay = true;
	h.release_t = time(NULL) + 600;
	ck_assert_msg(st_hold_create(st, &h, hold_id, &err) == ST_OK, "%s", sg_buf_cstr(&err));
	st_close(st);
	sg_buf_free(&err);
}

START_TEST(test_sender_cannot_release_a_hold_for_approval)
{
	char *t = token(keys, hold_id, SENDER, 600), *rl = form(t, SENDER, "release", "");
	web_resp r;

	request(WEB_GET, hold_path(), t, NULL, NULL, &r);
	ck_assert_ptr_null(strstr(sg_buf_cstr(&r.body), "id=\"send\""));
	web_resp_free(&r);
	request(WEB_POST, hold_path(), NULL, rl, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	web_resp_free(&r);
	ck_assert_int_eq(status_now(), ST_PENDING);
	free(rl);
	free(t);
}
END_TEST

START_TEST(test_delayed_mail_send_now_and_cancel_are_the_senders)
{
	char *t, *ka, *rl, *kr, *wd;
	web_resp r;

	make_delay_hold();
	t = token(keys, hold_id, SENDER, 600);
	ka = token(keys, hold_id, KACHO, 600);
	rl = form(t, SENDER, "release", "");
	wd = form(t, SENDER, "withdraw", "");
	kr = form(ka, KACHO, "release", "");
	request(WEB_GET, hold_path(), t, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&r.body), "id=\"send\""));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&r.body), "id=\"cancel\""));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&r.body), "今すぐ送信"));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&r.body), "id=\"delay\""));
	web_resp_free(&r);
	/* kacho is no approver of a delayed hold: not even its page */
	request(WEB_POST, hold_path(), NULL, kr, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	web_resp_free(&r);
	request(WEB_POST, hold_path(), NULL, rl, NULL, &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&r.location), "done=release"));
	web_resp_free(&r);
	ck_assert_int_eq(status_now(), ST_APPROVED);
	/* once sent, a cancel is too late */
	request(WEB_POST, hold_path(), NULL, wd, NULL, &r);
	ck_assert_int_eq(r.status, 409);
	web_resp_free(&r);
	ck_assert_int_eq(status_now(), ST_APPROVED);
	free(t);
	free(ka);
	free(rl);
	free(wd);
	free(kr);
}
END_TEST

START_TEST(test_get_never_changes_state_and_other_methods_are_refused)
{
	char *t = token(keys, hold_id, KACHO, 600), path[128];
	web_resp r;

	snprintf(path, sizeof(path), "%s", hold_path());
	request(WEB_GET, path, t, NULL, NULL, &r);
	web_resp_free(&r);
	ck_assert_int_eq(status_now(), ST_PENDING);
	request(WEB_OTHER, path, t, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 405);
	ck_assert(r.allow_post);
	web_resp_free(&r);
	request(WEB_POST, "/holds", t, "x=1", NULL, &r);
	ck_assert_int_eq(r.status, 405);
	web_resp_free(&r);
	request(WEB_GET, "/nothing", NULL, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 404);
	web_resp_free(&r);
	request(WEB_GET, WEB_CSS_PATH, NULL, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.content_type, "text/css; charset=utf-8");
	web_resp_free(&r);
	free(t);
}
END_TEST

START_TEST(test_list_shows_the_persons_pending_holds_with_their_own_links)
{
	char *t = token(keys, NTF_TOKEN_ANY_HOLD, KACHO, 600);
	char *s = token(keys, NTF_TOKEN_ANY_HOLD, "bucho@example.lg.jp", 600);
	web_resp r;
	const char *b, *link;
	web_ident id;
	char tok[2048];
	size_t n;

	request(WEB_GET, "/holds", t, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	b = sg_buf_cstr(&r.body);
	ck_assert_ptr_nonnull(strstr(b, "&lt;script&gt;"));
	link = strstr(b, "/hold/");
	ck_assert_ptr_nonnull(link);
	link = strstr(link, "?t=");
	ck_assert_ptr_nonnull(link);
	n = strcspn(link + 3, "\"");
	ck_assert_uint_lt(n, sizeof(tok));
	memcpy(tok, link + 3, n);
	tok[n] = '\0';
	ck_assert_int_eq(web_identify(keys, tok, NULL, time(NULL), &id), WEB_ID_OK);
	ck_assert_str_eq(id.hold, hold_id);
	ck_assert_str_eq(id.person, KACHO);
	web_resp_free(&r);
	request(WEB_GET, "/holds", s, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&r.body), "id=\"empty\""));
	web_resp_free(&r);
	free(t);
	free(s);
}
END_TEST

START_TEST(test_proxy_header_identifies_the_person_without_a_token)
{
	web_resp r;
	char body[1024];
	sg_buf csrf;

	request(WEB_GET, hold_path(), NULL, NULL, KACHO, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&r.body), "id=\"approve\""));
	web_resp_free(&r);
	request(WEB_GET, hold_path(), NULL, NULL, "bucho@example.lg.jp", &r);
	ck_assert_int_eq(r.status, 403);
	web_resp_free(&r);
	sg_buf_init(&csrf, 512);
	web_csrf_make(keys, KACHO, hold_id, "", time(NULL) + 60, &csrf);
	snprintf(body, sizeof(body), "csrf=%s&action=reject&comment=x", sg_buf_cstr(&csrf));
	request(WEB_POST, hold_path(), NULL, body, KACHO, &r);
	ck_assert_int_eq(r.status, 303);
	web_resp_free(&r);
	ck_assert_int_eq(status_now(), ST_REJECTED);
	sg_buf_free(&csrf);
}
END_TEST

/* The sender is told why a message was rejected: no reason, no reject. */
START_TEST(test_reject_without_a_reason_is_refused_and_changes_nothing)
{
	web_resp r;
	char body[1024];
	sg_buf csrf;

	sg_buf_init(&csrf, 512);
	web_csrf_make(keys, KACHO, hold_id, "", time(NULL) + 60, &csrf);
	snprintf(body, sizeof(body), "csrf=%s&action=reject&comment=+++", sg_buf_cstr(&csrf));
	request(WEB_POST, hold_path(), NULL, body, KACHO, &r);
	ck_assert_int_eq(r.status, 409);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&r.body), "reason"));
	web_resp_free(&r);
	snprintf(body, sizeof(body), "csrf=%s&action=reject", sg_buf_cstr(&csrf));
	request(WEB_POST, hold_path(), NULL, body, KACHO, &r);
	ck_assert_int_eq(r.status, 409);
	web_resp_free(&r);
	ck_assert_int_eq(status_now(), ST_PENDING);
	sg_buf_free(&csrf);
}
END_TEST

static Suite *web_suite(void)
{
	Suite *s = suite_create("web");
	TCase *pure = tcase_create("pure"), *req = tcase_create("requests");

	tcase_add_checked_fixture(pure, setup, teardown);
	tcase_add_test(pure, test_markup_in_message_strings_is_escaped);
	tcase_add_test(pure, test_invalid_utf8_and_controls_cannot_smuggle_markup);
	tcase_add_test(pure, test_query_values_are_percent_encoded);
	tcase_add_test(pure, test_form_fields_decode_and_duplicates_are_refused);
	tcase_add_test(pure, test_form_value_longer_than_its_limit_is_refused);
	tcase_add_test(pure, test_only_the_notice_links_are_routes);
	tcase_add_test(pure, test_listen_address_parses_ipv4_and_ipv6);
	tcase_add_test(pure, test_tokens_forged_expired_or_of_unknown_keys_are_refused);
	tcase_add_test(pure, test_proxy_header_names_one_address_only);
	tcase_add_test(pure, test_csrf_is_bound_to_person_hold_token_and_time);
	suite_add_tcase(s, pure);
	tcase_add_checked_fixture(req, setup, teardown);
	tcase_set_timeout(req, 30);
	tcase_add_test(req, test_hold_page_shows_message_strings_as_text);
	tcase_add_test(req, test_a_link_works_only_for_its_own_hold);
	tcase_add_test(req, test_expired_and_forged_links_get_a_403_page_that_says_why);
	tcase_add_test(req, test_post_without_or_with_a_wrong_csrf_value_changes_nothing);
	tcase_add_test(req, test_approver_approves_with_a_comment_and_is_redirected);
	tcase_add_test(req, test_sender_may_withdraw_but_never_approve);
	tcase_add_test(req, test_sender_cannot_release_a_hold_for_approval);
	tcase_add_test(req, test_delayed_mail_send_now_and_cancel_are_the_senders);
	tcase_add_test(req, test_get_never_changes_state_and_other_methods_are_refused);
	tcase_add_test(req, test_list_shows_the_persons_pending_holds_with_their_own_links);
	tcase_add_test(req, test_proxy_header_identifies_the_person_without_a_token);
	tcase_add_test(req, test_reject_without_a_reason_is_refused_and_changes_nothing);
	suite_add_tcase(s, req);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(web_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
