/*
 * Notices: keys, the notice MAC that lets sendguard's own mail through,
 * web tokens, approver routing, templates, complete messages and their
 * submission through a sendmail command.
 */
#include "sg_test.h"
#include "engine/eng.h"
#include "engine/eng_hdr.h"
#include "notify/ntf.h"
#include "store/st.h"
#include "sg_test_eng.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>

#define BASE_CONF "[policy]\ninternal_domains = example.lg.jp\n"
#define KID_OLD "20250101T000000Z"
#define KID_NEW "20261123T185500Z"
/* 32 bytes as hex and as base64: what an administrator may paste. */
#define KEY_HEX "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KEY_B64 "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k="

static char *tmp;	/* per-test directory */

/* ------------------------------------------------------------ helpers */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void setup(void)
{
	tmp = strdup("/tmp/sg_ntf_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void teardown(void)
{
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(tmp);
}

static char *path_in(const char *name)
{
	size_t n = strlen(tmp) + strlen(name) + 2;
	char *p = malloc(n);

	snprintf(p, n, "%s/%s", tmp, name);
	return p;
}

static void write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static char *keydir(void)
{
	char *d = path_in("keys");

	mkdir(d, 0700);
	return d;
}

static ntf_keys *load_keys(const char *dir)
{
	sg_buf err;
	ntf_keys *k;

	sg_buf_init(&err, 4096);
	k = ntf_keys_load(dir, &err);
	ck_assert_msg(k != NULL, "%s", sg_buf_cstr(&err));
	sg_buf_free(&err);
	return k;
}

static sg_conf *load_conf(const char *body, char **pathp, sg_buf *err)
{
	char *text = sg_test_conf_text(body);
	char *path = sg_test_write(text);
	sg_conf *conf;

	sg_buf_init(err, 8192);
	conf = sg_conf_load(path, err);
	free(text);
	if (pathp)
		*pathp = path;
	else {
		unlink(path);
		free(path);
	}
	return conf;
}

/* ---------------------------------------------------------------- keys */

START_TEST(test_keygen_makes_a_private_key_that_loads_and_signs)
{
	char *d = path_in("etc/sendguard/keys"), kid[NTF_KID_MAX + 1], p[512];
	struct stat st;
	sg_buf err;
	ntf_keys *k;

	sg_buf_init(&err, 4096);
	ck_assert_msg(ntf_keygen(d, kid, &err) == 0, "%s", sg_buf_cstr(&err));
	ck_assert(ntf_kid_valid(kid));
	ck_assert_uint_eq(strlen(kid), 16);	/* 20261123T185500Z */
	ck_assert_int_eq(kid[8], 'T');
	ck_assert_int_eq(stat(d, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	snprintf(p, sizeof(p), "%s/%s", d, kid);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	k = load_keys(d);
	ck_assert_uint_eq(ntf_keys_count(k), 1);
	ck_assert_str_eq(ntf_keys_signing_kid(k), kid);
	ntf_keys_free(k);
	sg_buf_free(&err);
	free(d);
}
END_TEST

START_TEST(test_second_keygen_in_the_same_second_makes_a_newer_key)
{
	char *d = keydir(), a[NTF_KID_MAX + 1], b[NTF_KID_MAX + 1];
	sg_buf err;
	ntf_keys *k;

	sg_buf_init(&err, 4096);
	ck_assert(ntf_keygen(d, a, &err) == 0);
	ck_assert(ntf_keygen(d, b, &err) == 0);
	ck_assert_str_ne(a, b);
	k = load_keys(d);
	ck_assert_uint_eq(ntf_keys_count(k), 2);
	/* The later one signs, wherever the second fell. */
	ck_assert_str_eq(ntf_keys_signing_kid(k), strcmp(a, b) > 0 ? a : b);
	ntf_keys_free(k);
	sg_buf_free(&err);
	free(d);
}
END_TEST

static void expect_key_error(const char *name, const char *text, mode_t mode,
			     const char *what)
{
	char *d = keydir();
	sg_buf err;

	write_file(d, name, text, mode);
	sg_buf_init(&err, 4096);
	ck_assert_ptr_null(ntf_keys_load(d, &err));
	ck_assert_msg(strstr(sg_buf_cstr(&err), name) != NULL,
		      "error \"%s\" does not name %s", sg_buf_cstr(&err), name);
	ck_assert_msg(strstr(sg_buf_cstr(&err), what) != NULL,
		      "error \"%s\" does not say \"%s\"", sg_buf_cstr(&err), what);
	sg_buf_free(&err);
	free(d);
}

START_TEST(test_world_readable_key_file_is_refused)
{
	expect_key_error(KID_OLD, KEY_HEX "\n", 0644, "chmod 600");
}
END_TEST

START_TEST(test_group_readable_key_file_is_refused)
{
	expect_key_error(KID_OLD, KEY_B64 "\n", 0640, "group or other");
}
END_TEST

START_TEST(test_short_key_is_refused)
{
	expect_key_error(KID_OLD, "c2hvcnQ=\n", 0600, "at least 32");
}
END_TEST

START_TEST(test_symlinked_key_is_refused)
{
	char *d = keydir(), *target = path_in("elsewhere"), link[512];
	sg_buf err;

	write_file(tmp, "elsewhere", KEY_HEX, 0600);
	snprintf(link, sizeof(link), "%s/%s", d, KID_OLD);
	ck_assert_int_eq(symlink(target, link), 0);
	sg_buf_init(&err, 4096);
	ck_assert_ptr_null(ntf_keys_load(d, &err));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "symbolic link"));
	sg_buf_free(&err);
	free(target);
	free(d);
}
END_TEST

START_TEST(test_hex_and_base64_keys_load_and_other_names_are_skipped)
{
	char *d = keydir();
	ntf_keys *k;
	sg_buf err;

	write_file(d, KID_OLD, KEY_HEX "\n", 0600);
	write_file(d, KID_NEW, "  " KEY_B64 "\n", 0600);
	write_file(d, "README.txt", "not a key", 0644);	/* '.': not a key id */
	k = load_keys(d);
	ck_assert_uint_eq(ntf_keys_count(k), 2);
	ck_assert_str_eq(ntf_keys_signing_kid(k), KID_NEW);
	ntf_keys_free(k);
	/* An empty directory is an error that says what to do. */
	free(d);
	d = path_in("empty");
	mkdir(d, 0700);
	sg_buf_init(&err, 4096);
	ck_assert_ptr_null(ntf_keys_load(d, &err));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "keygen"));
	sg_buf_free(&err);
	free(d);
}
END_TEST

/* ---------------------------------------------------------- notice MAC */

static const char *const rcpt1[] = { "kacho@example.lg.jp" };
#define BODY "44Gq44KT44Gn44KC44Gq44GE\n5pys5paH\n"
#define DATE "Mon, 23 Nov 2026 10:00:00 +0900"

/* The header block of a notice as ntf_build_message writes it. */
#define SUBJ "=?UTF-8?B?44CQ5om/6KqN5L6d6aC844CR?="
static void notice_head(sg_buf *h, const char *date, const char *to, const char *subj,
			const char *ctype)
{
	sg_buf_printf(h, "From: sendguard <sendguard@example.lg.jp>\nTo: %s\n"
		      "Subject: %s\nDate: %s\nMessage-ID: <1795400100.x.sendguard@example.lg.jp>\n"
		      "MIME-Version: 1.0\nContent-Type: %s\n"
		      "Content-Transfer-Encoding: base64\nAuto-Submitted: auto-generated\n",
		      to, subj, date, ctype);
}
#define CTYPE "text/plain; charset=UTF-8"

static char *sign(const ntf_keys *k, const char *body, const char *const *r, size_t n,
		  const char *date)
{
	sg_buf hv, h;

	sg_buf_init(&hv, 4096);
	sg_buf_init(&h, 4096);
	notice_head(&h, date, "kacho@example.lg.jp", SUBJ, CTYPE);
	ck_assert_int_eq(ntf_notice_sign(k, h.data, h.len, body, strlen(body), r, n, &hv), 0);
	sg_buf_free(&h);
	return sg_buf_steal(&hv);
}

/* A minute after DATE. */
static time_t now_of(const char *date)
{
	time_t t = ntf_notice_date(date);

	ck_assert_int_ne(t, -1);
	return t + 60;
}

static ntf_verify_result verify_head(const ntf_keys *k, const char *hv, const char *head,
				     const char *body, const char *const *r, size_t n,
				     time_t now)
{
	return ntf_notice_verify(k, hv, head, strlen(head), body, strlen(body), r, n, now,
				 5 * 86400L, NULL);
}

static ntf_verify_result verify(const ntf_keys *k, const char *hv, const char *body,
				const char *const *r, size_t n, const char *date)
{
	sg_buf h;
	ntf_verify_result vr;

	sg_buf_init(&h, 4096);
	notice_head(&h, date, "kacho@example.lg.jp", SUBJ, CTYPE);
	vr = verify_head(k, hv, sg_buf_cstr(&h), body, r, n, now_of(DATE));
	sg_buf_free(&h);
	return vr;
}

static ntf_keys *one_key(void)
{
	char *d = keydir();
	ntf_keys *k;

	write_file(d, KID_OLD, KEY_HEX, 0600);
	k = load_keys(d);
	free(d);
	return k;
}

/* Issue 18: a hold's preview is sealed for the store, opens only for
 * its own hold and unaltered, and never carries the text in clear. */
START_TEST(test_sealed_preview_opens_for_its_hold_only_and_unaltered)
{
	static const char text[] = "{\"v\":1,\"subject\":\"（案）① 本日の資料\"}";
	ntf_keys *k = one_key();
	sg_buf sealed, plain;
	char *bad;

	sg_buf_init(&sealed, SG_BUF_UNLIMITED);
	sg_buf_init(&plain, SG_BUF_UNLIMITED);
	ck_assert_int_eq(ntf_pv_seal(k, "hone", text, strlen(text), &sealed), 0);
	ck_assert(strncmp(sg_buf_cstr(&sealed), "p1." KID_OLD ".", strlen("p1." KID_OLD ".")) == 0);
	ck_assert_ptr_null(strstr(sg_buf_cstr(&sealed), "本日"));
	ck_assert_int_eq(ntf_pv_unseal(k, "hone", sg_buf_cstr(&sealed), &plain), 0);
	ck_assert_str_eq(sg_buf_cstr(&plain), text);
	sg_buf_reset(&plain);
	/* Moved to another hold's row: the associated data differs. */
	ck_assert_int_eq(ntf_pv_unseal(k, "htwo", sg_buf_cstr(&sealed), &plain), -1);
	ck_assert_uint_eq(plain.len, 0);
	/* One character of the ciphertext changed. */
	bad = strdup(sg_buf_cstr(&sealed));
	bad[strlen(bad) - 3] = bad[strlen(bad) - 3] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(ntf_pv_unseal(k, "hone", bad, &plain), -1);
	ck_assert_int_eq(ntf_pv_unseal(k, "hone", "p1.nokey.AAAA.AAAA", &plain), -1);
	ck_assert_int_eq(ntf_pv_unseal(k, "hone", "garbage", &plain), -1);
	/* A second seal of the same text differs (fresh nonce). */
	{
		sg_buf again;

		sg_buf_init(&again, SG_BUF_UNLIMITED);
		ck_assert_int_eq(ntf_pv_seal(k, "hone", text, strlen(text), &again), 0);
		ck_assert_str_ne(sg_buf_cstr(&again), sg_buf_cstr(&sealed));
		sg_buf_free(&again);
	}
	free(bad);
	sg_buf_free(&sealed);
	sg_buf_free(&plain);
	ntf_keys_free(k);
}
END_TEST

