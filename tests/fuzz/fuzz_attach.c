/*
 * NAME
 *	fuzz_attach - archive walking, OLE and PDF probes, text extraction
 * DESCRIPTION
 *	The input is one attachment: it is wrapped (base64) into a message
 *	to an external recipient and scanned, so that it goes exactly the
 *	way a real attachment goes: type sniffing, libarchive (zip, 7z,
 *	rar, tar, gzip... recursively, with the bomb limits), the OLE and
 *	PDF encryption probes, OOXML/ODF/CSV text and the detectors. The
 *	first byte picks the file name, which steers the name rules and
 *	the text extraction. Seeds: tests/fixtures/attach/files.
 */
#include "fz.h"

#include <glib.h>
#include <string.h>

static const char *const fz_names[] = {
	"a.bin", "a.zip", "a.docx", "a.xlsx", "a.7z", "a.pdf", "a.doc",
	"a.xls", "a.odt", "a.tar.gz", "a.csv", "a.txt", "a.rar", "a.eml",
	"a.pptx", "a.lnk",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const rcpts[] = { "t.yamada@sakura-sys.example" };
	const eng_envelope env = { "tanaka@example.lg.jp", rcpts, 1, NULL, NULL };
	const char *name;
	gchar *b64;
	sg_buf msg;
	eng_result res;

	if (size == 0)
		return 0;
	name = fz_names[data[0] % (sizeof(fz_names) / sizeof(fz_names[0]))];
	b64 = g_base64_encode(data + 1, size - 1);
	sg_buf_init(&msg, SG_BUF_UNLIMITED);
	sg_buf_printf(&msg,
		      "From: tanaka@example.lg.jp\r\nTo: t.yamada@sakura-sys.example\r\n"
		      "Subject: fuzz\r\nMIME-Version: 1.0\r\n"
		      "Content-Type: multipart/mixed; boundary=\"fzb\"\r\n\r\n"
		      "--fzb\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
		      "--fzb\r\nContent-Type: application/octet-stream; name=\"%s\"\r\n"
		      "Content-Disposition: attachment; filename=\"%s\"\r\n"
		      "Content-Transfer-Encoding: base64\r\n\r\n", name, name);
	/* One long line is fine for GMime, and keeps the wrapper cheap. */
	sg_buf_puts(&msg, b64);
	sg_buf_puts(&msg, "\r\n--fzb--\r\n");
	g_free(b64);
	eng_scan(fz_engine(), &env, msg.data, msg.len, &res);
	eng_result_free(&res);
	sg_buf_free(&msg);
	return 0;
}
