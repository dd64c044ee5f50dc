#!/usr/bin/python3
"""A fake, hostile IKEv2 responder for the lab: answers IKE_SA_INIT requests
badly on purpose, so the scenarios can check that ikeprobe stays correct.

usage: hostile.py [--ready FILE] [--alt-addr ADDR] [--log FILE] ACTIONS

Runs in the gateway namespace (no charon there). Listens on UDP 500 and 4500
(4500: requests and replies carry the 4-byte zero non-ESP marker, RFC 3948),
reads each request with a raw socket as well (for its IP ID, needed to quote
it in forged ICMP errors), and for each IKE_SA_INIT request performs ACTIONS:
a comma-separated list, each ACTION or ACTION*N (repeat N times), in order.

  valid             a correct reply: SA + KE + Nonce (+ IKEV2_FRAGMENTATION_
                    SUPPORTED, NAT detection) when the request's KE group is
                    in its proposals, else INVALID_KE_PAYLOAD naming one
  truncated         the valid reply cut in the middle of a payload (the IKE
                    header still gives the full length)
  runt              only the first 12 bytes of the valid reply (the SPI and
                    little more: shorter than the IKE header)
  wrong-exchange    the valid reply as an INFORMATIONAL exchange without the
                    response flag, message ID 1
  len-too-long      a payload length larger than what is left
  len-zero          a payload length of 0
  len-short         a payload length of 3, below the 4-byte generic header
  chain-never-ends  the last payload announces another one
  chain-loop        a thousand Notify payloads each announcing the next,
                    the last one too
  notifies-4000     the valid reply plus 4000 small status notifies (about
                    32 KB: the gateway's kernel sends it in IP fragments)
  big-64k           the valid reply padded with a Vendor ID to the largest
                    UDP datagram IPv4 carries (65507 bytes, IP fragments)
  wrong-spi         the valid reply with a random initiator SPI
  wrong-source      the valid reply from --alt-addr (same port) and from the
                    gateway's address but another port (501 / 4501, and
                    4500 / 500)
  no-marker         on 4500 the valid reply without the non-ESP marker
  forged-icmp       ICMP errors to the client (port unreachable, fragmentation
                    needed, administratively prohibited, TTL exceeded) quoting
                    packets it never sent: wrong IP ID, wrong ports, wrong
                    SPI, wrong protocol, swapped addresses, no UDP header, a
                    fragment offset the request never had; some from the
                    gateway's address, some from a made-up router address.
                    Then a redirect and a source quench quoting the request
                    exactly: they say nothing about its delivery
  flood             valid*500
  none              nothing (for a list that only forges, say)

Standard library only; needs root (raw sockets, binding 500). Documentation
addresses only: the lab's 192.0.2.0/24 and 198.51.100.0/24.
"""

import argparse
import hashlib
import os
import secrets
import select
import signal
import socket
import struct
import sys
import time

PORTS = (500, 4500)
MARKER = b"\0\0\0\0"
IKE_SA_INIT, INFORMATIONAL = 34, 37
FLAG_I, FLAG_R = 0x08, 0x20
PL_NONE, PL_SA, PL_KE, PL_NONCE, PL_NOTIFY, PL_VID = 0, 33, 34, 40, 41, 43
N_INVALID_KE = 17
N_NAT_SRC, N_NAT_DST = 16388, 16389
N_FRAG_SUPPORTED = 16430
TT_DH = 4
# A router address the lab does not have: forged errors claim to be from it.
FAKE_ROUTER = "198.51.100.254"
FLOOD = 500

ACTIONS = ("valid", "truncated", "runt", "wrong-exchange", "len-too-long", "len-zero", "len-short",
           "chain-never-ends", "chain-loop", "notifies-4000", "big-64k",
           "wrong-spi", "wrong-source", "no-marker", "forged-icmp", "flood",
           "none")


def log(msg):
    if LOG:
        LOG.write(f"{time.monotonic():.3f} {msg}\n")
        LOG.flush()


LOG = None


# -- reading requests ----------------------------------------------------------

class Request:
    """What the responder needs of one IKE_SA_INIT request."""

    def __init__(self, ike, src, sport, dport, ip_id):
        self.ike = ike
        self.src, self.sport, self.dport = src, sport, dport
        self.ip_id = ip_id
        self.spi_i = ike[:8]
        self.proposals = []   # [(number, [transform bytes ...], {type: [id ...]})]
        self.ke_group = None
        self.ke_len = 0


