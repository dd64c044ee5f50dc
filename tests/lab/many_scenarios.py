"""Many gateways at once, timeouts from the measured path, and the
Prometheus exporter: lab scenarios.

The gateways are real charons, one per namespace on the router's bridge
(Lab.add_gateways), each with a fault of its own made by nftables in the
router; one ikeprobe run probes them all. The exporter runs in the client
namespace as a service would (started as root, serving as nobody), and a
real Prometheus (tests/lab/prometheus.py) scrapes it; the test then asks
Prometheus' HTTP API, so what is checked is what an alert rule would see.

Registered into scenarios.py's table by register().
"""

import json
import os
import re
import struct
import subprocess
import time

import lab as L
try:
    import pki
except ImportError:     # python3-cryptography missing: those scenarios skip
    pki = None
try:
    import prometheus as P
except ImportError:
    P = None


def gw_addr(k):
    return L.bridge_gateway_addrs(k)[0]


def run_many(s, args, label, timeout=90):
    """ikeprobe ARGS (the targets among them) in the client namespace:
    (rc, stdout, stderr), kept for the scenario's dump."""
    argv = [s.lab.ikeprobe_path] + list(args)
    rc, out, err = s.lab.run_client(argv, timeout=timeout)
    s.reports.append((label, argv, rc, out, err))
    for mark in s.h.SANITIZER_MARKS:
        s.check(mark not in err, f"{label}: `{mark}' on stderr: {err[-400:]}")
    return rc, out, err


def pcap_addresses(path):
    """The (source, destination) IPv4 pairs of an Ethernet pcap file."""
    pairs = set()
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return pairs
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    at = 24
    while at + 16 <= len(data):
        incl = struct.unpack(end + "I", data[at + 8:at + 12])[0]
        frame = data[at + 16:at + 16 + incl]
        at += 16 + incl
        if len(frame) >= 34 and frame[12:14] == b"\x08\x00":
            pairs.add((".".join(map(str, frame[26:30])), ".".join(map(str, frame[30:34]))))
    return pairs


# The faults, one per gateway: what the router does to traffic to it, and
# what its report must then say.
FAULTS = (
    ("clean", None, {500: "open", 4500: "open"}, "pass"),
    ("4500-dropped", "udp dport 4500 drop", {500: "open", 4500: "silent"}, "pass"),
    ("fragments-dropped", "FRAG drop", {500: "open", 4500: "open"}, "dropped"),
    ("no-daemon", None, {500: "closed", 4500: "closed"}, None),
)


