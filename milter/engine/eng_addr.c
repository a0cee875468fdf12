/*
 * NAME
 *	eng_addr - parse address-list headers (To, Cc, Bcc, From)
 * SYNOPSIS
 *	#include "engine/eng_addr.h"
 * DESCRIPTION
 *	The interface is described in eng_addr.h. How it reads:
 *
 *	A lexer turns the value into RFC 5322 tokens (words, quoted strings,
 *	comments, domain literals, specials). The parser collects the tokens
 *	of one element until ',' or ';' or the '>' that closes an angle
 *	address, then makes at most one mailbox of them. Counting recipients
 *	is what exposed-recipients is about, so the parser errs towards
 *	finding every address that a mail client would send to, and never
 *	towards inventing one: words after a closed angle address without
 *	a comma ("<a@x> junk") are dropped unless they hold an '@'.
 *
 *	A bare element without an angle address takes as its address the
 *	words glued to its last '@' ("Yamada a@x.jp" is a@x.jp with the
 *	display name "Yamada"); a single word without '@' ("postmaster")
 *	is kept with an empty domain; several words without '@' are a
 *	display name without an address and are skipped.
 *
 *	Nothing here can fail: unclosed quotes, comments, domain literals
 *	and angle brackets end at the end of the input, and every loop
 *	advances over the input.
 *
 *	eng_addr_list_init() with max 0 uses ENG_ADDR_MAX.
 */
#include "engine/eng_addr.h"
#include "engine/eng_hdr.h"
#include "util/sg_addr.h"
#include "util/sg_buf.h"
#include "util/sg_mem.h"

#include <stdlib.h>
#include <string.h>

#define TEXT_MAX (64 * 1024)	/* longest display name or address kept */

typedef enum { T_WORD, T_QSTR, T_COMMENT, T_DLIT, T_SPEC } tok_type;

typedef struct tok {
	tok_type type;
	char ch;		/* the character of a T_SPEC */
	bool ws;		/* blank before it */
	size_t off, len;	/* text in the parser's arena */
} tok;

typedef struct tokvec {
	tok *v;
	size_t n, cap;
} tokvec;

typedef struct lexer {
	const char *s;
	size_t n, i;
} lexer;

typedef struct parser {
	eng_addr_list *list;
	size_t added;
	char *group;		/* current group name, or NULL */
	sg_buf arena;		/* token texts of the current element */
	tokvec phrase;		/* tokens outside the angle address */
	tokvec angle;		/* tokens inside it */
	bool has_angle;
	bool after_angle;	/* element follows "<...>" without a comma */
} parser;

/* ------------------------------------------------------------------ */
/* Lexer                                                               */
/* ------------------------------------------------------------------ */

/* Blanks, line breaks, other controls and a stray ')' separate tokens. */
static bool is_sep(unsigned char c)
{
	return c <= ' ' || c == 0x7F || c == ')';
}

static bool is_special(unsigned char c)
{
	return c == ',' || c == ';' || c == ':' || c == '<' || c == '>' ||
	       c == '@';
}

static bool is_word_char(unsigned char c)
{
	return !is_sep(c) && !is_special(c) && c != '"' && c != '(' &&
	       c != '[';
}

/* At '"': unescaped content up to the closing quote or the end. */
static void lex_quoted(lexer *lx, sg_buf *a)
{
	for (lx->i++; lx->i < lx->n; lx->i++) {
		char ch = lx->s[lx->i];

		if (ch == '"') {
			lx->i++;
			return;
		}
		if (ch == '\\' && lx->i + 1 < lx->n)
			ch = lx->s[++lx->i];
		sg_buf_putc(a, ch);
	}
}

/* At '(': content of a nested comment, inner parentheses kept. */
static void lex_comment(lexer *lx, sg_buf *a)
{
	size_t depth = 1;

	for (lx->i++; lx->i < lx->n; lx->i++) {
		char ch = lx->s[lx->i];

		if (ch == '\\' && lx->i + 1 < lx->n) {
			ch = lx->s[++lx->i];
		} else if (ch == '(') {
			depth++;
		} else if (ch == ')' && --depth == 0) {
			lx->i++;
			return;
		}
		sg_buf_putc(a, ch);
	}
}

