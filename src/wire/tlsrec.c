/* One direction of a captured TLS connection, read with the cursor
 * (tlsrec.h): records put together from the byte stream, handshake
 * messages from the records, the hellos and certificates from those.
 * Every length is checked against what is there before it is used. */
#include <stdio.h>
#include <string.h>

#include "ikeprobe/cursor.h"
#include "ikeprobe/tlsrec.h"

#define HS_CLIENT_HELLO	1
#define HS_SERVER_HELLO	2
#define HS_CERTIFICATE	11
#define EXT_SNI		0
#define EXT_VERSIONS	43

void
tls_side_init(struct tls_side *t)
{
	memset(t, 0, sizeof(*t));
}

static void
broke(struct tls_side *t, uint32_t no, const char *why)
{
	if (t->broken)
		return;
	t->broken = true;
	t->problem_frame = no;
	snprintf(t->problem, sizeof(t->problem), "%s", why);
}

const char *
tls_version_name(uint16_t v)
{
	switch (v) {
	case 0x0300:	return "SSLv3";
	case 0x0301:	return "TLSv1";
	case 0x0302:	return "TLSv1.1";
	case 0x0303:	return "TLSv1.2";
	case 0x0304:	return "TLSv1.3";
	default:	return NULL;
	}
}

uint16_t
tls_side_version(const struct tls_side *s)
{
	return s->selected ? s->selected : s->version;
}

const char *
tls_alert_name(uint8_t d)
{
	static const struct { uint8_t d; const char *n; } t[] = {
		{ 0, "close_notify" }, { 10, "unexpected_message" },
		{ 20, "bad_record_mac" }, { 22, "record_overflow" },
		{ 40, "handshake_failure" }, { 42, "bad_certificate" },
		{ 43, "unsupported_certificate" }, { 44, "certificate_revoked" },
		{ 45, "certificate_expired" }, { 46, "certificate_unknown" },
		{ 47, "illegal_parameter" }, { 48, "unknown_ca" },
		{ 49, "access_denied" }, { 50, "decode_error" },
		{ 51, "decrypt_error" }, { 70, "protocol_version" },
		{ 71, "insufficient_security" }, { 80, "internal_error" },
		{ 86, "inappropriate_fallback" }, { 90, "user_canceled" },
		{ 109, "missing_extension" }, { 110, "unsupported_extension" },
		{ 112, "unrecognized_name" }, { 116, "certificate_required" },
		{ 120, "no_application_protocol" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].d == d)
			return t[i].n;
	return NULL;
}

/* ClientHello's server_name, ServerHello's supported_versions. */
static void
extensions(struct tls_side *t, struct cursor *c, bool client)
{
	struct cursor ex;
	size_t n = cur_be16(c);

	if (!cur_ok(c) || !cur_sub(c, n, &ex))
		return;
	while (cur_left(&ex) >= 4) {
		uint16_t type = cur_be16(&ex);
		struct cursor e;

		if (!cur_sub(&ex, cur_be16(&ex), &e))
			return;
		if (client && type == EXT_SNI) {
			struct cursor list;

			if (!cur_sub(&e, cur_be16(&e), &list))
				continue;
			while (cur_left(&list) >= 3) {
				uint8_t kind = cur_u8(&list);
				size_t len = cur_be16(&list);
				const uint8_t *name = cur_take(&list, len);

				if (name == NULL)
					break;
				if (kind != 0 || t->sni[0])
					continue;
				/* Only printable ASCII: a host name. */
				for (size_t i = 0; i < len && i < TLS_SNI_MAX - 1; i++)
					t->sni[i] = name[i] > 0x20 && name[i] < 0x7f ?
					    (char)name[i] : '?';
			}
		} else if (!client && type == EXT_VERSIONS && cur_left(&e) == 2)
			t->selected = cur_be16(&e);
	}
}

static void
hello(struct tls_side *t, struct cursor *c, bool client, uint32_t no)
{
	size_t sid;

	t->version = cur_be16(c);
	cur_skip(c, 32);			/* random */
	sid = cur_u8(c);
	cur_skip(c, sid);
	if (client) {
		cur_skip(c, cur_be16(c));	/* cipher suites */
		cur_skip(c, cur_u8(c));		/* compression methods */
		t->client_hello = true;
	} else {
		t->cipher = cur_be16(c);
		cur_skip(c, 1);
		t->server_hello = true;
	}
	t->hello_frame = no;
	if (!cur_ok(c)) {
		broke(t, no, client ? "a ClientHello cut short" :
		    "a ServerHello cut short");
		return;
	}
	if (cur_left(c) >= 2)
		extensions(t, c, client);
}

