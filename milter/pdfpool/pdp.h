/*
 * NAME
 *	pdp - a pool of PDF text worker processes (sendguard-pdftext)
 * SYNOPSIS
 *	#include "pdfpool/pdp.h"
 * DESCRIPTION
 *	The PDF reader the milter and sendguardctl give the engine
 *	(eng.h, eng_engine_set_pdf_reader): poppler runs in worker
 *	processes, never in the scanning process, because it cannot be
 *	cancelled inside a page and a crash in it would end every session
 *	of the milter (and the client's retry would crash it again).
 *
 *	pdp_new() makes a pool of nworkers workers. The milter makes it
 *	once, after it detached and before any thread (start_now: every
 *	worker started, or NULL with err); `sendguardctl check` makes one
 *	that starts its worker on the first PDF. The pool outlives the
 *	engines that use it; pdp_free() ends its workers.
 *
 *	pdp_attach() gives the pool to an engine as its reader (pool NULL:
 *	no reader, PDFs are scan limits). pdp_read() is the reader itself
 *	(eng_pdf_read_fn), safe from any thread.
 *
 *	pdp_default_worker(): sendguard-pdftext in the directory of the
 *	running program (caller frees); pdp_check(): whether that file can
 *	be run (for --check and doctor).
 * DIAGNOSTICS
 *	pdp_new() and pdp_check() return NULL / -1 with err saying why.
 */
#ifndef PDP_H
#define PDP_H

#include <stdbool.h>

#include "engine/eng.h"
#include "util/sg_buf.h"

typedef struct pdp_pool pdp_pool;

char *pdp_default_worker(void);
int pdp_check(const char *worker, sg_buf *err);
pdp_pool *pdp_new(const char *worker, unsigned nworkers, bool start_now,
		  sg_buf *err);
void pdp_free(pdp_pool *pool);
void pdp_attach(eng_engine *eng, pdp_pool *pool);
void pdp_read(void *pool, const unsigned char *pdf, size_t len,
	      const eng_pdf_limits *lim, const struct timespec *until,
	      eng_pdf_page_fn page, void *arg, eng_pdf_outcome *out);

#endif
