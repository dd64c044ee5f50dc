"""The proposal audit's lab scenarios (--audit): strongSwan's charon and
libreswan's pluto, each with a weak, a default and a strict proposal list.
Each case checks the accepted and refused sets exactly against the
configuration, what each client suite gets, the findings, and that the
gateway holds no IKE SA the audit made (the only one left is reachability's
half-open SA, which --quick leaves by design; the full run ends it).

These runs are also where the premise is verified: an offer whose proposal
the gateway accepts, with a KE of a group it does not offer, is answered
INVALID_KE_PAYLOAD naming the group of the chosen proposal; one it cannot
accept, NO_PROPOSAL_CHOSEN (docs/REPORTS.md names the versions).

Registered into scenarios.py's table by register().
"""

import os

import auth_scenarios
import lab as L
try:
    import pki
except ImportError:     # python3-cryptography missing: libreswan skips
    pki = None

ENCR = ["ENCR_DES", "ENCR_3DES", "ENCR_AES_CBC_128", "ENCR_AES_CBC_192",
        "ENCR_AES_CBC_256", "ENCR_AES_GCM_16_128", "ENCR_AES_GCM_16_256",
        "ENCR_CHACHA20_POLY1305"]
PRF = ["PRF_HMAC_MD5", "PRF_HMAC_SHA1", "PRF_HMAC_SHA2_256", "PRF_HMAC_SHA2_384",
       "PRF_HMAC_SHA2_512"]
INTEG = ["AUTH_HMAC_MD5_96", "AUTH_HMAC_SHA1_96", "AUTH_HMAC_SHA2_256_128",
         "AUTH_HMAC_SHA2_384_192", "AUTH_HMAC_SHA2_512_256"]
DH = ["MODP_768", "MODP_1024", "MODP_1024_160", "MODP_1536", "MODP_2048_224",
      "MODP_2048_256", "MODP_2048", "MODP_3072", "MODP_4096", "ECP_256", "ECP_384",
      "ECP_521", "CURVE25519"]
ALL = ENCR + PRF + INTEG + DH
CLIENTS = ["windows-default", "windows11-default", "windows-dh2048",
           "cryptosuite-aes128-sha256-group14", "cryptosuite-gcmaes128-sha256-group14",
           "cryptosuite-aes256-sha384-ecp384", "cryptosuite-gcmaes256-sha384-ecp384",
           "strongswan-default"]

# name: (gateway, its proposals, accepted transforms, clients accepted,
#        weak transforms named, Windows default)
CASES = {
    "strongswan-weak": (
        "charon", "3des-sha1-modp1024, aes128-md5-modp1536",
        ["ENCR_3DES", "ENCR_AES_CBC_128", "PRF_HMAC_MD5", "PRF_HMAC_SHA1",
         "AUTH_HMAC_MD5_96", "AUTH_HMAC_SHA1_96", "MODP_1024", "MODP_1536"],
        ["windows-default", "windows11-default"],
        ["PRF_HMAC_MD5", "AUTH_HMAC_MD5_96", "MODP_1024", "MODP_1536"]),
    # strongSwan 5.9's "default" keyword with the lab's plugins
    "strongswan-default": (
        "charon", "default",
        ["ENCR_3DES", "ENCR_AES_CBC_128", "ENCR_AES_CBC_192", "ENCR_AES_CBC_256",
         "ENCR_AES_GCM_16_128", "ENCR_AES_GCM_16_256", "ENCR_CHACHA20_POLY1305",
         "PRF_HMAC_SHA1", "PRF_HMAC_SHA2_256", "PRF_HMAC_SHA2_384", "PRF_HMAC_SHA2_512",
         "AUTH_HMAC_SHA1_96", "AUTH_HMAC_SHA2_256_128", "AUTH_HMAC_SHA2_384_192",
         "AUTH_HMAC_SHA2_512_256", "MODP_2048", "MODP_3072", "MODP_4096", "ECP_256",
         "ECP_384", "ECP_521", "CURVE25519"],
        CLIENTS[2:], []),
    "strongswan-strict": (
        "charon", "aes256gcm16-prfsha384-ecp384, chacha20poly1305-prfsha512-x25519",
        ["ENCR_AES_GCM_16_256", "ENCR_CHACHA20_POLY1305", "PRF_HMAC_SHA2_384",
         "PRF_HMAC_SHA2_512", "ECP_384", "CURVE25519"],
        ["cryptosuite-gcmaes256-sha384-ecp384", "strongswan-default"], []),
    # libreswan 4 has no MODP_1024 at all (and no MD5 for IKE): its
    # weakest is 3DES, SHA-1 and MODP_1536.
    "libreswan-weak": (
        "pluto", "3des-sha1;modp1536,aes128-sha1;modp1536",
        ["ENCR_3DES", "ENCR_AES_CBC_128", "PRF_HMAC_SHA1", "AUTH_HMAC_SHA1_96",
         "MODP_1536"],
        [], ["MODP_1536"]),
    # libreswan 4.10's built-in default (no ike= line)
    "libreswan-default": (
        "pluto", None,
        ["ENCR_AES_CBC_128", "ENCR_AES_CBC_256", "ENCR_AES_GCM_16_128",
         "ENCR_AES_GCM_16_256", "PRF_HMAC_SHA2_256", "PRF_HMAC_SHA2_512",
         "AUTH_HMAC_SHA2_256_128", "AUTH_HMAC_SHA2_512_256", "MODP_2048", "MODP_3072",
         "MODP_4096", "ECP_256", "ECP_384", "ECP_521", "CURVE25519"],
        ["windows-dh2048", "cryptosuite-aes128-sha256-group14",
         "cryptosuite-gcmaes128-sha256-group14", "strongswan-default"], []),
    "libreswan-strict": (
        "pluto", "aes_gcm256-sha2_384;dh20,chacha20_poly1305-sha2_512;dh31",
        ["ENCR_AES_GCM_16_256", "ENCR_CHACHA20_POLY1305", "PRF_HMAC_SHA2_384",
         "PRF_HMAC_SHA2_512", "ECP_384", "CURVE25519"],
        ["cryptosuite-gcmaes256-sha384-ecp384", "strongswan-default"], []),
}


