/*
 * NAME
 *	eng_pdftext - the text of a PDF, read by a pool of worker processes
 * DESCRIPTION
 *	See eng_pdftext.h and eng_pdfproto.h. The worker is a program of
 *	its own (sendguard-pdftext, next to the program that starts it),
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
 *	attachment's deadline. A thread takes a free worker (waiting at
 *	most until the scan's own deadline), sends one document and reads
 *	the answer; a worker that passes the deadline is killed (SIGKILL)
 *	and replaced at once, so is one that died or broke the protocol.
 *	The client trusts nothing the worker says: records are checked
 *	against the request's own bounds.
 *
 *	Must never: block without a deadline, let a worker inherit the
 *	caller's descriptors or blocked signals, or accept a PDF whose text
 *	was not read in full without a scan-limit finding.
 */
#include "engine/eng_pdftext.h"
#include "engine/eng_pdfproto.h"
#include "engine/eng_text.h"
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

#define ENG_PDF_WORKER_NAME "sendguard-pdftext"
/* A slot whose worker would not start is tried again after this. */
#define ENG_PDF_RESPAWN_PAUSE 1
#define ENG_PDF_MAX_WORKERS 64

typedef struct pdf_slot {
	pid_t pid;		/* 0: no worker */
	int fd;			/* our end of its socketpair */
	bool busy;		/* owned by a scanning thread */
	time_t failed;		/* monotonic second of the last failed start */
} pdf_slot;

struct eng_pdfpool {
	char *worker;
	unsigned n;
	pdf_slot *slots;
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* a slot was released */
	char why[256];		/* why the last start failed */
};

static time_t pdf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Milliseconds left until `until` (CLOCK_MONOTONIC), 0 when passed. */
static int pdf_left_ms(const struct timespec *until)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(until->tv_sec - now.tv_sec) * 1000 +
	     (until->tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : ms > 3600000 ? 3600000 : (int)ms;
}

/* ---- the pool ------------------------------------------------------------ */

static int pdf_spawn(eng_pdfpool *pool, pdf_slot *s)
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
static int pdf_reap(pdf_slot *s, bool kill_now)
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

char *eng_pdfpool_default_worker(void)
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
		sg_buf_printf(&b, "%s%s", self, ENG_PDF_WORKER_NAME);
	} else {
		sg_buf_puts(&b, ENG_PDF_WORKER_NAME);
	}
	return sg_buf_steal(&b);
}

int eng_pdfpool_check(const char *worker, sg_buf *err)
{
	if (access(worker, X_OK) < 0) {
		sg_buf_printf(err, "PDF text worker %s: %s (it is built and installed "
			      "with sendguard-milter)", worker, strerror(errno));
		return -1;
	}
	return 0;
}

eng_pdfpool *eng_pdfpool_new(const char *worker, unsigned nworkers, bool start_now,
			     sg_buf *err)
{
	eng_pdfpool *pool;
	pthread_condattr_t ca;

	if (eng_pdfpool_check(worker, err) < 0)
		return NULL;
	pool = sg_xcalloc(1, sizeof(*pool));
	pool->worker = sg_xstrdup(worker);
	pool->n = nworkers < 1 ? 1 : nworkers > ENG_PDF_MAX_WORKERS ?
		  ENG_PDF_MAX_WORKERS : nworkers;
	pool->slots = sg_xcalloc(pool->n, sizeof(pdf_slot));
	for (unsigned i = 0; i < pool->n; i++)
		pool->slots[i].fd = -1;
	pthread_mutex_init(&pool->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->cv, &ca);
	pthread_condattr_destroy(&ca);
	for (unsigned i = 0; start_now && i < pool->n; i++)
		if (pdf_spawn(pool, &pool->slots[i]) < 0) {
			sg_buf_printf(err, "cannot start the PDF text worker %s",
				      pool->why);
			eng_pdfpool_free(pool);
			return NULL;
		}
	return pool;
}

