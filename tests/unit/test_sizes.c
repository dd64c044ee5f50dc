/* The reading of size probes (probe/sizes.c) on hand-made histories: what
 * counts as dropped, as a black hole, as inconclusive, and what is chance.
 * The lab tests the same against a real gateway; these cover the cases the
 * lab cannot make on demand (an ICMP reassembly timeout, losses in an
 * order random loss rarely produces). */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "ikeprobe/sizes.h"

static struct run r;
static double clock_now;

static void
reset(void)
{
	memset(&r, 0, sizeof(r));
	r.local.mtu = 1500;
	r.n_ports = 2;
	r.ports[0].dport = 500;
	r.ports[1].dport = 4500;
	r.sz_cfg.enabled = true;
	r.sz.started = true;
	r.sz.pmtu_port = 0;
	r.sz.frag_port[0] = r.sz.frag_port[1] = true;
	r.sz.frag_size = 1280;
	r.sz.n_frag = 2;
	r.sz.frag_sizes[0] = 2500;
	r.sz.frag_sizes[1] = 4500;
	clock_now = 1;
}

/* A probe that finished now; each later one starts and ends later. */
static struct probe *
add(uint16_t port, enum probe_purpose purpose, size_t size, enum probe_result res)
{
	struct probe *p = &r.probes[r.n_probes];

	p->id = r.n_probes++;
	p->parent = -1;
	p->dport = port;
	p->purpose = purpose;
	p->size = size;
	p->df = purpose == PURPOSE_PMTU;
	p->fragments = purpose == PURPOSE_FRAG ? (int)(size / 1256 + 1) : 1;
	p->result = res;
	p->attempts = res == PROBE_LOST ? 5 : 1;
	p->created = clock_now;
	clock_now += 1;
	p->finished = clock_now;
	clock_now += 1;
	return p;
}

static void
reach(void)
{
	add(500, PURPOSE_REACH, 440, PROBE_ANSWERED);
	add(4500, PURPOSE_REACH, 444, PROBE_ANSWERED);
}

static void
frag_pass_and_drop(void)
{
	struct sizes_assess a;

	reset();
	reach();
	add(500, PURPOSE_FRAG, 2500, PROBE_ANSWERED);
	add(500, PURPOSE_FRAG, 4500, PROBE_ANSWERED);
	add(4500, PURPOSE_FRAG, 2500, PROBE_LOST);
	sizes_assess(&r, &a);
	CHECK_EQ(a.frag[0].outcome, FRAG_PASS);
	CHECK_EQ(a.frag[0].largest_answered, 4500);
	/* One loss, nothing after it: not yet anything. */
	CHECK_EQ(a.frag[1].outcome, FRAG_INCONCLUSIVE);
	CHECK_EQ(a.frag[1].control, -1);

	/* Repeated and lost again, but nothing answered since. */
	add(4500, PURPOSE_FRAG, 2500, PROBE_LOST)->confirm = true;
	sizes_assess(&r, &a);
	CHECK_EQ(a.frag[1].outcome, FRAG_INCONCLUSIVE);

	/* An answer on the same port after the losses: dropped. An answer on
	 * the other port would not have vouched for this one. */
	add(500, PURPOSE_CONTROL, 440, PROBE_ANSWERED);
	sizes_assess(&r, &a);
	CHECK_EQ(a.frag[1].outcome, FRAG_INCONCLUSIVE);
	add(4500, PURPOSE_CONTROL, 444, PROBE_ANSWERED);
	sizes_assess(&r, &a);
	CHECK_EQ(a.frag[1].outcome, FRAG_DROPPED);
	CHECK_EQ(a.frag[1].smallest_lost, 2500);
	CHECK_EQ(a.frag[1].control, r.n_probes - 1);
}

