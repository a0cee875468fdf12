/*
 * NAME
 *	eng_addr - parse address-list headers (To, Cc, Bcc, From)
 * SYNOPSIS
 *	#include "engine/eng_addr.h"
 * DESCRIPTION
 *	eng_addr_parse() reads a raw address-list value (RFC 5322
 *	address-list, as real clients write it) and appends each mailbox to
 *	`list`: display names with commas inside quotes, encoded display
 *	names (decoded with eng_hdr_decode), comments (nested), angle
 *	addresses with source routes, group syntax ("list: a@x, b@y;" counts
 *	its members; "undisclosed-recipients:;" has none), bare addresses,
 *	and obsolete forms (missing commas between angle addresses, a
 *	trailing comma, empty elements). Something that is not an address
 *	at all is skipped; an element with no '@' is kept with an empty
 *	domain so that callers can still count it.
 *
 *	The address is kept as written (local part case preserved) and also
 *	as `domain`, lower-cased with any trailing dot removed.
 *
 *	eng_addr_domain_matches() says whether `domain` equals `entry` or is
 *	a subdomain of it (case-insensitive; "x.example.lg.jp" matches
 *	"example.lg.jp", "badexample.lg.jp" does not).
 *
 *	At most `max` mailboxes are kept (ENG_ADDR_MAX by default callers;
 *	eng_addr_list_init with max 0 also means ENG_ADDR_MAX); past that,
 *	list->truncated is set. eng_addr_parse appends to what the list
 *	already holds, so To, Cc and Bcc can share one list.
 */
#ifndef ENG_ADDR_H
#define ENG_ADDR_H

#include <stdbool.h>
#include <stddef.h>

typedef struct eng_mailbox {
	char *display;	/* decoded display name, UTF-8, or NULL */
	char *addr;	/* local@domain as written, without <> */
	char *domain;	/* lower-case, "" when there is no @ */
	char *group;	/* name of the group it was in, or NULL */
} eng_mailbox;

typedef struct eng_addr_list {
	eng_mailbox *v;
	size_t n, cap, max;
	bool truncated;
} eng_addr_list;

#define ENG_ADDR_MAX 10000

void eng_addr_list_init(eng_addr_list *list, size_t max);
void eng_addr_list_free(eng_addr_list *list);
/* Returns the number of mailboxes appended. */
size_t eng_addr_parse(const char *raw, size_t len, eng_addr_list *list);
bool eng_addr_domain_matches(const char *domain, const char *entry);

#endif
