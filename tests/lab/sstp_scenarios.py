"""The SSTP check's lab scenarios.

First the lab's SSTP server (sstp_server.py) against the real SSTP client,
sstpc (Debian's sstp-client): the server's wire format is what a client
accepts only if sstpc gets through the HTTP handshake and its Call Connect
Request is acknowledged, and each fault mode looks to sstpc as it would
from a real server (a Nak, a web server that is not SSTP). Then ikeprobe's
SSTP check against that server: a good chain, each certificate fault,
servers that are not SSTP (a web server, a Nak, silence, a header that
never ends, garbage, no TLS), and TCP 443 dropped, reset and refused by
the router; each beside charon, so that the headline covers both
protocols.

Registered into scenarios.py's table by register().
"""

import os
import shutil
import subprocess
import time

import lab as L
try:
    import pki
except ImportError:     # python3-cryptography missing: the scenarios skip
    pki = None

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "sstp_server.py")


def need(s):
    if pki is None:
        raise s.h.Skip("python3-cryptography is not installed (scripts/deps.sh lab)")
    if shutil.which("sstpc") is None:
        raise s.h.Skip("sstpc is not installed (Debian sstp-client; scripts/deps.sh lab)")


def start_server(s, ch, mode="sstp", legacy=False, chain=True, port=443, tls12=False):
    """The server in the gateway namespace on TCP port (443; chain: it
    sends its intermediate CA; legacy: it also takes TLS 1.0 and 1.1,
    "only": only those; tls12: TLS 1.2 at most); its log path."""
    s.sstp_started = getattr(s, "sstp_started", 0) + 1
    log = os.path.join(s.lab.tmp, f"sstp-{s.sstp_started}-{mode}.log")
    argv = ["ip", "netns", "exec", s.lab.gateway, "/usr/bin/python3", SERVER,
            "--cert", ch.server, "--key", ch.key, "--mode", mode, "--log", log,
            "--port", str(port)] + \
        (["--chain", ch.intermediate] if chain and not ch.self_signed else []) + \
        (["--legacy-only"] if legacy == "only" else ["--legacy"] if legacy else []) + \
        (["--max-tls12"] if tls12 else [])
    err = open(log + ".err", "w")
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=err, preexec_fn=L.die_with_parent)
    err.close()
    s.sstp_servers = getattr(s, "sstp_servers", []) + [p]
    deadline = time.monotonic() + 10
    while not (os.path.exists(log) and "listening" in open(log).read()):
        if p.poll() is not None or time.monotonic() > deadline:
            raise L.LabError(f"the SSTP server did not start: {open(log + '.err').read()}")
        time.sleep(0.05)
    return log


def stop_servers(s):
    for p in getattr(s, "sstp_servers", []):
        p.kill()
        p.wait()
    s.sstp_servers = []


def sstpc(s, ch, seconds=4):
    """sstpc from the client, PPP not launched; its exit status and log.
    Past the Call Connect it waits for PPP, so timeout ends it (124)."""
    p = subprocess.run(["ip", "netns", "exec", s.lab.client, "timeout", str(seconds),
                        "sstpc", "--nolaunchpppd", "--ca-cert", ch.root, "--tls-ext",
                        "--log-stderr", "--log-level", "4", "--user", "lab-user",
                        "--password", "ikeprobe-lab-not-a-password", L.GATEWAY_NAME],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=seconds + 10)
    return p.returncode, p.stdout + p.stderr


def server_log(path):
    return open(path).read() if os.path.exists(path) else ""


