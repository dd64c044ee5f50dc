/* Text for a person at a terminal: the verdict first, one line per port,
 * findings with advice, then the evidence and the context. Drawn from the
 * report as read back (doc.h), so a saved report prints as the live run
 * did; what an older report lacks is said, not guessed. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ikeprobe/lines.h"
#include "ikeprobe/render.h"

struct style {
	const char	*bold, *red, *yellow, *green, *dim, *reset;
};

static const struct style plain = { "", "", "", "", "", "" };
static const struct style ansi = {
	"\033[1m", "\033[31m", "\033[33m", "\033[32m", "\033[2m", "\033[0m"
};

/* A table cell: the value, "-" when an older report lacks it. */
static const char *
cell(const struct doc_str *s)
{
	return s->st == DOC_SET ? s->s : "-";
}

static const char *
state_color(const struct style *st, const struct doc_str *s)
{
	if (doc_is(s, "open"))
		return st->green;
	if (doc_is(s, "untested") || s->st != DOC_SET)
		return st->yellow;
	return st->red;
}

static const char *
sev_color(const struct style *st, const struct doc_str *s)
{
	return doc_is(s, "error") ? st->red : doc_is(s, "warning") ?
	    st->yellow : st->dim;
}

static void
ports_text(FILE *out, const struct doc *d, const struct style *st)
{
	const struct doc_nat *n = &d->nat;
	const char *nat, *nc;

	for (int i = 0; i < d->n_ports; i++) {
		const struct doc_port *v = &d->ports[i];

		fprintf(out, "  UDP %-5lld %s%-8s%s %s\n", v->port,
		    state_color(st, &v->state), v->state.s, st->reset,
		    doc_s(&v->meaning, ""));
	}
	if (n->st == DOC_ABSENT) {
		fprintf(out, "  %-9s %s\n", "NAT", DOC_NOT_IN_REPORT);
		return;
	}
	nat = doc_nat_word(n);
	nc = n->detected.st != DOC_SET ? st->dim : n->detected.v ? st->yellow :
	    st->green;
	fprintf(out, "  %-9s %s%-8s%s %s\n", "NAT", nc, nat, st->reset,
	    doc_s(&n->evidence, ""));
}

static void
sizes_text(FILE *out, const struct doc *d, const struct style *st)
{
	const struct doc_fragments *f = &d->fragments;
	const struct doc_path_mtu *m = &d->path_mtu;
	const char *fc = doc_is(&f->outbound, "pass") ? st->green :
	    doc_is(&f->outbound, "dropped") ? st->red : st->yellow;

	/* Not tested (--quick, or no port open): nothing to say. */
	if (f->st == DOC_SET && m->st == DOC_SET && !f->tested && !m->tested)
		return;
	if (d->verdict.show)
		fprintf(out, "\n%sVerdict:%s %s\n", st->bold, st->reset,
		    d->verdict.reason.s);
	else if (d->verdict.st == DOC_ABSENT)
		fprintf(out, "\n%sVerdict:%s %s\n", st->bold, st->reset,
		    DOC_NOT_IN_REPORT);
	if (f->st == DOC_SET && !f->tested)
		fprintf(out, "\n  Fragments %s%-12s%s\n", st->dim, "not tested",
		    st->reset);
	else if (f->st == DOC_SET)
		fprintf(out, "\n  Fragments %s%-12s%s %s\n", fc,
		    doc_s(&f->outbound, "unknown"), st->reset,
		    doc_s(&f->evidence, ""));
	else
		fprintf(out, "\n  Fragments %s\n", DOC_NOT_IN_REPORT);
	fprintf(out, "  Path MTU  ");
	if (m->st != DOC_SET)
		fprintf(out, "%s\n", DOC_NOT_IN_REPORT);
	else {
		if (m->value.st == DOC_SET)
			fprintf(out, "%s%-12lld%s ", m->black_hole.v ? st->red :
			    st->green, m->value.v, st->reset);
		else
			fprintf(out, "%s%-12s%s ", st->yellow, "unknown",
			    st->reset);
		if (m->router.st == DOC_SET && doc_is(&m->source, "icmp"))
			fprintf(out, "(from ICMP, router %s) ", m->router.s);
		else if (m->black_hole.v)
			fprintf(out, "(by probing: ICMP filtered, a black "
			    "hole) ");
		fprintf(out, "%s\n", doc_s(&m->evidence, ""));
	}
	if (f->st != DOC_SET)
		return;
	if (doc_is(&f->inbound, "untested"))
		fprintf(out, "  Return    %s%-12s%s %s\n", st->dim, "not tested",
		    st->reset, f->inbound_evidence.st == DOC_SET ?
		    f->inbound_evidence.s : "the gateway's fragmented replies "
		    "to this machine");
	else
		fprintf(out, "  Return    %s%-12s%s %s\n", doc_is(&f->inbound,
		    "pass") ? st->green : doc_is(&f->inbound, "dropped") ?
		    st->red : st->yellow, doc_s(&f->inbound, "unknown"),
		    st->reset, doc_s(&f->inbound_evidence, ""));
}

