from __future__ import annotations

from lab.engine.asaconfig import Mode, apply_line, import_config
from lab.engine.library import builtin_dict

SEED_LINES = [
    "ASA Version 8.2(1)",
    "hostname CiscoASA",
    "interface Ethernet0/0",
    " speed 100",
    " nameif outside",
    " security-level 0",
    " ip address 209.165.201.2 255.255.255.248",
    "sysopt connection preserve-vpn-flows",
    "service resetoutside",
    "crypto isakmp policy 50 lifetime 0",
    "crypto map map1 5 set peer 209.165.200.10",
    "tunnel-group 209.165.200.10 type ipsec-l2l",
    "threat-detection basic-threat",
]


def test_it_imports_what_it_models_and_keeps_the_rest() -> None:
    result = import_config("\n".join(SEED_LINES))
    cfg = result.config
    assert result.errors == []
    assert cfg.hostname == "CiscoASA"
    assert cfg.sysopt.preserve_vpn_flows and cfg.service.reset_outside
    assert cfg.isakmp_policies[50].lifetime_s == 0
    assert cfg.crypto_maps[("map1", 5)].peers == ["209.165.200.10"]
    assert cfg.interfaces["Ethernet0/0"].extra == ["speed 100"]
    assert result.warnings == [
        (4, "kept but not simulated: speed 100"),
        (13, "kept but not simulated: threat-detection basic-threat"),
    ]
    assert cfg.unmodelled == ["threat-detection basic-threat"]


def test_it_reports_invalid_lines_with_their_number() -> None:
    result = import_config("hostname X\ncrypto ipsec security-association lifetime seconds 60\n")
    assert result.errors and result.errors[0][0] == 2
    assert "out of range 120-2147483647" in result.errors[0][1]


def test_it_enforces_the_conn_timeout_minimum() -> None:
    result = import_config("timeout conn 0:01:00\n")
    assert result.errors and "minimum" in result.errors[0][1]


def test_it_reads_every_builtin_config_without_errors() -> None:
    from lab.engine import BUILTIN_SLUGS

    for slug in BUILTIN_SLUGS:
        for node in builtin_dict(slug)["topology"]["nodes"]:
            if node.get("config"):
                assert import_config("\n".join(node["config"])).errors == [], (slug, node["id"])


def test_it_toggles_the_sysopt_with_the_no_form() -> None:
    cfg = import_config("sysopt connection preserve-vpn-flows\n").config
    apply_line(cfg, Mode(), "no sysopt connection preserve-vpn-flows")
    assert cfg.sysopt.preserve_vpn_flows is False
    assert cfg.sysopt.reclassify_vpn is True  # on by default (S0)
