/*
 * NAME
 *	eng_pages - let go of pages of a mapped file once they are read
 * DESCRIPTION
 *	See eng_pages.h. MADV_DONTNEED on a private file mapping unmaps the
 *	pages; a later read maps the file's page again. A page written
 *	through a private writable mapping would lose the write, which is
 *	why only mappings whose bytes nobody writes are registered (the
 *	spool file is mapped read-only; a decoded part is handed to
 *	readers as const bytes only).
 */
#include "engine/eng_pages.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct {
	uintptr_t start, end;
} eng_pages_map;

static _Thread_local eng_pages_map eng_maps[ENG_PAGES_MAX];
static _Thread_local size_t eng_nmaps;

void eng_pages_add(const void *p, size_t n)
{
	if (p == NULL || n == 0 || eng_nmaps >= ENG_PAGES_MAX)
		return;
	eng_maps[eng_nmaps].start = (uintptr_t)p;
	eng_maps[eng_nmaps].end = (uintptr_t)p + n;
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
