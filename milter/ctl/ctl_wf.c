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
 *	keys, recorded in the store's outbox (one of a kind per hold and
 *	person: expire and apply cannot both send "expired") and sent by
 *	whichever drainer comes first: the command itself before it ends,
 *	or the milter's notifier thread. Each is audited once, when sent.
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
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* How long apply and expire spend sending notices before they end. */
#define CTL_DRAIN_SECONDS 60

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
static st_store *ctl_store_open(const char *cmd, const sg_conf *conf,
				 const char *path, int *ex)
{
	st_config sc = { sg_conf_str(conf, "store", "backend"), path,
			 sg_conf_str(conf, "store", "dsn"),
			 SG_CONF_STR(conf, store_gateway) };
	struct stat sb;
	sg_buf err;
	st_store *st;
	int e;

	sg_buf_init(&err, 4096);
	st = st_open_config(&sc, &err);
	if (st == NULL) {
		e = stat(path, &sb) < 0 ? errno : 0;
		fprintf(stderr, "sendguardctl %s: cannot open the store: %s\n", cmd,
			sg_buf_cstr(&err));
		*ex = strcmp(sg_conf_str(conf, "store", "backend"), "sqlite") != 0
		      ? CTL_EX_CONFIG : e == ENOENT ? CTL_EX_NOINPUT
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
	st = ctl_store_open(cmd, conf, path, ex);
	free(path);
	return st;
}

st_store *ctl_store_as_root(const char *cmd, const sg_conf *conf, int *ex)
{
	char *path = sg_conf_path(conf, "store", "path");
	st_store *st;

	ctl_note_invoker();
	st = ctl_store_open(cmd, conf, path, ex);
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
	eng_engine *eng;	/* internal_domains: who may get a notice */
	rel_notifier *notifier;
	bool to_sender, to_approvers;
	bool later;		/* record who gets what only; the milter's
				 * notifier builds and sends (apply --daemon
				 * renders nothing as root) */
};

void ctl_notices_later(ctl_notices *n)
{
	if (n != NULL)
		n->later = true;
}

static void ctl_notice_log(int prio, const char *msg, void *ctx)
{
	(void)ctx;
	fprintf(prio <= LOG_WARNING ? stderr : stdout, "%s%s\n",
		prio <= LOG_WARNING ? "sendguardctl: " : "", msg);
}

ctl_notices *ctl_notices_new(const sg_conf *conf, const char *actor, sg_buf *err)
{
	ctl_notices *n = sg_xcalloc(1, sizeof(*n));
	char *dir = sg_conf_path(conf, "keys", "dir");

	n->to_sender = sg_conf_bool(conf, "notify", "notify_sender");
	n->to_approvers = sg_conf_bool(conf, "notify", "notify_approvers");
	n->keys = ntf_keys_load(dir, err);
	free(dir);
	if (n->keys != NULL)
		n->ntf = ntf_ctx_new(conf, n->keys, err);
	if (n->ntf != NULL)
		n->eng = eng_engine_new(conf, err);
	if (n->eng != NULL)
		n->notifier = rel_notifier_new(conf, n->ntf, actor, ctl_notice_log,
					       NULL, err);
	if (n->notifier == NULL) {
		ctl_notices_free(n);
		return NULL;
	}
	return n;
}

void ctl_notices_free(ctl_notices *n)
{
	if (n == NULL)
		return;
	rel_notifier_free(n->notifier);
	eng_engine_free(n->eng);
	ntf_ctx_free(n->ntf);
	ntf_keys_free(n->keys);
	free(n);
}

/* Records the notices in the outbox; ctl_notices_drain() sends them
 * (and whatever else is due) before the command ends. */
void ctl_notice(ctl_notices *n, st_store *st, const st_hold *h, ntf_kind kind)
{
	ntf_hold_view v;
	rel_nlist l;
	sg_buf err;
	time_t now = time(NULL);

	if (n == NULL)
		return;
	sg_buf_init(&err, 4096);
	rel_nlist_init(&l);
	rel_view_from_hold(&v, h);
	if (n->later) {
		if (kind == NTF_APPROVAL_REMINDER)
			for (size_t i = 0; n->to_approvers && i < h->napprovers; i++)
				rel_nlist_add_later(&l, n->eng, n->ntf, kind, h->approvers[i]);
		else if (n->to_sender && h->sender)
			rel_nlist_add_later(&l, n->eng, n->ntf, kind, h->sender);
	} else if (kind == NTF_APPROVAL_REMINDER) {
		for (size_t i = 0; n->to_approvers && i < h->napprovers; i++)
			if (rel_nlist_add(&l, n->eng, n->ntf, kind, &v, h->approvers[i],
					  now, &err) < 0)
				fprintf(stderr, "sendguardctl: hold %s: %s\n", h->id,
					sg_buf_cstr(&err));
	} else if (n->to_sender && h->sender &&
		   rel_nlist_add(&l, n->eng, n->ntf, kind, &v, h->sender, now,
				 &err) < 0) {
		fprintf(stderr, "sendguardctl: hold %s: %s\n", h->id, sg_buf_cstr(&err));
	}
	if (l.refused)
		printf("hold %s: no %s notice to %s: not an internal address\n", h->id,
		       ntf_kind_name(kind), kind == NTF_APPROVAL_REMINDER ?
		       "an approver" : (h->sender && *h->sender ? h->sender : "<>"));
	sg_buf_reset(&err);
	if (l.n && st_outbox_add(st, h->id, h->queue_id, l.v, l.n, &err) != ST_OK)
		fprintf(stderr, "sendguardctl: hold %s: %s notice not recorded: %s\n",
			h->id, ntf_kind_name(kind), sg_buf_cstr(&err));
	rel_nlist_free(&l);
	ntf_view_free(&v);
	sg_buf_free(&err);
}

void ctl_notice_sent(ctl_notices *n, st_store *st, const st_hold *h)
{
	bool later;

	if (n == NULL)
		return;
	/* Recorded without content whatever the caller: apply runs as
	 * root, and the milter's notifier (unprivileged) builds it from
	 * the stored hold when it sends it. */
	later = n->later;
	n->later = true;
	ctl_notice(n, st, h, NTF_SENT_SENDER);
	n->later = later;
}

/* One notice of `kind` to `to` (an escalation address), recorded in
 * the outbox like the others. */
void ctl_notice_to(ctl_notices *n, st_store *st, const st_hold *h, ntf_kind kind,
		   const char *to)
{
	ntf_hold_view v;
	rel_nlist l;
	sg_buf err;

	if (n == NULL || to == NULL)
		return;
	sg_buf_init(&err, 4096);
	rel_nlist_init(&l);
	rel_view_from_hold(&v, h);
	if (n->later)
		rel_nlist_add_later(&l, n->eng, n->ntf, kind, to);
	else if (rel_nlist_add(&l, n->eng, n->ntf, kind, &v, to, time(NULL), &err) < 0)
		fprintf(stderr, "sendguardctl: hold %s: %s\n", h->id, sg_buf_cstr(&err));
	if (l.refused)
		printf("hold %s: no %s notice to %s: not an internal address\n", h->id,
		       ntf_kind_name(kind), to);
	sg_buf_reset(&err);
	if (l.n && st_outbox_add(st, h->id, h->queue_id, l.v, l.n, &err) != ST_OK)
		fprintf(stderr, "sendguardctl: hold %s: %s notice not recorded: %s\n",
			h->id, ntf_kind_name(kind), sg_buf_cstr(&err));
	rel_nlist_free(&l);
	ntf_view_free(&v);
	sg_buf_free(&err);
}

void ctl_notices_requests(ctl_notices *n, char *const *approvers, size_t napprovers,
			  rel_nlist *out)
{
	for (size_t i = 0; n != NULL && n->to_approvers && i < napprovers; i++)
		rel_nlist_add_later(out, n->eng, n->ntf, NTF_APPROVAL_REQUEST, approvers[i]);
}

int ctl_notice_text(ctl_notices *n, const char *kind, const char *to,
		    const char *subject, const char *text, st_notice_new *out,
		    sg_buf *err)
{
	sg_buf head, body, msgid;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!rel_notice_allowed(n->eng, to))
		return 0;
	sg_buf_init(&head, 1u << 20);
	sg_buf_init(&body, 1u << 21);
	sg_buf_init(&msgid, 512);
	rc = ntf_build_text_notice(n->ntf, to, subject, text, &head, &body, &msgid, err);
	if (rc == 0) {
		out->kind = sg_xstrdup(kind);
		out->rcpt = sg_xstrdup(to);
		out->message_id = sg_buf_steal(&msgid);
		out->head = sg_buf_steal(&head);
		out->body = sg_buf_steal(&body);
	}
	sg_buf_free(&head);
	sg_buf_free(&body);
	sg_buf_free(&msgid);
	return rc == 0 ? 1 : -1;
}

size_t ctl_notices_drain(ctl_notices *n, st_store *st)
{
	return n ? rel_notifier_drain_for(n->notifier, st, CTL_DRAIN_SECONDS) : 0;
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
