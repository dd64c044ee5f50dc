#!/usr/bin/python3
"""Try ikeprobe against a real strongSwan gateway, without touching any network.

Builds a throw-away lab (client -- router -- gateway in network namespaces,
charon on the gateway), runs ikeprobe from the client against the gateway
with its normal text output, and tears the lab down again.

usage: sudo tests/lab/demo.py [--ikeprobe PATH] [--drop PORT] [--reject PORT]
                              [--no-daemon] [--drop-fragments] [--mtu N]
                              [--no-icmp] [--no-gateway-fragmentation]
                              [--drop-return-fragments] [--cert PROFILE]
                              [--psk] [--proposals LIST] [--keep]
                              [IKEPROBE-OPTIONS...]

  --ikeprobe PATH  the binary to run (default: build/ikeprobe of this tree)
  --drop PORT      the router drops UDP to PORT of the gateway silently
  --reject PORT    the router rejects it with ICMP administratively prohibited
  --no-daemon      do not start charon: the gateway answers ICMP port unreachable
  --drop-fragments the router drops IP fragments (before reassembly)
  --mtu N          the router's link to the gateway has MTU N
  --no-icmp        the router's ICMP "fragmentation needed" never leaves it
  --no-gateway-fragmentation  charon does not offer IKEv2 fragmentation
  --drop-return-fragments  the router drops IP fragments from the gateway
                   (its large IKE_AUTH answer): the other direction
  --cert PROFILE   the gateway's certificate is broken so: expired,
                   not-yet-valid, expires-soon, wrong-name, no-server-auth,
                   self-signed, sha1, weak-key, ecdsa (tests/lab/pki.py)
  --psk            a gateway for pre-shared keys instead of the default: a
                   gateway for EAP with an RSA-4096 certificate chain made
                   for the lab, as RRAS for Always On VPN user tunnels
  --proposals LIST the gateway's IKE proposals (swanctl syntax), e.g.
                   3des-sha1-modp1024 as an RRAS with its defaults; try
                   it with --audit
  --keep           keep the lab's directory (charon.log, strongswan.conf)

Any other options go to ikeprobe, e.g. --json or --ports 4500; the target
is added at the end: gateway.lab.test (the name in the certificate), with
--ca naming the lab's root, or 198.51.100.10 with --psk. Exit status is
ikeprobe's.

  sudo tests/lab/demo.py
  sudo tests/lab/demo.py --drop 500
  sudo tests/lab/demo.py --reject 4500 --json
  sudo tests/lab/demo.py --drop-fragments --no-gateway-fragmentation
  sudo tests/lab/demo.py --mtu 1400 --no-icmp
  sudo tests/lab/demo.py --drop-return-fragments
  sudo tests/lab/demo.py --cert expired
  sudo tests/lab/demo.py --proposals 3des-sha1-modp1024,aes128-sha256-modp2048 --audit
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# Run as root from the source tree: leave no root-owned __pycache__ behind.
sys.dont_write_bytecode = True
import lab as L  # noqa: E402

REPO = os.path.normpath(os.path.join(HERE, "..", ".."))


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split("\n\n")[2].replace("usage: ", "", 1),
                                 allow_abbrev=False, add_help=False)
    ap.add_argument("--ikeprobe", default=os.path.join(REPO, "build", "ikeprobe"))
    ap.add_argument("--drop", type=int, action="append", default=[])
    ap.add_argument("--reject", type=int, action="append", default=[])
    ap.add_argument("--no-daemon", action="store_true")
    ap.add_argument("--drop-fragments", action="store_true")
    ap.add_argument("--mtu", type=int)
    ap.add_argument("--no-icmp", action="store_true")
    ap.add_argument("--no-gateway-fragmentation", action="store_true")
    ap.add_argument("--drop-return-fragments", action="store_true")
    ap.add_argument("--cert", default="good")
    ap.add_argument("--psk", action="store_true")
    ap.add_argument("--proposals", default=L.DEFAULT_PROPOSALS)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--demo-help", action="store_true")
    a, rest = ap.parse_known_args()
    if a.demo_help or "-h" in rest or "--help" in rest:
        print(__doc__.strip())
        return 0
    if rest and rest[0] == "--":
        rest = rest[1:]

    if not os.access(a.ikeprobe, os.X_OK):
        print(f"demo: no ikeprobe at `{a.ikeprobe}': build it first "
              "(meson setup build && meson compile -C build), or give --ikeprobe PATH",
              file=sys.stderr)
        return 3
    try:
        L.check_environment(need_charon=not a.no_daemon,
                            need_nft=bool(a.drop or a.reject or a.drop_fragments or
                                          a.no_icmp or a.drop_return_fragments))
    except L.LabUnavailable as e:
        print(f"demo: {e}; run it with sudo", file=sys.stderr)
        return 3

    with L.Lab(a.ikeprobe, keep=a.keep) as lab:
        rules = [f"ip daddr {L.GATEWAY_ADDR} udp dport {p} drop" for p in a.drop]
        rules += [f"ip daddr {L.GATEWAY_ADDR} udp dport {p} reject with icmp type admin-prohibited"
                  for p in a.reject]
        what = []
        target, extra = L.GATEWAY_ADDR, []
        if not a.no_daemon:
            frag = "no" if a.no_gateway_fragmentation else "yes"
            chain = None
            if not a.psk:
                try:
                    import pki
                except ImportError:
                    print("demo: python3-cryptography is missing (scripts/deps.sh lab): "
                          "a PSK gateway instead", file=sys.stderr)
                    a.psk = True
            if not a.psk:
                chain = pki.make(os.path.join(lab.tmp, "pki"), a.cert)
                target, extra = L.GATEWAY_NAME, ["--ca", chain.root]
            lab.start_charon(L.GatewayConfig(fragmentation=frag, chain=chain,
                                             auth="psk" if a.psk else "eap",
                                             proposals=a.proposals))
            what.append("strongSwan charon on the gateway"
                        + (", PSK" if a.psk else f", EAP with a certificate ({a.cert})")
                        + (" without IKEv2 fragmentation" if frag == "no" else "")
                        + (f", proposals {a.proposals}" if a.proposals != L.DEFAULT_PROPOSALS
                           else ""))
        else:
            what.append("no IKE daemon on the gateway")
        pre = ["ip frag-off & 0x3fff != 0 drop"] if a.drop_fragments else []
        if a.drop_return_fragments:
            pre.append(f"ip saddr {L.GATEWAY_ADDR} ip frag-off & 0x3fff != 0 drop")
            what.append("router drops IP fragments from the gateway")
        out = (["icmp type destination-unreachable icmp code frag-needed drop"]
               if a.no_icmp else [])
        if a.mtu:
            lab.set_mtu("router-gateway", a.mtu)
            what.append(f"router-gateway link MTU {a.mtu}")
        if rules or pre or out:
            lab.add_rule_table(forward=rules, prerouting=pre, output=out)
        if a.drop_fragments:
            what.append("router drops IP fragments")
        if a.no_icmp:
            what.append("router's ICMP fragmentation-needed dropped")
        what += [f"router drops UDP {p}" for p in a.drop]
        what += [f"router rejects UDP {p}" for p in a.reject]
        print(f"lab: client {L.CLIENT_ADDR} -- router {L.ROUTER_CLIENT_ADDR}/{L.ROUTER_GATEWAY_ADDR}"
              f" -- gateway {L.GATEWAY_ADDR}; " + ", ".join(what), file=sys.stderr)
        argv = [os.path.abspath(a.ikeprobe)] + extra + rest + [target]
        print("lab: client$ ikeprobe " + " ".join(argv[1:]) + "\n",
              file=sys.stderr, flush=True)
        # Not captured: ikeprobe writes to this terminal as it would anywhere.
        p = subprocess.run(["ip", "netns", "exec", lab.client] + argv,
                           preexec_fn=L.die_with_parent)
        if a.keep:
            print(f"lab: charon log: {lab.charon_log_path}", file=sys.stderr)
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
