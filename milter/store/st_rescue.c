/*
 * NAME
 *	st_rescue - save what a process still has of a store deleted or
 *	replaced under it
 * DESCRIPTION
 *	A store file deleted (or moved away and another put in its place)
 *	while a process has it open is gone for everyone else, but that
 *	process's connection still reads the old file and its WAL: every
 *	hold, decision, approval and audit record up to the loss. When the
 *	loss is first seen (st_db.c, st_check_file), st_rescue_copy copies
 *	it, through that connection, with SQLite's online backup, into a
 *	new file next to the path: PATH.rescued-YYYYMMDDTHHMMSSZ-PID. Moved
 *	back to PATH by an administrator (README: when the store is lost),
 *	it is the store as it was, decisions and audit chain included;
 *	otherwise `store init` and `reconcile --rebuild` recreate only the
 *	pending holds. Best effort: a failure leaves no partial file and
 *	says why; the loss is reported either way.
 *
 *	Mode 0600, made with O_EXCL before SQLite opens it (SQLite would
 *	create it 0644 less the umask). Never over an existing file.
 */
#include "store/st_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The whole copy in one step: the source is ours and nobody else
 * writes it any more (the file is gone from the path). */
static int st_rescue_backup(sqlite3 *src, const char *to, sg_buf *why)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc;

	if (sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sg_buf_printf(why, "open %s: %s", to, dst ? sqlite3_errmsg(dst) : "out of memory");
		sqlite3_close(dst);
		return -1;
	}
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		sg_buf_printf(why, "backup: %s", sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return -1;
	}
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		sg_buf_printf(why, "backup: %s", sqlite3_errstr(rc));
		sqlite3_close(dst);
		return -1;
	}
	/* The copy is a WAL database like its source: fold its WAL in,
	 * so that the one file is the whole store when moved. */
	if (sqlite3_wal_checkpoint_v2(dst, NULL, SQLITE_CHECKPOINT_TRUNCATE,
				      NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		sg_buf_printf(why, "finish the copy: %s", sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return -1;
	}
	if (sqlite3_close(dst) != SQLITE_OK) {
		sg_buf_printf(why, "close %s", to);
		return -1;
	}
	return 0;
}

int st_rescue_copy(st_store *st, sg_buf *saved)
{
	char to[PATH_MAX], side[PATH_MAX + 16], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int fd, n;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	n = snprintf(to, sizeof(to), "%s.rescued-%s-%ld", st->path, stamp, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(to)) {
		sg_buf_puts(saved, "the path is too long for a copy beside it");
		return -1;
	}
	if ((fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		sg_buf_printf(saved, "create %s: %s", to, strerror(errno));
		return -1;
	}
	close(fd);
	if (st_rescue_backup(st->db, to, saved) < 0) {
		unlink(to);
		for (const char *const *sfx = (const char *const[]){ "-wal", "-shm",
		     "-journal", NULL }; *sfx; sfx++) {
			snprintf(side, sizeof(side), "%s%s", to, *sfx);
			unlink(side);
		}
		return -1;
	}
	sg_buf_puts(saved, to);
	return 0;
}
