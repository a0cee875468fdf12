/*
 * test_mproto - the milter protocol (milter/daemon/mp_*) over a socketpair
 *
 * The test plays the MTA: it writes packets as Postfix and Sendmail
 * write them and reads what the milter answers. Well-formed exchanges
 * (negotiation, no-reply steps, macros, modifications at end of message,
 * reply codes) and malformed ones (length 0 or over the limit, an
 * unknown command, a step before negotiation, a packet cut short, data
 * without its NUL): those end the connection, the message is aborted,
 * nothing crashes or hangs. mp_run and mp_stop on a real unix socket.
 */
#include <check.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/mp.h"
#include "util/sg_buf.h"

static sg_buf ev;	/* what the callbacks saw, one line each */
static int sp[2];	/* [0] the MTA (the test), [1] the milter */
static pthread_t session;

static mp_status t_negotiate(mp_ctx *c, uint32_t a, uint32_t p, uint32_t *wa, uint32_t *wp)
{
	(void)c;
	sg_buf_printf(&ev, "negotiate %x %x\n", a, p);
	*wa = MP_ACT_ADDHDRS | MP_ACT_CHGHDRS | MP_ACT_QUARANTINE;
	*wp = p & 0x000850c2u;	/* NOHELO NOEOH NR_HDR NR_CONN NR_MAIL NR_BODY */
	return MP_CONTINUE;
}

static mp_status t_connect(mp_ctx *c, const char *host, const char *addr)
{
	(void)c;
	sg_buf_printf(&ev, "connect %s [%s]\n", host, addr);
	return MP_CONTINUE;
}

static mp_status t_envfrom(mp_ctx *c, char **argv)
{
	const char *a = mp_getsymval(c, "{auth_authen}");

	sg_buf_printf(&ev, "from %s auth=%s\n", argv[0], a ? a : "-");
	return MP_CONTINUE;
}

static mp_status t_envrcpt(mp_ctx *c, char **argv)
{
	const char *r = mp_getsymval(c, "rcpt_addr");	/* braces optional */

	sg_buf_printf(&ev, "rcpt %s resolved=%s\n", argv[0], r ? r : "-");
	if (strstr(argv[0], "refuse")) {
		ck_assert_int_eq(mp_setreply(c, "550", "5.7.1", "no such\r\nline"), -1);
		ck_assert_int_eq(mp_setreply(c, "250", "2.0.0", "not an error"), -1);
		ck_assert_int_eq(mp_setreply(c, "550", "5.7.1", "refused here"), 0);
		return MP_REJECT;
	}
	/* a modification outside end of message is refused */
	ck_assert_int_eq(mp_addheader(c, "X-Early", "no"), -1);
	return MP_CONTINUE;
}

static mp_status t_header(mp_ctx *c, const char *n, const char *v)
{
	(void)c;
	sg_buf_printf(&ev, "header %s: %s\n", n, v);
	return MP_TEMPFAIL;	/* under NR_HDR: never answered */
}

static mp_status t_body(mp_ctx *c, const unsigned char *p, size_t n)
{
	(void)c;
	sg_buf_printf(&ev, "body %zu %.*s\n", n, (int)n, (const char *)p);
	return MP_CONTINUE;
}

static mp_status t_eom(mp_ctx *c)
{
	const char *q = mp_getsymval(c, "i");

	sg_buf_printf(&ev, "eom %s\n", q ? q : "-");
	ck_assert_int_eq(mp_addheader(c, "X-Test", "yes"), 0);
	ck_assert_int_eq(mp_chgheader(c, "To", 1, NULL), 0);
	ck_assert_int_eq(mp_quarantine(c, "held h1"), 0);
	return MP_CONTINUE;
}

static void t_abort(mp_ctx *c)
{
	(void)c;
	sg_buf_puts(&ev, "abort\n");
}

static void t_close(mp_ctx *c)
{
	(void)c;
	sg_buf_puts(&ev, "close\n");
}

static const mp_desc desc = {
	.negotiate = t_negotiate, .connect = t_connect, .envfrom = t_envfrom,
	.envrcpt = t_envrcpt, .header = t_header, .body = t_body, .eom = t_eom,
	.abort = t_abort, .close = t_close, .timeout = 5, .max_packet = 4096,
};

static void *t_session(void *arg)
{
	(void)arg;
	mp_session(sp[1], &desc);
	close(sp[1]);
	return NULL;
}

static void start(void)
{
	sg_buf_init(&ev, SG_BUF_UNLIMITED);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ck_assert_int_eq(pthread_create(&session, NULL, t_session, NULL), 0);
}

/* Ends the session (the test's side closes) and waits for it. */
static void finish(void)
{
	close(sp[0]);
	pthread_join(session, NULL);
}

