/*
 * NAME
 *	st_pg_purge - `[store] retention` on PostgreSQL
 * SYNOPSIS
 *	#include "store/st.h"
 * DESCRIPTION
 *	What st_purge.c does on SQLite (its comment is the specification):
 *	one transaction deletes closed holds older than the cut-off with
 *	their notices (and, by the foreign key, their approvals), ended
 *	delegations, and the prefix 1..S of the audit log older than it,
 *	after appending the anchor record "purge" whose detail (st_common.c,
 *	the same bytes as on SQLite) names S and the hash of record S.
 *	st_pg_audit_verify (st_pg.c) starts from the newest anchor, as
 *	SQLite's st_audit_walk does.
 *
 *	Order of locks. The rows go first, then the audit chain's advisory
 *	lock is taken (by the anchor's append, which reads the head under
 *	it): every other writer locks rows before the chain too, so the two
 *	never wait on each other in a circle. The cut-off record S is read
 *	under that lock, so no record can join the prefix meanwhile.
 *
 *	The log refuses DELETE (trigger audit_no_change): the purge
 *	disables the trigger and enables it again inside its transaction.
 *	PostgreSQL's DDL is transactional: other sessions never see the
 *	log deletable, and a purge that fails leaves the trigger as it was.
 *	ALTER TABLE ... DISABLE TRIGGER locks the table against writers
 *	only (SHARE ROW EXCLUSIVE; readers such as `audit verify` go on),
 *	until COMMIT. It needs the table's owner (the role that ran
 *	`sendguardctl store init`), as SQLite's DROP TRIGGER needs a
 *	writable file: a gateway connected as another role gets the
 *	database's "must be owner" error and nothing is purged.
 * DIAGNOSTICS
 *	See st.h.
 */
#include "store/st_int.h"
#include "store/st_pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A hold that is over, as st_purge.c's ST_PURGEABLE. */
#define ST_PG_PURGEABLE \
	"((status NOT IN ('pending','arriving') AND applied = 1) OR" \
	" status = 'never-arrived')"

struct st_pg_purge_args {
	time_t before;
	st_purge_counts *n;
};

/* Runs a DELETE with $1 = arg; how many rows it removed. */
static st_rc st_pg_delete(st_store *st, const char *sql, const char *arg,
			  size_t *n, sg_buf *err)
{
	const char *p[1] = { arg };
	PGresult *r = NULL;
	st_rc rc;

	rc = st_pg_exec(st, sql, 1, p, &r, "purge old rows", err);
	if (rc == ST_OK) {
		*n = (size_t)st_pg_changes(r);
		PQclear(r);
	}
	return rc;
}

static st_rc st_pg_purge_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_pg_purge_args *a = arg;
	char before[32], lastb[32], hash[65] = "";
	const char *p[1] = { before };
	long long last = 0;
	PGresult *r = NULL;
	size_t deleted = 0;
	sg_buf detail;
	st_rc rc;

	memset(a->n, 0, sizeof(*a->n));
	st_pg_num(before, (long long)a->before);
	if ((rc = st_pg_delete(st, "DELETE FROM outbox WHERE hold_id IN (SELECT id"
			       " FROM holds WHERE created_t < $1::bigint AND "
			       ST_PG_PURGEABLE ") OR (hold_id IS NULL AND created_t <"
			       " $1::bigint)", before, &a->n->notices, err)) != ST_OK ||
	    (rc = st_pg_delete(st, "DELETE FROM holds WHERE created_t < $1::bigint"
			       " AND " ST_PG_PURGEABLE, before, &a->n->holds,
			       err)) != ST_OK ||
	    (rc = st_pg_delete(st, "DELETE FROM delegations WHERE until_t <"
			       " $1::bigint OR (revoked_t > 0 AND revoked_t <"
			       " $1::bigint)", before, &a->n->delegations,
			       err)) != ST_OK)
		return rc;
	/* The chain's lock before its prefix is read (see above); the
	 * anchor's append takes it again (it nests). */
	if ((rc = st_pg_simple(st, "SELECT pg_advisory_xact_lock(" ST_PG_AUDIT_LOCK ")",
			       "lock the audit chain", err)) != ST_OK)
		return rc;
	/* The newest record before the cut-off ends the purged prefix. */
	rc = st_pg_exec(st, "SELECT seq, hash, (SELECT count(*) FROM audit a WHERE"
			" a.seq <= audit.seq) FROM audit WHERE seq = (SELECT max(seq)"
			" FROM audit WHERE ts_t < $1::bigint)", 1, p, &r,
			"read the audit log", err);
	if (rc != ST_OK)
		return rc;
	if (PQntuples(r) == 1) {
		last = atoll(PQgetvalue(r, 0, 0));
		snprintf(hash, sizeof(hash), "%s", PQgetvalue(r, 0, 1));
		a->n->records = (size_t)strtoull(PQgetvalue(r, 0, 2), NULL, 10);
	}
	PQclear(r);
	if (last == 0 && a->n->holds == 0 && a->n->notices == 0 && a->n->delegations == 0)
		return ST_OK;		/* nothing old: no anchor either */
	sg_buf_init(&detail, 4096);
	st_purge_detail(&detail, a->before, last, hash, a->n);
	/* The anchor is appended before the records go, so that it chains
	 * to the head like any record (the head may be among them) and
	 * keeps the numbering going. */
	rc = st_pg_append_tx(st, &(struct st_pg_append){ "purge", NULL, NULL,
		"retention", NULL, sg_buf_cstr(&detail) }, err);
	sg_buf_free(&detail);
	if (rc != ST_OK || last == 0)
		return rc;
	st_pg_num(lastb, last);
	if ((rc = st_pg_simple(st, "ALTER TABLE audit DISABLE TRIGGER audit_no_change",
			       "purge the audit log", err)) != ST_OK ||
	    (rc = st_pg_delete(st, "DELETE FROM audit WHERE seq <= $1::bigint",
			       lastb, &deleted, err)) != ST_OK ||
	    (rc = st_pg_simple(st, "ALTER TABLE audit ENABLE TRIGGER audit_no_change",
			       "purge the audit log", err)) != ST_OK)
		return rc;
	if (deleted != a->n->records) {
		st_seterr(err, "store %s: purge the audit log: %zu records deleted,"
			  " %zu counted", st->path, deleted, a->n->records);
		return ST_ERROR;
	}
	return ST_OK;
}

st_rc st_pg_purge(st_store *st, time_t before, st_purge_counts *n, sg_buf *err)
{
	st_purge_counts dummy;
	struct st_pg_purge_args a = { before, n ? n : &dummy };

	if (before <= 0) {
		st_seterr(err, "store %s: purge without a cut-off time", st->path);
		return ST_INVALID;
	}
	return st_pg_tx(st, st_pg_purge_step, &a, err);
}
