/*
 * NAME
 *	st_preview - a held message's sealed preview, kept while it waits
 * SYNOPSIS
 *	#include "store/st.h"
 * DESCRIPTION
 *	Issue 18: the approver must see what leaves, but the page runs
 *	unprivileged (and maybe on another host) and cannot read the MTA's
 *	hold queue. So the milter stores a bounded preview (eng_preview.c)
 *	with the hold, sealed with AES-256-GCM (ntf_pvseal.c): the store
 *	only ever sees ciphertext, and keeps it only while the hold waits.
 *
 *	Deletion happens three ways, so that none depends on the others:
 *	the schema's triggers (st_db.c, version 3) delete a preview when
 *	its hold leaves pending/arriving or its row is deleted;
 *	st_preview_get() refuses a preview whose hold is no longer waiting
 *	or is past its expiry (a copy the triggers missed is never shown);
 *	st_preview_purge(), run by `sendguardctl expire`, deletes every
 *	preview past its expiry or without a waiting hold.
 * DIAGNOSTICS
 *	As st.h: ST_NOTFOUND (no preview to show), ST_LOST, ST_BUSY,
 *	ST_ERROR with err filled.
 */
#include "store/st_int.h"

#include <stdlib.h>
#include <string.h>

st_rc st_preview_insert_tx(st_store *st, const char *hold_id,
			   const char *sealed, time_t created_t,
			   time_t expires_t, sg_buf *err)
{
	sqlite3_stmt *s = st_prepare(st, st->db, "INSERT INTO previews (hold_id,"
				     " sealed, created_t, expires_t) VALUES (?,?,?,?)",
				     err);
	st_rc rc = ST_OK;

	if (s == NULL)
		return ST_ERROR;
	st_bind_text(s, 1, hold_id);
	st_bind_text(s, 2, sealed);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)created_t);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)expires_t);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = st_sqlerr(st, st->db, "insert preview", err);
	sqlite3_finalize(s);
	return rc;
}

/* Reads under the handle's mutex, like st_hold_get(). */
st_rc st_sql_preview_get(st_store *st, const char *id, time_t now, char **out,
		     sg_buf *err)
{
	sqlite3_stmt *s;
	st_rc rc = ST_OK;
	int step;

	*out = NULL;
	pthread_mutex_lock(&st->mu);
	if ((rc = st_check(st, st->db, err)) != ST_OK) {
		pthread_mutex_unlock(&st->mu);
		return rc;
	}
	s = st_prepare(st, st->db, "SELECT p.sealed FROM previews p JOIN holds h"
		       " ON h.id = p.hold_id WHERE p.hold_id = ?1"
		       " AND h.status IN ('pending', 'arriving')"
		       " AND (p.expires_t = 0 OR p.expires_t > ?2)", err);
	if (s == NULL) {
		pthread_mutex_unlock(&st->mu);
		return ST_ERROR;
	}
	st_bind_text(s, 1, id ? id : "");
	sqlite3_bind_int64(s, 2, (sqlite3_int64)now);
	if ((step = sqlite3_step(s)) == SQLITE_ROW)
		*out = st_col_dup(s, 0);
	else if (step == SQLITE_DONE) {
		st_seterr(err, "store %s: no preview for hold %s", st->path, id ? id : "");
		rc = ST_NOTFOUND;
	} else
		rc = st_sqlerr(st, st->db, "read preview", err);
	sqlite3_finalize(s);
	pthread_mutex_unlock(&st->mu);
	if (rc == ST_OK && *out == NULL)
		rc = ST_NOTFOUND;
	return rc;
}

struct st_purge {
	time_t now;
	size_t n;
};

static st_rc st_purge_step(st_store *st, void *arg, sg_buf *err)
{
	struct st_purge *p = arg;
	sqlite3_stmt *s = st_prepare(st, st->db, "DELETE FROM previews WHERE"
		" (expires_t != 0 AND expires_t <= ?1) OR hold_id NOT IN"
		" (SELECT id FROM holds WHERE status IN ('pending', 'arriving'))",
		err);
	st_rc rc = ST_OK;

	if (s == NULL)
		return ST_ERROR;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)p->now);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = st_sqlerr(st, st->db, "purge previews", err);
	else
		p->n = (size_t)sqlite3_changes(st->db);
	sqlite3_finalize(s);
	return rc;
}

st_rc st_sql_preview_purge(st_store *st, time_t now, size_t *n, sg_buf *err)
{
	struct st_purge p = { now, 0 };
	st_rc rc = st_tx(st, st_purge_step, &p, err);

	if (n != NULL)
		*n = rc == ST_OK ? p.n : 0;
	return rc;
}

st_rc st_sql_preview_count(st_store *st, size_t *n, sg_buf *err)
{
	sqlite3_stmt *s;
	st_rc rc = ST_OK;

	*n = 0;
	pthread_mutex_lock(&st->mu);
	if ((rc = st_check(st, st->db, err)) != ST_OK) {
		pthread_mutex_unlock(&st->mu);
		return rc;
	}
	if ((s = st_prepare(st, st->db, "SELECT count(*) FROM previews", err)) == NULL) {
		pthread_mutex_unlock(&st->mu);
		return ST_ERROR;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		*n = (size_t)sqlite3_column_int64(s, 0);
	else
		rc = st_sqlerr(st, st->db, "count previews", err);
	sqlite3_finalize(s);
	pthread_mutex_unlock(&st->mu);
	return rc;
}
