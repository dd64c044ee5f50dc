"""The lab scenarios of the IKE_AUTH probe: a real strongSwan gateway with a
certificate chain made at test time (pki.py) that asks clients for EAP, as
RRAS does for Always On VPN user tunnels, with IKEv2 fragmentation on and
off; routers that drop the gateway's IP fragments; a load balancer (the
router's DNAT) that sends UDP 4500 to a second gateway; certificates broken
in every way a Windows client minds; a gateway that allows certificates only.

Registered into scenarios.py's table by register(); the helpers (finding,
the fragment rules) are that module's.
"""

import json
import os

import lab as L
try:
    import pki
except ImportError:     # python3-cryptography missing: the scenarios skip
    pki = None

# The gateway's fragments, one by one before the router's conntrack
# reassembles them (prerouting at -450).
FROM_GATEWAY = f"ip saddr {L.GATEWAY_ADDR}"
FRAG_ANY = "ip frag-off & 0x3fff != 0"
FRAG_NONFIRST = "ip frag-off & 0x1fff != 0"


def eap_gateway(s, profile="good", **kw):
    """Start charon as an EAP gateway with a chain of this profile; the
    chain (its root is what --ca names)."""
    if pki is None:
        raise s.h.Skip("python3-cryptography is not installed (scripts/deps.sh lab)")
    ch = pki.make(os.path.join(s.lab.tmp, "pki-" + profile), profile)
    s.lab.start_charon(L.GatewayConfig(auth=kw.pop("auth", "eap"), chain=ch, **kw))
    return ch


def run(s, ch, args=(), expect_rc=None, label=None, ca=True):
    """ikeprobe by name (the name the certificate must carry), with --ca."""
    args = (["--ca", ch.root] if ca else []) + list(args)
    return s.ikeprobe(args, expect_rc=expect_rc, label=label, target=L.GATEWAY_NAME)


def nothing_left(s, label, gateways=None):
    """The run left no IKE SA on the gateway(s), not even a half-open one."""
    for gw in gateways or [s.lab.gw]:
        sas = gw.list_sas()
        s.check(not sas, f"{label}: {len(sas)} IKE SA(s) left on the gateway in "
                f"{gw.ns}: {sas[:2]}")


def auth_checks(s, rep, label, exchanges=2):
    """What every run against an EAP gateway shows of the IKE_AUTH step."""
    a = rep["auth"]
    s.equal(a["tested"], True, f"{label}: auth.tested")
    s.equal(a["answer"], "eap", f"{label}: auth.answer")
    s.equal(a["deleted"], True, f"{label}: auth.deleted")
    s.equal(len(a["exchanges"]), exchanges, f"{label}: IKE_AUTH exchanges")
    for e in a["exchanges"]:
        p = rep["probes"][e["probe"]]
        s.equal((p["kind"], p["purpose"], p["exchange"], p["message_id"]),
                ("auth", "auth", "IKE_AUTH", 1), f"{label}: probe #{e['probe']}")
        if e["answer"] != "none":
            s.equal(e["eap"], "EAP_IDENTITY", f"{label}: exchange #{e['probe']} eap")
        s.equal(e["closed_by"], "close", f"{label}: exchange #{e['probe']} closed_by")
        c = rep["probes"][e["close_probe"]]
        s.equal((c["kind"], c["exchange"], c["message_id"], c["answer"]),
                ("close", "IKE_AUTH", 2, "authentication_failed"),
                f"{label}: closing probe #{c['id']}")
    # At most two IKE SAs for IKE_AUTH: the reachability test's, and one
    # without IKEv2 fragmentation.
    own = [p for p in rep["probes"] if p["purpose"] == "auth-sa"]
    s.check(len(own) <= 1, f"{label}: {len(own)} IKE SAs made for IKE_AUTH, want <= 1")
    for p in own:
        s.equal(p.get("no_fragmentation"), True, f"{label}: auth-sa #{p['id']} no_fragmentation")
    # What went: IDi, CERTREQ and no AUTH (a request for EAP).
    log = s.lab.charon_log()
    s.check("parsed IKE_AUTH request 1 [ IDi CERTREQ" in log and
            "IKE_AUTH request 1 [ IDi CERTREQ AUTH" not in log,
            f"{label}: charon never parsed an IKE_AUTH with IDi and CERTREQ but no AUTH")
    nothing_left(s, label)


