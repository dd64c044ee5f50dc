#include <stdlib.h>
#include <string.h>

#include "ikeprobe/cursor.h"

void
cur_init(struct cursor *c, const void *buf, size_t len)
{
	c->buf = buf;
	c->len = buf ? len : 0;
	c->off = 0;
	c->overrun = false;
}

size_t
cur_left(const struct cursor *c)
{
	return c->len - c->off;
}

bool
cur_ok(const struct cursor *c)
{
	return !c->overrun;
}

const uint8_t *
cur_here(const struct cursor *c)
{
	return c->buf + c->off;
}

const uint8_t *
cur_take(struct cursor *c, size_t n)
{
	const uint8_t *p;

	if (c->overrun || n > cur_left(c)) {
		c->overrun = true;
		return NULL;
	}
	p = c->buf + c->off;
	c->off += n;
	return p;
}

uint8_t
cur_u8(struct cursor *c)
{
	const uint8_t *p = cur_take(c, 1);

	return p ? p[0] : 0;
}

uint16_t
cur_be16(struct cursor *c)
{
	const uint8_t *p = cur_take(c, 2);

	if (p == NULL)
		return 0;
	return (uint16_t)((unsigned)p[0] << 8 | (unsigned)p[1]);
}

uint32_t
cur_be32(struct cursor *c)
{
	const uint8_t *p = cur_take(c, 4);

	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3] : 0;
}

bool
cur_copy(struct cursor *c, void *dst, size_t n)
{
	const uint8_t *p = cur_take(c, n);

	if (p == NULL)
		return false;
	if (n)
		memcpy(dst, p, n);
	return true;
}

bool
cur_skip(struct cursor *c, size_t n)
{
	return cur_take(c, n) != NULL;
}

bool
cur_sub(struct cursor *c, size_t n, struct cursor *sub)
{
	const uint8_t *p = cur_take(c, n);

	cur_init(sub, p, p ? n : 0);
	return p != NULL;
}

void
wb_init(struct wbuf *w)
{
	memset(w, 0, sizeof(*w));
}

void
wb_free(struct wbuf *w)
{
	free(w->buf);
	wb_init(w);
}

static uint8_t *
wb_grow(struct wbuf *w, size_t n)
{
	uint8_t *nb;
	size_t ncap;

	/* Nothing to add: no pointer (an empty buffer has none to offset). */
	if (w->failed || n == 0)
		return NULL;
	if (n > SIZE_MAX / 2 - w->len) {
		w->failed = true;
		return NULL;
	}
	if (w->len + n > w->cap) {
		ncap = w->cap ? w->cap : 256;
		while (ncap < w->len + n)
			ncap *= 2;
		if ((nb = realloc(w->buf, ncap)) == NULL) {
			w->failed = true;
			return NULL;
		}
		w->buf = nb;
		w->cap = ncap;
	}
	w->len += n;
	return w->buf + w->len - n;
}

void
wb_bytes(struct wbuf *w, const void *src, size_t n)
{
	uint8_t *p = wb_grow(w, n);

	if (p && n)
		memcpy(p, src, n);
}

void
wb_zero(struct wbuf *w, size_t n)
{
	uint8_t *p = wb_grow(w, n);

	if (p && n)
		memset(p, 0, n);
}

void
wb_u8(struct wbuf *w, uint8_t v)
{
	wb_bytes(w, &v, 1);
}

void
wb_be16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	wb_bytes(w, b, sizeof(b));
}

void
wb_be32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	wb_bytes(w, b, sizeof(b));
}

void
wb_patch_u8(struct wbuf *w, size_t at, uint8_t v)
{
	if (w->failed || at >= w->len) {
		w->failed = true;
		return;
	}
	w->buf[at] = v;
}

void
wb_patch_be16(struct wbuf *w, size_t at, uint16_t v)
{
	if (w->failed || w->len < 2 || at > w->len - 2) {
		w->failed = true;
		return;
	}
	w->buf[at] = (uint8_t)(v >> 8);
	w->buf[at + 1] = (uint8_t)v;
}
