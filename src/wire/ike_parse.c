/* Decoding IKE replies. Every length is validated before it is used (as
 * OpenIKED's ikev2_validate_* before ikev2_pld_*), and the cursor refuses to
 * read past the end, so a lying or truncated reply is reported, not trusted. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ikeprobe/ike.h"
#include "ikeprobe/ike_msg.h"

static void __attribute__((format(printf, 3, 4)))
fail(struct ike_reply *r, enum ike_parse_status st, const char *fmt, ...)
{
	va_list ap;

	if (r->status != IKE_PARSE_OK)
		return;		/* keep the first problem: later ones follow from it */
	r->status = st;
	va_start(ap, fmt);
	vsnprintf(r->problem, sizeof(r->problem), fmt, ap);
	va_end(ap);
}

bool
ike_peek_spi(const uint8_t *buf, size_t len, uint8_t spi_i[IKE_SPI_LEN])
{
	struct cursor c;

	cur_init(&c, buf, len);
	return cur_copy(&c, spi_i, IKE_SPI_LEN);
}

/* SA payload in a reply: exactly one proposal with one transform of each
 * type (RFC 7296 3.3.6). We record what is there and flag what is not. */
static void
parse_sa(struct cursor *c, struct ike_reply *r)
{
	struct cursor prop, xf;
	uint8_t last = 2, spisize, nxf;
	uint16_t plen, xlen;

	r->has_sa = true;
	while (cur_left(c) > 0 && last == 2) {
		last = cur_u8(c);
		cur_skip(c, 1);
		plen = cur_be16(c);
		if (!cur_ok(c) || plen < 8 || (size_t)plen - 4 > cur_left(c)) {
			fail(r, IKE_PARSE_MALFORMED,
			    "SA proposal length %u invalid (%zu bytes left)",
			    plen, cur_left(c) + 4);
			return;
		}
		cur_sub(c, plen - 4, &prop);
		r->n_proposals++;
		cur_skip(&prop, 1);		/* proposal number */
		cur_skip(&prop, 1);		/* protocol ID */
		spisize = cur_u8(&prop);
		nxf = cur_u8(&prop);
		if (!cur_skip(&prop, spisize)) {
			fail(r, IKE_PARSE_MALFORMED,
			    "SA proposal SPI size %u exceeds proposal", spisize);
			return;
		}
		for (unsigned i = 0; i < nxf; i++) {
			struct ike_transform t = { 0, 0, -1 };
			uint8_t xlast;

			xlast = cur_u8(&prop);
			cur_skip(&prop, 1);
			xlen = cur_be16(&prop);
			if (!cur_ok(&prop) || xlen < 8 || (size_t)xlen - 4 > cur_left(&prop)) {
				fail(r, IKE_PARSE_MALFORMED,
				    "SA transform length %u invalid", xlen);
				return;
			}
			cur_sub(&prop, xlen - 4, &xf);
			t.type = cur_u8(&xf);
			cur_skip(&xf, 1);
			t.id = cur_be16(&xf);
			while (cur_left(&xf) >= 4) {
				uint16_t at = cur_be16(&xf), av = cur_be16(&xf);

				if (at & IKE_ATTR_TV) {
					if ((at & 0x7fff) == IKE_ATTR_KEY_LENGTH)
						t.key_length = av;
				} else if (!cur_skip(&xf, av)) {
					fail(r, IKE_PARSE_MALFORMED,
					    "transform attribute length %u too long", av);
					return;
				}
			}
			if (r->n_chosen < IKE_MAX_TRANSFORMS)
				r->chosen[r->n_chosen++] = t;
			if (xlast == 0)
				break;
		}
	}
}

/* A NAT_DETECTION hash is SHA-1: any other length cannot be compared, and
 * a wrong one would fake a NAT (or hide one). */
static void
parse_natd(struct cursor *c, struct ike_reply *r, uint16_t type)
{
	size_t n = cur_left(c);

	if (n != IKE_NATD_LEN) {
		fail(r, IKE_PARSE_MALFORMED, "%s of %zu bytes (%d expected)",
		    ike_notify_name(type), n, IKE_NATD_LEN);
		return;
	}
	if (type == IKE_N_NAT_DETECTION_DESTINATION_IP) {
		/* One destination: the address the responder sent to. */
		if (!r->has_natd_dst && cur_copy(c, r->natd_dst, IKE_NATD_LEN))
			r->has_natd_dst = true;
	} else if (r->n_natd_src < IKE_MAX_NATD_SRC &&
	    cur_copy(c, r->natd_src[r->n_natd_src], IKE_NATD_LEN))
		r->n_natd_src++;
}

