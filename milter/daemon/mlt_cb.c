/*
 * NAME
 *	mlt_cb - libmilter callbacks
 * DESCRIPTION
 *	One mlt_conn per SMTP connection (libmilter runs each in its own
 *	thread). A message takes a runtime reference at MAIL FROM and drops
 *	it at end of message or abort, so that a reload applies from the
 *	next message on. Every failure inside becomes the configured
 *	failure action (default tempfail): Postfix keeps the mail.
 */
#include "daemon/mlt.h"
#include "util/sg_mem.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

/* More recipients than Postfix accepts for one message by default. */
#define MLT_MAX_RCPTS 10000

typedef struct mlt_conn {
	char *client_addr;
	mlt_rt *rt;		/* held during a message */
	mlt_msg msg;
	bool in_msg;
	unsigned long pflags;	/* protocol steps agreed with the MTA */
} mlt_conn;

/*
 * Protocol steps asked of the MTA (issue 21): every reply saved is a
 * round trip on the socket. Steps we have no callback for are not sent
 * at all; connect, MAIL, headers and body are sent without waiting for
 * a reply, so their errors are answered at RCPT or end of message.
 * RCPT keeps its reply: a recipient can be refused on its own.
 */
#define MLT_PROTO_NOSEND (SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA | \
			  SMFIP_NOEOH)
#define MLT_PROTO_NOREPLY (SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR | \
			   SMFIP_NR_BODY)
#define MLT_ACTIONS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE)

/* The reply of a step the MTA may have agreed not to wait for. */
static sfsistat mlt_reply(const mlt_conn *c, unsigned long nr, sfsistat rc)
{
	return c && (c->pflags & nr) ? SMFIS_NOREPLY : rc;
}

static mlt_conn *mlt_conn_of(SMFICTX *ctx)
{
	mlt_conn *c = smfi_getpriv(ctx);

	if (c == NULL) {
		c = sg_xcalloc(1, sizeof(*c));
		smfi_setpriv(ctx, c);
	}
	return c;
}

static sfsistat mlt_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			      unsigned long f2, unsigned long f3,
			      unsigned long *pf0, unsigned long *pf1,
			      unsigned long *pf2, unsigned long *pf3)
{
	mlt_conn *c;

	(void)f2;
	(void)f3;
	/* Without these actions a hold cannot be made: let the MTA apply
	 * its milter failure action (Postfix: milter_default_action). */
	if ((f0 & MLT_ACTIONS) != MLT_ACTIONS)
		return SMFIS_REJECT;
	c = mlt_conn_of(ctx);
	c->pflags = f1 & (MLT_PROTO_NOSEND | MLT_PROTO_NOREPLY);
	*pf0 = MLT_ACTIONS;
	*pf1 = c->pflags;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
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

static sfsistat mlt_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	mlt_conn *c = mlt_conn_of(ctx);
	char buf[INET6_ADDRSTRLEN] = "";

	(void)host;
	if (addr && addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)addr)->sin_addr,
			  buf, sizeof(buf));
	else if (addr && addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)addr)->sin6_addr,
			  buf, sizeof(buf));
	free(c->client_addr);
	c->client_addr = sg_xstrdup(*buf ? buf : "local");
	return mlt_reply(c, SMFIP_NR_CONN, SMFIS_CONTINUE);
}

static sfsistat mlt_envfrom(SMFICTX *ctx, char **argv)
{
	mlt_conn *c = smfi_getpriv(ctx);
	const char *auth;

	/* Under SMFIP_NR_MAIL a failure here is answered at RCPT: that
	 * callback and end of message tempfail a message not begun. */
	if (c == NULL)
		return mlt_reply(c, SMFIP_NR_MAIL, SMFIS_TEMPFAIL);
	mlt_end_message(c);
	if ((c->rt = mlt_rt_get()) == NULL)
		return mlt_reply(c, SMFIP_NR_MAIL, SMFIS_TEMPFAIL);
	mlt_msg_init(&c->msg, &c->rt->set);
	c->in_msg = true;
	c->msg.mail_from = mlt_strip_angle(argv && argv[0] ? argv[0] : "");
	auth = smfi_getsymval(ctx, "{auth_authen}");
	if (auth && *auth)
		c->msg.auth_login = sg_xstrdup(auth);
	/* The sender group: from the envelope sender and the login, both
	 * known now; the scan at end of message uses its settings. */
	c->msg.group = eng_group_for(c->rt->eng, c->msg.mail_from, c->msg.auth_login);
	return mlt_reply(c, SMFIP_NR_MAIL, SMFIS_CONTINUE);
}

