"""How the instructor dashboard holds up: a class of 100 students, each with a live run.

Run it with

    ./dev bench benchmarks/classroom.py              # 100 students, 60 s measured
    ./dev bench benchmarks/classroom.py --quick      # 15 s measured
    ./dev bench benchmarks/classroom.py --profile    # the dashboard's requests under cProfile

The server is benchmarks/live.py's (a real daphne on loopback, temp LAB_DATA_DIR, SQLite,
in-memory channel layer). Everything the class does goes through HTTP as the browsers do
it, with CSRF tokens and session cookies:

1. The instructor opens a class on `challenge-udp` (POST /s/<slug>/class/, the button on
   the scenario page) and loads the dashboard.
2. Each student opens /class/<code>/join/, joins with a name (POST /class/), loads their
   run page and locks in a prediction (POST /runs/<id>/teaching/). Each then follows their
   own run with a websocket client (session cookie: the control role), as live.py's (a).
3. The instructor sets the class speed (default 1x, as live.py's runs; the dashboard's
   form offers 10x/60x/600x only, so 1x is set on the row through the ORM; `--speed 60x`
   goes through the form) and presses "Next step: play every run" (POST control, next).
4. Polling, as the browsers do: the dashboard's htmx partial, GET /class/<code>/live/
   (HX-Request), on a 1.5 s beat, one request at a time (htmx skips a beat while its
   request is in flight); and each student's teaching panel, GET /runs/<id>/teaching/,
   every 2 s (their page polls it in class; `--no-student-polls` leaves it out). Each
   poller has its own threads, so a queue in this process never adds to a measured time.

Measured over the window after a settle time:

- dashboard update latency: the wall time of each dashboard poll, request sent to body
  read (p50/p99/max). Goal: p99 <= 500 ms (issue #9). The first poll after "play" (every
  replay starts from zero then) is printed on its own. Beside it, the server's CPU time
  per answer (Server-Timing from benchmarks/_live_settings.py's ServerTiming: the CPU of
  the thread that made it), which other processes on the machine do not inflate.
- staleness: for each student row in each dashboard answer, how far the clock it shows is
  behind the student's own run when the answer arrived. The run's real clock at wall time
  R is taken from that student's websocket: t_us of the latest progress frame received
  before R, plus (R - its arrival) x speed. staleness = (real - shown) / speed, in wall ms.
  The dashboard prints h:mm:ss and truncates: shown <= real-at-render < shown + 1 s, so
  0-1000 ms of every figure is display resolution; beyond 1000 ms is true lag.
- the students' own frame lateness (live.py's definition) and the server's CPU: what the
  dashboard costs everyone else; the load average of the machine, before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._goals import Goal, print_goals, write_json  # noqa: E402
from benchmarks.live import (  # noqa: E402
    Client,
    LabServer,
    close_all,
    django_setup,
    f1,
    follow,
    http_request,
    in_window,
    lateness_ms,
    pct,
    table,
    warm_up,
)

SLUG = "challenge-udp"
GOAL_P99_MS = 500.0
GOAL_CPU_MS = 30.0  # issue #16: the CPU of one answer (its median)
DASHBOARD_S = 1.5  # hx-trigger="every 1500ms" (templates/teaching/dashboard.html)
PANEL_S = 2.0  # the student's teaching panel, "every 2s" in class (run_panel.html)
HX = {"HX-Request": "true"}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ROW = re.compile(
    r'<tr data-student="([^"]+)">.*?data-field="download">.*?'
    r'<span class="muted">[^<]*? at (\d+):(\d\d):(\d\d)</span>',
    re.S,
)


def server_cpu_ms(headers: dict[str, str]) -> float:
    m = re.search(r"cpu;dur=([0-9.]+)", headers.get("Server-Timing", ""))
    return float(m.group(1)) if m else float("nan")


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    if not m:
        raise RuntimeError(f"no CSRF token in {html[:300]!r}")
    return m.group(1)


@dataclass
class Student:
    name: str
    jar: dict[str, str] = field(default_factory=dict)
    run_id: str = ""
    client: Client | None = None
    panel_ms: list[tuple[float, float, float]] = field(default_factory=list)  # sent, ms, CPU


@dataclass
class Poll:
    sent: float
    answered: float
    status: int
    shown: dict[str, int]  # student name -> simulated seconds shown
    cpu_ms: float  # the server thread's CPU time for this answer (Server-Timing)

    @property
    def ms(self) -> float:
        return (self.answered - self.sent) * 1e3


class Class:
    """The instructor's browser and the students', against one server."""

    def __init__(self, server: LabServer, n: int) -> None:
        self.server = server
        self.port = server.port
        self.jar: dict[str, str] = {}
        self.code = ""
        self.csrf = ""
        self.students = [Student(f"Student {i:03d}") for i in range(n)]
        self.polls: list[Poll] = []

    def req(
        self,
        jar: dict[str, str],
        method: str,
        path: str,
        body: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        answer_headers: dict[str, str] | None = None,
    ) -> tuple[int, str, str]:
        return http_request(self.port, method, path, jar, body, headers, answer_headers)

    def open_class(self) -> None:
        _, _, page = self.req(self.jar, "GET", f"/s/{SLUG}/")
        status, where, _ = self.req(
            self.jar, "POST", f"/s/{SLUG}/class/", {"csrfmiddlewaretoken": csrf_of(page)}
        )
        m = re.fullmatch(r".*/class/([A-Z0-9]+)/", where)
        if status != 302 or not m:
            raise RuntimeError(f"opening a class answered {status} {where!r}")
        self.code = m.group(1)
        status, _, page = self.req(self.jar, "GET", f"/class/{self.code}/")
        if status != 200:
            raise RuntimeError(f"the dashboard answered {status}")
        self.csrf = csrf_of(page)

    def join(self, s: Student, choice: int) -> None:
        _, _, page = self.req(s.jar, "GET", f"/class/{self.code}/join/")
        body = {"csrfmiddlewaretoken": csrf_of(page), "code": self.code, "name": s.name}
        status, where, _ = self.req(s.jar, "POST", "/class/", body)
        if status != 302 or "/runs/" not in where:
            raise RuntimeError(f"joining answered {status} {where!r}")
        s.run_id = where.rstrip("/").rsplit("/", 1)[1]
        status, _, page = self.req(s.jar, "GET", f"/runs/{s.run_id}/")
        if status != 200 or "Lock in my answer" not in page:
            raise RuntimeError(f"the run page answered {status} without the question")
        body = {"csrfmiddlewaretoken": csrf_of(page), "action": "predict", "choice": str(choice)}
        status, _, _ = self.req(s.jar, "POST", f"/runs/{s.run_id}/teaching/", body, headers=HX)
        if status != 200:
            raise RuntimeError(f"predicting answered {status}")

    def control(self, **body: str) -> None:
        body = {"csrfmiddlewaretoken": self.csrf, **body}
        status, _, _ = self.req(self.jar, "POST", f"/class/{self.code}/control/", body)
        if status != 302:
            raise RuntimeError(f"class control {body} answered {status}")

    def poll_dashboard(self) -> Poll:
        got: dict[str, str] = {}
        t0 = time.monotonic()
        try:
            path = f"/class/{self.code}/live/"
            status, _, html = self.req(self.jar, "GET", path, headers=HX, answer_headers=got)
        except OSError:
            status, html = 0, ""
        t1 = time.monotonic()
        shown = {m[0]: int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3]) for m in ROW.findall(html)}
        return Poll(t0, t1, status, shown, server_cpu_ms(got))

    def poll_panel(self, s: Student) -> None:
        got: dict[str, str] = {}
        t0 = time.monotonic()
        try:
            path = f"/runs/{s.run_id}/teaching/"
            status, _, _ = self.req(s.jar, "GET", path, headers=HX, answer_headers=got)
        except OSError:
            status = 0
        ms = (time.monotonic() - t0) * 1e3 if status == 200 else float("inf")
        s.panel_ms.append((t0, ms, server_cpu_ms(got)))


async def every(period: float, phase: float, job: Any, pool: ThreadPoolExecutor) -> None:
    """Call job() in pool on a beat of `period`, skipping beats while a call is in flight."""
    loop = asyncio.get_running_loop()
    start = time.monotonic() + phase
    k = 0
    while True:
        await asyncio.sleep(max(0.0, start + k * period - time.monotonic()))
        await loop.run_in_executor(pool, job)
        k = max(k + 1, int((time.monotonic() - start) / period) + 1)


def real_clock_us(c: Client, at: float, factor: float) -> float | None:
    """The run's simulated time at wall time `at`, from its latest frame before then."""
    last = None
    for w, t in c.frames:
        if w > at:
            break
        last = (w, t)
    if last is None:
        return None
    return last[1] + (at - last[0]) * factor * 1e6


