/* Certificates judged as Windows judges a VPN server's, with OpenSSL's
 * X.509: parsing, names, dates, extended key usage, the chain to a trusted
 * root, and the server's signature over its IKE AUTH octets. */
#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ikeprobe/cert.h"
#include "ikeprobe/utf8.h"
#include "ikeprobe/ike.h"

#define SECS_PER_DAY	86400

/* OpenSSL's own words, cut to size; characters a terminal or a report
 * would not want are replaced. */
static void
copy_clean(char *dst, size_t len, const char *src, size_t n)
{
	/* A name from a certificate is hostile text: valid UTF-8 only, cut
	 * on a character's boundary, no controls or bidirectional marks. */
	utf8_copy(dst, len, src, strnlen(src, n));
}

static void
name_str(const X509_NAME *nm, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (n = BIO_get_mem_data(b, &p)) > 0)
		copy_clean(out, len, p, (size_t)n);
	BIO_free(b);
}

static int64_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static void
sans(X509 *x, struct cert_info *ci)
{
	GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	char buf[CERT_STR], a[64];

	for (int i = 0; g && i < sk_GENERAL_NAME_num(g) && ci->n_san < CERT_MAX_SAN; i++) {
		const GENERAL_NAME *n = sk_GENERAL_NAME_value(g, i);
		const ASN1_STRING *s;

		buf[0] = '\0';
		if (n->type == GEN_DNS || n->type == GEN_EMAIL) {
			s = n->d.ia5;
			snprintf(buf, sizeof(buf), "%s:", n->type == GEN_DNS ? "DNS" : "email");
			copy_clean(buf + strlen(buf), sizeof(buf) - strlen(buf),
			    (const char *)ASN1_STRING_get0_data(s),
			    (size_t)ASN1_STRING_length(s));
		} else if (n->type == GEN_IPADD) {
			s = n->d.ip;
			if (ASN1_STRING_length(s) == 4 || ASN1_STRING_length(s) == 16)
				snprintf(buf, sizeof(buf), "IP:%s", inet_ntop(
				    ASN1_STRING_length(s) == 4 ? AF_INET : AF_INET6,
				    ASN1_STRING_get0_data(s), a, sizeof(a)) ? a : "?");
		}
		if (buf[0])
			snprintf(ci->san[ci->n_san++], CERT_STR, "%s", buf);
	}
	GENERAL_NAMES_free(g);
}

/* 1.3.6.1.5.5.8.2.2: IP security IKE intermediate, which Windows wants on
 * a VPN server's certificate (RFC 4945 leaves it to the product). */
static const char ike_intermediate_oid[] = "1.3.6.1.5.5.8.2.2";

static void
ekus(X509 *x, struct cert_info *ci)
{
	EXTENDED_KEY_USAGE *e = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	char oid[80];

	ci->has_eku = e != NULL;
	for (int i = 0; e && i < sk_ASN1_OBJECT_num(e); i++) {
		const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(e, i);
		const char *name = NULL;

		OBJ_obj2txt(oid, sizeof(oid), o, 1);
		switch (OBJ_obj2nid(o)) {
		case NID_server_auth:	name = "serverAuth"; ci->server_auth = true; break;
		case NID_client_auth:	name = "clientAuth"; break;
		case NID_anyExtendedKeyUsage: name = "anyExtendedKeyUsage"; break;
		case NID_ipsec_IKE:	name = "ipsecIKE"; break;
		default:		break;
		}
		if (strcmp(oid, ike_intermediate_oid) == 0) {
			name = "ikeIntermediate";
			ci->ike_intermediate = true;
		}
		if (ci->n_eku < CERT_MAX_EKU)
			snprintf(ci->eku[ci->n_eku++], sizeof(ci->eku[0]), "%s",
			    name ? name : oid);
	}
	EXTENDED_KEY_USAGE_free(e);
}

static void
key_desc(X509 *x, struct cert_info *ci)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	char grp[64] = "";
	size_t gl = 0;

	if (k == NULL) {
		snprintf(ci->key, sizeof(ci->key), "unreadable");
		return;
	}
	ci->key_bits = EVP_PKEY_get_bits(k);
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		snprintf(ci->key, sizeof(ci->key), "RSA %d", ci->key_bits);
		ci->weak_key = ci->key_bits < 2048;
		break;
	case EVP_PKEY_EC:
		EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, grp,
		    sizeof(grp), &gl);
		snprintf(ci->key, sizeof(ci->key), "ECDSA %s",
		    strcmp(grp, "prime256v1") == 0 ? "P-256" :
		    strcmp(grp, "secp384r1") == 0 ? "P-384" :
		    strcmp(grp, "secp521r1") == 0 ? "P-521" : grp);
		ci->weak_key = ci->key_bits < 256;
		break;
	case EVP_PKEY_ED25519:
		snprintf(ci->key, sizeof(ci->key), "Ed25519");
		break;
	case EVP_PKEY_ED448:
		snprintf(ci->key, sizeof(ci->key), "Ed448");
		break;
	default:
		snprintf(ci->key, sizeof(ci->key), "%s %d",
		    OBJ_nid2sn(EVP_PKEY_get_base_id(k)), ci->key_bits);
		break;
	}
}