/* A block of label/value lines (lines.h), labels aligned. */
static void
lines_text(FILE *out, const char *title, const struct doc_lines *l,
    const struct style *st)
{
	size_t w = 0;

	if (l->n == 0)
		return;
	for (int i = 0; i < l->n; i++)
		if (strlen(l->line[i].label) > w)
			w = strlen(l->line[i].label);
	fprintf(out, "\n%s%s%s\n", st->bold, title, st->reset);
	for (int i = 0; i < l->n; i++)
		fprintf(out, "  %-*s  %s%s%s\n", (int)w, l->line[i].label,
		    l->line[i].bad ? st->red : "", l->line[i].value,
		    l->line[i].bad ? st->reset : "");
}

static void
auth_text(FILE *out, const struct doc *d, const struct style *st)
{
	static struct doc_lines l;

	doc_auth_lines(d, &l);
	if (d->auth.st == DOC_SET && d->auth.tested.v)
		lines_text(out, "IKE_AUTH", &l, st);
	doc_cert_lines(d, &l);
	lines_text(out, "Gateway's certificate", &l, st);
}

static void
findings_text(FILE *out, const struct doc *d, const struct style *st)
{
	if (d->n_findings == 0)
		return;
	fprintf(out, "\n%sFindings%s\n", st->bold, st->reset);
	for (int i = 0; i < d->n_findings; i++) {
		const struct doc_finding *f = &d->findings[i];

		fprintf(out, "  %s%-7s%s %s\n", sev_color(st, &f->severity),
		    f->severity.s, st->reset, f->summary.s);
		if (f->advice.st == DOC_SET && f->advice.s[0])
			fprintf(out, "          -> %s\n", f->advice.s);
	}
}

static void
responder_text(FILE *out, const struct doc *d, const struct style *st)
{
	const struct doc_responder *r = &d->responder;

	if (r->st != DOC_SET || r->reply.st != DOC_SET)
		return;
	fprintf(out, "\n%sGateway's answer%s (%s)\n", st->bold, st->reset,
	    r->reply.s);
	if (r->fragmentation_supported.st == DOC_SET)
		fprintf(out, "  IKEv2 fragmentation (RFC 7383): %s\n",
		    r->fragmentation_supported.v ? "offered" : "NOT offered");
	if (r->chosen_st == DOC_SET && r->n_chosen) {
		fprintf(out, "  chosen:");
		for (int i = 0; i < r->n_chosen; i++) {
			fprintf(out, " %s", cell(&r->chosen[i].name));
			if (r->chosen[i].key_length.st == DOC_SET)
				fprintf(out, "-%lld", r->chosen[i].key_length.v);
		}
		fprintf(out, "\n");
	}
	if (r->ke_group_st == DOC_SET)
		fprintf(out, "  key exchange: %s\n", cell(&r->ke_group.name));
	if (r->invalid_ke_group_st == DOC_SET)
		fprintf(out, "  asked for group: %s\n",
		    cell(&r->invalid_ke_group.name));
	if (r->n_notifies) {
		fprintf(out, "  notifies:");
		for (int i = 0; i < r->n_notifies; i++)
			fprintf(out, " %s", r->notifies[i].s);
		fprintf(out, "\n");
	}
	for (int i = 0; i < r->n_vendor_ids; i++) {
		const struct doc_named *v = &r->vendor_ids[i];

		if (v->name.st == DOC_SET)
			fprintf(out, "  vendor ID: %s (%s)\n", v->name.s,
			    cell(&v->hex));
		else
			fprintf(out, "  vendor ID: %s\n", cell(&v->hex));
	}
	if (r->certreq.st == DOC_SET && r->certreq.v)
		fprintf(out, "  certificate requests: %lld\n", r->certreq.v);
}