async def measure(server: LabServer, args: argparse.Namespace) -> dict[str, Any]:
    from lab.live.models import SPEEDS
    from lab.teaching.models import ClassSession

    await warm_up(server)
    cls = Class(server, args.students)
    setup = ThreadPoolExecutor(8)
    loop = asyncio.get_running_loop()
    t = time.monotonic()
    await loop.run_in_executor(setup, cls.open_class)
    await asyncio.gather(
        *(loop.run_in_executor(setup, cls.join, s, i % 2) for i, s in enumerate(cls.students))
    )
    join_s = time.monotonic() - t

    gate = asyncio.Semaphore(args.gate)
    for s in cls.students:
        s.client = Client(
            f"ws://127.0.0.1:{server.port}/ws/runs/{s.run_id}/",
            headers={"Cookie": "; ".join(f"{k}={v}" for k, v in s.jar.items())},
        )
    clients = [s.client for s in cls.students if s.client]
    tasks = [asyncio.create_task(follow(c, server.url, gate)) for c in clients]
    await asyncio.wait_for(asyncio.gather(*(c.got_first.wait() for c in clients)), 300)

    if args.speed in ClassSession.SPEEDS:
        await loop.run_in_executor(setup, lambda: cls.control(action="speed", speed=args.speed))
    else:
        await asyncio.to_thread(
            lambda: ClassSession.objects.filter(code=cls.code).update(speed=args.speed)
        )
    factor = float(SPEEDS[args.speed] or 0)
    t_play = time.monotonic()
    await loop.run_in_executor(setup, lambda: cls.control(action="next"))
    play_ms = (time.monotonic() - t_play) * 1e3
    first = await loop.run_in_executor(setup, cls.poll_dashboard)

    pollers = []
    dash_pool = ThreadPoolExecutor(1)

    def dashboard() -> None:
        cls.polls.append(cls.poll_dashboard())

    pollers.append(asyncio.create_task(every(DASHBOARD_S, 0.0, dashboard, dash_pool)))
    panel_pool = ThreadPoolExecutor(16)
    if args.student_polls:
        for i, s in enumerate(cls.students):
            phase = PANEL_S * i / len(cls.students)
            pollers.append(
                asyncio.create_task(
                    every(PANEL_S, phase, lambda s=s: cls.poll_panel(s), panel_pool)
                )
            )
    await asyncio.sleep(args.settle)
    load0 = os.getloadavg()
    cpu0, ccpu0 = server.cpu_s(), time.process_time()
    t0 = time.monotonic()
    await asyncio.sleep(args.measure)
    t1 = time.monotonic()
    cpu1, ccpu1 = server.cpu_s(), time.process_time()
    load1 = os.getloadavg()
    for task in pollers:
        task.cancel()
    await asyncio.gather(*pollers, return_exceptions=True)
    await close_all(clients, tasks)
    for pool in (setup, dash_pool, panel_pool):
        pool.shutdown(wait=True)

    polls = [p for p in cls.polls if t0 <= p.sent <= t1]
    by_name = {s.name: s.client for s in cls.students}
    stale, missing_rows = [], 0
    for p in polls:
        missing_rows += len(cls.students) - len(p.shown)
        for name, shown_s in p.shown.items():
            c = by_name.get(name)
            real = real_clock_us(c, p.answered, factor) if c and factor else None
            if real is not None:
                stale.append((real / 1e6 - shown_s) / factor * 1e3)
    late = [x for c in clients for x in lateness_ms(in_window(c, t0, t1))]
    panel = [(ms, cpu) for s in cls.students for sent, ms, cpu in s.panel_ms if t0 <= sent <= t1]
    ms = [p.ms for p in polls]
    cpu = [p.cpu_ms for p in polls]
    return {
        "students": len(cls.students),
        "speed": args.speed,
        "join_s": join_s,
        "play_ms": play_ms,
        "first_ms": first.ms,
        "polls": len(polls),
        "errors": sum(1 for p in polls if p.status != 200),
        "ws_errors": [c.error for c in clients if c.error and not c.frames],
        "p50": pct(ms, 50),
        "p99": pct(ms, 99),
        "max": max(ms, default=float("nan")),
        "cpu_p50": pct(cpu, 50),
        "cpu_p99": pct(cpu, 99),
        "stale_p50": pct(stale, 50),
        "stale_p99": pct(stale, 99),
        "stale_max": max(stale, default=float("nan")),
        "missing_rows": missing_rows,
        "panel_n": len(panel),
        "panel_p50": pct([ms for ms, _ in panel], 50),
        "panel_p99": pct([ms for ms, _ in panel], 99),
        "panel_cpu": statistics.mean([c for _, c in panel]) if panel else float("nan"),
        "panel_cpu_s": sum(c for _, c in panel) / 1e3 / (t1 - t0),
        "late_p50": pct(late, 50),
        "late_p99": pct(late, 99),
        "server_cpu": (cpu1 - cpu0) / (t1 - t0) * 100,
        "client_cpu": (ccpu1 - ccpu0) / (t1 - t0) * 100,
        "load": (load0[0], load1[0]),
        "rows": len(first.shown),
    }


