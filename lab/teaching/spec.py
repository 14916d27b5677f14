"""The `teaching` block of a scenario file: a question to predict, a challenge, hints.

Pure (no Django): `parse_teaching` validates the block the way `parse_scenario` validates
the rest of the file, raising SpecError with a path under `teaching.`. Both the answer to
a question and a challenge's goal are stated in the expected-outcome vocabulary of
`lab.engine.outcome` (`flows`, `syslog_has`, `syslog_lacks`, `cli_errors`), so the engine
is the one judge of what happened.

```
"teaching": {
  "question": "Will the download resume?",
  "choices": [{"text": "Yes", "expect": {...}}, {"text": "No", "expect": {...}}],
  "goal": {"text": "Make the download survive the outage", "expect": {...}},
  "constraints": {"max_commands": 2, "forbid": ["crypto isakmp policy * lifetime"],
                  "only": ["sysopt"], "controls": ["restart_flow"],
                  "act_by_s": 110, "time_limit_s": 600},
  "hints": ["first hint", "second hint"]
}
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lab.engine.errors import SpecError
from lab.engine.outcome import EXPECT_KEYS
from lab.engine.spec import MAX_INT

# Lab controls a challenge may allow (`constraints.controls`); clock controls (speed, step,
# reset) are always allowed and never counted.
CONTROLS = ("cut", "restore", "restart_flow", "start_flow")
CONSTRAINT_KEYS = ("max_commands", "forbid", "only", "controls", "act_by_s", "time_limit_s")
TEXT_MAX = 2000
CHOICES_MAX = 8
HINTS_MAX = 10


@dataclass(frozen=True)
class Choice:
    text: str
    expect: dict[str, Any]


@dataclass(frozen=True)
class Constraints:
    max_commands: int | None = None
    forbid: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    controls: tuple[str, ...] | None = None  # None: every lab control is allowed
    act_by_s: float | None = None
    time_limit_s: float | None = None

    @property
    def empty(self) -> bool:
        return self == Constraints()


@dataclass(frozen=True)
class Teaching:
    question: str = ""
    choices: tuple[Choice, ...] = ()
    goal_text: str = ""
    goal: dict[str, Any] | None = None  # None: no challenge
    constraints: Constraints = field(default_factory=Constraints)
    hints: tuple[str, ...] = ()

    @property
    def has_question(self) -> bool:
        return bool(self.question and self.choices)

    @property
    def is_challenge(self) -> bool:
        return self.goal is not None


def describe_constraints(c: Constraints) -> list[str]:
    """The constraints of a challenge, one plain sentence each."""
    out = []
    if c.only:
        out.append("Only these commands may change anything: " + ", ".join(c.only) + ".")
    if c.forbid:
        out.append("Off limits: " + ", ".join(c.forbid) + ".")
    if c.max_commands is not None:
        out.append(f"At most {c.max_commands} device command(s), typed or clicked.")
    if c.controls is not None:
        names = ", ".join(n.replace("_", " ") for n in c.controls)
        out.append(
            f"Lab controls allowed: {names}."
            if names
            else "No lab controls (cut, restore, restart)."
        )
    if c.act_by_s is not None:
        s = int(c.act_by_s)
        out.append(f"Everything done by {s // 60}:{s % 60:02d} simulated time.")
    if c.time_limit_s is not None:
        out.append(f"Time limit: {round(c.time_limit_s)} s from the start.")
    return out


def _text(v: Any, path: str, *, required: bool = False) -> str:
    if v is None:
        v = ""
    if not isinstance(v, str) or len(v) > TEXT_MAX:
        raise SpecError(path, f"must be text of at most {TEXT_MAX} characters")
    if required and not v.strip():
        raise SpecError(path, "is required")
    return v.strip()


def check_expect(v: Any, path: str, flows: set[str], devices: set[str]) -> dict[str, Any]:
    """An outcome in `lab.engine.outcome`'s vocabulary, naming flows and devices that exist."""
    if not isinstance(v, dict) or not v:
        raise SpecError(path, "must be a non-empty expected outcome (flows, syslog_has, ...)")
    for key, value in v.items():
        if key not in EXPECT_KEYS:
            raise SpecError(f"{path}.{key}", f"unknown; known: {', '.join(EXPECT_KEYS)}")
        if not isinstance(value, dict):
            raise SpecError(f"{path}.{key}", "must be an object")
        names = flows if key == "flows" else devices
        for name, want in value.items():
            if name not in names:
                raise SpecError(f"{path}.{key}.{name}", f"no such {key[:4].rstrip('s')}")
            if key == "flows" and not isinstance(want, dict):
                raise SpecError(f"{path}.{key}.{name}", "must be an object")
            if key in ("syslog_has", "syslog_lacks") and not (
                isinstance(want, list) and all(isinstance(t, str) and t for t in want)
            ):
                raise SpecError(f"{path}.{key}.{name}", "must be a list of texts")
            if key == "cli_errors" and (not isinstance(want, int) or want < 0):
                raise SpecError(f"{path}.{key}.{name}", "must be a whole number")
    return v


