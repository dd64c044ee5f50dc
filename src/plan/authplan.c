/* The IKE_AUTH part of the plan: what a Windows user tunnel does next,
 * stopped before anyone proves who they are (RFC 7296 2.16).
 *
 *  1. In the IKE SA of the full SA answer (kept by the reachability part),
 *     IKE_AUTH with IDi, CERTREQ and no AUTH, which asks for EAP. Behind a
 *     NAT it goes to UDP 4500 when 4500 is open, as a client sends it
 *     there (RFC 7296 2.23); else where the SA was made. Lost there
 *     without a trace, the SA is closed there first (3. below), and only
 *     if that is lost too does the IKE_AUTH go once more to the port the
 *     SA was made on, which tells a load balancer without affinity from a
 *     dead path. While no IKE_AUTH answer has come, a fresh SA takes the
 *     same IKE_AUTH (up to three; beside the first once it has gone twice
 *     unanswered, or after it where IKE_AUTH floats to 4500): a gateway
 *     that answers with an error ends the SA then and there and ignores a
 *     retransmission, so one lost answer proves nothing; for a gateway
 *     without RFC 7383 it is also the return direction's second sample.
 *  2. When the gateway offers IKEv2 fragmentation, the first IKE_AUTH
 *     answer comes in SKF fragments (RFC 7383). To see whether IP
 *     fragments from the gateway reach us, an IKE SA is then made without
 *     offering it, and IKE_AUTH sent in it: that answer comes as one large
 *     datagram, IP-fragmented by the gateway. Nothing back from it, a
 *     second such SA: a loss of the return direction counts only when
 *     seen in two SAs, as a lost size counts only when lost twice.
 *  3. Each IKE SA is then ended on the gateway. An INFORMATIONAL DELETE
 *     cannot do it: INFORMATIONAL exchanges come only after the initial
 *     ones (RFC 7296 1.4), and IKE_AUTH is still open, waiting for EAP;
 *     strongSwan answers such a DELETE and keeps the SA until its
 *     half-open timeout. So the IKE_AUTH exchange is continued with
 *     nothing in it: no EAP response, which fails the EAP conversation,
 *     and the gateway answers AUTHENTICATION_FAILED and forgets the SA
 *     (RFC 7296 2.21.2). It also goes when the IKE_AUTH answer never came:
 *     the gateway may have sent it, and its small answer shows the gateway
 *     still answering in that SA. An IKE_AUTH answered with an error needs
 *     nothing: the gateway has ended the SA already.
 * Two IKE SAs where every answer comes (the reachability test's and one
 * without RFC 7383); more only to stand in for lost ones. Each ended. */
#include <string.h>

#include "ikeprobe/natd.h"
#include "ikeprobe/plan.h"

#define AUTH_ATTEMPTS	4
#define AUTH_RTO	0.25	/* s: the gateway signs before it answers */
#define CLOSE_ATTEMPTS	3
/* Fresh SAs for a first IKE_AUTH with nothing back yet, one at a time:
 * with 10 % loss each way a gateway that ends the SA with its error
 * answer (and ignores retransmissions) loses it about one time in ten,
 * in four SAs one time in ten thousand. */
#define AUTH_HEDGES	3	/* tries the same thing: at most one at a time */
/* SAs without RFC 7383: the return direction, a second one when the
 * first got nothing back, so that a loss counts only when seen twice. */
#define AUTH_NOFRAG_SAS	2

bool
plan_is_auth(const struct probe *p)
{
	return p->purpose == PURPOSE_AUTH_SA || p->purpose == PURPOSE_AUTH ||
	    p->purpose == PURPOSE_CLOSE;
}

static bool
full_sa(const struct probe *p)
{
	return p->kind == PROBE_SA && p->result == PROBE_ANSWERED &&
	    p->reply.kind == IKE_REPLY_SA && p->reply.status == IKE_PARSE_OK;
}

const struct probe *
plan_full_sa(const struct probe_set *set)
{
	for (int i = 0; i < set->n; i++) {
		const struct probe *p = &set->p[i];

		if ((p->purpose == PURPOSE_REACH || p->purpose == PURPOSE_FOLLOW_UP) &&
		    full_sa(p))
			return p;
	}
	return NULL;
}

