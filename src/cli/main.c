/* ikeprobe: the program's edge. Everything that talks to the user is here;
 * the modules below return errors and print nothing.
 *
 * A run ends in the JSON report (output/json.c); every other format is
 * rendered from that document read back (doc/doc_read.c), exactly as
 * `ikeprobe show' renders a saved one, so the two always agree. */
#include <errno.h>
#include <json-c/json.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "ikeprobe/bundle.h"
#include "ikeprobe/ike_session.h"
#include "ikeprobe/io.h"
#include "ikeprobe/report.h"
#include "ikeprobe/sizes.h"
#include "ikeprobe/sstp_session.h"

/* The signal that asked the run to stop, 0 while none has. */
static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static int
net_status(enum net_err e)
{
	return e == NET_ERR_USAGE ? EXIT_USAGE : EXIT_CANNOT_RUN;
}

/* The addresses a name resolves to, in the resolver's order (it sorts
 * them by RFC 6724), each once. */
struct resolved {
	struct ip_addr	 all[MAX_ADDRS];
	int		 n_all;
	struct ip_addr	 probe[MAX_ADDRS];	/* the ones we probe */
	int		 n_probe;
};

static void
add_unique(struct ip_addr *list, int *n, const struct ip_addr *a)
{
	for (int i = 0; i < *n; i++)
		if (ip_addr_eq(&list[i], a))
			return;
	if (*n < MAX_ADDRS)
		list[(*n)++] = *a;
}

static int
resolve(const char *name, bool every, struct resolved *out, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	struct ip_addr a;
	char literal[INET6_ADDRSTRLEN + 16];
	size_t len = strlen(name);
	const char *host = name;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	/* [2001:db8::10], as in a URL: an IPv6 address, nothing else. */
	if (len > 2 && name[0] == '[' && name[len - 1] == ']') {
		if (len - 2 >= sizeof(literal)) {
			snprintf(err, errlen, "`%s': brackets hold an IPv6 "
			    "address only (such as [2001:db8::10])", name);
			return EXIT_USAGE;
		}
		memcpy(literal, name + 1, len - 2);
		literal[len - 2] = '\0';
		host = literal;
		hints.ai_family = AF_INET6;
		hints.ai_flags = AI_NUMERICHOST;
	}
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		if (host == literal)
			snprintf(err, errlen, "`%s': brackets hold an IPv6 "
			    "address only (such as [2001:db8::10])", name);
		else if (rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_FAIL)
			snprintf(err, errlen, "unknown host `%s': check the "
			    "gateway's name, or give its address", name);
		else
			snprintf(err, errlen, "cannot resolve `%s': %s (check "
			    "DNS on this network)", name, gai_strerror(rc));
		return rc == EAI_AGAIN ? EXIT_CANNOT_RUN : EXIT_USAGE;
	}
	memset(out, 0, sizeof(*out));
	for (ai = res; ai; ai = ai->ai_next) {
		ip_addr_from_sockaddr(ai->ai_addr, &a);
		if (a.family == 0)
			continue;
		/* IPv6 is not probed yet: listed, not probed. */
		if (net_family_probed(a.family) && (every || out->n_probe == 0))
			add_unique(out->probe, &out->n_probe, &a);
		add_unique(out->all, &out->n_all, &a);
	}
	freeaddrinfo(res);
	if (out->n_probe == 0) {
		snprintf(err, errlen, "`%s' has %s: this version probes IPv4 "
		    "only; give the gateway's IPv4 address", name,
		    out->n_all ? "only IPv6 addresses" : "no IPv4 address");
		return EXIT_USAGE;
	}
	return 0;
}

/* Open everything that needs privilege, then give privilege up. With
 * --all-addresses every address must be reached the same way, since the
 * sessions share the sockets and the capture. */
