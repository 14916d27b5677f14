"""Realistic 8.2, 8.4 and 9.8 running configs (tests/engine/fixtures/configs, written for
the lab in the layout real devices print): each imports with zero errors, `show run`
round-trips, the pair builds its IKEv1 tunnel, and broken pairs are named line by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.engine import Simulation, parse_scenario
from lab.engine.acl import protected
from lab.engine.asaconfig import MASKED_PSK_PLACEHOLDER, import_config
from lab.engine.cli import CliSession, running
from lab.engine.library import builtin_dict
from lab.engine.pairs import pair_problems
from lab.engine.profiles import for_node
from lab.engine.units import S
from lab.scenarios.derive import derive_scenario

CONFIGS = Path(__file__).parent / "fixtures" / "configs"
TRAINS = ("82", "84", "98")


def text(name: str) -> str:
    return (CONFIGS / f"{name}.cfg").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [f"asa{v}-{side}" for v in TRAINS for side in ("bo", "ho")])
def test_it_imports_with_zero_errors_and_round_trips(name: str) -> None:
    result = import_config(text(name))
    assert result.errors == []
    cfg = result.config
    printed = running.render(cfg, profile=for_node(cfg.version))
    again = import_config(printed)
    assert again.errors == []
    assert again.config == cfg
    assert running.render(again.config, profile=for_node(cfg.version)) == printed


def test_a_masked_key_is_a_note_and_a_placeholder() -> None:
    result = import_config(text("asa98-bo"))
    cfg = result.config
    assert cfg.tunnel_group("209.165.200.10").pre_shared_key == MASKED_PSK_PLACEHOLDER
    groups = dict(result.warning_groups())
    assert [n for n, _ in groups["notes"]] == [146]  # ` ikev1 pre-shared-key *****`
    assert "masked (*****)" in groups["notes"][0][1]
    assert list(groups)[0] == "notes"  # notes first, then the kept lines by section
    assert len(groups["policy-map"]) == 12 and len(groups["call-home"]) == 9


def test_the_9x_show_run_prints_what_9x_prints() -> None:
    cfg = import_config(text("asa98-bo")).config
    lines = running.render(cfg, profile=for_node(cfg.version)).splitlines()
    assert "timeout conn 1:00:00 half-closed 0:10:00 udp 0:02:00 sctp 0:02:00 icmp 0:00:02" in lines
    assert "crypto map outside_map 10 set ikev1 transform-set ESP-AES-256-SHA" in lines
    assert " ikev1 pre-shared-key *****" in lines
    assert (
        lines.index(" management-only") == lines.index(" ip address 192.168.1.1 255.255.255.0") + 1
    )
    # kept lines stay with their section and in the order they were read
    assert lines.index("no failover") == lines.index("mtu management 1500") + 1
    assert lines.index("crypto ipsec security-association pmtu-aging infinite") == (
        lines.index("crypto ipsec security-association lifetime kilobytes 4608000") + 1
    )


def test_the_crypto_acl_resolves_its_object_groups() -> None:
    cfg = import_config(text("asa98-bo")).config
    pairs = [(str(a), str(b)) for _, a, b in protected(cfg, "outside_cryptomap")]
    assert pairs == [("10.0.0.0/24", "10.1.1.0/24")]


@pytest.mark.parametrize("train", TRAINS)
def test_the_pair_builds_its_ikev1_tunnel(train: str) -> None:
    derivation = derive_scenario(
        text(f"asa{train}-bo"),
        text(f"asa{train}-ho"),
        slug="x",
        template=builtin_dict("default-drop"),
    )
    assert derivation.ok
    assert [t for t, _ in derivation.groups["bo"]][:1] != ["tunnel"]  # no pair problem
    assert derivation.scenario is not None
    sim = Simulation(parse_scenario(derivation.scenario))
    sim.advance_to(30 * S)
    bo = sim.gateways["bo-asa"]
    assert "bo-ho" in bo.ike_up and "bo-ho" in bo.sas
    cli = CliSession(sim, "bo-asa", privileged=True)
    sa = cli.type("show crypto ipsec sa").split("\n", 1)[1]
    assert "local ident (addr/mask/prot/port): (10.0.0.0/255.255.255.0/0/0)" in sa
    settings = {  # 8.2 and 8.4 configs `set pfs`; only 8.4+ name the IKE version
        "82": "{L2L, Tunnel, PFS Group 2, }",
        "84": "{L2L, Tunnel, PFS Group 2, IKEv1, }",
        "98": "{L2L, Tunnel, IKEv1, }",
    }[train]
    assert f"in use settings ={settings}" in sa
    sessions = cli.type("show vpn-sessiondb detail l2l")
    pfs = "  Encapsulation: Tunnel                 PFS Group    : 2\n"  # the 9.x capture's layout
    assert (pfs in sessions) == (train != "98")
    logged = "\n".join(sim.syslog("bo-asa"))
    assert "713119" in logged and "PHASE 1 COMPLETED" in logged


def _problems(bo: str, ho: str) -> list[tuple[str, str]]:
    return pair_problems(import_config(bo).config, import_config(ho).config, ("bo", "ho"))


def test_the_same_config_twice_is_named() -> None:
    [(side, message)] = _problems(text("asa98-bo"), text("asa98-bo"))
    assert "the same config twice" in message and "209.165.201.2" in message


def test_a_peer_that_is_not_the_other_side_is_named() -> None:
    ho = text("asa98-ho").replace("set peer 209.165.201.2", "set peer 198.51.100.7")
    [(side, message)] = _problems(text("asa98-bo"), ho)
    assert side == "ho"
    assert "`crypto map outside_map 10 set peer 198.51.100.7` on HO" in message
    assert "BO's outside address is 209.165.201.2" in message


def test_crypto_acls_that_do_not_mirror_are_named() -> None:
    ho = text("asa98-ho").replace(
        " subnet 10.0.0.0 255.255.255.0", " subnet 10.0.9.0 255.255.255.0"
    )
    [(_, message)] = _problems(text("asa98-bo"), ho)
    assert "do not mirror" in message
    assert "match address outside_cryptomap` protects `access-list outside_cryptomap" in message


def test_no_common_ike_policy_and_no_common_transform_set_are_named() -> None:
    ho = text("asa82-ho").replace(" encryption aes-256", " encryption 3des")
    ho = ho.replace("esp-aes-256 esp-sha-hmac", "esp-3des esp-md5-hmac")
    messages = [m for _, m in _problems(text("asa82-bo"), ho)]
    assert any("no IKE policy in common" in m and "encryption 3des" in m for m in messages)
    assert any("no transform set in common" in m and "esp-3des esp-md5-hmac" in m for m in messages)


def test_different_keys_are_named_without_printing_them() -> None:
    bo = text("asa82-bo").replace(" pre-shared-key *", " pre-shared-key one-key")
    ho = text("asa82-ho").replace(" pre-shared-key *", " pre-shared-key another-key")
    [(_, message)] = _problems(bo, ho)
    assert "pre-shared keys differ" in message and "tunnel-group 209.165.200.10" in message
    assert "one-key" not in message and "another-key" not in message


def test_a_large_config_imports_in_linear_time() -> None:
    """Issue #15: 121 KB of `crypto isakmp en-` / `able outside` took 53 s (each kept line
    walked back over all the others). 20,000 pairs: quadratic would be ~10^8 rank calls."""
    calls = 0
    from lab.engine import configtext

    real = configtext.known_rank

    def counting(line: str) -> int | None:
        nonlocal calls
        calls += 1
        return real(line)

    configtext.known_rank = counting  # type: ignore[assignment]
    try:
        result = import_config("crypto isakmp en-\nable outside\n" * 20_000)
    finally:
        configtext.known_rank = real  # type: ignore[assignment]
    assert result.errors == [] and len(result.config.unmodelled) == 40_000
    assert calls <= 40_000  # one look-up per line


@pytest.mark.parametrize("train", TRAINS)
def test_its_show_run_all_imports_with_zero_errors(train: str) -> None:
    cfg = import_config(text(f"asa{train}-bo")).config
    again = import_config(running.render(cfg, all_=True, profile=for_node(cfg.version)))
    assert again.errors == []
    assert again.config.crypto_maps == cfg.crypto_maps
    assert again.config.timeouts == cfg.timeouts and again.config.sysopt == cfg.sysopt
    before, after = cfg.tunnel_group("209.165.200.10"), again.config.tunnel_group("209.165.200.10")
    assert (after.type, after.pre_shared_key, after.keepalive_threshold) == (
        before.type,
        before.pre_shared_key,
        before.keepalive_threshold,
    )


def test_9x_show_run_all_lines_import() -> None:
    """Lines a 9.x `show run all` prints that a plain `show run` does not."""
    result = import_config(
        "ASA Version 9.16(4)\n"
        "crypto map WAN 10 match address VPN\n"
        "crypto map WAN 10 set connection-type bidirectional\n"
        "crypto map WAN 10 set peer 192.0.2.1\n"
        "crypto map WAN 10 set ikev1 phase1-mode main\n"
        "crypto map WAN 10 set ikev1 transform-set TS\n"
        "crypto map WAN 10 set ikev2 mode tunnel\n"
        "no crypto map WAN 10 set tfc-packets\n"
        "crypto map WAN 10 set pfs group14\n"
        "timeout conn-holddown 0:00:15\n"
        "timeout igp stale-route 0:01:10\n"
        "timeout arp-inspection-rate 0:00:00 conn 2:00:00\n"
        "tunnel-group DefaultL2LGroup ipsec-attributes\n"
        " no ikev1 pre-shared-key\n"
        " peer-id-validate req\n"
        " ikev2 remote-authentication pre-shared-key *****\n"
    )
    assert result.errors == []
    entry = result.config.crypto_maps[("WAN", 10)]
    assert (entry.peers, entry.transform_sets, entry.pfs_group) == (["192.0.2.1"], ["TS"], 14)
    assert result.config.timeouts.conn_s == 7200  # the modelled pair of a mixed line
    kept = result.config.unmodelled
    assert "timeout arp-inspection-rate 0:00:00" in kept  # the rest of that line, kept


def test_an_ikev2_pair_is_left_to_the_ikev2_rules() -> None:
    """No IKEv1 policy on either side is no problem when the pair speaks IKEv2."""
    ikev2 = "crypto ikev2 policy 1\n encryption aes-256\n integrity sha256\n group 14\n"
    bo = text("asa98-bo").replace("crypto ikev1 policy 10", ikev2 + "crypto ikev1 policy 10")
    ho = text("asa98-ho").replace(" encryption aes-256", " encryption 3des")
    assert _problems(bo, ho) == []
    assert _problems(text("asa98-bo"), ho) != []  # the same pair without IKEv2
