/* Fragments are kept per (family, source, destination, ID, protocol), as
 * RFC 791 and RFC 8200 4.5 key them. Overlapping pieces overwrite (the
 * reassembled bytes are only read, never trusted), but a second "last
 * fragment" that disagrees on the end is refused. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ikeprobe/reasm.h"

#define REASM_MAX	65535
#define REASM_UNITS	(REASM_MAX / 8 + 1)
#define HDR_MAX		(IPV6_HDR_LEN + 8 * 256 + IPV6_FRAG_LEN)

struct reasm_slot {
	bool		 used;
	int		 family;
	struct ip_addr	 src, dst;
	uint32_t	 id;
	uint8_t		 proto;
	double		 first_seen;
	uint8_t		 hdr[HDR_MAX];
	size_t		 hlen;		/* 0 until the first fragment arrives */
	size_t		 end;		/* payload length, 0 until the last */
	int		 frags;		/* fragments taken, duplicates too */
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

static bool
same(const struct reasm_slot *s, const struct pkt *p)
{
	return s->family == p->family && s->id == p->ip_id &&
	    s->proto == p->proto && ip_addr_eq(&s->src, &p->src) &&
	    ip_addr_eq(&s->dst, &p->dst);
}

static struct reasm_slot *
find_slot(struct reasm *r, const struct pkt *p, double ts)
{
	struct reasm_slot *s;
	int i, free_i = -1, oldest = -1;

	for (i = 0; i < REASM_SLOTS; i++) {
		s = r->slots[i];
		/* Forget what is too old to be part of anything still
		 * arriving: its ID may be in use again. */
		if (s != NULL && s->used && ts - s->first_seen > REASM_TIMEOUT) {
			s->used = false;
			r->expired++;
		}
		if (s == NULL || !s->used) {
			if (free_i < 0)
				free_i = i;
			continue;
		}
		if (same(s, p))
			return s;
		if (oldest < 0 || s->first_seen < r->slots[oldest]->first_seen)
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
	s->used = true;
	s->family = p->family;
	s->src = p->src;
	s->dst = p->dst;
	s->id = p->ip_id;
	s->proto = p->proto;
	s->first_seen = ts;
	s->hlen = 0;
	s->end = 0;
	s->frags = 0;
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
reasm_add(struct reasm *r, const struct pkt *p, double ts, struct wbuf *out)
{
	struct reasm_slot *s;
	size_t off = p->frag_off, n = p->l4_len, hl = p->hdr_len;
	size_t min_hdr = p->family == AF_INET6 ? IPV6_HDR_LEN : IPV4_HDR_LEN;

	/* The whole datagram must fit in 65535 bytes: with the smallest
	 * header that leaves 65515 (IPv4) for the payload, the size of the
	 * largest UDP datagram. The real header length is checked once the
	 * datagram is complete. */
	if (!p->has_id || off + n > REASM_MAX - min_hdr ||
	    (p->mf && (n == 0 || n % 8))) {
		r->invalid++;
		return -1;
	}
	if ((s = find_slot(r, p, ts)) == NULL)
		return -1;
	if (!p->mf) {
		if (s->end && s->end != off + n) {
			r->invalid++;
			return -1;
		}
		s->end = off + n;
	}
	if (off == 0) {
		if (hl > sizeof(s->hdr) || hl < min_hdr) {
			r->invalid++;
			return -1;
		}
		memcpy(s->hdr, p->ip, hl);
		s->hlen = hl;
	}
	memcpy(s->data + off, p->l4, n);
	s->frags++;
	for (size_t u = off / 8; u < (off + n + 7) / 8; u++)
		s->have[u / 8] |= (uint8_t)(1u << (u % 8));
	if (!complete(s))
		return 0;
	s->used = false;
	r->last_frags = s->frags;
	if (!pkt_rebuild(s->family, s->hdr, s->hlen, s->data, s->end, out)) {
		/* Options in the first fragment pushed it past 65535, or its
		 * header chain cannot be rebuilt. */
		r->invalid++;
		return -1;
	}
	return 1;
}
