"""The commands an ASA course uses to see a flow: packet-tracer, capture, debug, ping, the
tables and write memory (issue 13, item 4), on the built-in runs at the moments that
matter: before the tunnel, with SAs, during the outage (120-180 s, DPD at 138 s), after
the teardown (default-drop) or the resume (preserve-both)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import ntc_templates
import pytest
import textfsm

from lab.engine.cli.capture import BUFFER_BYTES, pcap_bytes, read_pcap
from lab.engine.forwarding import meet
from lab.engine.library import builtin_dict
from lab.engine.run import Runtime
from lab.engine.units import S

TEMPLATES = Path(ntc_templates.__file__).parent / "templates"
CLIENT, SERVER = "10.0.0.100", "10.1.1.10"
TRACE = f"packet-tracer input inside tcp {CLIENT} 1135 {SERVER} 80"


def runtime(slug: str, extra: dict[str, list[str]] | None = None, drop: str = "") -> Runtime:
    """A run of a built-in, with config lines added per device (and one line removed)."""
    data: dict[str, Any] = builtin_dict(slug)
    for node in data["topology"]["nodes"]:
        if "config" in node:
            node["config"] = [x for x in node["config"] if x != drop]
            node["config"] += (extra or {}).get(node["id"], [])
    rt = Runtime(data, None)
    for device in rt.sessions:
        typed(rt, "enable", device)
        typed(rt, "", device)
    return rt


def typed(rt: Runtime, line: str, device: str = "bo-asa") -> str:
    output: str = rt.apply({"do": "type", "device": device, "line": line})["output"]
    return output.split("\n", 1)[1]


def parse(template: str, text: str) -> list[dict[str, Any]]:
    with open(TEMPLATES / f"cisco_asa_{template}.textfsm") as f:
        fsm = textfsm.TextFSM(f)
    rows = fsm.ParseText(text)
    return [dict(zip(fsm.header, row, strict=True)) for row in rows]


def packets(shown: str) -> int:
    head = re.match(r"(\d+) packets captured\n", shown)
    assert head is not None, shown
    return int(head.group(1))


# -- packet-tracer --------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["default-drop", "preserve-both"])
def test_packet_tracer_before_the_tunnel_drops_at_vpn_encrypt_and_starts_ike(slug: str) -> None:
    rt = runtime(slug)
    rt.advance_to(S // 2)  # the download starts at 1 s
    out = typed(rt, TRACE)
    assert "Found no matching flow, creating a new flow" in out
    assert "Type: VPN\nSubtype: encrypt\nResult: DROP\n" in out
    assert out.endswith(
        "Action: drop\nDrop-reason: (acl-drop) Flow is denied by configured rule\n\n"
    )
    assert "Type: NAT-EXEMPT" in out and "nat (inside) 0 access-list nonat" in out
    assert rt.sim.tunnels["bo-ho"].state == "negotiating"  # as the real command does
    assert not rt.sim.gateways["bo-asa"].conns  # a traced packet builds no conn
    rt.advance_to(S)
    assert "bo-ho" in rt.sim.gateways["bo-asa"].sas


@pytest.mark.parametrize("slug", ["default-drop", "preserve-both"])
def test_packet_tracer_with_sas_finds_the_flow_and_encrypts(slug: str) -> None:
    rt = runtime(slug)
    rt.advance_to(60 * S)
    out = typed(rt, TRACE)
    assert out.startswith(
        "\nPhase: 1\nType: FLOW-LOOKUP\nSubtype:\nResult: ALLOW\nConfig:\n"
        "Additional Information:\nFound flow with id 1, using existing flow\n\n"
        "Phase: 2\nType: VPN\nSubtype: encrypt\nResult: ALLOW\n"
    )
    assert out.endswith("output-line-status: up\nAction: allow\n\n")


def test_packet_tracer_in_the_outage_default_drop_has_lost_the_conn() -> None:
    rt = runtime("default-drop")
    rt.advance_to(150 * S)
    out = typed(rt, TRACE)
    assert "Found no matching flow, creating a new flow" in out  # DPD tore the conn down
    assert "Type: VPN\nSubtype: encrypt\nResult: DROP\n" in out
    assert "output-status: down\n" in out and "Action: drop\n" in out
    gw = rt.sim.gateways["bo-asa"]
    assert meet(rt.sim, gw, "inside", "tcp", CLIENT, 1135, SERVER, 80, syn=False).drop == (
        "tcp-not-syn"
    )


def test_packet_tracer_in_the_outage_preserve_both_keeps_the_orphan_conn() -> None:
    rt = runtime("preserve-both")
    rt.advance_to(150 * S)
    out = typed(rt, TRACE)
    assert "Found flow with id 1, using existing flow" in out
    assert "Type: VPN\nSubtype: encrypt\nResult: DROP\n" in out
    assert "Action: drop\n" in out
    gw = rt.sim.gateways["bo-asa"]
    m = meet(rt.sim, gw, "inside", "tcp", CLIENT, 1135, SERVER, 80, syn=False)
    assert m.conn is not None and m.drop == "ipsec-need-sa"


def test_packet_tracer_after_the_resume_allows_the_preserved_flow() -> None:
    rt = runtime("preserve-both")
    rt.advance_to(300 * S)
    out = typed(rt, TRACE)
    assert "Found flow with id 1, using existing flow" in out
    assert "Type: VPN\nSubtype: encrypt\nResult: ALLOW\n" in out
    assert out.endswith("Action: allow\n\n")


def first_drop(rt: Runtime, device: str, until_s: int) -> dict[str, Any]:
    """Step the run to the first packet `device` drops (its trace record): a conn-table drop
    (`drop`) or a retransmission the box could not encrypt (`path` stopped there)."""
    while rt.now < until_s * S:
        drops = [
            e
            for e in rt.sim.loop.trace
            if (e["type"] == "drop" and e["device"] == device)
            or (e["type"] == "path" and e.get("where") == device)
        ]
        if drops:
            return drops[0]
        rt.advance_to(min(rt.sim.next_deadline() or until_s * S, until_s * S))
    raise AssertionError(f"{device} dropped nothing before {until_s} s")


def test_after_the_teardown_only_a_syn_builds_a_flow_as_the_engine_found() -> None:
    rt = runtime("default-drop")
    # HO's first retransmission after the teardown meets no conn (106015, RST)
    assert first_drop(rt, "ho-asa", 300)["kind"] == "data"
    ho = rt.sim.gateways["ho-asa"]
    data = meet(rt.sim, ho, "inside", "tcp", SERVER, 80, CLIENT, 1135, syn=False)
    assert data.conn is None and data.drop == "tcp-not-syn"
    out = typed(rt, f"packet-tracer input inside tcp {SERVER} 80 {CLIENT} 1135", "ho-asa")
    assert "Found no matching flow, creating a new flow" in out  # packet-tracer sends a SYN


def test_packet_tracer_refuses_an_unknown_interface_at_its_word() -> None:
    rt = runtime("default-drop")
    out = typed(rt, f"packet-tracer input dmz tcp {CLIENT} 1135 {SERVER} 80")
    assert "^" in out and "Invalid input detected" in out
    assert rt.sim.tunnels["bo-ho"].state == "down"


# -- capture --------------------------------------------------------------------------


def capture_for(rt: Runtime, start_s: float, seconds: float, device: str = "bo-asa") -> str:
    rt.advance_to(round(start_s * S))
    typed(rt, "no capture cap", device)
    typed(rt, f"capture cap interface inside match ip host {CLIENT} host {SERVER}", device)
    rt.advance_to(round((start_s + seconds) * S))
    return typed(rt, "show capture cap", device)


@pytest.mark.parametrize("slug", ["default-drop", "preserve-both"])
def test_show_capture_before_the_tunnel_holds_the_first_syn(slug: str) -> None:
    rt = runtime(slug)
    shown = capture_for(rt, 0.9, 0.15)
    assert packets(shown) == 1
    line = shown.splitlines()[2]
    assert re.fullmatch(
        r"    1: 09:00:01\.000000       10\.0\.0\.100\.1135 > 10\.1\.1\.10\.80: S (\d+):\1\(0\) "
        r"win 64240 <mss 1460,nop,wscale 7,nop,nop,sackOK>",
        line,
    ), line
    assert shown.endswith("1 packets shown\n")


@pytest.mark.parametrize("slug", ["default-drop", "preserve-both"])
def test_show_capture_with_sas_holds_data_and_acks(slug: str) -> None:
    rt = runtime(slug)
    shown = capture_for(rt, 60, 0.02)
    assert packets(shown) > 10
    assert re.search(r"10\.1\.1\.10\.80 > 10\.0\.0\.100\.1135: \. \d+:\d+\(1380\) ack \d+", shown)
    assert re.search(r"10\.0\.0\.100\.1135 > 10\.1\.1\.10\.80: \. ack \d+ win 2048", shown)
    typed(rt, "capture out interface outside")
    rt.advance_to(60 * S + S // 20)
    outside = typed(rt, "show capture out")
    assert "209.165.200.10 > 209.165.201.2:  ip-proto-50, length" in outside  # ESP only
    assert "10.1.1.10" not in outside


@pytest.mark.parametrize("slug", ["default-drop", "preserve-both"])
def test_show_capture_in_the_outage_is_empty(slug: str) -> None:
    rt = runtime(slug)
    shown = capture_for(rt, 150, 5)
    assert shown == "0 packets captured\n\n0 packets shown\n"


def test_show_capture_after_the_teardown_and_after_the_resume() -> None:
    dropped = runtime("default-drop")
    assert packets(capture_for(dropped, 300, 0.05)) == 0  # the download was reset at 138 s
    resumed = runtime("preserve-both")
    assert packets(capture_for(resumed, 300, 0.05)) > 10


@pytest.mark.parametrize(
    ("slug", "reason"),
    [
        ("default-drop", "(tcp-not-syn) First TCP packet not SYN"),
        ("preserve-both", "(ipsec-need-sa) IPSEC SA not negotiated yet"),
    ],
)
def test_asp_drop_capture_shows_what_the_box_dropped(slug: str, reason: str) -> None:
    rt = runtime(slug)
    rt.advance_to(100 * S)
    typed(rt, "capture asp type asp-drop", "ho-asa")
    dropped = first_drop(rt, "ho-asa", 300)  # HO's first retransmission the box dropped
    rt.advance_to(rt.now + 20 * S)
    shown = typed(rt, "show capture asp", "ho-asa")
    first = shown.splitlines()[2]  # that packet, as the pcap synthesis makes it
    at = dt.datetime.fromisoformat(rt.sim.scenario.start_clock)
    stamp = (at + dt.timedelta(microseconds=dropped["t_us"])).strftime("%H:%M:%S.%f")
    assert re.fullmatch(
        rf"    1: {re.escape(stamp)}       10\.1\.1\.10\.80 > 10\.0\.0\.100\.1135: P "
        r"(\d+):(\d+)\(1380\) ack \d+ win 502 Drop-reason: " + re.escape(reason),
        first,
    ), first
    assert "capture asp type asp-drop all [Capturing - " in typed(rt, "show capture", "ho-asa")


def test_capture_buffer_stops_at_512_kb_and_downloads_as_pcap() -> None:
    rt = runtime("preserve-both")
    typed(rt, "capture big interface inside")
    rt.advance_to(30 * S)
    listing = typed(rt, "show capture")
    found = re.fullmatch(
        r"capture big type raw-data interface inside \[Buffer Full - (\d+) bytes\]\n", listing
    )
    assert found is not None, listing
    assert BUFFER_BYTES - 1600 < int(found.group(1)) <= BUFFER_BYTES
    data = pcap_bytes(rt.sim, "bo-asa", "big")
    assert data[:4] == bytes.fromhex("d4c3b2a1")  # libpcap, microseconds, little-endian
    frames = read_pcap(data)
    assert sum(len(f) for _, f in frames) == int(found.group(1))
    assert len(frames) == packets(typed(rt, "show capture big"))
    typed(rt, "no capture big")
    assert typed(rt, "show capture") == ""


# -- debug ----------------------------------------------------------------------------


def test_debug_prints_the_negotiation_in_the_terminal_as_it_happens() -> None:
    rt = runtime("default-drop")
    typed(rt, "debug crypto isakmp 127")
    assert "Invalid input detected" in typed(rt, "debug crypto ikev1", "ho-asa")  # 8.2: no ikev1
    typed(rt, "debug crypto isakmp", "ho-asa")
    assert typed(rt, "show debug") == "debug crypto isakmp enabled at level 127\n"
    rt.advance_to(2 * S)
    bo = "\n".join(rt.terminal["bo-asa"])
    ho = "\n".join(rt.terminal["ho-asa"])
    assert (
        "Jun 15 09:00:01 [IKEv1]: IP = 209.165.200.10, IKE Initiator: New Phase 1, Intf inside, "
        "IKE Peer 209.165.200.10  local Proxy Address 10.0.0.0, remote Proxy Address 10.1.1.0,  "
        "Crypto map (outside_map)"
    ) in bo
    assert bo.count("IKE_DECODE SENDING") == 5 and bo.count("IKE_DECODE RECEIVED") == 4
    assert ho.count("IKE_DECODE SENDING") == 4 and ho.count("IKE_DECODE RECEIVED") == 5
    assert "New Phase 1" not in ho  # the responder did not initiate
    for text in (bo, ho):
        assert "Group = 209.165.20" in text and ", PHASE 1 COMPLETED" in text
        assert "PHASE 2 COMPLETED (msgid=" in text
    assert "[IKEv1 DEBUG]" in bo and "[IKEv1 DEBUG]" not in ho  # level 127 vs the default 1
    assert bo.index("PHASE 1 COMPLETED") < bo.index("PHASE 2 COMPLETED")
    typed(rt, "undebug all")
    assert typed(rt, "show debug") == ""
    rt.advance_to(200 * S)  # the outage's DPD teardown prints nothing now
    assert "torn down" not in "\n".join(rt.terminal["bo-asa"])
    assert "Session is being torn down. Reason: Lost Service" in "\n".join(rt.terminal["ho-asa"])


# -- ping -----------------------------------------------------------------------------


def test_ping_from_inside_brings_the_tunnel_up() -> None:
    rt = runtime("default-drop", {"bo-asa": ["management-access inside"]})
    rt.advance_to(S // 2)
    out = typed(rt, f"ping inside {SERVER}")
    assert out == (
        "Type escape sequence to abort.\n"
        f"Sending 5, 100-byte ICMP Echos to {SERVER}, timeout is 2 seconds:\n"
        ".!!!!\n"
        "Success rate is 80 percent (4/5), round-trip min/avg/max = 41/41/41 ms\n"
    )
    assert parse("ping", out)[0]["RESPONSE_STREAM"] == ".!!!!"
    assert rt.sim.tunnels["bo-ho"].state == "negotiating"
    rt.advance_to(S)
    assert "bo-ho" in rt.sim.gateways["bo-asa"].sas


def test_ping_without_management_access_or_source_gets_no_answer() -> None:
    rt = runtime("default-drop")
    rt.advance_to(S // 2)
    assert ".....\nSuccess rate is 0 percent (0/5)\n" in typed(rt, f"ping {SERVER}")
    assert rt.sim.tunnels["bo-ho"].state == "down"  # from the outside address: not crypto
    assert ".....\n" in typed(rt, f"ping inside {SERVER}")  # the reply is not answered
    assert rt.sim.tunnels["bo-ho"].state == "negotiating"
    assert "!!!!!\nSuccess rate is 100 percent (5/5), round-trip min/avg/max = 1/1/1 ms\n" in (
        typed(rt, f"ping {CLIENT}")
    )


# -- tables (golden) ------------------------------------------------------------------

ACL_60 = """\
access-list cached ACL log flows: total 0, denied 0 (deny-flow-max 4096)
            alert-interval 300
