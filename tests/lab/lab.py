"""A throw-away network lab for ikeprobe: client -- router -- gateway.

Three network namespaces joined by two veth pairs:

    client 192.0.2.10/24 ---- 192.0.2.1/24 router 198.51.100.1/24 ---- 198.51.100.10/24 gateway
           2001:db8:1::10/64   2001:db8:1::1      2001:db8:2::1          2001:db8:2::10/64

Lab.add_gateway() adds a second gateway host (203.0.113.10, 2001:db8:3::10)
on a third link from the router, with its own charon: two gateways, or the
backends of a load balancer the router plays with DNAT. Lab.add_gateways(n)
adds many more on one bridge in the router (203.0.113.128/26,
2001:db8:4::/64), for runs against many gateways at once;
Lab.start_gateways() starts their charons together.

The router forwards (IPv4 and IPv6) and can be given an nftables ruleset to
drop or reject traffic; the gateway can run strongSwan's charon with a
configuration written by the test. Everything (namespace names, interface
names, a temporary directory) is unique per lab, so labs of parallel runs and
a developer's own namespaces never meet.

Cleanup is attempted on every way out: the context manager, atexit, and
SIGINT/SIGTERM/SIGHUP. charon is started with a parent-death signal, so it
dies with this process even if that is killed with SIGKILL (ikeprobe gets one
too, but the kernel clears it when ikeprobe drops privileges; it ends on its
own within seconds). The namespaces and temporary directory of a lab whose
process has died are removed by the next lab (reap_stale()).

Set IKP_LAB_KEEP=1 to keep a lab's temporary directory (charon.log,
strongswan.conf, swanctl.conf, captures) for a look afterwards.

Standard library only. Needs root (or CAP_SYS_ADMIN + CAP_NET_ADMIN) and
iproute2; nftables for filter rules; strongswan-charon and strongswan-swanctl
for the gateway.
"""

import atexit
import concurrent.futures
import ctypes
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time

CLIENT_ADDR = "192.0.2.10"
ROUTER_CLIENT_ADDR = "192.0.2.1"
ROUTER_GATEWAY_ADDR = "198.51.100.1"
GATEWAY_ADDR = "198.51.100.10"
CLIENT_ADDR6 = "2001:db8:1::10"
ROUTER_CLIENT_ADDR6 = "2001:db8:1::1"
ROUTER_GATEWAY_ADDR6 = "2001:db8:2::1"
GATEWAY_ADDR6 = "2001:db8:2::10"
# A second gateway host (Lab.add_gateway), on its own link from the router.
SECOND_GATEWAY_ADDR = "203.0.113.10"
SECOND_ROUTER_ADDR = "203.0.113.1"
# In the client namespace's /etc/hosts, so a test can probe by name.
GATEWAY_NAME = "gateway.lab.test"
# The bridge of Lab.add_gateways in the router: the router .129 and ::1,
# gateway k .130+k and ::10+k (hex); at most 61 gateways fit. A /26, clear
# of the second gateway (203.0.113.10) and of client_charon's virtual-IP
# pool (203.0.113.192/26). The second gateway's own /24 spans it, so that
# one host cannot reach these; the client, the router and they each can.
BRIDGE_ROUTER_ADDR = "203.0.113.129"
BRIDGE_ROUTER_ADDR6 = "2001:db8:4::1"
BRIDGE_PREFIX, BRIDGE_PREFIX6 = 26, 64
BRIDGE_GATEWAYS_MAX = 61
# Gateway k's name in the client's /etc/hosts (str.format with k).
BRIDGE_GATEWAY_NAME = "gw{}.lab.test"

CHARON = "/usr/lib/ipsec/charon"
# libreswan, unpacked beside strongSwan by scripts/deps.sh (apt will not
# install both): the lab's second IKE implementation.
LIBRESWAN_ROOT = os.environ.get("IKP_LIBRESWAN", "/opt/ikeprobe-lab/libreswan")
NS_PREFIX = "ikp-"
NETNS_RUN = "/run/netns"
NETNS_ETC = "/etc/netns"
KEEP_MARK = "KEPT"  # in a lab's temporary directory: reap_stale() leaves it

# Plugins charon loads: what a gateway with these proposals needs, PSK or
# certificate and EAP. X25519/X448 and ECP come from openssl, MODP from gmp
# and openssl; kdf derives the IKE SA's keys (5.9 needs it for IKE_AUTH);
# pkcs8 reads the server's key; eap-identity and eap-mschapv2 (with md4 and
# des from openssl) are what a Windows user tunnel meets.
CHARON_PLUGINS = ("random nonce openssl pem pkcs1 pkcs8 x509 pubkey "
                  "constraints revocation kernel-netlink socket-default vici "
                  "sha1 sha2 aes gcm hmac gmp kdf eap-identity eap-mschapv2")

DEFAULT_PROPOSALS = ("aes256-sha256-x25519, aes128gcm16-prfsha256-ecp256, "
                     "aes256-sha256-modp2048, default")


class LabError(Exception):
    """The lab could not be built or changed; the message says which step."""


class LabUnavailable(LabError):
    """This machine cannot run the lab at all (not root, tools missing)."""


# -- helpers ---------------------------------------------------------------

_PR_SET_PDEATHSIG = 1
_libc = None


