/*
 * NAME
 *	eng_stream - a read-only GMimeStream over the caller's bytes
 * SYNOPSIS
 *	#include "engine/eng_stream.h"
 *
 *	GMimeStream *eng_stream_new_const(const void *data, size_t len);
 *
 *	bool eng_stream_bytes(GMimeStream *s, const unsigned char **p,
 *			      size_t *n);
 * DESCRIPTION
 *	GMime's own memory stream copies the buffer it is given
 *	(g_mime_stream_mem_new_with_buffer), and a GByteArray cannot wrap
 *	bytes it does not own. The milter already has the message in
 *	memory or in an mmap'd spool file, so that copy was one more
 *	message-sized allocation per concurrent message (about 14 MB for a
 *	10 MB attachment). This stream reads the caller's bytes in place;
 *	GMime's parser takes substreams of it for part contents, which are
 *	views of the same bytes.
 *
 *	The bytes must stay valid and unchanged until the stream and every
 *	substream (held by the parsed message's parts) are unreferenced:
 *	eng_scan() frees the message before it returns. Writing fails
 *	(EBADF); seeking past the end fails (EINVAL).
 *
 *	eng_stream_bytes() gives the bytes between a stream's bounds when
 *	s is one of these streams or a substream of one (a part's content
 *	as the parser left it), so that a pass over a whole part reads
 *	them in place instead of copying them out chunk by chunk; false
 *	for any other stream. The caller hands back what it has read
 *	(eng_pages.h) as the stream's reads would.
 */
#ifndef ENG_STREAM_H
#define ENG_STREAM_H

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stddef.h>

GType eng_const_stream_get_type(void);
GMimeStream *eng_stream_new_const(const void *data, size_t len);
bool eng_stream_bytes(GMimeStream *s, const unsigned char **p, size_t *n);

#endif
