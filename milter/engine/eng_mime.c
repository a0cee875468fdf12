/*
 * NAME
 *	eng_mime - parse a message with GMime and walk every part
 * DESCRIPTION
 *	GMime builds the tree; everything that depends on charsets (header
 *	values, file names, text) is decoded by our own modules from the raw
 *	header values, because glibc's iconv (which GMime uses) rejects the
 *	NEC characters that Japanese Windows clients put in ISO-2022-JP.
 *
 *	Each leaf is either message body text (text/plain or text/html that
 *	is not an attachment), handed to cb->text as NFKC UTF-8, or an
 *	attachment per POLICY.md (disposition attachment, a file name, or a
 *	non-text leaf), which goes into the inventory and to cb->attachment
 *	with its decoded content. A forwarded message/rfc822 is an
 *	attachment and is also descended into.
 *
 *	Encryption is decided from the content (eng_crypt): a message is
 *	encrypted as a whole only when its pkcs7-mime body or the second
 *	part of its multipart/encrypted is; otherwise it is walked. A leaf
 *	that is a readable wrapper (opaque-signed or compressed S/MIME,
 *	gpg --sign output, binary or armoured) is walked through its
 *	content instead (eng_unwrap).
 *
 *	Bounds: nesting depth, part count, text size and the scan deadline
 *	(settings under [limits]); GMime's own CRIT warnings (nesting
 *	overflow, conflicting headers, a multipart without boundary...)
 *	mean parts may have been skipped. Each becomes a scan-limit
 *	finding: the message is held, never accepted unread.
 */
#include "engine/eng_int.h"
#include "engine/eng_charset.h"
#include "engine/eng_archive.h"
#include "engine/eng_crypt.h"
#include "engine/eng_hdr.h"
#include "engine/eng_rawhdr.h"
#include "engine/eng_sniff.h"
#include "engine/eng_stream.h"
#include "engine/eng_pages.h"
#include "engine/eng_text.h"
#include "util/sg_b64.h"
#include "util/sg_mem.h"

#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct eng_mime {
	GMimeMessage *msg;
	unsigned char *copy;	/* eng_rawhdr_guard's copy, or NULL */
};

typedef struct eng_leaf {
	sg_buf ctype;		/* "text/plain" */
	sg_buf disp;		/* "attachment", "inline" or "" */
	sg_buf name;		/* decoded file name */
	sg_buf charset;
	sg_buf cid;		/* Content-ID without <> */
	sg_buf smime_type;	/* smime-type parameter */
} eng_leaf;

/*
 * GMime's CRIT warnings mean parts may have been skipped: a scan limit,
 * one finding per kind of warning (a rule id each), not one per byte
 * offset (a broken message gave dozens). A conflicting Date,
 * Message-ID, In-Reply-To or References is no such thing: mailing
 * lists and old clients add a second one, and none changes what is
 * read or where the mail goes. A second From, To, Subject or Content-*
 * still is (which one do the recipient's client and the rules read?).
 */
static void eng_parser_warning(gint64 offset, GMimeParserWarning code,
			       const gchar *item, gpointer data)
{
	eng_ctx *ctx = data;
	const char *rule, *why;
	char ev[128];

	(void)offset;
	switch (code) {
	case GMIME_CRIT_NESTING_OVERFLOW:
		rule = "mime-nesting", why = "MIME nesting overflow";
		break;
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
		rule = "mime-no-boundary", why = "multipart without boundary";
		break;
	case GMIME_CRIT_CONFLICTING_HEADER:
		if (item && (g_ascii_strcasecmp(item, "Date") == 0 ||
			     g_ascii_strcasecmp(item, "Message-Id") == 0 ||
			     g_ascii_strcasecmp(item, "In-Reply-To") == 0 ||
			     g_ascii_strcasecmp(item, "References") == 0))
			return;
		rule = "mime-conflicting-header", why = "conflicting headers";
		break;
	case GMIME_CRIT_CONFLICTING_PARAMETER:
		rule = "mime-conflicting-parameter", why = "conflicting MIME parameters";
		break;
	case GMIME_CRIT_INVALID_HEADER_NAME:
		rule = "mime-invalid-header", why = "invalid header line";
		break;
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
		rule = "mime-empty-part", why = "part without headers or content";
		break;
	default:
		return;		/* recoverable: GMime read everything */
	}
	/* Which header conflicts, when GMime names one (a field name: no
	 * data of the sender's; anything else is left out). */
	if (code == GMIME_CRIT_CONFLICTING_HEADER && item && *item &&
	    strlen(item) <= 64 && strspn(item, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(item)) {
		snprintf(ev, sizeof(ev), "%s: %s", why, item);
		why = ev;
	}
	eng_scan_limit(ctx, rule, "メールの構造が壊れていて一部を検査できません",
		       "Malformed MIME structure: parts may not have been inspected",
		       "message", why);
}

/* The first raw value of header `name` in obj's own header list. */
static const char *eng_raw_header(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	int n = list ? g_mime_header_list_get_count(list) : 0;

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		if (g_ascii_strcasecmp(g_mime_header_get_name(h), name) == 0) {
			const char *v = g_mime_header_get_raw_value(h);
			return v ? v : "";
		}
	}
	return NULL;
}

void eng_hdrs_init(eng_hdrs *h, size_t max)
{
	memset(h, 0, sizeof(*h));
	sg_buf_init(&h->to, max);
	sg_buf_init(&h->cc, max);
	sg_buf_init(&h->bcc, max);
}

void eng_hdrs_free(eng_hdrs *h)
{
	free(h->subject);
	free(h->subject_shown);
	free(h->from_raw);
	sg_buf_free(&h->to);
	sg_buf_free(&h->cc);
	sg_buf_free(&h->bcc);
}

/* Decoded and NFKC-normalised, as the rules match it. */
static char *eng_decode_unstructured(eng_ctx *ctx, const char *raw,
				     const char *hname)
{
	sg_buf dec, norm;

	sg_buf_init(&dec, ctx->eng->lim.header_size);
	sg_buf_init(&norm, ctx->eng->lim.header_size);
	while (*raw == ' ' || *raw == '\t' || *raw == '\r' || *raw == '\n')
		raw++;
	if (eng_hdr_decode(raw, strlen(raw), &dec) < 0 ||
	    eng_text_normalize(sg_buf_cstr(&dec), dec.len, &norm) < 0) {
		char where[64];
		snprintf(where, sizeof(where), "header:%s", hname);
		eng_scan_limit(ctx, "header-size", "ヘッダが長すぎて全部は検査できません",
			       "Header too long to inspect in full", where, "");
	}
	sg_buf_free(&dec);
	while (norm.len && strchr(" \t\n", norm.data[norm.len - 1]))
		sg_buf_truncate(&norm, norm.len - 1);
	return sg_buf_steal(&norm);
}

/* Decoded only: what the recipient's mail client shows (previews). */
static char *eng_decode_shown(eng_ctx *ctx, const char *raw)
{
	sg_buf dec;

	sg_buf_init(&dec, ctx->eng->lim.header_size);
	while (*raw == ' ' || *raw == '\t' || *raw == '\r' || *raw == '\n')
		raw++;
	(void)eng_hdr_decode(raw, strlen(raw), &dec);
	while (dec.len && strchr(" \t\n", dec.data[dec.len - 1]))
		sg_buf_truncate(&dec, dec.len - 1);
	return sg_buf_steal(&dec);
}

