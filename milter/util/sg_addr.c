/*
 * NAME
 *	sg_addr - one reading of an e-mail address: where it goes, who it is
 * SYNOPSIS
 *	#include "util/sg_addr.h"
 * DESCRIPTION
 *	The interface is described in sg_addr.h. How it reads:
 *
 *	One pass over the address finds the source route's end (the first
 *	':' outside a domain literal, when the address starts with '@')
 *	and the last '@' outside quotes and domain literals; a second pass
 *	copies the local part without its quotes and backslashes. Postfix
 *	reads addresses the same way (tok822: the last '@' splits, quotes
 *	and backslashes are removed before resolving), which is why
 *	"user@gmail.com"@ours and user\@gmail.com@ours end up at gmail.com
 *	when ours is in mydestination.
 *
 *	libidn2 (Debian's libidn2-0, already loaded through GnuTLS) is the
 *	IDNA2008 + UTS #46 implementation; punycode and the mapping tables
 *	are not ours to rewrite. utf8proc (already the engine's NFKC) folds
 *	case and compatibility forms first, so a fullwidth domain and its
 *	ASCII spelling are one.
 *
 *	Every loop runs over a string bounded by SG_ADDR_MAX or by the
 *	set's SG_IDSET_MAX.
 */
#include "util/sg_addr.h"
#include "util/sg_buf.h"
#include "util/sg_conf.h"
#include "util/sg_mem.h"

#include <fnmatch.h>
#include <idn2.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static bool sg_addr_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

static void sg_addr_lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* NFKC with case folding; NULL when the bytes are not UTF-8. */
static char *sg_addr_fold(const char *s)
{
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t n;

	n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
			 UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
			 UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
	if (n < 0) {
		free(out);
		return NULL;
	}
	return (char *)out;
}

static bool sg_addr_has_ace(const char *d)
{
	for (const char *p = d; *p; p++)
		if ((p == d || p[-1] == '.') && strncmp(p, "xn--", 4) == 0)
			return true;
	return false;
}

char *sg_addr_domain_canon(const char *domain)
{
	size_t n = strlen(domain);
	char *d, *u = NULL, *f, *a = NULL;

	while (n > 0 && domain[n - 1] == '.')
		n--;
	d = sg_xstrndup(domain, n);
	sg_addr_lower_ascii(d);
	if (*d == '[')
		return d;		/* a literal is not a name */
	if (sg_addr_ascii(d) && !sg_addr_has_ace(d))
		return d;
	/* An "xn--" label: decode, so that it meets its UTF-8 spelling. */
	if (sg_addr_has_ace(d) && idn2_to_unicode_8z8z(d, &u, 0) == IDN2_OK) {
		free(d);
		d = sg_xstrdup(u);
		idn2_free(u);
	}
	if ((f = sg_addr_fold(d)) == NULL)
		return d;		/* not UTF-8: compared as bytes */
	free(d);
	if (idn2_to_ascii_8z(f, &a, IDN2_NONTRANSITIONAL) == IDN2_OK) {
		d = sg_xstrdup(a);
		idn2_free(a);
		free(f);
		sg_addr_lower_ascii(d);
		return d;
	}
	return f;
}

static size_t sg_addr_trim_dots(const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '.')
		n--;
	return n;
}

