#include <stdio.h>
#include <string.h>

#include "ikeprobe/natd.h"
#include "ikeprobe/probe.h"

#define STRAY_KEY(e, key, code)		[e] = key,
#define STRAY_CODE(e, key, code)	[e] = code,
static const char *const stray_keys[STRAY_N] = { STRAY_TABLE(STRAY_KEY) };
static const char *const stray_codes[STRAY_N] = { STRAY_TABLE(STRAY_CODE) };

const char *
stray_key(enum stray_why w)
{
	return (unsigned)w < STRAY_N ? stray_keys[w] : "?";
}

const char *
stray_code(enum stray_why w)
{
	return (unsigned)w < STRAY_N ? stray_codes[w] : "?";
}

size_t
probe_marker_len(uint16_t dport)
{
	/* Anything but 500 is treated as the NAT-T port (RFC 3948), so the
	 * gateway can tell IKE from ESP. */
	return dport == 500 ? 0 : IKE_NONESP_MARKER_LEN;
}

static void
build_ike(struct wbuf *w, const struct probe *p, const struct probe_spec *s,
    size_t pad, const uint8_t *natd)
{
	struct ike_sa_init_req req = {
		.nonce = p->nonce,
		.nonce_len = p->nonce_len,
		.ke_group = s->kex->group,
		.ke = s->kex->pub,
		.ke_len = s->kex->len,
		.omit = s->kind == PROBE_STATELESS,
		.omit_group = s->kex->group,
		.cookie = s->cookie,
		.cookie_len = s->cookie_len,
		.pad_len = pad,
		.natd_src = natd,
		.natd_dst = natd ? natd + IKE_NATD_LEN : NULL,
	};

	memcpy(req.spi_i, p->spi_i, IKE_SPI_LEN);
	if (probe_marker_len(p->dport))
		wb_zero(w, IKE_NONESP_MARKER_LEN);
	ike_build_sa_init(w, &req);
}

int
probe_build(struct probe *p, const struct probe_spec *s,
    const struct ip_addr *src, const struct ip_addr *dst, char *err,
    size_t errlen)
{
	struct wbuf ike, dgram;
	struct udp_spec u;
	static const uint8_t no_spi_r[IKE_SPI_LEN];
	uint8_t natd[2 * IKE_NATD_LEN];
	const uint8_t *nd = natd;
	size_t natural, pad = 0, overhead;
	int n;

	memset(p, 0, sizeof(*p));
	p->parent = -1;
	p->kind = s->kind;
	p->purpose = s->purpose;
	p->confirm = s->confirm;
	p->backoff = 1.5;
	p->dport = s->dport;
	p->sport = s->sport;
	p->df = s->df;
	p->ke_group = s->kex->group;
	p->with_cookie = s->cookie != NULL;
	p->rtt_ms = -1;
	if (s->spi_i)
		memcpy(p->spi_i, s->spi_i, IKE_SPI_LEN);
	else
		random_bytes(p->spi_i, IKE_SPI_LEN);
	if (s->nonce) {
		p->nonce_len = s->nonce_len;
		memcpy(p->nonce, s->nonce, s->nonce_len);
	} else {
		p->nonce_len = IKE_NONCE_DEFAULT;
		random_bytes(p->nonce, sizeof(p->nonce));
	}
	random_bytes(&p->ip_id, sizeof(p->ip_id));

	/* Our address and port as sent, and the gateway's: what the gateway
	 * compares with what it sees. Without SHA-1 the request goes without
	 * them, and the report's NAT verdict stays open. */
	if (natd_hash(p->spi_i, no_spi_r, src, s->sport, natd) < 0 ||
	    natd_hash(p->spi_i, no_spi_r, dst, s->dport, natd + IKE_NATD_LEN) < 0)
		nd = NULL;

	overhead = (src->family == AF_INET6 ? 40 : IPV4_HDR_LEN) + UDP_HDR_LEN;
	wb_init(&ike);
	build_ike(&ike, p, s, 0, nd);
	natural = overhead + ike.len;
	wb_free(&ike);

	if (s->size && s->size < natural) {
		snprintf(err, errlen, "probe size %zu is below the smallest "
		    "request (%zu bytes)", s->size, natural);
		return -1;
	}
	if (s->size > 65535) {
		snprintf(err, errlen, "probe size %zu is above 65535", s->size);
		return -1;
	}
	if (s->size) {
		/* The padding notify cannot be shorter than its header, so a
		 * few bytes go into a longer nonce instead (16-256 allowed). */
		pad = s->size - natural;
		if (pad < IKE_PAD_MIN) {
			p->nonce_len += pad;
			pad = 0;
		}
	}
	build_ike(&ike, p, s, pad, nd);

	if (src->family != AF_INET) {
		wb_free(&ike);
		snprintf(err, errlen, "IPv6 probes are not supported yet");
		return -1;
	}
	u = (struct udp_spec){ .src = *src, .dst = *dst, .sport = s->sport,
	    .dport = s->dport, .ip_id = p->ip_id, .df = s->df,
	    .payload = ike.buf, .len = ike.len };
	wb_init(&dgram);
	pkt_build_udp4(&dgram, &u);
	wb_free(&ike);
	if (dgram.failed) {
		wb_free(&dgram);
		snprintf(err, errlen, "cannot build a %zu-byte probe", s->size);
		return -1;
	}
	p->size = dgram.len;

	if (s->frag_payload && !s->df && dgram.len > IPV4_HDR_LEN + s->frag_payload) {
		n = pkt_fragment4(dgram.buf, dgram.len, s->frag_payload,
		    p->wire, PROBE_MAX_FRAGS);
		wb_free(&dgram);
		if (n < 0) {
			for (int i = 0; i < PROBE_MAX_FRAGS; i++)
				wb_free(&p->wire[i]);
			snprintf(err, errlen, "cannot split %zu bytes into "
			    "fragments of %zu", p->size, s->frag_payload);
			return -1;
		}
		p->fragments = n;
	} else {
		p->wire[0] = dgram;
		p->fragments = 1;
	}
	return 0;
}

void
probe_free(struct probe *p)
{
	for (int i = 0; i < p->fragments; i++)
		wb_free(&p->wire[i]);
	p->fragments = 0;
}

const char *
probe_result_name(enum probe_result r)
{
	switch (r) {
	case PROBE_PENDING:	return "pending";
	case PROBE_ANSWERED:	return "answered";
	case PROBE_ICMP:	return "icmp";
	case PROBE_LOST:	return "lost";
	case PROBE_SEND_FAILED:	return "send_failed";
	}
	return "?";
}

size_t
frag_payload_for(size_t frag_size)
{
	return frag_size > IPV4_HDR_LEN ? (frag_size - IPV4_HDR_LEN) & ~(size_t)7 : 0;
}

const char *
probe_purpose_name(enum probe_purpose p)
{
	switch (p) {
	case PURPOSE_REACH:	return "reachability";
	case PURPOSE_FOLLOW_UP:	return "follow-up";
	case PURPOSE_PMTU:	return "path-mtu";
	case PURPOSE_FRAG:	return "fragments";
	case PURPOSE_CONTROL:	return "control";
	}
	return "?";
}

const char *
probe_kind_name(enum probe_kind k)
{
	return k == PROBE_SA ? "sa" : "stateless";
}