static void eng_collect_list(eng_ctx *ctx, sg_buf *b, const char *raw,
			     const char *hname)
{
	if (b->len)
		sg_buf_putc(b, ',');
	if (sg_buf_puts(b, raw) < 0) {
		char where[64];
		snprintf(where, sizeof(where), "header:%s", hname);
		eng_scan_limit(ctx, "header-size", "宛先ヘッダが長すぎて全部は検査できません",
			       "Recipient header too long to inspect in full",
			       where, "");
	}
}

static void eng_read_top_headers(eng_ctx *ctx, GMimeMessage *msg, eng_hdrs *h)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	int n = list ? g_mime_header_list_get_count(list) : 0;

	for (int i = 0; i < n; i++) {
		GMimeHeader *hd = g_mime_header_list_get_header_at(list, i);
		const char *name = g_mime_header_get_name(hd);
		const char *raw = g_mime_header_get_raw_value(hd);

		if (raw == NULL || name == NULL)
			continue;
		if (strlen(raw) > ctx->eng->lim.header_size) {
			char where[128];
			snprintf(where, sizeof(where), "header:%.100s", name);
			eng_scan_limit(ctx, "header-size", "ヘッダが長すぎて全部は検査できません",
				       "Header too long to inspect in full", where, "");
		}
		if (g_ascii_strcasecmp(name, "Subject") == 0 && h->subject == NULL) {
			h->subject = eng_decode_unstructured(ctx, raw, "Subject");
			if (ctx->pv)
				h->subject_shown = eng_decode_shown(ctx, raw);
		}
		else if (g_ascii_strcasecmp(name, "From") == 0 && h->from_raw == NULL)
			h->from_raw = sg_xstrdup(raw);
		else if (g_ascii_strcasecmp(name, "To") == 0)
			eng_collect_list(ctx, &h->to, raw, "To");
		else if (g_ascii_strcasecmp(name, "Cc") == 0)
			eng_collect_list(ctx, &h->cc, raw, "Cc");
		else if (g_ascii_strcasecmp(name, "Bcc") == 0)
			eng_collect_list(ctx, &h->bcc, raw, "Bcc");
	}
}

