/*
 * NAME
 *	ntf - notices: keys, notice MACs, web tokens, approver routing,
 *	templates, message building and submission
 * SYNOPSIS
 *	#include "notify/ntf.h"
 * DESCRIPTION
 *	Everything sendguard needs to tell people about a hold and to
 *	recognise its own mail again. The module never talks to the MTA
 *	except through ntf_submit() (the `[notify] sendmail` command), and
 *	never reads the store: the milter (issue 6) fills an ntf_hold_view
 *	from its scan result (ntf_view_from_result), the approval workflow
 *	(issue 7) fills one from the store.
 *
 *	Keys (ntf_keys.c). `[keys] dir` holds one file per key id; a key
 *	id is [A-Za-z0-9_-]{1,64} and a file is base64 (standard or url
 *	alphabet, padding optional) or hex of at least 32 random bytes.
 *	A file that group or other may read or write is refused: these are
 *	the secrets that stop a user forging a bypass. The greatest key id
 *	(strcmp) signs; every key verifies, so a new key (keygen names keys
 *	by UTC time, 20261123T185500Z) can be added while mail and links
 *	signed with the old one are still about, and the old file removed
 *	later (rotation with overlap).
 *
 *	Notice MAC (ntf_mac.c). Notices carry
 *	`X-Sendguard-Notice: v=2; kid=K; n=NONCE; mac=BASE64URL`, an
 *	HMAC-SHA256 over "sendguard-notice\n" and the lines v=2, kid=K,
 *	body=hex SHA-256 of the canonical body, rcpt=the envelope
 *	recipients (angle brackets and surrounding blanks removed,
 *	lower-cased, sorted, de-duplicated, joined by ','), then one line
 *	h=NAME:VALUE for each header the gateway lets through unchecked,
 *	in the order from, to, cc, subject, date, message-id,
 *	mime-version, content-type, content-transfer-encoding (each name's
 *	fields in the order found; NAME lower-case; VALUE unfolded, runs of
 *	blanks one space, trimmed), and n=NONCE. The canonical body has
 *	every line ending as CRLF (the submitter writes LF, Postfix and the
 *	milter see CRLF) and no trailing blank lines or white space. A
 *	header copied onto another mail therefore fails (other body,
 *	recipients or headers), and so does a notice whose Subject, To or
 *	Content-Type was changed or that gained a Cc; replaying a whole
 *	notice is caught by the milter, which records each nonce in the
 *	store, and by its Date, which must lie within [notify]
 *	max_notice_age of now (and at most 15 minutes ahead).
 *
 *	Web tokens (ntf_token.c). base64url("kid.hold.person.expiry") '.'
 *	base64url(HMAC-SHA256("sendguard-token\n" + payload)), without
 *	padding. hold is a hold id ([A-Za-z0-9_-]{1,64}) or "*"
 *	(NTF_TOKEN_ANY_HOLD): the per-person token of an approver's list of
 *	pending holds, which lets the page list that person's holds and
 *	nothing else; every row links with its own per-hold token. person
 *	is an e-mail address (may contain dots: the payload is split at the
 *	first two dots and the last one), expiry is seconds since the epoch.
 *	The "sendguard-notice" / "sendguard-token" prefixes keep a MAC of
 *	one kind from ever being accepted as the other.
 *
 *	Approvers (ntf_approvers.c). [approvers] per ARCHITECTURE.md:
 *	`category:NAME = ...` for each of the hold's categories (all that
 *	match, file order), then the first sender glob that matches the
 *	sender (fnmatch, case-insensitive, file order), else `default`.
 *	The sender, the From address, the AUTH login and, when the login
 *	has no '@', login@ the sender's domain are never approvers (four
 *	eyes); if nobody is left, `default` minus those. If still nobody,
 *	the list is empty: the milter keeps the hold (it never releases for
 *	lack of an approver), logs "hold ID: no approver" with the sender
 *	and sends no approval request; an administrator decides with
 *	sendguardctl, and the sender's notice says nobody was asked.
 *
 *	Templates (ntf_render.c). conf/templates/{ja,en}/KIND.txt, one per
 *	ntf_kind. The first line is "Subject: ...", then an empty line,
 *	then the body. {{name}} is replaced by a value (ntf_var_names[]);
 *	an unknown name or an unclosed "{{" is an error naming the file
 *	and line when the templates are loaded (at start-up). Values are
 *	inserted as they are, never scanned again.
 *
 *	Messages (ntf_message.c). ntf_build_message() writes one complete
 *	RFC 5322 message to one person: Japanese first, English below, in
 *	one text/plain UTF-8 part, base64; Subject RFC 2047 B-encoded;
 *	Auto-Submitted: auto-generated (RFC 3834); X-Sendguard-Notice
 *	signed over the body as it is sent and the envelope recipient (the
 *	person). Links carry a token for that person and that hold, so an
 *	approval request is built once per approver.
 *
 *	Submission (ntf_submit.c). The sendmail command is split into words
 *	(no shell) and run with `-f FROM -i -- RCPT...`.
 * DIAGNOSTICS
 *	Functions that can fail return NULL, -1 or an enum and write a
 *	message for people into `err` (naming the file, line, key or
 *	command). Allocation failure does not return (sg_mem).
 */