def sstp_server_sstpc(s):
    """sstpc gets through the HTTP handshake with the lab's server, its Call
    Connect Request (14 bytes, PPP) is acknowledged (48 bytes, a Crypto
    Binding Request) and it starts PPP; a Nak stops it; a web server that
    is not SSTP fails its HTTP handshake; a server that accepts TLS 1.0
    answers a TLS 1.0 handshake, one that does not refuses it."""
    need(s)
    ch = pki.make(os.path.join(s.lab.tmp, "pki"), "good")
    try:
        log = start_server(s, ch)
        rc, out = sstpc(s, ch)
        got = server_log(log)
        s.check("request SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1"
                in got, f"sstp: the server did not see sstpc's SSTP_DUPLEX_POST:\n{got}")
        s.check("header content-length: 18446744073709551615" in got,
                "sstp: sstpc's request lacks Content-Length 18446744073709551615")
        s.check("response 200" in got, "sstp: the server did not answer 200")
        s.check("call-connect type 1 attrs 1 protocol 1" in got,
                f"sstp: no Call Connect Request for PPP from sstpc:\n{got}")
        s.check("CONNECT ACK" in out and "Started PPP Link Negotiation" in out,
                f"sstp: sstpc did not take the Ack (exit {rc}):\n{out[-1500:]}")
        s.check("Could not perform HTTP handshake" not in out,
                "sstp: sstpc failed the HTTP handshake")
        stop_servers(s)

        log = start_server(s, ch, mode="nak")
        rc, out = sstpc(s, ch)
        s.check("sent nak" in server_log(log), "nak: the server sent no Nak")
        s.check("NAK" in out and "Started PPP Link Negotiation" not in out,
                f"nak: sstpc did not see the Nak (exit {rc}):\n{out[-1500:]}")
        stop_servers(s)

        log = start_server(s, ch, mode="http")
        rc, out = sstpc(s, ch)
        s.check("response 404" in server_log(log), "http: the server did not answer 404")
        s.check("Expected HTTP code 200" in out and "CONNECT ACK" not in out,
                f"http: sstpc took a web server for SSTP (exit {rc}):\n{out[-1500:]}")
        stop_servers(s)

        # TLS 1.0: refused by default, accepted with --legacy (as old RRAS).
        for legacy in (False, True):
            log = start_server(s, ch, legacy=legacy)
            p = subprocess.run(["ip", "netns", "exec", s.lab.client, "openssl", "s_client",
                                "-connect", f"{L.GATEWAY_ADDR}:443", "-tls1",
                                "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", ch.root],
                               input="", capture_output=True, text=True, timeout=15)
            # The server logs the handshake from its thread: wait for it.
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and not any(
                    w in server_log(log) for w in ("tls TLSv1 ", "tls-failed")):
                time.sleep(0.05)
            accepted = "tls TLSv1 " in server_log(log)
            s.equal(accepted, legacy, f"TLS 1.0 accepted by a server with legacy={legacy} "
                    f"(openssl s_client exit {p.returncode})")
            stop_servers(s)
    finally:
        stop_servers(s)


def need_pki(s):
    if pki is None:
        raise s.h.Skip("python3-cryptography is not installed (scripts/deps.sh lab)")


def probe(s, ch, args=(), expect_rc=None, label=None):
    """ikeprobe --quick by name (the name the certificate must carry), with
    --ca the lab's root: the report's sstp block."""
    rep = s.ikeprobe(["--quick", "--ca", ch.root] + list(args), expect_rc=expect_rc,
                     label=label, target=L.GATEWAY_NAME)
    return rep, rep["sstp"]


def codes(rep):
    return [f["code"] for f in rep["findings"]]


def sstp_codes(rep):
    return sorted(c for c in codes(rep) if c.startswith("sstp-"))


def working(s, t, label):
    """An SSTP server that took the call."""
    s.equal((t["state"], t["listener"], t["call_connect"], t["reached"], t["error"]),
            ("open", True, "ack", "done", None),
            f"{label}: sstp (state, listener, call_connect, reached, error)")
    s.check(s.h.is_number(t["connect_ms"]) and 0 <= t["connect_ms"] < 1000,
            f"{label}: sstp.connect_ms {t['connect_ms']!r}")
    s.check(t["syns"] >= 1, f"{label}: sstp.syns {t['syns']}: our SYN not in the capture")
    s.equal(t["http"]["status"], 200, f"{label}: sstp.http.status")
    s.equal(t["http"]["sstp_length"], True, f"{label}: sstp.http.sstp_length")
    s.equal(t["http"]["server"], "Microsoft-HTTPAPI/2.0", f"{label}: sstp.http.server")
    a = t["call_connect_answer"]
    s.equal((a["message"], a["hash_protocols"]), ("CALL_CONNECT_ACK", 3),
            f"{label}: the Call Connect Ack (message, hash protocols)")


