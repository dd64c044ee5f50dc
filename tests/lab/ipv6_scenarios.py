"""IPv6 twins of the IPv4 scenarios, and dual-stack gateways.

The lab has IPv6 on every link (2001:db8::/32) and charon listens on both
families. Each case here is one of scenarios.py's IPv4 cases over IPv6:
ports dropped and refused with ICMPv6, every packet with a Fragment header
dropped, links of 1400 and 1280 bytes with and without Packet Too Big, 10 %
loss, a gateway that goes quiet; then a name with both families, probed on
both at once, clean, with IPv6 broken and with IPv4 broken.

Registered into scenarios.py's table by register().
"""

import lab as L

GW6 = L.GATEWAY_ADDR6
ROUTER6 = L.ROUTER_CLIENT_ADDR6
ICMP6_UNREACH, ICMP6_ADMIN, ICMP6_TOO_BIG = 1, 1, 2


def rule6(rule):
    """A forward-chain rule for IPv6 from the client to the gateway."""
    return f"ip6 saddr {L.CLIENT_ADDR6} ip6 daddr {GW6} {rule}"


def family(s, rep, want, label):
    s.equal((rep["target"]["family"], rep["target"]["address"]),
            (want, GW6 if want == "ipv6" else L.GATEWAY_ADDR), f"{label}: target (family, address)")


def ipv6_all_open(s):
    """A full run over IPv6 on a clean path: both ports open, our own
    Fragment headers carry 2500 and 4500-byte probes whole to the gateway,
    the path MTU is the link's, NAT detection hashes the IPv6 addresses
    (no NAT). The bracketed literal, as in a URL, probes the same."""
    s.lab.start_charon()
    rep = s.ikeprobe(expect_rc=0, target=GW6)
    family(s, rep, "ipv6", "run 1")
    for port in (500, 4500):
        s.port(rep, port, "open")
    s.clean_path(rep)
    frag = [p for p in rep["probes"] if p["fragments"] > 1]
    s.check(frag and all(p["result"] == "answered" for p in frag),
            f"run 1: fragmented IPv6 probes not all answered: {[(p['id'], p['result']) for p in frag]}")
    s.check(all(p["ip_id"] is not None for p in frag),
            "run 1: a fragmented IPv6 probe without its Fragment header's ID")
    n = rep["nat"]
    s.equal((n["detected"], n["client_side"], n["gateway_side"]), (False, False, False),
            "run 1: nat over IPv6")
    s.check(GW6 in n["evidence"] and L.CLIENT_ADDR6 in n["evidence"],
            f"run 1: nat.evidence does not name the IPv6 addresses: {n['evidence']}")
    rep = s.ikeprobe(["--quick"], expect_rc=0, target=f"[{GW6}]", label="run 2 (brackets)")
    family(s, rep, "ipv6", "run 2")
    for port in (500, 4500):
        s.port(rep, port, "open", label="run 2")


def ipv6_ports_dropped(s):
    """UDP 500 and 4500 dropped over IPv6: both silent, error 809."""
    s.lab.start_charon()
    s.lab.add_rule_table(forward=[rule6("udp dport { 500, 4500 } drop")])
    rep = s.ikeprobe(["--quick"], expect_rc=1, target=GW6)
    for port in (500, 4500):
        s.port(rep, port, "silent")
    s.check("error 809" in rep["headline"], f"headline {rep['headline']!r}")


def ipv6_udp500_rejected(s):
    """UDP 500 refused by the router with ICMPv6 administratively
    prohibited (type 1 code 1): filtered, the router named; 4500 open."""
    s.lab.start_charon()
    s.lab.add_rule_table(forward=[rule6("udp dport 500 reject with icmpv6 type admin-prohibited")])
    rep = s.ikeprobe(["--quick"], expect_rc=1, target=GW6)
    v = s.port(rep, 500, "filtered")
    s.icmp(v, ICMP6_UNREACH, ICMP6_ADMIN, ROUTER6, "ports.500")
    s.port(rep, 4500, "open")
    f = s.h.finding(s, rep, "udp500-filtered", "udp500-filtered", "error")
    s.h.says(s, f, ROUTER6, "udp500-filtered")


