"""A PIX 6 node reads and prints PIX 6 syntax (issue 13, item 5): `nameif ethernet0
outside security0`, `ip address outside ...`, `isakmp key ...`, `sysopt connection
permit-ipsec`, onto the same config model the ASA lines fill."""

from __future__ import annotations

from pathlib import Path

from lab.engine.asaconfig import import_config
from lab.engine.cli import CliSession, running
from lab.engine.profiles import for_node

from .conftest import run

FIXTURE = Path(__file__).parent / "fixtures" / "configs" / "pix63-bo.cfg"
PIX6 = for_node("6.3(5)", "pix")


def test_a_pix_6_config_imports_with_zero_errors_into_the_model() -> None:
    result = import_config(FIXTURE.read_text(encoding="utf-8"))
    assert result.errors == []
    cfg = result.config
    assert cfg.version == "6.3(5)"
    outside = cfg.interface_by_nameif("outside")
    assert outside is not None and outside.name == "Ethernet0"
    assert outside.security_level == 0
    assert cfg.interface_by_nameif("inside") is not None
    assert cfg.interface_by_nameif("inside").security_level == 100  # type: ignore[union-attr]
    assert cfg.tunnel_group("209.165.200.10").pre_shared_key == "cisco123"
    assert cfg.isakmp_policies[10].encryption == "3des"
    assert cfg.isakmp_enabled == ["outside"]
    assert cfg.sysopt.permit_vpn
    entry = cfg.crypto_entry_for_peer("209.165.200.10")
    assert entry is not None and entry.match_address == "100"
    assert cfg.access_lists["100"] == [
        "access-list 100 extended permit ip 10.0.0.0 255.255.255.0 10.1.1.0 255.255.255.0"
    ]


def test_show_run_prints_pix_6_syntax_and_round_trips() -> None:
    cfg = import_config(FIXTURE.read_text(encoding="utf-8")).config
    printed = running.render(cfg, platform="pix", profile=PIX6, mask=False)
    lines = printed.splitlines()
    assert lines[2:7] == [
        "PIX Version 6.3(5) ",
        "interface ethernet0 auto",
        "interface ethernet1 100full",
        "nameif ethernet0 outside security0",
        "nameif ethernet1 inside security100",
    ]
    for line in (
        "ip address outside 209.165.201.2 255.255.255.248",
        "access-list 100 permit ip 10.0.0.0 255.255.255.0 10.1.1.0 255.255.255.0",
        "logging on",
        "timeout conn 1:00:00 half-closed 0:10:00 udp 0:02:00 rpc 0:10:00 h225 1:00:00",
        "sysopt connection permit-ipsec",
        "crypto map outside_map 10 ipsec-isakmp",
        "isakmp enable outside",
        "isakmp key cisco123 address 209.165.200.10 netmask 255.255.255.255"
        " no-xauth no-config-mode",
        "isakmp policy 10 authentication pre-share",
    ):
        assert line in lines
    assert not any(x.startswith(("tunnel-group", "crypto isakmp", " ", "!")) for x in lines)
    again = import_config(printed)
    assert again.errors == []
    assert again.config == cfg
    assert running.render(again.config, platform="pix", profile=PIX6, mask=False) == printed


def test_pix_6_masks_the_key_and_leaves_permit_ipsec_off_by_default() -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace("sysopt connection permit-ipsec\n", "")
    cfg = import_config(text).config
    assert not cfg.sysopt.permit_vpn
    printed = running.render(cfg, platform="pix", profile=PIX6)
    assert "isakmp key ******** address 209.165.200.10 netmask" in printed
    assert "permit-ipsec" not in printed and "permit-vpn" not in printed


def test_a_bad_pix_line_is_named_by_its_own_number() -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace(
        "ip address inside 10.0.0.1", "ip address dmz 10.0.0.1"
    )
    result = import_config(text)
    assert [n for n, _ in result.errors] == [20]
    assert "ip address dmz" in result.errors[0][1]


def test_only_a_pix_below_7_speaks_pix_6() -> None:
    assert PIX6.syntax == "pix6" and not PIX6.preserve_vpn_flows
    assert for_node("7.0(1)", "pix").syntax == "asa"
    assert for_node("6.3(5)", "asa").syntax == "asa"


def test_the_builtin_pix_speaks_pix_6_and_still_refuses_the_sysopt() -> None:
    sim = run("unsupported-platform")
    pix = CliSession(sim, "bo-pix", privileged=True)
    shown = pix.execute("show running-config")
    assert "PIX Version 6.0(1) \ninterface ethernet0 auto\n" in shown
    assert "isakmp key ******** address 209.165.200.10 netmask 255.255.255.255" in shown
    assert pix.execute("show running-config crypto map").splitlines()[0] == (
        "crypto map outside_map 10 ipsec-isakmp"
    )
    pix.execute("configure terminal")
    assert "not a valid sysopt option" in pix.execute("sysopt connection preserve-vpn-flows")
    assert any("-602303:" in x for x in sim.syslog("bo-pix"))  # the tunnel came up
    asa = CliSession(sim, "ho-asa", privileged=True).execute("show running-config")
    assert "ASA Version 8.2(1)" in asa and "crypto isakmp enable outside" in asa


def test_write_memory_on_a_pix_6_saves_pix_6_syntax() -> None:
    pix = CliSession(run("unsupported-platform", until_s=5), "bo-pix", privileged=True)
    assert "[OK]" in pix.execute("write memory")
    saved = pix.execute("show startup-config")
    assert "nameif ethernet0 outside security0" in saved and "tunnel-group" not in saved
