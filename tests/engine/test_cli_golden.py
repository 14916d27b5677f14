"""Golden tests: the exact output of every command issue #4 lists, against the reference.

Each test compares the whole text byte for byte. Where the reference gives a format
(../shared/reference/asa.md section 4) the expected text is that format; the values that
come from the run (SPIs, context numbers, packet and byte counters, remaining lifetimes)
are read from the engine's state, so the test pins the layout and the wiring, and the
counters themselves are tested against the download in test_cli.py.
"""

from __future__ import annotations

import pytest

from lab.engine import Simulation, parse_scenario, vpn
from lab.engine.cli import CliSession
from lab.engine.forwarding import conn_bytes
from lab.engine.gateway import Gateway
from lab.engine.library import builtin_dict
from lab.engine.units import S

from .test_cli import SEED_SHOW_RUN_ALL_SYSOPT

INVALID = "ERROR: % Invalid input detected at '^' marker."
PEER = "209.165.200.10"  # HO-ASA's outside address, BO-ASA's peer
LEGEND = """Flags: A - awaiting inside ACK to SYN, a - awaiting outside ACK to SYN,
       B - initial SYN from outside, b - TCP state-bypass or nailed,
       C - CTIQBE media, c - cluster centralized,
       D - DNS / Umbrella, d - dump, E - outside back connection, e - semi-distributed,
       F - outside FIN, f - inside FIN,
       G - group, g - MGCP, H - H.323, h - H.225.0, I - inbound data,
       i - incomplete, J - GTP, j - GTP data, K - GTP t3-response
       k - Skinny media, L - LISP triggered flow owner mobility
       l - local director/backup stub flow
       M - SMTP data, m - SIP media, n - GUP
       N - inspected by Snort
       O - outbound data, o - offloaded,
       P - inside back connection
       Q - Diameter, q - SQL*Net data,
       R - outside acknowledged FIN,
       R - UDP SUNRPC, r - inside acknowledged FIN, S - awaiting inside SYN,
       s - awaiting outside SYN, T - SIP, t - SIP transient, U - up, u - STUN,
       V - VPN orphan, v - M3UA W - WAAS,
       w - secondary domain backup,
       X - inspected by service module,
       x - per session, Y - director stub flow, y - backup stub flow,
       Z - Scansafe redirection, z - forwarding stub flow
"""

BO_INTERFACES = """\
!
interface Ethernet0/0
 nameif outside
 security-level 0
 ip address 209.165.201.2 255.255.255.248
!
interface Ethernet0/1
 nameif inside
 security-level 100
 ip address 10.0.0.1 255.255.255.0
"""
BO_CRYPTO = """\
crypto ipsec transform-set ESP-AES-256-SHA esp-aes-256 esp-sha-hmac
crypto map outside_map 10 match address 100
crypto map outside_map 10 set peer 209.165.200.10
crypto map outside_map 10 set transform-set ESP-AES-256-SHA
crypto map outside_map interface outside
crypto isakmp enable outside
crypto isakmp policy 10
 authentication pre-share
 encryption aes-256
 hash sha
 group 2
 lifetime 86400
"""
BO_ACL = """\
access-list 100 extended permit ip 10.0.0.0 255.255.255.0 10.1.1.0 255.255.255.0
access-list nonat extended permit ip 10.0.0.0 255.255.255.0 10.1.1.0 255.255.255.0
"""
BO_TUNNEL_GROUP = """\
tunnel-group 209.165.200.10 type ipsec-l2l
tunnel-group 209.165.200.10 ipsec-attributes
 pre-shared-key *
"""
TIMEOUT_ALL = """\
timeout xlate 3:00:00
timeout pat-xlate 0:00:30
timeout conn 1:00:00 half-closed 0:10:00 udp 0:02:00 icmp 0:00:02
timeout sunrpc 0:10:00 h323 0:05:00 h225 1:00:00 mgcp 0:05:00 mgcp-pat 0:05:00
timeout sip 0:30:00 sip_media 0:02:00 sip-invite 0:03:00 sip-disconnect 0:02:00
timeout sip-provisional-media 0:02:00 uauth 0:05:00 absolute
timeout tcp-proxy-reassembly 0:01:00
timeout floating-conn 0:00:00
"""
LOGGING_ALL = """\
logging enable
no logging timestamp
no logging hide username
no logging standby
no logging debug-trace
logging buffer-size 4096
no logging console
no logging monitor
logging buffered informational
no logging trap
no logging asdm
no logging history
no logging mail
logging facility 20
logging queue 512
no logging device-id
no logging flash-bufferwrap
logging flash-maximum-allocation 3076
logging flash-minimum-free 4000
no logging permit-hostdown
"""
CRYPTO_ALL = """\
crypto ipsec transform-set ESP-AES-256-SHA esp-aes-256 esp-sha-hmac
crypto ipsec security-association lifetime seconds 28800
crypto ipsec security-association lifetime kilobytes 4608000
crypto map outside_map 10 match address 100
crypto map outside_map 10 set connection-type bidirectional
crypto map outside_map 10 set peer 209.165.200.10
crypto map outside_map 10 set phase1-mode main
crypto map outside_map 10 set transform-set ESP-AES-256-SHA
crypto map outside_map interface outside
crypto isakmp enable outside
crypto isakmp policy 10
 authentication pre-share
 encryption aes-256
 hash sha
 group 2
 lifetime 86400
crypto isakmp identity auto
crypto isakmp nat-traversal 20
no crypto isakmp ipsec-over-tcp
no crypto isakmp disconnect-notify
no crypto isakmp am-disable
"""
L2L_ALL = """\
tunnel-group {name} type ipsec-l2l
tunnel-group {name} general-attributes
 no accounting-server-group
 default-group-policy DfltGrpPolicy
tunnel-group {name} ipsec-attributes
 {key}
 peer-id-validate req
 no chain
 no trust-point
 isakmp keepalive threshold 10 retry 2
"""
TUNNEL_GROUP_ALL = L2L_ALL.format(name="DefaultL2LGroup", key="no pre-shared-key") + L2L_ALL.format(
    name=PEER, key="pre-shared-key *"
)
SERVICE_ALL = """\
no service resetinbound
service resetoutbound
no service resetoutside
service password-recovery
"""
INTERFACES_ALL = """\
!
interface Ethernet0/0
 speed auto
 duplex auto
 nameif outside
 security-level 0
 ip address 209.165.201.2 255.255.255.248
!
interface Ethernet0/1
 speed auto
 duplex auto
 nameif inside
 security-level 100
 ip address 10.0.0.1 255.255.255.0
"""