def cert_checks(s, rep, label, **want):
    """The certificate block: the lab's good chain, but for what want says."""
    c = rep["certificate"]
    if not s.check(c is not None, f"{label}: no certificate in the report"):
        return None
    expect = dict(parsed=True, name_checked=L.GATEWAY_NAME, name_matches=True,
                  server_auth=True, expired=False, not_yet_valid=False, weak_key=False,
                  sha1=False, trusted=True, chain_incomplete=False, auth_verified=True,
                  intermediates_sent=True, self_signed=False, key="RSA 4096")
    expect.update(want)
    for k, v in expect.items():
        s.equal(c[k], v, f"{label}: certificate.{k}")
    s.check(c["subject"].startswith("CN="), f"{label}: certificate.subject {c['subject']!r}")
    s.equal(c["probe"], rep["auth"]["exchanges"][0]["probe"], f"{label}: certificate.probe")
    return c


def cert_finding(s, rep, code, label, severity="error", words=None, headline=None):
    f = s.h.finding(s, rep, code, label, severity=severity)
    if f is not None and words:
        s.check(words in f["summary"], f"{label}: {code} does not say `{words}': {f['summary']}")
    if headline:
        s.check(headline in rep["headline"], f"{label}: headline does not say `{headline}': "
                f"{rep['headline']}")
    for other in CERT_CODES:
        if other != code:
            s.check(not any(x["code"] == other for x in rep["findings"]),
                    f"{label}: finding {other} besides {code}")
    return f


CERT_CODES = ("cert-expired", "cert-not-yet-valid", "cert-expires-soon", "cert-name-mismatch",
              "cert-no-server-auth-eku", "cert-untrusted", "cert-chain-incomplete",
              "cert-weak-key", "cert-sha1-signature", "gateway-signature-invalid")


