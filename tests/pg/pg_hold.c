/*
 * NAME
 *	pg_hold - holds and previews: the PostgreSQL store against SQLite
 * SYNOPSIS
 *	pg_hold DSN
 * DESCRIPTION
 *	Run by tests/pg/run.sh against its own cluster (it drops and
 *	recreates the schema of DSN's database). Every scenario is a
 *	function of an st_store*, run on a fresh SQLite store (a temporary
 *	file) and on a fresh PostgreSQL store, asserting the same outcome
 *	on each: create (with its preview), get, find by queue id, list by
 *	status; decide (approve, reject with a comment, a second decision
 *	refused, a missing hold, a hold that needs several approvals);
 *	set_applied; delayed holds (due, work, release by the sender and at
 *	the end of the delay, refusals); arriving holds (confirm,
 *	never-arrived, a late confirm, arrivals, the oldest); reminders;
 *	previews shown while waiting, gone when decided, purged when
 *	expired. Each scenario also writes what it saw into a transcript,
 *	and the two backends' transcripts must be equal, as must their
 *	audit logs (event, hold, queue id, actor, detail bytes); `audit
 *	verify` passes on both.
 *
 *	Then the race: two processes, each with its own connection, decide
 *	the same hold at once (one approves, one rejects), 20 times on each
 *	backend: exactly one wins each time, the other gets ST_CONFLICT,
 *	the hold shows the winner's decision and the log has one decision
 *	for it.
 *
 *	Output: "ok ..." / "not ok ..." lines, "P passed, F failed" last;
 *	exit 1 on any failure.
 */
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/st.h"
#include "util/sg_buf.h"

static int passed, failed;
static const char *be;		/* the backend a scenario runs on */
static sg_buf *tr;		/* its transcript */

static void check(int cond, const char *what, const char *detail)
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

/* One line of the transcript both backends must write alike. */
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sg_buf_vprintf(tr, fmt, ap);
	va_end(ap);
	sg_buf_putc(tr, '\n');
}

/* A fixed, valid hold id per number: both backends' records name the
 * same holds. */
static const char *hid(int n)
{
	static char ids[64][ST_ID_SIZE];
	static const char a[] = "abcdefghijklmnopqrstuvwxyz234567";

	snprintf(ids[n], ST_ID_SIZE, "h%s%c%c", "aaaaaaaaaaaaaaaaaaaaaaaa",
		 a[(n / 32) % 32], a[n % 32]);
	return ids[n];
}

#define T0 1900000000L		/* a fixed "now" for the scenarios */

static const st_rcpt rcpts[] = {
	{ "kacho@example.lg.jp", false },
	{ "Partner@Example.COM", true },
};
static const char *const cats[] = { "mynumber", "address" };
static const char *const apps[] = { "boss@example.lg.jp" };

static void hold_new(st_hold_new *in, int n, const char *qid)
{
	memset(in, 0, sizeof(*in));
	in->id = hid(n);
	in->queue_id = qid;
	in->sender = "Taro@Example.LG.JP";
	in->auth_login = "taro";
	in->from_addr = "taro@example.lg.jp";
	in->client_addr = "192.0.2.7";
	in->rcpts = rcpts;
	in->nrcpts = 2;
	in->subject = "見積書 \"draft\"";
	in->size = 12345;
	in->categories = cats;
	in->ncategories = 2;
	in->verdict = "hold";
	in->findings_json = "[{\"rule\":\"mynumber\",\"masked\":\"1234********\"}]";
	in->attachments_json = "[]";
	in->approvers = apps;
	in->napprovers = 1;
	in->created = T0 + n;
	in->expires = T0 + 86400;
	in->names_json = " [ {\"addr\": \"kacho@example.lg.jp\", \"name\": \"課長\"} ] ";
}

static st_rc create(st_store *st, const st_hold_new *in, sg_buf *err)
{
	char id[ST_ID_SIZE] = "";
	st_rc rc = st_hold_create(st, in, id, err);

	if (rc == ST_OK && in->id && strcmp(id, in->id) != 0)
		check(0, "create gives back the id asked for", id);
	note("create %s: %s", in->id ? in->id : "?", st_rc_name(rc));
	return rc;
}

static void note_hold(const st_hold *h)
{
	note("hold %s q=%s sender=%s subject=%s size=%llu status=%s applied=%d"
	     " rcpts=%s cats=%s apps=%s findings=%s names=%s created=%s/%lld"
	     " expires=%s/%lld by=%s comment=%s newq=%s reminded=%d delay=%d"
	     " release=%lld required=%u approved=%u approvals=%s nrcpts=%zu"
	     " ext1=%d ncats=%zu napps=%zu gateway=%s orphaned=%d",
	     h->id, h->queue_id, h->sender, h->subject, h->size,
	     st_status_name(h->status), h->applied, h->recipients_json,
	     h->categories_json, h->approvers_json, h->findings_json,
	     h->names_json ? h->names_json : "(null)", h->created,
	     (long long)h->created_t, h->expires ? h->expires : "(null)",
	     (long long)h->expires_t, h->decided_by ? h->decided_by : "(null)",
	     h->decision_comment ? h->decision_comment : "(null)",
	     h->new_queue_id ? h->new_queue_id : "(null)", h->reminded_at != NULL,
	     h->delay, (long long)h->release_t, h->required, h->napproved,
	     h->approvals_json ? h->approvals_json : "(null)", h->nrcpts,
	     h->nrcpts > 1 ? h->rcpts[1].external : -1, h->ncategories,
	     h->napprovers, h->gateway ? h->gateway : "(null)", h->orphaned_at != NULL);
}

/* st_hold_get, noted; the hold, or NULL. */
static st_hold *get(st_store *st, int n, sg_buf *err)
{
	st_hold *h = NULL;
	st_rc rc = st_hold_get(st, hid(n), &h, err);

	note("get %s: %s", hid(n), st_rc_name(rc));
	if (rc == ST_OK)
		note_hold(h);
	return h;
}