eng_mime *eng_mime_parse(eng_ctx *ctx, const void *msg, size_t len,
			 eng_hdrs *hdrs)
{
	/* Fields GMime must not parse (too long, too many addresses) are
	 * taken out first; usually nothing is, and GMime reads the
	 * caller's bytes in place: no message-sized copy. */
	size_t clen = 0;
	unsigned char *copy = eng_rawhdr_guard(ctx, msg, len, hdrs, &clen);
	GMimeStream *stream = copy ? eng_stream_new_const(copy, clen)
				   : eng_stream_new_const(msg, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeParserOptions *opts = g_mime_parser_options_new();
	GMimeMessage *m;
	eng_mime *mime;

	g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_warning_callback(opts, eng_parser_warning, ctx);
	m = g_mime_parser_construct_message(parser, opts);
	g_object_unref(parser);
	g_object_unref(stream);
	g_mime_parser_options_free(opts);
	if (m == NULL) {
		eng_scan_limit(ctx, "parse-error", "メールとして読み取れません",
			       "The message could not be parsed", "message", "");
		free(copy);
		return NULL;
	}
	eng_read_top_headers(ctx, m, hdrs);
	mime = sg_xcalloc(1, sizeof(*mime));
	mime->msg = m;
	mime->copy = copy;
	return mime;
}

void eng_mime_free(eng_mime *mime)
{
	if (mime == NULL)
		return;
	g_object_unref(mime->msg);
	free(mime->copy);
	free(mime);
}

static void eng_leaf_init(eng_leaf *l, size_t max)
{
	sg_buf_init(&l->ctype, 256);
	sg_buf_init(&l->disp, 256);
	sg_buf_init(&l->name, max);
	sg_buf_init(&l->charset, 256);
	sg_buf_init(&l->cid, 1024);
	sg_buf_init(&l->smime_type, 256);
}

static void eng_leaf_free(eng_leaf *l)
{
	sg_buf_free(&l->ctype);
	sg_buf_free(&l->disp);
	sg_buf_free(&l->name);
	sg_buf_free(&l->charset);
	sg_buf_free(&l->cid);
	sg_buf_free(&l->smime_type);
}

/* Content-ID: "<logo@x>" -> "logo@x", as HTML refers to it (cid:logo@x). */
static void eng_leaf_cid(GMimeObject *obj, eng_leaf *l)
{
	const char *v = eng_raw_header(obj, "Content-ID");
	const char *e;

	if (v == NULL)
		return;
	while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n' || *v == '<')
		v++;
	for (e = v; *e && *e != '>' && *e != '\r' && *e != '\n'; e++)
		;
	sg_buf_append(&l->cid, v, (size_t)(e - v));
}

static void eng_leaf_read(eng_ctx *ctx, GMimeObject *obj, eng_leaf *l)
{
	const char *ct = eng_raw_header(obj, "Content-Type");
	const char *cd = eng_raw_header(obj, "Content-Disposition");

	if (ct)
		eng_hdr_value_token(ct, strlen(ct), &l->ctype);
	if (l->ctype.len == 0 || strchr(sg_buf_cstr(&l->ctype), '/') == NULL) {
		/* RFC 2045: a missing or invalid type is text/plain. */
		sg_buf_reset(&l->ctype);
		sg_buf_puts(&l->ctype, ct && l->ctype.len ?
			    "application/octet-stream" : "text/plain");
	}
	if (cd)
		eng_hdr_value_token(cd, strlen(cd), &l->disp);
	/* The name as the sender wrote it (①, ㈱ kept): rules match its NFKC
	 * form, people read this one. */
	(void)ctx;
	if (!(cd && eng_hdr_param(cd, strlen(cd), "filename", &l->name)) && ct)
		eng_hdr_param(ct, strlen(ct), "name", &l->name);
	if (ct) {
		eng_hdr_param(ct, strlen(ct), "charset", &l->charset);
		eng_hdr_param(ct, strlen(ct), "smime-type", &l->smime_type);
	}
	eng_leaf_cid(obj, l);
}

/*
 * Body text: text/plain and text/html; and, when their content is text,
 * the other forms of a message's own words: text/enriched and
 * text/richtext (an alternative to the plain part), and the parts of a
 * report (RFC 6522: a bounce's delivery status and the returned
 * headers, RFC 3798 receipts, RFC 5965 feedback). These are read for
 * markings and personal data like the body (a returned Subject is
 * there), and are no attachment (issue 13: every bounce was held for
 * them). A name or "attachment" disposition still makes an attachment.
 */
static bool eng_is_body_type(const char *ctype, const unsigned char *d, size_t n)
{
	static const char *const texty[] = {
		"text/enriched", "text/richtext", "text/rfc822-headers",
		"message/delivery-status", "message/global-delivery-status",
		"message/disposition-notification",
		"message/global-disposition-notification",
		"message/global-headers", "message/feedback-report",
	};

	if (strcmp(ctype, "text/plain") == 0 || strcmp(ctype, "text/html") == 0)
		return true;
	for (size_t i = 0; i < sizeof(texty) / sizeof(texty[0]); i++)
		if (strcmp(ctype, texty[i]) == 0)
			return n == 0 || eng_sniff(d, n) == ENG_FT_TEXT;
	return false;
}

/* GMime's base64 decoder skips what it cannot read; a part whose
 * encoded text is cut short or has foreign characters was not read in
 * full, which the policy calls a scan limit, with what was wrong (and
 * where, as an offset into the encoded text) as its evidence. Only a
 * missing '=' padding is no damage: the two or three characters of the
 * last group still carry one or two whole bytes, which GMime's decoder
 * keeps back waiting for the rest of the group; they are decoded here
 * (tail) and appended (issue 13: unpadded base64 is what some mailers
 * write). Nor is text after the last whole, padded group that is not
 * base64 at all: a mailing list's footer that Mailman appends to a
 * base64 part (SpamAssassin's cjk/big5-base64.1). The base64 before it
 * decodes in full; the footer is what every reader of the mail sees as
 * text, so it is read as text (trailer), not decoded into garbage.
 * Prose after a blank line that starts with a base64 letter is such a
 * trailer as soon as a byte no base64 has follows; and a lone last
 * character (six bits, no byte) loses nothing. */
typedef struct eng_b64_check {
	char why[128];		/* "" when the part decodes fully */
	unsigned char tail[2];	/* bytes of an unpadded last group */
	size_t ntail;
	bool has_trailer;	/* text after the padded base64 */
	size_t trailer_off;	/* where it starts in the encoded text */
	GByteArray *trailer;	/* eng_leaf_content: its bytes, or NULL */
} eng_b64_check;

/* The check's state between pieces of the encoded text: the part is
 * read in pieces (a stream's chunks, or steps of the mapped bytes). */
typedef struct eng_b64_scan {
	size_t nalpha, npad, off, after, nls, cand;
	bool foreign_after;
	int last[3];
} eng_b64_scan;

static void eng_b64_scan_init(eng_b64_scan *s, eng_b64_check *chk)
{
	memset(s, 0, sizeof(*s));
	chk->why[0] = '\0';
	chk->ntail = 0;
	chk->has_trailer = false;
	chk->trailer_off = 0;
}

/* One piece, in order; does nothing once chk->why says the part is
 * damaged (the rest of it tells no more). */
static void eng_b64_scan_feed(eng_b64_scan *s, eng_b64_check *chk,
			      const unsigned char *chunk, size_t n)
{
	for (size_t i = 0; i < n && !chk->why[0]; i++, s->off++) {
		unsigned char c = chunk[i];
		int v = sg_b64val(c);

		/* After whole padded groups: a trailer when anything
		 * in it is no base64 (one pass, to the end). */
		if (s->after > 0) {
			s->foreign_after |= v < 0 && c != '=' && !g_ascii_isspace(c);
			continue;
		}
		/* The bulk of a part (issue 21: this loop was a fifth
		 * of the milter's time on a 10 MB mail): a letter
		 * before any '=' and not after a blank line (nls < 2)
		 * can end nothing, start no trailer and find no
		 * damage below; it only counts and is remembered.
		 * So is the run of letters after it: one tight loop
		 * that only finds where the run ends; the last
		 * letters of the run (up to four: one of each place
		 * in a group) are remembered after it. */
		if (v >= 0 && s->npad == 0 && s->nls < 2) {
			size_t j = i + 1, k, run;

			/* Eight at a time: a letter's value is 0-63 and
			 * anything else's -1, so the OR of eight is negative
			 * exactly when one of them is no letter; that group
			 * is then walked one by one. */
			while (n - j >= 8 &&
			       (sg_b64_tab[chunk[j]] | sg_b64_tab[chunk[j + 1]] |
				sg_b64_tab[chunk[j + 2]] | sg_b64_tab[chunk[j + 3]] |
				sg_b64_tab[chunk[j + 4]] | sg_b64_tab[chunk[j + 5]] |
				sg_b64_tab[chunk[j + 6]] | sg_b64_tab[chunk[j + 7]]) >= 0)
				j += 8;
			while (j < n && sg_b64val(chunk[j]) >= 0)
				j++;
			run = j - i;
			for (k = run > 4 ? j - 4 : i; k < j; k++) {
				size_t pos = (s->nalpha + (k - i)) % 4;

				if (pos < 3)
					s->last[pos] = sg_b64val(chunk[k]);
			}
			s->nalpha += run;
			s->nls = 0;
			/* the loop's own i++, off++ step over the last one */
			s->off += run - 1;
			i = j - 1;
			continue;
		}
		/* The end of the base64: whole groups, then '=' padding
		 * or a blank line, then something (unpadded: a byte no
		 * base64 has). */
		if (s->nalpha > 0 && (s->nalpha + s->npad) % 4 == 0 && c != '=' &&
		    !g_ascii_isspace(c) && (s->npad > 0 || (s->nls >= 2 && v < 0))) {
			s->after = s->off + 1;
			s->foreign_after = v < 0;
			continue;
		}
		/* Prose after a blank line may start with a letter
		 * that base64 has ("The digitizer does...",
		 * SpamAssassin's nice/mime4): remember where, and
		 * call it a trailer if something no base64 has
		 * follows (below). */
		if (s->cand == 0 && s->nalpha > 0 && s->nalpha % 4 == 0 && s->npad == 0 &&
		    s->nls >= 2 && v >= 0)
			s->cand = s->off + 1;
		if (c == '\n')
			s->nls++;
		else if (!g_ascii_isspace(c))
			s->nls = 0;
		if (v >= 0) {
			if (s->npad > 0)
				snprintf(chk->why, sizeof(chk->why),
					 "base64: data after '=' padding at byte %zu", s->off);
			if (s->nalpha % 4 < 3)
				s->last[s->nalpha % 4] = v;
			s->nalpha++;
		} else if (c == '=') {
			s->npad++;
		} else if (!g_ascii_isspace(c)) {
			snprintf(chk->why, sizeof(chk->why),
				 "base64: byte 0x%02X outside the alphabet at byte %zu",
				 c, s->off);
		}
		if (chk->why[0] && s->cand > 0) {
			/* From the candidate on it is a trailer: read
			 * as text and as joined base64 (the caller), the
			 * base64 before it whole groups. The rest is
			 * still scanned for a foreign byte. */
			chk->why[0] = '\0';
			s->after = s->cand;
			s->foreign_after = v < 0 && c != '=';
		}
	}
}

/* After the last piece: what the whole part was. */
static void eng_b64_scan_finish(eng_b64_scan *s, eng_b64_check *chk)
{
	if (chk->why[0])
		return;
	if (s->after > 0 && s->foreign_after) {
		chk->has_trailer = true;
		chk->trailer_off = s->after - 1;
		return;
	}
	if (s->after > 0) {
		snprintf(chk->why, sizeof(chk->why),
			 "base64: data after '=' padding at byte %zu", s->after - 1);
		return;
	}
	if (s->npad > 2)
		snprintf(chk->why, sizeof(chk->why), "base64: %zu '=' of padding", s->npad);
	else if (s->nalpha % 4 == 1 && s->npad > 0)
		snprintf(chk->why, sizeof(chk->why),
			 "base64: cut short, a lone character after %zu bytes", s->nalpha / 4 * 3);
	/* A lone last character without padding carries six bits, no whole
	 * byte: every byte was decoded, nothing is unread (rspamd's
	 * fname.eml, "yCvOy"). */
	else if (s->nalpha % 4 == 1)
		;
	else if (s->npad > 0 && (s->nalpha + s->npad) % 4 != 0)
		snprintf(chk->why, sizeof(chk->why),
			 "base64: %zu characters and %zu '=' do not make whole groups",
			 s->nalpha, s->npad);
	else if (s->npad == 0 && s->nalpha % 4 >= 2) {
		/* 2 characters: 1 byte; 3 characters: 2 bytes */
		chk->tail[0] = (unsigned char)((s->last[0] << 2) | (s->last[1] >> 4));
		chk->tail[1] = (unsigned char)(((s->last[1] & 0xF) << 4) | (s->last[2] >> 2));
		chk->ntail = s->nalpha % 4 - 1;
	}
}

/* The check over a part read through its stream (a part whose bytes
 * are not the engine's own view of the message). */
static void eng_base64_check(GMimeDataWrapper *w, eng_b64_check *chk)
{
	GMimeStream *raw = g_mime_data_wrapper_get_stream(w);
	unsigned char chunk[8192];
	eng_b64_scan s;
	ssize_t n;

	eng_b64_scan_init(&s, chk);
	if (raw == NULL)
		return;
	g_mime_stream_reset(raw);
	while (!chk->why[0] && (n = g_mime_stream_read(raw, (char *)chunk, sizeof(chunk))) > 0)
		eng_b64_scan_feed(&s, chk, chunk, (size_t)n);
	g_mime_stream_reset(raw);
	eng_b64_scan_finish(&s, chk);
}

/* A base64 part with a trailer: the encoded text before it decoded
 * into mem, the trailer's bytes as they are into chk->trailer. */
static void eng_base64_split(GMimeDataWrapper *w, eng_b64_check *chk,
			     GMimeStream *mem)
{
	GMimeStream *raw = g_mime_data_wrapper_get_stream(w);
	GByteArray *enc = g_byte_array_new();
	char chunk[8192];
	ssize_t n;

	g_mime_stream_reset(raw);
	while ((n = g_mime_stream_read(raw, chunk, sizeof(chunk))) > 0)
		g_byte_array_append(enc, (const guint8 *)chunk, (guint)n);
	g_mime_stream_reset(raw);
	if (chk->trailer_off <= enc->len) {
		guchar *out = g_malloc(chk->trailer_off / 4 * 3 + 3);
		gint state = 0;
		guint save = 0;
		gsize dec = g_base64_decode_step((const gchar *)enc->data,
						 chk->trailer_off, out, &state, &save);

		g_mime_stream_write(mem, (const char *)out, dec);
		g_free(out);
		chk->trailer = g_byte_array_new();
		g_byte_array_append(chk->trailer, enc->data + chk->trailer_off,
				    (guint)(enc->len - chk->trailer_off));
	}
	g_byte_array_free(enc, TRUE);
}

/*
 * Decoded content of a leaf. A large one (ENG_MAP_MIN and up, by its
 * encoded size) is decoded into an unlinked temporary file ($TMPDIR,
 * else /tmp: under the milter's unit a private one) and mapped, so that
 * only the pages a reader touches are resident: an encrypted 10 MB PDF
 * is judged from its trailer and encryption dictionary, and 20 of them
 * at once cost the milter 20 x 16 MB of anonymous memory when decoded
 * into a growing GByteArray (issue 21). The mapping is private and
 * writable, like the array it replaces. Any failure falls back to
 * memory.
 */
#define ENG_MAP_MIN (1024 * 1024)

typedef struct eng_content {
	const unsigned char *data;
	size_t len;
	GByteArray *arr;	/* in memory, or NULL */
	void *map;		/* mapped, or NULL */
	int fd;			/* the mapped file (eng_pages_view), or -1 */
} eng_content;

static int eng_tmp_fd(void)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (dir == NULL || *dir != '/')
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	return fd;
}

