"""Every tab in Chromium, offline: its first example runs and shows what a person would see."""

from __future__ import annotations

import re

import pytest


def _run_first_example(app_page, tab: str, button: str) -> None:
    app_page.get_by_role("tab", name=tab, exact=True).click()
    app_page.locator("button.gallery-item:visible, tr.tr-body:visible").first.click()
    # The example reaches the tab's text box (its first) through a round trip to the server: run once it is there.
    app_page.wait_for_function("[...document.querySelectorAll('textarea')].filter((box) => box.offsetParent)[0].value")
    app_page.get_by_role("button", name=button, exact=True).click()


def _visible_plot(app_page):
    return app_page.locator(".js-plotly-plot:visible").first


def test_classification_shows_the_label_and_the_chart(app_page):
    _run_first_example(app_page, "Classification", "Classify")
    _visible_plot(app_page).locator(".bars path").first.wait_for()
    assert any(label in app_page.locator("#classify-top").inner_text() for label in ("business", "technology"))
    assert _visible_plot(app_page).locator(".bars path").count() == 5  # one bar per candidate label
    assert app_page.get_by_text(re.compile("Answered by .*tiny-nli")).count() == 1
    assert app_page.log.blocked == [] and app_page.log.errors == []


def test_sentiment_shows_the_label_and_the_chart(app_page):
    _run_first_example(app_page, "Sentiment", "Analyse")
    _visible_plot(app_page).locator(".bars path").first.wait_for()
    assert _visible_plot(app_page).locator(".bars path").count() == 3
    assert any(
        label in app_page.locator("#sentiment-top").inner_text() for label in ("negative", "neutral", "positive")
    )
    assert app_page.get_by_text(re.compile("Answered by .*tiny-sentiment")).count() == 1
    assert app_page.log.blocked == [] and app_page.log.errors == []


def test_ner_shows_highlighted_spans_with_their_types_and_a_legend(app_page):
    _run_first_example(app_page, "NER", "Find entities")
    spans = app_page.locator("#ner-spans")
    spans.locator(".token.highlighted").first.wait_for()
    # Each span carries its type as text (colour is never the only cue), in dark type on its own colour.
    for token in spans.locator(".token.highlighted").all():
        assert token.locator(".label").inner_text().strip().upper() in ("PER", "ORG", "LOC", "MISC")
    legend = app_page.locator("#ner-legend").inner_text()
    assert all(f"{kind} {name}" in legend for kind, name in (("PER", "person"), ("ORG", "organisation")))
    assert "Angela" in spans.inner_text()
    assert app_page.log.blocked == [] and app_page.log.errors == []


def test_attention_draws_the_head_view_and_a_heatmap(app_page):
    _run_first_example(app_page, "Attention", "Show attention")
    frame = app_page.frame_locator("iframe.bertviz-frame")
    frame.locator("#vis svg text").first.wait_for()
    assert frame.locator("#vis svg text").count() > 10
    app_page.locator("#attention-view").get_by_text("Heatmaps").click()
    app_page.locator(".js-plotly-plot .heatmaplayer").first.wait_for()
    assert app_page.locator(".js-plotly-plot .heatmaplayer").count() >= 4  # head, head mean, rollout, overview
    assert app_page.log.blocked == [] and app_page.log.errors == []


def test_vectors_draw_every_layer_and_the_slider_moves_the_points_in_the_page(app_page):
    _run_first_example(app_page, "Vectors", "Show the vectors")
    chart = app_page.locator("#vectors-map .js-plotly-plot")
    points = chart.locator(".scatterlayer .point")
    points.first.wait_for()
    assert points.count() == 5  # "bank" in each of the five sentences
    assert app_page.locator("#vectors-similarity .heatmaplayer").count() == 1
    slider = chart.evaluate("gd => [gd.layout.sliders[0].steps.map((step) => step.label), gd.layout.sliders[0].active]")
    names, shown = slider
    assert names[0] == "embeddings" and names[1] == "layer 1" and shown == len(names) - 1  # the last layer first
    before = points.first.get_attribute("transform")
    asked: list[str] = []
    app_page.on("request", lambda request: asked.append(request.url))
    # The slider's left end, the embeddings: the points move there with no request to the server.
    rail = chart.locator(".slider-rail-touch-rect").bounding_box()
    assert rail is not None
    app_page.mouse.click(rail["x"] + 4, rail["y"] + rail["height"] / 2)
    app_page.wait_for_function(
        "(before) => document.querySelector('#vectors-map .scatterlayer .point').getAttribute('transform') !== before",
        arg=before,
    )
    assert asked == []
    assert app_page.get_by_text(re.compile("Answered by .*tiny-roberta")).count() == 1
    assert app_page.log.blocked == [] and app_page.log.errors == []