struct ids {
	char v[16][ST_ID_SIZE];
	size_t n;
};

static int collect(const st_hold *h, void *ctx)
{
	struct ids *ids = ctx;

	if (ids->n < 16)
		snprintf(ids->v[ids->n++], ST_ID_SIZE, "%s", h->id);
	return 0;
}

/* The ids a list gives, in order, as one string. */
static void list(st_store *st, const st_status *s, char *out, size_t size,
		 sg_buf *err)
{
	struct ids ids = { .n = 0 };
	st_rc rc = st_hold_list(st, s, collect, &ids, err);
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < ids.n && o < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%s", i ? "," : "", ids.v[i]);
	note("list %s: %s [%s]", s ? st_status_name(*s) : "all", st_rc_name(rc), out);
}

static bool has(const sg_buf *err, const char *words)
{
	return strstr(sg_buf_cstr(err), words) != NULL;
}

/* ---- scenarios ---- */

static void sc_create(st_store *st, sg_buf *err)
{
	st_hold_new in;
	st_hold *h;
	st_status s;
	char ids[1024], want[256];
	char *pv = NULL;
	size_t n = 0;

	hold_new(&in, 1, "QA1");
	in.preview = "p1.sealed-preview-of-1";
	check(create(st, &in, err) == ST_OK, "create a hold with its preview",
	      sg_buf_cstr(err));
	hold_new(&in, 2, "QB2");
	in.created = T0 + 1;
	check(create(st, &in, err) == ST_OK, "create a second hold", sg_buf_cstr(err));
	hold_new(&in, 3, "QA1");	/* the same queue id, newer */
	in.created = T0 + 5;
	check(create(st, &in, err) == ST_OK, "create a third (same queue id)",
	      sg_buf_cstr(err));

	hold_new(&in, 4, "");
	check(create(st, &in, err) == ST_INVALID, "a hold without a queue id is refused",
	      sg_buf_cstr(err));
	hold_new(&in, 4, "QX");
	in.id = "not-an-id";
	check(create(st, &in, err) == ST_INVALID, "a malformed id is refused",
	      sg_buf_cstr(err));
	hold_new(&in, 4, "QX");
	in.findings_json = "[{";
	check(create(st, &in, err) == ST_INVALID, "invalid findings JSON is refused",
	      sg_buf_cstr(err));
	hold_new(&in, 4, "QX");
	in.preview = "not sealed";
	check(create(st, &in, err) == ST_INVALID,
	      "a preview that is not sealed is refused (and no hold left)",
	      sg_buf_cstr(err));
	hold_new(&in, 1, "QA1");
	check(create(st, &in, err) != ST_OK, "the same id twice is refused",
	      sg_buf_cstr(err));
	check(st_hold_get(st, hid(4), &h, err) == ST_NOTFOUND && h == NULL,
	      "a refused hold was not stored", sg_buf_cstr(err));

	h = get(st, 1, err);
	check(h != NULL, "get", sg_buf_cstr(err));
	if (h != NULL) {
		check(strcmp(h->sender, "taro@example.lg.jp") == 0, "sender lower-cased",
		      h->sender);
		check(h->nrcpts == 2 && strcmp(h->rcpts[1].addr, "Partner@Example.COM") == 0 &&
		      h->rcpts[1].external && !h->rcpts[0].external,
		      "recipients parsed back", h->recipients_json);
		check(h->ncategories == 2 && strcmp(h->categories[0], "mynumber") == 0 &&
		      h->napprovers == 1 && strcmp(h->approvers[0], apps[0]) == 0,
		      "categories and approvers parsed back", h->categories_json);
		check(h->status == ST_PENDING && !h->applied && h->required == 1 &&
		      h->napproved == 0 && strcmp(h->approvals_json, "[]") == 0,
		      "pending, nothing approved yet", h->approvals_json);
		check(strcmp(h->names_json, "[{\"addr\":\"kacho@example.lg.jp\","
			     "\"name\":\"課長\"}]") == 0, "names stored compact",
		      h->names_json);
		check(h->created_t == T0 + 1 && h->expires_t == T0 + 86400 &&
		      h->size == 12345 && strcmp(h->subject, in.subject) == 0,
		      "times, size, subject", h->created);
	}
	st_hold_free(h);
	check(st_hold_get(st, hid(9), &h, err) == ST_NOTFOUND, "get: no such hold",
	      sg_buf_cstr(err));
	check(has(err, "no hold with id"), "...said in words", sg_buf_cstr(err));

	h = NULL;
	check(st_hold_find_queue_id(st, "QA1", &h, err) == ST_OK && h &&
	      strcmp(h->id, hid(3)) == 0, "find by queue id: the newest",
	      h ? h->id : sg_buf_cstr(err));
	note("find QA1: %s", h ? h->id : "-");
	st_hold_free(h);
	h = NULL;
	check(st_hold_find_queue_id(st, "QZZ", &h, err) == ST_NOTFOUND && h == NULL,
	      "find by queue id: none", sg_buf_cstr(err));

	list(st, NULL, ids, sizeof(ids), err);
	snprintf(want, sizeof(want), "%s,%s,%s", hid(1), hid(2), hid(3));
	check(strcmp(ids, want) == 0, "list all, oldest first", ids);
	s = ST_PENDING;
	list(st, &s, ids, sizeof(ids), err);
	check(strcmp(ids, want) == 0, "list pending", ids);
	s = ST_APPROVED;
	list(st, &s, ids, sizeof(ids), err);
	check(ids[0] == '\0', "list approved: none yet", ids);

	check(st_preview_get(st, hid(1), T0 + 10, &pv, err) == ST_OK && pv &&
	      strcmp(pv, "p1.sealed-preview-of-1") == 0, "the preview is stored",
	      sg_buf_cstr(err));
	free(pv);
	pv = NULL;
	check(st_preview_get(st, hid(2), T0 + 10, &pv, err) == ST_NOTFOUND && !pv,
	      "no preview for a hold without one", sg_buf_cstr(err));
	check(st_preview_count(st, &n, err) == ST_OK && n == 1, "one preview", NULL);
}

