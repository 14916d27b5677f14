"""Teaching: a student's attempt at a run (prediction, hints, verdict) and class sessions.

An Attempt belongs to one Run; the question, goal and constraints come from the run's
frozen spec (its `teaching` block), so editing the scenario later never changes what a
student was asked. The verdict is computed by `lab.teaching.judge` from the run's spec,
seed and action log: never stored engine state, never the config's text.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from lab.live import host, tokens
from lab.live.models import Run, RunAction
from lab.teaching import judge
from lab.teaching.spec import Teaching, teaching_of

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud to a class
CODE_LENGTH = 10  # 50 bits: with the join limits, not found by trying codes
NAME_MAX = 40


def new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not ClassSession.objects.filter(code=code).exists():
            return code


def _matches(token: str | None, digest: str) -> bool:
    if not token or len(token) > 128 or not digest:
        return False
    return hmac.compare_digest(tokens.digest(token), digest)


class ClassSession(models.Model):
    """An instructor's class on one scenario: a join code, its students, the class step."""

    PREDICT, RUN, REVEAL = "predict", "run", "reveal"
    STEPS = [(PREDICT, "Predict"), (RUN, "Run"), (REVEAL, "Reveal")]
    SPEEDS = ("10x", "60x", "600x")

    code = models.CharField(max_length=16, unique=True)
    scenario = models.ForeignKey(
        "scenarios.Scenario", on_delete=models.CASCADE, related_name="class_sessions"
    )
    instructor_digest = models.CharField(max_length=64, editable=False)
    step = models.CharField(max_length=8, choices=STEPS, default=PREDICT)
    speed = models.CharField(max_length=8, default="60x", help_text="the class plays at")
    paused = models.BooleanField(default=False)
    broadcast_run = models.ForeignKey(
        Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    broadcast_watch = models.CharField(max_length=64, blank=True, editable=False)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"class {self.code} ({self.scenario_id})"

    @classmethod
    def open(cls, scenario: Any) -> tuple[ClassSession, str]:
        """A new class on `scenario` and the instructor's token (only its digest is kept)."""
        token = secrets.token_urlsafe(32)
        session = cls.objects.create(
            code=new_code(), scenario=scenario, instructor_digest=tokens.digest(token)
        )
        return session, token

    def is_instructor(self, token: str | None) -> bool:
        return _matches(token, self.instructor_digest)

    @property
    def next_step(self) -> str | None:
        order = [s for s, _ in self.STEPS]
        i = order.index(self.step)
        return order[i + 1] if i + 1 < len(order) else None

    def join(self, name: str) -> tuple[Participant, str, str]:
        """A new student with their own run: (participant, their token, run control token)."""
        token = secrets.token_urlsafe(32)
        with transaction.atomic():
            run, control = start_run(self.scenario, paused=self.step == self.PREDICT)
            participant = Participant.objects.create(
                session=self, name=name[:NAME_MAX], token_digest=tokens.digest(token)
            )
            Attempt.objects.create(
                run=run, participant=participant, watch_token=tokens.watch_token(control)
            )
        return participant, token, control


class Participant(models.Model):
    """A student in a class: a display name, no account; their token lives in their session."""

    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="students")
    name = models.CharField(max_length=NAME_MAX)
    token_digest = models.CharField(max_length=64, editable=False)
    joined = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["joined", "pk"]

    def __str__(self) -> str:
        return self.name

    def is_holder(self, token: str | None) -> bool:
        return _matches(token, self.token_digest)


def start_run(scenario: Any, *, paused: bool) -> tuple[Run, str]:
    """A run of a scenario for a student; paused: it waits for the prediction."""
    from lab import specs
    from lab.scenarios.secrets import masked

    spec = specs.scenario_to_dict(scenario)
    if not scenario.is_builtin:
        spec = masked(spec)  # students never hold the owner's keys
    run, control = Run.start(title=scenario.title, spec=spec, seed=scenario.seed, scenario=scenario)
    if paused:
        Run.objects.filter(pk=run.pk).update(speed="paused")
        run.speed = "paused"
    return run, control


