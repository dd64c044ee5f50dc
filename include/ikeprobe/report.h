/* The diagnosis of a run: per-port verdicts and findings, decided from the
 * probes and their observations. Renderers read this and decide nothing;
 * the diagnosis decides and prints nothing. */
#ifndef IKEPROBE_REPORT_H
#define IKEPROBE_REPORT_H

#include <stdio.h>

#include "ikeprobe/audit.h"
#include "ikeprobe/cert.h"
#include "ikeprobe/context.h"
#include "ikeprobe/ike_session.h"
#include "ikeprobe/probe.h"
#include "ikeprobe/sizes.h"
#include "ikeprobe/sstp_session.h"

#define REPORT_SCHEMA	"ikeprobe.report/1"
#define MAX_FINDINGS	32
#define MAX_ADDRS	16	/* addresses of the target name we keep */

enum port_state {
	PORT_OPEN,
	PORT_CLOSED,
	PORT_FILTERED,
	PORT_SILENT,
	PORT_UNTESTED,		/* the run was interrupted first */
};

enum severity {
	SEV_INFO,
	SEV_WARNING,
	SEV_ERROR,
};

struct finding {
	char		 code[40];
	enum severity	 severity;
	char		 summary[1200];
	char		 advice[1000];
};

struct port_verdict {
	uint16_t	 port;
	uint16_t	 sport;
	bool		 sport_substituted;
	int		 sport_errno;	/* why: EADDRINUSE, EACCES (udp_hold) */
	enum port_state	 state;
	enum ike_reply_kind reply;
	struct icmp_obs	 icmp;
	double		 rtt_ms;	/* < 0 unknown */
	int		 attempts;	/* over all probes to this port but the audit's */
	int		 probe;		/* the answer or ICMP it rests on; -1 */
	char		 meaning[400];
};

/* Do fragmented IKE datagrams reach the gateway (client to gateway). */
struct frag_report {
	bool		 tested;
	enum frag_outcome outbound;
	size_t		 largest_answered, smallest_lost;	/* 0 none */
	size_t		 fragment_size;
	int		 worst_port;	/* run.ports index it rests on, -1 */
	char		 evidence[600];
};

struct pmtu_report {
	bool		 tested;
	int		 value;		/* 0 unknown */
	enum pmtu_source source;
	enum pmtu_icmp	 icmp;
	bool		 has_router;
	struct ip_addr	 router;
	int		 router_mtu;
	bool		 black_hole;
	bool		 inconclusive;
	char		 evidence[600];
};

enum tristate { TRI_NULL = -1, TRI_FALSE = 0, TRI_TRUE = 1 };

struct verdict {
	enum tristate	 frag_needed;	/* is IKEv2 fragmentation needed here */
	char		 reason[600];
	char		 brief[160];	/* its consequence, to lead the report */
	bool		 in_headline;	/* the headline says it */
};

/* Is there a NAT between this machine and the gateway (RFC 7296 2.23),
 * from the NAT_DETECTION notifies of a reply: only a full SA reply has
 * them, so without one every field is TRI_NULL. */
struct nat_report {
	enum tristate	 detected;	/* either side below */
	enum tristate	 client_side;	/* our address or port was rewritten */
	enum tristate	 gateway_side;	/* the gateway's address was rewritten */
	int		 probe;		/* whose reply it rests on, or -1 */
	char		 evidence[600];
	/* What a NAT means for the VPN here, or "" when none was seen. */
	char		 consequence[160];
};

/* One IKE_AUTH the run sent, and what came of it. */
struct auth_attempt {
	int		 probe;
	uint16_t	 port;
	bool		 rfc7383;	/* in an SA that agreed IKEv2 fragmentation */
	enum auth_answer answer;
	uint16_t	 error;		/* the first error notify, or 0 */
	uint8_t		 eap_type;
	size_t		 reply_bytes;	/* the IKE message(s), 0: none */
	int		 ike_fragments;	/* SKF fragments of the answer */
	int		 ip_fragments;	/* IP fragments of its largest datagram */
	struct rx_partial partial;	/* of an answer that never became whole */
	/* Did the gateway end the IKE SA: its answer to this IKE_AUTH was an
	 * error, or it answered the closing request (authplan.c). False:
	 * the close went unanswered; null: not known (the run stopped). */
	enum tristate	 deleted;
	int		 close_probe;	/* -1: none sent */
	const char	*closed_by;	/* "error", "close", "delete"; NULL */
};

#define MAX_AUTH	4