def many_gateways(s):
    """Four gateways with a fault each in one run: jsonl (one report per
    line, each valid), text with the summary table, json (an array), and
    --targets with --output (one bundle per gateway, each capture holding
    that gateway's packets only)."""
    cs = s.lab.add_gateways(len(FAULTS))
    s.lab.start_gateways([c for c, f in zip(cs, FAULTS) if f[0] != "no-daemon"])
    rules = []
    for c, (name, rule, _, _) in zip(cs, FAULTS):
        if rule:
            rules.append(f"ip daddr {c.addrs[0]} " + rule.replace("FRAG", s.h.FRAG_ANY))
    s.lab.add_rule_table(prerouting=rules)
    addrs = [c.addrs[0] for c in cs]

    rc, out, err = run_many(s, ["--format", "jsonl"] + addrs, "jsonl")
    s.equal(rc, 1, "jsonl: exit status (the worst gateway's)")
    lines = out.splitlines()
    s.equal(len(lines), len(FAULTS), "jsonl: one line per gateway")
    seen = {}
    for i, line in enumerate(lines):
        try:
            rep = json.loads(line)
        except ValueError:
            s.errors.append(f"jsonl: line {i + 1} is not JSON: {line[:200]!r}")
            continue
        if not s.validate(rep, f"jsonl line {i + 1}"):
            continue
        seen[rep["target"]["address"]] = rep
    for c, (name, _, ports, frag) in zip(cs, FAULTS):
        rep = seen.get(c.addrs[0])
        if rep is None:
            s.errors.append(f"jsonl: no report of {c.addrs[0]} ({name})")
            continue
        for port, state in ports.items():
            s.port(rep, port, state, label=f"jsonl {name}",
                   replies=s.h.OPEN_REPLIES if state == "open" else ())
        if frag:
            s.equal(rep["fragments"]["outbound"], frag, f"jsonl {name}: fragments.outbound")
        s.equal(rep["status"], "ok" if name == "clean" else "problem", f"jsonl {name}: status")
        s.equal(rep["local"]["address"], L.CLIENT_ADDR, f"jsonl {name}: local.address")

    # The silent port of 4500-dropped was given up on the measured round
    # trip: UDP 500 answered first.
    rep = seen.get(cs[1].addrs[0])
    if rep:
        for p in rep["probes"]:
            if p["port"] == 4500 and p["purpose"] == "reachability":
                span = (p["ended_ms"] - p["sent_ms"][0]) / 1000
                s.check(p["attempts"] == 6 and span < 1.0,
                        f"4500-dropped: probe #{p['id']}: {p['attempts']} attempts over "
                        f"{span:.2f} s (want 6 within 1 s, waits from the round trip)")

    # Text: every report, then one table row per gateway.
    rc, out, err = run_many(s, addrs, "text")
    s.equal(rc, 1, "text: exit status")
    table = out[out.rfind("Summary: "):]
    s.check(table.startswith(f"Summary: {len(FAULTS)} gateway(s), {len(FAULTS)} address(es), 1 ok"),
            f"text: summary line: {table[:80]!r}")
    for c, (name, _, ports, _) in zip(cs, FAULTS):
        row = [ln for ln in table.splitlines() if ln.split()[:1] == [c.addrs[0]]]
        s.check(len(row) == 1, f"text: no summary row for {c.addrs[0]} ({name})")
        if row:
            s.check(" " + ports[4500] + " " in row[0], f"text: row of {name}: {row[0]!r}")

    # json with several gateways: one array of reports.
    rc, out, err = run_many(s, ["--format", "json", "--quick"] + addrs, "json")
    try:
        arr = json.loads(out)
    except ValueError:
        arr = None
    s.check(isinstance(arr, list) and len(arr) == len(FAULTS),
            f"json: not an array of {len(FAULTS)} reports: {out[:200]!r}")
    for i, rep in enumerate(arr or []):
        s.validate(rep, f"json [{i}]")

    # --targets (names, a comment, a duplicate) and --output.
    tfile = os.path.join(s.lab.tmp, "targets.txt")
    with open(tfile, "w") as f:
        f.write("# the company's gateways\n")
        for c in cs:
            f.write(f"{c.name}   # {c.ns}\n\n")
        f.write(f"{cs[0].name}\n")
    os.chmod(s.lab.tmp, 0o755)
    out_dir = os.path.join(s.lab.tmp, "bundles")
    rc, out, err = run_many(s, ["-4", "--targets", tfile, "--output", out_dir, "--no-auth"],
                            "--targets --output")
    s.equal(rc, 1, "--targets: exit status")
    for c in cs:
        d = os.path.join(out_dir, c.name)
        try:
            with open(os.path.join(d, "report.json")) as f:
                rep = json.load(f)
        except (OSError, ValueError) as e:
            s.errors.append(f"--output: {d}/report.json: {e}")
            continue
        s.validate(rep, f"--output {c.name}")
        s.equal((rep["target"]["name"], rep["target"]["address"]), (c.name, c.addrs[0]),
                f"--output {c.name}: target")
        pairs = pcap_addresses(os.path.join(d, "capture.pcap"))
        others = {a for a in addrs if a != c.addrs[0]}
        s.check(pairs and all(others.isdisjoint(p) for p in pairs),
                f"--output {c.name}: capture.pcap holds other gateways' packets: {sorted(pairs)}")
        s.check(any(c.addrs[0] in p for p in pairs),
                f"--output {c.name}: capture.pcap holds none of its own packets")

    # Two names of one address: refused before anything is sent.
    rc, out, err = run_many(s, [cs[0].name, cs[0].addrs[0]], "same address twice")
    s.equal(rc, 2, "same address twice: exit status")
    s.check("give it once" in err, f"same address twice: stderr: {err!r}")


