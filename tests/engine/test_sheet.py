"""The lab sheet: steps tick when the engine sees them happen, never before; the hint for
the sysopt enabled on a live tunnel; the explanation and the next scenario at the end."""

from __future__ import annotations

from lab.engine.library import builtin_dict
from lab.engine.run import Runtime
from lab.engine.sheet import sheet
from lab.engine.units import S


def run_to(slug: str, t_s: float, *actions: tuple[float, dict[str, object]]) -> Runtime:
    rt = Runtime(builtin_dict(slug), 1)
    for at, action in actions:
        rt.advance_to(int(at * S))
        rt.apply(action)
    rt.advance_to(int(t_s * S))
    return rt


def ticks(rt: Runtime) -> dict[str, str]:
    """Each step's text -> what was seen ("" while not done)."""
    return {s.text: s.seen if s.done else "" for s in sheet(rt)["steps"]}


def test_nothing_is_ticked_before_it_happens() -> None:
    sh = sheet(run_to("default-drop", 0))
    assert [s.done for s in sh["steps"]] == [False] * len(sh["steps"])
    assert sh["finished"] is False
    assert sh["explanation"] == ""
    assert sh["next_slug"] == ""
    assert "the internet path is cut for 60 s" in sh["steps"][1].text


def test_the_default_drop_story_ticks_step_by_step() -> None:
    before_cut = ticks(run_to("default-drop", 119))
    assert before_cut["The download starts at 0:00:01"] == "data moving"
    assert before_cut["At 0:02:00 the scenario: the internet path is cut for 60 s"] == ""
    assert before_cut["The download stalls"] == ""

    cut = ticks(run_to("default-drop", 125))
    assert cut["At 0:02:00 the scenario: the internet path is cut for 60 s"] == "happened"
    assert cut["The download stalls"] == "stalled"
    assert cut["Does DPD declare the peer dead and delete the SAs?"] == ""

    end = run_to("default-drop", 400)
    seen = ticks(end)
    assert seen["Does DPD declare the peer dead and delete the SAs?"].startswith("yes")
    assert (
        "Tunnel has been torn down"
        in seen["Does either ASA tear the download's conn down (302014)?"]
    )
    assert seen["When the path is back: does the download resume?"].startswith("no: failed")
    sh = sheet(end)
    assert sh["finished"] is True
    assert "302014" in sh["explanation"]
    assert sh["next_slug"] == "preserve-both"
    assert any("Restart it" in h for h in sh["hints"])


def test_preserve_both_resumes_and_keeps_the_conns() -> None:
    seen = ticks(run_to("preserve-both", 400))
    assert seen["Does either ASA tear the download's conn down (302014)?"] == (
        "no: the conns were kept"
    )
    assert seen["When the path is back: does the download resume?"] == "yes: data moving again"


def test_a_blip_shorter_than_dpd_deletes_no_sa() -> None:
    seen = ticks(run_to("short-blip", 300))
    assert seen["Does DPD declare the peer dead and delete the SAs?"] == (
        "no: the path came back before DPD gave up"
    )


def test_a_scenario_without_a_scripted_cut_asks_the_student_to_cut() -> None:
    rt = run_to("ike-lifetime-zero", 60)
    assert ticks(rt)["Cut the internet path yourself (Tunnel: Cut)"] == ""
    rt.apply({"do": "cut", "link": "internet", "for_s": 30})
    rt.advance_to(rt.now + 1)
    assert ticks(rt)["Cut the internet path yourself (Tunnel: Cut)"] == "cut"


def test_the_sysopt_on_a_live_tunnel_gets_a_hint_until_the_sas_are_cleared() -> None:
    on = {"do": "set_sysopt", "option": "preserve-vpn-flows", "enabled": True}
    rt = run_to("default-drop", 30, (20, {**on, "device": "bo-asa"}))
    hints = sheet(rt)["hints"]
    assert len(hints) == 1
    assert "takes effect on SAs created from now on: clear the SAs" in hints[0]
    rt.apply({"do": "clear_ipsec_sa", "device": "bo-asa"})
    rt.advance_to(40 * S)  # new SAs, negotiated with the sysopt on: PRESERVE
    assert not any("PRESERVE" in h for h in sheet(rt)["hints"])


def test_a_restarted_download_starts_the_story_again() -> None:
    rt = run_to("default-drop", 400, (300, {"do": "restart_flow", "flow": "download"}))
    seen = ticks(rt)
    assert seen["Attempt 2 of the download starts"] == "data moving"
    assert seen["The download stalls"] == ""  # no outage since this attempt started


def test_a_challenge_keeps_its_explanation_for_the_teaching_panel() -> None:
    from lab.teaching.builtins import challenge_dict

    rt = Runtime(challenge_dict("challenge-non-cisco"), 1)
    rt.advance_to(rt.sim.scenario.until_us)
    sh = sheet(rt)
    assert sh["explanation"] == "" and sh["next_slug"] == ""
