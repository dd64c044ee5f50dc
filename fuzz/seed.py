#!/usr/bin/env python3
"""Seed the fuzz corpora from the real captures (captures/*.pcap).

For each target, writes small binary files named seed-* under
fuzz/corpus/<target>/:

  ike    the IKE message of every UDP datagram on port 500 or 4500 (after
         the non-ESP marker on 4500), requests and replies alike
  ip     every IPv4 datagram, as it follows the link header
  doc    every saved report the unit and lab tests read
         (tests/unit/reports/*.json, tests/lab/sample-report.json), good
         and hand-broken alike, and pairs of them to compare
  frame  fuzz_frame's input format (fuzz_frame.c): a link-type byte, then
         frames each behind a 2-byte length and a 1-byte clock step. One
         file per captured frame, one per whole capture, the same datagrams
         behind the other link headers the decoder knows, and the largest
         reply cut into IPv4 fragments (in order, reversed, duplicated) so
         the reassembler is reached from the start.

It also writes the two boundary fixtures in fuzz/regressions/frame/
(boundary_fixtures below).

Only the standard library: the classic pcap format is a 24-byte file header
and a 16-byte header per record. Output is deterministic; run it again after
adding a capture. Usage: fuzz/seed.py [captures-dir [corpus-dir]]
"""
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# pcap link types (include/ikeprobe/packet.h) and fuzz_frame.c's links[]
# index that selects each.
LINK_NULL, LINK_EN10MB, LINK_RAW, LINK_SLL, LINK_SLL2 = 0, 1, 12, 113, 276
SELECTOR = {LINK_EN10MB: 0, LINK_RAW: 1, LINK_SLL: 2, LINK_SLL2: 3,
            LINK_NULL: 4}


def read_pcap(path):
    """(link type, [(seconds, frame bytes)]) of a classic pcap file."""
    with open(path, 'rb') as f:
        data = f.read()
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        end = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        end = '>'
    else:
        raise ValueError('%s: not a classic pcap file' % path)
    nano = magic in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d')
    link = struct.unpack(end + 'I', data[20:24])[0] & 0x0fffffff
    frames, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(end + 'IIII', data[off:off + 16])
        off += 16
        frames.append((sec + frac / (1e9 if nano else 1e6),
                       data[off:off + caplen]))
        off += caplen
    return link, frames


def ip_of_frame(link, frame):
    """The IPv4 datagram in a frame, or None."""
    if link == LINK_EN10MB:
        off = 12
        et = struct.unpack('>H', frame[off:off + 2])[0]
        while et in (0x8100, 0x88a8):
            off += 4
            et = struct.unpack('>H', frame[off:off + 2])[0]
        return frame[off + 2:] if et == 0x0800 else None
    if link == LINK_SLL:
        return frame[16:] if frame[14:16] == b'\x08\x00' else None
    if link == LINK_SLL2:
        return frame[20:] if frame[0:2] == b'\x08\x00' else None
    if link == LINK_NULL:
        return frame[4:]
    return frame


def udp_payload(dg):
    """(sport, dport, payload) of an unfragmented UDP datagram, or None."""
    if len(dg) < 28 or dg[0] >> 4 != 4 or dg[9] != 17:
        return None
    hl = (dg[0] & 15) * 4
    total = struct.unpack('>H', dg[2:4])[0]
    if struct.unpack('>H', dg[6:8])[0] & 0x3fff:
        return None
    sport, dport, ulen = struct.unpack('>HHH', dg[hl:hl + 6])
    return sport, dport, dg[hl + 8:min(hl + ulen, total)]


def frame_record(frame, step=0):
    return struct.pack('>HB', len(frame), step) + frame


def frame_input(link, frames):
    """fuzz_frame input: [(clock step, frame)] behind link's selector."""
    return bytes([SELECTOR[link]]) + b''.join(
        frame_record(f, s) for s, f in frames)


def wrap(link, dg):
    """An IPv4 datagram behind the link header of the given type."""
    if link == LINK_EN10MB:
        return b'\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00' + dg
    if link == LINK_SLL:
        return b'\x00\x00\x00\x01\x00\x06\x02\x00\x00\x00\x00\x01\x00\x00' \
            b'\x08\x00' + dg
    if link == LINK_SLL2:
        return b'\x08\x00\x00\x00\x00\x00\x00\x02\x00\x01\x00\x06\x02\x00' \
            b'\x00\x00\x00\x01\x00\x00' + dg
    if link == LINK_NULL:
        return struct.pack('<I', 2) + dg
    return dg


