"""Serve the lab with N daphne processes on one port: `LAB_WORKERS=N ./dev serve`.

One Python process runs one event loop on one core; this uses the others. The parent
opens the listening socket and starts N `daphne --fd` children on it: the kernel hands
each new connection to one of them (no proxy in between, nothing copied twice). Each child
is a whole lab server. Which one steps a run is decided by the run's lease in PostgreSQL,
and the run's owner is the process its first socket reached, so a run followed by one
browser tab never crosses processes; actions and frames for watchers elsewhere go through
the channel layer (Redis). Hence DATABASE_URL and REDIS_URL are required.

A child that dies is started again after a second; meanwhile its runs move to the other
processes by lease expiry (a few seconds). SIGTERM or SIGINT stops every child.

    python deploy/workers.py N HOST PORT [daphne options...]
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time

RESTART_S = 1.0


def _die_with_parent() -> None:
    """In the child: SIGTERM when this launcher dies, even by kill -9 (Linux's
    PR_SET_PDEATHSIG), so no worker outlives it holding the port."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(4096)
    sock.set_inheritable(True)
    return sock


def main(argv: list[str]) -> int:
    if len(argv) < 3 or not argv[0].isdigit() or not argv[2].isdigit():
        print(__doc__, file=sys.stderr)
        return 2
    n, host, port, options = int(argv[0]), argv[1], int(argv[2]), argv[3:]
    if n > 1 and not (os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL")):
        print(
            "LAB_WORKERS > 1 needs REDIS_URL and DATABASE_URL (PostgreSQL): the processes "
            "share runs through them",
            file=sys.stderr,
        )
        return 2
    sock = listen(host, port)
    cmd = [sys.executable, "-m", "daphne", "--fd", str(sock.fileno()), *options]
    cmd.append("lab.asgi:application")
    stopping = False
    children: dict[int, int] = {}  # pid -> slot

    def start(slot: int) -> None:
        proc = subprocess.Popen(cmd, pass_fds=(sock.fileno(),), preexec_fn=_die_with_parent)
        children[proc.pid] = slot

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM if signum == signal.SIGTERM else signal.SIGINT)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for slot in range(n):
        start(slot)
    print(f"VPN Flow Lab: {n} daphne processes on {host}:{port}", file=sys.stderr)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        slot = children.pop(pid, None)
        if slot is None or stopping:
            continue
        print(f"worker {slot} (pid {pid}) ended ({status}); starting it again", file=sys.stderr)
        time.sleep(RESTART_S)
        if not stopping:
            start(slot)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
