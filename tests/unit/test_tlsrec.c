/* The TLS reader of ikeprobe analyze (wire/tlsrec.c) on streams written
 * out by hand: a TLS 1.2 handshake both ways (SNI, cipher, two
 * certificates, an alert in clear, ChangeCipherSpec, then data), a TLS 1.3
 * ServerHello, the same bytes one at a time, and streams that are not TLS
 * or lie in a length. */
#include <string.h>

#include "check.h"
#include "ikeprobe/tlsrec.h"

static size_t
record(uint8_t *b, uint8_t type, const uint8_t *body, size_t n)
{
	b[0] = type;
	b[1] = 3;
	b[2] = 3;
	b[3] = (uint8_t)(n >> 8);
	b[4] = (uint8_t)n;
	memcpy(b + 5, body, n);
	return 5 + n;
}

static size_t
handshake(uint8_t *b, uint8_t type, const uint8_t *body, size_t n)
{
	b[0] = type;
	b[1] = (uint8_t)(n >> 16);
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	memcpy(b + 4, body, n);
	return 4 + n;
}

static size_t
client_stream(uint8_t *out)
{
	static const char name[] = "vpn.example.com";
	uint8_t ch[200], hs[220];
	size_t n = 0, o = 0, nl = sizeof(name) - 1;

	ch[n++] = 3; ch[n++] = 3;
	memset(ch + n, 0, 32); n += 32;
	ch[n++] = 0;				/* session ID */
	ch[n++] = 0; ch[n++] = 2; ch[n++] = 0xc0; ch[n++] = 0x2f;
	ch[n++] = 1; ch[n++] = 0;		/* compression: null */
	ch[n++] = 0; ch[n++] = (uint8_t)(nl + 9);	/* extensions */
	ch[n++] = 0; ch[n++] = 0;		/* server_name */
	ch[n++] = 0; ch[n++] = (uint8_t)(nl + 5);
	ch[n++] = 0; ch[n++] = (uint8_t)(nl + 3);
	ch[n++] = 0;				/* host_name */
	ch[n++] = 0; ch[n++] = (uint8_t)nl;
	memcpy(ch + n, name, nl); n += nl;
	o += record(out + o, TLS_HANDSHAKE, hs, handshake(hs, 1, ch, n));
	o += record(out + o, TLS_CCS, (const uint8_t *)"\1", 1);
	o += record(out + o, TLS_ALERT, (const uint8_t *)"\2\52", 2);	/* encrypted now */
	return o;
}

static size_t
server_stream(uint8_t *out, bool tls13)
{
	uint8_t sh[80], certs[300], hs[600], appdata[30];
	size_t n = 0, c = 0, h = 0, o = 0;

	sh[n++] = 3; sh[n++] = 3;
	memset(sh + n, 0, 32); n += 32;
	sh[n++] = 0;
	sh[n++] = tls13 ? 0x13 : 0xc0; sh[n++] = tls13 ? 0x02 : 0x2f;
	sh[n++] = 0;
	if (tls13) {
		static const uint8_t ext[] = { 0, 6, 0, 43, 0, 2, 3, 4 };

		memcpy(sh + n, ext, sizeof(ext));
		n += sizeof(ext);
	}
	h += handshake(hs + h, 2, sh, n);
	if (!tls13) {
		/* certificate_list: 120 and 80 bytes of made-up DER */
		certs[c++] = 0; certs[c++] = 0; certs[c++] = 206;
		certs[c++] = 0; certs[c++] = 0; certs[c++] = 120;
		memset(certs + c, 0x30, 120); c += 120;
		certs[c++] = 0; certs[c++] = 0; certs[c++] = 80;
		memset(certs + c, 0x31, 80); c += 80;
		h += handshake(hs + h, 11, certs, c);
	}
	o += record(out + o, TLS_HANDSHAKE, hs, h);
	o += record(out + o, TLS_ALERT, (const uint8_t *)"\2\55", 2);
	o += record(out + o, TLS_CCS, (const uint8_t *)"\1", 1);
	memset(appdata, 0x17, sizeof(appdata));
	o += record(out + o, TLS_APPDATA, appdata, sizeof(appdata));
	return o;
}

