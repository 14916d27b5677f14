"""What the teaching panels show: a student's panel on the run page, the class dashboard.

Plain data for the templates; every verdict comes from the Attempt (lab.teaching.judge),
every download state from a replay of the run (lab.live.host.rebuild_run).
"""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

from django.db.models import Count

from lab.engine.run import Player, Runtime
from lab.live import host, present
from lab.live.models import Run, RunAction
from lab.security import safe_csv_writer
from lab.teaching.models import Attempt, ClassSession
from lab.teaching.spec import describe_constraints

# Replays kept between dashboard polls: a run's state only moves forward, so the next
# poll plays on from where the last one stopped instead of replaying from zero. Keyed by
# run; valid while the run's epoch is unchanged. Actions logged since are played on too
# when none is earlier than the state kept (the log only grows at the run's clock); an
# earlier one means a replay. Derived, never stored.
_REPLAYS: dict[str, tuple[int, int, Player]] = {}  # run id -> (epoch, action count, player)
REPLAYS_KEPT = 1000


def _runtime_now(run: Run, actions: int) -> Runtime:
    until = host.clock_now(run)
    cached = _REPLAYS.get(run.id)
    if cached is not None and cached[0] == run.epoch:
        known = cached[1]
        player: Player | None = cached[2]
        if actions != known:
            new = log_since(run, len(player.actions))
            if any(t_us < player.rt.now for t_us, _ in new):
                player = None
            else:
                player.actions.extend(new)
                _REPLAYS[run.id] = (run.epoch, actions, player)
        if player is not None:
            # `until` is estimated from the run's last save at its speed: it can fall a
            # little behind an earlier estimate when the owner saves. Never go back.
            player.advance_to(max(until, player.rt.now))
            return player.rt
    player = Player(run.spec, run.seed, host.log_of(run))
    player.advance_to(until)
    if len(_REPLAYS) >= REPLAYS_KEPT and run.id not in _REPLAYS:
        _REPLAYS.pop(next(iter(_REPLAYS)))
    _REPLAYS[run.id] = (run.epoch, actions, player)
    return player.rt


def log_since(run: Run, known: int) -> list[tuple[int, dict[str, Any]]]:
    """The run's log in this epoch past its first `known` actions."""
    rows = RunAction.objects.filter(run=run, epoch=run.epoch).order_by("seq")[known:]
    return [(a.t_us, a.action) for a in rows]


def download_state(run: Run, actions: int | None = None) -> dict[str, Any]:
    """The first TCP download of a run now (state, label, %), by replay of its log."""
    if actions is None:
        actions = RunAction.objects.filter(run=run).count()
    rt = _runtime_now(run, actions)
    flows = [f for f, fr in rt.sim.flows.items() if fr.spec.proto == "tcp"] or list(rt.sim.flows)
    status = present.flow_status(rt, flows[0]) if flows else {"state": "idle", "label": "—"}
    return {
        "state": status["state"],
        "label": status["label"],
        "pct": status.get("pct", 0),
        "clock": present.clock(rt.now),
    }


def student_panel(
    attempt: Attempt, *, role: str, session: ClassSession | None = None
) -> dict[str, Any]:
    t = attempt.teaching
    run = Run.objects.get(pk=attempt.run_id)
    can_predict = attempt.can_predict()
    missed = t.has_question and attempt.choice is None and not can_predict
    locked_in = not t.has_question or attempt.choice is not None or missed
    in_class = session is not None
    may_check = locked_in and (not in_class or session.step != ClassSession.PREDICT)
    choices = [
        {
            "index": i,
            "text": c.text,
            "mine": attempt.choice == i,
            "held": attempt.held[i] if i < len(attempt.held) else None,
        }
        for i, c in enumerate(t.choices)
    ]
    return {
        "attempt": attempt,
        "run": run,
        "t": t,
        "role": role,
        "can_act": role == "control",
        "choices": choices,
        "can_predict": can_predict,
        "missed_prediction": missed,
        "waived": attempt.waived,
        "constraints": describe_constraints(t.constraints),
        "hints": attempt.hints,
        "hints_left": len(t.hints) - attempt.hints_shown,
        "next_hint": attempt.hints_shown + 1,
        "hints_total": len(t.hints),
        "may_check": may_check,
        "explanation": run.spec.get("explanation", ""),
        "class_session": session,
        "poll": in_class,
    }


def rows(session: ClassSession) -> list[dict[str, Any]]:
    """One row per student for the dashboard."""
    out = []
    attempts = Attempt.objects.filter(participant__session=session).select_related(
        "run", "participant"
    )
    counts = dict(
        RunAction.objects.filter(run__attempt__participant__session=session)
        .values_list("run")
        .annotate(n=Count("pk"))
    )
    for a in attempts.order_by("participant__joined", "participant__pk"):
        out.append(
            {
                "id": a.participant.pk,
                "name": a.participant.name,
                "download": download_state(a.run, counts.get(a.run_id, 0)),
                "speed": a.run.speed,
                "prediction": a.prediction,
                "waiting": a.can_predict(),  # the gate holds the run until they answer
                "waived": a.waived,
                "prediction_right": a.prediction_right,
                "passed": a.passed,
                "taken_s": a.taken_s,
                "hints": a.hints_shown,
                "reasons": a.reasons,
            }
        )
    return out


def tally(session: ClassSession) -> list[dict[str, Any]]:
    """How many students chose each answer (and how many have not answered)."""
    t = session_teaching(session)
    attempts = Attempt.objects.filter(participant__session=session)
    counts = Counter(a.choice for a in attempts)
    total = sum(counts.values()) or 1
    out = [
        {"text": c.text, "count": counts.get(i, 0), "pct": round(100 * counts.get(i, 0) / total)}
        for i, c in enumerate(t.choices)
    ]
    if t.has_question:
        none = counts.get(None, 0)
        out.append({"text": "no answer yet", "count": none, "pct": round(100 * none / total)})
    return out


def session_teaching(session: ClassSession) -> Any:
    from lab import specs
    from lab.teaching.spec import teaching_of

    return teaching_of(specs.scenario_to_dict(session.scenario))


CSV_FIELDS = (
    "student",
    "joined",
    "prediction",
    "prediction_happened",
    "challenge",
    "time_taken_s",
    "hints_used",
    "commands",
    "why",
    "run",
)


def results_csv(session: ClassSession) -> str:
    """The class's results, one row per student, for the trainer's records."""
    buf = io.StringIO()
    w = safe_csv_writer(buf)  # names like =HYPERLINK(...) stay text
    w.writerow(CSV_FIELDS)
    attempts = Attempt.objects.filter(participant__session=session).select_related("participant")
    for a in attempts.order_by("participant__joined", "participant__pk"):
        right = a.prediction_right
        w.writerow(
            [
                a.participant.name,
                a.participant.joined.isoformat(timespec="seconds"),
                a.prediction,
                "" if right is None else ("yes" if right else "no"),
                "" if a.passed is None else ("pass" if a.passed else "fail"),
                "" if a.taken_s is None else a.taken_s,
                a.hints_shown,
                " | ".join(a.commands),
                " | ".join(a.reasons),
                a.run_id,
            ]
        )
    return buf.getvalue()
