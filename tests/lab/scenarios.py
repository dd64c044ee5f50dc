#!/usr/bin/python3
"""Run one ikeprobe lab scenario: a real strongSwan gateway behind a router.

usage: scenarios.py --ikeprobe PATH SCENARIO
       scenarios.py schema      (schema self-check; no root, no lab)
       scenarios.py --list

Exit status follows meson/automake: 0 pass, 1 fail, 77 skip (not root, or a
tool the lab needs is missing; one line on stdout says which). On failure the
broken expectations are listed, followed by ikeprobe's command line, exit
status, stderr and JSON report, the router's nftables ruleset and the tail of
charon's log.

Every report is validated against schema/report.schema.json before the
scenario looks at its fields, strictly: a key the schema does not declare
fails the check, so the schema covers every key ikeprobe writes.
"""

import argparse
import ipaddress
import json
import os
import pwd
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
# Run as root from the source tree: leave no root-owned __pycache__ behind.
sys.dont_write_bytecode = True
import lab as L  # noqa: E402
from strict_schema import strict_schema  # noqa: E402

SCHEMA_PATH = os.path.normpath(os.path.join(HERE, "..", "..", "schema", "report.schema.json"))
COMPARE_SCHEMA_PATH = os.path.normpath(os.path.join(HERE, "..", "..", "schema", "compare.schema.json"))
# Keys every report of this version has, beyond what the schema requires of
# all versions (added after the first release).
CURRENT_KEYS = {
    "": ("nat", "others", "started_us", "stopped", "options", "auth", "certificate",
         "status", "exit_status", "worst_severity", "audit", "sstp"),
    "target": ("addresses", "cluster", "resolved"),
    "local": ("gateway", "network", "label", "hostname", "os", "kernel"),
    "responder": ("invalid_ke_group",),
    "capture": ("wrong_address", "wrong_port", "without_marker", "reasm_expired", "unrelated"),
    "nat": ("consequence",),
    "verdict": ("in_headline",),
    "fragments": ("tested", "inbound_evidence", "inbound_probe"),
    "options": ("auth", "ca", "audit", "sstp", "sstp_port"),
    "path_mtu": ("tested",),
}

EXIT_PASS, EXIT_FAIL, EXIT_SKIP = 0, 1, 77
OPEN_REPLIES = ("sa", "cookie", "invalid_ke", "no_proposal")
ICMP_DEST_UNREACH = 3
ICMP_PORT_UNREACH = 3
ICMP_ADMIN_PROHIBITED = 13


class Skip(Exception):
    pass


class Abort(Exception):
    """A check failed in a way that makes the rest of the scenario moot."""


class Scenario:
    """What one scenario run collects: the lab, failed checks, notes."""

    def __init__(self, name, ikeprobe, keep=False, verbose=False, replay=None):
        self.name = name
        self.ikeprobe_path = ikeprobe
        self.replay_path = replay
        self.replayed = 0
        self.keep = keep
        self.verbose = verbose
        self.lab = None
        self.errors = []
        self.notes = []
        self.reports = []   # (label, argv, rc, stdout, stderr) of each run
        self._validator = None

    # checks ------------------------------------------------------------

    def check(self, cond, msg):
        if not cond:
            self.errors.append(msg)
        return bool(cond)

    def equal(self, got, want, what):
        return self.check(got == want, f"{what}: got {got!r}, want {want!r}")

    def note(self, msg):
        self.notes.append(msg)

    def validator(self, path=SCHEMA_PATH, strict=False):
        """A validator for the schema in path; strict: one that also fails
        keys the schema does not declare (unevaluatedProperties: false on
        every object with properties)."""
        if self._validator is None:
            self._validator = {}
        if (path, strict) not in self._validator:
            try:
                import jsonschema
            except ImportError:
                raise Skip("python3-jsonschema is not installed")
            with open(path) as f:
                schema = json.load(f)
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            if strict:
                schema = strict_schema(schema)
            self._validator[(path, strict)] = cls(schema)
        return self._validator[(path, strict)]

    def validate(self, report, label, path=SCHEMA_PATH):
        """Validate ikeprobe's own output: strictly, and with the keys of
        this version (CURRENT_KEYS) present."""
        errs = sorted(self.validator(path, strict=True).iter_errors(report),
                      key=lambda e: list(e.path))
        for e in errs:
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            self.errors.append(f"{label}: schema: at {where}: {e.message}")
        if path == SCHEMA_PATH and isinstance(report, dict):
            for rep in [report] + [o for o in report.get("others", []) if isinstance(o, dict)]:
                for where, keys in CURRENT_KEYS.items():
                    obj = rep.get(where) if where else rep
                    for k in keys:
                        if rep is not report and k == "others":
                            continue
                        if not isinstance(obj, dict) or k not in obj:
                            errs.append(k)
                            self.errors.append(f"{label}: no {where + '.' if where else ''}{k} "
                                               "(every report of this version has it)")
        return not errs

    # running ikeprobe ------------------------------------------------------

    def ikeprobe(self, args=(), expect_rc=None, label=None, target=L.GATEWAY_ADDR,
                 all_addresses=False, dual=False):
        """Run ikeprobe --json in the client namespace; check rc, JSON, schema.
        A name (the lab's have A and AAAA records) is probed over IPv4 only
        (-4), as the scenarios of one family expect, unless dual: then
        over both, as ikeprobe does by default."""
        label = label or f"run {len(self.reports) + 1}"
        args = list(args)
        if target and not dual and not is_literal(target) and \
                not any(a in args for a in ("-4", "-6", "--ipv4", "--ipv6")):
            args = ["-4"] + args
        rc, report, err = self.lab.ikeprobe(pcap_args(self, args), target=target)
        argv, _, out, _ = self.lab.last_ikeprobe
        self.reports.append((label, argv, rc, out, err))
        if report is None:
            self.errors.append(f"{label}: stdout is not one JSON document (exit {rc})")
            raise Abort()
        if expect_rc is not None:
            self.equal(rc, expect_rc, f"{label}: exit status")
        # The ASan+UBSan build reports on stderr and may carry on.
        for mark in SANITIZER_MARKS:
            self.check(mark not in err, f"{label}: `{mark}' on stderr: {err[-400:]}")
        if not self.validate(report, label):
            raise Abort()
        args = list(args)
        ports = args[args.index("--ports") + 1].split(",") if "--ports" in args else None
        self.common_checks(report, rc, label, all_addresses=all_addresses or dual, ports=ports,
                           dual=dual)
        return report

    def common_checks(self, rep, rc, label, all_addresses=False, ports=None, dual=False):
        """What must hold in every report from the lab, whatever the scenario.
        all_addresses: rc is the worst of rep and its others. ports: those
        asked for with --ports (default 500 and 4500)."""
        self.equal(rep["complete"], True, f"{label}: complete")
        # One sentence a helpdesk reads aloud, whole (never cut).
        self.check(len(rep["headline"]) <= 120 and rep["headline"].endswith("."),
                   f"{label}: headline of {len(rep['headline'])} characters: {rep['headline']!r}")
        if not all_addresses:   # else rc is the worst of the reports
            self.equal((rep["status"], rep["exit_status"]), ("ok" if rc == 0 else "problem", rc),
                       f"{label}: (status, exit_status)")
        self.equal(rep["status"] == "ok", rep["exit_status"] == 0, f"{label}: status ok iff exit_status 0")
        worst = max((["info", "warning", "error"].index(f["severity"]) for f in rep["findings"]),
                    default=0)
        self.equal(rep["worst_severity"], ["info", "warning", "error"][worst],
                   f"{label}: worst_severity")
        sev = [["info", "warning", "error"].index(f["severity"]) for f in rep["findings"]]
        self.equal(sev, sorted(sev, reverse=True), f"{label}: findings sorted, errors first")
        # Each family from its own addresses (IPv6: the lab's 2001:db8::/32).
        v6 = rep["target"]["family"] == "ipv6"
        gw, me, hop, net = ((L.GATEWAY_ADDR6, L.CLIENT_ADDR6, L.ROUTER_CLIENT_ADDR6, "2001:db8:1::/64")
                            if v6 else (L.GATEWAY_ADDR, L.CLIENT_ADDR, L.ROUTER_CLIENT_ADDR,
                                        "192.0.2.0/24"))
        self.check(rep["target"]["family"] in ("ipv4", "ipv6"), f"{label}: target.family")
        self.equal(rep["target"]["address"], gw, f"{label}: target.address")
        self.equal(rep["local"]["address"], me, f"{label}: local.address")
        self.equal(rep["local"]["interface"], self.lab.ifname["client"], f"{label}: local.interface")
        self.equal(rep["local"]["mtu"], 1500, f"{label}: local.mtu")
        # The context that tells one network's report from another's.
        self.equal(rep["local"]["gateway"], hop, f"{label}: local.gateway (next hop)")
        self.equal(rep["local"]["network"], net, f"{label}: local.network")
        for k in ("hostname", "os", "kernel"):
            self.check(rep["local"][k], f"{label}: local.{k} is empty")
        self.check(gw in rep["target"]["addresses"],
                   f"{label}: target.addresses lacks {gw}: {rep['target']['addresses']}")
        if not all_addresses and not dual:
            self.equal(rep["others"], [], f"{label}: others (no --all-addresses)")
        if rep["nat"]["detected"] is not None:
            self.check(rep["nat"]["probe"] is not None, f"{label}: nat.detected without nat.probe")
        self.equal(sorted(rep["ports"], key=int), sorted(ports or ["500", "4500"], key=int),
                   f"{label}: ports probed")
        every = [rep] + (rep.get("others", []) if all_addresses else [])
        all_open = all(v["state"] == "open" for r in every for v in r["ports"].values())
        self.check(rc == 1 or all_open,
                   f"{label}: exit {rc} but port states are "
                   + ", ".join(f"{p} {v['state']}" for p, v in rep["ports"].items()))
        severities = [f["severity"] for r in every for f in r["findings"]]
        if rc == 0:
            self.check(all(s == "info" for s in severities),
                       f"{label}: exit 0 with a warning or error finding")
        elif rc == 1:
            self.check(any(s != "info" for s in severities),
                       f"{label}: exit 1 but no warning or error finding")
        codes = [f["code"] for f in rep["findings"]]
        needed = rep["verdict"]["ikev2_fragmentation_needed"]
        self.check(rep["verdict"]["reason"], f"{label}: verdict.reason is empty")
        if needed is True:
            self.check(any(c in codes for c in ("fragments-dropped", "path-mtu-black-hole",
                                                 "return-fragments-dropped")),
                       f"{label}: IKEv2 fragmentation needed, but no finding says why: {codes}")
        if rep["fragments"]["outbound"] == "dropped":
            self.equal(needed, True, f"{label}: verdict with fragments dropped")
        if rep["path_mtu"]["black_hole"]:
            self.equal(rep["path_mtu"]["source"], "probing", f"{label}: black hole path_mtu.source")
        for p in rep["probes"]:
            if p["fragments"] > 1:
                self.equal(p["df"], False, f"{label}: fragmented probe #{p['id']} df")
            if p["purpose"] == "path-mtu":
                self.equal(p["df"], True, f"{label}: path-mtu probe #{p['id']} df")
        for port, v in rep["ports"].items():
            mine = [p for p in rep["probes"] if p["port"] == int(port)]
            self.check(mine, f"{label}: no probe entry for port {port}")
            if v["state"] != "open":
                code = f"udp{port}-{v['state']}"
                self.check(any(f["code"] == code for f in rep["findings"]),
                           f"{label}: no finding {code}; codes: "
                           + ", ".join(f["code"] for f in rep["findings"]))
        spis = {}
        for p in rep["probes"]:
            self.check(str(p["port"]) in rep["ports"],
                       f"{label}: probe to port {p['port']} not in ports")
            # What identifies its exchange, and when it went and ended.
            self.equal(len(p["sent_ms"]), p["attempts"], f"{label}: probe #{p['id']} sent_ms per attempt")
            self.check(p["sent_ms"] == sorted(p["sent_ms"]), f"{label}: probe #{p['id']} sent_ms out of order")
            self.check((p["ended_ms"] is None) == (p["result"] == "pending"),
                       f"{label}: probe #{p['id']} ended_ms {p['ended_ms']} with result {p['result']}")
            if p["ended_ms"] is not None and p["sent_ms"]:
                self.check(p["ended_ms"] >= p["sent_ms"][0],
                           f"{label}: probe #{p['id']} ended before it was sent")
            if p["kind"] in ("auth", "close"):
                # In the IKE SA of probe `sa`: its SPIs.
                sa = rep["probes"][p["sa"]]
                self.equal((p["spi_i"], sa["kind"], sa["result"]), (sa["spi_i"], "sa", "answered"),
                           f"{label}: probe #{p['id']} (spi_i, kind, result) of its SA #{p['sa']}")
                self.check(p["result"] != "answered" or p["answer"] != "none",
                           f"{label}: probe #{p['id']} answered with answer none")
                continue
            # A COOKIE echo (of any probe: the audit's offers too, when a
            # burst of them meets the gateway's half-open threshold) keeps
            # its parent's SPI (RFC 7296 2.6).
            if "follows" in p and rep["probes"][p["follows"]]["reply"] == "cookie":
                self.equal(p["spi_i"], rep["probes"][p["follows"]]["spi_i"],
                           f"{label}: COOKIE echo #{p['id']} spi_i")
            elif p["spi_i"] in spis:
                self.check(False, f"{label}: probes #{spis[p['spi_i']]} and #{p['id']} share SPI {p['spi_i']}")
            spis.setdefault(p["spi_i"], p["id"])
            if p["result"] == "answered":
                self.check(is_number(p["rtt_ms"]), f"{label}: answered probe without rtt_ms: {p}")
            if p["result"] == "icmp":
                self.check(p.get("icmp") is not None, f"{label}: icmp probe without icmp: {p}")

    # port expectations -------------------------------------------------------

    def port(self, rep, port, state, label="report", replies=OPEN_REPLIES):
        """ports.PORT is in state, with what that state needs (an open port:
        a reply from replies, an answered probe, an RTT)."""
        v = rep["ports"].get(str(port))
        if not self.check(v is not None, f"{label}: port {port} missing"):
            return None
        what = f"{label}: ports.{port}"
        self.equal(v["state"], state, f"{what}.state")
        mine = [p for p in rep["probes"] if p["port"] == port]
        if state == "open":
            self.check(v["reply"] in replies, f"{what}.reply: got {v['reply']!r}, want one of {replies}")
            self.equal(v["icmp"], None, f"{what}.icmp")
            self.check(is_number(v["rtt_ms"]) and v["rtt_ms"] >= 0,
                       f"{what}.rtt_ms: got {v['rtt_ms']!r}, want a number")
            self.check(any(p["result"] == "answered" for p in mine),
                       f"{what}: open but no answered probe")
        elif state == "silent":
            self.equal(v["reply"], None, f"{what}.reply")
            self.equal(v["icmp"], None, f"{what}.icmp")
            self.equal(v["rtt_ms"], None, f"{what}.rtt_ms")
            for p in mine:
                self.equal(p["result"], "lost", f"{label}: probe to {port} ({p['kind']}) result")
                self.check(p["attempts"] >= 3,
                           f"{label}: probe to {port} ({p['kind']}): {p['attempts']} attempts, want >= 3")
        elif state in ("closed", "filtered"):
            self.equal(v["reply"], None, f"{what}.reply")
            self.check(any(p["result"] == "icmp" for p in mine), f"{what}: no probe with result icmp")
            self.check(not any(p["result"] == "answered" for p in mine),
                       f"{what}: {state} but a probe was answered")
        return v

    def icmp(self, v, type_, code, from_, label="report"):
        if v is None:
            return
        i = v["icmp"]
        if not self.check(i is not None, f"{label}: icmp is null, want type {type_} code {code}"):
            return
        self.equal(i["type"], type_, f"{label}: icmp.type")
        self.equal(i["code"], code, f"{label}: icmp.code")
        self.equal(i["from"], from_, f"{label}: icmp.from")

    # fragment and path-MTU expectations --------------------------------

    def clean_path(self, rep, label="report", mtu=1500, source="local", inbound="unknown"):
        """What a run on a path that carries fragments and large datagrams
        shows. inbound: the lab's PSK gateway answers IKE_AUTH with a small
        AUTHENTICATION_FAILED, so the return direction stays unknown."""
        f, m, v = rep["fragments"], rep["path_mtu"], rep["verdict"]
        self.equal(f["outbound"], "pass", f"{label}: fragments.outbound")
        self.check(isinstance(f["largest_answered"], int) and f["largest_answered"] >= 4500,
                   f"{label}: fragments.largest_answered: {f['largest_answered']!r}, want >= 4500")
        self.equal(f["smallest_lost"], None, f"{label}: fragments.smallest_lost")
        self.equal(f["fragment_size"], 1280, f"{label}: fragments.fragment_size")
        self.equal(f["inbound"], inbound, f"{label}: fragments.inbound")
        self.equal(m["value"], mtu, f"{label}: path_mtu.value")
        self.equal(m["source"], source, f"{label}: path_mtu.source")
        self.equal(m["black_hole"], False, f"{label}: path_mtu.black_hole")
        self.equal(v["ikev2_fragmentation_needed"], False, f"{label}: verdict.ikev2_fragmentation_needed")
        codes = [x["code"] for x in rep["findings"]]
        for bad in ("fragments-dropped", "fragments-inconclusive", "path-mtu-black-hole",
                    "path-mtu-inconclusive"):
            self.check(bad not in codes, f"{label}: finding {bad} on a clean path: {codes}")
        # The report says "not tested" in its Return row; a finding that
        # repeated it in every report was noise (user test, issue 16).
        self.check("return-direction-untested" not in codes,
                   f"{label}: finding return-direction-untested: {codes}")
        for p in rep["probes"]:
            if p["purpose"] in ("fragments", "path-mtu"):
                self.equal(p["kind"], "stateless", f"{label}: size probe #{p['id']} kind")
        fragged = [p for p in rep["probes"] if p["purpose"] == "fragments"]
        for port in (500, 4500):
            self.check(any(p["port"] == port and p["result"] == "answered" and p["fragments"] >= 4
                           for p in fragged),
                       f"{label}: no answered probe in >= 4 fragments on UDP {port}")
        t = rep["traffic"]
        self.check(t["packets_sent"] <= 60, f"{label}: {t['packets_sent']} packets sent, want <= 60")
        self.check(t["full_sa_replies"] <= 4, f"{label}: {t['full_sa_replies']} full SA replies, want <= 4")

    # diagnostics ---------------------------------------------------------

    def dump(self, out=sys.stdout):
        w = out.write
        for label, argv, rc, stdout, stderr in self.reports:
            w(f"--- ikeprobe {label}: {' '.join(argv)}\n    exit {rc}\n")
            w("--- stderr:\n" + (stderr if stderr else "(empty)\n"))
            try:
                w("--- report:\n" + json.dumps(json.loads(stdout), indent=2) + "\n")
            except ValueError:
                w("--- stdout (not JSON):\n" + (stdout or "(empty)") + "\n")
        if self.lab and self.lab.tmp:
            w("--- router nftables ruleset:\n" + (self.lab.ruleset() or "(empty)\n"))
            if self.lab.charon is not None:
                w(self.lab.charon_log(tail=120))
            try:
                with open(os.path.join(self.lab.tmp, "hostile.log"), errors="replace") as f:
                    w("--- hostile.log (tail):\n" + "".join(f.readlines()[-60:]))
            except OSError:
                pass
        out.flush()


