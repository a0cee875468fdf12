/*
 * NAME
 *	sg_b64 - the base64 alphabet (RFC 4648), shared by every decoder
 * DESCRIPTION
 *	sg_b64val() gives the 6-bit value of one base64 character, or -1
 *	for anything else (padding, white space, garbage): each decoder
 *	keeps its own policy for those.
 */
#ifndef SG_B64_H
#define SG_B64_H

int sg_b64val(int c);

#endif