void eng_pdfpool_free(eng_pdfpool *pool)
{
	if (pool == NULL)
		return;
	for (unsigned i = 0; i < pool->n; i++)
		(void)pdf_reap(&pool->slots[i], false);
	pthread_mutex_destroy(&pool->mu);
	pthread_cond_destroy(&pool->cv);
	free(pool->slots);
	free(pool->worker);
	free(pool);
}

void eng_engine_set_pdfpool(eng_engine *eng, eng_pdfpool *pool)
{
	eng->pdf = pool;
}

typedef enum { PDF_GOT, PDF_BUSY, PDF_NONE } pdf_take;

/* A free slot with a worker (started now if need be), waiting for one
 * at most until `until`; PDF_NONE when none is busy and none starts. */
static pdf_take pdf_acquire(eng_pdfpool *pool, const struct timespec *until,
			    pdf_slot **out, sg_buf *why)
{
	pdf_take rc = PDF_BUSY;

	pthread_mutex_lock(&pool->mu);
	for (;;) {
		bool busy = false;
		pdf_slot *got = NULL;

		for (unsigned i = 0; i < pool->n && !got; i++) {
			pdf_slot *s = &pool->slots[i];

			busy |= s->busy;
			if (!s->busy && s->pid > 0)
				got = s;
		}
		for (unsigned i = 0; i < pool->n && !got; i++) {
			pdf_slot *s = &pool->slots[i];

			if (s->busy || s->pid > 0 ||
			    pdf_now() - s->failed < ENG_PDF_RESPAWN_PAUSE)
				continue;
			if (pdf_spawn(pool, s) == 0)
				got = s;
			else
				s->failed = pdf_now();
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
static void pdf_release(eng_pdfpool *pool, pdf_slot *s)
{
	if (s->pid == 0 && pdf_spawn(pool, s) < 0)
		s->failed = pdf_now();
	pthread_mutex_lock(&pool->mu);
	s->busy = false;
	pthread_cond_signal(&pool->cv);
	pthread_mutex_unlock(&pool->mu);
}

/* ---- talking to one worker -------------------------------------------------- */

typedef enum { IO_OK, IO_TIMEOUT, IO_ERR } pdf_io;

static pdf_io pdf_wait(int fd, short ev, const struct timespec *until)
{
	for (;;) {
		struct pollfd p = { fd, ev, 0 };
		int ms = pdf_left_ms(until), r;

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

static pdf_io pdf_send(int fd, const void *p, size_t n, const struct timespec *until)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = send(fd, (const char *)p + done, n - done, MSG_NOSIGNAL);
		pdf_io io;

		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return IO_ERR;
		if ((io = pdf_wait(fd, POLLOUT, until)) != IO_OK)
			return io;
	}
	return IO_OK;
}

static pdf_io pdf_recv(int fd, void *p, size_t n, const struct timespec *until)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, (char *)p + got, n - got, 0);
		pdf_io io;

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EINTR))
			return IO_ERR;	/* the worker is gone */
		if ((io = pdf_wait(fd, POLLIN, until)) != IO_OK)
			return io;
	}
	return IO_OK;
}

typedef enum {
	PA_DONE,		/* an END record came */
	PA_TIMEOUT,		/* the deadline passed: killed */
	PA_DIED,		/* the worker died or broke the protocol */
} pdf_outcome;

/* One document's answer, as the detectors need it. */
typedef struct pdf_doc {
	sg_buf norm;		/* normalised text of every page read */
	size_t *page_at;	/* offset in norm where page i+1 starts */
	size_t npage_at;
	unsigned text_pages, image_pages;
	uint32_t npages;	/* the document's page count */
	uint32_t status;	/* ENG_PDFP_ST_* of the END record */
	bool retire;
	bool norm_cut;		/* normalised text over max_text_size */
	int wstatus;		/* PA_DIED: the worker's wait status */
	char msg[ENG_PDFP_MSG_MAX + 1];
} pdf_doc;

