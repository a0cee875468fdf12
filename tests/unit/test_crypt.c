/*
 * eng_crypt: CMS and OpenPGP judged by their bytes, on the files that
 * gpg and openssl wrote (tests/fixtures/make-crypt-fixtures.sh), plus
 * the damaged and forged shapes built here from them: encrypted only
 * when the content proves it, signed and compressed content extracted,
 * what cannot be read is BROKEN (a scan limit), never "encrypted".
 * The whole-engine verdicts of the same fixtures are cases of
 * tests/check/cases.txt.
 */
#include "sg_test_eng.h"
#include "engine/eng_crypt.h"
#include "engine/eng_sniff.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

static unsigned char *slurp(const char *name, size_t *len)
{
	return (unsigned char *)sg_test_slurp("tests/fixtures/crypt/files", name, len);
}

/* What any of the three readers says about d, and what it extracted. */
static eng_crypt_kind judge(const unsigned char *d, size_t n, sg_buf *out,
			    eng_crypt_info *info)
{
	eng_crypt_kind k = eng_crypt_cms(d, n, out, info);

	if (k == ENG_CRYPT_NONE)
		k = eng_crypt_pgp(d, n, out, info);
	if (k == ENG_CRYPT_NONE)
		k = eng_crypt_armor(d, n, out, info);
	return k;
}

static eng_crypt_kind judge_file(const char *name, sg_buf *out, eng_crypt_info *info)
{
	size_t n;
	unsigned char *d = slurp(name, &n);
	eng_crypt_kind k = judge(d, n, out, info);

	free(d);
	return k;
}

static bool has(const sg_buf *b, const char *s)
{
	return b->len && memmem(b->data, b->len, s, strlen(s)) != NULL;
}

START_TEST(test_real_openpgp_encryption_is_encrypted)
{
	static const char *const files[] = {
		"secret.txt.gpg", "secret.txt.asc", "symmetric.gpg",
		"signed_encrypted.gpg", "pgpmime.asc",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t n;
		unsigned char *d = slurp(files[i], &n);
		eng_crypt_info info = { 0 };
		sg_buf out;

		sg_buf_init(&out, 1 << 20);
		ck_assert_msg(judge(d, n, &out, &info) == ENG_CRYPT_ENCRYPTED, "%s", files[i]);
		ck_assert_uint_eq(out.len, 0);
		ck_assert_msg(eng_crypt_encrypted(d, n), "%s", files[i]);
		ck_assert_int_eq(eng_sniff(d, n), ENG_FT_PGP);
		sg_buf_free(&out);
		free(d);
	}
}
END_TEST

START_TEST(test_real_cms_encryption_is_encrypted_der_and_ber)
{
	static const struct { const char *file, *what; } files[] = {
		{ "secret.txt.p7m", "CMS EnvelopedData" },
		{ "secret_ber.txt.p7m", "CMS EnvelopedData" },
		{ "authenveloped.p7m", "CMS AuthEnvelopedData" },
		{ "encrypteddata.p7m", "CMS EncryptedData" },
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t n;
		unsigned char *d = slurp(files[i].file, &n);
		eng_crypt_info info = { 0 };

		ck_assert_msg(eng_crypt_cms(d, n, NULL, &info) == ENG_CRYPT_ENCRYPTED,
			      "%s: %s", files[i].file, info.why ? info.why : "");
		ck_assert_str_eq(info.what, files[i].what);
		ck_assert(eng_crypt_encrypted(d, n));
		ck_assert_int_eq(eng_sniff(d, n), ENG_FT_P7M);
		free(d);
	}
}
END_TEST

START_TEST(test_stream_ber_uses_indefinite_lengths)
{
	size_t n;
	unsigned char *d = slurp("secret_ber.txt.p7m", &n);

	/* What makes it BER: 30 80 (SEQUENCE, indefinite length). */
	ck_assert_uint_eq(d[0], 0x30);
	ck_assert_uint_eq(d[1], 0x80);
	free(d);
	d = slurp("signed.ber", &n);
	ck_assert_uint_eq(d[1], 0x80);
	free(d);
}
END_TEST

