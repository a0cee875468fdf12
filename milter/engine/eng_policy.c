/*
 * NAME
 *	eng_policy - sender groups and the policy step
 * DESCRIPTION
 *	Detection, then policy (ARCHITECTURE.md): the detectors report
 *	findings with their facts (category, rule, place, count, whether a
 *	marking is class 3); this step alone turns them into actions and
 *	the verdict, with the settings of the sender's group. The verdict
 *	is the strongest action (reject > hold > bcc > log > accept).
 *
 *	A sender group (issue 19: a ward's contractors, a welfare section)
 *	is chosen once per message, from the canonical envelope sender and
 *	the SMTP AUTH login (util/sg_addr.h, sg_addr_sender_in: a forged
 *	envelope sender cannot pick a group the login is not in). Its
 *	settings also bound and tune the scan (limits, min_confidence,
 *	trusted_domains, the exposed-recipients thresholds): the scan runs
 *	on a view of the engine with the group's settings in place.
 */
#include "engine/eng_int.h"
#include "util/sg_addr.h"

#include <string.h>

void eng_group_view(const eng_engine *eng, const eng_group *g, eng_engine *view)
{
	const eng_settings *st = &g->set;

	if (view != eng)
		*view = *eng;
	view->trusted = st->trusted;
	view->ntrusted = st->ntrusted;
	memcpy(view->actions, st->actions, sizeof(view->actions));
	view->action_class3 = st->action_class3;
	view->min_parties = st->min_parties;
	view->max_visible = st->max_visible;
	view->lim = st->lim;
	view->pd_min_conf = st->pd_min_conf;
	view->delay = st->delay;
}

const eng_group *eng_group_for(const eng_engine *eng, const char *mail_from,
			       const char *auth_login)
{
	for (size_t i = 0; i < eng->ngroups; i++) {
		const eng_group *g = &eng->groups[i];

		if (sg_addr_sender_in(g->senders, g->nsenders, mail_from, auth_login,
				      eng->internal, eng->ninternal, eng->delims))
			return g;
	}
	return &eng->defaults;
}

const char *eng_group_name(const eng_group *g)
{
	return g ? g->name : "";
}

void eng_policy_decide(const eng_engine *view, eng_result *res)
{
	res->verdict = ENG_ACT_ACCEPT;
	res->bcc_rewrite = false;
	for (size_t i = 0; i < res->nfindings; i++) {
		eng_finding *f = &res->findings[i];

		f->action = f->cat == ENG_CAT_CLASSIFIED && f->class3 ?
			    view->action_class3 : view->actions[f->cat];
		if (f->action > res->verdict)
			res->verdict = f->action;
		/* The rewrite applies whatever the verdict (POLICY.md), so
		 * that a held message is released already rewritten. */
		if (f->cat == ENG_CAT_EXPOSED && f->action == ENG_ACT_BCC)
			res->bcc_rewrite = true;
	}
	/* Delayed send (issue 19): external mail that would leave now
	 * (accept, log, or bcc once rewritten) waits for the group's
	 * delay. Held or rejected mail does not: it waits for an approver
	 * or never leaves, and a delay must never release it. */
	res->delay = res->outbound && res->verdict < ENG_ACT_HOLD ? view->delay : 0;
}
