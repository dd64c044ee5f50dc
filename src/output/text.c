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

/* Where a report goes: the stream, its colours and its width. */
struct tout {
	FILE			*f;
	const struct style	*st;
	size_t			 width;
};

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

static size_t
width_n(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/* s from column col (what this line already holds) to the end of the
 * line, broken at spaces to fit the width; continuation lines start at
 * column hang, under the text they continue. A word longer than a line
 * (an address, a file name) is not cut. end (a colour's reset) goes
 * before the newline. */
static void
wrap_end(const struct tout *o, size_t col, size_t hang, const char *s,
    const char *end)
{
	size_t pos = col;
	bool fresh = true;	/* nothing of s on this line yet */

	for (const char *w = s, *e; *w; w = e) {
		size_t n;

		while (*w == ' ')
			w++;
		if (*w == '\0')
			break;
		for (e = w; *e && *e != ' '; e++)
			;
		n = width_n(w, (size_t)(e - w));
		if (pos + !fresh + n > o->width && pos > hang) {
			fprintf(o->f, "\n%*s", (int)hang, "");
			pos = hang;
			fresh = true;
		}
		if (!fresh) {
			fputc(' ', o->f);
			pos++;
		}
		fwrite(w, 1, (size_t)(e - w), o->f);
		pos += n;
		fresh = false;
	}
	fprintf(o->f, "%s\n", end);
}

static void
wrap(const struct tout *o, size_t col, size_t hang, const char *s)
{
	wrap_end(o, col, hang, s, "");
}

void
text_wrap(FILE *f, int cols, size_t col, size_t hang, const char *s)
{
	struct tout o = { .f = f, .st = &plain,
	    .width = cols < TEXT_WIDTH_MIN ? TEXT_WIDTH_MIN : (size_t)cols };

	wrap(&o, col, hang, s);
}

/* "  name:   text" (a context line): the text from column 11. */
static void __attribute__((format(printf, 3, 4)))
ctx(const struct tout *o, const char *name, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(o->f, "  %-8s ", name);
	wrap(o, 11, 11, buf);
}

/* Columns a value of w characters takes in a %-<pad>s field beyond pad. */
static size_t
over(size_t w, size_t pad)
{
	return w > pad ? w - pad : 0;
}

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

/* "  NAME      state    text": the text from column 21. */
#define ROW_TEXT_COL	21

static void
ports_text(const struct tout *o, const struct doc *d)
{
	const struct style *st = o->st;
	const struct doc_nat *n = &d->nat;
	const char *nat, *nc;

	for (int i = 0; i < d->n_ports; i++) {
		const struct doc_port *v = &d->ports[i];

		fprintf(o->f, "  UDP %-5lld %s%-8s%s ", v->port,
		    state_color(st, &v->state), v->state.s, st->reset);
		wrap(o, ROW_TEXT_COL + over(width(v->state.s), 8),
		    ROW_TEXT_COL, doc_s(&v->meaning, ""));
	}
	if (n->st == DOC_ABSENT) {
		fprintf(o->f, "  %-9s %s\n", "NAT", DOC_NOT_IN_REPORT);
		return;
	}
	nat = doc_nat_word(n);
	nc = n->detected.st != DOC_SET ? st->dim : n->detected.v ? st->yellow :
	    st->green;
	fprintf(o->f, "  %-9s %s%-8s%s ", "NAT", nc, nat, st->reset);
	wrap(o, ROW_TEXT_COL + over(width(nat), 8), ROW_TEXT_COL,
	    doc_s(&n->evidence, ""));
}

/* "  Fragments result       text": the text from column 25. */
#define SIZE_TEXT_COL	25

static void
size_row(const struct tout *o, const char *name, const char *color,
    const char *value, const char *text)
{
	fprintf(o->f, "  %-9s %s%-12s%s ", name, color, value, o->st->reset);
	wrap(o, SIZE_TEXT_COL + over(width(value), 12), SIZE_TEXT_COL, text);
}

static void
sizes_text(const struct tout *o, const struct doc *d)
{
	const struct style *st = o->st;
	const struct doc_fragments *f = &d->fragments;
	const struct doc_path_mtu *m = &d->path_mtu;
	const char *fc = doc_is(&f->outbound, "pass") ? st->green :
	    doc_is(&f->outbound, "dropped") ? st->red : st->yellow;
	char v[32], text[1200];

	/* Not tested (--quick, or no port open): nothing to say. */
	if (f->st == DOC_SET && m->st == DOC_SET && !f->tested && !m->tested)
		return;
	if (d->verdict.show || d->verdict.st == DOC_ABSENT) {
		fprintf(o->f, "\n%sVerdict:%s ", st->bold, st->reset);
		wrap(o, 9, 9, d->verdict.show ? d->verdict.reason.s :
		    DOC_NOT_IN_REPORT);
	}
	fputc('\n', o->f);
	if (f->st == DOC_SET && !f->tested)
		size_row(o, "Fragments", st->dim, "not tested", "");
	else if (f->st == DOC_SET)
		size_row(o, "Fragments", fc, doc_s(&f->outbound, "unknown"),
		    doc_s(&f->evidence, ""));
	else
		fprintf(o->f, "  Fragments %s\n", DOC_NOT_IN_REPORT);
	if (m->st != DOC_SET)
		fprintf(o->f, "  Path MTU  %s\n", DOC_NOT_IN_REPORT);
	else {
		text[0] = '\0';
		if (m->router.st == DOC_SET && doc_is(&m->source, "icmp"))
			snprintf(text, sizeof(text), "(from ICMP, router %s) ",
			    m->router.s);
		else if (m->black_hole.v)
			snprintf(text, sizeof(text), "(by probing: ICMP "
			    "filtered, a black hole) ");
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		    "%s", doc_s(&m->evidence, ""));
		if (m->value.st == DOC_SET) {
			snprintf(v, sizeof(v), "%lld", m->value.v);
			size_row(o, "Path MTU", m->black_hole.v ? st->red :
			    st->green, v, text);
		} else
			size_row(o, "Path MTU", st->yellow, "unknown", text);
	}
	if (f->st != DOC_SET)
		return;
	if (doc_is(&f->inbound, "untested"))
		size_row(o, "Return", st->dim, "not tested",
		    f->inbound_evidence.st == DOC_SET ? f->inbound_evidence.s :
		    "the gateway's fragmented replies to this machine");
	else
		size_row(o, "Return", doc_is(&f->inbound, "pass") ? st->green :
		    doc_is(&f->inbound, "dropped") ? st->red : st->yellow,
		    doc_s(&f->inbound, "unknown"),
		    doc_s(&f->inbound_evidence, ""));
}