@pytest.fixture(scope="module")
def up() -> Simulation:
    """default-drop at 30 s: the download runs through the tunnel (read-only tests)."""
    sim = Simulation(parse_scenario(builtin_dict("default-drop")))
    sim.advance_to(30 * S)
    return sim


def fresh(t_s: float = 30, version: str = "") -> Simulation:
    """default-drop at `t_s`; `version` puts both ASAs on another software train."""
    data = builtin_dict("default-drop")
    for node in data["topology"]["nodes"]:
        if version and node["kind"] == "asa":
            node["version"] = version
    sim = Simulation(parse_scenario(data))
    sim.advance_to(round(t_s * S))
    return sim


NINE = "9.8(4)"  # the 9.x train most goldens below are written for


@pytest.fixture(scope="module")
def up98() -> Simulation:
    """default-drop at 30 s on a 9.8 pair (read-only tests)."""
    return fresh(30, NINE)


def out(cli: CliSession, line: str) -> str:
    """What the device printed after the echoed prompt and line."""
    return cli.type(line).split("\n", 1)[1]


def bo(sim: Simulation) -> CliSession:
    return CliSession(sim, "bo-asa", privileged=True)


def gw(sim: Simulation) -> Gateway:
    return sim.gateways["bo-asa"]


# -- show running-config [all] [SECTION] ------------------------------------------------------


def test_show_running_config_prints_the_whole_config_in_the_asas_order(up: Simulation) -> None:
    text = out(bo(up), "show running-config")
    lines = text.splitlines()
    assert lines[-2].startswith("Cryptochecksum:") and len(lines[-2]) == 15 + 32
    del lines[-2]
    assert "\n".join(lines) + "\n" == (
        ": Saved\n:\nASA Version 8.2(1) \n!\n"
        "hostname BO-ASA\ndomain-name example.com\nnames\n"
        + BO_INTERFACES
        + "!\n"
        + BO_ACL
        + "logging enable\nlogging buffered informational\n"
        "nat (inside) 0 access-list nonat\n"
        "route outside 0.0.0.0 0.0.0.0 209.165.201.1 1\n"
        "timeout xlate 3:00:00\n"
        "timeout conn 1:00:00 half-closed 0:10:00 udp 0:02:00 icmp 0:00:02\n"
        + BO_CRYPTO
        + BO_TUNNEL_GROUP
        + ": end\n"
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("show running-config sysopt", ""),
        ("show running-config all sysopt", SEED_SHOW_RUN_ALL_SYSOPT.replace(
            "\nsysopt connection preserve-vpn-flows", "\nno sysopt connection preserve-vpn-flows"
        )),
        ("show running-config crypto", BO_CRYPTO),
        ("show running-config all crypto", CRYPTO_ALL),
        ("show running-config crypto map", "".join(
            x + "\n" for x in BO_CRYPTO.splitlines() if x.startswith("crypto map")
        )),
        ("show running-config crypto isakmp", "".join(
            x + "\n" for x in BO_CRYPTO.splitlines()[5:]
        )),
        ("show running-config crypto ipsec", BO_CRYPTO.splitlines()[0] + "\n"),
        ("show running-config timeout", (
            "timeout xlate 3:00:00\n"
            "timeout conn 1:00:00 half-closed 0:10:00 udp 0:02:00 icmp 0:00:02\n"
        )),
        ("show running-config all timeout", TIMEOUT_ALL),
        ("show running-config tunnel-group", BO_TUNNEL_GROUP),
        ("show running-config tunnel-group 209.165.200.10", BO_TUNNEL_GROUP),
        ("show running-config tunnel-group 192.0.2.1", ""),
        ("show running-config all tunnel-group", TUNNEL_GROUP_ALL),
        ("show running-config access-list", BO_ACL),
        ("show running-config access-list nonat", BO_ACL.splitlines()[1] + "\n"),
        ("show running-config all access-list", BO_ACL),
        ("show running-config interface", BO_INTERFACES),
        ("show running-config interface Ethernet0/1", "!\n" + BO_INTERFACES.split("!\n")[2]),
        ("show running-config interface e0/1", "!\n" + BO_INTERFACES.split("!\n")[2]),
        ("show running-config interface outside", "!\n" + BO_INTERFACES.split("!\n")[1]),
        ("show running-config all interface", INTERFACES_ALL),
        ("show running-config logging", "logging enable\nlogging buffered informational\n"),
        ("show running-config all logging", LOGGING_ALL),
        ("show running-config service", ""),
        ("show running-config all service", SERVICE_ALL),
        ("sh run all sysopt | include preserve", "no sysopt connection preserve-vpn-flows\n"),
    ],
)  # fmt: skip
def test_show_running_config_sections(up: Simulation, line: str, expected: str) -> None:
    assert out(bo(up), line) == expected


def test_show_running_config_all_adds_every_sections_defaults(up: Simulation) -> None:
    text = out(bo(up), "show running-config all")
    for block in (
        INTERFACES_ALL,
        LOGGING_ALL,
        TIMEOUT_ALL,
        SEED_SHOW_RUN_ALL_SYSOPT.replace("\nsysopt connection pre", "\nno sysopt connection pre"),
        SERVICE_ALL,
        CRYPTO_ALL,
        TUNNEL_GROUP_ALL,
    ):
        assert block in text


def test_show_running_config_refuses_an_unknown_interface_at_its_name(up: Simulation) -> None:
    cli = bo(up)
    assert cli.type("sh run int Ethernet0/7") == (
        "BO-ASA# sh run int Ethernet0/7\n" + " " * 19 + "^\n" + INVALID + "\n"
    )
    assert cli.errors == 1


