/* ikeprobe analyze FILE: someone's capture of a failing connection, read
 * and judged. No privileges, no network: only the file. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "ikeprobe/analysis.h"

#include "cli.h"

static const char analyze_usage[] =
    "usage: ikeprobe analyze [--format text|json|markdown] [--keys FILE] FILE\n\n"
    "FILE: a pcap or pcapng capture of an IKEv2 connection attempt (Wireshark,\n"
    "tcpdump, or on Windows `pktmon etl2pcap'). Frames are numbered as\n"
    "Wireshark numbers them.\n\n"
    "  -f, --format FMT  text (the default), json, markdown\n"
    "  -j, --json        --format json\n"
    "  -k, --keys FILE   IKE SA keys in Wireshark's IKEv2 decryption table\n"
    "                    format: IKE_AUTH is decrypted, so its notifies, EAP\n"
    "                    and the gateway's certificates become evidence too\n\n"
    "Exit 0: nothing wrong found; 1: a problem (or no IKEv2 in the file);\n"
    "2: the file (or the key table) cannot be read, or is cut short (what\n"
    "came before the cut is still analysed).\n";

int
analyze_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "keys", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum format fmt = FORMAT_TEXT;
	const char *keys = NULL;
	struct analysis *a;
	char err[300];
	int ch, rc;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":f:jk:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if ((rc = format_parse(optarg, &fmt)) != 0)
				return rc;
			break;
		case 'j':
			fmt = FORMAT_JSON;
			break;
		case 'k':
			keys = optarg;
			break;
		case 'h':
			fputs(analyze_usage, stdout);
			return 0;
		case ':':
			return cli_fail(EXIT_USAGE, "option `%s' needs a value (see "
			    "--help)", argv[optind - 1]);
		default:
			return cli_fail(EXIT_USAGE, "unknown option `%s' for analyze "
			    "(see --help)", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cli_fail(EXIT_USAGE, "analyze: give one capture file, e.g. "
		    "`ikeprobe analyze failing.pcapng'");
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return cli_fail(EXIT_CANNOT_RUN, "analyze: out of memory");
	analysis_init(a, argv[optind]);
	if (keys && analysis_keys(a, keys, err, sizeof(err)) < 0) {
		rc = cli_fail(EXIT_USAGE, "analyze: --keys %s: %s", keys, err);
		analysis_free(a);
		free(a);
		return rc;
	}
	if (analysis_read(a, argv[optind]) < 0) {
		rc = cli_fail(EXIT_USAGE, "analyze: %s: %s", argv[optind],
		    a->read_error);
		analysis_free(a);
		free(a);
		return rc;
	}
	analysis_judge(a);
	switch (fmt) {
	case FORMAT_JSON:
	case FORMAT_JSONL: {
		json_object *j = analysis_json(a);

		printf("%s\n", json_object_to_json_string_ext(j, cli_json_flags(fmt)));
		json_object_put(j);
		break;
	}
	case FORMAT_MARKDOWN:
		analysis_markdown(stdout, a);
		break;
	case FORMAT_TEXT:
		analysis_text(stdout, a, cli_width(stdout));
		break;
	}
	rc = a->exit_status;
	if (fflush(stdout) != 0)
		rc = EXIT_CANNOT_RUN;
	else if (a->truncated)
		rc = cli_fail(EXIT_USAGE, "analyze: %s is cut short after frame %lu "
		    "(%s): the frames before it are analysed above", argv[optind],
		    a->frames, a->read_error);
	analysis_free(a);
	free(a);
	return rc;
}
