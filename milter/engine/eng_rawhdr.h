/*
 * NAME
 *	eng_rawhdr - bound header fields on the raw bytes, before GMime
 * SYNOPSIS
 *	#include "engine/eng_rawhdr.h"
 * DESCRIPTION
 *	eng_rawhdr_guard() reads the raw message (len bytes) once and finds
 *	the header fields GMime must not parse (see eng_rawhdr.c): each is
 *	reported as a scan-limit finding in ctx. It returns NULL when the
 *	message can go to GMime as it is, else a copy without those fields
 *	(*outlen bytes; the caller frees it, after GMime is done with it).
 *	Removed top-level To/Cc/Bcc values go into h (or set
 *	h->rcpt_unread).
 */
#ifndef ENG_RAWHDR_H
#define ENG_RAWHDR_H

#include "engine/eng_int.h"

unsigned char *eng_rawhdr_guard(eng_ctx *ctx, const unsigned char *msg,
				size_t len, eng_hdrs *h, size_t *outlen);

#endif