/* A number for a column, "-" when an older report lacks it. */
static const char *
num(char *buf, size_t len, const struct doc_int *v)
{
	if (v->st != DOC_SET)
		return "-";
	snprintf(buf, len, "%lld", v->v);
	return buf;
}

/* Append to buf (of len bytes, n used); output past the end is cut. */
static void __attribute__((format(printf, 4, 5)))
app(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*n >= len - 1)
		return;
	va_start(ap, fmt);
	r = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	if (r > 0)
		*n = *n + (size_t)r < len ? *n + (size_t)r : len - 1;
}

static void
probes_text(FILE *out, const struct doc *d, const struct style *st)
{
	fprintf(out, "\n%sEvidence%s\n", st->bold, st->reset);
	if (d->n_probes == 0) {
		fprintf(out, "  no probe was sent\n");
		return;
	}
	fprintf(out, "  %-3s %-6s %-12s %-10s %6s %-3s %5s %-9s %s\n", "#",
	    "port", "purpose", "kind", "bytes", "DF", "tries", "result",
	    "detail");
	for (int i = 0; i < d->n_probes; i++) {
		const struct doc_probe *p = &d->probes[i];

		char id[24], size[24], tries[24], det[640];
		size_t n = 0;

		/* The detail first, so that a row ends where its text does. */
		det[0] = '\0';
		if (p->fragments.st == DOC_SET && p->fragments.v > 1) {
			app(det, sizeof(det), &n, " [%lld fragments",
			    p->fragments.v);
			if (p->fragment_size.st == DOC_SET)
				app(det, sizeof(det), &n, " of %lld",
				    p->fragment_size.v);
			app(det, sizeof(det), &n, "]");
		}
		if (p->repeat.st == DOC_SET && p->repeat.v)
			app(det, sizeof(det), &n, " [repeat]");
		if (doc_is(&p->result, "answered")) {
			char ans[160];

			doc_probe_answer(p, ans, sizeof(ans));
			app(det, sizeof(det), &n, " %s", ans[0] ? ans :
			    doc_s(&p->reply, "?"));
			if (p->rtt_ms.st == DOC_SET)
				app(det, sizeof(det), &n, " in %.1f ms",
				    p->rtt_ms.v);
			if (p->problem.st == DOC_SET)
				app(det, sizeof(det), &n, " (%s)", p->problem.s);
		} else if (doc_is(&p->result, "icmp") && p->icmp.st == DOC_SET)
			app(det, sizeof(det), &n, " ICMP %s from %s",
			    p->icmp.name.st == DOC_SET ? p->icmp.name.s :
			    "error", p->icmp.from.s);
		else if (doc_is(&p->result, "send_failed"))
			app(det, sizeof(det), &n, " not sent%s%s",
			    p->send_error.st == DOC_SET ? ": " : "",
			    p->send_error.st == DOC_SET ? p->send_error.s : "");
		if (p->follows.st == DOC_SET)
			app(det, sizeof(det), &n, " [follows #%lld]",
			    p->follows.v);
		fprintf(out, "  %-3s %-6lld %-12s %-10s %6s %-3s %5s %-*s%s",
		    num(id, sizeof(id), &p->id), p->port.v, cell(&p->purpose),
		    cell(&p->kind), num(size, sizeof(size), &p->size),
		    p->df.st == DOC_SET ? p->df.v ? "yes" : "no" : "-",
		    num(tries, sizeof(tries), &p->attempts),
		    det[0] ? 9 : 0, p->result.s, det);
		fprintf(out, "\n");
	}
}

