/* From a capture's frames to what an IKEv2 client and its gateway said
 * (analysis.h): conversations by address pair, IKE SAs by initiator SPI,
 * exchanges by message ID and asker, each message's copies by its bytes,
 * and every IP-fragmented datagram with the fragments that came of it.
 * Who is the client is the IKE header's Initiator flag, not a port or an
 * address guess: the capture may be from either side, or between. */
#include <stdlib.h>
#include <string.h>

#include "ikeprobe/analysis.h"

#define IKE_HDR_LEN	28
#define ESP_KEEPALIVE	0xff	/* RFC 3948 2.3: one byte */

const char *
an_dir_name(enum an_dir d)
{
	return d == AN_TO_GATEWAY ? "to-gateway" : "from-gateway";
}

void
analysis_init(struct analysis *a, const char *file)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->file, sizeof(a->file), "%s", file ? file : "");
	snprintf(a->format, sizeof(a->format), "pcap");
	reasm_init(&a->reasm);
}

static void
skf_release(struct an_skf *k)
{
	for (int i = 0; i < 64; i++)
		wb_free(&k->piece[i]);
	memset(k, 0, sizeof(*k));
}

void
analysis_free(struct analysis *a)
{
	reasm_free(&a->reasm);
	for (int i = 0; i < AN_SKF_ASM; i++)
		skf_release(&a->skf[i]);
}

void
an_frames_add(struct an_frames *f, uint32_t no)
{
	if (f->count < AN_FRAMES)
		f->n[f->count] = no;
	f->count++;
}

/* Not a digest: it tells a retransmission (the same bytes) from a new
 * message in the same exchange slot. */
