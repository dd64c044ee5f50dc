/* What the subcommands share: one-line errors, colour, reading a report
 * file, rendering a report in the chosen format. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ikeprobe/utf8.h"

#include "cli.h"

int
cli_fail(int status, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line whatever was typed: what the user gave is quoted in it,
	 * so a control character is shown, not obeyed, and a byte that is
	 * not UTF-8 is shown as what it is. */
	fprintf(stderr, "ikeprobe: ");
	for (size_t i = 0, n = strlen(msg), k; i < n; i += k) {
		const unsigned char *c = (const unsigned char *)msg + i;
		uint32_t cp;

		if ((k = utf8_char(c, n - i, &cp)) == 0) {
			fprintf(stderr, "\\x%02x", *c);
			k = 1;
		} else if (cp == '\n')
			fputs("\\n", stderr);
		else if (utf8_unsafe(cp))
			fprintf(stderr, "\\u%04x", (unsigned)cp);
		else
			fwrite(c, 1, k, stderr);
	}
	fputc('\n', stderr);
	return status;
}

enum output_color
cli_color(FILE *f)
{
	const char *term = getenv("TERM");

	/* NO_COLOR (no-color.org), and a terminal that says it has none. */
	return isatty(fileno(f)) && getenv("NO_COLOR") == NULL &&
	    !(term && strcmp(term, "dumb") == 0) ? COLOR_ALWAYS : COLOR_NEVER;
}

int
cli_width(FILE *f)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	long n;
	char *end;

	/* A terminal's own width, else what the shell says; a file or a
	 * pipe gets TEXT_WIDTH, the same whatever the terminal was. */
	if (!isatty(fileno(f)))
		return TEXT_WIDTH;
	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (cols && (n = strtol(cols, &end, 10)) > 0 && *end == '\0' &&
	    n < 10000)
		return (int)n;
	return TEXT_WIDTH;
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

	char inside[4096];
	struct stat st;

	memset(d, 0, sizeof(*d));
	*raw = NULL;
	/* A bundle directory (--output DIR) stands for its report.json. */
	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(inside, sizeof(inside), "%s/report.json", path);
		path = inside;
	}
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

int
cli_json_flags(enum format f)
{
	return f == FORMAT_JSONL ? JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE : RENDER_JSON_FLAGS;
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
	case FORMAT_JSONL: {
		/* The same document on one line, as log pipelines take it. */
		json_object *j = json_tokener_parse(json);

		fprintf(out, "%s\n", j ? json_object_to_json_string_ext(j,
		    cli_json_flags(f)) : "null");
		json_object_put(j);
		break;
	}
	case FORMAT_MARKDOWN:
		doc_markdown(out, d);
		break;
	case FORMAT_TEXT:
		doc_text(out, d, cli_color(out), cli_width(out));
		break;
	}
}
