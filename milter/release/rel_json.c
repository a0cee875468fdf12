/*
 * NAME
 *	rel_json - read the JSON arrays a hold stores
 * SYNOPSIS
 *	#include "release/rel.h"
 * DESCRIPTION
 *	Findings, attachments (with archive entries) and `postqueue -j`
 *	lines are JSON. The store builds and reads its JSON with SQLite's
 *	JSON functions; this file reads them the same way, through a
 *	private in-memory connection, so that both sides agree on every
 *	escape and number without a second parser in the tree.
 * DIAGNOSTICS
 *	rel_json_each() returns the number of elements visited, or -1 when
 *	the text is not valid JSON (or SQLite fails).
 */
#include "release/rel.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#define REL_JSON_KEYS 16

static sqlite3_stmt *rel_json_prepare(sqlite3 *db, size_t nkeys)
{
	sg_buf sql;
	sqlite3_stmt *s = NULL;

	/* 16 keys need about 1,100 bytes: the statement grows in an sg_buf
	 * (a fixed 1 KiB buffer once cut the statement short). */
	sg_buf_init(&sql, SG_BUF_UNLIMITED);
	sg_buf_puts(&sql, "SELECT CASE WHEN type IN ('object','array') THEN"
			  " json(value) ELSE value END");
	for (size_t i = 0; i < nkeys; i++)
		sg_buf_printf(&sql, ", CASE WHEN type = 'object' THEN"
			      " json_extract(value, ?%zu) END", i + 2);
	sg_buf_puts(&sql, " FROM json_each(?1)");
	if (sqlite3_prepare_v2(db, sg_buf_cstr(&sql), -1, &s, NULL) != SQLITE_OK)
		s = NULL;
	sg_buf_free(&sql);
	return s;
}

static int rel_json_bind(sqlite3_stmt *s, const char *json,
			 const char *const *keys, size_t nkeys)
{
	sg_buf path;
	int rc = 0;

	if (sqlite3_bind_text(s, 1, json, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		return -1;
	sg_buf_init(&path, SG_BUF_UNLIMITED);
	for (size_t i = 0; i < nkeys && rc == 0; i++) {
		sg_buf_reset(&path);
		sg_buf_printf(&path, "$.\"%s\"", keys[i]);
		if (sqlite3_bind_text(s, (int)i + 2, sg_buf_cstr(&path), -1,
				      SQLITE_TRANSIENT) != SQLITE_OK)
			rc = -1;
	}
	sg_buf_free(&path);
	return rc;
}

static int rel_json_rows(sqlite3_stmt *s, size_t nkeys, size_t max,
			 rel_json_cb cb, void *ctx)
{
	const char *vals[REL_JSON_KEYS];
	int n = 0, step;

	while ((size_t)n < max && (step = sqlite3_step(s)) == SQLITE_ROW) {
		for (size_t i = 0; i < nkeys; i++)
			vals[i] = (const char *)sqlite3_column_text(s, (int)i + 1);
		cb(vals, (const char *)sqlite3_column_text(s, 0), ctx);
		n++;
	}
	return n;
}

int rel_json_each(const char *json, const char *const *keys, size_t nkeys,
		  size_t max, rel_json_cb cb, void *ctx)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int n = -1;

	if (json == NULL || nkeys > REL_JSON_KEYS)
		return json == NULL ? 0 : -1;
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	s = rel_json_prepare(db, nkeys);
	if (s != NULL && rel_json_bind(s, json, keys, nkeys) == 0) {
		sqlite3_stmt *v = NULL;

		/* json_each of invalid text is an SQL error; ask first. */
		if (sqlite3_prepare_v2(db, "SELECT json_valid(?1)", -1, &v, NULL) == SQLITE_OK &&
		    sqlite3_bind_text(v, 1, json, -1, SQLITE_STATIC) == SQLITE_OK &&
		    sqlite3_step(v) == SQLITE_ROW && sqlite3_column_int(v, 0) == 1)
			n = rel_json_rows(s, nkeys, max, cb, ctx);
		sqlite3_finalize(v);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}
