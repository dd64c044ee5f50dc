/* Bounds-checked byte cursors: the only way ikeprobe reads or writes wire
 * bytes. A read past the end sets a sticky error and yields zeros, so a
 * parser can check once after a group of reads instead of after each. */
#ifndef IKEPROBE_CURSOR_H
#define IKEPROBE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cursor {
	const uint8_t	*buf;
	size_t		 len;
	size_t		 off;
	bool		 overrun;	/* a read asked for more than was left */
};

void	 cur_init(struct cursor *, const void *, size_t);
size_t	 cur_left(const struct cursor *);
bool	 cur_ok(const struct cursor *);
uint8_t	 cur_u8(struct cursor *);
uint16_t cur_be16(struct cursor *);
uint32_t cur_be32(struct cursor *);
bool	 cur_copy(struct cursor *, void *, size_t);
bool	 cur_skip(struct cursor *, size_t);
/* Point at the next n bytes without copying; NULL (and overrun) if short. */
const uint8_t *cur_take(struct cursor *, size_t);
/* Carve the next n bytes into their own cursor; false if short. */
bool	 cur_sub(struct cursor *, size_t, struct cursor *);
const uint8_t *cur_here(const struct cursor *);

/* Growable output buffer for builders. Space is reserved, then patched once
 * the length of what follows is known (as OpenIKED's ikev2_add_header). */
struct wbuf {
	uint8_t	*buf;
	size_t	 len;
	size_t	 cap;
	bool	 failed;	/* allocation failed or a patch was out of range */
};

void	 wb_init(struct wbuf *);
void	 wb_free(struct wbuf *);
void	 wb_u8(struct wbuf *, uint8_t);
void	 wb_be16(struct wbuf *, uint16_t);
void	 wb_be32(struct wbuf *, uint32_t);
void	 wb_bytes(struct wbuf *, const void *, size_t);
void	 wb_zero(struct wbuf *, size_t);
void	 wb_patch_u8(struct wbuf *, size_t, uint8_t);
void	 wb_patch_be16(struct wbuf *, size_t, uint16_t);

#endif
