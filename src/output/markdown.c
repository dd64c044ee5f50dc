/* Markdown for a ticket: the one-sentence verdict, a small table of the
 * checks, findings with advice, the evidence and the context. Kept to what
 * GitHub, GitLab and Jira-style Markdown all render: ATX headings, pipe
 * tables with a header row, bullet lists on one line each, bold and code
 * spans; no HTML. Every string from the report is escaped, so a report
 * cannot add a link, an image or a table cell of its own. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ikeprobe/lines.h"
#include "ikeprobe/render.h"

static bool
alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* Would GFM turn what starts at s[i] into a link of its own (autolink
 * extension): "scheme://" or "www."? Escaping the ':' or '.' stops it. */
static bool
autolink_at(const char *s, size_t i)
{
	if (s[i] == ':')
		return s[i + 1] == '/' && s[i + 2] == '/' && i > 0 &&
		    alnum((unsigned char)s[i - 1]);
	return s[i] == '.' && i >= 3 && strncasecmp(s + i - 3, "www", 3) == 0 &&
	    (i == 3 || !alnum((unsigned char)s[i - 4]));
}

/* Text with Markdown's active characters escaped. An underscore inside a
 * word (IKEV2_FRAGMENTATION_SUPPORTED) starts no emphasis, so it is left
 * alone and the text stays readable where Markdown is not rendered. */
static void
md(FILE *out, const char *s)
{
	for (size_t i = 0; s[i]; i++) {
		int c = (unsigned char)s[i];

		if (autolink_at(s, i))
			fputc('\\', out);
		switch (c) {
		case '_':
			if (i > 0 && alnum((unsigned char)s[i - 1]) &&
			    alnum((unsigned char)s[i + 1]))
				break;
			/* Elsewhere escaped like the rest. The attribute
			 * both gcc and clang honour (a comment is gcc's). */
			__attribute__((fallthrough));
		case '\\': case '`': case '*': case '[': case ']': case '<':
		case '>': case '|': case '~': case '&':
			fputc('\\', out);
			break;
		default:
			break;
		}
		fputc(c, out);
	}
}

void
md_text(FILE *out, const char *s)
{
	md(out, s);
}

/* A code span: a backtick inside would end it early, so it is dropped. */
static void
code(FILE *out, const char *s)
{
	fputc('`', out);
	for (; *s; s++)
		if (*s != '`' && *s != '|')
			fputc(*s, out);
	fputc('`', out);
}

static void
md_or(FILE *out, const struct doc_str *s, const char *if_null)
{
	md(out, doc_s(s, if_null));
}

/* A state word, in bold when it is a fault. */
static void
md_state(FILE *out, const char *state, bool bad)
{
	fprintf(out, "%s", bad ? "**" : "");
	md(out, state);
	fprintf(out, "%s", bad ? "**" : "");
}

static void
port_cell(FILE *out, const struct doc_port *v)
{
	md_state(out, v->state.s, !doc_is(&v->state, "open"));
	if (v->reply.st == DOC_SET) {
		fprintf(out, ": ");
		md(out, v->reply.s);
		fprintf(out, " reply");
		if (v->rtt_ms.st == DOC_SET)
			fprintf(out, " in %.1f ms", v->rtt_ms.v);
	} else if (v->icmp.st == DOC_SET) {
		fprintf(out, ": ICMP ");
		md_or(out, &v->icmp.name, "error");
		fprintf(out, " from ");
		md(out, v->icmp.from.s);
	} else if (v->attempts.st == DOC_SET && doc_is(&v->state, "silent"))
		fprintf(out, ": no answer to %lld attempts", v->attempts.v);
}

