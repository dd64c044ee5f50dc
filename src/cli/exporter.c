/* `ikeprobe exporter': the probes as a Prometheus multi-target exporter
 * (blackbox_exporter's pattern). Prometheus asks GET /probe?target=NAME&
 * module=M; the probe runs in the same engine as a command-line run (one
 * poll loop, one pacing budget, target.c), and the answer is its metrics
 * (output/metrics.c). GET /metrics is the exporter's own health.
 *
 * One process, one thread: libmicrohttpd runs without threads of its own
 * (its epoll descriptor is one more descriptor of the loop, served by the
 * loop's first session), and a /probe connection is suspended while its
 * probe runs, then resumed with the answer. Everything that needs
 * privilege (raw sockets, the capture, UDP 500 and 4500, the listening
 * socket) is opened first; then privilege is dropped for good, so no HTTP
 * request is ever parsed with it. What a probe may do is the
 * configuration's (exporter.h): the query string chooses only a target and
 * a module, both checked; probes run at most max_concurrent at once and
 * one target at most once per min_interval, so the exporter cannot be made
 * a packet cannon. */
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "config.h"
#include "ikeprobe/context.h"
#include "ikeprobe/exporter.h"
#include "ikeprobe/sizes.h"
#include "cli.h"
#include "target.h"

#define JOBS_MAX	64	/* probes running and waiting for a slot */
#define JOB_WAITERS	8	/* requests for one probe (Prometheus HA pairs) */
#define CACHE_MAX	256	/* targets remembered for the rate limit */
#define CONN_MAX	64	/* HTTP connections at once */

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

static const char usage[] =
"usage: ikeprobe exporter --listen ADDR:PORT [--config FILE] [--user USER]\n"
"                         [--interface IF] [--source ADDR] [--ca FILE] [-v]\n"
"\n"
"Serve ikeprobe's checks to Prometheus: GET /probe?target=GATEWAY&module=M\n"
"runs one probe and answers with its metrics; GET /metrics gives the\n"
"exporter's own. docs/EXPORTER.md has the metrics, the configuration file,\n"
"a scrape configuration, alert rules and a systemd unit.\n"
"\n"
"  -l, --listen ADDR:PORT  where to serve HTTP, e.g. 127.0.0.1:9745,\n"
"                          [::1]:9745, or :9745 for every address\n"
"  -c, --config FILE       modules, limits and the allow-list (built in:\n"
"                          modules quick and full, 2 probes at once, one\n"
"                          probe of a target per 30 s, every target allowed)\n"
"  -u, --user USER         unprivileged user to serve as (nobody)\n"
"  -i, --interface IF      capture on IF only (default: every interface)\n"
"  -s, --source ADDR       send from this local address\n"
"      --ca FILE           judge certificates against these CA certificates\n"
"  -v, --verbose           every packet on stderr\n"
"  -h, --help              this text\n"
"Needs CAP_NET_RAW (and CAP_NET_BIND_SERVICE for source ports 500 and\n"
"4500): start it as root, or with those capabilities.\n";

struct exporter;

/* One /probe request, suspended while its probe runs. */
struct waiter {
	struct MHD_Connection *conn;
	struct job	*job;		/* NULL once answered */
	bool		 json;		/* format=json: the report itself */
	int		 status;
	char		*body;
	size_t		 len;
	bool		 ready;		/* the answer is in, resume it */
};

/* One probe: waiting for a slot, then running, then answered. */
struct job {
	bool		 used, running;
	struct exporter_request req;
	double		 arrived, deadline;	/* monotonic */
	struct options	 o;
	struct plan_config cfg;
	struct target_run x;
	struct waiter	*w[JOB_WAITERS];
	int		 n_w;
};

/* The last probe of a target, for the rate limit and for a second
 * scraper within min_interval (an HA pair of Prometheus servers). */
struct cached {
	char		 target[EXPORTER_TARGET_MAX + 1];
	int		 module;
	double		 at;		/* monotonic */
	char		*body;
	size_t		 len;
};

/* The loop's first session: the HTTP server. */
struct server {
	struct session	 base;
	struct exporter	*ex;
};