/* At '[': the domain literal with its brackets. */
static void lex_dlit(lexer *lx, sg_buf *a)
{
	for (; lx->i < lx->n; lx->i++) {
		char ch = lx->s[lx->i];

		if (!is_sep((unsigned char)ch) || ch == ')')
			sg_buf_putc(a, ch);
		if (ch == ']') {
			lx->i++;
			return;
		}
	}
}

static void lex_word(lexer *lx, sg_buf *a)
{
	for (; lx->i < lx->n && is_word_char((unsigned char)lx->s[lx->i]);
	     lx->i++)
		sg_buf_putc(a, lx->s[lx->i]);
}

/* Reads the next token; false at the end of the input. */
static bool lex_next(lexer *lx, sg_buf *a, tok *t)
{
	unsigned char c;

	t->ws = false;
	while (lx->i < lx->n && is_sep((unsigned char)lx->s[lx->i])) {
		t->ws = true;
		lx->i++;
	}
	if (lx->i >= lx->n)
		return false;
	t->off = a->len;
	t->ch = 0;
	c = (unsigned char)lx->s[lx->i];
	if (c == '"') {
		t->type = T_QSTR;
		lex_quoted(lx, a);
	} else if (c == '(') {
		t->type = T_COMMENT;
		lex_comment(lx, a);
	} else if (c == '[') {
		t->type = T_DLIT;
		lex_dlit(lx, a);
	} else if (is_special(c)) {
		t->type = T_SPEC;
		t->ch = (char)c;
		lx->i++;
	} else {
		t->type = T_WORD;
		lex_word(lx, a);
	}
	t->len = a->len - t->off;
	return true;
}

static void tv_push(tokvec *tv, const tok *t)
{
	if (tv->n == tv->cap) {
		tv->cap = tv->cap ? tv->cap * 2 : 16;
		tv->v = sg_xreallocarray(tv->v, tv->cap, sizeof *tv->v);
	}
	tv->v[tv->n++] = *t;
}

/* ------------------------------------------------------------------ */
/* Building mailboxes                                                  */
/* ------------------------------------------------------------------ */

static const char *ttext(const parser *p, const tok *t)
{
	return sg_buf_cstr(&p->arena) + t->off;
}

static bool is_word(const tok *t)
{
	return t->type == T_WORD || t->type == T_QSTR || t->type == T_DLIT;
}

static bool is_word_or_at(const tok *t)
{
	return is_word(t) || (t->type == T_SPEC && t->ch == '@');
}

/* A quoted local part is kept quoted, as written. */
static void put_addr_tok(const parser *p, const tok *t, sg_buf *b)
{
	const char *s = ttext(p, t);
	size_t i;

	if (t->type != T_QSTR) {
		sg_buf_append(b, s, t->len);
		return;
	}
	sg_buf_putc(b, '"');
	for (i = 0; i < t->len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			sg_buf_putc(b, '\\');
		sg_buf_putc(b, s[i]);
	}
	sg_buf_putc(b, '"');
}

static char *trimmed_dup(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n ? sg_xstrndup(s, n) : NULL;
}

/* Decodes raw phrase text (RFC 2047) into a trimmed string or NULL. */
static char *decode_phrase(const sg_buf *raw)
{
	sg_buf out;
	char *r;

	if (raw->len == 0)
		return NULL;
	sg_buf_init(&out, TEXT_MAX);
	(void)eng_hdr_decode(sg_buf_cstr(raw), raw->len, &out);
	r = trimmed_dup(sg_buf_cstr(&out), out.len);
	sg_buf_free(&out);
	return r;
}

/*
 * Display name from the words in [from, to), blanks kept as one space;
 * quoted strings lose their quotes before decoding, so encoded words
 * inside them (which clients write) decode too. Without words, the
 * first comment is the name ("a@x (Yamada)").
 */
static char *display_of(const parser *p, size_t from, size_t to)
{
	const tokvec *v = &p->phrase;
	sg_buf raw;
	char *r;
	size_t k;

	sg_buf_init(&raw, TEXT_MAX);
	for (k = from; k < to; k++) {
		const tok *t = &v->v[k];

		if (t->type == T_COMMENT)
			continue;
		if (raw.len && t->ws)
			sg_buf_putc(&raw, ' ');
		if (t->type == T_SPEC)
			sg_buf_putc(&raw, t->ch);
		else
			sg_buf_append(&raw, ttext(p, t), t->len);
	}
	for (k = 0; raw.len == 0 && k < v->n; k++)
		if (v->v[k].type == T_COMMENT)
			sg_buf_append(&raw, ttext(p, &v->v[k]), v->v[k].len);
	r = decode_phrase(&raw);
	sg_buf_free(&raw);
	return r;
}

