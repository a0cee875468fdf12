/*
 * NAME
 *	mp_proto - one milter connection: packets in, callbacks, replies out
 * DESCRIPTION
 *	A packet is a 4-byte length in network order (command byte and
 *	data) followed by the command byte and the data. Packets are read
 *	through one buffer per connection, so the steps the MTA sends
 *	without waiting cost one read together; replies are gathered and
 *	written once per step (end of message: its modifications and its
 *	answer in one write). See mp.h.
 */
#include "daemon/mp.h"
#include "util/sg_mem.h"

#include <libmilter/mfdef.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#define MP_READ_CHUNK 65536
#define MP_MAX_ARGS 64		/* MAIL/RCPT arguments kept */
#define MP_MAX_MACROS 128	/* name/value pairs kept per step */
#define MP_VERSION 6
#define MP_REPLY_MAX 980	/* the longest reply text Sendmail takes */

/* The steps macros are sent for ('D' + the step's command byte), in
 * the order a transaction passes them: a later step's macros win. */
static const char mp_steps[] = { SMFIC_CONNECT, SMFIC_HELO, SMFIC_MAIL,
				 SMFIC_RCPT, SMFIC_DATA, SMFIC_EOH, SMFIC_BODYEOB };
#define MP_NSTEPS (sizeof(mp_steps))

typedef struct mp_macros {
	char *data;		/* the packet's data, owned */
	const char *pair[2 * MP_MAX_MACROS];
	size_t n;		/* pairs */
} mp_macros;

struct mp_ctx {
	int fd;
	const mp_desc *d;
	void *priv;
	uint32_t proto;		/* agreed protocol flags */
	uint32_t actions;	/* agreed actions */
	bool negotiated;
	bool in_eom;		/* modifications allowed */
	bool tcp;		/* an inet or inet6 socket */
	char *reply;		/* mp_setreply's text, for the next answer */
	mp_macros mac[MP_NSTEPS];
	unsigned char *in;	/* read buffer */
	size_t in_cap, in_start, in_end;
	sg_buf out;		/* replies not yet written */
};

void *mp_getpriv(mp_ctx *c)
{
	return c->priv;
}

void mp_setpriv(mp_ctx *c, void *priv)
{
	c->priv = priv;
}

static size_t mp_step_index(char cmd)
{
	const char *p = memchr(mp_steps, cmd, MP_NSTEPS);

	return p ? (size_t)(p - mp_steps) : MP_NSTEPS;
}

/* Macros of step i and every later one are forgotten: a new MAIL
 * starts with no RCPT or end-of-message macros of the last message. */
static void mp_clear_macros(mp_ctx *c, size_t from)
{
	for (size_t i = from; i < MP_NSTEPS; i++) {
		free(c->mac[i].data);
		c->mac[i].data = NULL;
		c->mac[i].n = 0;
	}
}

/* "{x}" and "x" name the same macro. */
static bool mp_name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 2 && a[0] == '{' && a[la - 1] == '}')
		a++, la -= 2;
	if (lb >= 2 && b[0] == '{' && b[lb - 1] == '}')
		b++, lb -= 2;
	return la == lb && memcmp(a, b, la) == 0;
}

const char *mp_getsymval(mp_ctx *c, const char *name)
{
	for (size_t i = MP_NSTEPS; i-- > 0;)
		for (size_t k = 0; k < c->mac[i].n; k++)
			if (mp_name_eq(c->mac[i].pair[2 * k], name))
				return c->mac[i].pair[2 * k + 1];
	return NULL;
}

int mp_setreply(mp_ctx *c, const char *rcode, const char *xcode,
		const char *text)
{
	sg_buf b;

	if (rcode == NULL || strlen(rcode) != 3 || (rcode[0] != '4' && rcode[0] != '5') ||
	    rcode[1] < '0' || rcode[1] > '9' || rcode[2] < '0' || rcode[2] > '9')
		return -1;
	if ((xcode && (strpbrk(xcode, "\r\n") || xcode[0] != rcode[0])) ||
	    (text && strpbrk(text, "\r\n")))
		return -1;
	sg_buf_init(&b, SG_BUF_UNLIMITED);
	sg_buf_printf(&b, "%s %s %s", rcode, xcode && *xcode ? xcode :
		      (rcode[0] == '4' ? "4.0.0" : "5.0.0"), text ? text : "");
	if (b.len > MP_REPLY_MAX) {
		sg_buf_free(&b);
		return -1;
	}
	free(c->reply);
	c->reply = sg_buf_steal(&b);
	return 0;
}

