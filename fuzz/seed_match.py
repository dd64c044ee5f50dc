#!/usr/bin/env python3
"""Seed fuzz/corpus/match/ for fuzz_match (fuzz_match.c says the input
format and the probes it holds as sent).

Two kinds of seeds:

  capture-*  every capture in captures/, its datagrams as they came, with
             each initiator SPI of the capture replaced by the SPI of one
             of the fixed probes (#0, #1, #2 in order of appearance), so
             that the capture's answers and ICMP errors match;
  made-*     what a gateway, a router or a forger sends that the captures
             lack: answers in IP fragments (in order, reversed, with a
             first fragment alone, and with the rest 20 s later, past
             reassembly's timeout), a "fragmentation needed" from the
             router quoting the DF probe, errors quoting a later fragment,
             replies from another address or port or without the non-ESP
             marker, our own datagrams seen leaving, and the IKE SA of #0
             carried on: its IKE_SA_INIT answer, then IKE_AUTH and
             INFORMATIONAL answers sealed with the fixed keys (AES-CBC-256,
             HMAC-SHA2-256-128), whole and as SKF fragments (RFC 7383).

Needs python3-cryptography for the sealed answers. Deterministic.
Usage: fuzz/seed_match.py [corpus-dir]
"""
import os
import struct
import sys

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seed  # noqa: E402  (the pcap reader and helpers)

LOCAL, TARGET, ROUTER = bytes([192, 0, 2, 10]), bytes([198, 51, 100, 10]), \
    bytes([192, 0, 2, 1])
OTHER = bytes([198, 51, 100, 11])
SPI_R = b'\x22' * 8
SK_ER, SK_AR = b'\x32' * 32, b'\x34' * 32
IKE_SA_INIT, IKE_AUTH, INFORMATIONAL = 34, 35, 37
PL_SK, PL_SKF, PL_NOTIFY, PL_VID, PL_NONE = 46, 53, 41, 43, 0


def spi(i):
    return bytes([0x1c, 0x0e, 0x9b, 0, 0, 0, 0, i])


def ip_id(i):
    return 0x1000 + 16 * i


def ip4(src, dst, ident, proto, payload, df=False, frag=0):
    h = bytearray(struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(payload),
                              ident, frag | (0x4000 if df else 0), 64, proto,
                              0, src, dst))
    struct.pack_into('>H', h, 10, seed.cksum(bytes(h)))
    return bytes(h) + payload


def udp(src, dst, sport, dport, payload, ident=0x4444, df=False):
    return ip4(src, dst, ident, 17,
               struct.pack('>HHHH', sport, dport, 8 + len(payload), 0) +
               payload, df)


def icmp(src, type_, code, quoted, mtu=0):
    return ip4(src, LOCAL, 0x5555, 1,
               struct.pack('>BBHHH', type_, code, 0, 0, mtu) + quoted)


def record(dg, step=0, op=0):
    """One input record: length, clock step (below 200: ms; else
    (n - 199) s), op (bit 7: give up probe op & 7 first), the datagram."""
    return struct.pack('>HBB', len(dg), step, op) + dg


def ike(spi_i, spi_r, first, exch, flags, msgid, body):
    return spi_i + spi_r + struct.pack('>BBBBII', first, 0x20, exch, flags,
                                       msgid, 28 + len(body)) + body


def payload(next_, body):
    return struct.pack('>BBH', next_, 0, 4 + len(body)) + body


def notify(next_, type_, data=b''):
    return payload(next_, struct.pack('>BBH', 0, 0, type_) + data)


def invalid_ke(i, mk=False):
    m = ike(spi(i), b'\x77' * 8, PL_NOTIFY, IKE_SA_INIT, 0x20, 0,
            notify(PL_NONE, 17, b'\x00\x13'))
    return (b'\0\0\0\0' + m) if mk else m


