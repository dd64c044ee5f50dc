/* Which rows a comparison has, what each report says in them, and which
 * differ. Check rows are what the network and the gateway did; context
 * rows say where and when, and are expected to differ. A value a report
 * lacks (an older version) is "not in this report" and is no difference. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ikeprobe/compare.h"

static void
title(struct cmp_col *c, const struct doc *d, bool with_address)
{
	const struct doc_local *l = &d->local;
	char base[sizeof(c->title)];

	if (l->label.st == DOC_SET && l->label.s[0])
		snprintf(base, sizeof(base), "%s", l->label.s);
	else if (l->network.st == DOC_SET)
		snprintf(base, sizeof(base), "%s", l->network.s);
	else
		snprintf(base, sizeof(base), "%s on %s", l->address.s,
		    l->interface.s);
	if (with_address)
		snprintf(c->title, sizeof(c->title), "%.*s (%s)",
		    (int)(sizeof(c->title) / 2), base, d->target.address.s);
	else
		snprintf(c->title, sizeof(c->title), "%s", base);
}

/* "2026-12-02T14:43:55Z" as "2026-12-02 14:43" (UTC): when a column was
 * made, short enough for a column title. */
static void
when(char *buf, size_t len, const struct doc *d)
{
	snprintf(buf, len, "%.16s", doc_s(&d->started, "?"));
	if (strlen(buf) > 10 && buf[10] == 'T')
		buf[10] = ' ';
}

/* Two runs from one network without --label both read "192.0.2.0/24":
 * add what tells them apart, the host if that differs, else the time,
 * else the column's number. */
static void
distinct_titles(struct cmp_table *t)
{
	char extra[CMP_MAX_COLS][64], a[32], b[32];

	for (int c = 0; c < t->n_cols; c++) {
		const struct doc *d = t->cols[c].doc;
		bool dup = false, host = false, time = false;

		extra[c][0] = '\0';
		for (int o = 0; o < t->n_cols; o++) {
			const struct doc *e = t->cols[o].doc;

			if (o == c || strcmp(t->cols[o].title, t->cols[c].title))
				continue;
			dup = true;
			if (strcmp(doc_s(&d->local.hostname, ""),
			    doc_s(&e->local.hostname, "")) != 0)
				host = true;
			when(a, sizeof(a), d);
			when(b, sizeof(b), e);
			if (strcmp(a, b) != 0)
				time = true;
		}
		if (!dup)
			continue;
		if (host && time) {
			when(a, sizeof(a), d);
			snprintf(extra[c], sizeof(extra[c]), "%.24s, %s",
			    doc_s(&d->local.hostname, "unknown host"), a);
		} else if (host)
			snprintf(extra[c], sizeof(extra[c]), "%.40s",
			    doc_s(&d->local.hostname, "unknown host"));
		else if (time)
			when(extra[c], sizeof(extra[c]), d);
		else
			snprintf(extra[c], sizeof(extra[c]), "#%d", c + 1);
	}
	for (int c = 0; c < t->n_cols; c++) {
		struct cmp_col *col = &t->cols[c];
		size_t n = strlen(col->title);

		if (extra[c][0])
			snprintf(col->title + n, sizeof(col->title) - n, ", %s",
			    extra[c]);
	}
}

int
cmp_add(struct cmp_table *t, const char *file, const struct doc *d)
{
	if (t->n_cols + 1 + d->n_others > CMP_MAX_COLS)
		return -1;
	for (int i = -1; i < d->n_others; i++) {
		struct cmp_col *c = &t->cols[t->n_cols++];

		c->file = file;
		c->doc = i < 0 ? d : &d->others[i];
		title(c, c->doc, d->n_others > 0);
	}
	return 0;
}

static struct cmp_row *
find_row(struct cmp_table *t, const char *key, const char *check,
    enum cmp_kind kind)
{
	struct cmp_row *r;

