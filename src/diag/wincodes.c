/* Windows VPN error codes, as `ikeprobe explain` prints them. Symbols and
 * message texts are Microsoft's own, from the Windows SDK headers:
 * raserror.h (RasClient codes, RASBASE 600 + n), winerror.h (the IKE
 * errors ERROR_IPSEC_IKE_*, 13800 + n, and the certificate HRESULTs
 * 0x800B01xx, 0x8009xxxx). What each means for Always On VPN, and the
 * causes, are ikeprobe's reading (docs/REPORTS.md); every finding named
 * here is one ikeprobe writes (tests/unit/test_docs.py checks). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ikeprobe/wincodes.h"

#define RUN		"sudo ikeprobe GATEWAY"
#define RUN_CA		"sudo ikeprobe --ca ROOT-CA.pem GATEWAY"
#define RUN_AUDIT	"sudo ikeprobe --audit GATEWAY"

/* The causes shared by several codes. */
#define PORTS_BLOCKED { "UDP 500 or 4500 is blocked on the client's network " \
	"(guest Wi-Fi, hotel, carrier)", "udp500-silent udp500-filtered " \
	"udp4500-silent udp4500-filtered nat-udp4500-blocked", "the ports' " \
	"states: open, closed (ICMP from the gateway), filtered (ICMP from a " \
	"named router), silent", RUN }
#define FRAGS_IN { "the gateway's IKE_AUTH answer (its certificate chain) " \
	"is IP-fragmented and the fragments are dropped on the way back", \
	"return-fragments-dropped gateway-no-ikev2-fragmentation", "the " \
	"IKE_AUTH step: whether the large answer arrives in IP fragments, and " \
	"whether the gateway offers IKEv2 fragmentation (RFC 7383)", RUN }
#define FRAGS_OUT { "the client's own fragmented IKE_AUTH (a device tunnel's " \
	"machine certificate) is dropped on the way out", "fragments-dropped " \
	"path-mtu-black-hole", "fragmented probes of 2500 and 4500 bytes, and " \
	"the path MTU", RUN }
#define CERT_BAD { "the gateway's certificate is expired, not yet valid, " \
	"for another name, without the Server Authentication EKU, or not " \
	"chained to a root the client trusts", "cert-expired " \
	"cert-not-yet-valid cert-name-mismatch cert-no-server-auth-eku " \
	"cert-untrusted cert-chain-incomplete", "the gateway's certificate " \
	"from its IKE_AUTH answer, judged as a Windows client does (give the " \
	"root the clients trust with --ca)", RUN_CA }
#define NOT_NETWORK(what) { what, NULL, "not on the network: when ikeprobe " \
	"shows IKE_AUTH answered with an EAP request, the path and the " \
	"gateway's certificate are fine and the cause is past them", RUN }

