/*
 * NAME
 *	rel_sendmail - the Sendmail release backend
 * SYNOPSIS
 *	#include "release/rel.h"
 *
 *	extern const rel_backend_ops rel_sendmail_ops;
 * DESCRIPTION
 *	A message the milter holds (smfi_quarantine, reason "sendguard
 *	hold <id>") is a quarantined queue item: Sendmail keeps it in its
 *	queue directory with its control file named hf<ID> instead of
 *	qf<ID> and a "q" line giving the reason, and no queue run touches
 *	it unless quarantined items are asked for (op.me 2.3.6, Appendix
 *	B). The milter's X-Sendguard-Hold header is an H line of that
 *	control file; it ties the item to its hold, and nothing here
 *	changes the queue before that line has been read and names the
 *	hold. Everything acts on [release] sendmail_queue_dir (by default
 *	the QueueDirectory of [release] sendmail_config), with its qf/
 *	and df/ subdirectories when they exist (op.me Appendix B).
 *
 *	approve: `sendmail -C CF -qQ"sendguard hold ID" -qI<QID> -Q`,
 *	which unquarantines the matching items (sendmail(8) -Q without a
 *	reason, op.me 2.3.6), then `sendmail -C CF -qI<QID>`, which runs
 *	that item at once (the queue run forks and returns, so the command
 *	timeout never kills a delivery half way). If that second command
 *	fails, the item is an ordinary queued message and the daemon's
 *	next queue run delivers it: once, because Sendmail locks a control
 *	file while it delivers it.
 *
 *	reject, withdraw, expire: Sendmail has no command that deletes a
 *	queue item (sendmail(8), mailq(1) and op.me document none); the
 *	tool its distribution ships for it, qtool.pl(8) -Q -d, removes
 *	the hf and df files. We do the same, with the locking qtool.pl
 *	uses for moves but not for -d: open hf<ID>, take the flock(2) lock
 *	Sendmail takes (and an fcntl lock, as qtool.pl does for a Sendmail
 *	built with lockf), read the header again from that descriptor,
 *	then unlink hf<ID> (the item is gone from Sendmail's point of view)
 *	and df<ID>, and fsync the directories. A control file Sendmail has
 *	locked is being worked on: that is an error to retry, not a
 *	deletion.
 *
 *	put back on hold (a rejected message released behind our back):
 *	`sendmail -C CF -qI<QID> -Q"sendguard hold ID"`.
 *
 *	-qI selects by substring of the queue id, and a queue id ends in
 *	"at least five" digits of a process id (op.me Appendix B), so
 *	one id can be part of another: every command is preceded by a
 *	scan that refuses when another item's id contains ours.
 *
 *	Queue groups (several queue directories, Q lines in the .cf) are
 *	refused at start: an item in another directory would look gone,
 *	and a gone item is recorded as done.
 *
 *	There is no requeue: Sendmail has no command that gives a queue
 *	item a new arrival time, so requeue_after is -1 and README asks
 *	for Timeout.queuereturn well above [hold] expire_after.
 * DIAGNOSTICS
 *	REL_OK, REL_GONE (no such item, or not in the state the action
 *	needs), REL_REFUSED (header, or an ambiguous queue id), REL_ERROR
 *	with err naming the file or command and what it said.
 */
#include "release/rel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/sg_mem.h"

#define REL_SM_CTL_MAX (4u << 20)	/* a control file: headers and recipients */
#define REL_SM_CF_LINES 1000000		/* lines read from sendmail.cf */
#define REL_SM_SCAN_MAX 2000000		/* directory entries looked at */
#define REL_SM_REASON "sendguard hold "	/* mlt_act.c's quarantine reason */
#define REL_SM_HDR "X-Sendguard-Hold:"

struct rel_sendmail {
	char *words;				/* owned copy, split in place */
	char *argv0[REL_MAX_WORDS];
	size_t nwords;
	char *cf;				/* -C */
	char *qdir;
	char *ctl_dir;				/* qf, hf, Qf files */
	char *data_dir;				/* df files */
	int timeout;
};
typedef struct rel_sendmail rel_sendmail;

/* The kinds of control file and the queue name each stands for. */
static const struct {
	const char *prefix, *queue;
} rel_sm_kinds[] = {
	{ "hf", REL_QUEUE_HOLD }, { "qf", "queued" }, { "Qf", "lost" }
};
#define REL_SM_NKINDS (sizeof(rel_sm_kinds) / sizeof(rel_sm_kinds[0]))