def vlan(dg):
    return b'\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x81\x00' \
        b'\x00\x2a\x08\x00' + dg


def cksum(b):
    if len(b) % 2:
        b += b'\x00'
    s = sum(struct.unpack('>%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def fragment(dg, size):
    """IPv4 fragments of dg carrying at most size (a multiple of 8) bytes."""
    hl = (dg[0] & 15) * 4
    hdr, body, out = bytearray(dg[:hl]), dg[hl:], []
    for off in range(0, len(body), size):
        chunk = body[off:off + size]
        h = bytearray(hdr)
        struct.pack_into('>HHH', h, 2, hl + len(chunk), struct.unpack(
            '>H', hdr[4:6])[0], (off // 8) | (0x2000 if off + size <
                                             len(body) else 0))
        struct.pack_into('>H', h, 10, 0)
        struct.pack_into('>H', h, 10, cksum(bytes(h)))
        out.append(bytes(h) + chunk)
    return out


class Corpus:
    def __init__(self, root):
        self.root = root
        self.seen = {}

    def add(self, target, name, data):
        d = os.path.join(self.root, target)
        os.makedirs(d, exist_ok=True)
        digest = hashlib.sha1(data).hexdigest()
        if (target, digest) in self.seen:
            return
        self.seen[(target, digest)] = name
        with open(os.path.join(d, 'seed-' + name), 'wb') as f:
            f.write(data)


def ip4_fragment(ident, off, mf, payload, options=b''):
    """One IPv4 fragment from 192.0.2.1 to 192.0.2.10, UDP, with a checksum."""
    hl = 20 + len(options)
    h = bytearray(struct.pack('>BBHHHBBH4s4s', 0x40 | hl // 4, 0,
                              hl + len(payload), ident,
                              (off // 8) | (0x2000 if mf else 0), 64, 17, 0,
                              bytes([192, 0, 2, 1]), bytes([192, 0, 2, 10])))
    h += options
    struct.pack_into('>H', h, 10, cksum(bytes(h)))
    return bytes(h) + payload


def boundary_fixtures(root):
    """Inputs at the 65535-byte limit of reassembly, which fuzz_frame cannot
    reach on its own: a whole datagram needs 64 KiB of input, past -max_len.

    reasm-largest-datagram: 20-byte header + 65515 bytes in two fragments,
    exactly 65535 bytes: must reassemble and decode, and the UDP payload is
    the largest IKE message possible (one 65479-byte Vendor ID).
    reasm-options-past-64k: the same payload behind a 60-byte header would
    make 65575 bytes: the reassembler must refuse it, not wrap the 16-bit
    total length."""
    ike_len = 65535 - 20 - 8
    vid = b'ikeprobe' + bytes(ike_len - 28 - 4 - 8)
    ike = struct.pack('>8s8sBBBBII', b'\x11' * 8, b'\x22' * 8, 43, 0x20, 34,
                      0x20, 0, ike_len) + struct.pack('>BBH', 0, 0,
                                                       4 + len(vid)) + vid
    body = struct.pack('>HHHH', 500, 500, 8 + len(ike), 0) + ike
    assert len(body) == 65515
    d = os.path.join(root, 'frame')
    os.makedirs(d, exist_ok=True)
    first = 65504
    largest = [ip4_fragment(0x4242, 0, True, body[:first]),
               ip4_fragment(0x4242, first, False, body[first:])]
    opts = b'\x01' * 40        # NOPs: a 60-byte header
    first = 65472
    oversize = [ip4_fragment(0x4343, 0, True, body[:first], opts),
                ip4_fragment(0x4343, first, False, body[first:])]
    for name, frags in (('reasm-largest-datagram', largest),
                        ('reasm-options-past-64k', oversize)):
        with open(os.path.join(d, name), 'wb') as f:
            f.write(frame_input(LINK_RAW, [(1, fr) for fr in frags]))


def ipv6_seeds(out):
    """IPv6 as the lab's gateway sends it: an IKE reply, ICMPv6 errors
    quoting our request (Packet Too Big with its 32-bit MTU, unreachable,
    time exceeded in reassembly, parameter problem at an unrecognised next
    header), a chain of extension headers before UDP, and our own Fragment
    headers (first and later fragment)."""
    import struct
    a = bytes.fromhex("20010db8000100000000000000000010")
    b = bytes.fromhex("20010db8000200000000000000000010")

    def ip6(src, dst, nh, payload, hlim=64):
        return struct.pack("!IHBB", 0x60000000, len(payload), nh, hlim) + src + dst + payload

    def udp(sport, dport, data):
        return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    ike = bytes(range(8)) + bytes(8) + bytes([33, 0x20, 34, 0x20]) + struct.pack("!II", 0, 28)
    req = ip6(a, b, 17, udp(500, 500, ike))
    rep = ip6(b, a, 17, udp(500, 500, ike))
    out.add('ip', 'v6-ike-reply', rep)
    for name, t, c, extra in (("v6-too-big", 2, 0, struct.pack("!I", 1280)),
                              ("v6-unreach-admin", 1, 1, bytes(4)),
                              ("v6-reasm-timeout", 3, 1, bytes(4)),
                              ("v6-param-next-header", 4, 1, struct.pack("!I", 40))):
        out.add('ip', name, ip6(b, a, 58, bytes([t, c, 0, 0]) + extra + req[:1232]))
    # Hop-by-hop (PadN), destination options, then a Fragment header.
    hbh = bytes([60, 0, 1, 4, 0, 0, 0, 0])
    dst = bytes([44, 0, 1, 4, 0, 0, 0, 0])
    frag0 = bytes([17, 0]) + struct.pack("!H", 1) + struct.pack("!I", 0xc0ffee01)
    body = udp(500, 500, ike)
    out.add('ip', 'v6-ext-chain-frag0', ip6(a, b, 0, hbh + dst + frag0 + body[:16]))
    frag1 = bytes([17, 0]) + struct.pack("!H", 16) + struct.pack("!I", 0xc0ffee01)
    out.add('ip', 'v6-frag-later', ip6(a, b, 44, frag1 + body[16:]))


def sstp_seeds(out):
    """What an SSTP server (or something else on TCP 443) answers: the
    HTTP head with what follows it ([MS-SSTP] 3.2.4.1, 2.2.10, 2.2.12),
    as the lab's sstp_server.py sends it."""
    ok = (b"HTTP/1.1 200\r\nContent-Length: 18446744073709551615\r\n"
          b"Server: Microsoft-HTTPAPI/2.0\r\nDate: Wed, 02 Dec 2026 22:00:00 GMT\r\n\r\n")
    ack = bytes.fromhex("10010030" "00020001" "00040028" "00000003") + bytes(range(32))
    nak = bytes.fromhex("10010016" "00030001" "0002000e" "00000001" "00000004" "0001")
    out.add('sstp', 'ack', ok + ack)
    out.add('sstp', 'nak', ok + nak)
    out.add('sstp', 'ack-alone', ack)
    out.add('sstp', 'iis-404', b"HTTP/1.1 404 Not Found\r\nServer: Microsoft-IIS/10.0\r\n"
            b"Content-Type: text/html\r\nContent-Length: 35\r\n\r\n"
            b"<html><body>Not Found</body></html>")
    out.add('sstp', 'head-cut', ok[:40])
    out.add('sstp', 'data-packet', ok + bytes.fromhex("10000008c0210101"))
    # Lines ended by a bare LF: refused (sstp.h), not a line end.
    out.add('sstp', 'bare-lf', b"HTTP/1.1 200 OK\nServer: nginx\n\n")


def tls_record(kind, body):
    return bytes([kind, 3, 3]) + struct.pack('>H', len(body)) + body


def tls_handshake(kind, body):
    return bytes([kind]) + struct.pack('>I', len(body))[1:] + body


def tls_synthetic(out):
    """Both directions of a TLS 1.2 handshake written out by hand: a
    ClientHello with SNI, a ServerHello, a Certificate of two (made-up
    DER), an alert, ChangeCipherSpec and data; a TLS 1.3 ServerHello; the
    same cut in the middle of a record."""
    name = b'vpn.example.com'
    sni = struct.pack('>HHHBH', 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    ch = (b'\x03\x03' + bytes(32) + b'\x00' + b'\x00\x02\xc0\x2f' + b'\x01\x00' +
          struct.pack('>H', len(sni)) + sni)
    client = tls_record(22, tls_handshake(1, ch)) + tls_record(20, b'\x01') + \
        tls_record(23, b'\x17' * 40)
    certs = b''.join(struct.pack('>I', len(c))[1:] + c for c in (b'\x30' * 120, b'\x30' * 80))
    sh = b'\x03\x03' + bytes(32) + b'\x00' + b'\xc0\x2f' + b'\x00' + b'\x00\x00'
    server = tls_record(22, tls_handshake(2, sh) +
                        tls_handshake(11, struct.pack('>I', len(certs))[1:] + certs)) + \
        tls_record(21, b'\x02\x2d') + tls_record(20, b'\x01') + tls_record(23, b'\x00' * 30)
    ext13 = struct.pack('>HHH', 43, 2, 0x0304)
    sh13 = b'\x03\x03' + bytes(32) + b'\x00' + b'\x13\x02' + b'\x00' + \
        struct.pack('>H', len(ext13)) + ext13
    out.add('tls', 'hand-client', client)
    out.add('tls', 'hand-server', server)
    out.add('tls', 'hand-server13', tls_record(22, tls_handshake(2, sh13)))
    out.add('tls', 'hand-cut', server[:len(server) // 2])


def tls_seeds(out, captures):
    """TLS streams for fuzz_tls.c: each direction of every TCP 443
    connection in the captures, its payload in order (the first 64 KB)."""
    tls_synthetic(out)
    for d in (captures, os.path.join(captures, 'analyze')):
        if not os.path.isdir(d):
            continue
        for fn in sorted(os.listdir(d)):
            if not fn.endswith('.pcap'):
                continue
            try:
                link, frames = read_pcap(os.path.join(d, fn))
            except Exception:
                continue
            streams = {}
            for _, frame in frames:
                # Either family (ip_of_frame keeps IPv4 only).
                dg = (frame[14:] if link == LINK_EN10MB and frame[12:14] == b'\x86\xdd'
                      else ip_of_frame(link, frame))
                if dg is None or len(dg) < 20:
                    continue
                v = dg[0] >> 4
                hl, proto = ((dg[0] & 15) * 4, dg[9]) if v == 4 else (40, dg[6])
                if proto != 6 or len(dg) < hl + 20:
                    continue
                tcp = dg[hl:]
                sport, dport = struct.unpack('>HH', tcp[:4])
                if 443 not in (sport, dport):
                    continue
                off = (tcp[12] >> 4) * 4
                key = (dg[12:20] if v == 4 else dg[8:40], sport, dport)
                streams.setdefault(key, bytearray()).extend(tcp[off:])
            for i, (k, b) in enumerate(sorted(streams.items(), key=lambda kv: kv[0][1:])):
                if b:
                    out.add('tls', '%s-%d-%s' % (fn[:-5], i, 'to' if k[2] == 443 else 'from'),
                            bytes(b[:65536]))


def analyze_seeds(out, captures):
    """Whole capture files for fuzz_analyze.c (the lab's own and the
    recordings of a real client, pcap and pcapng), and each capture's IP
    datagrams as its frame list (2-byte length before each)."""
    for d in (captures, os.path.join(captures, 'analyze'),
              os.path.join(HERE, '..', 'tests', 'unit', 'crafted')):
        if not os.path.isdir(d):
            continue
        for fn in sorted(os.listdir(d)):
            stem, _, ext = fn.rpartition('.')
            if ext not in ('pcap', 'pcapng'):
                continue
            with open(os.path.join(d, fn), 'rb') as f:
                data = f.read()
            out.add('analyze', stem + ('-ng' if ext == 'pcapng' else ''), data)
            if ext != 'pcap':
                continue
            try:
                link, frames = read_pcap(os.path.join(d, fn))
            except Exception:
                continue	# a truncated file is a seed as it is
            raw = b''
            for _, frame in frames:
                dg = ip_of_frame(link, frame)
                if dg is not None:
                    raw += struct.pack('>H', len(dg)) + dg
            if raw:
                out.add('analyze', stem + '-frames', raw)


def main():
    captures = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(HERE, '..', 'captures')
    out = Corpus(sys.argv[2] if len(sys.argv) > 2 else
                 os.path.join(HERE, 'corpus'))
    largest = None
    for fn in sorted(os.listdir(captures)):
        if not fn.endswith('.pcap'):
            continue
        stem = fn[:-len('.pcap')]
        link, frames = read_pcap(os.path.join(captures, fn))
        steps, prev = [], frames[0][0] if frames else 0
        for i, (ts, frame) in enumerate(frames):
            # 10 ms units, as fuzz_frame's clock (from 200 on a byte
            # means seconds).
            steps.append(max(0, min(199, int((ts - prev) * 100))))
            prev = ts
            out.add('frame', '%s-%d' % (stem, i), frame_input(link, [(0, frame)]))
            dg = ip_of_frame(link, frame)
            if dg is None:
                continue
            out.add('ip', '%s-%d' % (stem, i), dg)
            u = udp_payload(dg)
            if u is None:
                continue
            sport, dport, payload = u
            if 500 in (sport, dport):
                out.add('ike', '%s-%d' % (stem, i), payload)
            elif 4500 in (sport, dport) and payload[:4] == b'\0\0\0\0':
                out.add('ike', '%s-%d' % (stem, i), payload[4:])
            if sport in (500, 4500) and (largest is None or
                                         len(dg) > len(largest[1])):
                largest = ('%s-%d' % (stem, i), dg)
        out.add('frame', stem, frame_input(
            link, list(zip(steps, (f for _, f in frames)))))

    reports = os.path.join(HERE, '..', 'tests', 'unit', 'reports')
    for fn in sorted(os.listdir(reports)):
        if fn.endswith('.json'):
            with open(os.path.join(reports, fn), 'rb') as f:
                out.add('doc', fn[:-len('.json')], f.read())
    with open(os.path.join(HERE, '..', 'tests', 'lab',
                           'sample-report.json'), 'rb') as f:
        out.add('doc', 'lab-sample', f.read())
    # Two reports to compare, with file names (fuzz_doc.c: pieces split at
    # NUL bytes), as the render tests compare them; one name long enough to
    # be cut in a column title.
    def report(name):
        with open(os.path.join(reports, name + '.json'), 'rb') as f:
            return f.read()
    for a, b in (('hq', 'hotel'), ('hq', 'auth'), ('old-0.1', 'hq'),
                 ('unlabelled-1', 'unlabelled-2'), ('cluster', 'nat')):
        out.add('doc', 'pair-%s-%s' % (a, b), b'\0'.join((
            report(a), report(b), a.encode() + b'.json',
            b'reports/from-the-branch-office-on-tuesday/' + b.encode() + b'.json')))

    sstp_seeds(out)
    ipv6_seeds(out)
    analyze_seeds(out, captures)
    tls_seeds(out, captures)
    if largest is None:
        return
    name, dg = largest
    for lt, lname in ((LINK_RAW, 'raw'), (LINK_SLL, 'sll'),
                      (LINK_SLL2, 'sll2'), (LINK_NULL, 'null')):
        out.add('frame', '%s-%s' % (name, lname),
                frame_input(lt, [(0, wrap(lt, dg))]))
    out.add('frame', '%s-vlan' % name,
            frame_input(LINK_EN10MB, [(0, vlan(dg))]))
    frags = fragment(dg, 8 * ((len(dg) - 20) // 24 + 1))	# three pieces
    ordered = [(1, wrap(LINK_EN10MB, f)) for f in frags]
    out.add('frame', '%s-frag-inorder' % name,
            frame_input(LINK_EN10MB, ordered))
    out.add('frame', '%s-frag-reversed' % name,
            frame_input(LINK_EN10MB, ordered[::-1]))
    out.add('frame', '%s-frag-duplicate' % name,
            frame_input(LINK_EN10MB, [ordered[1], ordered[0], ordered[1],
                                      ordered[2]]))
    # The first fragment, then the rest 21 s later: past REASM_TIMEOUT,
    # so they must not join it.
    out.add('frame', '%s-frag-expired' % name,
            frame_input(LINK_EN10MB, [ordered[0]] + [(220, f) for _, f in
                                                     ordered[1:]]))
    out.add('frame', '%s-frag-raw' % name,
            frame_input(LINK_RAW, [(1, f) for f in frags]))
    out.add('ip', '%s-frag0' % name, frags[0])
    out.add('ip', '%s-frag1' % name, frags[1])
    boundary_fixtures(os.path.join(os.path.dirname(out.root), 'regressions'))


if __name__ == '__main__':
    main()