static uint64_t
fnv1a(const uint8_t *b, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct an_conv *
conv_of(struct analysis *a, const struct ip_addr *client,
    const struct ip_addr *gateway, bool create)
{
	struct an_conv *c;

	for (int i = 0; i < a->n_conv; i++)
		if (ip_addr_eq(&a->conv[i].client, client) &&
		    ip_addr_eq(&a->conv[i].gateway, gateway))
			return &a->conv[i];
	if (!create)
		return NULL;
	if (a->n_conv == AN_CONVS) {
		a->convs_dropped++;
		return NULL;
	}
	c = &a->conv[a->n_conv++];
	c->client = *client;
	c->gateway = *gateway;
	c->first_frame = a->frame_no;
	return c;
}

/* The conversation a packet between these addresses belongs to, either
 * way, and which way it goes. */
static int
conv_between(const struct analysis *a, const struct ip_addr *src,
    const struct ip_addr *dst, enum an_dir *dir)
{
	for (int i = 0; i < a->n_conv; i++) {
		const struct an_conv *c = &a->conv[i];

		if (ip_addr_eq(&c->client, src) && ip_addr_eq(&c->gateway, dst)) {
			*dir = AN_TO_GATEWAY;
			return i;
		}
		if (ip_addr_eq(&c->gateway, src) && ip_addr_eq(&c->client, dst)) {
			*dir = AN_FROM_GATEWAY;
			return i;
		}
	}
	return -1;
}

static struct an_sa *
find_sa(struct an_conv *c, const uint8_t spi_i[IKE_SPI_LEN])
{
	for (int i = c->n_sa - 1; i >= 0; i--)
		if (memcmp(c->sa[i].spi_i, spi_i, IKE_SPI_LEN) == 0)
			return &c->sa[i];
	return NULL;
}

static struct an_sa *
sa_of(struct an_conv *c, const uint8_t spi_i[IKE_SPI_LEN], uint32_t no)
{
	struct an_sa *s;

	if ((s = find_sa(c, spi_i)) != NULL)
		return s;
	c->n_sa_total++;
	if (c->n_sa == AN_SAS)
		return NULL;
	s = &c->sa[c->n_sa++];
	memcpy(s->spi_i, spi_i, IKE_SPI_LEN);
	s->first_frame = no;
	s->natd.client = s->natd.gateway = -1;
	return s;
}

static struct an_exchange *
exchange_new(struct an_sa *s, uint8_t type, uint32_t msgid, enum an_dir asked)
{
	struct an_exchange *x;

	s->n_ex_total++;
	if (s->n_ex == AN_EXCH)
		return NULL;
	x = &s->ex[s->n_ex++];
	x->type = type;
	x->msgid = msgid;
	x->asked = asked;
	x->req.natd.client = x->req.natd.gateway = -1;
	x->resp.natd.client = x->resp.natd.gateway = -1;
	return x;
}

/* The exchange a request belongs to: the newest with its message ID and
 * asker, unless this is a new IKE_SA_INIT round (after a COOKIE or
 * INVALID_KE_PAYLOAD answer the client asks again, with other bytes). */
/* The exchange a message belongs to. The same bytes again are a copy of
 * the message they repeat, wherever that is (a late copy of a COOKIE or
 * of the first request crosses the next round). */
static struct an_exchange *
same_bytes(struct an_sa *s, uint8_t type, uint32_t msgid, enum an_dir asked,
    uint64_t hash, bool response)
{
	for (int i = s->n_ex - 1; i >= 0; i--) {
		struct an_exchange *x = &s->ex[i];
		const struct an_msg *m = response ? &x->resp : &x->req;

		if (x->msgid == msgid && x->asked == asked && x->type == type &&
		    m->seen && m->hash == hash)
			return x;
	}
	return NULL;
}

/* A request: a copy, else the newest exchange of its message ID and asker,
 * unless this is a new IKE_SA_INIT round (after a COOKIE or
 * INVALID_KE_PAYLOAD answer the client asks again, with other bytes). */
static struct an_exchange *
exchange_for_request(struct an_sa *s, uint8_t type, uint32_t msgid,
    enum an_dir asked, uint64_t hash, const struct ike_reply *r)
{
	struct an_exchange *x = r->skf ? NULL :
	    same_bytes(s, type, msgid, asked, hash, false);

	if (x)
		return x;
	for (int i = s->n_ex - 1; i >= 0; i--) {
		x = &s->ex[i];
		if (x->msgid != msgid || x->asked != asked || x->type != type)
			continue;
		if (!x->req.seen || r->skf)
			return x;
		if (type == IKE_EXCH_IKE_SA_INIT && x->resp.seen)
			break;		/* a new round */
		return x;
	}
	return exchange_new(s, type, msgid, asked);
}

/* An answer: a copy; else an SKF fragment of the answer being put
 * together; else the oldest exchange still waiting for one; else the
 * newest. */
static struct an_exchange *
exchange_for_response(struct an_sa *s, uint8_t type, uint32_t msgid,
    enum an_dir asked, uint64_t hash, bool skf)
{
	struct an_exchange *x, *collecting = NULL, *waiting = NULL, *newest = NULL;

	if (!skf && (x = same_bytes(s, type, msgid, asked, hash, true)) != NULL)
		return x;
	for (int i = 0; i < s->n_ex; i++) {
		x = &s->ex[i];
		if (x->msgid != msgid || x->asked != asked || x->type != type)
			continue;
		if (skf && x->resp.seen && x->resp.skf)
			collecting = x;
		if (waiting == NULL && x->req.seen && !x->resp.seen)
			waiting = x;
		newest = x;
	}
	x = collecting ? collecting : waiting ? waiting : newest;
	return x ? x : exchange_new(s, type, msgid, asked);
}

static void
take_message(struct an_msg *m, const struct pkt *pk, const uint8_t *ike,
    size_t len, const struct ike_reply *r, uint32_t no, usec_t ts)
{
	bool first_piece = !r->skf || r->frag_num == 1;

	an_frames_add(&m->frames, no);
	if (!m->seen) {
		m->seen = true;
		m->hash = fnv1a(ike, len);
		m->first_ts = ts;
		m->sport = pk->sport;
		m->dport = pk->dport;
		m->kind = r->kind;
		for (int i = 0; i < r->n_notifies && m->n_notifies < AN_NOTIFIES; i++)
			m->notifies[m->n_notifies++] = r->notifies[i];
		m->frag_supported = r->frag_supported;
		m->cookie = r->cookie_len > 0;
		m->ke_group = r->has_ke ? r->ke_group : 0;
		m->has_sk = r->has_sk;
		if (r->status != IKE_PARSE_OK) {
			m->malformed = true;
			snprintf(m->problem, sizeof(m->problem), "%s", r->problem);
		}
	}
	m->last_ts = ts;
	if (first_piece)
		m->copies++;
	if (len > m->ike_len)
		m->ike_len = len;
	if (pk->ip_len > m->ip_len)
		m->ip_len = pk->ip_len;
	if (pk->reasm_frags > m->ip_frags)
		m->ip_frags = pk->reasm_frags;
	if (r->skf) {
		m->skf = true;
		if (r->frag_total > m->skf_total)
			m->skf_total = r->frag_total;
		if (r->frag_num >= 1 && r->frag_num <= 64 &&
		    r->frag_num <= r->frag_total)
			m->skf_have |= 1ULL << (r->frag_num - 1);
	}
}

static const struct an_key *
key_of(struct analysis *a, const uint8_t *spi_i, const uint8_t *spi_r)
{
	for (int i = 0; i < a->n_keys; i++)
		if (memcmp(a->keys[i].spi_i, spi_i, IKE_SPI_LEN) == 0 &&
		    memcmp(a->keys[i].spi_r, spi_r, IKE_SPI_LEN) == 0) {
			a->keys[i].used = true;
			return &a->keys[i];
		}
	return NULL;
}

/* What the inner payloads say; the gateway's certificates checked at the
 * time of the capture (whether they had expired then). */
static void
inner_take(struct an_conv *c, struct an_msg *m, const uint8_t *plain,
    size_t n, uint8_t first_np, bool from_gw, uint32_t no, usec_t ts)
{
	struct ike_inner in;

	ike_parse_inner(plain, n, first_np, &in);
	m->decrypted = true;
	if (in.status != IKE_PARSE_OK)
		snprintf(m->decrypt_error, sizeof(m->decrypt_error), "%s", in.problem);
	for (int i = 0; i < in.n_notifies && m->n_inner_notifies < AN_NOTIFIES; i++)
		m->inner_notifies[m->n_inner_notifies++] = in.notifies[i];
	m->eap_code = in.has_eap ? in.eap_code : 0;
	m->eap_type = in.has_eap ? in.eap_type : 0;
	m->eap_op = in.has_eap ? in.eap_op : 0;
	m->n_certs = in.n_certs_total;
	m->has_auth = in.has_auth;
	m->has_delete = in.has_delete;
	m->has_idr = in.has_idr;
	if (from_gw && in.n_certs > 0 && !c->has_cert) {
		const uint8_t *der[CERT_MAX_CHAIN];
		size_t dl[CERT_MAX_CHAIN];
		int k = 0;

		for (int i = 0; i < in.n_certs && k < CERT_MAX_CHAIN; i++)
			if (in.cert_encoding[i] == IKE_CERT_X509_SIGNATURE) {
				der[k] = plain + in.cert[i].off;
				dl[k++] = in.cert[i].len;
			}
		if (k > 0) {
			cert_check(der, dl, k, NULL, NULL, (time_t)(ts / 1000000),
			    &c->cert);
			c->has_cert = true;
			c->cert_frame = no;
		}
	}
}

/* One SKF fragment decrypted: kept until all of its message are in. */
static void
skf_take(struct analysis *a, struct an_conv *c, struct an_msg *m,
    const struct ike_reply *r, const uint8_t *plain, size_t n, bool from_gw,
    uint32_t no, usec_t ts)
{
	struct an_skf *k = NULL;
	uint64_t all;
	struct wbuf whole;

	if (r->frag_total == 0 || r->frag_total > 64 || r->frag_num == 0 ||
	    r->frag_num > r->frag_total)
		return;
	for (int i = 0; i < AN_SKF_ASM && k == NULL; i++)
		if (a->skf[i].busy && a->skf[i].msgid == r->msgid &&
		    a->skf[i].response == ((r->flags & IKE_FLAG_RESPONSE) != 0) &&
		    memcmp(a->skf[i].spi_i, r->spi_i, IKE_SPI_LEN) == 0)
			k = &a->skf[i];
	for (int i = 0; i < AN_SKF_ASM && k == NULL; i++)
		if (!a->skf[i].busy)
			k = &a->skf[i];
	if (k == NULL) {		/* the oldest makes room */
		k = &a->skf[0];
		skf_release(k);
	}
	if (!k->busy) {
		k->busy = true;
		memcpy(k->spi_i, r->spi_i, IKE_SPI_LEN);
		k->msgid = r->msgid;
		k->response = (r->flags & IKE_FLAG_RESPONSE) != 0;
		k->total = r->frag_total;
	}
	if (r->frag_total != k->total || (k->have & 1ULL << (r->frag_num - 1)))
		return;
	k->have |= 1ULL << (r->frag_num - 1);
	if (r->frag_num == 1)
		k->first_np = r->sk_np;
	wb_bytes(&k->piece[r->frag_num - 1], plain, n);
	all = k->total == 64 ? ~0ULL : (1ULL << k->total) - 1;
	if (k->have != all)
		return;
	wb_init(&whole);
	for (int i = 0; i < k->total; i++)
		wb_bytes(&whole, k->piece[i].buf, k->piece[i].len);
	inner_take(c, m, whole.buf, whole.len, k->first_np, from_gw, no, ts);
	wb_free(&whole);
	skf_release(k);
}

/* With --keys: open the SK (or SKF) payload of the first copy. A message
 * whose ICV does not verify says so: other keys, or not this SA's. */
static void
decrypt(struct analysis *a, struct an_conv *c, struct an_msg *m,
    const struct ike_reply *r, const uint8_t *ike, size_t len, bool from_gw,
    uint32_t no, usec_t ts)
{
	const struct an_key *k;
	struct wbuf plain;
	char err[160];

	if (!r->has_sk || m->decrypted || (m->decrypt_error[0] && !r->skf) ||
	    (k = key_of(a, r->spi_i, r->spi_r)) == NULL)
		return;
	wb_init(&plain);
	if (ike_open(&k->keys, from_gw, ike, len, r->sk_off, r->skf, &plain, err,
	    sizeof(err)) < 0)
		snprintf(m->decrypt_error, sizeof(m->decrypt_error), "%s", err);
	else if (r->skf)
		skf_take(a, c, m, r, plain.buf, plain.len, from_gw, no, ts);
	else
		inner_take(c, m, plain.buf, plain.len, r->sk_np, from_gw, no, ts);
	wb_free(&plain);
}

static void
ike_message(struct analysis *a, const struct pkt *pk, const uint8_t *ike,
    size_t len, uint32_t no, usec_t ts)
{
	struct ike_reply *r;
	struct an_conv *c;
	struct an_sa *s;
	struct an_exchange *x;
	bool initiator, response;
	enum an_dir asked, from;

	a->ike++;
	if (len < IKE_HDR_LEN) {
		enum an_dir d;
		int ci = conv_between(a, &pk->src, &pk->dst, &d);

		if (ci >= 0) {
			a->conv[ci].malformed++;
			a->conv[ci].malformed_frame = no;
		} else
			a->malformed++;
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;
	ike_parse(ike, len, r);
	/* IKEv1 (L2TP/IPsec, old clients) has no Initiator flag to go by. */
	if (r->version >> 4 != 2) {
		a->ikev1++;
		if (a->ikev1_frame == 0)
			a->ikev1_frame = no;
		goto out;
	}
	initiator = r->flags & IKE_FLAG_INITIATOR;
	response = r->flags & IKE_FLAG_RESPONSE;
	/* The original initiator is the client, whichever way this goes;
	 * but an SA the gateway starts (a rekey) stays in the conversation
	 * its addresses already have, with the gateway as its initiator. */
	from = initiator ? AN_TO_GATEWAY : AN_FROM_GATEWAY;
	{
		enum an_dir d;
		int ci = conv_between(a, &pk->src, &pk->dst, &d);

		if (ci >= 0 && d != from) {
			from = d;
			c = &a->conv[ci];
		} else
			c = from == AN_TO_GATEWAY ? conv_of(a, &pk->src, &pk->dst, true) :
			    conv_of(a, &pk->dst, &pk->src, true);
	}
	asked = response ? (from == AN_TO_GATEWAY ? AN_FROM_GATEWAY : AN_TO_GATEWAY) :
	    from;
	if (c == NULL)
		goto out;
	c->ike_msgs++;
	c->last_frame = no;
	if ((s = sa_of(c, r->spi_i, no)) == NULL)
		goto out;
	s->last_frame = no;
	if (pk->sport == 4500 || pk->dport == 4500)
		s->floated = true;
	x = response ? exchange_for_response(s, r->exchange, r->msgid, asked,
	    fnv1a(ike, len), r->skf) :
	    exchange_for_request(s, r->exchange, r->msgid, asked, fnv1a(ike, len), r);
	if (x == NULL)
		goto out;
	take_message(response ? &x->resp : &x->req, pk, ike, len, r, no, ts);
	if (a->n_keys > 0)
		decrypt(a, c, response ? &x->resp : &x->req, r, ike, len,
		    from == AN_FROM_GATEWAY, no, ts);
	if (response && r->exchange == IKE_EXCH_IKE_SA_INIT && r->kind == IKE_REPLY_SA) {
		static const uint8_t zero[IKE_SPI_LEN];
		const struct ip_addr *cl = from == AN_FROM_GATEWAY ? &pk->dst : &pk->src;
		const struct ip_addr *gw = from == AN_FROM_GATEWAY ? &pk->src : &pk->dst;
		uint16_t cport = from == AN_FROM_GATEWAY ? pk->dport : pk->sport;
		uint16_t gport = from == AN_FROM_GATEWAY ? pk->sport : pk->dport;

		if (memcmp(s->spi_r, zero, IKE_SPI_LEN) == 0)
			memcpy(s->spi_r, r->spi_r, IKE_SPI_LEN);
		/* The hashes against the addresses as captured: a NAT between
		 * the capture and the other side rewrote them. */
		natd_judge(r->spi_i, r, cl, cport, gw, gport, &x->resp.natd);
		if (!s->natd_known) {
			s->natd = x->resp.natd;
			s->natd_known = true;
		}
	}
out:
	free(r);
}

/* UDP to or from an IKE port: IKE (on 4500 after the non-ESP marker),
 * ESP in UDP, or a NAT keepalive. */
static void
udp_ike_port(struct analysis *a, const struct pkt *pk, uint32_t no, usec_t ts)
{
	const uint8_t *d = pk->udp_data;
	size_t n = pk->udp_len;
	bool natt = pk->sport == 4500 || pk->dport == 4500;
	enum an_dir dir;
	int ci;

	if (!natt) {
		ike_message(a, pk, d, n, no, ts);
		return;
	}
	if (n >= IKE_NONESP_MARKER_LEN && (d[0] | d[1] | d[2] | d[3]) == 0) {
		ike_message(a, pk, d + IKE_NONESP_MARKER_LEN,
		    n - IKE_NONESP_MARKER_LEN, no, ts);
		return;
	}
	ci = conv_between(a, &pk->src, &pk->dst, &dir);
	if (ci < 0) {
		a->other++;
		return;
	}
	if (n == 1 && d[0] == ESP_KEEPALIVE) {
		a->conv[ci].keepalives++;
		return;
	}
	if (a->conv[ci].esp[dir]++ == 0)
		a->conv[ci].esp_first[dir] = no;
	a->conv[ci].last_frame = no;
}

/* An ICMP error quoting one of the client's IKE requests: the IKE SA by
 * the SPI in the quote (the quote of a datagram on 4500 has the marker
 * first). */
static void
icmp_error(struct analysis *a, const struct pkt *pk, uint32_t no)
{
	const struct pkt_quote *q = &pk->quote;
	uint8_t spi[IKE_SPI_LEN];
	size_t mk = q->dport == 4500 ? IKE_NONESP_MARKER_LEN : 0;
	struct an_conv *c;
	struct an_sa *s;
	enum an_dir dir;
	int ci;

	/* The client giving up on a datagram of the gateway's: evidence
	 * that the rest of it never came (the quote has no ports when the
	 * first fragment is what it kept, and may have them). */
	if (q->valid && pk->icmp_meaning == ICMP_REASM_TIMEOUT &&
	    (ci = conv_between(a, &q->src, &q->dst, &dir)) >= 0 &&
	    dir == AN_FROM_GATEWAY) {
		an_frames_add(&a->conv[ci].reasm_icmp, no);
		return;
	}
	if (!q->valid || !q->has_ports || (q->dport != 500 && q->dport != 4500) ||
	    (ci = conv_between(a, &q->src, &q->dst, &dir)) < 0 ||
	    dir != AN_TO_GATEWAY || q->data_len < mk ||
	    !ike_peek_spi(q->data + mk, q->data_len - mk, spi)) {
		a->other++;
		return;
	}
	c = &a->conv[ci];
	if ((s = find_sa(c, spi)) == NULL) {
		a->other++;
		return;
	}
	s->icmp++;
	s->icmp_frame = no;
	s->icmp_from = pk->src;
	s->icmp_type = pk->icmp_type;
	s->icmp_code = pk->icmp_code;
	s->icmp_meaning = pk->icmp_meaning;
	s->icmp_port = q->dport;
	c->last_frame = no;
}

static void
whole_datagram(struct analysis *a, const struct pkt *pk, uint32_t no, usec_t ts,
    size_t captured)
{
	if (pk->is_udp && (pk->sport == 500 || pk->dport == 500 ||
	    pk->sport == 4500 || pk->dport == 4500)) {
		udp_ike_port(a, pk, no, ts);
		return;
	}
	if (pk->is_tcp && (pk->sport == 443 || pk->dport == 443)) {
		an_tcp_segment(a, pk, no, ts, captured);
		return;
	}
	if (pk->proto == 50) {		/* ESP without NAT-T */
		enum an_dir dir;
		int ci = conv_between(a, &pk->src, &pk->dst, &dir);

		if (ci >= 0) {
			if (a->conv[ci].esp[dir]++ == 0)
				a->conv[ci].esp_first[dir] = no;
			return;
		}
	}
	if (pk->is_icmp && pk->icmp_meaning != ICMP_NONE) {
		icmp_error(a, pk, no);
		return;
	}
	a->other++;
}

static struct an_dgram *
dgram_of(struct analysis *a, const struct pkt *pk, usec_t ts)
{
	struct an_dgram *g;

	for (int i = a->n_dgram - 1; i >= 0; i--) {
		g = &a->dgram[i];
		/* The same ID long after is another datagram (reasm.h). */
		if (g->id == pk->ip_id && g->proto == pk->proto &&
		    ip_addr_eq(&g->src, &pk->src) && ip_addr_eq(&g->dst, &pk->dst) &&
		    !g->complete && ts - g->last_ts <= (usec_t)(REASM_TIMEOUT * 1e6))
			return g;
	}
	if (a->n_dgram == AN_DGRAMS) {
		a->dgrams_dropped++;
		return NULL;
	}
	g = &a->dgram[a->n_dgram++];
	g->src = pk->src;
	g->dst = pk->dst;
	g->id = pk->ip_id;
	g->proto = pk->proto;
	g->conv = -1;
	return g;
}

/* Distinct payload bytes: fragments may repeat (retransmissions). */
static void
dgram_piece(struct an_dgram *g, uint16_t off, uint16_t len)
{
	uint32_t have = 0;

	for (int i = 0; i < g->n_pieces; i++)
		if (g->off[i] == off && g->len[i] == len)
			return;
	if (g->n_pieces == AN_DGRAM_FRAGS)
		return;
	g->off[g->n_pieces] = off;
	g->len[g->n_pieces++] = len;
	/* Pieces of one sender do not overlap in practice; a liar's
	 * overlap only makes "complete" harder to reach. */
	for (int i = 0; i < g->n_pieces; i++)
		have += g->len[i];
	g->have = have;
}

static void
fragment(struct analysis *a, const struct pkt *pk, uint32_t no, usec_t ts)
{
	struct an_dgram *g = dgram_of(a, pk, ts);

	if (g == NULL)
		return;
	if (g->n_frags == 0)
		g->first_ts = ts;
	g->last_ts = ts;
	g->n_frags++;
	an_frames_add(&g->frames, no);
	if (pk->frag_off == 0) {
		g->firsts++;
		/* The first fragment has the UDP header. */
		if (pk->proto == IP_PROTO_UDP && pk->l4_len >= UDP_HDR_LEN) {
			g->sport = (uint16_t)(pk->l4[0] << 8 | pk->l4[1]);
			g->dport = (uint16_t)(pk->l4[2] << 8 | pk->l4[3]);
		}
	}
	if (!pk->mf)
		g->total = (uint32_t)pk->frag_off + (uint32_t)pk->l4_len;
	dgram_piece(g, pk->frag_off, (uint16_t)pk->l4_len);
	g->conv = conv_between(a, &pk->src, &pk->dst, &g->dir);
}

/* A frame the capture's snap length cut (a large TCP segment, with the
 * offloads of the capturing machine): decoded as far as it goes, with its
 * IP length made what was kept; a TCP segment gives what it kept. */
static void
cut_frame(struct analysis *a, int link, const uint8_t *buf, size_t len,
    uint32_t no, usec_t ts)
{
	size_t off = pkt_frame_ip_offset(link, buf, len), n = len - off;
	uint8_t *ip;
	struct pkt pk;
	size_t want;

	if (off >= len || n < IPV4_HDR_LEN || (ip = malloc(n)) == NULL) {
		a->malformed++;
		return;
	}
	memcpy(ip, buf + off, n);
	if (ip[0] >> 4 == 4) {
		want = (size_t)ip[2] << 8 | ip[3];
		ip[2] = (uint8_t)(n >> 8);
		ip[3] = (uint8_t)n;
	} else if (n >= IPV6_HDR_LEN) {
		want = ((size_t)ip[4] << 8 | ip[5]) + IPV6_HDR_LEN;
		ip[4] = (uint8_t)((n - IPV6_HDR_LEN) >> 8);
		ip[5] = (uint8_t)(n - IPV6_HDR_LEN);
	} else
		want = 0;
	/* UDP's own length too, so that IKE cut short still shows its
	 * header (SPIs, exchange, message ID, flags): a capture that keeps
	 * 128 bytes of each packet (pktmon's default) is still read. */
	if (want > n) {
		size_t hl = ip[0] >> 4 == 4 ? (size_t)(ip[0] & 0x0f) * 4 : IPV6_HDR_LEN;
		uint8_t proto = ip[0] >> 4 == 4 ? ip[9] : ip[6];

		if (proto == IP_PROTO_UDP && n >= hl + UDP_HDR_LEN) {
			ip[hl + 4] = (uint8_t)((n - hl) >> 8);
			ip[hl + 5] = (uint8_t)(n - hl);
			ip[hl + 6] = ip[hl + 7] = 0;	/* no checksum to match */
		}
	}
	if (want <= n) {		/* not cut: lying in some other way */
		a->malformed++;
		free(ip);
		return;
	}
	if (a->cut++ == 0) {
		a->cut_frame = no;
		a->cut_at = len;
	}
	if (pkt_decode_ip(ip, n, &pk) != PKT_OK || pkt_is_fragment(&pk))
		a->malformed++;
	else if (pk.is_udp && (pk.sport == 500 || pk.dport == 500 ||
	    pk.sport == 4500 || pk.dport == 4500)) {
		pk.ip_len = (uint32_t)want;
		udp_ike_port(a, &pk, no, ts);
	} else if (pk.is_tcp && (pk.sport == 443 || pk.dport == 443)) {
		/* The segment's length as sent; what was kept of it. */
		size_t kept = pk.tcp_payload;

		pk.ip_len = (uint32_t)want;
		pk.tcp_payload += want - n;
		an_tcp_segment(a, &pk, no, ts, kept);
	} else if (pk.is_tcp)
		a->other++;
	else
		a->malformed++;
	free(ip);
}

void
analysis_frame(struct analysis *a, uint32_t no, usec_t ts, int link,
    const uint8_t *buf, size_t len)
{
	struct pkt pk, full;
	struct wbuf whole;
	enum pkt_status st;
	int rc;

	a->frame_no = no;
	a->frames++;
	a->bytes += len;
	if (a->first_ts == 0 || ts < a->first_ts)
		a->first_ts = ts;
	if (ts > a->last_ts)
		a->last_ts = ts;
	st = pkt_decode_frame(link, buf, len, &pk);
	if (st == PKT_NOT_IP) {
		a->not_ip++;
		return;
	}
	if (st == PKT_TRUNCATED) {
		cut_frame(a, link, buf, len, no, ts);
		return;
	}
	if (st != PKT_OK) {
		a->malformed++;
		return;
	}
	if (!pkt_is_fragment(&pk)) {
		whole_datagram(a, &pk, no, ts, pk.tcp_payload);
		return;
	}
	fragment(a, &pk, no, ts);
	wb_init(&whole);
	rc = reasm_add(&a->reasm, &pk, (double)ts / 1e6, &whole);
	if (rc < 0)
		a->malformed++;
	else if (rc == 1) {
		if (pkt_decode_ip(whole.buf, whole.len, &full) == PKT_OK &&
		    !pkt_is_fragment(&full)) {
			struct an_dgram *g = dgram_of(a, &pk, ts);

			full.reasm_frags = a->reasm.last_frags;
			if (g)
				g->complete = true;
			whole_datagram(a, &full, no, ts, full.tcp_payload);
		} else
			a->malformed++;
	}
	wb_free(&whole);
}