#ifndef NTF_H
#define NTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/sg_buf.h"
#include "util/sg_conf.h"

/* ---------------------------------------------------------------- keys */

#define NTF_KID_MAX	64	/* characters of a key id */
#define NTF_KEY_MIN	32	/* bytes of a key, at least */
#define NTF_MAC_LEN	32	/* HMAC-SHA256 */

typedef struct ntf_keys ntf_keys;

bool ntf_kid_valid(const char *kid);
/* Every key file in dir; NULL with err when a file is unsafe or bad,
 * or when there is no key at all. */
ntf_keys *ntf_keys_load(const char *dir, sg_buf *err);
void ntf_keys_free(ntf_keys *keys);
size_t ntf_keys_count(const ntf_keys *keys);
const char *ntf_keys_signing_kid(const ntf_keys *keys);
/* HMAC-SHA256 of msg with key kid; -1 when kid is not loaded. */
int ntf_keys_hmac(const ntf_keys *keys, const char *kid, const void *msg,
		  size_t len, uint8_t mac[NTF_MAC_LEN]);
/* A new key of 32 bytes from getrandom(2) in dir (created 0700 when
 * missing), named by the UTC time; 0, or -1 with err. */
int ntf_keygen(const char *dir, char kid_out[NTF_KID_MAX + 1], sg_buf *err);

/* A hold's preview sealed for the store (ntf_pvseal.c): AES-256-GCM under
 * a key derived from the signing key, bound to the hold id. ntf_pv_seal
 * appends "p1.KID.NONCE.CT" to out: 0, or -1 (no key, no randomness).
 * ntf_pv_unseal appends the plain text: 0, or -1 (malformed, key gone,
 * altered). */
int ntf_pv_seal(const ntf_keys *keys, const char *hold_id, const void *data,
	     size_t len, sg_buf *out);
int ntf_pv_unseal(const ntf_keys *keys, const char *hold_id, const char *sealed,
	       sg_buf *out);

/* --------------------------------------------------------- encodings */

/* base64url without padding (RFC 4648 section 5). */
void ntf_b64url_encode(const void *data, size_t len, sg_buf *out);
/* Strict: url alphabet, no padding, no stray bits; -1 when malformed. */
int ntf_b64url_decode(const char *s, size_t len, sg_buf *out);
/* Standard base64; line_len 0 = one line, else lines of line_len
 * characters, each ended by "\n". */
void ntf_b64_encode(const void *data, size_t len, size_t line_len, sg_buf *out);
/* Either alphabet, padding optional, white space ignored. */
int ntf_b64_decode_lenient(const char *s, size_t len, sg_buf *out);
/* Constant-time equality of two equal-length byte strings. */
bool ntf_mem_eq(const void *a, const void *b, size_t n);

/* ------------------------------------------------------- notice MAC */

#define NTF_NONCE_MAX	64

typedef enum {
	NTF_VERIFY_OK,
	NTF_VERIFY_FORMAT,	/* not "v=1; kid=..; n=..; mac=.." */
	NTF_VERIFY_UNKNOWN_KID,	/* signed with a key we do not have */
	NTF_VERIFY_BAD_MAC,	/* body, recipients, headers or nonce differ */
	NTF_VERIFY_STALE	/* genuine, but its Date is outside the window */
} ntf_verify_result;