/* One reply packet into the output. */
static void mp_put(mp_ctx *c, char cmd, const void *data, size_t n)
{
	uint32_t len = htonl((uint32_t)(n + 1));

	sg_buf_append(&c->out, &len, 4);
	sg_buf_putc(&c->out, cmd);
	if (n)
		sg_buf_append(&c->out, data, n);
}

/* name\0value\0, after an optional 4-byte index. */
static int mp_put_header(mp_ctx *c, char cmd, const uint32_t *idx,
			 const char *name, const char *value)
{
	sg_buf b;

	if (!c->in_eom || name == NULL || *name == '\0')
		return -1;
	sg_buf_init(&b, SG_BUF_UNLIMITED);
	if (idx) {
		uint32_t v = htonl(*idx);

		sg_buf_append(&b, &v, 4);
	}
	sg_buf_append(&b, name, strlen(name) + 1);
	value = value ? value : "";
	sg_buf_append(&b, value, strlen(value) + 1);
	mp_put(c, cmd, b.data, b.len);
	sg_buf_free(&b);
	return 0;
}

int mp_addheader(mp_ctx *c, const char *name, const char *value)
{
	if (!(c->actions & MP_ACT_ADDHDRS) || value == NULL)
		return -1;
	return mp_put_header(c, SMFIR_ADDHEADER, NULL, name, value);
}

int mp_chgheader(mp_ctx *c, const char *name, int idx, const char *value)
{
	uint32_t i;

	if (!(c->actions & MP_ACT_CHGHDRS) || idx < 0)
		return -1;
	i = (uint32_t)idx;
	return mp_put_header(c, SMFIR_CHGHEADER, &i, name, value);
}

int mp_quarantine(mp_ctx *c, const char *reason)
{
	if (!c->in_eom || !(c->actions & MP_ACT_QUARANTINE) || reason == NULL ||
	    *reason == '\0')
		return -1;
	mp_put(c, SMFIR_QUARANTINE, reason, strlen(reason) + 1);
	return 0;
}

/* The answer to a step, unless the MTA agreed not to wait for one. */
static void mp_answer(mp_ctx *c, uint32_t nr_flag, mp_status st)
{
	char cmd;

	if (nr_flag && (c->proto & nr_flag))
		return;
	switch (st) {
	case MP_REJECT:
	case MP_TEMPFAIL:
		if (c->reply && c->reply[0] == (st == MP_REJECT ? '5' : '4')) {
			mp_put(c, SMFIR_REPLYCODE, c->reply, strlen(c->reply) + 1);
			free(c->reply);
			c->reply = NULL;
			return;
		}
		cmd = st == MP_REJECT ? SMFIR_REJECT : SMFIR_TEMPFAIL;
		break;
	case MP_ACCEPT:
		cmd = SMFIR_ACCEPT;
		break;
	case MP_DISCARD:
		cmd = SMFIR_DISCARD;
		break;
	default:
		cmd = SMFIR_CONTINUE;
		break;
	}
	mp_put(c, cmd, NULL, 0);
}

