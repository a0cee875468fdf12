/*
 * NAME
 *	rel_postfix - the Postfix release backend
 * SYNOPSIS
 *	#include "release/rel.h"
 * DESCRIPTION
 *	Acts on one queue file at a time, always with -c [release]
 *	postfix_config_dir, and only on the hold queue ("ID hold"), after
 *	postcat has shown that the file's X-Sendguard-Hold header names
 *	the hold (ARCHITECTURE.md: a hold is tied to its queue file, not
 *	to a log line; with enable_long_queue_ids an id is never reused,
 *	the header makes sure anyway).
 *
 *	postsuper reports "Released from hold: N messages", "Deleted: N
 *	messages", "Requeued: N messages" on stderr and exits 0 even when
 *	N is 0 (tried on Postfix 3.7): N = 0 means the file was not on
 *	hold, which is how a second apply learns that the first one did
 *	the work (REL_GONE), instead of failing on every run.
 *
 *	A requeued message (postsuper -r) waits in the maildrop queue for
 *	pickup, which polls only every minute: pickup is woken with
 *	postkick, and the new queue id is looked for a few seconds in
 *	`postqueue -j`, confirmed by the header. Delivery may win that
 *	race; then the new id is unknown and the caller records so.
 * DIAGNOSTICS
 *	REL_OK, REL_GONE, REL_REFUSED (header), REL_ERROR with err naming
 *	the command and its output.
 */
#include "release/rel.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/sg_mem.h"

#define REL_OUT_MAX (64u << 20)		/* postqueue -j of a big queue */
#define REL_HDR_MAX (4u << 20)		/* postcat -h: header_size_limit is 100 KB */
#define REL_REQUEUE_POLLS 20		/* x 250 ms: the new id after -r */

enum { REL_POSTSUPER, REL_POSTQUEUE, REL_POSTCAT, REL_POSTCONF, REL_POSTKICK,
       REL_NCMDS };

struct rel_postfix {
	char *dir;
	char *words[REL_NCMDS];			/* owned copies, split in place */
	char *argv0[REL_NCMDS][REL_MAX_WORDS];
	size_t nwords[REL_NCMDS];
	int timeout;
	long long fraction;
};

static const char *const rel_cmd_keys[REL_NCMDS] = {
	"postsuper", "postqueue", "postcat", "postconf", "postkick"
};

rel_postfix *rel_postfix_new(const sg_conf *conf, sg_buf *err)
{
	rel_postfix *pf = sg_xcalloc(1, sizeof(*pf));

	pf->dir = sg_conf_path(conf, "release", "postfix_config_dir");
	pf->timeout = (int)sg_conf_num(conf, "release", "command_timeout");
	pf->fraction = sg_conf_num(conf, "release", "requeue_fraction");
	for (int i = 0; i < REL_NCMDS; i++) {
		pf->words[i] = sg_xstrdup(sg_conf_str(conf, "release", rel_cmd_keys[i]));
		pf->nwords[i] = rel_split_words(pf->words[i], pf->argv0[i]);
		if (pf->nwords[i] == 0) {
			sg_buf_printf(err, "[release] %s: empty or more than %d words",
				      rel_cmd_keys[i], REL_MAX_WORDS - 1);
			rel_postfix_free(pf);
			return NULL;
		}
	}
	return pf;
}

void rel_postfix_free(rel_postfix *pf)
{
	if (pf == NULL)
		return;
	for (int i = 0; i < REL_NCMDS; i++)
		free(pf->words[i]);
	free(pf->dir);
	free(pf);
}

bool rel_queue_id_valid(const char *qid)
{
	size_t n = 0;

	if (qid == NULL)
		return false;
	for (; qid[n]; n++)
		if (!isalnum((unsigned char)qid[n]) || n >= 40)
			return false;
	return n >= 6;
}