/* The encoded size of a leaf as its stream knows it, or -1. */
static gint64 eng_leaf_raw_size(GMimeDataWrapper *w)
{
	GMimeStream *raw = w ? g_mime_data_wrapper_get_stream(w) : NULL;

	return raw ? g_mime_stream_length(raw) : -1;
}

/* Empties out (a memory or file stream) for a second go. */
static bool eng_out_truncate(GMimeStream *out)
{
	if (GMIME_IS_STREAM_MEM(out))
		g_byte_array_set_size(g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out)), 0);
	else if (!GMIME_IS_STREAM_FS(out) || ftruncate(GMIME_STREAM_FS(out)->fd, 0) < 0)
		return false;
	return g_mime_stream_reset(out) == 0;
}

/*
 * GMime's base64 decoder, faster on the bulk of a part (issue 21: it
 * was a fifth of the milter's time on a 10 MB attachment, one byte and
 * one branch at a time). A piece without '=', entered with no padding
 * pending, is decoded here: GMime skips every byte outside the
 * alphabet (white space, garbage) and turns each four letters into
 * three bytes, which is all there is to do, four letters at a time
 * where the line allows. Anything with '=' goes to GMime itself, whose
 * handling of padding (counted across steps, dropped at a step's end)
 * is kept exactly. The state is GMime's: the low byte the letters of
 * an unfinished group, the next byte the padding pending, save their
 * bits (only the low 6 bits a letter count). test_attach's differential
 * test holds the output to GMime's over random input and steps.
 */
size_t eng_b64_decode_step(const unsigned char *in, size_t n, unsigned char *out,
			   int *state, uint32_t *save)
{
	unsigned char *o = out;
	uint32_t saved = *save;
	int k = *state & 0xff;
	size_t i = 0;

	if ((*state >> 8 & 0xff) != 0 || k > 3 || memchr(in, '=', n) != NULL)
		return g_mime_encoding_base64_decode_step(in, n, out, state, save);
	while (i < n) {
		int v;

		/* whole groups while none is open: a 76-letter line is 19 */
		while (k == 0 && n - i >= 4) {
			int a = sg_b64_tab[in[i]], b = sg_b64_tab[in[i + 1]],
			    c = sg_b64_tab[in[i + 2]], d = sg_b64_tab[in[i + 3]];
			uint32_t g;

			if ((a | b | c | d) < 0)
				break;
			g = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
			o[0] = (unsigned char)(g >> 16);
			o[1] = (unsigned char)(g >> 8);
			o[2] = (unsigned char)g;
			o += 3;
			i += 4;
		}
		if (i >= n)
			break;
		if ((v = sg_b64_tab[in[i++]]) < 0)
			continue;
		saved = saved << 6 | (uint32_t)v;
		if (++k == 4) {
			o[0] = (unsigned char)(saved >> 16);
			o[1] = (unsigned char)(saved >> 8);
			o[2] = (unsigned char)saved;
			o += 3;
			k = 0;
		}
	}
	*state = k;
	*save = k ? saved : 0;
	return (size_t)(o - out);
}

/* Encoded bytes taken at a time by the one-pass decoder below: its
 * output (at most as many bytes) is one write. */