static void
frag_chance_loss(void)
{
	struct sizes_assess a;

	/* Lost once, answered when repeated: loss, not a drop. */
	reset();
	reach();
	add(500, PURPOSE_FRAG, 2500, PROBE_LOST);
	add(500, PURPOSE_FRAG, 2500, PROBE_ANSWERED)->confirm = true;
	add(500, PURPOSE_FRAG, 4500, PROBE_ANSWERED);
	sizes_assess(&r, &a);
	CHECK_EQ(a.frag[0].outcome, FRAG_PASS);
	CHECK_EQ(a.frag[0].largest_answered, 4500);
	CHECK_EQ(a.frag[0].smallest_lost, 0);
}

static void
frag_gateway_silent(void)
{
	struct sizes_assess a;
	struct probe *c;

	reset();
	reach();
	add(500, PURPOSE_FRAG, 2500, PROBE_LOST);
	c = add(500, PURPOSE_CONTROL, 440, PROBE_LOST);
	sizes_assess(&r, &a);
	CHECK_EQ(a.frag[0].outcome, FRAG_INCONCLUSIVE);
	CHECK(a.frag[0].unresponsive);
	/* A control sent before the loss was declared vouches for nothing. */
	reset();
	reach();
	c = add(500, PURPOSE_CONTROL, 440, PROBE_ANSWERED);
	add(500, PURPOSE_FRAG, 2500, PROBE_LOST);
	add(500, PURPOSE_FRAG, 2500, PROBE_LOST);
	c->created = 0;
	sizes_assess(&r, &a);
	CHECK_EQ(a.frag[0].outcome, FRAG_INCONCLUSIVE);
}

static void
frag_icmp(void)
{
	struct sizes_assess a;
	struct probe *p;

	/* The gateway's reassembly timer ran out: it got the first fragment
	 * and not the rest. The ICMP itself shows it is alive. */
	reset();
	reach();
	p = add(500, PURPOSE_FRAG, 2500, PROBE_ICMP);
	p->icmp = (struct icmp_obs){ .seen = true, .type = 11, .code = 1 };
	sizes_assess(&r, &a);
	CHECK_EQ(a.frag[0].outcome, FRAG_DROPPED);
	CHECK(a.frag[0].reasm_timeout);
	CHECK(!a.frag[0].icmp_refused);
}

static void
pmtu_icmp(void)
{
	struct sizes_assess a;
	struct probe *p;

	reset();
	reach();
	add(500, PURPOSE_PMTU, 1280, PROBE_ANSWERED);
	add(500, PURPOSE_PMTU, 1400, PROBE_ANSWERED);
	p = add(500, PURPOSE_PMTU, 1450, PROBE_ICMP);
	p->icmp = (struct icmp_obs){ .seen = true, .type = 3, .code = 4, .mtu = 1420 };
	ip_addr_parse("192.0.2.1", &p->icmp.from);
	p = add(500, PURPOSE_PMTU, 1500, PROBE_ICMP);
	p->icmp = (struct icmp_obs){ .seen = true, .type = 3, .code = 4, .mtu = 1420 };
	sizes_assess(&r, &a);
	/* The router's figure is not yet checked by a probe of that size. */
	CHECK(!a.pmtu.done);
	CHECK_EQ(a.pmtu.icmp_mtu, 1420);
	CHECK_EQ(a.pmtu.icmp, PMTU_ICMP_SEEN);
	add(500, PURPOSE_PMTU, 1420, PROBE_ANSWERED);
	sizes_assess(&r, &a);
	CHECK(a.pmtu.done);
	CHECK_EQ(a.pmtu.value, 1420);
	CHECK_EQ(a.pmtu.source, PMTU_SRC_ICMP);

	/* An RFC 1191 "MTU 0" from an old router: bisect instead. */
	reset();
	reach();
	add(500, PURPOSE_PMTU, 1400, PROBE_ANSWERED);
	p = add(500, PURPOSE_PMTU, 1500, PROBE_ICMP);
	p->icmp = (struct icmp_obs){ .seen = true, .type = 3, .code = 4, .mtu = 0 };
	sizes_assess(&r, &a);
	CHECK(!a.pmtu.done);
	CHECK_EQ(a.pmtu.icmp_mtu, 0);
	CHECK_EQ(a.pmtu.hi, 1500);
	CHECK_EQ(a.pmtu.lo, 1400);
}

