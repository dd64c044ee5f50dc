#!/bin/sh
# Install what ikeprobe needs to build, and what its tests and lab need, on
# Debian 12 or Ubuntu 22.04+. Safe to run again: installs only what is missing.
set -eu

BUILD="gcc meson ninja-build pkg-config libpcap-dev libsodium-dev libssl-dev libjson-c-dev libcap-ng-dev libmicrohttpd-dev"
# libreswan's own libraries and NSS tools; libreswan itself conflicts with
# strongswan-charon in apt, so it is unpacked beside it (below).
LIBRESWAN_DEPS="libnss3-tools libunbound8 libldns3 libevent-core-2.1-7 libevent-pthreads-2.1-7 libcurl3-nss dns-root-data libldap-2.5-0 libaudit1"
LIBRESWAN_ROOT=/opt/ikeprobe-lab/libreswan
# prometheus: tests/lab/prometheus.py runs its own in a lab namespace, with
# its own files; the service the package installs is not needed.
LAB="$LIBRESWAN_DEPS iproute2 nftables prometheus strongswan-charon strongswan-swanctl libstrongswan-standard-plugins libcharon-extra-plugins libcharon-extauth-plugins tshark python3 python3-jsonschema python3-cryptography libcap2-bin time cmark-gfm bash-completion sstp-client groff-base clang libclang-rt-14-dev"

missing=""
for p in $BUILD $LAB; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
if [ -n "$missing" ]; then
	echo "ikeprobe: installing:$missing" >&2
	# tshark asks whether non-root users may capture; the default (no) is fine.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# libreswan for the lab's second IKE implementation (tests/lab/lab.py
# Pluto): unpacked, not installed, so that strongSwan stays; the lab runs
# it in a private mount namespace. Skipped where apt has no libreswan.
if [ ! -x "$LIBRESWAN_ROOT/usr/libexec/ipsec/pluto" ]; then
	tmp=$(mktemp -d)
	if (cd "$tmp" && chmod 755 . && $SUDO apt-get download -qq libreswan >/dev/null 2>&1); then
		echo "ikeprobe: unpacking libreswan into $LIBRESWAN_ROOT (lab only)" >&2
		$SUDO mkdir -p "$LIBRESWAN_ROOT"
		$SUDO dpkg-deb -x "$tmp"/libreswan_*.deb "$LIBRESWAN_ROOT"
	fi
	$SUDO rm -rf "$tmp"
fi