START_TEST(test_notice_mac_verifies_and_returns_its_nonce)
{
	ntf_keys *k = one_key();
	char *hv = sign(k, BODY, rcpt1, 1, DATE), nonce[NTF_NONCE_MAX + 1];

	sg_buf h;

	ck_assert_msg(strncmp(hv, "v=2; kid=" KID_OLD "; n=", 26) == 0, "%s", hv);
	sg_buf_init(&h, 4096);
	notice_head(&h, DATE, "kacho@example.lg.jp", SUBJ, CTYPE);
	ck_assert_int_eq(ntf_notice_verify(k, hv, h.data, h.len, BODY, strlen(BODY), rcpt1, 1,
					   now_of(DATE), 5 * 86400L, nonce), NTF_VERIFY_OK);
	sg_buf_free(&h);
	ck_assert_uint_ge(strlen(nonce), 22);
	ck_assert_ptr_nonnull(strstr(hv, nonce));
	free(hv);
	ntf_keys_free(k);
}
END_TEST

START_TEST(test_notice_mac_fails_when_body_recipients_or_date_change)
{
	static const char *const two[] = { "kacho@example.lg.jp", "evil@example.com" };
	static const char *const other[] = { "someone@example.lg.jp" };
	ntf_keys *k = one_key();
	char *hv = sign(k, BODY, rcpt1, 1, DATE);

	ck_assert_int_eq(verify(k, hv, BODY "QQ==\n", rcpt1, 1, DATE), NTF_VERIFY_BAD_MAC);
	ck_assert_int_eq(verify(k, hv, BODY, two, 2, DATE), NTF_VERIFY_BAD_MAC);
	ck_assert_int_eq(verify(k, hv, BODY, other, 1, DATE), NTF_VERIFY_BAD_MAC);
	ck_assert_int_eq(verify(k, hv, BODY, rcpt1, 0, DATE), NTF_VERIFY_BAD_MAC);
	ck_assert_int_eq(verify(k, hv, BODY, rcpt1, 1, "Mon, 23 Nov 2026 10:00:01 +0900"),
			 NTF_VERIFY_BAD_MAC);
	free(hv);
	ntf_keys_free(k);
}
END_TEST

START_TEST(test_notice_mac_fails_when_the_nonce_is_changed)
{
	ntf_keys *k = one_key();
	char *hv = sign(k, BODY, rcpt1, 1, DATE);
	char *n = strstr(hv, "n=") + 2;

	n[0] = n[0] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(verify(k, hv, BODY, rcpt1, 1, DATE), NTF_VERIFY_BAD_MAC);
	free(hv);
	/* The whole MAC is compared, not a prefix: change its last bytes. */
	hv = sign(k, BODY, rcpt1, 1, DATE);
	n = hv + strlen(hv) - 2;
	*n = *n == 'A' ? 'B' : 'A';
	ck_assert_int_eq(verify(k, hv, BODY, rcpt1, 1, DATE), NTF_VERIFY_BAD_MAC);
	free(hv);
	ntf_keys_free(k);
}
END_TEST

START_TEST(test_notice_header_copied_onto_other_mail_does_not_verify)
{
	static const char *const victim[] = { "citizen@gmail.com" };
	ntf_keys *k = one_key();
	char *hv = sign(k, BODY, rcpt1, 1, DATE);

	/* A user pastes a real notice's header into mail of their own. */
	ck_assert_int_eq(verify(k, hv, "My Number 1234 5678 9018\n", victim, 1,
				"Tue, 24 Nov 2026 09:00:00 +0900"), NTF_VERIFY_BAD_MAC);
	free(hv);
	ntf_keys_free(k);
}
END_TEST

START_TEST(test_notice_mac_survives_crlf_brackets_case_order_and_folding)
{
	static const char *const many[] = { "kacho@example.lg.jp", "Kakaricho@Example.LG.JP" };
	static const char *const seen[] = { "<kakaricho@example.lg.jp>", " <KACHO@example.lg.jp>",
					    "<kacho@example.lg.jp>" };
	ntf_keys *k = one_key();
	char *hv = sign(k, BODY, many, 2, DATE);
	const char *crlf = "44Gq44KT44Gn44KC44Gq44GE\r\n5pys5paH\r\n\r\n";
	sg_buf folded;

	/* What the milter sees: CRLF, one more empty line, <>, another
	 * order, a duplicate, a leading space in Date, a folded header. */
	ck_assert_int_eq(verify(k, hv, crlf, seen, 3, " " DATE " "), NTF_VERIFY_OK);
	sg_buf_init(&folded, 4096);
	sg_buf_append(&folded, hv, (size_t)(strstr(hv, " mac=") - hv));
	sg_buf_printf(&folded, "\r\n\t%s", strstr(hv, "mac="));
	ck_assert_int_eq(verify(k, sg_buf_cstr(&folded), crlf, seen, 3, DATE), NTF_VERIFY_OK);
	/* Changing a character inside a line is not normalised away. */
	ck_assert_int_eq(verify(k, hv, "44Gq44KT44Gn44KC44Gq44GE \n5pys5paH\n", seen, 3, DATE),
			 NTF_VERIFY_BAD_MAC);
	sg_buf_free(&folded);
	free(hv);
	ntf_keys_free(k);
}
END_TEST

START_TEST(test_malformed_notice_headers_are_bad_format)
{
	static const char *const bad[] = {
		"", "v=2", "v=3; kid=" KID_OLD "; n=AAAAAAAAAAAAAAAAAAAAAA; mac=x",
		"v=2; kid=" KID_OLD "; n=AAAAAAAAAAAAAAAAAAAAAA",
		"v=2; kid=" KID_OLD "; kid=" KID_OLD "; n=AAAAAAAAAAAAAAAAAAAAAA; mac=AAAA",
		"v=2; kid=../etc/passwd; n=AAAAAAAAAAAAAAAAAAAAAA; "
		"mac=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"v=2; kid=" KID_OLD "; n=short; mac=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"v=2; kid=" KID_OLD "; n=AAAAAAAAAAAAAAAAAAAAAA; mac=AAAA; x=1",
		/* the notice of an earlier version: Date and body only */
		"v=1; kid=" KID_OLD "; n=AAAAAAAAAAAAAAAAAAAAAA; "
		"mac=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	ntf_keys *k = one_key();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(verify(k, bad[i], BODY, rcpt1, 1, DATE) == NTF_VERIFY_FORMAT,
			      "accepted \"%s\"", bad[i]);
	ck_assert_int_eq(verify(k, "v=2; kid=OTHERKEY; n=AAAAAAAAAAAAAAAAAAAAAA; "
				"mac=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
				BODY, rcpt1, 1, DATE), NTF_VERIFY_UNKNOWN_KID);
	ntf_keys_free(k);
}
END_TEST

/* What the gateway lets through unchecked on a verified notice is
 * covered: a notice whose Subject, To, Content-Type, Message-ID or
 * transfer encoding was changed, or that gained a Cc or a second
 * Subject, is another mail. */
START_TEST(test_notice_mac_fails_when_a_covered_header_changes)
{
	static const struct { const char *from, *to; } edits[] = {
		{ "Subject: " SUBJ, "Subject: =?UTF-8?B?5Y+X5L+h?=" },
		{ "To: kacho@example.lg.jp", "To: kacho@example.lg.jp, citizen@gmail.com" },
		{ "Content-Type: text/plain; charset=UTF-8",
		  "Content-Type: multipart/mixed; boundary=x" },
		{ "Content-Transfer-Encoding: base64", "Content-Transfer-Encoding: 7bit" },
		{ "Message-ID: <1795400100.x", "Message-ID: <1795400101.x" },
		{ "From: sendguard <sendguard@example.lg.jp>", "From: kacho@example.lg.jp" },
		{ "MIME-Version: 1.0", "MIME-Version: 1.1" },
		{ "Auto-Submitted: auto-generated", "Cc: citizen@gmail.com" },
		{ "Auto-Submitted: auto-generated", "Subject: second" },
		{ "Auto-Submitted: auto-generated", "Date: Mon, 23 Nov 2026 10:00:05 +0900" },
	};
	ntf_keys *k = one_key();
	char *hv = sign(k, BODY, rcpt1, 1, DATE);
	sg_buf h, e;

	sg_buf_init(&h, 4096);
	notice_head(&h, DATE, "kacho@example.lg.jp", SUBJ, CTYPE);
	ck_assert_int_eq(verify_head(k, hv, sg_buf_cstr(&h), BODY, rcpt1, 1, now_of(DATE)),
			 NTF_VERIFY_OK);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		const char *at = strstr(sg_buf_cstr(&h), edits[i].from);

		ck_assert_ptr_nonnull(at);
		sg_buf_init(&e, 4096);
		sg_buf_append(&e, h.data, (size_t)(at - h.data));
		sg_buf_puts(&e, edits[i].to);
		sg_buf_puts(&e, at + strlen(edits[i].from));
		ck_assert_msg(verify_head(k, hv, sg_buf_cstr(&e), BODY, rcpt1, 1, now_of(DATE)) ==
			      NTF_VERIFY_BAD_MAC, "edit %zu verified: %s", i, sg_buf_cstr(&e));
		sg_buf_free(&e);
	}
	/* Headers outside the list (Received, X-Mailer) may be added. */
	sg_buf_init(&e, 4096);
	sg_buf_puts(&e, "Received: from localhost by gw (Postfix)\n\tid 4jYF; Mon, 23 Nov 2026\n");
	sg_buf_append(&e, h.data, h.len);
	sg_buf_puts(&e, "X-Mailer: sendguard\n");
	ck_assert_int_eq(verify_head(k, hv, sg_buf_cstr(&e), BODY, rcpt1, 1, now_of(DATE)),
			 NTF_VERIFY_OK);
	sg_buf_free(&e);
	sg_buf_free(&h);
	free(hv);
	ntf_keys_free(k);
}
END_TEST

/* Postfix and libmilter refold header lines, send CRLF and drop the
 * blank after the colon; names may come in another case. */
START_TEST(test_notice_mac_survives_refolding_and_header_name_case)
{
	ntf_keys *k = one_key();
	char *hv = sign(k, BODY, rcpt1, 1, DATE);
	const char *seen =
		"from:sendguard  <sendguard@example.lg.jp>\r\n"
		"TO: kacho@example.lg.jp\r\n"
		"Subject:\r\n\t" SUBJ "\r\n"
		"Date: Mon, 23 Nov 2026\r\n 10:00:00 +0900\r\n"
		"Message-Id: <1795400100.x.sendguard@example.lg.jp>\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain;\r\n\tcharset=UTF-8\r\n"
		"Content-Transfer-Encoding:   base64  \r\n"
		"\r\n";

	ck_assert_int_eq(verify_head(k, hv, seen, BODY, rcpt1, 1, now_of(DATE)), NTF_VERIFY_OK);
	free(hv);
	ntf_keys_free(k);
}
END_TEST

/* A genuine notice is accepted while its Date is within the window
 * (5 days here; a notice deferred in Postfix's queue arrives late),
 * never after it, and never dated ahead of us. */
START_TEST(test_old_or_future_notice_date_fails_verification)
{
	ntf_keys *k = one_key();
	char *hv = sign(k, BODY, rcpt1, 1, DATE);
	time_t t = ntf_notice_date(DATE);
	sg_buf h;

	sg_buf_init(&h, 4096);
	notice_head(&h, DATE, "kacho@example.lg.jp", SUBJ, CTYPE);
	ck_assert_int_eq(verify_head(k, hv, sg_buf_cstr(&h), BODY, rcpt1, 1, t + 4 * 86400),
			 NTF_VERIFY_OK);
	ck_assert_int_eq(verify_head(k, hv, sg_buf_cstr(&h), BODY, rcpt1, 1, t + 5 * 86400),
			 NTF_VERIFY_OK);
	ck_assert_int_eq(verify_head(k, hv, sg_buf_cstr(&h), BODY, rcpt1, 1, t + 5 * 86400 + 1),
			 NTF_VERIFY_STALE);
	ck_assert_int_eq(verify_head(k, hv, sg_buf_cstr(&h), BODY, rcpt1, 1, t + 30 * 86400),
			 NTF_VERIFY_STALE);
	ck_assert_int_eq(verify_head(k, hv, sg_buf_cstr(&h), BODY, rcpt1, 1, t - 3600),
			 NTF_VERIFY_STALE);
	ck_assert_str_eq(ntf_verify_name(NTF_VERIFY_STALE), "date outside the window");
	sg_buf_free(&h);
	free(hv);
	ntf_keys_free(k);
}
END_TEST

