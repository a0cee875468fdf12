/*
 * NAME
 *	ntf_words - the words people read for sendguard's terms
 * SYNOPSIS
 *	#include "notify/ntf.h"
 * DESCRIPTION
 *	Staff read 本文, 件名, 宛先 and 添付ファイル, not `body` or
 *	`header:Subject`; "Excel ブック", not a MIME type (issue 18 item 6).
 *	Notices, the page, `sendguardctl show` and the report take their
 *	words from here so that each thing has one name everywhere;
 *	JSON and `--csv` keep the engine's own terms.
 * DIAGNOSTICS
 *	None: these functions cannot fail.
 */
#include "notify/ntf.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

typedef struct ntf_word {
	const char *key, *ja, *en;
} ntf_word;

static const ntf_word ntf_categories[] = {
	{ "unencrypted-attachment", "暗号化されていない添付ファイル", "unencrypted attachment" },
	{ "personal-data", "個人情報", "personal data" },
	{ "exposed-recipients", "宛先の見える外部の方", "exposed recipients" },
	{ "dangerous-attachment", "危険な添付ファイル", "dangerous attachment" },
	{ "classified", "機密性2の情報", "classified (class 2)" },
	{ "classified-3", "機密性3の情報", "classified (class 3)" },
	{ "scan-limit", "確認できなかった部分", "not fully read" },
	{ "private-recipient", "個人用のアドレス", "private address" },
};

const char *ntf_category_label(const char *cat, bool ja)
{
	for (size_t i = 0; cat && i < sizeof(ntf_categories) / sizeof(ntf_categories[0]); i++)
		if (strcmp(ntf_categories[i].key, cat) == 0)
			return ja ? ntf_categories[i].ja : ntf_categories[i].en;
	return cat ? cat : "";
}

/* A place inside one message: "body", "header:NAME", "recipient:DOMAIN"
 * (a private-recipient finding: the recipients at that domain) or ""
 * (the whole message). False when it is none of these (an attachment's
 * path). */
static bool ntf_place(const char *p, size_t n, bool ja, sg_buf *out)
{
	static const ntf_word hdrs[] = {
		{ "Subject", "件名", "Subject" },
		{ "To", "宛先 (To)", "recipients (To)" },
		{ "Cc", "宛先 (Cc)", "recipients (Cc)" },
		{ "To,Cc", "宛先 (To/Cc)", "recipients (To/Cc)" },
		{ "From", "差出人", "sender (From)" },
	};

	if (n == 4 && memcmp(p, "body", 4) == 0) {
		sg_buf_puts(out, ja ? "本文" : "body");
		return true;
	}
	if (n > 10 && memcmp(p, "recipient:", 10) == 0) {
		sg_buf_printf(out, ja ? "宛先 (%.*s のアドレス)" : "recipients at %.*s",
			      (int)(n - 10), p + 10);
		return true;
	}
	if (n < 7 || memcmp(p, "header:", 7) != 0)
		return false;
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++)
		if (strlen(hdrs[i].key) == n - 7 && strncasecmp(p + 7, hdrs[i].key, n - 7) == 0) {
			sg_buf_puts(out, ja ? hdrs[i].ja : hdrs[i].en);
			return true;
		}
	sg_buf_printf(out, ja ? "ヘッダー %.*s" : "header %.*s", (int)(n - 7), p + 7);
	return true;
}

void ntf_where_text(const char *where, bool ja, sg_buf *out)
{
	const char *slash;

	if (where == NULL || *where == '\0') {
		sg_buf_puts(out, ja ? "メール全体" : "the message");
		return;
	}
	if (ntf_place(where, strlen(where), ja, out))
		return;
	/* A forwarded message's own body or header: "fwd.eml/body". */
	slash = strrchr(where, '/');
	if (slash && slash[1] != '\0' &&
	    (strcmp(slash + 1, "body") == 0 || strncmp(slash + 1, "header:", 7) == 0)) {
		sg_buf_printf(out, ja ? "添付ファイル「%.*s」の" : "attachment \"%.*s\", ",
			      (int)(slash - where), where);
		ntf_place(slash + 1, strlen(slash + 1), ja, out);
		return;
	}
	sg_buf_printf(out, ja ? "添付ファイル「%s」" : "attachment \"%s\"", where);
}

