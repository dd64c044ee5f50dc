/* The laptop's side: which address and interface reach the target, the raw
 * socket our datagrams leave by, the UDP sockets that keep the kernel quiet,
 * and the capture that sees what comes back. Library code returns an error
 * class and fills a one-line message; only the CLI prints. */
#ifndef IKEPROBE_NET_H
#define IKEPROBE_NET_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "ikeprobe/clock.h"
#include "ikeprobe/packet.h"

enum net_err {
	NET_OK = 0,
	NET_ERR_USAGE,		/* the user asked for something impossible */
	NET_ERR_ENV,		/* the machine cannot do it now */
	NET_ERR_PRIV,		/* missing CAP_NET_RAW */
};

struct local_info {
	struct ip_addr	 addr;
	char		 ifname[IF_NAMESIZE];
	int		 mtu;
};

struct sockaddr;
struct sockaddr_storage;

/* An AF_INET or AF_INET6 socket address as an ip_addr (family 0 else). */
void	 ip_addr_from_sockaddr(const struct sockaddr *, struct ip_addr *);
/* And back, with a port: the length to give bind() or connect(). */
socklen_t ip_addr_to_sockaddr(const struct ip_addr *, uint16_t port,
	    struct sockaddr_storage *);

/* Which local address and interface the kernel would use for target,
 * honouring --source and --interface when given. */
enum net_err route_lookup(const struct ip_addr *target, const char *ifname,
	    const struct ip_addr *source, struct local_info *, char *, size_t);

/* Raw socket that sends whole IP datagrams built by us. */
enum net_err rawsock_open(int *fd, int family, const char *ifname, char *, size_t);
/* 0, or a negative errno (EMSGSIZE: larger than the interface MTU). */
int	 rawsock_send(int fd, const uint8_t *, size_t, const struct ip_addr *dst);

/* What a run as a user needs, given once to the binary: raw sockets and
 * the capture, the interface, and UDP 500 itself (below 1024), so that a
 * setcap run sends from the ports a sudo run does. */
#define NET_SETCAP_CAPS	"cap_net_raw,cap_net_admin,cap_net_bind_service+ep"

/* Bind a UDP socket to src:port so the kernel does not answer the
 * gateway's replies with ICMP port unreachable. When the port cannot be
 * had, a kernel-chosen one is taken (*got says which) and *why says why
 * (the bind's errno: EADDRINUSE a local IKE daemon, EACCES a port below
 * 1024 without CAP_NET_BIND_SERVICE), else 0. */
enum net_err udp_hold(const struct ip_addr *src, uint16_t port, int *why, int *fd,
	    uint16_t *got, char *, size_t);
void	 udp_drain(int fd);

struct capture {
	void		*pcap;		/* pcap_t */
	void		*dumper;	/* pcap_dumper_t, with --pcap */
	int		 fd;
	int		 link;
	unsigned long	 packets;
};

struct capture_pkt {
	const uint8_t	*data;
	size_t		 caplen;
	size_t		 wirelen;
	usec_t		 ts;		/* the capture clock */
};

/* Capture on li's interface; snaplen from its MTU. */
enum net_err capture_open(struct capture *, const struct local_info *li,
	    const char *filter, const char *pcap_path, char *, size_t);
/* A saved capture (pcap or pcapng), read as the live one is. */
enum net_err capture_open_file(struct capture *, const char *path, char *,
	    size_t);
/* A new filter on an open capture (no privilege needed). */
enum net_err capture_set_filter(struct capture *, const char *filter, char *,
	    size_t);
/* Save every packet to an open stream (--output's capture.pcap), which
 * the capture then owns and capture_close() closes. */
enum net_err capture_dump_to(struct capture *, FILE *, char *, size_t);
/* A share of the capture in a stream of its own (one gateway's
 * capture.pcap in a run of several), which the sink owns; NULL with one
 * line in err. Frames are written to it by the caller (io.c). */
void	*capture_sink_open(struct capture *, FILE *, char *, size_t);
void	 capture_sink_write(void *, const struct capture_pkt *);
void	 capture_sink_close(void *);
/* 1 packet returned (and written to the pcap file), 0 none ready (or the
 * end of a saved capture), -1 error (the interface went down or away, or
 * a saved capture is cut short: capture_error says what). */
int	 capture_next(struct capture *, struct capture_pkt *);
const char *capture_error(struct capture *);
/* Packets the kernel or libpcap dropped, or -1 if unknown. */
long	 capture_dropped(struct capture *);
void	 capture_close(struct capture *);
/* The BPF filter for a run: replies and fragments from any of the n
 * targets, our own probes to them, ICMP errors sent to us, and (tcp_port
 * not 0) TCP with the targets on that port (the SSTP check), for each
 * family among the targets (from the local address of that family). False
 * if it does not fit in len. */
bool	 capture_filter(char *, size_t, const struct ip_addr *targets, int n,
	    const struct ip_addr *locals, int n_locals, uint16_t tcp_port);

/* This program's own path, for the setcap line in error messages. */
const char *self_path(void);
/* Give up root and every capability once all privileged handles are open. */
enum net_err privdrop(const char *user, char *, size_t);
/* The drop itself: no capability left, and uid/gid changed when started as
 * root and uid is not 0; then no-new-privileges. 0, or -1 with errno. */
int	 privdrop_to(uid_t uid, gid_t gid);

#endif
