#!/usr/bin/python3
"""What a packager gets: `meson install` into a scratch DESTDIR installs the
program, the man page, the completion, the report schemas, docs/REPORTS.md
and the LICENSE; every path the installed man page names under FILES is
there; and a plain `meson compile` builds no test-only program (the fuzz
replays, unit tests and lab tools are built by `meson test` only).

usage: test_install.py BUILDDIR
"""

import json
import os
import re
import subprocess
import sys
import tempfile

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def main():
    build = sys.argv[1]
    targets = json.loads(subprocess.run(
        ["meson", "introspect", "--targets", build], check=True,
        capture_output=True, text=True).stdout)
    options = json.loads(subprocess.run(
        ["meson", "introspect", "--buildoptions", build], check=True,
        capture_output=True, text=True).stdout)
    # -Dfuzzing=true asks for the libFuzzer binaries: a developer's build.
    fuzzing = any(o["name"] == "fuzzing" and o["value"] for o in options)
    for t in targets:
        if t["type"] != "executable":
            continue
        if fuzzing and t["name"].startswith("fuzz_"):
            continue
        if t["name"] == "ikeprobe":
            if not t["build_by_default"] or not t["installed"]:
                fail("ikeprobe is not built and installed by default")
        elif t["build_by_default"]:
            fail(f"test-only executable {t['name']} is built by default")

    with tempfile.TemporaryDirectory() as dest:
        r = subprocess.run(["meson", "install", "-C", build, "--no-rebuild",
                            "--destdir", dest, "--quiet"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            fail("meson install: " + (r.stderr or r.stdout).strip())
            return
        files = set()
        for root, _, names in os.walk(dest):
            for n in names:
                files.add("/" + os.path.relpath(os.path.join(root, n), dest))
        need = ["bin/ikeprobe", "share/man/man1/ikeprobe.1",
                "share/ikeprobe/schema/report.schema.json",
                "share/ikeprobe/schema/compare.schema.json",
                "share/ikeprobe/schema/explain.schema.json",
                "share/doc/ikeprobe/REPORTS.md", "share/doc/ikeprobe/LICENSE",
                "share/bash-completion/completions/ikeprobe"]
        for n in need:
            if not any(f.endswith("/" + n) for f in files):
                fail(f"not installed: {n}")
        man = [f for f in files if f.endswith("/man1/ikeprobe.1")]
        if not man:
            return
        text = open(dest + man[0]).read()
        if "@" in re.sub(r"^\.\\\".*$", "", text, flags=re.M):
            fail("installed man page has an unsubstituted @VAR@")
        section = text.split(".SH FILES", 1)[-1].split(".SH ", 1)[0]
        named = re.findall(r"^\.I (/\S+)", section, re.M)
        if not named:
            fail("man page FILES names no path")
        for path in named:
            if path not in files:
                fail(f"man page FILES names {path}, which is not installed")
        lic = [f for f in files if f.endswith("/doc/ikeprobe/LICENSE")]
        if lic and "Permission to use, copy, modify" not in open(dest + lic[0]).read():
            fail("LICENSE is not the ISC licence text")


main()
if failures:
    sys.exit(1)
print("ok: install layout, man page FILES, test-only targets")