def big_reply(i, size):
    """A reply of about size bytes: INVALID_KE and a Vendor ID filling it."""
    vid = payload(PL_NONE, bytes(range(256)) * (size // 256 + 1))[:size]
    vid = struct.pack('>BBH', PL_NONE, 0, len(vid)) + vid[4:]
    return ike(spi(i), b'\x77' * 8, PL_NOTIFY, IKE_SA_INIT, 0x20, 0,
               notify(PL_VID, 17, b'\x00\x13') + vid)


def seal(exch, msgid, first, inner, frag=None):
    """A response in #0's IKE SA, encrypted and integrity-protected as the
    gateway would (RFC 7296 3.14; SKF per RFC 7383 2.5 when frag is
    (number, total))."""
    iv = bytes(range(16))
    pad = (16 - (len(inner) + 1) % 16) % 16
    plain = inner + b'\0' * pad + bytes([pad])
    enc = Cipher(algorithms.AES(SK_ER), modes.CBC(iv)).encryptor()
    ct = enc.update(plain) + enc.finalize()
    body = iv + ct
    if frag is None:
        sk = struct.pack('>BBH', first, 0, 4 + len(body) + 16) + body
        outer = PL_SK
    else:
        sk = struct.pack('>BBHHH', first if frag[0] == 1 else 0, 0,
                         8 + len(body) + 16, frag[0], frag[1]) + body
        outer = PL_SKF
    m = bytearray(ike(spi(0), SPI_R, outer, exch, 0x20, msgid, sk + b'\0' * 16))
    h = hmac.HMAC(SK_AR, hashes.SHA256())
    h.update(bytes(m[:-16]))
    m[-16:] = h.finalize()[:16]
    return bytes(m)


def from_target(m, port=500, ident=0x6666):
    return udp(TARGET, LOCAL, port, port, m, ident)


def capture_seeds(out, captures):
    for fn in sorted(os.listdir(captures)):
        if not fn.endswith('.pcap'):
            continue
        link, frames = seed.read_pcap(os.path.join(captures, fn))
        spis, recs, prev, ids = [], [], None, {}
        for ts, frame in frames:
            dg = seed.ip_of_frame(link, frame)
            if dg is None:
                continue
            u = seed.udp_payload(dg)
            if u and dg[12:16] == LOCAL:
                m = u[2][4:] if u[1] == 4500 else u[2]
                if len(m) >= 8 and m[:8] not in spis:
                    spis.append(m[:8])
            for k, s in enumerate(spis):
                dg = dg.replace(s, spi(k % 3))
            # Our datagrams' IP IDs, and those an ICMP error quotes, as
            # the fixed probes have them.
            dg = bytearray(dg)
            if u and dg[12:16] == LOCAL:
                ids[bytes(dg[4:6])] = ip_id(spis.index(m[:8]) % 3)
            if dg[9] == 1 and len(dg) >= 48 and bytes(dg[32:34]) in ids:
                dg[32:34] = struct.pack('>H', ids[bytes(dg[32:34])])
            if bytes(dg[4:6]) in ids and dg[12:16] == LOCAL:
                dg[4:6] = struct.pack('>H', ids[bytes(dg[4:6])])
            dg = bytes(dg)
            # After #0-#2 went out (the clock starts 100 ms before).
            step = 150 if prev is None else min(199, int((ts - prev) * 1000))
            prev = ts
            recs.append(record(dg, step))
        out.add('match', 'capture-' + fn[:-len('.pcap')], b''.join(recs))


def made_seeds(out):
    add = lambda name, recs: out.add('match', 'made-' + name, b''.join(recs))
    # Answers to #1 and #2; a duplicate; strays a client would drop.
    add('answers', [record(from_target(invalid_ke(1)), 150),
                    record(from_target(invalid_ke(1))),
                    record(from_target(invalid_ke(2, True), 4500)),
                    record(from_target(invalid_ke(2), 4500)),
                    record(udp(OTHER, LOCAL, 500, 500, invalid_ke(1))),
                    record(udp(TARGET, LOCAL, 501, 500, invalid_ke(1))),
                    record(from_target(invalid_ke(9)))])
    # Before the probe went out: never its answer.
    add('too-early', [record(from_target(invalid_ke(1)), 50),
                      record(from_target(invalid_ke(1)), 100)])
    # Our own datagrams leaving: #0 by ID, ports, SPI and exchange.
    own = ike(spi(0), b'\0' * 8, 33, IKE_SA_INIT, 0x08, 0, payload(0, b'x' * 40))
    add('own', [record(udp(LOCAL, TARGET, 500, 500, own, ip_id(0)), 100),
                record(udp(LOCAL, TARGET, 500, 500, own, ip_id(5)), 10)])
    # #3's answer in IP fragments, at +2 s.
    frags = seed.fragment(from_target(big_reply(3, 3000), ident=0x7777), 1256)
    add('frag-inorder', [record(f, 201 if i == 0 else 1)
                         for i, f in enumerate(frags)])
    add('frag-reversed', [record(f, 201 if i == 0 else 1)
                          for i, f in enumerate(frags[::-1])])
    add('frag-first-only', [record(frags[0], 201), record(frags[0], 100)])
    add('frag-expired', [record(frags[0], 201)] +
        [record(f, 219) for f in frags[1:2]] + [record(f) for f in frags[2:]])
    # The router: too big for #4 (DF), quoting its header, UDP and SPI.
    q4 = ip4(LOCAL, TARGET, ip_id(4), 17,
             struct.pack('>HHHH', 500, 500, 1380, 0) + spi(4), df=True)[:36]
    add('icmp-frag-needed', [record(icmp(ROUTER, 3, 4, q4, 1280), 201)])
    # The gateway: port unreachable for #1; reassembly time exceeded
    # quoting #3's first fragment; an error about a later one by offset.
    q1 = ip4(LOCAL, TARGET, ip_id(1), 17,
             struct.pack('>HHHH', 500, 500, 400, 0) + spi(1))[:36]
    q3 = ip4(LOCAL, TARGET, ip_id(3), 17, b'\0' * 8, frag=1256 // 8)[:28]
    add('icmp', [record(icmp(TARGET, 3, 3, q1), 150),
                 record(icmp(TARGET, 11, 1, q3), 201),
                 record(icmp(ROUTER, 3, 13, q1)),
                 record(icmp(ROUTER, 5, 1, q1)),
                 record(icmp(OTHER, 3, 3, q1[:28]))])
    # #0's IKE SA carried on: its answer, IKE_AUTH's (AUTHENTICATION_FAILED,
    # whole and as two SKF fragments), INFORMATIONAL's (empty).
    sa = ike(spi(0), SPI_R, PL_NOTIFY, IKE_SA_INIT, 0x20, 0,
             notify(PL_NONE, 16430))
    failed = notify(PL_NONE, 24)
    eap = payload(PL_NOTIFY, b'\x01\x00\x00\x00' + b'gw') + \
        notify(PL_NONE, 16384)
    add('auth', [record(from_target(sa), 150),
                 record(from_target(seal(IKE_AUTH, 1, PL_NOTIFY, failed)), 201),
                 record(from_target(seal(IKE_AUTH, 1, PL_NOTIFY, failed))),
                 record(from_target(seal(INFORMATIONAL, 2, PL_NONE, b'')), 201)])
    # The second fragment first, and again (a duplicate), then the first.
    add('auth-skf', [record(from_target(sa), 150),
                     record(from_target(seal(IKE_AUTH, 1, 36, eap[10:],
                                             (2, 2))), 201),
                     record(from_target(seal(IKE_AUTH, 1, 36, eap[10:],
                                             (2, 2)))),
                     record(from_target(seal(IKE_AUTH, 1, 36, eap[:10],
                                             (1, 2))))])
    # IKE_AUTH's answer with a 3000-byte certificate, without RFC 7383:
    # in IP fragments, put together before it is decrypted.
    cert = payload(PL_NONE, b'\x04' + bytes(range(256)) * 12)
    big = seed.fragment(from_target(seal(IKE_AUTH, 1, 37, cert),
                                    ident=0x8888), 1256)
    add('auth-ip-fragments', [record(from_target(sa), 150)] +
        [record(f, 201 if i == 0 else 0) for i, f in enumerate(big)])
    # Given up by the timer, then answered late; then an ICMP error.
    add('give-up', [record(from_target(invalid_ke(1)), 201, 0x81),
                    record(icmp(TARGET, 3, 3, q1), 1, 0x80)])


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(seed.HERE, 'corpus')
    out = seed.Corpus(root)
    capture_seeds(out, os.path.join(seed.HERE, '..', 'captures'))
    made_seeds(out)


if __name__ == '__main__':
    main()
