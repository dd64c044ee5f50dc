/* IP, UDP and ICMP: building our datagrams and decoding captured frames.
 * Addresses carry their family, so that IPv6 slots in beside IPv4 without
 * changing the probe, observation and verdict types that hold them. */
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

#define IPV4_HDR_LEN	20
#define UDP_HDR_LEN	8
#define ICMP_HDR_LEN	8
#define IP_MAXPACKET_	65535

/* Link types we decode (pcap DLT values, fixed by the pcap spec). */
#define LINK_NULL	0
#define LINK_EN10MB	1
#define LINK_RAW	12
#define LINK_RAW_ALT	101
#define LINK_SLL	113
#define LINK_IPV4	228
#define LINK_SLL2	276

struct udp_spec {
	struct ip_addr	 src, dst;
	uint16_t	 sport, dport;
	uint16_t	 ip_id;
	bool		 df;
	uint8_t		 ttl;
	const uint8_t	*payload;
	size_t		 len;
};

/* Whole IPv4 datagram (header + UDP + payload) into w. */
void	 pkt_build_udp4(struct wbuf *, const struct udp_spec *);
/* Split an IPv4 datagram into fragments whose IP payload is at most
 * frag_payload bytes (rounded down to a multiple of 8). Returns the count
 * written to out[] (each a separate wbuf), or -1 if max is too small. */
int	 pkt_fragment4(const uint8_t *, size_t, size_t frag_payload,
	    struct wbuf *out, int max);

enum pkt_status {
	PKT_OK,
	PKT_NOT_IP,		/* another protocol: not ours to judge */
	PKT_TRUNCATED,		/* capture shorter than the headers say */
	PKT_MALFORMED,
};

/* What an ICMP error quotes of the packet that caused it. */
struct pkt_quote {
	bool		 valid;
	struct ip_addr	 src, dst;
	uint8_t		 proto;
	uint16_t	 ip_id;
	uint16_t	 ip_len;
	uint16_t	 frag_off;	/* bytes */
	bool		 df;
	bool		 has_ports;
	uint16_t	 sport, dport;
	const uint8_t	*data;		/* after the UDP header, if any */
	size_t		 data_len;
};

struct pkt {
	struct ip_addr	 src, dst;
	uint8_t		 proto;
	uint8_t		 ttl;
	uint16_t	 ip_id;
	uint16_t	 ip_len;	/* total length from the header */
	uint16_t	 frag_off;	/* bytes */
	bool		 df, mf;
	const uint8_t	*ip;		/* start of the IP header */
	const uint8_t	*l4;		/* IP payload (fragment data if fragmented) */
	size_t		 l4_len;

	/* UDP, when proto is UDP and the datagram is not a fragment */
	bool		 is_udp;
	uint16_t	 sport, dport;
	const uint8_t	*udp_data;
	size_t		 udp_len;

	/* ICMP errors */
	bool		 is_icmp;
	uint8_t		 icmp_type, icmp_code;
	uint16_t	 icmp_mtu;	/* next-hop MTU (type 3 code 4) */
	struct pkt_quote quote;

	char		 problem[96];
};

static inline bool
pkt_is_fragment(const struct pkt *p)
{
	return p->mf || p->frag_off != 0;
}

/* Find the IP header in a captured frame of the given link type. */
enum pkt_status pkt_decode_frame(int link, const uint8_t *, size_t, struct pkt *);
/* Decode an IP datagram (from a frame or from reassembly). */
enum pkt_status pkt_decode_ip(const uint8_t *, size_t, struct pkt *);

uint16_t inet_cksum(const void *, size_t, uint32_t);
const char *icmp_name(int type, int code);

#endif
