/*
 * NAME
 *	eng_attach - the attachment rules
 * DESCRIPTION
 *	See eng_attach.h. One function (eng_attach_file) judges a file
 *	wherever it sits: a mail attachment at depth 0, an archive entry
 *	below; eng_archive calls it back for every entry, so every rule
 *	applies inside archives too.
 */
#include "engine/eng_attach.h"
#include "engine/eng_archive.h"
#include "engine/eng_charset.h"
#include "engine/eng_crypt.h"
#include "engine/eng_office.h"
#include "engine/eng_pdf.h"
#include "engine/eng_pdftext.h"
#include "engine/eng_sniff.h"
#include "engine/eng_text.h"
#include "util/sg_mem.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENG_EXT_MAX 32		/* longest extension in the rule file */
#define ENG_EXT_LIST_MAX 10000

typedef struct eng_top {
	size_t idx;		/* in res->atts: the array may move */
	eng_ftype ft;		/* by content */
} eng_top;

struct eng_attach_state {
	eng_top *tops;
	size_t ntops;
};

/* Extensions that documents have: one of these before a dangerous
 * extension ("report.pdf.exe") is meant to deceive. */
static const char *const eng_doc_exts[] = {
	"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "csv", "rtf",
	"jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "odt", "ods", "odp",
	"zip", "lzh", "htm", "html", "mp3", "mp4", "wav", "avi", "mov", "jtd",
	"xml", "eml", "msg",
};

static void eng_dangerous(eng_ctx *ctx, const char *rule, const char *ja,
			  const char *en, const char *where, const char *ev)
{
	eng_add_finding(ctx->res, ENG_CAT_DANGEROUS, rule, ja, en, where, 1, ev,
			ctx->eng->actions[ENG_CAT_DANGEROUS]);
}

static bool eng_ext_listed(const eng_engine *eng, const char *ext)
{
	for (size_t i = 0; i < eng->ndangerous_ext; i++)
		if (strcmp(eng->dangerous_ext[i], ext) == 0)
			return true;
	return false;
}

/* Length of s without trailing dots and spaces: Windows drops them, so
 * "tool.exe. . " runs as tool.exe. */
static size_t eng_trim_len(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '.' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

/* The extension of s[0..n) (after the last dot), lower-case, into ext;
 * returns the dot's offset, or -1 when there is none (or it is long). */
static long eng_ext_of(const char *s, size_t n, char *ext)
{
	size_t i = n, k;

	while (i > 0 && s[i - 1] != '.' && s[i - 1] != '/')
		i--;
	if (i == 0 || s[i - 1] != '.' || n - i == 0 || n - i >= ENG_EXT_MAX)
		return -1;
	for (k = 0; i + k < n; k++)
		ext[k] = (char)tolower((unsigned char)s[i + k]);
	ext[k] = '\0';
	return (long)i - 1;
}

static bool eng_is_doc_ext(const char *ext)
{
	for (size_t i = 0; i < sizeof(eng_doc_exts) / sizeof(eng_doc_exts[0]); i++)
		if (strcmp(eng_doc_exts[i], ext) == 0)
			return true;
	return false;
}

/* U+202A..U+202E (E2 80 AA..AE) and U+2066..U+2069 (E2 81 A6..A9):
 * "invoice\u202Efdp.exe" shows as "invoiceexe.pdf". */
static long eng_bidi_at(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
				     (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)))
			return ((long)p[1] - 0x80) * 64 + (p[2] - 0x80) + 0x2000;
	return -1;
}

