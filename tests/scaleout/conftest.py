"""Several real lab servers (daphne subprocesses) on loopback sharing PostgreSQL and Redis.

PostgreSQL: the cluster `./dev test` started for its second pass when DATABASE_URL points
at one on 127.0.0.1, else one started here for the session; each test gets a database
of its own. Redis: each test gets its own redis-server, so it may restart it.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import LabServer
from tests.scaleout.servers import Postgres, Redis, new_root


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    url = urlsplit(os.environ.get("DATABASE_URL", ""))
    if url.scheme.startswith("postgres") and url.hostname == "127.0.0.1" and url.port:
        yield Postgres(Path("/nonexistent"), port=url.port)  # ./dev test's cluster
        return
    root = new_root("lab-scaleout-pg-")
    pg = Postgres(root).start()
    yield pg
    pg.stop()
    shutil.rmtree(root, ignore_errors=True)


class Cluster:
    """One database and one Redis, and as many lab servers on them as a test asks for."""

    def __init__(self, pg: Postgres, root: Path) -> None:
        self.pg = pg
        self.root = root
        self.db_name = f"scaleout_{secrets.token_hex(4)}"
        self.database_url = pg.create_database(self.db_name)
        self.redis = Redis(root / "redis").start()
        self.servers: list[LabServer] = []
        self.prepared = False

    def server(self, name: str) -> LabServer:
        data = self.root / name
        data.mkdir()
        server = LabServer(data, DATABASE_URL=self.database_url, REDIS_URL=self.redis.url)
        if not self.prepared:
            server.prepare()
            self.prepared = True
        self.servers.append(server)
        return server.start()

    def close(self) -> None:
        for server in self.servers:
            if server.proc and server.proc.poll() is None:
                server.proc.kill()
                server.proc.wait(10)
        self.redis.stop()
        self.pg.drop_database(self.db_name)


@pytest.fixture
def cluster(postgres: Postgres, tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(postgres, tmp_path)
    yield c
    c.close()
