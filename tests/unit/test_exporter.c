/* The exporter's pure parts (exporter.h): a /probe request from hostile
 * query parameters and header, the --config file with every error and its
 * line number, the allow-list, and the metrics drawn from real saved
 * reports (tests/unit/reports/, tests/lab/sample-report.json) against
 * golden files in tests/unit/golden/metrics-*.prom (regenerate with
 * IKEPROBE_WRITE_GOLDEN=1 and review the diff). Reports made by hand cover
 * what the saved ones lack: hostile codes, every form of not_after.
 *
 *	test_exporter			the tests (run from tests/unit)
 *	test_exporter --metrics FILE	FILE's metrics on stdout
 *	test_exporter --health		a /metrics page on stdout
 *
 * The last two are for test_exporter.py, which gives them to promtool. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "config.h"
#include "ikeprobe/doc.h"
#include "ikeprobe/exporter.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0) {
		if (f)
			fclose(f);
		return NULL;
	}
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static bool
near(double a, double b)
{
	return a - b < 1e-9 && b - a < 1e-9;
}

/* ---- the scrape timeout header's numbers ---- */

static void
test_seconds(void)
{
	static const struct {
		const char	*s;
		double		 v;
	} good[] = {
		{ "10", 10 }, { "9.5", 9.5 }, { "0.25", 0.25 }, { "0", 0 },
		{ "000000001", 1 }, { "123456789", 123456789 },
		{ "1.123456789", 1.123456789 }, { "0.001", 0.001 },
	};
	static const char *const bad[] = {
		"", ".", "5.", ".5", "-1", "+1", "1e3", "1E3", "0x10", "inf",
		"nan", "NaN", "Infinity", "1,5", " 1", "1 ", "1234567890",
		"1.1234567890", "1.2.3", "1..2", "١", "10s",
	};
	double v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		CHECK(exporter_seconds_parse(good[i].s, strlen(good[i].s), &v));
		CHECK(near(v, good[i].v));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = -1;
		if (exporter_seconds_parse(bad[i], strlen(bad[i]), &v))
			fprintf(stderr, "seconds `%s' accepted\n", bad[i]);
		CHECK(!exporter_seconds_parse(bad[i], strlen(bad[i]), &v));
		CHECK(near(v, -1));
	}
	/* Only the n bytes given: a NUL inside is no digit. */
	CHECK(!exporter_seconds_parse("1\0", 2, &v));
	CHECK(exporter_seconds_parse("12", 1, &v) && near(v, 1));
}

/* ---- targets ---- */

static void
test_targets(void)
{
	static const struct {
		const char	*s;
		enum exporter_target_kind kind;
		const char	*norm;
	} good[] = {
		{ "vpn.example.net", EXPORTER_TARGET_NAME, "vpn.example.net" },
		{ "VPN.Example.NET.", EXPORTER_TARGET_NAME, "vpn.example.net" },
		{ "gw", EXPORTER_TARGET_NAME, "gw" },
		{ "1a.example", EXPORTER_TARGET_NAME, "1a.example" },
		{ "a-b.c-d.example", EXPORTER_TARGET_NAME, "a-b.c-d.example" },
		{ "xn--bcher-kva.example", EXPORTER_TARGET_NAME,
		    "xn--bcher-kva.example" },
		{ "10.example", EXPORTER_TARGET_NAME, "10.example" },
		{ "203.0.113.10", EXPORTER_TARGET_ADDRESS, "203.0.113.10" },
		{ "127.0.0.1", EXPORTER_TARGET_ADDRESS, "127.0.0.1" },
		{ "2001:db8::10", EXPORTER_TARGET_ADDRESS, "2001:db8::10" },
		{ "[2001:db8::10]", EXPORTER_TARGET_ADDRESS, "2001:db8::10" },
		{ "2001:DB8:0:0::10", EXPORTER_TARGET_ADDRESS, "2001:db8::10" },
		{ "::1", EXPORTER_TARGET_ADDRESS, "::1" },
		{ "64:ff9b::203.0.113.1", EXPORTER_TARGET_ADDRESS,
		    "64:ff9b::cb00:7101" },
	};
	static const struct {
		const char	*s, *why;
	} bad[] = {
		{ "", "is empty" },
		{ " vpn", "has a space" },
		{ "vpn example", "has a space" },
		{ "vpn\t", "has a space" },
		{ "vpn\n", "has a space" },
		{ "vpn\r\nX-Evil: 1", "has a space" },
		{ "\x7f", "has a space" },
		{ "-vpn", "starts with a hyphen" },
		{ "-", "starts with a hyphen" },
		{ "vpn%2eexample", "has a `%'" },
		{ "fe80::1%eth0", "has a `%'" },
		{ "vpn/x", "has a `/'" },
		{ "203.0.113.0/24", "has a `/'" },
		{ "_sip.example", "has a character that is not" },
		{ "vpn.example.net:500", "is not an IPv6 address" },
		{ "a..b", "has an empty label" },
		{ ".a", "has an empty label" },
		{ "a.", NULL },		/* good, below */
		{ "..", "is not an IPv4 address" },
		{ "a.-b", "starts or ends with a hyphen" },
		{ "a-.b", "starts or ends with a hyphen" },
		{ "10.1", "is not an IPv4 address" },
		{ "127.1", "is not an IPv4 address" },
		{ "2130706433", "is not an IPv4 address" },
		{ "010.0.0.1", "is not an IPv4 address" },
		{ "256.1.1.1", "is not an IPv4 address" },
		{ "1.2.3.4.", "is not an IPv4 address" },
		{ "1.2.3.4.5", "is not an IPv4 address" },
		{ "0x7f000001", "reads as an IPv4 address" },
		{ "0x7f.1", "its last label is a number" },
		{ "0X7F.0.0.1", "its last label is a number" },
		{ "example.123", "its last label is a number" },
		{ "[vpn.example.net]", "is not an IPv6 address" },
		{ "[2001:db8::1", "has a bracket" },
		{ "2001:db8::1]", "has a bracket" },
		{ "[[::1]]", "has a bracket" },
		{ "[]", "has a bracket" },
		{ "[203.0.113.1]", "is not an IPv6 address" },
		{ "2001:db8::g", "is not an IPv6 address" },
		{ "2001:db8:::1", "is not an IPv6 address" },
		{ "::ffff:10.0.0.1", "IPv4-mapped" },
		{ "0.0.0.0", "unspecified, multicast or reserved" },
		{ "0.1.2.3", "unspecified, multicast or reserved" },
		{ "::", "unspecified, multicast or reserved" },
		{ "224.0.0.1", "unspecified, multicast or reserved" },
		{ "255.255.255.255", "unspecified, multicast or reserved" },
		{ "ff02::1", "unspecified, multicast or reserved" },
		{ "\xc3\xa9.example", "not ASCII" },
	};
	char norm[EXPORTER_TARGET_MAX + 1], buf[400];
	struct ip_addr a;
	const char *why;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		enum exporter_target_kind k = exporter_target_check(good[i].s,
		    norm, sizeof(norm), &a, &why);

		if (k != good[i].kind)
			fprintf(stderr, "target `%s': %s\n", good[i].s,
			    why ? why : "?");
		CHECK_EQ(k, good[i].kind);
		CHECK_STR(norm, good[i].norm);
		CHECK_EQ(a.family, good[i].kind == EXPORTER_TARGET_ADDRESS ?
		    (strchr(good[i].s, ':') ? AF_INET6 : AF_INET) : 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum exporter_target_kind k = exporter_target_check(bad[i].s,
		    norm, sizeof(norm), &a, &why);

		if (bad[i].why == NULL) {
			CHECK_EQ(k, EXPORTER_TARGET_NAME);
			continue;
		}
		if (k != EXPORTER_TARGET_BAD || strstr(why, bad[i].why) == NULL)
			fprintf(stderr, "target `%s': kind %d, %s\n", bad[i].s,
			    k, why ? why : "-");
		CHECK_EQ(k, EXPORTER_TARGET_BAD);
		CHECK(why != NULL && strstr(why, bad[i].why) != NULL);
		CHECK_STR(norm, "");
		CHECK_EQ(a.family, 0);
	}
	/* A label of 63 bytes, a name of 253: the limits, both sides. */
	memset(buf, 'a', 63);
	strcpy(buf + 63, ".example");
	CHECK_EQ(exporter_target_check(buf, norm, sizeof(norm), &a, &why),
	    EXPORTER_TARGET_NAME);
	memset(buf, 'a', 64);
	strcpy(buf + 64, ".example");
	CHECK_EQ(exporter_target_check(buf, norm, sizeof(norm), &a, &why),
	    EXPORTER_TARGET_BAD);
	CHECK(strstr(why, "longer than 63") != NULL);
	for (int i = 0; i < 253; i++)	/* a.a.a...: 127 labels */
		buf[i] = i % 2 ? '.' : 'a';
	buf[253] = '\0';
	CHECK_EQ(exporter_target_check(buf, norm, sizeof(norm), &a, &why),
	    EXPORTER_TARGET_NAME);
	CHECK_EQ(strlen(norm), 253);
	buf[253] = '.';			/* a trailing dot is not counted */
	buf[254] = '\0';
	CHECK_EQ(exporter_target_check(buf, norm, sizeof(norm), &a, &why),
	    EXPORTER_TARGET_NAME);
	buf[254] = 'a';			/* but one more label is */
	buf[255] = '\0';
	CHECK_EQ(exporter_target_check(buf, norm, sizeof(norm), &a, &why),
	    EXPORTER_TARGET_BAD);
	CHECK(strstr(why, "longer than 253") != NULL);
	memset(buf, 'a', sizeof(buf) - 1);	/* very long: not scanned */
	buf[sizeof(buf) - 1] = '\0';
	CHECK_EQ(exporter_target_check(buf, norm, sizeof(norm), &a, &why),
	    EXPORTER_TARGET_BAD);
	CHECK(strstr(why, "longer than 253") != NULL);
	/* No room for the normal form: refused, not overrun. */
	CHECK_EQ(exporter_target_check("gw", norm, 10, &a, &why),
	    EXPORTER_TARGET_BAD);
	CHECK_EQ(exporter_target_check(NULL, norm, sizeof(norm), &a, &why),
	    EXPORTER_TARGET_BAD);
}

