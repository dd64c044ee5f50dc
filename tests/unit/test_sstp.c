/* SSTP's wire (src/wire/sstp.c): the request and the Call Connect Request
 * byte for byte as [MS-SSTP] and sstpc have them, and the parsers on what
 * servers answer: an SSTP server's 200 and Ack as the lab's server sends
 * them (checked against sstpc in the lab), a Nak, a web server's 404, and
 * every prefix and corruption of them, each from a buffer of exactly its
 * length so that AddressSanitizer sees any read past it. */
#include <stdlib.h>

#include "check.h"
#include "ikeprobe/sstp.h"

static const char ok_head[] =
    "HTTP/1.1 200\r\nContent-Length: 18446744073709551615\r\n"
    "Server: Microsoft-HTTPAPI/2.0\r\nDate: Wed, 02 Dec 2026 22:00:00 GMT\r\n\r\n";

/* 2.2.10: 48 bytes, one Crypto Binding Request (hash bitmask 3). */
static const uint8_t ack[48] = {
	0x10, 0x01, 0x00, 0x30, 0x00, 0x02, 0x00, 0x01,
	0x00, 0x04, 0x00, 0x28, 0x00, 0x00, 0x00, 0x03,
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

/* 2.2.12: a Nak with Status Info (attribute 1, status 4: not supported,
 * and the value it refused). */
static const uint8_t nak[22] = {
	0x10, 0x01, 0x00, 0x16, 0x00, 0x03, 0x00, 0x01,
	0x00, 0x02, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x04, 0x00, 0x01,
};

/* p[0..n) in a buffer of exactly n bytes. */
static uint8_t *
exact(const void *p, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);

	if (b && n)
		memcpy(b, p, n);
	return b;
}

/* The head in s, from a buffer of exactly its length. */
static enum sstp_head_status
parse_str(const char *s, struct sstp_http_head *h)
{
	size_t n = strlen(s);
	uint8_t *b = exact(s, n);
	enum sstp_head_status st = sstp_http_parse(b, n, h);

	free(b);
	return st;
}

static void
test_request(void)
{
	char buf[512];
	size_t n = sstp_http_request(buf, sizeof(buf), "vpn.example.net",
	    "0BDD1DE0-4E9F-4A7E-9E4D-8C3B7B6B9F10");
	const char want[] = "SSTP_DUPLEX_POST "
	    "/sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n"
	    "Host: vpn.example.net\r\n"
	    "Content-Length: 18446744073709551615\r\n"
	    "SSTPCORRELATIONID: {0BDD1DE0-4E9F-4A7E-9E4D-8C3B7B6B9F10}\r\n\r\n";

	CHECK_EQ(n, strlen(want));
	CHECK_STR(buf, want);
	/* A name that would end the header early, or none, is refused. */
	CHECK_EQ(sstp_http_request(buf, sizeof(buf), "a\r\nX-Evil: 1", "G"), 0);
	CHECK_EQ(sstp_http_request(buf, sizeof(buf), "a b", "G"), 0);
	CHECK_EQ(sstp_http_request(buf, sizeof(buf), "", "G"), 0);
	CHECK_EQ(sstp_http_request(buf, sizeof(buf), "h", "G\n"), 0);
	/* It fits, or nothing is claimed. */
	CHECK_EQ(sstp_http_request(buf, 40, "vpn.example.net", "G"), 0);
}

static void
test_call_connect(void)
{
	static const uint8_t want[14] = { 0x10, 0x01, 0x00, 0x0e, 0x00, 0x01,
	    0x00, 0x01, 0x00, 0x01, 0x00, 0x06, 0x00, 0x01 };
	uint8_t buf[32];
	struct sstp_ctrl k;

	CHECK_EQ(sstp_call_connect_request(buf, sizeof(buf)), 14);
	CHECK(memcmp(buf, want, 14) == 0);
	CHECK_EQ(sstp_call_connect_request(buf, 13), 0);
	/* Our own request reads back as what it is. */
	CHECK_EQ(sstp_ctrl_parse(want, sizeof(want), &k), SSTP_CTRL_DONE);
	CHECK_EQ(k.msg_type, SSTP_MSG_CALL_CONNECT_REQUEST);
	CHECK_EQ(k.n_attrs, 1);
	CHECK_STR(sstp_msg_name(k.msg_type), "CALL_CONNECT_REQUEST");
}