def parse_request(ike):
    """(next payload, payloads) of an IKE_SA_INIT request, or None."""
    if len(ike) < 28:
        return None
    np, ver, exch, flags = ike[16], ike[17], ike[18], ike[19]
    length = struct.unpack("!I", ike[24:28])[0]
    if ver >> 4 != 2 or exch != IKE_SA_INIT or not flags & FLAG_I or flags & FLAG_R:
        return None
    if length != len(ike):
        return None
    off, out = 28, []
    while np != PL_NONE:
        if off + 4 > len(ike):
            return None
        nxt, plen = ike[off], struct.unpack("!H", ike[off + 2:off + 4])[0]
        if plen < 4 or off + plen > len(ike):
            return None
        out.append((np, ike[off + 4:off + plen]))
        np, off = nxt, off + plen
    return out


def parse_sa(body):
    props, off = [], 0
    while off + 8 <= len(body):
        last, plen = body[off], struct.unpack("!H", body[off + 2:off + 4])[0]
        if plen < 8 or off + plen > len(body):
            break
        num, spisize, nxf = body[off + 4], body[off + 6], body[off + 7]
        t_off, xfs, ids = off + 8 + spisize, [], {}
        for _ in range(nxf):
            if t_off + 8 > off + plen:
                break
            tlen = struct.unpack("!H", body[t_off + 2:t_off + 4])[0]
            if tlen < 8:
                break
            x = body[t_off:t_off + tlen]
            xfs.append(x)
            ids.setdefault(x[4], []).append(struct.unpack("!H", x[6:8])[0])
            t_off += tlen
        props.append((num, xfs, ids))
        off += plen
        if last == 0:
            break
    return props


def make_request(ike, src, sport, dport, ip_id):
    pls = parse_request(ike)
    if pls is None:
        return None
    r = Request(ike, src, sport, dport, ip_id)
    for t, body in pls:
        if t == PL_SA:
            r.proposals = parse_sa(body)
        elif t == PL_KE and len(body) >= 4:
            r.ke_group = struct.unpack("!H", body[:2])[0]
            r.ke_len = len(body) - 4
    return r


# -- building replies ------------------------------------------------------------

def payload(np, body, length=None):
    """A generic payload header + body; np is the *next* payload type."""
    n = len(body) + 4 if length is None else length
    return struct.pack("!BBH", np, 0, n) + body


def notify(ntype, data=b""):
    return struct.pack("!BBH", 0, 0, ntype) + data


def chain(items, last_next=PL_NONE, lengths=None):
    """items: [(type, body)] -> (first type, bytes). lengths: {index: value}
    overrides the declared length of a payload (the lie)."""
    lengths = lengths or {}
    out = b""
    for i, (t, body) in enumerate(items):
        np = items[i + 1][0] if i + 1 < len(items) else last_next
        out += payload(np, body, lengths.get(i))
    return (items[0][0] if items else PL_NONE), out


def header(spi_i, spi_r, np, length, flags=FLAG_R, exchange=IKE_SA_INIT, msgid=0):
    return spi_i + spi_r + struct.pack("!BBBBII", np, 0x20, exchange, flags, msgid, length)


def message(spi_i, spi_r, items, last_next=PL_NONE, lengths=None, **hdr):
    np, body = chain(items, last_next, lengths)
    return header(spi_i, spi_r, np, 28 + len(body), **hdr) + body


def nat_hash(spi_i, spi_r, addr, port):
    return hashlib.sha1(spi_i + spi_r + socket.inet_aton(addr) + struct.pack("!H", port)).digest()


