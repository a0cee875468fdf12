/*
 * NAME
 *	ctl_rebuild - `sendguardctl reconcile --rebuild`: recreate the
 *	records of held mail after the store was lost
 * DESCRIPTION
 *	After a store was deleted, truncated or replaced (st_check; README:
 *	when the store is lost) and a new one made with `store init`, the
 *	mail is still on hold in the MTA's queue and each queue file
 *	carries the hold id in its X-Sendguard-Hold header. For every item
 *	on hold with that header and no record, the message and its
 *	envelope are read back through the release backend (Postfix:
 *	postcat -bhq and -eq; Sendmail: the hf and df files), scanned again
 *	with the configured engine (the same call as the milter and
 *	`check`), and a pending hold is recorded under the header's id, so
 *	that the notices and web links already sent still name it. Its
 *	created time is the queue file's arrival, its expiry counted from
 *	there as the milter would have. An audit record "rebuild" says that
 *	it was recreated and from what. Its approvers are asked again
 *	(approval requests recorded in the outbox in the same transaction
 *	as the hold): a decision made before the loss went with the store,
 *	so the mail waits for a new one, and a request still unsent in the
 *	lost outbox would otherwise never reach anyone. The sender is not
 *	told again (it was told at arrival, or its notice was lost with
 *	nothing it could do about it). Nothing in the queue is changed,
 *	and an item whose record exists is left alone.
 *
 *	The header is the link and can be trusted only because the milter
 *	strips it from arriving mail (mlt_act.c): a queue file that did
 *	not pass the milter (held by hand) carries none and is skipped.
 * DIAGNOSTICS
 *	Counts and one line per recreated hold on stdout; failures on
 *	stderr, counted in the applier's failed (exit 75).
 */
#include "ctl/ctl.h"
#include "engine/eng.h"
#include "util/sg_json.h"
#include "util/sg_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CTL_REBUILD_MAX_QUEUE 1000000
#define CTL_REBUILD_MAX_RCPTS 10000

typedef struct ctl_rb {
	ctl_applier *a;
	const sg_conf *conf;
	eng_engine *eng;
	size_t made, kept, skipped, requests;
} ctl_rb;

/* Splits rcpts ("a\nb\n") in place into at most max pointers. */
static size_t ctl_rb_split(char *rcpts, const char **v, size_t max)
{
	size_t n = 0;

	for (char *p = rcpts, *nl; p && *p && n < max; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (*p)
			v[n++] = p;
	}
	return n;
}

static void ctl_rb_audit(ctl_rb *rb, const char *hid, const char *qid,
			 const rel_item *it)
{
	sg_buf d, err;

	sg_buf_init(&d, 4096);
	sg_buf_init(&err, 4096);
	sg_buf_puts(&d, "{\"repair\":\"record recreated from the queue file after the"
		    " store was lost (X-Sendguard-Hold header; message scanned again)\","
		    "\"backend\":");
	sg_json_str(&d, rel_be_name(rb->a->be));
	sg_buf_printf(&d, ",\"size\":%zu}", it->msg.len);
	if (st_audit_append(rb->a->st, "rebuild", hid, qid, "reconcile --rebuild",
			    ctl_unix_user(), sg_buf_cstr(&d), &err) != ST_OK)
		fprintf(stderr, "sendguardctl reconcile: hold %s: %s\n", hid,
			sg_buf_cstr(&err));
	sg_buf_free(&d);
	sg_buf_free(&err);
}

