/* A report as read back from its JSON: what the text and Markdown renderers
 * draw from. A live run is rendered from its own JSON read back through
 * here, a saved report (`ikeprobe show`, `compare`) from its file, so the
 * two print the same for the same report.
 *
 * The input is hostile: doc_read() checks the type and range of every
 * value it keeps, bounds every string and array, and replaces control
 * characters, so a renderer never writes a terminal escape or a Markdown
 * link it did not mean to. Keys an older ikeprobe did not write are
 * DOC_ABSENT, and the renderers say "not in this report". Unknown keys are
 * ignored: a newer report still reads. */
#ifndef IKEPROBE_DOC_H
#define IKEPROBE_DOC_H

#include <stdbool.h>
#include <stddef.h>

#define DOC_MAX_BYTES		(16u << 20)	/* far above any real report */
#define DOC_MAX_STRING		4096
#define DOC_MAX_PORTS		16
#define DOC_MAX_PROBES		512
#define DOC_MAX_FINDINGS	128
#define DOC_MAX_LIST		64	/* notifies, vendor IDs, addresses */
#define DOC_MAX_OTHERS		16
#define DOC_MAX_ATTEMPTS	20	/* transmissions of one probe */

enum doc_state {
	DOC_ABSENT = 0,		/* key not in this report (an older version) */
	DOC_NULL,		/* key present, value null */
	DOC_SET,
};

struct doc_str {
	enum doc_state	 st;
	const char	*s;		/* valid UTF-8, no control characters */
};

struct doc_int {
	enum doc_state	 st;
	long long	 v;
};

struct doc_real {
	enum doc_state	 st;
	double		 v;
};

struct doc_bool {
	enum doc_state	 st;
	bool		 v;
};

struct doc_icmp {
	enum doc_state	 st;
	struct doc_int	 type, code, mtu;
	struct doc_str	 from, name;
};

struct doc_port {
	long long	 port;
	struct doc_str	 state, reply, meaning, source_port_error;
	struct doc_icmp	 icmp;
	struct doc_real	 rtt_ms;
	struct doc_int	 source_port, attempts;
};

struct doc_named {		/* a transform, group or vendor ID */
	struct doc_str	 type, name, hex;
	struct doc_int	 id, key_length;
};

/* fragments.ports.<port>.inbound: the IKE_AUTH answers on that port. */
struct doc_inbound_port {
	enum doc_state	 st;
	struct doc_int	 answered, lost, largest_bytes, largest_ip_fragments;
	struct doc_int	 largest_ike_fragments, first_fragments_only;
};

struct doc_frag_port {
	long long	 port;
	struct doc_str	 outbound;
	struct doc_int	 largest_answered, smallest_lost;
	struct doc_inbound_port inbound;
};

/* A protected probe's keys (ikeprobe's throw-away IKE SA). */
struct doc_keys {
	enum doc_state	 st;
	struct doc_str	 transforms, sk_ei, sk_er, sk_ai, sk_ar, sk_pr;
	struct doc_int	 encr, encr_bits, integ, prf, dh;
};

struct doc_incomplete {
	enum doc_state	 st;
	struct doc_int	 first_fragments, completed, later_fragments, size;
};

struct doc_probe {
	struct doc_int	 id, port, size, fragments, fragment_size, attempts;
	struct doc_int	 follows, ke_group, ip_id;
	struct doc_str	 kind, purpose, result, reply, problem, send_error;
	struct doc_str	 send_errno, spi_i;
	struct doc_bool	 df, repeat;
	struct doc_real	 rtt_ms, ended_ms;
	double		*sent_ms;
	int		 n_sent_ms;	/* -1: key absent (before 0.3) */
	struct doc_icmp	 icmp;
	/* IKE_AUTH and closing probes (0.3 on) */
	struct doc_int	 sa, message_id, ike_fragments, ip_fragments, reply_bytes;
	struct doc_str	 spi_r, exchange, answer;
	struct doc_bool	 no_fragmentation;
	struct doc_str	 offer;		/* audit probes (0.4 on) */
	struct doc_keys	 keys;
	struct doc_incomplete incomplete;
};

/* auth.exchanges[]: one IKE_AUTH and what came of it. */
struct doc_auth_exchange {
	struct doc_int	 probe, port, reply_bytes, ike_fragments, ip_fragments;
	struct doc_int	 first_fragments_only, close_probe;
	struct doc_bool	 ikev2_fragmentation, deleted;
	struct doc_str	 answer, error, eap, closed_by;
};