const char *ntf_verify_name(ntf_verify_result r);
/* Appends the header value (without "X-Sendguard-Notice:"). head is
 * the notice's header block as it will be sent (LF or CRLF lines,
 * folding allowed, up to its empty line or its end; without the
 * X-Sendguard-Notice field itself); it must hold exactly one Date in
 * RFC 5322 form. -1 when it does not, or a recipient holds a line
 * break. */
int ntf_notice_sign(const ntf_keys *keys, const char *head, size_t headlen,
		    const void *body, size_t bodylen,
		    const char *const *rcpts, size_t nrcpts, sg_buf *header_value);
/* head: the header block as received (libmilter's fields joined as
 * "Name: value" CRLF lines is fine). A notice whose MAC verifies but
 * whose Date is older than max_age seconds before now, or more than
 * 15 minutes after it, is NTF_VERIFY_STALE. nonce_out (may be NULL)
 * receives the nonce when the format is valid, for the milter's replay
 * check; act on it only after NTF_VERIFY_OK. */
ntf_verify_result ntf_notice_verify(const ntf_keys *keys, const char *header_value,
				    const char *head, size_t headlen,
				    const void *body, size_t bodylen,
				    const char *const *rcpts, size_t nrcpts,
				    time_t now, long max_age,
				    char nonce_out[NTF_NONCE_MAX + 1]);
/* An RFC 5322 date-time (obsolete zone names too) in seconds since the
 * epoch, or -1. */
time_t ntf_notice_date(const char *value);

/* ------------------------------------------------------- web tokens */

#define NTF_TOKEN_ANY_HOLD	"*"	/* the per-person list token */
#define NTF_HOLD_ID_MAX		64
#define NTF_PERSON_MAX		254

typedef enum {
	NTF_TOKEN_OK,
	NTF_TOKEN_MALFORMED,
	NTF_TOKEN_UNKNOWN_KID,
	NTF_TOKEN_BAD_MAC,
	NTF_TOKEN_EXPIRED
} ntf_token_result;

const char *ntf_token_result_name(ntf_token_result r);
bool ntf_hold_id_valid(const char *hold_id);
/* -1 (err) when hold_id or person is not acceptable. */
int ntf_token_make(const ntf_keys *keys, const char *hold_id, const char *person,
		   time_t expiry, sg_buf *out, sg_buf *err);
/* hold_out, person_out (appended) and expiry_out may be NULL; they are
 * filled only for NTF_TOKEN_OK. The caller still checks that the hold
 * is the one asked for and that the person may act on it. */
ntf_token_result ntf_token_verify(const ntf_keys *keys, const char *token, time_t now,
				  sg_buf *hold_out, sg_buf *person_out,
				  time_t *expiry_out);

/* -------------------------------------------------------- approvers */

typedef struct ntf_strv {
	char **v;
	size_t n, cap;
} ntf_strv;

void ntf_strv_init(ntf_strv *sv);
void ntf_strv_free(ntf_strv *sv);
void ntf_strv_add(ntf_strv *sv, const char *s);

/* The categories of ARCHITECTURE.md (private-recipient included) and
 * "classified-3". */
bool ntf_category_valid(const char *name);
/* Start-up check of [approvers]: 0, or -1 with
 * "FILE:LINE: [approvers] KEY: what is wrong". */
int ntf_approvers_check(const sg_conf *conf, sg_buf *err);
/* Fills out (appends, de-duplicated) and returns its count; from_addr
 * and auth_login may be NULL. See DESCRIPTION for the order. */
size_t ntf_approvers_for(const sg_conf *conf, const char *sender,
			 const char *from_addr, const char *auth_login,
			 const char *const *categories, size_t ncat, ntf_strv *out);
/* Issue 18: approvals a hold of these categories needs (the largest
 * [approval] required_<category>, at least [approval] required), and
 * its escalation address (escalate_<category> of the first category
 * in category_order that has one, else escalate_to; NULL: none). */
unsigned ntf_required_for(const sg_conf *conf, const char *const *cats, size_t ncat);
const char *ntf_escalation_for(const sg_conf *conf, const char *const *cats,
			       size_t ncat);

/* The same, from [approval] and [approvers] resolved once (issue 21):
 * the milter keeps one ntf_routing per configuration (mlt_settings),
 * so that a held mail looks no option up by name. The conf functions
 * above resolve one for the call. The routing points into conf, which
 * must outlive it. */
