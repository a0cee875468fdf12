/*
 * NAME
 *	sg_log - a daemon's log lines: syslog, and stderr in the foreground
 * SYNOPSIS
 *	#include "util/sg_log.h"
 * DESCRIPTION
 *	The milter and the web service log to syslog with the mail
 *	facility, where Postfix's own lines are. In the foreground (-f, as
 *	their units run them) a line also goes to stderr, prefixed
 *	"PREFIX: ", unless stderr is the systemd journal (JOURNAL_STREAM
 *	names it, systemd.exec(5)): journald already files the syslog line
 *	under the unit, and a second copy showed each line twice in
 *	`journalctl -u`. A line to stderr is one write(2): the workers of
 *	a daemon log at once, and pieces written apart could interleave.
 *	Must never: fail, block on anything but syslog and stderr, or log
 *	evidence (the callers' rule: ids, verdicts and categories only).
 */
#ifndef SG_LOG_H
#define SG_LOG_H

#include <stdarg.h>
#include <stdbool.h>

/* Opens syslog as ident; to_stderr asks for the foreground copy, made
 * only when stderr is not the journal. prefix is kept, not copied. */
void sg_log_open(const char *ident, const char *prefix, bool to_stderr);
void sg_log_v(int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Whether stderr is the stream systemd connected to the journal. */
bool sg_log_stderr_is_journal(void);

#endif
