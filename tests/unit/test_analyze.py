#!/usr/bin/python3
"""ikeprobe analyze on every capture in captures/ and captures/analyze/.

usage: test_analyze.py IKEPROBE SCHEMA CAPTURES

Each capture's JSON is validated against schema/analysis.schema.json and,
for the recordings of a real client (captures/analyze/, made by
tests/lab/record_captures.py), checked against EXPECTED.json, which
Wireshark's own dissection wrote when the capture was made: the frame
count, each IKE SA's exchanges with the frames of their requests and
answers, every IP-fragmented datagram and whether it came whole. Then each
capture's verdict against the fault it was recorded with (VERDICTS below),
and files that are no capture: one line on stderr naming the file, exit 2.
"""

import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
    return cond


# What each capture must be judged: (exit status, finding codes that must
# be there, codes that must not, words of the headline).
VERDICTS = {
    "icmp-admin-prohibited": (1, ["udp500-filtered", "udp4500-silent"], [], "refused"),
    "icmp-port-unreachable": (1, ["udp500-closed", "udp4500-closed"], [], "Nothing listens"),
    "strongswan-no-proposal-chosen": (1, ["no-proposal-chosen"], [], "proposals"),
    "strongswan-no-fragmentation": (0, ["ike-sa-init-answered", "no-proposal-chosen"],
                                    [], "answered IKE_SA_INIT"),
    "strongswan-x25519-sa": (0, ["ike-sa-init-answered"], ["no-proposal-chosen"],
                             "answered IKE_SA_INIT"),
    "strongswan-cookie-then-retry": (0, ["ike-sa-init-answered"],
                                     ["ike-sa-init-not-retried"], "answered"),
    "strongswan-invalid-ke-then-modp2048": (0, ["ike-sa-init-answered"], [], "answered"),
    # Recorded from a real client (captures/analyze/), with their keys.
    "user-clean": (0, ["ike-established"], ["failed-past-network"], "connected"),
    "user-clean-ng": (0, ["ike-established"], [], "connected"),
    "user-clean-sll": (0, ["ike-established"], [], "connected"),
    "user-clean-sll2": (0, ["ike-established"], [], "connected"),
    "user-clean-truncated": (2, ["capture-truncated"], [], "cut short"),
    "device-clean": (0, ["ike-established"], [], "connected"),
    "ports-dropped": (1, ["udp500-silent"], ["ike-established"], "no answer"),
    "outbound-frags-dropped": (1, ["fragments-dropped"], ["ike-established"],
                               "fragments to the gateway"),
    "inbound-frags-first-only": (1, ["return-fragments-dropped"], ["ike-established"],
                                 "fragments from the gateway"),
    "inbound-frags-dropped": (1, ["auth-unanswered"], ["ike-established"], "IKE_AUTH answer"),
    "inbound-frags-dropped-ikev2-frag": (0, ["ike-established"], ["return-fragments-dropped"],
                                         "connected"),
    "nat-4500-dropped": (1, ["nat-udp4500-blocked", "nat-detected"], [], "UDP 4500"),
    "wrong-eap-password": (1, ["eap-failure"], ["ike-established"], "credentials"),
    "proposal-refused": (1, ["no-proposal-chosen"], [], "proposals"),
    "ipv6-clean": (0, ["ike-established"], [], "connected"),
    "sstp-clean": (0, ["sstp-connected"], ["sstp-cert-expired"], "carries SSTP"),
    "sstp-cert-expired": (1, ["sstp-cert-expired"], [], "expired"),
}