def is_literal(target):
    try:
        ipaddress.ip_address(target.strip("[]"))
        return True
    except ValueError:
        return False


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def finding(s, rep, code, label, severity="warning"):
    """The finding CODE of rep, checked for its severity; None (and a failed
    check) if the report lacks it."""
    f = next((x for x in rep["findings"] if x["code"] == code), None)
    if s.check(f is not None, f"{label}: no finding {code}; codes: "
               + ", ".join(x["code"] for x in rep["findings"])):
        s.equal(f["severity"], severity, f"{label}: {code} severity")
    return f


def says(s, f, words, label):
    if f is not None:
        s.check(words in f["summary"], f"{label}: {f['code']} does not say `{words}': {f['summary']}")


def spawn(s, argv, text=True):
    """Start argv in the client namespace, stdout and stderr piped; it dies
    with the test."""
    return subprocess.Popen(["ip", "netns", "exec", s.lab.client] + argv,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=text, preexec_fn=L.die_with_parent)


def user_home(s, name):
    """A directory of the user nobody in the lab's temporary directory, as
    a user's home under sudo: (nobody's passwd entry, its path)."""
    nobody = pwd.getpwnam("nobody")
    home = os.path.join(s.lab.tmp, name)
    os.mkdir(home, 0o755)
    os.chown(home, nobody.pw_uid, nobody.pw_gid)
    os.chmod(s.lab.tmp, 0o755)
    return nobody, home


def pcap_args(s, args):
    """args with --pcap FILE added, unless the run writes a capture of its
    own (--pcap, -w, --output): every report is then re-derived from its
    capture at the end of the scenario (replay_all). The directory is open
    to all, for runs as nobody."""
    args = list(args)
    if any(a in args for a in ("--pcap", "-w", "--output", "-o")):
        return args
    d = os.path.join(s.lab.tmp, "pcaps")
    if not os.path.isdir(d):
        os.makedirs(d)
        os.chmod(s.lab.tmp, 0o755)
        os.chmod(d, 0o777)
    return ["--pcap", os.path.join(d, f"run-{len(s.reports) + 1}.pcap")] + args


def capture_of(argv):
    """The capture a run wrote: --pcap/-w FILE, or --output DIR's."""
    for i, a in enumerate(argv[:-1]):
        if a in ("--pcap", "-w"):
            return argv[i + 1]
        if a in ("--output", "-o"):
            return os.path.join(argv[i + 1], "capture.pcap")
    return None


def differences(a, b, path=""):
    """Where two JSON values differ, as a list of paths."""
    if type(a) is not type(b):
        return [path or "(top)"]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}".lstrip("."))
            else:
                out += differences(a[k], b[k], f"{path}.{k}".lstrip("."))
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{path} (length {len(a)} vs {len(b)})"]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += differences(x, y, f"{path}.{i}")
        return out
    return [] if a == b else [path or "(top)"]


def replay_all(s):
    """Every report of the scenario, re-derived from the run's own capture
    by the same matching code (tests/tools/replay.c), must equal the
    report the run printed: port states, fragment and path-MTU verdicts,
    findings, every probe's outcome, the counts."""
    if not s.replay_path:
        return
    for label, argv, rc, out, err in s.reports:
        pcap = capture_of(argv)
        try:
            live = json.loads(out)
        except (ValueError, TypeError):
            continue
        if not pcap or not os.path.exists(pcap) or not isinstance(live, dict) \
                or "probes" not in live:
            continue
        path = os.path.join(s.lab.tmp, "live.json")
        with open(path, "w") as f:
            f.write(out)
        p = subprocess.run([s.replay_path, path, pcap], capture_output=True, text=True)
        s.replayed += 1
        try:
            again = json.loads(p.stdout)
        except ValueError:
            s.errors.append(f"{label}: replay of {pcap} failed (exit {p.returncode}): "
                            f"{p.stderr.strip()}")
            continue
        diff = differences(live, again)
        if diff:
            s.errors.append(f"{label}: the report re-derived from its capture differs at "
                            + ", ".join(diff[:12]) + ("" if len(diff) <= 12 else ", ..."))
            s.notes.append(f"{label}: re-derived report:\n" + json.dumps(again, indent=2))
        want = 3 if live.get("stopped") and live["stopped"]["reason"] == "fault" else rc
        if rc in (0, 1, 3):
            s.equal(p.returncode, want, f"{label}: exit status re-derived from the capture")


def gw_rule(rule):
    """A forward-chain rule for traffic from the client to the gateway."""
    return f"ip saddr {L.CLIENT_ADDR} ip daddr {L.GATEWAY_ADDR} {rule}"


# -- the scenarios -------------------------------------------------------------

SCENARIOS = {}


def scenario(name, charon=True, nft=False, tshark=False):
    def reg(fn):
        SCENARIOS[name] = (fn, dict(need_charon=charon, need_nft=nft, need_tshark=tshark))
        return fn
    return reg


@scenario("all-open")
def all_open(s):
    s.lab.start_charon(L.GatewayConfig(send_vendor_id=True))
    rep = s.ikeprobe(expect_rc=0)
    for port in (500, 4500):
        s.port(rep, port, "open")
    r = rep["responder"]
    s.equal(r["fragmentation_supported"], True, "responder.fragmentation_supported")
    s.check("IKEV2_FRAGMENTATION_SUPPORTED" in r["notifies"],
            f"responder.notifies lacks IKEV2_FRAGMENTATION_SUPPORTED: {r['notifies']}")
    names = [v["name"] for v in r["vendor_ids"]]
    s.check("strongSwan" in names, f"responder.vendor_ids: no strongSwan (send_vendor_id = yes): {names}")
    s.check(r["chosen"], "responder.chosen is empty or null after a full SA reply")
    s.check(r["ke_group"] is not None, "responder.ke_group is null after a full SA reply")
    s.check(isinstance(r["nonce_length"], int) and 16 <= r["nonce_length"] <= 256,
            f"responder.nonce_length: {r['nonce_length']!r}")
    s.clean_path(rep)
    # Both NAT_DETECTION notifies went out and came back matching: no NAT.
    s.check("NAT_DETECTION_SOURCE_IP" in r["notifies"] and "NAT_DETECTION_DESTINATION_IP" in r["notifies"],
            f"responder.notifies lacks the NAT_DETECTION notifies: {r['notifies']}")
    n = rep["nat"]
    s.equal((n["detected"], n["client_side"], n["gateway_side"]), (False, False, False),
            "nat (detected, client_side, gateway_side) on the plain path")
    s.check("no NAT" in n["evidence"], f"nat.evidence: {n['evidence']!r}")
    s.equal(s.reports[-1][4], "", "stderr of a run without -v")
    # The size probes' padding is a notify type charon does not know (0.2's
    # 40969 was strongSwan's RADIUS_ATTRIBUTE, logged as N(RADIUS)).
    log = s.lab.charon_log()
    s.check("N(RADIUS)" not in log, "charon parsed the padding as its RADIUS_ATTRIBUTE notify")
    s.check("N((61873))" in log, "charon's log shows no padded request (N((61873)))")
    # -v: every datagram sent and every frame captured on stderr, decoded
    # and matched; the report is the same.
    rep = s.ikeprobe(["-v", "--quick"], expect_rc=0, label="-v")
    err = s.reports[-1][4]
    lines = [ln for ln in err.splitlines() if ln.startswith("ikeprobe: ")]
    s.equal(len(lines), len(err.splitlines()), "-v: every stderr line is a trace line")
    sent = [ln for ln in lines if " -> #" in ln]
    s.equal(len(sent), sum(p["attempts"] * p["fragments"] for p in rep["probes"]),
            "-v: one line per datagram sent")
    for p in rep["probes"]:
        spi = p["spi_i"][:8]
        s.check(any(f"-> #{p['id']} try 1/" in ln and f"SPIi {spi}.." in ln for ln in sent),
                f"-v: no line for probe #{p['id']} sent with SPIi {spi}")
        s.check(any(f": ours, leaving #{p['id']} " in ln for ln in lines),
                f"-v: probe #{p['id']} not seen leaving")
        if p["result"] == "answered":
            s.check(any(f"IKE_SA_INIT response" in ln and f"SPIi {spi}.." in ln and
                        f": answer #{p['id']} " in ln for ln in lines),
                    f"-v: no answer line for probe #{p['id']}")
    for port in (500, 4500):
        s.port(rep, port, "open", label="-v")


@scenario("udp500-dropped", nft=True)
def udp500_dropped(s):
    s.lab.start_charon()
    s.lab.add_rule_table(forward=[gw_rule("udp dport 500 drop")])
    rep = s.ikeprobe(expect_rc=1)
    s.port(rep, 500, "silent")
    s.port(rep, 4500, "open")


@scenario("udp500-rejected", nft=True)
def udp500_rejected(s):
    s.lab.start_charon()
    s.lab.add_rule_table(forward=[gw_rule("udp dport 500 reject with icmp type admin-prohibited")])
    rep = s.ikeprobe(expect_rc=1)
    v = s.port(rep, 500, "filtered")
    s.icmp(v, ICMP_DEST_UNREACH, ICMP_ADMIN_PROHIBITED, L.ROUTER_CLIENT_ADDR, "ports.500")
    s.port(rep, 4500, "open")
    # 4500 answering does not save the client: it starts on 500.
    s.check("error 809" in rep["headline"] and "clients start there" in rep["headline"],
            f"headline: {rep['headline']!r}")
    f = finding(s, rep, "udp500-filtered", "udp500-filtered", "error")
    if f:
        s.check("809" in f["summary"], f"udp500-filtered does not name error 809: {f['summary']}")


@scenario("udp4500-dropped", nft=True)
def udp4500_dropped(s):
    s.lab.start_charon()
    s.lab.add_rule_table(forward=[gw_rule("udp dport 4500 drop")])
    rep = s.ikeprobe(expect_rc=1)
    s.port(rep, 500, "open")
    s.port(rep, 4500, "silent")
    f = finding(s, rep, "udp4500-silent", "udp4500-silent")
    if f:
        s.check("809" in f["summary"], f"udp4500-silent does not name error 809: {f['summary']}")
        # Open what is closed, not what already answers.
        s.check("500" not in f["advice"].replace("4500", ""),
                f"udp4500-silent advice names UDP 500, which is open: {f['advice']}")


