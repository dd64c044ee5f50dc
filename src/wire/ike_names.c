#include <stddef.h>
#include <stdio.h>

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
