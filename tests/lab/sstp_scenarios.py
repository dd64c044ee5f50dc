"""The lab's SSTP server (sstp_server.py) against the real SSTP client,
sstpc (Debian's sstp-client): the server's wire format is what a client
accepts only if sstpc gets through the HTTP handshake and its Call Connect
Request is acknowledged, and each fault mode looks to sstpc as it would
from a real server (a Nak, a web server that is not SSTP). This is the
ground the SSTP check of issue 11 will stand on; ikeprobe itself is not
run here.

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


def start_server(s, ch, mode="sstp", legacy=False):
    """The server in the gateway namespace on TCP 443; its log path."""
    s.sstp_started = getattr(s, "sstp_started", 0) + 1
    log = os.path.join(s.lab.tmp, f"sstp-{s.sstp_started}-{mode}.log")
    argv = ["ip", "netns", "exec", s.lab.gateway, "/usr/bin/python3", SERVER,
            "--cert", ch.server, "--key", ch.key, "--chain", ch.intermediate,
            "--mode", mode, "--log", log] + (["--legacy"] if legacy else [])
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


def register(scenario, helpers):
    """Put the scenarios into scenarios.py's table."""
    def wrapped(s):
        s.h = helpers
        return sstp_server_sstpc(s)
    wrapped.__doc__ = sstp_server_sstpc.__doc__
    scenario("sstp-server-sstpc", charon=False)(wrapped)
