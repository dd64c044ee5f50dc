#!/usr/bin/python3
"""Seed the corpora of the fuzz targets that read what an IKE_AUTH answer
carries: cert (fuzz_cert.c) and sk (fuzz_sk.c).

  cert  every profile of the lab's certificates (tests/lab/pki.py): the
        server's DER, the intermediate's after it, and an AUTH piece (a
        method byte and a signature-sized run of bytes)
  sk    inner payload chains of IKE_AUTH answers as gateways send them
        (IDr, CERT x2, AUTH, EAP request; AUTHENTICATION_FAILED alone; a
        DELETE answer's nothing) in fuzz_sk.c's sealed mode, whole and cut
        into SKF fragments, for each transform suite; and a few raw
        messages that break the framing (SK not last, SKF numbered 0 or
        past its total, a truncated ICV)

Needs python3-cryptography (for pki.py). The certificates are made anew
each time (their dates count from now), so the files differ run to run;
run it again after adding a profile. Usage (Debian's python3, whose cryptography still signs with SHA-1):
/usr/bin/python3 fuzz/seed_sa.py [corpus-dir]
"""
import hashlib
import os
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lab"))
sys.dont_write_bytecode = True
import pki  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402

PL_NONE, PL_IDR, PL_CERT, PL_AUTH, PL_NOTIFY, PL_EAP, PL_SK, PL_SKF = 0, 36, 37, 39, 41, 48, 46, 53


def der(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read()).public_bytes(serialization.Encoding.DER)


def piece(b):
    return struct.pack(">H", len(b)) + b


def chain(payloads):
    """Inner payloads [(type, body)] chained: the first's type apart."""
    out = b""
    for i, (t, body) in enumerate(payloads):
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else PL_NONE
        out += struct.pack(">BBH", nxt, 0, 4 + len(body)) + body
    return payloads[0][0] if payloads else PL_NONE, out


def write(d, name, data):
    os.makedirs(d, exist_ok=True)
    h = hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(d, f"seed-{name}-{h}"), "wb") as f:
        f.write(data)


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    server = inter = None
    with tempfile.TemporaryDirectory() as tmp:
        for prof in pki.PROFILES:
            ch = pki.make(os.path.join(tmp, prof), prof)
            s, i = der(ch.server), der(ch.intermediate)
            write(os.path.join(corpus, "cert"), prof,
                  piece(s) + piece(i) + piece(bytes([14]) + bytes(range(256)) * 2))
            write(os.path.join(corpus, "cert"), prof + "-alone", piece(s))
            if prof == "good":
                server, inter = s, i
    idr = bytes([9, 0, 0, 0]) + b"\x30\x00"
    eap_req = bytes([1, 7, 0, 5, 1])
    answers = {
        "eap": [(PL_IDR, idr), (PL_CERT, b"\x04" + server), (PL_CERT, b"\x04" + inter),
                (PL_AUTH, bytes([1, 0, 0, 0]) + bytes(512)), (PL_EAP, eap_req)],
        "auth-failed": [(PL_NOTIFY, struct.pack(">BBH", 0, 0, 24))],
        "empty": [],
    }
    for suite in range(4):
        for name, pl in answers.items():
            first, body = chain(pl)
            for flen in (0, 576, 1280):
                write(os.path.join(corpus, "sk"), f"{name}-s{suite}-f{flen}",
                      bytes([4 | suite, first]) + struct.pack(">H", flen) + bytes([7]) + body)
    hdr = bytes(range(1, 9)) + bytes(range(9, 17))

    def msg(np, flags, body):
        m = hdr + struct.pack(">BBBBI", np, 0x20, 35, flags, 1)
        m += struct.pack(">I", 28 + len(body))
        return m + body
    bad = {
        "sk-not-last": msg(PL_SK, 0x20, struct.pack(">BBH", PL_NOTIFY, 0, 40) + bytes(36)
                           + struct.pack(">BBH", 0, 0, 8) + bytes(4)),
        "skf-zero": msg(PL_SKF, 0x20, struct.pack(">BBHHH", PL_IDR, 0, 48, 0, 3) + bytes(40)),
        "skf-past": msg(PL_SKF, 0x20, struct.pack(">BBHHH", PL_IDR, 0, 48, 4, 3) + bytes(40)),
        "sk-short": msg(PL_SK, 0x20, struct.pack(">BBH", PL_IDR, 0, 10) + bytes(6)),
    }
    for name, m in bad.items():
        for suite in range(4):
            write(os.path.join(corpus, "sk"), f"raw-{name}-s{suite}", bytes([suite]) + piece(m))


if __name__ == "__main__":
    main()
