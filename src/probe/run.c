/* One poll loop drives sending, retransmission and receiving. Replies are
 * matched to probes by initiator SPI; ICMP errors by the packet they quote
 * (addresses, IP ID, ports, and the SPI when enough is quoted), so that an
 * error about someone else's packet is never believed. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ikeprobe/probe.h"

/* Captured packets handled per round of the poll loop. */
#define CAPTURE_BATCH	512

double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct probe *
run_add_probe(struct run *r, const struct probe_spec *s)
{
	struct probe *p;
	char err[128];

	if (r->n_probes == PROBE_MAX || s->kex == NULL)
		return NULL;
	p = &r->probes[r->n_probes];
	if (probe_build(p, s, &r->local.addr, &r->target, err, sizeof(err)) < 0)
		return NULL;
	p->id = r->n_probes++;
	p->rto = r->rto;
	p->max_attempts = r->max_attempts;
	p->created = mono_now();
	return p;
}

static void
finish(struct run *r, struct probe *p, enum probe_result res)
{
	p->result = res;
	p->finished = mono_now();
	plan_react(r, p);
}

static void
fault(struct run *r, const char *what, int err)
{
	if (r->faulted)
		return;
	r->faulted = true;
	r->fault_after = mono_now() - r->started;
	snprintf(r->fault, sizeof(r->fault), "%s: %s", what,
	    err ? strerror(err) : capture_error(&r->cap));
}

static int
port_slot(const struct run *r, uint16_t dport)
{
	for (int i = 0; i < r->n_ports; i++)
		if (r->ports[i].dport == dport)
			return i;
	return 0;
}

/* New probes to one port go out pace apart: a gateway counts half-open
 * SAs while it works on a request, and a burst can look like an attack.
 * True if p may go now; else lowers *due to when it may. */
static bool
paced(struct run *r, const struct probe *p, double now, double *due)
{
	int slot = port_slot(r, p->dport);
	double at = r->last_new[slot] + r->pace;

	if (r->last_new[slot] == 0 || now >= at) {
		r->last_new[slot] = now;
		return true;
	}
	if (at < *due)
		*due = at;
	return false;
}

static void
send_probe(struct run *r, struct probe *p, double now)
{
	int rc = 0;

	double wait = p->rto;

	for (int i = 0; i < p->fragments && rc == 0; i++) {
		rc = rawsock_send(r->rawfd, p->wire[i].buf, p->wire[i].len,
		    &r->target);
		if (rc == 0) {
			r->stats.packets_sent++;
			r->stats.bytes_sent += p->wire[i].len;
		}
	}
	/* The network under us failed: what follows would not be evidence
	 * about the path, so stop and say so. EMSGSIZE is an answer about
	 * the probe's size; a full socket buffer is a pause, not a fault. */
	if (rc < 0 && rc != -EMSGSIZE && rc != -ENOBUFS && rc != -EAGAIN) {
		fault(r, "sending failed", -rc);
		return;
	}
	p->attempts++;
	p->last_sent = wall_now();
	if (p->attempts == 1)
		p->first_sent = p->last_sent;
	/* Back off, so that a loss burst of a few hundred ms does not take
	 * out every attempt: 0.2, 0.3, 0.45 ... s for reachability. */
	for (int i = 1; i < p->attempts; i++)
		wait *= p->backoff;
	p->next_due = now + wait;
	if (rc == 0)
		p->sent_ok++;
	else {
		p->send_errno = -rc;
		/* Too big for our own link: retrying cannot help. */
		if (rc == -EMSGSIZE)
			finish(r, p, PROBE_SEND_FAILED);
	}
}

/* The sent probe with this initiator SPI (to dport, or to any port when
 * dport is 0); NULL if none. */
static struct probe *
find_by_spi(struct run *r, const uint8_t *spi, uint16_t dport)
{
	struct probe *any = NULL;

	/* A COOKIE retry shares its parent's SPI: prefer the pending one. */
	for (int i = r->n_probes - 1; i >= 0; i--) {
		struct probe *p = &r->probes[i];

		/* Not sent yet (a COOKIE retry just added): nothing can
		 * answer it, whatever carries its SPI. */
		if (p->attempts == 0 || (dport && p->dport != dport) ||
		    memcmp(p->spi_i, spi, IKE_SPI_LEN) != 0)
			continue;
		if (p->result == PROBE_PENDING)
			return p;
		if (any == NULL)
			any = p;
	}
	return any;
}

