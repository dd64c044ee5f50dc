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
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "target.h"
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

/* A run: every gateway's sessions in one loop, with one pacing budget. */
struct run {
	const struct options *o;
	struct io	 io;
	struct target_run *tr;
	int		 n;
	struct plan_config cfg;
	struct host_info host;
	struct cert_store *trust;
	int		 status;	/* the worst */
};

/* Where a gateway's bundle goes: DIR itself for one gateway, DIR/NAME for
 * each of several, the name made safe for a directory's. */
static void
bundle_dir(char *buf, size_t len, const struct options *o, const char *name)
{
	size_t n;

	if (o->n_targets == 1) {
		snprintf(buf, len, "%s", o->output_dir);
		return;
	}
	n = (size_t)snprintf(buf, len, "%s/", o->output_dir);
	for (const char *c = name; *c && n + 1 < len; c++)
		buf[n++] = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' ?
		    *c : '_';
	buf[n < len ? n : len - 1] = '\0';
}

/* Route each gateway, and hold what its families need. One capture sees
 * one interface: a gateway reached by another than the first gateway's
 * is an error to say before anything is sent. */
static int
setup_targets(struct run *r, const struct ip_addr *src, char *err,
    size_t errlen)
{
	const struct options *o = r->o;
	const char *capif = NULL, *capname = NULL;
	enum net_err e;
	int rc;

	for (int k = 0; k < r->n; k++) {
		struct target_run *x = &r->tr[k];
		struct families *f = &x->fam;

		if ((rc = route_families(&x->t, f, o, src, err, errlen)) != 0) {
			if (r->n > 1) {
				char tmp[300];

				snprintf(tmp, sizeof(tmp), "%.*s", (int)sizeof(tmp) - 1,
				    err);
				snprintf(err, errlen, "%s: %s", x->name, tmp);
			}
			return rc;
		}
		for (int fi = 0; fi < 2; fi++) {
			if (!f->used[fi])
				continue;
			if (capif == NULL) {
				capif = f->local[fi].ifname;
				capname = x->name;
			} else if (strcmp(capif, f->local[fi].ifname) != 0) {
				snprintf(err, errlen, "`%s' is reached by %s, `%s' "
				    "by %s: one run captures on one interface; "
				    "probe them in separate runs, or give "
				    "--interface", x->name, f->local[fi].ifname,
				    capname, capif);
				return EXIT_USAGE;
			}
			if ((e = io_open_raw(&r->io, fi ? AF_INET6 : AF_INET,
			    o->ifname, err, errlen)) != NET_OK)
				return net_status(e);
			for (int i = 0; i < o->n_ports; i++) {
				f->ports[fi][i].dport = o->ports[i];
				if ((e = io_hold(&r->io, &f->local[fi].addr,
				    o->ports[i], &f->ports[fi][i].sport,
				    &f->ports[fi][i].sport_errno, err,
				    errlen)) != NET_OK)
					return net_status(e);
			}
		}
	}
	/* Two names of one address would be two sessions with one
	 * signature: which got a reply could not be told. */
	for (int k = 0; k < r->n; k++)
		for (int j = 0; j < k; j++)
			for (int a = 0; a < r->tr[k].t.n_probe; a++)
				for (int b = 0; b < r->tr[j].t.n_probe; b++)
					if (ip_addr_eq(&r->tr[k].t.probe[a],
					    &r->tr[j].t.probe[b])) {
						char s[IP_ADDR_STRLEN];

						snprintf(err, errlen, "`%s' and `%s' "
						    "are both %s: give it once",
						    r->tr[j].name, r->tr[k].name,
						    ip_addr_str(&r->tr[k].t.probe[a],
						    s, sizeof(s)));
						return EXIT_USAGE;
					}
	return 0;
}

