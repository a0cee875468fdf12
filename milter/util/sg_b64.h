/*
 * NAME
 *	sg_b64 - the base64 alphabet (RFC 4648), shared by every decoder
 * DESCRIPTION
 *	sg_b64val() gives the 6-bit value of one base64 character, or -1
 *	for anything else (padding, white space, garbage): each decoder
 *	keeps its own policy for those. It is called once per encoded
 *	byte (a 10 MB attachment is 14 million calls in the damage check
 *	alone), so it is an inline table look-up.
 */
#ifndef SG_B64_H
#define SG_B64_H

extern const signed char sg_b64_tab[256];

static inline int sg_b64val(int c)
{
	return c >= 0 && c < 256 ? sg_b64_tab[c] : -1;
}

#endif