	for (int i = 0; i < t->n_rows; i++)
		if (strcmp(t->rows[i].key, key) == 0)
			return &t->rows[i];
	if (t->n_rows == CMP_MAX_ROWS)
		return NULL;
	r = &t->rows[t->n_rows++];
	snprintf(r->key, sizeof(r->key), "%s", key);
	snprintf(r->check, sizeof(r->check), "%s", check);
	r->kind = kind;
	return r;
}

static void __attribute__((format(printf, 6, 0)))
vput(struct cmp_table *t, int col, const char *key, const char *check,
    enum cmp_kind kind, const char *fmt, va_list ap)
{
	struct cmp_row *r = find_row(t, key, check, kind);

	if (r == NULL)
		return;
	r->has[col] = true;
	vsnprintf(r->value[col], sizeof(r->value[col]), fmt, ap);
}

static void __attribute__((format(printf, 6, 7)))
put(struct cmp_table *t, int col, const char *key, const char *check,
    enum cmp_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(t, col, key, check, kind, fmt, ap);
	va_end(ap);
}

/* A row every report has a place in, even one that lacks the value. */
static void
declare(struct cmp_table *t, const char *key, const char *check,
    enum cmp_kind kind)
{
	find_row(t, key, check, kind);
}

static void
put_blank(struct cmp_table *t, int col, const char *key, const char *check,
    const char *what)
{
	struct cmp_row *r = find_row(t, key, check, CMP_CHECK);

	if (r == NULL)
		return;
	r->has[col] = r->blank[col] = true;
	snprintf(r->value[col], sizeof(r->value[col]), "%s", what);
}

static void
put_str(struct cmp_table *t, int col, const char *key, const char *check,
    enum cmp_kind kind, const struct doc_str *s, const char *if_null)
{
	declare(t, key, check, kind);
	if (s->st != DOC_ABSENT)
		put(t, col, key, check, kind, "%s", s->st == DOC_SET ? s->s :
		    if_null);
}

static const char *
yes_no(const struct doc_bool *b, const char *yes, const char *no,
    const char *null)
{
	return b->st == DOC_SET ? b->v ? yes : no : null;
}

/* The check rows after the ports, in their order: key (stable, for JSON)
 * and the words people read. */
enum check_row {
	ROW_NAT, ROW_FRAGMENTS, ROW_INBOUND, ROW_PATH_MTU, ROW_ICMP_TOO_BIG,
	ROW_NEEDED, ROW_REPLY, ROW_GATEWAY_FRAG, ROW_AUTH, ROW_CERT,
	ROW_CERT_TRUST, ROW_COMPLETE, ROW_N,
};

static const struct {
	const char	*key, *check;
} check_rows[ROW_N] = {
	[ROW_NAT] = { "nat", "NAT" },
	[ROW_FRAGMENTS] = { "fragments", "Fragments to gateway" },
	[ROW_INBOUND] = { "fragments_inbound", "Fragments from gateway" },
	[ROW_PATH_MTU] = { "path_mtu", "Path MTU" },
	/* Worded for the reports' family by icmp_row_words(). */
	[ROW_ICMP_TOO_BIG] = { "icmp_too_big", "ICMP frag. needed" },
	[ROW_NEEDED] = { "ikev2_fragmentation_needed",
	    "IKEv2 fragmentation needed" },
	[ROW_REPLY] = { "gateway_reply", "Gateway's best reply" },
	[ROW_GATEWAY_FRAG] = { "gateway_fragmentation",
	    "Gateway offers IKEv2 frag." },
	[ROW_AUTH] = { "auth_answer", "IKE_AUTH answer" },
	[ROW_CERT] = { "certificate", "Gateway certificate" },
	[ROW_CERT_TRUST] = { "certificate_trusted", "Certificate trusted" },
	[ROW_COMPLETE] = { "complete", "Run complete" },
};

static void __attribute__((format(printf, 4, 5)))
put_check(struct cmp_table *t, int col, enum check_row row, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(t, col, check_rows[row].key, check_rows[row].check, CMP_CHECK,
	    fmt, ap);
	va_end(ap);
}

