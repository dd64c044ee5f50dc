/* Prometheus' text exposition format (version 0.0.4) for the exporter
 * (exporter.h): one probe's metrics from its report read back, and the
 * exporter's own. A renderer like the others: it writes what the report
 * says and decides nothing; docs/EXPORTER.md gives every metric's
 * meaning.
 *
 * Label values from a report (a finding's code and severity) are checked
 * against what ikeprobe writes, [a-z0-9_-], and a sample whose value is
 * anything else is left out; every label value then goes through the
 * format's escaping, in one function. Numbers are written without printf's
 * %f or %g, whose decimal point is the locale's. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "ikeprobe/exporter.h"

#define LABEL_TOKEN_MAX	64

struct label {
	const char	*name, *value;
};

/* One metric family being written: its HELP and TYPE lines go out before
 * its first sample, so a family with no sample is not written at all. */
struct family {
	FILE		*f;
	const char	*name, *type, *help;
	bool		 started;
};

static void
family(struct family *m, FILE *f, const char *name, const char *type,
    const char *help)
{
	m->f = f;
	m->name = name;
	m->type = type;
	m->help = help;
	m->started = false;
}

void
exporter_label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void
sample_start(struct family *m, const struct label *l, int n)
{
	if (!m->started) {
		fprintf(m->f, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help,
		    m->name, m->type);
		m->started = true;
	}
	fputs(m->name, m->f);
	for (int i = 0; i < n; i++) {
		fprintf(m->f, "%s%s=\"", i ? "," : "{", l[i].name);
		exporter_label_value(m->f, l[i].value);
		fputc('"', m->f);
	}
	if (n > 0)
		fputc('}', m->f);
}

static void
sample_int(struct family *m, const struct label *l, int n, long long v)
{
	sample_start(m, l, n);
	fprintf(m->f, " %lld\n", v);
}

static void
sample_u64(struct family *m, const struct label *l, int n, uint64_t v)
{
	sample_start(m, l, n);
	fprintf(m->f, " %" PRIu64 "\n", v);
}

/* ms thousandths as a decimal number of seconds: 1234 is 1.234. */
static void
sample_ms(struct family *m, const struct label *l, int n, long long ms)
{
	unsigned long long a = ms < 0 ? 0ULL - (unsigned long long)ms :
	    (unsigned long long)ms;

	sample_start(m, l, n);
	fprintf(m->f, " %s%llu.%03llu\n", ms < 0 ? "-" : "", a / 1000,
	    a % 1000);
}

/* Seconds to whole milliseconds, or false when not a number this format
 * needs (NaN, or beyond ±2^53 ms: no clock reads that). */
static bool
to_ms(double s, long long *ms)
{
	double v = s * 1000.0;

	if (!(v > -9007199254740992.0 && v < 9007199254740992.0))
		return false;
	*ms = (long long)(v < 0 ? v - 0.5 : v + 0.5);
	return true;
}

/* What ikeprobe writes for a code or a severity: [a-z0-9_-], 1 to
 * LABEL_TOKEN_MAX bytes. */
static bool
token(const struct doc_str *s)
{
	size_t n;

	if (s->st != DOC_SET || (n = strlen(s->s)) == 0 || n > LABEL_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s->s[i] >= 'a' && s->s[i] <= 'z') || (s->s[i] >= '0' &&
		    s->s[i] <= '9') || s->s[i] == '_' || s->s[i] == '-'))
			return false;
	return true;
}

/* A report's family: target.family, or (before 0.3) the family of the
 * address probed; NULL when it has neither. Our own strings, never the
 * report's. */
static const char *
report_family(const struct doc *d)
{
	uint8_t b[16];

	if (doc_is(&d->target.family, "ipv4"))
		return "ipv4";
	if (doc_is(&d->target.family, "ipv6"))
		return "ipv6";
	if (d->target.family.st == DOC_SET || d->target.address.st != DOC_SET)
		return NULL;
	if (inet_pton(AF_INET, d->target.address.s, b) == 1)
		return "ipv4";
	if (inet_pton(AF_INET6, d->target.address.s, b) == 1)
		return "ipv6";
	return NULL;
}

/* What `ikeprobe' would exit 0 for: it ran to its end, every port is
 * open and nothing is a problem (the report's status). A report from
 * before `status': no finding is an error. */