class Responder:
    def __init__(self, alt_addr):
        self.alt_addr = alt_addr
        self.addr = None
        self.sock = {}        # (addr, port) -> UDP socket we send from
        self.icmp = None      # raw ICMP: the kernel writes the IP header
        self.rawip = None     # IP_HDRINCL: for errors from FAKE_ROUTER

    # the correct answer, as payload items ------------------------------------

    def valid_items(self, req):
        """(spi_r, [(type, body)]) of a correct reply to req."""
        for num, xfs, ids in req.proposals:
            if req.ke_group is not None and req.ke_group in ids.get(TT_DH, []):
                break
        else:
            # The KE group is in no proposal: ask for one that is.
            want = next((ids[TT_DH][0] for _, _, ids in req.proposals if ids.get(TT_DH)), 14)
            return bytes(8), [(PL_NOTIFY, notify(N_INVALID_KE, struct.pack("!H", want)))]
        spi_r = secrets.token_bytes(8)
        chosen, seen = [], set()
        for x in xfs:
            if x[4] in seen:
                continue
            if x[4] == TT_DH and struct.unpack("!H", x[6:8])[0] != req.ke_group:
                continue
            seen.add(x[4])
            chosen.append(x)
        body = b""
        for i, x in enumerate(chosen):
            body += bytes([0 if i == len(chosen) - 1 else 3]) + x[1:]
        prop = struct.pack("!BBHBBBB", 0, 0, 8 + len(body), num, 1, 0, len(chosen)) + body
        items = [
            (PL_SA, prop),
            (PL_KE, struct.pack("!HH", req.ke_group, 0) + secrets.token_bytes(req.ke_len)),
            (PL_NONCE, secrets.token_bytes(32)),
            (PL_NOTIFY, notify(N_NAT_SRC, nat_hash(req.spi_i, spi_r, self.addr, req.dport))),
            (PL_NOTIFY, notify(N_NAT_DST, nat_hash(req.spi_i, spi_r, req.src, req.sport))),
            (PL_NOTIFY, notify(N_FRAG_SUPPORTED)),
        ]
        return spi_r, items

    # sending ------------------------------------------------------------------

    def udp(self, addr, port):
        k = (addr, port)
        if k not in self.sock:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
            s.bind(k)
            self.sock[k] = s
        return self.sock[k]

    def send(self, req, ike, addr=None, port=None, marker=True):
        addr = addr or self.addr
        port = port or req.dport
        data = (MARKER if req.dport != 500 and marker else b"") + ike
        try:
            self.udp(addr, port).sendto(data, (req.src, req.sport))
        except OSError as e:
            log(f"send {len(data)} bytes from {addr}:{port}: {e}")

    # the actions --------------------------------------------------------------

    def act(self, name, req):
        spi_r, items = self.valid_items(req)
        s = req.spi_i
        if name == "valid":
            self.send(req, message(s, spi_r, items))
        elif name == "truncated":
            whole = message(s, spi_r, items)
            # Cut inside the second payload: the header still says whole.
            cut = 28 + len(items[0][1]) + 4 + (len(items[1][1]) // 2 if len(items) > 1 else 2)
            self.send(req, whole[:min(cut, len(whole) - 3)])
        elif name == "runt":
            self.send(req, message(s, spi_r, items)[:12])
        elif name == "wrong-exchange":
            self.send(req, message(s, spi_r, items, flags=0, exchange=INFORMATIONAL, msgid=1))
        elif name == "len-too-long":
            i = min(1, len(items) - 1)
            self.send(req, message(s, spi_r, items, lengths={i: len(items[i][1]) + 4 + 200}))
        elif name == "len-zero":
            self.send(req, message(s, spi_r, items, lengths={min(1, len(items) - 1): 0}))
        elif name == "len-short":
            self.send(req, message(s, spi_r, items, lengths={min(1, len(items) - 1): 3}))
        elif name == "chain-never-ends":
            self.send(req, message(s, spi_r, items, last_next=PL_NOTIFY))
        elif name == "chain-loop":
            loop = [(PL_NOTIFY, notify(N_FRAG_SUPPORTED))] * 1000
            self.send(req, message(s, spi_r, items + loop, last_next=PL_NOTIFY))
        elif name == "notifies-4000":
            extra = [(PL_NOTIFY, notify(40960 + i % 1000)) for i in range(4000)]
            self.send(req, message(s, spi_r, items + extra))
        elif name == "big-64k":
            room = 65507 - (4 if req.dport != 500 else 0)
            size = len(message(s, spi_r, items))
            vid = b"ikeprobe-lab-hostile-" * 4000
            vid = vid[:room - size - 4]
            self.send(req, message(s, spi_r, items + [(PL_VID, vid)]))
        elif name == "wrong-spi":
            self.send(req, message(secrets.token_bytes(8), spi_r, items))
        elif name == "wrong-source":
            ike = message(s, spi_r, items)
            if self.alt_addr:
                self.send(req, ike, addr=self.alt_addr)
            self.send(req, ike, port=req.dport + 1)
            # From the other IKE port, as IKE (no marker) would be sent
            # from 500.
            self.send(req, ike, port=4500 if req.dport == 500 else 500,
                      marker=False)
        elif name == "no-marker":
            self.send(req, message(s, spi_r, items), marker=req.dport == 500)
        elif name == "forged-icmp":
            self.forge_icmp(req)
        elif name == "none":
            pass

    # forged ICMP errors ---------------------------------------------------------

    def quote(self, req, *, ip_id=None, sport=None, dport=None, spi=None,
              proto=17, swap=False, udp=True, frag_off=0):
        """An IP header + UDP header + the start of IKE, like the request's
        but changed as asked: a packet the client never sent."""
        ike = (MARKER if req.dport != 500 else b"") + (spi or req.spi_i) + req.ike[8:28]
        src, dst = req.src, self.addr
        if swap:
            src, dst = dst, src
        body = b""
        if udp:
            body = struct.pack("!HHHH", sport or req.sport, dport or req.dport,
                               8 + len(req.ike) + (4 if req.dport != 500 else 0), 0) + ike
        total = 20 + 8 + len(req.ike) + (4 if req.dport != 500 else 0)
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total,
                          req.ip_id if ip_id is None else ip_id, frag_off // 8,
                          63, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
        return hdr + body

    def icmp_msg(self, type_, code, quoted, mtu=0):
        rest = struct.pack("!HH", 0, mtu) if (type_, code) == (3, 4) else bytes(4)
        m = struct.pack("!BBH", type_, code, 0) + rest + quoted
        return m[:2] + struct.pack("!H", inet_cksum(m)) + m[4:]

    def forge_icmp(self, req):
        other_id = (req.ip_id ^ 0x5a5a) or 1
        quotes = [
            ("wrong IP ID", self.quote(req, ip_id=other_id)),
            ("wrong source port", self.quote(req, sport=12345)),
            ("wrong destination port", self.quote(req, dport=501)),
            ("wrong SPI", self.quote(req, spi=secrets.token_bytes(8))),
            ("TCP, not UDP", self.quote(req, proto=6)),
            ("addresses swapped", self.quote(req, swap=True)),
            ("no UDP header", self.quote(req, udp=False)),
            ("a fragment offset never sent", self.quote(req, frag_off=1480)),
        ]
        kinds = [(3, 3, 0), (3, 4, 576), (3, 13, 0), (11, 0, 0)]
        for i, (what, q) in enumerate(quotes):
            for type_, code, mtu in kinds:
                msg = self.icmp_msg(type_, code, q, mtu)
                # Half from the gateway itself, half from a made-up router.
                if (i + type_) % 2 == 0:
                    self.icmp.sendto(msg, (req.src, 0))
                else:
                    self.send_raw_icmp(FAKE_ROUTER, req.src, msg)
        # Errors that quote the request exactly but say nothing about its
        # delivery: a redirect (sent while forwarding it) and a source
        # quench (obsolete, RFC 6633). Neither may end a probe.
        exact = self.quote(req)
        for type_, code in ((5, 1), (4, 0)):
            self.icmp.sendto(self.icmp_msg(type_, code, exact), (req.src, 0))
        log(f"forged {len(quotes) * len(kinds) + 2} ICMP errors about {req.src}:{req.sport}")

    def send_raw_icmp(self, src, dst, icmp):
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), secrets.randbits(16),
                          0, 64, 1, 0, socket.inet_aton(src), socket.inet_aton(dst))
        hdr = hdr[:10] + struct.pack("!H", inet_cksum(hdr)) + hdr[12:]
        try:
            self.rawip.sendto(hdr + icmp, (dst, 0))
        except OSError as e:
            log(f"raw ICMP from {src}: {e}")


