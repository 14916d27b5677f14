"""The isolation part of `./dev stress` (benchmarks/fuzz.py): hostile load next to one
normal run, and whether that run kept its frames and the server its health.

Load: the densest scenario admission lets in (1 Gbit/s links, 1 µs delays, a lifetime in
kilobytes at the rekey limit) and a syslog bomb (`logging buffer-size 52428800`, 200
scripted clears), each played at 1x and at max; the crafted scenario of issue 15 (must be
refused); a 60-flow run's first frame; bursts of packet captures and "Check my run";
oversized and chunked bodies; hypothesis-generated scenario imports and editor posts.
Figures: the normal run's frames received of those expected (5 a second) and its longest
gap; the server's 5xx answers, tracebacks logged and peak RSS (VmHWM).
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import socket
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

FRAMES_PER_S = 5
GOALS = {"frames_pct": 95.0, "longest_gap_s": 1.0, "http_5xx": 0, "tracebacks": 0, "rss_mb": 1024}


def builtin(slug: str) -> dict[str, Any]:
    from lab.engine.library import builtin_dict

    return copy.deepcopy(builtin_dict(slug))


def with_config_lines(d: dict[str, Any], *lines: str) -> dict[str, Any]:
    for node in d["topology"]["nodes"]:
        if node.get("config"):
            node["config"] = [*node["config"], *lines]
    return d


def dense(*, crafted: bool = False) -> dict[str, Any]:
    d = builtin("default-drop")
    d["slug"] = "stress-crafted" if crafted else "stress-dense"
    for link in d["topology"]["links"]:
        link.update(rate_bps=10**9, delay_us=1, buffer_bytes=10**9 if crafted else 2**26)
    kb = 10 if crafted else 122_071  # the admission limit: one rekey a second at 1 Gbit/s
    return with_config_lines(d, f"crypto ipsec security-association lifetime kilobytes {kb}")


def syslog_bomb() -> dict[str, Any]:
    d = with_config_lines(
        builtin("default-drop"), "logging buffer-size 52428800", "logging buffered debugging"
    )
    d["slug"] = "stress-syslog-bomb"
    d["events"] = [
        {"at_s": 2 + i * 5, "do": "cli", "device": "bo-asa", "lines": ["clear crypto ipsec sa"]}
        for i in range(200)
    ]
    return d


def sixty_flows() -> dict[str, Any]:
    d = builtin("default-drop")
    d["slug"] = "stress-sixty-flows"
    first = d["flows"][0]
    d["flows"] = [
        {**first, "id": f"download-{i}", "client_port": 2000 + i, "size_bytes": 10**8 + i}
        for i in range(60)
    ]
    d["events"] = []
    return d


# -- HTTP helpers (Browser comes from fuzz.py) ---------------------------------------------
class Tally:
    """Every HTTP status the stress saw, thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[str] = Counter()

    def add(self, what: str, status: int) -> int:
        with self.lock:
            self.statuses[f"{what}: {status}"] += 1
        return status

    def count_5xx(self) -> int:
        return sum(n for k, n in self.statuses.items() if re.search(r": 5\d\d$", k))


def import_scenario(b: Any, d: dict[str, Any], tally: Tally, what: str) -> str | None:
    """Import a scenario; its slug, or None when refused."""
    status, page, url = b.post("/import/", {"action": "json", "json_text": json.dumps(d)})
    tally.add(f"import {what}", status)
    path = urllib.parse.urlsplit(url).path
    return path.strip("/").split("/")[1] if status == 200 and path.endswith("/edit/") else None


def start(b: Any, slug: str, tally: Tally, start_run: Any) -> tuple[str, str, str] | None:
    try:
        run = start_run(b, slug)
    except AssertionError:
        tally.add(f"start {slug}", 0)
        return None
    tally.add(f"start {slug}", 200)
    return run  # type: ignore[no-any-return]


