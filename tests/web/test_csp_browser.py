"""The Content-Security-Policy in a real browser: the pages, the live lab included (htmx,
its websocket extension and static/js/live.js are our own files), work under it and the
browser reports no violation."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser
WAIT_MS = 30_000


def test_the_site_works_under_its_policy_without_a_single_violation(
    lab_server: Any, chromium: Any
) -> None:
    context = chromium.new_context()
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))

    page.goto(lab_server.url + "/")
    page.goto(lab_server.url + "/import/")
    page.goto(lab_server.url + "/s/default-drop/")
    page.click("text=Start lab")
    page.wait_for_selector("#connection.ok", timeout=WAIT_MS)  # the websocket is live
    page.wait_for_function(
        "() => document.getElementById('clock') && document.getElementById('clock')"
        ".textContent.trim() !== ''",
        timeout=WAIT_MS,
    )
    # The terminal works: live.js and the htmx ws extension both ran.
    page.fill("#cli-bo-asa", "enable")
    page.press("#cli-bo-asa", "Enter")
    page.wait_for_function(
        "() => document.getElementById('dev-bo-asa-terminal').textContent.includes('enable')",
        timeout=WAIT_MS,
    )
    response = page.request.get(page.url)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    violations = [m for m in messages if "Content Security Policy" in m or "pageerror" in m]
    assert violations == []
    context.close()
