/* The SSTP check's diagnosis: what a Windows SSTP client gets from this
 * network (TCP to the port, TLS, the listener, the call), the server's
 * certificate as Windows judges it, and the findings, each naming the
 * frames or the answer it rests on. How much an SSTP failure matters
 * depends on IKEv2: SSTP is the fallback where IKEv2 cannot connect. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ikeprobe/report.h"

static const char sstp_cert_advice[] =
    "Renew or replace the certificate SSTP uses (on RRAS: Routing and "
    "Remote Access > Properties > Security > SSL Certificate Binding, or "
    "Set-RemoteAccess -SslCertificate; check with netsh http show sslcert "
    "ipport=0.0.0.0:443).";

static enum port_state
tcp_state(const struct sstp_report *r, const struct sstp_conn *c,
    const struct sstp_session *s)
{
	if (!c->started)
		return PORT_UNTESTED;
	if (c->connect_errno == 0 && c->stage > SSTP_STAGE_CONNECT)
		return PORT_OPEN;
	/* The gateway's own port unreachable is a closed port; any other
	 * ICMP error, or one from a router, is a firewall's. */
	if (r->has_icmp)
		return r->icmp.meaning == ICMP_PORT_UNREACH &&
		    ip_addr_eq(&r->icmp.from, &s->base.peer) ? PORT_CLOSED :
		    PORT_FILTERED;
	if (r->reset || c->connect_errno == ECONNREFUSED)
		return PORT_CLOSED;
	if (c->connect_errno == EHOSTUNREACH || c->connect_errno == ENETUNREACH)
		return PORT_FILTERED;
	if (!c->finished || (s->interrupted && !c->timed_out))
		return PORT_UNTESTED;
	/* This machine would not open, bind or connect the socket (no SYN
	 * went): nothing was learnt of the network. */
	if (c->connect_errno != 0 && c->connect_errno != ETIMEDOUT &&
	    r->syns == 0)
		return PORT_UNTESTED;
	return PORT_SILENT;
}

/* Ended by the run's stop before the server had its say: no verdict on
 * what did not happen. */
static bool
cut_short(const struct sstp_session *s, const struct sstp_conn *c)
{
	return s->interrupted && !c->timed_out && c->stage != SSTP_STAGE_DONE &&
	    strcmp(c->error, SSTP_STOPPED) == 0;
}

static void
legacy(struct sstp_report *r, const struct sstp_session *s)
{
	for (int k = 0; k < 2; k++) {
		const struct sstp_conn *c = &s->conn[1 + k];
		struct sstp_legacy *l = &r->legacy[k];

		l->version = tls_profile_version(c->profile);
		l->accepted = TRI_NULL;
		if (!c->started || c->connect_errno != 0)
			continue;
		if (c->tls_version[0])
			l->accepted = TRI_TRUE;
		else if (c->finished && !c->timed_out && !cut_short(s, c))
			l->accepted = TRI_FALSE;
		snprintf(l->error, sizeof(l->error), "%s", c->error);
	}
}

static void
certificate(struct report *rep)
{
	struct sstp_report *r = &rep->sstp;
	const struct sstp_answers *a = &r->sess->ans;
	const uint8_t *der[CERT_MAX_CHAIN];

	if (a->n_der == 0)
		return;
	for (int i = 0; i < a->n_der; i++)
		der[i] = a->der[i];
	r->has_cert = true;
	cert_check(der, a->der_len, a->n_der, rep->target_name, rep->trust,
	    (time_t)rep->started, &r->cert);
}

/* Where TCP stopped, with what it rests on: the frames of the capture. */
static void
tcp_words(const struct report *rep, char *buf, size_t len)
{
	const struct sstp_report *r = &rep->sstp;
	char from[IP_ADDR_STRLEN];

	switch (r->state) {
	case PORT_CLOSED:
		if (r->has_icmp)
			snprintf(buf, len, "refused: ICMP %s from the gateway (%s)",
			    icmp_name(r->icmp.family, r->icmp.type, r->icmp.code),
			    ip_addr_str(&r->icmp.from, from, sizeof(from)));
		else if (r->reset)
			snprintf(buf, len, "refused: a TCP reset from %s answered "
			    "our SYN (nothing listens there, or a firewall resets "
			    "the connection in the gateway's name)",
			    ip_addr_str(&r->reset_from, from, sizeof(from)));
		else
			snprintf(buf, len, "refused (connect: %s; the capture "
			    "shows no reset)", r->error);
		break;
	case PORT_FILTERED:
		if (r->has_icmp)
			snprintf(buf, len, "filtered: ICMP %s from %s %s",
			    icmp_name(r->icmp.family, r->icmp.type, r->icmp.code),
			    ip_addr_eq(&r->icmp.from, &r->sess->base.peer) ?
			    "the gateway" : "router",
			    ip_addr_str(&r->icmp.from, from, sizeof(from)));
		else
			snprintf(buf, len, "filtered (connect: %s; the capture "
			    "shows no ICMP error)", r->error);
		break;
	case PORT_SILENT:
		snprintf(buf, len, "silent: %d SYN(s) went, nothing came back "
		    "in %.1f s", r->syns, SSTP_CONNECT_TIMEOUT);
		break;
	case PORT_UNTESTED:
		if (r->error[0]) {
			snprintf(buf, len, "untested (%s)", r->error);
			break;
		}
		/* Otherwise said as an open port is. The attribute both gcc
		 * and clang honour. */
		__attribute__((fallthrough));
	case PORT_OPEN:
		snprintf(buf, len, "%s", port_state_name(r->state));
		break;
	}
}

