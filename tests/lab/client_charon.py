"""A real IKEv2 client in the lab: a second strongSwan charon, in the client
namespace, that initiates to the gateway's charon as a Windows Always On
VPN client would.

    import client_charon as C
    ch = pki.make(os.path.join(lab.tmp, "pki"), "good")
    C.start_gateway(lab, C.KeylogGatewayConfig(auth="eap", chain=ch))
    cl = C.start_client(lab, C.ClientConfig("user", ca=ch.root))
    ok, out = cl.initiate(timeout=10)       # swanctl --initiate --child lab
    cl.terminate()                          # swanctl --terminate --ike lab

Two profiles, shaped like the two Always On VPN tunnels:

    user    the user tunnel: the client checks the gateway's certificate
            (chained to the lab's root) and authenticates itself with
            EAP-MSCHAPv2 (lab-user and the password the gateway's
            GatewayConfig(auth='eap') holds, or a wrong one)
    device  the device tunnel: a machine certificate both ways (pubkey,
            GatewayConfig(auth='pubkey')); the client sends its RSA-4096
            certificate and its own RSA-4096 device CA (pki.make_client), so
            its IKE_AUTH request is some 3.3 KB: IP fragments, unless IKEv2
            fragmentation (RFC 7383) is used

Both ask for a virtual IP (CP), as Windows does; KeylogGatewayConfig (a
lab.GatewayConfig) hands one out, and writes the gateway's keys.log.

The client is a lab.Charon like the gateway's (same plugins, its own mount
namespace with a private /run, its files under lab.tmp/client: config,
vici socket, logs), started from a ClientConfig, which has the shape of a
GatewayConfig. It is kept in lab.extra_gateways, so the lab stops it and
shows its log with the gateway's. Its retransmissions are short
(retransmit_tries, retransmit_timeout, retransmit_base): a failing attempt
ends within seconds. mobike is off, so IKE_AUTH stays on UDP 500 unless
there is a NAT.

A CHILD SA in IKE_AUTH (child='kernel', the default) needs IPsec in the
kernel: kernel_has_esp() says whether this one has it. Where it has not,
child='childless' asks for none (RFC 6023): the IKE SA comes up all the
same.

keys.log, on both sides: ike at level 4 and mgr at level 2, which holds each
IKE SA's keys (keymat_v2.c's "Sk_ei secret" chunk dumps) and the SPIs of
the SA each thread checks out; ike_keys() reads them into the rows of
Wireshark's IKEv2 decryption table. strongSwan 5.9 derives a responder's
keys only when the first IKE_AUTH request arrives: a gateway that never got
one has none in its log, the client has.
"""

import os
import re
import subprocess

import lab as L

GATEWAY_ID = '"O=ikeprobe lab, CN=gateway.lab.test"'
EAP_ID = "lab-user"
EAP_PASSWORD = "ikeprobe-lab-not-a-password"   # what GatewayConfig(auth='eap') holds
# Windows' "custom" IKEv2 policy of a typical Always On VPN profile:
# AES-256, SHA-256, DH group 14.
CLIENT_PROPOSALS = "aes256-sha256-modp2048"
# A CHILD SA needs IPsec in the kernel (XFRM with ESP); some kernels have
# none (netlink answers ENOSYS, "Requested type not found"). There the
# client asks for no CHILD SA in IKE_AUTH (RFC 6023 childless, which charon
# on the gateway allows): the IKE SA is established as it would be, and no
# SA install fails. (kernel-libipsec, IPsec inside charon, is no way out:
# strongSwan 5.9 makes it fake a NAT, a random NAT_DETECTION_SOURCE_IP in
# both directions, to get UDP-encapsulated ESP, so every capture would show
# a NAT that is not there.)


def keylog_section(tmp):
    """A strongswan.conf filelog section: keys.log, ike at level 4 (the IKE
    SA's keys) and mgr at level 2 (the SPIs of each checkout)."""
    return f"""    keys {{
      path = {tmp}/keys.log
      time_format = %H:%M:%S
      default = 1
      ike = 4
      mgr = 2
      flush_line = yes
    }}
"""


