"""Throwaway PostgreSQL and Redis servers on 127.0.0.1, from the Debian packages.

Used by the scale-out tests (each test gets its own Redis, so it can restart it, and its
own database) and by `./dev test`, which runs the whole suite a second time against them:

    eval "$(python -m tests.scaleout.servers start DIR)"   # prints DATABASE_URL/REDIS_URL
    python -m tests.scaleout.servers stop DIR

PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user
that the Debian package creates (`runuser -u postgres`); otherwise to the current user.
Both servers keep nothing: no fsync, no Redis persistence; the directory is theirs.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout_s: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    text = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port}\n{text}")


class Redis:
    """redis-server on a free loopback port; `restart` keeps the port (and loses all)."""

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = root
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, daemonize: bool = False) -> Redis:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is missing: install the Debian package redis-server")
        self.root.mkdir(parents=True, exist_ok=True)
        log = self.root / "redis.log"
        args = [
            binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.root),
            "--logfile", str(log),
            "--pidfile", str(self.root / "redis.pid"),
        ]  # fmt: skip
        if daemonize:
            subprocess.run([*args, "--daemonize", "yes"], check=True)
        else:
            self.proc = subprocess.Popen(args)
        _wait_port(self.port, 10, "redis-server", log)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None
            return
        pidfile = self.root / "redis.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text().strip() or 0)
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 15)
            pidfile.unlink(missing_ok=True)

    def restart(self, down_s: float = 1.0) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()


class Postgres:
    """A PostgreSQL cluster of its own in `root`, trust auth on 127.0.0.1 only."""

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = root
        self.port = port or free_port()
        self.data = root / "pgdata"
        self.log = root / "postgres.log"
        self.as_root = os.geteuid() == 0

    def _bin(self, name: str) -> str:
        found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
        if not found:
            raise RuntimeError(f"{name} is missing: install the Debian package postgresql")
        return found[-1]

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, cwd="/")

    def start(self) -> Postgres:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            os.chmod(self.root, 0o755)  # the postgres user must reach its directory
            shutil.chown(self.root, "postgres")
        self._run(
            self._bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8", "--locale", "C",
        )  # fmt: skip
        options = (
            f"-p {self.port} -h 127.0.0.1 -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        self._run(
            self._bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        self.create_database("lab")
        return self

    def stop(self) -> None:
        if self.data.exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run(self._bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def url(self, database: str = "lab") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_root(prefix: str) -> Path:
    """A fresh directory in /tmp that the postgres user can reach."""
    root = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(root, 0o755)
    return root


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: python -m tests.scaleout.servers start|stop DIR", file=sys.stderr)
        return 2
    root = Path(argv[1])
    pg, redis = Postgres(root / "pg"), Redis(root / "redis")
    if argv[0] == "stop":
        Postgres(root / "pg").stop()
        Redis(root / "redis").stop()
        return 0
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    pg.start()
    redis.start(daemonize=True)
    print(f"export DATABASE_URL={pg.url()} REDIS_URL={redis.url}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
