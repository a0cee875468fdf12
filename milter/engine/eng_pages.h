/*
 * NAME
 *	eng_pages - let go of pages of a mapped file once they are read
 * SYNOPSIS
 *	#include "engine/eng_pages.h"
 *
 *	void eng_pages_add(const void *p, size_t n, int fd);
 *	void eng_pages_remove(const void *p);
 *	void eng_pages_done(const void *p, size_t n);
 *	void eng_pages_copy(void *dst, const void *src, size_t n);
 *	const unsigned char *eng_pages_view(const unsigned char *p,
 *					    size_t n, unsigned char *buf);
 *
 *	void eng_pages_win_init(eng_pages_win *w);
 *	const unsigned char *eng_pages_win_get(eng_pages_win *w,
 *			const unsigned char *p, size_t n,
 *			const unsigned char *end, size_t *avail);
 *	void eng_pages_win_free(eng_pages_win *w);
 * DESCRIPTION
 *	A page of a mapped file that a reader has touched stays in the
 *	process's resident set until the mapping goes, and counts in its
 *	RSS (issue 21: 20 concurrent 10 MB mails kept 240 MB of their spool
 *	files and decoded parts resident in the milter). The engine reads
 *	such bytes in sequential passes, so what a pass has left behind is
 *	given back (madvise MADV_DONTNEED) and faults in again from the
 *	page cache if anything reads it later: the same bytes, no copy.
 *
 *	eng_pages_add() registers [p, p + n) as a private mapping of a file
 *	that nobody writes through, the whole of the file open as fd from
 *	offset 0 (-1: not known), which must stay open and unchanged until
 *	eng_pages_remove(); eng_pages_remove() forgets the one that
 *	starts at p (before munmap). eng_pages_done() says a reader has
 *	finished with [p, p + n): the whole pages of it inside a registered
 *	mapping are dropped, anything else (heap memory, whose pages would
 *	read back as zeros) is left alone. The registry is per thread (a
 *	scan runs in one thread) and holds ENG_PAGES_MAX mappings; past
 *	that a mapping is simply not registered, which costs memory only.
 *	Dropping is a hint: it never changes what a reader sees.
 *
 *	A sequential pass reads cheaper still through the file than through
 *	the mapping (issue 21): each page mapped in costs a fault and each
 *	one dropped a TLB flush, and on the bench machine (a guest whose
 *	page tables the hypervisor shadows) a pass that maps a 14 MB spool
 *	file in costs about 6 ms against 1 ms for pread() of the same bytes
 *	into a reused buffer. eng_pages_copy() copies [src, src + n) to dst
 *	(pread when src lies in a mapping registered with its fd, memcpy
 *	otherwise); eng_pages_view() gives [p, p + n) to read: p itself
 *	unless it lies in such a mapping, else buf (at least n bytes) with
 *	the same bytes read into it. Either is the same bytes as the
 *	mapping; a failed pread falls back to reading the mapping.
 *
 *	A syscall costs as much as mapping a few pages, so a reader that
 *	goes forward in small steps (GMime's parser reads 4 KB at a time) or
 *	searches on from where it stopped keeps a window:
 *	eng_pages_win_get() gives the bytes from p on, at least n of them
 *	unless end (the reader's own end, never past its mapping) comes
 *	first, and in *avail how many may be read there (at most
 *	ENG_PAGES_WIN, or n when more): from the window when it holds
 *	them, else refilled from p with up to ENG_PAGES_WIN bytes (never
 *	past end); p itself for bytes of no registered file. The pointer is
 *	valid until the next call on w.
 */
#ifndef ENG_PAGES_H
#define ENG_PAGES_H

#include <stddef.h>

#define ENG_PAGES_MAX 8
/* Readers hand back what they have passed in steps of at least this:
 * one madvise per step, not per read. */
#define ENG_PAGES_STEP (1024 * 1024)

/* Bytes read from a file at a time by a window. */
#define ENG_PAGES_WIN (256 * 1024)

typedef struct eng_pages_win {
	unsigned char *buf;	/* cap bytes, or NULL */
	size_t cap;
	const unsigned char *at;	/* buf holds [at, at + len) */
	size_t len;
} eng_pages_win;

void eng_pages_add(const void *p, size_t n, int fd);
void eng_pages_remove(const void *p);
void eng_pages_done(const void *p, size_t n);
void eng_pages_copy(void *dst, const void *src, size_t n);
const unsigned char *eng_pages_view(const unsigned char *p, size_t n,
				    unsigned char *buf);
void eng_pages_win_init(eng_pages_win *w);
const unsigned char *eng_pages_win_get(eng_pages_win *w, const unsigned char *p,
				       size_t n, const unsigned char *end,
				       size_t *avail);
void eng_pages_win_free(eng_pages_win *w);

#endif
