/* Which probes a reachability run sends, kept gentle on the gateway: every
 * full SA reply leaves a half-open SA there, and gateways answer with
 * COOKIE, then drop, once one address has a few. So only one request per
 * run is meant to get a full SA (for what the responder offers); the other
 * ports get stateless probes, whose INVALID_KE_PAYLOAD answer proves just
 * as well that the port is open and the request arrived whole. */
#include <string.h>

#include "ikeprobe/probe.h"

const struct kex_value *
run_kex(struct run *r, uint16_t group)
{
	for (int i = 0; i < r->n_kex; i++)
		if (r->kex[i].group == group)
			return &r->kex[i];
	if (r->n_kex == (int)(sizeof(r->kex) / sizeof(r->kex[0])) ||
	    !kex_supported(group) || kex_generate(group, &r->kex[r->n_kex]) < 0)
		return NULL;
	return &r->kex[r->n_kex++];
}

uint16_t
run_sport(const struct run *r, uint16_t dport)
{
	for (int i = 0; i < r->n_ports; i++)
		if (r->ports[i].dport == dport)
			return r->ports[i].sport;
	return 0;
}

static struct probe_spec
base_spec(struct run *r, enum probe_kind kind, uint16_t dport)
{
	struct probe_spec s;

	memset(&s, 0, sizeof(s));
	s.kind = kind;
	s.dport = dport;
	s.sport = run_sport(r, dport);
	s.kex = &r->kex[0];
	return s;
}

void
plan_start(struct run *r)
{
	struct probe_spec s;

	/* The first port also gets a stateless probe: it tells whether the
	 * gateway answers those, which the size probes then use. */
	for (int i = 0; i < r->n_ports; i++) {
		if (i == 0) {
			s = base_spec(r, PROBE_SA, r->ports[i].dport);
			run_add_probe(r, &s);
		}
		s = base_spec(r, PROBE_STATELESS, r->ports[i].dport);
		run_add_probe(r, &s);
	}
}

/* A follow-up only adds detail (the responder's offer) to a port already
 * known open, and the path's round trip is known: so wait a few round
 * trips, not the full schedule, and try twice. A gateway that drops it
 * (past its half-open limit) then costs the run little. */
static struct probe *
add_follow_up(struct run *r, const struct probe_spec *s, const struct probe *parent)
{
	struct probe *c = run_add_probe(r, s);
	double rto = 4 * parent->rtt_ms / 1000.0;

	if (c == NULL)
		return NULL;
	c->purpose = PURPOSE_FOLLOW_UP;
	c->parent = parent->id;
	c->max_attempts = c->max_attempts < 2 ? c->max_attempts : 2;
	c->rto = rto < 0.05 ? 0.05 : rto > r->rto ? r->rto : rto;
	return c;
}

static bool
has_child(const struct run *r, const struct probe *p)
{
	for (int i = 0; i < r->n_probes; i++)
		if (r->probes[i].parent == p->id)
			return true;
	return false;
}

/* Is a request meant for the full SA under way, or answered at all? Then
 * another would learn nothing new. */
static bool
sa_probe_live(const struct run *r)
{
	for (int i = 0; i < r->n_probes; i++) {
		const struct probe *q = &r->probes[i];

		if (q->kind != PROBE_SA)
			continue;
		if (q->result == PROBE_PENDING || q->result == PROBE_ANSWERED)
			return true;
	}
	return false;
}

static int
sa_probes(const struct run *r)
{
	int n = 0;

	for (int i = 0; i < r->n_probes; i++)
		n += r->probes[i].kind == PROBE_SA;
	return n;
}

void
plan_react(struct run *r, struct probe *p)
{
	const struct kex_value *kv;
	struct probe_spec s;
	struct probe *c;

	if (p->purpose != PURPOSE_REACH && p->purpose != PURPOSE_FOLLOW_UP)
		return;
	if (p->result == PROBE_ANSWERED && p->kind == PROBE_SA && !has_child(r, p)) {
		s = base_spec(r, PROBE_SA, p->dport);
		/* RFC 7296 1.2: retry with the group the responder asked for. */
		if (p->reply.kind == IKE_REPLY_INVALID_KE &&
		    p->reply.invalid_ke_group != p->ke_group &&
		    (kv = run_kex(r, p->reply.invalid_ke_group)) != NULL) {
			s.kex = kv;
			add_follow_up(r, &s, p);
			return;
		}
		/* RFC 7296 2.6: echo the cookie with all else unchanged. A
		 * gateway that asks for cookies is under half-open pressure:
		 * do it once, for the responder's offer, and no more. */
		if (p->reply.kind == IKE_REPLY_COOKIE && !p->with_cookie &&
		    p->reply.cookie_len > 0) {
			s.kex = run_kex(r, p->ke_group);
			s.cookie = p->reply.cookie;
			s.cookie_len = p->reply.cookie_len;
			s.spi_i = p->spi_i;
			s.nonce = p->nonce;
			s.nonce_len = p->nonce_len;
			if (s.kex)
				add_follow_up(r, &s, p);
			return;
		}
	}

	/* The port meant for the full SA did not answer, another did: ask
	 * that one, at most once more per run. */
	if (!sa_probe_live(r) && sa_probes(r) < 2) {
		for (int i = 0; i < r->n_probes; i++) {
			struct probe *q = &r->probes[i];

			if (q->result == PROBE_ANSWERED && q->kind == PROBE_STATELESS) {
				s = base_spec(r, PROBE_SA, q->dport);
				if (q->reply.kind == IKE_REPLY_INVALID_KE &&
				    (kv = run_kex(r, q->reply.invalid_ke_group)))
					s.kex = kv;
				if ((c = run_add_probe(r, &s)) != NULL)
					c->purpose = PURPOSE_FOLLOW_UP;
				return;
			}
		}
	}
}