bool ntf_where_is_attachment(const char *where)
{
	sg_buf b;
	bool att;

	if (where == NULL || *where == '\0')
		return false;
	sg_buf_init(&b, 1024);
	att = !ntf_place(where, strlen(where), true, &b);
	sg_buf_free(&b);
	return att;
}

/* By the type the engine found from the content; a few by the name's
 * extension when the content type is generic (a ZIP container). */
static const ntf_word ntf_types[] = {
	{ "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	  "Excel ブック", "Excel workbook" },
	{ "application/vnd.ms-excel.sheet.macroEnabled.12", "Excel マクロ有効ブック",
	  "Excel macro-enabled workbook" },
	{ "application/vnd.ms-excel", "Excel ブック (旧形式)", "Excel workbook (old format)" },
	{ "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	  "Word 文書", "Word document" },
	{ "application/vnd.ms-word.document.macroEnabled.12", "Word マクロ有効文書",
	  "Word macro-enabled document" },
	{ "application/msword", "Word 文書 (旧形式)", "Word document (old format)" },
	{ "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	  "PowerPoint プレゼンテーション", "PowerPoint presentation" },
	{ "application/vnd.ms-powerpoint", "PowerPoint プレゼンテーション (旧形式)",
	  "PowerPoint presentation (old format)" },
	{ "application/vnd.oasis.opendocument.spreadsheet", "ODF 表計算ドキュメント",
	  "ODF spreadsheet" },
	{ "application/vnd.oasis.opendocument.text", "ODF テキストドキュメント",
	  "ODF text document" },
	{ "application/vnd.oasis.opendocument.presentation", "ODF プレゼンテーション",
	  "ODF presentation" },
	{ "application/x-ole-storage", "Office 文書 (旧形式)", "Office document (old format)" },
	{ "application/pdf", "PDF", "PDF" },
	{ "application/zip", "ZIP 圧縮ファイル", "ZIP archive" },
	{ "application/x-7z-compressed", "7-Zip 圧縮ファイル", "7-Zip archive" },
	{ "application/x-rar", "RAR 圧縮ファイル", "RAR archive" },
	{ "application/vnd.rar", "RAR 圧縮ファイル", "RAR archive" },
	{ "application/x-lzh-compressed", "LZH 圧縮ファイル", "LZH archive" },
	{ "application/gzip", "gzip 圧縮ファイル", "gzip file" },
	{ "application/x-tar", "tar アーカイブ", "tar archive" },
	{ "application/vnd.microsoft.portable-executable", "実行ファイル (プログラム)",
	  "program (executable)" },
	{ "application/x-elf", "実行ファイル (プログラム)", "program (executable)" },
	{ "application/x-mach-binary", "実行ファイル (プログラム)", "program (executable)" },
	{ "application/x-dosexec", "実行ファイル (プログラム)", "program (executable)" },
	{ "application/x-msdownload", "実行ファイル (プログラム)", "program (executable)" },
	{ "application/x-ms-shortcut", "ショートカット", "shortcut" },
	{ "application/x-iso9660-image", "ディスクイメージ", "disk image" },
	{ "application/x-udf-image", "ディスクイメージ", "disk image" },
	{ "application/vnd.ms-powerpoint.presentation.macroEnabled.12",
	  "PowerPoint マクロ有効プレゼンテーション", "PowerPoint macro-enabled presentation" },
	{ "application/x-ooxml", "Office 文書", "Office document" },
	{ "application/x-ooxml-encrypted", "暗号化された Office 文書", "encrypted Office document" },
	{ "application/x-ooxml-macro", "マクロ付き Office 文書", "Office document with macros" },
	{ "application/x-bzip2", "bzip2 圧縮ファイル", "bzip2 file" },
	{ "application/x-xz", "xz 圧縮ファイル", "xz file" },
	{ "application/pkcs7-signature", "電子署名", "signature" },
	{ "application/x-pkcs7-signature", "電子署名", "signature" },
	{ "application/x-pkcs7-mime", "暗号化されたメール (S/MIME)", "encrypted mail (S/MIME)" },
	{ "application/pgp-signature", "電子署名 (PGP)", "signature (PGP)" },
	{ "application/ics", "予定表 (カレンダー)", "calendar" },
	{ "text/calendar", "予定表 (カレンダー)", "calendar" },
	{ "text/tab-separated-values", "TSV ファイル", "TSV file" },
	{ "image/bmp", "画像 (BMP)", "image (BMP)" },
	{ "image/tiff", "画像 (TIFF)", "image (TIFF)" },
	{ "image/webp", "画像 (WebP)", "image (WebP)" },
	{ "application/pkcs7-mime", "暗号化されたメール (S/MIME)", "encrypted mail (S/MIME)" },
	{ "application/pgp-encrypted", "暗号化されたファイル (PGP)", "encrypted file (PGP)" },
	{ "message/rfc822", "転送されたメール", "forwarded message" },
	{ "text/csv", "CSV ファイル", "CSV file" },
	{ "text/plain", "テキストファイル", "text file" },
	{ "text/html", "HTML ファイル", "HTML file" },
	{ "image/jpeg", "画像 (JPEG)", "image (JPEG)" },
	{ "image/png", "画像 (PNG)", "image (PNG)" },
	{ "image/gif", "画像 (GIF)", "image (GIF)" },
	{ "image/svg+xml", "画像 (SVG)", "image (SVG)" },
	{ "application/octet-stream", "ファイル", "file" },
};

const char *ntf_type_label(const char *mime, bool ja)
{
	size_t n;

	if (mime == NULL || *mime == '\0')
		return ja ? "ファイル" : "file";
	/* "text/plain; charset=..." compares by its type alone. */
	n = strcspn(mime, "; ");
	for (size_t i = 0; i < sizeof(ntf_types) / sizeof(ntf_types[0]); i++)
		if (strlen(ntf_types[i].key) == n && strncasecmp(ntf_types[i].key, mime, n) == 0)
			return ja ? ntf_types[i].ja : ntf_types[i].en;
	if (strncasecmp(mime, "image/", 6) == 0)
		return ja ? "画像" : "image";
	if (strncasecmp(mime, "text/", 5) == 0)
		return ja ? "テキストファイル" : "text file";
	return mime;
}

void ntf_person(const char *addr, const char *name, sg_buf *out)
{
	if (name && *name)
		sg_buf_printf(out, "%s <%s>", name, addr ? addr : "");
	else
		sg_buf_puts(out, addr ? addr : "");
}

/* A MIME type as the engine writes one: a known top-level type, one
 * '/', then token characters only. Masked text never looks like that
 * (a date 1983/4/12 has no known top-level type). */
bool ntf_evidence_is_type(const char *ev)
{
	static const char *const tops[] = {
		"application/", "text/", "image/", "audio/", "video/",
		"message/", "multipart/", "model/", "font/",
	};
	const char *sub = NULL;

	if (ev == NULL)
		return false;
	for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]) && sub == NULL; i++)
		if (strncasecmp(ev, tops[i], strlen(tops[i])) == 0)
			sub = ev + strlen(tops[i]);
	if (sub == NULL || *sub == '\0')
		return false;
	for (; *sub; sub++)
		if (!isalnum((unsigned char)*sub) && strchr("!#$&-^_.+", *sub) == NULL)
			return false;
	return true;
}
