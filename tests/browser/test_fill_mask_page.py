"""The fill-mask tab in Chromium, offline: a deep link runs it, and clicking a word masks it."""

from __future__ import annotations

from urllib.parse import quote


def _filled(app_page) -> str:
    """The filled sentence as shown, without the mask labels."""
    pieces = app_page.locator("#fill-mask-filled .token .text").all_inner_texts()
    return "".join(pieces)


def test_a_deep_link_fills_the_text_and_predicts(open_page):
    app_page = open_page("?tab=fill-mask&text=" + quote("The cat sat on the <mask>."))
    app_page.locator("#fill-mask-filled .token").first.wait_for()
    app_page.locator(".js-plotly-plot:visible .bars path").nth(4).wait_for()
    app_page.locator(".js-plotly-plot:visible .heatmaplayer").first.wait_for()
    assert app_page.get_by_role("tab", name="Fill-mask", exact=True).get_attribute("aria-selected") == "true"
    assert app_page.locator("#fill-mask-text textarea").input_value() == "The cat sat on the <mask>."
    assert _filled(app_page).startswith("The cat sat on the") and "<mask>" not in _filled(app_page)
    assert app_page.locator("#fill-mask-filled .token.highlighted").count() == 1
    assert app_page.locator(".js-plotly-plot:visible .bars path").count() == 5  # the top five fillers
    assert app_page.locator(".js-plotly-plot:visible .heatmaplayer").count() == 1  # layer by layer
    assert app_page.log.blocked == [] and app_page.log.errors == []


def test_clicking_a_word_masks_it_and_shows_predictions(app_page):
    app_page.get_by_role("tab", name="Fill-mask", exact=True).click()
    app_page.locator("#fill-mask-text textarea").fill("The cat sat on the mat.")
    words = app_page.locator("#fill-mask-words")
    words.get_by_text("cat", exact=True).click()
    app_page.wait_for_function(
        "document.querySelector('#fill-mask-text textarea').value === 'The <mask> sat on the mat.'"
    )
    app_page.locator("#fill-mask-filled .token").first.wait_for()
    app_page.locator(".js-plotly-plot:visible .bars path").nth(4).wait_for()
    filled = _filled(app_page)
    assert filled.startswith("The") and filled.endswith("sat on the mat.") and "<mask>" not in filled
    assert app_page.locator(".js-plotly-plot:visible .bars path").count() == 5
    assert app_page.log.errors == []


def test_a_higher_temperature_flattens_the_chart_and_samples_fill_the_mask(open_page):
    page = open_page("?tab=fill-mask&text=" + quote("The cat sat on the <mask>."))
    sampled = page.locator("#fill-mask-sampled .token.highlighted")
    sampled.nth(2).wait_for()  # three draws by default, each one line with its word marked
    assert sampled.count() == 3
    assert page.locator("#fill-mask-sampled").inner_text().count("The cat sat on the") == 3
    chart = page.locator(".js-plotly-plot:visible").first
    first = chart.evaluate("gd => Math.max(...gd.data[0].x)")
    page.locator("#fill-mask-temperature input[type=range]").press("End")  # by keyboard: the hottest, 3
    page.locator("#fill-mask-info").get_by_text("At temperature 3").wait_for()
    flatter = chart.evaluate("gd => Math.max(...gd.data[0].x)")
    assert flatter < first  # the likeliest word's share falls as the distribution flattens
    assert page.log.errors == []
