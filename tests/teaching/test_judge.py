"""The outcome checks of every built-in challenge, on recorded action logs.

Each log is what a student's run stores (RunAction rows: simulated time, wall time,
action). A passing log and failing logs per challenge; the verdict comes from the engine's
outcome code on the replayed run and from the constraints checked on the log.
"""

from __future__ import annotations

from typing import Any

import pytest

from lab.engine.spec import parse_scenario
from lab.engine.units import S
from lab.specs import validate
from lab.teaching.builtins import CHALLENGE_SLUGS, challenge_dict
from lab.teaching.judge import Entry, Replay, judge, matches
from lab.teaching.spec import teaching_of


def at(t_s: float, **action: Any) -> Entry:
    return Entry(int(t_s * S), t_s / 60, action)


def typed(device: str, t_s: float, *lines: str) -> list[Entry]:
    return [at(t_s, do="type", device=device, line=line) for line in lines]


def sysopt(device: str, t_s: float, enabled: bool = True) -> Entry:
    return at(t_s, do="set_sysopt", device=device, option="preserve-vpn-flows", enabled=enabled)


def run(slug: str, log: list[Entry], taken_s: float = 60) -> Any:
    d = challenge_dict(slug)
    verdict, held = judge(teaching_of(d), d, d["seed"], log, taken_s=taken_s)
    return verdict, held


def failed(verdict: Any) -> str:
    assert verdict is not None and not verdict.passed
    return " ".join(c.text for c in verdict.goal + verdict.rules if not c.ok)


LOGIN = ("enable", "")


def test_every_builtin_is_a_valid_scenario_with_a_teaching_block() -> None:
    for slug in CHALLENGE_SLUGS:
        d = challenge_dict(slug)
        assert parse_scenario(d).slug == slug
        validate(d)
        t = teaching_of(d)
        assert t.has_question or t.is_challenge
        assert t.is_challenge == slug.startswith("challenge-")


@pytest.mark.parametrize("slug", [s for s in CHALLENGE_SLUGS if s.startswith("challenge-")])
def test_doing_nothing_fails_every_challenge(slug: str) -> None:
    verdict, _ = run(slug, [])
    assert failed(verdict)


def test_both_ends_passes_with_the_sysopt_on_ho_before_the_tunnel_comes_up() -> None:
    verdict, _ = run("challenge-both-ends", [sysopt("ho-asa", 5)])
    assert verdict.passed, verdict.reasons
    # the same by typing it
    log = typed("ho-asa", 5, *LOGIN, "conf t", "sysopt connection preserve-vpn-flows", "end")
    verdict, _ = run("challenge-both-ends", log)
    assert verdict.passed, verdict.reasons
    assert [c.name for c in verdict.commands] == ["sysopt connection preserve-vpn-flows"]


def test_both_ends_fails_when_the_outage_is_cancelled_or_the_lifetime_touched() -> None:
    verdict, _ = run("challenge-both-ends", [at(125, do="restore", link="internet")])
    assert "lab control “restore”" in failed(verdict)
    log = typed("ho-asa", 5, *LOGIN, "conf t", "crypto isakmp policy 10", "lifetime 0", "end")
    verdict, _ = run("challenge-both-ends", [sysopt("ho-asa", 4), *log])
    assert "crypto isakmp policy 10 lifetime 0" in failed(verdict)
    assert "off limits" in failed(verdict)


def test_both_ends_fails_when_ho_is_enabled_on_the_live_tunnel() -> None:
    verdict, _ = run("challenge-both-ends", [sysopt("ho-asa", 60)])
    assert "The download is dead" in failed(verdict)


ENABLE_LIVE = [
    sysopt("ho-asa", 30),
    sysopt("bo-asa", 31),
    at(40, do="clear_ipsec_sa", device="bo-asa"),
    at(60, do="restart_flow", flow="download"),
]


def test_enable_live_passes_with_sysopt_clear_and_restart() -> None:
    verdict, _ = run("challenge-enable-live", ENABLE_LIVE)
    assert verdict.passed, verdict.reasons
    assert len([c for c in verdict.commands if c.kind == "device"]) == 3


def test_enable_live_fails_without_the_clear() -> None:
    verdict, _ = run("challenge-enable-live", ENABLE_LIVE[:2])
    assert "The download is dead" in failed(verdict)


def test_enable_live_fails_when_acting_after_the_deadline_or_beyond_the_commands() -> None:
    late = [*ENABLE_LIVE[:3], at(295, do="restart_flow", flow="download")]
    verdict, _ = run("challenge-enable-live", late)
    assert "deadline" in failed(verdict)
    extra = [*ENABLE_LIVE, at(61, do="clear_isakmp_sa", device="ho-asa")]
    extra += typed("ho-asa", 62, *LOGIN, "conf t", "timeout conn 2:00:00", "end")
    verdict, _ = run("challenge-enable-live", extra)
    assert "only “sysopt connection preserve-vpn-flows”, “clear crypto” may change" in failed(
        verdict
    )
    assert "the limit is 4" in failed(verdict)


def test_udp_passes_with_the_sysopt_on_both_and_the_udp_conn_still_times_out() -> None:
    verdict, held = run("challenge-udp", [sysopt("ho-asa", 5), sysopt("bo-asa", 6)])
    assert verdict.passed, verdict.reasons
    assert held == [False, True]  # the UDP conn timed out (302016): choice 2 happened


