/*
 * NAME
 *	fuzz_crypt - the CMS (BER/DER) and OpenPGP readers of eng_crypt
 * DESCRIPTION
 *	The input goes to each reader directly: eng_crypt_cms,
 *	eng_crypt_pgp (packets, partial lengths, ZIP/zlib/bzip2 compressed
 *	packets inside each other), eng_crypt_armor (the blocks of a text)
 *	and eng_crypt_encrypted, with a 1 MiB output bound so that a
 *	decompression bomb meets the limit rather than the fuzzer's memory
 *	limit. Whatever the input, a reader must not read outside it, must
 *	not call anything both ENCRYPTED and extracted, and must stop.
 *	Seeds: tests/fixtures/crypt/files (gpg and openssl output).
 */
#include "fz.h"
#include "engine/eng_crypt.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	eng_crypt_kind (*const readers[])(const unsigned char *, size_t, sg_buf *,
					  eng_crypt_info *) = {
		eng_crypt_cms, eng_crypt_pgp, eng_crypt_armor,
	};

	for (size_t i = 0; i < sizeof(readers) / sizeof(readers[0]); i++) {
		eng_crypt_info info = { 0 };
		sg_buf out;
		eng_crypt_kind k;

		sg_buf_init(&out, 1 << 20);
		k = readers[i](data, size, &out, &info);
		if (k == ENG_CRYPT_ENCRYPTED && out.len != 0)
			abort();
		if (k == ENG_CRYPT_BROKEN && info.why == NULL)
			abort();
		sg_buf_free(&out);
	}
	(void)eng_crypt_encrypted(data, size);
	return 0;
}
