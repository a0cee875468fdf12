/*
 * NAME
 *	st_hold_com - the hold code both backends share
 * SYNOPSIS
 *	#include "store/st_hold_int.h"
 * DESCRIPTION
 *	Pure functions (no database): see st_hold_int.h. The audit chain
 *	hashes the detail bytes built here, so a chain written by either
 *	backend verifies the same way on the other; the refusals are worded
 *	once, so both backends answer a decision that lost a race with the
 *	same code and words.
 */
#include "store/st_hold_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sg_json.h"
#include "util/sg_mem.h"

/* ---- create ---- */

static void st_json_strings(sg_buf *out, const char *const *v, size_t n)
{
	sg_buf_putc(out, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			sg_buf_putc(out, ',');
		sg_json_str(out, v[i]);
	}
	sg_buf_putc(out, ']');
}

static void st_json_rcpts(sg_buf *out, const st_rcpt *r, size_t n)
{
	sg_buf_putc(out, '[');
	for (size_t i = 0; i < n; i++) {
		sg_buf_puts(out, i ? ",{" : "{");
		sg_json_key(out, "addr");
		sg_json_str(out, r[i].addr);
		sg_buf_printf(out, ",\"external\":%s}",
			      r[i].external ? "true" : "false");
	}
	sg_buf_putc(out, ']');
}

static void st_create_detail(struct st_create *c)
{
	const st_hold_new *in = c->in;
	size_t ext = 0;

	for (size_t i = 0; i < in->nrcpts; i++)
		ext += in->rcpts[i].external;
	sg_buf_puts(&c->detail, "{\"verdict\":");
	sg_json_str(&c->detail, in->verdict);
	sg_buf_puts(&c->detail, ",\"categories\":");
	sg_buf_puts(&c->detail, sg_buf_cstr(&c->cats));
	sg_buf_puts(&c->detail, ",\"sender\":");
	sg_json_str(&c->detail, c->sender);
	sg_buf_printf(&c->detail, ",\"recipients\":%zu,\"external\":%zu,"
		      "\"size\":%llu,\"required\":%u,\"expires\":", in->nrcpts, ext,
		      in->size, in->required ? in->required : 1);
	sg_json_str(&c->detail, in->expires ? c->expires : NULL);
	if (in->delay) {
		char rel[ST_TIME_SIZE];

		st_time_iso(in->release_t, rel);
		sg_buf_puts(&c->detail, ",\"kind\":\"delay\",\"release\":");
		sg_json_str(&c->detail, rel);
	}
	sg_buf_puts(&c->detail, ",\"gateway\":");
	sg_json_str(&c->detail, c->gateway);
	sg_buf_putc(&c->detail, '}');
}

static st_rc st_create_check(st_store *st, const st_hold_new *in, sg_buf *err)
{
	const char *what = NULL;

	if (in->queue_id == NULL || *in->queue_id == '\0')
		what = "queue id";
	else if (in->sender == NULL)
		what = "sender";
	else if (in->verdict == NULL || *in->verdict == '\0')
		what = "verdict";
	else if (in->nrcpts && in->rcpts == NULL)
		what = "recipients";
	else if (in->required > ST_REQUIRED_MAX)
		what = "sensible number of required approvals";
	else if (in->gateway != NULL && !sg_gateway_valid(in->gateway))
		what = "gateway name (letters, digits, '.', '-', '_')";
	if (what == NULL)
		return ST_OK;
	st_seterr(err, "store %s: hold without a %s", st->path, what);
	return ST_INVALID;
}

