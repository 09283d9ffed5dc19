"""The HTML report in a real browser: headless Chromium opens the written file, and a test fails on a console error,
an uncaught page error, a failed request, or a chart that did not load or is blank.

Chromium is Debian's `chromium` package (/usr/bin/chromium, else `chromium` on PATH; TIKTOK_CHROMIUM names another
executable), driven by the `playwright` package without its own browser download. Where it is not installed the
tests skip and say how to install it (`apt-get install chromium`), unless TIKTOK_REQUIRE_CHROMIUM=1 (as .ci/run
sets), which turns the skip into a failure: in CI they must run. TIKTOK_CHROMIUM=/nonexistent shows either path.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, Request, sync_playwright

from assets.report import NO_DATA, render_charts, render_report
from tests.assets.test_report import NOW, marts

DEFAULT_CHROMIUM = "/usr/bin/chromium"
# root in a container: no sandbox; no GPU, and nothing that phones home (updates, sync, QUIC) on a CI machine
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NO_DATA_GREY = (0x77, 0x77, 0x77)  # the colour assets/report.py's _no_data writes "no data" in
MIN_COLOURS = 16  # a matplotlib chart has hundreds (anti-aliased text and lines); a blank image has one


def chromium_executable() -> tuple[str | None, str]:
    """The Chromium to run (None when missing) and where it was looked for."""
    configured = os.environ.get("TIKTOK_CHROMIUM")
    if configured:
        return (configured if os.access(configured, os.X_OK) else None), configured
    if os.access(DEFAULT_CHROMIUM, os.X_OK):
        return DEFAULT_CHROMIUM, DEFAULT_CHROMIUM
    return shutil.which("chromium"), f"{DEFAULT_CHROMIUM} or chromium on PATH"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable, looked_at = chromium_executable()
    if executable is None:
        reason = f"no Chromium at {looked_at}; install it with `apt-get install chromium` (Debian)"
        if os.environ.get("TIKTOK_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"TIKTOK_REQUIRE_CHROMIUM=1 but {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def open_html(browser: Browser, tmp_path: Path) -> Iterator[Callable[[str], tuple[Page, list[str]]]]:
    """Write the HTML to a file, open it over file:// and return the page and every problem the browser reported."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def open_(text: str) -> tuple[Page, list[str]]:
        report = tmp_path / "tiktok_report.html"
        report.write_text(text, encoding="utf-8")
        page = context.new_page()
        problems: list[str] = []

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                problems.append(f"console error: {message.text}")

        def on_request_failed(request: Request) -> None:
            problems.append(f"request failed: {request.url[:100]} ({request.failure})")

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("requestfailed", on_request_failed)
        page.goto(report.as_uri(), wait_until="load")  # load waits for every image
        return page, problems

    yield open_
    context.close()


def chart_state(image: Locator) -> str:
    """What an <img> shows: a "chart", "no data" (as _no_data draws it: grey text alone in the middle), or what is
    wrong with it."""
    if not image.evaluate("img => img.complete && img.naturalWidth > 0 && img.naturalHeight > 0"):
        return "not loaded"
    if not image.is_visible():
        return "not visible"
    # what the page shows, not only what the file holds
    shot = np.asarray(Image.open(io.BytesIO(image.screenshot())).convert("RGB")).astype(int)
    colours = len(np.unique(shot.reshape(-1, 3), axis=0))
    if colours < MIN_COLOURS:
        return f"blank ({colours} colours)"
    height, width, _ = shot.shape
    middle = shot[height * 3 // 10 : height * 7 // 10, width * 3 // 10 : width * 7 // 10]
    coloured = (middle.max(axis=-1) - middle.min(axis=-1)) > 8  # bars and lines; text and axes are grey
    grey_text = np.all(middle == NO_DATA_GREY, axis=-1).sum()
    return NO_DATA if not coloured.any() and grey_text >= 50 else "chart"


def chart_states(page: Page) -> list[tuple[str | None, str]]:
    return [(image.get_attribute("alt"), chart_state(image)) for image in page.locator("img").all()]


def test_every_chart_of_the_report_shows_without_browser_errors(open_html):
    data = marts()
    page, problems = open_html(render_report(data, NOW))
    assert problems == []
    assert chart_states(page) == [(title, "chart") for title in render_charts(data)]


def test_a_chart_without_data_says_so_in_the_browser(open_html):
    # an account under 100 followers has no audience data, and no activity hours either
    data = marts(hours=["active_followers", "engagement_rate", "posts"])
    data["countries"] = data["countries"].iloc[0:0]
    page, problems = open_html(render_report(data, NOW))
    assert problems == []
    empty = {"Audience by country", "Best posting hours against audience activity"}
    expected = [(title, NO_DATA if title in empty else "chart") for title in render_charts(data)]
    assert chart_states(page) == expected
    assert page.get_by_text(f"Audience activity: {NO_DATA}.").is_visible()


def test_the_checks_catch_errors_and_broken_or_blank_images(open_html):
    """The checks above can fail: a one-colour PNG, an undecodable one, a missing file and a throwing script."""
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(buffer, format="PNG")
    blank = base64.b64encode(buffer.getvalue()).decode()
    page, problems = open_html(
        f'<!doctype html><html><body><img alt="blank" src="data:image/png;base64,{blank}">'
        '<img alt="broken" src="data:image/png;base64,bm90IGEgcG5n"><img alt="missing" src="missing.png">'
        "<script>console.error('boom'); null.chart;</script></body></html>"
    )
    assert chart_states(page) == [
        ("blank", "blank (1 colours)"),
        ("broken", "not loaded"),
        ("missing", "not loaded"),
    ]
    assert any(p.startswith("console error: boom") for p in problems), problems
    assert any(p.startswith("page error:") for p in problems), problems
    assert any(p.startswith("request failed:") and "missing.png" in p for p in problems), problems
