/* The exporter's --config file (exporter.h, docs/EXPORTER.md): one
 * setting a line, words separated by spaces or tabs, `#' to the end of
 * the line a comment.
 *
 *	max_concurrent 4
 *	min_interval 30
 *	timeout_offset 0.5
 *	default_module full
 *	allow 203.0.113.0/24
 *	allow vpn.example.net
 *	module quick --quick --no-sstp
 *
 * The file may come from anyone who can write it, so it is read as
 * hostile: bounded in size, in line length, in words, modules and allow
 * entries; every value checked for its form and range; nothing but
 * printable ASCII outside comments. The first problem ends the read with
 * one line naming the line number, and what an error quotes is that
 * checked ASCII, cut short. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ikeprobe/exporter.h"
#include "ikeprobe/probe.h"

_Static_assert(EXPORTER_MAX_PORTS == MAX_PORTS,
    "a module's --ports holds what a run's does");

#define MAX_WORDS	40
#define MAX_CONCURRENT	16
#define MIN_INTERVAL_MAX 86400.0	/* a day */
#define OFFSET_MAX	60.0

/* The settings that take one value and may be given once. */
enum scalar { S_MAX_CONCURRENT, S_MIN_INTERVAL, S_TIMEOUT_OFFSET,
	S_DEFAULT_MODULE, N_SCALARS };
static const char *const scalar_names[N_SCALARS] = {
	"max_concurrent", "min_interval", "timeout_offset", "default_module",
};

struct parse {
	struct exporter_config *cfg;
	char		*err;
	size_t		 errlen;
	int		 line;
	int		 set_on[N_SCALARS];	/* the line, 0 not yet */
	char		 default_name[EXPORTER_MODULE_NAME + 1];
};

static int __attribute__((format(printf, 2, 3)))
fail(struct parse *p, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (p->errlen) {
		if (p->line > 0)
			snprintf(p->err, p->errlen, "line %d: %s", p->line, what);
		else
			snprintf(p->err, p->errlen, "%s", what);
	}
	return -1;
}

static void
module_init(struct exporter_module *m, const char *name)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->sstp_port = 443;
	m->timeout = EXPORTER_TIMEOUT_FULL;
}

void
exporter_config_defaults(struct exporter_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_concurrent = 2;
	cfg->min_interval = 30;
	cfg->timeout_offset = 0.5;
	module_init(&cfg->modules[0], "quick");
	cfg->modules[0].quick = true;
	cfg->modules[0].timeout = EXPORTER_TIMEOUT_QUICK;
	module_init(&cfg->modules[1], "full");
	cfg->n_modules = 2;
	cfg->default_module = 1;
}

/* A whole number of 1 to 9 digits, from lo to hi. */
static bool
number(const char *s, long lo, long hi, long *out)
{
	long v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 9)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool
