/*
 * NAME
 *	ctl_gateway - gateways (issue 20): whose holds a command acts on
 * DESCRIPTION
 *	Several gateways may share one PostgreSQL store; each hold records
 *	the gateway whose queue keeps its mail ([store] gateway of the
 *	milter that took it). Only that gateway can carry out a decision
 *	on the mail: apply, apply --daemon and reconcile act on their own
 *	gateway's holds and leave the others' alone (they are neither
 *	carried out, nor repaired, nor reported as missing from the
 *	queue). An orphaned hold (its gateway retired) is nobody's.
 */
#include "ctl/ctl.h"

#include <string.h>

bool ctl_gateway_owns(const char *gateway, const st_hold *h)
{
	return gateway != NULL && h->gateway != NULL && h->orphaned_at == NULL &&
	       strcmp(h->gateway, gateway) == 0;
}
