/*
 * NAME
 *	ctl_priv - run as the store's owner
 * DESCRIPTION
 *	Every sendguardctl subcommand that touches the store or the keys,
 *	run as root, first becomes the owner of the store file (or, before
 *	the store exists, [milter] user): a database, WAL file or key that
 *	root created would lock the milter out (ARCHITECTURE.md). The Unix
 *	user who ran the command (real uid) is remembered for the audit
 *	log, with any SUDO_USER/SUDO_UID beside it as a claim.
 *
 *	Decisions from the command line (approve, reject, withdraw) are
 *	administrators' decisions: only root and the store's owner may
 *	record one (ctl_may_administer), and it is recorded as
 *	"administrator USER on behalf of X" (issue 14).
 */
#include "ctl/ctl.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char ctl_invoker[256];
static char ctl_admin[64];

const char *ctl_unix_user(void)
{
	return ctl_invoker;
}

const char *ctl_admin_name(void)
{
	return ctl_admin;
}

/* An environment variable is whatever the caller typed: keep what a
 * user or uid name may hold, bounded, so that a claim can never forge
 * a second field of the audit record. */
static void ctl_claim(sg_buf *b, const char *name)
{
	const char *v = getenv(name);
	size_t n = 0;

	if (v == NULL || *v == '\0')
		return;
	sg_buf_printf(b, "%s%s=", b->len ? ", " : "", name);
	for (; *v && n < 32; v++, n++)
		sg_buf_putc(b, (isalnum((unsigned char)*v) || strchr("._-@+", *v)) ? *v : '?');
	if (*v)
		sg_buf_puts(b, "...");
}

/* The real uid decides who ran the command: the administrator of
 * record. SUDO_USER and SUDO_UID come from the environment, which
 * whoever runs the command (root included) sets at will, so they are
 * written beside the real uid as claims, never instead of it. */
void ctl_note_invoker(void)
{
	uid_t uid = getuid();
	struct passwd *pw = getpwuid(uid);
	sg_buf claims;

	if (pw != NULL && pw->pw_name[0] != '\0')
		snprintf(ctl_admin, sizeof(ctl_admin), "%s", pw->pw_name);
	else
		snprintf(ctl_admin, sizeof(ctl_admin), "uid %lu", (unsigned long)uid);
	sg_buf_init(&claims, 512);
	ctl_claim(&claims, "SUDO_USER");
	ctl_claim(&claims, "SUDO_UID");
	snprintf(ctl_invoker, sizeof(ctl_invoker), "%s (uid %lu%s%s)", ctl_admin,
		 (unsigned long)uid, claims.len ? "; claimed by the environment: " : "",
		 sg_buf_cstr(&claims));
	sg_buf_free(&claims);
}

int ctl_may_administer(const char *cmd, const sg_conf *conf)
{
	char *store = sg_conf_path(conf, "store", "path");
	uid_t uid = getuid(), owner;
	struct passwd *pw;
	struct stat sb;
	bool known = true;

	if (stat(store, &sb) == 0)
		owner = sb.st_uid;
	else if ((pw = getpwnam(sg_conf_str(conf, "milter", "user"))) != NULL)
		owner = pw->pw_uid;
	else
		known = false;
	free(store);
	if (uid == 0 || (known && uid == owner))
		return 0;
	fprintf(stderr, "sendguardctl %s: refused / 拒否: 判断を記録できるのは root と"
		"サービスユーザーだけです。承認者は承認ページ (署名付きリンク) で判断してください。"
		" Only root and the store's owner (the service user) may record a"
		" decision from the command line; it is then an administrator's"
		" decision. Approvers decide on the approval page, whose signed"
		" links prove who they are.\n", cmd);
	return -1;
}

int ctl_become_store_owner(const sg_conf *conf)
{
	char *store = sg_conf_path(conf, "store", "path");
	struct stat st;
	uid_t uid;
	gid_t gid;
	const char *name = NULL;
	struct passwd *pw;

	ctl_note_invoker();
	if (geteuid() != 0) {
		free(store);
		return 0;
	}
	if (stat(store, &st) == 0) {
		uid = st.st_uid;
		gid = st.st_gid;
		pw = getpwuid(uid);
		name = pw ? pw->pw_name : NULL;
	} else if ((pw = getpwnam(sg_conf_str(conf, "milter", "user"))) != NULL) {
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		name = pw->pw_name;
	} else {
		fprintf(stderr, "sendguardctl: %s does not exist and [milter] user %s "
			"is unknown: create the user first (make install does)\n",
			store, sg_conf_str(conf, "milter", "user"));
		free(store);
		return -1;
	}
	free(store);
	if (uid == 0)
		return 0;
	if ((name ? initgroups(name, gid) : setgroups(0, NULL)) < 0 ||
	    setgid(gid) < 0 || setuid(uid) < 0) {
		fprintf(stderr, "sendguardctl: cannot switch to the store owner: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}
