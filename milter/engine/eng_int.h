/*
 * NAME
 *	eng_int - what the engine's modules share, and nobody else sees
 * DESCRIPTION
 *	The loaded engine (settings copied out of the configuration, and
 *	the compiled rules) and the per-scan context. Nothing here is for
 *	the milter or sendguardctl: they use eng.h.
 */
#ifndef ENG_INT_H
#define ENG_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <time.h>

#include "engine/eng.h"

/* A classification marking rule (rules/classification). */
typedef struct eng_marking {
	char *id;
	char *label_ja;
	char *label_en;
	eng_action action;
	bool class3;		/* action = classified-3 in the rule file */
	bool trusted_exempt;	/* allowed when every external rcpt is trusted */
	pcre2_code *re;
	/* context = mention: the rule of mentions in running text
	 * (classification-mention); no pattern of its own, its contexts
	 * tell a label from a mention (eng_mark.c) */
	bool mention;
	bool always;		/* context = always: every match is a label (極秘) */
	pcre2_code *label_before, *label_after, *mention_after;
	/* the marking named as a sign (と表示された, の印がある): a mention
	 * even in brackets; anchored after it or after its closing bracket */
	pcre2_code *sign_after;
} eng_marking;

/* A personal-data detector (rules/personal-data); see eng_pd.h. */
typedef struct eng_pd_rule eng_pd_rule;

typedef struct eng_limits {
	size_t message_size;
	unsigned mime_depth;
	unsigned parts;
	size_t header_size;
	size_t addresses;
	size_t text_size;
	unsigned scan_timeout;	/* seconds */
	unsigned archive_depth;	/* archives inside archives */
	size_t archive_entries;	/* entries of all archives of a message */
	size_t expanded_size;	/* bytes read out of all archives */
	unsigned expansion_ratio;	/* bytes out per byte in, one archive */
	unsigned pdf_pages;	/* pages of one PDF read */
	unsigned pdf_timeout;	/* seconds (wall and CPU) for one PDF */
	unsigned long long pdf_memory;	/* RLIMIT_AS of the PDF worker */
	unsigned undecodable_pct;	/* max_undecodable: share of a text's */
	size_t undecodable_bytes;	/* bytes, and bytes, both exceeded */
} eng_limits;

/* What a sender group ([group.NAME], issue 19) may set: the scan
 * options and the actions of the policy step. */
typedef struct eng_settings {
	char **trusted;
	size_t ntrusted;
	eng_action actions[ENG_CAT_COUNT];
	eng_action action_class3;
	long min_parties;
	long max_visible;
	eng_limits lim;
	int pd_min_conf;
	long delay;		/* [hold] delay, seconds; 0: off */
} eng_settings;

struct eng_group {
	char *name;		/* "" for the defaults */
	char **senders;		/* globs (sg_addr_sender_in) */
	size_t nsenders;
	eng_settings set;
};

/* The engine as loaded holds the defaults in the fields below; a scan
 * runs on a copy of it with the fields of eng_settings replaced by
 * the sender group's (eng_group_view), so the detectors read the
 * group's limits and min_confidence as ctx->eng->... without knowing
 * about groups. The actions are the policy step's alone
 * (eng_policy_decide): what a detector passes to eng_add_finding is
 * replaced there. */
struct eng_engine {
	char **internal;
	size_t ninternal;
	char **trusted;
	size_t ntrusted;
	bool monitor;
	eng_action actions[ENG_CAT_COUNT];
	eng_action action_class3;
	long min_parties;
	long max_visible;
	eng_limits lim;
	long delay;		/* [hold] delay of the view's group */
	eng_group defaults;	/* settings for senders in no group */
	eng_group *groups;	/* [group.NAME], file order */
	size_t ngroups;
	char *delims;		/* [policy] recipient_delimiter */
	char **consumer;	/* rules/consumer-domains */
	size_t nconsumer;
	eng_marking *marks;	/* rules/classification */
	size_t nmarks;
	eng_pd_rule *pd;	/* rules/personal-data */
	size_t npd;
	int pd_min_conf;	/* [personal_data] min_confidence */
	char **surnames;	/* rules/surnames, sorted (eng_pd_person.c) */
	size_t nsurnames;
	pcre2_match_context *mctx;	/* match, depth and heap limits of
					 * every pattern (eng_rules.c) */
	char **dangerous_ext;	/* rules/dangerous-extensions, lower-case */
	size_t ndangerous_ext;
	eng_pdf_read_fn pdf_read;	/* PDF text (eng.h), or NULL */
	void *pdf_reader;	/* its argument, not owned */
};