static struct tls_side t, u;

int
main(void)
{
	uint8_t b[2048];
	size_t n;

	/* The client's side: its SNI; an alert after ChangeCipherSpec is
	 * encrypted, its kind not read. */
	n = client_stream(b);
	tls_side_init(&t);
	tls_side_feed(&t, b, n, 7);
	CHECK(!t.broken);
	CHECK(t.client_hello);
	CHECK_EQ(t.hello_frame, 7);
	CHECK(strcmp(t.sni, "vpn.example.com") == 0);
	CHECK(t.ccs);
	CHECK_EQ(t.alerts, 1);
	CHECK(t.alert_encrypted);
	CHECK_EQ(t.alert_level, 0);

	/* The server's: TLS 1.2, ECDHE-RSA-AES128-GCM-SHA256, two
	 * certificates that lie inside what came, a fatal
	 * certificate_expired in clear, then data. */
	n = server_stream(b, false);
	tls_side_init(&t);
	tls_side_feed(&t, b, n, 9);
	CHECK(!t.broken);
	CHECK(t.server_hello);
	CHECK_EQ(tls_side_version(&t), 0x0303);
	CHECK(strcmp(tls_version_name(tls_side_version(&t)), "TLSv1.2") == 0);
	CHECK_EQ(t.cipher, 0xc02f);
	CHECK_EQ(t.n_certs, 2);
	CHECK_EQ(t.cert_len[0], 120);
	CHECK_EQ(t.cert_len[1], 80);
	CHECK_EQ(t.hs[t.cert_off[0]], 0x30);
	CHECK_EQ(t.hs[t.cert_off[1]], 0x31);
	CHECK_EQ(t.alert_level, 2);
	CHECK_EQ(t.alert_desc, 45);
	CHECK(strcmp(tls_alert_name(t.alert_desc), "certificate_expired") == 0);
	CHECK_EQ(t.app_records, 1);

	/* The same one byte at a time, each its own frame: the same reading. */
	tls_side_init(&u);
	for (size_t i = 0; i < n; i++)
		tls_side_feed(&u, b + i, 1, (uint32_t)(i + 1));
	CHECK(!u.broken && u.n_certs == 2 && u.cipher == 0xc02f &&
	    u.alert_desc == 45 && u.app_records == 1);
	CHECK(u.cert_frame > 1);		/* the frame that completed it */

	/* TLS 1.3: the version from supported_versions, no certificate. */
	n = server_stream(b, true);
	tls_side_init(&t);
	tls_side_feed(&t, b, n, 1);
	CHECK_EQ(tls_side_version(&t), 0x0304);
	CHECK_EQ(t.cipher, 0x1302);
	CHECK_EQ(t.n_certs, 0);

	/* Not TLS: HTTP in clear on 443. */
	tls_side_init(&t);
	tls_side_feed(&t, (const uint8_t *)"GET / HTTP/1.1\r\n", 16, 3);
	CHECK(t.broken);
	CHECK_EQ(t.problem_frame, 3);

	/* A handshake message that claims more than 64 KB. */
	tls_side_init(&t);
	{
		uint8_t m[9] = { 22, 3, 3, 0, 4, 11, 0xff, 0xff, 0xff };

		tls_side_feed(&t, m, sizeof(m), 1);
	}
	CHECK(t.broken);

	/* A certificate list longer than its message. */
	tls_side_init(&t);
	{
		uint8_t m[5 + 4 + 6] = { 22, 3, 3, 0, 10, 11, 0, 0, 6,
		    0, 0, 3, 0, 0, 200 };

		tls_side_feed(&t, m, sizeof(m), 1);
	}
	CHECK(t.broken);
	CHECK_EQ(t.n_certs, 0);
	return check_done();
}
