"""The interface in both languages: every string the page shows has its Chinese, and nothing is left untranslated."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import gradio as gr
import pytest

from roberta_demo.backend import Backend
from roberta_demo.catalog import Catalog
from roberta_demo.config import Limits
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


def test_every_string_has_both_languages_and_every_translation_is_used():
    for profile in ("default", "tiny", "tiny-zh"):
        backend = Backend(load_profile(profile, env={}), "cpu")
        build_app(Catalog(backend.profile, backend.device), TaskContext(backend, Limits()))  # `_` raises on a gap
    assert set(i18n.ZH) - i18n.USED == set()  # no translation of a string the page no longer shows
    bare = {"bertviz", "中文 / English"}  # names, and the switch, which reads the same in both
    assert all(CJK.search(chinese) for english, chinese in i18n.ZH.items() if english not in bare)
    table = i18n.translations()
    assert set(table.translations["en"]) == set(table.translations["zh"])


def _in_chinese(message: str) -> str:
    token = i18n.LANGUAGE.set("zh")
    try:
        return i18n.in_language(message)
    finally:
        i18n.LANGUAGE.reset(token)


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("Type or paste some text first.", "请先输入或粘贴文本。"),
        (
            "The text has 100,000 characters; this server accepts at most 20,000. Shorten it (whoever runs the server "
            "can raise the limit with ROBERTA_DEMO_MAX_NER_CHARS).",
            "文本有 100,000 个字符；本服务器最多接受 20,000 个。"
            "请缩短（服务器管理员可以用 ROBERTA_DEMO_MAX_NER_CHARS 提高上限）。",
        ),
        ("Emotion has no model in this profile.", "当前配置中没有情绪分析模型。"),
        (
            'The hypothesis template needs exactly one "{}" where the label goes, e.g. "This example is {}."',
            "假设模板中需要恰好一个 “{}” 放标签，例如 “这是一条{}新闻。”",
        ),
        ("'up' is not one of this model's classes: a, b.", "'up' 不是这个模型的类别之一：a, b。"),
        # A chart title that a more general pattern ("Layer {layer}, head {head}") would also match.
        ("Layer 1, head 2: queries and keys (30 tokens)", "第 1 层第 2 个注意力头：查询和键（30 个词元）"),
        (
            "ℹ️ The 10 words nearest `苹` at 第 4 层, among 1,234 words of 自带的中文句子.",
            "ℹ️ 在第 4 层，`苹` 最接近的 10 个词（共比较了自带的中文句子中的 1,234 个词）。",
        ),
        ("Choose a layer from 0 (the embeddings) to 4.", "请选择 0（词嵌入）到 4 之间的层。"),
    ],
)
def test_messages_are_written_in_the_requests_language(english, chinese):
    assert _in_chinese(english) == chinese
    assert i18n.in_language(english) == english  # an English request gets the English


def test_every_message_translation_uses_only_what_its_english_names():
    for pattern, chinese in i18n.MESSAGES:
        assert set(re.findall(r"\{(\w+)\}", chinese)) <= set(pattern.groupindex) and CJK.search(chinese)


def test_a_message_without_a_translation_stays_english():
    assert _in_chinese("A message nobody translated.") == "A message nobody translated."


@pytest.mark.parametrize(
    ("query", "accept", "language"),
    [({"lang": "zh"}, "en-US", "zh"), ({"lang": "en"}, "zh-CN,zh", "en"), ({}, "zh-CN,zh;q=0.9", "zh"), ({}, "", "en")],
)
def test_the_requests_language_is_the_links_then_the_browsers(query, accept, language):
    request = type("Request", (), {"query_params": query, "headers": {"accept-language": accept}})()
    assert i18n.request_language(request) == language


def test_notes_are_translated_paragraph_by_paragraph_keeping_their_marks():
    note = (
        "Step **30 / 30** · loss **0.123** · 8.8 s · 3.41 steps/s · accuracy at step 30: training **100%**, held out "
        "**75%**\n\nℹ️ 3 example(s) were held out automatically to measure generalisation.\n\nℹ️ Not translated."
    )
    assert _in_chinese(note) == (
        "第 **30 / 30** 步 · 损失 **0.123** · 8.8 秒 · 每秒 3.41 步 · 第 30 步的准确率：训练集 **100%**，留出集 **75%**"
        "\n\nℹ️ 自动留出了 3 个样本，用来衡量泛化能力。\n\nℹ️ Not translated."
    )


def test_a_chart_speaks_the_requests_language(context):
    from roberta_demo.tasks import attention
    from roberta_demo.viz.attention import attention_figures

    view = attention.inspect(context, "The cat sat.")
    figures = attention_figures(view, 1, 2, "head", "entropy", script_base="gradio_api/file=vendor/")
    token = i18n.LANGUAGE.set("zh")
    try:
        head = i18n.figure_in_language(figures.head)
        overview = i18n.figure_in_language(figures.overview)
    finally:
        i18n.LANGUAGE.reset(token)
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
    token = i18n.LANGUAGE.set("zh")
    try:
        with pytest.raises(gr.Error) as refused:
            friendly_errors(attention.export_html)(None, 0, "head")
    finally:
        i18n.LANGUAGE.reset(token)
    assert refused.value.message == "请先运行注意力视图，再导出。"
    assert refused.value.title == "无法运行"