def test_show_running_config_all_keeps_an_imported_value_instead_of_the_default() -> None:
    sim = fresh(0)
    cli = bo(sim)
    cfg = gw(sim).cfg
    assert cfg is not None
    cfg.unmodelled.append("logging facility 23")
    cfg.unmodelled.append("crypto isakmp nat-traversal 3600")
    text = out(cli, "show running-config all")
    assert "logging facility 20" not in text and "logging facility 23\n" in text
    assert "nat-traversal 20" not in text and "crypto isakmp nat-traversal 3600\n" in text


# -- show asp table vpn-context [detail] ------------------------------------------------------


def test_show_asp_table_vpn_context(up: Simulation) -> None:
    t = up.tunnels["bo-ho"]
    sa = gw(up).sas[t.id]
    n = vpn.sa_traffic(up, t, gw(up))
    rows = [("DECR", sa.ctx_in, sa.spi_in, n.pkts_in), ("ENCR", sa.ctx_out, sa.spi_out, n.pkts_out)]
    assert out(bo(up), "show asp table vpn-context") == "".join(
        f"VPN CTX=0x{ctx:08X}, Ptr=0x{0x6DE60000 + (ctx & 0xFFFF):08X}, {kind}+ESP, UP, "
        "pk=0000000000, rk=0000000000, gc=0\n"
        for kind, ctx, _, _ in rows
    )
    assert out(bo(up), "sh asp tab vpn-con det") == "".join(
        f"VPN CTX  = 0x{ctx:08X}\n\n"
        f"Peer IP  = {PEER}\n"
        f"Pointer  = 0x{0x6DE60000 + (ctx & 0xFFFF):08X}\n"
        "State    = UP\n"
        f"Flags    = {kind}+ESP\n"
        f"SA       = 0x{0x0DAC0000 + (ctx & 0xFFFF):08X}\n"
        f"SPI      = 0x{spi:08X}\n"
        "Group    = 1\n"
        f"Pkts     = {pkts}\n"
        "Bad Pkts = 0\nBad SPI  = 0\nSpoof    = 0\nBad Crypto = 0\n"
        "Rekey Pkt  = 0\nRekey Call = 0\nVPN Filter = <none>\n\n"
        for kind, ctx, spi, pkts in rows
    )


def test_show_asp_table_vpn_context_with_the_preserve_flag() -> None:
    sim = fresh(0)
    cli = bo(sim)
    cli.type("configure terminal")
    cli.type("sysopt connection preserve-vpn-flows")
    sim.advance_to(30 * S)
    sa = gw(sim).sas["bo-ho"]
    assert out(cli, "do show asp table vpn-context") == (
        f"VPN CTX=0x{sa.ctx_in:08X}, Ptr=0x{0x6DE60000 + (sa.ctx_in & 0xFFFF):08X}, "
        "DECR+ESP+PRESERVE, UP, pk=0000000000, rk=0000000000, gc=0\n"
        f"VPN CTX=0x{sa.ctx_out:08X}, Ptr=0x{0x6DE60000 + (sa.ctx_out & 0xFFFF):08X}, "
        "ENCR+ESP+PRESERVE, UP, pk=0000000000, rk=0000000000, gc=0\n"
    )


# -- show conn ---------------------------------------------------------------------------------


def _conn_values(sim: Simulation) -> tuple[int, int, int]:
    (conn,) = gw(sim).conns.values()
    return conn_bytes(sim, conn), (sim.now - conn.created_us) // S, conn.id


def test_show_conn_in_each_form(up98: Simulation) -> None:
    up = up98
    cli = bo(up)
    nbytes, uptime, keyid = _conn_values(up)
    brief = (
        "1 in use, 1 most used.\n"
        f"TCP outside 10.1.1.10:80 inside 10.0.0.100:1135, idle 0:00:00, bytes {nbytes}, "
        "flags UIO\n"
    )
    detail = (
        "1 in use, 1 most used.\n" + LEGEND + "\n"
        "TCP outside: 10.1.1.10/80 inside: 10.0.0.100/1135,\n"
        f"    flags UIO, idle 0s, uptime {uptime}s, timeout 1h0m, bytes {nbytes}\n"
        "  Initiator: 10.0.0.100, Responder: 10.1.1.10\n"
        f"  Connection lookup keyid: {keyid}\n"
    )
    long = (
        "1 in use, 1 most used.\n" + LEGEND + "\n"
        "TCP outside: 10.1.1.10/80 (10.1.1.10/80) inside: 10.0.0.100/1135 (10.0.0.100/1135), "
        f"flags UIO , idle 0s, uptime {uptime}s, timeout 1h0m, bytes {nbytes}\n"
        "  Initiator: 10.0.0.100, Responder: 10.1.1.10\n"
    )
    empty = "1 in use, 1 most used.\n"
    assert out(cli, "show conn") == brief
    assert out(cli, "show conn count") == empty
    assert out(cli, "show conn protocol tcp") == brief
    assert out(cli, "show conn protocol udp") == empty
    assert out(cli, "show conn detail") == detail
    assert out(cli, "show conn long") == long
    assert out(cli, "show conn all") == brief
    # the options combine, in any order (each once), as on the ASA
    assert out(cli, "show conn protocol tcp detail") == detail
    assert out(cli, "show conn detail protocol tcp") == detail
    assert out(cli, "show conn address 10.0.0.100 long") == long
    assert out(cli, "show conn long address 10.1.1.10") == long
    assert out(cli, "show conn address 10.0.0.0 netmask 255.255.255.0 port 80") == brief
    assert out(cli, "show conn port 1135 protocol tcp") == brief
    assert (
        out(cli, "show conn address 192.0.2.1 detail") == "1 in use, 1 most used.\n" + LEGEND + "\n"
    )
    assert out(cli, "show conn port 443") == empty
    assert cli.errors == 0


@pytest.mark.parametrize(
    ("line", "word"),
    [
        ("show conn detail long", "long"),
        ("show conn detail detail", "detail"),
        ("show conn protocol tcp protocol udp", "protocol"),
        ("show conn address 10.0.0.0 netmask 255.0.255.0", "255.0.255.0"),
        ("show conn protocol icmp", "icmp"),
        ("show conn count detail", "detail"),
    ],
)
def test_show_conn_refuses_repeated_or_clashing_options(
    up: Simulation, line: str, word: str
) -> None:
    """The caret goes under the word the ASA would refuse (its last occurrence)."""
    cli = bo(up)
    column = 8 + line.rindex(word)
    assert cli.type(line) == f"BO-ASA# {line}\n" + " " * column + "^\n" + INVALID + "\n"
    assert cli.errors == 1