static void
summary_table(FILE *out, const struct doc *d)
{
	const struct doc_fragments *f = &d->fragments;
	const struct doc_path_mtu *m = &d->path_mtu;
	const struct doc_responder *r = &d->responder;

	fprintf(out, "| Check | Result |\n| --- | --- |\n");
	for (int i = 0; i < d->n_ports; i++) {
		fprintf(out, "| UDP %lld | ", d->ports[i].port);
		port_cell(out, &d->ports[i]);
		fprintf(out, " |\n");
	}
	fprintf(out, "| NAT | ");
	if (d->nat.st == DOC_ABSENT)
		fprintf(out, "%s", DOC_NOT_IN_REPORT);
	else if (d->nat.detected.st == DOC_SET && d->nat.detected.v) {
		fprintf(out, "**detected**");
		if (d->nat.consequence.st == DOC_SET) {
			fprintf(out, ": ");
			md(out, d->nat.consequence.s);
		}
	}
	else
		fprintf(out, "%s", doc_nat_word(&d->nat));
	fprintf(out, " |\n| Fragments (to the gateway) | ");
	if (f->st != DOC_SET)
		fprintf(out, "%s", DOC_NOT_IN_REPORT);
	else if (!f->tested)
		fprintf(out, "not tested");
	else {
		bool bad = doc_is(&f->outbound, "dropped");

		fprintf(out, "%s", bad ? "**" : "");
		md_or(out, &f->outbound, "unknown");
		fprintf(out, "%s", bad ? "**" : "");
		if (f->largest_answered.st == DOC_SET)
			fprintf(out, ", %lld bytes answered",
			    f->largest_answered.v);
		if (f->smallest_lost.st == DOC_SET)
			fprintf(out, ", %lld bytes lost", f->smallest_lost.v);
	}
	fprintf(out, " |\n| Fragments (from the gateway) | ");
	if (f->st != DOC_SET || f->inbound.st != DOC_SET)
		fprintf(out, "%s", DOC_NOT_IN_REPORT);
	else if (doc_is(&f->inbound, "untested"))
		fprintf(out, "not tested");
	else {
		md_state(out, f->inbound.s, doc_is(&f->inbound, "dropped"));
		if (f->inbound_evidence.st == DOC_SET) {
			fprintf(out, ": ");
			md(out, f->inbound_evidence.s);
		}
	}
	fprintf(out, " |\n| Path MTU | ");
	if (m->st != DOC_SET)
		fprintf(out, "%s", DOC_NOT_IN_REPORT);
	else if (!m->tested)
		fprintf(out, "not tested");
	else if (m->value.st == DOC_SET) {
		fprintf(out, "%lld", m->value.v);
		/* What the number rests on, in words: "1500 (local)" read
		 * like a fault when it means nothing on the path is smaller. */
		if (doc_is(&m->source, "icmp")) {
			fprintf(out, ", from a router's ICMP");
			if (m->router.st == DOC_SET) {
				fprintf(out, " (");
				md(out, m->router.s);
				fprintf(out, ")");
			}
		} else if (doc_is(&m->source, "local") &&
		    d->local.mtu.st == DOC_SET && m->value.v >= d->local.mtu.v)
			fprintf(out, ", this machine's interface MTU: the path "
			    "carries all it sends");
		else if (doc_is(&m->source, "local"))
			fprintf(out, ": this machine's own link is the limit, "
			    "not the path");
		else if (doc_is(&m->source, "probing"))
			fprintf(out, ", found by probing");
		if (m->black_hole.v)
			fprintf(out, ", **black hole**: ICMP filtered");
	} else
		fprintf(out, "unknown");
	fprintf(out, " |\n| IKEv2 fragmentation | ");
	if (d->verdict.st != DOC_SET)
		fprintf(out, "%s", DOC_NOT_IN_REPORT);
	else if (d->verdict.needed.st != DOC_SET)
		fprintf(out, "undecided");
	else
		fprintf(out, "%s", d->verdict.needed.v ? "**needed**" :
		    "not needed");
	if (r->fragmentation_supported.st == DOC_SET)
		fprintf(out, "; the gateway %s", r->fragmentation_supported.v ?
		    "offers it" : "does **not** offer it");
	fprintf(out, " |\n");
	if (d->complete.st == DOC_SET && !d->complete.v)
		fprintf(out, "| Run | **incomplete**: cut short, only what was "
		    "seen until then |\n");
}

static void
findings_md(FILE *out, const struct doc *d)
{
	fprintf(out, "\n### Findings\n\n");
	if (d->n_findings == 0)
		fprintf(out, "None.\n");
	for (int i = 0; i < d->n_findings; i++) {
		const struct doc_finding *f = &d->findings[i];

		fprintf(out, "- **");
		md(out, f->severity.s);
		fprintf(out, "** ");
		code(out, f->code.s);
		fprintf(out, ": ");
		md(out, f->summary.s);
		if (f->advice.st == DOC_SET && f->advice.s[0]) {
			fprintf(out, " **What to do:** ");
			md(out, f->advice.s);
		}
		fprintf(out, "\n");
	}
}

