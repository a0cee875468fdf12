/*
 * NAME
 *	sg_log - a daemon's log lines (see sg_log.h)
 */
#include "util/sg_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

/* A line to stderr; longer ones are cut and end in "...". */
#define SG_LOG_LINE 2048

static const char *sg_log_prefix;	/* NULL: no stderr copy */

bool sg_log_stderr_is_journal(void)
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

void sg_log_open(const char *ident, const char *prefix, bool to_stderr)
{
	sg_log_prefix = to_stderr && !sg_log_stderr_is_journal() ? prefix : NULL;
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

static void sg_log_stderr(const char *fmt, va_list ap)
{
	char line[SG_LOG_LINE];
	size_t n = (size_t)snprintf(line, sizeof(line) / 4, "%s: ", sg_log_prefix);
	int w;

	if (n >= sizeof(line) / 4)
		n = sizeof(line) / 4 - 1;
	w = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (w < 0)
		return;
	if ((size_t)w >= sizeof(line) - n - 1) {
		/* cut: vsnprintf filled up to the last byte but one */
		n = sizeof(line) - 2;
		memcpy(line + n - 3, "...", 3);
	} else {
		n += (size_t)w;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;	/* nowhere left to say it */
}

void sg_log_v(int prio, const char *fmt, va_list ap)
{
	va_list copy;

	va_copy(copy, ap);
	vsyslog(prio, fmt, ap);
	if (sg_log_prefix != NULL)
		sg_log_stderr(fmt, copy);
	va_end(copy);
}
