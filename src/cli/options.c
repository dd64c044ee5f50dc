#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ikeprobe/sizes.h"
#include "options.h"

static const char usage_text[] =
"usage: ikeprobe [options] GATEWAY\n"
"\n"
"Tell whether an IKEv2 VPN gateway can be reached from this network, and\n"
"why not. Sends real IKE_SA_INIT requests on UDP 500 and 4500 and reads\n"
"what comes back: replies, ICMP errors, silence.\n"
"\n"
"  -j, --json            print the report as one JSON document\n"
"  -w, --pcap FILE       save every packet of the run for Wireshark\n"
"  -p, --ports LIST      UDP ports to probe (default 500,4500)\n"
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
"      --stateful        size probes ask for a full SA (leaves half-open SAs\n"
"                        on the gateway; for gateways that ignore the default\n"
"                        stateless probes)\n"
"      --attempts N      transmissions before a reachability probe counts as\n"
"                        lost (5)\n"
"      --rto MS          first retransmission timeout in ms (200; each next\n"
"                        wait is 1.5 times longer)\n"
"  -h, --help            this text\n"
"  -V, --version         print the version\n"
"\n"
"Exit status: 0 every port open and no problem, 1 a problem found, 2 bad usage,\n"
"3 could not run (privileges, interface, capture).\n"
"Needs CAP_NET_RAW: run with sudo, or once:\n"
"  sudo setcap cap_net_raw,cap_net_admin+ep \"$(command -v ikeprobe)\"\n";

static int __attribute__((format(printf, 1, 2)))
bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ikeprobe: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return EXIT_USAGE;
}

static int
parse_ports(const char *s, struct options *o)
{
	char *copy = strdup(s), *tok, *save = NULL, *end;
	long v;
	int rc = 0;

	if (copy == NULL)
		return EXIT_CANNOT_RUN;
	o->n_ports = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		v = strtol(tok, &end, 10);
		if (*tok == '\0' || *end != '\0' || v < 1 || v > 65535) {
			rc = bad("bad port list `%s': ports are numbers from 1 "
			    "to 65535, separated by commas, e.g. --ports 500,4500", s);
			break;
		}
		for (int i = 0; i < o->n_ports; i++)
			if (o->ports[i] == v)
				rc = bad("bad port list `%s': a port is repeated", s);
		if (rc)
			break;
		if (o->n_ports == MAX_PORTS) {
			rc = bad("bad port list `%s': at most 8 ports", s);
			break;
		}
		o->ports[o->n_ports++] = (uint16_t)v;
	}
	if (rc == 0 && o->n_ports == 0)
		rc = bad("bad port list `%s': give at least one port, e.g. "
		    "--ports 500,4500", s);
	free(copy);
	return rc;
}

static int
parse_int(const char *s, const char *name, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "ikeprobe: %s `%s' is not a number from %d to "
		    "%d\n", name, s, lo, hi);
		return EXIT_USAGE;
	}
	*out = (int)v;
	return 0;
}

static int
parse_sizes(const char *s, struct options *o)
{
	char *copy = strdup(s), *tok, *save = NULL, *end;
	long v;
	int rc = 0;

	if (copy == NULL)
		return EXIT_CANNOT_RUN;
	o->n_sizes = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		v = strtol(tok, &end, 10);
		if (*tok == '\0' || *end != '\0' || v < PROBE_SIZE_MIN ||
		    v > PROBE_SIZE_MAX) {
			rc = bad("bad size list `%s': sizes are IP datagram bytes "
			    "from %d to %d, separated by commas, e.g. --sizes "
			    "1400,1500,3000", s, PROBE_SIZE_MIN, PROBE_SIZE_MAX);
			break;
		}
		for (int i = 0; i < o->n_sizes; i++)
			if (o->sizes[i] == (size_t)v)
				rc = bad("bad size list `%s': a size is repeated", s);
		if (rc)
			break;
		if (o->n_sizes == MAX_SIZES) {
			rc = bad("bad size list `%s': at most %d sizes", s, MAX_SIZES);
			break;
		}
		o->sizes[o->n_sizes++] = (size_t)v;
	}
	if (rc == 0 && o->n_sizes == 0)
		rc = bad("bad size list `%s': give at least one size, e.g. "
		    "--sizes 1400,3000", s);
	free(copy);
	return rc;
}

enum { OPT_ATTEMPTS = 256, OPT_RTO, OPT_SIZES, OPT_FRAG_SIZE, OPT_STATEFUL };

int
options_parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc, v;

	memset(o, 0, sizeof(*o));
	o->ports[0] = 500;
	o->ports[1] = 4500;
	o->n_ports = 2;
	o->user = "nobody";
	o->attempts = 5;
	o->rto_ms = 200;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":jw:p:s:i:u:qhV", longopts, NULL)) != -1) {
		rc = 0;
		switch (ch) {
		case 'j':
			o->json = true;
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
	if (optind != argc - 1)
		return bad("%s", optind >= argc ? "name the VPN gateway to "
		    "probe, e.g. `sudo ikeprobe vpn.example.net' (see --help)" :
		    "give exactly one gateway (see --help)");
	o->target = argv[optind];
	return 0;
}
