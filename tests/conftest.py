"""Fixtures shared by the end-to-end tests: the real server and a real browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LabServer:
    """The lab as users run it: migrate, load the built-ins, daphne on loopback."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "LAB_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **env}
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.log = data_dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def prepare(self) -> None:
        for args in (["migrate", "--noinput"], ["loadscenarios"]):
            subprocess.run(
                [sys.executable, "manage.py", *args],
                cwd=ROOT,
                env=self.env,
                check=True,
                capture_output=True,
            )

    def start(self) -> LabServer:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "lab.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the lab server did not start; see {self.log}")

    def stop(self, sig: int | None = None) -> None:
        if self.proc and self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            self.proc.wait(10)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    server = LabServer(tmp_path_factory.mktemp("lab-data"))
    server.prepare()
    yield server.start()
    server.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright; never `playwright install`.

    Module-scoped: Playwright's sync API keeps an event loop running in this thread while
    the browser is open, which async tests elsewhere must not meet. The ORM calls a browser
    test makes meanwhile are plain synchronous code, so Django may allow them."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need the Debian package `chromium` "
            "(`./dev test` installs it; or `apt-get install chromium`)",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as mp, sync_playwright() as p:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = p.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _own_rate_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate limits count per client address in the cache, and every test client is
    127.0.0.1: give each test its own windows, as if it ran alone."""
    from lab.live import throttle

    monkeypatch.setattr(throttle, "KEY_PREFIX", f"rate-{time.monotonic_ns()}")


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Iterator[None]:
    """Each test has its own event loop: give it its own channel layer instance too
    (channels-redis keeps locks and buffers bound to the loop that first used them)."""
    yield
    from channels.layers import channel_layers

    channel_layers.backends.clear()


@pytest.fixture(scope="session", autouse=True)
def _close_worker_thread_connections(request: pytest.FixtureRequest) -> Iterator[None]:
    """The async ORM keeps its database connections in asgiref's worker threads: end
    them before the test database is dropped (PostgreSQL refuses to drop one in use)."""
    if "django_db_setup" in request.fixturenames or os.environ.get("DATABASE_URL"):
        request.getfixturevalue("django_db_setup")
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        blocker = request.getfixturevalue("django_db_blocker")
        with blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
