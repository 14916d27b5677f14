"""Fuzz the lab's websocket and forms with malformed, oversized and hostile input.

    .venv/bin/python benchmarks/fuzz.py                       # 10,000 frames, 1,000 posts
    .venv/bin/python benchmarks/fuzz.py --frames 500 --posts 100
    .venv/bin/python benchmarks/fuzz.py --url http://127.0.0.1:8000   # a running server
    .venv/bin/python benchmarks/fuzz.py --quick --json stress.json    # a short sanity run

(`./dev stress` runs the first.) Without --url it starts its own server, as users run it
(migrate, loadscenarios, daphne on a free loopback port, SQLite and the in-memory layer;
set DATABASE_URL/REDIS_URL to fuzz a scaled-out one). It starts a run, opens control and
watch sockets and sends hostile frames (bad JSON, deep nesting, wrong types, unknown
actions and fields, control characters, huge numbers, binary, oversized), each of which
must be answered with an error frame on a socket that stays open; and posts hostile forms
(no CSRF token, garbage and oversized configs and scenario files, deep JSON, bad editor
fields, bodies over the size limit), none of which may get a 5xx. Then it checks the run
still works (an action is logged and shown), its clock never went back, /healthz is 200,
and the server logged no traceback. Then the isolation load of benchmarks/_stress_load.py
(dense and syslog-bomb runs at 1x and max, a 60-flow run, bursts of captures and checks,
oversized and chunked bodies, hypothesis-generated scenarios and editor posts) next to
one normal run, with the goal lines: >= 95 % of its frames, no gap over 1 s, 0 5xx, 0
tracebacks, peak RSS under 1 GB (`--json FILE` writes them as goal, value, met).
Exit status 0 when all holds; figures on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import http.cookiejar
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _stress_load  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SOCKETS = 20
PER_SOCKET_PER_S = 40  # under the consumer's flood limit (50/s): every frame is parsed


# -- a server of our own -------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "LAB_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
        # One client address plays every user here: lift the per-address limits (they are
        # tested on their own) so the load actually reaches the server.
        self.env.setdefault("LAB_RUN_STARTS_PER_MINUTE", "10000")
        self.env.setdefault("LAB_COPIES_PER_MINUTE", "10000")
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.log = data_dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        for args in (["migrate", "--noinput"], ["loadscenarios"]):
            subprocess.run(
                [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True,
                capture_output=True,
            )  # fmt: skip
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
             "lab.asgi:application"],
            cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not start; see {self.log}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)


# -- HTTP as a browser ---------------------------------------------------------------------
class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        for c in self.jar:
            if c.name == "csrftoken":
                return c.value
        self.get("/s/default-drop/")
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def get(self, path: str) -> tuple[int, str, str]:
        return self.request(path)

    def request(
        self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=60) as r:
                return r.status, r.read().decode(errors="replace"), r.geturl()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace"), e.geturl()

    def post(
        self, path: str, fields: dict[str, str], *, csrf: bool = True, referer: str = ""
    ) -> tuple[int, str, str]:
        if csrf:
            fields = {**fields, "csrfmiddlewaretoken": self.csrf()}
        body = urllib.parse.urlencode(fields).encode()
        return self.request(path, body, {"Referer": self.base + (referer or path)})

    def post_multipart(self, path: str, fields: dict[str, str], files: dict[str, bytes]) -> Any:
        boundary = "fuzz" + str(random.getrandbits(64))
        parts = []
        for k, v in {**fields, "csrfmiddlewaretoken": self.csrf()}.items():
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'
            parts.append(f"{head}{v}\r\n".encode())
        for k, content in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; '
                f'filename="{k}.txt"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Referer": self.base + path,
        }
        return self.request(path, body, headers)


def start_run(b: Browser, slug: str = "default-drop") -> tuple[str, str, str]:
    status, page, url = b.post(f"/s/{slug}/start/", {}, referer=f"/s/{slug}/")
    assert status == 200, f"starting a run: HTTP {status}"
    run_id = urllib.parse.urlsplit(url).path.strip("/").split("/")[1]

    def key(label: str) -> str:
        m = re.search(rf'value="[^"]*\?key=([^"&]+)" aria-label="{label}"', page)
        assert m, label
        return html.unescape(m.group(1))

    return run_id, key("control link"), key("watch link")


# -- hostile websocket frames --------------------------------------------------------------
def hostile_frames(rng: random.Random) -> Iterator[str | bytes]:
    """Frames each of which the server must refuse with an error frame."""
    junk = ["", " ", "null", "0", "[]", '"x"', "{", "}", "{]", "NaN", "\x00", "\ud800"[:0]]
    names = ["cut", "restore", "set_sysopt", "type", "speed", "clear_ipsec_sa", "reset"]
    values: list[Any] = [
        None, True, -1, 0, 1e308, -1e308, 2**70, "", "x" * 70, "\x00", "\u202e", "../../etc",
        "<script>alert(1)</script>", [], {}, [1, [2, [3]]], {"$gt": ""}, "on\nnext",
    ]  # fmt: skip
    while True:
        kind = rng.randrange(12)
        if kind == 0:
            yield rng.choice(junk) + "".join(chr(rng.randrange(1, 0x2FF)) for _ in range(8))
        elif kind == 1:
            depth = rng.randrange(100, 2000)
            yield "[" * depth + "]" * depth
        elif kind == 2:
            yield json.dumps({"action": rng.choice(values)})
        elif kind == 3:
            yield json.dumps({"action": "x" * rng.randrange(1, 300)})
        elif kind == 4:
            name = rng.choice(names[:4])
            yield json.dumps({"action": name, "evil" + str(rng.randrange(9)): rng.choice(values)})
        elif kind == 5:
            yield json.dumps({"action": "cut", "link": rng.choice(values[:12]), "for_s": "soon"})
        elif kind == 6:
            yield json.dumps({"action": "type", "device": "bo-asa", "line": "a\nb" * 3})
        elif kind == 7:
            yield json.dumps({"action": "speed", "speed": rng.choice(["11x", "", None, -1])})
        elif kind == 8:
            yield bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
        elif kind == 9:
            size = rng.choice([4097, 10_000, 100_000, 500_000])
            yield json.dumps({"action": "type", "device": "bo-asa", "line": "x" * size})
        elif kind == 10:
            yield json.dumps([{"action": "reset"}] * rng.randrange(1, 20))
        else:
            yield json.dumps({"action": "clear_ipsec_sa", "device": "bo-asa", "peer": "1.2.3"})


class Sock:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.errors: asyncio.Queue[str] = asyncio.Queue()
        self.times: list[tuple[int, int]] = []
        self.html: list[str] = []
        self.closed = False
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                if isinstance(text, str) and text.startswith("{"):
                    frame = json.loads(text)
                    if frame["type"] == "error":
                        self.errors.put_nowait(frame["error"])
                    else:
                        self.times.append((frame["epoch"], frame["t_us"]))
                elif isinstance(text, str):
                    self.html.append(text)
        except ConnectionClosed:
            pass
        finally:
            self.closed = True


async def fuzz_socket(
    base: str, run_id: str, key: str, frames: Iterator[str | bytes], n: int, stats: Counter[str]
) -> Sock:
    ws = await connect(
        base.replace("http://", "ws://") + f"/ws/runs/{run_id}/?key={key}",
        origin=base,  # type: ignore[arg-type]
        max_size=None,
        open_timeout=30,
    )
    s = Sock(ws)
    gap = 1 / PER_SOCKET_PER_S
    for _ in range(n):
        frame = next(frames)
        sent = time.monotonic()
        await ws.send(frame)
        try:
            error = await asyncio.wait_for(s.errors.get(), 15)
        except TimeoutError:
            stats["no error frame"] += 1
            continue
        stats["error frames"] += 1
        stats["reason: " + re.sub(r"'.*|\d+", "…", error)[:60]] += 1
        await asyncio.sleep(max(0.0, gap - (time.monotonic() - sent)))
    if s.closed:
        stats["sockets closed by the server"] += 1
    return s


async def fuzz_websocket(base: str, run: tuple[str, str, str], frames_n: int) -> Counter[str]:
    run_id, control, watch = run
    stats: Counter[str] = Counter()
    rng = random.Random(7)
    frames = hostile_frames(rng)
    per = max(1, frames_n // SOCKETS)
    keys = [control if i % 2 == 0 else watch for i in range(SOCKETS)]
    # Watch sockets answer every action with "this is a watch link": send them only junk
    # the schema refuses first, so each frame is still exercised against the parser.
    socks = await asyncio.gather(*(fuzz_socket(base, run_id, k, frames, per, stats) for k in keys))
    stats["frames sent"] = per * SOCKETS
    # The run survived: a good action is logged, applied and shown; time never went back.
    good = socks[0]
    await good.ws.send(json.dumps({"action": "type", "device": "bo-asa", "line": "show clock"}))
    deadline = time.monotonic() + 30
    while not any("BO-ASA&gt; show clock" in h or "show clock" in h for h in good.html):
        if time.monotonic() > deadline:
            stats["good action not shown afterwards"] += 1
            break
        await asyncio.sleep(0.05)
    for s in socks:
        if s.times != sorted(s.times):
            stats["time went backwards"] += 1
        await s.ws.close()
    return stats


# -- hostile forms -------------------------------------------------------------------------
def fuzz_forms(base: str, posts_n: int) -> Counter[str]:
    rng = random.Random(11)
    stats: Counter[str] = Counter()
    b = Browser(base)
    status, page, url = b.post("/s/default-drop/fork/", {}, referer="/s/default-drop/")
    slug = urllib.parse.urlsplit(url).path.strip("/").split("/")[1]
    garbage = [
        "", "\x00\x01\x02", "interface GigabitEthernet0/0\n nameif outside\n" * 50,
        "crypto map X 10 set peer 999.1.1.1\n", "[" * 3000, "1" * 5000,
        '{"slug": "x", "topology": 5}', '{"format": 1, "slug": null}', "\ud7ff" * 100,
        "<script>alert(1)</script>", "' OR 1=1 --", "A" * (300 * 1024),
    ]  # fmt: skip
    editor_actions = ["settings", "outages", "configs", "timeline", "events", "nope", ""]

    def one(i: int) -> tuple[str, int]:
        k = i % 10
        g = rng.choice(garbage)
        if k == 0:
            return "start without CSRF", b.post("/s/default-drop/start/", {}, csrf=False)[0]
        if k == 1:
            return "start", b.post("/s/default-drop/start/", {}, referer="/s/default-drop/")[0]
        if k == 2:
            fields = {"action": "configs", "bo_text": g, "ho_text": rng.choice(garbage)}
            return "import configs", b.post("/import/", fields)[0]
        if k == 3:
            return "import json", b.post("/import/", {"action": "json", "json_text": g})[0]
        if k == 4:
            files = {rng.choice(["bo_file", "ho_file", "json_file"]): g.encode(errors="replace")}
            action = "json" if "json_file" in files else "configs"
            return "import upload", b.post_multipart("/import/", {"action": action}, files)[0]
        if k == 5:
            fields = {"action": rng.choice(editor_actions)}
            for _ in range(rng.randrange(1, 8)):
                fields[rng.choice(["title", "events", "config-bo-asa", "form-0-at_s", "x"])] = g
            return "editor", b.post(f"/s/{slug}/edit/", fields)[0]
        if k == 6:
            fields = {"action": rng.choice(editor_actions), "field": rng.choice(["title", g])}
            return "editor validate", b.post(f"/s/{slug}/edit/validate/", fields)[0]
        if k == 7:
            fields = {"username": g[:500], "password": rng.choice(garbage)[:500]}
            return "login", b.post("/accounts/login/", fields)[0]
        if k == 8:
            big = {"action": "json", "json_text": "x" * (2 * 1024 * 1024)}
            return "oversized body", b.post("/import/", big)[0]
        return "edit without CSRF", b.post(f"/s/{slug}/edit/", {"action": "settings"}, csrf=False)[
            0
        ]

    for i in range(posts_n):
        what, status = one(i)
        stats[f"{what}: HTTP {status}"] += 1
        if status >= 500:
            stats["5xx"] += 1
    stats["posts sent"] = posts_n
    return stats


# -- main ----------------------------------------------------------------------------------
def server_log_problems(log: Path | None) -> list[str]:
    if log is None or not log.exists():
        return []
    text = log.read_text(errors="replace")
    return [line for line in text.splitlines() if "Traceback" in line or "Exception inside" in line]


def _settled_health(url: str, wait_s: float = 30.0) -> tuple[int, str]:
    """/healthz once the server has had up to `wait_s` to finish the load's last runs (they
    stop 2 s after their sockets close): its status and body."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            if time.monotonic() > deadline:
                return e.code, e.read().decode()
        time.sleep(0.5)