/* ------------------------------------------------------------ set-up */

/* The value of "O QueueDirectory=" in the .cf, and whether the .cf
 * declares queue groups (Q lines). -1 with err when unreadable. */
static int rel_sm_read_cf(const char *cf, sg_buf *qdir, bool *groups,
			  sg_buf *err)
{
	static const char opt[] = "O QueueDirectory=";
	char line[4096];
	bool at_start = true;
	FILE *fp = fopen(cf, "re");

	*groups = false;
	if (fp == NULL) {
		sg_buf_printf(err, "[release] sendmail_config: %s: %s", cf, strerror(errno));
		return -1;
	}
	for (long i = 0; i < REL_SM_CF_LINES && fgets(line, sizeof(line), fp); i++) {
		bool start = at_start;

		/* A line longer than the buffer comes in pieces; only the
		 * first piece is the start of a line. */
		at_start = strchr(line, '\n') != NULL;
		line[strcspn(line, "\r\n")] = '\0';
		if (!start)
			continue;
		if (strncmp(line, opt, sizeof(opt) - 1) == 0) {
			sg_buf_reset(qdir);
			sg_buf_puts(qdir, line + sizeof(opt) - 1);
		} else if (line[0] == 'Q' && line[1] != '\0' && line[1] != ' ') {
			*groups = true;
		}
	}
	fclose(fp);
	return 0;
}

static char *rel_sm_subdir(const char *qdir, const char *sub)
{
	sg_buf b;
	struct stat st;

	sg_buf_init(&b, PATH_MAX);
	if (sg_buf_printf(&b, "%s/%s", qdir, sub) == 0 &&
	    stat(sg_buf_cstr(&b), &st) == 0 && S_ISDIR(st.st_mode))
		return sg_buf_steal(&b);
	sg_buf_free(&b);
	return sg_xstrdup(qdir);
}

/* Queue directory: the setting, else the .cf's; both must agree, it
 * must exist, and there must be only one. */
static int rel_sm_queue_dir(rel_sendmail *sm, const sg_conf *conf, sg_buf *err)
{
	char *set = sg_conf_path(conf, "release", "sendmail_queue_dir");
	sg_buf cfq;
	bool groups;
	struct stat st;
	int rc = -1;

	sg_buf_init(&cfq, PATH_MAX);
	if (rel_sm_read_cf(sm->cf, &cfq, &groups, err) < 0)
		goto out;
	if (groups || strchr(sg_buf_cstr(&cfq), '*') != NULL) {
		sg_buf_printf(err, "[release] sendmail_config: %s declares queue groups or"
			      " several queue directories; the sendmail backend needs"
			      " one queue directory", sm->cf);
	} else if (*set && cfq.len && strcmp(set, sg_buf_cstr(&cfq)) != 0) {
		sg_buf_printf(err, "[release] sendmail_queue_dir = %s, but %s says"
			      " QueueDirectory=%s", set, sm->cf, sg_buf_cstr(&cfq));
	} else if (!*set && cfq.len == 0) {
		sg_buf_printf(err, "[release] sendmail_queue_dir: empty, and %s has no"
			      " O QueueDirectory= line", sm->cf);
	} else {
		sm->qdir = sg_xstrdup(*set ? set : sg_buf_cstr(&cfq));
		if (stat(sm->qdir, &st) != 0 || !S_ISDIR(st.st_mode))
			sg_buf_printf(err, "[release] sendmail_queue_dir: %s: not a"
				      " directory", sm->qdir);
		else
			rc = 0;
	}
out:
	sg_buf_free(&cfq);
	free(set);
	return rc;
}

static void rel_sm_close(void *impl)
{
	rel_sendmail *sm = impl;

	if (sm == NULL)
		return;
	free(sm->words);
	free(sm->cf);
	free(sm->qdir);
	free(sm->ctl_dir);
	free(sm->data_dir);
	free(sm);
}

