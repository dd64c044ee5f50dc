#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ikeprobe/ike.h"

struct ike_name {
	unsigned	 value;
	const char	*name;
};

#define NAME_ENTRY(n, v)	{ v, #n },

static const struct ike_name exchange_names[] = { IKE_EXCHANGE_LIST(NAME_ENTRY) };
static const struct ike_name payload_names[] = { IKE_PAYLOAD_LIST(NAME_ENTRY) };
static const struct ike_name notify_names[] = { IKE_NOTIFY_LIST(NAME_ENTRY) };
static const struct ike_name ttype_names[] = { IKE_TRANSFORM_TYPE_LIST(NAME_ENTRY) };
static const struct ike_name encr_names[] = { IKE_ENCR_LIST(NAME_ENTRY) };
static const struct ike_name prf_names[] = { IKE_PRF_LIST(NAME_ENTRY) };
static const struct ike_name integ_names[] = { IKE_INTEG_LIST(NAME_ENTRY) };
static const struct ike_name dh_names[] = { IKE_DH_LIST(NAME_ENTRY) };
static const struct ike_name esn_names[] = { { 0, "NO_ESN" }, { 1, "ESN" } };
static const struct ike_name id_names[] = { IKE_ID_LIST(NAME_ENTRY) };
static const struct ike_name cert_names[] = { IKE_CERT_LIST(NAME_ENTRY) };
static const struct ike_name auth_names[] = { IKE_AUTH_LIST(NAME_ENTRY) };
static const struct ike_name eap_names[] = { IKE_EAP_LIST(NAME_ENTRY) };

#define N_ELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *
lookup(const struct ike_name *t, size_t n, unsigned v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

static const char *
or_unknown(const char *name, char *buf, size_t len, unsigned v)
{
	if (name)
		return name;
	snprintf(buf, len, "<UNKNOWN:%u>", v);
	return buf;
}

#define NAMER(fn, table) \
const char * \
fn(unsigned v) \
{ \
	static char buf[24]; \
	return or_unknown(lookup(table, N_ELEM(table), v), buf, sizeof(buf), v); \
}

NAMER(ike_exchange_name, exchange_names)
NAMER(ike_payload_name, payload_names)
NAMER(ike_notify_name, notify_names)
NAMER(ike_transform_type_name, ttype_names)
NAMER(ike_dh_name, dh_names)
NAMER(ike_id_name, id_names)
NAMER(ike_cert_name, cert_names)
NAMER(ike_auth_name, auth_names)
NAMER(ike_eap_name, eap_names)

const char *
ike_notify_name_known(unsigned v)
{
	return lookup(notify_names, N_ELEM(notify_names), v);
}

const char *
ike_transform_name(unsigned type, unsigned id)
{
	static char buf[24];
	const char *n = NULL;

	switch (type) {
	case IKE_TT_ENCR:
		n = lookup(encr_names, N_ELEM(encr_names), id);
		break;
	case IKE_TT_PRF:
		n = lookup(prf_names, N_ELEM(prf_names), id);
		break;
	case IKE_TT_INTEG:
		n = lookup(integ_names, N_ELEM(integ_names), id);
		if (n && id == 0)
			n = "INTEG_NONE";
		break;
	case IKE_TT_DH:
		n = lookup(dh_names, N_ELEM(dh_names), id);
		if (n && id == 0)
			n = "DH_NONE";
		break;
	case IKE_TT_ESN:
		n = lookup(esn_names, N_ELEM(esn_names), id);
		break;
	default:
		break;
	}
	return or_unknown(n, buf, sizeof(buf), id);
}

static const struct {
	uint16_t	 encr;
	int		 bits;
	const char	*name;
} ws_encr[] = {
	{ IKE_ENCR_AES_CBC, 128, "AES-CBC-128 [RFC3602]" },
	{ IKE_ENCR_AES_CBC, 192, "AES-CBC-192 [RFC3602]" },
	{ IKE_ENCR_AES_CBC, 256, "AES-CBC-256 [RFC3602]" },
	{ IKE_ENCR_AES_GCM_16, 128, "AES-GCM-128 with 16 octet ICV [RFC5282]" },
	{ IKE_ENCR_AES_GCM_16, 192, "AES-GCM-192 with 16 octet ICV [RFC5282]" },
	{ IKE_ENCR_AES_GCM_16, 256, "AES-GCM-256 with 16 octet ICV [RFC5282]" },
};

static const struct {
	uint16_t	 integ;
	const char	*name;
} ws_integ[] = {
	{ IKE_INTEG_NONE, "NONE [RFC4306]" },
	{ IKE_INTEG_AUTH_HMAC_SHA1_96, "HMAC_SHA1_96 [RFC2404]" },
	{ IKE_INTEG_AUTH_HMAC_SHA2_256_128, "HMAC_SHA2_256_128 [RFC4868]" },
	{ IKE_INTEG_AUTH_HMAC_SHA2_384_192, "HMAC_SHA2_384_192 [RFC4868]" },
	{ IKE_INTEG_AUTH_HMAC_SHA2_512_256, "HMAC_SHA2_512_256 [RFC4868]" },
};

const char *
ike_wireshark_encr(unsigned encr, int bits)
{
	for (size_t i = 0; i < N_ELEM(ws_encr); i++)
		if (ws_encr[i].encr == encr && ws_encr[i].bits == bits)
			return ws_encr[i].name;
	return NULL;
}

const char *
ike_wireshark_integ(unsigned integ)
{
	for (size_t i = 0; i < N_ELEM(ws_integ); i++)
		if (ws_integ[i].integ == integ)
			return ws_integ[i].name;
	return NULL;
}

/* The name in s (n bytes), without quotes and spaces around it. */
static bool
ws_is(const char *s, size_t n, const char *name)
{
	while (n > 0 && (*s == ' ' || *s == '"')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '"' || s[n - 1] == '\r'))
		n--;
	return n == strlen(name) && memcmp(s, name, n) == 0;
}

int
ike_wireshark_encr_of(const char *s, size_t n, uint16_t *encr, int *bits)
{
	for (size_t i = 0; i < N_ELEM(ws_encr); i++)
		if (ws_is(s, n, ws_encr[i].name)) {
			*encr = ws_encr[i].encr;
			*bits = ws_encr[i].bits;
			return 0;
		}
	return -1;
}

int
ike_wireshark_integ_of(const char *s, size_t n, uint16_t *integ)
{
	for (size_t i = 0; i < N_ELEM(ws_integ); i++)
		if (ws_is(s, n, ws_integ[i].name)) {
			*integ = ws_integ[i].integ;
			return 0;
		}
	return -1;
}
