"""A real client reads the lab: ntc-templates, the TextFSM templates network automation
runs against real ASAs, parses what a 9.8 pair prints, and the parsed fields equal the
engine's state. (Its test fixtures, tests/cisco_asa/*/*.raw in networktocode/ntc-templates,
are the real captures the formats were checked against.)

Templates used as they are; where one cannot read the lab, the reason is written beside
the command (the template, not the lab, is the narrower one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ntc_templates
import pytest
import textfsm

from lab.engine import Simulation, parse_scenario, vpn
from lab.engine.cli import CliSession
from lab.engine.library import builtin_dict
from lab.engine.units import S

TEMPLATES = Path(ntc_templates.__file__).parent / "templates"
PEER = "209.165.200.10"


def parse(cli: CliSession, command: str, template: str) -> list[dict[str, Any]]:
    text = cli.type(command).split("\n", 1)[1]
    with (TEMPLATES / f"cisco_asa_{template}.textfsm").open() as f:
        fsm = textfsm.TextFSM(f)
        rows = fsm.ParseText(text)
    return [dict(zip(fsm.header, row, strict=True)) for row in rows]


@pytest.fixture(scope="module")
def sim() -> Simulation:
    """preserve-both on a 9.8 pair at 100 s: the download runs through the tunnel."""
    data = builtin_dict("preserve-both")
    for node in data["topology"]["nodes"]:
        if node["kind"] == "asa":
            node["version"] = "9.8(4)"
    sim = Simulation(parse_scenario(data))
    sim.advance_to(100 * S)
    return sim


@pytest.fixture
def cli(sim: Simulation) -> CliSession:
    return CliSession(sim, "bo-asa", privileged=True)


def test_show_crypto_ipsec_sa(sim: Simulation, cli: CliSession) -> None:
    [row] = parse(cli, "show crypto ipsec sa", "show_crypto_ipsec_sa")
    gw, t = sim.gateways["bo-asa"], sim.tunnels["bo-ho"]
    sa, n = gw.sas["bo-ho"], vpn.sa_traffic(sim, t, sim.gateways["bo-asa"])
    assert row["CURRENT_PEER"] == PEER and row["CRYPTO_MAP_TAG"] == "outside_map"
    assert (row["LOCAL_IDENTITY_ADDR"], row["REMOTE_IDENTITY_ADDR"]) == ("10.0.0.0", "10.1.1.0")
    assert int(row["PACKETS_ENCAPSULATED"]) == n.pkts_out
    assert int(row["PACKETS_DECAPSULATED"]) == n.pkts_in
    assert row["INBOUND_SPI_HEX"] == f"0x{sa.spi_in:08X}"
    assert row["OUTBOUND_SPI_HEX"] == f"0x{sa.spi_out:08X}"
    assert row["INBOUND_SETTINGS_IN_USE"] == "L2L, Tunnel, IKEv1"
    assert int(row["INBOUND_REMAINING_LIFETIME_KILOBYTES"]) == sa.lifetime_kb - n.bytes_in // 1024
    assert int(row["OUTBOUND_REMAINING_LIFETIME_KILOBYTES"]) == (
        sa.lifetime_kb - n.bytes_out // 1024
    )


def test_show_asp_table_vpn_context_detail(sim: Simulation, cli: CliSession) -> None:
    rows = parse(cli, "show asp table vpn-context detail", "show_asp_table_vpn-context_detail")
    sa = sim.gateways["bo-asa"].sas["bo-ho"]
    assert [(r["FLAGS"], r["SPI"]) for r in rows] == [
        ("DECR+ESP+PRESERVE", f"0x{sa.spi_in:08X}"),
        ("ENCR+ESP+PRESERVE", f"0x{sa.spi_out:08X}"),
    ]


def test_show_logging(sim: Simulation, cli: CliSession) -> None:
    rows = parse(cli, "show logging", "show_logging")
    assert [r["MNEMONIC"] for r in rows] == [str(x.msg_id) for x in sim.gateways["bo-asa"].buffer]


def test_show_interface_ip_brief(cli: CliSession) -> None:
    rows = parse(cli, "show interface ip brief", "show_interface_ip_brief")
    assert [(r["INTERFACE"], r["IP_ADDRESS"], r["STATUS"]) for r in rows] == [
        ("Ethernet0/0", "209.165.201.2", "up"),
        ("Ethernet0/1", "10.0.0.1", "up"),
    ]


def test_show_vpn_sessiondb_detail_l2l(sim: Simulation, cli: CliSession) -> None:
    rows = parse(cli, "show vpn-sessiondb detail l2l", "show_vpn-sessiondb_detail_l2l")
    gw, t = sim.gateways["bo-asa"], sim.tunnels["bo-ho"]
    total, n = vpn.session_traffic(sim, t, gw), vpn.sa_traffic(sim, t, gw)
    ike, ipsec = rows
    assert ike["SESSION_TYPE"] == "LAN-to-LAN" and ike["CONNECTION"] == PEER
    assert ike["PROTOCOL"] == "IKEv1 IPsec" and ike["CONNECTION_TYPE"] == "IKEv1"
    assert int(ike["TOTAL_BYTES_TRANSMITTED"]) == total.bytes_out
    assert int(ike["TOTAL_BYTES_RECEIVED"]) == total.bytes_in
    assert (ike["ENCRYPTION_METHOD"], ike["HASH_METHOD"], ike["DH_GROUP"]) == (
        "AES256",
        "SHA1",
        "2",
    )
    assert ike["REKEY_INTERVAL"] == "86400"
    assert ipsec["CONNECTION_TYPE"] == "IPsec" and ipsec["REKEY_INTERVAL"] == "28800"
    assert (ipsec["LOCAL_ADDRESS_NETWORK"], ipsec["REMOTE_ADDRESS_NETWORK"]) == (
        "10.0.0.0",
        "10.1.1.0",
    )
    assert int(ipsec["BYTES_RECEIVED"]) == n.bytes_in
    assert int(ipsec["PACKETS_TRANSMITTED"]) == n.pkts_out


def test_show_asp_drop_flow_during_the_outage() -> None:
    """The whole `show asp drop` is refused by the template on the lab's frame reason
    `ipsec-need-sa`, which its list of reasons lacks; the flow part parses."""
    data = builtin_dict("preserve-both")
    for node in data["topology"]["nodes"]:
        if node["kind"] == "asa":
            node["version"] = "9.8(4)"
    sim = Simulation(parse_scenario(data))
    sim.advance_to(170 * S)  # the internet link is cut from 120 s to 180 s
    [row] = parse(CliSession(sim, "bo-asa", privileged=True), "show asp drop flow", "show_asp_drop")
    count = sim.gateways["bo-asa"].asp_drops.get("vpn-handle-not-found", 0)
    assert row["FLOW_DROP_VPN_HANDLE_NOT_FOUND"] == (str(count) if count else "")
    assert row["FLOW_LAST_CLEARED"] == "Never"


def test_show_running_config_crypto_map(sim: Simulation, cli: CliSession) -> None:
    [row] = parse(cli, "show running-config crypto map", "show_running-config_crypto_map")
    entry = sim.gateways["bo-asa"].cfg.crypto_maps[("outside_map", 10)]  # type: ignore[union-attr]
    assert (row["MAP"], row["SEQ"], row["PEER"], row["IKE"], row["TRANSFORM"]) == (
        "outside_map",
        "10",
        entry.peers[0],
        "ikev1",
        entry.transform_sets[0],
    )
    all_rows = parse(
        cli, "show running-config all crypto map", "show_running-config_all_crypto_map"
    )
    assert [r["PEER"] for r in all_rows] == [PEER]


def test_show_running_config_crypto_ikev1_and_tunnel_group(cli: CliSession) -> None:
    [policy] = parse(cli, "show running-config crypto ikev1", "show_running-config_crypto_ikev1")
    assert (policy["POLICY_ID"], policy["ENCRYPTION"], policy["DH_GROUP"]) == (
        "10",
        "aes-256",
        "group 2",
    )
    [group] = parse(cli, "show running-config tunnel-group", "show_running-config_tunnel-group")
    assert (group["NAME"], group["TYPE"], group["IKEV1_PSK"]) == (PEER, "ipsec-l2l", "*****")


def test_show_version(sim: Simulation, cli: CliSession) -> None:
    [row] = parse(cli, "show version", "show_version")
    assert (row["VERSION"], row["HOSTNAME"], row["UPTIME"]) == ("9.8(4)", "BO-ASA", "1 min 40 secs")
    assert row["INTERFACES"] == ["Ethernet0/0", "Ethernet0/1"]
    assert row["IMAGE"] == "disk0:/asa984-smp-k8.bin"


def test_show_running_config_ipsec(cli: CliSession) -> None:
    [row] = parse(cli, "show running-config crypto ipsec", "show_running-config_ipsec")
    assert (row["IKE_VERSION"], row["NAME"], row["ENCRYPTION"], row["AUTH"]) == (
        "1",
        "ESP-AES-256-SHA",
        ["esp-aes-256"],
        ["esp-sha-hmac"],
    )