/* Runs command `which` with -c DIR and up to 6 more arguments. */
static int rel_pf_run(rel_postfix *pf, int which, const char *const *args,
		      size_t nargs, size_t max_out, rel_result *r, sg_buf *err)
{
	char *argv[REL_MAX_WORDS + 10];
	size_t n = 0;

	for (size_t i = 0; i < pf->nwords[which]; i++)
		argv[n++] = pf->argv0[which][i];
	argv[n++] = (char *)"-c";
	argv[n++] = pf->dir;
	for (size_t i = 0; i < nargs && i < 6; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	rel_result_init(r, max_out);
	if (rel_run(argv, pf->timeout, r, err) < 0)
		return -1;
	if (r->timed_out)
		sg_buf_printf(err, "%s timed out after %ds", argv[0], pf->timeout);
	return r->timed_out ? -1 : 0;
}

static void rel_pf_fail(sg_buf *err, const char *what, const char *qid,
			const rel_result *r)
{
	sg_buf_printf(err, "%s %s failed (exit %d): %.400s", what, qid, r->status,
		      sg_buf_cstr(&r->err));
}

/* ---------------------------------------------------- postqueue -j */

struct rel_find {
	const char *qid;
	char *queue;
	bool found;
};

static void rel_find_line(const char *const *vals, const char *elem, void *ctx)
{
	struct rel_find *f = ctx;

	(void)elem;
	if (!f->found && vals[0] && vals[1] && strcmp(vals[0], f->qid) == 0) {
		snprintf(f->queue, 16, "%s", vals[1]);
		f->found = true;
	}
}

/* postqueue -j prints one JSON object a line: read each as a one-
 * element array. */
static void rel_each_line(const char *text, rel_json_cb cb, void *ctx,
			  const char *const *keys, size_t nkeys)
{
	sg_buf line;
	const char *p = text, *nl;
	size_t len;

	sg_buf_init(&line, REL_OUT_MAX);
	for (size_t i = 0; *p && i < 10000000; i++) {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > 0) {
			sg_buf_reset(&line);
			sg_buf_putc(&line, '[');
			sg_buf_append(&line, p, len);
			sg_buf_putc(&line, ']');
			rel_json_each(sg_buf_cstr(&line), keys, nkeys, 1, cb, ctx);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	sg_buf_free(&line);
}

static int rel_pf_showq(rel_postfix *pf, rel_result *r, sg_buf *err)
{
	static const char *const args[] = { "-j" };

	if (rel_pf_run(pf, REL_POSTQUEUE, args, 1, REL_OUT_MAX, r, err) < 0)
		return -1;
	if (r->status != 0 || r->out.toobig) {
		rel_pf_fail(err, "postqueue -j", "", r);
		return -1;
	}
	return 0;
}

rel_rc rel_pf_queue_of(rel_postfix *pf, const char *qid, char queue[16],
		       sg_buf *err)
{
	static const char *const keys[] = { "queue_id", "queue_name" };
	struct rel_find f = { qid, queue, false };
	rel_result r;

	queue[0] = '\0';
	if (rel_pf_showq(pf, &r, err) < 0) {
		rel_result_free(&r);
		return REL_ERROR;
	}
	rel_each_line(sg_buf_cstr(&r.out), rel_find_line, &f, keys, 2);
	rel_result_free(&r);
	return f.found ? REL_OK : REL_GONE;
}

struct rel_list {
	rel_qentry *v;
	size_t n, max;
};

static void rel_list_line(const char *const *vals, const char *elem, void *ctx)
{
	struct rel_list *l = ctx;
	rel_qentry *e;

	(void)elem;
	if (l->n >= l->max || vals[0] == NULL || vals[1] == NULL)
		return;
	l->v = sg_xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	e = &l->v[l->n++];
	snprintf(e->queue_id, sizeof(e->queue_id), "%s", vals[0]);
	snprintf(e->queue, sizeof(e->queue), "%s", vals[1]);
	e->sender = sg_xstrdup(vals[2] ? vals[2] : "");
}

int rel_pf_list(rel_postfix *pf, rel_qentry **out, size_t *n, size_t max,
		sg_buf *err)
{
	static const char *const keys[] = { "queue_id", "queue_name", "sender" };
	struct rel_list l = { NULL, 0, max };
	rel_result r;
	int rc = rel_pf_showq(pf, &r, err);

	if (rc == 0)
		rel_each_line(sg_buf_cstr(&r.out), rel_list_line, &l, keys, 3);
	rel_result_free(&r);
	*out = l.v;
	*n = l.n;
	return rc;
}

void rel_qentries_free(rel_qentry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].sender);
	free(v);
}

/* ------------------------------------------------------- postcat -h */

/* Appends the unfolded, trimmed value of every X-Sendguard-Hold header,
 * separated by '\n'; returns how many. */