static void sc_decide(st_store *st, sg_buf *err)
{
	st_hold_new in;
	st_hold *h;
	st_status s;
	char ids[1024];
	char *pv = NULL;
	size_t n = 9;
	st_rc rc;

	rc = st_hold_decide(st, hid(1), ST_APPROVED, "boss@example.lg.jp", NULL, "web", err);
	check(rc == ST_OK, "approve", sg_buf_cstr(err));
	check(st_preview_get(st, hid(1), T0 + 10, &pv, err) == ST_NOTFOUND && !pv,
	      "the preview is gone once decided", sg_buf_cstr(err));
	check(st_preview_count(st, &n, err) == ST_OK && n == 0, "no preview left", NULL);
	rc = st_hold_decide(st, hid(1), ST_REJECTED, "other@example.lg.jp", "no", "web", err);
	check(rc == ST_CONFLICT && has(err, "is already approved (by boss@example.lg.jp"),
	      "a second decision is refused, naming the first", sg_buf_cstr(err));
	rc = st_hold_decide(st, hid(9), ST_APPROVED, "boss@example.lg.jp", NULL, "web", err);
	check(rc == ST_NOTFOUND, "deciding a missing hold", sg_buf_cstr(err));
	rc = st_hold_decide(st, hid(2), ST_PENDING, "boss@example.lg.jp", NULL, "web", err);
	check(rc == ST_INVALID, "pending is no decision", sg_buf_cstr(err));
	rc = st_hold_decide(st, hid(2), ST_REJECTED, "boss@example.lg.jp",
			    "宛先誤り \"外部\"\n再送不要", "web", err);
	check(rc == ST_OK, "reject with a comment", sg_buf_cstr(err));
	h = get(st, 2, err);
	check(h && h->status == ST_REJECTED && h->decision_comment &&
	      strcmp(h->decision_comment, "宛先誤り \"外部\"\n再送不要") == 0 &&
	      strcmp(h->decided_by, "boss@example.lg.jp") == 0 && h->decided_at,
	      "the rejection is stored with its comment", sg_buf_cstr(err));
	st_hold_free(h);
	s = ST_APPROVED;
	list(st, &s, ids, sizeof(ids), err);
	check(strcmp(ids, hid(1)) == 0, "list approved", ids);
	s = ST_REJECTED;
	list(st, &s, ids, sizeof(ids), err);
	check(strcmp(ids, hid(2)) == 0, "list rejected", ids);

	/* Several approvals needed: a single approval is st_hold_vote's. */
	hold_new(&in, 5, "QE5");
	in.required = 2;
	create(st, &in, err);
	rc = st_hold_decide(st, hid(5), ST_APPROVED, "boss@example.lg.jp", NULL, "web", err);
	check(rc == ST_CONFLICT && has(err, "several"),
	      "approving a hold that needs two is refused", sg_buf_cstr(err));
	rc = st_hold_decide(st, hid(5), ST_WITHDRAWN, "taro@example.lg.jp", NULL, "web", err);
	check(rc == ST_OK, "but it can be withdrawn", sg_buf_cstr(err));

	/* Applying. */
	check(st_hold_work(st, T0), "work: decided holds not applied", NULL);
	rc = st_hold_set_applied(st, hid(1), "NEWQ1", NULL, "root", err);
	check(rc == ST_OK, "set_applied", sg_buf_cstr(err));
	rc = st_hold_set_applied(st, hid(1), "NEWQ2", NULL, "root", err);
	check(rc == ST_OK, "set_applied again changes nothing", sg_buf_cstr(err));
	h = get(st, 1, err);
	check(h && h->applied && h->new_queue_id && strcmp(h->new_queue_id, "NEWQ1") == 0,
	      "applied, with the new queue id", h ? h->new_queue_id : NULL);
	st_hold_free(h);
	rc = st_hold_set_applied(st, hid(3), NULL, NULL, "root", err);
	check(rc == ST_CONFLICT && has(err, "nothing to apply"),
	      "a pending hold cannot be applied", sg_buf_cstr(err));
	rc = st_hold_set_applied(st, hid(9), NULL, NULL, "root", err);
	check(rc == ST_NOTFOUND, "applying a missing hold", sg_buf_cstr(err));
	check(st_hold_set_applied(st, hid(2), NULL, "apply", "root", err) == ST_OK &&
	      st_hold_set_applied(st, hid(5), NULL, "apply", "root", err) == ST_OK,
	      "apply the others", sg_buf_cstr(err));
	check(!st_hold_work(st, T0), "no work left", NULL);
}