def inet_cksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def parse_actions(text):
    out = []
    for tok in text.split(","):
        tok = tok.strip()
        name, _, count = tok.partition("*")
        if name not in ACTIONS:
            raise SystemExit(f"hostile.py: unknown action `{name}'; one of: {', '.join(ACTIONS)}")
        n = int(count) if count else 1
        if name == "flood":
            name, n = "valid", FLOOD * n
        out += [name] * n
    return out


def main(argv=None):
    global LOG
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("actions")
    ap.add_argument("--addr", default="198.51.100.10", help="the gateway's address")
    ap.add_argument("--alt-addr", help="another address of the gateway (wrong-source)")
    ap.add_argument("--ready", help="create this file once listening")
    ap.add_argument("--log", help="append what happens to this file")
    a = ap.parse_args(argv)
    actions = parse_actions(a.actions)
    if a.log:
        LOG = open(a.log, "a")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    r = Responder(a.alt_addr)
    r.addr = a.addr
    listen = [r.udp(a.addr, p) for p in PORTS]
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    r.icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    r.rawip = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    if a.ready:
        with open(a.ready, "w") as f:
            f.write(f"{os.getpid()}\n")
    log(f"listening on {a.addr} UDP {PORTS}: {a.actions}")
    while True:
        rd, _, _ = select.select([raw] + listen, [], [])
        for s in rd:
            if s is not raw:
                s.recv(65535)   # the raw socket has a copy with its IP header
                continue
            pkt = raw.recv(65535)
            hl = (pkt[0] & 0x0f) * 4
            if len(pkt) < hl + 8:
                continue
            ip_id = struct.unpack("!H", pkt[4:6])[0]
            src = socket.inet_ntoa(pkt[12:16])
            dst = socket.inet_ntoa(pkt[16:20])
            sport, dport = struct.unpack("!HH", pkt[hl:hl + 4])
            if dst != a.addr or dport not in PORTS:
                continue
            data = pkt[hl + 8:]
            if dport != 500:
                if data[:4] != MARKER:
                    continue    # ESP, not IKE
                data = data[4:]
            req = make_request(data, src, sport, dport, ip_id)
            if req is None:
                log(f"not an IKE_SA_INIT request from {src}:{sport} to {dport}")
                continue
            log(f"request from {src}:{sport} to {dport}, KE {req.ke_group}, "
                f"{len(data)} bytes, IP ID {ip_id:#06x}")
            for name in actions:
                r.act(name, req)


if __name__ == "__main__":
    sys.exit(main())