static void *rel_sm_open(const sg_conf *conf, sg_buf *err)
{
	rel_sendmail *sm = sg_xcalloc(1, sizeof(*sm));

	sm->timeout = (int)sg_conf_num(conf, "release", "command_timeout");
	sm->cf = sg_conf_path(conf, "release", "sendmail_config");
	sm->words = sg_xstrdup(sg_conf_str(conf, "release", "sendmail"));
	sm->nwords = rel_split_words(sm->words, sm->argv0);
	if (sm->nwords == 0) {
		sg_buf_printf(err, "[release] sendmail: empty or more than %d words",
			      REL_MAX_WORDS - 1);
		rel_sm_close(sm);
		return NULL;
	}
	if (rel_sm_queue_dir(sm, conf, err) < 0) {
		rel_sm_close(sm);
		return NULL;
	}
	sm->ctl_dir = rel_sm_subdir(sm->qdir, "qf");
	sm->data_dir = rel_sm_subdir(sm->qdir, "df");
	return sm;
}

/* ------------------------------------------------------------- files */

static bool rel_sm_ids_valid(const char *qid, const char *hold_id, sg_buf *err)
{
	/* Both become parts of sendmail's arguments and file names. */
	if (!rel_queue_id_valid(qid)) {
		sg_buf_printf(err, "not a Sendmail queue id: %.64s", qid);
		return false;
	}
	if (hold_id != NULL && !rel_queue_id_valid(hold_id)) {
		sg_buf_printf(err, "not a hold id: %.64s", hold_id);
		return false;
	}
	return true;
}

/* DIR/PREFIX<qid>; false when it does not fit. */
static bool rel_sm_path(char out[PATH_MAX], const char *dir, const char *prefix,
			const char *qid)
{
	int n = snprintf(out, PATH_MAX, "%s/%s%s", dir, prefix, qid);

	return n > 0 && n < PATH_MAX;
}

/* Which control file the item has now: REL_OK with its queue name,
 * REL_GONE (none, and the queue directory is there), REL_ERROR. */
static rel_rc rel_sm_state(rel_sendmail *sm, const char *qid, char queue[16],
			   sg_buf *err)
{
	char path[PATH_MAX];
	struct stat st;

	queue[0] = '\0';
	if (!rel_sm_ids_valid(qid, NULL, err))
		return REL_ERROR;
	for (size_t i = 0; i < REL_SM_NKINDS; i++) {
		if (!rel_sm_path(path, sm->ctl_dir, rel_sm_kinds[i].prefix, qid))
			return REL_ERROR;
		if (lstat(path, &st) == 0) {
			snprintf(queue, 16, "%s", rel_sm_kinds[i].queue);
			return REL_OK;
		}
		if (errno != ENOENT) {
			sg_buf_printf(err, "%s: %s", path, strerror(errno));
			return REL_ERROR;
		}
	}
	/* "Gone" is recorded as done: be sure the directory is there. */
	if (stat(sm->ctl_dir, &st) != 0) {
		sg_buf_printf(err, "queue directory %s: %s", sm->ctl_dir, strerror(errno));
		return REL_ERROR;
	}
	if (!S_ISDIR(st.st_mode)) {
		sg_buf_printf(err, "queue directory %s: not a directory", sm->ctl_dir);
		return REL_ERROR;
	}
	return REL_GONE;
}

/* Reads an open control file from its start, up to REL_SM_CTL_MAX. */
static rel_rc rel_sm_read_fd(int fd, const char *path, sg_buf *text, sg_buf *err)
{
	char chunk[8192];
	ssize_t n;

	sg_buf_reset(text);
	if (lseek(fd, 0, SEEK_SET) < 0) {
		sg_buf_printf(err, "%s: %s", path, strerror(errno));
		return REL_ERROR;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sg_buf_printf(err, "%s: %s", path, strerror(errno));
			return REL_ERROR;
		}
		if (sg_buf_append(text, chunk, (size_t)n) < 0) {
			sg_buf_printf(err, "%s: larger than %u bytes", path, REL_SM_CTL_MAX);
			return REL_ERROR;
		}
	}
	return REL_OK;
}

/* The text of the item's control file, whichever kind it is now. */
static rel_rc rel_sm_read_ctl(rel_sendmail *sm, const char *qid, sg_buf *text,
			      sg_buf *err)
{
	char path[PATH_MAX], queue[16];
	rel_rc rc;
	int fd;

	if (!rel_sm_ids_valid(qid, NULL, err))
		return REL_ERROR;
	for (size_t i = 0; i < REL_SM_NKINDS; i++) {
		if (!rel_sm_path(path, sm->ctl_dir, rel_sm_kinds[i].prefix, qid))
			return REL_ERROR;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0) {
			sg_buf_printf(err, "%s: %s", path, strerror(errno));
			return REL_ERROR;
		}
		rc = rel_sm_read_fd(fd, path, text, err);
		close(fd);
		return rc;
	}
	return rel_sm_state(sm, qid, queue, err);
}