struct auth_report {
	bool		 tested;
	char		 why[300];	/* what was, or why not */
	struct auth_attempt att[MAX_AUTH];
	int		 n;
	char		 proposal[120];	/* the IKE SA's transforms */
	uint16_t	 port;		/* of the first IKE_AUTH */
	enum auth_answer answer;	/* the first answered, else none */
	enum tristate	 deleted;	/* every SA it made ended */
	char		 headline[300];	/* what breaks every client, to lead */
	bool		 cert_auth_only;	/* AUTHENTICATION_FAILED to EAP */
	bool		 lb_no_affinity;
	char		 lb_evidence[600];
	/* Gateway to client: does the large IKE_AUTH answer reach us as one
	 * IP-fragmented datagram? */
	enum frag_outcome inbound;
	char		 inbound_evidence[1200];
	int		 inbound_probe;	/* it rests on, -1 */
	/* The gateway's certificate, from the first answer that has it. */
	bool		 has_cert;
	struct cert_info cert;
	enum tristate	 auth_verified;
	char		 auth_error[160];
	int		 cert_probe;
};

/* The proposal audit (--audit, audit.h): what each offer got. */
enum audit_answer {
	AUDIT_NOT_ASKED,	/* the audit stopped before it (reason says) */
	AUDIT_ACCEPTED,		/* INVALID_KE_PAYLOAD naming an offered group */
	AUDIT_REFUSED,		/* NO_PROPOSAL_CHOSEN */
	AUDIT_UNANSWERED,	/* nothing, after every transmission */
	AUDIT_ODD,		/* another answer: note says which */
};

struct audit_result {
	enum audit_answer answer;
	int		 probe;		/* whose answer it is, -1 */
	uint16_t	 group;		/* ACCEPTED: the group the gateway named */
	char		 note[120];	/* ODD: what came */
};

struct audit_report {
	bool		 tested;	/* --audit */
	bool		 ran;		/* offers went out beyond the control */
	bool		 conclusive;	/* the controls held; else reason */
	uint16_t	 port;
	int		 requests;	/* audit requests sent, echoes included */
	int		 full_sa_answers;	/* half-open SAs it made: 0 unless
					 * the gateway ignores the KE group */
	double		 duration_ms;	/* first audit request to last answer */
	struct audit_result r[AUDIT_MAX_OFFERS];	/* by audit_offers[] */
	int		 base_probe;	/* the positive control, -1 */
	int		 control_probe;	/* the negative control, -1 */
	/* The family of gateway the proposal-before-KE order was verified
	 * on in the lab, when this one says (Vendor ID) it is one; NULL. */
	const char	*verified_order;
	/* What a Windows client with default settings gets: ACCEPTED,
	 * REFUSED, else NOT_ASKED (not known). */
	enum audit_answer windows_default;
	char		 reason[400];	/* not conclusive: why */
};

/* The SSTP check (sstp_session.h): TCP, TLS, the listener, its answer
 * to a Call Connect Request, the server's certificate. */
struct sstp_legacy {
	const char	*version;	/* "TLSv1.1", "TLSv1" */
	enum tristate	 accepted;	/* null: not tried */
	char		 error[200];
};

struct sstp_report {
	bool		 tested;	/* false: --no-sstp */
	uint16_t	 port, sport;
	enum port_state	 state;
	double		 connect_ms;	/* SYN to SYN-ACK in the capture; < 0 */
	int		 syns;		/* our SYNs the capture saw */
	bool		 reset;
	struct ip_addr	 reset_from;
	bool		 has_icmp;
	struct icmp_obs	 icmp;
	enum sstp_stage	 reached;	/* the main connection's last stage */
	char		 error[200];	/* why it stopped short of the end */
	bool		 cut;		/* ended by the run's stop, not the server */
	bool		 timed_out;
	bool		 tls_ok;
	char		 tls_version[16], tls_cipher[80];
	struct sstp_legacy legacy[2];
	bool		 has_http;
	const struct sstp_http_head *http;
	enum tristate	 listener;	/* an SSTP server answers there */
	bool		 has_ctrl;
	const struct sstp_ctrl *ctrl;
	const char	*call_connect;	/* "ack", "nak", "other", NULL */
	bool		 has_cert;
	struct cert_info cert;
	char		 meaning[400];	/* one sentence: what a client gets */
	char		 lead[600];	/* what breaks every SSTP client, or "" */
	const struct sstp_session *sess;	/* what it rests on */
};

struct report {
	double		 started;	/* wall clock */
	double		 duration_ms;
	bool		 complete;
	const char	*target_name;
	struct ip_addr	 target;
	struct local_info local;
	/* Every address the name resolved to, in the resolver's order; the
	 * probed one is among them. */
	struct ip_addr	 addrs[MAX_ADDRS];
	bool		 probed[MAX_ADDRS];	/* this run sent probes to it */
	/* Why not, for an address of a family the run left out (-4, no
	 * route from here); NULL when probed or one more of a family. */
	const char	*why_not[MAX_ADDRS];
	int		 n_addrs;
	bool		 all_addresses;	/* --all-addresses: each has a report */
	bool		 cluster;	/* several addresses of the target's family */
	const char	*label;		/* --label, or NULL */
	const struct host_info *host;	/* NULL: not known */
	struct path_info path;

