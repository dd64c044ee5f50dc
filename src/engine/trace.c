/* One line per datagram: time since the run began, direction, addresses,
 * the IP and IKE decode, and what it was matched to. */
#include <errno.h>
#include <string.h>

#include "ikeprobe/exchange.h"
#include "ikeprobe/trace.h"

static const char *const obs_words[] = {
	[OBS_SENT] = "ours, leaving",
	[OBS_ANSWER] = "answer",
	[OBS_ICMP] = "ICMP error about",
	[OBS_ICMP_IGNORED] = "ICMP (not a loss) about",
	[OBS_STRAY] = "stray reply (not taken) for",
	[OBS_UNMATCHED_IKE] = "IKE with an SPI we never sent",
	[OBS_UNMATCHED_ICMP] = "ICMP quoting what we never sent",
	[OBS_MALFORMED] = "malformed",
	[OBS_OTHER] = "other",
};

static void
stamp(FILE *f, usec_t t0, usec_t t)
{
	fprintf(f, "ikeprobe: %9.3f ms ", usec_to_ms(t - t0));
}

static void
addrs(FILE *f, const struct pkt *pk)
{
	char s[IP_ADDR_STRLEN], d[IP_ADDR_STRLEN];

	ip_addr_str(&pk->src, s, sizeof(s));
	ip_addr_str(&pk->dst, d, sizeof(d));
	if (pk->is_udp || pk->is_tcp)
		fprintf(f, "%s%s:%u > %s:%u", pk->is_tcp ? "TCP " : "", s,
		    pk->sport, d, pk->dport);
	else
		fprintf(f, "%s > %s", s, d);
	fprintf(f, " %s %u bytes", ip_family_name(pk->family), pk->ip_len);
	if (pkt_is_fragment(pk))
		fprintf(f, " fragment id %#x offset %u%s", pk->ip_id,
		    pk->frag_off, pk->mf ? " MF" : "");
}

/* The IKE header and what the message is. */
static void
ike_decode(FILE *f, const uint8_t *ike, size_t len)
{
	struct ike_reply r;

	ike_parse(ike, len, &r);
	fprintf(f, " IKE %s %s msgid %u SPIi %02x%02x%02x%02x.. SPIr "
	    "%02x%02x%02x%02x..", ike_exchange_name(r.exchange),
	    r.flags & IKE_FLAG_RESPONSE ? "response" : "request", r.msgid,
	    r.spi_i[0], r.spi_i[1], r.spi_i[2], r.spi_i[3], r.spi_r[0],
	    r.spi_r[1], r.spi_r[2], r.spi_r[3]);
	if (r.flags & IKE_FLAG_RESPONSE)
		fprintf(f, " %s", ike_reply_kind_name(r.kind));
	for (int i = 0; i < r.n_notifies && i < 8; i++)
		fprintf(f, " N(%s)", ike_notify_name(r.notifies[i]));
	if (r.status != IKE_PARSE_OK)
		fprintf(f, " [%s]", r.problem);
}

void
trace_sent(FILE *f, usec_t t0, const struct probe *p, int dgram,
    const struct wbuf *w, int rc)
{
	struct pkt pk;

	if (f == NULL)
		return;
	stamp(f, t0, wall_usec_now());
	fprintf(f, "-> #%d try %d/%d %s %s", p->id, p->attempts + 1,
	    p->max_attempts, probe_purpose_name(p->purpose),
	    probe_kind_name(p->kind));
	if (pkt_decode_ip(w->buf, w->len, &pk) == PKT_OK) {
		fprintf(f, " ");
		addrs(f, &pk);
		if (pk.is_udp && pk.udp_len > ike_marker_len(pk.dport))
			ike_decode(f, pk.udp_data + ike_marker_len(pk.dport),
			    pk.udp_len - ike_marker_len(pk.dport));
	}
	if (p->ex.unit.n > 1)
		fprintf(f, " [%d/%d]", dgram + 1, p->ex.unit.n);
	if (rc < 0)
		fprintf(f, " NOT SENT: %s", strerror(-rc));
	fprintf(f, "\n");
}

void
trace_frame(FILE *f, usec_t t0, enum frame_kind kind, const struct pkt *pk,
    usec_t ts, const struct observation *o, const struct probe *p)
{
	char from[IP_ADDR_STRLEN];

	if (f == NULL)
		return;
	stamp(f, t0, ts);
	fprintf(f, "<- ");
	if (pk)
		addrs(f, pk);
	switch (kind) {
	case FRAME_HELD:
		fprintf(f, ": held for reassembly\n");
		return;
	case FRAME_NOT_IP:
		fprintf(f, "not IP\n");
		return;
	case FRAME_MALFORMED:
		fprintf(f, "%smalformed%s%s\n", pk ? ": " : "", pk && pk->problem[0] ?
		    ": " : "", pk ? pk->problem : "");
		return;
	case FRAME_PACKET:
		break;
	}
	if (o->kind == OBS_ANSWER || o->kind == OBS_STRAY ||
	    o->kind == OBS_UNMATCHED_IKE)
		ike_decode(f, pk->udp_data + (o->ike ? (size_t)(o->ike - pk->udp_data) :
		    0), o->ike ? o->ike_len : pk->udp_len);
	if (pk->is_icmp && pk->icmp_meaning != ICMP_NONE)
		fprintf(f, " ICMP %s (%s) from %s", icmp_name(pk->family,
		    pk->icmp_type, pk->icmp_code), icmp_meaning_key(pk->icmp_meaning),
		    ip_addr_str(&pk->src, from, sizeof(from)));
	fprintf(f, ": %s", o->kind < sizeof(obs_words) / sizeof(obs_words[0]) ?
	    obs_words[o->kind] : "?");
	if (p)
		fprintf(f, " #%d (%s, now %s)", p->id, probe_purpose_name(p->purpose),
		    probe_result_name(p->result));
	if (o->kind == OBS_STRAY)
		fprintf(f, " [%s]", stray_key(o->why));
	fprintf(f, "\n");
}

void
trace_ended(FILE *f, usec_t t0, const struct probe *p, usec_t ts)
{
	if (f == NULL)
		return;
	stamp(f, t0, ts);
	fprintf(f, "   #%d %s after %d tries\n", p->id, probe_result_name(p->result),
	    p->attempts);
}

void
trace_tcp(FILE *f, usec_t t0, const struct pkt *pk, usec_t ts, const char *what)
{
	static const char names[] = "FSRPAU";

	if (f == NULL)
		return;
	stamp(f, t0, ts);
	fprintf(f, "%s ", pk->is_icmp ? "<-" : what[0] == '>' ? "->" : "<-");
	addrs(f, pk);
	if (pk->is_tcp) {
		fprintf(f, " [");
		for (int i = 0; i < 6; i++)
			if (pk->tcp_flags & (1u << i))
				fputc(names[i], f);
		fprintf(f, "] %zu bytes of data", pk->tcp_payload);
	}
	if (pk->is_icmp)
		fprintf(f, " ICMP %s (%s) about our TCP", icmp_name(pk->family,
		    pk->icmp_type, pk->icmp_code), icmp_meaning_key(pk->icmp_meaning));
	fprintf(f, ": %s\n", what[0] == '>' ? what + 1 : what);
}

void
trace_event(FILE *f, usec_t t0, usec_t ts, const char *what, const char *detail)
{
	if (f == NULL)
		return;
	stamp(f, t0, ts);
	fprintf(f, "   %s%s%s\n", what, detail[0] ? ": " : "", detail);
}
