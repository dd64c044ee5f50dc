/* Renderers: a report (doc.h) or a comparison of reports (compare.h) as
 * text for a terminal, Markdown for a ticket, or JSON. They format what
 * they are given and decide nothing. */
#ifndef IKEPROBE_RENDER_H
#define IKEPROBE_RENDER_H

#include <stdio.h>

#include "ikeprobe/compare.h"
#include "ikeprobe/doc.h"
#include "ikeprobe/wincodes.h"

/* Colour only on a terminal, and never with NO_COLOR (the caller decides). */
enum output_color { COLOR_NEVER, COLOR_ALWAYS };

/* Text wrapped to cols characters (a terminal's width; TEXT_WIDTH when
 * not a terminal), never fewer than TEXT_WIDTH_MIN. */
#define TEXT_WIDTH	80
#define TEXT_WIDTH_MIN	40
void	 doc_text(FILE *, const struct doc *, enum output_color, int cols);
void	 doc_markdown(FILE *, const struct doc *);
/* Wireshark's IKEv2 decryption table for the IKE SAs of the report: the
 * number of SAs written. */
int	 doc_wireshark_keys(FILE *, const struct doc *);
/* The SSTP server's chain from the report as PEM (the bundle's
 * sstp-chain.pem): the number of certificates written. */
int	 doc_sstp_chain_pem(FILE *, const struct doc *);

/* The reports of a run of several gateways as one table, a row per
 * address (summary.c). */
void	 summary_text(FILE *, const struct doc *, int n, enum output_color,
	    int cols);
void	 summary_markdown(FILE *, const struct doc *, int n);

void	 cmp_text(FILE *, const struct cmp_table *, enum output_color);
void	 cmp_markdown(FILE *, const struct cmp_table *);
/* How every JSON document ikeprobe prints is laid out (json-c flags). */
#define RENDER_JSON_FLAGS	(JSON_C_TO_STRING_PRETTY | \
	JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

/* The comparison as JSON (schema/compare.schema.json), put by the caller. */
struct json_object *cmp_json(const struct cmp_table *);
/* `ikeprobe explain': a Windows error code, w its table entry or NULL
 * (not in the table: its forms only). */
void	 wincode_text(FILE *, uint32_t code, const struct win_code *w,
	    enum output_color, int cols);
void	 wincode_markdown(FILE *, uint32_t code, const struct win_code *w);
struct json_object *wincode_json(uint32_t code, const struct win_code *w);

/* s from column col of a line of f to its end, wrapped to cols
 * (continuation lines from column hang), and a newline. */
void	 text_wrap(FILE *, int cols, size_t col, size_t hang, const char *s);
/* s with Markdown's active characters escaped. */
void	 md_text(FILE *, const char *s);

/* {"name": "ikeprobe", "version": ...}: the `tool' of every document. */
struct json_object *render_json_tool(void);

#endif