START_TEST(test_gpg_signed_messages_are_readable_literal_data)
{
	/* gpg --sign: ZIP (--armor default), zlib, bzip2, and none with
	 * partial body lengths (input from a pipe). */
	static const char *const files[] = {
		"signed.asc", "signed_zlib.gpg", "signed_bzip2.gpg", "signed_plain.gpg",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t n;
		unsigned char *d = slurp(files[i], &n);
		eng_crypt_info info = { 0 };
		sg_buf out;

		sg_buf_init(&out, 1 << 20);
		ck_assert_msg(judge(d, n, &out, &info) == ENG_CRYPT_READABLE, "%s: %s",
			      files[i], info.why ? info.why : "");
		ck_assert_msg(has(&out, "【機密性3A】税務システム連携仕様"), "%s", files[i]);
		ck_assert(!eng_crypt_encrypted(d, n));
		ck_assert_int_ne(eng_sniff(d, n), ENG_FT_PGP);
		sg_buf_free(&out);
		free(d);
	}
}
END_TEST

START_TEST(test_partial_lengths_are_joined)
{
	size_t n;
	unsigned char *d = slurp("signed_plain.gpg", &n);
	sg_buf out;

	/* gpg writes the literal packet of 20 KB of piped input (after the
	 * 15-byte one-pass signature) with partial lengths:
	 * new-format header, length octet 224..254. */
	ck_assert_uint_eq(d[15] & 0xc0, 0xc0);
	ck_assert_uint_ge(d[16], 224);
	sg_buf_init(&out, 1 << 20);
	ck_assert_int_eq(eng_crypt_pgp(d, n, &out, NULL), ENG_CRYPT_READABLE);
	ck_assert(has(&out, "外部に提供しないこと。"));
	sg_buf_free(&out);
	free(d);
}
END_TEST

START_TEST(test_clearsigned_text_is_plain_text)
{
	eng_crypt_info info = { 0 };
	size_t n;
	unsigned char *d = slurp("clearsigned.asc", &n);

	/* No PGP MESSAGE block: the text is there to read as it stands. */
	ck_assert_int_eq(judge(d, n, NULL, &info), ENG_CRYPT_NONE);
	ck_assert_int_eq(eng_sniff(d, n), ENG_FT_TEXT);
	free(d);
	d = slurp("detached.asc", &n);
	ck_assert_int_eq(eng_sniff(d, n), ENG_FT_PGP_SIG);
	free(d);
}
END_TEST

START_TEST(test_opaque_signed_cms_gives_its_content)
{
	static const char *const files[] = { "signed.der", "signed.ber", "compressed.der" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		eng_crypt_info info = { 0 };
		sg_buf out;

		sg_buf_init(&out, 1 << 20);
		ck_assert_msg(judge_file(files[i], &out, &info) == ENG_CRYPT_READABLE,
			      "%s: %s", files[i], info.why ? info.why : "");
		ck_assert_msg(strncmp(sg_buf_cstr(&out), "Content-Type: text/plain", 24) == 0,
			      "%s", files[i]);
		ck_assert(has(&out, "機密性3A"));
		sg_buf_free(&out);
	}
}
END_TEST

START_TEST(test_signed_cms_is_not_encrypted)
{
	size_t n;
	unsigned char *d = slurp("signed.der", &n);

	ck_assert(!eng_crypt_encrypted(d, n));
	ck_assert_int_eq(eng_sniff(d, n), ENG_FT_P7S);
	free(d);
}
END_TEST

START_TEST(test_truncated_cms_is_broken_not_encrypted)
{
	size_t n;
	unsigned char *d = slurp("enveloped_truncated.p7m", &n);
	eng_crypt_info info = { 0 };

	ck_assert_int_eq(eng_crypt_cms(d, n, NULL, &info), ENG_CRYPT_BROKEN);
	ck_assert_ptr_nonnull(info.why);
	ck_assert(!eng_crypt_encrypted(d, n));
	ck_assert_int_eq(eng_sniff(d, n), ENG_FT_UNKNOWN);
	free(d);
}
END_TEST

/* A SignedData cut short: after its whole content (signed_truncated.der
 * keeps 300 of 1,650 bytes, the content ends at 262) it is read; cut
 * inside the content, or followed by what starts no SignedData field,
 * it is BROKEN (issue 13, mikel/mail's truncated signatures). */