static size_t rel_hold_headers(const char *hdrs, sg_buf *vals)
{
	static const char name[] = "X-Sendguard-Hold:";
	size_t n = 0;

	for (const char *p = hdrs; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		const char *v, *e;

		if (strncasecmp(p, name, sizeof(name) - 1) != 0)
			continue;
		v = p + sizeof(name) - 1;
		/* Unfold: the value runs on over continuation lines. */
		for (e = strchr(v, '\n'); e && (e[1] == ' ' || e[1] == '\t');
		     e = strchr(e + 1, '\n'))
			;
		if (e == NULL)
			e = v + strlen(v);
		if (n++)
			sg_buf_putc(vals, '\n');
		for (; v < e; v++)
			if (!isspace((unsigned char)*v))
				sg_buf_putc(vals, *v);
	}
	return n;
}

static rel_rc rel_pf_headers(rel_postfix *pf, const char *qid, rel_result *r,
			     sg_buf *err)
{
	const char *args[] = { "-h", "-q", qid };

	if (!rel_queue_id_valid(qid)) {
		sg_buf_printf(err, "not a Postfix queue id: %.64s", qid);
		return REL_ERROR;
	}
	if (rel_pf_run(pf, REL_POSTCAT, args, 3, REL_HDR_MAX, r, err) < 0)
		return REL_ERROR;
	if (r->status != 0 && strstr(sg_buf_cstr(&r->err), "No such file") != NULL)
		return REL_GONE;
	if (r->status != 0) {
		rel_pf_fail(err, "postcat -hq", qid, r);
		return REL_ERROR;
	}
	return REL_OK;
}

rel_rc rel_pf_header_of(rel_postfix *pf, const char *qid, char hold_id[64],
			sg_buf *err)
{
	rel_result r;
	sg_buf vals;
	rel_rc rc = rel_pf_headers(pf, qid, &r, err);

	hold_id[0] = '\0';
	sg_buf_init(&vals, 4096);
	if (rc == REL_OK && rel_hold_headers(sg_buf_cstr(&r.out), &vals) > 0)
		snprintf(hold_id, 64, "%.*s", (int)strcspn(sg_buf_cstr(&vals), "\n"),
			 sg_buf_cstr(&vals));
	sg_buf_free(&vals);
	rel_result_free(&r);
	return rc;
}

/* The value of an envelope record line "name: value" of postcat -e. */
static const char *rel_env_value(const char *line, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	line += n + 1;
	while (*line == ' ')
		line++;
	return line;
}

/* Unix time of postcat's "Fri Dec  4 16:23:35 2026" (local time). */
static time_t rel_env_time(const char *v, size_t len)
{
	char buf[64];
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	snprintf(buf, sizeof(buf), "%.*s", (int)(len < 63 ? len : 63), v);
	end = strptime(buf, "%a %b %e %H:%M:%S %Y", &tm);
	if (end == NULL)
		return 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

rel_rc rel_pf_item(rel_postfix *pf, const char *qid, rel_item *it, sg_buf *err)
{
	const char *msg_args[] = { "-b", "-h", "-q", qid };
	const char *env_args[] = { "-e", "-q", qid };
	rel_result r;
	const char *v;

	if (!rel_queue_id_valid(qid)) {
		sg_buf_printf(err, "not a Postfix queue id: %.64s", qid);
		return REL_ERROR;
	}
	if (rel_pf_run(pf, REL_POSTCAT, env_args, 3, REL_HDR_MAX, &r, err) < 0) {
		rel_result_free(&r);
		return REL_ERROR;
	}
	if (r.status != 0) {
		bool gone = strstr(sg_buf_cstr(&r.err), "No such file") != NULL;

		if (!gone)
			rel_pf_fail(err, "postcat -eq", qid, &r);
		rel_result_free(&r);
		return gone ? REL_GONE : REL_ERROR;
	}
	for (const char *p = sg_buf_cstr(&r.out); p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		size_t len = strcspn(p, "\n");

		if ((v = rel_env_value(p, "sender")) != NULL)
			sg_buf_append(&it->sender, v, len - (size_t)(v - p));
		else if ((v = rel_env_value(p, "recipient")) != NULL) {
			sg_buf_append(&it->rcpts, v, len - (size_t)(v - p));
			sg_buf_putc(&it->rcpts, '\n');
		} else if ((v = rel_env_value(p, "message_arrival_time")) != NULL)
			it->arrival = rel_env_time(v, len - (size_t)(v - p));
	}
	rel_result_free(&r);
	if (rel_pf_run(pf, REL_POSTCAT, msg_args, 4, REL_ITEM_MAX, &r, err) < 0) {
		rel_result_free(&r);
		return REL_ERROR;
	}
	if (r.status != 0 || r.out.toobig) {
		rel_pf_fail(err, "postcat -bhq", qid, &r);
		rel_result_free(&r);
		return REL_ERROR;
	}
	if (r.out.len)
		sg_buf_append(&it->msg, r.out.data, r.out.len);
	rel_result_free(&r);
	return REL_OK;
}

static bool rel_all_equal(const char *vals, const char *want)
{
	size_t wl = strlen(want);

	for (const char *p = vals; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, want, wl) != 0 || (p[wl] != '\n' && p[wl] != '\0'))
			return false;
	return true;
}

