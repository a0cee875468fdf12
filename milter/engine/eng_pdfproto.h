/*
 * NAME
 *	eng_pdfproto - the pipe protocol between eng_pdftext and
 *	sendguard-pdftext
 * SYNOPSIS
 *	#include "engine/eng_pdfproto.h"
 * DESCRIPTION
 *	Both ends are programs of one build on one machine: records are
 *	fixed-size structs in host byte order, never sent over a network.
 *
 *	Request (client -> worker, on the worker's stdin): one
 *	eng_pdfp_req, then `len` bytes of PDF.
 *
 *	Answer (worker -> client, on the worker's stdout): records, each an
 *	eng_pdfp_rec followed by `len` bytes:
 *	- ENG_PDFP_PAGE: the UTF-8 text of page `page` (1-based); flags
 *	  ENG_PDFP_F_IMAGES when the page has no text but draws images;
 *	- ENG_PDFP_END: the last record of the answer; `page` is the
 *	  document's page count, flags one ENG_PDFP_ST_* status (plus
 *	  ENG_PDFP_F_RETIRE), the payload a message for people (why it
 *	  could not be opened) or empty.
 *	The worker cuts between pages: after max_pages pages, or once the
 *	text sent reaches max_text bytes (the page that reaches it is cut
 *	at a UTF-8 boundary). The client trusts none of it: a record longer
 *	than what is left of its own budget ends the worker.
 *
 *	ENG_PDFP_F_RETIRE: the worker exits after this answer (it has served
 *	its share of documents, so that memory poppler keeps does not grow
 *	without bound); the client replaces it.
 */
#ifndef ENG_PDFPROTO_H
#define ENG_PDFPROTO_H

#include <stdint.h>

#define ENG_PDFP_MAGIC 0x44504753u	/* "SGPD" */
#define ENG_PDFP_VERSION 1u

typedef struct eng_pdfp_req {
	uint32_t magic;
	uint32_t version;
	uint64_t len;		/* bytes of PDF that follow */
	uint64_t max_text;	/* bytes of text sent at most */
	uint64_t max_memory;	/* RLIMIT_AS for this document, bytes */
	uint32_t max_pages;	/* pages read at most */
	uint32_t cpu_seconds;	/* RLIMIT_CPU for this document */
} eng_pdfp_req;

typedef struct eng_pdfp_rec {
	uint32_t type;
	uint32_t page;
	uint32_t flags;
	uint32_t reserved;
	uint64_t len;
} eng_pdfp_rec;

enum {
	ENG_PDFP_PAGE = 1,
	ENG_PDFP_END = 2
};

/* PAGE flags */
#define ENG_PDFP_F_IMAGES 0x1u

/* END status (low byte of flags) */
enum {
	ENG_PDFP_ST_OK = 0,		/* every page read */
	ENG_PDFP_ST_PAGES = 1,		/* cut at max_pages */
	ENG_PDFP_ST_TEXT = 2,		/* cut at max_text */
	ENG_PDFP_ST_UNREADABLE = 3,	/* poppler could not open it */
	ENG_PDFP_ST_PASSWORD = 4	/* a user password is needed */
};
#define ENG_PDFP_ST_MASK 0xffu
#define ENG_PDFP_F_RETIRE 0x100u

/* The message of an END record is at most this long. */
#define ENG_PDFP_MSG_MAX 512u

#endif