#define ENG_B64_STEP (256 * 1024)

/*
 * A base64 part whose encoded bytes are the engine's view of the
 * message (eng_stream_bytes): the damage check and the decoding in one
 * pass over those bytes, step by step, without copying them out
 * through the stream and GMime's filter in 4 KB pieces, each a write
 * and a seek on the decoded part's file (issue 21: about a quarter of
 * the milter's time on a 10 MB attachment). The decoder is GMime's
 * own (g_mime_encoding_base64_decode_step, which its filter runs), so
 * the bytes decoded are the same; when the check ends in a trailer the
 * output is emptied and the part split as before. -1 when the bytes
 * are not at hand (decode the stream way), 0 when done, 1 when a write
 * to out failed.
 */
static int eng_leaf_decode_direct(GMimeDataWrapper *w, eng_b64_check *damaged,
				  GMimeStream *out)
{
	GMimeStream *raw = g_mime_data_wrapper_get_stream(w);
	const unsigned char *p;
	size_t n, at, given = 0;
	unsigned char *buf, *in;
	eng_b64_scan s;
	int state = 0, rc = 0;
	uint32_t save = 0;

	if (raw == NULL || !eng_stream_bytes(raw, &p, &n))
		return -1;
	buf = g_malloc(ENG_B64_STEP + 4);
	in = g_malloc(ENG_B64_STEP);
	eng_b64_scan_init(&s, damaged);
	for (at = 0; at < n && rc == 0; at += ENG_B64_STEP) {
		size_t k = n - at < ENG_B64_STEP ? n - at : ENG_B64_STEP, dec;
		/* read through the spool file, not mapped in (eng_pages.h) */
		const unsigned char *v = eng_pages_view(p + at, k, in);

		eng_b64_scan_feed(&s, damaged, v, k);
		dec = eng_b64_decode_step(v, k, buf, &state, &save);
		if (dec > 0 && g_mime_stream_write(out, (const char *)buf, dec) != (ssize_t)dec)
			rc = 1;
		/* what is passed goes back to the page cache (eng_pages.h) */
		if (at + k - given >= ENG_PAGES_STEP) {
			eng_pages_done(p + given, at + k - given);
			given = at + k;
		}
	}
	g_free(buf);
	g_free(in);
	eng_b64_scan_finish(&s, damaged);
	if (rc == 0 && damaged->has_trailer) {
		if (!eng_out_truncate(out))
			return 1;
		eng_base64_split(w, damaged, out);
	}
	return rc;
}

/* Decode into out; damaged gets what was wrong with its base64 ("" when
 * nothing). False when a write to out failed. */
static bool eng_leaf_decode(GMimeDataWrapper *w, eng_b64_check *damaged,
			    GMimeStream *out)
{
	int rc = -1;

	damaged->why[0] = '\0';
	damaged->ntail = 0;
	damaged->has_trailer = false;
	damaged->trailer = NULL;
	if (w == NULL)
		return true;
	if (g_mime_data_wrapper_get_encoding(w) == GMIME_CONTENT_ENCODING_BASE64 &&
	    (rc = eng_leaf_decode_direct(w, damaged, out)) < 0)
		eng_base64_check(w, damaged);
	if (rc > 0)
		return false;
	if (rc == 0)
		;	/* decoded above */
	else if (damaged->has_trailer)
		eng_base64_split(w, damaged, out);
	else
		g_mime_data_wrapper_write_to_stream(w, out);
	if (damaged->ntail &&
	    g_mime_stream_write(out, (const char *)damaged->tail, damaged->ntail) != (ssize_t)damaged->ntail)
		return false;
	return true;
}

/* The mapped way: true when c holds the content. */
static bool eng_leaf_map(GMimeDataWrapper *w, eng_b64_check *damaged, eng_content *c)
{
	int fd = eng_tmp_fd();
	GMimeStream *fs;
	struct stat st;
	bool ok;

	if (fd < 0)
		return false;
	fs = g_mime_stream_fs_new(fd);
	g_mime_stream_fs_set_owner(GMIME_STREAM_FS(fs), FALSE);
	ok = eng_leaf_decode(w, damaged, fs);
	ok = ok && g_mime_stream_flush(fs) == 0 && fstat(fd, &st) == 0;
	g_object_unref(fs);
	if (ok && st.st_size > 0) {
		c->map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE, fd, 0);
		ok = c->map != MAP_FAILED;
		if (ok) {
			c->data = c->map;
			c->len = (size_t)st.st_size;
			/* Readers get it as const bytes: what they have
			 * passed may go back to the page cache, and their
			 * sequential passes read it through fd. */
			c->fd = fd;
			eng_pages_add(c->map, c->len, fd);
		} else {
			c->map = NULL;
		}
	}
	if (c->fd != fd)
		close(fd);
	if (!ok && damaged->trailer) {
		g_byte_array_free(damaged->trailer, TRUE);
		damaged->trailer = NULL;
	}
	return ok;
}

static void eng_leaf_content(GMimeObject *obj, eng_b64_check *damaged, eng_content *c)
{
	GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(obj));
	GMimeStream *mem;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->data = (const unsigned char *)"";
	if (eng_leaf_raw_size(w) >= ENG_MAP_MIN && eng_leaf_map(w, damaged, c))
		return;
	mem = g_mime_stream_mem_new();
	(void)eng_leaf_decode(w, damaged, mem);	/* memory: no write fails */
	/* GMime empties an owned array on unref, whatever its refcount. */
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	c->arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_object_unref(mem);
	c->data = c->arr->data ? c->arr->data : (const unsigned char *)"";
	c->len = c->arr->len;
}