static int
setup(struct io *io, struct local_info *local, struct port_pair *ports,
    const struct options *o, const struct resolved *t, struct bundle *b,
    char *err, size_t errlen)
{
	struct local_info other;
	struct ip_addr src;
	char filter[4096], a[IP_ADDR_STRLEN], l1[IP_ADDR_STRLEN], l2[IP_ADDR_STRLEN];
	FILE *pcap;
	enum net_err e;

	if (o->source && !ip_addr_parse(o->source, &src)) {
		snprintf(err, errlen, "--source `%s' is not an IP address: give "
		    "one of this machine's addresses", o->source);
		return EXIT_USAGE;
	}
	if ((e = route_lookup(&t->probe[0], o->ifname, o->source ? &src : NULL,
	    local, err, errlen)) != NET_OK)
		return net_status(e);
	for (int i = 1; i < t->n_probe; i++) {
		if ((e = route_lookup(&t->probe[i], o->ifname, o->source ? &src :
		    NULL, &other, err, errlen)) != NET_OK)
			return net_status(e);
		if (!ip_addr_eq(&other.addr, &local->addr) ||
		    strcmp(other.ifname, local->ifname) != 0) {
			snprintf(err, errlen, "--all-addresses: %s is reached "
			    "from %s on %s, not from %s on %s like the first: "
			    "probe it on its own, or give --interface",
			    ip_addr_str(&t->probe[i], a, sizeof(a)),
			    ip_addr_str(&other.addr, l2, sizeof(l2)),
			    other.ifname, ip_addr_str(&local->addr, l1,
			    sizeof(l1)), local->ifname);
			return EXIT_USAGE;
		}
	}
	/* Before anything is sent: an output directory we cannot write is
	 * an error now, not after the run. */
	if (o->output_dir && (e = bundle_open(b, o->output_dir, err,
	    errlen)) != NET_OK)
		return net_status(e);
	if ((e = io_open_raw(io, local->addr.family, o->ifname, err,
	    errlen)) != NET_OK)
		return net_status(e);
	for (int i = 0; i < o->n_ports; i++) {
		ports[i].dport = o->ports[i];
		if ((e = io_hold(io, &local->addr, o->ports[i], &ports[i].sport,
		    &ports[i].sport_errno, err, errlen)) != NET_OK)
			return net_status(e);
	}
	/* MAX_ADDRS addresses always fit. */
	if (!capture_filter(filter, sizeof(filter), t->probe, t->n_probe,
	    &local->addr, 1, o->no_sstp ? 0 : o->sstp_port)) {
		snprintf(err, errlen, "the capture filter for %d addresses is "
		    "too long: probe fewer with --all-addresses", t->n_probe);
		return EXIT_USAGE;
	}
	if ((e = io_open_capture(io, local, filter, o->pcap_path, err,
	    errlen)) != NET_OK)
		return net_status(e);
	if (o->output_dir) {
		if ((pcap = bundle_pcap_stream(b)) == NULL) {
			snprintf(err, errlen, "cannot write the capture in "
			    "`%s': %s: give another --output directory",
			    o->output_dir, strerror(errno));
			return EXIT_CANNOT_RUN;
		}
		if ((e = capture_dump_to(&io->cap, pcap, err, errlen)) != NET_OK)
			return net_status(e);
	}
	if ((e = privdrop(o->user, err, errlen)) != NET_OK)
		return net_status(e);
	return 0;
}

/* Size options checked against the interface MTU, known only now. */
static int
size_config(struct size_config *c, const struct local_info *local,
    const struct options *o, char *err, size_t errlen)
{
	size_t mtu = local->mtu > 0 ? (size_t)local->mtu : 1500;
	size_t fs;

	c->enabled = !o->quick;
	c->stateful = o->stateful;
	c->frag_size = o->frag_size;
	c->n_sizes = o->n_sizes;
	memcpy(c->sizes, o->sizes, sizeof(c->sizes));
	if (o->frag_size > mtu) {
		snprintf(err, errlen, "--fragment-size %zu is larger than the "
		    "MTU of %s (%zu): give at most %zu", o->frag_size,
		    local->ifname, mtu, mtu);
		return EXIT_USAGE;
	}
	fs = o->frag_size ? o->frag_size : mtu < FRAG_SIZE_DEFAULT ? mtu :
	    FRAG_SIZE_DEFAULT;
	for (int i = 0; i < o->n_sizes; i++)
		if (o->sizes[i] > fs && o->sizes[i] >
		    pkt_frag_payload(local->addr.family, fs) * PROBE_MAX_FRAGS) {
			snprintf(err, errlen, "size %zu needs more than %d "
			    "fragments of %zu bytes: use a larger "
			    "--fragment-size or a smaller size", o->sizes[i],
			    PROBE_MAX_FRAGS, fs);
			return EXIT_USAGE;
		}
	return 0;
}

