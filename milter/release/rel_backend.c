/*
 * NAME
 *	rel_backend - the MTA behind sendguardctl apply and reconcile
 * SYNOPSIS
 *	#include "release/rel.h"
 *
 *	rel_backend *rel_backend_new(const sg_conf *conf, sg_buf *err);
 *	rel_rc rel_be_delete(rel_backend *be, const char *qid,
 *			     const char *hold_id, sg_buf *err);
 *	...
 * DESCRIPTION
 *	apply and reconcile decide what to do with a queue item (release
 *	it, delete it, put it back on hold) by the same rules whatever
 *	the MTA; only how it is done differs. [release] backend picks
 *	one table of operations (rel_backend_ops): Postfix (this file
 *	adapts the rel_pf_* functions) or Sendmail (rel_sendmail.c).
 *	The rel_be_* functions only forward, so that callers never test
 *	which MTA they talk to.
 *
 *	This file must never act on a queue itself.
 * DIAGNOSTICS
 *	rel_backend_new() returns NULL with err when the backend's own
 *	settings are wrong (a configuration error, exit 78); the other
 *	functions return what the backend returns.
 */
#include "release/rel.h"

#include <stdlib.h>
#include <string.h>

#include "util/sg_mem.h"

/* ----------------------------------------------- Postfix, adapted */

static void *rel_pfb_open(const sg_conf *conf, sg_buf *err)
{
	return rel_postfix_new(conf, err);
}

static void rel_pfb_close(void *impl)
{
	rel_postfix_free(impl);
}

static rel_rc rel_pfb_queue_of(void *impl, const char *qid, char queue[16],
			       sg_buf *err)
{
	return rel_pf_queue_of(impl, qid, queue, err);
}

static rel_rc rel_pfb_check_header(void *impl, const char *qid,
				   const char *hold_id, sg_buf *err)
{
	return rel_pf_check_header(impl, qid, hold_id, err);
}

static rel_rc rel_pfb_header_of(void *impl, const char *qid, char hold_id[64],
				sg_buf *err)
{
	return rel_pf_header_of(impl, qid, hold_id, err);
}

static long long rel_pfb_requeue_after(void *impl, sg_buf *err)
{
	return rel_pf_requeue_after(impl, err);
}

/* postsuper acts on "ID hold" only, and apply has just checked the
 * header: the hold id is not needed again. */
static rel_rc rel_pfb_release(void *impl, const char *qid, const char *hold_id,
			      sg_buf *err)
{
	(void)hold_id;
	return rel_pf_release(impl, qid, err);
}

static rel_rc rel_pfb_requeue(void *impl, const char *qid, const char *hold_id,
			      const char *sender, char new_qid[64], sg_buf *err)
{
	return rel_pf_requeue(impl, qid, hold_id, sender, new_qid, err);
}

static rel_rc rel_pfb_remove(void *impl, const char *qid, const char *hold_id,
			     sg_buf *err)
{
	(void)hold_id;
	return rel_pf_delete(impl, qid, err);
}

static rel_rc rel_pfb_rehold(void *impl, const char *qid, const char *hold_id,
			     sg_buf *err)
{
	(void)hold_id;
	return rel_pf_rehold(impl, qid, err);
}

static int rel_pfb_list(void *impl, rel_qentry **out, size_t *n, size_t max,
			sg_buf *err)
{
	return rel_pf_list(impl, out, n, max, err);
}

static rel_rc rel_pfb_item(void *impl, const char *qid, rel_item *it, sg_buf *err)
{
	return rel_pf_item(impl, qid, it, err);
}

const rel_backend_ops rel_postfix_ops = {
	.name = "postfix",
	.manual_hint = "postcat -q ID, then postsuper -H ID hold or postsuper -d ID hold",
	.open = rel_pfb_open,
	.close = rel_pfb_close,
	.queue_of = rel_pfb_queue_of,
	.check_header = rel_pfb_check_header,
	.header_of = rel_pfb_header_of,
	.requeue_after = rel_pfb_requeue_after,
	.release = rel_pfb_release,
	.requeue = rel_pfb_requeue,
	.remove = rel_pfb_remove,
	.rehold = rel_pfb_rehold,
	.list = rel_pfb_list,
	.item = rel_pfb_item,
};

