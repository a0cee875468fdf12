/*
 * NAME
 *	ctl_doctor - `sendguardctl doctor`: verify a deployment
 * SYNOPSIS
 *	sendguardctl [-c CONF] doctor [--no-mail] [--notice-to ADDR]
 * DESCRIPTION
 *	What an administrator runs after installing (README, "verify your
 *	deployment"). Each check prints one line, "ok   WHAT" or
 *	"FAIL WHAT: why and what to change" (or "skip WHAT: why"), so
 *	that every problem is named at once rather than one per run:
 *
 *	- the milter socket: it exists, is not world-writable, Postfix's
 *	  user can connect to it, and smtpd_milters / non_smtpd_milters
 *	  name that very socket as smtpd and cleanup see it (chrooted in
 *	  queue_directory when master.cf says so, where a relative
 *	  unix:sendguard/milter.sock is what works);
 *	- the Postfix parameters sendguard relies on, read with
 *	  `postconf -c [release] postfix_config_dir`: milter_default_action
 *	  = tempfail, milter_protocol = 6, enable_long_queue_ids,
 *	  header_size_limit and message_size_limit within [limits],
 *	  smtpd_sender_login_maps with reject_sender_login_mismatch (the
 *	  sender is who logged in), recipient_delimiter as [policy] strips
 *	  it, Postfix's own mail kept out of the milter (a held bounce
 *	  would notify, and the notice bounce: a loop), and no master.cf
 *	  service that drops the milter without re-injecting its mail;
 *	- the store and the keys belong to [milter] user and nobody else
 *	  reads them; as that user, the rules, templates and keys load and
 *	  the store opens (PostgreSQL: it connects and reads the schema
 *	  version, and the password file, passfile= or ~/.pgpass, is
 *	  readable by its owner only: libpq ignores one that is not);
 *	- a notice submission test: a signed notice to [notify] from (or
 *	  --notice-to) by [notify] smtp (or, when that is empty, [notify]
 *	  sendmail), as the notifier sends it (--no-mail skips it);
 *	- where systemd runs: the units are enabled, and the milter unit
 *	  does not combine NoNewPrivileges with notices by a sendmail that
 *	  needs the setgid postdrop, nor (backend postfix) with a [milter]
 *	  user outside group postdrop, for whom postqueue -j fails;
 *	- as [milter] user, the MTA's queue lists through the release
 *	  backend (the notifier confirms holds so, issue 15).
 *	Run it as root: the socket test connects as Postfix's mail_owner
 *	and the loading tests run as [milter] user.
 * DIAGNOSTICS
 *	Exit 0 when every check passed, 1 when any failed (one FAIL line
 *	per problem), 78 when the configuration does not load, 64 usage.
 */
#include "ctl/ctl.h"
#include "engine/eng.h"
#include "notify/ntf.h"
#include "util/sg_buf.h"
#include "util/sg_dsn.h"
#include "util/sg_mem.h"

#include <dirent.h>
#include <errno.h>
#include <arpa/inet.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DR_OUT_MAX (256 * 1024)	/* postconf -M / -P output */
#define DR_LIST_MAX 64		/* entries of a milter list we look at */

typedef struct ctl_dr {
	const sg_conf *conf;
	const char *pfdir;
	int problems;
	bool root;
	bool no_postconf;	/* postconf failed once: said once */
	bool store_bad;		/* ownership said: do not say it again */
	char *queue_dir;	/* Postfix queue_directory */
	char *notice_svc;	/* "name/type" of [notify] smtp's listener, when
				 * it drops the milter: said once, there */
} ctl_dr;

void ctl_doctor_help(void)
{
	printf("usage: sendguardctl [-c CONF] doctor [--no-mail] [--notice-to ADDR]\n"
	       "\n"
	       "Verify a deployment: the milter socket and who can reach it, the\n"
	       "Postfix parameters sendguard relies on (postconf -c [release]\n"
	       "postfix_config_dir), store and key ownership, rules, templates and\n"
	       "keys as [milter] user, a notice submission test (a signed notice to\n"
	       "[notify] from, or ADDR; --no-mail skips it) and, where systemd runs,\n"
	       "the units. Run as root. One line per check; exit 0 when all passed,\n"
	       "1 when any FAIL line was printed. 導入状態を検査します。\n");
}