START_TEST(test_notice_without_a_usable_date_is_not_signed)
{
	static const char *const dates[] = { "", "yesterday", "Mon, 32 Nov 2026 10:00:00 +0900",
					     "Mon, 23 Foo 2026 10:00:00 +0900",
					     "Mon, 23 Nov 2026 10:00:00 +09" };
	ntf_keys *k = one_key();
	sg_buf hv, h;

	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		sg_buf_init(&hv, 4096);
		sg_buf_init(&h, 4096);
		notice_head(&h, dates[i], "kacho@example.lg.jp", SUBJ, CTYPE);
		ck_assert_msg(ntf_notice_sign(k, h.data, h.len, BODY, strlen(BODY), rcpt1, 1,
					      &hv) == -1, "signed with Date \"%s\"", dates[i]);
		sg_buf_free(&hv);
		sg_buf_free(&h);
	}
	ntf_keys_free(k);
}
END_TEST

START_TEST(test_rfc5322_dates_parse_with_zones_and_comments)
{
	ck_assert_int_eq(ntf_notice_date("Mon, 23 Nov 2026 10:00:00 +0900"), 1795395600);
	ck_assert_int_eq(ntf_notice_date("23 Nov 2026 01:00:00 +0000 (UTC)"), 1795395600);
	ck_assert_int_eq(ntf_notice_date("Sun, 22 Nov 2026 20:00 EST"), 1795395600);
	ck_assert_int_eq(ntf_notice_date(" Mon,  23 Nov 2026 01:00:00 GMT "), 1795395600);
	ck_assert_int_eq(ntf_notice_date("Mon, 23 Nov 2026 01:00:00"), -1);
	ck_assert_int_eq(ntf_notice_date("Mon, 23 Nov 2026 25:00:00 +0000"), -1);
	ck_assert_int_eq(ntf_notice_date("Mon 23 Nov 2026 01:00:00 +0000"), -1);
}
END_TEST

START_TEST(test_rotation_old_key_still_verifies_new_key_signs)
{
	char *d = keydir(), *old_hv, *new_hv;
	ntf_keys *before, *after;
	sg_buf tok, err;

	write_file(d, KID_OLD, KEY_HEX, 0600);
	before = load_keys(d);
	old_hv = sign(before, BODY, rcpt1, 1, DATE);
	sg_buf_init(&tok, 4096);
	sg_buf_init(&err, 4096);
	ck_assert_int_eq(ntf_token_make(before, "h1", "kacho@example.lg.jp", 2000000000,
					&tok, &err), 0);
	write_file(d, KID_NEW, KEY_B64, 0600);
	after = load_keys(d);
	ck_assert_str_eq(ntf_keys_signing_kid(after), KID_NEW);
	new_hv = sign(after, BODY, rcpt1, 1, DATE);
	ck_assert_ptr_nonnull(strstr(new_hv, "kid=" KID_NEW ";"));
	/* Mail and links from before the rotation still verify. */
	ck_assert_int_eq(verify(after, old_hv, BODY, rcpt1, 1, DATE), NTF_VERIFY_OK);
	ck_assert_int_eq(ntf_token_verify(after, sg_buf_cstr(&tok), 1900000000, NULL,
					  NULL, NULL), NTF_TOKEN_OK);
	ck_assert_int_eq(verify(after, new_hv, BODY, rcpt1, 1, DATE), NTF_VERIFY_OK);
	/* A milter still on the old key set does not know the new kid. */
	ck_assert_int_eq(verify(before, new_hv, BODY, rcpt1, 1, DATE), NTF_VERIFY_UNKNOWN_KID);
	free(old_hv);
	free(new_hv);
	ntf_keys_free(before);
	ntf_keys_free(after);
	sg_buf_free(&tok);
	sg_buf_free(&err);
	free(d);
}
END_TEST

/* --------------------------------------------------------------- tokens */

static char *make_token(const ntf_keys *k, const char *hold, const char *person,
			time_t exp)
{
	sg_buf tok, err;

	sg_buf_init(&tok, 4096);
	sg_buf_init(&err, 4096);
	ck_assert_msg(ntf_token_make(k, hold, person, exp, &tok, &err) == 0, "%s",
		      sg_buf_cstr(&err));
	sg_buf_free(&err);
	return sg_buf_steal(&tok);
}

START_TEST(test_token_round_trip_gives_hold_person_and_expiry)
{
	ntf_keys *k = one_key();
	char *t = make_token(k, "H7k2mQ", "kakari.cho@sub.example.lg.jp", 2000000000);
	sg_buf hold, person;
	time_t exp = 0;

	sg_buf_init(&hold, 256);
	sg_buf_init(&person, 256);
	ck_assert_int_eq(ntf_token_verify(k, t, 1999999999, &hold, &person, &exp),
			 NTF_TOKEN_OK);
	ck_assert_str_eq(sg_buf_cstr(&hold), "H7k2mQ");
	ck_assert_str_eq(sg_buf_cstr(&person), "kakari.cho@sub.example.lg.jp");
	ck_assert_int_eq((long long)exp, 2000000000LL);
	/* URL-safe as it is: no '+', '/', '=' or '%' to escape. */
	ck_assert_int_eq((int)strcspn(t, "+/=%?&"), (int)strlen(t));
	free(t);
	/* The approver's list page: hold "*". */
	t = make_token(k, NTF_TOKEN_ANY_HOLD, "kacho@example.lg.jp", 2000000000);
	sg_buf_reset(&hold);
	ck_assert_int_eq(ntf_token_verify(k, t, 0, &hold, NULL, NULL), NTF_TOKEN_OK);
	ck_assert_str_eq(sg_buf_cstr(&hold), "*");
	free(t);
	sg_buf_free(&hold);
	sg_buf_free(&person);
	ntf_keys_free(k);
}
END_TEST

START_TEST(test_expired_token_is_refused)
{
	ntf_keys *k = one_key();
	char *t = make_token(k, "h1", "kacho@example.lg.jp", 1000);
	sg_buf hold;

	sg_buf_init(&hold, 256);
	ck_assert_int_eq(ntf_token_verify(k, t, 1000, &hold, NULL, NULL), NTF_TOKEN_EXPIRED);
	ck_assert_uint_eq(hold.len, 0);		/* nothing filled */
	ck_assert_int_eq(ntf_token_verify(k, t, 999, NULL, NULL, NULL), NTF_TOKEN_OK);
	free(t);
	sg_buf_free(&hold);
	ntf_keys_free(k);
}
END_TEST

START_TEST(test_forged_token_with_another_key_is_refused)
{
	char *d = path_in("other");
	ntf_keys *k = one_key(), *forger;
	char *t;

	/* Same key id, different secret: what someone without the key
	 * file would have to guess. */
	mkdir(d, 0700);
	write_file(d, KID_OLD, KEY_B64, 0600);
	forger = load_keys(d);
	t = make_token(forger, "h1", "kacho@example.lg.jp", 2000000000);
	ck_assert_int_eq(ntf_token_verify(k, t, 0, NULL, NULL, NULL), NTF_TOKEN_BAD_MAC);
	free(t);
	ntf_keys_free(forger);
	ntf_keys_free(k);
	free(d);
}
END_TEST

START_TEST(test_tampered_token_is_refused)
{
	ntf_keys *k = one_key();
	char *t = make_token(k, "h1", "staff@example.lg.jp", 2000000000);
	const char *mac = strchr(t, '.');
	sg_buf forged;

	/* Keep the MAC, swap in another person (to approve as them), or
	 * a later expiry. */
	sg_buf_init(&forged, 4096);
	ntf_b64url_encode(KID_OLD ".h1.kacho@example.lg.jp.2000000000",
			  strlen(KID_OLD ".h1.kacho@example.lg.jp.2000000000"), &forged);
	sg_buf_puts(&forged, mac);
	ck_assert_int_eq(ntf_token_verify(k, sg_buf_cstr(&forged), 0, NULL, NULL, NULL),
			 NTF_TOKEN_BAD_MAC);
	sg_buf_reset(&forged);
	ntf_b64url_encode(KID_OLD ".h1.staff@example.lg.jp.2100000000",
			  strlen(KID_OLD ".h1.staff@example.lg.jp.2100000000"), &forged);
	sg_buf_puts(&forged, mac);
	ck_assert_int_eq(ntf_token_verify(k, sg_buf_cstr(&forged), 0, NULL, NULL, NULL),
			 NTF_TOKEN_BAD_MAC);
	/* One character of the MAC changed. */
	t[strlen(t) - 2] = t[strlen(t) - 2] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(ntf_token_verify(k, t, 0, NULL, NULL, NULL), NTF_TOKEN_BAD_MAC);
	sg_buf_free(&forged);
	free(t);
	ntf_keys_free(k);
}
END_TEST

START_TEST(test_token_with_unknown_kid_or_bad_shape_is_refused)
{
	ntf_keys *k = one_key();
	static const char *const bad[] = { "", ".", "abc", "abc.def", "a.b.c",
					   "%%%.AAAA", "AAAA.AAAA" };
	sg_buf t;

	sg_buf_init(&t, 4096);
	ntf_b64url_encode("OTHERKID.h1.kacho@example.lg.jp.2000000000",
			  strlen("OTHERKID.h1.kacho@example.lg.jp.2000000000"), &t);
	sg_buf_puts(&t, ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	ck_assert_int_eq(ntf_token_verify(k, sg_buf_cstr(&t), 0, NULL, NULL, NULL),
			 NTF_TOKEN_UNKNOWN_KID);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ntf_token_verify(k, bad[i], 0, NULL, NULL, NULL) ==
			      NTF_TOKEN_MALFORMED, "accepted \"%s\"", bad[i]);
	ck_assert_int_eq(ntf_token_verify(k, NULL, 0, NULL, NULL, NULL), NTF_TOKEN_MALFORMED);
	/* Hold ids with dots or slashes are never minted. */
	sg_buf_reset(&t);
	ck_assert_int_eq(ntf_token_make(k, "../x", "a@b.jp", 1, &t, &t), -1);
	ck_assert_int_eq(ntf_token_make(k, "h1", "not-an-address", 1, &t, &t), -1);
	sg_buf_free(&t);
	ntf_keys_free(k);
}
END_TEST

/* ------------------------------------------------------------ approvers */

#define APPROVERS_CONF BASE_CONF \
	"[approvers]\n" \
	"category:classified = security-officer@example.lg.jp\n" \
	"category:personal-data = privacy@example.lg.jp, security-officer@example.lg.jp\n" \
	"*@soumu.example.lg.jp = soumu-kacho@example.lg.jp\n" \
	"kacho@example.lg.jp = bucho@example.lg.jp\n" \
	"*@example.lg.jp = kacho@example.lg.jp, kakaricho@example.lg.jp\n" \
	"default = security-officer@example.lg.jp\n"

static sg_conf *approvers_conf(void)
{
	sg_buf err;
	sg_conf *conf = load_conf(APPROVERS_CONF, NULL, &err);

	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	ck_assert_msg(ntf_approvers_check(conf, &err) == 0, "%s", sg_buf_cstr(&err));
	sg_buf_free(&err);
	return conf;
}

/* The approvers as one comma-joined string. */
static char *route(const sg_conf *conf, const char *sender, const char *from,
		   const char *login, const char *cat1, const char *cat2)
{
	const char *cats[2] = { cat1, cat2 };
	ntf_strv out;
	sg_buf b;

	ntf_strv_init(&out);
	ntf_approvers_for(conf, sender, from, login, cats, cat2 ? 2 : cat1 ? 1 : 0, &out);
	sg_buf_init(&b, 4096);
	for (size_t i = 0; i < out.n; i++)
		sg_buf_printf(&b, "%s%s", i ? "," : "", out.v[i]);
	ntf_strv_free(&out);
	return sg_buf_steal(&b) ? : strdup("");
}

