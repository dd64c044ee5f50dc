#include <stdlib.h>
#include <string.h>

#include "ikeprobe/reasm.h"

#define REASM_MAX	65535
#define REASM_UNITS	(REASM_MAX / 8 + 1)

struct reasm_slot {
	struct ip_addr	 src, dst;
	uint16_t	 id;
	uint8_t		 proto;
	double		 first_seen;
	uint8_t		 hdr[60];
	size_t		 hlen;		/* 0 until the first fragment arrives */
	size_t		 end;		/* payload length, 0 until the last */
	uint8_t		 have[REASM_UNITS / 8 + 1];
	uint8_t		 data[REASM_MAX];
};

void
reasm_init(struct reasm *r)
{
	memset(r, 0, sizeof(*r));
}

void
reasm_free(struct reasm *r)
{
	for (int i = 0; i < REASM_SLOTS; i++)
		free(r->slots[i]);
	reasm_init(r);
}

static struct reasm_slot *
find_slot(struct reasm *r, const struct pkt *p, double now)
{
	struct reasm_slot *s;
	int i, free_i = -1, oldest = 0;

	for (i = 0; i < REASM_SLOTS; i++) {
		s = r->slots[i];
		if (s == NULL || s->first_seen < 0) {
			if (free_i < 0)
				free_i = i;
			continue;
		}
		if (s->id == p->ip_id && s->proto == p->proto &&
		    ip_addr_eq(&s->src, &p->src) && ip_addr_eq(&s->dst, &p->dst))
			return s;
		if (r->slots[oldest] == NULL ||
		    s->first_seen < r->slots[oldest]->first_seen)
			oldest = i;
	}
	if (free_i < 0) {
		free_i = oldest;
		r->evicted++;
	}
	if (r->slots[free_i] == NULL &&
	    (r->slots[free_i] = malloc(sizeof(struct reasm_slot))) == NULL)
		return NULL;
	s = r->slots[free_i];
	s->src = p->src;
	s->dst = p->dst;
	s->id = p->ip_id;
	s->proto = p->proto;
	s->first_seen = now;
	s->hlen = 0;
	s->end = 0;
	memset(s->have, 0, sizeof(s->have));
	return s;
}

static bool
complete(const struct reasm_slot *s)
{
	if (s->hlen == 0 || s->end == 0)
		return false;
	for (size_t u = 0; u < (s->end + 7) / 8; u++)
		if (!(s->have[u / 8] & (1u << (u % 8))))
			return false;
	return true;
}

int
reasm_add(struct reasm *r, const struct pkt *p, double now, struct wbuf *out)
{
	struct reasm_slot *s;
	size_t off = p->frag_off, n = p->l4_len, hl = (size_t)(p->l4 - p->ip);

	/* The whole datagram, header included, must fit in 65535 bytes:
	 * with the smallest header that leaves 65515 for the payload, the
	 * size of the largest UDP datagram (65507 bytes of data). The real
	 * header length is checked once the datagram is complete. */
	if (off + n > REASM_MAX - IPV4_HDR_LEN || (p->mf && (n == 0 || n % 8))) {
		r->invalid++;
		return -1;
	}
	if ((s = find_slot(r, p, now)) == NULL)
		return -1;
	if (!p->mf) {
		if (s->end && s->end != off + n) {
			r->invalid++;
			return -1;
		}
		s->end = off + n;
	}
	if (off == 0) {
		if (hl > sizeof(s->hdr))
			return -1;
		memcpy(s->hdr, p->ip, hl);
		s->hlen = hl;
	}
	memcpy(s->data + off, p->l4, n);
	for (size_t u = off / 8; u < (off + n + 7) / 8; u++)
		s->have[u / 8] |= (uint8_t)(1u << (u % 8));
	if (!complete(s))
		return 0;
	if (s->hlen + s->end > REASM_MAX) {
		/* Options in the first fragment pushed it past 65535. */
		r->invalid++;
		s->first_seen = -1;
		return -1;
	}

	wb_bytes(out, s->hdr, s->hlen);
	wb_patch_be16(out, 2, (uint16_t)(s->hlen + s->end));
	wb_patch_be16(out, 6, 0);
	wb_bytes(out, s->data, s->end);
	s->first_seen = -1;	/* slot free */
	return out->failed ? -1 : 1;
}
