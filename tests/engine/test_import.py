"""Config import: the seed's sample config, the round trip through `show running-config`,
the seed's run-together text, and line-numbered warnings and errors."""

from __future__ import annotations

from pathlib import Path

from lab.engine.asaconfig import import_config
from lab.engine.cli import render_running_config
from lab.engine.library import builtin_dict

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = (FIXTURES / "seed-ciscoasa.cfg").read_text(encoding="utf-8")  # one command per line
PRINTED = (FIXTURES / "seed-printed.txt").read_text(encoding="utf-8")  # as the seed prints it


def body(text: str) -> list[str]:
    """Config lines without the header, the `!` separators and the checksum trailer."""
    skip = (":", "!", "ASA Version", "Cryptochecksum")
    return [x for x in text.splitlines() if x.strip() and not x.strip().startswith(skip)]


def test_it_imports_the_seed_sample_without_errors() -> None:
    result = import_config(SEED)
    cfg = result.config
    assert result.errors == []
    assert cfg.hostname == "CiscoASA" and cfg.version == "8.2(1)"
    assert cfg.sysopt.preserve_vpn_flows is True
    assert cfg.service.reset_outside is True
    assert cfg.crypto_maps[("map1", 5)].transform_sets == ["testSET"]
    assert cfg.crypto_map_interfaces == {"map1": "outside"}
    assert sorted(cfg.isakmp_policies) == [5, 10]
    assert cfg.isakmp_policies[10].encryption == "des"
    assert cfg.tunnel_groups["209.165.200.10"].type == "ipsec-l2l"
    assert cfg.interfaces["Ethernet0/2"].shutdown is True
    assert cfg.timeouts.conn_s == 3600 and cfg.timeouts.half_closed_s == 600
    assert (12, "kept but not simulated: speed 100") in result.warnings
    assert (9, "kept but not simulated: names") in result.warnings


def test_its_show_run_reproduces_the_seed_sample_in_the_asas_order() -> None:
    cfg = import_config(SEED).config
    assert body(render_running_config(cfg)) == body(SEED)


def test_it_round_trips_through_show_running_config() -> None:
    for text in [SEED] + [
        "\n".join(node["config"])
        for node in builtin_dict("default-drop")["topology"]["nodes"]
        if node.get("config")
    ]:
        cfg = import_config(text).config
        again = import_config(render_running_config(cfg, mask=False))
        assert again.errors == []
        assert again.config == cfg


def test_show_run_masks_the_pre_shared_key() -> None:
    text = "\n".join(builtin_dict("default-drop")["topology"]["nodes"][1]["config"])
    cfg = import_config(text).config
    assert " pre-shared-key *" in render_running_config(cfg).splitlines()
    assert " pre-shared-key cisco123" in render_running_config(cfg, mask=False).splitlines()


def test_it_recovers_the_seeds_run_together_text() -> None:
    """Every modelled command of the printed sample is recovered; the rest are warnings."""
    printed = import_config(PRINTED)
    reference = import_config(SEED).config
    assert printed.errors == []
    cfg = printed.config
    for name in (
        "interfaces",
        "routes",
        "access_lists",
        "transform_sets",
        "crypto_maps",
        "crypto_map_interfaces",
        "isakmp_enabled",
        "isakmp_policies",
        "tunnel_groups",
        "timeouts",
        "sysopt",
        "service",
    ):
        assert getattr(cfg, name) == getattr(reference, name), name
    warned = {text for _, text in printed.warnings}
    assert "kept but not simulated: telnet timeout 5" in warned
    assert "kept but not simulated: service-policy global_policy global" in warned
    # the commands recovered from one printed line keep that line's number
    assert (144, "kept but not simulated: ssh timeout 5") in printed.warnings


def test_it_keeps_sub_mode_lines_with_their_block() -> None:
    text = (
        "tunnel-group 10.0.0.1 type ipsec-l2l\n"
        "tunnel-group 10.0.0.1 general-attributes\n"
        " default-group-policy GP1\n"
        "tunnel-group 10.0.0.1 ipsec-attributes\n"
        " pre-shared-key k\n"
        " peer-id-validate nocheck\n"
        "group-policy GP1 attributes\n"
        " vpn-idle-timeout 30\n"
    )
    result = import_config(text)
    assert result.errors == []
    assert [n for n, _ in result.warnings] == [3, 6, 7, 8]
    shown = render_running_config(result.config, mask=False)
    assert body(shown) == [
        "hostname ciscoasa",
        "timeout conn 1:00:00 half-closed 0:10:00 udp 0:02:00 icmp 0:00:02",
        "group-policy GP1 attributes",
        " vpn-idle-timeout 30",
        "tunnel-group 10.0.0.1 type ipsec-l2l",
        "tunnel-group 10.0.0.1 general-attributes",
        " default-group-policy GP1",
        "tunnel-group 10.0.0.1 ipsec-attributes",
        " pre-shared-key k",
        " peer-id-validate nocheck",
    ]
    assert import_config(shown).config == result.config


def test_it_reports_invalid_lines_with_number_and_reason() -> None:
    result = import_config(
        "hostname X\n"
        "crypto map M 5 set pfs group9\n"
        "tunnel-group T type nonsense\n"
        "timeout conn 0:02:00\n"
    )
    assert [n for n, _ in result.errors] == [2, 3, 4]
    assert result.errors[2][1].startswith("ERROR: timeout value 0:02:00 is below the minimum")
    assert result.config.tunnel_groups == {} and result.config.crypto_maps == {}


def test_show_running_config_all_imports_to_the_same_behaviour() -> None:
    """`show run all` text reads back without errors; the defaults it spells out change
    nothing the lab simulates (they come back as kept lines, or as the same values)."""
    cfg = import_config(SEED).config
    again = import_config(render_running_config(cfg, all_=True, mask=False))
    assert again.errors == []
    new = again.config
    for name in ("sysopt", "timeouts", "logging", "service", "isakmp_policies"):
        assert getattr(new, name) == getattr(cfg, name), name
    for peer, tg in cfg.tunnel_groups.items():  # the lab reads type, key and keepalive
        got = new.tunnel_group(peer)
        assert (got.type, got.pre_shared_key, got.keepalive_threshold, got.keepalive_retry) == (
            tg.type,
            tg.pre_shared_key,
            tg.keepalive_threshold,
            tg.keepalive_retry,
        )
    for key, entry in cfg.crypto_maps.items():
        assert new.ipsec_lifetime_for(new.crypto_maps[key]) == cfg.ipsec_lifetime_for(entry)
    assert [(i.name, i.nameif, i.address, i.shutdown) for i in new.interfaces.values()] == [
        (i.name, i.nameif, i.address, i.shutdown) for i in cfg.interfaces.values()
    ]
    assert new.tunnel_group("192.0.2.1").keepalive_threshold == 10


def test_a_negated_top_level_line_is_one_command_not_run_together_text() -> None:
    result = import_config("hostname X\nno logging console\nno sysopt connection timewait\n")
    assert result.errors == []
    assert [n for n, _ in result.warnings] == [3]
