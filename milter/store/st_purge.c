/*
 * NAME
 *	st_purge - `[store] retention`: old rows leave the store, the
 *	audit chain stays verifiable
 * DESCRIPTION
 *	Every subject and address the store keeps is personal data (issue
 *	18): rows older than the retention period are deleted. One
 *	transaction deletes, for a cut-off time:
 *	  - holds created before it that are closed (decided, expired,
 *	    withdrawn) and carried out on the queue (applied), or that
 *	    never arrived; a hold still waiting, or decided but not yet
 *	    applied, is never purged, whatever its age;
 *	  - the notices (outbox rows) of those holds, and notices of no
 *	    hold created before it; the approvals of those holds go with
 *	    them (a trigger of schema 5);
 *	  - delegations that ended or were revoked before it;
 *	  - audit records older than it (the oldest ones, a prefix of the
 *	    chain: seq 1..S), and then appends one record "purge" (the
 *	    anchor) whose detail names S and the hash of record S.
 *	Record S+1 chains to the hash of S, which is gone: st_audit_verify
 *	starts from the newest anchor instead of the genesis value, so the
 *	chain from S+1 on is verified as before, and the anchor itself is
 *	a chained record (changing it breaks the chain at the anchor).
 *
 *	The audit log refuses DELETE (a trigger): the purge drops that
 *	trigger and creates it again inside the same transaction, so no
 *	other writer ever sees the log deletable and a failed purge leaves
 *	the trigger as it was.
 * DIAGNOSTICS
 *	See st.h.
 */
#include "store/st_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Must stay the text of st_db.c's schema (the trigger is created
 * again exactly as the schema created it). */
#define ST_AUDIT_NO_DELETE \
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit" \
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"

/* A hold that is over: decided and carried out, or never arrived. */
#define ST_PURGEABLE \
	"((status NOT IN ('pending','arriving') AND applied = 1) OR" \
	" status = 'never-arrived')"

struct st_purge_args {
	time_t before;
	st_purge_counts *n;
};

static st_rc st_exec(st_store *st, const char *sql, sg_buf *err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return st_sqlerr(st, st->db, "purge", err);
	return ST_OK;
}

/* Runs a DELETE with ?1 = before; how many rows it removed. */
static st_rc st_delete(st_store *st, const char *sql, time_t before,
		       size_t *n, sg_buf *err)
{
	sqlite3_stmt *s = st_prepare(st, st->db, sql, err);
	st_rc rc = ST_OK;

	if (s == NULL)
		return ST_ERROR;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)before);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = st_sqlerr(st, st->db, "purge old rows", err);
	else if (n)
		*n = (size_t)sqlite3_changes(st->db);
	sqlite3_finalize(s);
	return rc;
}

