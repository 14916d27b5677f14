from __future__ import annotations

from typing import Any

from lab.engine import Simulation, parse_scenario
from lab.engine.library import builtin_dict
from lab.engine.spec import variant


def run(slug: str, variant_name: str | None = None, **overrides: Any) -> Simulation:
    """Run a built-in scenario (optionally a variant) to its end."""
    data = builtin_dict(slug)
    if variant_name:
        data = variant(data, variant_name)
    data.update(overrides)
    scenario = parse_scenario(data)
    sim = Simulation(scenario)
    sim.advance_to(scenario.until_us)
    return sim