def test_show_conn_marks_a_preserved_conn_without_a_tunnel_as_vpn_orphan() -> None:
    """preserve-both cuts the internet at 120 s for 60 s; DPD has removed the SAs by 150 s."""
    sim = Simulation(parse_scenario(builtin_dict("preserve-both")))
    sim.advance_to(150 * S)
    assert gw(sim).sas == {}
    nbytes, uptime, _ = _conn_values(sim)
    cli = bo(sim)
    assert out(cli, "show conn") == (
        "1 in use, 1 most used.\n"
        f"TCP outside 10.1.1.10:80 inside 10.0.0.100:1135, idle 0:00:30, bytes {nbytes}, "
        "flags UIOV\n"
    )
    assert out(cli, "show conn detail | include flags") == (
        f"    flags UIOV, idle 30s, uptime 2m{uptime - 120}s, timeout 1h0m, bytes {nbytes}\n"
    )


# -- crypto -------------------------------------------------------------------------------------


def test_show_crypto_isakmp_sa(up98: Simulation) -> None:
    up = up98
    cli = bo(up)
    brief = (
        "IKEv1 SAs:\n\n"
        "   Active SA: 1\n"
        "    Rekey SA: 0 (A tunnel will report 1 Active and 1 Rekey SA during rekey)\n"
        "Total IKE SA: 1\n\n"
        "1   IKE Peer: 209.165.200.10\n"
        "    Type    : L2L             Role    : initiator\n"
        "    Rekey   : no              State   : MM_ACTIVE\n"
    )
    left = 86400 - (up.now - gw(up).ike_up["bo-ho"]) // S
    assert out(cli, "show crypto isakmp sa") == brief + "\nThere are no IKEv2 SAs\n"
    assert out(cli, "show crypto ikev1 sa") == brief + "\n"
    assert out(cli, "show crypto isakmp sa detail") == (
        brief + "    Encrypt : aes-256         Hash    : SHA\n"
        "    Auth    : preshared       Lifetime: 86400\n"
        f"    Lifetime Remaining: {left}\n\n"
        "There are no IKEv2 SAs\n"
    )
    ho = CliSession(up, "ho-asa", privileged=True)
    assert "    Type    : L2L             Role    : responder\n" in out(ho, "sh cry isa sa")


def _ipsec_sa_text(sim: Simulation) -> str:
    g = gw(sim)
    t = sim.tunnels["bo-ho"]
    sa = g.sas[t.id]
    n = vpn.sa_traffic(sim, t, g)
    kb_in = sa.lifetime_kb - n.bytes_in // 1024  # each direction spends its own budget
    kb_out = sa.lifetime_kb - n.bytes_out // 1024
    secs = sa.lifetime_s - (sim.now - sa.created_us) // S
    o, i = n.pkts_out, n.pkts_in
    conn_id = (sa.ctx_in & 0xFFFF) << 8

    def sa_block(direction: str, spi: int, kb: int, bitmap: str) -> str:
        return (
            f"    {direction} esp sas:\n"
            f"      spi: 0x{spi:08X} ({spi})\n"
            "         SA State: active\n"
            "         transform: esp-aes-256 esp-sha-hmac no compression\n"
            "         in use settings ={L2L, Tunnel, IKEv1, }\n"
            f"         slot: 0, conn_id: {conn_id}, crypto-map: outside_map\n"
            f"         sa timing: remaining key lifetime (kB/sec): ({kb}/{secs})\n"
            "         IV size: 16 bytes\n"
            "         replay detection support: Y\n"
            f"         Anti replay bitmap:\n          {bitmap}\n"
        )

    return (
        "interface: outside\n"
        "    Crypto map tag: outside_map, seq num: 10, local addr: 209.165.201.2\n\n"
        "      access-list 100 extended permit ip 10.0.0.0 255.255.255.0 "
        "10.1.1.0 255.255.255.0\n"
        "      local ident (addr/mask/prot/port): (10.0.0.0/255.255.255.0/0/0)\n"
        "      remote ident (addr/mask/prot/port): (10.1.1.0/255.255.255.0/0/0)\n"
        "      current_peer: 209.165.200.10\n\n"
        f"      #pkts encaps: {o}, #pkts encrypt: {o}, #pkts digest: {o}\n"
        f"      #pkts decaps: {i}, #pkts decrypt: {i}, #pkts verify: {i}\n"
        "      #pkts compressed: 0, #pkts decompressed: 0\n"
        f"      #pkts not compressed: {o}, #pkts comp failed: 0, #pkts decomp failed: 0\n"
        "      #pre-frag successes: 0, #pre-frag failures: 0, #fragments created: 0\n"
        "      #PMTUs sent: 0, #PMTUs rcvd: 0, #decapsulated frgs needing reassembly: 0\n"
        "      #TFC rcvd: 0, #TFC sent: 0\n"
        "      #Valid ICMP Errors rcvd: 0, #Invalid ICMP Errors rcvd: 0\n"
        "      #send errors: 0, #recv errors: 0\n\n"
        "      local crypto endpt.: 209.165.201.2/500, remote crypto endpt.: 209.165.200.10/500\n"
        "      path mtu 1500, ipsec overhead 74(44), media mtu 1500\n"
        "      PMTU time remaining (sec): 0, DF policy: copy-df\n"
        "      ICMP error validation: disabled, TFC packets: disabled\n"
        f"      current outbound spi: {sa.spi_out:08X}\n"
        f"      current inbound spi : {sa.spi_in:08X}\n\n"
        + sa_block("inbound", sa.spi_in, kb_in, "0xFFFFFFFF 0xFFFFFFFF")  # a busy SA
        + sa_block("outbound", sa.spi_out, kb_out, "0x00000000 0x00000001")
    )