def names(entries):
    return sorted(e["offer"] for e in entries)


def audit_case(name):
    daemon, proposals, accepted, clients, weak = CASES[name]

    def run(s):
        """The audit against this gateway's proposals: accepted and refused
        exactly as configured, the clients, the findings, nothing left."""
        if daemon == "pluto":
            if pki is None:
                raise s.h.Skip("python3-cryptography is not installed (scripts/deps.sh lab)")
            if not L.Pluto.available():
                raise s.h.Skip(f"libreswan is not unpacked in {L.LIBRESWAN_ROOT} "
                               "(scripts/deps.sh)")
            ch = pki.make(os.path.join(s.lab.tmp, "pki"), "good")
            gw = s.lab.start_pluto(ch, ike=proposals, send_vendorid=name.endswith("default"))
            family = "libreswan" if name.endswith("default") else None
        else:
            s.lab.start_charon(L.GatewayConfig(proposals=proposals))
            gw = s.lab.gw
            family = "strongSwan"
        rep = s.ikeprobe(["--quick", "--audit"], expect_rc=1)
        if rep is None:
            return
        a = rep["audit"]
        s.equal(a["conclusive"], True, f"audit.conclusive ({a['reason']})")
        s.equal(a["port"], 500, "audit.port")
        s.equal(a["verified_order"], family, "audit.verified_order")
        s.equal(a["controls"]["negative_answer"], "refused", "the control's answer")
        s.check(a["requests"] <= 60, f"{a['requests']} audit requests, more than 60")
        s.check(a["duration_ms"] is not None and a["duration_ms"] <= 3000,
                f"the audit took {a['duration_ms']} ms (at most 3 s on a clean path)")
        s.equal(names(a["accepted"]), sorted(accepted), "accepted transforms")
        s.equal(names(a["refused"]), sorted(set(ALL) - set(accepted)), "refused transforms")
        s.equal(a["unanswered"], [], "unanswered transforms")
        got = sorted(c["offer"] for c in a["clients"] if c["answer"] == "accepted")
        s.equal(got, sorted(clients), "client suites accepted")
        s.equal(sorted(c["offer"] for c in a["clients"] if c["answer"] == "refused"),
                sorted(set(CLIENTS) - set(clients)), "client suites refused")
        s.equal(a["windows_default"], "accepted" if "windows-default" in clients else
                "refused", "audit.windows_default")
        # Each accepted group was named by the gateway itself.
        for e in a["accepted"]:
            if e["type"] == "DH":
                s.equal(e["group"], e["offer"], f"{e['offer']}: the group INVALID_KE names")
        codes = [f["code"] for f in rep["findings"]]
        if weak:
            f = s.h.finding(s, rep, "weak-proposal-accepted", "report")
            if f:
                for w in weak:
                    s.check(w in f["summary"], f"weak-proposal-accepted does not name {w}: "
                            f"{f['summary']}")
                for w in ("Set-VpnServerConfiguration -CustomPolicy", "CryptographySuite",
                          "proposals ="):
                    s.check(w in f["advice"], f"weak-proposal-accepted's advice does not "
                            f"say `{w}'")
        else:
            s.check("weak-proposal-accepted" not in codes, "weak-proposal-accepted without "
                    "a weak transform accepted")
        if "windows-default" in clients:
            s.check("windows-default-refused" not in codes, "windows-default-refused, "
                    "though the defaults were accepted")
        else:
            f = s.h.finding(s, rep, "windows-default-refused", "report")
            if f:
                s.check("13868" in f["summary"], "windows-default-refused does not name 13868")
            s.check("13868" in rep["headline"], f"the headline does not lead with the "
                    f"refused Windows defaults: {rep['headline']}")
        s.check("audit-inconclusive" not in codes, "audit-inconclusive on a clean path")
        # Nothing the audit sent made an IKE SA: what is left is the
        # reachability SA (one per full SA answer).
        sas = gw.list_sas()
        s.equal(len(sas), rep["traffic"]["full_sa_replies"],
                f"IKE SAs on the gateway after the run ({sas[:3]})")
        # Each offer answered without state; a COOKIE (the gateway's
        # half-open threshold met by a window of offers, as timing has it)
        # only with its echo answered so.
        echo = {p["follows"]: p for p in rep["probes"]
                if p["purpose"] == "audit" and "follows" in p}
        for p in rep["probes"]:
            if p["purpose"] == "audit":
                r = p["reply"]
                if r == "cookie" and p["id"] in echo:
                    r = echo[p["id"]]["reply"]
                s.check(r in ("invalid_ke", "no_proposal"),
                        f"audit probe #{p['id']} ({p.get('offer')}): {p['reply']}")
    run.__doc__ = f"--audit against {daemon} with proposals {proposals or 'built in'}."
    return run


