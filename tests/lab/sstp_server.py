#!/usr/bin/python3
"""A small SSTP server for the lab ([MS-SSTP]), since Debian packages none:
TLS on TCP (443) with a certificate made at test time, the HTTP handshake
(SSTP_DUPLEX_POST answered "HTTP/1.1 200" with the same Content-Length,
section 3.2.4.1), then a Call Connect Request (2.2.9) answered with a Call
Connect Ack (2.2.10) or Nak (2.2.12). No PPP: what follows is read and
dropped. Its wire format is checked against the real client, sstpc
(tests/lab/sstp_scenarios.py), so that it is what a client accepts.

Modes, for the faults an SSTP check must tell apart:
  sstp     the SSTP listener (the default)
  nak      Call Connect Nak instead of Ack
  http     a plain HTTPS web server: 404 from "Microsoft-IIS/10.0"
  silent   TLS, then never a byte of HTTP
  huge     TLS, then an HTTP header that never ends (64 KB and on)
  garbage  TLS, then bytes that are not HTTP
  plain    no TLS at all: a plain-HTTP server's 400 on TCP 443
Each event is one line in --log (accept, tls, request, response, call
connect, close), which the tests read.

usage: sstp_server.py --cert PEM --key PEM [--chain PEM] [--port N]
                      [--mode M] [--legacy | --legacy-only] [--max-tls12] --log FILE
"""

import argparse
import os
import socket
import ssl
import struct
import sys
import threading
import time

GUID_PATH = "/sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/"
MAX_HEAD = 8192
SSTP_VERSION = 0x10
MSG_CALL_CONNECT_REQUEST = 0x0001
MSG_CALL_CONNECT_ACK = 0x0002
MSG_CALL_CONNECT_NAK = 0x0003
ATTRIB_ENCAPSULATED_PROTOCOL_ID = 0x01
ATTRIB_STATUS_INFO = 0x02
ATTRIB_CRYPTO_BINDING_REQ = 0x04
PROTOCOL_PPP = 0x0001
CERT_HASH_SHA1_SHA256 = 0x03
STATUS_VALUE_NOT_SUPPORTED = 0x00000004

log_lock = threading.Lock()


def log(path, msg):
    with log_lock, open(path, "a") as f:
        f.write(f"{time.monotonic():.3f} {msg}\n")


