/*
 * NAME
 *	mp_server - the milter socket: listen, accept, one worker per connection
 * DESCRIPTION
 *	Workers wait for accepted connections and serve one at a time
 *	(mp_session); a worker idle for MP_IDLE_SECONDS ends unless it is
 *	one of the first MP_KEEP_WORKERS, so an SMTP connection per message
 *	does not create a thread per message. A stop (a signal sigwaited
 *	here, or mp_stop) shuts the listening socket, shuts every
 *	connection for reading (a callback under way finishes and its
 *	answer is written) and waits for the workers. See mp.h.
 */
#include "daemon/mp.h"
#include "util/sg_mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define MP_IDLE_SECONDS 60
#define MP_KEEP_WORKERS 4

static struct {
	pthread_mutex_t mu;
	pthread_cond_t work;	/* a connection waits, or stopping */
	pthread_cond_t room;	/* the queue was full and is not */
	pthread_cond_t gone;	/* a worker ended */
	int lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];	/* a unix socket's */
	const mp_desc *d;
	int queue[MP_MAX_CONNS];	/* accepted, not yet served */
	size_t qhead, qn;
	int busy[MP_MAX_CONNS];		/* served now; -1 free */
	unsigned workers, idle;
	bool stopping;
} mp_srv = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.room = PTHREAD_COND_INITIALIZER,
	.gone = PTHREAD_COND_INITIALIZER,
	.lfd = -1,
};

static int mp_open_unix(const char *path, int backlog, sg_buf *err)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path != '/' || strlen(path) >= sizeof(sun.sun_path)) {
		sg_buf_printf(err, "unix socket %s: not an absolute path that fits", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	/* An old socket left by a stop that did not remove it. */
	(void)unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, backlog) < 0) {
		sg_buf_printf(err, "unix socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* removed again at the end of mp_run, as libmilter did: a stale
	 * socket would look like a milter that is up */
	snprintf(mp_srv.path, sizeof(mp_srv.path), "%s", path);
	return fd;
}

static int mp_open_inet(const char *spec, int family, int backlog, sg_buf *err)
{
	struct addrinfo hints, *ai = NULL, *p;
	char *port = sg_xstrdup(spec), *host = strchr(port, '@');
	int fd = -1, one = 1, rc;

	if (host)
		*host++ = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host && *host ? host : NULL, port, &hints, &ai);
	if (rc != 0) {
		sg_buf_printf(err, "inet socket %s: %s", spec, gai_strerror(rc));
		free(port);
		return -1;
	}
	for (p = ai; p && fd < 0; p = p->ai_next) {
		fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		/* Linux copies it to every accepted connection: the
		 * modifications and the answer of end of message are small
		 * writes that must not wait for an ACK (issue 21). */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (bind(fd, p->ai_addr, p->ai_addrlen) < 0 || listen(fd, backlog) < 0) {
			sg_buf_printf(err, "inet socket %s: %s", spec, strerror(errno));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	free(port);
	return fd;
}

int mp_open(const char *spec, int backlog, sg_buf *err)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return mp_open_unix(spec + 5, backlog, err);
	if (strncmp(spec, "local:", 6) == 0)
		return mp_open_unix(spec + 6, backlog, err);
	if (strncmp(spec, "inet:", 5) == 0)
		return mp_open_inet(spec + 5, AF_INET, backlog, err);
	if (strncmp(spec, "inet6:", 6) == 0)
		return mp_open_inet(spec + 6, AF_INET6, backlog, err);
	sg_buf_printf(err, "%s: not unix:/PATH, inet:PORT@HOST or inet6:PORT@HOST", spec);
	return -1;
}

static int mp_busy_slot(int fd)
{
	for (int i = 0; i < MP_MAX_CONNS; i++)
		if (mp_srv.busy[i] == fd)
			return i;
	return -1;
}

static void *mp_worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mp_srv.mu);
	for (;;) {
		struct timespec until;
		int fd, slot, r;

		while (mp_srv.qn == 0 && !mp_srv.stopping) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += MP_IDLE_SECONDS;
			mp_srv.idle++;
			r = pthread_cond_timedwait(&mp_srv.work, &mp_srv.mu, &until);
			mp_srv.idle--;
			if (r == ETIMEDOUT && mp_srv.qn == 0 &&
			    mp_srv.workers > MP_KEEP_WORKERS)
				goto out;
		}
		if (mp_srv.qn == 0)
			break;	/* stopping, nothing left */
		fd = mp_srv.queue[mp_srv.qhead];
		mp_srv.qhead = (mp_srv.qhead + 1) % MP_MAX_CONNS;
		if (mp_srv.qn-- == MP_MAX_CONNS)
			pthread_cond_signal(&mp_srv.room);
		slot = mp_busy_slot(-1);	/* one per worker: never -1 */
		if (slot >= 0)
			mp_srv.busy[slot] = fd;
		/* accepted before the stop, served after it: the stop's
		 * shutdown missed it */
		if (mp_srv.stopping)
			shutdown(fd, SHUT_RD);
		pthread_mutex_unlock(&mp_srv.mu);
		mp_session(fd, mp_srv.d);
		pthread_mutex_lock(&mp_srv.mu);
		/* closed under the lock: a stop must not shut a descriptor
		 * number already reused (a spool file, the store's socket) */
		if (slot >= 0)
			mp_srv.busy[slot] = -1;
		close(fd);
	}