/* Not tested (--quick, no open port): no answer to compare with another
 * report's. */
static void
untested(struct cmp_table *t, int col, enum check_row row)
{
	put_blank(t, col, check_rows[row].key, check_rows[row].check,
	    "not tested");
}

/* The gateway-to-client direction, the IKE_AUTH answer and the
 * gateway's certificate (0.3 on). */
static void
auth_checks(struct cmp_table *t, int col, const struct doc *d)
{
	const struct doc_certificate *c = &d->certificate;
	const struct doc_auth *a = &d->auth;

	if (d->fragments.st == DOC_SET && doc_is(&d->fragments.inbound, "untested"))
		untested(t, col, ROW_INBOUND);
	else if (d->fragments.st == DOC_SET && d->fragments.inbound.st == DOC_SET)
		put_check(t, col, ROW_INBOUND, "%s", d->fragments.inbound.s);
	if (a->st != DOC_SET)
		return;
	if (!a->tested.v) {
		untested(t, col, ROW_AUTH);
		untested(t, col, ROW_CERT);
		untested(t, col, ROW_CERT_TRUST);
		return;
	}
	put_check(t, col, ROW_AUTH, "%s", doc_s(&a->answer, "none"));
	if (c->st != DOC_SET)
		put_check(t, col, ROW_CERT, "none sent");
	else if (!c->parsed.v)
		put_check(t, col, ROW_CERT, "does not parse");
	else if (c->expired.v)
		put_check(t, col, ROW_CERT, "expired");
	else if (c->not_yet_valid.v)
		put_check(t, col, ROW_CERT, "not yet valid");
	else	/* days left would differ between any two days */
		put_check(t, col, ROW_CERT, "%s", c->days_left.v < 30 ?
		    "valid, expires within 30 days" : "valid");
	if (c->st == DOC_SET && c->parsed.v)
		put_check(t, col, ROW_CERT_TRUST, "%s", yes_no(&c->trusted,
		    "yes", "no", "not judged"));
}

/* The proposal audit (0.4 on, --audit): rows only where a report has
 * one, since it is about the gateway more than the network. */
static void
audit_checks(struct cmp_table *t, int col, const struct doc *d)
{
	const struct doc_audit *a = &d->audit;
	char weak[400];
	size_t at = 0;

	if (a->st != DOC_SET)
		return;
	if (!a->conclusive.v) {
		put(t, col, "audit", "Proposal audit", CMP_CHECK, "inconclusive");
		return;
	}
	put(t, col, "audit", "Proposal audit", CMP_CHECK, "conclusive");
	put(t, col, "audit_windows_default", "Windows defaults", CMP_CHECK, "%s",
	    doc_s(&a->windows_default, "not known"));
	weak[0] = '\0';
	for (int i = 0; i < a->n_accepted && at < sizeof(weak); i++)
		if (a->accepted[i].weak.st == DOC_SET && a->accepted[i].weak.v)
			at += (size_t)snprintf(weak + at, sizeof(weak) - at, "%s%s",
			    at ? " " : "", doc_s(&a->accepted[i].offer, "?"));
	put(t, col, "audit_weak", "Weak accepted", CMP_CHECK, "%s",
	    at ? weak : "none");
}

/* The SSTP check (0.5 on): rows only where a report has one. TCP 443 is
 * the network's; the listener and the certificate are the gateway's. */