static void
parse_notify(struct cursor *c, struct ike_reply *r)
{
	uint8_t spisize;
	uint16_t type;

	cur_skip(c, 1);		/* protocol ID */
	spisize = cur_u8(c);
	type = cur_be16(c);
	if (!cur_ok(c) || !cur_skip(c, spisize)) {
		fail(r, IKE_PARSE_MALFORMED, "notify too short for its SPI (%u)",
		    spisize);
		return;
	}
	r->n_notifies_total++;
	if (r->n_notifies < IKE_MAX_NOTIFIES)
		r->notifies[r->n_notifies++] = type;

	switch (type) {
	case IKE_N_INVALID_KE_PAYLOAD:
		if (cur_left(c) >= 2)
			r->invalid_ke_group = cur_be16(c);
		else
			fail(r, IKE_PARSE_MALFORMED,
			    "INVALID_KE_PAYLOAD without a group");
		break;
	case IKE_N_COOKIE:
		r->cookie_len = cur_left(c);
		if (r->cookie_len < 1 || r->cookie_len > IKE_COOKIE_MAX) {
			fail(r, IKE_PARSE_MALFORMED,
			    "COOKIE of %zu bytes (1-64 allowed)", r->cookie_len);
			r->cookie_len = 0;
		} else
			cur_copy(c, r->cookie, r->cookie_len);
		break;
	case IKE_N_IKEV2_FRAGMENTATION_SUPPORTED:
		r->frag_supported = true;
		break;
	case IKE_N_REDIRECT:
		r->has_redirect = true;
		break;
	case IKE_N_NAT_DETECTION_SOURCE_IP:
	case IKE_N_NAT_DETECTION_DESTINATION_IP:
		parse_natd(c, r, type);
		break;
	default:
		break;
	}
}

static void
parse_payload(uint8_t type, struct cursor *c, struct ike_reply *r,
    const uint8_t *base)
{
	switch (type) {
	case IKE_PL_SA:
		parse_sa(c, r);
		break;
	case IKE_PL_KE:
		r->ke_group = cur_be16(c);
		cur_skip(c, 2);
		if (!cur_ok(c)) {
			fail(r, IKE_PARSE_MALFORMED, "KE payload too short");
			return;
		}
		r->has_ke = true;
		r->ke_len = cur_left(c);
		r->ke_off = (size_t)(cur_here(c) - base);
		break;
	case IKE_PL_NONCE:
		r->has_nonce = true;
		r->nonce_len = cur_left(c);
		r->nonce_off = (size_t)(cur_here(c) - base);
		if (r->nonce_len < 16 || r->nonce_len > IKE_NONCE_MAX)
			fail(r, IKE_PARSE_MALFORMED,
			    "nonce of %zu bytes (16-256 allowed)", r->nonce_len);
		break;
	case IKE_PL_NOTIFY:
		parse_notify(c, r);
		break;
	case IKE_PL_VENDOR_ID:
		r->n_vids_total++;
		if (r->n_vids < IKE_MAX_VIDS) {
			struct ike_vid *v = &r->vids[r->n_vids++];

			v->full_len = cur_left(c);
			v->len = v->full_len < IKE_VID_MAX ? v->full_len : IKE_VID_MAX;
			cur_copy(c, v->data, v->len);
		}
		break;
	case IKE_PL_CERTREQ:
		r->n_certreq++;
		break;
	default:
		r->n_unknown_payloads++;
		break;
	}
}

static enum ike_reply_kind
classify(const struct ike_reply *r)
{
	if (ike_reply_has_notify(r, IKE_N_COOKIE))
		return IKE_REPLY_COOKIE;
	if (ike_reply_has_notify(r, IKE_N_INVALID_KE_PAYLOAD))
		return IKE_REPLY_INVALID_KE;
	if (ike_reply_has_notify(r, IKE_N_NO_PROPOSAL_CHOSEN))
		return IKE_REPLY_NO_PROPOSAL;
	for (int i = 0; i < r->n_notifies; i++)
		if (r->notifies[i] <= IKE_NOTIFY_ERROR_MAX)
			return IKE_REPLY_ERROR;
	if (r->has_sa && r->has_ke && r->has_nonce)
		return IKE_REPLY_SA;
	return IKE_REPLY_OTHER;
}