def ipv6_frag_dropped(s):
    """Every packet with a Fragment header dropped before the gateway
    (`exthdr frag exists drop`, the IPv6 middlebox of RFC 7872): fragments
    dropped, IKEv2 fragmentation needed; datagrams up to the MTU pass."""
    s.lab.start_charon()
    s.lab.add_rule_table(prerouting=[f"ip6 daddr {GW6} exthdr frag exists drop"])
    rep = s.ikeprobe(expect_rc=1, target=GW6)
    for port in (500, 4500):
        s.port(rep, port, "open")
    s.h.frag_dropped_checks(s, rep, True)
    s.equal(rep["path_mtu"]["value"], 1500, "path_mtu.value")


def mtu_icmp6(mtu):
    def run(s):
        """The router's link to the gateway is smaller, and the router says
        so with ICMPv6 Packet Too Big (its 32-bit MTU): the path MTU is the
        router's, named."""
        s.lab.start_charon()
        s.lab.set_mtu("router-gateway", mtu)
        rep = s.ikeprobe(expect_rc=0, target=GW6)
        s.clean_path(rep, mtu=mtu, source="icmp")
        m = rep["path_mtu"]
        s.equal((m["value"], m["source"], m["icmp"], m["router"], m["router_mtu"]),
                (mtu, "icmp", "seen", ROUTER6, mtu), "path_mtu (value, source, icmp, router, mtu)")
        s.check(any(p["result"] == "icmp" and p["icmp"]["type"] == ICMP6_TOO_BIG
                    and p["icmp"].get("mtu") == mtu for p in rep["probes"]),
                "no probe records ICMPv6 Packet Too Big with the MTU")
    return run


def black_hole6(mtu):
    def run(s):
        """A link whose router's Packet Too Big never leaves it: a black
        hole found by probing, within 8 bytes (at 1280, IPv6's minimum
        link, the ladder's first rung is the answer); fragments (ours, with
        Fragment headers, 1280 bytes each) still pass, since IPv6 routers
        never fragment."""
        ipv6_black_hole(s, mtu)
    return run


def ipv6_black_hole(s, mtu):
    s.lab.start_charon()
    s.lab.set_mtu("router-gateway", mtu)
    s.lab.add_rule_table(output=["icmpv6 type packet-too-big drop"])
    rep = s.ikeprobe(expect_rc=1, target=GW6)
    m = rep["path_mtu"]
    s.check(isinstance(m["value"], int) and mtu - 7 <= m["value"] <= mtu,
            f"path_mtu.value: {m['value']!r}, want {mtu - 7}..{mtu}")
    s.equal((m["source"], m["icmp"], m["black_hole"], m["router"]),
            ("probing", "filtered", True, None), "path_mtu (source, icmp, black_hole, router)")
    s.equal(rep["verdict"]["ikev2_fragmentation_needed"], True, "verdict.ikev2_fragmentation_needed")
    s.h.finding(s, rep, "path-mtu-black-hole", "black hole", severity="error")
    s.equal(rep["fragments"]["outbound"], "pass", "fragments.outbound")


def ipv6_random_loss(s):
    """10 % of IPv6 packets lost at random both ways, three runs: every
    verdict as on a clean path."""
    s.lab.start_charon()
    s.lab.add_rule_table(forward=["meta nfproto ipv6 numgen random mod 100 < 10 drop"])
    for i in range(1, 4):
        label = f"run {i}"
        rep = s.ikeprobe(expect_rc=0, label=label, target=GW6)
        for port in (500, 4500):
            s.port(rep, port, "open", label=label)
        s.clean_path(rep, label=label)


def ipv6_gateway_stops(s):
    """The gateway answers reachability over IPv6, then nothing: fragments
    and path MTU inconclusive, never dropped."""
    s.lab.start_charon()
    s.lab.add_rule_table(forward=[rule6("udp dport { 500, 4500 } quota over 1700 bytes drop")])
    rep = s.ikeprobe(expect_rc=1, target=GW6)
    for port in (500, 4500):
        s.port(rep, port, "open")
    codes = [x["code"] for x in rep["findings"]]
    s.equal(rep["fragments"]["outbound"], "inconclusive", "fragments.outbound")
    s.equal(rep["verdict"]["ikev2_fragmentation_needed"], None, "verdict")
    for bad in ("fragments-dropped", "path-mtu-black-hole"):
        s.check(bad not in codes, f"finding {bad} though the gateway stopped answering")


