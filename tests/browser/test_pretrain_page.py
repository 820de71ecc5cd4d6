"""The pre-training tab in Chromium: the presenter's paragraph masked epoch after epoch, and a few steps of continued
pre-training with the loss drawn live."""

from __future__ import annotations

from tests.waiting import wait_until


def test_masking_draws_a_row_per_epoch_and_another_epoch_adds_one(open_page):
    page = open_page("?tab=pre-train")
    page.locator("#mask-run").click()
    grid = page.locator("#mask-grid .js-plotly-plot")
    grid.locator(".heatmaplayer").wait_for()
    page.locator("#mask-status").get_by_text("(15 % expected)").wait_for()
    assert "epoch 4" in grid.inner_text() and "epoch 5" not in grid.inner_text()
    assert "<mask>" in page.locator("#mask-given").inner_text()  # the paragraph, as the model is given it
    page.locator("#mask-next").click()
    grid.get_by_text("epoch 5").wait_for()
    rows = page.locator("#mask-chosen tbody tr")
    wait_until(lambda: rows.count() > 0, "the table of chosen tokens")
    assert page.locator("#mask-epochs input[type=number]").input_value() == "5"
    assert page.log.errors == []


def test_continued_pretraining_streams_its_loss_and_frees_its_model_when_the_page_closes(open_page, backend):
    page = open_page("?tab=pre-train")
    steps = page.locator("#pretrain-steps input[type=range]")
    steps.press("Home")
    for _ in range(4):
        steps.press("ArrowRight")
    page.wait_for_function("document.querySelector('#pretrain-steps input[type=number]').value === '5'")
    page.locator("#pretrain-train").click()
    page.locator("#pretrain-status").get_by_text("Your text became").wait_for()
    assert "Step 5 / 5" in page.locator("#pretrain-status").inner_text()
    chart = page.locator("#pretrain-chart .js-plotly-plot")
    assert chart.locator(".scatterlayer .trace").first.locator(".point").count() == 5  # one loss per step
    held = backend.held_count
    assert held >= 1
    assert page.log.errors == []
    page.close()
    wait_until(lambda: backend.held_count != held, "the closed page's model to be let go")
    assert backend.held_count == held - 1