static void
sstp_checks(struct cmp_table *t, int col, const struct doc *d)
{
	const struct doc_sstp *s = &d->sstp;
	const struct doc_certificate *c = &s->certificate;

	if (s->st != DOC_SET)
		return;
	put(t, col, "sstp", "SSTP TCP", CMP_CHECK, "%lld %s", s->port.v,
	    doc_s(&s->state, "?"));
	if (!doc_is(&s->state, "open"))
		return;
	put(t, col, "sstp_tls", "SSTP TLS", CMP_CHECK, "%s",
	    doc_s(&s->tls_version, "failed"));
	put(t, col, "sstp_listener", "SSTP listener", CMP_CHECK, "%s",
	    doc_is(&s->call_connect, "ack") ? "takes calls" :
	    s->call_connect.st == DOC_SET ? "refuses calls" :
	    s->listener.st == DOC_SET && s->listener.v ? "no answer to the call" :
	    s->http_st == DOC_SET ? "not SSTP (web server)" : "not SSTP");
	if (c->st != DOC_SET)
		return;
	put(t, col, "sstp_cert", "SSTP certificate", CMP_CHECK, "%s",
	    !c->parsed.v ? "does not parse" : c->expired.v ? "expired" :
	    c->not_yet_valid.v ? "not yet valid" : c->days_left.v < 30 ?
	    "valid, expires within 30 days" : "valid");
	if (c->parsed.v)
		put(t, col, "sstp_cert_trust", "SSTP trusted", CMP_CHECK, "%s",
		    yes_no(&c->trusted, "yes", "no", "not judged"));
}

static void
checks(struct cmp_table *t, int col, const struct doc *d)
{
	const struct doc_path_mtu *m = &d->path_mtu;
	const struct doc_responder *r = &d->responder;
	char key[24], check[24];

	for (int i = 0; i < d->n_ports; i++) {
		snprintf(key, sizeof(key), "port.%lld", d->ports[i].port);
		snprintf(check, sizeof(check), "UDP %lld", d->ports[i].port);
		put(t, col, key, check, CMP_CHECK, "%s", d->ports[i].state.s);
	}
	/* Every report has a place in these, even one that lacks them. */
	for (int i = 0; i < ROW_N; i++)
		declare(t, check_rows[i].key, check_rows[i].check, CMP_CHECK);
	if (d->nat.st == DOC_SET)
		put_check(t, col, ROW_NAT, "%s", doc_nat_word(&d->nat));
	if (d->fragments.st == DOC_SET && !d->fragments.tested)
		untested(t, col, ROW_FRAGMENTS);
	else if (d->fragments.st == DOC_SET)
		put_check(t, col, ROW_FRAGMENTS, "%s",
		    doc_s(&d->fragments.outbound, "unknown"));
	if (m->st == DOC_SET && !m->tested) {
		untested(t, col, ROW_PATH_MTU);
		untested(t, col, ROW_ICMP_TOO_BIG);
	} else if (m->st == DOC_SET) {
		if (m->value.st == DOC_SET)
			put_check(t, col, ROW_PATH_MTU, "%lld%s", m->value.v,
			    m->black_hole.v ? " (black hole)" : "");
		else
			put_check(t, col, ROW_PATH_MTU, "unknown");
		put_check(t, col, ROW_ICMP_TOO_BIG, "%s", m->icmp.s);
	}
	if (d->verdict.st == DOC_SET && d->verdict.needed.st != DOC_SET &&
	    !d->fragments.tested && !m->tested)
		untested(t, col, ROW_NEEDED);
	else if (d->verdict.st == DOC_SET)
		put_check(t, col, ROW_NEEDED, "%s", yes_no(&d->verdict.needed,
		    "yes", "no", "undecided"));
	if (r->st == DOC_SET)
		put_check(t, col, ROW_REPLY, "%s", doc_s(&r->reply, "none"));
	if (r->st == DOC_SET && r->fragmentation_supported.st != DOC_ABSENT)
		put_check(t, col, ROW_GATEWAY_FRAG, "%s",
		    yes_no(&r->fragmentation_supported, "yes", "no", "unknown"));
	auth_checks(t, col, d);
	audit_checks(t, col, d);
	sstp_checks(t, col, d);
	if (d->complete.st == DOC_SET)
		put_check(t, col, ROW_COMPLETE, "%s", d->complete.v ? "yes" :
		    "no");
}

