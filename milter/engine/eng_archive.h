/*
 * NAME
 *	eng_archive - archives through libarchive, from memory, recursively
 * SYNOPSIS
 *	#include "engine/eng_archive.h"
 * DESCRIPTION
 *	eng_archive_walk() reads the archive `data` (ZIP, 7z, RAR, tar,
 *	gzip/bzip2/xz, ...), adds one inventory entry to node->entries per
 *	file (directories are not files), and calls `fn` for each with the
 *	entry's content, or NULL for an entry that is encrypted (its name is
 *	still checked). `fn` may call eng_archive_walk again for an archive
 *	inside: `depth` is the nesting of the entries (1 for the entries of
 *	a mail attachment). node->encrypted is set when every file is
 *	encrypted (by the archive, or itself encrypted, as fn decides), or
 *	when the headers are encrypted (7z -mhe, RAR4 MHD_PASSWORD, RAR5
 *	archive encryption header: names hidden). libarchive 3.6 does not
 *	report RAR5 encryption, so RAR5 block headers are read here too
 *	(file encryption records, the archive encryption header).
 *
 *	Entry names come out as UTF-8: libarchive runs under a per-thread
 *	C.UTF-8 locale (uselocale: never the process's), so names flagged
 *	UTF-8 arrive as UTF-8; raw names without the flag (CP932 from
 *	Japanese Windows, the normal case) are decoded by eng_cs_to_utf8's
 *	guess, then NFKC-normalised like mail names.
 *
 *	Limits, each a setting ([limits]): depth, entries per message,
 *	expanded bytes per message, and the expansion ratio of one archive
 *	(bytes out per byte in, past a 1 MiB floor), plus the scan deadline.
 *	A limit reached is a scan-limit finding naming the archive path, and
 *	the rest of that archive is not read: memory stays bounded by
 *	max_expanded_size however the archive is built (42.zip).
 *
 *	eng_pkg_read() reads the members of a ZIP-based document package
 *	(OOXML, ODF) that `want` names, each of at most `cap` bytes, and
 *	hands each to `got` (the buffer stays the caller's: copy or steal
 *	it). A package is an archive like any other for the limits: its
 *	members are entries at `depth` (one more than the document's own),
 *	and what they expand to counts against the same per-message entries,
 *	expanded bytes and deadline as the archive walk, so that a document
 *	in an archive in an archive does not multiply them.
 *
 *	eng_zip_names() calls fn for each entry name of a ZIP (bounded),
 *	and eng_zip_member() reads one named member of at most `max` bytes:
 *	for sniffing OOXML and ODF without the full walk. Both go by the
 *	central directory when there is one, and never inflate a member
 *	just to pass it; what eng_zip_member() inflates is counted per
 *	thread, and eng_side_take() adds it to the scan's expanded bytes
 *	(every budgeted read does, first): no read of attachment content
 *	is outside the message's budget.
 * DIAGNOSTICS
 *	eng_pkg_read() returns ENG_PKG_OK (every wanted member read),
 *	ENG_PKG_PARTIAL (a member over cap, encrypted or unreadable, or a
 *	package that libarchive cannot read: the caller says the document
 *	was read in part), or ENG_PKG_LIMIT (a message limit was reached and
 *	the scan-limit finding is added already, or the deadline passed).
 *	eng_zip_member() returns 0, or -1 when the member is missing,
 *	encrypted, unreadable or larger than max.
 */
#ifndef ENG_ARCHIVE_H
#define ENG_ARCHIVE_H

#include "engine/eng_int.h"

typedef void (*eng_arch_file_fn)(eng_ctx *ctx, eng_attachment *ent,
				 const unsigned char *data, size_t len,
				 unsigned depth);

void eng_archive_walk(eng_ctx *ctx, eng_attachment *node,
		      const unsigned char *data, size_t len, unsigned depth,
		      eng_arch_file_fn fn);

typedef enum eng_pkg_rc {
	ENG_PKG_OK,
	ENG_PKG_PARTIAL,
	ENG_PKG_LIMIT
} eng_pkg_rc;

typedef bool (*eng_pkg_want_fn)(const char *name);
typedef void (*eng_pkg_fn)(void *arg, const char *name, sg_buf *member);

eng_pkg_rc eng_pkg_read(eng_ctx *ctx, const char *where,
			const unsigned char *data, size_t len, unsigned depth,
			size_t cap, eng_pkg_want_fn want, eng_pkg_fn got, void *arg);

/* fn returns non-zero to stop. */
void eng_zip_names(const unsigned char *data, size_t len,
		   int (*fn)(void *arg, const char *name), void *arg);
void eng_side_take(eng_ctx *ctx);
int eng_zip_member(const unsigned char *data, size_t len, const char *name,
		   size_t max, sg_buf *out);

#endif
