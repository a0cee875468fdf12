/*
 * NAME
 *	mlt_runtime - the configuration, engine, store and keys in force
 * DESCRIPTION
 *	A message takes a reference when it starts and drops it when it
 *	ends. mlt_rt_reload() (SIGUSR1) builds a complete new runtime first;
 *	only when everything loaded does it replace the current one, so a
 *	bad edit of the configuration or a rule file leaves the running
 *	milter as it was (and says why). The old runtime is freed when its
 *	last message is done.
 */
#include "daemon/mlt.h"
#include "pdfpool/pdp.h"
#include "util/sg_mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static pthread_mutex_t mlt_rt_lock = PTHREAD_MUTEX_INITIALIZER;
static mlt_rt *mlt_rt_current;
static char *mlt_rt_path;
static unsigned long mlt_rt_gen;
/* Never freed: it outlives every runtime, and at exit its workers see
 * their socket close and end. */
static pdp_pool *mlt_pdf;

/* The message path's settings (mlt.h), once per runtime. */
static void mlt_settings_load(mlt_settings *s, const sg_conf *conf)
{
	long long keep = SG_CONF_NUM(conf, limits_max_message_size);
	const char *act = SG_CONF_STR(conf, milter_failure_action);

	/* A group may allow larger mail than the defaults: keep enough of
	 * any message for the largest limit, so that the engine's own
	 * comparison (len > the group's limit: scan-limit) stays true and
	 * no group's mail is cut short below its limit and scanned as if
	 * whole. */
	for (size_t i = 0; i < conf->ngroups; i++) {
		long long g = SG_CONF_GVALUE(conf, &conf->groups[i],
					     limits_max_message_size)->num;

		if (g > keep)
			keep = g;
	}
	s->keep_max = (size_t)keep + 1;
	s->memory_limit = (size_t)SG_CONF_NUM(conf, milter_memory_limit);
	s->spool_dir = SG_CONF_PATH(conf, milter_spool_dir);
	/* The loader allowed only these three (sg_options.def). */
	s->failure_action = strcmp(act, "accept") == 0 ? MLT_FAIL_ACCEPT :
			    strcmp(act, "reject") == 0 ? MLT_FAIL_REJECT :
			    MLT_FAIL_TEMPFAIL;
	s->failure_action_name = act;
	s->add_header = SG_CONF_BOOL(conf, milter_add_header);
	s->log_internal = SG_CONF_BOOL(conf, policy_log_internal);
	s->notify_sender = SG_CONF_BOOL(conf, notify_notify_sender);
	s->notify_approvers = SG_CONF_BOOL(conf, notify_notify_approvers);
	s->preview_bytes = (size_t)SG_CONF_NUM(conf, hold_preview_bytes);
	s->expire_after = SG_CONF_NUM(conf, hold_expire_after);
	s->max_notice_age = SG_CONF_NUM(conf, notify_max_notice_age);
	s->recipient_delimiter = SG_CONF_STR(conf, policy_recipient_delimiter);
	ntf_routing_init(&s->routing, conf);
}

static void mlt_rt_destroy(mlt_rt *rt)
{
	free(rt->set.spool_dir);
	ntf_routing_free(&rt->set.routing);
	ntf_ctx_free(rt->ntf);
	ntf_keys_free(rt->keys);
	st_close(rt->store);
	eng_engine_free(rt->eng);
	sg_conf_free(rt->conf);
	free(rt);
}

/* Everything the milter needs to run; without open_store (--check)
 * the store is left alone, so that a check never creates or migrates
 * it (mlt_main.c checks its owner and access instead). */
