"""Teaching pages: the panel on a run page, class sessions, the dashboard, the CSV.

Thin views: rules live on the models (lab.teaching.models), the verdicts in
lab.teaching.judge, who-may-what in lab.teaching.access.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lab.live import throttle, tokens
from lab.live.models import Run
from lab.scenarios.models import Scenario
from lab.teaching import access, control, panels
from lab.teaching.models import NAME_MAX, Attempt, ClassSession

SPEED_PAUSED = "paused"


def _denied(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "teaching/denied.html", {"reason": reason}, status=403)


# --- the student's panel on the run page -------------------------------------------------


def attempt_for(request: HttpRequest, run: Run) -> tuple[Attempt | None, str | None]:
    """The run's attempt (made on first sight for a scenario with teaching) and the role."""
    role = access.run_role(request, run)
    if role is None:
        return None, None
    attempt = Attempt.objects.filter(run=run).first()
    if attempt is None and role == tokens.CONTROL and run.spec.get("teaching"):
        attempt, made = Attempt.objects.get_or_create(run=run)
        if made and attempt.can_predict() and run.speed != SPEED_PAUSED:
            control.set_speed([run.id], SPEED_PAUSED)  # predict first, then play
    return attempt, role


def panel_context(request: HttpRequest, run: Run) -> dict[str, Any]:
    """The context the run page's teaching panel needs; {} when the run teaches nothing."""
    attempt, role = attempt_for(request, run)
    if attempt is None or role is None:
        return {}
    session = attempt.participant.session if attempt.participant_id else None
    ctx = panels.student_panel(attempt, role=role, session=session)
    if session is not None and session.broadcast_run_id and session.broadcast_watch:
        page = reverse("run", args=[session.broadcast_run_id])
        ctx["broadcast_url"] = f"{page}?{urlencode({'key': session.broadcast_watch, 'embed': 1})}"
    return {"teaching": ctx}


SOLO_SPEED = "10x"  # [U] a student alone: the run plays on at this once they answer


def _play_after_prediction(run: Run, session: ClassSession | None) -> None:
    """The answer is locked in: play the run, at the class's speed once the class is
    running (its instructor has pressed play), at SOLO_SPEED for a student alone."""
    if session is None:
        control.set_speed([run.id], SOLO_SPEED)
        return
    session.refresh_from_db()
    if session.step != ClassSession.PREDICT and not session.paused:
        control.set_speed([run.id], session.speed)


@require_http_methods(["GET", "POST"])
def run_panel(request: HttpRequest, run_id: str) -> HttpResponse:
    """The teaching panel alone (htmx polls it in class); POST: predict, hint or check."""
    run = get_object_or_404(Run, pk=run_id)
    ctx = panel_context(request, run)
    if not ctx:
        return _denied(request, "This browser holds no link for this run.")
    attempt: Attempt = ctx["teaching"]["attempt"]
    if request.method == "POST":
        if ctx["teaching"]["role"] != tokens.CONTROL:
            return _denied(request, "A watch link can follow this run but not answer for it.")
        what = request.POST.get("action", "")
        if what == "predict":
            with contextlib.suppress(ValueError):
                if attempt.predict(int(request.POST.get("choice", ""))):
                    _play_after_prediction(run, ctx["teaching"]["class_session"])
        elif what == "hint":
            attempt.show_hint()
        elif what == "check" and ctx["teaching"]["may_check"]:
            attempt.judge()
        else:
            return HttpResponse("unknown or not yet allowed action", status=400)
        if not request.htmx:
            return HttpResponseRedirect(reverse("run", args=[run.id]))
        ctx = panel_context(request, run)
    return render(request, "teaching/run_panel.html", ctx)


# --- class sessions -------------------------------------------------------------------


@require_POST
def class_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Open a class on a scenario; this browser becomes its instructor."""
    scenario = get_object_or_404(Scenario, slug=slug)
    session, token = ClassSession.open(scenario)
    access.remember_instructor(request, session.code, token)
    return HttpResponseRedirect(reverse("class-dashboard", args=[session.code]))


def _session(code: str) -> ClassSession:
    session = ClassSession.objects.select_related("scenario").filter(code=code.upper()).first()
    if session is None:
        raise Http404("no class with that code")
    return session


@require_http_methods(["GET", "POST"])
def class_join(request: HttpRequest, code: str = "") -> HttpResponse:
    """Join a class with its code and a display name: a run of your own, no account.

    A wrong code and a right one get the same page (the class is not named before
    joining), and joins are rate limited per address and per class."""
    code = (request.POST.get("code") or code or request.GET.get("code", "")).strip().upper()
    name = " ".join(request.POST.get("name", "").split())[:NAME_MAX]
    error, status = "", 200
    session = ClassSession.objects.filter(code=code).first() if code else None
    if session is not None:
        student = access.student_of(request, session)
        if student is not None:  # joined already: back to their own run
            return HttpResponseRedirect(reverse("run", args=[student.attempt.run_id]))
    if request.method == "POST":
        error = throttle.refuse_join(request, code)
        if not error and session is not None and name:
            refused = throttle.refuse_run_start(request)  # a join starts a run
            error = refused.content.decode().strip() if refused is not None else ""
        status = 429 if error else 422
        if not error and not name:  # asked first: a right code and a wrong one answer alike
            error = "Type the name your instructor will see."
        elif not error and session is None:
            error = "No class has that code."
        elif not error:
            participant, token, run_token = session.join(name)
            access.remember_student(request, session.code, token)
            access.remember_run(request, participant.attempt.run_id, run_token)
            return HttpResponseRedirect(reverse("run", args=[participant.attempt.run_id]))
    ctx = {"code": code, "name": name, "error": error, "session": None}
    return render(request, "teaching/join.html", ctx, status=status)


def _instructor_session(request: HttpRequest, code: str) -> ClassSession | HttpResponse:
    session = _session(code)
    key = request.GET.get("key")
    if key is not None and session.is_instructor(key):
        access.remember_instructor(request, session.code, key)
    if not access.is_instructor(request, session):
        return _denied(request, "Only the instructor of this class can open its dashboard.")
    return session


def _dashboard_context(request: HttpRequest, session: ClassSession) -> dict[str, Any]:
    join = request.build_absolute_uri(reverse("class-join-code", args=[session.code]))
    rows = panels.rows(session)
    return {
        "session": session,
        "scenario": session.scenario,
        "rows": rows,
        "unanswered": [r["name"] for r in rows if r["waiting"]],
        "tally": panels.tally(session),
        "teaching": panels.session_teaching(session),
        "join_link": join,
        "speeds": ClassSession.SPEEDS,
        "broadcast_link": reverse("run", args=[session.broadcast_run_id])
        if session.broadcast_run_id
        else "",
    }


@require_GET
def class_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    """The instructor's view of every student, live (htmx polls the rows)."""
    session = _instructor_session(request, code)
    if isinstance(session, HttpResponse):
        return session
    if request.GET.get("key") is not None:
        return HttpResponseRedirect(reverse("class-dashboard", args=[session.code]))
    return render(request, "teaching/dashboard.html", _dashboard_context(request, session))