#define ROUTE_IS(want, ...) do { \
	char *got_ = route(__VA_ARGS__); \
	ck_assert_str_eq(got_, want); \
	free(got_); \
} while (0)

/* With SMTP AUTH (login given): the sender's glob routes. */
START_TEST(test_first_matching_sender_glob_in_file_order_wins)
{
	sg_conf *conf = approvers_conf();

	ROUTE_IS("soumu-kacho@example.lg.jp", conf, "tanaka@soumu.example.lg.jp", NULL,
		 "tanaka", "unencrypted-attachment", NULL);
	ROUTE_IS("kacho@example.lg.jp,kakaricho@example.lg.jp", conf,
		 "Tanaka@Example.LG.JP", NULL, "tanaka", NULL, NULL);
	ROUTE_IS("bucho@example.lg.jp", conf, "kacho@example.lg.jp", NULL, "kacho", NULL, NULL);
	/* An extension does not change the routing. */
	ROUTE_IS("bucho@example.lg.jp", conf, "kacho+x@example.lg.jp", NULL, "kacho", NULL, NULL);
	ROUTE_IS("security-officer@example.lg.jp", conf, "someone@vendor.co.jp", NULL,
		 "someone", NULL, NULL);
	sg_conf_free(conf);
}
END_TEST

/* A category's approvers replace the others; with several categories
 * the first of [approval] category_order decides. */
START_TEST(test_category_approvers_replace_the_defaults)
{
	sg_buf err;
	sg_conf *conf = approvers_conf();

	ROUTE_IS("security-officer@example.lg.jp", conf, "tanaka@example.lg.jp", NULL,
		 "tanaka", "classified", NULL);
	ROUTE_IS("security-officer@example.lg.jp", conf, "tanaka@example.lg.jp", NULL,
		 "tanaka", "personal-data", "classified");
	ROUTE_IS("privacy@example.lg.jp,security-officer@example.lg.jp", conf,
		 "tanaka@example.lg.jp", NULL, "tanaka", "unencrypted-attachment",
		 "personal-data");
	/* The 課長's 取扱注意 mail: the security officer only, not his
	 * own subordinate. */
	ROUTE_IS("security-officer@example.lg.jp", conf, "kacho@example.lg.jp", NULL,
		 "kacho", "classified", NULL);
	sg_conf_free(conf);
	conf = load_conf(BASE_CONF "[approval]\ncategory_order = personal-data, classified\n"
			 "[approvers]\n"
			 "category:classified = security-officer@example.lg.jp\n"
			 "category:classified-3 = ciso@example.lg.jp\n"
			 "category:personal-data = privacy@example.lg.jp\n"
			 "default = kacho@example.lg.jp\n", NULL, &err);
	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	ROUTE_IS("privacy@example.lg.jp", conf, "tanaka@example.lg.jp", NULL, "tanaka",
		 "classified", "personal-data");
	/* classified-3 (held by [actions] classified-3 = hold) routes by
	 * its own line, ahead of classified. */
	ROUTE_IS("ciso@example.lg.jp", conf, "tanaka@example.lg.jp", NULL, "tanaka",
		 "classified", "classified-3");
	ROUTE_IS("security-officer@example.lg.jp", conf, "tanaka@example.lg.jp", NULL,
		 "tanaka", "classified", NULL);
	sg_conf_free(conf);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_sender_from_and_auth_login_are_never_approvers)
{
	sg_conf *conf = approvers_conf();

	/* The section head sends: their own glob names them. */
	ROUTE_IS("kakaricho@example.lg.jp", conf, "kacho2@example.lg.jp",
		 "KACHO@example.lg.jp", "kacho2", NULL, NULL);
	ROUTE_IS("kacho@example.lg.jp", conf, "tanaka@example.lg.jp", NULL,
		 "kakaricho@example.lg.jp", NULL, NULL);
	/* A bare login counts as login@ each internal domain. */
	ROUTE_IS("kacho@example.lg.jp", conf, "tanaka@example.lg.jp", NULL, "kakaricho",
		 NULL, NULL);
	/* A login with a realm (Cyrus SASL's kakaricho@realm) is the user
	 * at every internal domain too. */
	ROUTE_IS("kacho@example.lg.jp", conf,
		 "tanaka@example.lg.jp", NULL, "kakaricho@sendguard.test", NULL, NULL);
	/* Extensions and case: kacho+x is kacho. */
	ROUTE_IS("bucho@example.lg.jp", conf, "kacho+x@Example.LG.JP", NULL,
		 "kacho+x@example.lg.jp", "unencrypted-attachment", NULL);
	ROUTE_IS("kakaricho@example.lg.jp", conf, "tanaka@example.lg.jp", NULL,
		 "kacho+x@example.lg.jp", "unencrypted-attachment", NULL);
	ROUTE_IS("kakaricho@example.lg.jp", conf, "tanaka@example.lg.jp",
		 "Kacho+Memo@example.lg.jp", "tanaka", NULL, NULL);
	/* Every From address counts. */
	ROUTE_IS("security-officer@example.lg.jp", conf, "tanaka@example.lg.jp",
		 "kacho@example.lg.jp, kakaricho@example.lg.jp", "tanaka", NULL, NULL);
	sg_conf_free(conf);
}
END_TEST

/* Without SMTP AUTH the envelope sender is a claim: the 課長 who sends
 * as his subordinate must not get the hold (issue 14). */
START_TEST(test_without_auth_the_senders_own_routing_is_excluded)
{
	sg_conf *conf = approvers_conf();

	ROUTE_IS("security-officer@example.lg.jp", conf, "tanaka@example.lg.jp", NULL, NULL,
		 NULL, NULL);
	ROUTE_IS("security-officer@example.lg.jp", conf, "tanaka@example.lg.jp", NULL, "",
		 "unencrypted-attachment", NULL);
	/* The From address's own routing too. */
	ROUTE_IS("security-officer@example.lg.jp", conf, "app@soumu.example.lg.jp",
		 "tanaka@example.lg.jp", NULL, NULL, NULL);
	/* Category routing is not the sender's own. */
	ROUTE_IS("privacy@example.lg.jp,security-officer@example.lg.jp", conf,
		 "tanaka@example.lg.jp", NULL, NULL, "personal-data", NULL);
	sg_conf_free(conf);
}
END_TEST

START_TEST(test_default_when_exclusions_leave_nobody_then_empty)
{
	sg_buf err;
	sg_conf *conf = approvers_conf();

	/* bucho's only approver is bucho: default is asked instead. */
	ROUTE_IS("security-officer@example.lg.jp", conf, "x@soumu.example.lg.jp",
		 "soumu-kacho@example.lg.jp", "x", NULL, NULL);
	/* The security officer's own classified mail: the category has
	 * nobody left, so the sender's glob decides. */
	ROUTE_IS("kacho@example.lg.jp,kakaricho@example.lg.jp", conf,
		 "security-officer@example.lg.jp", NULL, "security-officer",
		 "classified", NULL);
	sg_conf_free(conf);
	conf = load_conf(BASE_CONF "[approvers]\n*@example.lg.jp = kacho@example.lg.jp\n"
			 "default = kacho@example.lg.jp\n", NULL, &err);
	ck_assert_ptr_nonnull(conf);
	ROUTE_IS("", conf, "kacho@example.lg.jp", NULL, "kacho", NULL, NULL);
	sg_conf_free(conf);
	conf = load_conf(BASE_CONF, NULL, &err);
	ROUTE_IS("", conf, "tanaka@example.lg.jp", NULL, "tanaka", "classified", NULL);
	sg_conf_free(conf);
	sg_buf_free(&err);
}
END_TEST

static void expect_approvers_error(const char *section, unsigned line, const char *key,
				   const char *what)
{
	char body[2048], *path, want[600];
	sg_buf err;
	sg_conf *conf;

	snprintf(body, sizeof(body), BASE_CONF "[approvers]\n%s", section);
	/* Values are checked by the loader (sg_conf), keys here. */
	conf = load_conf(body, &path, &err);
	if (conf != NULL)
		ck_assert_int_eq(ntf_approvers_check(conf, &err), -1);
	snprintf(want, sizeof(want), "%s:%u: [approvers] %s:", path, line, key);
	ck_assert_msg(strncmp(sg_buf_cstr(&err), want, strlen(want)) == 0,
		      "error \"%s\" does not start with \"%s\"", sg_buf_cstr(&err), want);
	ck_assert_msg(strstr(sg_buf_cstr(&err), what) != NULL,
		      "error \"%s\" does not say \"%s\"", sg_buf_cstr(&err), what);
	sg_conf_free(conf);
	sg_buf_free(&err);
	unlink(path);
	free(path);
}

/* [actions] classified-3 = hold: the hold carries the sub-category
 * (list, show, report show the stored categories) and
 * category:classified-3 routes it (issue 14 item 3). */
START_TEST(test_held_class3_carries_its_subcategory_and_routes_by_it)
{
	static const char msg[] =
		"From: tanaka@example.lg.jp\r\nTo: t.yamada@sakura-sys.example\r\n"
		"Subject: =?UTF-8?B?44CQ5qmf5a+G5oCnM0HjgJHmiZPlkIjjgZvos4fmlpk=?=\r\n"
		"Date: Mon, 23 Nov 2026 10:00:00 +0900\r\n\r\nbody\r\n";
	static const char appr[] =
		"[approvers]\n"
		"category:classified = security-officer@example.lg.jp\n"
		"category:classified-3 = ciso@example.lg.jp\n"
		"*@example.lg.jp = kacho@example.lg.jp\n"
		"default = security-officer@example.lg.jp\n";
	const char *rcpts[] = { "t.yamada@sakura-sys.example" };
	eng_envelope env = { "tanaka@example.lg.jp", rcpts, 1, "tanaka", NULL };
	const char *cats[ST_MAX_CATEGORIES];
	char *text = sg_test_conf_join(BASE_CONF "[actions]\nclassified-3 = hold\n", appr);
	eng_result res;
	sg_conf *conf;
	sg_buf err;
	size_t n;

	eng_result_init(&res);
	sg_test_scan(text, &env, msg, sizeof(msg) - 1, &res);
	ck_assert_int_eq(res.verdict, ENG_ACT_HOLD);
	n = st_result_categories(&res, cats);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(cats[0], "classified");
	ck_assert_str_eq(cats[1], "classified-3");
	sg_buf_init(&err, 4096);
	conf = load_conf(BASE_CONF "[actions]\nclassified-3 = hold\n[approvers]\n"
			 "category:classified = security-officer@example.lg.jp\n"
			 "category:classified-3 = ciso@example.lg.jp\n"
			 "*@example.lg.jp = kacho@example.lg.jp\n", NULL, &err);
	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	ROUTE_IS("ciso@example.lg.jp", conf, "tanaka@example.lg.jp", NULL, "tanaka",
		 cats[0], cats[1]);
	sg_conf_free(conf);
	sg_buf_free(&err);
	eng_result_free(&res);
	free(text);
}
END_TEST

START_TEST(test_invalid_approvers_config_names_file_line_and_key)
{
	/* BASE_CONF is two lines, [approvers] the third. */
	expect_approvers_error("default = a@example.lg.jp\ncategory:secret = b@example.lg.jp\n",
			       5, "category:secret", "unknown category");
	expect_approvers_error("*@example.lg.jp = kacho\n", 4, "*@example.lg.jp",
			       "not an address in an internal domain");
	expect_approvers_error("default = 課長\n", 4, "default",
			       "not an address in an internal domain");
	expect_approvers_error("default = kakaricho@example\n", 4, "default",
			       "not an address in an internal domain");
	expect_approvers_error("default = kakaricho@gmail.com\n", 4, "default",
			       "not an address in an internal domain");
	expect_approvers_error("default = kacho%gmail.com@example.lg.jp\n", 4, "default",
			       "not an address in an internal domain");
	expect_approvers_error("default = a@example.lg.jp\n\nuser[0-9@example.lg.jp = "
			       "b@example.lg.jp\n", 6, "user[0-9@example.lg.jp", "unclosed '['");
	expect_approvers_error("category:classified-3 = a@example.lg.jp\n"
			       "default = Security Officer <so@example.lg.jp>\n",
			       5, "default", "not an address in an internal domain");
}
END_TEST

