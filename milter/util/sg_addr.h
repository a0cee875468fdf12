/*
 * NAME
 *	sg_addr - one reading of an e-mail address: where it goes, who it is
 * SYNOPSIS
 *	#include "util/sg_addr.h"
 * DESCRIPTION
 *	Every layer that asks "is this address ours?" (the engine's scope,
 *	exposed-recipients and Bcc rewrite, notices, the store's recipient
 *	flags) or "is this the same person?" (approver routing, decisions
 *	on the CLI and the web page, apply) reads addresses here, so that
 *	the two questions cannot get two answers (issues 13 and 14).
 *
 *	sg_addr_parse() reads one address as given in an SMTP command or
 *	an address header after the header parser (eng_addr) took it out:
 *	surrounding blanks and one pair of angle brackets go, a source
 *	route ("@a,@b:" in front, RFC 5321 4.1.2) is removed, and the local
 *	part is de-quoted and de-escaped ("\"a@b\"" and "a\@b" are both
 *	a@b). The domain is after the last '@' outside quotes and domain
 *	literals, canonical (sg_addr_domain_canon). An input without such
 *	an '@' has an empty domain (a bare SASL login).
 *
 *	sg_addr_local_relays() is the issue-13 rule: a local part holding
 *	'%', '!' or '@' is an address that some MTA (Postfix itself when
 *	the domain is in mydestination, with allow_percent_hack,
 *	swap_bangpath and its re-resolution of a local part that holds an
 *	'@'; the next internal MTA otherwise) sends on to another domain.
 *	Such an address is never internal, whatever its domain.
 *
 *	sg_addr_internal() is "is this address ours?" for one address as
 *	given; an envelope recipient also needs the address the MTA
 *	resolved (eng_rcpt_is_internal).
 *
 *	sg_addr_domain_canon() gives one form per domain: lower-case, no
 *	trailing dot, and an internationalised name (UTF-8, fullwidth or
 *	upper-case letters, or an "xn--" label) in lower-case ASCII
 *	punycode through NFKC case folding (utf8proc) and IDNA2008 with
 *	UTS #46 mapping (libidn2). A name libidn2 refuses keeps its folded
 *	UTF-8 form, the same for every spelling of it.
 *
 *	Identities (issue 14). sg_addr_identity() gives the canonical
 *	identity of an address or login: the parsed, de-quoted local part
 *	NFKC case-folded, "@", the canonical domain. With `strip`, the
 *	address extension is removed first: the local part is cut at the
 *	first character (not the first of the local part) that is in
 *	`delims` ([policy] recipient_delimiter, Postfix's semantics), so
 *	kacho+x@ and kacho@ are one person. sg_addr_same_person() compares
 *	both forms, exact and stripped: with delimiter '-', jinji-ka@ and
 *	jinji@ count as one person, the safe side for refusing an approver.
 *	sg_addr_same_exact() is the strict comparison, for granting (an
 *	assigned approver is who the notice went to, nobody else).
 *
 *	An sg_idset holds a person's identities (both forms of each); a
 *	hold's sender is one (envelope sender, every From address, the
 *	SASL login as a login and as login@ every internal domain).
 * DIAGNOSTICS
 *	sg_addr_parse() returns -1 for an empty or oversized (over
 *	SG_ADDR_MAX bytes) address and leaves `out` empty; callers count
 *	such an address as external and as nobody.
 */
#ifndef SG_ADDR_H
#define SG_ADDR_H

#include <stdbool.h>
#include <stddef.h>

/* Longer than any address an MTA accepts (RFC 5321: 256 for a path). */
#define SG_ADDR_MAX 2048

typedef struct sg_addr {
	char *local;	/* de-quoted, de-escaped, case kept */
	char *domain;	/* canonical; "" when there is no domain */
	bool literal;	/* the domain is a literal ("[192.0.2.1]") */
	bool routed;	/* a source route was removed */
} sg_addr;

int sg_addr_parse(const char *given, sg_addr *out);
void sg_addr_free(sg_addr *a);
bool sg_addr_local_relays(const char *local);
/* Caller frees. */
char *sg_addr_domain_canon(const char *domain);
/* `domain` equals `entry` or is a subdomain of it (case-insensitive,
 * trailing dots ignored; "badexample.jp" is not in "example.jp"). */
