#!/usr/bin/python3
"""The options in `ikeprobe --help', the man page and the bash completion
agree: every long option of one is in the others, with the same short form,
and the subcommands are in all three. The man page must format without
warnings; with bash-completion installed, the completion is exercised too.
Every finding code the diagnosis can write (src/diag) is in the table of
docs/REPORTS.md, and the table names no code the source does not write.

usage: test_docs.py IKEPROBE MANPAGE COMPLETION REPORTS_MD DIAG_DIR
"""

import os
import re
import shutil
import subprocess
import sys

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def from_help(text):
    longs = set(re.findall(r"(?<![\w-])--([a-z][a-z-]*[a-z])", text))
    pairs = dict((l, s) for s, l in re.findall(r"^\s+-(\w), --([a-z-]+)", text, re.M))
    return longs, pairs


def from_man(text):
    text = text.replace("\\-", "-")
    longs = set(re.findall(r"(?<![\w-])--([a-z][a-z-]*[a-z])", text))
    pairs = dict((l, s) for s, l in re.findall(r'^\.BR -(\w) ", " --([a-z-]+)', text, re.M))
    return longs, pairs


def from_completion(text):
    longs = set()
    for var in ("probe_opts", "file_opts", "analyze_opts"):
        m = re.search(var + r'="([^"]*)"', text)
        if not m:
            fail(f"completion: no {var}")
            continue
        longs |= set(re.findall(r"--([a-z][a-z-]*)", m.group(1)))
    # Options whose value is completed, with their short forms.
    pairs = {}
    for s, l in re.findall(r"^\s+-(\w) \| --([a-z-]+)\)", text, re.M):
        pairs[l] = s
    return longs, pairs


