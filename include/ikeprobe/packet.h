/* IP, UDP and ICMP: building our datagrams and decoding captured frames.
 *
 * This is where the address families differ, and the only place (with the
 * socket layer in net/): a decoded packet carries its family, a 32-bit
 * fragment ID (IPv4's 16 bits, IPv6's Fragment header's 32) and, for an
 * ICMP or ICMPv6 error, one family-neutral meaning, so that matching,
 * observations and verdicts never look at a type or code number. */
#ifndef IKEPROBE_PACKET_H
#define IKEPROBE_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikeprobe/cursor.h"

struct ip_addr {
	int		 family;	/* AF_INET, AF_INET6, 0 unset */
	uint8_t		 a[16];
};

#define IP_ADDR_STRLEN	46

/* Bytes of the address: 4 or 16. */
size_t	 ip_addr_len(const struct ip_addr *);
bool	 ip_addr_eq(const struct ip_addr *, const struct ip_addr *);
const char *ip_addr_str(const struct ip_addr *, char *, size_t);
bool	 ip_addr_parse(const char *, struct ip_addr *);
/* "IPv4" or "IPv6", and "ipv4" or "ipv6" for the report. */
const char *ip_family_name(int family);
const char *ip_family_key(int family);

#define IPV4_HDR_LEN	20
#define IPV6_HDR_LEN	40
#define IPV6_FRAG_LEN	8	/* the Fragment extension header */
#define UDP_HDR_LEN	8
#define ICMP_HDR_LEN	8
#define TCP_HDR_LEN	20

/* Transport protocol numbers a session's signature names (session.h). */
#define IP_PROTO_TCP	6
#define IP_PROTO_UDP	17

#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04
#define TCP_ACK		0x10
#define IP_MAXPACKET_	65535

/* Bytes of IP header before the UDP header of our own datagrams. */
size_t	 ip_hdr_len(int family);
/* Does a datagram carry an ID: IPv4 always, IPv6 only when fragmented
 * (in its Fragment header)? */
bool	 ip_has_id(int family, bool fragmented);
/* The ID as it goes on the wire: IPv4's 16 bits, IPv6's 32. */
uint32_t ip_id_wire(int family, uint32_t id);
/* May a router on the path fragment a datagram sent whole? Only IPv4
 * without DF: IPv6 routers never fragment (RFC 8200 5). */
bool	 ip_path_fragments(int family, bool df);
/* The smallest datagram every link of the family carries whole: below it
 * no path fragments (RFC 791's 576 for IPv4, RFC 8200's 1280 for IPv6). */
size_t	 ip_min_mtu(int family);

/* Link types we decode (pcap DLT values, fixed by the pcap spec). */
#define LINK_NULL	0
#define LINK_EN10MB	1
#define LINK_RAW	12
#define LINK_LOOP	108
#define LINK_RAW_ALT	101
#define LINK_SLL	113
#define LINK_IPV4	228
#define LINK_IPV6	229
#define LINK_SLL2	276

struct udp_spec {
	struct ip_addr	 src, dst;
	uint16_t	 sport, dport;
	uint32_t	 ip_id;		/* IPv4: the low 16 bits */
	bool		 df;
	uint8_t		 ttl;
	const uint8_t	*payload;
	size_t		 len;
};

/* A whole IP datagram (header + UDP + payload) into w, of the family of
 * src; w->failed if it cannot be built (too long, no such family). */
void	 pkt_build_udp(struct wbuf *, const struct udp_spec *);
/* Split a datagram of ours into fragments carrying at most frag_payload
 * bytes of it each (rounded down to a multiple of 8). Returns the count
 * written to out[] (each a separate wbuf), or -1 if max is too small. */
int	 pkt_fragment(int family, const uint8_t *, size_t, size_t frag_payload,
	    uint32_t id, struct wbuf *out, int max);
/* Fragment payload bytes for fragments of frag_size bytes in all. */
size_t	 pkt_frag_payload(int family, size_t frag_size);

enum pkt_status {
	PKT_OK,
	PKT_NOT_IP,		/* another protocol: not ours to judge */
	PKT_TRUNCATED,		/* capture shorter than the headers say */
	PKT_MALFORMED,
};

/* What an ICMP or ICMPv6 error says about the packet it quotes, whatever
 * its family: the meanings verdicts rest on. One table (packet.c) maps
 * each family's types and codes to these. */