@scenario("no-daemon", charon=False)
def no_daemon(s):
    # No charon: the gateway's kernel answers with ICMP port unreachable.
    rep = s.ikeprobe(expect_rc=1)
    for port in (500, 4500):
        v = s.port(rep, port, "closed")
        s.icmp(v, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, L.GATEWAY_ADDR, f"ports.{port}")
    r = rep["responder"]
    s.equal(r["fragmentation_supported"], None, "responder.fragmentation_supported")
    s.equal(r["chosen"], None, "responder.chosen")
    s.equal(r["ke_group"], None, "responder.ke_group")
    # The most ports one run takes: the headline names them all, whole
    # (a fixed buffer once cut it mid-word; user test, issue 16).
    ports = [str(p) for p in range(10000, 10008)]
    rep = s.ikeprobe(["--quick", "--ports", ",".join(ports)], expect_rc=1, label="eight ports")
    h = rep["headline"]
    s.check(h.endswith("UDP " + "/".join(ports) + " are blocked."), f"eight ports: headline {h!r}")


@scenario("all-dropped", nft=True)
def all_dropped(s):
    s.lab.start_charon()
    s.lab.add_rule_table(forward=[gw_rule("meta l4proto udp drop")])
    rep = s.ikeprobe(expect_rc=1)
    for port in (500, 4500):
        s.port(rep, port, "silent")
    s.equal(rep["responder"]["fragmentation_supported"], None, "responder.fragmentation_supported")


@scenario("low-half-open")
def low_half_open(s):
    # What strongSwan 5.9.8 does here (seen in charon's log):
    # - Each run leaves one half-open IKE SA (the full SA reply on 500) for
    #   half_open_timeout (30 s); the stateless INVALID_KE request on 4500
    #   leaves none.
    # - cookie_threshold_ip = 1: a request gets COOKIE as soon as one IKE SA
    #   from this address is half open, counting requests not yet processed.
    #   So already the first run usually gets COOKIE on 4500 (the 500
    #   request, sent just before, counts), and later runs get COOKIE on both.
    # - ikeprobe answers a COOKIE on 500 with the cookie echo. COOKIE is
    #   checked before block_threshold, so with block_threshold = 2 the
    #   third run's echo is dropped silently ("ignoring IKE_SA setup from
    #   192.0.2.10, per-IP half-open IKE_SA limit of 2 reached"); the port
    #   still answered (COOKIE), so it is open, not silent.
    # The default limits (cookie_threshold_ip 3, block_threshold 5) show the
    # same from the third and sixth run on.
    s.lab.start_charon(L.GatewayConfig(cookie_threshold_ip=1, cookie_threshold=10,
                                       block_threshold=2, half_open_timeout=30))
    rep = None
    for i in range(1, 4):
        rep = s.ikeprobe(expect_rc=0, label=f"run {i}")
        for port in (500, 4500):
            s.port(rep, port, "open", label=f"run {i}")
    # COOKIE answers prove arrival as well as any: the size tests must not
    # mistake the gateway's defences for dropped fragments or a black hole.
    s.check(rep["fragments"]["outbound"] in ("pass", "inconclusive"),
            f"run 3: fragments.outbound {rep['fragments']['outbound']}")
    s.check(rep["verdict"]["ikev2_fragmentation_needed"] is not True,
            "run 3: IKEv2 fragmentation called needed on a clean path")
    s.check(not rep["path_mtu"]["black_hole"], "run 3: black hole on a clean path")
    s.check(rep["traffic"]["full_sa_replies"] <= 4,
            f"run 3: {rep['traffic']['full_sa_replies']} full SA replies")
    cookies = [p for p, v in rep["ports"].items() if v["reply"] == "cookie"]
    s.check(cookies, "run 3: no port reports reply cookie: "
            + ", ".join(f"{p} {v['reply']}" for p, v in rep["ports"].items()))
    s.check(any(p["reply"] == "cookie" for p in rep["probes"]), "run 3: no probe got a COOKIE")
    log = s.lab.charon_log()
    s.check("sending COOKIE notify" in log, "charon never sent a COOKIE (see its log)")
    if "half-open IKE_SA limit" in log:
        s.note("charon dropped a request at block_threshold (cookie echo), as expected")


def frag_dropped_checks(s, rep, offered):
    f, v = rep["fragments"], rep["verdict"]
    s.equal(f["outbound"], "dropped", "fragments.outbound")
    s.equal(f["smallest_lost"], 2500, "fragments.smallest_lost")
    s.equal(f["largest_answered"], None, "fragments.largest_answered")
    s.equal(v["ikev2_fragmentation_needed"], True, "verdict.ikev2_fragmentation_needed")
    for port in ("500", "4500"):
        pf = f["ports"].get(port) or {}
        s.equal(pf.get("outbound"), "dropped", f"fragments.ports.{port}.outbound")
        s.check(pf.get("control_probe") is not None,
                f"fragments.ports.{port}: no control probe vouches for the loss")
    # Unfragmented datagrams still cross whole: the path is fine otherwise.
    s.equal(rep["path_mtu"]["value"], 1500, "path_mtu.value")
    s.equal(rep["path_mtu"]["black_hole"], False, "path_mtu.black_hole")
    s.equal(rep["responder"]["fragmentation_supported"], offered,
            "responder.fragmentation_supported")
    fd = [x for x in rep["findings"] if x["code"] == "fragments-dropped"]
    if s.check(fd, "no finding fragments-dropped"):
        s.equal(fd[0]["severity"], "error", "fragments-dropped severity")
        if offered:
            s.check("1803" in fd[0]["advice"] or "1803" in v["reason"],
                    f"advice does not name the Windows clients that use it: {fd[0]['advice']}")
        else:
            s.check("EnableServerFragmentation" in fd[0]["advice"],
                    f"advice does not name the gateway setting: {fd[0]['advice']}")
            s.check("Windows Server 2019" in fd[0]["advice"] and "2016" not in fd[0]["advice"],
                    f"RRAS advice names the wrong Windows Server: {fd[0]['advice']}")
        s.check("809" in fd[0]["summary"], f"fragments-dropped does not name error 809: {fd[0]['summary']}")
        # The evidence once: in the finding, not again in the verdict's reason.
        s.check(fd[0]["summary"] != v["reason"] and "2500" not in fd[0]["advice"],
                f"fragments-dropped repeats its evidence: {fd[0]}")
    # Every lost fragmented size was tried twice, with fresh probes.
    lost = [p for p in rep["probes"] if p["purpose"] == "fragments" and p["result"] == "lost"]
    for port in (500, 4500):
        mine = [p for p in lost if p["port"] == port and p["size"] == 2500]
        s.check(len(mine) >= 2, f"UDP {port}: {len(mine)} lost 2500-byte probes, want 2")
        s.check(all(p["attempts"] >= 5 for p in mine), f"UDP {port}: lost probes retried too little")


FRAG_ANY = "ip frag-off & 0x3fff != 0"      # MF set or an offset: any fragment
FRAG_NONFIRST = "ip frag-off & 0x1fff != 0"  # an offset: all but the first


@scenario("frag-all-dropped", nft=True)
def frag_all_dropped(s):
    s.lab.start_charon()
    s.lab.add_rule_table(prerouting=[f"ip daddr {L.GATEWAY_ADDR} {FRAG_ANY} drop"])
    rep = s.ikeprobe(expect_rc=1)
    for port in (500, 4500):
        s.port(rep, port, "open")
    frag_dropped_checks(s, rep, True)


@scenario("frag-nonfirst-dropped", nft=True)
def frag_nonfirst_dropped(s):
    s.lab.start_charon()
    s.lab.add_rule_table(prerouting=[f"ip daddr {L.GATEWAY_ADDR} {FRAG_NONFIRST} drop"])
    rep = s.ikeprobe(expect_rc=1)
    frag_dropped_checks(s, rep, True)


@scenario("frag-nonfirst-reasm-timeout", nft=True)
def frag_nonfirst_reasm_timeout(s):
    # As above, but the gateway gives up reassembly after 1 s instead of
    # 30 and says so: ICMP time exceeded, fragment reassembly (11/1), which
    # quotes the first fragment. That ICMP is the evidence.
    s.lab.ns(s.lab.gateway, ["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ipfrag_time"])
    s.lab.start_charon()
    s.lab.add_rule_table(prerouting=[f"ip daddr {L.GATEWAY_ADDR} {FRAG_NONFIRST} drop"])
    rep = s.ikeprobe(expect_rc=1)
    f = rep["fragments"]
    s.equal(f["outbound"], "dropped", "fragments.outbound")
    s.equal(f["smallest_lost"], 2500, "fragments.smallest_lost")
    s.equal(rep["verdict"]["ikev2_fragmentation_needed"], True, "verdict.ikev2_fragmentation_needed")
    timed_out = [p for p in rep["probes"] if p["purpose"] == "fragments" and p["result"] == "icmp"]
    if s.check(timed_out, "no fragmented probe ended with the gateway's ICMP"):
        for p in timed_out:
            s.equal((p["icmp"]["type"], p["icmp"]["code"], p["icmp"]["from"]), (11, 1, L.GATEWAY_ADDR),
                    f"probe #{p['id']}: icmp (type, code, from)")
    s.check("fragment reassembly time exceeded from " + L.GATEWAY_ADDR in f["evidence"]
            and "the rest never did" in f["evidence"],
            f"fragments.evidence does not name the gateway's reassembly timeout: {f['evidence']}")
    finding(s, rep, "fragments-dropped", "reassembly timeout", severity="error")
    # Nothing else is wrong: unfragmented datagrams cross whole.
    s.equal(rep["path_mtu"]["value"], 1500, "path_mtu.value")
    for port in (500, 4500):
        s.port(rep, port, "open")


@scenario("gateway-nofrag-frags-dropped", nft=True)
def gateway_nofrag(s):
    s.lab.start_charon(L.GatewayConfig(fragmentation="no"))
    s.lab.add_rule_table(prerouting=[f"ip daddr {L.GATEWAY_ADDR} {FRAG_ANY} drop"])
    rep = s.ikeprobe(expect_rc=1)
    frag_dropped_checks(s, rep, False)
    s.check("does NOT offer" in rep["verdict"]["reason"],
            f"verdict does not say the gateway lacks it: {rep['verdict']['reason']}")


def pmtu_icmp_checks(s, rep, mtu):
    m = rep["path_mtu"]
    s.equal(m["value"], mtu, "path_mtu.value")
    s.equal(m["source"], "icmp", "path_mtu.source")
    s.equal(m["icmp"], "seen", "path_mtu.icmp")
    s.equal(m["router"], L.ROUTER_CLIENT_ADDR, "path_mtu.router")
    s.equal(m["router_mtu"], mtu, "path_mtu.router_mtu")
    s.check(any(p["result"] == "icmp" and p["icmp"]["type"] == 3 and p["icmp"]["code"] == 4
                and p["icmp"].get("mtu") == mtu for p in rep["probes"]),
            "no probe records ICMP fragmentation needed with the MTU")
    s.check(any(x["code"] == "path-mtu-reduced" for x in rep["findings"]),
            "no finding path-mtu-reduced")


def mtu_icmp(mtu):
    # The router's link to the gateway is smaller, and the router says so.
    def run(s):
        s.lab.start_charon()
        s.lab.set_mtu("router-gateway", mtu)
        rep = s.ikeprobe(expect_rc=0)
        s.clean_path(rep, mtu=mtu, source="icmp")
        pmtu_icmp_checks(s, rep, mtu)
    return run


for _mtu in (1400, 1280):
    scenario(f"mtu{_mtu}-icmp", nft=True)(mtu_icmp(_mtu))


@scenario("mtu1400-black-hole", nft=True)
def mtu1400_black_hole(s):
    s.lab.start_charon()
    s.lab.set_mtu("router-gateway", 1400)
    # The router still forwards what fits, but its "fragmentation needed"
    # errors never leave it.
    s.lab.add_rule_table(output=["icmp type destination-unreachable icmp code frag-needed drop"])
    rep = s.ikeprobe(expect_rc=1)
    m, v = rep["path_mtu"], rep["verdict"]
    s.check(isinstance(m["value"], int) and 1400 - 7 <= m["value"] <= 1400,
            f"path_mtu.value: {m['value']!r}, want 1393..1400 (within 8 bytes of 1400)")
    s.equal(m["source"], "probing", "path_mtu.source")
    s.equal(m["icmp"], "filtered", "path_mtu.icmp")
    s.equal(m["black_hole"], True, "path_mtu.black_hole")
    s.equal(m["router"], None, "path_mtu.router")
    s.check(m["smallest_failed"] - m["largest_answered"] <= 8,
            f"path MTU bracket {m['largest_answered']}..{m['smallest_failed']} wider than 8 bytes")
    s.check(not any(p["result"] == "icmp" for p in rep["probes"]), "an ICMP error got through")
    s.equal(v["ikev2_fragmentation_needed"], True, "verdict.ikev2_fragmentation_needed")
    bh = [x for x in rep["findings"] if x["code"] == "path-mtu-black-hole"]
    if s.check(bh, "no finding path-mtu-black-hole"):
        s.check(str(m["value"]) in bh[0]["summary"] and str(m["value"]) in bh[0]["advice"],
                f"black-hole finding does not name the size limit: {bh[0]}")
    # The router fragments what it forwards without DF: fragments pass.
    s.equal(rep["fragments"]["outbound"], "pass", "fragments.outbound")
    t = rep["traffic"]
    s.check(t["packets_sent"] <= 60, f"{t['packets_sent']} packets sent, want <= 60")


@scenario("random-loss-10", nft=True)
def random_loss(s):
    # 10 % of packets lost at random, both ways, on every run. Several runs
    # (the gateway's half-open defences kick in too): every verdict must be
    # what a clean path gives.
    s.lab.start_charon()
    s.lab.add_rule_table(forward=["numgen random mod 100 < 10 drop"])
    for i in range(1, 6):
        label = f"run {i}"
        rep = s.ikeprobe(expect_rc=0, label=label)
        for port in (500, 4500):
            s.port(rep, port, "open", label=label)
        s.clean_path(rep, label=label)


@scenario("gateway-stops", nft=True)
def gateway_stops(s):
    # The gateway answers the reachability probes, then nothing (a rate
    # limit, or it went down): the router passes the client's first 1600
    # bytes of IKE (the three reachability requests, 1508 bytes) and drops
    # the rest. Losses after that prove nothing about fragments or the path
    # MTU.
    s.lab.start_charon()
    s.lab.add_rule_table(forward=[gw_rule("udp dport { 500, 4500 } quota over 1600 bytes drop")])
    rep = s.ikeprobe(expect_rc=1)
    for port in (500, 4500):
        s.port(rep, port, "open")
    reach = [p for p in rep["probes"] if p["purpose"] == "reachability"]
    s.check(all(p["attempts"] == 1 for p in reach),
            "a reachability probe was retransmitted: the quota no longer falls after them")
    f, m, v = rep["fragments"], rep["path_mtu"], rep["verdict"]
    s.equal(f["outbound"], "inconclusive", "fragments.outbound")
    s.equal(m["value"], None, "path_mtu.value")
    s.equal(m["black_hole"], False, "path_mtu.black_hole")
    s.equal(v["ikev2_fragmentation_needed"], None, "verdict.ikev2_fragmentation_needed")
    codes = [x["code"] for x in rep["findings"]]
    s.check("fragments-inconclusive" in codes, f"no finding fragments-inconclusive: {codes}")
    for bad in ("fragments-dropped", "path-mtu-black-hole"):
        s.check(bad not in codes, f"finding {bad} though the gateway stopped answering")
    s.check(any(p["purpose"] == "control" and p["result"] == "lost" for p in rep["probes"]),
            "no lost control probe")
    t = rep["traffic"]
    s.check(t["packets_sent"] <= 100, f"{t['packets_sent']} packets sent to a gateway that stopped answering")