static bool
report_ok(const struct doc *d)
{
	if (d->complete.st != DOC_SET || !d->complete.v ||
	    d->stopped.st == DOC_SET)
		return false;
	if (d->status.st == DOC_SET)
		return doc_is(&d->status, "ok");
	for (int i = 0; i < d->n_findings; i++)
		if (doc_is(&d->findings[i].severity, "error"))
			return false;
	return true;
}

/* The reports whose samples are written, each with its family: the
 * document's own, then its others, the first of each family. */
struct reports {
	const struct doc *d[2];
	const char	*family[2];
	int		 n;
};

static void
reports_of(const struct doc *top, struct reports *r)
{
	r->n = 0;
	for (int i = -1; i < top->n_others && r->n < 2; i++) {
		const struct doc *d = i < 0 ? top : &top->others[i];
		const char *fam = report_family(d);
		bool seen = false;

		for (int k = 0; k < r->n; k++)
			seen = seen || strcmp(r->family[k], fam ? fam : "") == 0;
		if (fam == NULL || seen)
			continue;
		r->d[r->n] = d;
		r->family[r->n++] = fam;
	}
}

/* The port of the IKE_AUTH answer fragments.inbound is about: that of
 * fragments.inbound_probe, else auth.port; 0 when the report names none. */
static long long
inbound_port(const struct doc *d)
{
	const struct doc_int *id = &d->fragments.inbound_probe;

	for (int i = 0; id->st == DOC_SET && i < d->n_probes; i++)
		if (d->probes[i].id.st == DOC_SET && d->probes[i].id.v == id->v &&
		    d->probes[i].port.st == DOC_SET)
			return d->probes[i].port.v;
	if (d->auth.st == DOC_SET && d->auth.port.st == DOC_SET)
		return d->auth.port.v;
	return 0;
}

