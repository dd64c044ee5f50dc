#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ikeprobe/net.h"
#include "ikeprobe/sizes.h"
#include "ikeprobe/utf8.h"

#include "cli.h"
#include "options.h"

static const char usage_text[] =
"usage: ikeprobe [options] GATEWAY...\n"
"       ikeprobe [options] --targets FILE [GATEWAY...]\n"
"       ikeprobe show [--format FMT] REPORT.json|DIR|-\n"
"       ikeprobe compare [--format FMT] REPORT.json|DIR...\n"
"       ikeprobe explain [--format FMT] CODE...\n"
"       ikeprobe analyze [--format FMT] [--keys FILE] CAPTURE.pcap\n"
"\n"
"Tell whether an IKEv2 VPN gateway can be reached from this network, and\n"
"why not. Sends real IKE_SA_INIT requests on UDP 500 and 4500 and reads\n"
"what comes back: replies, ICMP errors, silence; checks the SSTP fallback\n"
"on TCP 443 in the same run.\n"
"\n"
"  -f, --format FMT      text (the default), json, markdown (for a ticket)\n"
"                        or jsonl (one report per line, each printed as\n"
"                        its gateway finishes)\n"
"  -T, --targets FILE    the gateways to probe, one name or address per line\n"
"                        (# comments); all are probed at once, one report\n"
"                        each and a summary table\n"
"  -j, --json            the same as --format json\n"
"  -o, --output DIR      also write report.json, report.md, report.txt,\n"
"                        capture.pcap, ikev2_decryption_table (for\n"
"                        Wireshark) and sstp-chain.pem into DIR (created if\n"
"                        missing); each file appears whole or not at all;\n"
"                        with several gateways, one such DIR/GATEWAY each\n"
"      --label TEXT      name this network in the report, e.g.\n"
"                        --label \"Hotel Berlin guest Wi-Fi\"\n"
"  -4, --ipv4            probe the gateway's IPv4 address only\n"
"  -6, --ipv6            probe its IPv6 address only (by default a name with\n"
"                        both is probed on both, one report each)\n"
"      --all-addresses   probe every address the gateway's name resolves to\n"
"                        (a load-balanced cluster), one report each\n"
"  -w, --pcap FILE       save every packet of the run for Wireshark\n"
"  -p, --ports LIST      UDP ports to probe, at most 8 (default 500,4500)\n"
"  -s, --source ADDR     send from this local address\n"
"  -i, --interface IF    send and capture on this interface\n"
"  -u, --user USER       unprivileged user to run as after setup (nobody)\n"
"  -q, --quick           reachability only: skip the fragment and path-MTU tests\n"
"      --sizes LIST      IP datagram sizes to try (default 1280,1400,1450,\n"
"                        the interface MTU, 2500,4500): sizes up to the\n"
"                        interface MTU are sent whole with DF set (path MTU);\n"
"                        sizes above the fragment size are also sent in\n"
"                        fragments (do fragments reach the gateway)\n"
"      --fragment-size N IP bytes per fragment (default 1280, at most the\n"
"                        interface MTU)\n"
"      --no-auth         skip the IKE_AUTH probe (the gateway's certificate\n"
"                        and whether its large replies reach this network)\n"
"      --audit           also audit the proposals the gateway accepts (weak\n"
"                        transforms, whether default Windows clients get in);\n"
"                        stateless, at most 60 requests\n"
"      --no-sstp         skip the SSTP check (TCP 443: TLS, the server's\n"
"                        certificate, the SSTP listener)\n"
"      --sstp-port N     the SSTP server's TCP port (443)\n"
"      --ca FILE         judge the gateway's certificates (IKE and SSTP)\n"
"                        against the CA certificates in FILE (PEM), not\n"
"                        this machine's trust store\n"
"      --stateful        size probes ask for a full SA (leaves half-open SAs\n"
"                        on the gateway; for gateways that ignore the default\n"
"                        stateless probes)\n"
"      --attempts N      transmissions before a reachability probe counts as\n"
"                        lost (5)\n"
"      --rto MS          first retransmission timeout in ms (200; each next\n"
"                        wait is 1.5 times longer)\n"
"  -v, --verbose         print every packet sent and received, decoded,\n"
"                        and what it was matched to, on stderr\n"
"  -h, --help            this text\n"
"  -V, --version         print the version\n"
"\n"
"show prints a saved report (report.json, or --format json output; DIR: the\n"
"report.json of an --output directory; -: standard input) again; compare\n"
"puts two or more reports side by side, one column each (one per address of\n"
"an --all-addresses report, which is enough alone), and marks the checks\n"
"that differ. explain says what a Windows VPN error code means (809,\n"
"13801, -2146762495, 0x800B0101, CERT_E_EXPIRED) and which ikeprobe check\n"
"confirms or rules out each usual cause; no privileges, no network.\n"
"\n"
"Exit status: 0 every port open and no problem, 1 a problem found, 2 bad usage,\n"
"3 could not run (privileges, interface, capture, output directory), 130 (128\n"
"+ the signal) interrupted, after printing the report of what was seen.\n"
"show: 0, or 2 for a file that is not a readable report. compare: 0 no check\n"
"differs, 1 some differ, 2 a file is not a readable report. explain: 0, or 1\n"
"when a code is not in ikeprobe's table.\n"
"Needs CAP_NET_RAW: run with sudo, or once:\n"
"  sudo setcap " NET_SETCAP_CAPS " \"$(command -v ikeprobe)\"\n";

