/* A capture of someone's connection attempt, read and judged (ikeprobe
 * analyze). The flow is the live run's: frames (analyze/file.c) become
 * packets (wire/), packets become conversations, IKE SAs, exchanges and
 * the IP-fragmented datagrams they came in (analyze/track.c), those are
 * judged (analyze/judge.c), and the judgement is rendered (output/). Frame
 * numbers count from 1, as Wireshark numbers them.
 *
 * Everything is bounded: a capture of any size is streamed, and past each
 * table's size what comes is counted, not kept. */
#ifndef IKEPROBE_ANALYSIS_H
#define IKEPROBE_ANALYSIS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ikeprobe/cert.h"
#include "ikeprobe/clock.h"
#include "ikeprobe/ikecrypto.h"
#include "ikeprobe/ike_msg.h"
#include "ikeprobe/natd.h"
#include "ikeprobe/packet.h"
#include "ikeprobe/reasm.h"
#include "ikeprobe/report.h"
#include "ikeprobe/tlsrec.h"

#define AN_SCHEMA	"ikeprobe.analysis/1"

#define AN_FRAMES	12	/* frame numbers kept of one message's copies */
#define AN_EXCH		32	/* exchanges kept of one IKE SA */
#define AN_SAS		12	/* IKE SAs kept of one conversation */
#define AN_CONVS	8	/* conversations (client, gateway) kept */
#define AN_DGRAMS	128	/* IP-fragmented datagrams kept */
#define AN_DGRAM_FRAGS	64	/* fragments tracked of one datagram */
#define AN_NOTIFIES	8	/* notifies in clear kept of one message */
#define AN_FINDINGS	40
#define AN_KEYS		256	/* IKE SAs of a --keys file (more: left out) */
#define AN_SKF_ASM	4	/* SKF messages being put together at once */
#define AN_TCP		8	/* TCP 443 connections kept (SSTP) */
#define AN_TCP_KEEP	(64u << 10)	/* bytes read of each direction */

/* Frame numbers, in order; count may pass what is kept. */
struct an_frames {
	uint32_t	 n[AN_FRAMES];
	int		 count;
};

enum an_dir {
	AN_TO_GATEWAY,
	AN_FROM_GATEWAY,
};

/* One IKE message of an exchange (the request, or the response), with
 * every copy of it the capture holds: the same bytes again is a
 * retransmission. An RFC 7383 message is its SKF fragments. */
struct an_msg {
	bool		 seen;
	struct an_frames frames;	/* one per copy (per SKF fragment) */
	int		 copies;	/* of the message, or of its first SKF
					 * fragment */
	uint16_t	 sport, dport;
	size_t		 ike_len;	/* the largest copy's IKE bytes */
	size_t		 ip_len;	/* and its IP datagram's */
	int		 ip_frags;	/* IP fragments it came in; 0: whole */
	uint64_t	 hash;		/* of the first copy's bytes */
	usec_t		 first_ts, last_ts;

	/* What it says in clear. */
	enum ike_reply_kind kind;
	uint16_t	 notifies[AN_NOTIFIES];
	int		 n_notifies;
	bool		 frag_supported;
	bool		 cookie;	/* carries a COOKIE (request: echoes one) */
	uint16_t	 ke_group;
	bool		 has_sk;
	/* RFC 7383: SKF fragments, numbered 1..total; bit n-1 for n. */
	bool		 skf;
	uint16_t	 skf_total;
	uint64_t	 skf_have;
	struct natd_seen natd;		/* a full IKE_SA_INIT response's */
	bool		 malformed;
	char		 problem[160];

	/* Inside its SK payload, with --keys: the first copy (all of its
	 * SKF fragments) decrypted and decoded. */
	bool		 decrypted;
	char		 decrypt_error[160];
	uint16_t	 inner_notifies[AN_NOTIFIES];
	int		 n_inner_notifies;
	uint8_t		 eap_code;	/* 0: no EAP; 1-4 (RFC 3748) */
	uint8_t		 eap_type;
	uint8_t		 eap_op;	/* EAP-MSCHAPv2's OpCode (4: Failure) */
	int		 n_certs;
	bool		 has_auth, has_delete, has_idr;
};

