/*
 * NAME
 *	mlt_log - the milter's log lines
 * DESCRIPTION
 *	sg_log with the ident "sendguard" (syslog, mail facility, where
 *	Postfix's own lines are, so an administrator greps one file) and,
 *	in the foreground, stderr prefixed "sendguard-milter" unless stderr
 *	is the journal. Callers never log evidence: only ids, verdicts and
 *	categories.
 */
#include "daemon/mlt.h"
#include "util/sg_log.h"

#include <stdarg.h>

void mlt_log_init(bool foreground)
{
	sg_log_open("sendguard", "sendguard-milter", foreground);
}

void mlt_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sg_log_v(prio, fmt, ap);
	va_end(ap);
}
