"""Watchers in another process than the run's owner get its frames, live, all along
(through that process's relay of the run's group: one channel-layer message per frame
and process), and a socket on the owner's process gets them straight from the owner."""

from __future__ import annotations

from .client import Socket, start_run
from .conftest import Cluster

WAIT_S = 30.0
FRAMES = 15  # three seconds of progress frames at 5 a second


async def test_watchers_on_another_server_follow_the_run_frame_by_frame(
    cluster: Cluster,
) -> None:
    a, b = cluster.server("a"), cluster.server("b")
    run = start_run(a.url)
    control = await Socket(a.url, run.id, run.control).open()  # A claims the run
    await control.wait("A's first frames", lambda s: s.progress, WAIT_S)
    remote = [await Socket(b.url, run.id, run.watch).open() for _ in range(3)]
    for w in remote:
        await w.wait(f"{FRAMES} live frames on B", lambda s: len(s.progress) >= FRAMES, WAIT_S)
        times = [t for _, t in w.times()]
        assert times == sorted(times) and times[-1] > times[0]
    # What the control link types on A reaches the watchers on B.
    await control.send(action="type", device="bo-asa", line="enable")
    for s in (control, *remote):
        await s.wait("the typed line", lambda s: "Password:" in s.terminal("bo-asa"), WAIT_S)
    for s in (control, *remote):
        await s.close()