static bool sg_addr_same_ci(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

/* The label boundary keeps "badexample.lg.jp" out of "example.lg.jp". */
bool sg_addr_domain_matches(const char *domain, const char *entry)
{
	size_t dn, en;

	if (domain == NULL || entry == NULL)
		return false;
	while (*entry == '.')
		entry++;
	dn = sg_addr_trim_dots(domain);
	en = sg_addr_trim_dots(entry);
	if (en == 0 || dn < en || !sg_addr_same_ci(domain + dn - en, entry, en))
		return false;
	return dn == en || domain[dn - en - 1] == '.';
}

/* -------------------------------------------------------------- parse */

typedef struct sg_addr_scan {
	size_t start;		/* after the source route */
	size_t at;		/* the splitting '@', or len */
} sg_addr_scan;

/* Finds the route's end and the last '@' outside quotes and literals. */
static void sg_addr_find(const char *s, size_t len, sg_addr_scan *sc)
{
	bool q = false, lit = false;
	size_t i;

	sc->start = 0;
	sc->at = len;
	if (len > 0 && s[0] == '@') {
		for (i = 0; i < len; i++) {
			if (s[i] == '[')
				lit = true;
			else if (s[i] == ']')
				lit = false;
			else if (s[i] == ':' && !lit)
				break;
		}
		/* "@a,@b" without ':' has no final address at all. */
		sc->start = i < len ? i + 1 : len;
		lit = false;
	}
	for (i = sc->start; i < len; i++) {
		char c = s[i];

		if (c == '\\' && i + 1 < len) {
			i++;
		} else if (q) {
			q = c != '"';
		} else if (c == '"') {
			q = true;
		} else if (c == '[') {
			lit = true;
		} else if (c == ']') {
			lit = false;
		} else if (c == '@' && !lit) {
			sc->at = i;
		}
	}
}

static char *sg_addr_unquote(const char *s, size_t n)
{
	sg_buf b;
	char *r;

	sg_buf_init(&b, SG_ADDR_MAX + 1);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			sg_buf_putc(&b, s[++i]);
		else if (s[i] != '"')
			sg_buf_putc(&b, s[i]);
	}
	r = sg_xstrdup(sg_buf_cstr(&b));
	sg_buf_free(&b);
	return r;
}

int sg_addr_parse(const char *given, sg_addr *out)
{
	const char *s = given ? given : "";
	size_t len;
	sg_addr_scan sc;
	char *dom;

	memset(out, 0, sizeof(*out));
	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len > 0 && s[0] == '<') {
		s++;
		len--;
		if (len > 0 && s[len - 1] == '>')
			len--;
	}
	if (len == 0 || len > SG_ADDR_MAX)
		return -1;
	sg_addr_find(s, len, &sc);
	out->routed = sc.start > 0;
	if (sc.at <= sc.start)
		return -1;		/* no local part ("<@x>", "@a,@b") */
	out->local = sg_addr_unquote(s + sc.start, sc.at - sc.start);
	if (sc.at == len) {
		out->domain = sg_xstrdup("");
		return 0;
	}
	dom = sg_xstrndup(s + sc.at + 1, len - sc.at - 1);
	out->literal = dom[0] == '[';
	out->domain = sg_addr_domain_canon(dom);
	free(dom);
	return 0;
}

void sg_addr_free(sg_addr *a)
{
	free(a->local);
	free(a->domain);
	memset(a, 0, sizeof(*a));
}

bool sg_addr_local_relays(const char *local)
{
	return local == NULL || strpbrk(local, "%!@") != NULL;
}

bool sg_addr_internal(const char *given, char *const *domains, size_t n)
{
	sg_addr a;
	bool in = false;

	if (sg_addr_parse(given, &a) < 0)
		return false;
	if (*a.local && !sg_addr_local_relays(a.local) && *a.domain && !a.literal)
		for (size_t i = 0; i < n && !in; i++)
			in = sg_addr_domain_matches(a.domain, domains[i]);
	sg_addr_free(&a);
	return in;
}

bool sg_addr_rcpt_internal(const char *given, const char *resolved,
			   char *const *domains, size_t n)
{
	sg_addr r;
	bool in = false;

	if (!sg_addr_internal(given, domains, n))
		return false;
	if (resolved == NULL || *resolved == '\0' || strchr(resolved, '@') == NULL)
		return true;
	if (sg_addr_parse(resolved, &r) < 0)
		return false;
	for (size_t i = 0; i < n && *r.domain && !r.literal && !in; i++)
		in = sg_addr_domain_matches(r.domain, domains[i]);
	sg_addr_free(&r);
	return in;
}

/* ---------------------------------------------------------- identity */

char *sg_addr_identity(const char *given, const char *delims, bool strip)
{
	sg_addr a;
	sg_buf b;
	char *local, *r;

	if (sg_addr_parse(given, &a) < 0)
		return NULL;
	if (sg_addr_ascii(a.local) || (local = sg_addr_fold(a.local)) == NULL) {
		local = sg_xstrdup(a.local);
		sg_addr_lower_ascii(local);
	}
	if (strip && delims && *delims && local[0]) {
		size_t cut = strcspn(local + 1, delims) + 1;

		local[cut] = '\0';
	}
	sg_buf_init(&b, SG_BUF_UNLIMITED);
	sg_buf_puts(&b, local);
	if (*a.domain) {
		sg_buf_putc(&b, '@');
		sg_buf_puts(&b, a.domain);
	}
	r = sg_xstrdup(sg_buf_cstr(&b));
	sg_buf_free(&b);
	free(local);
	sg_addr_free(&a);
	return r;
}

