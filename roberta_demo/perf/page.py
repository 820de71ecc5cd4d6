"""What a visitor's first page load costs: every request Chromium makes and the bytes it receives, with its cache
off, until the page is usable; beside the same for a minimal Gradio Blocks app with as many tabs (the anchor).

Used by the benchmark (`--parts page`) and by tests/browser/test_page_weight.py, so the figure the README quotes and
the one the test guards are measured the same way.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from roberta_demo.perf.server import ServedApp, serve

__all__ = ["APP_READY", "MINIMAL_READY", "USABLE", "PageWeight", "first_load", "serve_minimal_app"]

# The anchor: a plain Blocks app with the app's nine tabs, each a text, a button and a label. What a page of Gradio
# costs before any of this app's content. (Braces are doubled: `serve` fills in `{port}`.)
_MINIMAL_APP = """
import sys
import gradio as gr

TABS = ["How RoBERTa works", "Fill-mask", "Classification", "Sentiment", "NER", "Attention", "Vectors", "Pre-train",
        "Fine-tune"]
with gr.Blocks() as demo:
    for name in TABS:
        with gr.Tab(name):
            text = gr.Textbox(label="Text")
            run = gr.Button("Run")
            scores = gr.Label()
            run.click(lambda value: dict(score=1.0), text, scores)
demo.launch(server_name="127.0.0.1", server_port=int(sys.argv[1]))
"""
USABLE = "textarea"  # a first tab is usable once its first text box is drawn, in either app
MINIMAL_READY = USABLE  # the minimal app has nothing more to draw
APP_READY = "#tour-tokens .token"  # the app's, once the tour's first step has drawn the text's tokens


@dataclass
class PageWeight:
    """A first load: its requests, the bytes received (as sent: compressed where the server compressed them), the
    bytes by kind of resource (document, script, font, …), and the seconds from asking for the page until its first
    tab is usable (`usable_s`: a text box to type in, drawn, the page answering; the same for every app) and until
    its `ready` selector is drawn (`drawn_s`: the app's first result, the tour's tokens)."""

    requests: int
    received: int
    by_kind: Counter[str] = field(default_factory=Counter)
    compressed_document: bool = False
    usable_s: float = 0.0
    drawn_s: float = 0.0

    def ratio(self, anchor: PageWeight) -> tuple[float, float]:
        """(bytes, requests) as multiples of the anchor's."""
        return self.received / anchor.received, self.requests / anchor.requests


def _stream(url: str) -> bool:
    """The queue's event stream and Gradio's heartbeat stay open as long as the page: never "finished"."""
    return "/queue/data" in url or "/heartbeat/" in url


def serve_minimal_app() -> ServedApp:
    return serve([sys.executable, "-c", _MINIMAL_APP, "{port}"])


def first_load(browser: Any, url: str, ready: str) -> PageWeight:
    """Load `url` in a fresh context of `browser` (Playwright's) with the cache off, until `ready` (a selector) is
    drawn and the page has no request left unanswered; count what came."""
    context = browser.new_context()
    try:
        page = context.new_page()
        session = context.new_cdp_session(page)
        session.send("Network.enable")
        session.send("Network.setCacheDisabled", {"cacheDisabled": True})
        weight = PageWeight(0, 0)
        open_requests: set[Any] = set()

        def finished(request: Any) -> None:
            open_requests.discard(request)
            size = max(request.sizes()["responseBodySize"], 0)
            weight.requests += 1
            weight.received += size
            weight.by_kind[request.resource_type] += size

        def answered(response: Any) -> None:
            if response.request.resource_type == "document":
                weight.compressed_document = "content-encoding" in response.headers

        page.on("request", lambda request: open_requests.add(request))  # a function: Playwright marks its handlers
        page.on("response", answered)
        page.on("requestfinished", finished)
        page.on("requestfailed", lambda request: open_requests.discard(request))
        asked = time.perf_counter()
        page.goto(url)
        page.locator(USABLE).first.wait_for()
        page.evaluate("1")  # the page's script answers: drawn, and not busy drawing
        weight.usable_s = time.perf_counter() - asked
        page.locator(ready).first.wait_for()
        page.evaluate("1")
        weight.drawn_s = time.perf_counter() - asked
        page.wait_for_function("() => document.readyState === 'complete'")
        while any(not _stream(request.url) for request in open_requests):
            page.wait_for_event("requestfinished")  # the last scripts and fonts the first paint asked for
        return weight
    finally:
        context.close()