def control(msg_type, attrs):
    """An SSTP control packet (2.2.2): header, type, attributes (2.2.4)."""
    body = b""
    for attr_id, value in attrs:
        body += struct.pack("!BBH", 0, attr_id, 4 + len(value)) + value
    pkt = struct.pack("!HH", msg_type, len(attrs)) + body
    return struct.pack("!BBH", SSTP_VERSION, 0x01, 4 + len(pkt)) + pkt


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_head(conn):
    """The HTTP request head, at most MAX_HEAD bytes; None if it ends first."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        if len(buf) > MAX_HEAD:
            return None
        chunk = conn.recv(1024)
        if not chunk:
            return None
        buf += chunk
    return buf.split(b"\r\n\r\n", 1)[0].decode("latin-1")


def serve(conn, peer, a):
    try:
        conn.settimeout(10)
        log(a.log, f"tls {conn.version()} {conn.cipher()[0]}")
        if a.mode == "silent":
            while conn.recv(1024):
                pass
            return
        if a.mode == "huge":
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            for _ in range(1024):
                conn.sendall(b"X-Filler: " + b"a" * 54 + b"\r\n")
            log(a.log, "sent huge header")
            while conn.recv(1024):
                pass
            return
        if a.mode == "garbage":
            conn.sendall(os.urandom(3000))
            log(a.log, "sent garbage")
            while conn.recv(1024):
                pass
            return
        head = read_head(conn)
        if head is None:
            log(a.log, "request none")
            return
        lines = head.split("\r\n")
        log(a.log, "request " + lines[0])
        headers = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            headers[k.strip().lower()] = v.strip()
        for k in ("host", "content-length", "sstpcorrelationid"):
            if k in headers:
                log(a.log, f"header {k}: {headers[k]}")
        if a.mode == "http" or not lines[0].startswith("SSTP_DUPLEX_POST " + GUID_PATH):
            body = b"<html><body>Not Found</body></html>"
            conn.sendall(b"HTTP/1.1 404 Not Found\r\nServer: Microsoft-IIS/10.0\r\n"
                         b"Content-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body)
                         + body)
            log(a.log, "response 404")
            return
        conn.sendall(b"HTTP/1.1 200\r\nContent-Length: 18446744073709551615\r\n"
                     b"Server: Microsoft-HTTPAPI/2.0\r\n"
                     b"Date: " + time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                               time.gmtime()).encode() + b"\r\n\r\n")
        log(a.log, "response 200")
        hdr = read_exact(conn, 4)
        if hdr is None:
            log(a.log, "call-connect none")
            return
        version, flags, length = struct.unpack("!BBH", hdr)
        length &= 0x0FFF
        rest = read_exact(conn, length - 4) if length >= 4 else None
        if version != SSTP_VERSION or not flags & 1 or rest is None or len(rest) < 4:
            log(a.log, f"call-connect malformed {hdr.hex()}")
            return
        msg_type, n_attrs = struct.unpack("!HH", rest[:4])
        proto = None
        if len(rest) >= 4 + 6:
            _, attr_id, alen, value = struct.unpack("!BBHH", rest[4:10])
            if attr_id == ATTRIB_ENCAPSULATED_PROTOCOL_ID and alen & 0x0FFF == 6:
                proto = value
        log(a.log, f"call-connect type {msg_type} attrs {n_attrs} protocol {proto}")
        if msg_type != MSG_CALL_CONNECT_REQUEST:
            return
        if a.mode == "nak" or proto != PROTOCOL_PPP:
            conn.sendall(control(MSG_CALL_CONNECT_NAK, [(ATTRIB_STATUS_INFO, struct.pack(
                "!3xBI", ATTRIB_ENCAPSULATED_PROTOCOL_ID, STATUS_VALUE_NOT_SUPPORTED)
                + struct.pack("!H", proto or 0))]))
            log(a.log, "sent nak")
            return
        conn.sendall(control(MSG_CALL_CONNECT_ACK, [(ATTRIB_CRYPTO_BINDING_REQ,
                     struct.pack("!3xB", CERT_HASH_SHA1_SHA256) + os.urandom(32))]))
        log(a.log, "sent ack")
        # PPP would follow: read and drop until the client goes.
        while conn.recv(4096):
            pass
    except (OSError, ssl.SSLError) as e:
        log(a.log, f"error {type(e).__name__}: {e}")
    finally:
        log(a.log, "close")
        try:
            conn.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--chain", help="intermediate CA certificates to send")
    ap.add_argument("--port", type=int, default=443)
    ap.add_argument("--address", default="", help="an IPv6 (or ::ffff:IPv4) address")
    ap.add_argument("--mode", choices=("sstp", "nak", "http", "silent", "huge", "garbage",
                                       "plain"), default="sstp")
    ap.add_argument("--legacy", action="store_true", help="also accept TLS 1.0 and 1.1")
    ap.add_argument("--legacy-only", action="store_true", help="only TLS 1.0 and 1.1")
    ap.add_argument("--max-tls12", action="store_true",
                    help="TLS 1.2 at most (its certificates go in clear, as old RRAS sends them)")
    ap.add_argument("--log", required=True)
    a = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # Any certificate the lab makes, SHA-1 ones too: a real server's
    # TLS library serves what it is given.
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if a.chain:
        # The leaf first, then what it sends with it.
        both = a.log + ".chain.pem"
        with open(both, "w") as f:
            f.write(open(a.cert).read() + open(a.chain).read())
        ctx.load_cert_chain(both, a.key)
    else:
        ctx.load_cert_chain(a.cert, a.key)
    if a.legacy or a.legacy_only:
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        if a.legacy_only:
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if a.max_tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    # Both families on one socket: the lab's name has A and AAAA records.
    srv = socket.socket(socket.AF_INET6)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind((a.address or "::", a.port))
    srv.listen(16)
    log(a.log, f"listening {a.port} {a.mode}")
    while True:
        raw, peer = srv.accept()
        log(a.log, f"accept {peer[0].removeprefix('::ffff:')}")
        raw.settimeout(10)
        if a.mode == "plain":
            try:
                raw.recv(4096)
                raw.sendall(b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n"
                            b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                log(a.log, "plain 400")
            except OSError as e:
                log(a.log, f"plain error {e}")
            raw.close()
            continue
        try:
            conn = ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError) as e:
            log(a.log, f"tls-failed {type(e).__name__}: {e}")
            raw.close()
            continue
        threading.Thread(target=serve, args=(conn, peer, a), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