static bool
our_sport(const struct run *r, uint16_t port)
{
	for (int i = 0; i < r->n_ports; i++)
		if (r->ports[i].sport == port)
			return true;
	return false;
}

/* Where the IKE message starts in a UDP payload: after the non-ESP marker
 * when it comes from the NAT-T port and has one (RFC 3948), else at once. */
static size_t
ike_offset(const struct pkt *pk)
{
	const uint8_t *m = pk->udp_data;

	if (probe_marker_len(pk->sport) == 0 ||
	    pk->udp_len < IKE_NONESP_MARKER_LEN || (m[0] | m[1] | m[2] | m[3]))
		return 0;
	return IKE_NONESP_MARKER_LEN;
}

/* The sent probe whose SPI the datagram carries, whatever port it came
 * from; NULL if none (or too short to say). */
static struct probe *
reply_owner(struct run *r, const struct pkt *pk, size_t off)
{
	uint8_t spi[IKE_SPI_LEN];

	if (!ike_peek_spi(pk->udp_data + off, pk->udp_len - off, spi))
		return NULL;
	return find_by_spi(r, spi, 0);
}

/* What a probe may still become: an answer beats an ICMP error (or our
 * own refusal to send), which beats a loss. Evidence that comes after we gave up still counts: a
 * gateway gives up reassembly (ICMP time exceeded) only after its own
 * timer, 30 s on Linux, often after the probe was judged lost. */
static bool
may_become(const struct probe *p, enum probe_result res)
{
	static const int rank[] = {
		[PROBE_PENDING] = 0, [PROBE_LOST] = 1, [PROBE_SEND_FAILED] = 2,
		[PROBE_ICMP] = 2, [PROBE_ANSWERED] = 3,
	};

	return rank[res] > rank[p->result];
}

/* A datagram to one of our ports that is not an answer (wrong source,
 * no marker): counted as other, and remembered when it carries one of our
 * SPIs (p), since then the gateway did answer, in a way no client
 * accepts. */
static void
on_stray(struct run *r, const struct pkt *pk, enum stray_why why,
    const struct probe *p)
{
	struct stray_replies *st = &r->stats.stray[why];

	r->stats.other++;
	if (p != NULL && st->count++ == 0) {
		st->probe = p->id;
		st->from = pk->src;
		st->sport = pk->sport;
	}
}

/* UDP from the target. */
static void
on_ike(struct run *r, const struct pkt *pk, double ts)
{
	size_t off = ike_offset(pk);
	struct probe *p;

	if (!our_sport(r, pk->dport)) {
		r->stats.other++;
		return;
	}
	if ((p = reply_owner(r, pk, off)) == NULL) {
		/* To the right port and shaped like IKE, with no SPI of
		 * ours; on the NAT-T port without the marker it is ESP. */
		if (run_sport(r, pk->sport) == pk->dport &&
		    (off || probe_marker_len(pk->sport) == 0))
			r->stats.unmatched++;
		else
			r->stats.other++;
		return;
	}
	if (p->dport != pk->sport || run_sport(r, p->dport) != pk->dport) {
		on_stray(r, pk, STRAY_PORT, p);
		return;
	}
	if (probe_marker_len(p->dport) != off) {
		on_stray(r, pk, STRAY_MARKER, p);
		return;
	}
	r->stats.replies++;
	p->replies++;
	if (!may_become(p, PROBE_ANSWERED)) {
		r->stats.duplicates++;
		return;
	}
	ike_parse(pk->udp_data + off, pk->udp_len - off, &p->reply);
	ike_check_sa_init_response(&p->reply);
	if (p->reply.status != IKE_PARSE_OK)
		r->stats.malformed++;
	/* Karn: with retransmissions the reply may answer any attempt; the
	 * last one gives the smaller, still honest, estimate. The capture's
	 * own timestamp of that attempt leaving beats our clock before send. */
	p->rtt_ms = (ts - (p->last_wire > 0 ? p->last_wire : p->last_sent)) * 1000.0;
	if (p->rtt_ms < 0)
		p->rtt_ms = 0;
	finish(r, p, PROBE_ANSWERED);
}

