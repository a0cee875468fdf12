/*
 * NAME
 *	pdp_pool - the PDF text worker pool
 * DESCRIPTION
 *	See pdp.h and pdftext/pdt_proto.h. The worker is a program of its
 *	own (sendguard-pdftext, next to the program that starts it),
 *	started with posix_spawn, not a child forked from the milter before
 *	its threads: a worker that dies or is killed must be replaced while
 *	libmilter's threads run, and only exec gives a clean process there
 *	(a fork of a threaded process may only call async-signal-safe
 *	functions); exec also leaves the milter's memory (messages being
 *	scanned, the store's handles, the keys) behind, and poppler and its
 *	fonts are loaded only by the worker.
 *
 *	Each worker has one socketpair (its stdin and stdout): send with
 *	MSG_NOSIGNAL, so that a dead worker is an error to handle, not a
 *	SIGPIPE that kills the caller; everything with poll() against the
 *	document's deadline. A thread takes a free worker (waiting at most
 *	until that deadline), sends one document and reads the answer; a
 *	worker that passes the deadline is killed (SIGKILL) and replaced at
 *	once, so is one that died or broke the protocol. The pool trusts
 *	nothing the worker says: records are checked against the request's
 *	own bounds before they reach the engine (which checks them again).
 *
 *	Must never: block without a deadline, let a worker inherit the
 *	caller's descriptors or blocked signals.
 */
#include "pdfpool/pdp.h"
#include "pdftext/pdt_proto.h"
#include "util/sg_clock.h"
#include "util/sg_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define PDP_WORKER_NAME "sendguard-pdftext"
/* A slot whose worker would not start is tried again after this. */
#define PDP_RESPAWN_PAUSE 1
#define PDP_MAX_WORKERS 64

typedef struct pdp_slot {
	pid_t pid;		/* 0: no worker */
	int fd;			/* our end of its socketpair */
	bool busy;		/* owned by a scanning thread */
	time_t failed;		/* monotonic second of the last failed start */
} pdp_slot;

struct pdp_pool {
	char *worker;
	unsigned n;
	pdp_slot *slots;
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* a slot was released */
	char why[256];		/* why the last start failed */
};

static time_t pdp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* ---- the pool ------------------------------------------------------------ */

static int pdp_spawn(pdp_pool *pool, pdp_slot *s)
{
	int sv[2], rc;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	char *argv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(pool->why, sizeof(pool->why), "socketpair: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
	/* Nothing of ours but stderr: not the milter's socket, not the
	 * store, not the other workers' pipes. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&def);
	/* The milter blocks TERM/INT/HUP/USR1 in its threads and ignores
	 * PIPE; the worker must die of them as any program does. */
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGUSR1);
	sigaddset(&def, SIGXCPU);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	argv[0] = pool->worker;
	argv[1] = NULL;
	rc = posix_spawn(&pid, pool->worker, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(sv[1]);
	if (rc != 0) {
		snprintf(pool->why, sizeof(pool->why), "%s: %s", pool->worker, strerror(rc));
		close(sv[0]);
		return -1;
	}
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	s->pid = pid;
	s->fd = sv[0];
	return 0;
}

/* Ends a slot's worker and returns its wait status. A healthy worker
 * exits at the end of its input; unless told to kill, give it a moment
 * (a crashed one is already gone, and its status tells why). */
static int pdp_reap(pdp_slot *s, bool kill_now)
{
	int st = 0;
	pid_t r = 0;

	if (s->pid <= 0)
		return 0;
	close(s->fd);
	s->fd = -1;
	for (int i = 0; !kill_now && i < 40; i++) {
		struct timespec ts = { 0, 5000000 };

		if ((r = waitpid(s->pid, &st, WNOHANG)) != 0)
			break;
		nanosleep(&ts, NULL);
	}
	if (r == 0 || kill_now) {
		kill(s->pid, SIGKILL);
		while ((r = waitpid(s->pid, &st, 0)) < 0 && errno == EINTR)
			;
	}
	s->pid = 0;
	return r < 0 ? 0 : st;
}

char *pdp_default_worker(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	sg_buf b;
	char *slash;

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL)
			slash[1] = '\0';
		sg_buf_printf(&b, "%s%s", self, PDP_WORKER_NAME);
	} else {
		sg_buf_puts(&b, PDP_WORKER_NAME);
	}
	return sg_buf_steal(&b);
}

