"""The page in English and Simplified Chinese (the tutorial's language), with Gradio's `gr.I18n`.

Every string the page holds is written in English in the tab's code as `_("…")`, and its Chinese is the catalogue's
(`roberta_demo.messages.CHINESE`, the one table for the page and for what the server writes). The browser's language
chooses (`zh-CN` and the other Chinese locales get Chinese); `?lang=zh` or `?lang=en` in a link, or the switch in the
header, overrides it. `_` fails at build time for a string without its Chinese, so a missing translation cannot reach
a page.

Gradio translates what the page holds (labels, buttons, Markdown, choices); a few values with numbers in them are
translated once they are filled in (`_("… {tokens} …", tokens=128)`). What the server writes while it answers
(messages, notes, charts) is written in the request's language by `roberta_demo.messages`.
"""

from __future__ import annotations

import hashlib
from typing import Any

import gradio as gr
from gradio.i18n import I18nData

from roberta_demo.messages import CHINESE, LANGUAGE, Message, render, say

__all__ = ["LANGUAGE", "_", "bilingual", "request_language", "translation_table", "translations"]

_EN: dict[str, str] = {}
_TRANSLATED: dict[str, str] = {}


def _key(english: str) -> str:
    """A key for the page's translation table: no dots (its lookups read dots as nesting)."""
    return "rd_" + hashlib.sha256(english.encode()).hexdigest()[:16]


def _(template: str, **values: Any) -> Any:
    """`template` in the page's language: the English as written, or its Chinese from the catalogue (with `values`
    filled in). Raises KeyError for a string that has no Chinese, so the app cannot build with one."""
    if template not in CHINESE:
        raise KeyError(f"no Chinese for {template!r} in roberta_demo/messages.py")
    message: Message = say(template, **values)
    return bilingual(render(message, "en"), render(message, "zh"))


def bilingual(english: str, chinese: str) -> Any:
    """Content written in both languages as data (a tour step's text, a legend of the model's entity types), for the
    page to show in its own."""
    key = _key(english)
    _EN[key], _TRANSLATED[key] = english, chinese
    return I18nData(key)


def translation_table() -> dict[str, dict[str, str]]:
    """Every string the app's page asked for, by its key: {"en": …, "zh": …}."""
    return {key: {"en": english, "zh": _TRANSLATED[key]} for key, english in _EN.items()}


def translations() -> gr.I18n:
    """The translation table of every string the app's page asked for, for `launch(i18n=…)`."""
    return gr.I18n(en=dict(_EN), zh=dict(_TRANSLATED))


def request_language(request: Any) -> str:
    """ "zh" or "en" for a request (a page's event carries the page's address and the browser's headers)."""
    query = getattr(request, "query_params", None) or {}
    if query.get("lang") in ("zh", "en"):
        return str(query["lang"])
    headers = getattr(request, "headers", None) or {}
    accepted = str(headers.get("accept-language", "")).split(",")[0].strip().lower()
    return "zh" if accepted.startswith("zh") else "en"