def test_show_crypto_ipsec_sa(up98: Simulation) -> None:
    up = up98
    cli = bo(up)
    expected = _ipsec_sa_text(up)
    assert out(cli, "show crypto ipsec sa") == expected
    assert out(cli, f"show crypto ipsec sa peer {PEER}") == expected
    assert out(cli, "show crypto ipsec sa peer 192.0.2.1") == "There are no ipsec sas\n"


@pytest.mark.parametrize("version", ["8.2(1)", NINE])
def test_show_vpn_sessiondb_l2l(version: str) -> None:
    """8.2 prints `IKE`, 8.4+ `IKEv1` and both ciphers on the session lines; the title and
    field names are those ntc-templates reads from real devices."""
    up = fresh(30, version)
    g = gw(up)
    t = up.tunnels["bo-ho"]
    sa = g.sas[t.id]
    total = vpn.session_traffic(up, t, g)
    n = vpn.sa_traffic(up, t, g)
    dur = (up.now - g.ike_up[t.id]) // S
    kb_left = sa.lifetime_kb - (t.carried(up.now) - sa.bytes_at_create) // 1024
    s_left = sa.lifetime_s - (up.now - sa.created_us) // S
    ike = "IKE" if version == "8.2(1)" else "IKEv1"
    ciphers = (
        "Encryption   : AES256                 Hashing      : SHA1\n"
        if ike == "IKE"
        else "Encryption   : IKEv1: (1)AES256  IPsec: (1)AES256\n"
        "Hashing      : IKEv1: (1)SHA1  IPsec: (1)SHA1\n"
    )
    body = (
        "Connection   : 209.165.200.10\n"
        "Index        : 1                      IP Addr      : 209.165.200.10\n"
        f"Protocol     : {ike} IPsec\n" + ciphers + f"Bytes Tx     : {total.bytes_out:<23}"
        f"Bytes Rx     : {total.bytes_in}\n"
        "Login Time   : 09:00:01 UTC Mon Jun 15 2009\n"
        f"Duration     : 0h:00m:{dur:02d}s\n"
    )
    cli = bo(up)
    assert out(cli, "show vpn-sessiondb l2l") == "\nSession Type: LAN-to-LAN\n\n" + body + "\n"
    assert out(cli, "show vpn-sessiondb detail l2l") == (
        "\nSession Type: LAN-to-LAN Detailed\n\n" + body + f"\n{ike} Tunnels: 1\n"
        "IPsec Tunnels: 1\n\n"
        f"{ike}:\n"
        "  Tunnel ID    : 1.1\n"
        "  UDP Src Port : 500                    UDP Dst Port : 500\n"
        "  IKE Neg Mode : Main                   Auth Mode    : preSharedKeys\n"
        "  Encryption   : AES256                 Hashing      : SHA1\n"
        f"  Rekey Int (T): 86400 Seconds          Rekey Left(T): {86400 - dur} Seconds\n"
        "  D/H Group    : 2\n\n"
        "IPsec:\n"
        "  Tunnel ID    : 1.2\n"
        "  Local Addr   : 10.0.0.0/255.255.255.0/0/0\n"
        "  Remote Addr  : 10.1.1.0/255.255.255.0/0/0\n"
        "  Encryption   : AES256                 Hashing      : SHA1\n"
        "  Encapsulation: Tunnel\n"
        f"  Rekey Int (T): 28800 Seconds          Rekey Left(T): {s_left} Seconds\n"
        f"  Rekey Int (D): 4608000 K-Bytes        Rekey Left(D): {kb_left} K-Bytes\n"
        "  Idle Time Out: 30 Minutes             Idle TO Left : 30 Minutes\n"
        f"  Bytes Tx     : {n.bytes_out:<23}Bytes Rx     : {n.bytes_in}\n"
        f"  Pkts Tx      : {n.pkts_out:<23}Pkts Rx      : {n.pkts_in}\n\n"
    )
    assert out(bo(fresh(0)), "show vpn-sessiondb l2l") == (
        "INFO: There are presently no active sessions of the type specified\n"
    )


# -- logging, version, interfaces, asp drop ------------------------------------------------------

LOGGING_HEAD = """\
Syslog logging: enabled
    Facility: 20
    Timestamp logging: {stamp}
    Standby logging: disabled
    Debug-trace logging: disabled
    Console logging: disabled
    Monitor logging: disabled
    Buffer logging: level informational, {count} messages logged
    Trap logging: disabled
    History logging: disabled
    Device ID: disabled
    Mail logging: disabled
    ASDM logging: disabled
"""


def test_show_logging(up: Simulation) -> None:
    cli = bo(up)
    text = out(cli, "show logging")
    head = LOGGING_HEAD.format(stamp="disabled", count=8)
    assert text[: len(head)] == head
    assert text[len(head) :].splitlines() == [
        "%ASA-6-302013: Built outbound TCP connection 1 for outside:10.1.1.10/80 "
        "(10.1.1.10/80) to inside:10.0.0.100/1135 (10.0.0.100/1135)",
        # the crypto ACL's networks and the interface the traffic came in on (issue 13)
        "%ASA-5-713041: IP = 209.165.200.10, IKE Initiator: New Phase 1, Intf inside, "
        "IKE Peer 209.165.200.10  local Proxy Address 10.0.0.0, remote Proxy Address 10.1.1.0,  "
        "Crypto map (outside_map)",
        "%ASA-6-113009: AAA retrieved default group policy (DfltGrpPolicy) for user = "
        "209.165.200.10",
        "%ASA-5-713119: Group = 209.165.200.10, IP = 209.165.200.10, PHASE 1 COMPLETED",
        *[x for x in text.splitlines() if "713049" in x],  # its SPIs: checked below
        *[x for x in text.splitlines() if "602303" in x],
        *[x for x in text.splitlines() if "713120" in x],
    ]
    sa = gw(up).sas["bo-ho"]
    assert (
        "%ASA-5-713049: Group = 209.165.200.10, IP = 209.165.200.10, Security negotiation "
        "complete for LAN-to-LAN Group (209.165.200.10)  Initiator, "
        f"Inbound SPI = 0x{sa.spi_in:08x}, Outbound SPI = 0x{sa.spi_out:08x}\n"
    ) in text
    for direction, spi in (("outbound", sa.spi_out), ("inbound", sa.spi_in)):
        assert (
            f"%ASA-6-602303: IPSEC: An {direction} LAN-to-LAN SA (SPI= 0x{spi:08X}) between "
            "209.165.201.2 and 209.165.200.10 (user= 209.165.200.10) has been created.\n"
        ) in text


