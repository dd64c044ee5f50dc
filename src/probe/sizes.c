/* The size part of a run: once reachability is settled, find out whether
 * fragmented IKE datagrams reach the gateway and how large a datagram
 * crosses the path whole.
 *
 * Rounds, each started when nothing is pending:
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
#include <errno.h>
#include <string.h>

#include "ikeprobe/sizes.h"

#define DF_ATTEMPTS	5
#define FRAG_ATTEMPTS	6
#define CONTROL_ATTEMPTS 6
#define PMTU_PROBES_MAX	16

int
sizes_alive_after(const struct run *r, const struct probe *p)
{
	for (int i = 0; i < r->n_probes; i++) {
		const struct probe *q = &r->probes[i];

		if (q != p && q->dport == p->dport &&
		    q->result == PROBE_ANSWERED && q->created >= p->finished)
			return q->id;
	}
	return -1;
}

static bool
is_frag_needed(const struct probe *p)
{
	return p->result == PROBE_ICMP && p->icmp.type == 3 && p->icmp.code == 4;
}

static bool
failed(const struct probe *p)
{
	return p->result == PROBE_LOST || p->result == PROBE_ICMP ||
	    p->result == PROBE_SEND_FAILED;
}

/* A control probe on this port lost after the given time: the gateway
 * stopped answering. */
static bool
control_lost_after(const struct run *r, uint16_t dport, double t)
{
	for (int i = 0; i < r->n_probes; i++) {
		const struct probe *q = &r->probes[i];

		if (q->dport == dport && q->purpose == PURPOSE_CONTROL &&
		    q->result == PROBE_LOST && q->created >= t)
			return true;
	}
	return false;
}

static void
assess_frag(const struct run *r, int pi, struct frag_assess *a)
{
	const struct size_state *sz = &r->sz;
	uint16_t dport = r->ports[pi].dport;

	memset(a, 0, sizeof(*a));
	a->port = dport;
	a->lost_probe = a->control = -1;
	if (!sz->started || !sz->frag_port[pi])
		return;
	for (int k = 0; k < sz->n_frag; k++) {
		size_t s = sz->frag_sizes[k];
		int n = 0, lost = 0, icmp = 0, pend = 0, ans = 0, frags = 0;
		const struct probe *last_lost = NULL, *icmp_p = NULL;

		for (int i = 0; i < r->n_probes; i++) {
			const struct probe *p = &r->probes[i];

			if (p->dport != dport || p->purpose != PURPOSE_FRAG ||
			    p->size != s)
				continue;
			n++;
			frags = p->fragments;
			if (p->result == PROBE_ANSWERED)
				ans++;
			else if (p->result == PROBE_PENDING)
				pend++;
			else if (p->result == PROBE_ICMP) {
				icmp++;
				icmp_p = p;
			} else if (failed(p)) {
				lost++;
				if (last_lost == NULL ||
				    p->finished > last_lost->finished)
					last_lost = p;
			}
		}
		if (n == 0)
			break;
		a->tested = true;
		if (pend)
			a->pending = true;
		if (ans) {
			a->largest_answered = s;
			a->answered_frags = frags;
			continue;
		}
		if (pend)
			break;
		/* Every probe of this size failed. */
		a->smallest_lost = s;
		a->lost_frags = frags;
		if (icmp_p) {
			/* An ICMP error is itself a sign of life on the path:
			 * reassembly timeout from the gateway, or a router
			 * refusing fragments. */
			a->icmp = icmp_p->icmp;
			a->lost_probe = icmp_p->id;
			a->reasm_timeout = icmp_p->icmp.type == 11 &&
			    icmp_p->icmp.code == 1;
			a->icmp_refused = icmp_p->icmp.type == 3;
			a->outcome = FRAG_DROPPED;
			return;
		}
		a->lost_probe = last_lost->id;
		a->control = sizes_alive_after(r, last_lost);
		if (a->control < 0)
			a->unresponsive = control_lost_after(r, dport,
			    last_lost->finished);
		a->outcome = lost >= 2 && a->control >= 0 ? FRAG_DROPPED :
		    FRAG_INCONCLUSIVE;
		(void)icmp;
		return;
	}
	if (a->pending)
		a->outcome = FRAG_INCONCLUSIVE;
	else if (a->largest_answered)
		a->outcome = FRAG_PASS;
}