rel_rc rel_pf_check_header(rel_postfix *pf, const char *qid,
			   const char *hold_id, sg_buf *err)
{
	rel_result r;
	sg_buf vals;
	size_t n;
	rel_rc rc = rel_pf_headers(pf, qid, &r, err);

	sg_buf_init(&vals, 4096);
	if (rc == REL_OK) {
		n = rel_hold_headers(sg_buf_cstr(&r.out), &vals);
		if (n == 0 || !rel_all_equal(sg_buf_cstr(&vals), hold_id)) {
			sg_buf_printf(err, "キューファイル %s の X-Sendguard-Hold が保留 %s と"
				      " 一致しません: 何もしません。 queue file %s does not"
				      " carry X-Sendguard-Hold: %s (found: %.200s): not"
				      " touched", qid, hold_id, qid, hold_id,
				      n ? sg_buf_cstr(&vals) : "no such header");
			rc = REL_REFUSED;
		}
	}
	sg_buf_free(&vals);
	rel_result_free(&r);
	return rc;
}

/* ---------------------------------------------------------- postsuper */

/* The N of "postsuper: <what>: N message(s)", or -1. */
static long rel_postsuper_count(const char *text, const char *what)
{
	const char *p = strstr(text, what);

	if (p == NULL)
		return -1;
	p += strlen(what);
	while (*p == ' ')
		p++;
	return isdigit((unsigned char)*p) ? strtol(p, NULL, 10) : -1;
}

/* postsuper OPT ID hold; REL_OK when one message was acted on. */
static rel_rc rel_postsuper(rel_postfix *pf, const char *opt, const char *qid,
			    const char *what, sg_buf *err)
{
	const char *args[] = { opt, qid, "hold" };
	rel_result r;
	long n;
	rel_rc rc = REL_ERROR;

	if (!rel_queue_id_valid(qid)) {
		sg_buf_printf(err, "not a Postfix queue id: %.64s", qid);
		return REL_ERROR;
	}
	if (rel_pf_run(pf, REL_POSTSUPER, args, 3, 65536, &r, err) == 0) {
		n = rel_postsuper_count(sg_buf_cstr(&r.err), what);
		if (r.status != 0 || n < 0)
			rel_pf_fail(err, "postsuper", qid, &r);
		else
			rc = n > 0 ? REL_OK : REL_GONE;
	}
	rel_result_free(&r);
	return rc;
}

rel_rc rel_pf_release(rel_postfix *pf, const char *qid, sg_buf *err)
{
	const char *args[] = { "-i", qid };
	rel_result r;
	rel_rc rc = rel_postsuper(pf, "-H", qid, "Released from hold:", err);

	if (rc != REL_OK)
		return rc;
	/* Deliver now rather than at the next queue run; if postqueue
	 * fails (Postfix stopped), the deferred queue keeps the message. */
	if (rel_pf_run(pf, REL_POSTQUEUE, args, 2, 65536, &r, err) == 0 &&
	    r.status != 0)
		sg_buf_printf(err, "warning: postqueue -i %s failed (exit %d): %.200s;"
			      " the message waits in the deferred queue", qid,
			      r.status, sg_buf_cstr(&r.err));
	rel_result_free(&r);
	return REL_OK;
}

rel_rc rel_pf_delete(rel_postfix *pf, const char *qid, sg_buf *err)
{
	return rel_postsuper(pf, "-d", qid, "Deleted:", err);
}

