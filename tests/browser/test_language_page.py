"""The interface's language in Chromium: the browser's language chooses, `?lang=` and the header's switch override."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.waiting import HANG_MS


@pytest.fixture
def open_in(chromium_browser, app_url) -> Iterator[Callable[[str, str], Any]]:
    """Opens the app at a query in a fresh browser context whose language is `locale`."""
    contexts = []

    def open_page(locale: str, query: str = "") -> Any:
        context = chromium_browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(HANG_MS)  # every wait and action: a limit for a hang only
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(app_url + query)
        page.locator("#header h1").wait_for()
        return page

    yield open_page
    for context in contexts:
        context.close()


def _tab(page, name: str):
    return page.get_by_role("tab", name=name, exact=True)


def test_a_chinese_browser_gets_the_chinese_interface(open_in):
    page = open_in("zh-CN")
    page.locator("#tour-model").get_by_text("这些页面背后的模型是").wait_for()  # the live page
    _tab(page, "命名实体识别").wait_for()
    _tab(page, "命名实体识别").click()
    page.get_by_role("button", name="识别实体").wait_for()
    assert page.get_by_text("隐藏得分低于此值的实体").count() == 1
    assert page.locator("#untrained").inner_text().startswith("测试模型。")
    assert page.get_by_role("button", name="English / 中文").count() == 1
    assert page.errors == []


def test_lang_en_in_a_link_and_the_switch_change_the_language(open_in):
    page = open_in("zh-CN", "?lang=en")
    _tab(page, "NER").wait_for()
    assert _tab(page, "命名实体识别").count() == 0
    page.locator("#language-switch").click()
    _tab(page, "命名实体识别").wait_for()  # the switch reopens the page with ?lang=zh
    assert "lang=zh" in page.url


def test_lang_zh_in_a_link_opens_a_tab_in_chinese(open_in):
    page = open_in("en-US", "?lang=zh&tab=ner&text=Angela%20Merkel%20visited%20Paris")
    page.locator("#ner-spans").get_by_text("Merkel").first.wait_for()
    assert _tab(page, "命名实体识别").get_attribute("aria-selected") == "true"
    assert page.get_by_role("button", name="识别实体").count() == 1


def test_the_servers_notes_and_errors_come_in_chinese_too(open_in):
    page = open_in("zh-CN", "?tab=ner&text=%E6%9D%8E%E6%98%8E%E5%9C%A8%E5%8C%97%E4%BA%AC")
    page.locator("#ner-info").get_by_text("上回答").first.wait_for()  # "由 … 在 cpu 上回答"
    assert "个实体" in page.locator("#ner-info").inner_text()
    page.locator("#ner-text textarea").fill("   ")
    page.get_by_role("button", name="识别实体").click()
    page.get_by_text("请先输入或粘贴文本。").first.wait_for()
