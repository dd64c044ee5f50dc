#!/bin/sh
# Install what ikeprobe needs to build, and what its tests and lab need, on
# Debian 12 or Ubuntu 22.04+. Safe to run again: installs only what is missing.
set -eu

BUILD="gcc meson ninja-build pkg-config libpcap-dev libsodium-dev libssl-dev libjson-c-dev libcap-ng-dev"
LAB="iproute2 nftables strongswan-charon strongswan-swanctl libstrongswan-standard-plugins libcharon-extra-plugins libcharon-extauth-plugins tshark python3 python3-jsonschema python3-cryptography libcap2-bin time cmark-gfm bash-completion groff-base"

missing=""
for p in $BUILD $LAB; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "ikeprobe: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; the default (no) is fine.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