START_TEST(test_signed_cut_after_content_is_read)
{
	size_t n;
	unsigned char *d = slurp("signed_truncated.der", &n);
	unsigned char *full;
	size_t fn;
	eng_crypt_info info = { 0 };
	sg_buf out;

	sg_buf_init(&out, 1 << 20);
	ck_assert_int_eq(eng_crypt_cms(d, n, &out, &info), ENG_CRYPT_READABLE);
	ck_assert_ptr_nonnull(memmem(out.data, out.len, "機密性3A", strlen("機密性3A")));
	ck_assert(!eng_crypt_encrypted(d, n));
	sg_buf_free(&out);
	full = slurp("signed.der", &fn);
	for (size_t cut = 60; cut < 262; cut += 40) {
		eng_crypt_info ci = { 0 };

		sg_buf_init(&out, 1 << 20);
		ck_assert_int_eq(eng_crypt_cms(full, cut, &out, &ci), ENG_CRYPT_BROKEN);
		ck_assert_ptr_nonnull(ci.why);
		sg_buf_free(&out);
	}
	memcpy(full + 262, "\x04\x02zz", 4);
	{
		eng_crypt_info ci = { 0 };

		ck_assert_int_eq(eng_crypt_cms(full, 266, NULL, &ci), ENG_CRYPT_BROKEN);
	}
	free(full);
	free(d);
}
END_TEST

START_TEST(test_detached_signature_cut_short_is_a_signature)
{
	size_t n;
	unsigned char *d = slurp("multipart_signed_clean.smime", &n);
	const char *at = memmem(d, n, "filename=\"smime.p7s\"", 20);
	const char *b, *e;
	gsize sl = 0;
	guchar *sig;
	eng_crypt_info info = { 0 };
	gchar *b64;

	ck_assert_ptr_nonnull(at);
	b = strstr(at, "\n\n");
	ck_assert_ptr_nonnull(b);
	e = strstr(b + 2, "\n--");
	ck_assert_ptr_nonnull(e);
	b64 = g_strndup(b + 2, (gsize)(e - b - 2));
	sig = g_base64_decode(b64, &sl);
	ck_assert_uint_gt(sl, 600);
	ck_assert_int_eq(eng_crypt_cms(sig, sl, NULL, &info), ENG_CRYPT_SIGNATURE);
	ck_assert_int_eq(eng_crypt_cms(sig, 600, NULL, &info), ENG_CRYPT_SIGNATURE);
	ck_assert_int_eq(eng_sniff(sig, 600), ENG_FT_P7S);
	g_free(sig);
	g_free(b64);
	free(d);
}
END_TEST

START_TEST(test_text_appended_to_a_proof_spoils_it)
{
	static const char tail[] = "\n機密性3A 平文の追記\n";
	static const char *const files[] = { "secret.txt.gpg", "secret.txt.p7m", "secret.txt.asc" };

	for (size_t i = 0; i < 3; i++) {
		size_t n;
		unsigned char *d = slurp(files[i], &n);

		memcpy(d + n, tail, sizeof(tail) - 1);
		ck_assert_msg(eng_crypt_encrypted(d, n), "%s", files[i]);
		ck_assert_msg(!eng_crypt_encrypted(d, n + sizeof(tail) - 1), "%s", files[i]);
		free(d);
	}
}
END_TEST

START_TEST(test_content_over_the_limit_is_broken)
{
	eng_crypt_info info = { 0 };
	sg_buf out;

	sg_buf_init(&out, 16);
	ck_assert_int_eq(judge_file("signed_zlib.gpg", &out, &info), ENG_CRYPT_BROKEN);
	ck_assert(info.toobig);
	sg_buf_free(&out);
	info = (eng_crypt_info){ 0 };
	sg_buf_init(&out, 16);
	ck_assert_int_eq(judge_file("signed.ber", &out, &info), ENG_CRYPT_BROKEN);
	ck_assert(info.toobig);
	sg_buf_free(&out);
}
END_TEST