def kernel_has_esp(lab):
    """True if the client namespace's kernel takes an ESP SA (XFRM)."""
    rc, _, _ = lab.run_client(
        ["ip", "xfrm", "state", "add", "src", L.CLIENT_ADDR, "dst", L.GATEWAY_ADDR,
         "proto", "esp", "spi", "0x00001000", "mode", "tunnel",
         "enc", "cbc(aes)", "0x" + "00" * 16,
         "auth-trunc", "hmac(sha256)", "0x" + "00" * 32, "128"], timeout=10)
    lab.run_client(["ip", "xfrm", "state", "flush"], timeout=10)
    return rc == 0


# Inside the tunnel, documentation addresses too: the "corporate" network
# behind the gateway and the pool of clients' virtual IPs.
CORP_TS = "203.0.113.0/25"
VIP_POOL = "203.0.113.192/26"


class KeylogGatewayConfig(L.GatewayConfig):
    """A certificate lab.GatewayConfig (auth 'eap' or 'pubkey') for a real
    client: its charon also writes keys.log (keylog_section) and gives each
    client a virtual IP from VIP_POOL and a CHILD SA to CORP_TS, as RRAS
    gives Always On VPN clients an address and routes."""

    def __init__(self, *a, corp_ts=CORP_TS, pool=VIP_POOL, **kw):
        super().__init__(*a, **kw)
        self.corp_ts = corp_ts
        self.pool = pool

    def swanctl_conf(self):
        s = super().swanctl_conf()
        if not self.load_conn or self.auth == "psk":
            return s
        for old, new in (("    send_cert = always\n", "    send_cert = always\n    pools = lab-pool\n"),
                         ("        local_ts = 0.0.0.0/0, ::/0\n", f"        local_ts = {self.corp_ts}\n")):
            if old not in s:
                raise L.LabError(f"client_charon: lab.py's swanctl.conf has no {old.strip()!r}")
            s = s.replace(old, new, 1)
        return s + f"pools {{\n  lab-pool {{\n    addrs = {self.pool}\n  }}\n}}\n"

    def strongswan_conf(self, tmp):
        return super().strongswan_conf(tmp, keylog_section(tmp))


class _Creds:
    """What lab.Charon.start copies into the swanctl directories
    (x509/server.pem, private/server.key): here the client's own."""
    def __init__(self, cert, key):
        self.server = cert
        self.key = key


