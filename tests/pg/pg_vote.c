/*
 * NAME
 *	pg_vote - votes, delegations, escalation, the outbox and the purge:
 *	the same outcome on SQLite and on PostgreSQL
 * SYNOPSIS
 *	pg_vote DSN
 * DESCRIPTION
 *	Run by tests/pg/run.sh against its own cluster (never a database
 *	someone else uses: every scenario drops and recreates the schema).
 *	Each scenario is a function of a store; it runs on a fresh SQLite
 *	store (a file under $SG_TEST_ROOT) and on a fresh PostgreSQL store
 *	with the same expectations. The audit records a scenario leaves
 *	are compared between the two, field by field (event, hold, actor,
 *	detail bytes; a purge anchor's cut-off and through_hash, which are
 *	times of the run and a hash of times and users, are masked): the
 *	details are hashed bytes and must be the same whichever backend
 *	wrote them.
 *
 *	Holds are made through the store (st_hold_create, st_hold_decide,
 *	st_hold_set_applied) with fixed ids, on both backends.
 *
 *	Scenarios: votes with required = 2 (the first approval leaves the
 *	hold pending, the second decides; the same approver or person twice
 *	refused; a reject ends it; one without a reason refused by the
 *	policy; bad arguments refused); two processes
 *	voting the last approval of the same holds at once (one decides,
 *	the other is refused, never three approvals); escalation claimed
 *	once; delegations added, listed, in force, revoked; the outbox
 *	(add, claim with leases, sent, retry, fail, list, lessees, unlease,
 *	next due); two processes claiming one outbox at once never get the
 *	same notice; the retention purge, after which st_audit_verify
 *	passes (twice, and with nothing old); a chain purged on one backend
 *	and copied into the other verifies there with the same count (both
 *	start from the same anchor).
 *
 *	Output: "ok ..." / "not ok ..." lines, "P passed, F failed" last;
 *	exit 1 on any failure.
 * ENVIRONMENT
 *	SG_TEST_ROOT: where the SQLite stores go (/var/tmp/sg-test).
 */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "release/rel.h"
#include "store/st.h"
#include "util/sg_buf.h"

static int passed, failed;

static void check(int cond, const char *be, const char *what, const char *detail)
{
	if (cond) {
		passed++;
		printf("ok %d %s: %s\n", passed + failed, be, what);
	} else {
		failed++;
		printf("not ok %d %s: %s%s%s\n", passed + failed, be, what,
		       detail ? ": " : "", detail ? detail : "");
	}
	fflush(stdout);
}

/* One backend under test: how to make a fresh store, reopen it in a
 * child, and reach its database with plain SQL for setup and checks. */
typedef struct be {
	const char *name;		/* "sqlite", "postgresql" */
	const char *dsn;		/* postgresql */
	char dir[256], path[300];	/* sqlite */
	int serial;
	st_store *st;
} be;

/* Plain SQL on the backend's database (setup, checks): the first
 * column of the first row (malloc'd), "" for a command, NULL on error
 * (said on stderr). */