static void eng_check_name(eng_ctx *ctx, const eng_attachment *node)
{
	const char *name = node->name;
	size_t n = eng_trim_len(name, strlen(name));
	char ext[ENG_EXT_MAX], prev[ENG_EXT_MAX], ev[2 * ENG_EXT_MAX + 16];
	long cp = eng_bidi_at(name), dot;

	if (cp >= 0) {
		snprintf(ev, sizeof(ev), "U+%04lX", (unsigned long)cp);
		eng_dangerous(ctx, "bidi-name",
			      "ファイル名に文字の向きを変える制御文字があります (拡張子の偽装)",
			      "Bidirectional control character in the file name "
			      "(disguised extension)", node->where, ev);
	}
	dot = eng_ext_of(name, n, ext);
	if (dot < 0 || !eng_ext_listed(ctx->eng, ext))
		return;
	if (eng_ext_of(name, eng_trim_len(name, (size_t)dot), prev) >= 0 &&
	    eng_is_doc_ext(prev)) {
		snprintf(ev, sizeof(ev), ".%s .%s", prev, ext);
		eng_dangerous(ctx, "double-extension",
			      "文書に見せかけた実行可能ファイル (二重拡張子)",
			      "Executable disguised as a document (double extension)",
			      node->where, ev);
		return;
	}
	snprintf(ev, sizeof(ev), ".%s", ext);
	eng_dangerous(ctx, "dangerous-extension",
		      "危険な種類のファイル (実行ファイル・ショートカット・マクロ等)",
		      "Dangerous file type (executable, shortcut, macro, disk image)",
		      node->where, ev);
}

static void eng_check_content(eng_ctx *ctx, const eng_attachment *node,
			      eng_ftype ft)
{
	const eng_ftype_desc *d = eng_ftype_info(ft);

	if (!(d->flags & ENG_FT_F_DANGER))
		return;
	if (d->flags & ENG_FT_F_MACRO)
		eng_dangerous(ctx, "macro", "マクロ付きの文書", "Document with macros",
			      node->where, d->label);
	else if (ft == ENG_FT_LNK)
		eng_dangerous(ctx, "shortcut", "Windows のショートカット",
			      "Windows shortcut", node->where, d->label);
	else if (ft == ENG_FT_ISO9660 || ft == ENG_FT_UDF)
		eng_dangerous(ctx, "disk-image", "ディスクイメージ", "Disk image",
			      node->where, d->label);
	else
		eng_dangerous(ctx, "executable", "実行ファイル", "Executable program",
			      node->where, d->label);
}

/* A file named as an OOXML or ODF document (case-insensitive). */
static bool eng_is_package_name(const char *name)
{
	static const char *const exts[] = { "docx", "docm", "dotx", "dotm", "xlsx", "xlsm",
		"xltx", "xltm", "pptx", "pptm", "potx", "ppsx", "odt", "ods", "odp", "odg",
		"ott", "ots" };
	char ext[ENG_EXT_MAX];

	if (eng_ext_of(name, strlen(name), ext) < 0)
		return false;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (strcmp(exts[i], ext) == 0)
			return true;
	return false;
}

/* A .docx or .xlsx that is no document package: a truncated download,
 * a file cut by a broken client, an HTML page saved under the name.
 * Nothing of it could be read as the document it claims to be, so it
 * is a scan limit, never merely "unencrypted" (issue 17). An OLE file
 * is what an encrypted OOXML document is (eng_ole decides), a ZIP
 * document package is read by eng_content (which says when members
 * are missing). */
static void eng_check_package(eng_ctx *ctx, const eng_attachment *node, eng_ftype ft)
{
	const char *why;

	if (!eng_is_package_name(node->name))
		return;
	switch (ft) {
	case ENG_FT_DOCX: case ENG_FT_DOCM: case ENG_FT_XLSX: case ENG_FT_XLSM:
	case ENG_FT_PPTX: case ENG_FT_PPTM: case ENG_FT_OOXML:
	case ENG_FT_OOXML_MACRO: case ENG_FT_ODF: case ENG_FT_OLE:
		return;
	case ENG_FT_ZIP:
		why = "ZIP without [Content_Types].xml or mimetype (damaged, or no document)";
		break;
	default:
		why = "not a ZIP package";
		break;
	}
	eng_scan_limit(ctx, "document-unreadable", "文書として読み取れず検査できません",
		       "The document could not be read as one", node->where, why);
}

static void eng_set_type(eng_attachment *node, const char *mime)
{
	free(node->type);
	node->type = sg_xstrdup(mime);
}

static void eng_set_note(eng_attachment *node, const char *note)
{
	free(node->note);
	node->note = sg_xstrdup(note);
}

static void eng_entry_cb(eng_ctx *ctx, eng_attachment *ent,
			 const unsigned char *data, size_t len, unsigned depth);