rel_rc rel_pf_rehold(rel_postfix *pf, const char *qid, sg_buf *err)
{
	const char *args[] = { "-h", qid };
	rel_result r;
	long n;
	rel_rc rc = REL_ERROR;

	if (!rel_queue_id_valid(qid))
		return REL_ERROR;
	if (rel_pf_run(pf, REL_POSTSUPER, args, 2, 65536, &r, err) == 0) {
		n = rel_postsuper_count(sg_buf_cstr(&r.err), "Placed on hold:");
		if (r.status != 0 || n < 0)
			rel_pf_fail(err, "postsuper -h", qid, &r);
		else
			rc = n > 0 ? REL_OK : REL_GONE;
	}
	rel_result_free(&r);
	return rc;
}

/* ------------------------------------------------------------ requeue */

static long long rel_pf_param(rel_postfix *pf, const char *name, sg_buf *err)
{
	const char *args[] = { "-h", name };
	rel_result r;
	long long v = -1;
	char *end;

	if (rel_pf_run(pf, REL_POSTCONF, args, 2, 4096, &r, err) == 0 && r.status == 0) {
		v = strtoll(sg_buf_cstr(&r.out), &end, 10);
		/* Postfix time units: s m h d w; a bare number is days. */
		switch (*end) {
		case 's': break;
		case 'm': v *= 60; break;
		case 'h': v *= 3600; break;
		case 'w': v *= 7 * 86400; break;
		default: v *= 86400; break;
		}
	} else {
		sg_buf_printf(err, "postconf -h %s failed: %.200s", name,
			      sg_buf_cstr(&r.err));
	}
	rel_result_free(&r);
	return v;
}

long long rel_pf_requeue_after(rel_postfix *pf, sg_buf *err)
{
	long long mql = rel_pf_param(pf, "maximal_queue_lifetime", err);
	long long bql = rel_pf_param(pf, "bounce_queue_lifetime", err);
	long long life;

	if (mql < 0 || bql < 0)
		return -1;
	/* A lifetime of 0 means "try once": any hold is too long then. */
	life = mql < bql ? mql : bql;
	return life * pf->fraction / 100;
}

static void rel_kick_pickup(rel_postfix *pf, sg_buf *err)
{
	const char *args[] = { "public", "pickup", "W" };
	rel_result r;

	if (rel_pf_run(pf, REL_POSTKICK, args, 3, 4096, &r, err) == 0 && r.status != 0)
		sg_buf_printf(err, "warning: postkick failed: %.200s", sg_buf_cstr(&r.err));
	rel_result_free(&r);
}

static bool rel_find_new_id(rel_postfix *pf, const char *old, const char *hold_id,
			    const char *sender, char new_qid[64])
{
	rel_qentry *v = NULL;
	size_t n = 0;
	char hid[64];
	sg_buf err;
	bool found = false;

	sg_buf_init(&err, 4096);
	if (rel_pf_list(pf, &v, &n, 100000, &err) == 0)
		for (size_t i = 0; i < n && !found; i++) {
			if (strcmp(v[i].queue_id, old) == 0 ||
			    strcmp(v[i].queue, "hold") == 0 ||
			    (sender && *sender && !rel_addr_eq(v[i].sender, sender)))
				continue;
			if (rel_pf_header_of(pf, v[i].queue_id, hid, &err) == REL_OK &&
			    strcmp(hid, hold_id) == 0) {
				snprintf(new_qid, 64, "%s", v[i].queue_id);
				found = true;
			}
		}
	rel_qentries_free(v, n);
	sg_buf_free(&err);
	return found;
}

rel_rc rel_pf_requeue(rel_postfix *pf, const char *qid, const char *hold_id,
		      const char *sender, char new_qid[64], sg_buf *err)
{
	struct timespec ts = { 0, 250 * 1000000L };
	rel_rc rc = rel_postsuper(pf, "-r", qid, "Requeued:", err);

	new_qid[0] = '\0';
	if (rc != REL_OK)
		return rc;
	rel_kick_pickup(pf, err);
	for (int i = 0; i < REL_REQUEUE_POLLS; i++) {
		if (rel_find_new_id(pf, qid, hold_id, sender, new_qid))
			break;
		nanosleep(&ts, NULL);
	}
	return REL_OK;
}
