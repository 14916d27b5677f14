"""Version profiles: each software train prints its own output (one golden per train for
what differs), refuses the commands it lacks, and every command of every profile runs on
every built-in at several moments without an exception."""

from __future__ import annotations

import pytest

from lab.engine import Simulation, parse_scenario
from lab.engine.cli import CliSession
from lab.engine.library import BUILTIN_SLUGS, builtin_dict
from lab.engine.profiles import LEGEND_8_0, LEGEND_8_4, LEGEND_9_16, PROFILES, for_node
from lab.engine.units import S

# One version per train: what a node would say it runs.
VERSIONS = {
    "8.0(3)": "8.0(3)",
    "8.0(4)": "8.0(4)",
    "8.2": "8.2(1)",
    "8.4": "8.4(7)",
    "9.1": "9.1(7)",
    "9.8": "9.8(4)",
    "9.16": "9.16(4)",
}
INVALID = "ERROR: % Invalid input detected at '^' marker."


def sim_on(version: str, t_s: float = 30, slug: str = "default-drop") -> Simulation:
    data = builtin_dict(slug)
    for node in data["topology"]["nodes"]:
        if node["kind"] == "asa" and node.get("platform", "asa") == "asa":
            node["version"] = version
    sim = Simulation(parse_scenario(data))
    sim.advance_to(round(t_s * S))
    return sim


def out(cli: CliSession, line: str) -> str:
    return cli.type(line).split("\n", 1)[1]


def test_every_train_has_a_row_and_versions_map_to_it() -> None:
    assert [p.train for p in PROFILES] == list(VERSIONS)
    for train, version in VERSIONS.items():
        assert for_node(version).train == train
    assert for_node("6.0(1)").train == "8.0(3)"  # older software: the oldest row
    assert for_node("9.20(2)").train == "9.16"
    assert for_node("").train == "8.0(3)"


ACTIVE = (
    "   Active SA: 1\n"
    "    Rekey SA: 0 (A tunnel will report 1 Active and 1 Rekey SA during rekey)\n"
    "Total IKE SA: 1\n\n"
    "1   IKE Peer: 209.165.200.10\n"
    "    Type    : L2L             Role    : initiator\n"
    "    Rekey   : no              State   : MM_ACTIVE\n\n"
)


@pytest.mark.parametrize("train", list(VERSIONS))
def test_show_crypto_isakmp_sa_per_train(train: str) -> None:
    cli = CliSession(sim_on(VERSIONS[train]), "bo-asa", privileged=True)
    expected = (
        ACTIVE
        if not for_node(VERSIONS[train]).ike_keywords
        else "IKEv1 SAs:\n\n" + ACTIVE + "There are no IKEv2 SAs\n"
    )
    assert out(cli, "show crypto isakmp sa") == expected
    ikev1 = out(cli, "show crypto ikev1 sa")
    if train in ("8.0(3)", "8.0(4)", "8.2"):
        assert ikev1 == " " * 20 + "^\n" + INVALID + "\n"  # 8.4 brought the keyword
    else:
        assert ikev1 == "IKEv1 SAs:\n\n" + ACTIVE


@pytest.mark.parametrize(
    ("train", "legend"),
    [("8.2", LEGEND_8_0), ("8.4", LEGEND_8_4), ("9.8", LEGEND_9_16), ("9.16", LEGEND_9_16)],
)
def test_the_conn_legend_per_train(train: str, legend: str) -> None:
    cli = CliSession(sim_on(VERSIONS[train]), "bo-asa", privileged=True)
    text = out(cli, "show conn long")
    assert text.split("\n", 1)[1].startswith(legend + "\n")
    snort = "N - inspected by Snort" in text
    assert snort == train.startswith("9.")  # Snort, Umbrella, cluster flags: 9.x only


@pytest.mark.parametrize("train", list(VERSIONS))
def test_what_show_crypto_ipsec_sa_prints_per_train(train: str) -> None:
    prof = for_node(VERSIONS[train])
    text = out(CliSession(sim_on(VERSIONS[train]), "bo-asa", privileged=True), "sh cry ips sa")
    settings = "{L2L, Tunnel, IKEv1, }" if prof.ike_keywords else "{L2L, Tunnel, }"
    assert text.count(f"in use settings ={settings}\n") == 2
    assert ("#TFC rcvd: 0, #TFC sent: 0" in text) == prof.tfc
    assert ("TFC packets: disabled" in text) == prof.tfc
    assert ("local crypto endpt.: 209.165.201.2/500," in text) == prof.ike_keywords
    assert text.count("Anti replay bitmap:\n") == 2  # both directions