def sstp_good(s):
    """A good ECDSA chain behind a working SSTP listener: TCP, TLS 1.3 with
    the name as SNI, the HTTP handshake, the Call Connect acknowledged, the
    chain judged trusted; no SSTP finding, exit 0, the report re-derived
    from its capture. A server that also takes TLS 1.1 and 1.0 is reported
    (info, exit 0). IKEv2 blocked by the router with SSTP working: the
    headline says clients can fall back. --no-sstp: no SSTP block, no TCP.
    --sstp-port 8443 against a server there. -v: the SSTP steps on
    stderr."""
    need(s)
    s.lab.start_charon()
    ch = pki.make(os.path.join(s.lab.tmp, "pki"), "ecdsa")
    try:
        log = start_server(s, ch)
        rep, t = probe(s, ch, expect_rc=0)
        working(s, t, "run 1")
        s.equal(t["tls"]["version"], "TLSv1.3", "run 1: sstp.tls.version")
        s.check(t["tls"]["cipher"] and t["tls"]["cipher"].startswith("TLS_"),
                f"run 1: sstp.tls.cipher {t['tls']['cipher']!r}")
        s.equal(t["tls"]["legacy_versions_accepted"], [], "run 1: legacy versions accepted")
        s.equal([(g["version"], g["accepted"]) for g in t["tls"]["legacy"]],
                [("TLSv1.1", False), ("TLSv1", False)], "run 1: the legacy handshakes")
        c = t["certificate"]
        s.equal((c["trusted"], c["name_matches"], c["server_auth"], c["expired"],
                 c["chain_incomplete"], c["probe"], c["auth_verified"]),
                (True, True, True, False, False, None, None),
                "run 1: sstp.certificate (trusted, name_matches, server_auth, expired, "
                "chain_incomplete, probe, auth_verified)")
        s.check(c["key"].startswith("ECDSA"), f"run 1: sstp.certificate.key {c['key']!r}")
        s.equal(len(t["chain_der"]), 2, "run 1: sstp.chain_der (server and intermediate)")
        s.equal(sstp_codes(rep), [], "run 1: SSTP findings")
        s.equal(rep["options"]["sstp"], True, "run 1: options.sstp")
        got = server_log(log)
        s.check("request SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1"
                in got and f"header host: {L.GATEWAY_NAME}" in got and
                "header content-length: 18446744073709551615" in got,
                f"run 1: the server did not see ikeprobe's SSTP_DUPLEX_POST as a client's:\n{got}")
        s.check("call-connect type 1 attrs 1 protocol 1" in got,
                f"run 1: no Call Connect Request for PPP at the server:\n{got}")
        s.check("header sstpcorrelationid: {" in got, "run 1: no SSTPCORRELATIONID")
        stop_servers(s)

        start_server(s, ch, legacy=True)
        rep, t = probe(s, ch, expect_rc=0, label="run 2 (legacy)")
        working(s, t, "run 2")
        s.equal(t["tls"]["legacy_versions_accepted"], ["TLSv1.1", "TLSv1"],
                "run 2: legacy versions accepted")
        f = s.h.finding(s, rep, "sstp-tls-legacy", "run 2", severity="info")
        s.h.says(s, f, "TLSv1.1 and TLSv1", "run 2")
        stop_servers(s)

        # Only TLS 1.0 and 1.1 (a server that was never updated): the
        # TLS 1.2+ handshake is refused on its version, so clients fail.
        start_server(s, ch, legacy="only")
        rep, t = probe(s, ch, expect_rc=1, label="run 2b (legacy only)")
        s.equal((t["tls"]["version"], t["tls"]["legacy_versions_accepted"]),
                (None, ["TLSv1.1", "TLSv1"]), "run 2b: (tls.version, legacy accepted)")
        f = s.h.finding(s, rep, "sstp-tls-legacy", "run 2b", severity="error")
        s.h.says(s, f, "accepts only TLSv1.1 and TLSv1", "run 2b")
        stop_servers(s)
        start_server(s, ch)

        # IKEv2 blocked, SSTP working: the headline offers the fallback.
        s.lab.add_rule_table(forward=[s.h.gw_rule("udp dport { 500, 4500 } drop")])
        rep, t = probe(s, ch, expect_rc=1, label="run 3 (IKE blocked)")
        working(s, t, "run 3")
        s.equal(rep["headline"], "IKEv2 is blocked here (UDP 500/4500) but SSTP works: "
                "clients fall back to SSTP only if the profile allows it.", "run 3: headline")
        stop_servers(s)
        s.lab.add_rule_table(forward=[])

        rep = s.ikeprobe(["--quick", "--no-sstp"], expect_rc=0, label="run 4 (--no-sstp)",
                         target=L.GATEWAY_NAME)
        s.equal((rep["sstp"], rep["options"]["sstp"], rep["options"]["sstp_port"]),
                (None, False, None), "run 4: (sstp, options.sstp, options.sstp_port)")
        s.equal(sstp_codes(rep), [], "run 4: SSTP findings")

        # Another port: --sstp-port, captured and reported as such.
        start_server(s, ch, port=8443)
        rep, t = probe(s, ch, ["--sstp-port", "8443"], expect_rc=0, label="run 6 (--sstp-port)")
        working(s, t, "run 6")
        s.equal((t["port"], rep["options"]["sstp_port"]), (8443, 8443), "run 6: sstp.port")
        stop_servers(s)

        start_server(s, ch)
        rep, t = probe(s, ch, ["-v"], expect_rc=0, label="run 5 (-v)")
        err = s.reports[-1][4]
        for words in ("SSTP SYN", "SSTP SYN-ACK", "SSTP TCP connected", "SSTP TLS handshake done",
                      "SSTP HTTP answer: 200", "SSTP answer: CALL_CONNECT_ACK"):
            s.check(words in err, f"run 5: -v does not show `{words}'")
        s.equal(len([ln for ln in err.splitlines() if not ln.startswith("ikeprobe: ")]), 0,
                "run 5: -v: every stderr line is a trace line")
    finally:
        stop_servers(s)


