"""The prediction gate, on the server: a run whose question is unanswered does not play,
whichever way it is asked to (the socket's speed, step and reset; the class's play), and
the instructor sees who has not answered and may play anyway, marking them explicitly."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from lab.live import host
from lab.live.models import Run
from lab.teaching.gate import WAITING
from lab.teaching.models import Attempt, ClassSession
from tests.live.conftest import Client as Socket

HX = {"HTTP_HX_REQUEST": "true"}


def start(client: Client, slug: str) -> Run:
    run = Run.objects.get(pk=client.post(f"/s/{slug}/start/")["Location"].split("/")[2])
    client.get(f"/runs/{run.id}/")  # the page makes the attempt and pauses the run
    run.refresh_from_db()
    return run


def control_key(client: Client, run: Run) -> str:
    return str(client.session["lab_run_keys"][run.id])


@pytest.mark.django_db(transaction=True)
async def test_speed_step_and_reset_are_refused_until_the_answer_is_locked_in(
    builtins: None,
) -> None:
    client = Client()
    run = await sync_to_async(start)(client, "predict-one-end")
    assert run.speed == "paused"
    ws = Socket(run.id, await sync_to_async(control_key)(client, run))
    try:
        assert (await ws.connect())[0]
        for msg in ({"speed": "10x"}, {"speed": "max"}):
            assert await ws.refused(action="speed", **msg) == WAITING
        assert await ws.refused(action="step") == WAITING
        assert await ws.refused(action="reset") == WAITING
        await ws.send(action="cut", link="internet", for_s=5)  # not playing: allowed
        await sync_to_async(client.post)(
            f"/runs/{run.id}/teaching/", {"action": "predict", "choice": "1"}, **HX
        )
        # locked in: a student alone plays on at 10x (through the run's owner)
        await ws.until(lambda c: any(f["speed"] == "10x" for f in c.progress))
        before = len(ws.errors)
        await ws.send(action="speed", speed="paused")
        await ws.send(action="step")
        await ws.until(lambda c: any(f["speed"] == "paused" for f in c.progress))
        assert len(ws.errors) == before
    finally:
        await ws.close()
        await host.stop_all()


@pytest.mark.django_db
def test_a_run_without_a_question_plays_freely(builtins: None) -> None:
    from lab.teaching.gate import refusal

    run = start(Client(), "default-drop")
    assert refusal(run.id, {"do": "speed", "speed": "60x"}) is None


def join(code: str, name: str) -> tuple[Client, Run]:
    student = Client()
    response = student.post("/class/", {"code": code, "name": name})
    run = Run.objects.get(pk=response["Location"].split("/")[2])
    return student, run


@pytest.fixture
def a_class(builtins: None) -> Any:
    teacher = Client()
    response = teacher.post("/s/predict-one-end/class/")
    code = response["Location"].rstrip("/").split("/")[-1]
    return teacher, ClassSession.objects.get(code=code)


@pytest.mark.django_db
def test_play_waits_for_students_who_have_not_answered(a_class: Any) -> None:
    teacher, session = a_class
    ana, ana_run = join(session.code, "Ana")
    ben, ben_run = join(session.code, "Ben")
    ana.post(f"/runs/{ana_run.id}/teaching/", {"action": "predict", "choice": "0"})
    html = teacher.get(f"/class/{session.code}/").content.decode()
    assert "Not answered yet (1):</strong> Ben" in html
    assert "Mark 1 “no answer” and play all" in html

    response = teacher.post(f"/class/{session.code}/control/", {"action": "next"}, follow=True)
    assert "1 run wait for their student" in response.content.decode()
    ana_run.refresh_from_db()
    ben_run.refresh_from_db()
    assert ana_run.speed == session.speed
    assert ben_run.speed == "paused"  # held by the gate, not silently cancelled
    assert Attempt.objects.get(run=ben_run).can_predict()

    # Ben answers now: his run starts at the class's speed.
    ben.post(f"/runs/{ben_run.id}/teaching/", {"action": "predict", "choice": "1"})
    ben_run.refresh_from_db()
    assert ben_run.speed == session.speed


@pytest.mark.django_db
def test_the_instructor_may_mark_no_answer_and_play_all(a_class: Any) -> None:
    teacher, session = a_class
    ben, ben_run = join(session.code, "Ben")
    teacher.post(f"/class/{session.code}/control/", {"action": "next-mark"})
    ben_run.refresh_from_db()
    assert ben_run.speed == session.speed
    attempt = Attempt.objects.get(run=ben_run)
    assert attempt.waived and attempt.choice is None
    html = ben.get(f"/runs/{ben_run.id}/").content.decode()
    assert "marked “no answer”" in html
    assert "no answer" in teacher.get(f"/class/{session.code}/").content.decode()


@pytest.mark.django_db
def test_class_speed_reaches_runs_already_playing(a_class: Any) -> None:
    teacher, session = a_class
    _, run = join(session.code, "Ana")
    teacher.post(f"/class/{session.code}/control/", {"action": "next-mark"})
    response = teacher.post(
        f"/class/{session.code}/control/", {"action": "speed", "speed": "600x"}, follow=True
    )
    assert "every playing run now goes at 600x" in response.content.decode()
    run.refresh_from_db()
    assert run.speed == "600x"
