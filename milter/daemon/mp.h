/*
 * NAME
 *	mp - the milter protocol, MTA side facing (issue 21)
 * SYNOPSIS
 *	#include "daemon/mp.h"
 * DESCRIPTION
 *	Speaks the milter protocol (version 6: Postfix 2.6 and later,
 *	Sendmail 8.14 and later; the values of <libmilter/mfdef.h>) in
 *	place of libmilter. libmilter as Debian builds it hands every
 *	command between a poller thread and a worker thread through a
 *	pipe, and polls twice and reads twice per packet: about 150 system
 *	calls and several thread switches for a small message, most of the
 *	milter's CPU time. Here one thread serves one MTA connection and
 *	reads through a buffer, so the packets the MTA sends without
 *	waiting for a reply (the no-reply steps) arrive in one read, and
 *	the modifications and the final reply of end of message leave in
 *	one write.
 *
 *	Only what sendguard needs is here: the steps connect, MAIL, RCPT,
 *	header, body, end of message, abort and close; macros; the
 *	modifications add header, change header and quarantine; reply
 *	codes. A step the MTA sends without a callback here is answered
 *	"continue" (or not at all, when it agreed to no reply).
 *
 *	mp_open() makes the listening socket, mp_run() serves it until
 *	SIGTERM, SIGINT or SIGHUP (blocked by the caller in every thread;
 *	mp_run sigwaits them) or mp_stop(). Then no connection is
 *	accepted any more, every connection is shut for reading, so a
 *	message in its end-of-message callback finishes and its answer
 *	still reaches the MTA, and mp_run returns when every connection
 *	has ended (at most MP_STOP_WAIT seconds).
 * DIAGNOSTICS
 *	A malformed packet (length 0, over the limit, a command this
 *	protocol does not have, a step's data cut short) ends that
 *	connection: the MTA applies its milter failure action (Postfix:
 *	milter_default_action), the message is not lost. Logged through
 *	the log function given.
 */
#ifndef MP_H
#define MP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/sg_buf.h"

typedef enum mp_status {
	MP_CONTINUE,
	MP_REJECT,
	MP_TEMPFAIL,
	MP_ACCEPT,
	MP_DISCARD,
} mp_status;

typedef struct mp_ctx mp_ctx;

/* Actions a milter may ask for (the protocol's SMFIF_* values): the
 * ones mp carries out. */
#define MP_ACT_ADDHDRS 0x01u
#define MP_ACT_CHGHDRS 0x10u
#define MP_ACT_QUARANTINE 0x20u

typedef struct mp_desc {
	/* Offered action and protocol flags of the MTA; set the ones
	 * asked for (a subset of the offer). Not MP_CONTINUE: the
	 * connection is closed. */
	mp_status (*negotiate)(mp_ctx *, uint32_t mta_actions, uint32_t mta_proto,
			       uint32_t *actions, uint32_t *proto);
	/* addr: the client's address as the MTA gives it, "" when it is
	 * not an IPv4/IPv6 client (a unix socket, unknown). */
	mp_status (*connect)(mp_ctx *, const char *host, const char *addr);
	mp_status (*envfrom)(mp_ctx *, char **argv);
	mp_status (*envrcpt)(mp_ctx *, char **argv);
	mp_status (*header)(mp_ctx *, const char *name, const char *value);
	mp_status (*body)(mp_ctx *, const unsigned char *p, size_t n);
	mp_status (*eom)(mp_ctx *);
	void (*abort)(mp_ctx *);
	void (*close)(mp_ctx *);
	void (*log)(int prio, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
	unsigned timeout;	/* seconds the MTA may be silent */
	size_t max_packet;	/* largest packet read */
} mp_desc;

/* Seconds mp_run waits at a stop for connections to end. */
#define MP_STOP_WAIT 30
/* Connections served at once; more wait to be accepted. */
#define MP_MAX_CONNS 1024

/* For the callbacks, as libmilter's smfi_* of the same names. */
void *mp_getpriv(mp_ctx *c);
void mp_setpriv(mp_ctx *c, void *priv);
/* The macro NAME ("i", "{rcpt_addr}"; braces optional) of the latest
 * step that has it, or NULL. */
const char *mp_getsymval(mp_ctx *c, const char *name);
/* The text of the next reject or tempfail: "RCODE XCODE TEXT". 0, or
 * -1 for a code that is not 4xx/5xx or a text with CR or LF. */
int mp_setreply(mp_ctx *c, const char *rcode, const char *xcode,
		const char *text);
/* End of message only (-1 elsewhere). value NULL in mp_chgheader
 * deletes the idx'th (from 1) header of that name. */
int mp_addheader(mp_ctx *c, const char *name, const char *value);
int mp_chgheader(mp_ctx *c, const char *name, int idx, const char *value);
int mp_quarantine(mp_ctx *c, const char *reason);

/* The listening socket for unix:/PATH (or local:), inet:PORT[@HOST],
 * inet6:PORT[@HOST]: a unix socket's old file is removed first; TCP
 * sockets get TCP_NODELAY (each connection inherits it). -1 with err. */
int mp_open(const char *spec, int backlog, sg_buf *err);
/* Serves lfd until a stop; closes it and removes a unix socket's file
 * (mp_open's). 0. */
int mp_run(int lfd, const mp_desc *d);
void mp_stop(void);

/* One connection, start to end, on the calling thread (mp_run's
 * workers; the unit tests over a socketpair). */
void mp_session(int fd, const mp_desc *d);

#endif