struct exporter {
	struct exporter_config cfg;
	struct exporter_health health;
	struct io	 io;
	struct server	 srv;
	struct MHD_Daemon *mhd;
	int		 epfd;
	const char	*source, *ifname, *ca_file;
	struct ip_addr	 src;
	bool		 have_src;
	struct host_info host;
	struct cert_store *trust;
	struct job	 jobs[JOBS_MAX];
	struct cached	 cache[CACHE_MAX];
	bool		 filter_dirty;
	bool		 verbose;
};

static void
log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
log_line(const char *fmt, ...)
{
	va_list ap;

	fputs("ikeprobe exporter: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- answers ------------------------------------------------------------ */

static enum MHD_Result
answer(struct exporter *ex, struct MHD_Connection *c, int status,
    const char *ctype, const char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len,
	    (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", ctype);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	rc = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	ex->health.requests[exporter_http_code_index(status)]++;
	return rc;
}

static enum MHD_Result
answer_text(struct exporter *ex, struct MHD_Connection *c, int status,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum MHD_Result
answer_text(struct exporter *ex, struct MHD_Connection *c, int status,
    const char *fmt, ...)
{
	char buf[600];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	return answer(ex, c, status, "text/plain; charset=utf-8", buf, (size_t)n);
}

#define METRICS_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* ---- the rate limit ----------------------------------------------------- */

static struct cached *
cache_find(struct exporter *ex, const char *target, int module)
{
	for (int i = 0; i < CACHE_MAX; i++)
		if (ex->cache[i].body && strcmp(ex->cache[i].target, target) == 0 &&
		    (module < 0 || ex->cache[i].module == module))
			return &ex->cache[i];
	return NULL;
}

static void
cache_put(struct exporter *ex, const char *target, int module,
    const char *body, size_t len, double now)
{
	struct cached *c = cache_find(ex, target, module), *oldest = NULL;
	char *copy = malloc(len ? len : 1);

	if (copy == NULL)
		return;
	memcpy(copy, body, len);
	for (int i = 0; c == NULL && i < CACHE_MAX; i++)
		if (ex->cache[i].body == NULL)
			c = &ex->cache[i];
		else if (oldest == NULL || ex->cache[i].at < oldest->at)
			oldest = &ex->cache[i];
	if (c == NULL)
		c = oldest;
	free(c->body);
	snprintf(c->target, sizeof(c->target), "%s", target);
	c->module = module;
	c->at = now;
	c->body = copy;
	c->len = len;
}

/* ---- probes ------------------------------------------------------------- */

/* A module as the options of one run. */
static void
module_options(const struct exporter *ex, const struct exporter_module *m,
    struct options *o)
{
	memset(o, 0, sizeof(*o));
	if (m->n_ports) {
		memcpy(o->ports, m->ports, sizeof(m->ports[0]) * (size_t)m->n_ports);
		o->n_ports = m->n_ports;
	} else {
		o->ports[0] = 500;
		o->ports[1] = 4500;
		o->n_ports = 2;
	}
	o->attempts = 5;
	o->rto_ms = 200;
	o->quick = m->quick;
	o->no_auth = m->no_auth;
	o->no_sstp = m->no_sstp;
	o->audit = m->audit;
	o->family = m->family;
	o->sstp_port = m->sstp_port ? m->sstp_port : 443;
	o->source = ex->source;
	/* --interface binds the raw sockets and the capture at start; a
	 * route lookup bound to it would need the privilege gone by now. */
	o->ifname = NULL;
	o->ca_file = ex->ca_file;
	o->format = FORMAT_JSON;
}

/* The source port held for a family's wildcard and a port. */
static bool
held_port(const struct io *io, int family, uint16_t dport,
    struct port_pair *pp)
{
	for (int i = 0; i < io->n_held; i++)
		if (io->held[i].dport == dport && io->held[i].local.family == family) {
			pp->dport = dport;
			pp->sport = io->held[i].sport;
			pp->sport_errno = io->held[i].why;
			return true;
		}
	return false;
}

static int
running_jobs(const struct exporter *ex)
{
	int n = 0;

	for (int i = 0; i < JOBS_MAX; i++)
		n += ex->jobs[i].used && ex->jobs[i].running;
	return n;
}

/* The capture sees the gateways of the probes that run, nothing else. */
static void
update_filter(struct exporter *ex)
{
	static struct ip_addr targets[JOBS_MAX * MAX_ADDRS];
	static char filter[32768];
	struct ip_addr locals[2 * JOBS_MAX];
	int nt = 0, nl = 0;
	uint16_t tcp = 0;
	char err[300];

	ex->filter_dirty = false;
	for (int i = 0; i < JOBS_MAX; i++) {
		const struct job *j = &ex->jobs[i];

		if (!j->used || !j->running)
			continue;
		for (int a = 0; a < j->x.t.n_probe; a++)
			targets[nt++] = j->x.t.probe[a];
		for (int fi = 0; fi < 2; fi++) {
			bool seen = false;

			if (!j->x.fam.used[fi])
				continue;
			for (int k = 0; k < nl; k++)
				seen |= ip_addr_eq(&locals[k], &j->x.fam.local[fi].addr);
			if (!seen)
				locals[nl++] = j->x.fam.local[fi].addr;
		}
		/* One TCP port in the filter: the first probe's. */
		if (!j->o.no_sstp && tcp == 0)
			tcp = j->o.sstp_port;
	}
	if (nt == 0 || !capture_filter(filter, sizeof(filter), targets, nt,
	    locals, nl, tcp))
		snprintf(filter, sizeof(filter), "less 1");	/* nothing */
	if (capture_set_filter(&ex->io.cap, filter, err, sizeof(err)) != NET_OK)
		log_line("%s", err);
}

static void
job_answer(struct exporter *ex, struct job *j, int status, const char *body,
    size_t len)
{
	for (int i = 0; i < j->n_w; i++) {
		struct waiter *w = j->w[i];

		const char *b = body;
		size_t n = len;

		/* format=json: why the metrics say what they say. */
		if (w->json && status == 200 && j->x.json) {
			b = j->x.json;
			n = strlen(j->x.json);
		}
		w->status = status;
		w->body = malloc(n ? n : 1);
		if (w->body) {
			memcpy(w->body, b, n);
			w->len = n;
		}
		w->job = NULL;
		w->ready = true;
		MHD_resume_connection(w->conn);
	}
	j->n_w = 0;
	(void)ex;
}

/* A probe that could not run (the name does not resolve, no route): as
 * blackbox_exporter does, probe_success 0, and the reason in the log. */
static void
job_failed(struct exporter *ex, struct job *j, const char *why, double now)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	log_line("probe target=%s module=%s: %s", j->req.target,
	    j->req.module->name, why);
	if (f) {
		exporter_metrics_probe(f, NULL, now - j->arrived);
		fclose(f);
	}
	ex->health.probes[j->req.module_index]++;
	ex->health.probe_failures[j->req.module_index]++;
	job_answer(ex, j, buf ? 200 : 500, buf ? buf : "", buf ? len : 0);
	free(buf);
	j->used = false;
}

/* Resolve, check the allow-list, route and start the sessions. */
static void
job_start(struct exporter *ex, struct job *j, double now)
{
	struct target_run *x = &j->x;
	char err[400];
	int rc;

	memset(x, 0, sizeof(*x));
	bundle_init(&x->b);
	x->name = j->req.target;
	module_options(ex, j->req.module, &j->o);
	/* A name's addresses come from the resolver, which blocks; a
	 * gateway's name is in any resolver's cache. */
	if ((rc = target_resolve(x->name, false, j->o.family, &x->t, err,
	    sizeof(err))) != 0) {
		job_failed(ex, j, err, now);
		return;
	}
	/* Each address it resolves to: allowed by the name or by a prefix,
	 * and never one that is not a gateway's (0.0.0.0, multicast). */
	for (int i = 0; i < x->t.n_probe; i++) {
		char a[IP_ADDR_STRLEN];

		if (exporter_allowed(&ex->cfg, &x->t.probe[i],
		    j->req.is_address ? NULL : j->req.target))
			continue;
		ip_addr_str(&x->t.probe[i], a, sizeof(a));
		snprintf(err, sizeof(err), "%s %s", a,
		    exporter_address_usable(&x->t.probe[i]) ?
		    "is not in the allow-list" : "is not an address a gateway "
		    "can have");
		job_failed(ex, j, err, now);
		return;
	}
	if ((rc = route_families(&x->t, &x->fam, &j->o, ex->have_src ?
	    &ex->src : NULL, err, sizeof(err))) != 0) {
		job_failed(ex, j, err, now);
		return;
	}
	target_plan_config(&j->cfg, &j->o);
	for (int fi = 0; fi < 2; fi++) {
		if (!x->fam.used[fi])
			continue;
		if (ex->io.raw[fi] < 0) {
			job_failed(ex, j, fi ? "no IPv6 raw socket (IPv6 was "
			    "off when the exporter started)" : "no IPv4 raw "
			    "socket", now);
			return;
		}
		for (int i = 0; i < j->o.n_ports; i++)
			if (!held_port(&ex->io, fi ? AF_INET6 : AF_INET,
			    j->o.ports[i], &x->fam.ports[fi][i])) {
				job_failed(ex, j, "a module's port was not held "
				    "at start", now);
				return;
			}
		ingest_local(&ex->io.in, &x->fam.local[fi].addr);
		if ((rc = size_config(&j->cfg.sizes, &x->fam.local[fi], &j->o,
		    err, sizeof(err))) != 0) {
			job_failed(ex, j, err, now);
			return;
		}
	}
	if (target_start(x, &ex->io, &j->o, &j->cfg) < 0) {
		target_free(x, &j->o);
		job_failed(ex, j, "out of memory", now);
		return;
	}
	for (int i = 0; i < x->t.n_probe; i++) {
		x->sess[i].base.deadline = j->deadline;
		x->sstp[i].base.deadline = j->deadline;
	}
	j->running = true;
	ex->health.probes_running = running_jobs(ex);
	ex->filter_dirty = true;
}

/* Its sessions have all ended: the report, its metrics, the answer. */
static void
job_finish(struct exporter *ex, struct job *j, double now)
{
	struct target_run *x = &j->x;
	char err[300], *buf = NULL;
	size_t len = 0;
	struct doc d;
	FILE *f;
	bool ok = false;

	memset(&d, 0, sizeof(d));
	if (target_report(x, &ex->io, &j->o, &ex->host, ex->trust, false) == 0 &&
	    doc_read(x->json, strlen(x->json), &d, err, sizeof(err)) == 0)
		ok = true;
	else
		log_line("probe target=%s: the report does not read back",
		    j->req.target);
	if ((f = open_memstream(&buf, &len)) != NULL) {
		exporter_metrics_probe(f, ok ? &d : NULL, now - j->arrived);
		fclose(f);
	}
	ex->health.probes[j->req.module_index]++;
	if (!ok || x->status != 0)
		ex->health.probe_failures[j->req.module_index]++;
	log_line("probe target=%s module=%s: %s in %.2f s", j->req.target,
	    j->req.module->name, ok ? doc_s(&d.status, "?") : "failed",
	    now - j->arrived);
	doc_free(&d);
	if (buf) {
		cache_put(ex, j->req.target, j->req.module_index, buf, len, now);
		job_answer(ex, j, 200, buf, len);
	} else
		job_answer(ex, j, 500, "", 0);
	free(buf);
	/* Out of the loop, then gone. */
	for (int i = 0; i < x->t.n_probe; i++) {
		io_remove(&ex->io, &x->sess[i].base);
		io_remove(&ex->io, &x->sstp[i].base);
	}
	target_free(x, &j->o);
	j->used = j->running = false;
	ex->health.probes_running = running_jobs(ex);
	ex->filter_dirty = true;
}

/* Finished probes answered, waiting ones started in their turn. */
static void
jobs_step(struct exporter *ex, double now)
{
	for (int i = 0; i < JOBS_MAX; i++) {
		struct job *j = &ex->jobs[i];

		if (j->used && j->running && target_done(&j->x, &j->o))
			job_finish(ex, j, now);
	}
	for (;;) {
		struct job *next = NULL;

		for (int i = 0; i < JOBS_MAX; i++) {
			struct job *j = &ex->jobs[i];

			if (j->used && !j->running && (next == NULL ||
			    j->arrived < next->arrived))
				next = j;
		}
		if (next == NULL)
			break;
		/* Too little time left to be worth starting. */
		if (next->deadline - now < EXPORTER_TIMEOUT_MIN) {
			static const char busy[] = "too many probes at once: "
			    "raise max_concurrent\n";

			ex->health.busy++;
			job_answer(ex, next, 503, busy, sizeof(busy) - 1);
			next->used = false;
			continue;
		}
		if (running_jobs(ex) >= ex->cfg.max_concurrent)
			break;
		job_start(ex, next, now);
	}
	if (ex->filter_dirty)
		update_filter(ex);
}

/* ---- HTTP --------------------------------------------------------------- */

static struct job *
job_for(struct exporter *ex, const char *target)
{
	for (int i = 0; i < JOBS_MAX; i++)
		if (ex->jobs[i].used && strcmp(ex->jobs[i].req.target, target) == 0)
			return &ex->jobs[i];
	return NULL;
}

static enum MHD_Result
probe_request(struct exporter *ex, struct MHD_Connection *c, void **state)
{
	struct exporter_request req;
	const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "target");
	const char *m = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "module");
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    EXPORTER_SCRAPE_HEADER);
	struct cached *hit;
	struct waiter *w;
	struct job *j;
	double now = mono_now();
	char err[300];

	if (exporter_request_parse(&ex->cfg, t, m, h, &req, err,
	    sizeof(err)) < 0) {
		ex->health.bad_requests++;
		return answer_text(ex, c, 400, "%s", err);
	}
	/* An address is checked now, a name once it is resolved. */
	if (req.is_address && !exporter_allowed(&ex->cfg, &req.addr, NULL)) {
		ex->health.not_allowed++;
		return answer_text(ex, c, 403, "%s is not in the allow-list",
		    req.target);
	}
	/* Probed a moment ago: the same answer again, to a second scraper;
	 * with another module, not yet. */
	if ((hit = cache_find(ex, req.target, req.module_index)) != NULL &&
	    now - hit->at < ex->cfg.min_interval &&
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format") == NULL)
		return answer(ex, c, 200, METRICS_TYPE, hit->body, hit->len);
	if (((hit = cache_find(ex, req.target, -1)) != NULL &&
	    now - hit->at < ex->cfg.min_interval) ||
	    ((j = job_for(ex, req.target)) != NULL &&
	    j->req.module_index != req.module_index)) {
		ex->health.rate_limited++;
		return answer_text(ex, c, 429, "%s was probed less than %.0f s "
		    "ago (min_interval)", req.target, ex->cfg.min_interval);
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return answer_text(ex, c, 500, "out of memory");
	if ((j = job_for(ex, req.target)) == NULL) {
		for (int i = 0; i < JOBS_MAX && j == NULL; i++)
			if (!ex->jobs[i].used)
				j = &ex->jobs[i];
		if (j == NULL) {
			free(w);
			ex->health.busy++;
			return answer_text(ex, c, 503, "too many probes waiting");
		}
		memset(j, 0, sizeof(*j));
		j->used = true;
		j->req = req;
		/* req.module points into the config, which does not move. */
		j->arrived = now;
		j->deadline = now + req.timeout;
	} else if (j->n_w == JOB_WAITERS) {
		free(w);
		ex->health.busy++;
		return answer_text(ex, c, 503, "too many requests for %s",
		    req.target);
	}
	w->conn = c;
	w->job = j;
	w->json = (t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "format")) != NULL && strcmp(t, "json") == 0;
	j->w[j->n_w++] = w;
	*state = w;
	MHD_suspend_connection(c);
	return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **state)
{
	struct exporter *ex = cls;
	struct waiter *w = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	enum MHD_Result rc;

	(void)version;
	(void)upload;
	if (w != NULL) {
		/* Resumed with its probe's answer. */
		if (!w->ready)
			return MHD_YES;
		rc = answer(ex, c, w->status, w->status != 200 ?
		    "text/plain; charset=utf-8" : w->json ? "application/json" :
		    METRICS_TYPE, w->body ? w->body : "", w->body ? w->len : 0);
		return rc;
	}
	if (*upload_len) {
		*upload_len = 0;	/* a GET has no body: ignore one */
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return answer_text(ex, c, 405, "only GET");
	if (strcmp(url, "/probe") == 0)
		return probe_request(ex, c, state);
	if (strcmp(url, "/metrics") == 0) {
		if ((f = open_memstream(&buf, &len)) == NULL)
			return answer_text(ex, c, 500, "out of memory");
		exporter_metrics_health(f, &ex->cfg, &ex->health);
		fclose(f);
		rc = answer(ex, c, 200, METRICS_TYPE, buf, len);
		free(buf);
		return rc;
	}
	if (strcmp(url, "/") == 0)
		return answer_text(ex, c, 200, "ikeprobe %s exporter: "
		    "/probe?target=GATEWAY&module=MODULE, /metrics",
		    IKEPROBE_VERSION);
	return answer_text(ex, c, 404, "no such page: try /probe or /metrics");
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **state,
    enum MHD_RequestTerminationCode why)
{
	struct waiter *w = *state;

	(void)cls;
	(void)c;
	(void)why;
	if (w == NULL)
		return;
	/* A waiter still in a job (the daemon stops) leaves it first. */
	if (w->job) {
		struct job *j = w->job;

		for (int i = 0; i < j->n_w; i++)
			if (j->w[i] == w)
				j->w[i] = j->w[--j->n_w];
	}
	free(w->body);
	free(w);
	*state = NULL;
}

/* ---- the server in the loop --------------------------------------------- */

/* A probe's session ended: the server runs again at once, to answer. */
static void
session_ended(void *arg, struct session *s)
{
	struct exporter *ex = arg;

	(void)s;
	ex->io.again = true;
}

static double
server_run(struct session *base, struct io *io, double now)
{
	struct server *s = (struct server *)base;
	struct exporter *ex = s->ex;
	MHD_UNSIGNED_LONG_LONG ms;
	double due = now + 1;

	if (io_stopping(io)) {
		base->done = true;
		return due;
	}
	jobs_step(ex, now);
	MHD_run(ex->mhd);
	if (MHD_get_timeout(ex->mhd, &ms) == MHD_YES && now + (double)ms / 1e3 < due)
		due = now + (double)ms / 1e3;
	/* A waiting probe may start when one ends: run again soon. */
	for (int i = 0; i < JOBS_MAX; i++)
		if (ex->jobs[i].used && !ex->jobs[i].running && now + 0.05 < due)
			due = now + 0.05;
	return due;
}

static int
server_fd(const struct session *base, short *events)
{
	const struct server *s = (const struct server *)base;

	*events = POLLIN;
	return s->ex->epfd;
}

static void
server_ready(struct session *base, struct io *io, short revents, double now)
{
	struct server *s = (struct server *)base;

	(void)io;
	(void)revents;
	(void)now;
	/* New requests may start probes (io_add); none ends here. */
	MHD_run(s->ex->mhd);
}

static void
server_frame(struct session *base, struct io *io, enum frame_kind kind,
    const struct pkt *pk, usec_t ts)
{
	/* What no probe claims: not the server's business. */
	(void)base;
	(void)io;
	(void)kind;
	(void)pk;
	(void)ts;
}

static const struct session_ops server_ops = {
	.kind = "http",
	.run = server_run,
	.frame = server_frame,
	.fd = server_fd,
	.ready = server_ready,
};

/* ---- setup -------------------------------------------------------------- */

/* ADDR:PORT, [V6]:PORT or :PORT. */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[IP_ADDR_STRLEN + 2];
	const char *colon = strrchr(s, ':');
	struct ip_addr a;
	char *end;
	long port;
	size_t hl;

	if (colon == NULL)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port < 1 || port > 65535)
		return -1;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
		if (!ip_addr_parse(host, &a) || a.family != AF_INET6)
			return -1;
	} else if (hl == 0) {
		ip_addr_parse("::", &a);
	} else if (!ip_addr_parse(host, &a) || a.family != AF_INET)
		return -1;
	*sl = ip_addr_to_sockaddr(&a, (uint16_t)port, ss);
	return 0;
}