static struct probe_spec
spec(const struct plan_view *v, enum probe_kind kind, enum probe_purpose purpose,
    const struct probe *sa, uint16_t dport)
{
	struct probe_spec s = plan_spec(v, kind, purpose, dport);

	s.ke_group = sa->ke_group;
	s.sa = sa->id;
	s.backoff = 1.5;
	if (kind == PROBE_CLOSE) {
		s.max_attempts = CLOSE_ATTEMPTS;
		s.rto = 4 * sa->rtt_ms / 1000.0;
		s.rto = s.rto < 0.1 ? 0.1 : s.rto > 0.5 ? 0.5 : s.rto;
	} else {
		/* The gateway signs before it answers: AUTH_RTO at least,
		 * and three round trips on a slow path. */
		s.max_attempts = AUTH_ATTEMPTS;
		s.rto = 3 * sa->rtt_ms / 1000.0;
		s.rto = s.rto < AUTH_RTO ? AUTH_RTO : s.rto > 1.0 ? 1.0 : s.rto;
	}
	return s;
}

/* Probes of this kind in the SA of probe sa; the last one in *last. */
static int
in_sa(const struct probe_set *set, const struct probe *sa, enum probe_kind kind,
    const struct probe **last)
{
	int n = 0;

	*last = NULL;
	for (int i = 0; i < set->n; i++)
		if (set->p[i].kind == kind && set->p[i].sa == sa->id) {
			n++;
			*last = &set->p[i];
		}
	return n;
}

static bool
port_answered(const struct probe_set *set, uint16_t port)
{
	for (int i = 0; i < set->n; i++)
		if (set->p[i].dport == port && set->p[i].result == PROBE_ANSWERED)
			return true;
	return false;
}

/* The last probe of this kind in the SA sent after probe after (or any,
 * when after is NULL). */
static const struct probe *
last_after(const struct probe_set *set, const struct probe *sa,
    enum probe_kind kind, const struct probe *after)
{
	const struct probe *last = NULL;

	for (int i = 0; i < set->n; i++)
		if (set->p[i].kind == kind && set->p[i].sa == sa->id &&
		    (after == NULL || set->p[i].id > after->id))
			last = &set->p[i];
	return last;
}

/* Some IKE_AUTH on this port answered, in any SA: with the same ports, a
 * balancer sends this one's where it sent that one's. */
static bool
auth_answered_on(const struct probe_set *set, uint16_t port)
{
	for (int i = 0; i < set->n; i++)
		if (set->p[i].kind == PROBE_AUTH && set->p[i].dport == port &&
		    set->p[i].result == PROBE_ANSWERED)
			return true;
	return false;
}

/* Do the SA answer's NAT_DETECTION notifies show a NAT? */
static bool
behind_nat(const struct probe_set *set, const struct probe *sa)
{
	struct natd_seen seen;

	if (set->local == NULL || set->target == NULL)
		return false;
	natd_judge(sa->ex.spi_i, &sa->reply, set->local, sa->sport, set->target,
	    sa->dport, &seen);
	return natd_nat(&seen);
}

/* IKE_AUTH in one SA: the first to float_port. Lost there without a trace
 * (no fragment of an answer), the SA is closed there: an answer to that
 * message 2 shows the gateway took message 1, and its answer was lost on
 * the way back. The close lost too, the IKE_AUTH goes once more to the
 * port the SA was made on, which tells a load balancer without affinity
 * from a dead path. Returns what to add (0 or 1), *done when nothing more
 * will be sent in it but the close. */
static int
auth_in(const struct plan_view *v, const struct probe *sa, uint16_t float_port,
    struct probe_spec *out, bool *done)
{
	const struct probe *last, *close;
	int n = in_sa(&v->set, sa, PROBE_AUTH, &last);

	*done = false;
	if (n == 0) {
		*out = spec(v, PROBE_AUTH, PURPOSE_AUTH, sa, float_port);
		return 1;
	}
	if (last->result == PROBE_PENDING)
		return 0;
	if (last->result != PROBE_ANSWERED && last->dport != sa->dport && n == 1 &&
	    last->partial.firsts == 0 && last->partial.others == 0 &&
	    !auth_answered_on(&v->set, last->dport)) {
		if ((close = last_after(&v->set, sa, PROBE_CLOSE, last)) == NULL) {
			*out = spec(v, PROBE_CLOSE, PURPOSE_CLOSE, sa, last->dport);
			return 1;
		}
		if (close->result == PROBE_PENDING)
			return 0;
		if (close->result != PROBE_ANSWERED) {
			*out = spec(v, PROBE_AUTH, PURPOSE_AUTH, sa, sa->dport);
			return 1;
		}
	}
	*done = true;
	return 0;
}

