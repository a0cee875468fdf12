/*
 * NAME
 *	eng_pages - let go of pages of a mapped file once they are read
 * SYNOPSIS
 *	#include "engine/eng_pages.h"
 *
 *	void eng_pages_add(const void *p, size_t n);
 *	void eng_pages_remove(const void *p);
 *	void eng_pages_done(const void *p, size_t n);
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
 *	that nobody writes through; eng_pages_remove() forgets the one that
 *	starts at p (before munmap). eng_pages_done() says a reader has
 *	finished with [p, p + n): the whole pages of it inside a registered
 *	mapping are dropped, anything else (heap memory, whose pages would
 *	read back as zeros) is left alone. The registry is per thread (a
 *	scan runs in one thread) and holds ENG_PAGES_MAX mappings; past
 *	that a mapping is simply not registered, which costs memory only.
 *	Dropping is a hint: it never changes what a reader sees.
 */
#ifndef ENG_PAGES_H
#define ENG_PAGES_H

#include <stddef.h>

#define ENG_PAGES_MAX 8
/* Readers hand back what they have passed in steps of at least this:
 * one madvise per step, not per read. */
#define ENG_PAGES_STEP (1024 * 1024)

void eng_pages_add(const void *p, size_t n);
void eng_pages_remove(const void *p);
void eng_pages_done(const void *p, size_t n);

#endif