def auth_eap(s):
    """The clean case: IKEv2 fragmentation on both sides, the answer in SKF
    fragments, then in IP fragments in an SA without it: both reach us."""
    ch = eap_gateway(s)
    rep = run(s, ch, expect_rc=0)
    auth_checks(s, rep, "run 1")
    e1, e2 = rep["auth"]["exchanges"]
    # No NAT here: IKE_AUTH stays on UDP 500, as a client's would.
    s.equal((e1["port"], e1["ikev2_fragmentation"]), (500, True), "run 1: first exchange (port, RFC 7383)")
    s.check(e1["ike_fragments"] >= 2 and e1["ip_fragments"] == 0,
            f"run 1: first answer in {e1['ike_fragments']} SKF / {e1['ip_fragments']} IP fragments")
    s.equal(e2["ikev2_fragmentation"], False, "run 1: second exchange RFC 7383")
    s.check(e2["ip_fragments"] >= 2 and e2["ike_fragments"] == 1 and e2["reply_bytes"] > 3000,
            f"run 1: second answer: {e2['reply_bytes']} bytes in {e2['ip_fragments']} IP fragments")
    f = rep["fragments"]
    s.equal((f["inbound"], f["inbound_probe"]), ("pass", e2["probe"]), "run 1: fragments (inbound, probe)")
    s.check("reached this machine whole" in f["inbound_evidence"],
            f"run 1: inbound_evidence: {f['inbound_evidence']}")
    inb = f["ports"]["500"]["inbound"]
    s.equal((inb["answered"], inb["lost"]), (2, 0), "run 1: fragments.ports.500.inbound (answered, lost)")
    s.equal(f["ports"]["4500"]["inbound"], None, "run 1: fragments.ports.4500.inbound")
    c = cert_checks(s, rep, "run 1")
    if c:
        s.check(f"DNS:{L.GATEWAY_NAME}" in c["san"], f"run 1: certificate.san {c['san']}")
        s.equal(c["eku"], ["serverAuth", "ikeIntermediate"], "run 1: certificate.eku")
        s.equal(len(c["chain"]), 2, "run 1: certificate.chain length")
        s.check(300 <= c["days_left"] <= 366, f"run 1: certificate.days_left {c['days_left']}")
        s.equal(c["trust_store"], ch.root, "run 1: certificate.trust_store")
    for x in rep["findings"]:
        s.check(x["code"] not in CERT_CODES + ("return-fragments-dropped",),
                f"run 1: finding {x['code']} on a clean path")
    s.equal(rep["traffic"]["full_sa_replies"], 2, "run 1: traffic.full_sa_replies")
    # What a helpdesk reads: the Return row and the certificate block.
    saved = s.h.save(s, "auth.json", json.dumps(rep))
    rc, out, err = s.lab.run_client([s.lab.ikeprobe_path, "show", "--format", "text", saved])
    s.check("Return    pass" in out, "show: no Return row saying pass")
    s.check("Gateway's certificate" in out and f"{L.GATEWAY_NAME} matches" in out,
            "show: no certificate block naming the name checked")
    rc, out, err = s.lab.run_client([s.lab.ikeprobe_path, "show", "--format", "markdown", saved])
    s.check("| Fragments (from the gateway) | pass" in out, "show --format markdown: no inbound row")
    s.check("### The gateway's certificate" in out, "show --format markdown: no certificate table")
    # Behind a NAT (the router masquerades): IKE_AUTH moves to UDP 4500,
    # as a client's does (RFC 7296 2.23), and the SA is closed there.
    s.lab.masquerade()
    rep = run(s, ch, expect_rc=0, label="behind a NAT")
    s.equal(rep["nat"]["detected"], True, "behind a NAT: nat.detected")
    auth_checks(s, rep, "behind a NAT")
    s.equal([e["port"] for e in rep["auth"]["exchanges"]], [4500, 4500],
            "behind a NAT: IKE_AUTH ports")
    s.equal(rep["fragments"]["inbound"], "pass", "behind a NAT: fragments.inbound")
    s.lab.nft("table ip ikplabnat\ndelete table ip ikplabnat\n")
    # --no-auth: no IKE_AUTH at all; the return direction is untested.
    before = s.lab.charon_log().count("parsed IKE_AUTH request")
    rep = run(s, ch, ["--no-auth"], expect_rc=0, label="--no-auth")
    s.equal((rep["auth"]["tested"], rep["fragments"]["inbound"], rep["certificate"]),
            (False, "untested", None), "--no-auth: (auth.tested, fragments.inbound, certificate)")
    s.equal(s.lab.charon_log().count("parsed IKE_AUTH request"), before,
            "--no-auth: IKE_AUTH requests charon parsed")
    s.check("--no-auth" in rep["auth"]["what"], f"--no-auth: auth.what {rep['auth']['what']!r}")
    # Without --ca the lab's root is in no trust store.
    rep = run(s, ch, expect_rc=1, label="system trust store", ca=False)
    cert_checks(s, rep, "system trust store", trusted=False)
    cert_finding(s, rep, "cert-untrusted", "system trust store", words="this machine's trust store")


def auth_nofrag_gateway(s):
    """A gateway without IKEv2 fragmentation: one IKE_AUTH decides."""
    ch = eap_gateway(s, fragmentation="no")
    rep = run(s, ch, expect_rc=1)	# gateway-no-ikev2-fragmentation warns
    auth_checks(s, rep, "run 1", exchanges=1)
    e = rep["auth"]["exchanges"][0]
    s.equal(e["ikev2_fragmentation"], False, "run 1: exchange RFC 7383")
    s.check(e["ip_fragments"] >= 2, f"run 1: answer in {e['ip_fragments']} IP fragments")
    s.equal(rep["fragments"]["inbound"], "pass", "run 1: fragments.inbound")
    s.check(not any(p["purpose"] == "auth-sa" for p in rep["probes"]),
            "run 1: an extra IKE SA without fragmentation, though the gateway has none")
    cert_checks(s, rep, "run 1")


