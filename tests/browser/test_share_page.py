"""Sharing in Chromium: a readable link to the tab and its text, and Gradio's deep link to the whole result."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

TEXT = "Angela Merkel met <b>Macron</b> & co in Paris"


def _run_ner(page) -> None:
    page.get_by_role("tab", name="NER", exact=True).click()
    page.locator("#ner-text textarea").fill(TEXT)
    page.locator("#ner-run").click()
    page.locator("#ner-spans .token.highlighted").first.wait_for()


def test_the_readable_link_names_the_tab_and_the_text_and_reopens_them(open_page):
    page = open_page("")
    _run_ner(page)
    page.locator("#readable-link").click()
    box = page.locator("#readable-link-box textarea, #readable-link-box input").first
    box.wait_for()
    link = box.input_value()
    # The text as data, not markup; and the room's language (links keep it).
    assert parse_qs(urlparse(link).query) == {"tab": ["ner"], "text": [TEXT], "lang": ["en"]}
    reopened = open_page("?" + urlparse(link).query)
    reopened.locator("#ner-spans").get_by_text("Merkel").first.wait_for()
    assert reopened.get_by_role("tab", name="NER", exact=True).get_attribute("aria-selected") == "true"
    assert reopened.locator("#ner-text textarea").input_value() == TEXT
    assert page.log.errors == [] and page.log.dialogs == []


def test_share_this_result_reopens_the_result_itself(open_page):
    page = open_page("")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    _run_ner(page)
    page.get_by_role("button", name="Share this result").click()
    page.get_by_role("button", name="Link copied").wait_for()
    page.wait_for_function("navigator.clipboard.readText().then((t) => t.includes('deep_link='))")
    link = page.evaluate("navigator.clipboard.readText()")
    shared = open_page("?" + urlparse(link).query)
    # The spans come back from the stored result; no model runs (the text box keeps its text too).
    shared.locator("#ner-spans").get_by_text("Macron").first.wait_for()
    assert shared.get_by_role("tab", name="NER", exact=True).get_attribute("aria-selected") == "true"
    assert "Answered by" in shared.locator("#ner-info").inner_text()  # the run's note, as it was
    assert shared.locator("#ner-text textarea").input_value() == TEXT


def _address(page) -> dict[str, list[str]]:
    """The page's own address as it is now (Playwright's `page.url` follows it by events, a moment later)."""
    return parse_qs(urlparse(page.evaluate("location.href")).query)


def test_a_clicked_tab_is_in_the_address_at_once_and_the_tab_on_show_keeps_its_link(open_page):
    """The address names the tab as it is clicked (the links copy it), with no server answer to wait for; clicking
    the tab already on show keeps the link that opened it, text and all, as Gradio keeps the tab."""
    page = open_page("?tab=ner&text=Paris")
    page.locator("#ner-spans .token.highlighted").first.wait_for()
    page.get_by_role("tab", name="NER", exact=True).click()
    assert _address(page) == {"tab": ["ner"], "text": ["Paris"]}
    page.get_by_role("tab", name="Sentiment", exact=True).click()
    assert _address(page) == {"tab": ["sentiment"]}  # the text belonged to the NER link
    page.get_by_role("tab", name="How RoBERTa works", exact=True).click()
    assert _address(page) == {"tab": ["how-it-works"]}
