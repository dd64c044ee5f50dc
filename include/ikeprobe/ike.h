/* IKEv2 protocol numbers (RFC 7296 and the IANA IKEv2 registries).
 * Each list below is the single source of both the enum and the name
 * table in ike_names.c, so a number and its printed name cannot drift. */
#ifndef IKEPROBE_IKE_H
#define IKEPROBE_IKE_H

#include <stdint.h>

#define IKE_HDR_LEN		28
#define IKE_GENERIC_HDR_LEN	4
#define IKE_SPI_LEN		8
#define IKE_VERSION_2		0x20
#define IKE_FLAG_INITIATOR	0x08
#define IKE_FLAG_VERSION	0x10
#define IKE_FLAG_RESPONSE	0x20
#define IKE_NONESP_MARKER_LEN	4	/* RFC 3948: zero bytes before IKE on 4500 */
#define IKE_NOTIFY_ERROR_MAX	16383	/* types below 16384 are errors */
#define IKE_ATTR_KEY_LENGTH	14
#define IKE_ATTR_TV		0x8000
#define IKE_PROTO_IKE		1

#define IKE_EXCHANGE_LIST(X) \
	X(IKE_SA_INIT, 34) \
	X(IKE_AUTH, 35) \
	X(CREATE_CHILD_SA, 36) \
	X(INFORMATIONAL, 37)

#define IKE_PAYLOAD_LIST(X) \
	X(NONE, 0) \
	X(SA, 33) \
	X(KE, 34) \
	X(IDi, 35) \
	X(IDr, 36) \
	X(CERT, 37) \
	X(CERTREQ, 38) \
	X(AUTH, 39) \
	X(NONCE, 40) \
	X(NOTIFY, 41) \
	X(DELETE, 42) \
	X(VENDOR_ID, 43) \
	X(TSi, 44) \
	X(TSr, 45) \
	X(SK, 46) \
	X(CP, 47) \
	X(EAP, 48) \
	X(GSPM, 49) \
	X(SKF, 53)

#define IKE_NOTIFY_LIST(X) \
	X(UNSUPPORTED_CRITICAL_PAYLOAD, 1) \
	X(INVALID_IKE_SPI, 4) \
	X(INVALID_MAJOR_VERSION, 5) \
	X(INVALID_SYNTAX, 7) \
	X(INVALID_MESSAGE_ID, 9) \
	X(INVALID_SPI, 11) \
	X(NO_PROPOSAL_CHOSEN, 14) \
	X(INVALID_KE_PAYLOAD, 17) \
	X(AUTHENTICATION_FAILED, 24) \
	X(SINGLE_PAIR_REQUIRED, 34) \
	X(NO_ADDITIONAL_SAS, 35) \
	X(INTERNAL_ADDRESS_FAILURE, 36) \
	X(FAILED_CP_REQUIRED, 37) \
	X(TS_UNACCEPTABLE, 38) \
	X(INVALID_SELECTORS, 39) \
	X(TEMPORARY_FAILURE, 43) \
	X(CHILD_SA_NOT_FOUND, 44) \
	X(INVALID_GROUP_ID, 45) \
	X(AUTHORIZATION_FAILED, 46) \
	X(INITIAL_CONTACT, 16384) \
	X(SET_WINDOW_SIZE, 16385) \
	X(ADDITIONAL_TS_POSSIBLE, 16386) \
	X(IPCOMP_SUPPORTED, 16387) \
	X(NAT_DETECTION_SOURCE_IP, 16388) \
	X(NAT_DETECTION_DESTINATION_IP, 16389) \
	X(COOKIE, 16390) \
	X(USE_TRANSPORT_MODE, 16391) \
	X(HTTP_CERT_LOOKUP_SUPPORTED, 16392) \
	X(REKEY_SA, 16393) \
	X(ESP_TFC_PADDING_NOT_SUPPORTED, 16394) \
	X(NON_FIRST_FRAGMENTS_ALSO, 16395) \
	X(MOBIKE_SUPPORTED, 16396) \
	X(REDIRECT_SUPPORTED, 16406) \
	X(REDIRECT, 16407) \
	X(REDIRECTED_FROM, 16408) \
	X(MULTIPLE_AUTH_SUPPORTED, 16404) \
	X(EAP_ONLY_AUTHENTICATION, 16417) \
	X(CHILDLESS_IKEV2_SUPPORTED, 16418) \
	X(IKEV2_FRAGMENTATION_SUPPORTED, 16430) \
	X(SIGNATURE_HASH_ALGORITHMS, 16431) \
	X(USE_PPK, 16435) \
	X(INTERMEDIATE_EXCHANGE_SUPPORTED, 16441) \
	/* Ours, for padding size probes: a private-use status type (40960-
	 * 65535) that no implementation we know of uses (strongSwan has
	 * 40961-40969, libreswan 40960, 3GPP TS 24.302/24.502 scattered
	 * 40961-55507, Cisco 40501; see docs/ARCHITECTURE.md). */ \
	X(IKEPROBE_PADDING, 61873)