# tests/unit/crafted/: (exit status, codes that must be there, codes that
# must not, words of the headline or None).
CRAFTED = {
    "t1": (0, ["ike-established"], ["ike-sa-init-not-retried"], "connected"),
    "t2": (0, [], ["sstp-connected"], None),
    "t3": (1, ["ikev1-not-analysed"], [], "IKEv1"),
    "t4": (1, ["sstp-cert-expired"], [], None),
    "t18": (1, ["sstp-cert-expired"], [], None),
    "t5": (0, ["sstp-unread"], ["sstp-connected"], None),
    "t6a": (1, ["return-fragments-dropped"], [], "fragments from the gateway"),
    "t6b": (1, ["return-fragments-dropped"], [], "fragments from the gateway"),
    "t7": (1, ["auth-unanswered"], ["udp4500-silent", "nat-udp4500-blocked"], None),
    "t8": (0, ["ike-sa-init-unanswered"], ["udp500-silent"], None),
    "t9": (0, ["ike-established", "ike-sa-init-unanswered"], ["udp500-silent"], None),
    "t10": (0, [], ["ikev2-fragments-missing"], None),
    "t11": (1, ["return-fragments-dropped"], ["udp500-silent"], None),
    "t13": (1, ["fragments-dropped"], ["ike-sa-init-answered"], "fragments to the gateway"),
    "t14": (0, ["ike-established"], ["sstp-tls-alert"], "connected"),
    "t16": (0, ["ike-established"], ["udp500-silent"], "connected"),
    "t17": (0, ["ike-established"], [], "connected"),
}


def crafted(ikeprobe, schema, d):
    for name, (want_rc, must, must_not, words) in sorted(CRAFTED.items()):
        p = os.path.join(d, name + ".pcap")
        r = run(ikeprobe, ["--json", p])
        try:
            doc = json.loads(r.stdout)
        except ValueError as e:
            check(False, f"crafted {name}: not JSON ({e}): exit {r.returncode} {r.stderr}")
            continue
        validate(schema, doc, "crafted " + name)
        codes = [f["code"] for f in doc["findings"]]
        check(r.returncode == want_rc, f"crafted {name}: exit {r.returncode}, want {want_rc} ({codes})")
        for c in must:
            check(c in codes, f"crafted {name}: no {c} ({codes})")
        for c in must_not:
            check(c not in codes, f"crafted {name}: {c} should not be there ({codes})")
        if words:
            check(words.lower() in doc["headline"].lower(),
                  f"crafted {name}: headline {doc['headline']!r} lacks {words!r}")
        t = run(ikeprobe, [p]).stdout
        check(not any(ch in t for ch in ("\x1b", "\u009b", "\u202e")),
              f"crafted {name}: the text prints a control character")
        if name == "t17":
            check(len(doc["conversations"]) == 1, f"crafted t17: {len(doc['conversations'])} "
                  "conversations, want 1 (the gateway's rekey is the same conversation)")
    r = run(ikeprobe, ["--json", os.path.join(d, "t12-bigts.pcapng")])
    doc = json.loads(r.stdout)
    check(not str(doc["file"]["first"]).startswith("-"), f"t12-bigts: first {doc['file']['first']}")
    r = run(ikeprobe, [os.path.join(d, "t12-multi.pcapng")])
    check(r.returncode == 2 and "cut short" not in r.stderr and r.stderr.count("\n") == 1,
          f"t12-multi: exit {r.returncode} {r.stderr!r}")


def run(ikeprobe, args):
    return subprocess.run([ikeprobe, "analyze"] + args, capture_output=True, text=True,
                          timeout=60)


def validate(schema, doc, name):
    try:
        import jsonschema
    except ImportError:
        return
    try:
        jsonschema.validate(doc, schema)
    except jsonschema.ValidationError as e:
        check(False, f"{name}: schema: {e.message} at {list(e.absolute_path)}")


