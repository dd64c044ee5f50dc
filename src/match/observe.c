/* Observations applied to a session's probes: what a probe becomes, and
 * the counters of the report's `capture'. An answer beats an ICMP error
 * (or our own refusal to send), which beats a loss; evidence that comes
 * after a probe was given up still counts, since a gateway gives up
 * reassembly (ICMP time exceeded) only after its own timer, 30 s on Linux,
 * often after the probe was judged lost. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ikeprobe/match.h"

static bool
may_become(const struct probe *p, enum probe_result res)
{
	static const int rank[] = {
		[PROBE_PENDING] = 0, [PROBE_LOST] = 1, [PROBE_SEND_FAILED] = 2,
		[PROBE_ICMP] = 2, [PROBE_ANSWERED] = 3,
	};

	return rank[res] > rank[p->result];
}

static struct probe *
probe_by_id(struct probe *probes, int n, int id)
{
	return id >= 0 && id < n && probes[id].id == id ? &probes[id] : NULL;
}

static void
answer(struct probe *p, struct run_stats *st, const struct observation *o)
{
	usec_t from = p->last_wire != USEC_NONE ? p->last_wire :
	    p->attempts > 0 ? p->sent[p->attempts - 1] : o->ts;

	ike_parse(o->ike, o->ike_len, &p->reply);
	ike_check_sa_init_response(&p->reply);
	if (p->reply.status != IKE_PARSE_OK)
		st->malformed++;
	exchange_answered(&p->ex, o->ike, o->ike_len);
	/* Karn: with retransmissions the reply may answer any attempt; the
	 * last one gives the smaller, still honest, estimate. The capture's
	 * own timestamp of that attempt leaving beats our clock before send. */
	p->rtt_ms = usec_to_ms(o->ts - from);
	if (p->rtt_ms < 0)
		p->rtt_ms = 0;
	p->result = PROBE_ANSWERED;
	p->ended = o->ts;
}

/* An answer to IKE_AUTH or INFORMATIONAL: decrypted, and put together
 * from its SKF fragments, before it ends the probe. One that does not
 * verify is not believed (only the gateway has the keys): counted, the
 * probe waits on. */
static enum observed
protected_answer(struct probe *p, struct run_stats *st, const struct observation *o)
{
	char err[160];

	if (o->ip_frags > p->rx_ip_frags)
		p->rx_ip_frags = o->ip_frags;
	for (int i = 0; o->ip_frags > 0 && i < p->partial.n_ids; i++)
		if (p->partial.ids[i] == o->ip_id)
			p->partial.whole++;
	switch (exchange_take(&p->ex, o->ike, o->ike_len, err, sizeof(err))) {
	case EXCH_TAKE_DONE:
		break;
	case EXCH_TAKE_PART:
		return OBSERVED_PROBE;
	case EXCH_TAKE_AGAIN:
		st->duplicates++;
		return OBSERVED_COUNTED;
	case EXCH_TAKE_BAD:
		st->malformed++;
		snprintf(p->problem, sizeof(p->problem), "%s", err);
		return OBSERVED_COUNTED;
	}
	p->rtt_ms = usec_to_ms(o->ts - (p->last_wire != USEC_NONE ? p->last_wire :
	    p->attempts > 0 ? p->sent[p->attempts - 1] : o->ts));
	if (p->rtt_ms < 0)
		p->rtt_ms = 0;
	p->result = PROBE_ANSWERED;
	p->ended = o->ts;
	p->problem[0] = '\0';
	return OBSERVED_ENDED;
}

/* A fragment of an answer that has not become whole (yet): its first
 * fragment shows whose it is, later ones are known by its IP ID. */
static void
partial(struct probe *p, const struct observation *o)
{
	struct rx_partial *rp = &p->partial;
	int i;

	for (i = 0; i < rp->n_ids && rp->ids[i] != o->ip_id; i++)
		;
	if (o->first) {
		rp->firsts++;
		if (o->size > rp->size)
			rp->size = o->size;
		if (i == rp->n_ids && rp->n_ids < 8)
			rp->ids[rp->n_ids++] = o->ip_id;
	} else if (i < rp->n_ids)
		rp->others++;
}