static void
responder_md(FILE *out, const struct doc *d)
{
	const struct doc_responder *r = &d->responder;

	if (r->st != DOC_SET || r->reply.st != DOC_SET)
		return;
	fprintf(out, "\n### The gateway's answer\n\n- reply: ");
	code(out, r->reply.s);
	fprintf(out, "\n");
	if (r->fragmentation_supported.st == DOC_SET)
		fprintf(out, "- IKEv2 fragmentation (RFC 7383): %s\n",
		    r->fragmentation_supported.v ? "offered" : "**not offered**");
	if (r->chosen_st == DOC_SET && r->n_chosen) {
		fprintf(out, "- chosen:");
		for (int i = 0; i < r->n_chosen; i++) {
			fprintf(out, " ");
			code(out, doc_s(&r->chosen[i].name, "?"));
			if (r->chosen[i].key_length.st == DOC_SET)
				fprintf(out, " (%lld bits)",
				    r->chosen[i].key_length.v);
		}
		fprintf(out, "\n");
	}
	if (r->ke_group_st == DOC_SET) {
		fprintf(out, "- key exchange: ");
		code(out, doc_s(&r->ke_group.name, "?"));
		fprintf(out, "\n");
	}
	if (r->invalid_ke_group_st == DOC_SET) {
		fprintf(out, "- asked for group: ");
		code(out, doc_s(&r->invalid_ke_group.name, "?"));
		fprintf(out, "\n");
	}
	if (r->n_notifies) {
		fprintf(out, "- notifies:");
		for (int i = 0; i < r->n_notifies; i++) {
			fprintf(out, " ");
			code(out, r->notifies[i].s);
		}
		fprintf(out, "\n");
	}
	for (int i = 0; i < r->n_vendor_ids; i++) {
		fprintf(out, "- vendor ID: ");
		if (r->vendor_ids[i].name.st == DOC_SET) {
			md(out, r->vendor_ids[i].name.s);
			fprintf(out, " ");
		}
		code(out, doc_s(&r->vendor_ids[i].hex, "?"));
		fprintf(out, "\n");
	}
	if (r->certreq.st == DOC_SET && r->certreq.v)
		fprintf(out, "- certificate requests: %lld\n", r->certreq.v);
}

/* A block of label/value lines (lines.h) as a table. */
static void
lines_md(FILE *out, const char *title, const struct doc_lines *l)
{
	if (l->n == 0)
		return;
	fprintf(out, "\n### %s\n\n| | |\n| --- | --- |\n", title);
	for (int i = 0; i < l->n; i++) {
		const char *b = l->line[i].bad ? "**" : "";

		fprintf(out, "| ");
		md(out, l->line[i].label);
		fprintf(out, " | %s", b);
		md(out, l->line[i].value);
		fprintf(out, "%s |\n", b);
	}
}

static void
auth_md(FILE *out, const struct doc *d)
{
	static struct doc_lines l;

	doc_auth_lines(d, &l);
	if (d->auth.st == DOC_SET && d->auth.tested.v)
		lines_md(out, "IKE_AUTH", &l);
	doc_cert_lines(d, &l);
	lines_md(out, "The gateway's certificate", &l);
	doc_audit_lines(d, &l);
	lines_md(out, "Proposal audit", &l);
	doc_sstp_lines(d, &l);
	lines_md(out, "SSTP (TLS on TCP)", &l);
	doc_sstp_cert_lines(d, &l);
	lines_md(out, "The SSTP server's certificate", &l);
}

static void
int_or_dash(FILE *out, const struct doc_int *v)
{
	if (v->st == DOC_SET)
		fprintf(out, "%lld", v->v);
	else
		fprintf(out, "-");
}

static void
str_or_dash(FILE *out, const struct doc_str *s)
{
	md(out, s->st == DOC_SET ? s->s : "-");
}

