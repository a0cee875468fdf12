/*
 * NAME
 *	ntf_render - notice templates: parse, check and fill {{name}}
 * SYNOPSIS
 *	#include "notify/ntf.h"
 * DESCRIPTION
 *	Administrators edit the templates (conf/templates/{ja,en}/KIND.txt)
 *	to match their office's wording, so a mistake in one must show at
 *	start-up with the file and line, not as a notice with a hole in it
 *	the first time mail is held. Substitution is deliberately simple:
 *	{{name}} with a name from ntf_var_names[], nothing else. Values are
 *	copied as they are and never scanned again, so a subject that
 *	contains "{{link}}" prints as text.
 *
 *	A template is "Subject: ..." on its first line, an empty line, and
 *	the body. In the subject every value is put on one line and
 *	shortened (a subject is attacker-controlled text and must not grow
 *	a header without bound).
 * DIAGNOSTICS
 *	ntf_template_parse() and ntf_template_load() return NULL with
 *	"FILE:LINE: what is wrong" in err.
 */
#include "notify/ntf.h"
#include "util/sg_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NTF_TEMPLATE_MAX	(64 * 1024)	/* bytes of a template file */
#define NTF_VAR_NAME_MAX	64
#define NTF_SEGMENTS_MAX	4096
#define NTF_SUBJECT_VALUE_MAX	120	/* bytes of one value in a subject */

/* Every name a template may use; see README / ntf.h for meanings. */
const char *const ntf_var_names[] = {
	"subject", "sender", "from", "recipients", "hold_id", "queue_id",
	"created", "expires", "size", "categories", "findings", "attachments",
	"approvers", "advice", "person", "base_url", "token", "link",
	"list_link", "approve_command", "reject_command", "withdraw_command",
	"show_command", "decided_by", "decided_at", "comment",
	/* Delayed send (issue 19). */
	"release_at", "send_link", "cancel_link", "release_command",
};
const size_t ntf_nvar_names = sizeof(ntf_var_names) / sizeof(ntf_var_names[0]);

typedef struct ntf_seg {
	int var;		/* index into ntf_var_names, or -1: literal */
	const char *text;	/* into ntf_template.text */
	size_t len;
} ntf_seg;

typedef struct ntf_part {
	ntf_seg *v;
	size_t n;
} ntf_part;

struct ntf_template {
	char *text;
	ntf_part subject, body;
};

static int ntf_var_index(const char *name, size_t len)
{
	for (size_t i = 0; i < ntf_nvar_names; i++)
		if (strlen(ntf_var_names[i]) == len && memcmp(ntf_var_names[i], name, len) == 0)
			return (int)i;
	return -1;
}

static int ntf_seg_add(ntf_part *p, int var, const char *text, size_t len)
{
	if (p->n >= NTF_SEGMENTS_MAX)
		return -1;
	p->v = sg_xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	p->v[p->n++] = (ntf_seg){ var, text, len };
	return 0;
}

/* Line number of position pos in text (1-based). */
static unsigned ntf_line_of(const char *text, const char *pos)
{
	unsigned line = 1;

	for (const char *c = text; c < pos; c++)
		line += *c == '\n';
	return line;
}

/* Splits s[0..len) into literals and placeholders. */
static int ntf_parse_part(const char *name, const char *text, const char *s, size_t len,
			  ntf_part *p, sg_buf *err)
{
	const char *end = s + len, *lit = s;

	while (s < end) {
		const char *open = memmem(s, (size_t)(end - s), "{{", 2), *close, *nl;
		size_t b, e;
		int var;

		if (open == NULL)
			break;
		nl = memchr(open, '\n', (size_t)(end - open));
		close = memmem(open + 2, (size_t)((nl ? nl : end) - open - 2), "}}", 2);
		if (close == NULL) {
			sg_buf_printf(err, "%s:%u: \"{{\" without \"}}\" on the same line",
				      name, ntf_line_of(text, open));
			return -1;
		}
		for (b = 2; open + b < close && open[b] == ' '; b++)
			;
		for (e = (size_t)(close - open); e > b && open[e - 1] == ' '; e--)
			;
		var = e - b <= NTF_VAR_NAME_MAX ? ntf_var_index(open + b, e - b) : -1;
		if (var < 0) {
			sg_buf_printf(err, "%s:%u: unknown placeholder {{%.*s}}", name,
				      ntf_line_of(text, open), (int)(close - open - 2), open + 2);
			return -1;
		}
		if (ntf_seg_add(p, -1, lit, (size_t)(open - lit)) < 0 ||
		    ntf_seg_add(p, var, NULL, 0) < 0)
			goto toomany;
		s = lit = close + 2;
	}
	if (ntf_seg_add(p, -1, lit, (size_t)(end - lit)) < 0)
		goto toomany;
	return 0;
toomany:
	sg_buf_printf(err, "%s: too many placeholders", name);
	return -1;
}

