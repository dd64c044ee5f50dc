/* One gateway of a run, from its name to its report (target.h). */
#include <errno.h>
#include <json-c/json.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ikeprobe/kex.h"
#include "ikeprobe/render.h"
#include "ikeprobe/sizes.h"
#include "target.h"

int
net_status(enum net_err e)
{
	return e == NET_ERR_USAGE ? EXIT_USAGE : EXIT_CANNOT_RUN;
}


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
int
target_resolve(const char *name, bool every, int family, struct resolved *out,
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


int
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
int
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

/* Size options checked against the interface MTU, known only now. */
int
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


void
target_plan_config(struct plan_config *cfg, const struct options *o)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->rto = o->rto_ms / 1000.0;
	cfg->max_attempts = o->attempts;
	cfg->backoff = 1.5;
	cfg->group = IKE_DH_CURVE25519;
	cfg->group_ok = group_ok;
	cfg->auth = !o->quick && !o->no_auth;
	cfg->audit = o->audit;
}

int
target_start(struct target_run *x, struct io *io, const struct options *o,
    const struct plan_config *cfg)
{
	size_t n = (size_t)x->t.n_probe;

	x->sess = calloc(n, sizeof(*x->sess));
	x->sstp = calloc(n, sizeof(*x->sstp));
	x->reps = calloc(n, sizeof(*x->reps));
	if (x->sess == NULL || x->sstp == NULL || x->reps == NULL)
		return -1;
	for (int i = 0; i < x->t.n_probe; i++) {
		int fi = fam_index(x->t.probe[i].family);

		ike_session_init(&x->sess[i], &x->t.probe[i], &x->fam.local[fi],
		    x->fam.ports[fi], o->n_ports, cfg);
		x->sess[i].base.sink = x->sink;
		x->sess[i].base.path = &x->path[i];
		io_add(io, &x->sess[i].base);
	}
	/* The SSTP check of each address, in the same loop: after the IKE
	 * sessions, so that what no session claims is still counted by the
	 * first IKE one. */
	for (int i = 0; i < x->t.n_probe && !o->no_sstp; i++) {
		sstp_session_init(&x->sstp[i], &x->t.probe[i],
		    &x->fam.local[fam_index(x->t.probe[i].family)].addr,
		    o->sstp_port, x->name);
		x->sstp[i].base.sink = x->sink;
		x->sstp[i].base.path = &x->path[i];
		io_add(io, &x->sstp[i].base);
	}
	x->started = true;
	return 0;
}

bool
target_done(const struct target_run *x, const struct options *o)
{
	if (!x->started)
		return false;
	for (int i = 0; i < x->t.n_probe; i++)
		if (!x->sess[i].base.done || (!o->no_sstp && !x->sstp[i].base.done))
			return false;
	return true;
}

int
target_report(struct target_run *x, struct io *io,
    const struct options *o, const struct host_info *host,
    struct cert_store *trust, bool first)
{
	struct report *rp[MAX_ADDRS];
	json_object *root = NULL, *others;
	long dropped = capture_dropped(&io->cap);
	int n = x->t.n_probe;

	for (int i = 0; i < n; i++) {
		ike_session_finish(&x->sess[i], io);
		if (!o->no_sstp)
			sstp_session_finish(&x->sstp[i], io);
		x->sess[i].stats.dropped = dropped;
		/* Reassembly is shared: its count goes where unclaimed
		 * packets go, to the first gateway's first report. */
		if (first && i == 0)
			x->sess[i].stats.reasm_expired = io->in.reasm.expired;
		report_one(&x->reps[i], &x->sess[i], o->no_sstp ? NULL :
		    &x->sstp[i], o, x->name, &x->t, host, trust);
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
	x->finished = true;
	return x->json ? 0 : -1;
}

void
target_free(struct target_run *x, const struct options *o)
{
	for (int i = 0; i < x->t.n_probe && x->started; i++) {
		ike_session_free(&x->sess[i]);
		if (!o->no_sstp)
			sstp_session_free(&x->sstp[i]);
	}
	capture_sink_close(x->sink);
	x->sink = NULL;
	bundle_abort(&x->b);
	free(x->json);
	free(x->sess);
	free(x->sstp);
	free(x->reps);
	x->json = NULL;
	x->sess = NULL;
	x->sstp = NULL;
	x->reps = NULL;
	x->started = false;
}