static char *raw(be *b, const char *sql)
{
	char *out = NULL;

	if (strcmp(b->name, "sqlite") == 0) {
		sqlite3 *db = NULL;
		sqlite3_stmt *s = NULL;
		const char *tail = sql;

		if (sqlite3_open(b->path, &db) != SQLITE_OK)
			goto lite_done;
		sqlite3_busy_timeout(db, 10000);
		/* Every statement of sql; the first row of the last query. */
		while (tail && *tail) {
			int step;

			if (sqlite3_prepare_v2(db, tail, -1, &s, &tail) != SQLITE_OK)
				goto lite_done;
			if (s == NULL)
				break;
			step = sqlite3_step(s);
			free(out);
			out = NULL;
			if (step == SQLITE_ROW) {
				const unsigned char *v = sqlite3_column_text(s, 0);

				out = strdup(v ? (const char *)v : "");
			} else if (step == SQLITE_DONE)
				out = strdup("");
			else
				goto lite_done;
			sqlite3_finalize(s);
			s = NULL;
		}
lite_done:
		if (s != NULL || out == NULL) {
			fprintf(stderr, "pg_vote: sqlite: %s: %s\n", sql, sqlite3_errmsg(db));
			free(out);
			out = NULL;
		}
		sqlite3_finalize(s);
		sqlite3_close(db);
		return out;
	} else {
		PGconn *c = PQconnectdb(b->dsn);
		PGresult *r;

		PQclear(PQexec(c, "SET client_min_messages = warning"));
		r = PQexec(c, sql);

		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			out = strdup(PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
		else if (PQresultStatus(r) == PGRES_COMMAND_OK)
			out = strdup("");
		else
			fprintf(stderr, "pg_vote: postgresql: %s: %s", sql, PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
		return out;
	}
}

/* raw() that is only checked for success. */
static bool rawok(be *b, const char *sql)
{
	char *v = raw(b, sql);
	bool ok = v != NULL;

	free(v);
	return ok;
}

/* raw() of a query as an integer (-1 on error). */
static long long rawnum(be *b, const char *sql)
{
	char *v = raw(b, sql);
	long long n = v && *v ? atoll(v) : -1;

	free(v);
	return n;
}

/* raw() of a query compared with a string. */
static bool raweq(be *b, const char *sql, const char *want)
{
	char *v = raw(b, sql);
	bool ok = v != NULL && strcmp(v, want) == 0;

	if (!ok)
		fprintf(stderr, "pg_vote: %s: %s gives \"%s\", not \"%s\"\n", b->name,
			sql, v ? v : "(error)", want);
	free(v);
	return ok;
}

static st_store *be_open(be *b, sg_buf *err)
{
	st_config c = { b->name, b->path, b->dsn, NULL };

	return st_open_config(&c, err);
}

/* A fresh, empty store. */
static bool be_fresh(be *b)
{
	st_config c = { b->name, b->path, b->dsn, NULL };
	sg_buf err;

	sg_buf_init(&err, 4096);
	st_close(b->st);
	b->st = NULL;
	if (strcmp(b->name, "sqlite") == 0) {
		snprintf(b->path, sizeof(b->path), "%s/s%d.db", b->dir, ++b->serial);
	} else if (!rawok(b, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")) {
		sg_buf_free(&err);
		return false;
	}
	b->st = st_create_config(&c, &err);
	if (b->st == NULL)
		fprintf(stderr, "pg_vote: %s: %s\n", b->name, sg_buf_cstr(&err));
	sg_buf_free(&err);
	return b->st != NULL;
}

/* A hold through the store (st_hold_create, then st_hold_decide and
 * st_hold_set_applied for the states asked for), with a fixed id so
 * that the two backends' audit records compare. created_t 0: now. */
static bool mkhold(be *b, const char *id, const char *kind, unsigned required,
		   const char *status, int applied, long long created_t)
{
	static const char *const cats[] = { "pii" };
	static const char *const appr[] = { "a@example.lg.jp", "b@example.lg.jp" };
	st_rcpt rcpt = { "x@example.com", true };
	st_hold_new in;
	char out[ST_ID_SIZE];
	sg_buf err;
	bool ok;

	memset(&in, 0, sizeof(in));
	in.queue_id = id + 20;
	in.sender = "sender@example.lg.jp";
	in.rcpts = &rcpt;
	in.nrcpts = 1;
	in.categories = cats;
	in.ncategories = 1;
	in.verdict = "hold";
	in.approvers = appr;
	in.napprovers = 2;
	in.created = (time_t)created_t;
	in.actor = "milter";
	in.unix_user = "tester";
	in.id = id;
	in.required = required;
	in.delay = strcmp(kind, "delay") == 0;
	in.release_t = in.delay ? 2000000000 : 0;
	sg_buf_init(&err, 4096);
	ok = st_hold_create(b->st, &in, out, &err) == ST_OK && strcmp(out, id) == 0;
	if (ok && strcmp(status, "approved") == 0)
		ok = st_hold_decide(b->st, id, ST_APPROVED, "admin", NULL, "tester",
				    &err) == ST_OK;
	if (ok && applied)
		ok = st_hold_set_applied(b->st, id, NULL, "apply", "tester", &err) == ST_OK;
	if (!ok)
		fprintf(stderr, "pg_vote: %s: hold %s: %s\n", b->name, id, sg_buf_cstr(&err));
	sg_buf_free(&err);
	return ok;
}

/* The i-th hold id of the races: "hrace" and 22 base32 letters. */
static void race_id(char id[ST_ID_SIZE], int i)
{
	snprintf(id, ST_ID_SIZE, "hrace%022d", i);
	for (char *p = id + 5; *p; p++)
		*p = (char)('a' + (*p - '0'));	/* digits are not base32 */
}

/* ------------------------------------------------ audit transcript */

struct transcript {
	sg_buf text;
};

/* Appends d with the string values of the members that hold times of
 * the run or hashes of them ("before", "through_hash") as "*". */
static void masked(sg_buf *out, const char *d)
{
	static const char *const keys[] = { "\"before\":\"", "\"through_hash\":\"" };

	/* Bounded by d's length: each pass consumes at least one byte. */
	while (*d) {
		const char *hit = NULL;
		size_t klen = 0;

		for (size_t k = 0; k < 2; k++) {
			const char *h = strstr(d, keys[k]);

			if (h && (hit == NULL || h < hit)) {
				hit = h;
				klen = strlen(keys[k]);
			}
		}
		if (hit == NULL) {
			sg_buf_puts(out, d);
			return;
		}
		sg_buf_append(out, d, (size_t)(hit - d) + klen);
		sg_buf_putc(out, '*');
		d = strchr(hit + klen, '"');
		if (d == NULL)
			return;
	}
}

static int transcript_cb(const st_audit_rec *r, void *ctx)
{
	struct transcript *t = ctx;

	sg_buf_printf(&t->text, "%s|%s|%s|%s|", r->event, r->hold_id ? r->hold_id : "-",
		      r->queue_id ? r->queue_id : "-", r->actor ? r->actor : "-");
	masked(&t->text, r->detail ? r->detail : "");
	sg_buf_putc(&t->text, '\n');
	return 0;
}

static char *transcript(st_store *st)
{
	struct transcript t;

	sg_buf_init(&t.text, 1u << 24);
	(void)st_audit_list(st, NULL, 0, transcript_cb, &t, NULL);
	return sg_buf_steal(&t.text);
}

/* ------------------------------------------------------------ votes */

#define H1 "haaaaaaaaaaaaaaaaaaaaaaaaab"
#define H2 "haaaaaaaaaaaaaaaaaaaaaaaaac"
#define H3 "haaaaaaaaaaaaaaaaaaaaaaaaad"
#define H4 "haaaaaaaaaaaaaaaaaaaaaaaaae"

struct appr_seen {
	int n;
	char order[512];
};

static int appr_cb(const st_approval *a, void *ctx)
{
	struct appr_seen *s = ctx;
	size_t len = strlen(s->order);

	s->n++;
	snprintf(s->order + len, sizeof(s->order) - len, "%s:%s:%s:%s;", a->hold_id + 25,
		 a->verdict, a->principal, a->checked_json);
	return 0;
}

static void sc_votes(be *b)
{
	st_store *st = b->st;
	const char *n = b->name;
	st_vote v = { true, "a@example.lg.jp", "a@example.lg.jp", "a@example.lg.jp",
		      "[\"宛先を確認した\"]", NULL, "tester", NULL };
	st_vote_out out = ST_VOTE_DECIDED;
	struct appr_seen seen = { 0, "" };
	sg_buf err;
	st_rc rc;

	sg_buf_init(&err, 4096);
	check(mkhold(b, H1, "approval", 2, "pending", 0, 0) &&
	      mkhold(b, H2, "approval", 2, "pending", 0, 0) &&
	      mkhold(b, H3, "delay", 1, "pending", 0, 0), n, "holds inserted", NULL);

	/* Refused arguments write nothing. */
	{
		st_vote bad = v;

		bad.principal = "";
		check(st_hold_vote(st, H1, &bad, &out, &err) == ST_INVALID, n,
		      "a vote without its approver is refused", sg_buf_cstr(&err));
		bad = v;
		bad.checked_json = "{\"x\":1}";
		check(st_hold_vote(st, H1, &bad, &out, &err) == ST_INVALID, n,
		      "ticks that are not an array are refused", sg_buf_cstr(&err));
		bad.checked_json = "[\"unclosed\"";
		check(st_hold_vote(st, H1, &bad, &out, &err) == ST_INVALID, n,
		      "ticks that are not JSON are refused", sg_buf_cstr(&err));
	}

	/* required = 2: the first approval leaves it pending. */
	rc = st_hold_vote(st, H1, &v, &out, &err);
	check(rc == ST_OK && out == ST_VOTE_PARTIAL, n, "first approval: partial",
	      sg_buf_cstr(&err));
	check(raweq(b, "SELECT status FROM holds WHERE id = '" H1 "'", "pending"), n,
	      "the hold is still pending", NULL);
	/* The same approver again, and the same person for another. */
	rc = st_hold_vote(st, H1, &v, &out, &err);
	check(rc == ST_CONFLICT && strstr(sg_buf_cstr(&err), "already approved by"
					  " a@example.lg.jp"), n,
	      "the same approver twice is refused", sg_buf_cstr(&err));
	{
		st_vote same = v;

		same.principal = "b@example.lg.jp";
		same.recorded_as = "a@example.lg.jp on behalf of b@example.lg.jp";
		rc = st_hold_vote(st, H1, &same, &out, &err);
		check(rc == ST_CONFLICT && strstr(sg_buf_cstr(&err), "counts once"), n,
		      "the same person for another approver is refused",
		      sg_buf_cstr(&err));
	}
	/* The second approver decides. */
	{
		st_vote second = { true, "b@example.lg.jp", "d@example.lg.jp",
				   "d@example.lg.jp on behalf of b@example.lg.jp",
				   NULL, "ok", "tester", "{\"via\":\"web\"}" };

		rc = st_hold_vote(st, H1, &second, &out, &err);
		check(rc == ST_OK && out == ST_VOTE_DECIDED, n,
		      "second approval decides", sg_buf_cstr(&err));
	}
	check(raweq(b, "SELECT status || ' ' || decided_by FROM holds WHERE id = '"
		    H1 "'", "approved d@example.lg.jp on behalf of b@example.lg.jp"), n,
	      "approved, decided by the second as recorded", NULL);
	{
		st_vote third = v;

		third.principal = third.actor = third.recorded_as = "c@example.lg.jp";
		rc = st_hold_vote(st, H1, &third, &out, &err);
		check(rc == ST_CONFLICT && strstr(sg_buf_cstr(&err), "is already approved"
						  " (by d@example.lg.jp"), n,
		      "a vote on a decided hold is refused, naming who decided",
		      sg_buf_cstr(&err));
	}

	/* The policy's rule before any vote: a reject needs a reason
	 * (rel_policy.c; refused before the store is read, so no
	 * configuration is needed here). Nothing is written. */
	check(rel_decide(st, NULL, H2, REL_REJECT, "a@example.lg.jp", " \t", "tester",
			 &err) == REL_INVALID && strstr(sg_buf_cstr(&err), "needs a reason") &&
	      raweq(b, "SELECT status FROM holds WHERE id = '" H2 "'", "pending") &&
	      rawnum(b, "SELECT count(*) FROM approvals WHERE hold_id = '" H2 "'") == 0,
	      n, "a reject without a reason is refused, nothing written",
	      sg_buf_cstr(&err));

	/* A reject ends it at once. */
	{
		st_vote rej = { false, "a@example.lg.jp", "a@example.lg.jp",
				"a@example.lg.jp", NULL, "宛先が違う", "tester", NULL };

		rc = st_hold_vote(st, H2, &rej, &out, &err);
		check(rc == ST_OK && out == ST_VOTE_DECIDED, n, "a reject decides",
		      sg_buf_cstr(&err));
		check(raweq(b, "SELECT status || ' ' || decision_comment FROM holds WHERE"
			    " id = '" H2 "'", "rejected 宛先が違う"), n,
		      "rejected, with its reason", NULL);
		rc = st_hold_vote(st, H2, &v, &out, &err);
		check(rc == ST_CONFLICT, n, "then nothing more", sg_buf_cstr(&err));
	}
	rc = st_hold_vote(st, H4, &v, &out, &err);
	check(rc == ST_NOTFOUND && strstr(sg_buf_cstr(&err), "no hold with id " H4), n,
	      "no such hold", sg_buf_cstr(&err));
	rc = st_hold_vote(st, H3, &v, &out, &err);
	check(rc == ST_CONFLICT && strstr(sg_buf_cstr(&err), "delayed send"), n,
	      "a delayed send takes no votes", sg_buf_cstr(&err));

	/* The record. */
	check(st_approval_list(st, H1, appr_cb, &seen, &err) == ST_OK && seen.n == 2 &&
	      strcmp(seen.order, "ab:approve:a@example.lg.jp:[\"宛先を確認した\"];"
		     "ab:approve:b@example.lg.jp:[];") == 0, n,
	      "the approvals of one hold, oldest first", seen.order);
	memset(&seen, 0, sizeof(seen));
	check(st_approval_list(st, NULL, appr_cb, &seen, &err) == ST_OK && seen.n == 3,
	      n, "every hold's approvals", seen.order);
	check(rawnum(b, "SELECT count(*) FROM audit WHERE event IN ('approve-partial',"
		     " 'approve', 'reject')") == 3, n,
	      "one audit record per vote recorded, none for the refused", NULL);
	sg_buf_free(&err);
}

/* ------------------------------------------------------- escalation */

static void sc_escalate(be *b)
{
	st_store *st = b->st;
	const char *n = b->name;
	sg_buf err;

	sg_buf_init(&err, 4096);
	check(mkhold(b, H1, "approval", 1, "pending", 0, 0) &&
	      mkhold(b, H2, "approval", 1, "approved", 0, 0), n, "holds inserted", NULL);
	check(st_hold_mark_escalated(st, H1, "{\"after\":3600}", &err) == ST_OK, n,
	      "escalation claimed", sg_buf_cstr(&err));
	check(st_hold_mark_escalated(st, H1, NULL, &err) == ST_CONFLICT &&
	      strstr(sg_buf_cstr(&err), "already escalated"), n,
	      "once only", sg_buf_cstr(&err));
	check(st_hold_mark_escalated(st, H2, NULL, &err) == ST_CONFLICT, n,
	      "not a decided hold", sg_buf_cstr(&err));
	check(st_hold_mark_escalated(st, H4, NULL, &err) == ST_CONFLICT, n,
	      "nor a missing one", sg_buf_cstr(&err));
	check(rawnum(b, "SELECT count(*) FROM holds WHERE escalated_at IS NOT NULL") == 1 &&
	      rawnum(b, "SELECT count(*) FROM audit WHERE event = 'escalate' AND actor ="
		     " 'expire'") == 1, n, "one mark, one record", NULL);
	sg_buf_free(&err);
}

/* ------------------------------------------------------ delegations */

struct deleg_seen {
	int n, revoked;
	char who[256];
};

static int deleg_cb(const st_delegation *d, void *ctx)
{
	struct deleg_seen *s = ctx;
	size_t len = strlen(s->who);

	s->n++;
	if (d->revoked_t > 0)
		s->revoked++;
	snprintf(s->who + len, sizeof(s->who) - len, "%lld:%s>%s;", d->id,
		 d->principal, d->delegate);
	return 0;
}

static void sc_delegate(be *b)
{
	st_store *st = b->st;
	const char *n = b->name;
	/* Fixed times (2033), so that the records' "until" is the same on
	 * both backends; revocation goes by the clock (2026). */
	time_t now = 2000000000;
	long long id1 = 0, id2 = 0;
	struct deleg_seen s;
	sg_buf err;

	sg_buf_init(&err, 4096);
	check(st_delegate_add(st, "Boss@Example.LG.jp", "deputy@example.lg.jp",
			      now - 10, now + 3600, "admin", "tester", &id1, &err) == ST_OK &&
	      id1 == 1, n, "delegation added (id 1)", sg_buf_cstr(&err));
	check(st_delegate_add(st, "boss@example.lg.jp", "other@example.lg.jp",
			      now + 100, now + 7200, "admin", "tester", &id2, &err) == ST_OK &&
	      id2 == 2, n, "a later one (id 2)", sg_buf_cstr(&err));
	check(st_delegate_add(st, "a@example.lg.jp", "A@example.lg.jp", now, now + 10,
			      "admin", NULL, NULL, &err) == ST_INVALID, n,
	      "not to oneself", sg_buf_cstr(&err));
	check(st_delegate_add(st, "a@example.lg.jp", "b@example.lg.jp", now, now,
			      "admin", NULL, NULL, &err) == ST_INVALID, n,
	      "not ending before it starts", sg_buf_cstr(&err));
	check(st_delegate_active(st, "BOSS@example.lg.jp", "Deputy@Example.lg.jp", now), n,
	      "in force (addresses lower-cased)", NULL);
	check(!st_delegate_active(st, "boss@example.lg.jp", "deputy@example.lg.jp",
				  now + 3600), n, "not at its end", NULL);
	check(!st_delegate_active(st, "boss@example.lg.jp", "other@example.lg.jp", now),
	      n, "not before its start", NULL);
	memset(&s, 0, sizeof(s));
	check(st_delegate_list(st, "Boss@example.lg.jp", now, deleg_cb, &s, &err) == ST_OK &&
	      s.n == 1 && strcmp(s.who, "1:boss@example.lg.jp>deputy@example.lg.jp;") == 0,
	      n, "listed in force now", s.who);
	memset(&s, 0, sizeof(s));
	check(st_delegate_list(st, NULL, 0, deleg_cb, &s, &err) == ST_OK && s.n == 2, n,
	      "listed all", s.who);
	check(st_delegate_revoke(st, id1, "", NULL, &err) == ST_INVALID, n,
	      "a revoke needs who", sg_buf_cstr(&err));
	check(st_delegate_revoke(st, id1, "admin", "tester", &err) == ST_OK, n,
	      "revoked", sg_buf_cstr(&err));
	check(st_delegate_revoke(st, id1, "admin", "tester", &err) == ST_NOTFOUND &&
	      strstr(sg_buf_cstr(&err), "no delegation 1 in force"), n,
	      "not twice", sg_buf_cstr(&err));
	check(st_delegate_revoke(st, 99, "admin", "tester", &err) == ST_NOTFOUND, n,
	      "nor one that is not there", sg_buf_cstr(&err));
	check(!st_delegate_active(st, "boss@example.lg.jp", "deputy@example.lg.jp", now),
	      n, "no longer in force", NULL);
	memset(&s, 0, sizeof(s));
	check(st_delegate_list(st, NULL, 0, deleg_cb, &s, &err) == ST_OK && s.n == 2 &&
	      s.revoked == 1, n, "the revoked one is still listed as such", s.who);
	sg_buf_free(&err);
}

/* ----------------------------------------------------------- outbox */

static st_notice_new notice(const char *kind, const char *rcpt, const char *mid,
			    bool content)
{
	st_notice_new x = { kind, rcpt, mid, content ? "Subject: t\n" : NULL,
			    content ? "Ym9keQ==\n" : NULL };

	return x;
}

struct owners {
	int n;
	char names[256];
};

static int owner_cb(const char *o, void *ctx)
{
	struct owners *w = ctx;
	size_t len = strlen(w->names);

	w->n++;
	snprintf(w->names + len, sizeof(w->names) - len, "%s;", o);
	return 0;
}

struct nlist {
	int n;
	char states[256];
};

static int nlist_cb(const st_notice *x, void *ctx)
{
	struct nlist *l = ctx;
	size_t len = strlen(l->states);

	l->n++;
	snprintf(l->states + len, sizeof(l->states) - len, "%lld:%s:%u;", x->id,
		 st_notice_state_name(x->state), x->attempts);
	return 0;
}

static void free_claim(st_notice **v, size_t k)
{
	for (size_t i = 0; i < k; i++)
		st_notice_free(v[i]);
	free(v);
}

static void sc_outbox(be *b)
{
	st_store *st = b->st;
	const char *n = b->name;
	time_t now = time(NULL) + 5;
	st_notice_new add[4] = {
		notice("rejected", "s1@example.lg.jp", "<m1@sg>", true),
		notice("rejected", "s2@example.lg.jp", "<m2@sg>", true),
		notice("rejected", "s3@example.lg.jp", "<m3@sg>", true),
		notice("approved", "s4@example.lg.jp", "<m4@sg>", false),
	};
	st_notice_new bad = notice("rejected", "", "<m9@sg>", true);
	st_notice_new nohold = notice("rejected", "s5@example.lg.jp", "<m5@sg>", false);
	st_notice **v = NULL;
	size_t k = 0;
	struct owners w;
	struct nlist l;
	sg_buf err;

	sg_buf_init(&err, 4096);
	check(st_outbox_add(st, NULL, NULL, add, 3, &err) == ST_OK &&
	      st_outbox_add(st, H1, "QH1", add + 3, 1, &err) == ST_OK, n,
	      "notices added (one built from its hold)", sg_buf_cstr(&err));
	check(st_outbox_add(st, NULL, NULL, &bad, 1, &err) == ST_INVALID &&
	      st_outbox_add(st, NULL, NULL, &nohold, 1, &err) == ST_INVALID, n,
	      "a notice without recipient, or without content and hold, is refused",
	      sg_buf_cstr(&err));
	check(st_outbox_add(st, NULL, NULL, add, 1, &err) == ST_OK &&
	      rawnum(b, "SELECT count(*) FROM outbox") == 4, n,
	      "the same Message-ID again adds nothing", sg_buf_cstr(&err));
	check(st_outbox_next_due(st) > 0 && st_outbox_next_due(st) <= now, n,
	      "something is due", NULL);

	check(st_outbox_claim(st, "", now, 60, 2, &v, &k, &err) == ST_INVALID, n,
	      "a claim needs an owner", sg_buf_cstr(&err));
	check(st_outbox_claim(st, "gw1:1", now, 60, 2, &v, &k, &err) == ST_OK && k == 2 &&
	      v[0]->id == 1 && v[1]->id == 2 && strcmp(v[0]->head, "Subject: t\n") == 0 &&
	      v[0]->state == ST_NOTICE_READY && v[0]->hold_id == NULL, n,
	      "claim: the two oldest", sg_buf_cstr(&err));
	free_claim(v, k);
	/* A second later: its leases end a second after gw1's. */
	check(st_outbox_claim(st, "gw2:1", now + 1, 60, 0, &v, &k, &err) == ST_OK && k == 2 &&
	      v[0]->id == 3 && v[1]->id == 4 && v[1]->hold_id &&
	      strcmp(v[1]->hold_id, H1) == 0 && strcmp(v[1]->queue_id, "QH1") == 0 &&
	      strcmp(v[1]->head, "") == 0, n, "another drainer: the others",
	      sg_buf_cstr(&err));
	free_claim(v, k);
	check(st_outbox_claim(st, "gw3:1", now, 60, 0, &v, &k, &err) == ST_OK && k == 0,
	      n, "a third gets none while the leases run", sg_buf_cstr(&err));
	free_claim(v, k);
	memset(&w, 0, sizeof(w));
	check(st_outbox_lessees(st, owner_cb, &w, &err) == ST_OK && w.n == 2 &&
	      (strcmp(w.names, "gw1:1;gw2:1;") == 0 || strcmp(w.names, "gw2:1;gw1:1;") == 0),
	      n, "lessees: both owners, once each", w.names);

	/* Retry: only by the owner of the lease. */
	check(st_outbox_retry(st, 1, "gw2:1", now + 100, "451 later", &err) == ST_OK &&
	      rawnum(b, "SELECT attempts FROM outbox WHERE id = 1") == 0, n,
	      "a retry by someone else's lease changes nothing", sg_buf_cstr(&err));
	check(st_outbox_retry(st, 1, "gw1:1", now + 100, "451 later", &err) == ST_OK &&
	      rawnum(b, "SELECT attempts FROM outbox WHERE id = 1") == 1 &&
	      rawnum(b, "SELECT next_t FROM outbox WHERE id = 1") == (long long)now + 100 &&
	      raweq(b, "SELECT last_error FROM outbox WHERE id = 1", "451 later") &&
	      rawnum(b, "SELECT count(*) FROM outbox WHERE id = 1 AND lease_owner IS NULL")
	      == 1, n, "retried: attempts, next time, error, lease released",
	      sg_buf_cstr(&err));
	/* The lease runs out: someone else claims the row. */
	check(st_outbox_claim(st, "gw3:1", now + 60, 60, 0, &v, &k, &err) == ST_OK &&
	      k == 1 && v[0]->id == 2, n,
	      "a lease that ran out is claimed again (not the one retried later)",
	      sg_buf_cstr(&err));
	free_claim(v, k);
	check(st_outbox_unlease(st, "gw2:1", &err) == 2, n,
	      "unlease: the dead drainer's two rows", sg_buf_cstr(&err));
	check(st_outbox_unlease(st, "nobody", &err) == 0, n, "unlease of nobody: 0",
	      sg_buf_cstr(&err));
	check(st_outbox_claim(st, "gw1:2", now, 60, 0, &v, &k, &err) == ST_OK && k == 2 &&
	      v[0]->id == 3 && v[1]->id == 4, n, "unleased rows are claimed at once",
	      sg_buf_cstr(&err));
	free_claim(v, k);

	/* Sent once, failed once. */
	check(st_outbox_sent(st, 3, "notifier", &err) == ST_OK &&
	      raweq(b, "SELECT state || ':' || head || ':' || body FROM outbox WHERE"
		    " id = 3", "sent::") &&
	      rawnum(b, "SELECT sent_t FROM outbox WHERE id = 3") > 0, n,
	      "sent: state sent, content dropped", sg_buf_cstr(&err));
	check(st_outbox_sent(st, 3, "notifier", &err) == ST_OK &&
	      rawnum(b, "SELECT count(*) FROM audit WHERE event = 'notice'") == 1, n,
	      "sent twice: one record", sg_buf_cstr(&err));
	check(st_outbox_sent(st, 99, NULL, &err) == ST_NOTFOUND, n,
	      "sent: no such notice", sg_buf_cstr(&err));
	check(st_outbox_fail(st, 4, NULL, "550 no such user", &err) == ST_OK &&
	      st_outbox_fail(st, 4, NULL, "again", &err) == ST_OK &&
	      rawnum(b, "SELECT count(*) FROM audit WHERE event = 'notice-failed'") == 1 &&
	      raweq(b, "SELECT state || ' ' || last_error FROM outbox WHERE id = 4",
		    "failed 550 no such user"), n,
	      "failed: once, with its error", sg_buf_cstr(&err));
	check(st_outbox_fail(st, 3, NULL, "late", &err) == ST_OK &&
	      raweq(b, "SELECT state FROM outbox WHERE id = 3", "sent"), n,
	      "a sent notice is not failed afterwards", sg_buf_cstr(&err));

	memset(&l, 0, sizeof(l));
	check(st_outbox_list(st, false, nlist_cb, &l, &err) == ST_OK && l.n == 3 &&
	      strcmp(l.states, "1:ready:1;2:ready:0;4:failed:0;") == 0, n,
	      "list: what is not sent", l.states);
	memset(&l, 0, sizeof(l));
	check(st_outbox_list(st, true, nlist_cb, &l, &err) == ST_OK && l.n == 4, n,
	      "list all", l.states);
	check(st_outbox_next_due(st) > 0, n, "next due: a ready row is left", NULL);
	check(st_outbox_sent(st, 1, NULL, &err) == ST_OK &&
	      st_outbox_sent(st, 2, NULL, &err) == ST_OK && st_outbox_next_due(st) == 0,
	      n, "next due: none once every ready row is sent", sg_buf_cstr(&err));
	sg_buf_free(&err);
}

/* ------------------------------------------------- two processes at once */

#define RACE_NOTICES 200
#define RACE_HOLDS 20

/* Child: claims in small batches until nothing is left, writes each id
 * it got to fd as a line. Exit 0, or 1 on an error. */
static int claimer(be *b, const char *owner, int fd, int go)
{
	sg_buf err;
	st_store *st;
	char c;
	int rc = 0;

	sg_buf_init(&err, 4096);
	st = be_open(b, &err);
	if (st == NULL) {
		fprintf(stderr, "pg_vote: %s\n", sg_buf_cstr(&err));
		return 1;
	}
	if (read(go, &c, 1) != 1)
		return 1;
	/* Bounded: at least one row per pass, RACE_NOTICES rows in all. */
	for (int pass = 0; pass <= RACE_NOTICES; pass++) {
		st_notice **v = NULL;
		size_t k = 0;
		char line[64];

		if (st_outbox_claim(st, owner, time(NULL) + 5, 600, 7, &v, &k, &err) != ST_OK) {
			fprintf(stderr, "pg_vote: claim: %s\n", sg_buf_cstr(&err));
			rc = 1;
			break;
		}
		for (size_t i = 0; i < k; i++) {
			int len = snprintf(line, sizeof(line), "%lld\n", v[i]->id);

			if (write(fd, line, (size_t)len) != len)
				rc = 1;
		}
		free_claim(v, k);
		if (k == 0)
			break;
	}
	st_close(st);
	sg_buf_free(&err);
	return rc;
}

static void sc_claim_race(be *b)
{
	const char *n = b->name;
	st_notice_new *add = calloc(RACE_NOTICES, sizeof(*add));
	char (*mid)[32] = calloc(RACE_NOTICES, sizeof(*mid));
	int out[2], go[2], status, ok = 1;
	int *seen = calloc(RACE_NOTICES + 1, sizeof(*seen));
	pid_t pid[2];
	sg_buf err;
	FILE *f;
	char line[64];
	int total = 0, dup = 0;

	sg_buf_init(&err, 4096);
	for (int i = 0; i < RACE_NOTICES; i++) {
		snprintf(mid[i], sizeof(mid[i]), "<race%d@sg>", i);
		add[i] = notice("rejected", "s@example.lg.jp", mid[i], true);
	}
	check(st_outbox_add(b->st, NULL, NULL, add, RACE_NOTICES, &err) == ST_OK, n,
	      "200 notices added", sg_buf_cstr(&err));
	if (pipe(out) != 0 || pipe(go) != 0) {
		check(0, n, "pipes", NULL);
		return;
	}
	for (int c = 0; c < 2; c++) {
		pid[c] = fork();
		if (pid[c] == 0) {
			close(out[0]);
			close(go[1]);
			_exit(claimer(b, c ? "gw2:race" : "gw1:race", out[1], go[0]));
		}
	}
	close(out[1]);
	close(go[0]);
	/* Both start at once. */
	if (write(go[1], "gg", 2) != 2)
		ok = 0;
	close(go[1]);
	f = fdopen(out[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		long long id = atoll(line);

		if (id >= 1 && id <= RACE_NOTICES) {
			if (seen[id]++)
				dup++;
			total++;
		}
	}
	if (f)
		fclose(f);
	for (int c = 0; c < 2; c++)
		if (waitpid(pid[c], &status, 0) != pid[c] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			ok = 0;
	check(ok, n, "two claiming processes ran without error", NULL);
	check(dup == 0 && total == RACE_NOTICES, n,
	      "every notice claimed exactly once by the two", NULL);
	check(rawnum(b, "SELECT count(DISTINCT lease_owner) FROM outbox") >= 1 &&
	      rawnum(b, "SELECT count(*) FROM outbox WHERE lease_owner IS NULL") == 0, n,
	      "every row leased", NULL);
	free(add);
	free(mid);
	free(seen);
	sg_buf_free(&err);
}

/* Child: votes as principal on every race hold; the outcome of each
 * as a line "hold rc out". */
static int voter(be *b, const char *principal, int fd, int go)
{
	st_vote v = { true, principal, principal, principal, NULL, NULL, "tester", NULL };
	sg_buf err;
	st_store *st;
	char c;

	sg_buf_init(&err, 4096);
	st = be_open(b, &err);
	if (st == NULL || read(go, &c, 1) != 1)
		return 1;
	for (int i = 0; i < RACE_HOLDS; i++) {
		char id[ST_ID_SIZE], line[96];
		st_vote_out out = ST_VOTE_PARTIAL;
		st_rc rc;
		int len;

		race_id(id, i);
		rc = st_hold_vote(st, id, &v, &out, &err);
		len = snprintf(line, sizeof(line), "%d %d %d\n", i, (int)rc, (int)out);
		if (write(fd, line, (size_t)len) != len)
			return 1;
	}
	st_close(st);
	sg_buf_free(&err);
	return 0;
}

static void sc_vote_race(be *b)
{
	const char *n = b->name;
	st_vote first = { true, "p0@example.lg.jp", "p0@example.lg.jp",
			  "p0@example.lg.jp", NULL, NULL, "tester", NULL };
	int decided[RACE_HOLDS] = { 0 }, refused[RACE_HOLDS] = { 0 };
	int out[2], go[2], status, ok = 1, good = 0;
	pid_t pid[2];
	sg_buf err;
	FILE *f;
	char line[96];

	sg_buf_init(&err, 4096);
	for (int i = 0; i < RACE_HOLDS; i++) {
		char id[ST_ID_SIZE];
		st_vote_out o;

		race_id(id, i);
		if (!mkhold(b, id, "approval", 2, "pending", 0, 0) ||
		    st_hold_vote(b->st, id, &first, &o, &err) != ST_OK)
			ok = 0;
	}
	check(ok, n, "20 holds with one of two approvals", sg_buf_cstr(&err));
	if (pipe(out) != 0 || pipe(go) != 0) {
		check(0, n, "pipes", NULL);
		return;
	}
	for (int c = 0; c < 2; c++) {
		pid[c] = fork();
		if (pid[c] == 0) {
			close(out[0]);
			close(go[1]);
			_exit(voter(b, c ? "p2@example.lg.jp" : "p1@example.lg.jp", out[1],
				    go[0]));
		}
	}
	close(out[1]);
	close(go[0]);
	if (write(go[1], "gg", 2) != 2)
		ok = 0;
	close(go[1]);
	f = fdopen(out[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		int i, rc, o;

		if (sscanf(line, "%d %d %d", &i, &rc, &o) == 3 && i >= 0 && i < RACE_HOLDS) {
			if (rc == ST_OK && o == ST_VOTE_DECIDED)
				decided[i]++;
			else if (rc == ST_CONFLICT)
				refused[i]++;
		}
	}
	if (f)
		fclose(f);
	for (int c = 0; c < 2; c++)
		if (waitpid(pid[c], &status, 0) != pid[c] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			ok = 0;
	for (int i = 0; i < RACE_HOLDS; i++)
		good += decided[i] == 1 && refused[i] == 1;
	check(ok, n, "two voting processes ran without error", NULL);
	check(good == RACE_HOLDS, n,
	      "racing for the last approval: one decides, the other is refused", NULL);
	check(rawnum(b, "SELECT count(*) FROM approvals") == 2 * RACE_HOLDS &&
	      rawnum(b, "SELECT count(*) FROM holds WHERE status = 'approved'") ==
	      RACE_HOLDS && rawnum(b, "SELECT count(*) FROM audit WHERE event ="
				   " 'approve'") == RACE_HOLDS, n,
	      "two approvals and one decision record per hold", NULL);
	sg_buf_free(&err);
}

/* ------------------------------------------------------------ purge */

static void sc_purge(be *b)
{
	st_store *st = b->st;
	const char *n = b->name;
	time_t now = time(NULL);
	st_purge_counts c;
	st_notice_new nt[2] = {
		notice("approved", "x@example.lg.jp", "<p1@sg>", false),
		notice("rejected", "y@example.lg.jp", "<p2@sg>", true),
	};
	st_vote v = { true, "a@example.lg.jp", "a@example.lg.jp", "a@example.lg.jp",
		      NULL, NULL, "tester", NULL };
	st_vote_out o;
	size_t nrec = 0, bad = 0;
	long long before_records;
	sg_buf err;
	char sql[512];

	sg_buf_init(&err, 4096);
	/* Old and closed (goes), old and pending (stays), closed but
	 * created "later" than the cut-off (stays). */
	check(mkhold(b, H1, "approval", 1, "pending", 0, 1000) &&
	      mkhold(b, H2, "approval", 1, "pending", 0, 1000) &&
	      mkhold(b, H3, "approval", 1, "approved", 1, (long long)now + 100000), n,
	      "holds inserted", NULL);
	check(st_hold_vote(st, H1, &v, &o, &err) == ST_OK && o == ST_VOTE_DECIDED &&
	      st_hold_set_applied(st, H1, NULL, "apply", "tester", &err) == ST_OK, n,
	      "one approved and carried out", sg_buf_cstr(&err));
	check(st_outbox_add(st, H1, "QH1", nt, 1, &err) == ST_OK &&
	      st_outbox_add(st, NULL, NULL, nt + 1, 1, &err) == ST_OK &&
	      rawok(b, "UPDATE outbox SET created_t = 1000"), n, "old notices",
	      sg_buf_cstr(&err));
	check(st_delegate_add(st, "a@example.lg.jp", "b@example.lg.jp", 100, 200,
			      "admin", NULL, NULL, &err) == ST_OK &&
	      st_delegate_add(st, "a@example.lg.jp", "c@example.lg.jp", now - 10,
			      now + 3600, "admin", NULL, NULL, &err) == ST_OK, n,
	      "an ended delegation and one in force", sg_buf_cstr(&err));
	check(st_audit_append(st, "test", NULL, NULL, "tester", NULL, "{\"n\":1}", &err)
	      == ST_OK, n, "a record", sg_buf_cstr(&err));
	check(st_purge(st, 0, &c, &err) == ST_INVALID, n, "no cut-off: refused",
	      sg_buf_cstr(&err));
	before_records = rawnum(b, "SELECT count(*) FROM audit");
	check(st_purge(st, 150, &c, &err) == ST_OK && c.holds == 0 && c.records == 0 &&
	      c.notices == 0 && c.delegations == 0 &&
	      rawnum(b, "SELECT count(*) FROM audit") == before_records, n,
	      "nothing old: nothing written", sg_buf_cstr(&err));
	/* A second later every record so far is older than the clock. */
	sleep(1);
	check(st_purge(st, time(NULL), &c, &err) == ST_OK && c.holds == 1 && c.notices == 2 &&
	      c.delegations == 1 && (long long)c.records == before_records, n,
	      "purge: one hold, its notices, one delegation, the old records",
	      sg_buf_cstr(&err));
	check(rawnum(b, "SELECT count(*) FROM holds") == 2 &&
	      rawnum(b, "SELECT count(*) FROM approvals") == 0 &&
	      rawnum(b, "SELECT count(*) FROM outbox") == 0 &&
	      rawnum(b, "SELECT count(*) FROM delegations") == 1, n,
	      "what stays: the pending and the newer hold, the delegation in force",
	      NULL);
	snprintf(sql, sizeof(sql), "SELECT seq FROM audit WHERE event = 'purge'");
	check(rawnum(b, "SELECT count(*) FROM audit") == 1 &&
	      rawnum(b, sql) == before_records + 1, n,
	      "the anchor alone is left, numbered after the purged records", NULL);
	check(st_audit_verify(st, &nrec, &bad, &err) == ST_OK && nrec == 1 && bad == 0, n,
	      "audit verify passes after the purge", sg_buf_cstr(&err));
	check(st_audit_append(st, "test", NULL, NULL, "tester", NULL, "{\"n\":2}", &err)
	      == ST_OK && st_audit_verify(st, &nrec, &bad, &err) == ST_OK && nrec == 2, n,
	      "a record after it chains on", sg_buf_cstr(&err));
	/* A second purge: the newest anchor counts. */
	sleep(1);
	check(st_purge(st, time(NULL), &c, &err) == ST_OK && c.records == 2, n,
	      "a second purge", sg_buf_cstr(&err));
	check(st_audit_verify(st, &nrec, &bad, &err) == ST_OK && nrec == 1, n,
	      "audit verify passes after it", sg_buf_cstr(&err));
	check(st_audit_append(st, "test", NULL, NULL, "tester", NULL, "{\"n\":3}", &err)
	      == ST_OK && st_purge(st, 150, &c, &err) == ST_OK &&
	      st_audit_verify(st, &nrec, &bad, &err) == ST_OK && nrec == 2, n,
	      "and after a purge that finds nothing old", sg_buf_cstr(&err));
	sg_buf_free(&err);
}

/* ------------------------------------- a purged chain, copied across */

/* Inserts audit records, bytes as stored, into the other backend's
 * log (an INSERT: the append-only triggers refuse only UPDATE and
 * DELETE). */
struct copy {
	be *to;
	sqlite3 *db;
	PGconn *c;
	size_t n;
};

static int copy_one(const st_audit_rec *r, void *ctx)
{
	struct copy *cp = ctx;
	static const char sql[] = "INSERT INTO audit (seq, ts, ts_t, event, hold_id,"
		" queue_id, actor, unix_user, detail, prev_hash, hash) VALUES"
		" ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)";
	char seq[32], tst[32];
	const char *p[11];

	snprintf(seq, sizeof(seq), "%lld", r->seq);
	snprintf(tst, sizeof(tst), "%lld", (long long)r->ts_t);
	p[0] = seq; p[1] = r->ts; p[2] = tst; p[3] = r->event; p[4] = r->hold_id;
	p[5] = r->queue_id; p[6] = r->actor; p[7] = r->unix_user; p[8] = r->detail;
	p[9] = r->prev_hash; p[10] = r->hash;
	if (cp->c != NULL) {
		PGresult *res = PQexecParams(cp->c, sql, 11, NULL, p, NULL, NULL, 0);

		if (PQresultStatus(res) == PGRES_COMMAND_OK)
			cp->n++;
		else
			fprintf(stderr, "pg_vote: copy: %s", PQerrorMessage(cp->c));
		PQclear(res);
	} else {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(cp->db, sql, -1, &s, NULL);

		/* SQLite takes $N parameters too; seq and ts_t as integers,
		 * as the store binds them. */
		for (int i = 0; i < 11 && rc == SQLITE_OK; i++)
			if (i == 0)
				rc = sqlite3_bind_int64(s, 1, r->seq);
			else if (i == 2)
				rc = sqlite3_bind_int64(s, 3, (sqlite3_int64)r->ts_t);
			else
				rc = p[i] ? sqlite3_bind_text(s, i + 1, p[i], -1, SQLITE_STATIC)
					  : sqlite3_bind_null(s, i + 1);
		if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_DONE)
			cp->n++;
		else
			fprintf(stderr, "pg_vote: copy: %s\n", sqlite3_errmsg(cp->db));
		sqlite3_finalize(s);
	}
	return 0;
}

/* A chain purged on `from` (records, a purge, records), copied into a
 * fresh store of `to`: the same count verifies there, from the same
 * anchor. */
static void copy_purged(be *from, be *to)
{
	char what[128];
	size_t n1 = 0, n2 = 0, bad = 0;
	struct copy cp = { to, NULL, NULL, 0 };
	st_purge_counts c;
	sg_buf err;
	bool ok = true;

	sg_buf_init(&err, 4096);
	snprintf(what, sizeof(what), "a purged chain copied from %s verifies the same",
		 from->name);
	if (!be_fresh(from) || !be_fresh(to)) {
		check(0, to->name, what, "fresh stores");
		return;
	}
	for (int i = 0; i < 5 && ok; i++)
		ok = st_audit_append(from->st, "test", NULL, NULL, "tester", NULL,
				     "{\"before\":true}", &err) == ST_OK;
	sleep(1);
	ok = ok && st_purge(from->st, time(NULL), &c, &err) == ST_OK && c.records == 5;
	for (int i = 0; i < 3 && ok; i++)
		ok = st_audit_append(from->st, "test", NULL, NULL, "tester", NULL,
				     "{\"after\":true}", &err) == ST_OK;
	ok = ok && st_audit_verify(from->st, &n1, &bad, &err) == ST_OK && n1 == 4;
	if (!ok) {
		check(0, from->name, what, sg_buf_cstr(&err));
		sg_buf_free(&err);
		return;
	}
	if (strcmp(to->name, "postgresql") == 0)
		cp.c = PQconnectdb(to->dsn);
	else if (sqlite3_open(to->path, &cp.db) != SQLITE_OK)
		ok = false;
	if (ok) {
		if (cp.db)
			sqlite3_busy_timeout(cp.db, 10000);
		ok = st_audit_list(from->st, NULL, 0, copy_one, &cp, &err) == ST_OK;
	}
	PQfinish(cp.c);
	sqlite3_close(cp.db);
	check(ok && cp.n == 4 && st_audit_verify(to->st, &n2, &bad, &err) == ST_OK &&
	      n2 == n1 && bad == 0, to->name, what, sg_buf_cstr(&err));
	/* And the chain goes on there. */
	check(st_audit_append(to->st, "test", NULL, NULL, "tester", NULL, "{}", &err)
	      == ST_OK && st_audit_verify(to->st, &n2, &bad, &err) == ST_OK &&
	      n2 == n1 + 1, to->name, "appends continue the copied, purged chain",
	      sg_buf_cstr(&err));
	sg_buf_free(&err);
}

/* ---------------------------------------------------------- driver */

typedef void (*scenario_fn)(be *b);

static const struct scenario {
	const char *name;
	scenario_fn fn;
	bool compare;			/* same audit records on both */
} scenarios[] = {
	{ "votes", sc_votes, true },
	{ "escalation", sc_escalate, true },
	{ "delegations", sc_delegate, true },
	{ "outbox", sc_outbox, true },
	{ "outbox claimed by two processes", sc_claim_race, false },
	{ "last approval raced by two processes", sc_vote_race, false },
	{ "purge", sc_purge, true },
};

int main(int argc, char **argv)
{
	const char *root = getenv("SG_TEST_ROOT");
	be lite, pg;

	if (argc != 2) {
		fprintf(stderr, "usage: pg_vote DSN\n");
		return 64;
	}
	memset(&lite, 0, sizeof(lite));
	memset(&pg, 0, sizeof(pg));
	lite.name = "sqlite";
	pg.name = "postgresql";
	pg.dsn = argv[1];
	snprintf(lite.dir, sizeof(lite.dir), "%s/pg_vote.XXXXXX",
		 root && *root ? root : "/var/tmp/sg-test");
	if (mkdtemp(lite.dir) == NULL) {
		perror(lite.dir);
		return 1;
	}
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		char *t[2] = { NULL, NULL };
		be *bs[2] = { &lite, &pg };

		printf("# %s\n", scenarios[i].name);
		for (int j = 0; j < 2; j++) {
			if (!be_fresh(bs[j])) {
				check(0, bs[j]->name, "a fresh store", NULL);
				continue;
			}
			scenarios[i].fn(bs[j]);
			t[j] = transcript(bs[j]->st);
		}
		if (scenarios[i].compare)
			check(t[0] && t[1] && strcmp(t[0], t[1]) == 0 && *t[0], "both",
			      "the same audit records, byte for byte",
			      t[0] && t[1] ? t[1] : NULL);
		if (scenarios[i].compare && t[0] && t[1] && strcmp(t[0], t[1]) != 0)
			fprintf(stderr, "sqlite:\n%spostgresql:\n%s", t[0], t[1]);
		free(t[0]);
		free(t[1]);
	}
	printf("# a purged chain copied between the backends\n");
	copy_purged(&lite, &pg);
	copy_purged(&pg, &lite);
	st_close(lite.st);
	st_close(pg.st);
	/* The SQLite files go with their directory. */
	for (int i = 1; i <= lite.serial; i++) {
		char p[400];
		const char *ext[] = { "", "-wal", "-shm" };

		for (size_t e = 0; e < 3; e++) {
			snprintf(p, sizeof(p), "%s/s%d.db%s", lite.dir, i, ext[e]);
			unlink(p);
		}
	}
	rmdir(lite.dir);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