static void put(char cmd, const void *data, size_t n)
{
	uint32_t len = htonl((uint32_t)n + 1);
	unsigned char hdr[5];

	memcpy(hdr, &len, 4);
	hdr[4] = (unsigned char)cmd;
	ck_assert_int_eq(write(sp[0], hdr, 5), 5);
	if (n)
		ck_assert_int_eq(write(sp[0], data, n), (ssize_t)n);
}

/* One answer packet: its command, its data into buf (NUL-ended). */
static char get(char *buf, size_t size, size_t *n)
{
	uint32_t len;
	char cmd;

	ck_assert_int_eq(recv(sp[0], &len, 4, MSG_WAITALL), 4);
	len = ntohl(len);
	ck_assert_uint_ge(len, 1);
	ck_assert_uint_le(len, size);
	ck_assert_int_eq(recv(sp[0], &cmd, 1, MSG_WAITALL), 1);
	if (len > 1)
		ck_assert_int_eq(recv(sp[0], buf, len - 1, MSG_WAITALL), (ssize_t)len - 1);
	buf[len - 1] = '\0';
	*n = len - 1;
	return cmd;
}

/* The connection was closed by the milter: the next read is EOF. */
static void ck_closed(void)
{
	char c;

	ck_assert_int_eq(recv(sp[0], &c, 1, 0), 0);
}

static void negotiate(void)
{
	uint32_t o[3] = { htonl(6), htonl(0x1ff), htonl(0x1fffff) };
	char buf[64];
	size_t n;
	uint32_t r[3];

	put('O', o, sizeof(o));
	ck_assert_int_eq(get(buf, sizeof(buf), &n), 'O');
	ck_assert_uint_eq(n, 12);
	memcpy(r, buf, 12);
	ck_assert_uint_eq(ntohl(r[0]), 6);
	ck_assert_uint_eq(ntohl(r[1]), 0x31);
	ck_assert_uint_eq(ntohl(r[2]), 0x850c2u);
}

START_TEST(a_message)
{
	static const char conn[] = "client.example\0" "4\x04\x00" "192.0.2.7";
	static const char mmac[] = "M{auth_authen}\0tanaka\0{mail_addr}\0a@b";
	static const char rmac[] = "R{rcpt_addr}\0x@y.example";
	static const char emac[] = "Ei\0ABC123";
	char buf[256];
	size_t n;

	start();
	negotiate();
	put('C', conn, sizeof(conn));	/* NR_CONN: no answer */
	put('D', mmac, sizeof(mmac));
	put('M', "<a@b>\0SIZE=10", 14);	/* NR_MAIL */
	put('D', rmac, sizeof(rmac));
	put('R', "<x@y.example>", 14);
	ck_assert_int_eq(get(buf, sizeof(buf), &n), 'c');
	put('R', "<refuse@y.example>", 19);
	ck_assert_int_eq(get(buf, sizeof(buf), &n), 'y');
	ck_assert_str_eq(buf, "550 5.7.1 refused here");
	put('L', "Subject\0hello", 14);
	put('L', "To\0x@y.example", 15);
	put('B', "line one\r\n", 10);
	put('D', emac, sizeof(emac));
	put('E', "tail", 4);
	/* modifications, then the answer, in their order */
	ck_assert_int_eq(get(buf, sizeof(buf), &n), 'h');
	ck_assert_uint_eq(n, strlen("X-Test") + 1 + strlen("yes") + 1);
	ck_assert_str_eq(buf, "X-Test");
	ck_assert_int_eq(get(buf, sizeof(buf), &n), 'm');
	ck_assert_uint_eq(ntohl(*(uint32_t *)(void *)buf), 1);
	ck_assert_str_eq(buf + 4, "To");
	ck_assert_int_eq(get(buf, sizeof(buf), &n), 'q');
	ck_assert_str_eq(buf, "held h1");
	ck_assert_int_eq(get(buf, sizeof(buf), &n), 'c');
	put('Q', NULL, 0);
	ck_closed();
	finish();
	ck_assert_str_eq(sg_buf_cstr(&ev),
		"negotiate 1ff 1fffff\n"
		"connect client.example [192.0.2.7]\n"
		"from <a@b> auth=tanaka\n"
		"rcpt <x@y.example> resolved=x@y.example\n"
		"rcpt <refuse@y.example> resolved=x@y.example\n"
		"header Subject: hello\n"
		"header To: x@y.example\n"
		"body 10 line one\r\n\n"
		"body 4 tail\n"
		"eom ABC123\n"
		"close\n");
	sg_buf_free(&ev);
}
END_TEST

START_TEST(unix_client_and_abort)
{
	static const char conn[] = "localhost\0L";
	char buf[64];
	size_t n;

	start();
	negotiate();
	put('C', conn, sizeof(conn));
	put('M', "<a@b>", 6);
	put('A', NULL, 0);	/* no answer to abort */
	put('M', "<c@d>", 6);
	put('R', "<x@y>", 6);
	ck_assert_int_eq(get(buf, sizeof(buf), &n), 'c');
	finish();	/* the MTA goes away mid-message */
	ck_assert_str_eq(sg_buf_cstr(&ev),
		"negotiate 1ff 1fffff\n"
		"connect localhost []\n"
		"from <a@b> auth=-\n"
		"abort\n"
		"from <c@d> auth=-\n"
		"rcpt <x@y> resolved=-\n"
		"abort\n"
		"close\n");
	sg_buf_free(&ev);
}
END_TEST

