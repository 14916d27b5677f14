"""End to end in headless Chromium: an instructor and three students in one class.

The instructor opens a class on the UDP challenge; three students join with the code and a
name, each predicts and solves on their own run (two tick the ASDM boxes or type the
sysopt, one forgets the HO ASA); the instructor plays every run, the dashboard shows
predictions, download states and verdicts as they come in, the reveal judges everyone,
and the CSV holds the results. A student cannot open another student's run or the
dashboard.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
WAIT_MS = 30_000


def wait_text(page: Any, selector: str, text: str) -> None:
    page.wait_for_function(
        "([s, t]) => document.querySelector(s)?.textContent.includes(t)",
        arg=[selector, text],
        timeout=WAIT_MS,
    )


def row_text(page: Any, name: str) -> str:
    return str(page.inner_text(f'tr[data-student="{name}"]'))


def wait_row(page: Any, name: str, text: str) -> None:
    wait_text(page, f'tr[data-student="{name}"]', text)


def join(browser: Any, url: str, code: str, name: str) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(url + "/class/")
    page.fill("#join-code", code)
    page.fill("#join-name", name)
    page.click(".join-form button")
    page.wait_for_selector("#teaching-panel")
    page.wait_for_selector("#connection.ok", timeout=WAIT_MS)
    return page


def predict(page: Any, choice: int) -> None:
    page.check(f'#teaching-panel input[name="choice"][value="{choice}"]')
    page.click('[data-teaching="lock"]')
    page.wait_for_selector('[data-teaching="prediction"]', timeout=WAIT_MS)


def tick(page: Any, device: str) -> None:
    page.check(f'[data-control="preserve-{device}"]')
    wait_text(page, f"#dev-{device}-terminal", "sysopt connection preserve-vpn-flows")


def type_line(page: Any, device: str, line: str) -> None:
    page.fill(f"#cli-{device}", line)
    page.press(f"#cli-{device}", "Enter")
    if line:
        wait_text(page, f"#dev-{device}-terminal", line)


def test_a_class_predicts_solves_and_is_judged_live(lab_server: Any, chromium: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    url = lab_server.url
    instructor = chromium.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    instructor.goto(url + "/s/challenge-udp/")
    instructor.click("text=Teach a class")
    instructor.wait_for_selector(".class-code")
    code = instructor.get_attribute(".class-code", "data-code")
    instructor.select_option('select[name="speed"]', "600x")
    with instructor.expect_navigation():
        instructor.click('[data-class="speed"]')
    assert instructor.input_value('select[name="speed"]') == "600x"

    ana = join(chromium, url, code, "Ana")
    ben = join(chromium, url, code, "Ben")
    cleo = join(chromium, url, code, "Cleo")
    assert "paused" in ana.inner_text("#speed-now") or ana.inner_text("#clock") == "0:00"
    # The dashboard lists them as they join (htmx polls it).
    for name in ("Ana", "Ben", "Cleo"):
        wait_row(instructor, name, "not started")

    # Each predicts while the runs wait, paused.
    predict(ana, 1)
    predict(ben, 0)
    predict(cleo, 1)
    wait_text(instructor, '[data-tally="1"]', "2")
    wait_text(instructor, '[data-tally="0"]', "1")
    wait_row(instructor, "Ben", "The sysopt keeps it too")

    # Solve: Ana ticks both ASAs, Ben only the BO ASA, Cleo types it on HO and ticks BO.
    tick(ana, "bo-asa")
    tick(ana, "ho-asa")
    tick(ben, "bo-asa")
    for line in ("enable", "", "configure terminal", "sysopt connection preserve-vpn-flows", "end"):
        type_line(cleo, "ho-asa", line)
    tick(cleo, "bo-asa")
    assert cleo.locator('[data-teaching="check"]').count() == 0  # not before the run step

    # The instructor plays every run at 600x; the downloads move on the dashboard.
    instructor.click('[data-class="next"]')
    instructor.wait_for_selector('[data-step="run"]')
    for page in (ana, ben, cleo):
        wait_text(
            page, '#flow-download [data-field="label"]', "resumed" if page != ben else "failed"
        )
    wait_row(instructor, "Ana", "resumed at")
    wait_row(instructor, "Ben", "failed")

    for page in (ana, ben, cleo):
        page.click('[data-teaching="check"]')
        page.wait_for_selector('[data-teaching="verdict"]', timeout=WAIT_MS)
    assert ana.inner_text('[data-teaching="verdict"]') == "Passed"
    assert ben.inner_text('[data-teaching="verdict"]') == "Not yet"
    assert "The download is dead" in ben.inner_text("#teaching-verdict")
    assert cleo.inner_text('[data-teaching="verdict"]') == "Passed"
    assert "You predicted it." in ana.inner_text("#teaching-verdict")
    ana.screenshot(path=str(ARTIFACTS / "teaching-student-passed.png"), full_page=True)
    wait_row(instructor, "Ana", "pass")
    wait_row(instructor, "Ben", "fail")
    wait_row(instructor, "Cleo", "pass")

    instructor.click('[data-class="next"]')  # reveal
    instructor.wait_for_selector('[data-step="reveal"]')
    wait_text(ben, "#teaching-panel", "Not what you predicted.")
    instructor.screenshot(path=str(ARTIFACTS / "teaching-dashboard.png"), full_page=True)

    response = instructor.request.get(f"{url}/class/{code}/results.csv")
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(response.text()))}
    assert set(rows) == {"Ana", "Ben", "Cleo"}
    assert [rows[n]["challenge"] for n in ("Ana", "Ben", "Cleo")] == ["pass", "fail", "pass"]
    assert (
        rows["Ben"]["prediction_happened"] == "no" and rows["Ana"]["prediction_happened"] == "yes"
    )
    assert "“sysopt connection preserve-vpn-flows” on ho-asa at 0:00" in rows["Cleo"]["commands"]

    # Server-side checks: no student sees another's run, nor the dashboard, nor the CSV.
    cleo_run = cleo.url.rstrip("/").split("/")[-1]
    assert ana.goto(f"{url}/runs/{cleo_run}/").status == 403
    assert ana.goto(f"{url}/class/{code}/").status == 403
    assert ana.request.get(f"{url}/class/{code}/results.csv").status == 403
    for page in (instructor, ana, ben, cleo):
        page.context.close()
