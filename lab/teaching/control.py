"""What an instructor does to the students' runs: set their speed (play, pause) at once.

A speed change is an ordinary run action. When some process owns the run (someone has it
open) the action goes to that owner through the channel layer, like a browser's; it logs
and applies it. When nobody owns it, nothing is stepping the run, so the action is logged
here and the run row updated the way the owner would save it; the next owner replays it.
"""

from __future__ import annotations

from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from lab.live import host
from lab.live.models import SPEEDS, Run, RunAction
from lab.teaching import gate


def set_speed(run_ids: list[str], speed: str) -> list[str]:
    """Ask every run in `run_ids` to go at `speed` (a key of SPEEDS); the runs the
    prediction gate holds back (lab.teaching.gate) are left alone and returned."""
    if speed not in SPEEDS:
        raise ValueError(f"unknown speed {speed!r}")
    layer = get_channel_layer()
    action = {"do": "speed", "speed": speed}
    held = []
    for run_id in run_ids:
        if gate.refusal(run_id, action):
            held.append(run_id)
            continue
        if _set_unowned(run_id, action):
            continue
        async_to_sync(layer.group_send)(
            host.owner_group(run_id), {"type": "run.action", "action": action}
        )
    return held


def _set_unowned(run_id: str, action: dict[str, str]) -> bool:
    """Log and apply the speed here if no process owns the run; False if one does."""
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now - timedelta(seconds=1))
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).filter(free).first()
        if run is None:
            return False
        t_us = host.clock_now(run)
        seq = (RunAction.objects.filter(run=run).aggregate(m=Max("seq"))["m"] or 0) + 1
        RunAction.objects.create(run=run, seq=seq, epoch=run.epoch, t_us=t_us, action=action)
        Run.objects.filter(pk=run_id).update(
            speed=action["speed"],
            sim_t_us=t_us,
            saved_at=now,
            clock_running=action["speed"] != "paused",
        )
    return True
