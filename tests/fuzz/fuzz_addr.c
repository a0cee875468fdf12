/*
 * NAME
 *	fuzz_addr - address list parsing (To, Cc, Bcc, From)
 * DESCRIPTION
 *	eng_addr_parse() with a small and the default bound, and the
 *	domain match of the scope rules on every domain it found; the
 *	one address reader (util/sg_addr) on every address it found and on
 *	the whole input as one RCPT argument: the internal rule of both
 *	forms, both identities, a sender's identity set.
 */
#include "fz.h"
#include "engine/eng_addr.h"
#include "util/sg_addr.h"

#include <stdlib.h>
#include <string.h>

static void fz_addr_forms(const char *a)
{
	static char *const ours[] = { "example.lg.jp", "xn--wgv71a119e.jp" };
	sg_idset ids;
	char *x;

	(void)sg_addr_rcpt_internal(a, a, ours, 2);
	free(sg_addr_identity(a, "+-", true));
	x = sg_addr_identity(a, NULL, false);
	free(x);
	sg_idset_init(&ids, "+");
	sg_idset_add_list(&ids, a);
	sg_idset_add_login(&ids, a, ours, 2);
	(void)sg_idset_has(&ids, a);
	sg_idset_free(&ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t bounds[] = { 4, ENG_ADDR_MAX };
	eng_addr_list l;

	for (size_t b = 0; b < 2; b++) {
		eng_addr_list_init(&l, bounds[b]);
		eng_addr_parse((const char *)data, size, &l);
		for (size_t i = 0; i < l.n; i++) {
			eng_addr_domain_matches(l.v[i].domain, "example.lg.jp");
			if (b == 0)
				fz_addr_forms(l.v[i].addr);
		}
		eng_addr_list_free(&l);
	}
	{
		char *one = strndup((const char *)data, size);

		if (one) {
			fz_addr_forms(one);
			free(one);
		}
	}
	return 0;
}