access-list 100; 1 elements; name hash: 0x237750ea
access-list 100 line 1 extended permit ip 10.0.0.0 255.255.255.0 10.1.1.0 255.255.255.0 \
(hitcnt=1) 0xb673d8a6
access-list nonat; 1 elements; name hash: 0xeaa2d08d
access-list nonat line 1 extended permit ip 10.0.0.0 255.255.255.0 10.1.1.0 255.255.255.0 \
(hitcnt=1) 0x69e36afc
"""

ROUTE = """\
Codes: C - connected, S - static, I - IGRP, R - RIP, M - mobile, B - BGP
       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area
       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2
       E1 - OSPF external type 1, E2 - OSPF external type 2, E - EGP
       i - IS-IS, L1 - IS-IS level-1, L2 - IS-IS level-2, ia - IS-IS inter area
       * - candidate default, U - per-user static route, o - ODR
       P - periodic downloaded static route

Gateway of last resort is 209.165.201.1 to network 0.0.0.0

C    209.165.201.0 255.255.255.248 is directly connected, outside
C    10.0.0.0 255.255.255.0 is directly connected, inside
S*   0.0.0.0 0.0.0.0 [1/0] via 209.165.201.1, outside
"""

NAT_82 = """\
NAT policies on Interface inside:
  match ip inside 10.0.0.0 255.255.255.0 outside 10.1.1.0 255.255.255.0
    NAT exempt
    translate_hits = 1, untranslate_hits = 0
