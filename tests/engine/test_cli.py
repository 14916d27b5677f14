"""The ASA command line: what a trainee types and sees (modes, parsing, errors, show, clear)."""

from __future__ import annotations

from lab.engine import Simulation, parse_scenario
from lab.engine.cli import NOT_SIMULATED, CliSession
from lab.engine.library import builtin_dict
from lab.engine.outcome import check
from lab.engine.units import S

INVALID = "ERROR: % Invalid input detected at '^' marker."

SEED_SHOW_RUN_ALL_SYSOPT = """\
no sysopt connection timewait
sysopt connection tcpmss 1380
sysopt connection tcpmss minimum 0
sysopt connection permit-vpn
sysopt connection reclassify-vpn
sysopt connection preserve-vpn-flows
no sysopt nodnsalias inbound
no sysopt nodnsalias outbound
no sysopt radius ignore-secret
no sysopt noproxyarp outside
"""


def sim_at(slug: str, t_s: float, version: str = "", **changes: object) -> Simulation:
    """A built-in at `t_s`; `version` puts both ASAs on another software train."""
    data = builtin_dict(slug)
    data.update(changes)
    if version:
        for node in data["topology"]["nodes"]:
            if node.get("platform", "asa") == "asa" and node["kind"] == "asa":
                node["version"] = version
    sim = Simulation(parse_scenario(data))
    sim.advance_to(round(t_s * S))
    return sim


def session(
    slug: str = "default-drop", t_s: float = 0, device: str = "bo-asa", version: str = ""
) -> CliSession:
    return CliSession(sim_at(slug, t_s, version), device, privileged=True)


def out(cli: CliSession, line: str) -> str:
    """What the device printed after the echoed line."""
    return cli.type(line).split("\n", 1)[1]


# -- modes and prompts ----------------------------------------------------------------------


def test_it_walks_the_modes_with_their_prompts() -> None:
    cli = CliSession(sim_at("default-drop", 0), "bo-asa")
    assert cli.prompt == "BO-ASA> "
    assert cli.type("enable") == "BO-ASA> enable\n"
    assert cli.prompt == "Password: "
    assert cli.type("") == "Password: \n"  # no enable password by default: Enter opens it
    assert cli.prompt == "BO-ASA# "
    cli.type("conf t")
    assert cli.prompt == "BO-ASA(config)# "
    cli.type("crypto isakmp policy 10")
    assert cli.prompt == "BO-ASA(config-isakmp-policy)# "
    cli.type("exit")
    cli.type("tunnel-group 209.165.200.10 ipsec-attributes")
    assert cli.prompt == "BO-ASA(config-tunnel-ipsec)# "
    cli.type("interface Ethernet0/0")  # a top-level command leaves the sub-mode
    assert cli.prompt == "BO-ASA(config-if)# "
    cli.type("end")
    assert cli.prompt == "BO-ASA# "
    cli.type("disable")
    assert cli.prompt == "BO-ASA> "


def test_it_checks_the_enable_password_from_the_config() -> None:
    sim = sim_at("default-drop", 0)
    admin = CliSession(sim, "bo-asa", privileged=True)
    admin.type("configure terminal")
    admin.type("enable password s3cret")
    user = CliSession(sim, "bo-asa")
    user.type("enable")
    assert user.type("wrong") == "Password: *****\nInvalid password\n"
    assert user.prompt == "BO-ASA> "
    user.type("enable")
    user.type("s3cret")
    assert user.prompt == "BO-ASA# "


def test_it_keeps_privileged_commands_from_the_user_prompt() -> None:
    cli = CliSession(sim_at("default-drop", 0), "bo-asa")
    assert cli.type("show running-config") == (
        "BO-ASA> show running-config\n" + " " * 13 + "^\n" + INVALID + "\n"
    )
    assert cli.errors == 1


# -- parsing and errors ---------------------------------------------------------------------


def test_it_puts_the_caret_under_the_offending_word() -> None:
    cli = session()
    assert cli.type("show crypto ipsex sa") == (
        "BO-ASA# show crypto ipsex sa\n" + " " * 20 + "^\n" + INVALID + "\n"
    )


def test_it_says_incomplete_and_ambiguous_in_the_devices_words() -> None:
    cli = session()
    assert out(cli, "show crypto") == "ERROR: % Incomplete command.\n"
    assert out(cli, "sh c") == 'ERROR: % Ambiguous command:  "sh c"\n'
    assert cli.errors == 2


