/* `ikeprobe exporter': a Prometheus multi-target exporter (the
 * blackbox_exporter pattern). Prometheus asks GET /probe?target=NAME&
 * module=quick|full, the exporter runs one probe and answers with its
 * metrics; GET /metrics gives the exporter's own counters.
 *
 * What is here is the part that reads hostile input and the part that
 * writes the answer, pure (no I/O, no sockets, no clock, no globals), so
 * unit tests and fuzz/fuzz_exporter.c run exactly what the server runs:
 *
 *	request.c	one /probe request: target, module, scrape timeout,
 *			and the allow-list
 *	config.c	the --config file
 *	output/metrics.c the text exposition format (0.0.4) of one probe,
 *			from its report read back (doc.h), and of the
 *			exporter's own health
 *
 * docs/EXPORTER.md says what each setting and metric means. */
#ifndef IKEPROBE_EXPORTER_H
#define IKEPROBE_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ikeprobe/doc.h"
#include "ikeprobe/packet.h"

#define EXPORTER_MAX_MODULES	16	/* the built-ins included */
#define EXPORTER_MAX_ALLOW	64
#define EXPORTER_MAX_PORTS	8	/* probe.h's MAX_PORTS: --ports */
#define EXPORTER_MODULE_NAME	32	/* bytes of a module's name */
#define EXPORTER_TARGET_MAX	253	/* a DNS name's longest text form */
#define EXPORTER_CONFIG_MAX	(64u << 10)	/* bytes of a --config file */
#define EXPORTER_LINE_MAX	1024	/* bytes of one of its lines */

/* Probe deadlines, in seconds. A module's own (--timeout) is both what a
 * probe gets when Prometheus says nothing and the most it ever gets;
 * never less than the floor, whatever Prometheus asks. */
#define EXPORTER_TIMEOUT_MIN	1.0
#define EXPORTER_TIMEOUT_MAX	600.0
#define EXPORTER_TIMEOUT_QUICK	20.0	/* `quick', and a module with
					 * --quick and no --timeout */
#define EXPORTER_TIMEOUT_FULL	60.0	/* `full', and any other module
					 * without --timeout */

#define EXPORTER_SCRAPE_HEADER	"X-Prometheus-Scrape-Timeout-Seconds"

/* One module: the probe options a /probe request with module=NAME runs
 * with (src/cli/options.c has their meaning). Nothing else of the command
 * line can be given: what a probe may do is the configuration's. */
struct exporter_module {
	char		 name[EXPORTER_MODULE_NAME + 1];  /* [a-z][a-z0-9_-]* */
	bool		 quick;		/* --quick: reachability only */
	bool		 no_auth;	/* --no-auth */
	bool		 no_sstp;	/* --no-sstp */
	bool		 audit;		/* --audit */
	int		 family;	/* -4 AF_INET, -6 AF_INET6, 0 both */
	uint16_t	 sstp_port;	/* --sstp-port (443) */
	uint16_t	 ports[EXPORTER_MAX_PORTS];	/* --ports */
	int		 n_ports;	/* 0: the default, 500,4500 */
	double		 timeout;	/* --timeout, seconds */
	int		 line;		/* where the file defined it; 0 built-in */
};

/* An allow entry: a prefix the resolved address must lie in, or a name
 * the target must be (compared without case and trailing dot). */
struct exporter_allow {
	bool		 is_prefix;
	struct ip_addr	 prefix;	/* host bits zero */
	int		 bits;		/* 0-32 or 0-128 */
	char		 name[EXPORTER_TARGET_MAX + 1];	/* lowercase */
};

struct exporter_config {
	int		 max_concurrent;	/* probes at once, 1-16 (2) */
	double		 min_interval;	/* s between two probes of one
					 * target, any module (30); within
					 * it the last answer is served
					 * again */
	double		 timeout_offset;	/* s kept from Prometheus'
						 * scrape timeout (0.5) */
	struct exporter_module modules[EXPORTER_MAX_MODULES];
	int		 n_modules;
	int		 default_module;	/* index: module= absent */
	struct exporter_allow allow[EXPORTER_MAX_ALLOW];
	int		 n_allow;		/* 0: every target allowed */
};

/* The configuration without a file: modules `quick' (--quick) and `full'
 * (the default run, and the default module), no allow-list, and the
 * defaults above. */
void	 exporter_config_defaults(struct exporter_config *);

/* The --config file's text buf[0..len) over the defaults. 0, or -1 with
 * one line in err ("line 3: max_concurrent `40' is not a number from 1
 * to 16"); the file is hostile input: bounded, every value checked. */
int	 exporter_config_parse(const char *buf, size_t len,
	    struct exporter_config *, char *err, size_t errlen);

/* The module of that name, or NULL. */
const struct exporter_module *exporter_module_find(
	    const struct exporter_config *, const char *name);

/* Where a probe's deadline came from (for the exporter's log). */
enum exporter_timeout_source {
	EXPORTER_TIMEOUT_MODULE,	/* no header: the module's own */
	EXPORTER_TIMEOUT_SCRAPE,	/* the header less timeout_offset, at
					 * most the module's, at least the
					 * floor */
	EXPORTER_TIMEOUT_BAD_HEADER,	/* a header that is no decimal number
					 * of seconds: the module's own */
};

/* One /probe request, checked. */
struct exporter_request {
	/* The target in one form per target: a name in lowercase without a
	 * trailing dot, an address as inet_ntop writes it (no brackets), so
	 * that it can key the rate limit. */
	char		 target[EXPORTER_TARGET_MAX + 1];
	bool		 is_address;
	struct ip_addr	 addr;		/* is_address: the literal */
	int		 module_index;	/* into cfg->modules */
	const struct exporter_module *module;	/* points into cfg */
	double		 timeout;	/* the probe's deadline, seconds */
	enum exporter_timeout_source timeout_source;
};

