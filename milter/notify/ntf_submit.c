/*
 * NAME
 *	ntf_submit - hand a notice to the MTA through its sendmail command
 * SYNOPSIS
 *	#include "notify/ntf.h"
 * DESCRIPTION
 *	`[notify] sendmail` is split into words at blanks ('...' and "..."
 *	group words; no other shell syntax) and run directly, never through
 *	a shell, with `-f FROM -i -- RCPT...` appended: an address holds
 *	whatever a sender typed, and "--" keeps one that starts with '-'
 *	from being read as an option. -i: a line with a single dot is text.
 *
 *	The milter is threaded, so the child is started with posix_spawn
 *	(no fork of a threaded process), in its own process group (so that
 *	a timeout kills what it started too), with SIGPIPE at its default
 *	and an empty signal mask. Our own writes to its stdin run with
 *	SIGPIPE blocked in this thread, and a SIGPIPE raised by them is
 *	consumed before it is unblocked: a sendmail that exits early must
 *	not kill the milter.
 *
 *	Whole notices or none (issue 15): a kill while we piped a notice
 *	into sendmail made sendmail submit what it had got (empty notices
 *	reached people). The message is therefore written completely into
 *	an anonymous memory file first (memfd_create), and only then is
 *	sendmail started with that file as its stdin: killed before the
 *	spawn, nothing is sent; after it, sendmail reads the whole notice
 *	(it runs in its own process group and outlives us).
 *
 *	stdout and stderr of the child are read into one buffer (Postfix's
 *	sendmail writes its complaints there); the first line goes into the
 *	error message.
 * DIAGNOSTICS
 *	Returns an ntf_submit_result; for anything but NTF_SUBMIT_OK err
 *	says what happened, with the exit status and the first line the
 *	command wrote.
 */
#include "notify/ntf.h"
#include "util/sg_clock.h"
#include "util/sg_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NTF_OUTPUT_MAX	4096	/* bytes of the command's output kept */
#define NTF_WORD_MAX	4096	/* bytes of one word of the command */

extern char **environ;

typedef struct ntf_child {
	pid_t pid;
	int in;		/* its stdin, our write end; -1 when closed */
	int out;	/* its stdout+stderr, our read end; -1 at EOF */
	const char *msg;
	size_t len, off;
	sg_buf output;
	struct timespec deadline;
} ntf_child;

/* ------------------------------------------------------------ argv */

/* Appends the words of cmd to argv; -1 for an unclosed quote or too
 * many words. */
static int ntf_split(const char *cmd, ntf_strv *argv)
{
	sg_buf w;
	int rc = 0;

	sg_buf_init(&w, NTF_WORD_MAX);
	while (*cmd && rc == 0) {
		bool inword = false;

		while (*cmd == ' ' || *cmd == '\t')
			cmd++;
		sg_buf_reset(&w);
		while (*cmd && *cmd != ' ' && *cmd != '\t') {
			char q = *cmd;
			const char *e;

			inword = true;
			if (q != '\'' && q != '"') {
				sg_buf_putc(&w, *cmd++);
				continue;
			}
			if ((e = strchr(cmd + 1, q)) == NULL)
				return sg_buf_free(&w), -1;
			sg_buf_append(&w, cmd + 1, (size_t)(e - cmd - 1));
			cmd = e + 1;
		}
		if (inword && (argv->n >= NTF_SUBMIT_MAX_WORDS || w.toobig))
			rc = -1;
		else if (inword)
			ntf_strv_add(argv, sg_buf_cstr(&w));
	}
	sg_buf_free(&w);
	return rc;
}

static bool ntf_envelope_ok(const char *a)
{
	if (a == NULL || *a == '\0' || strlen(a) > NTF_PERSON_MAX)
		return false;
	for (; *a; a++)
		if ((unsigned char)*a < ' ' || *a == 0x7f)
			return false;
	return true;
}

