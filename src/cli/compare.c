/* ikeprobe compare A.json B.json ...: reports side by side, one column
 * each, the checks that differ marked. Exit 0 if none differs, 1 if some
 * do (as diff(1)), 2 if a file is not a readable report. */
#include <json-c/json.h>
#include <stdlib.h>

#include "cli.h"

int
compare_main(int argc, char **argv)
{
	struct file_options o;
	struct cmp_table *t;
	struct doc *docs;
	char *raw;
	int rc = 0, n = 0;

	if ((rc = file_options_parse(argc, argv, false, &o)) != 0)
		return rc < 0 ? 0 : rc;
	docs = calloc((size_t)o.n_files, sizeof(*docs));
	t = calloc(1, sizeof(*t));
	if (docs == NULL || t == NULL) {
		free(docs);
		free(t);
		return cli_fail(EXIT_CANNOT_RUN, "out of memory");
	}
	for (; n < o.n_files && rc == 0; n++) {
		if ((rc = cli_read_doc(o.files[n], &docs[n], &raw)) != 0)
			break;
		free(raw);
		if (cmp_add(t, o.files[n], &docs[n]) < 0)
			rc = cli_fail(EXIT_USAGE, "%s: more than %d reports "
			    "(counting the addresses of --all-addresses "
			    "reports) to put side by side: compare fewer at "
			    "a time", o.files[n], CMP_MAX_COLS);
	}
	if (rc == 0 && t->n_cols < 2)
		rc = cli_fail(EXIT_USAGE, "compare: give at least two reports "
		    "(or one of --all-addresses), e.g. `ikeprobe compare "
		    "hq.json hotel.json'");
	if (rc == 0) {
		cmp_build(t);
		if (o.format == FORMAT_JSON || o.format == FORMAT_JSONL) {
			json_object *j = cmp_json(t);

			printf("%s\n", json_object_to_json_string_ext(j,
			    cli_json_flags(o.format)));
			json_object_put(j);
		} else if (o.format == FORMAT_MARKDOWN)
			cmp_markdown(stdout, t);
		else
			cmp_text(stdout, t, cli_color(stdout));
		rc = t->n_differ ? EXIT_PROBLEM : 0;
		if (fflush(stdout) != 0)
			rc = EXIT_CANNOT_RUN;
	}
	while (n-- > 0)
		doc_free(&docs[n]);
	free(docs);
	free(t);
	return rc;
}