/* One address's sessions diagnosed and turned into its JSON report. */
static json_object *
report_one(const struct ike_session *s, const struct sstp_session *sstp,
    const struct options *o,
    const struct resolved *t, const struct host_info *host,
    struct cert_store *trust, int *status)
{
	static struct report rep;
	json_object *j;

	memset(&rep, 0, sizeof(rep));
	rep.started = (double)s->started / 1e6;
	rep.target_name = o->target;
	rep.target = s->target;
	rep.local = s->local;
	memcpy(rep.addrs, t->all, sizeof(rep.addrs));
	rep.n_addrs = t->n_all;
	for (int i = 0; i < t->n_all; i++)
		for (int k = 0; k < t->n_probe; k++)
			rep.probed[i] |= ip_addr_eq(&t->all[i], &t->probe[k]);
	rep.all_addresses = o->all_addresses;
	rep.label = o->label;
	rep.host = host;
	rep.ca_file = o->ca_file;
	rep.trust = trust;
	rep.sstp.sess = sstp;
	path_info_read(&s->target, &s->local, &rep.path);
	rep.duration_ms = s->duration * 1000.0;
	/* A network fault mid-run still gives a report of what was seen,
	 * marked incomplete, and exit status 3. */
	diagnose(&rep, s);
	j = report_json(&rep);
	/* The worst over all addresses: 3 (a fault) > 1 (a problem) > 0. */
	if ((s->faulted ? EXIT_CANNOT_RUN : rep.exit_status) > *status)
		*status = s->faulted ? EXIT_CANNOT_RUN : rep.exit_status;
	return j;
}

static bool
group_ok(uint16_t g)
{
	return kex_supported(g);
}

