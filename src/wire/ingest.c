#include <string.h>

#include "ikeprobe/ingest.h"

void
ingest_init(struct ingest *in)
{
	memset(in, 0, sizeof(*in));
	reasm_init(&in->reasm);
}

void
ingest_free(struct ingest *in)
{
	reasm_free(&in->reasm);
}

void
ingest_local(struct ingest *in, const struct ip_addr *a)
{
	for (int i = 0; i < in->n_local; i++)
		if (ip_addr_eq(&in->local[i], a))
			return;
	if (in->n_local < INGEST_LOCAL_MAX)
		in->local[in->n_local++] = *a;
}

static bool
is_local(const struct ingest *in, const struct ip_addr *a)
{
	for (int i = 0; i < in->n_local; i++)
		if (ip_addr_eq(&in->local[i], a))
			return true;
	return false;
}

void
ingest_frame(struct ingest *in, int link, const uint8_t *buf, size_t len,
    usec_t ts, frame_fn *fn, void *arg)
{
	struct wbuf whole;
	struct pkt pk, full;
	enum pkt_status st;
	int rc;

	in->frames++;
	st = pkt_decode_frame(link, buf, len, &pk);
	if (st == PKT_NOT_IP) {
		fn(arg, FRAME_NOT_IP, NULL, ts);
		return;
	}
	if (st != PKT_OK) {
		fn(arg, FRAME_MALFORMED, NULL, ts);
		return;
	}
	if (!pkt_is_fragment(&pk) || is_local(in, &pk.src)) {
		fn(arg, FRAME_PACKET, &pk, ts);
		return;
	}
	wb_init(&whole);
	rc = reasm_add(&in->reasm, &pk, (double)ts / 1e6, &whole);
	if (rc < 0)
		fn(arg, FRAME_MALFORMED, &pk, ts);
	else if (rc == 0)
		fn(arg, FRAME_HELD, &pk, ts);
	else if (pkt_decode_ip(whole.buf, whole.len, &full) == PKT_OK &&
	    !pkt_is_fragment(&full)) {
		full.reasm_frags = in->reasm.last_frags;
		fn(arg, FRAME_PACKET, &full, ts);
	}
	else
		fn(arg, FRAME_MALFORMED, &pk, ts);
	wb_free(&whole);
}