/* Lower-case ASCII, without surrounding blanks and trailing dots. */
static char *domain_of(const char *s, size_t n)
{
	char *d;
	size_t i;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == '.' || s[n - 1] == ' ' ||
			 s[n - 1] == '\t'))
		n--;
	d = sg_xstrndup(s, n);
	/* strndup stops at a NUL inside the value (found by fuzz_addr):
	 * the copy may be shorter than n. */
	for (i = 0; d[i]; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] - 'A' + 'a');
	return d;
}

/* Takes ownership of the strings; drops them past list->max. */
static void add_mailbox(parser *p, char *addr, char *domain, char *display)
{
	eng_addr_list *l = p->list;
	eng_mailbox *m;

	if (l->n >= l->max) {
		l->truncated = true;
		free(addr);
		free(domain);
		free(display);
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = sg_xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	m = &l->v[l->n++];
	m->addr = addr;
	m->domain = domain;
	m->display = display;
	m->group = p->group ? sg_xstrdup(p->group) : NULL;
	p->added++;
}

/* addr is "local@domain" or "local"; `at` is where the domain starts. */
static void add_built(parser *p, sg_buf *addr, size_t at, char *display)
{
	const char *a = sg_buf_cstr(addr);
	char *domain;

	/* Without a local part ("<@x.jp>", a broken route) nobody gets it. */
	if (addr->len == 0 || a[0] == '@') {
		free(display);
		return;
	}
	domain = at ? domain_of(a + at, addr->len - at) : sg_xstrdup("");
	add_mailbox(p, trimmed_dup(a, addr->len), domain, display);
}

/*
 * "<@r1,@r2:a@b>": the source route (RFC 5322 obs-route) ends at the
 * last ':'; the domain starts after the last '@'.
 */
static void finish_angle(parser *p)
{
	const tokvec *v = &p->angle;
	size_t k, start = 0, at = 0;
	sg_buf addr;

	for (k = 0; k < v->n; k++)
		if (v->v[k].type == T_SPEC && v->v[k].ch == ':')
			start = k + 1;
	sg_buf_init(&addr, TEXT_MAX);
	for (k = start; k < v->n; k++) {
		const tok *t = &v->v[k];

		if (is_word(t)) {
			put_addr_tok(p, t, &addr);
		} else if (t->type == T_SPEC && t->ch == '@') {
			sg_buf_putc(&addr, '@');
			at = addr.len;
		}
	}
	add_built(p, &addr, at, display_of(p, 0, p->phrase.n));
	sg_buf_free(&addr);
}

/* Without '@': one bare word is an address ("postmaster"). */
static void finish_no_at(parser *p)
{
	const tokvec *v = &p->phrase;
	size_t k, words = 0, w = 0;
	sg_buf addr;

	if (p->after_angle)
		return;
	for (k = 0; k < v->n; k++) {
		if (v->v[k].type == T_SPEC)
			return;
		if (is_word(&v->v[k])) {
			words++;
			w = k;
		}
	}
	if (words != 1 || v->v[w].type != T_WORD)
		return;
	sg_buf_init(&addr, TEXT_MAX);
	put_addr_tok(p, &v->v[w], &addr);
	add_built(p, &addr, 0, display_of(p, 0, 0));
	sg_buf_free(&addr);
}

/*
 * A bare addr-spec: the words glued to the last '@' (no blank between
 * them) are the address; words before it are the display name.
 */
static void finish_bare(parser *p)
{
	const tokvec *v = &p->phrase;
	size_t k, at = v->n, ls, de, dpos;
	sg_buf addr;

	for (k = 0; k < v->n; k++)
		if (v->v[k].type == T_SPEC && v->v[k].ch == '@')
			at = k;
	if (at == v->n) {
		finish_no_at(p);
		return;
	}
	/* "user@gmail.com@ours": the '@' glued inside the local part
	 * belongs to it (issue 13: Postfix re-resolves such a local part
	 * and sends the mail to gmail.com), so it is kept whole. */
	ls = at;
	if (at > 0 && is_word(&v->v[at - 1]))
		for (ls = at - 1; ls > 0 && is_word_or_at(&v->v[ls - 1]) &&
		     !v->v[ls].ws; ls--)
			;
	while (ls < at && !is_word(&v->v[ls]))
		ls++;
	de = at + 1;
	if (de < v->n && is_word(&v->v[de]))
		for (de++; de < v->n && is_word(&v->v[de]) && !v->v[de].ws;
		     de++)
			;
	sg_buf_init(&addr, TEXT_MAX);
	for (k = ls; k < at; k++) {
		if (v->v[k].type == T_SPEC)
			sg_buf_putc(&addr, v->v[k].ch);
		else
			put_addr_tok(p, &v->v[k], &addr);
	}
	sg_buf_putc(&addr, '@');
	dpos = addr.len;
	for (k = at + 1; k < de; k++)
		put_addr_tok(p, &v->v[k], &addr);
	add_built(p, &addr, dpos, display_of(p, 0, ls));
	sg_buf_free(&addr);
}

static void finish(parser *p)
{
	if (p->has_angle)
		finish_angle(p);
	else if (p->phrase.n)
		finish_bare(p);
	p->phrase.n = 0;
	p->angle.n = 0;
	p->has_angle = false;
	sg_buf_reset(&p->arena);
}

/* "Team:" - the phrase so far is the group's name, not a mailbox. */
static void start_group(parser *p)
{
	free(p->group);
	p->group = display_of(p, 0, p->phrase.n);
	if (p->group == NULL)
		p->group = sg_xstrdup("");
	p->phrase.n = 0;
	sg_buf_reset(&p->arena);
	p->after_angle = false;
}

/* After '<': tokens up to '>' (or the end, if it never closes). */
static void read_angle(parser *p, lexer *lx)
{
	tok t;

	while (lex_next(lx, &p->arena, &t)) {
		if (t.type == T_SPEC && t.ch == '>')
			break;
		tv_push(&p->angle, &t);
	}
	p->has_angle = true;
}

static void on_special(parser *p, lexer *lx, const tok *t)
{
	switch (t->ch) {
	case ',':
		finish(p);
		p->after_angle = false;
		break;
	case ';':
		finish(p);
		p->after_angle = false;
		free(p->group);
		p->group = NULL;
		break;
	case ':':
		start_group(p);
		break;
	case '<':
		read_angle(p, lx);
		finish(p);
		/* "<a@x> <b@y>": Outlook pastes lose the comma. */
		p->after_angle = true;
		break;
	case '@':
		tv_push(&p->phrase, t);
		break;
	default:		/* a stray '>' */
		break;
	}
}

size_t eng_addr_parse(const char *raw, size_t len, eng_addr_list *list)
{
	parser p;
	lexer lx;
	tok t;

	memset(&p, 0, sizeof p);
	p.list = list;
	sg_buf_init(&p.arena, len + 1);
	lx.s = raw;
	lx.n = raw ? len : 0;
	lx.i = 0;
	while (lex_next(&lx, &p.arena, &t)) {
		if (t.type == T_SPEC)
			on_special(&p, &lx, &t);
		else
			tv_push(&p.phrase, &t);
	}
	finish(&p);
	free(p.group);
	free(p.phrase.v);
	free(p.angle.v);
	sg_buf_free(&p.arena);
	return p.added;
}

void eng_addr_list_init(eng_addr_list *list, size_t max)
{
	list->v = NULL;
	list->n = 0;
	list->cap = 0;
	list->max = max ? max : ENG_ADDR_MAX;
	list->truncated = false;
}

void eng_addr_list_free(eng_addr_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++) {
		free(list->v[i].display);
		free(list->v[i].addr);
		free(list->v[i].domain);
		free(list->v[i].group);
	}
	free(list->v);
	eng_addr_list_init(list, list->max);
}

/* One domain matcher for every layer (util/sg_addr.c). */
bool eng_addr_domain_matches(const char *domain, const char *entry)
{
	return sg_addr_domain_matches(domain, entry);
}