const struct win_code wincodes[] = {
	{ 628, "ERROR_DISCONNECTION", "raserror.h",
	  "The connection was terminated by the remote computer before it "
	  "could be completed.",
	  "The server ended the attempt part way: for IKEv2 most often an "
	  "authentication or policy refusal after the exchange began; for "
	  "SSTP the HTTPS step (a proxy or TLS inspection in between).",
	  { NOT_NETWORK("NPS or RRAS refused the user or the device after "
	    "IKE_AUTH began"),
	    { "the gateway answers IKE_AUTH but the answer or what follows is "
	      "lost", "return-fragments-dropped auth-unanswered", "the "
	      "IKE_AUTH step", RUN },
	    { "SSTP: what answers TCP 443 is not the SSTP listener (a web "
	      "server, a proxy, TLS inspection), or it refuses the call",
	      "sstp-not-listening sstp-call-refused", "the SSTP check: TLS, "
	      "SSTP_DUPLEX_POST and one Call Connect Request", RUN } } },
	{ 691, "ERROR_AUTHENTICATION_FAILURE", "raserror.h",
	  "The remote connection was denied because the user name and "
	  "password combination you provided is not recognized, or the "
	  "selected authentication protocol is not permitted on the remote "
	  "access server.",
	  "Credentials or the EAP method were refused (NPS). The network "
	  "carried the exchange.",
	  { NOT_NETWORK("wrong user name or password, an expired password, or "
	    "an EAP method the NPS policy does not allow"),
	    { "the gateway asks for another EAP method than the profile uses",
	      NULL, "the IKE_AUTH block names the EAP method the gateway asks "
	      "for (eap)", RUN } } },
	{ 809, "ERROR_VPN_TIMEOUT", "raserror.h",
	  "The network connection between your computer and the VPN server "
	  "could not be established because the remote server is not "
	  "responding. This could be because one of the network devices (e.g, "
	  "firewalls, NAT, routers, etc) between your computer and the remote "
	  "server is not configured to allow VPN connections.",
	  "The client got no answer it could use: the classic \"works from "
	  "some places but not others\".",
	  { PORTS_BLOCKED, FRAGS_IN, FRAGS_OUT,
	    { "a load balancer sends UDP 500 and UDP 4500 of one client to "
	      "different gateways", "load-balancer-no-affinity", "IKE_AUTH on "
	      "4500 for an IKE SA made on 500, against the same on 500", RUN },
	    { "the gateway is down or does not listen (it fails from "
	      "everywhere)", "udp500-closed udp500-silent", "run it from a "
	      "second network: silent from both is the gateway", RUN } } },
	{ 812, "ERROR_SERVER_POLICY", "raserror.h",
	  "The connection was prevented because of a policy configured on "
	  "your RAS/VPN server. Specifically, the authentication method used "
	  "by the server to verify your username and password may not match "
	  "the authentication method configured in your connection profile.",
	  "An NPS network policy refused the connection (its authentication "
	  "method, group, or conditions).",
	  { NOT_NETWORK("the NPS network policy's EAP method or conditions do "
	    "not match the profile or the user's groups") } },
	{ 853, "ERROR_EAP_USER_CERT_INVALID", "raserror.h",
	  "The remote access connection completed, but authentication failed "
	  "because the certificate that authenticates the client to the "
	  "server is not valid. Ensure that the certificate used for "
	  "authentication is valid.",
	  "The user's certificate (EAP-TLS or PEAP-TLS) was refused by NPS.",
	  { NOT_NETWORK("the user certificate is missing, expired, revoked or "
	    "from a CA NPS does not trust") } },
	{ 858, "ERROR_EAP_SERVER_CERT_EXPIRED", "raserror.h",
	  "The remote access connection completed, but authentication failed "
	  "because the certificate that the client uses to authenticate the "
	  "server is expired.",
	  "The NPS server's certificate, the one inside EAP (PEAP), has "
	  "expired. ikeprobe sees the VPN gateway's IKE certificate, not the "
	  "one NPS presents inside EAP.",
	  { { "the NPS server certificate used for PEAP has expired", NULL,
	      "not seen by ikeprobe: check the certificate in the NPS network "
	      "policy's EAP settings", NULL },
	    CERT_BAD } },
	{ 864, "ERROR_EAP_SERVER_ROOT_CERT_NOT_FOUND", "raserror.h",
	  "The remote access connection completed, but authentication failed "
	  "because a certificate that validates the server certificate was "
	  "not found in the Trusted Root Certification Authorities "
	  "certificate store.",
	  "The client does not trust the root of the NPS server certificate "
	  "(PEAP), or the profile names other trusted roots.",
	  { { "the root of the NPS certificate is not in the client's store, "
	      "or not among the profile's trusted root CAs", NULL, "not seen by "
	      "ikeprobe (it is inside EAP)", NULL },
	    CERT_BAD } },
	{ 868, "ERROR_DNSNAME_NOT_RESOLVABLE", "raserror.h",
	  "The remote connection was not made because the name of the remote "
	  "access server did not resolve.",
	  "The client's DNS cannot resolve the gateway's name.",
	  { { "the name has no A (or AAAA) record on this network's DNS", NULL,
	      "ikeprobe resolves the name as the client does and says so in "
	      "one line when it cannot; the report lists every address it got",
	      RUN } } },
	{ 13801, "ERROR_IPSEC_IKE_AUTH_FAIL", "winerror.h",
	  "IKE authentication credentials are unacceptable.",
	  "On Always On VPN most often the client refusing the gateway's "
	  "certificate; for a device tunnel also the machine certificate.",
	  { CERT_BAD,
	    { "the gateway's AUTH does not verify with its certificate", "gateway-"
	      "signature-invalid", "the gateway's signature checked with its "
	      "certificate's key", RUN_CA },
	    { "a device tunnel's machine certificate is refused by the "
	      "gateway", NULL, "not seen by ikeprobe (it sends no "
	      "certificate)", NULL } } },
	{ 13805, "ERROR_IPSEC_IKE_TIMED_OUT", "winerror.h",
	  "Negotiation timed out.",
	  "The IKE exchange started and then stopped getting answers; on a "
	  "device tunnel the same causes as 809.",
	  { FRAGS_IN, FRAGS_OUT, PORTS_BLOCKED } },
	{ 13806, "ERROR_IPSEC_IKE_NO_CERT", "winerror.h",
	  "IKE failed to find valid machine certificate. Contact your Network "
	  "Security Administrator about installing a valid certificate in the "
	  "appropriate Certificate Store.",
	  "A device tunnel (or machine certificate authentication) found no "
	  "usable machine certificate: none from the CA the gateway asks for, "
	  "or none with Client Authentication.",
	  { { "the client has no machine certificate from the CA the gateway "
	      "names in its CERTREQ", NULL, "ikeprobe counts the gateway's "
	      "CERTREQ payloads (responder.certreq); the client's store is "
	      "not on the network", RUN } } },
	{ 13843, "ERROR_IPSEC_IKE_INVALID_PAYLOAD", "winerror.h",
	  "Invalid payload received.",
	  "A malformed or mangled IKE message arrived: a middlebox rewriting "
	  "IKE, or a broken implementation.",
	  { { "a middlebox changes IKE messages, or answers with broken ones",
	      "reply-malformed reply-without-marker reply-wrong-port",
	      "every reply parsed and checked", RUN } } },
	{ 13868, "ERROR_IPSEC_IKE_POLICY_MATCH", "winerror.h",
	  "Policy match error.",
	  "The client and the gateway share no IKE proposal: most often a "
	  "gateway hardened while clients still send the Windows defaults, "
	  "or a cryptographySuite the gateway does not allow.",
	  { { "the gateway refuses what default Windows clients send (3DES or "
	      "AES-CBC, SHA-1/256/384, DH group 2)", "windows-default-refused",
	      "the proposal audit offers the Windows defaults as Windows sends "
	      "them", RUN_AUDIT },
	    { "the profile's cryptographySuite names a suite the gateway does "
	      "not accept", "udp500-no-proposal", "the audit's client suites, "
	      "and every transform the gateway accepts", RUN_AUDIT } } },
	{ 0x800B0101, "CERT_E_EXPIRED", "winerror.h",
	  "A required certificate is not within its validity period.",
	  "The best-known Always On VPN outage: the server's TLS certificate "
	  "(SSTP; RasClient event 20227 with -2146762495) or its IKE "
	  "certificate (IKEv2, shown as 13801) has expired.",
	  { { "the gateway's IKE certificate has expired", "cert-expired "
	      "cert-expires-soon", "the certificate's dates", RUN_CA },
	    { "the SSTP (TLS, TCP 443) certificate has expired, or is not "
	      "valid yet", "sstp-cert-expired sstp-cert-expires-soon", "the "
	      "SSTP check: the certificate from the TLS handshake on TCP 443",
	      RUN_CA } } },
	{ 0x800B0109, "CERT_E_UNTRUSTEDROOT", "winerror.h",
	  "A certification chain processed correctly, but terminated in a root "
	  "certificate which isn't trusted by the trust provider.",
	  "The client does not trust the root of the server's certificate.",
	  { { "the gateway's chain ends in a root the clients do not trust, or "
	      "is self-signed", "cert-untrusted", "the chain checked against "
	      "the root given with --ca (the one clients trust)", RUN_CA },
	    { "the SSTP server's TLS certificate ends in such a root, is "
	      "self-signed, or comes without its intermediate",
	      "sstp-cert-untrusted", "the SSTP check's chain against --ca",
	      RUN_CA } } },
	{ 0x800B010A, "CERT_E_CHAINING", "winerror.h",
	  "A chain of certs didn't chain as they should in a certain "
	  "application of chaining.",
	  "No chain from the server's certificate to a trusted root: most "
	  "often a missing intermediate.",
	  { { "the gateway does not send its intermediate CA, and clients do "
	      "not have it", "cert-chain-incomplete", "the certificates the "
	      "gateway sends, and the chain built from them", RUN_CA },
	    { "the SSTP server does not send its intermediate CA",
	      "sstp-cert-untrusted", "the chain of the SSTP check's TLS "
	      "handshake", RUN_CA } } },
	{ 0x800B010F, "CERT_E_CN_NO_MATCH", "winerror.h",
	  "The certificate's CN name does not match the passed value.",
	  "The name the client dials is not in the server certificate.",
	  { { "the certificate does not carry the name in the VPN profile",
	      "cert-name-mismatch", "the name dialled against the subject "
	      "alternative names (or the CN without them); run it with the "
	      "name from the profile", RUN_CA },
	    { "the SSTP server's TLS certificate does not carry that name",
	      "sstp-cert-name-mismatch", "the SSTP check, with the name as "
	      "SNI", RUN_CA } } },
	{ 0x800B0110, "CERT_E_WRONG_USAGE", "winerror.h",
	  "The certificate is not valid for the requested usage.",
	  "The server certificate lacks the Server Authentication EKU.",
	  { { "the certificate's EKU has no Server Authentication",
	      "cert-no-server-auth-eku", "the certificate's EKU", RUN_CA },
	    { "the SSTP server's TLS certificate has no Server "
	      "Authentication EKU", "sstp-cert-wrong-usage", "the SSTP "
	      "check's certificate", RUN_CA } } },
	{ 0x800B010C, "CERT_E_REVOKED", "winerror.h",
	  "A certificate was explicitly revoked by its issuer.",
	  "The server certificate (or one above it) is on its CA's CRL.",
	  { { "the gateway's certificate was revoked", NULL, "not checked: "
	      "ikeprobe does not fetch CRLs", NULL } } },
	{ 0x80092013, "CRYPT_E_REVOCATION_OFFLINE", "winerror.h",
	  "The revocation function was unable to check revocation because "
	  "the revocation server was offline.",
	  "The client could not reach the CRL distribution point of the "
	  "server's certificate, often because it is only reachable inside.",
	  { { "the CRL distribution point of the gateway's certificate is not "
	      "reachable from outside", NULL, "not checked: ikeprobe does not "
	      "fetch CRLs", NULL } } },
};

