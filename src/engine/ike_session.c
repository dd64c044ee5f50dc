/* An IKE probing session: asks the plan what to add, builds each probe's
 * exchange, sends and retransmits through the shared I/O, gives up on
 * timers, and hands captured packets to matching. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ikeprobe/audit.h"
#include "ikeprobe/ike_session.h"
#include "ikeprobe/match.h"
#include "ikeprobe/trace.h"

/* Rounds of plan-and-send in one call: each round either adds probes or
 * ends some; more than this means a plan that never settles. */
#define ROUNDS_MAX	64

/* A reachability probe's waits once the path has answered something
 * else: three round trips (RFC 6298's first RTO: SRTT + 4 * SRTT/2), never
 * under 100 ms (a gateway's own delay in answering) nor over the fixed
 * schedule's; growing gently, and one try more than the fixed schedule.
 * With the defaults a silent port is decided in 0.88 s instead of 2.6,
 * and it takes six losses in a row to call an open port silent: at 10 %
 * loss each way, 5e-5 per port. */
#define PATH_RTO_MIN	0.1
#define PATH_BACKOFF	1.15

void
ike_session_init(struct ike_session *s, const struct ip_addr *target,
    const struct local_info *local, const struct port_pair *ports,
    int n_ports, const struct plan_config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->base.ops = &ike_session_ops;
	s->base.local = local->addr;
	s->base.peer = *target;
	s->base.proto = IP_PROTO_UDP;
	s->target = *target;
	s->local = *local;
	s->n_ports = n_ports < MAX_PORTS ? n_ports : MAX_PORTS;
	memcpy(s->ports, ports, sizeof(*ports) * (size_t)s->n_ports);
	s->cfg = *cfg;
	s->pace = 0.01;
	s->stats.dropped = -1;
	plan_init(&s->plan);
}

void
ike_session_free(struct ike_session *s)
{
	for (int i = 0; i < s->n_probes; i++)
		probe_free(&s->probes[i]);
	for (int i = 0; i < s->n_kex; i++)
		kex_free(&s->kex[i]);
	s->n_probes = s->n_kex = 0;
}

struct probe_set
ike_session_set(const struct ike_session *s)
{
	return (struct probe_set){ s->probes, s->n_probes, s->ports,
	    s->n_ports, s->target.family, s->local.mtu, &s->local.addr,
	    &s->target };
}

static const struct kex_value *
session_kex(struct ike_session *s, uint16_t group)
{
	for (int i = 0; i < s->n_kex; i++)
		if (s->kex[i].group == group)
			return &s->kex[i];
	if (s->n_kex == SESSION_KEX_MAX || !kex_supported(group) ||
	    kex_generate(group, &s->kex[s->n_kex]) < 0)
		return NULL;
	return &s->kex[s->n_kex++];
}

/* The proposal audit's KE: a real value where this OpenSSL has the group;
 * else random bytes of its length, which serve as well, since no offer
 * has the group and no gateway computes with it (audit.h). */
static const struct kex_value *
audit_kex(struct ike_session *s)
{
	const struct kex_value *k = session_kex(s, AUDIT_KE_GROUP);

	if (k != NULL)
		return k;
	if (s->audit_kex.len == 0) {
		s->audit_kex.group = AUDIT_KE_GROUP;
		s->audit_kex.len = 64;
		random_bytes(s->audit_kex.pub, s->audit_kex.len);
	}
	return &s->audit_kex;
}