# profile: (served without its intermediate, findings, severity of the first,
#           words the first says)
CERT_CASES = [
    ("expired", False, ["sstp-cert-expired"], "error", "-2146762495 (0x800B0101, CERT_E_EXPIRED"),
    ("wrong-name", False, ["sstp-cert-name-mismatch"], "error", "0x800B010F"),
    ("no-server-auth", False, ["sstp-cert-wrong-usage"], "error", "0x800B0110"),
    ("self-signed", False, ["sstp-cert-untrusted"], "error", "0x800B0109"),
    ("sha1", False, ["sstp-cert-sha1"], "warning", "SHA-1"),
    ("expires-soon", False, ["sstp-cert-expires-soon"], "warning", "expires in 10 day(s)"),
    ("good", True, ["sstp-cert-untrusted"], "error", "intermediate CA is not sent"),
]


def sstp_certificates(s):
    """Each certificate fault the SSTP server can have, one run each against
    a working SSTP listener: expired (-2146762495, 0x800B0101), the wrong
    name, no Server Authentication EKU, self-signed, SHA-1, expiring in 10
    days, and a good chain served without its intermediate; each gives
    its finding and no other SSTP one, the expired one leads the headline,
    and IKEv2's own verdicts are untouched."""
    need(s)
    s.lab.start_charon()
    for profile, no_intermediate, want, severity, words in CERT_CASES:
        label = f"{profile}{' without intermediate' if no_intermediate else ''}"
        ch = pki.make(os.path.join(s.lab.tmp, f"pki-{profile}"), profile)
        try:
            start_server(s, ch, chain=not no_intermediate)
            rep, t = probe(s, ch, expect_rc=1, label=label)
            working(s, t, label)
            s.equal(sstp_codes(rep), sorted(want), f"{label}: SSTP findings")
            f = s.h.finding(s, rep, want[0], label, severity=severity)
            s.h.says(s, f, words, label)
            for port in (500, 4500):
                s.port(rep, port, "open", label=label)
            if profile == "expired":
                s.check(rep["headline"].startswith("The SSTP server's certificate expired on")
                        and "0x800B0101" in rep["headline"],
                        f"{label}: headline {rep['headline']!r}")
            if no_intermediate:
                s.equal((t["certificate"]["chain_incomplete"], len(t["chain_der"])),
                        (True, 1), f"{label}: (chain_incomplete, chain_der)")
        finally:
            stop_servers(s)