def test_it_accepts_unique_abbreviations() -> None:
    cli = session()
    cli.type("conf t")
    assert out(cli, "sysopt conn pres") == ""
    assert out(cli, "sh run sysopt") == "sysopt connection preserve-vpn-flows\n"
    assert out(cli, "sh run all sysopt") == SEED_SHOW_RUN_ALL_SYSOPT


def test_it_answers_a_real_command_it_does_not_simulate_plainly() -> None:
    cli = session()
    before = out(cli, "show running-config")
    cli.type("conf t")
    assert out(cli, "threat-detection basic-threat") == NOT_SIMULATED + "\n"
    assert out(cli, "interface Ethernet0/0") == ""
    assert out(cli, "speed 100") == NOT_SIMULATED + "\n"
    cli.type("end")
    assert out(cli, "reload") == NOT_SIMULATED + "\n"
    assert out(cli, "show running-config") == before


def test_it_lists_what_may_follow_with_question_mark() -> None:
    cli = session()
    cli.type("configure terminal")
    listing = out(cli, "sysopt connection ?")
    assert listing.splitlines() == [
        "  permit-vpn          Let decrypted VPN traffic bypass interface access lists",
        "  preserve-vpn-flows  Preserve stateful VPN flows across tunnel drops",
        "  reclassify-vpn      Reclassify existing flows when a VPN tunnel comes up",
        "  tcpmss              Maximum segment size for TCP",
        "  timewait            Keep TCP connections in TIME_WAIT",
    ]
    assert out(cli, "sysopt connection pre?") == "preserve-vpn-flows\n"
    assert "<cr>" in out(cli, "show conn ?")
    assert "<120-2147483647>" in out(cli, "crypto ipsec security-association lifetime seconds ?")
    assert cli.errors == 0


def test_it_gives_help_and_completion_data_to_the_web_terminal() -> None:
    cli = session()
    help_ = cli.help("show asp ?")
    assert help_.restore == "show asp "
    assert [w for w, _ in help_.items] == ["drop", "table"]
    assert cli.complete("sh asp tab vpn-c") == "sh asp tab vpn-context "
    assert cli.complete("sh c") is None  # ambiguous: nothing to complete


def test_it_enforces_ranges_with_the_caret() -> None:
    cli = session()
    cli.type("conf t")
    line = "crypto ipsec security-association lifetime seconds 60"
    assert cli.type(line) == (
        f"BO-ASA(config)# {line}\n" + " " * (16 + line.index("60")) + "^\n" + INVALID + "\n"
    )
    assert "lifetime seconds" not in out(cli, "show run crypto")


def test_it_enforces_the_conn_timeout_minimum() -> None:
    cli = session()
    cli.type("conf t")
    assert "minimum" in out(cli, "timeout conn 0:01:00")
    assert out(cli, "timeout conn 2:00:00") == ""
    assert cli.sim.gateways["bo-asa"].cfg.timeouts.conn_s == 7200  # type: ignore[union-attr]


def test_it_refuses_the_sysopt_before_8_0_4_as_the_asa_would() -> None:
    data = builtin_dict("default-drop")
    data["topology"]["nodes"][1]["version"] = "8.0(3)"
    sim = Simulation(parse_scenario(data))
    cli = CliSession(sim, "bo-asa", privileged=True)
    cli.type("conf t")
    assert cli.type("sysopt conn preserve-vpn-flows") == (
        "BO-ASA(config)# sysopt conn preserve-vpn-flows\n" + " " * 28 + "^\n" + INVALID + "\n"
    )
    assert sim.gateways["bo-asa"].cfg.sysopt.preserve_vpn_flows is False  # type: ignore[union-attr]


def test_it_takes_no_forms_and_do() -> None:
    cli = session()
    cli.type("conf t")
    cli.type("sysopt connection preserve-vpn-flows")
    cli.type("no sysopt connection preserve-vpn-flows")
    assert out(cli, "do show run all sysopt").splitlines()[5] == (
        "no sysopt connection preserve-vpn-flows"
    )
    cli.type("logging timestamp")
    cli.type("no logging buffered")
    assert out(cli, "show run logging") == "logging enable\nlogging timestamp\n"