def return_dropped(s, rule, gateway_frag="yes"):
    ch = eap_gateway(s, fragmentation=gateway_frag)
    s.lab.add_rule_table(prerouting=[f"{FROM_GATEWAY} {rule} drop"])
    rep = run(s, ch, expect_rc=1)
    offered = gateway_frag == "yes"
    a, f = rep["auth"], rep["fragments"]
    s.equal(f["inbound"], "dropped", "run 1: fragments.inbound")
    s.equal(f["outbound"], "pass", "run 1: fragments.outbound (only the gateway's are dropped)")
    lost = rep["probes"][f["inbound_probe"]]
    s.equal((lost["kind"], lost["result"], lost.get("no_fragmentation", False)),
            ("auth", "lost", False), "run 1: the inbound probe (kind, result, ...)")
    s.check(lost["attempts"] >= 4, f"run 1: the lost IKE_AUTH was sent {lost['attempts']} times")
    fd = s.h.finding(s, rep, "return-fragments-dropped", "run 1", severity="error")
    s.check("809" in rep["headline"], f"run 1: headline does not name error 809: {rep['headline']}")
    s.equal(rep["verdict"]["ikev2_fragmentation_needed"], True, "run 1: verdict.ikev2_fragmentation_needed")
    if offered:
        s.equal(a["exchanges"][0]["answer"], "eap", "run 1: the RFC 7383 answer came")
        s.check("came through" in f["inbound_evidence"],
                f"run 1: evidence does not say the IKEv2 fragments came: {f['inbound_evidence']}")
        if fd:
            s.check("1803" in fd["advice"], f"run 1: advice does not name Windows 1803: {fd['advice']}")
    else:
        s.check("does NOT offer" in rep["headline"], f"run 1: headline: {rep['headline']}")
        if fd:
            s.check("EnableServerFragmentation" in fd["advice"],
                    f"run 1: advice does not name the RRAS setting: {fd['advice']}")
    if rule == FRAG_NONFIRST:
        s.check("first IP fragment" in f["inbound_evidence"] and "never did" in f["inbound_evidence"],
                f"run 1: evidence does not say the first fragment came alone: {f['inbound_evidence']}")
        s.check(lost.get("incomplete_answer", {}).get("first_fragments", 0) >= 4,
                f"run 1: incomplete_answer of the lost probe: {lost.get('incomplete_answer')}")
    else:
        s.check("the closing IKE_AUTH: message 2" in f["inbound_evidence"],
                f"run 1: evidence does not rest on the close: {f['inbound_evidence']}")
    # Two IKE SAs that show the same: said once, not a sentence per SA
    # (user test, issue 16).
    s.check(f["inbound_evidence"].count("IKE_AUTH answer") == 1 and "; and " not in f["inbound_evidence"],
            f"run 1: evidence repeats itself: {f['inbound_evidence']}")
    # The load balancer test stays quiet: 4500 answered in this SA.
    s.check(not a["load_balancer_no_affinity"], "run 1: load balancer blamed for dropped fragments")
    s.equal(a["deleted"], True, "run 1: auth.deleted")
    nothing_left(s, "run 1")
    s.check(rep["duration_ms"] < 3500, f"run 1: took {rep['duration_ms']} ms")


def load_balancer(s):
    """The router as a load balancer without affinity: UDP 4500 goes to a
    second gateway, 500 to the first. IKE_AUTH on 4500 (as a client behind
    a NAT sends it) reaches a gateway without the SA."""
    ch = eap_gateway(s)
    g2 = s.lab.add_gateway()
    g2.start(L.GatewayConfig(auth="eap", chain=ch, local_addrs=(L.SECOND_GATEWAY_ADDR,)))
    # Clients behind a NAT (the router masquerades) move to 4500.
    s.lab.masquerade()
    s.lab.nft("table ip ikplablb\ndelete table ip ikplablb\ntable ip ikplablb {\n"
              "  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n"
              f"    ip daddr {L.GATEWAY_ADDR} udp dport 4500 dnat to {L.SECOND_GATEWAY_ADDR}\n"
              "  }\n}\n")
    rep = run(s, ch, expect_rc=1)
    a = rep["auth"]
    s.equal(a["load_balancer_no_affinity"], True, "run 1: auth.load_balancer_no_affinity")
    s.h.finding(s, rep, "load-balancer-no-affinity", "run 1", severity="error")
    s.check("load balancer" in rep["headline"], f"run 1: headline: {rep['headline']}")
    first = a["exchanges"][0]
    s.equal((first["port"], first["answer"]), (4500, "none"), "run 1: first IKE_AUTH (port, answer)")
    s.check(any(e["port"] == 500 and e["answer"] == "eap" for e in a["exchanges"]),
            "run 1: no IKE_AUTH answered on UDP 500")
    s.check(rep["fragments"]["inbound"] != "dropped", "run 1: the balancer read as dropped fragments")
    s.equal(a["deleted"], True, "run 1: auth.deleted")
    nothing_left(s, "run 1", [s.lab.gw, g2])
    s.check("parsed IKE_AUTH" not in g2.log(), "run 1: the second gateway took an IKE_AUTH")