/* End the SA where its last IKE_AUTH went, unless a close went after it
 * already or the gateway ended the SA itself: an IKE_AUTH answered with
 * an error ends it (RFC 7296 2.21.2). */
static int
close_sa(const struct plan_view *v, const struct probe *sa, struct probe_spec *out)
{
	const struct probe *auth;
	enum auth_answer a;

	if (in_sa(&v->set, sa, PROBE_AUTH, &auth) == 0 ||
	    last_after(&v->set, sa, PROBE_CLOSE, auth) != NULL)
		return 0;
	a = probe_auth_answer(auth);
	if (a == AUTH_ANSWER_FAILED || a == AUTH_ANSWER_ERROR)
		return 0;
	/* An IKE_AUTH that ended without EAP (nothing ikeprobe knows to
	 * continue) is deleted. */
	*out = spec(v, PROBE_CLOSE, PURPOSE_CLOSE, sa, auth->dport);
	out->close_by_delete = a == AUTH_ANSWER_OTHER;
	return 1;
}

/* How an SA made for IKE_AUTH stands once its IKE_AUTH and close are
 * done: it answered (something of an answer came, or the close was
 * answered), or nothing at all came back. */
enum sa_state { SA_BUSY, SA_ANSWERED, SA_DEAD };

static enum sa_state
sa_state(const struct probe_set *set, const struct probe *sa)
{
	bool busy = false, closed = false;

	for (int i = 0; i < set->n; i++) {
		const struct probe *p = &set->p[i];

		if (p->sa != sa->id || (p->kind != PROBE_AUTH && p->kind != PROBE_CLOSE))
			continue;
		if (p->result == PROBE_ANSWERED || p->partial.firsts || p->partial.others)
			return SA_ANSWERED;
		busy |= p->result == PROBE_PENDING;
		closed |= p->kind == PROBE_CLOSE;
	}
	return busy || !closed ? SA_BUSY : SA_DEAD;
}

static struct probe_spec
new_sa(const struct plan_view *v, const struct probe *sa, bool no_fragmentation)
{
	struct probe_spec s = spec(v, PROBE_SA, PURPOSE_AUTH_SA, sa, sa->dport);

	s.sa = -1;
	s.no_fragmentation = no_fragmentation;
	s.ke_group = sa->ke_group;
	s.max_attempts = 2;
	s.rto = 4 * sa->rtt_ms / 1000.0;
	s.rto = s.rto < 0.05 ? 0.05 : s.rto > 0.2 ? 0.2 : s.rto;
	return s;
}

/* The samples of one measurement: SAs whose IKE_AUTH asks the same
 * thing. Group A, the reachability test's SA (first) and its hedges:
 * with RFC 7383 offered. Group B, made once A answered in SKF fragments:
 * without it. Up to max, in the order made; *roots the SA_INITs started
 * for the group (follow-ups not counted), *starting one still unanswered. */
static int
samples(const struct probe_set *set, const struct probe *first, bool nofrag,
    const struct probe **out, int max, int *roots, bool *starting)
{
	int n = 0;

	*roots = 0;
	*starting = false;
	if (first != NULL)
		out[n++] = first;
	for (int i = 0; i < set->n; i++) {
		const struct probe *p = &set->p[i];

		if (p->purpose != PURPOSE_AUTH_SA || p->no_fragmentation != nofrag)
			continue;
		*roots += p->parent < 0;
		*starting |= p->result == PROBE_PENDING;
		if (full_sa(p) && n < max)
			out[n++] = p;
	}
	return n;
}

/* Some IKE_AUTH in the SA answered. */
static bool
auth_answered(const struct probe_set *set, const struct probe *sa)
{
	for (int i = 0; i < set->n; i++)
		if (set->p[i].kind == PROBE_AUTH && set->p[i].sa == sa->id &&
		    set->p[i].result == PROBE_ANSWERED)
			return true;
	return false;
}

/* Time for another sample: no IKE_AUTH answered in any, and the newest
 * one is done (nothing more will go in it), or, early, its IKE_AUTH has
 * gone twice without a trace of an answer. */
