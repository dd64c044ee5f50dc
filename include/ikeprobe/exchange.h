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
#include "ikeprobe/ike_msg.h"
#include "ikeprobe/kex.h"
#include "ikeprobe/packet.h"

#define XMIT_MAX_DGRAMS	64

struct xmit_unit {
	int		 family;
	struct wbuf	 dgram[XMIT_MAX_DGRAMS];
	int		 n;
	uint32_t	 ip_id;		/* of every datagram (IPv4: 16 bits) */
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
	struct xmit_unit unit;
};

/* An IKE_SA_INIT request. */
struct sa_init_params {
	const struct ip_addr *src, *dst;
	uint16_t	 sport, dport;
	const struct kex_value *kex;
	bool		 stateless;	/* leave the KE group out of the proposals */
	const uint8_t	*spi_i;		/* reuse (a COOKIE echo), or NULL: fresh */
	const uint8_t	*nonce;		/* reuse, or NULL: fresh */
	size_t		 nonce_len;
	const uint8_t	*cookie;	/* echoed, or NULL */
	size_t		 cookie_len;
	size_t		 size;		/* IP datagram bytes; 0: the natural size */
	bool		 df;
	size_t		 frag_size;	/* fragment by us into datagrams of this
					 * size; 0: one datagram */
};

/* Build the request and its unit; 0, or -1 with a reason in err. */
int	 exchange_sa_init(struct exchange *, const struct sa_init_params *,
	    char *err, size_t errlen);
void	 exchange_free(struct exchange *);

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