struct an_exchange {
	uint8_t		 type;		/* enum ike_exchange */
	uint32_t	 msgid;
	enum an_dir	 asked;		/* who sent the request */
	struct an_msg	 req, resp;
};

struct an_sa {
	uint8_t		 spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
	uint32_t	 first_frame, last_frame;
	struct an_exchange ex[AN_EXCH];
	int		 n_ex, n_ex_total;
	bool		 floated;	/* went on to UDP 4500 */
	struct natd_seen natd;		/* from its IKE_SA_INIT answer */
	bool		 natd_known;
	/* ICMP errors quoting its requests (by the SPI quoted): the last. */
	unsigned long	 icmp;
	uint32_t	 icmp_frame;
	struct ip_addr	 icmp_from;
	int		 icmp_type, icmp_code;
	enum icmp_meaning icmp_meaning;
	uint16_t	 icmp_port;	/* the quoted destination port */
};

/* One IKE SA's keys, from a --keys file (Wireshark's IKEv2 decryption
 * table). */
struct an_key {
	uint8_t		 spi_i[IKE_SPI_LEN], spi_r[IKE_SPI_LEN];
	struct ike_keys	 keys;
	bool		 used;
};

/* An RFC 7383 message whose fragments are decrypted one by one. */
struct an_skf {
	bool		 busy;
	uint8_t		 spi_i[IKE_SPI_LEN];
	uint32_t	 msgid;
	bool		 response;
	uint16_t	 total;
	uint64_t	 have;
	uint8_t		 first_np;
	struct wbuf	 piece[64];
};

struct an_conv {
	struct ip_addr	 client, gateway;
	uint32_t	 first_frame, last_frame;
	struct an_sa	 sa[AN_SAS];
	int		 n_sa, n_sa_total;
	unsigned long	 esp[2];	/* by enum an_dir */
	uint32_t	 esp_first[2];	/* frame of the first */
	unsigned long	 keepalives;
	unsigned long	 ike_msgs;
	unsigned long	 malformed;
	uint32_t	 malformed_frame;
	/* The client's own ICMP "reassembly time exceeded" for the
	 * gateway's datagrams: it had pieces and waited for the rest. */
	struct an_frames reasm_icmp;
	/* The gateway's certificate (--keys), checked at the capture's time. */
	bool		 has_cert;
	uint32_t	 cert_frame;
	struct cert_info cert;
};

/* A TCP connection to port 443 (SSTP): its handshake, its resets, and
 * TLS as far as it is in clear; by enum an_dir (to the server, back). */
struct an_tcp {
	struct ip_addr	 client, server;
	uint16_t	 cport, sport;
	uint32_t	 first_frame, last_frame;
	usec_t		 first_ts;
	struct an_frames syn;
	uint32_t	 synack_frame;
	bool		 reset;
	enum an_dir	 reset_dir;
	uint32_t	 reset_frame;
	bool		 fin;
	bool		 seq_known[2];
	uint32_t	 next[2];
	bool		 gap[2];		/* a segment missing: read no further */
	uint32_t	 gap_frame[2];
	bool		 gap_cut[2];		/* ... cut by the snap length */
	unsigned long	 bytes[2];
	struct tls_side	 tls[2];
	bool		 has_cert;
	struct cert_info cert;		/* the server's, at the capture's time */
};

/* A datagram that came in IP fragments: which arrived. */
struct an_dgram {
	struct ip_addr	 src, dst;
	uint32_t	 id;
	uint8_t		 proto;
	int		 conv;		/* its conversation, or -1 */
	enum an_dir	 dir;
	uint16_t	 sport, dport;	/* from the first fragment (UDP) */
	struct an_frames frames;
	int		 n_frags;	/* fragments seen, copies too */
	int		 firsts;	/* copies of the first fragment */
	uint32_t	 total;		/* bytes of payload, once the last came */
	uint32_t	 have;		/* distinct payload bytes seen */
	uint16_t	 off[AN_DGRAM_FRAGS], len[AN_DGRAM_FRAGS];
	int		 n_pieces;
	bool		 complete;
	usec_t		 first_ts, last_ts;
};

