/* The size part of the plan: once reachability is settled, find out
 * whether fragmented IKE datagrams reach the gateway and how large a
 * datagram crosses the path whole.
 *
 * Rounds, each asked for when nothing is pending:
 *  1. DF probes at the common path MTUs up to the interface MTU on one open
 *     port (the path is the same for every port), and the smallest
 *     fragmented size on every open port, all at once (paced).
 *  2. Then, from what came back: a probe at the MTU a router reported, or
 *     bisection between the largest answered and the smallest failed DF
 *     size until they are PMTU_PRECISION apart; the next fragmented size
 *     after an answer; a fresh probe repeating a lost size.
 *  3. A loss proves nothing until the gateway answers again afterwards: when
 *     no later probe on that port was answered, a small control probe is
 *     sent. If the control is lost too, the gateway stopped answering and
 *     the losses are inconclusive.
 * Size probes are stateless where the gateway answers those (it keeps no
 * half-open SA for them); COOKIE answers count, they prove arrival too. */
#include <string.h>

#include "ikeprobe/plan.h"
#include "ikeprobe/sizes.h"

#define DF_ATTEMPTS	5
#define FRAG_ATTEMPTS	6
#define CONTROL_ATTEMPTS 6
#define PMTU_PROBES_MAX	16

/* Emits into out, counting in *n, at most PLAN_BATCH. */
struct batch {
	struct probe_spec *out;
	int		 n;
};

static bool
add(const struct plan_view *v, const struct plan_state *ps, struct batch *b,
    int pi, enum probe_purpose purpose, size_t size, bool df, bool confirm,
    int attempts)
{
	const struct probe_set *set = &v->set;
	struct probe_spec *s;

	if (b->n == PLAN_BATCH)
		return false;
	s = &b->out[b->n++];
	*s = plan_spec(v, ps->kind[pi], purpose, set->ports[pi].dport);
	s->confirm = confirm;
	s->size = size;
	s->df = df;
	if (s->kind == PROBE_SA) {
		/* The group this port's full SA was answered with. */
		for (int i = 0; i < set->n; i++) {
			const struct probe *q = &set->p[i];

			if (q->dport == s->dport && q->kind == PROBE_SA &&
			    q->result == PROBE_ANSWERED)
				s->ke_group = q->ke_group;
		}
	}
	s->frag_size = purpose == PURPOSE_FRAG ? ps->frag_size : 0;
	s->max_attempts = attempts;
	s->rto = ps->rto;
	s->backoff = 1.0;
	return true;
}

/* Probes of this purpose (and size, unless 0) on a port, sent or just
 * planned in this round. */
static int
count(const struct plan_view *v, const struct batch *b, uint16_t dport,
    enum probe_purpose purpose, size_t size)
{
	int n = 0;

	for (int i = 0; i < v->set.n; i++) {
		const struct probe *p = &v->set.p[i];

		n += p->dport == dport && p->purpose == purpose &&
		    (size == 0 || p->size == size);
	}
	for (int i = 0; i < b->n; i++)
		n += b->out[i].dport == dport && b->out[i].purpose == purpose &&
		    (size == 0 || b->out[i].size == size);
	return n;
}

static bool
open_port(const struct probe_set *set, uint16_t dport, enum probe_kind *kind)
{
	bool open = false;

	*kind = PROBE_SA;
	for (int i = 0; i < set->n; i++) {
		const struct probe *p = &set->p[i];

		if (p->dport != dport || p->result != PROBE_ANSWERED)
			continue;
		open = true;
		/* Any answer will do: a COOKIE leaves no state either. */
		if (p->kind == PROBE_STATELESS)
			*kind = PROBE_STATELESS;
	}
	return open;
}

static double
max_rtt(const struct probe_set *set)
{
	double m = 0;

	for (int i = 0; i < set->n; i++)
		if (set->p[i].result == PROBE_ANSWERED && set->p[i].rtt_ms > m)
			m = set->p[i].rtt_ms;
	return m / 1000.0;
}