def audit_full_run(s):
    """--audit in a full run against the EAP gateway: the audit after the
    size tests, the IKE_AUTH step unchanged, every IKE SA ended; and a run
    without --audit says nothing of it (audit null)."""
    ch = auth_scenarios.eap_gateway(s)
    rep = s.ikeprobe(["--audit", "--ca", ch.root], target=L.GATEWAY_NAME)
    if rep is None:
        return
    a = rep["audit"]
    s.equal(a["conclusive"], True, f"audit.conclusive ({a['reason']})")
    s.equal(rep["auth"]["deleted"], True, "auth.deleted")
    last_size = max((p["id"] for p in rep["probes"]
                     if p["purpose"] in ("pmtu", "fragments", "control")), default=-1)
    first_audit = min((p["id"] for p in rep["probes"] if p["purpose"] == "audit"), default=-1)
    s.check(first_audit > last_size, f"audit probe #{first_audit} before size probe "
            f"#{last_size}: the audit must follow the size tests")
    sas = s.lab.gw.list_sas()
    s.check(not sas, f"{len(sas)} IKE SA(s) left on the gateway: {sas[:2]}")
    rep = s.ikeprobe(["--quick"], expect_rc=0, target=L.GATEWAY_NAME, label="run 2")
    if rep is not None:
        s.equal(rep["audit"], None, "run 2 (no --audit): audit")
        s.check(all(p["purpose"] != "audit" for p in rep["probes"]),
                "run 2 (no --audit) sent audit probes")


def audit_silent_gateway(s):
    """The gateway answers reachability, then drops every audit offer (the
    router drops UDP 500 once three requests went): the audit gives up
    after a window's worth, says it is inconclusive, and accuses no
    transform."""
    s.lab.start_charon(L.GatewayConfig())
    # The first three requests to UDP 500 pass (reachability's two and
    # the audit's control), everything after them is dropped.
    s.lab.add_rule_table(forward=[f"ip daddr {L.GATEWAY_ADDR} udp dport 500 "
                                  "limit rate over 1/hour burst 3 packets drop"])
    rep = s.ikeprobe(["--quick", "--audit"], expect_rc=1)
    if rep is None:
        return
    a = rep["audit"]
    s.equal(a["conclusive"], False, "audit.conclusive")
    s.equal(a["accepted"], [], "accepted (nothing answered)")
    s.equal(a["refused"], [], "refused (nothing answered)")
    # The window's worth, then it stops: not the whole table.
    s.check(a["requests"] <= 1 + 8 + 4, f"{a['requests']} audit requests to a gateway "
            "that stopped answering")
    s.check(all(e["answer"] in ("unanswered", "not_asked") for e in a["unanswered"]),
            "unanswered entries that are neither unanswered nor not_asked")
    s.h.finding(s, rep, "audit-inconclusive", "report")


def register(scenario, helpers):
    """Put the scenarios into scenarios.py's table."""
    def reg(name, fn, nft=False, charon=True):
        def wrapped(s):
            s.h = helpers
            return fn(s)
        wrapped.__doc__ = fn.__doc__
        scenario(name, nft=nft, charon=charon)(wrapped)

    for name, case in CASES.items():
        reg("audit-" + name, audit_case(name), charon=case[0] == "charon")
    reg("audit-full-run", audit_full_run)
    reg("audit-silent-gateway", audit_silent_gateway, nft=True)