def _status(pid):
    """Fields of /proc/PID/status as a dict, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return dict(ln.rstrip("\n").split(":\t", 1) for ln in f if ":\t" in ln)
    except OSError:
        return None


def check_dropped_while_running(s, argv, label, want_uid):
    """Start argv (ikeprobe against a gateway that never answers, so the run
    lasts seconds) and read its credentials from /proc mid-run."""
    p = spawn(s, argv)
    # ip netns exec (and setpriv) exec the next program: p.pid is ikeprobe.
    seen = None
    for _ in range(100):
        time.sleep(0.02)
        st = _status(p.pid)
        if st and st.get("Name") == "ikeprobe" and st["Uid"].split()[1] == str(want_uid):
            seen = st
            time.sleep(0.3)    # well into the run: probes are being sent
            seen = _status(p.pid) or seen
            break
    out, err = p.communicate(timeout=30)
    s.reports.append((label, argv, p.returncode, out, err))
    for mark in SANITIZER_MARKS:
        s.check(mark not in err, f"{label}: `{mark}' on stderr: {err[-400:]}")
    if not s.check(seen is not None, f"{label}: never saw ikeprobe running as uid {want_uid}"):
        return
    uids = seen["Uid"].split()
    s.check(all(u == str(want_uid) for u in uids), f"{label}: uids mid-run {uids}, want all {want_uid}")
    s.check(all(g != "0" for g in seen["Gid"].split()), f"{label}: a gid is 0 mid-run: {seen['Gid']}")
    for cap in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
        s.check(int(seen[cap], 16) == 0, f"{label}: {cap} {seen[cap]} mid-run, want none")
    s.equal(seen.get("NoNewPrivs"), "1", f"{label}: NoNewPrivs mid-run")
    s.equal(p.returncode, 1, f"{label}: exit status (ports silent)")
    try:
        rep = json.loads(out)
    except ValueError:
        s.check(False, f"{label}: stdout is not JSON")
        return
    s.validate(rep, label)
    for port in (500, 4500):
        s.equal(rep["ports"][str(port)]["state"], "silent", f"{label}: ports.{port}.state")


@scenario("privilege-drop", nft=True)
def privilege_drop(s):
    # Started as root: after opening its sockets and capture, ikeprobe runs
    # as nobody with no capabilities and no way to regain any.
    s.lab.start_charon()
    s.lab.add_rule_table(forward=[gw_rule("meta l4proto udp drop")])
    nobody = pwd.getpwnam("nobody").pw_uid
    check_dropped_while_running(s, [s.lab.ikeprobe_path, "--json"] + pcap_args(s, ["--quick"])
                                + [L.GATEWAY_ADDR], "as root", nobody)


@scenario("setcap", nft=True)
def setcap(s):
    # Not root at all: a copy of the binary with file capabilities, run as
    # nobody, works, and holds no capability once its sockets are open.
    if subprocess.run(["which", "setcap"], capture_output=True).returncode != 0:
        raise Skip("setcap (libcap2-bin) is not installed")
    s.lab.start_charon()
    d = os.path.join(s.lab.tmp, "bin")
    os.makedirs(d, mode=0o755, exist_ok=True)
    os.chmod(s.lab.tmp, 0o755)
    binary = os.path.join(d, "ikeprobe")
    with open(s.lab.ikeprobe_path, "rb") as src, open(binary, "wb") as dst:
        dst.write(src.read())
    os.chmod(binary, 0o755)
    nobody = pwd.getpwnam("nobody")
    as_nobody = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                 "--clear-groups", "--inh-caps=-all"]
    # Without the capabilities: one line naming the setcap command, exit 3.
    rc, out, err = s.lab.run_client(as_nobody + [binary, "--quick", L.GATEWAY_ADDR])
    s.reports.append(("no capabilities", [binary], rc, out, err))
    s.equal(rc, 3, "no capabilities: exit status")
    caps = "cap_net_raw,cap_net_admin,cap_net_bind_service+ep"
    s.check(len(err.splitlines()) == 1 and f"setcap {caps} {binary}" in err,
            f"no capabilities: want one line with the setcap command for {binary}: {err!r}")
    # Without the right to bind UDP 500 (what the 0.2 line left out): the
    # report says so, and what to run instead, not "a local IKE daemon".
    subprocess.run(["setcap", "cap_net_raw,cap_net_admin+ep", binary], check=True)
    argv = [binary, "--json"] + pcap_args(s, ["--quick"]) + [L.GATEWAY_ADDR]
    rc, out, err = s.lab.run_client(as_nobody + argv)
    s.reports.append(("setcap without bind", argv, rc, out, err))
    try:
        rep = json.loads(out)
        s.equal(rep["ports"]["500"]["source_port_error"], "EACCES",
                "setcap without bind: ports.500.source_port_error")
        f = finding(s, rep, "source-port-substituted", "setcap without bind")
        says(s, f, "CAP_NET_BIND_SERVICE", "setcap without bind")
        if f:
            s.check(caps in f["advice"], f"setcap without bind: advice lacks `{caps}': {f['advice']}")
    except ValueError:
        s.check(False, "setcap without bind: stdout is not JSON")
    # With the printed line: a setcap run is a sudo run, from UDP 500.
    subprocess.run(["setcap", caps, binary], check=True)
    argv = [binary, "--json"] + pcap_args(s, ["--quick"]) + [L.GATEWAY_ADDR]
    rc, out, err = s.lab.run_client(as_nobody + argv)
    s.reports.append(("setcap, open gateway", argv, rc, out, err))
    s.equal(rc, 0, "setcap, open gateway: exit status")
    try:
        rep = json.loads(out)
        s.validate(rep, "setcap")
        for port in (500, 4500):
            s.equal(rep["ports"][str(port)]["state"], "open", f"setcap: ports.{port}.state")
            s.equal((rep["ports"][str(port)]["source_port"], rep["ports"][str(port)]["source_port_error"]),
                    (port, None), f"setcap: ports.{port} (source_port, source_port_error)")
    except ValueError:
        s.check(False, "setcap: stdout is not JSON")
    s.lab.add_rule_table(forward=[gw_rule("meta l4proto udp drop")])
    check_dropped_while_running(s, as_nobody + [binary, "--json"] + pcap_args(s, ["--quick"])
                                + [L.GATEWAY_ADDR], "setcap, mid-run", nobody.pw_uid)


def finish(s, p, argv, label):
    """Wait for the ikeprobe --json started as p; its report, schema-checked."""
    out, err = p.communicate(timeout=30)
    s.reports.append((label, argv, p.returncode, out, err))
    for mark in SANITIZER_MARKS:
        s.check(mark not in err, f"{label}: `{mark}' on stderr: {err[-400:]}")
    try:
        rep = json.loads(out)
    except ValueError:
        s.check(False, f"{label}: stdout is not one JSON document (exit {p.returncode})")
        raise Abort()
    if not s.validate(rep, label):
        raise Abort()
    return rep


def run_and_disturb(s, args, disturb, label, after=0.6):
    """Start ikeprobe --json against a gateway that never answers (so the
    run lasts seconds), call disturb() after `after` s, return (rc, report)."""
    s.lab.start_charon()
    s.lab.add_rule_table(forward=[gw_rule("meta l4proto udp drop")])
    argv = [s.lab.ikeprobe_path, "--json"] + pcap_args(s, args) + [L.GATEWAY_ADDR]
    t0 = time.monotonic()
    p = spawn(s, argv)
    time.sleep(after)
    disturb(p)
    rep = finish(s, p, argv, label)
    elapsed = time.monotonic() - t0
    s.check(elapsed < 5, f"{label}: took {elapsed:.1f} s after the fault")
    s.equal(rep["complete"], False, f"{label}: complete")
    s.check(rep["verdict"]["ikev2_fragmentation_needed"] is None,
            f"{label}: a fragmentation verdict from a broken run")
    # Sent before the fault, and seen leaving: the evidence is kept.
    s.check(rep["probes"] and all(p_["attempts"] >= 1 for p_ in rep["probes"]),
            f"{label}: probes sent before the fault are missing")
    return p.returncode, rep


@scenario("interface-down", nft=True)
def interface_down(s):
    ifname = s.lab.ifname["client"]
    rc, rep = run_and_disturb(
        s, [], lambda p: s.lab.ns(s.lab.client, ["ip", "link", "set", "dev", ifname, "down"]),
        "interface down")
    s.equal(rc, 3, "interface down: exit status")
    f = [x for x in rep["findings"] if x["code"] == "run-aborted"]
    if s.check(f, "interface down: no finding run-aborted"):
        s.equal(f[0]["severity"], "error", "run-aborted severity")
    for port in ("500", "4500"):
        s.check(rep["ports"][port]["state"] in ("untested", "silent"),
                f"interface down: ports.{port}.state {rep['ports'][port]['state']}")


@scenario("route-lost", nft=True)
def route_lost(s):
    rc, rep = run_and_disturb(
        s, [], lambda p: s.lab.ns(s.lab.client, ["ip", "route", "del", "default"]), "route lost")
    s.equal(rc, 3, "route lost: exit status")
    f = [x for x in rep["findings"] if x["code"] == "run-aborted"]
    if s.check(f, "route lost: no finding run-aborted"):
        s.check("unreachable" in f[0]["summary"].lower(),
                f"route lost: the finding does not say the network is unreachable: {f[0]['summary']}")


@scenario("sigterm", nft=True)
def sigterm(s):
    for sig in (signal.SIGTERM, signal.SIGINT):
        label = signal.Signals(sig).name
        rc, rep = run_and_disturb(s, [], lambda p: p.send_signal(sig), label)
        # The report of what was seen, then 128 + the signal (130 for ^C).
        s.equal(rc, 128 + sig, f"{label}: exit status")
        s.equal((rep["status"], rep["complete"]), ("incomplete", False), f"{label}: (status, complete)")
        codes = [x["code"] for x in rep["findings"]]
        s.check("run-incomplete" in codes, f"{label}: no finding run-incomplete: {codes}")
        s.check("run-aborted" not in codes, f"{label}: a signal is not a network fault: {codes}")
        # Says the run was cut short and what it left undecided; never
        # calls an untested port blocked (user test, issue 16).
        h = rep["headline"]
        s.check(h.startswith("Run cut short: UDP ") and "not decided" in h and "blocked" not in h,
                f"{label}: headline {h!r}")
        s.lab.stop_charon(quiet=True)
        s.lab.charon = None


# Datagrams a flooder sends from the gateway, all matching the capture
# filter (UDP from the target), as fast as Python can.
FLOOD = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    try:
        s.sendto(b"x" * 64, (sys.argv[1], 9))
    except OSError:
        pass
"""


@scenario("local-mtu-shrinks", nft=True)
def local_mtu_shrinks(s):
    # The laptop's own link gets smaller mid-run (a VPN client or a driver
    # changing it): the kernel refuses larger datagrams with EMSGSIZE before
    # they leave. That is an answer about this machine, not the path.
    s.lab.start_charon()
    # UDP 4500 dropped: the size tests start only after its 2.6 s of
    # retransmissions, well after the MTU change.
    s.lab.add_rule_table(forward=[gw_rule("udp dport 4500 drop")])
    ifname = s.lab.ifname["client"]
    argv = [s.lab.ikeprobe_path, "--json"] + pcap_args(s, []) + [L.GATEWAY_ADDR]
    p = spawn(s, argv)
    time.sleep(0.8)
    s.lab.ns(s.lab.client, ["ip", "link", "set", "dev", ifname, "mtu", "1400"])
    label = "local MTU 1400 mid-run"
    rep = finish(s, p, argv, label)
    s.equal(p.returncode, 1, f"{label}: exit status (UDP 4500 silent)")
    s.port(rep, 500, "open")
    m = rep["path_mtu"]
    s.equal((m["value"], m["source"], m["black_hole"]), (1400, "local", False),
            f"{label}: path_mtu (value, source, black_hole)")
    refused = [x for x in rep["probes"] if x["result"] == "send_failed"]
    if s.check(refused, f"{label}: no probe refused by this machine"):
        for x in refused:
            s.check(x["df"] and x["size"] > 1400, f"{label}: probe #{x['id']} of {x['size']} bytes refused")
            s.check("too long" in x.get("send_error", ""), f"{label}: probe #{x['id']} send_error {x.get('send_error')!r}")
    says(s, finding(s, rep, "path-mtu-local", label, severity="info"), "refused to send", label)
    codes = [x["code"] for x in rep["findings"]]
    s.check("path-mtu-black-hole" not in codes and "run-aborted" not in codes,
            f"{label}: a local limit read as a path fault: {codes}")
    # Fragments of 1280 bytes still fit, and still arrive.
    s.equal(rep["fragments"]["outbound"], "pass", f"{label}: fragments.outbound")


@scenario("capture-overflow", nft=True)
def capture_overflow(s):
    # A capture ring that overflows loses packets without a trace unless the
    # report says so. Stop ikeprobe, flood it with far more than its ring
    # holds (about 2000 slots), resume it: pcap's statistics must show the
    # loss, and the report must warn that answers may be missing.
    s.lab.start_charon()
    s.lab.add_rule_table(forward=[gw_rule("udp dport 4500 drop")])
    argv = [s.lab.ikeprobe_path, "--json"] + pcap_args(s, ["--quick"]) + [L.GATEWAY_ADDR]
    p = spawn(s, argv)
    try:
        time.sleep(0.4)
        os.kill(p.pid, signal.SIGSTOP)
        s.lab.ns(s.lab.gateway, [sys.executable, "-c", FLOOD, L.CLIENT_ADDR, "30000"],
                 timeout=60)
    finally:
        os.kill(p.pid, signal.SIGCONT)
    label = "capture overflow"
    rep = finish(s, p, argv, label)
    s.equal(p.returncode, 1, f"{label}: exit status")
    dropped = rep["capture"]["dropped"]
    s.check(isinstance(dropped, int) and dropped > 0,
            f"{label}: capture.dropped is {dropped!r} after 30000 packets into a stopped capture")
    s.note(f"{label}: capture.dropped {dropped}, capture.other {rep['capture']['other']}")
    says(s, finding(s, rep, "capture-dropped", label), str(dropped), label)
    # What was answered before the flood still stands.
    s.port(rep, 500, "open")
    s.port(rep, 4500, "silent")
    f = finding(s, rep, "udp4500-silent", "udp4500-silent")
    if f:
        s.check("809" in f["summary"], f"udp4500-silent does not name error 809: {f['summary']}")
        # Open what is closed, not what already answers.
        s.check("500" not in f["advice"].replace("4500", ""),
                f"udp4500-silent advice names UDP 500, which is open: {f['advice']}")