static void sc_delay(st_store *st, sg_buf *err)
{
	st_hold_new in;
	char (*due)[ST_ID_SIZE] = NULL;
	size_t n = 0;
	st_hold *h;
	st_rc rc;

	hold_new(&in, 10, "QD10");
	in.delay = true;
	in.release_t = T0 + 100;
	in.expires = 0;
	create(st, &in, err);
	hold_new(&in, 11, "QD11");
	in.delay = true;
	in.release_t = T0 + 5000;
	in.expires = 0;
	create(st, &in, err);
	h = get(st, 10, err);
	check(h && h->delay && h->release_t == T0 + 100 && h->expires == NULL,
	      "a delayed hold", sg_buf_cstr(err));
	st_hold_free(h);

	check(st_hold_due(st, T0 + 200, 10, &due, &n, err) == ST_OK && n == 1 &&
	      strcmp(due[0], hid(10)) == 0, "due: the one whose delay ended",
	      sg_buf_cstr(err));
	note("due: %zu", n);
	free(due);
	due = NULL;
	check(st_hold_due(st, T0 + 9000, 1, &due, &n, err) == ST_OK && n == 1 &&
	      strcmp(due[0], hid(10)) == 0, "due: at most max, earliest first",
	      sg_buf_cstr(err));
	free(due);
	due = NULL;
	check(st_hold_work(st, T0 + 200) && !st_hold_work(st, T0 + 50),
	      "work: a delay that ended", NULL);

	rc = st_hold_release(st, hid(3), ST_RELEASE_SENDER, "taro@example.lg.jp", "web",
			     T0 + 200, err);
	check(rc == ST_CONFLICT && has(err, "held for approval"),
	      "a hold for approval is not released", sg_buf_cstr(err));
	rc = st_hold_release(st, hid(10), ST_RELEASE_DUE, "delay", "root", T0 + 50, err);
	check(rc == ST_CONFLICT && has(err, "has not ended"),
	      "not before the delay ended", sg_buf_cstr(err));
	rc = st_hold_release(st, hid(10), ST_RELEASE_DUE, "delay", "root", T0 + 200, err);
	check(rc == ST_OK, "released at the end of the delay", sg_buf_cstr(err));
	rc = st_hold_release(st, hid(10), ST_RELEASE_SENDER, "taro@example.lg.jp", "web",
			     T0 + 300, err);
	check(rc == ST_CONFLICT && has(err, "already approved (by delay)"),
	      "once only", sg_buf_cstr(err));
	rc = st_hold_release(st, hid(11), ST_RELEASE_SENDER, "taro@example.lg.jp", "web",
			     T0 + 300, err);
	check(rc == ST_OK, "\"send now\" by the sender", sg_buf_cstr(err));
	rc = st_hold_release(st, hid(9), ST_RELEASE_SENDER, "taro@example.lg.jp", "web",
			     T0 + 300, err);
	check(rc == ST_NOTFOUND, "releasing a missing hold", sg_buf_cstr(err));
	rc = st_hold_release(st, hid(11), ST_RELEASE_SENDER, NULL, "web", T0 + 300, err);
	check(rc == ST_INVALID, "a release needs who releases", sg_buf_cstr(err));
	h = get(st, 11, err);
	check(h && h->status == ST_APPROVED && strcmp(h->decided_by, "taro@example.lg.jp") == 0,
	      "released means approved by the sender", sg_buf_cstr(err));
	st_hold_free(h);
	check(st_hold_due(st, T0 + 9000, 10, &due, &n, err) == ST_OK && n == 0,
	      "nothing due any more", sg_buf_cstr(err));
	free(due);
	st_hold_set_applied(st, hid(10), NULL, NULL, "root", err);
	st_hold_set_applied(st, hid(11), NULL, NULL, "root", err);
}

static void sc_arrival(st_store *st, sg_buf *err)
{
	st_hold_new in;
	st_arrival *a = NULL;
	size_t n = 0;
	st_hold *h;
	st_rc rc;

	check(st_hold_oldest_arriving(st) == 0, "nothing arriving", NULL);
	hold_new(&in, 20, "QR20");
	in.arriving = true;
	in.created = T0 + 20;
	in.preview = "p1.arriving";
	create(st, &in, err);
	hold_new(&in, 21, "QR21");
	in.arriving = true;
	in.created = T0 + 30;
	create(st, &in, err);
	check(st_hold_oldest_arriving(st) == T0 + 20, "the oldest arriving", NULL);
	check(st_hold_arrivals(st, 0, 10, &a, &n, err) == ST_OK && n == 2 &&
	      strcmp(a[0].id, hid(20)) == 0 && strcmp(a[0].queue_id, "QR20") == 0 &&
	      a[1].created_t == T0 + 30 && !a[1].closed, "arrivals", sg_buf_cstr(err));
	free(a);
	a = NULL;

	rc = st_hold_decide(st, hid(20), ST_APPROVED, "boss@example.lg.jp", NULL, "web", err);
	check(rc == ST_CONFLICT && has(err, "not confirmed yet"),
	      "an arriving hold cannot be decided", sg_buf_cstr(err));
	rc = st_hold_confirm(st, hid(20), NULL, "{\"seen\":\"hold\"}", err);
	check(rc == ST_OK, "confirm", sg_buf_cstr(err));
	rc = st_hold_confirm(st, hid(20), NULL, NULL, err);
	check(rc == ST_CONFLICT && has(err, "is pending, not arriving"),
	      "confirm twice", sg_buf_cstr(err));
	rc = st_hold_never_arrived(st, hid(21), "reconcile", NULL, err);
	check(rc == ST_OK, "never arrived", sg_buf_cstr(err));
	h = get(st, 21, err);
	check(h && h->status == ST_NEVER_ARRIVED, "closed as never arrived",
	      sg_buf_cstr(err));
	st_hold_free(h);
	check(st_hold_arrivals(st, 0, 10, &a, &n, err) == ST_OK && n == 0,
	      "arrivals: none arriving", sg_buf_cstr(err));
	free(a);
	a = NULL;
	check(st_hold_arrivals(st, T0, 10, &a, &n, err) == ST_OK && n == 1 &&
	      a[0].closed, "arrivals: the closed one since T0", sg_buf_cstr(err));
	free(a);
	a = NULL;
	rc = st_hold_set_applied(st, hid(21), NULL, NULL, "root", err);
	check(rc == ST_CONFLICT, "a never-arrived hold is not applied", sg_buf_cstr(err));
	rc = st_hold_confirm(st, hid(21), "apply", NULL, err);
	check(rc == ST_OK, "a late queue file still confirms", sg_buf_cstr(err));
	rc = st_hold_never_arrived(st, hid(9), NULL, NULL, err);
	check(rc == ST_NOTFOUND, "a missing hold", sg_buf_cstr(err));
	check(st_hold_oldest_arriving(st) == 0, "nothing arriving any more", NULL);
	h = get(st, 21, err);
	check(h && h->status == ST_PENDING, "pending again", sg_buf_cstr(err));
	st_hold_free(h);
}

