/* An analysis for a person (text) and for a ticket (Markdown): the
 * verdict first, then the findings with their frames, then each
 * conversation's exchanges as the capture shows them. */
#include <stdio.h>
#include <string.h>

#include "ikeprobe/analysis.h"
#include "ikeprobe/render.h"
#include "ikeprobe/tlsrec.h"

static const char *
spi_hex(const uint8_t *spi, char *b)
{
	hexstr(spi, IKE_SPI_LEN, b, 2 * IKE_SPI_LEN + 1);
	return b;
}

/* "4, 6, 8" (as kept). */
static const char *
frame_list(const struct an_frames *f, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < f->count && i < AN_FRAMES && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%u", i ? ", " : "", f->n[i]);
	if (f->count > AN_FRAMES && o < len)
		snprintf(buf + o, len - o, ", … (%d in all)", f->count);
	return buf;
}

/* One message's line: "request frames 3, 5, 7 (1.6 KB, 2 IP fragments,
 * 3 copies)" or "no answer". */
static void
msg_words(const struct an_msg *m, const char *what, char *buf, size_t len)
{
	char fl[160], extra[200] = "";
	size_t o = 0;

	if (!m->seen) {
		snprintf(buf, len, "%s", strcmp(what, "answer") == 0 ? "no answer" :
		    "request not captured");
		return;
	}
	o += (size_t)snprintf(extra + o, sizeof(extra) - o, "%zu bytes", m->ike_len);
	if (m->ip_frags > 1)
		o += (size_t)snprintf(extra + o, sizeof(extra) - o, " in %d IP "
		    "fragments", m->ip_frags);
	if (m->skf)
		o += (size_t)snprintf(extra + o, sizeof(extra) - o, ", IKEv2 "
		    "fragments of %u", m->skf_total);
	if (m->copies > 1)
		o += (size_t)snprintf(extra + o, sizeof(extra) - o, ", %d copies",
		    m->copies);
	if (m->n_notifies > 0 && o < sizeof(extra)) {
		o += (size_t)snprintf(extra + o, sizeof(extra) - o, "; ");
		for (int i = 0; i < m->n_notifies && o < sizeof(extra); i++)
			o += (size_t)snprintf(extra + o, sizeof(extra) - o, "%s%s",
			    i ? ", " : "", ike_notify_name(m->notifies[i]));
	}
	snprintf(buf, len, "%s %s %s (UDP %u, %s)", what, m->frames.count == 1 ?
	    "frame" : "frames", frame_list(&m->frames, fl, sizeof(fl)),
	    m->dport, extra);
}

static void
conv_text(FILE *f, const struct analysis *a, int ci, int cols)
{
	const struct an_conv *c = &a->conv[ci];
	char cl[IP_ADDR_STRLEN], gw[IP_ADDR_STRLEN], spi[2][17], line[900];

	fprintf(f, "\nConversation %d: client %s, gateway %s (%s), frames %u-%u\n",
	    ci + 1, ip_addr_str(&c->client, cl, sizeof(cl)),
	    ip_addr_str(&c->gateway, gw, sizeof(gw)),
	    ip_family_name(c->client.family), c->first_frame, c->last_frame);
	for (int i = 0; i < c->n_sa; i++) {
		const struct an_sa *s = &c->sa[i];

		fprintf(f, "  IKE SA %s/%s%s\n", spi_hex(s->spi_i, spi[0]),
		    spi_hex(s->spi_r, spi[1]), s->floated ? " (NAT-T, UDP 4500)" : "");
		for (int k = 0; k < s->n_ex; k++) {
			const struct an_exchange *x = &s->ex[k];
			char rq[400], rs[400];

			msg_words(&x->req, "request", rq, sizeof(rq));
			msg_words(&x->resp, "answer", rs, sizeof(rs));
			snprintf(line, sizeof(line), "%s #%u%s: %s; %s",
			    ike_exchange_name(x->type), x->msgid, x->asked ==
			    AN_FROM_GATEWAY ? " (the gateway asks)" : "", rq, rs);
			fprintf(f, "    ");
			text_wrap(f, cols, 4, 6, line);
		}
		if (s->n_ex_total > s->n_ex)
			fprintf(f, "    … %d more exchanges\n", s->n_ex_total - s->n_ex);
	}
	snprintf(line, sizeof(line), "ESP: %lu packet(s) to the gateway, %lu "
	    "back; NAT keepalives: %lu.", c->esp[AN_TO_GATEWAY],
	    c->esp[AN_FROM_GATEWAY], c->keepalives);
	fprintf(f, "  ");
	text_wrap(f, cols, 2, 4, line);
	for (int i = 0; i < a->n_dgram; i++) {
		const struct an_dgram *g = &a->dgram[i];
		char fl[160], tot[24] = "unknown";

		if (g->conv != ci)
			continue;
		if (g->total)
			snprintf(tot, sizeof(tot), "%u", g->total);
		snprintf(line, sizeof(line), "IP fragments %s, ID 0x%x: frames %s "
		    "(%d fragment(s), %u of %s bytes)%s", g->dir == AN_TO_GATEWAY ?
		    "to the gateway" : "from the gateway", g->id,
		    frame_list(&g->frames, fl, sizeof(fl)), g->n_frags, g->have,
		    tot, g->complete ? ", put together" : g->firsts &&
		    g->n_frags == g->firsts ? ", the first only: never whole" :
		    ", never whole");
		fprintf(f, "  ");
		text_wrap(f, cols, 2, 4, line);
	}
}

