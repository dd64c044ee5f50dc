/* An IKE exchange built: the message, then its datagram(s). The padding
 * that gives a size probe its size lives inside the IKE message (a private
 * notify), so what the gateway receives is a valid request either way. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ikeprobe/exchange.h"
#include "ikeprobe/natd.h"

size_t
ike_marker_len(uint16_t port)
{
	/* Anything but 500 is treated as the NAT-T port (RFC 3948), so the
	 * gateway can tell IKE from ESP. */
	return port == 500 ? 0 : IKE_NONESP_MARKER_LEN;
}

static void
build_message(struct wbuf *w, const struct exchange *ex,
    const struct sa_init_params *s, size_t pad, const uint8_t *natd)
{
	struct ike_sa_init_req req = {
		.nonce = ex->nonce,
		.nonce_len = ex->nonce_len,
		.ke_group = s->kex->group,
		.ke = s->kex->pub,
		.ke_len = s->kex->len,
		.omit = s->stateless,
		.omit_group = s->kex->group,
		.cookie = s->cookie,
		.cookie_len = s->cookie_len,
		.pad_len = pad,
		.natd_src = natd,
		.natd_dst = natd ? natd + IKE_NATD_LEN : NULL,
		.no_fragmentation = s->no_fragmentation,
		.offer = s->offer,
	};

	memcpy(req.spi_i, ex->spi_i, IKE_SPI_LEN);
	ike_build_sa_init(w, &req);
}

static void
unit_free(struct xmit_unit *u)
{
	for (int i = 0; i < XMIT_MAX_DGRAMS; i++)
		wb_free(&u->dgram[i]);
	u->n = 0;
}

int
exchange_sa_init(struct exchange *ex, const struct sa_init_params *s,
    char *err, size_t errlen)
{
	static const uint8_t no_spi_r[IKE_SPI_LEN];
	struct xmit_unit *u = &ex->unit;
	struct wbuf ike, payload, dgram;
	struct udp_spec us;
	uint8_t natd[2 * IKE_NATD_LEN];
	const uint8_t *nd = natd;
	size_t natural, pad = 0, overhead, mk = ike_marker_len(s->dport);
	int n;

	memset(ex, 0, sizeof(*ex));
	ex->type = IKE_EXCH_IKE_SA_INIT;
	ex->sport = s->sport;
	ex->dport = s->dport;
	ex->kex = s->kex;
	u->family = s->src->family;
	u->df = s->df;
	if (s->spi_i)
		memcpy(ex->spi_i, s->spi_i, IKE_SPI_LEN);
	else
		random_bytes(ex->spi_i, IKE_SPI_LEN);
	if (s->nonce) {
		ex->nonce_len = s->nonce_len;
		memcpy(ex->nonce, s->nonce, s->nonce_len);
	} else {
		ex->nonce_len = IKE_NONCE_DEFAULT;
		random_bytes(ex->nonce, sizeof(ex->nonce));
	}
	if (s->cookie && s->cookie_len <= sizeof(ex->cookie)) {
		ex->cookie_len = s->cookie_len;
		memcpy(ex->cookie, s->cookie, s->cookie_len);
	}
	random_bytes(&u->ip_id, sizeof(u->ip_id));
	u->ip_id = ip_id_wire(u->family, u->ip_id);

	/* Our address and port as sent, and the gateway's: what the gateway
	 * compares with what it sees. Without SHA-1 the request goes without
	 * them, and the report's NAT verdict stays open. */
	if (natd_hash(ex->spi_i, no_spi_r, s->src, s->sport, natd) < 0 ||
	    natd_hash(ex->spi_i, no_spi_r, s->dst, s->dport, natd +
	    IKE_NATD_LEN) < 0)
		nd = NULL;

	overhead = ip_hdr_len(u->family) + UDP_HDR_LEN + mk;
	wb_init(&ike);
	build_message(&ike, ex, s, 0, nd);
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
			ex->nonce_len += pad;
			pad = 0;
		}
	}
	build_message(&ex->request, ex, s, pad, nd);

	wb_init(&payload);
	if (mk)
		wb_zero(&payload, mk);
	wb_bytes(&payload, ex->request.buf, ex->request.len);
	us = (struct udp_spec){ .src = *s->src, .dst = *s->dst,
	    .sport = s->sport, .dport = s->dport, .ip_id = u->ip_id,
	    .df = s->df, .payload = payload.buf, .len = payload.len };
	wb_init(&dgram);
	pkt_build_udp(&dgram, &us);
	wb_free(&payload);
	if (dgram.failed || ex->request.failed) {
		wb_free(&dgram);
		exchange_free(ex);
		snprintf(err, errlen, "cannot build a %zu-byte %s request",
		    s->size, ip_family_name(u->family));
		return -1;
	}
	u->size = dgram.len;
	u->frag_payload = s->frag_size && !s->df ?
	    pkt_frag_payload(u->family, s->frag_size) : 0;
	if (u->frag_payload && dgram.len > ip_hdr_len(u->family) +
	    u->frag_payload) {
		n = pkt_fragment(u->family, dgram.buf, dgram.len,
		    u->frag_payload, u->ip_id, u->dgram, XMIT_MAX_DGRAMS);
		wb_free(&dgram);
		if (n < 0) {
			exchange_free(ex);
			snprintf(err, errlen, "cannot split %zu bytes into "
			    "fragments of %zu", u->size, s->frag_size);
			return -1;
		}
		u->n = n;
	} else {
		u->frag_payload = 0;
		u->dgram[0] = dgram;
		u->n = 1;
	}
	for (int i = 0; i < u->n; i++)
		u->dgram_id[i] = u->ip_id;
	return 0;
}