def die_with_parent():
    """preexec_fn: the child gets SIGKILL when the Python process dies.

    Survives exec (ip netns exec, unshare, sh all exec the next program),
    so it reaches charon itself. The kernel clears it when a program changes
    its user or group id, as ikeprobe does when it drops privileges."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _run(argv, *, check=True, timeout=30, input=None, env=None):
    try:
        p = subprocess.run(argv, input=input, capture_output=True, text=True,
                           timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        raise LabError(f"timed out after {timeout}s: {' '.join(argv)}") from e
    if check and p.returncode != 0:
        raise LabError(f"failed (exit {p.returncode}): {' '.join(argv)}\n"
                       f"{p.stderr.strip()}")
    return p


def bridge_gateway_addrs(k):
    """The (IPv4, IPv6) addresses of gateway k on the bridge of add_gateways."""
    return f"203.0.113.{130 + k}", f"2001:db8:4::{0x10 + k:x}"


def check_environment(need_charon=True, need_nft=False, need_tshark=False):
    """Raise LabUnavailable with a one-line reason if the lab cannot run."""
    if os.geteuid() != 0:
        raise LabUnavailable("needs root to create network namespaces")
    tools = ["ip", "ss"]
    if need_nft:
        tools.append("nft")
    if need_charon:
        tools.append("swanctl")
    if need_tshark:
        tools.append("tshark")
    for t in tools:
        if shutil.which(t) is None:
            raise LabUnavailable(f"`{t}' not found")
    if need_charon and not os.access(CHARON, os.X_OK):
        raise LabUnavailable(f"{CHARON} not found (install strongswan-charon)")


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_stale():
    """Delete the namespaces of labs whose process is gone (killed hard).

    Only names this module makes (ikp-<pid>-<hex>-<role>, the role c, r,
    g or g<tag> (add_gateway, add_gateways), and temporary directories
    ikp-lab-<pid>-*) whose <pid> is not running are touched; processes
    still inside such a namespace are killed by pid."""
    try:
        names = os.listdir(NETNS_RUN)
    except FileNotFoundError:
        return []
    reaped = []
    for name in names:
        m = re.fullmatch(NS_PREFIX + r"(\d+)-[0-9a-f]{6}-(c|r|g\w*)", name)
        if not m or _pid_alive(int(m.group(1))):
            continue
        _kill_netns_pids(name)
        _run(["ip", "netns", "del", name], check=False)
        shutil.rmtree(os.path.join(NETNS_ETC, name), ignore_errors=True)
        reaped.append(name)
    # Temporary directories of dead labs, unless kept on purpose.
    tmp = tempfile.gettempdir()
    for name in os.listdir(tmp):
        m = re.fullmatch(r"ikp-lab-(\d+)-\w+", name)
        path = os.path.join(tmp, name)
        if (m and not _pid_alive(int(m.group(1))) and os.path.isdir(path)
                and not os.path.exists(os.path.join(path, KEEP_MARK))):
            shutil.rmtree(path, ignore_errors=True)
            reaped.append(path)
    return reaped


def _kill_netns_pids(ns):
    p = _run(["ip", "netns", "pids", ns], check=False)
    for tok in p.stdout.split():
        try:
            os.kill(int(tok), signal.SIGKILL)
        except (ValueError, ProcessLookupError):
            pass


# -- cleanup on every way out ----------------------------------------------

_live_labs = []
_live_lock = threading.RLock()
_handlers_installed = False


def _cleanup_all(fast=False):
    with _live_lock:
        for lab in list(_live_labs):
            try:
                lab.close(fast=fast)
            except Exception as e:  # keep going: clean the others too
                print(f"lab: cleanup of {lab.prefix} failed: {e}", flush=True)


def _on_signal(signum, frame):
    _cleanup_all(fast=True)
    # Die of the same signal so the caller (meson, a shell) sees why.
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_handlers():
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_cleanup_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, signal.default_int_handler):
            signal.signal(sig, _on_signal)


# -- gateway configuration -------------------------------------------------

def charon_conf(tmp, settings, filelogs="", by="tests/lab/lab.py"):
    """strongswan.conf of one lab charon (gateway or client): its plugins,
    vici socket and log under tmp, settings inside charon { } and more
    filelog sections (e.g. a key log) beside the lab's own."""
    return f"""# Written by {by} for one lab; not a system file.
charon {{
  load = {CHARON_PLUGINS}
  install_routes = no
  install_virtual_ip = no
{settings}
  plugins {{
    vici {{
      socket = unix://{tmp}/charon.vici
    }}
  }}
  filelog {{
{filelogs}    lab {{
      path = {tmp}/charon.log
      time_format = %H:%M:%S
      default = 1
      ike = 2
      net = 2
      cfg = 1
      enc = 1
      flush_line = yes
    }}
  }}
  # No syslog: the host's journal is not the lab's business.
  syslog {{
    daemon {{
      default = -1
    }}
  }}
}}
"""