"""

LOCAL_HOST = """\
Interface outside: 1 active, 1 maximum active, 0 denied
local host: <10.1.1.10>,
    TCP flow count/limit = 1/unlimited
    TCP embryonic count to host = 0
    TCP intercept watermark = unlimited
    UDP flow count/limit = 0/unlimited
  Conn:
    TCP outside 10.1.1.10:80 inside 10.0.0.100:1135, idle 0:00:00, flags UIO
Interface inside: 1 active, 1 maximum active, 0 denied
local host: <10.0.0.100>,
    TCP flow count/limit = 1/unlimited
    TCP embryonic count to host = 0
    TCP intercept watermark = unlimited
    UDP flow count/limit = 0/unlimited
  Conn:
    TCP outside 10.1.1.10:80 inside 10.0.0.100:1135, idle 0:00:00, flags UIO
"""

SUMMARY = """\
---------------------------------------------------------------------------
VPN Session Summary
---------------------------------------------------------------------------
                               Active : Cumulative : Peak Concur : Inactive
                             ----------------------------------------------
Site-to-Site VPN             :      1 :          1 :           1
  IKEv1 IPsec                :      1 :          1 :           1
---------------------------------------------------------------------------
Total Active and Inactive    :      1             Total Cumulative :      1
Device Total VPN Capacity    :    250
Device Load                  :     0%
---------------------------------------------------------------------------
---------------------------------------------------------------------------
Tunnels Summary
---------------------------------------------------------------------------
                               Active : Cumulative : Peak Concurrent
                             ----------------------------------------------
