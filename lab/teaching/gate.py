"""The prediction gate: a run whose question is unanswered does not play.

The one place this rule lives. Every way a run can be made to play asks it: a browser's
speed, step and reset (the websocket consumer, through lab.live.actions.refused) and the
instructor's class controls (lab.teaching.control.set_speed). The run host knows nothing
of it. An instructor may mark an unanswered student "no answer" (Attempt.waive): the
question is then closed and the run free to play.
"""

from __future__ import annotations

from typing import Any

from lab.live.models import SPEEDS
from lab.teaching.models import Attempt

WAITING = (
    "Lock in your prediction first (the question at the top of the page): "
    "the run waits, paused, until you have answered."
)


def plays(action: dict[str, Any]) -> bool:
    """Whether an action makes simulated time pass (or starts the run over)."""
    do = action.get("do")
    if do == "speed":
        return SPEEDS.get(str(action.get("speed"))) != 0
    return do in ("step", "reset")


def waiting(run_id: str) -> bool:
    """The run has a question its student has not answered yet (and may still)."""
    attempt = Attempt.objects.filter(run_id=run_id).select_related("run").first()
    return attempt is not None and attempt.can_predict()


def refusal(run_id: str, action: dict[str, Any]) -> str | None:
    """Why this action may not be taken on this run now; None: it may."""
    if plays(action) and waiting(run_id):
        return WAITING
    return None
