"""The ASA command line: one session per device (session.py), the command trees as data
(tree.py) read by a small matcher (grammar.py), `show` renderers (show.py, running.py)
and the `clear` actions (actions.py). Pure engine code: no Django, no I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import commands
from .running import render as render_running_config
from .session import NOT_SIMULATED, CliSession, Help, caret, filter_output, platform_refusal

if TYPE_CHECKING:
    from ..sim import Simulation


def type_lines(sim: Simulation, device: str, lines: tuple[str, ...]) -> dict[str, Any]:
    """Lines typed at a device, starting in privileged EXEC mode (the `cli` command)."""
    session = CliSession(sim, device, privileged=True)
    transcript = [session.type(line) for line in lines]
    return {"ok": True, "transcript": "".join(transcript), "errors": session.errors}


if type_lines not in commands.TERMINAL:
    commands.TERMINAL.append(type_lines)  # the simulation's buttons type through the CLI

__all__ = [
    "NOT_SIMULATED",
    "CliSession",
    "Help",
    "caret",
    "filter_output",
    "platform_refusal",
    "render_running_config",
    "type_lines",
]
