"""Replays have budgets: checks, the class dashboard, recordings (issue #15 item 10)."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from lab.live import host, tokens
from lab.live.models import Run
from lab.teaching import judge, panels
from lab.teaching.builtins import challenge_dict
from lab.teaching.spec import teaching_of

from .conftest import Client
from .test_isolation import dense


def dense_challenge() -> dict[str, Any]:
    d = copy.deepcopy(challenge_dict("challenge-udp"))
    d["topology"] = dense()["topology"]
    return d


def test_a_check_too_long_to_replay_says_so_instead_of_judging() -> None:
    spec = dense_challenge()
    verdict, held = judge.judge(teaching_of(spec), spec, 1, [], taken_s=5.0, max_events=2_000)
    assert verdict is not None and not verdict.passed
    assert held == []  # no prediction judged either
    assert verdict.reasons == [judge.TOO_LONG.format(n=2_000)]
    # The same run of the ordinary challenge is judged as always within the default budget.
    plain = challenge_dict("challenge-udp")
    verdict, held = judge.judge(teaching_of(plain), plain, 1, [], taken_s=5.0)
    assert verdict is not None and len(held) == len(teaching_of(plain).choices)
    assert not any("Too long" in r for r in verdict.reasons)


@pytest.mark.django_db
def test_the_dashboard_replays_within_its_budget_and_goes_on_at_the_next_poll() -> None:
    run, _ = Run.start(title="dense", spec=dense(), seed=1)
    Run.objects.filter(pk=run.id).update(sim_t_us=5_000_000)  # 5 s: ~75,000 events
    run.refresh_from_db()
    seen = []
    for _ in range(3):
        budget = panels.Budget(events=3_000)
        state = panels.download_state(run, 0, budget=budget)
        seen.append(panels._REPLAYS[run.id][2].rt.now)
        assert budget.events <= 0 and state["label"].endswith("(replay catching up)")
    assert seen == sorted(seen) and seen[0] < seen[-1] < 5_000_000


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("stop_hosts")
async def test_the_dashboard_reads_what_the_owner_published_without_a_replay(
    run_and_token: tuple[Run, str],
) -> None:
    run, token = run_and_token
    client = Client(run.id, token)
    await client.connect()
    await client.until(lambda c: c.progress)
    async with asyncio.timeout(10):  # the monitor publishes every SUMMARY_S
        while run.id not in host._summaries:  # noqa: ASYNC110 - nothing to wait on
            await asyncio.sleep(0.1)
    fresh = await Run.objects.aget(pk=run.id)
    state = await sync_to_async(panels.download_state)(fresh)
    assert run.id not in panels._REPLAYS  # no replay: the owner's summary
    assert state["state"] == client.progress[-1]["flows"][0]["state"]
    await client.close()
    await host.stop_all()  # lets go: publishes where the run stopped
    stopped = await Run.objects.aget(pk=run.id)
    assert host._summaries[run.id]["t_us"] == stopped.sim_t_us
    state = await sync_to_async(panels.download_state)(stopped)
    assert run.id not in panels._REPLAYS
    assert state["state"] == client.progress[-1]["flows"][0]["state"]


@pytest.mark.django_db(transaction=True)
async def test_a_recording_seek_stops_when_the_viewer_leaves() -> None:
    run, token = await sync_to_async(Run.start)(title="dense", spec=dense(), seed=1)
    await Run.objects.filter(pk=run.id).aupdate(sim_t_us=3600_000_000)  # an hour: ~30M events
    viewer = Client(run.id, tokens.watch_token(token), path="recording/")
    await viewer.connect()
    await viewer.until(lambda c: c.progress)
    await viewer.send(action="seek", t_s=3600)
    name = f"recording-seek-{run.id}"
    async with asyncio.timeout(10):
        while not [t for t in asyncio.all_tasks() if t.get_name() == name]:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    (seek,) = [t for t in asyncio.all_tasks() if t.get_name() == name]
    await viewer.close()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(seek, 10)
    assert seek.cancelled()
