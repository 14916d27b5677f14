"""`manage.py labsim`: the JSON summary, the text timeline and one-line errors (exit 2)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lab.engine import BUILTIN_SLUGS, report
from lab.engine.library import builtin_dict

ROOT = Path(__file__).resolve().parent.parent.parent

SUMMARY_KEYS = {
    "scenario",
    "seed",
    "ended_at_s",
    "flows",
    "tunnel",
    "syslog",
    "events",
    "outcome",
}


def labsim(*args: str) -> str:
    out = StringIO()
    call_command("labsim", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def labsim_json(*args: str) -> dict[str, Any]:
    text = labsim(*args, "--json")
    assert text.count("\n") == 1 and text.endswith("\n"), "one JSON object on one line"
    data: dict[str, Any] = json.loads(text)
    return data


def labsim_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "labsim", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def flow(data: dict[str, Any], flow_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in data["flows"] if f["id"] == flow_id)
    return found


# -- --json ------------------------------------------------------------------------------


def test_it_prints_the_documented_summary_of_default_drop() -> None:
    data = labsim_json("default-drop")

    assert set(data) == SUMMARY_KEYS
    assert data["scenario"] == "default-drop"
    assert data["seed"] == 1
    assert data["ended_at_s"] == 1200.0
    assert flow(data, "download")["state"] == "aborted"
    assert set(data["outcome"]) == {"expected", "met"}
    assert data["outcome"]["met"] is True
    assert any("Tunnel has been torn down" in line for line in data["syslog"]["ho-asa"])


def test_it_completes_the_download_when_set_makes_it_small() -> None:
    data = labsim_json("default-drop", "--set", "flows.download.size_bytes=1000000")

    download = flow(data, "download")
    assert download["state"] == "completed"
    assert download["bytes_delivered"] == 1_000_000
    assert data["outcome"]["met"] is False  # the scenario expects the abort


def test_it_applies_several_sets_by_id_and_by_index() -> None:
    data = labsim_json(
        "default-drop",
        "--set",
        "topology.links.internet.delay_us=40000",
        "--set",
        "flows.0.size_bytes=2000000",
        "--until",
        "30",
    )

    assert flow(data, "download")["size_bytes"] == 2_000_000
    assert flow(data, "download")["state"] == "completed"
    assert data["ended_at_s"] == 30.0


def test_it_runs_a_named_variant_with_its_own_expectation() -> None:
    data = labsim_json("ra-client-mode", "--variant", "nem")

    assert flow(data, "download")["state"] == "running"
    assert data["outcome"]["met"] is True


def test_it_stops_at_until_and_uses_the_given_seed() -> None:
    data = labsim_json("default-drop", "--until", "60.5", "--seed", "7")

    assert data["ended_at_s"] == 60.5
    assert data["seed"] == 7
    assert flow(data, "download")["state"] == "running"
    assert data["outcome"]["met"] is False


def test_it_reads_a_scenario_file(tmp_path: Path) -> None:
    scenario = builtin_dict("default-drop")
    scenario["slug"] = "my-copy"
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")

    data = labsim_json(str(path))

    assert data["scenario"] == "my-copy"
    assert data["outcome"]["met"] is True


@pytest.mark.parametrize("slug", BUILTIN_SLUGS)
def test_it_serialises_the_summary_of_every_builtin_and_variant(slug: str) -> None:
    for name in [None, *builtin_dict(slug).get("variants", {})]:
        data = labsim_json(slug, *(["--variant", name] if name else []))
        assert data["outcome"]["met"] is True, (slug, name)


# -- text ----------------------------------------------------------------------------------


def test_it_prints_a_timeline_progress_bars_logs_and_the_outcome() -> None:
    text = labsim("default-drop")
    lines = text.splitlines()

    assert lines[0].startswith("The tunnel drops")
    assert "seed 1" in lines[1] and "until 0:20:00.000" in lines[1]
    assert "  0:02:00.000  internet link down" in lines
    assert "  0:03:00.000  internet link up" in lines
    assert re.search(r"retransmits x\d+ \(tlp, rto x\d+\)", text)
    bar = next(line for line in lines if "download  [" in line)
    assert re.search(r"\[#*-*\]\s+6\.8%  136\.15 MB of 2\.00 GB  aborted at 0:02:19: ", bar)
    assert "connection reset by ho-asa (106015)" in bar
    assert "stalled 0:02:00.000, never resumed" in text
    assert "ho-asa# show logging" in lines
    assert any("%ASA-6-106015: Deny TCP (no connection)" in line for line in lines)
    assert "  ok    flow download: state is 'aborted', expected 'aborted'" in lines
    assert lines[-1] == "outcome: met"


def test_it_says_not_met_and_still_succeeds() -> None:
    text = labsim("default-drop", "--set", "flows.download.size_bytes=1000000")

    assert "[####################] 100.0%  1.00 MB of 1.00 MB  completed at 0:00:" in text
    assert "  FAIL  flow download: state is 'completed', expected 'aborted'" in text
    assert text.splitlines()[-1] == "outcome: NOT met"


def test_it_shows_earlier_attempts_and_resumed_stalls() -> None:
    text = labsim("enable-while-up", "--variant", "clear-and-restart")

    assert "(variant clear-and-restart)" in text
    assert "attempt 2: running" in text
    assert "attempt 1 (port 1135): " in text
    assert re.search(r"stalled 0:02:00\.000 -> 0:04:32\.424 {2}\(2 min 32 s, \d+ ", text)


def test_it_formats_times_sizes_and_bars() -> None:
    assert report.clock(0) == "0:00:00.000"
    assert report.clock(3_725_123_999) == "1:02:05.123"
    assert report.clock(138_244_275, millis=False) == "0:02:18"
    assert report.size(1_040_000_000) == "1.04 GB"
    assert report.size(999) == "999 B"
    assert report.bar(0.523) == "[##########----------]"
    assert report.bar(0.9999) == "[###################-]"
    assert report.percent(0.9999) == "99.9%"
    assert report.percent(1.0) == "100.0%"


def test_it_keeps_the_report_module_free_of_django() -> None:
    probe = (
        "import sys, lab.engine.report; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# -- bad input: exit status 2, one line ---------------------------------------------------------

BAD_INPUT = [
    (["no-such-scenario"], "neither a built-in scenario"),
    (["missing.json"], "missing.json: no such file"),
    (["default-drop", "--set", "flows.download.size_bytes"], "expected PATH=VALUE"),
    (["default-drop", "--set", "flows.nope.size_bytes=1"], "flows.nope: no item"),
    (["default-drop", "--set", "topology.links.internet.rate_bps=0"], "links[1].rate_bps"),
    (["default-drop", "--set", "flows.download.size_bytes=1e6"], "flows[0].size_bytes"),
    (["default-drop", "--until", "-1"], "--until"),
    (["default-drop", "--until", "soon"], "--until"),
    (["default-drop", "--seed", "x"], "--seed"),
    (["default-drop", "--variant", "nope"], "no variant 'nope'"),
]


@pytest.mark.parametrize(("args", "says"), BAD_INPUT)
def test_it_refuses_bad_input_with_a_command_error(args: list[str], says: str) -> None:
    with pytest.raises(CommandError) as caught:
        labsim(*args)

    assert caught.value.returncode == 2
    message = str(caught.value)
    assert message.startswith("labsim: ") and says in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["no-such-scenario"], "no-such-scenario"),
        (["default-drop", "--set", "nonsense"], "expected PATH=VALUE"),
        (["default-drop", "--set", "topology.links.internet.rate_bps=0"], "links[1].rate_bps"),
        (["default-drop", "--until", "-5"], "--until"),
        (["default-drop", "--bogus"], "unrecognized arguments"),
        ([], "SCENARIO"),
    ],
)
def test_it_exits_2_with_one_line_on_stderr(args: list[str], says: str) -> None:
    result = labsim_process(*args)

    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "labsim: " in lines[0] and says in lines[0]
    assert "Traceback" not in result.stderr


def test_it_exits_2_on_a_malformed_json_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format": 1, "slug": ', encoding="utf-8")

    result = labsim_process(str(path))

    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert f"labsim: {path}: invalid JSON at line 1 column 23" in lines[0]
    assert "Traceback" not in result.stderr


def test_it_exits_0_and_prints_json_from_the_command_line() -> None:
    result = labsim_process("default-drop", "--until", "130", "--json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ended_at_s"] == 130.0