/* A file inside a file that is no archive (what an OLE object
 * carries): an entry of node, as an archive's would be. */
static eng_attachment *eng_child(eng_attachment *node, const char *name)
{
	eng_attachment *ent;
	sg_buf b;

	node->entries = sg_xreallocarray(node->entries, node->nentries + 1, sizeof(*ent));
	ent = &node->entries[node->nentries++];
	memset(ent, 0, sizeof(*ent));
	sg_buf_init(&b, SG_BUF_UNLIMITED);
	sg_buf_printf(&b, "%s:%s", node->path, name);
	ent->path = sg_buf_steal(&b);
	sg_buf_printf(&b, "%s/%s", node->where, name);
	ent->where = sg_buf_steal(&b);
	ent->name = sg_xstrdup(name);
	ent->type = sg_xstrdup("application/octet-stream");
	ent->declared_type = sg_xstrdup("");
	ent->disposition = sg_xstrdup("");
	return ent;
}

/*
 * The file an OLE object carries (an exe, a roster or a signed .p7m
 * dropped into a Word file as a "Package"; an embedded document) is
 * read as an entry of it, within the message's budget and archive
 * depth: what it carries is what the recipient double-clicks.
 */
static void eng_ole_carried(eng_ctx *ctx, eng_attachment *node, const unsigned char *d,
			    size_t n, unsigned depth)
{
	const eng_limits *lim = &ctx->eng->lim;
	unsigned long long left;
	sg_buf data, name;
	eng_attachment *ent;
	int rc;

	if (ctx->arch_bomb || eng_deadline_passed(ctx))
		return;
	eng_side_take(ctx);
	left = lim->expanded_size > ctx->arch_expanded ?
	       lim->expanded_size - ctx->arch_expanded : 0;
	sg_buf_init(&data, left < SG_BUF_UNLIMITED ? (size_t)left : SG_BUF_UNLIMITED);
	sg_buf_init(&name, SG_BUF_UNLIMITED);
	rc = eng_ole_embedded(d, n, &data, &name);
	if (rc == 1) {
		eng_scan_limit(ctx, "archive-size",
			       "埋め込まれたファイルの大きさが上限を超えました",
			       "An embedded file exceeds the expanded size limit", node->where, "");
		ctx->arch_bomb = true;
	} else if (rc == -1) {
		eng_scan_limit(ctx, "office-unreadable", "Office ファイルを読み取れません",
			       "The Office file could not be read", node->where,
			       "embedded object");
	} else if (rc == 0 && depth + 1 > lim->archive_depth) {
		eng_scan_limit(ctx, "archive-depth", "圧縮ファイルの入れ子が深すぎます",
			       "Archives nested too deeply to inspect", node->where, "");
	} else if (rc == 0) {
		sg_buf dec, norm;

		ctx->arch_expanded += data.len;
		/* The label is in the writer's ANSI code page (CP932 from a
		 * Japanese Windows): decoded and normalised as an archive
		 * entry's raw name is; a '/' would fake a path. */
		sg_buf_init(&dec, SG_BUF_UNLIMITED);
		sg_buf_init(&norm, SG_BUF_UNLIMITED);
		eng_cs_to_utf8(NULL, sg_buf_cstr(&name), name.len, &dec);
		eng_text_normalize(sg_buf_cstr(&dec), dec.len, &norm);
		for (size_t i = 0; i < norm.len; i++)
			if (norm.data[i] == '/')
				norm.data[i] = '_';
		ent = eng_child(node, norm.len ? sg_buf_cstr(&norm) : "embedded");
		sg_buf_free(&dec);
		sg_buf_free(&norm);
		eng_entry_cb(ctx, ent, (const unsigned char *)data.data, data.len, depth + 1);
	}
	sg_buf_free(&data);
	sg_buf_free(&name);
}