def loss_repeated(s):
    """10 % loss each way, every run probing four gateways at once: no
    open port may ever come out silent, although a port's waits shorten
    once the other port (or TCP 443) has answered. The gateways' half-open
    limits are raised: what is under test is loss, not their defences."""
    cs = s.lab.add_gateways(4)
    cfg = [L.GatewayConfig(local_addrs=c.addrs, cookie_threshold=10000,
                           cookie_threshold_ip=10000, block_threshold=10000,
                           init_limit_half_open=10000) for c in cs]
    s.lab.start_gateways(cs, cfg)
    s.lab.add_rule_table(forward=["numgen random mod 100 < 10 drop"])
    addrs = [c.addrs[0] for c in cs]
    runs, verdicts, shortened = 15, 0, 0
    for i in range(1, runs + 1):
        rc, out, err = run_many(s, ["--format", "jsonl", "--quick"] + addrs, f"run {i}")
        for line in out.splitlines():
            try:
                rep = json.loads(line)
            except ValueError:
                s.errors.append(f"run {i}: not JSON: {line[:120]!r}")
                continue
            if not s.validate(rep, f"run {i}"):
                continue
            for port in ("500", "4500"):
                verdicts += 1
                st = rep["ports"][port]["state"]
                s.check(st == "open", f"run {i}: {rep['target']['address']} UDP {port} is {st} "
                        f"under 10 % loss: {rep['ports'][port]['meaning']}")
            shortened += sum(1 for p in rep["probes"] if p["attempts"] > 1 and
                             p["purpose"] == "reachability")
    s.equal(verdicts, runs * len(cs) * 2, "port verdicts over all runs")
    s.notes.append(f"{verdicts} port verdicts under 10 % loss, all open; "
                   f"{shortened} reachability probes needed a retransmission")


# -- the exporter --------------------------------------------------------------

EXPORTER = "127.0.0.1:9745"


def start_exporter(s, config):
    path = os.path.join(s.lab.tmp, "exporter.conf")
    with open(path, "w") as f:
        f.write(config)
    log = open(os.path.join(s.lab.tmp, "exporter.log"), "w")
    argv = ["ip", "netns", "exec", s.lab.client, s.lab.ikeprobe_path, "exporter",
            "--listen", EXPORTER, "--config", path, "--ca", s.ca]
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                         preexec_fn=L.die_with_parent)
    log.close()
    s.exporter = p
    deadline = time.monotonic() + 10
    while "listening on" not in open(os.path.join(s.lab.tmp, "exporter.log")).read():
        if p.poll() is not None or time.monotonic() > deadline:
            raise L.LabError("the exporter did not start: " +
                             open(os.path.join(s.lab.tmp, "exporter.log")).read())
        time.sleep(0.05)
    return p


def http_get(s, path, header=None):
    """GET http://EXPORTER/path from the client namespace: (status, body)."""
    code = ("import sys, urllib.request, urllib.error\n"
            "req = urllib.request.Request(sys.argv[1], headers=dict([sys.argv[2].split(': ', 1)]) "
            "if len(sys.argv) > 2 else {})\n"
            "o = urllib.request.build_opener(urllib.request.ProxyHandler({}))\n"
            "try:\n    r = o.open(req, timeout=30)\nexcept urllib.error.HTTPError as e:\n    r = e\n"
            "sys.stdout.write(f'{r.status}\\n' + r.read().decode())\n")
    rc, out, err = s.lab.run_in(s.lab.client, ["/usr/bin/python3", "-c", code,
                                               f"http://{EXPORTER}{path}"] + ([header] if header else []))
    if rc != 0 or "\n" not in out:
        s.errors.append(f"GET {path}: {err.strip()[-300:]}")
        return 0, ""
    status, body = out.split("\n", 1)
    return int(status), body


