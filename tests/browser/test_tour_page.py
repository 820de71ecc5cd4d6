"""The tour ("How RoBERTa works") in Chromium: Next, Back and the ← → keys move between the ten steps and each
step's live view draws, in presentation mode, with no accessibility finding; `?step=` opens a step on a linked text;
the Chinese interface; the temperature reshapes the guess; the training steps run from their buttons."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tests.browser.accessibility import apps_own, axe_violations, settled

VIEWS = {  # what each step draws on its own, once entered
    1: "#tour-tokens .token.highlighted",
    2: "#tour-drift .heatmaplayer",
    3: "#tour-formula .katex",
    4: "#tour-heads iframe.bertviz-frame[data-fitted]",
    5: "#tour-fill-chart .bars path",
    6: "#tour-mask-grid .heatmaplayer",
    7: "#tour-pretrain-run",
    8: "#tour-step-8 .code-view code",
    9: "#tour-cost-run",
    10: "#tour-sentiment .output-class",
}


def _on_step(page: Any, number: int) -> None:
    """Step `number` is the one shown: its number selected in the stepper, its view drawn, the address naming it."""
    page.locator(f"#tour-step-{number}-button[aria-selected=true]").wait_for()
    page.locator(VIEWS[number]).first.wait_for()
    page.wait_for_function("(n) => new URL(location.href).searchParams.get('step') === String(n)", arg=number)
    settled(page)


def _findings(page: Any, axe_script: str) -> list[str]:
    found = apps_own(axe_violations(page, axe_script))
    for frame in page.frames[1:]:
        found += [f"frame: {finding}" for finding in apps_own(axe_violations(frame, axe_script))]
    return found


def test_next_back_and_the_arrow_keys_walk_the_tour_and_every_step_draws(open_page, axe_script):
    page = open_page("?present=1")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.locator(VIEWS[1]).first.wait_for()  # the first step's view, drawn as the page opens
    assert page.locator("#tour-step-2-button[aria-selected=true]").count() == 0
    findings: dict[int, list[str]] = {}
    for number in range(1, 11):
        if number > 1:
            _on_step(page, number)
        findings[number] = _findings(page, axe_script)
        if number == 10:
            break
        if number % 2:
            page.locator(f"#tour-next-{number}").click()
        else:
            page.locator("body").press("ArrowRight")  # the keys the room's clicker sends
    assert {number: found for number, found in findings.items() if found} == {}
    page.locator("body").press("ArrowLeft")
    _on_step(page, 9)
    page.locator("#tour-back-9").click()
    _on_step(page, 8)
    assert page.evaluate("document.body.classList.contains('present')")
    assert page.log.errors == []


def test_a_link_opens_its_step_on_its_own_text_in_chinese(open_page):
    text = "我们在河边散步，然后去银行存钱。"
    page = open_page(f"?lang=zh&tab=how-it-works&step=6&text={quote(text)}")
    _on_step(page, 6)
    assert page.locator("#tour-text textarea").input_value() == text
    assert "动态掩码" in page.locator("#tour-step-6").inner_text()
    assert "下一步 →" in page.locator("#tour-next-6").inner_text()
    assert "(15 % expected)" not in page.locator("#tour-mask-note").inner_text()  # the note in Chinese too
    page.locator("body").press("ArrowLeft")
    _on_step(page, 5)
    filled = page.locator("#tour-filled").inner_text()
    assert "我们在河边散步，然后去银行存" in filled  # the linked text's last word hidden and guessed
    assert page.log.errors == []


def test_the_temperature_reshapes_the_guess_on_the_presenters_text(open_page):
    page = open_page("?tab=how-it-works&step=5")
    _on_step(page, 5)
    chart = page.locator("#tour-fill-chart .js-plotly-plot")
    first = chart.evaluate("gd => Math.max(...gd.data[0].x)")
    page.locator("#tour-temperature input[type=range]").press("End")  # by keyboard: the hottest, 3
    page.locator("#tour-fill-note").get_by_text("At temperature 3").wait_for()
    assert chart.evaluate("gd => Math.max(...gd.data[0].x)") < first
    assert page.url.endswith("step=5")  # the arrow keys on the slider moved the slider, not the tour
    assert page.log.errors == []


def test_the_training_steps_run_from_their_buttons(open_page, backend):
    page = open_page("?tab=how-it-works&step=9")
    _on_step(page, 9)
    page.locator("#tour-cost-run").click()
    cost = page.locator("#tour-cost table")
    cost.wait_for()
    assert "8 × 128 tokens" in cost.inner_text() and "1,024 NVIDIA V100" in cost.inner_text()
    page.locator("#tour-back-9").click()
    page.locator("#tour-back-8").click()
    _on_step(page, 7)
    steps = page.locator("#tour-step-7 input[type=range]")
    steps.press("Home")
    steps.press("ArrowRight")  # two steps, as many as the chart needs to draw a line
    page.locator("#tour-pretrain-run").click()
    page.locator("#tour-pretrain-status").get_by_text("Your text became").wait_for()
    assert "Step 2 / 2" in page.locator("#tour-pretrain-status").inner_text()
    assert page.log.errors == []