#define NTF_NCATEGORIES 8	/* ntf_category_valid()'s names */
typedef struct ntf_routing {
	const sg_conf *conf;
	long long required;			/* [approval] required */
	long long required_cat[NTF_NCATEGORIES];	/* required_<category> */
	const char *escalate_to;		/* "" when none */
	const char *escalate_cat[NTF_NCATEGORIES];	/* escalate_<category> */
	int *order;		/* category_order as the categories tried */
	size_t norder;
	const sg_conf_entry *def;	/* [approvers] default, or NULL */
	const sg_conf_entry *category[NTF_NCATEGORIES];	/* category:NAME */
	const sg_conf_entry **globs;	/* the sender globs, in file order */
	size_t nglobs;
	const char *delims;	/* [policy] recipient_delimiter */
} ntf_routing;

void ntf_routing_init(ntf_routing *r, const sg_conf *conf);
void ntf_routing_free(ntf_routing *r);
size_t ntf_route_approvers(const ntf_routing *r, const char *sender,
			   const char *from_addr, const char *auth_login,
			   const char *const *categories, size_t ncat, ntf_strv *out);
unsigned ntf_route_required(const ntf_routing *r, const char *const *cats, size_t ncat);
const char *ntf_route_escalation(const ntf_routing *r, const char *const *cats,
				 size_t ncat);

/* ------------------------------------------------------- hold view */

typedef struct ntf_rcpt_view {
	char *addr;
	bool external;
	char *name;		/* display name the mail gives it, or NULL */
} ntf_rcpt_view;

typedef struct ntf_finding_view {
	char *category;		/* e.g. "personal-data" */
	char *rule;
	char *label_ja, *label_en;
	char *where;		/* never masked */
	unsigned long count;
	char *evidence;		/* masked; "" when none */
} ntf_finding_view;

typedef struct ntf_attachment_view {
	char *name;		/* decoded name, "" when none */
	char *type;		/* by content */
	unsigned long long size;
	bool encrypted;
	char *note;		/* e.g. "names hidden", or NULL */
	char *path;		/* inventory path ("2", "2:a/b.xlsx"), or NULL */
	char *where;		/* display path, as findings name it, or NULL */
	struct ntf_attachment_view *entries;	/* archive entries */
	size_t nentries;
} ntf_attachment_view;

/* Everything a notice shows, as plain owned strings (free() each; use
 * ntf_view_free). Independent of eng_result so that the workflow can
 * fill it from the store. NULL strings print as empty. */
typedef struct ntf_hold_view {
	char *hold_id;		/* NULL for a rejection (nothing held) */
	char *queue_id;
	char *sender;		/* canonical sender (lower-case) */
	char *sender_name;	/* display name the mail gives it, or NULL */
	char *from;		/* From address */
	char *auth_login;
	char *subject;		/* decoded, UTF-8 */
	ntf_rcpt_view *rcpts;
	size_t nrcpts;
	char **categories;	/* present categories; "classified-3" for a
				 * class-3 marking */
	size_t ncategories;
	ntf_finding_view *findings;
	size_t nfindings;
	ntf_attachment_view *atts;
	size_t natts;
	char **approvers;	/* who was asked */
	size_t napprovers;
	unsigned long long size;
	time_t created, expires;	/* 0: unknown */
	/* Outcome notices (issue 7). */
	char *decided_by;
	time_t decided_at;
	time_t release_at;	/* delayed send: when it leaves; 0: none */
	char *comment;
} ntf_hold_view;

void ntf_view_init(ntf_hold_view *v);
void ntf_view_free(ntf_hold_view *v);
void ntf_view_add_category(ntf_hold_view *v, const char *cat);	/* once each */
void ntf_view_add_approver(ntf_hold_view *v, const char *addr);

/* ntf_view.c: from the milter's scan (engine/eng.h types, declared
 * there; this header does not include it). The caller sets what the
 * scan does not know: v->size, v->approvers (ntf_approvers_for), and
 * v->sender when its rule differs (ntf_view.c). */
struct eng_result;
struct eng_envelope;
void ntf_view_from_result(ntf_hold_view *v, const struct eng_result *res,
			  const struct eng_envelope *env, const sg_conf *conf,
			  const char *hold_id, const char *queue_id,
			  time_t created, time_t expires);

/* -------------------------------------------------------- templates */

