/* ikeprobe: the program's edge. Everything that talks to the user is here;
 * the modules below return errors and print nothing. */
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ikeprobe/report.h"
#include "ikeprobe/sizes.h"
#include "options.h"

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int
fail(int status, const char *msg)
{
	fprintf(stderr, "ikeprobe: %s\n", msg);
	return status;
}

static int
net_status(enum net_err e)
{
	return e == NET_ERR_USAGE ? EXIT_USAGE : EXIT_CANNOT_RUN;
}

static int
resolve(const char *name, struct ip_addr *out, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	bool only_v6 = false;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	if ((rc = getaddrinfo(name, NULL, &hints, &res)) != 0) {
		if (rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_FAIL)
			snprintf(err, errlen, "unknown host `%s': check the "
			    "gateway's name, or give its address", name);
		else
			snprintf(err, errlen, "cannot resolve `%s': %s (check "
			    "DNS on this network)", name, gai_strerror(rc));
		return rc == EAI_AGAIN ? EXIT_CANNOT_RUN : EXIT_USAGE;
	}
	memset(out, 0, sizeof(*out));
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			out->family = AF_INET;
			memcpy(out->a, &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr, 4);
			break;
		}
		only_v6 = true;
	}
	freeaddrinfo(res);
	if (out->family == 0) {
		snprintf(err, errlen, "`%s' has %s: this version probes IPv4 "
		    "only; give the gateway's IPv4 address", name,
		    only_v6 ? "only IPv6 addresses" : "no IPv4 address");
		return EXIT_USAGE;
	}
	return 0;
}

/* Open everything that needs privilege, then give privilege up. */
static int
setup(struct run *run, const struct options *o, char *err, size_t errlen)
{
	struct ip_addr src;
	char filter[512];
	enum net_err e;

	if (o->source && !ip_addr_parse(o->source, &src)) {
		snprintf(err, errlen, "--source `%s' is not an IP address", o->source);
		return EXIT_USAGE;
	}
	if ((e = route_lookup(&run->target, o->ifname, o->source ? &src : NULL,
	    &run->local, err, errlen)) != NET_OK)
		return net_status(e);
	if ((e = rawsock_open(&run->rawfd, run->target.family, o->ifname,
	    err, errlen)) != NET_OK)
		return net_status(e);
	for (int i = 0; i < o->n_ports; i++) {
		struct port_src *ps = &run->ports[run->n_ports++];

		ps->dport = o->ports[i];
		/* Real initiators send from the port they send to. */
		if ((e = udp_hold(&run->local.addr, o->ports[i], &ps->fd,
		    &ps->sport, err, errlen)) != NET_OK)
			return net_status(e);
	}
	capture_filter(filter, sizeof(filter), &run->target, &run->local.addr);
	if ((e = capture_open(&run->cap, run->local.ifname, filter,
	    o->pcap_path, err, errlen)) != NET_OK)
		return net_status(e);
	if ((e = privdrop(o->user, err, errlen)) != NET_OK)
		return net_status(e);
	return 0;
}

/* Size options checked against the interface MTU, known only now. */
static int
size_config(struct run *run, const struct options *o, char *err, size_t errlen)
{
	struct size_config *c = &run->sz_cfg;
	size_t mtu = run->local.mtu > 0 ? (size_t)run->local.mtu : 1500;
	size_t fs;

	c->enabled = !o->quick;
	c->stateful = o->stateful;
	c->frag_size = o->frag_size;
	c->n_sizes = o->n_sizes;
	memcpy(c->sizes, o->sizes, sizeof(c->sizes));
	if (o->frag_size > mtu) {
		snprintf(err, errlen, "--fragment-size %zu is larger than the "
		    "MTU of %s (%zu): give at most %zu", o->frag_size,
		    run->local.ifname, mtu, mtu);
		return EXIT_USAGE;
	}
	fs = o->frag_size ? o->frag_size : mtu < FRAG_SIZE_DEFAULT ? mtu :
	    FRAG_SIZE_DEFAULT;
	for (int i = 0; i < o->n_sizes; i++)
		if (o->sizes[i] > fs && o->sizes[i] >
		    frag_payload_for(fs) * PROBE_MAX_FRAGS) {
			snprintf(err, errlen, "size %zu needs more than %d "
			    "fragments of %zu bytes: use a larger "
			    "--fragment-size or a smaller size", o->sizes[i],
			    PROBE_MAX_FRAGS, fs);
			return EXIT_USAGE;
		}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct run run;
	static struct report rep;
	struct options o;
	struct sigaction sa;
	char err[400];
	double t0;
	int rc;

	if ((rc = options_parse(argc, argv, &o)) != 0)
		return rc < 0 ? 0 : rc;
	if (crypto_init() < 0)
		return fail(EXIT_CANNOT_RUN, "cannot initialise libsodium");

	rep.started = wall_now();
	t0 = mono_now();
	if ((rc = resolve(o.target, &run.target, err, sizeof(err))) != 0)
		return fail(rc, err);
	run.rawfd = -1;
	if ((rc = setup(&run, &o, err, sizeof(err))) != 0)
		return fail(rc, err);
	if (kex_generate(IKE_DH_CURVE25519, &run.kex[0]) < 0)
		return fail(EXIT_CANNOT_RUN, "cannot generate an X25519 key");
	run.n_kex = 1;
	run.rto = o.rto_ms / 1000.0;
	run.max_attempts = o.attempts;
	run.pace = 0.01;
	if ((rc = size_config(&run, &o, err, sizeof(err))) != 0)
		return fail(rc, err);
	run.stop = &stop_flag;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* A network fault mid-run still gives a report of what was seen,
	 * marked incomplete, and exit status 3. */
	run_probes(&run);

	rep.target_name = o.target;
	rep.target = run.target;
	rep.local = run.local;
	rep.duration_ms = (mono_now() - t0) * 1000.0;
	diagnose(&rep, &run);

	if (o.json)
		report_json(stdout, &rep);
	else
		report_text(stdout, &rep, isatty(STDOUT_FILENO) &&
		    getenv("NO_COLOR") == NULL ? COLOR_ALWAYS : COLOR_NEVER);
	fflush(stdout);
	capture_close(&run.cap);
	run_free(&run);
	return run.faulted ? EXIT_CANNOT_RUN : rep.exit_status;
}