def _number(v: Any, path: str, *, whole: bool = False) -> Any:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= MAX_INT:
        raise SpecError(path, f"must be a number from 0 to {MAX_INT}")
    if whole and not float(v).is_integer():
        raise SpecError(path, "must be a whole number")
    return int(v) if whole else v


def _words(v: Any, path: str) -> tuple[str, ...]:
    if v is None:
        return ()
    if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
        raise SpecError(path, "must be a list of command patterns")
    return tuple(" ".join(x.split()) for x in v)


def parse_constraints(v: Any, path: str = "teaching.constraints") -> Constraints:
    if v is None:
        return Constraints()
    if not isinstance(v, dict):
        raise SpecError(path, "must be an object")
    for key in v:
        if key not in CONSTRAINT_KEYS:
            raise SpecError(f"{path}.{key}", f"unknown; known: {', '.join(CONSTRAINT_KEYS)}")
    controls = v.get("controls")
    if controls is not None:
        if not isinstance(controls, list) or any(c not in CONTROLS for c in controls):
            raise SpecError(f"{path}.controls", f"must list some of {', '.join(CONTROLS)}")
        controls = tuple(controls)
    return Constraints(
        max_commands=_number(v.get("max_commands"), f"{path}.max_commands", whole=True),
        forbid=_words(v.get("forbid"), f"{path}.forbid"),
        only=_words(v.get("only"), f"{path}.only"),
        controls=controls,
        act_by_s=_number(v.get("act_by_s"), f"{path}.act_by_s"),
        time_limit_s=_number(v.get("time_limit_s"), f"{path}.time_limit_s"),
    )


def parse_teaching(d: Any, scenario: dict[str, Any]) -> Teaching:
    """Validate a `teaching` block against its scenario (flow and device names)."""
    if d is None or d == {}:
        return Teaching()
    if not isinstance(d, dict):
        raise SpecError("teaching", "must be an object")
    known = ("question", "choices", "goal", "constraints", "hints")
    for key in d:
        if key not in known:
            raise SpecError(f"teaching.{key}", f"unknown; known: {', '.join(known)}")
    flows = {f.get("id") for f in scenario.get("flows", []) if isinstance(f, dict)}
    devices = {
        n.get("id") for n in scenario.get("topology", {}).get("nodes", []) if isinstance(n, dict)
    }
    question = _text(d.get("question"), "teaching.question")
    raw_choices = d.get("choices") or []
    if not isinstance(raw_choices, list) or len(raw_choices) > CHOICES_MAX:
        raise SpecError("teaching.choices", f"must be a list of at most {CHOICES_MAX} choices")
    choices = []
    for i, c in enumerate(raw_choices):
        where = f"teaching.choices[{i}]"
        if not isinstance(c, dict):
            raise SpecError(where, "must be an object with text and expect")
        choices.append(
            Choice(
                text=_text(c.get("text"), f"{where}.text", required=True),
                expect=check_expect(c.get("expect"), f"{where}.expect", flows, devices),
            )
        )
    if question and len(choices) < 2:
        raise SpecError("teaching.choices", "a question needs at least two choices")
    if choices and not question:
        raise SpecError("teaching.question", "choices need a question")
    goal_text, goal = "", None
    if d.get("goal") is not None:
        g = d["goal"]
        if not isinstance(g, dict):
            raise SpecError("teaching.goal", "must be an object with text and expect")
        goal_text = _text(g.get("text"), "teaching.goal.text", required=True)
        goal = check_expect(g.get("expect"), "teaching.goal.expect", flows, devices)
    raw_hints = d.get("hints") or []
    if not isinstance(raw_hints, list) or len(raw_hints) > HINTS_MAX:
        raise SpecError("teaching.hints", f"must be a list of at most {HINTS_MAX} texts")
    hints = tuple(_text(h, f"teaching.hints[{i}]", required=True) for i, h in enumerate(raw_hints))
    return Teaching(
        question=question,
        choices=tuple(choices),
        goal_text=goal_text,
        goal=goal,
        constraints=parse_constraints(d.get("constraints")),
        hints=hints,
    )


def teaching_of(scenario: dict[str, Any]) -> Teaching:
    """The parsed teaching block of a scenario dict (a run's frozen spec, say)."""
    return parse_teaching(scenario.get("teaching"), scenario)