typedef struct eng_ctx {
	const eng_engine *eng;
	eng_result *res;
	struct timespec deadline;
	unsigned nparts;
	bool timed_out;
	bool all_external_trusted;	/* every external recipient trusted */
	bool inspect;			/* outbound: run the content rules */
	char **cid_refs;		/* "cid:" references of HTML bodies */
	size_t ncid_refs;
	struct eng_attach_state *attach;	/* eng_attach.c's, per scan */
	size_t arch_entries;		/* archive entries seen so far */
	unsigned long long arch_expanded;	/* bytes read out of archives */
	bool arch_bomb;			/* a bomb limit hit: open no more */
	struct eng_pv *pv;		/* eng_preview()'s collector, or NULL */
	bool has_attachment;		/* a top-level attachment that is not
					 * exempt (logo, calendar, signature) */
	const struct eng_walk_cb *walk_cb;	/* eng_mime_walk's, for MIME
						 * found inside files */
} eng_ctx;

/* eng_preview.c: the walk's hooks while a preview is built (ctx->pv
 * set): a body part's text as written (html: rendered from HTML), and
 * one file (attachment or archive entry) with its type by content. */
typedef struct eng_pv eng_pv;
void eng_pv_text(eng_ctx *ctx, const char *where, const char *text, size_t len,
		 bool html);
void eng_pv_file(eng_ctx *ctx, const eng_attachment *node, int ftype,
		 const unsigned char *data, size_t len);

/* Bounds the cid: references kept from HTML bodies. */
#define ENG_MAX_CID_REFS 1000

/* eng_result.c */
eng_finding *eng_add_finding(eng_result *res, eng_category cat,
			     const char *rule, const char *label_ja,
			     const char *label_en, const char *where,
			     unsigned long count, const char *evidence,
			     eng_action action);
eng_attachment *eng_add_attachment(eng_result *res);
void eng_result_drop_findings(eng_result *res);
/* Replaces control characters in every string of the result (names,
 * places, evidence, subject): called once when the scan ends. */
void eng_result_clean(eng_result *res);
/* The cleaning of one owned string (s freed when replaced). */
char *eng_clean_str(char *s);
void eng_scan_limit(eng_ctx *ctx, const char *rule, const char *label_ja,
		    const char *label_en, const char *where,
		    const char *evidence);

/* eng_policy.c: the policy step. Sets every finding's action from its
 * category (classified-3 for a class-3 marking) in the settings of
 * `view` (the sender group's), and the verdict and Bcc rewrite from
 * them. */
void eng_policy_decide(const eng_engine *view, eng_result *res);
/* `view` = eng with the group's settings (shallow: shares eng's rules). */
void eng_group_view(const eng_engine *eng, const eng_group *g, eng_engine *view);
/* Text of `len` input bytes at `where` whose best decoding (charset:
 * the kept one, for people) replaced `replaced` bytes: past
 * [limits] max_undecodable a scan-limit finding, else a note. */
void eng_undecodable(eng_ctx *ctx, const char *where, const char *charset,
		     size_t replaced, size_t len);
/* An inventory note on the result (bounded; for people, never policy). */
void eng_add_note(eng_result *res, const char *where, const char *note);

/* eng_rules.c: why a rule id is refused (ENG_RULE_ID_MAX), or NULL */
const char *eng_rule_id_problem(const char *id);

/* eng_scan.c */
bool eng_deadline_passed(eng_ctx *ctx);
bool eng_domain_internal(const eng_engine *eng, const char *domain);
bool eng_domain_trusted(const eng_engine *eng, const char *domain);

/* eng_recip.c: scope and the exposed-recipients rule */
typedef struct eng_hdrs eng_hdrs;
void eng_recip_scope(eng_ctx *ctx, const eng_envelope *env, const eng_hdrs *h);
void eng_recip_exposed(eng_ctx *ctx, const eng_hdrs *h);
/* private-recipient: an attachment or personal data (found already)
 * to an address at a consumer domain; after the walk. */
