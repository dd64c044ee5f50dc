/* IKE exchanges. An exchange is one request and its response, identified
 * by (SPIi, SPIr, message ID) as RFC 7296 2.1 has it; it keeps both raw
 * messages (IKE_AUTH signs them), the key-exchange value whose secret it
 * needs, and the retransmission unit: every datagram one transmission of
 * the request sends (one, or IP fragments ikeprobe made; RFC 7383
 * fragments later), resent whole and bit-identical. */
#ifndef IKEPROBE_EXCHANGE_H
#define IKEPROBE_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikeprobe/cursor.h"
#include "ikeprobe/ikecrypto.h"
#include "ikeprobe/ike_msg.h"
#include "ikeprobe/kex.h"
#include "ikeprobe/packet.h"

#define XMIT_MAX_DGRAMS	64
#define EXCH_MAX_RX_FRAGS	32	/* SKF fragments of one answer */

struct xmit_unit {
	int		 family;
	struct wbuf	 dgram[XMIT_MAX_DGRAMS];
	int		 n;
	uint32_t	 ip_id;		/* of the first datagram (IPv4: 16 bits) */
	uint32_t	 dgram_id[XMIT_MAX_DGRAMS];	/* each one's; the IP
					 * fragments of one datagram share it */
	size_t		 size;		/* the IP datagram before fragmenting */
	bool		 df;
	size_t		 frag_payload;	/* bytes of it per fragment, 0: whole */
};

enum exch_state {
	EXCH_BUILT,
	EXCH_SENT,
	EXCH_ANSWERED,
};

struct exchange {
	uint8_t		 type;		/* enum ike_exchange */
	uint8_t		 spi_i[IKE_SPI_LEN];
	uint8_t		 spi_r[IKE_SPI_LEN];	/* zero until answered */
	uint32_t	 msgid;
	enum exch_state	 state;
	uint16_t	 sport, dport;
	struct wbuf	 request;	/* the IKE message as sent */
	struct wbuf	 response;	/* the first answer's IKE message */
	const struct kex_value *kex;	/* owned by the session, outlives us */
	uint8_t		 nonce[IKE_NONCE_MAX];
	size_t		 nonce_len;
	uint8_t		 cookie[IKE_COOKIE_MAX];	/* the COOKIE echoed */
	size_t		 cookie_len;
	struct xmit_unit unit;

	/* A protected exchange (IKE_AUTH, INFORMATIONAL): the IKE SA's keys,
	 * and the answer as it comes in: its SKF fragments (RFC 7383) until
	 * all are there, then its inner payloads, decrypted and decoded. */
	bool		 has_keys;
	struct ike_keys	 keys;
	bool		 fragmented;	/* the request went as SKF fragments */
	uint16_t	 rx_total;	/* SKF fragments announced, 0: whole */
	uint64_t	 rx_have;	/* which have come, bit n-1 for n */
	struct wbuf	 rx_piece[EXCH_MAX_RX_FRAGS];
	uint8_t		 rx_first;	/* the first inner payload */
	int		 rx_messages;	/* IKE messages of the answer taken */
	size_t		 rx_bytes;	/* and their bytes */
	size_t		 rx_largest;	/* the largest one */
	struct wbuf	 plain;		/* the inner payloads, decrypted */
	struct ike_inner inner;
};

/* An IKE_SA_INIT request. */
struct sa_init_params {
	const struct ip_addr *src, *dst;
	uint16_t	 sport, dport;
	const struct kex_value *kex;
	bool		 stateless;	/* leave the KE group out of the proposals */
	const struct ike_offer *offer;	/* these proposals instead (audit.h) */
	const uint8_t	*spi_i;		/* reuse (a COOKIE echo), or NULL: fresh */
	const uint8_t	*nonce;		/* reuse, or NULL: fresh */
	size_t		 nonce_len;
	const uint8_t	*cookie;	/* echoed, or NULL */
	size_t		 cookie_len;
	size_t		 size;		/* IP datagram bytes; 0: the natural size */
	bool		 df;
	size_t		 frag_size;	/* fragment by us into datagrams of this
					 * size; 0: one datagram */
	bool		 no_fragmentation;	/* do not offer RFC 7383 */
};

/* Build the request and its unit; 0, or -1 with a reason in err. */
int	 exchange_sa_init(struct exchange *, const struct sa_init_params *,
	    char *err, size_t errlen);

/* A protected request in the IKE SA that an answered IKE_SA_INIT exchange
 * made: IKE_AUTH with req, IKE_AUTH without (an empty continuation, which
 * ends an EAP conversation), or INFORMATIONAL deleting the SA. */
struct protected_params {
	const struct ip_addr *src, *dst;
	uint16_t	 sport, dport;
	const struct exchange *sa;	/* answered: its response and kex */
	const struct ike_reply *sa_reply;	/* that response decoded */
	uint8_t		 type;		/* IKE_AUTH or INFORMATIONAL */
	uint32_t	 msgid;
	const struct ike_auth_req *req;
	bool		 fragment;	/* RFC 7383 agreed: SKF when large */
	size_t		 frag_len;	/* IKE bytes per SKF fragment */
	size_t		 ip_frag_size;	/* else IP fragments of this size */
};

int	 exchange_protected(struct exchange *, const struct protected_params *,
	    char *err, size_t errlen);

/* What taking one answer message did. */
enum exch_take {
	EXCH_TAKE_DONE,		/* the answer is whole and decoded */
	EXCH_TAKE_PART,		/* one more SKF fragment of it */
	EXCH_TAKE_AGAIN,	/* a fragment (or answer) already taken */
	EXCH_TAKE_BAD,		/* not ours to believe: err says why */
};

/* Take one message answering a protected exchange: check and decrypt it,
 * keep SKF fragments until all are in. */
enum exch_take exchange_take(struct exchange *, const uint8_t *ike, size_t len,
	    char *err, size_t errlen);
void	 exchange_free(struct exchange *);
/* Does the unit send a datagram with this IP ID? */
bool	 unit_has_id(const struct xmit_unit *, uint32_t id);

/* Bytes of non-ESP marker before IKE on this port: 0 on 500, else 4 (any
 * other port is treated as the NAT-T port, RFC 3948). */
size_t	 ike_marker_len(uint16_t port);

/* How an IKE message's header relates to an exchange. */
enum exch_match {
	EXCH_NO,		/* another initiator SPI */
	EXCH_SAME_SA,		/* our SPI, but not this exchange's answer */
	EXCH_ANSWER,		/* a response with our SPIi, SPIr (or ours
				 * still unknown) and message ID */
};

enum exch_match exchange_match(const struct exchange *,
	    const uint8_t *ike, size_t len);
/* Keep the first answer: its raw bytes and the responder's SPI. */
void	 exchange_answered(struct exchange *, const uint8_t *ike, size_t len);

#endif