bool
unit_has_id(const struct xmit_unit *u, uint32_t id)
{
	for (int i = 0; i < u->n; i++)
		if (u->dgram_id[i] == id)
			return true;
	return u->n == 0 && u->ip_id == id;
}

void
exchange_free(struct exchange *ex)
{
	unit_free(&ex->unit);
	wb_free(&ex->request);
	wb_free(&ex->response);
	for (int i = 0; i < EXCH_MAX_RX_FRAGS; i++)
		wb_free(&ex->rx_piece[i]);
	wb_free(&ex->plain);
}

enum exch_match
exchange_match(const struct exchange *ex, const uint8_t *ike, size_t len)
{
	static const uint8_t zero[IKE_SPI_LEN];
	struct cursor c;
	uint8_t spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN], flags;
	uint32_t msgid;

	cur_init(&c, ike, len);
	if (!cur_copy(&c, spi_i, IKE_SPI_LEN) ||
	    memcmp(spi_i, ex->spi_i, IKE_SPI_LEN) != 0)
		return EXCH_NO;
	cur_copy(&c, spi_r, IKE_SPI_LEN);
	cur_skip(&c, 3);	/* next payload, version, exchange type */
	flags = cur_u8(&c);
	msgid = cur_be32(&c);
	if (!cur_ok(&c) || !(flags & IKE_FLAG_RESPONSE) || msgid != ex->msgid)
		return EXCH_SAME_SA;
	/* Until an answer names the responder's SPI, any will do. */
	if (memcmp(ex->spi_r, zero, IKE_SPI_LEN) != 0 &&
	    memcmp(spi_r, ex->spi_r, IKE_SPI_LEN) != 0)
		return EXCH_SAME_SA;
	return EXCH_ANSWER;
}

void
exchange_answered(struct exchange *ex, const uint8_t *ike, size_t len)
{
	struct cursor c;

	if (ex->state == EXCH_ANSWERED)
		return;
	ex->state = EXCH_ANSWERED;
	wb_bytes(&ex->response, ike, len);
	cur_init(&c, ike, len);
	if (cur_skip(&c, IKE_SPI_LEN))
		cur_copy(&c, ex->spi_r, IKE_SPI_LEN);
}
