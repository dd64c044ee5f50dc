/* Protected exchanges: IKE_AUTH and INFORMATIONAL in the IKE SA that an
 * answered IKE_SA_INIT made. The keys come from that exchange's kept
 * key-exchange value and both its messages (RFC 7296 2.14); the request is
 * sealed (RFC 7296 3.14), cut into SKF fragments when RFC 7383 was agreed
 * and it is large; the answer is checked, decrypted and, when it comes in
 * fragments, put together before it is decoded (RFC 7383 2.6). */
#include <stdio.h>
#include <string.h>

#include "ikeprobe/exchange.h"

/* The IKE SA's keys from its IKE_SA_INIT exchange. */
static int
keys_from(struct exchange *ex, const struct exchange *sa,
    const struct ike_reply *r, char *err, size_t errlen)
{
	uint8_t gir[KEX_SHARED_MAX];
	struct ike_algs algs;
	size_t glen = 0;
	const uint8_t *m = sa->response.buf;
	size_t mlen = sa->response.len;

	if (sa->state != EXCH_ANSWERED || sa->kex == NULL || r->kind != IKE_REPLY_SA ||
	    r->ke_off + r->ke_len > mlen || r->nonce_off + r->nonce_len > mlen) {
		snprintf(err, errlen, "no full IKE_SA_INIT answer to make keys from");
		return -1;
	}
	if (ike_algs_from(r->chosen, r->n_chosen, &algs, err, errlen) < 0)
		return -1;
	if (r->ke_group != sa->kex->group) {
		snprintf(err, errlen, "the answer's KE is of group %s, ours %s",
		    ike_dh_name(r->ke_group), ike_dh_name(sa->kex->group));
		return -1;
	}
	algs.dh = r->ke_group;
	if (kex_shared(sa->kex, m + r->ke_off, r->ke_len, gir, &glen) < 0) {
		snprintf(err, errlen, "the gateway's %s public value is not in "
		    "the group", ike_dh_name(r->ke_group));
		return -1;
	}
	if (ike_derive(&ex->keys, &algs, sa->nonce, sa->nonce_len,
	    m + r->nonce_off, r->nonce_len, gir, glen, sa->spi_i, r->spi_r) < 0) {
		snprintf(err, errlen, "key derivation failed");
		return -1;
	}
	memset(gir, 0, sizeof(gir));
	ex->has_keys = true;
	return 0;
}

/* One IKE message as one UDP datagram (after the non-ESP marker on the
 * NAT-T port), with its own IP ID; cut into IP fragments when it is larger
 * than ip_frag_size (0: never). The datagrams go after those already in
 * the unit. */
static int
add_datagram(struct xmit_unit *u, const struct protected_params *pp,
    const uint8_t *ike, size_t len)
{
	struct wbuf payload, dgram;
	struct udp_spec us;
	size_t mk = ike_marker_len(pp->dport), fp;
	uint32_t id;
	int n;

	if (u->n == XMIT_MAX_DGRAMS)
		return -1;
	random_bytes(&id, sizeof(id));
	id = ip_id_wire(u->family, id);
	if (u->n == 0)
		u->ip_id = id;
	u->dgram_id[u->n] = id;
	wb_init(&payload);
	wb_zero(&payload, mk);
	wb_bytes(&payload, ike, len);
	us = (struct udp_spec){ .src = *pp->src, .dst = *pp->dst,
	    .sport = pp->sport, .dport = pp->dport, .ip_id = id,
	    .payload = payload.buf, .len = payload.len };
	wb_init(&dgram);
	pkt_build_udp(&dgram, &us);
	wb_free(&payload);
	if (dgram.failed) {
		wb_free(&dgram);
		return -1;
	}
	if (u->size == 0)
		u->size = dgram.len;
	fp = pp->ip_frag_size ? pkt_frag_payload(u->family, pp->ip_frag_size) : 0;
	if (fp && dgram.len > ip_hdr_len(u->family) + fp) {
		n = pkt_fragment(u->family, dgram.buf, dgram.len, fp, id,
		    u->dgram + u->n, XMIT_MAX_DGRAMS - u->n);
		wb_free(&dgram);
		if (n < 0)
			return -1;
		for (int i = 1; i < n; i++)
			u->dgram_id[u->n + i] = id;
		u->frag_payload = fp;
		u->n += n;
		return 0;
	}
	u->dgram[u->n++] = dgram;
	return 0;
}