/* -------------------------------------------------------- H lines */

static const char *rel_sm_next_line(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? nl + 1 : NULL;
}

/* "H?flags?Name: value" or "HName: value" (op.me Appendix B: the
 * syntax of header definitions in the .cf): the name, or NULL. */
static const char *rel_sm_header_name(const char *line)
{
	const char *q;

	if (line[0] != 'H')
		return NULL;
	if (line[1] != '?')
		return line + 1;
	q = strchr(line + 2, '?');
	if (q == NULL || memchr(line, '\n', (size_t)(q - line)) != NULL)
		return NULL;
	return q + 1;
}

/* Appends the value of every X-Sendguard-Hold H line, blanks removed,
 * separated by '\n'; returns how many. */
static size_t rel_sm_hold_values(const char *ctl, sg_buf *vals)
{
	size_t n = 0;

	for (const char *p = ctl; p && *p; p = rel_sm_next_line(p)) {
		const char *name = rel_sm_header_name(p), *v, *e;

		if (name == NULL || strncasecmp(name, REL_SM_HDR, sizeof(REL_SM_HDR) - 1))
			continue;
		v = name + sizeof(REL_SM_HDR) - 1;
		/* A folded value runs on over lines that start with a blank. */
		for (e = strchr(v, '\n'); e && (e[1] == ' ' || e[1] == '\t');
		     e = strchr(e + 1, '\n'))
			;
		if (e == NULL)
			e = v + strlen(v);
		if (n++)
			sg_buf_putc(vals, '\n');
		for (; v < e; v++)
			if (*v != ' ' && *v != '\t' && *v != '\n' && *v != '\r')
				sg_buf_putc(vals, *v);
	}
	return n;
}

static bool rel_sm_all_equal(const char *vals, const char *want)
{
	size_t wl = strlen(want);

	for (const char *p = vals; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, want, wl) != 0 || (p[wl] != '\n' && p[wl] != '\0'))
			return false;
	return true;
}

/* REL_OK when every X-Sendguard-Hold line (one at least) names hold_id. */
static rel_rc rel_sm_header_is(const char *ctl, const char *qid,
			       const char *hold_id, sg_buf *err)
{
	sg_buf vals;
	size_t n;
	rel_rc rc = REL_OK;

	sg_buf_init(&vals, 4096);
	n = rel_sm_hold_values(ctl, &vals);
	if (n == 0 || !rel_sm_all_equal(sg_buf_cstr(&vals), hold_id)) {
		sg_buf_printf(err, "キュー項目 %s の X-Sendguard-Hold が保留 %s と"
			      " 一致しません: 何もしません。 queue item %s does not"
			      " carry X-Sendguard-Hold: %s (found: %.200s): not"
			      " touched", qid, hold_id, qid, hold_id,
			      n ? sg_buf_cstr(&vals) : "no such header");
		rc = REL_REFUSED;
	}
	sg_buf_free(&vals);
	return rc;
}

/* ---------------------------------------------------- reading ops */

static rel_rc rel_sm_queue_of(void *impl, const char *qid, char queue[16],
			      sg_buf *err)
{
	return rel_sm_state(impl, qid, queue, err);
}

static rel_rc rel_sm_check_header(void *impl, const char *qid,
				  const char *hold_id, sg_buf *err)
{
	sg_buf text;
	rel_rc rc;

	sg_buf_init(&text, REL_SM_CTL_MAX);
	rc = rel_sm_read_ctl(impl, qid, &text, err);
	if (rc == REL_OK)
		rc = rel_sm_header_is(sg_buf_cstr(&text), qid, hold_id, err);
	sg_buf_free(&text);
	return rc;
}

static rel_rc rel_sm_header_of(void *impl, const char *qid, char hold_id[64],
			       sg_buf *err)
{
	sg_buf text, vals;
	rel_rc rc;

	hold_id[0] = '\0';
	sg_buf_init(&text, REL_SM_CTL_MAX);
	sg_buf_init(&vals, 4096);
	rc = rel_sm_read_ctl(impl, qid, &text, err);
	if (rc == REL_OK && rel_sm_hold_values(sg_buf_cstr(&text), &vals) > 0)
		snprintf(hold_id, 64, "%.*s", (int)strcspn(sg_buf_cstr(&vals), "\n"),
			 sg_buf_cstr(&vals));
	sg_buf_free(&vals);
	sg_buf_free(&text);
	return rc;
}