static bool
hedge_due(const struct probe_set *set, const struct probe *const *s, int n,
    bool early)
{
	const struct probe *a;

	if (n == 0)
		return false;
	for (int i = 0; i < n; i++)
		if (auth_answered(set, s[i]))
			return false;
	if (in_sa(set, s[n - 1], PROBE_AUTH, &a) == 0)
		return false;
	/* Something came back in it. While its IKE_AUTH waits, a first
	 * fragment may just be ahead of the rest (a slow machine reads it
	 * before they come): it is due once the IKE_AUTH went again. */
	if (sa_state(set, s[n - 1]) != SA_BUSY)
		return a->result != PROBE_PENDING || a->attempts >= 2;
	return early && a->partial.firsts == 0 && a->partial.others == 0 &&
	    a->attempts >= 2;
}

/* The IKE_AUTH and close of every sample; the first whose IKE_AUTH was
 * answered. */
static int
run_samples(const struct plan_view *v, const struct probe *const *s, int n,
    uint16_t port, struct probe_spec *out, const struct probe **answered)
{
	bool done;
	int k = 0;

	*answered = NULL;
	for (int i = 0; i < n; i++) {
		k += auth_in(v, s[i], port, out + k, &done);
		if (done)
			k += close_sa(v, s[i], out + k);
		if (*answered == NULL && auth_answered(&v->set, s[i]))
			*answered = s[i];
	}
	return k;
}

int
plan_auth(const struct plan_view *v, struct probe_spec *out)
{
	const struct probe_set *set = &v->set;
	const struct probe *sa = plan_full_sa(set), *primary, *b_ok, *a1 = NULL;
	const struct probe *as[1 + AUTH_HEDGES], *bs[AUTH_NOFRAG_SAS];
	int n = 0, na, nb, a_roots, b_roots;
	bool has_4500 = false, a_starting, b_starting;
	uint16_t float_port;

	if (!v->cfg->auth || v->stopping || sa == NULL)
		return 0;
	for (int i = 0; i < set->n_ports; i++)
		has_4500 |= set->ports[i].dport == 4500;
	/* A client moves to 4500 when it sees a NAT (RFC 7296 2.23); without
	 * one it stays where the SA was made, and so does ikeprobe (some
	 * gateways answer an IKE_AUTH on 4500 from 500 then). */
	float_port = has_4500 && port_answered(set, 4500) && behind_nat(set, sa) ?
	    4500 : sa->dport;

	/* A: the first IKE_AUTH, in the reachability test's SA, and in a
	 * fresh one when nothing came back yet (a gateway that ends the SA
	 * with its error answer ignores retransmissions: one lost answer is
	 * no verdict; for a gateway without RFC 7383 it is also the second
	 * sample of the return direction). */
	na = samples(set, sa, false, as, 1 + AUTH_HEDGES, &a_roots, &a_starting);
	n += run_samples(v, as, na, float_port, out + n, &primary);
	if (primary == NULL) {
		/* Early, beside the first, where IKE_AUTH stays on the SA's
		 * own port; after it, one at a time, where it floats to 4500:
		 * there a balancer may send every SA's IKE_AUTH elsewhere. */
		if (hedge_due(set, as, na, float_port == sa->dport) && !a_starting &&
		    a_roots < AUTH_HEDGES)
			out[n++] = new_sa(v, sa, false);
		return n;
	}

	/* B: once the first answer came in SKF fragments with what a client
	 * gets before EAP, the same without RFC 7383 (one large datagram,
	 * IP-fragmented by the gateway), twice when the first is lost
	 * without a trace. Made only then: an SA made and not used would be
	 * left on the gateway. */
	in_sa(set, primary, PROBE_AUTH, &a1);
	if (a1 == NULL || probe_auth_answer(a1) != AUTH_ANSWER_EAP ||
	    a1->ex.rx_total <= 1)
		return n;
	nb = samples(set, NULL, true, bs, AUTH_NOFRAG_SAS, &b_roots, &b_starting);
	if (b_roots == 0) {
		out[n++] = new_sa(v, primary, true);
		return n;
	}
	/* Where the first one was answered. */
	n += run_samples(v, bs, nb, a1->dport, out + n, &b_ok);
	/* Early: the second sample runs beside the first, so a return path
	 * that drops everything is decided in the time of one. */
	if (b_ok == NULL && hedge_due(set, bs, nb, true) && !b_starting &&
	    b_roots < AUTH_NOFRAG_SAS)
		out[n++] = new_sa(v, primary, true);
	return n;
}