/* ------------------------------------------------------------ templates */

static ntf_template *parse(const char *text, sg_buf *err)
{
	sg_buf_init(err, 4096);
	return ntf_template_parse("ja/test.txt", text, strlen(text), err);
}

START_TEST(test_template_renders_japanese_values)
{
	sg_buf err, subject, body;
	ntf_template *t = parse("Subject: 【保留】{{subject}}\n\n{{ sender }} 様\n"
				"件名: {{subject}}\n{{findings}}\n", &err);
	ntf_var vars[] = {
		{ "subject", "見積書の送付（{{link}} は展開しない）" },
		{ "sender", "田中@example.lg.jp" },
		{ "findings", "・個人番号 — 場所: 本文 — 1 件" },
	};

	ck_assert_msg(t != NULL, "%s", sg_buf_cstr(&err));
	sg_buf_init(&subject, 4096);
	sg_buf_init(&body, 4096);
	ck_assert_int_eq(ntf_template_render(t, vars, 3, &subject, &body), 0);
	ck_assert_str_eq(sg_buf_cstr(&subject), "【保留】見積書の送付（{{link}} は展開しない）");
	ck_assert_str_eq(sg_buf_cstr(&body), "田中@example.lg.jp 様\n件名: 見積書の送付（{{link}} "
			 "は展開しない）\n・個人番号 — 場所: 本文 — 1 件\n");
	ntf_template_free(t);
	sg_buf_free(&err);
	sg_buf_free(&subject);
	sg_buf_free(&body);
}
END_TEST

START_TEST(test_subject_values_stay_on_one_short_line)
{
	sg_buf err, subject, body;
	ntf_template *t = parse("Subject: {{subject}}\n\nx\n", &err);
	char longsub[1024] = "";
	ntf_var vars[1] = { { "subject", longsub } };

	for (int i = 0; i < 100; i++)
		strcat(longsub, "件");	/* 300 bytes */
	memcpy(longsub, "a\r\nBcc: x@y\n", 12);
	sg_buf_init(&subject, 4096);
	sg_buf_init(&body, 4096);
	ck_assert_int_eq(ntf_template_render(t, vars, 1, &subject, &body), 0);
	ck_assert_ptr_null(strpbrk(sg_buf_cstr(&subject), "\r\n"));
	ck_assert_uint_le(subject.len, 130);
	ntf_template_free(t);
	sg_buf_free(&err);
	sg_buf_free(&subject);
	sg_buf_free(&body);
}
END_TEST

START_TEST(test_unknown_placeholder_is_an_error_with_file_and_line)
{
	sg_buf err;

	ck_assert_ptr_null(parse("Subject: x\n\nline 3\n{{sender}} {{sendr}}\n", &err));
	ck_assert_str_eq(sg_buf_cstr(&err), "ja/test.txt:4: unknown placeholder {{sendr}}");
	sg_buf_free(&err);
	ck_assert_ptr_null(parse("Subject: {{nope}}\n\nbody\n", &err));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "ja/test.txt:1: unknown placeholder"));
	sg_buf_free(&err);
	ck_assert_ptr_null(parse("Subject: x\n\n{{sender\n}}\n", &err));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "ja/test.txt:3:"));
	sg_buf_free(&err);
	ck_assert_ptr_null(parse("no subject line\n\nbody\n", &err));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "Subject"));
	sg_buf_free(&err);
}
END_TEST

/* -------------------------------------------------------------- messages */

static sg_conf *notify_conf(const char *extra)
{
	char body[2048];
	sg_buf err;
	sg_conf *conf;

	snprintf(body, sizeof(body), BASE_CONF "[notify]\ntemplates = %s/conf/templates\n"
		 "%s[web]\nbase_url = https://mail.example.lg.jp/sendguard/\n"
		 "[approvers]\ndefault = kacho@example.lg.jp\n", sg_test_srcdir(),
		 extra ? extra : "");
	conf = load_conf(body, NULL, &err);
	ck_assert_msg(conf != NULL, "%s", sg_buf_cstr(&err));
	sg_buf_free(&err);
	return conf;
}

static ntf_ctx *new_ctx(const sg_conf *conf, const ntf_keys *k)
{
	sg_buf err;
	ntf_ctx *ctx;

	sg_buf_init(&err, 4096);
	ctx = ntf_ctx_new(conf, k, &err);
	ck_assert_msg(ctx != NULL, "%s", sg_buf_cstr(&err));
	sg_buf_free(&err);
	return ctx;
}

static void fill_view(ntf_hold_view *v)
{
	ntf_view_init(v);
	v->hold_id = strdup("Hq3xZ9");
	v->queue_id = strdup("4Xyz1234abcd");
	v->sender = strdup("tanaka@example.lg.jp");
	v->from = strdup("tanaka@example.lg.jp");
	v->subject = strdup("【至急】住民名簿の送付について");
	v->rcpts = calloc(2, sizeof(*v->rcpts));
	v->rcpts[0] = (ntf_rcpt_view){ strdup("vendor@partner.co.jp"), true, NULL };
	v->rcpts[1] = (ntf_rcpt_view){ strdup("kakaricho@example.lg.jp"), false, NULL };
	v->nrcpts = 2;
	v->findings = calloc(1, sizeof(*v->findings));
	v->findings[0] = (ntf_finding_view){ strdup("personal-data"), strdup("my-number"),
		strdup("個人番号（マイナンバー）"), strdup("Individual Number (My Number)"),
		strdup("名簿.zip/名簿.xlsx"), 3, strdup("1234 **** **18") };
	v->nfindings = 1;
	v->atts = calloc(1, sizeof(*v->atts));
	v->atts[0].name = strdup("名簿.zip");
	v->atts[0].type = strdup("application/zip");
	v->atts[0].size = 20480;
	v->atts[0].entries = calloc(1, sizeof(*v->atts[0].entries));
	v->atts[0].entries[0].name = strdup("名簿.zip/名簿.xlsx");
	v->atts[0].entries[0].type = strdup("application/vnd.openxmlformats-officedocument."
					    "spreadsheetml.sheet");
	v->atts[0].entries[0].size = 51200;
	v->atts[0].nentries = 1;
	v->natts = 1;
	ntf_view_add_category(v, "personal-data");
	ntf_view_add_category(v, "unencrypted-attachment");
	ntf_view_add_approver(v, "kacho@example.lg.jp");
	v->size = 3 * 1024 * 1024 / 2;
	v->created = 1795400000;
	v->expires = 1795400000 + 72 * 3600;
}

/* Header value of `name` (unfolded), or NULL; caller frees. */
static char *header(const char *msg, const char *name)
{
	size_t n = strlen(name);
	const char *end = strstr(msg, "\n\n");
	sg_buf b;

	for (const char *p = msg; p && p < end; p = strchr(p, '\n') + 1) {
		if (strncasecmp(p, name, n) != 0 || p[n] != ':')
			continue;
		sg_buf_init(&b, 65536);
		for (p += n + 1; *p == ' '; p++)
			;
		for (; p < end; p++) {
			if (*p == '\n' && (p[1] == ' ' || p[1] == '\t'))
				continue;
			if (*p == '\n')
				break;
			sg_buf_putc(&b, *p);
		}
		return sg_buf_steal(&b);
	}
	return NULL;
}

static char *built_text;	/* decoded body of the last built message */

static char *build(ntf_ctx *ctx, ntf_kind kind, const ntf_hold_view *v, const char *to)
{
	sg_buf out, err, dec;
	const char *body;

	sg_buf_init(&out, SG_BUF_UNLIMITED);
	sg_buf_init(&err, 4096);
	ck_assert_msg(ntf_build_message(ctx, kind, v, to, 1795400100, &out, &err) == 0,
		      "%s", sg_buf_cstr(&err));
	body = strstr(out.data, "\n\n") + 2;
	sg_buf_init(&dec, SG_BUF_UNLIMITED);
	ck_assert_int_eq(ntf_b64_decode_lenient(body, strlen(body), &dec), 0);
	free(built_text);
	built_text = sg_buf_steal(&dec);
	if (getenv("NTF_DUMP"))	/* NTF_DUMP=1: show each notice */
		fprintf(stderr, "%s\n%s\n", out.data, built_text);
	sg_buf_free(&err);
	return sg_buf_steal(&out);
}

