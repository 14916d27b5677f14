"""Who may do what: tokens kept in the browser's session, checked against stored digests.

An instructor holds the token of their class (made when they opened it); a student holds
their own participant token and their run's control token (lab.live's session keys), and
nothing else: not another student's run, not the dashboard.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from lab.live import tokens
from lab.live.consumers import SESSION_KEYS
from lab.live.models import Run

INSTRUCTOR_KEYS = "lab_class_keys"  # session: class code -> instructor token
STUDENT_KEYS = "lab_class_students"  # session: class code -> participant token


def _put(request: HttpRequest, bag: str, key: str, value: str) -> None:
    keys = dict(request.session.get(bag, {}))
    keys[key] = value
    request.session[bag] = keys


def _get(request: HttpRequest, bag: str, key: str) -> str | None:
    keys = request.session.get(bag, {})
    value = keys.get(key) if isinstance(keys, dict) else None
    return value if isinstance(value, str) else None


def remember_instructor(request: HttpRequest, code: str, token: str) -> None:
    _put(request, INSTRUCTOR_KEYS, code, token)


def is_instructor(request: HttpRequest, session: Any) -> bool:
    return bool(session.is_instructor(_get(request, INSTRUCTOR_KEYS, session.code)))


def remember_student(request: HttpRequest, code: str, token: str) -> None:
    _put(request, STUDENT_KEYS, code, token)


def student_of(request: HttpRequest, session: Any) -> Any:
    """This browser's participant in the class, or None."""
    token = _get(request, STUDENT_KEYS, session.code)
    if token is None:
        return None
    digest = tokens.digest(token)
    return session.students.filter(token_digest=digest).first()


def remember_run(request: HttpRequest, run_id: str, token: str) -> None:
    _put(request, SESSION_KEYS, run_id, token)


def run_role(request: HttpRequest, run: Run) -> str | None:
    """tokens.CONTROL, tokens.WATCH or None for this browser and run."""
    return run.role_of(_get(request, SESSION_KEYS, run.id))