def test_show_logging_with_timestamps_and_console() -> None:
    sim = fresh(0)
    cli = bo(sim)
    cli.type("configure terminal")
    cli.type("logging timestamp")
    cli.type("logging console critical")
    cli.type("end")
    sim.advance_to(2 * S)
    text = out(cli, "show logging")
    head = LOGGING_HEAD.format(stamp="enabled", count=len(gw(sim).buffer)).replace(
        "Console logging: disabled", "Console logging: level critical, 0 messages logged"
    )
    assert text.startswith(head)
    assert text[len(head) :].startswith("Jun 15 2009 09:00:01: %ASA-6-302013: Built outbound")


VERSION_82 = """
Cisco Adaptive Security Appliance Software Version 8.2(1)
Device Manager Version 6.2(1)

Compiled on Tue 05-May-09 22:45 by builders
System image file is "disk0:/asa821-k8.bin"
Config file at boot was "startup-config"

BO-ASA up 0 mins 30 secs

Hardware:   ASA5510, 256 MB RAM, CPU Pentium 4 Celeron 1600 MHz
Internal ATA Compact Flash, 256MB
BIOS Flash M50FW016 @ 0xfff00000, 2048KB

 0: Ext: Ethernet0/0         : address is 0019.e800.{mac0}, irq 9
 1: Ext: Ethernet0/1         : address is 0019.e801.{mac1}, irq 10

Licensed features for this platform:
Maximum Physical Interfaces       : Unlimited
Maximum VLANs                     : 100
Inside Hosts                      : Unlimited
Failover                          : Active/Active
VPN-DES                           : Enabled
VPN-3DES-AES                      : Enabled
Security Contexts                 : 2
GTP/GPRS                          : Disabled
Other VPN Peers                   : 250
Total VPN Peers                   : 250

Serial Number: {serial}
Configuration has not been modified since last system restart.
"""


def test_show_version(up: Simulation) -> None:
    """The layout of a real `show version` (ntc-templates' 9.5 capture); values [U]."""
    text = out(bo(up), "show version")
    macs = [line.split("address is ")[1][10:14] for line in text.splitlines() if "Ext:" in line]
    serial = text.split("Serial Number: ")[1].split("\n")[0]
    assert text == VERSION_82.format(mac0=macs[0], mac1=macs[1], serial=serial)
    nine = out(bo(fresh(1, NINE)), "show version")
    assert "Software Version 9.8(4)\nDevice Manager Version 7.8(2)\n" in nine
    assert 'System image file is "disk0:/asa984-smp-k8.bin"\n' in nine


def test_show_interface_ip_brief() -> None:
    sim = fresh(30)
    cli = bo(sim)
    header = (
        "Interface                  IP-Address      OK? Method Status                Protocol\n"
    )
    row1 = "Ethernet0/0                209.165.201.2   YES CONFIG up                    up\n"
    row2 = "Ethernet0/1                10.0.0.1        YES CONFIG up                    up\n"
    assert out(cli, "show interface ip brief") == header + row1 + row2
    cli.type("configure terminal")
    cli.type("interface Ethernet0/1")
    cli.type("shutdown")
    assert out(cli, "do show interface ip brief") == header + row1 + (
        "Ethernet0/1                10.0.0.1        YES CONFIG administratively down down\n"
    )


def test_show_asp_drop(up: Simulation) -> None:
    frame = (
        "\nFrame drop:\n"
        "  IPSEC SA not negotiated yet (ipsec-need-sa)"
        "                                  1\n"  # the count ends at column 80
        "\nLast clearing: Never\n"
    )
    flow = "\nFlow drop:\n\nLast clearing: Never\n"
    cli = bo(up)
    assert out(cli, "show asp drop") == frame + flow
    assert out(cli, "show asp drop frame") == frame
    assert out(cli, "show asp drop flow") == flow


def test_clear_asp_drop_records_when() -> None:
    cli = bo(fresh(30))
    assert out(cli, "clear asp drop") == ""
    assert out(cli, "show asp drop") == (
        "\nFrame drop:\n\nLast clearing: 09:00:30 UTC Jun 15 2009 by enable_15\n"
        "\nFlow drop:\n\nLast clearing: 09:00:30 UTC Jun 15 2009 by enable_15\n"
    )


# -- clear commands -----------------------------------------------------------------------------


def _deleted(sim: Simulation, spi_out: int, spi_in: int) -> list[str]:
    return [
        f"%ASA-6-602304: IPSEC: An {d} LAN-to-LAN SA (SPI= 0x{spi:08X}) between 209.165.201.2 "
        "and 209.165.200.10 (user= 209.165.200.10) has been deleted."
        for d, spi in (("outbound", spi_out), ("inbound", spi_in))
    ]


def _new_log(cli: CliSession, line: str) -> tuple[str, list[str]]:
    before = len(cli.sim.syslog("bo-asa"))
    typed = cli.type(line)
    return typed, cli.sim.syslog("bo-asa")[before:]


@pytest.mark.parametrize(
    "line",
    [
        "clear crypto ipsec sa",
        f"clear crypto ipsec sa peer {PEER}",
        "clear crypto ipsec sa map outside_map",
        "clear crypto ipsec sa entry 209.165.200.10 esp {spi_in}",
        "clear crypto ipsec sa entry 209.165.200.10 esp 0x{spi_out:08x}",
    ],
)
def test_clear_crypto_ipsec_sa_deletes_the_pair_and_logs_602304(line: str) -> None:
    sim = fresh(30)
    sa = gw(sim).sas["bo-ho"]
    cli = bo(sim)
    typed = line.format(spi_in=sa.spi_in, spi_out=sa.spi_out)
    echo, logged = _new_log(cli, typed)
    assert echo == f"BO-ASA# {typed}\n"  # no output on success, as on the ASA
    assert [x.split(": ", 1)[1] for x in logged if "602304" in x] == [
        x.split(": ", 1)[1] for x in _deleted(sim, sa.spi_out, sa.spi_in)
    ]
    assert "bo-ho" not in gw(sim).sas
    assert "bo-ho" in gw(sim).ike_up  # the IKE SA stays


