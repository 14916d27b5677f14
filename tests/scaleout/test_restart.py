"""The embedded single process (SQLite, in-memory channel layer) restarted mid-run: the
run comes back from its action log, its clock where it was, and carries on."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from tests.conftest import LabServer

from .client import Socket, start_run

WAIT_S = 30.0


def logged(data_dir: Path, run_id: str) -> list[tuple[int, str]]:
    with sqlite3.connect(data_dir / "lab.sqlite3") as conn:
        rows = conn.execute(
            "SELECT seq, action FROM live_runaction WHERE run_id = ? ORDER BY seq", [run_id]
        ).fetchall()
    return [(int(seq), str(action)) for seq, action in rows]


async def wait_logged(data_dir: Path, run_id: str, n: int) -> None:
    for _ in range(int(WAIT_S / 0.05)):
        if len(await asyncio.to_thread(logged, data_dir, run_id)) >= n:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{n} actions were not logged within {WAIT_S} s")


async def test_a_restarted_embedded_server_resumes_its_runs_from_the_log(tmp_path: Path) -> None:
    # Blank values: the embedded defaults even in `./dev test`'s PostgreSQL + Redis pass.
    server = LabServer(tmp_path, DATABASE_URL="", REDIS_URL="")
    server.prepare()
    server.start()
    try:
        run = start_run(server.url)
        control = await Socket(server.url, run.id, run.control).open()
        await control.wait("first frames", lambda s: s.progress, WAIT_S)
        await control.send(action="speed", speed="60x")
        for line in ("enable", "", "show conn count"):
            await control.send(action="type", device="bo-asa", line=line)
        await control.wait(
            "the typed lines",
            lambda s: (
                "BO-ASA# show conn count" in s.terminal("bo-asa")
                and s.progress[-1]["speed"] == "60x"
            ),
            WAIT_S,
        )
        await wait_logged(tmp_path, run.id, 4)
        before = control.progress[-1]
        bytes_before = before["flows"][0]["bytes"]

        server.stop()  # SIGTERM, as a service manager restarts it
        await control.wait("the socket closes with the server", lambda s: s.closed, WAIT_S)
        server.start()  # same port, same data directory

        again = await Socket(server.url, run.id, run.control).open()
        await again.wait(
            "the run back, rebuilt from its log",
            lambda s: s.progress and "BO-ASA# show conn count" in s.terminal("bo-asa"),
            WAIT_S,
        )
        first: dict[str, Any] = again.progress[0]
        assert first["speed"] == "60x"
        assert (first["epoch"], first["t_us"]) >= (before["epoch"], before["t_us"])
        assert first["flows"][0]["bytes"] >= bytes_before
        await again.wait(
            "the clock moving on", lambda s: s.progress[-1]["t_us"] > first["t_us"], WAIT_S
        )
        assert [seq for seq, _ in logged(tmp_path, run.id)] == [1, 2, 3, 4]
        await again.send(action="type", device="bo-asa", line="show clock")
        await wait_logged(tmp_path, run.id, 5)
        await again.wait(
            "an action after the restart",
            lambda s: "BO-ASA# show clock" in s.terminal("bo-asa"),
            WAIT_S,
        )
        await again.close()
    finally:
        server.stop()
