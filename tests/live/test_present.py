"""What the run page shows, as plain data (lab.live.present): the timeline names the
scenario's own events and keeps the CLI and retransmission bursts to one entry each; the
throughput chart follows the story."""

from __future__ import annotations

from lab.engine.library import builtin_dict
from lab.engine.run import Runtime
from lab.engine.units import S
from lab.live import present


def run_to(slug: str, t_s: float) -> Runtime:
    rt = Runtime(builtin_dict(slug), 1)
    rt.advance_to(int(t_s * S))
    return rt


def texts(rt: Runtime) -> list[str]:
    return [e["text"] for e in present.timeline(rt)]


def test_the_scenarios_own_cut_is_named_as_its_and_a_students_is_not() -> None:
    rt = run_to("default-drop", 125)
    assert "the internet path is cut for 60 s, by the scenario" in texts(rt)
    rt.apply({"do": "cut", "link": "internet", "for_s": 5})
    assert texts(rt)[0] == "the internet path is cut for 5 s"


def test_cli_lines_are_one_entry_and_a_password_or_an_empty_line_none() -> None:
    rt = run_to("default-drop", 10)
    for line in ("enable", "", "configure terminal", "logging buffered debugging", "end"):
        rt.apply({"do": "type", "device": "bo-asa", "line": line})
    cli = [t for t in texts(rt) if "CLI" in t]
    assert cli == ["bo-asa CLI: enable; configure terminal; logging buffered debugging … (4 lines)"]
    assert not any(t.endswith("bo-asa:") for t in texts(rt))


def test_a_burst_of_retransmissions_is_one_entry() -> None:
    burst = [t for t in texts(run_to("default-drop", 130)) if "retransmits" in t]
    assert burst == ["download retransmits x6 (backing off)"]


def test_an_empty_chart_says_so_instead_of_a_scale() -> None:
    c = present.chart(run_to("default-drop", 0), "download")
    assert c["empty"] is True and c["top"] == ""


def test_the_chart_labels_its_ticks_and_zooms_on_the_outage() -> None:
    c = present.chart(run_to("default-drop", 300), "download")
    assert [t["label"] for t in c["ticks"]] == ["0:01:00", "0:02:00", "0:03:00", "0:04:00"]
    assert any(m["kind"] == "outage" for m in c["markers"]) and c["follows"]
    late = present.chart(run_to("default-drop", 1500), "download")
    assert late["note"] == "zoomed on the outage at 0:02:00" and not late["follows"]
    assert (late["from"], late["to"]) == ("0:00:01", "0:10:01")


def test_a_restart_keeps_the_earlier_attempts_curve() -> None:
    rt = run_to("default-drop", 200)
    rt.apply({"do": "restart_flow", "flow": "download"})
    rt.advance_to(260 * S)
    c = present.chart(rt, "download")
    assert c["earlier"] and c["points"]
    assert any(m["kind"] == "restart" for m in c["markers"])