static void
reachability_findings(struct report *rep, bool ike_ok)
{
	struct sstp_report *r = &rep->sstp;
	enum severity sev = ike_ok ? SEV_INFO : SEV_ERROR;
	/* Where the run probed both families, this report speaks for its
	 * own: the other may work (family-mismatch says so). */
	bool v6 = rep->target.family == AF_INET6, both = false;
	const char *then;

	for (int i = 0; i < rep->n_addrs; i++)
		if (rep->probed[i] && rep->addrs[i].family != rep->target.family)
			both = true;
	then = ike_ok ? " IKEv2 connects from here, so clients do not need "
	    "SSTP from this network." : v6 ? " IKEv2 cannot connect over IPv6 "
	    "from here either: no VPN protocol works over IPv6 from this "
	    "network." : both ? " IKEv2 cannot connect over IPv4 from here "
	    "either: no VPN protocol works over IPv4 from this network." :
	    " IKEv2 cannot connect from here either: no VPN protocol works "
	    "from this network.";
	char tcp[300];

	if (r->state == PORT_CLOSED || r->state == PORT_FILTERED ||
	    r->state == PORT_SILENT) {
		tcp_words(rep, tcp, sizeof(tcp));
		add_finding(rep, sev, "sstp-tcp443-blocked", "If clients need "
		    "the SSTP fallback, allow TCP 443 to the gateway on this "
		    "network's firewall; on the gateway, check that SSTP is "
		    "enabled (RRAS: Get-RemoteAccess, netsh http show sslcert).",
		    "SSTP cannot connect from this network: TCP %u is %s.%s",
		    r->port, tcp, then);
		return;
	}
	if (r->state != PORT_OPEN || r->listener == TRI_TRUE || r->cut)
		return;
	if (r->has_http)
		add_finding(rep, sev, "sstp-not-listening", "Enable SSTP on the "
		    "VPN server and check what answers TCP 443 (RRAS: netsh http "
		    "show sslcert ipport=0.0.0.0:443); a proxy or load balancer in "
		    "front must pass SSTP_DUPLEX_POST through to it.", "Port %u is "
		    "a web server, not an SSTP listener: HTTP %d%s%s from %s to "
		    "SSTP_DUPLEX_POST %s.%s", r->port, r->http->status,
		    r->http->reason[0] ? " " : "", r->http->reason,
		    r->http->server[0] ? r->http->server : "a server that does "
		    "not name itself", SSTP_URI, then);
	else if (!r->tls_ok)
		add_finding(rep, sev, "sstp-not-listening", "Check what answers "
		    "TCP 443 on the gateway: SSTP needs TLS there.", "TCP %u "
		    "answers but TLS does not: %s.%s", r->port, r->error, then);
	else
		add_finding(rep, sev, "sstp-not-listening", "Check the SSTP "
		    "service on the gateway (RRAS: Get-RemoteAccess; the event "
		    "log of RemoteAccess).", "TCP %u takes TLS (%s) but no SSTP "
		    "listener answers behind it: %s.%s", r->port, r->tls_version,
		    r->error, then);
}

