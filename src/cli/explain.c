/* ikeprobe explain CODE...: what a Windows VPN error code means, from
 * ikeprobe's table (wincodes.h). No privileges, no network. Its own
 * argument reading: an HRESULT as the event log prints it (-2146762495)
 * looks like an option to getopt. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define EXPLAIN_SCHEMA	"ikeprobe.explain/1"
#define EXPLAIN_MAX	32

static bool
is_number(const char *s)
{
	return s[0] == '-' && s[1] >= '0' && s[1] <= '9';
}

int
explain_main(int argc, char **argv)
{
	enum format fmt = FORMAT_TEXT;
	uint32_t codes[EXPLAIN_MAX];
	int n = 0, rc, unknown = 0;
	bool opts = true;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts && strcmp(a, "--") == 0) {
			opts = false;
			continue;
		}
		if (opts && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
			printf("usage: ikeprobe explain [--format text|json|markdown] "
			    "CODE...\n\nCODE: a RasClient number (809), an IKE error "
			    "(13801), an HRESULT in\ndecimal (-2146762495) or hex "
			    "(0x800B0101), or its name (CERT_E_EXPIRED).\n");
			return 0;
		}
		if (opts && (strcmp(a, "-j") == 0 || strcmp(a, "--json") == 0)) {
			fmt = FORMAT_JSON;
			continue;
		}
		if (opts && (strcmp(a, "-f") == 0 || strcmp(a, "--format") == 0)) {
			if (i + 1 == argc)
				return cli_fail(EXIT_USAGE, "option `%s' needs a "
				    "value (see --help)", a);
			if ((rc = format_parse(argv[++i], &fmt)) != 0)
				return rc;
			continue;
		}
		if (opts && strncmp(a, "--format=", 9) == 0) {
			if ((rc = format_parse(a + 9, &fmt)) != 0)
				return rc;
			continue;
		}
		if (opts && a[0] == '-' && !is_number(a))
			return cli_fail(EXIT_USAGE, "unknown option `%s' for explain "
			    "(see --help)", a);
		if (n == EXPLAIN_MAX)
			return cli_fail(EXIT_USAGE, "explain: at most %d codes at a "
			    "time", EXPLAIN_MAX);
		if (wincode_parse(a, &codes[n]) < 0)
			return cli_fail(EXIT_USAGE, "explain: `%.80s' is not an error "
			    "code: give 809, 13801, -2146762495, 0x800B0101 or a name "
			    "such as CERT_E_EXPIRED", a);
		n++;
	}
	if (n == 0)
		return cli_fail(EXIT_USAGE, "explain: give a code, e.g. `ikeprobe "
		    "explain 809'");
	if (fmt == FORMAT_JSON || fmt == FORMAT_JSONL) {
		json_object *root = json_object_new_object(), *a = json_object_new_array();

		json_object_object_add(root, "schema", json_object_new_string(EXPLAIN_SCHEMA));
		json_object_object_add(root, "tool", render_json_tool());
		for (int i = 0; i < n; i++)
			json_object_array_add(a, wincode_json(codes[i], wincode_find(codes[i])));
		json_object_object_add(root, "codes", a);
		printf("%s\n", json_object_to_json_string_ext(root, cli_json_flags(fmt)));
		json_object_put(root);
	}
	for (int i = 0; i < n; i++) {
		const struct win_code *w = wincode_find(codes[i]);

		unknown += w == NULL;
		if (fmt == FORMAT_TEXT) {
			if (i)
				fputc('\n', stdout);
			wincode_text(stdout, codes[i], w, cli_color(stdout),
			    cli_width(stdout));
		} else if (fmt == FORMAT_MARKDOWN) {
			if (i)
				fputc('\n', stdout);
			wincode_markdown(stdout, codes[i], w);
		}
	}
	if (fflush(stdout) != 0)
		return EXIT_CANNOT_RUN;
	return unknown ? EXIT_PROBLEM : 0;
}