class GatewayConfig:
    """How charon in the gateway namespace is set up.

    proposals      IKE proposals of the connection (swanctl syntax)
    fragmentation  'yes' / 'no' / 'accept' / 'force' (swanctl fragmentation)
    load_conn      False: charon runs with no connection, so every request
                   gets NO_PROPOSAL_CHOSEN
    send_vendor_id charon.send_vendor_id (strongSwan VID in replies)
    cookie_threshold, cookie_threshold_ip, block_threshold,
    init_limit_half_open, half_open_timeout, dos_protection
                   strongswan.conf charon.* limits on half-open IKE SAs;
                   None leaves strongSwan's default
    extra_charon   extra lines inside charon { } of strongswan.conf
    local_addrs    addresses the connection answers on (a gateway with
                   several, e.g. a cluster's second address)
    auth           'psk' (the default); 'eap': a certificate gateway for EAP
                   clients (local pubkey, remote eap-mschapv2), as RRAS for
                   Always On VPN user tunnels; 'pubkey': certificates on
                   both sides, as a device tunnel
    chain          with 'eap' and 'pubkey': a pki.Chain (tests/lab/pki.py)
    send_intermediate  the gateway sends its intermediate CA with its own
                   certificate (False: it sends only its own)
    """

    def __init__(self, proposals=DEFAULT_PROPOSALS, fragmentation="yes",
                 load_conn=True, send_vendor_id=True, cookie_threshold=None,
                 cookie_threshold_ip=None, block_threshold=None,
                 init_limit_half_open=None, half_open_timeout=None,
                 dos_protection=None, extra_charon="",
                 local_addrs=(GATEWAY_ADDR, GATEWAY_ADDR6), auth="psk", chain=None,
                 send_intermediate=True):
        self.auth = auth
        self.chain = chain
        self.send_intermediate = send_intermediate
        self.local_addrs = tuple(local_addrs)
        self.proposals = proposals
        self.fragmentation = fragmentation
        self.load_conn = load_conn
        self.send_vendor_id = send_vendor_id
        self.cookie_threshold = cookie_threshold
        self.cookie_threshold_ip = cookie_threshold_ip
        self.block_threshold = block_threshold
        self.init_limit_half_open = init_limit_half_open
        self.half_open_timeout = half_open_timeout
        self.dos_protection = dos_protection
        self.extra_charon = extra_charon

    def strongswan_conf(self, tmp, filelogs=""):
        def yn(v):
            return "yes" if v else "no"
        limits = ""
        for key in ("cookie_threshold", "cookie_threshold_ip", "block_threshold",
                    "init_limit_half_open", "half_open_timeout"):
            v = getattr(self, key)
            if v is not None:
                limits += f"  {key} = {int(v)}\n"
        if self.dos_protection is not None:
            limits += f"  dos_protection = {yn(self.dos_protection)}\n"
        return charon_conf(tmp, f"  send_vendor_id = {yn(self.send_vendor_id)}\n"
                           f"{limits}{self.extra_charon}", filelogs)

    def swanctl_conf(self):
        if not self.load_conn:
            return "connections {\n}\n"
        if self.auth != "psk":
            return self._swanctl_cert()
        return f"""# Written by tests/lab/lab.py: a PSK remote-access gateway.
connections {{
  lab {{
    version = 2
    local_addrs = {", ".join(self.local_addrs)}
    proposals = {self.proposals}
    fragmentation = {self.fragmentation}
    local {{
      auth = psk
      id = gateway.lab.test
    }}
    remote {{
      auth = psk
    }}
    children {{
      lab {{
        local_ts = 0.0.0.0/0, ::/0
      }}
    }}
  }}
}}
secrets {{
  ike-lab {{
    secret = ikeprobe-lab-not-a-secret
  }}
}}
"""


    def _swanctl_cert(self):
        ch = self.chain
        # The identity the gateway claims: its certificate's subject, so
        # that a certificate with another name still signs.
        ident = f'"O=ikeprobe lab, CN={ch.name}"'
        remote = ("auth = eap-mschapv2\n      eap_id = %any" if self.auth == "eap"
                  else "auth = pubkey")
        inter = (f"  lab-intermediate {{\n    cacert = {ch.intermediate}\n  }}\n"
                 if self.send_intermediate and not ch.self_signed else "")
        return f"""# Written by tests/lab/lab.py: a certificate gateway ({self.auth}).
connections {{
  lab {{
    version = 2
    local_addrs = {", ".join(self.local_addrs)}
    proposals = {self.proposals}
    fragmentation = {self.fragmentation}
    send_cert = always
    send_certreq = no
    local {{
      auth = pubkey
      certs = server.pem
      id = {ident}
    }}
    remote {{
      {remote}
    }}
    children {{
      lab {{
        local_ts = 0.0.0.0/0, ::/0
      }}
    }}
  }}
}}
authorities {{
  lab-root {{
    cacert = {ch.root}
  }}
{inter}}}
secrets {{
  eap-lab {{
    id = lab-user
    secret = ikeprobe-lab-not-a-password
  }}
}}
"""


class Daemon:
    """What the lab's IKE daemons share: one process, stopped in order, and
    its log files (LOGS, under self.dir) for a failure's report."""
    NAME = "daemon"
    LOGS = ()
    REPORT_EXIT = False     # say so when SIGTERM ends it with an error

    proc = None
    dir = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=5, quiet=False):
        """Stop it (SIGTERM: orderly; SIGKILL: as if it crashed)."""
        p = self.proc
        if p is None or p.poll() is not None:
            return
        try:
            p.send_signal(sig)
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
        if self.REPORT_EXIT and not quiet and sig == signal.SIGTERM and \
                p.returncode not in (0, -signal.SIGTERM):
            print(f"lab: {self.NAME} exited with {p.returncode}", flush=True)

    def log(self, tail=None):
        text = ""
        for name in self.LOGS:
            path = os.path.join(self.dir or "", name)
            try:
                with open(path, errors="replace") as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            if tail:
                lines = lines[-tail:]
            if lines:
                text += f"--- {path} ---\n" + "\n".join(lines) + "\n"
        return text


