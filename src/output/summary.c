/* A run of several gateways in one table: a row per probed address, the
 * words each report already says (doc.h), so that a helpdesk sees at a
 * glance which gateway fails and how; the reports above it say why. */
#include <stdio.h>
#include <string.h>

#include "ikeprobe/render.h"

enum col {
	C_GATEWAY, C_ADDRESS, C_STATUS, C_500, C_4500, C_FRAG, C_RETURN,
	C_MTU, C_CERT, C_SSTP, C_FINDING, C_N,
};

static const char *const heads[C_N] = {
	"Gateway", "Address", "Status", "UDP 500", "UDP 4500", "Fragments",
	"Return", "MTU", "Cert", "SSTP", "Worst finding",
};

#define CELL	64

struct row {
	char	 cell[C_N][CELL];
	bool	 bad;		/* status other than ok */
};

static const char *
port_state(const struct doc *d, long long port)
{
	for (int i = 0; i < d->n_ports; i++)
		if (d->ports[i].port == port)
			return doc_s(&d->ports[i].state, "-");
	return "-";
}

/* The worst finding's code: the one the headline is about. */
static const char *
worst_finding(const struct doc *d)
{
	static const char *const order[] = { "error", "warning" };

	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (int i = 0; i < d->n_findings; i++)
			if (doc_is(&d->findings[i].severity, order[k]))
				return doc_s(&d->findings[i].code, "-");
	return "-";
}

static void
row_of(struct row *r, const struct doc *d, const char *name)
{
	const struct doc_certificate *c = &d->certificate;

	memset(r, 0, sizeof(*r));
	snprintf(r->cell[C_GATEWAY], CELL, "%s", name);
	snprintf(r->cell[C_ADDRESS], CELL, "%s", doc_s(&d->target.address, "-"));
	snprintf(r->cell[C_STATUS], CELL, "%s", doc_s(&d->status, "-"));
	r->bad = !doc_is(&d->status, "ok");
	snprintf(r->cell[C_500], CELL, "%s", port_state(d, 500));
	snprintf(r->cell[C_4500], CELL, "%s", port_state(d, 4500));
	snprintf(r->cell[C_FRAG], CELL, "%s", d->fragments.tested ?
	    doc_s(&d->fragments.outbound, "-") : "-");
	snprintf(r->cell[C_RETURN], CELL, "%s",
	    d->fragments.inbound.st == DOC_SET &&
	    !doc_is(&d->fragments.inbound, "untested") ?
	    d->fragments.inbound.s : "-");
	if (d->path_mtu.tested && d->path_mtu.value.st == DOC_SET)
		snprintf(r->cell[C_MTU], CELL, "%lld", d->path_mtu.value.v);
	else
		snprintf(r->cell[C_MTU], CELL, "-");
	if (c->st != DOC_SET || c->parsed.st != DOC_SET || !c->parsed.v)
		snprintf(r->cell[C_CERT], CELL, "-");
	else if (c->expired.st == DOC_SET && c->expired.v)
		snprintf(r->cell[C_CERT], CELL, "expired");
	else if (c->days_left.st == DOC_SET)
		snprintf(r->cell[C_CERT], CELL, "%lldd", c->days_left.v);
	else
		snprintf(r->cell[C_CERT], CELL, "?");
	snprintf(r->cell[C_SSTP], CELL, "%s", d->sstp.st == DOC_SET ?
	    doc_s(&d->sstp.state, "-") : "-");
	snprintf(r->cell[C_FINDING], CELL, "%s", worst_finding(d));
}

/* Every report's rows: its own address, then its other families'. */
static int
rows_of(struct row *rows, int max, const struct doc *docs, int n)
{
	int k = 0;

	for (int i = 0; i < n; i++) {
		const char *name = doc_s(&docs[i].target.name, "-");

		if (k < max)
			row_of(&rows[k++], &docs[i], name);
		for (int j = 0; j < docs[i].n_others && k < max; j++)
			row_of(&rows[k++], &docs[i].others[j], "");
	}
	return k;
}

#define MAX_ROWS	(64 * 4)

void
summary_text(FILE *f, const struct doc *docs, int n, enum output_color color,
    int cols)
{
	static struct row rows[MAX_ROWS];
	size_t w[C_N];
	int nr = rows_of(rows, MAX_ROWS, docs, n), ok = 0;

	(void)cols;	/* a table is not wrapped: a terminal scrolls */
	for (int c = 0; c < C_N; c++) {
		w[c] = strlen(heads[c]);
		for (int i = 0; i < nr; i++)
			if (strlen(rows[i].cell[c]) > w[c])
				w[c] = strlen(rows[i].cell[c]);
	}
	for (int i = 0; i < nr; i++)
		ok += !rows[i].bad;
	fprintf(f, "\nSummary: %d gateway(s), %d address(es), %d ok\n", n, nr, ok);
	fputs(" ", f);
	for (int c = 0; c < C_N; c++)
		fprintf(f, " %-*s", c == C_N - 1 ? 0 : (int)w[c], heads[c]);
	fputc('\n', f);
	for (int i = 0; i < nr; i++) {
		const char *on = color == COLOR_ALWAYS && rows[i].bad ?
		    "\033[1m" : "", *off = *on ? "\033[0m" : "";

		fprintf(f, " %s", on);
		for (int c = 0; c < C_N; c++)
			fprintf(f, " %-*s", c == C_N - 1 ? 0 : (int)w[c],
			    rows[i].cell[c]);
		fprintf(f, "%s\n", off);
	}
}

void
summary_markdown(FILE *f, const struct doc *docs, int n)
{
	static struct row rows[MAX_ROWS];
	int nr = rows_of(rows, MAX_ROWS, docs, n);

	fputs("\n## Summary\n\n|", f);
	for (int c = 0; c < C_N; c++)
		fprintf(f, " %s |", heads[c]);
	fputs("\n|", f);
	for (int c = 0; c < C_N; c++)
		fputs(" --- |", f);
	fputc('\n', f);
	for (int i = 0; i < nr; i++) {
		fputc('|', f);
		for (int c = 0; c < C_N; c++) {
			fputc(' ', f);
			md_text(f, rows[i].cell[c]);
			fputs(" |", f);
		}
		fputc('\n', f);
	}
}
