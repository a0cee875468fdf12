/*
 * NAME
 *	eng - the sendguard scanning engine (public interface)
 * SYNOPSIS
 *	#include "engine/eng.h"
 * DESCRIPTION
 *	A pure library: it reads a message from memory and says what the
 *	policy (POLICY.md) decides. It knows nothing of libmilter, SQLite,
 *	sockets or processes (what must run in a process of its own, the
 *	PDF reader, is given to it by the caller: eng_engine_set_pdf_reader);
 *	`sendguardctl check` and the milter call eng_scan() on the same
 *	bytes and get the same findings.
 *
 *	eng_engine_new() loads the rule files named by the configuration
 *	and keeps a copy of every setting it needs; the engine is then
 *	read-only and may be shared by threads (a reload builds a new one).
 *
 *	eng_scan() fills `res`. It fails closed: whatever cannot be read
 *	(limits, parse errors, time) becomes a scan-limit finding, never a
 *	silent accept.
 * DIAGNOSTICS
 *	eng_engine_new() returns NULL with err naming the file, line and
 *	rule. eng_scan() returns 0, or -1 for an internal error (the
 *	message could not be examined at all; callers apply their failure
 *	action).
 */
#ifndef ENG_H
#define ENG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/sg_buf.h"
#include "util/sg_conf.h"

typedef enum {
	ENG_CAT_UNENCRYPTED,
	ENG_CAT_PERSONAL,
	ENG_CAT_EXPOSED,
	ENG_CAT_DANGEROUS,
	ENG_CAT_CLASSIFIED,
	ENG_CAT_SCANLIMIT,
	ENG_CAT_PRIVATE,	/* private-recipient (issue 19) */
	ENG_CAT_COUNT
} eng_category;

/* Ordered by strength: the verdict is the strongest action. */
typedef enum {
	ENG_ACT_ACCEPT,
	ENG_ACT_LOG,
	ENG_ACT_BCC,
	ENG_ACT_HOLD,
	ENG_ACT_REJECT
} eng_action;

/* Rule ids travel into SMTP replies, log lines and notice headers:
 * ASCII letters, digits, '-', '_', '.' and ':', at most this many bytes
 * (checked when the rule files load, see eng_rule_id_problem). */
#define ENG_RULE_ID_MAX 64

typedef struct eng_finding {
	eng_category cat;
	char *rule;		/* rule id, e.g. "class-3" */
	char *label_ja;
	char *label_en;
	char *where;		/* never masked: body, header:Subject, a.zip/b.xls */
	unsigned long count;
	char *evidence;		/* masked */
	eng_action action;
	bool class3;		/* a marking whose action key is classified-3:
				 * the hold's sub-category "classified-3" */
} eng_finding;

typedef struct eng_attachment {
	char *path;		/* MIME path, "2" or "2.1"; archive entries: "2:dir/x" */
	char *name;		/* decoded file name, UTF-8, "" when none */
	char *where;		/* display path: "fwd.eml/report.xlsx" */
	char *type;		/* type by content when known, else declared */
	char *declared_type;	/* Content-Type as declared, lower-case */
	char *charset;		/* its charset parameter, or NULL: a text
				 * file is decoded by it (eng_content) */
	unsigned long long size;/* decoded bytes */
	bool encrypted;
	char *disposition;	/* "attachment", "inline" or "" */
	char *content_id;	/* without <>, or NULL */
	char *note;		/* e.g. "names hidden" (7z with encrypted
				 * headers), or NULL */
	struct eng_attachment *entries;	/* archive entries */
	size_t nentries;
} eng_attachment;

/* Something a person may want to know that is no finding: a stray
 * undecodable byte in a body part ("where" as in findings). */
typedef struct eng_note {
	char *where;
	char *text;
} eng_note;

typedef struct eng_envelope {
	const char *mail_from;		/* may be NULL */
	const char *const *rcpts;	/* envelope recipients as given
					 * (RCPT TO argument); may be empty */
	size_t nrcpts;
	const char *auth_login;		/* may be NULL */
	/* Parallel to rcpts: the address the MTA resolved each one to
	 * (Postfix's {rcpt_addr}), an entry NULL when unknown; the array
	 * NULL when none is known (sendguardctl check). */
	const char *const *rcpts_resolved;
} eng_envelope;

