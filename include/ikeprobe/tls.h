/* A TLS client on a connected, non-blocking TCP socket, on OpenSSL's
 * libssl, for the SSTP check: one handshake as a current Windows client
 * makes it (TLS 1.2 and 1.3, the name dialled as SNI), or one limited to a
 * legacy version (TLS 1.0 or 1.1 alone, at security level 0) to learn
 * whether the server still accepts it. The server's chain is not verified
 * here: cert.h judges it as Windows would. Every call returns at once:
 * the poll loop waits. */
#ifndef IKEPROBE_TLS_H
#define IKEPROBE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tls_want {
	TLS_READ,		/* call again when the socket is readable */
	TLS_WRITE,		/* ... writable */
	TLS_OK,			/* done (a read of 0 bytes: the peer closed) */
	TLS_FAILED,		/* err says why */
};

enum tls_profile {
	TLS_CURRENT,		/* TLS 1.2 and 1.3, OpenSSL's default ciphers */
	TLS_ONLY_1_1,
	TLS_ONLY_1_0,
};

struct tls_client {
	struct ssl_ctx_st *ctx;
	struct ssl_st	*ssl;
};

/* Set up on fd for server name sni (NULL or an IP literal: none sent). */
int	 tls_client_init(struct tls_client *, enum tls_profile, int fd,
	    const char *sni, char *err, size_t errlen);
enum tls_want tls_handshake(struct tls_client *, char *err, size_t errlen);
enum tls_want tls_write(struct tls_client *, const void *, size_t, size_t *done,
	    char *err, size_t errlen);
enum tls_want tls_read(struct tls_client *, void *, size_t, size_t *got,
	    char *err, size_t errlen);
/* After the handshake: "TLSv1.3", and the cipher suite's IANA name. */
const char *tls_version(const struct tls_client *);
const char *tls_cipher(const struct tls_client *);
/* The chain as the server sent it (the end certificate first), each DER
 * in a buffer of its own for the caller to free(); how many, at most max.
 * Certificates longer than max_der are left out. */
int	 tls_peer_chain(const struct tls_client *, uint8_t **der, size_t *len,
	    int max, size_t max_der);
/* A close_notify, not waited for, and everything freed. */
void	 tls_client_free(struct tls_client *);
const char *tls_profile_version(enum tls_profile);	/* "TLSv1.1" */

#endif
