/*
 * NAME
 *	mlt_msg - collect one message: envelope, headers and body
 * DESCRIPTION
 *	A message is kept in memory up to [milter] memory_limit; past that
 *	it goes to a file in the private spool directory that is unlinked
 *	at once (O_TMPFILE where the file system has it), so a crash leaves
 *	no copy of personal data behind. Nothing past max_message_size + 1
 *	byte is kept: the engine then knows the message was larger than it
 *	may read and holds it (scan-limit).
 *
 *	Postfix hands header values without the space after the colon and
 *	with LF inside folded values; the header block is rebuilt with
 *	CRLF so that the engine sees what the sender sent.
 */
#include "daemon/mlt.h"
#include "engine/eng_pages.h"
#include "util/sg_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

void mlt_msg_init(mlt_msg *m, const mlt_settings *set)
{
	memset(m, 0, sizeof(*m));
	m->keep_max = set->keep_max;
	m->memory_limit = set->memory_limit;
	m->spool_dir = set->spool_dir;
	sg_buf_init(&m->head, m->keep_max);
	sg_buf_init(&m->mem, m->memory_limit);
	m->spool_fd = -1;
}

void mlt_msg_reset_message(mlt_msg *m)
{
	sg_buf_free(&m->head);
	sg_buf_free(&m->mem);
	if (m->spool_fd >= 0)
		close(m->spool_fd);
	m->spool_fd = -1;
	m->body_len = m->total = 0;
	free(m->mail_from);
	for (size_t i = 0; i < m->nrcpts; i++) {
		free(m->rcpts[i]);
		free(m->rcpts_resolved[i]);
	}
	free(m->rcpts);
	free(m->rcpts_resolved);
	free(m->auth_login);
	free(m->queue_id);
	free(m->notice_hdr);
	free(m->date_hdr);
	m->mail_from = m->auth_login = m->queue_id = NULL;
	m->group = NULL;
	m->notice_hdr = m->date_hdr = NULL;
	m->rcpts = NULL;
	m->rcpts_resolved = NULL;
	m->nrcpts = 0;
	for (size_t i = 0; i < m->nto; i++)
		free(m->to_vals[i]);
	for (size_t i = 0; i < m->ncc; i++)
		free(m->cc_vals[i]);
	free(m->to_vals);
	free(m->cc_vals);
	m->to_vals = m->cc_vals = NULL;
	m->nto = m->ncc = 0;
	m->own_hold_hdrs = m->own_verdict_hdrs = 0;
	m->failed = false;
}

void mlt_msg_free(mlt_msg *m)
{
	mlt_msg_reset_message(m);
	m->spool_dir = NULL;
}

/* Appends what still fits under keep_max; the rest is dropped on purpose. */
static void mlt_keep(mlt_msg *m, sg_buf *b, const void *p, size_t n)
{
	size_t room = m->total < m->keep_max ? m->keep_max - m->total : 0;

	if (n > room)
		n = room;
	if (n && sg_buf_append(b, p, n) == 0)
		m->total += n;
}

static void mlt_remember(char ***v, size_t *n, const char *value)
{
	/* Past the bound the rewrite still blanks the first ones; the
	 * engine has already held such a message as a scan limit. */
	if (*n >= MLT_MAX_ADDR_HEADERS)
		return;
	*v = sg_xreallocarray(*v, *n + 1, sizeof(char *));
	(*v)[(*n)++] = sg_xstrdup(value);
}

int mlt_msg_header(mlt_msg *m, const char *name, const char *value)
{
	mlt_keep(m, &m->head, name, strlen(name));
	mlt_keep(m, &m->head, ": ", 2);
	for (const char *p = value; *p; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			mlt_keep(m, &m->head, "\r", 1);
		mlt_keep(m, &m->head, p, 1);
	}
	mlt_keep(m, &m->head, "\r\n", 2);
	if (strcasecmp(name, "X-Sendguard-Notice") == 0 && m->notice_hdr == NULL)
		m->notice_hdr = sg_xstrdup(value);
	else if (strcasecmp(name, "Date") == 0 && m->date_hdr == NULL)
		m->date_hdr = sg_xstrdup(value);
	else if (strcasecmp(name, "To") == 0)
		mlt_remember(&m->to_vals, &m->nto, value);
	else if (strcasecmp(name, "Cc") == 0)
		mlt_remember(&m->cc_vals, &m->ncc, value);
	else if (strcasecmp(name, "X-Sendguard-Hold") == 0)
		m->own_hold_hdrs++;
	else if (strcasecmp(name, "X-Sendguard") == 0)
		m->own_verdict_hdrs++;
	return 0;
}

