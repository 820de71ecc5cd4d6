"""A real Chromium (Debian's) driven by Playwright, with every request outside this machine blocked and logged.

The tests share one browser context, cleared between tests (cookies, storage, permissions) but not of its HTTP cache:
a fresh context costs each page load the download and compilation of Gradio's 1 MB of scripts again (2.4-3.2 CPU-s
against 1.0 here), and the tests are about the page, not the first download (the page-weight test opens its own
context). Requests outside this machine are blocked by the browser (a proxy that refuses, loopback exempt), not by
Playwright's routing, which would turn the HTTP cache off; the page's requests are watched to log them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import pytest

from roberta_demo.browser import CHROMIUM, CHROMIUM_ARGS
from tests.browser.accessibility import AXE
from tests.waiting import HANG_MS

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
# Every request leaves through a proxy that is not there (the discard port), but loopback, which Chromium never
# sends through a proxy: the page under test cannot reach outside this machine, however it addresses it.
OFFLINE_ARGS = ["--proxy-server=http://127.0.0.1:9"]
STORAGE_BUT_CACHE = "cookies,file_systems,indexeddb,local_storage,service_workers,cache_storage,shared_storage"


@dataclass
class PageLog:
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def chromium_browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs it with apt-get install chromium")
        pytest.skip("Chromium is not installed here (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *OFFLINE_ARGS])
        yield chromium
        chromium.close()


def _log_outside(log: PageLog) -> Callable[[Any], None]:
    def seen(request: Any) -> None:
        host = urlparse(request.url).hostname or ""
        if not request.url.startswith(("data:", "blob:", "about:")) and host not in LOCAL_HOSTS:
            log.blocked.append(request.url)

    return seen


@pytest.fixture(scope="session")
def shared_context(chromium_browser) -> Iterator[Any]:
    context = chromium_browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(HANG_MS)  # every wait and action: a limit for a hang only
    yield context
    context.close()


def _clear(context: Any, origin: str) -> None:
    """What one test's pages left in the shared context, but its HTTP cache: cookies, permissions, and the origin's
    storage (Gradio keeps browser state and plotly settings in localStorage)."""
    context.clear_cookies()
    context.clear_permissions()
    page = context.new_page()
    url = urlparse(origin)
    cleared = {"origin": f"{url.scheme}://{url.netloc}", "storageTypes": STORAGE_BUT_CACHE}
    context.new_cdp_session(page).send("Storage.clearDataForOrigin", cleared)
    page.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Each phase's report kept on the test, so a fixture's teardown can tell that the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _describe(pages: list[Any], log: PageLog) -> str:
    """What a failed test's pages showed: their address, the text on show and the browser's errors."""
    shown = []
    for page in pages:
        try:
            text = page.evaluate("document.body.innerText").strip()
        except Exception as exc:  # a closed or crashed page says so instead
            text = f"({type(exc).__name__}: {exc})"
        shown.append(f"{page.url}\n{text[-3000:]}")
    return "\n\n".join([*shown, f"browser errors: {log.errors}", f"blocked: {log.blocked}"])


@pytest.fixture
def open_page(request, shared_context, app_url) -> Iterator[Callable[[str], Any]]:
    """Opens the app at a query (`"?tab=ner&text=…"`, or "" for the plain page) in a fresh page; the network outside
    localhost is cut, and errors and dialogs are recorded in `page.log`.

    A fresh page for each address: navigating an open page away cancels its running requests, which the browser
    logs as errors that say nothing about the page under test.
    """
    context = shared_context
    log = PageLog()

    def open_at(query: str) -> Any:
        tab = context.new_page()
        tab.on("request", _log_outside(log))
        tab.on("pageerror", lambda error: log.errors.append(str(error)))
        tab.on("console", lambda message: log.errors.append(message.text) if message.type == "error" else None)
        tab.on("dialog", lambda dialog: (log.dialogs.append(dialog.message), dialog.dismiss()))
        tab.log = log
        tab.goto(app_url + query)
        tab.locator("#header h1").wait_for()  # the page is rendered by then
        return tab

    yield open_at
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        print(f"The pages when the test failed:\n{_describe(context.pages, log)}")
    for tab in context.pages:
        tab.close()
    _clear(context, app_url)


@pytest.fixture
def app_page(open_page) -> Any:
    """The app's page, as a visitor first sees it."""
    return open_page("")


@pytest.fixture(scope="session")
def axe_script() -> str:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("axe-core is missing: .ci/run installs it with npm ci --prefix tests/js")
        pytest.skip("axe-core is not installed here (npm ci --prefix tests/js)")
    return AXE.read_text(encoding="utf-8")
