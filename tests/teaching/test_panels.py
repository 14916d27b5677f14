"""Dashboard rows play each run on from the last poll, and agree with a fresh replay."""

from __future__ import annotations

from typing import Any

import pytest

from lab.engine.library import builtin_dict
from lab.live import host, present
from lab.live.models import Run, RunAction
from lab.teaching import panels

pytestmark = pytest.mark.django_db


def fresh(run: Run) -> dict[str, Any]:
    rt = host.rebuild_run(run)
    return present.flow_status(rt, "download")


def test_it_plays_on_between_polls_and_replays_when_the_log_grows(db: Any) -> None:
    d = builtin_dict("default-drop")
    run, _ = Run.start(title=d["title"], spec=d, seed=d["seed"])
    for t_s in (60, 130, 150):
        Run.objects.filter(pk=run.id).update(sim_t_us=t_s * 1_000_000)
        run.refresh_from_db()
        state = panels.download_state(run)
        assert (state["state"], state["label"]) == (fresh(run)["state"], fresh(run)["label"])
    assert state["label"].startswith("failed")
    # An action logged in the past (a restart at 155 s) must not be missed by the cache.
    RunAction.objects.create(
        run=run, seq=1, t_us=155_000_000, action={"do": "restart_flow", "flow": "download"}
    )
    Run.objects.filter(pk=run.id).update(sim_t_us=200_000_000)
    run.refresh_from_db()
    assert panels.download_state(run)["label"] == fresh(run)["label"] == "running"