void eng_recip_private(eng_ctx *ctx, const eng_envelope *env, const eng_hdrs *h);

/* eng_result.c: frees what a (not listed) attachment node holds. */
void eng_attachment_free(eng_attachment *a);
/* eng_attach.c: a file embedded in a document (word/embeddings/...),
 * read like an archive entry: name and content checks, signed
 * wrappers, archives, Office and PDF files, text; findings name
 * `where`. It is not listed in the inventory. */
void eng_attach_embedded(eng_ctx *ctx, const char *where, const char *name,
			 const unsigned char *data, size_t len, unsigned depth);

/* eng_content.c: the content of one file (an attachment, or an entry
 * of an archive) whose text the detectors should read; depth is the
 * file's archive nesting (0 for a mail attachment). */
void eng_content_text(eng_ctx *ctx, const char *where, const char *name,
		      const unsigned char *data, size_t len, unsigned depth);
/* The same for a mail attachment with a declared charset (or NULL). */
void eng_content_text_cs(eng_ctx *ctx, const char *where, const char *name,
			 const char *charset, const unsigned char *data,
			 size_t len, unsigned depth);
/* The detectors of every attachment's text, over normalised (NFKC)
 * text: markings and personal data, `where` the file. */
void eng_content_detect_text(eng_ctx *ctx, const char *where, const char *norm,
			     size_t len);
/* Whether an HTML body of the message references this Content-ID. */
bool eng_cid_referenced(const eng_ctx *ctx, const char *content_id);

/* eng_mark.c: classification markings in a piece of NFKC text */
void eng_mark_scan(eng_ctx *ctx, const char *text, size_t len,
		   const char *where);
/* ... in a file name: every marking in a name is a label */
void eng_mark_scan_name(eng_ctx *ctx, const char *name, size_t len,
			const char *where);

/* eng_mime.c: the walk; calls back for text and attachments */
typedef struct eng_walk_cb {
	void (*text)(eng_ctx *ctx, const char *where, const char *utf8, size_t len);
	void (*attachment)(eng_ctx *ctx, eng_attachment *att,
			   const unsigned char *data, size_t len);
	/* A header people read in a forwarded message (its Subject,
	 * Content-Description), decoded and NFKC; where ends in
	 * "header:NAME". NULL: not wanted (previews). */
	void (*header)(eng_ctx *ctx, const char *where, const char *text, size_t len);
} eng_walk_cb;

/* Top-level headers that the rules need, decoded. */
struct eng_hdrs {
	char *subject;		/* decoded, NFKC */
	char *subject_shown;	/* decoded, as written (previews only) */
	char *from_raw;
	sg_buf to, cc, bcc;	/* raw values, all occurrences, joined by ',' */
	bool rcpt_unread;	/* a To/Cc/Bcc too long to read (eng_rawhdr.c) */
};

typedef struct eng_mime eng_mime;
/* Parses at most the first `len` bytes; fills hdrs. A message GMime
 * cannot read at all gives a scan-limit finding and NULL. */
eng_mime *eng_mime_parse(eng_ctx *ctx, const void *msg, size_t len,
			 eng_hdrs *hdrs);
void eng_mime_walk(eng_ctx *ctx, eng_mime *mime, const eng_walk_cb *cb);
/* Whether d[0..n) starts like a MIME entity (S/MIME's encapsulated
 * content), and the walk of one found inside a file (a signed mail
 * saved into an archive): its parts go through the walk's callbacks,
 * their where under prefix. */
bool eng_is_mime_entity(const unsigned char *d, size_t n);
void eng_mime_walk_entity(eng_ctx *ctx, const unsigned char *d, size_t n,
			  const char *path, const char *prefix, unsigned depth);
void eng_mime_free(eng_mime *mime);
/* g_mime_encoding_base64_decode_step()'s output and state, faster on
 * pieces without '=' (eng_mime.c). */
size_t eng_b64_decode_step(const unsigned char *in, size_t n, unsigned char *out,
			   int *state, uint32_t *save);
void eng_hdrs_init(eng_hdrs *h, size_t max);
void eng_hdrs_free(eng_hdrs *h);

/* Masks all but the first character of an address's local part. */
void eng_mask_address(const char *addr, sg_buf *out);

#endif