enum observed
observe(struct probe *probes, int n, struct run_stats *st,
    const struct observation *o)
{
	struct probe *p = probe_by_id(probes, n, o->probe);
	struct stray_replies *sr;

	switch (o->kind) {
	case OBS_SENT:
		st->own++;
		if (p == NULL)
			return OBSERVED_COUNTED;
		/* None seen before and this one after the probe ended (the
		 * capture missed the first, and a retransmission crossed the
		 * answer): it does not say when the probe went out. */
		if (p->first_wire != USEC_NONE || p->result == PROBE_PENDING ||
		    o->ts <= p->ended) {
			if (p->first_wire == USEC_NONE)
				p->first_wire = o->ts;
			/* The attempt's time, as it left. */
			if (p->wire_seen < p->attempts &&
			    p->wire_seen < PROBE_MAX_ATTEMPTS)
				p->sent[p->wire_seen] = o->ts;
		}
		p->last_wire = o->ts;
		p->wire_seen++;
		/* What the capture shows of our own request, where nothing
		 * kept it (a replay): the IKE_AUTH signature covers our
		 * IKE_SA_INIT nonce. */
		if (o->ike && p->ex.request.len == 0)
			wb_bytes(&p->ex.request, o->ike, o->ike_len);
		return OBSERVED_PROBE;
	case OBS_ANSWER:
		if (p == NULL)
			return OBSERVED_NOTHING;
		st->replies++;
		p->replies++;
		if (!may_become(p, PROBE_ANSWERED)) {
			st->duplicates++;
			return OBSERVED_COUNTED;
		}
		if (p->kind == PROBE_AUTH || p->kind == PROBE_CLOSE)
			return protected_answer(p, st, o);
		answer(p, st, o);
		return OBSERVED_ENDED;
	case OBS_FRAGMENT:
		if (p == NULL)
			return OBSERVED_COUNTED;
		partial(p, o);
		return OBSERVED_PROBE;
	case OBS_ICMP:
		if (p == NULL)
			return OBSERVED_NOTHING;
		st->icmp_matched++;
		if (!may_become(p, PROBE_ICMP))
			return OBSERVED_COUNTED;
		p->icmp = o->icmp;
		p->result = PROBE_ICMP;
		p->ended = o->ts;
		return OBSERVED_ENDED;
	case OBS_ICMP_IGNORED:
		st->icmp_matched++;
		return OBSERVED_COUNTED;
	case OBS_STRAY:
		/* Counted as other too: a client would not take it. */
		st->other++;
		if (p == NULL || (unsigned)o->why >= STRAY_N)
			return OBSERVED_COUNTED;
		sr = &st->stray[o->why];
		if (sr->count++ == 0) {
			sr->probe = p->id;
			sr->from = o->from;
			sr->sport = o->sport;
		}
		return OBSERVED_COUNTED;
	case OBS_UNMATCHED_IKE:
		st->unmatched++;
		return OBSERVED_COUNTED;
	case OBS_UNMATCHED_ICMP:
		st->icmp_unmatched++;
		return OBSERVED_COUNTED;
	case OBS_MALFORMED:
		st->malformed++;
		return OBSERVED_COUNTED;
	case OBS_OTHER:
		st->other++;
		return OBSERVED_COUNTED;
	}
	return OBSERVED_NOTHING;
}

void
observe_give_up(struct probe *p, usec_t ts)
{
	if (!may_become(p, p->sent_ok == 0 ? PROBE_SEND_FAILED : PROBE_LOST))
		return;
	p->result = p->sent_ok == 0 ? PROBE_SEND_FAILED : PROBE_LOST;
	p->ended = ts;
}

bool
observe_send_error(struct probe *p, int err, usec_t ts)
{
	p->send_errno = err;
	if (err != EMSGSIZE || !may_become(p, PROBE_SEND_FAILED))
		return false;
	p->result = PROBE_SEND_FAILED;
	p->ended = ts;
	return true;
}

enum observed
match_frame(const struct match_ctx *c, struct probe *probes, int n,
    struct run_stats *st, enum frame_kind kind, const struct pkt *pk,
    usec_t ts, struct observation *o)
{
	st->captured++;
	switch (kind) {
	case FRAME_HELD:
		ike_match_fragment(c, pk, ts, o);
		/* Only a piece of an answer is evidence; the rest waits
		 * for its datagram to be whole. */
		return o->kind == OBS_FRAGMENT ? observe(probes, n, st, o) :
		    OBSERVED_NOTHING;
	case FRAME_MALFORMED:
	case FRAME_NOT_IP:
		memset(o, 0, sizeof(*o));
		o->probe = -1;
		o->ts = ts;
		o->kind = kind == FRAME_MALFORMED ? OBS_MALFORMED : OBS_OTHER;
		return observe(probes, n, st, o);
	case FRAME_PACKET:
		break;
	}
	ike_match(c, pk, ts, o);
	return observe(probes, n, st, o);
}