IKEv1                        :      1 :          1 :               1
IPsec                        :      1 :          1 :               1
---------------------------------------------------------------------------
Totals                       :      2 :          2
---------------------------------------------------------------------------
"""


def test_the_tables_in_golden_form_with_sas() -> None:
    rt = runtime("preserve-both")
    rt.advance_to(60 * S)
    assert typed(rt, "show access-list") == ACL_60
    assert typed(rt, "show route") == ROUTE
    assert typed(rt, "show nat") == NAT_82
    assert typed(rt, "show xlate") == "0 in use, 0 most used\n"  # nat 0 builds no xlate
    assert typed(rt, "show local-host") == LOCAL_HOST
    assert typed(rt, "show vpn-sessiondb summary") == SUMMARY
    stats = typed(rt, "show crypto isakmp stats")
    assert stats.startswith("\nGlobal IKEv1 Statistics\n  Active Tunnels:              1\n")
    assert "  Out P2 Exchanges:            1\n" in stats  # BO initiated the quick mode
    assert (
        "  In Packets:                  4\n" in stats
        and "  Out Packets:                 5\n" in stats
    )
    assert "  Initiator Tunnels:           1\n" in stats
    ho_stats = typed(rt, "show crypto isakmp stats", "ho-asa")
    assert "  In P2 Exchanges:             1\n" in ho_stats
    assert "  Initiator Tunnels:           0\n" in ho_stats


def test_write_memory_saves_the_running_config() -> None:
    rt = runtime("default-drop")
    assert "hostname BO-ASA\n" in typed(rt, "show startup-config")  # the config it booted with
    assert "sysopt connection preserve-vpn-flows" not in typed(rt, "show startup-config")
    out = typed(rt, "write memory")
    assert re.fullmatch(
        r"Building configuration\.\.\.\nCryptochecksum: ([0-9a-f]{8} ){4}\n\n"
        r"\d+ bytes copied in \d+\.\d{3} secs\n\[OK\]\n",
        out,
    ), out
    again = typed(rt, "copy running-config startup-config")
    assert again.split("\n")[1] == out.split("\n")[1]  # same config, same checksum
    typed(rt, "configure terminal")
    typed(rt, "sysopt connection preserve-vpn-flows")
    typed(rt, "end")
    assert typed(rt, "wr mem").split("\n")[1] != out.split("\n")[1]
    assert "sysopt connection preserve-vpn-flows" in typed(rt, "show startup-config")


# -- what a real client (ntc-templates) reads ------------------------------------------


def test_ntc_templates_parse_the_tables_and_agree_with_the_engine() -> None:
    rt = runtime("preserve-both")
    rt.advance_to(60 * S)
    routes = parse("show_route", typed(rt, "show route"))
    assert {(r["PROTOCOL"], r["NETWORK"], r["NEXTHOPIF"]) for r in routes} == {
        ("C", "209.165.201.0", "outside"),
        ("C", "10.0.0.0", "inside"),
        ("S", "0.0.0.0", "outside"),
    }
    acl = parse("show_access-list", typed(rt, "show access-list 100"))
    entry = [r for r in acl if r["LINE_NUM"]][0]
    assert (entry["ACL_NAME"], entry["SRC_NETWORK"], entry["DST_NETWORK"], entry["HIT_COUNT"]) == (
        "100",
        "10.0.0.0",
        "10.1.1.0",
        str(len(rt.sim.gateways["bo-asa"].conns)),
    )
    summary = parse("show_vpn-sessiondb", typed(rt, "show vpn-sessiondb summary"))[0]
    assert summary["VPN_SESSION_ACTIVE"] == ["1", "1"]
    assert summary["TOTAL_ACTIVE_AND_INACTIVE"] == str(len(rt.sim.gateways["bo-asa"].ike_up))


def test_ntc_templates_parse_a_twice_nat_in_show_nat_and_show_xlate() -> None:
    rt = runtime("preserve-both", {"bo-asa": TWICE_NAT}, drop="nat (inside) 0 access-list nonat")
    rt.advance_to(60 * S)
    nat = parse("show_nat", typed(rt, "show nat"))
    assert [(r["SOURCE_REAL"], r["DESTINATION_REAL"], r["TRANSLATE_HITS"]) for r in nat] == [
        ("BO-LAN", "HO-LAN", "1")
    ]
    xlate = parse("show_xlate", typed(rt, "show xlate"))
    assert [(r["SOURCE_INTF"], r["SOURCE"], r["DESTINATION"]) for r in xlate] == [
        ("outside", ["10.1.1.0/24"], ["10.1.1.0/24"]),
        ("inside", ["10.0.0.0/24"], ["10.0.0.0/24"]),
    ]


# -- a 9.x pair -----------------------------------------------------------------------

TWICE_NAT = [
    "object network BO-LAN",
    " subnet 10.0.0.0 255.255.255.0",
    "object network HO-LAN",
    " subnet 10.1.1.0 255.255.255.0",
    "nat (inside,outside) source static BO-LAN BO-LAN destination static HO-LAN HO-LAN "
    "no-proxy-arp route-lookup",
]

TRACE_9X_BEFORE = """
Phase: 1
Type: ACCESS-LIST
Subtype:
Result: ALLOW
Config:
Implicit Rule
Additional Information:
MAC Access list

