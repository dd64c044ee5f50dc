/* The SSTP check's TLS client (tls.h), on libssl. */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikeprobe/packet.h"
#include "ikeprobe/tls.h"

const char *
tls_profile_version(enum tls_profile p)
{
	switch (p) {
	case TLS_ONLY_1_1:
		return "TLSv1.1";
	case TLS_ONLY_1_0:
		return "TLSv1";
	case TLS_CURRENT:
		break;
	}
	return "TLSv1.2+";
}

/* Why a call failed, in OpenSSL's words (an alert the server sent is
 * among them: "tlsv1 alert protocol version"). */
static enum tls_want
failed(struct tls_client *t, int rc, const char *what, char *err, size_t errlen)
{
	int e = SSL_get_error(t->ssl, rc), sys = errno;
	unsigned long code = ERR_peek_last_error();
	char buf[160];

	if (e == SSL_ERROR_WANT_READ)
		return TLS_READ;
	if (e == SSL_ERROR_WANT_WRITE)
		return TLS_WRITE;
	if (e == SSL_ERROR_ZERO_RETURN)
		snprintf(err, errlen, "the server closed the TLS session during "
		    "the %s", what);
	else if (e == SSL_ERROR_SYSCALL && code == 0)
		snprintf(err, errlen, "%s during the %s", sys == 0 ?
		    "the server closed the connection" : strerror(sys), what);
	else if (code != 0) {
		ERR_error_string_n(code, buf, sizeof(buf));
		/* "error:0A00042E:SSL routines::tlsv1 alert protocol version":
		 * the reason is what a person reads. */
		snprintf(err, errlen, "%s failed: %s", what,
		    ERR_reason_error_string(code) ? ERR_reason_error_string(code) :
		    buf);
	} else
		snprintf(err, errlen, "%s failed (OpenSSL error %d)", what, e);
	ERR_clear_error();
	return TLS_FAILED;
}

int
tls_client_init(struct tls_client *t, enum tls_profile p, int fd,
    const char *sni, char *err, size_t errlen)
{
	struct ip_addr literal;
	char host[256];
	int min = TLS1_2_VERSION, max = 0;

	memset(t, 0, sizeof(*t));
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto fail;
	if (p == TLS_ONLY_1_1)
		min = max = TLS1_1_VERSION;
	else if (p == TLS_ONLY_1_0)
		min = max = TLS1_VERSION;
	/* The system's configuration (Debian: TLS 1.2 at level 2) would
	 * refuse legacy versions before the server could say anything. */
	if (p != TLS_CURRENT &&
	    SSL_CTX_set_cipher_list(t->ctx, "DEFAULT:@SECLEVEL=0") != 1)
		goto fail;
	if (SSL_CTX_set_min_proto_version(t->ctx, min) != 1 ||
	    SSL_CTX_set_max_proto_version(t->ctx, max) != 1)
		goto fail;
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
	/* A server that closes without close_notify (a web server after its
	 * answer) has still said what it said: an end, not an error. */
	SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if ((t->ssl = SSL_new(t->ctx)) == NULL || SSL_set_fd(t->ssl, fd) != 1)
		goto fail;
	/* RFC 6066 3: no IP literal in SNI. (A copy: OpenSSL's macro casts
	 * the name to void *.) */
	if (sni && !ip_addr_parse(sni, &literal)) {
		snprintf(host, sizeof(host), "%s", sni);
		if (SSL_set_tlsext_host_name(t->ssl, host) != 1)
			goto fail;
	}
	SSL_set_connect_state(t->ssl);
	return 0;
fail:
	snprintf(err, errlen, "cannot set up TLS: %s",
	    ERR_reason_error_string(ERR_peek_last_error()) ?
	    ERR_reason_error_string(ERR_peek_last_error()) : "OpenSSL failed");
	ERR_clear_error();
	tls_client_free(t);
	return -1;
}

enum tls_want
tls_handshake(struct tls_client *t, char *err, size_t errlen)
{
	int rc;

	ERR_clear_error();
	errno = 0;
	if ((rc = SSL_do_handshake(t->ssl)) == 1)
		return TLS_OK;
	return failed(t, rc, "TLS handshake", err, errlen);
}

enum tls_want
tls_write(struct tls_client *t, const void *buf, size_t len, size_t *done,
    char *err, size_t errlen)
{
	size_t n = 0;
	int rc;

	ERR_clear_error();
	errno = 0;
	*done = 0;
	if ((rc = SSL_write_ex(t->ssl, buf, len, &n)) == 1) {
		*done = n;
		return TLS_OK;
	}
	return failed(t, rc, "sending", err, errlen);
}

enum tls_want
tls_read(struct tls_client *t, void *buf, size_t len, size_t *got, char *err,
    size_t errlen)
{
	size_t n = 0;
	int rc, e;

	ERR_clear_error();
	errno = 0;
	*got = 0;
	if ((rc = SSL_read_ex(t->ssl, buf, len, &n)) == 1) {
		*got = n;
		return TLS_OK;
	}
	e = SSL_get_error(t->ssl, rc);
	/* The server's close_notify, or a close without it: an end, with
	 * nothing read; the caller says what it was still waiting for. */
	if (e == SSL_ERROR_ZERO_RETURN ||
	    (e == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0 && errno == 0)) {
		ERR_clear_error();
		return TLS_OK;
	}
	return failed(t, rc, "reading", err, errlen);
}

const char *
tls_version(const struct tls_client *t)
{
	return t->ssl ? SSL_get_version(t->ssl) : "";
}

const char *
tls_cipher(const struct tls_client *t)
{
	const SSL_CIPHER *c = t->ssl ? SSL_get_current_cipher(t->ssl) : NULL;
	const char *s = c ? SSL_CIPHER_standard_name(c) : NULL;

	return s ? s : c ? SSL_CIPHER_get_name(c) : "";
}

int
tls_peer_chain(const struct tls_client *t, uint8_t **der, size_t *len, int max,
    size_t max_der)
{
	STACK_OF(X509) *sk = t->ssl ? SSL_get_peer_cert_chain(t->ssl) : NULL;
	int n = 0;

	for (int i = 0; sk && i < sk_X509_num(sk) && n < max; i++) {
		unsigned char *buf = NULL;
		int l = i2d_X509(sk_X509_value(sk, i), &buf);

		if (l <= 0 || (size_t)l > max_der) {
			OPENSSL_free(buf);
			continue;
		}
		if ((der[n] = malloc((size_t)l)) == NULL) {
			OPENSSL_free(buf);
			break;
		}
		memcpy(der[n], buf, (size_t)l);
		len[n++] = (size_t)l;
		OPENSSL_free(buf);
	}
	return n;
}

void
tls_client_free(struct tls_client *t)
{
	if (t->ssl) {
		/* One close_notify, not waited for: SSTP's own close. */
		ERR_clear_error();
		(void)SSL_shutdown(t->ssl);
		ERR_clear_error();
		SSL_free(t->ssl);
	}
	SSL_CTX_free(t->ctx);
	t->ssl = NULL;
	t->ctx = NULL;
}
