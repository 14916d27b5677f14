"""The engine's TCP timing against the real Linux kernel's, measured on the same paths.

Each fixture in fixtures/fidelity/ is what `./dev fidelity` measured on one path (the
command is in the file): a real download through an nftables firewall in network
namespaces, cut and restored, its instants the median of several runs. Here the engine
runs the same path, file and outage (benchmarks/fidelity.py lab_scenario, as `labsim`
would) and must land where issue 17 asks: each resume and the give-up within 5 % of the
kernel's, the tail-loss probe and each RTO retransmission within 12.5 %, and a torn-down
conn never resuming. Instants are seconds after the cut.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from lab.engine.outcome import summary
from lab.engine.sim import Simulation
from lab.engine.spec import parse_scenario

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((Path(__file__).parent / "fixtures" / "fidelity").glob("*.json"))


def _harness() -> Any:
    spec = importlib.util.spec_from_file_location("fidelity", ROOT / "benchmarks" / "fidelity.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fidelity"] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


fidelity = _harness()


def _lab(fixture: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    p = fidelity.PathSpec(**fixture["path"])
    data = fidelity.teardown_scenario(p) if p.teardown else fidelity.lab_scenario(p)
    scenario = parse_scenario(data)
    sim = Simulation(scenario)
    sim.advance_to(scenario.until_us)
    return p, fidelity.lab_instants(summary(sim))


def _off(lab: float | None, kernel: float | None, goal: float) -> str | None:
    """Why the lab misses the kernel's instant (None: within goal %)."""
    if lab is None or kernel is None:
        return None if lab is None and kernel is None else f"lab {lab} vs kernel {kernel}"
    err = 100 * (lab - kernel) / kernel
    return None if abs(err) <= goal else f"lab {lab:.3f} vs kernel {kernel:.3f} ({err:+.1f} %)"


def test_there_are_at_least_four_measured_paths() -> None:
    paths = [json.loads(f.read_text())["path"] for f in FIXTURES]
    assert len([p for p in paths if not p["teardown"]]) >= 4
    assert {p["cc"] for p in paths} == {"cubic", "reno"}
    assert {p["retries2"] for p in paths} == {5, 15}


@pytest.mark.parametrize("fixture_file", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_the_engine_times_the_outage_as_the_kernel_did(fixture_file: Path) -> None:
    fixture = json.loads(fixture_file.read_text())
    kernel = fixture["kernel"]
    p, lab = _lab(fixture)
    if p.teardown:
        assert kernel["resume_s"] is None  # the kernel's retransmissions all met "no conn"
        assert lab["resume_s"] is None and not lab["resumed"]
        return
    misses = {}
    goals = fidelity.GOALS
    misses["tail-loss probe"] = _off(lab["tlp_s"], kernel["tlp_s"], goals["tlp"])
    n = min(len(lab["rto_s"]), len(kernel["rto_s"]))
    assert len(lab["rto_s"]) == len(kernel["rto_s"]), (lab["rto_s"], kernel["rto_s"])
    for i in range(n):
        misses[f"RTO {i + 1}"] = _off(lab["rto_s"][i], kernel["rto_s"][i], goals["rto"])
    misses["resume"] = _off(lab["resume_s"], kernel["resume_s"], goals["resume"])
    misses["give-up"] = _off(lab["give_up_s"], kernel["give_up_s"], goals["give_up"])
    assert {k: v for k, v in misses.items() if v} == {}
