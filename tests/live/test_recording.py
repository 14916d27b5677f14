"""The recording socket: the run's log replayed for one viewer, with seek and speed."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from lab.live import tokens
from lab.live.models import Run, RunAction

from .conftest import Client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("stop_hosts")]


async def test_it_seeks_both_ways_and_refuses_nonsense(run_and_token: tuple[Run, str]) -> None:
    run, token = run_and_token
    # a run that has been going for five simulated minutes, one action in its log
    await RunAction.objects.acreate(
        run=run, seq=1, t_us=10_000_000, action={"do": "type", "device": "bo-asa", "line": "en"}
    )
    await Run.objects.filter(pk=run.id).aupdate(sim_t_us=300_000_000)
    viewer = Client(run.id, tokens.watch_token(token), path="recording/")
    assert (await viewer.connect())[0]
    await viewer.until(lambda c: c.progress)
    assert viewer.progress[-1]["t_us"] == 0 and viewer.progress[-1]["end_us"] == 300_000_000

    await viewer.send(action="seek", t_s=130)
    await viewer.until(lambda c: c.progress[-1]["t_us"] == 130_000_000)
    assert viewer.progress[-1]["flows"][0]["label"] == "stalled since 0:02:00"
    assert "BO-ASA> en" in viewer.terminal("bo-asa")  # the logged action was replayed

    await viewer.send(action="seek", t_s=60)
    await viewer.until(lambda c: c.progress[-1]["t_us"] == 60_000_000)
    assert viewer.progress[-1]["flows"][0]["label"] == "running"

    await viewer.send(action="seek", t_s=10_000)  # past the end: the end
    await viewer.until(lambda c: c.progress[-1]["t_us"] == 300_000_000)
    assert viewer.progress[-1]["flows"][0]["label"].startswith("failed")

    assert "expected a number" in await viewer.refused(action="seek", t_s="soon")
    assert "expected one of" in await viewer.refused(action="speed", speed="warp")
    assert "seek {t_s} and speed {speed}" in await viewer.refused(action="cut", link="internet")
    log = await sync_to_async(list)(RunAction.objects.filter(run=run).values_list("seq", flat=True))
    assert log == [1]  # a recording never writes to the run
    await viewer.close()


async def test_a_recording_needs_a_valid_link(run_and_token: tuple[Run, str]) -> None:
    run, _ = run_and_token
    connected, code = await Client(run.id, "nope", path="recording/").connect()
    assert not connected and code == 4403
