/*
 * NAME
 *	fuzz_addr - address list parsing (To, Cc, Bcc, From)
 * DESCRIPTION
 *	eng_addr_parse() with a small and the default bound, and the
 *	domain match of the scope rules on every domain it found.
 */
#include "fz.h"
#include "engine/eng_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t bounds[] = { 4, ENG_ADDR_MAX };
	eng_addr_list l;

	for (size_t b = 0; b < 2; b++) {
		eng_addr_list_init(&l, bounds[b]);
		eng_addr_parse((const char *)data, size, &l);
		for (size_t i = 0; i < l.n; i++)
			eng_addr_domain_matches(l.v[i].domain, "example.lg.jp");
		eng_addr_list_free(&l);
	}
	return 0;
}