def complete(completion, words):
    """What bash completes for the command line `words' (the last one
    being completed), with bash-completion loaded."""
    line = " ".join(words)
    script = (
        "source /usr/share/bash-completion/bash_completion\n"
        f"source {completion}\n"
        f"COMP_LINE={line!r}; COMP_POINT=${{#COMP_LINE}}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        "_ikeprobe ikeprobe \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"\n"
        "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                       text=True, cwd=os.path.dirname(completion))
    return set(p.stdout.split())


def finding_codes_in_source(diag):
    """The codes add_finding() is given: literals, the per-port
    "udp%u-..." codes expanded for the ports probed by default, and the
    stray-reply codes of include/ikeprobe/obs.h."""
    codes = set()
    for fn in sorted(os.listdir(diag)):
        if not fn.endswith(".c"):
            continue
        with open(os.path.join(diag, fn)) as f:
            src = f.read()
        codes |= set(re.findall(r'add_finding\(rep,\s*\w+,\s*"([a-z0-9-]+)"', src))
        for suffix in re.findall(r'"udp%u-([a-z-]+)"', src):
            codes |= {f"udp500-{suffix}", f"udp4500-{suffix}"}
    # Codes kept in a name table beside their enum (stray_code()).
    with open(os.path.join(diag, "..", "..", "include", "ikeprobe", "obs.h")) as f:
        codes |= set(re.findall(r'X\(STRAY_\w+, "[a-z_]+", "([a-z0-9-]+)"\)', f.read()))
    # ikeprobe analyze's judgement (src/analyze): add(a, conv, severity,
    # "code", ...), and a code chosen between two.
    analyze = os.path.join(diag, "..", "analyze")
    for fn in sorted(os.listdir(analyze)):
        if not fn.endswith(".c"):
            continue
        with open(os.path.join(analyze, fn)) as f:
            src = f.read()
        codes |= set(re.findall(r'add\(a,\s*[-\w]+,\s*\w+,\s*"([a-z0-9-]+)"', src))
        for a, b in ([] if fn != "judge.c" else re.findall(r'\?\s*"([a-z0-9]+-[a-z0-9-]+)"\s*:\s*"([a-z0-9]+-[a-z0-9-]+)"', src)):
            codes |= {a, b}
        for suffix in re.findall(r'"udp%u-([a-z-]+)"', src):
            codes |= {f"udp500-{suffix}", f"udp4500-{suffix}"}
    return codes


def finding_codes_in_doc(text):
    """The codes in the first column of the table under `## Findings'."""
    m = re.search(r"^## Findings\n(.*?)(?=^## )", text, re.M | re.S)
    if not m:
        return set()
    codes = set()
    for line in m.group(1).splitlines():
        if line.startswith("| `"):
            codes |= set(re.findall(r"`([a-z0-9-]+)`", line.split("|")[1]))
    return codes


def check_findings(reports_md, diag):
    with open(reports_md) as f:
        doc = finding_codes_in_doc(f.read())
    src = finding_codes_in_source(diag)
    if len(src) < 20:
        fail(f"only {len(src)} finding codes found in {diag}: the pattern no longer matches the source")
    for c in sorted(src - doc):
        fail(f"finding `{c}' is written by {diag} but not in the table of {reports_md}")
    for c in sorted(doc - src):
        fail(f"finding `{c}' is in {reports_md} but nothing in {diag} writes it")


def main():
    if len(sys.argv) != 6:
        print(__doc__)
        return 2
    binary, man, completion, reports_md, diag = sys.argv[1:]
    check_findings(reports_md, diag)
    completion = os.path.abspath(completion)
    p = subprocess.run([binary, "--help"], capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"--help: exit {p.returncode}")
    help_text = p.stdout
    with open(man) as f:
        man_text = f.read()
    with open(completion) as f:
        comp_text = f.read()

    h, hp = from_help(help_text)
    m, mp = from_man(man_text)
    c, cp = from_completion(comp_text)
    for name, got in (("the man page", m), ("the completion", c)):
        for o in sorted(h - got):
            fail(f"--{o} is in --help but not in {name}")
        for o in sorted(got - h):
            fail(f"--{o} is in {name} but not in --help")
    for o, s in hp.items():
        if mp.get(o) != s:
            fail(f"--help has -{s}, --{o}; the man page has {mp.get(o)!r}")
    for o, s in mp.items():
        if hp.get(o) != s:
            fail(f"the man page has -{s}, --{o}; --help has {hp.get(o)!r}")
    for o, s in cp.items():
        if hp.get(o) != s:
            fail(f"the completion has -{s} | --{o}; --help has -{hp.get(o)}")
    for sub in ("show", "compare", "analyze"):
        if f"ikeprobe {sub}" not in help_text:
            fail(f"--help does not show `ikeprobe {sub}'")
        if f".B ikeprobe {sub}" not in man_text or f".BI \"{sub} " not in man_text:
            fail(f"the man page does not document `{sub}'")
        if sub not in re.findall(r"compgen -W '([^']*)'", comp_text)[-1].split():
            fail(f"the completion does not offer `{sub}'")
    if len(h) < 15:
        fail(f"only {len(h)} long options found in --help: the pattern is broken")

    if shutil.which("groff"):
        p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", man], capture_output=True, text=True)
        if p.returncode != 0 or p.stderr.strip():
            fail(f"groff warns about the man page: {p.stderr.strip()}")
    else:
        print("note: groff not installed; man page not formatted")

    if os.path.exists("/usr/share/bash-completion/bash_completion"):
        cases = [
            (["ikeprobe", "--f"], {"--format", "--fragment-size"}),
            (["ikeprobe", "--format", ""], {"text", "json", "jsonl", "markdown"}),
            (["ikeprobe", "sh"], {"show"}),
            (["ikeprobe", "show", "--"], {"--format", "--json", "--help"}),
            (["ikeprobe", "compare", "-f", "m"], {"markdown"}),
            (["ikeprobe", "--all"], {"--all-addresses"}),
            (["ikeprobe", "analyze", "--k"], {"--keys"}),
            (["ikeprobe", "an"], {"analyze"}),
        ]
        for words, want in cases:
            got = complete(completion, words)
            if got != want:
                fail(f"completing {' '.join(words)!r}: got {sorted(got)}, want {sorted(want)}")
    else:
        print("note: bash-completion not installed; completion not exercised")

    if failures:
        print(f"{len(failures)} failed")
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