static int ntf_build_argv(const char *command, const char *from,
			  const char *const *rcpts, size_t n, ntf_strv *argv, sg_buf *err)
{
	if (ntf_split(command ? command : "", argv) < 0 || argv->n == 0) {
		sg_buf_printf(err, "[notify] sendmail \"%s\": not a command (empty, an "
			      "unclosed quote, or more than %d words)",
			      command ? command : "", NTF_SUBMIT_MAX_WORDS);
		return -1;
	}
	if (!ntf_envelope_ok(from) || n == 0) {
		sg_buf_puts(err, "notice: no usable envelope sender or no recipient");
		return -1;
	}
	ntf_strv_add(argv, "-f");
	ntf_strv_add(argv, from);
	ntf_strv_add(argv, "-i");
	ntf_strv_add(argv, "--");
	for (size_t i = 0; i < n; i++) {
		if (!ntf_envelope_ok(rcpts[i])) {
			sg_buf_puts(err, "notice: a recipient address holds a control character");
			return -1;
		}
		ntf_strv_add(argv, rcpts[i]);
	}
	ntf_strv_add(argv, "");
	free(argv->v[argv->n - 1]);
	argv->v[argv->n - 1] = NULL;	/* execv's terminator */
	return 0;
}

/* ----------------------------------------------------------- spawn */