Phase: 2
Type: ROUTE-LOOKUP
Subtype: Resolve Egress Interface
Result: ALLOW
Config:
Additional Information:
found next-hop 209.165.201.1 using egress ifc  outside

Phase: 3
Type: NAT
Subtype:
Result: ALLOW
Config:
nat (inside,outside) source static BO-LAN BO-LAN destination static HO-LAN HO-LAN \
no-proxy-arp route-lookup
Additional Information:
Static translate 10.0.0.100/1135 to 10.0.0.100/1135

Phase: 4
Type: VPN
Subtype: encrypt
Result: DROP
Config:
Additional Information:

Result:
input-interface: inside
input-status: up
input-line-status: up
output-interface: outside
output-status: up
output-line-status: up
Action: drop
Drop-reason: (acl-drop) Flow is denied by configured rule

"""


def runtime_9x() -> Runtime:
    data: dict[str, Any] = builtin_dict("preserve-both")
    for node in data["topology"]["nodes"]:
        if "config" in node:
            node["version"] = "9.8(4)"
            node["config"] = [
                x.replace("ASA Version 8.2(1)", "ASA Version 9.8(4)")
                for x in node["config"]
                if x != "nat (inside) 0 access-list nonat"
            ]
            if node["id"] == "bo-asa":
                node["config"] += TWICE_NAT
    rt = Runtime(data, None)
    typed(rt, "enable")
    typed(rt, "")
    return rt


def test_packet_tracer_on_9x_prints_the_9x_phases() -> None:
    rt = runtime_9x()
    assert typed(rt, TRACE) == TRACE_9X_BEFORE
    rt.advance_to(60 * S)
    out = typed(rt, TRACE)
    assert "Found flow with id 1, using existing flow" in out and out.endswith("Action: allow\n\n")


def test_debug_ikev2_prints_the_four_init_and_auth_messages_and_ikev1_debug_none() -> None:
    rt = runtime("asa9-ikev2-preserve")
    typed(rt, "debug crypto ikev2 protocol 127")
    typed(rt, "debug crypto ikev1 127", "ho-asa")  # the HO end listens to the wrong version
    rt.advance_to(5 * S)
    bo = "\n".join(rt.terminal["bo-asa"])
    keys = rt.sim.tunnels["bo-ho"].ike_keys
    assert keys is not None
    assert bo.count("Sending Packet [To 209.165.200.10:500/From 209.165.201.2:500") == 2
    assert bo.count("Received Packet [From 209.165.200.10:500/To 209.165.201.2:500") == 2
    assert [x.split("IKEv2 ")[1] for x in bo.splitlines() if " Exchange " in x] == [
        "IKE_SA_INIT Exchange REQUEST",
        "IKE_SA_INIT Exchange RESPONSE",
        "IKE_AUTH Exchange REQUEST",
        "IKE_AUTH Exchange RESPONSE",
    ]
    spi_i = keys.spi_i.hex().upper()
    assert f"Initiator SPI : {spi_i} - Responder SPI : {'0' * 16} Message id: 0" in bo
    assert f"Responder SPI : {keys.spi_r.hex().upper()} Message id: 1" in bo
    assert "IKEv2" not in "\n".join(rt.terminal["ho-asa"])


def test_debug_on_9x_says_ikev1() -> None:
    rt = runtime_9x()
    typed(rt, "debug crypto ikev1 127")
    assert typed(rt, "show debug") == "debug crypto ikev1 enabled at level 127\n"


def test_show_route_on_9x_has_local_routes_and_parses() -> None:
    rt = runtime_9x()
    out = typed(rt, "show route")
    assert "L        10.0.0.1 255.255.255.255 is directly connected, inside\n" in out
    assert "S*       0.0.0.0 0.0.0.0 [1/0] via 209.165.201.1, outside\n" in out
    rows = parse("show_route", out)
    assert ("L", "10.0.0.1", "inside") in {
        (r["PROTOCOL"], r["NETWORK"], r["NEXTHOPIF"]) for r in rows
    }


@pytest.mark.parametrize("slug", ["default-drop", "preserve-both"])
def test_asp_drop_capture_before_the_tunnel_holds_the_syn_that_started_ike(slug: str) -> None:
    rt = runtime(slug)
    typed(rt, "capture asp type asp-drop ipsec-need-sa")
    rt.advance_to(5 * S)
    shown = typed(rt, "show capture asp")
    assert packets(shown) == 1 == rt.sim.gateways["bo-asa"].asp_drops["ipsec-need-sa"]
    assert re.fullmatch(
        r"    1: 09:00:01\.000000       10\.0\.0\.100\.1135 > 10\.1\.1\.10\.80: S (\d+):\1\(0\) "
        r"win 64240 <mss 1460,nop,wscale 7,nop,nop,sackOK> "
        r"Drop-reason: \(ipsec-need-sa\) IPSEC SA not negotiated yet",
        shown.splitlines()[2],
    )


def test_a_capture_replays_the_operators_actions_not_the_scenarios_own() -> None:
    from lab.engine.cli.capture import run_actions

    rt = runtime("default-drop")  # its script cuts the internet link at 120 s
    rt.advance_to(10 * S)
    rt.apply(
        {"do": "set_sysopt", "device": "ho-asa", "option": "preserve-vpn-flows", "enabled": True}
    )
    typed(rt, "show conn")
    rt.advance_to(130 * S)
    actions = run_actions(rt.sim)
    assert [(t // S, a["do"]) for t, a in actions] == [
        (0, "type"),  # enable, and the empty password, on each ASA
        (0, "type"),
        (0, "type"),
        (0, "type"),
        (10, "set_sysopt"),  # the lines the control typed are not replayed twice
        (10, "type"),
    ]
    assert actions[-1][1] == {"do": "type", "device": "bo-asa", "line": "show conn"}


def test_a_device_holds_a_bounded_number_of_captures() -> None:
    from lab.engine.cli.capture import MAX_CAPTURES

    rt = runtime("default-drop")
    for n in range(MAX_CAPTURES):
        assert typed(rt, f"capture c{n} interface inside") == ""
    assert typed(rt, "capture one-more interface inside").startswith("ERROR: ")
    assert typed(rt, "capture c0 interface outside") == ""  # the same name is replaced
    assert len(typed(rt, "show capture").splitlines()) == MAX_CAPTURES


def test_a_quick_mode_only_negotiation_is_told_apart_from_main_mode() -> None:
    rt = runtime("preserve-both")
    rt.advance_to(30 * S)
    typed(rt, "debug crypto isakmp", "ho-asa")
    typed(rt, "clear crypto ipsec sa")  # the IKE SA stays: the next SAs need quick mode only
    rt.advance_to(60 * S)
    ho = "\n".join(rt.terminal["ho-asa"])
    assert ho.count("IKE_DECODE") == 3 and "PHASE 1 COMPLETED" not in ho
    assert "PHASE 2 COMPLETED" in ho
    stats = typed(rt, "show crypto isakmp stats")
    assert "  Previous Tunnels:            0\n" in stats  # one IKE session all along
    assert "  Initiator Tunnels:           1\n" in stats
    p2 = [int(x) for x in re.findall(r"(?:In|Out) P2 Exchanges: +(\d+)", stats)]
    assert sum(p2) == 2