static bool
signed_with_sha1(X509 *x)
{
	int md = NID_undef, pk = NID_undef;

	return OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, &pk) && md == NID_sha1;
}

struct cert_store {
	X509_STORE	*st;
};

struct cert_store *
cert_store_open(const char *ca_file, char *err, size_t errlen)
{
	struct cert_store *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->st = X509_STORE_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(s);
		return NULL;
	}
	/* The system's store is a hashed directory read as chains are
	 * judged; it is world-readable. A --ca file is read now. */
	if (ca_file ? X509_STORE_load_file(s->st, ca_file) != 1 :
	    X509_STORE_set_default_paths(s->st) != 1) {
		unsigned long e = ERR_get_error();

		snprintf(err, errlen, "cannot read the certificates in %s: %s",
		    ca_file ? ca_file : "the system's trust store",
		    e ? ERR_reason_error_string(e) : "no certificate in it");
		ERR_clear_error();
		cert_store_free(s);
		return NULL;
	}
	return s;
}

void
cert_store_free(struct cert_store *s)
{
	if (s == NULL)
		return;
	X509_STORE_free(s->st);
	free(s);
}

static void
trust(X509 *leaf, STACK_OF(X509) *sent, struct cert_store *store,
    struct cert_info *ci)
{
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *st;
	int e;

	ci->trusted = CERT_TRUST_UNKNOWN;
	if (store == NULL) {
		snprintf(ci->trust_error, sizeof(ci->trust_error),
		    "no trust store");
		return;
	}
	st = store->st;
	if ((ctx = X509_STORE_CTX_new()) == NULL)
		goto out;
	if (X509_STORE_CTX_init(ctx, st, leaf, sent) != 1)
		goto out;
	/* Dates are judged on their own: here only "does it chain". */
	X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx),
	    X509_V_FLAG_NO_CHECK_TIME);
	if (X509_verify_cert(ctx) == 1) {
		ci->trusted = CERT_TRUST_YES;
		goto out;
	}
	e = X509_STORE_CTX_get_error(ctx);
	ci->trusted = CERT_TRUST_NO;
	snprintf(ci->trust_error, sizeof(ci->trust_error), "%s",
	    X509_verify_cert_error_string(e));
	/* The issuer of the end certificate neither sent nor known: the
	 * gateway leaves out an intermediate. Sent, and it still does not
	 * chain: the root is not trusted here. */
	if (e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
	    e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) {
		bool issuer_sent = false;

		for (int i = 0; i < sk_X509_num(sent); i++)
			issuer_sent |= X509_check_issued(sk_X509_value(sent, i),
			    leaf) == X509_V_OK;
		ci->chain_incomplete = !issuer_sent && !ci->self_signed;
	}
out:
	X509_STORE_CTX_free(ctx);
}

void
cert_check(const uint8_t *const *der, const size_t *len, int n, const char *name,
    struct cert_store *store, time_t now, struct cert_info *ci)
{
	X509 *certs[CERT_MAX_CHAIN] = { NULL };
	STACK_OF(X509) *sent = sk_X509_new_null();
	BIGNUM *bn = NULL;
	char *hex;
	int got = 0;

