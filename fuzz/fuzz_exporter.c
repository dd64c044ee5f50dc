/* The exporter's parsers of hostile input (exporter.h), and its metrics:
 *
 * - the whole input as a --config file;
 * - the input cut at its first two line feeds into target, module= and
 *   the scrape timeout header (a piece that is not there is NULL), as a
 *   /probe request against that configuration (or the defaults when the
 *   file was refused), then the allow-list on what it accepted;
 * - an input that starts with `{' as a saved report, read back and drawn
 *   as a probe's metrics, and the configuration's /metrics page.
 *
 * Checked beyond "no crash": a refusal says why in one line of printable
 * ASCII (a request's with nothing HTML gives a meaning to); what is accepted keeps every
 * bound (counts, names, ports, prefixes, deadlines); a target's normal
 * form is a target of the same kind and its own normal form; and every
 * line of the metrics is a HELP, a TYPE or a sample of the text format,
 * with label values escaped. */
#include <math.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "ikeprobe/doc.h"
#include "ikeprobe/exporter.h"

/* One line of printable ASCII; for an HTTP answer (html), also nothing
 * HTML gives a meaning to. */
static void
fz_err(const char *err, size_t len, bool html)
{
	FZ_CHECK(memchr(err, 0, len) != NULL);
	FZ_CHECK(err[0] != '\0');
	for (const char *c = err; *c; c++)
		FZ_CHECK(*c >= 0x20 && *c < 0x7f &&
		    !(html && strchr("<>&\"\\", *c)));
}

static bool
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	    c == '-';
}

static void
fz_config(const struct exporter_config *cfg)
{
	FZ_CHECK(cfg->max_concurrent >= 1 && cfg->max_concurrent <= 16);
	FZ_CHECK(cfg->min_interval >= 0 && cfg->min_interval <= 86400);
	FZ_CHECK(cfg->timeout_offset >= 0 && cfg->timeout_offset <= 60);
	FZ_CHECK(cfg->n_modules >= 2 && cfg->n_modules <= EXPORTER_MAX_MODULES);
	FZ_CHECK(cfg->default_module >= 0 &&
	    cfg->default_module < cfg->n_modules);
	FZ_CHECK(strcmp(cfg->modules[0].name, "quick") == 0);
	FZ_CHECK(strcmp(cfg->modules[1].name, "full") == 0);
	for (int i = 0; i < cfg->n_modules; i++) {
		const struct exporter_module *m = &cfg->modules[i];

		FZ_CHECK(memchr(m->name, 0, sizeof(m->name)) != NULL);
		FZ_CHECK(m->name[0] >= 'a' && m->name[0] <= 'z');
		for (const char *c = m->name; *c; c++)
			FZ_CHECK(name_char(*c));
		for (int k = 0; k < i; k++)
			FZ_CHECK(strcmp(cfg->modules[k].name, m->name) != 0);
		FZ_CHECK(exporter_module_find(cfg, m->name) == m);
		FZ_CHECK(m->family == 0 || m->family == AF_INET ||
		    m->family == AF_INET6);
		FZ_CHECK(m->sstp_port >= 1);
		FZ_CHECK(m->n_ports >= 0 && m->n_ports <= EXPORTER_MAX_PORTS);
		for (int p = 0; p < m->n_ports; p++) {
			FZ_CHECK(m->ports[p] >= 1);
			for (int q = 0; q < p; q++)
				FZ_CHECK(m->ports[q] != m->ports[p]);
		}
		FZ_CHECK(m->timeout >= EXPORTER_TIMEOUT_MIN &&
		    m->timeout <= EXPORTER_TIMEOUT_MAX);
	}
	FZ_CHECK(cfg->n_allow >= 0 && cfg->n_allow <= EXPORTER_MAX_ALLOW);
	for (int i = 0; i < cfg->n_allow; i++) {
		const struct exporter_allow *e = &cfg->allow[i];
		int max = e->prefix.family == AF_INET6 ? 128 : 32;

		if (!e->is_prefix) {
			char norm[EXPORTER_TARGET_MAX + 1];
			struct ip_addr a;
			const char *why;

			FZ_CHECK(memchr(e->name, 0, sizeof(e->name)) != NULL);
			FZ_CHECK(exporter_target_check(e->name, norm,
			    sizeof(norm), &a, &why) == EXPORTER_TARGET_NAME);
			FZ_CHECK(strcmp(norm, e->name) == 0);
			FZ_CHECK(exporter_allowed(cfg, NULL, e->name));
			continue;
		}
		FZ_CHECK(e->prefix.family == AF_INET ||
		    e->prefix.family == AF_INET6);
		FZ_CHECK(e->bits >= 0 && e->bits <= max);
		for (int b = e->bits; b < max; b++)
			FZ_CHECK(!(e->prefix.a[b / 8] & (0x80 >> (b % 8))));
		/* A usable address of the prefix is allowed. */
		if (exporter_address_usable(&e->prefix))
			FZ_CHECK(exporter_allowed(cfg, &e->prefix, NULL));
	}
}

