/*
 * NAME
 *	ctl_wf - what the hold-administration commands share: opening the
 *	store with the right privileges, the apply lock, outcome notices
 * DESCRIPTION
 *	Two ways to open the store (ARCHITECTURE.md, least privilege):
 *
 *	ctl_store_as_owner(): every command but apply and reconcile. Run
 *	as root, it first becomes the store's owner, so that nothing it
 *	writes (database, -wal, -shm) can end up owned by root and lock
 *	the milter out.
 *
 *	ctl_store_as_root(): apply and reconcile keep root for postsuper.
 *	No command creates the store by opening it (st_open never does;
 *	only `store init`, ctl_store.c, as the store's owner). When root
 *	writes an existing database, SQLite's unix VFS gives a -wal or
 *	-shm file it creates the database file's owner (os_unix.c,
 *	robustFchown; checked on Debian 12's SQLite 3.40: a root write to
 *	a nobody-owned WAL database left nobody-owned -wal and -shm).
 *	ctl_store_close() checks that after closing and repairs it if a
 *	future SQLite behaved otherwise, so the milter never meets a
 *	root-owned -wal or -shm.
 *
 *	The apply lock is an flock(2) on "<store>.apply.lock", next to the
 *	store: apply and reconcile hold it for their whole run, so that
 *	two runs (a timer and an administrator) never act on one queue
 *	file at once. The store's own transactions make each record
 *	atomic; the lock makes "queue action then record" one step.
 *
 *	Notices: outcome notices to the sender (approved, rejected,
 *	withdrawn, expired) and reminders to the approvers, built from the
 *	stored hold (rel_view_from_hold) with the milter's templates and
 *	keys, submitted through [notify] sendmail, each recorded in the
 *	audit log like the milter's (event notice / notice-failed).
 * DIAGNOSTICS
 *	Messages on stderr, prefixed "sendguardctl CMD:".
 */
#include "ctl/ctl.h"
#include "util/sg_json.h"
#include "util/sg_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CTL_SUBMIT_TIMEOUT 60

int ctl_exit_of(rel_rc rc)
{
	switch (rc) {
	case REL_OK:
		return 0;
	case REL_REFUSED:
		return CTL_EX_REFUSED;
	case REL_NOTFOUND:
		return CTL_EX_NOINPUT;
	case REL_BUSY:
		return CTL_EX_TEMPFAIL;
	case REL_INVALID:
		return CTL_EX_USAGE;
	default:
		return CTL_EX_SOFTWARE;
	}
}

/* No command but `store init` creates the store (st_open never does):
 * a missing store is 66, one that cannot be read (empty, not a store,
 * damaged) 70, permission 77. */
static st_store *ctl_store_open(const char *cmd, const char *path, int *ex)
{
	struct stat sb;
	sg_buf err;
	st_store *st;
	int e;

	sg_buf_init(&err, 4096);
	st = st_open(path, &err);
	if (st == NULL) {
		e = stat(path, &sb) < 0 ? errno : 0;
		fprintf(stderr, "sendguardctl %s: cannot open the store: %s\n", cmd,
			sg_buf_cstr(&err));
		*ex = e == ENOENT ? CTL_EX_NOINPUT
		    : e == 0 && access(path, R_OK | W_OK) < 0 && errno == EACCES
		      ? CTL_EX_NOPERM : CTL_EX_SOFTWARE;
	}
	sg_buf_free(&err);
	return st;
}

st_store *ctl_store_as_owner(const char *cmd, const sg_conf *conf, int *ex)
{
	char *path;
	st_store *st;

	if (ctl_become_store_owner(conf) < 0) {
		*ex = CTL_EX_NOPERM;
		return NULL;
	}
	path = sg_conf_path(conf, "store", "path");
	st = ctl_store_open(cmd, path, ex);
	free(path);
	return st;
}

st_store *ctl_store_as_root(const char *cmd, const sg_conf *conf, int *ex)
{
	char *path = sg_conf_path(conf, "store", "path");
	st_store *st;

	ctl_note_invoker();
	st = ctl_store_open(cmd, path, ex);
	free(path);
	return st;
}

/* Gives path to uid:gid if root made it; no-op when it does not exist. */
static void ctl_fix_owner(const char *path, const struct stat *db)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (sb.st_uid != db->st_uid || sb.st_gid != db->st_gid) &&
	    fchown(fd, db->st_uid, db->st_gid) < 0)
		fprintf(stderr, "sendguardctl: warning: cannot give %s to the store's"
			" owner: %s\n", path, strerror(errno));
	close(fd);
}

void ctl_store_close(st_store *st, const sg_conf *conf)
{
	char *path = sg_conf_path(conf, "store", "path");
	char side[4096];
	struct stat db;

	st_close(st);
	if (geteuid() == 0 && stat(path, &db) == 0 && db.st_uid != 0) {
		snprintf(side, sizeof(side), "%s-wal", path);
		ctl_fix_owner(side, &db);
		snprintf(side, sizeof(side), "%s-shm", path);
		ctl_fix_owner(side, &db);
	}
	free(path);
}