	memset(ci, 0, sizeof(*ci));
	ci->trusted = CERT_TRUST_UNKNOWN;
	for (int i = 0; i < n && got < CERT_MAX_CHAIN; i++) {
		const unsigned char *p = der[i];

		if (len[i] == 0 || len[i] > CERT_MAX_DER ||
		    (certs[got] = d2i_X509(NULL, &p, (long)len[i])) == NULL) {
			if (i == 0)
				snprintf(ci->problem, sizeof(ci->problem), "the "
				    "certificate (%zu bytes) is not X.509 DER", len[i]);
			continue;
		}
		name_str(X509_get_subject_name(certs[got]), ci->chain[ci->n_chain++],
		    CERT_STR);
		if (got > 0 && sent)
			sk_X509_push(sent, certs[got]);
		got++;
	}
	if (got == 0 || certs[0] == NULL || ci->problem[0])
		goto out;
	ci->parsed = true;
	name_str(X509_get_subject_name(certs[0]), ci->subject, sizeof(ci->subject));
	name_str(X509_get_issuer_name(certs[0]), ci->issuer, sizeof(ci->issuer));
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certs[0]), NULL)) &&
	    (hex = BN_bn2hex(bn)) != NULL) {
		copy_clean(ci->serial, sizeof(ci->serial), hex, strlen(hex));
		OPENSSL_free(hex);
	}
	ci->not_before = asn1_time(X509_get0_notBefore(certs[0]));
	ci->not_after = asn1_time(X509_get0_notAfter(certs[0]));
	ci->expired = (int64_t)now > ci->not_after;
	ci->not_yet_valid = (int64_t)now < ci->not_before;
	/* Whole days left, rounded down; negative once expired. */
	ci->days_left = ci->not_after - (int64_t)now;
	ci->days_left = ci->days_left >= 0 ? ci->days_left / SECS_PER_DAY :
	    -((-ci->days_left + SECS_PER_DAY - 1) / SECS_PER_DAY);
	sans(certs[0], ci);
	ekus(certs[0], ci);
	key_desc(certs[0], ci);
	snprintf(ci->signature, sizeof(ci->signature), "%s",
	    OBJ_nid2ln(X509_get_signature_nid(certs[0])));
	/* A root's own signature is not checked by anyone: not counted. */
	for (int i = 0; i < got; i++)
		ci->sha1 |= signed_with_sha1(certs[i]) &&
		    (i == 0 || X509_self_signed(certs[i], 0) != 1);
	/* Its own issuer and signed with its own key, whatever its key
	 * usage says (a server's may not allow signing certificates). */
	ci->self_signed = X509_self_signed(certs[0], 1) == 1;
	ci->intermediates_sent = got > 1;
	if (name && *name) {
		struct in6_addr ip;

		snprintf(ci->name, sizeof(ci->name), "%s", name);
		ci->name_checked = true;
		ci->name_matches = inet_pton(AF_INET, name, &ip) == 1 ||
		    inet_pton(AF_INET6, name, &ip) == 1 ?
		    X509_check_ip_asc(certs[0], name, 0) == 1 :
		    X509_check_host(certs[0], name, 0, 0, NULL) == 1;
	}
	trust(certs[0], sent, store, ci);
out:
	BN_free(bn);
	sk_X509_free(sent);
	for (int i = 0; i < got; i++)
		X509_free(certs[i]);
	ERR_clear_error();
}

/* The largest r | s of RFC 4754: P-521's, 66 bytes each. */
#define ECDSA_RAW_MAX	(2 * 66)

/* An ECDSA signature as IKE carries it (r | s, RFC 4754) in DER, into out
 * of cap bytes. */
static int
ecdsa_der(const uint8_t *sig, size_t len, uint8_t *out, size_t cap,
    size_t *out_len)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r, *ss;
	unsigned char *p = out;
	int n;

	if (s == NULL || len % 2 || len == 0 || len > ECDSA_RAW_MAX) {
		ECDSA_SIG_free(s);
		return -1;
	}
	r = BN_bin2bn(sig, (int)(len / 2), NULL);
	ss = BN_bin2bn(sig + len / 2, (int)(len / 2), NULL);
	if (r == NULL || ss == NULL || ECDSA_SIG_set0(s, r, ss) != 1) {
		BN_free(r);
		BN_free(ss);
		ECDSA_SIG_free(s);
		return -1;
	}
	/* Measured first: DER never writes past out. */
	n = i2d_ECDSA_SIG(s, NULL);
	if (n <= 0 || (size_t)n > cap || i2d_ECDSA_SIG(s, &p) != n) {
		ECDSA_SIG_free(s);
		return -1;
	}
	ECDSA_SIG_free(s);
	*out_len = (size_t)n;
	return 0;
}

