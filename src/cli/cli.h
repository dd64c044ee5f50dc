/* The program's edge, shared by its subcommands: only this talks to the
 * user. A subcommand table in main.c maps each name to <name>_main(). */
#ifndef IKEPROBE_CLI_H
#define IKEPROBE_CLI_H

#include <stdio.h>

#include "ikeprobe/doc.h"
#include "ikeprobe/render.h"
#include "options.h"

/* Print "ikeprobe: MSG" on one line; return status. */
int	 cli_fail(int status, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Colour for a terminal that has not asked for none (NO_COLOR). */
enum output_color cli_color(FILE *);
/* Columns for text on f: the terminal's width, TEXT_WIDTH if not one. */
int	 cli_width(FILE *);
/* Read the report in path ("-": standard input) into d: 0, or EXIT_USAGE
 * after one line naming the file and what is wrong with it. *raw (the
 * file's bytes) is for the caller to free. */
int	 cli_read_doc(const char *path, struct doc *d, char **raw);
/* json-c's flags for JSON in the chosen format: jsonl on one line. */
int	 cli_json_flags(enum format);
/* A report in the chosen format; the JSON as given. */
void	 cli_render(FILE *, const struct doc *, const char *json,
	    enum format);

int	 show_main(int, char **);
int	 compare_main(int, char **);
int	 explain_main(int, char **);
int	 analyze_main(int, char **);
int	 exporter_main(int, char **);

#endif
