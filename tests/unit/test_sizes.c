/* The reading of size probes (probe/sizes.c) on hand-made histories: what
 * counts as dropped, as a black hole, as inconclusive, and what is chance.
 * The lab tests the same against a real gateway; these cover the cases the
 * lab cannot make on demand (an ICMP reassembly timeout, losses in an
 * order random loss rarely produces). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "ikeprobe/sizes.h"

static struct probe probes[PROBE_MAX];
static struct port_pair ports[2] = { { 500, 500, 0 }, { 4500, 4500, 0 } };
static struct probe_set r;
static usec_t clock_now;

static void
reset(void)
{
	memset(probes, 0, sizeof(probes));
	r = (struct probe_set){ probes, 0, ports, 2, AF_INET, 1500, NULL, NULL };
	clock_now = 1000000;
}

/* A probe that ended now; each later one is sent and ends later. */
static struct probe *
add(uint16_t port, enum probe_purpose purpose, size_t size, enum probe_result res)
{
	struct probe *p = &probes[r.n];

	p->id = r.n++;
	p->parent = -1;
	p->dport = port;
	p->purpose = purpose;
	p->size = size;
	p->df = purpose == PURPOSE_PMTU;
	p->fragments = purpose == PURPOSE_FRAG ? (int)(size / 1256 + 1) : 1;
	p->frag_size = purpose == PURPOSE_FRAG ? 1280 : 0;
	p->result = res;
	p->attempts = res == PROBE_LOST ? 5 : 1;
	p->sent[0] = p->first_wire = clock_now;
	clock_now += 1000000;
	p->ended = clock_now;
	clock_now += 1000000;
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
	CHECK_EQ(a.frag[1].control, r.n - 1);
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
	c->sent[0] = c->first_wire = 0;
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
	p->icmp = (struct icmp_obs){ .seen = true, .meaning = ICMP_REASM_TIMEOUT,
	    .family = AF_INET, .type = 11, .code = 1 };
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
	p->icmp = (struct icmp_obs){ .seen = true, .meaning = ICMP_TOO_BIG,
	    .family = AF_INET, .type = 3, .code = 4, .mtu = 1420 };
	ip_addr_parse("192.0.2.1", &p->icmp.from);
	p = add(500, PURPOSE_PMTU, 1500, PROBE_ICMP);
	p->icmp = (struct icmp_obs){ .seen = true, .meaning = ICMP_TOO_BIG,
	    .family = AF_INET, .type = 3, .code = 4, .mtu = 1420 };
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
	p->icmp = (struct icmp_obs){ .seen = true, .meaning = ICMP_TOO_BIG,
	    .family = AF_INET, .type = 3, .code = 4, .mtu = 0 };
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