def report(r: dict[str, Any]) -> None:
    table(
        f"class of {r['students']} students at {r['speed']}, each run followed by a websocket; "
        f"dashboard polled every {DASHBOARD_S:g} s",
        [
            "polls",
            "errors",
            "p50 ms",
            "p99 ms",
            "max ms",
            "first after play ms",
            "server CPU/answer p50 ms",
            "p99 ms",
        ],
        [
            [
                str(r["polls"]),
                str(r["errors"]),
                f1(r["p50"]),
                f1(r["p99"]),
                f1(r["max"]),
                f1(r["first_ms"]),
                f1(r["cpu_p50"]),
                f1(r["cpu_p99"]),
            ]
        ],
    )
    table(
        "staleness of the dashboard's clocks (ms behind the student's own run when the answer "
        "arrived; 0-1000 ms of it is the h:mm:ss display)",
        ["rows", "missing rows", "p50 ms", "p99 ms", "max ms"],
        [
            [
                str(r["polls"] * r["students"] - r["missing_rows"]),
                str(r["missing_rows"]),
                f1(r["stale_p50"]),
                f1(r["stale_p99"]),
                f1(r["stale_max"]),
            ]
        ],
    )
    table(
        "what everyone else sees meanwhile",
        [
            "panel polls",
            "panel p50 ms",
            "panel p99 ms",
            "CPU/panel ms",
            "panel CPU %",
            "frame late p50 ms",
            "frame late p99 ms",
            "server CPU %",
            "client CPU %",
            "load avg",
            "ws errors",
        ],
        [
            [
                str(r["panel_n"]),
                f1(r["panel_p50"]),
                f1(r["panel_p99"]),
                f1(r["panel_cpu"]),
                f"{r['panel_cpu_s'] * 100:.0f}",
                f1(r["late_p50"]),
                f1(r["late_p99"]),
                f"{r['server_cpu']:.0f}",
                f"{r['client_cpu']:.0f}",
                f"{r['load'][0]:.2f}->{r['load'][1]:.2f}",
                str(len(r["ws_errors"])),
            ]
        ],
    )
    print(
        f"  setup: {r['students']} joins + run pages + predictions in {r['join_s']:.1f} s; "
        f"'play every run' answered in {r['play_ms']:.0f} ms"
    )
    print_goals(goals_of(r))


