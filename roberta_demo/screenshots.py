"""Regenerate the README's screenshots: every tab after its first example, in Debian's Chromium.

    python -m roberta_demo.screenshots            # starts `python app.py --models tiny` and writes assets/*.png

Needs Chromium (`apt-get install chromium`) and the `playwright` package; nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from roberta_demo import ASSETS_DIR
from roberta_demo.browser import CHROMIUM, CHROMIUM_ARGS
from roberta_demo.perf.server import start_app

__all__ = ["SHOTS", "take_screenshots"]

# file name, tab, button that runs it, what to wait for, page query
SHOTS = [
    ("screenshot-fill-mask.png", "Fill-mask", "Predict the masked words", ".js-plotly-plot:visible .bars path", ""),
    ("screenshot-classification.png", "Classification", "Classify", ".js-plotly-plot:visible .bars path", ""),
    ("screenshot-sentiment.png", "Sentiment", "Analyse", ".js-plotly-plot:visible .bars path", ""),
    ("screenshot-ner.png", "NER", "Find entities", "#ner-spans .token.highlighted", ""),
    ("screenshot-attention.png", "Attention", "Show attention", ".js-plotly-plot .heatmaplayer", ""),
    ("screenshot-attention-dark.png", "Attention", "Show attention", ".js-plotly-plot .heatmaplayer", "?__theme=dark"),
]


def take_screenshots(url: str, out_dir: Path = ASSETS_DIR, chromium: str = CHROMIUM) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for name, tab, button, ready, query in SHOTS:
            print(f"{name} …", flush=True)
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, device_scale_factor=1)
            page.goto(url + query)
            page.get_by_role("tab", name=tab, exact=True).click()
            page.locator("button.gallery-item:visible, tr.tr-body:visible").first.click()
            page.wait_for_timeout(700)  # the example reaches the inputs through a round trip to the server
            page.get_by_role("button", name=button, exact=True).click()
            page.locator(ready).first.wait_for(timeout=60_000)
            if tab == "Attention":  # show the drawings, not the form above them
                page.frame_locator("iframe.bertviz-frame").locator("#vis svg text").first.wait_for(timeout=60_000)
                page.locator("iframe.bertviz-frame").scroll_into_view_if_needed()
                page.evaluate("window.scrollBy(0, -60)")
            page.wait_for_timeout(800)  # let charts finish their transitions
            written.append(out_dir / name)
            page.screenshot(path=str(written[-1]), full_page=False)
            page.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app (default: start `python app.py --models tiny`)")
    parser.add_argument("--out", type=Path, default=ASSETS_DIR)
    args = parser.parse_args(argv)
    if args.url:
        for path in take_screenshots(args.url, args.out):
            print(path)
        return 0
    served = start_app("tiny")
    try:
        for path in take_screenshots(served.url, args.out):
            print(path)
    finally:
        served.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
