/* A server's certificate chain, as a Windows client would judge it: the
 * IKE gateway's (CERT payloads) and, later, an SSTP server's (TLS). X.509
 * is OpenSSL's to parse and verify; this module only asks it the questions
 * Windows asks, and keeps the answers. The DER comes from the network: it
 * is hostile input, bounded here before OpenSSL sees it. */
#ifndef IKEPROBE_CERT_H
#define IKEPROBE_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CERT_MAX_CHAIN	8
#define CERT_MAX_SAN	16
#define CERT_MAX_EKU	8
#define CERT_MAX_DER	(64u << 10)
#define CERT_STR	256

enum cert_trust {
	CERT_TRUST_UNKNOWN = -1,	/* not checked (no trust store) */
	CERT_TRUST_NO = 0,
	CERT_TRUST_YES = 1,
};

struct cert_info {
	bool		 parsed;		/* the end-entity certificate read */
	char		 subject[CERT_STR], issuer[CERT_STR];
	char		 serial[80];		/* hex */
	int64_t		 not_before, not_after;	/* seconds since the epoch */
	int64_t		 days_left;		/* whole days until not_after */
	bool		 expired, not_yet_valid;
	char		 san[CERT_MAX_SAN][CERT_STR];	/* "DNS:...", "IP:..." */
	int		 n_san;
	char		 eku[CERT_MAX_EKU][80];	/* "serverAuth", or the OID */
	int		 n_eku;
	bool		 has_eku;		/* an EKU extension at all */
	bool		 server_auth;		/* serverAuth in it (or no EKU) */
	bool		 ike_intermediate;	/* 1.3.6.1.5.5.8.2.2 */
	char		 key[32];		/* "RSA 4096", "ECDSA P-256" */
	int		 key_bits;
	bool		 weak_key;		/* RSA below 2048, EC below 256 */
	char		 signature[64];		/* the end certificate's algorithm */
	bool		 sha1;			/* it, or an intermediate sent, uses SHA-1 */
	char		 chain[CERT_MAX_CHAIN][CERT_STR];	/* subjects as sent */
	int		 n_chain;
	bool		 self_signed;
	bool		 intermediates_sent;	/* anything beyond the end certificate */
	/* The name the user typed, checked as Windows does: in the SAN (DNS
	 * or IP), or the subject's CN when there is no SAN. */
	char		 name[CERT_STR];
	bool		 name_checked;
	bool		 name_matches;
	enum cert_trust	 trusted;		/* chains to a trusted root */
	bool		 chain_incomplete;	/* the issuer is neither sent nor known */
	char		 trust_error[160];	/* why not, as OpenSSL says */
	char		 problem[160];		/* a certificate that does not parse */
};

/* The roots a chain is judged against: the certificates in ca_file, or
 * the system's trust store when ca_file is NULL. Opened before privileges
 * are dropped (a --ca file may be readable by root only); NULL with err
 * set when the file cannot be read. */
struct cert_store;
struct cert_store *cert_store_open(const char *ca_file, char *err, size_t errlen);
void	 cert_store_free(struct cert_store *);

/* Judge the chain as sent (der[0] the end-entity certificate) for name at
 * time now, against store (NULL: trust not judged). Never fails hard:
 * what could not be judged says so in the fields. */
void	 cert_check(const uint8_t *const *der, const size_t *len, int n,
	    const char *name, struct cert_store *store, time_t now,
	    struct cert_info *);

/* Does sig verify over data with the public key of the certificate der,
 * as IKE's AUTH method says (RFC 7296 3.8, RFC 4754, RFC 7427)? 1 yes,
 * 0 no, -1 not a method or algorithm this can check (err says which). */
int	 cert_verify_auth(const uint8_t *der, size_t len, uint8_t method,
	    const uint8_t *sig, size_t sig_len, const uint8_t *data, size_t n,
	    char *err, size_t errlen);

#endif