CERT_CASES = {
    # profile: (config, report expectations, finding, severity, words in the
    # summary, words in the headline)
    "expired": ({}, dict(expired=True), "cert-expired", "error", "0x800B0101", "expired"),
    "not-yet-valid": ({}, dict(not_yet_valid=True), "cert-not-yet-valid", "error", None,
                      "not valid yet"),
    "expires-soon": ({}, {}, "cert-expires-soon", "warning", "expires in", None),
    "wrong-name": ({}, dict(name_matches=False), "cert-name-mismatch", "error",
                   "0x800B010F", "does not carry"),
    "no-server-auth": ({}, dict(server_auth=False), "cert-no-server-auth-eku", "error",
                       "0x800B0110", "Server Authentication"),
    "self-signed": ({}, dict(self_signed=True, trusted=False, intermediates_sent=False),
                    "cert-untrusted", "error", "0x800B0109", "trusted root"),
    "sha1": ({}, dict(sha1=True), "cert-sha1-signature", "warning", "SHA-1", None),
    "weak-key": ({}, dict(weak_key=True, key="RSA 1024"), "cert-weak-key", "warning",
                 "RSA 1024", None),
    "ecdsa": ({}, dict(key="ECDSA P-256"), None, None, None, None),
    "missing-intermediate": (dict(send_intermediate=False),
                             dict(trusted=False, chain_incomplete=True, intermediates_sent=False),
                             "cert-chain-incomplete", "error", "intermediate", "intermediate"),
}


def cert_case(name):
    conf, want, code, sev, words, headline = CERT_CASES[name]

    def fn(s):
        ch = eap_gateway(s, "good" if name == "missing-intermediate" else name, **conf)
        rep = run(s, ch, expect_rc=0 if code is None else 1)
        auth_checks(s, rep, "run 1")
        c = cert_checks(s, rep, "run 1", **want)
        if code:
            cert_finding(s, rep, code, "run 1", severity=sev, words=words, headline=headline)
        else:
            for x in rep["findings"]:
                s.check(x["code"] not in CERT_CODES, f"run 1: finding {x['code']}")
        if c and name == "expired":
            s.check(c["days_left"] < 0, f"run 1: days_left {c['days_left']} of an expired certificate")
        if c and name == "expires-soon":
            s.check(5 <= c["days_left"] < 30, f"run 1: days_left {c['days_left']}")
        if c and name == "missing-intermediate":
            s.equal(len(c["chain"]), 1, "run 1: certificates sent")
    fn.__doc__ = f"The gateway's certificate: {name}."
    return fn


def auth_dropped(s):
    """A firewall that lets IKE_SA_INIT through and drops IKE_AUTH (exchange
    type 35, in the IKE header behind the UDP header and, on 4500, the
    non-ESP marker): the step where clients stop, said as such, and no
    verdict on fragments made from the silence."""
    ch = eap_gateway(s)
    s.lab.add_rule_table(forward=[
        s.h.gw_rule("udp dport 500 @th,208,8 35 drop"),
        s.h.gw_rule("udp dport 4500 @th,240,8 35 drop")])
    rep = run(s, ch, expect_rc=1)
    a = rep["auth"]
    s.h.finding(s, rep, "auth-unanswered", "run 1", severity="error")
    s.check("not IKE_AUTH" in rep["headline"], f"run 1: headline: {rep['headline']}")
    s.equal(a["answer"], "none", "run 1: auth.answer")
    # No NAT: IKE_AUTH on 500, where the SA was made; lost, its close
    # lost; the same in three fresh SAs (a lost answer is no verdict).
    s.equal([e["port"] for e in a["exchanges"]], [500] * 4, "run 1: IKE_AUTH ports")
    s.equal(len({rep["probes"][e["probe"]]["sa"] for e in a["exchanges"]}), 4,
            "run 1: IKE SAs IKE_AUTH went in")
    for code in ("return-fragments-dropped", "load-balancer-no-affinity",
                 "return-fragments-inconclusive"):
        s.check(not any(x["code"] == code for x in rep["findings"]),
                f"run 1: finding {code} from IKE_AUTH dropped by a firewall")
    s.check(rep["fragments"]["inbound"] != "dropped", "run 1: fragments.inbound dropped")
    # The gateway never saw IKE_AUTH: its SA is half-open until its own
    # timeout, and the report says it may be left.
    s.equal(a["deleted"], False, "run 1: auth.deleted")
    s.check("parsed IKE_AUTH" not in s.lab.charon_log(), "run 1: an IKE_AUTH got through")


