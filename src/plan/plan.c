/* Which probes a session sends, kept gentle on the gateway: every full SA
 * reply leaves a half-open SA there, and gateways answer with COOKIE, then
 * drop, once one address has a few. So only one request per session is
 * meant to get a full SA (for what the responder offers); the other ports
 * get stateless probes, whose INVALID_KE_PAYLOAD answer proves just as
 * well that the port is open and the request arrived whole.
 *
 * Every rule here reads the probes as they stand and is idempotent: asked
 * twice, it answers once (a follow-up is not added for a probe that has
 * one). So the session may ask whenever anything changed. */
#include <string.h>

#include "ikeprobe/plan.h"

void
plan_init(struct plan_state *ps)
{
	memset(ps, 0, sizeof(*ps));
	ps->pmtu_port = -1;
}

struct probe_spec
plan_spec(const struct plan_view *v, enum probe_kind kind,
    enum probe_purpose purpose, uint16_t dport)
{
	struct probe_spec s;

	memset(&s, 0, sizeof(s));
	s.kind = kind;
	s.purpose = purpose;
	s.dport = dport;
	s.sport = probe_set_sport(&v->set, dport);
	s.ke_group = v->cfg->group;
	s.parent = -1;
	s.sa = -1;
	s.offer = -1;
	s.max_attempts = v->cfg->max_attempts;
	s.rto = v->cfg->rto;
	s.backoff = v->cfg->backoff;
	return s;
}

/* The first port also gets a stateless probe: it tells whether the
 * gateway answers those, which the size probes then use. */
static int
reach(const struct plan_view *v, struct probe_spec *out)
{
	int n = 0;

	for (int i = 0; i < v->set.n_ports; i++) {
		if (i == 0)
			out[n++] = plan_spec(v, PROBE_SA, PURPOSE_REACH, v->set.ports[i].dport);
		out[n++] = plan_spec(v, PROBE_STATELESS, PURPOSE_REACH,
		    v->set.ports[i].dport);
	}
	return n;
}

/* A follow-up only adds detail (the responder's offer) to a port already
 * known open, and the path's round trip is known: so wait a few round
 * trips, not the full schedule, and try twice. A gateway that drops it
 * (past its half-open limit) then costs the run little. */
static void
follow_up(const struct plan_view *v, struct probe_spec *s, const struct probe *parent)
{
	s->purpose = PURPOSE_FOLLOW_UP;
	s->parent = parent->id;
	s->max_attempts = s->max_attempts < 2 ? s->max_attempts : 2;
	s->rto = plan_rtt_rto(v, parent);
}

double
plan_rtt_rto(const struct plan_view *v, const struct probe *answered)
{
	double rto = 4 * answered->rtt_ms / 1000.0;

	return rto < 0.05 ? 0.05 : rto > v->cfg->rto ? v->cfg->rto : rto;
}

bool
plan_has_child(const struct probe_set *set, const struct probe *p)
{
	for (int i = 0; i < set->n; i++)
		if (set->p[i].parent == p->id)
			return true;
	return false;
}

void
plan_echo_cookie(struct probe_spec *s, const struct probe *answered)
{
	memcpy(s->cookie, answered->reply.cookie, answered->reply.cookie_len);
	s->cookie_len = answered->reply.cookie_len;
	s->reuse_parent = true;
	s->parent = answered->id;
}

/* Is a request meant for the full SA under way, or answered at all? Then
 * another would learn nothing new. */
static bool
sa_probe_live(const struct probe_set *set)
{
	for (int i = 0; i < set->n; i++) {
		const struct probe *q = &set->p[i];

		if (q->kind == PROBE_SA && !plan_is_auth(q) &&
		    (q->result == PROBE_PENDING || q->result == PROBE_ANSWERED))
			return true;
	}
	return false;
}

static int
sa_probes(const struct probe_set *set)
{
	int n = 0;

	for (int i = 0; i < set->n; i++)
		n += set->p[i].kind == PROBE_SA && !plan_is_auth(&set->p[i]);
	return n;
}

static bool
group_ok(const struct plan_view *v, uint16_t g)
{
	return v->cfg->group_ok == NULL || v->cfg->group_ok(g);
}

