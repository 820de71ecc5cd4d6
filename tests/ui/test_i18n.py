"""The interface in both languages: every string the page shows has its Chinese, and what the server writes (messages,
notes, charts) is written in the request's language. The catalogue itself: tests/test_messages.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import gradio as gr
import pytest

from roberta_demo.backend import Backend
from roberta_demo.catalog import Catalog
from roberta_demo.config import Limits
from roberta_demo.errors import InputError
from roberta_demo.messages import LANGUAGE, Message, render, say
from roberta_demo.profiles import load_profile
from roberta_demo.tasks.common import TaskContext
from roberta_demo.ui import attention, i18n
from roberta_demo.ui.app import build_app
from roberta_demo.ui.common import friendly_errors

UI = Path(i18n.__file__).parent
SHOWN = {"label", "info", "placeholder"}  # keyword arguments whose text the page shows
COMPONENTS_WITH_TEXT = {"Button", "Tab", "Accordion", "Markdown", "DeepLinkButton"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _untranslated(tree: ast.AST) -> list[str]:
    """Literal text given to a component without `_()`: a shown keyword, or a button's, tab's or Markdown's text."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        texts = [k.value for k in node.keywords if k.arg in SHOWN]
        if name in COMPONENTS_WITH_TEXT and node.args:
            texts.append(node.args[0])
        found += [t.value for t in texts if isinstance(t, ast.Constant) and isinstance(t.value, str) and t.value]
        found += [ast.unparse(t) for t in texts if isinstance(t, ast.JoinedStr)]
    return found


@pytest.mark.parametrize("module", sorted(path.name for path in UI.glob("*.py")))
def test_no_component_text_is_left_out_of_the_translations(module):
    assert _untranslated(ast.parse((UI / module).read_text(encoding="utf-8"))) == []


def test_every_string_of_the_page_has_both_languages():
    for profile in ("default", "tiny", "tiny-zh"):
        backend = Backend(load_profile(profile, env={}), "cpu")
        build_app(Catalog(backend.profile, backend.device), TaskContext(backend, Limits()))  # `_` raises on a gap
    table = i18n.translations()
    assert set(table.translations["en"]) == set(table.translations["zh"])


def _in_chinese(message: Message) -> str:
    token = LANGUAGE.set("zh")
    try:
        return render(message)
    finally:
        LANGUAGE.reset(token)


@pytest.mark.parametrize(
    ("query", "accept", "language"),
    [({"lang": "zh"}, "en-US", "zh"), ({"lang": "en"}, "zh-CN,zh", "en"), ({}, "zh-CN,zh;q=0.9", "zh"), ({}, "", "en")],
)
def test_the_requests_language_is_the_links_then_the_browsers(query, accept, language):
    request = type("Request", (), {"query_params": query, "headers": {"accept-language": accept}})()
    assert i18n.request_language(request) == language


def test_a_chart_speaks_the_requests_language(context):
    from roberta_demo.tasks import attention
    from roberta_demo.viz.attention import attention_figures

    view = attention.inspect(context, "The cat sat.")
    token = LANGUAGE.set("zh")
    try:
        figures = attention_figures(view, 1, 2, "head", "entropy", script_base="gradio_api/file=vendor/")
    finally:
        LANGUAGE.reset(token)
    head, overview = figures.head, figures.overview
    assert head.layout.title.text == "第 1 层，第 2 个注意力头"
    assert head.layout.yaxis.title.text == "查询（发出注意的词元）"
    assert [note.text for note in head.layout.annotations] == ["列：键（被关注的词元）"]
    assert overview.layout.xaxis.title.text == "注意力头" and overview.layout.yaxis.title.text == "层"


def test_the_page_script_carries_every_translation_safely():
    """The table the page script uses for what Gradio leaves untranslated (Examples' headers and labels): every key
    the built app asked for, in both languages, and nothing that could end the script element early."""
    import json

    from roberta_demo.ui.app import page_script

    build_app(
        Catalog(load_profile("default", env={}), "cpu"),
        TaskContext(Backend(load_profile("default", env={}), "cpu"), Limits()),
    )
    script = page_script()
    assert "ROBERTA_DEMO_TRANSLATIONS" not in script and "</" not in script.split("const TRANSLATIONS = ", 1)[1][:50]
    table = json.loads(script.split("const TRANSLATIONS = ", 1)[1].split(";\n", 1)[0].replace("<\\/", "</"))
    assert table == i18n.translation_table() and len(table) > 100
    examples = i18n._key("Examples")
    assert table[examples] == {"en": "Examples", "zh": "示例"}


def test_highlights_are_drawn_in_their_whole_colour():
    from roberta_demo.ui.common import highlight_css

    css = highlight_css(["#E69F00", "#e69f00", "#56b4e9"])
    assert css.count("background-color") == 2  # one rule a colour, however it is spelled
    assert '.token[style*="rgba(230, 159, 0, 0.5)"]{background-color:rgb(230, 159, 0) !important}' in css


def test_a_refusal_and_its_title_are_in_the_requests_language():
    """The title over a message is the catalogue's too, and a handler's own refusal (export before any view) goes
    through it like a task's."""
    token = LANGUAGE.set("zh")
    try:
        with pytest.raises(gr.Error) as refused:
            friendly_errors(attention.export_html)(None, 0, "head")
    finally:
        LANGUAGE.reset(token)
    assert refused.value.message == "请先运行注意力视图，再导出。"
    assert refused.value.title == "无法运行"


def test_a_tasks_refusal_is_written_in_the_requests_language_from_its_values():
    """A task raises its message with its values; the edge writes it, in Chinese with the same numbers."""
    from roberta_demo.tasks.common import check_text

    with pytest.raises(InputError) as refused:
        check_text("x" * 100_000, Limits(max_ner_chars=20_000), "max_ner_chars")
    assert str(refused.value).startswith("The text has 100,000 characters; this server accepts at most 20,000.")
    assert _in_chinese(refused.value.args[0]) == (
        "文本有 100,000 个字符；本服务器最多接受 20,000 个。"
        "请缩短（服务器管理员可以用 ROBERTA_DEMO_MAX_NER_CHARS 提高上限）。"
    )
    assert (
        _in_chinese(say("Choose a layer from 0 (the embeddings) to {last}.", last=4))
        == "请选择 0（词嵌入）到 4 之间的层。"
    )


def test_per_language_content_is_one_structure_with_both_languages():
    """Examples, presets, sentences and the tour are data keyed by language: each has both, and the same shape."""
    from roberta_demo.tasks import finetune
    from roberta_demo.ui import classification, fill_mask, ner, sentiment, tour_text, vectors
    from roberta_demo.viz.entities import ENTITY_NAMES

    keyed = [tab.EXAMPLES for tab in (attention, classification, fill_mask, ner, sentiment, vectors)]
    keyed += [finetune.PRESETS, vectors.SENSES, vectors.TOPICAL, ENTITY_NAMES, tour_text.STEPS]
    keyed += [tour_text.BERT_VERSUS_ROBERTA, tour_text.MODEL_LINE, tour_text.UNLOADED]
    for content in keyed:
        assert set(content) == {"en", "zh"} and all(content[language] for language in ("en", "zh"))
    assert len(tour_text.STEPS["en"]) == len(tour_text.STEPS["zh"])
    assert set(ENTITY_NAMES["en"]) == set(ENTITY_NAMES["zh"])