void
ike_parse(const uint8_t *buf, size_t len, struct ike_reply *r)
{
	struct cursor c, body, pl;
	uint8_t np;

	memset(r, 0, sizeof(*r));
	/* Whatever goes wrong, the reply gets a kind: it was matched to a
	 * probe by its SPI, so it is an answer even when nothing else in it
	 * can be read (IKE_REPLY_OTHER, never NONE). */
	r->kind = IKE_REPLY_OTHER;
	cur_init(&c, buf, len);
	if (len < IKE_HDR_LEN) {
		fail(r, IKE_PARSE_TRUNCATED, "%zu bytes, shorter than the "
		    "IKE header (%d)", len, IKE_HDR_LEN);
		return;
	}
	cur_copy(&c, r->spi_i, IKE_SPI_LEN);
	cur_copy(&c, r->spi_r, IKE_SPI_LEN);
	np = cur_u8(&c);
	r->version = cur_u8(&c);
	r->exchange = cur_u8(&c);
	r->flags = cur_u8(&c);
	r->msgid = cur_be32(&c);
	r->length = cur_be32(&c);

	if (r->version >> 4 != 2) {
		fail(r, IKE_PARSE_MALFORMED, "major version %u, not IKEv2",
		    r->version >> 4);
		return;
	}
	if (r->length < IKE_HDR_LEN) {
		fail(r, IKE_PARSE_MALFORMED, "header length %u shorter than "
		    "the header", r->length);
		return;
	}
	if (r->length > len) {
		fail(r, IKE_PARSE_TRUNCATED, "header says %u bytes, %zu "
		    "received", r->length, len);
		/* Decode what arrived: it may still name the reply. */
		cur_sub(&c, len - IKE_HDR_LEN, &body);
	} else {
		if (r->length < len)
			fail(r, IKE_PARSE_MALFORMED, "%zu bytes after the %u "
			    "the header declares", len - r->length, r->length);
		cur_sub(&c, r->length - IKE_HDR_LEN, &body);
	}

	/* Each payload is at least its 4-byte header long, so the walk moves
	 * forward and ends within the message: no loop is possible. */
	while (np != IKE_PL_NONE) {
		uint8_t type = np;
		uint16_t plen;

		if (cur_left(&body) < IKE_GENERIC_HDR_LEN) {
			fail(r, r->length > len ? IKE_PARSE_TRUNCATED :
			    IKE_PARSE_MALFORMED, "payload chain ends inside "
			    "the message: %s announced, %zu bytes left",
			    ike_payload_name(type), cur_left(&body));
			break;
		}
		np = cur_u8(&body);
		cur_skip(&body, 1);
		plen = cur_be16(&body);
		if (plen < IKE_GENERIC_HDR_LEN) {
			fail(r, IKE_PARSE_MALFORMED, "%s payload length %u, "
			    "shorter than its header", ike_payload_name(type),
			    plen);
			break;
		}
		if ((size_t)plen - IKE_GENERIC_HDR_LEN > cur_left(&body)) {
			fail(r, r->length > len ? IKE_PARSE_TRUNCATED :
			    IKE_PARSE_MALFORMED, "%s payload length %u, only "
			    "%zu bytes left", ike_payload_name(type), plen,
			    cur_left(&body) + IKE_GENERIC_HDR_LEN);
			break;
		}
		cur_sub(&body, plen - IKE_GENERIC_HDR_LEN, &pl);
		r->n_payloads++;
		/* The encrypted payload is the last (RFC 7296 3.14): its
		 * next-payload names the first one inside. */
		if (type == IKE_PL_SK || type == IKE_PL_SKF) {
			r->has_sk = true;
			r->skf = type == IKE_PL_SKF;
			r->sk_np = np;
			r->sk_off = (size_t)(cur_here(&pl) - buf) - IKE_GENERIC_HDR_LEN;
			if (r->skf) {
				r->frag_num = cur_be16(&pl);
				r->frag_total = cur_be16(&pl);
				if (!cur_ok(&pl) || r->frag_num == 0 ||
				    r->frag_num > r->frag_total)
					fail(r, IKE_PARSE_MALFORMED, "encrypted "
					    "fragment %u of %u", r->frag_num,
					    r->frag_total);
			}
			if (cur_left(&body) > 0)
				fail(r, IKE_PARSE_MALFORMED, "%zu bytes after the "
				    "encrypted payload", cur_left(&body));
			np = IKE_PL_NONE;
			break;
		}
		parse_payload(type, &pl, r, buf);
	}
	if (np == IKE_PL_NONE && cur_left(&body) > 0)
		fail(r, IKE_PARSE_MALFORMED, "%zu bytes after the last payload",
		    cur_left(&body));
	r->kind = classify(r);
}