static void
fz_request(const struct exporter_config *cfg, const char *target,
    const char *module, const char *hdr)
{
	struct exporter_request r;
	char err[200], norm[EXPORTER_TARGET_MAX + 1];
	struct ip_addr a;
	const char *why;
	size_t n;

	memset(err, 'x', sizeof(err));
	if (exporter_request_parse(cfg, target, module, hdr, &r, err,
	    sizeof(err)) < 0) {
		fz_err(err, sizeof(err), true);
		FZ_CHECK(r.module == NULL && r.module_index == -1);
		return;
	}
	FZ_CHECK(err[0] == '\0');
	FZ_CHECK((n = strnlen(r.target, sizeof(r.target))) < sizeof(r.target));
	FZ_CHECK(n >= 1 && n <= EXPORTER_TARGET_MAX);
	for (size_t i = 0; i < n; i++)
		FZ_CHECK(!(r.target[i] >= 'A' && r.target[i] <= 'Z'));
	/* The normal form is a target of the same kind, and its own. */
	FZ_CHECK(exporter_target_check(r.target, norm, sizeof(norm), &a, &why) ==
	    (r.is_address ? EXPORTER_TARGET_ADDRESS : EXPORTER_TARGET_NAME));
	FZ_CHECK(strcmp(norm, r.target) == 0);
	if (r.is_address) {
		FZ_CHECK(a.family == r.addr.family &&
		    memcmp(a.a, r.addr.a, sizeof(a.a)) == 0);
		FZ_CHECK(exporter_address_usable(&r.addr));
		(void)exporter_allowed(cfg, &r.addr, NULL);
	} else {
		FZ_CHECK(r.addr.family == 0);
		(void)exporter_allowed(cfg, NULL, r.target);
	}
	FZ_CHECK(r.module_index >= 0 && r.module_index < cfg->n_modules);
	FZ_CHECK(r.module == &cfg->modules[r.module_index]);
	if (module == NULL || module[0] == '\0')
		FZ_CHECK(r.module_index == cfg->default_module);
	else
		FZ_CHECK(strcmp(module, r.module->name) == 0);
	FZ_CHECK(r.timeout >= EXPORTER_TIMEOUT_MIN &&
	    r.timeout <= r.module->timeout + 1e-9);
	FZ_CHECK((hdr == NULL) == (r.timeout_source == EXPORTER_TIMEOUT_MODULE));
	if (r.timeout_source != EXPORTER_TIMEOUT_SCRAPE)
		FZ_CHECK(r.timeout == r.module->timeout);
}

/* One line of the text format: HELP, TYPE, or a sample whose label
 * values are quoted and escaped and whose value is a number. */
