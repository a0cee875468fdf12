/*
 * NAME
 *	mlt_log - the milter's log lines
 * DESCRIPTION
 *	syslog with the mail facility, where Postfix's own lines are, so an
 *	administrator greps one file. In the foreground (-f) lines also go
 *	to stderr, unless stderr is the systemd journal: the journal gets
 *	the syslog line already (journald reads /dev/log and files it under
 *	the unit), and a second copy made each verdict appear twice in
 *	`journalctl -u sendguard-milter`. Callers never log evidence: only
 *	ids, verdicts and categories.
 */
#include "daemon/mlt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

/* A line to stderr; longer ones are cut and end in "...". */
#define MLT_LOG_LINE 2048

static bool mlt_log_fg;

/* systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it
 * connected to the journal (systemd.exec(5)); stderr is that stream when
 * it is the same file. */
static bool mlt_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void mlt_log_init(bool foreground)
{
	mlt_log_fg = foreground && !mlt_stderr_is_journal();
	openlog("sendguard", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* One write a line: stderr is unbuffered, and the workers log at the
 * same time; pieces written apart could interleave. */
static void mlt_log_stderr(const char *fmt, va_list ap)
{
	static const char prefix[] = "sendguard-milter: ";
	char line[MLT_LOG_LINE];
	size_t n = sizeof(prefix) - 1;
	int w;

	memcpy(line, prefix, n);
	w = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (w < 0)
		return;
	if ((size_t)w >= sizeof(line) - n - 1) {
		n = sizeof(line) - 1;
		memcpy(line + n - 4, "...", 3);
		n--;
	} else {
		n += (size_t)w;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;	/* nowhere left to say it */
}

void mlt_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
	if (mlt_log_fg) {
		va_start(ap, fmt);
		mlt_log_stderr(fmt, ap);
		va_end(ap);
	}
}
