/* What the subcommands share: one-line errors, colour, reading a report
 * file, rendering a report in the chosen format. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int
cli_fail(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ikeprobe: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return status;
}

enum output_color
cli_color(FILE *f)
{
	return isatty(fileno(f)) && getenv("NO_COLOR") == NULL ?
	    COLOR_ALWAYS : COLOR_NEVER;
}

/* The whole file, at most one byte more than a report may be, so that a
 * larger one is told apart without reading it all. */
static int
slurp(const char *path, char **out, size_t *len)
{
	size_t cap = 64 << 10, n = 0;
	char *buf = NULL, *nb;
	ssize_t r;
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO :
	    open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (;;) {
		if (buf == NULL || n == cap) {
			if (buf)
				cap *= 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
		}
		if ((r = read(fd, buf + n, cap - n)) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		n += (size_t)r;
		if (r == 0 || n > DOC_MAX_BYTES)
			break;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (r < 0) {
		free(buf);
		return (int)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int
cli_read_doc(const char *path, struct doc *d, char **raw)
{
	char err[300];
	size_t len = 0;
	int rc;

	memset(d, 0, sizeof(*d));
	*raw = NULL;
	if ((rc = slurp(path, raw, &len)) < 0)
		return cli_fail(EXIT_USAGE, "%s: cannot read: %s: give the "
		    "path of a report.json (ikeprobe --output or --format json)",
		    path, strerror(-rc));
	if (doc_read(*raw, len, d, err, sizeof(err)) < 0) {
		doc_free(d);
		free(*raw);
		*raw = NULL;
		return cli_fail(EXIT_USAGE, "%s: %s", path, err);
	}
	return 0;
}

void
cli_render(FILE *out, const struct doc *d, const char *json, enum format f)
{
	switch (f) {
	case FORMAT_JSON:
		/* As written: a saved report is printed unchanged. */
		fputs(json, out);
		if (*json && json[strlen(json) - 1] != '\n')
			fputc('\n', out);
		break;
	case FORMAT_MARKDOWN:
		doc_markdown(out, d);
		break;
	case FORMAT_TEXT:
		doc_text(out, d, cli_color(out));
		break;
	}
}
