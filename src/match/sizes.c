/* The reading of size probes: from a session's probes alone, what they
 * show about fragments and the path MTU. The plan reads it to decide what
 * to send next; the diagnosis reads it for the report. Nothing here knows
 * what the plan meant to send: the fragment ladder and the path-MTU port
 * are what the probes themselves say. */
#include <errno.h>
#include <string.h>

#include "ikeprobe/sizes.h"

/* q was sent after p was given up: it can vouch for the gateway. */
static bool
sent_after(const struct probe *q, const struct probe *p)
{
	usec_t t = probe_sent_at(q);

	return t != USEC_NONE && p->ended != USEC_NONE && t >= p->ended;
}

int
sizes_alive_after(const struct probe_set *s, const struct probe *p)
{
	for (int i = 0; i < s->n; i++) {
		const struct probe *q = &s->p[i];

		/* The audit comes after the size tests are decided: its
		 * answers must not change them (--audit or not, the same). */
		if (q != p && q->dport == p->dport && q->purpose != PURPOSE_AUDIT &&
		    q->result == PROBE_ANSWERED && sent_after(q, p))
			return q->id;
	}
	return -1;
}

static bool
is_too_big(const struct probe *p)
{
	return p->result == PROBE_ICMP && p->icmp.meaning == ICMP_TOO_BIG;
}

static bool
failed(const struct probe *p)
{
	return p->result == PROBE_LOST || p->result == PROBE_ICMP ||
	    p->result == PROBE_SEND_FAILED;
}

/* A control probe on this port, sent after p was given up, lost too: the
 * gateway stopped answering. */
static bool
control_lost_after(const struct probe_set *s, const struct probe *p)
{
	for (int i = 0; i < s->n; i++) {
		const struct probe *q = &s->p[i];

		if (q->dport == p->dport && q->purpose == PURPOSE_CONTROL &&
		    q->result == PROBE_LOST && sent_after(q, p))
			return true;
	}
	return false;
}

/* The fragmented sizes probed on any port, ascending: the ladder. */
static int
frag_ladder(const struct probe_set *s, size_t *v)
{
	int n = 0;

	for (int i = 0; i < s->n; i++) {
		const struct probe *p = &s->p[i];
		int k;

		if (p->purpose != PURPOSE_FRAG)
			continue;
		for (k = 0; k < n && v[k] != p->size; k++)
			;
		if (k < n || n == MAX_SIZES * 2)
			continue;
		for (k = n++; k > 0 && v[k - 1] > p->size; k--)
			v[k] = v[k - 1];
		v[k] = p->size;
	}
	return n;
}

static void
assess_frag(const struct probe_set *s, const size_t *ladder, int n_ladder,
    int pi, struct frag_assess *a)
{
	uint16_t dport = s->ports[pi].dport;

	memset(a, 0, sizeof(*a));
	a->port = dport;
	a->lost_probe = a->control = -1;
	for (int k = 0; k < n_ladder; k++) {
		size_t sz = ladder[k];
		int n = 0, lost = 0, pend = 0, ans = 0, frags = 0;
		const struct probe *last_lost = NULL, *icmp_p = NULL;

		for (int i = 0; i < s->n; i++) {
			const struct probe *p = &s->p[i];

			if (p->dport != dport || p->purpose != PURPOSE_FRAG ||
			    p->size != sz)
				continue;
			n++;
			frags = p->fragments;
			if (p->result == PROBE_ANSWERED)
				ans++;
			else if (p->result == PROBE_PENDING)
				pend++;
			else if (p->result == PROBE_ICMP)
				icmp_p = p;
			else if (failed(p)) {
				lost++;
				if (last_lost == NULL || p->ended > last_lost->ended)
					last_lost = p;
			}
		}
		if (n == 0)
			break;
		a->tested = true;
		if (pend)
			a->pending = true;
		if (ans) {
			a->largest_answered = sz;
			a->answered_frags = frags;
			continue;
		}
		if (pend)
			break;
		/* Every probe of this size failed. */
		a->smallest_lost = sz;
		a->lost_frags = frags;
		if (icmp_p) {
			/* An ICMP error is itself a sign of life on the path:
			 * reassembly timeout from the gateway, or a router
			 * refusing fragments. */
			a->icmp = icmp_p->icmp;
			a->lost_probe = icmp_p->id;
			a->reasm_timeout = icmp_p->icmp.meaning == ICMP_REASM_TIMEOUT;
			a->icmp_refused = icmp_p->icmp.meaning == ICMP_UNREACH ||
			    icmp_p->icmp.meaning == ICMP_ADMIN_PROHIBITED ||
			    icmp_p->icmp.meaning == ICMP_PORT_UNREACH ||
			    icmp_p->icmp.meaning == ICMP_PARAM_PROBLEM;
			a->outcome = FRAG_DROPPED;
			return;
		}
		a->lost_probe = last_lost->id;
		a->control = sizes_alive_after(s, last_lost);
		if (a->control < 0)
			a->unresponsive = control_lost_after(s, last_lost);
		a->outcome = lost >= 2 && a->control >= 0 ? FRAG_DROPPED :
		    FRAG_INCONCLUSIVE;
		return;
	}
	if (a->pending)
		a->outcome = FRAG_INCONCLUSIVE;
	else if (a->largest_answered)
		a->outcome = FRAG_PASS;
}