static void
probes_md(FILE *out, const struct doc *d)
{
	fprintf(out, "\n### Evidence\n\n");
	if (d->n_probes == 0) {
		fprintf(out, "No probe was sent.\n");
		return;
	}
	fprintf(out, "| # | Port | Purpose | Kind | Bytes | DF | Tries | Result "
	    "| Detail |\n| ---: | ---: | --- | --- | ---: | --- | ---: | --- "
	    "| --- |\n");
	for (int i = 0; i < d->n_probes; i++) {
		const struct doc_probe *p = &d->probes[i];
		const char *sep = "";

		fprintf(out, "| ");
		int_or_dash(out, &p->id);
		fprintf(out, " | %lld | ", p->port.v);
		str_or_dash(out, &p->purpose);
		fprintf(out, " | ");
		str_or_dash(out, &p->kind);
		fprintf(out, " | ");
		int_or_dash(out, &p->size);
		fprintf(out, " | %s | ", p->df.st == DOC_SET ? p->df.v ? "yes" :
		    "no" : "-");
		int_or_dash(out, &p->attempts);
		fprintf(out, " | ");
		md(out, p->result.s);
		fprintf(out, " | ");
		if (p->fragments.st == DOC_SET && p->fragments.v > 1) {
			fprintf(out, "%lld fragments", p->fragments.v);
			if (p->fragment_size.st == DOC_SET)
				fprintf(out, " of %lld", p->fragment_size.v);
			sep = "; ";
		}
		if (p->repeat.st == DOC_SET && p->repeat.v) {
			fprintf(out, "%srepeat", sep);
			sep = "; ";
		}
		if (doc_is(&p->result, "answered")) {
			char ans[160];

			doc_probe_answer(p, ans, sizeof(ans));
			fprintf(out, "%s", sep);
			if (ans[0])
				md(out, ans);
			else
				md_or(out, &p->reply, "?");
			if (p->rtt_ms.st == DOC_SET)
				fprintf(out, " in %.1f ms", p->rtt_ms.v);
			if (p->problem.st == DOC_SET) {
				fprintf(out, " (");
				md(out, p->problem.s);
				fprintf(out, ")");
			}
			sep = "; ";
		} else if (doc_is(&p->result, "icmp") && p->icmp.st == DOC_SET) {
			fprintf(out, "%sICMP ", sep);
			md_or(out, &p->icmp.name, "error");
			fprintf(out, " from ");
			md(out, p->icmp.from.s);
			sep = "; ";
		} else if (doc_is(&p->result, "send_failed")) {
			fprintf(out, "%snot sent", sep);
			if (p->send_error.st == DOC_SET) {
				fprintf(out, ": ");
				md(out, p->send_error.s);
			}
			sep = "; ";
		}
		if (p->offer.st == DOC_SET) {
			fprintf(out, "%soffer ", sep);
			md(out, p->offer.s);
			sep = "; ";
		}
		if (p->follows.st == DOC_SET)
			fprintf(out, "%sfollows #%lld", sep, p->follows.v);
		fprintf(out, " |\n");
	}
}

static void
row(FILE *out, const char *name, const struct doc_str *v, const char *if_null)
{
	fprintf(out, "| %s | ", name);
	md_or(out, v, if_null);
	fprintf(out, " |\n");
}

static void
context_md(FILE *out, const struct doc *d)
{
	const struct doc_local *l = &d->local;
	const struct doc_capture *c = &d->capture;

	fprintf(out, "\n### Context\n\n| Item | Value |\n| --- | --- |\n");
	row(out, "Label", &l->label, "none");
	fprintf(out, "| Target | ");
	md(out, d->target.name.s);
	fprintf(out, " (");
	md(out, d->target.address.s);
	fprintf(out, ") |\n| Addresses of the name | ");
	if (d->target.n_addresses < 0)
		fprintf(out, "%s", DOC_NOT_IN_REPORT);
	for (int i = 0; i < d->target.n_addresses; i++) {
		fprintf(out, "%s", i ? ", " : "");
		md(out, d->target.addresses[i].s);
	}
	if (d->target.cluster.st == DOC_SET && d->target.cluster.v)
		fprintf(out, " (a cluster)");
	fprintf(out, " |\n| Local address | ");
	md(out, l->address.s);
	fprintf(out, " on ");
	md(out, l->interface.s);
	fprintf(out, ", MTU ");
	int_or_dash(out, &l->mtu);
	fprintf(out, " |\n");
	row(out, "Local network", &l->network, "unknown");
	row(out, "Next hop", &l->gateway, "none (on-link)");
	row(out, "Host", &l->hostname, "unknown");
	row(out, "OS", &l->os, "unknown");
	row(out, "Kernel", &l->kernel, "unknown");
	row(out, "Started", &d->started, "unknown");
	fprintf(out, "| Duration | ");
	int_or_dash(out, &d->duration_ms);
	fprintf(out, " ms |\n| Complete | %s |\n", d->complete.st != DOC_SET ?
	    DOC_NOT_IN_REPORT : d->complete.v ? "yes" : "**no**");
	fprintf(out, "| Tool | ikeprobe ");
	md_or(out, &d->tool_version, "?");
	fprintf(out, " |\n| Capture | ");
	if (c->st == DOC_SET)
		fprintf(out, "%lld packets (%lld ours, %lld replies, %lld "
		    "unrelated)", c->packets.v, c->sent_seen.v, c->replies.v,
		    c->unrelated.v);
	else
		fprintf(out, "%s", DOC_NOT_IN_REPORT);
	fprintf(out, " |\n");
}