START_TEST(test_header_only_armour_is_broken)
{
	static const char a[] = "Hi\n-----BEGIN PGP MESSAGE-----\n\nnot base64 at all!\n"
				"-----END PGP MESSAGE-----\n";
	static const char b[] = "-----BEGIN PGP MESSAGE-----\n";

	ck_assert_int_eq(eng_crypt_armor((const unsigned char *)a, sizeof(a) - 1, NULL, NULL),
			 ENG_CRYPT_BROKEN);
	ck_assert_int_eq(eng_crypt_armor((const unsigned char *)b, sizeof(b) - 1, NULL, NULL),
			 ENG_CRYPT_BROKEN);
	ck_assert(!eng_crypt_encrypted((const unsigned char *)b, sizeof(b) - 1));
	ck_assert_int_eq(eng_sniff((const unsigned char *)b, sizeof(b) - 1), ENG_FT_TEXT);
}
END_TEST

START_TEST(test_encrypted_data_without_session_key_is_not_encrypted)
{
	/* A SEIPD packet (tag 18, new format) alone: nothing says who can
	 * open it; RFC 9580 wants session keys first. */
	unsigned char d[40] = { 0xd2, 38, 1 };

	ck_assert_int_ne(eng_crypt_pgp(d, sizeof(d), NULL, NULL), ENG_CRYPT_ENCRYPTED);
	ck_assert(!eng_crypt_encrypted(d, sizeof(d)));
}
END_TEST

START_TEST(test_deep_ber_nesting_is_bounded)
{
	/* ContentInfo of SignedData whose [0] holds 10000 nested indefinite
	 * SEQUENCEs: the walk must stop at its depth bound. */
	static const unsigned char head[] = { 0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48,
					      0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0, 0x80 };
	size_t depth = 10000, n = sizeof(head) + depth * 4 + 4;
	unsigned char *d = malloc(n);
	size_t o = sizeof(head);

	memcpy(d, head, sizeof(head));
	for (size_t i = 0; i < depth; i++) {
		d[o++] = 0x30;
		d[o++] = 0x80;
	}
	memset(d + o, 0, n - o);
	ck_assert_int_eq(eng_crypt_cms(d, n, NULL, NULL), ENG_CRYPT_BROKEN);
	free(d);
}
END_TEST

START_TEST(test_ordinary_files_are_not_crypto)
{
	static const char *const texts[] = {
		"会議の議事録を送ります。\n", "\xc3\xa9t\xc3\xa9\n", "\x88\x9f\x82\xa0 sjis\n",
	};
	unsigned char rnd[4096];
	uint32_t x = 13;

	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(judge((const unsigned char *)texts[i], strlen(texts[i]), NULL, NULL),
				 ENG_CRYPT_NONE);
	for (size_t i = 0; i < sizeof(rnd); i++) {
		x = x * 1103515245u + 12345u;
		rnd[i] = (unsigned char)(x >> 16);
	}
	rnd[0] = 0x30;		/* a SEQUENCE, but no CMS content type */
	ck_assert_int_eq(eng_crypt_cms(rnd, sizeof(rnd), NULL, NULL), ENG_CRYPT_NONE);
	ck_assert(!eng_crypt_encrypted(rnd, sizeof(rnd)));
}
END_TEST

static Suite *crypt_suite(void)
{
	Suite *s = suite_create("crypt");
	TCase *tc = tcase_create("crypt");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_real_openpgp_encryption_is_encrypted);
	tcase_add_test(tc, test_real_cms_encryption_is_encrypted_der_and_ber);
	tcase_add_test(tc, test_stream_ber_uses_indefinite_lengths);
	tcase_add_test(tc, test_gpg_signed_messages_are_readable_literal_data);
	tcase_add_test(tc, test_partial_lengths_are_joined);
	tcase_add_test(tc, test_clearsigned_text_is_plain_text);
	tcase_add_test(tc, test_opaque_signed_cms_gives_its_content);
	tcase_add_test(tc, test_signed_cms_is_not_encrypted);
	tcase_add_test(tc, test_truncated_cms_is_broken_not_encrypted);
	tcase_add_test(tc, test_signed_cut_after_content_is_read);
	tcase_add_test(tc, test_detached_signature_cut_short_is_a_signature);
	tcase_add_test(tc, test_text_appended_to_a_proof_spoils_it);
	tcase_add_test(tc, test_content_over_the_limit_is_broken);
	tcase_add_test(tc, test_header_only_armour_is_broken);
	tcase_add_test(tc, test_encrypted_data_without_session_key_is_not_encrypted);
	tcase_add_test(tc, test_deep_ber_nesting_is_bounded);
	tcase_add_test(tc, test_ordinary_files_are_not_crypto);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(crypt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
