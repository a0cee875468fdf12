/*
 * NAME
 *	web - the approval web page (sendguard-web)
 * SYNOPSIS
 *	#include "web/web.h"
 * DESCRIPTION
 *	Approvers are supervisors, not shell users: this page shows them a
 *	held message's evidence and lets them approve or reject it, and
 *	lets a sender withdraw their own held mail (issue 8). It serves
 *	exactly the links the notices carry (notify/ntf.h):
 *
 *	  GET  /hold/ID?t=TOKEN    one hold, for the person in TOKEN
 *	  POST /hold/ID            approve | reject | withdraw (form: t,
 *	                           csrf, action, comment)
 *	  GET  /holds?t=TOKEN      that person's pending holds ("*" token)
 *	  GET  /static/sendguard.css, GET /  (a short explanation)
 *
 *	Who is who. A token (ntf_token_verify) names one person and one
 *	hold (or "*", the list); the page acts only for that person and
 *	that hold, and only when the person is the hold's sender or one of
 *	the approvers the milter assigned to it. Optionally ([web]
 *	trusted_user_header) the reverse proxy names the person it
 *	authenticated; that header is believed only from a proxy that
 *	proves itself (a shared secret, or its uid on a unix socket:
 *	web_http.c), never from anyone else. A token in the request wins
 *	over the header.
 *
 *	Decisions go through rel_decide(), the code path of sendguardctl
 *	approve/reject/withdraw, so the four-eyes rules are the same. The
 *	page is stricter than the administrators' tool in one way: approve
 *	and reject need an assigned approver (sendguardctl lets an
 *	administrator decide a hold nobody was assigned to). The queue is
 *	not touched here: `sendguardctl apply` (root, path unit and timer)
 *	carries the decision out and sends the outcome notice, within a
 *	minute (least privilege, ARCHITECTURE.md).
 *
 *	Every state change is a POST with a CSRF token: HMAC-SHA256 of
 *	"sendguard-csrf", the person, the hold and the page's token, with
 *	an expiry, under the signing key ("kid.expiry.mac"), so a form
 *	from another site or for another hold or person is refused.
 *	Every string that came from a message (subject, names, addresses,
 *	evidence) goes through web_esc(). GET never changes state.
 *
 *	web_handle() turns a request (web_req) into a response (web_resp)
 *	without any HTTP library, so that routing, identity and pages are
 *	unit-tested directly; web_http.c adapts libmicrohttpd to it and
 *	adds the security headers to every response.
 * DIAGNOSTICS
 *	Refusals are pages in Japanese and English with status 403, 404,
 *	405, 409, 413, 415 or 503; they never say more than the person
 *	needs (an expired link says it expired, a forged one that it is
 *	not valid). Errors go to syslog (and stderr with -f).
 */
#ifndef WEB_H
#define WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "notify/ntf.h"
#include "release/rel.h"
#include "store/st.h"
#include "util/sg_buf.h"
#include "util/sg_conf.h"

#define WEB_COMMENT_MAX	REL_COMMENT_MAX
#define WEB_LIST_MAX	500	/* rows on the list page */
#define WEB_CSS_PATH	"/static/sendguard.css"

/* ------------------------------------------------------------ html */

/* HTML text or attribute value: & < > " ' escaped, invalid UTF-8 as
 * U+FFFD, control characters other than tab and newline dropped. NULL
 * writes nothing. */
void web_esc(sg_buf *b, const char *s);
/* The same for s[0..n). */
void web_esc_n(sg_buf *b, const char *s, size_t n);
/* A query-string value: everything but [A-Za-z0-9-._~] percent-encoded. */
void web_url_esc(sg_buf *b, const char *s);
/* True when s is valid UTF-8 without NUL. */
bool web_utf8_valid(const char *s, size_t n);
extern const char web_css[];

/* ------------------------------------------------------------ forms */

/* The value of field `name` in an application/x-www-form-urlencoded
 * body, decoded ('+' and %XX) into out (reset first): 1 found, 0
 * absent, -1 malformed (bad escape, a NUL, the field twice, or longer
 * than out's maximum). */
int web_form_get(const char *body, size_t len, const char *name, sg_buf *out);

/* ----------------------------------------------------------- routes */

typedef enum web_route_kind {
	WEB_R_NOTFOUND,
	WEB_R_INDEX,	/* / */
	WEB_R_CSS,	/* /static/sendguard.css */
	WEB_R_LIST,	/* /holds */
	WEB_R_HOLD	/* /hold/ID */
} web_route_kind;

/* hold receives the id for WEB_R_HOLD (a valid hold id). */
web_route_kind web_route(const char *path, char hold[NTF_HOLD_ID_MAX + 1]);

/* --------------------------------------------------------- identity */

typedef enum web_id_rc {
	WEB_ID_OK,
	WEB_ID_NONE,		/* no token and no trusted header */
	WEB_ID_MALFORMED,
	WEB_ID_BAD_MAC,		/* forged or altered */
	WEB_ID_UNKNOWN_KID,	/* signed with a key we no longer have */
	WEB_ID_EXPIRED,
	WEB_ID_BAD_HEADER	/* the proxy's header is not an address */
} web_id_rc;

typedef struct web_ident {
	char person[NTF_PERSON_MAX + 1];	/* lower-case */
	char hold[NTF_HOLD_ID_MAX + 1];		/* "*" for the list; "" by header */
	bool via_header;
} web_ident;

/* header_value: the trusted header's value when the option is on and
 * the connection came from loopback (the caller checks both), else
 * NULL. */