@scenario("pcap", tshark=True)
def pcap(s):
    s.lab.start_charon()
    path = os.path.join(s.lab.tmp, "run.pcap")
    rep = s.ikeprobe(["--pcap", path], expect_rc=0)
    if not s.check(os.path.isfile(path) and os.path.getsize(path) > 24,
                   f"--pcap {path}: no capture written"):
        return
    for port in (500, 4500):
        s.port(rep, port, "open")
    p = subprocess.run(["tshark", "-n", "-r", path, "-V"], capture_output=True, text=True)
    s.equal(p.returncode, 0, "tshark -V exit status")
    for bad in ("Malformed", "malformed", "Expert Info (Error"):
        s.check(bad not in p.stdout, f"tshark -V shows `{bad}':\n"
                + "\n".join(ln for ln in p.stdout.splitlines() if bad in ln)[:2000])
    s.check("Internet Security Association and Key Management Protocol" in p.stdout,
            "tshark -V decodes no ISAKMP")

    fields = ["ip.src", "ip.dst", "udp.srcport", "udp.dstport", "isakmp.ispi",
              "isakmp.rspi", "isakmp.exchangetype", "isakmp.flag_r"]
    argv = ["tshark", "-n", "-r", path, "-Y", "isakmp", "-T", "fields", "-E", "separator=|"]
    for f in fields:
        argv += ["-e", f]
    p = subprocess.run(argv, capture_output=True, text=True)
    s.equal(p.returncode, 0, "tshark -T fields exit status")
    rows = [dict(zip(fields, ln.split("|"))) for ln in p.stdout.splitlines() if ln]
    requests = [r for r in rows if r["ip.src"] == L.CLIENT_ADDR and r["ip.dst"] == L.GATEWAY_ADDR
                and r["isakmp.flag_r"] in ("0", "False")]
    responses = [r for r in rows if r["ip.src"] == L.GATEWAY_ADDR and r["ip.dst"] == L.CLIENT_ADDR
                 and r["isakmp.flag_r"] in ("1", "True")]
    s.check(requests, "pcap: no ISAKMP request from the client decoded")
    s.check(responses, "pcap: no ISAKMP response from the gateway decoded")
    # IKE_SA_INIT (34) for every probe but the IKE_AUTH step's (35).
    for r in requests + responses:
        s.check(r["isakmp.exchangetype"] in ("34", "35"), f"pcap: exchange type of {r}")
    # Every transmission of every probe is in the capture, and each response
    # answers one of them.
    for port in (500, 4500):
        for kinds, etype, what in ((("sa", "stateless"), "34", "IKE_SA_INIT"),
                                   (("auth", "close"), "35", "IKE_AUTH")):
            sent = sum(p["attempts"] for p in rep["probes"]
                       if p["port"] == port and p["kind"] in kinds)
            seen = sum(1 for r in requests if r["udp.dstport"] == str(port)
                       and r["isakmp.exchangetype"] == etype)
            s.equal(seen, sent, f"pcap: {what} requests to {port} (sum of probes' attempts)")
    ispis = {r["isakmp.ispi"] for r in requests}
    for r in responses:
        s.check(r["isakmp.ispi"] in ispis, f"pcap: response to unknown SPI {r['isakmp.ispi']}")

    # `sudo ikeprobe -w FILE' in a user's directory: the capture belongs to
    # that user (here nobody), as --output's files do.
    nobody, home = user_home(s, "pcap-home")
    path = os.path.join(home, "run.pcap")
    s.ikeprobe(["--quick", "--pcap", path], expect_rc=0, label="-w in a user's directory")
    s.check(os.path.isfile(path) and os.stat(path).st_uid == nobody.pw_uid,
            f"-w in a user's directory: {path} owned by uid "
            f"{os.stat(path).st_uid if os.path.exists(path) else '(missing)'}, want nobody's {nobody.pw_uid}")


@scenario("bad-usage", charon=False)
def bad_usage(s):
    binary = s.lab.ikeprobe_path
    cases = [
        ("--ports 99999", [binary, "--ports", "99999", L.GATEWAY_ADDR], "99999"),
        ("--json --ports 99999", [binary, "--json", "--ports", "99999", L.GATEWAY_ADDR], "99999"),
        ("unknown host", [binary, "no-such-host.invalid"], "no-such-host.invalid"),
        ("--json unknown host", [binary, "--json", "no-such-host.invalid"], "no-such-host.invalid"),
    ]
    cases = [(label, argv, quoted, 2) for label, argv, quoted in cases]
    # A veth end nobody brought up: an interface that exists but is down.
    s.lab.ns(s.lab.client, ["ip", "link", "add", "ikpdown0", "type", "veth", "peer", "name", "ikpdown1"])
    g = L.GATEWAY_ADDR
    cases += [
        ("--sizes too small", [binary, "--sizes", "100", g], "100", 2),
        ("--sizes too large", [binary, "--sizes", "1400,70000", g], "70000", 2),
        ("--sizes repeated", [binary, "--sizes", "1400,1400", g], "repeated", 2),
        ("--fragment-size above the MTU", [binary, "--fragment-size", "2000", g], "2000", 2),
        ("--source of the wrong family", [binary, "--source", "2001:db8::1", g], "family", 2),
        ("--source not ours", [binary, "--source", "203.0.113.5", g], "203.0.113.5", 2),
        ("-6 with an IPv4 address", [binary, "-6", g], "no IPv6 address", 2),
        ("-4 with an IPv6 address", [binary, "-4", L.GATEWAY_ADDR6], "no IPv4 address", 2),
        ("--interface missing", [binary, "--interface", "nosuch0", g], "nosuch0", 2),
        ("--interface down", [binary, "--interface", "ikpdown0", g], "is down", 3),
        ("--ports repeated", [binary, "--ports", "500,500", g], "repeated", 2),
        ("--ports with an empty item", [binary, "--ports", "500,,4500", g], "500,,4500", 2),
        ("--ports ending in a comma", [binary, "--ports", "500,", g], "500,", 2),
        ("bracketed IPv4 literal", [binary, f"[{g}]"], "brackets hold an IPv6", 2),
        # Refused, and the newline shown escaped: the error stays one line.
        ("--label with a newline", [binary, "--label", "Hotel\nBerlin", g], "Hotel\\nBerlin", 2),
        # Byte 0xff (a Latin-1 terminal): no JSON reader would open the report.
        ("--label not UTF-8", [binary, "--label", "Z\udcfcrich", g], "Z\\xfcrich' is not UTF-8", 2),
    ]
    for label, argv, quoted, want in cases:
        rc, out, err = s.lab.run_client(argv, timeout=30)
        s.reports.append((label, argv, rc, out, err))
        s.equal(rc, want, f"{label}: exit status")
        lines = err.splitlines()
        s.check(len(lines) == 1 and lines[0].strip() and err.endswith("\n"),
                f"{label}: want exactly one line on stderr, got {err!r}")
        s.check(quoted in err, f"{label}: stderr does not quote `{quoted}': {err!r}")
        if "--json" not in argv:
            s.equal(out, "", f"{label}: stdout")


# -- reports for tickets: NAT, the bundle, compare, clusters ---------------------

BUNDLE_FILES = ["capture.pcap", "ikev2_decryption_table", "report.json", "report.md", "report.txt",
                "sstp-chain.pem"]
PCAP_MAGIC = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4")


def listing(d):
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def one_line(s, err, label):
    """A refusal is one line on stderr, ending in a newline."""
    s.check(len(err.splitlines()) == 1 and err.endswith("\n"),
            f"{label}: want exactly one line on stderr, got {err!r}")


def forward_counter(s, rule):
    """Count what the router forwards to the gateway matching rule (with
    `counter'); returns a function that reads the count."""
    s.lab.add_rule_table(forward=[f"{rule} counter"], name="ikpcount")

    def packets():
        out = s.lab.ns(s.lab.router, ["nft", "list", "table", "inet", "ikpcount"]).stdout
        for ln in out.splitlines():
            if "counter packets" in ln:
                return int(ln.split("counter packets")[1].split()[0])
        return None
    return packets


@scenario("nat-masquerade", nft=True)
def nat_masquerade(s):
    # The router masquerades, as a hotel or home router does: the gateway
    # hashes the router's address into NAT_DETECTION_DESTINATION_IP, not
    # ours, so the report says a NAT is in the way.
    s.lab.start_charon()
    s.lab.masquerade()
    label = "behind NAT"
    rep = s.ikeprobe(expect_rc=0, label=label)
    for port in (500, 4500):
        s.port(rep, port, "open", label=label)
    n = rep["nat"]
    s.equal((n["detected"], n["client_side"], n["gateway_side"]), (True, True, False),
            f"{label}: nat (detected, client_side, gateway_side)")
    s.check("NAT_DETECTION_DESTINATION_IP" in n["evidence"] and L.CLIENT_ADDR in n["evidence"],
            f"{label}: nat.evidence does not name the notify and our address: {n['evidence']!r}")
    if s.check(isinstance(n["probe"], int) and n["probe"] < len(rep["probes"]),
               f"{label}: nat.probe {n['probe']!r}"):
        s.equal(rep["probes"][n["probe"]]["reply"], "sa", f"{label}: reply of nat.probe")
    finding(s, rep, "nat-detected", label, severity="info")
    # The router's conntrack reassembles fragments before they go on.
    s.equal(rep["fragments"]["outbound"], "pass", f"{label}: fragments.outbound")
    # Behind a NAT the VPN needs UDP 4500: with it dropped, an error says so.
    s.lab.add_rule_table(forward=[gw_rule("udp dport 4500 drop")])
    label = "behind NAT, UDP 4500 dropped"
    rep = s.ikeprobe(["--quick"], expect_rc=1, label=label)
    s.port(rep, 4500, "silent", label=label)
    s.equal(rep["nat"]["detected"], True, f"{label}: nat.detected")
    says(s, finding(s, rep, "nat-udp4500-blocked", label, severity="error"),
         "UDP 4500 is silent", label)
    # UDP 4500 not probed at all: no evidence it is blocked, so no error.
    label = "behind NAT, --ports 500"
    rep = s.ikeprobe(["--quick", "--ports", "500"], expect_rc=0, label=label)
    s.equal(rep["nat"]["detected"], True, f"{label}: nat.detected")
    says(s, finding(s, rep, "nat-detected", label, severity="info"),
         "UDP 4500 was not tested", label)


@scenario("bundle", nft=True, tshark=True)
def bundle(s):
    binary = s.lab.ikeprobe_path
    s.lab.start_charon()
    # --output DIR (made by ikeprobe): four files, each what it should be.
    d = os.path.join(s.lab.tmp, "ticket")
    label = "bundle"
    rep = s.ikeprobe(["--output", d, "--label", "Lab HQ"], expect_rc=0, label=label)
    if not s.equal(listing(d), BUNDLE_FILES, f"{label}: files in {d}"):
        raise Abort()
    saved = json.loads(read(os.path.join(d, "report.json")))
    s.validate(saved, f"{label}: report.json")
    s.check(saved == rep, f"{label}: report.json is not what --json printed")
    s.equal(rep["local"]["label"], "Lab HQ", f"{label}: local.label")
    pcap = read(os.path.join(d, "capture.pcap"), "rb")
    s.check(pcap[:4] in PCAP_MAGIC, f"{label}: capture.pcap is not a pcap file")
    p = subprocess.run(["tshark", "-n", "-r", os.path.join(d, "capture.pcap"), "-Y", "isakmp"],
                       capture_output=True, text=True)
    s.check(p.returncode == 0 and len(p.stdout.splitlines()) >= len(rep["probes"]),
            f"{label}: tshark finds {len(p.stdout.splitlines())} IKE packets in capture.pcap "
            f"for {len(rep['probes'])} probes (exit {p.returncode})")
    # With the bundle's key table Wireshark decrypts the IKE_AUTH answer:
    # this lab's gateway says AUTHENTICATION_FAILED (PSK, no EAP) inside.
    conf = os.path.join(s.lab.tmp, "wsconf", "wireshark")
    os.makedirs(conf, exist_ok=True)
    with open(os.path.join(conf, "ikev2_decryption_table"), "w") as f:
        f.write(read(os.path.join(d, "ikev2_decryption_table")))
    p = subprocess.run(["tshark", "-n", "-r", os.path.join(d, "capture.pcap"), "-Y",
                        "isakmp.exchangetype == 35", "-V"], capture_output=True, text=True,
                       env=dict(os.environ, XDG_CONFIG_HOME=os.path.dirname(conf)))
    s.check("AUTHENTICATION_FAILED" in p.stdout and "Decrypted Data" in p.stdout,
            f"{label}: tshark with ikev2_decryption_table does not show the decrypted "
            f"AUTHENTICATION_FAILED (exit {p.returncode}): {p.stderr[:300]}")
    # report.md and report.txt are what `show' prints of report.json: a
    # saved report renders as the run did.
    for fmt, name in (("markdown", "report.md"), ("text", "report.txt")):
        rc, out, err = s.lab.run_client([binary, "show", "--format", fmt, os.path.join(d, "report.json")])
        s.reports.append((f"show --format {fmt}", [binary, "show"], rc, out, err))
        s.equal(rc, 0, f"show --format {fmt}: exit status")
        s.check(out == read(os.path.join(d, name)), f"{label}: {name} is not what show --format {fmt} prints")
    md = read(os.path.join(d, "report.md"))
    for want in (f"## ikeprobe: IKEv2 to {L.GATEWAY_ADDR} ({L.GATEWAY_ADDR}) from Lab HQ",
                 "| Check | Result |", "| UDP 500 | open: sa reply", "| NAT | none |",
                 "### Findings", "### Evidence", "### Context", "| Next hop | 192.0.2.1 |"):
        s.check(want in md, f"{label}: report.md lacks `{want}'")
    s.check("\033" not in read(os.path.join(d, "report.txt")), f"{label}: colour in report.txt")

    # `sudo ikeprobe -o DIR' with DIR in a user's home: the files belong
    # to that user (here nobody), and so does DIR when ikeprobe makes it.
    nobody, home = user_home(s, "home")
    d4 = os.path.join(home, "ticket")
    label = "bundle in a user's directory"
    s.ikeprobe(["--quick", "--output", d4], expect_rc=0, label=label)
    s.equal(listing(d4), BUNDLE_FILES, f"{label}: files")
    owners = {f: os.stat(os.path.join(d4, f)).st_uid for f in [".", *listing(d4)]}
    s.check(all(uid == nobody.pw_uid for uid in owners.values()),
            f"{label}: owners {owners}, want nobody's uid {nobody.pw_uid} for all")

    # Ctrl-C midway: the files are still written, marked incomplete, and no
    # temporary file is left. (UDP 4500 dropped: the run lasts seconds.)
    s.lab.add_rule_table(forward=[gw_rule("udp dport 4500 drop")])
    d2 = os.path.join(s.lab.tmp, "interrupted")
    argv = [binary, "--json", "--output", d2, L.GATEWAY_ADDR]
    p = spawn(s, argv)
    time.sleep(0.8)
    during = listing(d2)
    p.send_signal(signal.SIGINT)
    label = "SIGINT"
    printed = finish(s, p, argv, label)
    s.check(len(during) == len(BUNDLE_FILES) and all(f.startswith(".") for f in during),
            f"{label}: mid-run, want {len(BUNDLE_FILES)} temporary (hidden) files and no final ones: {during}")
    s.equal(p.returncode, 130, f"{label}: exit status")
    s.equal(listing(d2), BUNDLE_FILES, f"{label}: files after the run (no temporary file left)")
    try:
        saved = json.loads(read(os.path.join(d2, "report.json")))
    except (OSError, ValueError) as e:
        s.check(False, f"{label}: report.json: {e}")
        raise Abort()
    s.validate(saved, f"{label}: report.json")
    s.equal(saved["complete"], False, f"{label}: complete")
    finding(s, saved, "run-incomplete", label)
    s.check(printed == saved, f"{label}: report.json is not what --json printed")
    s.check("INCOMPLETE" in read(os.path.join(d2, "report.txt")), f"{label}: report.txt does not say INCOMPLETE")
    s.check("**incomplete**" in read(os.path.join(d2, "report.md")), f"{label}: report.md does not say incomplete")

    # SIGKILL midway: nothing under a final name, ever; the writer that
    # holds the directory removes the temporary files.
    d3 = os.path.join(s.lab.tmp, "killed")
    argv = [binary, "--json", "--output", d3, L.GATEWAY_ADDR]
    p = spawn(s, argv, text=False)
    time.sleep(0.8)
    during = listing(d3)
    p.kill()
    p.communicate(timeout=30)
    label = "SIGKILL"
    s.check(len(during) == len(BUNDLE_FILES), f"{label}: mid-run, want {len(BUNDLE_FILES)} temporary files: {during}")
    s.equal([f for f in listing(d3) if not f.startswith(".")], [], f"{label}: files under a final name")
    deadline = time.monotonic() + 3
    while listing(d3) and time.monotonic() < deadline:
        time.sleep(0.05)
    s.equal(listing(d3), [], f"{label}: temporary files 3 s after the kill")

    # Refusals come before anything is sent: a path that is not a
    # directory (usage, 2) and one the writer cannot rename in (3).
    sent = forward_counter(s, f"ip daddr {L.GATEWAY_ADDR} meta l4proto udp")
    ro = os.path.join(s.lab.tmp, "read-only")
    os.mkdir(ro)
    os.chown(ro, nobody.pw_uid, nobody.pw_gid)
    os.chmod(ro, 0o555)
    for label, path, want, words in (
            ("--output a file", os.path.join(d, "report.json"), 2, "is not a directory"),
            ("--output read-only", ro, 3, "Permission denied")):
        argv = [binary, "--output", path, L.GATEWAY_ADDR]
        rc, out, err = s.lab.run_client(argv)
        s.reports.append((label, argv, rc, out, err))
        s.equal(rc, want, f"{label}: exit status")
        one_line(s, err, label)
        s.check(words in err and path in err, f"{label}: stderr does not say `{words}' about {path}: {err!r}")
        s.equal(out, "", f"{label}: stdout")
    s.equal(listing(ro), [], "--output read-only: files left in it")
    s.equal(sent(), 0, "packets sent to the gateway by the refused runs")


