/* The proposal audit's sending (--audit), after the size tests: on the
 * port whose reachability answer showed the gateway choosing a proposal,
 * the control first, then audit_offers[] in order, a window of them at a
 * time. Every offer is stateless (audit.h), a COOKIE is echoed once, and
 * the whole audit stays within AUDIT_MAX_REQUESTS. Like the rest of the
 * plan it reads the probes as they stand: an offer is asked when no probe
 * carries it yet. */
#include "ikeprobe/audit.h"
#include "ikeprobe/plan.h"

const struct probe *
plan_audit_base(const struct probe_set *set)
{
	const struct probe *sa = NULL, *any = NULL;

	for (int i = 0; i < set->n; i++) {
		const struct probe *p = &set->p[i];

		if ((p->purpose != PURPOSE_REACH && p->purpose != PURPOSE_FOLLOW_UP) ||
		    p->result != PROBE_ANSWERED || p->reply.status != IKE_PARSE_OK)
			continue;
		if (p->reply.kind == IKE_REPLY_INVALID_KE)
			return p;
		if (p->reply.kind == IKE_REPLY_SA && sa == NULL)
			sa = p;
		if (any == NULL)
			any = p;
	}
	return sa ? sa : any;
}

bool
plan_audit_chose(const struct probe *base)
{
	return base && (base->reply.kind == IKE_REPLY_INVALID_KE ||
	    base->reply.kind == IKE_REPLY_SA);
}

static bool
is_audit(const struct probe *p)
{
	return p->purpose == PURPOSE_AUDIT && p->offer >= 0 &&
	    p->offer < audit_n_offers;
}

/* The probe that carries offer i last (a COOKIE echo after its first), or
 * NULL if it was not asked. */
static const struct probe *
last_of(const struct probe_set *set, int i)
{
	const struct probe *last = NULL;

	for (int k = 0; k < set->n; k++)
		if (is_audit(&set->p[k]) && set->p[k].offer == i)
			last = &set->p[k];
	return last;
}

/* A family gave up (f), or the whole audit (f < 0): its last
 * AUDIT_FAMILY_STOP (the audit's: AUDIT_STOP) ended offers, in the order
 * sent, all went unanswered. */
static bool
stopped(const struct probe_set *set, int f)
{
	int lost = 0, stop = f < 0 ? AUDIT_STOP : AUDIT_FAMILY_STOP;

	for (int i = set->n - 1; i >= 0; i--) {
		const struct probe *p = &set->p[i];

		if (!is_audit(p) || p->result == PROBE_PENDING ||
		    (f >= 0 && (int)audit_offers[p->offer].family != f))
			continue;
		if (p->result != PROBE_LOST)
			return false;
		if (++lost == stop)
			return true;
	}
	return false;
}

static struct probe_spec
offer_spec(const struct plan_view *v, const struct probe *base, int i)
{
	struct probe_spec s = plan_spec(v, PROBE_STATELESS, PURPOSE_AUDIT,
	    base->dport);

	s.offer = i;
	s.ke_group = AUDIT_KE_GROUP;
	/* The round trip is known: a few of them, four tries, so that 10 %
	 * loss rarely leaves an offer unanswered and a clean path is quick. */
	s.rto = plan_rtt_rto(v, base);
	s.max_attempts = 4;
	return s;
}

int
plan_audit(const struct plan_view *v, struct probe_spec *out)
{
	const struct probe_set *set = &v->set;
	const struct probe *base, *ctl;
	int requests = 0, pending = 0, reserve = 0, cost = 1, n = 0;

	if (!v->cfg->audit || (base = plan_audit_base(set)) == NULL)
		return 0;
	for (int i = 0; i < set->n; i++) {
		const struct probe *p = &set->p[i];

		if (!is_audit(p))
			continue;
		requests++;
		pending += p->result == PROBE_PENDING;
		reserve += p->result == PROBE_PENDING && !p->with_cookie;
		if (p->result == PROBE_ANSWERED && p->reply.kind == IKE_REPLY_COOKIE)
			cost = 2;
		/* A gateway that makes an SA of an audit offer ignores the KE
		 * group: each further offer would leave a half-open SA. */
		if (p->result == PROBE_ANSWERED && p->reply.kind == IKE_REPLY_SA)
			return 0;
	}
	/* A gateway that asks for cookies asks each new offer: keep room for
	 * the echo of every first try still out, and of each new one. */
	if (cost == 1)
		reserve = 0;
	/* RFC 7296 2.6: a COOKIE answer is echoed, with all else the same. */
	for (int i = 0; i < set->n && requests + n < AUDIT_MAX_REQUESTS; i++) {
		const struct probe *p = &set->p[i];

		if (!is_audit(p) || p->result != PROBE_ANSWERED ||
		    p->reply.kind != IKE_REPLY_COOKIE || p->with_cookie ||
		    p->reply.cookie_len == 0 || plan_has_child(set, p))
			continue;
		out[n] = offer_spec(v, base, p->offer);
		plan_echo_cookie(&out[n++], p);
	}
	if (n)
		return n;
	/* The control decides whether answers can be read at all: alone,
	 * and only a NO_PROPOSAL_CHOSEN to it lets the rest go. */
	if ((ctl = last_of(set, 0)) == NULL) {
		out[0] = offer_spec(v, base, 0);
		return 1;
	}
	if (ctl->result == PROBE_PENDING || ctl->result != PROBE_ANSWERED ||
	    ctl->reply.kind != IKE_REPLY_NO_PROPOSAL || stopped(set, -1))
		return 0;
	for (int i = 1; i < audit_n_offers && pending + n < AUDIT_WINDOW &&
	    requests + reserve + n * cost + cost <= AUDIT_MAX_REQUESTS &&
	    n < PLAN_BATCH; i++) {
		if (last_of(set, i) != NULL ||
		    stopped(set, (int)audit_offers[i].family))
			continue;
		out[n++] = offer_spec(v, base, i);
	}
	return n;
}
