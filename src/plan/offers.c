/* The proposal audit's offers, in the order they are sent: the control
 * first (it decides whether the rest can be read at all), then what
 * clients send, then each transform, the weak ones of each family first.
 * A transform offer varies one transform and leaves every other type open
 * (all the transforms audited of that type), so "accepted" means: some
 * proposal of the gateway's has this transform, and the gateway takes it
 * with the rest of what we offered. An AEAD cipher has no integrity
 * transform (RFC 7296 3.3.3), so a PRF or group offer carries it in two
 * proposals, AEAD and CBC; an integrity offer only in the CBC one. */
#include <string.h>

#include "ikeprobe/audit.h"
#include "ikeprobe/ike.h"

#define E(id, kl)	{ IKE_TT_ENCR, IKE_ENCR_##id, kl }
#define P(id)		{ IKE_TT_PRF, IKE_PRF_HMAC_##id, 0 }
#define I(id)		{ IKE_TT_INTEG, IKE_INTEG_AUTH_HMAC_##id, 0 }
#define D(id)		{ IKE_TT_DH, IKE_DH_##id, 0 }
#define N(a)		((int)(sizeof(a) / sizeof((a)[0])))

/* What each type's open set is: every transform audited of it. */
static const struct ike_xform aead_all[] = {
	E(AES_GCM_16, 128), E(AES_GCM_16, 256), E(CHACHA20_POLY1305, 0),
};
static const struct ike_xform cbc_all[] = {
	E(DES, 0), E(3DES, 0), E(AES_CBC, 128), E(AES_CBC, 192), E(AES_CBC, 256),
};
static const struct ike_xform prf_all[] = {
	P(MD5), P(SHA1), P(SHA2_256), P(SHA2_384), P(SHA2_512),
};
static const struct ike_xform integ_all[] = {
	I(MD5_96), I(SHA1_96), I(SHA2_256_128), I(SHA2_384_192), I(SHA2_512_256),
};
static const struct ike_xform dh_all[] = {
	D(MODP_768), D(MODP_1024), D(MODP_1024_160), D(MODP_1536),
	D(MODP_2048_224), D(MODP_2048_256), D(MODP_2048), D(MODP_3072),
	D(MODP_4096), D(ECP_256), D(ECP_384), D(ECP_521), D(CURVE25519),
};

/* The Windows built-in IKEv2 client (RasMan) with default settings, as
 * strongSwan's documentation gives it for Windows 7 to 11: "ike =
 * 3des-aes128-aes192-aes256-sha1-sha256-sha384-modp1024", one proposal
 * per hash (Windows pairs integrity and PRF), all with DH group 2. */
#define WIN_CBC(i, p) E(3DES, 0), E(AES_CBC, 128), E(AES_CBC, 192), \
	E(AES_CBC, 256), I(i), P(p)
static const struct ike_xform win_sha1[] = { WIN_CBC(SHA1_96, SHA1), D(MODP_1024) };
static const struct ike_xform win_sha256[] = { WIN_CBC(SHA2_256_128, SHA2_256), D(MODP_1024) };
static const struct ike_xform win_sha384[] = { WIN_CBC(SHA2_384_192, SHA2_384), D(MODP_1024) };
static const struct audit_client_prop win_default[] = {
	{ win_sha1, N(win_sha1) }, { win_sha256, N(win_sha256) },
	{ win_sha384, N(win_sha384) },
};

/* Windows 11 adds "aes128gcm16-aes256gcm16-sha1-sha256-sha384-modp1024". */
static const struct ike_xform win11_gcm[] = {
	E(AES_GCM_16, 128), E(AES_GCM_16, 256), P(SHA1), P(SHA2_256), P(SHA2_384),
	D(MODP_1024),
};
static const struct audit_client_prop win11_default[] = {
	{ win_sha1, N(win_sha1) }, { win_sha256, N(win_sha256) },
	{ win_sha384, N(win_sha384) }, { win11_gcm, N(win11_gcm) },
};

/* RasMan's NegotiateDH2048_AES256 = 2 ("enforce"): "ike =
 * aes256-sha1-sha256-sha384-modp2048" (Windows 11). */
