/* UTF-8, as reports carry text: JSON readers (json-c with
 * JSON_TOKENER_VALIDATE_UTF8, jq, browsers) refuse a document with one
 * invalid byte, so text from outside (os-release, the host name, a label)
 * is made valid before it goes into a report. */
#ifndef IKEPROBE_UTF8_H
#define IKEPROBE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One code point of valid UTF-8 at s (n bytes left, n > 0): its length,
 * or 0 (overlong forms, surrogates and values past U+10FFFF are not). */
size_t	 utf8_char(const unsigned char *s, size_t n, uint32_t *cp);
/* Characters that would move the cursor, colour a terminal, or reorder
 * what is shown (C0 and C1 controls, DEL, bidirectional marks and
 * overrides): never shown as they are. */
bool	 utf8_unsafe(uint32_t cp);
/* Copy at most n bytes of s into out (len bytes, len > 0), terminated:
 * every byte not part of valid UTF-8 becomes '?', and so does each
 * utf8_unsafe character; a character that does not fit whole is left
 * out. Returns the bytes written. */
size_t	 utf8_copy(char *out, size_t len, const char *s, size_t n);

#endif