static bool
leap(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Two decimal digits at s. */
static int
two(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* The form output/report.c writes (RFC 3339, UTC, whole seconds):
 * "2027-12-02T15:02:51Z", exactly, as Unix time. */
static bool
utc_time(const struct doc_str *s, long long *out)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	const char *t = s->s;
	long long y, era, yoe, doy, doe, days;
	int mo, d, h, mi, se, c1, c2;

	if (s->st != DOC_SET || strlen(t) != 20 || t[4] != '-' || t[7] != '-' ||
	    t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != 'Z')
		return false;
	c1 = two(t);
	c2 = two(t + 2);
	mo = two(t + 5);
	d = two(t + 8);
	h = two(t + 11);
	mi = two(t + 14);
	se = two(t + 17);
	if (c1 < 0 || c2 < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
		return false;
	y = c1 * 100 + c2;
	if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return false;
	/* Days from 1970-01-01 to the date (H. Hinnant's days_from_civil). */
	y -= mo <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	days = era * 146097 + doe - 719468;
	*out = days * 86400 + h * 3600 + mi * 60 + se;
	return true;
}

/* A port number as a label value; false for none (doc_read keeps 1 to
 * 65535 only, so never for a report it read). */
static bool
port_label(char *buf, size_t len, long long port)
{
	if (port < 1 || port > 65535)
		return false;
	snprintf(buf, len, "%u", (unsigned)port);
	return true;
}

int
exporter_metrics_probe(FILE *f, const struct doc *top, double duration)
{
	struct family m;
	struct reports r = { .n = 0 };
	struct label l[3];
	char port[8];
	long long v;
	bool ok = top != NULL && report_ok(top);

	for (int i = 0; top && i < top->n_others; i++)
		ok = ok && report_ok(&top->others[i]);
	if (top != NULL)
		reports_of(top, &r);

	family(&m, f, "ikeprobe_probe_success", "gauge", "1 if the probe ran "
	    "to its end and found no problem (ikeprobe would exit 0).");
	sample_int(&m, NULL, 0, ok);

	family(&m, f, "ikeprobe_probe_duration_seconds", "gauge", "How long "
	    "the probe took, in seconds.");
	if (to_ms(duration, &v) && v >= 0)
		sample_ms(&m, NULL, 0, v);
	else if (top != NULL && top->duration_ms.st == DOC_SET)
		sample_ms(&m, NULL, 0, top->duration_ms.v);

	family(&m, f, "ikeprobe_port_open", "gauge", "1 if IKEv2 answers on "
	    "this UDP port, 0 if it is silent, filtered or closed.");
	for (int k = 0; k < r.n; k++)
		for (int i = 0; i < r.d[k]->n_ports; i++) {
			const struct doc_port *p = &r.d[k]->ports[i];
			bool open = doc_is(&p->state, "open");

			if (!open && !doc_is(&p->state, "silent") &&
			    !doc_is(&p->state, "filtered") &&
			    !doc_is(&p->state, "closed"))
				continue;	/* untested: not measured */
			if (!port_label(port, sizeof(port), p->port))
				continue;
			l[0] = (struct label){ "family", r.family[k] };
			l[1] = (struct label){ "port", port };
			sample_int(&m, l, 2, open);
		}

	family(&m, f, "ikeprobe_fragments_outbound_pass", "gauge", "1 if "
	    "IP-fragmented IKE datagrams reach the gateway on this port, 0 if "
	    "they are dropped; absent when not measured.");
	for (int k = 0; k < r.n; k++)
		for (int i = 0; i < r.d[k]->fragments.n_ports; i++) {
			const struct doc_frag_port *p =
			    &r.d[k]->fragments.ports[i];
			bool pass = doc_is(&p->outbound, "pass");

			if (!pass && !doc_is(&p->outbound, "dropped"))
				continue;
			if (!port_label(port, sizeof(port), p->port))
				continue;
			l[0] = (struct label){ "family", r.family[k] };
			l[1] = (struct label){ "port", port };
			sample_int(&m, l, 2, pass);
		}

	family(&m, f, "ikeprobe_fragments_inbound_pass", "gauge", "1 if the "
	    "gateway's IKE_AUTH answer in IP fragments reached this machine "
	    "on this port, 0 if its fragments were dropped; absent when not "
	    "measured.");
	for (int k = 0; k < r.n; k++) {
		const struct doc_fragments *fr = &r.d[k]->fragments;
		bool pass = doc_is(&fr->inbound, "pass");

		if ((!pass && !doc_is(&fr->inbound, "dropped")) ||
		    !port_label(port, sizeof(port), inbound_port(r.d[k])))
			continue;
		l[0] = (struct label){ "family", r.family[k] };
		l[1] = (struct label){ "port", port };
		sample_int(&m, l, 2, pass);
	}

	family(&m, f, "ikeprobe_path_mtu_bytes", "gauge", "The path MTU to "
	    "the gateway: the largest IP datagram that crosses whole, in "
	    "bytes.");
	for (int k = 0; k < r.n; k++) {
		const struct doc_path_mtu *pm = &r.d[k]->path_mtu;

		if (!pm->tested || pm->value.st != DOC_SET)
			continue;
		l[0] = (struct label){ "family", r.family[k] };
		sample_int(&m, l, 1, pm->value.v);
	}

	family(&m, f, "ikeprobe_ikev2_fragmentation_offered", "gauge", "1 if "
	    "the gateway offers IKEv2 fragmentation (RFC 7383) in its "
	    "IKE_SA_INIT answer, 0 if not.");
	for (int k = 0; k < r.n; k++) {
		const struct doc_responder *re = &r.d[k]->responder;

		if (re->st != DOC_SET || re->fragmentation_supported.st !=
		    DOC_SET)
			continue;
		l[0] = (struct label){ "family", r.family[k] };
		sample_int(&m, l, 1, re->fragmentation_supported.v);
	}

	family(&m, f, "ikeprobe_certificate_expiry_timestamp_seconds", "gauge",
	    "When the server's certificate expires (its not-after), as Unix "
	    "time: the IKEv2 gateway's from IKE_AUTH, the SSTP server's from "
	    "TLS.");
	for (int k = 0; k < r.n; k++) {
		const struct doc_certificate *c[2] = { &r.d[k]->certificate,
		    &r.d[k]->sstp.certificate };
		static const char *const proto[2] = { "ikev2", "sstp" };

		for (int i = 0; i < 2; i++) {
			if (c[i]->st != DOC_SET || !utc_time(&c[i]->not_after,
			    &v))
				continue;
			l[0] = (struct label){ "family", r.family[k] };
			l[1] = (struct label){ "protocol", proto[i] };
			sample_int(&m, l, 2, v);
		}
	}

	family(&m, f, "ikeprobe_finding", "gauge", "1 for each finding of the "
	    "report, by its code and severity (docs/REPORTS.md).");
	for (int k = 0; k < r.n; k++) {
		const struct doc *d = r.d[k];

		for (int i = 0; i < d->n_findings; i++) {
			const struct doc_finding *fi = &d->findings[i];
			bool dup = false;

			if (!token(&fi->code) || !token(&fi->severity))
				continue;
			for (int j = 0; j < i && !dup; j++)
				dup = doc_is(&d->findings[j].code, fi->code.s) &&
				    doc_is(&d->findings[j].severity,
				    fi->severity.s);
			if (dup)
				continue;
			l[0] = (struct label){ "family", r.family[k] };
			l[1] = (struct label){ "code", fi->code.s };
			l[2] = (struct label){ "severity", fi->severity.s };
			sample_int(&m, l, 3, 1);
		}
	}
	return ferror(f) ? -1 : 0;
}

enum exporter_http_code
exporter_http_code_index(int status)
{
	switch (status) {
#define EXPORTER_CODE_CASE(c)	case c: return EXPORTER_HTTP_##c;
	EXPORTER_HTTP_CODES(EXPORTER_CODE_CASE)
#undef EXPORTER_CODE_CASE
	default:
		return EXPORTER_HTTP_OTHER;
	}
}

int
exporter_metrics_health(FILE *f, const struct exporter_config *cfg,
    const struct exporter_health *h)
{
	static const char *const codes[EXPORTER_N_HTTP] = {
#define EXPORTER_CODE_NAME(c)	#c,
		EXPORTER_HTTP_CODES(EXPORTER_CODE_NAME)
#undef EXPORTER_CODE_NAME
		"other",
	};
	struct family m;
	struct label l[1];
	long long ms;
	int n = cfg->n_modules < EXPORTER_MAX_MODULES ? cfg->n_modules :
	    EXPORTER_MAX_MODULES;

	family(&m, f, "ikeprobe_exporter_build_info", "gauge", "The ikeprobe "
	    "version serving, always 1.");
	l[0] = (struct label){ "version", IKEPROBE_VERSION };
	sample_int(&m, l, 1, 1);

	family(&m, f, "ikeprobe_exporter_start_time_seconds", "gauge", "When "
	    "the exporter started, as Unix time.");
	if (to_ms(h->start_time, &ms))
		sample_ms(&m, NULL, 0, ms);

	family(&m, f, "ikeprobe_exporter_requests_total", "counter", "HTTP "
	    "requests answered, by status code.");
	for (int i = 0; i < EXPORTER_N_HTTP; i++) {
		l[0] = (struct label){ "code", codes[i] };
		sample_u64(&m, l, 1, h->requests[i]);
	}

	family(&m, f, "ikeprobe_exporter_probes_total", "counter", "Probes "
	    "run, by module.");
	for (int i = 0; i < n; i++) {
		l[0] = (struct label){ "module", cfg->modules[i].name };
		sample_u64(&m, l, 1, h->probes[i]);
	}

	family(&m, f, "ikeprobe_exporter_probe_failures_total", "counter",
	    "Probes run whose ikeprobe_probe_success was 0, by module.");
	for (int i = 0; i < n; i++) {
		l[0] = (struct label){ "module", cfg->modules[i].name };
		sample_u64(&m, l, 1, h->probe_failures[i]);
	}

	family(&m, f, "ikeprobe_exporter_probes_running", "gauge", "Probes "
	    "running now.");
	sample_int(&m, NULL, 0, h->probes_running);

	family(&m, f, "ikeprobe_exporter_max_concurrent", "gauge", "Probes "
	    "that may run at once (max_concurrent).");
	sample_int(&m, NULL, 0, cfg->max_concurrent);

	family(&m, f, "ikeprobe_exporter_rate_limited_total", "counter",
	    "Probe requests refused because the target was probed with another "
	    "module less than min_interval before.");
	sample_u64(&m, NULL, 0, h->rate_limited);

	family(&m, f, "ikeprobe_exporter_busy_total", "counter", "Probe "
	    "requests refused because too many probes were waiting.");
	sample_u64(&m, NULL, 0, h->busy);

	family(&m, f, "ikeprobe_exporter_not_allowed_total", "counter",
	    "Probe requests refused because the target is not in the "
	    "allow-list.");
	sample_u64(&m, NULL, 0, h->not_allowed);

	family(&m, f, "ikeprobe_exporter_bad_requests_total", "counter",
	    "Probe requests refused because the target or module was not "
	    "valid.");
	sample_u64(&m, NULL, 0, h->bad_requests);
	return ferror(f) ? -1 : 0;
}