static void
context_text(FILE *out, const struct doc *d, const struct style *st)
{
	const struct doc_local *l = &d->local;
	const struct doc_capture *c = &d->capture;
	char buf[24];

	fprintf(out, "\n%sContext%s\n", st->bold, st->reset);
	if (l->label.st == DOC_SET)
		fprintf(out, "  label:   %s\n", l->label.s);
	fprintf(out, "  target:  %s (%s)\n", d->target.name.s,
	    d->target.address.s);
	if (d->target.n_addresses > 1) {
		fprintf(out, "           resolves to");
		for (int i = 0; i < d->target.n_addresses; i++) {
			fprintf(out, "%s %s", i ? "," : "",
			    d->target.addresses[i].s);
			if (d->target.probed && !d->target.probed[i])
				fprintf(out, " (%s, not probed)",
				    doc_family_name(d->target.families[i]));
		}
		fprintf(out, "%s\n", d->target.cluster.v ? " (a cluster)" : "");
	}
	fprintf(out, "  local:   %s on %s, MTU %s\n", l->address.s,
	    l->interface.s, num(buf, sizeof(buf), &l->mtu));
	if (l->network.st == DOC_ABSENT && l->gateway.st == DOC_ABSENT)
		fprintf(out, "  route:   %s\n", DOC_NOT_IN_REPORT);
	else
		fprintf(out, "  route:   %s%s, network %s\n",
		    l->gateway.st == DOC_SET ? "via " : "",
		    l->gateway.st == DOC_SET ? l->gateway.s :
		    "on-link (no router)", doc_s(&l->network, "unknown"));
	if (l->hostname.st == DOC_ABSENT && l->os.st == DOC_ABSENT)
		fprintf(out, "  host:    %s\n", DOC_NOT_IN_REPORT);
	else
		fprintf(out, "  host:    %s, %s, %s\n", doc_s(&l->hostname,
		    "unknown"), doc_s(&l->os, "unknown OS"),
		    doc_s(&l->kernel, "unknown kernel"));
	fprintf(out, "  run:     %s, %s ms, ikeprobe %s%s\n", d->started.s,
	    num(buf, sizeof(buf), &d->duration_ms), doc_s(&d->tool_version, "?"),
	    d->complete.st == DOC_SET && !d->complete.v ? " (INCOMPLETE)" : "");
	if (c->st == DOC_SET)
		fprintf(out, "  capture: %lld packets (%lld ours, %lld replies, "
		    "%lld unrelated)\n", c->packets.v, c->sent_seen.v,
		    c->replies.v, c->unrelated.v);
	else
		fprintf(out, "  capture: %s\n", DOC_NOT_IN_REPORT);
}

static void
one_report(FILE *out, const struct doc *d, const struct style *st)
{
	fprintf(out, "%s%s%s\n\n", st->bold, d->headline.s, st->reset);
	ports_text(out, d, st);
	sizes_text(out, d, st);
	findings_text(out, d, st);
	responder_text(out, d, st);
	auth_text(out, d, st);
	probes_text(out, d, st);
	context_text(out, d, st);
}

void
doc_text(FILE *out, const struct doc *d, enum output_color color)
{
	const struct style *st = color == COLOR_ALWAYS ? &ansi : &plain;
	int n = d->n_others + 1;

	if (n > 1)
		fprintf(out, "%s=== %s: address 1 of %d, %s ===%s\n\n", st->bold,
		    d->target.name.s, n, d->target.address.s, st->reset);
	one_report(out, d, st);
	for (int i = 0; i < d->n_others; i++) {
		fprintf(out, "\n%s=== %s: address %d of %d, %s ===%s\n\n",
		    st->bold, d->others[i].target.name.s, i + 2, n,
		    d->others[i].target.address.s, st->reset);
		one_report(out, &d->others[i], st);
	}
}