static void
test_head_ok(void)
{
	size_t hl = strlen(ok_head), n = hl + sizeof(ack);
	uint8_t *all = malloc(n), *b;
	struct sstp_http_head h;
	struct sstp_ctrl k;

	memcpy(all, ok_head, hl);
	memcpy(all + hl, ack, sizeof(ack));
	b = exact(all, n);
	CHECK_EQ(sstp_http_parse(b, n, &h), SSTP_HEAD_DONE);
	CHECK_EQ(h.status, 200);
	CHECK_STR(h.reason, "");
	CHECK_STR(h.server, "Microsoft-HTTPAPI/2.0");
	CHECK(h.has_length && h.length_sstp);
	CHECK_EQ(h.head_len, hl);
	CHECK_EQ(sstp_ctrl_parse(b + h.head_len, n - h.head_len, &k), SSTP_CTRL_DONE);
	CHECK_EQ(k.msg_type, SSTP_MSG_CALL_CONNECT_ACK);
	CHECK(k.has_binding_req && !k.has_status);
	CHECK_EQ(k.hash_protocols, 3);
	CHECK_EQ(k.length, 48);
	free(b);
	/* Every prefix of the head is MORE, never an early DONE. */
	for (size_t i = 0; i < hl; i++) {
		b = exact(all, i);
		CHECK_EQ(sstp_http_parse(b, i, &h), SSTP_HEAD_MORE);
		free(b);
	}
	/* Every prefix of the Ack is MORE. */
	for (size_t i = 0; i < sizeof(ack); i++) {
		b = exact(ack, i);
		CHECK_EQ(sstp_ctrl_parse(b, i, &k), SSTP_CTRL_MORE);
		free(b);
	}
	free(all);
}