#define IKE_TRANSFORM_TYPE_LIST(X) \
	X(ENCR, 1) \
	X(PRF, 2) \
	X(INTEG, 3) \
	X(DH, 4) \
	X(ESN, 5)

#define IKE_ENCR_LIST(X) \
	X(ENCR_DES, 2) \
	X(ENCR_3DES, 3) \
	X(ENCR_NULL, 11) \
	X(ENCR_AES_CBC, 12) \
	X(ENCR_AES_CTR, 13) \
	X(ENCR_AES_CCM_16, 16) \
	X(ENCR_AES_GCM_8, 18) \
	X(ENCR_AES_GCM_12, 19) \
	X(ENCR_AES_GCM_16, 20) \
	X(ENCR_CHACHA20_POLY1305, 28)

#define IKE_PRF_LIST(X) \
	X(PRF_HMAC_MD5, 1) \
	X(PRF_HMAC_SHA1, 2) \
	X(PRF_AES128_XCBC, 4) \
	X(PRF_HMAC_SHA2_256, 5) \
	X(PRF_HMAC_SHA2_384, 6) \
	X(PRF_HMAC_SHA2_512, 7) \
	X(PRF_AES128_CMAC, 8)

#define IKE_INTEG_LIST(X) \
	X(NONE, 0) \
	X(AUTH_HMAC_MD5_96, 1) \
	X(AUTH_HMAC_SHA1_96, 2) \
	X(AUTH_AES_XCBC_96, 5) \
	X(AUTH_AES_CMAC_96, 8) \
	X(AUTH_HMAC_SHA2_256_128, 12) \
	X(AUTH_HMAC_SHA2_384_192, 13) \
	X(AUTH_HMAC_SHA2_512_256, 14)

#define IKE_DH_LIST(X) \
	X(NONE, 0) \
	X(MODP_768, 1) \
	X(MODP_1024, 2) \
	X(MODP_1536, 5) \
	X(MODP_2048, 14) \
	X(MODP_3072, 15) \
	X(MODP_4096, 16) \
	X(MODP_6144, 17) \
	X(MODP_8192, 18) \
	X(ECP_256, 19) \
	X(ECP_384, 20) \
	X(ECP_521, 21) \
	X(MODP_1024_160, 22) \
	X(MODP_2048_224, 23) \
	X(MODP_2048_256, 24) \
	X(ECP_256_BP, 28) \
	X(ECP_384_BP, 29) \
	X(ECP_512_BP, 30) \
	X(CURVE25519, 31) \
	X(CURVE448, 32)

/* IKE_AUTH's payloads (RFC 7296 3.5-3.16, RFC 7427, RFC 4754). */
#define IKE_ID_LIST(X) \
	X(ID_IPV4_ADDR, 1) \
	X(ID_FQDN, 2) \
	X(ID_RFC822_ADDR, 3) \
	X(ID_IPV6_ADDR, 5) \
	X(ID_DER_ASN1_DN, 9) \
	X(ID_DER_ASN1_GN, 10) \
	X(ID_KEY_ID, 11)

#define IKE_CERT_LIST(X) \
	X(CERT_PKCS7, 1) \
	X(CERT_X509_SIGNATURE, 4) \
	X(CERT_CRL, 7) \
	X(CERT_RAW_RSA_KEY, 11) \
	X(CERT_HASH_URL, 12) \
	X(CERT_HASH_URL_BUNDLE, 13) \
	X(CERT_RAW_PUBLIC_KEY, 15)

#define IKE_AUTH_LIST(X) \
	X(AUTH_RSA_SIG, 1) \
	X(AUTH_PSK, 2) \
	X(AUTH_DSS, 3) \
	X(AUTH_ECDSA_256, 9) \
	X(AUTH_ECDSA_384, 10) \
	X(AUTH_ECDSA_521, 11) \
	X(AUTH_GSPAM, 12) \
	X(AUTH_NULL, 13) \
	X(AUTH_DIGITAL_SIGNATURE, 14)

