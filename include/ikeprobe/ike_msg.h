/* IKE messages we build (IKE_SA_INIT, and the inner payloads of IKE_AUTH
 * and INFORMATIONAL) and the replies we decode. */
#ifndef IKEPROBE_IKE_MSG_H
#define IKEPROBE_IKE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikeprobe/cursor.h"
#include "ikeprobe/ike.h"

#define IKE_NONCE_DEFAULT	32
#define IKE_NONCE_MAX		256	/* RFC 7296 3.9 */
#define IKE_KE_MAX		512	/* MODP_4096 public value */
#define IKE_COOKIE_MAX		64	/* RFC 7296 2.6: 1-64 bytes */
#define IKE_VID_MAX		64	/* we keep this much of each Vendor ID */
#define IKE_NATD_LEN		20	/* SHA-1 of SPIs, address, port (RFC 7296 2.23) */

/* One transform as offered: type, ID and key length in bits (0: none). */
struct ike_xform {
	uint8_t		 type;
	uint16_t	 id;
	uint16_t	 keylen;
};

#define IKE_OFFER_PROPS		8
#define IKE_OFFER_XFORMS	40

/* An SA payload's proposals, numbered 1.. in order (the proposal audit's
 * offers; the usual request's broad offer is ike_build.c's own). */
struct ike_offer {
	struct ike_offer_prop {
		struct ike_xform x[IKE_OFFER_XFORMS];
		int		 n;
	}		 prop[IKE_OFFER_PROPS];
	int		 n;
};

struct ike_sa_init_req {
	uint8_t		 spi_i[IKE_SPI_LEN];
	const uint8_t	*nonce;
	size_t		 nonce_len;
	uint16_t	 ke_group;
	const uint8_t	*ke;
	size_t		 ke_len;
	/* Leave this group out of every proposal: with a KE payload for it the
	 * responder must answer INVALID_KE_PAYLOAD and keeps no state. */
	uint16_t	 omit_group;
	bool		 omit;
	const uint8_t	*cookie;	/* echoed COOKIE notify data, or NULL */
	size_t		 cookie_len;
	size_t		 pad_len;	/* total bytes of the padding notify, 0 or >= 8 */
	/* NAT_DETECTION_SOURCE_IP and _DESTINATION_IP data (IKE_NATD_LEN
	 * bytes each), or NULL to leave both notifies out. */
	const uint8_t	*natd_src;
	const uint8_t	*natd_dst;
	/* Leave IKEV2_FRAGMENTATION_SUPPORTED out: the IKE SA is then made
	 * without RFC 7383, and a large IKE_AUTH reply comes IP-fragmented. */
	bool		 no_fragmentation;
	/* These proposals instead of the broad offer (omit_group then plays
	 * no part: the offer is taken as it is), or NULL. */
	const struct ike_offer *offer;
};

/* Build an IKE_SA_INIT request into w (IKE header onwards). */
void	 ike_build_sa_init(struct wbuf *, const struct ike_sa_init_req *);
/* The inner payloads of an IKE_AUTH request (ike_build.c). */
struct ike_auth_req {
	int		 family;	/* 4 or 6: of the traffic selectors, CP */
	uint8_t		 id_type;
	const uint8_t	*id;
	size_t		 id_len;
	const uint8_t	*ca_hashes;	/* n_ca_hashes SHA-1 hashes, or NULL */
	size_t		 n_ca_hashes;
	const uint8_t	*cert;		/* our certificate (DER), or NULL */
	size_t		 cert_len;
	uint8_t		 auth_method;
	const uint8_t	*auth;		/* our AUTH data, or NULL: EAP */
	size_t		 auth_len;
	uint8_t		 esp_spi[4];
};

/* The inner payload chain into w; *first is the type of the first. */
void	 ike_build_auth(struct wbuf *, const struct ike_auth_req *,
	    uint8_t *first);
/* An INFORMATIONAL's inner payloads deleting the IKE SA. */
void	 ike_build_delete(struct wbuf *, uint8_t *first);

/* Bytes of the padding notify's header; smaller paddings are not possible. */
#define IKE_PAD_MIN	8

enum ike_parse_status {
	IKE_PARSE_OK,
	IKE_PARSE_TRUNCATED,	/* fewer bytes than the message says */
	IKE_PARSE_MALFORMED,	/* lengths or fields that cannot be right */
};

/* The class of reply that decides what a port answer means. */
enum ike_reply_kind {
	IKE_REPLY_NONE,
	IKE_REPLY_SA,		/* SA + KE + Nonce: a half-open SA now exists */
	IKE_REPLY_COOKIE,
	IKE_REPLY_INVALID_KE,
	IKE_REPLY_NO_PROPOSAL,
	IKE_REPLY_ERROR,	/* another error notify */
	IKE_REPLY_OTHER,	/* valid, but none of the above */
};

struct ike_transform {
	uint8_t		 type;
	uint16_t	 id;
	int		 key_length;	/* bits, -1 if no attribute */
};