@require_GET
def class_rows(request: HttpRequest, code: str) -> HttpResponse:
    """The dashboard's live part alone: students, tally, step."""
    session = _instructor_session(request, code)
    if isinstance(session, HttpResponse):
        return session
    ctx = _dashboard_context(request, session)
    return render(request, "teaching/dashboard.html#live", ctx)


def _student_runs(session: ClassSession) -> list[str]:
    return list(
        Attempt.objects.filter(participant__session=session).values_list("run_id", flat=True)
    )


@require_POST
def class_control(request: HttpRequest, code: str) -> HttpResponse:
    """Next step, pause or resume every run, broadcast the instructor's own run."""
    session = _instructor_session(request, code)
    if isinstance(session, HttpResponse):
        return session
    what = request.POST.get("action", "")
    if what in ("next", "next-mark") and session.next_step:
        session.step = session.next_step
        session.save(update_fields=["step"])
        if session.step == ClassSession.RUN:
            attempts = Attempt.objects.filter(participant__session=session)
            attempts.update(started=timezone.now())
            if what == "next-mark":
                marked = sum(a.waive() for a in attempts.select_related("run"))
                if marked:
                    messages.info(request, f"{marked} marked “no answer”.")
            held = control.set_speed(_student_runs(session), session.speed)
            ClassSession.objects.filter(pk=session.pk).update(paused=False)
            if held:
                messages.info(
                    request,
                    f"{len(held)} run{pluralize(len(held))} wait for their student's "
                    "prediction: each starts when its student answers.",
                )
        elif session.step == ClassSession.REVEAL:
            for attempt in Attempt.objects.filter(participant__session=session):
                attempt.judge()
    elif what in ("pause", "resume"):
        speed = SPEED_PAUSED if what == "pause" else session.speed
        control.set_speed(_student_runs(session), speed)
        ClassSession.objects.filter(pk=session.pk).update(paused=what == "pause")
    elif what == "speed" and request.POST.get("speed") in ClassSession.SPEEDS:
        speed = request.POST["speed"]
        ClassSession.objects.filter(pk=session.pk).update(speed=speed)
        if session.step != ClassSession.PREDICT and not session.paused:
            control.set_speed(_student_runs(session), speed)
            messages.info(request, f"Class speed {speed}: every playing run now goes at {speed}.")
        else:
            messages.info(request, f"Class speed {speed}: the runs play at it when you start them.")
    elif what == "broadcast":
        from lab.teaching.models import start_run

        if (refused := throttle.refuse_run_start(request)) is not None:
            return refused
        run, run_token = start_run(session.scenario, paused=False)
        access.remember_run(request, run.id, run_token)
        ClassSession.objects.filter(pk=session.pk).update(
            broadcast_run=run, broadcast_watch=tokens.watch_token(run_token)
        )
        return HttpResponseRedirect(reverse("run", args=[run.id]))
    elif what == "stop-broadcast":
        ClassSession.objects.filter(pk=session.pk).update(broadcast_run=None, broadcast_watch="")
    else:
        return HttpResponse("unknown action", status=400)
    return HttpResponseRedirect(reverse("class-dashboard", args=[session.code]))


@require_GET
def class_watch(request: HttpRequest, code: str, student: int) -> HttpResponse:
    """Open a student's run read-only (its watch link) from the dashboard."""
    session = _instructor_session(request, code)
    if isinstance(session, HttpResponse):
        return session
    attempt = get_object_or_404(Attempt, participant__session=session, participant__pk=student)
    page = reverse("run", args=[attempt.run_id])
    return HttpResponseRedirect(f"{page}?{urlencode({'key': attempt.watch_token})}")


@require_GET
def class_csv(request: HttpRequest, code: str) -> HttpResponse:
    """The class's results as CSV."""
    session = _instructor_session(request, code)
    if isinstance(session, HttpResponse):
        return session
    response = HttpResponse(panels.results_csv(session), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="class-{session.code}.csv"'
    return response