/* One TCP 443 connection: its handshake, TLS as far as it is in clear. */
static void
tcp_text(FILE *f, const struct an_tcp *t, int i, int cols)
{
	const struct tls_side *cl = &t->tls[AN_TO_GATEWAY];
	const struct tls_side *sv = &t->tls[AN_FROM_GATEWAY];
	char c[IP_ADDR_STRLEN], s[IP_ADDR_STRLEN], fl[160], line[900];
	const char *ver = tls_version_name(tls_side_version(sv));
	const char *ciph = sv->server_hello ? an_cipher_name(sv->cipher) : NULL;
	size_t o = 0;

	fprintf(f, "\nSSTP connection %d: client %s port %u, server %s port %u, "
	    "frames %u-%u\n", i + 1, ip_addr_str(&t->client, c, sizeof(c)),
	    t->cport, ip_addr_str(&t->server, s, sizeof(s)), t->sport,
	    t->first_frame, t->last_frame);
	o += (size_t)snprintf(line + o, sizeof(line) - o, "SYN %s %s",
	    t->syn.count == 1 ? "frame" : "frames", frame_list(&t->syn, fl,
	    sizeof(fl)));
	if (t->synack_frame)
		o += (size_t)snprintf(line + o, sizeof(line) - o, ", SYN-ACK frame %u",
		    t->synack_frame);
	if (cl->client_hello && o < sizeof(line))
		o += (size_t)snprintf(line + o, sizeof(line) - o, "; ClientHello frame "
		    "%u%s%s", cl->hello_frame, cl->sni[0] ? " for " : "", cl->sni);
	if (sv->server_hello && o < sizeof(line))
		o += (size_t)snprintf(line + o, sizeof(line) - o, "; ServerHello frame "
		    "%u: %s, %s", sv->hello_frame, ver ? ver : "an unknown version",
		    ciph ? ciph : "an unknown cipher suite");
	if (t->has_cert && t->cert.parsed && o < sizeof(line))
		o += (size_t)snprintf(line + o, sizeof(line) - o, "; certificate "
		    "frame %u: \"%s\", %lld day(s) left then", sv->cert_frame,
		    t->cert.subject, (long long)t->cert.days_left);
	if (cl->app_records && o < sizeof(line))
		o += (size_t)snprintf(line + o, sizeof(line) - o, "; data: %lu "
		    "record(s) to the server, %lu back", cl->app_records,
		    sv->app_records);
	if (t->reset && o < sizeof(line))
		snprintf(line + o, sizeof(line) - o, "; reset by the %s, frame %u",
		    t->reset_dir == AN_TO_GATEWAY ? "client" : "server",
		    t->reset_frame);
	fprintf(f, "  ");
	text_wrap(f, cols, 2, 4, line);
}

void
analysis_text(FILE *f, const struct analysis *a, int cols)
{
	char line[600];
	double secs = a->frames ? (double)(a->last_ts - a->first_ts) / 1e6 : 0;

	text_wrap(f, cols, 0, 0, a->headline);
	snprintf(line, sizeof(line), "%s: %s, %s, %lu frame(s) over %.1f s%s.",
	    a->file, a->format, a->link_name, a->frames, secs, a->truncated ?
	    ", cut short" : "");
	fputc('\n', f);
	text_wrap(f, cols, 0, 0, line);
	if (a->n_findings > 0)
		fprintf(f, "\nFindings\n");
	for (int i = 0; i < a->n_findings; i++) {
		const struct an_finding *x = &a->findings[i];
		const char *sev = severity_name(x->f.severity);

		fprintf(f, "  %-7s ", sev);
		text_wrap(f, cols, 10, 10, x->f.summary);
		if (x->f.advice[0]) {
			fprintf(f, "          -> ");
			text_wrap(f, cols, 13, 13, x->f.advice);
		}
	}
	for (int i = 0; i < a->n_conv; i++)
		conv_text(f, a, i, cols);
	for (int i = 0; i < a->n_tcp; i++)
		tcp_text(f, &a->tcp[i], i, cols);
}

