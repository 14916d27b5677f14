"""The scenario editor: its forms, and submitting one of them against a stored scenario.

One page holds several forms told apart by the POST key `action`. Submitting a form
applies it to the scenario dict, validates the whole result with the engine and saves it
atomically (`lab.specs.update_scenario`); on any error nothing is saved and the error is
put next to its field. The two row editors (outages, timed commands) also take the POST
key `add_row`: the same rows, unsaved edits kept, plus one empty row; nothing is saved.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from lab import specs
from lab.engine.errors import SpecError
from lab.scenarios.forms import (
    ConfigsForm,
    EventFormSet,
    EventsForm,
    OutageFormSet,
    SettingsForm,
    live,
)
from lab.scenarios.models import Scenario
from lab.scenarios.outages import outside_interfaces
from lab.teaching.forms import TeachingForm

ACTIONS = ("settings", "outages", "configs", "timeline", "events", "teaching")
EVENT_SECTIONS = ("outages", "timeline", "events")  # they all show the one event script
ROW_EDITORS = {"outages": "outage", "timeline": "event"}  # action -> formset prefix


def with_new_row(data: QueryDict, action: str) -> QueryDict:
    """The posted rows of a row editor and one more, empty (the "Add a row" button)."""
    prefix = ROW_EDITORS[action]
    out = data.copy()
    try:
        total = int(data.get(f"{prefix}-TOTAL_FORMS", "0"))
    except ValueError:
        total = 0
    out[f"{prefix}-TOTAL_FORMS"] = str(max(total, 0) + 1)
    return out


def build(
    d: dict[str, Any], *, action: str | None = None, data: QueryDict | None = None, url: str = ""
) -> dict[str, Any]:
    """Every editor form for scenario dict `d`; the one named `action` bound to `data`."""
    built: dict[str, Any] = {
        "settings": SettingsForm(d, data if action == "settings" else None),
        "configs": ConfigsForm(d, data if action == "configs" else None),
        "events": EventsForm(d, data if action == "events" else None),
        "teaching": TeachingForm(d, data if action == "teaching" else None),
        "outages": OutageFormSet(
            data if action == "outages" else None, scenario=d, prefix="outage"
        ),
        "timeline": EventFormSet(
            data if action == "timeline" else None, scenario=d, prefix="event"
        ),
    }
    if url:
        for name, form in built.items():
            for each in form.forms if name in ROW_EDITORS else [form]:
                live(each, url)
    return built


def _apply(form: Any, d: dict[str, Any]) -> dict[str, Any]:
    if isinstance(form, forms.BaseFormSet):
        return form.apply(d, outside_interfaces(d["topology"]))  # type: ignore[no-any-return]
    new: dict[str, Any] = form.apply(d)
    return new


def submit(scenario: Scenario, d: dict[str, Any], form: Any) -> bool:
    """Apply a bound editor form and save the scenario; False (nothing saved) on errors."""
    if not form.is_valid():
        return False
    new = _apply(form, d)
    try:
        specs.update_scenario(scenario, new)
    except SpecError as exc:
        form.add_spec_error(exc, new)
        return False
    return True


def check(d: dict[str, Any], form: Any) -> None:
    """Validate a bound editor form and the scenario it would make, saving nothing."""
    if form.is_valid():
        new = _apply(form, d)
        try:
            specs.validate(new)
        except SpecError as exc:
            form.add_spec_error(exc, new)


def bound_field(form: Any, html_name: str) -> forms.BoundField | None:
    """The bound field of a form (or of one form of a formset) by its HTML name."""
    for each in form.forms if isinstance(form, forms.BaseFormSet) else [form]:
        for bound in each:
            if bound.html_name == html_name:
                return bound  # type: ignore[no-any-return]
    return None