static void
call_findings(struct report *rep)
{
	struct sstp_report *r = &rep->sstp;

	if (r->listener != TRI_TRUE || r->cut || (r->call_connect &&
	    strcmp(r->call_connect, "ack") == 0))
		return;
	if (r->call_connect && strcmp(r->call_connect, "nak") == 0)
		add_finding(rep, SEV_ERROR, "sstp-call-refused", "Check the VPN "
		    "server's SSTP ports (RRAS: Ports, WAN Miniport (SSTP)) and "
		    "its event log.", "The SSTP server refuses the call: its "
		    "answer to a Call Connect Request for PPP is a Call Connect "
		    "Nak%s%u).", r->ctrl->has_status ? " (status " : " (no status, ",
		    r->ctrl->has_status ? (unsigned)r->ctrl->status : 0u);
	else
		add_finding(rep, SEV_ERROR, "sstp-call-refused", "Check the VPN "
		    "server's SSTP service and its event log.", "The SSTP "
		    "server took the HTTP handshake but not the call: %s.",
		    r->call_connect ? "it answered the Call Connect Request with "
		    "another message" : r->error);
}

/* The one sentence that leads the report when the SSTP certificate
 * breaks every SSTP client: the error code they show. */
static void
lead(struct report *rep, const struct cert_info *c, const char *na)
{
	char *l = rep->sstp.lead;
	size_t n = sizeof(rep->sstp.lead);

	if (c->expired)
		snprintf(l, n, "The SSTP server's certificate expired on %.10s: "
		    "every SSTP client fails (-2146762495, 0x800B0101 "
		    "CERT_E_EXPIRED).", na);
	else if (c->not_yet_valid)
		snprintf(l, n, "The SSTP server's certificate is not valid yet: "
		    "every SSTP client fails (0x800B0101 CERT_E_EXPIRED).");
	else if (c->name_checked && !c->name_matches)
		snprintf(l, n, "The SSTP server's certificate lacks the name "
		    "dialled: SSTP clients fail (0x800B010F CERT_E_CN_NO_MATCH).");
	else if (!c->server_auth)
		snprintf(l, n, "The SSTP server's certificate lacks Server "
		    "Authentication: SSTP clients fail (0x800B0110).");
	else if (c->trusted == CERT_TRUST_NO)
		snprintf(l, n, "The SSTP server's certificate is not trusted%s: "
		    "SSTP clients fail (0x800B0109).", c->chain_incomplete ?
		    " (no intermediate sent)" : "");
}

static void
cert_findings(struct report *rep)
{
	const struct sstp_report *r = &rep->sstp;
	const struct cert_info *c = &r->cert;
	char na[32];

	if (!r->has_cert)
		return;
	if (!c->parsed) {
		add_finding(rep, SEV_ERROR, "sstp-cert-untrusted", sstp_cert_advice,
		    "The SSTP server's certificate does not parse: %s.",
		    c->problem);
		return;
	}
	rfc3339((double)c->not_after, na, sizeof(na));
	lead(rep, c, na);
	if (c->expired)
		add_finding(rep, SEV_ERROR, "sstp-cert-expired", sstp_cert_advice,
		    "The SSTP server's certificate \"%s\" expired on %.10s: every "
		    "SSTP client fails with error -2146762495 (0x800B0101, "
		    "CERT_E_EXPIRED; RasClient event 20227).", c->subject, na);
	if (c->not_yet_valid)
		add_finding(rep, SEV_ERROR, "sstp-cert-expired", "Check the "
		    "certificate's dates and the server's and clients' clocks.",
		    "The SSTP server's certificate \"%s\" is not valid yet: every "
		    "SSTP client fails with error -2146762495 (0x800B0101, "
		    "CERT_E_EXPIRED).", c->subject);
	if (!c->expired && c->days_left < 30)
		add_finding(rep, SEV_WARNING, "sstp-cert-expires-soon",
		    sstp_cert_advice, "The SSTP server's certificate \"%s\" "
		    "expires in %lld day(s) (%.10s); then every SSTP client fails "
		    "(0x800B0101).", c->subject, (long long)c->days_left, na);
	if (c->name_checked && !c->name_matches)
		add_finding(rep, SEV_ERROR, "sstp-cert-name-mismatch", "Give the "
		    "SSTP server a certificate with the name clients dial in its "
		    "subject alternative names.", "The SSTP server's certificate "
		    "does not carry %s, the name dialled (subject \"%s\", %d "
		    "alternative name(s)): SSTP clients fail with error "
		    "-2146762481 (0x800B010F, CERT_E_CN_NO_MATCH).", c->name,
		    c->subject, c->n_san);
	if (!c->server_auth)
		add_finding(rep, SEV_ERROR, "sstp-cert-wrong-usage", "Issue the "
		    "SSTP certificate with the Server Authentication EKU.",
		    "The SSTP server's certificate has %s: SSTP clients fail "
		    "with error -2146762480 (0x800B0110, CERT_E_WRONG_USAGE).",
		    c->has_eku ? "no Server Authentication EKU" :
		    "no extended key usage at all");
	if (c->trusted == CERT_TRUST_NO)
		add_finding(rep, SEV_ERROR, "sstp-cert-untrusted", c->chain_incomplete ?
		    "Bind the full chain on the server (import the intermediate "
		    "CA into its computer store), or install it on every client." :
		    rep->ca_file ? "Check that --ca names the CA your clients "
		    "trust." : "Use a certificate from a CA the clients trust "
		    "(or give ikeprobe --ca FILE to check against yours).",
		    "The SSTP server's certificate does not chain to a trusted "
		    "root (%s%s, checked against %s): SSTP clients fail with "
		    "error -2146762487 (0x800B0109, CERT_E_UNTRUSTEDROOT)%s.",
		    c->chain_incomplete ? "the intermediate CA is not sent: " :
		    c->self_signed ? "self-signed: " : "", c->trust_error,
		    rep->ca_file ? rep->ca_file : "this machine's trust store",
		    c->chain_incomplete ? ", or 0x800B010A (CERT_E_CHAINING) "
		    "where the intermediate is missing" : "");
	if (c->sha1)
		add_finding(rep, SEV_WARNING, "sstp-cert-sha1", sstp_cert_advice,
		    "The SSTP server's certificate chain is signed with SHA-1 "
		    "(%s), which Windows no longer accepts for TLS server "
		    "authentication.", c->signature);
	if (c->weak_key)
		add_finding(rep, SEV_WARNING, "sstp-cert-weak-key", sstp_cert_advice,
		    "The SSTP server's certificate key is %s: too weak (RSA below "
		    "2048 bits, EC below 256).", c->key);
}