static mlt_rt *mlt_rt_build(const char *path, bool open_store, sg_buf *err)
{
	mlt_rt *rt = sg_xcalloc(1, sizeof(*rt));
	char *store_path = NULL, *keys_dir = NULL;

	if ((rt->conf = sg_conf_load(path, err)) == NULL)
		goto fail;
	mlt_settings_load(&rt->set, rt->conf);
	if ((rt->eng = eng_engine_new(rt->conf, err)) == NULL)
		goto fail;
	pdp_attach(rt->eng, mlt_pdf);
	store_path = SG_CONF_PATH(rt->conf, store_path);
	if (open_store) {
		st_config sc = { SG_CONF_STR(rt->conf, store_backend), store_path,
				 SG_CONF_STR(rt->conf, store_dsn),
				 SG_CONF_STR(rt->conf, store_gateway) };

		if ((rt->store = st_open_config(&sc, err)) == NULL)
			goto fail;
		/* Every session thread waits behind the store's one
		 * connection: a database server that hangs must cost them
		 * 20 s (then tempfail), not Postfix's whole content timeout. */
		st_set_patience(rt->store, 20000);
		if (!st_backend_complete(rt->store)) {
			sg_buf_reset(err);
			sg_buf_printf(err, "store %s: the %s store does not keep holds"
				      " yet: the milter needs [store] backend = sqlite",
				      st_path(rt->store), st_backend_name(rt->store));
			goto fail;
		}
	}
	keys_dir = SG_CONF_PATH(rt->conf, keys_dir);
	if ((rt->keys = ntf_keys_load(keys_dir, err)) == NULL)
		goto fail;
	if ((rt->ntf = ntf_ctx_new(rt->conf, rt->keys, err)) == NULL)
		goto fail;
	free(store_path);
	free(keys_dir);
	return rt;
fail:
	free(store_path);
	free(keys_dir);
	mlt_rt_destroy(rt);
	return NULL;
}

int mlt_rt_init(const char *conf_path, sg_buf *err)
{
	mlt_rt *rt = mlt_rt_build(conf_path, true, err);

	if (rt == NULL)
		return -1;
	mlt_rt_path = sg_xstrdup(conf_path);
	rt->generation = ++mlt_rt_gen;
	rt->refs = 1;		/* the reference of "current" */
	mlt_rt_current = rt;
	return 0;
}

int mlt_rt_check(const char *conf_path, sg_buf *err)
{
	mlt_rt *rt = mlt_rt_build(conf_path, false, err);

	if (rt == NULL)
		return -1;
	mlt_rt_destroy(rt);
	return 0;
}

int mlt_pdf_check(sg_buf *err)
{
	char *worker = pdp_default_worker();
	int rc = pdp_check(worker, err);

	free(worker);
	return rc;
}

int mlt_pdf_start(const sg_conf *conf, sg_buf *err)
{
	char *worker = pdp_default_worker();

	mlt_pdf = pdp_new(worker, (unsigned)SG_CONF_NUM(conf, limits_pdf_workers),
				  true, err);
	free(worker);
	if (mlt_pdf == NULL)
		return -1;
	/* No thread yet: the engine is not shared. */
	if (mlt_rt_current)
		pdp_attach(mlt_rt_current->eng, mlt_pdf);
	return 0;
}

const char *mlt_conf_path(void)
{
	return mlt_rt_path;
}

mlt_rt *mlt_rt_get(void)
{
	mlt_rt *rt;

	pthread_mutex_lock(&mlt_rt_lock);
	rt = mlt_rt_current;
	if (rt)
		rt->refs++;
	pthread_mutex_unlock(&mlt_rt_lock);
	return rt;
}

void mlt_rt_put(mlt_rt *rt)
{
	bool last;

	if (rt == NULL)
		return;
	pthread_mutex_lock(&mlt_rt_lock);
	last = --rt->refs == 0;
	pthread_mutex_unlock(&mlt_rt_lock);
	if (last)
		mlt_rt_destroy(rt);
}

int mlt_rt_reload(sg_buf *err)
{
	mlt_rt *rt = mlt_rt_build(mlt_rt_path, true, err), *old;

	if (rt == NULL)
		return -1;
	/* The records queued under the old runtime go to its store before
	 * the new one (whose [store] path may differ) takes over. */
	mlt_audit_drain();
	pthread_mutex_lock(&mlt_rt_lock);
	rt->generation = ++mlt_rt_gen;
	rt->refs = 1;
	old = mlt_rt_current;
	mlt_rt_current = rt;
	pthread_mutex_unlock(&mlt_rt_lock);
	mlt_audit_unproven();
	mlt_rt_put(old);
	return 0;
}

void mlt_rt_shutdown(void)
{
	mlt_rt *old;

	pthread_mutex_lock(&mlt_rt_lock);
	old = mlt_rt_current;
	mlt_rt_current = NULL;
	pthread_mutex_unlock(&mlt_rt_lock);
	mlt_rt_put(old);
	free(mlt_rt_path);
	mlt_rt_path = NULL;
}