def test_udp_fails_with_one_end_or_a_longer_udp_timeout() -> None:
    verdict, _ = run("challenge-udp", [sysopt("bo-asa", 5)])
    assert "The download is dead" in failed(verdict)
    log = typed("bo-asa", 5, *LOGIN, "conf t", "timeout udp 1:00:00", "end")
    verdict, _ = run("challenge-udp", [sysopt("ho-asa", 4), sysopt("bo-asa", 4), *log])
    assert "“timeout” is off limits" in failed(verdict)


def test_logging_passes_with_level_6_on_ho() -> None:
    log = typed("ho-asa", 10, *LOGIN, "conf t", "logging buffered informational", "end")
    verdict, _ = run("challenge-logging", log)
    assert verdict.passed, verdict.reasons


def test_logging_fails_on_the_wrong_device_or_too_late() -> None:
    log = typed("bo-asa", 10, *LOGIN, "conf t", "logging buffered informational", "end")
    verdict, _ = run("challenge-logging", log)
    assert "does not list “302014”" in failed(verdict)
    log = typed("ho-asa", 150, *LOGIN, "conf t", "logging buffered 6", "end")
    verdict, _ = run("challenge-logging", log)
    assert "deadline" in failed(verdict)


def test_logging_fails_when_the_sysopt_hides_the_teardown() -> None:
    verdict, _ = run("challenge-logging", [sysopt("ho-asa", 5)])
    reasons = failed(verdict)
    assert "only “logging” may change" in reasons


LIFETIME_0 = typed(
    "ho-asa", 10, *LOGIN, "configure terminal", "crypto isakmp policy 10", "lifetime 0", "end"
) + typed("bo-asa", 20, *LOGIN, "conf t", "cry isa pol 10 life 0", "end")


def test_ike_lifetime_passes_with_lifetime_0_typed_in_full_or_abbreviated() -> None:
    verdict, _ = run("challenge-ike-lifetime", LIFETIME_0)
    assert verdict.passed, verdict.reasons
    assert [c.name for c in verdict.commands] == [
        "crypto isakmp policy 10 lifetime 0",
        "cry isa pol 10 life 0",
    ]


def test_ike_lifetime_fails_with_the_sysopt_instead() -> None:
    verdict, _ = run("challenge-ike-lifetime", [sysopt("ho-asa", 5), sysopt("bo-asa", 5)])
    assert "“sysopt” is off limits" in failed(verdict)


def test_non_cisco_passes_with_one_command_and_fails_with_two() -> None:
    verdict, _ = run("challenge-non-cisco", [sysopt("bo-asa", 5)])
    assert verdict.passed, verdict.reasons
    verdict, _ = run("challenge-non-cisco", [sysopt("bo-asa", 5, False), sysopt("bo-asa", 6)])
    assert "You used 2 device commands; the limit is 1." in failed(verdict)


def test_pix_passes_when_the_refusal_is_shown_and_the_refused_line_is_no_command() -> None:
    log = typed("bo-pix", 10, *LOGIN, "conf t", "sysopt connection preserve-vpn-flows", "end")
    verdict, _ = run("challenge-pix", log)
    assert verdict.passed, verdict.reasons
    assert [c.refused for c in verdict.commands] == [True]


def test_pix_fails_without_trying_the_command_or_with_the_link_restored() -> None:
    verdict, _ = run("challenge-pix", [])
    assert "BO-PIX refused 0 line(s); the goal needs 1" in failed(verdict)
    log = typed("bo-pix", 10, *LOGIN, "conf t", "sysopt connection preserve-vpn-flows", "end")
    verdict, _ = run("challenge-pix", [*log, at(121, do="restore", link="internet")])
    assert "allowed controls: none" in failed(verdict)


def test_the_prediction_is_judged_on_the_run_as_it_went() -> None:
    verdict, held = run("predict-one-end", [])
    assert verdict is None
    assert held == [False, True, False]
    # a student who enabled HO too made choice 1 ("it resumes") true on their own run
    _, held = run("predict-one-end", [sysopt("ho-asa", 0.5)])
    assert held[0] is True


def test_the_time_limit_is_checked_on_the_time_taken() -> None:
    d = challenge_dict("challenge-non-cisco")
    d["teaching"]["constraints"]["time_limit_s"] = 120
    t = teaching_of(d)
    verdict, _ = judge(t, d, 1, [sysopt("bo-asa", 5)], taken_s=300)
    assert "You took 300 s; the time limit is 120 s." in failed(verdict)


def test_patterns_match_abbreviations_wildcards_and_no_forms() -> None:
    assert matches("crypto isakmp policy * lifetime", ["cry", "isa", "pol", "10", "life", "0"])
    assert matches("sysopt", ["no", "sysopt", "connection", "preserve-vpn-flows"])
    assert not matches("crypto isakmp policy * lifetime", ["crypto", "isakmp", "policy", "10"])
    assert not matches("logging", ["timeout", "conn", "1:00:00"])


def test_navigation_and_show_are_not_commands() -> None:
    d = challenge_dict("challenge-logging")
    log = typed("ho-asa", 1, *LOGIN, "show run", "sh logging", "conf t", "do show conn", "end")
    assert Replay(d, 1, log).commands == []


def test_the_reasons_read_as_sentences_not_as_debug_output() -> None:
    verdict, _ = run("challenge-both-ends", [])
    assert verdict is not None
    text = " ".join(verdict.reasons)
    assert "The download never resumed." in text
    assert "expected" not in text and "True" not in text and "'" not in text.replace("'s ", "")