/* IKE_AUTH or INFORMATIONAL in the IKE SA of probe spec->sa. */
static int
build_protected(struct ike_session *s, struct probe *p,
    const struct probe_spec *spec, char *err, size_t errlen)
{
	const struct probe *sa = spec->sa >= 0 && spec->sa < s->n_probes ?
	    &s->probes[spec->sa] : NULL;
	struct protected_params pp;
	struct ike_auth_req req;
	size_t mtu = s->local.mtu > 0 && s->local.mtu < 1280 ? (size_t)s->local.mtu : 1280;

	if (sa == NULL || sa->result != PROBE_ANSWERED) {
		snprintf(err, errlen, "no IKE SA to work in");
		return -1;
	}
	memset(&req, 0, sizeof(req));
	/* As Windows does for EAP: its address as its identity. */
	req.family = s->local.addr.family == AF_INET6 ? 6 : 4;
	req.id_type = req.family == 6 ? IKE_ID_IPV6_ADDR : IKE_ID_IPV4_ADDR;
	req.id = s->local.addr.a;
	req.id_len = ip_addr_len(&s->local.addr);
	random_bytes(req.esp_spi, sizeof(req.esp_spi));
	memset(&pp, 0, sizeof(pp));
	pp.src = &s->local.addr;
	pp.dst = &s->target;
	pp.sport = spec->sport;
	pp.dport = spec->dport;
	pp.sa = &sa->ex;
	pp.sa_reply = &sa->reply;
	pp.type = spec->kind == PROBE_AUTH || !spec->close_by_delete ?
	    IKE_EXCH_IKE_AUTH : IKE_EXCH_INFORMATIONAL;
	pp.msgid = spec->kind == PROBE_AUTH ? 1 : 2;
	pp.req = spec->kind == PROBE_AUTH ? &req : NULL;
	/* RFC 7383 2.5.1: fragments that fit any path's minimum. */
	pp.fragment = sa->reply.frag_supported && !sa->no_fragmentation;
	pp.frag_len = mtu - ip_hdr_len(s->local.addr.family) - UDP_HDR_LEN -
	    ike_marker_len(spec->dport);
	pp.ip_frag_size = s->cfg.sizes.frag_size ? s->cfg.sizes.frag_size : mtu;
	return exchange_protected(&p->ex, &pp, err, errlen);
}

/* A probe record for the spec, with its exchange built. A spec that
 * cannot be built is still recorded (not sent), so the plan, which sees
 * it, does not ask for it again. */
static void
add_probe(struct ike_session *s, const struct probe_spec *spec)
{
	struct probe *p = &s->probes[s->n_probes];
	const struct probe *parent = spec->parent >= 0 &&
	    spec->parent < s->n_probes ? &s->probes[spec->parent] : NULL;
	struct sa_init_params sp;
	struct ike_offer offer;
	char err[160];

	probe_init(p, s->n_probes++, spec);
	memset(&sp, 0, sizeof(sp));
	sp.src = &s->local.addr;
	sp.dst = &s->target;
	sp.sport = spec->sport;
	sp.dport = spec->dport;
	sp.kex = spec->purpose == PURPOSE_AUDIT ? audit_kex(s) :
	    session_kex(s, spec->ke_group);
	sp.stateless = spec->kind == PROBE_STATELESS;
	if (spec->purpose == PURPOSE_AUDIT && audit_offer_build(spec->offer, &offer) == 0)
		sp.offer = &offer;
	if (spec->reuse_parent && parent) {
		sp.spi_i = parent->ex.spi_i;
		sp.nonce = parent->ex.nonce;
		sp.nonce_len = parent->ex.nonce_len;
	}
	if (spec->cookie_len) {
		sp.cookie = spec->cookie;
		sp.cookie_len = spec->cookie_len;
	}
	sp.size = spec->size;
	sp.df = spec->df;
	sp.frag_size = spec->frag_size;
	sp.no_fragmentation = spec->no_fragmentation;
	if (spec->kind == PROBE_AUTH || spec->kind == PROBE_CLOSE ?
	    build_protected(s, p, spec, err, sizeof(err)) < 0 :
	    sp.kex == NULL || exchange_sa_init(&p->ex, &sp, err, sizeof(err)) < 0) {
		p->result = PROBE_SEND_FAILED;
		p->send_errno = sp.kex == NULL ? ENOTSUP : EINVAL;
		snprintf(p->problem, sizeof(p->problem), "%s", sp.kex == NULL ?
		    "no key-exchange value for the group" : err);
		p->ended = wall_usec_now();
		return;
	}
	p->size = p->ex.unit.size;
	p->fragments = p->ex.unit.n;
	if (p->fragments == 1)
		p->frag_size = 0;
}

/* Ask the plan until it has nothing more for now; true if it added. */
static bool
add_planned(struct ike_session *s, bool stopping)
{
	struct probe_spec specs[PLAN_BATCH];
	struct plan_view v;
	bool added = false;
	int n;

	for (int round = 0; round < ROUNDS_MAX; round++) {
		v = (struct plan_view){ ike_session_set(s), &s->cfg, stopping };
		if ((n = plan_next(&v, &s->plan, specs)) == 0)
			break;
		for (int i = 0; i < n && s->n_probes < PROBE_MAX; i++)
			add_probe(s, &specs[i]);
		added = true;
		if (s->n_probes == PROBE_MAX)
			break;
	}
	return added;
}

static int
port_slot(const struct ike_session *s, uint16_t dport)
{
	for (int i = 0; i < s->n_ports; i++)
		if (s->ports[i].dport == dport)
			return i;
	return 0;
}