typedef enum {
	NTF_HOLD_SENDER,	/* held: to the sender */
	NTF_APPROVAL_REQUEST,	/* held: to each approver */
	NTF_APPROVAL_REMINDER,	/* half-time reminder to approvers (issue 7) */
	NTF_REJECT_SENDER,	/* rejected at once (class 3): to the sender */
	NTF_APPROVED_SENDER,	/* outcomes (issue 7) */
	NTF_REJECTED_SENDER,
	NTF_EXPIRED_SENDER,
	NTF_WITHDRAWN_SENDER,
	NTF_DELAY_SENDER,	/* delayed send (issue 19): send now / cancel */
	NTF_SENT_SENDER,	/* delayed send: it has left ([notify] notify_sent) */
	NTF_DECIDED_APPROVER,	/* issue 18: decided by another approver */
	NTF_ESCALATION,		/* issue 18: nobody decided: [approval] escalate_* */
	NTF_KIND_COUNT
} ntf_kind;

const char *ntf_kind_name(ntf_kind kind);	/* template file name stem */
int ntf_kind_parse(const char *name, ntf_kind *out);	/* 0 or -1 */

extern const char *const ntf_var_names[];
extern const size_t ntf_nvar_names;

typedef struct ntf_var {
	const char *name;
	const char *value;
} ntf_var;

typedef struct ntf_template ntf_template;

/* name is used in messages ("FILE:LINE: ..."). */
ntf_template *ntf_template_parse(const char *name, const char *text, size_t len,
				 sg_buf *err);
ntf_template *ntf_template_load(const char *path, sg_buf *err);
void ntf_template_free(ntf_template *t);
/* Appends the rendered subject (one line) and body; names missing
 * from vars render empty. -1 when an output buffer is full. */
int ntf_template_render(const ntf_template *t, const ntf_var *vars, size_t nvars,
			sg_buf *subject, sg_buf *body);

/* ---------------------------------------------------------- notices */

typedef struct ntf_ctx ntf_ctx;

/* Loads every template of [notify] templates ({ja,en}/KIND.txt),
 * checks [approvers], and keeps from/base_url/sendmail. keys is
 * borrowed and must outlive the context. NULL with err. */
ntf_ctx *ntf_ctx_new(const sg_conf *conf, const ntf_keys *keys, sg_buf *err);
void ntf_ctx_free(ntf_ctx *ctx);
const char *ntf_ctx_from(const ntf_ctx *ctx);
/* [notify] from, else sendguard@ the first internal domain; the
 * caller frees it. */
char *ntf_from_address(const sg_conf *conf);
const char *ntf_ctx_sendmail(const ntf_ctx *ctx);
const char *ntf_ctx_base_url(const ntf_ctx *ctx);	/* without a trailing '/' */
const ntf_keys *ntf_ctx_keys(const ntf_ctx *ctx);
const char *ntf_ctx_zone(const ntf_ctx *ctx);	/* [policy] timezone */

/* The template variables for one language ("ja" or "en") and one
 * person; each value is owned by vals (ntf_strv, parallel to
 * ntf_var_names). Exposed for the web page and for tests. */
void ntf_view_values(const ntf_ctx *ctx, const ntf_hold_view *v, const char *lang,
		     const char *person, time_t now, ntf_strv *vals);

/* One complete message to `to` (envelope and header recipient); 0, or
 * -1 with err (bad address, output too big). */
int ntf_build_message(const ntf_ctx *ctx, ntf_kind kind, const ntf_hold_view *v,
		      const char *to, time_t now, sg_buf *out, sg_buf *err);

/* The outbox form of a notice (issue 16): head (header lines, LF
 * ends, without Date and X-Sendguard-Notice) and body (base64 lines),
 * appended. msgid: the Message-ID ("<...>") to use, or empty: a new
 * one is appended to it. 0, or -1 with err. */
int ntf_build_notice(const ntf_ctx *ctx, ntf_kind kind, const ntf_hold_view *v,
		     const char *to, time_t now, sg_buf *head, sg_buf *body,
		     sg_buf *msgid, sg_buf *err);
/* A notice whose text the caller wrote (UTF-8, LF line ends), in the
 * outbox form of ntf_build_notice: `gateway retire` tells the
 * administrators. 0, or -1 with err. */
int ntf_build_text_notice(const ntf_ctx *ctx, const char *to, const char *subject,
			  const char *text, sg_buf *head, sg_buf *body, sg_buf *msgid,
			  sg_buf *err);
