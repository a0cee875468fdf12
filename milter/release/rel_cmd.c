/*
 * NAME
 *	rel_cmd - run postsuper, postqueue, postcat and postconf
 * SYNOPSIS
 *	#include "release/rel.h"
 * DESCRIPTION
 *	The release step runs as root, so nothing here goes through a
 *	shell: the argument vector is passed as it is to posix_spawn(3),
 *	and queue ids are checked (rel_queue_id_valid) before they get
 *	there. stdin is /dev/null. The child leads its own process group,
 *	so that a timeout kills whatever it started too. Output is read
 *	with poll(2) until both pipes close; what passes the bound is
 *	read and dropped (the child must never block on a full pipe) and
 *	marks the buffer toobig.
 * DIAGNOSTICS
 *	rel_run() returns -1 with err only when the program could not be
 *	started; its exit status, a timeout and its output are in the
 *	rel_result.
 */
#include "release/rel.h"
#include "util/sg_clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

void rel_result_init(rel_result *r, size_t max_out)
{
	r->status = -1;
	r->timed_out = false;
	sg_buf_init(&r->out, max_out);
	sg_buf_init(&r->err, max_out);
}

void rel_result_free(rel_result *r)
{
	sg_buf_free(&r->out);
	sg_buf_free(&r->err);
}

size_t rel_split_words(char *s, char *words[REL_MAX_WORDS])
{
	size_t n = 0;
	char *save = NULL;

	for (char *w = strtok_r(s, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n + 1 >= REL_MAX_WORDS)
			return 0;
		words[n++] = w;
	}
	words[n] = NULL;
	return n;
}

static int rel_spawn(char *const argv[], int out_w, int err_w, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_w, 1);
	posix_spawn_file_actions_adddup2(&fa, err_w, 2);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	if (strchr(argv[0], '/') != NULL)
		rc = posix_spawn(pid, argv[0], &fa, &at, argv, environ);
	else
		rc = posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

/* Reads what is there; 0 at end of file. */
static int rel_drain(int fd, sg_buf *b)
{
	char chunk[8192];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n > 0 && b->len + (size_t)n <= b->max)
		sg_buf_append(b, chunk, (size_t)n);
	else if (n > 0)
		b->toobig = true;
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	return n > 0;
}

static void rel_collect(int fds[2], pid_t pid, int timeout_s, rel_result *r)
{
	struct pollfd p[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };
	struct timespec t0;
	sg_buf *bufs[2] = { &r->out, &r->err };
	int open_fds = 2;
	long left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (open_fds > 0) {
		left = (long)timeout_s * 1000 - sg_ms_since(&t0);
		if (left <= 0) {
			r->timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(p, 2, (int)(left > 1000 ? 1000 : left)) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++)
			if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    rel_drain(p[i].fd, bufs[i]) == 0) {
				p[i].fd = -1;
				open_fds--;
			}
	}
}

int rel_run(char *const argv[], int timeout_s, rel_result *r, sg_buf *err)
{
	int out[2], errp[2], fds[2], st = 0, rc;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		sg_buf_printf(err, "pipe: %s", strerror(errno));
		return -1;
	}
	rc = rel_spawn(argv, out[1], errp[1], &pid);
	close(out[1]);
	close(errp[1]);
	if (rc != 0) {
		close(out[0]);
		close(errp[0]);
		sg_buf_printf(err, "cannot run %s: %s", argv[0], strerror(rc));
		return -1;
	}
	fds[0] = out[0], fds[1] = errp[0];
	rel_collect(fds, pid, timeout_s, r);
	close(out[0]);
	close(errp[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(st) && !r->timed_out ? WEXITSTATUS(st) : -1;
	return 0;
}
