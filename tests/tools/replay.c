/* ikeprobe-replay REPORT.json CAPTURE.pcap: the report re-derived from
 * its own capture (src/engine/replay.c), printed as JSON. For the lab's
 * replay-equals-live check; not installed. Exit status as ikeprobe's
 * would be for the re-derived report, or 2 if either file cannot be
 * read. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikeprobe/doc.h"
#include "ikeprobe/render.h"
#include "ikeprobe/replay.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    (size_t)n <= DOC_MAX_BYTES && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

int
main(int argc, char **argv)
{
	char err[400], *raw;
	json_object *out;
	struct doc d;
	size_t len = 0;
	int status;

	if (argc != 3) {
		fprintf(stderr, "usage: ikeprobe-replay REPORT.json CAPTURE.pcap\n");
		return 2;
	}
	if ((raw = slurp(argv[1], &len)) == NULL) {
		fprintf(stderr, "ikeprobe-replay: cannot read %s\n", argv[1]);
		return 2;
	}
	if (doc_read(raw, len, &d, err, sizeof(err)) < 0 ||
	    replay_report(&d, argv[2], &out, &status, err, sizeof(err)) < 0) {
		fprintf(stderr, "ikeprobe-replay: %s\n", err);
		doc_free(&d);
		free(raw);
		return 2;
	}
	puts(json_object_to_json_string_ext(out, RENDER_JSON_FLAGS));
	json_object_put(out);
	doc_free(&d);
	free(raw);
	return status;
}