static void
context(struct cmp_table *t, int col, const struct cmp_col *c)
{
	const struct doc *d = c->doc;
	const struct doc_local *l = &d->local;

	put(t, col, "file", "File", CMP_CONTEXT, "%s", c->file);
	put_str(t, col, "label", "Label", CMP_CONTEXT, &l->label, "none");
	put(t, col, "started", "Started", CMP_CONTEXT, "%s", d->started.s);
	put(t, col, "target", "Target", CMP_CONTEXT, "%s (%s)",
	    d->target.name.s, d->target.address.s);
	put(t, col, "local", "Local address", CMP_CONTEXT, "%s on %s",
	    l->address.s, l->interface.s);
	put_str(t, col, "network", "Local network", CMP_CONTEXT, &l->network,
	    "unknown");
	put_str(t, col, "gateway", "Next hop", CMP_CONTEXT, &l->gateway,
	    "on-link");
	declare(t, "mtu", "Interface MTU", CMP_CONTEXT);
	if (l->mtu.st == DOC_SET)
		put(t, col, "mtu", "Interface MTU", CMP_CONTEXT, "%lld", l->mtu.v);
	put_str(t, col, "hostname", "Host", CMP_CONTEXT, &l->hostname,
	    "unknown");
	put_str(t, col, "os", "OS", CMP_CONTEXT, &l->os, "unknown");
	put_str(t, col, "version", "ikeprobe", CMP_CONTEXT, &d->tool_version,
	    "?");
}

/* Warnings and errors, one row per finding code any report has. */
static void
findings(struct cmp_table *t)
{
	char key[48], check[48];

	for (int c = 0; c < t->n_cols; c++) {
		const struct doc *d = t->cols[c].doc;

		for (int i = 0; i < d->n_findings; i++) {
			const struct doc_finding *f = &d->findings[i];

			if (doc_is(&f->severity, "info"))
				continue;
			snprintf(key, sizeof(key), "finding.%.39s", f->code.s);
			/* A stable key even from a report that breaks the
			 * code's rule (lower case words joined by dashes). */
			for (char *k = key + 8; *k; k++)
				if (!((*k >= 'a' && *k <= 'z') ||
				    (*k >= '0' && *k <= '9')))
					*k = '-';
			snprintf(check, sizeof(check), "Finding %.39s", f->code.s);
			put(t, c, key, check, CMP_CHECK, "%s", f->severity.s);
		}
	}
	/* A report without the finding has it as "-", not "not in this
	 * report": the finding was looked for and not made. */
	for (int r = 0; r < t->n_rows; r++) {
		struct cmp_row *row = &t->rows[r];

		if (strncmp(row->key, "finding.", 8) != 0)
			continue;
		for (int c = 0; c < t->n_cols; c++)
			if (!row->has[c]) {
				row->has[c] = true;
				snprintf(row->value[c], sizeof(row->value[c]), "-");
			}
	}
}

/* A port one report did not probe (--ports) is not missing from it. */
static void
unprobed_ports(struct cmp_table *t)
{
	for (int r = 0; r < t->n_rows; r++)
		if (strncmp(t->rows[r].key, "port.", 5) == 0)
			for (int c = 0; c < t->n_cols; c++)
				if (!t->rows[r].has[c]) {
					t->rows[r].has[c] = true;
					t->rows[r].blank[c] = true;
					snprintf(t->rows[r].value[c],
					    sizeof(t->rows[r].value[c]),
					    "not probed");
				}
}

/* Ports first, by number; then the other checks as added; findings; the
 * context last. */
static long
rank(const struct cmp_row *r)
{
	long port = 0;

	if (r->kind == CMP_CONTEXT)
		return 4L << 20;
	if (strncmp(r->key, "finding.", 8) == 0)
		return 3L << 20;
	if (sscanf(r->key, "port.%ld", &port) == 1)
		return port;
	return 2L << 20;
}

static void
sort_rows(struct cmp_table *t)
{
	struct cmp_row tmp;

	/* Insertion sort: stable, and a few dozen rows. */
	for (int i = 1; i < t->n_rows; i++) {
		int j = i;

		tmp = t->rows[i];
		while (j > 0 && rank(&t->rows[j - 1]) > rank(&tmp)) {
			t->rows[j] = t->rows[j - 1];
			j--;
		}
		t->rows[j] = tmp;
	}
}