int
cert_verify_auth(const uint8_t *der, size_t len, uint8_t method,
    const uint8_t *sig, size_t sig_len, const uint8_t *data, size_t n,
    char *err, size_t errlen)
{
	const unsigned char *p = der;
	X509 *x = len <= CERT_MAX_DER ? d2i_X509(NULL, &p, (long)len) : NULL;
	EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;
	EVP_MD_CTX *mc = NULL;
	EVP_PKEY_CTX *pc = NULL;
	const EVP_MD *md = NULL, *mgf = NULL;
	X509_ALGOR *alg = NULL;
	RSA_PSS_PARAMS *pss = NULL;
	uint8_t ecsig[160];
	size_t ecl = 0;
	int rc = -1, pad = 0, salt = -1;

	if (k == NULL) {
		snprintf(err, errlen, "no public key in the certificate");
		goto out;
	}
	switch (method) {
	case IKE_AUTH_RSA_SIG:
		md = EVP_sha1();
		pad = RSA_PKCS1_PADDING;
		break;
	case IKE_AUTH_ECDSA_256:
	case IKE_AUTH_ECDSA_384:
	case IKE_AUTH_ECDSA_521:
		md = method == IKE_AUTH_ECDSA_256 ? EVP_sha256() :
		    method == IKE_AUTH_ECDSA_384 ? EVP_sha384() : EVP_sha512();
		if (ecdsa_der(sig, sig_len, ecsig, sizeof(ecsig), &ecl) < 0) {
			snprintf(err, errlen, "an ECDSA signature of %zu bytes", sig_len);
			goto out;
		}
		sig = ecsig;
		sig_len = ecl;
		break;
	case IKE_AUTH_DIGITAL_SIGNATURE: {
		/* RFC 7427 3: the AlgorithmIdentifier's length, it, then the
		 * signature. */
		const unsigned char *a = sig + 1;
		int nid;

		if (sig_len < 2 || (size_t)sig[0] + 1 > sig_len ||
		    (alg = d2i_X509_ALGOR(NULL, &a, sig[0])) == NULL) {
			snprintf(err, errlen, "the signature's algorithm does not parse");
			goto out;
		}
		nid = OBJ_obj2nid(alg->algorithm);
		sig_len -= (size_t)sig[0] + 1;
		sig += sig[0] + 1;
		switch (nid) {
		case NID_sha1WithRSAEncryption:	md = EVP_sha1(); pad = RSA_PKCS1_PADDING; break;
		case NID_sha256WithRSAEncryption: md = EVP_sha256(); pad = RSA_PKCS1_PADDING; break;
		case NID_sha384WithRSAEncryption: md = EVP_sha384(); pad = RSA_PKCS1_PADDING; break;
		case NID_sha512WithRSAEncryption: md = EVP_sha512(); pad = RSA_PKCS1_PADDING; break;
		case NID_ecdsa_with_SHA256:	md = EVP_sha256(); break;
		case NID_ecdsa_with_SHA384:	md = EVP_sha384(); break;
		case NID_ecdsa_with_SHA512:	md = EVP_sha512(); break;
		case NID_ED25519:
		case NID_ED448:			md = NULL; break;
		case NID_rsassaPss: {
			const ASN1_STRING *params;
			const unsigned char *q;

			pad = RSA_PKCS1_PSS_PADDING;
			if (alg->parameter == NULL ||
			    alg->parameter->type != V_ASN1_SEQUENCE) {
				snprintf(err, errlen, "RSASSA-PSS without parameters");
				goto out;
			}
			params = alg->parameter->value.sequence;
			q = ASN1_STRING_get0_data(params);
			if ((pss = d2i_RSA_PSS_PARAMS(NULL, &q,
			    ASN1_STRING_length(params))) == NULL) {
				snprintf(err, errlen, "RSASSA-PSS parameters do not parse");
				goto out;
			}
			md = pss->hashAlgorithm ? EVP_get_digestbyobj(
			    pss->hashAlgorithm->algorithm) : EVP_sha1();
			mgf = md;
			if (pss->maskHash)
				mgf = EVP_get_digestbyobj(pss->maskHash->algorithm);
			salt = pss->saltLength ? (int)ASN1_INTEGER_get(pss->saltLength) : 20;
			if (md == NULL || mgf == NULL) {
				snprintf(err, errlen, "RSASSA-PSS with an unknown hash");
				goto out;
			}
			break;
		}
		default:
			snprintf(err, errlen, "signature algorithm %s is not one "
			    "ikeprobe checks", OBJ_nid2sn(nid));
			goto out;
		}
		break;
	}
	default:
		snprintf(err, errlen, "AUTH method %s is not a signature",
		    ike_auth_name(method));
		goto out;
	}
	if ((mc = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(mc, &pc, md, NULL, k) != 1 ||
	    (pad && EVP_PKEY_CTX_set_rsa_padding(pc, pad) != 1) ||
	    (pad == RSA_PKCS1_PSS_PADDING && (EVP_PKEY_CTX_set_rsa_mgf1_md(pc, mgf) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, salt) != 1))) {
		snprintf(err, errlen, "the certificate's key does not go with "
		    "the signature's algorithm");
		goto out;
	}
	rc = EVP_DigestVerify(mc, sig, sig_len, data, n) == 1 ? 1 : 0;
	if (rc == 0)
		snprintf(err, errlen, "the signature does not verify");
out:
	EVP_MD_CTX_free(mc);
	X509_ALGOR_free(alg);
	RSA_PSS_PARAMS_free(pss);
	X509_free(x);
	/* What OpenSSL queued about hostile input is ours alone. */
	ERR_clear_error();
	return rc;
}