struct doc_auth {
	enum doc_state	 st;
	struct doc_bool	 tested, deleted, certificate_auth_only;
	struct doc_bool	 load_balancer_no_affinity;
	struct doc_int	 port;
	struct doc_str	 what, proposal, answer, load_balancer_evidence;
	struct doc_auth_exchange *exchanges;
	int		 n_exchanges;
};

/* audit.accepted[] and its siblings: one offer and its answer. */
struct doc_audit_entry {
	struct doc_str	 offer, type, rfc8247, label, source, answer, group, note;
	struct doc_int	 id, key_length, probe;
	struct doc_bool	 weak;
};

/* The proposal audit (0.4 on; null without --audit). */
struct doc_audit {
	enum doc_state	 st;
	struct doc_int	 port, requests, full_sa_answers, positive_probe, negative_probe;
	struct doc_real	 duration_ms;
	struct doc_bool	 conclusive;
	struct doc_str	 reason, verified_order, negative_answer, windows_default;
	struct doc_audit_entry *accepted, *refused, *unanswered, *clients;
	int		 n_accepted, n_refused, n_unanswered, n_clients;
};

/* The gateway's certificate, as judged. */
struct doc_certificate {
	enum doc_state	 st;
	struct doc_int	 probe, days_left;
	struct doc_bool	 parsed, expired, not_yet_valid, name_matches;
	struct doc_bool	 server_auth, weak_key, sha1, intermediates_sent;
	struct doc_bool	 self_signed, trusted, chain_incomplete, auth_verified;
	struct doc_str	 subject, issuer, serial, not_before, not_after;
	struct doc_str	 name_checked, key, signature, trust_error, trust_store;
	struct doc_str	 auth_error, problem;
	struct doc_str	*san, *eku, *chain;
	int		 n_san, n_eku, n_chain;
};

/* sstp.tls.legacy[]: one handshake limited to a legacy TLS version. */
struct doc_sstp_legacy {
	struct doc_str	 version, connect_error, error, cipher;
	struct doc_bool	 accepted, timed_out;
	struct doc_int	 source_port;
};

/* The SSTP check (0.5 on; null with --no-sstp). */
struct doc_sstp {
	enum doc_state	 st;
	struct doc_int	 port, source_port, syns;
	struct doc_str	 state, meaning, reset_from, reached, connect_error, error;
	struct doc_real	 connect_ms, duration_ms;
	struct doc_bool	 timed_out, listener;
	struct doc_icmp	 icmp;
	enum doc_state	 tls_st;
	struct doc_str	 tls_version, tls_cipher;
	struct doc_str	*legacy_accepted;
	int		 n_legacy_accepted;
	struct doc_sstp_legacy *legacy;
	int		 n_legacy;
	enum doc_state	 http_st;
	struct doc_int	 http_status;
	struct doc_str	 http_reason, http_server, http_content_length;
	struct doc_bool	 http_sstp_length;
	struct doc_str	 call_connect;
	enum doc_state	 answer_st;	/* call_connect_answer */
	struct doc_int	 answer_type, answer_hash, answer_status, answer_status_attr;
	struct doc_str	 answer_message;
	struct doc_certificate certificate;
	struct doc_str	*chain_der;	/* base64 DER, the end certificate first */
	int		 n_chain_der;
};

struct doc_finding {
	struct doc_str	 code, severity, summary, advice;
};

struct doc_target {
	struct doc_str	 name, address, family;
	struct doc_str	*addresses;
	int		 n_addresses;	/* -1: key absent */
	/* Per address: its family ("ipv4", "ipv6") and whether the run
	 * probed it; from target.resolved, or for a report before 0.3 from
	 * the addresses probed (this one's and its others'). */
	const char	**families;
	bool		*probed;
	const char	**reasons;	/* why not probed (0.5 on), or NULL */
	struct doc_bool	 cluster;
};

struct doc_local {
	struct doc_str	 address, interface, gateway, network, label;
	struct doc_str	 hostname, os, kernel;
	struct doc_int	 mtu, source_port;
};

struct doc_nat {
	enum doc_state	 st;
	struct doc_bool	 detected, client_side, gateway_side;
	struct doc_int	 probe;
	struct doc_str	 evidence;
	struct doc_str	 consequence;	/* what a NAT means for UDP 4500 */
};

struct doc_responder {
	enum doc_state	 st;
	struct doc_bool	 fragmentation_supported;
	struct doc_named *vendor_ids;
	int		 n_vendor_ids;
	struct doc_str	*notifies;
	int		 n_notifies;
	enum doc_state	 chosen_st;
	struct doc_named *chosen;
	int		 n_chosen;
	enum doc_state	 ke_group_st, invalid_ke_group_st;
	struct doc_named ke_group, invalid_ke_group;
	struct doc_int	 nonce_length, certreq;
	struct doc_str	 reply;
};

