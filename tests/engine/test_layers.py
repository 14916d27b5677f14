"""Layering: the command line is a layer above the simulation. No simulation module imports
lab/engine/cli (the CLI registers itself with commands.TERMINAL); only the package facade
(lab/engine/__init__.py) and the run host (run.py) may."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).parents[2] / "lab" / "engine"
ABOVE = {"__init__.py", "run.py"}  # the facade and the run host sit on top of both


def imports_cli(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [a.name for a in node.names]
            if (
                (node.level == 1 and (module == "cli" or module.startswith("cli.")))
                or (node.level == 1 and not module and "cli" in names)
                or module.startswith("lab.engine.cli")
            ):
                found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_simulation_module_imports_the_cli() -> None:
    modules = [p for p in ENGINE.glob("*.py") if p.name not in ABOVE]
    assert len(modules) > 20
    assert [hit for p in modules for hit in imports_cli(p)] == []


def test_the_simulations_buttons_still_type_through_the_cli() -> None:
    from lab.engine import Simulation, builtin, command_from_dict

    sim = Simulation(builtin("default-drop"))
    result = sim.apply(
        command_from_dict(
            {
                "do": "set_sysopt",
                "device": "bo-asa",
                "option": "preserve-vpn-flows",
                "enabled": True,
            }
        )
    )
    assert result["ok"] and "sysopt connection preserve-vpn-flows" in result["transcript"]
    assert sim.gateways["bo-asa"].cfg.sysopt.preserve_vpn_flows  # type: ignore[union-attr]
