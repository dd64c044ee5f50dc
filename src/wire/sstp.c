/* SSTP's wire (sstp.h): the HTTP handshake and the Call Connect exchange
 * of [MS-SSTP], built exactly as a Windows client sends them and parsed
 * from whatever comes back, with the cursor. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "ikeprobe/sstp.h"

/* Printable ASCII, or not at all: what goes into a header we send. */
static bool
header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

size_t
sstp_http_request(char *buf, size_t len, const char *host,
    const char *correlation)
{
	int n;

	if (!header_safe(host) || !header_safe(correlation) || host[0] == '\0')
		return 0;
	/* [MS-SSTP] 3.2.4.1, as Windows and sstpc send it. */
	n = snprintf(buf, len, "SSTP_DUPLEX_POST " SSTP_URI " HTTP/1.1\r\n"
	    "Host: %s\r\nContent-Length: " SSTP_CONTENT_LENGTH "\r\n"
	    "SSTPCORRELATIONID: {%s}\r\n\r\n", host, correlation);
	return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

/* One line of the head: from c to its CRLF (taken), without it. A bare
 * LF is refused rather than taken as a line end (RFC 9112 2.2 allows
 * either): no SSTP server sends one, and where the head ends must be
 * beyond doubt, since SSTP's bytes follow it. */
enum line_status { LINE_OK, LINE_MORE, LINE_BARE_LF };

static enum line_status
line(struct cursor *c, const uint8_t **start, size_t *n)
{
	const uint8_t *p = cur_here(c), *lf;
	size_t left = cur_left(c), i;

	if (left == 0 || (lf = memchr(p, '\n', left)) == NULL)
		return LINE_MORE;
	i = (size_t)(lf - p);
	if (i == 0 || p[i - 1] != '\r')
		return LINE_BARE_LF;
	*start = p;
	*n = i - 1;
	cur_skip(c, i + 1);
	return LINE_OK;
}

/* A header's value, trimmed, made printable, cut to fit. */
static void
value(const uint8_t *v, size_t n, char *out, size_t len)
{
	size_t j = 0;

	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	for (size_t i = 0; i < n && j + 1 < len; i++)
		out[j++] = v[i] >= 0x20 && v[i] < 0x7f ? (char)v[i] : '?';
	out[j] = '\0';
}

/* The header's name is name (lower case), in any case: ASCII only, as
 * tolower() would follow the locale. */
static bool
name_is(const uint8_t *p, size_t n, const char *name)
{
	size_t k = strlen(name);

	if (n != k)
		return false;
	for (size_t i = 0; i < k; i++) {
		uint8_t ch = p[i] >= 'A' && p[i] <= 'Z' ?
		    (uint8_t)(p[i] | 0x20) : p[i];

		if (ch != (uint8_t)name[i])
			return false;
	}
	return true;
}

static enum sstp_head_status
malformed(struct sstp_http_head *h, const char *why)
{
	snprintf(h->problem, sizeof(h->problem), "%s", why);
	return SSTP_HEAD_MALFORMED;
}

/* "HTTP/1.x NNN reason": RRAS sends "HTTP/1.1 200" with no reason. */
static enum sstp_head_status
status_line(const uint8_t *p, size_t n, struct sstp_http_head *h)
{
	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || !isdigit(p[7]) ||
	    p[8] != ' ' || !isdigit(p[9]) || !isdigit(p[10]) || !isdigit(p[11]))
		return malformed(h, "not an HTTP/1.x status line");
	if (n > 12 && p[12] != ' ')
		return malformed(h, "the status code is not three digits");
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (h->status < 100)
		return malformed(h, "a status code below 100");
	if (n > 13)
		value(p + 13, n - 13, h->reason, sizeof(h->reason));
	return SSTP_HEAD_DONE;
}

/* MALFORMED, keeping only the status (when the status line was read). */
static enum sstp_head_status
bad_head(struct sstp_http_head *h, const char *why)
{
	int status = h->status;

	memset(h, 0, sizeof(*h));
	h->status = status;
	return malformed(h, why);
}

enum sstp_head_status
sstp_http_parse(const uint8_t *buf, size_t len, struct sstp_http_head *h)
{
	struct cursor c;
	const uint8_t *p = NULL;
	size_t n = 0;
	enum sstp_head_status st;
	enum line_status ls;

	memset(h, 0, sizeof(*h));
	/* Never look past what an answer's head may be: a server that
	 * sends an endless header is refused at SSTP_MAX_HEAD. */
	cur_init(&c, buf, len < SSTP_MAX_HEAD ? len : SSTP_MAX_HEAD);
	/* The status line can be judged before it ends: garbage is told
	 * from its first bytes, not after 8 KB. */
	if (len > 0 && memcmp(buf, "HTTP/1.", len < 7 ? len : 7) != 0)
		return malformed(h, "not an HTTP/1.x status line");
	if ((ls = line(&c, &p, &n)) == LINE_BARE_LF)
		return malformed(h, "a line ends in a bare LF, not CRLF");
	if (ls == LINE_MORE)
		return len >= SSTP_MAX_HEAD ? SSTP_HEAD_TOO_LONG : SSTP_HEAD_MORE;
	if ((st = status_line(p, n, h)) != SSTP_HEAD_DONE)
		return st;
	for (;;) {
		const uint8_t *colon;
		size_t nl;

		if ((ls = line(&c, &p, &n)) == LINE_BARE_LF)
			return bad_head(h, "a line ends in a bare LF, not CRLF");
		if (ls == LINE_MORE) {
			memset(h, 0, sizeof(*h));
			return len >= SSTP_MAX_HEAD ? SSTP_HEAD_TOO_LONG :
			    SSTP_HEAD_MORE;
		}
		if (n == 0)
			break;
		if ((colon = memchr(p, ':', n)) == NULL)
			return bad_head(h, "a header line without a colon");
		nl = (size_t)(colon - p);
		if (name_is(p, nl, "server"))
			value(colon + 1, n - nl - 1, h->server,
			    sizeof(h->server));
		else if (name_is(p, nl, "content-length")) {
			h->has_length = true;
			value(colon + 1, n - nl - 1, h->length,
			    sizeof(h->length));
			/* length holds 23 characters: a longer value cut to
			 * fit can never equal these 20. */
			h->length_sstp = strcmp(h->length,
			    SSTP_CONTENT_LENGTH) == 0;
		}
	}
	h->head_len = c.off;
	return SSTP_HEAD_DONE;
}