static long long rel_sm_requeue_after(void *impl, sg_buf *err)
{
	(void)impl;
	(void)err;
	return -1;
}

/* ------------------------------------------------ the queue, listed */

/* The queue id of a control file name, or NULL (not one). */
static const char *rel_sm_entry_id(const char *name, const char **queue)
{
	for (size_t i = 0; i < REL_SM_NKINDS; i++)
		if (strncmp(name, rel_sm_kinds[i].prefix, 2) == 0 &&
		    rel_queue_id_valid(name + 2)) {
			*queue = rel_sm_kinds[i].queue;
			return name + 2;
		}
	return NULL;
}

typedef bool (*rel_sm_entry_fn)(const char *qid, const char *queue, void *ctx);

/* Calls fn for each control file (at most REL_SM_SCAN_MAX entries);
 * fn returns false to stop. -1 with err when the directory is not
 * readable. */
static int rel_sm_scan(rel_sendmail *sm, rel_sm_entry_fn fn, void *ctx, sg_buf *err)
{
	DIR *d = opendir(sm->ctl_dir);
	struct dirent *de;
	const char *qid, *queue;

	if (d == NULL) {
		sg_buf_printf(err, "queue directory %s: %s", sm->ctl_dir, strerror(errno));
		return -1;
	}
	for (long i = 0; i < REL_SM_SCAN_MAX && (de = readdir(d)) != NULL; i++)
		if ((qid = rel_sm_entry_id(de->d_name, &queue)) != NULL &&
		    !fn(qid, queue, ctx))
			break;
	closedir(d);
	return 0;
}

struct rel_sm_clash {
	const char *qid;
	char other[64];
};

static bool rel_sm_clash_fn(const char *qid, const char *queue, void *ctx)
{
	struct rel_sm_clash *c = ctx;

	(void)queue;
	if (strcmp(qid, c->qid) != 0 && strstr(qid, c->qid) != NULL) {
		snprintf(c->other, sizeof(c->other), "%s", qid);
		return false;
	}
	return true;
}

/* REL_OK when no other item's id contains qid (so that -qI<qid>
 * selects this item only); REL_REFUSED otherwise; REL_ERROR. */
static rel_rc rel_sm_unique(rel_sendmail *sm, const char *qid, sg_buf *err)
{
	struct rel_sm_clash c = { qid, "" };

	if (rel_sm_scan(sm, rel_sm_clash_fn, &c, err) < 0)
		return REL_ERROR;
	if (c.other[0] == '\0')
		return REL_OK;
	sg_buf_printf(err, "queue id %s is part of queue id %s: sendmail -qI would"
		      " select both; not touched (act by hand)", qid, c.other);
	return REL_REFUSED;
}

struct rel_sm_list {
	rel_sendmail *sm;
	rel_qentry *v;
	size_t n, max;
};

static bool rel_sm_list_fn(const char *qid, const char *queue, void *ctx)
{
	struct rel_sm_list *l = ctx;
	char now[16];
	sg_buf err;
	rel_qentry *e;

	if (l->n >= l->max)
		return false;
	/* While Sendmail unquarantines, hf and qf exist for a moment:
	 * list the item once, as it is now. */
	sg_buf_init(&err, 1024);
	if (strcmp(queue, REL_QUEUE_HOLD) != 0 &&
	    rel_sm_state(l->sm, qid, now, &err) == REL_OK && strcmp(now, queue) != 0) {
		sg_buf_free(&err);
		return true;
	}
	sg_buf_free(&err);
	l->v = sg_xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	e = &l->v[l->n++];
	snprintf(e->queue_id, sizeof(e->queue_id), "%s", qid);
	snprintf(e->queue, sizeof(e->queue), "%s", queue);
	e->sender = sg_xstrdup("");
	return true;
}

static int rel_sm_list(void *impl, rel_qentry **out, size_t *n, size_t max,
		       sg_buf *err)
{
	struct rel_sm_list l = { impl, NULL, 0, max };
	int rc = rel_sm_scan(impl, rel_sm_list_fn, &l, err);

	*out = l.v;
	*n = l.n;
	return rc;
}