/* The whole message in an anonymous file, read position at its start. */
static int ntf_message_file(const void *msg, size_t len, sg_buf *err)
{
	int fd = memfd_create("sendguard-notice", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0) {
		sg_buf_printf(err, "memfd_create: %s", strerror(errno));
		return -1;
	}
	while (off < len) {
		ssize_t w = write(fd, (const char *)msg + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			sg_buf_printf(err, "writing the notice: %s", strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		sg_buf_printf(err, "lseek: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int ntf_spawn(ntf_child *c, char **argv, int msgfd, sg_buf *err)
{
	int pin[2], pout[2], rc;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;

	if (pipe2(pin, O_CLOEXEC) < 0)
		return sg_buf_printf(err, "pipe: %s", strerror(errno)), -1;
	if (pipe2(pout, O_CLOEXEC) < 0) {
		close(pin[0]), close(pin[1]);
		return sg_buf_printf(err, "pipe: %s", strerror(errno)), -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, msgfd >= 0 ? msgfd : pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 2);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
				 POSIX_SPAWN_SETPGROUP);
	rc = posix_spawnp(&c->pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(pin[0]);
	close(pout[1]);
	c->in = pin[1];
	c->out = pout[0];
	if (rc != 0) {
		sg_buf_printf(err, "cannot run %s: %s", argv[0], strerror(rc));
		return -1;
	}
	fcntl(c->in, F_SETFL, O_NONBLOCK);
	return 0;
}

/* -------------------------------------------------------------- I/O */

/* Writes what the pipe takes. SIGPIPE is blocked in this thread, so an
 * early exit of the child shows as EPIPE; then we stop writing and
 * let its exit status tell what happened. */
static void ntf_write_some(ntf_child *c)
{
	ssize_t w = write(c->in, c->msg + c->off, c->len - c->off);

	if (w > 0)
		c->off += (size_t)w;
	if ((w < 0 && errno != EAGAIN && errno != EINTR) || c->off == c->len) {
		close(c->in);
		c->in = -1;
	}
}

static void ntf_read_some(ntf_child *c)
{
	char chunk[1024];
	ssize_t r = read(c->out, chunk, sizeof(chunk));

	if (r > 0 && c->output.len < NTF_OUTPUT_MAX)
		sg_buf_append(&c->output, chunk, (size_t)r <= NTF_OUTPUT_MAX - c->output.len
			      ? (size_t)r : NTF_OUTPUT_MAX - c->output.len);
	if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
		close(c->out);
		c->out = -1;
	}
}

/* Feeds stdin and drains output until both are closed; -1 on timeout. */
static int ntf_pump(ntf_child *c)
{
	while (c->in >= 0 || c->out >= 0) {
		struct pollfd p[2] = { { c->in, POLLOUT, 0 }, { c->out, POLLIN, 0 } };
		int ms = sg_ms_until(&c->deadline), n;

		if (ms == 0)
			return -1;
		n = poll(p, 2, ms);	/* negative fds are ignored by poll */
		if (n < 0 && errno != EINTR)
			return -1;
		if (n <= 0)
			continue;
		if (c->in >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP)))
			ntf_write_some(c);
		if (c->out >= 0 && (p[1].revents & (POLLIN | POLLERR | POLLHUP)))
			ntf_read_some(c);
	}
	return 0;
}

/* Waits for the child until the deadline; -1 when it is still running. */
static int ntf_reap(ntf_child *c, int *status)
{
	for (;;) {
		pid_t r = waitpid(c->pid, status, WNOHANG);
		struct timespec tick = { 0, 10 * 1000 * 1000 };

		if (r == c->pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return 0;	/* reaped elsewhere: nothing to kill */
		if (sg_ms_until(&c->deadline) == 0)
			return -1;
		nanosleep(&tick, NULL);
	}
}

/* Runs the pipe work with SIGPIPE blocked in this thread and any
 * SIGPIPE our writes raised consumed before the old mask returns. */
static int ntf_pump_nosigpipe(ntf_child *c)
{
	sigset_t pipe_set, old, pending;
	struct timespec zero = { 0, 0 };
	bool was_pending;
	int rc;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	rc = ntf_pump(c);
	sigpending(&pending);
	if (!was_pending && sigismember(&pending, SIGPIPE))
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void ntf_first_line(const sg_buf *out, sg_buf *err)
{
	const char *s = sg_buf_cstr(out);
	size_t n = strcspn(s, "\r\n");

	if (n)
		sg_buf_printf(err, ": %.*s", (int)(n > 300 ? 300 : n), s);
}

static ntf_submit_result ntf_finish(ntf_child *c, const char *cmd, int timeout_s,
				    int *status_out, sg_buf *err)
{
	int st = 0;

	if (ntf_pump_nosigpipe(c) < 0 || ntf_reap(c, &st) < 0) {
		kill(-c->pid, SIGKILL);	/* its process group: what it started too */
		while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
			;
		sg_buf_printf(err, "%s: no answer within %d s; killed", cmd, timeout_s);
		return NTF_SUBMIT_TIMEOUT;
	}
	if (WIFEXITED(st) && status_out)
		*status_out = WEXITSTATUS(st);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return NTF_SUBMIT_OK;
	if (WIFEXITED(st))
		sg_buf_printf(err, "%s exited with status %d", cmd, WEXITSTATUS(st));
	else
		sg_buf_printf(err, "%s killed by signal %d", cmd,
			      WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	ntf_first_line(&c->output, err);
	return NTF_SUBMIT_STATUS;
}

ntf_submit_result ntf_submit(const char *command, const char *envelope_from,
			     const char *const *rcpts, size_t nrcpts,
			     const void *message, size_t len, int timeout_s,
			     int *status_out, sg_buf *err)
{
	ntf_child c = { .pid = -1, .in = -1, .out = -1, .msg = message, .len = len };
	ntf_submit_result r;
	ntf_strv argv;
	int msgfd = -1;

	if (status_out)
		*status_out = -1;
	ntf_strv_init(&argv);
	if (ntf_build_argv(command, envelope_from, rcpts, nrcpts, &argv, err) < 0) {
		ntf_strv_free(&argv);
		return NTF_SUBMIT_USAGE;
	}
	if (len == 0) {
		sg_buf_puts(err, "notice: empty message: not submitted");
		ntf_strv_free(&argv);
		return NTF_SUBMIT_USAGE;
	}
	sg_buf_init(&c.output, NTF_OUTPUT_MAX);
	if ((msgfd = ntf_message_file(message, len, err)) < 0 ||
	    ntf_spawn(&c, argv.v, msgfd, err) < 0) {
		r = NTF_SUBMIT_EXEC;
	} else {
		clock_gettime(CLOCK_MONOTONIC, &c.deadline);
		c.deadline.tv_sec += timeout_s > 0 ? timeout_s : 1;
		/* stdin is the complete file: nothing to pipe. */
		close(c.in);
		c.in = -1;
		r = ntf_finish(&c, argv.v[0], timeout_s, status_out, err);
	}
	if (c.in >= 0)
		close(c.in);
	if (c.out >= 0)
		close(c.out);
	if (msgfd >= 0)
		close(msgfd);
	sg_buf_free(&c.output);
	ntf_strv_free(&argv);
	return r;
}