/* A malformed packet after negotiation: closed, aborted, closed. */
static void bad_after_negotiation(const void *raw, size_t n, const char *why)
{
	start();
	negotiate();
	put('M', "<a@b>", 6);
	ck_assert_int_eq(write(sp[0], raw, n), (ssize_t)n);
	if (n >= 4) {
		uint32_t len;

		memcpy(&len, raw, 4);
		/* a packet cut short: the MTA then goes away */
		if (ntohl(len) >= 1 && ntohl(len) <= 4096 && n < 4 + ntohl(len))
			shutdown(sp[0], SHUT_WR);
	}
	ck_closed();
	finish();
	ck_assert_msg(strstr(sg_buf_cstr(&ev), "abort\nclose\n") != NULL,
		      "%s: %s", why, sg_buf_cstr(&ev));
	sg_buf_free(&ev);
}

START_TEST(malformed)
{
	static const unsigned char zero[] = { 0, 0, 0, 0 };
	static const unsigned char huge[] = { 0, 0, 0x10, 1, 'B' };	/* 4097 */
	static const unsigned char maxlen[] = { 0xff, 0xff, 0xff, 0xff, 'B' };
	static const unsigned char unknown[] = { 0, 0, 0, 1, 'Z' };
	static const unsigned char shortp[] = { 0, 0, 0, 20, 'L', 'S', 'u' };
	static const unsigned char nonul[] = { 0, 0, 0, 4, 'R', '<', 'x', '>' };
	static const unsigned char onestr[] = { 0, 0, 0, 4, 'L', 'T', 'o', 0 };
	static const unsigned char optshort[] = { 0, 0, 0, 5, 'O', 0, 0, 0, 6 };

	bad_after_negotiation(zero, sizeof(zero), "length 0");
	bad_after_negotiation(huge, sizeof(huge), "length over max_packet");
	bad_after_negotiation(maxlen, sizeof(maxlen), "length 2^32-1");
	bad_after_negotiation(unknown, sizeof(unknown), "unknown command");
	bad_after_negotiation(shortp, sizeof(shortp), "cut short");
	bad_after_negotiation(nonul, sizeof(nonul), "RCPT without NUL");
	bad_after_negotiation(onestr, sizeof(onestr), "header without value");
	bad_after_negotiation(optshort, sizeof(optshort), "short negotiation");
}
END_TEST

START_TEST(before_negotiation)
{
	start();
	put('M', "<a@b>", 6);
	ck_closed();
	finish();
	ck_assert_str_eq(sg_buf_cstr(&ev), "abort\nclose\n");
	sg_buf_free(&ev);
}
END_TEST

static void *t_run(void *arg)
{
	static int rc;

	rc = mp_run(*(int *)arg, &desc);
	return &rc;
}

START_TEST(run_and_stop)
{
	char dir[] = "/tmp/sg-mp-XXXXXX", spec[128];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd, fd;
	pthread_t t;
	sg_buf err;
	void *rc;
	char buf[64];
	size_t n;

	sg_buf_init(&ev, SG_BUF_UNLIMITED);
	sg_buf_init(&err, 1024);
	ck_assert_int_eq(mp_open("tcp:25", 5, &err), -1);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&err), "not unix:/PATH"));
	ck_assert_int_eq(mp_open("unix:relative.sock", 5, &err), -1);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(spec, sizeof(spec), "unix:%s/m.sock", dir);
	lfd = mp_open(spec, 5, &err);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, t_run, &lfd), 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/m.sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	sp[0] = fd;
	negotiate();
	put('M', "<a@b>", 6);
	put('R', "<x@y>", 6);
	ck_assert_int_eq(get(buf, sizeof(buf), &n), 'c');
	/* A stop ends the idle connection and mp_run returns. */
	mp_stop();
	ck_closed();
	pthread_join(t, &rc);
	ck_assert_int_eq(*(int *)rc, 0);
	close(fd);
	ck_assert_ptr_nonnull(strstr(sg_buf_cstr(&ev), "abort\nclose\n"));
	/* the socket file goes with the milter: a stale one would look up */
	ck_assert_int_ne(access(sun.sun_path, F_OK), 0);
	rmdir(dir);
	sg_buf_free(&err);
	sg_buf_free(&ev);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mproto");
	TCase *tc = tcase_create("mproto");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, a_message);
	tcase_add_test(tc, unix_client_and_abort);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, before_negotiation);
	tcase_add_test(tc, run_and_stop);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
