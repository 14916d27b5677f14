"""The scenario editor's teaching section: the question, its choices, the challenge, hints.

Answers and goals are expected outcomes in the vocabulary of lab.engine.outcome (JSON);
the whole block is validated by `lab.teaching.spec.parse_teaching` when the scenario is
saved (through `lab.specs.validate`), and its errors land next to the field they name.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from django import forms

from lab.engine.errors import SpecError
from lab.engine.spec import check_json

_JSON = {"rows": 6, "spellcheck": "false"}
_FIELD_OF_PATH = (  # error path prefix -> field
    ("title", "title"),
    ("instructions", "instructions"),
    ("explanation", "explanation"),
    ("expect", "expect"),
    ("teaching.question", "question"),
    ("teaching.choices", "choices"),
    ("teaching.goal.text", "goal_text"),
    ("teaching.goal", "goal_expect"),
    ("teaching.constraints", "constraints"),
    ("teaching.hints", "hints"),
)


def _json_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        help_text=help_text,
        widget=forms.Textarea(attrs=_JSON),
    )


class TeachingForm(forms.Form):
    """The story (title, instructions, explanation, expected outcome) and the teaching."""

    action = "teaching"
    title = forms.CharField(
        label="Title (ask the question: the answer comes with the reveal)",
        max_length=300,
        required=False,  # left empty: the title stays as it is
    )
    instructions = forms.CharField(
        label="Instructions (what to do and where to look)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    explanation = forms.CharField(
        label="Explanation (shown at the end: what happened, and why)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    expect = _json_field(
        "Expected outcome (JSON)",
        'flows, syslog_has, syslog_lacks, cli_errors, e.g. {"flows": {"download": '
        '{"state": "running", "resumed": true}}}',
    )
    question = forms.CharField(label="Question to predict", required=False, max_length=2000)
    choices = _json_field(
        "Choices (JSON list)",
        'Each {"text": "...", "expect": {...}}: the outcome that makes this answer true, '
        'e.g. {"flows": {"download": {"resumed": true}}}.',
    )
    goal_text = forms.CharField(label="Challenge goal, in words", required=False, max_length=2000)
    goal_expect = _json_field(
        "Challenge goal (expected outcome, JSON)",
        "flows, syslog_has, syslog_lacks, cli_errors: as the scenario's expected outcome.",
    )
    constraints = _json_field(
        "Constraints (JSON)",
        'e.g. {"max_commands": 2, "forbid": ["crypto isakmp policy * lifetime"], '
        '"only": ["sysopt"], "controls": ["restart_flow"], "act_by_s": 110, '
        '"time_limit_s": 600}',
    )
    hints = forms.CharField(
        label="Hints, one per line (they unlock one by one)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, d: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        t = d.get("teaching") or {}
        goal = t.get("goal") or {}
        for name in ("title", "instructions", "explanation"):
            self.fields[name].initial = d.get(name, "")
        self.fields["expect"].initial = json.dumps(d["expect"], indent=2) if d.get("expect") else ""
        self.fields["question"].initial = t.get("question", "")
        self.fields["choices"].initial = (
            json.dumps(t["choices"], indent=2) if t.get("choices") else ""
        )
        self.fields["goal_text"].initial = goal.get("text", "")
        self.fields["goal_expect"].initial = (
            json.dumps(goal["expect"], indent=2) if goal.get("expect") else ""
        )
        self.fields["constraints"].initial = (
            json.dumps(t["constraints"], indent=2) if t.get("constraints") else ""
        )
        self.fields["hints"].initial = "\n".join(t.get("hints", []))

    def _json(self, name: str) -> Any:
        text = self.cleaned_data.get(name, "")
        if not text.strip():
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            ) from None
        except (ValueError, RecursionError):  # a number of 5,000 digits, or nested too deep
            raise forms.ValidationError("not valid JSON: nested too deeply or too long") from None
        try:
            check_json(value)
        except SpecError as exc:
            raise forms.ValidationError(f"{exc.message} (at {exc.path or 'the top'})") from None
        return value

    def clean_expect(self) -> Any:
        return self._json("expect")

    def clean_choices(self) -> Any:
        return self._json("choices")

    def clean_goal_expect(self) -> Any:
        return self._json("goal_expect")

    def clean_constraints(self) -> Any:
        return self._json("constraints")

    def apply(self, d: dict[str, Any]) -> dict[str, Any]:
        c = self.cleaned_data
        t: dict[str, Any] = {}
        if c["question"].strip() or c["choices"]:
            t["question"] = c["question"].strip()
            t["choices"] = c["choices"] or []
        if c["goal_text"].strip() or c["goal_expect"]:
            t["goal"] = {"text": c["goal_text"].strip(), "expect": c["goal_expect"]}
        if c["constraints"]:
            t["constraints"] = c["constraints"]
        hints = [h.strip() for h in c["hints"].splitlines() if h.strip()]
        if hints:
            t["hints"] = hints
        out = copy.deepcopy(d)
        if "title" in self.data:  # a form without the story fields leaves the story alone
            out["title"] = c["title"].strip() or d.get("title", "")
            out["instructions"] = c["instructions"].strip()
            out["explanation"] = c["explanation"].strip()
            out["expect"] = c["expect"] or {}
        out.pop("teaching", None)
        if t:
            out["teaching"] = t
        return out

    def add_spec_error(self, error: SpecError, d: dict[str, Any]) -> None:
        for prefix, name in _FIELD_OF_PATH:
            if error.path.startswith(prefix):
                self.add_error(name, str(error))
                return
        self.add_error(None, str(error))