static void
assess_pmtu(const struct run *r, struct pmtu_assess *a)
{
	const struct size_state *sz = &r->sz;
	int pi = sz->pmtu_port, lost_above = 0;
	bool pending = false;
	const struct probe *hp = NULL, *last_lost = NULL;
	uint16_t dport;

	memset(a, 0, sizeof(*a));
	a->lo_probe = a->hi_probe = a->icmp_probe = a->control = -1;
	a->lost_probe = -1;
	a->local_mtu = r->local.mtu;
	if (!sz->started || pi < 0)
		return;
	dport = r->ports[pi].dport;
	a->port = dport;

	/* Largest size answered whole; small reachability probes count (no
	 * path fragments a few hundred bytes). */
	for (int i = 0; i < r->n_probes; i++) {
		const struct probe *p = &r->probes[i];

		if (p->dport != dport || p->result != PROBE_ANSWERED ||
		    p->fragments != 1 || (!p->df && p->size > PROBE_SIZE_MIN))
			continue;
		if (p->size > a->lo) {
			a->lo = p->size;
			a->lo_probe = p->id;
		}
	}
	for (int i = 0; i < r->n_probes; i++) {
		const struct probe *p = &r->probes[i];

		if (p->dport != dport || p->purpose != PURPOSE_PMTU)
			continue;
		a->tested = true;
		if (p->result == PROBE_PENDING)
			pending = true;
		if (is_frag_needed(p)) {
			/* RFC 1191: a next-hop MTU of 0 (old router) or one not
			 * below the probe says nothing usable. */
			if (p->icmp.mtu >= 68 && p->icmp.mtu < p->size &&
			    (a->icmp_mtu == 0 || p->icmp.mtu < a->icmp_mtu)) {
				a->icmp_mtu = p->icmp.mtu;
				a->router = p->icmp.from;
				a->icmp_probe = p->id;
			}
			if (a->icmp_probe < 0) {
				a->router = p->icmp.from;
				a->icmp_probe = p->id;
			}
		}
		if (!failed(p) || p->size <= a->lo)
			continue;
		if (p->result == PROBE_LOST) {
			lost_above++;
			if (last_lost == NULL || p->finished > last_lost->finished)
				last_lost = p;
		}
		if (hp == NULL || p->size < hp->size ||
		    (p->size == hp->size && hp->result == PROBE_LOST))
			hp = p;
	}
	if (!a->tested)
		return;
	a->icmp = a->icmp_probe >= 0 ? PMTU_ICMP_SEEN : PMTU_ICMP_NONE;
	if (pending)
		return;		/* an interrupted run: nothing is decided */
	if (hp) {
		a->hi = hp->size;
		a->hi_probe = hp->id;
		a->local_emsgsize = hp->result == PROBE_SEND_FAILED &&
		    hp->send_errno == EMSGSIZE;
	}
	if (last_lost) {
		a->lost_probe = last_lost->id;
		a->control = sizes_alive_after(r, last_lost);
		a->inconclusive = a->control < 0;
		a->unresponsive = a->inconclusive && control_lost_after(r,
		    dport, last_lost->finished);
	}

	if (a->icmp_mtu && a->lo >= (size_t)a->icmp_mtu) {
		/* The router's figure, checked by a probe of that size. */
		a->done = true;
		a->value = a->icmp_mtu;
		a->source = PMTU_SRC_ICMP;
		a->inconclusive = false;
		return;
	}
	if (hp == NULL) {
		/* Nothing failed above the largest answered size. */
		a->done = true;
		a->value = (int)a->lo;
		a->source = a->lo >= (size_t)r->local.mtu ? PMTU_SRC_LOCAL :
		    PMTU_SRC_PROBING;
		a->inconclusive = false;
		return;
	}
	if (a->icmp_mtu && (size_t)a->icmp_mtu < a->hi)
		return;		/* probe the reported MTU first */
	if (a->hi - a->lo > PMTU_PRECISION)
		return;		/* bisect on */
	/* Two losses at or above hi: not chance (10 % loss makes one lost
	 * five-attempt probe a 1-in-4000 event; two, one in 10^7). */
	a->hi_confirmed = hp->result != PROBE_LOST || lost_above >= 2;
	if (!a->hi_confirmed || (hp->result == PROBE_LOST && a->inconclusive))
		return;		/* confirm, or wait for a control */
	a->done = true;
	a->value = (int)a->lo;
	if (a->local_emsgsize)
		a->source = PMTU_SRC_LOCAL;
	else if (hp->result == PROBE_LOST) {
		a->source = PMTU_SRC_PROBING;
		a->icmp = PMTU_ICMP_FILTERED;
	} else
		a->source = PMTU_SRC_ICMP;
}

