/*
 * NAME
 *	web_html - HTML escaping, the page frame and the stylesheet
 * SYNOPSIS
 *	#include "web/web.h"
 * DESCRIPTION
 *	Subjects, file names, archive paths and addresses are written by
 *	whoever sent the mail, so every one of them passes web_esc() on
 *	its way into a page: the five characters that can end a text node
 *	or an attribute value are escaped, bytes that are not UTF-8 become
 *	U+FFFD (a browser guessing another charset could otherwise see
 *	markup), and control characters are dropped. Pages use no inline
 *	script or style (the CSP forbids both), and the stylesheet is
 *	served by the page itself: nothing is loaded from elsewhere.
 *
 *	The CSS is small and mobile-first: approvers open the link from
 *	their phone as often as from a desk.
 * DIAGNOSTICS
 *	None: these only append to buffers.
 */
#include "web/web.h"

#include <string.h>

bool web_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k;

	for (size_t i = 0; i < n; i += k)
		if (p[i] == 0 || (k = sg_utf8_len(p + i, n - i)) == 0)
			return false;
	return true;
}

static const char *web_esc_char(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

void web_esc(sg_buf *b, const char *s)
{
	web_esc_n(b, s, s ? strlen(s) : 0);
}

void web_esc_n(sg_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k;
	const char *e;

	for (size_t i = 0; i < n; i += k) {
		k = sg_utf8_len(p + i, n - i);
		if (k == 0) {
			sg_buf_puts(b, "\xEF\xBF\xBD");	/* U+FFFD */
			k = 1;
		} else if ((e = web_esc_char(p[i])) != NULL) {
			sg_buf_puts(b, e);
		} else if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n') || p[i] == 0x7f) {
			continue;	/* a control character shows nothing useful */
		} else {
			sg_buf_append(b, p + i, k);
		}
	}
}

void web_url_esc(sg_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			sg_buf_putc(b, *p);
		else
			sg_buf_printf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
}

void web_page_begin(sg_buf *b, const char *prefix, const char *title_ja,
		    const char *title_en)
{
	sg_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n"
		    "<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
	web_esc(b, title_ja);
	sg_buf_puts(b, " / ");
	web_esc(b, title_en);
	sg_buf_puts(b, " - sendguard</title>\n<link rel=\"stylesheet\" href=\"");
	web_esc(b, prefix);
	sg_buf_puts(b, WEB_CSS_PATH "\">\n</head>\n<body>\n<header class=\"top\">"
		    "<span class=\"brand\">sendguard</span> "
		    "<span class=\"tag\">送信前チェック / Outgoing mail check</span>"
		    "</header>\n<main>\n<h1>");
	web_esc(b, title_ja);
	sg_buf_puts(b, " <span class=\"en\">");
	web_esc(b, title_en);
	sg_buf_puts(b, "</span></h1>\n");
}

void web_page_end(sg_buf *b)
{
	sg_buf_puts(b, "</main>\n<footer>このページは送信前チェック (sendguard) の"
		    "承認ページです。リンクはあなた専用です。転送しないでください。<br>"
		    "<span class=\"en\">This is the approval page of the outgoing-mail"
		    " check (sendguard). Your link is for you only: do not forward"
		    " it.</span></footer>\n</body>\n</html>\n");
}

void web_page_error(sg_buf *b, const char *prefix, const char *head_ja,
		    const char *head_en, const char *text_ja, const char *text_en)
{
	web_page_begin(b, prefix, head_ja, head_en);
	sg_buf_puts(b, "<section class=\"box refused\"><p>");
	web_esc(b, text_ja);
	sg_buf_puts(b, "</p><p class=\"en\">");
	web_esc(b, text_en);
	sg_buf_puts(b, "</p></section>\n");
	web_page_end(b);
}

/* Mobile first: one column, large touch targets; wider screens get a
 * two-column facts table. No external fonts: the system's CJK font. */
