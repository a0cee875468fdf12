/*
 * NAME
 *	ctl_priv - run as the store's owner
 * DESCRIPTION
 *	Every sendguardctl subcommand that touches the store or the keys,
 *	run as root, first becomes the owner of the store file (or, before
 *	the store exists, [milter] user): a database, WAL file or key that
 *	root created would lock the milter out (ARCHITECTURE.md). The Unix
 *	user who ran the command is remembered for the audit log.
 */
#include "ctl/ctl.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char ctl_invoker[64];

const char *ctl_unix_user(void)
{
	return ctl_invoker;
}

void ctl_note_invoker(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *sudo = getenv("SUDO_USER");

	snprintf(ctl_invoker, sizeof(ctl_invoker), "%s%s%s",
		 pw ? pw->pw_name : "?", sudo && *sudo ? " via sudo by " : "",
		 sudo && *sudo ? sudo : "");
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