/* Byte offset of a fragment we built (IP header bytes 6-7). */
static size_t
frag_offset(const struct wbuf *w)
{
	if (w->len < IPV4_HDR_LEN)
		return 0;
	return (size_t)((w->buf[6] & 0x1f) << 8 | w->buf[7]) * 8;
}

/* Does the packet an ICMP error quotes show this probe as it was sent?
 * (Addresses and protocol are checked by the caller.) */
static bool
quote_matches(const struct probe *p, const struct pkt_quote *q)
{
	static const uint8_t zero[IKE_NONESP_MARKER_LEN];
	size_t mk = probe_marker_len(p->dport), n;

	if (p->attempts == 0 || p->ip_id != q->ip_id)
		return false;
	/* A later fragment quotes no UDP header, so its place must vouch for
	 * it: one of the offsets we sent, or, for a datagram we sent whole
	 * (a router on the way may fragment it), a piece inside it. A
	 * datagram sent with DF is never fragmented. */
	if (q->frag_off != 0) {
		if (p->df)
			return false;
		if (p->fragments == 1)
			return q->ip_len > IPV4_HDR_LEN &&
			    (size_t)q->frag_off + q->ip_len <= p->size;
		for (int i = 1; i < p->fragments; i++)
			if (frag_offset(&p->wire[i]) == q->frag_off)
				return true;
		return false;
	}
	/* The whole datagram or its first fragment: RFC 792 quotes the UDP
	 * header too, and it must show our ports. An error that quotes less
	 * cannot be told from a forgery that guessed the IP ID. */
	if (!q->has_ports || q->sport != p->sport || q->dport != p->dport)
		return false;
	/* What is quoted of the non-ESP marker and the SPI must be ours. */
	n = q->data_len < mk ? q->data_len : mk;
	if (memcmp(q->data, zero, n) != 0)
		return false;
	if (q->data_len > mk) {
		n = q->data_len - mk < IKE_SPI_LEN ? q->data_len - mk : IKE_SPI_LEN;
		if (memcmp(q->data + mk, p->spi_i, n) != 0)
			return false;
	}
	return true;
}

static void
on_icmp(struct run *r, const struct pkt *pk)
{
	const struct pkt_quote *q = &pk->quote;
	struct probe *p = NULL;

	if (!q->valid || q->proto != 17 || !ip_addr_eq(&q->src, &r->local.addr) ||
	    !ip_addr_eq(&q->dst, &r->target)) {
		r->stats.icmp_unmatched++;
		return;
	}
	for (int i = 0; i < r->n_probes && p == NULL; i++)
		if (quote_matches(&r->probes[i], q))
			p = &r->probes[i];
	if (p == NULL) {
		r->stats.icmp_unmatched++;
		return;
	}
	r->stats.icmp_matched++;
	/* A redirect was sent while forwarding the probe, and source quench
	 * is obsolete (RFC 6633): neither says the probe was dropped. */
	if (pk->icmp_type == 4 || pk->icmp_type == 5)
		return;
	if (!may_become(p, PROBE_ICMP))
		return;
	p->icmp = (struct icmp_obs){ true, pk->icmp_type, pk->icmp_code,
	    pk->icmp_mtu, pk->src };
	finish(r, p, PROBE_ICMP);
}

static void
on_ip(struct run *r, const struct pkt *pk, double ts)
{
	struct wbuf whole;
	struct pkt full;
	int rc;

	if (ip_addr_eq(&pk->src, &r->local.addr)) {
		r->stats.own++;
		for (int i = 0; i < r->n_probes; i++)
			if (r->probes[i].ip_id == pk->ip_id && pk->frag_off == 0)
				r->probes[i].last_wire = ts;
		return;
	}
	if (pkt_is_fragment(pk)) {
		wb_init(&whole);
		rc = reasm_add(&r->reasm, pk, mono_now(), &whole);
		if (rc < 0)
			r->stats.malformed++;
		else if (rc == 1 && pkt_decode_ip(whole.buf, whole.len, &full) == PKT_OK)
			on_ip(r, &full, ts);
		wb_free(&whole);
		return;
	}
	if (pk->is_udp && ip_addr_eq(&pk->src, &r->target))
		on_ike(r, pk, ts);
	else if (pk->is_udp && ip_addr_eq(&pk->dst, &r->local.addr))
		on_stray(r, pk, STRAY_ADDRESS, our_sport(r, pk->dport) ?
		    reply_owner(r, pk, ike_offset(pk)) : NULL);
	else if (pk->is_icmp && ip_addr_eq(&pk->dst, &r->local.addr))
		on_icmp(r, pk);
	else
		r->stats.other++;
}

