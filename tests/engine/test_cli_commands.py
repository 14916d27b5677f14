"""`manage.py labcli` (scripted transcripts) and `manage.py labimport` (derived topology)."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lab.engine.library import builtin_dict

ROOT = Path(__file__).resolve().parent.parent.parent


def labcli(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "labcli", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_labcli_prints_the_transcript_of_piped_lines() -> None:
    lines = "en\n\nconf t\nsysopt conn pres\ndo sh run sysopt\nend\n"
    result = labcli(lines, "default-drop")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "BO-ASA> en\n"
        "Password: \n"
        "BO-ASA# conf t\n"
        "BO-ASA(config)# sysopt conn pres\n"
        "BO-ASA(config)# do sh run sysopt\n"
        "sysopt connection preserve-vpn-flows\n"
        "BO-ASA(config)# end\n"
        "BO-ASA#\n"
    )


def test_labcli_runs_to_a_time_and_opens_another_device() -> None:
    result = labcli("en\n\nshow conn count\n", "default-drop", "--at", "30", "--device", "ho-asa")
    assert result.returncode == 0, result.stderr
    assert "HO-ASA# show conn count\n1 in use, 1 most used.\n" in result.stdout


def test_labcli_refuses_a_device_without_a_cli() -> None:
    result = labcli("", "default-drop", "--device", "bo-pc")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "CommandError: labcli: --device 'bo-pc': no ASA/PIX of that name; "
        "devices with a CLI: bo-asa, ho-asa"
    ]


def _configs(tmp_path: Path) -> tuple[str, str]:
    paths = []
    for node in builtin_dict("default-drop")["topology"]["nodes"][1:3]:
        path = tmp_path / f"{node['id']}.cfg"
        path.write_text("\n".join(node["config"]) + "\n")
        paths.append(str(path))
    return paths[0], paths[1]


def test_labimport_prints_the_topology_and_warnings_with_line_numbers(tmp_path: Path) -> None:
    bo, ho = _configs(tmp_path)
    out = StringIO()
    call_command("labimport", bo, ho, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Scenario: Imported: BO-ASA to HO-ASA"
    assert "  tunnel bo-ho    bo-asa <-> ho-asa (l2l)" in lines
    assert f"{bo}:5: warning: kept but not simulated: names" in lines


def test_labimport_json_is_a_scenario_file(tmp_path: Path) -> None:
    from lab.engine.spec import parse_scenario

    bo, ho = _configs(tmp_path)
    out = StringIO()
    call_command("labimport", bo, ho, "--json", stdout=out)
    scenario = parse_scenario(json.loads(out.getvalue()))
    assert [n.id for n in scenario.topology.nodes] == ["bo-pc", "bo-asa", "ho-asa", "ho-server"]


def test_labimport_exits_2_on_errors(tmp_path: Path) -> None:
    _, ho = _configs(tmp_path)
    bad = tmp_path / "bad.cfg"
    bad.write_text("hostname X\ncrypto ipsec security-association lifetime seconds 5\n")
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("labimport", str(bad), ho, stdout=out)
    assert caught.value.returncode == 2
    assert f"{bad}:2: error: ERROR: 5 is out of range 120-2147483647" in out.getvalue()