def sstp_not_sstp(s):
    """What answers TCP 443 is not a working SSTP listener: a web server
    (HTTP 404 from Microsoft-IIS/10.0, named), a Call Connect Nak, a server
    that takes TLS and never answers (bounded: 3 s), one whose HTTP header
    never ends (bounded: 8 KB), one that answers garbage, one without TLS
    at all, and nothing listening (the gateway's reset). IKEv2 works, so
    each finding is info and the headline is IKEv2's; never a hang."""
    need(s)
    s.lab.start_charon()
    ch = pki.make(os.path.join(s.lab.tmp, "pki"), "good")
    cases = [
        ("http", "sstp-not-listening", "info", "HTTP 404 Not Found from Microsoft-IIS/10.0",
         dict(listener=False, call_connect=None)),
        ("nak", "sstp-call-refused", "error", "Call Connect Nak",
         dict(listener=True, call_connect="nak")),
        ("silent", "sstp-not-listening", "info", "no answer in 3.0 s (HTTP answer)",
         dict(listener=False, call_connect=None, timed_out=True)),
        ("huge", "sstp-not-listening", "info", "no end of its header in 8 KB",
         dict(listener=False, call_connect=None)),
        ("garbage", "sstp-not-listening", "info", "not HTTP",
         dict(listener=False, call_connect=None)),
        ("plain", "sstp-not-listening", "info", "TLS does not",
         dict(listener=None, call_connect=None, tls_version=None)),
    ]
    try:
        for mode, code, severity, words, want in cases:
            start_server(s, ch, mode=mode)
            rep, t = probe(s, ch, expect_rc=1 if severity != "info" else 0, label=mode)
            s.equal(t["state"], "open", f"{mode}: sstp.state")
            f = s.h.finding(s, rep, code, mode, severity=severity)
            s.h.says(s, f, words, mode)
            s.equal(sstp_codes(rep), [code], f"{mode}: SSTP findings")
            for k, v in want.items():
                got = t["tls"]["version"] if k == "tls_version" else t[k]
                s.equal(got, v, f"{mode}: sstp.{k}")
            if mode != "plain":
                s.check(t["certificate"] is not None and t["certificate"]["trusted"],
                        f"{mode}: the certificate is judged all the same")
            s.check(t["duration_ms"] < 4500, f"{mode}: the check took {t['duration_ms']} ms")
            s.equal(rep["headline"], "The VPN gateway's IKEv2 service is reachable from "
                    "this network on UDP 500 and 4500.", f"{mode}: headline")
            stop_servers(s)
        # Nothing listens: the gateway's kernel resets.
        rep, t = probe(s, ch, expect_rc=0, label="nothing listening")
        s.equal((t["state"], t["reset_from"], t["connect_error"], t["tls"]),
                ("closed", L.GATEWAY_ADDR, "ECONNREFUSED", None),
                "nothing listening: sstp (state, reset_from, connect_error, tls)")
        f = s.h.finding(s, rep, "sstp-tcp443-blocked", "nothing listening", severity="info")
        s.h.says(s, f, f"a TCP reset from {L.GATEWAY_ADDR}", "nothing listening")
    finally:
        stop_servers(s)