/* Issue 20: the handle is gateway gw-a's. A hold made for gw-b records
 * gw-b; gw-a's queue work (due, work, arrivals) never shows it; a hold
 * of gw-a does. */
/* gw-b's holds 61 (its notice ready) and 62 (arriving: waiting), which
 * sc_retire orphans. */
static const st_notice_new gw_b_notice[2] = {
	{ "sender_delay", "taro@example.lg.jp", "<gw-b.61@example.lg.jp>",
	  "Subject: delayed\n", "Ym9keQ==\n" },
	{ "approver", "kacho@example.lg.jp", "<gw-b.62@example.lg.jp>",
	  "Subject: approve\n", "Ym9keQ==\n" },
};

static void sc_gateway(st_store *st, sg_buf *err)
{
	char (*due)[ST_ID_SIZE] = NULL;
	st_arrival *a = NULL;
	st_hold_new in;
	size_t n = 9;
	st_hold *h;

	check(strcmp(st_gateway(st), "gw-a") == 0, "the handle's gateway", st_gateway(st));
	hold_new(&in, 60, "QG60");
	h = (create(st, &in, err), get(st, 60, err));
	check(h && strcmp(h->gateway, "gw-a") == 0, "a hold records the handle's gateway",
	      h ? h->gateway : sg_buf_cstr(err));
	st_hold_free(h);
	hold_new(&in, 61, "QG61");
	in.gateway = "gw-b";
	in.notices = &gw_b_notice[0];
	in.nnotices = 1;
	in.delay = true;
	in.release_t = T0 + 10;
	h = (create(st, &in, err), get(st, 61, err));
	check(h && strcmp(h->gateway, "gw-b") == 0, "a hold records its own gateway",
	      h ? h->gateway : sg_buf_cstr(err));
	st_hold_free(h);
	check(st_hold_due(st, T0 + 9000, 10, &due, &n, err) == ST_OK && n == 0,
	      "another gateway's delay is not due here", sg_buf_cstr(err));
	free(due);
	/* The earlier scenarios left gw-a's decided holds undone: done now,
	 * so that only gw-b's due delay could make work. */
	for (int i = 0; i < 64; i++)
		if (i < 40 || i > 59)
			st_hold_set_applied(st, hid(i), NULL, "apply", "root", NULL);
	check(!st_hold_work(st, T0 + 9000), "another gateway's work is not ours", NULL);
	hold_new(&in, 62, "QG62");
	in.gateway = "gw-b";
	in.notices = &gw_b_notice[1];
	in.nnotices = 1;
	in.arriving = true;
	create(st, &in, err);
	check(st_hold_oldest_arriving(st) == 0, "another gateway's arrival is not ours",
	      NULL);
	check(st_hold_arrivals(st, 0, 10, &a, &n, err) == ST_OK && n == 0,
	      "arrivals: none of ours", sg_buf_cstr(err));
	free(a);
	hold_new(&in, 63, "QG63");
	in.gateway = "gw b";
	check(create(st, &in, err) == ST_INVALID, "a gateway that is no name is refused",
	      sg_buf_cstr(err));
	check(st_hold_decide(st, hid(60), ST_REJECTED, "boss@example.lg.jp", "no",
			     "web", err) == ST_OK && st_hold_work(st, T0),
	      "our decided hold is our work", sg_buf_cstr(err));
}

/* The state of each outbox row whose message id is one of gw_b_notice
 * or the retire notice, as "MESSAGE-ID=STATE ..." in id order. */
static int notice_state_cb(const st_notice *n, void *ctx)
{
	sg_buf *b = ctx;

	if (n->message_id && (strstr(n->message_id, "gw-b.") || strstr(n->message_id, "retire.")))
		sg_buf_printf(b, "%s%s=%s", b->len ? " " : "", n->message_id,
			      st_notice_state_name(n->state));
	return 0;
}

/* gateway retire: gw-b's undecided holds (62 arriving, and 61 pending
 * delayed) orphaned with their previews gone and their notices not yet
 * sent cancelled, a decided one and gw-a's untouched; nothing can
 * decide, vote on, release or apply an orphaned hold; the admin notice
 * is in the outbox; retiring again orphans no more. */
static void sc_retire(st_store *st, sg_buf *err)
{
	static const st_notice_new nt = { "gateway-retired", "admin@example.lg.jp",
		"<retire.1@example.lg.jp>", "Subject: retired\n", "Ym9keQ==\n" };
	st_vote v = { true, "boss@example.lg.jp", "boss@example.lg.jp",
		      "boss@example.lg.jp", NULL, NULL, "web", NULL };
	st_vote_out out;
	size_t n = 99;
	st_hold *h;
	st_rc rc;

	rc = st_gateway_retire(st, &(st_retire){ "gw b", "root", "root", NULL, 0 },
			       &n, err);
	check(rc == ST_INVALID, "retire: a name that is no gateway", sg_buf_cstr(err));
	rc = st_gateway_retire(st, &(st_retire){ "gw-b", "root", "root", &nt, 1 },
			       &n, err);
	note("retire gw-b: %s %zu", st_rc_name(rc), n);
	check(rc == ST_OK && n == 2, "retire orphans gw-b's two undecided holds",
	      sg_buf_cstr(err));
	h = get(st, 62, err);
	check(h && h->orphaned_at != NULL && strcmp(st_hold_state_name(h), "orphaned") == 0,
	      "the arriving hold is orphaned", sg_buf_cstr(err));
	st_hold_free(h);
	h = get(st, 60, err);
	check(h && h->orphaned_at == NULL, "gw-a's hold is not", sg_buf_cstr(err));
	st_hold_free(h);
	{
		sg_buf states;

		sg_buf_init(&states, 4096);
		rc = st_outbox_list(st, true, notice_state_cb, &states, err);
		note("outbox after retire: %s", sg_buf_cstr(&states));
		check(rc == ST_OK && strcmp(sg_buf_cstr(&states),
			"<gw-b.61@example.lg.jp>=cancelled <gw-b.62@example.lg.jp>=cancelled"
			" <retire.1@example.lg.jp>=ready") == 0,
		      "the orphaned holds' unsent notices are cancelled, the admin's is ready",
		      sg_buf_cstr(&states));
		sg_buf_free(&states);
	}
	rc = st_hold_decide(st, hid(61), ST_WITHDRAWN, "taro@example.lg.jp", NULL, "web", err);
	check(rc == ST_CONFLICT && has(err, "orphaned"), "an orphaned hold cannot be decided",
	      sg_buf_cstr(err));
	rc = st_hold_release(st, hid(61), ST_RELEASE_SENDER, "taro@example.lg.jp", "web",
			     T0 + 1, err);
	check(rc == ST_CONFLICT, "nor released", sg_buf_cstr(err));
	rc = st_hold_confirm(st, hid(62), NULL, NULL, err);
	check(rc == ST_CONFLICT && has(err, "orphaned"), "nor confirmed", sg_buf_cstr(err));
	rc = st_hold_vote(st, hid(61), &v, &out, err);
	check(rc == ST_CONFLICT, "nor voted on", sg_buf_cstr(err));
	rc = st_gateway_retire(st, &(st_retire){ "gw-b", "root", "root", NULL, 0 },
			       &n, err);
	check(rc == ST_OK && n == 0, "retiring again orphans nothing more", sg_buf_cstr(err));
}

