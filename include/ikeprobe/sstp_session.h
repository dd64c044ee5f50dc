/* The SSTP check against one gateway address ([MS-SSTP]), a session of
 * the run's one loop (session.h) beside the IKE session: a TCP connection
 * to the SSTP port, TLS as a Windows client makes it, the HTTP handshake
 * (SSTP_DUPLEX_POST), one Call Connect Request and its answer, then close;
 * then two handshakes limited to TLS 1.1 and TLS 1.0, to learn whether
 * the server still accepts them. No PPP, no credentials.
 *
 * Two kinds of evidence, kept apart as for IKE: what each socket said
 * (connected, TLS, HTTP, the answer) and what the capture showed of each
 * connection (our SYNs, the server's SYN-ACK or reset, an ICMP error and
 * the router that sent it), which a replay re-derives. */
#ifndef IKEPROBE_SSTP_SESSION_H
#define IKEPROBE_SSTP_SESSION_H

#include "ikeprobe/cert.h"
#include "ikeprobe/io.h"
#include "ikeprobe/sstp.h"
#include "ikeprobe/tls.h"

/* A silent port is given up after as long as a silent IKE port (the SYN
 * goes three times: Linux retransmits it a second apart, its first
 * tcp_syn_linear_timeouts); each later step gets about as long. A whole
 * check is bounded by their sum. */
#define SSTP_CONNECT_TIMEOUT	2.7
#define SSTP_STEP_TIMEOUT	3.0
/* After the last socket is closed, how long the capture gets to show what
 * ended each connection (the reset, the ICMP error) before the check
 * ends. */
#define SSTP_LINGER		0.25
#define SSTP_CONNS		3	/* current TLS, TLS 1.1, TLS 1.0 */

#define SSTP_STAGE_LIST(X) \
	X(SSTP_STAGE_CONNECT, "connect") \
	X(SSTP_STAGE_TLS, "tls") \
	X(SSTP_STAGE_HTTP, "http") \
	X(SSTP_STAGE_CALL_CONNECT, "call-connect") \
	X(SSTP_STAGE_DONE, "done")

#define SSTP_STAGE_ENUM(e, key)	e,
enum sstp_stage {
	SSTP_STAGE_LIST(SSTP_STAGE_ENUM)
};
#undef SSTP_STAGE_ENUM

const char *sstp_stage_name(enum sstp_stage);
int	 sstp_stage_of(const char *);	/* -1: none */

/* The error of a connection the run's stop ended (as reports keep it). */
#define SSTP_STOPPED	"the run was stopped"

/* One TCP connection and what its socket said. */
struct sstp_conn {
	bool		 started;
	enum tls_profile profile;
	uint16_t	 sport;		/* ours, as connect() chose it */
	enum sstp_stage	 stage;		/* reached; where it stopped */
	bool		 finished;
	int		 connect_errno;	/* 0: connected; ETIMEDOUT: ours */
	bool		 timed_out;	/* the stage took too long */
	char		 error[200];	/* why it stopped short of DONE */
	char		 tls_version[16], tls_cipher[80];

	/* live only */
	int		 fd;
	struct tls_client tls;
	bool		 want_write;	/* OpenSSL waits to write */
	bool		 want_read;	/* OpenSSL waits to read (a write that
					 * must read first) */
	double		 deadline;	/* monotonic */
	uint8_t		 in[SSTP_MAX_HEAD + SSTP_MAX_PACKET];
	size_t		 n_in;
	char		 out[1024];
	size_t		 n_out, sent;
};

/* What the capture showed of one connection. */
struct sstp_wire {
	int		 syns;		/* our SYNs seen leaving */
	usec_t		 first_syn, synack;	/* USEC_NONE: not seen */
	bool		 reset;
	usec_t		 reset_at;
	struct ip_addr	 reset_from;
	bool		 icmp;
	enum icmp_meaning icmp_meaning;
	uint8_t		 icmp_type, icmp_code;
	struct ip_addr	 icmp_from;
	usec_t		 icmp_at;
	unsigned long	 segments_in;	/* from the server */
};

/* What the main connection got past TLS: the chain, the HTTP answer,
 * the Call Connect answer. */
struct sstp_answers {
	uint8_t		*der[CERT_MAX_CHAIN];
	size_t		 der_len[CERT_MAX_CHAIN];
	int		 n_der;
	bool		 has_http;
	struct sstp_http_head http;
	bool		 has_ctrl;
	struct sstp_ctrl ctrl;
};

struct sstp_session {
	struct session	 base;
	char		 name[256];	/* dialled: SNI and Host */
	uint16_t	 port;
	char		 correlation[40];
	struct sstp_conn conn[SSTP_CONNS];
	struct sstp_wire wire[SSTP_CONNS];
	struct sstp_answers ans;
	int		 cur;		/* the connection in progress, -1 */
	double		 linger_until;	/* monotonic; 0: not yet */
	unsigned long	 other;		/* TCP of the peer's not ours */

	bool		 interrupted;
	usec_t		 started;	/* capture clock */
	double		 started_mono;
	double		 duration;	/* s */
	FILE		*trace;
};

/* The check of target (from local) on port, for the name dialled. */
void	 sstp_session_init(struct sstp_session *, const struct ip_addr *target,
	    const struct ip_addr *local, uint16_t port, const char *name);
void	 sstp_session_finish(struct sstp_session *, const struct io *);
void	 sstp_session_free(struct sstp_session *);

extern const struct session_ops sstp_session_ops;

#endif