	struct port_verdict ports[MAX_PORTS];
	int		 n_ports;
	/* The most telling reply: a full SA if one came, else any. */
	const struct ike_reply *responder;
	const struct ike_session *sess;	/* what it rests on */
	struct probe_set set;		/* its probes */
	const struct run_stats *stats;

	struct sizes_assess sizes;
	struct frag_report frag;
	struct pmtu_report pmtu;
	struct verdict	 verdict;
	struct nat_report nat;
	struct auth_report auth;
	struct audit_report audit;
	struct sstp_report sstp;	/* sstp.sess set before diagnose() */
	const char	*ca_file;	/* --ca, or NULL: the system's store */
	struct cert_store *trust;	/* opened from it; NULL: not judged */
	/* Requests answered with a full SA: the half-open SAs the run
	 * leaves on the gateway. */
	int		 full_sa_replies;
	/* Captured packets that were none of ours: IKE with other SPIs,
	 * ICMP about other packets, anything else. */
	unsigned long	 unrelated;

	char		 headline[600];
	struct finding	 findings[MAX_FINDINGS];
	int		 n_findings;
	int		 exit_status;	/* 0 all open, 1 a problem found */
};

void	 diagnose(struct report *, const struct ike_session *);
/* After each address's diagnosis: what the families say together (one
 * works, the other does not) and the families left out, into reps[0]
 * (the document's top report) and the reports of each family. */
void	 diagnose_families(struct report *const *reps, int n);
/* Errors first, then warnings, then the rest (stable). */
void	 sort_findings(struct report *);
/* Can an IKEv2 client connect from here: every port answers, or 500 does
 * and no NAT needs 4500 (the headline's reading of the ports). */
bool	 ike_connects(const struct report *);
/* The size part: fragments, path MTU, the verdict and their findings. */
void	 diagnose_sizes(struct report *);
/* NAT between here and the gateway, and what it means for UDP 4500 (after
 * the port verdicts). */
void	 diagnose_nat(struct report *);
/* The IKE_AUTH part: the return direction, load balancers, the gateway's
 * certificate, and their findings (before the size part: its verdict
 * counts the return direction). */
void	 diagnose_auth(struct report *);
/* The SSTP check and its findings (sstp.c), after the IKE port verdicts:
 * how much SSTP matters depends on them. */
void	 diagnose_sstp(struct report *);
/* The headline's clause about SSTP when IKEv2 cannot connect, or "";
 * true when SSTP works: then the clause ends a sentence about IKEv2
 * (" but SSTP works: ..."), else it follows one about the VPN. */
bool	 sstp_headline_clause(const struct report *, char *, size_t);
/* The proposal audit and its findings (audit.c). */
void	 diagnose_audit(struct report *);
const char *audit_answer_name(enum audit_answer);
/* How to turn on IKEv2 fragmentation on the gateway, for every finding
 * that needs it (written once; the macro for advice built at compile
 * time, as ikeprobe analyze's). */
#define GATEWAY_FRAGMENTATION_HOWTO \
    "Windows Server 2019 and later RRAS: registry HKLM\\SYSTEM\\" \
    "CurrentControlSet\\Services\\RemoteAccess\\Parameters\\Ikev2, " \
    "DWORD EnableServerFragmentation = 1, then restart the RemoteAccess " \
    "service; strongSwan: fragmentation = yes; Cisco: crypto ikev2 " \
    "fragmentation; Palo Alto: IKEv2 fragmentation on the IKE gateway"
extern const char diag_gateway_fragmentation[];
struct finding *add_finding(struct report *, enum severity, const char *code,
	    const char *advice, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

const char *port_state_name(enum port_state);
const char *severity_name(enum severity);
/* "sa", "cookie", ... or NULL for no reply (JSON null). */
const char *reply_json_name(enum ike_reply_kind);
void	 rfc3339(double, char *, size_t);
void	 hexstr(const uint8_t *, size_t, char *, size_t);

/* The JSON report of one run (json.c), a json-c object the caller puts.
 * Every other format is rendered from this document read back (doc.h),
 * so a live run and a saved report print the same. */
struct json_object *report_json(const struct report *);
/* A certificate's fields as JSON, into o (shared with analyze's). */
void	 report_json_cert(struct json_object *o, const struct cert_info *);

#endif