static int mlt_spool_open(mlt_msg *m)
{
	int fd = open(m->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* No O_TMPFILE here: create, then unlink at once. */
		sg_buf p;
		sg_buf_init(&p, SG_BUF_UNLIMITED);
		sg_buf_printf(&p, "%s/msg.XXXXXX", m->spool_dir);
		fd = mkostemp(p.data, O_CLOEXEC);
		if (fd >= 0)
			unlink(p.data);
		sg_buf_free(&p);
	}
	if (fd < 0)
		return -1;
	m->spool_fd = fd;
	return 0;
}

static int mlt_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int mlt_msg_body(mlt_msg *m, const unsigned char *p, size_t n)
{
	size_t room = m->total < m->keep_max ? m->keep_max - m->total : 0;

	m->body_len += n;
	if (n > room)
		n = room;
	if (n == 0)
		return 0;
	if (m->spool_fd < 0 && m->mem.len + n <= m->memory_limit) {
		sg_buf_append(&m->mem, p, n);
		m->total += n;
		return 0;
	}
	if (m->spool_fd < 0) {
		if (mlt_spool_open(m) < 0 ||
		    mlt_write_all(m->spool_fd, sg_buf_cstr(&m->head), m->head.len) < 0 ||
		    mlt_write_all(m->spool_fd, "\r\n", 2) < 0 ||
		    mlt_write_all(m->spool_fd, sg_buf_cstr(&m->mem), m->mem.len) < 0) {
			m->failed = true;
			return -1;
		}
		sg_buf_free(&m->mem);
	}
	if (mlt_write_all(m->spool_fd, p, n) < 0) {
		m->failed = true;
		return -1;
	}
	m->total += n;
	return 0;
}

int mlt_msg_map(mlt_msg *m, const unsigned char **data, size_t *len, void **cookie)
{
	if (m->spool_fd >= 0) {
		off_t size = lseek(m->spool_fd, 0, SEEK_END);
		void *p;

		if (size <= 0)
			return -1;
		p = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, m->spool_fd, 0);
		if (p == MAP_FAILED)
			return -1;
		*data = p;
		*len = (size_t)size;
		*cookie = p;
		/* Read-only: the engine's passes hand back what they have
		 * read (issue 21), so a 10 MB message is not resident whole
		 * in the milter while it is scanned; with the fd its
		 * sequential passes read the file instead of mapping it in
		 * (the fd stays open until the message is reset, after
		 * mlt_msg_release). */
		eng_pages_add(p, (size_t)size, m->spool_fd);
		return 0;
	} else {
		sg_buf *all = sg_xmalloc(sizeof(*all));

		sg_buf_init(all, SG_BUF_UNLIMITED);
		sg_buf_append(all, sg_buf_cstr(&m->head), m->head.len);
		sg_buf_append(all, "\r\n", 2);
		sg_buf_append(all, sg_buf_cstr(&m->mem), m->mem.len);
		*data = (const unsigned char *)sg_buf_cstr(all);
		*len = all->len;
		*cookie = all;
		return 0;
	}
}

void mlt_msg_release(mlt_msg *m, void *cookie)
{
	if (cookie == NULL)
		return;
	if (m->spool_fd >= 0) {
		off_t size = lseek(m->spool_fd, 0, SEEK_END);

		eng_pages_remove(cookie);
		munmap(cookie, (size_t)size);
	} else {
		sg_buf_free(cookie);
		free(cookie);
	}
}