static void eng_content_free(eng_content *c)
{
	if (c->map) {
		eng_pages_remove(c->map);
		munmap(c->map, c->len);
	}
	if (c->fd >= 0)
		close(c->fd);
	if (c->arr)
		g_byte_array_free(c->arr, TRUE);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Inline images referenced by cid: from an HTML body (signature logos)
 * are exempt from the unencrypted-attachment rule; remember which. */
static void eng_collect_cids(eng_ctx *ctx, const char *html, size_t len)
{
	const char *p = html, *end = html + len;

	while (p < end && ctx->ncid_refs < ENG_MAX_CID_REFS) {
		const char *hit = memmem(p, (size_t)(end - p), "cid:", 4), *e;
		char *ref;

		if (hit == NULL)
			break;
		hit += 4;
		for (e = hit; e < end && !strchr("\"' <>)\t\r\n", *e); e++)
			;
		if (e > hit) {
			ref = g_uri_unescape_segment(hit, e, NULL);
			ctx->cid_refs = sg_xreallocarray(ctx->cid_refs, ctx->ncid_refs + 1,
							 sizeof(char *));
			ctx->cid_refs[ctx->ncid_refs++] = sg_xstrdup(ref ? ref : "");
			g_free(ref);
		}
		p = e;
	}
}

bool eng_cid_referenced(const eng_ctx *ctx, const char *content_id)
{
	if (content_id == NULL || *content_id == '\0')
		return false;
	for (size_t i = 0; i < ctx->ncid_refs; i++)
		if (strcasecmp(ctx->cid_refs[i], content_id) == 0)
			return true;
	return false;
}

static void eng_emit_text_how(eng_ctx *ctx, const eng_walk_cb *cb, const char *where,
			      const eng_leaf *l, const unsigned char *d, size_t n,
			      bool count);

static void eng_emit_text(eng_ctx *ctx, const eng_walk_cb *cb, const char *where,
			  const eng_leaf *l, const unsigned char *d, size_t n)
{
	eng_emit_text_how(ctx, cb, where, l, d, n, true);
}

/* count: whether what does not decode is counted (max_undecodable). */
static void eng_emit_text_how(eng_ctx *ctx, const eng_walk_cb *cb, const char *where,
			      const eng_leaf *l, const unsigned char *d, size_t n,
			      bool count)
{
	size_t max = ctx->eng->lim.text_size, replaced = 0;
	const char *cs = l->charset.len ? sg_buf_cstr(&l->charset) : NULL;
	sg_buf utf8, text, norm;
	bool toobig;

	sg_buf_init(&utf8, max);
	sg_buf_init(&text, max);
	sg_buf_init(&norm, max);
	toobig = eng_cs_decode(cs, d, n, &utf8, &replaced) == ENG_CS_TOOBIG;
	if (count)
		eng_undecodable(ctx, where, cs, replaced, n);
	if (strcmp(sg_buf_cstr(&l->ctype), "text/html") == 0) {
		eng_collect_cids(ctx, sg_buf_cstr(&utf8), utf8.len);
		toobig |= eng_html_to_text(sg_buf_cstr(&utf8), utf8.len, &text) < 0;
		toobig |= eng_text_normalize(sg_buf_cstr(&text), text.len, &norm) < 0;
	} else if (strcmp(sg_buf_cstr(&l->ctype), "text/rfc822-headers") == 0 ||
		   strcmp(sg_buf_cstr(&l->ctype), "message/global-headers") == 0) {
		/* A bounce's returned headers: the Subject is in encoded
		 * words, decoded as a header is (one line; markings only
		 * need the words). */
		toobig |= eng_hdr_decode(sg_buf_cstr(&utf8), utf8.len, &text) < 0;
		toobig |= eng_text_normalize(sg_buf_cstr(&text), text.len, &norm) < 0;
	} else {
		toobig |= eng_text_normalize(sg_buf_cstr(&utf8), utf8.len, &norm) < 0;
	}
	if (ctx->pv) {
		bool html = strcmp(sg_buf_cstr(&l->ctype), "text/html") == 0;
		const sg_buf *shown = html ? &text : &utf8;
		eng_pv_text(ctx, where, sg_buf_cstr(shown), shown->len, html);
	}
	if (toobig)
		eng_scan_limit(ctx, "text-size", "本文が大きすぎて全部は検査できません",
			       "Text too large to inspect in full", where, "");
	if (cb->text)
		cb->text(ctx, where, sg_buf_cstr(&norm), norm.len);
	sg_buf_free(&utf8);
	sg_buf_free(&text);
	sg_buf_free(&norm);
}

static char *eng_join(const char *prefix, const char *name)
{
	sg_buf b;

	sg_buf_init(&b, SG_BUF_UNLIMITED);
	sg_buf_printf(&b, "%s%s", prefix, name);
	return sg_buf_steal(&b);
}

static eng_attachment *eng_inventory(eng_ctx *ctx, const char *path,
				     const char *prefix, const eng_leaf *l,
				     unsigned long long size)
{
	eng_attachment *a = eng_add_attachment(ctx->res);

	if (a == NULL) {
		eng_scan_limit(ctx, "mime-parts", "添付ファイルが多すぎます",
			       "Too many attachments", "message", "");
		return NULL;
	}
	a->path = sg_xstrdup(path);
	a->name = sg_xstrdup(sg_buf_cstr(&l->name));
	a->where = eng_join(prefix, l->name.len ? sg_buf_cstr(&l->name) : path);
	a->declared_type = sg_xstrdup(sg_buf_cstr(&l->ctype));
	a->charset = l->charset.len ? sg_xstrdup(sg_buf_cstr(&l->charset)) : NULL;
	a->type = sg_xstrdup(sg_buf_cstr(&l->ctype));
	a->size = size;
	a->disposition = sg_xstrdup(sg_buf_cstr(&l->disp));
	a->content_id = l->cid.len ? sg_xstrdup(sg_buf_cstr(&l->cid)) : NULL;
	return a;
}

static void eng_walk_obj(eng_ctx *ctx, GMimeObject *obj, const char *path,
			 const char *prefix, unsigned depth, const eng_walk_cb *cb);

static void eng_bad_encoding(eng_ctx *ctx, const char *where, const char *why)
{
	eng_scan_limit(ctx, "bad-encoding",
		       "符号化 (base64) が壊れていて一部を読めません",
		       "Damaged base64 encoding: part of the content could not be read",
		       where, why);
}

static bool eng_unwrap(eng_ctx *ctx, eng_leaf *l, const unsigned char *d,
		       size_t n, bool attachment, const char *path,
		       const char *prefix, unsigned depth, const eng_walk_cb *cb);

/* One leaf's decoded content d[0..n): body text, or an attachment. */
static void eng_walk_data(eng_ctx *ctx, eng_leaf *l, const unsigned char *d,
			  size_t n, const char *damaged, const char *path,
			  const char *prefix, unsigned depth, const eng_walk_cb *cb)
{
	bool attachment = strcmp(sg_buf_cstr(&l->disp), "attachment") == 0 ||
			  l->name.len > 0 || !eng_is_body_type(sg_buf_cstr(&l->ctype), d, n);

	if (eng_unwrap(ctx, l, d, n, attachment, path, prefix, depth, cb))
		return;
	if (!attachment) {
		char *where = eng_join(prefix, "body");
		if (damaged && *damaged)
			eng_bad_encoding(ctx, where, damaged);
		eng_emit_text(ctx, cb, where, l, d, n);
		free(where);
	} else {
		eng_attachment *a = eng_inventory(ctx, path, prefix, l, n);
		if (a && damaged && *damaged)
			eng_bad_encoding(ctx, a->where, damaged);
		if (a && cb->attachment)
			cb->attachment(ctx, a, d, n);
	}
}

static void eng_walk_leaf(eng_ctx *ctx, GMimeObject *obj, const char *path,
			  const char *prefix, unsigned depth, const eng_walk_cb *cb)
{
	eng_leaf l;
	eng_content data;
	eng_b64_check damaged;

	eng_leaf_init(&l, ctx->eng->lim.header_size);
	eng_leaf_read(ctx, obj, &l);
	eng_leaf_content(obj, &damaged, &data);
	eng_walk_data(ctx, &l, data.data, data.len, damaged.why, path, prefix,
		      depth, cb);
	if (damaged.trailer) {
		/* Text after the base64 (a list footer): every reader sees
		 * it, so it is read, as the part's text. */
		char *where = eng_join(prefix, l.name.len ? sg_buf_cstr(&l.name) : "body");

		sg_buf_reset(&l.ctype);
		sg_buf_puts(&l.ctype, "text/plain");
		eng_emit_text(ctx, cb, where, &l, damaged.trailer->data,
			      damaged.trailer->len);
		/* A decoder that reads on after the padding would also
		 * decode the trailer's base64 characters (runs cut by dots
		 * or underscores join up): that reading is looked at too. A
		 * footer comes out as noise, which is not counted as
		 * undecodable: the footer itself was read as text. */
		{
			guchar *dec = g_malloc(damaged.trailer->len / 4 * 3 + 3);
			gint state = 0;
			guint save = 0;
			gsize dn = g_base64_decode_step((const gchar *)damaged.trailer->data,
							damaged.trailer->len, dec, &state, &save);

			eng_emit_text_how(ctx, cb, where, &l, dec, dn, false);
			g_free(dec);
		}
		free(where);
		g_byte_array_free(damaged.trailer, TRUE);
	}
	eng_content_free(&data);
	eng_leaf_free(&l);
}

/* A header of a forwarded message that people read, handed to the
 * detectors as <where>/header:NAME (Subject: eng_mark.c then treats
 * its start like the outer Subject's). obj NULL: nothing to read. */
static void eng_walk_header(eng_ctx *ctx, const eng_walk_cb *cb, const char *where,
			    GMimeObject *obj, const char *name)
{
	const char *raw = obj ? eng_raw_header(obj, name) : NULL;
	char *dec;
	sg_buf w;

	if (raw == NULL)
		return;
	dec = eng_decode_unstructured(ctx, raw, name);
	if (dec && *dec) {
		sg_buf_init(&w, SG_BUF_UNLIMITED);
		sg_buf_printf(&w, "%s/header:%s", where, name);
		cb->header(ctx, sg_buf_cstr(&w), dec, strlen(dec));
		sg_buf_free(&w);
	}
	free(dec);
}

/* A forwarded message: an attachment of its own, then its parts. */
static void eng_walk_message_part(eng_ctx *ctx, GMimeObject *obj,
				  const char *path, const char *prefix,
				  unsigned depth, const eng_walk_cb *cb)
{
	GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
	GMimeStream *null = g_mime_stream_null_new();
	eng_leaf l;
	eng_attachment *a;
	long long size = 0;

	eng_leaf_init(&l, ctx->eng->lim.header_size);
	eng_leaf_read(ctx, obj, &l);
	if (l.name.len == 0) {
		const char *subj = inner ? eng_raw_header(GMIME_OBJECT(inner), "Subject") : NULL;
		char *dec = subj ? eng_decode_unstructured(ctx, subj, "Subject") : NULL;
		sg_buf_printf(&l.name, "%s.eml", dec && *dec ? dec : "forwarded");
		free(dec);
	}
	if (inner)
		size = g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, null);
	g_object_unref(null);
	a = eng_inventory(ctx, path, prefix, &l, size > 0 ? (unsigned long long)size : 0);
	if (a && cb->attachment)
		cb->attachment(ctx, a, NULL, 0);
	if (a && cb->header) {
		eng_walk_header(ctx, cb, a->where, inner ? GMIME_OBJECT(inner) : NULL, "Subject");
		eng_walk_header(ctx, cb, a->where, inner ? GMIME_OBJECT(inner) : NULL,
				"Content-Description");
		eng_walk_header(ctx, cb, a->where, obj, "Content-Description");
	}
	if (inner && a) {
		GMimeObject *root = g_mime_message_get_mime_part(inner);
		char *sub = eng_join(a->where, "/");
		sg_buf p;

		sg_buf_init(&p, SG_BUF_UNLIMITED);
		sg_buf_printf(&p, "%s.", path);
		if (root && GMIME_IS_MULTIPART(root))
			eng_walk_obj(ctx, root, sg_buf_cstr(&p), sub, depth + 1, cb);
		else if (root) {
			sg_buf_putc(&p, '1');
			eng_walk_obj(ctx, root, sg_buf_cstr(&p), sub, depth + 1, cb);
		}
		sg_buf_free(&p);
		free(sub);
	}
	eng_leaf_free(&l);
}