int pdp_check(const char *worker, sg_buf *err)
{
	if (access(worker, X_OK) < 0) {
		sg_buf_printf(err, "PDF text worker %s: %s (it is built and installed "
			      "with sendguard-milter)", worker, strerror(errno));
		return -1;
	}
	return 0;
}

pdp_pool *pdp_new(const char *worker, unsigned nworkers, bool start_now,
		  sg_buf *err)
{
	pdp_pool *pool;
	pthread_condattr_t ca;

	if (pdp_check(worker, err) < 0)
		return NULL;
	pool = sg_xcalloc(1, sizeof(*pool));
	pool->worker = sg_xstrdup(worker);
	pool->n = nworkers < 1 ? 1 : nworkers > PDP_MAX_WORKERS ?
		  PDP_MAX_WORKERS : nworkers;
	pool->slots = sg_xcalloc(pool->n, sizeof(pdp_slot));
	for (unsigned i = 0; i < pool->n; i++)
		pool->slots[i].fd = -1;
	pthread_mutex_init(&pool->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->cv, &ca);
	pthread_condattr_destroy(&ca);
	for (unsigned i = 0; start_now && i < pool->n; i++)
		if (pdp_spawn(pool, &pool->slots[i]) < 0) {
			sg_buf_printf(err, "cannot start the PDF text worker %s",
				      pool->why);
			pdp_free(pool);
			return NULL;
		}
	return pool;
}

void pdp_free(pdp_pool *pool)
{
	if (pool == NULL)
		return;
	for (unsigned i = 0; i < pool->n; i++)
		(void)pdp_reap(&pool->slots[i], false);
	pthread_mutex_destroy(&pool->mu);
	pthread_cond_destroy(&pool->cv);
	free(pool->slots);
	free(pool->worker);
	free(pool);
}

void pdp_attach(eng_engine *eng, pdp_pool *pool)
{
	eng_engine_set_pdf_reader(eng, pool ? pdp_read : NULL, pool);
}

typedef enum { PDF_GOT, PDF_BUSY, PDF_NONE } pdp_take;

/* A free slot with a worker (started now if need be), waiting for one
 * at most until `until`; PDF_NONE when none is busy and none starts. */
static pdp_take pdp_acquire(pdp_pool *pool, const struct timespec *until,
			    pdp_slot **out, sg_buf *why)
{
	pdp_take rc = PDF_BUSY;

	pthread_mutex_lock(&pool->mu);
	for (;;) {
		bool busy = false;
		pdp_slot *got = NULL;

		for (unsigned i = 0; i < pool->n && !got; i++) {
			pdp_slot *s = &pool->slots[i];

			busy |= s->busy;
			if (!s->busy && s->pid > 0)
				got = s;
		}
		for (unsigned i = 0; i < pool->n && !got; i++) {
			pdp_slot *s = &pool->slots[i];

			if (s->busy || s->pid > 0 ||
			    pdp_now() - s->failed < PDP_RESPAWN_PAUSE)
				continue;
			if (pdp_spawn(pool, s) == 0)
				got = s;
			else
				s->failed = pdp_now();
		}
		if (got) {
			got->busy = true;
			*out = got;
			rc = PDF_GOT;
			break;
		}
		if (!busy) {
			sg_buf_puts(why, pool->why[0] ? pool->why : "no worker");
			rc = PDF_NONE;
			break;
		}
		if (pthread_cond_timedwait(&pool->cv, &pool->mu, until) == ETIMEDOUT) {
			sg_buf_puts(why, "every PDF worker was busy");
			rc = PDF_BUSY;
			break;
		}
	}
	pthread_mutex_unlock(&pool->mu);
	return rc;
}

/* Gives the slot back. A worker that failed was reaped by its thread
 * and is replaced here at once (or by the next acquire). */