class Charon(Daemon):
    """strongSwan's charon in one gateway namespace, its files (config,
    vici socket, log, credentials) under one directory. It runs in its own
    mount namespace with a tmpfs on /run, so its pid file stays out of the
    host's /run and two charons never meet."""
    NAME = "charon"
    LOGS = ("charon.log", "charon.out")
    REPORT_EXIT = True

    def __init__(self, lab, ns, directory, addrs=None, name=None):
        self.lab = lab
        self.ns = ns
        self.dir = directory
        self.addrs = addrs      # the host's own (v4, v6), its default local_addrs
        self.name = name        # its name in the client's /etc/hosts, if any
        self.proc = None
        self.config = None

    @property
    def log_path(self):
        return os.path.join(self.dir, "charon.log")

    @property
    def vici_uri(self):
        return f"unix://{self.dir}/charon.vici"

    def start(self, config=None, timeout=15):
        """Start charon and load the connection. Returns when charon listens
        on UDP 500 and 4500 and the connection is loaded."""
        self.spawn(config)
        self.wait_ready(timeout)
        return self.proc.pid

    def spawn(self, config=None):
        """Write charon's files and start it, without waiting for it
        (wait_ready does), so that many can start at once. Call it from a
        thread that outlives charon: the parent-death signal comes when the
        thread that started it ends, not only the process."""
        if self.proc and self.proc.poll() is None:
            raise LabError("charon already running")
        self.config = config = config or GatewayConfig(
            **({"local_addrs": self.addrs} if self.addrs else {}))
        conf = os.path.join(self.dir, "strongswan.conf")
        with open(conf, "w") as f:
            f.write(config.strongswan_conf(self.dir))
        # swanctl reads keys and certificates only from its directories:
        # the lab's own, under SWANCTL_DIR.
        swdir = os.path.join(self.dir, "swanctl")
        for sub in ("x509", "x509ca", "private"):
            os.makedirs(os.path.join(swdir, sub), exist_ok=True)
        if config.chain is not None:
            ch = config.chain
            shutil.copy(ch.server, os.path.join(swdir, "x509", "server.pem"))
            shutil.copy(ch.key, os.path.join(swdir, "private", "server.key"))
        sw = os.path.join(swdir, "swanctl.conf")
        with open(sw, "w") as f:
            f.write(config.swanctl_conf())
        sock = os.path.join(self.dir, "charon.vici")
        if os.path.exists(sock):
            os.unlink(sock)
        env = dict(os.environ, STRONGSWAN_CONF=conf)
        out = open(os.path.join(self.dir, "charon.out"), "ab")
        # ip netns exec, unshare and sh each exec the next, so the pid we get
        # is charon's own.
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "unshare", "--mount", "--propagation", "private",
             "sh", "-c", f"mount -t tmpfs -o mode=0755 ikp-lab-run /run && exec {CHARON}"],
            env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent)
        out.close()

    def wait_ready(self, timeout=15):
        """Wait until the spawned charon listens on UDP 500 and 4500, then
        load its connection (as start). Safe in a thread of its own."""
        config = self.config
        sock = os.path.join(self.dir, "charon.vici")
        sw = os.path.join(self.dir, "swanctl", "swanctl.conf")
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise LabError(f"charon exited with {self.proc.returncode}\n"
                               + self.log(tail=30))
            if os.path.exists(sock) and self.lab._udp_listening(self.ns, (500, 4500)):
                break
            if time.monotonic() > deadline:
                raise LabError("charon did not listen on UDP 500 and 4500 within "
                               f"{timeout}s\n" + self.log(tail=30))
            time.sleep(0.1)

        if config.load_conn:
            self.swanctl(["--load-creds", "--noprompt", "--file", sw])
            if config.auth != "psk":
                self.swanctl(["--load-authorities", "--file", sw])
            self.swanctl(["--load-conns", "--file", sw])

    def swanctl(self, args, check=True):
        """Run swanctl against this charon (vici is a Unix socket), with its
        credential directories (SWANCTL_DIR)."""
        return _run(["swanctl"] + list(args) + ["--uri", self.vici_uri], check=check,
                    env=dict(os.environ, SWANCTL_DIR=os.path.join(self.dir, "swanctl")))

    def list_sas(self):
        """The IKE SAs charon holds, half-open ones included: one line of
        swanctl --list-sas --raw each."""
        out = self.swanctl(["--list-sas", "--raw"], check=False).stdout
        return [ln for ln in out.splitlines() if ln.startswith("list-sa event")]


class Pluto(Daemon):
    """libreswan's pluto in a gateway namespace, for certificates only (a
    device-tunnel gateway): the RSA chain of a pki.Chain in an NSS database,
    its files under one directory (its run directory too, so its control
    socket is reachable from here). It runs in its own mount namespace,
    where libreswan's helper programs are bound over /usr/libexec, since
    pluto looks for them there."""
    NAME = "pluto"
    LOGS = ("pluto.log", "pluto.out")

    def __init__(self, lab, ns, directory, addr=GATEWAY_ADDR):
        self.lab = lab
        self.ns = ns
        self.dir = directory
        self.addr = addr
        self.proc = None
        self.rundir = os.path.join(directory, "run")
        self.ctl = os.path.join(self.rundir, "pluto.ctl")

    @staticmethod
    def available():
        return os.access(os.path.join(LIBRESWAN_ROOT, "usr/libexec/ipsec/pluto"), os.X_OK) \
            and shutil.which("certutil") is not None and shutil.which("pk12util") is not None

    def _tool(self, name):
        return os.path.join(LIBRESWAN_ROOT, "usr/libexec/ipsec", name)

    def start(self, chain, fragmentation="yes", ike=None, send_vendorid=False, timeout=15):
        """ike: the conn's ike= proposals (None: libreswan's defaults);
        send_vendorid: libreswan's own Vendor ID in its answers."""
        if not self.available():
            raise LabUnavailable("libreswan is not unpacked in "
                                 f"{LIBRESWAN_ROOT} (scripts/deps.sh does it)")
        os.makedirs(self.rundir, exist_ok=True)
        nss = os.path.join(self.dir, "nss")
        os.makedirs(nss, exist_ok=True)
        _run(["certutil", "-N", "-d", "sql:" + nss, "--empty-password"])
        p12 = os.path.join(self.dir, "server.p12")
        _run(["openssl", "pkcs12", "-export", "-in", chain.server, "-inkey", chain.key,
              "-certfile", chain.intermediate, "-name", "server", "-out", p12,
              "-passout", "pass:"])
        _run(["pk12util", "-i", p12, "-d", "sql:" + nss, "-W", ""])
        _run(["certutil", "-A", "-n", "lab-root", "-t", "CT,,", "-d", "sql:" + nss,
              "-i", chain.root])
        conf = os.path.join(self.dir, "ipsec.conf")
        with open(conf, "w") as f:
            f.write(f"""# Written by tests/lab/lab.py: a libreswan gateway for certificates only.
config setup
    logfile={self.dir}/pluto.log
    logappend=no
    plutodebug=none
conn lab
    ikev2=insist
    left={self.addr}
    leftcert=server
    leftid=%fromcert
    leftsendcert=always
    right=%any
    rightid=%fromcert
    rightca=%same
    authby=rsasig
    fragmentation={fragmentation}
    auto=add
""" + (f"    ike={ike}\n" if ike else "") + ("    send-vendorid=yes\n" if send_vendorid else ""))
        secrets = os.path.join(self.dir, "ipsec.secrets")
        open(secrets, "w").close()
        out = open(os.path.join(self.dir, "pluto.out"), "ab")
        cmd = (f"mount --bind {LIBRESWAN_ROOT}/usr/libexec /usr/libexec && "
               f"exec {self._tool('pluto')} --config {conf} --nssdir {nss} "
               f"--secretsfile {secrets} --rundir {self.rundir} --nofork --stderrlog")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "unshare", "--mount", "--propagation", "private",
             "sh", "-c", cmd], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent)
        out.close()
        deadline = time.monotonic() + timeout
        while not (os.path.exists(self.ctl) and self.lab._udp_listening(self.ns, (500, 4500))):
            if self.proc.poll() is not None:
                raise LabError(f"pluto exited with {self.proc.returncode}\n" + self.log(tail=30))
            if time.monotonic() > deadline:
                raise LabError(f"pluto did not listen within {timeout}s\n" + self.log(tail=30))
            time.sleep(0.1)
        _run([self._tool("addconn"), "--config", conf, "--ctlsocket", self.ctl, "--autoall"])
        return self.proc.pid

    def list_sas(self):
        """The IKE SAs pluto holds, half-open ones included."""
        p = _run([self._tool("whack"), "--ctlsocket", self.ctl, "--showstates"], check=False)
        return [ln for ln in p.stdout.splitlines() if "STATE_" in ln]


