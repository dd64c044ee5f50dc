#!/bin/sh
# Install what is needed, build, and run ikeprobe against a demo gateway
# (real strongSwan) in a throw-away lab of network namespaces: a real report
# without a real VPN gateway. Extra arguments go to tests/lab/demo.py, e.g.
#   scripts/demo.sh --drop 4500        the router drops UDP 4500
#   scripts/demo.sh --mtu 1400 --no-icmp   a path-MTU black hole
# The lab needs root (it builds network namespaces); sudo is used if needed.
set -eu
cd "$(dirname "$0")/.."

scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
exec $SUDO /usr/bin/python3 tests/lab/demo.py "$@"
