"""Who may edit a scenario: edit keys remembered in the visitor's session, and owners.

A scenario link is public to read, start and fork. Editing needs the scenario's edit key
(the private edit link `?key=...`, or the session of the browser that created the copy)
or being its logged-in owner; built-ins are never editable. The private edit link is shown
once, right after a fork or an import, through a one-shot session entry.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from lab.scenarios.models import Scenario

KEYS = "lab_edit_keys"  # session: slug -> edit key
FRESH = "lab_fresh_copy"  # session: {"slug", "warnings"} shown once on the edit page


def remember_key(request: HttpRequest, scenario: Scenario) -> None:
    """Let this browser edit `scenario` from now on."""
    keys = dict(request.session.get(KEYS, {}))
    keys[scenario.slug] = scenario.edit_key
    request.session[KEYS] = keys


def session_key(request: HttpRequest, slug: str) -> str | None:
    """The edit key this browser holds for `slug`; None: it holds none."""
    key = request.session.get(KEYS, {}).get(slug)
    return key if isinstance(key, str) else None


def my_slugs(request: HttpRequest) -> list[str]:
    return list(request.session.get(KEYS, {}))


def can_edit(request: HttpRequest, scenario: Scenario) -> bool:
    """Whether this request may edit: a key in the POST data, the session, or ownership."""
    key = request.POST.get("key") or session_key(request, scenario.slug)
    return scenario.can_edit(key=key, user=request.user)


def announce_copy(
    request: HttpRequest, scenario: Scenario, *, warnings: list[str] | None = None
) -> None:
    """Remember the key and show the private edit link once on the next edit page."""
    remember_key(request, scenario)
    request.session[FRESH] = {"slug": scenario.slug, "warnings": warnings or []}


def take_announcement(request: HttpRequest, scenario: Scenario) -> dict[str, Any] | None:
    """The one-shot announcement for this scenario, removed from the session; None: none."""
    fresh = request.session.get(FRESH)
    if not fresh or fresh.get("slug") != scenario.slug:
        return None
    del request.session[FRESH]
    return dict(fresh)