void
ike_check_sa_init_response(struct ike_reply *r)
{
	/* A message that failed to parse has said what is wrong first. */
	if (r->status != IKE_PARSE_OK)
		return;
	if (r->exchange != IKE_EXCH_IKE_SA_INIT)
		fail(r, IKE_PARSE_MALFORMED, "exchange type %s, not IKE_SA_INIT",
		    ike_exchange_name(r->exchange));
	else if (!(r->flags & IKE_FLAG_RESPONSE))
		fail(r, IKE_PARSE_MALFORMED, "response flag not set (flags "
		    "0x%02x)", r->flags);
	else if (r->msgid != 0)
		fail(r, IKE_PARSE_MALFORMED, "message ID %u, not 0", r->msgid);
}

bool
ike_reply_has_notify(const struct ike_reply *r, uint16_t type)
{
	for (int i = 0; i < r->n_notifies; i++)
		if (r->notifies[i] == type)
			return true;
	return false;
}

const char *
ike_reply_kind_name(enum ike_reply_kind k)
{
	static const char *const names[] = {
		[IKE_REPLY_NONE] = "none",
		[IKE_REPLY_SA] = "sa",
		[IKE_REPLY_COOKIE] = "cookie",
		[IKE_REPLY_INVALID_KE] = "invalid_ke",
		[IKE_REPLY_NO_PROPOSAL] = "no_proposal",
		[IKE_REPLY_ERROR] = "error",
		[IKE_REPLY_OTHER] = "other",
	};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

struct known_vid {
	const char	*name;
	const char	*hex;		/* prefix to match */
};

/* Vendor IDs seen from common gateways (values as published by the
 * vendors' implementations and ike-scan's catalogue). Matched by prefix:
 * several carry a version after a fixed part. */
static const struct known_vid known_vids[] = {
	{ "strongSwan", "882fe56d6fd20dbc2251613b2ebe5beb" },
	{ "Microsoft Windows (MS NT5 ISAKMPOAKLEY)", "1e2b516905991c7d7c96fcbfb587e461" },
	{ "Microsoft MS-Negotiation Discovery Capable", "fb1de3cdf341b7ea16b7e5be0855f120" },
	{ "Microsoft IKE CGA version 1", "e3a5966a76379fe707228231e5ce8652" },
	{ "Microsoft Vid-Initial-Contact", "26244d38eddb61b3172a36e3d0cfb819" },
	{ "Cisco Unity", "12f5f28c457168a9702d9fe274cc0100" },
	{ "Cisco (COPYRIGHT)", "434953434f28434f5059524947485429" },	/* "CISCO(COPYRIGHT)" */
	{ "Cisco FlexVPN", "464c455856504e2d535550504f52544544" },	/* "FLEXVPN-SUPPORTED" */
	{ "Cisco Delete Reason", "434953434f2d44454c4554452d524541534f4e" },
	{ "Cisco", "434953434f2d" },					/* "CISCO-" */
	{ "RFC 3947 NAT-T", "4a131c81070358455c5728f20e95452f" },
	{ "Dead Peer Detection", "afcad71368a1f1c96b8696fc77570100" },
	{ "ikeprobe", "696b6570726f6265" },				/* "ikeprobe" */
	{ "libreswan", "4f452d4c696272657377616e2d" },		/* "OE-Libreswan-" + version */
	{ "libreswan/Openswan", "4f45" },				/* "OE" + hash */
};

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

const char *
ike_vid_name(const uint8_t *data, size_t len)
{
	for (size_t k = 0; k < sizeof(known_vids) / sizeof(known_vids[0]); k++) {
		const char *h = known_vids[k].hex;
		size_t n = strlen(h) / 2, i;

		if (len < n)
			continue;
		for (i = 0; i < n; i++)
			if (data[i] != (uint8_t)(hexval(h[2 * i]) << 4 |
			    hexval(h[2 * i + 1])))
				break;
		/* "OE" alone is too short to trust unless the length fits
		 * libreswan's 12-byte form. */
		if (i == n && (n > 2 || len == 12))
			return known_vids[k].name;
	}
	return NULL;
}