void
sizes_assess(const struct run *r, struct sizes_assess *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < r->n_ports; i++)
		assess_frag(r, i, &out->frag[i]);
	assess_pmtu(r, &out->pmtu);
}

/* Planning. */

static struct probe *
add(struct run *r, int pi, enum probe_purpose purpose, size_t size, bool df,
    bool confirm, int attempts)
{
	const struct size_state *sz = &r->sz;
	struct probe_spec s;
	struct probe *p;

	memset(&s, 0, sizeof(s));
	s.kind = sz->kind[pi];
	s.purpose = purpose;
	s.confirm = confirm;
	s.dport = r->ports[pi].dport;
	s.sport = r->ports[pi].sport;
	s.size = size;
	s.df = df;
	s.kex = &r->kex[0];
	if (s.kind == PROBE_SA) {
		/* The group this port's full SA was answered with. */
		for (int i = 0; i < r->n_probes; i++) {
			const struct probe *q = &r->probes[i];

			if (q->dport == s.dport && q->kind == PROBE_SA &&
			    q->result == PROBE_ANSWERED)
				s.kex = run_kex(r, q->ke_group);
		}
	}
	if (purpose == PURPOSE_FRAG)
		s.frag_payload = frag_payload_for(sz->frag_size);
	p = run_add_probe(r, &s);
	if (p == NULL)
		return NULL;
	p->frag_size = purpose == PURPOSE_FRAG ? sz->frag_size : 0;
	p->max_attempts = attempts;
	p->rto = sz->rto;
	p->backoff = 1.0;
	return p;
}

static int
count(const struct run *r, uint16_t dport, enum probe_purpose purpose,
    size_t size)
{
	int n = 0;

	for (int i = 0; i < r->n_probes; i++) {
		const struct probe *p = &r->probes[i];

		n += p->dport == dport && p->purpose == purpose &&
		    (size == 0 || p->size == size);
	}
	return n;
}