static int
read_config(const char *path, struct exporter_config *cfg)
{
	char err[300], *buf;
	FILE *f = fopen(path, "r");
	size_t len;

	if (f == NULL)
		return cli_fail(EXIT_USAGE, "--config `%s': %s", path,
		    strerror(errno));
	buf = malloc(EXPORTER_CONFIG_MAX + 1);
	len = buf ? fread(buf, 1, EXPORTER_CONFIG_MAX + 1, f) : 0;
	fclose(f);
	if (buf == NULL)
		return cli_fail(EXIT_CANNOT_RUN, "out of memory");
	if (len > EXPORTER_CONFIG_MAX) {
		free(buf);
		return cli_fail(EXIT_USAGE, "--config `%s' is over %u KB",
		    path, EXPORTER_CONFIG_MAX >> 10);
	}
	if (exporter_config_parse(buf, len, cfg, err, sizeof(err)) < 0) {
		free(buf);
		return cli_fail(EXIT_USAGE, "--config %s: %s", path, err);
	}
	free(buf);
	return 0;
}

/* The ports any module probes, held on both families' wildcards: below
 * 1024 they need privilege, which is gone once a probe runs. */
static int
hold_ports(struct exporter *ex, char *err, size_t errlen)
{
	struct ip_addr any[2];
	uint16_t got;
	int why;

	ip_addr_parse("0.0.0.0", &any[0]);
	ip_addr_parse("::", &any[1]);
	for (int fi = 0; fi < 2; fi++) {
		if (ex->io.raw[fi] < 0)
			continue;
		for (int m = 0; m < ex->cfg.n_modules; m++) {
			const struct exporter_module *md = &ex->cfg.modules[m];
			static const uint16_t dflt[] = { 500, 4500 };
			const uint16_t *p = md->n_ports ? md->ports : dflt;
			int n = md->n_ports ? md->n_ports : 2;

			for (int i = 0; i < n; i++) {
				struct port_pair pp;

				if (held_port(&ex->io, any[fi].family, p[i], &pp))
					continue;
				if (io_hold(&ex->io, &any[fi], p[i], &got, &why,
				    err, errlen) != NET_OK)
					return -1;
			}
		}
	}
	return 0;
}