def test_an_uploads_labels_colour_the_map_with_a_legend(app_page, tmp_path):
    rows = ["text,label", *(f"a match report number {i},sport" for i in range(3))]
    rows += [f"the markets fell on day {i},money" for i in range(3)] + ["<b>bold</b> claims,money"]
    upload = tmp_path / "news.csv"
    upload.write_text("\n".join(rows), encoding="utf-8")
    app_page.get_by_role("tab", name="Vectors", exact=True).click()
    app_page.get_by_text("A map of many texts").click()
    app_page.locator("#vectors-upload input[type=file]").set_input_files(str(upload))
    app_page.locator("#vectors-upload").get_by_text("news.csv").wait_for()
    app_page.locator("#vectors-colour input").click()
    app_page.get_by_role("option", name="the upload's label column").click()
    app_page.locator("#vectors-run").click()
    chart = app_page.locator("#vectors-map .js-plotly-plot")
    chart.locator(".legend .traces").first.wait_for()
    assert chart.locator(".legend .traces").all_text_contents() == ["sport", "money"]
    assert chart.locator(".scatterlayer .point").count() == 7
    assert chart.get_by_text("<b>bold</b> claims").count() == 1  # the typed tags shown, not applied
    assert app_page.log.errors == []


def test_a_deep_link_selects_the_tab_fills_the_text_and_runs_it(open_page):
    app_page = open_page("?tab=ner&text=Angela%20Merkel%20visited%20Paris")
    app_page.locator("#ner-spans").get_by_text("Merkel").first.wait_for()
    assert app_page.get_by_role("tab", name="NER", exact=True).get_attribute("aria-selected") == "true"
    assert app_page.locator("#ner-text textarea").input_value() == "Angela Merkel visited Paris"
    assert app_page.get_by_text(re.compile("Answered by .*tiny-ner")).count() == 1


