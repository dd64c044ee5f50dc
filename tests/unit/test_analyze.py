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
    "icmp-port-unreachable": (1, ["udp500-closed", "udp4500-closed"], [], "nothing listens"),
    "strongswan-no-proposal-chosen": (1, ["no-proposal-chosen"], [], "refused every proposal"),
    "strongswan-no-fragmentation": (0, ["ike-sa-init-answered", "no-proposal-chosen"],
                                    [], "answered IKE_SA_INIT"),
    "strongswan-x25519-sa": (0, ["ike-sa-init-answered"], ["no-proposal-chosen"],
                             "answered IKE_SA_INIT"),
    "strongswan-cookie-then-retry": (0, ["ike-sa-init-answered"],
                                     ["ike-sa-init-not-retried"], "answered"),
    "strongswan-invalid-ke-then-modp2048": (0, ["ike-sa-init-answered"], [], "answered"),
    # Recorded from a real client (captures/analyze/).
    "user-clean": (0, ["ike-established"], ["failed-past-network"], "connected"),
    "user-clean-ng": (0, ["ike-established"], [], "connected"),
    "device-clean": (0, ["ike-established"], [], "connected"),
    "ports-dropped": (1, ["udp500-silent"], ["ike-established"], "nothing came back"),
    "outbound-frags-dropped": (1, ["fragments-dropped"], ["ike-established"],
                               "fragments to the gateway"),
    "inbound-frags-first-only": (1, ["return-fragments-dropped"], ["ike-established"],
                                 "first fragment"),
    "inbound-frags-dropped": (1, ["auth-unanswered"], ["ike-established"], "IKE_AUTH"),
    "inbound-frags-dropped-ikev2-frag": (0, ["ike-established"], ["return-fragments-dropped"],
                                         "connected"),
    "nat-4500-dropped": (1, ["nat-udp4500-blocked", "nat-detected"], [], "UDP 4500"),
    "wrong-eap-password": (0, ["failed-past-network"], ["ike-established"], "past the network"),
    "proposal-refused": (1, ["no-proposal-chosen"], [], "refused every proposal"),
    "ipv6-clean": (0, ["ike-established"], [], "connected"),
}


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
    """Against Wireshark's view of the same file (EXPECTED.json)."""
    check(doc["file"]["frames"] == exp["frames"],
          f"{name}: frames {doc['file']['frames']}, Wireshark counts {exp['frames']}")
    ours = {}
    for c in doc["conversations"]:
        for sa in c["ike_sas"]:
            for x in sa["exchanges"]:
                key = (sa["spi_i"], x["type"], x["message_id"], x["asked_by"])
                req = x["request"]["frames"] if x["request"] else []
                resp = x["response"]["frames"] if x["response"] else []
                o = ours.setdefault(key, [[], []])
                o[0] += req
                o[1] += resp
    for e in exp.get("exchanges", []):
        key = (e["spi_i"], e["type"], e["message_id"], e.get("asked_by", "client"))
        got = ours.get(key)
        if not check(got is not None, f"{name}: no exchange {key} (Wireshark has it)"):
            continue
        want_req, want_resp = e["request_frames"][:12], e["response_frames"][:12]
        check(sorted(got[0])[:12] == sorted(want_req) and
              sorted(got[1])[:12] == sorted(want_resp),
              f"{name}: {key}: frames (request {got[0]}, answer {got[1]}), "
              f"Wireshark (request {want_req}, answer {want_resp})")
    frag = {(d["ip_id"], d["src"]): d for d in doc["ip_fragmented"]}
    for e in exp.get("ip_fragmented", []):
        d = frag.get((e["ip_id"], e["src"]))
        if not check(d is not None, f"{name}: no fragmented datagram {e['ip_id']:#x} "
                     f"from {e['src']}"):
            continue
        check(sorted(d["frames"]) == sorted(e["frames"])[:12] and d["complete"] == e["complete"],
              f"{name}: datagram {e['ip_id']:#x}: frames {d['frames']} complete "
              f"{d['complete']}, Wireshark {e['frames']} {e['complete']}")
    if "nat_detected" in exp:
        nat = [sa["nat"] for c in doc["conversations"] for sa in c["ike_sas"] if sa["nat"]]
        got = any(n["client_side"] or n["gateway_side"] for n in nat)
        check(got == exp["nat_detected"], f"{name}: NAT detected {got}, want {exp['nat_detected']}")


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


def truncated(ikeprobe, tmp, src):
    """A file cut inside a record: what came before is analysed."""
    with open(src, "rb") as f:
        data = f.read()
    p = os.path.join(tmp, "cut.pcap")
    with open(p, "wb") as f:
        f.write(data[:len(data) - 7])
    r = run(ikeprobe, ["--json", p])
    if not check(r.returncode in (0, 1), f"cut.pcap: exit {r.returncode}: {r.stderr}"):
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
                      if fn.endswith((".pcap", ".pcapng")) and "truncated" not in fn]
    check(len(files) >= 7, f"only {len(files)} captures found")
    for p in files:
        base = os.path.basename(p)
        name = base.rsplit(".", 1)[0] + ("-ng" if base.endswith(".pcapng") else "")
        r = run(ikeprobe, ["--json", p])
        if not check(r.returncode in (0, 1), f"{name}: exit {r.returncode}: {r.stderr}"):
            continue
        doc = json.loads(r.stdout)
        validate(schema, doc, name)
        exp = expected.get(base) or expected.get(name)
        if exp:
            expected_checks(doc, exp, name)
        verdict_checks(doc, r.returncode, name)
        for fmt in ("text", "markdown"):
            t = run(ikeprobe, ["--format", fmt, p])
            check(t.returncode == r.returncode and doc["headline"].split()[0] in t.stdout,
                  f"{name}: --format {fmt}: exit {t.returncode}, or no headline")
    with tempfile.TemporaryDirectory() as tmp:
        bad_files(ikeprobe, tmp)
        truncated(ikeprobe, tmp, os.path.join(captures, "icmp-admin-prohibited.pcap"))
    for f in FAILS:
        print("FAIL", f)
    print(f"{len(files)} captures, {len(FAILS)} failure(s)")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