static bool sg_addr_eq_form(const char *a, const char *b, const char *delims,
			    bool strip)
{
	char *x = sg_addr_identity(a, delims, strip);
	char *y = x ? sg_addr_identity(b, delims, strip) : NULL;
	bool eq = x && y && *x && strcmp(x, y) == 0;

	free(x);
	free(y);
	return eq;
}

bool sg_addr_same_exact(const char *a, const char *b)
{
	return sg_addr_eq_form(a, b, NULL, false);
}

bool sg_addr_same_person(const char *a, const char *b, const char *delims)
{
	return sg_addr_eq_form(a, b, NULL, false) ||
	       sg_addr_eq_form(a, b, delims, true);
}

/* ------------------------------------------------------------- lists */

void sg_addr_split(const char *list, size_t max,
		   void (*cb)(const char *addr, void *arg), void *arg)
{
	size_t i = 0, start = 0, count = 0, len;
	bool q = false, lit = false;

	if (list == NULL)
		return;
	len = strnlen(list, (size_t)SG_ADDR_MAX * SG_IDSET_MAX);
	for (i = 0; i <= len && count < max; i++) {
		bool end = i == len;
		char c = end ? ',' : list[i];

		if (!end) {
			if (c == '\\' && i + 1 < len) {
				i++;
				continue;
			}
			if (q) {
				q = c != '"';
				continue;
			}
			if (c == '"')
				q = true;
			else if (c == '[')
				lit = true;
			else if (c == ']')
				lit = false;
			if (c != ',' || lit)
				continue;
		}
		if (i > start) {
			char *e = sg_xstrndup(list + start, i - start);
			char *p = e;

			while (*p == ' ' || *p == '\t')
				p++;
			if (*p) {
				cb(p, arg);
				count++;
			}
			free(e);
		}
		start = i + 1;
	}
}

/* ------------------------------------------------------------ idsets */

void sg_idset_init(sg_idset *s, const char *delims)
{
	memset(s, 0, sizeof(*s));
	s->delims = sg_xstrdup(delims ? delims : "");
}

void sg_idset_free(sg_idset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->exact[i]);
		free(s->stripped[i]);
	}
	free(s->exact);
	free(s->stripped);
	free(s->delims);
	memset(s, 0, sizeof(*s));
}

void sg_idset_add(sg_idset *s, const char *given)
{
	char *e, *st;

	if (given == NULL || s->n >= SG_IDSET_MAX ||
	    (e = sg_addr_identity(given, NULL, false)) == NULL)
		return;
	if (*e == '\0') {
		free(e);
		return;
	}
	st = sg_addr_identity(given, s->delims, true);
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->exact = sg_xreallocarray(s->exact, s->cap, sizeof(char *));
		s->stripped = sg_xreallocarray(s->stripped, s->cap, sizeof(char *));
	}
	s->exact[s->n] = e;
	s->stripped[s->n++] = st;
}

void sg_idset_add_login(sg_idset *s, const char *login, char *const *domains,
			size_t ndomains)
{
	sg_buf b;

	sg_addr a;

	if (login == NULL || *login == '\0')
		return;
	sg_idset_add(s, login);
	/* A login with a realm ("kacho@sendguard.test", Cyrus SASL's
	 * user@realm) is the same person at every internal domain too:
	 * refusing one approver too many is the safe side. */
	if (sg_addr_parse(login, &a) < 0)
		return;
	sg_buf_init(&b, SG_BUF_UNLIMITED);
	for (size_t i = 0; i < ndomains && i < SG_IDSET_MAX; i++) {
		sg_buf_reset(&b);
		sg_buf_printf(&b, "%s@%s", a.local, domains[i]);
		sg_idset_add(s, sg_buf_cstr(&b));
	}
	sg_buf_free(&b);
	sg_addr_free(&a);
}

static void sg_idset_add_cb(const char *addr, void *arg)
{
	sg_idset_add(arg, addr);
}

void sg_idset_add_list(sg_idset *s, const char *list)
{
	sg_addr_split(list, SG_IDSET_MAX, sg_idset_add_cb, s);
}

