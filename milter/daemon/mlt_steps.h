/*
 * NAME
 *	mlt_steps - the milter protocol steps and actions sendguard asks for
 * DESCRIPTION
 *	Shared by the milter (mlt_cb.c) and the bench's do-nothing milter
 *	(tests/bench/null_milter.c), which must negotiate exactly the same
 *	steps to measure what Postfix's milter client costs on its own.
 *
 *	Every reply saved is a round trip on the socket (issue 21). Steps
 *	we have no callback for are not sent at all; connect, MAIL,
 *	headers and body are sent without waiting for a reply, so their
 *	errors are answered at RCPT or end of message (mp sends nothing
 *	for a step agreed without reply, whatever the callback returns).
 *	RCPT keeps its reply: a recipient can be refused on its own.
 *	(Values of <libmilter/mfdef.h>, the protocol's definitions.)
 */
#ifndef MLT_STEPS_H
#define MLT_STEPS_H

#include <libmilter/mfdef.h>

#include "daemon/mp.h"

#define MLT_PROTO_NOSEND (SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA | \
			  SMFIP_NOEOH)
#define MLT_PROTO_NOREPLY (SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR | \
			   SMFIP_NR_BODY)
#define MLT_ACTIONS (MP_ACT_ADDHDRS | MP_ACT_CHGHDRS | MP_ACT_QUARANTINE)

/* The mp_desc negotiate callback of both. Without these actions a hold
 * cannot be made: the MTA applies its milter failure action (Postfix:
 * milter_default_action). */
static inline mp_status mlt_steps_negotiate(mp_ctx *ctx, uint32_t actions,
					    uint32_t proto, uint32_t *want_actions,
					    uint32_t *want_proto)
{
	(void)ctx;
	if ((actions & MLT_ACTIONS) != MLT_ACTIONS)
		return MP_REJECT;
	*want_actions = MLT_ACTIONS;
	*want_proto = proto & (MLT_PROTO_NOSEND | MLT_PROTO_NOREPLY);
	return MP_CONTINUE;
}

#endif
