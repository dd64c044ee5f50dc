/* The payloads inside an SK payload, after decryption: the same walk as
 * the outer chain (every length checked before use, every payload at
 * least its header), keeping what IKE_AUTH evidence needs as offsets into
 * the decrypted bytes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ikeprobe/ike.h"
#include "ikeprobe/ike_msg.h"

static void __attribute__((format(printf, 3, 4)))
fail(struct ike_inner *r, enum ike_parse_status st, const char *fmt, ...)
{
	va_list ap;

	if (r->status != IKE_PARSE_OK)
		return;
	r->status = st;
	va_start(ap, fmt);
	vsnprintf(r->problem, sizeof(r->problem), fmt, ap);
	va_end(ap);
}

static struct ike_span
span(const struct cursor *c, const uint8_t *base)
{
	return (struct ike_span){ (size_t)(cur_here(c) - base), cur_left(c) };
}

static void
payload(uint8_t type, struct cursor *c, const uint8_t *base, struct ike_inner *r)
{
	uint8_t spisize, enc;
	uint16_t nt, eaplen;

	switch (type) {
	case IKE_PL_IDr:
		r->has_idr = true;
		r->idr = span(c, base);
		r->idr_type = cur_u8(c);
		if (!cur_skip(c, 3))
			fail(r, IKE_PARSE_MALFORMED, "IDr payload too short");
		break;
	case IKE_PL_CERT:
		enc = cur_u8(c);
		if (!cur_ok(c)) {
			fail(r, IKE_PARSE_MALFORMED, "CERT payload too short");
			break;
		}
		r->n_certs_total++;
		if (r->n_certs < IKE_MAX_CERTS) {
			r->cert_encoding[r->n_certs] = enc;
			r->cert[r->n_certs++] = span(c, base);
		}
		break;
	case IKE_PL_CERTREQ:
		r->n_certreq++;
		break;
	case IKE_PL_AUTH:
		r->auth_method = cur_u8(c);
		if (!cur_skip(c, 3)) {
			fail(r, IKE_PARSE_MALFORMED, "AUTH payload too short");
			break;
		}
		r->has_auth = true;
		r->auth = span(c, base);
		break;
	case IKE_PL_EAP:
		/* RFC 3748 4: code, identifier, length, then a type for
		 * requests and responses. */
		r->eap_code = cur_u8(c);
		r->eap_id = cur_u8(c);
		eaplen = cur_be16(c);
		if (!cur_ok(c) || eaplen != cur_left(c) + 4) {
			fail(r, IKE_PARSE_MALFORMED, "EAP length %u in a payload "
			    "of %zu", eaplen, cur_left(c) + 4);
			break;
		}
		r->has_eap = true;
		if (r->eap_code == IKE_EAP_REQUEST || r->eap_code == IKE_EAP_RESPONSE) {
			r->eap_type = cur_u8(c);
			/* EAP-MSCHAPv2's OpCode (RFC draft-kamath 2): its
			 * Failure is the password refused. */
			if (cur_left(c) > 0)
				r->eap_op = cur_here(c)[0];
		}
		break;
	case IKE_PL_NOTIFY:
		cur_skip(c, 1);
		spisize = cur_u8(c);
		nt = cur_be16(c);
		if (!cur_ok(c) || !cur_skip(c, spisize)) {
			fail(r, IKE_PARSE_MALFORMED, "notify too short");
			break;
		}
		if (r->n_notifies < IKE_MAX_NOTIFIES)
			r->notifies[r->n_notifies++] = nt;
		break;
	case IKE_PL_CP:
		r->has_cp = true;
		break;
	case IKE_PL_SA:
		r->has_sa = true;
		break;
	case IKE_PL_TSi:
	case IKE_PL_TSr:
		r->has_ts = true;
		break;
	case IKE_PL_DELETE:
		r->has_delete = true;
		break;
	default:
		break;
	}
}

void
ike_parse_inner(const uint8_t *buf, size_t len, uint8_t first, struct ike_inner *r)
{
	struct cursor c, pl;
	uint8_t np = first;

	memset(r, 0, sizeof(*r));
	cur_init(&c, buf, len);
	while (np != IKE_PL_NONE) {
		uint8_t type = np;
		uint16_t plen;

		if (cur_left(&c) < IKE_GENERIC_HDR_LEN) {
			fail(r, IKE_PARSE_MALFORMED, "inner payload chain ends "
			    "early: %s announced, %zu bytes left",
			    ike_payload_name(type), cur_left(&c));
			return;
		}
		np = cur_u8(&c);
		cur_skip(&c, 1);
		plen = cur_be16(&c);
		if (plen < IKE_GENERIC_HDR_LEN ||
		    (size_t)plen - IKE_GENERIC_HDR_LEN > cur_left(&c)) {
			fail(r, IKE_PARSE_MALFORMED, "inner %s payload length %u "
			    "(%zu bytes left)", ike_payload_name(type), plen,
			    cur_left(&c) + IKE_GENERIC_HDR_LEN);
			return;
		}
		cur_sub(&c, plen - IKE_GENERIC_HDR_LEN, &pl);
		r->n_payloads++;
		if (type == IKE_PL_SK || type == IKE_PL_SKF) {
			fail(r, IKE_PARSE_MALFORMED, "an encrypted payload inside "
			    "an encrypted payload");
			return;
		}
		payload(type, &pl, buf, r);
	}
	if (cur_left(&c) > 0)
		fail(r, IKE_PARSE_MALFORMED, "%zu bytes after the last inner "
		    "payload", cur_left(&c));
}

bool
ike_inner_has_notify(const struct ike_inner *r, uint16_t type)
{
	for (int i = 0; i < r->n_notifies; i++)
		if (r->notifies[i] == type)
			return true;
	return false;
}
