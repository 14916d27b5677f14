"""Remote-access tunnels speak the remote-access wording; AnyConnect logs 722xxx and has
no IPsec SA; the sysopt keeps flows on L2L and NEM only (issue 13, item 5)."""

from __future__ import annotations

from lab.engine import Simulation, parse_scenario
from lab.engine.cli import CliSession
from lab.engine.library import builtin_dict
from lab.engine.units import S

from .conftest import run
from .test_cli_tools import runtime, typed


def _vpn_lines(sim: object, node: str = "ho-asa") -> list[str]:
    return [
        line
        for line in sim.syslog(node)  # type: ignore[attr-defined]
        if "-3020" not in line and "-106015" not in line
    ]


def test_client_mode_logs_the_user_and_remote_access_sas() -> None:
    lines = _vpn_lines(run("ra-client-mode"))
    assert (
        "%ASA-5-713119: Group = 209.165.201.2, Username = student, IP = 209.165.201.2, "
        "PHASE 1 COMPLETED"
    ) in lines
    assert any(
        line.startswith("%ASA-6-602303: IPSEC: An outbound remote access SA (SPI= 0x")
        and line.endswith(
            " between 209.165.200.10 and 209.165.201.2 (user= student) has been created."
        )
        for line in lines
    )
    assert any("Security negotiation complete for User (student)  Responder" in x for x in lines)
    assert (
        "%ASA-6-113009: AAA retrieved default group policy (DfltGrpPolicy) for user = student"
        in lines
    )
    down = [x for x in lines if "-113019:" in x]
    assert down and down[0].startswith(
        "%ASA-4-113019: Group = 209.165.201.2, Username = student, IP = 209.165.201.2, "
        "Session disconnected. Session Type: IPsec, Duration: "
    )
    assert not any("LAN-to-LAN" in x for x in lines)


def test_the_tunnel_spec_names_the_user() -> None:
    data = builtin_dict("ra-client-mode")
    data["topology"]["tunnels"][0]["user"] = "alice"
    data["until_s"] = 60
    sim = Simulation(parse_scenario(data))
    sim.advance_to(60_000_000)
    assert any("(user= alice)" in x for x in sim.syslog("ho-asa"))


def test_l2l_keeps_the_peer_as_group_and_user() -> None:
    lines = _vpn_lines(run("default-drop"))
    assert any(
        "IPSEC: An outbound LAN-to-LAN SA" in x and "(user= 209.165.201.2)" in x for x in lines
    )
    assert not any("Username = student" in x for x in lines)


def test_anyconnect_logs_svc_lines_and_no_ipsec() -> None:
    sim = run("anyconnect")
    lines = _vpn_lines(sim)
    who = "Group <DfltGrpPolicy> User <student> IP <209.165.201.2>"
    assert lines[:4] == [
        f"%ASA-6-716001: {who} WebVPN session started.",
        f"%ASA-6-722022: {who} TCP SVC connection established without compression",
        f"%ASA-6-113039: {who} AnyConnect parent session started.",
        f"%ASA-6-722051: {who} IPv4 Address <10.0.0.1> IPv6 address <::> assigned to session",
    ]
    assert f"%ASA-6-722023: {who} TCP SVC connection terminated without compression" in lines
    assert any("Session Type: AnyConnect-Parent, Duration: " in x for x in lines)
    assert not any(
        x.split(":")[0].split("-")[-1] in {"602303", "602304", "713119", "713049"} for x in lines
    )


def test_anyconnect_shows_no_ipsec_sa_while_up() -> None:
    sim = run("anyconnect", until_s=60)
    cli = CliSession(sim, "ho-asa", privileged=True)
    assert "There are no ipsec sas" in cli.execute("show crypto ipsec sa")
    log = cli.execute("show logging")
    assert "TCP SVC connection established" in log and "602303" not in log


def test_client_mode_and_anyconnect_tear_down_nem_preserves() -> None:
    """The sysopt is on at the HO ASA in all three: only NEM keeps the conn (S0)."""
    for slug, variant, torn in (
        ("ra-client-mode", None, True),
        ("ra-client-mode", "nem", False),
        ("anyconnect", None, True),
    ):
        lines = run(slug, variant).syslog("ho-asa")
        assert any("Tunnel has been torn down" in x for x in lines) is torn, (slug, variant)


def test_show_vpn_sessiondb_anyconnect_shows_the_session_not_l2l() -> None:
    sim = run("anyconnect", until_s=100)
    cli = CliSession(sim, "ho-asa", privileged=True)
    lines = cli.execute("show vpn-sessiondb anyconnect").splitlines()
    assert lines[:4] == [
        "Session Type: AnyConnect",
        "Username     : student            Index        : 1",
        "Assigned IP  : 10.0.0.1               Public IP    : 209.165.201.2",
        "Protocol     : AnyConnect-Parent SSL-Tunnel DTLS-Tunnel",
    ]
    assert "Group Policy : DfltGrpPolicy          Tunnel Group : 209.165.201.2" in lines
    assert "presently no active sessions" in cli.execute("show vpn-sessiondb l2l")
    assert "There are no isakmp sas" in cli.execute("show crypto isakmp sa")


def test_a_client_mode_session_is_not_listed_as_lan_to_lan() -> None:
    sim = run("ra-client-mode", until_s=100)
    cli = CliSession(sim, "ho-asa", privileged=True)
    assert "presently no active sessions" in cli.execute("show vpn-sessiondb l2l")
    assert "presently no active sessions" in cli.execute("show vpn-sessiondb anyconnect")
    assert "209.165.201.2" in cli.execute("show crypto ipsec sa")  # its IPsec SA is shown


def test_debug_names_the_user_on_client_mode_and_stays_silent_for_anyconnect() -> None:
    for slug, expected in (
        ("ra-client-mode", "Group = 209.165.201.2, Username = student, IP = 209.165.201.2"),
        ("anyconnect", None),
    ):
        rt = runtime(slug)
        typed(rt, "debug crypto isakmp", "ho-asa")
        rt.advance_to(5 * S)
        ho = "\n".join(rt.terminal["ho-asa"])
        if expected is None:
            assert "IKE" not in ho and "PHASE" not in ho
        else:
            assert f"{expected}, PHASE 1 COMPLETED" in ho


def test_show_vpn_sessiondb_remote_lists_the_client_mode_user() -> None:
    cli = CliSession(run("ra-client-mode", until_s=100), "ho-asa", privileged=True)
    lines = cli.execute("show vpn-sessiondb remote").splitlines()
    assert lines[:5] == [
        "Session Type: IPsec",
        "Username     : student            Index        : 1",
        "Assigned IP  : 10.0.0.1               Public IP    : 209.165.201.2",
        "Protocol     : IKE IPsec",  # 8.2: no IKEv1 keyword
        "License      : IPsec",
    ]
    assert cli.execute("show vpn-sessiondb ra-ikev1-ipsec") == cli.execute(
        "show vpn-sessiondb remote"
    )
    anyconnect = CliSession(run("anyconnect", until_s=100), "ho-asa", privileged=True)
    assert "presently no active sessions" in anyconnect.execute("show vpn-sessiondb remote")
