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

/* One gateway of the run: its addresses, what each family leaves from,
 * its sessions and, once they have all ended, its report. */
struct target_run {
	const char	*name;
	struct resolved	 t;
	struct families	 fam;
	struct ike_session sess[MAX_ADDRS];
	struct sstp_session sstp[MAX_ADDRS];
	struct report	 reps[MAX_ADDRS];
	struct peer_path path[MAX_ADDRS];	/* each address's, shared */
	struct bundle	 b;
	char		 dir[4096];	/* the bundle's */
	void		*sink;		/* its capture.pcap, with --output */
	bool		 finished;
	char		*json;		/* its report, once finished */
	int		 status;	/* what it exits with */
};

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
    const char *name, const struct resolved *t,
    const struct host_info *host, struct cert_store *trust)
{
	memset(rep, 0, sizeof(*rep));
	rep->started = (double)s->started / 1e6;
	rep->target_name = name;
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

/* A gateway whose sessions have all ended: its report, now. With jsonl
 * it goes out at once; the others print after the run, in the order
 * given, so that every format says the same. */
static void
finish_target(struct run *r, struct target_run *x)
{
	const struct options *o = r->o;
	struct report *rp[MAX_ADDRS];
	json_object *root = NULL, *others;
	long dropped = capture_dropped(&r->io.cap);
	char err[400];
	struct doc d;
	int n = x->t.n_probe;

	x->finished = true;
	for (int i = 0; i < n; i++) {
		ike_session_finish(&x->sess[i], &r->io);
		if (!o->no_sstp)
			sstp_session_finish(&x->sstp[i], &r->io);
		x->sess[i].stats.dropped = dropped;
		/* Reassembly is shared: its count goes where unclaimed
		 * packets go, to the first gateway's first report. */
		if (x == &r->tr[0] && i == 0)
			x->sess[i].stats.reasm_expired = r->io.in.reasm.expired;
		report_one(&x->reps[i], &x->sess[i], o->no_sstp ? NULL :
		    &x->sstp[i], o, x->name, &x->t, &r->host, r->trust);
		rp[i] = &x->reps[i];
	}
	diagnose_families(rp, n);
	/* The first address's report is the document's top level, the
	 * others follow in `others'. */
	others = json_object_new_array();
	for (int i = 0; i < n; i++) {
		json_object *j = report_json(&x->reps[i]);
		int st = x->sess[i].faulted ? EXIT_CANNOT_RUN :
		    x->reps[i].exit_status;

		/* The worst over all addresses: 3 (a fault) > 1 (a problem). */
		if (st > x->status)
			x->status = st;
		if (root == NULL)
			root = j;
		else
			json_object_array_add(others, j);
	}
	json_object_object_add(root, "others", others);
	x->json = strdup(json_object_to_json_string_ext(root, RENDER_JSON_FLAGS));
	json_object_put(root);
	if (x->json == NULL) {
		x->status = cli_fail(EXIT_CANNOT_RUN, "%s: out of memory", x->name);
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
		bool mine = false, all = true;

		for (int i = 0; i < x->t.n_probe; i++) {
			mine |= s == &x->sess[i].base || s == &x->sstp[i].base;
			all &= x->sess[i].base.done &&
			    (r->o->no_sstp || x->sstp[i].base.done);
		}
		if (mine && all && !x->finished)
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
	for (int k = 0; k < r->n; k++) {
		struct target_run *x = &r->tr[k];

		for (int i = 0; i < x->t.n_probe; i++) {
			ike_session_free(&x->sess[i]);
			if (!r->o->no_sstp)
				sstp_session_free(&x->sstp[i]);
		}
		capture_sink_close(x->sink);
		bundle_abort(&x->b);
		free(x->json);
	}
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
		if ((rc = resolve(x->name, o.all_addresses, o.family, &x->t, err,
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
	memset(&r->cfg, 0, sizeof(r->cfg));
	r->cfg.rto = o.rto_ms / 1000.0;
	r->cfg.max_attempts = o.attempts;
	r->cfg.backoff = 1.5;
	r->cfg.group = IKE_DH_CURVE25519;
	r->cfg.group_ok = group_ok;
	r->cfg.auth = !o.quick && !o.no_auth;
	r->cfg.audit = o.audit;
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
	for (int k = 0; k < r->n; k++) {
		struct target_run *x = &r->tr[k];

		for (int i = 0; i < x->t.n_probe; i++) {
			int fi = fam_index(x->t.probe[i].family);

			ike_session_init(&x->sess[i], &x->t.probe[i],
			    &x->fam.local[fi], x->fam.ports[fi], o.n_ports,
			    &r->cfg);
			x->sess[i].base.sink = x->sink;
			x->sess[i].base.path = &x->path[i];
			io_add(&r->io, &x->sess[i].base);
		}
	}
	/* The SSTP check of each address, in the same loop: after the IKE
	 * sessions, so that what no session claims is still counted by the
	 * first IKE one. */
	for (int k = 0; k < r->n && !o.no_sstp; k++) {
		struct target_run *x = &r->tr[k];

		for (int i = 0; i < x->t.n_probe; i++) {
			sstp_session_init(&x->sstp[i], &x->t.probe[i],
			    &x->fam.local[fam_index(x->t.probe[i].family)].addr,
			    o.sstp_port, x->name);
			x->sstp[i].base.sink = x->sink;
			x->sstp[i].base.path = &x->path[i];
			io_add(&r->io, &x->sstp[i].base);
		}
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
