"""The student's and the instructor's journey in headless Chromium (issue 14).

A student alone: the run page guides them (the lab sheet ticks as the engine sees each
step, the hint for the sysopt on a live tunnel, the explanation and the next scenario at
the end); a question stops the run from playing until it is answered, on the server;
Reset asks first; the terminal completes with Tab and shows its focus; a phone never
scrolls sideways. A class: the dashboard names who has not answered, play can mark them
"no answer", and no page logs a browser error on the way.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser
WAIT_MS = 30_000
PHONE = {"width": 390, "height": 844}


def wait_text(page: Any, selector: str, text: str) -> None:
    page.wait_for_function(
        "([s, t]) => document.querySelector(s)?.textContent.includes(t)",
        arg=[selector, text],
        timeout=WAIT_MS,
    )


def clock_s(page: Any) -> int:
    h, m, s = (int(x) for x in page.inner_text("#clock").strip().split(":"))
    return h * 3600 + m * 60 + s


def wait_clock(page: Any, at_least_s: int) -> None:
    page.wait_for_function(
        "n => { const [h, m, s] = document.getElementById('clock').textContent.trim()"
        ".split(':').map(Number); return h * 3600 + m * 60 + s >= n; }",
        arg=at_least_s,
        timeout=WAIT_MS,
    )


def start_lab(page: Any, url: str, slug: str) -> None:
    page.goto(f"{url}/")
    page.click(f"#card-{slug} button:has-text('Start lab')")
    page.wait_for_selector("#connection.ok", timeout=WAIT_MS)


def step(page: Any, text: str) -> Any:
    return page.locator("#sheet li", has_text=text)


def errors_of(page: Any) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: found.append(f"pageerror: {e}"))
    return found


def test_the_run_page_guides_a_student_and_ticks_the_steps(lab_server: Any, chromium: Any) -> None:
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors = errors_of(page)
    start_lab(page, lab_server.url, "default-drop")
    sheet = page.inner_text("#sheet")
    assert "at 2:00 the scenario cuts the internet path for 60 s" in sheet
    assert step(page, "The download stalls").get_attribute("data-done") == "no"

    # Let the tunnel come up, then tick the sysopt on the live tunnel: the hint says why
    # it will not help yet.
    page.select_option('select[name="speed"]', "10x")
    wait_clock(page, 10)
    page.select_option('select[name="speed"]', "paused")
    page.check('[data-control="preserve-bo-asa"]')
    wait_text(page, "#sheet", "takes effect on SAs created from now on")
    assert step(page, "The download starts").get_attribute("data-done") == "yes"

    # Tab completes with the device's CLI; the focused terminal line shows a ring.
    page.fill("#cli-bo-asa", "ena")
    page.press("#cli-bo-asa", "Tab")
    page.wait_for_function(
        "() => document.getElementById('cli-bo-asa').value === 'enable '", timeout=WAIT_MS
    )
    outline = page.eval_on_selector("#cli-bo-asa", "e => getComputedStyle(e).outlineStyle")
    assert outline != "none"

    page.select_option('select[name="speed"]', "60x")
    page.wait_for_selector('#sheet li[data-done="yes"]:has-text("The download stalls")')
    wait_text(page, "#timeline", "the internet path is cut for 60 s, by the scenario")
    page.wait_for_selector(
        '#sheet li[data-done="yes"]:has-text("does the download resume?")', timeout=WAIT_MS
    )
    assert "no: failed" in step(page, "does the download resume?").inner_text()
    assert "Tunnel has been torn down" in step(page, "302014").inner_text()
    # The end: the explanation, and the scenario that shows the other side.
    page.wait_for_selector('[data-sheet="end"]', timeout=WAIT_MS)
    assert "302014" in page.inner_text('[data-sheet="end"]')
    page.click('[data-sheet="next"]')
    page.wait_for_url("**/s/preserve-both/")
    assert errors == []


def test_a_question_holds_the_run_until_it_is_answered(lab_server: Any, chromium: Any) -> None:
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    start_lab(page, lab_server.url, "predict-one-end")
    page.select_option('select[name="speed"]', "10x")
    wait_text(page, "#notice", "Lock in your prediction first")
    page.click('[data-control="step"]')
    wait_text(page, "#notice", "Lock in your prediction first")
    assert page.inner_text("#clock").strip() == "0:00:00"
    assert "paused" in page.inner_text("#speed-now")

    page.check('#teaching-panel input[name="choice"][value="1"]')
    page.click('[data-teaching="lock"]')
    page.wait_for_selector('[data-teaching="prediction"]', timeout=WAIT_MS)
    wait_clock(page, 2)  # answered: the run plays


def test_reset_asks_first_and_a_no_changes_nothing(lab_server: Any, chromium: Any) -> None:
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    start_lab(page, lab_server.url, "default-drop")
    page.select_option('select[name="speed"]', "10x")
    wait_clock(page, 5)
    page.select_option('select[name="speed"]', "paused")
    wait_text(page, "#speed-now", "paused")
    before = clock_s(page)
    asked: list[str] = []

    def answer(accept: bool) -> Any:
        def handle(dialog: Any) -> None:
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    page.click('[data-control="reset"]')
    page.wait_for_function("() => true")  # let the click's handlers run
    assert asked and "Start this run again" in asked[0]
    page.click('[data-control="step"]')  # a later action still goes through ...
    wait_clock(page, before + 1)  # ... and the run was not reset in between
    page.once("dialog", answer(True))
    page.click('[data-control="reset"]')
    wait_text(page, "#clock", "0:00:00")
    assert len(asked) == 2


@pytest.mark.parametrize("slug", ["default-drop", "predict-one-end"])
def test_a_phone_never_scrolls_sideways_on_the_run_page(
    lab_server: Any, chromium: Any, slug: str
) -> None:
    page = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    start_lab(page, lab_server.url, slug)
    page.wait_for_selector("#dev-bo-asa-syslog")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the run page is {width} px wide"
    for path in ("/", f"/s/{slug}/", "/import/", "/class/"):
        page.goto(lab_server.url + path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide"


def test_a_class_runs_without_a_browser_error_and_waits_for_answers(
    lab_server: Any, chromium: Any
) -> None:
    url = lab_server.url
    teacher = chromium.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    errors = errors_of(teacher)
    teacher.goto(url + "/s/predict-one-end/")
    teacher.click("text=Teach a class")
    teacher.wait_for_selector(".class-code")
    code = teacher.get_attribute(".class-code", "data-code")

    students = {}
    for name in ("Ana", "Ben"):
        page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        errors += errors_of(page)
        page.goto(url + "/class/")
        page.fill("#join-code", code)
        page.fill("#join-name", name)
        page.click(".join-form button")
        page.wait_for_selector("#connection.ok", timeout=WAIT_MS)
        students[name] = page
    ana, ben = students["Ana"], students["Ben"]
    ana.check('#teaching-panel input[name="choice"][value="1"]')
    ana.click('[data-teaching="lock"]')
    ana.wait_for_selector('[data-teaching="prediction"]', timeout=WAIT_MS)

    wait_text(teacher, '[data-class="unanswered"]', "Ben")
    with teacher.expect_navigation():
        teacher.click('[data-class="next-mark"]')
    wait_text(teacher, ".messages", "1 marked “no answer”")
    wait_text(ben, "#teaching-panel", "marked “no answer”")  # through the panel's poll
    wait_clock(ana, 5)
    wait_clock(ben, 5)
    with teacher.expect_navigation():
        teacher.select_option('select[name="speed"]', "600x")
        teacher.click('[data-class="speed"]')
    wait_text(teacher, ".messages", "every playing run now goes at 600x")
    wait_text(ana, "#speed-now", "600x")
    with teacher.expect_navigation():
        teacher.click('[data-class="next"]')  # reveal
    wait_text(ana, "#teaching-panel", "Your prediction beside what happened")
    assert errors == []