START_TEST(test_approval_request_is_a_signed_japanese_first_message)
{
	ntf_keys *k = one_key();
	sg_conf *conf = notify_conf(NULL);
	ntf_ctx *ctx = new_ctx(conf, k);
	ntf_hold_view v;
	char *msg, *subj, *date, *sig, *link;
	const char *body, *en;
	sg_buf dec, hold, person;
	const char *to[1] = { "kacho@example.lg.jp" }, *other[1] = { "x@example.lg.jp" };

	fill_view(&v);
	msg = build(ctx, NTF_APPROVAL_REQUEST, &v, "kacho@example.lg.jp");
	/* Headers a client and RFC 3834 expect; every line short. */
	for (const char *p = msg; p < strstr(msg, "\n\n"); p = strchr(p, '\n') + 1)
		ck_assert_msg(strcspn(p, "\n") < 78, "long header line: %.*s",
			      (int)strcspn(p, "\n"), p);
	ck_assert_ptr_nonnull(strstr(msg, "\nTo: kacho@example.lg.jp\n"));
	ck_assert_ptr_nonnull(strstr(msg, "From: sendguard <sendguard@example.lg.jp>\n"));
	ck_assert_ptr_nonnull(strstr(msg, "\nAuto-Submitted: auto-generated\n"));
	ck_assert_ptr_nonnull(strstr(msg, "\nContent-Type: text/plain; charset=UTF-8\n"));
	ck_assert_ptr_nonnull(strstr(msg, "\nContent-Transfer-Encoding: base64\n"));
	ck_assert_ptr_nonnull(strstr(msg, "\nMIME-Version: 1.0\n"));
	ck_assert_ptr_nonnull(strstr(msg, "\nMessage-ID: <"));
	/* The Subject decodes (as the engine decodes it) to both languages. */
	subj = header(msg, "Subject");
	ck_assert_ptr_nonnull(subj);
	sg_buf_init(&dec, 4096);
	ck_assert_int_eq(eng_hdr_decode(subj, strlen(subj), &dec), 0);
	ck_assert_str_eq(sg_buf_cstr(&dec), "【承認依頼】tanaka@example.lg.jp さんのメールを保留"
			 "しています: 【至急】住民名簿の送付について / [Approval needed] Message "
			 "from tanaka@example.lg.jp is on hold: 【至急】住民名簿の送付について");
	/* Body: Japanese first, English below, in canonical CRLF form. */
	en = strstr(built_text, "A message from tanaka@example.lg.jp");
	ck_assert_ptr_nonnull(en);
	/* Places, types and times in words (issue 18 item 6). */
	ck_assert_ptr_nonnull(strstr(built_text, "・個人番号（マイナンバー） — 場所: 添付ファイル「名簿.zip/"
				     "名簿.xlsx」 — 3 件 — 該当箇所（伏せ字）: 1234 **** **18\r\n"));
	ck_assert_ptr_nonnull(strstr(en, "where: attachment \"名簿.zip/名簿.xlsx\" — count: 3"
				     " — evidence (masked): 1234 **** **18"));
	ck_assert_ptr_nonnull(strstr(built_text, "名簿.zip (ZIP 圧縮ファイル, "));
	ck_assert_ptr_nonnull(strstr(en, "名簿.zip (ZIP archive, "));
	ck_assert_ptr_null(strstr(built_text, "application/"));
	ck_assert_ptr_null(strstr(built_text, "マスク"));
	/* 1795400000 is 2026-11-23T11:13:20+09:00, a Monday; the process
	 * runs in UTC in CI, the notice speaks [policy] timezone. */
	ck_assert_ptr_nonnull(strstr(built_text, "（受付 2026年11月23日(月) 11:13、"));
	ck_assert_ptr_nonnull(strstr(en, "received Mon 23 Nov 2026 11:13 (+09:00)"));
	ck_assert_ptr_null(strstr(built_text, "T11:13:20"));
	/* The roster is in an attachment: advice about the attachment, not
	 * "do not write it in the body". */
	ck_assert_ptr_nonnull(strstr(built_text, "添付ファイルに個人情報"));
	ck_assert_ptr_null(strstr(built_text, "メール本文に書かないで"));
	ck_assert_ptr_nonnull(strstr(en, "An attachment holds personal data"));
	ck_assert(strstr(built_text, "個人番号") < en);
	ck_assert_ptr_nonnull(strstr(built_text, "・vendor@partner.co.jp（外部）\r\n"
				     "・kakaricho@example.lg.jp\r\n"));
	ck_assert_ptr_nonnull(strstr(built_text, "  └ 名簿.zip/名簿.xlsx (Excel ブック, "));
	ck_assert_ptr_nonnull(strstr(built_text, "50.0 KB, 暗号化なし)"));
	ck_assert_ptr_nonnull(strstr(built_text, "大きさ 1.5 MB"));
	ck_assert_ptr_nonnull(strstr(built_text, "別の経路で伝えて"));	/* not PPAP */
	ck_assert_ptr_nonnull(strstr(en, "- vendor@partner.co.jp (external)"));
	ck_assert_ptr_nonnull(strstr(en, "sendguardctl approve Hq3xZ9 --by kacho@example.lg.jp"));
	ck_assert_ptr_null(strstr(built_text, "{{"));
	ck_assert_ptr_null(strstr(built_text, "\r\r"));
	/* The link carries a token for this approver and this hold. */
	link = strstr(built_text, "https://mail.example.lg.jp/sendguard/hold/Hq3xZ9?t=");
	ck_assert_ptr_nonnull(link);
	link = strndup(link + strlen("https://mail.example.lg.jp/sendguard/hold/Hq3xZ9?t="),
		       strcspn(link + strlen("https://mail.example.lg.jp/sendguard/hold/Hq3xZ9?t="),
			       "\r\n"));
	sg_buf_init(&hold, 256);
	sg_buf_init(&person, 256);
	ck_assert_int_eq(ntf_token_verify(k, link, 1795400100, &hold, &person, NULL),
			 NTF_TOKEN_OK);
	ck_assert_str_eq(sg_buf_cstr(&hold), "Hq3xZ9");
	ck_assert_str_eq(sg_buf_cstr(&person), "kacho@example.lg.jp");
	/* The notice verifies as the milter will check it. */
	date = header(msg, "Date");
	sig = header(msg, "X-Sendguard-Notice");
	body = strstr(msg, "\n\n") + 2;
	ck_assert_int_eq(ntf_notice_date(date), 1795400100);
	ck_assert_int_eq(ntf_notice_verify(k, sig, msg, (size_t)(body - msg), body, strlen(body),
					   to, 1, 1795400160, 5 * 86400L, NULL), NTF_VERIFY_OK);
	ck_assert_int_eq(ntf_notice_verify(k, sig, msg, (size_t)(body - msg), body, strlen(body),
					   other, 1, 1795400160, 5 * 86400L, NULL),
			 NTF_VERIFY_BAD_MAC);
	free(link), free(subj), free(date), free(sig), free(msg);
	sg_buf_free(&dec), sg_buf_free(&hold), sg_buf_free(&person);
	ntf_view_free(&v);
	ntf_ctx_free(ctx);
	sg_conf_free(conf);
	ntf_keys_free(k);
}
END_TEST

/* Issue 18 item 6: an attachment finding's evidence is the file's type,
 * which staff read as words (Excel ブック), not as a MIME type nor as
 * 伏せ字; masked text that merely holds a slash stays evidence. */
START_TEST(test_type_evidence_is_shown_in_words)
{
	ntf_keys *k = one_key();
	sg_conf *conf = notify_conf(NULL);
	ntf_ctx *ctx = new_ctx(conf, k);
	ntf_hold_view v;
	char *msg;
	const char *en;

	ck_assert(ntf_evidence_is_type("application/vnd.openxmlformats-officedocument"
				       ".spreadsheetml.sheet"));
	ck_assert(ntf_evidence_is_type("image/svg+xml"));
	ck_assert(!ntf_evidence_is_type("1983/4/**"));
	ck_assert(!ntf_evidence_is_type("text/"));
	ck_assert(!ntf_evidence_is_type("application/pdf 山田"));
	ck_assert(!ntf_evidence_is_type(""));
	ck_assert(!ntf_evidence_is_type(NULL));
	fill_view(&v);
	free(v.findings[0].category), free(v.findings[0].rule);
	free(v.findings[0].label_ja), free(v.findings[0].label_en);
	free(v.findings[0].evidence);
	v.findings[0].category = strdup("unencrypted-attachment");
	v.findings[0].rule = strdup("unencrypted-file");
	v.findings[0].label_ja = strdup("暗号化されていない添付ファイル");
	v.findings[0].label_en = strdup("Attachment is not encrypted");
	v.findings[0].evidence = strdup("application/vnd.openxmlformats-officedocument"
					".spreadsheetml.sheet");
	msg = build(ctx, NTF_APPROVAL_REQUEST, &v, "kacho@example.lg.jp");
	en = strstr(built_text, "A message from");
	ck_assert_ptr_nonnull(en);
	ck_assert_msg(strstr(built_text, " — 3 件 — 種類: Excel ブック\r\n") != NULL, "%s",
		      built_text);
	ck_assert_ptr_nonnull(strstr(en, " — count: 3 — type: Excel workbook\r\n"));
	ck_assert_ptr_null(strstr(built_text, "application/"));
	ck_assert_ptr_null(strstr(built_text, "伏せ字）: "));
	free(msg);
	ntf_view_free(&v);
	ntf_ctx_free(ctx);
	sg_conf_free(conf);
	ntf_keys_free(k);
}
END_TEST

/* Issue 18 item 6: advice by place. A program gets "do not send
 * programs", never "please encrypt"; a number in the body gets the
 * body advice; a reminder does not read as if the mail was re-sent. */
START_TEST(test_advice_follows_the_place_and_the_reminder_says_reminder)
{
	ntf_keys *k = one_key();
	sg_conf *conf = notify_conf(NULL);
	ntf_ctx *ctx = new_ctx(conf, k);
	ntf_hold_view v;
	char *msg, *subj;
	sg_buf dec;

	fill_view(&v);
	ntf_view_free(&v);
	ntf_view_init(&v);
	v.hold_id = strdup("Hq3xZ9");
	v.sender = strdup("tanaka@example.lg.jp");
	v.subject = strdup("ツール");
	v.findings = calloc(3, sizeof(*v.findings));
	v.findings[0] = (ntf_finding_view){ strdup("dangerous-attachment"), strdup("executable"),
		strdup("実行ファイル"), strdup("Executable"), strdup("申請書.pdf"), 1, strdup("") };
	v.findings[1] = (ntf_finding_view){ strdup("unencrypted-attachment"),
		strdup("unencrypted-file"), strdup("暗号化されていない添付ファイル"),
		strdup("Unencrypted attachment"), strdup("申請書.pdf"), 1, strdup("") };
	v.findings[2] = (ntf_finding_view){ strdup("personal-data"), strdup("my-number"),
		strdup("個人番号"), strdup("My Number"), strdup("header:Subject"), 1,
		strdup("1234********") };
	v.nfindings = 3;
	v.atts = calloc(1, sizeof(*v.atts));
	v.atts[0].name = strdup("申請書.pdf");
	v.atts[0].type = strdup("application/vnd.microsoft.portable-executable");
	v.natts = 1;
	ntf_view_add_category(&v, "dangerous-attachment");
	ntf_view_add_category(&v, "unencrypted-attachment");
	ntf_view_add_category(&v, "personal-data");
	msg = build(ctx, NTF_HOLD_SENDER, &v, "tanaka@example.lg.jp");
	ck_assert_ptr_nonnull(strstr(built_text, "実行ファイル（exe、scr、lnk など）"));
	ck_assert_ptr_null(strstr(built_text, "添付ファイルを暗号化してください"));
	ck_assert_ptr_null(strstr(built_text, "Encrypt the attachment"));
	ck_assert_ptr_nonnull(strstr(built_text, "申請書.pdf (実行ファイル (プログラム), "));
	ck_assert_ptr_nonnull(strstr(built_text, "場所: 件名 — 1 件"));
	ck_assert_ptr_nonnull(strstr(built_text, "メール本文に書かないで"));
	ck_assert_ptr_null(strstr(built_text, "添付ファイルに個人情報"));
	free(msg);
	/* The reminder's subject. */
	msg = build(ctx, NTF_APPROVAL_REMINDER, &v, "kacho@example.lg.jp");
	subj = header(msg, "Subject");
	sg_buf_init(&dec, 4096);
	ck_assert_int_eq(eng_hdr_decode(subj, strlen(subj), &dec), 0);
	ck_assert_msg(strstr(sg_buf_cstr(&dec), "【承認依頼・リマインダー】") != NULL, "%s",
		      sg_buf_cstr(&dec));
	ck_assert_ptr_null(strstr(sg_buf_cstr(&dec), "再送"));
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&dec), "[Reminder]"));
	sg_buf_free(&dec);
	free(subj);
	free(msg);
	ntf_view_free(&v);
	ntf_ctx_free(ctx);
	sg_conf_free(conf);
	ntf_keys_free(k);
}
END_TEST

/* One word for each place, type and masked evidence. */
START_TEST(test_words_for_places_and_types)
{
	sg_buf b;

	sg_buf_init(&b, 4096);
	ntf_where_text("body", true, &b);
	ck_assert_str_eq(sg_buf_cstr(&b), "本文");
	sg_buf_reset(&b);
	ntf_where_text("header:Subject", true, &b);
	ck_assert_str_eq(sg_buf_cstr(&b), "件名");
	sg_buf_reset(&b);
	ntf_where_text("header:To,Cc", true, &b);
	ck_assert_str_eq(sg_buf_cstr(&b), "宛先 (To/Cc)");
	sg_buf_reset(&b);
	ntf_where_text("転送.eml/body", true, &b);
	ck_assert_str_eq(sg_buf_cstr(&b), "添付ファイル「転送.eml」の本文");
	sg_buf_reset(&b);
	ntf_where_text("a.zip/b.xlsx", false, &b);
	ck_assert_str_eq(sg_buf_cstr(&b), "attachment \"a.zip/b.xlsx\"");
	/* A private-recipient finding is about recipients, not a file. */
	sg_buf_reset(&b);
	ntf_where_text("recipient:gmail.com", true, &b);
	ck_assert_str_eq(sg_buf_cstr(&b), "宛先 (gmail.com のアドレス)");
	sg_buf_reset(&b);
	ntf_where_text("recipient:gmail.com", false, &b);
	ck_assert_str_eq(sg_buf_cstr(&b), "recipients at gmail.com");
	ck_assert(!ntf_where_is_attachment("recipient:gmail.com"));
	ck_assert(ntf_where_is_attachment("a.zip/b.xlsx"));
	ck_assert(!ntf_where_is_attachment("header:Subject"));
	ck_assert(ntf_where_is_attachment("fwd.eml/body"));
	ck_assert_str_eq(ntf_type_label("application/vnd.openxmlformats-officedocument."
					"spreadsheetml.sheet", true), "Excel ブック");
	ck_assert_str_eq(ntf_type_label("application/vnd.openxmlformats-officedocument."
					"wordprocessingml.document", true), "Word 文書");
	ck_assert_str_eq(ntf_type_label("application/pdf", true), "PDF");
	ck_assert_str_eq(ntf_type_label("application/zip", true), "ZIP 圧縮ファイル");
	ck_assert_str_eq(ntf_type_label("text/plain; charset=utf-8", true), "テキストファイル");
	ck_assert_str_eq(ntf_category_label("personal-data", true), "個人情報");
	sg_buf_free(&b);
}
END_TEST

