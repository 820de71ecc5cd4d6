"""Every tab as a room sees it, in Chromium: English and Chinese; light, dark and presentation mode. After each
tab's first result: no raw translation marker anywhere, no "Error" badge without a message, results at least as
large as the inputs in presentation mode, and axe-core's WCAG 2.1 A/AA rules on the page and in the bertviz frames:
no violation in the app's own markup and colours (Gradio's own are listed in `GRADIO_OWNED` and the README)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from roberta_demo.messages import CHINESE as ZH
from roberta_demo.ui.tour_text import UNLOADED
from tests.browser.accessibility import GRADIO_OWNED, apps_own, axe_violations, settled
from tests.conftest import REPO


@dataclass(frozen=True)
class Tab:
    name: str
    run: str | None  # the button that runs its first example; None: the tab shows a result as it opens
    result: str  # a selector that is there once the result is
    result_text: str | None  # what must be at least as large as the input in presentation mode
    in_frame: bool = False


TABS = [
    Tab("How RoBERTa works", None, "#tour-tokens .token.highlighted", "#tour-tokens .text"),
    Tab("Fill-mask", "Predict the masked words", "#fill-mask-filled .token.highlighted", "#fill-mask-filled .text"),
    Tab("Classification", "Classify", "#classify-top .output-class", "#classify-top .output-class"),
    Tab("Sentiment", "Analyse", "#sentiment-top .output-class", "#sentiment-top .output-class"),
    Tab("NER", "Find entities", "#ner-spans .token.highlighted", "#ner-spans .text"),
    Tab("Attention", "Show attention", "#vis svg text", None, in_frame=True),
    Tab("Vectors", "Show the vectors", "#vectors-map .scatterlayer .point", None),
    Tab("Pre-train", "Mask", "#mask-grid .heatmaplayer", "#mask-given .text"),
    Tab("Fine-tune", "Train", "#tune-verdicts .body-cell", "#tune-verdicts .body-cell span"),
]
MODES = {"light": "", "dark": "&__theme=dark"}  # presentation mode: the header's button, on the light page


def _words(text: str, lang: str) -> str:
    return ZH[text] if lang == "zh" else text


def _run_first_example(page: Any, tab: Tab, lang: str) -> None:
    page.get_by_role("tab", name=_words(tab.name, lang), exact=True).click()
    if tab.run is None:
        return
    example = page.locator("button.gallery-item:visible, tr.tr-body:visible").first
    if tab.name == "Pre-train":  # its paragraph is in its box already
        pass
    elif tab.name != "Fine-tune":  # its preset is in its table already
        example.click()
        page.wait_for_function("[...document.querySelectorAll('textarea')].filter((box) => box.offsetParent)[0].value")
    else:  # three steps, not thirty: the page after training is the same; the steps' time would be spent for nothing
        steps = page.locator("#tune-steps input[type=range]")
        steps.press("Home")
        steps.press("ArrowRight")
        steps.press("ArrowRight")
        three = "document.querySelector('#tune-steps input[type=number]').value === '3'"
        page.wait_for_function(three)
    page.get_by_role("button", name=_words(tab.run, lang), exact=True).click()


def _wait_for_result(page: Any, tab: Tab, lang: str) -> None:
    where = page.frame_locator("iframe.bertviz-frame") if tab.in_frame else page
    where.locator(tab.result).first.wait_for()
    if tab.run is None:  # the tour: its words drawn at once with placeholders, the figures filled as the page loads
        placeholder = UNLOADED[lang].strip("*")
        page.wait_for_function(
            "(gone) => !document.querySelector('#tour-model').innerText.includes(gone)", arg=placeholder
        )
    settled(page)


def _markers(page: Any) -> list[str]:
    return page.evaluate(
        """() => {
            const named = [...document.querySelectorAll("[aria-label], [title], [placeholder], [alt]")].flatMap((e) =>
                ["aria-label", "title", "placeholder", "alt"].map((a) => e.getAttribute(a) || ""));
            return [document.body.innerText, ...named].filter((t) => /__i18n__|translation_metadata/.test(t))
                .map((t) => t.slice(0, 160));
        }"""
    )


def _unexplained_errors(page: Any) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll("[data-testid=status-tracker] .error")]
            .filter((e) => e.offsetParent && !(e.parentElement.innerText || "").replace(/error/i, "").trim())
            .map((e) => e.closest("[id]") ? e.closest("[id]").id : "?")"""
    )