bool sg_idset_has(const sg_idset *s, const char *given)
{
	char *e = sg_addr_identity(given, NULL, false);
	char *st = e ? sg_addr_identity(given, s->delims, true) : NULL;
	bool found = false;

	for (size_t i = 0; e && *e && i < s->n && !found; i++)
		found = strcmp(s->exact[i], e) == 0 ||
			(st && strcmp(s->stripped[i], st) == 0);
	free(e);
	free(st);
	return found;
}

const char *sg_addr_delims(const sg_conf *conf)
{
	return conf ? SG_CONF_STR(conf, policy_recipient_delimiter) : "+";
}

void sg_idset_sender(sg_idset *s, const sg_conf *conf, const char *sender,
		     const char *from_list, const char *auth_login)
{
	char *const *dom = NULL;
	size_t n = 0;

	if (conf)
		dom = SG_CONF_LIST(conf, policy_internal_domains, &n);
	sg_idset_init(s, sg_addr_delims(conf));
	sg_idset_add(s, sender);
	sg_idset_add_list(s, from_list);
	sg_idset_add_login(s, auth_login, dom, n);
	/* and login@ the sender's own domain, whatever it is */
	if (auth_login && *auth_login && sender) {
		sg_addr a;

		if (sg_addr_parse(sender, &a) == 0 && *a.domain) {
			char *d[1] = { a.domain };

			sg_idset_add_login(s, auth_login, d, 1);
		}
		sg_addr_free(&a);
	}
}

/* ---------------------------------------------------------------- globs */

const char *sg_addr_glob_problem(const char *g)
{
	if (*g == '\0')
		return "empty pattern";
	for (size_t i = 0; g[i]; i++) {
		unsigned char c = (unsigned char)g[i];

		if (c <= ' ' || c == 0x7f)
			return "white space or control character in the pattern";
		if (c == '\\' && g[++i] == '\0')
			return "pattern ends with a backslash";
		if (c != '[')
			continue;
		i += (g[i + 1] == '!' || g[i + 1] == '^') ? 2 : 1;
		if (g[i] == ']')
			i++;
		while (g[i] && g[i] != ']')
			i++;
		if (g[i] == '\0')
			return "unclosed '[' in the pattern";
	}
	return NULL;
}

bool sg_addr_glob_match(const char *glob, const char *given, const char *delims)
{
	char *forms[3] = { NULL, NULL, NULL };
	bool found = false;

	if (given == NULL)
		return false;
	forms[0] = sg_xstrdup(given);
	forms[1] = sg_addr_identity(given, NULL, false);
	forms[2] = sg_addr_identity(given, delims, true);
	for (size_t k = 0; k < 3 && !found; k++)
		found = forms[k] && fnmatch(glob, forms[k], FNM_CASEFOLD) == 0;
	for (size_t k = 0; k < 3; k++)
		free(forms[k]);
	return found;
}

static bool sg_addr_globs_match(char *const *globs, size_t n, const char *given,
				const char *delims)
{
	for (size_t i = 0; i < n; i++)
		if (sg_addr_glob_match(globs[i], given, delims))
			return true;
	return false;
}

/* A login as given, or its user part @ an internal domain: never @ the
 * envelope sender's domain, which is the sender's claim (a login
 * "tanaka" with MAIL FROM tanaka@contractor.example is not a
 * contractor). */
static bool sg_addr_login_in(char *const *globs, size_t n, const char *login,
			     char *const *domains, size_t ndomains,
			     const char *delims)
{
	sg_addr a;
	sg_buf b;
	bool found;

	if (sg_addr_globs_match(globs, n, login, delims))
		return true;
	if (sg_addr_parse(login, &a) < 0)
		return false;
	found = false;
	sg_buf_init(&b, SG_BUF_UNLIMITED);
	for (size_t i = 0; i < ndomains && i < SG_IDSET_MAX && !found; i++) {
		sg_buf_reset(&b);
		sg_buf_printf(&b, "%s@%s", a.local, domains[i]);
		found = sg_addr_globs_match(globs, n, sg_buf_cstr(&b), delims);
	}
	sg_buf_free(&b);
	sg_addr_free(&a);
	return found;
}

bool sg_addr_sender_in(char *const *globs, size_t n, const char *sender,
		       const char *login, char *const *domains, size_t ndomains,
		       const char *delims)
{
	if (!sg_addr_globs_match(globs, n, sender ? sender : "", delims))
		return false;
	if (login == NULL || *login == '\0')
		return true;
	return sg_addr_login_in(globs, n, login, domains, ndomains, delims);
}
