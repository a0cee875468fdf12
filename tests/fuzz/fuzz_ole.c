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

	eng_office_ole(data, size, &info);
	eng_odf_encrypted(data, size);
	return 0;
}