const int n_wincodes = (int)(sizeof(wincodes) / sizeof(wincodes[0]));

const struct win_code *
wincode_find(uint32_t code)
{
	for (int i = 0; i < n_wincodes; i++)
		if (wincodes[i].code == code)
			return &wincodes[i];
	return NULL;
}

const struct win_code *
wincode_by_symbol(const char *s)
{
	for (int i = 0; i < n_wincodes; i++)
		if (strcasecmp(wincodes[i].symbol, s) == 0)
			return &wincodes[i];
	return NULL;
}

/* Only digits (hex: 1 to 8 of them after 0x), no sign but a leading
 * minus, no spaces: strtoll alone would take " 809" and "0x-1". */
static bool
all_digits(const char *s, bool hex)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (hex ? !isxdigit((unsigned char)*s) : !isdigit((unsigned char)*s))
			return false;
	return true;
}

int
wincode_parse(const char *s, uint32_t *out)
{
	const struct win_code *w;
	long long v;

	if (s == NULL || *s == '\0' || strlen(s) > 64)
		return -1;
	if ((w = wincode_by_symbol(s)) != NULL) {
		*out = w->code;
		return 0;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!all_digits(s + 2, true) || strlen(s + 2) > 8)
			return -1;
		*out = (uint32_t)strtoul(s + 2, NULL, 16);
		return 0;
	}
	if (!all_digits(s[0] == '-' ? s + 1 : s, false) || strlen(s) > 11)
		return -1;
	v = strtoll(s, NULL, 10);
	if (v < INT32_MIN || v > UINT32_MAX)
		return -1;
	/* An HRESULT as the event log prints it: the same 32 bits. */
	*out = v < 0 ? (uint32_t)(int32_t)v : (uint32_t)v;
	return 0;
}