/* A block of label/value lines (lines.h), labels aligned. */
static void
lines_text(const struct tout *o, const char *title, const struct doc_lines *l)
{
	const struct style *st = o->st;
	size_t w = 0;

	if (l->n == 0)
		return;
	for (int i = 0; i < l->n; i++)
		if (width(l->line[i].label) > w)
			w = width(l->line[i].label);
	fprintf(o->f, "\n%s%s%s\n", st->bold, title, st->reset);
	for (int i = 0; i < l->n; i++) {
		bool bad = l->line[i].bad;

		fprintf(o->f, "  %s%*s  %s", l->line[i].label,
		    (int)(w - width(l->line[i].label)), "", bad ? st->red : "");
		wrap_end(o, w + 4, w + 4, l->line[i].value, bad ? st->reset : "");
	}
}

static void
auth_text(const struct tout *o, const struct doc *d)
{
	static struct doc_lines l;

	doc_auth_lines(d, &l);
	if (d->auth.st == DOC_SET && d->auth.tested.v)
		lines_text(o, "IKE_AUTH", &l);
	doc_cert_lines(d, &l);
	lines_text(o, "Gateway's certificate", &l);
	doc_audit_lines(d, &l);
	lines_text(o, "Proposal audit", &l);
	doc_sstp_lines(d, &l);
	lines_text(o, "SSTP (TLS on TCP)", &l);
	doc_sstp_cert_lines(d, &l);
	lines_text(o, "SSTP server's certificate", &l);
}