static void eng_ole(eng_ctx *ctx, eng_attachment *node, const unsigned char *d,
		    size_t n, unsigned depth)
{
	eng_office_info o;

	/* A listed stream that cannot be read (a cyclic or broken sector
	 * chain) leaves the encryption unknown: not "plain". */
	/* Only the heads of the streams that decide are read (at most
	 * ENG_ENCINFO_MAX), counted like archive content; libgsf keeps
	 * no stream larger than the file. */
	int rc = eng_office_ole(d, n, &o);

	ctx->arch_expanded += o.read;
	if (rc < 0 || o.unreadable) {
		eng_scan_limit(ctx, "office-unreadable", "Office ファイルを読み取れません",
			       "The Office file could not be read", node->where, "");
		return;
	}
	eng_set_type(node, o.mime);
	node->encrypted = o.encrypted && !o.default_password;
	if (o.default_password)
		eng_set_note(node, "default password VelvetSweatshop: opens without one");
	if (o.vba)
		eng_dangerous(ctx, "macro", "マクロ付きの文書", "Document with macros",
			      node->where, "VBA project storage");
	if (!o.encrypted)
		eng_ole_carried(ctx, node, d, n, depth);
}

static void eng_pdf(eng_ctx *ctx, eng_attachment *node, const unsigned char *d,
		    size_t n)
{
	const eng_limits *lim = &ctx->eng->lim;
	unsigned long long left, used = 0;
	eng_pdf_count cost;
	sg_buf why;

	/* What qpdf would inflate in our memory when it opens the file
	 * (cross-reference and object streams) counts against the
	 * message's expanded bytes like an archive's content; over them,
	 * or behind a filter that is not counted, qpdf is not run: it
	 * cannot be interrupted (issue 13: a 500 KB PDF whose xref stream
	 * inflates to 512 MB took 24 s and 1 GB). */
	eng_side_take(ctx);
	left = lim->expanded_size > ctx->arch_expanded ?
	       lim->expanded_size - ctx->arch_expanded : 0;
	cost = eng_pdf_open_cost(d, n, left, &used);
	if (cost == ENG_PDF_COUNT_OVER) {
		eng_scan_limit(ctx, "archive-size",
			       "PDF の圧縮データの展開後の大きさが上限を超えました",
			       "PDF streams exceed the expanded size limit", node->where,
			       "cross-reference or object streams");
		ctx->arch_bomb = true;
		return;
	}
	if (cost == ENG_PDF_COUNT_FILTER) {
		eng_scan_limit(ctx, "pdf-unreadable", "PDF を読み取れません",
			       "The PDF could not be read", node->where,
			       "a cross-reference or object stream with a filter other than FlateDecode");
		return;
	}
	ctx->arch_expanded += used;
	sg_buf_init(&why, 1024);
	switch (eng_pdf_check(d, n, &why)) {
	case ENG_PDF_ENCRYPTED:
		node->encrypted = true;
		break;
	case ENG_PDF_OWNER_ONLY:
		eng_set_note(node, "owner password only: opens without a password");
		eng_pdf_text(ctx, node, d, n);
		break;
	case ENG_PDF_UNREADABLE:
		eng_scan_limit(ctx, "pdf-unreadable", "PDF を読み取れません",
			       "The PDF could not be read", node->where, sg_buf_cstr(&why));
		break;
	case ENG_PDF_PLAIN:
		eng_pdf_text(ctx, node, d, n);
		break;
	}
	sg_buf_free(&why);
}

static eng_ftype eng_attach_file(eng_ctx *ctx, eng_attachment *node,
				 const unsigned char *data, size_t len,
				 unsigned depth);

/* Signed wrappers inside signed wrappers, unwrapped at most. */
#define ENG_UNWRAP_LAYERS 4

/*
 * A file in an archive that is a readable wrapper: an opaque-signed
 * S/MIME file (CMS SignedData, "report.csv.p7m", or a whole signed mail
 * saved as smime.p7m), RFC 3274 compressed data, gpg --sign output,
 * binary or armoured. Anybody can read what it carries, so it is read
 * as the MIME walk reads the same thing at the top level (eng_unwrap):
 * a MIME entity is walked, a file is judged as the entry (issue 13).
 * Encrypted CMS and OpenPGP are left to eng_attach_file, which marks
 * them encrypted only because their content proves it. Returns whether
 * the entry was read through its wrapper; one that cannot be read is a
 * scan limit, and the entry is then judged as it stands.
 */
