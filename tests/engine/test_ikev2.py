"""IKEv2 site-to-site and the negotiation of pairs that cannot agree (issue 13).

Pairs are built from the 9.8 built-ins with config lines swapped, run on the manual clock,
and judged by what a user reads: `show crypto isakmp|ikev2 sa`, `show crypto ipsec sa`,
the syslog buffer and the tunnel's history.
"""

from __future__ import annotations

from typing import Any

from lab.engine import Simulation, keys, parse_scenario
from lab.engine.asaconfig import import_config
from lab.engine.cli import CliSession, running
from lab.engine.library import builtin_dict
from lab.engine.units import S

V2 = "asa9-ikev2-preserve"
V1 = "asa9-ikev1-drop"


def sim_of(slug: str, edit: dict[str, Any] | None = None, **top: Any) -> Simulation:
    """The built-in with config lines replaced: {device: {old line: new line or None}}."""
    data = builtin_dict(slug)
    for node in data["topology"]["nodes"]:
        for old, new in (edit or {}).get(node["id"], {}).items():
            lines = node["config"]
            at = lines.index(old)
            if new is None:
                del lines[at]
            else:
                lines[at : at + 1] = new if isinstance(new, list) else [new]
    data.update(top)
    return Simulation(parse_scenario(data))


def show(sim: Simulation, device: str, line: str) -> str:
    return CliSession(sim, device, privileged=True).type(line).split("\n", 1)[1]


def logged(sim: Simulation, device: str, *ids: int) -> list[str]:
    return [x for x in sim.syslog(device) if any(f"-{i}:" in x for i in ids)]