def expected_checks(doc, exp, name):
    """Against Wireshark's view of the same file (EXPECTED.json, written by
    record_captures.py --expect from tshark's dissection)."""
    if "whole_frames" in exp:		# cut short: the frames before the cut
        check(doc["file"]["frames"] == exp["whole_frames"] and doc["file"]["truncated"],
              f"{name}: {doc['file']['frames']} frames, truncated {doc['file']['truncated']}; "
              f"Wireshark reads {exp['whole_frames']} whole before the cut")
        return
    check(doc["file"]["frames"] == exp["frames"],
          f"{name}: frames {doc['file']['frames']}, Wireshark counts {exp['frames']}")
    ours = {}
    for c in doc["conversations"]:
        for sa in c["ike_sas"]:
            for x in sa["exchanges"]:
                key = (sa["spi_i"], x["type"], x["message_id"])
                o = ours.setdefault(key, [set(), set(), []])
                if x["request"]:
                    o[0] |= set(x["request"]["frames"])
                if x["response"]:
                    o[1] |= set(x["response"]["frames"])
                    o[2] += x["response"]["notifies"]
    for e in exp.get("exchanges", []):
        key = (e["spi_i"], e["exchange"], e["message_id"])
        got = ours.get(key)
        if not check(got is not None, f"{name}: no exchange {key} (Wireshark has it)"):
            continue
        check(got[0] == set(e["request_frames"]) and got[1] == set(e["response_frames"]),
              f"{name}: {key}: frames (request {sorted(got[0])}, answer {sorted(got[1])}), "
              f"Wireshark (request {e['request_frames']}, answer {e['response_frames']})")
        for n in e.get("response_notifies", []):
            check(n in got[2], f"{name}: {key}: notify {n} in clear not seen ({got[2]})")
    check(len(ours) == len(exp.get("exchanges", [])),
          f"{name}: {len(ours)} exchanges, Wireshark {len(exp.get('exchanges', []))}")
    frag = {(d["ip_id"], d["src"]): d for d in doc["ip_fragmented"]}
    for e in exp.get("ip_fragments", []):
        src = e.get("src")
        d = next((v for (i, s), v in frag.items() if i == int(e["ip_id"], 16) and
                  (src is None or s == src)), None)
        if not check(d is not None, f"{name}: no fragmented datagram {e['ip_id']}"):
            continue
        want_dir = "to-gateway" if e["direction"] == "client->gateway" else "from-gateway"
        check(sorted(d["frames"]) == sorted(e["frames"])[:12] and d["complete"] == e["complete"]
              and d["direction"] == want_dir,
              f"{name}: datagram {e['ip_id']}: frames {d['frames']} complete {d['complete']} "
              f"{d['direction']}, Wireshark {e['frames']} {e['complete']} {want_dir}")
    check(len(frag) == len(exp.get("ip_fragments", [])),
          f"{name}: {len(frag)} fragmented datagrams, Wireshark {len(exp.get('ip_fragments', []))}")
    tls = exp.get("tls")
    if tls:
        t = doc["sstp"][0] if doc["sstp"] else None
        if check(t is not None, f"{name}: no TCP 443 connection (Wireshark has TLS)"):
            got = t["tls"]
            check((got["client_hello_frame"], got["server_hello_frame"], got["sni"],
                   got["certificates"]) ==
                  (tls["client_hello"][0] if tls["client_hello"] else None,
                   tls["server_hello"][0] if tls["server_hello"] else None,
                   tls["sni"], tls["certificates"]),
                  f"{name}: TLS (ClientHello, ServerHello, SNI, certificates) "
                  f"{(got['client_hello_frame'], got['server_hello_frame'], got['sni'], got['certificates'])}"
                  f", Wireshark {tls}")
            check(tls["cipher"] is None or got["cipher_id"] == "0x%04X" % int(tls["cipher"], 16),
                  f"{name}: cipher {got['cipher_id']}, Wireshark {tls['cipher']}")
            if tls["certificate"]:
                c = t["certificate"]
                check(c is not None and c["frame"] == tls["certificate"][0],
                      f"{name}: certificate frame {c and c['frame']}, Wireshark {tls['certificate']}")
    nat = exp.get("nat")
    if nat and nat.get("client_behind_nat") is not None:
        sas = [sa["nat"] for c in doc["conversations"] for sa in c["ike_sas"] if sa["nat"]]
        got = any(n["client_side"] for n in sas)
        check(got == nat["client_behind_nat"],
              f"{name}: NAT on the client's side {got}, Wireshark's hashes say "
              f"{nat['client_behind_nat']}")


def verdict_checks(doc, rc, name):
    v = VERDICTS.get(name)
    if not check(v is not None, f"{name}: no verdict in test_analyze.py's table"):
        return
    want_rc, must, must_not, words = v
    codes = [f["code"] for f in doc["findings"]]
    check(rc == want_rc, f"{name}: exit {rc}, want {want_rc} ({codes})")
    check(doc["exit_status"] == rc, f"{name}: exit_status {doc['exit_status']}, exit {rc}")
    for c in must:
        check(c in codes, f"{name}: no finding {c} (got {codes})")
    for c in must_not:
        check(c not in codes, f"{name}: finding {c} should not be there")
    check(words.lower() in doc["headline"].lower(),
          f"{name}: headline {doc['headline']!r} lacks {words!r}")
    for f in doc["findings"]:
        if f["severity"] != "info":
            check(f["frames"], f"{name}: {f['code']} names no frames")


