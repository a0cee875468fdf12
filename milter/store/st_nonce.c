/*
 * NAME
 *	st_nonce - remember notice nonces so that a notice cannot be replayed
 * SYNOPSIS
 *	#include "store/st.h"
 *
 *	int st_nonce_use(st_store *st, const char *nonce, time_t now,
 *			 long ttl, sg_buf *err);
 * DESCRIPTION
 *	An X-Sendguard-Notice MAC proves that sendguard wrote a notice;
 *	the nonce inside it proves the notice is new. A user who copies a
 *	genuine notice and submits it again gets 0 here, and the milter
 *	scans that copy like any other mail. Nonces are kept for ttl
 *	seconds (longer than a notice can sit in a queue); older ones are
 *	purged in the same transaction, so the table stays small without
 *	a separate job.
 * DIAGNOSTICS
 *	-1 with err filled when the store cannot be written; the caller
 *	then treats the notice as unverified (fail closed).
 */
#include "store/st_int.h"

#include <string.h>

struct st_nonce {
	const char *nonce;
	time_t now;
	long ttl;
	int fresh;
};

static st_rc st_nonce_exec(st_store *st, const char *sql, const char *text,
			   long long num, sg_buf *err)
{
	sqlite3_stmt *s = st_prepare(st, st->db, sql, err);
	st_rc rc = ST_OK;

	if (s == NULL)
		return ST_ERROR;
	if (text)
		st_bind_text(s, 1, text);
	sqlite3_bind_int64(s, text ? 2 : 1, num);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = st_sqlerr(st, st->db, "nonces", err);
	sqlite3_finalize(s);
	return rc;
}

static st_rc st_nonce_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_nonce *n = arg;
	st_rc rc;

	rc = st_nonce_exec(st, "DELETE FROM nonces WHERE expires_t < ?1", NULL,
			   (long long)n->now, err);
	if (rc == ST_OK)
		rc = st_nonce_exec(st, "INSERT OR IGNORE INTO nonces (nonce,"
				   " expires_t) VALUES (?1, ?2)", n->nonce,
				   (long long)n->now + n->ttl, err);
	n->fresh = rc == ST_OK && sqlite3_changes(st->db) == 1;
	return rc;
}

int st_sql_nonce_use(st_store *st, const char *nonce, time_t now, long ttl,
		 sg_buf *err)
{
	struct st_nonce n = { nonce, now, ttl, 0 };

	if (nonce == NULL || *nonce == '\0' || ttl < 0) {
		st_seterr(err, "store %s: empty nonce or negative lifetime",
			  st->path);
		return -1;
	}
	if (st_tx(st, st_nonce_step, &n, err) != ST_OK)
		return -1;
	return n.fresh;
}