struct doc_verdict {
	enum doc_state	 st;
	struct doc_bool	 needed;
	struct doc_str	 reason;
	struct doc_bool	 in_headline;	/* the headline is this verdict */
	/* Derived once for every renderer: a verdict line of its own is
	 * shown (the size tests ran, and the headline says something else). */
	bool		 show;
};

struct doc_fragments {
	enum doc_state	 st;
	struct doc_str	 outbound, inbound, evidence, inbound_evidence;
	struct doc_int	 inbound_probe;
	struct doc_int	 largest_answered, smallest_lost, fragment_size;
	struct doc_frag_port *ports;
	int		 n_ports;
	struct doc_bool	 tested_key;
	/* The fragment test ran: the report's `tested', or for one before
	 * 0.3 whether it gives a fragment size. */
	bool		 tested;
};

struct doc_path_mtu {
	enum doc_state	 st;
	struct doc_int	 value, router_mtu, largest_answered;
	struct doc_int	 smallest_failed, port;
	struct doc_str	 source, icmp, router, evidence;
	struct doc_bool	 black_hole;
	struct doc_bool	 tested_key;
	/* The path-MTU test ran: the report's `tested', or for one before
	 * 0.3 whether it says if ICMP was seen. */
	bool		 tested;
};

struct doc_capture {
	enum doc_state	 st;
	struct doc_int	 packets, sent_seen, replies, duplicates;
	struct doc_int	 unmatched_ike, unmatched_icmp, malformed;
	struct doc_int	 other, dropped, reasm_expired;
	/* What was none of ours; from the report, or for one before 0.3 the
	 * sum of the counts it is made of. */
	struct doc_int	 unrelated;
};

struct doc_traffic {
	enum doc_state	 st;
	struct doc_int	 probes, packets_sent, bytes_sent, full_sa_replies;
};

/* What the run was asked to do (0.3 on). */
struct doc_options {
	enum doc_state	 st;
	double		*ports;
	int		 n_ports;
	struct doc_bool	 quick, stateful, all_addresses, auth, audit, sstp;
	struct doc_str	 ca;
	struct doc_int	 attempts, fragment_size, sstp_port;
	struct doc_real	 rto_ms;
	double		*sizes;
	int		 n_sizes;	/* -1: null, the defaults */
};

struct doc_stopped {
	enum doc_state	 st;		/* DOC_NULL: ran to the end */
	struct doc_str	 reason, error;
	struct doc_real	 after_ms;
	struct doc_int	 signal;
};

struct doc {
	struct doc_str	 schema, tool_name, tool_version, started, headline;
	struct doc_int	 duration_ms, started_us;
	struct doc_bool	 complete;
	struct doc_str	 status, worst_severity;	/* "ok", "error"... */
	struct doc_int	 exit_status;
	struct doc_stopped stopped;
	struct doc_options options;
	struct doc_target target;
	struct doc_local local;
	struct doc_port	*ports;		/* in the file's order */
	int		 n_ports;
	struct doc_nat	 nat;
	struct doc_responder responder;
	struct doc_verdict verdict;
	struct doc_fragments fragments;
	struct doc_auth	 auth;
	struct doc_certificate certificate;
	struct doc_audit audit;
	struct doc_sstp	 sstp;
	struct doc_path_mtu path_mtu;
	struct doc_probe *probes;
	int		 n_probes;
	struct doc_finding *findings;
	int		 n_findings;
	struct doc_capture capture;
	struct doc_traffic traffic;
	/* --all-addresses: the reports of the other addresses. */
	struct doc	*others;
	int		 n_others;

	struct doc_block *mem;		/* everything above points in here */
};

/* Read a report. 0, or -1 with one line in err saying what is wrong (not
 * JSON, truncated, not an ikeprobe report, or which key is broken). The
 * doc must be freed with doc_free() either way. */
int	 doc_read(const char *buf, size_t len, struct doc *, char *err,
	    size_t errlen);
void	 doc_free(struct doc *);

/* "not in this report" for DOC_ABSENT, else the string or the fallback. */
const char *doc_s(const struct doc_str *, const char *if_null);
bool	 doc_is(const struct doc_str *, const char *);
/* "IPv4" or "IPv6" for a family of the report ("ipv4", "ipv6"). */
const char *doc_family_name(const char *key);
/* "detected", "none" or "unknown": the word every renderer uses for NAT. */
const char *doc_nat_word(const struct doc_nat *);

#define DOC_NOT_IN_REPORT	"not in this report"

#endif