static int mp_flush(mp_ctx *c)
{
	size_t off = 0;

	while (off < c->out.len) {
		ssize_t w = send(c->fd, c->out.data + off, c->out.len - off,
				 MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	sg_buf_reset(&c->out);
	return 0;
}

/* Under the SMFIP_NR_* flags the MTA writes several packets without
 * waiting for an answer; Postfix does not set TCP_NODELAY, so its
 * second small write waits for our ACK, and Linux delays an ACK with no
 * data to carry by up to 40 ms. Quick ACK mode is not sticky: ask for
 * it before every read. */
static void mp_quickack(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

/* An inet or inet6 connection: the quick ACKs above concern TCP only. */
static bool mp_is_tcp(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	return ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
}

/*
 * The next packet: 0 with *cmd, *data, *n (valid until the next call),
 * 1 at the end of the connection (EOF, timeout, a stop), -1 for a
 * malformed length.
 */
static int mp_read_packet(mp_ctx *c, char *cmd, unsigned char **data, size_t *n)
{
	uint32_t len = 0;

	for (;;) {
		size_t have = c->in_end - c->in_start;
		ssize_t r;

		if (have >= 4) {
			memcpy(&len, c->in + c->in_start, 4);
			len = ntohl(len);
			if (len == 0 || len > c->d->max_packet)
				return -1;
			if (have >= 4 + (size_t)len)
				break;
		}
		/* Room for the rest: move what is left to the front, and
		 * grow only for a packet larger than the buffer. */
		if (c->in_start > 0) {
			memmove(c->in, c->in + c->in_start, have);
			c->in_start = 0;
			c->in_end = have;
		}
		if (have >= 4 && 4 + (size_t)len > c->in_cap) {
			c->in_cap = 4 + (size_t)len;
			c->in = sg_xrealloc(c->in, c->in_cap);
		}
		if (c->tcp)
			mp_quickack(c->fd);
		r = recv(c->fd, c->in + c->in_end, c->in_cap - c->in_end, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 1;
		c->in_end += (size_t)r;
	}
	*cmd = (char)c->in[c->in_start + 4];
	*data = c->in + c->in_start + 5;
	*n = (size_t)len - 1;
	c->in_start += 4 + (size_t)len;
	if (c->in_start == c->in_end)
		c->in_start = c->in_end = 0;
	return 0;
}

/* NUL-separated strings of data[0..n) into argv (at most max, then
 * NULL); -1 when the data does not end in NUL. */
static int mp_split(unsigned char *data, size_t n, char **argv, size_t max)
{
	size_t k = 0, i = 0;

	if (n == 0 || data[n - 1] != '\0')
		return -1;
	while (i < n && k < max) {
		argv[k++] = (char *)data + i;
		i += strlen((char *)data + i) + 1;
	}
	argv[k] = NULL;
	return (int)k;
}

static int mp_on_optneg(mp_ctx *c, const unsigned char *data, size_t n)
{
	uint32_t v[3], act = 0, proto = 0, out[3];

	if (n < 12)
		return -1;
	memcpy(v, data, 12);
	for (int i = 0; i < 3; i++)
		v[i] = ntohl(v[i]);
	if (v[0] < 2)
		return -1;
	if (c->d->negotiate &&
	    c->d->negotiate(c, v[1], v[2], &act, &proto) != MP_CONTINUE)
		return -1;
	c->actions = act & v[1];
	c->proto = proto & v[2];
	c->negotiated = true;
	out[0] = htonl(v[0] < MP_VERSION ? v[0] : MP_VERSION);
	out[1] = htonl(c->actions);
	out[2] = htonl(c->proto);
	mp_put(c, SMFIC_OPTNEG, out, sizeof(out));
	return 0;
}

static int mp_on_macro(mp_ctx *c, const unsigned char *data, size_t n)
{
	size_t i, k = 0, pos = 1;
	mp_macros *m;

	if (n < 1)
		return -1;
	i = mp_step_index((char)data[0]);
	if (i == MP_NSTEPS)
		return 0;	/* a step we never ask about */
	m = &c->mac[i];
	free(m->data);
	m->data = sg_xmalloc(n + 1);
	memcpy(m->data, data, n);
	m->data[n] = '\0';	/* a cut-short last value ends here */
	while (pos < n && k < MP_MAX_MACROS) {
		const char *name = m->data + pos, *val;

		pos += strlen(name) + 1;
		if (pos >= n)
			break;
		val = m->data + pos;
		pos += strlen(val) + 1;
		m->pair[2 * k] = name;
		m->pair[2 * k + 1] = val;
		k++;
	}
	m->n = k;
	return 0;
}

static int mp_on_connect(mp_ctx *c, unsigned char *data, size_t n)
{
	const char *host = (const char *)data, *addr = "";
	size_t hl;

	if (n == 0 || memchr(data, '\0', n) == NULL)
		return -1;
	hl = strlen(host) + 1;
	/* family '4' or '6', a 2-byte port, the address: a client on the
	 * network; 'L' (unix) and 'U' (unknown) have none. */
	if (hl < n && (data[hl] == '4' || data[hl] == '6') && hl + 3 < n &&
	    data[n - 1] == '\0')
		addr = (const char *)data + hl + 3;
	mp_clear_macros(c, 1);
	mp_answer(c, SMFIP_NR_CONN, c->d->connect ? c->d->connect(c, host, addr)
						  : MP_CONTINUE);
	return 0;
}

static int mp_on_args(mp_ctx *c, char cmd, unsigned char *data, size_t n)
{
	char *argv[MP_MAX_ARGS + 1];
	mp_status st = MP_CONTINUE;

	if (mp_split(data, n, argv, MP_MAX_ARGS) < 1)
		return -1;
	if (cmd == SMFIC_MAIL) {
		/* macros of RCPT onwards belong to the last message */
		mp_clear_macros(c, mp_step_index(SMFIC_RCPT));
		if (c->d->envfrom)
			st = c->d->envfrom(c, argv);
		mp_answer(c, SMFIP_NR_MAIL, st);
	} else {
		if (c->d->envrcpt)
			st = c->d->envrcpt(c, argv);
		mp_answer(c, SMFIP_NR_RCPT, st);
	}
	return 0;
}

static int mp_on_header(mp_ctx *c, unsigned char *data, size_t n)
{
	char *argv[3];
	mp_status st = MP_CONTINUE;

	if (mp_split(data, n, argv, 2) != 2)
		return -1;
	if (c->d->header)
		st = c->d->header(c, argv[0], argv[1]);
	mp_answer(c, SMFIP_NR_HDR, st);
	return 0;
}

static void mp_on_eom(mp_ctx *c, const unsigned char *data, size_t n)
{
	mp_status st = MP_CONTINUE;

	/* The last body bytes may come with end of message. */
	if (n > 0 && c->d->body)
		st = c->d->body(c, data, n);
	c->in_eom = true;
	if (c->d->eom)
		st = c->d->eom(c);
	c->in_eom = false;
	mp_answer(c, 0, st);
	free(c->reply);
	c->reply = NULL;
}

/* One packet; 1 when the connection ends well (QUIT), -1 on a protocol
 * error, else 0. */
static int mp_dispatch(mp_ctx *c, char cmd, unsigned char *data, size_t n)
{
	if (!c->negotiated && cmd != SMFIC_OPTNEG)
		return -1;
	switch (cmd) {
	case SMFIC_OPTNEG:
		return mp_on_optneg(c, data, n);
	case SMFIC_MACRO:
		return mp_on_macro(c, data, n);
	case SMFIC_CONNECT:
		return mp_on_connect(c, data, n);
	case SMFIC_HELO:
		mp_answer(c, SMFIP_NR_HELO, MP_CONTINUE);
		return 0;
	case SMFIC_MAIL:
	case SMFIC_RCPT:
		return mp_on_args(c, cmd, data, n);
	case SMFIC_DATA:
		mp_answer(c, SMFIP_NR_DATA, MP_CONTINUE);
		return 0;
	case SMFIC_UNKNOWN:
		mp_answer(c, SMFIP_NR_UNKN, MP_CONTINUE);
		return 0;
	case SMFIC_HEADER:
		return mp_on_header(c, data, n);
	case SMFIC_EOH:
		mp_answer(c, SMFIP_NR_EOH, MP_CONTINUE);
		return 0;
	case SMFIC_BODY:
		mp_answer(c, SMFIP_NR_BODY, c->d->body ? c->d->body(c, data, n)
						       : MP_CONTINUE);
		return 0;
	case SMFIC_BODYEOB:
		mp_on_eom(c, data, n);
		return 0;
	case SMFIC_ABORT:
		/* no answer: the MTA does not wait for one */
		if (c->d->abort)
			c->d->abort(c);
		free(c->reply);
		c->reply = NULL;
		return 0;
	case SMFIC_QUIT_NC:
		/* the MTA keeps the connection for another client */
		if (c->d->close)
			c->d->close(c);
		c->priv = NULL;
		mp_clear_macros(c, 0);
		return 0;
	case SMFIC_QUIT:
		return 1;
	default:
		return -1;
	}
}

static void mp_set_timeouts(int fd, unsigned seconds)
{
	struct timeval tv = { .tv_sec = seconds, .tv_usec = 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void mp_session(int fd, const mp_desc *d)
{
	mp_ctx c;
	bool quit = false;
	int rc;

	memset(&c, 0, sizeof(c));
	c.fd = fd;
	c.d = d;
	c.tcp = mp_is_tcp(fd);
	c.in_cap = MP_READ_CHUNK;
	c.in = sg_xmalloc(c.in_cap);
	sg_buf_init(&c.out, SG_BUF_UNLIMITED);
	if (d->timeout)
		mp_set_timeouts(fd, d->timeout);
	for (;;) {
		unsigned char *data;
		size_t n;
		char cmd;

		rc = mp_read_packet(&c, &cmd, &data, &n);
		if (rc < 0 && d->log)
			d->log(LOG_WARNING, "milter protocol: packet length out of "
			       "range from the MTA; connection closed");
		if (rc != 0)
			break;
		rc = mp_dispatch(&c, cmd, data, n);
		if (rc < 0 && d->log)
			d->log(LOG_WARNING, "milter protocol: bad or unexpected "
			       "command 0x%02x (%zu bytes) from the MTA; connection "
			       "closed", (unsigned char)cmd, n);
		if (c.out.len > 0 && mp_flush(&c) < 0)
			break;
		if (rc != 0) {
			quit = rc > 0;
			break;
		}
	}
	/* Not a QUIT (EOF, error, timeout, a stop): a message under way
	 * is aborted (the callback knows whether one was), then closed. */
	if (!quit && d->abort)
		d->abort(&c);
	if (d->close)
		d->close(&c);
	mp_clear_macros(&c, 0);
	free(c.reply);
	free(c.in);
	sg_buf_free(&c.out);
}
