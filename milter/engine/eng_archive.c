/*
 * NAME
 *	eng_archive - archives through libarchive, from memory, recursively
 * DESCRIPTION
 *	See eng_archive.h. Only the formats and filters we sniff are
 *	registered: archive_read_support_filter_all() would also run
 *	external programs (lrzip, lzop, grzip) for some filters, and the
 *	engine starts no processes.
 */
#include "engine/eng_archive.h"
#include "engine/eng_charset.h"
#include "engine/eng_sniff.h"
#include "engine/eng_text.h"
#include "util/sg_mem.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Names looked at when sniffing a ZIP: an OOXML package has dozens. */
#define ENG_ZIP_SNIFF_NAMES 10000
/* The ratio limit applies past this many bytes out of one archive, so
 * that a small, well-compressed text file is no bomb. */
#define ENG_RATIO_FLOOR (1024ULL * 1024)
/* Longest decoded entry name kept. */
#define ENG_ENTRY_NAME_MAX 4096
#define ENG_CHUNK (64 * 1024)

/*
 * Bytes that readers without a scan context take out of ZIPs: the type
 * sniffing (eng_zip_names, the ODF "mimetype"), the ODF manifest and
 * the preview's members (eng_zip_member). They count against the
 * message's expanded bytes like every other read (issue 13): the scan
 * takes them into ctx->arch_expanded before each budgeted read
 * (eng_side_take). Per thread, as a scan is.
 */
static _Thread_local unsigned long long eng_side_bytes;

void eng_side_take(eng_ctx *ctx)
{
	if (ctx)
		ctx->arch_expanded += eng_side_bytes;
	eng_side_bytes = 0;
}

static pthread_once_t eng_locale_once = PTHREAD_ONCE_INIT;
static locale_t eng_utf8_locale;