static void pdp_release(pdp_pool *pool, pdp_slot *s)
{
	if (s->pid == 0 && pdp_spawn(pool, s) < 0)
		s->failed = pdp_now();
	pthread_mutex_lock(&pool->mu);
	s->busy = false;
	pthread_cond_signal(&pool->cv);
	pthread_mutex_unlock(&pool->mu);
}

/* ---- talking to one worker -------------------------------------------------- */

typedef enum { IO_OK, IO_TIMEOUT, IO_ERR } pdp_io;

static pdp_io pdp_wait(int fd, short ev, const struct timespec *until)
{
	for (;;) {
		struct pollfd p = { fd, ev, 0 };
		int ms = sg_ms_until(until), r;

		if (ms == 0)
			return IO_TIMEOUT;
		r = poll(&p, 1, ms);
		if (r > 0)
			return IO_OK;
		if (r == 0)
			return IO_TIMEOUT;
		if (errno != EINTR)
			return IO_ERR;
	}
}

static pdp_io pdp_send(int fd, const void *p, size_t n, const struct timespec *until)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = send(fd, (const char *)p + done, n - done, MSG_NOSIGNAL);
		pdp_io io;

		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return IO_ERR;
		if ((io = pdp_wait(fd, POLLOUT, until)) != IO_OK)
			return io;
	}
	return IO_OK;
}

static pdp_io pdp_recv(int fd, void *p, size_t n, const struct timespec *until)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, (char *)p + got, n - got, 0);
		pdp_io io;

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EINTR))
			return IO_ERR;	/* the worker is gone */
		if ((io = pdp_wait(fd, POLLIN, until)) != IO_OK)
			return io;
	}
	return IO_OK;
}

typedef enum {
	PA_DONE,		/* an END record came */
	PA_TIMEOUT,		/* the deadline passed: killed */
	PA_DIED,		/* the worker died or broke the protocol */
} pdp_outcome;

/* What the END record said, or how the worker ended. */
typedef struct pdp_end {
	uint32_t npages;	/* the document's page count */
	uint32_t status;	/* PDT_P_ST_* */
	bool retire;
	int wstatus;		/* PA_DIED/PA_TIMEOUT: the wait status */
	char msg[PDT_P_MSG_MAX + 1];
} pdp_end;

static pdp_io pdp_request(pdp_slot *s, const unsigned char *data, size_t len,
			  const eng_pdf_limits *lim, const struct timespec *until)
{
	pdt_p_req rq;
	pdp_io io;

	memset(&rq, 0, sizeof(rq));
	rq.magic = PDT_P_MAGIC;
	rq.version = PDT_P_VERSION;
	rq.len = len;
	rq.max_text = lim->max_text;
	rq.max_memory = lim->max_memory;
	rq.max_pages = lim->max_pages;
	rq.cpu_seconds = lim->seconds;
	if ((io = pdp_send(s->fd, &rq, sizeof(rq), until)) == IO_OK)
		io = pdp_send(s->fd, data, len, until);
	return io;
}

/* Sends one document and passes its pages on, in order and within the
 * request's own bounds; a worker that breaks them is ended. */
static pdp_outcome pdp_talk(pdp_slot *s, const unsigned char *data, size_t len,
			    const eng_pdf_limits *lim, const struct timespec *until,
			    eng_pdf_page_fn page_fn, void *arg, pdp_end *end)
{
	uint64_t budget = lim->max_text;
	uint32_t last = 0;
	char *page = NULL;
	pdp_io io = pdp_request(s, data, len, lim, until);

	while (io == IO_OK) {
		pdt_p_rec r;

		if ((io = pdp_recv(s->fd, &r, sizeof(r), until)) != IO_OK)
			break;
		if (r.type == PDT_P_END && r.len <= PDT_P_MSG_MAX) {
			if ((io = pdp_recv(s->fd, end->msg, (size_t)r.len, until)) != IO_OK)
				break;
			end->msg[r.len] = '\0';
			end->npages = r.page;
			end->status = r.flags & PDT_P_ST_MASK;
			end->retire = (r.flags & PDT_P_F_RETIRE) != 0;
			free(page);
			return PA_DONE;
		}
		if (r.type != PDT_P_PAGE || r.page == 0 || r.page > lim->max_pages ||
		    r.page <= last || r.len > budget) {
			io = IO_ERR;
			break;
		}
		page = sg_xrealloc(page, (size_t)r.len + 1);
		if ((io = pdp_recv(s->fd, page, (size_t)r.len, until)) != IO_OK)
			break;
		budget -= r.len;
		last = r.page;
		if (page_fn(arg, r.page, page, (size_t)r.len,
			    (r.flags & PDT_P_F_IMAGES) != 0) < 0) {
			io = IO_ERR;	/* the engine refused it: end the worker */
			break;
		}
	}
	free(page);
	end->wstatus = pdp_reap(s, io == IO_TIMEOUT);
	return io == IO_TIMEOUT ? PA_TIMEOUT : PA_DIED;
}