# Codes only the decrypted IKE_AUTH gives.
KEYS_ONLY = {"eap-failure", "auth-failed", "ike-auth-refused", "cert-expired",
             "cert-expires-soon", "cert-not-yet-valid", "cert-no-server-auth-eku",
             "cert-sha1-signature", "cert-weak-key"}


def keys_checks(ikeprobe, p, doc, name):
    """With the keys, every IKE_AUTH message of the table's SAs opens; without
    them the network's findings are the same, and none of what only the
    keys show appears."""
    check(doc["file"]["keys_used"] >= 1, f"{name}: no IKE SA of the key table used")
    for c in doc["conversations"]:
        for sa in c["ike_sas"]:
            for x in sa["exchanges"]:
                for m in (x["request"], x["response"]):
                    if m and m["encrypted"] and m["decrypted"] is not None:
                        check(m["decrypted"]["ok"], f"{name}: {x['type']} #{x['message_id']}: "
                              f"not decrypted: {m['decrypted']['error']}")
    r = run(ikeprobe, ["--json", p])
    plain = json.loads(r.stdout)
    net = {f["code"] for f in doc["findings"]} - KEYS_ONLY - {"ike-established"}
    got = {f["code"] for f in plain["findings"]}
    check(not (got & KEYS_ONLY), f"{name}: without --keys: {got & KEYS_ONLY}")
    check(net <= got | {"failed-past-network"},
          f"{name}: without --keys the network findings differ: {sorted(got)} vs {sorted(net)}")
    bad = tempfile.NamedTemporaryFile("w", suffix=".keys", delete=False)
    bad.write("0011,2233\n")
    bad.close()
    r = run(ikeprobe, ["--keys", bad.name, p])
    os.unlink(bad.name)
    check(r.returncode == 2 and "line 1" in r.stderr, f"{name}: a bad key table: {r}")


def bad_files(ikeprobe, tmp):
    cases = {
        "empty.pcap": b"",
        "garbage.pcap": b"this is not a capture file at all\n" * 10,
        "short.pcap": bytes.fromhex("d4c3b2a1"),
    }
    for fn, data in cases.items():
        p = os.path.join(tmp, fn)
        with open(p, "wb") as f:
            f.write(data)
        r = run(ikeprobe, [p])
        check(r.returncode == 2, f"{fn}: exit {r.returncode}, want 2")
        lines = r.stderr.strip().splitlines()
        check(len(lines) == 1 and fn in lines[0], f"{fn}: stderr {r.stderr!r}")
        check(r.stdout == "", f"{fn}: stdout {r.stdout!r}")
    r = run(ikeprobe, [os.path.join(tmp, "missing.pcap")])
    check(r.returncode == 2 and "missing.pcap" in r.stderr, f"missing file: {r}")
    r = run(ikeprobe, [])
    check(r.returncode == 2 and r.stderr.count("\n") == 1, f"no file: {r}")
    r = run(ikeprobe, ["--bogus", "x.pcap"])
    check(r.returncode == 2 and "--bogus" in r.stderr, f"bad option: {r}")


