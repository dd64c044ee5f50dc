/* The report's IKE_AUTH and certificate blocks as label/value lines
 * (lines.h), worded once for every renderer: text aligns them, Markdown
 * puts them in a table and escapes them. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ikeprobe/lines.h"

static struct doc_line *
add(struct doc_lines *l, const char *label, bool bad)
{
	struct doc_line *ln;

	if (l->n == DOC_MAX_LINES)
		return NULL;
	ln = &l->line[l->n++];
	ln->label = label;
	ln->bad = bad;
	ln->value[0] = '\0';
	return ln;
}

/* Append to a line's value; what does not fit is cut. */
static void __attribute__((format(printf, 2, 3)))
app(struct doc_line *ln, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (ln == NULL || (n = strlen(ln->value)) >= sizeof(ln->value) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(ln->value + n, sizeof(ln->value) - n, fmt, ap);
	va_end(ap);
}

static void
list(struct doc_line *ln, const struct doc_str *s, int n, const char *sep)
{
	for (int i = 0; i < n; i++)
		app(ln, "%s%s", i ? sep : "", doc_s(&s[i], "?"));
	if (n == 0)
		app(ln, "none");
}

static bool
yes(const struct doc_bool *b)
{
	return b->st == DOC_SET && b->v;
}

static bool
no(const struct doc_bool *b)
{
	return b->st == DOC_SET && !b->v;
}

/* A certificate as judged; the AUTH line only for IKE's. */
static void
cert_lines(const struct doc_certificate *c, bool ike, struct doc_lines *l)
{
	struct doc_line *ln;

	l->n = 0;
	if (c->st != DOC_SET)
		return;
	if (!c->parsed.v) {
		ln = add(l, "certificate", true);
		app(ln, "does not parse: %s", doc_s(&c->problem, "?"));
		return;
	}
	app(add(l, "subject", false), "%s", doc_s(&c->subject, "?"));
	app(add(l, "issuer", false), "%s", doc_s(&c->issuer, "?"));
	ln = add(l, "valid", yes(&c->expired) || yes(&c->not_yet_valid) ||
	    (c->days_left.st == DOC_SET && c->days_left.v < 30));
	app(ln, "%.10s to %.10s", doc_s(&c->not_before, "?"),
	    doc_s(&c->not_after, "?"));
	if (yes(&c->expired))
		app(ln, ": EXPIRED");
	else if (yes(&c->not_yet_valid))
		app(ln, ": NOT VALID YET");
	else if (c->days_left.st == DOC_SET)
		app(ln, " (%lld day(s) left)", c->days_left.v);
	ln = add(l, "names", no(&c->name_matches));
	list(ln, c->san, c->n_san, ", ");
	if (c->name_checked.st == DOC_SET)
		app(ln, yes(&c->name_matches) ? " (%s matches)" :
		    " (does NOT carry %s, the name dialled)", c->name_checked.s);
	ln = add(l, "EKU", no(&c->server_auth));
	list(ln, c->eku, c->n_eku, ", ");
	if (no(&c->server_auth))
		app(ln, " (no Server Authentication)");
	ln = add(l, "key", yes(&c->weak_key) || yes(&c->sha1));
	app(ln, "%s%s, signed %s%s", doc_s(&c->key, "?"), yes(&c->weak_key) ?
	    " (too weak)" : "", doc_s(&c->signature, "?"), yes(&c->sha1) ?
	    " (SHA-1 in the chain)" : "");
	ln = add(l, "chain", yes(&c->chain_incomplete));
	list(ln, c->chain, c->n_chain, " < ");
	app(ln, yes(&c->intermediates_sent) ? " (with its intermediates)" :
	    yes(&c->self_signed) ? " (self-signed)" : " (no intermediate sent)");
	ln = add(l, "trust", no(&c->trusted));
	if (c->trusted.st != DOC_SET)
		app(ln, "not judged");
	else
		app(ln, "%s", c->trusted.v ? "chains to a trusted root" :
		    "does NOT chain to a trusted root");
	if (c->trust_error.st == DOC_SET)
		app(ln, ": %s", c->trust_error.s);
	app(ln, " (against %s)", doc_is(&c->trust_store, "system") ?
	    "this machine's trust store" : doc_s(&c->trust_store, "?"));
	if (!ike)
		return;
	ln = add(l, "AUTH", no(&c->auth_verified));
	app(ln, "%s", c->auth_verified.st != DOC_SET ? "not checked" :
	    c->auth_verified.v ? "the gateway's signature verifies with this "
	    "certificate's key" : "does NOT verify with this certificate's key");
	if (c->auth_error.st == DOC_SET)
		app(ln, ": %s", c->auth_error.s);
}

void
doc_cert_lines(const struct doc *d, struct doc_lines *l)
{
	cert_lines(&d->certificate, true, l);
}

void
doc_sstp_cert_lines(const struct doc *d, struct doc_lines *l)
{
	l->n = 0;
	if (d->sstp.st == DOC_SET)
		cert_lines(&d->sstp.certificate, false, l);
}

void
doc_sstp_lines(const struct doc *d, struct doc_lines *l)
{
	const struct doc_sstp *t = &d->sstp;
	struct doc_line *ln;
	bool open = doc_is(&t->state, "open");

	l->n = 0;
	if (t->st != DOC_SET)
		return;
	ln = add(l, "TCP", !open);
	app(ln, "%lld %s", t->port.v, doc_s(&t->state, "?"));
	if (t->connect_ms.st == DOC_SET)
		app(ln, ", SYN-ACK in %.2f ms", t->connect_ms.v);
	if (t->reset_from.st == DOC_SET)
		app(ln, ": reset from %s", t->reset_from.s);
	if (t->icmp.st == DOC_SET)
		app(ln, ": ICMP %s from %s", doc_s(&t->icmp.name, "error"),
		    doc_s(&t->icmp.from, "?"));
	if (!open && t->syns.st == DOC_SET)
		app(ln, " (%lld SYN(s) seen leaving)", t->syns.v);
	if (!open && t->reset_from.st != DOC_SET && t->icmp.st != DOC_SET &&
	    t->error.st == DOC_SET)
		app(ln, " (%s)", t->error.s);
	if (t->tls_st == DOC_SET) {
		bool ok = t->tls_version.st == DOC_SET;

		ln = add(l, "TLS", !ok);
		if (ok)
			app(ln, "%s, %s", t->tls_version.s, doc_s(&t->tls_cipher, "?"));
		else
			app(ln, "failed: %s", doc_s(&t->error, "?"));
		ln = add(l, "legacy TLS", false);
		for (int i = 0; i < t->n_legacy; i++)
			app(ln, "%s%s %s", i ? ", " : "", doc_s(&t->legacy[i].version,
			    "?"), t->legacy[i].accepted.st != DOC_SET ? "not known" :
			    t->legacy[i].accepted.v ? "accepted" : "refused");
		if (t->n_legacy == 0)
			app(ln, "not tried");
	}
	if (t->http_st == DOC_SET) {
		ln = add(l, "HTTP", no(&t->listener));
		app(ln, "%lld%s%s (%s)", t->http_status.v,
		    t->http_reason.st == DOC_SET && t->http_reason.s[0] ? " " : "",
		    doc_s(&t->http_reason, ""), doc_s(&t->http_server,
		    "no Server header"));
		if (yes(&t->http_sstp_length))
			app(ln, ", Content-Length 2^64-1 as SSTP's");
	}
	if (t->listener.st == DOC_SET || t->call_connect.st == DOC_SET) {
		ln = add(l, "SSTP", !doc_is(&t->call_connect, "ack"));
		if (no(&t->listener))
			app(ln, "no SSTP listener");
		else if (doc_is(&t->call_connect, "ack"))
			app(ln, "Call Connect Request acknowledged");
		else if (doc_is(&t->call_connect, "nak"))
			app(ln, "Call Connect Request refused (Nak)");
		else if (t->call_connect.st == DOC_SET)
			app(ln, "Call Connect Request answered with %s",
			    doc_s(&t->answer_message, "an unknown message"));
		else
			app(ln, "listener answers; the call: %s",
			    doc_s(&t->error, "no answer"));
		if (t->answer_status.st == DOC_SET)
			app(ln, " (status %lld)", t->answer_status.v);
	}
	if (t->meaning.st == DOC_SET)
		app(add(l, "result", false), "%s", t->meaning.s);
}

/* One IKE_AUTH exchange: where, how, what came, how the SA ended. */
static void
exchange_line(struct doc_lines *l, const struct doc_auth_exchange *e)
{
	struct doc_line *ln = add(l, "exchange", doc_is(&e->answer, "none"));

	app(ln, "#%lld on UDP %lld, %s: ", e->probe.v, e->port.v,
	    yes(&e->ikev2_fragmentation) ? "IKEv2 fragmentation agreed" :
	    "without IKEv2 fragmentation");
	if (doc_is(&e->answer, "none"))
		app(ln, "no answer");
	else
		app(ln, "%s", doc_s(&e->answer, "?"));
	if (e->eap.st == DOC_SET)
		app(ln, " (%s)", e->eap.s);
	if (e->error.st == DOC_SET && !doc_is(&e->answer, "authentication_failed"))
		app(ln, " (%s)", e->error.s);
	if (e->reply_bytes.st == DOC_SET) {
		app(ln, ", %lld bytes", e->reply_bytes.v);
		if (e->ike_fragments.v > 1)
			app(ln, " in %lld IKEv2 fragments", e->ike_fragments.v);
		else if (e->ip_fragments.v > 1)
			app(ln, " in %lld IP fragments", e->ip_fragments.v);
	}
	if (e->first_fragments_only.st == DOC_SET && e->first_fragments_only.v)
		app(ln, "; %lld first IP fragment(s) came without the rest",
		    e->first_fragments_only.v);
	if (yes(&e->deleted))
		app(ln, "; IKE SA ended (%s)", doc_is(&e->closed_by, "error") ?
		    "by the gateway's error answer" : doc_is(&e->closed_by,
		    "delete") ? "DELETE answered" : "closing IKE_AUTH answered");
	else if (no(&e->deleted))
		app(ln, "; the closing message went unanswered");
}

void
doc_auth_lines(const struct doc *d, struct doc_lines *l)
{
	const struct doc_auth *a = &d->auth;
	struct doc_line *ln;

	l->n = 0;
	if (a->st != DOC_SET)
		return;
	app(add(l, a->tested.v ? "sent" : "not sent", false), "%s",
	    doc_s(&a->what, ""));
	if (!a->tested.v)
		return;
	if (a->proposal.st == DOC_SET)
		app(add(l, "IKE SA", false), "%s", a->proposal.s);
	for (int i = 0; i < a->n_exchanges; i++)
		exchange_line(l, &a->exchanges[i]);
	ln = add(l, "left on the gateway", !yes(&a->deleted));
	app(ln, "%s", yes(&a->deleted) ? "nothing: every IKE SA ended" :
	    no(&a->deleted) ? "an IKE SA may remain until the gateway's "
	    "half-open timeout" : "not known");
}

static void
entries(struct doc_line *ln, const struct doc_audit_entry *e, int n,
    bool weak_only, bool levels)
{
	int k = 0;

	for (int i = 0; i < n; i++) {
		if (weak_only && !yes(&e[i].weak))
			continue;
		app(ln, "%s%s", k++ ? ", " : "", doc_s(&e[i].offer, "?"));
		if (levels && e[i].rfc8247.st == DOC_SET)
			app(ln, " (%s)", e[i].rfc8247.s);
		if (doc_is(&e[i].answer, "not_asked"))
			app(ln, " (not sent)");
		else if (e[i].note.st == DOC_SET)
			app(ln, " (%s)", e[i].note.s);
	}
	if (k == 0)
		app(ln, "none");
}

void
doc_audit_lines(const struct doc *d, struct doc_lines *l)
{
	const struct doc_audit *a = &d->audit;
	struct doc_line *ln;
	int weak = 0;

	l->n = 0;
	if (a->st != DOC_SET)
		return;
	ln = add(l, "offers", false);
	if (a->requests.v == 0)
		app(ln, "none sent");
	else {
		app(ln, "%lld requests", a->requests.v);
		if (a->port.st == DOC_SET)
			app(ln, " on UDP %lld", a->port.v);
		if (a->duration_ms.st == DOC_SET)
			app(ln, " in %.2f s", a->duration_ms.v / 1000.0);
		app(ln, ", each with a KE of a group it does not offer");
		if (a->full_sa_answers.st == DOC_SET && a->full_sa_answers.v > 0) {
			ln->bad = true;
			app(ln, "; yet %lld answered with a full SA, each a half-open "
			    "SA left on the gateway (it ignores the KE group)",
			    a->full_sa_answers.v);
		} else
			app(ln, ": no IKE SA made");
	}
	ln = add(l, "order", !yes(&a->conclusive));
	if (!yes(&a->conclusive))
		app(ln, "INCONCLUSIVE: %s", doc_s(&a->reason, "?"));
	else {
		if (a->verified_order.st == DOC_SET)
			app(ln, "%s (by its Vendor ID): ikeprobe's lab verified "
			    "that it picks the proposal before it reads the KE. ",
			    a->verified_order.s);
		else
			app(ln, "not a gateway ikeprobe's lab verified (no Vendor "
			    "ID it knows). ");
		app(ln, "Controls held: ");
		if (a->negative_probe.st == DOC_SET)
			app(ln, "#%lld, an offer no gateway accepts, got "
			    "NO_PROPOSAL_CHOSEN", a->negative_probe.v);
		if (a->positive_probe.st == DOC_SET)
			app(ln, "; #%lld shows it choosing a proposal", a->positive_probe.v);
	}
	if (!yes(&a->conclusive) && a->n_accepted + a->n_refused == 0)
		return;
	for (int i = 0; i < a->n_accepted; i++)
		weak += yes(&a->accepted[i].weak);
	entries(add(l, "accepted", false), a->accepted, a->n_accepted, false, true);
	if (weak)
		entries(add(l, "weak", true), a->accepted, a->n_accepted, true, true);
	entries(add(l, "refused", false), a->refused, a->n_refused, false, false);
	if (a->n_unanswered)
		entries(add(l, "unanswered", false), a->unanswered,
		    a->n_unanswered, false, false);
	for (int i = 0; i < a->n_clients; i++) {
		const struct doc_audit_entry *c = &a->clients[i];
		bool refused = doc_is(&c->answer, "refused");

		ln = add(l, "client", refused && doc_is(&c->offer, "windows-default"));
		app(ln, "%s: ", doc_s(&c->label, doc_s(&c->offer, "?")));
		if (doc_is(&c->answer, "accepted"))
			app(ln, "accepted (the gateway would take %s)",
			    doc_s(&c->group, "?"));
		else if (refused)
			app(ln, "REFUSED (NO_PROPOSAL_CHOSEN)");
		else
			app(ln, "%s", doc_s(&c->answer, "?"));
		if (c->probe.st == DOC_SET)
			app(ln, ", #%lld", c->probe.v);
	}
}

void
doc_probe_answer(const struct doc_probe *p, char *buf, size_t len)
{
	int n;

	buf[0] = '\0';
	if (p->answer.st != DOC_SET || !doc_is(&p->result, "answered"))
		return;
	n = snprintf(buf, len, "%s", p->answer.s);
	if (n < 0 || (size_t)n >= len || p->reply_bytes.st != DOC_SET)
		return;
	if (p->ike_fragments.st == DOC_SET && p->ike_fragments.v > 1)
		snprintf(buf + n, len - (size_t)n, ", %lld bytes in %lld IKEv2 "
		    "fragments", p->reply_bytes.v, p->ike_fragments.v);
	else if (p->ip_fragments.st == DOC_SET && p->ip_fragments.v > 1)
		snprintf(buf + n, len - (size_t)n, ", %lld bytes in %lld IP "
		    "fragments", p->reply_bytes.v, p->ip_fragments.v);
	else
		snprintf(buf + n, len - (size_t)n, ", %lld bytes",
		    p->reply_bytes.v);
}