START_TEST(test_every_shipped_notice_renders_without_placeholders)
{
	ntf_keys *k = one_key();
	sg_conf *conf = notify_conf("from = postmaster@example.lg.jp\n");
	ntf_ctx *ctx = new_ctx(conf, k);
	ntf_hold_view v;

	fill_view(&v);
	v.decided_by = strdup("kacho@example.lg.jp");
	v.decided_at = 1795410000;
	v.comment = strdup("宛先を確認しました");
	ck_assert_str_eq(ntf_ctx_from(ctx), "postmaster@example.lg.jp");
	for (int kind = 0; kind < NTF_KIND_COUNT; kind++) {
		char *msg = build(ctx, (ntf_kind)kind, &v, "tanaka@example.lg.jp");

		ck_assert_msg(strstr(built_text, "{{") == NULL, "%s", ntf_kind_name(kind));
		ck_assert_msg(strstr(built_text, "【至急】住民名簿の送付について") != NULL,
			      "%s has no subject", ntf_kind_name(kind));
		ck_assert_msg(strstr(built_text, "------------\r\n") != NULL,
			      "%s has no English part", ntf_kind_name(kind));
		free(msg);
	}
	ntf_view_free(&v);
	ntf_ctx_free(ctx);
	sg_conf_free(conf);
	ntf_keys_free(k);
}
END_TEST

START_TEST(test_hold_notice_gives_advice_and_withdraw_link_to_the_sender)
{
	ntf_keys *k = one_key();
	sg_conf *conf = notify_conf(NULL);
	ntf_ctx *ctx = new_ctx(conf, k);
	ntf_hold_view v;
	char *msg;

	fill_view(&v);
	ntf_view_add_category(&v, "exposed-recipients");
	msg = build(ctx, NTF_HOLD_SENDER, &v, "tanaka@example.lg.jp");
	ck_assert_ptr_nonnull(strstr(built_text, "パスワード付きZIPでも"));
	/* The number is in an attachment: advice about the attachment. */
	ck_assert_ptr_nonnull(strstr(built_text, "添付ファイルに個人情報"));
	ck_assert_ptr_null(strstr(built_text, "本文から番号を削除"));
	ck_assert_ptr_nonnull(strstr(built_text, "Bcc に入れて送り直して"));
	ck_assert_ptr_null(strstr(built_text, "機密性3"));	/* not present */
	ck_assert_ptr_nonnull(strstr(built_text, "sendguardctl withdraw Hq3xZ9 --by "
				     "tanaka@example.lg.jp"));
	ck_assert_ptr_nonnull(strstr(built_text, "・kacho@example.lg.jp"));	/* asked */
	ck_assert_ptr_nonnull(strstr(built_text, "/hold/Hq3xZ9?t="));
	free(msg);
	ntf_view_free(&v);
	ntf_ctx_free(ctx);
	sg_conf_free(conf);
	ntf_keys_free(k);
}
END_TEST

/* Delayed send (issue 19): Japanese first, recipients and attachments,
 * the time it leaves, two signed links (send now, cancel) and the
 * commands for both. */
START_TEST(test_delay_notice_has_send_now_and_cancel_links)
{
	ntf_keys *k = one_key();
	sg_conf *conf = notify_conf(NULL);
	ntf_ctx *ctx = new_ctx(conf, k);
	ntf_hold_view v;
	char *msg, *ja, *en, *send, *cancel;

	fill_view(&v);
	v.release_at = 1795400000 + 300;
	msg = build(ctx, NTF_DELAY_SENDER, &v, "tanaka@example.lg.jp");
	ja = strstr(built_text, "今すぐ送信");
	en = strstr(built_text, "Send now");
	ck_assert_ptr_nonnull(ja);
	ck_assert_ptr_nonnull(en);
	ck_assert(ja < en);			/* Japanese first */
	ck_assert_ptr_nonnull(strstr(built_text, "送信取り消し"));
	ck_assert_ptr_nonnull(strstr(built_text, "vendor@partner.co.jp"));
	ck_assert_ptr_nonnull(strstr(built_text, "名簿.zip"));
	ck_assert_ptr_nonnull(strstr(built_text, "2026年11月23日(月) 11:18"));	/* release_at */
	send = strstr(built_text, "/hold/Hq3xZ9?t=");
	ck_assert_ptr_nonnull(send);
	ck_assert_ptr_nonnull(strstr(built_text, "#send"));
	cancel = strstr(built_text, "#cancel");
	ck_assert_ptr_nonnull(cancel);
	ck_assert_ptr_nonnull(strstr(built_text, "sendguardctl release Hq3xZ9 --by "
				     "tanaka@example.lg.jp"));
	ck_assert_ptr_nonnull(strstr(built_text, "sendguardctl withdraw Hq3xZ9 --by "
				     "tanaka@example.lg.jp"));
	free(msg);
	ntf_view_free(&v);
	ntf_ctx_free(ctx);
	sg_conf_free(conf);
	ntf_keys_free(k);
}
END_TEST

/* Delayed send: the "it has left" notice ([notify] notify_sent), Japanese
 * first, with when it left, when it was planned, and the recipients; no
 * link (nothing is left to do). */
START_TEST(test_sent_notice_says_when_it_left)
{
	ntf_keys *k = one_key();
	sg_conf *conf = notify_conf(NULL);
	ntf_ctx *ctx = new_ctx(conf, k);
	ntf_hold_view v;
	char *msg, *ja, *en;

	fill_view(&v);
	v.release_at = 1795400000 + 300;
	v.decided_by = strdup("delay");
	v.decided_at = 1795400000 + 301;
	msg = build(ctx, NTF_SENT_SENDER, &v, "tanaka@example.lg.jp");
	ck_assert_str_eq(ntf_kind_name(NTF_SENT_SENDER), "sent_sender");
	ja = strstr(built_text, "送信しました");
	en = strstr(built_text, "was sent at");
	ck_assert_ptr_nonnull(ja);
	ck_assert_ptr_nonnull(en);
	ck_assert(ja < en);
	/* Left and planned: minutes for people (11:18:21 and 11:18:20). */
	ck_assert_ptr_nonnull(strstr(built_text, "2026年11月23日(月) 11:18"));
	ck_assert_ptr_nonnull(strstr(built_text, "Mon 23 Nov 2026 11:18 (+09:00)"));
	ck_assert_ptr_nonnull(strstr(built_text, "vendor@partner.co.jp"));
	ck_assert_ptr_null(strstr(built_text, "/hold/Hq3xZ9?t="));
	free(msg);
	ntf_view_free(&v);
	ntf_ctx_free(ctx);
	sg_conf_free(conf);
	ntf_keys_free(k);
}
END_TEST

START_TEST(test_view_from_scan_marks_external_recipients_and_class3)
{
	static const char msg[] =
	    "From: tanaka@example.lg.jp\r\nTo: a@partner.co.jp, b@other.co.jp\r\n"
	    "Subject: =?UTF-8?B?5qmf5a+G5oCnM+OBruizh+aWmQ==?=\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n\r\nhello\r\n";
	const char *rcpts[] = { "<a@partner.co.jp>", "<b@other.co.jp>", "<Kacho@Example.LG.JP>" };
	eng_envelope env = { "<Tanaka@Example.LG.JP>", rcpts, 3, "tanaka", NULL };
	sg_conf *conf = notify_conf(NULL);
	sg_buf err;
	eng_engine *eng;
	eng_result res;
	ntf_hold_view v;
	bool class3 = false;

	sg_buf_init(&err, 4096);
	eng = eng_engine_new(conf, &err);
	ck_assert_msg(eng != NULL, "%s", sg_buf_cstr(&err));
	eng_result_init(&res);
	ck_assert_int_eq(eng_scan(eng, &env, msg, sizeof(msg) - 1, &res), 0);
	ntf_view_from_result(&v, &res, &env, conf, "h1", "Q1", 100, 200);
	ck_assert_str_eq(v.sender, "tanaka@example.lg.jp");
	ck_assert_str_eq(v.subject, "機密性3の資料");
	ck_assert_uint_eq(v.nrcpts, 3);
	ck_assert(v.rcpts[0].external && v.rcpts[1].external && !v.rcpts[2].external);
	ck_assert_str_eq(v.rcpts[2].addr, "kacho@example.lg.jp");
	for (size_t i = 0; i < v.ncategories; i++)
		class3 |= strcmp(v.categories[i], "classified-3") == 0;
	ck_assert_msg(class3, "no classified-3 among %zu categories", v.ncategories);
	ck_assert_uint_eq(v.nfindings, res.nfindings);
	ntf_view_free(&v);
	eng_result_free(&res);
	eng_engine_free(eng);
	sg_conf_free(conf);
	sg_buf_free(&err);
}
END_TEST

/* Issue 18 item 6: people named as the mail names them. The From's
 * display name in ISO-2022-JP, a To's in UTF-8 with a control character
 * and <> in it (blanked, dropped), a name that is only the address (no
 * name); envelope recipients the headers do not name stay addresses.
 * The approval request says 山田 太郎 <tanaka@...>. */
START_TEST(test_people_are_named_by_their_display_names)
{
	static const char msg[] =
	    "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <Tanaka@example.lg.jp>\r\n"
	    "To: =?UTF-8?B?5Y+X5LuYBzzmi4XlvZM+?= <a@partner.co.jp>,\r\n"
	    " \"b@other.co.jp\" <b@other.co.jp>\r\n"
	    "Subject: test\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n\r\nhello\r\n";
	const char *rcpts[] = { "<A@Partner.co.jp>", "<b@other.co.jp>", "<c@third.co.jp>" };
	eng_envelope env = { "<tanaka@example.lg.jp>", rcpts, 3, "tanaka", NULL };
	sg_conf *conf = notify_conf(NULL);
	ntf_keys *k = one_key();
	ntf_ctx *ctx = new_ctx(conf, k);
	sg_buf err, js;
	eng_engine *eng;
	eng_result res;
	ntf_hold_view v;
	char *m;

	sg_buf_init(&err, 4096);
	sg_buf_init(&js, 4096);
	eng = eng_engine_new(conf, &err);
	ck_assert_msg(eng != NULL, "%s", sg_buf_cstr(&err));
	eng_result_init(&res);
	ck_assert_int_eq(eng_scan(eng, &env, msg, sizeof(msg) - 1, &res), 0);
	eng_names_json(&res, &js);
	ck_assert_str_eq(sg_buf_cstr(&js), "[{\"addr\":\"tanaka@example.lg.jp\",\"name\":"
			 "\"山田 太郎\"},{\"addr\":\"a@partner.co.jp\",\"name\":\"受付 担当\"}]");
	ntf_view_from_result(&v, &res, &env, conf, "h1", "Q1", 100, 200);
	ck_assert_str_eq(v.sender_name, "山田 太郎");
	ck_assert_str_eq(v.rcpts[0].name, "受付 担当");
	ck_assert_ptr_null(v.rcpts[1].name);
	ck_assert_ptr_null(v.rcpts[2].name);
	m = build(ctx, NTF_APPROVAL_REQUEST, &v, "kacho@example.lg.jp");
	ck_assert_msg(strstr(built_text, "山田 太郎 <tanaka@example.lg.jp> さんが送信した") != NULL,
		      "%s", built_text);
	ck_assert_ptr_nonnull(strstr(built_text, "受付 担当 <a@partner.co.jp>"));
	ck_assert_ptr_nonnull(strstr(built_text, "c@third.co.jp"));
	free(m);
	ntf_view_free(&v);
	eng_result_free(&res);
	eng_engine_free(eng);
	ntf_ctx_free(ctx);
	ntf_keys_free(k);
	sg_conf_free(conf);
	sg_buf_free(&err);
	sg_buf_free(&js);
}
END_TEST