static void sc_remind(st_store *st, sg_buf *err)
{
	st_hold *h;
	st_rc rc;

	rc = st_hold_mark_reminded(st, hid(20), err);
	check(rc == ST_OK, "remind", sg_buf_cstr(err));
	h = get(st, 20, err);
	check(h && h->reminded_at != NULL, "reminded_at set", sg_buf_cstr(err));
	st_hold_free(h);
	rc = st_hold_mark_reminded(st, hid(20), err);
	check(rc == ST_CONFLICT && has(err, "already reminded"), "once",
	      sg_buf_cstr(err));
	rc = st_hold_mark_reminded(st, hid(1), err);
	check(rc == ST_CONFLICT && has(err, "no longer pending"),
	      "not a decided hold", sg_buf_cstr(err));
	rc = st_hold_mark_reminded(st, hid(9), err);
	check(rc == ST_NOTFOUND, "not a missing one", sg_buf_cstr(err));
}

static void sc_preview(st_store *st, sg_buf *err)
{
	st_hold_new in;
	char *pv = NULL;
	size_t n = 0;

	hold_new(&in, 30, "QP30");
	in.preview = "p1.expires-soon";
	in.expires = T0 + 100;
	create(st, &in, err);
	hold_new(&in, 31, "QP31");
	in.preview = "p1.never-expires";
	in.expires = 0;
	create(st, &in, err);
	check(st_preview_count(st, &n, err) == ST_OK && n == 3,
	      "three previews (one of an arrived hold)", sg_buf_cstr(err));
	check(st_preview_get(st, hid(30), T0 + 1000, &pv, err) == ST_NOTFOUND && !pv,
	      "an expired preview is not shown", sg_buf_cstr(err));
	check(st_preview_get(st, hid(31), T0 + 1000, &pv, err) == ST_OK && pv &&
	      strcmp(pv, "p1.never-expires") == 0, "one without expiry is",
	      sg_buf_cstr(err));
	free(pv);
	pv = NULL;
	check(st_preview_purge(st, T0 + 1000, &n, err) == ST_OK && n == 1,
	      "purge removes the expired one", sg_buf_cstr(err));
	check(st_preview_count(st, &n, err) == ST_OK && n == 2, "two left", NULL);
	check(st_hold_decide(st, hid(31), ST_EXPIRED, "expire", NULL, "root", err) == ST_OK,
	      "expire the other", sg_buf_cstr(err));
	check(st_preview_purge(st, T0 + 1000, &n, err) == ST_OK && n == 0,
	      "the decision took its preview already", sg_buf_cstr(err));
	check(st_preview_count(st, &n, err) == ST_OK && n == 1,
	      "only the waiting hold's preview is left", NULL);
}

struct audit_tx {
	sg_buf *out;
	size_t n;
};

static int audit_line(const st_audit_rec *r, void *ctx)
{
	struct audit_tx *a = ctx;

	sg_buf_printf(a->out, "%lld %s %s %s %s %s\n", r->seq, r->event,
		      r->hold_id ? r->hold_id : "-", r->queue_id ? r->queue_id : "-",
		      r->actor ? r->actor : "-", r->detail ? r->detail : "-");
	a->n++;
	return 0;
}

typedef void (*scenario)(st_store *st, sg_buf *err);

static const struct {
	const char *name;
	scenario fn;
} scenarios[] = {
	{ "create", sc_create },
	{ "decide", sc_decide },
	{ "delay", sc_delay },
	{ "arrival", sc_arrival },
	{ "remind", sc_remind },
	{ "preview", sc_preview },
	{ "gateway", sc_gateway },
	{ "retire", sc_retire },
};

/* Every scenario on st, in order; the transcript and the audit log
 * into t and log. */
static void run_all(st_store *st, sg_buf *t, sg_buf *log)
{
	sg_buf err;
	struct audit_tx a = { log, 0 };
	size_t n = 0, bad = 0;
	st_rc rc;

	sg_buf_init(&err, 4096);
	tr = t;
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		note("== %s", scenarios[i].name);
		scenarios[i].fn(st, &err);
	}
	rc = st_audit_verify(st, &n, &bad, &err);
	check(rc == ST_OK && n > 0, "audit verify after the scenarios", sg_buf_cstr(&err));
	check(st_audit_list(st, NULL, 0, audit_line, &a, &err) == ST_OK && a.n == n,
	      "audit list", sg_buf_cstr(&err));
	sg_buf_free(&err);
}