/* A new Message-ID ("<time.random.sendguard@domain of from>"). */
void ntf_message_id_new(const ntf_ctx *ctx, sg_buf *out);
/* The same for a From address, without a context (the web page). */
void ntf_message_id(const char *from, sg_buf *out);
/* The message as sent at `now`: head, Date, the signed
 * X-Sendguard-Notice for `to`, an empty line, body. -1 (err) for an
 * empty head or body: an empty notice is never sent. */
int ntf_seal(const ntf_keys *keys, const char *head, const char *body,
	     const char *to, time_t now, sg_buf *out, sg_buf *err);

/* RFC 5322 date ("Mon, 23 Nov 2026 10:00:00 +0900") and ISO 8601
 * ("2026-11-23T10:00:00+09:00") in local time. */
void ntf_date_rfc5322(time_t t, sg_buf *out);
void ntf_date_iso8601(time_t t, sg_buf *out);
/* Subject as RFC 2047 B encoded words of UTF-8, folded so that every
 * line stays under 76 characters (first line after "Subject: "). */
void ntf_encode_subject(const char *utf8, sg_buf *out);

/* ------------------------------------------------------- submission */

typedef enum {
	NTF_SUBMIT_OK,
	NTF_SUBMIT_USAGE,	/* bad command line or address */
	NTF_SUBMIT_EXEC,	/* could not start the command */
	NTF_SUBMIT_TIMEOUT,	/* killed after timeout_s */
	NTF_SUBMIT_STATUS	/* exited non-zero or by a signal */
} ntf_submit_result;

#define NTF_SUBMIT_MAX_WORDS 64

/* Runs command + `-f FROM -i -- RCPT...`, writes the message to its
 * stdin, waits at most timeout_s seconds (then kills its process
 * group). Safe against SIGPIPE; safe in a threaded process (posix_spawn).
 * *status_out (may be NULL): the exit status, or -1. */
ntf_submit_result ntf_submit(const char *command, const char *envelope_from,
			     const char *const *rcpts, size_t nrcpts,
			     const void *message, size_t len, int timeout_s,
			     int *status_out, sg_buf *err);

/* ntf_smtp.c: one kept SMTP connection ([notify] smtp). hostport is
 * HOST:PORT, [IPv6]:PORT or an absolute unix socket path; timeout_s
 * bounds each read and write. NULL with err for a bad form. */
typedef struct ntf_smtp ntf_smtp;

ntf_smtp *ntf_smtp_new(const char *hostport, const char *helo, int timeout_s,
		       sg_buf *err);
/* One message to one recipient. *permanent: the server answered 5xx,
 * or the address is unusable (retrying will not help). */
ntf_submit_result ntf_smtp_send(ntf_smtp *c, const char *from, const char *rcpt,
				const void *message, size_t len, bool *permanent,
				sg_buf *err);
void ntf_smtp_close(ntf_smtp *c);	/* QUIT; the next send reconnects */
void ntf_smtp_free(ntf_smtp *c);	/* NULL is fine; no QUIT */

/* ntf_words.c: the words people read (issue 18 item 6). */
/* A person as people read them: 山田 太郎 <yamada@example.lg.jp> when
 * the mail gives a display name, else the address alone. */
void ntf_person(const char *addr, const char *name, sg_buf *out);
/* 個人情報 / personal data for a category name (the name itself when
 * unknown). */
const char *ntf_category_label(const char *cat, bool ja);
/* A finding's or body part's `where` for people: 本文, 件名, 宛先 (To),
 * 添付ファイル「a.zip/b.xlsx」, 添付ファイル「fwd.eml」の本文. */
void ntf_where_text(const char *where, bool ja, sg_buf *out);
/* Whether `where` is inside an attachment (not the body or a header
 * of the message itself). */
bool ntf_where_is_attachment(const char *where);
/* Excel ブック / Excel workbook for a MIME type found from the content
 * (the type itself when unknown). */
const char *ntf_type_label(const char *mime, bool ja);
/* Whether a finding's evidence is a file type (application/pdf, as the
 * attachment findings give it) rather than masked text: shown as
 * 種類 / type in words (ntf_type_label), not as 伏せ字. */
bool ntf_evidence_is_type(const char *ev);
/* The one word for masked evidence. */
#define NTF_MASKED_JA "伏せ字"
#define NTF_MASKED_EN "masked"

#endif