/* ---------------------------------------------------------- commands */

/* Runs sendmail -C CF with up to 4 more arguments; 0 when it ran and
 * exited 0, -1 with err otherwise. */
static int rel_sm_run(rel_sendmail *sm, const char *const *args, size_t nargs,
		      sg_buf *err)
{
	char *argv[REL_MAX_WORDS + 8];
	size_t n = 0;
	rel_result r;
	int rc = -1;

	for (size_t i = 0; i < sm->nwords; i++)
		argv[n++] = sm->argv0[i];
	argv[n++] = (char *)"-C";
	argv[n++] = sm->cf;
	for (size_t i = 0; i < nargs && i < 4; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	rel_result_init(&r, 65536);
	if (rel_run(argv, sm->timeout, &r, err) == 0) {
		if (r.timed_out)
			sg_buf_printf(err, "%s timed out after %ds", argv[0], sm->timeout);
		else if (r.status != 0)
			sg_buf_printf(err, "%s -C %s %s %s failed (exit %d): %.400s%.400s",
				      argv[0], sm->cf, args[0], nargs > 1 ? args[1] : "",
				      r.status, sg_buf_cstr(&r.err), sg_buf_cstr(&r.out));
		else
			rc = 0;
	}
	rel_result_free(&r);
	return rc;
}

/* "-qI<qid>", "-Q<reason>", ... into buf. */
static const char *rel_sm_arg(char *buf, size_t size, const char *opt,
			      const char *a, const char *b)
{
	snprintf(buf, size, "%s%s%s", opt, a, b ? b : "");
	return buf;
}

static rel_rc rel_sm_release(void *impl, const char *qid, const char *hold_id,
			     sg_buf *err)
{
	rel_sendmail *sm = impl;
	char byid[64], byreason[128], queue[16];
	const char *unq[3], *run[1];
	rel_rc rc;

	if (!rel_sm_ids_valid(qid, hold_id, err))
		return REL_ERROR;
	if ((rc = rel_sm_state(sm, qid, queue, err)) != REL_OK)
		return rc;
	if (strcmp(queue, REL_QUEUE_HOLD) != 0)
		return REL_GONE;		/* not quarantined (any more) */
	if ((rc = rel_sm_unique(sm, qid, err)) != REL_OK)
		return rc;
	unq[0] = rel_sm_arg(byreason, sizeof(byreason), "-qQ", REL_SM_REASON, hold_id);
	unq[1] = rel_sm_arg(byid, sizeof(byid), "-qI", qid, NULL);
	unq[2] = "-Q";
	if (rel_sm_run(sm, unq, 3, err) < 0)
		return REL_ERROR;
	if ((rc = rel_sm_state(sm, qid, queue, err)) == REL_OK &&
	    strcmp(queue, REL_QUEUE_HOLD) == 0) {
		sg_buf_printf(err, "queue item %s is still quarantined after sendmail -qQ"
			      " -Q: its reason is not \"%s%s\", or Sendmail had it"
			      " locked; not released", qid, REL_SM_REASON, hold_id);
		return REL_ERROR;
	}
	if (rc == REL_ERROR)
		return rc;
	/* Deliver now rather than at the daemon's next queue run. The run
	 * forks; if it cannot start, the queue run delivers it later. */
	run[0] = byid;
	if (rc == REL_OK && rel_sm_run(sm, run, 1, err) < 0)
		sg_buf_puts(err, "; warning: the message waits for the next queue run");
	return REL_OK;
}

static rel_rc rel_sm_rehold(void *impl, const char *qid, const char *hold_id,
			    sg_buf *err)
{
	rel_sendmail *sm = impl;
	char byid[64], reason[128], queue[16];
	const char *args[2];
	rel_rc rc;

	if (!rel_sm_ids_valid(qid, hold_id, err))
		return REL_ERROR;
	if ((rc = rel_sm_state(sm, qid, queue, err)) != REL_OK)
		return rc;
	if (strcmp(queue, REL_QUEUE_HOLD) == 0)
		return REL_OK;
	if ((rc = rel_sm_unique(sm, qid, err)) != REL_OK)
		return rc;
	args[0] = rel_sm_arg(byid, sizeof(byid), "-qI", qid, NULL);
	args[1] = rel_sm_arg(reason, sizeof(reason), "-Q", REL_SM_REASON, hold_id);
	if (rel_sm_run(sm, args, 2, err) < 0)
		return REL_ERROR;
	if ((rc = rel_sm_state(sm, qid, queue, err)) != REL_OK)
		return rc;
	if (strcmp(queue, REL_QUEUE_HOLD) != 0) {
		sg_buf_printf(err, "sendmail -qI%s -Q did not quarantine it (it is"
			      " %s; being delivered?)", qid, queue);
		return REL_ERROR;
	}
	return REL_OK;
}

/* ------------------------------------------------------------ delete */

/* Sendmail's lock on a control file: flock(2), and fcntl(2) for a
 * Sendmail built without flock (qtool.pl takes both). */
static rel_rc rel_sm_lock(int fd, const char *path, sg_buf *err)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fcntl(fd, F_SETLK, &fl) == 0)
		return REL_OK;
	if (errno == EWOULDBLOCK || errno == EAGAIN || errno == EACCES)
		sg_buf_printf(err, "%s is locked: Sendmail is working on it; retry", path);
	else
		sg_buf_printf(err, "%s: cannot lock: %s", path, strerror(errno));
	return REL_ERROR;
}