def test_it_filters_show_output() -> None:
    cli = session("default-drop", 30)
    assert out(cli, "show run | include ^crypto map") == (
        "crypto map outside_map 10 match address 100\n"
        "crypto map outside_map 10 set peer 209.165.200.10\n"
        "crypto map outside_map 10 set transform-set ESP-AES-256-SHA\n"
        "crypto map outside_map interface outside\n"
    )
    assert out(cli, "show run | begin tunnel-group").splitlines()[:2] == [
        "tunnel-group 209.165.200.10 type ipsec-l2l",
        "tunnel-group 209.165.200.10 ipsec-attributes",
    ]
    assert "crypto" not in out(cli, "sh run | ex crypto")


# -- show, from the engine's state ------------------------------------------------------------


def test_it_shows_the_conn_of_the_download() -> None:
    cli = session("default-drop", 30)
    text = out(cli, "show conn")
    lines = text.splitlines()
    assert lines[0] == "1 in use, 1 most used."
    assert lines[1].startswith(
        "TCP outside 10.1.1.10:80 inside 10.0.0.100:1135, idle 0:00:00, bytes "
    )
    assert lines[1].endswith(", flags UIO")
    assert out(cli, "show conn count") == "1 in use, 1 most used.\n"
    assert out(cli, "show conn protocol udp") == "1 in use, 1 most used.\n"
    detail = out(cli, "show conn detail")
    assert "  Initiator: 10.0.0.100, Responder: 10.1.1.10\n" in detail
    assert "V - VPN orphan" in detail


def test_it_shows_the_preserve_flag_only_on_sas_created_with_the_sysopt() -> None:
    sim = sim_at("default-drop", 0)
    bo = CliSession(sim, "bo-asa", privileged=True)
    bo.type("configure terminal")
    bo.type("sysopt connection preserve-vpn-flows")
    sim.advance_to(30 * S)  # the download (from 1 s) brings the tunnel up
    lines = out(bo, "do show asp table vpn-context").splitlines()
    assert [line.split(", ")[2] for line in lines] == ["DECR+ESP+PRESERVE", "ENCR+ESP+PRESERVE"]
    assert lines[0].endswith(", UP, pk=0000000000, rk=0000000000, gc=0")
    assert "Flags    = DECR+ESP+PRESERVE\n" in out(bo, "do show asp table vpn-context detail")
    ho = CliSession(sim, "ho-asa", privileged=True)
    assert "PRESERVE" not in out(ho, "show asp table vpn-context")
    ho.type("configure terminal")
    ho.type("sysopt connection preserve-vpn-flows")
    assert "PRESERVE" not in out(ho, "show asp table vpn-context")  # S0: clear to apply


def test_it_counts_packets_per_sa_from_the_download() -> None:
    cli = session("default-drop", 60)
    text = out(cli, "show crypto ipsec sa peer 209.165.200.10")
    encaps = int(text.split("#pkts encaps: ")[1].split(",")[0])
    decaps = int(text.split("#pkts decaps: ")[1].split(",")[0])
    assert decaps > 1000  # the download comes in through the tunnel at the branch
    assert 0 < encaps < decaps  # only ACKs go out
    assert "      current_peer: 209.165.200.10\n" in text
    assert "         in use settings ={L2L, Tunnel, }\n" in text  # 8.2: no IKE version
    cli.type("clear crypto ipsec sa counters")
    assert "#pkts decaps: 0," in out(cli, "show crypto ipsec sa")
    assert out(cli, "show crypto ipsec sa peer 192.0.2.1") == "There are no ipsec sas\n"


def test_it_logs_the_sessions_bytes_when_the_tunnel_is_cleared() -> None:
    cli = session("default-drop", 60)
    cli.type("clear crypto isakmp sa")
    teardown = [x for x in cli.sim.syslog("bo-asa") if "113019" in x]
    assert len(teardown) == 1
    xmt = int(teardown[0].split("Bytes xmt: ")[1].split(",")[0])
    rcv = int(teardown[0].split("Bytes rcv: ")[1].split(",")[0])
    assert rcv > 1_000_000 and 0 < xmt < rcv
    assert teardown[0].endswith("Reason: Administrator Reset")


