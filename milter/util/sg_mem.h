/*
 * NAME
 *	sg_mem - allocation that either succeeds or does not return
 * DESCRIPTION
 *	Like Postfix's mymalloc: callers never test for NULL. Running out
 *	of memory ends the process with a message; for the milter this
 *	means Postfix tempfails the message (milter_default_action), so no
 *	mail is lost. Sizes are checked for overflow.
 */
#ifndef SG_MEM_H
#define SG_MEM_H

#include <stddef.h>

void *sg_xmalloc(size_t n);
void *sg_xcalloc(size_t n, size_t size);
void *sg_xrealloc(void *p, size_t n);
void *sg_xreallocarray(void *p, size_t n, size_t size);
char *sg_xstrdup(const char *s);
char *sg_xstrndup(const char *s, size_t n);
void *sg_xmemdup(const void *p, size_t n);

#endif
