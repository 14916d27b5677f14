"""The walkthrough of issue 14, as a new user takes it, with a screenshot of every page at
desktop (1280 x 800) and phone (390 x 844) widths into docs/images/.

    DEBUG=0 SECRET_KEY=any-key-of-40-characters-or-more-xxxxxxxxx \
        .venv/bin/python manage.py collectstatic --noinput
    .venv/bin/python docs/images/walkthrough.py

It starts its own server the way the end-to-end tests do (tests/conftest.py), with DEBUG
off (so the designed 404 page shows), in a throwaway data directory, on 127.0.0.1.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.conftest import CHROMIUM, LabServer  # noqa: E402

OUT = Path(__file__).resolve().parent
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
WAIT_MS = 60_000


def shot(page: Any, name: str, size: str, *, full: bool = False) -> None:
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    note = f"  (page is {wide} px wide!)" if wide > SIZES[size]["width"] else ""
    path = OUT / f"{name}-{size}.png"
    page.screenshot(path=str(path), full_page=full)
    print(f"{path.name}: {path.stat().st_size // 1024} kB{note}")


def clock_at_least(page: Any, seconds: int) -> None:
    page.wait_for_function(
        "n => { const [h, m, s] = document.getElementById('clock').textContent.trim()"
        ".split(':').map(Number); return h * 3600 + m * 60 + s >= n; }",
        arg=seconds,
        timeout=WAIT_MS,
    )


def walk(browser: Any, url: str, size: str) -> None:
    page = browser.new_context(viewport=SIZES[size], is_mobile=size == "phone").new_page()
    page.goto(url + "/")
    shot(page, "01-library", size)
    page.goto(url + "/s/default-drop/")
    shot(page, "02-scenario", size)
    page.click("text=Start lab")
    page.wait_for_selector("#connection.ok", timeout=WAIT_MS)
    shot(page, "03-run-start", size)
    page.select_option('select[name="speed"]', "60x")
    page.wait_for_selector('[data-sheet="end"]', timeout=WAIT_MS)
    page.select_option('select[name="speed"]', "paused")
    shot(page, "04-run-end", size, full=size == "desktop")
    recording = page.get_attribute('a:has-text("Recording of this run")', "href")
    page.goto(recording)
    page.wait_for_selector("#connection.ok", timeout=WAIT_MS)
    shot(page, "05-recording", size)

    page.goto(url + "/")
    page.click("#card-predict-one-end button:has-text('Start lab')")
    page.wait_for_selector("#connection.ok", timeout=WAIT_MS)
    page.select_option('select[name="speed"]', "10x")
    page.wait_for_selector("#notice.shown", timeout=WAIT_MS)
    shot(page, "06-predict-gate", size)

    page.goto(url + "/import/")
    shot(page, "07-import", size)
    page.goto(url + "/accounts/signup/")
    shot(page, "08-signup", size)
    page.goto(url + "/s/default-drop/")
    page.click("text=Fork (edit a copy)")
    page.wait_for_selector("#settings_section")
    shot(page, "09-editor", size)
    page.goto(url + "/s/no-such-thing/")
    shot(page, "10-not-found", size)

    # A class: the instructor, a student who answers and one who does not.
    teacher = browser.new_context(viewport=SIZES[size], is_mobile=size == "phone").new_page()
    teacher.goto(url + "/s/predict-one-end/")
    teacher.click("text=Teach a class")
    teacher.wait_for_selector(".class-code")
    code = teacher.get_attribute(".class-code", "data-code")
    pupils = []
    for name in ("Ana", "Ben"):
        p = browser.new_context(viewport=SIZES[size], is_mobile=size == "phone").new_page()
        p.goto(url + "/class/")
        if name == "Ana":
            shot(p, "11-class-join", size)
        p.fill("#join-code", code)
        p.fill("#join-name", name)
        p.click(".join-form button")
        p.wait_for_selector("#connection.ok", timeout=WAIT_MS)
        pupils.append(p)
    ana = pupils[0]
    ana.check('#teaching-panel input[name="choice"][value="1"]')
    ana.click('[data-teaching="lock"]')
    ana.wait_for_selector('[data-teaching="prediction"]', timeout=WAIT_MS)
    teacher.wait_for_selector('[data-class="unanswered"]:has-text("yet (1)")', timeout=WAIT_MS)
    shot(teacher, "12-class-dashboard", size)
    with teacher.expect_navigation():
        teacher.click('[data-class="next"]')
    clock_at_least(ana, 3)
    ana.wait_for_selector('#teaching-panel [data-step="run"]', timeout=WAIT_MS)
    shot(ana, "13-class-student", size)
    watch = page.context.new_page()
    watch_link = ana.locator('input[aria-label="watch link"]').input_value()
    watch.goto(watch_link + "&present=1")
    watch.wait_for_selector("#connection.ok", timeout=WAIT_MS)
    shot(watch, "14-presenter", size)
    for ctx in (page.context, teacher.context, *(p.context for p in pupils)):
        ctx.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = LabServer(Path(tmp), DEBUG="0", SECRET_KEY="walkthrough-" * 4, LAB_HTTPS="0")
        server.prepare()
        server.start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM))
                for size in SIZES:
                    walk(browser, server.url, size)
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
