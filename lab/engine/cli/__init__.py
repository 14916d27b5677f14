"""The ASA command line: one session per device (session.py), the command trees as data
(tree.py) read by a small matcher (grammar.py), `show` renderers (show.py, running.py)
and the `clear` actions (actions.py). Pure engine code: no Django, no I/O.
"""

from __future__ import annotations

from .running import render as render_running_config
from .session import NOT_SIMULATED, CliSession, Help, caret, filter_output, platform_refusal

__all__ = [
    "NOT_SIMULATED",
    "CliSession",
    "Help",
    "caret",
    "filter_output",
    "platform_refusal",
    "render_running_config",
]