static sfsistat mlt_envrcpt(SMFICTX *ctx, char **argv)
{
	mlt_conn *c = smfi_getpriv(ctx);
	const char *resolved;
	mlt_msg *m;

	if (c == NULL || !c->in_msg)
		return SMFIS_TEMPFAIL;
	m = &c->msg;
	if (m->nrcpts >= MLT_MAX_RCPTS) {
		smfi_setreply(ctx, "452", "4.5.3", "Too many recipients");
		return SMFIS_TEMPFAIL;
	}
	/* Both forms (issue 13): the argument as given, and the address
	 * Postfix resolved it to (milter_rcpt_macros has {rcpt_addr} by
	 * default), which shows its own rewriting of "%", "!" and a
	 * local part holding "@" when the domain is in mydestination. */
	resolved = smfi_getsymval(ctx, "{rcpt_addr}");
	m->rcpts = sg_xreallocarray(m->rcpts, m->nrcpts + 1, sizeof(char *));
	m->rcpts_resolved = sg_xreallocarray(m->rcpts_resolved, m->nrcpts + 1,
					     sizeof(char *));
	m->rcpts_resolved[m->nrcpts] = resolved && *resolved ?
				       mlt_strip_angle(resolved) : NULL;
	m->rcpts[m->nrcpts++] = mlt_strip_angle(argv && argv[0] ? argv[0] : "");
	return SMFIS_CONTINUE;
}

static sfsistat mlt_header(SMFICTX *ctx, char *name, char *value)
{
	mlt_conn *c = smfi_getpriv(ctx);

	if (c == NULL || !c->in_msg)
		return mlt_reply(c, SMFIP_NR_HDR, SMFIS_TEMPFAIL);
	mlt_msg_header(&c->msg, name, value ? value : "");
	return mlt_reply(c, SMFIP_NR_HDR, SMFIS_CONTINUE);
}

static sfsistat mlt_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
	mlt_conn *c = smfi_getpriv(ctx);

	if (c == NULL || !c->in_msg)
		return mlt_reply(c, SMFIP_NR_BODY, SMFIS_TEMPFAIL);
	/* A spool failure is answered at end of message, with the failure
	 * action; reading on costs nothing and keeps the protocol simple. */
	mlt_msg_body(&c->msg, p, n);
	return mlt_reply(c, SMFIP_NR_BODY, SMFIS_CONTINUE);
}

static sfsistat mlt_eom(SMFICTX *ctx)
{
	mlt_conn *c = smfi_getpriv(ctx);
	const char *qid;
	sfsistat rc;

	if (c == NULL || !c->in_msg)
		return SMFIS_TEMPFAIL;
	qid = smfi_getsymval(ctx, "i");
	c->msg.queue_id = sg_xstrdup(qid && *qid ? qid : "unknown");
	if (c->msg.failed)
		rc = mlt_failure(ctx, c->rt, "cannot spool the message");
	else
		rc = mlt_act(ctx, c->rt, &c->msg, c->client_addr);
	mlt_end_message(c);
	return rc;
}

static sfsistat mlt_abort(SMFICTX *ctx)
{
	mlt_conn *c = smfi_getpriv(ctx);

	if (c)
		mlt_end_message(c);
	return SMFIS_CONTINUE;
}

static sfsistat mlt_close(SMFICTX *ctx)
{
	mlt_conn *c = smfi_getpriv(ctx);

	if (c) {
		mlt_end_message(c);
		free(c->client_addr);
		free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc mlt_desc = {
	.xxfi_name = "sendguard",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = MLT_ACTIONS,
	.xxfi_connect = mlt_connect,
	.xxfi_envfrom = mlt_envfrom,
	.xxfi_envrcpt = mlt_envrcpt,
	.xxfi_header = mlt_header,
	.xxfi_body = mlt_body,
	.xxfi_eom = mlt_eom,
	.xxfi_abort = mlt_abort,
	.xxfi_close = mlt_close,
	.xxfi_negotiate = mlt_negotiate,
};
