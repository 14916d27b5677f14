"""VPN Flow Lab's simulation engine: pure Python, sans-IO, deterministic.

No Django, no event-loop framework, no wall clock, no I/O (it only reads its own scenario files).
Time is an integer number of microseconds passed in by the caller.
"""

from __future__ import annotations

from . import cli  # noqa: F401 - the command line, a layer above, registers its terminal
from .commands import Command, command_from_dict
from .errors import CommandError, LabError, SpecError
from .library import BUILTIN_SLUGS, builtin, builtin_dict
from .sim import Simulation
from .spec import Scenario, parse_scenario

__all__ = [
    "BUILTIN_SLUGS",
    "Command",
    "CommandError",
    "LabError",
    "Scenario",
    "Simulation",
    "SpecError",
    "builtin",
    "builtin_dict",
    "command_from_dict",
    "parse_scenario",
]