seconds(const char *s, double lo, double hi, double *out)
{
	double v;

	if (!exporter_seconds_parse(s, strlen(s), &v) || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* [a-z][a-z0-9_-]*, at most EXPORTER_MODULE_NAME bytes: a module's name
 * is a URL parameter and a label value, and needs no escaping in either. */
static bool
module_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > EXPORTER_MODULE_NAME || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static int
scalar(struct parse *p, enum scalar k, char **w, int n)
{
	struct exporter_config *cfg = p->cfg;
	long v;

	if (p->set_on[k])
		return fail(p, "%s is already set on line %d", scalar_names[k],
		    p->set_on[k]);
	if (n != 2)
		return fail(p, "%s takes one value, e.g. `%s'", scalar_names[k],
		    k == S_MAX_CONCURRENT ? "max_concurrent 4" :
		    k == S_MIN_INTERVAL ? "min_interval 30" :
		    k == S_TIMEOUT_OFFSET ? "timeout_offset 0.5" :
		    "default_module full");
	p->set_on[k] = p->line;
	switch (k) {
	case S_MAX_CONCURRENT:
		if (!number(w[1], 1, MAX_CONCURRENT, &v))
			return fail(p, "max_concurrent `%.64s' is not a number "
			    "from 1 to %d", w[1], MAX_CONCURRENT);
		cfg->max_concurrent = (int)v;
		return 0;
	case S_MIN_INTERVAL:
		if (!seconds(w[1], 0, MIN_INTERVAL_MAX, &cfg->min_interval))
			return fail(p, "min_interval `%.64s' is not a number of "
			    "seconds from 0 to %.0f (e.g. 30 or 2.5)", w[1],
			    MIN_INTERVAL_MAX);
		return 0;
	case S_TIMEOUT_OFFSET:
		if (!seconds(w[1], 0, OFFSET_MAX, &cfg->timeout_offset))
			return fail(p, "timeout_offset `%.64s' is not a number "
			    "of seconds from 0 to %.0f (e.g. 0.5)", w[1],
			    OFFSET_MAX);
		return 0;
	case S_DEFAULT_MODULE:
		if (!module_name_ok(w[1]))
			return fail(p, "default_module `%.64s' is not a module "
			    "name", w[1]);
		snprintf(p->default_name, sizeof(p->default_name), "%s", w[1]);
		return 0;
	case N_SCALARS:
		break;
	}
	return 0;
}

/* addr/bits, host bits zero: a prefix entry. */
static int
allow_prefix(struct parse *p, const char *s, struct exporter_allow *e)
{
	char a[INET6_ADDRSTRLEN], net[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = (size_t)(slash - s);
	long bits;
	int max;

	if (n == 0 || n >= sizeof(a))
		goto bad;
	memcpy(a, s, n);
	a[n] = '\0';
	if (inet_pton(AF_INET, a, e->prefix.a) == 1)
		e->prefix.family = AF_INET;
	else if (inet_pton(AF_INET6, a, e->prefix.a) == 1)
		e->prefix.family = AF_INET6;
	else
		goto bad;
	max = e->prefix.family == AF_INET6 ? 128 : 32;
	if (!number(slash + 1, 0, max, &bits) || (slash[1] == '0' &&
	    slash[2] != '\0'))
		goto bad;
	e->is_prefix = true;
	e->bits = (int)bits;
	for (int i = e->bits; i < max; i++)
		if (e->prefix.a[i / 8] & (0x80 >> (i % 8))) {
			struct ip_addr m = e->prefix;

			for (int j = e->bits; j < max; j++)
				m.a[j / 8] &= (uint8_t)~(0x80 >> (j % 8));
			inet_ntop(m.family, m.a, net, sizeof(net));
			return fail(p, "allow `%.64s' has bits set past the "
			    "prefix length: give %s/%d", s, net, e->bits);
		}
	return 0;
bad:
	return fail(p, "allow `%.64s' is not a prefix: give an address, a "
	    "slash and a length, e.g. 203.0.113.0/24 or 2001:db8::/32", s);
}

static int
allow(struct parse *p, char **w, int n)
{
	struct exporter_config *cfg = p->cfg;
	struct exporter_allow *e;
	const char *why;

	if (n != 2)
		return fail(p, "allow takes one prefix, address or host name "
		    "a line, e.g. `allow 203.0.113.0/24'");
	if (cfg->n_allow == EXPORTER_MAX_ALLOW)
		return fail(p, "more than %d allow entries", EXPORTER_MAX_ALLOW);
	e = &cfg->allow[cfg->n_allow];
	memset(e, 0, sizeof(*e));
	if (strchr(w[1], '/')) {
		if (allow_prefix(p, w[1], e) < 0)
			return -1;
	} else {
		switch (exporter_target_check(w[1], e->name, sizeof(e->name),
		    &e->prefix, &why)) {
		case EXPORTER_TARGET_NAME:
			break;
		case EXPORTER_TARGET_ADDRESS:
			e->is_prefix = true;
			e->bits = e->prefix.family == AF_INET6 ? 128 : 32;
			e->name[0] = '\0';
			break;
		case EXPORTER_TARGET_BAD:
			return fail(p, "allow `%.64s' %s: give a prefix "
			    "(203.0.113.0/24), an address or a host name",
			    w[1], why);
		}
	}
	cfg->n_allow++;
	return 0;
}

/* --ports LIST: 1 to EXPORTER_MAX_PORTS numbers from 1 to 65535, each
 * once, separated by commas. */
static int
ports(struct parse *p, const char *mod, const char *s,
    struct exporter_module *m)
{
	char item[8];
	const char *c = s;
	long v;

	m->n_ports = 0;
	for (;;) {
		size_t n = strcspn(c, ",");

		if (n == 0 || n >= sizeof(item))
			goto bad;
		memcpy(item, c, n);
		item[n] = '\0';
		if (!number(item, 1, 65535, &v))
			goto bad;
		for (int i = 0; i < m->n_ports; i++)
			if (m->ports[i] == v)
				return fail(p, "module `%s': --ports `%.64s' "
				    "repeats port %ld", mod, s, v);
		if (m->n_ports == EXPORTER_MAX_PORTS)
			return fail(p, "module `%s': --ports `%.64s' has more "
			    "than %d ports", mod, s, EXPORTER_MAX_PORTS);
		m->ports[m->n_ports++] = (uint16_t)v;
		if (c[n] == '\0')
			return 0;
		c += n + 1;
	}
bad:
	return fail(p, "module `%s': --ports `%.64s' is not a list of port "
	    "numbers from 1 to 65535 separated by commas, e.g. --ports "
	    "500,4500", mod, s);
}

enum mflag { F_QUICK, F_NO_AUTH, F_NO_SSTP, F_AUDIT, F_IPV4, F_IPV6,
	F_PORTS, F_SSTP_PORT, F_TIMEOUT, N_FLAGS };

static const struct {
	const char	*name, *alias;
	bool		 value;
} mflags[N_FLAGS] = {
	[F_QUICK] = { "--quick", "-q", false },
	[F_NO_AUTH] = { "--no-auth", NULL, false },
	[F_NO_SSTP] = { "--no-sstp", NULL, false },
	[F_AUDIT] = { "--audit", NULL, false },
	[F_IPV4] = { "--ipv4", "-4", false },
	[F_IPV6] = { "--ipv6", "-6", false },
	[F_PORTS] = { "--ports", "-p", true },
	[F_SSTP_PORT] = { "--sstp-port", NULL, true },
	[F_TIMEOUT] = { "--timeout", NULL, true },
};

/* The flag word w names (with its value after `=' for a long one), or
 * N_FLAGS; *value points at that value or is NULL. */
static enum mflag
flag_of(const char *w, const char **value)
{
	size_t n = strcspn(w, "=");

	*value = NULL;
	for (int f = 0; f < N_FLAGS; f++) {
		if (mflags[f].alias && strcmp(w, mflags[f].alias) == 0)
			return (enum mflag)f;
		if (strlen(mflags[f].name) == n &&
		    strncmp(w, mflags[f].name, n) == 0) {
			if (w[n] == '=')
				*value = w + n + 1;
			return (enum mflag)f;
		}
	}
	return N_FLAGS;
}

static int
module_flags(struct parse *p, struct exporter_module *m, char **w, int n)
{
	bool given[N_FLAGS] = { false };
	const char *v;
	long num;

	for (int i = 2; i < n; i++) {
		enum mflag f = flag_of(w[i], &v);

		if (f == N_FLAGS)
			return fail(p, "module `%s': unknown option `%.64s': "
			    "give --quick, --no-auth, --no-sstp, --audit, -4, "
			    "-6, --ports LIST, --sstp-port N or --timeout "
			    "SECONDS", m->name, w[i]);
		if (given[f])
			return fail(p, "module `%s': %s is given twice",
			    m->name, mflags[f].name);
		given[f] = true;
		if (!mflags[f].value && v != NULL)
			return fail(p, "module `%s': %s takes no value",
			    m->name, mflags[f].name);
		if (mflags[f].value && v == NULL) {
			if (i + 1 == n)
				return fail(p, "module `%s': %s needs a value, "
				    "e.g. %s", m->name, mflags[f].name,
				    f == F_PORTS ? "--ports 500,4500" :
				    f == F_SSTP_PORT ? "--sstp-port 443" :
				    "--timeout 30");
			v = w[++i];
		}
		switch (f) {
		case F_QUICK:
			m->quick = true;
			break;
		case F_NO_AUTH:
			m->no_auth = true;
			break;
		case F_NO_SSTP:
			m->no_sstp = true;
			break;
		case F_AUDIT:
			m->audit = true;
			break;
		case F_IPV4:
		case F_IPV6:
			if (given[F_IPV4] && given[F_IPV6])
				return fail(p, "module `%s': -4 and -6 "
				    "together: give one, or neither to probe "
				    "both families", m->name);
			m->family = f == F_IPV4 ? AF_INET : AF_INET6;
			break;
		case F_PORTS:
			if (ports(p, m->name, v, m) < 0)
				return -1;
			break;
		case F_SSTP_PORT:
			if (!number(v, 1, 65535, &num))
				return fail(p, "module `%s': --sstp-port "
				    "`%.64s' is not a port number from 1 to "
				    "65535", m->name, v);
			m->sstp_port = (uint16_t)num;
			break;
		case F_TIMEOUT:
			if (!seconds(v, EXPORTER_TIMEOUT_MIN,
			    EXPORTER_TIMEOUT_MAX, &m->timeout))
				return fail(p, "module `%s': --timeout `%.64s' "
				    "is not a number of seconds from %.0f to "
				    "%.0f", m->name, v, EXPORTER_TIMEOUT_MIN,
				    EXPORTER_TIMEOUT_MAX);
			break;
		case N_FLAGS:
			break;
		}
	}
	if (!given[F_TIMEOUT])
		m->timeout = m->quick ? EXPORTER_TIMEOUT_QUICK :
		    EXPORTER_TIMEOUT_FULL;
	return 0;
}

/* module NAME [FLAG...]: a new module, or one that replaces a built-in
 * of that name (once). */
static int
module(struct parse *p, char **w, int n)
{
	struct exporter_config *cfg = p->cfg;
	struct exporter_module m;
	int at = cfg->n_modules;

	if (n < 2)
		return fail(p, "module needs a name, e.g. `module quick "
		    "--quick'");
	if (!module_name_ok(w[1]))
		return fail(p, "module name `%.64s' must be a lowercase letter, "
		    "then letters, digits, `_' or `-', at most %d bytes", w[1],
		    EXPORTER_MODULE_NAME);
	for (int i = 0; i < cfg->n_modules; i++)
		if (strcmp(cfg->modules[i].name, w[1]) == 0) {
			if (cfg->modules[i].line != 0)
				return fail(p, "module `%s' is already defined "
				    "on line %d", w[1], cfg->modules[i].line);
			at = i;
		}
	if (at == EXPORTER_MAX_MODULES)
		return fail(p, "more than %d modules (with quick and full)",
		    EXPORTER_MAX_MODULES);
	module_init(&m, w[1]);
	m.line = p->line;
	if (module_flags(p, &m, w, n) < 0)
		return -1;
	cfg->modules[at] = m;
	if (at == cfg->n_modules)
		cfg->n_modules++;
	return 0;
}

/* One line, s[0..n) without its newline. */
static int
line(struct parse *p, const char *s, size_t n)
{
	char buf[EXPORTER_LINE_MAX + 1], *w[MAX_WORDS], *c;
	size_t code = SIZE_MAX;	/* where the comment starts */
	int nw = 0;

	if (n > EXPORTER_LINE_MAX)
		return fail(p, "longer than %d bytes", EXPORTER_LINE_MAX);
	if (n > 0 && s[n - 1] == '\r')	/* a file from Windows */
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\0')
			return fail(p, "a NUL byte: not a text file");
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return fail(p, "a control character (0x%02x)", ch);
		if (ch == '#' && code == SIZE_MAX)
			code = i;
		if (ch >= 0x80 && code == SIZE_MAX)
			return fail(p, "a byte that is not ASCII (0x%02x) outside "
			    "a comment", ch);
	}
	if (code == SIZE_MAX)
		code = n;
	memcpy(buf, s, code);
	buf[code] = '\0';
	for (c = buf; *c; ) {
		while (*c == ' ' || *c == '\t')
			*c++ = '\0';
		if (*c == '\0')
			break;
		if (nw == MAX_WORDS)
			return fail(p, "more than %d words", MAX_WORDS);
		w[nw++] = c;
		while (*c && *c != ' ' && *c != '\t')
			c++;
	}
	if (nw == 0)
		return 0;
	for (int k = 0; k < N_SCALARS; k++)
		if (strcmp(w[0], scalar_names[k]) == 0)
			return scalar(p, (enum scalar)k, w, nw);
	if (strcmp(w[0], "allow") == 0)
		return allow(p, w, nw);
	if (strcmp(w[0], "module") == 0)
		return module(p, w, nw);
	return fail(p, "unknown setting `%.64s': give max_concurrent, "
	    "min_interval, timeout_offset, default_module, allow or module",
	    w[0]);
}

int
exporter_config_parse(const char *buf, size_t len, struct exporter_config *cfg,
    char *err, size_t errlen)
{
	struct parse p;
	size_t off = 0;

	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.err = err;
	p.errlen = errlen;
	if (errlen)
		err[0] = '\0';
	exporter_config_defaults(cfg);
	if (len > EXPORTER_CONFIG_MAX)
		return fail(&p, "%zu bytes, more than a configuration (%u)",
		    len, EXPORTER_CONFIG_MAX);
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t end = nl ? (size_t)(nl - buf) : len;

		p.line++;
		if (line(&p, buf + off, end - off) < 0)
			return -1;
		off = end + 1;
	}
	if (p.set_on[S_DEFAULT_MODULE]) {
		const struct exporter_module *m =
		    exporter_module_find(cfg, p.default_name);

		if (m == NULL) {
			p.line = p.set_on[S_DEFAULT_MODULE];
			return fail(&p, "default_module `%s' is not a module "
			    "of this configuration", p.default_name);
		}
		cfg->default_module = (int)(m - cfg->modules);
	}
	return 0;
}
