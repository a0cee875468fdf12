/*
 * NAME
 *	ctl - sendguardctl, the administrators' tool
 * DESCRIPTION
 *	Exit statuses follow sysexits(3) for errors, so that scripts can
 *	tell a usage mistake (64) from unreadable input (66), an internal
 *	error (70) and a configuration error (78). `check` exits 0 for
 *	accept or log, 1 for hold or bcc, 2 for reject.
 */
#ifndef CTL_H
#define CTL_H

#include "util/sg_conf.h"

#define CTL_EX_USAGE 64
#define CTL_EX_NOINPUT 66
#define CTL_EX_SOFTWARE 70
#define CTL_EX_CANTCREAT 73
#define CTL_EX_NOPERM 77
#define CTL_EX_CONFIG 78

typedef struct ctl_cmd {
	const char *name;
	const char *summary;	/* one line, English / Japanese */
	int (*run)(const char *conf_path, int argc, char **argv);
	void (*help)(void);
} ctl_cmd;

int ctl_check(const char *conf_path, int argc, char **argv);
void ctl_check_help(void);
int ctl_config(const char *conf_path, int argc, char **argv);
void ctl_config_help(void);

int ctl_keygen(const char *conf_path, int argc, char **argv);
void ctl_keygen_help(void);

/* ctl_priv.c: as root, become the store's owner (0, or -1 said). */
int ctl_become_store_owner(const sg_conf *conf);
/* "alice" or "root via sudo by alice", for the audit log. */
const char *ctl_unix_user(void);

/* Loads the configuration or prints the error; NULL means exit 78. */
sg_conf *ctl_load_conf(const char *path);
/* True when argv[i] is -h or --help. */
int ctl_is_help(const char *arg);

#endif
