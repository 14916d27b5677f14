"""Headline figures of a benchmark, printed as goal lines and written with `--json FILE`.

Each goal is (goal, value, met): what the issue asks, the figure measured, and True / False
/ None (not measured). The JSON file also records when, where and under what load the
figures were taken, so runs can be tracked and compared from one to the next.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

Goal = tuple[str, Any, bool | None]


def print_goals(goals: list[Goal]) -> None:
    print("\ngoals")
    for goal, value, met in goals:
        mark = "not measured" if met is None else ("MET" if met else "MISSED")
        print(f"  {mark:12}  {goal}: {value}")
    sys.stdout.flush()


def write_json(path: str | None, benchmark: str, goals: list[Goal], **figures: Any) -> None:
    """Write the goals (and any other figures) to `path`, if one was given."""
    if not path:
        return
    doc = {
        "benchmark": benchmark,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "argv": sys.argv[1:],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
        "goals": [{"goal": g, "value": v, "met": m} for g, v, m in goals],
        "figures": figures,
    }
    Path(path).write_text(json.dumps(doc, indent=2, default=str) + "\n")
    print(f"headline figures written to {path}")
