/*
 * NAME
 *	fuzz_ole - the Office encryption probes
 * DESCRIPTION
 *	eng_office_ole() (OLE compound files through libgsf: EncryptionInfo,
 *	the legacy .doc/.xls/.ppt flags, the VelvetSweatshop check, VBA
 *	storages) and eng_odf_encrypted() (the ODF manifest) on the raw
 *	file. Seeds: the .doc, .xls, .xlsx, .docx and .odt fixtures.
 */
#include "fz.h"
#include "engine/eng_office.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	eng_office_info info;

	sg_buf out, name;

	eng_office_ole(data, size, &info);
	eng_odf_encrypted(data, size);
	/* what an embedded OLE object carries, within 1 MiB */
	sg_buf_init(&out, 1 << 20);
	sg_buf_init(&name, SG_BUF_UNLIMITED);
	(void)eng_ole_embedded(data, size, &out, &name);
	sg_buf_free(&out);
	sg_buf_free(&name);
	return 0;
}
