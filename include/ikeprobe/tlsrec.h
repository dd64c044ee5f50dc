/* TLS as a capture shows it (ikeprobe analyze's SSTP side): one direction
 * of a connection, its bytes in order, read record by record. What is in
 * clear is decoded: the hellos (SNI, version, cipher), the server's
 * certificates (TLS 1.2 and older: TLS 1.3 encrypts them), alerts sent
 * before ChangeCipherSpec. After it, records are counted, not read. A
 * hostile stream ends in a problem, never outside its buffers. */
#ifndef IKEPROBE_TLSREC_H
#define IKEPROBE_TLSREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_REC_MAX	(5 + 16384 + 2048)	/* a record with its header */
#define TLS_HS_MAX	(64u << 10)		/* handshake bytes kept */
#define TLS_MAX_CERTS	8
#define TLS_SNI_MAX	256

enum tls_rec_type {
	TLS_CCS = 20,
	TLS_ALERT = 21,
	TLS_HANDSHAKE = 22,
	TLS_APPDATA = 23,
};

struct tls_side {
	/* what came, as it came */
	uint8_t		 rec[TLS_REC_MAX];
	size_t		 n_rec;
	uint8_t		 hs[TLS_HS_MAX];
	size_t		 n_hs, hs_done;	/* bytes, and those decoded */
	bool		 ccs;		/* after it, records are encrypted */
	bool		 broken;	/* not TLS (or lying): read no further */
	char		 problem[120];
	uint32_t	 problem_frame;

	/* what it said */
	unsigned long	 records, app_records;
	bool		 client_hello, server_hello;
	uint32_t	 hello_frame;
	char		 sni[TLS_SNI_MAX];
	uint16_t	 version;	/* the hello's legacy_version */
	uint16_t	 selected;	/* ServerHello's supported_versions, 0: none */
	uint16_t	 cipher;	/* ServerHello's */
	int		 n_certs;
	size_t		 cert_off[TLS_MAX_CERTS], cert_len[TLS_MAX_CERTS];	/* in hs */
	uint32_t	 cert_frame;
	int		 alerts;
	bool		 alert_encrypted;	/* after ChangeCipherSpec */
	uint8_t		 alert_level, alert_desc;	/* the first in clear */
	uint32_t	 alert_frame;
	uint32_t	 app_frame;	/* the first application data */
	uint32_t	 app_last;	/* and the last */
};

void	 tls_side_init(struct tls_side *);
/* The next bytes of the direction, in order, from frame no. */
void	 tls_side_feed(struct tls_side *, const uint8_t *, size_t, uint32_t no);
/* The version the server chose (selected, else version): 0x0303 ... */
uint16_t tls_side_version(const struct tls_side *server);
/* "TLSv1.2", "TLSv1.3", or NULL. */
const char *tls_version_name(uint16_t);
/* RFC 8446 6.2 / RFC 5246 7.2 names ("certificate_expired"), or NULL. */
const char *tls_alert_name(uint8_t);

#endif