#define ICMP_MEANING_LIST(X) \
	X(ICMP_NONE, "none")			/* not an error */ \
	X(ICMP_PORT_UNREACH, "port-unreachable")	/* nothing listens */ \
	X(ICMP_ADMIN_PROHIBITED, "admin-prohibited")	/* a firewall refuses */ \
	X(ICMP_UNREACH, "unreachable")		/* no route, host, network */ \
	X(ICMP_TOO_BIG, "too-big")		/* needs fragmenting; MTU */ \
	X(ICMP_REASM_TIMEOUT, "reassembly-timeout")	/* fragments missing */ \
	X(ICMP_TTL_EXCEEDED, "ttl-exceeded")	/* a loop, or too far */ \
	X(ICMP_PARAM_PROBLEM, "parameter-problem")	/* a header refused */ \
	X(ICMP_NOT_LOSS, "not-loss")		/* redirect, source quench */ \
	X(ICMP_OTHER, "other")

#define ICMP_MEANING_ENUM(e, key)	e,
enum icmp_meaning {
	ICMP_MEANING_LIST(ICMP_MEANING_ENUM)
};
#undef ICMP_MEANING_ENUM

enum icmp_meaning icmp_classify(int family, uint8_t type, uint8_t code);
const char *icmp_meaning_key(enum icmp_meaning);
/* The name of the family's type and code ("port unreachable"). */
const char *icmp_name(int family, int type, int code);

/* What an ICMP error quotes of the packet that caused it. */
struct pkt_quote {
	bool		 valid;
	struct ip_addr	 src, dst;
	uint8_t		 proto;		/* the transport (after any Fragment header) */
	bool		 has_id;	/* IPv4 always; IPv6 with a Fragment header */
	uint32_t	 ip_id;
	uint32_t	 ip_len;	/* bytes of IP datagram, header included */
	uint16_t	 frag_off;	/* bytes */
	bool		 df;
	bool		 has_ports;	/* UDP's or TCP's */
	uint16_t	 sport, dport;
	const uint8_t	*data;		/* after the UDP header, if any */
	size_t		 data_len;
};

struct pkt {
	int		 family;
	struct ip_addr	 src, dst;
	uint8_t		 proto;		/* the transport */
	uint8_t		 ttl;
	bool		 has_id;	/* an IPv6 datagram has one only when fragmented */
	uint32_t	 ip_id;
	uint32_t	 ip_len;	/* total length, header included */
	uint16_t	 frag_off;	/* bytes */
	bool		 df, mf;
	const uint8_t	*ip;		/* start of the IP header */
	size_t		 hdr_len;	/* header bytes before l4 (IPv6: with extensions) */
	const uint8_t	*l4;		/* IP payload (fragment data if fragmented) */
	size_t		 l4_len;

	/* UDP, when proto is UDP and the datagram is not a fragment */
	bool		 is_udp;
	uint16_t	 sport, dport;	/* UDP's, or TCP's */
	const uint8_t	*udp_data;
	size_t		 udp_len;

	/* TCP, when proto is TCP and the segment's header is whole: what
	 * the SSTP check reads of a connection (its handshake and reset) */
	bool		 is_tcp;
	uint8_t		 tcp_flags;	/* TCP_SYN, ... */
	uint32_t	 tcp_seq;
	size_t		 tcp_payload;	/* bytes after the TCP header */
	const uint8_t	*tcp_data;	/* and where they are */

	/* ICMP and ICMPv6 errors */
	bool		 is_icmp;
	uint8_t		 icmp_type, icmp_code;
	enum icmp_meaning icmp_meaning;
	uint32_t	 icmp_mtu;	/* next-hop MTU of a "too big" */
	struct pkt_quote quote;

	int		 reasm_frags;	/* fragments it was put together from */
	char		 problem[96];
};

static inline bool
pkt_is_fragment(const struct pkt *p)
{
	return p->mf || p->frag_off != 0;
}

/* Find the IP header in a captured frame of the given link type. */
enum pkt_status pkt_decode_frame(int link, const uint8_t *, size_t, struct pkt *);
/* Where that header starts in the frame; len when there is none. */
size_t	 pkt_frame_ip_offset(int link, const uint8_t *, size_t);
/* Decode an IP datagram (from a frame or from reassembly). */
enum pkt_status pkt_decode_ip(const uint8_t *, size_t, struct pkt *);
/* A datagram reassembled from fragments: the first fragment's header (up
 * to the fragmentable part) and the whole payload, into out. */
bool	 pkt_rebuild(int family, const uint8_t *hdr, size_t hdr_len,
	    const uint8_t *payload, size_t len, struct wbuf *out);

uint16_t inet_cksum(const void *, size_t, uint32_t);

#endif
