"""A live run is its scenario snapshot, its seed and its append-only action log.

Engine state is never stored: `replay.rebuild` derives it from these rows. The lease
fields say which process steps the run now (one owner across all processes).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models
from django.utils import timezone

from lab.live import tokens
from lab.scenarios.fields import OrderedJSONField

SPEEDS = {  # label -> simulated seconds per wall second; 0: paused; None: as fast as possible
    "paused": 0,
    "1x": 1,
    "2x": 2,
    "5x": 5,
    "10x": 10,
    "60x": 60,
    "600x": 600,
    "max": None,
}


def new_run_id() -> str:
    return secrets.token_urlsafe(8).replace("-", "x").replace("_", "y")


class Run(models.Model):
    id = models.CharField(primary_key=True, max_length=16, default=new_run_id, editable=False)
    scenario = models.ForeignKey(
        "scenarios.Scenario", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    title = models.CharField(max_length=300)
    spec = OrderedJSONField(help_text="the scenario as the engine reads it, frozen at start")
    seed = models.BigIntegerField()
    speed = models.CharField(max_length=8, default="1x", choices=[(s, s) for s in SPEEDS])
    created = models.DateTimeField(default=timezone.now, db_index=True)
    control_digest = models.CharField(max_length=64, editable=False)
    watch_digest = models.CharField(max_length=64, editable=False)
    # Where the clock stood when last saved: a new owner continues from here, and while
    # `clock_running` it adds the wall time since, so watchers never see time go back.
    epoch = models.PositiveIntegerField(default=0, help_text="bumped by each reset")
    sim_t_us = models.BigIntegerField(default=0)
    saved_at = models.DateTimeField(default=timezone.now)
    clock_running = models.BooleanField(default=False)
    lease_owner = models.CharField(max_length=100, blank=True, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.title} ({self.id})"

    @classmethod
    def start(
        cls, *, title: str, spec: dict[str, Any], seed: int, scenario: Any = None
    ) -> tuple[Run, str]:
        """A new run and its control token (shown once; only digests are stored)."""
        control = tokens.new_control_token()
        run = cls.objects.create(
            scenario=scenario,
            title=title,
            spec=spec,
            seed=seed,
            control_digest=tokens.digest(control),
            watch_digest=tokens.digest(tokens.watch_token(control)),
        )
        return run, control

    def role_of(self, token: str | None) -> str | None:
        """tokens.CONTROL, tokens.WATCH, or None when the token opens nothing."""
        return tokens.role_of(
            token, control_digest=self.control_digest, watch_digest=self.watch_digest
        )

    @property
    def speed_factor(self) -> float | None:
        return SPEEDS[self.speed]


class RunAction(models.Model):
    """One thing a user did to a run, written before it is applied."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="actions")
    seq = models.PositiveIntegerField()
    epoch = models.PositiveIntegerField(default=0)
    t_us = models.BigIntegerField(help_text="simulated time it applies at")
    wall = models.DateTimeField(default=timezone.now)
    action = models.JSONField()

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="one_action_per_seq")]

    def __str__(self) -> str:
        return f"{self.run_id} #{self.seq} @{self.t_us}us {self.action.get('do')}"
