/*
 * NAME
 *	store_bench - holds and accept records written through st.h
 * SYNOPSIS
 *	store_bench BACKEND TARGET init
 *	store_bench BACKEND TARGET hold N
 *	store_bench BACKEND TARGET verdict N [BATCH]
 *	store_bench BACKEND TARGET verify
 * DESCRIPTION
 *	BACKEND is sqlite (TARGET a file) or postgresql (TARGET a libpq
 *	DSN). Writes what the milter writes, through the same functions:
 *	- hold: N holds as the milter makes them (st_hold_create: the
 *	  hold, its audit record and its notices in one
 *	  transaction), one transaction each;
 *	- verdict: N accept records as the milter's group commit writes
 *	  them (st_audit_append_batch), BATCH records per transaction (1:
 *	  a record inside each message, as with [milter] audit_queue = 0).
 *	Prints "MODE N SECONDS PER_SECOND". Several processes may run at
 *	once against one store (tests/bench/store_bench.sh); `verify`
 *	prints the chain's record count and exits 1 when it does not
 *	verify (no record lost or forked by concurrent writers).
 * DIAGNOSTICS
 *	Exit 0, 1 on a store error (printed), 2 on bad arguments.
 */
#include "store/st.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SB_MAX_BATCH 512

static double sb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sb_fail(const char *what, st_rc rc, sg_buf *err)
{
	fprintf(stderr, "store_bench: %s: %s: %s\n", what, st_rc_name(rc), sg_buf_cstr(err));
	return 1;
}

/* One hold as a 7.5 KB xlsx mail to two vendors makes it. */
static int sb_holds(st_store *st, long n)
{
	static const st_rcpt rcpts[] = { { "tanaka@vendor.example.co.jp", true },
					  { "sato@vendor.example.co.jp", true } };
	static const char *const cats[] = { "unencrypted-attachment", "personal-data" };
	static const char *const approvers[] = { "kacho@city.example.lg.jp",
						 "kakaricho@city.example.lg.jp" };
	sg_buf err;

	sg_buf_init(&err, 4096);
	for (long i = 0; i < n; i++) {
		char qid[32], id[ST_ID_SIZE], mid[2][64];
		st_notice_new nt[2];
		st_hold_new h;
		st_rc rc;

		snprintf(qid, sizeof(qid), "4Bx%ldQ%d", i, (int)getpid());
		memset(&h, 0, sizeof(h));
		memset(nt, 0, sizeof(nt));
		/* the sender's notice and one approver's request, built
		 * when sent (head and body NULL), as the milter records them */
		for (int k = 0; k < 2; k++) {
			snprintf(mid[k], sizeof(mid[k]), "<%s.%d@bench.sendguard>", qid, k);
			nt[k].message_id = mid[k];
		}
		nt[0].kind = "hold_sender";
		nt[0].rcpt = "yamada-t@city.example.lg.jp";
		nt[1].kind = "approval_request";
		nt[1].rcpt = approvers[0];
		h.queue_id = qid;
		h.sender = "yamada-t@city.example.lg.jp";
		h.from_addr = "yamada-t@city.example.lg.jp";
		h.names_json = "[{\"addr\":\"yamada-t@city.example.lg.jp\",\"name\":\"山田 太郎\"}]";
		h.client_addr = "192.0.2.10";
		h.rcpts = rcpts;
		h.nrcpts = 2;
		h.subject = "【送付】令和8年度 委託業務 名簿 (ご確認ください)";
		h.size = 7680;
		h.categories = cats;
		h.ncategories = 2;
		h.verdict = "hold";
		h.findings_json = "[{\"category\":\"unencrypted-attachment\",\"rule\":"
				  "\"unencrypted-attachment\",\"where\":\"名簿.xlsx\","
				  "\"evidence\":\"application/vnd.openxmlformats\"},"
				  "{\"category\":\"personal-data\",\"rule\":\"roster-phone\","
				  "\"where\":\"名簿.xlsx\",\"evidence\":\"090-****-****\"}]";
		h.attachments_json = "[{\"name\":\"名簿.xlsx\",\"type\":\"xlsx\",\"size\":5120,"
				     "\"encrypted\":false}]";
		h.approvers = approvers;
		h.napprovers = 2;
		h.expires = time(NULL) + 3 * 86400;
		h.notices = nt;
		h.nnotices = 2;
		if ((rc = st_hold_create(st, &h, id, &err)) != ST_OK)
			return sb_fail("hold", rc, &err);
	}
	sg_buf_free(&err);
	return 0;
}