/* Scans the item and records it as a pending hold named hid. */
static st_rc ctl_rb_record(ctl_rb *rb, const char *hid, const char *qid,
			   rel_item *it, sg_buf *err)
{
	const char **rv = sg_xcalloc(CTL_REBUILD_MAX_RCPTS, sizeof(*rv));
	const char *cats[ST_MAX_CATEGORIES];
	st_rcpt *r = sg_xcalloc(CTL_REBUILD_MAX_RCPTS, sizeof(*r));
	char *rcpts = sg_xstrdup(sg_buf_cstr(&it->rcpts)), id[ST_ID_SIZE];
	const char *sender = sg_buf_cstr(&it->sender);
	size_t nr = ctl_rb_split(rcpts, rv, CTL_REBUILD_MAX_RCPTS);
	eng_envelope env = { sender, rv, nr, NULL, NULL };
	st_hold_new h = { 0 };
	eng_result res;
	sg_buf fj, aj, nj;
	ntf_strv apv;
	rel_nlist nl;
	st_rc rc;

	if (eng_scan(rb->eng, &env, sg_buf_cstr(&it->msg), it->msg.len, &res) < 0) {
		sg_buf_printf(err, "the engine could not scan it");
		free(rcpts);
		free(rv);
		free(r);
		return ST_ERROR;
	}
	for (size_t i = 0; i < nr; i++) {
		r[i].addr = rv[i];
		r[i].external = !eng_addr_is_internal(rb->eng, rv[i]);
	}
	sg_buf_init(&fj, SG_BUF_UNLIMITED);
	sg_buf_init(&aj, SG_BUF_UNLIMITED);
	eng_findings_json(&res, &fj);
	eng_attachments_json(&res, &aj);
	sg_buf_init(&nj, SG_BUF_UNLIMITED);
	eng_names_json(&res, &nj);
	h.names_json = sg_buf_cstr(&nj);
	h.ncategories = st_result_categories(&res, cats);
	ntf_strv_init(&apv);
	ntf_approvers_for(rb->conf, sender, res.from, NULL, cats, h.ncategories, &apv);
	h.id = hid;
	h.queue_id = qid;
	h.sender = sender;
	h.from_addr = res.from;
	h.rcpts = r;
	h.nrcpts = nr;
	h.subject = res.subject;
	h.size = it->msg.len;
	h.categories = cats;
	/* It is on hold and waits for a decision, whatever the rules of
	 * today make of it. */
	h.verdict = "hold";
	h.findings_json = sg_buf_cstr(&fj);
	h.attachments_json = sg_buf_cstr(&aj);
	h.approvers = (const char *const *)apv.v;
	h.napprovers = apv.n;
	/* Approvals needed, as the milter would have fixed them (issue 18). */
	h.required = ntf_required_for(rb->conf, h.categories, h.ncategories);
	if (apv.n > 0 && h.required > apv.n)
		h.required = (unsigned)apv.n;
	h.created = it->arrival ? it->arrival : time(NULL);
	h.expires = h.created + (time_t)sg_conf_num(rb->conf, "hold", "expire_after");
	h.actor = "reconcile --rebuild";
	h.unix_user = ctl_unix_user();
	rel_nlist_init(&nl);
	ctl_notices_requests(rb->a->notices, apv.v, apv.n, &nl);
	h.notices = nl.v;
	h.nnotices = nl.n;
	rc = st_hold_create(rb->a->st, &h, id, err);
	if (rc == ST_OK)
		rb->requests += nl.n;
	rel_nlist_free(&nl);
	ntf_strv_free(&apv);
	sg_buf_free(&fj);
	sg_buf_free(&aj);
	sg_buf_free(&nj);
	eng_result_free(&res);
	free(rcpts);
	free(rv);
	free(r);
	return rc;
}

static void ctl_rb_one(ctl_rb *rb, const rel_qentry *e)
{
	char hid[64];
	st_hold *h = NULL;
	rel_item it;
	sg_buf err;
	st_rc rc;

	sg_buf_init(&err, 8192);
	if (rel_be_header_of(rb->a->be, e->queue_id, hid, &err) != REL_OK) {
		fprintf(stderr, "sendguardctl reconcile --rebuild: %s: %s\n",
			e->queue_id, sg_buf_cstr(&err));
		rb->a->failed++;
	} else if (hid[0] == '\0') {
		rb->skipped++;
	} else if ((rc = st_hold_get(rb->a->st, hid, &h, &err)) == ST_OK) {
		rb->kept++;
	} else if (rc != ST_NOTFOUND) {
		fprintf(stderr, "sendguardctl reconcile --rebuild: %s\n", sg_buf_cstr(&err));
		rb->a->failed++;
	} else {
		rel_item_init(&it);
		sg_buf_reset(&err);
		if (rel_be_item(rb->a->be, e->queue_id, &it, &err) != REL_OK ||
		    ctl_rb_record(rb, hid, e->queue_id, &it, &err) != ST_OK) {
			fprintf(stderr, "sendguardctl reconcile --rebuild: queue file %s"
				" (hold %s): %s\n", e->queue_id, hid, sg_buf_cstr(&err));
			rb->a->failed++;
		} else {
			ctl_rb_audit(rb, hid, e->queue_id, &it);
			printf("reconcile: hold %s: recreated from queue file %s (pending)\n",
			       hid, e->queue_id);
			rb->made++;
		}
		rel_item_free(&it);
	}
	st_hold_free(h);
	sg_buf_free(&err);
}

int ctl_rebuild(ctl_applier *a, const sg_conf *conf)
{
	ctl_rb rb = { a, conf, NULL, 0, 0, 0, 0 };
	rel_qentry *q = NULL;
	size_t nq = 0;
	sg_buf err;
	pdp_pool *pool;

	sg_buf_init(&err, 8192);
	if ((rb.eng = eng_engine_new(conf, &err)) == NULL) {
		fprintf(stderr, "sendguardctl reconcile --rebuild: rule error: %s\n",
			sg_buf_cstr(&err));
		sg_buf_free(&err);
		return CTL_EX_CONFIG;
	}
	pool = ctl_pdfpool(rb.eng);
	if (rel_be_list(a->be, &q, &nq, CTL_REBUILD_MAX_QUEUE, &err) < 0) {
		fprintf(stderr, "sendguardctl reconcile --rebuild: %s\n", sg_buf_cstr(&err));
		a->failed++;
	}
	for (size_t i = 0; i < nq; i++)
		if (strcmp(q[i].queue, REL_QUEUE_HOLD) == 0)
			ctl_rb_one(&rb, &q[i]);
	printf("reconcile --rebuild: %zu recreated, %zu already recorded, %zu on hold"
	       " without our header (left alone), %zu approval request(s) recorded\n",
	       rb.made, rb.kept, rb.skipped, rb.requests);
	rel_qentries_free(q, nq);
	eng_engine_free(rb.eng);
	pdp_free(pool);
	sg_buf_free(&err);
	return 0;
}