static void
test_head_other(void)
{
	static const char iis[] = "HTTP/1.1 404 Not Found\r\n"
	    "Server: Microsoft-IIS/10.0\r\nContent-Type: text/html\r\n"
	    "content-length: 35\r\n\r\n<html><body>Not Found</body></html>";
	static const char ctl[] = "HTTP/1.0 503 Busy \r\nSERVER: \x1b[31mevil\x7f"
	    "\r\ncontent-length:  18446744073709551615 \r\n\r\n";
	struct sstp_http_head h;
	uint8_t *b = exact(iis, strlen(iis)), *big;

	CHECK_EQ(sstp_http_parse(b, strlen(iis), &h), SSTP_HEAD_DONE);
	CHECK_EQ(h.status, 404);
	CHECK_STR(h.reason, "Not Found");
	CHECK_STR(h.server, "Microsoft-IIS/10.0");
	CHECK(h.has_length && !h.length_sstp);
	CHECK_STR(h.length, "35");
	CHECK_EQ(h.head_len, strlen(iis) - 35);
	free(b);
	/* Header names in any case; values made printable and trimmed. */
	b = exact(ctl, strlen(ctl));
	CHECK_EQ(sstp_http_parse(b, strlen(ctl), &h), SSTP_HEAD_DONE);
	CHECK_EQ(h.status, 503);
	CHECK_STR(h.reason, "Busy");
	CHECK_STR(h.server, "?[31mevil?");
	CHECK(h.length_sstp);
	free(b);
	/* Not HTTP: told at once, not after 8 KB. */
	b = exact("SSH-2.0-OpenSSH_9.2\r\n", 21);
	CHECK_EQ(sstp_http_parse(b, 21, &h), SSTP_HEAD_MALFORMED);
	CHECK(h.problem[0] != '\0');
	free(b);
	b = exact("HTTP/1.1 2000 x\r\n\r\n", 19);
	CHECK_EQ(sstp_http_parse(b, 19, &h), SSTP_HEAD_MALFORMED);
	free(b);
	b = exact("HTTP/1.1 200\r\nno colon here\r\n\r\n", 31);
	CHECK_EQ(sstp_http_parse(b, 31, &h), SSTP_HEAD_MALFORMED);
	free(b);
	/* Garbage is told from its first bytes. */
	CHECK_EQ(parse_str("SSH", &h), SSTP_HEAD_MALFORMED);
	/* A bare LF is not a line end (sstp.h): refused in the status line
	 * and in a header, wherever the head would end. */
	CHECK_EQ(parse_str("HTTP/1.1 200 OK\n\n", &h), SSTP_HEAD_MALFORMED);
	CHECK(strstr(h.problem, "bare LF") != NULL);
	CHECK_EQ(parse_str("HTTP/1.1 200\r\nServer: x\nDate: y\r\n\r\n", &h),
	    SSTP_HEAD_MALFORMED);
	CHECK_EQ(h.status, 200);
	CHECK_STR(h.server, "");
	CHECK_EQ(parse_str("HTTP/1.1 200\r\nServer: x\r\n\n", &h),
	    SSTP_HEAD_MALFORMED);
	/* A lone CR in a value is no line end either, only made '?'. */
	CHECK_EQ(parse_str("HTTP/1.1 200\r\nServer: a\rb\r\n\r\n", &h),
	    SSTP_HEAD_DONE);
	CHECK_STR(h.server, "a?b");
	/* A header that never ends: TOO_LONG at SSTP_MAX_HEAD, whatever
	 * more there is; up to it, MORE. Well-formed header lines, so that
	 * only the length is wrong. */
	big = malloc(SSTP_MAX_HEAD + 100);
	memcpy(big, "HTTP/1.1 200 OK\r\n", 17);
	for (size_t i = 17; i < SSTP_MAX_HEAD + 100; i++)
		big[i] = (i - 17) % 64 == 62 ? '\r' : (i - 17) % 64 == 63 ?
		    '\n' : (i - 17) % 64 == 1 ? ':' : 'X';
	CHECK_EQ(sstp_http_parse(big, SSTP_MAX_HEAD - 1, &h), SSTP_HEAD_MORE);
	CHECK_EQ(sstp_http_parse(big, SSTP_MAX_HEAD, &h), SSTP_HEAD_TOO_LONG);
	CHECK_EQ(sstp_http_parse(big, SSTP_MAX_HEAD + 100, &h), SSTP_HEAD_TOO_LONG);
	/* A head that ends on the last byte allowed is taken. */
	memcpy(big + SSTP_MAX_HEAD - 4, "\r\n\r\n", 4);
	CHECK_EQ(sstp_http_parse(big, SSTP_MAX_HEAD + 100, &h), SSTP_HEAD_DONE);
	CHECK_EQ(h.head_len, SSTP_MAX_HEAD);
	free(big);
	/* Every prefix of the 404's head is MORE as well. */
	for (size_t i = 0; i < strlen(iis) - 35; i++) {
		b = exact(iis, i);
		CHECK_EQ(sstp_http_parse(b, i, &h), SSTP_HEAD_MORE);
		free(b);
	}
}

