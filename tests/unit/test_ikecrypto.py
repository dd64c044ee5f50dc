#!/usr/bin/python3
"""IKE SA keys and the SK payload of src/crypto/ikecrypto.c, checked
against the same computed here, independently, from RFC 7296 2.13-2.14 and
3.14, RFC 5282 (AES-GCM) and RFC 7634 (ChaCha20-Poly1305), with Python's
hmac and the cryptography package.

For every transform ikeprobe offers, with random nonces, shared secret and
SPIs: the seven keys must be equal; the message the tool seals as the
initiator must decrypt and verify here to the same inner payloads; and a
message sealed here as the responder must open in the tool. A corrupted
message must not open.

usage: test_ikecrypto.py PATH-TO-ikecrypto-tool
"""
import hashlib
import hmac
import os
import struct
import subprocess
import sys

try:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
except ImportError:
    print("SKIP: python3-cryptography is not installed")
    sys.exit(77)

PRF = {2: hashlib.sha1, 5: hashlib.sha256, 6: hashlib.sha384, 7: hashlib.sha512}
INTEG = {2: (hashlib.sha1, 20, 12), 12: (hashlib.sha256, 32, 16),
         13: (hashlib.sha384, 48, 24), 14: (hashlib.sha512, 64, 32)}
AES_CBC, TDES, AES_GCM_16, CHACHA = 12, 3, 20, 28

# (encr, bits, prf, integ): every suite of ike_build.c's two proposals.
SUITES = [(AES_GCM_16, b, p, 0) for b in (128, 256) for p in (5, 6, 7)]
SUITES += [(CHACHA, 256, p, 0) for p in (5, 6, 7)]
SUITES += [(e, b, p, i) for (e, b) in ((AES_CBC, 128), (AES_CBC, 256), (TDES, 192))
           for p in (2, 5, 6, 7) for i in (2, 12, 13, 14)]


def prf(alg, key, data):
    return hmac.new(key, data, PRF[alg]).digest()


def prf_plus(alg, key, seed, n):
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = prf(alg, key, t + seed + bytes([i]))
        out += t
        i += 1
    return out[:n]


def derive(encr, bits, p, integ, ni, nr, gir, spi_i, spi_r):
    aead = encr in (AES_GCM_16, CHACHA)
    plen = PRF[p]().digest_size
    ilen = 0 if aead else INTEG[integ][1]
    elen = bits // 8 + (4 if aead else 0)
    skeyseed = prf(p, ni + nr, gir)
    km = prf_plus(p, skeyseed, ni + nr + spi_i + spi_r, 3 * plen + 2 * ilen + 2 * elen)
    keys, off = {"skeyseed": skeyseed}, 0
    for name, n in (("sk_d", plen), ("sk_ai", ilen), ("sk_ar", ilen), ("sk_ei", elen),
                    ("sk_er", elen), ("sk_pi", plen), ("sk_pr", plen)):
        keys[name] = km[off:off + n]
        off += n
    return keys


def cbc(encr, key, iv, data, enc):
    alg = algorithms.AES(key) if encr == AES_CBC else algorithms.TripleDES(key)
    c = Cipher(alg, modes.CBC(iv))
    x = c.encryptor() if enc else c.decryptor()
    return x.update(data) + x.finalize()


def aead(encr, key, iv, data, aad, enc):
    a = AESGCM(key[:-4]) if encr == AES_GCM_16 else ChaCha20Poly1305(key[:-4])
    nonce = key[-4:] + iv
    return a.encrypt(nonce, data, aad) if enc else a.decrypt(nonce, data, aad)


def open_msg(suite, keys, msg, responder):
    """The inner payloads of msg (IKE header, then one SK payload)."""
    encr, bits, p, integ = suite
    ke = keys["sk_er" if responder else "sk_ei"]
    ka = keys["sk_ar" if responder else "sk_ai"]
    assert msg[16] == 46, "first payload is not SK"
    assert struct.unpack(">I", msg[24:28])[0] == len(msg), "IKE length"
    assert struct.unpack(">H", msg[30:32])[0] == len(msg) - 28, "SK length"
    if encr in (AES_GCM_16, CHACHA):
        iv, rest = msg[32:40], msg[40:]
        plain = aead(encr, ke, iv, rest, msg[:32], False)
    else:
        ivl = 16 if encr == AES_CBC else 8
        md, _, icvl = INTEG[integ]
        assert hmac.compare_digest(hmac.new(ka, msg[:-icvl], md).digest()[:icvl], msg[-icvl:]), "ICV"
        iv, ct = msg[32:32 + ivl], msg[32 + ivl:-icvl]
        plain = cbc(encr, ke, iv, ct, False)
    pad = plain[-1]
    return plain[:-1 - pad]