static void
pmtu_black_hole(void)
{
	struct sizes_assess a;

	reset();
	reach();
	add(500, PURPOSE_PMTU, 1280, PROBE_ANSWERED);
	add(500, PURPOSE_PMTU, 1400, PROBE_ANSWERED);
	add(500, PURPOSE_PMTU, 1450, PROBE_LOST);
	add(500, PURPOSE_PMTU, 1500, PROBE_LOST);
	sizes_assess(&r, &a);
	CHECK(!a.pmtu.done);		/* bisect on: 50 bytes apart */
	CHECK_EQ(a.pmtu.hi, 1450);
	add(500, PURPOSE_PMTU, 1425, PROBE_LOST);
	add(500, PURPOSE_PMTU, 1412, PROBE_LOST);
	add(500, PURPOSE_PMTU, 1406, PROBE_LOST);
	sizes_assess(&r, &a);
	/* Within 8 bytes, several losses, but nothing answered since. */
	CHECK(!a.pmtu.done);
	CHECK(a.pmtu.inconclusive);
	add(500, PURPOSE_CONTROL, 440, PROBE_ANSWERED);
	sizes_assess(&r, &a);
	CHECK(a.pmtu.done);
	CHECK_EQ(a.pmtu.value, 1400);
	CHECK_EQ(a.pmtu.source, PMTU_SRC_PROBING);
	CHECK_EQ(a.pmtu.icmp, PMTU_ICMP_FILTERED);
}

static void
pmtu_chance_loss(void)
{
	struct sizes_assess a;

	/* The largest size answered, a smaller one lost: chance, ignored. */
	reset();
	reach();
	add(500, PURPOSE_PMTU, 1280, PROBE_ANSWERED);
	add(500, PURPOSE_PMTU, 1400, PROBE_LOST);
	add(500, PURPOSE_PMTU, 1500, PROBE_ANSWERED);
	sizes_assess(&r, &a);
	CHECK(a.pmtu.done);
	CHECK_EQ(a.pmtu.value, 1500);
	CHECK_EQ(a.pmtu.source, PMTU_SRC_LOCAL);

	/* One loss at the top, answers just below: one loss is not a black
	 * hole until a fresh probe of that size is lost too. */
	reset();
	reach();
	add(500, PURPOSE_PMTU, 1496, PROBE_ANSWERED);
	add(500, PURPOSE_PMTU, 1500, PROBE_LOST);
	add(500, PURPOSE_CONTROL, 440, PROBE_ANSWERED);
	sizes_assess(&r, &a);
	CHECK(!a.pmtu.done);
	CHECK(!a.pmtu.hi_confirmed);
	add(500, PURPOSE_PMTU, 1500, PROBE_ANSWERED)->confirm = true;
	sizes_assess(&r, &a);
	CHECK(a.pmtu.done);
	CHECK_EQ(a.pmtu.value, 1500);
}

static void
pmtu_local(void)
{
	struct sizes_assess a;
	struct probe *p;

	reset();
	reach();
	add(500, PURPOSE_PMTU, 1400, PROBE_ANSWERED);
	p = add(500, PURPOSE_PMTU, 1404, PROBE_SEND_FAILED);
	p->send_errno = EMSGSIZE;
	sizes_assess(&r, &a);
	CHECK(a.pmtu.done);
	CHECK(a.pmtu.local_emsgsize);
	CHECK_EQ(a.pmtu.value, 1400);
	CHECK_EQ(a.pmtu.source, PMTU_SRC_LOCAL);
}

int
main(void)
{
	frag_pass_and_drop();
	frag_chance_loss();
	frag_gateway_silent();
	frag_icmp();
	pmtu_icmp();
	pmtu_black_hole();
	pmtu_chance_loss();
	pmtu_local();
	return check_done();
}