/* Open everything that needs privilege, then give privilege up. */
static int
setup(struct run *r, char *err, size_t errlen)
{
	static struct ip_addr targets[MAX_TARGETS * MAX_ADDRS];
	const struct options *o = r->o;
	struct ip_addr src, locals[2 * MAX_TARGETS];
	struct local_info cap;
	static char filter[32768];
	FILE *pcap;
	enum net_err e;
	int rc, n_locals = 0, n_targets = 0;
	bool have_cap = false;

	if (o->source && !ip_addr_parse(o->source, &src)) {
		snprintf(err, errlen, "--source `%s' is not an IP address: give "
		    "one of this machine's addresses", o->source);
		return EXIT_USAGE;
	}
	if ((rc = setup_targets(r, o->source ? &src : NULL, err, errlen)) != 0)
		return rc;
	/* Several gateways: DIR holds a bundle for each. */
	if (o->output_dir && r->n > 1 && mkdir(o->output_dir, 0755) < 0 &&
	    errno != EEXIST) {
		snprintf(err, errlen, "--output `%s': %s: give a directory "
		    "that can be made", o->output_dir, strerror(errno));
		return EXIT_CANNOT_RUN;
	}
	memset(&cap, 0, sizeof(cap));
	for (int k = 0; k < r->n; k++) {
		struct target_run *x = &r->tr[k];

		/* Before anything is sent: an output directory we cannot
		 * write is an error now, not after the run. */
		if (o->output_dir) {
			bundle_dir(x->dir, sizeof(x->dir), o, x->name);
			if ((e = bundle_open(&x->b, x->dir, err, errlen)) !=
			    NET_OK)
				return net_status(e);
		}
		for (int i = 0; i < x->t.n_probe; i++)
			targets[n_targets++] = x->t.probe[i];
		for (int fi = 0; fi < 2; fi++) {
			bool seen = false;

			if (!x->fam.used[fi])
				continue;
			/* The capture's snapshot long enough for the
			 * largest MTU. */
			if (!have_cap || x->fam.local[fi].mtu > cap.mtu) {
				int mtu = x->fam.local[fi].mtu;

				if (!have_cap)
					cap = x->fam.local[fi];
				cap.mtu = mtu > cap.mtu ? mtu : cap.mtu;
				have_cap = true;
			}
			for (int i = 0; i < n_locals; i++)
				seen |= ip_addr_eq(&locals[i], &x->fam.local[fi].addr);
			if (!seen)
				locals[n_locals++] = x->fam.local[fi].addr;
		}
	}
	if (!capture_filter(filter, sizeof(filter), targets, n_targets,
	    locals, n_locals, o->no_sstp ? 0 : o->sstp_port)) {
		snprintf(err, errlen, "the capture filter for %d addresses is "
		    "too long: probe fewer gateways or addresses", n_targets);
		return EXIT_USAGE;
	}
	if ((e = io_open_capture(&r->io, &cap, filter, o->pcap_path, err,
	    errlen)) != NET_OK)
		return net_status(e);
	/* Each gateway's bundle gets the frames of its own sessions. */
	for (int k = 0; k < r->n && o->output_dir; k++) {
		struct target_run *x = &r->tr[k];

		if ((pcap = bundle_pcap_stream(&x->b)) == NULL) {
			snprintf(err, errlen, "cannot write the capture in "
			    "`%s': %s: give another --output directory",
			    x->b.dir, strerror(errno));
			return EXIT_CANNOT_RUN;
		}
		if ((x->sink = capture_sink_open(&r->io.cap, pcap, err,
		    errlen)) == NULL)
			return EXIT_CANNOT_RUN;
	}
	if ((e = privdrop(o->user, err, errlen)) != NET_OK)
		return net_status(e);
	return 0;
}

/* A gateway whose sessions have all ended: its report, now. With jsonl
 * it goes out at once; the others print after the run, in the order
 * given, so that every format says the same. */
static void
finish_target(struct run *r, struct target_run *x)
{
	const struct options *o = r->o;
	char err[400];
	struct doc d;
	int n = x->t.n_probe;

	if (target_report(x, &r->io, o, &r->host, r->trust, x == &r->tr[0]) < 0) {
		x->status = r->status = cli_fail(EXIT_CANNOT_RUN, "%s: out of "
		    "memory", x->name);
		return;
	}
	if (x->status > r->status)
		r->status = x->status;
	if (doc_read(x->json, strlen(x->json), &d, err, sizeof(err)) < 0) {
		x->status = r->status = cli_fail(EXIT_CANNOT_RUN, "internal "
		    "error: the report of %s does not read back: %s", x->name,
		    err);
		doc_free(&d);
		return;
	}
	/* Its capture ends here; the bundle's files go into place. */
	for (int i = 0; i < n; i++) {
		x->sess[i].base.sink = NULL;
		x->sstp[i].base.sink = NULL;
	}
	capture_sink_close(x->sink);
	x->sink = NULL;
	if (o->output_dir && bundle_write_report(&x->b, x->json, &d, err,
	    sizeof(err)) < 0)
		r->status = x->status = cli_fail(EXIT_CANNOT_RUN, "%s", err);
	if (o->format == FORMAT_JSONL) {
		cli_render(stdout, &d, x->json, o->format);
		fflush(stdout);
	}
	doc_free(&d);
}

/* io's word that a session ended: its gateway's report when it was the
 * last of them. */
static void
session_ended(void *arg, struct session *s)
{
	struct run *r = arg;

	for (int k = 0; k < r->n; k++) {
		struct target_run *x = &r->tr[k];
		bool mine = false;

		for (int i = 0; i < x->t.n_probe; i++)
			mine |= s == &x->sess[i].base || s == &x->sstp[i].base;
		if (mine && target_done(x, r->o) && !x->finished)
			finish_target(r, x);
		if (mine)
			return;
	}
}

/* After the run: the reports not printed yet, in the order given, and
 * with several gateways the table of them all. */