static char *st_lower(const char *s)
{
	char *p = sg_xstrdup(s);

	for (char *q = p; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return p;
}

st_rc st_create_prepare(st_store *st, const st_hold_new *in,
			struct st_create *c, sg_buf *err)
{
	st_rc rc;

	memset(c, 0, sizeof(*c));
	if ((rc = st_create_check(st, in, err)) != ST_OK)
		return rc;
	if (in->id != NULL) {
		if (!st_id_valid(in->id)) {
			st_seterr(err, "store %s: not a hold id: %.40s", st->path, in->id);
			return ST_INVALID;
		}
		snprintf(c->id, sizeof(c->id), "%s", in->id);
	} else if (st_new_id(c->id) < 0) {
		st_seterr(err, "store %s: getrandom: no random bytes for a hold id",
			  st->path);
		return ST_ERROR;
	}
	c->in = in;
	c->gateway = in->gateway ? in->gateway : st->gateway;
	c->sender = st_lower(in->sender);
	c->created_t = in->created ? in->created : time(NULL);
	st_time_iso(c->created_t, c->created);
	st_time_iso(in->expires, c->expires);
	sg_buf_init(&c->rcpts, ST_JSON_MAX);
	sg_buf_init(&c->cats, ST_JSON_MAX);
	sg_buf_init(&c->apps, ST_JSON_MAX);
	sg_buf_init(&c->detail, ST_JSON_MAX);
	st_json_rcpts(&c->rcpts, in->rcpts, in->nrcpts);
	st_json_strings(&c->cats, in->categories, in->ncategories);
	st_json_strings(&c->apps, in->approvers, in->napprovers);
	st_create_detail(c);
	return ST_OK;
}

void st_create_done(struct st_create *c)
{
	sg_buf_free(&c->rcpts);
	sg_buf_free(&c->cats);
	sg_buf_free(&c->apps);
	sg_buf_free(&c->detail);
	free(c->sender);
	c->sender = NULL;
}

/* ---- gateway retire (issue 20) ---- */

st_rc st_retire_args(st_store *st, const st_retire *r, sg_buf *err)
{
	if (!sg_gateway_valid(r->gateway)) {
		st_seterr(err, "store %s: \"%.100s\" is not a gateway name", st->path,
			  r->gateway ? r->gateway : "");
		return ST_INVALID;
	}
	if (r->actor == NULL || *r->actor == '\0') {
		st_seterr(err, "store %s: retire without an actor", st->path);
		return ST_INVALID;
	}
	for (size_t i = 0; i < r->nnotices; i++)
		if (!st_notice_ok(&r->notices[i], NULL))
			return st_notice_bad(st, err);
	return ST_OK;
}

void st_retire_detail(sg_buf *d, const char *gateway, size_t holds)
{
	sg_buf_puts(d, "{\"gateway\":");
	sg_json_str(d, gateway);
	sg_buf_printf(d, ",\"holds\":%zu}", holds);
}

/* ---- state changes ---- */

void st_state_free(struct st_state *s)
{
	free(s->queue_id);
	free(s->decided_by);
	free(s->decided_at);
	free(s->reminded_at);
	memset(s, 0, sizeof(*s));
}

const char *st_event_of(st_status s)
{
	static const char *const ev[] = {
		NULL, "approve", "reject", "withdraw", "expire"
	};
	return (unsigned)s < sizeof(ev) / sizeof(ev[0]) ? ev[s] : NULL;
}

st_rc st_decide_args(st_store *st, const char *id, st_status status,
		     const char *by, sg_buf *err)
{
	if (id == NULL || by == NULL || *by == '\0' || st_event_of(status) == NULL) {
		st_seterr(err, "store %s: a decision needs a hold id, who decides"
			  " and a status other than pending", st->path);
		return ST_INVALID;
	}
	return ST_OK;
}

/* A retired gateway's undecided hold: its mail went with the host,
 * so nothing about it can be decided, applied or reminded of. */
static st_rc st_orphan_refuse(st_store *st, const char *id,
			      const struct st_state *cur, sg_buf *err)
{
	if (!cur->orphaned)
		return ST_OK;
	st_seterr(err, "store %s: hold %s is orphaned: its gateway was retired"
		  " and its mail is gone with it (sendguardctl gateway retire)",
		  st->path, id);
	return ST_CONFLICT;
}

st_rc st_decide_refuse(st_store *st, const char *id,
		       const struct st_state *cur, sg_buf *err)
{
	if (cur->orphaned)
		return st_orphan_refuse(st, id, cur, err);
	if (cur->status == ST_ARRIVING) {
		st_seterr(err, "store %s: hold %s is not confirmed yet (its queue"
			  " file has not been seen on hold): nothing can be decided",
			  st->path, id);
		return ST_CONFLICT;
	}
	if (cur->status != ST_PENDING) {
		st_seterr(err, "store %s: hold %s is already %s (by %s at %s)",
			  st->path, id, st_status_name(cur->status),
			  cur->decided_by ? cur->decided_by : "?",
			  cur->decided_at ? cur->decided_at : "?");
		return ST_CONFLICT;
	}
	return ST_OK;
}

st_rc st_decide_several(st_store *st, const char *id, sg_buf *err)
{
	st_seterr(err, "store %s: hold %s needs approvals by several"
		  " approvers (st_hold_vote)", st->path, id);
	return ST_CONFLICT;
}

void st_decide_detail(sg_buf *out, st_status s, const char *comment)
{
	sg_buf_puts(out, "{\"status\":");
	sg_json_str(out, st_status_name(s));
	sg_buf_puts(out, ",\"comment\":");
	sg_json_str(out, comment);
	sg_buf_putc(out, '}');
}

st_rc st_applied_refuse(st_store *st, const char *id,
			const struct st_state *cur, sg_buf *err)
{
	if (cur->orphaned)
		return st_orphan_refuse(st, id, cur, err);
	if (cur->status == ST_PENDING || cur->status == ST_ARRIVING ||
	    cur->status == ST_NEVER_ARRIVED) {
		st_seterr(err, "store %s: hold %s is %s: nothing to apply", st->path,
			  id, st_status_name(cur->status));
		return ST_CONFLICT;
	}
	return ST_OK;
}

void st_applied_detail(sg_buf *out, st_status s, const char *new_queue_id)
{
	sg_buf_puts(out, "{\"status\":");
	sg_json_str(out, st_status_name(s));
	sg_buf_puts(out, ",\"new_queue_id\":");
	sg_json_str(out, new_queue_id);
	sg_buf_putc(out, '}');
}

st_rc st_reminded_refuse(st_store *st, const char *id,
			 const struct st_state *cur, sg_buf *err)
{
	if (cur->orphaned)
		return st_orphan_refuse(st, id, cur, err);
	if (cur->status != ST_PENDING || cur->reminded_at) {
		st_seterr(err, "store %s: hold %s: %s", st->path, id,
			  cur->reminded_at ? "already reminded" : "no longer pending");
		return ST_CONFLICT;
	}
	return ST_OK;
}

st_rc st_arrival_refuse(st_store *st, const char *id, bool confirmed,
			const struct st_state *cur, bool *late, sg_buf *err)
{
	/* A queue file committed after its hold was closed as never
	 * arrived (a commit slower than [release] arrival_timeout) still
	 * confirms it: the mail is on hold and must reach its approvers. */
	*late = confirmed && cur->status == ST_NEVER_ARRIVED;
	if (cur->orphaned)
		return st_orphan_refuse(st, id, cur, err);
	if (cur->status != ST_ARRIVING && !*late) {
		st_seterr(err, "store %s: hold %s is %s, not arriving", st->path, id,
			  st_status_name(cur->status));
		return ST_CONFLICT;
	}
	return ST_OK;
}

st_rc st_release_args(st_store *st, const char *id, const char *by,
		      sg_buf *err)
{
	if (id == NULL || by == NULL || *by == '\0') {
		st_seterr(err, "store %s: a release needs a hold id and who releases",
			  st->path);
		return ST_INVALID;
	}
	return ST_OK;
}

void st_release_conflict(st_store *st, const char *id, const char *kind,
			 const char *status, const char *by, sg_buf *err)
{
	if (kind && strcmp(kind, "delay") != 0)
		st_seterr(err, "store %s: hold %s is held for approval, not delayed:"
			  " only an approver can release it", st->path, id);
	else if (status && strcmp(status, "pending") != 0)
		st_seterr(err, "store %s: hold %s is already %s (by %s)", st->path,
			  id, status, by ? by : "?");
	else
		st_seterr(err, "store %s: hold %s: its delay has not ended", st->path,
			  id);
}

void st_release_detail(char *buf, size_t size, st_release_why why,
		       time_t now, long long release_t)
{
	snprintf(buf, size, "{\"status\":\"approved\",\"late_s\":%lld}",
		 why == ST_RELEASE_DUE && (long long)now > release_t ?
		 (long long)now - release_t : 0LL);
}

/* ---- reading the JSON columns ---- */

struct st_strings {
	char **v;
	size_t n, cap;
};

static void st_strings_one(const char *const *vals, const char *elem, void *ctx)
{
	struct st_strings *s = ctx;

	(void)vals;
	if (s->n + 1 >= s->cap)
		s->v = sg_xreallocarray(s->v, s->cap = s->cap ? s->cap * 2 : 4,
					sizeof(*s->v));
	s->v[s->n++] = elem ? sg_xstrdup(elem) : NULL;
}

struct st_rcpts {
	st_rcpt *v;
	size_t n, cap;
};

static void st_rcpts_one(const char *const *vals, const char *elem, void *ctx)
{
	struct st_rcpts *r = ctx;

	(void)elem;
	if (r->n + 1 >= r->cap)
		r->v = sg_xreallocarray(r->v, r->cap = r->cap ? r->cap * 2 : 4,
					sizeof(*r->v));
	r->v[r->n].addr = vals[0] ? sg_xstrdup(vals[0]) : NULL;
	/* true reads "1"; a number is its own value, as SQLite's
	 * json_extract would give it. */
	r->v[r->n].external = vals[1] != NULL && (long long)strtod(vals[1], NULL) != 0;
	r->n++;
}

static char **st_parse_strings(const char *json, size_t *n)
{
	struct st_strings s = { NULL, 0, 0 };

	/* Bounded by the text (at most ST_JSON_MAX bytes, so elements). */
	(void)sg_json_each(json, NULL, 0, ST_JSON_MAX, st_strings_one, &s);
	*n = s.n;
	return s.v;
}

void st_hold_parse(st_hold *h)
{
	static const char *const keys[] = { "addr", "external" };
	struct st_rcpts r = { NULL, 0, 0 };

	(void)sg_json_each(h->recipients_json, keys, 2, ST_JSON_MAX, st_rcpts_one, &r);
	h->rcpts = r.v;
	h->nrcpts = r.n;
	h->categories = st_parse_strings(h->categories_json, &h->ncategories);
	h->approvers = st_parse_strings(h->approvers_json, &h->napprovers);
}

struct st_compact {
	sg_buf *out;
	int n;
};

static void st_compact_one(const char *const *vals, const char *elem, void *ctx)
{
	struct st_compact *c = ctx;

	(void)vals;
	if (c->n++ == 0 && elem != NULL)
		sg_buf_puts(c->out, elem);
}

int st_json_compact(const char *json, sg_buf *out)
{
	struct st_compact c = { out, 0 };
	sg_buf wrap;
	const char *p = json;
	int rc;

	/* Only an array or an object: the reader gives back a scalar
	 * string unescaped, which is no longer JSON. */
	while (p && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p == NULL || (*p != '[' && *p != '{'))
		return -1;
	/* Wrapped in an array, the value is the one element, which the
	 * reader renders as compact JSON. */
	sg_buf_init(&wrap, SG_JSON_MAX_TEXT);
	sg_buf_putc(&wrap, '[');
	sg_buf_puts(&wrap, json);
	sg_buf_putc(&wrap, ']');
	rc = wrap.toobig ? -1 : sg_json_each(sg_buf_cstr(&wrap), NULL, 0, 2,
					      st_compact_one, &c);
	sg_buf_free(&wrap);
	return rc == 1 ? 0 : -1;
}
