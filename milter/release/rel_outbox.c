/*
 * NAME
 *	rel_outbox - build notices for the outbox, and drain it
 * SYNOPSIS
 *	#include "release/rel_outbox.h"
 * DESCRIPTION
 *	See rel_outbox.h for who may receive a notice and how the drainer
 *	works. Here, the reasons for the details:
 *
 *	The lease covers a whole claimed batch sent one after another, each
 *	send bounded by the submission timeout, plus a margin; a drainer
 *	that takes longer than its lease (a hung server that still
 *	answers within each timeout) may see another drainer send the same
 *	row: at least once, never lost, and the copy has the same
 *	Message-ID.
 *
 *	The owner string is actor, host, pid and random bytes. A drainer
 *	frees the leases of drainers on its own host whose pid no longer
 *	exists (a milter killed with -9 in the middle of a batch), so that
 *	their notices go out at once instead of after the lease; other
 *	hosts' leases (several gateways on one PostgreSQL store) run out.
 *	The random part keeps a restarted drainer that got the same pid
 *	from taking over leases it cannot know the state of.
 *
 *	SG_FAULT=notice-unrecorded makes the process exit right after a
 *	notice was accepted by the MTA and before it is marked sent: the
 *	crash after which a notice is sent again (same Message-ID).
 * DIAGNOSTICS
 *	Through the caller's log function: one line per notice sent,
 *	retried or given up; store errors.
 */
#include "release/rel_outbox.h"
#include "release/rel.h"
#include "util/sg_mem.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define REL_BATCH	10	/* rows claimed at once */
#define REL_SEND_TIMEOUT 60	/* seconds per submission (as before the outbox) */
#define REL_BACKOFF_MIN	5
#define REL_BACKOFF_MAX	300
#define REL_NOTICE_MAX	(8u << 20)
#define REL_REAP_EVERY	60	/* seconds between looks for dead leases */

bool rel_notice_allowed(const eng_engine *eng, const char *addr)
{
	return addr && *addr && strcmp(addr, "<>") != 0 && eng &&
	       eng_addr_is_internal(eng, addr);
}

/* ------------------------------------------------------------ build */

void rel_nlist_init(rel_nlist *l)
{
	memset(l, 0, sizeof(*l));
}

void rel_nlist_free(rel_nlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free((char *)l->v[i].kind);
		free((char *)l->v[i].rcpt);
		free((char *)l->v[i].message_id);
		free((char *)l->v[i].head);
		free((char *)l->v[i].body);
	}
	free(l->v);
	rel_nlist_init(l);
}

int rel_nlist_add(rel_nlist *l, const eng_engine *eng, const ntf_ctx *ntf,
		  ntf_kind kind, const ntf_hold_view *v, const char *to,
		  time_t now, sg_buf *err)
{
	sg_buf head, body, msgid;
	st_notice_new *n;
	int rc;

	if (!rel_notice_allowed(eng, to)) {
		l->refused++;
		return 0;
	}
	sg_buf_init(&head, REL_NOTICE_MAX);
	sg_buf_init(&body, REL_NOTICE_MAX);
	sg_buf_init(&msgid, 512);
	rc = ntf_build_notice(ntf, kind, v, to, now, &head, &body, &msgid, err);
	if (rc == 0) {
		l->v = sg_xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		n = &l->v[l->n++];
		n->kind = sg_xstrdup(ntf_kind_name(kind));
		n->rcpt = sg_xstrdup(to);
		n->message_id = sg_buf_steal(&msgid);
		n->head = sg_buf_steal(&head);
		n->body = sg_buf_steal(&body);
	}
	sg_buf_free(&head);
	sg_buf_free(&body);
	sg_buf_free(&msgid);
	return rc == 0 ? 1 : -1;
}