int ctl_lock_apply(const char *cmd, const sg_conf *conf, int wait_s)
{
	char *store = sg_conf_path(conf, "store", "path");
	char path[4096];
	struct stat db;
	int fd;

	snprintf(path, sizeof(path), "%s.apply.lock", store);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0 && geteuid() == 0 && stat(store, &db) == 0 &&
	    fchown(fd, db.st_uid, db.st_gid) < 0)
		fprintf(stderr, "sendguardctl %s: warning: chown %s: %s\n", cmd, path,
			strerror(errno));
	free(store);
	if (fd < 0) {
		fprintf(stderr, "sendguardctl %s: cannot open %s: %s\n", cmd, path,
			strerror(errno));
		return -1;
	}
	for (int i = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
		struct timespec ts = { 0, 200 * 1000000L };

		if (errno != EWOULDBLOCK || i >= wait_s * 5) {
			fprintf(stderr, "sendguardctl %s: another apply or reconcile holds"
				" %s: try again later / 実行中のため後で再実行してください\n",
				cmd, path);
			close(fd);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	return fd;
}

/* ----------------------------------------------------------- notices */

struct ctl_notices {
	ntf_keys *keys;
	ntf_ctx *ntf;
	bool to_sender, to_approvers;
};

ctl_notices *ctl_notices_new(const sg_conf *conf, sg_buf *err)
{
	ctl_notices *n = sg_xcalloc(1, sizeof(*n));
	char *dir = sg_conf_path(conf, "keys", "dir");

	n->to_sender = sg_conf_bool(conf, "notify", "notify_sender");
	n->to_approvers = sg_conf_bool(conf, "notify", "notify_approvers");
	n->keys = ntf_keys_load(dir, err);
	free(dir);
	if (n->keys != NULL)
		n->ntf = ntf_ctx_new(conf, n->keys, err);
	if (n->ntf == NULL) {
		ctl_notices_free(n);
		return NULL;
	}
	return n;
}

void ctl_notices_free(ctl_notices *n)
{
	if (n == NULL)
		return;
	ntf_ctx_free(n->ntf);
	ntf_keys_free(n->keys);
	free(n);
}

static void ctl_record_notice(st_store *st, const st_hold *h, ntf_kind kind,
			      const char *to, const char *error)
{
	sg_buf d, err;

	sg_buf_init(&d, 8192);
	sg_buf_init(&err, 4096);
	sg_buf_puts(&d, "{\"kind\":");
	sg_json_str(&d, ntf_kind_name(kind));
	sg_buf_puts(&d, ",\"to\":");
	sg_json_str(&d, to);
	sg_buf_puts(&d, ",\"error\":");
	sg_json_str(&d, error);
	sg_buf_putc(&d, '}');
	if (st_audit_append(st, error ? "notice-failed" : "notice", h->id, h->queue_id,
			    "sendguardctl", ctl_unix_user(), sg_buf_cstr(&d),
			    &err) != ST_OK)
		fprintf(stderr, "sendguardctl: cannot record a notice: %s\n",
			sg_buf_cstr(&err));
	sg_buf_free(&d);
	sg_buf_free(&err);
}

static void ctl_send(ctl_notices *n, st_store *st, const st_hold *h,
		     const ntf_hold_view *v, ntf_kind kind, const char *to)
{
	sg_buf msg, err;
	const char *rcpt[1] = { to };
	ntf_submit_result r = NTF_SUBMIT_USAGE;

	sg_buf_init(&msg, SG_BUF_UNLIMITED);
	sg_buf_init(&err, 4096);
	if (ntf_build_message(n->ntf, kind, v, to, time(NULL), &msg, &err) == 0)
		r = ntf_submit(ntf_ctx_sendmail(n->ntf), ntf_ctx_from(n->ntf), rcpt, 1,
			       msg.data, msg.len, CTL_SUBMIT_TIMEOUT, NULL, &err);
	if (r != NTF_SUBMIT_OK)
		fprintf(stderr, "sendguardctl: hold %s: %s notice to %s not sent: %s\n",
			h->id, ntf_kind_name(kind), to, sg_buf_cstr(&err));
	ctl_record_notice(st, h, kind, to, r == NTF_SUBMIT_OK ? NULL : sg_buf_cstr(&err));
	sg_buf_free(&msg);
	sg_buf_free(&err);
}

void ctl_notice(ctl_notices *n, st_store *st, const st_hold *h, ntf_kind kind)
{
	ntf_hold_view v;

	if (n == NULL)
		return;
	rel_view_from_hold(&v, h);
	if (kind == NTF_APPROVAL_REMINDER) {
		for (size_t i = 0; n->to_approvers && i < h->napprovers; i++)
			ctl_send(n, st, h, &v, kind, h->approvers[i]);
	} else if (n->to_sender && h->sender && *h->sender) {
		ctl_send(n, st, h, &v, kind, h->sender);
	}
	ntf_view_free(&v);
}

ntf_kind ctl_outcome_kind(st_status s)
{
	switch (s) {
	case ST_APPROVED:
		return NTF_APPROVED_SENDER;
	case ST_REJECTED:
		return NTF_REJECTED_SENDER;
	case ST_EXPIRED:
		return NTF_EXPIRED_SENDER;
	default:
		return NTF_WITHDRAWN_SENDER;
	}
}

/* Options with a value (names, vals), flags (flags, set) and positional
 * arguments (pos); returns how many positional arguments, -1 after a
 * usage message. */
int ctl_parse_args(const char *cmd, int argc, char **argv, const ctl_argspec *spec)
{
	size_t ip = 0, k;

	for (int i = 0; i < argc; i++) {
		for (k = 0; k < spec->nopts && strcmp(argv[i], spec->opts[k]) != 0; k++)
			;
		if (k < spec->nopts && i + 1 < argc) {
			spec->vals[k] = argv[++i];
			continue;
		}
		for (k = 0; k < spec->nflags && strcmp(argv[i], spec->flags[k]) != 0; k++)
			;
		if (k < spec->nflags) {
			spec->set[k] = true;
		} else if (argv[i][0] != '-' && ip < spec->npos) {
			spec->pos[ip++] = argv[i];
		} else {
			fprintf(stderr, "sendguardctl %s: unknown option, missing value or"
				" extra argument: %s (see sendguardctl %s --help)\n",
				cmd, argv[i], cmd);
			return -1;
		}
	}
	return (int)ip;
}
