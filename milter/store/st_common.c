/*
 * NAME
 *	st_common - what both backends check and write the same way
 * SYNOPSIS
 *	#include "store/st_int.h"
 * DESCRIPTION
 *	The SQLite store (st_vote.c, st_outbox.c, st_purge.c) and the
 *	PostgreSQL store (st_pg_vote.c, st_pg_outbox.c, st_pg_purge.c)
 *	keep the same records. The audit chain hashes the detail bytes, so
 *	a record must be the same bytes whichever backend wrote it (a
 *	chain copied between backends verifies the same): every detail
 *	JSON of these records is built here, once, by util's JSON writer.
 *	So are the argument checks and the messages that a caller (and
 *	the tests) compare across backends. Nothing here touches a
 *	database.
 */
#include "store/st_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/sg_json.h"

/* ------------------------------------------------------------ votes */

st_rc st_vote_args(st_store *st, const char *id, const st_vote *v, sg_buf *err)
{
	if (id == NULL || v == NULL || v->principal == NULL || !*v->principal ||
	    v->actor == NULL || !*v->actor || v->recorded_as == NULL ||
	    !*v->recorded_as) {
		st_seterr(err, "store %s: a vote needs a hold id, the approver it"
			  " counts for, who acts and how it is recorded", st->path);
		return ST_INVALID;
	}
	/* Valid JSON too: SQLite's INSERT OR IGNORE would drop a row its
	 * CHECK refuses, PostgreSQL would fail; neither is an answer. */
	if (v->checked_json && (v->checked_json[0] != '[' ||
				strlen(v->checked_json) > ST_VOTE_JSON_MAX / 2 ||
				!sg_json_valid(v->checked_json,
					       strlen(v->checked_json)))) {
		st_seterr(err, "store %s: the checklist ticks are not a JSON array",
			  st->path);
		return ST_INVALID;
	}
	return ST_OK;
}

const char *st_vote_event(const st_vote *v, bool decided)
{
	return !v->approve ? "reject" : decided ? "approve" : "approve-partial";
}

void st_vote_detail(sg_buf *d, const st_vote *v, bool decided, unsigned count,
		    unsigned required)
{
	sg_buf_puts(d, "{\"status\":");
	sg_json_str(d, v->approve ? (decided ? "approved" : "pending") : "rejected");
	sg_buf_puts(d, ",\"approver\":");
	sg_json_str(d, v->principal);
	sg_buf_printf(d, ",\"approvals\":%u,\"required\":%u,\"checked\":%s",
		      count, required, v->checked_json ? v->checked_json : "[]");
	sg_buf_puts(d, ",\"comment\":");
	sg_json_str(d, v->comment);
	/* Extra fields (on behalf of whom, from where): an object's
	 * members spliced in after ours. */
	if (v->detail_json && v->detail_json[0] == '{' && v->detail_json[1] != '}' &&
	    v->detail_json[1] != '\0') {
		sg_buf_putc(d, ',');
		sg_buf_puts(d, v->detail_json + 1);
	} else
		sg_buf_putc(d, '}');
}

st_rc st_vote_refused(st_store *st, const char *id, const char *status,
		      const char *kind, const char *decided_by,
		      const char *decided_at, bool voted, const char *voted_as,
		      const char *voted_at, sg_buf *err)
{
	if (status == NULL) {
		st_seterr(err, "store %s: no hold with id %s", st->path, id);
		return ST_NOTFOUND;
	}
	if (strcmp(status, "pending") != 0)
		st_seterr(err, "store %s: hold %s is already %s (by %s at %s)",
			  st->path, id, status, decided_by ? decided_by : "?",
			  decided_at ? decided_at : "?");
	else if (kind == NULL || strcmp(kind, "approval") != 0)
		st_seterr(err, "store %s: hold %s is a delayed send, not held for"
			  " approval", st->path, id);
	else if (voted)
		st_seterr(err, "store %s: hold %s: already approved by %s at %s"
			  " (the same person counts once)", st->path, id,
			  voted_as ? voted_as : "?", voted_at ? voted_at : "?");
	else
		st_seterr(err, "store %s: hold %s: the vote was not recorded",
			  st->path, id);
	return ST_CONFLICT;
}

/* ------------------------------------------------------ delegations */

