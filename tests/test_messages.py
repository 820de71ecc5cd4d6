"""The one catalogue of messages (`roberta_demo.messages`): every template the code writes has its Chinese, every
Chinese names only what its English does, and the catalogue holds nothing the code no longer writes."""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path

import pytest

import roberta_demo
from roberta_demo import messages
from roberta_demo.errors import InputError, said
from roberta_demo.messages import CHINESE, LANGUAGE, Message, render, say

PACKAGE = Path(roberta_demo.__file__).parent
WRITERS = {"say", "speak", "_"}  # the functions whose first argument is a template of the catalogue
NAMED = re.compile(r"\{(\w+)\}")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Names, the language switch, a message around another, and Python's csv module's own words.
SAME_IN_BOTH = {
    "bertviz",
    "中文 / English",
    "{missing} ({detail})",
    "{error}.",
}  # names, the switch, a message around another


def _modules() -> list[Path]:
    return [path for path in PACKAGE.rglob("*.py") if path != Path(messages.__file__)]


def _written_templates(modules: list[Path] | None = None) -> dict[str, str]:
    """Every literal template passed to `say`, `speak` or `_`, with where it is written."""
    found = {}
    for path in _modules() if modules is None else modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in WRITERS and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found[first.value] = f"{path.name}:{node.lineno}"
    return found


def _string_constants() -> set[str]:
    """Every string literal of the package (a template may be a constant the page passes to `_` by name)."""
    return {
        node.value
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_every_template_the_code_writes_has_its_chinese():
    missing = {template: where for template, where in _written_templates().items() if template not in CHINESE}
    assert missing == {}


def test_the_catalogue_holds_nothing_the_code_no_longer_writes():
    assert set(CHINESE) - _string_constants() == set()


@pytest.mark.parametrize("english", sorted(CHINESE))
def test_each_chinese_names_only_what_its_english_names_and_is_chinese(english):
    chinese = CHINESE[english]
    assert set(NAMED.findall(chinese)) <= set(NAMED.findall(english))
    assert english in SAME_IN_BOTH or CJK.search(chinese)


def test_no_english_text_is_matched_back_to_a_message():
    """The edge writes a message from its id and values; nothing anywhere turns English text into a translation."""
    sources = "\n".join(path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py"))
    assert "in_language" not in sources and "figure_in_language" not in sources


def test_a_message_is_written_in_the_requests_language_with_its_values_and_the_messages_among_them():
    limit = say(
        "{subject} has {size} {unit}; this server accepts at most {limit}. Shorten it (whoever runs the server can "
        "raise the limit with {variable}).",
        subject=say("The text"),
        size="100,000",
        unit=say("characters"),
        limit="20,000",
        variable="ROBERTA_DEMO_MAX_NER_CHARS",
    )
    assert str(limit).startswith("The text has 100,000 characters; this server accepts at most 20,000.")
    assert render(limit, "zh") == (
        "文本有 100,000 个字符；本服务器最多接受 20,000 个。"
        "请缩短（服务器管理员可以用 ROBERTA_DEMO_MAX_NER_CHARS 提高上限）。"
    )
    token = LANGUAGE.set("zh")
    try:
        assert render(limit) == render(limit, "zh") and render("a person's text") == "a person's text"
    finally:
        LANGUAGE.reset(token)


def test_a_bare_brace_pair_is_text_and_a_value_is_never_read_as_a_template():
    template = say('The hypothesis template needs exactly one "{}" where the label goes, e.g. "This example is {}."')
    assert "“{}”" in render(template, "zh") and '"{}"' in render(template, "en")
    echoed = say("{target} is not one of the candidate labels: {labels}.", target="{labels}", labels="a, b")
    assert render(echoed, "en") == "{labels} is not one of the candidate labels: a, b."


def test_a_refusal_carries_its_message_through_pickling_and_says_it_in_either_language():
    refusal = pickle.loads(pickle.dumps(InputError(say("Type or paste some text first."))))
    assert isinstance(refusal.args[0], Message) and str(refusal) == "Type or paste some text first."
    token = LANGUAGE.set("zh")
    try:
        assert said(refusal) == "请先输入或粘贴文本。"
    finally:
        LANGUAGE.reset(token)


def test_changing_an_english_message_cannot_silently_lose_its_chinese(tmp_path):
    """An English template edited in the code is a new id, which the catalogue test finds without its Chinese."""
    edited = (PACKAGE / "tasks" / "common.py").read_text(encoding="utf-8").replace("Type or paste some", "Type some")
    module = tmp_path / "common.py"
    module.write_text(edited, encoding="utf-8")
    written = _written_templates([module])
    assert "Type some text first." in written and "Type some text first." not in CHINESE
