"""Hardening an operator checks: CSP, CSRF on every form, size and rate limits, secrets
kept out of logs, and the fuzzer (a small run of `benchmarks/fuzz.py`) finding nothing."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from lab.live.throttle import WindowLimit
from lab.scenarios.forms import CONFIG_MAX
from lab.security import RedactSecrets, redact
from tests.conftest import ROOT, LabServer, free_port

TEMPLATES = ROOT / "templates"


@pytest.fixture
def scenarios(db: Any) -> None:
    from django.core.management import call_command

    call_command("loadscenarios", verbosity=0)


def test_every_post_form_in_every_template_carries_the_csrf_token() -> None:
    forms = 0
    for path in TEMPLATES.rglob("*.html"):
        for form in re.findall(r"<form\b[^>]*>.*?</form>", path.read_text(), re.S | re.I):
            if re.search(r'method="post"', form, re.I):
                forms += 1
                assert "{% csrf_token %}" in form, f"{path.relative_to(ROOT)}: {form[:120]}"
    assert forms >= 5


@pytest.mark.django_db
def test_posts_without_the_csrf_token_are_refused(scenarios: None) -> None:
    browser = Client(enforce_csrf_checks=True)
    for url, data in [
        ("/s/default-drop/start/", {}),
        ("/s/default-drop/fork/", {}),
        ("/import/", {"action": "json", "json_text": "{}"}),
        ("/accounts/login/", {"username": "x", "password": "y"}),
        ("/accounts/logout/", {}),
    ]:
        assert browser.post(url, data).status_code == 403, url


@pytest.mark.django_db
def test_pages_carry_a_policy_that_allows_only_our_own_scripts(scenarios: None) -> None:
    response = Client().get("/s/default-drop/")
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in policy["style-src"]
    assert policy["connect-src"] == "'self' ws://testserver"
    assert response["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.content.decode()  # no inline script


@pytest.mark.django_db
def test_bodies_over_the_limit_get_a_413_that_says_so(settings: Any) -> None:
    settings.LAB_MAX_REQUEST_BYTES = 4096
    response = Client().post("/import/", {"action": "json", "json_text": "x" * 10_000})
    assert response.status_code == 413
    assert "at most 4096 bytes" in response.content.decode()


@pytest.mark.django_db
def test_configs_and_scenario_files_over_their_limits_are_refused_clearly(
    scenarios: None,
) -> None:
    browser = Client()
    big = "! x\n" * (CONFIG_MAX // 4 + 1)
    response = browser.post("/import/", {"action": "configs", "bo_text": big, "ho_text": "x"})
    assert response.status_code == 422
    assert "Ensure this value has at most" in response.content.decode()
    upload = SimpleUploadedFile("bo.txt", big.encode())
    response = browser.post("/import/", {"action": "configs", "bo_file": upload})
    assert response.status_code == 422
    assert "the limit is 256 KB" in response.content.decode()
    deep = "[" * 5000 + "]" * 5000
    response = browser.post("/import/", {"action": "json", "json_text": deep})
    assert response.status_code == 422
    assert "nested too deeply" in response.content.decode()


@pytest.mark.django_db
def test_starting_runs_is_rate_limited_per_address(scenarios: None, settings: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.LAB_RUN_STARTS_PER_MINUTE = 3
    browser = Client()
    codes = [browser.post("/s/default-drop/start/").status_code for _ in range(4)]
    assert codes[:3] == [302, 302, 302]
    assert codes[3] == 429
    response = browser.post("/s/default-drop/start/")
    assert "at most 3 a minute" in response.content.decode()
    assert int(response["Retry-After"]) >= 1
    cache.clear()


def test_the_window_limit_turns_over() -> None:
    from django.core.cache import cache

    limit = WindowLimit(f"t{time.monotonic_ns()}", 2, window_s=60)
    assert limit.hit("a") is None and limit.hit("a") is None
    wait = limit.hit("a")
    assert wait is not None and 1 <= wait <= 61
    assert limit.hit("b") is None  # another client has its own count
    cache.clear()


def test_the_log_filter_blanks_run_tokens_and_other_secrets() -> None:
    secret = "Zq3_secretTOKEN-value"
    assert secret not in redact(f"GET /runs/abc/?key={secret}&present=1 200")
    assert redact(f"/runs/abc/?key={secret}&present=1") == "/runs/abc/?key=[redacted]&present=1"
    args = ("GET", f"/x?key={secret}")
    record = logging.LogRecord("lab", logging.INFO, __file__, 1, "HTTP %s %s", args, None)
    RedactSecrets().filter(record)
    assert record.getMessage() == "HTTP GET /x?key=[redacted]"


def test_tokens_never_reach_the_server_logs(tmp_path: Path) -> None:
    """The development server logs every request line: run links must come out blanked."""
    port = free_port()
    secret = "NeverLogMe_" + "k" * 30
    env = {**os.environ, "LAB_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    server = LabServer(tmp_path)
    server.prepare()
    log = tmp_path / "runserver.log"
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        for path in (f"/runs/nosuchrun/?key={secret}", f"/runs/x/recording/?key={secret}"):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(base + path, timeout=10).close()
        time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(10)
    text = log.read_text(errors="replace")
    assert "/runs/nosuchrun/?key=[redacted]" in text  # the line is logged, the key is not
    assert secret not in text


def test_the_fuzzer_finds_nothing_on_a_real_server() -> None:
    from benchmarks import fuzz

    figures, problems = fuzz.run(None, frames_n=400, posts_n=100)
    assert problems == []
    assert figures["error_frames"] == figures["frames"] == 400
    assert figures["posts"] == 100


@pytest.mark.django_db
def test_with_https_on_pages_redirect_but_the_health_check_answers_plain_http(
    settings: Any,
) -> None:
    settings.SECURE_SSL_REDIRECT = True
    browser = Client()
    assert browser.get("/").status_code == 301
    assert browser.get("/healthz").status_code == 200
