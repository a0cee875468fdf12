/*
 * NAME
 *	eng_pages - let go of pages of a mapped file once they are read
 * DESCRIPTION
 *	See eng_pages.h. MADV_DONTNEED on a private file mapping unmaps the
 *	pages; a later read maps the file's page again. A page written
 *	through a private writable mapping would lose the write, which is
 *	why only mappings whose bytes nobody writes are registered (the
 *	spool file is mapped read-only; a decoded part is handed to
 *	readers as const bytes only). For the same reason the file read
 *	with pread() holds the same bytes as the mapping.
 */
#include "engine/eng_pages.h"
#include "util/sg_mem.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct {
	uintptr_t start, end;
	int fd;			/* the mapped file, or -1 */
} eng_pages_map;

static _Thread_local eng_pages_map eng_maps[ENG_PAGES_MAX];
static _Thread_local size_t eng_nmaps;

void eng_pages_add(const void *p, size_t n, int fd)
{
	if (p == NULL || n == 0 || eng_nmaps >= ENG_PAGES_MAX)
		return;
	eng_maps[eng_nmaps].start = (uintptr_t)p;
	eng_maps[eng_nmaps].end = (uintptr_t)p + n;
	eng_maps[eng_nmaps].fd = fd;
	eng_nmaps++;
}

void eng_pages_remove(const void *p)
{
	for (size_t i = 0; i < eng_nmaps; i++)
		if (eng_maps[i].start == (uintptr_t)p) {
			eng_maps[i] = eng_maps[--eng_nmaps];
			return;
		}
}

void eng_pages_done(const void *p, size_t n)
{
	uintptr_t s = (uintptr_t)p, e = s + n, page;

	if (p == NULL || n == 0 || eng_nmaps == 0)
		return;
	page = (uintptr_t)sysconf(_SC_PAGESIZE);
	for (size_t i = 0; i < eng_nmaps; i++) {
		uintptr_t a, b;

		if (s < eng_maps[i].start || e > eng_maps[i].end)
			continue;
		/* Whole pages only: a page partly outside [p, p + n) may
		 * still be read. The mapping starts on a page. */
		a = (s + page - 1) & ~(page - 1);
		b = e == eng_maps[i].end ? e : e & ~(page - 1);
		if (b > a)
			(void)madvise((void *)a, b - a, MADV_DONTNEED);
		return;
	}
}

/* The registered mapping with a file that holds all of [p, p + n). */
static const eng_pages_map *eng_pages_file_of(const void *p, size_t n)
{
	uintptr_t s = (uintptr_t)p, e = s + n;

	for (size_t i = 0; i < eng_nmaps; i++)
		if (eng_maps[i].fd >= 0 && s >= eng_maps[i].start && e <= eng_maps[i].end)
			return &eng_maps[i];
	return NULL;
}

/* All n bytes at off of fd into dst; false on an error or a short file
 * (the caller then reads the mapping, which says the same). */
static bool eng_pages_pread(int fd, void *dst, size_t n, uintptr_t off)
{
	unsigned char *d = dst;

	while (n > 0) {
		ssize_t r = pread(fd, d, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		d += r;
		off += (uintptr_t)r;
		n -= (size_t)r;
	}
	return true;
}

const unsigned char *eng_pages_view(const unsigned char *p, size_t n,
				    unsigned char *buf)
{
	const eng_pages_map *m = n ? eng_pages_file_of(p, n) : NULL;

	if (m == NULL || !eng_pages_pread(m->fd, buf, n, (uintptr_t)p - m->start))
		return p;
	return buf;
}

void eng_pages_copy(void *dst, const void *src, size_t n)
{
	if (eng_pages_view(src, n, dst) == src)
		memcpy(dst, src, n);
}

void eng_pages_win_init(eng_pages_win *w)
{
	w->buf = NULL;
	w->cap = w->len = 0;
	w->at = NULL;
}

void eng_pages_win_free(eng_pages_win *w)
{
	free(w->buf);
	eng_pages_win_init(w);
}

const unsigned char *eng_pages_win_get(eng_pages_win *w, const unsigned char *p,
				       size_t n, const unsigned char *end,
				       size_t *avail)
{
	size_t rest = (size_t)(end - p), want = n > ENG_PAGES_WIN ? n : ENG_PAGES_WIN;
	const eng_pages_map *m;

	if (want > rest)
		want = rest;
	if (n > rest)
		n = rest;
	if (w->buf && p >= w->at && p + n <= w->at + w->len && p < w->at + w->len) {
		*avail = (size_t)(w->at + w->len - p);
		return w->buf + (p - w->at);
	}
	*avail = want;
	if (want == 0 || (m = eng_pages_file_of(p, want)) == NULL)
		return p;
	/* Sized to the first read (a small part's stream reads little),
	 * grown when a longer one is asked for. */
	if (w->cap < want) {
		free(w->buf);
		w->buf = sg_xmalloc(want);
		w->cap = want;
	}
	w->len = 0;
	if (!eng_pages_pread(m->fd, w->buf, want, (uintptr_t)p - m->start))
		return p;
	w->at = p;
	w->len = want;
	return w->buf;
}
