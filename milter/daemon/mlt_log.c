/*
 * NAME
 *	mlt_log - the milter's log lines
 * DESCRIPTION
 *	syslog with the mail facility, where Postfix's own lines are, so an
 *	administrator greps one file. In the foreground (-f) lines also go
 *	to stderr. Callers never log evidence: only ids, verdicts and
 *	categories.
 */
#include "daemon/mlt.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

static bool mlt_log_fg;

void mlt_log_init(bool foreground)
{
	mlt_log_fg = foreground;
	openlog("sendguard", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void mlt_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
	if (mlt_log_fg) {
		va_start(ap, fmt);
		fputs("sendguard-milter: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
}