def seal_msg(suite, keys, spi_i, spi_r, inner, responder):
    encr, bits, p, integ = suite
    ke = keys["sk_er" if responder else "sk_ei"]
    ka = keys["sk_ar" if responder else "sk_ai"]
    is_aead = encr in (AES_GCM_16, CHACHA)
    block = 1 if is_aead else (16 if encr == AES_CBC else 8)
    pad = (block - (len(inner) + 1) % block) % block
    plain = inner + bytes(pad) + bytes([pad])
    ivl = 8 if is_aead else block
    icvl = 16 if is_aead else INTEG[integ][2]
    iv = os.urandom(ivl)
    total = 28 + 4 + ivl + len(plain) + icvl
    hdr = (spi_i + spi_r + bytes([46, 0x20, 35, 0x20]) + struct.pack(">II", 1, total)
           + bytes([35, 0]) + struct.pack(">H", total - 28))
    if is_aead:
        return hdr + iv + aead(encr, ke, iv, plain, hdr, True)
    body = hdr + iv + cbc(encr, ke, iv, plain, True)
    return body + hmac.new(ka, body, INTEG[integ][0]).digest()[:icvl]


def run_tool(tool, suite, ni, nr, gir, spi_i, spi_r, inner, iv, open_=None):
    encr, bits, p, integ = suite
    lines = [f"encr {encr} {bits}", f"prf {p}", f"integ {integ}", "ni " + ni.hex(),
             "nr " + nr.hex(), "gir " + gir.hex(), "spi_i " + spi_i.hex(),
             "spi_r " + spi_r.hex(), "inner " + inner.hex(), "iv " + iv.hex()]
    if open_ is not None:
        lines.append("open " + open_.hex())
    out = subprocess.run([tool], input="\n".join(lines) + "\n", capture_output=True,
                         text=True).stdout
    res = {}
    for ln in out.splitlines():
        k, _, v = ln.partition(" ")
        res[k] = v if k == "error" else bytes.fromhex(v)
    return res


def main():
    tool = sys.argv[1]
    fails = checks = 0

    def check(cond, what):
        nonlocal fails, checks
        checks += 1
        if not cond:
            fails += 1
            print("FAIL:", what)

    for suite in SUITES:
        for trial in range(3):
            ni, nr = os.urandom(32 if trial else 16), os.urandom(32 + 8 * trial)
            gir = os.urandom((32, 256, 66)[trial])
            spi_i, spi_r = os.urandom(8), os.urandom(8)
            inner = os.urandom((1, 300, 1999)[trial])
            encr = suite[0]
            iv = os.urandom(8 if encr in (AES_GCM_16, CHACHA) else 16 if encr == AES_CBC else 8)
            keys = derive(*suite, ni, nr, gir, spi_i, spi_r)
            theirs = seal_msg(suite, keys, spi_i, spi_r, inner, True)
            got = run_tool(tool, suite, ni, nr, gir, spi_i, spi_r, inner, iv, theirs)
            name = f"suite {suite} trial {trial}"
            for k, v in keys.items():
                check(got.get(k) == v, f"{name}: {k}")
            sealed = got.get("sealed", b"")
            try:
                check(open_msg(suite, keys, sealed, False) == inner,
                      f"{name}: the tool's message does not open to its inner payloads")
                check(sealed[32:32 + len(iv)] == iv, f"{name}: IV as given")
            except Exception as e:  # a wrong ICV, tag or layout
                check(False, f"{name}: the tool's message does not open: {e!r}")
            check(got.get("opened") == inner, f"{name}: the tool does not open ours: "
                  f"{got.get('error')}")
            # One bit off anywhere: refused.
            bad = bytearray(theirs)
            bad[len(bad) // 2] ^= 0x40
            got = run_tool(tool, suite, ni, nr, gir, spi_i, spi_r, inner, iv, bytes(bad))
            check("opened" not in got and "error" in got,
                  f"{name}: a corrupted message opened")
    print(f"{checks - fails} passed, {fails} failed ({len(SUITES)} suites)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