static void rel_sm_sync_dir(const char *dir, sg_buf *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	/* So that a crash cannot bring back a file we recorded as gone. */
	if (fd < 0 || fsync(fd) < 0)
		sg_buf_printf(err, "warning: fsync %s: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* The locked control file still is the one at path, and its header
 * names the hold. */
static rel_rc rel_sm_verify_locked(int fd, const char *path, const char *qid,
				   const char *hold_id, sg_buf *err)
{
	struct stat fst, pst;
	sg_buf text;
	rel_rc rc;

	if (fstat(fd, &fst) < 0 || !S_ISREG(fst.st_mode)) {
		sg_buf_printf(err, "%s: not a regular file", path);
		return REL_ERROR;
	}
	/* Unquarantined (renamed away) while we waited for the lock. */
	if (fst.st_nlink == 0 || lstat(path, &pst) < 0 ||
	    pst.st_ino != fst.st_ino || pst.st_dev != fst.st_dev)
		return REL_GONE;
	sg_buf_init(&text, REL_SM_CTL_MAX);
	rc = rel_sm_read_fd(fd, path, &text, err);
	if (rc == REL_OK)
		rc = rel_sm_header_is(sg_buf_cstr(&text), qid, hold_id, err);
	/* A 'd' line puts df in another queue directory (queue groups). */
	if (rc == REL_OK && (strncmp(sg_buf_cstr(&text), "d", 1) == 0 ||
			     strstr(sg_buf_cstr(&text), "\nd") != NULL)) {
		sg_buf_printf(err, "%s names another data file directory (d line):"
			      " not supported, not touched", path);
		rc = REL_ERROR;
	}
	sg_buf_free(&text);
	return rc;
}

static rel_rc rel_sm_unlink_item(rel_sendmail *sm, const char *hf,
				 const char *qid, sg_buf *err)
{
	char df[PATH_MAX];

	if (unlink(hf) < 0) {
		sg_buf_printf(err, "unlink %s: %s", hf, strerror(errno));
		return REL_ERROR;
	}
	rel_sm_sync_dir(sm->ctl_dir, err);
	/* Without its control file the item no longer exists for
	 * Sendmail; a df left behind is only a file, so say so and go on. */
	if (!rel_sm_path(df, sm->data_dir, "df", qid))
		sg_buf_printf(err, "warning: %s/df%s: path too long; remove it by"
			      " hand", sm->data_dir, qid);
	else if (unlink(df) < 0 && errno != ENOENT)
		sg_buf_printf(err, "warning: %s not removed: %s; remove it by hand",
			      df, strerror(errno));
	else if (strcmp(sm->data_dir, sm->ctl_dir) != 0)
		rel_sm_sync_dir(sm->data_dir, err);
	return REL_OK;
}

static rel_rc rel_sm_remove(void *impl, const char *qid, const char *hold_id,
			    sg_buf *err)
{
	rel_sendmail *sm = impl;
	char hf[PATH_MAX];
	rel_rc rc;
	int fd;

	if (!rel_sm_ids_valid(qid, hold_id, err) ||
	    !rel_sm_path(hf, sm->ctl_dir, "hf", qid))
		return REL_ERROR;
	fd = open(hf, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return REL_GONE;		/* not quarantined (any more) */
	if (fd < 0) {
		sg_buf_printf(err, "%s: %s", hf, strerror(errno));
		return REL_ERROR;
	}
	rc = rel_sm_lock(fd, hf, err);
	if (rc == REL_OK)
		rc = rel_sm_verify_locked(fd, hf, qid, hold_id, err);
	if (rc == REL_OK)
		rc = rel_sm_unlink_item(sm, hf, qid, err);
	close(fd);			/* releases both locks */
	return rc;
}

/* ------------------------------------------------- reading an item */

/* The address of an S or R line ("S<a@b>", "RPFD:<a@b>"), brackets
 * removed, into out. */
static void rel_sm_addr(const char *v, size_t len, bool flags, sg_buf *out)
{
	const char *colon = memchr(v, ':', len);

	/* R lines carry flags before the first colon. */
	if (flags && colon != NULL) {
		len -= (size_t)(colon + 1 - v);
		v = colon + 1;
	}
	if (len >= 2 && v[0] == '<' && v[len - 1] == '>') {
		v++;
		len -= 2;
	}
	sg_buf_append(out, v, len);
}

/* The control file's H lines (with their continuation lines) become
 * the message's header, the df file its body; S and R lines the
 * envelope, T the arrival time (op.me Appendix B). */
static rel_rc rel_sm_item(void *impl, const char *qid, rel_item *it, sg_buf *err)
{
	rel_sendmail *sm = impl;
	char df[PATH_MAX], chunk[8192];
	sg_buf ctl;
	bool in_header = false;
	rel_rc rc;
	ssize_t n;
	int fd;

	sg_buf_init(&ctl, REL_SM_CTL_MAX);
	if ((rc = rel_sm_read_ctl(sm, qid, &ctl, err)) != REL_OK) {
		sg_buf_free(&ctl);
		return rc;
	}
	for (const char *p = sg_buf_cstr(&ctl); p && *p; p = rel_sm_next_line(p)) {
		size_t len = strcspn(p, "\n");
		const char *name;

		if ((p[0] == '\t' || p[0] == ' ') && in_header) {
			sg_buf_append(&it->msg, p, len);
			sg_buf_puts(&it->msg, "\r\n");
			continue;
		}
		in_header = false;
		if ((name = rel_sm_header_name(p)) != NULL) {
			sg_buf_append(&it->msg, name, len - (size_t)(name - p));
			sg_buf_puts(&it->msg, "\r\n");
			in_header = true;
		} else if (p[0] == 'S' && len > 1) {
			rel_sm_addr(p + 1, len - 1, false, &it->sender);
		} else if (p[0] == 'R' && len > 1) {
			rel_sm_addr(p + 1, len - 1, true, &it->rcpts);
			sg_buf_putc(&it->rcpts, '\n');
		} else if (p[0] == 'T') {
			it->arrival = (time_t)strtoll(p + 1, NULL, 10);
		}
	}
	sg_buf_free(&ctl);
	sg_buf_puts(&it->msg, "\r\n");
	if (!rel_sm_path(df, sm->data_dir, "df", qid))
		return REL_ERROR;
	if ((fd = open(df, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		sg_buf_printf(err, "%s: %s", df, strerror(errno));
		return errno == ENOENT ? REL_GONE : REL_ERROR;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || sg_buf_append(&it->msg, chunk, (size_t)n) < 0) {
			sg_buf_printf(err, "%s: %s", df, n < 0 ? strerror(errno)
				      : "larger than the largest message read back");
			close(fd);
			return REL_ERROR;
		}
	}
	close(fd);
	return REL_OK;
}

const rel_backend_ops rel_sendmail_ops = {
	.name = "sendmail",
	.manual_hint = "read the hf file of ID in the queue directory, then"
		       " sendmail -qQ -qIID -Q (release) or qtool.pl -Q -d (delete)",
	.open = rel_sm_open,
	.close = rel_sm_close,
	.queue_of = rel_sm_queue_of,
	.check_header = rel_sm_check_header,
	.header_of = rel_sm_header_of,
	.requeue_after = rel_sm_requeue_after,
	.release = rel_sm_release,
	.requeue = NULL,
	.remove = rel_sm_remove,
	.rehold = rel_sm_rehold,
	.list = rel_sm_list,
	.item = rel_sm_item,
};