static const struct ike_xform w14_sha1[] = { E(AES_CBC, 256), I(SHA1_96), P(SHA1), D(MODP_2048) };
static const struct ike_xform w14_sha256[] = { E(AES_CBC, 256), I(SHA2_256_128), P(SHA2_256), D(MODP_2048) };
static const struct ike_xform w14_sha384[] = { E(AES_CBC, 256), I(SHA2_384_192), P(SHA2_384), D(MODP_2048) };
static const struct audit_client_prop win_dh2048[] = {
	{ w14_sha1, N(w14_sha1) }, { w14_sha256, N(w14_sha256) },
	{ w14_sha384, N(w14_sha384) },
};

/* Always On VPN profiles with a cryptographySuite (ProfileXML, Intune):
 * EncryptionMethod, IntegrityCheckMethod (the PRF; with a CBC cipher also
 * the integrity transform) and DHGroup, one proposal. */
static const struct ike_xform cs_aes128[] = { E(AES_CBC, 128), I(SHA2_256_128), P(SHA2_256), D(MODP_2048) };
static const struct ike_xform cs_gcm128[] = { E(AES_GCM_16, 128), P(SHA2_256), D(MODP_2048) };
static const struct ike_xform cs_aes256[] = { E(AES_CBC, 256), I(SHA2_384_192), P(SHA2_384), D(ECP_384) };
static const struct ike_xform cs_gcm256[] = { E(AES_GCM_16, 256), P(SHA2_384), D(ECP_384) };
static const struct audit_client_prop cs_aes128_p[] = { { cs_aes128, N(cs_aes128) } };
static const struct audit_client_prop cs_gcm128_p[] = { { cs_gcm128, N(cs_gcm128) } };
static const struct audit_client_prop cs_aes256_p[] = { { cs_aes256, N(cs_aes256) } };
static const struct audit_client_prop cs_gcm256_p[] = { { cs_gcm256, N(cs_gcm256) } };

/* strongSwan 5.9's "default" (proposal_create_default() and _aead()), as
 * its openssl plugin fills it: a CBC proposal, then an AEAD one, the same
 * PRFs and groups in both. The Brainpool groups it also offers are left
 * out: the audit's own KE uses one (audit.h). */
#define SW_PRF	P(SHA2_256), P(SHA2_384), P(SHA2_512), P(SHA1)
#define SW_DH	D(ECP_256), D(ECP_384), D(ECP_521), D(CURVE25519), D(CURVE448), \
	D(MODP_3072), D(MODP_4096), D(MODP_6144), D(MODP_8192), D(MODP_2048)
static const struct ike_xform sw_cbc[] = {
	E(AES_CBC, 128), E(AES_CBC, 192), E(AES_CBC, 256), E(3DES, 0),
	I(SHA2_256_128), I(SHA2_384_192), I(SHA2_512_256), I(SHA1_96),
	SW_PRF, SW_DH,
};
static const struct ike_xform sw_aead[] = {
	E(AES_GCM_16, 128), E(AES_GCM_16, 192), E(AES_GCM_16, 256),
	E(CHACHA20_POLY1305, 0), SW_PRF, SW_DH,
};
static const struct audit_client_prop sw_default[] = {
	{ sw_cbc, N(sw_cbc) }, { sw_aead, N(sw_aead) },
};

#define CLIENT(name, label, props, src) \
	{ name, AUDIT_CLIENT, AUDIT_FAM_CLIENT, { 0, 0, 0 }, RFC8247_UNLISTED, \
	  label, props, N(props), src }
