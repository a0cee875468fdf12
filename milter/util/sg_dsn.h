/*
 * NAME
 *	sg_dsn - check a PostgreSQL connection string before it is used
 * SYNOPSIS
 *	#include "util/sg_dsn.h"
 * DESCRIPTION
 *	`[store] dsn` is a libpq connection string, in either of libpq's
 *	forms: keyword = value pairs (values optionally in single quotes,
 *	backslash escapes) or a postgresql:// (postgres://) URI. The
 *	configuration must never carry a password (it is read by the
 *	milter, sendguardctl and the page, printed by `sendguardctl
 *	config`, and copied into tickets); the password belongs in a
 *	password file (~/.pgpass, or passfile=...). A database on another
 *	host must be reached with sslmode=verify-full, so that neither
 *	the decisions nor the audit log cross the network to a server that
 *	has not proved its name.
 *
 *	sg_dsn_check() refuses: a password keyword or URI parameter, a
 *	URI user part with a ':' (user:password@), a host or hostaddr that
 *	is not this machine (not empty, a unix socket directory, localhost,
 *	127.0.0.0/8 or ::1) without sslmode=verify-full, and text that is
 *	neither form. The PostgreSQL store checks again with libpq's own
 *	parser when it connects.
 * DIAGNOSTICS
 *	0 when the string is acceptable; -1 with why filled (never with
 *	the connection string itself, which might hold a password).
 */
#ifndef SG_DSN_H
#define SG_DSN_H

#include "util/sg_buf.h"

int sg_dsn_check(const char *dsn, sg_buf *why);
/* The passfile= the connection string names (keyword or URI parameter),
 * copied into out (size bytes): 1; 0 when it names none (libpq then
 * reads $PGPASSFILE or ~/.pgpass), -1 when it cannot be parsed or the
 * path does not fit. For `sendguardctl doctor`, which checks its mode. */
int sg_dsn_passfile(const char *dsn, char *out, size_t size);

#endif