def cert_only_gateway(s):
    """A gateway that takes certificates only (a device-tunnel setup):
    AUTHENTICATION_FAILED without its certificate, said plainly, and no
    fragment verdict made from it."""
    ch = eap_gateway(s, auth="pubkey")
    rep = run(s, ch, expect_rc=0)
    a = rep["auth"]
    s.equal((a["answer"], a["certificate_auth_only"], a["deleted"]),
            ("authentication_failed", True, True), "run 1: auth (answer, certificate_auth_only, deleted)")
    s.equal(len(a["exchanges"]), 1, "run 1: IKE_AUTH exchanges")
    s.equal(a["exchanges"][0]["closed_by"], "error", "run 1: closed_by")
    s.check(not any(p["kind"] == "close" for p in rep["probes"]),
            "run 1: a closing message after AUTHENTICATION_FAILED")
    s.equal((rep["certificate"], rep["fragments"]["inbound"]), (None, "unknown"),
            "run 1: (certificate, fragments.inbound)")
    s.h.finding(s, rep, "gateway-certificate-auth-only", "run 1", severity="info")
    nothing_left(s, "run 1")


def libreswan_cert_only(s):
    """libreswan (a second, independent IKEv2 implementation) for
    certificates only: its AUTHENTICATION_FAILED decrypted from its own
    choice of transforms (AES-GCM-256, PRF-HMAC-SHA2-512, MODP-2048 here),
    said plainly, and nothing left on it."""
    if pki is None:
        raise s.h.Skip("python3-cryptography is not installed (scripts/deps.sh lab)")
    if not L.Pluto.available():
        raise s.h.Skip(f"libreswan is not unpacked in {L.LIBRESWAN_ROOT} (scripts/deps.sh)")
    ch = pki.make(os.path.join(s.lab.tmp, "pki"), "good")
    pluto = s.lab.start_pluto(ch)
    rep = run(s, ch, expect_rc=0)
    a = rep["auth"]
    s.equal((a["answer"], a["certificate_auth_only"], a["deleted"]),
            ("authentication_failed", True, True), "run 1: auth (answer, certificate_auth_only, deleted)")
    s.h.finding(s, rep, "gateway-certificate-auth-only", "run 1", severity="info")
    p = rep["probes"][a["exchanges"][0]["probe"]]
    s.check(p.get("keys") and p["keys"]["transforms"],
            f"run 1: no keys on the IKE_AUTH probe: {p.get('keys')}")
    s.note(f"libreswan chose {p['keys']['transforms'] if p.get('keys') else '?'}")
    s.check("Peer attempted EAP authentication" in pluto.log() or
            "AUTHENTICATION_FAILED" in pluto.log(),
            "run 1: pluto's log does not show our IKE_AUTH decrypted and refused")
    sas = pluto.list_sas()
    s.check(not sas, f"run 1: {len(sas)} IKE SA(s) left on libreswan: {sas[:2]}")


def register(scenario, helpers):
    """Put the scenarios into scenarios.py's table."""
    def reg(name, fn, nft=False):
        def wrapped(s):
            s.h = helpers
            return fn(s)
        wrapped.__doc__ = fn.__doc__
        scenario(name, nft=nft)(wrapped)

    reg("auth-eap", auth_eap)
    reg("auth-nofrag-gateway", auth_nofrag_gateway)
    reg("return-frags-dropped", lambda s: return_dropped(s, FRAG_ANY), nft=True)
    reg("return-frags-nonfirst-dropped", lambda s: return_dropped(s, FRAG_NONFIRST), nft=True)
    reg("return-frags-dropped-nofrag-gateway",
        lambda s: return_dropped(s, FRAG_ANY, gateway_frag="no"), nft=True)
    reg("load-balancer-no-affinity", load_balancer, nft=True)
    reg("auth-dropped", auth_dropped, nft=True)
    for name in CERT_CASES:
        reg("cert-" + name, cert_case(name))
    reg("cert-only-gateway", cert_only_gateway)
    scenario("libreswan-cert-only", charon=False)(
        lambda s: (setattr(s, "h", helpers), libreswan_cert_only(s))[1])