/* A usage error: one line, exit status 2. */
#define bad(...)	cli_fail(EXIT_USAGE, __VA_ARGS__)

/* A list option: comma-separated whole numbers from lo to hi, each once,
 * at most max of them. */
struct list_kind {
	const char	*noun;		/* "port" */
	const char	*unit;		/* "numbers", "IP datagram bytes" */
	const char	*example;	/* "--ports 500,4500" */
	long		 lo, hi;
	int		 max;
};

static int
parse_list(const char *s, const struct list_kind *k, long *out, int *n)
{
	char *copy = strdup(s), *rest = copy, *tok, *end;
	long v;
	int rc = 0;

	if (copy == NULL)
		return EXIT_CANNOT_RUN;
	*n = 0;
	/* strsep, not strtok: "500,,4500" has an empty item, and is wrong. */
	while (rc == 0 && (tok = strsep(&rest, ",")) != NULL) {
		v = strtol(tok, &end, 10);
		if (*tok == '\0' || *end != '\0' || v < k->lo || v > k->hi) {
			rc = bad("bad %s list `%s': %ss are %s from %ld to %ld, "
			    "separated by commas, e.g. %s", k->noun, s, k->noun,
			    k->unit, k->lo, k->hi, k->example);
			break;
		}
		for (int i = 0; i < *n && rc == 0; i++)
			if (out[i] == v)
				rc = bad("bad %s list `%s': %s %ld is repeated; "
				    "give each %s once", k->noun, s, k->noun, v,
				    k->noun);
		if (rc == 0 && *n == k->max)
			rc = bad("bad %s list `%s': at most %d %ss", k->noun, s,
			    k->max, k->noun);
		if (rc == 0)
			out[(*n)++] = v;
	}
	if (rc == 0 && *n == 0)
		rc = bad("bad %s list `%s': give at least one %s, e.g. %s",
		    k->noun, s, k->noun, k->example);
	free(copy);
	return rc;
}

static int
parse_ports(const char *s, struct options *o)
{
	static const struct list_kind k = {
		"port", "numbers", "--ports 500,4500", 1, 65535, MAX_PORTS,
	};
	long v[MAX_PORTS];
	int rc = parse_list(s, &k, v, &o->n_ports);

	for (int i = 0; rc == 0 && i < o->n_ports; i++)
		o->ports[i] = (uint16_t)v[i];
	return rc;
}

static int
parse_sizes(const char *s, struct options *o)
{
	static const struct list_kind k = {
		"size", "IP datagram bytes", "--sizes 1400,1500,3000",
		PROBE_SIZE_MIN, PROBE_SIZE_MAX, MAX_SIZES,
	};
	long v[MAX_SIZES];
	int rc = parse_list(s, &k, v, &o->n_sizes);

	for (int i = 0; rc == 0 && i < o->n_sizes; i++)
		o->sizes[i] = (size_t)v[i];
	return rc;
}

static int
parse_int(const char *s, const char *name, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		return bad("%s `%s' is not a number from %d to %d", name, s,
		    lo, hi);
	*out = (int)v;
	return 0;
}

int
format_parse(const char *s, enum format *f)
{
	if (strcmp(s, "text") == 0)
		*f = FORMAT_TEXT;
	else if (strcmp(s, "json") == 0)
		*f = FORMAT_JSON;
	else if (strcmp(s, "jsonl") == 0)
		*f = FORMAT_JSONL;
	else if (strcmp(s, "markdown") == 0 || strcmp(s, "md") == 0)
		*f = FORMAT_MARKDOWN;
	else
		return bad("--format `%s' is not a format: give text, json, "
		    "jsonl or markdown", s);
	return 0;
}