def relink(src, dst, linktype):
    """src (Ethernet) as another link type: raw IP (101), BSD null (0,
    the address family in host order) or loopback (108, network order)."""
    import struct
    with open(src, "rb") as f:
        data = f.read()
    out = bytearray(data[:20] + struct.pack("<I", linktype))
    off = 24
    while off + 16 <= len(data):
        ts, us, cl, ol = struct.unpack("<IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + cl]
        off += 16 + cl
        ip = frame[14:]
        v6 = frame[12:14] == b"\x86\xdd"
        if linktype == 0:
            ip = struct.pack("<I", 10 if v6 else 2) + ip
        elif linktype == 108:
            ip = struct.pack(">I", 24 if v6 else 2) + ip
        out += struct.pack("<IIII", ts, us, len(ip), ol - 14) + ip
    with open(dst, "wb") as f:
        f.write(out)


def link_types(ikeprobe, tmp, captures):
    """The same captures as raw IP, null and loopback: the same reading."""
    for name in ("inbound-frags-first-only", "ipv6-clean", "sstp-clean"):
        src = os.path.join(captures, "analyze", name + ".pcap")
        if not os.path.exists(src):
            continue
        want = json.loads(run(ikeprobe, ["--json", src]).stdout)
        for lt, lname in ((101, "RAW"), (0, "NULL"), (108, "LOOP")):
            dst = os.path.join(tmp, f"{name}-{lname}.pcap")
            relink(src, dst, lt)
            r = run(ikeprobe, ["--json", dst])
            got = json.loads(r.stdout)
            check(got["file"]["link_type"] == lname, f"{name} as {lname}: link "
                  f"type {got['file']['link_type']}")
            for k in ("headline", "conversations", "ip_fragmented", "sstp"):
                check(got[k] == want[k], f"{name} as {lname}: {k} differs from Ethernet's")
            check([f["code"] for f in got["findings"]] == [f["code"] for f in want["findings"]],
                  f"{name} as {lname}: findings differ")


def truncated(ikeprobe, tmp, src):
    """A file cut inside a record: what came before is analysed."""
    with open(src, "rb") as f:
        data = f.read()
    p = os.path.join(tmp, "cut.pcap")
    with open(p, "wb") as f:
        f.write(data[:len(data) - 7])
    r = run(ikeprobe, ["--json", p])
    if not check(r.returncode == 2 and "cut.pcap" in r.stderr and r.stderr.count("\n") == 1,
                 f"cut.pcap: exit {r.returncode}, stderr {r.stderr!r}"):
        return
    doc = json.loads(r.stdout)
    check(doc["file"]["truncated"], "cut.pcap: file.truncated false")
    check("capture-truncated" in [f["code"] for f in doc["findings"]],
          "cut.pcap: no capture-truncated finding")


def main():
    ikeprobe, schema_path, captures = sys.argv[1:4]
    with open(schema_path) as f:
        schema = json.load(f)
    exp_path = os.path.join(captures, "analyze", "EXPECTED.json")
    expected = {}
    if os.path.exists(exp_path):
        with open(exp_path) as f:
            expected = json.load(f)
    files = []
    for d in (captures, os.path.join(captures, "analyze")):
        if os.path.isdir(d):
            files += [os.path.join(d, fn) for fn in sorted(os.listdir(d))
                      if fn.endswith((".pcap", ".pcapng"))]
    check(len(files) >= 7, f"only {len(files)} captures found")
    for p in files:
        base = os.path.basename(p)
        name = base.rsplit(".", 1)[0] + ("-ng" if base.endswith(".pcapng") else "")
        keys = p + ".keys"
        kargs = ["--keys", keys] if os.path.exists(keys) else []
        r = run(ikeprobe, ["--json"] + kargs + [p])
        if not check(r.returncode in (0, 1) or (r.returncode == 2 and "cut short" in r.stderr
                                                and r.stderr.count("\n") == 1),
                     f"{name}: exit {r.returncode}: {r.stderr}"):
            continue
        doc = json.loads(r.stdout)
        validate(schema, doc, name)
        exp = expected.get(base) or expected.get(name)
        if exp:
            expected_checks(doc, exp, name)
        verdict_checks(doc, r.returncode, name)
        if kargs:
            keys_checks(ikeprobe, p, doc, name)
        for fmt in ("text", "markdown"):
            t = run(ikeprobe, ["--format", fmt] + kargs + [p])
            check(t.returncode == r.returncode and doc["headline"].split()[0] in t.stdout,
                  f"{name}: --format {fmt}: exit {t.returncode}, or no headline")
    crafted(ikeprobe, schema, os.path.join(os.path.dirname(os.path.abspath(__file__)), "crafted"))
    with tempfile.TemporaryDirectory() as tmp:
        bad_files(ikeprobe, tmp)
        link_types(ikeprobe, tmp, captures)
        truncated(ikeprobe, tmp, os.path.join(captures, "icmp-admin-prohibited.pcap"))
    for f in FAILS:
        print("FAIL", f)
    print(f"{len(files)} captures, {len(FAILS)} failure(s)")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
