/* TCP 443 in a capture (the SSTP side of ikeprobe analyze): each
 * connection's SYN, SYN-ACK and reset, and its bytes in order to the TLS
 * reader (wire/tlsrec.c) until a segment is missing. The server's
 * certificates, when TLS 1.2 sends them in clear, through the live run's
 * checks against the name the client asked for (SNI), at the time of the
 * capture. */
#include <openssl/ssl.h>
#include <string.h>

#include "ikeprobe/analysis.h"

const char *
an_cipher_name(uint16_t id)
{
	/* OpenSSL finds a suite only through a connection object: one, made
	 * once, that never connects. */
	static SSL_CTX *ctx;
	static SSL *ssl;
	const unsigned char b[2] = { (unsigned char)(id >> 8), (unsigned char)id };
	const SSL_CIPHER *c;

	if (ssl == NULL) {
		if (ctx == NULL && (ctx = SSL_CTX_new(TLS_client_method())) == NULL)
			return NULL;
		if ((ssl = SSL_new(ctx)) == NULL)
			return NULL;
	}
	c = SSL_CIPHER_find(ssl, b);
	return c ? SSL_CIPHER_standard_name(c) : NULL;
}

static struct an_tcp *
conn_of(struct analysis *a, const struct pkt *pk, enum an_dir *dir, uint32_t no,
    usec_t ts)
{
	struct an_tcp *t;
	bool to_server = pk->dport == 443;

	for (int i = 0; i < a->n_tcp; i++) {
		t = &a->tcp[i];
		if (ip_addr_eq(&t->client, &pk->src) && t->cport == pk->sport &&
		    ip_addr_eq(&t->server, &pk->dst) && t->sport == pk->dport) {
			*dir = AN_TO_GATEWAY;
			return t;
		}
		if (ip_addr_eq(&t->server, &pk->src) && t->sport == pk->sport &&
		    ip_addr_eq(&t->client, &pk->dst) && t->cport == pk->dport) {
			*dir = AN_FROM_GATEWAY;
			return t;
		}
	}
	if (a->n_tcp == AN_TCP) {
		a->tcp_dropped++;
		return NULL;
	}
	/* Whoever is not on 443 is the client (a capture may start after
	 * the SYN). */
	t = &a->tcp[a->n_tcp++];
	memset(t, 0, sizeof(*t));
	t->client = to_server ? pk->src : pk->dst;
	t->server = to_server ? pk->dst : pk->src;
	t->cport = to_server ? pk->sport : pk->dport;
	t->sport = to_server ? pk->dport : pk->sport;
	t->first_frame = no;
	t->first_ts = ts;
	tls_side_init(&t->tls[0]);
	tls_side_init(&t->tls[1]);
	*dir = to_server ? AN_TO_GATEWAY : AN_FROM_GATEWAY;
	return t;
}

static void
server_cert(struct an_tcp *t, usec_t ts)
{
	const struct tls_side *s = &t->tls[AN_FROM_GATEWAY];
	const uint8_t *der[TLS_MAX_CERTS];
	size_t len[TLS_MAX_CERTS];

	for (int i = 0; i < s->n_certs; i++) {
		der[i] = s->hs + s->cert_off[i];
		len[i] = s->cert_len[i];
	}
	cert_check(der, len, s->n_certs, t->tls[AN_TO_GATEWAY].sni, NULL,
	    (time_t)(ts / 1000000), &t->cert);
	t->has_cert = true;
}

/* captured: bytes of the segment's payload the capture kept (less than
 * pk->tcp_payload when its snap length cut the frame). */
void
an_tcp_segment(struct analysis *a, const struct pkt *pk, uint32_t no, usec_t ts,
    size_t captured)
{
	enum an_dir d;
	struct an_tcp *t = conn_of(a, pk, &d, no, ts);
	uint32_t seq = pk->tcp_seq;
	const uint8_t *data = pk->tcp_data;
	size_t len = pk->tcp_payload;
	int32_t ahead;

	if (t == NULL)
		return;
	t->last_frame = no;
	if ((pk->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN && d == AN_TO_GATEWAY)
		an_frames_add(&t->syn, no);
	if ((pk->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) &&
	    d == AN_FROM_GATEWAY && t->synack_frame == 0)
		t->synack_frame = no;
	if (pk->tcp_flags & TCP_SYN) {
		t->seq_known[d] = true;
		t->next[d] = seq + 1;
	}
	if ((pk->tcp_flags & TCP_RST) && !t->reset) {
		t->reset = true;
		t->reset_dir = d;
		t->reset_frame = no;
	}
	if (pk->tcp_flags & TCP_FIN)
		t->fin = true;
	if (len == 0 || t->gap[d])
		return;
	if (!t->seq_known[d]) {
		t->seq_known[d] = true;
		t->next[d] = seq;
	}
	/* In order: the next bytes. Behind: a retransmission, of which only
	 * what is new counts. Ahead: a segment is missing from the capture. */
	ahead = (int32_t)(seq - t->next[d]);
	if (ahead > 0) {
		t->gap[d] = true;
		t->gap_frame[d] = no;
		return;
	}
	if ((size_t)-(int64_t)ahead >= len)
		return;
	data += (size_t)-(int64_t)ahead;
	len -= (size_t)-(int64_t)ahead;
	t->next[d] += (uint32_t)len;
	if (captured < pk->tcp_payload) {
		/* What the capture kept of it, then nothing more of this
		 * direction can be read in order. */
		size_t keep = captured > (size_t)-(int64_t)ahead ?
		    captured - (size_t)-(int64_t)ahead : 0;

		t->gap[d] = t->gap_cut[d] = true;
		t->gap_frame[d] = no;
		len = keep < len ? keep : len;
	}
	if (t->bytes[d] >= AN_TCP_KEEP)
		return;
	if (len > AN_TCP_KEEP - t->bytes[d])
		len = AN_TCP_KEEP - t->bytes[d];
	t->bytes[d] += len;
	tls_side_feed(&t->tls[d], data, len, no);
	if (d == AN_FROM_GATEWAY && !t->has_cert && t->tls[d].n_certs > 0)
		server_cert(t, ts);
}