web_id_rc web_identify(const ntf_keys *keys, const char *token,
		       const char *header_value, time_t now, web_ident *out);
/* The CSRF value for a form ("kid.expiry.mac"); token "" by header. */
void web_csrf_make(const ntf_keys *keys, const char *person, const char *hold,
		   const char *token, time_t expiry, sg_buf *out);
bool web_csrf_check(const ntf_keys *keys, const char *person, const char *hold,
		    const char *token, const char *csrf, time_t now);

/* -------------------------------------------------------------- app */

typedef struct web_app web_app;

/* Opens the store and loads the keys (as the user it will run as).
 * NULL with err. */
web_app *web_app_new(const sg_conf *conf, sg_buf *err);
void web_app_free(web_app *app);
/* The keys, reloaded when [keys] dir changed (rotation needs no
 * restart); NULL when none could ever be loaded. */
const ntf_keys *web_app_keys(web_app *app);
const char *web_app_header(const web_app *app);	/* "" when off */

/* Logging: syslog, and stderr as well when web_log_init(true). */
void web_log_init(bool to_stderr);
void web_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* -------------------------------------------------------- server */

struct sockaddr_storage;
/* "127.0.0.1:8025" or "[::1]:8025" (numeric addresses only); 0, or -1
 * when malformed. *loopback tells whether the address is loopback. */
int web_parse_listen(const char *s, struct sockaddr_storage *ss, unsigned *len,
		     bool *loopback);

typedef struct web_server web_server;
/* web_http.c: libmicrohttpd on [web] listen, its own thread; NULL with
 * err. */
web_server *web_server_start(web_app *app, const sg_conf *conf, sg_buf *err);
void web_server_stop(web_server *srv);
/* trusted_user_header needs a proxy that can prove itself
 * (proxy_secret_file, or listen = unix:PATH with proxy_uid); 0, or -1
 * with err. */
int web_proxy_check(const sg_conf *conf, sg_buf *err);

/* ------------------------------------------------------- requests */

typedef enum web_method { WEB_GET, WEB_HEAD, WEB_POST, WEB_OTHER } web_method;

typedef struct web_req {
	web_method method;
	const char *path;		/* decoded, without the query */
	const char *token;		/* ?t= (GET), or NULL */
	const char *done;		/* ?done= after a decision, or NULL */
	const char *body;		/* POST form, or NULL */
	size_t body_len;
	const char *content_type;	/* or NULL */
	const char *user_header;	/* trusted header value, or NULL */
	const char *fetch_site;		/* Sec-Fetch-Site, or NULL */
	const char *client;		/* address, for logs */
} web_req;

typedef struct web_resp {
	int status;
	const char *content_type;	/* static string */
	sg_buf body;
	sg_buf location;		/* for 303 */
	bool allow_post;		/* 405: say Allow: GET, HEAD, POST */
	/* A download (issue 18): stream_size bytes read from stream_fd
	 * (the root side's socket) instead of body, sent with
	 * Content-Disposition: disposition and CSP sandbox. -1: none. The
	 * server takes the descriptor over; web_resp_free closes it when
	 * it was not taken. */
	int stream_fd;
	unsigned long long stream_size;
	sg_buf disposition;
} web_resp;

void web_resp_init(web_resp *r);
void web_resp_free(web_resp *r);
void web_handle(web_app *app, const web_req *req, web_resp *resp, time_t now);

/* ---------------------------------------------------------- pages */

/* Page frame: everything up to <main>, and from </main>. prefix is
 * the path of [web] base_url ("" or "/sendguard"). */
void web_page_begin(sg_buf *b, const char *prefix, const char *title_ja,
		    const char *title_en);
void web_page_end(sg_buf *b);
/* A whole error page: heading and one explanation, both languages. */
void web_page_error(sg_buf *b, const char *prefix, const char *head_ja,
		    const char *head_en, const char *text_ja, const char *text_en);

/* What the hold page needs besides the hold. */
typedef struct web_hold_ctx {
	const char *prefix;
	const char *person;
	bool is_sender, is_approver;
	const char *token;	/* for links and the form; "" by header */
	const char *csrf;
	const char *list_token;	/* "*" token for the list link; "" by header */
	const char *done;	/* action just recorded, or NULL */
	time_t now;
	/* The opened preview (issue 18), or NULL; pv_status "shown",
	 * "none" or "unreadable" says why there is none. */
	const rel_preview *pv;
	const char *pv_status;
	/* Downloads: 0 off ([web] allow_download = no, or not an
	 * approver, or decided), 1 offered, 2 not on this host (no
	 * download socket: the page says so). */
	int download;
	/* Issue 18: the [approval] checklist (checkboxes check1..checkN),
	 * whether the person acts as a delegate (for on_behalf), has
	 * approved already, and may name a delegate (an assigned
	 * approver). */
	char *const *checklist;
	size_t nchecklist;
	const char *on_behalf;	/* NULL: not a delegate */
	bool voted;
	bool may_delegate;
} web_hold_ctx;

void web_page_hold(sg_buf *b, const st_hold *h, const web_hold_ctx *c);

typedef struct web_list_row {
	char id[ST_ID_SIZE];
	char *sender, *subject, *created;
	char *sender_name;	/* the From display name, or NULL */
	time_t created_t;
	char **categories;	/* the hold's category names */
	size_t ncategories;
	char *token;		/* per-hold token; "" by header */
	bool mine;		/* the person is its sender */
} web_list_row;

void web_page_list(sg_buf *b, const char *prefix, const char *person,
		   const web_list_row *rows, size_t n, bool truncated);

#endif