static int
probe_main(int argc, char **argv)
{
	static struct io io;
	static struct ike_session sess[MAX_ADDRS];
	static struct sstp_session sstp[MAX_ADDRS];
	static struct resolved t;
	struct plan_config cfg;
	struct local_info local;
	struct port_pair ports[MAX_PORTS];
	struct kex_value kv;
	struct host_info host;
	struct bundle b;
	struct options o;
	struct cert_store *trust = NULL;
	struct sigaction sa;
	json_object *root, *others;
	const char *json;
	char err[400];
	struct doc d;
	long dropped;
	int rc, status = 0;

	if ((rc = options_parse(argc, argv, &o)) != 0)
		return rc < 0 ? 0 : rc;
	if (crypto_init() < 0)
		return cli_fail(EXIT_CANNOT_RUN, "cannot initialise libsodium");
	/* Every session makes its own keys; a machine that cannot make one
	 * says so now, not as probes that never went. */
	if (kex_generate(IKE_DH_CURVE25519, &kv) < 0)
		return cli_fail(EXIT_CANNOT_RUN, "cannot generate an X25519 key");
	kex_free(&kv);

	if ((rc = resolve(o.target, o.all_addresses, &t, err, sizeof(err))) != 0)
		return cli_fail(rc, "%s", err);
	/* The roots the gateway's certificates are judged against, read
	 * while a root-only --ca file is still readable. */
	if (((!o.quick && !o.no_auth) || !o.no_sstp) &&
	    (trust = cert_store_open(o.ca_file, err, sizeof(err))) == NULL &&
	    o.ca_file)
		return cli_fail(EXIT_USAGE, "--ca: %s", err);
	io_init(&io);
	bundle_init(&b);
	if ((rc = setup(&io, &local, ports, &o, &t, &b, err, sizeof(err))) != 0) {
		bundle_abort(&b);
		cert_store_free(trust);
		return cli_fail(rc, "%s", err);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.rto = o.rto_ms / 1000.0;
	cfg.max_attempts = o.attempts;
	cfg.backoff = 1.5;
	cfg.group = IKE_DH_CURVE25519;
	cfg.group_ok = group_ok;
	cfg.auth = !o.quick && !o.no_auth;
	cfg.audit = o.audit;
	if ((rc = size_config(&cfg.sizes, &local, &o, err, sizeof(err))) != 0) {
		bundle_abort(&b);
		cert_store_free(trust);
		return cli_fail(rc, "%s", err);
	}
	host_info_read(&host);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A TLS write to a server that has closed (the SSTP check) is an
	 * error to report, not the end of the run. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	/* One session per address, all at once in one loop; a signal ends
	 * them all, and each report says what it saw until then. */
	io.stop = &stop_signal;
	io.trace = o.verbose ? stderr : NULL;
	for (int i = 0; i < t.n_probe; i++) {
		ike_session_init(&sess[i], &t.probe[i], &local, ports, o.n_ports,
		    &cfg);
		io_add(&io, &sess[i].base);
	}
	/* The SSTP check of each address, in the same loop: after the IKE
	 * sessions, so that what no session claims is still counted by the
	 * first IKE one. */
	for (int i = 0; i < t.n_probe && !o.no_sstp; i++) {
		sstp_session_init(&sstp[i], &t.probe[i], &local.addr, o.sstp_port,
		    o.target);
		io_add(&io, &sstp[i].base);
	}
	io_run(&io);
	dropped = capture_dropped(&io.cap);

	/* The first report is the document's top level, the others follow
	 * in `others'. */
	others = json_object_new_array();
	root = NULL;
	for (int i = 0; i < t.n_probe; i++) {
		json_object *j;

		ike_session_finish(&sess[i], &io);
		if (!o.no_sstp)
			sstp_session_finish(&sstp[i], &io);
		sess[i].stats.dropped = dropped;
		/* Reassembly is shared: its count goes where unclaimed
		 * packets go, to the first report. */
		if (i == 0)
			sess[i].stats.reasm_expired = io.in.reasm.expired;
		j = report_one(&sess[i], o.no_sstp ? NULL : &sstp[i], &o, &t,
		    &host, trust, &status);
		ike_session_free(&sess[i]);
		if (!o.no_sstp)
			sstp_session_free(&sstp[i]);
		if (root == NULL)
			root = j;
		else
			json_object_array_add(others, j);
	}
	json_object_object_add(root, "others", others);
	io_close(&io);
	cert_store_free(trust);

	json = json_object_to_json_string_ext(root, RENDER_JSON_FLAGS);
	if (doc_read(json, strlen(json), &d, err, sizeof(err)) < 0) {
		doc_free(&d);
		json_object_put(root);
		bundle_abort(&b);
		return cli_fail(EXIT_CANNOT_RUN, "internal error: the report "
		    "does not read back: %s", err);
	}
	if (o.output_dir && bundle_write_report(&b, json, &d, err,
	    sizeof(err)) < 0)
		status = cli_fail(EXIT_CANNOT_RUN, "%s", err);
	cli_render(stdout, &d, json, o.format);
	fflush(stdout);
	doc_free(&d);
	json_object_put(root);
	/* Interrupted: the report of what was seen is out; then the shell's
	 * convention, 128 + the signal (130 for ^C). */
	if (stop_signal)
		return 128 + stop_signal;
	return status;
}

static const struct subcommand {
	const char	*name;
	int		(*main)(int, char **);
} subcommands[] = {
	{ "show", show_main },
	{ "compare", compare_main },
	{ "explain", explain_main },
};

int
main(int argc, char **argv)
{
	/* A gateway named like a subcommand: `ikeprobe -- show'. */
	if (argc > 1)
		for (size_t i = 0; i < sizeof(subcommands) /
		    sizeof(subcommands[0]); i++)
			if (strcmp(argv[1], subcommands[i].name) == 0)
				return subcommands[i].main(argc - 1, argv + 1);
	return probe_main(argc, argv);
}
