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
 * them by RFC 6724: IPv6 first where this machine has it, as a Windows
 * client tries them), each once. */
struct resolved {
	struct ip_addr	 all[MAX_ADDRS];
	int		 n_all;
	struct ip_addr	 probe[MAX_ADDRS];	/* the ones we probe */
	int		 n_probe;
	/* Why an address of the name is not probed, by all[] index ("" when
	 * it is, or when it is just one more of a family already probed). */
	char		 why_not[MAX_ADDRS][200];
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

static bool
has_family(const struct ip_addr *list, int n, int family)
{
	for (int i = 0; i < n; i++)
		if (list[i].family == family)
			return true;
	return false;
}

/* family: AF_INET or AF_INET6 for -4 or -6, else 0 (both). */
static int
resolve(const char *name, bool every, int family, struct resolved *out,
    char *err, size_t errlen)
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
		add_unique(out->all, &out->n_all, &a);
	}
	freeaddrinfo(res);
	/* Each family's first address (every address with --all-addresses),
	 * both families unless -4 or -6 says one. */
	for (int i = 0; i < out->n_all; i++) {
		a = out->all[i];
		if (family && a.family != family)
			snprintf(out->why_not[i], sizeof(out->why_not[i]), "%s",
			    family == AF_INET ? "-4: IPv4 only" : "-6: IPv6 only");
		else if (every || !has_family(out->probe, out->n_probe, a.family))
			add_unique(out->probe, &out->n_probe, &a);
	}
	if (out->n_probe == 0) {
		snprintf(err, errlen, "`%s' has no %s address: give %s, or "
		    "another name", name, family == AF_INET ? "IPv4" : "IPv6",
		    family == AF_INET ? "-6" : "-4");
		return EXIT_USAGE;
	}
	return 0;
}

/* The probed addresses of one family out of the run, each marked with
 * why (the family's route, or its interface). */
static void
drop_family(struct resolved *t, int family, const char *why)
{
	int n = 0;

	for (int i = 0; i < t->n_probe; i++)
		if (t->probe[i].family != family)
			t->probe[n++] = t->probe[i];
	t->n_probe = n;
	for (int i = 0; i < t->n_all; i++)
		if (t->all[i].family == family && !t->why_not[i][0])
			snprintf(t->why_not[i], sizeof(t->why_not[i]), "%s", why);
}

/* What each family leaves from: its local address, interface and MTU,
 * and its held source ports. */
struct families {
	struct local_info local[2];	/* IPv4, IPv6 */
	bool		 used[2];
	struct port_pair ports[2][MAX_PORTS];
};

static int
fam_index(int family)
{
	return family == AF_INET6;
}

/* Route each family's addresses. With both families from a name, one that
 * this machine cannot reach (no IPv6 here, a common network), or that
 * leaves by another interface than the first (one capture sees one), is
 * left out and the report says why; asked for alone it is an error. With
 * --all-addresses every address of a family must leave the same way,
 * since its sessions share the sockets and the capture. */