size_t
sstp_call_connect_request(uint8_t *buf, size_t len)
{
	struct wbuf w;
	size_t n;

	/* [MS-SSTP] 2.2.9: version 1.0, C bit, 14 bytes; one attribute,
	 * Encapsulated Protocol ID (2.2.5), PPP. */
	wb_init(&w);
	wb_u8(&w, SSTP_VERSION);
	wb_u8(&w, 0x01);
	wb_be16(&w, 14);
	wb_be16(&w, SSTP_MSG_CALL_CONNECT_REQUEST);
	wb_be16(&w, 1);
	wb_u8(&w, 0);
	wb_u8(&w, SSTP_ATTR_ENCAPSULATED_PROTOCOL_ID);
	wb_be16(&w, 6);
	wb_be16(&w, SSTP_PROTOCOL_PPP);
	n = !w.failed && w.len <= len ? w.len : 0;
	if (n)
		memcpy(buf, w.buf, n);
	wb_free(&w);
	return n;
}

static enum sstp_ctrl_status
bad_ctrl(struct sstp_ctrl *k, const char *why)
{
	snprintf(k->problem, sizeof(k->problem), "%s", why);
	return SSTP_CTRL_MALFORMED;
}

enum sstp_ctrl_status
sstp_ctrl_parse(const uint8_t *buf, size_t len, struct sstp_ctrl *k)
{
	struct cursor c, pkt;

	memset(k, 0, sizeof(*k));
	if (len < 4)
		return SSTP_CTRL_MORE;
	cur_init(&c, buf, len);
	k->version = cur_u8(&c);
	k->control = cur_u8(&c) & 0x01;
	k->length = cur_be16(&c) & 0x0fff;	/* 2.2.1: 4 bits reserved */
	if (k->version != SSTP_VERSION)
		return bad_ctrl(k, "not SSTP version 1.0");
	if (!k->control)
		return bad_ctrl(k, "a data packet, not a control message");
	if (k->length < 8)
		return bad_ctrl(k, "a control packet shorter than 8 bytes");
	if (len < k->length)
		return SSTP_CTRL_MORE;
	cur_init(&pkt, buf + 4, k->length - 4);
	k->msg_type = cur_be16(&pkt);
	k->n_attrs = cur_be16(&pkt);
	/* 2.2.4: reserved, attribute ID, 12-bit length (its header too). */
	for (unsigned i = 0; i < k->n_attrs; i++) {
		struct cursor a;
		uint8_t id;
		size_t alen;

		cur_skip(&pkt, 1);
		id = cur_u8(&pkt);
		alen = cur_be16(&pkt) & 0x0fff;
		if (!cur_ok(&pkt))
			return bad_ctrl(k, "fewer attributes than the message says");
		if (alen < 4 || !cur_sub(&pkt, alen - 4, &a))
			return bad_ctrl(k, "an attribute overruns the packet");
		if (id == SSTP_ATTR_CRYPTO_BINDING_REQ) {
			/* 2.2.6: 3 reserved, the hash bitmask, a 32-byte nonce */
			cur_skip(&a, 3);
			k->hash_protocols = cur_u8(&a);
			cur_skip(&a, 32);
			if (!cur_ok(&a))
				return bad_ctrl(k, "a Crypto Binding Request "
				    "shorter than 40 bytes");
			k->has_binding_req = true;
		} else if (id == SSTP_ATTR_STATUS_INFO) {
			/* 2.2.8: 3 reserved, AttribID, Status, then a value */
			cur_skip(&a, 3);
			k->status_attr = cur_u8(&a);
			k->status = cur_be32(&a);
			if (!cur_ok(&a))
				return bad_ctrl(k, "a Status Info shorter than "
				    "12 bytes");
			k->has_status = true;
		}
	}
	if (!cur_ok(&pkt))
		return bad_ctrl(k, "the message is cut short");
	return SSTP_CTRL_DONE;
}

const char *
sstp_msg_name(uint16_t t)
{
	static const char *const names[] = {
		NULL, "CALL_CONNECT_REQUEST", "CALL_CONNECT_ACK",
		"CALL_CONNECT_NAK", "CALL_CONNECTED", "CALL_ABORT",
		"CALL_DISCONNECT", "CALL_DISCONNECT_ACK", "ECHO_REQUEST",
		"ECHO_RESPONSE",
	};

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : NULL;
}
