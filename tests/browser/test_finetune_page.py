"""The fine-tuning tab in Chromium: a preset, ten steps on the tiny model, the loss chart and the verdicts."""

from __future__ import annotations

from roberta_demo.tasks.finetune import PRESETS as BY_LANGUAGE
from tests.waiting import wait_until

PRESETS = BY_LANGUAGE["en"]
PRESET = "News headlines by topic"


def _train_ten_steps(page, preset: str = PRESET) -> None:
    page.get_by_label("Start from a preset").click()
    page.get_by_role("option", name=preset).click()
    page.locator("#tune-examples").get_by_text(PRESETS[preset][0][0]).wait_for()
    steps = page.locator("#tune-steps input[type=range]")
    steps.press("Home")  # the keyboard moves a slider the way a person does, one input event per key
    for _ in range(9):
        steps.press("ArrowRight")
    page.wait_for_function("document.querySelector('#tune-steps input[type=number]').value === '10'")
    page.locator("#tune-train").click()
    page.locator("#tune-status").get_by_text("Step 10 / 10").wait_for()


def test_a_preset_trains_for_ten_steps_and_shows_the_loss_and_the_verdicts(open_page):
    page = open_page("?tab=fine-tune")
    _train_ten_steps(page)
    chart = page.locator("#tune-chart .js-plotly-plot")
    chart.locator(".scatterlayer .trace").first.wait_for()
    points = chart.locator(".scatterlayer .trace").first.locator(".point")
    assert points.count() == 10  # one loss per step
    verdicts = page.locator("#tune-verdicts")
    verdicts.get_by_text("held out").first.wait_for()  # the table lists training and held-out rows
    shown = verdicts.inner_text()
    assert "training" in shown and "before" in shown and "after" in shown
    assert sum(text in shown for text, _ in PRESETS[PRESET]) >= 5  # the examples, as many as the table shows
    # Where the examples lie before and after, one point per example, coloured by label in both maps.
    page.locator("#tune-show-vectors").and_(page.locator(":enabled")).click()
    labels = sorted({label for _, label in PRESETS[PRESET]})
    for name in ("#tune-before", "#tune-after"):
        chart = page.locator(f"{name} .js-plotly-plot")
        chart.locator(".legend .traces").first.wait_for()
        assert sorted(chart.locator(".legend .traces").all_text_contents()) == labels
        assert chart.locator(".scatterlayer .point").count() == len(PRESETS[PRESET])
    assert page.log.errors == []


def test_closing_the_page_frees_its_fine_tuned_model(open_page, backend):
    page = open_page("?tab=fine-tune")
    _train_ten_steps(page, "Question or statement")
    page.locator("#tune-try").and_(page.locator(":enabled")).wait_for()
    held = backend.held_count
    assert held >= 1
    page.close()  # the heartbeat ends: Gradio runs the page's unload event
    wait_until(lambda: backend.held_count != held, "the closed page's model to be let go")
    assert backend.held_count == held - 1