static void eng_locale_init(void)
{
	eng_utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* libarchive converts names to the thread's locale charset: make that
 * UTF-8 for this thread only, whatever the process's locale is. */
static locale_t eng_locale_enter(void)
{
	pthread_once(&eng_locale_once, eng_locale_init);
	return eng_utf8_locale ? uselocale(eng_utf8_locale) : (locale_t)0;
}

static void eng_locale_leave(locale_t old)
{
	if (old)
		uselocale(old);
}

static struct archive *eng_arch_open(const unsigned char *d, size_t n, bool raw)
{
	struct archive *a = archive_read_new();

	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_7zip(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_tar(a);
	if (raw)
		archive_read_support_format_raw(a);
	if (archive_read_open_memory(a, d, n) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/*
 * RAR5 encryption, read from the block headers ourselves: libarchive
 * 3.6 (Debian 12) reads RAR5 without knowing about it. An archive
 * encryption header (type 4) makes it stop with "Encryption is not
 * supported" while archive_read_has_encrypted_entries() says
 * "unsupported" (-2), and a file whose extra area has an encryption
 * record (type 1) comes out unflagged, its ciphertext as its data.
 * Layout (RAR 5.0 technical note): after the 8-byte signature, blocks
 * of CRC32, header size (vint), type (vint), flags (vint: 0x1 extra
 * area, 0x2 data area), [extra area size], [data size], fields; the
 * extra area ends the header, the data area follows it. Types: 1 main,
 * 2 file, 3 service, 4 archive encryption, 5 end of archive.
 */
#define ENG_RAR5_HEADER_MAX (2UL * 1024 * 1024)	/* the format's own limit */

typedef struct eng_rar5 {
	bool hdr_encrypted;	/* names hidden: an archive encryption header */
	size_t nfiles;		/* file headers, in order */
	bool *enc;		/* per file header: an encryption record */
} eng_rar5;

static bool eng_vint(const unsigned char *d, size_t end, size_t *off,
		     unsigned long long *v)
{
	*v = 0;
	for (unsigned i = 0; i < 10 && *off < end; i++) {
		unsigned char b = d[(*off)++];

		*v |= (unsigned long long)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			return i < 9 || b <= 1;
	}
	return false;
}

static unsigned long eng_crc32(const unsigned char *p, size_t n)
{
	unsigned long c = 0xffffffffUL;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320UL & (0UL - (c & 1)));
	}
	return ~c & 0xffffffffUL;
}

/* True when the extra area [off, end) of a file header holds an
 * encryption record. */
static bool eng_rar5_extra_encrypted(const unsigned char *d, size_t off, size_t end)
{
	while (off < end) {
		unsigned long long rsize, rtype;
		size_t rstart;

		if (!eng_vint(d, end, &off, &rsize))
			return false;
		rstart = off;
		if (rsize == 0 || rsize > end - rstart || !eng_vint(d, end, &off, &rtype))
			return false;
		if (rtype == 1)
			return true;
		off = rstart + (size_t)rsize;
	}
	return false;
}

/* Bounded by the data and by `maxfiles` file headers; stops quietly at
 * anything it does not understand (libarchive then judges the rest). */
static void eng_rar5_scan(const unsigned char *d, size_t n, size_t maxfiles,
			  eng_rar5 *r)
{
	size_t off = 8;

	memset(r, 0, sizeof(*r));
	while (off + 5 < n && r->nfiles < maxfiles) {
		unsigned long long hsize, type, flags, xsize = 0, dsize = 0;
		size_t p = off + 4, hstart, hend;

		if (!eng_vint(d, n, &p, &hsize) || hsize == 0 ||
		    hsize > ENG_RAR5_HEADER_MAX || hsize > n - p)
			return;
		hstart = p;
		hend = hstart + (size_t)hsize;
		if (!eng_vint(d, hend, &p, &type) || !eng_vint(d, hend, &p, &flags) ||
		    ((flags & 1) && !eng_vint(d, hend, &p, &xsize)) ||
		    ((flags & 2) && !eng_vint(d, hend, &p, &dsize)) || xsize > hend - p)
			return;
		if (type == 4) {
			/* the header's CRC (size field onwards) tells a real
			 * one from bytes that only look like it */
			r->hdr_encrypted = eng_crc32(d + off + 4, hend - (off + 4)) ==
					   (d[off] | (unsigned long)d[off + 1] << 8 |
					    (unsigned long)d[off + 2] << 16 |
					    (unsigned long)d[off + 3] << 24);
			return;
		}
		if (type == 5)
			return;
		if (type == 2) {
			r->enc = sg_xreallocarray(r->enc, r->nfiles + 1, sizeof(*r->enc));
			r->enc[r->nfiles++] = (flags & 1) &&
				eng_rar5_extra_encrypted(d, hend - (size_t)xsize, hend);
		}
		if (dsize > n - hend)
			return;
		off = hend + (size_t)dsize;
	}
}

typedef struct eng_walk {
	eng_ctx *ctx;
	eng_attachment *node;
	unsigned depth;
	eng_arch_file_fn fn;
	size_t in_len;
	unsigned long long out_here;	/* bytes read out of this archive */
	size_t nfiles, nenc;
	bool stop;
	bool raw;			/* a compressed single file */
	unsigned char *chunk;
	size_t nheaders;		/* entries read so far */
	const eng_rar5 *rar5;		/* RAR5: our own reading, or NULL */
} eng_walk;

/* The name of an entry as UTF-8 NFKC, without a leading "./" or "/". */
static void eng_entry_name(eng_walk *w, struct archive_entry *e, sg_buf *out)
{
	const char *raw = archive_entry_pathname(e);
	sg_buf dec;

	if (raw == NULL)
		raw = archive_entry_pathname_utf8(e);
	if (w->raw || raw == NULL) {
		/* gzip and friends keep no name libarchive gives us: the
		 * attachment's own name without its suffix. */
		const char *nm = w->node->name, *dot = strrchr(nm, '.');
		sg_buf_append(out, nm, dot && dot != nm ? (size_t)(dot - nm) : strlen(nm));
		if (out->len == 0)
			sg_buf_puts(out, "data");
		return;
	}
	while (raw[0] == '.' && raw[1] == '/')
		raw += 2;
	while (*raw == '/')
		raw++;
	sg_buf_init(&dec, ENG_ENTRY_NAME_MAX * 4);
	eng_cs_to_utf8(NULL, raw, strlen(raw), &dec);
	eng_text_normalize(sg_buf_cstr(&dec), dec.len, out);
	sg_buf_free(&dec);
}

static eng_attachment *eng_add_entry(eng_walk *w, const char *name)
{
	eng_attachment *node = w->node, *ent;
	const char *base = strrchr(name, '/');
	sg_buf b;

	/* Doubling, the capacity implicit (the next power of two): one
	 * more each time copied the whole array per entry, 1.2 GB of
	 * moves for a tar.gz of 5,000 files (2.5 s of CPU under ASan,
	 * the slow fuzz input; issue 13). Entries are only added here. */
	if (node->nentries >= 4 && (node->nentries & (node->nentries - 1)) == 0)
		node->entries = sg_xreallocarray(node->entries, node->nentries * 2,
						 sizeof(*ent));
	else if (node->nentries == 0)
		node->entries = sg_xreallocarray(node->entries, 4, sizeof(*ent));
	ent = &node->entries[node->nentries++];
	memset(ent, 0, sizeof(*ent));
	sg_buf_init(&b, SG_BUF_UNLIMITED);
	sg_buf_printf(&b, "%s:%s", node->path, name);
	ent->path = sg_buf_steal(&b);
	sg_buf_printf(&b, "%s/%s", node->where, name);
	ent->where = sg_buf_steal(&b);
	ent->name = sg_xstrdup(base ? base + 1 : name);
	ent->type = sg_xstrdup("application/octet-stream");
	ent->declared_type = sg_xstrdup("");
	ent->disposition = sg_xstrdup("");
	return ent;
}

static void eng_limit_hit(eng_walk *w, const char *rule, const char *ja,
			  const char *en, const char *where, const char *ev)
{
	eng_scan_limit(w->ctx, rule, ja, en, where, ev);
	w->stop = true;
	/* One bomb is enough to hold the message: 42.zip would otherwise
	 * give a finding for each of its thousands of archives. */
	if (strcmp(rule, "archive-unreadable") != 0)
		w->ctx->arch_bomb = true;
}

/* What is left of the message's expanded bytes: one budget for every
 * archive and every document package (an OOXML file is a ZIP) of the
 * message, at any depth. */
static unsigned long long eng_left(eng_ctx *ctx)
{
	unsigned long long total = ctx->eng->lim.expanded_size;

	eng_side_take(ctx);
	return ctx->arch_expanded < total ? total - ctx->arch_expanded : 0;
}

static size_t eng_clamp(unsigned long long v)
{
	return v > SG_BUF_UNLIMITED ? SG_BUF_UNLIMITED : (size_t)v;
}

/* The byte budget of the next entry: what is left of the message's
 * expanded bytes, and of this archive's ratio allowance. */
static size_t eng_entry_budget(eng_walk *w, bool *by_ratio)
{
	const eng_limits *lim = &w->ctx->eng->lim;
	unsigned long long ratio, left = eng_left(w->ctx);

	ratio = (unsigned long long)w->in_len * lim->expansion_ratio;
	if (ratio < ENG_RATIO_FLOOR)
		ratio = ENG_RATIO_FLOOR;
	*by_ratio = ratio - (w->out_here < ratio ? w->out_here : ratio) < left;
	if (*by_ratio)
		left = ratio - (w->out_here < ratio ? w->out_here : ratio);
	return eng_clamp(left);
}

/*
 * Passing an entry without reading it. libarchive passes a member whose
 * compressed size is known without inflating it; one whose size comes
 * only after its data (a streamed ZIP's data descriptor) it inflates to
 * the end, and those bytes would be counted nowhere: read them here
 * instead, into the message's budget, and stop at it (false, a
 * scan-limit finding, no more archives opened).
 */
static bool eng_skip_counted(eng_ctx *ctx, struct archive *a,
			     struct archive_entry *e, unsigned char *chunk,
			     const char *where)
{
	unsigned long long left, got = 0;

	if (archive_entry_size_is_set(e))
		return true;
	left = eng_left(ctx);
	for (unsigned i = 0;; i++) {
		la_ssize_t r = archive_read_data(a, chunk, ENG_CHUNK);

		if (r <= 0)
			break;
		got += (unsigned long long)r;
		if (got > left) {
			ctx->arch_expanded += got;
			eng_scan_limit(ctx, "archive-size",
				       "圧縮ファイルの展開後の大きさが上限を超えました",
				       "Archive contents exceed the expanded size limit",
				       where, "");
			ctx->arch_bomb = true;
			return false;
		}
		if ((i & 63) == 63 && eng_deadline_passed(ctx))
			break;
	}
	ctx->arch_expanded += got;
	return true;
}

typedef enum eng_rd {
	ENG_RD_OK,
	ENG_RD_FULL,		/* out reached its maximum */
	ENG_RD_ERROR,		/* libarchive could not read it */
	ENG_RD_TIMEOUT		/* the scan deadline passed */
} eng_rd;

/* Reads the data of the current entry into out (bounded by out->max);
 * what was read counts against the message's expanded bytes, also when
 * the read stopped. */
static eng_rd eng_read_data(eng_ctx *ctx, struct archive *a,
			    unsigned char *chunk, sg_buf *out)
{
	eng_rd rc = ENG_RD_OK;

	for (unsigned i = 0;; i++) {
		la_ssize_t r = archive_read_data(a, chunk, ENG_CHUNK);

		if (r == 0)
			break;
		if (r < 0) {
			rc = ENG_RD_ERROR;
			break;
		}
		if (sg_buf_append(out, chunk, (size_t)r) < 0) {
			rc = ENG_RD_FULL;
			break;
		}
		if ((i & 63) == 63 && eng_deadline_passed(ctx)) {
			rc = ENG_RD_TIMEOUT;
			break;
		}
	}
	ctx->arch_expanded += out->len;
	return rc;
}

/* Reads the current entry into data; false when a limit or an error
 * stopped it (a finding was added and the walk stops). */
static bool eng_read_entry(eng_walk *w, struct archive *a, eng_attachment *ent,
			   sg_buf *data)
{
	bool by_ratio;
	size_t budget = eng_entry_budget(w, &by_ratio);

	sg_buf_init(data, budget);
	switch (eng_read_data(w->ctx, a, w->chunk, data)) {
	case ENG_RD_OK:
		break;
	case ENG_RD_ERROR:
		eng_limit_hit(w, "archive-unreadable",
			      "圧縮ファイルの中身を読み取れません",
			      "An archive entry could not be read", ent->where,
			      archive_error_string(a));
		return false;
	case ENG_RD_FULL:
		if (by_ratio)
			eng_limit_hit(w, "archive-ratio",
				      "圧縮率が異常に高い圧縮ファイルです (圧縮爆弾の疑い)",
				      "Archive expands too much (suspected archive bomb)",
				      w->node->where, "");
		else
			eng_limit_hit(w, "archive-size",
				      "圧縮ファイルの展開後の大きさが上限を超えました",
				      "Archive contents exceed the expanded size limit",
				      w->node->where, "");
		return false;
	case ENG_RD_TIMEOUT:
		w->stop = true;
		return false;
	}
	w->out_here += data->len;
	return true;
}

static bool eng_is_file(eng_walk *w, struct archive_entry *e)
{
	const char *p = archive_entry_pathname(e);
	size_t n = p ? strlen(p) : 0;

	if (w->raw)
		return true;
	if (n && p[n - 1] == '/')
		return false;
	return archive_entry_filetype(e) == AE_IFREG;
}

static void eng_walk_entry(eng_walk *w, struct archive *a, struct archive_entry *e)
{
	eng_ctx *ctx = w->ctx;
	eng_attachment *ent;
	sg_buf name, data;

	if (++ctx->arch_entries > ctx->eng->lim.archive_entries) {
		eng_limit_hit(w, "archive-entries", "圧縮ファイルの中のファイルが多すぎます",
			      "Too many files in archives to inspect", w->node->where, "");
		return;
	}
	if (!eng_is_file(w, e)) {
		if (!eng_skip_counted(ctx, a, e, w->chunk, w->node->where))
			w->stop = true;
		return;
	}
	sg_buf_init(&name, ENG_ENTRY_NAME_MAX * 4);
	eng_entry_name(w, e, &name);
	ent = eng_add_entry(w, sg_buf_cstr(&name));
	sg_buf_free(&name);
	w->nfiles++;
	/* libarchive gives RAR5 entries in the order of their file headers */
	if (archive_entry_is_encrypted(e) ||
	    (w->rar5 && w->nheaders - 1 < w->rar5->nfiles && w->rar5->enc[w->nheaders - 1])) {
		ent->encrypted = true;
		w->nenc++;
		w->fn(ctx, ent, NULL, 0, w->depth);
		return;
	}
	if (!eng_read_entry(w, a, ent, &data)) {
		sg_buf_free(&data);
		return;
	}
	ent->size = data.len;
	w->fn(ctx, ent, (const unsigned char *)data.data, data.len, w->depth);
	sg_buf_free(&data);
	/* fn grows ent->entries only, never node->entries: ent is valid. */
	if (ent->encrypted)
		w->nenc++;
}

static void eng_walk_loop(eng_walk *w, struct archive *a)
{
	struct archive_entry *e;

	while (!w->stop && !w->ctx->arch_bomb && !eng_deadline_passed(w->ctx)) {
		int r = archive_read_next_header(a, &e);

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			/* 7z -mhe: libarchive stops with ARCHIVE_FATAL, but knows
			 * the archive is encrypted. That is encryption. */
			if (w->nheaders == 0 && archive_read_has_encrypted_entries(a) > 0) {
				w->node->encrypted = true;
				free(w->node->note);
				w->node->note = sg_xstrdup("names hidden");
			} else {
				eng_limit_hit(w, "archive-unreadable",
					      "圧縮ファイルを最後まで読み取れません",
					      "The archive could not be read to its end",
					      w->node->where, archive_error_string(a));
			}
			return;
		}
		w->nheaders++;
		if (w->raw && archive_format(a) != ARCHIVE_FORMAT_RAW)
			w->raw = false;		/* a .tar.gz is a tar */
		eng_walk_entry(w, a, e);
	}
}

void eng_archive_walk(eng_ctx *ctx, eng_attachment *node,
		      const unsigned char *data, size_t len, unsigned depth,
		      eng_arch_file_fn fn)
{
	eng_walk w = { ctx, node, depth, fn, len, 0, 0, 0, false, false, NULL, 0, NULL };
	eng_ftype t = eng_sniff(data, len);
	struct archive *a;
	locale_t old;
	eng_rar5 rar5 = { false, 0, NULL };

	if (depth > ctx->eng->lim.archive_depth) {
		eng_scan_limit(ctx, "archive-depth", "圧縮ファイルの入れ子が深すぎます",
			       "Archives nested too deeply to inspect", node->where, "");
		return;
	}
	if (t == ENG_FT_RAR && len >= 8 && memcmp(data, "Rar!\x1a\x07\x01\x00", 8) == 0) {
		eng_rar5_scan(data, len, ctx->eng->lim.archive_entries + 1, &rar5);
		if (rar5.hdr_encrypted) {
			node->encrypted = true;
			free(node->note);
			node->note = sg_xstrdup("names hidden");
			free(rar5.enc);
			return;
		}
		w.rar5 = &rar5;
	}
	/* gzip/bzip2/xz of a tar is a tar; of anything else, one file. */
	w.raw = t == ENG_FT_GZIP || t == ENG_FT_BZIP2 || t == ENG_FT_XZ;
	old = eng_locale_enter();
	a = eng_arch_open(data, len, w.raw);
	if (a == NULL) {
		eng_scan_limit(ctx, "archive-unreadable", "圧縮ファイルを読み取れません",
			       "The archive could not be read", node->where, "");
		eng_locale_leave(old);
		free(rar5.enc);
		return;
	}
	w.chunk = sg_xmalloc(ENG_CHUNK);
	eng_walk_loop(&w, a);
	archive_read_free(a);
	eng_locale_leave(old);
	free(w.chunk);
	free(rar5.enc);
	if (!node->encrypted)
		node->encrypted = !w.stop && w.nfiles > 0 && w.nenc == w.nfiles;
}

/*
 * A ZIP opened for sniffing or for one member: by its central directory
 * when it has one (libarchive then seeks from member to member and
 * inflates nothing to pass one); else streaming, where passing a member
 * whose size is only at its end means inflating all of it, bytes nobody
 * counts: such a member ends the look (*streaming set).
 */
static struct archive *eng_zip_open(const unsigned char *data, size_t len,
				    bool *streaming)
{
	struct archive *a = archive_read_new();

	*streaming = false;
	archive_read_support_format_zip_seekable(a);
	if (archive_read_open_memory(a, data, len) == ARCHIVE_OK)
		return a;
	archive_read_free(a);
	a = archive_read_new();
	*streaming = true;
	archive_read_support_format_zip(a);
	if (archive_read_open_memory(a, data, len) == ARCHIVE_OK)
		return a;
	archive_read_free(a);
	return NULL;
}

/* The next member header, or NULL at the end, on an error, or where
 * passing the previous member would inflate it uncounted. */
static struct archive_entry *eng_zip_next(struct archive *a, bool streaming,
					  struct archive_entry *prev)
{
	struct archive_entry *e;
	int r;

	if (streaming && prev && !archive_entry_size_is_set(prev))
		return NULL;
	r = archive_read_next_header(a, &e);
	return r < ARCHIVE_WARN || r == ARCHIVE_EOF ? NULL : e;
}

void eng_zip_names(const unsigned char *data, size_t len,
		   int (*fn)(void *arg, const char *name), void *arg)
{
	locale_t old = eng_locale_enter();
	bool streaming;
	struct archive *a = eng_zip_open(data, len, &streaming);
	struct archive_entry *e = NULL;

	for (size_t i = 0; a && i < ENG_ZIP_SNIFF_NAMES; i++) {
		const char *p;

		if ((e = eng_zip_next(a, streaming, e)) == NULL)
			break;
		p = archive_entry_pathname(e);
		if (p && fn(arg, p))
			break;
	}
	if (a)
		archive_read_free(a);
	eng_locale_leave(old);
}

/* Reads the member into out, at most max bytes; what was inflated is
 * counted (eng_side_bytes), also when it was too much. */
static int eng_read_member(struct archive *a, size_t max, sg_buf *out)
{
	char buf[4096];
	la_ssize_t r;
	int rc = 0;

	while ((r = archive_read_data(a, buf, sizeof(buf))) > 0) {
		eng_side_bytes += (unsigned long long)r;
		if (out->len + (size_t)r > max || sg_buf_append(out, buf, (size_t)r) < 0) {
			rc = -1;
			break;
		}
	}
	return rc < 0 || r < 0 ? -1 : 0;
}

int eng_zip_member(const unsigned char *data, size_t len, const char *name,
		   size_t max, sg_buf *out)
{
	locale_t old = eng_locale_enter();
	bool streaming;
	struct archive *a = eng_zip_open(data, len, &streaming);
	struct archive_entry *e = NULL;
	int rc = -1;

	for (size_t i = 0; a && i < ENG_ZIP_SNIFF_NAMES; i++) {
		const char *p;

		if ((e = eng_zip_next(a, streaming, e)) == NULL)
			break;
		p = archive_entry_pathname(e);
		if (p && strcmp(p, name) == 0) {
			if (!archive_entry_is_encrypted(e))
				rc = eng_read_member(a, max, out);
			break;
		}
	}
	if (a)
		archive_read_free(a);
	eng_locale_leave(old);
	return rc;
}

/* Members of one document package looked at, at most: a workbook of
 * more sheets is read in part (and said so). */
#define ENG_PKG_MEMBERS_MAX 1000

static void eng_pkg_limit(eng_ctx *ctx, const char *rule, const char *ja,
			  const char *en, const char *where)
{
	eng_scan_limit(ctx, rule, ja, en, where, "");
	ctx->arch_bomb = true;
}

/* Reads one wanted member, within cap and the message's budget. */
static eng_pkg_rc eng_pkg_member(eng_ctx *ctx, struct archive *a,
				 const char *where, const char *name, size_t cap,
				 unsigned char *chunk, eng_pkg_fn got, void *arg)
{
	unsigned long long left = eng_left(ctx);
	bool by_budget = left < cap;
	eng_pkg_rc rc = ENG_PKG_OK;
	sg_buf m;

	sg_buf_init(&m, by_budget ? eng_clamp(left) : cap);
	switch (eng_read_data(ctx, a, chunk, &m)) {
	case ENG_RD_OK:
		break;
	case ENG_RD_ERROR:
		rc = ENG_PKG_PARTIAL;
		break;
	case ENG_RD_FULL:
		if (by_budget) {
			eng_pkg_limit(ctx, "archive-size",
				      "圧縮ファイルの展開後の大きさが上限を超えました",
				      "Archive contents exceed the expanded size limit", where);
			rc = ENG_PKG_LIMIT;
		} else {
			rc = ENG_PKG_PARTIAL;	/* a huge sheet, or a bomb */
		}
		break;
	case ENG_RD_TIMEOUT:
		rc = ENG_PKG_LIMIT;
		break;
	}
	/* What was read is still text to look at: a marking in the first
	 * part of a cut document still rejects. */
	got(arg, name, &m);
	sg_buf_free(&m);
	return rc;
}

static eng_pkg_rc eng_pkg_loop(eng_ctx *ctx, struct archive *a, const char *where,
			       size_t cap, eng_pkg_want_fn want, eng_pkg_fn got,
			       void *arg)
{
	const eng_limits *lim = &ctx->eng->lim;
	unsigned char *chunk = sg_xmalloc(ENG_CHUNK);
	eng_pkg_rc rc = ENG_PKG_OK;
	struct archive_entry *e;

	for (size_t i = 0; rc != ENG_PKG_LIMIT; i++) {
		int r = archive_read_next_header(a, &e);
		const char *name;

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN || i >= ENG_PKG_MEMBERS_MAX) {
			rc = ENG_PKG_PARTIAL;
			break;
		}
		if (++ctx->arch_entries > lim->archive_entries) {
			eng_pkg_limit(ctx, "archive-entries",
				      "圧縮ファイルの中のファイルが多すぎます",
				      "Too many files in archives to inspect", where);
			rc = ENG_PKG_LIMIT;
			break;
		}
		if (eng_deadline_passed(ctx)) {
			rc = ENG_PKG_LIMIT;
			break;
		}
		name = archive_entry_pathname(e);
		if (name == NULL || !want(name)) {
			/* libarchive skips the data; counted when it must
			 * inflate them to do so */
			if (!eng_skip_counted(ctx, a, e, chunk, where))
				rc = ENG_PKG_LIMIT;
			continue;
		}
		if (archive_entry_is_encrypted(e)) {
			rc = ENG_PKG_PARTIAL;
			continue;
		}
		eng_pkg_rc m = eng_pkg_member(ctx, a, where, name, cap, chunk, got, arg);
		if (m > rc)
			rc = m;
	}
	free(chunk);
	return rc;
}

eng_pkg_rc eng_pkg_read(eng_ctx *ctx, const char *where,
			const unsigned char *data, size_t len, unsigned depth,
			size_t cap, eng_pkg_want_fn want, eng_pkg_fn got, void *arg)
{
	struct archive *a;
	locale_t old;
	eng_pkg_rc rc;

	/* A limit has held the message already: open nothing more. */
	if (ctx->arch_bomb || eng_deadline_passed(ctx))
		return ENG_PKG_LIMIT;
	if (depth > ctx->eng->lim.archive_depth) {
		eng_scan_limit(ctx, "archive-depth", "圧縮ファイルの入れ子が深すぎます",
			       "Archives nested too deeply to inspect", where, "");
		return ENG_PKG_LIMIT;
	}
	old = eng_locale_enter();
	a = archive_read_new();
	archive_read_support_format_zip(a);
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK)
		rc = ENG_PKG_PARTIAL;
	else
		rc = eng_pkg_loop(ctx, a, where, cap, want, got, arg);
	archive_read_free(a);
	eng_locale_leave(old);
	return rc;
}