/* New probes to one port go out pace apart: a gateway counts half-open
 * SAs while it works on a request, and a burst can look like an attack.
 * True if p may go now; else lowers *due to when it may. */
static bool
paced(const struct ike_session *s, const struct probe *p, double now, double *due)
{
	int slot = port_slot(s, p->dport);
	double at = s->last_new[slot] + s->pace;

	if (s->last_new[slot] == 0 || now >= at)
		return true;
	if (at < *due)
		*due = at;
	return false;
}

/* The wait before the next transmission, the attempts made so far. */
static double
probe_wait(const struct probe *p)
{
	double wait = p->rto;

	for (int i = 1; i < p->attempts; i++)
		wait *= p->backoff;
	return wait;
}

/* One transmission of the probe's unit; false if the run faulted. */
static bool
send_probe(struct ike_session *s, struct io *io, struct probe *p, double now)
{
	const struct xmit_unit *u = &p->ex.unit;
	/* Before the send: the capture's stamp of it, when seen, is later. */
	usec_t at = wall_usec_now();
	int rc = 0;

	for (int i = 0; i < u->n && rc == 0; i++) {
		rc = io_send(io, &s->target, u->dgram[i].buf, u->dgram[i].len);
		trace_sent(s->trace, s->started, p, i, &u->dgram[i], rc);
		if (rc == 0) {
			s->stats.packets_sent++;
			s->stats.bytes_sent += u->dgram[i].len;
		}
	}
	/* The network under us failed: what follows would not be evidence
	 * about the path, so stop and say so. EMSGSIZE is an answer about
	 * the probe's size; a full socket buffer is a pause, not a fault. */
	if (rc < 0 && rc != -EMSGSIZE && rc != -ENOBUFS && rc != -EAGAIN) {
		io_fault(io, "sending failed", -rc);
		return false;
	}
	if (p->attempts < PROBE_MAX_ATTEMPTS)
		p->sent[p->attempts] = at;
	p->attempts++;
	p->last_send = now;
	p->ex.state = EXCH_SENT;
	/* Back off, so that a loss burst of a few hundred ms does not take
	 * out every attempt: 0.2, 0.3, 0.45 ... s for reachability. */
	p->next_due = now + probe_wait(p);
	if (rc == 0)
		p->sent_ok++;
	else if (observe_send_error(p, -rc, wall_usec_now()))
		trace_ended(s->trace, s->started, p, p->ended);
	return true;
}

/* Once the gateway has answered something (another port, TCP), its
 * reachability probes wait for what the path takes, not the fixed
 * schedule for a path never heard from. */
static void
path_timing(struct ike_session *s)
{
	const struct peer_path *pp = s->base.path;
	double rto;

	if (pp == NULL || pp->from[0] == '\0')
		return;
	for (int i = 0; i < s->n_probes; i++) {
		struct probe *p = &s->probes[i];

		/* Again when a slower answer came since: a TCP handshake
		 * is quicker than a gateway working out an IKE reply. */
		if (p->result != PROBE_PENDING || p->purpose != PURPOSE_REACH ||
		    (p->path_from[0] && p->path_rtt >= pp->rtt))
			continue;
		rto = 3 * pp->rtt;
		rto = rto < PATH_RTO_MIN ? PATH_RTO_MIN : rto;
		if (!p->path_from[0] && rto >= p->rto)
			continue;	/* the fixed schedule is shorter */
		if (p->path_from[0] && rto > s->cfg.rto)
			rto = s->cfg.rto;
		if (!p->path_from[0] && p->max_attempts < PROBE_MAX_ATTEMPTS)
			p->max_attempts++;
		p->rto = rto;
		p->backoff = PATH_BACKOFF;
		p->path_rtt = pp->rtt;
		snprintf(p->path_from, sizeof(p->path_from), "%s", pp->from);
		if (p->attempts > 0)
			p->next_due = p->last_send + probe_wait(p);
	}
}

