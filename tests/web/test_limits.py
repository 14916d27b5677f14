"""Limits on everything that creates runs or holds memory: class joins, broadcasts,
copies, captures; logins; and the small leaks (CSV formulas, embeds with controls)."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from lab.live import capturelimits, tokens
from lab.live.models import Run
from lab.live.throttle import Slots
from lab.security import csv_cell
from lab.teaching.models import ClassSession

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def builtins(db: Any) -> None:
    call_command("loadscenarios", stdout=io.StringIO())


def start(client: Client) -> Run:
    response = client.post("/s/default-drop/start/")
    assert response.status_code == 302
    return Run.objects.get(pk=response["Location"].split("/")[2])


def open_class() -> tuple[Client, ClassSession]:
    instructor = Client()
    response = instructor.post("/s/default-drop/class/")
    code = response["Location"].rstrip("/").split("/")[-1]
    return instructor, ClassSession.objects.get(code=code)


# --- captures --------------------------------------------------------------------------


def test_a_watch_link_may_not_capture(builtins: None) -> None:
    owner = Client()
    run = start(owner)
    watcher = Client()
    watch = tokens.watch_token(owner.session["lab_run_keys"][run.id])
    watcher.get(f"/runs/{run.id}/?key={watch}")

    response = watcher.get(f"/runs/{run.id}/capture/?link=internet&from_s=0&to_s=5")

    assert response.status_code == 403
    assert "control link" in response.content.decode()


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "1e308", "NaN"])
def test_a_window_that_is_not_a_number_is_a_form_error(builtins: None, bad: str) -> None:
    owner = Client()
    run = start(owner)

    response = owner.get(f"/runs/{run.id}/capture/?link=internet&from_s=0&to_s={bad}")

    assert response.status_code == 400
    assert "H:MM:SS (or a number of seconds), at most" in response.content.decode()


def test_a_window_too_big_for_the_size_limit_says_how_long_it_may_be(
    builtins: None, settings: Any
) -> None:
    settings.LAB_CAPTURE_MAX_BYTES = 1_000_000
    owner = Client()
    run = start(owner)
    rate = capturelimits.link_load_bps(run.spec, "internet")
    assert rate == next(
        x["rate_bps"] for x in run.spec["topology"]["links"] if x["id"] == "internet"
    )

    response = owner.get(f"/runs/{run.id}/capture/?link=internet&from_s=0&to_s=30")

    html = response.content.decode()
    assert response.status_code == 400
    assert "LAB_CAPTURE_MAX_BYTES" in html and "limited to 1 MB" in html
    longest = 1_000_000 / (rate / 8 * capturelimits.OVERHEAD)
    assert f"at most {longest:.1f} s" in html


def test_a_capture_beyond_the_concurrency_limit_is_told_to_wait(
    builtins: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = Client()
    run = start(owner)
    full = Slots(total=1, per_key=1)
    assert full.take("someone else") == ""
    monkeypatch.setattr(capturelimits, "slots", lambda: full)

    response = owner.get(f"/runs/{run.id}/capture/?link=internet&from_s=0&to_s=5")

    assert response.status_code == 429
    assert "the server is making 1 captures already" in response.content.decode()
    assert dict(full.busy) == {"someone else": 1}  # nothing taken, nothing leaked


def test_slots_count_per_address_and_in_all() -> None:
    slots = Slots(total=2, per_key=1)

    assert slots.take("a") == ""
    assert "this address" in slots.take("a")
    assert slots.take("b") == ""
    assert "the server" in slots.take("c")
    slots.give("a")
    assert slots.take("c") == ""


# --- embeds ----------------------------------------------------------------------------


def test_an_embed_of_a_control_link_is_served_watch_only(builtins: None) -> None:
    owner = Client()
    run = start(owner)
    control = owner.session["lab_run_keys"][run.id]

    html = Client().get(f"/runs/{run.id}/?key={control}&embed=1").content.decode()

    assert control not in html
    assert tokens.watch_token(control) in html
    assert "you control this run" not in html


# --- class joins and broadcasts ---------------------------------------------------------


def test_joins_from_one_address_are_limited(builtins: None, settings: Any) -> None:
    settings.LAB_CLASS_JOINS_PER_MINUTE = 3
    _, session = open_class()
    answers = [
        Client().post("/class/", {"code": session.code, "name": f"S{i}"}).status_code
        for i in range(5)
    ]

    assert answers == [302, 302, 302, 429, 429]
    assert Run.objects.count() == 3


def test_joins_also_count_as_run_starts(builtins: None, settings: Any) -> None:
    settings.LAB_RUN_STARTS_PER_MINUTE = 2
    _, session = open_class()

    answers = [Client().post("/class/", {"code": session.code, "name": f"S{i}"}) for i in range(3)]

    assert [a.status_code for a in answers] == [302, 302, 429]
    assert "Too many runs started from this address" in answers[2].content.decode()


def test_a_wrong_code_and_a_right_one_answer_alike(builtins: None) -> None:
    _, session = open_class()
    wrong = "Z" * len(session.code)

    def page(code: str, name: str) -> tuple[int, str]:
        response = Client().post("/class/", {"code": code, "name": name})
        html = re.sub(r'value="[^"]*"', "", response.content.decode())  # echoed code
        return response.status_code, re.sub(r"[A-Za-z0-9]{64}", "CSRF", html)

    assert page(wrong, "") == page(session.code, "")
    assert page(f"/class/{wrong}/join/", "")[0] == page(f"/class/{session.code}/join/", "")[0]
    get_wrong = Client().get(f"/class/{wrong}/join/").content.decode()
    get_right = Client().get(f"/class/{session.code}/join/").content.decode()
    assert len(get_wrong) == len(get_right)
    assert session.scenario.title not in get_right


def test_class_codes_are_ten_characters_of_an_unambiguous_alphabet(builtins: None) -> None:
    _, session = open_class()

    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{10}", session.code)


def test_broadcasts_count_as_run_starts(builtins: None, settings: Any) -> None:
    settings.LAB_RUN_STARTS_PER_MINUTE = 2
    instructor, session = open_class()
    url = f"/class/{session.code}/control/"

    answers = [instructor.post(url, {"action": "broadcast"}).status_code for _ in range(3)]

    assert answers == [302, 302, 429]
    assert Run.objects.count() == 2


def test_forks_and_imports_are_limited_per_address(builtins: None, settings: Any) -> None:
    settings.LAB_COPIES_PER_MINUTE = 2
    client = Client()

    answers = [client.post("/s/default-drop/fork/").status_code for _ in range(3)]
    answers.append(client.post("/import/", {"action": "json", "json_text": "{}"}).status_code)

    assert answers == [302, 302, 429, 429]


# --- CSV -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("\tx", "'\tx"),
        ("Ana", "Ana"),
        (-3, -3),
        (2.5, 2.5),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_stay_text(value: Any, cell: Any) -> None:
    assert csv_cell(value) == cell


def test_the_class_csv_neutralises_a_formula_name(builtins: None) -> None:
    instructor, session = open_class()
    Client().post("/class/", {"code": session.code, "name": '=HYPERLINK("http://evil","x")'})

    csv_text = instructor.get(f"/class/{session.code}/results.csv").content.decode()

    assert '"\'=HYPERLINK(""http://evil"",""x"")"' in csv_text


# --- logins and mail -------------------------------------------------------------------


def test_failed_logins_are_throttled_per_username_and_address(settings: Any) -> None:
    settings.LAB_LOGIN_FAILURES = 3
    User.objects.create_user("ana", password="right-pass-123")
    client = Client()
    for _ in range(3):
        response = client.post("/accounts/login/", {"username": "ana", "password": "wrong"})
        assert "Please enter a correct username and password" in response.content.decode()

    refused = client.post("/accounts/login/", {"username": "ana", "password": "right-pass-123"})
    other = Client().post("/accounts/login/", {"username": "bob", "password": "wrong"})

    assert refused.status_code == 200
    assert "Too many failed logins for this username from your address" in (
        refused.content.decode()
    )
    assert "_auth_user_id" not in client.session
    assert "Too many" not in other.content.decode()  # another username is not blocked


def test_the_admin_login_is_throttled_too(settings: Any) -> None:
    settings.LAB_LOGIN_FAILURES = 1
    client = Client()
    client.post("/admin/login/", {"username": "root", "password": "x"})

    response = client.post("/admin/login/", {"username": "root", "password": "y"})

    assert "Too many failed logins" in response.content.decode()


def test_an_unsent_reset_mail_is_one_logged_line(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.EMAIL_BACKEND = "lab.web.accounts.QuietSmtpBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard: nobody listens
    User.objects.create_user("ana", email="ana@example.com", password="right-pass-123")

    with caplog.at_level(logging.ERROR):
        response = Client().post("/accounts/password_reset/", {"email": "ana@example.com"})

    assert response.status_code == 302
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "mail not sent" in errors[0].getMessage()
    assert errors[0].exc_info is None