def goals_of(r: dict[str, Any]) -> list[Goal]:
    return [
        (
            f"dashboard update p99 <= {GOAL_P99_MS:g} ms with {r['students']} students",
            f"p99 {f1(r['p99'])} ms over {r['polls']} polls, {r['errors']} errors",
            r["errors"] == 0 and r["p99"] <= GOAL_P99_MS,
        ),
        (
            f"server CPU of one dashboard answer < {GOAL_CPU_MS:g} ms",
            f"p50 {f1(r['cpu_p50'])} ms, p99 {f1(r['cpu_p99'])} ms",
            r["cpu_p50"] < GOAL_CPU_MS,
        ),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="15 s measured instead of 60 s")
    ap.add_argument("--students", type=int, default=100)
    ap.add_argument("--speed", default="1x", help="the class speed (default 1x)")
    ap.add_argument("--measure", type=float, help="seconds measured")
    ap.add_argument("--settle", type=float, default=5.0, help="seconds after play, not measured")
    ap.add_argument(
        "--no-student-polls",
        dest="student_polls",
        action="store_false",
        help="students' browsers do not poll their teaching panel",
    )
    ap.add_argument("--gate", type=int, default=50, help="websocket opens in flight at once")
    ap.add_argument(
        "--profile",
        nargs="?",
        const="/class/",
        metavar="REGEX",
        help="run the server's requests whose path matches REGEX (default: the class pages) "
        "under cProfile; prints the top functions (slower: not for figures)",
    )
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--keep", action="store_true", help="keep the data dir (server logs)")
    ap.add_argument("--json", metavar="FILE", help="write the goals' figures to FILE (JSON)")
    args = ap.parse_args()
    args.measure = args.measure or (15.0 if args.quick else 60.0)
    data_dir = Path(tempfile.mkdtemp(prefix="lab-bench-class-"))
    # benchmarks/_live_settings.py: lab.settings plus Server-Timing (and the profiler hook)
    env = {"DJANGO_SETTINGS_MODULE": "benchmarks._live_settings", "LAB_BENCH_TIMING": "1"}
    prof = data_dir / "class.prof"
    if args.profile:
        env |= {
            "LAB_BENCH_PROFILE": str(prof),
            "LAB_BENCH_PROFILE_PATHS": args.profile,
        }
    LabServer(data_dir).prepare()
    django_setup(data_dir)
    print(
        f"classroom benchmark: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"{args.students} students on {SLUG} at {args.speed}, settle {args.settle:g} s + "
        f"measure {args.measure:g} s, student panel polls "
        f"{'on' if args.student_polls else 'off'}, load average {os.getloadavg()[0]:.2f}; "
        f"data in {data_dir}" + (f"; profiling {args.profile!r}" if args.profile else "")
    )
    sys.stdout.flush()
    server = LabServer(data_dir, env=env).start()
    try:
        r = asyncio.run(measure(server, args))
    finally:
        server.stop()
    report(r)
    write_json(args.json, "classroom", goals_of(r), **{k: v for k, v in r.items()})
    if args.profile:
        import pstats

        print(f"\nprofile of the requests matching {args.profile!r} (profiler on: slower): {prof}")
        for key in ("tottime", "cumulative"):
            print(f"\n-- top {args.top} by {key} --")
            pstats.Stats(str(prof)).sort_stats(key).print_stats(args.top)
    if args.keep:
        print(f"\ndata and server logs kept in {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