def test_an_ikev2_only_pair_builds_an_ikev2_tunnel_in_four_messages() -> None:
    sim = sim_of(V2)
    sim.advance_to(10 * S)
    t = sim.tunnels["bo-ho"]
    negotiating, up = t.history[0], t.history[1]
    assert (negotiating["state"], up["state"]) == ("negotiating", "up")
    assert up["t_us"] - negotiating["t_us"] == 4 * (t.wan_rtt_us // 2)  # IKE_SA_INIT + IKE_AUTH
    assert t.version == 2 and isinstance(t.ike_keys, keys.Ike2Keys)
    bo = sim.syslog("bo-asa")
    assert not any("713119" in x or "713041" in x for x in bo)  # no IKEv1 at all
    assert "%ASA-5-752003: Tunnel Manager dispatching a KEY_ACQUIRE message to IKEv2. " in "".join(
        bo
    )
    assert (
        "%ASA-5-750006: Local:209.165.201.2:500 Remote:209.165.200.10:500 "
        "Username:209.165.200.10 IKEv2 SA UP. Reason: New Connection Established"
    ) in bo
    assert "in use settings ={L2L, Tunnel, IKEv2, }" in show(sim, "bo-asa", "show crypto ipsec sa")
    text = show(sim, "ho-asa", "show crypto ikev2 sa")
    assert "Session-id:1, Status:UP-ACTIVE, IKE count:1, CHILD count:1" in text
    assert " 209.165.200.10/500     209.165.201.2/500      READY    RESPONDER\n" in text
    sa = sim.gateways["ho-asa"].sas["bo-ho"]
    assert f"ESP spi in/out: 0x{sa.spi_in:08x}/0x{sa.spi_out:08x}" in text
    assert show(sim, "ho-asa", "show crypto isakmp sa").startswith("There are no IKEv1 SAs\n")


def test_the_first_child_keys_come_from_sk_d_and_the_ike_sa_init_nonces() -> None:
    sim = sim_of(V2)
    sim.advance_to(10 * S)
    t = sim.tunnels["bo-ho"]
    k = t.ike_keys
    assert (k.prf, k.group, k.integrity, k.encryption) == ("sha256", 14, "sha256", "aes-256")
    km = keys.prf_plus("sha256", k.sk_d, k.nonce_i + k.nonce_r, 2 * (32 + 20))
    bo = sim.gateways["bo-asa"].sas["bo-ho"]  # bo initiated: its outbound is initiator->responder
    assert bo.keys_out.enc_key + bo.keys_out.auth_key == km[:52]
    assert bo.keys_in.enc_key + bo.keys_in.auth_key == km[52:]


def test_both_versions_configured_the_initiator_uses_ikev2() -> None:
    v1_lines = {
        "crypto ipsec security-association pmtu-aging infinite": [
            "crypto ipsec ikev1 transform-set ESP-AES-256-SHA esp-aes-256 esp-sha-hmac",
            "crypto ipsec security-association pmtu-aging infinite",
        ],
        "crypto ikev2 enable outside": [
            "crypto ikev2 enable outside",
            "crypto ikev1 enable outside",
            "crypto ikev1 policy 10",
            " authentication pre-share",
            " encryption aes-256",
            " hash sha",
            " group 2",
            " lifetime 86400",
        ],
        " vpn-tunnel-protocol ikev2": " vpn-tunnel-protocol ikev1 ikev2",
    }
    sim = sim_of(V2, {"bo-asa": v1_lines, "ho-asa": v1_lines})
    sim.advance_to(10 * S)
    assert sim.tunnels["bo-ho"].version == 2
    # the responder speaks IKEv1 only: the initiator uses IKEv1 [U fallback]
    sim = sim_of(
        V2,
        {
            "bo-asa": v1_lines,
            "ho-asa": v1_lines
            | {"crypto ikev2 enable outside": v1_lines["crypto ikev2 enable outside"][1:]},
        },
    )
    sim.advance_to(10 * S)
    assert sim.tunnels["bo-ho"].version == 1
    assert logged(sim, "bo-asa", 713119)


def test_an_ikev2_config_on_8_2_never_builds_a_tunnel() -> None:
    data = builtin_dict(V2)
    for node in data["topology"]["nodes"]:
        if node.get("config"):
            node["version"] = "8.2(1)"
            node["config"] = [
                x.replace("ASA Version 9.8(4)", "ASA Version 8.2(1)") for x in node["config"]
            ]
    sim = Simulation(parse_scenario(data))
    sim.advance_to(60 * S)
    assert sim.tunnels["bo-ho"].state != "up"
    assert not sim.gateways["bo-asa"].sas
    assert not any("750006" in x or "713119" in x for x in sim.syslog("bo-asa"))


def test_ikev2_rekeys_the_child_sa_with_create_child_sa() -> None:
    edit = {
        "crypto map outside_map 10 set peer 209.165.200.10": [
            "crypto map outside_map 10 set peer 209.165.200.10",
            "crypto map outside_map 10 set security-association lifetime seconds 300",
        ]
    }
    sim = sim_of(V2, {"bo-asa": edit}, events=[])
    sim.advance_to(10 * S)
    t = sim.tunnels["bo-ho"]
    ike_spi, first = t.ike_keys.spi_i, sim.gateways["bo-asa"].sas["bo-ho"].spi_in
    sim.advance_to(290 * S)  # the initiator rekeys at 90 % (270 s)
    rekey = [h for h in t.history if h["cause"] == "lifetime soft limit"]
    done = [h for h in t.history if h["cause"] == "rekey"]
    assert rekey and done
    assert done[0]["t_us"] - rekey[0]["t_us"] == 2 * (t.wan_rtt_us // 2)  # one exchange
    assert sim.gateways["bo-asa"].sas["bo-ho"].spi_in != first
    assert t.ike_keys.spi_i == ike_spi  # the IKE SA is untouched
    assert len(logged(sim, "bo-asa", 750006)) == 1
    assert sim.flows["download"].attempts[-1].state == "steady"  # no gap: make-before-break


def test_ikev2_rekeys_the_ike_sa_without_touching_the_child() -> None:
    sim = sim_of(V2, {"bo-asa": {" lifetime seconds 86400": " lifetime seconds 200"}}, events=[])
    sim.advance_to(10 * S)
    t = sim.tunnels["bo-ho"]
    old, child = t.ike_keys, sim.gateways["bo-asa"].sas["bo-ho"]
    sim.advance_to(220 * S)
    new = t.ike_keys
    assert new.spi_i != old.spi_i
    assert new.skeyseed == keys._prf(
        "sha256", old.sk_d, new.shared_secret + new.nonce_i + new.nonce_r
    )
    assert sim.gateways["bo-asa"].sas["bo-ho"] is child
    assert t.state == "up"


def test_ikev2_liveness_checks_delete_the_tunnel_and_the_conns_stay() -> None:
    sim = sim_of(V2)
    sim.advance_to(170 * S)  # the internet link is cut at 120 s
    bo = sim.syslog("bo-asa")
    down = [x for x in bo if "750007" in x or "113019" in x or "602304" in x]
    assert down[0].startswith("%ASA-5-750007: Local:209.165.201.2:500 Remote:209.165.200.10:500")
    assert "113019" in down[-1] and "Reason: Lost Service" in down[-1]
    assert sim.gateways["bo-asa"].conns  # PRESERVE: the conn outlives the SA


def test_dpd_logs_713259_before_113019_on_ikev1() -> None:
    sim = sim_of(V1)
    sim.advance_to(170 * S)
    bo = [x for x in sim.syslog("bo-asa") if any(f"-{i}:" in x for i in (713123, 713259, 113019))]
    assert [x.split(":")[0] for x in bo] == ["%ASA-3-713123", "%ASA-5-713259", "%ASA-4-113019"]
    assert bo[1].endswith("Session is being torn down. Reason: Lost Service")


def test_a_responder_across_a_cut_path_has_no_ike_sa() -> None:
    sim = Simulation(parse_scenario(builtin_dict("preserve-both")))
    sim.advance_to(150 * S)  # internet cut 120..180 s; the HO server retransmits
    assert "IKE Peer" not in show(sim, "bo-asa", "show crypto isakmp sa")  # 8.2: no isakmp sas
    assert "State   : MM_WAIT_MSG2" in show(sim, "ho-asa", "show crypto isakmp sa")


def test_an_unanswered_phase_1_logs_713902_and_713903_and_traffic_retries() -> None:
    sim = Simulation(parse_scenario(builtin_dict("preserve-both")))
    sim.advance_to(179 * S)
    ho = logged(sim, "ho-asa", 713902, 713903)
    assert ho[:2] == [
        "%ASA-3-713902: IP = 209.165.201.2, Removing peer from peer table failed, no match!",
        "%ASA-4-713903: IP = 209.165.201.2, Error: Unable to remove PeerTblEntry",
    ]
    triggers = [h for h in sim.tunnels["bo-ho"].history if h["state"] == "negotiating"]
    assert len(triggers) >= 2  # the next retransmission starts a new attempt


def test_713041_names_the_acl_networks_and_the_ingress_interface() -> None:
    sim = sim_of(V1)
    sim.advance_to(5 * S)
    assert [x.split(": ", 1)[1] for x in logged(sim, "bo-asa", 752004, 752010, 752003)] == [
        "Tunnel Manager dispatching a KEY_ACQUIRE message to IKEv1. Map Tag = outside_map. "
        "Map Sequence Number = 10.",
        "IKEv2 Doesn't have a proposal specified",
    ]
    (line,) = logged(sim, "bo-asa", 713041)
    assert line == (
        "%ASA-5-713041: IP = 209.165.200.10, IKE Initiator: New Phase 1, Intf inside, "
        "IKE Peer 209.165.200.10  local Proxy Address 10.0.0.0, remote Proxy Address 10.1.1.0,  "
        "Crypto map (outside_map)"
    )
    assert logged(sim, "bo-asa", 113009) == [
        "%ASA-6-113009: AAA retrieved default group policy (GP-L2L) for user = 209.165.200.10"
    ]


def _states(sim: Simulation) -> tuple[str, str]:
    def state(device: str) -> str:
        text = show(sim, device, "show crypto isakmp sa")
        return text.split("State   : ")[1].split()[0] if "State   : " in text else "none"

    return state("bo-asa"), state("ho-asa")


def test_different_pre_shared_keys_stall_at_mm_wait_msg6_and_msg5() -> None:
    sim = sim_of(V1, {"ho-asa": {" ikev1 pre-shared-key cisco123": " ikev1 pre-shared-key other"}})
    sim.advance_to(10 * S)
    assert _states(sim) == ("MM_WAIT_MSG6", "MM_WAIT_MSG5")
    assert not sim.gateways["bo-asa"].sas
    sim.advance_to(40 * S)
    for device in ("bo-asa", "ho-asa"):
        assert [x.split(",")[0] for x in logged(sim, device, 713902, 713903)][:2] == [
            "%ASA-3-713902: Group = "
            + ("209.165.200.10" if device == "bo-asa" else "209.165.201.2"),
            "%ASA-4-713903: Group = "
            + ("209.165.200.10" if device == "bo-asa" else "209.165.201.2"),
        ]
    assert sim.tunnels["bo-ho"].state != "up"


def test_set_peer_not_the_other_address_stalls_at_mm_wait_msg4() -> None:
    lines = (
        "crypto map outside_map 10 set peer {}",
        "tunnel-group {} type ipsec-l2l",
        "tunnel-group {} general-attributes",
        "tunnel-group {} ipsec-attributes",
    )
    edit = {x.format("209.165.201.2"): x.format("198.51.100.7") for x in lines}
    sim = sim_of(V1, {"ho-asa": edit})
    sim.advance_to(10 * S)
    assert _states(sim) == ("MM_WAIT_MSG4", "none")
    assert logged(sim, "ho-asa", 713902)  # the responder aborts at once


def test_no_common_policy_stalls_at_mm_wait_msg2() -> None:
    sim = sim_of(V1, {"ho-asa": {" encryption aes-256": " encryption 3des"}})
    sim.advance_to(10 * S)
    assert _states(sim) == ("MM_WAIT_MSG2", "none")


def test_crypto_acls_that_do_not_mirror_bring_phase_1_up_but_no_ipsec_sa() -> None:
    acl = (
        "access-list outside_cryptomap extended permit ip "
        "10.1.1.0 255.255.255.0 10.0.0.0 255.255.255.0"
    )
    sim = sim_of(
        V1, {"ho-asa": {acl: acl.replace("10.0.0.0 255.255.255.0", "10.9.9.0 255.255.255.0")}}
    )
    sim.advance_to(10 * S)
    assert _states(sim) == ("MM_ACTIVE", "MM_ACTIVE")
    assert not sim.gateways["bo-asa"].sas and not sim.gateways["ho-asa"].sas
    assert logged(sim, "ho-asa", 713061, 713902) == [
        "%ASA-3-713061: Group = 209.165.201.2, IP = 209.165.201.2, Rejecting IPSec tunnel: no "
        "matching crypto map entry for remote proxy 10.0.0.0/255.255.255.0/0/0 local proxy "
        "10.1.1.0/255.255.255.0/0/0 on interface outside",
        logged(sim, "ho-asa", 713902)[0],
    ]
    assert "QM FSM error (P2 struct &0x" in logged(sim, "ho-asa", 713902)[0]


def test_different_ikev2_keys_never_build_an_ikev2_tunnel() -> None:
    key = " ikev2 local-authentication pre-shared-key "
    edit = {key + "cisco123": key + "x"}
    sim = sim_of(V2, {"ho-asa": edit})
    sim.advance_to(40 * S)
    assert not sim.gateways["bo-asa"].sas
    assert "There are no IKEv2 SAs" in show(sim, "bo-asa", "show crypto ikev2 sa")
    assert any("IKEv2 Negotiation aborted due to ERROR" in x for x in sim.syslog("ho-asa"))


def test_ikev2_lines_print_back_and_round_trip() -> None:
    (node,) = [n for n in builtin_dict(V2)["topology"]["nodes"] if n["id"] == "bo-asa"]
    cfg = import_config("\n".join(node["config"])).config
    text = running.render(cfg, mask=False)
    assert " ikev2 remote-authentication pre-shared-key *****\n" in running.render(cfg)
    for line in (
        "crypto ipsec ikev2 ipsec-proposal AES256-SHA\n protocol esp encryption aes-256\n"
        " protocol esp integrity sha-1\n",
        "crypto map outside_map 10 set ikev2 ipsec-proposal AES256-SHA\n",
        "crypto ikev2 policy 10\n encryption aes-256\n integrity sha256\n group 14\n prf sha256\n"
        " lifetime seconds 86400\ncrypto ikev2 enable outside\n",
        " ikev2 remote-authentication pre-shared-key cisco123\n"
        " ikev2 local-authentication pre-shared-key cisco123\n",
    ):
        assert line in text
    again = import_config(text).config
    assert (again.ikev2_policies, again.ikev2_proposals, again.crypto_maps) == (
        cfg.ikev2_policies,
        cfg.ikev2_proposals,
        cfg.crypto_maps,
    )
    assert again.tunnel_groups["209.165.200.10"] == cfg.tunnel_groups["209.165.200.10"]
    assert cfg.tunnel_protocols("209.165.200.10") == {"ikev2"}


def test_clear_crypto_ikev2_sa_ends_only_ikev2_tunnels() -> None:
    sim = sim_of(V2, events=[])
    sim.advance_to(10 * S)
    show(sim, "bo-asa", "clear crypto ikev1 sa")
    assert "bo-ho" in sim.gateways["bo-asa"].sas
    show(sim, "bo-asa", "clear crypto ikev2 sa")
    assert not sim.gateways["bo-asa"].sas and not sim.gateways["ho-asa"].sas
    (line,) = logged(sim, "bo-asa", 750007)
    assert line.endswith("IKEv2 SA DOWN. Reason: Administrator Reset")
    assert "There are no IKEv2 SAs" in show(sim, "bo-asa", "show crypto ikev2 sa")


def test_ikev2_can_be_configured_at_the_cli_and_vpn_tunnel_protocol_still_decides() -> None:
    """An IKEv1 9.8 pair reconfigured for IKEv2 by typing, as a student would."""
    sim = sim_of(V1, events=[])
    for device, peer in (("bo-asa", "209.165.200.10"), ("ho-asa", "209.165.201.2")):
        cli = CliSession(sim, device, privileged=True)
        typed = [
            "configure terminal",
            "crypto ikev2 policy 10",
            "encryption aes-256",
            "integrity sha256",
            "group 14",
            "prf sha256",
            "exit",
            "crypto ikev2 enable outside",
            "crypto ipsec ikev2 ipsec-proposal P1",
            "protocol esp encryption aes-256",
            "protocol esp integrity sha-1",
            "exit",
            "crypto map outside_map 10 set ikev2 ipsec-proposal P1",
            f"tunnel-group {peer} ipsec-attributes",
            "ikev2 remote-authentication pre-shared-key k2",
            "ikev2 local-authentication pre-shared-key k2",
            "exit",
            "group-policy GP-L2L attributes",
            "end",
        ]
        prompts = [cli.type(line) for line in typed]
        assert not any("ERROR" in p or "not simulated" in p.lower() for p in prompts[:-2]), prompts
        assert "(config-ikev2-policy)#" in prompts[2] and "(config-ipsec-proposal)#" in prompts[9]
    show(sim, "bo-asa", "clear crypto ikev1 sa")
    sim.advance_to(10 * S)
    # the group policy's vpn-tunnel-protocol still says ikev1 only: the pair keeps IKEv1
    assert sim.tunnels["bo-ho"].state == "up" and sim.tunnels["bo-ho"].version == 1
    cfg = sim.gateways["bo-asa"].cfg
    assert cfg is not None and cfg.ikev2_policies[10].group == [14]
    assert "crypto ikev2 enable outside" in show(sim, "bo-asa", "show running-config crypto ikev2")


def test_disabling_ikev2_at_the_responder_leaves_an_ikev2_only_initiator_unanswered() -> None:
    sim = sim_of(V2, events=[])
    sim.advance_to(5 * S)
    cli = CliSession(sim, "bo-asa", privileged=True)
    for line in ("configure terminal", "no crypto ikev2 enable outside", "end"):
        cli.type(line)
    show(sim, "bo-asa", "clear crypto ikev2 sa")
    sim.advance_to(60 * S)
    assert not sim.gateways["bo-asa"].sas
    # BO has no IKE left: nothing to show, nothing logged for the negotiation ...
    assert not logged(sim, "bo-asa", 713041, 713902, 750003)
    assert show(sim, "bo-asa", "show crypto isakmp sa").startswith("There are no IKEv1 SAs")
    # ... while HO's IKE_SA_INIT (its server retransmits) goes unanswered and times out
    assert logged(sim, "ho-asa", 750003)[0].endswith(
        "IKEv2 Negotiation aborted due to ERROR: Maximum number of retransmissions reached"
    )


def test_an_ikev2_run_replays_identically() -> None:
    a, b = sim_of(V2), sim_of(V2)
    for sim in (a, b):
        sim.advance_to(300 * S)
    assert a.events() == b.events()
    assert a.syslog("ho-asa") == b.syslog("ho-asa")
    assert a.tunnels["bo-ho"].ike_keys == b.tunnels["bo-ho"].ike_keys
    assert a.gateways["bo-asa"].sas["bo-ho"].keys_out == b.gateways["bo-asa"].sas["bo-ho"].keys_out


def test_ikev2_enable_with_client_services_prints_back_once() -> None:
    text = "crypto ikev2 enable outside client-services port 443\n"
    result = import_config(text)
    assert result.errors == [] and result.config.ikev2_enabled == ["outside"]
    assert running.render(result.config).count("crypto ikev2 enable outside") == 1
    assert "crypto ikev2 enable outside client-services port 443\n" in running.render(result.config)


def test_fixing_the_acl_while_phase_1_is_up_lets_the_next_quick_mode_through() -> None:
    acl = (
        "access-list outside_cryptomap extended permit ip "
        "10.1.1.0 255.255.255.0 10.0.0.0 255.255.255.0"
    )
    wrong = acl.replace("10.0.0.0 255.255.255.0", "10.9.9.0 255.255.255.0")
    sim = sim_of(V1, {"ho-asa": {acl: wrong}}, events=[])
    sim.advance_to(20 * S)
    assert not sim.gateways["bo-asa"].sas
    cli = CliSession(sim, "ho-asa", privileged=True)
    for line in ("configure terminal", f"no {wrong}", acl, "end"):
        cli.type(line)
    sim.advance_to(80 * S)  # the attempt times out at 31 s; the next packet retries
    assert "bo-ho" in sim.gateways["bo-asa"].sas
    assert len(logged(sim, "bo-asa", 713119)) == 1  # the same IKE SA carried quick mode


def test_an_ikev2_child_refused_over_an_existing_ike_sa_logs_750003() -> None:
    acl = (
        "access-list outside_cryptomap extended permit ip "
        "10.1.1.0 255.255.255.0 10.0.0.0 255.255.255.0"
    )
    wrong = acl.replace("10.0.0.0 255.255.255.0", "10.9.9.0 255.255.255.0")
    sim = sim_of(V2, events=[])
    sim.advance_to(5 * S)
    cli = CliSession(sim, "ho-asa", privileged=True)
    for line in ("configure terminal", f"no {acl}", wrong, "end"):
        cli.type(line)
    show(sim, "bo-asa", "clear crypto ipsec sa")  # the IKE SA stays, the child goes
    sim.advance_to(20 * S)
    assert not sim.gateways["bo-asa"].sas and "bo-ho" in sim.gateways["bo-asa"].ike_up
    refused = logged(sim, "ho-asa", 750003) + logged(sim, "bo-asa", 750003)  # the responder's
    assert refused and refused[-1].endswith(
        "IKEv2 Negotiation aborted due to ERROR: There was no IPSEC policy found for received TS"
    )
