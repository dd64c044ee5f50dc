/* ikeprobe show REPORT.json: a saved report, printed again. */
#include <stdlib.h>

#include "cli.h"

int
show_main(int argc, char **argv)
{
	struct file_options o;
	struct doc d;
	char *raw = NULL;
	int rc;

	if ((rc = file_options_parse(argc, argv, true, &o)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = cli_read_doc(o.files[0], &d, &raw)) != 0)
		return rc;
	cli_render(stdout, &d, raw, o.format);
	doc_free(&d);
	free(raw);
	return fflush(stdout) == 0 ? 0 : EXIT_CANNOT_RUN;
}