int
exchange_protected(struct exchange *ex, const struct protected_params *pp,
    char *err, size_t errlen)
{
	struct wbuf inner, frags[EXCH_MAX_RX_FRAGS];
	struct ike_hdr h;
	uint8_t first = IKE_PL_NONE;
	int n = 0, rc = -1;

	memset(ex, 0, sizeof(*ex));
	memset(frags, 0, sizeof(frags));
	ex->type = pp->type;
	ex->msgid = pp->msgid;
	ex->sport = pp->sport;
	ex->dport = pp->dport;
	ex->kex = pp->sa->kex;
	memcpy(ex->spi_i, pp->sa->spi_i, IKE_SPI_LEN);
	memcpy(ex->spi_r, pp->sa_reply->spi_r, IKE_SPI_LEN);
	ex->unit.family = pp->src->family;
	if (keys_from(ex, pp->sa, pp->sa_reply, err, errlen) < 0)
		return -1;
	wb_init(&inner);
	/* IKE_AUTH without a request continues the exchange with nothing in
	 * it: no EAP payload, which ends the EAP conversation (closing). */
	if (pp->req)
		ike_build_auth(&inner, pp->req, &first);
	else if (pp->type == IKE_EXCH_INFORMATIONAL)
		ike_build_delete(&inner, &first);
	memset(&h, 0, sizeof(h));
	memcpy(h.spi_i, ex->spi_i, IKE_SPI_LEN);
	memcpy(h.spi_r, ex->spi_r, IKE_SPI_LEN);
	h.exchange = pp->type;
	h.flags = IKE_FLAG_INITIATOR;
	h.msgid = pp->msgid;
	if (inner.failed || ike_seal(&ex->keys, false, &h, first, inner.buf,
	    inner.len, NULL, &ex->request) < 0) {
		snprintf(err, errlen, "cannot seal the %s request",
		    ike_exchange_name(pp->type));
		goto out;
	}
	/* RFC 7383 2.5.1: fragment only what would be IP-fragmented. */
	if (pp->fragment && pp->frag_len && ex->request.len > pp->frag_len) {
		n = ike_seal_fragments(&ex->keys, &h, first, inner.buf, inner.len,
		    pp->frag_len, frags, EXCH_MAX_RX_FRAGS);
		if (n < 0) {
			snprintf(err, errlen, "cannot cut the request into "
			    "fragments of %zu bytes", pp->frag_len);
			goto out;
		}
		ex->fragmented = true;
		for (int i = 0; i < n; i++)
			if (add_datagram(&ex->unit, pp, frags[i].buf, frags[i].len) < 0)
				goto toobig;
	} else if (add_datagram(&ex->unit, pp, ex->request.buf, ex->request.len) < 0)
		goto toobig;
	rc = 0;
	goto out;
toobig:
	snprintf(err, errlen, "the %zu-byte %s request does not fit %d "
	    "datagrams", ex->request.len, ike_exchange_name(pp->type),
	    XMIT_MAX_DGRAMS);
out:
	for (int i = 0; i < n; i++)
		wb_free(&frags[i]);
	wb_free(&inner);
	if (rc < 0)
		exchange_free(ex);
	return rc;
}

enum exch_take
exchange_take(struct exchange *ex, const uint8_t *ike, size_t len, char *err,
    size_t errlen)
{
	struct ike_reply r;
	struct wbuf piece;
	int idx;

	if (!ex->has_keys) {
		snprintf(err, errlen, "no keys for this exchange");
		return EXCH_TAKE_BAD;
	}
	if (ex->state == EXCH_ANSWERED)
		return EXCH_TAKE_AGAIN;
	ike_parse(ike, len, &r);
	if (r.status != IKE_PARSE_OK) {
		snprintf(err, errlen, "%s", r.problem);
		return EXCH_TAKE_BAD;
	}
	if (!r.has_sk) {
		snprintf(err, errlen, "an answer without an encrypted payload");
		return EXCH_TAKE_BAD;
	}
	if (r.exchange != ex->type || !(r.flags & IKE_FLAG_RESPONSE) ||
	    r.msgid != ex->msgid) {
		snprintf(err, errlen, "%s %s, message ID %u: not this exchange's "
		    "answer", ike_exchange_name(r.exchange), r.flags &
		    IKE_FLAG_RESPONSE ? "response" : "request", r.msgid);
		return EXCH_TAKE_BAD;
	}
	wb_init(&piece);
	if (ike_open(&ex->keys, true, ike, len, r.sk_off, r.skf, &piece, err,
	    errlen) < 0) {
		wb_free(&piece);
		return EXCH_TAKE_BAD;
	}
	if (!r.skf) {
		ex->plain = piece;
		ex->rx_first = r.sk_np;
		ex->rx_messages = 1;
		ex->rx_bytes = ex->rx_largest = len;
	} else {
		/* RFC 7383 2.6: all fragments of one message announce the
		 * same total; the first carries the first payload's type. */
		if (r.frag_total > EXCH_MAX_RX_FRAGS ||
		    (ex->rx_total && r.frag_total != ex->rx_total)) {
			snprintf(err, errlen, "fragment %u of %u (%u before)",
			    r.frag_num, r.frag_total, ex->rx_total);
			wb_free(&piece);
			return EXCH_TAKE_BAD;
		}
		idx = r.frag_num - 1;
		if (ex->rx_have & (1ull << idx)) {
			wb_free(&piece);
			return EXCH_TAKE_AGAIN;
		}
		ex->rx_total = r.frag_total;
		ex->rx_have |= 1ull << idx;
		ex->rx_piece[idx] = piece;
		if (r.frag_num == 1)
			ex->rx_first = r.sk_np;
		ex->rx_messages++;
		ex->rx_bytes += len;
		if (len > ex->rx_largest)
			ex->rx_largest = len;
		if (ex->rx_have != (ex->rx_total == 64 ? ~0ull :
		    (1ull << ex->rx_total) - 1))
			return EXCH_TAKE_PART;
		wb_init(&ex->plain);
		for (int i = 0; i < ex->rx_total; i++)
			wb_bytes(&ex->plain, ex->rx_piece[i].buf, ex->rx_piece[i].len);
	}
	ike_parse_inner(ex->plain.buf, ex->plain.len, ex->rx_first, &ex->inner);
	exchange_answered(ex, ike, len);
	return EXCH_TAKE_DONE;
}
