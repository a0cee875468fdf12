/*
 * NAME
 *	sg_gateway - the name of a gateway ([store] gateway)
 * SYNOPSIS
 *	#include "util/sg_gateway.h"
 * DESCRIPTION
 *	Several gateways share one PostgreSQL store (issue 20); each hold
 *	records the gateway whose queue keeps its mail, and only that
 *	gateway's apply and reconcile act on it. A name is a token of
 *	letters, digits, '.', '-' and '_' of at most SG_GATEWAY_MAX bytes:
 *	it appears in the store, the audit log, log lines and the page,
 *	and must never need quoting there. The default is the host name.
 */
#ifndef SG_GATEWAY_H
#define SG_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>

#define SG_GATEWAY_MAX 64
#define SG_GATEWAY_SIZE (SG_GATEWAY_MAX + 1)

/* Whether s is a gateway name (non-empty, at most SG_GATEWAY_MAX bytes
 * of [A-Za-z0-9._-]). */
bool sg_gateway_valid(const char *s);
/* This host's name (gethostname) into buf; "localhost" when the system
 * gives none. The result may still fail sg_gateway_valid (a host name
 * with other characters): callers check it. */
void sg_gateway_default(char buf[SG_GATEWAY_SIZE]);

#endif