/* `path` of a multipart is the prefix of its children's paths: "" for
 * the top level (children "1", "2"), "2." below part 2. */
static void eng_walk_multipart(eng_ctx *ctx, GMimeMultipart *mp, const char *path,
			       const char *prefix, unsigned depth,
			       const eng_walk_cb *cb)
{
	int n = g_mime_multipart_get_count(mp);
	sg_buf p;

	sg_buf_init(&p, SG_BUF_UNLIMITED);
	for (int i = 0; i < n && !ctx->timed_out; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);

		sg_buf_reset(&p);
		sg_buf_printf(&p, "%s%d", path, i + 1);
		if (GMIME_IS_MULTIPART(child))
			sg_buf_putc(&p, '.');
		eng_walk_obj(ctx, child, sg_buf_cstr(&p), prefix, depth + 1, cb);
		if (ctx->nparts > ctx->eng->lim.parts)
			break;
	}
	sg_buf_free(&p);
}

static void eng_walk_obj(eng_ctx *ctx, GMimeObject *obj, const char *path,
			 const char *prefix, unsigned depth, const eng_walk_cb *cb)
{
	if (eng_deadline_passed(ctx))
		return;
	if (++ctx->nparts > ctx->eng->lim.parts) {
		eng_scan_limit(ctx, "mime-parts", "MIME パートが多すぎて全部は検査できません",
			       "Too many MIME parts to inspect", "message", "");
		return;
	}
	if (depth > ctx->eng->lim.mime_depth) {
		eng_scan_limit(ctx, "mime-depth", "MIME の入れ子が深すぎて検査できません",
			       "MIME nesting too deep to inspect", *path ? path : "message", "");
		return;
	}
	if (GMIME_IS_MULTIPART(obj))
		eng_walk_multipart(ctx, GMIME_MULTIPART(obj), path, prefix, depth, cb);
	else if (GMIME_IS_MESSAGE_PART(obj))
		eng_walk_message_part(ctx, obj, path, prefix, depth, cb);
	else if (GMIME_IS_PART(obj))
		eng_walk_leaf(ctx, obj, path, prefix, depth, cb);
}

/* ---- signed and compressed wrappers (eng_crypt) ----------------------
 * Opaque-signed S/MIME (SignedData), RFC 3274 compressed data and
 * gpg --sign output are readable by anyone: their content is walked in
 * place of the wrapper, bounded like the rest of the message (depth,
 * parts, deadline; the bytes taken out count against max_expanded_size
 * with those of archives). */

/* S/MIME's encapsulated content is a MIME entity; what a signed file
 * ("report.pdf.p7m", gpg --sign) carries is the file itself. */
bool eng_is_mime_entity(const unsigned char *d, size_t n)
{
	static const char *const starts[] = { "Content-", "MIME-Version:" };

	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		size_t k = strlen(starts[i]);
		if (n >= k && g_ascii_strncasecmp((const char *)d, starts[i], k) == 0)
			return true;
	}
	return false;
}