class Attempt(models.Model):
    """One go at a scenario's question and challenge, on one run."""

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="attempt")
    participant = models.OneToOneField(
        Participant, null=True, blank=True, on_delete=models.CASCADE, related_name="attempt"
    )
    watch_token = models.CharField(
        max_length=64, blank=True, editable=False, help_text="read-only link for the instructor"
    )
    started = models.DateTimeField(default=timezone.now)
    choice = models.PositiveSmallIntegerField(null=True, blank=True)
    predicted_at = models.DateTimeField(null=True, blank=True)
    hints_shown = models.PositiveSmallIntegerField(default=0)
    judged_at = models.DateTimeField(null=True, blank=True)
    held = models.JSONField(default=list, blank=True, help_text="per choice: did it happen")
    passed = models.BooleanField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    commands = models.JSONField(default=list, blank=True)
    taken_s = models.FloatField(null=True, blank=True)

    def __str__(self) -> str:
        return f"attempt on {self.run_id}"

    @property
    def teaching(self) -> Teaching:
        return teaching_of(self.run.spec)

    # -- prediction ----------------------------------------------------------------------
    def can_predict(self) -> bool:
        """Only before the run has played at all (no time passed, never reset)."""
        return self.awaits_answer(Run.objects.get(pk=self.run_id), self.teaching.has_question)

    def awaits_answer(self, run: Run, has_question: bool) -> bool:
        """can_predict() from what the caller already holds (the class dashboard's rows)."""
        return (
            self.choice is None
            and self.predicted_at is None  # set without a choice: marked "no answer"
            and has_question
            and run.epoch == 0
            and host.clock_now(run) == 0
        )

    def predict(self, choice: int) -> bool:
        """Lock in a choice; False (nothing saved) when too late or not a choice."""
        if not 0 <= choice < len(self.teaching.choices) or not self.can_predict():
            return False
        n = Attempt.objects.filter(pk=self.pk, choice__isnull=True).update(
            choice=choice, predicted_at=timezone.now()
        )
        self.refresh_from_db()
        return n == 1

    def waive(self) -> bool:
        """The instructor marks the question "no answer" so the run may play; False:
        the student had answered (or could no longer) meanwhile."""
        if not self.can_predict():
            return False
        n = Attempt.objects.filter(pk=self.pk, choice__isnull=True, predicted_at__isnull=True)
        done = n.update(predicted_at=timezone.now()) == 1
        self.refresh_from_db()
        return done

    @property
    def waived(self) -> bool:
        return self.choice is None and self.predicted_at is not None

    @property
    def prediction(self) -> str:
        choices = self.teaching.choices
        return choices[self.choice].text if self.choice is not None else ""

    @property
    def prediction_right(self) -> bool | None:
        """Whether what the student predicted happened on their run; None: not yet known."""
        if self.choice is None or not self.held or self.choice >= len(self.held):
            return None
        return bool(self.held[self.choice])

    # -- hints ---------------------------------------------------------------------------
    def show_hint(self) -> None:
        """Unlock the next hint (one at a time, never past the last)."""
        if self.hints_shown < len(self.teaching.hints):
            Attempt.objects.filter(pk=self.pk, hints_shown=self.hints_shown).update(
                hints_shown=models.F("hints_shown") + 1
            )
            self.refresh_from_db()

    @property
    def hints(self) -> list[str]:
        return list(self.teaching.hints[: self.hints_shown])

    # -- the verdict ---------------------------------------------------------------------
    def log(self) -> list[judge.Entry]:
        run = self.run
        rows = RunAction.objects.filter(run=run, epoch=run.epoch).order_by("seq")
        return [
            judge.Entry(a.t_us, (a.wall - self.started).total_seconds(), a.action) for a in rows
        ]

    def judge(self, *, now: Any = None) -> None:
        """Judge the run as it stands, played on to the scenario's end; saves the verdict.

        A challenge once passed stays passed (a later, worse try does not undo it).
        """
        now = now or timezone.now()
        self.run.refresh_from_db()
        taken = max((now - self.started).total_seconds(), 0.0)
        verdict, held = judge.judge(
            self.teaching, self.run.spec, self.run.seed, self.log(), taken_s=taken
        )
        self.held = held
        self.judged_at = now
        if verdict is not None and not self.passed:
            self.passed = verdict.passed
            self.reasons = verdict.reasons
            self.taken_s = round(taken, 1)
            self.commands = [c.describe() for c in verdict.commands]
        self.save()

    @property
    def judged(self) -> bool:
        return self.judged_at is not None