#define IKE_EAP_LIST(X) \
	X(EAP_IDENTITY, 1) \
	X(EAP_NOTIFICATION, 2) \
	X(EAP_NAK, 3) \
	X(EAP_MD5, 4) \
	X(EAP_GTC, 6) \
	X(EAP_TLS, 13) \
	X(EAP_SIM, 18) \
	X(EAP_TTLS, 21) \
	X(EAP_AKA, 23) \
	X(EAP_PEAP, 25) \
	X(EAP_MSCHAPV2, 26) \
	X(EAP_TLV, 33) \
	X(EAP_EXPANDED, 254)

#define IKE_PROTO_ESP		3
#define IKE_CP_REQUEST		1
#define IKE_CP_REPLY		2
#define IKE_CFG_INTERNAL_IP4_ADDRESS	1
#define IKE_CFG_INTERNAL_IP4_DNS	3
#define IKE_CFG_INTERNAL_IP6_ADDRESS	8
#define IKE_CFG_INTERNAL_IP6_DNS	10
#define IKE_TS_IPV4_ADDR_RANGE	7
#define IKE_TS_IPV6_ADDR_RANGE	8
#define IKE_EAP_REQUEST		1
#define IKE_EAP_RESPONSE	2
#define IKE_EAP_SUCCESS		3
#define IKE_EAP_FAILURE		4

#define IKE_ENUM_ENTRY(prefix, name, value)	prefix##name = value,
#define IKE_X_EXCH(n, v)	IKE_EXCH_##n = v,
#define IKE_X_PL(n, v)		IKE_PL_##n = v,
#define IKE_X_N(n, v)		IKE_N_##n = v,
#define IKE_X_TT(n, v)		IKE_TT_##n = v,
#define IKE_X_ENCR(n, v)	IKE_##n = v,
#define IKE_X_PRF(n, v)		IKE_##n = v,
#define IKE_X_INTEG(n, v)	IKE_INTEG_##n = v,
#define IKE_X_DH(n, v)		IKE_DH_##n = v,
#define IKE_X_PLAIN(n, v)	IKE_##n = v,

enum ike_exchange	{ IKE_EXCHANGE_LIST(IKE_X_EXCH) };
enum ike_payload	{ IKE_PAYLOAD_LIST(IKE_X_PL) };
enum ike_notify		{ IKE_NOTIFY_LIST(IKE_X_N) };
enum ike_transform_type	{ IKE_TRANSFORM_TYPE_LIST(IKE_X_TT) };
enum ike_encr		{ IKE_ENCR_LIST(IKE_X_ENCR) };
enum ike_prf		{ IKE_PRF_LIST(IKE_X_PRF) };
enum ike_integ		{ IKE_INTEG_LIST(IKE_X_INTEG) };
enum ike_dh		{ IKE_DH_LIST(IKE_X_DH) };
enum ike_id_type	{ IKE_ID_LIST(IKE_X_PLAIN) };
enum ike_cert_encoding	{ IKE_CERT_LIST(IKE_X_PLAIN) };
enum ike_auth_method	{ IKE_AUTH_LIST(IKE_X_PLAIN) };
enum ike_eap_type	{ IKE_EAP_LIST(IKE_X_PLAIN) };

/* Name lookups. Unknown numbers print as "<UNKNOWN:n>" in a static buffer
 * per table, so a caller may hold one result of each table at a time. */
const char	*ike_exchange_name(unsigned);
const char	*ike_payload_name(unsigned);
const char	*ike_notify_name(unsigned);
const char	*ike_transform_type_name(unsigned);
const char	*ike_transform_name(unsigned type, unsigned id);
/* Same, but NULL for an unknown number (for tests and "is it known"). */
const char	*ike_notify_name_known(unsigned);
const char	*ike_dh_name(unsigned);
const char	*ike_id_name(unsigned);
const char	*ike_cert_name(unsigned);
const char	*ike_auth_name(unsigned);
const char	*ike_eap_name(unsigned);

/* Wireshark's names of the transforms in its IKEv2 decryption table
 * (epan/dissectors/packet-isakmp.c), both ways: a name, or NULL; and
 * from a name (quotes and spaces around it allowed), 0 or -1. Only the
 * ones ikeprobe can decrypt. */
const char	*ike_wireshark_encr(unsigned encr, int bits);
const char	*ike_wireshark_integ(unsigned integ);
int		 ike_wireshark_encr_of(const char *, size_t, uint16_t *encr,
		    int *bits);
int		 ike_wireshark_integ_of(const char *, size_t, uint16_t *integ);

#endif