bool sg_addr_domain_matches(const char *domain, const char *entry);
/* The issue-13 rule on an address as given: it parses, its local part
 * does not relay (no '%', '!', '@'), and its domain (not a literal)
 * matches one of `domains` (canonical, as the loader keeps them). */
bool sg_addr_internal(const char *given, char *const *domains, size_t n);
/* An envelope recipient: sg_addr_internal() on the address as given,
 * and the address the MTA resolved it to (Postfix's {rcpt_addr}; NULL
 * when not known) has an internal domain. A resolved bare user name
 * (Sendmail's local mailer) is delivered on this host. */
bool sg_addr_rcpt_internal(const char *given, const char *resolved,
			   char *const *domains, size_t n);

/* Caller frees; NULL when `given` is not an address or login at all.
 * delims NULL or "" strips nothing. */
char *sg_addr_identity(const char *given, const char *delims, bool strip);
bool sg_addr_same_person(const char *a, const char *b, const char *delims);
bool sg_addr_same_exact(const char *a, const char *b);

/* Splits a list written by sg_addr_join (or a header's commas): each
 * element outside quotes and brackets, blanks trimmed, to cb. At most
 * `max` elements. */
void sg_addr_split(const char *list, size_t max,
		   void (*cb)(const char *addr, void *arg), void *arg);

typedef struct sg_idset {
	char **exact, **stripped;
	size_t n, cap;
	char *delims;
} sg_idset;

#define SG_IDSET_MAX 256	/* identities of one sender */

void sg_idset_init(sg_idset *s, const char *delims);
void sg_idset_free(sg_idset *s);
/* Adds an address or login (a no-op for something that is neither). */
void sg_idset_add(sg_idset *s, const char *given);
/* A SASL login: as given, and its user part @ each domain (a realm
 * after '@' is not a mailbox domain). */
void sg_idset_add_login(sg_idset *s, const char *login,
			char *const *domains, size_t ndomains);
/* Every address of a list as stored in a hold's from_addr. */
void sg_idset_add_list(sg_idset *s, const char *list);
/* Whether `given` is one of the identities (exact or stripped). */
bool sg_idset_has(const sg_idset *s, const char *given);

/* Sender globs ([approvers] keys and [group.NAME] senders): one
 * matcher, so that a glob routes and groups the same person alike.
 * sg_addr_glob_problem() says why fnmatch would read a glob oddly (an
 * unclosed '[' matches a literal '[', a trailing backslash nothing), so
 * that a typo is an error, not a rule that never fires; NULL when fine.
 * sg_addr_glob_match() is a case-insensitive fnmatch against `given`
 * as written and against its canonical identity with and without the
 * address extension (delims), so kacho+x@ matches like kacho@. */
const char *sg_addr_glob_problem(const char *glob);
bool sg_addr_glob_match(const char *glob, const char *given, const char *delims);
/* Whether one of `globs` matches the sender (issue 19, sender groups):
 * the canonical envelope sender matches, and with SMTP AUTH the login
 * matches too (as given, or its user part @ one of `domains`, the
 * internal domains, or @ the sender's domain), so that a forged
 * envelope sender cannot pick a group its login is not in. */
bool sg_addr_sender_in(char *const *globs, size_t n, const char *sender,
		       const char *login, char *const *domains, size_t ndomains,
		       const char *delims);

struct sg_conf;
/* The identities of a message's sender: envelope sender, every
 * address of from_list (a From header's addresses, comma-separated),
 * the SASL login as a login and as login@ every internal domain. The
 * delimiter and domains come from conf ([policy] recipient_delimiter,
 * internal_domains); conf NULL: "+" and none. Arguments may be NULL. */
void sg_idset_sender(sg_idset *s, const struct sg_conf *conf,
		     const char *sender, const char *from_list,
		     const char *auth_login);
/* [policy] recipient_delimiter, or "+" without conf. */
const char *sg_addr_delims(const struct sg_conf *conf);

#endif