def run(
    url: str | None, frames_n: int, posts_n: int, *, quick: bool = False
) -> tuple[dict[str, Any], list[str]]:
    server = None
    tmp = None
    if url is None:
        tmp = tempfile.TemporaryDirectory(prefix="lab-fuzz-")
        server = Server(Path(tmp.name)).start()
        url = server.url
    try:
        started = time.monotonic()
        the_run = start_run(Browser(url))
        ws_stats = asyncio.run(fuzz_websocket(url, the_run, frames_n))
        ws_s = time.monotonic() - started
        started = time.monotonic()
        form_stats = fuzz_forms(url, posts_n)
        form_s = time.monotonic() - started
        load = _stress_load.stress(url, Browser, start_run, quick=quick)
        health, health_body = _settled_health(url)
        problems = []
        if ws_stats["no error frame"]:
            problems.append(f"{ws_stats['no error frame']} hostile frames got no error frame")
        for bad in (
            "sockets closed by the server",
            "time went backwards",
            "good action not shown afterwards",
        ):
            if ws_stats[bad]:
                problems.append(f"{bad}: {ws_stats[bad]}")
        if form_stats["5xx"]:
            problems.append(f"{form_stats['5xx']} posts got a 5xx")
        if health != 200:
            problems.append(f"/healthz answered {health} 30 s after the load: {health_body}")
        if server is not None and server.proc is not None and server.proc.poll() is not None:
            problems.append("the server died")
        tracebacks = server_log_problems(server.log if server else None)
        problems += tracebacks
        goals = _stress_load.report(
            load,
            server.log if server else None,
            server.proc.pid if server and server.proc else None,
            len(tracebacks),
        )
        problems += [f"goal not met: {g['goal']} ({g['value']})" for g in goals if not g["met"]]
        figures = {
            "frames": ws_stats["frames sent"],
            "frames_per_s": round(ws_stats["frames sent"] / ws_s, 1),
            "error_frames": ws_stats["error frames"],
            "posts": form_stats["posts sent"],
            "posts_per_s": round(form_stats["posts sent"] / form_s, 1),
            "websocket": dict(sorted(ws_stats.items())),
            "forms": dict(sorted(form_stats.items())),
            "stress": {
                "normal_run": load["frames"],
                "notes": load["notes"],
                "http": dict(sorted(load["tally"].statuses.items())),
            },
            "goals": goals,
        }
        return figures, problems
    finally:
        if server is not None:
            server.stop()
        if tmp is not None:
            tmp.cleanup()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--frames", type=int, default=10_000)
    p.add_argument("--posts", type=int, default=1_000)
    p.add_argument("--url", help="fuzz this running server instead of starting one")
    p.add_argument(
        "--quick",
        action="store_true",
        help="a short sanity run (500 frames, 100 posts, 10 s of load)",
    )
    p.add_argument("--json", metavar="FILE", help="write the goal lines (goal, value, met) here")
    args = p.parse_args(argv)
    if args.quick:
        args.frames, args.posts = min(args.frames, 500), min(args.posts, 100)
    figures, problems = run(args.url, args.frames, args.posts, quick=args.quick)
    print(json.dumps(figures, indent=2, default=str))
    for g in figures["goals"]:
        print(f"goal: {g['goal']}: {g['value']} -> {'met' if g['met'] else 'NOT MET'}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures["goals"], indent=2, default=str) + "\n")
    for line in problems:
        print("PROBLEM:", line)
    print("fuzz:", "FAILED" if problems else "ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