/* ---- the race ---- */

struct where {
	const char *backend, *path, *dsn;
};

static st_store *open_where(const struct where *w, sg_buf *err)
{
	st_config c = { w->backend, w->path, w->dsn, "gw-a" };

	return st_open_config(&c, err);
}

/* A child: its own connection, waits at the gate, decides, exits 0
 * (won), 1 (ST_CONFLICT), 2 (anything else). */
static void racer(const struct where *w, int gate, const char *id, bool approve)
{
	sg_buf err;
	st_store *st;
	char c;
	st_rc rc;

	sg_buf_init(&err, 4096);
	st = open_where(w, &err);
	if (st == NULL)
		_exit(3);
	/* Both children are released by the parent's closing of the
	 * gate's write end: read returns 0 in both at once. */
	while (read(gate, &c, 1) > 0)
		;
	rc = st_hold_decide(st, id, approve ? ST_APPROVED : ST_REJECTED,
			    approve ? "boss@example.lg.jp" : "deputy@example.lg.jp",
			    approve ? NULL : "race", "race", &err);
	/* The loser is told who won, as on SQLite (not that the hold
	 * needs several approvals: the row lock made it wait and read). */
	if (rc == ST_CONFLICT && strstr(sg_buf_cstr(&err), "is already") == NULL)
		rc = ST_ERROR;
	if (rc != ST_OK && rc != ST_CONFLICT)
		fprintf(stderr, "racer: %s\n", sg_buf_cstr(&err));
	st_close(st);
	sg_buf_free(&err);
	_exit(rc == ST_OK ? 0 : rc == ST_CONFLICT ? 1 : 2);
}

static int count_decisions(const st_audit_rec *r, void *ctx)
{
	if (strcmp(r->event, "approve") == 0 || strcmp(r->event, "reject") == 0)
		(*(int *)ctx)++;
	return 0;
}

static void race(st_store *st, const struct where *w)
{
	sg_buf err;
	int rounds = 20, good = 0;
	char msg[256] = "";

	sg_buf_init(&err, 4096);
	for (int r = 0; r < rounds; r++) {
		int gate[2], status[2], won = -1, lost = 0, other = 0, ndec = 0;
		pid_t pid[2];
		st_hold_new in;
		st_hold *h = NULL;

		hold_new(&in, 40 + r, "QRACE");
		in.created = T0 + 100 + r;
		if (st_hold_create(st, &in, (char[ST_ID_SIZE]){ 0 }, &err) != ST_OK ||
		    pipe(gate) < 0) {
			snprintf(msg, sizeof(msg), "round %d: %s", r, sg_buf_cstr(&err));
			break;
		}
		fflush(stdout);
		for (int i = 0; i < 2; i++) {
			pid[i] = fork();
			if (pid[i] == 0) {
				close(gate[1]);
				racer(w, gate[0], hid(40 + r), i == 0);
			}
		}
		close(gate[0]);
		usleep(200000);		/* both connected and waiting */
		close(gate[1]);
		for (int i = 0; i < 2; i++) {
			if (pid[i] < 0 || waitpid(pid[i], &status[i], 0) < 0 ||
			    !WIFEXITED(status[i])) {
				other++;
				continue;
			}
			switch (WEXITSTATUS(status[i])) {
			case 0: won = i; break;
			case 1: lost++; break;
			default: other++; break;
			}
		}
		if (st_hold_get(st, hid(40 + r), &h, &err) == ST_OK && won >= 0)
			other += h->status != (won == 0 ? ST_APPROVED : ST_REJECTED);
		st_hold_free(h);
		st_audit_list(st, hid(40 + r), 0, count_decisions, &ndec, &err);
		if (won >= 0 && lost == 1 && other == 0 && ndec == 1)
			good++;
		else if (msg[0] == '\0')
			snprintf(msg, sizeof(msg), "round %d: won %d lost %d other %d"
				 " decisions %d", r, won, lost, other, ndec);
	}
	check(good == rounds, "two processes decide the same hold at once, 20"
	      " times: exactly one wins, the other is told ST_CONFLICT", msg);
	{
		size_t n = 0, bad = 0;

		check(st_audit_verify(st, &n, &bad, &err) == ST_OK,
		      "audit verify after the race", sg_buf_cstr(&err));
	}
	sg_buf_free(&err);
}

/* ---- main ---- */