/* A /probe request from its query parameters and its header (each NULL
 * when absent; C strings as the HTTP server decoded them). 0, or -1 with
 * a short reason in err for the 400 answer; what err quotes of the input
 * is cut short and has nothing but printable ASCII, without <>&"'\.
 *
 * target: a host name (RFC 1123 labels of letters, digits and hyphens,
 * at most 253 bytes, a trailing dot allowed; not one a resolver would
 * read as an IPv4 address, such as 0x7f000001 or 10.1), an IPv4 address
 * in four decimal numbers, or an IPv6 address, bracketed or not, without
 * zone. Addresses that are not a gateway's are refused: see
 * exporter_address_usable(). module: one of cfg's, the default when
 * absent or empty. The deadline: see exporter_timeout_source.
 *
 * Whether the target is allowed is exporter_allowed()'s: for a name, once
 * with the name, then with each address it resolves to. */
int	 exporter_request_parse(const struct exporter_config *,
	    const char *target, const char *module,
	    const char *scrape_timeout_header, struct exporter_request *,
	    char *err, size_t errlen);

/* What a target is, once checked. */
enum exporter_target_kind {
	EXPORTER_TARGET_BAD,
	EXPORTER_TARGET_NAME,
	EXPORTER_TARGET_ADDRESS,
};

/* s as a target (the rules of exporter_request_parse): its kind, the
 * normal form into norm (norm_len at least EXPORTER_TARGET_MAX + 1) and,
 * for an address, *addr; for EXPORTER_TARGET_BAD, *why says what is
 * wrong in a few words. The config's `allow NAME' is checked with it. */
enum exporter_target_kind exporter_target_check(const char *s, char *norm,
	    size_t norm_len, struct ip_addr *addr, const char **why);

/* An address a probe may go to at all: not unspecified (0.0.0.0/8, ::,
 * which Linux delivers to this machine), not multicast, not 240.0.0.0/4
 * (the limited broadcast with it), not IPv4-mapped (::ffff:0:0/96). */
bool	 exporter_address_usable(const struct ip_addr *);

/* May a probe go to this target: with no allow entries, yes; else yes
 * when name (a target's normal form, or NULL) is an allowed name or addr
 * (or NULL) lies in an allowed prefix. An address that is not usable is
 * never allowed, whatever the list says. */
bool	 exporter_allowed(const struct exporter_config *,
	    const struct ip_addr *addr, const char *name);

/* A decimal number of seconds as Prometheus writes its scrape timeout:
 * 1 to 9 digits, then optionally a point and 1 to 9 digits ("10", "9.5",
 * "0.25"), nothing else (no sign, exponent, hex, inf or nan, and not
 * strtod, whose reading depends on the locale); s[0..n). */
bool	 exporter_seconds_parse(const char *s, size_t n, double *out);

/* One probe's metrics, in Prometheus' text exposition format 0.0.4, from
 * its report read back (d; NULL when the probe gave no report: it failed
 * before, and only ikeprobe_probe_success 0 and the duration are
 * written). duration: the probe's wall time in seconds as the exporter
 * measured it; negative: the report's duration_ms. Every sample of a
 * report carries `family' (ipv4, ipv6): a report and its others (one per
 * address family) never give two samples of one series; a second report
 * of one family (--all-addresses) is left out. Deterministic: the same
 * report gives the same bytes. 0, or -1 when writing to f failed. */
int	 exporter_metrics_probe(FILE *, const struct doc *d, double duration);

/* s as a label value of the text format, between its double quotes:
 * backslash, double quote and line feed escaped, every other byte as it
 * is (the one place the metrics escape). */
void	 exporter_label_value(FILE *, const char *s);

/* The exporter's own counters, for /metrics. The server fills it (under
 * its own lock); the renderer only reads it. */
#define EXPORTER_HTTP_CODES(X) X(200) X(400) X(403) X(404) X(405) X(429) \
	X(500) X(503)
enum exporter_http_code {
#define EXPORTER_CODE_ENUM(c)	EXPORTER_HTTP_##c,
	EXPORTER_HTTP_CODES(EXPORTER_CODE_ENUM)
#undef EXPORTER_CODE_ENUM
	EXPORTER_HTTP_OTHER,		/* any other status */
	EXPORTER_N_HTTP
};

struct exporter_health {
	uint64_t	 requests[EXPORTER_N_HTTP];	/* answers, by status */
	uint64_t	 probes[EXPORTER_MAX_MODULES];	/* probes run, by
							 * cfg module index */
	uint64_t	 probe_failures[EXPORTER_MAX_MODULES];	/* of them, with
							 * probe_success 0 */
	uint64_t	 rate_limited;	/* 429: the target was probed less
					 * than min_interval ago (with
					 * another module) */
	uint64_t	 busy;		/* 503: too many probes waiting */
	uint64_t	 not_allowed;	/* 403: not in the allow-list */
	uint64_t	 bad_requests;	/* 400: exporter_request_parse said no */
	int		 probes_running;
	double		 start_time;	/* Unix time the exporter started */
};

/* The slot of an HTTP status in exporter_health.requests. */
enum exporter_http_code exporter_http_code_index(int status);

/* /metrics: the counters of h, the modules' names from cfg, and the
 * exporter's version. 0, or -1 when writing to f failed. */
int	 exporter_metrics_health(FILE *, const struct exporter_config *,
	    const struct exporter_health *h);

#endif