def raw_bodies(base: str, tally: Tally) -> None:
    """A declared 400 MB body and a 50 MB chunked multipart body: 413 each."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    for what, head, chunks in (
        ("oversized body", "Content-Length: 400000000\r\n", [b"x" * 65536]),
        (
            "chunked body",
            "Transfer-Encoding: chunked\r\n",
            [b"%x\r\n%s\r\n" % (65536, b"y" * 65536)] * 800,
        ),
    ):
        request = (
            f"POST /import/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
            f"Content-Type: multipart/form-data; boundary=xyz\r\n{head}\r\n"
        ).encode()
        answer = b""
        with socket.create_connection((host, int(port)), timeout=30) as s:
            s.sendall(request)
            try:
                for chunk in chunks:
                    s.sendall(chunk)
            except OSError:
                pass
            try:
                while data := s.recv(65536):
                    answer += data
            except OSError:
                pass
        m = re.match(rb"HTTP/1.1 (\d+)", answer)
        tally.add(what, int(m.group(1)) if m else 0)


def hypothesis_posts(b: Any, slug: str, n: int, tally: Tally) -> None:
    """Generated scenario imports and editor posts: every field, every type, NaN/Inf/huge."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    numbers = st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([2**53 + 1, 2**63, 1e308, 0, -1, None, True, {}, [], "x"]),
    )
    paths = [
        "until_s", "seed", "flows.0.start_s", "flows.0.size_bytes", "events.0.at_s",
        "events.0.for_s", "events.0.do", "topology.links.0.rate_bps",
        "topology.links.1.delay_us", "topology.links.2.buffer_bytes", "topology.links.1.loss",
        "topology.nodes.1.tcp_retries2", "expect", "teaching",
    ]  # fmt: skip
    texts = st.one_of(
        st.sampled_from(["nan", "inf", "-inf", "1e308", "9" * 5000, str(2**63), "", "[" * 3000]),
        st.text(max_size=12),
    )
    fields = [
        "link-internet-rate_bps", "link-internet-delay_us", "flow-download-size_bytes",
        "until_s", "event-0-at_s", "event-0-for_s", "outage-0-start_s",
        "outage-0-duration_s", "outage-TOTAL_FORMS", "event-TOTAL_FORMS", "constraints",
        "choices", "goal_expect", "events",
    ]  # fmt: skip
    actions = ["settings", "outages", "timeline", "events", "teaching", "configs"]
    quiet = settings(
        max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )

    @quiet
    @given(st.lists(st.tuples(st.sampled_from(paths), numbers), min_size=1, max_size=3))
    def scenarios(changes: list[tuple[str, Any]]) -> None:
        d = builtin("default-drop")
        for path, value in changes:
            node: Any = d
            parts = path.split(".")
            for part in parts[:-1]:
                node = node[int(part)] if isinstance(node, list) else node[part]
            node[parts[-1]] = value
        text = json.dumps(d)  # NaN and Infinity as Python writes them
        tally.add("generated import", b.post("/import/", {"action": "json", "json_text": text})[0])

    @quiet
    @given(
        st.sampled_from(actions),
        st.dictionaries(st.sampled_from(fields), texts, min_size=1, max_size=4),
    )
    def editor_posts(action: str, data: dict[str, str]) -> None:
        status = b.post(f"/s/{slug}/edit/", {"action": action, **data})[0]
        tally.add("generated editor post", status)

    scenarios()
    editor_posts()


# -- the normal run's frames ---------------------------------------------------------------
async def watch_frames(base: str, run_id: str, key: str, seconds: float) -> dict[str, Any]:
    url = base.replace("http://", "ws://") + f"/ws/runs/{run_id}/?key={key}"
    arrivals: list[float] = []
    async with connect(url, origin=base, max_size=None, open_timeout=30) as ws:  # type: ignore[arg-type]
        began = time.monotonic()
        try:
            while (left := began + seconds - time.monotonic()) > 0:
                try:
                    text = await asyncio.wait_for(ws.recv(), left)
                except TimeoutError:
                    break
                if isinstance(text, str) and text.startswith("{") and '"t_us"' in text:
                    arrivals.append(time.monotonic())
        except ConnectionClosed as exc:
            return {"frames": len(arrivals), "closed": str(exc)}
    ends = [began, *arrivals, began + seconds]
    gap = max(b - a for a, b in zip(ends, ends[1:], strict=False))
    return {"frames": len(arrivals), "expected": int(seconds * FRAMES_PER_S), "gap": gap}


async def first_frame(base: str, run_id: str, key: str) -> str:
    url = base.replace("http://", "ws://") + f"/ws/runs/{run_id}/?key={key}"
    try:
        async with connect(url, origin=base, max_size=None, open_timeout=30) as ws:  # type: ignore[arg-type]
            text = await asyncio.wait_for(ws.recv(), 30)
            return f"first frame {len(text)} bytes"
    except (ConnectionClosed, TimeoutError, OSError) as exc:
        return f"no first frame: {type(exc).__name__} {exc}"


async def set_speed(base: str, run_id: str, key: str, speed: str) -> None:
    url = base.replace("http://", "ws://") + f"/ws/runs/{run_id}/?key={key}"
    async with connect(url, origin=base, max_size=None, open_timeout=30) as ws:  # type: ignore[arg-type]
        await ws.send(json.dumps({"action": "speed", "speed": speed}))
        await asyncio.sleep(0.5)