static void eng_walk_entity(eng_ctx *ctx, const unsigned char *d, size_t n,
			    const char *path, const char *prefix, unsigned depth,
			    const eng_walk_cb *cb)
{
	GMimeStream *stream = eng_stream_new_const(d, n);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeParserOptions *opts = g_mime_parser_options_new();
	GMimeObject *part;

	g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_warning_callback(opts, eng_parser_warning, ctx);
	part = g_mime_parser_construct_part(parser, opts);
	if (part == NULL) {
		eng_scan_limit(ctx, "crypt-unreadable",
			       "署名されたメールの中身を読み取れません",
			       "The content of a signed message could not be parsed",
			       *path ? path : "message", "");
	} else {
		sg_buf p;

		sg_buf_init(&p, SG_BUF_UNLIMITED);
		sg_buf_printf(&p, "%s.", path);
		if (!GMIME_IS_MULTIPART(part))
			sg_buf_putc(&p, '1');
		eng_walk_obj(ctx, part, sg_buf_cstr(&p), prefix, depth + 1, cb);
		sg_buf_free(&p);
		g_object_unref(part);
	}
	g_object_unref(parser);
	g_object_unref(stream);
	g_mime_parser_options_free(opts);
}

void eng_mime_walk_entity(eng_ctx *ctx, const unsigned char *d, size_t n,
			  const char *path, const char *prefix, unsigned depth)
{
	if (ctx->walk_cb)
		eng_walk_entity(ctx, d, n, path, prefix, depth, ctx->walk_cb);
}

/* Whether d[0..n) was a readable wrapper (and its content walked). A
 * wrapper that cannot be read is a scan limit, and the leaf is then
 * judged as it stands. */
static bool eng_unwrap(eng_ctx *ctx, eng_leaf *l, const unsigned char *d,
		       size_t n, bool attachment, const char *path,
		       const char *prefix, unsigned depth, const eng_walk_cb *cb)
{
	const eng_limits *lim = &ctx->eng->lim;
	unsigned long long left;
	eng_crypt_info info = { 0 };
	eng_crypt_kind k = ENG_CRYPT_NONE;
	bool armour = false;
	eng_ftype ft;
	sg_buf inner;
	char *where;

	if (n == 0 || eng_deadline_passed(ctx))
		return false;
	eng_side_take(ctx);
	left = lim->expanded_size > ctx->arch_expanded ?
	       lim->expanded_size - ctx->arch_expanded : 0;
	/* By content: a "text/plain" body may be a DER SignedData. Binary
	 * OpenPGP is tried only on what is not text (its first byte is a
	 * valid packet header in some Latin-1 and Shift_JIS text). */
	ft = eng_sniff(d, n);
	sg_buf_init(&inner, left < SG_BUF_UNLIMITED ? (size_t)left : SG_BUF_UNLIMITED);
	if (ft == ENG_FT_P7S || ft == ENG_FT_UNKNOWN)
		k = eng_crypt_cms(d, n, &inner, &info);
	if (k == ENG_CRYPT_NONE && (ft == ENG_FT_UNKNOWN || ft == ENG_FT_PGP_SIG))
		k = eng_crypt_pgp(d, n, &inner, &info);
	if (k == ENG_CRYPT_NONE && ft == ENG_FT_TEXT) {
		k = eng_crypt_armor(d, n, &inner, &info);
		armour = true;
	}
	if (k != ENG_CRYPT_READABLE && k != ENG_CRYPT_BROKEN) {
		sg_buf_free(&inner);
		return false;
	}
	where = eng_join(prefix, !attachment ? "body" : l->name.len ? sg_buf_cstr(&l->name) : path);
	if (k == ENG_CRYPT_BROKEN) {
		sg_buf ev;

		sg_buf_init(&ev, 512);
		sg_buf_printf(&ev, "%s: %s", info.what ? info.what : "",
			      info.why ? info.why : "");
		eng_scan_limit(ctx, "crypt-unreadable",
			       "署名・暗号の形式 (S/MIME, OpenPGP) を読み取れません",
			       "Signed or encrypted content (S/MIME, OpenPGP) could not be read",
			       where, sg_buf_cstr(&ev));
		sg_buf_free(&ev);
		sg_buf_free(&inner);
		free(where);
		return false;
	}
	ctx->arch_expanded += inner.len;
	if (depth + 1 > lim->mime_depth) {
		eng_scan_limit(ctx, "mime-depth", "MIME の入れ子が深すぎて検査できません",
			       "MIME nesting too deep to inspect", where, "");
	} else {
		/* The text around an armoured block is read as it stands. */
		if (armour)
			eng_emit_text(ctx, cb, where, l, d, n);
		if (!armour && eng_is_mime_entity((const unsigned char *)sg_buf_cstr(&inner),
						  inner.len)) {
			eng_walk_entity(ctx, (const unsigned char *)sg_buf_cstr(&inner),
					inner.len, path, prefix, depth, cb);
		} else {
			/* A signed file: the same leaf, its content now readable;
			 * one that is not text is an attachment even in a body. */
			eng_ftype ift = eng_sniff((const unsigned char *)sg_buf_cstr(&inner),
						  inner.len);
			if (!attachment && ift != ENG_FT_TEXT && ift != ENG_FT_ICS &&
			    inner.len > 0) {
				sg_buf_reset(&l->ctype);
				sg_buf_puts(&l->ctype, "application/octet-stream");
			}
			eng_walk_data(ctx, l, (const unsigned char *)sg_buf_cstr(&inner),
				      inner.len, NULL, path, prefix, depth + 1, cb);
		}
	}
	sg_buf_free(&inner);
	free(where);
	return true;
}

/* S/MIME enveloped data or PGP/MIME whose content proves it (eng_crypt):
 * the whole message is encrypted, nothing inside can be read, and only
 * the header rules apply. A message that only says so is walked like
 * any other (POLICY.md). */
static bool eng_whole_encrypted(eng_ctx *ctx, GMimeObject *root)
{
	GMimeObject *body = NULL;
	eng_leaf l;
	eng_attachment *a;
	const char *ct;
	bool enc = false;

	eng_leaf_init(&l, ctx->eng->lim.header_size);
	eng_leaf_read(ctx, root, &l);
	ct = sg_buf_cstr(&l.ctype);
	/* RFC 3156: a control part, then the OpenPGP message. */
	if (strcmp(ct, "multipart/encrypted") == 0 && GMIME_IS_MULTIPART(root) &&
	    g_mime_multipart_get_count(GMIME_MULTIPART(root)) == 2)
		body = g_mime_multipart_get_part(GMIME_MULTIPART(root), 1);
	else if (strcmp(ct, "application/pkcs7-mime") == 0 ||
		 strcmp(ct, "application/x-pkcs7-mime") == 0)
		body = root;
	if (body && GMIME_IS_PART(body)) {
		eng_b64_check damaged;
		eng_content data;

		eng_leaf_content(body, &damaged, &data);
		enc = !damaged.why[0] && !damaged.trailer &&
		      eng_crypt_encrypted(data.data, data.len);
		if (damaged.trailer)
			g_byte_array_free(damaged.trailer, TRUE);
		eng_content_free(&data);
	}
	if (enc) {
		ctx->res->encrypted_whole = true;
		a = eng_inventory(ctx, "1", "", &l, 0);
		if (a)
			a->encrypted = true;
	}
	eng_leaf_free(&l);
	return enc;
}

void eng_mime_walk(eng_ctx *ctx, eng_mime *mime, const eng_walk_cb *cb)
{
	GMimeObject *root = g_mime_message_get_mime_part(mime->msg);

	ctx->walk_cb = cb;
	if (root == NULL || eng_whole_encrypted(ctx, root))
		return;
	eng_walk_obj(ctx, root, GMIME_IS_MULTIPART(root) ? "" : "1", "", 0, cb);
}