def test_it_shows_the_ike_sa_as_8_2_prints_it() -> None:
    cli = session("default-drop", 30)
    assert out(cli, "show crypto isakmp sa") == (
        "   Active SA: 1\n"
        "    Rekey SA: 0 (A tunnel will report 1 Active and 1 Rekey SA during rekey)\n"
        "Total IKE SA: 1\n\n"
        "1   IKE Peer: 209.165.200.10\n"
        "    Type    : L2L             Role    : initiator\n"
        "    Rekey   : no              State   : MM_ACTIVE\n\n"
    )
    assert "ERROR: % Invalid input detected" in out(cli, "show crypto ikev1 sa")
    assert out(cli, "sh cry isa sa det").endswith(
        "IKE Peer      Type  Dir   Rky  State      Encrypt Hash  Auth    Lifetime\n"
        "1 209.165.200.10 L2L   Init  No   MM_ACTIVE  aes-256 SHA   preshrd 86400\n"
    )


def test_it_shows_the_ike_sa() -> None:
    cli = session("default-drop", 30, version="9.8(4)")
    assert out(cli, "show crypto isakmp sa") == (
        "IKEv1 SAs:\n\n"
        "   Active SA: 1\n"
        "    Rekey SA: 0 (A tunnel will report 1 Active and 1 Rekey SA during rekey)\n"
        "Total IKE SA: 1\n\n"
        "1   IKE Peer: 209.165.200.10\n"
        "    Type    : L2L             Role    : initiator\n"
        "    Rekey   : no              State   : MM_ACTIVE\n\n"
        "There are no IKEv2 SAs\n"
    )
    ikev1 = out(cli, "show crypto ikev1 sa")  # the IKEv1 section alone [U]
    assert ikev1 + "There are no IKEv2 SAs\n" == out(cli, "show crypto isakmp sa")
    assert "    Auth    : preshared       Lifetime: 86400\n" in out(cli, "sh cry isa sa det")


def test_it_shows_the_session_database_rekey_intervals() -> None:
    text = out(session("default-drop", 30), "show vpn-sessiondb detail l2l")
    assert "Rekey Int (T): 86400 Seconds" in text
    assert "Rekey Int (T): 28800 Seconds" in text
    assert "Rekey Int (D): 4608000 K-Bytes" in text
    assert "Idle Time Out: 30 Minutes" in text


def test_it_shows_the_logging_buffer_with_its_header() -> None:
    cli = session("default-drop", 30)
    text = out(cli, "show logging")
    assert text.startswith("Syslog logging: enabled\n    Facility: 20\n")
    assert "    Buffer logging: level informational, " in text
    assert "%ASA-6-602303: IPSEC: An outbound LAN-to-LAN SA" in text
    cli.type("clear logging buffer")
    assert "%ASA" not in out(cli, "show logging")


def test_it_shows_version_interfaces_and_asp_drops() -> None:
    cli = session("default-drop", 30)
    assert "Cisco Adaptive Security Appliance Software Version 8.2(1)" in out(cli, "show version")
    brief = out(cli, "show interface ip brief").splitlines()
    assert brief[1].split() == ["Ethernet0/0", "209.165.201.2", "YES", "CONFIG", "up", "up"]
    drops = out(cli, "show asp drop")
    assert "IPSEC SA not negotiated yet (ipsec-need-sa)" in drops


# -- clear and interface shutdown drive the simulation ----------------------------------------


def test_it_clears_the_conns_and_the_download_finds_out() -> None:
    cli = session("default-drop", 30)
    cli.type("clear conn address 10.0.0.100")
    assert out(cli, "show conn count") == "0 in use, 1 most used.\n"
    assert any("302014" in x and "Xlate Clear" in x for x in cli.sim.syslog("bo-asa"))


def test_it_drops_the_tunnel_by_shutting_the_outside_interface() -> None:
    cli = session("default-drop", 30)
    cli.type("configure terminal")
    cli.type("interface Ethernet0/0")
    cli.type("shutdown")
    cli.sim.advance_to(90 * S)  # DPD: 10 s threshold + 4 x 2 s retries
    assert cli.sim.tunnels["bo-ho"].state == "down"
    assert "administratively down" in out(cli, "do show interface ip brief")


def test_it_reproduces_default_drop_by_typing_only() -> None:
    """The built-in's outcome, with `clear crypto ipsec sa` typed instead of the cut."""
    data = builtin_dict("default-drop")
    expect = data["expect"]
    data["events"] = []
    sim = Simulation(parse_scenario(data))
    sim.advance_to(120 * S)
    cli = CliSession(sim, "bo-asa")
    assert cli.type("enable") == "BO-ASA> enable\n"
    cli.type("")
    cli.type("clear crypto ipsec sa")
    sim.advance_to(sim.scenario.until_us)
    results = check(sim, expect)
    assert results and all(c.ok for c in results), results