/* Accept records as mlt_verdict_detail() writes them for clean mail. */
static int sb_verdicts(st_store *st, long n, long batch)
{
	static const char detail[] =
		"{\"verdict\":\"accept\",\"from\":\"yamada-t@city.example.lg.jp\","
		"\"rcpts\":[\"info@vendor.example.co.jp\"],\"size\":2048,"
		"\"categories\":[],\"findings\":[],\"group\":\"default\"}";
	st_audit_new recs[SB_MAX_BATCH];
	char qids[SB_MAX_BATCH][32];
	sg_buf err;

	sg_buf_init(&err, 4096);
	for (long done = 0; done < n;) {
		long k = n - done < batch ? n - done : batch;
		st_rc rc;

		for (long i = 0; i < k; i++) {
			snprintf(qids[i], sizeof(qids[i]), "4Cx%ldQ%d", done + i, (int)getpid());
			recs[i] = (st_audit_new){ "verdict", NULL, qids[i], "milter", NULL,
						  detail };
		}
		if ((rc = st_audit_append_batch(st, recs, (size_t)k, &err)) != ST_OK)
			return sb_fail("verdict", rc, &err);
		done += k;
	}
	sg_buf_free(&err);
	return 0;
}

static int sb_verify(st_store *st)
{
	size_t nrec = 0, bad = 0;
	sg_buf err;
	st_rc rc;

	sg_buf_init(&err, 4096);
	rc = st_audit_verify(st, &nrec, &bad, &err);
	printf("verify %zu %s\n", nrec, rc == ST_OK ? "intact" : sg_buf_cstr(&err));
	sg_buf_free(&err);
	return rc == ST_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
	st_config c = { 0 };
	st_store *st;
	sg_buf err;
	long n = 0, batch = 1;
	double t0;
	int rc;

	if (argc < 4 || (strcmp(argv[1], "sqlite") && strcmp(argv[1], "postgresql"))) {
		fprintf(stderr, "usage: store_bench sqlite|postgresql TARGET "
			"init|hold N|verdict N [BATCH]|verify\n");
		return 2;
	}
	c.backend = argv[1];
	if (strcmp(argv[1], "sqlite") == 0)
		c.path = argv[2];
	else
		c.dsn = argv[2];
	if (argc > 4)
		n = strtol(argv[4], NULL, 10);
	if (argc > 5)
		batch = strtol(argv[5], NULL, 10);
	if (batch < 1 || batch > SB_MAX_BATCH || n < 0) {
		fprintf(stderr, "store_bench: BATCH is 1..%d, N >= 0\n", SB_MAX_BATCH);
		return 2;
	}
	sg_buf_init(&err, 4096);
	st = strcmp(argv[3], "init") == 0 ? st_create_config(&c, &err)
					  : st_open_config(&c, &err);
	if (st == NULL) {
		fprintf(stderr, "store_bench: %s\n", sg_buf_cstr(&err));
		sg_buf_free(&err);
		return 1;
	}
	sg_buf_free(&err);
	t0 = sb_now();
	if (strcmp(argv[3], "init") == 0)
		rc = 0;
	else if (strcmp(argv[3], "hold") == 0)
		rc = sb_holds(st, n);
	else if (strcmp(argv[3], "verdict") == 0)
		rc = sb_verdicts(st, n, batch);
	else if (strcmp(argv[3], "verify") == 0)
		rc = sb_verify(st);
	else
		rc = 2;
	if (rc == 0 && n > 0) {
		double s = sb_now() - t0;

		printf("%s %ld %.3f %.1f\n", argv[3], n, s, s > 0 ? (double)n / s : 0.0);
	}
	st_close(st);
	return rc;
}
