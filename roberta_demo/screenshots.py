"""Regenerate the README's screenshots: every tab after its first example, in Debian's Chromium.

    python -m roberta_demo.screenshots            # starts `python app.py --models tiny` (then tiny-zh) and writes
                                                  # assets/*.png

Needs Chromium (`apt-get install chromium`; `fonts-noto-cjk` for the Chinese ones) and the `playwright` package;
nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from roberta_demo import ASSETS_DIR
from roberta_demo.browser import CHROMIUM, CHROMIUM_ARGS
from roberta_demo.perf.server import start_app
from roberta_demo.tasks import masking
from roberta_demo.ui import vectors

__all__ = ["SHOTS", "ZH_SHOTS", "take_screenshots"]

SENTENCE = quote("The animal didn't cross the street because it was too tired.")
SENSES = vectors.SENSES["en"][1]
BANK = quote("\n".join(SENSES))


@dataclass(frozen=True)
class Shot:
    """One screenshot: a page (a deep link runs a tab by itself), or a tab whose first example is run by `button`."""

    name: str
    ready: str  # what to wait for before taking it
    query: str = ""
    tab: str = ""
    button: str = ""
    frame_ready: str = ""  # inside the attention frame, when the shot shows it
    scroll_to: str = ""  # an element to bring to the top of the window
    example: bool = True  # run the tab's first example; otherwise press `button` on what the tab starts with
    then_click: str = ""  # once `ready`, press this too (Explain, after the answer) …
    then_ready: str = ""  # … and wait for this
    viewport: tuple[int, int] = (1440, 1000)  # the window, in CSS pixels


SHOTS = [
    Shot("screenshot-tour-tokens.png", "#tour-tokens .token.highlighted", query="?present=1"),
    Shot("screenshot-tour-fill-mask.png", "#tour-fill-chart .bars path", query="?tab=how-it-works&step=5"),
    Shot(
        "screenshot-tour-cost.png",
        "#tour-cost-run",
        query="?tab=how-it-works&step=9",
        then_click="#tour-cost-run",
        then_ready="#tour-cost table",
    ),
    Shot(
        "screenshot-fill-mask.png",
        ".js-plotly-plot:visible .bars path",
        tab="Fill-mask",
        button="Predict the masked words",
    ),
    Shot(
        "screenshot-classification.png", ".js-plotly-plot:visible .bars path", tab="Classification", button="Classify"
    ),
    Shot("screenshot-sentiment.png", ".js-plotly-plot:visible .bars path", tab="Sentiment", button="Analyse"),
    Shot("screenshot-ner.png", "#ner-spans .token.highlighted", tab="NER", button="Find entities"),
    Shot(
        "screenshot-explain.png",
        ".js-plotly-plot:visible .bars path",
        tab="Sentiment",
        button="Analyse",
        then_click="#sentiment-explain",
        then_ready="#sentiment-explained .token",
        scroll_to="#sentiment-explain",
    ),
    Shot(
        "screenshot-attention.png",
        "#attention-info",
        query=f"?tab=attention&view=head&text={SENTENCE}",
        frame_ready="#vis svg text",
        scroll_to="#attention-view",
    ),
    Shot(
        "screenshot-attention-dark.png",
        "#attention-info",
        query=f"?__theme=dark&tab=attention&view=model&text={SENTENCE}",
        frame_ready="body[data-drawn]",
        scroll_to="#attention-view",
    ),
    Shot(
        "screenshot-fine-tune.png",
        '#tune-status:has-text("Step 30 / 30")',
        tab="Fine-tune",
        button="Train",
        scroll_to="#tune-steps",
        example=False,
    ),
    # What a projector shows: presentation mode at 1280×720, the answer above the fold.
    Shot(
        "screenshot-present-ner.png",
        "#ner-spans .token.highlighted",
        query="?present=1",
        tab="NER",
        button="Find entities",
        scroll_to="#header",
        viewport=(1280, 720),
    ),
    Shot(
        "screenshot-vectors.png",
        "#vectors-similarity .heatmaplayer",
        query=f"?tab=vectors&word=bank&text={BANK}",
        scroll_to="#vectors-view",
    ),
    Shot(
        "screenshot-neighbours.png",
        "#vectors-neighbours .body-cell",
        query=f"?tab=vectors&view=neighbours&word=bank&text={quote(SENSES[0])}",
        scroll_to="#vectors-view",
    ),
    Shot(
        "screenshot-queries-keys.png",
        "#vectors-qk-chart .scatterlayer .trace",
        query=f"?tab=vectors&view=queries&word=bank&text={quote(chr(10).join(SENSES[:2]))}",
        scroll_to="#vectors-view",
    ),
    Shot(
        "screenshot-masking.png",
        "#mask-grid .heatmaplayer",
        query=f"?tab=pre-train&text={quote(masking.EXAMPLE)}",
        scroll_to="#mask-given",
    ),
    Shot(
        "screenshot-pretrain.png",
        "#mask-grid .heatmaplayer",
        query=f"?tab=pre-train&text={quote(masking.EXAMPLE)}",
        then_click="#pretrain-train",
        then_ready='#pretrain-status:has-text("Your text became")',
        scroll_to="#pretrain-steps",
    ),
    Shot(
        "screenshot-formula.png",
        "#formula-bars .bars path",
        query=f"?tab=attention&view=formula&text={SENTENCE}",
        scroll_to="#attention-view",
    ),
]


# The Chinese interface on the tiny-zh profile (`?lang=zh`, whatever the browser's language).
ZH_SENTENCE = quote("李明在清华大学读书，他最喜欢的书是《红楼梦》。")
ZH_SHOTS = [
    Shot("screenshot-zh.png", "#ner-info", query=f"?lang=zh&tab=ner&text={ZH_SENTENCE}"),
    Shot("screenshot-zh-tour.png", "#tour-mask-grid .heatmaplayer", query="?lang=zh&tab=how-it-works&step=6"),
]


def _run_first_example(page: Any, shot: Shot) -> None:
    page.get_by_role("tab", name=shot.tab, exact=True).click()
    if shot.example:
        page.locator("button.gallery-item:visible, tr.tr-body:visible").first.click()
        # The example reaches the tab's text box (its first) through a round trip to the server.
        page.wait_for_function("[...document.querySelectorAll('textarea')].filter((b) => b.offsetParent)[0].value")
    page.get_by_role("button", name=shot.button, exact=True).click()


def take_screenshots(
    url: str, out_dir: Path = ASSETS_DIR, chromium: str = CHROMIUM, shots: list[Shot] = SHOTS
) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for shot in shots:
            print(f"{shot.name} …", flush=True)
            width, height = shot.viewport
            page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
            page.goto(url + shot.query)
            if shot.tab:
                _run_first_example(page, shot)
            page.locator(shot.ready).first.wait_for(timeout=60_000)
            if shot.then_click:
                page.locator(shot.then_click).click()
                page.locator(shot.then_ready).first.wait_for(timeout=60_000)
            if shot.frame_ready:
                page.frame_locator("iframe.bertviz-frame").locator(shot.frame_ready).first.wait_for(timeout=60_000)
            if shot.scroll_to:  # show the drawings, not the form above them
                page.locator(shot.scroll_to).scroll_into_view_if_needed()
                page.evaluate(f"document.querySelector('{shot.scroll_to}').scrollIntoView()")
            page.wait_for_timeout(800)  # let charts finish their transitions
            written.append(out_dir / shot.name)
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
    for profile, shots in (("tiny", SHOTS), ("tiny-zh", ZH_SHOTS)):
        served = start_app(profile)
        try:
            for path in take_screenshots(served.url, args.out, shots=shots):
                print(path)
        finally:
            served.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