# -- the lab -----------------------------------------------------------------

class Lab:
    """client -- router -- gateway in three fresh network namespaces.

    with Lab(ikeprobe_path="build/ikeprobe") as lab:
        lab.start_charon(GatewayConfig())
        rc, report, err = lab.ikeprobe([])
    """

    LINKS = ("client-router", "router-gateway")

    def __init__(self, ikeprobe_path=None, keep=None):
        self.ikeprobe_path = os.path.abspath(ikeprobe_path) if ikeprobe_path else None
        self.keep = keep if keep is not None else bool(os.environ.get("IKP_LAB_KEEP"))
        tok = secrets.token_hex(3)
        self.prefix = f"{NS_PREFIX}{os.getpid()}-{tok}-"
        self.client = self.prefix + "c"
        self.router = self.prefix + "r"
        self.gateway = self.prefix + "g"
        # Interface names: 'k' + 6 hex + role + index, 9 characters.
        self.ifname = {
            "client": f"k{tok}c0",
            "router-client": f"k{tok}r0",
            "router-gateway": f"k{tok}r1",
            "gateway": f"k{tok}g0",
        }
        self.tmp = None
        self._gw = None
        self.extra_gateways = []    # Charons and Plutos besides the first charon
        # Other daemons a test runs in the lab (tests/lab/prometheus.py):
        # stopped by close with the gateways, so a failing test leaves none.
        self.daemons = []
        self._bridge_hosts = 0      # gateways on the bridge of add_gateways
        self._namespaces = []
        self._closed = False
        self.last_ikeprobe = None  # (argv, rc, stdout, stderr) for reports

    # context manager -------------------------------------------------------

    def __enter__(self):
        self.setup()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # building ----------------------------------------------------------------

    def setup(self):
        _install_handlers()
        reap_stale()
        with _live_lock:
            _live_labs.append(self)
        self.tmp = tempfile.mkdtemp(prefix=f"ikp-lab-{os.getpid()}-")
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    def _build(self):
        for ns in (self.client, self.router, self.gateway):
            _run(["ip", "netns", "add", ns])
            self._namespaces.append(ns)
            self.ns(ns, ["ip", "link", "set", "lo", "up"])
        i = self.ifname
        _run(["ip", "link", "add", i["client"], "netns", self.client, "type", "veth",
              "peer", "name", i["router-client"], "netns", self.router])
        _run(["ip", "link", "add", i["router-gateway"], "netns", self.router, "type", "veth",
              "peer", "name", i["gateway"], "netns", self.gateway])

        # No DAD: addresses usable at once; accept_ra off: no surprises.
        for ns, dev, addrs in (
                (self.client, i["client"], [CLIENT_ADDR + "/24", CLIENT_ADDR6 + "/64"]),
                (self.router, i["router-client"], [ROUTER_CLIENT_ADDR + "/24", ROUTER_CLIENT_ADDR6 + "/64"]),
                (self.router, i["router-gateway"], [ROUTER_GATEWAY_ADDR + "/24", ROUTER_GATEWAY_ADDR6 + "/64"]),
                (self.gateway, i["gateway"], [GATEWAY_ADDR + "/24", GATEWAY_ADDR6 + "/64"])):
            self.ns(ns, ["sysctl", "-qw", f"net.ipv6.conf.{dev}.accept_ra=0"])
            # The link-local address too: neighbour discovery uses it,
            # and a tentative one holds up the first IPv6 packets.
            self.ns(ns, ["sysctl", "-qw", f"net.ipv6.conf.{dev}.accept_dad=0"])
            for a in addrs:
                extra = ["nodad"] if ":" in a else []
                self.ns(ns, ["ip", "addr", "add", a, "dev", dev] + extra)
            self.ns(ns, ["ip", "link", "set", dev, "up"])
        self.ns(self.client, ["ip", "route", "add", "default", "via", ROUTER_CLIENT_ADDR])
        self.ns(self.client, ["ip", "-6", "route", "add", "default", "via", ROUTER_CLIENT_ADDR6])
        self.ns(self.gateway, ["ip", "route", "add", "default", "via", ROUTER_GATEWAY_ADDR])
        self.ns(self.gateway, ["ip", "-6", "route", "add", "default", "via", ROUTER_GATEWAY_ADDR6])
        self.ns(self.router, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        self.ns(self.router, ["sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"])
        # A fresh namespace's first IPv6 packets wait up to a second for
        # neighbour discovery on each link (the first probes then leave
        # together, with their retransmissions, and meet COOKIEs): every
        # neighbour on the path is pinned, as on a network that has been up
        # for a while, so no test waits for ARP or neighbour discovery.
        links = ((self.client, i["client"], (CLIENT_ADDR, CLIENT_ADDR6),
                  self.router, i["router-client"], (ROUTER_CLIENT_ADDR, ROUTER_CLIENT_ADDR6)),
                 (self.router, i["router-gateway"], (ROUTER_GATEWAY_ADDR, ROUTER_GATEWAY_ADDR6),
                  self.gateway, i["gateway"], (GATEWAY_ADDR, GATEWAY_ADDR6)))
        for a_ns, a_dev, a_addrs, b_ns, b_dev, b_addrs in links:
            a_mac = self.ns(a_ns, ["cat", f"/sys/class/net/{a_dev}/address"]).stdout.strip()
            b_mac = self.ns(b_ns, ["cat", f"/sys/class/net/{b_dev}/address"]).stdout.strip()
            for ns, dev, peers, mac in ((a_ns, a_dev, b_addrs, b_mac),
                                        (b_ns, b_dev, a_addrs, a_mac)):
                for addr in peers:
                    self.ns(ns, ["ip", "neigh", "replace", addr, "lladdr", mac,
                                 "dev", dev, "nud", "permanent"])

        # Name resolution in the client namespace: files only, so no query
        # ever leaves for the host's resolver, and a made-up name fails at
        # once with EAI_NONAME. `ip netns exec' bind-mounts these over /etc.
        etc = os.path.join(NETNS_ETC, self.client)
        os.makedirs(etc, exist_ok=True)
        with open(os.path.join(etc, "nsswitch.conf"), "w") as f:
            f.write("hosts: files\n")
        with open(os.path.join(etc, "hosts"), "w") as f:
            f.write(f"127.0.0.1 localhost\n::1 localhost\n"
                    f"{GATEWAY_ADDR} {GATEWAY_NAME}\n{GATEWAY_ADDR6} {GATEWAY_NAME}\n")
        with open(os.path.join(etc, "resolv.conf"), "w") as f:
            f.write(f"nameserver {ROUTER_CLIENT_ADDR}\n")

    def close(self, fast=False):
        """Stop charon, delete the namespaces and the temporary directory.

        Safe to call twice, on a half-built lab, and again from a signal
        handler that interrupted a close: every step can be repeated.
        fast (from a signal handler): SIGKILL charon without waiting for it,
        since whoever sent the signal may send SIGKILL soon after."""
        with _live_lock:
            if self._closed:
                return
            try:
                for c in ([self._gw] if self._gw else []) + self.extra_gateways + self.daemons:
                    if fast:
                        if c.proc is not None and c.proc.returncode is None:
                            try:
                                os.kill(c.proc.pid, signal.SIGKILL)
                            except ProcessLookupError:
                                pass
                    else:
                        c.stop(sig=signal.SIGKILL, quiet=True)
            finally:
                for ns in reversed(self._namespaces):
                    _kill_netns_pids(ns)
                    _run(["ip", "netns", "del", ns], check=False)
                self._namespaces = []
                shutil.rmtree(os.path.join(NETNS_ETC, self.client), ignore_errors=True)
                try:
                    os.rmdir(NETNS_ETC)  # only if empty: another lab may use it
                except OSError:
                    pass
                if self.tmp and not self.keep:
                    shutil.rmtree(self.tmp, ignore_errors=True)
                elif self.tmp and os.path.isdir(self.tmp):
                    with open(os.path.join(self.tmp, KEEP_MARK), "w") as f:
                        f.write("kept by IKP_LAB_KEEP or --keep; delete by hand\n")
                    print(f"lab: kept {self.tmp}", flush=True)
                self._closed = True
                if self in _live_labs:
                    _live_labs.remove(self)

    # running things --------------------------------------------------------

    def ns(self, ns, argv, check=True, timeout=30, input=None):
        """Run argv in namespace ns; raise LabError if it fails and check."""
        return _run(["ip", "netns", "exec", ns] + list(argv), check=check,
                    timeout=timeout, input=input)

    def run_in(self, ns, argv, timeout=60, env=None):
        """Run argv in namespace ns: (rc, stdout, stderr); rc 124 on timeout."""
        try:
            p = subprocess.run(["ip", "netns", "exec", ns] + list(argv),
                               capture_output=True, text=True, timeout=timeout,
                               env=env, preexec_fn=die_with_parent)
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
            return 124, out, err + f"\nlab: killed after {timeout}s\n"
        return p.returncode, p.stdout, p.stderr

    def run_client(self, argv, timeout=60, env=None):
        """Run argv in the client namespace: (rc, stdout, stderr)."""
        return self.run_in(self.client, argv, timeout=timeout, env=env)

    def ikeprobe(self, args=(), target=GATEWAY_ADDR, binary=None, timeout=60):
        """Run ikeprobe --json ARGS TARGET in the client namespace.

        Returns (rc, report, stderr); report is the parsed JSON document, or
        None if stdout was not exactly one JSON document. target=None leaves
        the target to args."""
        binary = binary or self.ikeprobe_path
        if not binary:
            raise LabError("no ikeprobe binary given")
        argv = [binary, "--json"] + list(args) + ([target] if target else [])
        rc, out, err = self.run_client(argv, timeout=timeout)
        self.last_ikeprobe = (argv, rc, out, err)
        try:
            report = json.loads(out)
        except ValueError:
            report = None
        return rc, report, err

    # shaping the network -----------------------------------------------------

    def set_mtu(self, link, mtu):
        """Set the MTU of both ends of a link: 'client-router' or 'router-gateway'."""
        ends = {
            "client-router": ((self.client, "client"), (self.router, "router-client")),
            "router-gateway": ((self.router, "router-gateway"), (self.gateway, "gateway")),
        }
        if link not in ends:
            raise LabError(f"unknown link `{link}', expected one of {', '.join(self.LINKS)}")
        for ns, key in ends[link]:
            self.ns(ns, ["ip", "link", "set", "dev", self.ifname[key], "mtu", str(int(mtu))])

    def nft(self, ruleset, ns=None):
        """Load an nftables ruleset (text for `nft -f') in the router, or ns."""
        ns = ns or self.router
        path = os.path.join(self.tmp, f"nft-{secrets.token_hex(2)}.nft")
        with open(path, "w") as f:
            f.write(ruleset)
        self.ns(ns, ["nft", "-f", path])

    def add_rule_table(self, forward=(), input=(), output=(), name="ikplab",
                       ns=None, prerouting=()):
        """Create table inet NAME with filter chains holding the given rules.

        Each rule is one nft rule statement, e.g.
        'ip daddr 198.51.100.10 udp dport 500 drop'. Chain policies accept,
        so only the listed rules change anything. Replaces an older table
        of the same name. prerouting rules run at priority -450, before
        conntrack's defragmentation (-400): where a middlebox that drops
        fragments sees them one by one."""
        text = f"table inet {name}\ndelete table inet {name}\ntable inet {name} {{\n"
        for chain, rules in (("prerouting", prerouting), ("forward", forward),
                             ("input", input), ("output", output)):
            if not rules:
                continue
            prio = "-450" if chain == "prerouting" else "filter"
            text += (f"  chain {chain} {{\n"
                     f"    type filter hook {chain} priority {prio}; policy accept;\n")
            for r in rules:
                text += f"    {r}\n"
            text += "  }\n"
        text += "}\n"
        self.nft(text, ns=ns)

    def masquerade(self):
        """Make the router a NAT: what leaves towards the gateway gets the
        router's address (198.51.100.1), as behind a hotel or home router.
        The router's conntrack then reassembles fragments before they go
        on, so fragments still reach the gateway."""
        self.nft("table ip ikplabnat\ndelete table ip ikplabnat\n"
                 "table ip ikplabnat {\n"
                 "  chain postrouting {\n"
                 "    type nat hook postrouting priority srcnat; policy accept;\n"
                 f"    oifname \"{self.ifname['router-gateway']}\" masquerade\n"
                 "  }\n"
                 "}\n")

    def add_host(self, name, *addrs):
        """Give name these addresses in the client's /etc/hosts (a name
        with several: a load-balanced cluster)."""
        with open(os.path.join(NETNS_ETC, self.client, "hosts"), "a") as f:
            for a in addrs:
                f.write(f"{a} {name}\n")

    def ruleset(self, ns=None):
        return self.ns(ns or self.router, ["nft", "list", "ruleset"], check=False).stdout

    # the gateway's IKE daemon ---------------------------------------------

    @property
    def gw(self):
        """The first gateway's charon (a Charon)."""
        if self._gw is None:
            self._gw = Charon(self, self.gateway, self.tmp)
        return self._gw

    @property
    def charon(self):
        return self.gw.proc

    @charon.setter
    def charon(self, value):
        self.gw.proc = value

    @property
    def charon_config(self):
        return self.gw.config

    @property
    def charon_log_path(self):
        return self.gw.log_path

    @property
    def vici_uri(self):
        return self.gw.vici_uri

    def start_charon(self, config=None, timeout=15):
        return self.gw.start(config, timeout)

    def swanctl(self, args, check=True):
        return self.gw.swanctl(args, check)

    def charon_running(self):
        return self.gw.running()

    def stop_charon(self, sig=signal.SIGTERM, timeout=5, quiet=False):
        self.gw.stop(sig, timeout, quiet)

    def charon_log(self, tail=None):
        text = "".join(c.log(tail) for c in [self.gw] + self.extra_gateways
                       if c.proc is not None or c is self.gw)
        return text or "(no charon log)\n"

    def start_pluto(self, chain, **kw):
        """libreswan on the gateway, instead of charon (Pluto)."""
        d = os.path.join(self.tmp, "pluto")
        os.makedirs(d, exist_ok=True)
        p = Pluto(self, self.gateway, d)
        self.extra_gateways.append(p)
        p.start(chain, **kw)
        return p

    def add_gateway(self, tag="2", net=3):
        """A second gateway host: namespace PREFIX-g<tag> on its own link
        from the router, 203.0.113.10/24 and 2001:db8:<net>::10/64 (the
        router .1 and ::1), with a Charon of its own (files under
        tmp/gw<tag>, its own private /run). Returns the Charon."""
        ns = self.prefix + "g" + tag
        tok = self.ifname["client"][1:7]
        r_if, g_if = f"k{tok}r{tag}", f"k{tok}h{tag}"
        addr, addr6 = SECOND_GATEWAY_ADDR, f"2001:db8:{net}::10"
        _run(["ip", "netns", "add", ns])
        self._namespaces.append(ns)
        self.ns(ns, ["ip", "link", "set", "lo", "up"])
        _run(["ip", "link", "add", r_if, "netns", self.router, "type", "veth",
              "peer", "name", g_if, "netns", ns])
        for n, dev, addrs in ((self.router, r_if, [SECOND_ROUTER_ADDR + "/24", f"2001:db8:{net}::1/64"]),
                              (ns, g_if, [addr + "/24", addr6 + "/64"])):
            self.ns(n, ["sysctl", "-qw", f"net.ipv6.conf.{dev}.accept_ra=0"])
            self.ns(n, ["sysctl", "-qw", f"net.ipv6.conf.{dev}.accept_dad=0"])
            for a in addrs:
                self.ns(n, ["ip", "addr", "add", a, "dev", dev] + (["nodad"] if ":" in a else []))
            self.ns(n, ["ip", "link", "set", dev, "up"])
        self.ns(ns, ["ip", "route", "add", "default", "via", SECOND_ROUTER_ADDR])
        self.ns(ns, ["ip", "-6", "route", "add", "default", "via", f"2001:db8:{net}::1"])
        d = os.path.join(self.tmp, "gw" + tag)
        os.makedirs(d, exist_ok=True)
        c = Charon(self, ns, d, addrs=(addr, addr6))
        self.extra_gateways.append(c)
        return c

    def add_gateways(self, n, name=BRIDGE_GATEWAY_NAME):
        """n more gateway hosts, for runs against many gateways at once:
        namespace PREFIX-gw<k>, 203.0.113.(130+k)/26 and 2001:db8:4::(10+k)/64
        (hex), name.format(k) for both in the client's /etc/hosts, each with
        a Charon of its own (files under tmp/gateways/gw<k>). They share one
        bridge in the router, which holds .129 and ::1: one address and one
        route however many there are, where a link each would need a
        subnet each. k counts on from an earlier call. Returns the new
        Charons, not started (start_gateways starts many at once)."""
        first = self._bridge_hosts
        if first + n > BRIDGE_GATEWAYS_MAX:
            raise LabError(f"{first + n} bridge gateways asked for; "
                           f"the bridge's /26 holds {BRIDGE_GATEWAYS_MAX}")
        tok = self.ifname["client"][1:7]
        bridge = f"k{tok}b"

        def mac(role, k):
            # Chosen, not read back: one command fewer per gateway, and the
            # bridge keeps its address as ports come and go (a bridge left
            # alone takes its lowest port's, which would stale the gateways'
            # pinned neighbour entries).
            return f"02:{tok[0:2]}:{tok[2:4]}:{tok[4:6]}:{role:02x}:{k:02x}"

        if first == 0:
            self.ns(self.router, ["ip", "link", "add", bridge, "address", mac(0, 0),
                                  "type", "bridge"])
            self.ns(self.router, ["sysctl", "-qw", f"net.ipv6.conf.{bridge}.accept_ra=0",
                                  f"net.ipv6.conf.{bridge}.accept_dad=0"])
            self.ns(self.router, ["ip", "addr", "add", f"{BRIDGE_ROUTER_ADDR}/{BRIDGE_PREFIX}",
                                  "dev", bridge])
            self.ns(self.router, ["ip", "addr", "add", f"{BRIDGE_ROUTER_ADDR6}/{BRIDGE_PREFIX6}",
                                  "dev", bridge, "nodad"])
            self.ns(self.router, ["ip", "link", "set", bridge, "up"])
        charons = []
        for k in range(first, first + n):
            ns = f"{self.prefix}gw{k}"
            addr, addr6 = bridge_gateway_addrs(k)
            port, dev = f"k{tok}p{k}", f"k{tok}w{k}"
            _run(["ip", "netns", "add", ns])
            self._namespaces.append(ns)
            self._bridge_hosts = k + 1
            self.ns(ns, ["ip", "link", "set", "lo", "up"])
            _run(["ip", "link", "add", port, "netns", self.router, "address", mac(1, k),
                  "type", "veth", "peer", "name", dev, "netns", ns, "address", mac(2, k)])
            self.ns(self.router, ["ip", "link", "set", port, "master", bridge, "up"])
            self.ns(ns, ["sysctl", "-qw", f"net.ipv6.conf.{dev}.accept_ra=0",
                         f"net.ipv6.conf.{dev}.accept_dad=0"])
            self.ns(ns, ["ip", "addr", "add", f"{addr}/{BRIDGE_PREFIX}", "dev", dev])
            self.ns(ns, ["ip", "addr", "add", f"{addr6}/{BRIDGE_PREFIX6}", "dev", dev, "nodad"])
            self.ns(ns, ["ip", "link", "set", dev, "up"])
            self.ns(ns, ["ip", "route", "add", "default", "via", BRIDGE_ROUTER_ADDR])
            self.ns(ns, ["ip", "-6", "route", "add", "default", "via", BRIDGE_ROUTER_ADDR6])
            # Pinned neighbours, as in _build: no test waits for ARP or ND.
            for a in (BRIDGE_ROUTER_ADDR, BRIDGE_ROUTER_ADDR6):
                self.ns(ns, ["ip", "neigh", "replace", a, "lladdr", mac(0, 0),
                             "dev", dev, "nud", "permanent"])
            for a in (addr, addr6):
                self.ns(self.router, ["ip", "neigh", "replace", a, "lladdr", mac(2, k),
                                      "dev", bridge, "nud", "permanent"])
            host = name.format(k)
            self.add_host(host, addr, addr6)
            d = os.path.join(self.tmp, "gateways", f"gw{k}")
            os.makedirs(d, exist_ok=True)
            c = Charon(self, ns, d, addrs=(addr, addr6), name=host)
            self.extra_gateways.append(c)
            charons.append(c)
        return charons

    def start_gateways(self, charons, configs=None, timeout=30):
        """Start many charons at once (add_gateways'): 20 in about a second
        on two cores, where one after the other takes four. All are spawned
        from this thread (charon dies with the thread that starts it), then
        waited for together by a pool of threads.

        configs: one GatewayConfig per charon, in order, its local_addrs
        the charon's own (c.addrs); None: each its default, on its own
        addresses. Raises LabError once all are done if any failed; the
        others run on until Lab.close."""
        charons = list(charons)
        configs = [None] * len(charons) if configs is None else list(configs)
        if len(configs) != len(charons):
            raise LabError(f"{len(configs)} configs for {len(charons)} charons")
        for c, config in zip(charons, configs):
            c.spawn(config)
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(c.wait_ready, timeout) for c in charons]
        failed = [(c, f.exception()) for c, f in zip(charons, futures) if f.exception()]
        if failed:
            c, e = failed[0]
            raise LabError(f"{len(failed)} of {len(charons)} charons did not start; "
                           f"the first, in {c.ns}: {e}")

    # probes of the lab itself ---------------------------------------------

    def _udp_listening(self, ns, ports):
        p = self.ns(ns, ["ss", "-H", "-uln"], check=False)
        seen = set()
        for line in p.stdout.splitlines():
            cols = line.split()
            if len(cols) >= 4:
                local = cols[3]
                port = local.rsplit(":", 1)[-1]
                if port.isdigit():
                    seen.add(int(port))
        return all(port in seen for port in ports)

    def reachable(self, dst=GATEWAY_ADDR, port=9, ns=None, timeout=5):
        """True if a UDP datagram from ns (default: the client) to a closed
        port of dst brings back ICMP port unreachable: the path works both
        ways. (No ping: iputils-ping is not always installed.)"""
        family = "AF_INET6" if ":" in dst else "AF_INET"
        code = (
            "import socket,sys\n"
            f"s=socket.socket(socket.{family},socket.SOCK_DGRAM)\n"
            "s.settimeout(1)\n"
            f"s.connect(({dst!r},{int(port)}))\n"
            "for i in range(3):\n"
            "    s.send(b'ikeprobe lab')\n"
            "    try: s.recv(100)\n"
            "    except ConnectionRefusedError: sys.exit(0)\n"
            "    except socket.timeout: pass\n"
            "sys.exit(1)\n")
        rc, _, _ = self.run_in(ns or self.client, ["/usr/bin/python3", "-c", code],
                               timeout=timeout)
        return rc == 0
