/*
 * NAME
 *	eng_attach - the attachment rules: unencrypted-attachment,
 *	dangerous-attachment and the archive scan limits
 * SYNOPSIS
 *	#include "engine/eng_attach.h"
 * DESCRIPTION
 *	eng_attach_inspect() is called for every attachment of outbound
 *	mail (eng_scan's walk callback). It types the file by content
 *	(att->type), decides whether opening it needs a password
 *	(att->encrypted), lists archive entries recursively (att->entries,
 *	each with its own type and encryption) and adds the
 *	dangerous-attachment findings (name, content, macros, deception),
 *	for entries too, with `where` naming the chain (a.zip/内部/b.exe).
 *
 *	The unencrypted-attachment findings wait for eng_attach_finish(),
 *	called once after the walk: the HTML body that references an
 *	inline image by cid: may come after the image. The rule does not
 *	apply when every external recipient is in trusted_domains. Exempt
 *	(from this rule only), when the content sniffs as claimed:
 *	cid-referenced images, text/calendar, detached signatures. An
 *	archive with some encrypted and some plain files gets one finding
 *	per plain file; an archive is encrypted when every file in it is,
 *	recursively (a plain ZIP of encrypted ZIPs is encrypted).
 *
 *	eng_attach_load_extensions() reads rules/dangerous-extensions: one
 *	extension a line (with or without the dot, any case), '#'
 *	comments.
 * DIAGNOSTICS
 *	eng_attach_load_extensions() returns 0, or -1 with err naming the
 *	file and line.
 */
#ifndef ENG_ATTACH_H
#define ENG_ATTACH_H

#include "engine/eng_int.h"

void eng_attach_inspect(eng_ctx *ctx, eng_attachment *att,
			const unsigned char *data, size_t len);
void eng_attach_finish(eng_ctx *ctx);
int eng_attach_load_extensions(eng_engine *eng, const char *path, sg_buf *err);

#endif