/* The port the DF probes went to: the first with a path-MTU probe. */
static int
pmtu_port(const struct probe_set *s)
{
	for (int i = 0; i < s->n; i++)
		if (s->p[i].purpose == PURPOSE_PMTU)
			for (int k = 0; k < s->n_ports; k++)
				if (s->ports[k].dport == s->p[i].dport)
					return k;
	return -1;
}

static void
assess_pmtu(const struct probe_set *s, struct pmtu_assess *a)
{
	int pi = pmtu_port(s), lost_above = 0;
	bool pending = false;
	const struct probe *hp = NULL, *last_lost = NULL;
	size_t small = ip_min_mtu(s->family);
	uint16_t dport;

	memset(a, 0, sizeof(*a));
	a->lo_probe = a->hi_probe = a->icmp_probe = a->control = -1;
	a->lost_probe = -1;
	a->local_mtu = s->local_mtu;
	if (pi < 0)
		return;
	dport = s->ports[pi].dport;
	a->port = dport;

	/* Largest size answered whole; small reachability probes count (no
	 * path fragments a datagram below the family's minimum MTU). */
	for (int i = 0; i < s->n; i++) {
		const struct probe *p = &s->p[i];

		if (p->dport != dport || p->result != PROBE_ANSWERED ||
		    p->fragments != 1 || (!p->df && p->size > small))
			continue;
		if (p->size > a->lo) {
			a->lo = p->size;
			a->lo_probe = p->id;
		}
	}
	for (int i = 0; i < s->n; i++) {
		const struct probe *p = &s->p[i];

		if (p->dport != dport || p->purpose != PURPOSE_PMTU)
			continue;
		a->tested = true;
		if (p->result == PROBE_PENDING)
			pending = true;
		if (is_too_big(p)) {
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
			if (last_lost == NULL || p->ended > last_lost->ended)
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
		a->control = sizes_alive_after(s, last_lost);
		a->inconclusive = a->control < 0;
		a->unresponsive = a->inconclusive &&
		    control_lost_after(s, last_lost);
	}

	if (a->icmp_mtu && a->lo >= a->icmp_mtu) {
		/* The router's figure, checked by a probe of that size. */
		a->done = true;
		a->value = (int)a->icmp_mtu;
		a->source = PMTU_SRC_ICMP;
		a->inconclusive = false;
		return;
	}
	if (hp == NULL) {
		/* Nothing failed above the largest answered size. */
		a->done = true;
		a->value = (int)a->lo;
		a->source = s->local_mtu > 0 && a->lo >= (size_t)s->local_mtu ?
		    PMTU_SRC_LOCAL : PMTU_SRC_PROBING;
		a->inconclusive = false;
		return;
	}
	if (a->icmp_mtu && a->icmp_mtu < a->hi)
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
sizes_assess(const struct probe_set *s, struct sizes_assess *out)
{
	size_t ladder[2 * MAX_SIZES];
	int n = frag_ladder(s, ladder);

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < s->n_ports && i < MAX_PORTS; i++)
		assess_frag(s, ladder, n, i, &out->frag[i]);
	assess_pmtu(s, &out->pmtu);
	for (int i = 0; i < s->n; i++)
		if (s->p[i].purpose == PURPOSE_FRAG && s->p[i].frag_size) {
			out->frag_size = s->p[i].frag_size;
			break;
		}
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