/* Send what is due, give up what has run out; true if a probe ended. */
static bool
walk(struct ike_session *s, struct io *io, double now, double *due,
    int *pending)
{
	bool ended = false;

	*pending = 0;
	path_timing(s);
	for (int i = 0; i < s->n_probes; i++) {
		struct probe *p = &s->probes[i];

		if (p->result != PROBE_PENDING)
			continue;
		if (p->attempts == 0) {
			if (!paced(s, p, now, due) ||
			    !io_budget(io, p->fragments, now, due)) {
				(*pending)++;
				continue;
			}
			s->last_new[port_slot(s, p->dport)] = now;
		} else if (now >= p->next_due && p->attempts < p->max_attempts &&
		    !io_budget(io, p->fragments, now, due)) {
			(*pending)++;
			continue;
		}
		if (p->attempts == 0 || now >= p->next_due) {
			if (p->attempts >= p->max_attempts) {
				observe_give_up(p, wall_usec_now());
				trace_ended(s->trace, s->started, p, p->ended);
				ended = true;
				continue;
			}
			if (!send_probe(s, io, p, now))
				return ended;
		}
		if (p->result == PROBE_PENDING) {
			(*pending)++;
			if (p->next_due < *due)
				*due = p->next_due;
		} else
			ended = true;
	}
	return ended;
}

static double
ike_run(struct session *base, struct io *io, double now)
{
	struct ike_session *s = (struct ike_session *)base;
	double due = now + 60;
	int pending = 0;

	if (s->started == 0) {
		/* Its own start: a session may join a loop that runs on
		 * (the exporter's). */
		s->started = wall_usec_now();
		s->started_mono = now;
		s->trace = io->trace;
	}
	if (session_stopping(io, base, now)) {
		base->done = true;
		return due;
	}
	for (int round = 0; round < ROUNDS_MAX; round++) {
		bool added = add_planned(s, false);
		bool ended = walk(s, io, now, &due, &pending);

		if (io->faulted)
			return due;
		if (!added && !ended)
			break;
	}
	if (pending == 0)
		base->done = true;
	return due;
}

static void
ike_frame(struct session *base, struct io *io, enum frame_kind kind,
    const struct pkt *pk, usec_t ts)
{
	struct ike_session *s = (struct ike_session *)base;
	struct match_ctx c = { &s->local.addr, &s->target, ike_session_set(s) };
	struct observation o;
	const struct probe *p;

	(void)io;
	match_frame(&c, s->probes, s->n_probes, &s->stats, kind, pk, ts, &o);
	if (kind == FRAME_NOT_IP)
		return;
	if (kind != FRAME_PACKET) {
		trace_frame(s->trace, s->started, kind, pk, ts, NULL, NULL);
		return;
	}
	p = o.probe >= 0 && o.probe < s->n_probes ? &s->probes[o.probe] : NULL;
	/* A first answer to a request sent once: a round trip of the path
	 * (after a retransmission it could be either's). */
	if (p && p->purpose == PURPOSE_REACH && p->result == PROBE_ANSWERED &&
	    p->attempts == 1 && p->rtt_ms >= 0)
		peer_path_note(s->base.path, p->rtt_ms / 1000.0, "UDP", p->dport);
	trace_frame(s->trace, s->started, kind, pk, ts, &o, p);
}

/* A datagram to one of our ports from another address, with one of our
 * SPIs: ours to count (a stray reply), whoever else it came from. */
static bool
ike_claims(const struct session *base, const struct pkt *pk, usec_t ts)
{
	const struct ike_session *s = (const struct ike_session *)base;
	struct probe_set set = ike_session_set(s);
	uint8_t spi[IKE_SPI_LEN];
	size_t off = 0;
	bool ours = false;

	if (!pk->is_udp || !ip_addr_eq(&pk->dst, &s->local.addr))
		return false;
	for (int i = 0; i < s->n_ports; i++)
		ours |= s->ports[i].sport == pk->dport;
	if (!ours)
		return false;
	if (ike_marker_len(pk->sport) && pk->udp_len >= IKE_NONESP_MARKER_LEN &&
	    !(pk->udp_data[0] | pk->udp_data[1] | pk->udp_data[2] | pk->udp_data[3]))
		off = IKE_NONESP_MARKER_LEN;
	return ike_peek_spi(pk->udp_data + off, pk->udp_len - off, spi) &&
	    match_spi(&set, spi, ts) >= 0;
}

void
ike_session_finish(struct ike_session *s, const struct io *io)
{
	s->interrupted = io->interrupted || s->base.deadline_hit;
	s->stop_signal = io->stop_signal;
	s->faulted = io->faulted;
	snprintf(s->fault, sizeof(s->fault), "%s", io->fault);
	s->fault_after = io->fault_after;
	s->duration = mono_now() - (s->started_mono > 0 ? s->started_mono :
	    io->started);
	if (s->started == 0)
		s->started = io->started_wall;
}

const struct session_ops ike_session_ops = {
	.kind = "ike",
	.run = ike_run,
	.frame = ike_frame,
	.claims = ike_claims,
};