/* A label goes into every report: one line of printable text. */
static int
parse_label(const char *s, struct options *o)
{
	size_t n = strlen(s);
	char copy[201];

	if (n == 0 || n > 200)
		return bad("--label `%s' must be 1 to 200 bytes long", s);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return bad("--label `%s' has a control character: give "
			    "one line of text", s);
	/* A report with one invalid byte is one no JSON reader opens. */
	if (utf8_copy(copy, sizeof(copy), s, n) != n || strcmp(copy, s) != 0)
		return bad("--label `%s' is not UTF-8 text (check the "
		    "terminal's locale)", s);
	o->label = s;
	return 0;
}

enum {
	OPT_ATTEMPTS = 256, OPT_RTO, OPT_SIZES, OPT_FRAG_SIZE, OPT_STATEFUL,
	OPT_LABEL, OPT_ALL_ADDRESSES, OPT_NO_AUTH, OPT_CA, OPT_AUDIT,
	OPT_NO_SSTP, OPT_SSTP_PORT,
};

/* A gateway as typed: a name or an address, one token. */
static bool
target_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255 || s[0] == '-')
		return false;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c <= 0x20 || *c >= 0x7f)
			return false;
	return true;
}

static int
add_target(struct options *o, const char *s, const char *where)
{
	if (!target_ok(s))
		return bad("%s`%s' is not a gateway name or address", where, s);
	for (int i = 0; i < o->n_targets; i++)
		if (strcmp(o->targets[i], s) == 0)
			return 0;	/* a list pasted twice: probed once */
	if (o->n_targets == MAX_TARGETS)
		return bad("%sat most %d gateways in one run: split the list",
		    where, MAX_TARGETS);
	o->targets[o->n_targets++] = s;
	return 0;
}

/* --targets FILE: one gateway per line, blank lines and # comments
 * ignored. The file's text is kept, the targets point into it. */
static int
read_targets(const char *path, struct options *o)
{
	char where[300], *line, *rest;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t len = 0, cap = 0;
	int lineno = 0, rc = 0, ch;

	if (f == NULL)
		return bad("--targets `%s': %s", path, strerror(errno));
	/* Bounded: a list of gateways is a few KB. */
	while ((ch = getc(f)) != EOF) {
		if (len + 2 > cap) {
			char *nb;

			if (cap >= 1u << 20) {
				rc = bad("--targets `%s' is over 1 MB: give a "
				    "list of gateways", path);
				break;
			}
			cap = cap ? cap * 2 : 4096;
			if ((nb = realloc(o->targets_buf, cap)) == NULL) {
				rc = EXIT_CANNOT_RUN;
				break;
			}
			o->targets_buf = nb;
		}
		o->targets_buf[len++] = (char)ch;
	}
	if (f != stdin)
		fclose(f);
	if (rc)
		return rc;
	if (o->targets_buf == NULL)
		return bad("--targets `%s' is empty: give one gateway per line",
		    path);
	o->targets_buf[len] = '\0';
	if (strlen(o->targets_buf) != len)
		return bad("--targets `%s' is not a text file", path);
	rest = o->targets_buf;
	while (rc == 0 && (line = strsep(&rest, "\n")) != NULL) {
		char *c = strchr(line, '#'), *end;

		lineno++;
		if (c)
			*c = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		end = line + strlen(line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\t' ||
		    end[-1] == '\r'))
			*--end = '\0';
		if (*line == '\0')
			continue;
		snprintf(where, sizeof(where), "--targets %s line %d: ", path,
		    lineno);
		if (strpbrk(line, " \t"))
			rc = bad("%sone gateway per line", where);
		else
			rc = add_target(o, line, where);
	}
	return rc;
}