# -- the whole load ------------------------------------------------------------------------
def stress(base: str, browser: Any, start_run: Any, *, quick: bool) -> dict[str, Any]:
    seconds = 10.0 if quick else 30.0
    bursts = 3 if quick else 8
    examples = 15 if quick else 100
    tally = Tally()
    b = browser(base)
    normal = start(b, "default-drop", tally, start_run)
    assert normal is not None, "the normal run did not start"
    notes: dict[str, Any] = {}
    notes["crafted scenario"] = (
        "refused" if import_scenario(b, dense(crafted=True), tally, "crafted") is None
        else "ADMITTED"
    )  # fmt: skip
    heavy = []
    for what, d in (("dense", dense()), ("syslog bomb", syslog_bomb())):
        slug = import_scenario(b, d, tally, what)
        notes[f"{what} scenario"] = "admitted" if slug else "refused"
        for speed in ("1x", "max"):
            run = start(b, slug, tally, start_run) if slug else None
            if run:
                heavy.append((run, speed))
    sixty = import_scenario(b, sixty_flows(), tally, "60 flows")
    sixty_run = start(b, sixty, tally, start_run) if sixty else None

    def captures() -> None:
        def one(i: int) -> None:
            path = f"/runs/{normal[0]}/capture/?link=internet&from_s=0&to_s={5 + i}"
            tally.add("capture", b.get(path)[0])

        threads = [threading.Thread(target=one, args=(i,)) for i in range(bursts)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def checks() -> None:
        def one() -> None:
            c = browser(base)
            run = start(c, "challenge-both-ends", tally, start_run)
            if run:
                status = c.post(f"/runs/{run[0]}/teaching/", {"action": "check"})[0]
                tally.add("check my run", status)

        threads = [threading.Thread(target=one) for _ in range(max(2, bursts // 2))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def fork_slug() -> str:
        status, _, url = b.post("/s/default-drop/fork/", {}, referer="/s/default-drop/")
        tally.add("fork", status)
        return urllib.parse.urlsplit(url).path.strip("/").split("/")[1]

    async def main() -> dict[str, Any]:
        for (run_id, control, _), speed in heavy:
            await set_speed(base, run_id, control, speed)
        measuring = asyncio.create_task(watch_frames(base, normal[0], normal[1], seconds))
        side = [
            asyncio.to_thread(captures),
            asyncio.to_thread(checks),
            asyncio.to_thread(raw_bodies, base, tally),
            asyncio.to_thread(hypothesis_posts, b, fork_slug(), examples, tally),
        ]
        if sixty_run:
            side.append(first_frame(base, sixty_run[0], sixty_run[1]))
        results = await asyncio.gather(*side, return_exceptions=True)
        if sixty_run:
            notes["60-flow run"] = str(results[-1])
        notes["load errors"] = [repr(r) for r in results if isinstance(r, BaseException)]
        return await measuring

    frames = asyncio.run(main())
    return {"frames": frames, "tally": tally, "notes": notes, "seconds": seconds}


def report(
    result: dict[str, Any], log: Path | None, pid: int | None, tracebacks: int
) -> list[dict[str, Any]]:
    """The goal lines: (goal, value, met) for the normal run and the server."""
    frames = result["frames"]
    tally: Tally = result["tally"]
    logged_5xx = 0
    if log is not None and log.exists():
        # /healthz's 503 is the server reporting a busy part (the fuzzer checks it after the
        # load has settled), not a request that failed
        lines = log.read_text(errors="replace").splitlines()
        logged_5xx = sum(1 for x in lines if re.search(r'" 5\d\d ', x) and "/healthz" not in x)
    rss_mb = None
    if pid is not None:
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            hwm = re.search(r"VmHWM:\s+(\d+)", status.read_text())
            rss_mb = int(hwm.group(1)) // 1024 if hwm else None
    expected = frames.get("expected") or int(result["seconds"] * FRAMES_PER_S)
    pct = round(100 * frames["frames"] / expected, 1)
    gap = round(frames.get("gap", result["seconds"]), 2)
    http_5xx = max(tally.count_5xx(), logged_5xx)
    lines = [
        ("normal run frames >= 95 %", f"{frames['frames']}/{expected} ({pct} %)", pct >= 95),
        ("normal run longest gap <= 1 s", f"{gap} s", gap <= 1.0),
        ("0 5xx", http_5xx, http_5xx == 0),
        ("0 tracebacks logged", tracebacks, tracebacks == 0),
        ("peak RSS < 1 GB", f"{rss_mb} MB" if rss_mb is not None else "n/a (--url)",
         rss_mb is not None and rss_mb < 1024),
    ]  # fmt: skip
    return [{"goal": g, "value": v, "met": bool(m)} for g, v, m in lines]
