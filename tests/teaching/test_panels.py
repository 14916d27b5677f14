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


def test_it_never_goes_back_and_replays_for_an_action_earlier_than_its_state(db: Any) -> None:
    d = builtin_dict("default-drop")
    run, _ = Run.start(title=d["title"], spec=d, seed=d["seed"])
    Run.objects.filter(pk=run.id).update(sim_t_us=60_000_000)
    run.refresh_from_db()
    kept = panels._runtime_now(run, 0)
    # the owner's save lands a little behind the last estimate: the same state, not a replay
    Run.objects.filter(pk=run.id).update(sim_t_us=59_500_000)
    run.refresh_from_db()
    assert panels._runtime_now(run, 0) is kept and kept.now == 60_000_000
    # an action earlier than the state kept: replayed from zero, as a fresh replay
    RunAction.objects.create(
        run=run, seq=1, t_us=10_000_000, action={"do": "cut", "link": "internet", "for_s": 180}
    )
    Run.objects.filter(pk=run.id).update(sim_t_us=200_000_000)
    run.refresh_from_db()
    assert panels._runtime_now(run, 1) is not kept
    assert panels.download_state(run)["label"] == fresh(run)["label"]