def exporter_prometheus(s):
    """The exporter under a real Prometheus: a clean EAP gateway with an
    SSTP server (by name, its chain trusted), one with an expired
    certificate whose fragments are dropped, one with UDP 4500 dropped.
    Prometheus scrapes /probe for each and /metrics; its API must then
    give the values of each fault. Also: the exporter serves as nobody
    with no capability; a bad target is a 400, one outside the
    allow-list a 403, a second scrape within min_interval the same
    answer."""
    if pki is None or P is None:
        raise s.h.Skip("python3-cryptography is not installed (scripts/deps.sh lab)")
    if not os.path.exists(P.PROMETHEUS):
        raise s.h.Skip("prometheus is not installed (scripts/deps.sh lab)")
    import sstp_scenarios
    good = pki.make(os.path.join(s.lab.tmp, "pki-good"), "good")
    expired = pki.make(os.path.join(s.lab.tmp, "pki-expired"), "expired")
    s.ca = os.path.join(s.lab.tmp, "roots.pem")
    with open(s.ca, "w") as f:
        f.write(open(good.root).read() + open(expired.root).read())
    s.lab.start_charon(L.GatewayConfig(auth="eap", chain=good))
    sstp_scenarios.start_server(s, good)
    cs = s.lab.add_gateways(2)
    s.lab.start_gateways(cs, [L.GatewayConfig(auth="eap", chain=expired, local_addrs=cs[0].addrs),
                              L.GatewayConfig(local_addrs=cs[1].addrs)])
    s.lab.add_rule_table(prerouting=[f"ip daddr {cs[0].addrs[0]} {s.h.FRAG_ANY} drop",
                                     f"ip daddr {cs[1].addrs[0]} udp dport 4500 drop"])
    os.chmod(s.lab.tmp, 0o755)
    os.chmod(s.ca, 0o644)
    start_exporter(s, "# the lab's exporter\nmax_concurrent 4\nmin_interval 1\n"
                      f"allow 198.51.100.0/24\nallow 203.0.113.128/26\nallow 2001:db8::/32\n")

    # Serving as nobody, with nothing left of root.
    pid = s.exporter.pid
    st = open(f"/proc/{pid}/status").read()
    uid = re.search(r"^Uid:\s+(\d+)\s+(\d+)", st, re.M)
    cap = re.search(r"^CapEff:\s+(\w+)", st, re.M)
    s.check(uid and uid.group(1) == "65534" and uid.group(2) == "65534",
            f"exporter: not serving as nobody: {uid.group(0) if uid else st[:200]}")
    s.check(cap and int(cap.group(1), 16) == 0, f"exporter: capabilities left: {cap.group(0) if cap else '?'}")

    status, body = http_get(s, "/probe?target=-rf%20/")
    s.equal(status, 400, f"a bad target: HTTP status ({body.strip()!r})")
    status, body = http_get(s, "/probe?target=192.0.2.99")
    s.equal(status, 403, f"a target outside the allow-list: HTTP status ({body.strip()!r})")
    status, body = http_get(s, "/probe?target=198.51.100.10&module=nosuch")
    s.equal(status, 400, f"an unknown module: HTTP status ({body.strip()!r})")
    status, body = http_get(s, "/nothing")
    s.equal(status, 404, "an unknown page: HTTP status")
    status, first = http_get(s, "/probe?target=198.51.100.10&module=quick",
                             "X-Prometheus-Scrape-Timeout-Seconds: 5")
    s.equal(status, 200, "a quick probe: HTTP status")
    s.check("ikeprobe_port_open{family=\"ipv4\",port=\"500\"} 1" in first,
            f"a quick probe: UDP 500 not open in its metrics:\n{first}")
    status, again = http_get(s, "/probe?target=198.51.100.10&module=quick")
    s.equal((status, again), (200, first), "a second scrape within min_interval: the same answer")

    targets = [L.GATEWAY_NAME, cs[0].addrs[0], cs[1].addrs[0]]
    job = P.multi_target("ikeprobe", EXPORTER, targets, params={"module": ["full"]},
                         scrape_interval="4s", scrape_timeout="3500ms")
    own = P.ScrapeJob("ikeprobe-exporter", [EXPORTER], scrape_interval="2s")
    prom = P.Prometheus(s.lab, [job, own])
    prom.start()
    try:
        prom.wait_for('count(ikeprobe_probe_success{job="ikeprobe"})',
                      lambda r: r and r[0]["value"][1] == "3", timeout=40)
    except L.LabError as e:
        s.errors.append(f"Prometheus never had all three probes: {e}; targets: "
                        f"{json.dumps(prom.targets())[:1500]}")
        return

    def value(q):
        r = prom.query(q)
        return float(r[0]["value"][1]) if r else None

    now = time.time()
    clean, bad_cert, no_4500 = targets
    checks = [
        (f'up{{job="ikeprobe",instance="{clean}"}}', 1),
        (f'ikeprobe_probe_success{{instance="{clean}"}}', 1),
        (f'ikeprobe_probe_success{{instance="{bad_cert}"}}', 0),
        (f'ikeprobe_probe_success{{instance="{no_4500}"}}', 0),
        (f'ikeprobe_port_open{{instance="{clean}",port="4500"}}', 1),
        (f'ikeprobe_port_open{{instance="{no_4500}",port="500"}}', 1),
        (f'ikeprobe_port_open{{instance="{no_4500}",port="4500"}}', 0),
        (f'ikeprobe_fragments_outbound_pass{{instance="{clean}",port="500"}}', 1),
        (f'ikeprobe_fragments_outbound_pass{{instance="{bad_cert}",port="500"}}', 0),
        (f'ikeprobe_fragments_inbound_pass{{instance="{clean}",port="500"}}', 1),
        (f'ikeprobe_path_mtu_bytes{{instance="{clean}"}}', 1500),
        (f'ikeprobe_ikev2_fragmentation_offered{{instance="{clean}"}}', 1),
        (f'ikeprobe_finding{{instance="{bad_cert}",code="cert-expired",severity="error"}}', 1),
        (f'ikeprobe_finding{{instance="{no_4500}",code="udp4500-silent"}}', 1),
    ]
    for q, want in checks:
        got = value(q)
        s.equal(got, want, f"Prometheus: {q}")
    exp = value(f'ikeprobe_certificate_expiry_timestamp_seconds{{instance="{clean}",protocol="ikev2"}}')
    s.check(exp is not None and exp > now + 300 * 86400,
            f"Prometheus: the clean gateway's IKEv2 certificate expiry: {exp}")
    exp = value(f'ikeprobe_certificate_expiry_timestamp_seconds{{instance="{clean}",protocol="sstp"}}')
    s.check(exp is not None and exp > now + 300 * 86400,
            f"Prometheus: the clean gateway's SSTP certificate expiry: {exp}")
    exp = value(f'ikeprobe_certificate_expiry_timestamp_seconds{{instance="{bad_cert}",protocol="ikev2"}}')
    s.check(exp is not None and exp < now, f"Prometheus: the expired certificate's expiry: {exp}")
    # The alert of docs/examples: a certificate expiring within 14 days.
    r = prom.query('ikeprobe_certificate_expiry_timestamp_seconds - time() < 14 * 86400')
    s.equal(sorted(x["metric"]["instance"] for x in r), [bad_cert],
            "Prometheus: the 14-day expiry alert's expression fires for")
    dur = value(f'ikeprobe_probe_duration_seconds{{instance="{no_4500}"}}')
    s.check(dur is not None and 0 < dur < 3.5, f"Prometheus: probe duration of {no_4500}: {dur}")
    n = value('sum(ikeprobe_exporter_probes_total{job="ikeprobe-exporter"})')
    s.check(n is not None and n >= 3, f"Prometheus: the exporter's own probes_total: {n}")
    s.exporter.terminate()
    try:
        rc = s.exporter.wait(timeout=10)
    except subprocess.TimeoutExpired:
        s.exporter.kill()
        rc = None
    s.equal(rc, 0, "exporter: exit status on SIGTERM")
    log = open(os.path.join(s.lab.tmp, "exporter.log")).read()
    for mark in s.h.SANITIZER_MARKS:
        s.check(mark not in log, f"exporter: `{mark}' in its log: {log[-600:]}")
    s.notes.append("exporter log:\n" + log[-1500:])


def register(scenario, helpers):
    """Put the scenarios into scenarios.py's table."""
    def reg(name, fn, nft=True):
        def wrapped(s):
            s.h = helpers
            return fn(s)
        wrapped.__doc__ = fn.__doc__
        scenario(name, nft=nft)(wrapped)

    reg("many-gateways", many_gateways)
    reg("many-loss-10", loss_repeated)
    reg("exporter-prometheus", exporter_prometheus)
