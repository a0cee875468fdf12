/*
 * NAME
 *	pdt_proto - the pipe protocol between the pool (pdfpool/pdp_pool.c) and
 *	sendguard-pdftext
 * SYNOPSIS
 *	#include "pdftext/pdt_proto.h"
 * DESCRIPTION
 *	Both ends are programs of one build on one machine: records are
 *	fixed-size structs in host byte order, never sent over a network.
 *
 *	Request (client -> worker, on the worker's stdin): one
 *	pdt_p_req, then `len` bytes of PDF.
 *
 *	Answer (worker -> client, on the worker's stdout): records, each an
 *	pdt_p_rec followed by `len` bytes:
 *	- PDT_P_PAGE: the UTF-8 text of page `page` (1-based); flags
 *	  PDT_P_F_IMAGES when the page has no text but draws images;
 *	- PDT_P_END: the last record of the answer; `page` is the
 *	  document's page count, flags one PDT_P_ST_* status (plus
 *	  PDT_P_F_RETIRE), the payload a message for people (why it
 *	  could not be opened) or empty.
 *	The worker cuts between pages: after max_pages pages, or once the
 *	text sent reaches max_text bytes (the page that reaches it is cut
 *	at a UTF-8 boundary). The client trusts none of it: a record longer
 *	than what is left of its own budget ends the worker.
 *
 *	PDT_P_F_RETIRE: the worker exits after this answer (it has served
 *	its share of documents, so that memory poppler keeps does not grow
 *	without bound); the client replaces it.
 */
#ifndef PDT_PROTO_H
#define PDT_PROTO_H

#include <stdint.h>

#define PDT_P_MAGIC 0x44504753u	/* "SGPD" */
#define PDT_P_VERSION 1u

typedef struct pdt_p_req {
	uint32_t magic;
	uint32_t version;
	uint64_t len;		/* bytes of PDF that follow */
	uint64_t max_text;	/* bytes of text sent at most */
	uint64_t max_memory;	/* RLIMIT_AS for this document, bytes */
	uint32_t max_pages;	/* pages read at most */
	uint32_t cpu_seconds;	/* RLIMIT_CPU for this document */
} pdt_p_req;

typedef struct pdt_p_rec {
	uint32_t type;
	uint32_t page;
	uint32_t flags;
	uint32_t reserved;
	uint64_t len;
} pdt_p_rec;

enum {
	PDT_P_PAGE = 1,
	PDT_P_END = 2
};

/* PAGE flags */
#define PDT_P_F_IMAGES 0x1u

/* END status (low byte of flags) */
enum {
	PDT_P_ST_OK = 0,		/* every page read */
	PDT_P_ST_PAGES = 1,		/* cut at max_pages */
	PDT_P_ST_TEXT = 2,		/* cut at max_text */
	PDT_P_ST_UNREADABLE = 3,	/* poppler could not open it */
	PDT_P_ST_PASSWORD = 4	/* a user password is needed */
};
#define PDT_P_ST_MASK 0xffu
#define PDT_P_F_RETIRE 0x100u

/* The message of an END record is at most this long. */
#define PDT_P_MSG_MAX 512u

#endif
