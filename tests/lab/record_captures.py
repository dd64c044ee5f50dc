#!/usr/bin/python3
"""Record the captures for `ikeprobe analyze': a real IKEv2 client
(strongSwan's charon in the lab's client namespace, tests/lab/client_charon.py)
connecting through the router to the lab's gateway charon, one network or
configuration fault per capture, captured on the client's interface.

usage: record_captures.py --out captures/analyze [CASE...]     (root)
       record_captures.py --expect captures/analyze            (no root)
       record_captures.py --check captures/analyze             (no root)
       record_captures.py --list

For each case: a fresh lab, the gateway's charon (certificate chain of
pki.py, EAP or certificates), the router's rule, the client's charon; then
dumpcap on the client's interface, started and seen capturing before the
client initiates, stopped two seconds after the attempt ends (each attempt
is bounded: the client sends a request 4 times, at 0, 1, 2.5 and 4.75 s,
and gives up at 8.1 s). Written per case into --out:

    CASE.pcap        the capture (link type Ethernet, pcap)
    CASE.pcap.keys   Wireshark's IKEv2 decryption table (the UAT file
                     ikev2_decryption_table) of every IKE SA in the capture
                     that got keys, from the gateway charon's log at ike
                     level 4 (the client's when the gateway never derived
                     them: strongSwan 5.9 derives a responder's keys only
                     when the first IKE_AUTH request arrives); checked with
                     tshark, which must decrypt every IKE_AUTH with them

and, beside them, the same user-clean attempt captured on `any' (Linux
cooked, SLL and SLL2), a pcapng copy (editcap) and a truncated copy. Then
--expect (also run on its own, without root) writes EXPECTED.json: what
Wireshark (tshark, PDML) sees in each capture, for the tests of `ikeprobe
analyze'.

The lab's cases end the same way on every run; a case whose attempt does
not end as the table says fails the recording (exit 1).
"""

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import lab as L  # noqa: E402
import client_charon as C  # noqa: E402
try:
    import pki  # noqa: E402
except ImportError:     # python3-cryptography missing
    pki = None

# Fragments one by one, before the router's conntrack reassembles them
# (lab.add_rule_table's prerouting at -450). 0x3fff: MF or an offset, every
# fragment; 0x1fff: an offset, every fragment but the first.
FRAG_ANY = "ip frag-off & 0x3fff != 0"
FRAG_NONFIRST = "ip frag-off & 0x1fff != 0"
TO_GW = f"ip daddr {L.GATEWAY_ADDR}"
FROM_GW = f"ip saddr {L.GATEWAY_ADDR}"
# What the client's capture keeps: the gateway's traffic and ICMP (a
# reassembly time-out the client sends). Not ARP or neighbour discovery.
CAPTURE_FILTER = f"host {L.GATEWAY_ADDR} or host {L.GATEWAY_ADDR6}"
# The client gives up an incomplete IP datagram after this many seconds
# (Linux: 30, Windows: 60), and says so with ICMP time exceeded
# (fragment reassembly): in the capture, 3 s after the first fragment,
# instead of long after the attempt. Against the client's transmissions
# (0, 1, 2.5, 4.75 s) each ICMP error falls 0.4 s or more from the next,
# so frames come in the same order on every run.
CLIENT_IPFRAG_TIME = 3
GRACE = 2.0         # seconds of capture after the attempt ends
ATTEMPT_TIMEOUT = 15


class Case:
    """One capture: the client's profile and settings, the gateway's, the
    router's rules, and how the attempt must end ('established' or a
    failure's reason, as the client's charon says it)."""

    def __init__(self, name, profile, what, client=None, gateway=None, prerouting=(),
                 forward=(), nat=False, terminate=False, outcome="established", extra=()):
        self.name = name
        self.profile = profile
        self.what = what
        self.client = dict(client or {})
        self.gateway = dict(gateway or {})
        self.prerouting = list(prerouting)
        self.forward = list(forward)
        self.nat = nat
        self.terminate = terminate
        self.outcome = outcome
        self.extra = tuple(extra)      # extra captures of the same attempt


CASES = [
    Case("user-clean", "user",
         "EAP-MSCHAPv2 user tunnel that connects, then is terminated by the client",
         terminate=True, extra=("sll", "sll2")),
    Case("device-clean", "device", "certificate device tunnel that connects"),
    Case("ports-dropped", "user", "router drops UDP 500 and 4500 to the gateway",
         forward=[f"{TO_GW} udp dport {{ 500, 4500 }} drop"],
         outcome="no answer to IKE_SA_INIT"),
    Case("outbound-frags-dropped", "device",
         "device tunnel without IKEv2 fragmentation; router drops IP fragments to the gateway",
         client={"fragmentation": "no"}, prerouting=[f"{TO_GW} {FRAG_ANY} drop"],
         outcome="no answer to IKE_AUTH"),
    Case("inbound-frags-dropped", "user",
         "user tunnel, no IKEv2 fragmentation on either side; router drops every IP "
         "fragment from the gateway",
         client={"fragmentation": "no"}, gateway={"fragmentation": "no"},
         prerouting=[f"{FROM_GW} {FRAG_ANY} drop"], outcome="no answer to IKE_AUTH"),
    Case("inbound-frags-first-only", "user",
         "as inbound-frags-dropped, but the router drops only the non-first fragments "
         "(the first of each reaches the client)",
         client={"fragmentation": "no"}, gateway={"fragmentation": "no"},
         prerouting=[f"{FROM_GW} {FRAG_NONFIRST} drop"], outcome="no answer to IKE_AUTH"),
    Case("inbound-frags-dropped-ikev2-frag", "user",
         "router drops every IP fragment from the gateway; IKEv2 fragmentation on both sides",
         prerouting=[f"{FROM_GW} {FRAG_ANY} drop"]),
    Case("nat-4500-dropped", "user",
         "router masquerades (NAT) and drops UDP 4500 to the gateway",
         nat=True, forward=[f"{TO_GW} udp dport 4500 drop"], outcome="no answer to IKE_AUTH"),
    Case("wrong-eap-password", "user", "user tunnel with a wrong EAP password",
         client={"password": "not-the-password"}, outcome="authentication failed"),
    Case("proposal-refused", "user",
         "client offers only aes128-sha1-modp1024, the gateway takes only aes256-sha256-x25519",
         client={"proposals": "aes128-sha1-modp1024"},
         gateway={"proposals": "aes256-sha256-x25519"}, outcome="NO_PROPOSAL_CHOSEN"),
    Case("ipv6-clean", "user", "EAP-MSCHAPv2 user tunnel over IPv6 that connects",
         client={"remote_addr": L.GATEWAY_ADDR6}, terminate=True),
]
# SSTP with a real SSTP client (Debian's sstpc) against the lab's SSTP
# server, TLS 1.2 at most so that the server's certificates go in clear:
# (name, certificate profile, what it is).
SSTP_CASES = [
    ("sstp-clean", "good", "sstpc against the lab's SSTP server (TLS 1.2): the "
     "HTTP handshake and the Call Connect Ack; PPP never starts"),
    ("sstp-cert-expired", "expired", "the same with an expired server certificate: "
     "sstpc refuses it"),
]
CASE_NAMES = [c.name for c in CASES] + [c[0] for c in SSTP_CASES]