struct an_finding {
	struct finding	 f;
	struct an_frames frames;	/* the evidence */
	int		 conv;		/* -1: the whole capture */
};

struct analysis {
	char		 file[512];
	char		 format[8];	/* "pcap", "pcapng" */
	int		 link;		/* the first interface's link type */
	char		 link_name[40];
	unsigned long	 frames;
	unsigned long	 bytes;
	usec_t		 first_ts, last_ts;
	bool		 truncated;	/* the file ends inside a record */
	char		 read_error[400];

	unsigned long	 not_ip, malformed, ike, other;
	unsigned long	 ikev1;		/* IKEv1 messages: counted, not read */
	uint32_t	 ikev1_frame;
	/* Frames the capture cut short (its snap length): the first. */
	unsigned long	 cut;
	uint32_t	 cut_frame;
	size_t		 cut_at;

	struct an_conv	 conv[AN_CONVS];
	int		 n_conv;
	unsigned long	 convs_dropped;	/* past AN_CONVS */
	struct an_dgram	 dgram[AN_DGRAMS];
	int		 n_dgram;
	unsigned long	 dgrams_dropped;
	struct an_tcp	 tcp[AN_TCP];
	int		 n_tcp;
	unsigned long	 tcp_dropped;

	struct reasm	 reasm;
	uint32_t	 frame_no;	/* the frame being read */

	struct an_key	 keys[AN_KEYS];
	int		 n_keys, keys_left_out;
	char		 keys_file[512];
	struct an_skf	 skf[AN_SKF_ASM];

	/* The judgement. */
	struct an_finding findings[AN_FINDINGS];
	int		 n_findings;
	char		 headline[400];
	enum severity	 worst;
	int		 exit_status;
};

void	 analysis_init(struct analysis *, const char *file);
void	 analysis_free(struct analysis *);
/* One captured frame: number (from 1), time, link type, bytes. */
void	 analysis_frame(struct analysis *, uint32_t no, usec_t ts, int link,
	    const uint8_t *, size_t);
/* Read a pcap or pcapng file into a: 0, or -1 with a->read_error (the
 * frames before a truncation are kept and a->truncated set, 0). */
int	 analysis_read(struct analysis *, const char *path);
/* From memory (the fuzz target): as analysis_read. */
int	 analysis_read_mem(struct analysis *, const uint8_t *, size_t);
/* Wireshark's IKEv2 decryption table (--keys): 0, or -1 with err naming
 * the line and what is wrong. */
int	 analysis_keys(struct analysis *, const char *path, char *err, size_t);
/* The same from memory (tests, the fuzz target). */
int	 analysis_keys_mem(struct analysis *, const char *text, size_t,
	    char *err, size_t);
/* The judgement: findings, headline, exit status. */
void	 analysis_judge(struct analysis *);

const char *an_dir_name(enum an_dir);
void	 an_frames_add(struct an_frames *, uint32_t no);
/* analyze/tcp.c, for the tracker: one TCP segment to or from port 443. */
void	 an_tcp_segment(struct analysis *, const struct pkt *, uint32_t no,
	    usec_t ts, size_t captured);
/* A TLS cipher suite's standard name (OpenSSL's table), or NULL. */
const char *an_cipher_name(uint16_t);

/* Renderers (output/): JSON (schema/analysis.schema.json), text wrapped
 * to cols, Markdown. */
struct json_object *analysis_json(const struct analysis *);
void	 analysis_text(FILE *, const struct analysis *, int cols);
void	 analysis_markdown(FILE *, const struct analysis *);

#endif
