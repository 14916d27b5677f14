"""Every built-in scenario (and variant) reaches its expected outcome, judged by the same
`outcome.check` the lab uses; the seed's key log lines are asserted verbatim."""

from __future__ import annotations

import pytest

from lab.engine import BUILTIN_SLUGS
from lab.engine.library import builtin_dict
from lab.engine.outcome import check, summary

from .conftest import run

CASES = [(slug, None) for slug in BUILTIN_SLUGS] + [
    (slug, name) for slug in BUILTIN_SLUGS for name in builtin_dict(slug).get("variants", {})
]


@pytest.mark.parametrize(("slug", "variant_name"), CASES)
def test_it_meets_the_expected_outcome(slug: str, variant_name: str | None) -> None:
    sim = run(slug, variant_name)
    failed = [c.text for c in check(sim) if not c.ok]
    assert failed == []
    assert check(sim), "a scenario must expect something"


def test_it_tears_down_with_the_seed_reason_and_then_denies_the_retransmission() -> None:
    sim = run("default-drop")
    ho = sim.syslog("ho-asa")
    assert (
        "%ASA-6-302014: Teardown TCP connection 1 for outside:10.0.0.100/1135 to "
        "inside:10.1.1.10/80 duration 0:02:16 bytes 136145733 Tunnel has been torn down"
    ) in ho
    assert (
        "%ASA-6-106015: Deny TCP (no connection) from 10.1.1.10/80 to 10.0.0.100/1135 flags ACK  on interface inside"
        in ho
    )
    assert (
        "%ASA-3-713123: Group = 209.165.201.2, IP = 209.165.201.2, IKE lost contact with remote peer, "
        "deleting connection (keepalive type: DPD)"
    ) in ho
    bo = sim.syslog("bo-asa")
    assert (
        "%ASA-6-302014: Teardown TCP connection 1 for outside:10.1.1.10/80 to "
        "inside:10.0.0.100/1135 duration 0:02:17 bytes 136145733 Tunnel has been torn down"
    ) in bo
    flow = summary(sim)["flows"][0]
    assert flow["state"] == "aborted"
    assert flow["abort_reason"] == "connection reset by ho-asa (106015)"
    assert flow["stalls"] == [{"start_s": 120.0, "end_s": None}]


def test_it_resumes_at_a_retransmission_after_the_tunnel_is_back() -> None:
    sim = run("preserve-both")
    flow = summary(sim)["flows"][0]
    (stall,) = flow["stalls"]
    assert stall["start_s"] == 120.0
    # data moves again when the ACK of the retransmission that got through is back
    rtt_s = sim.flows["download"].base_rtt_us / 1_000_000
    assert round(stall["end_s"] - rtt_s, 6) in flow["retransmissions_s"]
    tunnel_up_again = [t["t_s"] for t in summary(sim)["tunnel"] if t["state"] == "up"][-1]
    assert 180.0 < tunnel_up_again < stall["end_s"]  # not when the tunnel returns
    assert not any("302014" in line for line in sim.syslog("bo-asa") + sim.syslog("ho-asa"))


def test_it_stamps_preserve_only_when_the_sa_is_created() -> None:
    sim = run("enable-while-up", until_s=100)
    device = sim.view()["devices"]["bo-asa"]
    assert device["preserve_vpn_flows"] is True  # show run has it...
    assert device["sas"]["bo-ho"]["preserve"] is False  # ...the live vpn-context does not
    sim = run("enable-while-up", "clear-and-restart", until_s=100)
    assert sim.view()["devices"]["bo-asa"]["sas"]["bo-ho"]["preserve"] is True


def test_it_shows_302014_only_at_level_6() -> None:
    quiet = run("logging-level")
    assert not any("302014" in x for x in quiet.syslog("ho-asa"))
    loud = run("logging-level", "informational")
    assert any("302014" in x and "Tunnel has been torn down" in x for x in loud.syslog("ho-asa"))
    # the engine saw the same teardown both times: only the buffer's level differs
    teardowns = [
        e for e in quiet.events() if e["type"] == "conn_teardown" and e["device"] == "ho-asa"
    ]
    assert teardowns and teardowns[0]["reason"] == "Tunnel has been torn down"


def test_it_rejects_the_sysopt_on_a_pix() -> None:
    sim = run("unsupported-platform", until_s=20)
    (cli,) = [e for e in sim.events() if e["type"] == "cli" and "preserve" in e["line"]]
    assert "not a valid sysopt option" in cli["output"]
    assert sim.gateways["bo-pix"].cfg is not None
    assert sim.gateways["bo-pix"].cfg.sysopt.preserve_vpn_flows is False


def test_it_rekeys_with_new_spis_and_no_teardown() -> None:
    sim = run("long-haul")
    created = [x for x in sim.syslog("bo-asa") if "602303" in x]
    assert len({x.split("SPI= ")[1][:10] for x in created}) == len(created)
    assert len([t for t in summary(sim)["tunnel"] if t["cause"] == "rekey"]) >= 4
    assert not any("Tunnel has been torn down" in x for x in sim.syslog("ho-asa"))


def test_it_times_out_a_udp_conn_and_builds_a_new_one() -> None:
    sim = run("udp-stream")
    bo = sim.syslog("bo-asa")
    # the 4 KB buffer has rolled past the first 302015 by now: count the builds in the trace
    stream = [e for e in sim.events() if e["type"] == "conn_built" and e.get("flow") == "stream"]
    assert len([e for e in stream if e["device"] == "bo-asa"]) == 2
    assert any("302015" in x for x in bo)
    assert any("302016" in x for x in bo)


def test_it_does_not_let_a_stale_half_cancel_a_new_negotiation() -> None:
    sim = run("udp-stream")
    history = [(h["state"], h["cause"]) for h in sim.tunnels["bo-ho"].history]
    for before, after in zip(history, history[1:], strict=False):
        assert not (before[0] == "negotiating" and after == ("down", "Lost Service"))