START_TEST(test_broken_template_stops_the_context_with_its_file_and_line)
{
	char *dir = path_in("tpl"), p[600], body[1024];
	sg_buf err;
	sg_conf *conf;
	ntf_keys *k = one_key();

	/* A full copy of the shipped templates, one of them broken. */
	snprintf(p, sizeof(p), "cp -r %s/conf/templates %s", sg_test_srcdir(), dir);
	ck_assert_int_eq(system(p), 0);
	snprintf(p, sizeof(p), "%s/en", dir);
	write_file(p, "expired_sender.txt", "Subject: x\n\nDear {{name}}\n", 0644);
	snprintf(body, sizeof(body), BASE_CONF "[notify]\ntemplates = %s\n", dir);
	conf = load_conf(body, NULL, &err);
	ck_assert_ptr_nonnull(conf);
	ck_assert_ptr_null(ntf_ctx_new(conf, k, &err));
	ck_assert_msg(strstr(sg_buf_cstr(&err), "en/expired_sender.txt:3: unknown placeholder "
			     "{{name}}") != NULL, "%s", sg_buf_cstr(&err));
	sg_conf_free(conf);
	ntf_keys_free(k);
	sg_buf_free(&err);
	free(dir);
}
END_TEST

/* ------------------------------------------------------------ submission */

/* A fake sendmail that records its arguments and stdin. */
static char *fake_sendmail(const char *name, const char *script_body)
{
	char *p = path_in(name), text[2048];

	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", script_body);
	write_file(tmp, name, text, 0700);
	return p;
}

static char *slurp(const char *name)
{
	char *p = path_in(name), *text = calloc(1, 1 << 20);
	FILE *fp = fopen(p, "r");

	ck_assert_msg(fp != NULL, "%s missing", p);
	fread(text, 1, (1 << 20) - 1, fp);
	fclose(fp);
	free(p);
	return text;
}

START_TEST(test_submit_runs_sendmail_without_a_shell_with_f_i_and_recipients)
{
	char script[1024], cmd[1024], *args, *in;
	char *fake;
	const char *rcpts[] = { "kacho@example.lg.jp", "-oi@evil.example" };
	const char *message = "Subject: x\n\n.\nbody\n";
	sg_buf err;
	int status;

	snprintf(script, sizeof(script), "for a in \"$@\"; do printf '[%%s]\\n' \"$a\"; "
		 "done > %s/args\ncat > %s/stdin", tmp, tmp);
	fake = fake_sendmail("sendmail", script);
	snprintf(cmd, sizeof(cmd), "%s -C '/etc/post fix'  -oQ\"x y\"", fake);
	sg_buf_init(&err, 4096);
	ck_assert_msg(ntf_submit(cmd, "sendguard@example.lg.jp", rcpts, 2, message,
				 strlen(message), 10, &status, &err) == NTF_SUBMIT_OK,
		      "%s", sg_buf_cstr(&err));
	ck_assert_int_eq(status, 0);
	args = slurp("args");
	ck_assert_str_eq(args, "[-C]\n[/etc/post fix]\n[-oQx y]\n[-f]\n"
			 "[sendguard@example.lg.jp]\n[-i]\n[--]\n[kacho@example.lg.jp]\n"
			 "[-oi@evil.example]\n");
	in = slurp("stdin");
	ck_assert_str_eq(in, message);
	free(args), free(in), free(fake);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_submit_never_uses_a_shell)
{
	char cmd[1024], *fake, *pwned = path_in("pwned");
	const char *rcpts[] = { "kacho@example.lg.jp" };
	sg_buf err;

	fake = fake_sendmail("sendmail", "cat >/dev/null");
	snprintf(cmd, sizeof(cmd), "%s; touch %s", fake, pwned);
	sg_buf_init(&err, 4096);
	/* "...sendmail;" is not a program: nothing runs, nothing touched. */
	ck_assert_int_eq(ntf_submit(cmd, "a@b.jp", rcpts, 1, "x\n", 2, 10, NULL, &err),
			 NTF_SUBMIT_EXEC);
	ck_assert_int_ne(access(pwned, F_OK), 0);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "cannot run"));
	sg_buf_reset(&err);
	ck_assert_int_eq(ntf_submit("'unclosed", "a@b.jp", rcpts, 1, "x\n", 2, 10, NULL, &err),
			 NTF_SUBMIT_USAGE);
	free(fake), free(pwned);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_submit_reports_exit_status_and_first_line_of_stderr)
{
	char *fake = fake_sendmail("sendmail", "cat >/dev/null\necho 'sendmail: fatal: "
				   "queue file write error' >&2\necho second >&2\nexit 75");
	const char *rcpts[] = { "kacho@example.lg.jp" };
	sg_buf err;
	int status;

	sg_buf_init(&err, 4096);
	ck_assert_int_eq(ntf_submit(fake, "a@b.jp", rcpts, 1, "x\n", 2, 10, &status, &err),
			 NTF_SUBMIT_STATUS);
	ck_assert_int_eq(status, 75);
	ck_assert_msg(strstr(sg_buf_cstr(&err), "status 75: sendmail: fatal: queue file "
			     "write error") != NULL, "%s", sg_buf_cstr(&err));
	ck_assert_ptr_null(strstr(sg_buf_cstr(&err), "second"));
	free(fake);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_submit_kills_a_hanging_sendmail_after_the_timeout)
{
	char *fake = fake_sendmail("sendmail", "sleep 30");
	const char *rcpts[] = { "kacho@example.lg.jp" };
	struct timespec a, b;
	sg_buf err;

	sg_buf_init(&err, 4096);
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(ntf_submit(fake, "a@b.jp", rcpts, 1, "x\n", 2, 1, NULL, &err),
			 NTF_SUBMIT_TIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_int_lt(b.tv_sec - a.tv_sec, 5);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "killed"));
	free(fake);
	sg_buf_free(&err);
}
END_TEST

START_TEST(test_submit_survives_a_sendmail_that_does_not_read_its_input)
{
	char *fake = fake_sendmail("sendmail", "exit 1");
	const char *rcpts[] = { "kacho@example.lg.jp" };
	size_t len = 4 << 20;
	char *big = malloc(len);
	sg_buf err;

	/* Writing into a pipe nobody reads raises SIGPIPE: the milter must
	 * not die of it (Check would report the signal). */
	memset(big, 'x', len);
	sg_buf_init(&err, 4096);
	ck_assert_int_eq(ntf_submit(fake, "a@b.jp", rcpts, 1, big, len, 10, NULL, &err),
			 NTF_SUBMIT_STATUS);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "status 1"));
	free(big), free(fake);
	sg_buf_free(&err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("notify");
	TCase *keys = tcase_create("keys"), *mac = tcase_create("mac");
	TCase *tok = tcase_create("tokens"), *appr = tcase_create("approvers");
	TCase *tpl = tcase_create("templates"), *sub = tcase_create("submit");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(keys, setup, teardown);
	tcase_add_test(keys, test_keygen_makes_a_private_key_that_loads_and_signs);
	tcase_add_test(keys, test_second_keygen_in_the_same_second_makes_a_newer_key);
	tcase_add_test(keys, test_world_readable_key_file_is_refused);
	tcase_add_test(keys, test_sealed_preview_opens_for_its_hold_only_and_unaltered);
	tcase_add_test(keys, test_people_are_named_by_their_display_names);
	tcase_add_test(keys, test_type_evidence_is_shown_in_words);
	tcase_add_test(keys, test_group_readable_key_file_is_refused);
	tcase_add_test(keys, test_short_key_is_refused);
	tcase_add_test(keys, test_symlinked_key_is_refused);
	tcase_add_test(keys, test_hex_and_base64_keys_load_and_other_names_are_skipped);
	suite_add_tcase(s, keys);

	tcase_add_checked_fixture(mac, setup, teardown);
	tcase_add_test(mac, test_notice_mac_verifies_and_returns_its_nonce);
	tcase_add_test(mac, test_notice_mac_fails_when_body_recipients_or_date_change);
	tcase_add_test(mac, test_notice_mac_fails_when_the_nonce_is_changed);
	tcase_add_test(mac, test_notice_header_copied_onto_other_mail_does_not_verify);
	tcase_add_test(mac, test_notice_mac_survives_crlf_brackets_case_order_and_folding);
	tcase_add_test(mac, test_malformed_notice_headers_are_bad_format);
	tcase_add_test(mac, test_notice_mac_fails_when_a_covered_header_changes);
	tcase_add_test(mac, test_notice_mac_survives_refolding_and_header_name_case);
	tcase_add_test(mac, test_old_or_future_notice_date_fails_verification);
	tcase_add_test(mac, test_notice_without_a_usable_date_is_not_signed);
	tcase_add_test(mac, test_rfc5322_dates_parse_with_zones_and_comments);
	tcase_add_test(mac, test_rotation_old_key_still_verifies_new_key_signs);
	suite_add_tcase(s, mac);

	tcase_add_checked_fixture(tok, setup, teardown);
	tcase_add_test(tok, test_token_round_trip_gives_hold_person_and_expiry);
	tcase_add_test(tok, test_expired_token_is_refused);
	tcase_add_test(tok, test_forged_token_with_another_key_is_refused);
	tcase_add_test(tok, test_tampered_token_is_refused);
	tcase_add_test(tok, test_token_with_unknown_kid_or_bad_shape_is_refused);
	suite_add_tcase(s, tok);

	tcase_add_test(appr, test_first_matching_sender_glob_in_file_order_wins);
	tcase_add_test(appr, test_category_approvers_replace_the_defaults);
	tcase_add_test(appr, test_sender_from_and_auth_login_are_never_approvers);
	tcase_add_test(appr, test_without_auth_the_senders_own_routing_is_excluded);
	tcase_add_test(appr, test_held_class3_carries_its_subcategory_and_routes_by_it);
	tcase_add_test(appr, test_default_when_exclusions_leave_nobody_then_empty);
	tcase_add_test(appr, test_invalid_approvers_config_names_file_line_and_key);
	suite_add_tcase(s, appr);

	tcase_add_checked_fixture(tpl, setup, teardown);
	tcase_add_test(tpl, test_template_renders_japanese_values);
	tcase_add_test(tpl, test_subject_values_stay_on_one_short_line);
	tcase_add_test(tpl, test_unknown_placeholder_is_an_error_with_file_and_line);
	tcase_add_test(tpl, test_approval_request_is_a_signed_japanese_first_message);
	tcase_add_test(tpl, test_advice_follows_the_place_and_the_reminder_says_reminder);
	tcase_add_test(tpl, test_words_for_places_and_types);
	tcase_add_test(tpl, test_every_shipped_notice_renders_without_placeholders);
	tcase_add_test(tpl, test_hold_notice_gives_advice_and_withdraw_link_to_the_sender);
	tcase_add_test(tpl, test_delay_notice_has_send_now_and_cancel_links);
	tcase_add_test(tpl, test_sent_notice_says_when_it_left);
	tcase_add_test(tpl, test_view_from_scan_marks_external_recipients_and_class3);
	tcase_add_test(tpl, test_broken_template_stops_the_context_with_its_file_and_line);
	suite_add_tcase(s, tpl);

	tcase_add_checked_fixture(sub, setup, teardown);
	tcase_set_timeout(sub, 30);
	tcase_add_test(sub, test_submit_runs_sendmail_without_a_shell_with_f_i_and_recipients);
	tcase_add_test(sub, test_submit_never_uses_a_shell);
	tcase_add_test(sub, test_submit_reports_exit_status_and_first_line_of_stderr);
	tcase_add_test(sub, test_submit_kills_a_hanging_sendmail_after_the_timeout);
	tcase_add_test(sub, test_submit_survives_a_sendmail_that_does_not_read_its_input);
	suite_add_tcase(s, sub);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(built_text);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