/* ---- one request ---- */

static void
test_request(void)
{
	struct exporter_config cfg;
	struct exporter_request r;
	char err[200], lng[300];

	exporter_config_defaults(&cfg);
	CHECK_EQ(exporter_request_parse(&cfg, "VPN.example.net", NULL, NULL,
	    &r, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_STR(r.target, "vpn.example.net");
	CHECK(!r.is_address);
	CHECK_EQ(r.module_index, 1);
	CHECK(r.module == &cfg.modules[1]);
	CHECK_STR(r.module->name, "full");
	CHECK(near(r.timeout, EXPORTER_TIMEOUT_FULL));
	CHECK_EQ(r.timeout_source, EXPORTER_TIMEOUT_MODULE);

	CHECK_EQ(exporter_request_parse(&cfg, "[2001:db8::10]", "quick", NULL,
	    &r, err, sizeof(err)), 0);
	CHECK_STR(r.target, "2001:db8::10");
	CHECK(r.is_address && r.addr.family == AF_INET6);
	CHECK_STR(r.module->name, "quick");
	CHECK(r.module->quick);
	CHECK(near(r.timeout, EXPORTER_TIMEOUT_QUICK));
	/* An empty module= is no module. */
	CHECK_EQ(exporter_request_parse(&cfg, "gw", "", NULL, &r, err,
	    sizeof(err)), 0);
	CHECK_STR(r.module->name, "full");

	CHECK_EQ(exporter_request_parse(&cfg, NULL, "quick", NULL, &r, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "no target: give /probe?target=GATEWAY (a host name or "
	    "an IP address)");
	CHECK(r.module == NULL && r.module_index == -1);
	CHECK_EQ(exporter_request_parse(&cfg, "", NULL, NULL, &r, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "no target: give /probe?target=GATEWAY (a host name or "
	    "an IP address)");
	CHECK_EQ(exporter_request_parse(&cfg, "vpn.example.net", "Quick", NULL,
	    &r, err, sizeof(err)), -1);
	CHECK_STR(err, "unknown module `Quick': give one of quick, full");
	CHECK(r.module == NULL && r.module_index == -1);
	/* What an error quotes is harmless in an HTML page or a log. */
	CHECK_EQ(exporter_request_parse(&cfg, "gw", "<script>'\"&\\`\x1b",
	    NULL, &r, err, sizeof(err)), -1);
	CHECK_STR(err, "unknown module `\?script\?\?\?\?\?\?\?': give one "
	    "of quick, "
	    "full");
	CHECK_EQ(exporter_request_parse(&cfg, "<b>vpn\n", NULL, NULL, &r, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "target `?b?vpn?' has a character that is not a letter, "
	    "digit, hyphen or dot (or an IPv6 address's colon)");
	CHECK_STR(r.target, "");
	memset(lng, 'x', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	CHECK_EQ(exporter_request_parse(&cfg, lng, NULL, NULL, &r, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "target `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxx...' is longer than 253 bytes");
	CHECK_EQ(exporter_request_parse(&cfg, "0x7f000001", NULL, NULL, &r,
	    err, sizeof(err)), -1);
	CHECK_STR(err, "target `0x7f000001' reads as an IPv4 address to a "
	    "resolver: give four decimal numbers");
	/* A short err buffer is cut, never overrun; none at all is fine. */
	CHECK_EQ(exporter_request_parse(&cfg, "", NULL, NULL, &r, err, 8), -1);
	CHECK_STR(err, "no targ");
	CHECK_EQ(exporter_request_parse(&cfg, "", NULL, NULL, &r, NULL, 0), -1);
}

static void
test_timeouts(void)
{
	static const struct {
		const char	*module, *hdr;
		double		 want;
		enum exporter_timeout_source src;
	} t[] = {
		{ NULL, NULL, 60, EXPORTER_TIMEOUT_MODULE },
		{ "quick", NULL, 20, EXPORTER_TIMEOUT_MODULE },
		{ NULL, "10", 9.5, EXPORTER_TIMEOUT_SCRAPE },
		{ NULL, "9.5", 9, EXPORTER_TIMEOUT_SCRAPE },
		{ NULL, " 10\t", 9.5, EXPORTER_TIMEOUT_SCRAPE },
		{ NULL, "100", 60, EXPORTER_TIMEOUT_SCRAPE },	/* the module's */
		{ "quick", "30", 20, EXPORTER_TIMEOUT_SCRAPE },
		{ NULL, "60.5", 60, EXPORTER_TIMEOUT_SCRAPE },
		{ NULL, "60.4", 59.9, EXPORTER_TIMEOUT_SCRAPE },
		{ NULL, "1.5", 1, EXPORTER_TIMEOUT_SCRAPE },	/* the floor */
		{ NULL, "1", 1, EXPORTER_TIMEOUT_SCRAPE },
		{ NULL, "0.2", 1, EXPORTER_TIMEOUT_SCRAPE },
		{ NULL, "0", 1, EXPORTER_TIMEOUT_SCRAPE },
		{ NULL, "", 60, EXPORTER_TIMEOUT_BAD_HEADER },
		{ NULL, "  ", 60, EXPORTER_TIMEOUT_BAD_HEADER },
		{ NULL, "abc", 60, EXPORTER_TIMEOUT_BAD_HEADER },
		{ NULL, "1e1", 60, EXPORTER_TIMEOUT_BAD_HEADER },
		{ NULL, "-5", 60, EXPORTER_TIMEOUT_BAD_HEADER },
		{ NULL, "inf", 60, EXPORTER_TIMEOUT_BAD_HEADER },
		{ NULL, "nan", 60, EXPORTER_TIMEOUT_BAD_HEADER },
		{ NULL, "0x1p3", 60, EXPORTER_TIMEOUT_BAD_HEADER },
		{ NULL, "10,5", 60, EXPORTER_TIMEOUT_BAD_HEADER },
		{ NULL, "10 5", 60, EXPORTER_TIMEOUT_BAD_HEADER },
		{ NULL, "99999999999", 60, EXPORTER_TIMEOUT_BAD_HEADER },
	};
	struct exporter_config cfg;
	struct exporter_request r;
	char err[200];

	exporter_config_defaults(&cfg);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK_EQ(exporter_request_parse(&cfg, "gw", t[i].module,
		    t[i].hdr, &r, err, sizeof(err)), 0);
		if (!near(r.timeout, t[i].want) || r.timeout_source != t[i].src)
			fprintf(stderr, "header `%s': %g (%d)\n", t[i].hdr,
			    r.timeout, r.timeout_source);
		CHECK(near(r.timeout, t[i].want));
		CHECK_EQ(r.timeout_source, t[i].src);
	}
	cfg.timeout_offset = 0;
	CHECK_EQ(exporter_request_parse(&cfg, "gw", NULL, "10", &r, err,
	    sizeof(err)), 0);
	CHECK(near(r.timeout, 10));
}

/* ---- the configuration file ---- */

static const char good_config[] =
    "# ikeprobe exporter\n"
    "max_concurrent 4          # probes at once (1..16), default 2\n"
    "min_interval 30           # s between two probes of one target\n"
    "timeout_offset 0.5        # s kept from Prometheus' scrape timeout\n"
    "\n"
    "allow 203.0.113.0/24\n"
    "\tallow   2001:db8::/32\t\n"
    "allow vpn.example.NET.\n"
    "allow 198.51.100.7\n"
    "allow 0.0.0.0/0   # every IPv4 address\n"
    "module quick  --quick --no-sstp\n"
    "module full                # no flags: everything\n"
    "module audit --audit --timeout 90 -6 --sstp-port=8443\n"
    "module nat-t -p 4500 --no-auth --ipv4\n"
    "module few --ports=500,4500,1701 --quick   # \xc3\xa9 UTF-8 in a "
    "comment\n"
    "default_module quick\n"
    "# last line without a newline";

static void
test_config_good(void)
{
	struct exporter_config cfg;
	const struct exporter_module *m;
	const char *crlf;
	char err[300], *ex;
	size_t len;

	CHECK_EQ(exporter_config_parse(good_config, strlen(good_config), &cfg,
	    err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_EQ(cfg.max_concurrent, 4);
	CHECK(near(cfg.min_interval, 30));
	CHECK(near(cfg.timeout_offset, 0.5));
	CHECK_EQ(cfg.n_allow, 5);
	CHECK(cfg.allow[0].is_prefix && cfg.allow[0].bits == 24 &&
	    cfg.allow[0].prefix.family == AF_INET);
	CHECK(cfg.allow[1].is_prefix && cfg.allow[1].bits == 32 &&
	    cfg.allow[1].prefix.family == AF_INET6);
	CHECK(!cfg.allow[2].is_prefix);
	CHECK_STR(cfg.allow[2].name, "vpn.example.net");
	CHECK(cfg.allow[3].is_prefix && cfg.allow[3].bits == 32);
	CHECK(cfg.allow[4].is_prefix && cfg.allow[4].bits == 0);
	CHECK_EQ(cfg.n_modules, 5);
	/* The built-ins keep their places, redefined by the file. */
	m = &cfg.modules[0];
	CHECK_STR(m->name, "quick");
	CHECK(m->quick && m->no_sstp && !m->no_auth && !m->audit);
	CHECK_EQ(m->line, 11);
	CHECK(near(m->timeout, EXPORTER_TIMEOUT_QUICK));
	m = &cfg.modules[1];
	CHECK_STR(m->name, "full");
	CHECK(!m->quick && !m->no_sstp && !m->no_auth && !m->audit);
	CHECK_EQ(m->family, 0);
	CHECK_EQ(m->n_ports, 0);
	CHECK_EQ(m->sstp_port, 443);
	CHECK(near(m->timeout, EXPORTER_TIMEOUT_FULL));
	m = exporter_module_find(&cfg, "audit");
	CHECK(m == &cfg.modules[2]);
	CHECK(m->audit && m->family == AF_INET6 && m->sstp_port == 8443);
	CHECK(near(m->timeout, 90));
	m = exporter_module_find(&cfg, "nat-t");
	CHECK(m != NULL && m->no_auth && m->family == AF_INET &&
	    m->n_ports == 1 && m->ports[0] == 4500);
	m = exporter_module_find(&cfg, "few");
	CHECK(m != NULL && m->n_ports == 3 && m->ports[0] == 500 &&
	    m->ports[1] == 4500 && m->ports[2] == 1701 && m->quick);
	CHECK(near(m->timeout, EXPORTER_TIMEOUT_QUICK));
	CHECK(exporter_module_find(&cfg, "nope") == NULL);
	CHECK_EQ(cfg.default_module, 0);

	/* The example in docs/examples/ is a configuration. */
	if ((ex = slurp("../../docs/examples/exporter.conf", &len)) != NULL) {
		CHECK_EQ(exporter_config_parse(ex, len, &cfg, err,
		    sizeof(err)), 0);
		CHECK_STR(err, "");
		CHECK_EQ(cfg.n_modules, 4);
		CHECK_EQ(cfg.n_allow, 3);
		free(ex);
	} else
		CHECK(ex != NULL);

	/* No file: the defaults; an empty one, and CRLF lines, the same. */
	exporter_config_defaults(&cfg);
	CHECK_EQ(cfg.n_modules, 2);
	CHECK_EQ(cfg.max_concurrent, 2);
	CHECK(near(cfg.min_interval, 30) && near(cfg.timeout_offset, 0.5));
	CHECK_EQ(cfg.n_allow, 0);
	CHECK_STR(cfg.modules[cfg.default_module].name, "full");
	CHECK(cfg.modules[0].quick && !cfg.modules[1].quick);
	CHECK_EQ(exporter_config_parse("", 0, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.n_modules, 2);
	crlf = "max_concurrent 3\r\n# x\r\nmodule m --quick\r\n";
	CHECK_EQ(exporter_config_parse(crlf, strlen(crlf), &cfg, err,
	    sizeof(err)), 0);
	CHECK_EQ(cfg.max_concurrent, 3);
	CHECK_EQ(cfg.n_modules, 3);
	CHECK_STR(cfg.modules[2].name, "m");
}

static void
test_config_errors(void)
{
	static const struct {
		const char	*text, *err;
	} t[] = {
		{ "bogus 1", "line 1: unknown setting `bogus': give "
		    "max_concurrent, min_interval, timeout_offset, "
		    "default_module, allow or module" },
		{ "# a\n\nMax_concurrent 2", "line 3: unknown setting "
		    "`Max_concurrent': give max_concurrent, min_interval, "
		    "timeout_offset, default_module, allow or module" },
		{ "max_concurrent 0", "line 1: max_concurrent `0' is not a "
		    "number from 1 to 16" },
		{ "max_concurrent 17", "line 1: max_concurrent `17' is not a "
		    "number from 1 to 16" },
		{ "max_concurrent -1", "line 1: max_concurrent `-1' is not a "
		    "number from 1 to 16" },
		{ "max_concurrent 4x", "line 1: max_concurrent `4x' is not a "
		    "number from 1 to 16" },
		{ "max_concurrent 9999999999", "line 1: max_concurrent "
		    "`9999999999' is not a number from 1 to 16" },
		{ "max_concurrent", "line 1: max_concurrent takes one value, "
		    "e.g. `max_concurrent 4'" },
		{ "max_concurrent 4 5", "line 1: max_concurrent takes one "
		    "value, e.g. `max_concurrent 4'" },
		{ "max_concurrent 4\nmax_concurrent 4", "line 2: "
		    "max_concurrent is already set on line 1" },
		{ "min_interval -1", "line 1: min_interval `-1' is not a number "
		    "of seconds from 0 to 86400 (e.g. 30 or 2.5)" },
		{ "min_interval 1e3", "line 1: min_interval `1e3' is not a "
		    "number of seconds from 0 to 86400 (e.g. 30 or 2.5)" },
		{ "min_interval 86401", "line 1: min_interval `86401' is not a "
		    "number of seconds from 0 to 86400 (e.g. 30 or 2.5)" },
		{ "timeout_offset 60.5", "line 1: timeout_offset `60.5' is not "
		    "a number of seconds from 0 to 60 (e.g. 0.5)" },
		{ "timeout_offset nan", "line 1: timeout_offset `nan' is not a "
		    "number of seconds from 0 to 60 (e.g. 0.5)" },
		{ "\n\ndefault_module nope\n", "line 3: default_module `nope' "
		    "is not a module of this configuration" },
		{ "default_module Full", "line 1: default_module `Full' is not "
		    "a module name" },
		{ "allow", "line 1: allow takes one prefix, address or host "
		    "name a line, e.g. `allow 203.0.113.0/24'" },
		{ "allow 203.0.113.0/24 198.51.100.0/24", "line 1: allow takes "
		    "one prefix, address or host name a line, e.g. `allow "
		    "203.0.113.0/24'" },
		{ "allow 203.0.113.5/24", "line 1: allow `203.0.113.5/24' has "
		    "bits set past the prefix length: give 203.0.113.0/24" },
		{ "allow 2001:db8::1/32", "line 1: allow `2001:db8::1/32' has "
		    "bits set past the prefix length: give 2001:db8::/32" },
		{ "allow 203.0.113.0/33", "line 1: allow `203.0.113.0/33' is "
		    "not a prefix: give an address, a slash and a length, e.g. "
		    "203.0.113.0/24 or 2001:db8::/32" },
		{ "allow 2001:db8::/129", "line 1: allow `2001:db8::/129' is "
		    "not a prefix: give an address, a slash and a length, e.g. "
		    "203.0.113.0/24 or 2001:db8::/32" },
		{ "allow 203.0.113.0/024", "line 1: allow `203.0.113.0/024' is "
		    "not a prefix: give an address, a slash and a length, e.g. "
		    "203.0.113.0/24 or 2001:db8::/32" },
		{ "allow 203.0.113.0/", "line 1: allow `203.0.113.0/' is not a "
		    "prefix: give an address, a slash and a length, e.g. "
		    "203.0.113.0/24 or 2001:db8::/32" },
		{ "allow /24", "line 1: allow `/24' is not a prefix: give an "
		    "address, a slash and a length, e.g. 203.0.113.0/24 or "
		    "2001:db8::/32" },
		{ "allow 203.0.113/24", "line 1: allow `203.0.113/24' is not a "
		    "prefix: give an address, a slash and a length, e.g. "
		    "203.0.113.0/24 or 2001:db8::/32" },
		{ "allow 203.0.113.0/24/8", "line 1: allow `203.0.113.0/24/8' "
		    "is not a prefix: give an address, a slash and a length, "
		    "e.g. 203.0.113.0/24 or 2001:db8::/32" },
		{ "allow vpn_1.example", "line 1: allow `vpn_1.example' has a "
		    "character that is not a letter, digit, hyphen or dot (or "
		    "an IPv6 address's colon): give a prefix (203.0.113.0/24), "
		    "an address or a host name" },
		{ "allow 0x7f000001", "line 1: allow `0x7f000001' reads as an "
		    "IPv4 address to a resolver: give four decimal numbers: "
		    "give a prefix (203.0.113.0/24), an address or a host "
		    "name" },
		{ "module", "line 1: module needs a name, e.g. `module quick "
		    "--quick'" },
		{ "module Quick", "line 1: module name `Quick' must be a "
		    "lowercase letter, then letters, digits, `_' or `-', at "
		    "most 32 bytes" },
		{ "module 1x", "line 1: module name `1x' must be a lowercase "
		    "letter, then letters, digits, `_' or `-', at most 32 "
		    "bytes" },
		{ "module aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "line 1: module "
		    "name `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' must be a "
		    "lowercase letter, then letters, digits, `_' or `-', at "
		    "most 32 bytes" },
		{ "module a\nmodule b\nmodule a --quick", "line 3: module `a' "
		    "is already defined on line 1" },
		{ "module quick\nmodule quick", "line 2: module `quick' is "
		    "already defined on line 1" },
		{ "module a --fast", "line 1: module `a': unknown option "
		    "`--fast': give --quick, --no-auth, --no-sstp, --audit, -4, "
		    "-6, --ports LIST, --sstp-port N or --timeout SECONDS" },
		{ "module a --stateful", "line 1: module `a': unknown option "
		    "`--stateful': give --quick, --no-auth, --no-sstp, --audit, "
		    "-4, -6, --ports LIST, --sstp-port N or --timeout SECONDS" },
		{ "module a quick", "line 1: module `a': unknown option "
		    "`quick': give --quick, --no-auth, --no-sstp, --audit, -4, "
		    "-6, --ports LIST, --sstp-port N or --timeout SECONDS" },
		{ "module a --quick --quick", "line 1: module `a': --quick is "
		    "given twice" },
		{ "module a -q --quick", "line 1: module `a': --quick is given "
		    "twice" },
		{ "module a --quick=yes", "line 1: module `a': --quick takes "
		    "no value" },
		{ "module a -4 -6", "line 1: module `a': -4 and -6 together: "
		    "give one, or neither to probe both families" },
		{ "module a --ports", "line 1: module `a': --ports needs a "
		    "value, e.g. --ports 500,4500" },
		{ "module a --sstp-port", "line 1: module `a': --sstp-port "
		    "needs a value, e.g. --sstp-port 443" },
		{ "module a --timeout", "line 1: module `a': --timeout needs a "
		    "value, e.g. --timeout 30" },
		{ "module a --ports 500,,4500", "line 1: module `a': --ports "
		    "`500,,4500' is not a list of port numbers from 1 to 65535 "
		    "separated by commas, e.g. --ports 500,4500" },
		{ "module a --ports 500,", "line 1: module `a': --ports `500,' "
		    "is not a list of port numbers from 1 to 65535 separated by "
		    "commas, e.g. --ports 500,4500" },
		{ "module a --ports=", "line 1: module `a': --ports `' is not a "
		    "list of port numbers from 1 to 65535 separated by commas, "
		    "e.g. --ports 500,4500" },
		{ "module a --ports 0", "line 1: module `a': --ports `0' is not "
		    "a list of port numbers from 1 to 65535 separated by "
		    "commas, e.g. --ports 500,4500" },
		{ "module a --ports 65536", "line 1: module `a': --ports "
		    "`65536' is not a list of port numbers from 1 to 65535 "
		    "separated by commas, e.g. --ports 500,4500" },
		{ "module a --ports 500,4500,500", "line 1: module `a': --ports "
		    "`500,4500,500' repeats port 500" },
		{ "module a --ports 1,2,3,4,5,6,7,8,9", "line 1: module `a': "
		    "--ports `1,2,3,4,5,6,7,8,9' has more than 8 ports" },
		{ "module a --ports 500 --ports 4500", "line 1: module `a': "
		    "--ports is given twice" },
		{ "module a --sstp-port 0", "line 1: module `a': --sstp-port "
		    "`0' is not a port number from 1 to 65535" },
		{ "module a --sstp-port 70000", "line 1: module `a': "
		    "--sstp-port `70000' is not a port number from 1 to 65535" },
		{ "module a --timeout 0.5", "line 1: module `a': --timeout "
		    "`0.5' is not a number of seconds from 1 to 600" },
		{ "module a --timeout 601", "line 1: module `a': --timeout "
		    "`601' is not a number of seconds from 1 to 600" },
		{ "module a\n\x01", "line 2: a control character (0x01)" },
		{ "# \x1b[2J", "line 1: a control character (0x1b)" },
		{ "max_concurrent 2 \x7f", "line 1: a control character "
		    "(0x7f)" },
		{ "allow vpn.\xc3\xa9xample.net", "line 1: a byte that is not "
		    "ASCII (0xc3) outside a comment" },
		{ "max_concurrent 2\r\r\n", "line 1: a control character "
		    "(0x0d)" },
	};
	struct exporter_config cfg;
	char err[300], *big;
	size_t n;
	int i;

	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		CHECK_EQ(exporter_config_parse(t[k].text, strlen(t[k].text),
		    &cfg, err, sizeof(err)), -1);
		CHECK_STR(err, t[k].err);
	}
	/* What strlen cannot see. */
	CHECK_EQ(exporter_config_parse("max_concurrent 2\n#\0x\n", 21, &cfg,
	    err, sizeof(err)), -1);
	CHECK_STR(err, "line 2: a NUL byte: not a text file");

	/* Bounds: a line, the words of a line, the file, the lists. */
	big = malloc(EXPORTER_CONFIG_MAX + 2);
	if (big == NULL)
		return;
	memset(big, '#', EXPORTER_LINE_MAX + 1);
	CHECK_EQ(exporter_config_parse(big, EXPORTER_LINE_MAX, &cfg, err,
	    sizeof(err)), 0);
	CHECK_EQ(exporter_config_parse(big, EXPORTER_LINE_MAX + 1, &cfg, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "line 1: longer than 1024 bytes");
	n = (size_t)snprintf(big, 400, "module a");
	for (i = 0; i < 38; i++)	/* 40 words */
		n += (size_t)snprintf(big + n, 400 - n, " -q");
	CHECK_EQ(exporter_config_parse(big, n, &cfg, err, sizeof(err)), -1);
	CHECK_STR(err, "line 1: module `a': --quick is given twice");
	n += (size_t)snprintf(big + n, 400 - n, " -q");
	CHECK_EQ(exporter_config_parse(big, n, &cfg, err, sizeof(err)), -1);
	CHECK_STR(err, "line 1: more than 40 words");
	memset(big, '\n', EXPORTER_CONFIG_MAX + 1);
	CHECK_EQ(exporter_config_parse(big, EXPORTER_CONFIG_MAX, &cfg, err,
	    sizeof(err)), 0);
	CHECK_EQ(exporter_config_parse(big, EXPORTER_CONFIG_MAX + 1, &cfg, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "65537 bytes, more than a configuration (65536)");
	for (n = 0, i = 0; i < 64; i++)
		n += (size_t)snprintf(big + n, 32, "allow 10.0.%d.0/24\n", i);
	CHECK_EQ(exporter_config_parse(big, n, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.n_allow, 64);
	n += (size_t)snprintf(big + n, 32, "allow 10.1.0.0/24\n");
	CHECK_EQ(exporter_config_parse(big, n, &cfg, err, sizeof(err)), -1);
	CHECK_STR(err, "line 65: more than 64 allow entries");
	for (n = 0; n < 14; n++)
		snprintf(big + 11 * n, 12, "module m%02zu\n", n);
	CHECK_EQ(exporter_config_parse(big, 11 * 14, &cfg, err, sizeof(err)),
	    0);
	CHECK_EQ(cfg.n_modules, 16);
	snprintf(big + 11 * 14, 12, "module m%02d\n", 14);
	CHECK_EQ(exporter_config_parse(big, 11 * 15, &cfg, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "line 15: more than 16 modules (with quick and full)");
	free(big);
}

/* ---- the allow-list ---- */

static struct ip_addr
addr(const char *s)
{
	struct ip_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.a) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.a) == 1)
		a.family = AF_INET6;
	return a;
}

static void
test_allowed(void)
{
	static const char text[] =
	    "allow 203.0.113.0/24\n"
	    "allow 198.51.100.128/25\n"
	    "allow 192.0.2.7\n"
	    "allow 10.0.0.0/23\n"
	    "allow 2001:db8::/32\n"
	    "allow 2001:db8:ffff:ff00::/57\n"
	    "allow vpn.example.net\n";
	static const struct {
		const char	*addr;
		bool		 ok;
	} t[] = {
		{ "203.0.113.0", true }, { "203.0.113.255", true },
		{ "203.0.112.255", false }, { "203.0.114.0", false },
		{ "198.51.100.128", true }, { "198.51.100.127", false },
		{ "192.0.2.7", true }, { "192.0.2.8", false },
		{ "10.0.1.255", true }, { "10.0.2.0", false },
		{ "2001:db8::1", true }, { "2001:db9::1", false },
		{ "2001:db8:ffff:ff7f::1", true },
		{ "2001:db9:ffff:ff80::1", false },
		/* The IPv4 prefixes say nothing of IPv6 addresses. */
		{ "::ffff:203.0.113.1", false }, { "64:ff9b::203.0.113.1", false },
		{ "0.0.0.0", false }, { "224.0.0.1", false },
	};
	struct exporter_config cfg;
	struct ip_addr a;
	char err[300];

	CHECK_EQ(exporter_config_parse(text, strlen(text), &cfg, err,
	    sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		a = addr(t[i].addr);
		CHECK(a.family != 0);
		if (exporter_allowed(&cfg, &a, NULL) != t[i].ok)
			fprintf(stderr, "allowed %s: %d\n", t[i].addr, !t[i].ok);
		CHECK(exporter_allowed(&cfg, &a, NULL) == t[i].ok);
		/* Another name changes nothing. */
		CHECK(exporter_allowed(&cfg, &a, "other.example") == t[i].ok);
	}
	CHECK(exporter_allowed(&cfg, NULL, "vpn.example.net"));
	CHECK(exporter_allowed(&cfg, NULL, "VPN.Example.Net."));
	CHECK(!exporter_allowed(&cfg, NULL, "vpn.example.net.."));
	CHECK(!exporter_allowed(&cfg, NULL, "vpn.example"));
	CHECK(!exporter_allowed(&cfg, NULL, "x.vpn.example.net"));
	CHECK(!exporter_allowed(&cfg, NULL, ""));
	CHECK(!exporter_allowed(&cfg, NULL, NULL));
	a = addr("198.18.0.1");
	CHECK(exporter_allowed(&cfg, &a, "vpn.example.net"));
	/* An allowed name whose address is no gateway's: refused. */
	a = addr("0.0.0.0");
	CHECK(!exporter_allowed(&cfg, &a, "vpn.example.net"));
	a.family = 0;
	CHECK(!exporter_allowed(&cfg, &a, NULL));

	/* No list: every usable address and every name. */
	exporter_config_defaults(&cfg);
	a = addr("198.18.0.1");
	CHECK(exporter_allowed(&cfg, &a, NULL));
	CHECK(exporter_allowed(&cfg, NULL, "anything.example"));
	a = addr("::1");
	CHECK(exporter_allowed(&cfg, &a, NULL));
	static const char *const never[] = { "0.0.0.0", "0.255.255.255",
	    "224.0.0.251", "239.255.255.250", "240.0.0.1", "255.255.255.255",
	    "::", "ff02::1", "ff05::2", "::ffff:127.0.0.1" };
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		a = addr(never[i]);
		CHECK(!exporter_allowed(&cfg, &a, NULL));
		CHECK(!exporter_address_usable(&a));
	}
	/* /0 is everything of its family, and only that. */
	CHECK_EQ(exporter_config_parse("allow ::/0", 10, &cfg, err,
	    sizeof(err)), 0);
	a = addr("2a00::1");
	CHECK(exporter_allowed(&cfg, &a, NULL));
	a = addr("198.18.0.1");
	CHECK(!exporter_allowed(&cfg, &a, NULL));
}

/* ---- metrics ---- */

/* What f wrote into a memory stream, as one string (the caller frees). */
struct mem {
	FILE	*f;
	char	*buf;
	size_t	 len;
};

static FILE *
mem_open(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	return m->f = open_memstream(&m->buf, &m->len);
}

static char *
mem_close(struct mem *m)
{
	fclose(m->f);
	return m->buf;
}

static char *
metrics_of(const struct doc *d, double duration)
{
	struct mem m;
	int rc;

	if (mem_open(&m) == NULL)
		return NULL;
	rc = exporter_metrics_probe(m.f, d, duration);
	CHECK_EQ(rc, 0);
	return mem_close(&m);
}

static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p && *p; p = strchr(p, '\n'),
	    p = p ? p + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

#define CHECK_LINE(text, line) do { \
	if (!has_line(text, line)) \
		fprintf(stderr, "no line: %s\n", line); \
	CHECK(has_line(text, line)); \
} while (0)

#define CHECK_NO(text, part) do { \
	if (strstr(text, part)) \
		fprintf(stderr, "unexpected: %s\n", part); \
	CHECK(strstr(text, part) == NULL); \
} while (0)

/* The report's metrics against golden/metrics-NAME.prom. */
static char *
golden(const char *report, const char *name, double duration)
{
	char path[256], err[300], *buf, *out, *want;
	size_t len, wlen;
	struct doc d;

	if ((buf = slurp(report, &len)) == NULL) {
		fprintf(stderr, "cannot read %s\n", report);
		CHECK(buf != NULL);
		return NULL;
	}
	CHECK_EQ(doc_read(buf, len, &d, err, sizeof(err)), 0);
	free(buf);
	out = metrics_of(&d, duration);
	doc_free(&d);
	if (out == NULL)
		return NULL;
	snprintf(path, sizeof(path), "golden/metrics-%s.prom", name);
	if (getenv("IKEPROBE_WRITE_GOLDEN")) {
		FILE *f = fopen(path, "w");

		if (f) {
			fputs(out, f);
			fclose(f);
		}
	}
	want = slurp(path, &wlen);
	if (want == NULL || strcmp(want, out) != 0)
		fprintf(stderr, "%s: differs from %s (IKEPROBE_WRITE_GOLDEN=1 "
		    "writes it)\n", report, path);
	CHECK(want != NULL && strcmp(want, out) == 0);
	free(want);
	return out;
}

static void
test_metrics_reports(void)
{
	char *m;

	/* IPv4; 500 filtered, 4500 open; fragments pass both ways on 4500
	 * (the inbound verdict rests on probe 14, on 4500); both certs. */
	if ((m = golden("../lab/sample-report.json", "sample", 12.5)) != NULL) {
		CHECK_LINE(m, "ikeprobe_probe_success 0");
		CHECK_LINE(m, "ikeprobe_probe_duration_seconds 12.500");
		CHECK_LINE(m, "ikeprobe_port_open{family=\"ipv4\",port=\"500\"} 0");
		CHECK_LINE(m, "ikeprobe_port_open{family=\"ipv4\",port=\"4500\"} 1");
		CHECK_LINE(m, "ikeprobe_fragments_outbound_pass{family=\"ipv4\","
		    "port=\"4500\"} 1");
		CHECK_NO(m, "ikeprobe_fragments_outbound_pass{family=\"ipv4\","
		    "port=\"500\"}");
		CHECK_LINE(m, "ikeprobe_fragments_inbound_pass{family=\"ipv4\","
		    "port=\"4500\"} 1");
		CHECK_LINE(m, "ikeprobe_path_mtu_bytes{family=\"ipv4\"} 1500");
		CHECK_LINE(m, "ikeprobe_ikev2_fragmentation_offered{family="
		    "\"ipv4\"} 1");
		/* 2027-12-02T15:02:51Z and 2027-12-02T22:28:16Z. */
		CHECK_LINE(m, "ikeprobe_certificate_expiry_timestamp_seconds{"
		    "family=\"ipv4\",protocol=\"ikev2\"} 1827759771");
		CHECK_LINE(m, "ikeprobe_certificate_expiry_timestamp_seconds{"
		    "family=\"ipv4\",protocol=\"sstp\"} 1827786496");
		CHECK_LINE(m, "ikeprobe_finding{family=\"ipv4\",code="
		    "\"udp500-filtered\",severity=\"error\"} 1");
		CHECK_LINE(m, "# TYPE ikeprobe_finding gauge");
		free(m);
	}
	/* The return direction dropped on 500 (probe 14), an expired
	 * IKEv2 certificate, no SSTP check (0.3). */
	if ((m = golden("reports/auth.json", "auth", -1)) != NULL) {
		CHECK_LINE(m, "ikeprobe_probe_duration_seconds 2.174");
		CHECK_LINE(m, "ikeprobe_fragments_inbound_pass{family=\"ipv4\","
		    "port=\"500\"} 0");
		CHECK_LINE(m, "ikeprobe_fragments_outbound_pass{family=\"ipv4\","
		    "port=\"500\"} 1");
		CHECK_LINE(m, "ikeprobe_fragments_outbound_pass{family=\"ipv4\","
		    "port=\"4500\"} 1");
		CHECK_LINE(m, "ikeprobe_certificate_expiry_timestamp_seconds{"
		    "family=\"ipv4\",protocol=\"ikev2\"} 1796050968");
		CHECK_NO(m, "protocol=\"sstp\"");
		CHECK_LINE(m, "ikeprobe_finding{family=\"ipv4\",code="
		    "\"cert-expired\",severity=\"error\"} 1");
		free(m);
	}
	/* SSTP's certificate only; inbound unknown: no sample. */
	if ((m = golden("reports/sstp.json", "sstp", -1)) != NULL) {
		CHECK_LINE(m, "ikeprobe_certificate_expiry_timestamp_seconds{"
		    "family=\"ipv4\",protocol=\"sstp\"} 1796077732");
		CHECK_NO(m, "protocol=\"ikev2\"");
		CHECK_NO(m, "ikeprobe_fragments_inbound_pass");
		free(m);
	}
	/* Dual stack, --quick: each family's ports, no size metrics; both
	 * reports' findings, each with its family. */
	if ((m = golden("reports/dual-office.json", "dual-office", -1)) != NULL) {
		CHECK_LINE(m, "ikeprobe_probe_success 1");
		CHECK_LINE(m, "ikeprobe_port_open{family=\"ipv6\",port=\"500\"} 1");
		CHECK_LINE(m, "ikeprobe_port_open{family=\"ipv4\",port=\"4500\"} 1");
		CHECK_NO(m, "ikeprobe_fragments_");
		CHECK_NO(m, "ikeprobe_path_mtu_bytes");
		CHECK_LINE(m, "ikeprobe_finding{family=\"ipv6\",code="
		    "\"ike-reachable\",severity=\"info\"} 1");
		CHECK_LINE(m, "ikeprobe_finding{family=\"ipv4\",code="
		    "\"ike-reachable\",severity=\"info\"} 1");
		free(m);
	}
	/* --all-addresses, two IPv4 reports: the second is left out. */
	if ((m = golden("reports/cluster.json", "cluster", -1)) != NULL) {
		CHECK_LINE(m, "ikeprobe_port_open{family=\"ipv4\",port=\"500\"} 1");
		CHECK_NO(m, "ikeprobe_port_open{family=\"ipv4\",port=\"500\"} 0");
		free(m);
	}
	/* ikeprobe 0.1: no target.family (from the address), no
	 * fragments.inbound; outbound dropped on 500. */
	if ((m = golden("reports/hotel.json", "hotel", -1)) != NULL) {
		CHECK_LINE(m, "ikeprobe_fragments_outbound_pass{family=\"ipv4\","
		    "port=\"500\"} 0");
		free(m);
	}
	free(golden("reports/old-0.1.json", "old-0.1", -1));
	free(golden("reports/audit.json", "audit", -1));
	free(golden("reports/hostile-strings.json", "hostile-strings", -1));
	free(golden("reports/dual-carrier.json", "dual-carrier", -1));
}

static struct doc_str
str(const char *s)
{
	return (struct doc_str){ DOC_SET, s };
}

/* A report made by hand: what the saved ones lack. */
static void
test_metrics_hostile(void)
{
	struct doc_finding f[7];
	struct doc_port ports[2];
	struct doc d;
	char *m;

	/* No report: the probe failed before one. */
	m = metrics_of(NULL, 1.5);
	if (m) {
		CHECK_STR(m, "# HELP ikeprobe_probe_success 1 if the probe ran to "
		    "its end and found no problem (ikeprobe would exit 0).\n"
		    "# TYPE ikeprobe_probe_success gauge\n"
		    "ikeprobe_probe_success 0\n"
		    "# HELP ikeprobe_probe_duration_seconds How long the probe "
		    "took, in seconds.\n"
		    "# TYPE ikeprobe_probe_duration_seconds gauge\n"
		    "ikeprobe_probe_duration_seconds 1.500\n");
		free(m);
	}
	m = metrics_of(NULL, -1);
	if (m) {
		CHECK_NO(m, "ikeprobe_probe_duration_seconds");
		free(m);
	}
	m = metrics_of(NULL, 0.0 / 0.0);
	if (m) {
		CHECK_NO(m, "ikeprobe_probe_duration_seconds");
		free(m);
	}
	m = metrics_of(NULL, 1e300);
	if (m) {
		CHECK_NO(m, "ikeprobe_probe_duration_seconds");
		free(m);
	}

	memset(&d, 0, sizeof(d));
	d.complete = (struct doc_bool){ DOC_SET, true };
	d.target.address = str("2001:db8::10");	/* no family: from this */
	d.duration_ms = (struct doc_int){ DOC_SET, 1234 };
	memset(f, 0, sizeof(f));
	f[0].code = str("ike-reachable");
	f[0].severity = str("info");
	f[1].code = str("Bad Code");		/* not what ikeprobe writes */
	f[1].severity = str("info");
	f[2].code = str("x\"} 1\nevil_metric");
	f[2].severity = str("warning");
	f[3].code = str("ok-code");
	f[3].severity = str("sev\\");
	f[4].code = str("ike-reachable");	/* the same again: once */
	f[4].severity = str("info");
	f[5].code = (struct doc_str){ DOC_NULL, NULL };
	f[5].severity = str("error");		/* counts, though not shown */
	f[6].code = str("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaa");				/* 65 bytes */
	f[6].severity = str("info");
	d.findings = f;
	d.n_findings = 7;
	memset(ports, 0, sizeof(ports));
	ports[0].port = 500;
	ports[0].state = str("untested");	/* not measured: no sample */
	ports[1].port = 4500;
	ports[1].state = str("silent");
	d.ports = ports;
	d.n_ports = 2;
	d.certificate.st = DOC_SET;
	d.certificate.not_after = str("9999-12-31T23:59:59Z");
	d.sstp.certificate.st = DOC_SET;
	d.sstp.certificate.not_after = str("2028-02-29T00:00:00Z");
	d.path_mtu.tested = false;		/* a value, but not tested */
	d.path_mtu.value = (struct doc_int){ DOC_SET, 1400 };
	d.responder.st = DOC_SET;
	d.responder.fragmentation_supported = (struct doc_bool){ DOC_SET,
	    false };
	m = metrics_of(&d, -1);
	if (m) {
		CHECK_LINE(m, "ikeprobe_probe_success 0");
		CHECK_LINE(m, "ikeprobe_probe_duration_seconds 1.234");
		CHECK_LINE(m, "ikeprobe_port_open{family=\"ipv6\",port=\"4500\"} 0");
		CHECK_NO(m, "port=\"500\"");
		CHECK_NO(m, "ikeprobe_path_mtu_bytes");
		CHECK_LINE(m, "ikeprobe_ikev2_fragmentation_offered{family="
		    "\"ipv6\"} 0");
		CHECK_LINE(m, "ikeprobe_certificate_expiry_timestamp_seconds{"
		    "family=\"ipv6\",protocol=\"ikev2\"} 253402300799");
		CHECK_LINE(m, "ikeprobe_certificate_expiry_timestamp_seconds{"
		    "family=\"ipv6\",protocol=\"sstp\"} 1835395200");
		CHECK_LINE(m, "ikeprobe_finding{family=\"ipv6\",code="
		    "\"ike-reachable\",severity=\"info\"} 1");
		CHECK_NO(m, "Bad");
		CHECK_NO(m, "evil");
		CHECK_NO(m, "ok-code");
		CHECK_NO(m, "aaaa");
		/* One finding sample: the duplicate and the bad ones left out. */
		CHECK(strstr(m, "ikeprobe_finding{") ==
		    strrchr(m, '\n') - strlen("ikeprobe_finding{family=\"ipv6\","
		    "code=\"ike-reachable\",severity=\"info\"} 1"));
		free(m);
	}
	/* Without the error finding, the run ended well: success. A run
	 * stopped, or not complete, is no success. */
	d.n_findings = 5;
	m = metrics_of(&d, 0);
	if (m) {
		CHECK_LINE(m, "ikeprobe_probe_success 1");
		CHECK_LINE(m, "ikeprobe_probe_duration_seconds 0.000");
		free(m);
	}
	d.stopped.st = DOC_SET;
	m = metrics_of(&d, 0);
	if (m) {
		CHECK_LINE(m, "ikeprobe_probe_success 0");
		free(m);
	}
	d.stopped.st = DOC_NULL;
	d.complete.v = false;
	m = metrics_of(&d, 0);
	if (m) {
		CHECK_LINE(m, "ikeprobe_probe_success 0");
		free(m);
	}
	d.complete.v = true;

	/* not_after: only the form ikeprobe writes, and real dates. */
	static const char *const bad_times[] = {
		"2027-02-29T00:00:00Z", "2027-13-01T00:00:00Z",
		"2027-00-01T00:00:00Z", "2027-04-31T00:00:00Z",
		"2027-12-02T24:00:00Z", "2027-12-02T15:60:00Z",
		"2027-12-02T15:02:60Z", "2027-12-02t15:02:51Z",
		"2027-12-02T15:02:51z", "2027-12-02T15:02:51+00:00",
		"2027-12-02T15:02:51.5Z", "2027-12-02 15:02:51Z",
		"27-12-02T15:02:51Z", "+2027-12-02T15:02:5Z",
		"2027-12-0xT15:02:51Z", "10000-01-01T00:00:00Z", "",
		"2100-02-29T00:00:00Z",
	};
	for (size_t i = 0; i < sizeof(bad_times) / sizeof(bad_times[0]); i++) {
		d.certificate.not_after = str(bad_times[i]);
		m = metrics_of(&d, 0);
		if (m) {
			if (strstr(m, "protocol=\"ikev2\""))
				fprintf(stderr, "time `%s' read\n", bad_times[i]);
			CHECK_NO(m, "protocol=\"ikev2\"");
			free(m);
		}
	}
	static const struct {
		const char	*t;
		const char	*want;
	} good_times[] = {
		{ "1970-01-01T00:00:00Z", "} 0" },
		{ "1969-12-31T23:59:59Z", "} -1" },
		{ "0000-03-01T00:00:00Z", "} -62162035200" },
		{ "2000-02-29T12:00:00Z", "} 951825600" },
		{ "2038-01-19T03:14:08Z", "} 2147483648" },
	};
	for (size_t i = 0; i < sizeof(good_times) / sizeof(good_times[0]);
	    i++) {
		char line[200];

		d.certificate.not_after = str(good_times[i].t);
		snprintf(line, sizeof(line), "ikeprobe_certificate_expiry_"
		    "timestamp_seconds{family=\"ipv6\",protocol=\"ikev2\"%s",
		    good_times[i].want);
		m = metrics_of(&d, 0);
		if (m) {
			CHECK_LINE(m, line);
			free(m);
		}
	}
	/* A report of no family (no address): only the probe's metrics. */
	d.target.address = str("not an address");
	m = metrics_of(&d, 0);
	if (m) {
		CHECK_NO(m, "family=");
		CHECK_LINE(m, "ikeprobe_probe_success 1");
		free(m);
	}
}

static void
test_label_escaping(void)
{
	struct mem m;
	char *s;

	if (mem_open(&m) == NULL)
		return;
	exporter_label_value(m.f, "a\\b\"c\nd\te}");
	s = mem_close(&m);
	CHECK_STR(s, "a\\\\b\\\"c\\nd\te}");
	free(s);
}

static void
fill_health(struct exporter_config *cfg, struct exporter_health *h)
{
	exporter_config_defaults(cfg);
	memset(h, 0, sizeof(*h));
	h->requests[exporter_http_code_index(200)] = 41;
	h->requests[exporter_http_code_index(400)] = 2;
	h->requests[exporter_http_code_index(429)] = 1;
	h->requests[exporter_http_code_index(418)] = 3;
	h->probes[0] = 30;
	h->probes[1] = 11;
	h->probe_failures[1] = 4;
	h->rate_limited = 1;
	h->bad_requests = 2;
	h->probes_running = 1;
	h->start_time = 1796000000.25;
}

static void
test_health(void)
{
	struct exporter_config cfg;
	struct exporter_health h;
	struct mem m;
	char *s;

	CHECK_EQ(exporter_http_code_index(200), EXPORTER_HTTP_200);
	CHECK_EQ(exporter_http_code_index(503), EXPORTER_HTTP_503);
	CHECK_EQ(exporter_http_code_index(0), EXPORTER_HTTP_OTHER);
	CHECK_EQ(exporter_http_code_index(-1), EXPORTER_HTTP_OTHER);
	fill_health(&cfg, &h);
	if (mem_open(&m) == NULL)
		return;
	CHECK_EQ(exporter_metrics_health(m.f, &cfg, &h), 0);
	s = mem_close(&m);
	CHECK_LINE(s, "# TYPE ikeprobe_exporter_requests_total counter");
	CHECK_LINE(s, "ikeprobe_exporter_requests_total{code=\"200\"} 41");
	CHECK_LINE(s, "ikeprobe_exporter_requests_total{code=\"404\"} 0");
	CHECK_LINE(s, "ikeprobe_exporter_requests_total{code=\"other\"} 3");
	CHECK_LINE(s, "ikeprobe_exporter_probes_total{module=\"quick\"} 30");
	CHECK_LINE(s, "ikeprobe_exporter_probe_failures_total{module=\"full\"} 4");
	CHECK_LINE(s, "ikeprobe_exporter_probes_running 1");
	CHECK_LINE(s, "ikeprobe_exporter_max_concurrent 2");
	CHECK_LINE(s, "ikeprobe_exporter_rate_limited_total 1");
	CHECK_LINE(s, "ikeprobe_exporter_start_time_seconds 1796000000.250");
	CHECK_LINE(s, "ikeprobe_exporter_build_info{version=\""
	    IKEPROBE_VERSION "\"} 1");
	free(s);
}

static int
print_metrics(const char *path)
{
	char err[300], *buf;
	size_t len;
	struct doc d;
	int rc;

	if ((buf = slurp(path, &len)) == NULL) {
		fprintf(stderr, "test_exporter: cannot read %s\n", path);
		return 2;
	}
	rc = doc_read(buf, len, &d, err, sizeof(err));
	free(buf);
	if (rc < 0) {
		fprintf(stderr, "test_exporter: %s: %s\n", path, err);
		doc_free(&d);
		return 2;
	}
	rc = exporter_metrics_probe(stdout, &d, -1);
	doc_free(&d);
	return rc < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--metrics") == 0)
		return print_metrics(argv[2]);
	if (argc == 2 && strcmp(argv[1], "--health") == 0) {
		struct exporter_config cfg;
		struct exporter_health h;

		fill_health(&cfg, &h);
		return exporter_metrics_health(stdout, &cfg, &h) < 0;
	}
	test_seconds();
	test_targets();
	test_request();
	test_timeouts();
	test_config_good();
	test_config_errors();
	test_allowed();
	test_label_escaping();
	test_metrics_reports();
	test_metrics_hostile();
	test_health();
	return check_done();
}