class ClientConfig:
    """How the client charon is set up (the interface of lab.GatewayConfig,
    so that lab.Charon starts it).

    profile        'user' (EAP-MSCHAPv2) or 'device' (certificate)
    ca             the lab root CA the gateway's certificate chains to (PEM)
    client         with 'device': a pki.ClientCert (pki.make_client)
    remote_addr    the gateway's address (IPv4 or IPv6)
    fragmentation  swanctl fragmentation of the client: 'yes' / 'no'
    proposals      the IKE proposals the client offers
    password       the EAP password (a wrong one for a failure)
    retransmit_*   strongswan.conf charon.retransmit_tries, _timeout, _base
    keylog         also write keys.log (ike 4, mgr 2): the IKE SA's keys
    mobike         swanctl mobike; 'no' (the default): IKE_AUTH stays on
                   UDP 500 unless a NAT is detected (strongSwan floats to
                   4500 with MOBIKE whether or not there is a NAT)
    child          'kernel': a CHILD SA in IKE_AUTH, as Windows asks for
                   (needs kernel_has_esp()); 'childless': none (RFC 6023)
    """

    load_conn = True

    def __init__(self, profile="user", ca=None, client=None, remote_addr=L.GATEWAY_ADDR,
                 fragmentation="yes", proposals=CLIENT_PROPOSALS, password=EAP_PASSWORD,
                 remote_id=GATEWAY_ID, retransmit_tries=3, retransmit_timeout=1.0,
                 retransmit_base=1.5, keylog=True, mobike="no", child="kernel",
                 extra_charon=""):
        if profile not in ("user", "device"):
            raise ValueError(f"unknown client profile {profile!r}")
        if profile == "device" and client is None:
            raise ValueError("a device tunnel needs a client certificate (pki.make_client)")
        self.profile = profile
        self.ca = ca
        self.client = client
        self.remote_addr = remote_addr
        self.fragmentation = fragmentation
        self.proposals = proposals
        self.password = password
        self.remote_id = remote_id
        self.retransmit_tries = retransmit_tries
        self.retransmit_timeout = retransmit_timeout
        self.retransmit_base = retransmit_base
        self.keylog = keylog
        self.mobike = mobike
        if child not in ("kernel", "childless"):
            raise ValueError(f"child must be 'kernel' or 'childless', not {child!r}")
        self.child = child
        self.extra_charon = extra_charon
        # lab.Charon.start: load authorities (auth != 'psk') and copy the
        # client's certificate and key (chain).
        self.auth = "eap" if profile == "user" else "pubkey"
        self.chain = _Creds(client.cert, client.key) if profile == "device" else None

    def strongswan_conf(self, tmp):
        return L.charon_conf(
            tmp, "  send_vendor_id = no\n"
            f"  retransmit_tries = {int(self.retransmit_tries)}\n"
            f"  retransmit_timeout = {float(self.retransmit_timeout)}\n"
            f"  retransmit_base = {float(self.retransmit_base)}\n{self.extra_charon}",
            filelogs=keylog_section(tmp) if self.keylog else "",
            by="tests/lab/client_charon.py (the lab's client, an initiator)")

    def swanctl_conf(self):
        if self.profile == "user":
            local = f"auth = eap-mschapv2\n      eap_id = {EAP_ID}"
            secrets = (f"secrets {{\n  eap-lab {{\n    id = {EAP_ID}\n"
                       f"    secret = {self.password}\n  }}\n}}\n")
            inter = ""
        else:
            local = "auth = pubkey\n      certs = server.pem"
            secrets = ""
            inter = f"  device-ca {{\n    cacert = {self.client.intermediate}\n  }}\n"
        return f"""# Written by tests/lab/client_charon.py: an Always On VPN {self.profile} tunnel.
connections {{
  lab {{
    version = 2
    remote_addrs = {self.remote_addr}
    proposals = {self.proposals}
    fragmentation = {self.fragmentation}
    mobike = {self.mobike}
    childless = {"force" if self.child == "childless" else "allow"}
    send_cert = always
    local {{
      {local}
    }}
    remote {{
      auth = pubkey
      id = {self.remote_id}
    }}
    vips = 0.0.0.0
    children {{
      lab {{
        remote_ts = 0.0.0.0/0
      }}
    }}
  }}
}}
authorities {{
  lab-root {{
    cacert = {self.ca}
  }}
{inter}}}
{secrets}"""


class ClientCharon(L.Charon):
    """charon in the client namespace, as an initiator."""
    NAME = "client charon"
    LOGS = ("charon.log", "charon.out")

    def initiate(self, timeout=10):
        """swanctl --initiate --child lab (--ike lab when childless): (True if
        the SA came up, swanctl's output). Returns when the attempt ends, or
        after timeout."""
        what = ["--ike", "lab"] if self.config.child == "childless" else ["--child", "lab"]
        p = self._swanctl_timed(["--initiate"] + what + ["--timeout", str(int(timeout))],
                                timeout + 5)
        return p.returncode == 0, p.stdout + p.stderr

    def terminate(self, timeout=5):
        """swanctl --terminate --ike lab: the IKE SA deleted (INFORMATIONAL)."""
        p = self._swanctl_timed(["--terminate", "--ike", "lab", "--timeout", str(int(timeout))],
                                timeout + 5)
        return p.returncode == 0, p.stdout + p.stderr

    def _swanctl_timed(self, args, timeout):
        try:
            return subprocess.run(
                ["swanctl"] + args + ["--uri", self.vici_uri], capture_output=True, text=True,
                timeout=timeout, env=dict(os.environ, SWANCTL_DIR=os.path.join(self.dir, "swanctl")))
        except subprocess.TimeoutExpired as e:
            raise L.LabError(f"swanctl {' '.join(args)}: no answer in {timeout}s") from e

    @property
    def keys_log_path(self):
        return os.path.join(self.dir, "keys.log")