def sstp_blocked(s):
    """TCP 443 dropped (silent: SYNs retransmitted, given up in 2.7 s),
    reset and refused with ICMP administratively prohibited by the router
    (filtered, the router named); with IKEv2 open each is info, and with
    IKEv2 blocked too the headline says both and the finding is an
    error."""
    need(s)
    s.lab.start_charon()
    ch = pki.make(os.path.join(s.lab.tmp, "pki"), "good")
    try:
        start_server(s, ch)
        s.lab.add_rule_table(forward=[s.h.gw_rule("tcp dport 443 drop")])
        rep, t = probe(s, ch, expect_rc=0, label="dropped")
        s.equal((t["state"], t["timed_out"], t["connect_error"], t["reset_from"], t["icmp"]),
                ("silent", True, "ETIMEDOUT", None, None), "dropped: sstp")
        s.check(t["syns"] >= 2, f"dropped: {t['syns']} SYN(s) in the capture: the kernel "
                "retransmits within 2.7 s")
        f = s.h.finding(s, rep, "sstp-tcp443-blocked", "dropped", severity="info")
        s.h.says(s, f, "silent", "dropped")

        s.lab.add_rule_table(forward=[s.h.gw_rule("tcp dport 443 reject with tcp reset")])
        rep, t = probe(s, ch, expect_rc=0, label="reset")
        s.equal((t["state"], t["reset_from"]), ("closed", L.GATEWAY_ADDR), "reset: sstp")

        s.lab.add_rule_table(forward=[s.h.gw_rule(
            "tcp dport 443 reject with icmp type admin-prohibited")])
        rep, t = probe(s, ch, expect_rc=0, label="rejected")
        s.equal((t["state"], t["icmp"] and t["icmp"]["from"], t["icmp"] and t["icmp"]["meaning"]),
                ("filtered", L.ROUTER_CLIENT_ADDR, "admin-prohibited"), "rejected: sstp")
        f = s.h.finding(s, rep, "sstp-tcp443-blocked", "rejected", severity="info")
        s.h.says(s, f, f"router {L.ROUTER_CLIENT_ADDR}", "rejected")

        s.lab.add_rule_table(forward=[s.h.gw_rule("udp dport { 500, 4500 } drop"),
                                      s.h.gw_rule("tcp dport 443 reject with icmp type "
                                                  "admin-prohibited")])
        rep, t = probe(s, ch, expect_rc=1, label="everything blocked")
        s.equal(rep["headline"], "The VPN cannot connect from this network (error 809): "
                "UDP 500/4500 are blocked. SSTP is blocked too.", "everything blocked: headline")
        f = s.h.finding(s, rep, "sstp-tcp443-blocked", "everything blocked", severity="error")
        s.h.says(s, f, "no VPN protocol works from this network", "everything blocked")
    finally:
        stop_servers(s)


def register(scenario, helpers):
    """Put the scenarios into scenarios.py's table."""
    for name, fn, charon, nft in (("sstp-server-sstpc", sstp_server_sstpc, False, False),
                                  ("sstp-good", sstp_good, True, True),
                                  ("sstp-certificates", sstp_certificates, True, False),
                                  ("sstp-not-sstp", sstp_not_sstp, True, False),
                                  ("sstp-blocked", sstp_blocked, True, True)):
        def wrapped(s, fn=fn):
            s.h = helpers
            return fn(s)
        wrapped.__doc__ = fn.__doc__
        scenario(name, charon=charon, nft=nft)(wrapped)