out:
	mp_srv.workers--;
	pthread_cond_broadcast(&mp_srv.gone);
	pthread_mutex_unlock(&mp_srv.mu);
	return NULL;
}

/* With the lock held: a worker for the queued connection, if none is
 * idle and the limit allows. */
static void mp_spawn(void)
{
	pthread_t t;

	if (mp_srv.idle > 0 || mp_srv.workers >= MP_MAX_CONNS)
		return;
	if (pthread_create(&t, NULL, mp_worker, NULL) != 0) {
		if (mp_srv.d->log)
			mp_srv.d->log(LOG_ERR, "cannot start a milter worker: %s",
				      strerror(errno));
		return;
	}
	pthread_detach(t);
	mp_srv.workers++;
}

void mp_stop(void)
{
	pthread_mutex_lock(&mp_srv.mu);
	if (!mp_srv.stopping) {
		mp_srv.stopping = true;
		if (mp_srv.lfd >= 0)
			shutdown(mp_srv.lfd, SHUT_RDWR);	/* wakes accept() */
		for (int i = 0; i < MP_MAX_CONNS; i++)
			if (mp_srv.busy[i] >= 0)
				shutdown(mp_srv.busy[i], SHUT_RD);
		pthread_cond_broadcast(&mp_srv.work);
		pthread_cond_broadcast(&mp_srv.room);
	}
	pthread_mutex_unlock(&mp_srv.mu);
}

static void *mp_signals(void *arg)
{
	sigset_t *set = arg;
	int sig;

	while (sigwait(set, &sig) != 0)
		;
	if (sig != 0)
		mp_stop();
	return NULL;
}

static void mp_accept_loop(int lfd)
{
	unsigned fails = 0;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		pthread_mutex_lock(&mp_srv.mu);
		if (mp_srv.stopping) {
			pthread_mutex_unlock(&mp_srv.mu);
			if (fd >= 0)
				close(fd);
			return;
		}
		if (fd < 0) {
			pthread_mutex_unlock(&mp_srv.mu);
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* EMFILE and the like: wait instead of spinning */
			if (mp_srv.d->log && fails++ % 100 == 0)
				mp_srv.d->log(LOG_ERR, "accept on the milter socket: %s",
					      strerror(errno));
			usleep(100000);
			continue;
		}
		while (mp_srv.qn == MP_MAX_CONNS && !mp_srv.stopping)
			pthread_cond_wait(&mp_srv.room, &mp_srv.mu);
		if (mp_srv.stopping) {
			pthread_mutex_unlock(&mp_srv.mu);
			close(fd);
			return;
		}
		mp_srv.queue[(mp_srv.qhead + mp_srv.qn) % MP_MAX_CONNS] = fd;
		mp_srv.qn++;
		mp_spawn();
		pthread_cond_signal(&mp_srv.work);
		pthread_mutex_unlock(&mp_srv.mu);
	}
}

int mp_run(int lfd, const mp_desc *d)
{
	static sigset_t stops;
	struct timespec until;
	pthread_t sig;
	bool have_sig;

	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGHUP);
	pthread_mutex_lock(&mp_srv.mu);
	mp_srv.lfd = lfd;
	mp_srv.d = d;
	for (int i = 0; i < MP_MAX_CONNS; i++)
		mp_srv.busy[i] = -1;
	pthread_mutex_unlock(&mp_srv.mu);
	have_sig = pthread_create(&sig, NULL, mp_signals, &stops) == 0;
	if (have_sig)
		pthread_detach(sig);
	mp_accept_loop(lfd);

	/* Stopping: the queue is served (each shut for reading), then
	 * the workers end. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += MP_STOP_WAIT;
	pthread_mutex_lock(&mp_srv.mu);
	while (mp_srv.workers > 0 &&
	       pthread_cond_timedwait(&mp_srv.gone, &mp_srv.mu, &until) != ETIMEDOUT)
		;
	if (mp_srv.workers > 0 && d->log)
		d->log(LOG_WARNING, "stopping with %u milter connections still "
		       "open after %d s", mp_srv.workers, MP_STOP_WAIT);
	mp_srv.lfd = -1;
	pthread_mutex_unlock(&mp_srv.mu);
	close(lfd);
	if (mp_srv.path[0])
		(void)unlink(mp_srv.path);
	return 0;
}