def log(msg):
    print(f"record: {msg}", flush=True)


# -- capturing ----------------------------------------------------------------

class Dumpcap:
    """dumpcap in a namespace, writing pcap; running once it said
    `Capturing on' and wrote the file header."""

    def __init__(self, ns, iface, path, linktype=None):
        self.path = path
        self.err_path = path + ".err"
        argv = ["ip", "netns", "exec", ns, "dumpcap", "-q", "-P", "-i", iface,
                "-f", CAPTURE_FILTER, "-w", path]
        if linktype:
            argv += ["-y", linktype]
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.err, preexec_fn=L.die_with_parent)

    def wait_capturing(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise L.LabError(f"dumpcap exited with {self.proc.returncode}: {self._err()}")
            if "Capturing on" in self._err() and os.path.exists(self.path) \
                    and os.path.getsize(self.path) >= 24:
                # The capture is open and filtered before dumpcap says
                # so; a moment more all the same.
                time.sleep(0.3)
                return
            time.sleep(0.05)
        raise L.LabError(f"dumpcap did not start capturing in {timeout}s: {self._err()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()
        os.unlink(self.err_path)

    def _err(self):
        try:
            with open(self.err_path) as f:
                return f.read()
        except OSError:
            return ""


# -- one case -----------------------------------------------------------------

@contextlib.contextmanager
def new_lab(tries=5):
    """A Lab (closed on the way out), built again when building it fails:
    lab.py's check that the path works, just after setup, can fail now and
    then (IPv6 neighbour discovery)."""
    for i in range(tries):
        lab = L.Lab()
        try:
            lab.setup()     # closes the lab if it fails
            break
        except L.LabError as e:
            if i == tries - 1:
                raise
            log(f"lab setup failed, again: {str(e).splitlines()[0]}")
    try:
        yield lab
    finally:
        lab.close()


def record(case, out, child):
    """Record one case into out; returns what the client said (outcome)."""
    with new_lab() as lab:
        ch = pki.make(os.path.join(lab.tmp, "pki"), "good")
        gw = dict(auth="eap" if case.profile == "user" else "pubkey", chain=ch)
        gw.update(case.gateway)
        C.start_gateway(lab, C.KeylogGatewayConfig(**gw))
        cl_kw = dict(ca=ch.root, child=child)
        if case.profile == "device":
            cl_kw["client"] = pki.make_client(os.path.join(lab.tmp, "pki-client"), ch)
        cl_kw.update(case.client)
        client = C.start_client(lab, C.ClientConfig(case.profile, **cl_kw))

        if case.prerouting or case.forward:
            lab.add_rule_table(prerouting=case.prerouting, forward=case.forward)
        if case.nat:
            lab.masquerade()
        lab.ns(lab.client, ["sysctl", "-qw", f"net.ipv4.ipfrag_time={CLIENT_IPFRAG_TIME}"])

        tmp_pcap = os.path.join(lab.tmp, case.name + ".pcap")
        caps = [Dumpcap(lab.client, lab.ifname["client"], tmp_pcap)]
        extra = {}
        for kind in case.extra:
            p = os.path.join(lab.tmp, f"{case.name}-{kind}.pcap")
            extra[kind] = p
            caps.append(Dumpcap(lab.client, "any", p,
                                linktype="LINUX_SLL2" if kind == "sll2" else None))
        for c in caps:
            c.wait_capturing()

        t0 = time.monotonic()
        ok, said = client.initiate(timeout=ATTEMPT_TIMEOUT)
        if ok and case.terminate:
            time.sleep(0.5)
            tok, tsaid = client.terminate()
            if not tok:
                raise L.LabError(f"{case.name}: terminate failed:\n{tsaid}")
        time.sleep(GRACE)
        for c in caps:
            c.stop()
        took = time.monotonic() - t0

        outcome = client_outcome(ok, said + client.log())
        keys = C.ike_keys(os.path.join(lab.gw.dir, "keys.log"))
        ckeys = C.ike_keys(client.keys_log_path)
        if outcome != case.outcome:
            raise L.LabError(f"{case.name}: the attempt ended `{outcome}', want "
                             f"`{case.outcome}'\n{said}\n{lab.charon_log(tail=40)}")

        dst = os.path.join(out, case.name + ".pcap")
        shutil.copyfile(tmp_pcap, dst)
        for kind, p in extra.items():
            shutil.copyfile(p, os.path.join(out, f"{case.name}-{kind}.pcap"))
        n = write_keys(dst, keys, ckeys)
        log(f"{case.name}: {outcome} in {took:.1f}s, {frame_count(dst)} frames, "
            f"{os.path.getsize(dst)} bytes, {n} IKE SA key(s)")
        return outcome


def record_sstp(name, profile, out):
    """sstpc (a real SSTP client) against the lab's SSTP server, captured
    on the client's interface."""
    import sstp_scenarios as S  # noqa: E402 (needs the lab's Python path)

    class Holder:
        pass

    if shutil.which("sstpc") is None:
        raise L.LabUnavailable("sstpc is not installed (Debian sstp-client)")
    with new_lab() as lab:
        h = Holder()
        h.lab = lab
        ch = pki.make(os.path.join(lab.tmp, "pki"), profile)
        S.start_server(h, ch, tls12=True)
        tmp_pcap = os.path.join(lab.tmp, name + ".pcap")
        cap = Dumpcap(lab.client, lab.ifname["client"], tmp_pcap)
        cap.wait_capturing()
        # The client trusts the chain's root: an expired certificate is
        # refused for its date, not its issuer.
        rc, _ = S.sstpc(h, ch, seconds=3)
        time.sleep(GRACE)
        cap.stop()
        S.stop_servers(h)
        dst = os.path.join(out, name + ".pcap")
        shutil.copyfile(tmp_pcap, dst)
        log(f"{name}: sstpc exit {rc}, {frame_count(dst)} frames, "
            f"{os.path.getsize(dst)} bytes")
        return rc


def client_outcome(ok, text):
    """How the client's charon said the attempt ended."""
    if ok:
        return "established"
    if "NO_PROPOSAL_CHOSEN" in text and "IKE_SA_INIT" in text:
        return "NO_PROPOSAL_CHOSEN"
    if "AUTH_FAILED" in text or "AUTHENTICATION_FAILED" in text or "method failed" in text:
        return "authentication failed"
    if "giving up after" in text:
        ids = re.findall(r"retransmit \d+ of request with message ID (\d+)", text)
        return "no answer to IKE_SA_INIT" if ids and ids[-1] == "0" else "no answer to IKE_AUTH"
    return "failed: " + " | ".join(ln for ln in text.splitlines() if "fail" in ln)[:200]


# -- keys -----------------------------------------------------------------------

# Wireshark's names (epan/dissectors/packet-isakmp.c, vs_ikev2_encr_algs and
# vs_ikev2_auth_algs, as its ikev2_decryption_table UAT stores them) of the
# transforms the lab's proposals can select: (ENCR id, key bits) and INTEG id.
WS_ENCR = {(12, 128): "AES-CBC-128 [RFC3602]", (12, 192): "AES-CBC-192 [RFC3602]",
           (12, 256): "AES-CBC-256 [RFC3602]",
           (20, 128): "AES-GCM-128 with 16 octet ICV [RFC5282]",
           (20, 192): "AES-GCM-192 with 16 octet ICV [RFC5282]",
           (20, 256): "AES-GCM-256 with 16 octet ICV [RFC5282]"}
WS_INTEG = {0: "NONE [RFC4306]", 2: "HMAC_SHA1_96 [RFC2404]",
            12: "HMAC_SHA2_256_128 [RFC4868]", 13: "HMAC_SHA2_384_192 [RFC4868]",
            14: "HMAC_SHA2_512_256 [RFC4868]"}


def tshark(args, env=None):
    p = subprocess.run(["tshark"] + args, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"tshark {' '.join(args)}: {p.stderr.strip()}")
    return p.stdout


def frame_count(path):
    return len(tshark(["-r", path, "-T", "fields", "-e", "frame.number"]).split())


def selected_transforms(pcap):
    """{(spi_i, spi_r): (encr, bits, integ)} from the IKE_SA_INIT responses."""
    out = {}
    txt = tshark(["-r", pcap, "-Y", "isakmp.exchangetype == 34 && isakmp.flag_r == 1",
                  "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f",
                  "-e", "isakmp.ispi", "-e", "isakmp.rspi", "-e", "isakmp.tf.id.encr",
                  "-e", "isakmp.ike2.attr.key_length", "-e", "isakmp.tf.id.integ"])
    for ln in txt.splitlines():
        f = ln.split("\t")
        if len(f) < 5 or not f[2]:
            continue        # an answer without a proposal (an error)
        out[(_hex(f[0]), _hex(f[1]))] = (int(f[2]), int(f[3] or 0), int(f[4] or 0))
    return out


def write_keys(pcap, keys, client_keys):
    """FILE.keys beside pcap: one line per IKE SA of the capture that got
    keys (the gateway's log first, then the client's; both must agree),
    checked by tshark decrypting with it. Returns the number of SAs."""
    sas = selected_transforms(pcap)
    rows, lines = {}, []
    for source, ks in (("gateway", keys), ("client", client_keys)):
        for k in ks:
            sa = (k["spi_i"], k["spi_r"])
            if sa not in sas:
                continue
            if sa in rows:
                if any(rows[sa][x] != k[x] for x in ("sk_ei", "sk_er", "sk_ai", "sk_ar")):
                    raise L.LabError(f"{pcap}: the gateway's and the client's keys of "
                                     f"{sa[0]}/{sa[1]} differ")
                continue
            rows[sa] = dict(k, source=source)
    path = pcap + ".keys"
    if not rows:
        if os.path.exists(path):
            os.unlink(path)
        return 0
    for sa, k in rows.items():
        encr, bits, integ = sas[sa]
        if (encr, bits) not in WS_ENCR or integ not in WS_INTEG:
            raise L.LabError(f"{pcap}: no Wireshark name for ENCR {encr}/{bits}, INTEG {integ}")
        lines.append(f'{k["spi_i"]},{k["spi_r"]},{k["sk_ei"]},{k["sk_er"]},'
                     f'"{WS_ENCR[(encr, bits)]}",{k["sk_ai"]},{k["sk_ar"]},"{WS_INTEG[integ]}"')
    with open(path, "w") as f:
        f.write(f"# Wireshark IKEv2 decryption table (ikev2_decryption_table) for "
                f"{os.path.basename(pcap)}:\n"
                f"# the lab's throw-away keys, from the "
                f"{' and '.join(sorted({k['source'] for k in rows.values()}))} charon's log.\n"
                f"# Copy to ~/.config/wireshark/ikev2_decryption_table, or "
                f"tests/lab/record_captures.py --expect uses it.\n")
        f.write("\n".join(lines) + "\n")
    check_keys(pcap, path)
    return len(rows)


class KeysProfile:
    """A temporary Wireshark configuration directory whose
    ikev2_decryption_table is a capture's .keys file (XDG_CONFIG_HOME)."""

    def __init__(self, keys):
        self.keys = keys

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="ikp-ws-")
        os.makedirs(os.path.join(self.dir, "wireshark"))
        if self.keys and os.path.exists(self.keys):
            shutil.copy(self.keys, os.path.join(self.dir, "wireshark", "ikev2_decryption_table"))
        return dict(os.environ, XDG_CONFIG_HOME=self.dir, HOME=self.dir)

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def check_keys(pcap, keys):
    """tshark with the keys must decrypt every encrypted IKE message of the
    capture that it can read whole: inner payloads under Decrypted Data."""
    with KeysProfile(keys) as env:
        root = pdml(pcap, env=env)
    bad = []
    for pkt in root.iter("packet"):
        if is_icmp(pkt):
            continue        # what an ICMP error quotes is cut short
        for ik in protos(pkt, "isakmp"):
            if field(ik, "isakmp.flag_r") is None:
                continue
            enc = [f for f in ik.iter("field") if f.get("name") == "isakmp.enc.data"]
            dec = [f for f in ik.iter("field") if f.get("name") == "isakmp.enc.decrypted"]
            icd = [f for f in ik.iter("field") if f.get("name") == "isakmp.enc.icd"]
            if (enc and not dec) or any("[correct]" not in (f.get("showname") or "")
                                        for f in icd):
                bad.append(frame_no(pkt))
    if bad:
        raise L.LabError(f"{pcap}: tshark did not decrypt frames {bad} with {keys}")


# -- what Wireshark sees: EXPECTED.json -------------------------------------------

EXCHANGES = {34: "IKE_SA_INIT", 35: "IKE_AUTH", 36: "CREATE_CHILD_SA", 37: "INFORMATIONAL"}
PAYLOADS = {33: "SA", 34: "KE", 35: "IDi", 36: "IDr", 37: "CERT", 38: "CERTREQ", 39: "AUTH",
            40: "Ni/Nr", 41: "N", 42: "D", 43: "V", 44: "TSi", 45: "TSr", 46: "SK",
            47: "CP", 48: "EAP", 53: "SKF"}
_ERROR_NOTIFIES = {}    # notify name as tshark gives it -> an error type?
LINKTYPES = {1: "ETHERNET", 25: "LINUX_SLL", 210: "LINUX_SLL2"}   # tshark's frame.encap_type
CLIENT = (L.CLIENT_ADDR, L.CLIENT_ADDR6)
GATEWAY = (L.GATEWAY_ADDR, L.GATEWAY_ADDR6)


def pdml(path, env=None, defrag=True):
    args = ["-r", path, "-T", "pdml"]
    if not defrag:
        args += ["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"]
    return ET.fromstring(tshark(args, env=env))


def protos(pkt, name):
    return [p for p in pkt.iter("proto") if p.get("name") == name]


def field(elem, name):
    for f in elem.iter("field"):
        if f.get("name") == name:
            return f
    return None


def show(elem, name, default=None):
    f = field(elem, name)
    return f.get("show") if f is not None else default


def frame_no(pkt):
    return int(show(pkt, "frame.number"))


def _hex(s):
    return (s or "").replace(":", "").lower()


def _name(f):
    """The name tshark gives a value: 'Notify Message Type: NAT_DETECTION_SOURCE_IP
    (16388)' -> 'NAT_DETECTION_SOURCE_IP'; 'Code: 1 (Fragment reassembly time
    exceeded)' -> 'Fragment reassembly time exceeded'."""
    sn = f.get("showname") or ""
    v = sn.split(": ", 1)[-1]
    m = re.fullmatch(r"\d+ \((.*)\)", v)
    if m:
        return m.group(1)
    return v.rsplit(" (", 1)[0] if v.endswith(")") else v


def _top_payloads(elem):
    """The payload fields under elem that are not inside another payload
    (a proposal or transform is a payload field inside SA, too)."""
    out = []
    for f in elem:
        if f.tag != "field":
            continue
        if f.get("name") == "isakmp.typepayload":
            out.append(f)
        else:
            out += _top_payloads(f)
    return out


def _payload(f):
    t = int(f.get("show"))
    d = {"type": PAYLOADS.get(t, str(t))}
    for c in f:
        n = c.get("name")
        if n == "isakmp.notify.msgtype":
            d["notify"] = _name(c)
            # Types below 16384 are errors (RFC 7296 3.10.1).
            _ERROR_NOTIFIES[d["notify"]] = int(c.get("show")) < 16384
        elif n == "isakmp.frag.number":
            d["fragment_number"] = int(c.get("show"))
        elif n == "isakmp.frag.total":
            d["fragment_total"] = int(c.get("show"))
    return d


def isakmp_payloads(ik):
    """The payloads of one ISAKMP message as tshark reads it: (outer,
    inner), lists of dicts {type, notify, fragment_number, fragment_total};
    inner: what tshark decrypted from SK, or put together from SKF
    fragments and decrypted (in the frame of the last fragment)."""
    outer, inner = [], []
    for f in _top_payloads(ik):
        outer.append(_payload(f))
        if f.get("show") in ("46", "53"):
            inner += [_payload(g) for g in _top_payloads(f)]
    return outer, inner


def _eap_codes(pkt):
    """The EAP packets of a frame, as tshark names them: [{code, type,
    type_id, mschapv2}] (type: tshark's name; mschapv2: the MS-CHAPv2 opcode)."""
    out = []
    for p in protos(pkt, "eap"):
        c = field(p, "eap.code")
        if c is None:
            continue
        d = {"code": _name(c)}
        t = field(p, "eap.type")
        if t is not None:
            d["type"] = _name(t)
            d["type_id"] = int(t.get("show"))
        o = field(p, "eap.ms_chap_v2.opcode")
        if o is not None:
            d["mschapv2"] = _name(o)
        out.append(d)
    return out


def ip_info(pkt):
    """(src, dst, ip_id or None, frag offset, more fragments, proto, family)."""
    for p in protos(pkt, "ip"):
        return (show(p, "ip.src"), show(p, "ip.dst"), show(p, "ip.id"),
                int(show(p, "ip.frag_offset", "0")) , show(p, "ip.flags.mf") in ("1", "True"),
                int(show(p, "ip.proto", "0")), 4)
    for p in protos(pkt, "ipv6"):
        fh = field(p, "ipv6.fraghdr")
        if fh is not None:
            return (show(p, "ipv6.src"), show(p, "ipv6.dst"), show(fh, "ipv6.fraghdr.ident"),
                    int(show(fh, "ipv6.fraghdr.offset", "0")),
                    show(fh, "ipv6.fraghdr.more") in ("1", "True"),
                    int(show(fh, "ipv6.fraghdr.nxt", "0")), 6)
        return (show(p, "ipv6.src"), show(p, "ipv6.dst"), None, 0, False,
                int(show(p, "ipv6.nxt", "0")), 6)
    return (None, None, None, 0, False, 0, 0)


def is_icmp(pkt):
    return bool(protos(pkt, "icmp") or protos(pkt, "icmpv6"))


def _quoted_ip_id(p):
    """The IP ID of the datagram an ICMP error quotes (IPv4), or None."""
    for q in p.iter("proto"):
        if q.get("name") == "ip":
            return show(q, "ip.id")
    return None


def direction(src):
    return "client->gateway" if src in CLIENT else "gateway->client" if src in GATEWAY else "other"


def udp_ports(pkt):
    for p in protos(pkt, "udp"):
        return int(show(p, "udp.srcport")), int(show(p, "udp.dstport"))
    return None, None


def natd_hash(spi_i, spi_r, addr, port):
    import ipaddress
    return hashlib.sha1(bytes.fromhex(spi_i) + bytes.fromhex(spi_r)
                        + ipaddress.ip_address(addr).packed + port.to_bytes(2, "big")).hexdigest()


def tls_expect(pcap):
    """TCP 443 as tshark reads it: each handshake message's frame and type,
    the SNI, the server's version and cipher, the certificates sent in
    clear, alerts in clear, resets."""
    fields = ["frame.number", "tcp.srcport", "tcp.flags.reset", "tls.handshake.type",
              "tls.handshake.extensions_server_name", "tls.handshake.ciphersuite",
              "tls.handshake.extensions.supported_version", "tls.handshake.certificate_length",
              "tls.alert_message.desc"]
    txt = tshark(["-r", pcap, "-Y", "tcp.port == 443", "-T", "fields",
                  "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"] +
                 sum((["-e", f] for f in fields), []))
    out = {"frames": [], "client_hello": [], "server_hello": [], "certificate": [],
           "sni": None, "cipher": None, "certificates": 0, "alerts": [], "resets": []}
    for line in txt.splitlines():
        no, sport, rst, hs, sni, cs, ver, clen, alert = (line.split("|") + [""] * 9)[:9]
        no = int(no)
        out["frames"].append(no)
        if rst == "1" or rst == "True":
            out["resets"].append(no)
        types = [t for t in hs.split(",") if t]
        if "1" in types:
            out["client_hello"].append(no)
            out["sni"] = out["sni"] or (sni or None)
        if "2" in types:
            out["server_hello"].append(no)
            out["cipher"] = out["cipher"] or (cs.split(",")[-1] if cs else None)
        if "11" in types:
            out["certificate"].append(no)
            out["certificates"] = max(out["certificates"], len([c for c in clen.split(",") if c]))
        if alert:
            out["alerts"].append({"frame": no, "from": "server" if sport == "443" else "client",
                                  "desc": int(alert.split(",")[0])})
    return out if out["frames"] else None


def expect(pcap):
    """What Wireshark sees in one capture (see EXPECTED.json's _about)."""
    keys = pcap + ".keys"
    with KeysProfile(keys) as env:
        whole = pdml(pcap, env=env)          # reassembled and decrypted
    raw = pdml(pcap, defrag=False)           # frame by frame, no keys
    enc = tshark(["-r", pcap, "-T", "fields", "-e", "frame.encap_type"]).split()
    info = {"file": os.path.basename(pcap),
            "keys": os.path.basename(keys) if os.path.exists(keys) else None,
            "format": "pcapng" if open(pcap, "rb").read(4) == b"\x0a\x0d\x0d\x0a" else "pcap",
            "link_type": LINKTYPES.get(int(enc[0]), enc[0]) if enc else None,
            "frames": len(enc)}
    fam = tshark(["-r", pcap, "-T", "fields", "-e", "ip.version", "-e", "ipv6.version",
                  "-c", "1"]).split()
    info["family"] = "IPv6" if fam and fam[0] == "6" else "IPv4"
    info["tls"] = tls_expect(pcap)

    # IP fragments, frame by frame (no reassembly), and Wireshark's own
    # reassembly: which datagrams it completed, in which frame.
    reasm_in = {}       # fragment's frame -> the frame tshark completed it in
    for pkt in whole.iter("packet"):
        if is_icmp(pkt):
            continue
        for name in ("ip.fragments", "ipv6.fragments"):
            fl = field(pkt, name)
            if fl is not None:
                for g in fl:
                    if g.get("name") in ("ip.fragment", "ipv6.fragment"):
                        reasm_in[int(g.get("show"))] = frame_no(pkt)
    datagrams = {}
    partial = []        # IKE headers read from first fragments, never whole
    icmp = []
    for pkt in raw.iter("packet"):
        n = frame_no(pkt)
        src, dst, ipid, off, mf, proto, fam = ip_info(pkt)
        if ipid is not None and (off or mf):
            key = (src, dst, ipid)
            d = datagrams.setdefault(key, {"direction": direction(src), "family": f"IPv{fam}",
                                           "ip_id": ipid, "frames": [], "offsets": []})
            d["frames"].append(n)
            d["offsets"].append(off * 8)      # tshark shows 8-byte units
            if mf is False:
                d["last_seen"] = True
            if off == 0 and n not in reasm_in and not is_icmp(pkt):
                for ik in protos(pkt, "isakmp"):
                    partial.append((n, ik, src))
        for p in (protos(pkt, "icmp") + protos(pkt, "icmpv6"))[:1]:
            v = "icmp" if p.get("name") == "icmp" else "icmpv6"
            tf = field(p, v + ".type")
            icmp.append({"frame": n, "direction": direction(src), "src": src, "dst": dst,
                         "type": int(tf.get("show")), "code": int(show(p, v + ".code")),
                         "name": _name(field(p, v + ".code")),
                         "quotes_ip_id": _quoted_ip_id(p)})
    frags = []
    for d in datagrams.values():
        complete = all(f in reasm_in for f in d["frames"])
        frags.append({"direction": d["direction"], "family": d["family"], "ip_id": d["ip_id"],
                      "frames": d["frames"], "offsets": d["offsets"],
                      "first_seen": 0 in d["offsets"], "last_seen": d.get("last_seen", False),
                      "complete": complete,
                      "reassembled_in": reasm_in.get(d["frames"][0]) if complete else None})
    info["ip_fragments"] = frags

    # IKE messages as Wireshark reads them whole (reassembled, decrypted).
    msgs = []
    for pkt in whole.iter("packet"):
        if is_icmp(pkt):
            continue        # the IKE message an ICMP error quotes is not one sent
        n = frame_no(pkt)
        src, dst, *_ = ip_info(pkt)
        sport, dport = udp_ports(pkt)
        for ik in protos(pkt, "isakmp"):
            if show(ik, "isakmp.exchangetype") is None:
                continue
            outer, inner = isakmp_payloads(ik)
            msgs.append({"frame": n, "src": src, "dst": dst, "sport": sport, "dport": dport,
                         "spi_i": _hex(show(ik, "isakmp.ispi")), "spi_r": _hex(show(ik, "isakmp.rspi")),
                         "exchange": int(show(ik, "isakmp.exchangetype")),
                         "response": show(ik, "isakmp.flag_r") in ("1", "True"),
                         "message_id": int(show(ik, "isakmp.messageid"), 0),
                         "outer": outer, "inner": inner, "eap": _eap_codes(pkt), "ik": ik})
    exchanges = {}
    skf = []
    for m in msgs:
        key = (m["spi_i"], m["exchange"], m["message_id"])
        e = exchanges.setdefault(key, {
            "exchange": EXCHANGES.get(m["exchange"], str(m["exchange"])),
            "message_id": m["message_id"], "spi_i": m["spi_i"], "spi_r": m["spi_r"],
            "request_frames": [], "response_frames": [],
            "request_partial_frames": [], "response_partial_frames": [],
            "ports": None, "request_payloads": None, "response_payloads": None,
            "response_notifies": [], "response_notifies_decrypted": [],
            "request_notifies_decrypted": [], "request_eap": [], "response_eap": []})
        side = "response" if m["response"] else "request"
        e[side + "_frames"].append(m["frame"])
        if m["response"] and e["spi_r"] in ("", "0" * 16):
            e["spi_r"] = m["spi_r"]
        if not m["response"] and e["ports"] is None:
            e["ports"] = [m["sport"], m["dport"]]
        for p in m["outer"]:
            if p["type"] == "SKF":
                skf.append({"frame": m["frame"], "direction": direction(m["src"]),
                            "exchange": e["exchange"], "message_id": m["message_id"],
                            "response": m["response"], "number": p.get("fragment_number"),
                            "total": p.get("fragment_total")})
        types_outer = [p["type"] for p in m["outer"]]
        if e[side + "_payloads"] is None or (m["inner"] and not e[side + "_payloads"].get("inner")):
            e[side + "_payloads"] = {"clear": types_outer,
                                     "inner": [p["type"] for p in m["inner"]]}
        if m["response"]:
            for p in m["outer"]:
                if "notify" in p and p["notify"] not in e["response_notifies"]:
                    e["response_notifies"].append(p["notify"])
            for p in m["inner"]:
                if "notify" in p and p["notify"] not in e["response_notifies_decrypted"]:
                    e["response_notifies_decrypted"].append(p["notify"])
        else:
            for p in m["inner"]:
                if "notify" in p and p["notify"] not in e["request_notifies_decrypted"]:
                    e["request_notifies_decrypted"].append(p["notify"])
        for c in m["eap"]:
            if c not in e[side + "_eap"]:
                e[side + "_eap"].append(c)
    for n, ik, src in partial:
        et, mid = show(ik, "isakmp.exchangetype"), show(ik, "isakmp.messageid")
        if et is None or mid is None:
            continue
        key = (_hex(show(ik, "isakmp.ispi")), int(et), int(mid, 0))
        if key in exchanges:
            resp = show(ik, "isakmp.flag_r") in ("1", "True")
            exchanges[key]["response_partial_frames" if resp else "request_partial_frames"].append(n)
    info["exchanges"] = sorted(exchanges.values(),
                               key=lambda e: (e["request_frames"] + e["request_partial_frames"]
                                              + e["response_frames"] + [1 << 30])[0])
    info["ike_sas"] = []
    for e in info["exchanges"]:
        sa = {"spi_i": e["spi_i"], "spi_r": e["spi_r"]}
        if e["spi_r"] not in ("", "0" * 16) and sa not in info["ike_sas"]:
            info["ike_sas"].append(sa)
    info["ikev2_fragments"] = skf
    info["icmp"] = icmp
    info["nat"] = nat_of(msgs)
    info["outcome"] = outcome_of(info)
    return info


def nat_of(msgs):
    """NAT detection as RFC 7296 2.23 has it, from the IKE_SA_INIT response's
    NAT_DETECTION notifies (their data as tshark reads it) against the
    response's own addresses and ports."""
    out = {"detected": False, "client_behind_nat": None, "gateway_behind_nat": None,
           "ike_auth_on_4500": any(m["exchange"] == 35 and 4500 in (m["sport"], m["dport"])
                                   for m in msgs)}
    for m in msgs:
        if m["exchange"] != 34 or not m["response"] or m["spi_r"] in ("", "0" * 16):
            continue
        for f in m["ik"].iter("field"):
            if f.get("name") != "isakmp.typepayload":
                continue
            t = show(f, "isakmp.notify.msgtype")
            data = _hex(show(f, "isakmp.notify.data"))
            if t == "16388":      # NAT_DETECTION_SOURCE_IP: the gateway as it sent
                out["gateway_behind_nat"] = data != natd_hash(m["spi_i"], m["spi_r"],
                                                              m["src"], m["sport"])
            elif t == "16389":    # NAT_DETECTION_DESTINATION_IP: the client as it saw it
                out["client_behind_nat"] = data != natd_hash(m["spi_i"], m["spi_r"],
                                                             m["dst"], m["dport"])
        break
    out["detected"] = bool(out["client_behind_nat"] or out["gateway_behind_nat"])
    return out


def _is_error(name):
    return _ERROR_NOTIFIES.get(name, False)


def outcome_of(info):
    """How the attempt ended, read from the exchanges only."""
    ex = info["exchanges"]
    init = [e for e in ex if e["exchange"] == "IKE_SA_INIT"]
    if not init:
        return {"result": "failed", "reason": "no IKE_SA_INIT request"}
    last_init = init[-1]
    if not last_init["response_frames"]:
        return {"result": "failed", "reason": "no answer to IKE_SA_INIT"}
    errs = [n for n in last_init["response_notifies"] if _is_error(n)]
    if errs:
        return {"result": "failed", "reason": errs[0]}
    auth = [e for e in ex if e["exchange"] == "IKE_AUTH"]
    for e in ex:
        # The client ends the SA with an error notify of its own (strongSwan
        # as an EAP peer that fails: INFORMATIONAL with AUTHENTICATION_FAILED).
        errs = [n for n in e["request_notifies_decrypted"] if _is_error(n)]
        if e["exchange"] == "INFORMATIONAL" and errs:
            return {"result": "failed", "reason": errs[0], "by": "client",
                    "message_id": e["message_id"],
                    "eap": [x for a in auth for x in a["response_eap"]][-1:]}
    for e in auth:
        errs = [n for n in e["response_notifies_decrypted"] if _is_error(n)]
        if errs:
            return {"result": "failed", "reason": errs[0], "by": "gateway",
                    "message_id": e["message_id"], "eap": e["response_eap"][-1:]}
        if not e["response_frames"]:
            r = {"result": "failed", "reason": "no answer to IKE_AUTH",
                 "message_id": e["message_id"],
                 "request_ip_fragmented": any(
                     f["direction"] == "client->gateway" for f in info["ip_fragments"]),
                 "response_first_fragments_seen": len(e["response_partial_frames"])}
            return r
    if auth and auth[-1]["response_payloads"] and "AUTH" in auth[-1]["response_payloads"]["inner"]:
        inner = auth[-1]["response_payloads"]["inner"]
        r = {"result": "established", "child_sa": "SA" in inner and "TSi" in inner,
             "eap": any(e["request_eap"] for e in auth)}
        r["deleted"] = any(e["exchange"] == "INFORMATIONAL" and e["request_payloads"]
                           and "D" in e["request_payloads"]["inner"] and e["response_frames"]
                           for e in ex)
        return r
    return {"result": "unknown"}


ABOUT = {
    "what": "What Wireshark (tshark 4.0, PDML) sees in each capture of this directory, "
            "written by tests/lab/record_captures.py --expect; not by hand.",
    "frames": "frame numbers as tshark numbers them (from 1)",
    "exchanges": "one per (SPIi, exchange type, message ID), in the order of their first "
                 "frame; request_frames/response_frames: frames where the whole message "
                 "is read (an IP-fragmented one: the frame of the fragment that completes "
                 "it; RFC 7383: every SKF fragment); *_partial_frames: first IP fragments "
                 "of a message that never came whole (its IKE header readable); "
                 "response_notifies: in clear; *_decrypted and payloads.inner: what tshark "
                 "decrypted with the .keys file",
    "ip_fragments": "each IP datagram seen in fragments: its frames, their offsets in "
                    "bytes, whether its first and last fragments were seen, whether tshark "
                    "reassembled it and in which frame",
    "ikev2_fragments": "RFC 7383 SKF payloads: fragment number and total",
    "nat": "NAT_DETECTION_* of the IKE_SA_INIT response hashed against the response's "
           "addresses and ports (SHA-1 of SPIi|SPIr|IP|port)",
    "outcome": "how the attempt ended, read from the exchanges",
}


def expected(d):
    """EXPECTED.json's content for the captures in directory d."""
    files = sorted(f for f in os.listdir(d) if f.endswith((".pcap", ".pcapng"))
                   and "truncated" not in f)
    out = {"_about": ABOUT}
    for f in files:
        info = expect(os.path.join(d, f))
        out[f] = info
    for f in sorted(f for f in os.listdir(d) if "truncated" in f):
        out[f] = truncated_info(os.path.join(d, f))
    return out


def write_expected(d):
    out = expected(d)
    path = os.path.join(d, "EXPECTED.json")
    with open(path, "w") as fp:
        json.dump(out, fp, indent=1)
        fp.write("\n")
    log(f"wrote {path} ({len(out) - 1} captures)")


def check_expected(d):
    """0 if DIR/EXPECTED.json is what this tshark reads in the captures."""
    with open(os.path.join(d, "EXPECTED.json")) as fp:
        have = json.load(fp)
    want = json.loads(json.dumps(expected(d)))
    bad = [f for f in sorted(set(have) | set(want)) if have.get(f) != want.get(f)]
    for f in bad:
        log(f"{f}: EXPECTED.json differs from what tshark reads now")
    if not bad:
        log(f"{d}/EXPECTED.json: all {len(want) - 1} captures as tshark reads them")
    return 1 if bad else 0


# -- the derived files ------------------------------------------------------------

def pcap_records(path):
    """(offset, caplen) of each record of a pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    order = "little" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else "big"
    recs, off = [], 24
    while off + 16 <= len(data):
        caplen = int.from_bytes(data[off + 8:off + 12], order)
        recs.append((off, caplen))
        off += 16 + caplen
    return recs


def truncate(src, dst, record=6):
    """The first bytes of src, cut in the middle of record number `record'
    (from 1): its header whole, half its data."""
    recs = pcap_records(src)
    off, caplen = recs[record - 1]
    cut = off + 16 + caplen // 2
    with open(src, "rb") as f:
        data = f.read(cut)
    with open(dst, "wb") as f:
        f.write(data)
    return cut, record


def truncated_info(path):
    p = subprocess.run(["tshark", "-r", path, "-T", "fields", "-e", "frame.number"],
                       capture_output=True, text=True)
    return {"file": os.path.basename(path), "format": "pcap", "bytes": os.path.getsize(path),
            "whole_frames": len(p.stdout.split()),
            "tshark_error": (p.stderr.strip().splitlines() or [""])[-1].replace(
                path, os.path.basename(path)),
            "cut_in_frame": len(p.stdout.split()) + 1}


def derived(out):
    """user-clean.pcapng (editcap -F pcapng) and user-clean-truncated.pcap."""
    src = os.path.join(out, "user-clean.pcap")
    if not os.path.exists(src):
        return
    ng = os.path.join(out, "user-clean.pcapng")
    subprocess.run(["editcap", "-F", "pcapng", src, ng], check=True)
    shutil.copy(src + ".keys", ng + ".keys")
    tr = os.path.join(out, "user-clean-truncated.pcap")
    cut, rec = truncate(src, tr)
    log(f"user-clean.pcapng; user-clean-truncated.pcap: {cut} bytes, cut in record {rec}")
    for kind in ("sll", "sll2"):
        p = os.path.join(out, f"user-clean-{kind}.pcap")
        if os.path.exists(p):
            shutil.copy(src + ".keys", p + ".keys")


# -- main -----------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="directory for the captures (made if missing)")
    ap.add_argument("--expect", metavar="DIR",
                    help="only write DIR/EXPECTED.json from the captures there")
    ap.add_argument("--check", metavar="DIR",
                    help="only check DIR/EXPECTED.json against the captures there "
                         "(exit 1 if tshark reads them otherwise)")
    ap.add_argument("--child", choices=("auto", "kernel", "childless"), default="auto",
                    help="a CHILD SA in IKE_AUTH (kernel: needs ESP in the kernel) or "
                         "none (childless); auto: kernel if the kernel has ESP")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("cases", nargs="*", metavar="CASE", help="cases to record (default: all)")
    a = ap.parse_args(argv)
    for c in a.cases:
        if c not in CASE_NAMES:
            ap.error(f"unknown case `{c}' (--list)")
    if a.list:
        for c in CASES:
            print(f"{c.name:34} {c.what}")
        for name, _, what in SSTP_CASES:
            print(f"{name:34} {what}")
        return 0
    if a.expect:
        write_expected(a.expect)
        return 0
    if a.check:
        if shutil.which("tshark") is None:
            print("SKIP: tshark not installed (scripts/deps.sh lab installs it)")
            return 77
        return check_expected(a.check)
    if not a.out:
        ap.error("need --out DIR (or --expect DIR)")
    L.check_environment(need_nft=True, need_tshark=True)
    if pki is None:
        raise L.LabUnavailable("python3-cryptography is not installed")
    for t in ("dumpcap", "editcap"):
        if shutil.which(t) is None:
            raise L.LabUnavailable(f"`{t}' not found")
    os.makedirs(a.out, exist_ok=True)
    child = a.child
    if child == "auto":
        with new_lab() as lab:
            child = "kernel" if C.kernel_has_esp(lab) else "childless"
        log(f"child: {child}" + (" (this kernel has no ESP: no CHILD SA can be installed)"
                                 if child == "childless" else ""))
    cases = [c for c in CASES if not a.cases or c.name in a.cases]
    failed = []
    for c in cases:
        try:
            record(c, a.out, child)
        except L.LabError as e:
            log(f"{c.name}: FAILED: {e}")
            failed.append(c.name)
    for name, profile, _ in SSTP_CASES:
        if a.cases and name not in a.cases:
            continue
        try:
            record_sstp(name, profile, a.out)
        except L.LabError as e:
            log(f"{name}: FAILED: {e}")
            failed.append(name)
    derived(a.out)
    write_expected(a.out)
    if failed:
        log("failed: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except L.LabUnavailable as e:
        print(f"record: cannot run: {e}", file=sys.stderr)
        sys.exit(77)