static void
print_reports(struct run *r)
{
	const struct options *o = r->o;
	struct doc *docs;
	char err[400];
	int n = 0;

	if (o->format == FORMAT_JSONL)
		return;
	if (o->format == FORMAT_JSON && r->n > 1)
		fputs("[\n", stdout);
	docs = calloc((size_t)r->n, sizeof(*docs));
	for (int k = 0; k < r->n && docs; k++) {
		struct target_run *x = &r->tr[k];

		if (x->json == NULL)
			continue;
		if (doc_read(x->json, strlen(x->json), &docs[n], err,
		    sizeof(err)) < 0) {
			doc_free(&docs[n]);
			continue;
		}
		if (o->format == FORMAT_JSON && r->n > 1) {
			fputs(x->json, stdout);
			fputs(k + 1 < r->n ? ",\n" : "\n", stdout);
		} else {
			if (n && o->format != FORMAT_JSON)
				fputc('\n', stdout);
			cli_render(stdout, &docs[n], x->json, o->format);
		}
		n++;
	}
	if (o->format == FORMAT_JSON && r->n > 1)
		fputs("]\n", stdout);
	if (r->n > 1 && o->format == FORMAT_TEXT)
		summary_text(stdout, docs, n, cli_color(stdout), cli_width(stdout));
	else if (r->n > 1 && o->format == FORMAT_MARKDOWN)
		summary_markdown(stdout, docs, n);
	for (int i = 0; i < n; i++)
		doc_free(&docs[i]);
	free(docs);
	fflush(stdout);
}

static void
run_free(struct run *r)
{
	for (int k = 0; k < r->n; k++)
		target_free(&r->tr[k], r->o);
	free(r->tr);
	io_close(&r->io);
	cert_store_free(r->trust);
}

static int
probe_main(int argc, char **argv)
{
	static struct run run;
	struct run *r = &run;
	struct kex_value kv;
	struct options o;
	struct sigaction sa;
	char err[400];
	int rc;

	if ((rc = options_parse(argc, argv, &o)) != 0)
		return rc < 0 ? 0 : rc;
	r->o = &o;
	if (crypto_init() < 0)
		return cli_fail(EXIT_CANNOT_RUN, "cannot initialise libsodium");
	/* Every session makes its own keys; a machine that cannot make one
	 * says so now, not as probes that never went. */
	if (kex_generate(IKE_DH_CURVE25519, &kv) < 0)
		return cli_fail(EXIT_CANNOT_RUN, "cannot generate an X25519 key");
	kex_free(&kv);

	if ((r->tr = calloc((size_t)o.n_targets, sizeof(*r->tr))) == NULL)
		return cli_fail(EXIT_CANNOT_RUN, "out of memory");
	r->n = o.n_targets;
	io_init(&r->io);
	for (int k = 0; k < r->n; k++) {
		struct target_run *x = &r->tr[k];

		x->name = o.targets[k];
		bundle_init(&x->b);
		if ((rc = target_resolve(x->name, o.all_addresses, o.family, &x->t, err,
		    sizeof(err))) != 0) {
			x->t.n_probe = 0;
			run_free(r);
			return cli_fail(rc, "%s", err);
		}
	}
	/* The roots the gateway's certificates are judged against, read
	 * while a root-only --ca file is still readable. */
	if (((!o.quick && !o.no_auth) || !o.no_sstp) &&
	    (r->trust = cert_store_open(o.ca_file, err, sizeof(err))) == NULL &&
	    o.ca_file) {
		run_free(r);
		return cli_fail(EXIT_USAGE, "--ca: %s", err);
	}
	if ((rc = setup(r, err, sizeof(err))) != 0) {
		run_free(r);
		return cli_fail(rc, "%s", err);
	}
	target_plan_config(&r->cfg, &o);
	for (int k = 0; k < r->n; k++)
		for (int fi = 0; fi < 2; fi++)
			if (r->tr[k].fam.used[fi] && (rc = size_config(&r->cfg.sizes,
			    &r->tr[k].fam.local[fi], &o, err, sizeof(err))) != 0) {
				run_free(r);
				return cli_fail(rc, "%s", err);
			}
	host_info_read(&r->host);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A TLS write to a server that has closed (the SSTP check) is an
	 * error to report, not the end of the run. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	/* One session per address of every gateway, all at once in one
	 * loop; a signal ends them all, and each report says what it saw
	 * until then. */
	r->io.stop = &stop_signal;
	r->io.trace = o.verbose ? stderr : NULL;
	r->io.on_done = session_ended;
	r->io.on_done_arg = r;
	for (int k = 0; k < r->n; k++)
		if (target_start(&r->tr[k], &r->io, &o, &r->cfg) < 0) {
			run_free(r);
			return cli_fail(EXIT_CANNOT_RUN, "out of memory");
		}
	io_run(&r->io);
	/* Interrupted or faulted: the gateways not finished yet report what
	 * they saw. */
	for (int k = 0; k < r->n; k++)
		if (!r->tr[k].finished)
			finish_target(r, &r->tr[k]);
	print_reports(r);
	rc = r->status;
	run_free(r);
	free(o.targets_buf);
	/* Interrupted: the report of what was seen is out; then the shell's
	 * convention, 128 + the signal (130 for ^C). */
	if (stop_signal)
		return 128 + stop_signal;
	return rc;
}

static const struct subcommand {
	const char	*name;
	int		(*main)(int, char **);
} subcommands[] = {
	{ "show", show_main },
	{ "compare", compare_main },
	{ "explain", explain_main },
	{ "analyze", analyze_main },
	{ "exporter", exporter_main },
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
