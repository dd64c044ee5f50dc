/* SSTP's wire ([MS-SSTP]): the HTTP handshake a client opens with
 * (3.2.4.1) and the one control exchange ikeprobe makes, Call Connect
 * Request (2.2.9) answered by an Ack (2.2.10) or a Nak (2.2.12). What
 * comes back is hostile input: parsed with the cursor, every length
 * checked, nothing past the bounds below is read. No PPP, no credentials. */
#ifndef IKEPROBE_SSTP_H
#define IKEPROBE_SSTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikeprobe/cursor.h"

#define SSTP_PORT		443
#define SSTP_URI		"/sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/"
/* The Content-Length a client sends and an SSTP server echoes: 2^64-1. */
#define SSTP_CONTENT_LENGTH	"18446744073709551615"
#define SSTP_MAX_HEAD		8192	/* HTTP response head we read at most */
#define SSTP_VERSION		0x10
#define SSTP_MAX_PACKET		4095	/* the 12-bit length field */

#define SSTP_MSG_CALL_CONNECT_REQUEST	0x0001
#define SSTP_MSG_CALL_CONNECT_ACK	0x0002
#define SSTP_MSG_CALL_CONNECT_NAK	0x0003
#define SSTP_ATTR_ENCAPSULATED_PROTOCOL_ID 0x01
#define SSTP_ATTR_STATUS_INFO		0x02
#define SSTP_ATTR_CRYPTO_BINDING_REQ	0x04
#define SSTP_PROTOCOL_PPP		0x0001

/* The HTTP request of 3.2.4.1: SSTP_DUPLEX_POST to SSTP_URI, Host: host,
 * Content-Length: SSTP_CONTENT_LENGTH, SSTPCORRELATIONID: {correlation}
 * (a GUID string without braces). Into buf; its length, or 0 if it does
 * not fit, host is empty, or either holds anything but printable ASCII
 * (a CR or LF would end the header; a space or control has no place). */
size_t	 sstp_http_request(char *buf, size_t len, const char *host,
	    const char *correlation);

enum sstp_head_status {
	SSTP_HEAD_MORE,		/* no blank line yet, and room for more */
	SSTP_HEAD_DONE,
	SSTP_HEAD_TOO_LONG,	/* SSTP_MAX_HEAD bytes and no blank line */
	SSTP_HEAD_MALFORMED,	/* not HTTP/1.x: status line, no colon, bare LF */
};

struct sstp_http_head {
	int		 status;		/* 100-999 */
	char		 reason[64];		/* printable ASCII only */
	char		 server[128];		/* the Server header, "" none */
	bool		 has_length;
	bool		 length_sstp;		/* Content-Length is 2^64-1 */
	char		 length[24];		/* as sent (digits), when short */
	size_t		 head_len;		/* bytes up to and with CRLFCRLF */
	char		 problem[96];		/* MALFORMED: why */
};

/* The HTTP response head in the first len bytes received. DONE fills h;
 * what follows head_len is SSTP's. Lines end in CRLF: a bare LF is
 * MALFORMED, not a line end. Header names are matched without case;
 * values are kept printable (others become '?'). */
enum sstp_head_status sstp_http_parse(const uint8_t *, size_t len,
	    struct sstp_http_head *h);

/* The Call Connect Request (2.2.9): 14 bytes, one attribute, PPP. */
size_t	 sstp_call_connect_request(uint8_t *buf, size_t len);

enum sstp_ctrl_status {
	SSTP_CTRL_MORE,		/* fewer bytes than the packet's length */
	SSTP_CTRL_DONE,
	SSTP_CTRL_MALFORMED,
};

struct sstp_ctrl {
	uint8_t		 version;
	bool		 control;	/* the C bit */
	size_t		 length;	/* of the whole packet */
	uint16_t	 msg_type;	/* SSTP_MSG_*, or another */
	uint16_t	 n_attrs;
	/* Ack: its Crypto Binding Request's hash protocol bitmask (2.2.6) */
	bool		 has_binding_req;
	uint8_t		 hash_protocols;
	/* Nak: the Status Info attribute (2.2.8): which attribute, status */
	bool		 has_status;
	uint8_t		 status_attr;
	uint32_t	 status;
	char		 problem[96];	/* MALFORMED: why */
};

/* An SSTP control packet from the first len bytes after the HTTP head.
 * MORE until its length is in; a data packet (C bit clear), a version
 * other than 1.0, a length below 8 or an attribute overrunning the packet
 * are MALFORMED with problem set. */
enum sstp_ctrl_status sstp_ctrl_parse(const uint8_t *, size_t len,
	    struct sstp_ctrl *c);
const char *sstp_msg_name(uint16_t msg_type);	/* "CALL_CONNECT_ACK", NULL */

#endif