static void
one_report(FILE *out, const struct doc *d, const char *heading)
{
	fprintf(out, "%s ikeprobe: IKEv2 to ", heading);
	md(out, d->target.name.s);
	fprintf(out, " (");
	md(out, d->target.address.s);
	fprintf(out, ")");
	if (d->local.label.st == DOC_SET) {
		fprintf(out, " from ");
		md(out, d->local.label.s);
	}
	fprintf(out, "\n\n**");
	md(out, d->headline.s);
	fprintf(out, "**\n\n");
	if (d->verdict.show) {
		fprintf(out, "Verdict: ");
		md(out, d->verdict.reason.s);
		fprintf(out, "\n\n");
	}
	summary_table(out, d);
	findings_md(out, d);
	responder_md(out, d);
	auth_md(out, d);
	probes_md(out, d);
	context_md(out, d);
}

void
wincode_markdown(FILE *out, uint32_t code, const struct win_code *w)
{
	if (code & 0x80000000u)
		fprintf(out, "## 0x%08X (%d)", code, (int)(int32_t)code);
	else
		fprintf(out, "## %u (0x%08X)", code, code);
	if (w == NULL) {
		fprintf(out, "\n\nNot in ikeprobe's table.\n");
		return;
	}
	fprintf(out, ": `%s`\n\n> ", w->symbol);
	md(out, w->message);
	fprintf(out, "\n\n");
	md(out, w->meaning);
	fprintf(out, "\n\n| cause | how ikeprobe tells | findings | run |\n"
	    "| --- | --- | --- | --- |\n");
	for (int i = 0; i < WINCODE_MAX_CAUSES && w->causes[i].cause; i++) {
		const struct win_cause *c = &w->causes[i];

		fprintf(out, "| ");
		md(out, c->cause);
		fprintf(out, " | ");
		md(out, c->check);
		fprintf(out, " | ");
		md(out, c->findings ? c->findings : "-");
		fprintf(out, " | ");
		if (c->command) {
			fprintf(out, "`");
			md(out, c->command);
			fprintf(out, "`");
		} else
			fprintf(out, "-");
		fprintf(out, " |\n");
	}
}

void
doc_markdown(FILE *out, const struct doc *d)
{
	one_report(out, d, "##");
	for (int i = 0; i < d->n_others; i++) {
		fprintf(out, "\n---\n\n");
		one_report(out, &d->others[i], "##");
	}
}

static void
cmp_md_rows(FILE *out, const struct cmp_table *t, enum cmp_kind kind)
{
	for (int r = 0; r < t->n_rows; r++) {
		const struct cmp_row *row = &t->rows[r];
		const char *b = row->differs && kind == CMP_CHECK ? "**" : "";

		if (row->kind != kind)
			continue;
		fprintf(out, "| %s", b);
		md(out, row->check);
		fprintf(out, "%s%s |", b, *b ? " (differs)" : "");
		for (int c = 0; c < t->n_cols; c++) {
			fprintf(out, " %s", b);
			md(out, row->has[c] ? row->value[c] : DOC_NOT_IN_REPORT);
			fprintf(out, "%s |", b);
		}
		fprintf(out, "\n");
	}
}

static void
cmp_md_head(FILE *out, const struct cmp_table *t, const char *first)
{
	fprintf(out, "| %s |", first);
	for (int c = 0; c < t->n_cols; c++) {
		fprintf(out, " ");
		md(out, t->cols[c].title);
		fprintf(out, " |");
	}
	fprintf(out, "\n| --- |");
	for (int c = 0; c < t->n_cols; c++)
		fprintf(out, " --- |");
	fprintf(out, "\n");
}

void
cmp_markdown(FILE *out, const struct cmp_table *t)
{
	fprintf(out, "## ikeprobe: %d reports compared\n\n", t->n_cols);
	if (t->n_differ)
		fprintf(out, "%d check%s differ%s: marked **(differs)**, "
		    "values in bold.\n\n", t->n_differ, t->n_differ == 1 ?
		    "" : "s", t->n_differ == 1 ? "s" : "");
	else
		fprintf(out, "No check differs.\n\n");
	cmp_md_head(out, t, "Check");
	cmp_md_rows(out, t, CMP_CHECK);
	fprintf(out, "\n### Context\n\n");
	cmp_md_head(out, t, "Item");
	cmp_md_rows(out, t, CMP_CONTEXT);
}