static void
findings_text(const struct tout *o, const struct doc *d)
{
	const struct style *st = o->st;

	if (d->n_findings == 0)
		return;
	fprintf(o->f, "\n%sFindings%s\n", st->bold, st->reset);
	for (int i = 0; i < d->n_findings; i++) {
		const struct doc_finding *f = &d->findings[i];
		fprintf(o->f, "  %s%-7s%s ", sev_color(st, &f->severity),
		    f->severity.s, st->reset);
		wrap(o, 10 + over(width(f->severity.s), 7), 10, f->summary.s);
		if (f->advice.st == DOC_SET && f->advice.s[0]) {
			fprintf(o->f, "          -> ");
			wrap(o, 13, 13, f->advice.s);
		}
	}
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
responder_text(const struct tout *o, const struct doc *d)
{
	const struct style *st = o->st;
	const struct doc_responder *r = &d->responder;
	char buf[1024];
	size_t n = 0;

	if (r->st != DOC_SET || r->reply.st != DOC_SET)
		return;
	fprintf(o->f, "\n%sGateway's answer%s (%s)\n", st->bold, st->reset,
	    r->reply.s);
	if (r->fragmentation_supported.st == DOC_SET)
		fprintf(o->f, "  IKEv2 fragmentation (RFC 7383): %s\n",
		    r->fragmentation_supported.v ? "offered" : "NOT offered");
	if (r->chosen_st == DOC_SET && r->n_chosen) {
		buf[0] = '\0';
		for (int i = 0; i < r->n_chosen; i++) {
			app(buf, sizeof(buf), &n, "%s%s", i ? " " : "",
			    cell(&r->chosen[i].name));
			if (r->chosen[i].key_length.st == DOC_SET)
				app(buf, sizeof(buf), &n, "-%lld",
				    r->chosen[i].key_length.v);
		}
		fprintf(o->f, "  chosen: ");
		wrap(o, 10, 10, buf);
	}
	if (r->ke_group_st == DOC_SET)
		fprintf(o->f, "  key exchange: %s\n", cell(&r->ke_group.name));
	if (r->invalid_ke_group_st == DOC_SET)
		fprintf(o->f, "  asked for group: %s\n",
		    cell(&r->invalid_ke_group.name));
	if (r->n_notifies) {
		buf[0] = '\0';
		n = 0;
		for (int i = 0; i < r->n_notifies; i++)
			app(buf, sizeof(buf), &n, "%s%s", i ? " " : "",
			    r->notifies[i].s);
		fprintf(o->f, "  notifies: ");
		wrap(o, 12, 12, buf);
	}
	for (int i = 0; i < r->n_vendor_ids; i++) {
		const struct doc_named *v = &r->vendor_ids[i];

		if (v->name.st == DOC_SET)
			snprintf(buf, sizeof(buf), "%s (%s)", v->name.s,
			    cell(&v->hex));
		else
			snprintf(buf, sizeof(buf), "%s", cell(&v->hex));
		fprintf(o->f, "  vendor ID: ");
		wrap(o, 13, 13, buf);
	}
	if (r->certreq.st == DOC_SET && r->certreq.v)
		fprintf(o->f, "  certificate requests: %lld\n", r->certreq.v);
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

/* The evidence table: the detail follows the result when it fits, else it
 * goes on the next line, from column PROBE_DETAIL_HANG. */
#define PROBE_DETAIL_COL	60
#define PROBE_DETAIL_HANG	6


static void
probes_text(const struct tout *o, const struct doc *d)
{
	const struct style *st = o->st;

	fprintf(o->f, "\n%sEvidence%s\n", st->bold, st->reset);
	if (d->n_probes == 0) {
		fprintf(o->f, "  no probe was sent\n");
		return;
	}
	fprintf(o->f, "  %-3s %-5s %-12s %-9s %5s %-3s %5s %-8s %s\n", "#",
	    "port", "purpose", "kind", "bytes", "DF", "tries", "result",
	    "detail");
	for (int i = 0; i < d->n_probes; i++) {
		const struct doc_probe *p = &d->probes[i];

		char id[24], size[24], tries[24], det[640];
		size_t n = 0, col;

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
		if (p->offer.st == DOC_SET)
			app(det, sizeof(det), &n, " [%s]", p->offer.s);
		if (p->follows.st == DOC_SET)
			app(det, sizeof(det), &n, " [follows #%lld]",
			    p->follows.v);
		fprintf(o->f, "  %-3s %-5lld %-12s %-9s %5s %-3s %5s ",
		    num(id, sizeof(id), &p->id), p->port.v, cell(&p->purpose),
		    cell(&p->kind), num(size, sizeof(size), &p->size),
		    p->df.st == DOC_SET ? p->df.v ? "yes" : "no" : "-",
		    num(tries, sizeof(tries), &p->attempts));
		col = PROBE_DETAIL_COL + over(width(p->result.s), 8);
		if (det[0] == '\0') {
			fprintf(o->f, "%s\n", p->result.s);
			continue;
		}
		/* A detail that does not fit after the result goes whole
		 * on the next line, where the table's eye looks for it. */
		if (col + width(det) - (det[0] == ' ') > o->width) {
			fprintf(o->f, "%s\n%*s", p->result.s, PROBE_DETAIL_HANG,
			    "");
			col = PROBE_DETAIL_HANG;
		} else
			fprintf(o->f, "%-8s ", p->result.s);
		wrap(o, col, PROBE_DETAIL_HANG, det);
	}
}

static void
context_text(const struct tout *o, const struct doc *d)
{
	const struct style *st = o->st;
	const struct doc_local *l = &d->local;
	const struct doc_capture *c = &d->capture;
	char buf[24], list[1024];
	size_t n = 0;

	fprintf(o->f, "\n%sContext%s\n", st->bold, st->reset);
	if (l->label.st == DOC_SET)
		ctx(o, "label:", "%s", l->label.s);
	ctx(o, "target:", "%s (%s)", d->target.name.s,
	    d->target.address.s);
	if (d->target.n_addresses > 1) {
		list[0] = '\0';
		for (int i = 0; i < d->target.n_addresses; i++) {
			app(list, sizeof(list), &n, "%s %s", i ? "," : "",
			    d->target.addresses[i].s);
			if (d->target.probed && !d->target.probed[i])
				app(list, sizeof(list), &n, " (%s, not probed)",
				    doc_family_name(d->target.families[i]));
		}
		ctx(o, "", "resolves to%s%s", list,
		    d->target.cluster.v ? " (a cluster)" : "");
	}
	ctx(o, "local:", "%s on %s, MTU %s", l->address.s,
	    l->interface.s, num(buf, sizeof(buf), &l->mtu));
	if (l->network.st == DOC_ABSENT && l->gateway.st == DOC_ABSENT)
		ctx(o, "route:", "%s", DOC_NOT_IN_REPORT);
	else
		ctx(o, "route:", "%s%s, network %s",
		    l->gateway.st == DOC_SET ? "via " : "",
		    l->gateway.st == DOC_SET ? l->gateway.s :
		    "on-link (no router)", doc_s(&l->network, "unknown"));
	if (l->hostname.st == DOC_ABSENT && l->os.st == DOC_ABSENT)
		ctx(o, "host:", "%s", DOC_NOT_IN_REPORT);
	else
		ctx(o, "host:", "%s, %s, %s", doc_s(&l->hostname,
		    "unknown"), doc_s(&l->os, "unknown OS"),
		    doc_s(&l->kernel, "unknown kernel"));
	ctx(o, "run:", "%s, %s ms, ikeprobe %s%s", d->started.s,
	    num(buf, sizeof(buf), &d->duration_ms), doc_s(&d->tool_version, "?"),
	    d->complete.st == DOC_SET && !d->complete.v ? " (INCOMPLETE)" : "");
	if (c->st == DOC_SET)
		ctx(o, "capture:", "%lld packets (%lld ours, %lld "
		    "replies, %lld unrelated)", c->packets.v, c->sent_seen.v,
		    c->replies.v, c->unrelated.v);
	else
		ctx(o, "capture:", "%s", DOC_NOT_IN_REPORT);
}

static void
one_report(const struct tout *o, const struct doc *d)
{
	fprintf(o->f, "%s", o->st->bold);
	wrap_end(o, 0, 0, d->headline.s, o->st->reset);
	fputc('\n', o->f);
	ports_text(o, d);
	sizes_text(o, d);
	findings_text(o, d);
	responder_text(o, d);
	auth_text(o, d);
	probes_text(o, d);
	context_text(o, d);
}

void
doc_text(FILE *out, const struct doc *d, enum output_color color, int cols)
{
	struct tout o = {
		.f = out,
		.st = color == COLOR_ALWAYS ? &ansi : &plain,
		.width = cols < TEXT_WIDTH_MIN ? TEXT_WIDTH_MIN : (size_t)cols,
	};
	const struct style *st = o.st;
	int n = d->n_others + 1;

	if (n > 1)
		fprintf(out, "%s=== %s: address 1 of %d, %s ===%s\n\n", st->bold,
		    d->target.name.s, n, d->target.address.s, st->reset);
	one_report(&o, d);
	for (int i = 0; i < d->n_others; i++) {
		fprintf(out, "\n%s=== %s: address %d of %d, %s ===%s\n\n",
		    st->bold, d->others[i].target.name.s, i + 2, n,
		    d->others[i].target.address.s, st->reset);
		one_report(&o, &d->others[i]);
	}
}

/* A Windows error code: its forms, Microsoft's words, then each usual
 * cause with the check that tells and the command to run. */
void
wincode_text(FILE *out, uint32_t code, const struct win_code *w,
    enum output_color color, int cols)
{
	struct tout o = {
		.f = out,
		.st = color == COLOR_ALWAYS ? &ansi : &plain,
		.width = cols < TEXT_WIDTH_MIN ? TEXT_WIDTH_MIN : (size_t)cols,
	};
	const struct style *st = o.st;
	char line[200];

	if (code & 0x80000000u)
		snprintf(line, sizeof(line), "0x%08X (%d, %u)", code,
		    (int)(int32_t)code, code);
	else
		snprintf(line, sizeof(line), "%u (0x%08X)", code, code);
	if (w == NULL) {
		fprintf(out, "%s%s%s: not in ikeprobe's table\n", st->bold, line,
		    st->reset);
		return;
	}
	fprintf(out, "%s%s: %s%s (%s)\n", st->bold, line, w->symbol, st->reset,
	    w->header);
	fprintf(out, "  Windows: ");
	wrap(&o, 11, 11, w->message);
	fprintf(out, "  Meaning: ");
	wrap(&o, 11, 11, w->meaning);
	fprintf(out, "\n%sUsual causes, and how ikeprobe tells%s\n", st->bold,
	    st->reset);
	for (int i = 0; i < WINCODE_MAX_CAUSES && w->causes[i].cause; i++) {
		const struct win_cause *c = &w->causes[i];

		fprintf(out, "  %d. ", i + 1);
		wrap(&o, 5, 5, c->cause);
		fprintf(out, "     %scheck:%s ", st->dim, st->reset);
		wrap(&o, 12, 12, c->check);
		if (c->findings) {
			fprintf(out, "     %sfindings:%s ", st->dim, st->reset);
			wrap(&o, 15, 15, c->findings);
		}
		if (c->command)
			fprintf(out, "     %srun:%s %s\n", st->dim, st->reset, c->command);
	}
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