const char web_css[] =
	":root{--fg:#1b1f24;--mut:#57606a;--bg:#f6f8fa;--card:#fff;--line:#d0d7de;"
	"--warn:#b35900;--bad:#cf222e;--good:#1a7f37;--acc:#0550ae}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;font-family:system-ui,\"Noto Sans CJK JP\",\"Hiragino Sans\","
	"\"Yu Gothic\",Meiryo,sans-serif;color:var(--fg);background:var(--bg);"
	"line-height:1.6;font-size:16px;-webkit-text-size-adjust:100%}\n"
	".top{background:#24292f;color:#fff;padding:.5rem 1rem}\n"
	".brand{font-weight:700}.top .tag{color:#d0d7de;font-size:.85rem}\n"
	"main{max-width:60rem;margin:0 auto;padding:1rem}\n"
	"h1{font-size:1.35rem;margin:.5rem 0 1rem}h2{font-size:1.1rem;margin:0 0 .5rem}\n"
	".en{color:var(--mut);font-size:.9em;font-weight:400}\n"
	"h1 .en,h2 .en{display:block}\n"
	".box{background:var(--card);border:1px solid var(--line);border-radius:8px;"
	"padding:1rem;margin:0 0 1rem;overflow-wrap:anywhere}\n"
	".refused{border-left:6px solid var(--bad)}\n"
	".done{border-left:6px solid var(--good)}\n"
	".pending{border-left:6px solid var(--warn)}\n"
	"dl.facts{margin:0}dl.facts dt{font-weight:700;margin-top:.5rem}"
	"dl.facts dd{margin:0}\n"
	"ul{margin:.25rem 0;padding-left:1.2rem}li{margin:.15rem 0}\n"
	".badge{display:inline-block;border-radius:4px;padding:0 .4rem;font-size:.8rem;"
	"font-weight:700;margin-left:.3rem;white-space:nowrap}\n"
	".ext{background:#fff1e5;color:var(--warn);border:1px solid var(--warn)}\n"
	".plain{background:#ffebe9;color:var(--bad);border:1px solid var(--bad)}\n"
	".enc{background:#dafbe1;color:var(--good);border:1px solid var(--good)}\n"
	".mono{font-family:ui-monospace,monospace;font-size:.9em}.dur{white-space:nowrap}\n"
	".finding{border-top:1px solid var(--line);padding:.5rem 0}\n"
	".finding:first-of-type{border-top:0}\n"
	".ev{background:#f6f8fa;border:1px solid var(--line);border-radius:4px;"
	"padding:.1rem .4rem;white-space:pre-wrap}\n"
	"textarea{width:100%;min-height:5rem;font:inherit;padding:.5rem;border:1px solid"
	" var(--line);border-radius:6px}\n"
	"label{display:block;font-weight:700;margin:.5rem 0 .25rem}\n"	"fieldset{border:1px solid var(--line);border-radius:6px;margin:0 0 .5rem;"
	"padding:.25rem .75rem .5rem}legend{font-weight:700;padding:0 .25rem}\n"
	"label.check{display:flex;gap:.5rem;align-items:flex-start;font-weight:400;"
	"min-height:44px;align-items:center}\n"
	"label.check input{width:1.4rem;height:1.4rem;flex:none}\n"
	"input[type=email],input[type=date]{font:inherit;padding:.5rem;border:1px solid"
	" var(--line);border-radius:6px;max-width:100%;box-sizing:border-box;width:100%}\n"
	".actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:.75rem}\n"
	"button{font:inherit;font-weight:700;border:0;border-radius:6px;padding:.7rem 1.2rem;"
	"min-height:44px;cursor:pointer;color:#fff}\n"
	"button.approve{background:var(--good)}button.reject{background:var(--bad)}"
	"button.withdraw{background:var(--acc)}\n"
	"table.list{width:100%;border-collapse:collapse}\n"
	"table.list td,table.list th{border-top:1px solid var(--line);padding:.5rem;"
	"text-align:left;vertical-align:top}\n"
	"a{color:var(--acc)}\n"
	"footer{max-width:60rem;margin:0 auto;padding:1rem;color:var(--mut);font-size:.8rem}\n"
	/* The preview (issue 18): text wraps; wide tables scroll inside
	 * their own box, never the page. */
	"pre.body,pre.lines{white-space:pre-wrap;overflow-wrap:anywhere;font:inherit;"
	"background:#f6f8fa;border:1px solid var(--line);border-radius:6px;"
	"padding:.5rem .75rem;margin:.25rem 0 .5rem;max-width:100%}\n"
	"pre.lines{font-size:.9em}\n"
	"h3{font-size:1rem;margin:.75rem 0 .25rem}\n"
	".bodypart.hit pre.body{border-left:6px solid var(--bad)}\n"
	"mark{background:#fff8c5;color:inherit;border-bottom:2px solid var(--bad)}\n"
	".found{background:#ffebe9;color:var(--bad);border:1px solid var(--bad)}\n"
	".hits{display:block}.hits .badge{white-space:normal;margin:.15rem .3rem 0 0}\n"
	".pvfile{margin:.25rem 0 .5rem}.sheet{margin:.25rem 0}\n"
	".rows{max-width:100%;overflow-x:auto}\n"
	"table.cells{border-collapse:collapse;font-size:.9em}\n"
	"table.cells td{border:1px solid var(--line);padding:.15rem .4rem;white-space:nowrap;"
	"max-width:16rem;overflow:hidden;text-overflow:ellipsis}\n"
	".cut{color:var(--mut);font-size:.9em}\n"
	"li form{display:inline}button.dl{background:var(--acc);min-height:36px;"
	"padding:.3rem .8rem;margin:.2rem 0 .2rem .3rem;font-size:.9rem}\n"
	"@media (max-width:40rem){table.list thead{display:none}"
	"table.list tr{display:block;border-top:1px solid var(--line);padding:.5rem 0}"
	"table.list td{display:block;border:0;padding:.1rem 0}}\n"
	"@media (min-width:48rem){dl.facts{display:grid;grid-template-columns:14rem 1fr;"
	"gap:.25rem 1rem}dl.facts dt{margin:0}}\n";
