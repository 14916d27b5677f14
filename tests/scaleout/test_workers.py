"""`LAB_WORKERS=N ./dev serve`: N daphne processes on one port (deploy/workers.py) share
runs through PostgreSQL and Redis; a worker that dies is started again."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, LabServer

from .client import Socket, start_run
from .conftest import Cluster

WAIT_S = 30.0


class Workers(LabServer):
    """deploy/workers.py with two daphne processes instead of one daphne."""

    def start(self) -> LabServer:
        cmd = [sys.executable, "deploy/workers.py", "2", "127.0.0.1", str(self.port)]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while len(self.children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        return self._ready()

    def _ready(self) -> LabServer:
        import urllib.request

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the workers did not start; see {self.log}")

    def children(self) -> list[int]:
        assert self.proc is not None
        out: list[int] = []
        for task in os.listdir(f"/proc/{self.proc.pid}/task"):
            with open(f"/proc/{self.proc.pid}/task/{task}/children") as f:
                out += [int(x) for x in f.read().split()]
        return out


async def test_two_workers_on_one_port_share_a_run_and_a_dead_worker_comes_back(
    cluster: Cluster, tmp_path: Path
) -> None:
    data = tmp_path / "workers"
    data.mkdir()
    server = Workers(data, DATABASE_URL=cluster.database_url, REDIS_URL=cluster.redis.url)
    server.prepare()
    server.start()
    cluster.servers.append(server)
    run = start_run(server.url)
    # Sockets spread over the two processes by the kernel: whichever a socket reached,
    # it sees what the control link typed.
    control = await Socket(server.url, run.id, run.control).open()
    watchers = [await Socket(server.url, run.id, run.watch).open() for _ in range(6)]
    await control.wait("first frames", lambda s: s.progress, WAIT_S)
    await control.send(action="type", device="bo-asa", line="enable")
    for w in watchers:
        await w.wait("the typed line", lambda s: "Password:" in s.terminal("bo-asa"), WAIT_S)

    before = server.children()
    os.kill(before[0], signal.SIGKILL)
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        now = server.children()
        if len(now) == 2 and before[0] not in now:
            break
        await asyncio.sleep(0.2)
    assert len(server.children()) == 2 and before[0] not in server.children()
    # The port still answers, and the run still acts (taken over if its owner died).
    again = await Socket(server.url, run.id, run.control).open()
    await again.wait("frames after the restart", lambda s: s.progress, WAIT_S)
    await again.send(action="type", device="bo-asa", line="")
    await again.wait("the run acts", lambda s: "BO-ASA#" in s.terminal("bo-asa"), WAIT_S)
    for s in (control, again, *watchers):
        await s.close()
    server.stop()