/* A display name the message gives an address in From, To or Cc
 * (issue 18 item 6: people are named as the mail names them). */
typedef struct eng_name {
	char *addr;		/* lower-case, as compared */
	char *display;		/* decoded, controls and <>" removed, bounded */
} eng_name;

typedef struct eng_result {
	eng_action verdict;
	bool monitor;		/* mode = monitor: report, never act */
	bool outbound;		/* at least one external recipient */
	bool bcc_rewrite;	/* exposed-recipients with action bcc */
	bool encrypted_whole;	/* S/MIME enveloped or PGP/MIME: not inspected */
	char *subject;		/* decoded Subject, UTF-8, or NULL */
	char *from;		/* From addresses ("a@x, b@y"), or NULL */
	eng_name *names;	/* display names of From, To and Cc mailboxes */
	size_t nnames;
	char *group;		/* the sender group whose settings applied,
				 * "" for the defaults */
	long delay;		/* seconds the mail waits before it leaves
				 * (delayed send, [hold] delay; issue 19):
				 * only for outbound mail whose verdict is
				 * accept, log or bcc; 0: none */
	eng_finding *findings;
	size_t nfindings, capf;
	eng_attachment *atts;
	size_t natts, capa;
	eng_note *notes;	/* JSON "notes"; bounded */
	size_t nnotes, capn;
} eng_result;

typedef struct eng_engine eng_engine;

eng_engine *eng_engine_new(const sg_conf *conf, sg_buf *err);
void eng_engine_free(eng_engine *eng);

void eng_result_init(eng_result *res);
void eng_result_free(eng_result *res);
int eng_scan(const eng_engine *eng, const eng_envelope *env,
	     const void *msg, size_t len, eng_result *res);

/* Sender groups (issue 19, README "Sender groups"). The group of a
 * sender: the first [group.NAME], in file order, whose senders match
 * the canonical envelope sender and, with SMTP AUTH, the login too;
 * never NULL (the defaults when none matches). The milter picks it at
 * MAIL FROM and passes it to eng_scan_group(); eng_scan() picks it
 * from env the same way, so `sendguardctl check --from` and the milter
 * agree. */
typedef struct eng_group eng_group;
const eng_group *eng_group_for(const eng_engine *eng, const char *mail_from,
			       const char *auth_login);
const char *eng_group_name(const eng_group *g);	/* "" for the defaults */
int eng_scan_group(const eng_engine *eng, const eng_group *group,
		   const eng_envelope *env, const void *msg, size_t len,
		   eng_result *res);

const char *eng_category_name(eng_category cat);
const char *eng_action_name(eng_action act);
/* Japanese name of an action, for notices and the human output. */
const char *eng_action_label_ja(eng_action act);

/* Whether an address as given (a header's, or the RCPT argument) is
 * internal: sg_addr_internal() against internal_domains (no '%', '!'
 * or '@' in the de-quoted local part, source route removed). */
bool eng_addr_is_internal(const eng_engine *eng, const char *addr);
/* An envelope recipient: internal only when the address as given is
 * (above) and the address the MTA resolved it to (NULL or "": not
 * known), has an internal domain. Postfix rewrites user%gmail.com@ours
 * to user@gmail.com when ours is in mydestination; {rcpt_addr} shows
 * it, the given form shows what a relaying MTA further on may do. */
bool eng_rcpt_is_internal(const eng_engine *eng, const char *given,
			  const char *resolved);

/* The Bcc rewrite of one To or Cc value: only the internal addresses
 * stay (display names dropped). Returns 1 and sets out when the value
 * must change: out is "undisclosed-recipients:;" for a To with no
 * internal address left, "" for a Cc with none (delete the header). */
int eng_bcc_rewrite(const eng_engine *eng, const char *raw, bool is_to,
		    sg_buf *out);