static void
on_packet(struct run *r, const struct capture_pkt *cp)
{
	struct pkt pk;
	enum pkt_status st;

	r->stats.captured++;
	st = pkt_decode_frame(r->cap.link, cp->data, cp->caplen, &pk);
	if (st == PKT_OK)
		on_ip(r, &pk, cp->ts);
	else if (st == PKT_NOT_IP)
		r->stats.other++;
	else
		r->stats.malformed++;
}

int
run_probes(struct run *r)
{
	struct pollfd pfd[1 + MAX_PORTS];
	struct capture_pkt cp;
	double now, due;
	int i, npfd, pending, rc, timeout;

	reasm_init(&r->reasm);
	r->started = mono_now();
	plan_start(r);
	for (;;) {
		now = mono_now();
		if (r->stop && *r->stop) {
			r->interrupted = true;
			break;
		}
		if (r->faulted)
			break;
		pending = 0;
		due = now + 60;
		/* Probes may be added while we walk: index, not pointer. */
		for (i = 0; i < r->n_probes; i++) {
			struct probe *p = &r->probes[i];

			if (p->result != PROBE_PENDING)
				continue;
			if (p->attempts == 0 && !paced(r, p, now, &due)) {
				pending++;
				continue;
			}
			if (p->attempts == 0 || now >= p->next_due) {
				if (p->attempts == p->max_attempts) {
					finish(r, p, p->sent_ok == 0 ?
					    PROBE_SEND_FAILED : PROBE_LOST);
					continue;
				}
				send_probe(r, p, now);
			}
			if (p->result == PROBE_PENDING) {
				pending++;
				if (p->next_due < due)
					due = p->next_due;
			}
		}
		/* A probe finished above may have added one: go round again. */
		for (i = 0; i < r->n_probes; i++)
			if (r->probes[i].result == PROBE_PENDING &&
			    r->probes[i].attempts == 0 &&
			    r->last_new[port_slot(r, r->probes[i].dport)] +
			    r->pace <= now)
				break;
		if (i < r->n_probes)
			continue;
		/* Settled: the size plan decides whether there is more. */
		if (pending == 0 && !sizes_step(r))
			break;
		if (pending == 0)
			continue;

		npfd = 0;
		pfd[npfd++] = (struct pollfd){ r->cap.fd, POLLIN, 0 };
		for (i = 0; i < r->n_ports; i++)
			pfd[npfd++] = (struct pollfd){ r->ports[i].fd, POLLIN, 0 };
		timeout = (int)((due - now) * 1000) + 1;
		rc = poll(pfd, (nfds_t)npfd, timeout < 0 ? 0 : timeout);
		if (rc < 0 && errno != EINTR) {
			fault(r, "waiting for packets failed", errno);
			break;
		}
		/* Read a bounded batch: a flood must not keep the loop from
		 * its timers. What is left is read in the next round. */
		for (i = 0; i < CAPTURE_BATCH &&
		    (rc = capture_next(&r->cap, &cp)) == 1; i++)
			on_packet(r, &cp);
		if (rc < 0) {
			fault(r, "the capture failed", 0);
			break;
		}
		for (i = 0; i < r->n_ports; i++)
			udp_drain(r->ports[i].fd);
	}
	r->stats.dropped = capture_dropped(&r->cap);
	return 0;
}

void
run_free(struct run *r)
{
	for (int i = 0; i < r->n_probes; i++)
		probe_free(&r->probes[i]);
	reasm_free(&r->reasm);
}
