"""Certificates for the lab gateway, made at test time with Python's
cryptography (OpenSSL underneath): a root CA, an intermediate and a server
certificate, good or broken in the ways a VPN server's certificate breaks.

Keys take seconds to make at RSA 4096, so they are kept between labs in
/tmp/ikp-lab-keys (made once, 0700, under a lock); certificates are made
anew for every lab, since their dates count from now.

    chain = pki.make(tmpdir, "good")
    chain.root, chain.intermediate, chain.server, chain.key   # PEM paths

Profiles (the server certificate; the rest of the chain is good):
    good              RSA-4096 server under an RSA-4096 intermediate under an
                      RSA-2048 root; SAN DNS gateway.lab.test and
                      IP 198.51.100.10; EKU serverAuth and ikeIntermediate
    expired           not after: 2 days ago
    not-yet-valid     not before: in 3 days
    expires-soon      not after: in 10 days
    wrong-name        SAN and CN vpn.other.test
    no-server-auth    EKU clientAuth only
    self-signed       the server certificate signs itself
    sha1              signed with SHA-1
    weak-key          RSA 1024
    ecdsa             ECDSA P-256 server key

make_client(tmpdir, chain) adds a client certificate for a device tunnel
(tests/lab/client_charon.py): RSA-4096 under an RSA-4096 "device CA" of
its own under the chain's root, so that a gateway that trusts the root
needs the intermediate the client sends, as a machine certificate from an
enterprise CA has it.

    client = pki.make_client(tmpdir, chain)
    client.cert, client.key, client.intermediate              # PEM paths
"""

import datetime
import fcntl
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

KEY_CACHE = "/tmp/ikp-lab-keys"
IKE_INTERMEDIATE = ObjectIdentifier("1.3.6.1.5.5.8.2.2")
GATEWAY_NAME = "gateway.lab.test"
GATEWAY_IP = "198.51.100.10"
PROFILES = ("good", "expired", "not-yet-valid", "expires-soon", "wrong-name",
            "no-server-auth", "self-signed", "sha1", "weak-key", "ecdsa")


class Chain:
    def __init__(self, d, profile, server_name):
        self.dir = d
        self.profile = profile
        self.name = server_name
        self.root = os.path.join(d, "root.pem")
        self.intermediate = os.path.join(d, "intermediate.pem")
        self.server = os.path.join(d, "server.pem")
        self.key = os.path.join(d, "server.key")
        self.self_signed = profile == "self-signed"


def _key(name, kind):
    """A private key from the cache, made on first use."""
    os.makedirs(KEY_CACHE, mode=0o700, exist_ok=True)
    path = os.path.join(KEY_CACHE, name + ".pem")
    with open(os.path.join(KEY_CACHE, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(path):
            if kind.startswith("rsa"):
                k = rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
            else:
                k = ec.generate_private_key(ec.SECP256R1())
            tmp = path + ".tmp"
            with open(tmp, "wb") as f:
                f.write(k.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
            os.chmod(tmp, 0o600)
            os.rename(tmp, path)
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ikeprobe lab"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, key, issuer, issuer_key, ca, days=(-30, 365), san=None, eku=None,
          algo=None, path_len=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now + datetime.timedelta(days=days[0]))
         .not_valid_after(now + datetime.timedelta(days=days[1])))
    b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=path_len), critical=True)
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                          False, False), critical=True)
    else:
        b = b.add_extension(x509.KeyUsage(True, False, True, False, False, False, False,
                                          False, False), critical=True)
    if san:
        b = b.add_extension(x509.SubjectAlternativeName(san), critical=False)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                        critical=False)
    return b.sign(issuer_key, algo or hashes.SHA256())


def make(d, profile="good"):
    """The chain of one profile, written into directory d."""
    if profile not in PROFILES:
        raise ValueError(f"unknown certificate profile {profile!r}")
    os.makedirs(d, exist_ok=True)
    root_key = _key("root-rsa2048", "rsa2048")
    inter_key = _key("intermediate-rsa4096", "rsa4096")
    server_key = (_key("server-rsa1024", "rsa1024") if profile == "weak-key" else
                  _key("server-p256", "p256") if profile == "ecdsa" else
                  _key("server-rsa4096", "rsa4096"))
    root_name, inter_name = _name("ikeprobe lab root CA"), _name("ikeprobe lab intermediate CA")
    server_cn = "vpn.other.test" if profile == "wrong-name" else GATEWAY_NAME
    root = _cert(root_name, root_key, root_name, root_key, True, days=(-3650, 3650))
    inter = _cert(inter_name, inter_key, root_name, root_key, True, days=(-365, 3650),
                  path_len=0)
    days = {"expired": (-400, -2), "not-yet-valid": (3, 400),
            # Half a day past ten: whole days left round down, and the test
            # runs seconds after the certificate is made.
            "expires-soon": (-300, 10.5)}.get(profile, (-30, 365))
    san = [x509.DNSName(server_cn)]
    if profile != "wrong-name":
        san.append(x509.IPAddress(ipaddress.ip_address(GATEWAY_IP)))
    eku = ([ExtendedKeyUsageOID.CLIENT_AUTH] if profile == "no-server-auth" else
           [ExtendedKeyUsageOID.SERVER_AUTH, IKE_INTERMEDIATE])
    if profile == "self-signed":
        server = _cert(_name(server_cn), server_key, _name(server_cn), server_key, False,
                       days=days, san=san, eku=eku)
    else:
        server = _cert(_name(server_cn), server_key, inter_name, inter_key, False, days=days,
                       san=san, eku=eku, algo=hashes.SHA1() if profile == "sha1" else None)
    ch = Chain(d, profile, server_cn)
    _write(((ch.root, root), (ch.intermediate, inter), (ch.server, server)),
           ch.key, server_key)
    return ch


def _write(certs, key_path, key):
    """Certificates as PEM, and the key (PKCS#8, mode 0600)."""
    for path, c in certs:
        with open(path, "wb") as f:
            f.write(c.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    os.chmod(key_path, 0o600)


CLIENT_NAME = "device.lab.test"


class ClientCert:
    def __init__(self, d, name):
        self.dir = d
        self.name = name
        self.intermediate = os.path.join(d, "device-ca.pem")
        self.cert = os.path.join(d, "client.pem")
        self.key = os.path.join(d, "client.key")


def make_client(d, chain, name=CLIENT_NAME):
    """A device certificate (CN and SAN DNS name, EKU clientAuth) under a
    device CA under chain's root, written into directory d."""
    os.makedirs(d, exist_ok=True)
    root_key = _key("root-rsa2048", "rsa2048")
    ca_key = _key("device-ca-rsa4096", "rsa4096")
    client_key = _key("client-rsa4096", "rsa4096")
    with open(chain.root, "rb") as f:
        root_name = x509.load_pem_x509_certificate(f.read()).subject
    ca_name = _name("ikeprobe lab device CA")
    ca = _cert(ca_name, ca_key, root_name, root_key, True, days=(-365, 3650), path_len=0)
    client = _cert(_name(name), client_key, ca_name, ca_key, False,
                   san=[x509.DNSName(name)], eku=[ExtendedKeyUsageOID.CLIENT_AUTH])
    cc = ClientCert(d, name)
    _write(((cc.intermediate, ca), (cc.cert, client)), cc.key, client_key)
    return cc
