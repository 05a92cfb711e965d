"""Playwright (sync API) driving Debian's Chromium against pytest-django's live_server.

Without /usr/bin/chromium (or the playwright package) the browser tests are skipped with the
reason, unless GONGHUI_REQUIRE_BROWSER=1 (CI), where that is a failure. Screenshots land in
test-artifacts/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("GONGHUI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
STAFF_VIEWPORT = {"width": 1366, "height": 768}
MEMBER_VIEWPORT = {"width": 390, "height": 844}


def _unavailable() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture
def browser(monkeypatch):
    reason = _unavailable()
    if reason:
        if os.environ.get("GONGHUI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required (GONGHUI_REQUIRE_BROWSER=1) but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django refuses ORM calls while one
    # runs. The test's own ORM calls (fixtures, checks) are plain synchronous code, so allow them
    # for the browser's lifetime only.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


# htmx logs an aborted request as an error: a live search replaced by a newer one (hx-sync
# "replace"), or one still running when the page moves on. Both are meant to happen; on a busy
# machine they do. Real failures still show: a failed response is htmx:responseError.
HTMX_ABORT_EVENTS = ("htmx:afterRequest", "htmx:sendAbort")


def _htmx_abort(text: str) -> bool:
    return text.startswith(HTMX_ABORT_EVENTS)


def _page(browser, **context_args):
    # Reduced motion: charts draw without animation, so screenshots show them finished.
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", reduced_motion="reduce",
                                  **context_args)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.problems = []  # console errors (CSP violations show up here) and uncaught exceptions
    page.on("console", lambda msg: page.problems.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" and not _htmx_abort(msg.text) else None)
    page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
    return page


@pytest.fixture
def staff_page(browser, live_server):
    page = _page(browser, viewport=STAFF_VIEWPORT)
    yield page
    page.context.close()


@pytest.fixture
def member_page(browser, live_server):
    page = _page(browser, viewport=MEMBER_VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield page
    page.context.close()


@pytest.fixture
def shot():
    """Save a screenshot into test-artifacts/NAME.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def save(page, name: str, *, full_page: bool = False) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save