static bool eng_entry_unwrap(eng_ctx *ctx, eng_attachment *ent,
			     const unsigned char *data, size_t len,
			     unsigned depth, unsigned layer);

static void eng_entry_read(eng_ctx *ctx, eng_attachment *ent,
			   const unsigned char *data, size_t len,
			   unsigned depth, unsigned layer)
{
	if (layer < ENG_UNWRAP_LAYERS &&
	    eng_entry_unwrap(ctx, ent, data, len, depth, layer))
		return;
	eng_content_text(ctx, ent->where, ent->name, data, len, depth);
	(void)eng_attach_file(ctx, ent, data, len, depth);
}

static bool eng_entry_unwrap(eng_ctx *ctx, eng_attachment *ent,
			     const unsigned char *data, size_t len,
			     unsigned depth, unsigned layer)
{
	const eng_limits *lim = &ctx->eng->lim;
	eng_crypt_info info = { 0 };
	eng_crypt_kind k = ENG_CRYPT_NONE;
	unsigned long long left;
	bool armour = false;
	eng_ftype ft;
	sg_buf inner;

	if (data == NULL || len == 0 || eng_deadline_passed(ctx))
		return false;
	ft = eng_sniff(data, len);
	if (ft != ENG_FT_P7S && ft != ENG_FT_UNKNOWN && ft != ENG_FT_PGP_SIG &&
	    ft != ENG_FT_TEXT)
		return false;
	/* What comes out counts against the message's expanded bytes,
	 * like every read of archive content. */
	eng_side_take(ctx);
	left = lim->expanded_size > ctx->arch_expanded ?
	       lim->expanded_size - ctx->arch_expanded : 0;
	sg_buf_init(&inner, left < SG_BUF_UNLIMITED ? (size_t)left : SG_BUF_UNLIMITED);
	if (ft == ENG_FT_P7S || ft == ENG_FT_UNKNOWN)
		k = eng_crypt_cms(data, len, &inner, &info);
	if (k == ENG_CRYPT_NONE && (ft == ENG_FT_UNKNOWN || ft == ENG_FT_PGP_SIG))
		k = eng_crypt_pgp(data, len, &inner, &info);
	if (k == ENG_CRYPT_NONE && ft == ENG_FT_TEXT) {
		k = eng_crypt_armor(data, len, &inner, &info);
		armour = true;
	}
	if (k == ENG_CRYPT_BROKEN) {
		sg_buf ev;

		sg_buf_init(&ev, 512);
		sg_buf_printf(&ev, "%s: %s", info.what ? info.what : "",
			      info.why ? info.why : "");
		eng_scan_limit(ctx, info.toobig ? "archive-size" : "crypt-unreadable",
			       "署名・暗号の形式 (S/MIME, OpenPGP) を読み取れません",
			       "Signed or encrypted content (S/MIME, OpenPGP) could not be read",
			       ent->where, sg_buf_cstr(&ev));
		sg_buf_free(&ev);
	}
	if (k != ENG_CRYPT_READABLE) {
		sg_buf_free(&inner);
		return false;
	}
	ctx->arch_expanded += inner.len;
	free(ent->note);
	ent->note = sg_xstrdup(info.what ? info.what : "signed");
	if (armour) {
		/* The text around an armoured block is read as it stands,
		 * then what the blocks carry, as the entry. */
		eng_content_text(ctx, ent->where, ent->name, data, len, depth);
		eng_entry_read(ctx, ent, (const unsigned char *)sg_buf_cstr(&inner),
			       inner.len, depth, layer + 1);
	} else if (eng_is_mime_entity((const unsigned char *)sg_buf_cstr(&inner),
				      inner.len)) {
		/* A signed mail saved as a file: its parts, named under the
		 * entry (資料.zip/smime.p7m/名簿.csv). */
		sg_buf prefix;

		sg_buf_init(&prefix, SG_BUF_UNLIMITED);
		sg_buf_printf(&prefix, "%s/", ent->where);
		(void)eng_attach_file(ctx, ent, NULL, 0, depth);
		eng_mime_walk_entity(ctx, (const unsigned char *)sg_buf_cstr(&inner),
				     inner.len, ent->path, sg_buf_cstr(&prefix), depth);
		sg_buf_free(&prefix);
	} else {
		eng_entry_read(ctx, ent, (const unsigned char *)sg_buf_cstr(&inner),
			       inner.len, depth, layer + 1);
	}
	sg_buf_free(&inner);
	return true;
}