#define IKE_MAX_TRANSFORMS	8
#define IKE_MAX_NOTIFIES	32
#define IKE_MAX_VIDS		8
/* A multihomed responder may send several NAT_DETECTION_SOURCE_IP
 * (RFC 7296 2.23): one per address it may answer from. */
#define IKE_MAX_NATD_SRC	4

struct ike_vid {
	uint8_t		 data[IKE_VID_MAX];
	size_t		 len;		/* bytes kept */
	size_t		 full_len;	/* bytes on the wire */
};

struct ike_reply {
	enum ike_parse_status status;
	char		 problem[160];	/* why, when status != OK */
	enum ike_reply_kind kind;

	uint8_t		 spi_i[IKE_SPI_LEN];
	uint8_t		 spi_r[IKE_SPI_LEN];
	uint8_t		 version;
	uint8_t		 exchange;
	uint8_t		 flags;
	uint32_t	 msgid;
	uint32_t	 length;	/* from the header */

	bool		 has_sa;
	struct ike_transform chosen[IKE_MAX_TRANSFORMS];
	int		 n_chosen;
	int		 n_proposals;

	bool		 has_ke;
	uint16_t	 ke_group;
	size_t		 ke_len;
	size_t		 ke_off;	/* the public value, in the message */

	bool		 has_nonce;
	size_t		 nonce_len;
	size_t		 nonce_off;	/* the nonce's bytes, in the message */

	/* An SK or SKF payload (RFC 7296 3.14, RFC 7383 2.5): the last of
	 * the message; what it holds is for ike_open() to decrypt. */
	bool		 has_sk;
	bool		 skf;
	uint8_t		 sk_np;		/* the first inner payload */
	size_t		 sk_off;	/* its generic header, in the message */
	uint16_t	 frag_num, frag_total;	/* SKF: this one of how many */

	uint16_t	 notifies[IKE_MAX_NOTIFIES];	/* in order received */
	int		 n_notifies;	/* stored */
	int		 n_notifies_total;
	uint16_t	 invalid_ke_group;	/* from INVALID_KE_PAYLOAD */
	uint8_t		 cookie[IKE_COOKIE_MAX];
	size_t		 cookie_len;
	bool		 frag_supported;
	bool		 has_redirect;
	/* NAT_DETECTION_* data of the right length, in order received; one of
	 * another length makes the reply malformed and is not kept. */
	uint8_t		 natd_src[IKE_MAX_NATD_SRC][IKE_NATD_LEN];
	int		 n_natd_src;
	uint8_t		 natd_dst[IKE_NATD_LEN];
	bool		 has_natd_dst;

	struct ike_vid	 vids[IKE_MAX_VIDS];
	int		 n_vids;
	int		 n_vids_total;
	int		 n_certreq;
	int		 n_payloads;
	int		 n_unknown_payloads;
};

/* Decode an IKE message (after any non-ESP marker). Never fails hard: the
 * status and problem say what was wrong, and what came before is kept. */
void	 ike_parse(const uint8_t *, size_t, struct ike_reply *);
/* Flag, as malformed, a message that cannot answer an IKE_SA_INIT request
 * (another exchange, no response flag, message ID not 0); the first problem
 * found is kept. */
void	 ike_check_sa_init_response(struct ike_reply *);
/* Peek the initiator SPI without a full parse (false if shorter). */
bool	 ike_peek_spi(const uint8_t *, size_t, uint8_t spi_i[8]);
const char *ike_reply_kind_name(enum ike_reply_kind);
bool	 ike_reply_has_notify(const struct ike_reply *, uint16_t);

/* What an IKE_AUTH or INFORMATIONAL response carries inside its SK
 * payload, decoded from the decrypted bytes (kept by the caller: the
 * offsets point into them). */
#define IKE_MAX_CERTS	8

struct ike_span {
	size_t		 off, len;
};

struct ike_inner {
	enum ike_parse_status status;
	char		 problem[160];
	int		 n_payloads;
	uint16_t	 notifies[IKE_MAX_NOTIFIES];
	int		 n_notifies;
	bool		 has_idr;
	uint8_t		 idr_type;
	struct ike_span	 idr;		/* IDr's body: type, reserved, data */
	struct ike_span	 cert[IKE_MAX_CERTS];	/* X.509 DER */
	uint8_t		 cert_encoding[IKE_MAX_CERTS];
	int		 n_certs, n_certs_total;
	int		 n_certreq;
	bool		 has_auth;
	uint8_t		 auth_method;
	struct ike_span	 auth;		/* AUTH data */
	bool		 has_eap;
	uint8_t		 eap_code, eap_id, eap_type;	/* type 0 when absent */
	uint8_t		 eap_op;	/* the type data's first byte (MSCHAPv2's OpCode) */
	bool		 has_cp, has_sa, has_ts;
	bool		 has_delete;
};

/* Decode the inner payload chain (first names the first payload). Never
 * fails hard: status and problem say what was wrong. */
void	 ike_parse_inner(const uint8_t *, size_t, uint8_t first, struct ike_inner *);
bool	 ike_inner_has_notify(const struct ike_inner *, uint16_t);

/* Vendor IDs we recognise: a name, or NULL. */
const char *ike_vid_name(const uint8_t *, size_t);

#endif