int rel_nlist_add_later(rel_nlist *l, const eng_engine *eng, const ntf_ctx *ntf,
			ntf_kind kind, const char *to)
{
	sg_buf msgid;
	st_notice_new *n;

	if (!rel_notice_allowed(eng, to)) {
		l->refused++;
		return 0;
	}
	sg_buf_init(&msgid, 512);
	ntf_message_id_new(ntf, &msgid);
	l->v = sg_xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	n = &l->v[l->n++];
	memset(n, 0, sizeof(*n));
	n->kind = sg_xstrdup(ntf_kind_name(kind));
	n->rcpt = sg_xstrdup(to);
	n->message_id = sg_buf_steal(&msgid);
	sg_buf_free(&msgid);
	return 1;
}

/* ---------------------------------------------------------- drainer */

struct rel_notifier {
	const ntf_ctx *ntf;
	const ntf_keys *keys;
	char *from, *sendmail, *actor;
	ntf_smtp *smtp;		/* NULL: submit through sendmail */
	long long max_age;
	char owner[128];
	rel_log_fn log;
	void *log_ctx;
	time_t reaped;		/* last look for dead drainers' leases */
	st_store *st_for_scan;
};

static void rel_log(const rel_notifier *n, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void rel_log(const rel_notifier *n, int prio, const char *fmt, ...)
{
	sg_buf b;
	va_list ap;

	if (n->log == NULL)
		return;
	sg_buf_init(&b, 4096);
	va_start(ap, fmt);
	sg_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	n->log(prio, sg_buf_cstr(&b), n->log_ctx);
	sg_buf_free(&b);
}

static void rel_owner(char out[128], const char *actor)
{
	unsigned char r[8];
	char host[64] = "localhost";

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		memset(r, 0, sizeof(r));
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(out, 128, "%s:%s:%ld:%02x%02x%02x%02x%02x%02x%02x%02x", actor, host,
		 (long)getpid(), r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
}

rel_notifier *rel_notifier_new(const sg_conf *conf, const ntf_ctx *ntf,
			       const char *actor, rel_log_fn log, void *log_ctx,
			       sg_buf *err)
{
	rel_notifier *n = sg_xcalloc(1, sizeof(*n));
	const char *smtp = sg_conf_str(conf, "notify", "smtp");
	char host[256] = "localhost";

	n->ntf = ntf;
	n->keys = ntf_ctx_keys(ntf);
	n->actor = sg_xstrdup(actor ? actor : "notifier");
	n->from = sg_xstrdup(ntf_ctx_from(ntf));
	n->sendmail = sg_xstrdup(ntf_ctx_sendmail(ntf));
	n->max_age = sg_conf_num(conf, "notify", "max_age");
	n->log = log;
	n->log_ctx = log_ctx;
	rel_owner(n->owner, n->actor);
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	if (smtp && *smtp &&
	    (n->smtp = ntf_smtp_new(smtp, host, REL_SEND_TIMEOUT, err)) == NULL) {
		rel_notifier_free(n);
		return NULL;
	}
	return n;
}

void rel_notifier_free(rel_notifier *n)
{
	if (n == NULL)
		return;
	ntf_smtp_close(n->smtp);
	ntf_smtp_free(n->smtp);
	free(n->actor);
	free(n->from);
	free(n->sendmail);
	free(n);
}

/* A notice recorded without content: built now from the stored hold,
 * with the Message-ID fixed when it was recorded. 0, or -1 (err). */
static int rel_build_later(rel_notifier *n, st_store *st, const st_notice *row,
			   time_t now, sg_buf *head, sg_buf *body, sg_buf *err)
{
	st_hold *h = NULL;
	ntf_hold_view v;
	ntf_kind kind;
	sg_buf msgid;
	int rc;

	if (row->hold_id == NULL || ntf_kind_parse(row->kind, &kind) < 0) {
		sg_buf_printf(err, "notice %lld: no hold or unknown kind %s", row->id,
			      row->kind);
		return -1;
	}
	if (st_hold_get(st, row->hold_id, &h, err) != ST_OK)
		return -1;
	rel_view_from_hold(&v, h);
	sg_buf_init(&msgid, 512);
	sg_buf_puts(&msgid, row->message_id);
	rc = ntf_build_notice(n->ntf, kind, &v, row->rcpt, now, head, body, &msgid, err);
	sg_buf_free(&msgid);
	ntf_view_free(&v);
	st_hold_free(h);
	return rc;
}

/* 0 sent; 1 failed, retry; -1 failed for good (empty, unusable). */
static int rel_send_one(rel_notifier *n, st_store *st, const st_notice *row,
			time_t now, sg_buf *err)
{
	const char *rcpt[1] = { row->rcpt };
	sg_buf msg, head, body;
	ntf_submit_result r;
	bool permanent = false;
	int rc = 0;

	sg_buf_init(&msg, REL_NOTICE_MAX * 2);
	sg_buf_init(&head, REL_NOTICE_MAX);
	sg_buf_init(&body, REL_NOTICE_MAX);
	if (row->head == NULL || *row->head == '\0')
		rc = rel_build_later(n, st, row, now, &head, &body, err);
	else
		rc = sg_buf_puts(&head, row->head) < 0 || sg_buf_puts(&body, row->body) < 0
			? -1 : 0;
	if (rc == 0)
		rc = ntf_seal(n->keys, sg_buf_cstr(&head), sg_buf_cstr(&body), row->rcpt,
			      now, &msg, err);
	sg_buf_free(&head);
	sg_buf_free(&body);
	if (rc < 0) {
		sg_buf_free(&msg);
		return -1;
	}
	if (n->smtp)
		r = ntf_smtp_send(n->smtp, n->from, row->rcpt, msg.data, msg.len,
				  &permanent, err);
	else
		r = ntf_submit(n->sendmail, n->from, rcpt, 1, msg.data, msg.len,
			       REL_SEND_TIMEOUT, NULL, err);
	sg_buf_free(&msg);
	if (r == NTF_SUBMIT_OK)
		return 0;
	/* A 5xx can come from a listener that is misconfigured for a
	 * while: retried like any failure until max_age. */
	return r == NTF_SUBMIT_USAGE && permanent && n->smtp ? -1 : 1;
}

/* actor:host:pid:random of a drainer on this host that is gone. */
static int rel_dead_owner(const char *owner, void *ctx)
{
	rel_notifier *n = ctx;
	char host[64] = "", mine[64] = "localhost";
	long pid = 0;
	const char *p = strchr(owner, ':');
	sg_buf err;

	gethostname(mine, sizeof(mine) - 1);
	mine[sizeof(mine) - 1] = '\0';
	if (p == NULL || sscanf(p + 1, "%63[^:]:%ld:", host, &pid) != 2 ||
	    strcmp(host, mine) != 0 || pid <= 0 || kill((pid_t)pid, 0) == 0 ||
	    errno != ESRCH)
		return 0;
	sg_buf_init(&err, 1024);
	long k = st_outbox_unlease(n->st_for_scan, owner, &err);
	if (k > 0)
		rel_log(n, LOG_NOTICE, "outbox: %ld notice(s) leased by %s, which is "
			"gone (pid %ld): sent again now", k, owner, pid);
	else if (k < 0)
		rel_log(n, LOG_ERR, "outbox: %s", sg_buf_cstr(&err));
	sg_buf_free(&err);
	return 0;
}

static void rel_reap_leases(rel_notifier *n, st_store *st, time_t now)
{
	sg_buf err;

	if (now - n->reaped < REL_REAP_EVERY)
		return;
	n->reaped = now;
	n->st_for_scan = st;
	sg_buf_init(&err, 1024);
	if (st_outbox_lessees(st, rel_dead_owner, n, &err) != ST_OK)
		rel_log(n, LOG_ERR, "outbox: %s", sg_buf_cstr(&err));
	sg_buf_free(&err);
}

static void rel_fault(const char *point)
{
	const char *f = getenv("SG_FAULT");

	if (f && strcmp(f, point) == 0)
		_exit(75);
}

static time_t rel_backoff(unsigned attempts)
{
	time_t d = REL_BACKOFF_MIN;

	for (unsigned i = 0; i < attempts && d < REL_BACKOFF_MAX; i++)
		d *= 2;
	return d > REL_BACKOFF_MAX ? REL_BACKOFF_MAX : d;
}

static void rel_handle(rel_notifier *n, st_store *st, const st_notice *row,
		       time_t now, size_t *sent)
{
	sg_buf err, serr;
	int r;
	const char *hold = row->hold_id ? row->hold_id : "-";

	sg_buf_init(&err, 4096);
	sg_buf_init(&serr, 4096);
	r = rel_send_one(n, st, row, now, &err);
	if (r == 0) {
		(*sent)++;
		rel_fault("notice-unrecorded");
		if (st_outbox_sent(st, row->id, n->actor, &serr) != ST_OK)
			rel_log(n, LOG_ERR, "notice %lld (hold=%s %s to %s) sent, but "
				"not recorded (it may be sent again): %s", row->id, hold,
				row->kind, row->rcpt, sg_buf_cstr(&serr));
		rel_log(n, LOG_INFO, "notice %lld sent: hold=%s kind=%s to=%s "
			"message-id=%s attempt=%u", row->id, hold, row->kind, row->rcpt,
			row->message_id, row->attempts + 1);
	} else if (r < 0 || (n->max_age > 0 && now - row->created_t >= n->max_age)) {
		rel_log(n, LOG_ERR, "notice %lld given up: hold=%s kind=%s to=%s "
			"after %u attempts since %s: %s", row->id, hold, row->kind,
			row->rcpt, row->attempts + 1, row->created, sg_buf_cstr(&err));
		if (st_outbox_fail(st, row->id, n->actor, sg_buf_cstr(&err), &serr) != ST_OK)
			rel_log(n, LOG_ERR, "notice %lld: %s", row->id, sg_buf_cstr(&serr));
	} else {
		time_t next = now + rel_backoff(row->attempts);

		rel_log(n, LOG_WARNING, "notice %lld not sent (attempt %u, next in "
			"%lld s): hold=%s kind=%s to=%s: %s", row->id, row->attempts + 1,
			(long long)(next - now), hold, row->kind, row->rcpt,
			sg_buf_cstr(&err));
		if (st_outbox_retry(st, row->id, n->owner, next, sg_buf_cstr(&err),
				    &serr) != ST_OK)
			rel_log(n, LOG_ERR, "notice %lld: %s", row->id, sg_buf_cstr(&serr));
	}
	sg_buf_free(&err);
	sg_buf_free(&serr);
}

size_t rel_notifier_drain(rel_notifier *n, st_store *st, time_t now, bool *more)
{
	st_notice **rows = NULL;
	size_t nrows = 0, sent = 0;
	sg_buf err;
	long lease = REL_BATCH * (REL_SEND_TIMEOUT + 5) + 30;

	if (more)
		*more = false;
	rel_reap_leases(n, st, now);
	sg_buf_init(&err, 4096);
	if (st_outbox_claim(st, n->owner, now, lease, REL_BATCH, &rows, &nrows,
			    &err) != ST_OK) {
		rel_log(n, LOG_ERR, "outbox: cannot claim notices: %s", sg_buf_cstr(&err));
		sg_buf_free(&err);
		return 0;
	}
	for (size_t i = 0; i < nrows; i++) {
		rel_handle(n, st, rows[i], time(NULL), &sent);
		st_notice_free(rows[i]);
	}
	free(rows);
	if (more)
		*more = nrows == REL_BATCH;
	sg_buf_free(&err);
	return sent;
}

size_t rel_notifier_drain_for(rel_notifier *n, st_store *st, int seconds)
{
	time_t end = time(NULL) + seconds;
	size_t sent = 0;
	bool more = true;

	while (more && time(NULL) <= end)
		sent += rel_notifier_drain(n, st, time(NULL), &more);
	return sent;
}
