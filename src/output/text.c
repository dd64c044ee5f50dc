/* Text for a person at a terminal: the verdict first, one line per port,
 * findings with advice, then the evidence. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ikeprobe/report.h"

struct style {
	const char	*bold, *red, *yellow, *green, *dim, *reset;
};

static const struct style plain = { "", "", "", "", "", "" };
static const struct style ansi = {
	"\033[1m", "\033[31m", "\033[33m", "\033[32m", "\033[2m", "\033[0m"
};

static const char *
state_color(const struct style *st, enum port_state s)
{
	switch (s) {
	case PORT_OPEN:		return st->green;
	case PORT_UNTESTED:	return st->yellow;
	case PORT_CLOSED:
	case PORT_FILTERED:
	case PORT_SILENT:	break;
	}
	return st->red;
}

static const char *
sev_color(const struct style *st, enum severity s)
{
	return s == SEV_ERROR ? st->red : s == SEV_WARNING ? st->yellow : st->dim;
}

static void
responder_text(FILE *out, const struct report *rep, const struct style *st)
{
	const struct ike_reply *r = rep->responder;
	char hex[2 * IKE_VID_MAX + 1];
	const char *name;

	if (r == NULL)
		return;
	fprintf(out, "\n%sGateway's answer%s (%s)\n", st->bold, st->reset,
	    ike_reply_kind_name(r->kind));
	if (r->kind == IKE_REPLY_SA) {
		fprintf(out, "  IKEv2 fragmentation (RFC 7383): %s\n",
		    r->frag_supported ? "offered" : "NOT offered");
		fprintf(out, "  chosen:");
		for (int i = 0; i < r->n_chosen; i++) {
			fprintf(out, " %s", ike_transform_name(r->chosen[i].type,
			    r->chosen[i].id));
			if (r->chosen[i].key_length >= 0)
				fprintf(out, "-%d", r->chosen[i].key_length);
		}
		fprintf(out, "\n");
	}
	if (r->has_ke)
		fprintf(out, "  key exchange: %s\n", ike_dh_name(r->ke_group));
	if (r->kind == IKE_REPLY_INVALID_KE)
		fprintf(out, "  asked for group: %s\n", ike_dh_name(r->invalid_ke_group));
	if (r->n_notifies) {
		fprintf(out, "  notifies:");
		for (int i = 0; i < r->n_notifies; i++)
			fprintf(out, " %s", ike_notify_name(r->notifies[i]));
		fprintf(out, "\n");
	}
	for (int i = 0; i < r->n_vids; i++) {
		name = ike_vid_name(r->vids[i].data, r->vids[i].len);
		hexstr(r->vids[i].data, r->vids[i].len, hex, sizeof(hex));
		if (name)
			fprintf(out, "  vendor ID: %s (%s)\n", name, hex);
		else
			fprintf(out, "  vendor ID: %s\n", hex);
	}
	if (r->n_certreq)
		fprintf(out, "  certificate requests: %d\n", r->n_certreq);
}

static void
probes_text(FILE *out, const struct report *rep, const struct style *st)
{
	const struct run *run = rep->run;
	char from[IP_ADDR_STRLEN];

	fprintf(out, "\n%sEvidence%s\n", st->bold, st->reset);
	fprintf(out, "  %-3s %-6s %-12s %-10s %6s %-3s %5s %-9s %s\n", "#",
	    "port", "purpose", "kind", "bytes", "DF", "tries", "result",
	    "detail");
	for (int i = 0; i < run->n_probes; i++) {
		const struct probe *p = &run->probes[i];

		fprintf(out, "  %-3d %-6u %-12s %-10s %6zu %-3s %5d %-9s ", p->id,
		    p->dport, probe_purpose_name(p->purpose),
		    probe_kind_name(p->kind), p->size, p->df ? "yes" : "no",
		    p->attempts, probe_result_name(p->result));
		if (p->fragments > 1)
			fprintf(out, "[%d fragments of %zu] ", p->fragments,
			    p->frag_size);
		if (p->confirm)
			fprintf(out, "[repeat] ");
		switch (p->result) {
		case PROBE_ANSWERED:
			fprintf(out, "%s in %.1f ms", ike_reply_kind_name(p->reply.kind),
			    p->rtt_ms);
			if (p->reply.status != IKE_PARSE_OK)
				fprintf(out, " (%s)", p->reply.problem);
			break;
		case PROBE_ICMP:
			fprintf(out, "ICMP %s from %s", icmp_name(p->icmp.type,
			    p->icmp.code), ip_addr_str(&p->icmp.from, from,
			    sizeof(from)));
			break;
		case PROBE_SEND_FAILED:
			fprintf(out, "not sent: %s", strerror(p->send_errno));
			break;
		case PROBE_LOST:
		case PROBE_PENDING:
			break;
		}
		if (p->parent >= 0)
			fprintf(out, " [follows #%d]", p->parent);
		fprintf(out, "\n");
	}
}

static void
sizes_text(FILE *out, const struct report *rep, const struct style *st)
{
	const struct frag_report *f = &rep->frag;
	const struct pmtu_report *m = &rep->pmtu;
	const char *fc = f->outbound == FRAG_PASS ? st->green :
	    f->outbound == FRAG_DROPPED ? st->red : st->yellow;
	char from[IP_ADDR_STRLEN];

	if (!rep->run->sz_cfg.enabled || (!f->tested && !m->tested))
		return;
	if (strcmp(rep->headline, rep->verdict.reason) != 0)
		fprintf(out, "\n%sVerdict:%s %s\n", st->bold, st->reset,
		    rep->verdict.reason);
	fprintf(out, "\n  Fragments %s%-12s%s %s\n", fc,
	    frag_outcome_name(f->outbound), st->reset, f->evidence);
	fprintf(out, "  Path MTU  ");
	if (m->value)
		fprintf(out, "%s%-12d%s ", m->black_hole ? st->red : st->green,
		    m->value, st->reset);
	else
		fprintf(out, "%s%-12s%s ", st->yellow, "unknown", st->reset);
	if (m->has_router && m->source == PMTU_SRC_ICMP)
		fprintf(out, "(from ICMP, router %s) ", ip_addr_str(&m->router,
		    from, sizeof(from)));
	else if (m->black_hole)
		fprintf(out, "(by probing: ICMP filtered, a black hole) ");
	fprintf(out, "%s\n", m->evidence);
	fprintf(out, "  Return    %-12s the gateway's fragmented replies "
	    "to this machine\n", "not tested");
}

void
report_text(FILE *out, const struct report *rep, enum output_color color)
{
	const struct style *st = color == COLOR_ALWAYS ? &ansi : &plain;
	char addr[IP_ADDR_STRLEN], local[IP_ADDR_STRLEN], ts[32];
	const struct run_stats *s = &rep->run->stats;

	fprintf(out, "%s%s%s\n\n", st->bold, rep->headline, st->reset);
	for (int i = 0; i < rep->n_ports; i++) {
		const struct port_verdict *v = &rep->ports[i];

		fprintf(out, "  UDP %-5u %s%-8s%s %s\n", v->port,
		    state_color(st, v->state), port_state_name(v->state),
		    st->reset, v->meaning);
	}
	sizes_text(out, rep, st);
	if (rep->n_findings) {
		fprintf(out, "\n%sFindings%s\n", st->bold, st->reset);
		for (int i = 0; i < rep->n_findings; i++) {
			const struct finding *f = &rep->findings[i];

			fprintf(out, "  %s%-7s%s %s\n", sev_color(st, f->severity),
			    severity_name(f->severity), st->reset, f->summary);
			if (f->advice[0])
				fprintf(out, "          -> %s\n", f->advice);
		}
	}
	responder_text(out, rep, st);
	probes_text(out, rep, st);

	rfc3339(rep->started, ts, sizeof(ts));
	fprintf(out, "\n%sContext%s\n", st->bold, st->reset);
	fprintf(out, "  target:  %s (%s)\n", rep->target_name,
	    ip_addr_str(&rep->target, addr, sizeof(addr)));
	fprintf(out, "  local:   %s on %s, MTU %d\n",
	    ip_addr_str(&rep->local.addr, local, sizeof(local)),
	    rep->local.ifname, rep->local.mtu);
	fprintf(out, "  run:     %s, %.0f ms, ikeprobe %s%s\n", ts,
	    rep->duration_ms, IKEPROBE_VERSION,
	    rep->complete ? "" : " (INCOMPLETE)");
	fprintf(out, "  capture: %lu packets (%lu ours, %lu replies, %lu "
	    "unrelated)\n", s->captured, s->own, s->replies,
	    s->unmatched + s->icmp_unmatched + s->other);
}