int
options_parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "ipv4", no_argument, NULL, '4' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "targets", required_argument, NULL, 'T' },
		{ "output", required_argument, NULL, 'o' },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "all-addresses", no_argument, NULL, OPT_ALL_ADDRESSES },
		{ "pcap", required_argument, NULL, 'w' },
		{ "ports", required_argument, NULL, 'p' },
		{ "source", required_argument, NULL, 's' },
		{ "interface", required_argument, NULL, 'i' },
		{ "user", required_argument, NULL, 'u' },
		{ "attempts", required_argument, NULL, OPT_ATTEMPTS },
		{ "rto", required_argument, NULL, OPT_RTO },
		{ "quick", no_argument, NULL, 'q' },
		{ "sizes", required_argument, NULL, OPT_SIZES },
		{ "fragment-size", required_argument, NULL, OPT_FRAG_SIZE },
		{ "stateful", no_argument, NULL, OPT_STATEFUL },
		{ "no-auth", no_argument, NULL, OPT_NO_AUTH },
		{ "audit", no_argument, NULL, OPT_AUDIT },
		{ "no-sstp", no_argument, NULL, OPT_NO_SSTP },
		{ "sstp-port", required_argument, NULL, OPT_SSTP_PORT },
		{ "ca", required_argument, NULL, OPT_CA },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *targets_file = NULL;
	int ch, rc, v;

	memset(o, 0, sizeof(*o));
	o->ports[0] = 500;
	o->ports[1] = 4500;
	o->n_ports = 2;
	o->user = "nobody";
	o->attempts = 5;
	o->rto_ms = 200;
	o->sstp_port = 443;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":46jf:T:o:w:p:s:i:u:qvhV", longopts,
	    NULL)) != -1) {
		rc = 0;
		switch (ch) {
		case '4':
			o->family = AF_INET;
			break;
		case '6':
			o->family = AF_INET6;
			break;
		case 'j':
			o->format = FORMAT_JSON;
			break;
		case 'f':
			rc = format_parse(optarg, &o->format);
			break;
		case 'o':
			o->output_dir = optarg;
			break;
		case 'T':
			targets_file = optarg;
			break;
		case OPT_LABEL:
			rc = parse_label(optarg, o);
			break;
		case OPT_ALL_ADDRESSES:
			o->all_addresses = true;
			break;
		case 'w':
			o->pcap_path = optarg;
			break;
		case 'p':
			rc = parse_ports(optarg, o);
			break;
		case 's':
			o->source = optarg;
			break;
		case 'i':
			o->ifname = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case OPT_ATTEMPTS:
			rc = parse_int(optarg, "--attempts", 1, 10, &o->attempts);
			break;
		case OPT_RTO:
			rc = parse_int(optarg, "--rto", 10, 10000, &o->rto_ms);
			break;
		case 'q':
			o->quick = true;
			break;
		case OPT_SIZES:
			rc = parse_sizes(optarg, o);
			break;
		case OPT_FRAG_SIZE:
			rc = parse_int(optarg, "--fragment-size", PROBE_SIZE_MIN,
			    9000, &v);
			o->frag_size = (size_t)v;
			break;
		case OPT_STATEFUL:
			o->stateful = true;
			break;
		case OPT_NO_AUTH:
			o->no_auth = true;
			break;
		case OPT_AUDIT:
			o->audit = true;
			break;
		case OPT_NO_SSTP:
			o->no_sstp = true;
			break;
		case OPT_SSTP_PORT:
			rc = parse_int(optarg, "--sstp-port", 1, 65535, &v);
			o->sstp_port = (uint16_t)v;
			break;
		case OPT_CA:
			if (access(optarg, R_OK) != 0)
				return bad("--ca `%s': cannot read it: give a PEM "
				    "file of CA certificates", optarg);
			o->ca_file = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		case 'V':
			printf("ikeprobe %s\n", IKEPROBE_VERSION);
			return -1;
		case ':':
			return bad("option `%s' needs a value (see --help)",
			    argv[optind - 1]);
		default:
			return bad("unknown option `%s' (see --help)", argv[optind - 1]);
		}
		if (rc)
			return rc;
	}
	if (targets_file && (rc = read_targets(targets_file, o)) != 0)
		return rc;
	for (int i = optind; i < argc; i++)
		if ((rc = add_target(o, argv[i], "")) != 0)
			return rc;
	if (o->n_targets == 0)
		return bad("%s", targets_file ? "--targets names no gateway: "
		    "give one per line" : "name the VPN gateway to probe, e.g. "
		    "`sudo ikeprobe vpn.example.net' (see --help)");
	if (o->output_dir && o->pcap_path)
		return bad("--pcap `%s' and --output: the bundle has its own "
		    "capture.pcap; give one of the two", o->pcap_path);
	return 0;
}

int
file_options_parse(int argc, char **argv, bool one_file, struct file_options *o)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":f:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if ((rc = format_parse(optarg, &o->format)) != 0)
				return rc;
			break;
		case 'j':
			o->format = FORMAT_JSON;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		case ':':
			return bad("option `%s' needs a value (see --help)",
			    argv[optind - 1]);
		default:
			return bad("unknown option `%s' for %s (see --help)",
			    argv[optind - 1], argv[0]);
		}
	}
	o->files = argv + optind;
	o->n_files = argc - optind;
	if (o->n_files == 0 && one_file)
		return bad("%s: name the report to print, e.g. `ikeprobe show "
		    "report.json'", argv[0]);
	if (o->n_files == 0)
		return bad("%s: give the reports to compare, e.g. `ikeprobe "
		    "compare hq.json hotel.json'", argv[0]);
	if (one_file && o->n_files > 1)
		return bad("%s: give one report (compare puts several side by "
		    "side)", argv[0]);
	return 0;
}