def dual(s, expect_rc, label):
    """ikeprobe on the lab's name (A and AAAA), both families: the top
    report (IPv6, the resolver's first) and the IPv4 one."""
    rep = s.ikeprobe(["--quick"], expect_rc=expect_rc, target=L.GATEWAY_NAME, label=label,
                     dual=True)
    family(s, rep, "ipv6", label)
    if not s.equal(len(rep["others"]), 1, f"{label}: others (the IPv4 report)"):
        raise s.h.Abort()
    v4 = rep["others"][0]
    family(s, v4, "ipv4", f"{label}, IPv4")
    s.common_checks(v4, expect_rc, f"{label}, IPv4", all_addresses=True)
    s.equal([a["probed"] for a in rep["target"]["resolved"]], [True, True],
            f"{label}: both addresses probed")
    return rep, v4


def dual_stack_clean(s):
    """A dual-stack name on a clean path: both families probed at once in
    one run (as long as one, not two), no family finding, exit 0; -4 and -6
    probe one family and say the other was left out."""
    s.lab.start_charon()
    rep, v4 = dual(s, 0, "both")
    for r, lbl in ((rep, "IPv6"), (v4, "IPv4")):
        for port in (500, 4500):
            s.port(r, port, "open", label=lbl)
        s.check("family-mismatch" not in [f["code"] for f in r["findings"]],
                f"{lbl}: family-mismatch on a clean path")
    s.check(abs(v4["started_us"] - rep["started_us"]) < 100000, "the families did not start together")
    for flag, fam, other in (("-4", "ipv4", L.GATEWAY_ADDR6), ("-6", "ipv6", L.GATEWAY_ADDR)):
        r = s.ikeprobe([flag, "--quick"], expect_rc=0, target=L.GATEWAY_NAME, label=flag)
        family(s, r, fam, flag)
        f = s.h.finding(s, r, "family-not-probed", flag, severity="info")
        s.h.says(s, f, other, flag)


def dual_stack_ipv6_broken(s):
    """IPv6 blocked (UDP 500/4500 dropped), IPv4 fine: the error
    family-mismatch in both reports, and the headline says Windows tries
    IPv6 first."""
    s.lab.start_charon()
    s.lab.add_rule_table(forward=[rule6("udp dport { 500, 4500 } drop")])
    rep, v4 = dual(s, 1, "IPv6 broken")
    for port in (500, 4500):
        s.port(rep, port, "silent", label="IPv6")
        s.port(v4, port, "open", label="IPv4")
    s.equal(rep["headline"], "Over IPv6 the VPN cannot connect from this network, over IPv4 it "
            "can: Windows tries IPv6 first (error 809).", "headline")
    for r, lbl in ((rep, "IPv6"), (v4, "IPv4")):
        f = s.h.finding(s, r, "family-mismatch", lbl, severity="error")
        s.h.says(s, f, "tries the IPv6 address first", lbl)


def dual_stack_ipv4_broken(s):
    """The reverse: IPv4 blocked, IPv6 fine: family-mismatch is a warning
    (clients with IPv6 connect)."""
    s.lab.start_charon()
    s.lab.add_rule_table(forward=[s.h.gw_rule("udp dport { 500, 4500 } drop")])
    rep, v4 = dual(s, 1, "IPv4 broken")
    for port in (500, 4500):
        s.port(rep, port, "open", label="IPv6")
        s.port(v4, port, "silent", label="IPv4")
    s.check(rep["headline"].startswith("Over IPv4 the VPN cannot connect"), f"headline {rep['headline']!r}")
    s.h.finding(s, rep, "family-mismatch", "IPv6 report", severity="warning")


def register(scenario, helpers):
    """Put the scenarios into scenarios.py's table."""
    table = [("ipv6-all-open", ipv6_all_open), ("ipv6-ports-dropped", ipv6_ports_dropped),
             ("ipv6-udp500-rejected", ipv6_udp500_rejected),
             ("ipv6-frag-dropped", ipv6_frag_dropped),
             ("ipv6-mtu1400-icmp", mtu_icmp6(1400)), ("ipv6-mtu1280-icmp", mtu_icmp6(1280)),
             ("ipv6-mtu1400-black-hole", black_hole6(1400)),
             ("ipv6-mtu1280-black-hole", black_hole6(1280)),
             ("ipv6-random-loss-10", ipv6_random_loss),
             ("ipv6-gateway-stops", ipv6_gateway_stops),
             ("dual-stack-clean", dual_stack_clean),
             ("dual-stack-ipv6-broken", dual_stack_ipv6_broken),
             ("dual-stack-ipv4-broken", dual_stack_ipv4_broken)]
    for name, fn in table:
        def wrapped(s, fn=fn):
            s.h = helpers
            return fn(s)
        wrapped.__doc__ = fn.__doc__
        scenario(name, nft=True)(wrapped)
