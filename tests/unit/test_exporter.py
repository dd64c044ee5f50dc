#!/usr/bin/python3
"""The exporter's output and examples, through Prometheus' own checker:

- every saved report (tests/unit/reports/, good ones, and the lab's
  sample) rendered as a probe's metrics by test_exporter --metrics, and an
  exporter's /metrics (test_exporter --health), must pass
  `promtool check metrics` (the text format and its lint);
- docs/examples/prometheus.yml must pass `promtool check config` (which
  also checks the rule file it names), ikeprobe.rules.yml
  `promtool check rules`, and the alerts must fire as docs/EXPORTER.md
  says: `promtool test rules` on tests/unit/exporter-rules.test.yml.

Skipped (exit 77) when promtool is not installed (Debian: prometheus).

usage: test_exporter.py PATH-TO-test_exporter SOURCE-ROOT
"""
import os
import shutil
import subprocess
import sys

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def run(args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True)


def main():
    tool, root = sys.argv[1], sys.argv[2]
    promtool = shutil.which("promtool")
    if promtool is None:
        print("SKIP: promtool is not installed (Debian package prometheus)")
        sys.exit(77)

    reports = os.path.join(root, "tests", "unit", "reports")
    files = sorted(os.path.join(reports, f) for f in os.listdir(reports)
                   if f.endswith(".json") and not f.startswith("broken-"))
    files.append(os.path.join(root, "tests", "lab", "sample-report.json"))
    pages = []
    for f in files:
        r = run([tool, "--metrics", f])
        if r.returncode != 0:
            fail(f"{f}: test_exporter --metrics: {r.stderr.strip()}")
            continue
        pages.append((os.path.basename(f), r.stdout))
    r = run([tool, "--health"])
    if r.returncode != 0:
        fail("test_exporter --health: " + r.stderr.strip())
    else:
        pages.append(("/metrics", r.stdout))
    for name, text in pages:
        if not text.endswith("\n") or "ikeprobe_probe_success" not in text \
                and name != "/metrics":
            fail(f"{name}: not a probe's metrics")
        r = run([promtool, "check", "metrics"], stdin=text)
        # promtool prints lint problems and exits 1; a parse error too.
        if r.returncode != 0 or r.stdout.strip() or r.stderr.strip():
            fail(f"{name}: promtool check metrics: "
                 f"{(r.stdout + r.stderr).strip()}")
        # Every series once: promtool's lint does not say it.
        series = [line.rsplit(" ", 1)[0] for line in text.splitlines()
                  if line and not line.startswith("#")]
        if len(series) != len(set(series)):
            fail(f"{name}: a series twice")
    print(f"{len(pages)} pages of metrics pass promtool check metrics")

    examples = os.path.join(root, "docs", "examples")
    for args in (["check", "config", os.path.join(examples, "prometheus.yml")],
                 ["check", "rules", os.path.join(examples,
                                                 "ikeprobe.rules.yml")]):
        r = run([promtool] + args)
        if r.returncode != 0:
            fail(f"promtool {' '.join(args)}: {(r.stdout + r.stderr).strip()}")
        else:
            print(f"promtool {args[0]} {args[1]} {os.path.basename(args[2])}: ok")
    # promtool test rules reads rule_files relative to the test file.
    test = os.path.join(root, "tests", "unit", "exporter-rules.test.yml")
    r = run([promtool, "test", "rules", test])
    if r.returncode != 0:
        fail(f"promtool test rules: {(r.stdout + r.stderr).strip()}")
    else:
        print("promtool test rules exporter-rules.test.yml: ok")

    if failures:
        print(f"{len(failures)} failed")
        sys.exit(1)
    print("all passed")


main()