static void
fz_metrics_line(const char *s, size_t n)
{
	size_t i = 0;

	FZ_CHECK(n > 0);
	for (size_t k = 0; k < n; k++)
		FZ_CHECK((unsigned char)s[k] >= 0x20 && s[k] != 0x7f);
	if (n > 7 && memcmp(s, "# HELP ", 7) == 0)
		return;
	if (n > 7 && memcmp(s, "# TYPE ", 7) == 0) {
		FZ_CHECK((n > 6 && memcmp(s + n - 6, " gauge", 6) == 0) ||
		    (n > 8 && memcmp(s + n - 8, " counter", 8) == 0));
		return;
	}
	FZ_CHECK(n > 9 && memcmp(s, "ikeprobe_", 9) == 0);
	while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
	    (s[i] >= '0' && s[i] <= '9')))
		i++;
	if (i < n && s[i] == '{') {
		for (i++; ; ) {
			FZ_CHECK(i < n && s[i] >= 'a' && s[i] <= 'z');
			while (i < n && ((s[i] >= 'a' && s[i] <= 'z') ||
			    s[i] == '_'))
				i++;
			FZ_CHECK(i + 1 < n && s[i] == '=' && s[i + 1] == '"');
			for (i += 2; i < n && s[i] != '"'; i++)
				if (s[i] == '\\') {
					FZ_CHECK(i + 1 < n && strchr("\\\"n",
					    s[i + 1]));
					i++;
				}
			FZ_CHECK(i < n);
			i++;
			if (i < n && s[i] == ',') {
				i++;
				continue;
			}
			FZ_CHECK(i < n && s[i] == '}');
			i++;
			break;
		}
	}
	FZ_CHECK(i < n && s[i] == ' ');
	i++;
	if (i < n && s[i] == '-')
		i++;
	FZ_CHECK(i < n && s[i] >= '0' && s[i] <= '9');
	while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
		i++;
	FZ_CHECK(i == n);
}

static void
fz_metrics(const char *buf, size_t len)
{
	const char *p = buf, *nl;

	FZ_CHECK(len > 0 && buf[len - 1] == '\n');
	FZ_CHECK(strlen(buf) == len);
	while ((nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL) {
		fz_metrics_line(p, (size_t)(nl - p));
		p = nl + 1;
	}
	FZ_CHECK(p == buf + len);
}

static void
fz_render(const struct doc *d, const struct exporter_config *cfg)
{
	struct exporter_health h;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return;
	FZ_CHECK(exporter_metrics_probe(f, d, -1) == 0);
	memset(&h, 0, sizeof(h));
	h.start_time = 1796000000.5;
	FZ_CHECK(exporter_metrics_health(f, cfg, &h) == 0);
	fclose(f);
	fz_metrics(buf, len);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct exporter_config cfg;	/* 19 KB: not on the stack */
	const char *in = (const char *)data;
	char err[300], *copy, *piece[3] = { NULL, NULL, NULL };
	double secs;
	size_t at = 0;
	struct doc d;

	memset(err, 'x', sizeof(err));
	if (exporter_config_parse(in, size, &cfg, err, sizeof(err)) == 0) {
		FZ_CHECK(err[0] == '\0');
		fz_config(&cfg);
	} else {
		fz_err(err, sizeof(err), false);
		exporter_config_defaults(&cfg);
		fz_config(&cfg);
	}

	if (exporter_seconds_parse(in, size, &secs)) {
		FZ_CHECK(isfinite(secs) && secs >= 0 && secs < 1e9);
		for (size_t i = 0; i < size; i++)
			FZ_CHECK((in[i] >= '0' && in[i] <= '9') || in[i] == '.');
	}

	/* target \n module \n header: C strings, as libmicrohttpd hands
	 * them over (a NUL inside ends one). */
	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, in, size);
	copy[size] = '\0';
	for (int i = 0; i < 3 && at <= size; i++) {
		char *nl = i < 2 ? memchr(copy + at, '\n', size - at) : NULL;

		piece[i] = copy + at;
		if (nl == NULL)
			break;
		*nl = '\0';
		at = (size_t)(nl - copy) + 1;
	}
	fz_request(&cfg, piece[0], piece[1], piece[2]);
	fz_request(&cfg, piece[0], NULL, NULL);
	free(copy);

	if (size > 0 && in[0] == '{') {
		if (doc_read(in, size, &d, err, sizeof(err)) == 0)
			fz_render(&d, &cfg);
		doc_free(&d);
	}
	fz_render(NULL, &cfg);
	return 0;
}
