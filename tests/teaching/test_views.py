"""The teaching pages: predict then reveal, challenges, a class with its dashboard and CSV,
and who may see what (checked on the server)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from lab.engine.units import S
from lab.live.models import Run, RunAction
from lab.teaching.models import Attempt, ClassSession, Participant

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def start(client: Client, slug: str) -> Run:
    response = client.post(f"/s/{slug}/start/")
    assert response.status_code == 302
    return Run.objects.get(pk=response["Location"].split("/")[2])


def log(run: Run, t_s: float, **action: Any) -> None:
    """An action as the run host writes it."""
    seq = RunAction.objects.filter(run=run).count() + 1
    RunAction.objects.create(run=run, seq=seq, t_us=int(t_s * S), action=action)


def test_it_asks_first_and_pauses_the_run_until_the_answer_is_locked_in(builtins: None) -> None:
    client = Client()
    run = start(client, "predict-one-end")
    html = client.get(f"/runs/{run.id}/").content.decode()
    assert "When the tunnel drops for 90 s with the sysopt on at BO only" in html
    assert "Lock in my answer" in html
    run.refresh_from_db()
    assert run.speed == "paused"
    assert Attempt.objects.get(run=run).choice is None

    response = client.post(f"/runs/{run.id}/teaching/", {"action": "predict", "choice": "0"}, **HX)
    assert response.status_code == 200
    assert "Your prediction, locked in" in response.content.decode()
    attempt = Attempt.objects.get(run=run)
    assert attempt.choice == 0
    # locked: a second answer changes nothing
    client.post(f"/runs/{run.id}/teaching/", {"action": "predict", "choice": "1"}, **HX)
    attempt.refresh_from_db()
    assert attempt.choice == 0


def test_it_reveals_the_prediction_beside_what_happened_with_the_explanation(
    builtins: None,
) -> None:
    client = Client()
    run = start(client, "predict-one-end")
    client.get(f"/runs/{run.id}/")
    client.post(f"/runs/{run.id}/teaching/", {"action": "predict", "choice": "0"})
    response = client.post(f"/runs/{run.id}/teaching/", {"action": "check"}, **HX)
    html = response.content.decode()
    assert "Your prediction beside what happened on your run" in html
    assert "Not what you predicted." in html
    assert "HO tore down its conn" in html or "HO&#x27;s SAs had no PRESERVE" in html
    attempt = Attempt.objects.get(run=run)
    assert attempt.held == [False, True, False]
    assert attempt.prediction_right is False


def test_no_prediction_is_taken_once_the_run_has_played(builtins: None) -> None:
    client = Client()
    run = start(client, "predict-one-end")
    client.get(f"/runs/{run.id}/")
    Run.objects.filter(pk=run.pk).update(sim_t_us=5 * S)
    response = client.post(f"/runs/{run.id}/teaching/", {"action": "predict", "choice": "1"})
    assert response.status_code == 302
    assert Attempt.objects.get(run=run).choice is None
    html = client.get(f"/runs/{run.id}/").content.decode()
    assert "no prediction was recorded" in html


def test_a_challenge_passes_or_fails_on_the_students_own_log_with_hints_one_by_one(
    builtins: None,
) -> None:
    client = Client()
    run = start(client, "challenge-non-cisco")
    html = client.get(f"/runs/{run.id}/").content.decode()
    assert "The download resumes after the outage" in html
    assert "At most 1 device command(s)" in html
    assert "Show hint 1 of 2" in html

    html = client.post(f"/runs/{run.id}/teaching/", {"action": "hint"}, **HX).content.decode()
    assert "Which of the two gateways" in html and "Show hint 2 of 2" in html
    html = client.post(f"/runs/{run.id}/teaching/", {"action": "hint"}, **HX).content.decode()
    assert "Show hint" not in html
    client.post(f"/runs/{run.id}/teaching/", {"action": "hint"}, **HX)
    assert Attempt.objects.get(run=run).hints_shown == 2

    html = client.post(f"/runs/{run.id}/teaching/", {"action": "check"}, **HX).content.decode()
    assert "Not yet" in html and "The download is dead (the connection was reset)" in html
    explanation = "with PRESERVE on its SAs it keeps the conn"
    assert "The explanation comes with a pass" in html and explanation not in html

    log(run, 5, do="set_sysopt", device="bo-asa", option="preserve-vpn-flows", enabled=True)
    html = client.post(f"/runs/{run.id}/teaching/", {"action": "check"}, **HX).content.decode()
    assert "Passed" in html
    assert "Why it works" in html and explanation in html
    assert Attempt.objects.get(run=run).passed is True


def test_a_watcher_sees_the_panel_but_cannot_answer(builtins: None) -> None:
    from lab.live import tokens

    owner = Client()
    run = start(owner, "predict-one-end")
    owner.get(f"/runs/{run.id}/")
    control = owner.session["lab_run_keys"][run.id]
    watcher = Client()
    watcher.get(f"/runs/{run.id}/?key={tokens.watch_token(control)}")
    html = watcher.get(f"/runs/{run.id}/").content.decode()
    assert "Predict first" in html and "Lock in my answer" not in html
    response = watcher.post(f"/runs/{run.id}/teaching/", {"action": "predict", "choice": "0"})
    assert response.status_code == 403
    assert Client().get(f"/runs/{run.id}/teaching/").status_code == 403


def test_a_scenario_without_teaching_shows_no_panel(builtins: None) -> None:
    client = Client()
    run = start(client, "default-drop")
    assert "teaching-panel" not in client.get(f"/runs/{run.id}/").content.decode()
    assert not Attempt.objects.exists()


# --- class sessions ----------------------------------------------------------------------


def open_class(slug: str = "challenge-udp") -> tuple[Client, ClassSession]:
    instructor = Client()
    response = instructor.post(f"/s/{slug}/class/")
    session = ClassSession.objects.get()
    assert response["Location"] == f"/class/{session.code}/"
    return instructor, session


def join(session: ClassSession, name: str) -> tuple[Client, Run]:
    student = Client()
    response = student.post("/class/", {"code": session.code.lower(), "name": name})
    assert response.status_code == 302
    run = Run.objects.get(attempt__participant__name=name)
    assert response["Location"] == f"/runs/{run.id}/"
    return student, run


def test_students_join_with_a_code_and_a_name_and_get_their_own_paused_run(
    builtins: None,
) -> None:
    instructor, session = open_class()
    assert len(session.code) == 10
    html = instructor.get(f"/class/{session.code}/").content.decode()
    assert f"/class/{session.code}/join/" in html and "Nobody has joined yet" in html

    ana, ana_run = join(session, "Ana")
    ben, ben_run = join(session, "Ben")
    assert ana_run.id != ben_run.id and ana_run.speed == "paused"
    html = ana.get(f"/runs/{ana_run.id}/").content.decode()
    assert f"Class <strong>{session.code}</strong>" in html and "you are <strong>Ana" in html
    # joining again from the same browser goes back to the same run
    assert ana.post("/class/", {"code": session.code, "name": "Ana 2"})["Location"] == (
        f"/runs/{ana_run.id}/"
    )
    assert Participant.objects.count() == 2

    bad = Client().post("/class/", {"code": "ZZZZZZ", "name": "X"})
    assert bad.status_code == 422 and "No class has that code" in bad.content.decode()
    noname = Client().post("/class/", {"code": session.code, "name": "  "})
    assert noname.status_code == 422


def test_a_student_cannot_see_another_students_run_or_the_dashboard(builtins: None) -> None:
    instructor, session = open_class()
    ana, ana_run = join(session, "Ana")
    ben, ben_run = join(session, "Ben")
    assert ana.get(f"/runs/{ben_run.id}/").status_code == 403
    assert ana.get(f"/runs/{ben_run.id}/teaching/").status_code == 403
    assert ana.post(f"/runs/{ben_run.id}/teaching/", {"action": "hint"}).status_code == 403
    ben_id = Participant.objects.get(name="Ben").pk
    for url in (
        f"/class/{session.code}/",
        f"/class/{session.code}/live/",
        f"/class/{session.code}/results.csv",
        f"/class/{session.code}/students/{ben_id}/",
    ):
        assert ana.get(url).status_code == 403, url
    assert ana.post(f"/class/{session.code}/control/", {"action": "pause"}).status_code == 403


def test_the_dashboard_shows_predictions_verdicts_and_exports_them(builtins: None) -> None:
    instructor, session = open_class()
    ana, ana_run = join(session, "Ana")
    ben, ben_run = join(session, "Ben")
    ana.post(f"/runs/{ana_run.id}/teaching/", {"action": "predict", "choice": "1"})
    ben.post(f"/runs/{ben_run.id}/teaching/", {"action": "predict", "choice": "0"})
    # in the predict step nobody can check yet
    assert ana.post(f"/runs/{ana_run.id}/teaching/", {"action": "check"}).status_code == 400

    html = instructor.get(f"/class/{session.code}/live/", **HX).content.decode()
    assert 'data-tally="0">1<' in html and 'data-tally="1">1<' in html

    assert instructor.post(f"/class/{session.code}/control/", {"action": "next"}).status_code == 302
    session.refresh_from_db()
    assert session.step == "run"
    ana_run.refresh_from_db()
    assert ana_run.speed == "60x"
    assert RunAction.objects.filter(run=ana_run, action__do="speed").exists()

    for t, dev in ((5, "ho-asa"), (6, "bo-asa")):
        log(ana_run, t, do="set_sysopt", device=dev, option="preserve-vpn-flows", enabled=True)
    ana.post(f"/runs/{ana_run.id}/teaching/", {"action": "check"})
    instructor.post(f"/class/{session.code}/control/", {"action": "next"})  # reveal
    session.refresh_from_db()
    assert session.step == "reveal"
    assert Attempt.objects.get(run=ben_run).passed is False

    html = instructor.get(f"/class/{session.code}/live/", **HX).content.decode()
    assert html.count('class="pill ok">pass') == 1 and html.count('class="pill bad"') >= 1

    rows = list(
        csv.DictReader(
            io.StringIO(instructor.get(f"/class/{session.code}/results.csv").content.decode())
        )
    )
    assert [r["student"] for r in rows] == ["Ana", "Ben"]
    assert rows[0]["challenge"] == "pass" and rows[1]["challenge"] == "fail"
    assert rows[0]["prediction_happened"] == "yes" and rows[1]["prediction_happened"] == "no"
    assert "sysopt connection preserve-vpn-flows" in rows[0]["commands"]
    assert "The download is dead" in rows[1]["why"]


def test_the_instructor_pauses_all_runs_opens_one_read_only_and_broadcasts(
    builtins: None,
) -> None:
    instructor, session = open_class()
    ana, ana_run = join(session, "Ana")
    instructor.post(f"/class/{session.code}/control/", {"action": "next"})
    instructor.post(f"/class/{session.code}/control/", {"action": "pause"})
    ana_run.refresh_from_db()
    assert ana_run.speed == "paused"
    assert ClassSession.objects.get().paused

    ana_id = Participant.objects.get(name="Ana").pk
    response = instructor.get(f"/class/{session.code}/students/{ana_id}/")
    assert response.status_code == 302
    html = instructor.get(response["Location"], follow=True).content.decode()
    assert "watching (read-only)" in html and "Lock in my answer" not in html

    response = instructor.post(f"/class/{session.code}/control/", {"action": "broadcast"})
    session.refresh_from_db()
    assert session.broadcast_run_id and response["Location"] == (
        f"/runs/{session.broadcast_run_id}/"
    )
    html = ana.get(f"/runs/{ana_run.id}/teaching/").content.decode()
    assert "Your instructor is showing their run" in html
    assert f"/runs/{session.broadcast_run_id}/?key=" in html and "embed=1" in html
    instructor.post(f"/class/{session.code}/control/", {"action": "stop-broadcast"})
    assert "showing their run" not in ana.get(f"/runs/{ana_run.id}/teaching/").content.decode()


def test_the_instructor_link_moves_to_another_browser_only_with_the_key(builtins: None) -> None:
    instructor, session = open_class()
    assert Client().get(f"/class/{session.code}/").status_code == 403
    assert Client().get(f"/class/{session.code}/?key=wrong").status_code == 403
    assert Client().get("/class/NOPE99/").status_code == 404