static void
sort_sizes(size_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
			size_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

static void
add_size(size_t *v, int *n, size_t s)
{
	for (int i = 0; i < *n; i++)
		if (v[i] == s)
			return;
	if (*n < MAX_SIZES)
		v[(*n)++] = s;
}

static void
start(const struct plan_view *v, struct plan_state *ps, struct batch *b)
{
	static const size_t df_def[] = SIZES_DF_DEFAULT;
	static const size_t frag_def[] = SIZES_FRAG_DEFAULT;
	const struct size_config *c = &v->cfg->sizes;
	const struct probe_set *set = &v->set;
	size_t mtu = set->local_mtu > 0 ? (size_t)set->local_mtu : 1500;
	double rto;

	ps->sizes_started = true;
	ps->pmtu_port = -1;
	ps->frag_size = c->frag_size ? c->frag_size :
	    mtu < FRAG_SIZE_DEFAULT ? mtu : FRAG_SIZE_DEFAULT;
	if (c->n_sizes == 0) {
		for (size_t i = 0; i < sizeof(df_def) / sizeof(df_def[0]); i++)
			if (df_def[i] < mtu)
				add_size(ps->df_sizes, &ps->n_df, df_def[i]);
		for (size_t i = 0; i < sizeof(frag_def) / sizeof(frag_def[0]); i++)
			add_size(ps->frag_sizes, &ps->n_frag, frag_def[i]);
	} else
		for (int i = 0; i < c->n_sizes; i++) {
			if (c->sizes[i] <= mtu)
				add_size(ps->df_sizes, &ps->n_df, c->sizes[i]);
			if (c->sizes[i] > ps->frag_size)
				add_size(ps->frag_sizes, &ps->n_frag, c->sizes[i]);
		}
	/* The interface MTU is always a rung: it bounds the search. */
	add_size(ps->df_sizes, &ps->n_df, mtu);
	sort_sizes(ps->df_sizes, ps->n_df);
	sort_sizes(ps->frag_sizes, ps->n_frag);

	/* Attempts a few round trips apart: the path's round trip is known
	 * by now, and a size probe's loss is confirmed separately. */
	rto = 3 * max_rtt(set);
	ps->rto = rto < 0.1 ? 0.1 : rto > 1.0 ? 1.0 : rto;

	for (int i = 0; i < set->n_ports && i < MAX_PORTS; i++) {
		if (!open_port(set, set->ports[i].dport, &ps->kind[i]))
			continue;
		if (c->stateful)
			ps->kind[i] = PROBE_SA;
		ps->frag_port[i] = true;
		if (ps->pmtu_port < 0) {
			ps->pmtu_port = i;
			for (int k = 0; k < ps->n_df; k++)
				add(v, ps, b, i, PURPOSE_PMTU, ps->df_sizes[k],
				    true, false, DF_ATTEMPTS);
		}
		if (ps->n_frag)
			add(v, ps, b, i, PURPOSE_FRAG, ps->frag_sizes[0], false,
			    false, FRAG_ATTEMPTS);
	}
}

/* After losses, go on only if the gateway answered some size or control
 * probe on this port: else a control first, so that a gateway that stopped
 * answering costs one probe, not a bisection. */
static bool
may_go_on(const struct probe_set *set, uint16_t dport)
{
	bool lost = false;

	for (int i = 0; i < set->n; i++) {
		const struct probe *p = &set->p[i];

		if (p->dport != dport || p->purpose == PURPOSE_REACH ||
		    p->purpose == PURPOSE_FOLLOW_UP)
			continue;
		if (p->result == PROBE_ANSWERED)
			return true;
		lost |= p->result == PROBE_LOST;
	}
	return !lost;
}

static bool
frag_next(const struct plan_view *v, const struct plan_state *ps,
    struct batch *b, int pi, const struct frag_assess *a)
{
	const struct probe_set *set = &v->set;
	uint16_t dport = set->ports[pi].dport;
	const struct probe *lp = probe_set_get(set, a->lost_probe);

	if (!ps->frag_port[pi] || a->pending || a->unresponsive ||
	    !may_go_on(set, dport))
		return false;
	if (a->smallest_lost) {
		/* Repeat a lost size once with a fresh probe before calling
		 * it dropped: loss can take out every attempt of one probe. */
		if (a->outcome != FRAG_DROPPED && lp != NULL &&
		    lp->result == PROBE_LOST &&
		    count(v, b, dport, PURPOSE_FRAG, a->smallest_lost) < 2)
			return add(v, ps, b, pi, PURPOSE_FRAG, a->smallest_lost,
			    false, true, FRAG_ATTEMPTS);
		return false;
	}
	for (int k = 0; k < ps->n_frag; k++)
		if (ps->frag_sizes[k] > a->largest_answered)
			return add(v, ps, b, pi, PURPOSE_FRAG, ps->frag_sizes[k],
			    false, false, FRAG_ATTEMPTS);
	return false;
}

static bool
pmtu_next(const struct plan_view *v, const struct plan_state *ps,
    struct batch *b, const struct pmtu_assess *a)
{
	int pi = ps->pmtu_port;
	size_t next;

	if (pi < 0 || !a->tested || a->done ||
	    count(v, b, a->port, PURPOSE_PMTU, 0) >= PMTU_PROBES_MAX)
		return false;
	if (a->unresponsive || !may_go_on(&v->set, a->port))
		return false;
	if (a->icmp_mtu && a->icmp_mtu > a->lo && a->icmp_mtu < a->hi &&
	    count(v, b, a->port, PURPOSE_PMTU, a->icmp_mtu) == 0)
		next = a->icmp_mtu;
	else if (a->hi - a->lo > PMTU_PRECISION)
		next = a->lo + (a->hi - a->lo) / 2;
	else if (!a->hi_confirmed && count(v, b, a->port, PURPOSE_PMTU, a->hi) < 2)
		return add(v, ps, b, pi, PURPOSE_PMTU, a->hi, true, true,
		    DF_ATTEMPTS);
	else
		return false;
	return add(v, ps, b, pi, PURPOSE_PMTU, next, true, false, DF_ATTEMPTS);
}

/* Losses on this port that no later answer vouches for, and no control
 * sent after them yet. */
static bool
control_needed(const struct probe_set *set, uint16_t dport)
{
	const struct probe *latest = NULL;

	for (int i = 0; i < set->n; i++) {
		const struct probe *p = &set->p[i];

		if (p->dport != dport || p->result != PROBE_LOST ||
		    (p->purpose != PURPOSE_PMTU && p->purpose != PURPOSE_FRAG) ||
		    sizes_alive_after(set, p) >= 0)
			continue;
		if (latest == NULL || p->ended > latest->ended)
			latest = p;
	}
	if (latest == NULL)
		return false;
	for (int i = 0; i < set->n; i++) {
		const struct probe *q = &set->p[i];
		usec_t t = probe_sent_at(q);

		/* A control planned but not yet out is after it too. */
		if (q->dport == dport && q->purpose == PURPOSE_CONTROL &&
		    (t == USEC_NONE || t >= latest->ended))
			return false;
	}
	return true;
}

int
plan_sizes(const struct plan_view *v, struct plan_state *ps,
    struct probe_spec *out)
{
	const struct probe_set *set = &v->set;
	struct batch b = { out, 0 };
	struct sizes_assess a;
	bool added_port[MAX_PORTS] = { false };

	if (!v->cfg->sizes.enabled || v->stopping)
		return 0;
	if (!ps->sizes_started) {
		start(v, ps, &b);
		return b.n;
	}
	sizes_assess(set, &a);
	for (int i = 0; i < set->n_ports && i < MAX_PORTS; i++)
		added_port[i] = frag_next(v, ps, &b, i, &a.frag[i]);
	if (ps->pmtu_port >= 0 && pmtu_next(v, ps, &b, &a.pmtu))
		added_port[ps->pmtu_port] = true;
	for (int i = 0; i < set->n_ports && i < MAX_PORTS; i++)
		/* Whatever else goes out on this port can vouch for the
		 * gateway; only when nothing does, send a control. */
		if (!added_port[i] && ps->frag_port[i] &&
		    control_needed(set, set->ports[i].dport))
			add(v, ps, &b, i, PURPOSE_CONTROL, 0, false, false,
			    CONTROL_ATTEMPTS);
	return b.n;
}