static void eng_entry_cb(eng_ctx *ctx, eng_attachment *ent,
			 const unsigned char *data, size_t len, unsigned depth)
{
	/* A marking in an entry name marks the file, as in a mail name;
	 * its text is read as an attachment's is (issue 13, class 5). */
	eng_mark_scan_name(ctx, ent->name, strlen(ent->name), ent->where);
	eng_entry_read(ctx, ent, data, len, depth, 0);
}

static eng_ftype eng_attach_file(eng_ctx *ctx, eng_attachment *node,
				 const unsigned char *data, size_t len,
				 unsigned depth)
{
	eng_ftype ft;

	eng_check_name(ctx, node);
	if (data == NULL)
		return ENG_FT_UNKNOWN;	/* encrypted entry, forwarded message */
	ft = eng_sniff(data, len);
	if (ft != ENG_FT_UNKNOWN || depth > 0)
		eng_set_type(node, eng_ftype_info(ft)->mime);
	eng_check_content(ctx, node, ft);
	eng_check_package(ctx, node, ft);
	if (eng_ftype_info(ft)->flags & ENG_FT_F_ARCHIVE)
		eng_archive_walk(ctx, node, data, len, depth + 1, eng_entry_cb);
	else if (ft == ENG_FT_OLE)
		eng_ole(ctx, node, data, len, depth);
	else if (ft == ENG_FT_ODF)
		node->encrypted = eng_odf_encrypted(data, len);
	else if (ft == ENG_FT_PDF)
		eng_pdf(ctx, node, data, len);
	else if (ft == ENG_FT_P7M || ft == ENG_FT_PGP)
		node->encrypted = true;
	if (ctx->pv)
		eng_pv_file(ctx, node, (int)ft, data, len);
	return ft;
}

void eng_attach_embedded(eng_ctx *ctx, const char *where, const char *name,
			 const unsigned char *data, size_t len, unsigned depth)
{
	eng_attachment tmp;

	memset(&tmp, 0, sizeof(tmp));
	tmp.where = sg_xstrdup(where);
	tmp.path = sg_xstrdup(where);
	tmp.name = sg_xstrdup(name);
	tmp.type = sg_xstrdup("application/octet-stream");
	tmp.declared_type = sg_xstrdup("");
	tmp.disposition = sg_xstrdup("");
	tmp.size = len;
	eng_entry_cb(ctx, &tmp, data, len, depth);
	eng_attachment_free(&tmp);
}

void eng_attach_inspect(eng_ctx *ctx, eng_attachment *att,
			const unsigned char *data, size_t len)
{
	struct eng_attach_state *st = ctx->attach;
	eng_top *t;

	if (st == NULL)
		st = ctx->attach = sg_xcalloc(1, sizeof(*st));
	st->tops = sg_xreallocarray(st->tops, st->ntops + 1, sizeof(*st->tops));
	t = &st->tops[st->ntops++];
	t->idx = (size_t)(att - ctx->res->atts);
	t->ft = eng_attach_file(ctx, att, data, len, 0);
}

/* POLICY.md's exemptions, each only when the content is what the
 * declared type claims: a "logo.png" that is a PE is not exempt. */
static bool eng_exempt(const eng_ctx *ctx, const eng_attachment *a, eng_ftype ft)
{
	const char *dt = a->declared_type;

	if ((eng_ftype_info(ft)->flags & ENG_FT_F_IMAGE) &&
	    eng_cid_referenced(ctx, a->content_id))
		return true;
	/* Gmail sends its invitations as application/ics (invite.ics). */
	if (strcmp(dt, "text/calendar") == 0 || strcmp(dt, "application/ics") == 0)
		return ft == ENG_FT_ICS;
	if (strcmp(dt, "application/pkcs7-signature") == 0 ||
	    strcmp(dt, "application/x-pkcs7-signature") == 0)
		return ft == ENG_FT_P7S;
	if (strcmp(dt, "application/pgp-signature") == 0)
		return ft == ENG_FT_PGP_SIG;
	/* RFC 3156's control part ("Version: 1") of a multipart/encrypted
	 * that the walk read because its content was not encrypted: a few
	 * bytes of text, read for markings like any text. */
	if (strcmp(dt, "application/pgp-encrypted") == 0)
		return ft == ENG_FT_TEXT && a->size <= 64;
	return false;
}