static int
route_families(struct resolved *t, struct families *f, const struct options *o,
    const struct ip_addr *src, char *err, size_t errlen)
{
	struct local_info other;
	char a[IP_ADDR_STRLEN], l1[IP_ADDR_STRLEN], l2[IP_ADDR_STRLEN];
	char why[200];
	enum net_err e;
	int first = t->probe[0].family;

	for (int k = 0; k < 2; k++) {
		int family = k == 0 ? first : first == AF_INET ? AF_INET6 : AF_INET;
		int fi = fam_index(family), at = -1;

		for (int i = 0; i < t->n_probe && at < 0; i++)
			if (t->probe[i].family == family)
				at = i;
		if (at < 0)
			continue;
		/* --source names one family's address: the other family has
		 * none to leave from. */
		if (src && src->family != family) {
			if (k == 0) {
				snprintf(err, errlen, "--source %s is an %s "
				    "address, the gateway's is %s: give one of "
				    "the same family", o->source,
				    ip_family_name(src->family),
				    ip_family_name(family));
				return EXIT_USAGE;
			}
			snprintf(why, sizeof(why), "--source is an %s address",
			    ip_family_name(src->family));
			drop_family(t, family, why);
			continue;
		}
		if ((e = route_lookup(&t->probe[at], o->ifname, src, &f->local[fi],
		    err, errlen)) != NET_OK) {
			if (k == 0 || e == NET_ERR_PRIV)
				return net_status(e);
			snprintf(why, sizeof(why), "no route from this machine "
			    "(%.150s)", err);
			drop_family(t, family, why);
			continue;
		}
		if (k == 1 && strcmp(f->local[fi].ifname,
		    f->local[fam_index(first)].ifname) != 0) {
			snprintf(why, sizeof(why), "it leaves by %s, %s by %s: "
			    "probe it on its own (-%c)", f->local[fi].ifname,
			    ip_family_name(first), f->local[fam_index(first)].ifname,
			    family == AF_INET ? '4' : '6');
			drop_family(t, family, why);
			continue;
		}
		f->used[fi] = true;
		for (int i = 0; i < t->n_probe; i++) {
			if (t->probe[i].family != family || i == at)
				continue;
			if ((e = route_lookup(&t->probe[i], o->ifname, src, &other,
			    err, errlen)) != NET_OK)
				return net_status(e);
			if (!ip_addr_eq(&other.addr, &f->local[fi].addr) ||
			    strcmp(other.ifname, f->local[fi].ifname) != 0) {
				snprintf(err, errlen, "--all-addresses: %s is "
				    "reached from %s on %s, not from %s on %s like "
				    "the first: probe it on its own, or give "
				    "--interface", ip_addr_str(&t->probe[i], a,
				    sizeof(a)), ip_addr_str(&other.addr, l2,
				    sizeof(l2)), other.ifname,
				    ip_addr_str(&f->local[fi].addr, l1, sizeof(l1)),
				    f->local[fi].ifname);
				return EXIT_USAGE;
			}
		}
	}
	return 0;
}

/* Open everything that needs privilege, then give privilege up. */
static int
setup(struct io *io, struct families *f, const struct options *o,
    struct resolved *t, struct bundle *b, char *err, size_t errlen)
{
	struct ip_addr src, locals[2];
	struct local_info cap;
	char filter[4096];
	FILE *pcap;
	enum net_err e;
	int rc, n_locals = 0;