void
analysis_markdown(FILE *f, const struct analysis *a)
{
	char cl[IP_ADDR_STRLEN], gw[IP_ADDR_STRLEN];

	fprintf(f, "## ikeprobe analyze: ");
	md_text(f, a->file);
	fprintf(f, "\n\n**");
	md_text(f, a->headline);
	fprintf(f, "**\n\n%s, %s, %lu frame(s)%s.\n", a->format, a->link_name,
	    a->frames, a->truncated ? ", cut short" : "");
	if (a->n_findings > 0)
		fprintf(f, "\n### Findings\n\n");
	for (int i = 0; i < a->n_findings; i++) {
		const struct an_finding *x = &a->findings[i];

		fprintf(f, "- **%s** `%s`: ", severity_name(x->f.severity), x->f.code);
		md_text(f, x->f.summary);
		if (x->f.advice[0]) {
			fprintf(f, "  \n  *What to do:* ");
			md_text(f, x->f.advice);
		}
		fputc('\n', f);
	}
	for (int ci = 0; ci < a->n_conv; ci++) {
		const struct an_conv *c = &a->conv[ci];

		fprintf(f, "\n### Conversation %d: client %s, gateway %s\n\n"
		    "| SA | exchange | # | request frames | bytes | copies | answer "
		    "frames | answer |\n|---|---|---|---|---|---|---|---|\n", ci + 1,
		    ip_addr_str(&c->client, cl, sizeof(cl)),
		    ip_addr_str(&c->gateway, gw, sizeof(gw)));
		for (int i = 0; i < c->n_sa; i++) {
			const struct an_sa *s = &c->sa[i];
			char spi[17];

			for (int k = 0; k < s->n_ex; k++) {
				const struct an_exchange *x = &s->ex[k];
				char rq[160], rs[160];

				fprintf(f, "| %.8s | %s | %u | %s | %zu | %d | %s | %s |\n",
				    spi_hex(s->spi_i, spi), ike_exchange_name(x->type),
				    x->msgid, x->req.seen ? frame_list(&x->req.frames,
				    rq, sizeof(rq)) : "-", x->req.ike_len, x->req.copies,
				    x->resp.seen ? frame_list(&x->resp.frames, rs,
				    sizeof(rs)) : "-", x->resp.seen ?
				    (x->resp.n_notifies ? ike_notify_name(x->resp.notifies[0]) :
				    x->resp.has_sk ? "encrypted" :
				    reply_json_name(x->resp.kind)) : "**none**");
			}
		}
		fprintf(f, "\nESP: %lu to the gateway, %lu back.\n",
		    c->esp[AN_TO_GATEWAY], c->esp[AN_FROM_GATEWAY]);
	}
	if (a->n_tcp > 0)
		fprintf(f, "\n### TCP 443 (SSTP)\n\n| client | server | SYN | "
		    "SYN-ACK | TLS | certificate | data to, back | reset |\n"
		    "|---|---|---|---|---|---|---|---|\n");
	for (int i = 0; i < a->n_tcp; i++) {
		const struct an_tcp *t = &a->tcp[i];
		const struct tls_side *sv = &t->tls[AN_FROM_GATEWAY];
		const char *ver = tls_version_name(tls_side_version(sv));
		char fl[160];

		fprintf(f, "| %s port %u | %s port %u | %s | %s | %s | ",
		    ip_addr_str(&t->client, cl, sizeof(cl)), t->cport,
		    ip_addr_str(&t->server, gw, sizeof(gw)), t->sport,
		    t->syn.count ? frame_list(&t->syn, fl, sizeof(fl)) : "-",
		    t->synack_frame ? "yes" : "**no**", sv->server_hello && ver ?
		    ver : "-");
		if (t->has_cert && t->cert.parsed) {
			md_text(f, t->cert.subject);
			fprintf(f, "%s", t->cert.expired ? " (**expired**)" : "");
		} else
			fputc('-', f);
		fprintf(f, " | %lu, %lu | %s |\n", t->tls[AN_TO_GATEWAY].app_records,
		    sv->app_records, t->reset ? (t->reset_dir == AN_TO_GATEWAY ?
		    "by the client" : "by the server") : "-");
	}
}