st_rc st_deleg_args(st_store *st, const char *principal, const char *delegate,
		    time_t since_t, time_t until_t, const char *created_by,
		    sg_buf *err)
{
	if (principal == NULL || !*principal || delegate == NULL || !*delegate ||
	    created_by == NULL || !*created_by || until_t <= since_t ||
	    strcasecmp(principal, delegate) == 0) {
		st_seterr(err, "store %s: a delegation needs two different people,"
			  " who records it and an end after its start", st->path);
		return ST_INVALID;
	}
	return ST_OK;
}

void st_deleg_detail(sg_buf *d, long long id, const char *principal,
		     const char *delegate, const char *until)
{
	sg_buf_printf(d, "{\"id\":%lld,\"from\":", id);
	sg_json_str(d, principal);
	sg_buf_puts(d, ",\"to\":");
	sg_json_str(d, delegate);
	sg_buf_puts(d, ",\"until\":");
	sg_json_str(d, until);
	sg_buf_putc(d, '}');
}

void st_revoke_detail(char buf[64], long long id)
{
	snprintf(buf, 64, "{\"id\":%lld}", id);
}

void st_ascii_lower(char *s)
{
	/* SQLite's lower() folds ASCII only; PostgreSQL's follows the
	 * database's locale. Both backends store what this gives, so the
	 * same address is the same key on either. */
	for (; s && *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* ----------------------------------------------------------- outbox */

static const char *const st_notice_states[] = {
	"waiting", "ready", "sent", "failed", "cancelled"
};

const char *st_notice_state_name(st_notice_state s)
{
	return (unsigned)s < sizeof(st_notice_states) / sizeof(st_notice_states[0])
		? st_notice_states[s] : "unknown";
}

st_notice_state st_notice_state_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(st_notice_states) / sizeof(st_notice_states[0]); i++)
		if (s && strcmp(s, st_notice_states[i]) == 0)
			return (st_notice_state)i;
	return ST_NOTICE_FAILED;	/* unreachable: CHECK constraint */
}

void st_notice_free(st_notice *n)
{
	if (n == NULL)
		return;
	free(n->hold_id);
	free(n->queue_id);
	free(n->kind);
	free(n->rcpt);
	free(n->message_id);
	free(n->head);
	free(n->body);
	free(n->created);
	free(n->last_error);
	free(n);
}

void st_notices_free(st_notice **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		st_notice_free(v[i]);
	free(v);
}

/* head and body may be left out (NULL) only for a notice about a
 * stored hold: the drainer builds it from the hold when it sends it. */
bool st_notice_ok(const st_notice_new *n, const char *hold_id)
{
	return n->kind && *n->kind && n->rcpt && *n->rcpt && n->message_id &&
	       *n->message_id && ((n->head && n->body && *n->head && *n->body) ||
				  (n->head == NULL && n->body == NULL && hold_id));
}

st_rc st_notice_bad(st_store *st, sg_buf *err)
{
	st_seterr(err, "store %s: a notice without kind, recipient,"
		  " Message-ID or content", st->path);
	return ST_INVALID;
}

void st_notice_detail(sg_buf *d, const char *kind, const char *rcpt,
		      const char *message_id, const char *error)
{
	sg_buf_puts(d, "{\"kind\":");
	sg_json_str(d, kind);
	sg_buf_puts(d, ",\"to\":");
	sg_json_str(d, rcpt);
	sg_buf_puts(d, ",\"message_id\":");
	sg_json_str(d, message_id);
	sg_buf_puts(d, ",\"error\":");
	sg_json_str(d, error);
	sg_buf_putc(d, '}');
}

size_t st_claim_max(size_t max)
{
	return max == 0 || max > ST_CLAIM_MAX ? ST_CLAIM_MAX : max;
}

/* ------------------------------------------------------------ purge */

void st_purge_detail(sg_buf *d, time_t before, long long through_seq,
		     const char *through_hash, const st_purge_counts *n)
{
	char iso[ST_TIME_SIZE];

	st_time_iso(before, iso);
	sg_buf_puts(d, "{\"before\":");
	sg_json_str(d, iso);
	sg_buf_printf(d, ",\"through_seq\":%lld,\"through_hash\":", through_seq);
	sg_json_str(d, through_hash);
	sg_buf_printf(d, ",\"records\":%zu,\"holds\":%zu,\"notices\":%zu,"
		      "\"delegations\":%zu}", n->records, n->holds, n->notices,
		      n->delegations);
}
