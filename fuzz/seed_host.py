#!/usr/bin/env python3
"""Seed fuzz/corpus/host/ for fuzz_host (fuzz_host.c says the format).

  os-*      os-release files as distributions write them (and ones that are
            broken: CRLF, no newline, quotes that do not close, control
            characters, invalid UTF-8, a value longer than the buffer);
  route-*   RTM_GETROUTE answers laid out as the kernel lays them out: via
            a router (IPv4, IPv6), on-link, after another message, an error;
  kernel-*  with --kernel, this machine's own kernel answering a route
            query for a documentation address (nothing is sent on any
            network: netlink talks to the local kernel only).

Deterministic without --kernel. Usage: fuzz/seed_host.py [--kernel] [dir]
"""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seed  # noqa: E402

RTM_NEWROUTE, RTM_GETROUTE, NLMSG_ERROR = 24, 26, 2
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PREFSRC = 1, 4, 5, 7
OS, V6, NAME = 1, 2, 2


def sel(flags, buflen):
    return bytes([flags | (buflen - 1) << 2])


def attr(type_, data):
    n = 4 + len(data)
    return struct.pack('=HH', n, type_) + data + b'\0' * (-n % 4)


def msg(type_, family, attrs=b''):
    body = struct.pack('=BBBBBBBBI', family, 0, 0, 0, 254, 4, 0, 1, 0) + attrs
    return struct.pack('=IHHII', 16 + len(body), type_, 0, 1, 0) + body


def kernel(family, dst):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    req = msg(RTM_GETROUTE, family, attr(RTA_DST, socket.inet_pton(family, dst)))
    req = req[:6] + struct.pack('=H', 1) + req[8:]   # NLM_F_REQUEST
    s.send(req)
    s.settimeout(1)
    try:
        return s.recv(8192)
    finally:
        s.close()


def main():
    args = [a for a in sys.argv[1:] if a != '--kernel']
    out = seed.Corpus(args[0] if args else os.path.join(seed.HERE, 'corpus'))
    debian = (b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian '
              b'GNU/Linux"\nVERSION_ID="12"\nID=debian\n')
    for name, text, flags, n in (
            ('debian', debian, OS, 64), ('debian-name', debian, OS | NAME, 64),
            ('debian-cut', debian, OS, 8),
            ('crlf', b'PRETTY_NAME="Fedora Linux 40"\r\n', OS, 64),
            ('single', b"PRETTY_NAME='Alpine Linux v3.20'", OS, 64),
            ('open-quote', b'PRETTY_NAME="Arch\nPRETTY_NAME=\n', OS, 64),
            ('hostile', b'PRETTY_NAME="\x1b[31mred\x07\xff\xc3\xa9"\n', OS, 64),
            ('utf8-cut', b'PRETTY_NAME=\xc3\xa9\xc3\xa9\xc3\xa9\n', OS, 4)):
        out.add('host', 'os-' + name, sel(flags, n) + text)
    gw4, gw6 = socket.inet_pton(socket.AF_INET, '192.0.2.1'), \
        socket.inet_pton(socket.AF_INET6, '2001:db8::1')
    dst4 = socket.inet_pton(socket.AF_INET, '198.51.100.10')
    via4 = msg(RTM_NEWROUTE, socket.AF_INET, attr(RTA_DST, dst4) +
               attr(RTA_OIF, struct.pack('=I', 2)) + attr(RTA_GATEWAY, gw4) +
               attr(RTA_PREFSRC, socket.inet_pton(socket.AF_INET, '192.0.2.10')))
    for name, data, flags in (
            ('via4', via4, 0),
            ('via6', msg(RTM_NEWROUTE, socket.AF_INET6,
                         attr(RTA_GATEWAY, gw6)), V6),
            ('onlink', msg(RTM_NEWROUTE, socket.AF_INET, attr(RTA_DST, dst4)), 0),
            ('after-other', msg(16, socket.AF_INET) + via4, 0),
            ('error', msg(NLMSG_ERROR, socket.AF_INET) + via4, 0),
            ('cut', via4[:-3], 0)):
        out.add('host', 'route-' + name, sel(flags, 1) + data)
    if '--kernel' in sys.argv:
        for name, fam, dst, flags in (('v4', socket.AF_INET, '198.51.100.10', 0),
                                      ('v6', socket.AF_INET6, '2001:db8::10', V6)):
            out.add('host', 'kernel-' + name, sel(flags, 1) + kernel(fam, dst))


if __name__ == '__main__':
    main()