static st_rc st_purge_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_purge_args *a = arg;
	sqlite3_stmt *s;
	long long last = 0;
	char hash[65] = "";
	sg_buf detail;
	st_rc rc;
	int step;

	memset(a->n, 0, sizeof(*a->n));
	if ((rc = st_delete(st, "DELETE FROM outbox WHERE hold_id IN (SELECT id"
			    " FROM holds WHERE created_t < ?1 AND " ST_PURGEABLE ")"
			    " OR (hold_id IS NULL AND"
			    " created_t < ?1)", a->before, &a->n->notices, err)) != ST_OK ||
	    (rc = st_delete(st, "DELETE FROM holds WHERE created_t < ?1 AND "
			    ST_PURGEABLE, a->before,
			    &a->n->holds, err)) != ST_OK ||
	    (rc = st_delete(st, "DELETE FROM delegations WHERE until_t < ?1 OR"
			    " (revoked_t > 0 AND revoked_t < ?1)", a->before,
			    &a->n->delegations, err)) != ST_OK)
		return rc;
	/* The newest record before the cut-off ends the purged prefix. */
	s = st_prepare(st, st->db, "SELECT seq, hash FROM audit WHERE seq <="
		       " (SELECT max(seq) FROM audit WHERE ts_t < ?1)"
		       " ORDER BY seq DESC LIMIT 1", err);
	if (s == NULL)
		return ST_ERROR;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)a->before);
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(s, 1);

		last = sqlite3_column_int64(s, 0);
		snprintf(hash, sizeof(hash), "%s", h ? (const char *)h : "");
	}
	sqlite3_finalize(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return st_sqlerr(st, st->db, "read the audit log", err);
	if (last > 0) {
		s = st_prepare(st, st->db, "SELECT count(*) FROM audit WHERE seq <= ?1", err);
		if (s == NULL)
			return ST_ERROR;
		sqlite3_bind_int64(s, 1, last);
		if (sqlite3_step(s) == SQLITE_ROW)
			a->n->records = (size_t)sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	if (last == 0 && a->n->holds == 0 && a->n->notices == 0 && a->n->delegations == 0)
		return ST_OK;		/* nothing old: no anchor either */
	sg_buf_init(&detail, 4096);
	st_purge_detail(&detail, a->before, last, hash, a->n);
	/* The anchor is appended before the records go, so that it
	 * chains to the head like any record (the head may be among them)
	 * and keeps the numbering going. */
	rc = st_audit_append_tx(st, "purge", NULL, NULL, "retention", NULL,
				sg_buf_cstr(&detail), err);
	sg_buf_free(&detail);
	if (rc != ST_OK)
		return rc;
	if (last > 0) {
		s = st_prepare(st, st->db, "DELETE FROM audit WHERE seq <= ?1", err);
		if (s == NULL)
			return ST_ERROR;
		sqlite3_bind_int64(s, 1, last);
		if ((rc = st_exec(st, "DROP TRIGGER audit_no_delete", err)) == ST_OK) {
			if (sqlite3_step(s) != SQLITE_DONE)
				rc = st_sqlerr(st, st->db, "purge the audit log", err);
			else if ((size_t)sqlite3_changes(st->db) != a->n->records)
				rc = st_sqlerr(st, st->db, "purge the audit log (count changed)", err);
		}
		sqlite3_finalize(s);
		if (rc == ST_OK)
			rc = st_exec(st, ST_AUDIT_NO_DELETE, err);
		if (rc != ST_OK)
			return rc;
	}
	return ST_OK;
}

st_rc st_sql_purge(st_store *st, time_t before, st_purge_counts *n, sg_buf *err)
{
	st_purge_counts dummy;
	struct st_purge_args a = { before, n ? n : &dummy };

	if (before <= 0) {
		st_seterr(err, "store %s: purge without a cut-off time", st->path);
		return ST_INVALID;
	}
	return st_tx(st, st_purge_step, &a, err);
}

/* The newest anchor that purged records (a purge of holds alone
 * names no record): its through_seq and through_hash, read from its
 * detail (written by st_purge_step above, so the fixed shape holds;
 * a changed detail fails the hash check when the walk reaches it). */
st_rc st_audit_anchor(st_store *st, sqlite3 *db, long long *seq, char hash[65],
		      sg_buf *err)
{
	sqlite3_stmt *s = st_prepare(st, db, "SELECT json_extract(detail,"
				     " '$.through_seq'), json_extract(detail,"
				     " '$.through_hash') FROM audit WHERE event ="
				     " 'purge' AND json_extract(detail,"
				     " '$.through_seq') > 0 ORDER BY seq DESC"
				     " LIMIT 1", err);
	int step;

	*seq = 0;
	snprintf(hash, 65, "%s", ST_AUDIT_GENESIS);
	if (s == NULL)
		return ST_ERROR;
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(s, 1);

		*seq = sqlite3_column_int64(s, 0);
		snprintf(hash, 65, "%s", h ? (const char *)h : "");
	}
	sqlite3_finalize(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return st_sqlerr(st, db, "read the audit log's anchor", err);
	return ST_OK;
}
