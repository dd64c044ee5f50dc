#!/usr/bin/python3
"""Golden tests for rendering saved reports: `ikeprobe show` and `ikeprobe
compare` on the reports in reports/, against the expected output in golden/.

usage: test_render.py IKEPROBE

Run from tests/unit (meson does). The reports are real ones from the lab
(hq, hotel, nat, cluster; auth: an EAP gateway with an expired certificate
behind a network that drops its IP fragments), one cut down by hand to fewer keys than even
ikeprobe 0.1 wrote (old-0.1: no NAT, context, verdict or size keys), one
with hostile strings (terminal escapes, Markdown
that would add links and cells, bidirectional overrides), and broken ones
(broken-*: truncated, not JSON, not a report, wrong types...), each of which
must give one line on stderr naming the file, and exit 2.

Regenerate the golden files after a deliberate change with
IKEPROBE_WRITE_GOLDEN=1, and review the diff.
"""

import json
import os
import fcntl
import pty
import shutil
import struct
import termios
import subprocess
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPORTS = os.path.join(HERE, "reports")
GOLDEN = os.path.join(HERE, "golden")
SCHEMA = os.path.join(HERE, "..", "..", "schema", "report.schema.json")
COMPARE_SCHEMA = os.path.join(HERE, "..", "..", "schema", "compare.schema.json")
WRITE = bool(os.environ.get("IKEPROBE_WRITE_GOLDEN"))
NOTED_NO_CMARK = []
sys.path.insert(0, os.path.join(HERE, ".."))
from strict_schema import strict_schema  # noqa: E402

GOOD = ["hq", "hotel", "nat", "cluster", "auth", "audit", "sstp", "dual-office", "dual-carrier",
        "old-0.1", "hostile-strings"]
# Reports of this version: valid against the schema, strictly.
CURRENT = ["hq", "hotel", "nat", "cluster", "auth", "audit", "sstp", "dual-office", "dual-carrier"]
COMPARES = [
    ("hq-hotel", ["hq", "hotel"], ("txt", "md", "json")),
    ("hq-auth", ["hq", "auth"], ("txt", "md", "json")),
    ("hq-audit", ["hq", "audit"], ("txt", "md", "json")),
    ("hq-sstp", ["hq", "sstp"], ("txt", "md", "json")),
    # Two dual-stack reports: IPv6 beside IPv6, IPv4 beside IPv4.
    ("dual", ["dual-office", "dual-carrier"], ("txt", "md", "json")),
    ("old-new", ["old-0.1", "hq"], ("txt", "md")),
    ("cluster", ["cluster"], ("txt", "md")),
    ("all", ["hq", "hotel", "nat", "cluster", "old-0.1"], ("txt",)),
    # Two runs from one network without --label: the columns must differ.
    ("unlabelled", ["unlabelled-1", "unlabelled-2"], ("txt", "md")),
]
# Text on a pipe or in a file is wrapped to this many columns.
TEXT_WIDTH = 80
# The narrowest text column (the evidence table's detail, from column 60):
# a longer word may overrun the width, since it is never cut.
NARROWEST = TEXT_WIDTH - 60
FORMATS = {"txt": "text", "md": "markdown", "json": "json"}

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def run(argv, env=None):
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.update(env or {})
    p = subprocess.run(argv, cwd=REPORTS, capture_output=True, env=e)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def golden(name, got):
    path = os.path.join(GOLDEN, name)
    if WRITE:
        with open(path, "w") as f:
            f.write(got)
        return
    try:
        with open(path) as f:
            want = f.read()
    except OSError:
        fail(f"{name}: no golden file (IKEPROBE_WRITE_GOLDEN=1 writes it)")
        return
    if got != want:
        import difflib
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                            f"golden/{name}", "got", n=1))
        fail(f"{name} differs from the golden file:\n{diff[:3000]}")


def pipes(line):
    """Cell separators of a table row: pipes not escaped with a backslash."""
    n, i = 0, 0
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        n += line[i] == "|"
        i += 1
    return n