/* Did the TLS 1.2+ handshake fail on the version (an alert, or nothing
 * in common), rather than time, a reset or a weak key of the server? */
static bool
version_refused(const struct sstp_report *r)
{
	static const char *const said[] = { "protocol version",
	    "unsupported protocol", "no protocols available",
	    "wrong version number" };

	if (r->timed_out || r->cut)
		return false;
	for (size_t i = 0; i < sizeof(said) / sizeof(said[0]); i++)
		if (strcasestr(r->error, said[i]))
			return true;
	return false;
}

static void
tls_findings(struct report *rep)
{
	const struct sstp_report *r = &rep->sstp;
	char which[40] = "";

	for (int k = 0; k < 2; k++)
		if (r->legacy[k].accepted == TRI_TRUE)
			snprintf(which + strlen(which), sizeof(which) - strlen(which),
			    "%s%s", which[0] ? " and " : "", r->legacy[k].version);
	if (!which[0])
		return;
	if (r->tls_ok)
		add_finding(rep, SEV_INFO, "sstp-tls-legacy", "Where no client "
		    "needs them (old RRAS EAP setups may), turn TLS 1.0 and 1.1 "
		    "off on the server (SCHANNEL Protocols registry keys).", "The "
		    "SSTP server also accepts %s, besides %s: clients do not need "
		    "them, but an attacker may downgrade to them.", which,
		    r->tls_version);
	else if (!version_refused(r))
		add_finding(rep, SEV_WARNING, "sstp-tls-legacy", "Check the "
		    "server's TLS 1.2 setup (SCHANNEL protocols and cipher "
		    "suites) and run again.", "The SSTP server accepts %s, but "
		    "the TLS 1.2 and 1.3 handshake failed for another reason "
		    "than the version (%s): clients that no longer offer %s may "
		    "fail to connect over SSTP.", which, r->error, which);
	else
		add_finding(rep, SEV_ERROR, "sstp-tls-legacy", "Enable TLS 1.2 on "
		    "the VPN server (SCHANNEL; on Windows Server 2012 R2 and "
		    "older, with its updates).", "The SSTP server accepts only "
		    "%s, which Windows 11 clients no longer offer: they fail to "
		    "connect over SSTP (the TLS 1.2 handshake: %s).", which,
		    r->error);
}

/* One sentence of what an SSTP client gets here. */
static void
meaning(struct report *rep)
{
	struct sstp_report *r = &rep->sstp;
	char tcp[300];

	if (r->state != PORT_OPEN) {
		tcp_words(rep, tcp, sizeof(tcp));
		snprintf(r->meaning, sizeof(r->meaning), "TCP %u %s.", r->port, tcp);
	} else if (!r->tls_ok)
		snprintf(r->meaning, sizeof(r->meaning), "TCP %u open, TLS failed: "
		    "%s.", r->port, r->error);
	else if (r->listener != TRI_TRUE)
		snprintf(r->meaning, sizeof(r->meaning), "TCP %u open, %s, no SSTP "
		    "listener: %s.", r->port, r->tls_version, r->has_http ?
		    "the HTTP answer is not SSTP's" : r->error);
	else if (r->call_connect && strcmp(r->call_connect, "ack") == 0)
		snprintf(r->meaning, sizeof(r->meaning), "SSTP answers on TCP %u "
		    "(%s): the Call Connect Request was acknowledged.", r->port,
		    r->tls_version);
	else
		snprintf(r->meaning, sizeof(r->meaning), "SSTP answers on TCP %u "
		    "(%s) but does not take the call: %s.", r->port, r->tls_version,
		    r->call_connect ? r->call_connect : r->error);
}