static void
test_ctrl(void)
{
	struct sstp_ctrl k;
	uint8_t bad[sizeof(ack)], *b;

	b = exact(nak, sizeof(nak));
	CHECK_EQ(sstp_ctrl_parse(b, sizeof(nak), &k), SSTP_CTRL_DONE);
	CHECK_EQ(k.msg_type, SSTP_MSG_CALL_CONNECT_NAK);
	CHECK(k.has_status && !k.has_binding_req);
	CHECK_EQ(k.status_attr, SSTP_ATTR_ENCAPSULATED_PROTOCOL_ID);
	CHECK_EQ(k.status, 4);
	CHECK_STR(sstp_msg_name(k.msg_type), "CALL_CONNECT_NAK");
	free(b);
	/* A data packet (C clear), another version, a length below 8. */
	memcpy(bad, ack, sizeof(ack));
	bad[1] = 0;
	CHECK_EQ(sstp_ctrl_parse(bad, sizeof(bad), &k), SSTP_CTRL_MALFORMED);
	memcpy(bad, ack, sizeof(ack));
	bad[0] = 0x20;
	CHECK_EQ(sstp_ctrl_parse(bad, sizeof(bad), &k), SSTP_CTRL_MALFORMED);
	memcpy(bad, ack, sizeof(ack));
	bad[3] = 7;
	CHECK_EQ(sstp_ctrl_parse(bad, sizeof(bad), &k), SSTP_CTRL_MALFORMED);
	/* The reserved bits of the length field are not length. */
	memcpy(bad, ack, sizeof(ack));
	bad[2] = 0xf0;
	CHECK_EQ(sstp_ctrl_parse(bad, sizeof(bad), &k), SSTP_CTRL_DONE);
	/* An attribute longer than the packet, one shorter than its header,
	 * more attributes than there are. */
	memcpy(bad, ack, sizeof(ack));
	bad[11] = 0x29;
	CHECK_EQ(sstp_ctrl_parse(bad, sizeof(bad), &k), SSTP_CTRL_MALFORMED);
	memcpy(bad, ack, sizeof(ack));
	bad[11] = 0x03;
	CHECK_EQ(sstp_ctrl_parse(bad, sizeof(bad), &k), SSTP_CTRL_MALFORMED);
	memcpy(bad, ack, sizeof(ack));
	bad[7] = 2;
	CHECK_EQ(sstp_ctrl_parse(bad, sizeof(bad), &k), SSTP_CTRL_MALFORMED);
	/* A Crypto Binding Request too short for its nonce. */
	b = exact((const uint8_t[]){ 0x10, 0x01, 0x00, 0x10, 0x00, 0x02, 0x00,
	    0x01, 0x00, 0x04, 0x00, 0x08, 0x00, 0x00, 0x00, 0x03 }, 16);
	CHECK_EQ(sstp_ctrl_parse(b, 16, &k), SSTP_CTRL_MALFORMED);
	free(b);
	/* A Status Info too short for its status. */
	b = exact((const uint8_t[]){ 0x10, 0x01, 0x00, 0x10, 0x00, 0x03, 0x00,
	    0x01, 0x00, 0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01 }, 16);
	CHECK_EQ(sstp_ctrl_parse(b, 16, &k), SSTP_CTRL_MALFORMED);
	free(b);
	/* An attribute of an unknown ID is stepped over. */
	b = exact((const uint8_t[]){ 0x10, 0x01, 0x00, 0x18, 0x00, 0x03, 0x00,
	    0x02, 0x00, 0x7f, 0x00, 0x04, 0x00, 0x02, 0x00, 0x0c, 0x00, 0x00,
	    0x00, 0x01, 0x00, 0x00, 0x00, 0x04 }, 24);
	CHECK_EQ(sstp_ctrl_parse(b, 24, &k), SSTP_CTRL_DONE);
	CHECK(k.has_status);
	CHECK_EQ(k.status_attr, 1);
	CHECK_EQ(k.status, 4);
	free(b);
	/* Every prefix of the Nak is MORE. */
	for (size_t i = 0; i < sizeof(nak); i++) {
		b = exact(nak, i);
		CHECK_EQ(sstp_ctrl_parse(b, i, &k), SSTP_CTRL_MORE);
		free(b);
	}
	/* What follows the packet is not its: a data packet after the Ack
	 * changes nothing. */
	b = malloc(sizeof(ack) + 8);
	memcpy(b, ack, sizeof(ack));
	memcpy(b + sizeof(ack), "\x10\x00\x00\x08\xc0\x21\x01\x01", 8);
	CHECK_EQ(sstp_ctrl_parse(b, sizeof(ack) + 8, &k), SSTP_CTRL_DONE);
	CHECK_EQ(k.length, sizeof(ack));
	CHECK(k.has_binding_req && k.hash_protocols == 3);
	free(b);
	CHECK(sstp_msg_name(0) == NULL && sstp_msg_name(10) == NULL &&
	    sstp_msg_name(0xffff) == NULL);
	CHECK_STR(sstp_msg_name(5), "CALL_ABORT");
}

int
main(void)
{
	test_request();
	test_call_connect();
	test_head_ok();
	test_head_other();
	test_ctrl();
	return check_done();
}
