"""What the teaching panels show: a student's panel on the run page, the class dashboard.

Plain data for the templates; every verdict comes from the Attempt (lab.teaching.judge),
every download state from what the run's owner published (lab.live.host.summary), or a
bounded replay of its log when no owner steps it.
"""

from __future__ import annotations

import io
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from lab.engine.run import Player, Runtime
from lab.engine.units import S
from lab.live import host, present
from lab.live.models import SPEEDS, Run, RunAction
from lab.security import safe_csv_writer
from lab.teaching.models import Attempt, ClassSession
from lab.teaching.spec import describe_constraints

# Replays kept between dashboard polls, for the runs no host publishes a summary of (a
# class run whose student closed the tab still plays): a run's state only moves forward,
# so the next poll plays on from where the last one stopped instead of replaying from
# zero. Keyed by run; valid while the run's epoch is unchanged. Actions logged since are
# played on too when none is earlier than the state kept (the log only grows at the run's
# clock); an earlier one means a replay. Derived, never stored.
_REPLAYS: dict[str, tuple[int, int, Player]] = {}  # run id -> (epoch, action count, player)
REPLAYS_KEPT = 1000
# Engine events one dashboard answer may replay, all rows together (~0.1 ms each): a run
# not caught up yet shows where its replay got to and goes on at the next poll.
ANSWER_EVENTS = 2_000
FRESH_S = 5 * host.SUMMARY_S  # an owner's summary older than this: the owner is gone


@dataclass
class Budget:
    """Engine events one dashboard answer may still replay; the runs it left behind."""

    events: int = ANSWER_EVENTS
    behind: set[str] = field(default_factory=set)


def _runtime_now(run: Run, actions: int, budget: Budget | None = None) -> Runtime:
    """The run replayed towards now within the budget's events (spent from it); a run
    not there yet is added to `budget.behind`."""
    budget = budget or Budget()
    until = host.clock_now(run)
    cached = _REPLAYS.get(run.id)
    player: Player | None = None
    if cached is not None and cached[0] == run.epoch:
        known = cached[1]
        player = cached[2]
        if actions != known:
            new = log_since(run, len(player.actions))
            if any(t_us < player.rt.now for t_us, _ in new):
                player = None
            else:
                player.actions.extend(new)
                _REPLAYS[run.id] = (run.epoch, actions, player)
    if player is None:
        player = Player(run.spec, run.seed, host.log_of(run))
        if len(_REPLAYS) >= REPLAYS_KEPT and run.id not in _REPLAYS:
            _REPLAYS.pop(next(iter(_REPLAYS)))
        _REPLAYS[run.id] = (run.epoch, actions, player)
    # `until` is estimated from the run's last save at its speed: it can fall a little
    # behind an earlier estimate when the owner saves. Never go back.
    before = player.rt.events
    if not player.advance_to(max(until, player.rt.now), max(budget.events, 0)):
        budget.behind.add(run.id)
    budget.events -= player.rt.events - before
    return player.rt


def log_since(run: Run, known: int) -> list[tuple[int, dict[str, Any]]]:
    """The run's log in this epoch past its first `known` actions."""
    rows = RunAction.objects.filter(run=run, epoch=run.epoch).order_by("seq")[known:]
    return [(a.t_us, a.action) for a in rows]


def _from_summary(run: Run, known: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The download state from what the run's owner published (newest first), if one of
    them still holds."""
    for s in known:
        if (state := _one_summary(run, s)) is not None:
            return state
    return None


def _one_summary(run: Run, s: Any) -> dict[str, Any] | None:
    if not isinstance(s, dict) or s.get("epoch") != run.epoch:
        return None
    if s["stopped"]:  # let go: true while nothing moved the run since
        if run.clock_running or s["t_us"] != run.sim_t_us:
            return None
        t_us = s["t_us"]
    else:
        age = time.time() - s["wall"]
        if age > FRESH_S:
            return None
        factor = SPEEDS.get(s["speed"])
        # Between two summaries the clock moves at the run's speed (a run short of its
        # budget moves slower: shown as published).
        t_us = s["t_us"] + (int(max(age, 0) * factor * S) if factor and not s["lagging"] else 0)
    return {**s["download"], "clock": present.clock(t_us)}


def download_state(
    run: Run,
    actions: int | None = None,
    summaries: list[dict[str, Any]] | None = None,
    budget: Budget | None = None,
) -> dict[str, Any]:
    """The first TCP download of a run now (state, label, %): from its owner's summary
    (see host.summary), else by a replay of its log within `budget` engine events."""
    if summaries is None:
        summaries = host.summaries_of([run.id]).get(run.id, [])
    if (state := _from_summary(run, summaries)) is not None:
        return state
    if actions is None:
        actions = RunAction.objects.filter(run=run).count()
    budget = budget or Budget()
    rt = _runtime_now(run, actions, budget)
    flow = host.first_download(rt)
    status = present.flow_status(rt, flow) if flow else {"state": "idle", "label": "—"}
    label = status["label"]
    if run.id in budget.behind:
        label += " (replay catching up)"
    return {
        "state": status["state"],
        "label": label,
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
    """One row per student for the dashboard: what each run's owner published, a bounded
    replay for the others (see download_state)."""
    out = []
    attempts = (
        Attempt.objects.filter(participant__session=session)
        .select_related("run", "participant")
        .defer("run__spec")  # the frozen scenario: only a replay needs it (loaded then)
    )
    counts = dict(
        RunAction.objects.filter(run__attempt__participant__session=session)
        .values_list("run")
        .annotate(n=Count("pk"))
    )
    attempts_list = list(attempts.order_by("participant__joined", "participant__pk"))
    summaries = host.summaries_of([a.run_id for a in attempts_list])
    teaching = session_teaching(session) if attempts_list else None
    choices = teaching.choices if teaching else []
    question = bool(teaching and teaching.has_question)
    budget = Budget()
    for a in attempts_list:
        known = summaries.get(a.run_id, [])
        out.append(
            {
                "id": a.participant.pk,
                "name": a.participant.name,
                "download": download_state(a.run, counts.get(a.run_id, 0), known, budget),
                "speed": a.run.speed,
                # The class's question (one parse per answer, not one per student).
                "prediction": choices[a.choice].text
                if a.choice is not None and a.choice < len(choices)
                else "",
                "waiting": a.awaits_answer(a.run, question),  # the gate holds the run
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
    choices = Attempt.objects.filter(participant__session=session).values_list("choice", flat=True)
    counts = Counter(choices)
    total = sum(counts.values()) or 1
    out = [
        {"text": c.text, "count": counts.get(i, 0), "pct": round(100 * counts.get(i, 0) / total)}
        for i, c in enumerate(t.choices)
    ]
    if t.has_question:
        none = counts.get(None, 0)
        out.append({"text": "no answer yet", "count": none, "pct": round(100 * none / total)})
    return out


_TEACHINGS: dict[int, tuple[Any, Any]] = {}  # scenario pk -> (its `updated`, its teaching)


def session_teaching(session: ClassSession) -> Any:
    """The class's question and challenge, parsed once per version of its scenario (a
    dashboard answer needs it three times; building the scenario's dict is ~6 ms)."""
    from lab import specs
    from lab.teaching.spec import teaching_of

    scenario = session.scenario
    known = _TEACHINGS.get(scenario.pk)
    if known is not None and known[0] == scenario.updated:
        return known[1]
    teaching = teaching_of(specs.scenario_to_dict(scenario))
    _TEACHINGS[scenario.pk] = (scenario.updated, teaching)
    return teaching


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
