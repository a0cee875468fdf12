/*
 * NAME
 *	ctl_store - `sendguardctl store init`: the one command that
 *	creates the store; `store migrate`
 * DESCRIPTION
 *	Nothing else creates the store: the milter, the web page and every
 *	other command open it by path and fail when it is missing (issue
 *	15: `list` used to make an empty store where the real one had been
 *	deleted and report "no holds"). `make install` runs this once.
 *
 *	Run as root, it first becomes [milter] user (ctl_become_store_owner:
 *	a store root made would lock the milter out). A store that is
 *	already there and opens is left alone (exit 0, so that install
 *	can run it again); a file that is there and is not a usable store
 *	(truncated, damaged, someone else's) is never overwritten: the
 *	administrator moves it aside (README: when the store is lost).
 *	A new store gets an audit record "store-init" with its id.
 *
 *	[store] backend = postgresql: init creates the schema in the
 *	database of [store] dsn when it has none (and leaves one that is
 *	there alone); migrate brings an older schema up, which only this
 *	command does for a database that several gateways share.
 * DIAGNOSTICS
 *	Exit 0 created or already there, 64 usage, 73 cannot create (a
 *	broken file is in the way, a -wal file of an old store, or the
 *	directory is missing or not writable), 77 cannot become the
 *	store's owner, 78 configuration.
 */
#include "ctl/ctl.h"
#include "util/sg_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void ctl_store_help(void)
{
	printf("usage: sendguardctl [-c CONF] store init | migrate\n"
	       "\n"
	       "Create the store ([store] path) with the current schema and a new\n"
	       "store id, as [milter] user when run as root. Nothing else creates\n"
	       "it: after a lost store, run `store init`, then `reconcile --rebuild`\n"
	       "(README: when the store is lost). An existing store is left alone.\n"
	       "保留データベースを作成します (既存のものはそのまま)。\n"
	       "With [store] backend = postgresql, init creates the schema in the\n"
	       "database of [store] dsn; `store migrate` brings an older schema up\n"
	       "(a shared database is migrated by nothing else).\n"
	       "\n"
	       "exit status: 0 created or already there, 64 usage, 73 cannot create\n"
	       "(a file that is not a usable store is in the way: move it aside),\n"
	       "77 cannot switch to the store's owner, 78 configuration error.\n");
}

static int ctl_store_init(const sg_conf *conf)
{
	char *path = sg_conf_path(conf, "store", "path");
	struct stat sb;
	sg_buf err, d;
	st_store *st;
	int ex = 0;

	sg_buf_init(&err, 4096);
	if (strcmp(sg_conf_str(conf, "store", "backend"), "sqlite") != 0) {
		st_config sc = { sg_conf_str(conf, "store", "backend"), path,
				 sg_conf_str(conf, "store", "dsn"),
				 SG_CONF_STR(conf, store_gateway) };

		st = st_create_config(&sc, &err);
		if (st == NULL)
			fprintf(stderr, "sendguardctl store init: %s\n", sg_buf_cstr(&err));
		else
			printf("store %s ready (store id %s)\n", st_path(st), st_id(st));
		ex = st == NULL ? CTL_EX_CANTCREAT : 0;
		st_close(st);
		sg_buf_free(&err);
		free(path);
		return ex;
	}
	if (lstat(path, &sb) == 0) {
		if ((st = st_open(path, &err)) != NULL) {
			printf("store %s already exists (store id %s): left as it is\n",
			       path, st_id(st));
		} else {
			fprintf(stderr, "sendguardctl store init: %s is there but is not a"
				" usable store (%s): move it aside, with its -wal and -shm"
				" files, and run store init again\n", path,
				sg_buf_cstr(&err));
			ex = CTL_EX_CANTCREAT;
		}
		st_close(st);
		sg_buf_free(&err);
		free(path);
		return ex;
	}
	if ((st = st_create(path, &err)) == NULL) {
		fprintf(stderr, "sendguardctl store init: cannot create the store: %s\n",
			sg_buf_cstr(&err));
		sg_buf_free(&err);
		free(path);
		return CTL_EX_CANTCREAT;
	}
	sg_buf_init(&d, 4096);
	sg_buf_puts(&d, "{\"store_id\":");
	sg_json_str(&d, st_id(st));
	sg_buf_puts(&d, ",\"path\":");
	sg_json_str(&d, path);
	sg_buf_putc(&d, '}');
	if (st_audit_append(st, "store-init", NULL, NULL, "store-init",
			    ctl_unix_user(), sg_buf_cstr(&d), &err) != ST_OK)
		fprintf(stderr, "sendguardctl store init: warning: %s\n", sg_buf_cstr(&err));
	printf("store %s created (store id %s)\n", path, st_id(st));
	sg_buf_free(&d);
	st_close(st);
	sg_buf_free(&err);
	free(path);
	return 0;
}

/* `store migrate`: brings the store's schema up to this sendguard's.
 * SQLite stores migrate whenever a program opens them; a PostgreSQL
 * store, shared by several gateways, only here, once every gateway
 * runs a sendguard that knows the new version. */
static int ctl_store_migrate(const sg_conf *conf)
{
	char *path = sg_conf_path(conf, "store", "path");
	st_config sc = { sg_conf_str(conf, "store", "backend"), path,
			 sg_conf_str(conf, "store", "dsn"),
			 SG_CONF_STR(conf, store_gateway) };
	sg_buf err;
	st_store *st;
	int from = 0, ex = 0;

	sg_buf_init(&err, 4096);
	if ((st = st_migrate_config(&sc, &from, &err)) == NULL) {
		fprintf(stderr, "sendguardctl store migrate: %s\n", sg_buf_cstr(&err));
		ex = CTL_EX_SOFTWARE;
	} else if (from == st_schema_version(st))
		printf("store %s: schema version %d, nothing to do\n", st_path(st), from);
	else
		printf("store %s: schema version %d -> %d\n", st_path(st), from,
		       st_schema_version(st));
	st_close(st);
	sg_buf_free(&err);
	free(path);
	return ex;
}

int ctl_store(const char *conf_path, int argc, char **argv)
{
	sg_conf *conf;
	int ex;

	if (argc != 1 || (strcmp(argv[0], "init") != 0 &&
			  strcmp(argv[0], "migrate") != 0)) {
		fprintf(stderr, "sendguardctl store: expected `store init` or"
			" `store migrate`\n");
		return CTL_EX_USAGE;
	}
	if ((conf = ctl_load_conf(conf_path)) == NULL)
		return CTL_EX_CONFIG;
	if (ctl_become_store_owner(conf) < 0) {
		sg_conf_free(conf);
		return CTL_EX_NOPERM;
	}
	ex = strcmp(argv[0], "init") == 0 ? ctl_store_init(conf)
					  : ctl_store_migrate(conf);
	sg_conf_free(conf);
	return ex;
}