ntf_template *ntf_template_parse(const char *name, const char *text, size_t len,
				 sg_buf *err)
{
	ntf_template *t = sg_xcalloc(1, sizeof(*t));
	const char *s, *nl, *body;

	t->text = sg_xmemdup(text, len + 1);
	t->text[len] = '\0';
	s = t->text;
	if (len > NTF_TEMPLATE_MAX || memchr(s, '\0', len)) {
		sg_buf_printf(err, "%s: not a text file of at most %d bytes", name,
			      NTF_TEMPLATE_MAX);
		goto fail;
	}
	if (strncmp(s, "Subject:", 8) != 0 || (nl = strchr(s, '\n')) == NULL) {
		sg_buf_printf(err, "%s:1: the first line must be \"Subject: ...\" "
			      "followed by an empty line and the body", name);
		goto fail;
	}
	body = nl + 1;
	if (*body == '\n')
		body++;
	else if (body[0] == '\r' && body[1] == '\n')
		body += 2;
	s += 8;
	while (*s == ' ' || *s == '\t')
		s++;
	if (ntf_parse_part(name, t->text, s, (size_t)(nl - s) - (nl > s && nl[-1] == '\r'),
			   &t->subject, err) < 0 ||
	    ntf_parse_part(name, t->text, body, len - (size_t)(body - t->text), &t->body,
			   err) < 0)
		goto fail;
	return t;
fail:
	ntf_template_free(t);
	return NULL;
}

ntf_template *ntf_template_load(const char *path, sg_buf *err)
{
	sg_buf text;
	ntf_template *t = NULL;
	char chunk[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		sg_buf_printf(err, "%s: cannot read template: %s", path, strerror(errno));
		return NULL;
	}
	sg_buf_init(&text, NTF_TEMPLATE_MAX);
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || sg_buf_append(&text, chunk, r > 0 ? (size_t)r : 0) < 0) {
			sg_buf_printf(err, "%s: %s", path, r < 0 ? strerror(errno) :
				      "template larger than 64 KiB");
			goto out;
		}
		if (r == 0)
			break;
	}
	t = ntf_template_parse(path, sg_buf_cstr(&text), text.len, err);
out:
	close(fd);
	sg_buf_free(&text);
	return t;
}

void ntf_template_free(ntf_template *t)
{
	if (t == NULL)
		return;
	free(t->subject.v);
	free(t->body.v);
	free(t->text);
	free(t);
}

static const char *ntf_var_value(const ntf_var *vars, size_t nvars, const char *name)
{
	for (size_t i = 0; i < nvars; i++)
		if (strcmp(vars[i].name, name) == 0)
			return vars[i].value ? vars[i].value : "";
	return "";
}

/* A value on one line, cut at a UTF-8 character boundary. */
static void ntf_put_oneline(sg_buf *out, const char *v)
{
	size_t n = strlen(v);

	if (n > NTF_SUBJECT_VALUE_MAX) {
		n = NTF_SUBJECT_VALUE_MAX;
		while (n > 0 && ((unsigned char)v[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++)
		sg_buf_putc(out, (v[i] == '\r' || v[i] == '\n' || v[i] == '\t') ? ' ' : v[i]);
	if (n < strlen(v))
		sg_buf_puts(out, "…");
}

int ntf_template_render(const ntf_template *t, const ntf_var *vars, size_t nvars,
			sg_buf *subject, sg_buf *body)
{
	for (size_t i = 0; i < t->subject.n; i++) {
		const ntf_seg *s = &t->subject.v[i];

		if (s->var < 0)
			sg_buf_append(subject, s->text, s->len);
		else
			ntf_put_oneline(subject, ntf_var_value(vars, nvars,
							       ntf_var_names[s->var]));
	}
	for (size_t i = 0; i < t->body.n; i++) {
		const ntf_seg *s = &t->body.v[i];

		if (s->var < 0)
			sg_buf_append(body, s->text, s->len);
		else
			sg_buf_puts(body, ntf_var_value(vars, nvars, ntf_var_names[s->var]));
	}
	return subject->toobig || body->toobig ? -1 : 0;
}