	if (o->source && !ip_addr_parse(o->source, &src)) {
		snprintf(err, errlen, "--source `%s' is not an IP address: give "
		    "one of this machine's addresses", o->source);
		return EXIT_USAGE;
	}
	memset(f, 0, sizeof(*f));
	if ((rc = route_families(t, f, o, o->source ? &src : NULL, err,
	    errlen)) != 0)
		return rc;
	/* Before anything is sent: an output directory we cannot write is
	 * an error now, not after the run. */
	if (o->output_dir && (e = bundle_open(b, o->output_dir, err,
	    errlen)) != NET_OK)
		return net_status(e);
	for (int fi = 0; fi < 2; fi++) {
		if (!f->used[fi])
			continue;
		if ((e = io_open_raw(io, fi ? AF_INET6 : AF_INET, o->ifname, err,
		    errlen)) != NET_OK)
			return net_status(e);
		for (int i = 0; i < o->n_ports; i++) {
			f->ports[fi][i].dport = o->ports[i];
			if ((e = io_hold(io, &f->local[fi].addr, o->ports[i],
			    &f->ports[fi][i].sport, &f->ports[fi][i].sport_errno,
			    err, errlen)) != NET_OK)
				return net_status(e);
		}
		locals[n_locals++] = f->local[fi].addr;
	}
	/* One capture on the one interface both families leave by, its
	 * snapshot long enough for the larger MTU. */
	cap = f->local[fam_index(t->probe[0].family)];
	for (int fi = 0; fi < 2; fi++)
		if (f->used[fi] && f->local[fi].mtu > cap.mtu)
			cap.mtu = f->local[fi].mtu;
	/* MAX_ADDRS addresses always fit. */
	if (!capture_filter(filter, sizeof(filter), t->probe, t->n_probe,
	    locals, n_locals, o->no_sstp ? 0 : o->sstp_port)) {
		snprintf(err, errlen, "the capture filter for %d addresses is "
		    "too long: probe fewer with --all-addresses", t->n_probe);
		return EXIT_USAGE;
	}
	if ((e = io_open_capture(io, &cap, filter, o->pcap_path, err,
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

/* One address's sessions diagnosed (its JSON comes after every address
 * is, since the families are judged together). */
static void
report_one(struct report *rep, const struct ike_session *s,
    const struct sstp_session *sstp, const struct options *o,
    const struct resolved *t, const struct host_info *host,
    struct cert_store *trust)
{
	memset(rep, 0, sizeof(*rep));
	rep->started = (double)s->started / 1e6;
	rep->target_name = o->target;
	rep->target = s->target;
	rep->local = s->local;
	memcpy(rep->addrs, t->all, sizeof(rep->addrs));
	rep->n_addrs = t->n_all;
	for (int i = 0; i < t->n_all; i++) {
		for (int k = 0; k < t->n_probe; k++)
			rep->probed[i] |= ip_addr_eq(&t->all[i], &t->probe[k]);
		rep->why_not[i] = t->why_not[i][0] ? t->why_not[i] : NULL;
	}
	rep->all_addresses = o->all_addresses;
	rep->label = o->label;
	rep->host = host;
	rep->ca_file = o->ca_file;
	rep->trust = trust;
	rep->sstp.sess = sstp;
	path_info_read(&s->target, &s->local, &rep->path);
	rep->duration_ms = s->duration * 1000.0;
	/* A network fault mid-run still gives a report of what was seen,
	 * marked incomplete, and exit status 3. */
	diagnose(rep, s);
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
	static struct report reps[MAX_ADDRS];
	static struct families fam;
	struct report *rp[MAX_ADDRS];
	struct plan_config cfg;
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

	if ((rc = resolve(o.target, o.all_addresses, o.family, &t, err,
	    sizeof(err))) != 0)
		return cli_fail(rc, "%s", err);
	/* The roots the gateway's certificates are judged against, read
	 * while a root-only --ca file is still readable. */
	if (((!o.quick && !o.no_auth) || !o.no_sstp) &&
	    (trust = cert_store_open(o.ca_file, err, sizeof(err))) == NULL &&
	    o.ca_file)
		return cli_fail(EXIT_USAGE, "--ca: %s", err);
	io_init(&io);
	bundle_init(&b);
	if ((rc = setup(&io, &fam, &o, &t, &b, err, sizeof(err))) != 0) {
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
	for (int fi = 0; fi < 2; fi++)
		if (fam.used[fi] && (rc = size_config(&cfg.sizes, &fam.local[fi],
		    &o, err, sizeof(err))) != 0) {
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
		int fi = fam_index(t.probe[i].family);

		ike_session_init(&sess[i], &t.probe[i], &fam.local[fi],
		    fam.ports[fi], o.n_ports, &cfg);
		io_add(&io, &sess[i].base);
	}
	/* The SSTP check of each address, in the same loop: after the IKE
	 * sessions, so that what no session claims is still counted by the
	 * first IKE one. */
	for (int i = 0; i < t.n_probe && !o.no_sstp; i++) {
		sstp_session_init(&sstp[i], &t.probe[i],
		    &fam.local[fam_index(t.probe[i].family)].addr, o.sstp_port,
		    o.target);
		io_add(&io, &sstp[i].base);
	}
	io_run(&io);
	dropped = capture_dropped(&io.cap);

	/* The first report is the document's top level, the others follow
	 * in `others'. */
	for (int i = 0; i < t.n_probe; i++) {
		ike_session_finish(&sess[i], &io);
		if (!o.no_sstp)
			sstp_session_finish(&sstp[i], &io);
		sess[i].stats.dropped = dropped;
		/* Reassembly is shared: its count goes where unclaimed
		 * packets go, to the first report. */
		if (i == 0)
			sess[i].stats.reasm_expired = io.in.reasm.expired;
		report_one(&reps[i], &sess[i], o.no_sstp ? NULL : &sstp[i], &o,
		    &t, &host, trust);
		rp[i] = &reps[i];
	}
	diagnose_families(rp, t.n_probe);
	others = json_object_new_array();
	root = NULL;
	for (int i = 0; i < t.n_probe; i++) {
		json_object *j = report_json(&reps[i]);

		/* The worst over all addresses: 3 (a fault) > 1 (a problem). */
		if ((sess[i].faulted ? EXIT_CANNOT_RUN : reps[i].exit_status) > status)
			status = sess[i].faulted ? EXIT_CANNOT_RUN : reps[i].exit_status;
		if (root == NULL)
			root = j;
		else
			json_object_array_add(others, j);
	}
	for (int i = 0; i < t.n_probe; i++) {
		ike_session_free(&sess[i]);
		if (!o.no_sstp)
			sstp_session_free(&sstp[i]);
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
	{ "analyze", analyze_main },
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