@pytest.mark.parametrize(
    "line",
    [
        "clear crypto ipsec sa peer 192.0.2.1",
        "clear crypto ipsec sa map other_map",
        "clear crypto ipsec sa entry 209.165.200.10 esp 12345",
        "clear crypto ipsec sa entry 192.0.2.1 esp {spi_in}",
        "clear crypto ipsec sa entry 209.165.200.10 ah {spi_in}",
        "clear crypto isakmp sa 192.0.2.1",
    ],
)
def test_clear_commands_that_match_nothing_change_nothing(line: str) -> None:
    sim = fresh(30)
    sa = gw(sim).sas["bo-ho"]
    cli = bo(sim)
    typed = line.format(spi_in=sa.spi_in)
    echo, logged = _new_log(cli, typed)
    assert echo == f"BO-ASA# {typed}\n"
    assert logged == [] and gw(sim).sas["bo-ho"] is sa


def test_clear_crypto_ipsec_sa_entry_refuses_a_malformed_spi() -> None:
    cli = bo(fresh(30))
    line = "clear crypto ipsec sa entry 209.165.200.10 esp 0xZZ"
    assert cli.type(line) == f"BO-ASA# {line}\n" + " " * (8 + line.index("0xZZ")) + "^\n" + (
        INVALID + "\n"
    )


@pytest.mark.parametrize(
    ("line", "version"),
    [("clear crypto isakmp sa", "8.2(1)"), (f"clear crypto ikev1 sa {PEER}", NINE)],
)
def test_clear_crypto_isakmp_sa_ends_the_session(line: str, version: str) -> None:
    sim = fresh(30, version)
    sa = gw(sim).sas["bo-ho"]
    total = vpn.session_traffic(sim, sim.tunnels["bo-ho"], gw(sim))
    duration = (sim.now - gw(sim).ike_up["bo-ho"]) // S
    cli = bo(sim)
    echo, logged = _new_log(cli, line)
    assert echo == f"BO-ASA# {line}\n"
    assert logged[0].endswith(
        "%ASA-5-713259: Group = 209.165.200.10, IP = 209.165.200.10, "
        "Session is being torn down. Reason: Administrator Reset"
    )
    assert [x.split(": ", 1)[1] for x in logged if "602304" in x] == [
        x.split(": ", 1)[1] for x in _deleted(sim, sa.spi_out, sa.spi_in)
    ]
    assert [x for x in logged if "113019" in x] == [
        "%ASA-4-113019: Group = 209.165.200.10, Username = 209.165.200.10, "
        "IP = 209.165.200.10, Session disconnected. Session Type: LAN-to-LAN, "
        f"Duration: 0h:00m:{duration:02d}s, Bytes xmt: {total.bytes_out}, "
        f"Bytes rcv: {total.bytes_in}, Reason: Administrator Reset"
    ]
    assert "bo-ho" not in gw(sim).sas and "bo-ho" not in gw(sim).ike_up
    assert out(cli, "show crypto isakmp sa") == (
        "\nThere are no isakmp sas\n"  # 8.2 [U]
        if version == "8.2(1)"
        else "There are no IKEv1 SAs\n\nThere are no IKEv2 SAs\n"
    )


@pytest.mark.parametrize("line", ["clear conn", "clear conn address 10.1.1.10"])
def test_clear_conn_tears_down_with_its_syslog(line: str) -> None:
    sim = fresh(30)
    cli = bo(sim)
    nbytes = _conn_values(sim)[0]
    echo, logged = _new_log(cli, line)
    assert echo == f"BO-ASA# {line}\n"
    assert [x.split(": ", 1)[1] for x in logged if "302014" in x] == [
        "Teardown TCP connection 1 for outside:10.1.1.10/80 to inside:10.0.0.100/1135 "
        f"duration 0:00:29 bytes {nbytes} Xlate Clear"
    ]
    assert out(cli, "show conn") == "0 in use, 1 most used.\n"


def test_clear_logging_buffer() -> None:
    cli = bo(fresh(30))
    assert out(cli, "clear logging buffer") == ""
    assert out(cli, "show logging") == LOGGING_HEAD.format(stamp="disabled", count=8)


# -- configuration commands: what each one does to `show running-config` ------------------------