def save(s, name, text):
    path = os.path.join(s.lab.tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def compare_run(s, files, fmt, label, want_rc):
    argv = [s.lab.ikeprobe_path, "compare", "--format", fmt] + files
    rc, out, err = s.lab.run_client(argv)
    s.reports.append((label, argv, rc, out, err))
    s.equal(rc, want_rc, f"{label}: exit status")
    return out, err


@scenario("compare", nft=True)
def compare(s):
    # Two networks: a clean one, and one that drops UDP 4500 (as many
    # hotel networks do). compare puts them side by side and marks what
    # differs, in text, Markdown and JSON.
    s.lab.start_charon()
    s.ikeprobe(["--label", "Lab HQ"], expect_rc=0, label="HQ")
    hq = save(s, "hq.json", s.lab.last_ikeprobe[2])
    s.lab.add_rule_table(forward=[gw_rule("udp dport 4500 drop")])
    s.ikeprobe(["--label", "Lab hotel"], expect_rc=1, label="hotel")
    hotel = save(s, "hotel.json", s.lab.last_ikeprobe[2])

    out, _ = compare_run(s, [hq, hotel], "json", "compare --format json", 1)
    try:
        c = json.loads(out)
    except ValueError:
        s.check(False, "compare --format json: stdout is not JSON")
        raise Abort()
    s.validate(c, "compare --format json", path=COMPARE_SCHEMA_PATH)
    rows = {r["key"]: r for r in c["rows"]}
    s.equal([r["title"] for r in c["reports"]], ["Lab HQ", "Lab hotel"], "compare: column titles")
    s.equal((rows["port.4500"]["values"], rows["port.4500"]["differs"]), (["open", "silent"], True),
            "compare: row port.4500")
    s.equal((rows["port.500"]["values"], rows["port.500"]["differs"]), (["open", "open"], False),
            "compare: row port.500")
    s.equal(rows.get("finding.udp4500-silent", {}).get("values"), ["-", "warning"],
            "compare: row finding.udp4500-silent")
    s.equal(rows["label"]["kind"], "context", "compare: the label row is context")
    s.equal(c["differences"], sum(1 for r in c["rows"] if r["differs"] and r["kind"] == "check"),
            "compare: differences")

    out, _ = compare_run(s, [hq, hotel], "text", "compare --format text", 1)
    lines = out.splitlines()
    s.check(any(ln.startswith("* UDP 4500") and "open" in ln and "silent" in ln for ln in lines),
            f"compare text: no marked UDP 4500 row:\n{out}")
    s.check(any(ln.startswith("  UDP 500 ") for ln in lines), f"compare text: UDP 500 marked or missing:\n{out}")
    s.check("Lab HQ" in out and "Lab hotel" in out, "compare text: the labels are not the column titles")
    s.check("\033" not in out, "compare text: colour on a pipe")

    out, _ = compare_run(s, [hq, hotel], "markdown", "compare --format markdown", 1)
    for want in ("| Check | Lab HQ | Lab hotel |", "| **UDP 4500** (differs) | **open** | **silent** |",
                 "| UDP 500 | open | open |", "### Context"):
        s.check(want in out, f"compare markdown lacks `{want}':\n{out}")

    # The same report twice: nothing differs, exit 0.
    out, _ = compare_run(s, [hq, hq], "text", "compare, same report", 0)
    s.check("no check differs" in out, f"compare, same report: {out.splitlines()[:1]}")

    # Not a report, or cut short: one line naming the file, exit 2.
    text = read(hq)
    for label, name, body in (("truncated", "cut.json", text[:len(text) // 2]),
                              ("not a report", "other.json", '{"schema": "other/1", "x": 1}\n'),
                              ("not JSON", "notes.json", "works at HQ, fails at the hotel\n")):
        bad = save(s, name, body)
        out, err = compare_run(s, [hq, bad], "text", f"compare, {label}", 2)
        one_line(s, err, f"compare, {label}")
        s.check(bad in err, f"compare, {label}: stderr does not name {bad}: {err!r}")
        s.equal(out, "", f"compare, {label}: stdout")


@scenario("all-addresses", nft=True)
def all_addresses(s):
    # A gateway name with two IPv4 addresses (and one IPv6): a cluster.
    # The second member's UDP 4500 is dropped on the way.
    alt = ALT_GATEWAY_ADDR
    name = "cluster.lab.test"
    s.lab.ns(s.lab.gateway, ["ip", "addr", "add", alt + "/24", "dev", s.lab.ifname["gateway"]])
    s.lab.start_charon(L.GatewayConfig(local_addrs=(L.GATEWAY_ADDR, alt, L.GATEWAY_ADDR6)))
    s.lab.add_host(name, L.GATEWAY_ADDR, alt, L.GATEWAY_ADDR6)
    s.lab.add_rule_table(forward=[f"ip daddr {alt} udp dport 4500 drop"])

    label = "first address only"
    rep = s.ikeprobe(["--quick"], target=name, expect_rc=0, label=label)
    s.equal(rep["target"]["name"], name, f"{label}: target.name")
    s.equal(sorted(rep["target"]["addresses"]), sorted([L.GATEWAY_ADDR, alt, L.GATEWAY_ADDR6]),
            f"{label}: target.addresses")
    s.equal(rep["target"]["cluster"], True, f"{label}: target.cluster")
    f = finding(s, rep, "gateway-several-addresses", label, severity="info")
    if f:
        s.check("--all-addresses" in f["advice"], f"{label}: the advice does not name --all-addresses")

    label = "--all-addresses"
    rep = s.ikeprobe(["--quick", "--all-addresses"], target=name, expect_rc=1, label=label,
                     all_addresses=True)
    for port in (500, 4500):
        s.port(rep, port, "open", label=label)
    if not s.equal(len(rep["others"]), 1, f"{label}: reports in others"):
        raise Abort()
    o = rep["others"][0]
    s.equal(o["target"]["address"], alt, f"{label}: others.0.target.address")
    s.equal(o["target"]["name"], name, f"{label}: others.0.target.name")
    s.check("others" not in o, f"{label}: others.0 has others of its own")
    s.port(o, 500, "open", label=f"{label}, {alt}")
    s.port(o, 4500, "silent", label=f"{label}, {alt}")
    finding(s, o, "udp4500-silent", f"{label}, {alt}")
    # Probed at once, in one loop: both start together, and the run takes
    # as long as the slower (2.6 s of silence on 4500), not the sum; each
    # address's packets are its own report's, none counted as `other'.
    s.check(abs(o["started_us"] - rep["started_us"]) < 100000,
            f"{label}: the addresses started {abs(o['started_us'] - rep['started_us'])} us apart")
    s.check(rep["duration_ms"] < 3500, f"{label}: took {rep['duration_ms']} ms, want < 3500 (concurrent)")
    for r, who in ((rep, L.GATEWAY_ADDR), (o, alt)):
        s.equal(r["capture"]["other"], 0, f"{label}, {who}: capture.other")
        s.equal(r["capture"]["replies"], sum(p["result"] == "answered" for p in r["probes"]),
                f"{label}, {who}: capture.replies (one per answered probe)")
    s.equal([a["probed"] for a in rep["target"]["resolved"]],
            [a != L.GATEWAY_ADDR6 for a in rep["target"]["addresses"]],
            f"{label}: target.resolved probed")
    path = save(s, "cluster.json", s.lab.last_ikeprobe[2])
    # One file, one column per address.
    out, _ = compare_run(s, [path], "json", "compare the addresses", 1)
    try:
        c = json.loads(out)
        s.validate(c, "compare the addresses", path=COMPARE_SCHEMA_PATH)
        rows = {r["key"]: r for r in c["rows"]}
        s.equal([r["target"] for r in c["reports"]], [L.GATEWAY_ADDR, alt], "compare the addresses: columns")
        s.equal(rows["port.4500"]["values"], ["open", "silent"], "compare the addresses: port.4500")
    except ValueError:
        s.check(False, "compare the addresses: stdout is not JSON")
    rc, out, err = s.lab.run_client([s.lab.ikeprobe_path, "show", path])
    s.equal(rc, 0, "show of an --all-addresses report: exit status")
    s.check(f"=== {name}: address 2 of 2, {alt} ===" in out,
            f"show of an --all-addresses report: no section for {alt}")
    s.check(f"{L.GATEWAY_ADDR6} (IPv6, not probed)" in out,
            "show of an --all-addresses report: the IPv6 address is not listed as not probed")


# -- hostile and broken gateways -------------------------------------------------
#
# No charon: tests/lab/hostile.py answers in the gateway namespace, badly on
# purpose (its docstring lists the actions). Whatever it sends, ikeprobe must
# end in time with exit 0 or 1 (never a signal, never 3) and a complete,
# schema-valid report. A reply counts as an answer only if it carries our SPI
# from the address and port probed -- then even a malformed one opens the
# port, and the report says what was wrong with it. Wrong SPIs, wrong
# sources and ICMP errors quoting packets we never sent change no verdict;
# they are counted and named.

HOSTILE = os.path.join(HERE, "hostile.py")
ALT_GATEWAY_ADDR = "198.51.100.11"   # a second address on the gateway
HOSTILE_MAX_S = 10                   # no run takes longer: no hang
HOSTILE_KILL_S = 60
SANITIZER_MARKS = ("runtime error:", "AddressSanitizer", "LeakSanitizer")


def start_hostile(s, actions):
    """(Re)start hostile.py ACTIONS in the gateway namespace; return when it listens."""
    stop_hostile(s)
    ready = os.path.join(s.lab.tmp, "hostile.ready")
    log = os.path.join(s.lab.tmp, "hostile.log")
    if os.path.exists(ready):
        os.unlink(ready)
    with open(log, "a") as f:
        f.write(f"--- hostile.py {actions}\n")
    argv = ["ip", "netns", "exec", s.lab.gateway, "/usr/bin/python3", HOSTILE, "--ready", ready,
            "--log", log, "--alt-addr", ALT_GATEWAY_ADDR, actions]
    with open(log, "ab") as err:
        s.hostile = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=err, preexec_fn=L.die_with_parent)
    deadline = time.monotonic() + 10
    while not os.path.exists(ready):
        if s.hostile.poll() is not None:
            raise L.LabError(f"hostile.py {actions} exited with {s.hostile.returncode} (see hostile.log)")
        if time.monotonic() > deadline:
            raise L.LabError(f"hostile.py {actions} did not listen within 10 s")
        time.sleep(0.02)


def stop_hostile(s):
    p = getattr(s, "hostile", None)
    if p is not None and p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    s.hostile = None


GNU_TIME = "/usr/bin/time"


def need_gnu_time():
    if not os.access(GNU_TIME, os.X_OK):
        raise Skip(f"{GNU_TIME} (Debian package `time') is not installed: "
                   "cannot measure peak memory")


def hostile_run(s, args=("--quick",), label=None, want_rc=(0, 1)):
    """Run ikeprobe --json ARGS against the fake responder and check what
    every hostile run must show. Returns (report, rc, peak RSS in KiB or
    None).

    The peak resident set comes from GNU time, which forks ikeprobe itself:
    the rusage of a child that Python forks (ip netns exec execs the next
    program) would report the Python interpreter's size from before the
    exec instead."""
    label = label or f"run {len(s.reports) + 1}"
    # The fake answers IKE_SA_INIT only: the IKE_AUTH step is for the real
    # gateways of the other scenarios (its decoder has a fuzz target).
    args = list(args) + ([] if "--quick" in args else ["--no-auth"])
    argv = [s.lab.ikeprobe_path, "--json"] + pcap_args(s, args) + [L.GATEWAY_ADDR]
    rss_path = os.path.join(s.lab.tmp, "rss")
    if os.path.exists(rss_path):
        os.unlink(rss_path)
    timed = os.access(GNU_TIME, os.X_OK)
    wrap = [GNU_TIME, "-f", "%M", "-o", rss_path] if timed else []
    t0 = time.monotonic()
    p = spawn(s, wrap + argv, text=False)
    try:
        out, err = p.communicate(timeout=HOSTILE_KILL_S)
        killed = False
    except subprocess.TimeoutExpired:
        L._kill_netns_pids(s.lab.client)
        out, err = p.communicate()
        killed = True
    elapsed = time.monotonic() - t0
    rc = p.returncode
    # GNU time exits 128 + N for a command killed by signal N.
    signalled = rc < 0 or (timed and rc > 128)
    out, err = out.decode(errors="replace"), err.decode(errors="replace")
    rss = None
    if timed:
        try:
            with open(rss_path) as f:
                rss = int(f.read().split()[-1])
        except (OSError, ValueError, IndexError):
            s.errors.append(f"{label}: GNU time wrote no peak RSS")
    s.reports.append((label, argv, rc, out, err))
    s.check(not killed, f"{label}: hung: killed after {HOSTILE_KILL_S} s")
    s.check(rc in want_rc, f"{label}: exit status {rc}, want {' or '.join(map(str, want_rc))}"
            + (" (killed by a signal)" if signalled else ""))
    s.check(elapsed < HOSTILE_MAX_S, f"{label}: took {elapsed:.1f} s, want < {HOSTILE_MAX_S} s")
    for mark in SANITIZER_MARKS:
        s.check(mark not in err, f"{label}: `{mark}' on stderr")
    s.note(f"{label}: exit {rc}, {elapsed:.2f} s, peak RSS {rss} KiB")
    try:
        rep = json.loads(out)
    except ValueError:
        s.errors.append(f"{label}: stdout is not one JSON document (exit {rc})")
        raise Abort()
    if not s.validate(rep, label):
        raise Abort()
    s.common_checks(rep, rc, label)
    s.check(rep["duration_ms"] < HOSTILE_MAX_S * 1000,
            f"{label}: duration_ms {rep['duration_ms']}, want < {HOSTILE_MAX_S * 1000}")
    return rep, rc, rss


def no_icmp_believed(s, rep, label):
    s.check(not any(p["result"] == "icmp" for p in rep["probes"]),
            f"{label}: a forged ICMP error ended a probe: "
            + str([(p["id"], p["icmp"]) for p in rep["probes"] if p["result"] == "icmp"]))
    for port, v in rep["ports"].items():
        s.equal(v["icmp"], None, f"{label}: ports.{port}.icmp")


def memory_bounded(s, rss, clean_rss, label):
    """Hostile input must not make ikeprobe grow: its peak stays within
    twice a clean run's peak plus 8 MiB (the reassembly slots are 0.6 MiB)."""
    bound = 2 * clean_rss + 8192
    s.check(rss <= bound, f"{label}: peak RSS {rss} KiB, want <= {bound} KiB "
            f"(clean run: {clean_rss} KiB)")


# Each action, and what the reply-malformed finding must say about it.
MALFORMED = (
    ("truncated", "truncated: header says"),
    ("runt", "shorter than the IKE header"),
    ("len-too-long", "bytes left"),
    ("len-zero", "payload length 0, shorter than its header"),
    ("len-short", "payload length 3, shorter than its header"),
    ("chain-never-ends", "payload chain ends inside the message"),
    ("chain-loop", "payload chain ends inside the message"),
    ("wrong-exchange", "exchange type INFORMATIONAL, not IKE_SA_INIT"),
)


@scenario("hostile-malformed", charon=False)
def hostile_malformed(s):
    # Truncated, lying, looping and misdirected replies with our SPI, from
    # the gateway's address and port: answers (the port is open), each
    # reported as malformed with what was wrong.
    for action, words in MALFORMED:
        start_hostile(s, action)
        rep, _, _ = hostile_run(s, label=action, want_rc=(1,))
        for port in (500, 4500):
            # A malformed answer still proves the request arrived.
            s.port(rep, port, "open", action, replies=OPEN_REPLIES + ("error",))
        says(s, finding(s, rep, "reply-malformed", action), words, action)
        s.check(rep["capture"]["malformed"] >= 2,
                f"{action}: capture.malformed {rep['capture']['malformed']}, want >= 2")
        s.check(all(p.get("problem") for p in rep["probes"] if p["result"] == "answered"),
                f"{action}: an answered probe without its problem")
    # The size tests with nothing but malformed answers: each still proves
    # its datagram arrived whole, so the path reads as clean.
    start_hostile(s, "truncated")
    rep, _, _ = hostile_run(s, args=(), label="truncated, full run", want_rc=(1,))
    s.clean_path(rep, label="truncated, full run", inbound="untested")
    finding(s, rep, "reply-malformed", "truncated, full run")


@scenario("hostile-oversized", charon=False)
def hostile_oversized(s):
    # Replies of 32 and 64 KB (4000 notifies; one 65 KB Vendor ID), which
    # the gateway's kernel sends in 22 and 45 IP fragments: reassembled,
    # parsed, named, and no memory growth.
    need_gnu_time()
    start_hostile(s, "valid")
    clean, _, clean_rss = hostile_run(s, args=(), label="valid, full run", want_rc=(0,))
    s.clean_path(clean, label="valid, full run", inbound="untested")
    for action, words in (("big-64k", "is 65507 bytes"), ("notifies-4000", "(4003 notifies")):
        label = f"{action}, full run"
        start_hostile(s, action)
        rep, _, rss = hostile_run(s, args=(), label=label, want_rc=(1,))
        for port in (500, 4500):
            s.port(rep, port, "open", label=label)
        s.clean_path(rep, label=label, inbound="untested")
        s.equal(rep["responder"]["reply"], "sa", f"{label}: responder.reply")
        s.check(len(rep["responder"]["notifies"]) <= 32,
                f"{label}: {len(rep['responder']['notifies'])} notifies listed, want <= 32")
        s.equal(rep["capture"]["malformed"], 0, f"{label}: capture.malformed (a refused datagram)")
        s.equal(rep["capture"]["dropped"], 0, f"{label}: capture.dropped")
        says(s, finding(s, rep, "reply-oversized", label), words, label)
        s.check(not any(x["code"] == "reply-malformed" for x in rep["findings"]),
                f"{label}: a well-formed reply called malformed")
        memory_bounded(s, rss, clean_rss, label)


@scenario("hostile-flood", charon=False)
def hostile_flood(s):
    need_gnu_time()
    start_hostile(s, "valid")
    clean, _, clean_rss = hostile_run(s, args=(), label="valid, full run", want_rc=(0,))
    # Every request answered 500 times: one answer per probe counts, the
    # rest are duplicates; the flood adds no probe and costs no memory.
    start_hostile(s, "flood")
    label = "flood, full run"
    rep, _, rss = hostile_run(s, args=(), label=label, want_rc=(1,))
    for port in (500, 4500):
        s.port(rep, port, "open", label=label)
    s.clean_path(rep, label=label, inbound="untested")
    c = rep["capture"]
    answered = [p for p in rep["probes"] if p["result"] == "answered"]
    s.equal(len(answered), len(rep["probes"]), f"{label}: answered probes")
    s.equal(len(rep["probes"]), len(clean["probes"]), f"{label}: probes (the clean run sent this many)")
    s.equal(c["replies"] - c["duplicates"], len(answered), f"{label}: replies that were not duplicates")
    s.check(c["duplicates"] >= 1000, f"{label}: capture.duplicates {c['duplicates']}, want >= 1000")
    s.equal(c["dropped"], 0, f"{label}: capture.dropped")
    s.check(all(p["attempts"] == 1 for p in rep["probes"]), f"{label}: a probe was retransmitted")
    says(s, finding(s, rep, "reply-flood", label), "time(s) and got", label)
    memory_bounded(s, rss, clean_rss, label)
    # 500 replies with someone else's SPI, then the answer: it is still
    # found at once (a capture ring with too few slots lost it).
    start_hostile(s, "wrong-spi*500,valid")
    label = "500 wrong SPIs, then the answer"
    rep, _, rss = hostile_run(s, label=label, want_rc=(0,))
    for port in (500, 4500):
        s.port(rep, port, "open", label=label)
    c = rep["capture"]
    s.check(c["unmatched_ike"] >= 1000, f"{label}: capture.unmatched_ike {c['unmatched_ike']}, want >= 1000")
    s.equal(c["dropped"], 0, f"{label}: capture.dropped")
    s.check(all(p["attempts"] == 1 for p in rep["probes"]), f"{label}: a probe was retransmitted")
    finding(s, rep, "unrelated-packets", label, severity="info")
    memory_bounded(s, rss, clean_rss, label)


@scenario("hostile-wrong-spi", charon=False)
def hostile_wrong_spi(s):
    start_hostile(s, "wrong-spi")
    rep, _, _ = hostile_run(s, label="wrong SPI", want_rc=(1,))
    for port in (500, 4500):
        s.port(rep, port, "silent", label="wrong SPI")
    c = rep["capture"]
    s.equal(c["replies"], 0, "wrong SPI: capture.replies")
    s.check(c["unmatched_ike"] >= 10, f"wrong SPI: capture.unmatched_ike {c['unmatched_ike']}, want >= 10")
    says(s, finding(s, rep, "unrelated-packets", "wrong SPI", severity="info"),
         f"{c['unmatched_ike']} IKE message(s) with an SPI we never sent", "wrong SPI")
    start_hostile(s, "wrong-spi*20,valid")
    rep, _, _ = hostile_run(s, label="wrong SPIs, then the answer", want_rc=(0,))
    for port in (500, 4500):
        s.port(rep, port, "open", label="wrong SPIs, then the answer")
    s.check(rep["capture"]["unmatched_ike"] >= 60,
            f"wrong SPIs, then the answer: capture.unmatched_ike {rep['capture']['unmatched_ike']}, want >= 60")
    finding(s, rep, "unrelated-packets", "wrong SPIs, then the answer", severity="info")


@scenario("hostile-wrong-source", charon=False)
def hostile_wrong_source(s):
    s.lab.ns(s.lab.gateway, ["ip", "addr", "add", ALT_GATEWAY_ADDR + "/24",
                             "dev", s.lab.ifname["gateway"]])
    # Our SPI, but from another address of the gateway and from another
    # port: a client drops these, so the ports stay silent, and the report
    # says where the answers went.
    start_hostile(s, "wrong-source")
    label = "wrong source"
    rep, _, _ = hostile_run(s, label=label, want_rc=(1,))
    for port in (500, 4500):
        s.port(rep, port, "silent", label=label)
    c = rep["capture"]
    s.equal(c["replies"], 0, f"{label}: capture.replies")
    s.check(c["other"] >= 20, f"{label}: capture.other {c['other']}, want >= 20")
    # Two wrong-port replies per transmission (from 501/4501 and from the
    # other IKE port): more than one per transmission proves both count.
    sent = sum(p["attempts"] for p in rep["probes"])
    s.check(c["wrong_address"] >= 10 and c["wrong_port"] > sent and c["without_marker"] == 0
            and c["wrong_address"] + c["wrong_port"] <= c["other"],
            f"{label}: capture wrong_address {c['wrong_address']}, wrong_port {c['wrong_port']} "
            f"({sent} transmissions), "
            f"without_marker {c['without_marker']}, other {c['other']}")
    says(s, finding(s, rep, "reply-wrong-address", label), f"came from {ALT_GATEWAY_ADDR} port 500", label)
    says(s, finding(s, rep, "reply-wrong-port", label), "from UDP port 501", label)
    finding(s, rep, "unrelated-packets", label, severity="info")
    # The same, followed by the right answer: taken, and the odd ones named.
    start_hostile(s, "wrong-source,valid")
    label = "wrong source, then the answer"
    rep, _, _ = hostile_run(s, label=label, want_rc=(1,))
    for port in (500, 4500):
        s.port(rep, port, "open", label=label)
    finding(s, rep, "reply-wrong-address", label)
    finding(s, rep, "reply-wrong-port", label)
    # NAT-T replies without the non-ESP marker: a client reads them as ESP.
    start_hostile(s, "no-marker")
    label = "no non-ESP marker"
    rep, _, _ = hostile_run(s, label=label, want_rc=(1,))
    s.port(rep, 500, "open", label=label)
    s.port(rep, 4500, "silent", label=label)
    c = rep["capture"]
    s.check(c["without_marker"] >= 5 and c["wrong_address"] == 0 and c["wrong_port"] == 0,
            f"{label}: capture without_marker {c['without_marker']}, wrong_address "
            f"{c['wrong_address']}, wrong_port {c['wrong_port']}")
    says(s, finding(s, rep, "reply-without-marker", label), "on UDP 4500", label)


@scenario("hostile-forged-icmp", charon=False)
def hostile_forged_icmp(s):
    # ICMP port unreachable, fragmentation needed, administratively
    # prohibited and TTL exceeded, from the gateway and from a made-up
    # router, quoting packets we never sent (and a redirect and a source
    # quench quoting the real request): not one is believed.
    start_hostile(s, "forged-icmp")
    label = "forged ICMP"
    rep, _, _ = hostile_run(s, label=label, want_rc=(1,))
    for port in (500, 4500):
        s.port(rep, port, "silent", label=label)
    no_icmp_believed(s, rep, label)
    c = rep["capture"]
    s.check(c["unmatched_icmp"] >= 32 * 10, f"{label}: capture.unmatched_icmp {c['unmatched_icmp']}, want >= 320")
    says(s, finding(s, rep, "unrelated-packets", label, severity="info"),
         f"{c['unmatched_icmp']} ICMP error(s) quoting packets we never sent", label)
    # Forged errors first, then the answer, for every probe of a full run
    # (fragmented ones too, with quotes of fragments never sent).
    start_hostile(s, "forged-icmp,valid")
    label = "forged ICMP, then the answer, full run"
    rep, _, _ = hostile_run(s, args=(), label=label, want_rc=(0,))
    for port in (500, 4500):
        s.port(rep, port, "open", label=label)
    no_icmp_believed(s, rep, label)
    s.clean_path(rep, label=label, inbound="untested")


# -- the schema itself (no lab, no root) --------------------------------------

SAMPLE_PATH = os.path.join(HERE, "sample-report.json")


def _mutations():
    """(what, change) pairs, each of which must make the sample invalid."""
    def drop(*path):
        def f(d):
            for k in path[:-1]:
                d = d[k]
            del d[path[-1]]
        return f

    def put(value, *path):
        def f(d):
            for k in path[:-1]:
                d = d[k]
            d[path[-1]] = value
        return f

    m = [(f"no {k}", drop(k)) for k in ("schema", "tool", "started", "duration_ms", "complete",
                                         "target", "local", "ports", "responder", "probes", "findings",
                                         "verdict", "fragments", "path_mtu", "traffic", "capture")]
    m += [(f"no ports.4500.{k}", drop("ports", "4500", k))
          for k in ("state", "reply", "icmp", "rtt_ms", "source_port", "meaning")]
    m += [(f"no responder.{k}", drop("responder", k))
          for k in ("fragmentation_supported", "vendor_ids", "notifies", "chosen", "ke_group", "nonce_length")]
    m += [(f"no probes.0.{k}", drop("probes", 0, k))
          for k in ("port", "size", "df", "fragments", "attempts", "result", "rtt_ms", "kind", "reply",
                    "purpose", "fragment_size")]
    m += [
        ("schema 2", put("ikeprobe.report/2", "schema")),
        ("started not RFC 3339", put("26 Nov 2026 19:52", "started")),
        ("duration_ms float", put(1.5, "duration_ms")),
        ("duration_ms negative", put(-1, "duration_ms")),
        ("complete as string", put("true", "complete")),
        ("family ipv5", put("ipv5", "target", "family")),
        ("state up", put("up", "ports", "4500", "state")),
        ("reply ok", put("ok", "ports", "4500", "reply")),
        ("open without reply", put(None, "ports", "4500", "reply")),
        ("filtered without icmp", put(None, "ports", "500", "icmp")),
        ("icmp type as string", put("3", "ports", "500", "icmp", "type")),
        ("icmp without from", drop("ports", "500", "icmp", "from")),
        ("rtt_ms as string", put("1.2", "ports", "4500", "rtt_ms")),
        ("port key not a number", put({}, "ports", "ike")),
        ("fragmentation_supported yes", put("yes", "responder", "fragmentation_supported")),
        ("vendor id name 0", put(0, "responder", "vendor_ids", 0, "name")),
        ("vendor id hex odd", put("abc", "responder", "vendor_ids", 0, "hex")),
        ("notifies with a number", put([16430], "responder", "notifies")),
        ("chosen as object", put({}, "responder", "chosen")),
        ("transform key_length string", put("256", "responder", "chosen", 0, "key_length")),
        ("ke_group as number", put(31, "responder", "ke_group")),
        ("nonce_length string", put("32", "responder", "nonce_length")),
        ("probe result timeout", put("timeout", "probes", 0, "result")),
        ("probe kind full", put("full", "probes", 0, "kind")),
        ("probe df 0", put(0, "probes", 0, "df")),
        ("probe answered without reply", put(None, "probes", 2, "reply")),
        ("severity fatal", put("fatal", "findings", 0, "severity")),
        ("finding code with spaces", put("UDP 500", "findings", 0, "code")),
        ("probe purpose size", put("size", "probes", 0, "purpose")),
        ("probe repeat false", put(False, "probes", 0, "repeat")),
        ("verdict needed as string", put("yes", "verdict", "ikev2_fragmentation_needed")),
        ("verdict without reason", drop("verdict", "reason")),
        ("fragments outbound blocked", put("blocked", "fragments", "outbound")),
        ("fragments inbound blocked", put("blocked", "fragments", "inbound")),
        ("fragments largest as string", put("4500", "fragments", "largest_answered")),
        ("path_mtu source guess", put("guess", "path_mtu", "source")),
        ("path_mtu icmp maybe", put("maybe", "path_mtu", "icmp")),
        ("path_mtu value tiny", put(10, "path_mtu", "value")),
        ("path_mtu black_hole null", put(None, "path_mtu", "black_hole")),
        ("traffic packets negative", put(-1, "traffic", "packets_sent")),
        # keys added in 0.2
        ("target.addresses with a name", put(["gw.example.net"], "target", "addresses")),
        ("target.cluster as string", put("no", "target", "cluster")),
        ("local.gateway not an address", put("router", "local", "gateway")),
        ("local.network without its prefix", put("192.0.2.0", "local", "network")),
        ("local.label empty", put("", "local", "label")),
        ("local.label of 201 bytes", put("x" * 201, "local", "label")),
        ("local.os as number", put(12, "local", "os")),
        ("nat.detected yes", put("yes", "nat", "detected")),
        ("nat without evidence", drop("nat", "evidence")),
        ("nat without detected", drop("nat", "detected")),
        ("nat.probe negative", put(-1, "nat", "probe")),
        ("invalid_ke_group as number", put(14, "responder", "invalid_ke_group")),
        ("probe send_error empty", put("", "probes", 0, "send_error")),
        ("others not an array", put({}, "others")),
        ("others with a non-report", put([{"x": 1}], "others")),
        ("others nested", lambda d: d.__setitem__("others", [dict(d, others=[])])),
        # keys added in 0.3
        ("started_us negative", put(-1, "started_us")),
        ("stopped for no reason", put({"reason": "tired", "error": None, "after_ms": None}, "stopped")),
        ("options without ports", drop("options", "ports")),
        ("options.ports empty", put([], "options", "ports")),
        ("options.rto_ms as string", put("200", "options", "rto_ms")),
        ("probe spi_i not hex", put("not-a-spi-at-all", "probes", 0, "spi_i")),
        ("probe spi_i short", put("0011", "probes", 0, "spi_i")),
        ("probe sent_ms negative", put([-1.0], "probes", 0, "sent_ms")),
        ("probe ended_ms as string", put("12", "probes", 0, "ended_ms")),
        ("probe ip_id negative", put(-1, "probes", 0, "ip_id")),
        ("icmp meaning unknown", put("broken", "ports", "500", "icmp", "meaning")),
        ("capture.reasm_expired negative", put(-1, "capture", "reasm_expired")),
        ("target.resolved family ipv5", put([{"address": "198.51.100.10", "family": "ipv5",
                                               "probed": True}], "target", "resolved")),
        ("target.resolved without probed", put([{"address": "198.51.100.10", "family": "ipv4"}],
                                                "target", "resolved")),
        ("nat.consequence empty", put("", "nat", "consequence")),
        ("verdict.in_headline as string", put("no", "verdict", "in_headline")),
        ("fragments.tested null", put(None, "fragments", "tested")),
        ("capture.unrelated as string", put("3", "capture", "unrelated")),
        ("auth without exchanges", drop("auth", "exchanges")),
        ("auth answer maybe", put("maybe", "auth", "answer")),
        ("auth.deleted as string", put("yes", "auth", "deleted")),
        ("auth exchange closed_by timeout", put("timeout", "auth", "exchanges", 0, "closed_by")),
        ("certificate days_left as string", put("30", "certificate", "days_left")),
        ("certificate san not a list", put("DNS:gw", "certificate", "san")),
        ("certificate without subject", drop("certificate", "subject")),
        ("certificate trusted maybe", put("maybe", "certificate", "trusted")),
        ("probe kind delete", put("delete", "probes", 5, "kind")),
        ("probe spi_r short", put("00", "probes", 5, "spi_r")),
        ("probe keys not hex", put("xyz", "probes", 5, "keys", "sk_ei")),
        ("probe keys without sk_pr", drop("probes", 5, "keys", "sk_pr")),
        ("probe exchange CREATE_CHILD_SA", put("CREATE_CHILD_SA", "probes", 5, "exchange")),
        ("fragments.ports inbound lost negative", put(-1, "fragments", "ports", "4500", "inbound", "lost")),
        ("options.auth as string", put("yes", "options", "auth")),
        # keys added in 0.4
        ("options.audit as string", put("yes", "options", "audit")),
        ("audit without accepted", drop("audit", "accepted")),
        ("audit requests negative", put(-1, "audit", "requests")),
        ("audit windows_default maybe", put("maybe", "audit", "windows_default")),
        ("audit entry answer maybe", put("maybe", "audit", "accepted", 0, "answer")),
        ("audit entry rfc8247 OPTIONAL", put("OPTIONAL", "audit", "accepted", 0, "rfc8247")),
        ("audit entry type ESP", put("ESP", "audit", "refused", 0, "type")),
        ("audit controls not an object", put([], "audit", "controls")),
        ("audit conclusive null", put(None, "audit", "conclusive")),
        ("probe offer a number", put(3, "probes", -1, "offer")),
    ]
    return m


def check_schema(s):
    import copy
    v = s.validator()
    with open(SAMPLE_PATH) as f:
        sample = json.load(f)
    s.validate(sample, "sample-report.json")
    extra = copy.deepcopy(sample)
    extra["future_key"] = {"x": 1}
    extra["ports"]["500"]["future_key"] = 1
    extra["responder"]["certreq"] = 0
    extra["probes"][0]["id"] = 0
    # Readers ignore keys they do not know: the schema (not the strict
    # check of ikeprobe's own output) accepts them.
    for e in v.iter_errors(extra):
        s.errors.append(f"sample with unknown keys: {e.message}")
    nulls = copy.deepcopy(sample)
    nulls["responder"].update(fragmentation_supported=None, chosen=None, ke_group=None,
                              nonce_length=None, vendor_ids=[], notifies=[])
    nulls["local"]["mtu"] = None
    nulls["local"].update(gateway=None, network=None, label=None, hostname=None, os=None, kernel=None)
    nulls["nat"].update(detected=None, client_side=None, gateway_side=None, probe=None)
    nulls["certificate"] = None
    nulls["auth"].update(port=None, proposal=None, answer=None, deleted=None,
                         load_balancer_evidence=None, exchanges=[])
    s.validate(nulls, "sample with no SA reply")
    # --all-addresses: the first address's report with the others in it.
    other = copy.deepcopy(sample)
    del other["others"]
    other["target"]["address"] = ALT_GATEWAY_ADDR
    cluster = copy.deepcopy(sample)
    cluster["others"] = [other]
    s.validate(cluster, "sample with the report of another address")
    # A report of ikeprobe 0.1 without the keys added since is still valid.
    old = copy.deepcopy(sample)
    for k in ("nat", "others"):
        del old[k]
    for where, keys in CURRENT_KEYS.items():
        for k in keys:
            if not where or where in old:
                (old[where] if where else old).pop(k, None)
    s.check(v.is_valid(old), "schema refuses a report without the keys added in 0.2 and 0.3")
    strict = s.validator(strict=True)
    for what, change in _mutations():
        d = copy.deepcopy(sample)
        change(d)
        s.check(not v.is_valid(d), f"schema accepts a report with {what}")
        s.check(not strict.is_valid(d), f"the strict schema accepts a report with {what}")
    s.check(not strict.is_valid(extra), "the strict schema accepts undeclared keys")


# The IKE_AUTH probe's scenarios (auth_scenarios.py), in the same table.
import auth_scenarios  # noqa: E402
auth_scenarios.register(scenario, sys.modules[__name__])
# The proposal audit's (audit_scenarios.py).
import audit_scenarios  # noqa: E402
audit_scenarios.register(scenario, sys.modules[__name__])
# The lab's SSTP server checked against sstpc (sstp_scenarios.py).
import sstp_scenarios  # noqa: E402
sstp_scenarios.register(scenario, sys.modules[__name__])
# IPv6 twins and dual-stack gateways (ipv6_scenarios.py).
import ipv6_scenarios  # noqa: E402
ipv6_scenarios.register(scenario, sys.modules[__name__])
# Many gateways in one run, and the exporter under Prometheus
# (many_scenarios.py).
import many_scenarios  # noqa: E402
many_scenarios.register(scenario, sys.modules[__name__])


# -- driver ------------------------------------------------------------------

def run(name, ikeprobe, keep=False, verbose=False, replay=None):
    s = Scenario(name, ikeprobe, keep=keep, verbose=verbose, replay=replay)
    if name == "schema":
        try:
            check_schema(s)
        except Skip as e:
            print(f"SKIP lab-{name}: {e}")
            return EXIT_SKIP
        return verdict(s)
    fn, needs = SCENARIOS[name]
    try:
        L.check_environment(**needs)
        if not (os.path.isfile(ikeprobe) and os.access(ikeprobe, os.X_OK)):
            print(f"FAIL lab-{name}: no executable ikeprobe at {ikeprobe}")
            return EXIT_FAIL
        s.validator()
        with L.Lab(ikeprobe, keep=keep) as lab:
            s.lab = lab
            try:
                fn(s)
            except Abort:
                pass
            except Exception:
                s.errors.append("exception:\n" + traceback.format_exc())
            try:
                replay_all(s)
            except Exception:
                s.errors.append("replay: exception:\n" + traceback.format_exc())
            if s.errors or verbose:
                s.dump()
    except (Skip, L.LabUnavailable) as e:
        print(f"SKIP lab-{name}: {e}")
        return EXIT_SKIP
    except L.LabError as e:
        if "Operation not permitted" in str(e):
            print(f"SKIP lab-{name}: cannot create network namespaces here: {str(e).splitlines()[-1]}")
            return EXIT_SKIP
        print(f"FAIL lab-{name}: lab: {e}")
        s.dump()
        return EXIT_FAIL
    return verdict(s)


def verdict(s):
    name = s.name
    for n in s.notes:
        print(f"note: {n}")
    if s.replayed:
        print(f"note: {s.replayed} report(s) re-derived from their captures")
    if s.errors:
        print(f"FAIL lab-{name}: {len(s.errors)} check(s) failed:")
        for e in s.errors:
            print("  - " + e.replace("\n", "\n    "))
        return EXIT_FAIL
    print(f"PASS lab-{name}")
    return EXIT_PASS


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ikeprobe", help="path to the ikeprobe binary")
    ap.add_argument("--replay", help="path to ikeprobe-replay (tests/tools/replay.c): "
                    "re-derive every report from its capture")
    ap.add_argument("--keep", action="store_true",
                    help="keep the lab's temporary directory (charon log, pcap)")
    ap.add_argument("--verbose", "-v", action="store_true",
                    help="print reports and logs also when the scenario passes")
    ap.add_argument("--list", action="store_true", help="list the scenarios")
    ap.add_argument("scenario", nargs="?", choices=sorted(SCENARIOS) + ["schema"],
                    help="a lab scenario, or `schema' (check the schema "
                    "against sample-report.json; needs no root)")
    a = ap.parse_args(argv)
    if a.list:
        print("\n".join(list(SCENARIOS) + ["schema"]))
        return 0
    if a.scenario == "schema":
        return run("schema", a.ikeprobe or "")
    if not a.scenario or not a.ikeprobe:
        ap.error("need --ikeprobe PATH and a SCENARIO")
    if os.geteuid() != 0:
        print(f"SKIP lab-{a.scenario}: needs root to create network namespaces")
        return EXIT_SKIP
    return run(a.scenario, os.path.abspath(a.ikeprobe), keep=a.keep, verbose=a.verbose,
               replay=os.path.abspath(a.replay) if a.replay else None)


if __name__ == "__main__":
    sys.exit(main())