@pytest.mark.parametrize("train", list(VERSIONS))
def test_show_run_masks_and_spells_per_train(train: str) -> None:
    prof = for_node(VERSIONS[train])
    lines = out(CliSession(sim_on(VERSIONS[train]), "bo-asa", privileged=True), "show run")
    lines_ = lines.splitlines()
    assert lines_[2] == f"ASA Version {VERSIONS[train]} "
    if prof.ike_keywords:
        assert " ikev1 pre-shared-key *****" in lines_
        assert "crypto ikev1 policy 10" in lines_
        assert "crypto map outside_map 10 set ikev1 transform-set ESP-AES-256-SHA" in lines_
    else:
        assert " pre-shared-key *" in lines_  # the seed's 8.2 form
        assert "crypto isakmp policy 10" in lines_
    sctp = "timeout conn 1:00:00 half-closed 0:10:00 udp 0:02:00 sctp 0:02:00 icmp 0:00:02"
    assert (sctp in lines_) == prof.timeout_sctp


@pytest.mark.parametrize("train", list(VERSIONS))
def test_show_version_banner_per_train(train: str) -> None:
    prof = for_node(VERSIONS[train])
    text = out(CliSession(sim_on(VERSIONS[train], 1), "bo-asa", privileged=True), "show ver")
    version = VERSIONS[train]
    digits = "".join(c for c in version if c.isdigit())
    assert text.startswith(
        f"\nCisco Adaptive Security Appliance Software Version {version}\n"
        f"Device Manager Version {prof.asdm}\n\n"
        f"Compiled on {prof.compiled} by builders\n"
        f'System image file is "disk0:/{prof.image.format(v=digits)}"\n'
    )
    assert f"\nHardware:   {prof.hardware}\n" in text


def test_8_0_3_does_not_offer_the_option_it_refuses() -> None:
    cli = CliSession(sim_on("8.0(3)", 0), "bo-asa", privileged=True)
    cli.type("configure terminal")
    offered = out(cli, "sysopt connection ?")
    assert "permit-vpn" in offered and "preserve-vpn-flows" not in offered
    assert out(cli, "sysopt connection pre?").endswith(INVALID + "\n")
    assert out(cli, "sysopt connection preserve-vpn-flows").endswith(INVALID + "\n")
    assert "preserve-vpn-flows" not in out(cli, "do show running-config all sysopt")
    later = CliSession(sim_on("8.0(4)", 0), "bo-asa", privileged=True)
    later.type("configure terminal")
    assert "preserve-vpn-flows" in out(later, "sysopt connection ?")
    assert "preserve-vpn-flows" in out(later, "do show running-config all sysopt")


def test_8_2_refuses_the_8_4_keywords_in_config_mode() -> None:
    cli = CliSession(sim_on("8.2(1)", 0), "bo-asa", privileged=True)
    cli.type("configure terminal")
    assert out(cli, "crypto ikev1 policy 20") == " " * 23 + "^\n" + INVALID + "\n"
    assert out(cli, "crypto ikev1 ?").endswith(INVALID + "\n")
    assert "ikev1" not in out(cli, "crypto ?")
    nine = CliSession(sim_on("9.8(4)", 0), "bo-asa", privileged=True)
    nine.type("configure terminal")
    assert out(nine, "crypto ikev1 policy 20") == ""


# Every `show` the lab offers, in each form; refused forms (ikev1 on 8.x) must refuse cleanly.
COMMANDS = (
    "show running-config",
    "show running-config all",
    "show running-config crypto",
    "show running-config crypto ikev1",
    "show running-config all tunnel-group",
    "show running-config interface outside",
    "show conn",
    "show conn count",
    "show conn detail",
    "show conn long",
    "show conn protocol tcp address 10.0.0.100",
    "show crypto isakmp sa",
    "show crypto isakmp sa detail",
    "show crypto ikev1 sa",
    "show crypto ikev1 sa detail",
    "show crypto ipsec sa",
    "show crypto ipsec sa detail",
    "show crypto ipsec sa peer 209.165.200.10",
    "show asp table vpn-context",
    "show asp table vpn-context detail",
    "show asp drop",
    "show vpn-sessiondb l2l",
    "show vpn-sessiondb detail l2l",
    "show logging",
    "show version",
    "show interface ip brief",
    "show clock",
    "show crypto ipsec sa | include spi",
)
MOMENTS_S = (0.5, 30, 150, 400)


@pytest.mark.parametrize("slug", BUILTIN_SLUGS)
def test_every_command_of_every_profile_runs_on_every_builtin(slug: str) -> None:
    for version in VERSIONS.values():
        data = builtin_dict(slug)
        for node in data["topology"]["nodes"]:
            if node["kind"] == "asa" and node.get("platform", "asa") == "asa":
                node["version"] = version
        sim = Simulation(parse_scenario(data))
        devices = [n for n, g in sim.gateways.items() if g.cfg is not None]
        for t_s in MOMENTS_S:
            sim.advance_to(min(round(t_s * S), sim.scenario.until_us))
            for device in devices:
                cli = CliSession(sim, device, privileged=True)
                for line in COMMANDS:
                    text = cli.type(line)
                    assert text.startswith(cli.prompt + line + "\n")