void
diagnose_sstp(struct report *rep)
{
	struct sstp_report *r = &rep->sstp;
	const struct sstp_session *s = r->sess;
	const struct sstp_conn *c;
	const struct sstp_wire *w;

	memset(r, 0, sizeof(*r));
	r->sess = s;
	if (s == NULL)
		return;
	c = &s->conn[0];
	w = &s->wire[0];
	r->tested = true;
	r->port = s->port;
	r->sport = c->sport;
	r->syns = w->syns;
	r->connect_ms = w->first_syn != USEC_NONE && w->synack != USEC_NONE &&
	    w->synack >= w->first_syn ? usec_to_ms(w->synack - w->first_syn) : -1;
	r->reset = w->reset;
	r->reset_from = w->reset_from;
	if (w->icmp) {
		r->has_icmp = true;
		r->icmp.seen = true;
		r->icmp.meaning = w->icmp_meaning;
		r->icmp.family = s->base.peer.family;
		r->icmp.type = w->icmp_type;
		r->icmp.code = w->icmp_code;
		r->icmp.from = w->icmp_from;
	}
	r->reached = c->stage;
	r->timed_out = c->timed_out;
	snprintf(r->error, sizeof(r->error), "%s", c->error);
	r->state = tcp_state(r, c, s);
	r->cut = cut_short(s, c);
	r->tls_ok = c->tls_version[0] != '\0';
	snprintf(r->tls_version, sizeof(r->tls_version), "%s", c->tls_version);
	snprintf(r->tls_cipher, sizeof(r->tls_cipher), "%s", c->tls_cipher);
	legacy(r, s);
	r->has_http = s->ans.has_http;
	r->http = &s->ans.http;
	r->has_ctrl = s->ans.has_ctrl;
	r->ctrl = &s->ans.ctrl;
	if (r->has_ctrl)
		r->call_connect = r->ctrl->msg_type == SSTP_MSG_CALL_CONNECT_ACK ?
		    "ack" : r->ctrl->msg_type == SSTP_MSG_CALL_CONNECT_NAK ?
		    "nak" : "other";
	/* An SSTP server answers SSTP_DUPLEX_POST with 200 and the same
	 * length; one that then answers the call is one whatever it said. */
	if (r->has_http)
		r->listener = r->http->status == 200 && (r->http->length_sstp ||
		    (r->call_connect && strcmp(r->call_connect, "other") != 0)) ?
		    TRI_TRUE : TRI_FALSE;
	else if (r->tls_ok && c->finished && !r->cut)
		r->listener = TRI_FALSE;	/* TLS, then nothing */
	else
		r->listener = TRI_NULL;
	certificate(rep);
	meaning(rep);

	reachability_findings(rep, ike_connects(rep));
	call_findings(rep);
	tls_findings(rep);
	cert_findings(rep);
}

/* Does SSTP work here: a listener that took the call, with a certificate
 * a client accepts? */
static bool
sstp_works(const struct sstp_report *r)
{
	const struct cert_info *c = &r->cert;

	if (!r->tested || r->listener != TRI_TRUE || !r->call_connect ||
	    strcmp(r->call_connect, "ack") != 0)
		return false;
	return !r->has_cert || (c->parsed && !c->expired && !c->not_yet_valid &&
	    (!c->name_checked || c->name_matches) && c->server_auth &&
	    c->trusted != CERT_TRUST_NO);
}

bool
sstp_headline_clause(const struct report *rep, char *buf, size_t len)
{
	const struct sstp_report *r = &rep->sstp;

	buf[0] = '\0';
	if (!r->tested || r->state == PORT_UNTESTED)
		return false;
	if (sstp_works(r)) {
		snprintf(buf, len, " but SSTP works: clients fall back to SSTP only "
		    "if the profile allows it.");
		return true;
	}
	/* Short: the headline is one sentence of at most 120 characters;
	 * the findings say why. */
	snprintf(buf, len, r->state != PORT_OPEN ? " SSTP is blocked too." :
	    " SSTP fails too.");
	return false;
}