static bool reset_pg(const char *dsn)
{
	PGconn *c = PQconnectdb(dsn);
	PGresult *r = PQexec(c, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;

	if (!ok)
		fprintf(stderr, "pg_hold: reset: %s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok;
}

/* A PostgreSQL store of schema 6 with a hold: `store migrate` (from
 * the gateway gw-new) brings it to 7 and the hold is gw-new's; open
 * refuses it before. Leaves the database at 7. */
static void migrate_v6(const char *dsn)
{
	st_config c = { "postgresql", NULL, dsn, "gw-first" };
	st_store *st;
	st_hold_new in;
	st_hold *h = NULL;
	sg_buf err;
	int from = 0;
	PGconn *pc;
	PGresult *r;

	be = "postgresql";
	sg_buf_init(&err, 4096);
	if (!reset_pg(dsn) || (st = st_create_config(&c, &err)) == NULL) {
		check(0, "migration: a fresh store", sg_buf_cstr(&err));
		sg_buf_free(&err);
		return;
	}
	hold_new(&in, 1, "QM1");
	st_hold_create(st, &in, (char[ST_ID_SIZE]){ 0 }, &err);
	st_close(st);
	pc = PQconnectdb(dsn);
	r = PQexec(pc, "DROP TRIGGER holds_orphaned ON holds;"
		   " DROP TRIGGER approvals_orphaned ON approvals;"
		   " DROP FUNCTION sendguard_orphaned(); DROP FUNCTION"
		   " sendguard_approval_orphaned(); DROP INDEX holds_gateway;"
		   " ALTER TABLE holds DROP COLUMN gateway, DROP COLUMN orphaned_at;"
		   " UPDATE meta SET value = '6' WHERE key = 'schema_version'");
	check(PQresultStatus(r) == PGRES_COMMAND_OK, "migration: back to schema 6",
	      PQerrorMessage(pc));
	PQclear(r);
	PQfinish(pc);
	st = st_open_config(&c, &err);
	check(st == NULL && has(&err, "run sendguardctl store migrate"),
	      "migration: a schema 6 store is not opened", sg_buf_cstr(&err));
	st_close(st);
	c.gateway = "gw-new";
	st = st_migrate_config(&c, &from, &err);
	check(st != NULL && from == 6 && st_schema_version(st) == ST_SCHEMA_VERSION,
	      "migration: 6 to 7", sg_buf_cstr(&err));
	if (st != NULL && st_hold_get(st, hid(1), &h, &err) == ST_OK)
		check(strcmp(h->gateway, "gw-new") == 0,
		      "migration: an old hold is the migrating gateway's", h->gateway);
	else
		check(0, "migration: the old hold", sg_buf_cstr(&err));
	st_hold_free(h);
	st_close(st);
	sg_buf_free(&err);
}

/* pg_hold mkhold BACKEND PATH-OR-DSN GATEWAY N QID STATUS: one hold
 * hid(N) of GATEWAY with queue id QID, left pending or decided
 * (approved, rejected), for the sendguardctl tests of tests/pg/
 * gateway.sh. Exit 0, or 1 with the error. */
static int mkhold(char **av)
{
	bool pg = strcmp(av[0], "postgresql") == 0;
	st_config c = { av[0], pg ? NULL : av[1], pg ? av[1] : NULL, av[2] };
	st_status s = ST_PENDING;
	st_hold_new in;
	st_store *st;
	sg_buf err;
	int rc = 0;

	sg_buf_init(&err, 4096);
	if ((st = st_open_config(&c, &err)) == NULL || st_status_parse(av[5], &s) < 0) {
		fprintf(stderr, "pg_hold mkhold: %s\n", sg_buf_cstr(&err));
		sg_buf_free(&err);
		st_close(st);
		return 1;
	}
	hold_new(&in, atoi(av[3]) % 64, av[4]);
	/* A day old: older than any [release] reconcile_grace, so that
	 * reconcile would close it were its queue file missing here. */
	in.created = time(NULL) - 86400;
	in.expires = 0;
	in.actor = "test";
	if (st_hold_create(st, &in, (char[ST_ID_SIZE]){ 0 }, &err) != ST_OK ||
	    (s != ST_PENDING && st_hold_decide(st, in.id, s, "boss@example.lg.jp",
					       NULL, "test", &err) != ST_OK)) {
		fprintf(stderr, "pg_hold mkhold: %s\n", sg_buf_cstr(&err));
		rc = 1;
	} else {
		printf("%s\n", in.id);
	}
	st_close(st);
	sg_buf_free(&err);
	return rc;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/pg_hold_XXXXXX", path[256];
	sg_buf err, t[2], log[2];
	struct where w[2];
	st_store *st[2];

	if (argc == 8 && strcmp(argv[1], "mkhold") == 0)
		return mkhold(argv + 2);
	if (argc != 2) {
		fprintf(stderr, "usage: pg_hold DSN\n");
		return 2;
	}
	if (mkdtemp(dir) == NULL || !reset_pg(argv[1])) {
		perror("pg_hold: set-up");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/sendguard.db", dir);
	w[0] = (struct where){ "sqlite", path, NULL };
	w[1] = (struct where){ "postgresql", NULL, argv[1] };
	sg_buf_init(&err, 4096);
	for (int i = 0; i < 2; i++) {
		st_config c = { w[i].backend, w[i].path, w[i].dsn, "gw-a" };

		be = w[i].backend;
		sg_buf_init(&t[i], SG_BUF_UNLIMITED);
		sg_buf_init(&log[i], SG_BUF_UNLIMITED);
		st[i] = st_create_config(&c, &err);
		check(st[i] != NULL, "a fresh store", sg_buf_cstr(&err));
		if (st[i] == NULL)
			continue;
		run_all(st[i], &t[i], &log[i]);
	}
	be = "both";
	if (st[0] && st[1]) {
		const char *a = sg_buf_cstr(&t[0]), *b = sg_buf_cstr(&t[1]);
		size_t k = 0;

		while (a[k] && a[k] == b[k])
			k++;
		check(strcmp(a, b) == 0, "the scenarios saw the same on both backends",
		      strcmp(a, b) ? a + (k > 80 ? k - 80 : 0) : NULL);
		if (strcmp(a, b) != 0)
			fprintf(stderr, "postgresql saw: %.300s\n", b + (k > 80 ? k - 80 : 0));
		a = sg_buf_cstr(&log[0]);
		b = sg_buf_cstr(&log[1]);
		k = 0;
		while (a[k] && a[k] == b[k])
			k++;
		check(strcmp(a, b) == 0 && log[0].len > 0,
		      "the same audit records (events, holds, actors, detail bytes)",
		      strcmp(a, b) ? a + (k > 80 ? k - 80 : 0) : NULL);
		if (strcmp(a, b) != 0)
			fprintf(stderr, "postgresql wrote: %.300s\n", b + (k > 80 ? k - 80 : 0));
	}
	for (int i = 0; i < 2; i++) {
		be = w[i].backend;
		if (st[i] != NULL)
			race(st[i], &w[i]);
		if (st[i] != NULL)
			st_close(st[i]);
		sg_buf_free(&t[i]);
		sg_buf_free(&log[i]);
	}
	sg_buf_free(&err);
	migrate_v6(argv[1]);
	unlink(path);
	{
		char side[300];

		snprintf(side, sizeof(side), "%s-wal", path);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", path);
		unlink(side);
	}
	rmdir(dir);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
