/*
 * NAME
 *	sg_gateway - gateway names: the check and the default
 * DESCRIPTION
 *	See sg_gateway.h. No allocation; never fails.
 */
#include "util/sg_gateway.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool sg_gateway_valid(const char *s)
{
	size_t n;

	if (s == NULL || *s == '\0')
		return false;
	n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789.-_");
	return s[n] == '\0' && n <= SG_GATEWAY_MAX;
}

void sg_gateway_default(char buf[SG_GATEWAY_SIZE])
{
	char host[256];

	/* gethostname may leave the name unterminated when it is cut. */
	memset(host, 0, sizeof(host));
	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	/* A longer host name is cut to SG_GATEWAY_MAX bytes. */
	host[SG_GATEWAY_MAX] = '\0';
	memcpy(buf, host, strlen(host) + 1);
}
