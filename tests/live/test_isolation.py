"""Isolation of runs in one process: CPU budgets, no zombie runs, frames under the limit."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest

from lab.engine.library import builtin_dict
from lab.engine.units import S
from lab.live import frames, host, tokens
from lab.live.consumers import RunConsumer
from lab.live.models import Run

from .conftest import Client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("stop_hosts")]

DAPHNE_MAX = 65_536  # ./dev serve: --websocket-max-message-size 65536


def dense() -> dict[str, Any]:
    """The crafted scenario of issue #15: ~8,000 engine events per simulated second."""
    d = copy.deepcopy(builtin_dict("default-drop"))
    for link in d["topology"]["links"]:
        link.update(rate_bps=1_000_000_000, delay_us=1)
    for node in d["topology"]["nodes"]:
        if node["kind"] == "asa":
            node["config"].append("crypto ipsec security-association lifetime kilobytes 10")
    d["events"] = []
    return d


def many_flows(n: int) -> dict[str, Any]:
    d = copy.deepcopy(builtin_dict("default-drop"))
    base = d["flows"][0]
    d["flows"] = [dict(base, id=f"download-{i}", client_port=2000 + i) for i in range(n)]
    d.pop("expect", None)
    return d


def start(spec: dict[str, Any]) -> tuple[Run, str]:
    return Run.start(title="test", spec=spec, seed=1)


async def test_a_dense_run_does_not_starve_another_run_and_says_it_plays_slower(
    run_and_token: tuple[Run, str],
) -> None:
    run, token = run_and_token
    dense_run, dense_token = await asyncio.to_thread(start, dense())
    crowd = Client(dense_run.id, dense_token)
    await crowd.connect()
    await crowd.until(lambda c: c.progress)
    normal = Client(run.id, token)
    await normal.connect()
    await normal.until(lambda c: c.progress)
    t0 = normal.progress[-1]["t_us"]
    # Three simulated seconds of the normal run at 1x: its frames keep coming five a
    # second of its own clock (a starved loop shows as long gaps in simulated time).
    await normal.until(lambda c: c.progress[-1]["t_us"] >= t0 + 3 * S, timeout_s=60)
    times = [p["t_us"] for p in normal.progress if p["t_us"] >= t0]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) >= 12, times
    assert max(gaps) <= S // 2, gaps
    assert not any("lag" in p for p in normal.progress)
    # The dense run cannot keep up with 1x on its share: it says so, and plays slower.
    await crowd.until(lambda c: "lag" in c.progress[-1], timeout_s=30)
    assert "plays at" in crowd.progress[-1]["lag"]
    await crowd.close()
    await normal.close()


async def test_a_run_whose_consumer_raised_is_released(
    run_and_token: tuple[Run, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run, token = run_and_token
    client = Client(run.id, token)
    await client.connect()
    await client.until(lambda c: c.progress)
    (loop,) = [t for t in asyncio.all_tasks() if t.get_name() == f"run-host-{run.id}"]

    async def explode(self: RunConsumer, **_: Any) -> None:
        raise RuntimeError("a bug in a handler")

    monkeypatch.setattr(RunConsumer, "receive", explode)
    await client.send(action="type", device="bo-asa", line="enable")
    with pytest.raises(RuntimeError, match="a bug in a handler"):
        while True:  # the frames sent before it, then the consumer's exception
            await client.ws.receive_output(10)
    assert run.id not in host._watched  # nobody here watches it any more
    await asyncio.wait_for(loop, 30)  # so its host stops by itself, and lets go
    released = await Run.objects.aget(pk=run.id)
    assert released.lease_owner == "" and released.lease_until is None
    assert run.id not in host.owned_here()


async def test_sixty_flows_arrive_in_messages_under_the_websocket_limit() -> None:
    run, token = await asyncio.to_thread(start, many_flows(60))
    client = Client(run.id, tokens.watch_token(token))
    await client.connect()
    await client.until(lambda c: c.progress)
    await client.until(lambda c: any('id="dev-ho-asa-sas"' in h for h in c.html))
    assert all(len(h.encode()) <= DAPHNE_MAX for h in client.html)
    assert len(client.progress[-1]["flows"]) == 60
    everything = "\n".join(client.html)
    for region in ('id="topology"', 'id="download"', 'id="chart"', 'id="dev-bo-asa-terminal"'):
        assert region in everything
    await client.close()


def test_a_region_too_big_for_one_message_keeps_its_id_and_says_so() -> None:
    huge = '<section id="download" class="x">' + "y" * 100_000 + "</section>"
    small = '<div id="timeline">t</div>'
    out = frames.pack([small, huge, small])
    assert all(len(m.encode()) <= frames.FRAME_MAX_BYTES for m in out)
    assert '<section id="download" class="too-big">' in "".join(out)
    assert "too large to update live" in "".join(out)
    assert "".join(out).count('id="timeline"') == 2


async def test_a_socket_behind_skips_progress_frames_never_errors_or_regions(
    control: Client, run_and_token: tuple[Run, str]
) -> None:
    run, _ = run_and_token
    await control.connect()
    await control.send(action="speed", speed="paused")
    await control.until(lambda c: c.progress and c.progress[-1]["speed"] == "paused")
    await asyncio.sleep(0.5)  # paused: no more progress frames of its own
    while not control.ws.output_queue.empty():
        await control.take()
    (sock,) = host._watched[run.id]
    last = control.progress[-1]
    # Ten progress frames, an error and a region handed over before the socket could send
    # any (as when the loop is overloaded): the region and the error, one progress frame.
    for i in range(10):
        frame = dict(last, t_us=last["t_us"] + i + 1)
        sock.from_owner(
            {
                "type": "run.frame",
                "text": json.dumps(frame),
                "epoch": run.epoch,
                "t_us": frame["t_us"],
                "progress": True,
            }
        )
    sock.from_owner({"type": "run.error", "error": "refused", "id": None})
    sock.from_owner(
        {
            "type": "run.frame",
            "text": '<div id="timeline">x</div>',
            "epoch": run.epoch,
            "t_us": last["t_us"] + 10,
            "progress": False,
        }
    )
    before = len(control.progress)
    await control.until(lambda c: c.errors and c.html[-1] == '<div id="timeline">x</div>')
    await control.until(lambda c: len(c.progress) > before)
    await asyncio.sleep(0.5)
    while not control.ws.output_queue.empty():
        await control.take()
    assert [p["t_us"] for p in control.progress[before:]] == [last["t_us"] + 10]
    assert control.errors == ["refused"]
    await control.close()