def check_markdown(name, text):
    """What makes Markdown render right on GitHub, GitLab and in Jira: each
    table's rows have as many cells as its header, a blank line before it;
    and, with GitHub's own renderer (cmark-gfm) when installed, the tables
    are tables and nothing from a report became a link, image or HTML."""
    lines = text.split("\n")
    tables = 0
    for i, ln in enumerate(lines):
        if not ln.startswith("|"):
            continue
        if i == 0 or not lines[i - 1].startswith("|"):
            tables += 1
            head = pipes(ln)
            if i > 0 and lines[i - 1].strip():
                fail(f"{name}: no blank line before the table at line {i + 1}")
        elif pipes(ln) != head:
            fail(f"{name}: line {i + 1} has {pipes(ln) - 1} cells, the header {head - 1}: {ln[:120]}")
    cmark = shutil.which("cmark-gfm")
    if not cmark:
        if not NOTED_NO_CMARK:
            NOTED_NO_CMARK.append(True)
            print("note: cmark-gfm is not installed: Markdown checked for "
                  "table shape only, not rendered (scripts/deps.sh installs it)")
        return
    p = subprocess.run([cmark, "-e", "table", "-e", "autolink", "-e", "strikethrough"],
                       input=text, capture_output=True, text=True)
    html = p.stdout
    if html.count("<table>") != tables:
        fail(f"{name}: cmark-gfm renders {html.count('<table>')} tables of {tables}")
    for tag in ("<a ", "<img", "<script", "<del>"):
        if tag in html:
            fail(f"{name}: cmark-gfm renders a {tag}: a report string became Markdown")


def validator(path, strict):
    import jsonschema
    with open(path) as f:
        schema = json.load(f)
    if strict:
        schema = strict_schema(schema)
    return jsonschema.validators.validator_for(schema)(schema)


def too_wide(text, width):
    """Lines past width that are not one word too long to break."""
    bad = []
    for ln in text.splitlines():
        if len(ln) > width and len(ln.split()[-1]) <= NARROWEST:
            bad.append(ln)
    return bad