/* CJK scripts and punctuation that Japanese text sets in a CJK font. */
static bool pdf_cjk(unsigned long cp)
{
	return (cp >= 0x3001 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
	       (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	       (cp >= 0xFF01 && cp <= 0xFFEF);
}

static bool pdf_latin(unsigned long cp)
{
	return (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') ||
	       (cp >= 'a' && cp <= 'z');
}

/* The code point at s (valid UTF-8 after eng_text_normalize), its
 * length in *n. */
static unsigned long pdf_cp(const unsigned char *s, size_t left, size_t *n)
{
	size_t k = sg_utf8_len(s, left);
	unsigned long cp;

	if (k <= 1) {
		*n = 1;
		return s[0];
	}
	cp = s[0] & (0x7F >> k);
	for (size_t i = 1; i < k; i++)
		cp = (cp << 6) | (s[i] & 0x3F);
	*n = k;
	return cp;
}

/*
 * Spaces between a CJK character and a Latin letter or digit are
 * dropped: LibreOffice sets the two scripts in different fonts, and
 * poppler puts a space at each font change ("【機密性 3】", "令和 7 年"),
 * where the document has none. Dropping them here keeps every pattern
 * as it is for text from other sources. Tabs (cells) and line breaks
 * stay.
 */
static int pdf_join_scripts(const char *in, size_t len, sg_buf *out)
{
	const unsigned char *s = (const unsigned char *)in;
	unsigned long prev = 0;
	size_t i = 0;

	while (i < len) {
		size_t n, j;
		unsigned long next;

		if (s[i] != ' ') {
			prev = pdf_cp(s + i, len - i, &n);
			if (sg_buf_append(out, s + i, n) < 0)
				return -1;
			i += n;
			continue;
		}
		for (j = i; j < len && s[j] == ' '; j++)
			;
		next = j < len ? pdf_cp(s + j, len - j, &n) : 0;
		if (!((pdf_cjk(prev) && pdf_latin(next)) ||
		      (pdf_latin(prev) && pdf_cjk(next))) &&
		    sg_buf_append(out, s + i, j - i) < 0)
			return -1;
		prev = ' ';
		i = j;
	}
	return 0;
}

static bool pdf_has_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r\n\f\v", s[i]))
			return true;
	return false;
}

static void pdf_page_text(pdf_doc *doc, const char *raw, size_t len, size_t max)
{
	sg_buf tmp;

	if (doc->npage_at % 64 == 0)
		doc->page_at = sg_xreallocarray(doc->page_at, doc->npage_at + 64,
						sizeof(size_t));
	doc->page_at[doc->npage_at++] = doc->norm.len;
	sg_buf_init(&tmp, max);
	if (eng_text_normalize(raw, len, &tmp) < 0)
		doc->norm_cut = true;
	if (pdf_join_scripts(sg_buf_cstr(&tmp), tmp.len, &doc->norm) < 0 ||
	    sg_buf_putc(&doc->norm, '\n') < 0)
		doc->norm_cut = true;
	sg_buf_free(&tmp);
}

static pdf_outcome pdf_talk(pdf_slot *s, const eng_engine *eng,
			    const unsigned char *data, size_t len,
			    const struct timespec *until, pdf_doc *doc)
{
	eng_pdfp_req rq;
	uint64_t budget = eng->lim.text_size;
	char *page = NULL;
	pdf_io io;

	memset(&rq, 0, sizeof(rq));
	rq.magic = ENG_PDFP_MAGIC;
	rq.version = ENG_PDFP_VERSION;
	rq.len = len;
	rq.max_text = budget;
	rq.max_memory = eng->lim.pdf_memory;
	rq.max_pages = eng->lim.pdf_pages;
	rq.cpu_seconds = eng->lim.pdf_timeout;
	if ((io = pdf_send(s->fd, &rq, sizeof(rq), until)) == IO_OK)
		io = pdf_send(s->fd, data, len, until);
	while (io == IO_OK) {
		eng_pdfp_rec r;

		if ((io = pdf_recv(s->fd, &r, sizeof(r), until)) != IO_OK)
			break;
		if (r.type == ENG_PDFP_END && r.len <= ENG_PDFP_MSG_MAX) {
			if ((io = pdf_recv(s->fd, doc->msg, (size_t)r.len, until)) != IO_OK)
				break;
			doc->msg[r.len] = '\0';
			doc->npages = r.page;
			doc->status = r.flags & ENG_PDFP_ST_MASK;
			doc->retire = (r.flags & ENG_PDFP_F_RETIRE) != 0;
			free(page);
			return PA_DONE;
		}
		/* Pages in order, within the request's own bounds. */
		if (r.type != ENG_PDFP_PAGE || r.page == 0 || r.page > rq.max_pages ||
		    r.page <= doc->npage_at || r.len > budget) {
			io = IO_ERR;
			break;
		}
		page = sg_xrealloc(page, (size_t)r.len + 1);
		if ((io = pdf_recv(s->fd, page, (size_t)r.len, until)) != IO_OK)
			break;
		budget -= r.len;
		/* pages the worker skipped (none in practice) count as empty */
		while (doc->npage_at + 1 < r.page)
			pdf_page_text(doc, "", 0, eng->lim.text_size);
		pdf_page_text(doc, page, (size_t)r.len, eng->lim.text_size);
		if (r.flags & ENG_PDFP_F_IMAGES)
			doc->image_pages++;
		else if (pdf_has_text(page, (size_t)r.len))
			doc->text_pages++;
	}
	free(page);
	doc->wstatus = pdf_reap(s, io == IO_TIMEOUT);
	return io == IO_TIMEOUT ? PA_TIMEOUT : PA_DIED;
}

/* ---- the attachment ------------------------------------------------------- */

static void pdf_limit(eng_ctx *ctx, const char *where, const char *rule,
		      const char *ja, const char *en, const char *ev)
{
	eng_scan_limit(ctx, rule, ja, en, where, ev);
}

static void pdf_note(eng_attachment *node, const char *note)
{
	sg_buf b;

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	if (node->note && *node->note)
		sg_buf_printf(&b, "%s; ", node->note);
	sg_buf_puts(&b, note);
	free(node->note);
	node->note = sg_buf_steal(&b);
}

/* A marking's finding names the first page it is on: the evidence of a
 * marking is the marking itself, as found in this text. */
static void pdf_pages_of_markings(eng_ctx *ctx, const char *where, size_t first,
				  const pdf_doc *doc)
{
	for (size_t i = first; i < ctx->res->nfindings; i++) {
		eng_finding *f = &ctx->res->findings[i];
		const char *hit;
		size_t off, pg = 0;
		sg_buf w;

		if (f->cat != ENG_CAT_CLASSIFIED || strcmp(f->where, where) != 0 ||
		    f->evidence == NULL || *f->evidence == '\0')
			continue;
		hit = memmem(sg_buf_cstr(&doc->norm), doc->norm.len, f->evidence,
			     strlen(f->evidence));
		if (hit == NULL)
			continue;
		off = (size_t)(hit - sg_buf_cstr(&doc->norm));
		while (pg + 1 < doc->npage_at && doc->page_at[pg + 1] <= off)
			pg++;
		sg_buf_init(&w, SG_BUF_UNLIMITED);
		sg_buf_printf(&w, "%s#page=%zu", where, pg + 1);
		free(f->where);
		f->where = sg_buf_steal(&w);
	}
}

static void pdf_report(eng_ctx *ctx, eng_attachment *node, pdf_doc *doc)
{
	const char *where = node->where;
	char ev[64];

	switch (doc->status) {
	case ENG_PDFP_ST_OK:
		break;
	case ENG_PDFP_ST_PAGES:
		snprintf(ev, sizeof(ev), "%u of %u pages read",
			 (unsigned)doc->npage_at, (unsigned)doc->npages);
		pdf_limit(ctx, where, "pdf-pages",
			  "PDF のページが多すぎて全部は検査できません",
			  "PDF has too many pages to inspect in full", ev);
		break;
	case ENG_PDFP_ST_TEXT:
		doc->norm_cut = true;
		break;
	case ENG_PDFP_ST_PASSWORD:
		/* qpdf opened it without a password, poppler did not: what a
		 * reader sees is unknown. */
	default:
		pdf_limit(ctx, where, "pdf-unreadable", "PDF を読み取れません",
			  "The PDF could not be read", doc->msg);
		break;
	}
	if (doc->norm_cut)
		pdf_limit(ctx, where, "pdf-text-size",
			  "PDF の文字が多すぎて全部は検査できません",
			  "PDF text too large to inspect in full", "");
	if (doc->npage_at > 0 && doc->text_pages == 0 && doc->image_pages > 0)
		pdf_note(node, "画像のみ / image only: no text layer, nothing was read");
	else if (doc->image_pages > 0) {
		char note[128];

		snprintf(note, sizeof(note), "画像のみのページ %u / image-only pages: %u",
			 doc->image_pages, doc->image_pages);
		pdf_note(node, note);
	}
}

static void pdf_failed(eng_ctx *ctx, const char *where, pdf_outcome o, int wst)
{
	char ev[64];

	if (o == PA_TIMEOUT || (WIFSIGNALED(wst) && WTERMSIG(wst) == SIGXCPU)) {
		snprintf(ev, sizeof(ev), "%s", o == PA_TIMEOUT ?
			 "deadline passed: worker killed" : "CPU limit: worker ended");
		pdf_limit(ctx, where, "pdf-timeout",
			  "PDF の読み取りが時間内に終わりませんでした",
			  "Reading the PDF did not finish in time", ev);
		return;
	}
	if (WIFSIGNALED(wst))
		snprintf(ev, sizeof(ev), "worker died of signal %d", WTERMSIG(wst));
	else if (WIFEXITED(wst))
		snprintf(ev, sizeof(ev), "worker exited (%d)", WEXITSTATUS(wst));
	else
		snprintf(ev, sizeof(ev), "worker broke the protocol");
	pdf_limit(ctx, where, "pdf-crash", "PDF の読み取り中に読み取り処理が異常終了しました",
		  "The PDF reader crashed on this PDF", ev);
}

void eng_pdf_text(eng_ctx *ctx, eng_attachment *node, const unsigned char *data,
		  size_t len)
{
	const eng_engine *eng = ctx->eng;
	struct timespec until;
	pdf_slot *s = NULL;
	pdf_take take;
	pdf_outcome o;
	pdf_doc doc;
	sg_buf why;

	if (!ctx->inspect || eng_deadline_passed(ctx))
		return;
	if (eng->pdf == NULL) {
		pdf_limit(ctx, node->where, "pdf-extractor",
			  "PDF の文字を読み取る仕組みがありません",
			  "No PDF text reader is running", "");
		return;
	}
	sg_buf_init(&why, 512);
	take = pdf_acquire(eng->pdf, &ctx->deadline, &s, &why);
	if (take != PDF_GOT) {
		pdf_limit(ctx, node->where, "pdf-extractor",
			  "PDF の文字を読み取れませんでした (読み取り処理を使えません)",
			  "The PDF text reader was not available", sg_buf_cstr(&why));
		sg_buf_free(&why);
		return;
	}
	sg_buf_free(&why);
	/* This document's deadline: pdf_timeout, within the scan's own. */
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += eng->lim.pdf_timeout;
	if (until.tv_sec > ctx->deadline.tv_sec ||
	    (until.tv_sec == ctx->deadline.tv_sec && until.tv_nsec > ctx->deadline.tv_nsec))
		until = ctx->deadline;
	memset(&doc, 0, sizeof(doc));
	sg_buf_init(&doc.norm, eng->lim.text_size);
	o = pdf_talk(s, eng, data, len, &until, &doc);
	if (o == PA_DONE && doc.retire)
		(void)pdf_reap(s, false);
	pdf_release(eng->pdf, s);
	if (doc.norm.len > 0) {
		size_t first = ctx->res->nfindings;

		eng_content_detect_text(ctx, node->where, sg_buf_cstr(&doc.norm),
					doc.norm.len);
		pdf_pages_of_markings(ctx, node->where, first, &doc);
	}
	if (o == PA_DONE)
		pdf_report(ctx, node, &doc);
	else
		pdf_failed(ctx, node->where, o, doc.wstatus);
	free(doc.page_at);
	sg_buf_free(&doc.norm);
}