/* Characters, not bytes, for column widths (labels may be in any
 * language); wide characters still count one. */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* s in a column of w characters: cut with "..." if longer (at the start
 * for a file name, whose end says most), padded unless last. */
static void
column(FILE *out, const char *s, size_t w, bool tail, bool last)
{
	size_t n = width(s), i = 0, chars = 0;

	if (n <= w) {
		fprintf(out, "%s%*s", s, last ? 0 : (int)(w - n), "");
		return;
	}
	if (tail) {
		while (s[i] && chars < n - (w - 3)) {
			i++;
			while (((unsigned char)s[i] & 0xc0) == 0x80)
				i++;
			chars++;
		}
		fprintf(out, "...%s", s + i);
		return;
	}
	while (s[i] && chars < w - 3) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		chars++;
	}
	fprintf(out, "%.*s...", (int)i, s);
}

#define CMP_COL_MAX	32

static void
cmp_rows(FILE *out, const struct cmp_table *t, enum cmp_kind kind,
    const size_t *w, size_t w0, const struct style *st)
{
	for (int r = 0; r < t->n_rows; r++) {
		const struct cmp_row *row = &t->rows[r];
		bool mark = row->differs && kind == CMP_CHECK;

		if (row->kind != kind)
			continue;
		fprintf(out, "%s%s ", mark ? st->yellow : "", mark ? "*" : " ");
		column(out, row->check, w0, false, false);
		for (int c = 0; c < t->n_cols; c++) {
			fprintf(out, "  ");
			column(out, row->has[c] ? row->value[c] :
			    DOC_NOT_IN_REPORT, w[c], strcmp(row->key, "file") == 0,
			    c + 1 == t->n_cols);
		}
		fprintf(out, "%s\n", mark ? st->reset : "");
	}
}

void
cmp_text(FILE *out, const struct cmp_table *t, enum output_color color)
{
	const struct style *st = color == COLOR_ALWAYS ? &ansi : &plain;
	size_t w[CMP_MAX_COLS], w0 = width("Check");

	for (int c = 0; c < t->n_cols; c++) {
		w[c] = width(t->cols[c].title);
		for (int r = 0; r < t->n_rows; r++) {
			size_t n = width(t->rows[r].has[c] ? t->rows[r].value[c] :
			    DOC_NOT_IN_REPORT);

			if (n > w[c])
				w[c] = n;
		}
		if (w[c] > CMP_COL_MAX)
			w[c] = CMP_COL_MAX;
	}
	for (int r = 0; r < t->n_rows; r++)
		if (width(t->rows[r].check) > w0)
			w0 = width(t->rows[r].check);

	fprintf(out, "%s%d reports compared: %s%s", st->bold, t->n_cols,
	    t->n_differ ? "" : "no check differs", st->reset);
	if (t->n_differ)
		fprintf(out, "%s%d check%s differ%s (marked *)%s", st->bold,
		    t->n_differ, t->n_differ == 1 ? "" : "s",
		    t->n_differ == 1 ? "s" : "", st->reset);
	fprintf(out, "\n\n  ");
	column(out, "Check", w0, false, false);
	for (int c = 0; c < t->n_cols; c++) {
		fprintf(out, "  %s", st->bold);
		column(out, t->cols[c].title, w[c], false, c + 1 == t->n_cols);
		fprintf(out, "%s", st->reset);
	}
	fprintf(out, "\n");
	cmp_rows(out, t, CMP_CHECK, w, w0, st);
	fprintf(out, "\n%sContext%s\n", st->bold, st->reset);
	cmp_rows(out, t, CMP_CONTEXT, w, w0, st);
}