/*
 * PDF text. The engine does not run a PDF reader: poppler cannot be
 * cancelled inside a page and a crash in it must not end the scanning
 * process, so the text is read by processes the caller runs (the
 * milter and sendguardctl use milter/pdfpool, pdp.h). The caller gives
 * the engine a reader (eng_engine_set_pdf_reader, before the engine is
 * shared); without one a readable PDF is a scan-limit finding
 * (pdf-extractor), never an accept of what was not read.
 *
 * The engine calls read(reader, ...) once per PDF, from any scanning
 * thread, with the limits below and the scan's deadline (until,
 * CLOCK_MONOTONIC): waiting for a free reader counts against until,
 * the reading itself has lim->seconds more, within until. The reader calls page() for each page read, in
 * order (1-based; images: the page draws images and has no text), and
 * stops when page() returns -1; then it fills `out`. The engine checks
 * the pages against the limits it asked for and reports every cut
 * (eng_pdftext.c): pdf-pages, pdf-text-size, pdf-unreadable,
 * pdf-timeout, pdf-crash, pdf-extractor.
 */
typedef struct eng_pdf_limits {
	size_t max_text;	/* bytes of page text, all pages together */
	size_t max_memory;	/* address space of the reading, bytes */
	unsigned max_pages;	/* pages read at most */
	unsigned seconds;	/* wall and CPU time of the reading */
} eng_pdf_limits;

typedef enum {
	ENG_PDF_READ_ALL,	/* every page read */
	ENG_PDF_READ_PAGES,	/* cut after max_pages pages */
	ENG_PDF_READ_TEXT,	/* cut at max_text bytes */
	ENG_PDF_READ_UNREADABLE,	/* the reader could not open it */
	ENG_PDF_READ_PASSWORD,	/* it needs a user password after all */
	ENG_PDF_READ_TIMEOUT,	/* deadline or CPU limit passed */
	ENG_PDF_READ_CRASH,	/* the reader died or broke its protocol */
	ENG_PDF_READ_NONE	/* no reader could take it in time */
} eng_pdf_end;

typedef struct eng_pdf_outcome {
	eng_pdf_end end;
	unsigned npages;	/* the document's page count, if known */
	char detail[640];	/* for people: the evidence of a cut */
} eng_pdf_outcome;

typedef int (*eng_pdf_page_fn)(void *arg, unsigned page, const char *text,
			       size_t len, bool images);
typedef void (*eng_pdf_read_fn)(void *reader, const unsigned char *pdf, size_t len,
				const eng_pdf_limits *lim,
				const struct timespec *until,
				eng_pdf_page_fn page, void *arg,
				eng_pdf_outcome *out);

void eng_engine_set_pdf_reader(eng_engine *eng, eng_pdf_read_fn read,
			       void *reader);

/* Output for `sendguardctl check` (and logs): JSON per the contract,
 * and a human-readable Japanese/English form. */
void eng_result_json(const eng_result *res, sg_buf *out);
/* Its "findings" and "attachments" arrays alone, as a hold stores them. */
void eng_findings_json(const eng_result *res, sg_buf *out);
void eng_attachments_json(const eng_result *res, sg_buf *out);
/* [{"addr":..,"name":..}], the display names, as a hold stores them. */
void eng_names_json(const eng_result *res, sg_buf *out);
/* The display name the message gives addr (case-insensitive), or NULL. */
const char *eng_name_of(const eng_result *res, const char *addr);
void eng_result_text(const eng_result *res, sg_buf *out);

/* A bounded preview of the message for its approvers, as JSON
 * (eng_preview.c): headers as written, Bcc, body text up to body_max
 * bytes, first rows of spreadsheets and CSV, PDF page counts. 0, or -1
 * when the message could not be parsed (json still filled). */
int eng_preview(const eng_engine *eng, const eng_envelope *env, const void *msg,
		size_t len, size_t body_max, sg_buf *json);
/* One attachment or archive entry by inventory path, for a download
 * (eng_preview.c). The sink is called at most once, during the walk,
 * with the file's decoded name, whether it is dangerous by content (its
 * own type, or an entry inside it) and its decoded bytes, which stay
 * the walk's: the sink sends them on, it does not keep them. 1 the
 * sink was called, 0 no such file, -1 the message does not parse or
 * the file has no bytes to give (an encrypted archive entry). */
typedef void (*eng_extract_sink)(void *arg, const char *name, bool danger,
				 const unsigned char *data, size_t len);
int eng_extract(const eng_engine *eng, const void *msg, size_t len,
		const char *path, eng_extract_sink sink, void *arg);

#endif