int
exporter_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "config", required_argument, NULL, 'c' },
		{ "user", required_argument, NULL, 'u' },
		{ "interface", required_argument, NULL, 'i' },
		{ "source", required_argument, NULL, 's' },
		{ "ca", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct exporter exporter;
	struct exporter *ex = &exporter;
	const char *listen = NULL, *config = NULL, *user = "nobody";
	struct sockaddr_storage ss;
	struct local_info cap;
	struct sigaction sa;
	socklen_t sl = 0;
	const union MHD_DaemonInfo *info;
	char err[400];
	enum net_err e;
	int ch, rc;

	opterr = 0;
	optind = 1;
	exporter_config_defaults(&ex->cfg);
	while ((ch = getopt_long(argc, argv, ":l:c:u:i:s:vh", longopts,
	    NULL)) != -1)
		switch (ch) {
		case 'l':
			listen = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'i':
			ex->ifname = optarg;
			break;
		case 's':
			ex->source = optarg;
			break;
		case 'C':
			ex->ca_file = optarg;
			break;
		case 'v':
			ex->verbose = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case ':':
			return cli_fail(EXIT_USAGE, "exporter: option `%s' needs "
			    "a value (see --help)", argv[optind - 1]);
		default:
			return cli_fail(EXIT_USAGE, "exporter: unknown option "
			    "`%s' (see --help)", argv[optind - 1]);
		}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "exporter: `%s': the targets come "
		    "from Prometheus (/probe?target=...), not the command line",
		    argv[optind]);
	if (listen == NULL)
		return cli_fail(EXIT_USAGE, "exporter: give --listen, e.g. "
		    "`ikeprobe exporter --listen 127.0.0.1:9745'");
	if (parse_listen(listen, &ss, &sl) < 0)
		return cli_fail(EXIT_USAGE, "exporter: --listen `%s' is not "
		    "ADDR:PORT (127.0.0.1:9745, [::1]:9745, :9745)", listen);
	if (config && (rc = read_config(config, &ex->cfg)) != 0)
		return rc;
	if (ex->source && !(ex->have_src = ip_addr_parse(ex->source, &ex->src)))
		return cli_fail(EXIT_USAGE, "exporter: --source `%s' is not an "
		    "IP address", ex->source);
	if (crypto_init() < 0)
		return cli_fail(EXIT_CANNOT_RUN, "cannot initialise libsodium");
	if ((ex->trust = cert_store_open(ex->ca_file, err, sizeof(err))) == NULL &&
	    ex->ca_file)
		return cli_fail(EXIT_USAGE, "--ca: %s", err);
	host_info_read(&ex->host);

	/* With privilege: raw sockets (IPv6 only where this machine has
	 * it), the capture, the ports, the listening socket. */
	io_init(&ex->io);
	if ((e = io_open_raw(&ex->io, AF_INET, ex->ifname, err,
	    sizeof(err))) != NET_OK)
		return cli_fail(net_status(e), "%s", err);
	if (io_open_raw(&ex->io, AF_INET6, ex->ifname, err, sizeof(err)) !=
	    NET_OK)
		log_line("no IPv6 (%s): IPv6 targets will fail", err);
	if (hold_ports(ex, err, sizeof(err)) < 0)
		return cli_fail(EXIT_CANNOT_RUN, "%s", err);
	memset(&cap, 0, sizeof(cap));
	snprintf(cap.ifname, sizeof(cap.ifname), "%s", ex->ifname ?
	    ex->ifname : "any");
	cap.mtu = 9000;
	if ((e = io_open_capture(&ex->io, &cap, "less 1", NULL, err,
	    sizeof(err))) != NET_OK)
		return cli_fail(net_status(e), "%s", err);
	ex->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, on_request, ex,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_MAX,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    /* A request's headers and query, bounded. */
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, ex,
	    MHD_OPTION_END);
	if (ex->mhd == NULL)
		return cli_fail(EXIT_CANNOT_RUN, "exporter: cannot listen on "
		    "%s: %s", listen, strerror(errno));
	info = MHD_get_daemon_info(ex->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	ex->epfd = info ? info->epoll_fd : -1;
	if (ex->epfd < 0) {
		MHD_stop_daemon(ex->mhd);
		return cli_fail(EXIT_CANNOT_RUN, "exporter: no epoll descriptor");
	}
	if ((e = privdrop(user, err, sizeof(err))) != NET_OK) {
		MHD_stop_daemon(ex->mhd);
		return cli_fail(net_status(e), "%s", err);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	ex->health.start_time = (double)wall_usec_now() / 1e6;
	ex->io.stop = &stop_signal;
	ex->io.trace = ex->verbose ? stderr : NULL;
	ex->io.on_done = session_ended;
	ex->io.on_done_arg = ex;
	ex->srv.base.ops = &server_ops;
	ex->srv.ex = ex;
	io_add(&ex->io, &ex->srv.base);
	log_line("listening on %s, %d module(s), at most %d probe(s) at once",
	    listen, ex->cfg.n_modules, ex->cfg.max_concurrent);
	io_run(&ex->io);
	rc = ex->io.faulted ? cli_fail(EXIT_CANNOT_RUN, "exporter: %s",
	    ex->io.fault) : 0;
	/* Probes cut short answer what they saw. */
	for (int i = 0; i < JOBS_MAX; i++)
		if (ex->jobs[i].used && ex->jobs[i].running)
			job_finish(ex, &ex->jobs[i], mono_now());
		else if (ex->jobs[i].used)
			job_answer(ex, &ex->jobs[i], 503, "stopping\n", 9);
	MHD_run(ex->mhd);
	MHD_stop_daemon(ex->mhd);
	for (int i = 0; i < CACHE_MAX; i++)
		free(ex->cache[i].body);
	io_close(&ex->io);
	cert_store_free(ex->trust);
	return rc;
}