/* The full SA's answer asks for something: give it once. */
static bool
react(const struct plan_view *v, const struct probe *p, struct probe_spec *s)
{
	const struct ike_reply *r = &p->reply;

	if (p->result != PROBE_ANSWERED || p->kind != PROBE_SA ||
	    plan_has_child(&v->set, p))
		return false;
	*s = plan_spec(v, PROBE_SA, PURPOSE_REACH, p->dport);
	s->no_fragmentation = p->no_fragmentation;
	/* RFC 7296 1.2: retry with the group the responder asked for. */
	if (r->kind == IKE_REPLY_INVALID_KE && r->invalid_ke_group != p->ke_group &&
	    group_ok(v, r->invalid_ke_group)) {
		s->ke_group = r->invalid_ke_group;
		follow_up(v, s, p);
		if (p->purpose == PURPOSE_AUTH_SA)
			s->purpose = PURPOSE_AUTH_SA;
		return true;
	}
	/* RFC 7296 2.6: echo the cookie with all else unchanged. A gateway
	 * that asks for cookies is under half-open pressure: do it once, for
	 * the responder's offer, and no more. */
	if (r->kind == IKE_REPLY_COOKIE && !p->with_cookie && r->cookie_len > 0 &&
	    group_ok(v, p->ke_group)) {
		s->ke_group = p->ke_group;
		plan_echo_cookie(s, p);
		follow_up(v, s, p);
		if (p->purpose == PURPOSE_AUTH_SA)
			s->purpose = PURPOSE_AUTH_SA;
		return true;
	}
	return false;
}

/* The port meant for the full SA did not answer, another did: ask that
 * one, at most once more per session. */
static bool
another_port(const struct plan_view *v, struct probe_spec *s)
{
	const struct probe_set *set = &v->set;

	if (sa_probe_live(set) || sa_probes(set) >= 2)
		return false;
	for (int i = 0; i < set->n; i++) {
		const struct probe *q = &set->p[i];

		if (q->result != PROBE_ANSWERED || q->kind != PROBE_STATELESS)
			continue;
		*s = plan_spec(v, PROBE_SA, PURPOSE_REACH, q->dport);
		s->purpose = PURPOSE_FOLLOW_UP;
		if (q->reply.kind == IKE_REPLY_INVALID_KE &&
		    group_ok(v, q->reply.invalid_ke_group))
			s->ke_group = q->reply.invalid_ke_group;
		return true;
	}
	return false;
}

int
plan_next(const struct plan_view *v, struct plan_state *ps,
    struct probe_spec *out)
{
	const struct probe_set *set = &v->set;
	bool reacted = false;
	int n;

	if (v->stopping)
		return 0;
	if (!ps->reach_started) {
		ps->reach_started = true;
		return reach(v, out);
	}
	for (int i = 0; i < set->n; i++) {
		const struct probe *p = &set->p[i];

		if (p->purpose != PURPOSE_REACH && p->purpose != PURPOSE_FOLLOW_UP &&
		    p->purpose != PURPOSE_AUTH_SA)
			continue;
		if (p->result == PROBE_PENDING)
			continue;
		reacted |= p->purpose != PURPOSE_AUTH_SA;
		if (react(v, p, out))
			return 1;
	}
	if (reacted && another_port(v, out))
		return 1;
	/* Reachability settled: the IKE_AUTH test and the size tests go on
	 * side by side, each when nothing of its own is pending. */
	for (int i = 0; i < set->n; i++)
		if (set->p[i].result == PROBE_PENDING &&
		    (set->p[i].purpose == PURPOSE_REACH ||
		    set->p[i].purpose == PURPOSE_FOLLOW_UP))
			return 0;
	if ((n = plan_auth(v, out)) > 0)
		return n;
	for (int i = 0; i < set->n; i++)
		if (set->p[i].result == PROBE_PENDING && !plan_is_auth(&set->p[i]) &&
		    set->p[i].purpose != PURPOSE_AUDIT)
			return 0;
	/* The audit follows the size tests, whose losses it must not
	 * disturb; once it has begun, they are over. */
	if (!ps->audit_started && (n = plan_sizes(v, ps, out)) > 0)
		return n;
	if ((n = plan_audit(v, out)) > 0)
		ps->audit_started = true;
	return n;
}