/* The row of the path-MTU ICMP in the words of the reports' family:
 * IPv4's "fragmentation needed", IPv6's "packet too big". */
static void
icmp_row_words(struct cmp_table *t)
{
	int v4 = 0, v6 = 0;

	for (int c = 0; c < t->n_cols; c++) {
		if (doc_is(&t->cols[c].doc->target.family, "ipv6"))
			v6++;
		else	/* no family: a report from before IPv6 */
			v4++;
	}
	for (int r = 0; r < t->n_rows; r++)
		if (strcmp(t->rows[r].key, check_rows[ROW_ICMP_TOO_BIG].key) == 0)
			snprintf(t->rows[r].check, sizeof(t->rows[r].check),
			    "%s", v6 == 0 ? "ICMP frag. needed" : v4 == 0 ?
			    "ICMPv6 too big" : "ICMP frag. needed / too big");
}

static const char *
col_family(const struct cmp_col *c)
{
	return doc_s(&c->doc->target.family, "ipv4");
}

/* Dual-stack reports side by side: each family's columns together, in
 * the order the families first come (a report's own, IPv6 first where it
 * was probed first), so IPv6 is compared with IPv6. A stable insertion
 * sort of a few columns. */
static void
by_family(struct cmp_table *t)
{
	static struct cmp_col tmp;
	const char *order[CMP_MAX_COLS];
	int n = 0;

	for (int c = 0; c < t->n_cols; c++) {
		int k = 0;

		while (k < n && strcmp(order[k], col_family(&t->cols[c])) != 0)
			k++;
		if (k == n)
			order[n++] = col_family(&t->cols[c]);
	}
	if (n < 2)
		return;
	for (int i = 1; i < t->n_cols; i++) {
		int j = i, rank;

		tmp = t->cols[i];
		for (rank = 0; strcmp(order[rank], col_family(&tmp)) != 0; rank++)
			;
		while (j > 0) {
			int r = 0;

			while (strcmp(order[r], col_family(&t->cols[j - 1])) != 0)
				r++;
			if (r <= rank)
				break;
			t->cols[j] = t->cols[j - 1];
			j--;
		}
		t->cols[j] = tmp;
	}
}

/* Does a row differ: between columns of one family when some family has
 * several (IPv6 against IPv4 is the same network's two paths, not two
 * networks), else between any two. */
static bool
row_differs(const struct cmp_table *t, const struct cmp_row *row)
{
	bool paired = false;

	for (int a = 0; a < t->n_cols; a++)
		for (int b = a + 1; b < t->n_cols; b++)
			paired |= strcmp(col_family(&t->cols[a]),
			    col_family(&t->cols[b])) == 0;
	for (int a = 0; a < t->n_cols; a++) {
		if (!row->has[a] || row->blank[a])
			continue;
		for (int b = a + 1; b < t->n_cols; b++) {
			if (!row->has[b] || row->blank[b] || (paired &&
			    strcmp(col_family(&t->cols[a]),
			    col_family(&t->cols[b])) != 0))
				continue;
			if (strcmp(row->value[a], row->value[b]) != 0)
				return true;
		}
	}
	return false;
}

void
cmp_build(struct cmp_table *t)
{
	by_family(t);
	distinct_titles(t);
	for (int c = 0; c < t->n_cols; c++)
		checks(t, c, t->cols[c].doc);
	icmp_row_words(t);
	unprobed_ports(t);
	findings(t);
	for (int c = 0; c < t->n_cols; c++)
		context(t, c, &t->cols[c]);
	sort_rows(t);
	t->n_differ = 0;
	for (int r = 0; r < t->n_rows; r++) {
		struct cmp_row *row = &t->rows[r];

		row->differs = row_differs(t, row);
		if (row->differs && row->kind == CMP_CHECK)
			t->n_differ++;
	}
}