/* certificate_list: each a 3-byte length and DER (RFC 5246 7.4.2); the
 * offsets are into t->hs, which the caller keeps. */
static void
certificates(struct tls_side *t, struct cursor *c, uint32_t no)
{
	struct cursor list;
	size_t n = (size_t)cur_u8(c) << 16;

	n |= cur_be16(c);
	if (!cur_ok(c) || !cur_sub(c, n, &list)) {
		broke(t, no, "a Certificate message whose list overruns it");
		return;
	}
	t->cert_frame = no;
	while (cur_left(&list) >= 3 && t->n_certs < TLS_MAX_CERTS) {
		size_t len = (size_t)cur_u8(&list) << 16;
		const uint8_t *der;

		len |= cur_be16(&list);
		if ((der = cur_take(&list, len)) == NULL) {
			broke(t, no, "a certificate longer than its list");
			return;
		}
		t->cert_off[t->n_certs] = (size_t)(der - t->hs);
		t->cert_len[t->n_certs++] = len;
	}
}

/* The handshake messages now whole in t->hs. */
static void
handshakes(struct tls_side *t, uint32_t no)
{
	while (!t->broken && t->n_hs - t->hs_done >= 4) {
		const uint8_t *h = t->hs + t->hs_done;
		size_t len = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
		struct cursor c;

		if (len > TLS_HS_MAX - 4) {
			broke(t, no, "a handshake message longer than 64 KB");
			return;
		}
		if (t->n_hs - t->hs_done - 4 < len)
			return;			/* more to come */
		cur_init(&c, h + 4, len);
		switch (h[0]) {
		case HS_CLIENT_HELLO:
		case HS_SERVER_HELLO:
			hello(t, &c, h[0] == HS_CLIENT_HELLO, no);
			break;
		case HS_CERTIFICATE:
			/* TLS 1.3 sends it encrypted, so this is 1.2's. */
			certificates(t, &c, no);
			break;
		default:
			break;
		}
		t->hs_done += 4 + len;
	}
}

static void
record(struct tls_side *t, const uint8_t *r, size_t len, uint32_t no)
{
	uint8_t type = r[0];
	const uint8_t *body = r + 5;
	size_t n = len - 5;

	t->records++;
	switch (type) {
	case TLS_CCS:
		t->ccs = true;
		break;
	case TLS_ALERT:
		t->alerts++;
		if (t->ccs || n != 2) {
			t->alert_encrypted = true;
			if (!t->alert_frame)
				t->alert_frame = no;
		} else if (t->alert_level == 0) {
			t->alert_level = body[0];
			t->alert_desc = body[1];
			t->alert_frame = no;
		}
		break;
	case TLS_HANDSHAKE:
		if (t->ccs)
			break;			/* Finished, encrypted */
		if (n > TLS_HS_MAX - t->n_hs) {
			broke(t, no, "more than 64 KB of handshake");
			return;
		}
		memcpy(t->hs + t->n_hs, body, n);
		t->n_hs += n;
		handshakes(t, no);
		break;
	case TLS_APPDATA:
		if (t->app_records++ == 0)
			t->app_frame = no;
		t->app_last = no;
		break;
	default:
		broke(t, no, "not TLS: a record of an unknown type");
		break;
	}
}

void
tls_side_feed(struct tls_side *t, const uint8_t *d, size_t n, uint32_t no)
{
	while (n > 0 && !t->broken) {
		size_t need, take;

		/* The header first, then the body it announces. */
		if (t->n_rec < 5) {
			take = 5 - t->n_rec < n ? 5 - t->n_rec : n;
			memcpy(t->rec + t->n_rec, d, take);
			t->n_rec += take;
			d += take;
			n -= take;
			if (t->n_rec < 5)
				return;
			if (t->rec[1] != 3 || t->rec[2] > 4) {
				broke(t, no, "not TLS: no TLS record header");
				return;
			}
		}
		need = 5 + ((size_t)t->rec[3] << 8 | t->rec[4]);
		if (need > TLS_REC_MAX) {
			broke(t, no, "a record longer than TLS allows");
			return;
		}
		take = need - t->n_rec < n ? need - t->n_rec : n;
		memcpy(t->rec + t->n_rec, d, take);
		t->n_rec += take;
		d += take;
		n -= take;
		if (t->n_rec == need) {
			record(t, t->rec, t->n_rec, no);
			t->n_rec = 0;
		}
	}
}