static void dr_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void dr_fail(ctl_dr *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dr_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void dr_ok(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("ok   ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

static void dr_fail(ctl_dr *d, const char *fmt, ...)
{
	va_list ap;

	d->problems++;
	va_start(ap, fmt);
	fputs("FAIL ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

static void dr_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("skip ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

/* ------------------------------------------------------------ postconf */

/* postconf -c DIR ARGS...: its stdout (trailing blanks cut), or NULL
 * (said once). */
static char *dr_postconf_run(ctl_dr *d, const char *a1, const char *a2)
{
	char *cmd = sg_xstrdup(sg_conf_str(d->conf, "release", "postconf"));
	char *words[REL_MAX_WORDS + 4];
	size_t n = rel_split_words(cmd, words);
	rel_result r;
	sg_buf err;
	char *out = NULL;

	if (n == 0 || n + 4 >= REL_MAX_WORDS) {
		if (!d->no_postconf)
			dr_fail(d, "postfix: [release] postconf is empty or too long");
		d->no_postconf = true;
		free(cmd);
		return NULL;
	}
	words[n++] = "-c";
	words[n++] = (char *)d->pfdir;
	words[n++] = (char *)a1;
	if (a2)
		words[n++] = (char *)a2;
	words[n] = NULL;
	rel_result_init(&r, DR_OUT_MAX);
	sg_buf_init(&err, 1024);
	if (rel_run(words, 30, &r, &err) < 0 || r.status != 0) {
		if (!d->no_postconf)
			dr_fail(d, "postfix: cannot read the configuration in %s with %s: %s",
				d->pfdir, words[0], err.len ? sg_buf_cstr(&err) :
				r.err.len ? sg_buf_cstr(&r.err) : "postconf failed");
		d->no_postconf = true;
	} else {
		while (r.out.len && strchr(" \t\r\n", r.out.data[r.out.len - 1]))
			sg_buf_truncate(&r.out, r.out.len - 1);
		out = sg_xstrdup(sg_buf_cstr(&r.out));
	}
	sg_buf_free(&err);
	rel_result_free(&r);
	free(cmd);
	return out;
}

/* One main.cf parameter, $names expanded; NULL when postconf failed. */
static char *dr_param(ctl_dr *d, const char *name)
{
	return dr_postconf_run(d, "-hx", name);
}

/* Splits a Postfix list (commas and blanks; "{ ... }" groups keep only
 * their first word, the milter's address) into at most max entries. */
static size_t dr_split_list(char *s, char **out, size_t max)
{
	size_t n = 0;
	bool in_group = false, first = false;
	char *save = NULL;

	for (char *w = strtok_r(s, " \t,\r\n", &save); w && n < max;
	     w = strtok_r(NULL, " \t,\r\n", &save)) {
		if (*w == '{') {
			in_group = first = true;
			w++;
			if (*w == '\0')
				continue;
		}
		size_t l = strlen(w);
		bool closes = l && w[l - 1] == '}';

		if (closes)
			w[l - 1] = '\0';
		if (*w && (!in_group || first))
			out[n++] = w;
		if (in_group && *w)
			first = false;
		if (closes)
			in_group = false;
	}
	return n;
}

static bool dr_list_has(const char *list, const char *word)
{
	char *copy = sg_xstrdup(list), *w[DR_LIST_MAX];
	size_t n = dr_split_list(copy, w, DR_LIST_MAX);
	bool found = false;

	for (size_t i = 0; i < n && !found; i++)
		found = strcmp(w[i], word) == 0;
	free(copy);
	return found;
}

/* -------------------------------------------------------- milter socket */

typedef struct dr_sock {
	bool is_unix;
	char *path;		/* unix: absolute path */
	char *host;		/* inet: host ("" any) */
	long port;
} dr_sock;

static void dr_sock_free(dr_sock *s)
{
	free(s->path);
	free(s->host);
}

/* [milter] socket in libmilter's syntax; -1 when it is neither. */
static int dr_sock_parse(const char *spec, dr_sock *s)
{
	memset(s, 0, sizeof(*s));
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		s->is_unix = true;
		s->path = sg_xstrdup(strchr(spec, ':') + 1);
		return *s->path == '/' ? 0 : -1;
	}
	if (strncmp(spec, "inet:", 5) == 0 || strncmp(spec, "inet6:", 6) == 0) {
		const char *p = strchr(spec, ':') + 1, *at = strchr(p, '@');
		char *end;

		s->port = strtol(p, &end, 10);
		s->host = sg_xstrdup(at ? at + 1 : "");
		return s->port > 0 && s->port < 65536 && (end == at || *end == '\0') ? 0 : -1;
	}
	return -1;
}

static bool dr_same_host(const char *a, const char *b)
{
	if (*a == '\0' || strcmp(a, "0.0.0.0") == 0 || strcmp(a, "*") == 0)
		return true;	/* the milter listens on every address */
	if (strcmp(a, "localhost") == 0)
		a = "127.0.0.1";
	if (strcmp(b, "localhost") == 0)
		b = "127.0.0.1";
	return strcasecmp(a, b) == 0;
}

/* Does one Postfix milter entry name our socket, as a Postfix process
 * (chrooted or not) resolves it? */
static bool dr_entry_is_ours(const ctl_dr *d, const char *entry, bool chrooted,
			     const dr_sock *ours)
{
	if (ours->is_unix && (strncmp(entry, "unix:", 5) == 0 ||
			      strncmp(entry, "local:", 6) == 0)) {
		const char *p = strchr(entry, ':') + 1;
		struct stat a, b;
		sg_buf path;
		bool same;

		/* Postfix daemons run in queue_directory: a relative name is
		 * under it, and chrooted ones see / there. */
		sg_buf_init(&path, 8192);
		if (*p != '/' || chrooted)
			sg_buf_printf(&path, "%s/%s", d->queue_dir ? d->queue_dir : "", p);
		else
			sg_buf_puts(&path, p);
		same = stat(sg_buf_cstr(&path), &a) == 0 && stat(ours->path, &b) == 0 &&
		       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
		if (!same && stat(ours->path, &b) < 0)	/* milter down: compare names */
			same = strcmp(sg_buf_cstr(&path), ours->path) == 0;
		sg_buf_free(&path);
		return same;
	}
	if (!ours->is_unix && strncmp(entry, "inet:", 5) == 0) {
		const char *hp = entry + 5, *colon = strrchr(hp, ':');
		char host[256];

		if (colon == NULL || (size_t)(colon - hp) >= sizeof(host))
			return false;
		memcpy(host, hp, (size_t)(colon - hp));
		host[colon - hp] = '\0';
		if (host[0] == '[') {	/* [::1] */
			memmove(host, host + 1, strlen(host));
			host[strcspn(host, "]")] = '\0';
		}
		return strtol(colon + 1, NULL, 10) == ours->port &&
		       dr_same_host(ours->host, host);
	}
	return false;
}

/* master.cf: is any service running `command` (smtpd, cleanup)
 * chrooted, and is any not? */
static void dr_master_chroot(const char *master, const char *command,
			     bool *any_y, bool *any_n)
{
	char *copy = sg_xstrdup(master), *save = NULL;

	*any_y = *any_n = false;
	for (char *line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[8], *s2 = NULL;
		size_t n = 0;

		for (char *w = strtok_r(line, " \t", &s2); w && n < 8; w = strtok_r(NULL, " \t", &s2))
			f[n++] = w;
		if (n < 8 || strcmp(f[7], command) != 0)
			continue;
		/* "-" is n since Postfix 3.0 */
		if (strcmp(f[4], "y") == 0)
			*any_y = true;
		else
			*any_n = true;
	}
	free(copy);
}

/* One of smtpd_milters / non_smtpd_milters must name the socket as the
 * daemons that use it see it. */
static void dr_milter_list(ctl_dr *d, const char *param, const char *master,
			   const char *daemon, const dr_sock *ours, const char *why)
{
	char *val = dr_param(d, param), *copy, *w[DR_LIST_MAX];
	bool any_y, any_n, found_y = false, found_n = false;
	size_t n;

	if (val == NULL)
		return;
	dr_master_chroot(master, daemon, &any_y, &any_n);
	if (!any_y && !any_n)
		any_n = true;	/* no such service in master.cf: nothing chrooted */
	copy = sg_xstrdup(val);
	n = dr_split_list(copy, w, DR_LIST_MAX);
	for (size_t i = 0; i < n; i++) {
		found_y = found_y || dr_entry_is_ours(d, w[i], true, ours);
		found_n = found_n || dr_entry_is_ours(d, w[i], false, ours);
	}
	if ((!any_y || found_y) && (!any_n || found_n))
		dr_ok("postfix: %s = %s names the milter's socket as %s sees it%s",
		      param, val, daemon, any_y ? " (chrooted)" : "");
	else if (n == 0)
		dr_fail(d, "postfix: %s is empty: %s; add the milter (%s)", param, why,
			ours->is_unix ? "unix:sendguard/milter.sock under a chrooted "
			"Postfix" : "inet:HOST:PORT");
	else if (any_y && !found_y && ours->is_unix)
		dr_fail(d, "postfix: %s = %s does not reach the milter's socket %s from "
			"%s chrooted in %s: put the socket under %s and name it relative "
			"to it (unix:sendguard/milter.sock)", param, val, ours->path,
			daemon, d->queue_dir ? d->queue_dir : "?",
			d->queue_dir ? d->queue_dir : "?");
	else
		dr_fail(d, "postfix: %s = %s does not name the milter's socket (%s): %s",
			param, val, sg_conf_str(d->conf, "milter", "socket"), why);
	free(copy);
	free(val);
}

/* Connect to the unix socket as uid/gid (Postfix's mail_owner, with no
 * supplementary groups, as Postfix's daemons run); 0 or an errno. */
static int dr_connect_as(const char *path, uid_t uid, gid_t gid)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return errno;
	if (pid == 0) {
		struct sockaddr_un sun;
		int fd;

		if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
			_exit(EPERM);
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			_exit(errno ? errno : EIO);
		close(fd);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
}

static void dr_socket(ctl_dr *d, const dr_sock *ours)
{
	struct stat st;
	char *owner;
	struct passwd *pw;

	if (!ours->is_unix) {
		dr_ok("milter socket: inet port %ld (a loopback address keeps it local)",
		      ours->port);
		return;
	}
	if (stat(ours->path, &st) < 0) {
		dr_fail(d, "milter socket %s: %s: is sendguard-milter running?",
			ours->path, strerror(errno));
		return;
	}
	if (!S_ISSOCK(st.st_mode)) {
		dr_fail(d, "milter socket %s is not a socket", ours->path);
		return;
	}
	if (st.st_mode & S_IWOTH)
		dr_fail(d, "milter socket %s is writable by every local user (mode %04o): "
			"any process could talk to the milter; it should be group postfix, "
			"0660", ours->path, (unsigned)(st.st_mode & 07777));
	owner = dr_param(d, "mail_owner");
	if (owner == NULL)
		return;
	if ((pw = getpwnam(owner)) == NULL) {
		dr_fail(d, "postfix: mail_owner %s is not a user", owner);
	} else if (!d->root) {
		dr_skip("milter socket %s: not root, cannot connect as %s", ours->path, owner);
	} else {
		int e = dr_connect_as(ours->path, pw->pw_uid, pw->pw_gid);

		if (e == 0)
			dr_ok("milter socket %s: %s (Postfix's mail_owner) can connect",
			      ours->path, owner);
		else
			dr_fail(d, "milter socket %s: %s (Postfix's mail_owner) cannot "
				"connect: %s", ours->path, owner, strerror(e));
	}
	free(owner);
}

/* ------------------------------------------------- Postfix parameters */

static void dr_param_is(ctl_dr *d, const char *name, const char *want, const char *why)
{
	char *v = dr_param(d, name);

	if (v == NULL)
		return;
	if (strcmp(v, want) == 0)
		dr_ok("postfix: %s = %s", name, v);
	else
		dr_fail(d, "postfix: %s = %s, not %s: %s", name, v, want, why);
	free(v);
}

/* A Postfix size parameter against a [limits] size: Postfix must not
 * pass more than sendguard reads. */
static void dr_size_limit(ctl_dr *d, const char *param, const char *key)
{
	char *v = dr_param(d, param);
	long long ours = sg_conf_num(d->conf, "limits", key), theirs;
	char *end;

	if (v == NULL)
		return;
	theirs = strtoll(v, &end, 10);
	if (*end != '\0' || end == v)
		dr_fail(d, "postfix: %s = %s is not a number", param, v);
	else if (theirs == 0 || theirs > ours)
		dr_fail(d, "postfix: %s = %s%s is more than [limits] %s = %lld: such "
			"mail passes Postfix and is held as scan-limit; lower %s or "
			"raise %s", param, v, theirs == 0 ? " (no limit)" : "", key,
			ours, param, key);
	else
		dr_ok("postfix: %s = %lld, within [limits] %s = %lld", param, theirs,
		      key, ours);
	free(v);
}

/* [policy] recipient_delimiter when the option table has it, else the
 * "+" sendguard strips. */
static const char *dr_our_delimiter(const sg_conf *conf)
{
	for (size_t i = 0; i < sg_noptions; i++)
		if (strcmp(sg_options[i].section, "policy") == 0 &&
		    strcmp(sg_options[i].key, "recipient_delimiter") == 0)
			return sg_conf_str(conf, "policy", "recipient_delimiter");
	return "+";
}

static bool dr_same_chars(const char *a, const char *b)
{
	for (const char *p = a; *p; p++)
		if (!strchr(b, *p))
			return false;
	for (const char *p = b; *p; p++)
		if (!strchr(a, *p))
			return false;
	return true;
}

static void dr_delimiter(ctl_dr *d)
{
	char *v = dr_param(d, "recipient_delimiter");
	const char *ours = dr_our_delimiter(d->conf);

	if (v == NULL)
		return;
	if (dr_same_chars(v, ours))
		dr_ok("postfix: recipient_delimiter = %s, as sendguard strips", v);
	else
		dr_fail(d, "postfix: recipient_delimiter = \"%s\" but sendguard strips "
			"\"%s\" from senders ([policy] recipient_delimiter): Postfix and "
			"sendguard would disagree on who sent a message (and so on who "
			"may approve it); make them equal", v, ours);
	free(v);
}

static void dr_sender_login(ctl_dr *d)
{
	static const char *const lists[] = {
		"smtpd_sender_restrictions", "smtpd_relay_restrictions",
		"smtpd_recipient_restrictions", "smtpd_data_restrictions",
	};
	char *maps = dr_param(d, "smtpd_sender_login_maps");
	bool found = false, auth_only = false;

	if (maps == NULL)
		return;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]) && !found; i++) {
		char *v = dr_param(d, lists[i]);

		found = v && dr_list_has(v, "reject_sender_login_mismatch");
		auth_only = auth_only ||
			    (v && dr_list_has(v, "reject_authenticated_sender_login_mismatch"));
		free(v);
	}
	if (*maps && found)
		dr_ok("postfix: smtpd_sender_login_maps with reject_sender_login_mismatch");
	else if (*maps && auth_only)
		/* the snippet's documented choice for sites whose trusted
		 * hosts send unauthenticated as staff addresses */
		dr_ok("postfix: smtpd_sender_login_maps with "
		      "reject_authenticated_sender_login_mismatch (clients that do not "
		      "log in may still use any address)");
	else
		dr_fail(d, "postfix: %s: a user could send with another's envelope sender, "
			"and be neither its sender nor barred from approving it; set "
			"smtpd_sender_login_maps and reject_sender_login_mismatch in "
			"smtpd_sender_restrictions", !*maps ? "smtpd_sender_login_maps is empty"
			: "no restriction list has reject_sender_login_mismatch");
	free(maps);
}

/* master.cf services that set smtpd_milters (or non_smtpd_milters) to
 * something without the milter let their mail out unchecked, unless
 * they hand it to a content_filter that goes through the gateway. */
static void dr_overrides(ctl_dr *d, const dr_sock *ours)
{
	char *out = dr_postconf_run(d, "-P", NULL), *save = NULL, *copy;
	int bad = 0;

	if (out == NULL)
		return;
	copy = sg_xstrdup(out);
	for (char *line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* "service/type/name = value"; an empty value ends in " =" */
		char *eq = strstr(line, " ="), *slash, *val, *svc;

		if (eq == NULL)
			continue;
		*eq = '\0';
		val = eq + 2;
		val += strspn(val, " ");
		if ((slash = strrchr(line, '/')) == NULL)
			continue;
		if (strcmp(slash + 1, "smtpd_milters") != 0 &&
		    strcmp(slash + 1, "non_smtpd_milters") != 0)
			continue;
		svc = sg_xstrdup(line);
		svc[slash - line] = '\0';
		if (d->notice_svc && strcmp(svc, d->notice_svc) == 0) {
			free(svc);	/* dr_notice_listener said it */
			continue;
		}
		{
			char *w[DR_LIST_MAX], *vc = sg_xstrdup(val);
			size_t n = dr_split_list(vc, w, DR_LIST_MAX);
			bool has = false;
			sg_buf filt;

			for (size_t i = 0; i < n; i++)
				has = has || dr_entry_is_ours(d, w[i], false, ours) ||
				      dr_entry_is_ours(d, w[i], true, ours);
			sg_buf_init(&filt, 1024);
			sg_buf_printf(&filt, "%s/content_filter = ", svc);
			if (!has && strstr(out, sg_buf_cstr(&filt)) == NULL) {
				dr_fail(d, "postfix: master.cf service %s sets %s = %s: mail it "
					"takes in leaves unchecked (remove the override, or "
					"re-inject through the gateway with content_filter)",
					svc, slash + 1, val);
				bad++;
			}
			sg_buf_free(&filt);
			free(vc);
		}
		free(svc);
	}
	if (bad == 0)
		dr_ok("postfix: no master.cf service drops the milter");
	free(copy);
	free(out);
}

/* ------------------------------------------------- the notice listener */

/* One master.cf service, as `postconf -M` prints it. */
typedef struct dr_svc {
	char *name, *type;
	bool private_, chrooted;
} dr_svc;

/* Does master.cf entry name/type/private listen where [notify] smtp
 * points? Postfix puts a unix service's socket in queue_directory,
 * under private/ or public/; an inet service named PORT listens on
 * inet_interfaces, HOST:PORT on that host. */
static bool dr_svc_listens(const ctl_dr *d, const dr_svc *v, const dr_sock *to)
{
	if (to->is_unix) {
		struct stat a, b;
		sg_buf path;
		bool same;

		if (strcmp(v->type, "unix") != 0 || d->queue_dir == NULL)
			return false;
		sg_buf_init(&path, 8192);
		sg_buf_printf(&path, "%s/%s/%s", d->queue_dir,
			      v->private_ ? "private" : "public", v->name);
		same = strcmp(sg_buf_cstr(&path), to->path) == 0 ||
		       (stat(sg_buf_cstr(&path), &a) == 0 && stat(to->path, &b) == 0 &&
			a.st_dev == b.st_dev && a.st_ino == b.st_ino);
		sg_buf_free(&path);
		return same;
	}
	if (strcmp(v->type, "inet") != 0)
		return false;
	{
		char host[256] = "";
		const char *colon = strrchr(v->name, ':'), *port = v->name;
		struct servent *se;
		char *end;
		long n;

		if (colon) {
			size_t hl = (size_t)(colon - v->name);

			if (hl >= sizeof(host))
				return false;
			memcpy(host, v->name, hl);
			host[hl] = '\0';
			if (host[0] == '[') {
				memmove(host, host + 1, strlen(host));
				host[strcspn(host, "]")] = '\0';
			}
			port = colon + 1;
		}
		n = strtol(port, &end, 10);
		if (*port == '\0' || *end != '\0')
			n = (se = getservbyname(port, "tcp")) ? ntohs((uint16_t)se->s_port) : -1;
		return n == to->port && dr_same_host(host, to->host);
	}
}

/* The master.cf smtpd service [notify] smtp reaches; false when none. */
static bool dr_notice_svc(const ctl_dr *d, const char *master, const dr_sock *to,
			  dr_svc *out)
{
	char *copy = sg_xstrdup(master), *save = NULL;
	bool found = false;

	for (char *line = strtok_r(copy, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[8], *s2 = NULL;
		size_t n = 0;
		dr_svc v;

		for (char *w = strtok_r(line, " \t", &s2); w && n < 8; w = strtok_r(NULL, " \t", &s2))
			f[n++] = w;
		if (n < 8 || strcmp(f[7], "smtpd") != 0)
			continue;
		v.name = f[0];
		v.type = f[1];
		v.private_ = strcmp(f[2], "n") != 0;
		v.chrooted = strcmp(f[4], "y") == 0;
		if (dr_svc_listens(d, &v, to)) {
			out->name = sg_xstrdup(v.name);
			out->type = sg_xstrdup(v.type);
			out->private_ = v.private_;
			out->chrooted = v.chrooted;
			found = true;
		}
	}
	free(copy);
	return found;
}

/* The value of one -o override of service svc ("name/type"), or NULL. */
static char *dr_override(ctl_dr *d, const char *svc, const char *param)
{
	char *out = dr_postconf_run(d, "-P", NULL), *save = NULL, *val = NULL;
	sg_buf key;

	if (out == NULL)
		return NULL;
	sg_buf_init(&key, 512);
	sg_buf_printf(&key, "%s/%s =", svc, param);
	for (char *line = strtok_r(out, "\n", &save); line && val == NULL;
	     line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, key.data, key.len) == 0)
			val = sg_xstrdup(line + key.len + strspn(line + key.len, " "));
	sg_buf_free(&key);
	free(out);
	return val;
}

/* Does `map` answer OK (or permit) for the notices' sender? */
static bool dr_map_permits(ctl_dr *d, const char *map, const char *from)
{
	char *argv[] = { "postmap", "-c", (char *)d->pfdir, "-q", (char *)from,
			 (char *)map, NULL };
	rel_result r;
	sg_buf err;
	bool ok;

	rel_result_init(&r, 4096);
	sg_buf_init(&err, 1024);
	ok = rel_run(argv, 30, &r, &err) == 0 && r.status == 0 &&
	     (strncasecmp(sg_buf_cstr(&r.out), "ok", 2) == 0 ||
	      strncasecmp(sg_buf_cstr(&r.out), "permit", 6) == 0);
	sg_buf_free(&err);
	rel_result_free(&r);
	return ok;
}

/* Splits a restriction list on commas and blanks outside braces (an
 * inline:{ a=OK, b=OK } map is one word); at most max words. */
static size_t dr_split_restrictions(char *s, char **out, size_t max)
{
	size_t n = 0;
	int depth = 0;
	char *p = s;

	while (*p && n < max) {
		while (*p && strchr(" \t,\r\n", *p))
			p++;
		if (*p == '\0')
			break;
		out[n++] = p;
		for (; *p && (depth > 0 || !strchr(" \t,\r\n", *p)); p++)
			depth += *p == '{' ? 1 : *p == '}' && depth > 0 ? -1 : 0;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/* A listener without the milter must take mail from the notifier's
 * sender only: a restriction list of that service with
 * check_sender_access answering OK for [notify] from, then reject. */
static bool dr_sender_limited(ctl_dr *d, const char *svc, const char *from,
			      sg_buf *why)
{
	static const char *const lists[] = {
		"smtpd_sender_restrictions", "smtpd_recipient_restrictions",
		"smtpd_relay_restrictions", "smtpd_client_restrictions",
	};

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		char *v = dr_override(d, svc, lists[i]), *w[DR_LIST_MAX];
		size_t n;
		bool map_ok = false;

		if (v == NULL)
			continue;
		n = dr_split_restrictions(v, w, DR_LIST_MAX);
		for (size_t k = 0; k + 1 < n; k++)
			if (strcmp(w[k], "check_sender_access") == 0)
				map_ok = map_ok || dr_map_permits(d, w[k + 1], from);
		if (map_ok && n > 0 && strcmp(w[n - 1], "reject") == 0) {
			free(v);
			return true;
		}
		free(v);
	}
	sg_buf_printf(why, "no -o smtpd_sender_restrictions = check_sender_access "
		      "MAP, reject whose MAP says OK for %s", from);
	return false;
}

/* [notify] smtp: notices go to a listener. Through the milter, which
 * recognises a notice by its MAC, it is the gateway's listener and
 * anything else sent there is scanned. A listener that drops the
 * milter lets whatever reaches it out unscanned: it may exist only
 * where no one but the notifier reaches it (a unix socket other users
 * cannot connect to) and only for the notices' sender. */
static void dr_notice_listener(ctl_dr *d, const char *master, const dr_sock *ours)
{
	const char *smtp = sg_conf_str(d->conf, "notify", "smtp");
	const char *from = sg_conf_str(d->conf, "notify", "from");
	char *milters, *copy = NULL, *w[DR_LIST_MAX], *from_dflt = NULL;
	dr_sock to;
	dr_svc v = { NULL, NULL, false, false };
	sg_buf key, why;
	bool through = false;
	size_t n;

	if (*smtp == '\0')
		return;
	memset(&to, 0, sizeof(to));
	if (*smtp == '/') {
		to.is_unix = true;
		to.path = sg_xstrdup(smtp);
	} else {
		const char *colon = strrchr(smtp, ':');

		to.host = sg_xstrdup(smtp);
		to.host[colon ? (size_t)(colon - smtp) : 0] = '\0';
		if (to.host[0] == '[') {
			memmove(to.host, to.host + 1, strlen(to.host));
			to.host[strcspn(to.host, "]")] = '\0';
		}
		to.port = colon ? strtol(colon + 1, NULL, 10) : 0;
	}
	if (!dr_notice_svc(d, master, &to, &v)) {
		dr_fail(d, "notice listener: no smtpd service in %s/master.cf listens on "
			"[notify] smtp = %s: notices cannot be delivered", d->pfdir, smtp);
		dr_sock_free(&to);
		return;
	}
	sg_buf_init(&key, 512);
	sg_buf_init(&why, 1024);
	sg_buf_printf(&key, "%s/%s", v.name, v.type);
	milters = dr_override(d, key.data, "smtpd_milters");
	if (milters == NULL) {
		/* main.cf's smtpd_milters, checked (and said) above */
		dr_ok("notice listener %s (master.cf %s) has main.cf's smtpd_milters: "
		      "notices pass the milter by their MAC, all else is scanned",
		      smtp, key.data);
		goto out;
	}
	copy = sg_xstrdup(milters ? milters : "");
	n = dr_split_list(copy, w, DR_LIST_MAX);
	for (size_t i = 0; i < n; i++)
		through = through || dr_entry_is_ours(d, w[i], v.chrooted, ours);
	if (through) {
		dr_ok("notice listener %s (master.cf %s) goes through the milter: "
		      "notices pass by their MAC, all else is scanned", smtp, key.data);
		goto out;
	}
	d->notice_svc = sg_xstrdup(key.data);
	if (*from == '\0') {
		from_dflt = ntf_from_address(d->conf);
		from = from_dflt;
	}
	if (!to.is_unix) {
		dr_fail(d, "notice listener %s (master.cf %s) drops the milter and "
			"takes TCP connections: any local process can send mail through "
			"it unscanned; set [notify] smtp to the gateway's listener (the "
			"milter lets notices pass by their MAC) or to a unix socket only "
			"[milter] user can reach", smtp, key.data);
	} else if (d->root && dr_connect_as(to.path, 65534, 65534) == 0) {
		dr_fail(d, "notice listener %s (master.cf %s) drops the milter, and "
			"any local user (nobody here) can connect to it: mail sent there "
			"leaves unscanned; put it in a directory only [milter] user's "
			"group can enter, or send notices to the gateway's listener",
			smtp, key.data);
	} else if (!dr_sender_limited(d, key.data, from, &why)) {
		dr_fail(d, "notice listener %s (master.cf %s) drops the milter and "
			"accepts any sender: %s", smtp, key.data, sg_buf_cstr(&why));
	} else {
		dr_ok("notice listener %s (master.cf %s) drops the milter, but only "
		      "the notifier reaches it, and only for %s", smtp, key.data, from);
	}
out:
	free(from_dflt);
	free(copy);
	free(milters);
	free(v.name);
	free(v.type);
	sg_buf_free(&why);
	sg_buf_free(&key);
	dr_sock_free(&to);
}

static void dr_postfix(ctl_dr *d, const dr_sock *ours)
{
	char *master, *v;

	d->queue_dir = dr_param(d, "queue_directory");
	if (d->queue_dir == NULL)
		return;
	dr_socket(d, ours);
	master = dr_postconf_run(d, "-M", NULL);
	if (master == NULL)
		return;
	dr_milter_list(d, "smtpd_milters", master, "smtpd", ours,
		       "mail from SMTP clients leaves unchecked");
	dr_milter_list(d, "non_smtpd_milters", master, "cleanup", ours,
		       "mail submitted with sendmail(1) leaves unchecked");
	dr_notice_listener(d, master, ours);
	free(master);
	v = dr_param(d, "internal_mail_filter_classes");
	if (v && *v)
		dr_fail(d, "postfix: internal_mail_filter_classes = %s: Postfix's own "
			"mail (bounces, notices) goes through the milter, so a held "
			"bounce notifies, the notice may bounce, and so on (a notice "
			"loop); leave it empty", v);
	else if (v)
		dr_ok("postfix: internal_mail_filter_classes is empty (no notice loop "
		      "through Postfix's own mail)");
	free(v);
	dr_param_is(d, "milter_default_action", "tempfail",
		    "when the milter is down or times out, mail must wait in the "
		    "queue, not leave unchecked or bounce");
	dr_param_is(d, "milter_protocol", "6",
		    "sendguard is written for protocol 6 (quarantine, header changes)");
	dr_param_is(d, "enable_long_queue_ids", "yes",
		    "a hold is tied to its queue id, which must never be reused");
	dr_size_limit(d, "header_size_limit", "max_header_size");
	dr_size_limit(d, "message_size_limit", "max_message_size");
	dr_sender_login(d);
	dr_delimiter(d);
	dr_overrides(d, ours);
}

/* ------------------------------------------------------ store and keys */

/* 0 when fine (or absent and allowed to be), -1 after a FAIL line. */
static int dr_owned(ctl_dr *d, const char *what, const char *path,
		    const struct passwd *pw, mode_t forbidden, bool must_exist)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (!must_exist)
			return 0;
		dr_fail(d, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (st.st_uid != pw->pw_uid) {
		struct passwd *o = getpwuid(st.st_uid);

		dr_fail(d, "%s %s belongs to %s, not to [milter] user %s: chown it",
			what, path, o ? o->pw_name : "an unknown uid",
			sg_conf_str(d->conf, "milter", "user"));
		return -1;
	}
	if (st.st_mode & forbidden) {
		dr_fail(d, "%s %s has mode %04o: other users may read it; chmod it",
			what, path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	dr_ok("%s %s: owner %s, mode %04o", what, path,
	      sg_conf_str(d->conf, "milter", "user"), (unsigned)(st.st_mode & 07777));
	return 0;
}

static void dr_ownership(ctl_dr *d, const struct passwd *pw)
{
	char *store = sg_conf_path(d->conf, "store", "path");
	char *keys = sg_conf_path(d->conf, "keys", "dir");
	sg_buf p;

	sg_buf_init(&p, 8192);
	if (dr_owned(d, "store", store, pw, S_IRWXO, true) < 0)
		d->store_bad = true;
	sg_buf_printf(&p, "%s-wal", store);
	if (dr_owned(d, "store WAL", sg_buf_cstr(&p), pw, S_IRWXO, false) < 0)
		d->store_bad = true;
	sg_buf_reset(&p);
	sg_buf_printf(&p, "%s-shm", store);
	if (dr_owned(d, "store shm", sg_buf_cstr(&p), pw, S_IRWXO, false) < 0)
		d->store_bad = true;
	dr_owned(d, "key directory", keys, pw, S_IRWXG | S_IRWXO, true);
	sg_buf_free(&p);
	free(keys);
	free(store);
}

static int dr_become(ctl_dr *d, const struct passwd *pw)
{
	if (!d->root)
		return 0;
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		dr_fail(d, "cannot become [milter] user %s: %s", pw->pw_name, strerror(errno));
		return -1;
	}
	return 0;
}

/* A short signed notice, as the milter's notices are signed, to `to`. */
static void dr_notice_test(ctl_dr *d, const ntf_ctx *ntf, const char *to)
{
	const char *from = ntf_ctx_from(ntf);
	const char *smtp = sg_conf_str(d->conf, "notify", "smtp");
	const char *rcpts[1] = { to };
	sg_buf body, msg, date, hv, err;
	ntf_submit_result r;
	char host[256];
	int status = -1;

	if (*from == '\0') {
		dr_fail(d, "notice submission: [notify] from is empty");
		return;
	}
	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	sg_buf_init(&body, 4096);
	sg_buf_init(&msg, 16384);
	sg_buf_init(&date, 128);
	sg_buf_init(&hv, 1024);
	sg_buf_init(&err, 4096);
	ntf_date_rfc5322(time(NULL), &date);
	sg_buf_printf(&body, "sendguardctl doctor on %s: notice submission test.\n"
		      "This notice is signed like sendguard's notices; the milter\n"
		      "should let it pass without scanning it. Nothing to do.\n", host);
	/* The MAC covers the header block (ntf.h): write it first. */
	sg_buf_printf(&msg, "From: sendguard <%s>\nTo: %s\n"
		      "Subject: sendguard doctor: notice submission test\n"
		      "Date: %s\nMessage-ID: <doctor.%lld.%ld@%s>\n"
		      "Auto-Submitted: auto-generated\n", from, to, sg_buf_cstr(&date),
		      (long long)time(NULL), (long)getpid(), host);
	if (ntf_notice_sign(ntf_ctx_keys(ntf), msg.data, msg.len, body.data, body.len,
			    rcpts, 1, &hv) < 0) {
		dr_fail(d, "notice submission: cannot sign a notice");
		goto out;
	}
	sg_buf_printf(&msg, "X-Sendguard-Notice: %s\n\n", sg_buf_cstr(&hv));
	sg_buf_append(&msg, body.data, body.len);
	if (*smtp) {
		/* the notifier's way: SMTP to the gateway's listener */
		ntf_smtp *c = ntf_smtp_new(smtp, host, 60, &err);
		bool permanent = false;

		r = c ? ntf_smtp_send(c, from, to, msg.data, msg.len, &permanent, &err)
		      : NTF_SUBMIT_USAGE;
		if (c)
			ntf_smtp_close(c);
		ntf_smtp_free(c);
	} else {
		r = ntf_submit(ntf_ctx_sendmail(ntf), from, rcpts, 1, msg.data, msg.len,
			       60, &status, &err);
	}
	if (r == NTF_SUBMIT_OK)
		dr_ok("notice submission: a signed test notice to %s was accepted by "
		      "%s", to, *smtp ? smtp : ntf_ctx_sendmail(ntf));
	else
		dr_fail(d, "notice submission to %s by %s failed: %s", to,
			*smtp ? smtp : ntf_ctx_sendmail(ntf), sg_buf_cstr(&err));
out:
	sg_buf_free(&err);
	sg_buf_free(&hv);
	sg_buf_free(&date);
	sg_buf_free(&msg);
	sg_buf_free(&body);
}

/* As [milter] user: what the milter loads at start-up. */
/* As the milter's user: its notifier confirms each hold by listing the
 * MTA's queue through the release backend (issue 15); if it cannot,
 * held mail is never confirmed and nobody is asked to decide. */
static void dr_queue_lists(ctl_dr *d)
{
	rel_qentry *q = NULL;
	size_t n = 0;
	rel_backend *be;
	sg_buf err;

	sg_buf_init(&err, 4096);
	if ((be = rel_backend_new(d->conf, &err)) == NULL) {
		dr_fail(d, "[release] backend: %s", sg_buf_cstr(&err));
	} else if (rel_be_list(be, &q, &n, 1, &err) < 0) {
		dr_fail(d, "as [milter] user, the %s queue cannot be listed (%s): held"
			" mail would never be confirmed and nobody asked (README:"
			" arriving holds)", rel_be_name(be), sg_buf_cstr(&err));
	} else {
		dr_ok("the %s queue lists as [milter] user (holds are confirmed by"
		      " their queue files)", rel_be_name(be));
	}
	rel_qentries_free(q, n);
	rel_backend_free(be);
	sg_buf_free(&err);
}

/* The store's password file (issue 20): passfile= of the DSN, else
 * $PGPASSFILE, else ~/.pgpass of [milter] user (libpq's order). libpq
 * ignores a file that its group or others may read or write, with a
 * warning on stderr nobody sees, and the milter then cannot log in:
 * say so here. A missing default file is not an error (peer or
 * certificate authentication need none). */
static void dr_passfile(ctl_dr *d, const char *dsn)
{
	char path[1024];
	const char *env = getenv("PGPASSFILE");
	const struct passwd *pw;
	struct stat sb;
	int named = sg_dsn_passfile(dsn ? dsn : "", path, sizeof(path));

	if (named < 0) {
		dr_fail(d, "store: [store] dsn: cannot read its passfile=");
		return;
	}
	if (named == 0 && env != NULL && *env != '\0') {
		snprintf(path, sizeof(path), "%s", env);
	} else if (named == 0) {
		pw = getpwnam(sg_conf_str(d->conf, "milter", "user"));
		if (pw == NULL || pw->pw_dir == NULL) {
			dr_skip("store password file: no home for [milter] user %s",
				sg_conf_str(d->conf, "milter", "user"));
			return;
		}
		snprintf(path, sizeof(path), "%s/.pgpass", pw->pw_dir);
	}
	if (stat(path, &sb) != 0) {
		if (named)
			dr_fail(d, "store password file %s (passfile= of [store] dsn): %s",
				path, strerror(errno));
		else
			dr_skip("store password file %s: none (%s)", path, strerror(errno));
		return;
	}
	if (!S_ISREG(sb.st_mode))
		dr_fail(d, "store password file %s is not a plain file", path);
	else if (sb.st_mode & (S_IRWXG | S_IRWXO))
		dr_fail(d, "store password file %s is readable or writable by group or"
			" others (mode %04o): libpq ignores it; chmod 600 it",
			path, (unsigned)(sb.st_mode & 07777));
	else
		dr_ok("store password file %s is its owner's only (mode %04o)", path,
		      (unsigned)(sb.st_mode & 07777));
}

/*
 * A copy saved when the store was deleted or replaced under a process
 * (st_rescue.c) lies beside it: a store was lost, and the copy holds
 * the decisions and the audit chain that a rebuild does not. Reported
 * until it is put back or moved away, so that an administrator who
 * missed the milter's one crit line still hears of it.
 */
static void dr_rescued(ctl_dr *d, const char *store)
{
	char *dir = sg_xstrdup(store), *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : store;
	size_t nbase = strlen(base), n = 0;
	struct dirent *e;
	DIR *dp;

	if (slash)
		*slash = '\0';
	if ((dp = opendir(slash ? (*dir ? dir : "/") : ".")) == NULL) {
		free(dir);
		return;		/* dr_ownership says what is wrong with it */
	}
	while ((e = readdir(dp)) != NULL && n < 64) {
		if (strncmp(e->d_name, base, nbase) != 0 ||
		    strncmp(e->d_name + nbase, ".rescued-", 9) != 0 ||
		    strstr(e->d_name + nbase, "-wal") || strstr(e->d_name + nbase, "-shm"))
			continue;
		dr_fail(d, "store: %s/%s is a copy saved when the store was deleted"
			" or replaced under a running process: put it back, or move"
			" it away once you are done with it (README: when the store"
			" is lost)", slash ? dir : ".", e->d_name);
		n++;
	}
	closedir(dp);
	if (n == 0)
		dr_ok("no copy of a lost store beside it");
	free(dir);
}

static void dr_load(ctl_dr *d, bool mail, const char *notice_to)
{
	char *keys_dir = sg_conf_path(d->conf, "keys", "dir");
	char *store_path = sg_conf_path(d->conf, "store", "path");
	eng_engine *eng;
	ntf_keys *keys;
	ntf_ctx *ntf = NULL;
	st_store *st;
	sg_buf err;

	sg_buf_init(&err, 8192);
	if ((eng = eng_engine_new(d->conf, &err)) == NULL)
		dr_fail(d, "rules: %s", sg_buf_cstr(&err));
	else
		dr_ok("rules load");
	eng_engine_free(eng);
	sg_buf_reset(&err);
	{
		/* The milter starts its PDF text workers at start-up and stops
		 * if one does not start: start one here as it would. */
		char *worker = pdp_default_worker();
		pdp_pool *pool = pdp_new(worker, 1, true, &err);

		if (pool == NULL)
			dr_fail(d, "PDF text worker: %s", sg_buf_cstr(&err));
		else
			dr_ok("PDF text worker %s starts", worker);
		pdp_free(pool);
		free(worker);
		sg_buf_reset(&err);
	}
	if ((keys = ntf_keys_load(keys_dir, &err)) == NULL) {
		dr_fail(d, "keys: %s", sg_buf_cstr(&err));
	} else {
		dr_ok("keys load (%zu, signing with %s)", ntf_keys_count(keys),
		      ntf_keys_signing_kid(keys));
		sg_buf_reset(&err);
		if ((ntf = ntf_ctx_new(d->conf, keys, &err)) == NULL)
			dr_fail(d, "templates and approvers: %s", sg_buf_cstr(&err));
		else
			dr_ok("templates and approvers load");
	}
	sg_buf_reset(&err);
	/* A store already said to be wrongly owned would only fail again. */
	if (strcmp(sg_conf_str(d->conf, "store", "backend"), "sqlite") != 0) {
		st_config sc = { sg_conf_str(d->conf, "store", "backend"), store_path,
				 sg_conf_str(d->conf, "store", "dsn"),
				 SG_CONF_STR(d->conf, store_gateway) };

		dr_passfile(d, sc.dsn);
		if ((st = st_open_config(&sc, &err)) == NULL)
			dr_fail(d, "store: %s", sg_buf_cstr(&err));
		else
			dr_ok("store opens (%s, schema %d)", st_backend_name(st),
			      st_schema_version(st));
		st_close(st);
	} else {
		if (!d->store_bad && access(store_path, F_OK) == 0) {
			if ((st = st_open(store_path, &err)) == NULL)
				dr_fail(d, "store: %s", sg_buf_cstr(&err));
			else
				dr_ok("store opens (schema %d)", st_schema_version(st));
			st_close(st);
		}
		dr_rescued(d, store_path);
	}
	dr_queue_lists(d);
	if (ntf && mail)
		dr_notice_test(d, ntf, notice_to ? notice_to : ntf_ctx_from(ntf));
	else if (ntf)
		dr_skip("notice submission (--no-mail)");
	ntf_ctx_free(ntf);
	ntf_keys_free(keys);
	sg_buf_free(&err);
	free(store_path);
	free(keys_dir);
}

/* ---------------------------------------------------------- systemd */

static char *dr_systemctl(const char *a1, const char *a2, const char *a3, int *status)
{
	char *argv[] = { "systemctl", (char *)a1, (char *)a2, (char *)a3, NULL };
	rel_result r;
	sg_buf err;
	char *out;

	rel_result_init(&r, 65536);
	sg_buf_init(&err, 1024);
	if (rel_run(argv, 30, &r, &err) < 0)
		*status = -1;
	else
		*status = r.status;
	while (r.out.len && strchr(" \t\r\n", r.out.data[r.out.len - 1]))
		sg_buf_truncate(&r.out, r.out.len - 1);
	out = sg_xstrdup(sg_buf_cstr(&r.out));
	sg_buf_free(&err);
	rel_result_free(&r);
	return out;
}

/* user is a member of group (its primary group or a listed one). */
static bool dr_user_in_group(const char *user, const char *group)
{
	struct passwd *pw = getpwnam(user);
	struct group *gr = getgrnam(group);

	if (pw == NULL || gr == NULL)
		return false;
	if (pw->pw_gid == gr->gr_gid)
		return true;
	/* gr_mem is NULL-terminated; bounded as every list here. */
	for (size_t i = 0; gr->gr_mem && gr->gr_mem[i] && i < 100000; i++)
		if (strcmp(gr->gr_mem[i], user) == 0)
			return true;
	return false;
}

static void dr_units(ctl_dr *d)
{
	static const char *const units[] = {
		"sendguard-milter.service", "sendguard-web.service",
		"sendguard-applyd.service", "sendguard-apply.timer",
		"sendguard-expire.timer", "sendguard-downloads.service",
	};
	int status;
	char *v;
	const char *sm = sg_conf_str(d->conf, "notify", "sendmail");

	if (access("/run/systemd/system", F_OK) < 0) {
		dr_skip("units: systemd is not running here; enable them with "
			"systemctl enable --now %s %s %s %s %s %s", units[0], units[1],
			units[2], units[3], units[4], units[5]);
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		v = dr_systemctl("is-enabled", units[i], NULL, &status);
		if (status == 0 && strcmp(v, "enabled") == 0)
			dr_ok("unit %s is enabled", units[i]);
		else
			dr_fail(d, "unit %s is %s: systemctl enable --now %s", units[i],
				*v ? v : "not installed", units[i]);
		free(v);
	}
	/* Postfix's sendmail hands mail to the setgid postdrop, which
	 * NoNewPrivileges stops: every notice would fail. */
	v = dr_systemctl("show", "-pNoNewPrivileges", units[0], &status);
	if (strstr(v, "NoNewPrivileges=yes") && !*sg_conf_str(d->conf, "notify", "smtp") &&
	    strstr(sm, "sendmail") != NULL)
		dr_fail(d, "unit %s has NoNewPrivileges=yes, and [notify] sendmail "
			"= %s goes through Postfix's setgid postdrop, which it stops: "
			"notices fail", units[0], sm);
	/* postqueue -j (confirming holds) reaches showq through public/,
	 * group postdrop only; under NoNewPrivileges its setgid does not
	 * apply, so the milter's user must be in the group itself. */
	if (strstr(v, "NoNewPrivileges=yes") &&
	    strcmp(sg_conf_str(d->conf, "release", "backend"), "postfix") == 0 &&
	    !dr_user_in_group(sg_conf_str(d->conf, "milter", "user"), "postdrop"))
		dr_fail(d, "unit %s has NoNewPrivileges=yes and [milter] user %s is not"
			" in group postdrop: postqueue -j cannot reach showq, so held"
			" mail is never confirmed and nobody asked (adduser %s postdrop)",
			units[0], sg_conf_str(d->conf, "milter", "user"),
			sg_conf_str(d->conf, "milter", "user"));
	free(v);
}

int ctl_doctor(const char *conf_path, int argc, char **argv)
{
	static const char *const opts[] = { "--notice-to" };
	static const char *const flags[] = { "--no-mail" };
	const char *vals[1] = { NULL };
	bool set[1] = { false };
	ctl_argspec spec = { opts, vals, 1, flags, set, 1, NULL, 0 };
	ctl_dr d;
	sg_conf *conf;
	dr_sock ours;
	struct passwd *pw, pwc;
	char *pfdir;

	if (ctl_parse_args("doctor", argc, argv, &spec) < 0)
		return CTL_EX_USAGE;
	if ((conf = ctl_load_conf(conf_path)) == NULL)
		return CTL_EX_CONFIG;
	memset(&d, 0, sizeof(d));
	d.conf = conf;
	d.root = geteuid() == 0;
	pfdir = sg_conf_path(conf, "release", "postfix_config_dir");
	d.pfdir = pfdir;
	printf("sendguardctl doctor: %s, Postfix configuration %s\n", conf_path, pfdir);
	if (!d.root)
		dr_skip("not run as root: the socket and ownership checks need it");
	if (dr_sock_parse(sg_conf_str(conf, "milter", "socket"), &ours) < 0)
		dr_fail(&d, "[milter] socket %s: not unix:/PATH or inet:PORT@HOST",
			sg_conf_str(conf, "milter", "socket"));
	else if (strcmp(sg_conf_str(conf, "release", "backend"), "postfix") == 0)
		dr_postfix(&d, &ours);
	else
		dr_skip("postfix: [release] backend is not postfix");
	dr_units(&d);
	pw = getpwnam(sg_conf_str(conf, "milter", "user"));
	if (pw == NULL) {
		dr_fail(&d, "[milter] user %s does not exist",
			sg_conf_str(conf, "milter", "user"));
	} else {
		pwc = *pw;
		pwc.pw_name = sg_xstrdup(pw->pw_name);
		dr_ownership(&d, &pwc);
		if (dr_become(&d, &pwc) == 0)
			dr_load(&d, !set[0], vals[0]);
		free(pwc.pw_name);
	}
	if (d.problems)
		printf("sendguardctl doctor: %d problem%s\n", d.problems,
		       d.problems == 1 ? "" : "s");
	else
		printf("sendguardctl doctor: no problems found\n");
	dr_sock_free(&ours);
	free(d.queue_dir);
	free(d.notice_svc);
	free(pfdir);
	sg_conf_free(conf);
	return d.problems ? CTL_EX_REFUSED : 0;
}