@pytest.mark.parametrize(
    ("lines", "show", "expected"),
    [
        (["sysopt connection preserve-vpn-flows"], "show run sysopt",
         "sysopt connection preserve-vpn-flows\n"),
        (["sysopt connection preserve-vpn-flows", "no sysopt connection preserve-vpn-flows"],
         "show run sysopt", ""),
        (["no sysopt connection reclassify-vpn"], "show run sysopt",
         "no sysopt connection reclassify-vpn\n"),
        (["no sysopt connection reclassify-vpn", "sysopt connection reclassify-vpn"],
         "show run sysopt", ""),
        (["crypto isakmp policy 10", "lifetime 3600"], "show run crypto isakmp",
         "crypto isakmp enable outside\ncrypto isakmp policy 10\n authentication pre-share\n"
         " encryption aes-256\n hash sha\n group 2\n lifetime 3600\n"),
        (["crypto isakmp policy 50 lifetime 0"], "show run crypto isakmp",
         "crypto isakmp enable outside\ncrypto isakmp policy 10\n authentication pre-share\n"
         " encryption aes-256\n hash sha\n group 2\n lifetime 86400\n"
         "crypto isakmp policy 50\n authentication pre-share\n encryption 3des\n hash sha\n"
         " group 2\n lifetime 0\n"),
        (["crypto ipsec security-association lifetime seconds 3600"], "show run crypto ipsec",
         "crypto ipsec transform-set ESP-AES-256-SHA esp-aes-256 esp-sha-hmac\n"
         "crypto ipsec security-association lifetime seconds 3600\n"),
        (["crypto ipsec security-association lifetime kilobytes 10000"], "show run crypto ipsec",
         "crypto ipsec transform-set ESP-AES-256-SHA esp-aes-256 esp-sha-hmac\n"
         "crypto ipsec security-association lifetime kilobytes 10000\n"),
        (["crypto map outside_map 10 set security-association lifetime seconds 3600"],
         "show run crypto map",
         "crypto map outside_map 10 match address 100\n"
         "crypto map outside_map 10 set peer 209.165.200.10\n"
         "crypto map outside_map 10 set transform-set ESP-AES-256-SHA\n"
         "crypto map outside_map 10 set security-association lifetime seconds 3600\n"
         "crypto map outside_map interface outside\n"),
        (["crypto map outside_map 10 set security-association lifetime kilobytes 50000"],
         "show run crypto map",
         "crypto map outside_map 10 match address 100\n"
         "crypto map outside_map 10 set peer 209.165.200.10\n"
         "crypto map outside_map 10 set transform-set ESP-AES-256-SHA\n"
         "crypto map outside_map 10 set security-association lifetime kilobytes 50000\n"
         "crypto map outside_map interface outside\n"),
        (["timeout conn 2:00:00 half-closed 0:20:00"], "show run timeout",
         "timeout xlate 3:00:00\n"
         "timeout conn 2:00:00 half-closed 0:20:00 udp 0:02:00 icmp 0:00:02\n"),
        (["timeout udp 0:05:00"], "show run timeout",
         "timeout xlate 3:00:00\n"
         "timeout conn 1:00:00 half-closed 0:10:00 udp 0:05:00 icmp 0:00:02\n"),
        (["timeout conn 0:0:0"], "show run timeout",
         "timeout xlate 3:00:00\n"
         "timeout conn 0:00:00 half-closed 0:10:00 udp 0:02:00 icmp 0:00:02\n"),
        (["no logging enable", "logging timestamp", "logging buffered debugging",
          "logging console 3"], "show run logging",
         "logging timestamp\nlogging console errors\nlogging buffered debugging\n"),
        (["no logging buffered"], "show run logging", "logging enable\n"),
        (["tunnel-group 209.165.200.10 ipsec-attributes", "isakmp keepalive threshold 30 retry 5"],
         "show run tunnel-group",
         "tunnel-group 209.165.200.10 type ipsec-l2l\n"
         "tunnel-group 209.165.200.10 ipsec-attributes\n pre-shared-key *\n"
         " isakmp keepalive threshold 30 retry 5\n"),
        (["tunnel-group 209.165.200.10 ipsec-attributes", "isakmp keepalive disable"],
         "show run tunnel-group 209.165.200.10",
         "tunnel-group 209.165.200.10 type ipsec-l2l\n"
         "tunnel-group 209.165.200.10 ipsec-attributes\n pre-shared-key *\n"
         " isakmp keepalive disable\n"),
        (["tunnel-group 209.165.200.10 ipsec-attributes", "isakmp keepalive disable",
          "no isakmp keepalive"], "show run tunnel-group", BO_TUNNEL_GROUP),
        (["service resetoutside", "service resetinbound"], "show run service",
         "service resetinbound\nservice resetoutside\n"),
        (["service resetoutside", "no service resetoutside"], "show run service", ""),
        (["interface Ethernet0/0", "shutdown"], "show run interface outside",
         "!\ninterface Ethernet0/0\n shutdown\n nameif outside\n security-level 0\n"
         " ip address 209.165.201.2 255.255.255.248\n"),
        (["interface e0/0", "shutdown", "no shutdown"], "show run interface Ethernet0/0",
         "!\n" + BO_INTERFACES.split("!\n")[1]),
    ],
)  # fmt: skip
def test_config_commands_change_the_running_config(
    lines: list[str], show: str, expected: str
) -> None:
    cli = bo(fresh(0))
    cli.type("configure terminal")
    for line in lines:
        typed = cli.type(line)
        assert typed.endswith(f"# {line}\n"), typed  # accepted: no output
    cli.type("end")
    assert out(cli, show) == expected
    assert cli.errors == 0


@pytest.mark.parametrize(
    ("mode", "line", "error"),
    [
        ([], "crypto ipsec security-association lifetime seconds 119", "caret"),
        ([], "crypto ipsec security-association lifetime seconds 2147483648", "caret"),
        ([], "crypto ipsec security-association lifetime seconds 0", "caret"),
        ([], "crypto map outside_map 10 set security-association lifetime seconds 60", "caret"),
        (["crypto isakmp policy 10"], "lifetime 119", "caret"),
        ([], "timeout conn 0:04:59",
         "ERROR: timeout value 0:04:59 is below the minimum 5 minutes"),
        ([], "timeout half-closed 0:01:00",
         "ERROR: timeout value 0:01:00 is below the minimum 5 minutes"),
        ([], "logging buffered 8", "caret"),
        (["tunnel-group 209.165.200.10 ipsec-attributes"], "isakmp keepalive threshold 10 retry 11",
         "caret"),
        ([], "sysopt connection", "ERROR: % Incomplete command."),
    ],
)  # fmt: skip
def test_config_commands_enforce_their_ranges(mode: list[str], line: str, error: str) -> None:
    cli = bo(fresh(0))
    cli.type("configure terminal")
    for x in mode:
        cli.type(x)
    before = out(cli, "do show running-config all")
    prompt = cli.prompt
    answer = cli.type(line)
    if error == "caret":
        word = next(w for w in reversed(line.split()) if w[0].isdigit())
        column = len(prompt) + line.rindex(word)
        error = " " * column + "^\n" + INVALID
    assert answer == f"{prompt}{line}\n{error}\n"
    assert out(cli, "do show running-config all") == before


def test_ctrl_z_ends_configuration_mode() -> None:
    cli = bo(fresh(0))
    cli.type("configure terminal")
    cli.type("interface Ethernet0/1")
    assert cli.type("shutdown\x1a") == "BO-ASA(config-if)# shutdown^Z\n"
    assert cli.prompt == "BO-ASA# "
    assert " shutdown\n" in out(cli, "show running-config interface inside")
    cli.type("conf t")
    assert cli.type("\x1a") == "BO-ASA(config)# ^Z\n"
    assert cli.prompt == "BO-ASA# "
