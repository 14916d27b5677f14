"""The real server in production mode (daphne, DEBUG=0, as the Dockerfile runs it):
bodies over the limit are refused as they arrive, tokens never reach its output, unknown
websocket paths are refused without a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, LabServer

LIMIT = 1_048_576  # LAB_MAX_REQUEST_BYTES's default
SECRET = "Zq9xTokenThatMustNeverBeLogged0123456789"


@pytest.fixture(scope="module")
def prod_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "test-only-" + "k" * 50,
        "LAB_HTTPS": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    server = LabServer(tmp_path_factory.mktemp("prod-data"), **env)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=server.env,
        check=True,
        capture_output=True,
    )
    server.prepare()
    yield server.start()
    server.stop()


def rss_kb(server: LabServer) -> int:
    assert server.proc is not None
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def exchange(server: LabServer, head: bytes, chunks: Iterator[bytes]) -> bytes:
    """Send a request head and body chunks (stopping when the server stops reading);
    return what the server answered."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(head)
        try:
            for chunk in chunks:
                s.sendall(chunk)
        except OSError:  # the server closed the connection on us: that is the point
            pass
        answer = b""
        try:
            while data := s.recv(65536):
                answer += data
        except OSError:
            pass
    return answer


def post_head(extra: str, kind: str = "multipart/form-data; boundary=xyz") -> bytes:
    return (
        f"POST /import/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Type: {kind}\r\n{extra}\r\n"
    ).encode()


def test_a_declared_oversized_body_is_refused_before_it_is_sent(prod_server: LabServer) -> None:
    before = rss_kb(prod_server)

    answer = exchange(prod_server, post_head("Content-Length: 400000000\r\n"), iter([b"x" * 65536]))

    assert answer.startswith(b"HTTP/1.1 413")
    assert f"at most {LIMIT} bytes".encode() in answer
    assert rss_kb(prod_server) - before < 20_000


def test_a_chunked_body_is_cut_off_at_the_limit(prod_server: LabServer) -> None:
    before = rss_kb(prod_server)
    chunk = b"%x\r\n%s\r\n" % (65536, b"y" * 65536)

    answer = exchange(
        prod_server,
        post_head("Transfer-Encoding: chunked\r\n"),
        iter([chunk] * 800),  # 50 MB
    )

    assert answer.startswith(b"HTTP/1.1 413")
    assert b"Request too large" in answer
    assert rss_kb(prod_server) - before < 20_000


def test_a_body_under_the_limit_still_reaches_the_app(prod_server: LabServer) -> None:
    body = b"action=json&json_text=" + b"x" * (LIMIT - 100)
    head = post_head(f"Content-Length: {len(body)}\r\n", "application/x-www-form-urlencoded")

    answer = exchange(prod_server, head, iter([body]))

    assert answer.startswith(b"HTTP/1.1 403")  # CSRF: Django read it and answered


def test_run_tokens_never_reach_the_servers_output(prod_server: LabServer) -> None:
    for path in (
        f"/runs/nosuchrun/?key={SECRET}&embed=1",
        f"/s/default-drop/edit/?key={SECRET}",
        f"/s/default-drop/?token={SECRET}",
    ):
        head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        exchange(prod_server, head.encode(), iter([]))
    time.sleep(0.5)  # let daphne flush its access log

    log = prod_server.log.read_text()
    assert "/s/default-drop/edit/?key=[redacted]" in log  # the lines are there...
    assert SECRET not in log  # ...without the token


def test_an_unknown_websocket_path_is_refused_without_a_traceback(
    prod_server: LabServer,
) -> None:
    head = (
        b"GET /ws/nowhere/ HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\n"
        b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )

    answer = exchange(prod_server, head, iter([]))

    assert answer.startswith(b"HTTP/1.1 403")
    time.sleep(0.3)
    assert "Traceback" not in prod_server.log.read_text()