/* ------------------------------------------------------- choosing */

static const rel_backend_ops *const rel_backends[] = {
	&rel_postfix_ops, &rel_sendmail_ops
};

rel_backend *rel_backend_new(const sg_conf *conf, sg_buf *err)
{
	const char *want = sg_conf_str(conf, "release", "backend");
	rel_backend *be;
	void *impl;

	for (size_t i = 0; i < sizeof(rel_backends) / sizeof(rel_backends[0]); i++) {
		if (strcmp(rel_backends[i]->name, want) != 0)
			continue;
		if ((impl = rel_backends[i]->open(conf, err)) == NULL)
			return NULL;
		be = sg_xcalloc(1, sizeof(*be));
		be->ops = rel_backends[i];
		be->impl = impl;
		return be;
	}
	/* The loader checks the choice; this is for a table out of step. */
	sg_buf_printf(err, "[release] backend: unknown backend %.40s", want);
	return NULL;
}

void rel_backend_free(rel_backend *be)
{
	if (be == NULL)
		return;
	be->ops->close(be->impl);
	free(be);
}

const char *rel_be_name(const rel_backend *be)
{
	return be->ops->name;
}

const char *rel_be_hint(const rel_backend *be)
{
	return be->ops->manual_hint;
}

rel_rc rel_be_queue_of(rel_backend *be, const char *qid, char queue[16],
		       sg_buf *err)
{
	return be->ops->queue_of(be->impl, qid, queue, err);
}

rel_rc rel_be_check_header(rel_backend *be, const char *qid,
			   const char *hold_id, sg_buf *err)
{
	return be->ops->check_header(be->impl, qid, hold_id, err);
}

rel_rc rel_be_header_of(rel_backend *be, const char *qid, char hold_id[64],
			sg_buf *err)
{
	return be->ops->header_of(be->impl, qid, hold_id, err);
}

long long rel_be_requeue_after(rel_backend *be, sg_buf *err)
{
	return be->ops->requeue_after(be->impl, err);
}

rel_rc rel_be_release(rel_backend *be, const char *qid, const char *hold_id,
		      sg_buf *err)
{
	return be->ops->release(be->impl, qid, hold_id, err);
}

rel_rc rel_be_requeue(rel_backend *be, const char *qid, const char *hold_id,
		      const char *sender, char new_qid[64], sg_buf *err)
{
	new_qid[0] = '\0';
	if (be->ops->requeue == NULL) {
		sg_buf_printf(err, "the %s backend cannot requeue", be->ops->name);
		return REL_ERROR;
	}
	return be->ops->requeue(be->impl, qid, hold_id, sender, new_qid, err);
}

rel_rc rel_be_delete(rel_backend *be, const char *qid, const char *hold_id,
		     sg_buf *err)
{
	return be->ops->remove(be->impl, qid, hold_id, err);
}

rel_rc rel_be_rehold(rel_backend *be, const char *qid, const char *hold_id,
		     sg_buf *err)
{
	return be->ops->rehold(be->impl, qid, hold_id, err);
}

int rel_be_list(rel_backend *be, rel_qentry **out, size_t *n, size_t max,
		sg_buf *err)
{
	return be->ops->list(be->impl, out, n, max, err);
}

void rel_item_init(rel_item *it)
{
	sg_buf_init(&it->msg, REL_ITEM_MAX);
	sg_buf_init(&it->sender, 4096);
	sg_buf_init(&it->rcpts, 1u << 20);
	it->arrival = 0;
}

void rel_item_free(rel_item *it)
{
	sg_buf_free(&it->msg);
	sg_buf_free(&it->sender);
	sg_buf_free(&it->rcpts);
}

rel_rc rel_be_item(rel_backend *be, const char *qid, rel_item *it, sg_buf *err)
{
	if (be->ops->item == NULL) {
		sg_buf_printf(err, "the %s backend cannot read a queued message back",
			      be->ops->name);
		return REL_ERROR;
	}
	return be->ops->item(be->impl, qid, it, err);
}