def on_terminal(binary, args, env, cols=None):
    """stdout of ikeprobe ARGS on a pseudo-terminal (cols wide)."""
    master, slave = pty.openpty()
    if cols:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.update(env)
    p = subprocess.Popen([binary] + args, cwd=REPORTS, stdout=slave, stderr=subprocess.DEVNULL, env=e)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    p.wait()
    os.close(master)
    return out.decode(errors="replace")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    strict = validator(SCHEMA, True)
    loose = validator(SCHEMA, False)
    cmp_strict = validator(COMPARE_SCHEMA, True)

    for name in GOOD:
        f = name + ".json"
        raw = open(os.path.join(REPORTS, f)).read()
        if name in CURRENT:
            for e in strict.iter_errors(json.loads(raw)):
                fail(f"{f}: schema: {'/'.join(map(str, e.absolute_path))}: {e.message}")
        elif name == "hostile-strings":
            # Unknown keys are allowed; its finding code breaks the rule.
            errs = [e.message for e in loose.iter_errors(json.loads(raw))]
            if not any("Bad Code!" in m for m in errs):
                fail(f"{f}: the schema accepts the finding code `Bad Code!'")
        for ext, fmt in FORMATS.items():
            rc, out, err = run([binary, "show", "--format", fmt, f])
            if rc != 0 or err:
                fail(f"show --format {fmt} {f}: exit {rc}, stderr {err!r}")
            if ext == "json":
                if out != raw:
                    fail(f"show --format json {f}: not the file as saved")
            else:
                golden(f"show-{name}.{ext}", out)
            if ext == "txt":
                for ln in too_wide(out, TEXT_WIDTH)[:3]:
                    fail(f"show {f} on a pipe: wider than {TEXT_WIDTH}: {ln!r}")
            if ext == "md":
                check_markdown(f"show --format markdown {f}", out)
        # --json is the short form; the default on a pipe is text.
        rc, out, _ = run([binary, "show", "--json", f])
        if out != raw:
            fail(f"show --json {f}: not the file as saved")
        rc, out, _ = run([binary, "show", f])
        if out != open(os.path.join(GOLDEN, f"show-{name}.txt")).read() and not WRITE:
            fail(f"show {f}: the default format is not text")
        for mark in ("\033", "\u202e", "\u0007", "\u009b"):
            if mark in out:
                fail(f"show {f}: {mark!r} reaches the terminal")

    # Colour only on a terminal, and never with NO_COLOR.
    tty = on_terminal(binary, ["show", "hq.json"], {})
    if "\033[" not in tty:
        fail("show on a terminal: no colour")
    tty = on_terminal(binary, ["show", "hq.json"], {"NO_COLOR": "1"})
    if "\033[" in tty:
        fail("show on a terminal with NO_COLOR: colour")
    tty = on_terminal(binary, ["compare", "hq.json", "hotel.json"], {"NO_COLOR": "1"})
    if "\033[" in tty:
        fail("compare on a terminal with NO_COLOR: colour")
    # TERM=dumb: a terminal that has no colour.
    for argv in (["show", "hq.json"], ["compare", "hq.json", "hotel.json"]):
        tty = on_terminal(binary, argv, {"TERM": "dumb"})
        if "\033[" in tty:
            fail(f"{' '.join(argv)} on a terminal with TERM=dumb: colour")
    # On a terminal, text fits its width, whatever it is.
    for cols in (100, 132):
        tty = on_terminal(binary, ["show", "auth.json"], {"NO_COLOR": "1"}, cols)
        for ln in too_wide(tty.replace("\r", ""), cols)[:3]:
            fail(f"show on a {cols}-column terminal: wider: {ln!r}")
        widest = max(len(ln) for ln in tty.replace("\r", "").splitlines())
        if widest <= cols - 25:
            fail(f"show on a {cols}-column terminal: widest line {widest}: not wrapped to the terminal")

    for f in sorted(os.listdir(REPORTS)):
        if not f.startswith("broken-"):
            continue
        name = f[:-len(".json")]
        rc, out, err = run([binary, "show", f])
        if rc != 2:
            fail(f"show {f}: exit {rc}, want 2")
        if out:
            fail(f"show {f}: stdout {out[:200]!r}")
        if len(err.splitlines()) != 1 or not err.endswith("\n") or f not in err:
            fail(f"show {f}: want one line naming the file, got {err!r}")
        golden(f"show-{name}.err", err)
        rc, out, err2 = run([binary, "compare", "hq.json", f])
        if rc != 2 or out or err2 != err:
            fail(f"compare hq.json {f}: exit {rc}, stdout {out[:100]!r}, stderr {err2!r}")

    for name, reports, exts in COMPARES:
        files = [r + ".json" for r in reports]
        for ext in exts:
            rc, out, err = run([binary, "compare", "--format", FORMATS[ext]] + files)
            if rc not in (0, 1) or err:
                fail(f"compare {name} --format {FORMATS[ext]}: exit {rc}, stderr {err!r}")
            if ext == "json":
                for e in cmp_strict.iter_errors(json.loads(out)):
                    fail(f"compare {name}: schema: {'/'.join(map(str, e.absolute_path))}: {e.message}")
                if rc != (1 if json.loads(out)["differences"] else 0):
                    fail(f"compare {name}: exit {rc} with {json.loads(out)['differences']} differences")
            golden(f"compare-{name}.{ext}", out)
            if ext == "md":
                check_markdown(f"compare --format markdown {name}", out)

    # Usage errors: one line, exit 2.
    for argv in (["show"], ["show", "a.json", "b.json"], ["compare"], ["compare", "hq.json"],
                 ["show", "--format", "yaml", "hq.json"], ["show", "no-such-file.json"],
                 ["compare", "hq.json", "no-such-file.json"], ["show", "."],
                 ["compare", "--bogus", "hq.json"]):
        rc, out, err = run([binary] + argv)
        if rc != 2 or out or len(err.splitlines()) != 1:
            fail(f"ikeprobe {' '.join(argv)}: exit {rc}, stdout {out[:80]!r}, stderr {err!r}")

    if failures:
        print(f"{len(failures)} failed")
        return 1
    print("all passed" + (" (golden files written)" if WRITE else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
