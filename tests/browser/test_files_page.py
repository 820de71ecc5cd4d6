"""Files the app hands a page (here the batch-sentiment CSV) are removed from the server when the page closes."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

from tests.waiting import wait_until


def test_the_csv_a_page_was_handed_is_deleted_when_the_page_closes(open_page):
    page = open_page("?tab=sentiment")
    page.get_by_role("tab", name="Many texts", exact=True).click()
    page.get_by_label("Texts, one per line").fill("I loved it\nI hated it")
    page.get_by_role("button", name="Analyse all").click()
    link = page.locator("a[href*='sentiment.csv']").first
    link.wait_for()
    href = urllib.parse.unquote(link.get_attribute("href") or "")
    served = Path(href.split("file=", 1)[1].split("?", 1)[0])
    assert served.name == "sentiment.csv" and served.is_file()
    assert "I loved it" in served.read_text(encoding="utf-8")
    page.close()  # the heartbeat ends: Gradio runs the page's unload event
    wait_until(lambda: not served.exists(), "the closed page's file to go")
    assert not served.parent.exists()