#define XF(fam, name, x, lvl) \
	{ name, AUDIT_TRANSFORM, AUDIT_FAM_##fam, x, RFC8247_##lvl, NULL, NULL, 0, NULL }

/* The levels are RFC 8247's tables (sections 3.1-3.4), as quoted in
 * docs/REPORTS.md from the working group's draft; a transform they do not
 * list says so. AES with 128-bit keys is at the table's level, 256-bit
 * keys at SHOULD, 192-bit keys "can safely be ignored" (MAY here). */
const struct audit_offer_def audit_offers[] = {
	{ "control", AUDIT_CONTROL, AUDIT_FAM_CONTROL, { 0, 0, 0 },
	  RFC8247_UNLISTED, NULL, NULL, 0, NULL },
	CLIENT("windows-default", "Windows client, default settings (Windows 7 to 11)",
	    win_default, "strongSwan documentation, Windows Clients"),
	CLIENT("windows11-default", "Windows 11 client, default settings",
	    win11_default, "strongSwan documentation, Windows Clients"),
	CLIENT("windows-dh2048", "Windows 11 client with RasMan NegotiateDH2048_AES256 = 2",
	    win_dh2048, "strongSwan documentation, Windows Clients"),
	CLIENT("cryptosuite-aes128-sha256-group14", "cryptographySuite AES128, "
	    "SHA256, Group14", cs_aes128_p, "Richard Hicks, Set-IKEv2VpnSecurity"
	    "Baseline.ps1 (standard); Microsoft, Set-VpnServerConfiguration"),
	CLIENT("cryptosuite-gcmaes128-sha256-group14", "cryptographySuite "
	    "AES_GCM_128, SHA256, Group14", cs_gcm128_p, "Richard Hicks, "
	    "ProfileXML samples and Set-IKEv2VpnSecurityBaseline.ps1 (enhanced)"),
	CLIENT("cryptosuite-aes256-sha384-ecp384", "cryptographySuite AES256, "
	    "SHA384, ECP384", cs_aes256_p, "Microsoft, "
	    "Set-VpnConnectionIPsecConfiguration, example 1"),
	CLIENT("cryptosuite-gcmaes256-sha384-ecp384", "cryptographySuite "
	    "AES_GCM_256, SHA384, ECP384", cs_gcm256_p, "Microsoft, VPNv2 CSP "
	    "CryptographySuite values"),
	CLIENT("strongswan-default", "strongSwan 5.9 client, default proposals",
	    sw_default, "strongSwan 5.9, proposal_create_default()"),
	XF(ENCR, "ENCR_DES", E(DES, 0), MUST_NOT),
	XF(ENCR, "ENCR_3DES", E(3DES, 0), MAY),
	XF(ENCR, "ENCR_AES_CBC_128", E(AES_CBC, 128), MUST),
	XF(ENCR, "ENCR_AES_CBC_192", E(AES_CBC, 192), MAY),
	XF(ENCR, "ENCR_AES_CBC_256", E(AES_CBC, 256), SHOULD),
	XF(ENCR, "ENCR_AES_GCM_16_128", E(AES_GCM_16, 128), SHOULD),
	XF(ENCR, "ENCR_AES_GCM_16_256", E(AES_GCM_16, 256), SHOULD),
	XF(ENCR, "ENCR_CHACHA20_POLY1305", E(CHACHA20_POLY1305, 0), SHOULD),
	XF(PRF, "PRF_HMAC_MD5", P(MD5), MUST_NOT),
	XF(PRF, "PRF_HMAC_SHA1", P(SHA1), MUST_MINUS),
	XF(PRF, "PRF_HMAC_SHA2_256", P(SHA2_256), MUST),
	XF(PRF, "PRF_HMAC_SHA2_384", P(SHA2_384), UNLISTED),
	XF(PRF, "PRF_HMAC_SHA2_512", P(SHA2_512), SHOULD_PLUS),
	XF(INTEG, "AUTH_HMAC_MD5_96", I(MD5_96), MUST_NOT),
	XF(INTEG, "AUTH_HMAC_SHA1_96", I(SHA1_96), MUST_MINUS),
	XF(INTEG, "AUTH_HMAC_SHA2_256_128", I(SHA2_256_128), MUST),
	XF(INTEG, "AUTH_HMAC_SHA2_384_192", I(SHA2_384_192), UNLISTED),
	XF(INTEG, "AUTH_HMAC_SHA2_512_256", I(SHA2_512_256), SHOULD),
	XF(DH, "MODP_768", D(MODP_768), MUST_NOT),
	XF(DH, "MODP_1024", D(MODP_1024), SHOULD_NOT),
	XF(DH, "MODP_1024_160", D(MODP_1024_160), SHOULD_NOT),
	XF(DH, "MODP_1536", D(MODP_1536), SHOULD_NOT),
	XF(DH, "MODP_2048_224", D(MODP_2048_224), SHOULD_NOT),
	XF(DH, "MODP_2048_256", D(MODP_2048_256), SHOULD_NOT),
	XF(DH, "MODP_2048", D(MODP_2048), MUST),
	XF(DH, "MODP_3072", D(MODP_3072), UNLISTED),
	XF(DH, "MODP_4096", D(MODP_4096), UNLISTED),
	XF(DH, "ECP_256", D(ECP_256), SHOULD),
	XF(DH, "ECP_384", D(ECP_384), UNLISTED),
	XF(DH, "ECP_521", D(ECP_521), UNLISTED),
	XF(DH, "CURVE25519", D(CURVE25519), UNLISTED),
};

const int audit_n_offers = N(audit_offers);

static const char *const level_names[] = {
#define RFC8247_X_NAME(n, s)	s,
	RFC8247_LEVEL_LIST(RFC8247_X_NAME)
#undef RFC8247_X_NAME
};

const char *
rfc8247_name(enum rfc8247_level l)
{
	return (unsigned)l < N(level_names) ? level_names[l] : "?";
}

bool
rfc8247_weak(enum rfc8247_level l)
{
	return l == RFC8247_MUST_NOT || l == RFC8247_SHOULD_NOT;
}

int
audit_offer_index(const char *name)
{
	for (int i = 0; name && i < audit_n_offers; i++)
		if (strcmp(audit_offers[i].name, name) == 0)
			return i;
	return -1;
}

static void
put(struct ike_offer_prop *p, const struct ike_xform *x, int n)
{
	for (int i = 0; i < n && p->n < IKE_OFFER_XFORMS; i++)
		p->x[p->n++] = x[i];
}

/* One proposal of the open sets, with type t's set replaced by x alone
 * (t 0: none replaced); aead: the AEAD ciphers, without integrity. */
static void
open_prop(struct ike_offer *o, bool aead, uint8_t t, const struct ike_xform *x)
{
	struct ike_offer_prop *p = &o->prop[o->n++];

	memset(p, 0, sizeof(*p));
	if (t == IKE_TT_ENCR)
		put(p, x, 1);
	else if (aead)
		put(p, aead_all, N(aead_all));
	else
		put(p, cbc_all, N(cbc_all));
	if (t == IKE_TT_PRF)
		put(p, x, 1);
	else
		put(p, prf_all, N(prf_all));
	if (!aead) {
		if (t == IKE_TT_INTEG)
			put(p, x, 1);
		else
			put(p, integ_all, N(integ_all));
	}
	if (t == IKE_TT_DH)
		put(p, x, 1);
	else
		put(p, dh_all, N(dh_all));
}

static bool
is_aead(const struct ike_xform *x)
{
	return x->type == IKE_TT_ENCR && (x->id == IKE_ENCR_AES_GCM_16 ||
	    x->id == IKE_ENCR_CHACHA20_POLY1305);
}

int
audit_offer_build(int i, struct ike_offer *o)
{
	static const struct ike_xform nobody[] = {
		/* Private use (RFC 7296 3.3.2): no gateway has it. */
		{ IKE_TT_ENCR, 65001, 0 }, P(SHA2_256), I(SHA2_256_128),
		D(MODP_2048), D(ECP_256), D(CURVE25519),
	};
	const struct audit_offer_def *d;

	if (i < 0 || i >= audit_n_offers)
		return -1;
	d = &audit_offers[i];
	memset(o, 0, sizeof(*o));
	switch (d->role) {
	case AUDIT_CONTROL:
		o->n = 1;
		put(&o->prop[0], nobody, N(nobody));
		break;
	case AUDIT_CLIENT:
		for (int k = 0; k < d->n_props && o->n < IKE_OFFER_PROPS; k++)
			put(&o->prop[o->n++], d->props[k].x, d->props[k].n);
		break;
	case AUDIT_TRANSFORM:
		if (d->x.type == IKE_TT_ENCR)
			open_prop(o, is_aead(&d->x), IKE_TT_ENCR, &d->x);
		else if (d->x.type == IKE_TT_INTEG)
			open_prop(o, false, IKE_TT_INTEG, &d->x);
		else {
			open_prop(o, true, d->x.type, &d->x);
			open_prop(o, false, d->x.type, &d->x);
		}
		break;
	}
	return 0;
}
