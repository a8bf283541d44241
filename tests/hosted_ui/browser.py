"""Headless Chromium for the hosted-UI tests: Debian's browser, and the app's callback answered
by the test (the app is not running) with every URL that reached it recorded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")


@contextmanager
def callback_page(callback: str) -> Iterator[tuple[Page, list[str]]]:
    """A new page, and the list of URLs under `callback` it was sent to (answered "signed in")."""
    seen: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page()

            def answer_callback(route: Any) -> None:
                seen.append(route.request.url)
                route.fulfill(body="signed in")

            page.route(f"{callback}**", answer_callback)
            yield page, seen
        finally:
            browser.close()
