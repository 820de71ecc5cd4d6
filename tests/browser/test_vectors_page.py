"""The Vectors tab's other views in Chromium: nearest neighbours (a click on a word) and queries and keys, opened
by a deep link with their text, in English and Chinese, checked by axe-core in the light theme and again in
presentation mode."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.browser.accessibility import apps_own, axe_violations, settled

# The word typed, the texts, the word picked first (a Chinese word's first character: each is a word of its own),
# and another word to click.
SENTENCES = {
    "en": ("bank", ["We sat on the bank of the river.", "The bank raised its rates."], "bank", "river"),
    "zh": ("苹果", ["我每天早上吃一个苹果。", "苹果公司发布了新款手机。"], "苹", "手"),
}


def _link(lang: str, view: str) -> str:
    word, texts, _, _ = SENTENCES[lang]
    return f"?lang={lang}&tab=vectors&view={view}&word={quote(word)}&text={quote(chr(10).join(texts))}"


def _present(page: Any) -> None:
    page.locator("#present-toggle").click()
    page.wait_for_function("document.body.classList.contains('present')")
    settled(page)


def _findings(page: Any, script: str) -> list[str]:
    settled(page)
    return apps_own(axe_violations(page, script))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_deep_link_shows_a_words_neighbours_and_a_click_finds_another_words(open_page, axe_script, lang):
    _, texts, picked, other = SENTENCES[lang]
    page = open_page(_link(lang, "neighbours"))
    info = page.locator("#vectors-nb-info")
    cells = page.locator("#vectors-neighbours .body-cell")
    info.get_by_text(picked, exact=True).wait_for()  # the note names the word picked
    assert cells.count() == 10 * 4  # as many as the slider asks: rank, cosine, word, the word in its sentence
    assert page.locator("#vectors-picker .token").filter(has_text=picked).count() >= 1
    assert page.locator("#vectors-text textarea").input_value() == "\n".join(texts)
    found = _findings(page, axe_script)
    page.locator("#vectors-picker .token").get_by_text(other, exact=True).first.click()
    info.get_by_text(other, exact=True).wait_for()  # the clicked word's own neighbours
    page.locator("#vectors-nb-layer input[type=range]").press("Home")  # by keyboard, down to the embeddings
    embeddings = "词嵌入层" if lang == "zh" else "the embeddings"
    page.wait_for_function(
        "(name) => document.querySelector('#vectors-nb-info').innerText.includes(name)", arg=embeddings
    )
    assert other in info.inner_text()  # the same word, at another layer
    _present(page)
    found += [f"present: {finding}" for finding in _findings(page, axe_script)]
    assert found == []
    assert page.log.errors == [] and page.log.blocked == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_deep_link_draws_queries_and_keys_and_another_query_redraws_in_the_page(open_page, axe_script, lang):
    page = open_page(_link(lang, "queries"))
    chart = page.locator("#vectors-qk-chart .js-plotly-plot")
    chart.locator(".scatterlayer .trace").first.wait_for()
    traces = chart.evaluate("gd => gd.data.map((trace) => [trace.name, trace.mode, trace.x.length])")
    named = {name: length for name, _, length in traces}
    queries, keys = ("查询", "键") if lang == "zh" else ("queries", "keys")
    assert named[queries] == named[keys] > 10  # a query and a key for every token of both texts
    assert sum(mode == "lines" for _, mode, _ in traces) == 3  # to the three keys it attends to most
    found = _findings(page, axe_script)
    before = chart.evaluate("gd => gd.data[0].x")
    page.locator("#vectors-qk-query input").click()
    page.get_by_role("option").nth(5).click()
    page.wait_for_function(
        "(before) => JSON.stringify(document.querySelector('#vectors-qk-chart .js-plotly-plot').data[0].x)"
        " !== JSON.stringify(before)",
        arg=before,
    )
    _present(page)
    found += [f"present: {finding}" for finding in _findings(page, axe_script)]
    assert found == []
    assert page.log.errors == [] and page.log.blocked == []


def test_choosing_a_view_draws_it_for_the_texts_there_and_without_texts_only_shows_it(open_page):
    page = open_page("?tab=vectors")
    page.locator("#vectors-view").get_by_text("Nearest neighbours").click()
    page.locator("#vectors-picker").wait_for()  # the panel, empty: no text yet, so no run and no message
    settled(page)
    assert page.locator(".toast-body").count() == 0 and page.locator("#vectors-nb-info").inner_text().strip() == ""
    page.locator("#vectors-text textarea").fill("\n".join(SENTENCES["en"][1]))
    page.locator("#vectors-view").get_by_text("Queries and keys").click()
    page.locator("#vectors-qk-chart .js-plotly-plot .scatterlayer .trace").first.wait_for()
    assert "gives most weight to" in page.locator("#vectors-qk-info").inner_text()
    assert page.log.errors == []