def _font_size(page: Any, selector: str) -> float:
    return float(page.locator(selector).first.evaluate("(e) => parseFloat(getComputedStyle(e).fontSize)"))


def _checked(page: Any, tab: Tab, axe_script: str, mode: str) -> list[str]:
    """What is wrong with the tab on show: the app's own axe violations (the page's and its frames'), translation
    markers, message-less "Error" badges, and in presentation mode a result smaller than its input."""
    found = apps_own(axe_violations(page, axe_script))
    for frame in page.frames[1:]:
        if frame.frame_element().is_visible():  # a frame on a tab not on show is checked where its tab is
            found += [f"frame: {finding}" for finding in apps_own(axe_violations(frame, axe_script))]
    found += [f"translation marker: {marker}" for marker in _markers(page)]
    found += [f"'Error' badge without a message on {where}" for where in _unexplained_errors(page)]
    if mode == "present" and tab.result_text:
        inputs = page.locator("textarea:visible")
        if inputs.count():
            shown, typed = _font_size(page, tab.result_text), _font_size(page, "textarea:visible")
            if shown < typed:
                found.append(f"result text {shown}px is smaller than the input's {typed}px")
    return [f"{mode}: {finding}" for finding in found]


def _show_tab(page: Any, tab: Tab, lang: str) -> None:
    """Back to a tab whose result is on show; once its frame (the model view, by then) has redrawn, settled."""
    page.get_by_role("tab", name=_words(tab.name, lang), exact=True).click()
    if tab.in_frame:
        page.frame_locator("iframe.bertviz-frame").locator("body[data-drawn]").wait_for()
        page.locator("iframe.bertviz-frame[data-fitted]").wait_for()
    else:
        page.locator(tab.result).first.wait_for()
    settled(page)


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_tab_after_a_result(open_page, axe_script, lang, theme):
    """Each tab's first example run in the theme and checked; on the light page, the header's presentation-mode
    button is then pressed, as a speaker does, and every tab, its result still on show, is checked again."""
    page = open_page(f"?lang={lang}{MODES[theme]}")
    page.set_viewport_size({"width": 1280, "height": 800})
    # Gradio loads its theme's stylesheet after the page has drawn: until then a dark page's text stands on white.
    page.wait_for_function(
        """(dark) => [...document.querySelectorAll("link[rel=stylesheet]")].every((link) => link.sheet) && (!dark
            || getComputedStyle(document.querySelector("gradio-app")).backgroundColor !== "rgb(255, 255, 255)")""",
        arg=theme == "dark",
    )
    problems: dict[str, list[str]] = {}
    for tab in TABS:
        _run_first_example(page, tab, lang)
        _wait_for_result(page, tab, lang)
        if tab.in_frame:  # the model view is a frame of its own making: check it too
            page.get_by_label(_words("Model view (every layer and head)", lang)).check()
            page.frame_locator("iframe.bertviz-frame").locator("body[data-drawn]").wait_for()
        problems[tab.name] = _checked(page, tab, axe_script, theme)
    if theme == "light":
        page.locator("#present-toggle").click()
        page.wait_for_function("document.body.classList.contains('present')")
        for tab in TABS:
            _show_tab(page, tab, lang)
            problems[tab.name] += _checked(page, tab, axe_script, "present")
    assert {name: found for name, found in problems.items() if found} == {}
    assert page.log.blocked == []


def test_gradio_owned_findings_are_listed_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for rule, _ in GRADIO_OWNED:
        assert f"`{rule}`" in readme