def start_gateway(lab, config):
    """lab.start_charon(config) and the address pools of its swanctl.conf
    (lab.Charon loads credentials, authorities and connections only)."""
    pid = lab.start_charon(config)
    lab.gw.swanctl(["--load-pools", "--file", os.path.join(lab.gw.dir, "swanctl", "swanctl.conf")])
    return pid


def start_client(lab, config, name="client"):
    """Start a client charon (config: a ClientConfig) in the client
    namespace, its files under lab.tmp/NAME. Returns the ClientCharon."""
    d = os.path.join(lab.tmp, name)
    os.makedirs(d, exist_ok=True)
    c = ClientCharon(lab, lab.client, d)
    lab.extra_gateways.append(c)
    c.start(config)
    return c


# -- keys from a charon log (ike at level 4) ----------------------------------

_LINE = re.compile(r"^\S+ (\d+)\[(\w+)\] (.*)$")
_SPIS = re.compile(r"SPIs ([0-9a-f]{16})_i ([0-9a-f]{16})_r")
_SECRET = re.compile(r"^(Sk_\w+) secret => (\d+) bytes @ 0x[0-9a-f]+$")
_HEX = re.compile(r"^\s*\d+: ((?:[0-9A-F]{2} ?)+)")


def ike_keys(path):
    """The IKE SAs' keys in a charon log written at ike level 4 and mgr level
    2: a list of dicts {spi_i, spi_r, sk_ei, sk_er, sk_ai, sk_ar} (hex; sk_ai
    and sk_ar empty for AEAD), one per key derivation, in log order.

    Keys are derived by a thread that holds the IKE SA, and the manager
    logged which one it checked out ("checkout IKEv2 SA by message with
    SPIs ..._i ..._r"); if the responder's SPI was still 0 there, the
    thread's next line with the SA's SPIs (its check-in) has it."""
    with open(path, errors="replace") as f:
        lines = f.read().splitlines()
    last_spis = {}      # thread -> (spi_i, spi_r) of its latest checkout
    current = {}        # thread -> the row its keys go into
    pending = {}        # thread -> (key name, bytes still to read)
    out = []
    for ln in lines:
        m = _LINE.match(ln)
        if not m:
            continue
        thread, group, text = m.groups()
        if thread in pending:
            name, left = pending[thread]
            h = _HEX.match(text)
            if h:
                b = h.group(1).replace(" ", "").lower()[:2 * left]
                if name != "sk_d":
                    current[thread][name] += b
                left -= len(b) // 2
                if left > 0:
                    pending[thread] = (name, left)
                else:
                    del pending[thread]
                continue
            del pending[thread]
        s = _SPIS.search(text)
        if s and group == "MGR":
            last_spis[thread] = s.groups()
            row = current.get(thread)
            if row is not None and row["spi_r"] == "0" * 16 and s.group(1) == row["spi_i"]:
                row["spi_r"] = s.group(2)
            continue
        k = _SECRET.match(text)
        if k and group == "IKE":
            name = k.group(1).lower()
            if name == "sk_d":      # the first key of a derivation
                spi_i, spi_r = last_spis.get(thread, ("", ""))
                current[thread] = dict(spi_i=spi_i, spi_r=spi_r, sk_ei="", sk_er="",
                                       sk_ai="", sk_ar="")
                out.append(current[thread])
            if thread in current and (name == "sk_d" or name in current[thread]):
                pending[thread] = (name, int(k.group(2)))
    return out