static bool eng_any_encrypted(const eng_attachment *a)
{
	if (a->encrypted)
		return true;
	for (size_t i = 0; i < a->nentries; i++)
		if (eng_any_encrypted(&a->entries[i]))
			return true;
	return false;
}

static void eng_plain_entries(eng_ctx *ctx, const eng_attachment *a)
{
	if (a->encrypted)
		return;
	if (a->nentries == 0) {
		eng_add_finding(ctx->res, ENG_CAT_UNENCRYPTED, "unencrypted-entry",
				"圧縮ファイルの中に暗号化されていないファイルがあります",
				"A file in the archive is not encrypted", a->where, 1,
				a->type, ctx->eng->actions[ENG_CAT_UNENCRYPTED]);
		return;
	}
	for (size_t i = 0; i < a->nentries; i++)
		eng_plain_entries(ctx, &a->entries[i]);
}

static void eng_unencrypted(eng_ctx *ctx, const eng_attachment *a)
{
	if (a->encrypted)
		return;
	if (a->nentries > 0 && eng_any_encrypted(a)) {
		eng_plain_entries(ctx, a);
		return;
	}
	eng_add_finding(ctx->res, ENG_CAT_UNENCRYPTED, "unencrypted-file",
			"暗号化されていない添付ファイル (パスワードなしで開けます)",
			"Attachment is not encrypted (opens without a password)",
			*a->where ? a->where : a->path, 1, a->type,
			ctx->eng->actions[ENG_CAT_UNENCRYPTED]);
}

void eng_attach_finish(eng_ctx *ctx)
{
	struct eng_attach_state *st = ctx->attach;

	if (st == NULL)
		return;
	for (size_t i = 0; i < st->ntops && !ctx->has_attachment; i++)
		ctx->has_attachment = !eng_exempt(ctx, &ctx->res->atts[st->tops[i].idx],
						  st->tops[i].ft);
	if (ctx->inspect && !ctx->all_external_trusted && !ctx->res->encrypted_whole)
		for (size_t i = 0; i < st->ntops; i++) {
			const eng_attachment *a = &ctx->res->atts[st->tops[i].idx];
			if (!eng_exempt(ctx, a, st->tops[i].ft))
				eng_unencrypted(ctx, a);
		}
	free(st->tops);
	free(st);
	ctx->attach = NULL;
}

/* One extension a line: lower-cased, the leading dot optional. */
static int eng_ext_line(eng_engine *eng, char *s, const char *path,
			unsigned lineno, sg_buf *err)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '#' || *s == ';' || *s == '\0')
		return 0;
	if (*s == '.')
		s++;
	for (e = s; *e && !isspace((unsigned char)*e) && *e != '#'; e++)
		*e = (char)tolower((unsigned char)*e);
	*e = '\0';
	if (*s == '\0' || e - s >= ENG_EXT_MAX || strpbrk(s, "./\\") ||
	    eng->ndangerous_ext >= ENG_EXT_LIST_MAX) {
		sg_buf_printf(err, "%s:%u: %s: not a file extension", path, lineno, s);
		return -1;
	}
	eng->dangerous_ext = sg_xreallocarray(eng->dangerous_ext,
					      eng->ndangerous_ext + 1, sizeof(char *));
	eng->dangerous_ext[eng->ndangerous_ext++] = sg_xstrdup(s);
	return 0;
}

int eng_attach_load_extensions(eng_engine *eng, const char *path, sg_buf *err)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	unsigned lineno = 0;
	int rc = 0;

	if (fp == NULL) {
		sg_buf_printf(err, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), fp)) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			sg_buf_printf(err, "%s:%u: line is too long", path, lineno);
			rc = -1;
		} else {
			rc = eng_ext_line(eng, line, path, lineno, err);
		}
	}
	fclose(fp);
	return rc;
}