def test_charts_download_png_and_svg_at_slide_size(app_page):
    _run_first_example(app_page, "Sentiment", "Analyse")
    plot = _visible_plot(app_page)
    plot.locator(".bars path").first.wait_for()
    plot.hover()
    titles = plot.locator(".modebar-btn").evaluate_all("els => els.map(e => e.getAttribute('data-title'))")
    assert "Download PNG (1920×1080)" in titles and "Download SVG (1920×1080)" in titles
    for kind in ("SVG", "PNG"):
        with app_page.expect_download() as download:
            plot.locator(f".modebar-btn[data-title='Download {kind} (1920×1080)']").click(force=True)
        path = download.value.path()
        assert download.value.suggested_filename == f"class-probabilities.{kind.lower()}"
        head = path.read_bytes()[:400]
        if kind == "SVG":
            assert b'width="1920"' in head and b'height="1080"' in head
        else:
            assert head[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(head[16:20], "big") == 1920


@pytest.mark.parametrize("how", ["link", "button"])
def test_presentation_mode_enlarges_the_type(open_page, how):
    app_page = open_page("")
    before = app_page.evaluate("parseFloat(getComputedStyle(document.querySelector('#header h1')).fontSize)")
    if how == "link":
        app_page = open_page("?present=1")
    else:
        app_page.locator("#present-toggle").click()
    app_page.wait_for_function("document.body.classList.contains('present')")
    size = "parseFloat(getComputedStyle(document.querySelector('#header h1')).fontSize)"
    app_page.wait_for_function(f"{size} >= {1.4 * before}")  # styles apply a frame later


def test_dark_theme_reaches_charts_and_bertviz(open_page):
    app_page = open_page("?__theme=dark")
    _run_first_example(app_page, "Attention", "Show attention")
    frame = app_page.frame_locator("iframe.bertviz-frame")
    frame.locator("#vis svg text").first.wait_for()
    frame.locator("html[data-theme=dark]").wait_for()
    background = frame.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
    assert background == "rgb(11, 15, 25)"
    app_page.locator("#attention-view").get_by_text("Heatmaps").click()
    tick = app_page.locator(".js-plotly-plot .xtick text").first
    tick.wait_for()
    assert tick.evaluate("t => getComputedStyle(t).fill") == "rgb(229, 231, 235)"


def test_explain_colours_the_words_of_a_deep_linked_text(open_page):
    app_page = open_page("?tab=sentiment&text=What%20a%20great%20talk%2C%20I%20loved%20it")
    app_page.locator("#sentiment-top").get_by_text("positive").first.wait_for()
    app_page.locator("#sentiment-explain").click()
    explained = app_page.locator("#sentiment-explained")
    explained.locator(".token").first.wait_for()
    coloured = explained.locator(".token[style*='background']")
    assert coloured.count() == 7  # every word, coloured by its attribution
    assert "".join(explained.locator(".token").all_inner_texts()).replace("\n", "") == "What a great talk, I loved it"
    # The word pushing hardest for the answer is drawn in the chart's "for" colour, not the red of "against".
    strongest = app_page.locator("#sentiment-explain-chart .ytick text").last.text_content()
    backgrounds = coloured.evaluate_all("tokens => tokens.map(t => [t.innerText.trim(), t.style.backgroundColor])")
    colour = dict(backgrounds)[strongest]
    attribution_bars = app_page.locator("#sentiment-explain-chart .barlayer .trace").first.locator("path")
    bar = attribution_bars.last.evaluate("p => getComputedStyle(p).fill")
    assert bar in ("rgb(128, 90, 213)", "rgb(239, 68, 60)")
    assert re.findall(r"\d+", colour)[:3] == re.findall(r"\d+", bar)  # the same hue, at any strength
    assert app_page.log.errors == []


def test_every_chart_has_a_name_and_its_numbers_as_a_table(app_page):
    """A screen reader meets a chart as an image named by its title, then reads its numbers in the table after it."""
    _run_first_example(app_page, "Sentiment", "Analyse")
    plot = _visible_plot(app_page)
    plot.locator(".bars path").first.wait_for()
    app_page.wait_for_function("document.querySelector('.js-plotly-plot svg.main-svg[role=img]')")
    chart = app_page.locator(".js-plotly-plot:visible svg.main-svg[role=img]").first
    assert chart.get_attribute("aria-label") == "Class probabilities"
    holder = app_page.locator("div.chart-data").first
    table = holder.locator("table")
    assert "Class probabilities" in table.locator("caption").inner_text()
    rows = table.locator("tr").evaluate_all("rows => rows.map((r) => [...r.cells].map((c) => c.textContent))")
    labels = {row[0] for row in rows[1:]}
    assert labels == {"negative", "neutral", "positive"}
    assert all(0 <= float(row[1]) <= 1 for row in rows[1:])
    box = holder.evaluate("h => h.getBoundingClientRect().width")
    assert box <= 1  # read out, not drawn


def test_a_long_text_keeps_its_entities_in_a_box_of_their_own(app_page):
    """3,000 words: the highlighted text scrolls in its box instead of growing the page, words are never broken in
    the middle, and the table of spans shows every one of its columns."""
    text = " ".join(["Angela Merkel met Emmanuel Macron in Berlin to discuss the European Union."] * 250)
    app_page.get_by_role("tab", name="NER", exact=True).click()
    app_page.locator("#ner-text textarea").fill(text)
    app_page.locator("#ner-run").click()
    app_page.locator("#ner-spans .token.highlighted").first.wait_for()
    field = app_page.locator("#ner-spans .textfield")
    height, scrolled = field.evaluate("(f) => [f.clientHeight, f.scrollHeight]")
    assert height <= 0.61 * app_page.viewport_size["height"] and scrolled > 2 * height
    assert field.evaluate("(f) => getComputedStyle(f).wordBreak") == "normal"
    table = app_page.locator("#ner-table")
    right = table.evaluate("(t) => t.getBoundingClientRect().right")
    headers = table.locator(".header-cell, th").evaluate_all(
        "cells => cells.filter((c) => c.offsetParent).map((c) => [c.innerText.trim(), c.getBoundingClientRect().right])"
    )
    shown = [name for name, edge in headers if name and edge <= right + 1]
    assert shown[:5] == ["entity", "type", "score", "start", "end"]


def test_a_request_outside_this_machine_is_refused_and_logged(app_page):
    """The harness itself: what the other tests' `log.blocked == []` relies on (by name or by address)."""
    outcomes = app_page.evaluate(
        """async (urls) => Promise.all(urls.map((url) => fetch(url, {mode: 'no-cors'}).then(
            () => 'answered', () => 'refused')))""",
        ["https://example.com/", "http://93.184.215.14/"],
    )
    assert outcomes == ["refused", "refused"]
    assert app_page.log.blocked == ["https://example.com/", "http://93.184.215.14/"]
    app_page.log.blocked.clear()
