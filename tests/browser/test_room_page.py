"""The room's settings in Chromium: links and the language switch keep the tab, its view, presentation mode, the
theme and the language; the header fits the common projector sizes; the model view works by keyboard alone."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from roberta_demo.messages import CHINESE as ZH

PROJECTORS = [(1280, 720), (1366, 768), (1440, 900)]


def _settings(link: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlparse(link).query).items()}


def _show_model_view(page, text: str = "Every head of every layer.") -> None:
    page.get_by_role("tab", name="Attention", exact=True).click()
    page.locator("#attention-text textarea").fill(text)
    page.locator("#attention-run").click()
    page.frame_locator("iframe.bertviz-frame").locator("#vis svg text").first.wait_for()
    page.get_by_label("Model view (every layer and head)").check()
    page.frame_locator("iframe.bertviz-frame").locator("body[data-drawn='16']").wait_for()


def test_the_readable_link_keeps_the_room(open_page):
    page = open_page("?__theme=dark&present=1&lang=en")
    _show_model_view(page)
    page.wait_for_function("new URL(location.href).searchParams.get('view') === 'model'")
    page.locator("#readable-link").click()
    box = page.locator("#readable-link-box textarea, #readable-link-box input").first
    box.wait_for()
    assert _settings(box.input_value()) == {
        "tab": "attention",
        "view": "model",
        "present": "1",
        "__theme": "dark",
        "lang": "en",
        "text": "Every head of every layer.",
    }
    # The box floats over the page: nothing under the header moves.
    assert page.locator("#readable-link-box").evaluate("box => getComputedStyle(box).position") == "fixed"


def test_the_language_switch_keeps_the_tab_the_view_and_presentation_mode(open_page):
    page = open_page("?__theme=dark")
    _show_model_view(page)
    page.locator("#present-toggle").click()
    page.wait_for_function("new URL(location.href).searchParams.get('present') === '1'")
    page.locator("#language-switch").click()
    page.wait_for_url("**lang=zh**")
    page.locator("#header h1").wait_for()
    assert _settings(page.url) == {"tab": "attention", "view": "model", "present": "1", "__theme": "dark", "lang": "zh"}
    page.get_by_role("tab", name=ZH["Attention"], exact=True).and_(page.locator("[aria-selected='true']")).wait_for()
    assert page.evaluate("document.body.classList.contains('present')")
    assert page.get_by_label(ZH["Model view (every layer and head)"]).is_checked()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("present", [False, True], ids=["plain", "present"])
def test_the_header_fits_a_projector(open_page, lang, present):
    page = open_page(f"?lang={lang}" + ("&present=1" if present else ""))
    for width, height in PROJECTORS:
        page.set_viewport_size({"width": width, "height": height})
        boxes = page.evaluate(
            """() => [document.querySelector('#header h1'), ...document.querySelectorAll('#header-row button')]
                .map((element) => { const r = element.getBoundingClientRect();
                                    return [element.innerText, r.left, r.top, r.right, r.bottom,
                                            element.scrollWidth > element.clientWidth + 1]; })"""
        )
        for index, (name, left, top, right, bottom, clipped) in enumerate(boxes):
            assert not clipped, f"{name!r} is cut at {width}×{height}"
            for other, o_left, o_top, o_right, o_bottom, _ in boxes[index + 1 :]:
                apart = right <= o_left or o_right <= left or bottom <= o_top or o_bottom <= top
                assert apart, f"{name!r} and {other!r} overlap at {width}×{height}"
        lines = "(b) => b.getBoundingClientRect().height / parseFloat(getComputedStyle(b).lineHeight)"
        labels = page.locator("#header-row button").evaluate_all(f"buttons => buttons.map({lines})")
        assert all(lines < 1.9 for lines in labels), f"a header button's label wraps at {width}×{height}: {labels}"


def test_the_model_view_opens_a_head_and_returns_by_keyboard_alone(open_page):
    page = open_page("")
    _show_model_view(page)
    page.get_by_label("Model view (every layer and head)").focus()
    frame = page.frame_locator("iframe.bertviz-frame")
    focused = "document.activeElement && document.activeElement.getAttribute('aria-label')"
    page.keyboard.press("Tab")  # from the view's radio to the frame: its heads are one tab stop
    inner = page.frames[-1]
    for _ in range(5):
        if inner.evaluate(focused) == "Layer 0, head 0":
            break
        page.keyboard.press("Tab")
    assert inner.evaluate(focused) == "Layer 0, head 0"
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    assert inner.evaluate(focused) == "Layer 1, head 1"
    page.keyboard.press("Enter")
    frame.get_by_text("Layer 1, head 1 — lines").wait_for()
    assert inner.evaluate("document.activeElement.id") == "back"
    assert frame.locator("#lines line").count() > 0
    page.keyboard.press("Escape")
    frame.locator("#grid:not([hidden])").wait_for()
    assert inner.evaluate(focused) == "Layer 1, head 1"  # back where the reader was
