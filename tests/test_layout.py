"""The documented commands, the dev script, CI and the Dockerfile stay in step."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def shell_function(script: str, name: str) -> str:
    """Return the body of ``name() { ... }`` in a bash script (closing brace at column 0)."""
    match = re.search(rf"^{name}\(\) \{{\n(.*?)^\}}", script, flags=re.M | re.S)
    assert match, f"./dev has no function {name}()"
    return match.group(1)


def quick_start_blocks() -> list[str]:
    readme = read("README.md")
    section = re.search(r"^## Quick start\n(.*?)(?=^## |\Z)", readme, flags=re.M | re.S)
    assert section, "README.md has no '## Quick start' section"
    return re.findall(r"^```sh\n(.*?)^```", section.group(1), flags=re.M | re.S)


def test_it_documents_exactly_run_then_test_in_the_quick_start() -> None:
    assert [block.strip() for block in quick_start_blocks()] == ["./dev run", "./dev test"]


def test_it_has_executable_entry_scripts() -> None:
    for name in ("dev", ".ci/run", "manage.py"):
        assert os.access(ROOT / name, os.X_OK), f"{name} is not executable"


def test_it_runs_dev_test_in_ci() -> None:
    lines = [line for line in read(".ci/run").splitlines() if line.strip()]

    assert lines[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in lines
    assert lines[-1] == "exec ./dev test"


def test_it_serves_the_same_way_from_dev_run_and_docker() -> None:
    dev = read("dev")
    dockerfile = read("Dockerfile")
    serve = shell_function(dev, "cmd_serve")
    run = shell_function(dev, "cmd_run")

    assert "ensure_venv requirements.txt" in run
    assert run.strip().splitlines()[-1].strip() == "cmd_serve"
    for step in ("manage.py migrate --noinput", "loadscenarios", "lab.asgi:application"):
        assert step in serve
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert re.search(r'^CMD \["\./dev", "serve"\]$', dockerfile, flags=re.M)
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, flags=re.M)
    assert re.search(r"^USER (?!root)\w+", dockerfile, flags=re.M)
    assert "collectstatic --noinput" in dockerfile
    assert "./dev serve" in read("README.md")


def test_it_lists_every_environment_variable_in_the_readme() -> None:
    readme = read("README.md")
    for name in (
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "LAB_DATA_DIR",
        "PORT",
        "HOST",
    ):
        assert re.search(rf"^\| `{name}` \|", readme, flags=re.M), f"README lacks {name}"


def test_it_keeps_the_package_root_free_of_imports() -> None:
    source = read("lab/__init__.py")

    assert not re.search(r"^\s*(import|from)\s", source, flags=re.M)
