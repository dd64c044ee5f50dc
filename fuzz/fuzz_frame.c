/* Captured frames through the path ikeprobe's run loop takes: the link
 * header, the IP decoder, the reassembler for fragments, and the decoder
 * again on each datagram the reassembler completes.
 *
 * Input: one byte choosing the link type, then frames, each as
 *	2 bytes	frame length, big-endian (cut to what is left)
 *	1 byte	clock step since the previous frame: below 200 in 10 ms,
 *		else (n - 199) s, so that one step can pass reassembly's
 *		timeout (REASM_TIMEOUT) and the clock decides what joins
 *	...	the frame
 * so one input can carry all the fragments of a datagram, in any order,
 * interleaved with other traffic. The clock only moves forward, as the
 * monotonic clock the run loop gives the reassembler. Everything lives on
 * the stack or is freed before returning: nothing carries over between
 * inputs. */
#include "ikeprobe/reasm.h"

#include "fuzz.h"

static const int links[] = {
	LINK_EN10MB, LINK_RAW, LINK_SLL, LINK_SLL2, LINK_NULL, LINK_RAW_ALT,
	LINK_IPV4,
};

#define FRAME_HDR	3

static void
reassembled(const struct wbuf *whole)
{
	struct pkt full;
	enum pkt_status st;

	/* The reassembler rebuilt a header from a fragment we had decoded:
	 * the result must decode, and not as a fragment. */
	st = pkt_decode_ip(whole->buf, whole->len, &full);
	FZ_CHECK(st == PKT_OK);
	FZ_CHECK(!pkt_is_fragment(&full));
	FZ_CHECK(full.ip_len == whole->len);
	fz_pkt(st, &full, whole->buf, whole->len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reasm ra;
	struct wbuf whole;
	struct pkt p;
	enum pkt_status st;
	size_t off = 1;
	double now = 0;
	int link, rc;

	if (size < 1)
		return 0;
	link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
	reasm_init(&ra);
	while (size - off >= FRAME_HDR) {
		size_t flen = (size_t)data[off] << 8 | data[off + 1];
		const uint8_t *frame = data + off + FRAME_HDR;

		now += data[off + 2] < 200 ? data[off + 2] * 0.01 :
		    (data[off + 2] - 199) * 1.0;
		off += FRAME_HDR;
		if (flen > size - off)
			flen = size - off;
		off += flen;

		st = pkt_decode_frame(link, frame, flen, &p);
		FZ_CHECK(memchr(p.problem, 0, sizeof(p.problem)) != NULL);
		if (st != PKT_OK)
			continue;
		FZ_CHECK(fz_within(p.ip, p.ip_len, frame, flen));
		fz_pkt(st, &p, p.ip, (size_t)(frame + flen - p.ip));
		if (!pkt_is_fragment(&p))
			continue;
		wb_init(&whole);
		rc = reasm_add(&ra, &p, now, &whole);
		FZ_CHECK(rc >= -1 && rc <= 1);
		if (rc == 1)
			reassembled(&whole);
		wb_free(&whole);
	}
	reasm_free(&ra);
	return 0;
}