static bool
open_port(const struct run *r, uint16_t dport, enum probe_kind *kind)
{
	bool open = false;

	*kind = PROBE_SA;
	for (int i = 0; i < r->n_probes; i++) {
		const struct probe *p = &r->probes[i];

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
max_rtt(const struct run *r)
{
	double m = 0;

	for (int i = 0; i < r->n_probes; i++)
		if (r->probes[i].result == PROBE_ANSWERED &&
		    r->probes[i].rtt_ms > m)
			m = r->probes[i].rtt_ms;
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

static bool
start(struct run *r)
{
	static const size_t df_def[] = SIZES_DF_DEFAULT;
	static const size_t frag_def[] = SIZES_FRAG_DEFAULT;
	const struct size_config *c = &r->sz_cfg;
	struct size_state *sz = &r->sz;
	size_t mtu = r->local.mtu > 0 ? (size_t)r->local.mtu : 1500;
	double rto;
	bool added = false;

	sz->started = true;
	sz->pmtu_port = -1;
	sz->frag_size = c->frag_size ? c->frag_size :
	    mtu < FRAG_SIZE_DEFAULT ? mtu : FRAG_SIZE_DEFAULT;
	if (c->n_sizes == 0) {
		for (size_t i = 0; i < sizeof(df_def) / sizeof(df_def[0]); i++)
			if (df_def[i] < mtu)
				add_size(sz->df_sizes, &sz->n_df, df_def[i]);
		for (size_t i = 0; i < sizeof(frag_def) / sizeof(frag_def[0]); i++)
			add_size(sz->frag_sizes, &sz->n_frag, frag_def[i]);
	} else
		for (int i = 0; i < c->n_sizes; i++) {
			if (c->sizes[i] <= mtu)
				add_size(sz->df_sizes, &sz->n_df, c->sizes[i]);
			if (c->sizes[i] > sz->frag_size)
				add_size(sz->frag_sizes, &sz->n_frag, c->sizes[i]);
		}
	/* The interface MTU is always a rung: it bounds the search. */
	add_size(sz->df_sizes, &sz->n_df, mtu);
	sort_sizes(sz->df_sizes, sz->n_df);
	sort_sizes(sz->frag_sizes, sz->n_frag);

	/* Attempts a few round trips apart: the path's round trip is known
	 * by now, and a size probe's loss is confirmed separately. */
	rto = 3 * max_rtt(r);
	sz->rto = rto < 0.1 ? 0.1 : rto > 1.0 ? 1.0 : rto;

	for (int i = 0; i < r->n_ports; i++) {
		if (!open_port(r, r->ports[i].dport, &sz->kind[i]))
			continue;
		if (c->stateful)
			sz->kind[i] = PROBE_SA;
		sz->frag_port[i] = true;
		if (sz->pmtu_port < 0) {
			sz->pmtu_port = i;
			for (int k = 0; k < sz->n_df; k++)
				added |= add(r, i, PURPOSE_PMTU, sz->df_sizes[k],
				    true, false, DF_ATTEMPTS) != NULL;
		}
		if (sz->n_frag)
			added |= add(r, i, PURPOSE_FRAG, sz->frag_sizes[0], false,
			    false, FRAG_ATTEMPTS) != NULL;
	}
	return added;
}

/* After losses, go on only if the gateway answered some size or control
 * probe on this port: else a control first, so that a gateway that stopped
 * answering costs one probe, not a bisection. */
static bool
may_go_on(const struct run *r, uint16_t dport)
{
	bool lost = false;

	for (int i = 0; i < r->n_probes; i++) {
		const struct probe *p = &r->probes[i];

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
frag_next(struct run *r, int pi, const struct frag_assess *a)
{
	const struct size_state *sz = &r->sz;
	uint16_t dport = r->ports[pi].dport;

	if (!sz->frag_port[pi] || a->pending || a->unresponsive ||
	    !may_go_on(r, dport))
		return false;
	if (a->smallest_lost) {
		/* Repeat a lost size once with a fresh probe before calling
		 * it dropped: loss can take out every attempt of one probe. */
		if (a->outcome != FRAG_DROPPED && a->lost_probe >= 0 &&
		    r->probes[a->lost_probe].result == PROBE_LOST &&
		    count(r, dport, PURPOSE_FRAG, a->smallest_lost) < 2)
			return add(r, pi, PURPOSE_FRAG, a->smallest_lost, false,
			    true, FRAG_ATTEMPTS) != NULL;
		return false;
	}
	for (int k = 0; k < sz->n_frag; k++)
		if (sz->frag_sizes[k] > a->largest_answered)
			return add(r, pi, PURPOSE_FRAG, sz->frag_sizes[k], false,
			    false, FRAG_ATTEMPTS) != NULL;
	return false;
}

static bool
pmtu_next(struct run *r, const struct pmtu_assess *a)
{
	int pi = r->sz.pmtu_port;
	size_t next;

	if (pi < 0 || !a->tested || a->done ||
	    count(r, a->port, PURPOSE_PMTU, 0) >= PMTU_PROBES_MAX)
		return false;
	if (a->unresponsive || !may_go_on(r, a->port))
		return false;
	if (a->icmp_mtu && (size_t)a->icmp_mtu > a->lo &&
	    (size_t)a->icmp_mtu < a->hi &&
	    count(r, a->port, PURPOSE_PMTU, (size_t)a->icmp_mtu) == 0)
		next = (size_t)a->icmp_mtu;
	else if (a->hi - a->lo > PMTU_PRECISION)
		next = a->lo + (a->hi - a->lo) / 2;
	else if (!a->hi_confirmed && count(r, a->port, PURPOSE_PMTU, a->hi) < 2)
		return add(r, pi, PURPOSE_PMTU, a->hi, true, true,
		    DF_ATTEMPTS) != NULL;
	else
		return false;
	return add(r, pi, PURPOSE_PMTU, next, true, false, DF_ATTEMPTS) != NULL;
}

/* Losses on this port that no later answer vouches for, and no control
 * sent after them yet. */
static bool
control_needed(const struct run *r, int pi)
{
	uint16_t dport = r->ports[pi].dport;
	double latest = -1;

	for (int i = 0; i < r->n_probes; i++) {
		const struct probe *p = &r->probes[i];

		if (p->dport != dport || p->result != PROBE_LOST ||
		    (p->purpose != PURPOSE_PMTU && p->purpose != PURPOSE_FRAG) ||
		    sizes_alive_after(r, p) >= 0)
			continue;
		if (p->finished > latest)
			latest = p->finished;
	}
	if (latest < 0)
		return false;
	for (int i = 0; i < r->n_probes; i++) {
		const struct probe *q = &r->probes[i];

		if (q->dport == dport && q->purpose == PURPOSE_CONTROL &&
		    q->created >= latest)
			return false;
	}
	return true;
}

bool
sizes_step(struct run *r)
{
	struct sizes_assess a;
	bool added_port[MAX_PORTS] = { false };
	bool added = false;

	if (!r->sz_cfg.enabled || r->interrupted || r->faulted)
		return false;
	if (!r->sz.started)
		return start(r);
	sizes_assess(r, &a);
	for (int i = 0; i < r->n_ports; i++)
		added_port[i] = frag_next(r, i, &a.frag[i]);
	if (r->sz.pmtu_port >= 0 && pmtu_next(r, &a.pmtu))
		added_port[r->sz.pmtu_port] = true;
	for (int i = 0; i < r->n_ports; i++) {
		/* Whatever else goes out on this port can vouch for the
		 * gateway; only when nothing does, send a control. */
		if (!added_port[i] && r->sz.frag_port[i] && control_needed(r, i))
			added_port[i] = add(r, i, PURPOSE_CONTROL, 0, false,
			    false, CONTROL_ATTEMPTS) != NULL;
		added |= added_port[i];
	}
	return added;
}

const char *
frag_outcome_name(enum frag_outcome o)
{
	switch (o) {
	case FRAG_UNKNOWN:	return "unknown";
	case FRAG_PASS:		return "pass";
	case FRAG_DROPPED:	return "dropped";
	case FRAG_INCONCLUSIVE:	return "inconclusive";
	}
	return "?";
}

const char *
pmtu_source_name(enum pmtu_source s)
{
	switch (s) {
	case PMTU_SRC_NONE:	return NULL;
	case PMTU_SRC_ICMP:	return "icmp";
	case PMTU_SRC_PROBING:	return "probing";
	case PMTU_SRC_LOCAL:	return "local";
	}
	return NULL;
}

const char *
pmtu_icmp_name(enum pmtu_icmp i)
{
	switch (i) {
	case PMTU_ICMP_NONE:	return "none";
	case PMTU_ICMP_SEEN:	return "seen";
	case PMTU_ICMP_FILTERED: return "filtered";
	}
	return "?";
}
