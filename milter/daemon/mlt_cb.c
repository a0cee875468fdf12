/*
 * NAME
 *	mlt_cb - the milter protocol's callbacks (mp.h)
 * DESCRIPTION
 *	One mlt_conn per MTA connection (mp serves each on its own
 *	thread). A message takes a runtime reference at MAIL FROM and drops
 *	it at end of message or abort, so that a reload applies from the
 *	next message on. Every failure inside becomes the configured
 *	failure action (default tempfail): Postfix keeps the mail.
 */
#include "daemon/mlt.h"
#include "daemon/mlt_steps.h"
#include "util/sg_mem.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* More recipients than Postfix accepts for one message by default. */
#define MLT_MAX_RCPTS 10000

typedef struct mlt_conn {
	char *client_addr;
	mlt_rt *rt;		/* held during a message */
	mlt_msg msg;
	bool in_msg;
} mlt_conn;

static mlt_conn *mlt_conn_of(mp_ctx *ctx)
{
	mlt_conn *c = mp_getpriv(ctx);

	if (c == NULL) {
		c = sg_xcalloc(1, sizeof(*c));
		mp_setpriv(ctx, c);
	}
	return c;
}

static char *mlt_strip_angle(const char *s)
{
	size_t n;

	while (*s == ' ' || *s == '<')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == '>' || s[n - 1] == ' '))
		n--;
	return sg_xstrndup(s, n);
}

static void mlt_end_message(mlt_conn *c)
{
	if (!c->in_msg)
		return;
	mlt_msg_free(&c->msg);
	mlt_rt_put(c->rt);
	c->rt = NULL;
	c->in_msg = false;
}

static mp_status mlt_connect(mp_ctx *ctx, const char *host, const char *addr)
{
	mlt_conn *c = mlt_conn_of(ctx);

	(void)host;
	free(c->client_addr);
	c->client_addr = sg_xstrdup(*addr ? addr : "local");
	return MP_CONTINUE;
}

static mp_status mlt_envfrom(mp_ctx *ctx, char **argv)
{
	mlt_conn *c = mp_getpriv(ctx);
	const char *auth;

	/* Under SMFIP_NR_MAIL a failure here is answered at RCPT: that
	 * callback and end of message tempfail a message not begun. */
	if (c == NULL)
		return MP_TEMPFAIL;
	mlt_end_message(c);
	if ((c->rt = mlt_rt_get()) == NULL)
		return MP_TEMPFAIL;
	mlt_msg_init(&c->msg, &c->rt->set);
	c->in_msg = true;
	c->msg.mail_from = mlt_strip_angle(argv && argv[0] ? argv[0] : "");
	auth = mp_getsymval(ctx, "{auth_authen}");
	if (auth && *auth)
		c->msg.auth_login = sg_xstrdup(auth);
	/* The sender group: from the envelope sender and the login, both
	 * known now; the scan at end of message uses its settings. */
	c->msg.group = eng_group_for(c->rt->eng, c->msg.mail_from, c->msg.auth_login);
	return MP_CONTINUE;
}

static mp_status mlt_envrcpt(mp_ctx *ctx, char **argv)
{
	mlt_conn *c = mp_getpriv(ctx);
	const char *resolved;
	mlt_msg *m;

	if (c == NULL || !c->in_msg)
		return MP_TEMPFAIL;
	m = &c->msg;
	if (m->nrcpts >= MLT_MAX_RCPTS) {
		mp_setreply(ctx, "452", "4.5.3", "Too many recipients");
		return MP_TEMPFAIL;
	}
	/* Both forms (issue 13): the argument as given, and the address
	 * Postfix resolved it to (milter_rcpt_macros has {rcpt_addr} by
	 * default), which shows its own rewriting of "%", "!" and a
	 * local part holding "@" when the domain is in mydestination. */
	resolved = mp_getsymval(ctx, "{rcpt_addr}");
	m->rcpts = sg_xreallocarray(m->rcpts, m->nrcpts + 1, sizeof(char *));
	m->rcpts_resolved = sg_xreallocarray(m->rcpts_resolved, m->nrcpts + 1,
					     sizeof(char *));
	m->rcpts_resolved[m->nrcpts] = resolved && *resolved ?
				       mlt_strip_angle(resolved) : NULL;
	m->rcpts[m->nrcpts++] = mlt_strip_angle(argv && argv[0] ? argv[0] : "");
	return MP_CONTINUE;
}

static mp_status mlt_header(mp_ctx *ctx, const char *name, const char *value)
{
	mlt_conn *c = mp_getpriv(ctx);

	if (c == NULL || !c->in_msg)
		return MP_TEMPFAIL;
	mlt_msg_header(&c->msg, name, value ? value : "");
	return MP_CONTINUE;
}

static mp_status mlt_body(mp_ctx *ctx, const unsigned char *p, size_t n)
{
	mlt_conn *c = mp_getpriv(ctx);

	if (c == NULL || !c->in_msg)
		return MP_TEMPFAIL;
	/* A spool failure is answered at end of message, with the failure
	 * action; reading on costs nothing and keeps the protocol simple. */
	mlt_msg_body(&c->msg, p, n);
	return MP_CONTINUE;
}

static mp_status mlt_eom(mp_ctx *ctx)
{
	mlt_conn *c = mp_getpriv(ctx);
	const char *qid;
	mp_status rc;

	if (c == NULL || !c->in_msg)
		return MP_TEMPFAIL;
	qid = mp_getsymval(ctx, "i");
	c->msg.queue_id = sg_xstrdup(qid && *qid ? qid : "unknown");
	if (c->msg.failed)
		rc = mlt_failure(ctx, c->rt, "cannot spool the message");
	else
		rc = mlt_act(ctx, c->rt, &c->msg, c->client_addr);
	mlt_end_message(c);
	return rc;
}

static void mlt_abort(mp_ctx *ctx)
{
	mlt_conn *c = mp_getpriv(ctx);

	if (c)
		mlt_end_message(c);
}

static void mlt_close(mp_ctx *ctx)
{
	mlt_conn *c = mp_getpriv(ctx);

	if (c) {
		mlt_end_message(c);
		free(c->client_addr);
		free(c);
		mp_setpriv(ctx, NULL);
	}
}

const mp_desc mlt_proto_desc = {
	.negotiate = mlt_steps_negotiate,
	.connect = mlt_connect,
	.envfrom = mlt_envfrom,
	.envrcpt = mlt_envrcpt,
	.header = mlt_header,
	.body = mlt_body,
	.eom = mlt_eom,
	.abort = mlt_abort,
	.close = mlt_close,
	.log = mlt_log,
};