static eng_pdf_end pdp_status_end(uint32_t st)
{
	switch (st) {
	case PDT_P_ST_OK:
		return ENG_PDF_READ_ALL;
	case PDT_P_ST_PAGES:
		return ENG_PDF_READ_PAGES;
	case PDT_P_ST_TEXT:
		return ENG_PDF_READ_TEXT;
	case PDT_P_ST_PASSWORD:
		return ENG_PDF_READ_PASSWORD;
	default:
		return ENG_PDF_READ_UNREADABLE;
	}
}

/* How a worker that did not answer ended, for the engine's finding. */
static void pdp_died(pdp_outcome o, int wst, eng_pdf_outcome *out)
{
	if (o == PA_TIMEOUT || (WIFSIGNALED(wst) && WTERMSIG(wst) == SIGXCPU)) {
		out->end = ENG_PDF_READ_TIMEOUT;
		snprintf(out->detail, sizeof(out->detail), "%s", o == PA_TIMEOUT ?
			 "deadline passed: worker killed" : "CPU limit: worker ended");
		return;
	}
	out->end = ENG_PDF_READ_CRASH;
	if (WIFSIGNALED(wst))
		snprintf(out->detail, sizeof(out->detail), "worker died of signal %d",
			 WTERMSIG(wst));
	else if (WIFEXITED(wst))
		snprintf(out->detail, sizeof(out->detail), "worker exited (%d)",
			 WEXITSTATUS(wst));
	else
		snprintf(out->detail, sizeof(out->detail), "worker broke the protocol");
}

/* The document's own deadline, from the moment a worker took it:
 * `seconds`, within the scan's. */
static struct timespec pdp_doc_until(unsigned seconds, const struct timespec *scan)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += seconds;
	if (t.tv_sec > scan->tv_sec ||
	    (t.tv_sec == scan->tv_sec && t.tv_nsec > scan->tv_nsec))
		t = *scan;
	return t;
}

void pdp_read(void *arg, const unsigned char *pdf, size_t len,
	      const eng_pdf_limits *lim, const struct timespec *until,
	      eng_pdf_page_fn page, void *page_arg, eng_pdf_outcome *out)
{
	pdp_pool *pool = arg;
	struct timespec doc_until;
	pdp_slot *s = NULL;
	pdp_outcome o;
	pdp_end end;
	sg_buf why;

	memset(out, 0, sizeof(*out));
	sg_buf_init(&why, sizeof(out->detail) - 1);
	if (pdp_acquire(pool, until, &s, &why) != PDF_GOT) {
		out->end = ENG_PDF_READ_NONE;
		snprintf(out->detail, sizeof(out->detail), "%s", sg_buf_cstr(&why));
		sg_buf_free(&why);
		return;
	}
	sg_buf_free(&why);
	doc_until = pdp_doc_until(lim->seconds, until);
	memset(&end, 0, sizeof(end));
	o = pdp_talk(s, pdf, len, lim, &doc_until, page, page_arg, &end);
	if (o == PA_DONE && end.retire)
		(void)pdp_reap(s, false);
	pdp_release(pool, s);
	if (o != PA_DONE) {
		pdp_died(o, end.wstatus, out);
		return;
	}
	out->end = pdp_status_end(end.status);
	out->npages = end.npages;
	snprintf(out->detail, sizeof(out->detail), "%s", end.msg);
}
